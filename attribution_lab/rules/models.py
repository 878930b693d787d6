"""Rule-based attribution: fixed rules that split each conversion over its journey's touches.

Every rule is a pure, vectorised kernel returning one weight per touch (weights of a
journey sum to 1) over the CSR arrays of `Journeys`; `credit_from_weights` turns weights
into channel credit, and a thin model class per rule adds parameters and validation.
`attribution_lab._reference` holds a slow per-journey version of each kernel for tests.

Models credit the converting journeys block by block of about `_BLOCK_TOUCHES` touches,
adding credit touch by touch in order: the sums are the same, bit for bit, as one
``np.bincount`` over the weights of all touches, while no temporary spans all touches
(at 1e8 touches each would take 0.4-0.8 GB, and first-touching such fresh memory costs
more than the arithmetic). Kernels keep their per-touch temporaries few: int32 indices
where they fit, in-place arithmetic, ``np.add.at`` (which takes int32 indices as they are,
where ``np.bincount`` copies them to int64).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Sequence
from itertools import pairwise
from typing import Any, NamedTuple

import numpy as np

from ._validation import DataWarning, did_you_mean, show
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
#: Touches per block when a model credits its journeys block by block (`RuleAttribution`):
#: the per-touch temporaries of a block take a few MB, reused from one block to the next,
#: where arrays over all touches would take GBs at 1e8 touches and first-touching their
#: fresh pages would cost more than the arithmetic.
_BLOCK_TOUCHES = 1 << 18


def _index_dtype(n: int) -> type[np.signedinteger]:
    """int32 for indices below `n` when they fit (half the memory of int64), else int64."""
    return np.int32 if n <= np.iinfo(np.int32).max else np.int64


def _journey_index(offsets: np.ndarray) -> np.ndarray:
    """The journey of every touch, as int32 when the journeys allow it."""
    n_journeys = offsets.size - 1
    return np.repeat(np.arange(n_journeys, dtype=_index_dtype(n_journeys)), np.diff(offsets))


def _sum_by_journey(jid: np.ndarray, x: np.ndarray, n_journeys: int) -> np.ndarray:
    """Per-journey sums of per-touch `x`, added in touch order.

    The same sums, bit for bit, as ``np.bincount(jid, x)``, which would first copy an int32
    `jid` to a per-touch int64 array.
    """
    out = np.zeros(n_journeys)
    np.add.at(out, jid, x)
    return out


class _Block(NamedTuple):
    """Some journeys: their CSR offsets (from 0), their indices and the indices of their touches."""

    offsets: np.ndarray
    journeys: slice | np.ndarray
    touches: slice | np.ndarray


def _all_journeys(journeys: Journeys) -> _Block:
    return _Block(journeys.offsets, slice(None), slice(None))


def _block_bounds(offsets: np.ndarray) -> list[tuple[int, int]]:
    """Journey ranges ``[lo, hi)`` of about `_BLOCK_TOUCHES` touches each, covering all journeys."""
    cuts = np.searchsorted(offsets, np.arange(_BLOCK_TOUCHES, offsets[-1], _BLOCK_TOUCHES))
    bounds = np.unique(np.concatenate([[0], cuts, [offsets.size - 1]]))
    return list(pairwise(bounds.tolist()))


def _blocks(journeys: Journeys, converting: bool = False) -> Iterator[_Block]:
    """Consecutive journeys in blocks of about `_BLOCK_TOUCHES` touches, covering all journeys.

    With `converting`, only the journeys with conversions: the others (whose value is 0
    too) add nothing to any credit.
    """
    offsets = journeys.offsets
    for lo, hi in _block_bounds(offsets):
        local = offsets[lo : hi + 1] - offsets[lo]
        keep = journeys.conversions[lo:hi] > 0 if converting else None
        if keep is None or keep.all():
            yield _Block(local, slice(lo, hi), slice(int(offsets[lo]), int(offsets[hi])))
        elif keep.any():
            kept = np.flatnonzero(keep)
            lengths = np.diff(local)[kept]
            sub = np.zeros(kept.size + 1, dtype=np.int64)
            np.cumsum(lengths, out=sub[1:])
            touches = np.repeat(offsets[lo:hi][kept] - sub[:-1], lengths)
            touches += np.arange(sub[-1])
            yield _Block(sub, kept + lo, touches)


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


def _last_non_direct_touch(
    channels: np.ndarray, offsets: np.ndarray, is_direct: np.ndarray
) -> np.ndarray:
    """Index of the touch each journey credits: its last non-direct touch, else its last."""
    last = offsets[1:] - 1
    if last.size == 0 or not np.any(is_direct):
        return last
    direct = is_direct[channels]
    if not direct.any():
        return last
    candidate = np.arange(offsets[-1], dtype=_index_dtype(int(offsets[-1])))
    candidate[direct] = -1
    last_nd = np.maximum.reduceat(candidate, offsets[:-1])
    return np.where(last_nd >= offsets[:-1], last_nd, last)


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
    w = np.zeros(offsets[-1])
    w[_last_non_direct_touch(channels, offsets, is_direct)] = 1.0
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


def _first_occurrence(key: np.ndarray, n_keys: int) -> np.ndarray:
    """True where `key` (an int in ``range(n_keys)``) occurs for the first time."""
    n = key.size
    if n_keys <= 4 * n + 1024:
        # a table of the first index of every key: linear time, no sort
        idx = np.arange(n, dtype=_index_dtype(n))
        first = np.full(n_keys, n, dtype=idx.dtype)
        np.minimum.at(first, key, idx)
        return first[key] == idx
    is_first = np.zeros(n, dtype=bool)
    is_first[np.unique(key, return_index=True)[1]] = True
    return is_first


def unique_linear_weights(channels: np.ndarray, offsets: np.ndarray, n_channels: int) -> np.ndarray:
    """Equal weight per distinct channel of a journey, put on that channel's first touch.

    Examples
    --------
    >>> unique_linear_weights(np.array([0, 0, 1]), np.array([0, 3]), 2).tolist()
    [0.5, 0.0, 0.5]
    """
    n_journeys = offsets.size - 1
    w = np.zeros(offsets[-1])
    if n_journeys == 0:
        return w
    jid = _journey_index(offsets)
    # (journey, channel) key in int64: n_journeys * n_channels may not fit in int32
    is_first = _first_occurrence(
        jid.astype(np.int64) * n_channels + channels, n_journeys * n_channels
    )
    n_distinct = np.add.reduceat(is_first, offsets[:-1], dtype=np.int64)
    first = np.flatnonzero(is_first)
    w[first] = (1.0 / n_distinct)[jid[first]]
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
    anchors = np.asarray(anchors)
    # touches that are no anchor: the length less the distinct anchor positions
    n_rest = lengths.copy()
    for a in range(anchors.shape[1]):
        new = np.ones(n_journeys, dtype=bool)
        for b in range(a):
            new &= anchors[:, a] != anchors[:, b]
        n_rest -= new
    per_rest = np.divide(rest_share, n_rest, out=np.zeros(n_journeys), where=n_rest > 0)
    w = np.repeat(per_rest, lengths)
    touch = [offsets[:-1] + anchors[:, a] for a in range(anchors.shape[1])]
    for t in touch:
        w[t] = 0.0
    for t, share in zip(touch, shares, strict=True):  # anchors at one touch add up in order
        np.add.at(w, t, share)
    jid = _journey_index(offsets)
    total = _sum_by_journey(jid, w, n_journeys)
    equal = total <= 0
    if equal.any():
        w[np.repeat(equal, lengths)] = np.repeat(1.0 / lengths[equal], lengths[equal])
        total[equal] = 1.0
    w /= total[jid]
    return w


def _first_flagged(flags: np.ndarray | None, offsets: np.ndarray) -> np.ndarray:
    """Position of the first flagged touch of every journey, -1 where none is flagged."""
    out = np.full(offsets.size - 1, -1, dtype=np.int64)
    idx = np.zeros(0, np.int64) if flags is None else np.flatnonzero(flags)
    if idx.size:
        jid = np.searchsorted(offsets, idx, side="right") - 1
        first = np.flatnonzero(np.diff(jid, prepend=-1))  # idx is sorted: a journey's first
        out[jid[first]] = idx[first] - offsets[jid[first]]
    return out


def _spaced_anchors(lengths: np.ndarray, found: Sequence[np.ndarray]) -> np.ndarray:
    """`evenly_spaced_anchors` from the journey lengths and each milestone's position (or -1)."""
    k = len(found) + 1
    last = lengths - 1
    found = np.column_stack([np.zeros(lengths.size, dtype=np.int64), *found])
    present = found >= 0
    proxy = np.floor(np.arange(k)[None, :] * last[:, None] / max(k - 1, 1) + 0.5).astype(np.int64)
    # bounds from present anchors: the latest present one before, the earliest present one after
    lower = np.maximum.accumulate(np.where(present, found, 0), axis=1)
    upper = np.minimum.accumulate(np.where(present, found, last[:, None])[:, ::-1], axis=1)[:, ::-1]
    return np.where(present, found, np.clip(proxy, lower, np.maximum(lower, upper)))


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
    found = [_first_flagged(journeys.milestones.get(m), journeys.offsets) for m in milestones]
    return _spaced_anchors(journeys.lengths, found)


def time_decay_weights(offsets: np.ndarray, times: np.ndarray, half_life: float) -> np.ndarray:
    """Weights proportional to 2 ** (-(t_conversion - t_touch) / half_life), per journey.

    Normalised per journey the conversion time cancels, so the kernel uses the journey's
    last touch as origin, which also keeps every exponent <= 0 (no overflow).

    Examples
    --------
    >>> time_decay_weights(np.array([0, 2]), np.array([0.0, 7.0]), 7.0).round(4).tolist()
    [0.3333, 0.6667]
    """
    times = np.asarray(times, dtype=np.float64)
    jid = _journey_index(offsets)
    raw = times[offsets[1:] - 1][jid]
    np.subtract(times, raw, out=raw)
    raw /= half_life
    np.exp2(raw, out=raw)
    raw /= _sum_by_journey(jid, raw, offsets.size - 1)[jid]
    return raw


def _positions(offsets: np.ndarray, from_end: bool = False) -> np.ndarray:
    """Position of every touch in its journey, counted from the first (or the last) touch."""
    n_touch = int(offsets[-1])
    dtype = _index_dtype(n_touch)
    lengths = np.diff(offsets)
    if from_end:
        pos = np.repeat((offsets[1:] - 1).astype(dtype), lengths)
        pos -= np.arange(n_touch, dtype=dtype)
    else:
        pos = np.arange(n_touch, dtype=dtype)
        pos -= np.repeat(offsets[:-1].astype(dtype), lengths)
    return pos


def position_decay_weights(offsets: np.ndarray, half_life: float) -> np.ndarray:
    """Weights halving every `half_life` touches back from the last: 2 ** (-(L - 1 - i) / h).

    Examples
    --------
    >>> position_decay_weights(np.array([0, 3]), 1.0).round(4).tolist()
    [0.1429, 0.2857, 0.5714]
    """
    lengths = np.diff(offsets)
    longest = int(lengths.max()) if lengths.size else 0
    # the raw weight depends on the steps back only: one exp2 per distinct step
    raw = np.exp2(-np.arange(longest) / half_life)[_positions(offsets, from_end=True)]
    jid = _journey_index(offsets)
    raw /= _sum_by_journey(jid, raw, offsets.size - 1)[jid]
    return raw


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
    weights = np.asarray(weights, dtype=np.float64)
    pos = _positions(offsets, from_end)
    np.minimum(pos, weights.size - 1, out=pos)
    raw = weights[pos]
    del pos
    lengths = np.diff(offsets)
    jid = _journey_index(offsets)
    total = _sum_by_journey(jid, raw, offsets.size - 1)
    zero = total <= 0
    if zero.any():
        raw[np.repeat(zero, lengths)] = 1.0
        total[zero] = lengths[zero]
    raw /= total[jid]
    return raw


def _add_credit(
    journeys: Journeys, block: _Block, weights: np.ndarray, conv: np.ndarray, val: np.ndarray
) -> None:
    """Add to `conv` and `val` the credit of the journeys of `block` given their touch weights.

    Credit is added touch by touch in order, so adding block after block gives the same sums,
    bit for bit, as one ``np.bincount`` over all touches (journeys left out add 0).
    """
    lengths = np.diff(block.offsets)
    channels = journeys.channels[block.touches]
    for per_journey, out in ((journeys.conversions, conv), (journeys.value, val)):
        x = np.repeat(per_journey[block.journeys], lengths)
        x *= weights
        np.add.at(out, channels, x)


def _add_whole_credit(
    journeys: Journeys, rows: Any, credited: np.ndarray, conv: np.ndarray, val: np.ndarray
) -> None:
    """Add the whole credit of journeys `rows` to one channel each, `credited`, in order."""
    np.add.at(conv, credited, journeys.conversions[rows])
    np.add.at(val, credited, journeys.value[rows])


def _credit_end_touch(journeys: Journeys, last: bool) -> tuple[np.ndarray, np.ndarray]:
    """Credit when every journey gives all its credit to its first (or last) touch.

    Gathers one touch per journey, block by block, and adds in journey order: the same
    sums, bit for bit, as `credit_from_weights` over the per-touch weights.
    """
    conv, val = np.zeros(journeys.n_channels), np.zeros(journeys.n_channels)
    for lo, hi in _block_bounds(journeys.offsets):
        touch = journeys.offsets[lo + 1 : hi + 1] - 1 if last else journeys.offsets[lo:hi]
        _add_whole_credit(journeys, slice(lo, hi), journeys.channels[touch], conv, val)
    return conv, val


def credit_from_weights(journeys: Journeys, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Channel credit in conversions and value from per-touch weights summing to 1 per journey.

    Examples
    --------
    >>> j = Journeys.from_paths(["a > b"], conversions=[2], values=[10.0])
    >>> credit_from_weights(j, np.array([0.25, 0.75]))
    (array([0.5, 1.5]), array([2.5, 7.5]))
    """
    weights = np.asarray(weights, dtype=np.float64)
    if weights.shape != journeys.channels.shape:
        raise ValueError(
            f"weights has shape {weights.shape}; expected ({journeys.n_touchpoints},),"
            " one per touch"
        )
    conv, val = np.zeros(journeys.n_channels), np.zeros(journeys.n_channels)
    for block in _blocks(journeys, converting=True):
        _add_credit(journeys, block, weights[block.touches], conv, val)
    return conv, val


# ----------------------------------------------------------------------------- models
def _check_share(name: str, v: Any) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a number, got {type(v).__name__}")
    if not np.isfinite(v) or v < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {show(v)}")
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
    """Base of rule-based models: credit = conversions and value split by per-touch weights.

    A subclass gives the weights of the touches of any block of journeys
    (`_block_weights`); `_credit` adds the credit of the converting journeys block by block,
    with the same sums as `credit_from_weights` over the weights of all touches.
    """

    estimand = "rule"

    def touch_weights(self, journeys: Journeys) -> np.ndarray:
        """The weight of every touch of `journeys` (summing to 1 within each journey)."""
        self._validate_params()
        self._refuse_inert_params(journeys)
        return self._weights(journeys)

    def _weights(self, journeys: Journeys) -> np.ndarray:
        return self._block_weights(journeys, _all_journeys(journeys))

    def _block_weights(self, journeys: Journeys, block: _Block) -> np.ndarray:
        """Weights of the touches of the journeys of `block`."""
        raise NotImplementedError  # pragma: no cover

    def _credit(self, journeys: Journeys) -> tuple[np.ndarray, np.ndarray]:
        conv, val = np.zeros(journeys.n_channels), np.zeros(journeys.n_channels)
        for block in _blocks(journeys, converting=True):
            _add_credit(journeys, block, self._block_weights(journeys, block), conv, val)
        return conv, val

    def _attribute(self, journeys: Journeys) -> AttributionResult:
        if journeys.n_conversions == 0:
            warnings.warn(
                "the journeys have no conversions: every channel's credit is 0 (shares shown as 0)",
                DataWarning,
                stacklevel=3,
            )
        conv, val = self._credit(journeys)
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

    def _block_weights(self, journeys: Journeys, block: _Block) -> np.ndarray:
        return first_touch_weights(block.offsets)

    def _credit(self, journeys: Journeys) -> tuple[np.ndarray, np.ndarray]:
        return _credit_end_touch(journeys, last=False)


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

    def _block_weights(self, journeys: Journeys, block: _Block) -> np.ndarray:
        return last_touch_weights(block.offsets)

    def _credit(self, journeys: Journeys) -> tuple[np.ndarray, np.ndarray]:
        return _credit_end_touch(journeys, last=True)


@register_model
class LastNonDirectAttribution(RuleAttribution):
    """All credit to the last touch that is not a direct visit.

    Parameters
    ----------
    direct_channels : str or sequence of str, optional
        Channels counted as direct (one name, or several). By default any channel whose
        name is, ignoring case, one of `DEFAULT_DIRECT` ("direct", "(direct)", "direct
        traffic", "(none)"). Names given explicitly must be channels of the journeys.

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
        given = self._given()
        if given is not None and not all(isinstance(c, str) for c in given):
            raise TypeError(f"direct_channels must be channel names, got {self.direct_channels!r}")

    def _given(self) -> list[str] | None:
        # one name is one channel, not a sequence of one-letter names
        if self.direct_channels is None or isinstance(self.direct_channels, str):
            return None if self.direct_channels is None else [self.direct_channels]
        return list(self.direct_channels)

    def _fit(self, journeys: Journeys) -> None:
        self._is_direct(journeys)  # unknown direct channels are an error at fit time

    def _is_direct(self, journeys: Journeys) -> np.ndarray:
        names = journeys.channel_names
        given = self._given()
        if given is None:
            return np.array([n.strip().lower() in DEFAULT_DIRECT for n in names], dtype=bool)
        unknown = sorted(set(given) - set(names))
        if unknown:
            raise ValueError(
                f"direct_channels: {unknown} are not channels of the journeys"
                f"{did_you_mean(unknown[0], names)}"
            )
        return np.isin(np.asarray(names, dtype=object), given)

    def _block_weights(self, journeys: Journeys, block: _Block) -> np.ndarray:
        return last_non_direct_weights(
            journeys.channels[block.touches], block.offsets, self._is_direct(journeys)
        )

    def _credit(self, journeys: Journeys) -> tuple[np.ndarray, np.ndarray]:
        is_direct = self._is_direct(journeys)
        conv, val = np.zeros(journeys.n_channels), np.zeros(journeys.n_channels)
        for block in _blocks(journeys, converting=True):
            channels = journeys.channels[block.touches]
            credited = channels[_last_non_direct_touch(channels, block.offsets, is_direct)]
            _add_whole_credit(journeys, block.journeys, credited, conv, val)
        return conv, val


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

    def _block_weights(self, journeys: Journeys, block: _Block) -> np.ndarray:
        if self.unique_channels:
            channels = journeys.channels[block.touches]
            return unique_linear_weights(channels, block.offsets, journeys.n_channels)
        return linear_weights(block.offsets)


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

    def _block_weights(self, journeys: Journeys, block: _Block) -> np.ndarray:
        lengths = np.diff(block.offsets)
        anchors = np.column_stack([np.zeros(lengths.size, np.int64), lengths - 1])
        return anchored_weights(block.offsets, anchors, [self.first, self.last], self.middle)


class _MilestoneAttribution(RuleAttribution):
    _milestones: tuple[str, ...] = ()

    def _shares(self) -> dict[str, Any]:  # pragma: no cover
        raise NotImplementedError

    def _validate_params(self) -> None:
        _check_sum_to_one(self._shares())

    def _block_weights(self, journeys: Journeys, block: _Block) -> np.ndarray:
        shares = list(self._shares().values())
        flags = journeys.milestones
        found = [
            _first_flagged(flags[m][block.touches] if m in flags else None, block.offsets)
            for m in self._milestones
        ]
        anchors = _spaced_anchors(np.diff(block.offsets), found)
        return anchored_weights(block.offsets, anchors, shares[:-1], shares[-1])


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

    Only one of the two half-lives acts on given journeys, so setting the other one is an
    error rather than a silent no-op: `half_life` on journeys without touch times (every
    path table), `position_half_life` on journeys with them (unless ``use_times=False``).

    Examples
    --------
    >>> j = Journeys.from_paths([["A", "B"]], conversions=[1], times=[[0.0, 7.0]])
    >>> TimeDecayAttribution(half_life=7).fit(j).attribute().conversions.round(4).tolist()
    [0.3333, 0.6667]
    >>> untimed = Journeys.from_paths(["A > B"], conversions=[1])
    >>> TimeDecayAttribution(position_half_life=2).fit(untimed).attribute().conversions.round(4)
    array([0.4142, 0.5858])
    >>> TimeDecayAttribution(half_life=14).fit(untimed)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: time_decay: parameter half_life=14 cannot act: the journeys have no touch times...
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
                raise ValueError(f"{nm} must be > 0, got {show(v)}")
        if self.use_times not in (None, True, False):
            raise TypeError(f"use_times must be None, True or False, got {self.use_times!r}")

    def _inert_params(self, journeys: Journeys) -> dict[str, str]:
        if not self._timed(journeys):
            why = (
                "the journeys have no touch times (a path table has none)"
                if not journeys.has_times
                else "use_times=False weighs touches by position"
            )
            return {
                "half_life": f"{why}; position_half_life (in touches) sets the by-position decay"
            }
        return {
            "position_half_life": "the journeys have touch times, so half_life (in days) sets"
            " the decay; pass use_times=False to weigh touches by position"
        }

    def _timed(self, journeys: Journeys) -> bool:
        timed = journeys.has_times if self.use_times is None else self.use_times
        if timed and not journeys.has_times:
            raise ValueError("use_times=True but the journeys have no touch times")
        return bool(timed)

    def _credit(self, journeys: Journeys) -> tuple[np.ndarray, np.ndarray]:
        self._timed(journeys)  # fails before the first block, even with no journeys
        return super()._credit(journeys)

    def _block_weights(self, journeys: Journeys, block: _Block) -> np.ndarray:
        if self._timed(journeys):
            times = journeys.times[block.touches]
            return time_decay_weights(block.offsets, times, float(self.half_life))
        return position_decay_weights(block.offsets, float(self.position_half_life))


@register_model
class CustomPositionAttribution(RuleAttribution):
    """Credit by position with user-chosen weights.

    Parameters
    ----------
    weights : sequence of float, default (1.0,)
        Raw weight of positions 0, 1, ..., m - 1 (counted from the first touch, or from the
        last when `from_end`); the last weight applies to all later positions. Weights are
        normalised within each journey; a journey whose weights are all 0 splits equally
        (weights that are all 0 are refused: that would be the linear model).
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
        if sum(_check_share(f"weights[{k}]", v) for k, v in enumerate(self.weights)) == 0:
            # all-zero weights would make every journey split equally: linear under another name
            raise ValueError(
                f"weights must not all be 0, got {show(list(self.weights))}"
                " (for equal credit use the linear model)"
            )
        if not isinstance(self.from_end, (bool, np.bool_)):
            raise TypeError(f"from_end must be True or False, got {self.from_end!r}")

    def _block_weights(self, journeys: Journeys, block: _Block) -> np.ndarray:
        weights = np.asarray(self.weights, dtype=float)
        return custom_position_weights(block.offsets, weights, bool(self.from_end))
