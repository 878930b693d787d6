"""Shapley foundation: coalition handling, the exact estimator against brute force, axioms."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from attribution_lab.shapley import (
    MAX_EXACT_PLAYERS,
    ExactShapley,
    FunctionGame,
    as_coalitions,
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
    assert r.exact and r.stderr is None
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
