"""Events to path tables on a SQL engine, for event logs larger than memory.

`events_to_path_table_sql` runs the person-level steps of `Journeys.from_events`
(duplicates, times, splitting at conversions, observation end, lookback, maximum length;
see `attribution_lab.events` for the rules) as one SQL query on DuckDB, over CSV or
Parquet files (globs allowed) or a DataFrame, or on Apache Spark over a Spark DataFrame.
The engine streams and spills to disk, so only the aggregated path table, one row per
distinct path, comes back to Python. The result equals
``events_to_journeys(...)[0].aggregate().to_path_table()`` on the same events (the
tests check this).

Identity stitching, B2B accounts, milestones and UTM channel rules stay in memory: map
channels and persons first (e.g. with DuckDB itself), then aggregate here.

The code lives in the events package, beside the in-memory steps it shares its
definitions with; this module is its public home.

The Google Analytics 4 BigQuery export has its own entry points: `ga4_path_table_sql`
runs `attribution_lab.readers.read_ga4_export`'s steps on DuckDB over the export files,
and `ga4_bigquery_sql` writes them as one query to run in BigQuery yourself.

Both engines are optional: ``pip install "attribution-lab[duckdb]"`` or ``[spark]``
(Spark also needs a Java runtime).
"""

from __future__ import annotations

from .events._sql import SQLPathTable, events_to_path_table_sql
from .readers._ga4_sql import ga4_bigquery_sql, ga4_path_table_sql

__all__ = ["SQLPathTable", "events_to_path_table_sql", "ga4_bigquery_sql", "ga4_path_table_sql"]
