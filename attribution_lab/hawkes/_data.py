"""The touch-level arrays the point-process likelihood and game need, prepared once per fit.

Everything here depends on the journeys only, not on the parameters: which earlier touch of
each source channel can excite a touch (the *last* one strictly before it — the rest follow
by the recursion of the exponential kernel), the lags, and the runs of each channel's
touches over which that recursion is a scan.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..hazard._data import _timed
from ..journeys import Journeys

#: Lineage sets of the game are int64 bitmasks (bit 63 is the sign).
MAX_CHANNELS = 62


@dataclass(frozen=True, eq=False)
class _Source:
    """The touches of one source channel d, in the journeys' order.

    ``pos`` are their touch indices; ``gap`` the time since the previous d-touch of the
    same journey and ``start`` whether there is none (a new run); ``steps`` the doubling
    steps a scan over the longest run needs.
    """

    pos: np.ndarray
    gap: np.ndarray
    start: np.ndarray
    steps: int


@dataclass(frozen=True, eq=False)
class _Prepared:
    r"""Arrays of the touch likelihood, computed once from the journeys.

    Events are the touches after the first of each journey. A *pair* (i, d) is an event i
    and a source channel d with a touch strictly before :math:`t_i` in i's journey; ``p``
    indexes the last such d-touch in ``sources[d].pos`` and ``lag`` is
    :math:`t_i - t_p`. Pairs are sorted by (d, target channel :math:`c_i`), so the pairs
    of source d and target c are ``pair_bounds[d * C + c] : pair_bounds[d * C + c + 1]``.
    Touches are also sorted by channel once (``by_channel``, bounds ``channel_bounds``)
    for the compensator's per-channel sums.
    """

    n_channels: int
    n_touches: int
    n_journeys: int
    jid: np.ndarray  # journey of every touch
    channel: np.ndarray  # channel of every touch
    weight: np.ndarray  # n_j of every touch's journey
    end_lag: np.ndarray  # T_j - t_i per touch
    exposure: float  # sum_j n_j (T_j - s_j)
    window: np.ndarray  # T_j - s_j per journey (0 for a journey without touches)
    event: np.ndarray  # indices of the events (touches after the first)
    first_of: np.ndarray  # per journey, its first touch (0 for a journey without touches)
    position: np.ndarray  # per touch, its position in its journey
    event_count: np.ndarray  # weighted events per channel
    sources: tuple[_Source, ...]
    pair_touch: np.ndarray
    pair_source: np.ndarray
    pair_p: np.ndarray
    pair_lag: np.ndarray
    pair_bounds: np.ndarray
    pair_target: np.ndarray  # channel of each pair's event
    pair_key: np.ndarray  # source * C + target
    by_channel: np.ndarray
    channel_bounds: np.ndarray
    lag_by_channel: np.ndarray  # end_lag in by_channel order
    weight_by_channel: np.ndarray


def _prepare(journeys: Journeys, what: str = "the point-process model") -> _Prepared:
    times, end = _timed(journeys, what)
    c = journeys.n_channels
    if c > MAX_CHANNELS:
        raise ValueError(
            f"{what} handles at most {MAX_CHANNELS} channels, got {c}: group rare channels"
            " together first (its excitation matrix has n_channels^2 parameters)"
        )
    offsets = np.asarray(journeys.offsets, dtype=np.int64)
    jid = journeys.journey_index
    channel = np.asarray(journeys.channels, dtype=np.int64)
    n = np.asarray(journeys.conversions, dtype=np.float64) + np.asarray(
        journeys.nulls, dtype=np.float64
    )
    lengths = np.diff(offsets)
    nonempty = lengths > 0
    start = np.zeros(journeys.n_journeys)
    start[nonempty] = times[offsets[:-1][nonempty]]
    window = np.where(nonempty, end - start, 0.0)
    n_touches = channel.size
    idx = np.arange(n_touches, dtype=np.int64)
    first = np.zeros(n_touches, dtype=bool)
    first[offsets[:-1][nonempty]] = True
    event = np.flatnonzero(~first)
    # first touch of each group of touches at the same time in a journey: a touch is
    # excited only by touches strictly before it, i.e. before its group
    new = np.ones(n_touches, dtype=bool)
    if n_touches > 1:
        new[1:] = (jid[1:] != jid[:-1]) | (times[1:] != times[:-1])
    tie_start = np.maximum.accumulate(np.where(new, idx, 0)) if n_touches else idx

    sources = []
    pt, ps, pp, pl = [], [], [], []
    ev_j = jid[event]
    for d in range(c):
        pos = np.flatnonzero(channel == d)
        run_start = np.ones(pos.size, dtype=bool)
        gap = np.zeros(pos.size)
        if pos.size > 1:
            run_start[1:] = jid[pos[1:]] != jid[pos[:-1]]
            gap[1:] = np.where(run_start[1:], 0.0, times[pos[1:]] - times[pos[:-1]])
        run_id = np.cumsum(run_start)
        longest = int(np.bincount(run_id).max()) if pos.size else 0
        steps = int(np.ceil(np.log2(longest))) if longest > 1 else 0
        sources.append(_Source(pos=pos, gap=gap, start=run_start, steps=steps))
        # the last d-touch strictly before each event, if in the same journey
        p = np.searchsorted(pos, tie_start[event], side="left") - 1
        ok = p >= 0
        ok[ok] = jid[pos[p[ok]]] == ev_j[ok]
        touch = event[ok]
        pt.append(touch)
        ps.append(np.full(touch.size, d, dtype=np.int64))
        pp.append(p[ok])
        pl.append(times[touch] - times[pos[p[ok]]])
    pair_touch = np.concatenate(pt) if pt else np.zeros(0, dtype=np.int64)
    pair_source = np.concatenate(ps) if ps else np.zeros(0, dtype=np.int64)
    pair_p = np.concatenate(pp) if pp else np.zeros(0, dtype=np.int64)
    pair_lag = np.concatenate(pl) if pl else np.zeros(0)
    key = pair_source * c + channel[pair_touch]
    order = np.argsort(key, kind="stable")
    pair_touch, pair_source, pair_p, pair_lag = (
        pair_touch[order], pair_source[order], pair_p[order], pair_lag[order]
    )  # fmt: skip
    pair_bounds = np.searchsorted(key[order], np.arange(c * c + 1))
    by_channel = np.argsort(channel, kind="stable")
    channel_bounds = np.searchsorted(channel[by_channel], np.arange(c + 1))
    weight = n[jid]
    return _Prepared(
        n_channels=c,
        n_touches=n_touches,
        n_journeys=journeys.n_journeys,
        jid=jid,
        channel=channel,
        weight=weight,
        end_lag=end[jid] - times,
        exposure=float(n @ window),
        window=window,
        event=event,
        first_of=np.where(nonempty, offsets[:-1], 0),
        position=idx - offsets[:-1][jid],
        event_count=np.bincount(channel[event], weight[event], minlength=c),
        sources=tuple(sources),
        pair_touch=pair_touch,
        pair_source=pair_source,
        pair_p=pair_p,
        pair_lag=pair_lag,
        pair_bounds=pair_bounds,
        pair_target=channel[pair_touch],
        pair_key=key[order],
        by_channel=by_channel,
        channel_bounds=channel_bounds,
        lag_by_channel=(end[jid] - times)[by_channel],
        weight_by_channel=weight[by_channel],
    )
