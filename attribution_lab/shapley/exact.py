"""Exact Shapley values by enumerating all 2^n coalitions as integer bitmasks."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .base import MAX_EXACT_PLAYERS, Game, ShapleyResult

__all__ = ["ExactShapley", "intersection_sums", "popcount", "shapley_weights"]


def popcount(masks: np.ndarray) -> np.ndarray:
    """Number of set bits of each non-negative int64 bitmask."""
    masks = np.asarray(masks, dtype=np.int64)
    if hasattr(np, "bitwise_count"):  # numpy >= 2.0
        return np.bitwise_count(masks).astype(np.int64)
    counts = np.zeros(masks.shape, dtype=np.int64)
    table = np.array([bin(b).count("1") for b in range(256)], dtype=np.int64)
    m = masks.copy()
    while np.any(m):
        counts += table[m & 0xFF]
        m >>= 8
    return counts


def _subset_sums(table: np.ndarray, n: int) -> np.ndarray:
    """In place: t(S) <- sum over T subset of S of t(T) (zeta transform), n passes."""
    for c in range(n):
        view = table.reshape(-1, 2, 1 << c)
        view[:, 1, :] += view[:, 0, :]
    return table


def _moebius(table: np.ndarray, n: int) -> np.ndarray:
    """In place: the inverse of `_subset_sums` (Harsanyi dividends of a game)."""
    for c in range(n):
        view = table.reshape(-1, 2, 1 << c)
        view[:, 1, :] -= view[:, 0, :]
    return table


def _superset_sums(table: np.ndarray, n: int) -> np.ndarray:
    """In place: t(S) <- sum over T superset of S of t(T)."""
    for c in range(n):
        view = table.reshape(-1, 2, 1 << c)
        view[:, 0, :] += view[:, 1, :]
    return table


def intersection_sums(
    f: np.ndarray, set_masks: np.ndarray, set_weights: np.ndarray, n: int
) -> np.ndarray:
    """:math:`v(S) = \\sum_T n_T f(T \\cap S)` for every coalition S, in O(n 2^n).

    The game of "each journey keeps only the channels in S": `f` scores a channel set
    (all 2^n of them, indexed by bitmask), `set_masks` / `set_weights` are the observed
    sets and their counts. With the dividends :math:`f(U) = \\sum_{V \\subseteq U} d(V)`,
    :math:`v(S) = \\sum_{V \\subseteq S} d(V) W(V)` where
    :math:`W(V) = \\sum_{T \\supseteq V} n_T`: three transforms instead of comparing
    every coalition with every set.

    Examples
    --------
    >>> f = np.array([0.0, 1.0, 2.0, 5.0])  # f({0}) = 1, f({1}) = 2, f({0, 1}) = 5
    >>> intersection_sums(f, np.array([0b11, 0b01]), np.array([1.0, 2.0]), 2).tolist()
    [0.0, 3.0, 2.0, 7.0]
    """
    d = _moebius(np.array(f, dtype=np.float64), n)
    w = np.zeros(1 << n)
    np.add.at(w, np.asarray(set_masks, dtype=np.int64), set_weights)
    return _subset_sums(d * _superset_sums(w, n), n)


def shapley_weights(n_players: int) -> np.ndarray:
    """Weight of a marginal contribution to a coalition of size s, s = 0 .. n - 1.

    :math:`w(s) = s! (n - s - 1)! / n! = 1 / (n \\binom{n-1}{s})`.

    Examples
    --------
    >>> shapley_weights(3).tolist()  # 1/3, 1/6, 1/3
    [0.3333333333333333, 0.16666666666666666, 0.3333333333333333]
    """
    n = int(n_players)
    return np.array([1.0 / (n * math.comb(n - 1, s)) for s in range(n)])


class ExactShapley:
    """Exact Shapley values: every coalition evaluated once, in batches of bitmasks.

    Parameters
    ----------
    batch_size : int, default 65536
        Coalitions passed to the game per call (bounds the memory of a call).

    Notes
    -----
    .. math:: \\phi_i = \\sum_{S \\subseteq N \\setminus \\{i\\}}
              \\frac{|S|! (n - |S| - 1)!}{n!} \\left(v(S \\cup \\{i\\}) - v(S)\\right)

    All :math:`2^n` values are kept in one float64 array (8 * 2^n bytes: 32 MiB at 22
    players, 128 MiB at 24), with as many again for the weights, so n is limited to
    `MAX_EXACT_PLAYERS`; each player's sum is one vectorised pass over the coalitions
    without it.

    References
    ----------
    Shapley, L. S. (1953). A value for n-person games. In Contributions to the Theory of
    Games II (pp. 307-317). Princeton University Press.

    Examples
    --------
    >>> from attribution_lab.shapley.base import FunctionGame
    >>> glove = FunctionGame(  # player 0 holds a left glove, 1 and 2 right gloves
    ...     lambda s: np.minimum(s[:, 0], s[:, 1] | s[:, 2]).astype(float), 3)
    >>> r = ExactShapley().estimate(glove)
    >>> (r.values * 6).round(9).tolist(), r.n_evaluations, r.exact
    ([4.0, 1.0, 1.0], 8, True)
    """

    name = "exact"

    def __init__(self, batch_size: int = 1 << 16) -> None:
        self.batch_size = batch_size

    def estimate(
        self, game: Game, budget: int | None = None, random_state: Any = None
    ) -> ShapleyResult:
        """Shapley values of every player of `game`.

        Parameters
        ----------
        game : Game
        budget : int, optional
            If given, it must cover all 2^n coalitions.
        random_state : ignored
            Accepted so that every estimator has the same signature.
        """
        n = int(game.n_players)
        if n > MAX_EXACT_PLAYERS:
            raise ValueError(
                f"exact Shapley values of {n} players need all 2^{n} coalition values"
                f" ({8 * 2**n / 2**30:,.0f} GiB as float64); at most {MAX_EXACT_PLAYERS}"
                " players are enumerated, use a sampling estimator with a budget instead"
            )
        total = 1 << n
        if budget is not None and budget < total:
            raise ValueError(
                f"exact Shapley values of {n} players need {total:,} evaluations, budget is"
                f" {budget:,}"
            )
        if isinstance(self.batch_size, bool) or not isinstance(self.batch_size, int):
            raise TypeError(f"batch_size must be an integer, got {self.batch_size!r}")
        if self.batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {self.batch_size}")
        start_count = getattr(game, "n_evaluations", 0)
        values = np.empty(total)
        for lo in range(0, total, self.batch_size):
            hi = min(lo + self.batch_size, total)
            values[lo:hi] = game(np.arange(lo, hi, dtype=np.int64))
        phi = shapley_values_from_table(values, n)
        return ShapleyResult(
            player_names=tuple(game.player_names),
            values=phi,
            stderr=None,
            n_evaluations=int(getattr(game, "n_evaluations", start_count + total) - start_count),
            estimated=False,
            estimator=self.name,
            empty_value=float(values[0]),
            grand_value=float(values[-1]),
        )


def shapley_values_from_table(values: np.ndarray, n_players: int) -> np.ndarray:
    """Shapley values from the values of all 2^n coalitions, indexed by bitmask.

    Examples
    --------
    >>> v = np.array([0.0, 1.0, 2.0, 4.0])  # v({0}) = 1, v({1}) = 2, v({0, 1}) = 4
    >>> shapley_values_from_table(v, 2).tolist()
    [1.5, 2.5]
    """
    n = int(n_players)
    values = np.asarray(values, dtype=np.float64)
    if values.shape != (1 << n,):
        raise ValueError(f"expected {1 << n} coalition values, got shape {values.shape}")
    w = shapley_weights(n)
    # weight of each coalition's marginal contribution by its size, small ints first
    size = np.zeros(1, dtype=np.int8)
    for _ in range(n):
        size = np.concatenate([size, size + 1])
    weight = np.append(w, 0.0)[size]  # the full coalition is never a "without i"
    del size
    phi = np.empty(n)
    for i in range(n):
        # bit i splits the bitmask range into blocks without i (axis 1 = 0) and with it
        v = values.reshape(-1, 2, 1 << i)
        wi = weight.reshape(-1, 2, 1 << i)[:, 0, :]
        # two strided reductions: no temporary of the differences
        phi[i] = np.einsum("ij,ij->", wi, v[:, 1, :]) - np.einsum("ij,ij->", wi, v[:, 0, :])
    return phi
