"""From raw touchpoint events to journeys: splitting at conversions, lookback, B2B accounts.

Real attribution data is an event log: ad clicks, web sessions with UTM parameters,
marketing-automation emails, CRM activities, purchases and closed deals, one row each.
`events_to_journeys` (and its alias ``Journeys.from_events``) turns such a log into
`Journeys`; `stitch_identities` joins several identifier columns into persons.

Semantics
---------
The steps below are written so that the same aggregation can be expressed in SQL (window
functions over ``PARTITION BY unit ORDER BY time, kind, row``). Every row that a step
removes is counted in the `EventsReport`; the counts are also logged at INFO level.

1. **Duplicates.** Rows equal in every column this function reads (user / identifier
   columns, time, channel or UTM columns, conversion, value, milestone and account
   columns) are exact duplicates; the first is kept (``SELECT DISTINCT``).
2. **Times.** Datetimes (time-zone aware ones are converted to UTC, naive ones are
   taken as UTC) and date strings become float days since 1970-01-01
   (``pd.to_datetime(days, unit="D")`` converts back). Numbers are in `time_unit`:
   ``"days"`` (the default), ``"hours"``, ``"s"`` or ``"ms"``, counted from 1970-01-01
   for Unix epoch times or from any origin for relative clocks. A number that would lie
   more than 10^7 days (27,000 years) from 1970 in that unit is refused, naming the row
   and the unit it looks like: Unix epoch seconds read as days are the usual case. With
   `time_format`, numbers are read as dates written in that format (``"%Y%m%d"`` for
   20240131). A missing time drops the row (counted); a string that cannot be parsed
   raises ``ValueError`` naming the row.
3. **Who.** The *unit* a journey belongs to is the user (the `user` column, or the
   person found by `stitch_identities` when `user` lists several identifier columns). A
   row without a user is dropped (counted). With `account` (B2B), the unit is the
   account instead: a row's own account if it has one, else the account of its person
   (the most frequent account among the person's rows, ties to the smallest); a row
   with neither user nor account is counted as missing user, one with a user but no
   account as missing account.
4. **Kinds of rows.** A *conversion* row is one whose `conversion` column is true (a
   boolean or 0/1 column; missing counts as false) or, with `conversion_events`, holds
   one of those values (e.g. an event-type column with ``{"purchase"}``). Every other
   row is a *touch* when it has a channel; with ``conversion_is_touch=True`` a
   conversion row that has a channel is *also* a touch, at the conversion time (e.g. a
   web session carrying a purchase). A non-conversion row without a channel (missing or
   blank `channel`; with UTM columns, all of them missing) is a *milestone-only* row if
   it carries a milestone flag (a CRM "opportunity created" activity), else it is
   dropped and counted as missing channel. With UTM columns the channel comes from
   `attribution_lab.channels.ChannelGrouping` (default: GA4-style groups, where a visit
   without source, medium and referrer is Direct); touches it leaves ``"Unassigned"``
   are counted and kept as a channel of that name, or dropped with
   ``drop_unassigned=True``.
5. **Observation end.** `observation_end` (a timestamp, or a number in `time_unit` when
   times are numbers) defaults to the latest time of any remaining row. Rows after it
   are dropped (counted).
6. **Splitting at conversions.** Within a unit, events are ordered by time; at equal
   times touches come before milestone-only rows, which come before conversions, and
   touches at the same time keep their order in the input (row position). That order
   decides the path (and so first- and last-touch credit) as the file has it: kept
   touches at the same time as the previous touch of their journey are counted as
   ``tied_times``. Each touch belongs to the first conversion at or after it: a
   unit with k conversions yields up to k converting journeys, each ending at its
   conversion (``end_time`` = conversion time, ``value`` = the conversion's value), plus
   one non-converting journey of the touches after its last conversion, ending at the
   observation end. Touches never count for two conversions.
7. **Lookback.** With ``lookback=L`` (days), a touch with ``end_time - time > L`` is
   dropped (counted). It applies to non-converting journeys too, measured back from the
   observation end, so that converting and non-converting journeys see equally long
   windows.
8. **Maximum length.** With ``max_length=N``, only the last N remaining touches of each
   journey are kept (the others counted).
9. **Empty journeys.** A conversion left without any touch (none before it, or all
   dropped) yields no journey and is counted as a conversion without touches, its value
   as ``value_without_touches``.
10. **Milestones.** ``milestones={"lead": column, ...}`` flags rows (a boolean column,
    or ``(column, values)`` for an event-type column). A flagged kept touch carries the
    flag itself; a flagged row that is not a kept touch (a milestone-only row, a
    conversion row, a dropped touch) passes its flag to the last kept touch of the same
    journey at or before it (the touch that led to the milestone); without such a touch
    the flag is counted as unplaced. The W-shaped and full-path rules read these flags.

Steps 6-9 in SQL, over a table ``ev(unit, time, kind, row, channel, value)`` holding the
rows left by steps 1-5 (``kind`` 0 touch, 1 milestone-only, 2 conversion; a conversion
that is also a touch appears twice, once with each kind; ``row`` the input position)::

    WITH s AS (
      SELECT *, SUM(CASE WHEN kind = 2 THEN 1 ELSE 0 END) OVER (
                  PARTITION BY unit ORDER BY time, kind, row ROWS UNBOUNDED PRECEDING)
                - CASE WHEN kind = 2 THEN 1 ELSE 0 END AS seg  -- conversions before
      FROM ev),
    e AS (
      SELECT unit, seg, MAX(CASE WHEN kind = 2 THEN time END) AS conversion_time,
             MAX(CASE WHEN kind = 2 THEN value END) AS value
      FROM s GROUP BY unit, seg),
    t AS (
      SELECT s.unit, s.seg, s.time, s.kind, s.row, s.channel, e.value,
             e.conversion_time IS NOT NULL AS converted,
             COALESCE(e.conversion_time, :observation_end) AS end_time
      FROM s JOIN e USING (unit, seg)
      WHERE s.kind = 0
        AND COALESCE(e.conversion_time, :observation_end) - s.time <= :lookback),
    r AS (
      SELECT *, ROW_NUMBER() OVER (PARTITION BY unit, seg
                                   ORDER BY time DESC, kind DESC, row DESC) AS from_end
      FROM t)
    SELECT unit, seg, STRING_AGG(channel, ' > ' ORDER BY time, kind, row) AS path,
           ANY_VALUE(converted) AS converted, ANY_VALUE(value) AS value,
           ANY_VALUE(end_time) AS end_time
    FROM r WHERE from_end <= :max_length
    GROUP BY unit, seg ORDER BY unit, seg

A segment with no row left is a conversion without touches (or nothing, for a trailing
segment of milestone-only rows).

The journeys come out ordered by unit (sorted user or account ids; persons found by
stitching in order of first appearance) and then by time. Channel names are sorted.
Journeys keep touch ``times``, ``end_time``, the user id as ``contact`` (person mode) or
the account id as ``account`` (B2B), and the milestone flags. Per-touch information that
`Journeys` has no room for (the contact of each touch of an account journey, the input
row of each touch) is in ``EventsReport.touches``.

Each step is a function of its own: steps 1-5 row by row (``_rows``), 2 shared with
the touch-table reader and the SQL path (`attribution_lab._times`), 6-10 from the rows
kept to journeys (``_segments``); `events_to_journeys` (``_journeys``) runs them in turn.
``tests/events/test_events.py`` holds a slow per-unit Python version of these rules, compared
with this vectorised one (one stable sort, cumulative sums and `numpy.bincount`; no
Python loop per unit or per event) on random event logs.
"""

from __future__ import annotations

# importable from here as before the split (the events command reads TIME_UNITS here)
from .._times import TIME_UNITS as TIME_UNITS
from .._times import numeric_times_to_days as numeric_times_to_days
from .._times import parse_times as parse_times
from ._journeys import events_to_journeys
from ._report import EventsReport
from ._rows import stitch_identities

__all__ = [
    "EventsReport",
    "events_to_journeys",
    "stitch_identities",
]
