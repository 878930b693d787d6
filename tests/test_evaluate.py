"""Metrics against ground truth, compare() with a truth, agreement between models."""

from __future__ import annotations

import matplotlib
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from attribution_lab import (
    AgreementResult,
    AttributionResult,
    Journeys,
    accuracy,
    accuracy_table,
    agreement,
    compare,
    get_model,
)
from attribution_lab.evaluate import METRICS
from attribution_lab.plot import plot_agreement
from attribution_lab.simulate import GroundTruth, simulate

matplotlib.use("Agg")


def result(names, conversions, value=None, *, model="m", total=None, **kwargs):
    conversions = np.asarray(conversions, dtype=float)
    value = np.zeros_like(conversions) if value is None else np.asarray(value, dtype=float)
    return AttributionResult(
        names,
        conversions,
        value,
        total_conversions=conversions.sum() if total is None else total,
        total_value=value.sum(),
        estimand="rule",
        model=model,
        check_totals=total is None,
        **kwargs,
    )


@pytest.fixture(scope="module")
def markov_sim():
    return simulate("markov", 20_000, random_state=3)


# ----------------------------------------------------------------------------- accuracy
def test_total_variation_of_half_split_against_all_on_one_is_half():
    m = accuracy(result(["a", "b"], [5, 5]), result(["a", "b"], [10, 0]))
    assert list(m.index) == list(METRICS)
    assert m["tv_share"] == 0.5
    assert m["mae"] == m["rmse"] == m["max_error"] == 5.0
    # a constant credit has no ranking: undefined, not zero
    assert np.isnan(m["spearman"]) and np.isnan(m["kendall"])
    assert np.isnan(m["tv_value_share"])  # no value anywhere
    assert np.isnan(m["coverage"])  # no intervals


def test_accuracy_hand_computed_against_a_rescaled_ground_truth():
    # true incremental credit 6, 3, 1 of 20 conversions: shares .6, .3, .1
    truth = GroundTruth(
        ("a", "b", "c"),
        "incremental",
        np.array([6.0, 3.0, 1.0]),
        np.array([60.0, 30.0, 10.0]),
        total_conversions=20,
        total_value=200,
    )
    # the result distributes 10 conversions, so the truth becomes 6, 3, 1 of 10
    m = accuracy(result(["c", "a", "b"], [1, 5, 4], [10, 50, 40]), truth, k=2)
    assert m["tv_share"] == pytest.approx(0.1)  # 0.5 * (.1 + .1 + 0)
    assert m["tv_value_share"] == pytest.approx(0.1)
    assert m["mae"] == pytest.approx(2 / 3)
    assert m["rmse"] == pytest.approx(np.sqrt(2 / 3))
    assert m["max_error"] == pytest.approx(1.0)
    assert m["spearman"] == pytest.approx(1.0) and m["kendall"] == pytest.approx(1.0)
    assert m["top_k_overlap"] == 1.0

    flipped = accuracy(result(["a", "b", "c"], [1, 4, 5]), truth, k=1)
    assert flipped["spearman"] == pytest.approx(-1.0)
    assert flipped["kendall"] == pytest.approx(-1.0)
    assert flipped["top_k_overlap"] == 0.0  # top 1: c against a
    assert accuracy(result(["a", "b", "c"], [1, 4, 5]), truth, k=2)["top_k_overlap"] == 0.5
    # k beyond the number of channels compares all of them
    assert accuracy(result(["a", "b", "c"], [1, 4, 5]), truth, k=10)["top_k_overlap"] == 1.0


def test_coverage_counts_channels_whose_interval_holds_the_true_credit():
    truth = result(["a", "b", "c", "d"], [4, 3, 2, 1])
    guess = result(
        ["a", "b", "c", "d"],
        [4, 3, 2, 1],
        ci_low=[3.5, 3.1, 1.0, 1.0],  # b misses from above; d's bound is inclusive
        ci_high=[4.5, 4.0, 2.5, 2.0],
    )
    m = accuracy(guess, truth)
    assert m["coverage"] == 0.75
    assert m["tv_share"] == 0 and m["mae"] == 0 and m["spearman"] == pytest.approx(1.0)


def test_result_not_distributing_the_total_is_compared_on_its_shares():
    # credit summing to 8 of 10 conversions (e.g. a Shapley game with v(N) < total)
    guess = result(["a", "b"], [6, 2], total=10)
    m = accuracy(guess, result(["a", "b"], [6, 4]))
    assert m["tv_share"] == pytest.approx(0.5 * (0.0 + 0.2))
    assert m["max_error"] == pytest.approx(2.0)


def test_truth_itself_scores_perfectly(markov_sim):
    _, truth = markov_sim
    m = accuracy(truth.to_result(), truth)
    assert m["tv_share"] == pytest.approx(0, abs=1e-12)
    assert m["tv_value_share"] == pytest.approx(0, abs=1e-12)
    assert m["max_error"] == pytest.approx(0, abs=1e-9)
    assert m["spearman"] == pytest.approx(1) and m["top_k_overlap"] == 1


credits = st.lists(st.integers(0, 50), min_size=3, max_size=3).filter(lambda c: sum(c) > 0)


@settings(max_examples=60, deadline=None)
@given(credits, credits, credits)
def test_distances_are_a_metric_and_agree_with_accuracy(x, y, z):
    rx, ry, rz = (result(["a", "b", "c"], c, model=m) for c, m in ((x, "x"), (y, "y"), (z, "z")))
    d = agreement([rx, ry, rz]).distance
    assert d.loc["x", "y"] == pytest.approx(accuracy(rx, ry)["tv_share"])
    assert d.loc["x", "y"] == pytest.approx(d.loc["y", "x"])
    assert 0 <= d.loc["x", "y"] <= 1
    assert d.loc["x", "z"] <= d.loc["x", "y"] + d.loc["y", "z"] + 1e-12
    rho = agreement([rx, ry]).spearman.loc["x", "y"]
    expected = accuracy(rx, ry)["spearman"]
    assert (np.isnan(rho) and np.isnan(expected)) or rho == pytest.approx(expected)


@pytest.mark.parametrize(
    ("names", "match"),
    [
        (["a", "b", "x"], "channel 'c' of the truth is missing from result 'm'"),
        (["a", "b", "c", "x"], "channel 'x' of result 'm' is not in the truth"),
        (["a", "x", "y"], r"channel 'b' .* \(3 more mismatched channels\)"),
    ],
)
def test_misaligned_channels_are_named(names, match):
    truth = result(["a", "b", "c"], [1, 2, 3])
    with pytest.raises(ValueError, match=match):
        accuracy(result(names, np.ones(len(names))), truth)


@pytest.mark.parametrize("k", [0, -1, 1.5, True, "3"])
def test_bad_k(k):
    r = result(["a", "b"], [1, 2])
    with pytest.raises(ValueError, match="k must be a positive integer"):
        accuracy(r, r, k=k)


def test_bad_types():
    r = result(["a", "b"], [1, 2])
    with pytest.raises(TypeError, match="result must be an AttributionResult"):
        accuracy(r.to_frame(), r)
    with pytest.raises(TypeError, match="truth must be a GroundTruth or an AttributionResult"):
        accuracy(r, {"a": 1.0, "b": 2.0})


# ----------------------------------------------------------------------------- compare
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


def test_compare_accepts_the_model_listing():
    from attribution_lab import available_models, compare

    j = Journeys.from_paths(["A > B", "B"], conversions=[1, 1])
    timed = [n for n in available_models() if n not in available_models(j)]
    assert "hazard" in timed and all(get_model(n).needs_times for n in timed)
    with pytest.warns(UserWarning, match="left out hazard, point_process: they need touch times"):
        wide = compare(j, available_models(), wide=True)
    assert list(wide.columns) == [n for n in available_models() if n not in timed]


def test_compare_with_truth_adds_truth_rows_and_errors(markov_sim):
    journeys, truth = markov_sim
    tidy = compare(journeys, ["last_touch", "markov"], truth=truth)
    assert list(dict.fromkeys(tidy["model"])) == ["truth", "last_touch", "markov"]
    for col in ("true_conversions", "true_value", "true_share", "error", "share_error"):
        assert tidy[col].notna().all()
    t = tidy[tidy["model"] == "truth"].set_index("channel")
    np.testing.assert_allclose(t["conversions"], truth.share * journeys.n_conversions)
    np.testing.assert_allclose(t["value"], truth.value_share * journeys.total_value)
    assert (t["error"] == 0).all() and (t["share_error"] == 0).all()
    np.testing.assert_allclose(tidy["error"], tidy["conversions"] - tidy["true_conversions"])
    np.testing.assert_allclose(tidy["share_error"], tidy["share"] - tidy["true_share"])
    np.testing.assert_allclose(tidy["value_error"], tidy["value"] - tidy["true_value"])
    # every model distributes the same total as the truth, so errors cancel per model
    np.testing.assert_allclose(tidy.groupby("model")["error"].sum(), 0, atol=1e-6)
    # the model consistent for this world is closer than last touch
    mae = tidy.groupby("model")["error"].apply(lambda e: e.abs().mean())
    assert mae["markov"] < mae["last_touch"]

    wide = compare(journeys, ["last_touch"], truth, wide=True)
    assert list(wide.columns) == ["truth", "last_touch"]
    np.testing.assert_allclose(wide["truth"].to_numpy(), truth.share)


def test_compare_without_truth_is_unchanged():
    j = Journeys.from_paths(["A > B", "B"], conversions=[1, 1], values=[4.0, 2.0])
    tidy = compare(j, ["first_touch", "last_touch"])
    assert "true_conversions" not in tidy and "truth" not in set(tidy["model"])


def test_compare_with_truth_rejects_clashes():
    j = Journeys.from_paths(["A > B", "B"], conversions=[1, 1])
    truth = result(["A", "B"], [1, 1])
    with pytest.raises(ValueError, match="labelled 'truth'"):
        compare(j, {"truth": "linear"}, truth=truth)
    with pytest.raises(ValueError, match="channel 'C' of the truth is missing from the journeys"):
        compare(j, ["linear"], truth=result(["A", "B", "C"], [1, 1, 1]))
    with pytest.raises(TypeError, match="truth must be"):
        compare(j, ["linear"], truth=[0.5, 0.5])


def test_compare_with_bootstrap_keeps_interval_columns(markov_sim):
    journeys, truth = markov_sim
    small = journeys.subset(np.arange(4000))
    a = compare(small, ["linear", "markov"], truth, n_boot=20, random_state=7)
    b = compare(small, ["linear", "markov"], truth, n_boot=20, random_state=7)
    pd.testing.assert_frame_equal(a, b)
    models = a[a["model"] != "truth"]
    for col in ("stderr", "ci_low", "ci_high"):
        assert models[col].notna().all()
        assert a.loc[a["model"] == "truth", col].isna().all()
    assert (models["ci_low"] <= models["conversions"]).all()
    assert (models["conversions"] <= models["ci_high"]).all()
    table = accuracy_table(a)
    assert table["coverage"].between(0, 1).all()


# ----------------------------------------------------------------------------- accuracy_table
def test_accuracy_table_from_compare_frame_matches_results(markov_sim):
    journeys, truth = markov_sim
    tidy = compare(journeys, ["first_touch", "last_touch", "markov"], truth=truth)
    from_frame = accuracy_table(tidy)
    assert list(from_frame.index) == ["first_touch", "last_touch", "markov"]
    assert list(from_frame.columns) == ["estimand", *METRICS]
    assert from_frame.loc["markov", "estimand"] == "removal_effect"
    from attribution_lab import get_model

    results = {m: get_model(m).fit(journeys).attribute() for m in from_frame.index}
    direct = accuracy_table(results, truth)
    pd.testing.assert_frame_equal(from_frame, direct, check_exact=False, rtol=1e-9)
    # a list of results is labelled by model name
    listed = accuracy_table(list(results.values()), truth)
    pd.testing.assert_frame_equal(listed, direct)
    assert direct["tv_share"].idxmin() == "markov"


def test_accuracy_table_needs_a_truth():
    j = Journeys.from_paths(["A > B", "B"], conversions=[1, 1])
    with pytest.raises(ValueError, match="no truth"):
        accuracy_table(compare(j, ["linear"]))
    r = result(["A", "B"], [1, 1])
    with pytest.raises(ValueError, match="two results are labelled 'm'"):
        accuracy_table([r, r], r)
    with pytest.raises(TypeError, match="several results"):
        accuracy_table(r, r)
    with pytest.raises(ValueError, match="lacks columns"):
        accuracy_table(pd.DataFrame({"model": ["x"], "channel": ["A"]}), r)


# ----------------------------------------------------------------------------- agreement
def test_agreement_matrices_by_hand():
    # shares: first touch (.5, .25, .25), last touch (0, .5, .5), linear (.25, .375, .375)
    j = Journeys.from_paths(["A > B", "B > C", "C"], conversions=[2, 1, 1])
    agree = agreement(compare(j, ["first_touch", "last_touch", "linear"]))
    assert isinstance(agree, AgreementResult)
    expected = np.array([[0, 0.5, 0.25], [0.5, 0, 0.25], [0.25, 0.25, 0]])
    np.testing.assert_allclose(agree.distance.to_numpy(), expected)
    assert list(agree.distance.index) == ["first_touch", "last_touch", "linear"]
    rho = agree.spearman.to_numpy()
    np.testing.assert_allclose(rho, [[1, -1, -1], [-1, 1, 1], [-1, 1, 1]])
    pairs = agree.to_frame()
    assert len(pairs) == 3 and list(pairs.columns) == ["model_a", "model_b", "distance", "spearman"]


def test_agreement_is_symmetric_with_zero_diagonal_from_any_input(markov_sim):
    journeys, truth = markov_sim
    models = ["first_touch", "last_touch", "linear", "position_based", "markov"]
    tidy = compare(journeys, models, truth=truth)
    agree = agreement(tidy)
    d, rho = agree.distance.to_numpy(), agree.spearman.to_numpy()
    assert list(agree.distance.index) == ["truth", *models]
    np.testing.assert_allclose(d, d.T)
    np.testing.assert_array_equal(np.diag(d), 0)
    assert ((d >= 0) & (d <= 1)).all()
    np.testing.assert_allclose(rho, rho.T)
    np.testing.assert_array_equal(np.diag(rho), 1)
    # the same numbers from results, from the wide table, and as accuracy() gives them
    from attribution_lab import get_model

    results = {m: get_model(m).fit(journeys).attribute() for m in models}
    np.testing.assert_allclose(agreement(results).distance, agree.distance.iloc[1:, 1:])
    np.testing.assert_allclose(
        agreement(compare(journeys, models, wide=True)).distance, agree.distance.iloc[1:, 1:]
    )
    acc = accuracy_table(results, truth)
    np.testing.assert_allclose(agree.distance.loc["truth", models], acc["tv_share"])
    np.testing.assert_allclose(agree.spearman.loc["truth", models], acc["spearman"])
    by_value = agreement(results, on="value_share")
    assert by_value.on == "value_share"
    assert not np.allclose(by_value.distance, agree.distance.iloc[1:, 1:])


def test_agreement_with_a_flat_model_has_undefined_correlation():
    flat = result(["a", "b", "c"], [1, 1, 1], model="flat")
    r1 = result(["a", "b", "c"], [3, 2, 1], model="r1")
    r2 = result(["c", "b", "a"], [3, 2, 1], model="r2")  # channel order differs: aligned
    agree = agreement([flat, r1, r2])
    rho = agree.spearman
    assert np.isnan(rho.loc["flat", "r1"]) and np.isnan(rho.loc["r2", "flat"])
    assert rho.loc["flat", "flat"] == 1.0
    assert rho.loc["r1", "r2"] == pytest.approx(-1.0)
    assert agree.distance.loc["r1", "r2"] == pytest.approx(0.5 * (2 / 6 + 0 + 2 / 6))


def test_agreement_errors():
    r1 = result(["a", "b"], [1, 2], model="r1")
    with pytest.raises(ValueError, match="channel 'c' of result 'r2' is not in the first result"):
        agreement([r1, result(["a", "b", "c"], [1, 1, 1], model="r2")])
    with pytest.raises(ValueError, match="on must be"):
        agreement([r1], on="value")
    with pytest.raises(TypeError, match="results must be"):
        agreement(42)


def test_agreement_heatmap():
    j = Journeys.from_paths(["A > B", "B > C", "C"], conversions=[2, 1, 1])
    agree = agreement(compare(j, ["first_touch", "last_touch", "linear"]))
    ax = agree.plot()
    assert [t.get_text() for t in ax.get_yticklabels()] == ["first_touch", "last_touch", "linear"]
    assert len(ax.texts) == 9 and ax.texts[1].get_text() == "0.50"
    ax = agree.plot(what="spearman", annotate=False)
    assert len(ax.texts) == 0 and "Spearman" in ax.get_title()
    flat = agreement([result(["a", "b"], [1, 1], model="f"), result(["a", "b"], [2, 1])])
    assert "n/a" in [t.get_text() for t in flat.plot(what="spearman").texts]
    with pytest.raises(ValueError, match="what must be"):
        agree.plot(what="kendall")
    with pytest.raises(ValueError, match="square"):
        plot_agreement(agree.distance.iloc[:2])
    with pytest.raises(TypeError, match="DataFrame"):
        plot_agreement(agree.distance.to_numpy())


def test_compare_can_skip_models_that_fail():
    from attribution_lab import ShapleyAttribution, compare

    j = Journeys.from_paths(["A > B", "B", "C"], conversions=[1, 1, 0], nulls=[0, 0, 2])
    bad = ShapleyAttribution(game="set_rate", game_params={"policy": "zero"})  # v(N) = 0
    with pytest.raises(ValueError, match="sum to"):
        compare(j, {"linear": "linear", "zero": bad})
    with pytest.warns(UserWarning, match=r"left out models that failed: zero \(ValueError"):
        tidy = compare(j, {"linear": "linear", "zero": bad}, errors="skip")
    assert tidy.model.unique().tolist() == ["linear"]
    assert "zero" in tidy.attrs["failed"]
    with pytest.raises(ValueError, match="every model failed"), pytest.warns(UserWarning):
        compare(j, {"zero": bad}, errors="skip")
    with pytest.raises(ValueError, match="errors must be"):
        compare(j, ["linear"], errors="ignore")
