"""Events to path tables on DuckDB (and Spark when available) equal the in-memory path."""

from __future__ import annotations

import os
import shutil

import numpy as np
import pandas as pd
import pytest

from attribution_lab.events import events_to_journeys
from attribution_lab.sql import events_to_path_table_sql

duckdb = pytest.importorskip("duckdb")


def random_events(n, seed, datetimes=False):
    """An event log with every complication: ties, missing fields, duplicates, blanks."""
    rng = np.random.default_rng(seed)
    users = rng.integers(0, max(2, n // 8), n).astype(object)
    users[rng.random(n) < 0.02] = None
    t = np.round(rng.uniform(0, 60, n) * 4) / 4  # quarter days: plenty of ties
    times = t.astype(object)
    times[rng.random(n) < 0.02] = None
    channels = rng.choice(
        ["search", "email", " display ", "social", "", None],
        n,
        p=[0.3, 0.25, 0.2, 0.15, 0.05, 0.05],
    ).astype(object)
    conv = rng.random(n) < 0.15
    value = np.where(conv, np.round(rng.uniform(0, 100, n), 2), 0.0)
    frame = pd.DataFrame(
        {"user": users, "time": times, "channel": channels, "bought": conv, "revenue": value}
    )
    if datetimes:
        base = pd.Timestamp("2026-01-01")
        frame["time"] = [
            None if v is None else (base + pd.Timedelta(days=float(v))).isoformat() for v in times
        ]
    else:
        frame["time"] = pd.to_numeric(frame["time"])
    dup = frame.sample(frac=0.05, random_state=seed)
    frame = pd.concat([frame, dup]).sample(frac=1.0, random_state=seed + 1)  # unsorted
    return frame.reset_index(drop=True)


def in_memory(frame, **kw):
    journeys, report = events_to_journeys(frame, **kw)
    table = journeys.aggregate().to_path_table().sort_values("path").reset_index(drop=True)
    return table, report


def assert_same(sql, table, report):
    got = sql.table
    assert got["path"].tolist() == table["path"].tolist()
    for col in ("total_conversions", "total_conversion_value", "total_null"):
        np.testing.assert_allclose(got[col].to_numpy(float), table[col].to_numpy(float))
    # every count the SQL path gives equals the in-memory one, and every reason the
    # in-memory path dropped something for is counted there too
    expected = report.to_dict()
    for name, n in sql.counts.items():
        assert n == pytest.approx(expected[name], rel=1e-12), name  # sums of values
    missed = {k for k, v in expected.items() if v and k != "observation_end"} - set(sql.counts)
    assert not missed
    assert sql.observation_end == pytest.approx(report.observation_end)


OPTIONS = [
    {},
    {"lookback": 10.0},
    {"max_length": 3},
    {"observation_end": 40.0, "lookback": 20.0, "max_length": 4},
    {"conversion_is_touch": True},
]
BASE = dict(user="user", time="time", channel="channel", conversion="bought", value="revenue")


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
@pytest.mark.parametrize("options", OPTIONS)
def test_duckdb_equals_in_memory_on_a_dataframe(seed, options):
    frame = random_events(400, seed)
    table, report = in_memory(frame, **BASE, **options)
    assert_same(events_to_path_table_sql(frame, **BASE, **options), table, report)


@pytest.mark.parametrize("fmt", ["csv", "parquet", "csv.gz"])
def test_duckdb_reads_files_in_their_row_order(tmp_path, fmt):
    # large enough that DuckDB scans it in parallel; ties are broken by file row order
    frame = random_events(60_000, 7)
    path = tmp_path / f"events.{fmt}"
    if fmt == "parquet":
        frame.to_parquet(path, row_group_size=5_000)
    else:
        frame.to_csv(path, index=False)
    back = pd.read_parquet(path) if fmt == "parquet" else pd.read_csv(path)
    table, report = in_memory(back, **BASE, max_length=5)
    assert_same(events_to_path_table_sql(path, **BASE, max_length=5), table, report)


def test_duckdb_datetime_strings_and_a_glob(tmp_path):
    frame = random_events(2_000, 11, datetimes=True)
    half = len(frame) // 2
    (tmp_path / "ev").mkdir()
    frame.iloc[:half].to_csv(tmp_path / "ev" / "a.csv", index=False)
    frame.iloc[half:].to_csv(tmp_path / "ev" / "b.csv", index=False)
    table, report = in_memory(frame, **BASE, lookback=pd.Timedelta(days=14))
    sql = events_to_path_table_sql(str(tmp_path / "ev" / "*.csv"), **BASE, lookback=14)
    assert_same(sql, table, report)
    assert sql.to_journeys().n_conversions == table.total_conversions.sum()


def test_conversion_events_column():
    frame = random_events(500, 5)
    frame["event"] = np.where(frame.bought, "purchase", "visit")
    kw = dict(
        user="user",
        time="time",
        channel="channel",
        conversion="event",
        conversion_events={"purchase"},
        value="revenue",
    )
    table, report = in_memory(frame, **kw)
    assert_same(events_to_path_table_sql(frame, **kw), table, report)


def test_bad_input(tmp_path):
    frame = random_events(50, 0)
    with pytest.raises(ValueError, match=r"no column 'chanel'; did you mean 'channel'\?"):
        events_to_path_table_sql(frame, user="user", time="time", channel="chanel")
    bad = frame.assign(time=frame.time.astype(object))
    bad["time"] = "2026-01-01"
    bad.loc[7, "time"] = "yesterday"
    with pytest.raises(ValueError, match=r"row 7, column 'time': cannot parse 'yesterday'"):
        events_to_path_table_sql(bad, user="user", time="time", channel="channel")
    neg = frame.copy()
    i = int(np.flatnonzero(neg.bought & neg.user.notna() & neg.time.notna())[0])
    neg.loc[i, "revenue"] = -5.0
    with pytest.raises(ValueError, match=rf"row {i}, column 'revenue': conversion value '-5.0'"):
        events_to_path_table_sql(neg, **BASE)
    with pytest.raises(ValueError, match=r"give a \.csv"):
        events_to_path_table_sql(tmp_path / "events.json", **BASE)
    with pytest.raises(ValueError, match="engine must be"):
        events_to_path_table_sql(frame, **BASE, engine="sqlite")
    with pytest.raises(ValueError, match="max_length"):
        events_to_path_table_sql(frame, **BASE, max_length=0)


def _spark_or_skip():
    pyspark = pytest.importorskip("pyspark", reason="pyspark is not installed (extra 'spark')")
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        pytest.skip("Spark needs a Java runtime; none found on PATH or in JAVA_HOME")
    from pyspark.sql import SparkSession

    return pyspark, (
        SparkSession.builder.master("local[2]")
        .appName("attribution_lab tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .getOrCreate()
    )


@pytest.mark.slow
def test_spark_equals_in_memory(tmp_path):
    _, spark = _spark_or_skip()
    frame = random_events(1_000, 21)
    path = tmp_path / "events.parquet"
    frame.to_parquet(path)
    for options in (OPTIONS[0], OPTIONS[3]):
        table, report = in_memory(frame, **BASE, **options)
        sql = events_to_path_table_sql(str(path), **BASE, **options, engine="spark", spark=spark)
        assert_same(sql, table, report)
    neg = frame.assign(revenue=np.where(frame.bought, -1.0, 0.0))
    with pytest.raises(ValueError, match="conversion value missing, negative"):
        events_to_path_table_sql(neg, **BASE, engine="spark", spark=spark)


def test_time_units_and_epoch_times():
    frame = random_events(400, 4)
    table, report = in_memory(frame, **BASE, lookback=10.0)
    # the same log in epoch seconds from 2026-01-01, and in hours
    for unit, per_day in (("s", 86_400.0), ("hours", 24.0)):
        shifted = frame.assign(time=(frame.time + 20_454.0) * per_day)
        sql = events_to_path_table_sql(shifted, **BASE, lookback=10.0, time_unit=unit)
        got, rep = in_memory(shifted, **BASE, lookback=10.0, time_unit=unit)
        assert_same(sql, got, rep)
        assert sql.table["path"].tolist() == table["path"].tolist()
        assert sql.observation_end == pytest.approx(report.observation_end + 20_454.0)
    epoch = frame.assign(time=(frame.time + 20_454.0) * 86_400.0)
    i = int(np.flatnonzero(epoch.time.notna())[0])
    with pytest.raises(
        ValueError,
        match=rf"^events: row {i}, column 'time': \S+ is not a time in days .*Unix epoch"
        r" seconds: pass time_unit='s'$",
    ):
        events_to_path_table_sql(epoch, **BASE)
    dated = random_events(50, 4, datetimes=True)
    with pytest.raises(
        ValueError, match=r"column 'time' holds datetimes or date strings: time_unit"
    ):
        events_to_path_table_sql(dated, **BASE, time_unit="s")
    with pytest.raises(ValueError, match=r"time_unit must be one of"):
        events_to_path_table_sql(frame, **BASE, time_unit="sec")


def test_empty_logs_ties_and_the_value_without_touches(tmp_path):
    with pytest.raises(ValueError, match=r"events: no events"):
        events_to_path_table_sql(random_events(50, 0).iloc[:0], **BASE)
    frame = pd.DataFrame(
        {
            "user": ["u", "u", "u", "v", "v"],
            "time": [1.0, 1.0, 2.0, 1.0, 3.0],
            "channel": ["a", "b", None, None, "c"],
            "bought": [False, False, True, True, False],
            "revenue": [0.0, 0.0, 10.0, 7.5, 0.0],
        }
    )
    sql = events_to_path_table_sql(frame, **BASE)
    assert sql.counts["tied_times"] == 1
    assert sql.counts["conversions_without_touches"] == 1
    assert sql.counts["value_without_touches"] == 7.5
    assert str(sql).endswith("dropped: conversions_without_touches 1 (value 7.5); tied_times 1")
    assert_same(sql, *in_memory(frame, **BASE))
