"""Synthetic games whose Shapley values are known in closed form.

They are the known answers every estimator is tested and benchmarked against: additive
games, unanimity games and their sums (every game is a sum of unanimity games, Harsanyi
1963), and the glove game. Each game has a ``shapley_values()`` method returning the
closed form, computed without evaluating the game.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from fractions import Fraction
from typing import Any

import numpy as np

from .._validation import check_random_state
from .base import Game

__all__ = [
    "AdditiveGame",
    "GloveGame",
    "UnanimityGame",
    "UnanimitySumGame",
    "glove_shapley_values",
    "random_unanimity_sum",
]


def _check_n_players(n_players: Any) -> int:
    if isinstance(n_players, bool) or not isinstance(n_players, (int, np.integer)):
        raise TypeError(f"n_players must be an integer, got {n_players!r}")
    if n_players < 1:
        raise ValueError(f"n_players must be >= 1, got {n_players}")
    return int(n_players)


def _names(player_names: Sequence[str] | None, n_players: int, prefix: str = "p") -> tuple:
    names = [f"{prefix}{i}" for i in range(n_players)] if player_names is None else player_names
    if len(names) != n_players:
        raise ValueError(f"{len(names)} player names for {n_players} players")
    return tuple(str(x) for x in names)


def _check_coalition(players: Iterable[Any], n_players: int | None) -> tuple[int, ...]:
    members = []
    for p in players:
        if isinstance(p, bool) or not isinstance(p, (int, np.integer)):
            raise TypeError(f"players are given by integer index, got {p!r}")
        if p < 0 or (n_players is not None and p >= n_players):
            raise ValueError(f"player index {p} out of range for {n_players} players")
        members.append(int(p))
    if not members:
        raise ValueError("a unanimity coalition needs at least one player")
    return tuple(sorted(set(members)))


class AdditiveGame(Game):
    """Additive game :math:`v(S) = \\sum_{i \\in S} w_i`; player i's Shapley value is w_i.

    Parameters
    ----------
    weights : array-like of float
        One weight per player; a zero weight makes a null player.
    player_names : sequence of str, optional

    Examples
    --------
    >>> g = AdditiveGame([1.0, 2.0, 0.0])
    >>> g([0b011, 0b111]).tolist(), g.shapley_values().tolist()
    ([3.0, 3.0], [1.0, 2.0, 0.0])
    """

    def __init__(self, weights: Any, player_names: Sequence[str] | None = None) -> None:
        w = np.asarray(weights, dtype=np.float64)
        if w.ndim != 1 or w.size < 1:
            raise ValueError(f"weights must be a non-empty 1-D array, got shape {w.shape}")
        if not np.isfinite(w).all():
            raise ValueError("weights must be finite")
        self.weights = w
        self.n_players = w.size
        self.player_names = _names(player_names, self.n_players)
        self.n_evaluations = 0

    def _value(self, coalitions: np.ndarray) -> np.ndarray:
        return np.einsum("ij,j->i", coalitions, self.weights)

    def shapley_values(self) -> np.ndarray:
        """The weights."""
        return self.weights.copy()


class UnanimitySumGame(Game):
    """Sum of unanimity games: :math:`v(S) = \\sum_k c_k [T_k \\subseteq S]`.

    Parameters
    ----------
    terms : sequence of (coalition, worth)
        Each coalition :math:`T_k` is a non-empty sequence of player indices and earns
        its worth :math:`c_k` for every coalition that contains all of it.
    n_players : int, optional
        Defaults to one more than the largest player index in `terms`; players in no
        term are null players.
    player_names : sequence of str, optional

    Notes
    -----
    Every game is such a sum, with the Harsanyi dividends as worths. By linearity and
    symmetry each term's worth is shared equally by its members:

    .. math:: \\phi_i = \\sum_{k : i \\in T_k} \\frac{c_k}{|T_k|}

    With non-negative worths the game is monotone and supermodular. The subset
    conversion game of Zhao et al. (2018) is this game with one term per channel set
    and its conversions as worth.

    References
    ----------
    Harsanyi, J. C. (1963). A simplified bargaining model for the n-person cooperative
    game. International Economic Review, 4(2), 194-220.

    Examples
    --------
    >>> g = UnanimitySumGame([((0, 1), 6.0), ((1, 2, 3), 3.0)], n_players=5)
    >>> g.shapley_values().tolist()
    [3.0, 4.0, 1.0, 1.0, 0.0]
    >>> g([0b00011, 0b01111, 0b01110]).tolist()
    [6.0, 9.0, 3.0]
    """

    def __init__(
        self,
        terms: Sequence[tuple[Iterable[int], float]],
        n_players: int | None = None,
        player_names: Sequence[str] | None = None,
    ) -> None:
        if n_players is not None:
            n_players = _check_n_players(n_players)
        coalitions, worths = [], []
        for term in terms:
            try:
                members, worth = term
            except (TypeError, ValueError):
                raise TypeError(f"each term is a (coalition, worth) pair, got {term!r}") from None
            coalitions.append(_check_coalition(members, n_players))
            worths.append(float(worth))
        if not coalitions:
            raise ValueError("a unanimity sum needs at least one term")
        if n_players is None:
            n_players = max(max(c) for c in coalitions) + 1
        self.n_players = n_players
        self.player_names = _names(player_names, n_players)
        self.terms = [(list(c), w) for c, w in zip(coalitions, worths, strict=True)]
        self.worths = np.array(worths)
        if not np.isfinite(self.worths).all():
            raise ValueError("worths must be finite")
        self.incidence = np.zeros((len(coalitions), n_players), dtype=np.float64)
        for k, c in enumerate(coalitions):
            self.incidence[k, list(c)] = 1.0
        self.sizes = self.incidence.sum(axis=1)
        self.n_evaluations = 0

    def _value(self, coalitions: np.ndarray) -> np.ndarray:
        # one vectorised pass per term (not a matrix product: multithreaded BLAS is slow
        # for these thin products on a busy machine)
        out = np.zeros(coalitions.shape[0])
        for members, worth in self.terms:
            out += worth * coalitions[:, members].all(axis=1)
        return out

    def shapley_values(self) -> np.ndarray:
        """Each term's worth split equally among its members."""
        return (self.worths / self.sizes) @ self.incidence


class UnanimityGame(UnanimitySumGame):
    """Unanimity game: v(S) = worth if S contains all of `players`, else 0.

    Parameters
    ----------
    players : sequence of int
        The carrier T; each of its members gets ``worth / len(T)``, everyone else 0.
    worth : float, default 1.0
    n_players : int, optional
        Defaults to ``max(players) + 1``.
    player_names : sequence of str, optional

    Examples
    --------
    >>> g = UnanimityGame([0, 2], worth=4.0, n_players=4)
    >>> g([0b0101, 0b0011]).tolist(), g.shapley_values().tolist()
    ([4.0, 0.0], [2.0, 0.0, 2.0, 0.0])
    """

    def __init__(
        self,
        players: Iterable[int],
        worth: float = 1.0,
        n_players: int | None = None,
        player_names: Sequence[str] | None = None,
    ) -> None:
        super().__init__([(players, worth)], n_players=n_players, player_names=player_names)


def glove_shapley_values(left: int, right: int) -> tuple[float, float]:
    """Shapley value of one left-glove holder and of one right-glove holder.

    Parameters
    ----------
    left, right : int
        Numbers of left-glove and right-glove holders (n = left + right players).

    Returns
    -------
    (phi_left, phi_right) : tuple of float

    Notes
    -----
    In a uniformly random order a left holder's predecessors are a uniformly random
    subset of the other n - 1 players whose size k is uniform on 0..n-1; given k, the
    number a of left holders among them is hypergeometric. Adding a left glove raises
    :math:`\\min(l, r)` exactly when the predecessors hold fewer left than right gloves,
    :math:`a < k - a`, so

    .. math:: \\phi_L = \\frac{1}{n} \\sum_{k=0}^{n-1} \\sum_{a : 2a < k}
              \\frac{\\binom{L-1}{a} \\binom{R}{k-a}}{\\binom{n-1}{k}}

    and symmetrically for a right holder. The sums are taken in exact rational
    arithmetic; :math:`L \\phi_L + R \\phi_R = \\min(L, R)` (efficiency).

    Examples
    --------
    >>> glove_shapley_values(1, 2)  # 2/3 and 1/6
    (0.6666666666666666, 0.16666666666666666)
    >>> glove_shapley_values(2, 2)
    (0.5, 0.5)
    """

    def one_side(own: int, other: int) -> Fraction:
        if own == 0:
            return Fraction(0)
        n = own + other
        total = Fraction(0)
        for k in range(n):
            hits = sum(
                math.comb(own - 1, a) * math.comb(other, k - a)
                for a in range(min(own - 1, k) + 1)
                if 2 * a < k
            )
            total += Fraction(hits, math.comb(n - 1, k))
        return total / n

    return float(one_side(left, right)), float(one_side(right, left))


class GloveGame(Game):
    """Glove game: v(S) = number of matched pairs = min(#left gloves in S, #right in S).

    Players ``0 .. left - 1`` hold a left glove (named ``L0, L1, ...``), players
    ``left .. left + right - 1`` a right glove (``R0, R1, ...``).

    Parameters
    ----------
    left, right : int
        Numbers of left-glove and right-glove holders; at least one player in all.

    Notes
    -----
    Shapley values from the closed-form sum of `glove_shapley_values` (a random-order
    argument), checked against `ExactShapley` in the tests. The scarce side takes most
    of the value: with one left and two right gloves the left holder gets 2/3.

    Examples
    --------
    >>> g = GloveGame(1, 2)
    >>> g.player_names, g([0b011, 0b110, 0b111]).tolist()
    (('L0', 'R0', 'R1'), [1.0, 0.0, 1.0])
    >>> (g.shapley_values() * 6).round(12).tolist()
    [4.0, 1.0, 1.0]
    """

    def __init__(self, left: int, right: int) -> None:
        for name, k in (("left", left), ("right", right)):
            if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 0:
                raise ValueError(f"{name} must be a non-negative integer, got {k!r}")
        self.left, self.right = int(left), int(right)
        self.n_players = _check_n_players(self.left + self.right)
        self.player_names = tuple(
            [f"L{i}" for i in range(self.left)] + [f"R{i}" for i in range(self.right)]
        )
        self.n_evaluations = 0

    def _value(self, coalitions: np.ndarray) -> np.ndarray:
        n_left = coalitions[:, : self.left].sum(axis=1)
        n_right = coalitions[:, self.left :].sum(axis=1)
        return np.minimum(n_left, n_right).astype(np.float64)

    def shapley_values(self) -> np.ndarray:
        """Closed form of `glove_shapley_values`, repeated per holder."""
        phi_left, phi_right = glove_shapley_values(self.left, self.right)
        return np.array([phi_left] * self.left + [phi_right] * self.right)


def random_unanimity_sum(
    n_players: int,
    n_terms: int,
    random_state: int | np.random.Generator | None = None,
    *,
    max_size: int = 3,
    signed: bool = False,
) -> UnanimitySumGame:
    """A random sum of small unanimity games, for tests and benchmarks with many players.

    Term sizes are uniform on 1..`max_size`, members uniform without replacement,
    worths uniform on [0.5, 1.5) (times a random sign when `signed`). Unsigned games are
    monotone, like the subset conversion game they imitate; players in no term are null.

    Parameters
    ----------
    n_players, n_terms : int
    random_state : int, Generator or None
    max_size : int, default 3
    signed : bool, default False

    Examples
    --------
    >>> g = random_unanimity_sum(40, 30, random_state=0)
    >>> g.n_players, len(g.terms), bool(np.isclose(g.shapley_values().sum(), g.worths.sum()))
    (40, 30, True)
    >>> v_all = g(np.ones((1, 40), dtype=bool))[0]
    >>> bool(np.isclose(v_all, g.worths.sum()))
    True
    """
    n_players = _check_n_players(n_players)
    if isinstance(n_terms, bool) or not isinstance(n_terms, (int, np.integer)) or n_terms < 1:
        raise ValueError(f"n_terms must be a positive integer, got {n_terms!r}")
    if not 1 <= max_size <= n_players:
        raise ValueError(f"max_size must be in 1..{n_players}, got {max_size}")
    rng = check_random_state(random_state)
    sizes = rng.integers(1, max_size + 1, size=n_terms)
    worths = rng.uniform(0.5, 1.5, size=n_terms)
    if signed:
        worths *= rng.choice([-1.0, 1.0], size=n_terms)
    terms = [
        (rng.choice(n_players, size=int(s), replace=False).tolist(), float(w))
        for s, w in zip(sizes, worths, strict=True)
    ]
    return UnanimitySumGame(terms, n_players=n_players)
