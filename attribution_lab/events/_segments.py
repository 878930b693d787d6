"""Steps 6-10 of `events_to_journeys`: from the rows kept to journeys.

Pure functions of arrays: one stable sort puts every unit's events in order (step 6),
cumulative sums number the journey (segment) each event belongs to, then touches are
dropped by lookback, unassigned channel and maximum length (steps 7-8), segments with a
touch left become journeys (step 9) and milestone flags find their touch (step 10). No
Python loop runs per unit or per event. `attribution_lab.sql` builds the same steps in SQL,
with the same kinds of events (`TOUCH`, `MILESTONE`, `CONVERSION`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd

# sort order of events at equal times within a unit
TOUCH, MILESTONE, CONVERSION = 0, 1, 2


# ---------------------------------------------------------------------- 6. splitting at conversions
def sort_by_unit_and_time(unit: np.ndarray, time: np.ndarray) -> np.ndarray:
    """Stable order by (unit, time), as ``np.lexsort((time, unit))``, about 30% faster.

    Times are replaced by their dense rank (one unstable float sort: equal times share a
    rank), so one stable sort of the int64 key ``unit * n_ranks + rank`` does the rest.

    Examples
    --------
    >>> sort_by_unit_and_time(np.array([1, 0, 1, 0]), np.array([2.0, 5.0, 2.0, 1.0])).tolist()
    [3, 1, 0, 2]
    """
    n = time.size
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    by_time = np.argsort(time)
    sorted_time = time[by_time]
    new = np.ones(n, dtype=bool)
    new[1:] = sorted_time[1:] != sorted_time[:-1]
    rank = np.empty(n, dtype=np.int64)
    rank[by_time] = np.cumsum(new) - 1
    n_ranks = int(rank.max()) + 1
    if (int(unit.max()) + 1) * n_ranks >= 2**62:  # pragma: no cover - beyond 2e9 events
        return np.lexsort((time, unit))
    return np.argsort(unit * n_ranks + rank, kind="stable")


class Segments(NamedTuple):
    """Each unit's events in order (touches, milestone-only rows, conversions), and the
    segments they split into: a segment ends at a conversion, or is a unit's last."""

    row: np.ndarray  # input row of each event
    kind: np.ndarray  # TOUCH, MILESTONE or CONVERSION
    time: np.ndarray
    seg: np.ndarray  # segment of each event, 0, 1, ... in event order
    n_seg: int
    converted: np.ndarray  # per segment: whether it ends at a conversion
    end: np.ndarray  # per segment: its conversion time, or the observation end
    value: np.ndarray  # per segment: its conversion's value (0 if none)
    unit: np.ndarray  # per segment: its unit


def split_at_conversions(
    unit: np.ndarray,
    t: np.ndarray,
    values: np.ndarray,
    touch: np.ndarray,
    milestone: np.ndarray,
    conversion: np.ndarray,
    obs: float,
) -> Segments:
    """Order each unit's events by (time, kind, row) and cut after every conversion.

    `unit`, `t` and `values` have one entry per input row; `touch`, `milestone` and
    `conversion` are the row masks (a row can be both a touch and a conversion).

    Examples
    --------
    >>> s = split_at_conversions(np.array([0, 0, 0]), np.array([1.0, 2.0, 3.0]),
    ...                          np.array([0.0, 5.0, 0.0]), np.array([1, 0, 1]) > 0,
    ...                          np.zeros(3, bool), np.array([0, 1, 0]) > 0, 9.0)
    >>> s.row.tolist(), s.seg.tolist(), s.end.tolist(), s.value.tolist()
    ([0, 1, 2], [0, 0, 1], [2.0, 9.0], [5.0, 0.0])
    """
    rows_t = np.flatnonzero(touch)
    rows_m = np.flatnonzero(milestone)
    rows_c = np.flatnonzero(conversion)
    ev_row = np.concatenate([rows_t, rows_m, rows_c])
    ev_kind = np.concatenate(
        [
            np.full(rows_t.size, TOUCH, np.int8),
            np.full(rows_m.size, MILESTONE, np.int8),
            np.full(rows_c.size, CONVERSION, np.int8),
        ]
    )
    # the blocks are already in (kind, row) order and the sort is stable: ties keep it
    order = sort_by_unit_and_time(unit[ev_row], t[ev_row])
    ev_row, ev_kind = ev_row[order], ev_kind[order]
    ev_unit, ev_time = unit[ev_row], t[ev_row]
    n_ev = ev_row.size
    is_c = ev_kind == CONVERSION
    new = np.ones(n_ev, dtype=bool)
    if n_ev:
        new[1:] = (ev_unit[1:] != ev_unit[:-1]) | is_c[:-1]
    seg = np.cumsum(new) - 1
    n_seg = int(seg[-1]) + 1 if n_ev else 0
    seg_conv = np.zeros(n_seg, dtype=bool)
    seg_conv[seg[is_c]] = True
    seg_end = np.full(n_seg, obs)
    seg_end[seg[is_c]] = ev_time[is_c]
    seg_value = np.zeros(n_seg)
    seg_value[seg[is_c]] = values[ev_row[is_c]]
    seg_unit = np.zeros(n_seg, dtype=np.int64)
    seg_unit[seg] = ev_unit
    return Segments(ev_row, ev_kind, ev_time, seg, n_seg, seg_conv, seg_end, seg_value, seg_unit)


# ---------------------------------------------------------------------- 7-8. lookback, max length
class Trimmed(NamedTuple):
    """Touch events kept and dropped (steps 7-8): boolean masks over the events."""

    kept: np.ndarray
    outside_lookback: np.ndarray
    beyond_max_length: np.ndarray


def trim_touches(
    s: Segments,
    unassigned_rows: np.ndarray,
    drop_unassigned: bool,
    lookback_days: float | None,
    max_length: int | None,
) -> Trimmed:
    """Drop unassigned touches (if asked), then those outside the lookback, then all but
    the last `max_length` of each segment."""
    n_ev = s.row.size
    is_t = s.kind == TOUCH
    ev_unassigned = is_t & unassigned_rows[s.row]
    remaining = is_t & ~(ev_unassigned & drop_unassigned)
    outside = np.zeros(n_ev, dtype=bool)
    if lookback_days is not None:
        outside = remaining & (s.end[s.seg] - s.time > lookback_days)
        remaining &= ~outside
    beyond = np.zeros(n_ev, dtype=bool)
    if max_length is not None and n_ev:
        cum = np.cumsum(remaining)
        seg_last = np.zeros(s.n_seg, dtype=np.int64)
        seg_last[s.seg] = cum  # the last write per segment is its last event
        after = seg_last[s.seg] - cum  # remaining touches after this event in its segment
        beyond = remaining & (after >= max_length)
        remaining &= ~beyond
    return Trimmed(remaining, outside, beyond)


# ---------------------------------------------------------------------- 9. journeys
class Assembled(NamedTuple):
    """The journeys' arrays (step 9): segments with at least one kept touch."""

    keep_seg: np.ndarray  # per segment: whether it is a journey
    kept_idx: np.ndarray  # the kept touch events, in journey order
    touch_journey: np.ndarray  # journey of each kept touch
    offsets: np.ndarray
    codes: np.ndarray  # channel code of each kept touch, into `names`
    names: np.ndarray  # the channels used, sorted
    converted: np.ndarray  # per journey, 0.0 or 1.0


def assemble(s: Segments, kept: np.ndarray, code: np.ndarray, names: np.ndarray) -> Assembled:
    """Journeys from the segments that keep a touch; `code` (per input row) indexes
    `names`, of which only the channels of kept touches remain."""
    seg_touches = np.bincount(s.seg[kept], minlength=s.n_seg)
    keep_seg = seg_touches > 0
    journey_of_seg = np.cumsum(keep_seg) - 1
    n_journeys = int(keep_seg.sum())
    kept_idx = np.flatnonzero(kept)
    touch_journey = journey_of_seg[s.seg[kept_idx]]
    offsets = np.zeros(n_journeys + 1, dtype=np.int64)
    np.cumsum(seg_touches[keep_seg], out=offsets[1:])
    kept_codes = code[s.row[kept_idx]]
    used = np.bincount(kept_codes, minlength=len(names)) > 0
    codes = (np.cumsum(used) - 1)[kept_codes]
    conv_j = s.converted[keep_seg].astype(np.float64)
    return Assembled(keep_seg, kept_idx, touch_journey, offsets, codes, names[used], conv_j)


# ---------------------------------------------------------------------- 10. milestones
def place_milestones(
    flags: Mapping[str, np.ndarray],
    s: Segments,
    kept: np.ndarray,
    kept_idx: np.ndarray,
    touch_rows: np.ndarray,
) -> tuple[dict[str, np.ndarray], int]:
    """Each milestone's flags per kept touch, and the number of flags left unplaced.

    A flagged kept touch keeps its flag; any other flagged event passes it to the last
    kept touch of its segment at or before it (`flags` and `touch_rows` are per input row).
    """
    ms_out: dict[str, np.ndarray] = {}
    unplaced = 0
    if not flags:
        return ms_out, unplaced
    n_ev = s.row.size
    last_kept = np.maximum.accumulate(np.where(kept, np.arange(n_ev), -1)) if n_ev else kept
    touch_pos = np.full(n_ev, -1, dtype=np.int64)
    touch_pos[kept_idx] = np.arange(kept_idx.size)
    # a conversion row that is also a touch passes nothing: its touch copy has the flags
    also_touch = (s.kind == CONVERSION) & touch_rows[s.row]
    for key, f in flags.items():
        fe = f[s.row]
        out = np.zeros(kept_idx.size, dtype=bool)
        out[touch_pos[kept & fe]] = True
        movers = np.flatnonzero(fe & ~kept & ~also_touch)
        target = last_kept[movers] if movers.size else movers
        ok = target >= 0
        ok[ok] = s.seg[target[ok]] == s.seg[movers[ok]]
        out[touch_pos[target[ok]]] = True
        unplaced += int((~ok).sum())
        ms_out[key] = out
    return ms_out, unplaced


# ---------------------------------------------------------------------- per-touch report
def touches_frame(
    frame: pd.DataFrame,
    s: Segments,
    a: Assembled,
    positions: np.ndarray,
    person: np.ndarray,
    person_label: np.ndarray,
    touch_columns: Sequence[str],
) -> pd.DataFrame:
    """``EventsReport.touches``: journey, position, input row and contact of every touch."""
    rows_kept = s.row[a.kept_idx]
    contact_rows = person[rows_kept]
    if (contact_rows >= 0).all():
        contact = person_label[contact_rows]
    else:  # B2B touches with an account but no user
        contact = np.full(rows_kept.size, None, dtype=object)
        has = contact_rows >= 0
        contact[has] = person_label[contact_rows[has]]
    return pd.DataFrame(
        {
            "journey": a.touch_journey,
            "position": positions,
            "row": rows_kept,
            "contact": contact,
            **{c: frame[c].take(rows_kept).to_numpy() for c in touch_columns},
        }
    )


def tied_times(s: Segments, a: Assembled) -> int:
    """Kept touches at the same time as the previous touch of their journey."""
    kept_time = s.time[a.kept_idx]
    tj = a.touch_journey
    return int(((tj[1:] == tj[:-1]) & (kept_time[1:] == kept_time[:-1])).sum())
