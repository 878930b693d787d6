"""AttributionResult: its outputs (frame, dict, HTML, plot) and the inconsistent numbers it refuses.

The bundled data, compare() and the registry's conventions, once in this file, are in
tests/datasets/test_datasets.py, tests/test_evaluate.py and tests/test_base.py."""

from __future__ import annotations

import json

import matplotlib
import numpy as np
import pytest

from attribution_lab import AttributionResult

matplotlib.use("Agg")


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
