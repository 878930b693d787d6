"""The GA4 export reader's steps as SQL: DuckDB over export files, and BigQuery text.

`ga4_log_sql` writes steps 1-2 of `attribution_lab.readers.ga4` (flatten, sessions and
their sources, channels by the rule table rendered as a ``CASE``, conversions with each
transaction once, persons) as ``WITH`` views ending in ``ga4_log``: the event log that
`attribution_lab.events` turns into journeys, ordered as the in-memory reader orders it.
`ga4_path_table_sql` runs it on DuckDB and hands ``ga4_log`` to the SQL path of the
events package (`attribution_lab.sql.events_to_path_table_sql`); `ga4_bigquery_sql`
appends that path's step views (`attribution_lab.events._sql._steps_sql`) to make one
query, in BigQuery's dialect or DuckDB's.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import tempfile
from collections.abc import Collection, Sequence
from typing import Any

import pandas as pd

from ..channels import FIELDS, ChannelGrouping
from ..events._sql import SQLPathTable, _steps_sql, events_to_path_table_sql
from .ga4 import (
    GA4_SOURCE_LEVELS,
    LEVEL_FIELDS,
    MICROS_PER_DAY,
    _check_columns,
    _check_sources,
    _json_columns,
    check_conversion_events,
    export_files,
    file_format,
)

__all__ = ["ga4_bigquery_sql", "ga4_path_table_sql"]

DIALECTS = ("bigquery", "duckdb")
#: the nested field of each flattened column (as `ga4.FIELDS`, in SQL's dot notation)
_FIELD_SQL = {
    "c_source": "collected_traffic_source.manual_source",
    "c_medium": "collected_traffic_source.manual_medium",
    "c_campaign": "collected_traffic_source.manual_campaign_name",
    "c_gclid": "collected_traffic_source.gclid",
    "l_source": "session_traffic_source_last_click.manual_campaign.source",
    "l_medium": "session_traffic_source_last_click.manual_campaign.medium",
    "l_campaign": "session_traffic_source_last_click.manual_campaign.campaign_name",
    "l_ads": "session_traffic_source_last_click.google_ads_campaign.campaign_name",
}
_PARAM_SQL = {
    "p_source": "source",
    "p_medium": "medium",
    "p_campaign": "campaign",
    "p_gclid": "gclid",
}


def _literal(text: str, dialect: str) -> str:
    """A string literal: BigQuery escapes with backslashes, DuckDB doubles quotes."""
    if dialect == "bigquery":
        return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"
    return "'" + text.replace("'", "''") + "'"


def _types(dialect: str) -> dict[str, str]:
    if dialect == "bigquery":
        return {"int": "INT64", "float": "FLOAT64", "str": "STRING", "try": "SAFE_CAST"}
    return {"int": "BIGINT", "float": "DOUBLE", "str": "VARCHAR", "try": "TRY_CAST"}


def _clean(expr: str, dialect: str) -> str:
    """Stripped, with empty and ``(not set)`` as NULL (as `ga4._strings`)."""
    s = _types(dialect)["str"]
    return f"NULLIF(NULLIF(TRIM(CAST({expr} AS {s})), ''), '(not set)')"


def _param(key: str, dialect: str) -> str:
    """The value of event parameter `key` as text (its last entry), NULL without one."""
    s = _types(dialect)["str"]
    fields = ("string_value", "int_value", "double_value", "float_value")
    if dialect == "bigquery":
        value = ", ".join(f"CAST(p.value.{f} AS {s})" for f in fields)
        return (
            f"(SELECT COALESCE({value}) FROM UNNEST(event_params) AS p WITH OFFSET AS o"
            f" WHERE p.key = {_literal(key, dialect)} ORDER BY o DESC LIMIT 1)"
        )
    import duckdb

    major_minor = tuple(int(x) for x in re.findall(r"\d+", duckdb.__version__)[:2])
    lam = "lambda p: p.key" if major_minor >= (1, 3) else "p -> p.key"
    last = f"list_filter(event_params, {lam} = {_literal(key, dialect)})[-1].value"
    return "COALESCE(" + ", ".join(f"CAST({last}.{f} AS {s})" for f in fields) + ")"


def channel_case_sql(grouping: ChannelGrouping, columns: dict[str, str], dialect: str) -> str:
    """The rule table as a ``CASE``: the first rule all of whose patterns match wins.

    Fields are stripped and lower-cased, a missing one is ``''``, and each pattern must
    match the whole field, ignoring case (`ChannelGrouping.match`); RE2, which BigQuery
    and DuckDB use, reads the default table's patterns as Python does.
    """
    whens = []
    for i, name in enumerate(grouping.rules["channel"]):
        conds = []
        for f in FIELDS:
            pattern = grouping.rules.at[i, f]
            if not pattern:
                continue
            col = columns.get(f)
            value = "''" if col is None else f"LOWER(TRIM(COALESCE({col}, '')))"
            full = f"(?i)^(?:{pattern})$"
            if dialect == "bigquery":
                conds.append(f"REGEXP_CONTAINS({value}, {_literal(full, dialect)})")
            else:
                conds.append(f"regexp_full_match({value}, {_literal(full, dialect)})")
        cond = " AND ".join(conds) or "TRUE"
        whens.append(f"    WHEN {cond} THEN {_literal(str(name), dialect)}")
    return "CASE\n" + "\n".join(whens) + f"\n    ELSE {_literal(grouping.unassigned, dialect)} END"


def ga4_log_sql(
    source: str,
    *,
    dialect: str,
    conversion_events: Sequence[str],
    user_id: bool,
    sources: Sequence[str],
    rules: Any,
    where: str = "",
    have: Collection[str] | None = None,
    drop_unassigned: bool = False,
) -> dict[str, str]:
    """The views from the export table `source` to ``ga4_log`` (see the module docstring).

    `have` lists the nested fields the export has (None: all); a level's missing field
    is NULL. `where` filters the export's rows (BigQuery's ``_TABLE_SUFFIX``).
    """
    t = _types(dialect)
    grouping = rules if isinstance(rules, ChannelGrouping) else ChannelGrouping(rules)

    def field(name: str) -> str:
        path = _FIELD_SQL[name]
        return "NULL" if have is not None and path not in have else _clean(path, dialect)

    def opt(path: str, expr: str) -> str:
        return expr if have is None or path in have else "NULL"

    revenue = f"CAST(ecommerce.purchase_revenue AS {t['float']})"
    cols = [
        f"CAST(event_timestamp AS {t['int']}) AS ts",
        f"{_clean('event_name', dialect)} AS event_name",
        f"{_clean('user_pseudo_id', dialect)} AS pseudo",
        f"{opt('user_id', _clean('user_id', dialect))} AS user_id",
        f"{t['try']}({_param('ga_session_id', dialect)} AS {t['int']}) AS sid",
        f"{opt('ecommerce.purchase_revenue', revenue)} AS revenue",
        f"{opt('ecommerce.transaction_id', _clean('ecommerce.transaction_id', dialect))} AS txn",
    ]
    for level in sources:
        for name in LEVEL_FIELDS[level]:
            if name in _FIELD_SQL:
                cols.append(f"{field(name)} AS {name}")
            else:
                cols.append(f"{_clean(_param(_PARAM_SQL[name], dialect), dialect)} AS {name}")
    names = ", ".join(_literal(e, dialect) for e in conversion_events)
    views: dict[str, str] = {}
    views["ga4_raw"] = "SELECT\n  " + ",\n  ".join(cols) + f"\nFROM {source}{where}"
    if user_id:
        # one hop: a device's user_id names it (as stitching does when no device carries
        # two user_ids; see the documentation)
        views["ga4_ids"] = """
  SELECT pseudo, MIN(user_id) AS uid FROM ga4_raw
  WHERE pseudo IS NOT NULL GROUP BY pseudo"""
        views["ga4_ev"] = """
  SELECT r.*, COALESCE(i.uid, r.pseudo, r.user_id) AS person
  FROM ga4_raw AS r LEFT JOIN ga4_ids AS i ON r.pseudo = i.pseudo"""
    else:
        views["ga4_ev"] = "SELECT *, pseudo AS person FROM ga4_raw"
    views["ga4_sev"] = f"""
  SELECT *, CONCAT(pseudo, '.', CAST(sid AS {t["str"]})) AS skey FROM ga4_ev
  WHERE pseudo IS NOT NULL AND sid IS NOT NULL"""
    views["ga4_sessions"] = """
  SELECT skey, MIN(ts) AS start, MIN(person) AS person FROM ga4_sev GROUP BY skey"""
    pick = {"source": [], "medium": [], "campaign": []}
    joins = []
    for k, level in enumerate(sources):
        src, med, camp, click = LEVEL_FIELDS[level]
        hit = f"{click} IS NOT NULL"
        if level == "last_click":
            hit += f" AND {src} IS NULL AND {med} IS NULL"
        campaign = f"COALESCE({camp}, {click})" if level == "last_click" else camp
        views[f"ga4_level{k}"] = f"""
  SELECT skey, src, med, camp FROM (
    SELECT skey,
           CASE WHEN {hit} THEN 'google' ELSE {src} END AS src,
           CASE WHEN {hit} THEN 'cpc' ELSE {med} END AS med,
           CASE WHEN {hit} THEN {campaign} ELSE {camp} END AS camp,
           ROW_NUMBER() OVER (PARTITION BY skey ORDER BY ts, {src} NULLS FIRST,
               {med} NULLS FIRST, {camp} NULLS FIRST, {click} IS NOT NULL) AS k
    FROM ga4_sev WHERE COALESCE({src}, {med}, {camp}, {click}) IS NOT NULL) AS x
  WHERE k = 1"""
        joins.append(f"LEFT JOIN ga4_level{k} AS l{k} ON s.skey = l{k}.skey")
        for out, col in (("source", "src"), ("medium", "med"), ("campaign", "camp")):
            pick[out].append(f"WHEN l{k}.skey IS NOT NULL THEN l{k}.{col}")
    chosen = ",\n         ".join(
        f"CASE {' '.join(p)} END AS {out}" if p else f"CAST(NULL AS {t['str']}) AS {out}"
        for out, p in pick.items()
    )
    views["ga4_touch"] = f"""
  SELECT s.skey, s.start, s.person,
         {chosen}
  FROM ga4_sessions AS s
  {" ".join(joins)}"""
    case = channel_case_sql(
        grouping, {"source": "source", "medium": "medium", "campaign": "campaign"}, dialect
    )
    views["ga4_touch_channel"] = f"SELECT *, {case} AS channel FROM ga4_touch"
    views["ga4_conv"] = f"""
  SELECT person, ts, event_name, revenue, txn FROM (
    SELECT *, ROW_NUMBER() OVER (PARTITION BY txn ORDER BY ts, person NULLS FIRST,
               event_name, revenue NULLS FIRST) AS k
    FROM ga4_ev WHERE event_name IN ({names})) AS x
  WHERE txn IS NULL OR k = 1"""
    keep = ""
    if drop_unassigned:
        keep = f" WHERE channel <> {_literal(grouping.unassigned, dialect)}"
    views["ga4_log0"] = f"""
  SELECT person, start AS ts, channel, CONCAT('session:', skey) AS event,
         CAST(0.0 AS {t["float"]}) AS value, skey AS k, 0 AS kind
  FROM ga4_touch_channel{keep}
  UNION ALL
  SELECT person, ts, CAST(NULL AS {t["str"]}), event_name,
         COALESCE(revenue, CAST(0.0 AS {t["float"]})), txn, 1
  FROM ga4_conv"""
    # the in-memory reader's order (ga4.ga4_event_log), so that ties break alike; the
    # session in the event column of touches keeps distinct sessions from being duplicates
    views["ga4_log"] = f"""
  SELECT person, ts / {MICROS_PER_DAY!r} AS t, channel, event, value,
         ROW_NUMBER() OVER (ORDER BY ts, kind, k NULLS FIRST, person NULLS FIRST,
                            value) - 1 AS _rn
  FROM ga4_log0"""
    views["ga4_obs"] = f"SELECT MAX(ts) / {MICROS_PER_DAY!r} AS obs_end FROM ga4_raw"
    return views


def _with(views: dict[str, str]) -> str:
    return "WITH\n" + ",\n".join(f"{name} AS ({sql.strip()})" for name, sql in views.items())


def _suffix(value: Any, what: str) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.strftime("%Y%m%d")
    text = str(value).replace("-", "")
    if not re.fullmatch(r"\d{8}", text):
        raise ValueError(f"{what} must be a date (2024-01-31 or 20240131), got {value!r}")
    return text


def ga4_bigquery_sql(
    table: str = "my-project.analytics_123456789.events_*",
    *,
    start_date: Any = None,
    end_date: Any = None,
    conversion_events: str | Collection[str] = ("purchase",),
    user_id: bool = True,
    sources: Sequence[str] = GA4_SOURCE_LEVELS,
    rules: Any = None,
    lookback: float | None = None,
    max_length: int | None = None,
    dialect: str = "bigquery",
) -> str:
    """The SQL of `read_ga4_export`'s path table, to run in BigQuery yourself.

    One query over the export's ``events_*`` tables, returning ChannelAttribution's path
    table (``path``, ``total_conversions``, ``total_conversion_value``, ``total_null``)
    that `attribution_lab.Journeys.from_path_table` reads. Nothing is sent anywhere:
    this only writes text.

    Parameters
    ----------
    table : str
        BigQuery: ``project.dataset.events_*`` (the daily tables; backquoted for you).
        DuckDB: a table function such as ``read_parquet('export/*.parquet')``.
    start_date, end_date : date or str, optional
        The first and last day read (``_TABLE_SUFFIX``, BigQuery only).
    conversion_events, user_id, sources, rules, lookback, max_length
        As in `attribution_lab.readers.read_ga4_export`. The levels in `sources` are the
        only records the query reads: leave out a record an old export lacks.
    dialect : {"bigquery", "duckdb"}
        DuckDB's rendering runs the same steps (the tests check it against the Python
        reader).

    Returns
    -------
    str

    Notes
    -----
    The channel rules become a ``CASE`` of ``REGEXP_CONTAINS`` (RE2); the steps after the
    event log are those of `attribution_lab.sql.events_to_path_table_sql`. Persons: a
    ``user_pseudo_id`` seen with a ``user_id`` takes its smallest ``user_id``; this is the
    in-memory reader's stitching whenever no device carries two different user_ids. The
    observation end (for `lookback`) is the last event read.

    Examples
    --------
    >>> sql = ga4_bigquery_sql("shop.analytics_1.events_*", start_date="2024-01-01",
    ...                        end_date="2024-01-31", lookback=30)
    >>> print(sql.splitlines()[0])
    -- attribution_lab GA4 path table: shop.analytics_1.events_*, 20240101 to 20240131
    >>> "_TABLE_SUFFIX BETWEEN '20240101' AND '20240131'" in sql
    True
    """
    if dialect not in DIALECTS:
        raise ValueError(f"dialect must be one of {list(DIALECTS)}, got {dialect!r}")
    names = check_conversion_events(conversion_events)
    levels = _check_sources(sources)
    if not isinstance(user_id, bool):
        raise TypeError(f"user_id must be True or False, got {user_id!r}")
    if max_length is not None and (
        isinstance(max_length, bool) or not isinstance(max_length, int) or max_length < 1
    ):
        raise ValueError(f"max_length must be a positive integer, got {max_length!r}")
    if lookback is not None and not (isinstance(lookback, int | float) and lookback > 0):
        raise ValueError(f"lookback must be a positive number of days, got {lookback!r}")
    where = ""
    if dialect == "bigquery":
        if not re.fullmatch(r"[\w.\-*$]+", table):
            raise ValueError(f"table must be project.dataset.events_*, got {table!r}")
        source = f"`{table}`"
        days = [_suffix(d, w) for d, w in ((start_date, "start_date"), (end_date, "end_date"))]
        if any(days) and not table.endswith("*"):
            raise ValueError("start_date and end_date need a wildcard table (events_*)")
        if days[0] and days[1]:
            where = f"\nWHERE _TABLE_SUFFIX BETWEEN '{days[0]}' AND '{days[1]}'"
        elif days[0]:
            where = f"\nWHERE _TABLE_SUFFIX >= '{days[0]}'"
        elif days[1]:
            where = f"\nWHERE _TABLE_SUFFIX <= '{days[1]}'"
    else:
        if start_date is not None or end_date is not None:
            raise ValueError("start_date and end_date act on BigQuery's tables only")
        source = table
    views = ga4_log_sql(
        source,
        dialect=dialect,
        conversion_events=names,
        user_id=user_id,
        sources=levels,
        rules=rules,
        where=where,
    )
    spec = _spec(names, lookback, max_length, None)
    steps = _steps_sql("ga4_log", spec, '"t"', False, spark=False)
    steps["obs"] = "SELECT obs_end FROM ga4_obs"
    steps.pop("counts")
    steps["paths"] = steps["paths"].replace("ORDER BY path", "")
    body = _with({**views, **steps})
    if dialect == "bigquery":
        body = _bigquery(body)
    span = f", {where.split('BETWEEN ')[-1].replace(' AND ', ' to ')}" if where else ""
    span = span.replace("'", "")
    head = f"-- attribution_lab GA4 path table: {table}{span}"
    return f"{head}\n{body}\nSELECT * FROM paths ORDER BY path\n"


def _bigquery(sql: str) -> str:
    """The events package's step views (DuckDB's dialect) in BigQuery's."""
    sql = re.sub(r'"(\w+)"', r"`\1`", sql)
    sql = sql.replace("TRY_CAST(", "SAFE_CAST(").replace(" AS DOUBLE)", " AS FLOAT64)")
    return sql.replace(" AS VARCHAR)", " AS STRING)")


def _spec(names, lookback, max_length, observation_end) -> dict[str, Any]:
    return {
        "user": "person",
        "time": "t",
        "channel": "channel",
        "conversion": "event",
        "conversion_events": list(names),
        "conversion_is_touch": False,
        "value": "value",
        "observation_end": observation_end,
        "lookback": lookback,
        "max_length": max_length,
        "time_unit": None,
        "per_day": 1.0,
        "columns": ["person", "t", "channel", "event", "value"],
    }


def _duckdb_source(files: list[str]) -> str:
    """DuckDB's table function over the export files (one format)."""
    kinds = {file_format(f) for f in files}
    if len(kinds) > 1:
        raise ValueError("the export mixes JSON and Parquet files; give one format")
    listed = "[" + ", ".join(_literal(f, "duckdb") for f in files) + "]"
    if kinds == {"parquet"}:
        return f"read_parquet({listed}, union_by_name = true, filename = true)"
    value = (
        "STRUCT(string_value VARCHAR, int_value VARCHAR, float_value DOUBLE, double_value DOUBLE)"
    )
    columns = {
        "event_timestamp": "VARCHAR",
        "event_name": "VARCHAR",
        "user_pseudo_id": "VARCHAR",
        "user_id": "VARCHAR",
        "event_params": f"STRUCT(key VARCHAR, value {value})[]",
        "collected_traffic_source": "STRUCT(manual_source VARCHAR, manual_medium VARCHAR,"
        " manual_campaign_name VARCHAR, gclid VARCHAR)",
        "session_traffic_source_last_click": "STRUCT(manual_campaign STRUCT(source VARCHAR,"
        " medium VARCHAR, campaign_name VARCHAR), google_ads_campaign"
        " STRUCT(campaign_name VARCHAR))",
        "ecommerce": "STRUCT(purchase_revenue DOUBLE, transaction_id VARCHAR)",
    }
    spec = "{" + ", ".join(f"'{k}': '{v}'" for k, v in columns.items()) + "}"
    return f"read_json({listed}, format = 'newline_delimited', columns = {spec}, filename = true)"


def ga4_path_table_sql(
    export: Any,
    *,
    conversion_events: str | Collection[str] = ("purchase",),
    user_id: bool = True,
    sources: Sequence[str] = GA4_SOURCE_LEVELS,
    rules: Any = None,
    lookback: Any = None,
    max_length: int | None = None,
    observation_end: Any = None,
    drop_unassigned: bool = False,
    connection: Any = None,
    memory_limit: str | None = None,
) -> SQLPathTable:
    """`read_ga4_export`'s path table computed by DuckDB, for exports larger than memory.

    Parameters
    ----------
    export : path, glob or list of paths
        As in `attribution_lab.readers.read_ga4_export` (one format: JSON or Parquet).
    conversion_events, user_id, sources, rules, lookback, max_length, observation_end, \
drop_unassigned
        As in `read_ga4_export` (`observation_end` a time or days since 1970).
    connection : duckdb connection, optional
    memory_limit : str, optional
        DuckDB's memory limit, e.g. ``"4GB"``; beyond it DuckDB spills to disk.

    Returns
    -------
    SQLPathTable
        The path table and the counts of `attribution_lab.sql.events_to_path_table_sql`,
        plus the export's: ``ga4_rows``, ``sessions``, ``events_without_session``,
        ``duplicate_transactions``, ``conversions_without_value`` and
        ``unassigned`` (touches the rules left unassigned; dropped with
        `drop_unassigned`, then also ``unassigned_dropped``).

    Notes
    -----
    Persons are stitched in one hop (see `ga4_bigquery_sql`); the path table equals
    the in-memory reader's whenever no device carries two different user_ids (the
    tests check this).
    """
    try:
        import duckdb
    except ImportError:  # pragma: no cover - depends on the environment
        raise ImportError(
            'the DuckDB engine needs duckdb: pip install "attribution-lab[duckdb]"'
        ) from None
    names = check_conversion_events(conversion_events)
    levels = _check_sources(sources)
    if not isinstance(user_id, bool):
        raise TypeError(f"user_id must be True or False, got {user_id!r}")
    grouping = rules if isinstance(rules, ChannelGrouping) else ChannelGrouping(rules)
    listed = ", ".join(_literal(e, "duckdb") for e in names)
    files = export_files(export)
    for path in files:  # what the Python reader checks, read from each file's head
        if file_format(path) == "json":
            _check_columns(path, _json_columns(path))
        else:
            import pyarrow.parquet as pq

            _check_columns(path, set(pq.read_schema(path).names))
    source = _duckdb_source(files)
    where = files[0] if len(files) == 1 else f"{len(files)} files ({files[0]}, ...)"
    con = connection
    if con is None:
        con = duckdb.connect()
        spill = os.path.join(tempfile.gettempdir(), "attribution_lab_duckdb")
        con.execute(f"SET temp_directory = {_literal(spill, 'duckdb')}")
    if memory_limit is not None:
        con.execute(f"SET memory_limit = {_literal(memory_limit, 'duckdb')}")
    con.execute("SET preserve_insertion_order = true")
    try:
        described = con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()
    except duckdb.Error as exc:
        raise ValueError(f"{where}: cannot read as a GA4 export ({_one_line(exc)})") from None
    top = {r[0] for r in described}
    missing = [c for c in ("event_timestamp", "event_name") if c not in top]
    if missing:
        raise ValueError(f"{where}: not a GA4 BigQuery export: no column {missing[0]!r}")
    have = set(top)
    for path in [*_FIELD_SQL.values(), "ecommerce.purchase_revenue", "ecommerce.transaction_id"]:
        try:
            con.execute(f"SELECT {path} FROM {source} LIMIT 0")
            have.add(path)
        except duckdb.Error:
            pass
    views = ga4_log_sql(
        source,
        dialect="duckdb",
        conversion_events=names,
        user_id=user_id,
        sources=levels,
        rules=grouping,
        have=have,
        drop_unassigned=drop_unassigned,
    )
    views["ga4_raw"] = views["ga4_raw"].replace("\nFROM ", ",\n  filename AS _file\nFROM ", 1)
    for name, sql in views.items():
        kind = "TABLE" if name in ("ga4_raw", "ga4_touch_channel", "ga4_log") else "VIEW"
        if name == "ga4_log":
            sql = f"SELECT * FROM ({sql}) AS x ORDER BY _rn"
        con.execute(f"CREATE OR REPLACE TEMP {kind} {name} AS {sql}")
    bad = con.execute("SELECT _file FROM ga4_raw WHERE ts IS NULL LIMIT 1").fetchall()
    if bad:
        raise ValueError(f"{bad[0][0]}: an event without event_timestamp (or not an integer)")
    bad = con.execute(
        "SELECT _file, event_name, revenue FROM ga4_raw WHERE revenue < 0"
        f" AND event_name IN ({listed}) LIMIT 1"
    ).fetchall()
    if bad:
        raise ValueError(
            f"{bad[0][0]}: negative ecommerce.purchase_revenue {bad[0][2]:g} on a"
            f" {bad[0][1]} event (refunds are not conversions)"
        )
    counts = dict(
        zip(
            (
                "ga4_rows",
                "sessions",
                "events_without_session",
                "conversion_events",
                "kept",
                "conversions_without_value",
                "unassigned",
            ),
            con.execute(
                f"""SELECT (SELECT COUNT(*) FROM ga4_raw),
                   (SELECT COUNT(*) FROM ga4_sessions),
                   (SELECT COUNT(*) FROM ga4_raw WHERE (pseudo IS NULL OR sid IS NULL)
                      AND (event_name IS NULL OR event_name NOT IN
                      ({listed}))),
                   (SELECT COUNT(*) FROM ga4_ev WHERE event_name IN
                      ({listed})),
                   (SELECT COUNT(*) FROM ga4_conv),
                   (SELECT COUNT(*) FROM ga4_conv WHERE revenue IS NULL),
                   (SELECT COUNT(*) FROM ga4_touch_channel WHERE channel =
                      {_literal(grouping.unassigned, "duckdb")})
                """
            ).fetchone(),
            strict=True,
        )
    )
    if counts["ga4_rows"] == 0:
        raise ValueError(f"{where}: no events (the export has no rows)")
    counts["duplicate_transactions"] = counts.pop("conversion_events") - counts.pop("kept")
    obs = observation_end
    if obs is None:
        obs = con.execute("SELECT obs_end FROM ga4_obs").fetchone()[0]
    elif not isinstance(obs, int | float):
        ts = pd.Timestamp(obs)
        ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
        obs = (ts - pd.Timestamp(0, tz="UTC")) / pd.Timedelta(days=1)
    result = events_to_path_table_sql(
        con.table("ga4_log"),
        user="person",
        time="t",
        channel="channel",
        conversion="event",
        conversion_events=names,
        value="value",
        observation_end=float(obs),
        lookback=lookback,
        max_length=max_length,
        connection=con,
    )
    if drop_unassigned:
        counts["unassigned_dropped"] = counts["unassigned"]
    return SQLPathTable(
        result.table, {**result.counts, **counts}, result.observation_end, "duckdb (ga4)"
    )


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split("\n")[0].split())
