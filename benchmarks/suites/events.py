"""Event log to journeys: ``Journeys.from_events`` on 1e6 and 1e7 events.

Data
----
A synthetic web / CRM log, ``rng = numpy.random.default_rng([seed, n_events])``:
``n_events / 10`` users drawn uniformly for every event (so about 10 events per user);
times uniform over a year (days, float); 8 channels uniformly; 5% of the rows are
conversions with an integer value in [1, 100); then 2% of the rows appended again as
exact duplicates and the whole log shuffled (unsorted input is the usual case).

Modes
-----
- ``channel``: a categorical channel column, no lookback, no maximum length.
- ``utm+lookback``: ``utm_source`` / ``utm_medium`` string columns grouped by the default
  GA4-style rule table, a 30-day lookback and at most 20 touches per journey.
- ``stitched``: like ``channel``, but the user is found by `stitch_identities` over two
  identifier columns (a cookie per event, and an email on 20% of events).

Method
------
Every (size, mode) runs in a fresh process (this script with ``--worker``). The worker
generates the log (not timed), warms up on 2,000 events, then times one
``Journeys.from_events(..., return_report=True)`` call per repeat with
`benchmarks._harness.measure_once` (wall and CPU time, peak RSS above the resident size
before the call, which includes the generated log). The 1-minute load average is
recorded: other processes on the machine inflate the times.

Outputs: ``results/events.csv`` (one row per timed call) and ``results/events.md``.

Usage::

    python benchmarks/bench_events.py                    # 1e6 and 1e7 events, 2 repeats
    python benchmarks/bench_events.py --quick            # 1e5 events, 1 repeat
    python benchmarks/bench_events.py --sizes 1e6 --repeats 3 --seed 1
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

if __package__ in (None, ""):  # run as a script: make the benchmarks package importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks._harness import (
    call_worker,
    fmt,
    fmt_n,
    loadavg,
    machine_info,
    md_table,
    measure_once,
    package_digest,
    worker_main,
)

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
MODES = ("channel", "utm+lookback", "stitched")
CHANNELS = ("search", "email", "display", "social", "direct", "affiliate", "video", "referral")
SOURCES = ("google", "newsletter", "dsp", "facebook", "(direct)", "partner", "youtube", "blog.org")
MEDIUMS = ("cpc", "email", "display", "paid", "(none)", "affiliate", "cpv", "referral")


def make_log(n: int, seed: int, mode: str) -> pd.DataFrame:
    """The synthetic log of the module docstring."""
    rng = np.random.default_rng([seed, n])
    n_users = max(n // 10, 1)
    conv = rng.random(n) < 0.05
    k = rng.integers(0, len(CHANNELS), n)
    frame = pd.DataFrame(
        {
            "user": rng.integers(0, n_users, n),
            "time": rng.random(n) * 365.0,
            "conv": conv,
            "value": np.where(conv, rng.integers(1, 100, n), 0).astype(np.float64),
        }
    )
    if mode == "utm+lookback":
        frame["utm_source"] = np.asarray(SOURCES, dtype=object)[k]
        frame["utm_medium"] = np.asarray(MEDIUMS, dtype=object)[k]
    else:
        frame["channel"] = pd.Categorical.from_codes(k, CHANNELS)
    if mode == "stitched":
        frame["cookie"] = rng.integers(0, 2 * n_users, n)  # two cookies per user
        email = frame["user"].to_numpy() * 2 % (2 * n_users)
        frame["email"] = pd.array(np.where(rng.random(n) < 0.2, email, -1)).astype("Int64")
        frame.loc[frame["email"] == -1, "email"] = pd.NA
    dups = frame.sample(frac=0.02, random_state=int(rng.integers(1 << 31)))
    frame = pd.concat([frame, dups], ignore_index=True)
    return frame.sample(frac=1.0, random_state=int(rng.integers(1 << 31))).reset_index(drop=True)


def run(frame: pd.DataFrame, mode: str) -> Any:
    from attribution_lab import Journeys

    common = dict(conversion="conv", value="value", return_report=True)
    if mode == "channel":
        return Journeys.from_events(frame, "user", "time", "channel", **common)
    if mode == "stitched":
        return Journeys.from_events(frame, ["cookie", "email"], "time", "channel", **common)
    return Journeys.from_events(
        frame,
        "user",
        "time",
        source="utm_source",
        medium="utm_medium",
        lookback=30,
        max_length=20,
        **common,
    )


def worker(spec: dict[str, Any]) -> dict[str, Any]:
    run(make_log(2_000, 0, spec["mode"]), spec["mode"])
    frame = make_log(spec["n"], spec["seed"], spec["mode"])
    rows = []
    for repeat in range(spec["repeats"]):
        load = loadavg()
        m = measure_once(lambda: run(frame, spec["mode"]))
        journeys, report = m.pop("out")
        rows.append(
            {
                **m,
                "repeat": repeat,
                "load_1min": load[0] if load else None,
                "n_journeys": journeys.n_journeys,
                "n_touchpoints": journeys.n_touchpoints,
                "duplicates": report.duplicates,
                "dropped": json.dumps(report.dropped),
            }
        )
    return {"rows": rows, "digest": package_digest()}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", default="1e6,1e7")
    p.add_argument("--repeats", type=int, default=2)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--modes", default=",".join(MODES))
    p.add_argument("--quick", action="store_true")
    p.add_argument("--out", default=str(HERE / "results"))
    p.add_argument("--worker", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        return worker_main(worker, args.worker)
    sizes = [100_000] if args.quick else [int(float(s)) for s in args.sizes.split(",")]
    repeats = 1 if args.quick else args.repeats
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH")) if p)
    info = machine_info()
    records = []
    for n in sizes:
        for mode in args.modes.split(","):
            spec = {"n": n, "mode": mode, "seed": args.seed, "repeats": repeats}
            out = call_worker([sys.executable, str(Path(__file__).resolve())], spec, env=env)
            if "error" in out:
                print(f"n={fmt_n(n)} {mode}: {out['error']}")
                continue
            for row in out["rows"]:
                rec = {"n_events": n, "mode": mode, "seed": args.seed, **row}
                rec.update(digest=out["digest"], background_load=out["background_load"], **info)
                records.append(rec)
                print(
                    f"n={fmt_n(n)} {mode:13s} {row['wall_s']:7.2f} s  peak +"
                    f"{row['rss_increment_mb']:7.0f} MB  load {row['load_1min']}"
                )
    if not records:
        return 1
    table = pd.DataFrame(records)
    table["cpu_s"] = table["cpu_user_s"] + table["cpu_sys_s"]
    outdir = Path(args.out)
    outdir.mkdir(parents=True, exist_ok=True)
    table.to_csv(outdir / "events.csv", index=False)
    summary = (
        table.groupby(["n_events", "mode"], sort=False)
        .agg(
            median_s=("wall_s", "median"),
            min_s=("wall_s", "min"),
            cpu_s=("cpu_s", "median"),
            rss_increment_mb=("rss_increment_mb", "max"),
            load_1min=("load_1min", "max"),
            n_journeys=("n_journeys", "first"),
            n_touchpoints=("n_touchpoints", "first"),
        )
        .reset_index()
    )
    summary["events_per_s"] = summary["n_events"] / summary["min_s"]
    lines = [
        "# Journeys.from_events: event log to journeys",
        "",
        f"`python benchmarks/bench_events.py {' '.join(sys.argv[1:])}`;"
        f" commit {info.get('git_commit', '?')}, {info.get('cpu', '?')},"
        f" {info.get('n_cpus', '?')} cores, {info.get('mem_gib', '?')} GiB, pandas"
        f" {info.get('pandas', '?')}, numpy {info.get('numpy', '?')},"
        f" {info.get('date_utc', '')}. Data and method: see the script's docstring.",
        "",
        *md_table(summary, index=False),
        "",
        "Peak RSS is the rise above the resident size before the call (the log itself is"
        " already resident). A 1-minute load average above the core count means other"
        " processes shared the machine and the wall times are inflated; ``cpu_s`` (user +"
        " system CPU seconds of the call) is less affected.",
        "",
        f"Fastest: {fmt(summary['events_per_s'].max() / 1e6)} million events per second.",
    ]
    (outdir / "events.md").write_text("\n".join(lines) + "\n")
    print(f"wrote {outdir / 'events.csv'} and {outdir / 'events.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
