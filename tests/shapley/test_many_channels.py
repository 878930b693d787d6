"""Shapley games at hundreds of channels: the closed forms from the subsets of the observed
channel sets against the 2^n enumeration, the axioms at 300 channels, refusals, and the
sampling estimators on coalitions wider than 63 players."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from attribution_lab import Journeys
from attribution_lab.rules import LinearAttribution
from attribution_lab.shapley import (
    AdditiveGame,
    AntitheticPermutationSampling,
    CounterfactualRateGame,
    ExactShapley,
    FunctionGame,
    KernelShapley,
    PermutationSampling,
    SetRateGame,
    ShapleyAttribution,
    StratifiedSampling,
    SubsetConversionGame,
    UnanimityGame,
    as_coalitions,
)
from attribution_lab.shapley.sets import MAX_SUBSET_CELLS, ChannelSets, SubsetTables


def wide_journeys(
    seed: int, n_journeys: int, n_channels: int, max_len: int = 6, unused: int = 0
) -> Journeys:
    """Random journeys over `n_channels` channels (Zipf-like popularity), with `unused`
    further channel names that no journey touches."""
    rng = np.random.default_rng(seed)
    pop = 1.0 / np.arange(1, n_channels + 1)
    lengths = rng.integers(1, max_len + 1, n_journeys)
    channels = rng.choice(n_channels, size=int(lengths.sum()), p=pop / pop.sum())
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    conv = rng.integers(0, 3, n_journeys).astype(float)
    nulls = rng.integers(0, 3, n_journeys).astype(float)
    nulls[(conv == 0) & (nulls == 0)] = 1
    names = [f"c{k:03d}" for k in range(n_channels + unused)]
    value = conv * rng.uniform(1, 20, n_journeys)
    return Journeys(channels, offsets, names, conv, nulls, value)


def games(j: Journeys, what: str) -> dict[str, object]:
    return {
        "subset": SubsetConversionGame(j, what),
        "counterfactual zero": CounterfactualRateGame(j, what, policy="zero"),
        "counterfactual smoothed 0.5": CounterfactualRateGame(j, what, strength=0.5),
        "counterfactual smoothed 10": CounterfactualRateGame(j, what),
    }


def table_game(table: np.ndarray, n: int) -> FunctionGame:
    bits = 1 << np.arange(n)
    return FunctionGame(lambda s: table[(s * bits).sum(axis=1)], n)


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(1, 8),
    what=st.sampled_from(["conversions", "value"]),
)
def test_closed_forms_equal_the_enumeration_of_all_coalitions(seed, n, what):
    j = wide_journeys(seed, 40, n)
    masks = np.arange(1 << n)
    for name, game in games(j, what).items():
        phi = game.closed_form()
        # the sparse evaluation of every coalition, enumerated
        values = game(masks)
        exact = ExactShapley().estimate(game)
        np.testing.assert_allclose(exact.values, phi, atol=1e-10, err_msg=name)
        # the 2^n table (the implementation before the sparse one) as the reference
        table = game.table()
        np.testing.assert_allclose(values, table, atol=1e-10, err_msg=name)
        reference = ExactShapley().estimate(table_game(table, n)).values
        np.testing.assert_allclose(phi, reference, atol=1e-10, err_msg=name)


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 7))
def test_subgame_credit_equals_the_table_reference(seed, n):
    from attribution_lab.shapley.exact import intersection_sums, shapley_values_from_table

    j = wide_journeys(seed, 40, n)
    game = SetRateGame(j, policy="subgame")
    sets = ChannelSets(j, "conversions")
    converting = np.where(sets.won > 0, sets.seen, 0.0)
    table = intersection_sums(game.rate_table(), sets.masks(), converting, n)
    np.testing.assert_allclose(
        game.subgame_credit(), shapley_values_from_table(table, n), atol=1e-10
    )


def brute_counterfactual(j: Journeys, coalitions: np.ndarray) -> np.ndarray:
    """v(S) = sum over journeys of customers x observed rate of (channels & S), by loops."""
    won: dict[frozenset, float] = {}
    seen: dict[frozenset, float] = {}
    sets = []
    for k in range(j.n_journeys):
        t = frozenset(j.channels[j.offsets[k] : j.offsets[k + 1]].tolist())
        sets.append(t)
        won[t] = won.get(t, 0.0) + j.conversions[k]
        seen[t] = seen.get(t, 0.0) + j.conversions[k] + j.nulls[k]
    out = []
    for row in coalitions:
        s = set(np.flatnonzero(row).tolist())
        total = 0.0
        for k, t in enumerate(sets):
            kept = frozenset(t & s)
            if kept in won:
                total += (j.conversions[k] + j.nulls[k]) * won[kept] / seen[kept]
        out.append(total)
    return np.array(out)


def test_wide_evaluations_equal_loops_over_journeys():
    j = wide_journeys(3, 300, 90, max_len=5)
    rng = np.random.default_rng(4)
    coalitions = rng.random((12, 90)) < rng.uniform(0.2, 0.95, (12, 1))
    coalitions[0] = True
    got = CounterfactualRateGame(j, policy="zero")(coalitions)
    np.testing.assert_allclose(got, brute_counterfactual(j, coalitions), rtol=1e-12)
    # the set-rate game looks each coalition up among the observed sets
    sets = [frozenset(j.channels[j.offsets[k] : j.offsets[k + 1]].tolist()) for k in range(300)]
    observed = np.zeros((5, 90), dtype=bool)
    for r, t in enumerate(sets[:5]):
        observed[r, list(t)] = True
    rates = SetRateGame(j, policy="zero")(np.vstack([observed, coalitions[1:]]))
    for r, t in enumerate(sets[:5]):
        members = [k for k in range(300) if sets[k] == t]
        conv = j.conversions[members].sum()
        assert rates[r] == pytest.approx(conv / (conv + j.nulls[members].sum()), rel=1e-12)
    assert np.all(rates[5:][coalitions[1:].sum(axis=1) > 5] == 0)  # no path that wide
    # the subset game counts the conversions of the sets inside each coalition
    inside = [
        sum(j.conversions[k] for k in range(300) if set(sets[k]) <= set(np.flatnonzero(row)))
        for row in coalitions
    ]
    np.testing.assert_allclose(SubsetConversionGame(j)(coalitions), inside, rtol=1e-12)


@pytest.fixture(scope="module")
def three_hundred() -> Journeys:
    return wide_journeys(11, 3000, 298, max_len=6, unused=2)


def test_axioms_at_300_channels(three_hundred):
    j = three_hundred
    assert j.n_channels == 300
    n = j.n_channels
    full = np.ones((1, n), dtype=bool)
    for name, game in games(j, "conversions").items():
        phi = game.closed_form()
        # efficiency, with v(N) evaluated by the sparse path
        gap = float(game(full)[0] - game(np.zeros((1, n), dtype=bool))[0])
        assert phi.sum() == pytest.approx(gap, rel=1e-10), name
        # null players: the two channels no journey touches
        assert np.all(phi[-2:] == 0), name
    # relabelling: permuting the channel codes permutes the values
    perm = np.random.default_rng(0).permutation(n)
    relabelled = Journeys(perm[j.channels], j.offsets, j.channel_names, j.conversions, j.nulls)
    for (name, game), other in zip(
        games(j, "conversions").items(), games(relabelled, "conversions").values(), strict=True
    ):
        got = other.closed_form()[perm]
        np.testing.assert_allclose(got, game.closed_form(), atol=1e-10, err_msg=name)


def test_symmetric_channels_at_300_channels(three_hundred):
    j = three_hundred
    # channel 298 always comes with channel 5 and nowhere else: the two are symmetric
    is_five = j.channels == 5
    source = np.repeat(np.arange(j.n_touchpoints), 1 + is_five)
    twin = j.channels[source]
    twin[1:][source[1:] == source[:-1]] = 298  # the copy after each touch of 5
    offsets = j.offsets + np.concatenate([[0], np.cumsum(is_five)])[j.offsets]
    k = Journeys(twin, offsets, j.channel_names, j.conversions, j.nulls)
    for name, game in games(k, "conversions").items():
        phi = game.closed_form()
        assert phi[298] == pytest.approx(phi[5], rel=1e-12, abs=1e-12), name
        assert phi[5] != 0, name


def test_subset_credit_is_unique_channel_linear_at_300_channels(three_hundred):
    j = three_hundred
    credit = ShapleyAttribution(game="subset").fit(j).attribute()
    linear = LinearAttribution(unique_channels=True).fit(j).attribute()
    np.testing.assert_allclose(credit.conversions, linear.conversions, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(credit.value, linear.value, rtol=1e-10, atol=1e-10)
    assert ShapleyAttribution().fit(j).attribute().conversions == pytest.approx(
        linear.conversions, rel=1e-10
    )


@pytest.mark.filterwarnings("ignore::attribution_lab.result.NegativeCreditWarning")
def test_the_default_and_counterfactual_models_run_at_300_channels(three_hundred):
    for game in ("subset", "counterfactual"):
        model = ShapleyAttribution(game=game).fit(three_hundred)
        assert model.shapley_.estimator == "closed form (exact)"
        credit = model.attribute(three_hundred)
        assert credit.conversions.sum() == pytest.approx(three_hundred.n_conversions)


def test_subset_tables_cost_and_ids():
    j = Journeys.from_paths(["A > B > C", "B > C", "C", "D > A"], conversions=[1, 1, 1, 1])
    t = SubsetTables(ChannelSets(j, "conversions"))
    assert t.cells == 8 + 4 + 2 + 4
    # the distinct subsets of {A,B,C}, {B,C}, {C}, {A,D}: 8 + {D}, {A,D}
    assert t.n_subsets == 10


def test_too_many_subset_cells_are_refused_naming_the_widest_journeys():
    # 26 distinct channels in one journey: 2^26 cells
    paths = [" > ".join(f"c{k}" for k in range(26)), "c0 > c1", "c3"]
    j = Journeys.from_paths(paths, conversions=[1, 1, 0], nulls=[0, 1, 2])
    assert 1 << 26 > MAX_SUBSET_CELLS
    with pytest.raises(
        ValueError,
        match=r"counterfactual game.*67,108,870 cells.*1 journey touches more than 20 distinct"
        r" channels, the widest 26.*--group-channels",
    ):
        CounterfactualRateGame(j)
    with pytest.raises(ValueError, match=r"set_rate \(subgame policy\) game"):
        SetRateGame(j, policy="subgame").subgame_credit()
    # the subset game has no such cost: its credit is linear in the sets' sizes
    phi = ShapleyAttribution().fit(j).shapley_.values
    assert phi[0] == pytest.approx(1 / 26 + 1 / 2)


def test_smoothed_set_rate_policy_is_refused_beyond_24_channels():
    j = wide_journeys(0, 200, 30)
    with pytest.raises(ValueError, match=r"smoothed policy.*2\^30 coalitions.*counterfactual"):
        SetRateGame(j)
    with pytest.raises(ValueError, match="at most 24 channels"):
        CounterfactualRateGame(j).table()


def test_integer_bitmasks_are_refused_beyond_63_players():
    with pytest.raises(ValueError, match=r"at most 63 players.*boolean matrix"):
        as_coalitions([1, 2], 64)
    assert as_coalitions(np.zeros((1, 64), dtype=bool), 64).shape == (1, 64)


@pytest.mark.parametrize(
    "estimator",
    [
        PermutationSampling(),
        AntitheticPermutationSampling(),
        KernelShapley(),
        KernelShapley("unbiased"),
        StratifiedSampling(),
    ],
    ids=lambda e: f"{type(e).__name__}",
)
def test_sampling_estimators_on_100_players(estimator):
    n = 100
    budget = max(estimator.min_budget(n), 4000)
    weights = np.linspace(-1.0, 2.0, n)
    r = estimator.estimate(AdditiveGame(weights), budget, random_state=5)
    assert r.estimated and r.n_evaluations <= budget
    if getattr(estimator, "variant", None) == "unbiased":  # exact only in expectation
        assert np.all(np.abs(r.values - weights) <= 6 * r.stderr + 1e-9)
    else:  # an additive game: every marginal contribution is the weight itself
        np.testing.assert_allclose(r.values, weights, atol=1e-8)
    game = UnanimityGame([0, 1], n_players=n)
    r = estimator.estimate(game, budget, random_state=5)
    assert r.values.sum() == pytest.approx(1.0, abs=5 * np.sqrt((r.stderr**2).sum()) + 1e-9)


def test_sampling_wide_channel_games_through_the_model():
    j = wide_journeys(2, 400, 70, max_len=4)
    exact = CounterfactualRateGame(j, policy="zero").closed_form()
    model = ShapleyAttribution(
        game="counterfactual",
        game_params={"policy": "zero"},
        estimator="permutation",
        budget=2 + 69 * 60,
        random_state=0,
    ).fit(j)
    r = model.shapley_
    assert r.estimated and r.values.sum() == pytest.approx(exact.sum(), rel=1e-10)
    touched = np.bincount(j.channels, minlength=70) > 0
    assert np.all(np.abs(r.values - exact)[touched] <= 6 * r.stderr[touched] + 1e-9)
    zero = ShapleyAttribution(
        game="set_rate", game_params={"policy": "zero"}, estimator="antithetic", budget=3000
    )
    with pytest.raises(ValueError, match=r"sum to v\(N\) - v\(empty\) = 0"):
        zero.fit(j)  # no journey touches all 70 channels: the zero policy's pitfall


def test_prefix_blocks_do_not_change_permutation_estimates(monkeypatch):
    from attribution_lab.shapley import sampling

    game = UnanimityGame([0, 3, 7], n_players=12)
    first = PermutationSampling().estimate(game, 2 + 11 * 50, random_state=1)
    monkeypatch.setattr(sampling, "_PREFIX_CELLS", 12 * 11 * 3)  # 3 permutations a block
    second = PermutationSampling().estimate(game, 2 + 11 * 50, random_state=1)
    np.testing.assert_array_equal(first.values, second.values)


def test_brute_force_reference_helper_on_a_hand_example():
    # A converts 1 of 4, AB 3 of 4: v(A) = 8 x 1/4, v(AB) = 1 + 3
    j = Journeys.from_paths(["A", "A > B", "B"], conversions=[1, 3, 0], nulls=[3, 1, 4])
    coalitions = np.array(list(itertools.product([False, True], repeat=2)))[:, ::-1]
    np.testing.assert_allclose(brute_counterfactual(j, coalitions), [0, 2, 0, 4])


@pytest.mark.parametrize("policy", ["zero", "smoothed"])
def test_counterfactual_value_game_shares_tables_and_equals_a_value_game(policy):
    j = wide_journeys(8, 500, 80, max_len=5)
    shared = CounterfactualRateGame(j, policy=policy).value_game()
    built = CounterfactualRateGame(j, "value", policy=policy)
    assert shared.what == built.what == "value"
    np.testing.assert_allclose(shared.closed_form(), built.closed_form(), rtol=1e-12)
    coalitions = np.random.default_rng(0).random((6, 80)) < 0.5
    np.testing.assert_allclose(shared(coalitions), built(coalitions), rtol=1e-12)
    model = ShapleyAttribution(game="counterfactual", game_params={"policy": policy}).fit(j)
    np.testing.assert_allclose(model.value_shapley_.values, built.closed_form(), rtol=1e-12)
