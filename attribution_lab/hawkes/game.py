"""`PointProcessGame`: the coalition game of a fitted point-process model, for any of the
toolkit's Shapley estimators."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

from .._validation import check_random_state
from ..journeys import Journeys
from ..shapley.base import Game
from ..shapley.exact import shapley_values_from_table
from ._branching import conversion_terms
from ._credit import _Draws
from .model import PointProcessAttribution

__all__ = ["PointProcessGame"]

#: Games tabulate all 2^n coalitions up to this many channels.
_MAX_TABLE_PLAYERS = 20


class PointProcessGame(Game):
    r"""v(S) = expected conversions within the observed windows when only the channels in
    S act and removing a channel removes every touch it triggered, under a fitted
    `PointProcessAttribution`, averaged over draws of the branching structure.

    Parameters
    ----------
    journeys : Journeys
        Timed journeys over the model's channels.
    model : PointProcessAttribution, optional
        Fitted (or fitted here on a copy); by default ``PointProcessAttribution()``.
    n_draws : int, default 20
        Draws of every touch's parent, shared by all coalitions (common random numbers).
    random_state : int, Generator or None
        Seed of the draws.
    what : {"conversions", "value"}, default "conversions"

    Attributes
    ----------
    model_ : PointProcessAttribution
    draws_ : ndarray, shape (n_coalitions_evaluated, n_draws)
        Per-draw values of the last coalitions evaluated (their spread over the draws is
        the Monte Carlo error of a single draw).

    Notes
    -----
    The game of `PointProcessAttribution` (see its Notes): in each draw a touch survives in
    S iff its lineage set (its channel and its ancestors') is within S, and
    :math:`v(S) = \sum_j n_j\, p_j(\text{surviving touches})`. The model computes its exact
    Shapley values journey by journey; this class evaluates any batch of coalitions over
    all touches (one pass per coalition and draw), which is what sampling estimators need,
    e.g. for journeys touching more distinct channels than the model's exact tables take.

    Examples
    --------
    >>> from attribution_lab.simulate import simulate
    >>> journeys = simulate("point_process", 2_000, random_state=0).journeys
    >>> game = PointProcessGame(journeys, n_draws=5, random_state=0)
    >>> v = game([0, 0b11111])
    >>> bool(v[0] < v[1])
    True
    """

    def __init__(
        self,
        journeys: Journeys,
        model: PointProcessAttribution | None = None,
        n_draws: int = 20,
        random_state: int | np.random.Generator | None = None,
        what: str = "conversions",
    ) -> None:
        if what not in ("conversions", "value"):
            raise ValueError(f"what must be 'conversions' or 'value', got {what!r}")
        if isinstance(n_draws, bool) or not isinstance(n_draws, (int, np.integer)) or n_draws < 1:
            raise ValueError(f"n_draws must be an integer >= 1, got {n_draws!r}")
        if model is None:
            model = PointProcessAttribution()
        if not isinstance(model, PointProcessAttribution):
            raise TypeError(f"model must be a PointProcessAttribution, got {type(model).__name__}")
        if not hasattr(model, "theta_"):
            model = copy.deepcopy(model).fit(journeys)
        model._check_channels(journeys)
        link = "frailty" if model.frailty else model.conversion
        self._draws = _Draws(journeys, model.decay == "pair", link)
        prep = self._draws.prep
        self._gain, self._base = conversion_terms(prep, link, model.conversion_theta_)
        self._frailty = self._draws.frailty(model.theta_, model.conversion_theta_, model.frailty_)
        seed = int(check_random_state(random_state).integers(2**63))
        branching = self._draws.branching
        self._lineage = [branching.lineage(model.theta_, k, seed) for k in range(int(n_draws))]
        self._weight = self._draws.weights[1 if what == "value" else 0]
        self._link = link
        self.model_ = model
        self.what = what
        self.n_players = journeys.n_channels
        self.player_names = journeys.channel_names
        self.n_evaluations = 0

    def _value(self, coalitions: np.ndarray) -> np.ndarray:
        bits = np.int64(1) << np.arange(self.n_players, dtype=np.int64)
        masks = coalitions.astype(np.int64) @ bits
        branching = self._draws.branching
        per_draw = np.stack(
            [
                branching.values(
                    lin, self._gain, self._base, self._weight, masks, self._link, self._frailty
                )
                for lin in self._lineage
            ],
            axis=1,
        )
        self.draws_ = per_draw
        return per_draw.mean(axis=1)

    def table(self) -> np.ndarray:
        """v of all 2^n coalitions, indexed by bitmask."""
        if self.n_players > _MAX_TABLE_PLAYERS:
            raise ValueError(f"a table of all 2^{self.n_players} coalitions is too large (n > 20)")
        return self(np.arange(1 << self.n_players))

    def shapley_values(self) -> np.ndarray:
        """Exact Shapley values of the game (from `table`)."""
        return shapley_values_from_table(self.table(), self.n_players)

    def __repr__(self) -> str:
        extra: dict[str, Any] = {"n_draws": len(self._lineage), "what": self.what}
        return f"PointProcessGame({', '.join(f'{k}={v!r}' for k, v in extra.items())})"
