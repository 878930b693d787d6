"""``attribution-lab ga4``: a GA4 BigQuery export -> a path table CSV (`read_ga4_export`).

The export's daily ``events_YYYYMMDD`` files (newline-delimited JSON or Parquet, a glob
or several paths) become the path table that ``attribute`` and ``compare`` read; what
was dropped is printed. ``--engine duckdb`` runs the same steps on DuckDB
(`attribution_lab.sql.ga4_path_table_sql`) for exports larger than memory.
"""

from __future__ import annotations

import argparse
import re
from typing import Any

from ..readers.ga4 import GA4_SOURCE_LEVELS
from .events import _writable

# the keywords of `read_ga4_export` as the ga4 command spells them
_FLAGS = {
    "conversion_events": "--conversion-events",
    "sources": "--sources",
    "lookback": "--lookback",
    "max_length": "--max-length",
    "observation_end": "--observation-end",
    "rules": "--rules",
}
_KEYWORD = re.compile(r"(?<![\w'-])(" + "|".join(_FLAGS) + r")\b=?")


def add_ga4_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``ga4`` command (GA4 BigQuery export -> path table CSV) to the CLI subparsers.

    Examples
    --------
    >>> parser = argparse.ArgumentParser(prog="attribution-lab")
    >>> _ = add_ga4_parser(parser.add_subparsers(dest="command"))
    >>> args = parser.parse_args(["ga4", "export/events_*.json.gz", "--out", "paths.csv",
    ...                           "--conversion-events", "purchase,generate_lead"])
    >>> args.export, args.conversion_events, args.engine
    (['export/events_*.json.gz'], 'purchase,generate_lead', 'memory')
    """
    p = subparsers.add_parser(
        "ga4",
        help="GA4 BigQuery export (JSON or Parquet) -> path table CSV",
        description="Build journeys from a Google Analytics 4 BigQuery export (the daily"
        " events_YYYYMMDD tables as newline-delimited JSON or Parquet; one touch per session,"
        " channels by the GA4-style default rules) and write them as a ChannelAttribution"
        " path table, which 'attribute' and 'compare' read. What is dropped is counted and"
        " printed.",
    )
    p.add_argument(
        "export",
        nargs="+",
        help="export files, globs (quote them) or folders: .json/.jsonl/.ndjson(.gz), .parquet",
    )
    p.add_argument(
        "--out", required=True, help="path table CSV to write (missing folders are created)"
    )
    p.add_argument(
        "--conversion-events",
        default="purchase",
        help="comma-separated event names that are conversions (default: purchase)",
    )
    p.add_argument(
        "--no-user-id",
        action="store_true",
        help="do not join user_pseudo_ids that share a user_id into one person",
    )
    p.add_argument(
        "--sources",
        default=",".join(GA4_SOURCE_LEVELS),
        help="where a session's source/medium/campaign comes from, first found first"
        f" (default: {','.join(GA4_SOURCE_LEVELS)})",
    )
    p.add_argument("--rules", default=None, help="channel rule CSV (default: GA4-style)")
    p.add_argument("--lookback", type=float, default=None, help="lookback window in days")
    p.add_argument("--max-length", type=int, default=None, help="keep the last N touches")
    p.add_argument(
        "--observation-end",
        default=None,
        help="end of observation, a UTC time such as 2024-02-01 (default: the last event)",
    )
    p.add_argument("--drop-unassigned", action="store_true")
    p.add_argument(
        "--engine",
        choices=["memory", "duckdb"],
        default="memory",
        help="memory (pandas; default) or duckdb (exports larger than memory; needs duckdb)",
    )
    p.add_argument(
        "--memory-limit", default=None, help="DuckDB's memory limit, e.g. 4GB (--engine duckdb)"
    )
    p.set_defaults(func=cmd_ga4)
    return p


def _say(msg: str) -> str:
    """A message of the library in the command's terms (its flags for keywords)."""
    return _KEYWORD.sub(lambda m: _FLAGS[m.group(1)], msg)


def cmd_ga4(args: argparse.Namespace) -> None:
    """Run ``attribution-lab ga4``: write the path table and print the report."""
    from ..readers.ga4 import read_ga4_export

    events = [e.strip() for e in args.conversion_events.split(",") if e.strip()]
    sources = [s.strip() for s in args.sources.split(",") if s.strip()]
    if args.memory_limit is not None and args.engine != "duckdb":
        raise ValueError("--memory-limit acts only with --engine duckdb")
    options = {
        "conversion_events": events,
        "user_id": not args.no_user_id,
        "sources": sources,
        "rules": args.rules,
        "lookback": args.lookback,
        "max_length": args.max_length,
        "observation_end": args.observation_end,
        "drop_unassigned": args.drop_unassigned,
    }
    try:
        if args.engine == "duckdb":
            from ..sql import ga4_path_table_sql

            result = ga4_path_table_sql(args.export, memory_limit=args.memory_limit, **options)
            ga4 = ("ga4_rows", "sessions", "events_without_session", "duplicate_transactions")
            summary = f"{result}\nga4: " + ", ".join(
                f"{k.replace('_', ' ')} {result.counts[k]:,}" for k in ga4
            )
            table = result.table
        else:
            journeys, report = read_ga4_export(args.export, return_report=True, **options)
            if journeys.n_journeys == 0:
                raise ValueError(
                    f"{', '.join(args.export)}: no journey to write, nothing written; {report}"
                )
            table, summary = journeys.aggregate().to_path_table(), str(report)
    except (ValueError, TypeError) as exc:
        raise type(exc)(_say(str(exc))) from None
    table.to_csv(_writable(args.out, "--out"), index=False)
    print(summary)
    print(f"wrote {args.out}")
