"""The Shapley value function of a fitted additive-hazard model (`HazardGame`)."""

from __future__ import annotations

import copy

import numpy as np

from ..journeys import Journeys
from ..shapley.base import Game
from ..shapley.exact import shapley_values_from_table
from ._data import _timed
from .kernels import _unpack
from .model import HazardAttribution

__all__ = ["HazardGame", "hazard_coalition_values"]

#: Games tabulate all 2^n coalitions up to this many channels.
_MAX_TABLE_PLAYERS = 20
# journeys x coalitions cells evaluated per block of a game table
_BLOCK_CELLS = 1 << 22


def hazard_coalition_values(
    gained: np.ndarray, base: np.ndarray, weight: np.ndarray | None = None
) -> np.ndarray:
    r"""v(S) = sum_j w_j (1 - exp(-base_j - sum_{c in S} gained_jc)) for every coalition S.

    Parameters
    ----------
    gained : ndarray, shape (n_journeys, n_channels)
        Cumulative hazard each channel's touches add to each journey.
    base : ndarray, shape (n_journeys,)
        Cumulative hazard no channel changes (the baseline's).
    weight : ndarray, shape (n_journeys,), optional
        Customers per row (default 1).

    Returns
    -------
    ndarray, shape (2^n_channels,), indexed by bitmask.

    Examples
    --------
    >>> v = hazard_coalition_values(np.array([[np.log(2.0), 0.0]]), np.zeros(1))
    >>> v.tolist()  # channel 0 halves the survival, channel 1 does nothing
    [0.0, 0.5, 0.0, 0.5]
    """
    n_j, n = gained.shape
    size = 1 << n
    weight = np.ones(n_j) if weight is None else weight
    survive = np.zeros(size)
    step = max(1, _BLOCK_CELLS // size)
    for lo in range(0, n_j, step):
        g = gained[lo : lo + step]
        p = np.empty((g.shape[0], size))
        p[:, 0] = np.exp(-base[lo : lo + step])
        for c in range(n):
            width = 1 << c
            p[:, width : 2 * width] = p[:, :width] * np.exp(-g[:, c])[:, None]
        survive += np.einsum("j,js->s", weight[lo : lo + step], p)  # no threaded BLAS
    return weight.sum() - survive


class HazardGame(Game):
    r"""v(S) = expected conversions within each journey's observed window when only the
    touches of the channels in S act, under a fitted additive-hazard model.

    Parameters
    ----------
    journeys : Journeys
        Timed journeys (``times`` and ``end_time``).
    model : HazardAttribution, optional
        A fitted model to evaluate on `journeys` (over the same channels), or an unfitted
        one to fit on them; by default ``HazardAttribution()`` fitted on `journeys`.
    what : {"conversions", "value"}, default "conversions"

    Attributes
    ----------
    model_ : HazardAttribution
        The fitted model.

    Notes
    -----
    With :math:`B_{jc} = \sum_{i \in j:\, c_i = c} \hat\beta_c (1 -
    e^{-\hat\omega_c (T_j - t_i)})` the cumulative hazard channel c's touches add over
    journey j's window :math:`[s_j, T_j]` (first touch to conversion or end of
    observation),

    .. math:: v(S) = \sum_j n_j \Big(1 - \exp\big(-\hat\mu (T_j - s_j)
              - \sum_{c \in S} B_{jc}\big)\Big),

    the probability of converting within the window when the touches of channels outside
    S never happened, times the row's customers :math:`n_j`. The baseline is no player:
    it acts in every coalition, so :math:`v(\emptyset)` is what the model expects with
    no channel and the Shapley values share :math:`v(N) - v(\emptyset)`. Windows are the
    observed ones, so a journey that converted early counts only the touches before its
    conversion: the game is built from the same at-risk periods as the likelihood, which
    is what keeps it free of the truncation bias of a model on exposure indicators
    (compare `attribution_lab.shapley.ModelGame`). :math:`v(N)` is an expected number
    of conversions within those windows, not the observed conversions. With
    ``what="value"`` each row's probability is weighted by its mean value per
    conversion (the overall mean for rows that never converted).

    `table` evaluates all :math:`2^n` coalitions as products
    :math:`\prod_{c \in S} e^{-B_{jc}}` built by doubling, journeys in blocks.

    Examples
    --------
    >>> from attribution_lab.simulate import simulate
    >>> journeys = simulate("hazard", 5_000, random_state=2).journeys
    >>> game = HazardGame(journeys)
    >>> v = game.table()
    >>> bool(v[0] < v[-1]), game.shapley_values().shape
    (True, (4,))
    """

    def __init__(
        self, journeys: Journeys, model: HazardAttribution | None = None, what: str = "conversions"
    ) -> None:
        if what not in ("conversions", "value"):
            raise ValueError(f"what must be 'conversions' or 'value', got {what!r}")
        if model is None:
            model = HazardAttribution()
        if not isinstance(model, HazardAttribution):
            raise TypeError(f"model must be a HazardAttribution, got {type(model).__name__}")
        if not hasattr(model, "theta_"):
            model = copy.deepcopy(model).fit(journeys)
        elif tuple(model.channel_names_) != tuple(journeys.channel_names):
            raise ValueError("the journeys' channels differ from those the model was fitted on")
        times, end = _timed(journeys, "HazardGame")
        c = journeys.n_channels
        mu, beta, omega = _unpack(model.theta_, c)
        jid = journeys.journey_index
        lag = end[jid] - times
        key = jid.astype(np.int64) * c + journeys.channels
        gained = beta[journeys.channels] * -np.expm1(-omega[journeys.channels] * lag)
        self._b = np.bincount(key, gained, minlength=journeys.n_journeys * c).reshape(-1, c)
        self._base = mu * (end - times[journeys.offsets[:-1]])
        n = np.asarray(journeys.conversions) + np.asarray(journeys.nulls)
        conv = np.asarray(journeys.conversions)
        overall = journeys.total_value / journeys.n_conversions if journeys.n_conversions else 0.0
        per = np.divide(journeys.value, conv, out=np.full(conv.size, overall), where=conv > 0)
        self._counts = n
        self._values = n * per
        self._weight = self._values if what == "value" else n
        self.model_ = model
        self.what = what
        self.n_players = c
        self.player_names = journeys.channel_names
        self.n_evaluations = 0
        self._table: np.ndarray | None = None

    def table(self) -> np.ndarray:
        """v of all 2^n coalitions, indexed by bitmask (`hazard_coalition_values`)."""
        if self._table is None:
            n = self.n_players
            if n > _MAX_TABLE_PLAYERS:
                raise ValueError(f"a table of all 2^{n} coalitions is too large (n > 20)")
            self._table = hazard_coalition_values(self._b, self._base, self._weight)
        return self._table

    def _value(self, coalitions: np.ndarray) -> np.ndarray:
        if self._table is not None or self.n_players <= _MAX_TABLE_PLAYERS:
            bits = np.int64(1) << np.arange(self.n_players, dtype=np.int64)
            return self.table()[coalitions.astype(np.int64) @ bits]
        out = np.empty(coalitions.shape[0])
        s = coalitions.astype(np.float64)
        for k in range(s.shape[0]):  # pragma: no cover - more than 20 channels
            out[k] = self._weight @ -np.expm1(-self._base - self._b @ s[k])
        return out

    def shapley_values(self) -> np.ndarray:
        """Exact Shapley values of the game (from `table`)."""
        return shapley_values_from_table(self.table(), self.n_players)

    def value_game(self) -> HazardGame:
        """The same fitted model scoring expected conversion value instead of conversions.

        Examples
        --------
        >>> from attribution_lab.simulate import simulate
        >>> journeys = simulate("hazard", 5_000, random_state=2, value_sigma=0.0).journeys
        >>> g = HazardGame(journeys)
        >>> ratio = g.value_game().table()[1:] / g.table()[1:]  # every sale is worth 100
        >>> bool(np.allclose(ratio, 100.0))
        True
        """
        game = copy.copy(self)
        game._weight = self._values
        game.what = "value"
        game.n_evaluations = 0
        game._table = None
        return game
