"""Rule-based attribution: fixed rules that split each conversion over its journey's touches.

Every rule is a pure, vectorised kernel returning one weight per touch (weights of a
journey sum to 1) over the CSR arrays of `Journeys`; `credit_from_weights` turns weights
into channel credit, and a thin model class per rule adds parameters and validation.
`attribution_lab._reference` holds a slow per-journey version of each kernel for tests.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .base import AttributionModel, register_model
from .journeys import Journeys
from .result import AttributionResult

__all__ = [
    "CustomPositionAttribution",
    "FirstTouchAttribution",
    "FullPathAttribution",
    "LastNonDirectAttribution",
    "LastTouchAttribution",
    "LinearAttribution",
    "PositionBasedAttribution",
    "TimeDecayAttribution",
    "WShapedAttribution",
    "anchored_weights",
    "credit_from_weights",
    "custom_position_weights",
    "evenly_spaced_anchors",
    "first_touch_weights",
    "last_non_direct_weights",
    "last_touch_weights",
    "linear_weights",
    "position_decay_weights",
    "time_decay_weights",
    "unique_linear_weights",
]

#: Channel names treated as direct by `LastNonDirectAttribution` (compared case-insensitively).
DEFAULT_DIRECT = ("direct", "(direct)", "direct traffic", "(none)")


# ----------------------------------------------------------------------------- kernels
def _journey_index(offsets: np.ndarray) -> np.ndarray:
    return np.repeat(np.arange(offsets.size - 1), np.diff(offsets))


def first_touch_weights(offsets: np.ndarray) -> np.ndarray:
    """Weight 1 on the first touch of every journey.

    Examples
    --------
    >>> first_touch_weights(np.array([0, 3, 4])).tolist()
    [1.0, 0.0, 0.0, 1.0]
    """
    w = np.zeros(offsets[-1])
    w[offsets[:-1]] = 1.0
    return w


def last_touch_weights(offsets: np.ndarray) -> np.ndarray:
    """Weight 1 on the last touch of every journey.

    Examples
    --------
    >>> last_touch_weights(np.array([0, 3, 4])).tolist()
    [0.0, 0.0, 1.0, 1.0]
    """
    w = np.zeros(offsets[-1])
    w[offsets[1:] - 1] = 1.0
    return w


def last_non_direct_weights(
    channels: np.ndarray, offsets: np.ndarray, is_direct: np.ndarray
) -> np.ndarray:
    """Weight 1 on the last touch whose channel is not direct; the last touch if all are.

    Parameters
    ----------
    is_direct : bool array, one entry per channel code

    Examples
    --------
    >>> last_non_direct_weights(np.array([0, 1, 1, 1]), np.array([0, 3, 4]),
    ...                         np.array([False, True])).tolist()
    [1.0, 0.0, 0.0, 1.0]
    """
    idx = np.arange(offsets[-1])
    candidate = np.where(is_direct[channels], -1, idx)
    last_nd = np.maximum.reduceat(candidate, offsets[:-1]) if offsets.size > 1 else candidate[:0]
    chosen = np.where(last_nd >= offsets[:-1], last_nd, offsets[1:] - 1)
    w = np.zeros(offsets[-1])
    w[chosen] = 1.0
    return w


def linear_weights(offsets: np.ndarray) -> np.ndarray:
    """Equal weight 1/L on each of a journey's L touches.

    Examples
    --------
    >>> linear_weights(np.array([0, 2, 3])).tolist()
    [0.5, 0.5, 1.0]
    """
    lengths = np.diff(offsets)
    return np.repeat(1.0 / lengths, lengths)


def unique_linear_weights(channels: np.ndarray, offsets: np.ndarray, n_channels: int) -> np.ndarray:
    """Equal weight per distinct channel of a journey, put on that channel's first touch.

    Examples
    --------
    >>> unique_linear_weights(np.array([0, 0, 1]), np.array([0, 3]), 2).tolist()
    [0.5, 0.0, 0.5]
    """
    jid = _journey_index(offsets)
    key = jid.astype(np.int64) * n_channels + channels
    _, first = np.unique(key, return_index=True)
    n_distinct = np.bincount(jid[first], minlength=offsets.size - 1)
    w = np.zeros(offsets[-1])
    w[first] = 1.0 / n_distinct[jid[first]]
    return w


def anchored_weights(
    offsets: np.ndarray,
    anchors: np.ndarray,
    anchor_shares: Sequence[float] | np.ndarray,
    rest_share: float,
) -> np.ndarray:
    """Shares on anchor touches, the rest split equally over the other touches.

    The kernel behind position-based, W-shaped and full-path rules.

    Parameters
    ----------
    offsets : CSR offsets of the journeys
    anchors : int array, shape (n_journeys, k)
        Position of each of the k anchors within each journey (0 = first touch).
    anchor_shares : k floats
        Share of each anchor. Anchors at the same position add their shares.
    rest_share : float
        Split equally over the touches that are no anchor.

    Notes
    -----
    A journey with no touch left for the rest share (as short as its distinct anchors)
    gets its anchor shares renormalised to sum to 1; if those are all zero, its touches
    share equally. Otherwise the shares already sum to 1.

    Examples
    --------
    >>> offsets = np.array([0, 1, 3, 7])
    >>> anchors = np.array([[0, 0], [0, 1], [0, 3]])
    >>> anchored_weights(offsets, anchors, [0.4, 0.4], 0.2).round(3).tolist()
    [1.0, 0.5, 0.5, 0.4, 0.1, 0.1, 0.4]
    """
    n_journeys = offsets.size - 1
    lengths = np.diff(offsets)
    shares = np.asarray(anchor_shares, dtype=np.float64)
    touch = (offsets[:-1, None] + anchors).ravel()
    n_touch = int(offsets[-1])
    w = np.bincount(touch, np.broadcast_to(shares, anchors.shape).ravel(), minlength=n_touch)
    is_anchor = np.zeros(n_touch, dtype=bool)
    is_anchor[touch] = True
    jid = _journey_index(offsets)
    n_rest = lengths - np.bincount(jid, is_anchor, minlength=n_journeys).astype(np.int64)
    per_rest = np.divide(rest_share, n_rest, out=np.zeros(n_journeys), where=n_rest > 0)
    w = np.where(is_anchor, w, per_rest[jid])
    total = np.bincount(jid, w, minlength=n_journeys)
    equal = total <= 0
    if equal.any():
        w = np.where(equal[jid], 1.0 / lengths[jid], w)
        total = np.where(equal, 1.0, total)
    return w / total[jid]


def evenly_spaced_anchors(journeys: Journeys, milestones: Sequence[str]) -> np.ndarray:
    """Anchor positions: the first touch, then the first touch flagged with each milestone.

    A milestone a journey lacks is placed at its evenly spaced position along the journey
    (anchor j of k at round-half-up of j (L - 1) / (k - 1)), kept between the positions of
    the present anchors before and after it.

    Returns
    -------
    int array, shape (n_journeys, 1 + len(milestones))

    Examples
    --------
    >>> j = Journeys.from_paths(["a > b > c > d > e"], conversions=[1])
    >>> evenly_spaced_anchors(j, ["lead", "opportunity"]).tolist()
    [[0, 2, 4]]
    """
    k = len(milestones) + 1
    last = journeys.lengths - 1
    found = np.column_stack(
        [np.zeros(journeys.n_journeys, dtype=np.int64)]
        + [journeys.milestone_position(m) for m in milestones]
    )
    present = found >= 0
    proxy = np.floor(np.arange(k)[None, :] * last[:, None] / max(k - 1, 1) + 0.5).astype(np.int64)
    # bounds from present anchors: the latest present one before, the earliest present one after
    lower = np.maximum.accumulate(np.where(present, found, 0), axis=1)
    upper = np.minimum.accumulate(np.where(present, found, last[:, None])[:, ::-1], axis=1)[:, ::-1]
    return np.where(present, found, np.clip(proxy, lower, np.maximum(lower, upper)))


def time_decay_weights(offsets: np.ndarray, times: np.ndarray, half_life: float) -> np.ndarray:
    """Weights proportional to 2 ** (-(t_conversion - t_touch) / half_life), per journey.

    Normalised per journey the conversion time cancels, so the kernel uses the journey's
    last touch as origin, which also keeps every exponent <= 0 (no overflow).

    Examples
    --------
    >>> time_decay_weights(np.array([0, 2]), np.array([0.0, 7.0]), 7.0).round(4).tolist()
    [0.3333, 0.6667]
    """
    jid = _journey_index(offsets)
    latest = times[offsets[1:] - 1]
    raw = np.exp2((times - latest[jid]) / half_life)
    return raw / np.bincount(jid, raw, minlength=offsets.size - 1)[jid]


def position_decay_weights(offsets: np.ndarray, half_life: float) -> np.ndarray:
    """Weights halving every `half_life` touches back from the last: 2 ** (-(L - 1 - i) / h).

    Examples
    --------
    >>> position_decay_weights(np.array([0, 3]), 1.0).round(4).tolist()
    [0.1429, 0.2857, 0.5714]
    """
    jid = _journey_index(offsets)
    steps_back = (offsets[1:] - 1)[jid] - np.arange(offsets[-1])
    raw = np.exp2(-steps_back / half_life)
    return raw / np.bincount(jid, raw, minlength=offsets.size - 1)[jid]


def custom_position_weights(
    offsets: np.ndarray, weights: np.ndarray, from_end: bool = False
) -> np.ndarray:
    """Raw weight ``weights[min(p, m - 1)]`` for the touch at position p, normalised per journey.

    Positions count from the first touch, or from the last when `from_end`; the last of the
    m weights applies to every position beyond. A journey whose raw weights are all zero
    is split equally.

    Examples
    --------
    >>> custom_position_weights(np.array([0, 4]), np.array([3.0, 1.0])).tolist()
    [0.5, 0.16666666666666666, 0.16666666666666666, 0.16666666666666666]
    """
    jid = _journey_index(offsets)
    idx = np.arange(offsets[-1])
    pos = (offsets[1:] - 1)[jid] - idx if from_end else idx - offsets[:-1][jid]
    raw = weights[np.minimum(pos, weights.size - 1)]
    lengths = np.diff(offsets)
    total = np.bincount(jid, raw, minlength=offsets.size - 1)
    zero = total <= 0
    raw = np.where(zero[jid], 1.0, raw)
    total = np.where(zero, lengths, total)
    return raw / total[jid]


def credit_from_weights(journeys: Journeys, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Channel credit in conversions and value from per-touch weights summing to 1 per journey.

    Examples
    --------
    >>> j = Journeys.from_paths(["a > b"], conversions=[2], values=[10.0])
    >>> credit_from_weights(j, np.array([0.25, 0.75]))
    (array([0.5, 1.5]), array([2.5, 7.5]))
    """
    jid = journeys.journey_index
    conv = np.bincount(
        journeys.channels, weights * journeys.conversions[jid], minlength=journeys.n_channels
    )
    val = np.bincount(
        journeys.channels, weights * journeys.value[jid], minlength=journeys.n_channels
    )
    return conv, val


# ----------------------------------------------------------------------------- models
def _check_share(name: str, v: Any) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a number, got {type(v).__name__}")
    if not np.isfinite(v) or v < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {v!r}")
    return float(v)


def _check_sum_to_one(shares: dict[str, Any]) -> None:
    vals = {k: _check_share(k, v) for k, v in shares.items()}
    total = sum(vals.values())
    if not np.isclose(total, 1.0, rtol=0, atol=1e-9):
        raise ValueError(
            "shares must sum to 1: "
            + " + ".join(f"{k}={v:g}" for k, v in vals.items())
            + f" = {total:g}"
        )


class RuleAttribution(AttributionModel):
    """Base of rule-based models: credit = conversions and value split by per-touch weights."""

    estimand = "rule"

    def touch_weights(self, journeys: Journeys) -> np.ndarray:
        """The weight of every touch of `journeys` (summing to 1 within each journey)."""
        self._validate_params()
        return self._weights(journeys)

    def _weights(self, journeys: Journeys) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError

    def _attribute(self, journeys: Journeys) -> AttributionResult:
        conv, val = credit_from_weights(journeys, self._weights(journeys))
        return AttributionResult(
            journeys.channel_names,
            conv,
            val,
            total_conversions=journeys.n_conversions,
            total_value=journeys.total_value,
            estimand=self.estimand,
            model=self.name,
            params=self.get_params(),
        )


@register_model
class FirstTouchAttribution(RuleAttribution):
    """All credit of a conversion to the journey's first touch.

    Examples
    --------
    >>> j = Journeys.from_paths(["A > B", "B > A"], conversions=[1, 3])
    >>> FirstTouchAttribution().fit(j).attribute().conversions.tolist()
    [1.0, 3.0]
    """

    name = "first_touch"
    summary = "all credit to the first touch"

    def _weights(self, journeys: Journeys) -> np.ndarray:
        return first_touch_weights(journeys.offsets)


@register_model
class LastTouchAttribution(RuleAttribution):
    """All credit of a conversion to the journey's last touch.

    Examples
    --------
    >>> j = Journeys.from_paths(["A > B", "B > A"], conversions=[1, 3])
    >>> LastTouchAttribution().fit(j).attribute().conversions.tolist()
    [3.0, 1.0]
    """

    name = "last_touch"
    summary = "all credit to the last touch"

    def _weights(self, journeys: Journeys) -> np.ndarray:
        return last_touch_weights(journeys.offsets)


@register_model
class LastNonDirectAttribution(RuleAttribution):
    """All credit to the last touch that is not a direct visit.

    Parameters
    ----------
    direct_channels : sequence of str, optional
        Channels counted as direct. By default any channel whose name is, ignoring case,
        one of `DEFAULT_DIRECT` ("direct", "(direct)", "direct traffic", "(none)").
        Names given explicitly must be channels of the journeys.

    Notes
    -----
    A journey made only of direct touches credits its last (direct) touch, as GA4's
    last-non-direct model does when there is no other source.

    Examples
    --------
    >>> j = Journeys.from_paths(["search > direct", "direct"], conversions=[1, 1])
    >>> LastNonDirectAttribution().fit(j).attribute().conversions.tolist()
    [1.0, 1.0]
    """

    name = "last_non_direct"
    summary = "all credit to the last touch that is not direct (all-direct paths credit direct)"

    def __init__(self, direct_channels: Sequence[str] | None = None) -> None:
        self.direct_channels = direct_channels

    def _validate_params(self) -> None:
        if isinstance(self.direct_channels, str):
            raise TypeError("direct_channels must be a sequence of channel names, not one string")

    def _fit(self, journeys: Journeys) -> None:
        self._is_direct(journeys)  # unknown direct channels are an error at fit time

    def _is_direct(self, journeys: Journeys) -> np.ndarray:
        names = journeys.channel_names
        if self.direct_channels is None:
            return np.array([n.strip().lower() in DEFAULT_DIRECT for n in names], dtype=bool)
        unknown = sorted(set(self.direct_channels) - set(names))
        if unknown:
            raise ValueError(f"direct_channels: {unknown} are not channels of the journeys {names}")
        return np.isin(np.asarray(names, dtype=object), list(self.direct_channels))

    def _weights(self, journeys: Journeys) -> np.ndarray:
        return last_non_direct_weights(
            journeys.channels, journeys.offsets, self._is_direct(journeys)
        )


@register_model
class LinearAttribution(RuleAttribution):
    """Equal credit to every touch of a journey (or to every distinct channel).

    Parameters
    ----------
    unique_channels : bool, default False
        Split over the journey's distinct channels instead of its touches, so that a
        channel touched three times gets no more than one touched once.

    Examples
    --------
    >>> j = Journeys.from_paths(["A > A > B"], conversions=[3])
    >>> LinearAttribution().fit(j).attribute().conversions.tolist()
    [2.0, 1.0]
    >>> LinearAttribution(unique_channels=True).fit(j).attribute().conversions.tolist()
    [1.5, 1.5]
    """

    name = "linear"
    summary = "equal credit to every touch (unique_channels=True: to every distinct channel)"

    def __init__(self, unique_channels: bool = False) -> None:
        self.unique_channels = unique_channels

    def _validate_params(self) -> None:
        if not isinstance(self.unique_channels, (bool, np.bool_)):
            raise TypeError(f"unique_channels must be True or False, got {self.unique_channels!r}")

    def _weights(self, journeys: Journeys) -> np.ndarray:
        if self.unique_channels:
            return unique_linear_weights(journeys.channels, journeys.offsets, journeys.n_channels)
        return linear_weights(journeys.offsets)


@register_model
class PositionBasedAttribution(RuleAttribution):
    """U-shaped credit: shares to the first and last touch, the rest over the middle touches.

    Parameters
    ----------
    first, middle, last : float, default 0.4, 0.2, 0.4
        Non-negative shares summing to 1.

    Notes
    -----
    A journey of one touch gives it all the credit. A journey of two touches has no middle,
    so they get ``first / (first + last)`` and ``last / (first + last)`` (0.5 / 0.5 by
    default); if both are 0 they split equally. From three touches on, each middle touch
    gets ``middle / (L - 2)``.

    Examples
    --------
    >>> j = Journeys.from_paths(["A > B > C > D", "A > B"], conversions=[1, 1])
    >>> PositionBasedAttribution().fit(j).attribute().conversions.round(3).tolist()
    [0.9, 0.6, 0.1, 0.4]
    """

    name = "position_based"
    summary = "U-shaped: first 0.4, last 0.4, 0.2 split over the middle touches"

    def __init__(self, first: float = 0.4, middle: float = 0.2, last: float = 0.4) -> None:
        self.first = first
        self.middle = middle
        self.last = last

    def _validate_params(self) -> None:
        _check_sum_to_one({"first": self.first, "middle": self.middle, "last": self.last})

    def _weights(self, journeys: Journeys) -> np.ndarray:
        anchors = np.column_stack([np.zeros(journeys.n_journeys, np.int64), journeys.lengths - 1])
        return anchored_weights(journeys.offsets, anchors, [self.first, self.last], self.middle)


class _MilestoneAttribution(RuleAttribution):
    _milestones: tuple[str, ...] = ()

    def _shares(self) -> dict[str, Any]:  # pragma: no cover
        raise NotImplementedError

    def _validate_params(self) -> None:
        _check_sum_to_one(self._shares())

    def _weights(self, journeys: Journeys) -> np.ndarray:
        shares = list(self._shares().values())
        anchors = evenly_spaced_anchors(journeys, self._milestones)
        return anchored_weights(journeys.offsets, anchors, shares[:-1], shares[-1])


@register_model
class WShapedAttribution(_MilestoneAttribution):
    """W-shaped credit: first touch, lead-creation touch and opportunity-creation touch.

    Parameters
    ----------
    first, lead, opportunity, rest : float, default 0.3, 0.3, 0.3, 0.1
        Non-negative shares summing to 1; `rest` is split over the other touches.

    Notes
    -----
    Milestone touches are the first touches of a journey flagged ``"lead"`` and
    ``"opportunity"`` in ``Journeys.milestones``. Milestones at the same touch add their
    shares. A journey without a milestone flag (e.g. every journey of a path table) takes it
    at its evenly spaced position: with no flags at all the anchors are the first, middle
    (round half up) and last touches; see `evenly_spaced_anchors`. When no touch is left
    for `rest`, the anchor shares are renormalised to sum to 1.

    Examples
    --------
    >>> j = Journeys.from_paths(["A > B > C > D > E"], conversions=[1])
    >>> WShapedAttribution().fit(j).attribute().conversions.round(3).tolist()
    [0.3, 0.05, 0.3, 0.05, 0.3]
    """

    name = "w_shaped"
    summary = "W-shaped: 0.3 each to first, lead-creation and opportunity touches, 0.1 to the rest"
    _milestones = ("lead", "opportunity")

    def __init__(
        self, first: float = 0.3, lead: float = 0.3, opportunity: float = 0.3, rest: float = 0.1
    ) -> None:
        self.first = first
        self.lead = lead
        self.opportunity = opportunity
        self.rest = rest

    def _shares(self) -> dict[str, Any]:
        return {
            "first": self.first,
            "lead": self.lead,
            "opportunity": self.opportunity,
            "rest": self.rest,
        }


@register_model
class FullPathAttribution(_MilestoneAttribution):
    """Full-path (Z-shaped) credit: first, lead, opportunity and closed-won touches.

    Parameters
    ----------
    first, lead, opportunity, closed_won, rest : float, default 0.225 x 4 and 0.1
        Non-negative shares summing to 1.

    Notes
    -----
    As `WShapedAttribution`, with the ``"closed_won"`` milestone as a fourth anchor. Without
    milestone flags the anchors sit at positions 0, 1/3, 2/3 and 1 of the journey.

    Examples
    --------
    >>> j = Journeys.from_paths(["A > B > C > D > E"], conversions=[1])
    >>> FullPathAttribution().fit(j).attribute().conversions.round(3).tolist()
    [0.225, 0.225, 0.1, 0.225, 0.225]
    """

    name = "full_path"
    summary = "full-path (Z): 0.225 each to first, lead, opportunity, closed-won; 0.1 to the rest"
    _milestones = ("lead", "opportunity", "closed_won")

    def __init__(
        self,
        first: float = 0.225,
        lead: float = 0.225,
        opportunity: float = 0.225,
        closed_won: float = 0.225,
        rest: float = 0.1,
    ) -> None:
        self.first = first
        self.lead = lead
        self.opportunity = opportunity
        self.closed_won = closed_won
        self.rest = rest

    def _shares(self) -> dict[str, Any]:
        return {
            "first": self.first,
            "lead": self.lead,
            "opportunity": self.opportunity,
            "closed_won": self.closed_won,
            "rest": self.rest,
        }


@register_model
class TimeDecayAttribution(RuleAttribution):
    """Credit decaying with the time between a touch and the conversion.

    Parameters
    ----------
    half_life : float, default 7.0
        Days after which a touch's weight halves (time units of ``Journeys.times``).
    position_half_life : float, default 1.0
        Touches after which the weight halves, used when the journeys have no timestamps.
    use_times : bool, optional
        Force the timed (True) or the positional (False) variant; by default the timed one
        when the journeys have timestamps.

    Notes
    -----
    With timestamps, touch i of a journey converting at t gets weight
    ``2 ** (-(t - t_i) / half_life)``, normalised over the journey. The conversion time
    cancels in the normalisation, so it does not matter whether ``end_time`` is known.
    Without timestamps, the touch i steps before the last gets ``2 ** (-i / position_half_life)``
    (halving per touch by default), normalised.

    Examples
    --------
    >>> j = Journeys.from_paths([["A", "B"]], conversions=[1], times=[[0.0, 7.0]])
    >>> TimeDecayAttribution(half_life=7).fit(j).attribute().conversions.round(4).tolist()
    [0.3333, 0.6667]
    """

    name = "time_decay"
    summary = "weight 2^(-(t_conversion - t_touch)/half_life); by position without timestamps"

    def __init__(
        self, half_life: float = 7.0, position_half_life: float = 1.0, use_times: bool | None = None
    ) -> None:
        self.half_life = half_life
        self.position_half_life = position_half_life
        self.use_times = use_times

    def _validate_params(self) -> None:
        for nm in ("half_life", "position_half_life"):
            v = _check_share(nm, getattr(self, nm))
            if v <= 0:
                raise ValueError(f"{nm} must be > 0, got {v!r}")
        if self.use_times not in (None, True, False):
            raise TypeError(f"use_times must be None, True or False, got {self.use_times!r}")

    def _weights(self, journeys: Journeys) -> np.ndarray:
        timed = journeys.has_times if self.use_times is None else self.use_times
        if timed:
            if not journeys.has_times:
                raise ValueError("use_times=True but the journeys have no touch times")
            return time_decay_weights(journeys.offsets, journeys.times, float(self.half_life))
        return position_decay_weights(journeys.offsets, float(self.position_half_life))


@register_model
class CustomPositionAttribution(RuleAttribution):
    """Credit by position with user-chosen weights.

    Parameters
    ----------
    weights : sequence of float, default (1.0,)
        Raw weight of positions 0, 1, ..., m - 1 (counted from the first touch, or from the
        last when `from_end`); the last weight applies to all later positions. Weights are
        normalised within each journey; a journey whose weights are all 0 splits equally.
    from_end : bool, default False

    Examples
    --------
    >>> j = Journeys.from_paths(["A > B > C"], conversions=[1])
    >>> CustomPositionAttribution(weights=[0.6, 0.3, 0.1]).fit(j).attribute().conversions.tolist()
    [0.6, 0.3, 0.1]
    """

    name = "custom_position"
    summary = "user-chosen weights by position from the first (or last) touch, normalised"

    def __init__(self, weights: Sequence[float] = (1.0,), from_end: bool = False) -> None:
        self.weights = weights
        self.from_end = from_end

    def _validate_params(self) -> None:
        if isinstance(self.weights, (str, bytes)) or not isinstance(
            self.weights, Sequence | np.ndarray
        ):
            raise TypeError(f"weights must be a sequence of numbers, got {self.weights!r}")
        if len(self.weights) == 0:
            raise ValueError("weights must not be empty")
        for k, v in enumerate(self.weights):
            _check_share(f"weights[{k}]", v)
        if not isinstance(self.from_end, (bool, np.bool_)):
            raise TypeError(f"from_end must be True or False, got {self.from_end!r}")

    def _weights(self, journeys: Journeys) -> np.ndarray:
        return custom_position_weights(
            journeys.offsets, np.asarray(self.weights, dtype=float), bool(self.from_end)
        )
