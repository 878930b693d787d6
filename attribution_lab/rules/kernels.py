"""Rule kernels: pure, vectorised functions returning one weight per touch.

Each takes the CSR arrays of `Journeys` (offsets, and channels, times or milestone flags
where the rule needs them) and returns weights that sum to 1 within every journey;
`credit_from_weights` turns weights into channel credit. `attribution_lab.rules._reference`
holds a slow per-journey version of each kernel for the tests.

Kernels keep their per-touch temporaries few: int32 indices where they fit, in-place
arithmetic, ``np.add.at`` (which takes int32 indices as they are, where ``np.bincount``
copies them to int64).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..journeys import Journeys
from ._blocks import _add_credit, _blocks, _index_dtype, _journey_index, _sum_by_journey

__all__ = [
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
