"""The SQL path of `attribution_lab.sql`: the steps of `events_to_journeys` as SQL views.

Beside the in-memory steps so that both read the same definitions: the time units and
epoch checks (`attribution_lab._times`), the kinds of events and their order at equal
times (`._segments`) and the names of the counts (`._report.EventsReport`).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Collection
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np
import pandas as pd

from .._times import (
    MAX_DAYS,
    check_time_unit,
    duration_days,
    far_time_error,
    scalar_days,
    unit_for_datetimes_error,
)
from .._validation import check_columns
from ..journeys import Journeys
from ._report import DROPS, EventsReport
from ._rows import check_conversion
from ._segments import CONVERSION, TOUCH

__all__ = ["SQLPathTable", "events_to_path_table_sql"]

# The counts the SQL path reports, as SQL over the step views of `_steps_sql`, named as in
# `EventsReport` (whose order they keep). Not here: what only the in-memory path does
# (accounts, UTM channel rules, milestones).
_COUNT_SQL = {
    "n_events": "SELECT COUNT(*) FROM typed",
    "duplicates": "SELECT COUNT(*) FROM typed WHERE _dup",
    "missing_user": "SELECT COUNT(*) FROM typed WHERE NOT _dup AND unit IS NULL",
    "missing_time": "SELECT COUNT(*) FROM typed WHERE NOT _dup AND unit IS NOT NULL AND t IS NULL",
    "after_observation_end": "SELECT COUNT(*) FROM alive CROSS JOIN obs WHERE t > obs.obs_end",
    "missing_channel": "SELECT COUNT(*) FROM kept WHERE NOT is_conv AND channel IS NULL",
    "outside_lookback": "SELECT COUNT(*) FROM look WHERE outside",
    "beyond_max_length": "(SELECT COUNT(*) FROM ranked) - (SELECT COUNT(*) FROM final)",
    "conversions_without_touches": "(SELECT COUNT(*) FROM ends WHERE conv_t IS NOT NULL)"
    " - (SELECT COUNT(*) FROM journeys WHERE converted = 1)",
    "value_without_touches": """SELECT COALESCE(SUM(e.conv_value), 0.0) FROM ends e
             LEFT JOIN journeys j ON e.unit = j.unit AND e.seg = j.seg
             WHERE e.conv_t IS NOT NULL AND j.seg IS NULL""",
    "n_journeys": "SELECT COUNT(*) FROM journeys",
    "n_converting": "SELECT COUNT(*) FROM journeys WHERE converted = 1",
    "n_touchpoints": "SELECT COUNT(*) FROM final",
    "tied_times": "(SELECT COUNT(*) FROM final)"
    " - (SELECT COUNT(*) FROM (SELECT DISTINCT unit, seg, t FROM final) d)",
    "observation_end": "SELECT MAX(obs_end) FROM obs",
}
# the integer counts, in the report's order
_COUNTS = tuple(
    f.name
    for f in fields(EventsReport)
    if f.name in _COUNT_SQL and f.name not in ("value_without_touches", "observation_end")
)


@dataclass(frozen=True, eq=False)
class SQLPathTable:
    """The path table a SQL engine built from events, with what it dropped.

    Attributes
    ----------
    table : DataFrame
        ChannelAttribution's format, one row per distinct path, sorted by path:
        ``path`` (channels joined by ``" > "``), ``total_conversions``,
        ``total_conversion_value``, ``total_null``.
    counts : dict of str to int (and one float)
        Rows of the input and rows or touches dropped by reason, journeys built and
        ``tied_times``, with the names of `attribution_lab.events.EventsReport`; also
        ``value_without_touches``, the value of the conversions without touches.
    observation_end : float
        End of observation in days.
    engine : str
    """

    table: pd.DataFrame
    counts: dict[str, int] = field(default_factory=dict)
    observation_end: float = float("nan")
    engine: str = "duckdb"

    def to_journeys(self) -> Journeys:
        """The path table as (aggregated) `Journeys`."""
        return Journeys.from_path_table(self.table)

    def __str__(self) -> str:
        c = self.counts
        dropped = []
        for k, v in c.items():
            if k not in DROPS or not v:
                continue
            dropped.append(f"{k} {v:,}")
            if k == "conversions_without_touches" and c.get("value_without_touches"):
                dropped[-1] += f" (value {c['value_without_touches']:,.6g})"
        ties = f"; tied_times {c['tied_times']:,}" if c.get("tied_times") else ""
        return (
            f"{self.engine}: {c.get('n_events', 0):,} events -> {c.get('n_journeys', 0):,}"
            f" journeys ({c.get('n_converting', 0):,} converting), {len(self.table):,}"
            f" distinct paths; dropped: {', '.join(dropped) or 'nothing'}{ties}"
        )


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(value: Any) -> str:
    if isinstance(value, bool | np.bool_):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float | np.integer | np.floating):
        return repr(float(value)) if isinstance(value, float | np.floating) else str(int(value))
    return "'" + str(value).replace("'", "''") + "'"


def _far_time_sql(quoted: str, per_day: float) -> str:
    """SQL condition: the numeric time column `quoted` is not a time (see `MAX_DAYS`)."""
    return (
        f"NOT isnan(CAST({quoted} AS DOUBLE))"
        f" AND ABS(CAST({quoted} AS DOUBLE)) > {MAX_DAYS * per_day!r}"
    )


def _steps_sql(
    src: str, spec: dict[str, Any], time_days: str, datetimes: bool, spark: bool
) -> dict[str, str]:
    """The queries of every step, as named views over `src` (a table with ``_rn``).

    `spec` holds the arguments of `events_to_path_table_sql`; `time_days` is the SQL
    expression of each event's time in days, from datetimes or from numbers of days.
    """
    user, channel, value = spec["user"], spec["channel"], spec["value"]
    conversion, conversion_events = spec["conversion"], spec["conversion_events"]
    conversion_is_touch, lookback, max_length = (
        spec["conversion_is_touch"],
        spec["lookback"],
        spec["max_length"],
    )
    observation_end = None
    if spec["observation_end"] is not None:
        observation_end = scalar_days(
            spec["observation_end"], "observation_end", datetimes, spec["time_unit"]
        )
    dedup_cols = spec["columns"]
    u, ch = _quote(user), _quote(channel)
    if conversion is None:
        is_conv = "FALSE"
    elif conversion_events is not None:
        values = ", ".join(_literal(v) for v in conversion_events)
        is_conv = f"COALESCE({_quote(conversion)} IN ({values}), FALSE)"
    else:
        is_conv = f"COALESCE(CAST({_quote(conversion)} AS BOOLEAN), FALSE)"
    val = f"TRY_CAST({_quote(value)} AS DOUBLE)" if value is not None else "0.0"
    part = ", ".join(_quote(c) for c in dedup_cols)
    # as in memory, a channel name is stripped and a blank one is no channel
    trimmed = f"NULLIF(TRIM(CAST({ch} AS {'STRING' if spark else 'VARCHAR'})), '')"
    obs = "(SELECT MAX(t) FROM alive)" if observation_end is None else repr(float(observation_end))
    views = {
        # 1. duplicates (_rows.duplicates)
        "dedup": f"""
            SELECT *, ROW_NUMBER() OVER (PARTITION BY {part} ORDER BY _rn) > 1 AS _dup
            FROM {src}""",
        # 2-4. times (_times.parse_times), who, kinds of rows (_rows.channels, flags)
        "typed": f"""
            SELECT _rn, _dup, {u} AS unit, {time_days} AS t, {trimmed} AS channel,
                   {is_conv} AS is_conv, {val} AS value
            FROM dedup""",
        # 5. observation end (_rows.observation_end_days, classify_rows)
        "alive": "SELECT * FROM typed WHERE NOT _dup AND unit IS NOT NULL AND t IS NOT NULL",
        "obs": f"SELECT {obs} AS obs_end",
        "kept": """
            SELECT a.* FROM alive a CROSS JOIN obs WHERE a.t <= obs.obs_end""",
        # touches (TOUCH) and conversions (CONVERSION); a conversion that is a touch twice
        "ev": f"""
            SELECT unit, t, {TOUCH} AS kind, _rn, channel, value FROM kept
            WHERE channel IS NOT NULL AND (NOT is_conv {"OR TRUE" if conversion_is_touch else ""})
            UNION ALL
            SELECT unit, t, {CONVERSION} AS kind, _rn, channel, value FROM kept WHERE is_conv""",
        # 6. splitting at conversions (_segments.split_at_conversions)
        "seg": f"""
            SELECT *, SUM(CASE WHEN kind = {CONVERSION} THEN 1 ELSE 0 END) OVER (
                       PARTITION BY unit ORDER BY t, kind, _rn
                       ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
                   - CASE WHEN kind = {CONVERSION} THEN 1 ELSE 0 END AS seg
            FROM ev""",
        "ends": f"""
            SELECT unit, seg, MAX(CASE WHEN kind = {CONVERSION} THEN t END) AS conv_t,
                   MAX(CASE WHEN kind = {CONVERSION} THEN value END) AS conv_value
            FROM seg GROUP BY unit, seg""",
        "touch": f"""
            SELECT s.unit, s.seg, s.t, s.kind, s._rn, s.channel,
                   e.conv_t IS NOT NULL AS converted,
                   COALESCE(e.conv_value, 0.0) AS value,
                   COALESCE(e.conv_t, obs.obs_end) AS end_t
            FROM seg s JOIN ends e ON s.unit = e.unit AND s.seg = e.seg CROSS JOIN obs
            WHERE s.kind = {TOUCH}""",
        # 7-8. lookback, maximum length (_segments.trim_touches)
        "look": (
            "SELECT *, FALSE AS outside FROM touch"
            if lookback is None
            else f"SELECT *, end_t - t > {float(lookback)!r} AS outside FROM touch"
        ),
        "ranked": """
            SELECT *, ROW_NUMBER() OVER (PARTITION BY unit, seg
                                         ORDER BY t DESC, kind DESC, _rn DESC) AS from_end
            FROM look WHERE NOT outside""",
        "final": (
            "SELECT * FROM ranked"
            if max_length is None
            else f"SELECT * FROM ranked WHERE from_end <= {int(max_length)}"
        ),
    }
    if spark:
        path = (
            "concat_ws(' > ', transform(array_sort(collect_list(struct(t, kind, _rn, channel))),"
            " x -> x.channel))"
        )
    else:
        path = "STRING_AGG(channel, ' > ' ORDER BY t, kind, _rn)"
    # 9. journeys (_segments.assemble), then the path table and the counts
    views["journeys"] = f"""
        SELECT unit, seg, {path} AS path, MAX(CAST(converted AS INT)) AS converted,
               MAX(value) AS value, COUNT(*) AS n_touch
        FROM final GROUP BY unit, seg"""
    views["paths"] = """
        SELECT path, SUM(converted) AS total_conversions,
               SUM(CASE WHEN converted = 1 THEN value ELSE 0.0 END) AS total_conversion_value,
               SUM(1 - converted) AS total_null
        FROM journeys GROUP BY path ORDER BY path"""
    views["counts"] = "SELECT\n" + ",\n".join(
        f"  ({sql}) AS {name}" for name, sql in _COUNT_SQL.items()
    )
    return views


# steps whose result is stored (in memory, spilling to disk beyond memory_limit)
_MATERIALISE = ("typed", "seg", "ranked", "journeys")


def _source_sql(events: Any) -> tuple[str, str]:
    """DuckDB table function reading `events`, and a name for messages."""
    path = os.fspath(events)
    low = path.lower()
    quoted = "'" + path.replace("'", "''") + "'"
    if low.endswith(".parquet") or low.endswith(".pq"):
        return f"read_parquet({quoted})", path
    if any(low.endswith(e) for e in (".csv", ".csv.gz", ".tsv", ".tsv.gz", ".txt")):
        return f"read_csv({quoted}, header = true)", path
    raise ValueError(f"{path}: give a .csv(.gz), .tsv(.gz) or .parquet file (or a glob of them)")


def events_to_path_table_sql(
    events: Any,
    *,
    user: str,
    time: str,
    channel: str,
    conversion: str | None = None,
    conversion_events: Collection[Any] | None = None,
    conversion_is_touch: bool = False,
    value: str | None = None,
    observation_end: Any = None,
    lookback: Any = None,
    max_length: int | None = None,
    time_unit: str | None = None,
    engine: str = "duckdb",
    connection: Any = None,
    spark: Any = None,
    memory_limit: str | None = None,
) -> SQLPathTable:
    """Aggregate an event log into a path table on DuckDB or Spark.

    Parameters
    ----------
    events : path, glob, DataFrame or Spark DataFrame
        DuckDB: CSV / TSV (optionally gzip) or Parquet files, a glob such as
        ``"events/*.parquet"``, a pandas DataFrame, or a DuckDB relation made on
        `connection` (rows in the order of their input position). Spark: a Spark DataFrame, or a
        path to Parquet / CSV files that `spark` reads.
    user, time, channel : str
        Columns of the person id, the event time (numbers in `time_unit`, or
        timestamps / ISO date strings, taken as UTC when they carry no offset) and the
        channel.
    conversion, conversion_events, conversion_is_touch, value, observation_end, \
lookback, max_length, time_unit
        As in `attribution_lab.events.events_to_journeys` (numbers more than 10^7 days
        from 1970 in `time_unit` are refused, naming the row).
    engine : {"duckdb", "spark"}, default "duckdb"
    connection : duckdb connection, optional
        A connection to run on (default: a new in-memory database).
    spark : SparkSession, optional
        The session for ``engine="spark"`` (default: the active one).
    memory_limit : str, optional
        DuckDB's memory limit for this query, e.g. ``"4GB"``; beyond it DuckDB spills
        to its temporary directory (for a new connection, ``attribution_lab_duckdb`` in
        the system's temporary folder).

    Returns
    -------
    SQLPathTable
        The path table, the counts of what was dropped and the observation end.

    Raises
    ------
    ValueError
        A missing column (naming the columns there are), no events, an unparsable
        time, a numeric time that is not a time in `time_unit` (e.g. epoch seconds read
        as days), or a conversion value that is missing, negative or not a number
        (naming the row, counted from 0 in file order).
    ImportError
        When the engine's package is not installed (with the install command).

    Notes
    -----
    The query is the SQL sketch of `attribution_lab.events` made complete: a window
    ``ROW_NUMBER() OVER (PARTITION BY <columns read> ORDER BY row)`` finds exact
    duplicates; a running count of conversions ``OVER (PARTITION BY user ORDER BY time,
    kind, row)`` numbers the journey each event belongs to; a second window numbers the
    touches from each journey's end for ``max_length``; ``STRING_AGG`` (Spark:
    ``array_sort`` of ``collect_list``) builds the path. Row order within the input
    (the tie-breaker at equal times) is the files' order, as DuckDB and Spark read it
    with insertion order preserved.

    Examples
    --------
    >>> ev = pd.DataFrame({
    ...     "user": ["u1", "u1", "u1", "u1", "u2", "u2"],
    ...     "time": [1.0, 2.0, 3.0, 5.0, 1.0, 4.0],
    ...     "channel": ["search", "email", None, "display", "social", "social"],
    ...     "bought": [False, False, True, False, False, False],
    ...     "revenue": [0.0, 0.0, 90.0, 0.0, 0.0, 0.0]})
    >>> res = events_to_path_table_sql(ev, user="user", time="time", channel="channel",
    ...                                conversion="bought", value="revenue")
    >>> res.table
                  path  total_conversions  total_conversion_value  total_null
    0          display                  0                     0.0           1
    1   search > email                  1                    90.0           0
    2  social > social                  0                     0.0           1
    >>> print(res)
    duckdb: 6 events -> 3 journeys (1 converting), 3 distinct paths; dropped: nothing
    """
    if engine not in ("duckdb", "spark"):
        raise ValueError(f"engine must be 'duckdb' or 'spark', got {engine!r}")
    check_conversion(conversion, value, conversion_events)
    if max_length is not None and (
        isinstance(max_length, bool) or not isinstance(max_length, int) or max_length < 1
    ):
        raise ValueError(f"max_length must be a positive integer, got {max_length!r}")
    spec = {
        "user": user,
        "time": time,
        "channel": channel,
        "conversion": conversion,
        "conversion_events": conversion_events,
        "conversion_is_touch": conversion_is_touch,
        "value": value,
        "observation_end": observation_end,
        "lookback": None if lookback is None else duration_days(lookback, "lookback"),
        "max_length": max_length,
        "time_unit": time_unit,
        "per_day": check_time_unit(time_unit),
        # the columns read: exact duplicates are rows equal in all of them
        "columns": list(dict.fromkeys(c for c in (user, time, channel, conversion, value) if c)),
    }
    if engine == "duckdb":
        return _run_duckdb(events, spec, connection, memory_limit)
    return _run_spark(events, spec, spark)


def _finish(table: pd.DataFrame, counts: dict[str, Any], engine: str, source: str) -> SQLPathTable:
    if int(counts["n_events"]) == 0:  # as events_to_journeys: an empty log is a mistake
        raise ValueError(f"{source}: no events (the input has no rows)")
    obs = float(counts.pop("observation_end"))
    value = float(counts.pop("value_without_touches"))
    counts = {k: int(counts[k]) for k in _COUNTS}
    counts["value_without_touches"] = value
    table = table.astype(
        {"total_conversions": np.int64, "total_null": np.int64, "total_conversion_value": float}
    )
    return SQLPathTable(table.reset_index(drop=True), counts, obs, engine)


def _run_duckdb(events, spec, connection, memory_limit) -> SQLPathTable:
    try:
        import duckdb
    except ImportError:  # pragma: no cover - depends on the environment
        raise ImportError(
            'the DuckDB engine needs duckdb: pip install "attribution-lab[duckdb]"'
        ) from None
    con = connection
    if con is None:
        con = duckdb.connect()
        # DuckDB spills to ./.tmp by default: keep the user's working folder clean
        spill = os.path.join(tempfile.gettempdir(), "attribution_lab_duckdb")
        con.execute(f"SET temp_directory = {_literal(spill)}")
    con.execute("SET TimeZone = 'UTC'")
    if memory_limit is not None:
        con.execute(f"SET memory_limit = {_literal(memory_limit)}")
    # insertion order is what makes row numbers follow the files
    con.execute("SET preserve_insertion_order = true")
    if isinstance(events, pd.DataFrame | duckdb.DuckDBPyRelation):
        source = "events"
        con.register("_al_input", events)
        reader = "_al_input"
    else:
        reader, source = _source_sql(events)
    try:
        have = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {reader}").fetchall()]
    except duckdb.Error as exc:
        raise ValueError(f"{source}: cannot read ({exc})") from None
    check_columns(have, spec["columns"], source)
    con.execute(
        f"CREATE OR REPLACE TEMP VIEW _al_src AS SELECT "
        f"{', '.join(_quote(c) for c in spec['columns'])}, "
        f"ROW_NUMBER() OVER () - 1 AS _rn FROM {reader}"
    )
    types = dict(con.execute("SELECT column_name, column_type FROM (DESCRIBE _al_src)").fetchall())
    ttype = types[spec["time"]].upper()
    tq = _quote(spec["time"])
    numeric = any(k in ttype for k in ("INT", "DOUBLE", "FLOAT", "DECIMAL", "REAL", "NUMERIC"))
    if numeric:
        time_days = f"CAST({tq} AS DOUBLE) / {spec['per_day']!r}"
        datetimes = False
        far = con.execute(
            f"SELECT _rn, CAST({tq} AS DOUBLE) FROM _al_src"
            f" WHERE {_far_time_sql(tq, spec['per_day'])}"
            " ORDER BY _rn LIMIT 1"
        ).fetchall()
        if far:
            where = f"{source}: row {far[0][0]}, column {spec['time']!r}"
            raise far_time_error(where, float(far[0][1]), spec["time_unit"])
    else:
        if spec["time_unit"] is not None:
            raise unit_for_datetimes_error(spec["time"], spec["time_unit"])
        # NULLIF(TRIM(...)) so that a blank string counts as a missing time, as in memory
        raw = f"NULLIF(TRIM(CAST({tq} AS VARCHAR)), '')"
        time_days = f"epoch_ns(TRY_CAST({raw} AS TIMESTAMPTZ)) / 86400e9"
        bad = con.execute(
            f"SELECT _rn, CAST({tq} AS VARCHAR) FROM _al_src WHERE {raw} IS NOT NULL"
            f" AND TRY_CAST({raw} AS TIMESTAMPTZ) IS NULL ORDER BY _rn LIMIT 1"
        ).fetchall()
        if bad:
            raise ValueError(
                f"{source}: row {bad[0][0]}, column {spec['time']!r}: cannot parse"
                f" {bad[0][1]!r} as a time"
            )
        datetimes = True
    views = _steps_sql("_al_src", spec, time_days, datetimes, spark=False)
    for name, sql in views.items():
        if name in _MATERIALISE:
            # read the input once, and do not redo the windows for every count
            con.execute(f"CREATE OR REPLACE TEMP TABLE _al_{name} AS {sql}")
            sql = f"SELECT * FROM _al_{name}"
        con.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS {sql}")
    if spec["value"] is not None:
        bad = con.execute(
            f"SELECT _rn, CAST({_quote(spec['value'])} AS VARCHAR) FROM _al_src"
            f" WHERE _rn IN (SELECT _rn FROM kept WHERE is_conv AND"
            f" (value IS NULL OR NOT isfinite(value) OR value < 0)) ORDER BY _rn LIMIT 1"
        ).fetchall()
        if bad:
            raise ValueError(
                f"{source}: row {bad[0][0]}, column {spec['value']!r}: conversion value"
                f" {bad[0][1]!r} is missing, negative or not a finite number"
            )
    table = con.execute("SELECT * FROM paths").df()
    row = con.execute("SELECT * FROM counts").df().iloc[0].to_dict()
    return _finish(table, row, "duckdb", source)


def _run_spark(events, spec, spark) -> SQLPathTable:
    try:
        from pyspark.sql import SparkSession
        from pyspark.sql import functions as F
    except ImportError:  # pragma: no cover - depends on the environment
        raise ImportError(
            'the Spark engine needs pyspark (and Java): pip install "attribution-lab[spark]"'
        ) from None
    session = spark or SparkSession.getActiveSession()
    if session is None:
        raise ValueError("engine='spark' needs a SparkSession: pass spark=...")
    if isinstance(events, str | os.PathLike):
        path = os.fspath(events)
        low = path.lower()
        if low.endswith((".parquet", ".pq")):
            frame = session.read.parquet(path)
        else:
            sep = "\t" if ".tsv" in low else ","
            frame = session.read.csv(path, header=True, inferSchema=True, sep=sep)
        source = path
    elif isinstance(events, pd.DataFrame):
        frame, source = session.createDataFrame(events), "events"
    else:
        frame, source = events, "events"
    check_columns(list(frame.columns), spec["columns"], source)
    frame = frame.select(*spec["columns"]).withColumn("_rn", F.monotonically_increasing_id())
    ttype = dict(frame.dtypes)[spec["time"]].lower()
    tq = "`" + spec["time"].replace("`", "``") + "`"
    numeric = any(k in ttype for k in ("int", "double", "float", "decimal", "long", "short"))
    if numeric:
        time_days, datetimes = f"(CAST({tq} AS DOUBLE) / {spec['per_day']!r})", False
        far = frame.where(_far_time_sql(tq, spec["per_day"])).orderBy("_rn").limit(1).collect()
        if far:
            where = f"{source}: a row (Spark row id {far[0]['_rn']}), column {spec['time']!r}"
            raise far_time_error(where, float(far[0][spec["time"]]), spec["time_unit"])
    else:
        if spec["time_unit"] is not None:
            raise unit_for_datetimes_error(spec["time"], spec["time_unit"])
        time_days = f"(unix_micros(to_timestamp(NULLIF(TRIM(CAST({tq} AS STRING)), ''))) / 86400e6)"
        datetimes = True
    session.conf.set("spark.sql.session.timeZone", "UTC")
    frame.createOrReplaceTempView("_al_src")
    views = _steps_sql("_al_src", spec, time_days, datetimes, spark=True)
    cached = []
    for name, sql in views.items():
        df = session.sql(sql.replace('"', "`"))
        if name in _MATERIALISE:
            df = df.cache()  # computed once, not for every count that reads it
            cached.append(df)
        df.createOrReplaceTempView(name)
    try:
        if spec["value"] is not None:
            bad = session.sql(
                "SELECT _rn FROM kept WHERE is_conv AND (value IS NULL OR isnan(value)"
                " OR value < 0 OR value = double('inf')) ORDER BY _rn LIMIT 1"
            ).collect()
            if bad:
                raise ValueError(
                    f"{source}: a conversion row (Spark row id {bad[0][0]}), column"
                    f" {spec['value']!r}: conversion value missing, negative or not finite"
                )
        table = session.sql("SELECT * FROM paths").toPandas().sort_values("path")
        row = session.sql("SELECT * FROM counts").toPandas().iloc[0].to_dict()
    finally:
        for df in cached:
            df.unpersist()
    return _finish(table, row, "spark", source)
