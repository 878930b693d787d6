"""Worlds with known truth: GroundTruth, MarkovWorld, CoalitionWorld, scenarios and the CLI."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.linear_model import LogisticRegression

from attribution_lab.cli import main
from attribution_lab.markov import MarkovAttribution, fit_chain, removal_effects
from attribution_lab.shapley import ShapleyAttribution
from attribution_lab.simulate import (
    CoalitionWorld,
    GroundTruth,
    MarkovWorld,
    make_world,
    scenarios,
    simulate,
)


def tv(a: np.ndarray, b: np.ndarray) -> float:
    return 0.5 * float(np.abs(a - b).sum())


# -- GroundTruth ---------------------------------------------------------------------------


def test_ground_truth_shares_result_and_json():
    t = GroundTruth(
        ("a", "b", "c"),
        "incremental",
        np.array([2.0, 1.0, 1.0]),
        np.array([10.0, 0.0, 30.0]),
        total_conversions=8,
        total_value=80,
        description="by hand",
        details={"incremental_conversions": [2.0, 1.0, 1.0]},
    )
    assert t.share.tolist() == [0.5, 0.25, 0.25]
    assert t.value_share.tolist() == [0.25, 0.0, 0.75]
    r = t.to_result()
    # rescaled to the journeys' totals so that it sits beside any model's result
    assert r.conversions.tolist() == [4.0, 2.0, 2.0]
    assert r.value.tolist() == [20.0, 0.0, 60.0]
    assert r.model == "truth" and r.estimand == "incremental"
    assert r.details["true_incremental"].tolist() == [2.0, 1.0, 1.0]
    d = json.loads(t.to_json())
    assert d["channels"]["c"]["value"] == 30.0 and d["estimand"] == "incremental"
    assert list(t.to_frame().columns[:4]) == ["conversions", "value", "share", "value_share"]


def test_ground_truth_rejects_bad_input():
    with pytest.raises(ValueError, match="estimand"):
        GroundTruth(("a",), "magic", np.ones(1), np.ones(1), 1, 1)
    with pytest.raises(ValueError, match="conversions must be 2 finite"):
        GroundTruth(("a", "b"), "shapley", np.array([1.0, np.nan]), np.ones(2), 1, 1)
    with pytest.raises(ValueError, match="details"):
        GroundTruth(("a", "b"), "shapley", np.ones(2), np.ones(2), 1, 1, details={"x": [1.0]})


# -- MarkovWorld -------------------------------------------------------------------------------


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), order=st.sampled_from([1, 2]))
def test_markov_world_walks_only_the_chains_transitions(seed, order):
    world = MarkovWorld.random(4, order=order, random_state=seed)
    journeys, truth = world.simulate(3000, random_state=seed)
    fitted = fit_chain(journeys, order)
    true_index = {name: k for k, name in enumerate(world.chain.index)}
    fitted_index = fitted.index
    coo = fitted.counts.tocoo()
    p = world.chain.probabilities
    for i, k in zip(coo.row, coo.col, strict=True):
        # every observed transition has positive probability in the true chain
        assert p[true_index[fitted_index[i]], true_index[fitted_index[k]]] > 0
    assert truth.estimand == "removal_effect"
    assert truth.conversions.sum() == pytest.approx(journeys.n_conversions)
    assert truth.value.sum() == pytest.approx(journeys.total_value)
    assert np.all((journeys.conversions + journeys.nulls) == 1.0)
    # value only on converting journeys
    assert np.all(journeys.value[journeys.conversions == 0] == 0)


def test_markov_world_is_reproducible():
    world = make_world("markov")
    a = world.simulate(500, random_state=3)
    b = world.simulate(500, random_state=3)
    c = world.simulate(500, random_state=4)
    assert np.array_equal(a.journeys.channels, b.journeys.channels)
    assert np.array_equal(a.journeys.value, b.journeys.value)
    assert not np.array_equal(a.journeys.offsets, c.journeys.offsets)
    np.testing.assert_array_equal(
        a.truth.details["removal_effect"], c.truth.details["removal_effect"]
    )


def test_markov_world_truth_is_its_chains_removal_effects():
    world = make_world("markov2")
    effects, _ = removal_effects(world.chain)
    truth = world.truth(10.0, 0.0)
    np.testing.assert_allclose(truth.details["removal_effect"], effects)
    np.testing.assert_allclose(truth.conversions, 10.0 * effects / effects.sum())


@pytest.mark.parametrize("scenario, order", [("markov", 1), ("markov2", 2)])
def test_markov_recovers_markov_world_within_one_percent(scenario, order):
    # 1e6 journeys: the fitted chain's removal effects carry sampling noise of about
    # 0.1% per channel here (measured over seeds: max 0.25%), so 1% is several sigma
    journeys, truth = simulate(scenario, 1_000_000, random_state=7)
    r = MarkovAttribution(order=order).fit(journeys).attribute()
    np.testing.assert_allclose(r.conversions, truth.conversions, rtol=0.01)
    np.testing.assert_allclose(r.value, truth.value, rtol=0.01)
    if order == 2:
        # the first-order model cannot see it: a clear miss, not noise
        r1 = MarkovAttribution(order=1).fit(journeys).attribute()
        assert tv(r1.share, truth.share) > 5 * tv(r.share, truth.share)


def test_markov_world_small_sample_tolerance():
    # 2e4 journeys: shares are noisy at the 1-2% level; 0.05 total variation is far beyond
    # that noise and far below a wrong model
    journeys, truth = simulate("markov", 20_000, random_state=1)
    r = MarkovAttribution().fit(journeys).attribute()
    assert tv(r.share, truth.share) < 0.05


def test_markov_world_rejects_bad_input():
    world = make_world("markov")
    with pytest.raises(TypeError, match="MarkovChain"):
        MarkovWorld("chain")
    with pytest.raises(ValueError, match="order must be 1 or 2"):
        MarkovWorld.random(3, order=3)
    with pytest.raises(ValueError, match="n_journeys"):
        world.simulate(0)
    with pytest.raises(TypeError, match="n_journeys"):
        world.simulate("10")
    with pytest.raises(ValueError, match="mean_length"):
        MarkovWorld.random(3, mean_length=1)


def test_markov_world_counts_truncated_walks():
    world = MarkovWorld.random(3, mean_length=50, random_state=0, max_steps=2)
    with pytest.warns(RuntimeWarning, match="still running"):
        sim = world.simulate(200, random_state=0)
    assert sim.params["truncated_walks"] > 0
    assert sim.journeys.lengths.max() <= 2


# -- CoalitionWorld -----------------------------------------------------------------------


def brute_force_truth(world: CoalitionWorld, masks: np.ndarray) -> np.ndarray:
    """Shapley values of v(S) = sum_j p(S_j & S) over all n! orders, slowly."""
    n = world.n_channels
    p = {s: float(world.conversion_probability([s])[0]) for s in range(1 << n)}

    def v(s: int) -> float:
        return sum(p[int(m) & s] for m in masks)

    phi = np.zeros(n)
    orders = list(itertools.permutations(range(n)))
    for order in orders:
        s = 0
        for c in order:
            phi[c] += v(s | (1 << c)) - v(s)
            s |= 1 << c
    return phi / len(orders)


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_coalition_truth_matches_brute_force(seed):
    rng = np.random.default_rng(seed)
    n = 4
    world = CoalitionWorld(
        rng.uniform(0.1, 0.9, n),
        intercept=rng.normal(-1, 1),
        effects=rng.normal(0, 1, n),
        interactions={(0, 1): rng.normal(), (2, 3): rng.normal()},
    )
    sim = world.simulate(40, random_state=seed)
    sets = np.zeros(40, dtype=np.int64)
    j = sim.journeys
    journey = np.repeat(np.arange(40), j.lengths)
    np.bitwise_or.at(sets, journey, np.int64(1) << j.channels.astype(np.int64))
    np.testing.assert_allclose(sim.truth.conversions, brute_force_truth(world, sets), atol=1e-10)
    # efficiency: the values share v(N) - v(empty)
    v_all = world.conversion_probability(sets).sum()
    v_none = 40 * world.conversion_probability([0])[0]
    assert sim.truth.conversions.sum() == pytest.approx(v_all - v_none)


def test_coalition_world_journeys_touch_exactly_their_sets():
    world = make_world("coalition")
    sim = world.simulate(2000, random_state=5)
    j = sim.journeys
    assert j.lengths.min() >= 1
    assert set(np.unique(j.channels)) == set(range(world.n_channels))
    # a channel with no effect on conversion or value gets no Shapley credit
    direct = world.channel_names.index("direct")
    assert sim.truth.conversions[direct] == pytest.approx(0.0, abs=1e-9)
    assert sim.truth.value[direct] == pytest.approx(0.0, abs=1e-6)
    again = world.simulate(2000, random_state=5)
    assert np.array_equal(again.journeys.channels, j.channels)


def test_shapley_of_matching_game_recovers_coalition_world():
    # Main-effect logit world: a logistic ModelGame is the matching game. Over 8 seeds at
    # 1e6 journeys the largest error was 0.44% of the credited total (RMS 0.2%), so 1% is
    # about five standard errors.
    world = CoalitionWorld([0.6, 0.5, 0.4, 0.5], intercept=-1.5, effects=[0.5, 1.0, 0.8, 0.0])
    journeys, truth = world.simulate(1_000_000, random_state=2)
    model = ShapleyAttribution(
        game="model",
        game_params={"estimator": LogisticRegression(C=1e6, max_iter=5000)},
        estimator="exact",
    )
    phi = model.fit(journeys).attribute().details["shapley_value"]
    assert np.abs(phi - truth.conversions).max() <= 0.01 * truth.conversions.sum()


def test_coalition_world_rejects_bad_input():
    with pytest.raises(ValueError, match="exposure probabilities"):
        CoalitionWorld([0.5, 1.5], 0.0, [0.1, 0.1])
    with pytest.raises(ValueError, match="effects must be"):
        CoalitionWorld([0.5, 0.5], 0.0, [0.1, 0.1, 0.1])
    with pytest.raises(ValueError, match="interaction"):
        CoalitionWorld([0.5, 0.5], 0.0, [0.1, 0.1], interactions={(0, 0): 1.0})
    with pytest.raises(ValueError, match="at most"):
        CoalitionWorld(np.full(20, 0.5), 0.0, np.zeros(20))


# -- scenarios and CLI ---------------------------------------------------------------------


def test_every_scenario_simulates_with_a_valid_truth():
    for name in scenarios():
        sim = simulate(name, 400, random_state=0)
        assert sim.journeys.n_journeys == 400, name
        for truth in sim.truths.values():
            assert truth.channel_names == sim.journeys.channel_names, name
            assert np.all(np.isfinite(truth.conversions)), name
        assert sim.truths[sim.truth.estimand] is sim.truth
        frame = sim.touch_frame()
        assert len(frame) == sim.journeys.channels.size


def test_unknown_scenario():
    with pytest.raises(ValueError, match="unknown scenario"):
        make_world("nope")


def test_cli_simulate_and_scenarios(tmp_path, capsys):
    assert main(["scenarios"]) == 0
    assert "markov2" in capsys.readouterr().out
    prefix = str(tmp_path / "sub" / "m")
    assert main(["simulate", "markov", "--n", "300", "--seed", "4", "--out", prefix]) == 0
    out = capsys.readouterr().out
    assert "300 journeys" in out
    record = json.loads((tmp_path / "sub" / "m_truth.json").read_text())
    assert record["main_truth"] == "removal_effect" and record["seed"] == 4
    sim = simulate("markov", 300, random_state=4)
    shares = [
        record["truths"]["removal_effect"]["channels"][c]["share"]
        for c in sim.journeys.channel_names
    ]
    np.testing.assert_allclose(shares, sim.truth.share)
    from attribution_lab import Journeys

    back = Journeys.from_path_table(str(tmp_path / "sub" / "m_paths.csv"))
    assert back.n_conversions == sim.journeys.n_conversions
    assert (tmp_path / "sub" / "m_events.csv").read_text().startswith("journey,position,channel")
    assert main(["simulate", "nope", "--out", prefix]) == 2
    assert (
        main(["simulate", "coalition", "--n", "50", "--out", prefix, "--param", "intercept=x"]) == 2
    )
