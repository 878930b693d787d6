"""`events_to_journeys`: the steps of `attribution_lab.events`, one after the other.

Each step is a function of its own (`._rows` for steps 1-5, row by row; `._segments` for
steps 6-10, from the rows kept to journeys), so that it can be tested alone and so that
`attribution_lab.sql` builds the same steps in SQL.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .._times import parse_times
from ..journeys import Journeys
from ._report import EventsReport
from ._rows import (
    Channels,
    Rows,
    Units,
    channels,
    check_options,
    classify_rows,
    conversion_flags,
    conversion_values,
    duplicates,
    milestone_flags,
    observation_end_days,
    persons,
    row_namer,
    units,
)
from ._segments import (
    Assembled,
    Segments,
    Trimmed,
    assemble,
    place_milestones,
    split_at_conversions,
    tied_times,
    touches_frame,
    trim_touches,
)

# the package's name, as before the split: callers set its level to see the report
logger = logging.getLogger("attribution_lab.events")


def events_to_journeys(
    frame: pd.DataFrame,
    *,
    user: str | Sequence[str],
    time: str,
    channel: str | None = None,
    source: str | None = None,
    medium: str | None = None,
    campaign: str | None = None,
    referrer: str | None = None,
    rules: Any = None,
    conversion: str | None = None,
    conversion_events: Collection[Any] | None = None,
    conversion_is_touch: bool = False,
    value: str | None = None,
    observation_end: Any = None,
    lookback: Any = None,
    max_length: int | None = None,
    milestones: Mapping[str, str | tuple[str, Collection[Any]]] | None = None,
    account: str | Mapping[Any, Any] | pd.Series | None = None,
    drop_unassigned: bool = False,
    time_format: str | None = None,
    time_unit: str | None = None,
    touch_columns: Sequence[str] = (),
) -> tuple[Journeys, EventsReport]:
    """Build journeys from a touchpoint event log; see the module docstring for the rules.

    Parameters
    ----------
    frame : DataFrame
        One row per event, in any order.
    user : str or sequence of str
        Column of the user id, or several identifier columns joined into persons by
        `stitch_identities`.
    time : str
        Column of event times: datetimes, date strings, or numbers in `time_unit`.
    channel : str, optional
        Column of channel names. Give either `channel` or UTM columns.
    source, medium, campaign, referrer : str, optional
        UTM / referrer columns, grouped into channels by `rules`.
    rules : ChannelGrouping, DataFrame or path, optional
        Channel rules for UTM columns; default the GA4-style table
        (`attribution_lab.channels.default_rules_file`).
    conversion : str, optional
        Column marking conversion rows (boolean or 0/1), or with `conversion_events` the
        column whose values say which rows are conversions. None: no conversions.
    conversion_events : collection, optional
        Values of `conversion` that mark conversions (e.g. ``{"purchase"}``).
    conversion_is_touch : bool, default False
        Whether a conversion row with a channel is also a touch (at the conversion time).
    value : str, optional
        Column of conversion values (revenue); read on conversion rows only, where it
        must be a finite number >= 0.
    observation_end : timestamp or float, optional
        End of observation (the ``end_time`` of non-converting journeys), a number in
        `time_unit` when times are numbers; default the latest event time.
    lookback : float or timedelta, optional
        Days (whatever `time_unit`) before a journey's end beyond which touches are
        dropped.
    max_length : int, optional
        Keep only the last `max_length` touches of each journey.
    milestones : mapping of str to column or (column, values), optional
        Milestone flags, e.g. ``{"lead": "is_lead", "opportunity": ("event", {"opp"})}``
        (see `attribution_lab.journeys.MILESTONES` for the names the rules read).
    account : str or mapping, optional
        B2B: the account column (or a mapping from `user` id to account); journeys are
        then built per account, from the touches of all its contacts.
    drop_unassigned : bool, default False
        Drop touches the channel rules leave ``"Unassigned"`` (counted either way).
    time_format : str, optional
        Passed to `pandas.to_datetime` for string times: ``"ISO8601"`` for ISO times
        with and without offsets (naive ones are taken as UTC), ``"mixed"`` to infer each
        time's format, or a ``strftime`` format; numbers are then read as dates written
        in it (``"%Y%m%d"`` for 20240131).
    time_unit : {"days", "hours", "s", "ms"}, optional
        Unit of numeric times (days when not given; seconds or milliseconds for Unix
        epoch times). Numbers more than 10^7 days (27,000 years) from 1970 in this unit
        are refused: Unix epoch seconds read as days would otherwise put every touch
        thousands of years before the next. Not for datetimes or string times.
    touch_columns : sequence of str, default ()
        Further columns copied, per touch, into ``report.touches`` (e.g. a contact's
        role, to report credit per role with a rule's ``touch_weights``).

    Returns
    -------
    journeys : Journeys
    report : EventsReport
        Counts of what was dropped and why, and the per-touch ``touches`` frame.

    Raises
    ------
    ValueError
        A missing column (naming close matches), an unparsable time, a numeric time
        that is not a time in `time_unit` (e.g. epoch seconds read as days), or a
        conversion value that is missing, negative or not a number (naming the row).
    TypeError
        A conversion or milestone column that is not boolean or 0/1, or an observation
        end of the wrong kind.

    Examples
    --------
    >>> ev = pd.DataFrame({
    ...     "user": ["u1", "u1", "u1", "u1", "u2", "u2"],
    ...     "time": [1.0, 2.0, 3.0, 5.0, 1.0, 4.0],
    ...     "channel": ["search", "email", None, "display", "social", "social"],
    ...     "bought": [False, False, True, False, False, False],
    ...     "revenue": [0.0, 0.0, 90.0, 0.0, 0.0, 0.0]})
    >>> j, report = events_to_journeys(ev, user="user", time="time", channel="channel",
    ...                                conversion="bought", value="revenue")
    >>> j.to_path_table()
                 path  total_conversions  total_conversion_value  total_null
    0  search > email                1.0                    90.0         0.0
    1         display                0.0                     0.0         1.0
    2  social > social                0.0                     0.0         1.0
    >>> j.end_time.tolist(), j.contact.tolist()
    ([3.0, 5.0, 5.0], ['u1', 'u1', 'u2'])
    >>> print(report)
    from_events: 6 events -> 3 journeys (1 converting), 5 touches; dropped: nothing
    """
    opts = check_options(
        frame,
        user=user,
        time=time,
        channel=channel,
        utm={"source": source, "medium": medium, "campaign": campaign, "referrer": referrer},
        conversion=conversion,
        conversion_events=conversion_events,
        value=value,
        lookback=lookback,
        max_length=max_length,
        milestones=milestones,
        account=account,
        touch_columns=touch_columns,
    )
    name_row = row_namer(frame)
    n_events = len(frame)
    # 2. times (parsed first: they narrow the search for duplicates)
    t, datetimes = parse_times(frame[time], name_row, time, time_format, time_unit)
    # 3. who: persons; 1. exact duplicates over the columns read; 3. accounts, units
    person, person_label = persons(frame, opts.users)
    dup = duplicates(frame, opts.columns, person, t)
    who = units(frame, person, person_label, dup, account, opts.account_col, opts.users[0])
    # 4. kinds of rows: conversions, milestone flags, channels
    is_conv = conversion_flags(frame, conversion, conversion_events, name_row)
    ms_flags, any_flag = milestone_flags(frame, opts.milestones, name_row)
    chan = channels(frame, channel, opts.utm, rules, any_flag)
    # 5. observation end, and what each row used is
    alive = ~dup & who.has_unit & ~np.isnan(t)
    obs = observation_end_days(t, alive, observation_end, datetimes, time_unit)
    rows = classify_rows(alive, t, obs, is_conv, chan.has_channel, any_flag, conversion_is_touch)
    vals = conversion_values(frame, value, rows.conversion, name_row)
    # 6-10. split at conversions, lookback and maximum length, journeys, milestones
    segs = split_at_conversions(who.unit, t, vals, rows.touch, rows.milestone, rows.conversion, obs)
    trim = trim_touches(
        segs, rows.touch & chan.unmatched, drop_unassigned, opts.lookback_days, max_length
    )
    built = assemble(segs, trim.kept, chan.code, chan.names)
    ms_out, unplaced = place_milestones(ms_flags, segs, trim.kept, built.kept_idx, rows.touch)
    journeys = Journeys(
        built.codes.astype(np.int32),
        built.offsets,
        [str(x) for x in built.names],
        built.converted,
        1.0 - built.converted,
        segs.value[built.keep_seg] * built.converted,
        times=segs.time[built.kept_idx],
        end_time=segs.end[built.keep_seg],
        account=who.label[segs.unit[built.keep_seg]] if account is not None else None,
        contact=who.label[segs.unit[built.keep_seg]] if account is None else None,
        milestones=ms_out or None,
    )
    touches = touches_frame(
        frame, segs, built, np.asarray(journeys.positions), person, person_label, opts.touch_columns
    )
    report = build_report(
        n_events,
        t,
        dup,
        who,
        chan,
        rows,
        segs,
        trim,
        built,
        drop_unassigned,
        unplaced,
        obs,
        touches,
    )
    logger.info("%s", report)
    return journeys, report


def build_report(
    n_events: int,
    t: np.ndarray,
    dup: np.ndarray,
    who: Units,
    chan: Channels,
    rows: Rows,
    segs: Segments,
    trim: Trimmed,
    built: Assembled,
    drop_unassigned: bool,
    milestones_unplaced: int,
    obs: float,
    touches: pd.DataFrame,
) -> EventsReport:
    """The counts of every step, each row or touch dropped under exactly one reason."""
    unassigned = int((rows.touch & chan.unmatched).sum())
    lost = segs.converted & ~built.keep_seg  # conversions that yield no journey
    return EventsReport(
        n_events=n_events,
        duplicates=int(dup.sum()),
        missing_user=int((~dup & who.missing_user).sum()),
        missing_account=int((~dup & who.missing_account).sum()),
        missing_time=int((~dup & who.has_unit & np.isnan(t)).sum()),
        after_observation_end=int(rows.late.sum()),
        missing_channel=int(rows.missing_channel.sum()),
        unassigned=unassigned,
        unassigned_dropped=unassigned if drop_unassigned else 0,
        outside_lookback=int(trim.outside_lookback.sum()),
        beyond_max_length=int(trim.beyond_max_length.sum()),
        conversions_without_touches=int(lost.sum()),
        value_without_touches=float(segs.value[lost].sum()),
        milestones_unplaced=milestones_unplaced,
        n_journeys=int(built.keep_seg.sum()),
        n_converting=int(built.converted.sum()),
        n_touchpoints=int(built.kept_idx.size),
        tied_times=tied_times(segs, built),
        observation_end=obs,
        touches=touches,
    )
