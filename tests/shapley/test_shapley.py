"""Shapley foundation: coalition handling, the exact estimator against brute force, axioms."""

from __future__ import annotations

import itertools
import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from attribution_lab import Journeys, LinearAttribution, get_model, load_pathdata
from attribution_lab.result import NegativeCreditWarning
from attribution_lab.shapley import (
    MAX_EXACT_PLAYERS,
    CounterfactualRateGame,
    ExactShapley,
    FunctionGame,
    ModelGame,
    SetRateGame,
    ShapleyAttribution,
    SubsetConversionGame,
    TouchpointGame,
    as_coalitions,
    exposure_features,
    shapley_values_from_table,
)


def table_game(table: np.ndarray, n: int) -> FunctionGame:
    bits = 1 << np.arange(n)
    return FunctionGame(lambda s: table[(s * bits).sum(axis=1)], n)


def brute_force(table: np.ndarray, n: int) -> np.ndarray:
    """Average marginal contribution over all n! orders of arrival."""
    phi = np.zeros(n)
    for order in itertools.permutations(range(n)):
        mask = 0
        for p in order:
            phi[p] += table[mask | (1 << p)] - table[mask]
            mask |= 1 << p
    return phi / math.factorial(n)


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 6), seed=st.integers(0, 2**32 - 1))
def test_exact_equals_average_over_all_orders(n, seed):
    table = np.random.default_rng(seed).normal(size=1 << n)
    game = table_game(table, n)
    r = ExactShapley(batch_size=5).estimate(game)
    np.testing.assert_allclose(r.values, brute_force(table, n), atol=1e-12)
    assert not r.estimated and r.exact and r.stderr is None
    assert r.n_evaluations == 1 << n == game.n_evaluations
    assert r.values.sum() == pytest.approx(table[-1] - table[0], abs=1e-12)  # efficiency
    assert (r.empty_value, r.grand_value) == (table[0], table[-1])


@settings(max_examples=25, deadline=None)
@given(n=st.integers(2, 8), seed=st.integers(0, 2**32 - 1))
def test_symmetric_and_null_players(n, seed):
    rng = np.random.default_rng(seed)
    # v depends on the coalition only through its size, except that player 0 is null
    by_size = rng.normal(size=n + 1)
    game = FunctionGame(lambda s: by_size[s[:, 1:].sum(axis=1)], n)
    phi = ExactShapley().estimate(game).values
    assert phi[0] == pytest.approx(0.0, abs=1e-12)
    np.testing.assert_allclose(phi[1:], phi[1], atol=1e-12)


def test_hand_computed_games():
    # v = 10 for any coalition containing both 0 and 1 (unanimity): 5 each, 0 to player 2
    game = FunctionGame(lambda s: 10.0 * (s[:, 0] & s[:, 1]), 3, ["a", "b", "c"])
    r = ExactShapley().estimate(game)
    assert r.values.tolist() == pytest.approx([5.0, 5.0, 0.0])
    assert r.to_frame().index.tolist() == ["a", "b", "c"]
    assert shapley_values_from_table(np.array([0.0, 1.0, 2.0, 4.0]), 2).tolist() == [1.5, 2.5]


def test_result_flag_estimated_as_in_attribution_result():
    # one flag in one sense: ShapleyResult.estimated is AttributionResult.estimated;
    # exact stays as its read-only opposite
    from attribution_lab.shapley import ShapleyResult

    args = (("a",), np.array([1.0]), None, 2)
    by_name = ShapleyResult(*args, estimated=False, estimator="e", empty_value=0.0, grand_value=1.0)
    assert by_name == ShapleyResult(*args, False, "e", 0.0, 1.0)
    assert not by_name.estimated and by_name.exact
    with pytest.raises(AttributeError):
        by_name.exact = False  # type: ignore[misc]
    j = Journeys.from_paths(
        ["a > b > c", "d > e", "b > e", "c"], conversions=[2, 1, 1, 1], nulls=[1, 1, 1, 1]
    )
    sampled = dict(estimator="permutation", budget=20, random_state=0)
    for params, estimated in (({}, False), (sampled, True)):
        m = get_model("shapley", game="set_rate", **params).fit(j)
        assert m.shapley_.estimated is m.attribute().estimated is estimated


def test_exact_limits():
    game = FunctionGame(lambda s: s.sum(axis=1), MAX_EXACT_PLAYERS + 1)
    with pytest.raises(ValueError, match="at most 24 players"):
        ExactShapley().estimate(game)
    with pytest.raises(ValueError, match="need 8 evaluations, budget is 7"):
        ExactShapley().estimate(FunctionGame(lambda s: s.sum(axis=1), 3), budget=7)
    with pytest.raises(ValueError, match="batch_size"):
        ExactShapley(batch_size=0).estimate(FunctionGame(lambda s: s.sum(axis=1), 3))


def test_as_coalitions():
    assert as_coalitions([0b101], 3).tolist() == [[True, False, True]]
    assert as_coalitions([[1, 0, 1]], 3).tolist() == [[True, False, True]]
    assert as_coalitions(np.array([True, False]), 2).tolist() == [[True, False]]
    with pytest.raises(ValueError, match="out of range"):
        as_coalitions([8], 3)
    with pytest.raises(ValueError, match="only 0/1"):
        as_coalitions([[2, 0, 1]], 3)
    with pytest.raises(TypeError, match="bitmasks"):
        as_coalitions([0.5], 3)
    with pytest.raises(ValueError, match="shape"):
        FunctionGame(lambda s: s.sum(axis=1), 3)(np.ones((2, 4), dtype=bool))
    bad = FunctionGame(lambda s: np.zeros(1), 2)
    with pytest.raises(ValueError, match="returned values of shape"):
        bad([0, 1, 2])


# -- games built from journeys -----------------------------------------------------------


def random_journeys(seed: int, n: int = 80, n_channels: int = 5) -> Journeys:
    rng = np.random.default_rng(seed)
    names = [f"c{k}" for k in range(n_channels)]
    paths = [[names[c] for c in rng.integers(0, n_channels, rng.integers(1, 6))] for _ in range(n)]
    conv = rng.integers(0, 3, n).astype(float)
    null = rng.integers(0, 3, n).astype(float)
    null[(conv == 0) & (null == 0)] = 1
    return Journeys.from_paths(paths, conv, null, conv * rng.uniform(1, 20, n))


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), what=st.sampled_from(["conversions", "value"]))
def test_subset_game_is_unique_channel_linear(seed, what):
    j = random_journeys(seed)
    game = SubsetConversionGame(j, what=what)
    exact = ExactShapley().estimate(game).values
    np.testing.assert_allclose(exact, game.closed_form(), atol=1e-9)
    linear = LinearAttribution(unique_channels=True).fit(j).attribute()
    np.testing.assert_allclose(exact, getattr(linear, what), atol=1e-9)
    # v(N) is every conversion: efficiency distributes exactly the total
    total = j.n_conversions if what == "conversions" else j.total_value
    assert exact.sum() == pytest.approx(total)


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), what=st.sampled_from(["conversions", "value"]))
def test_subset_game_table_equals_pairwise_evaluation(seed, what):
    # the subset-sum table serves batches too large for coalition x set comparisons
    j = random_journeys(seed, n=50, n_channels=6)
    few = np.random.default_rng(seed).integers(0, 64, size=3)
    pairwise = SubsetConversionGame(j, what=what)(few)
    np.testing.assert_allclose(SubsetConversionGame(j, what=what).table()[few], pairwise)
    game = SubsetConversionGame(j, what=what)
    np.testing.assert_allclose(ExactShapley().estimate(game).values, game.closed_form())


def test_subset_game_by_hand():
    j = Journeys.from_paths(["A > B", "A", "C"], conversions=[2, 1, 0], nulls=[0, 0, 3])
    g = SubsetConversionGame(j)
    assert g(np.array([0, 0b001, 0b010, 0b011, 0b111])).tolist() == [0, 1, 0, 3, 3]
    assert ExactShapley().estimate(g).values.tolist() == pytest.approx([2.0, 1.0, 0.0])


def test_set_rate_zero_policy_pitfall_on_bundled_paths():
    # No journey of ChannelAttribution's example touches all 12 channels, so v(N) = 0 and
    # the credit must sum to 0: some channels get negative values
    j = load_pathdata()
    game = SetRateGame(j, policy="zero")
    assert game([(1 << j.n_channels) - 1])[0] == 0.0
    phi = ExactShapley().estimate(game).values
    assert phi.sum() == pytest.approx(0.0, abs=1e-9)
    assert (phi < 0).any() and (phi > 0).any()


def test_set_rate_smoothed_policy():
    j = load_pathdata()
    game = SetRateGame(j, strength=10)
    full = game([(1 << j.n_channels) - 1])[0]
    assert full > 0
    r = ExactShapley().estimate(game)
    assert r.values.sum() == pytest.approx(full - game([0])[0])
    # hand-computed: A seen 4 times with 1 conversion, {A, B} 4 times with 3
    small = Journeys.from_paths(["A", "A > B", "B"], conversions=[1, 3, 0], nulls=[3, 1, 4])
    g = SetRateGame(small, strength=4)
    assert g([0b01, 0b10, 0b11]).tolist() == pytest.approx([1 / 8, 0.0, 3.5 / 8])
    with pytest.raises(ValueError, match="policy must be one of"):
        SetRateGame(small, policy="subgames")
    with pytest.raises(ValueError, match="strength"):
        SetRateGame(small, strength=0)


def smoothed_reference(j: Journeys, strength: float) -> np.ndarray:
    """The smoothed set-rate table from its definition, looping over all proper subsets."""
    n = j.n_channels
    won, seen = np.zeros(1 << n), np.zeros(1 << n)
    for k in range(j.n_journeys):
        mask = 0
        for c in j.channels[j.offsets[k] : j.offsets[k + 1]]:
            mask |= 1 << int(c)
        won[mask] += j.conversions[k]
        seen[mask] += j.conversions[k] + j.nulls[k]
    value = np.zeros(1 << n)
    for mask in sorted(range(1 << n), key=lambda m: bin(m).count("1")):
        subsets = [t for t in range(1 << n) if t & mask == t and t != mask]
        prior = max((value[t] for t in subsets), default=0.0)
        value[mask] = (won[mask] + strength * prior) / (seen[mask] + strength)
    return value


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), strength=st.sampled_from([0.5, 3.0, 50.0]))
def test_smoothed_table_matches_reference(seed, strength):
    j = random_journeys(seed, n=40, n_channels=4)
    game = SetRateGame(j, strength=strength)
    np.testing.assert_allclose(game(np.arange(16)), smoothed_reference(j, strength), atol=1e-12)


def subgame_reference(j: Journeys, what: str) -> np.ndarray:
    """DP6's recipe, literally: per converting channel set, Shapley over all orders of
    its own channels with observed rates (0 when unseen), times the set's journeys."""
    n = j.n_channels
    sets = np.zeros(j.n_journeys, dtype=np.int64)
    for i in range(j.n_journeys):
        for c in j.channels[j.offsets[i] : j.offsets[i + 1]]:
            sets[i] |= 1 << int(c)
    gain = j.value if what == "value" else j.conversions
    won, seen = {}, {}
    for s, g, k in zip(sets.tolist(), gain, j.conversions + j.nulls, strict=True):
        won[s] = won.get(s, 0.0) + g
        seen[s] = seen.get(s, 0.0) + k
    rate = {s: won[s] / seen[s] for s in won}
    credit = np.zeros(n)
    for s in won:
        if won[s] <= 0:
            continue
        members = [c for c in range(n) if s >> c & 1]
        phi = dict.fromkeys(members, 0.0)
        orders = list(itertools.permutations(members))
        for order in orders:
            mask = 0
            for c in order:
                phi[c] += rate.get(mask | 1 << c, 0.0) - rate.get(mask, 0.0)
                mask |= 1 << c
        for c in members:
            credit[c] += seen[s] * phi[c] / len(orders)
    return credit


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), what=st.sampled_from(["conversions", "value"]))
def test_subgame_policy_matches_per_set_reference(seed, what):
    j = random_journeys(seed, n=40, n_channels=5)
    game = SetRateGame(j, what=what, policy="subgame")
    got = game.subgame_credit()
    np.testing.assert_allclose(got, subgame_reference(j, what), atol=1e-9)
    total = j.total_value if what == "value" else j.n_conversions
    assert got.sum() == pytest.approx(total)
    # as a game it is the zero policy
    zero = SetRateGame(j, what=what, policy="zero")
    np.testing.assert_array_equal(game(np.arange(32)), zero(np.arange(32)))


def test_subgame_policy_in_shapley_attribution():
    j = load_pathdata()
    model = ShapleyAttribution(game="set_rate", game_params={"policy": "subgame"}).fit(j)
    with pytest.warns(NegativeCreditWarning, match="delta"):
        r = model.attribute()
    assert r.conversions.sum() == pytest.approx(j.n_conversions)
    assert r.value.sum() == pytest.approx(j.total_value)
    np.testing.assert_allclose(r.details["shapley_value"], r.conversions)
    # the pitfall it carries: a channel can come out negative
    assert r.conversions.min() < 0
    with pytest.raises(ValueError, match="subgame"):
        ShapleyAttribution(
            game="set_rate", game_params={"policy": "subgame"}, estimator="permutation"
        ).fit(j)
    with pytest.raises(ValueError, match="policy='subgame'"):
        SetRateGame(j, policy="zero").subgame_credit()


def test_model_game_fast_path_equals_generic_predict_proba():
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    j = random_journeys(4, n=200, n_channels=5)
    fast = ModelGame(j)
    slow = ModelGame(j, estimator=make_pipeline(LogisticRegression(C=1.0, max_iter=1000)))
    masks = np.arange(32)
    np.testing.assert_allclose(fast(masks), slow(masks), rtol=1e-6)
    # an intercept fitted by maximum likelihood reproduces the total conversions
    assert fast([31])[0] == pytest.approx(j.n_conversions, rel=1e-4)
    counts = ModelGame(j, features="count")
    assert counts([31])[0] == pytest.approx(j.n_conversions, rel=1e-4)


def test_model_game_symmetric_channels_and_errors():
    # B and C always appear together, so the penalised fit gives them equal weight
    j = Journeys.from_paths(
        ["A > B > C", "C > B", "A", "D", "B > D > C"],
        conversions=[5, 4, 2, 1, 3],
        nulls=[5, 6, 8, 9, 7],
    )
    phi = ExactShapley().estimate(ModelGame(j)).values
    assert phi[1] == pytest.approx(phi[2], rel=1e-6)
    with pytest.raises(ValueError, match="both converting and non-converting"):
        ModelGame(Journeys.from_paths(["A", "B"], conversions=[1, 1]))
    with pytest.raises(ValueError, match="features must be"):
        ModelGame(j, features="tfidf")
    from sklearn.neighbors import KNeighborsClassifier

    with pytest.raises(TypeError, match="takes no sample_weight"):
        ModelGame(j, estimator=KNeighborsClassifier())


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), tree=st.booleans())
def test_model_game_table_equals_pairwise_evaluation(seed, tree):
    # all 2^n coalitions through dividends and superset sums, against scoring each
    # coalition's masked rows directly (a small batch takes that path)
    from sklearn.tree import DecisionTreeClassifier

    j = random_journeys(seed, n=60, n_channels=6)
    est = DecisionTreeClassifier(max_depth=4, random_state=0) if tree else None
    game = ModelGame(j, est)
    few = np.random.default_rng(seed).integers(0, 64, size=4)
    direct = ModelGame(j, est)(few)
    np.testing.assert_allclose(game.table()[few], direct, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(
        game.value_game().table()[few], ModelGame(j, est).value_game()(few), rtol=1e-10
    )
    with pytest.raises(ValueError, match="binary"):
        ModelGame(j, features="count").table()


def test_model_value_game():
    j = random_journeys(3, n=60, n_channels=4)
    game = ModelGame(j)
    value = game.value_game()
    assert value.what == "value" and game.what == "conversions"
    coalitions = np.arange(16)
    # a constant value per conversion scales the conversions game
    flat = Journeys(
        j.channels, j.offsets, j.channel_names, j.conversions, j.nulls, 50 * j.conversions
    )
    np.testing.assert_allclose(ModelGame(flat).value_game()(coalitions), 50 * game(coalitions))
    # a logistic model on these random journeys gives some channels negative credit
    with pytest.warns(NegativeCreditWarning):
        r = ShapleyAttribution(game="model").fit(flat).attribute()
    np.testing.assert_allclose(r.value, 50 * r.conversions)
    # otherwise rows weigh by their own mean value per conversion
    with pytest.warns(NegativeCreditWarning):
        r = ShapleyAttribution(game="model").fit(j).attribute()
    assert r.value.sum() == pytest.approx(j.total_value)
    assert not np.allclose(r.value / j.total_value, r.share)


def test_touchpoint_game():
    j = random_journeys(8, n=300, n_channels=4)
    model = ModelGame(j, features="count")
    k = int(np.argmax(j.lengths))
    game = TouchpointGame(model, j, k)
    assert game.n_players == j.lengths[k]
    r = ExactShapley().estimate(game)
    full = (1 << game.n_players) - 1
    assert r.values.sum() == pytest.approx(game([full])[0] - game([0])[0], abs=1e-12)
    # with count features, touches of the same channel are interchangeable: equal credit
    touches = j.channels[j.offsets[k] : j.offsets[k + 1]]
    for c in np.unique(touches):
        np.testing.assert_allclose(r.values[touches == c], r.values[touches == c][0], atol=1e-12)
    # the model game's own journey value is the touch game's grand coalition
    assert game([full])[0] == pytest.approx(
        model.estimator_.predict_proba(exposure_features(j, "count")[[k]])[0, 1]
    )
    with pytest.raises(IndexError):
        TouchpointGame(model, j, j.n_journeys)


# -- ShapleyAttribution ------------------------------------------------------------------


def counterfactual_reference(j: Journeys, rate: np.ndarray) -> np.ndarray:
    """v(S) journey by journey: cut each journey's channel set to S, score the set left."""
    n = j.n_channels
    v = np.zeros(1 << n)
    for k in range(j.n_journeys):
        mask = 0
        for c in j.channels[j.offsets[k] : j.offsets[k + 1]]:
            mask |= 1 << int(c)
        for s in range(1 << n):
            v[s] += (j.conversions[k] + j.nulls[k]) * rate[mask & s]
    return v


def observed_rates(j: Journeys, what: str) -> np.ndarray:
    won, seen = np.zeros(1 << j.n_channels), np.zeros(1 << j.n_channels)
    gain = j.value if what == "value" else j.conversions
    for k in range(j.n_journeys):
        mask = 0
        for c in j.channels[j.offsets[k] : j.offsets[k + 1]]:
            mask |= 1 << int(c)
        won[mask] += gain[k]
        seen[mask] += j.conversions[k] + j.nulls[k]
    return np.divide(won, seen, out=np.zeros_like(won), where=seen > 0)


@settings(max_examples=20, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    what=st.sampled_from(["conversions", "value"]),
    strength=st.sampled_from([None, 0.5, 10.0]),
)
def test_counterfactual_game_matches_journey_by_journey_reference(seed, what, strength):
    j = random_journeys(seed, n=30, n_channels=4)
    if strength is None:
        game = CounterfactualRateGame(j, what=what, policy="zero")
        rate = observed_rates(j, what)
    else:
        game = CounterfactualRateGame(j, what=what, strength=strength)
        rate = SetRateGame(j, what=what, strength=strength)(np.arange(16))
        if what == "conversions":
            np.testing.assert_allclose(rate, smoothed_reference(j, strength), atol=1e-12)
    v = counterfactual_reference(j, rate)
    np.testing.assert_allclose(game(np.arange(16)), v, atol=1e-9)
    phi = game.closed_form()
    np.testing.assert_allclose(phi, brute_force(v, 4), atol=1e-9)
    assert phi.sum() == pytest.approx(v[-1] - v[0])
    if strength is None:  # observed rates: v(N) is every conversion (or the whole value)
        assert v[-1] == pytest.approx(j.total_value if what == "value" else j.n_conversions)


def test_counterfactual_game_by_hand_and_relations():
    j = Journeys.from_paths(["A", "A > B", "B"], conversions=[1, 3, 0], nulls=[3, 1, 4])
    g = CounterfactualRateGame(j, policy="zero")
    # rates A 1/4, B 0, AB 3/4; with A alone the 4 AB journeys convert at A's 1/4
    assert g([0b00, 0b01, 0b10, 0b11]).tolist() == pytest.approx([0, 2, 0, 4])
    assert g.closed_form().tolist() == pytest.approx([3, 1])
    # when every channel set converts, it is DP6's per-set sub-game credit
    k = random_journeys(3, n=60, n_channels=4)
    k = Journeys(k.channels, k.offsets, k.channel_names, k.conversions + 1, k.nulls, k.value)
    np.testing.assert_allclose(
        CounterfactualRateGame(k, policy="zero").closed_form(),
        SetRateGame(k, policy="subgame").subgame_credit(),
        atol=1e-9,
    )
    # two channels that always appear together split their credit evenly
    t = Journeys.from_paths(["A > B", "B > A > C", "C"], conversions=[2, 1, 1], nulls=[1, 2, 3])
    phi = CounterfactualRateGame(t).closed_form()
    assert phi[0] == pytest.approx(phi[1])
    with pytest.raises(ValueError, match="policy must be 'smoothed' or 'zero'"):
        CounterfactualRateGame(j, policy="subgame")


def test_counterfactual_game_credit_follows_reach():
    # a rare channel whose two journeys both convert: the set-rate game's Shapley values
    # weigh its lucky coalition like any other, the counterfactual game by its journeys
    rng = np.random.default_rng(0)
    paths = [["A"], ["B"], ["A", "B"]] * 300 + [["A", "R"], ["B", "R"]]
    conv = np.r_[rng.binomial(1, [0.1, 0.1, 0.2] * 300), [1, 1]].astype(float)
    j = Journeys.from_paths(paths, conv, 1 - conv)
    rare = j.channel_names.index("R")
    cf = ShapleyAttribution(game="counterfactual").fit(j).attribute()
    sr = ShapleyAttribution(game="set_rate").fit(j).attribute()
    assert cf.share[rare] < 0.01 < sr.share[rare]


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_shapley_attribution_subset_game_is_unique_linear(seed):
    j = random_journeys(seed)
    r = ShapleyAttribution(game="subset").fit(j).attribute()
    lin = LinearAttribution(unique_channels=True).fit(j).attribute()
    np.testing.assert_allclose(r.conversions, lin.conversions, atol=1e-9)
    np.testing.assert_allclose(r.value, lin.value, atol=1e-9)
    assert r.estimand == "shapley" and not r.estimated
    assert "shapley_value" in r.to_frame()


def test_shapley_attribution_games_and_errors():
    j = load_pathdata()
    games = (("counterfactual", None), ("set_rate", None), ("model", {"features": "count"}))
    for game, params in games:
        m = get_model("shapley", game=game, game_params=params).fit(j)
        with warnings.catch_warnings():
            # the model game's logistic fit gives alpha a negative share on these paths
            warnings.simplefilter("ignore", NegativeCreditWarning)
            r = m.attribute()
        assert r.conversions.sum() == pytest.approx(j.n_conversions)
        assert r.value.sum() == pytest.approx(j.total_value)
        np.testing.assert_allclose(r.details["shapley_value"], m.shapley_.values)
    with pytest.raises(ValueError, match="sum to v\\(N\\) - v\\(empty\\) = 0 <= 0"):
        ShapleyAttribution(game="set_rate", game_params={"policy": "zero"}).fit(j)
    with pytest.raises(ValueError, match="game must be one of"):
        ShapleyAttribution(game="glove").fit(j)
    with pytest.raises(ValueError, match="estimator must be 'auto' or one of"):
        ShapleyAttribution(estimator="owen").fit(j)
    with pytest.raises(ValueError, match="budget must be a positive integer"):
        ShapleyAttribution(budget=0).fit(j)
    with pytest.raises(ValueError, match="need 4,096 evaluations, budget is 100"):
        ShapleyAttribution(game="set_rate", estimator="exact", budget=100).fit(j)
    # a closed form needs two evaluations
    m = ShapleyAttribution(estimator="exact").fit(j)
    assert not m.shapley_.estimated and m.shapley_.n_evaluations == 2


@pytest.mark.parametrize("estimator", ["permutation", "antithetic", "stratified", "kernel"])
def test_shapley_attribution_sampled_credit_with_intervals(estimator):
    rng = np.random.default_rng(1)
    names = [f"c{i}" for i in range(18)]
    paths = [[names[c] for c in rng.integers(0, 18, rng.integers(1, 6))] for _ in range(2000)]
    conv = rng.integers(0, 2, 2000).astype(float)
    j = Journeys.from_paths(paths, conv, 1 - conv)
    r = ShapleyAttribution(game="subset", estimator=estimator, budget=8000, random_state=3)
    res = r.fit(j).attribute()
    truth = LinearAttribution(unique_channels=True).fit(j).attribute().conversions
    assert res.estimated and res.n_evaluations <= 8000
    assert res.conversions.sum() == pytest.approx(j.n_conversions)
    # 18 channels: a 5-sigma miss anywhere has probability < 1e-5
    assert (np.abs(res.conversions - truth) <= 5 * res.stderr).all()
    assert ((res.ci_low < res.conversions) & (res.conversions < res.ci_high)).all()


# -- the default game, negative credit and parameters that cannot act -------------------


def test_default_game_is_subset_and_never_negative_on_truncated_journeys():
    # benchmarks/results/accuracy: the subset game has the best mean accuracy of the games
    # that never give a negative share (its credit is linear over distinct channels)
    assert ShapleyAttribution().game == "subset"
    from attribution_lab.simulate import simulate

    for scenario in ("truncation", "mediation"):
        j = simulate(scenario, 5_000, random_state=0).journeys
        with warnings.catch_warnings():
            warnings.simplefilter("error", NegativeCreditWarning)
            r = ShapleyAttribution().fit(j).attribute()
        assert (r.share >= 0).all() and (r.value_share >= 0).all()


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_default_shapley_credit_is_never_negative(seed):
    j = random_journeys(seed)
    with warnings.catch_warnings():
        warnings.simplefilter("error", NegativeCreditWarning)
        r = ShapleyAttribution().fit(j).attribute()
    assert (r.conversions >= 0).all() and (r.value >= 0).all()


def test_negative_credit_warns_naming_channels_shares_and_reason():
    # counterfactual game, raw rates A 3/4, B 0, AB 1/4: the 4 AB journeys give A
    # 4 x (3/4 + 1/4) / 2 = 2 and B 4 x (0 - 3/4 + 1/4 - 0) / 2 = -1; A alone 4 x 3/4 = 3
    j = Journeys.from_paths(["A", "A > B", "B"], conversions=[3, 1, 0], nulls=[1, 3, 4])
    model = ShapleyAttribution(game="counterfactual", game_params={"policy": "zero"}).fit(j)
    with pytest.warns(NegativeCreditWarning) as seen:
        r = model.attribute()
    assert r.conversions.tolist() == pytest.approx([5.0, -1.0])
    (message,) = [str(w.message) for w in seen]
    assert "\n" not in message
    assert message.startswith("shapley: negative share for B (-25%)")
    assert "in the counterfactual game, adding the channel lowers the game's value" in message
    # the default game credits the same journeys without going negative, and says nothing
    with warnings.catch_warnings():
        warnings.simplefilter("error", NegativeCreditWarning)
        assert ShapleyAttribution().fit(j).attribute().conversions.tolist() == [3.5, 0.5]


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"budget": 1000}, "budget=1000 cannot act: the subset game is solved exactly, in closed"),
        ({"game": "counterfactual", "estimator": "exact", "budget": 10}, "budget=10 cannot act"),
        (
            {"game": "set_rate", "game_params": {"policy": "subgame"}, "budget": 10**6},
            "budget=1000000 cannot act: policy='subgame'",
        ),
        ({"ci_level": 0.9}, "ci_level=0.9 cannot act: .* so there is no interval"),
        ({"random_state": 7}, "random_state=7 cannot act: the subset game is solved exactly"),
        (
            {"game": "set_rate", "estimator": "exact", "random_state": 7},
            "random_state=7 cannot act: estimator='exact' enumerates",
        ),
        ({"game": "set_rate", "ci_level": 0.8}, "ci_level=0.8 cannot act: estimator='auto' enum"),
        ({"game": "set_rate", "estimator": "exact", "ci_level": 0.8}, "estimator='exact' enum"),
        (
            {"game": "set_rate", "estimator": "permutation", "ci_level": 0.8},
            "ci_level=0.8 cannot act: budget 65,536 covers all 4 coalitions of 2 channels",
        ),
        (
            {"game": "subset", "game_params": {"policy": "zero"}},
            "the subset game takes no parameter 'policy' .*set_rate and counterfactual games",
        ),
        ({"game": "model", "game_params": {"strenght": 5}}, "takes no parameter 'strenght' "),
        ({"game_params": {"what": "value"}}, "'what' is set by ShapleyAttribution"),
        (
            {"game": "counterfactual", "game_params": {"policy": "subgame"}},
            "policy='subgame' is not a policy of the counterfactual game.*of the set_rate game",
        ),
        (
            {"game": "set_rate", "game_params": {"policy": "zero", "strength": 50}},
            "strength=50 cannot act: .*policy='zero' uses the raw rates",
        ),
        (
            {"game": "set_rate", "game_params": {"policy": "subgame", "strength": 5}},
            "strength=5 cannot act",
        ),
    ],
)
def test_parameters_that_cannot_act_are_refused(params, match):
    j = Journeys.from_paths(["A", "A > B", "B"], conversions=[3, 1, 0], nulls=[1, 3, 4])
    with pytest.raises(ValueError, match=match):
        ShapleyAttribution(**params).fit(j)


def test_parameters_that_act_or_keep_their_defaults_are_accepted():
    j = Journeys.from_paths(["A", "A > B", "B"], conversions=[3, 1, 0], nulls=[1, 3, 4])
    six = random_journeys(0, n_channels=6)  # 64 coalitions: a budget of 20 samples
    accepted = [
        (j, {"budget": None, "ci_level": 0.95}),  # defaults, set explicitly
        (j, {"game": "set_rate", "estimator": "exact", "budget": 4}),  # exact reads its budget
        (j, {"game": "set_rate", "game_params": {"policy": "zero", "strength": 10.0}}),
        (six, {"game": "set_rate", "estimator": "permutation", "budget": 20, "ci_level": 0.8}),
        (
            six,
            {"game": "counterfactual", "estimator": "kernel", "budget": 20, "random_state": 1},
        ),
    ]
    for journeys, params in accepted:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NegativeCreditWarning)
            r = ShapleyAttribution(**params).fit(journeys).attribute()
        assert r.ci_level == (params.get("ci_level", 0.95) if r.estimated else None)
    assert r.estimated and r.n_evaluations <= 2 * 20  # conversions and value games
