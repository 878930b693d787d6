"""Bundled data, AttributionResult's outputs, compare() and the registry's conventions."""

from __future__ import annotations

import gzip
import hashlib
import json

import matplotlib
import numpy as np
import pytest
from sklearn.base import clone

from attribution_lab import AttributionResult, Journeys, available_models, compare, get_model
from attribution_lab.datasets import load_pathdata, pathdata_file

matplotlib.use("Agg")


def test_bundled_pathdata_matches_provenance_and_checksum():
    j = load_pathdata()
    assert (j.n_journeys, j.n_channels) == (10_000, 12)
    assert j.n_conversions == 19_785 and j.n_nulls == 68_602
    assert j.total_value == pytest.approx(74_802.97, abs=0.01)
    assert load_pathdata(aggregate=True).n_journeys == 5_408
    f = pathdata_file()
    expected = (f.parent / "SHA256SUMS").read_text().split()[0]
    assert hashlib.sha256(gzip.decompress(f.read_bytes())).hexdigest() == expected
    assert "GPL-3.0" in (f.parent / "PROVENANCE.md").read_text()


def test_result_outputs():
    r = AttributionResult(
        ["a", "b"],
        [3.0, 1.0],
        [30.0, 5.0],
        total_conversions=4,
        total_value=35,
        estimand="rule",
        model="linear",
        params={"unique_channels": np.bool_(True)},
        stderr=[0.1, 0.2],
        ci_low=[2.8, 0.6],
        ci_high=[3.2, 1.4],
        ci_level=0.95,
    )
    frame = r.to_frame()
    assert list(frame.columns) == [
        "conversions",
        "value",
        "share",
        "value_share",
        "stderr",
        "ci_low",
        "ci_high",
    ]
    doc = json.loads(json.dumps(r.to_dict()))
    assert doc["params"] == {"unique_channels": True}
    assert doc["channels"][1] == {
        "channel": "b",
        "conversions": 1.0,
        "value": 5.0,
        "share": 0.25,
        "stderr": 0.2,
        "ci_low": 0.6,
        "ci_high": 1.4,
    }
    assert "<table" in r._repr_html_() and "linear" in repr(r)
    ax = r.plot()
    assert len(ax.patches) == 2
    assert r.plot(what="value").get_xlabel() == "value"


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"conversions": [3.0, 2.0]}, "conversions credit sums to"),
        ({"value": [30.0, 1.0]}, "value credit sums to"),
        ({"estimand": "magic"}, "estimand must be one of"),
        ({"conversions": [3.0, np.nan]}, "NaN"),
    ],
)
def test_result_rejects_inconsistent_numbers(kwargs, match):
    base = dict(
        channel_names=["a", "b"],
        conversions=[3.0, 1.0],
        value=[30.0, 5.0],
        total_conversions=4,
        total_value=35,
        estimand="rule",
        model="m",
    )
    base.update(kwargs)
    with pytest.raises(ValueError, match=match):
        AttributionResult(**base)


def test_compare_tidy_and_wide():
    j = Journeys.from_paths(["A > B", "B"], conversions=[1, 1], values=[4.0, 2.0])
    tidy = compare(j, ["first_touch", get_model("linear", unique_channels=True)])
    assert list(tidy.columns[:3]) == ["model", "channel", "estimand"]
    assert len(tidy) == 4
    assert tidy.groupby("model")["conversions"].sum().tolist() == [2.0, 2.0]
    wide = compare(j, {"ft": "first_touch", "lt": get_model("last_touch")}, wide=True)
    assert list(wide.columns) == ["ft", "lt"]
    assert wide.loc["B", "lt"] == 1.0
    with pytest.raises(ValueError, match="unknown model"):
        compare(j, ["nope"])


@pytest.mark.parametrize("name", list(available_models()))
def test_models_follow_sklearn_conventions(name):
    model = get_model(name)
    twin = clone(model)
    assert twin.get_params() == model.get_params()
    with pytest.raises(RuntimeError, match="not fitted"):
        model.attribute()
    with pytest.raises(TypeError, match="Journeys"):
        model.fit([["A"]])
    j = Journeys.from_paths(["A > B"], conversions=[1])
    if model.needs_times:
        j = Journeys.from_paths(
            ["A > B", "B", "A > A"],
            conversions=[1, 0, 1],
            nulls=[0, 1, 0],
            times=[0.0, 1.0, 0.5, 2.0, 3.0],
            end_time=[1.5, 9.0, 3.5],
        )
    assert model.fit(j) is model
    assert hasattr(model, "journeys_")


def test_compare_accepts_the_model_listing():
    from attribution_lab import available_models, compare

    j = Journeys.from_paths(["A > B", "B"], conversions=[1, 1])
    timed = [n for n in available_models() if n not in available_models(j)]
    assert "hazard" in timed and all(get_model(n).needs_times for n in timed)
    with pytest.warns(UserWarning, match="left out hazard: they need touch times"):
        wide = compare(j, available_models(), wide=True)
    assert list(wide.columns) == [n for n in available_models() if n not in timed]
