"""Value functions over channel coalitions built from journeys.

Each game states its v(S) in its docstring; the literature and the tools disagree on it,
and the choice decides what a Shapley credit means.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..journeys import Journeys
from .base import Game
from .exact import _subset_sums, intersection_sums, popcount
from .sets import ChannelSets, SubsetTables, coalition_keys

__all__ = [
    "CounterfactualRateGame",
    "ModelGame",
    "SetRateGame",
    "SubsetConversionGame",
    "TouchpointGame",
    "exposure_features",
    "journey_channel_sets",
]

# Coalition x channel-set comparisons done per block (~64 MB of bool cells, or 1/8 as many
# int64 ones).
_BLOCK_CELLS = 1 << 26
# Games tabulate all 2^n coalitions up to this many players (float64: 128 MB); the
# closed forms of the subset and counterfactual games and the set-rate game's zero and
# subgame policies need no such table (see `attribution_lab.shapley.sets`).
_MAX_TABLE_PLAYERS = 24
POLICIES = ("zero", "subgame", "smoothed")


def journey_channel_sets(journeys: Journeys) -> np.ndarray:
    """Bitmask of the distinct channels of every journey (bit c for channel c).

    At most 62 channels; the games themselves hold channel sets of any width
    (`attribution_lab.shapley.sets.ChannelSets`).

    Examples
    --------
    >>> j = Journeys.from_paths(["A > B > A", "B"], conversions=[1, 1])
    >>> journey_channel_sets(j).tolist()
    [3, 2]
    """
    if journeys.n_channels > 62:
        raise ValueError(
            f"channel sets of {journeys.n_channels} channels do not fit a 63-bit mask; "
            "group channels first"
        )
    bits = np.left_shift(np.int64(1), journeys.channels.astype(np.int64))
    return np.bitwise_or.reduceat(bits, journeys.offsets[:-1])


def _coalition_masks(coalitions: np.ndarray) -> np.ndarray:
    bits = np.left_shift(np.int64(1), np.arange(coalitions.shape[1], dtype=np.int64))
    return (coalitions.astype(np.int64) * bits).sum(axis=1)


def _check_what(what: str) -> str:
    if what not in ("conversions", "value"):
        raise ValueError(f"what must be 'conversions' or 'value', got {what!r}")
    return what


def _check_strength(strength: Any) -> float:
    if isinstance(strength, bool) or not isinstance(strength, (int, float, np.number)):
        raise ValueError(f"strength must be a finite number > 0, got {strength!r}")
    strength = float(strength)
    if not np.isfinite(strength) or strength <= 0:
        raise ValueError(f"strength must be a finite number > 0, got {strength!r}")
    return strength


def _check_table_size(n: int, what: str) -> None:
    if n > _MAX_TABLE_PLAYERS:
        raise ValueError(
            f"{what} tabulates all 2^{n} coalitions; at most {_MAX_TABLE_PLAYERS} channels"
        )


class SubsetConversionGame(Game):
    """v(S) = conversions (or value) of the journeys whose channels all lie in S.

    Parameters
    ----------
    journeys : Journeys
    what : {"conversions", "value"}, default "conversions"

    Notes
    -----
    With :math:`C_j` the channel set of journey j and :math:`y_j` its conversions,
    :math:`v(S) = \\sum_j y_j [C_j \\subseteq S]` is a sum of unanimity games
    :math:`y_j u_{C_j}`, so its Shapley value has the closed form

    .. math:: \\phi_c = \\sum_{j : c \\in C_j} \\frac{y_j}{|C_j|},

    exactly linear attribution over each journey's distinct channels (`closed_form`,
    linear in the total size of the distinct channel sets, at any number of channels).
    This is the "simplified Shapley value" of Zhao et al. (2018): it ignores what
    non-converting journeys say about a channel.

    References
    ----------
    Zhao, K., Mahboobi, S. H., & Bagheri, S. R. (2018). Shapley value methods for
    attribution modeling in online advertising. arXiv:1804.05327.

    Examples
    --------
    >>> j = Journeys.from_paths(["A > B", "A", "C"], conversions=[2, 1, 0], nulls=[0, 0, 3])
    >>> g = SubsetConversionGame(j)
    >>> g([0b001, 0b011, 0b111]).tolist()
    [1.0, 3.0, 3.0]
    >>> g.closed_form().tolist()
    [2.0, 1.0, 0.0]
    """

    def __init__(self, journeys: Journeys, what: str = "conversions") -> None:
        self.what = _check_what(what)
        self.n_players = journeys.n_channels
        self.player_names = journeys.channel_names
        sets = ChannelSets(journeys, what)
        self._sets = sets.select(sets.won != 0)
        self._gain = self._sets.won
        self.n_evaluations = 0
        self._table: np.ndarray | None = None

    def table(self) -> np.ndarray:
        """v of all 2^n coalitions, indexed by bitmask, by one subset-sum transform.

        :math:`v(S) = \\sum_{T \\subseteq S} g(T)` with g the conversions of channel set T:
        n passes over 2^n numbers instead of comparing every coalition with every set.
        """
        if self._table is None:
            n = self.n_players
            _check_table_size(n, "SubsetConversionGame.table")
            table = np.zeros(1 << n)
            np.add.at(table, self._sets.masks(), self._gain)
            self._table = _subset_sums(table, n)
        return self._table

    def _value(self, coalitions: np.ndarray) -> np.ndarray:
        n = self.n_players
        pairwise = coalitions.shape[0] * self._sets.members.size
        if self._table is not None or (n <= _MAX_TABLE_PLAYERS and pairwise > n << n):
            return self.table()[_coalition_masks(coalitions)]
        return self._sets.contained_in(coalitions) @ self._gain

    def closed_form(self) -> np.ndarray:
        """Exact Shapley values: each set's conversions split equally over its channels."""
        share = np.repeat(self._gain / self._sets.sizes, self._sets.sizes)
        return np.bincount(self._sets.members, weights=share, minlength=self.n_players)


class SetRateGame(Game):
    """v(S) = conversion rate (or value per journey) of journeys whose channel set is S.

    Parameters
    ----------
    journeys : Journeys
    what : {"conversions", "value"}, default "conversions"
    policy : {"zero", "smoothed"}, default "smoothed"
        Value of a coalition no journey has as its channel set:

        ``"zero"``
            0, as DP6's marketing-attribution-models and Google's fractribution do. On
            real data the full channel set is rarely observed, so v(N) = 0 and the
            Shapley values sum to v(N) - v(empty) = 0: some channels must get negative
            credit (see Notes).
        ``"subgame"``
            As DP6's marketing-attribution-models: v is the zero-policy game, but
            credit is not its Shapley values. Each converting channel set S is credited
            separately, by the Shapley values of v restricted to the subsets of S, times
            its journeys; `subgame_credit` computes this (see Notes).
        ``"smoothed"``
            Every coalition's rate is shrunk towards a prior built from its observed
            subsets; unseen coalitions get the prior itself (see Notes). It tabulates all
            2^n coalitions: at most 24 channels.

        The zero and subgame policies run at any number of channels: a coalition is
        looked up among the observed sets, and the subgame credit needs only the
        subsets of the converting sets.
    strength : float, default 10.0
        Smoothed policy: prior weight in journeys (the rate of a set seen in n journeys
        is a compromise between its own rate and the prior, with weights n and
        `strength`).

    Notes
    -----
    For a set S observed in :math:`n_S` journeys with :math:`y_S` conversions the raw rate
    is :math:`r_S = y_S / n_S`. The smoothed policy defines, by increasing size,

    .. math:: \\tilde v(S) = \\frac{y_S + \\kappa \\, m(S)}{n_S + \\kappa},
              \\qquad m(S) = \\max_{T \\subsetneq S} \\tilde v(T),

    with :math:`m(\\emptyset) = 0` and :math:`n_S = y_S = 0` for unseen S. Taking the
    best proper subset as the prior encodes the usual belief that adding a channel to a
    journey does not remove the conversions the others would bring, so an unseen
    coalition is worth at least its best observed part instead of nothing. The game is
    then monotone wherever data are thin and follows the observed rates where they are
    plentiful.

    With policy "zero", v(S) is 0 for every unseen S including, typically, the grand
    coalition, so efficiency forces credit summing to 0; the ShapleyAttribution model
    reports this instead of hiding it.

    The subgame policy credits channel c with
    :math:`\\sum_S n_S \\, \\phi_c(v|_S)` over the converting sets S, where
    :math:`v|_S` is v on the subsets of S; as :math:`\\sum_c \\phi_c(v|_S) = r_S`, the
    credit of each set sums to its conversions. With the Harsanyi dividends
    :math:`d(T) = \\sum_{U \\subseteq T} (-1)^{|T| - |U|} v(U)` one has
    :math:`\\phi_c(v|_S) = \\sum_{c \\in T \\subseteq S} d(T) / |T|`, so the credit is
    :math:`\\sum_{T \\ni c} d(T) W(T) / |T|` with :math:`W(T) = \\sum_{S \\supseteq T} n_S`,
    computed set by set over the :math:`2^{|S|}` subsets of each converting set S
    (`attribution_lab.shapley.sets.SubsetTables`), not over all 2^n coalitions. The
    sub-game values can be negative: a subset whose observed rate exceeds the full
    set's makes the extra channels look harmful.

    Examples
    --------
    >>> j = Journeys.from_paths(["A", "A > B", "B"], conversions=[1, 3, 0], nulls=[3, 1, 4])
    >>> SetRateGame(j, policy="zero")([0b00, 0b01, 0b10, 0b11]).tolist()
    [0.0, 0.25, 0.0, 0.75]
    >>> SetRateGame(j, strength=4)([0b01, 0b11]).round(4).tolist()  # (1 + 4*0)/(4 + 4)
    [0.125, 0.4375]
    """

    def __init__(
        self,
        journeys: Journeys,
        what: str = "conversions",
        policy: str = "smoothed",
        strength: float = 10.0,
    ) -> None:
        self.what = _check_what(what)
        if policy not in POLICIES:
            raise ValueError(f"policy must be one of {', '.join(POLICIES)}, got {policy!r}")
        strength = _check_strength(strength)
        self.policy = policy
        self.strength = strength
        self.n_players = journeys.n_channels
        self.player_names = journeys.channel_names
        self._sets = ChannelSets(journeys, what)
        self._won, self._seen = self._sets.won, self._sets.seen
        self._keys: tuple[np.ndarray, np.ndarray] | None = None
        self.n_evaluations = 0
        self._table: np.ndarray | None = None
        if policy == "smoothed":
            if self.n_players > _MAX_TABLE_PLAYERS:
                raise ValueError(
                    f"the smoothed policy of the set_rate game tabulates all"
                    f" 2^{self.n_players} coalitions; at most {_MAX_TABLE_PLAYERS} channels:"
                    " group channels first, or use policy='zero' or 'subgame', or the"
                    " counterfactual game (smoothed rates at any number of channels)"
                )
            self._table = self._smoothed_table()

    def subgame_credit(self) -> np.ndarray:
        """Credit of each channel under the subgame policy (see Notes).

        Sums to the journeys' conversions (or value with ``what="value"``).

        Examples
        --------
        >>> j = Journeys.from_paths(["A", "A > B"], conversions=[1, 3], nulls=[3, 1])
        >>> SetRateGame(j, policy="subgame").subgame_credit().tolist()  # A: 1 + 2, B: 1
        [3.0, 1.0]
        """
        if self.policy != "subgame":
            raise ValueError("subgame_credit needs policy='subgame'")
        # the zero-policy rates restricted to each converting set, times its journeys
        converting = self._sets.select(self._won > 0)
        tables = SubsetTables(converting, "set_rate (subgame policy)")
        rates = tables.observed_values(converting.won / converting.seen)
        return tables.restricted_shapley(rates, converting.seen)

    def rate_table(self) -> np.ndarray:
        """v of all 2^n coalitions, indexed by bitmask, without evaluating them one by one.

        Examples
        --------
        >>> j = Journeys.from_paths(["A", "A > B"], conversions=[1, 3], nulls=[3, 1])
        >>> SetRateGame(j, policy="zero").rate_table().tolist()
        [0.0, 0.25, 0.0, 0.75]
        """
        if self._table is not None:
            return self._table
        _check_table_size(self.n_players, "SetRateGame.rate_table")
        table = np.zeros(1 << self.n_players)
        table[self._sets.masks()] = self._won / self._seen
        return table

    def _smoothed_table(self) -> np.ndarray:
        n = self.n_players
        size = 1 << n
        won = np.zeros(size)
        seen = np.zeros(size)
        sets = self._sets.masks()
        won[sets] = self._won
        seen[sets] = self._seen
        masks = np.arange(size, dtype=np.int64)
        order = np.argsort(popcount(masks), kind="stable")
        best_sub = np.zeros(size)  # max over proper subsets, built size by size
        value = np.zeros(size)
        counts = popcount(masks)
        k = self.strength
        for s in range(n + 1):
            level = order[counts[order] == s]
            if s > 0:
                # the best proper subset is the best of the subsets one channel smaller
                # (or of their own best subsets, already folded into best_sub)
                prior = np.zeros(level.size)
                for c in range(n):
                    has = (level >> c) & 1 == 1
                    sub = level[has] & ~(np.int64(1) << c)
                    prior[has] = np.maximum(prior[has], np.maximum(value[sub], best_sub[sub]))
                best_sub[level] = prior
            value[level] = (won[level] + k * best_sub[level]) / (seen[level] + k)
        return value

    def _value(self, coalitions: np.ndarray) -> np.ndarray:
        if self._table is not None:
            return self._table[_coalition_masks(coalitions)]
        if self._keys is None:
            keys = self._sets.packed()
            order = np.argsort(keys, kind="stable")
            self._keys = keys[order], (self._won / self._seen)[order]
        keys, rate = self._keys
        query = coalition_keys(coalitions)
        pos = np.minimum(np.searchsorted(keys, query), keys.size - 1)
        return np.where(keys[pos] == query, rate[pos], 0.0)


def exposure_features(journeys: Journeys, kind: str = "binary") -> np.ndarray:
    """Per-journey channel exposure matrix (n_journeys, n_channels).

    ``"binary"``: 1 if the journey touches the channel; ``"count"``: number of touches.

    Examples
    --------
    >>> j = Journeys.from_paths(["A > B > A", "B"], conversions=[1, 1])
    >>> exposure_features(j, "count").tolist()
    [[2.0, 1.0], [0.0, 1.0]]
    """
    if kind not in ("binary", "count"):
        raise ValueError(f"features must be 'binary' or 'count', got {kind!r}")
    n = journeys.n_channels
    jid = np.repeat(np.arange(journeys.n_journeys, dtype=np.int64), journeys.lengths)
    counts = np.bincount(jid * n + journeys.channels, minlength=journeys.n_journeys * n).reshape(
        journeys.n_journeys, n
    )
    return (counts > 0).astype(np.float64) if kind == "binary" else counts.astype(np.float64)


def _weight_kwargs(model: Any, weight: np.ndarray) -> dict[str, np.ndarray]:
    """How to pass per-row journey counts to `model.fit` (pipelines route them by step)."""
    from sklearn.pipeline import Pipeline
    from sklearn.utils.validation import has_fit_parameter

    if isinstance(model, Pipeline):
        name, last = model.steps[-1]
        if has_fit_parameter(last, "sample_weight"):
            return {f"{name}__sample_weight": weight}
        target = type(last).__name__
    elif has_fit_parameter(model, "sample_weight"):
        return {"sample_weight": weight}
    else:
        target = type(model).__name__
    raise TypeError(
        f"{target}.fit takes no sample_weight; journeys are weighted by their conversions and"
        " nulls, so the estimator must accept per-row weights"
    )


class CounterfactualRateGame(Game):
    """v(S) = expected conversions (or value) if only the channels in S existed.

    Every journey keeps its touches of the channels in S and converts at the observed
    rate of the channel set it is left with; a journey left with no channel does not
    convert. The rates are `SetRateGame`'s, smoothed by default.

    Parameters
    ----------
    journeys : Journeys
    what : {"conversions", "value"}, default "conversions"
    policy : {"smoothed", "zero"}, default "smoothed"
        The rates of channel sets: `SetRateGame`'s smoothed rates, or the raw observed
        rates with 0 for a set no journey has.
    strength : float, default 10.0
        Prior weight of the smoothed rates, in journeys (see `SetRateGame`).

    Notes
    -----
    With :math:`n_T` the journeys whose channel set is T and :math:`r(U)` the rate of
    set U,

    .. math:: v(S) = \\sum_T n_T \\, r(T \\cap S),

    the structure of `ModelGame` (and of the coalition world's truth,
    `attribution_lab.simulate`) with observed rates in place of a fitted model. Writing r
    through its dividends :math:`d(V) = \\sum_{U \\subseteq V} (-1)^{|V| - |U|} r(U)` and
    :math:`W(V) = \\sum_{T \\supseteq V} n_T`,
    :math:`v(S) = \\sum_{V \\subseteq S} d(V) W(V)`, so the Shapley values have the
    closed form (`closed_form`)

    .. math:: \\phi_c = \\sum_{V \\ni c} \\frac{d(V) \\, W(V)}{|V|}
              = \\sum_T n_T \\, \\phi_c(r|_T),

    each channel set's journeys credited by the Shapley values of the rate game
    restricted to that set's channels, which sum to its rate (Harsanyi 1963). Only the
    subsets of the observed sets enter, so the game is solved (and evaluated on any
    coalition) from one dense table of the :math:`2^{|T|}` subsets of each distinct set
    T, at a cost of :math:`\\sum_T 2^{|T|}` cells whatever the number of channels; the
    smoothed rate of a subset needs only its own subsets. The 2^n table of all coalitions
    (`table`, at most 24 channels) is kept as the slow reference. Data where the cells
    exceed `attribution_lab.shapley.sets.MAX_SUBSET_CELLS` (journeys touching more than
    about 20 distinct channels) are refused, naming how many journeys are that wide.
    With ``policy="zero"`` and
    only converting sets this is DP6's per-set sub-game credit (`SetRateGame`'s
    ``"subgame"`` policy); here every journey counts, as the counterfactual requires (a
    journey that did not convert with all its channels may have converted with fewer),
    and the smoothed rates keep a set seen in a handful of journeys from driving the
    credit of its channels. A channel is credited only through the journeys that touch
    it, so a rare channel gets little credit however well its few journeys convert
    (unlike the Shapley values of `SetRateGame`, which weigh every coalition alike).
    :math:`v(N) - v(\\emptyset) = \\sum_T n_T r(T)`, the (smoothed) conversions.

    References
    ----------
    Harsanyi, J. C. (1963). A simplified bargaining model for the n-person cooperative
    game. International Economic Review, 4(2), 194-220.

    Dalessandro, B., Perlich, C., Stitelman, O., & Provost, F. (2012). Causally motivated
    attribution for online advertising. Proceedings of the Sixth International Workshop on
    Data Mining for Online Advertising (ADKDD '12).

    Google's fractribution (github.com/google/fractribution) credits each converting path
    by Shapley values of coalition conversion rates restricted to the path's channels.

    Examples
    --------
    >>> j = Journeys.from_paths(["A", "A > B", "B"], conversions=[1, 3, 0], nulls=[3, 1, 4])
    >>> g = CounterfactualRateGame(j, policy="zero")  # rates: A 1/4, B 0, AB 3/4
    >>> g([0b00, 0b01, 0b10, 0b11]).tolist()  # with A alone, AB's 4 journeys convert 1/4
    [0.0, 2.0, 0.0, 4.0]
    >>> g.closed_form().tolist()  # A: 1 + 4 x (1/4 + 1/4), B: 4 x 1/4
    [3.0, 1.0]
    """

    def __init__(
        self,
        journeys: Journeys,
        what: str = "conversions",
        policy: str = "smoothed",
        strength: float = 10.0,
    ) -> None:
        self.what = _check_what(what)
        if policy not in ("smoothed", "zero"):
            raise ValueError(f"policy must be 'smoothed' or 'zero', got {policy!r}")
        self.policy = policy
        self.strength = _check_strength(strength)
        self._journeys = journeys
        self.n_players = journeys.n_channels
        self.player_names = journeys.channel_names
        self.n_evaluations = 0
        self._sets = ChannelSets(journeys, what)
        self._subsets = SubsetTables(self._sets, "counterfactual")
        self._rates = self._subset_rates()
        self._table: np.ndarray | None = None

    def _subset_rates(self) -> list[np.ndarray]:
        won, seen = self._sets.won, self._sets.seen
        if self.policy == "zero":
            return self._subsets.observed_values(won / seen)
        return self._subsets.smoothed_rates(won, seen, self.strength)

    def value_game(self) -> CounterfactualRateGame:
        """The same game scoring conversion value, sharing the tables of subsets.

        Equal to ``CounterfactualRateGame(journeys, what="value", ...)``, without building
        the subsets of the channel sets again.

        Examples
        --------
        >>> j = Journeys.from_paths(["A", "A > B"], conversions=[1, 2], nulls=[1, 0],
        ...                         values=[10.0, 50.0])
        >>> g = CounterfactualRateGame(j, policy="zero").value_game()
        >>> g.what, g.closed_form().tolist()  # rates A 5, AB 25: A 2 x 5 + 2 x (5 + 25) / 2
        ('value', [40.0, 20.0])
        """
        import copy

        game = copy.copy(self)
        game.what = "value"
        game.n_evaluations = 0
        game._table = None
        game._sets = copy.copy(self._sets)
        game._sets.won = self._sets.value
        game._rates = game._subset_rates()
        return game

    def table(self) -> np.ndarray:
        """v of all 2^n coalitions, indexed by bitmask (at most 24 channels).

        The slow reference: `SetRateGame`'s table of every coalition's rate and three
        O(n 2^n) transforms (`attribution_lab.shapley.exact.intersection_sums`).
        """
        if self._table is None:
            n = self.n_players
            _check_table_size(n, "CounterfactualRateGame.table")
            rates = SetRateGame(self._journeys, self.what, self.policy, self.strength)
            sets = rates._sets
            self._table = intersection_sums(rates.rate_table(), sets.masks(), sets.seen, n)
        return self._table

    def closed_form(self) -> np.ndarray:
        """Exact Shapley values from the subsets of the observed sets (see Notes)."""
        return self._subsets.restricted_shapley(self._rates, self._sets.seen)

    def _value(self, coalitions: np.ndarray) -> np.ndarray:
        if self._table is not None:
            return self._table[_coalition_masks(coalitions)]
        return self._subsets.intersection_values(self._rates, self._sets.seen, coalitions)


class ModelGame(Game):
    r"""v(S) = expected conversions when only the channels in S remain in each journey.

    A conversion model p(x) is fitted on per-journey channel exposures x (each journey
    weighted by its conversions and nulls); v(S) sums, over the journeys, their count
    times p(x with the channels outside S set to 0).

    Parameters
    ----------
    journeys : Journeys
    estimator : scikit-learn classifier, optional
        Any classifier (or pipeline ending in one) whose ``fit`` takes ``sample_weight``
        and that has ``predict_proba``; by
        default ``LogisticRegression(C=1.0, max_iter=1000)``. It is cloned and fitted.
    features : {"binary", "count"}, default "binary"
        Exposure features, see `exposure_features`.

    Attributes
    ----------
    estimator_ : the fitted estimator

    Notes
    -----
    .. math:: v(S) = \sum_j n_j \, \hat p(x_j \odot 1_S),

    with :math:`n_j` the journeys of row j. :math:`v(\emptyset)` is the conversions the
    model expects with no channel at all (the baseline) and the Shapley values share
    :math:`v(N) - v(\emptyset)` between the channels. For a logistic model the
    coalitions are scored with one matrix product of the masked, coefficient-weighted
    exposures; other estimators are called on the masked feature rows in blocks. A
    fitted model of observational journeys is a prediction, not a causal effect:
    channels that only reach people about to buy will look effective.

    Examples
    --------
    >>> j = Journeys.from_paths(["A > B", "A", "B", "C"], conversions=[30, 20, 5, 1],
    ...                         nulls=[10, 20, 35, 39])
    >>> g = ModelGame(j)
    >>> v = g([0b000, 0b111])
    >>> bool(v[1] > v[0]), round(float(v[1]), 1)  # the fit reproduces 56 conversions
    (True, 56.0)
    """

    def __init__(self, journeys: Journeys, estimator: Any = None, features: str = "binary") -> None:
        from sklearn.base import clone
        from sklearn.linear_model import LogisticRegression

        self.features = features
        x = exposure_features(journeys, features)
        rows, inv = np.unique(x, axis=0, return_inverse=True)
        inv = inv.ravel()
        conv = np.bincount(inv, weights=journeys.conversions, minlength=rows.shape[0])
        null = np.bincount(inv, weights=journeys.nulls, minlength=rows.shape[0])
        keep_c, keep_n = conv > 0, null > 0
        fit_x = np.vstack([rows[keep_c], rows[keep_n]])
        fit_y = np.concatenate([np.ones(keep_c.sum()), np.zeros(keep_n.sum())])
        fit_w = np.concatenate([conv[keep_c], null[keep_n]])
        if keep_c.sum() == 0 or keep_n.sum() == 0:
            raise ValueError("a conversion model needs both converting and non-converting journeys")
        model = LogisticRegression(C=1.0, max_iter=1000) if estimator is None else clone(estimator)
        if not hasattr(model, "predict_proba"):
            raise TypeError(f"estimator {type(model).__name__} has no predict_proba")
        model.fit(fit_x, fit_y, **_weight_kwargs(model, fit_w))
        self.estimator_ = model
        self._rows = rows
        self._weight = conv + null
        # value game: the rows' journeys times their mean value per conversion (rows that
        # never converted take the overall mean), i.e. channels move conversion odds but
        # not the size of a sale
        value = np.bincount(inv, weights=journeys.value, minlength=rows.shape[0])
        overall = journeys.total_value / journeys.n_conversions
        per_conversion = np.divide(value, conv, out=np.full(conv.size, overall), where=conv > 0)
        self._value_weight = self._weight * per_conversion
        self.what = "conversions"
        self._table: np.ndarray | None = None
        self.n_players = journeys.n_channels
        self.player_names = journeys.channel_names
        self.n_evaluations = 0
        self._linear = isinstance(model, LogisticRegression) and model.classes_.size == 2

    def value_game(self) -> ModelGame:
        """The same fitted model scoring expected conversion value instead of conversions.

        v(S) weighs each journey's probability by its mean value per conversion (the
        overall mean for journeys that never converted): channels change the odds of a
        sale, not its size.

        Examples
        --------
        >>> j = Journeys.from_paths(["A", "B"], conversions=[2, 1], nulls=[2, 3],
        ...                         values=[200.0, 10.0])
        >>> from sklearn.linear_model import LogisticRegression
        >>> g = ModelGame(j, LogisticRegression(C=1e6)).value_game()
        >>> round(float(g([0b11])[0]), 2)  # the fit reproduces 2 x 100 + 1 x 10
        210.0
        """
        import copy

        game = copy.copy(self)
        game._weight = self._value_weight
        game.what = "value"
        game.n_evaluations = 0
        game._table = None
        return game

    def _predict(self, x: np.ndarray) -> np.ndarray:
        """P(conversion) of exposure rows, in blocks."""
        out = np.empty(x.shape[0])
        step = 1 << 16
        if self._linear:
            beta = self.estimator_.coef_.ravel()
            b = float(self.estimator_.intercept_[0])
            for lo in range(0, x.shape[0], step):
                out[lo : lo + step] = 1.0 / (1.0 + np.exp(-(x[lo : lo + step] @ beta + b)))
            return out
        positive = list(self.estimator_.classes_).index(1)
        for lo in range(0, x.shape[0], step):
            out[lo : lo + step] = self.estimator_.predict_proba(x[lo : lo + step])[:, positive]
        return out

    def table(self) -> np.ndarray:
        """v of all 2^n coalitions, indexed by bitmask (binary features only).

        With binary exposures a journey of channel set T scores p(T & S) under coalition
        S, so :math:`v(S) = \\sum_T n_T \\, p(T \\cap S)`. Writing p through its
        dividends, :math:`p(U) = \\sum_{V \\subseteq U} d(V)`, gives
        :math:`v(S) = \\sum_{V \\subseteq S} d(V) W(V)` with
        :math:`W(V) = \\sum_{T \\supseteq V} n_T`: the model is scored once per
        coalition and three O(n 2^n) transforms replace the coalitions x journeys
        products.
        """
        if self._table is None:
            n = self.n_players
            if self.features != "binary":
                raise ValueError("a coalition table needs features='binary'")
            if n > _MAX_TABLE_PLAYERS:
                raise ValueError(f"a table of all 2^{n} coalitions is too large (n > 24)")
            size = 1 << n
            bits = np.int64(1) << np.arange(n, dtype=np.int64)
            p = np.empty(size)
            step = 1 << 16
            for lo in range(0, size, step):
                masks = np.arange(lo, min(lo + step, size), dtype=np.int64)
                p[lo : lo + step] = self._predict(((masks[:, None] & bits) != 0).astype(float))
            sets = (self._rows > 0).astype(np.int64) @ bits
            self._table = intersection_sums(p, sets, self._weight, n)
        return self._table

    def _value(self, coalitions: np.ndarray) -> np.ndarray:
        n = self.n_players
        rows = self._rows.shape[0]
        if self._table is not None or (
            self.features == "binary"
            and n <= _MAX_TABLE_PLAYERS
            and coalitions.shape[0] * rows > (n + 1) << n
        ):
            return self.table()[_coalition_masks(coalitions)]
        s = coalitions.astype(np.float64)
        if self._linear:
            beta = self.estimator_.coef_.ravel()
            b = float(self.estimator_.intercept_[0])
            scored = (self._rows * beta).T  # (n_players, rows)
            out = np.empty(s.shape[0])
            step = max(1, _BLOCK_CELLS // 8 // max(self._rows.shape[0], 1))
            for lo in range(0, s.shape[0], step):
                logits = s[lo : lo + step] @ scored + b
                out[lo : lo + step] = (1.0 / (1.0 + np.exp(-logits))) @ self._weight
            return out
        k = self._rows.shape[0]
        positive = list(self.estimator_.classes_).index(1)
        out = np.empty(s.shape[0])
        step = max(1, (1 << 20) // max(k, 1))
        for lo in range(0, s.shape[0], step):
            block = s[lo : lo + step]
            masked = (block[:, None, :] * self._rows[None, :, :]).reshape(-1, self.n_players)
            p = self.estimator_.predict_proba(masked)[:, positive].reshape(block.shape[0], k)
            out[lo : lo + step] = p @ self._weight
        return out


class TouchpointGame(Game):
    r"""Players are the touches of one journey; v(S) = modelled conversion probability
    when only the touches in S happened.

    Parameters
    ----------
    model : ModelGame
        Supplies the fitted conversion model and its feature kind.
    journeys : Journeys
    index : int
        Which journey.

    Notes
    -----
    With :math:`x(S)` the exposure features built from the touches in S (binary: channel
    touched at least once; count: touches per channel),
    :math:`v(S) = \hat p(x(S))`. With binary features, repeated touches of a channel are
    perfect substitutes and share the channel's contribution; with counts each adds to
    the logit. Journeys of more than about 20 touches need a sampling estimator.

    Examples
    --------
    >>> j = Journeys.from_paths(["A > B > A", "B", "A"], conversions=[6, 1, 3],
    ...                         nulls=[4, 9, 7])
    >>> g = TouchpointGame(ModelGame(j), j, 0)
    >>> g.n_players, g.player_names
    (3, ('0:A', '1:B', '2:A'))
    >>> v = g([0b000, 0b001, 0b100])
    >>> bool(v[1] == v[2] > v[0])  # either A touch alone is worth the same
    True
    """

    def __init__(self, model: ModelGame, journeys: Journeys, index: int) -> None:
        if not isinstance(model, ModelGame):
            raise TypeError(f"model must be a ModelGame, got {type(model).__name__}")
        if not 0 <= int(index) < journeys.n_journeys:
            raise IndexError(f"journey {index} out of range for {journeys.n_journeys} journeys")
        if journeys.channel_names != model.player_names:
            raise ValueError("the journeys' channels differ from those the model was fitted on")
        lo, hi = journeys.offsets[int(index)], journeys.offsets[int(index) + 1]
        touches = journeys.channels[lo:hi]
        self.model = model
        self.n_players = int(touches.size)
        names = journeys.channel_names
        self.player_names = tuple(f"{k}:{names[c]}" for k, c in enumerate(touches))
        self._onehot = np.zeros((touches.size, journeys.n_channels))
        self._onehot[np.arange(touches.size), touches] = 1.0
        self.n_evaluations = 0

    def _value(self, coalitions: np.ndarray) -> np.ndarray:
        x = coalitions.astype(np.float64) @ self._onehot
        if self.model.features == "binary":
            x = (x > 0).astype(np.float64)
        est = self.model.estimator_
        if self.model._linear:
            logits = x @ est.coef_.ravel() + float(est.intercept_[0])
            return 1.0 / (1.0 + np.exp(-logits))
        positive = list(est.classes_).index(1)
        return est.predict_proba(x)[:, positive]
