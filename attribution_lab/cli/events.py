"""``attribution-lab events``: an event log CSV -> a path table CSV (`events_to_journeys`).

Errors and warnings of `attribution_lab.events.events_to_journeys` are said in the
command's terms: its flags instead of keywords, the file and line instead of the row.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import warnings
from collections.abc import Mapping
from typing import Any

from .._io import read_table
from ..events import TIME_UNITS, events_to_journeys

# the keywords of `events_to_journeys` as the events command spells them
_FLAGS = {
    "user": "--user",
    "time": "--time",
    "channel": "--channel",
    "source": "--source",
    "medium": "--medium",
    "campaign": "--campaign",
    "referrer": "--referrer",
    "rules": "--rules",
    "conversion": "--conversion",
    "conversion_events": "--conversion-events",
    "conversion_is_touch": "--conversion-is-touch",
    "value": "--value",
    "observation_end": "--observation-end",
    "lookback": "--lookback",
    "max_length": "--max-length",
    "account": "--account",
    "milestones": "--milestone",
    "drop_unassigned": "--drop-unassigned",
    "time_format": "--time-format",
    "time_unit": "--time-unit",
}
# ``keyword='value'`` or a bare ``keyword=`` in a message
_KEYWORD = re.compile(r"(?<![\w'-])(" + "|".join(_FLAGS) + r")=('([^']*)')?")
# keywords named without a value; only those that are not also ordinary words
_BARE = re.compile(
    r"(?<![\w'-])(max_length|observation_end|time_unit|time_format|conversion_events|lookback)"
    r"(?![\w'=-])"
)
# the Python API's way to give a milestone an event-type column; --milestone has none
_MILESTONE_TUPLE = re.compile(r"; for an event-type column give \(.*\) as the milestone '[^']*'")


def _say_for_events_command(
    msg: str, source: str, name_row: Any, flag_of_column: Mapping[str, str] | None = None
) -> str:
    """`msg` of `events_to_journeys` as the events command says it: its flags instead of
    keywords, the file (with the line) instead of the frame's row, and for a missing
    column the flag that names it (`flag_of_column`).

    Examples
    --------
    >>> from attribution_lab._io import row_namer
    >>> print(_say_for_events_command("row 3, column 't': 17e8 is not a time in days (...);"
    ...       " pass time_unit='s'", "log.csv", row_namer("log.csv")))
    log.csv: row 3 (line 5), column 't': 17e8 is not a time in days (...); pass --time-unit s
    >>> _say_for_events_command("value= and conversion_events= need conversion=", "f", str)
    '--value and --conversion-events need --conversion'
    >>> _say_for_events_command("pass time_format='%d/%m/%Y %H:%M'", "f", str)
    "pass --time-format '%d/%m/%Y %H:%M'"
    """

    def flag(m: re.Match[str]) -> str:
        value = m.group(3)
        return _FLAGS[m.group(1)] + ("" if value is None else f" {shlex.quote(value)}")

    msg = _MILESTONE_TUPLE.sub("", msg)
    msg = _KEYWORD.sub(flag, msg)
    msg = _BARE.sub(lambda m: _FLAGS[m.group(1)], msg)
    missing = re.match(r"events: no column '(.*?)'", msg)
    if missing and missing.group(1) in (flag_of_column or {}):
        msg += f"; name the column with {flag_of_column[missing.group(1)]}"
    row = re.match(r"row (\d+), ", msg)
    if row:
        return f"{name_row(int(row.group(1)))}, {msg[row.end() :]}"
    if msg.startswith("events: "):  # the name `events_to_journeys` gives the frame
        return f"{source}: {msg.removeprefix('events: ')}"
    if msg.startswith("column "):
        return f"{source}: {msg}"
    return msg


def add_events_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``events`` command (event log CSV -> path table CSV) to the CLI subparsers.

    Examples
    --------
    >>> parser = argparse.ArgumentParser(prog="attribution-lab")
    >>> _ = add_events_parser(parser.add_subparsers(dest="command"))
    >>> args = parser.parse_args(["events", "log.csv", "--user", "uid", "--channel", "ch",
    ...                           "--lookback", "30", "--milestone", "lead=is_lead",
    ...                           "--time-unit", "s", "--out", "paths.csv"])
    >>> args.user, args.lookback, args.milestone, args.time_unit
    (['uid'], 30.0, ['lead=is_lead'], 's')
    """
    p = subparsers.add_parser(
        "events",
        help="event log CSV -> path table CSV (journeys split at conversions)",
        description="Build journeys from a touchpoint event log (one row per touch or"
        " conversion) and write them as a ChannelAttribution path table, which 'attribute'"
        " and 'compare' read. What is dropped is counted and printed.",
    )
    p.add_argument("input", help="event log CSV (optionally .gz)")
    p.add_argument("--delimiter", default=None, help="CSV delimiter (default: detected)")
    p.add_argument(
        "--user", required=True, action="append", help="user id column (repeat to stitch ids)"
    )
    p.add_argument("--time", default="time", help="time column (default: time)")
    p.add_argument(
        "--time-unit",
        choices=list(TIME_UNITS),
        default=None,
        help="unit of numeric times (default: days); s or ms for Unix epoch times",
    )
    p.add_argument(
        "--time-format",
        default=None,
        metavar="FORMAT",
        help="format of string times: ISO8601 (ISO times with and without offsets, naive"
        " ones as UTC), mixed (infer each), or a strftime format such as %%Y%%m%%d",
    )
    p.add_argument("--channel", default=None, help="channel column (or use --source/--medium)")
    for f in ("source", "medium", "campaign", "referrer"):
        p.add_argument(f"--{f}", default=None, help=f"UTM {f} column")
    p.add_argument("--rules", default=None, help="channel rule CSV (default: GA4-style)")
    p.add_argument("--conversion", default=None, help="column marking conversions")
    p.add_argument(
        "--conversion-events", default=None, help="comma-separated values of --conversion"
    )
    p.add_argument("--conversion-is-touch", action="store_true")
    p.add_argument("--value", default=None, help="conversion value column")
    p.add_argument(
        "--observation-end",
        default=None,
        help="end of observation, a time like the --time column's (default: last event)",
    )
    p.add_argument(
        "--lookback", type=float, default=None, help="lookback window in days (any --time-unit)"
    )
    p.add_argument("--max-length", type=int, default=None, help="keep the last N touches")
    p.add_argument("--account", default=None, help="account column: one journey per deal")
    p.add_argument(
        "--milestone", action="append", default=None, metavar="NAME=COLUMN", help="flag column"
    )
    p.add_argument("--drop-unassigned", action="store_true")
    p.add_argument(
        "--out", required=True, help="path table CSV to write (missing folders are created)"
    )
    p.add_argument("--touches", default=None, help="also write the per-touch table here")
    p.set_defaults(func=cmd_events)
    return p


def _writable(path: str, flag: str) -> str:
    """`path` after creating its folder; ValueError naming `flag` when it cannot be."""
    if os.path.isdir(path):
        raise ValueError(f"{flag} {path}: is a folder; give a file name")
    try:
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    except OSError as exc:
        raise ValueError(f"{flag} {path}: cannot create its folder ({exc.strerror})") from None
    return path


def cmd_events(args: argparse.Namespace) -> None:
    """Run ``attribution-lab events``: write the path table and print the report.

    Errors are one line in the command's own terms (its flags, the file and line); a log
    with no events, or none left to make a journey of, is an error, not an empty table.
    """
    # a CSV (optionally .gz) of every column, with pandas' default missing values (empty,
    # NA, null, ...); a missing or unparsable file is one error naming it
    table = read_table(args.input, delimiter=args.delimiter, keep_default_na=True)
    if table.frame.empty:
        raise ValueError(f"{table.source}: no events (the file has a header line only)")
    milestones = {}
    for item in args.milestone or []:
        name, eq, col = item.partition("=")
        if not eq or not name or not col:
            raise ValueError(f"--milestone {item!r}: expected NAME=COLUMN")
        milestones[name] = col
    obs: Any = args.observation_end
    if obs is not None:
        try:
            obs = float(obs)
        except ValueError:
            pass  # a timestamp
    events = args.conversion_events
    if events is not None:
        events = [e.strip() for e in events.split(",")]
    say = {"source": table.source, "name_row": table.name_row}
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            journeys, report = events_to_journeys(
                table.frame,
                user=args.user if len(args.user) > 1 else args.user[0],
                time=args.time,
                channel=args.channel,
                source=args.source,
                medium=args.medium,
                campaign=args.campaign,
                referrer=args.referrer,
                rules=args.rules,
                conversion=args.conversion,
                conversion_events=events,
                conversion_is_touch=args.conversion_is_touch,
                value=args.value,
                observation_end=obs,
                lookback=args.lookback,
                max_length=args.max_length,
                milestones=milestones or None,
                account=args.account,
                drop_unassigned=args.drop_unassigned,
                time_format=args.time_format,
                time_unit=args.time_unit,
            )
    except (ValueError, TypeError) as exc:
        named = {
            "--user": args.user,
            "--time": [args.time],
            "--channel": [args.channel],
            **{f"--{f}": [getattr(args, f)] for f in ("source", "medium", "campaign", "referrer")},
            "--conversion": [args.conversion],
            "--value": [args.value],
            "--account": [args.account],
            "--milestone": list(milestones.values()),
        }
        flag_of_column = {c: f for f, cols in named.items() for c in cols if c is not None}
        msg = _say_for_events_command(str(exc), flag_of_column=flag_of_column, **say)
        raise (TypeError if isinstance(exc, TypeError) else ValueError)(msg) from None
    for w in caught:  # warnings, too, in the command's terms
        warnings.warn(_say_for_events_command(str(w.message), **say), w.category, stacklevel=2)
    if journeys.n_journeys == 0:
        raise ValueError(
            f"{table.source}: no journey to write, nothing written;"
            f" {str(report).removeprefix('from_events: ')}"
        )
    journeys.to_path_table().to_csv(_writable(args.out, "--out"), index=False)
    print(report)
    print(f"wrote {args.out}")
    if args.touches:
        report.touches.to_csv(_writable(args.touches, "--touches"), index=False)
        print(f"wrote {args.touches}")
