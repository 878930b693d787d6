"""ga4: the GA4 BigQuery export reader against the time it takes pyarrow to read the files.

One export per size (``--sizes``, default 1e5, 1e6 events; ``--quick`` 1e4), drawn by
``tests/readers/ga4_export.random_export_table`` (users with 1-4 sessions over 7 days,
every source level, direct sessions, purchases and transactions exported twice, shared
user_ids; see its docstring) and written as 7 daily ``events_YYYYMMDD`` files twice:
newline-delimited JSON as BigQuery writes it (INT64 as strings) and Parquet. Generating
and writing are not timed.

Every (size, format, model) runs in a fresh process (``python -m benchmarks ga4
--worker``): a warm-up on a 2,000-event export of the same format, then ``--repeats``
timed calls (default 2; ``wall_s`` the median, ``min_s`` the fastest, ``cpu_s`` user +
system CPU seconds of the median call, ``rss_increment_mb`` the peak RSS above the
process's size before the call). Models:

- ``pyarrow read (floor)``: the files alone, ``pyarrow.json.read_json`` with the schema
  the reader gives it (JSON), ``pyarrow.parquet.read_table`` of every column (Parquet);
- ``read_ga4_export``: the Python reader, files to `Journeys` and its report;
- ``read_ga4_export (before)``: the reader of commit ``--before`` (the per-row version),
  up to ``--before-max`` events (1e5);
- ``ga4_path_table_sql (duckdb)``: the same steps on DuckDB, files to the path table
  (needs the ``sql`` extra).

``x floor`` is a model's fastest wall time over the floor's fastest wall time in the same
run (``x floor cpu`` the same with CPU seconds, which other processes disturb less: the
pyarrow readers use threads, so CPU can exceed wall). ``same table`` says whether the
Python reader's path table equals DuckDB's, path by path.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks._harness import (
    REPO,
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

TITLE = "GA4: the export reader against pyarrow's read of the same files"
DEFAULT_SIZES = (100_000, 1_000_000)
QUICK_SIZES = (10_000,)
FORMATS = ("json", "parquet")
MODELS = ("floor", "python", "before", "duckdb")
NAMES = {
    "floor": "pyarrow read (floor)",
    "python": "read_ga4_export",
    "before": "read_ga4_export (before)",
    "duckdb": "ga4_path_table_sql (duckdb)",
}
BEFORE = "94454fd"  # the last commit with the per-row reader
WARMUP_EVENTS = 2_000


def add_arguments(p) -> None:
    p.add_argument("--repeats", type=int, default=None, help="timed calls per cell (2)")
    p.add_argument("--models", default=None, help="floor,python,before,duckdb")
    p.add_argument("--before", default=BEFORE, help="commit of the reader to compare with")
    p.add_argument("--before-max", type=float, default=1e5, help="largest size for 'before'")


def configure(args) -> None:
    q = args.quick
    args.sizes = args.sizes or list(QUICK_SIZES if q else DEFAULT_SIZES)
    args.seeds = args.seeds or [0]
    args.repeats = args.repeats or (1 if q else 2)
    args.models = (args.models or ("floor,python,duckdb" if q else ",".join(MODELS))).split(",")


def _generator():
    """``tests/readers/ga4_export.py`` (the tests' export generator) as a module."""
    path = REPO / "tests" / "readers" / "ga4_export.py"
    spec = importlib.util.spec_from_file_location("ga4_export", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ============================================================================ workers
def _floor(folder: str, fmt_: str):
    import pyarrow as pa

    from attribution_lab.readers.ga4 import _json_schema, export_files

    files = export_files(folder)
    if fmt_ == "parquet":
        import pyarrow.parquet as pq

        return sum(pq.read_table(f).num_rows for f in files)
    import pyarrow.json as pj

    opts = pj.ParseOptions(
        explicit_schema=_json_schema(pa, pa.string()), unexpected_field_behavior="ignore"
    )
    return sum(pj.read_json(f, parse_options=opts).num_rows for f in files)


def _before(path: str):
    spec = importlib.util.spec_from_file_location("ga4_before", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["ga4_before"] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module.read_ga4_export


def _call(spec: dict[str, Any], folder: str):
    model = spec["model"]
    if model == "floor":
        return _floor(folder, spec["format"])
    if model == "duckdb":
        from attribution_lab.sql import ga4_path_table_sql

        return ga4_path_table_sql(folder)
    if model == "before":
        return _before(spec["before_path"])(folder, return_report=True)
    from attribution_lab.readers import read_ga4_export

    return read_ga4_export(folder, return_report=True)


def run_worker(spec: dict[str, Any]) -> dict[str, Any]:
    """One cell in this fresh process: a warm-up, then `repeats` timed calls."""
    import warnings

    warnings.simplefilter("ignore")
    _call(spec, spec["warmup"])
    rows = []
    out = None
    for _ in range(spec["repeats"]):
        load = loadavg()
        m = measure_once(lambda: _call(spec, spec["folder"]))
        out = m.pop("out")
        rows.append({**m, "load_1min": load[0] if load else None})
    extra: dict[str, Any] = {}
    if spec["model"] == "python":
        journeys, report = out
        table = journeys.aggregate().to_path_table()
        table.to_parquet(spec["table_out"])
        extra = {"n_rows": report.n_rows, "n_sessions": report.n_sessions,
                 "n_journeys": journeys.n_journeys, "paths": len(table)}  # fmt: skip
    elif spec["model"] == "duckdb":
        out.table.to_parquet(spec["table_out"])
        extra = {"n_rows": out.counts["ga4_rows"], "n_journeys": out.counts["n_journeys"]}
        extra["paths"] = len(out.table)
    elif spec["model"] == "before":
        extra = {"n_rows": out[1].n_rows, "n_journeys": out[0].n_journeys}
    return {"rows": rows, **extra, "package_digest": package_digest()}


# ============================================================================ suite
def _write_before(commit: str, work: Path) -> str:
    """The reader of `commit` as a file importable on its own (imports made absolute)."""
    text = subprocess.run(
        ["git", "show", f"{commit}:attribution_lab/readers/ga4.py"],
        cwd=REPO, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    for sub in ("_io", "_validation", "events"):
        text = text.replace(f"from ..{sub} ", f"from attribution_lab.{sub} ")
    path = work / "ga4_before.py"
    path.write_text(text)
    return str(path)


def run(sr: SuiteRun, args) -> None:
    import pandas as pd
    import pyarrow as pa

    gen = _generator()
    cmd, env = suite_worker_cmd("ga4")
    seed = args.seeds[0]
    sr.machine["peer_pyarrow"] = pa.__version__
    models = [m for m in MODELS if m in args.models]
    if "duckdb" in models:
        try:
            import duckdb

            sr.machine["peer_duckdb"] = duckdb.__version__
        except ImportError:
            sr.notes.append("duckdb is not installed (the sql extra): its cells are skipped")
            models.remove("duckdb")
    work = Path(tempfile.mkdtemp(prefix="bench_ga4_"))
    try:
        before_path = _write_before(args.before, work) if "before" in models else None
        warm = gen.random_export_table(WARMUP_EVENTS, seed)
        for f in FORMATS:
            gen.write_export_table(warm, str(work / f"warmup_{f}"), fmt=f)
        for n in tqdm(iterable=args.sizes, desc="ga4", disable=args.no_progress):
            table = gen.random_export_table(n, seed)
            for f in FORMATS:
                folder = work / f"{n}_{f}"
                gen.write_export_table(table, str(folder), fmt=f)
                mb = sum(p.stat().st_size for p in folder.iterdir()) / 2**20
                tables = {}
                for model in models:
                    row = {"task": "read", "scenario": f, "model": NAMES[model], "n_events": n}
                    row.update(seed=seed, file_mb=mb, n_files=len(list(folder.iterdir())))
                    if model == "before" and n > args.before_max:
                        sr.skip(f"--before-max {args.before_max:g} events", **row)
                        continue
                    spec = {"model": model, "format": f, "folder": str(folder)}
                    spec.update(warmup=str(work / f"warmup_{f}"), repeats=args.repeats)
                    spec.update(before_path=before_path, table_out=str(work / f"{model}.pq"))
                    res = call_worker(cmd, spec, env=env)
                    if "error" in res:
                        sr.error(res["error"].strip().splitlines()[-1][:300], **row)
                        continue
                    rs = res["rows"]
                    wall = [r["wall_s"] for r in rs]
                    mid = int(np.argsort(wall)[len(wall) // 2])
                    if model in ("python", "duckdb"):
                        tables[model] = pd.read_parquet(spec["table_out"])
                    sr.add(
                        **row,
                        wall_s=float(np.median(wall)),
                        min_s=min(wall),
                        cpu_s=rs[mid]["cpu_user_s"] + rs[mid]["cpu_sys_s"],
                        min_cpu_s=min(r["cpu_user_s"] + r["cpu_sys_s"] for r in rs),
                        peak_mem_mb=max(r["peak_mb"] for r in rs),
                        rss_increment_mb=max(r["rss_increment_mb"] for r in rs),
                        events_per_s=n / min(wall),
                        load_1min=max(r["load_1min"] or 0 for r in rs),
                        background_load=res.get("background_load"),
                        n_journeys=res.get("n_journeys"),
                        paths=res.get("paths"),
                        package_digest=res["package_digest"],
                    )
                if len(tables) == 2:
                    a, b = (t.sort_values("path").reset_index(drop=True) for t in tables.values())
                    same = a["path"].tolist() == b["path"].tolist() and all(
                        np.allclose(a[c].astype(float), b[c].astype(float), rtol=1e-9)
                        for c in ("total_conversions", "total_conversion_value", "total_null")
                    )
                    for r in sr.rows[-len(models) :]:
                        r["same_table"] = bool(same)
                shutil.rmtree(folder, ignore_errors=True)
            del table
    finally:
        shutil.rmtree(work, ignore_errors=True)


# ============================================================================ outputs
def body(frame) -> list[str]:
    ok = frame[frame.status == "ok"].copy()
    if ok.empty:
        return ["Nothing measured."]
    floor = ok[ok.model == NAMES["floor"]].set_index(["n_events", "scenario"])
    key = list(zip(ok.n_events, ok.scenario, strict=True))
    if not floor.empty:
        for col, base in (("x_floor", "min_s"), ("x_floor_cpu", "min_cpu_s")):
            ok[col] = [m / floor[base].get(k, np.nan) for m, k in zip(ok[base], key, strict=True)]
    ok["events"] = ok.n_events.map(fmt_n)
    cols = ["events", "scenario", "model", "wall_s", "min_s", "cpu_s", "x_floor", "x_floor_cpu"]
    cols += ["events_per_s", "rss_increment_mb", "load_1min", "file_mb"]
    if "same_table" in ok:
        cols.append("same_table")
    cols = [c for c in cols if c in ok]
    t = ok[cols].rename(columns={"scenario": "format", "x_floor": "x floor"})
    t = t.rename(columns={"x_floor_cpu": "x floor cpu", "same_table": "same table"})
    lines = [
        "## Export files to journeys, against the pyarrow read of the same files",
        "",
        *md_table(t, index=False),
        "",
        "`x floor`: fastest wall time over the pyarrow read's fastest, in the same run;"
        " `x floor cpu`: the same with CPU seconds. The Python reader reads only the"
        " columns it uses from Parquet, the floor every column. A 1-minute load above the"
        " core count means other processes shared the machine (wall times inflated; CPU"
        " times less so).",
    ]
    py = ok[ok.model == NAMES["python"]]
    if not py.empty:
        best = py.loc[py.events_per_s.idxmax()]
        lines += [
            "",
            f"Fastest Python reader: {fmt(best.events_per_s / 1e3)} thousand events per second"
            f" ({best.scenario}, {fmt_n(best.n_events)} events).",
        ]
    return lines


PLOTS: dict[str, Any] = {}
