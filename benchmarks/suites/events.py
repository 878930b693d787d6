"""events: event logs to journeys, ``Journeys.from_events`` in memory and DuckDB out of core.

In memory (``task = from_events``; ``--modes``, ``--sizes`` default 1e6, 1e7 events): a
synthetic web / CRM log from ``benchmarks._data.event_log`` (about 10 events per user,
times over a year, 8 channels, 5% conversions with a value, 2% exact duplicates, shuffled),
in one of three modes (``scenario``):

- ``channel``: a categorical channel column, no lookback, no maximum length;
- ``utm+lookback``: ``utm_source`` / ``utm_medium`` strings grouped by the default
  GA4-style rule table, a 30-day lookback and at most 20 touches per journey;
- ``stitched``: like ``channel``, the user found by ``stitch_identities`` over a cookie
  per event and an email on 20% of events.

Every (size, mode) runs in a fresh process (``python -m benchmarks events --worker``):
the log is generated (not timed), a warm-up runs on 2,000 events, then
``Journeys.from_events(..., return_report=True)`` is timed ``--repeats`` times (default
2; ``wall_s`` the median, ``min_s`` the fastest, ``cpu_s`` user + system CPU, peak RSS
with the mark reset, which includes the resident log; ``rss_increment_mb`` its rise).

Out of core (``task = sql``; ``--sql-sizes``, default 1e6, 1e7, 1e8 events, ``--sql-sizes
0`` skips it; needs the ``sql`` extra): ``benchmarks._data.duckdb_event_file`` writes a CSV
with DuckDB itself (users over 90 days, ``--events-per-user`` 10, 8 channels, 3%
conversions with revenue); ``events_to_path_table_sql`` aggregates it under
``--memory-limit`` (default 6GB) with a 30-day lookback, in a fresh process with its peak
memory (model ``duckdb``). Up to ``--check-max`` events (1e7), ``pandas.read_csv`` +
``events_to_journeys`` + ``aggregate`` does the same in another fresh process (model
``pandas``), and ``tables_equal`` says whether the two path tables agree row by row.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks._harness import (
    SuiteRun,
    call_worker,
    fmt,
    fmt_n,
    loadavg,
    md_table,
    measure_once,
    package_digest,
    suite_worker_cmd,
    tqdm,
)

TITLE = "Events: event logs to journeys, in memory and on DuckDB"
DEFAULT_SIZES = (1_000_000, 10_000_000)
QUICK_SIZES = (50_000,)
SQL_SIZES = (1_000_000, 10_000_000, 100_000_000)
QUICK_SQL_SIZES = (50_000,)
SQL_KW = dict(
    user="user_id", time="time", channel="channel", conversion="converted", value="revenue"
)


def add_arguments(p) -> None:
    from benchmarks._harness import int_list

    p.add_argument("--modes", default=None, help="channel,utm+lookback,stitched")
    p.add_argument("--repeats", type=int, default=None, help="timed calls per cell (2)")
    p.add_argument("--sql-sizes", type=int_list, default=None, help="DuckDB: 1e6,1e7,1e8")
    p.add_argument("--events-per-user", type=float, default=10.0)
    p.add_argument("--memory-limit", default="6GB", help="DuckDB memory limit")
    p.add_argument("--check-max", type=float, default=1e7, help="largest size run in pandas")


def configure(args) -> None:
    q = args.quick
    args.sizes = args.sizes or list(QUICK_SIZES if q else DEFAULT_SIZES)
    args.seeds = args.seeds or [0]
    args.modes = (args.modes or ("stitched" if q else "channel,utm+lookback,stitched")).split(",")
    args.repeats = args.repeats or (1 if q else 2)
    if args.sql_sizes is None:
        args.sql_sizes = list(QUICK_SQL_SIZES if q else SQL_SIZES)
    args.sql_sizes = [n for n in args.sql_sizes if n > 0]


# ============================================================================ workers
def _from_events(frame, mode: str):
    from attribution_lab import Journeys

    common = dict(conversion="conv", value="value", return_report=True)
    if mode == "channel":
        return Journeys.from_events(frame, "user", "time", "channel", **common)
    if mode == "stitched":
        return Journeys.from_events(frame, ["cookie", "email"], "time", "channel", **common)
    return Journeys.from_events(
        frame, "user", "time", source="utm_source", medium="utm_medium", lookback=30,
        max_length=20, **common,
    )  # fmt: skip


def _aggregate(spec: dict[str, Any]):
    import pandas as pd

    kw = SQL_KW
    if spec["engine"] == "duckdb":
        from attribution_lab.sql import events_to_path_table_sql

        res = events_to_path_table_sql(
            spec["path"], **kw, lookback=30, memory_limit=spec["memory_limit"]
        )
        return res.table, res.counts
    from attribution_lab.events import events_to_journeys

    journeys, report = events_to_journeys(pd.read_csv(spec["path"]), **kw, lookback=30)
    table = journeys.aggregate().to_path_table().sort_values("path").reset_index(drop=True)
    return table, report.to_dict()


def run_worker(spec: dict[str, Any]) -> dict[str, Any]:
    """One cell in this fresh process: from_events timed `repeats` times, or one engine."""
    if spec["task"] == "sql":
        m = measure_once(lambda: _aggregate(spec))
        table, counts = m.pop("out")
        table.to_parquet(spec["table_out"])
        return {**m, "paths": len(table), "journeys": int(counts["n_journeys"])}
    from benchmarks._data import event_log

    _from_events(event_log(2_000, 0, spec["mode"]), spec["mode"])
    frame = event_log(spec["n"], spec["seed"], spec["mode"])
    rows = []
    for _ in range(spec["repeats"]):
        load = loadavg()
        m = measure_once(lambda: _from_events(frame, spec["mode"]))
        journeys, report = m.pop("out")
        rows.append(
            {
                **m,
                "load_1min": load[0] if load else None,
                "journeys": journeys.n_journeys,
                "n_touchpoints": journeys.n_touchpoints,
                "duplicates": report.duplicates,
                "dropped": json.dumps(report.dropped),
            }
        )
    return {"rows": rows, "package_digest": package_digest()}


# ============================================================================ suite
def run(sr: SuiteRun, args) -> None:
    cmd, env = suite_worker_cmd("events")
    seed = args.seeds[0]
    for n in tqdm(iterable=args.sizes, desc="from_events", disable=args.no_progress):
        for mode in args.modes:
            spec = {"task": "from_events", "n": n, "mode": mode, "seed": seed}
            res = call_worker(cmd, {**spec, "repeats": args.repeats}, env=env)
            row = {"task": "from_events", "scenario": mode, "model": "Journeys.from_events"}
            row.update(n_events=n, seed=seed, params="return_report=True")
            if "error" in res:
                sr.error(res["error"], **row)
                continue
            rs = res["rows"]
            wall = [r["wall_s"] for r in rs]
            sr.add(
                **row,
                n_journeys=rs[0]["journeys"],
                n_channels=8,
                wall_s=float(np.median(wall)),
                min_s=min(wall),
                cpu_s=float(np.median([r["cpu_user_s"] + r["cpu_sys_s"] for r in rs])),
                peak_mem_mb=max(r["peak_mb"] for r in rs),
                rss_increment_mb=max(r["rss_increment_mb"] for r in rs),
                events_per_s=n / min(wall),
                load_1min=max(r["load_1min"] or 0 for r in rs),
                background_load=res.get("background_load"),
                **{k: rs[0][k] for k in ("n_touchpoints", "duplicates", "dropped")},
                package_digest=res["package_digest"],
            )
    if args.sql_sizes:
        _sql(sr, args, cmd, env)


def _sql(sr: SuiteRun, args, cmd, env) -> None:
    import duckdb
    import pandas as pd

    from benchmarks._data import duckdb_event_file

    sr.machine["peer_duckdb"] = duckdb.__version__
    work = Path(tempfile.mkdtemp(prefix="bench_events_sql_"))
    try:
        for n in tqdm(iterable=args.sql_sizes, desc="sql", disable=args.no_progress):
            path = work / f"events_{n}.csv"
            duckdb_event_file(path, n, max(1, int(n / args.events_per_user)))
            base = {"task": "sql", "scenario": "duckdb file", "n_events": n, "n_channels": 8}
            base["file_mb"] = path.stat().st_size / 2**20
            engines = ["duckdb"] + (["pandas"] if n <= args.check_max else [])
            tables = {}
            for engine in engines:
                spec = {"task": "sql", "engine": engine, "path": str(path)}
                spec.update(memory_limit=args.memory_limit, table_out=str(work / f"{engine}.pq"))
                res = call_worker(cmd, spec, env=env)
                params = (
                    f"memory_limit={args.memory_limit}, lookback=30"
                    if engine == "duckdb"
                    else "read_csv + events_to_journeys, lookback=30"
                )
                row = {**base, "model": engine, "params": params}
                if "error" in res:
                    sr.error(res["error"], **row)
                    continue
                tables[engine] = pd.read_parquet(spec["table_out"])
                sr.add(
                    **row,
                    n_journeys=res["journeys"],
                    wall_s=res["wall_s"],
                    peak_mem_mb=res["peak_mb"],
                    events_per_s=n / res["wall_s"],
                    paths=res["paths"],
                    background_load=res.get("background_load"),
                )
            if len(tables) == 2:
                a, b = tables["duckdb"], tables["pandas"]
                sr.rows[-1]["tables_equal"] = bool(
                    a["path"].tolist() == b["path"].tolist()
                    and all(
                        (a[c].astype(float) - b[c].astype(float)).abs().max() < 1e-6
                        for c in ("total_conversions", "total_conversion_value", "total_null")
                    )
                )
            path.unlink()
    finally:
        shutil.rmtree(work, ignore_errors=True)


# ============================================================================ outputs
def body(frame) -> list[str]:
    ok = frame[frame.status == "ok"]
    if ok.empty:
        return ["Nothing measured."]
    lines = []
    fe = ok[ok.task == "from_events"]
    if not fe.empty:
        cols = ["n_events", "scenario", "wall_s", "min_s", "cpu_s", "rss_increment_mb"]
        cols += ["load_1min", "n_journeys", "n_touchpoints", "events_per_s"]
        lines += [
            "## Journeys.from_events (in memory)",
            "",
            *md_table(fe[cols].rename(columns={"scenario": "mode"}), index=False),
            "",
            "Peak RSS is the rise above the resident size before the call (the log itself is"
            " already resident). A 1-minute load average above the core count means other"
            " processes shared the machine and the wall times are inflated; `cpu_s` (user +"
            " system CPU seconds of the call) is less affected.",
            "",
            f"Fastest: {fmt(fe['events_per_s'].max() / 1e6)} million events per second.",
        ]
    sql = ok[ok.task == "sql"]
    if not sql.empty:
        t = sql.pivot_table(index="n_events", columns="model", values=["wall_s", "peak_mem_mb"])
        t.columns = [f"{m} {'s' if v == 'wall_s' else 'peak MB'}" for v, m in t.columns]
        first = sql.drop_duplicates("n_events").set_index("n_events")
        t["file MB"] = first["file_mb"]
        t["journeys"] = first["n_journeys"]
        t["distinct paths"] = first["paths"]
        if "tables_equal" in sql:
            t["same table"] = (
                sql.groupby("n_events")
                .tables_equal.last()
                .map(lambda v: "not run" if v != v else str(bool(v)))
            )
        t.index = [fmt_n(n) for n in t.index]
        t.index.name = "events"
        lines += [
            "",
            "## Event files to path tables: DuckDB against pandas + events_to_journeys",
            "",
            "Each engine in a fresh process; peak = the process's peak resident memory during "
            "the aggregation.",
            "",
            *md_table(t),
        ]
    return lines


PLOTS: dict[str, Any] = {}
