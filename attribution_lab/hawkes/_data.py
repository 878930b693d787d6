"""The touch-level arrays the point-process likelihood and game need, prepared once per fit.

Everything here depends on the journeys only, not on the parameters.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..hazard._data import _timed
from ..journeys import Journeys

#: Lineage sets of the game are int64 bitmasks (bit 63 is the sign).
MAX_CHANNELS = 62


@dataclass(frozen=True, eq=False)
class _Prepared:
    r"""Touch-level arrays of the likelihood and the game, computed once from the journeys.

    Events are the touches after the first of each journey. The compiled kernels (`_jit`)
    walk each journey's touches in order, so nothing per (event, source) pair is stored:
    memory is a few arrays per touch. ``bounds`` cuts the journeys into the kernels'
    chunks; ``lag_count`` and ``lag_sum`` are, per source channel d, the number of events
    with a d-touch strictly before them and the sum of the lags to the last one (the
    fit's starting decays).
    """

    n_channels: int
    n_touches: int
    n_journeys: int
    offsets: np.ndarray
    times: np.ndarray
    jid: np.ndarray  # journey of every touch
    channel: np.ndarray  # channel of every touch
    n: np.ndarray  # n_j per journey
    end: np.ndarray  # T_j per journey
    end_lag: np.ndarray  # T_j - t_i per touch
    exposure: float  # sum_j n_j (T_j - s_j)
    window: np.ndarray  # T_j - s_j per journey (0 for a journey without touches)
    event: np.ndarray  # indices of the events (touches after the first)
    first_of: np.ndarray  # per journey, its first touch (0 for a journey without touches)
    position: np.ndarray  # per touch, its position in its journey
    event_count: np.ndarray  # weighted events per channel
    bounds: np.ndarray
    max_length: int
    lag_count: np.ndarray
    lag_sum: np.ndarray


def _prepare(journeys: Journeys, what: str = "the point-process model") -> _Prepared:
    times, end = _timed(journeys, what)
    c = journeys.n_channels
    if c > MAX_CHANNELS:
        raise ValueError(
            f"{what} handles at most {MAX_CHANNELS} channels, got {c}: group rare channels"
            " together first (its excitation matrix has n_channels^2 parameters)"
        )
    from . import _jit

    offsets = np.ascontiguousarray(journeys.offsets, dtype=np.int64)
    jid = journeys.journey_index
    channel = np.ascontiguousarray(journeys.channels, dtype=np.int64)
    times = np.ascontiguousarray(times, dtype=np.float64)
    end = np.ascontiguousarray(end, dtype=np.float64)
    n = np.asarray(journeys.conversions, dtype=np.float64) + np.asarray(
        journeys.nulls, dtype=np.float64
    )
    lengths = np.diff(offsets)
    nonempty = lengths > 0
    start = np.zeros(journeys.n_journeys)
    start[nonempty] = times[offsets[:-1][nonempty]]
    window = np.where(nonempty, end - start, 0.0)
    n_touches = channel.size
    first = np.zeros(n_touches, dtype=bool)
    first[offsets[:-1][nonempty]] = True
    event = np.flatnonzero(~first)
    bounds = _jit.chunks(offsets, c)
    count, total = _jit.lag_stats(offsets, times, channel, c, bounds)
    return _Prepared(
        n_channels=c,
        n_touches=n_touches,
        n_journeys=journeys.n_journeys,
        offsets=offsets,
        times=times,
        jid=jid,
        channel=channel,
        n=n,
        end=end,
        end_lag=end[jid] - times,
        exposure=float(n @ window),
        window=window,
        event=event,
        first_of=np.where(nonempty, offsets[:-1], 0),
        position=np.arange(n_touches, dtype=np.int64) - offsets[:-1][jid],
        event_count=np.bincount(channel[event], n[jid[event]], minlength=c),
        bounds=bounds,
        max_length=int(lengths.max(initial=0)),
        lag_count=count.sum(axis=0),
        lag_sum=total.sum(axis=0),
    )
