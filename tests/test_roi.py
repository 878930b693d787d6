"""Spend tables and returns: read_costs, roi, compare(costs=) and the CLI's --costs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from attribution_lab import AttributionResult, Journeys, bootstrap, compare, get_model
from attribution_lab.cli import main
from attribution_lab.roi import read_costs, roi


def _result(ci=False):
    kw = {}
    if ci:
        kw = dict(
            ci_low=[4.0, 0.0, 1.0],
            ci_high=[8.0, 5.0, 1.0],
            ci_level=0.9,
            details={"value_ci_low": [500.0, 0.0, 150.0], "value_ci_high": [700.0, 400.0, 150.0]},
        )
    return AttributionResult(
        ["search", "email", "direct"],
        [6.0, 3.0, 1.0],
        [600.0, 250.0, 150.0],
        total_conversions=10,
        total_value=1000,
        estimand="rule",
        model="hand",
        **kw,
    )


def test_hand_computed_returns():
    out = roi(_result(), pd.DataFrame({"channel": ["search", "email"], "cost": [300.0, 50.0]}))
    assert out.index.tolist() == ["search", "email", "direct"]
    np.testing.assert_allclose(out["cost_per_conversion"][:2], [50.0, 50.0 / 3])
    np.testing.assert_allclose(out["roas"][:2], [2.0, 5.0])
    np.testing.assert_allclose(out["roi"][:2], [1.0, 4.0])
    # no spend row: cost 0 and undefined ratios
    assert out.loc["direct", "cost"] == 0.0
    assert out.loc["direct", ["cost_per_conversion", "roas", "roi"]].isna().all()


def test_intervals_map_through_the_ratios():
    out = roi(_result(ci=True), {"search": 300.0, "email": 50.0})
    # cost per conversion: reversed bounds; a lower bound of 0 conversions is unbounded
    assert out.loc["search", "cost_per_conversion_ci_low"] == 300.0 / 8
    assert out.loc["search", "cost_per_conversion_ci_high"] == 300.0 / 4
    assert out.loc["email", "cost_per_conversion_ci_high"] == np.inf
    assert (
        out.loc["search", "roas_ci_low"] == 500.0 / 300
        and out.loc["search", "roas_ci_high"] == 700.0 / 300
    )
    assert out.loc["email", "roi_ci_low"] == -1.0 and out.loc["email", "roi_ci_high"] == 7.0
    for col in ("cost_per_conversion", "roas", "roi"):
        ok = out[f"{col}_ci_low"].notna()
        assert (out[f"{col}_ci_low"][ok] <= out[col][ok]).all()
        assert (out[col][ok] <= out[f"{col}_ci_high"][ok]).all()


def test_periods_are_summed_and_selected(tmp_path):
    p = tmp_path / "spend.csv"
    p.write_text(
        "channel;period;cost\nsearch;2026-01-01;100\nsearch;2026-02-01;200\nemail;2026-02-01;5\n"
    )
    assert read_costs(p).to_dict() == {"email": 5.0, "search": 300.0}
    assert read_costs(p, start="2026-02-01").to_dict() == {"email": 5.0, "search": 200.0}
    assert read_costs(p, end="2026-01-31").to_dict() == {"email": 0.0, "search": 100.0}
    # a spend row of 0 in the window: ROAS is infinite, not undefined
    out = roi(_result(), p, end="2026-01-31")
    assert out.loc["email", "roas"] == np.inf and out.loc["search", "roas"] == 6.0


@pytest.mark.parametrize(
    ("text", "kwargs", "match"),
    [
        ("channel,spend\nsearch,1\n", {}, r"spend\.csv: no column 'cost'"),
        (
            "chanel,cost\nsearch,1\n",
            {},
            r"no column 'channel'; did you mean 'chanel'\?",
        ),
        (
            "channel,cost\nsearch,abc\n",
            {},
            r"row 0 \(line 2\), column 'cost': spend 'abc' is not a number",
        ),
        (
            "channel,cost\nsearch,1\nemail,\n",
            {},
            r"row 1 \(line 3\), column 'cost': spend '' is missing",
        ),
        ("channel,cost\nsearch,-5\n", {}, r"row 0 \(line 2\), column 'cost': spend .* is negative"),
        ("channel,cost\nsearch,inf\n", {}, r"spend .* is infinite"),
        ("channel,cost\n,3\n", {}, r"row 0 \(line 2\), column 'channel': missing channel name"),
        ("channel,cost,period\nsearch,1,soon\n", {"start": "2026-01-01"}, r"'soon' is not a date"),
        ("channel,cost\nsearch,1\n", {"start": "2026-01-01"}, r"no column 'period'"),
    ],
)
def test_bad_cost_tables(tmp_path, text, kwargs, match):
    p = tmp_path / "spend.csv"
    p.write_text(text)
    with pytest.raises(ValueError, match=match):
        roi(_result(), p, **kwargs)


def test_cost_file_delimiters_and_parse_errors(tmp_path):
    p = tmp_path / "spend.csv"
    p.write_text("channel|cost\nNA|5\nnull|7\n")  # csv.Sniffer split this on 'n'
    assert read_costs(p).to_dict() == {"NA": 5.0, "null": 7.0}
    p.write_text("channel cost\nsearch 5\n")
    with pytest.raises(ValueError, match=r"spend\.csv: cannot tell the delimiter"):
        read_costs(p)
    assert read_costs(p, delimiter=" ").to_dict() == {"search": 5.0}
    assert roi(_result(), p, delimiter=" ").loc["search", "cost"] == 5.0
    p.write_text('channel,cost\nsearch,"5\n')
    with pytest.raises(ValueError, match=r"spend\.csv: cannot parse as CSV \(.*EOF"):
        read_costs(p)


def test_unknown_channels_are_named_or_kept():
    with pytest.raises(ValueError, match=r"'serach'; did you mean 'search'\?"):
        roi(_result(), {"serach": 10.0})
    out = roi(_result(), {"serach": 10.0, "search": 30.0}, unknown="keep")
    assert out.loc["serach", "conversions"] == 0 and out.loc["serach", "roi"] == -1.0
    assert out.loc["serach", "cost_per_conversion"] == np.inf
    with pytest.raises(TypeError, match="AttributionResult"):
        roi("linear", {"search": 1.0})
    with pytest.raises(TypeError, match="costs must be"):
        roi(_result(), 3.0)
    with pytest.raises(FileNotFoundError, match=r"nope\.csv"):
        roi(_result(), "nope.csv")


@pytest.fixture
def journeys():
    return Journeys.from_paths(
        ["a > b", "b > c", "a", "c", "b"],
        conversions=[1, 1, 1, 0, 0],
        nulls=[0, 0, 1, 1, 1],
        values=[10.0, 20.0, 5.0, 0.0, 0.0],
    )


def test_compare_adds_returns_for_every_model(journeys):
    spend = {"a": 5.0, "b": 10.0}
    tidy = compare(journeys, ["first_touch", "linear"], costs=spend)
    for label in ("first_touch", "linear"):
        rows = tidy[tidy.model == label].set_index("channel")
        expect = roi(get_model(label).fit_attribute(journeys), spend)
        np.testing.assert_allclose(rows["roas"], expect["roas"])
        np.testing.assert_allclose(rows["cost"], expect["cost"])
    # first touch: a gets journeys 1 and 3 (value 15 on spend 5)
    assert tidy.set_index(["model", "channel"]).loc[("first_touch", "a"), "roas"] == 3.0
    with pytest.raises(ValueError, match="spend on channels not in the journeys: 'z'"):
        compare(journeys, ["linear"], costs={"z": 1.0})


def test_bootstrap_intervals_reach_the_returns(journeys):
    b = bootstrap("linear", journeys, 50, random_state=0)
    out = roi(b, {"a": 5.0, "b": 10.0, "c": 1.0})
    assert {"roas_ci_low", "roas_ci_high", "cost_per_conversion_ci_high"} <= set(out.columns)
    ok = out["roas_ci_low"].notna()
    assert (out["roas_ci_low"][ok] <= out["roas_ci_high"][ok]).all()


def test_cli_costs(tmp_path, capsys):
    p = tmp_path / "spend.csv"
    p.write_text("channel,cost\nalpha,1000\nbeta,2000\n")
    assert main(["attribute", "example", "--model", "linear", "--costs", str(p)]) == 0
    out = capsys.readouterr().out
    assert "return on it as credited by linear" in out and "roas" in out
    assert (
        main(
            [
                "compare",
                "example",
                "--models",
                "linear,markov",
                "--costs",
                str(p),
                "--format",
                "csv",
            ]
        )
        == 0
    )
    tidy = pd.read_csv(pd.io.common.StringIO(capsys.readouterr().out))
    assert {"cost", "roas", "roi", "cost_per_conversion"} <= set(tidy.columns)
    assert (
        main(["attribute", "example", "--model", "linear", "--costs", str(tmp_path / "x.csv")]) == 2
    )
    assert "no such file" in capsys.readouterr().err


def test_spend_on_unknown_channels_names_the_file_and_the_way_out(tmp_path):
    from attribution_lab.roi import UNKNOWN_SPEND_HINT

    p = tmp_path / "c.csv"
    p.write_text("channel,cost\nsearch,10\nserach,30\n")
    with pytest.raises(ValueError) as exc:
        roi(_result(), str(p))
    msg = str(exc.value)
    assert msg.startswith(f"{p}: spend on channels not in the result: 'serach'; did you mean")
    assert msg.endswith("; correct the names in the spend table" + UNKNOWN_SPEND_HINT)
    # a Series read from the file still names it; compare has no unknown='keep' to offer
    spend = read_costs(str(p))
    assert spend.attrs["source"] == str(p)
    with pytest.raises(ValueError, match=r"correct the names in the spend table$") as exc:
        compare(Journeys.from_paths(["search"], [1]), ["linear"], costs=spend)
    assert str(exc.value).startswith(f"{p}: spend on channels not in the journeys: 'serach'")


def test_spend_in_messages_is_shown_plainly(tmp_path):
    p = tmp_path / "c.csv"
    p.write_text("channel,cost\nsearch,-10\n")
    with pytest.raises(
        ValueError, match=r"row 0 \(line 2\), column 'cost': spend -10 is negative$"
    ):
        read_costs(str(p))


def test_cli_unknown_spend_hint_is_not_python(tmp_path, capsys):
    costs = tmp_path / "c.csv"
    costs.write_text("channel,cost\nalpha,10\nbetta,30\n")
    assert main(["attribute", "example", "--model", "linear", "--costs", str(costs)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and f"{costs}: spend on channels not in the result: 'betta'" in err[0]
    assert err[0].endswith("; correct the names in the spend table")
