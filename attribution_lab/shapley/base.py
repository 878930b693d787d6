"""Games (value functions over coalitions) and the result every Shapley estimator returns.

A game is separate from the scheme that estimates its Shapley values: every estimator
takes a `Game` and a budget of game evaluations and returns a `ShapleyResult` saying
whether the numbers are exact and how many evaluations they cost.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["MAX_EXACT_PLAYERS", "FunctionGame", "Game", "ShapleyResult", "as_coalitions"]

#: Largest number of players whose 2^n coalitions an exact computation enumerates.
MAX_EXACT_PLAYERS = 24


def as_coalitions(coalitions: Any, n_players: int) -> np.ndarray:
    """Normalise coalitions to a boolean matrix (m, n_players).

    Accepts a boolean (or 0/1) matrix with one row per coalition, a single boolean
    vector, or integer bitmasks (bit i set when player i is in the coalition; up to 63
    players, as int64 holds 63 bits: wider games take boolean matrices only).

    Examples
    --------
    >>> as_coalitions([0b101, 0], 3).astype(int).tolist()
    [[1, 0, 1], [0, 0, 0]]
    """
    arr = np.asarray(coalitions)
    if arr.dtype == bool or (arr.ndim == 2 and arr.shape[-1] == n_players):
        if arr.ndim == 1:
            arr = arr[None, :]
        if arr.ndim != 2 or arr.shape[1] != n_players:
            raise ValueError(f"coalition matrix must have shape (m, {n_players}), got {arr.shape}")
        if arr.dtype != bool:
            if not np.isin(arr, (0, 1)).all():
                raise ValueError("a coalition matrix holds only 0/1 or True/False")
            arr = arr.astype(bool)
        return arr
    if not np.issubdtype(arr.dtype, np.integer):
        raise TypeError(
            "coalitions must be a boolean matrix (m, n_players) or integer bitmasks, got"
            f" dtype {arr.dtype}"
        )
    if n_players > 63:
        raise ValueError(
            f"integer bitmasks hold at most 63 players; pass the coalitions of these"
            f" {n_players} players as a boolean matrix (m, {n_players})"
        )
    masks = arr.astype(np.int64).ravel()
    if n_players < 63 and ((masks < 0) | (masks >= (1 << n_players))).any():
        raise ValueError(f"bitmask out of range for {n_players} players")
    bits = np.int64(1) << np.arange(n_players, dtype=np.int64)
    return (masks[:, None] & bits) != 0


class Game:
    """A cooperative game v(S) over `n_players` players, evaluated on batches of coalitions.

    Subclasses set ``n_players`` and ``player_names`` and implement ``_value`` on a
    boolean coalition matrix. Calling the game counts evaluations (one per coalition).

    Attributes
    ----------
    n_players : int
    player_names : tuple of str
    n_evaluations : int
        Coalitions evaluated so far (reset with `reset_counter`).
    """

    n_players: int
    player_names: tuple[str, ...]

    def __call__(self, coalitions: Any) -> np.ndarray:
        """Values of a batch of coalitions (boolean matrix or integer bitmasks)."""
        mat = as_coalitions(coalitions, self.n_players)
        self.n_evaluations = getattr(self, "n_evaluations", 0) + mat.shape[0]
        values = np.asarray(self._value(mat), dtype=np.float64)
        if values.shape != (mat.shape[0],):
            raise ValueError(
                f"{type(self).__name__} returned values of shape {values.shape} for"
                f" {mat.shape[0]} coalitions"
            )
        return values

    def reset_counter(self) -> None:
        """Set `n_evaluations` back to 0."""
        self.n_evaluations = 0

    def _value(self, coalitions: np.ndarray) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError


class FunctionGame(Game):
    """A game defined by a Python function of a boolean coalition matrix.

    Parameters
    ----------
    function : callable
        Maps a boolean matrix (m, n_players) to m values.
    n_players : int
    player_names : sequence of str, optional

    Examples
    --------
    >>> g = FunctionGame(lambda s: s.sum(axis=1) ** 2, 3)
    >>> g([0b011, 0b111]).tolist(), g.n_evaluations
    ([4.0, 9.0], 2)
    """

    def __init__(
        self,
        function: Callable[[np.ndarray], Any],
        n_players: int,
        player_names: Sequence[str] | None = None,
    ) -> None:
        if isinstance(n_players, bool) or not isinstance(n_players, (int, np.integer)):
            raise TypeError(f"n_players must be an integer, got {n_players!r}")
        if n_players < 1:
            raise ValueError(f"n_players must be >= 1, got {n_players}")
        self.function = function
        self.n_players = int(n_players)
        names = [f"p{i}" for i in range(n_players)] if player_names is None else player_names
        if len(names) != n_players:
            raise ValueError(f"{len(names)} player names for {n_players} players")
        self.player_names = tuple(str(x) for x in names)
        self.n_evaluations = 0

    def _value(self, coalitions: np.ndarray) -> np.ndarray:
        return np.asarray(self.function(coalitions), dtype=np.float64)


@dataclass(frozen=True)
class ShapleyResult:
    """Shapley values of a game's players, exact or estimated.

    Parameters
    ----------
    player_names, values, stderr, n_evaluations, estimated, estimator, empty_value,
    grand_value, dof
        The attributes below.

    Attributes
    ----------
    player_names : tuple of str
    values : ndarray
        Shapley value of each player.
    stderr : ndarray or None
        Standard errors of estimated values (None when exact).
    n_evaluations : int
        Game evaluations used.
    estimated : bool
        True when the values are Monte Carlo estimates rather than exact: the same flag,
        in the same sense, as `AttributionResult.estimated`.
    estimator : str
        Name of the scheme that produced the numbers.
    empty_value, grand_value : float
        v(empty set) and v(all players); exact values sum to their difference
        (efficiency).
    dof : ndarray or None
        Degrees of freedom of each standard error (draws - 1 for i.i.d. draws, the
        Welch-Satterthwaite approximation for stratified sampling); None when exact or
        unknown, in which case intervals use normal quantiles.
    exact : bool
        ``not estimated`` (read only).

    Notes
    -----
    `interval` gives :math:`\\hat\\phi_i \\pm t_{\\nu_i, (1 + \\ell)/2}\\,
    \\mathrm{se}_i`: with few draws (a budget of 10 permutations) Student's t quantile is
    2.26 instead of 1.96 and brings the coverage back to the nominal level
    when the contributions are close to normal.
    """

    player_names: tuple[str, ...]
    values: np.ndarray
    stderr: np.ndarray | None
    n_evaluations: int
    estimated: bool
    estimator: str
    empty_value: float
    grand_value: float
    dof: np.ndarray | None = None

    @property
    def exact(self) -> bool:
        """``not estimated``: whether the values are exact (read only)."""
        return not self.estimated

    def interval(self, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
        """Two-sided confidence interval of each value at `level` (points when exact).

        Examples
        --------
        >>> r = ShapleyResult(("a", "b"), np.array([1.0, 2.0]), np.array([0.1, 0.1]), 20,
        ...                   True, "permutation", 0.0, 3.0, dof=np.array([9.0, 9.0]))
        >>> low, high = r.interval(0.95)
        >>> np.round(high - r.values, 4).tolist()  # t quantile with 9 dof: 2.262
        [0.2262, 0.2262]
        """
        if not (isinstance(level, (float, int)) and 0 < level < 1):
            raise ValueError(f"level must be a number in (0, 1), got {level!r}")
        if self.stderr is None:
            return self.values.copy(), self.values.copy()
        from scipy.stats import norm
        from scipy.stats import t as student_t

        q = 0.5 + level / 2
        if self.dof is None:
            half = norm.ppf(q) * self.stderr
        else:
            # where dof < 1 (a single draw) the interval is unbounded
            dof = np.asarray(self.dof, dtype=np.float64)
            mult = np.where(dof >= 1, student_t.ppf(q, np.maximum(dof, 1.0)), np.inf)
            half = np.where(self.stderr > 0, mult * self.stderr, 0.0)
        return self.values - half, self.values + half

    def plot(self, ax: Any = None, *, level: float = 0.95) -> Any:
        """Horizontal bars of the values with their `level` intervals when estimated.

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> from attribution_lab.shapley import GloveGame, PermutationSampling
        >>> r = PermutationSampling().estimate(GloveGame(4, 6), budget=200, random_state=0)
        >>> ax = r.plot()
        >>> ax.get_title(), ax.get_xlabel()
        ('permutation (200 evaluations)', 'Shapley value (95% interval)')
        """
        import matplotlib.pyplot as plt

        n = len(self.player_names)
        if ax is None:
            _, ax = plt.subplots(figsize=(6, 0.35 * n + 1.2))
        order = np.argsort(self.values)
        xerr = None
        if self.stderr is not None:
            low, high = self.interval(level)
            xerr = np.vstack([self.values - low, high - self.values])[:, order]
        ax.barh(np.asarray(self.player_names)[order], self.values[order], xerr=xerr, capsize=2)
        ax.axvline(0.0, color="0.3", lw=0.8)
        ax.set_xlabel("Shapley value" + ("" if xerr is None else f" ({level:.0%} interval)"))
        ax.set_title(f"{self.estimator} ({self.n_evaluations:,} evaluations)")
        return ax

    def to_frame(self) -> pd.DataFrame:
        """One row per player: value and, when estimated, stderr."""
        cols: dict[str, Any] = {"value": self.values}
        if self.stderr is not None:
            cols["stderr"] = self.stderr
        return pd.DataFrame(cols, index=pd.Index(self.player_names, name="player"))
