"""The GA4 reader's steps in SQL: DuckDB over the export files, and the BigQuery text."""

from __future__ import annotations

import os
import re
import sys

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, os.path.dirname(__file__))
from ga4_export import random_export, write_export

from attribution_lab.cli import main
from attribution_lab.readers import read_ga4_export
from attribution_lab.sql import ga4_bigquery_sql, ga4_path_table_sql

duckdb = pytest.importorskip("duckdb")
pytestmark = pytest.mark.filterwarnings("ignore:.*no event named:UserWarning")


def same_table(a, b):
    a = a.sort_values("path").reset_index(drop=True)
    b = b.sort_values("path").reset_index(drop=True)
    assert a["path"].tolist() == b["path"].tolist()
    for col in ("total_conversions", "total_null", "total_conversion_value"):
        np.testing.assert_allclose(a[col].astype(float), b[col].astype(float), rtol=1e-12)


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("fmt", ["json", "parquet"])
def test_duckdb_path_equals_the_python_reader(tmp_path, seed, fmt):
    rows = random_export(seed)
    folder = tmp_path / fmt
    write_export(rows, folder, fmt=fmt)
    for options in (
        {},
        {"lookback": 0.7, "max_length": 2},
        {"user_id": False},
        {"sources": ["event_params", "collected"], "drop_unassigned": True},
    ):
        j, report = read_ga4_export(folder, return_report=True, **options)
        res = ga4_path_table_sql(folder, **options)
        same_table(res.table, j.aggregate().to_path_table())
        c = res.counts
        assert c["ga4_rows"] == report.n_rows == len(rows)
        assert c["sessions"] == report.n_sessions
        assert c["duplicate_transactions"] == report.duplicate_transactions
        assert c["events_without_session"] == report.events_without_session
        assert c["n_journeys"] == report.events.n_journeys
        assert c["outside_lookback"] == report.events.outside_lookback
        assert c["beyond_max_length"] == report.events.beyond_max_length


@pytest.mark.parametrize("seed", range(3))
def test_the_duckdb_rendering_of_the_query_equals_the_python_reader(tmp_path, seed):
    rows = random_export(seed)
    write_export(rows, tmp_path)
    source = f"read_json('{tmp_path}/events_*.json', format = 'newline_delimited')"
    for options in ({}, {"lookback": 0.7, "max_length": 3}, {"conversion_events": "page_view"}):
        sql = ga4_bigquery_sql(source, dialect="duckdb", **options)
        got = duckdb.connect().execute(sql).df()
        same_table(got, read_ga4_export(tmp_path, **options).aggregate().to_path_table())


def test_the_bigquery_text_is_parameterised():
    sql = ga4_bigquery_sql(
        "shop.analytics_42.events_*",
        start_date="2024-01-01",
        end_date="20240131",
        conversion_events=["purchase", "generate_lead"],
        lookback=30,
        max_length=8,
    )
    assert "FROM `shop.analytics_42.events_*`" in sql
    assert "_TABLE_SUFFIX BETWEEN '20240101' AND '20240131'" in sql
    assert "IN ('purchase', 'generate_lead')" in sql
    assert "> 30.0" in sql and "from_end <= 8" in sql
    assert "UNNEST(event_params)" in sql and "REGEXP_CONTAINS(" in sql
    # nothing of DuckDB's dialect is left
    for duck in ("list_filter", "regexp_full_match", "TRY_CAST", " AS DOUBLE)", " AS VARCHAR)"):
        assert duck not in sql
    assert not re.search(r'"\w+"', sql)
    # every channel of the rules, and only the records of the levels asked for
    for name in ("Paid Search", "Organic Social", "Direct", "Unassigned"):
        assert f"'{name}'" in sql
    only = ga4_bigquery_sql("p.d.events_*", sources=["event_params"])
    assert "collected_traffic_source" not in only
    assert "session_traffic_source_last_click" not in only
    rules = pd.DataFrame({"channel": ["Mail"], "medium": ["e-?mail"]})
    custom = ga4_bigquery_sql("p.d.events_*", rules=rules)
    assert "'(?i)^(?:e-?mail)$'" in custom and "'Paid Search'" not in custom
    assert ga4_bigquery_sql("p.d.events_*", user_id=False).count("ga4_ids") == 0


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"dialect": "spark"}, "dialect must be one of"),
        ({"start_date": "2024-13"}, "start_date must be a date"),
        ({"table": "p.d.events_20240101", "start_date": "20240101"}, "need a wildcard table"),
        ({"table": "x; DROP TABLE y"}, "table must be project.dataset.events_"),
        ({"lookback": -1}, "lookback must be a positive number"),
        ({"max_length": 0}, "max_length must be a positive integer"),
        ({"sources": ["utm"]}, "sources must be distinct names"),
    ],
)
def test_bigquery_sql_refuses_what_cannot_act(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ga4_bigquery_sql(**kwargs)


def test_duckdb_bad_input(tmp_path):
    (tmp_path / "other.json").write_text('{"a": 1}\n')
    with pytest.raises(ValueError, match=r"other\.json: not a GA4 BigQuery export: no column"):
        ga4_path_table_sql(tmp_path / "other.json")
    with pytest.raises(ValueError, match=r"no file matches"):
        ga4_path_table_sql(str(tmp_path / "events_*.parquet"))


def test_cli_duckdb_engine(tmp_path, capsys):
    rows = random_export(4)
    write_export(rows, tmp_path / "x")
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    assert main(["ga4", str(tmp_path / "x" / "events_*.json"), "--out", str(a)]) == 0
    assert main(["ga4", str(tmp_path / "x"), "--engine", "duckdb", "--out", str(b)]) == 0
    assert "duckdb (ga4)" in capsys.readouterr().out
    same_table(pd.read_csv(a), pd.read_csv(b))
