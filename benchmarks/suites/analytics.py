"""Journey analytics benchmark: every function of ``attribution_lab.analytics`` on 1e6 journeys.

Target (issue 10): all of the analytics on 1M journeys within a few seconds, read here as
``describe()`` (every headline table: top paths, lengths, time to conversion, channel
statistics, overlap, transitions, funnel) within **5 s** at n_journeys = 1e6 with 20
channels, touch times, end times and milestones.

Data
----
Raw journeys, one row per customer, from ``bench_markov.synth_journeys`` (channels with
Zipf popularity, lengths geometric with mean 5 capped at 30, about 17% converting), plus,
with ``rng = numpy.random.default_rng([seed, n_journeys, n_channels, 10])``:

- touch times in days: a first touch uniform on [0, 365), then exponential gaps with mean
  4 days;
- end times: a converting journey converts an exponential(mean 2 days) delay after its
  last touch; the others are observed until day 500 (or their last touch, if later);
- milestones: ``lead`` at a uniformly drawn touch of 60% of journeys, ``opportunity`` at a
  touch uniformly drawn from the lead onwards for half of those, ``closed_won`` at the last
  touch of converting journeys.

Method
------
Every size runs in a fresh process (this script with the hidden ``--worker`` flag). The
worker imports the package, generates its data, and warms every task up on 2,000
journeys from the same generator (imports and first calls are not timed). Then, for
every task and repeat, it builds a **fresh** ``Journeys`` object from the arrays (not
timed; the constructor's validation is not analytics, and a fresh object keeps cached
properties such as ``journey_index`` from carrying over between tasks), runs
``gc.collect()``, resets the kernel's peak-RSS mark and times one call with
``time.perf_counter``. ``wall_s`` is that call's time; the Markdown reports the median
over ``--repeats`` (default 3) and the minimum. ``peak_rss_mb`` is the process's
high-water mark during the call (it includes the data), ``rss_increment_mb`` its rise
above the resident size before the call. The 1-minute load average before each call is
recorded: another process on the machine inflates times, and the summary says so.

Tasks: each public function with its defaults (``top_paths`` also ranked by ``ci_low``
with ``min_support=30``, ``transitions`` also with ``drop_repeats=True``), ``describe``
(which shares work between its parts), ``describe`` on the same paths without times,
end times or milestones (what a path table gives), and a floor: one
``np.bincount(channels)`` over all touches, the least any per-touch statistic costs.

Outputs (in ``--out``, by default ``benchmarks/results/``): ``analytics.csv`` (tidy, one
row per timed call), ``analytics.md`` (tables and the verdict) and ``analytics.png``
(median time per task and size).

Usage::

    python benchmarks/bench_analytics.py                 # 1e5 and 1e6 journeys, 3 repeats
    python benchmarks/bench_analytics.py --quick         # 1e5 only, 1 repeat
    python benchmarks/bench_analytics.py --sizes 1e6,2e6 --channels 10 --repeats 5 --seed 1
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

if __package__ in (None, ""):  # run as a script: make the benchmarks package importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks._harness import (
    fmt,
    fmt_n,
    machine_info,
    package_digest,
    peak_mb,
    reset_peak,
    rss_mb,
    timed,
    tqdm,
)
from benchmarks.bench_markov import synth_journeys

SUITE = "analytics"
DEFAULT_SIZES = (100_000, 1_000_000)
QUICK_SIZES = (100_000,)
DEFAULT_CHANNELS = 20
WARMUP_JOURNEYS = 2_000
HERE = Path(__file__).resolve().parent
REPO = HERE.parent

# Data generator (see the module docstring).
YEAR_DAYS = 365.0
MEAN_GAP_DAYS = 4.0
MEAN_CONVERSION_DELAY_DAYS = 2.0
OBSERVATION_END_DAYS = 500.0
LEAD_PROBABILITY = 0.6
OPPORTUNITY_PROBABILITY = 0.5

# Target.
TARGET_N = 1_000_000
TARGET_S = 5.0

FLOOR = "floor: np.bincount(channels)"
DESCRIBE = "describe"
DESCRIBE_BARE = "describe (no times, no milestones)"


# ============================================================================ data
def synth_timed(n: int, n_channels: int, seed: int) -> dict[str, Any]:
    """CSR journeys of `bench_markov.synth_journeys` with times, end times and milestones."""
    d = synth_journeys(n, n_channels, seed)
    rng = np.random.default_rng([seed, n, n_channels, 10])
    offsets = d["offsets"]
    lengths = np.diff(offsets)
    n_touch = int(offsets[-1])
    journey = np.repeat(np.arange(n), lengths)
    first = offsets[:-1]
    gaps = rng.exponential(MEAN_GAP_DAYS, n_touch)
    gaps[first] = 0.0
    elapsed = np.cumsum(gaps)
    times = rng.uniform(0.0, YEAR_DAYS, n)[journey] + elapsed - elapsed[first][journey]
    last_time = times[offsets[1:] - 1]
    converted = d["conversions"] > 0
    end_time = np.where(
        converted,
        last_time + rng.exponential(MEAN_CONVERSION_DELAY_DAYS, n),
        np.maximum(OBSERVATION_END_DAYS, last_time),
    )
    lead_pos = np.floor(rng.random(n) * lengths).astype(np.int64)
    has_lead = rng.random(n) < LEAD_PROBABILITY
    opp_pos = lead_pos + np.floor(rng.random(n) * (lengths - lead_pos)).astype(np.int64)
    has_opp = has_lead & (rng.random(n) < OPPORTUNITY_PROBABILITY)
    lead = np.zeros(n_touch, dtype=bool)
    lead[(first + lead_pos)[has_lead]] = True
    opportunity = np.zeros(n_touch, dtype=bool)
    opportunity[(first + opp_pos)[has_opp]] = True
    won = np.zeros(n_touch, dtype=bool)
    won[(offsets[1:] - 1)[converted]] = True
    return {
        **d,
        "times": times,
        "end_time": end_time,
        "milestones": {"lead": lead, "opportunity": opportunity, "closed_won": won},
    }


def build(d: dict[str, Any], *, bare: bool = False):
    from attribution_lab import Journeys

    args = (d["channels"], d["offsets"], d["names"], d["conversions"], d["nulls"])
    if bare:
        return Journeys(*args)
    return Journeys(*args, times=d["times"], end_time=d["end_time"], milestones=d["milestones"])


def tasks() -> list[tuple[str, str, bool, Any]]:
    """(task, params label, bare journeys?, operation)."""
    from attribution_lab import analytics as an

    return [
        ("top_paths", "top=10, by=journeys", False, lambda j: an.top_paths(j)),
        (
            "top_paths",
            "by=ci_low, min_support=30",
            False,
            lambda j: an.top_paths(j, by="ci_low", min_support=30),
        ),
        ("path_lengths", "", False, an.path_lengths),
        ("time_to_conversion", "", False, an.time_to_conversion),
        ("channel_stats", "", False, an.channel_stats),
        ("channel_overlap", "", False, an.channel_overlap),
        ("transitions", "ends=True", False, an.transitions),
        ("transitions", "drop_repeats=True", False, lambda j: an.transitions(j, drop_repeats=True)),
        ("funnel", "stall_days=30", False, an.funnel),
        (DESCRIBE, "top=10", False, an.describe),
        (DESCRIBE_BARE, "top=10", True, an.describe),
        (FLOOR, "", False, lambda j: np.bincount(j.channels, minlength=j.n_channels)),
    ]


# ============================================================================ worker
def run_worker(spec: dict[str, Any]) -> dict[str, Any]:
    n, n_channels, seed, repeats = spec["n"], spec["n_channels"], spec["seed"], spec["repeats"]
    t0 = time.perf_counter()
    data = synth_timed(n, n_channels, seed)
    generate_s = time.perf_counter() - t0
    warm = synth_timed(WARMUP_JOURNEYS, n_channels, seed + 1)
    todo = tasks()
    for _, _, bare, op in todo:
        op(build(warm, bare=bare))
    rows = []
    bar = tqdm(total=len(todo) * repeats, desc=f"n={fmt_n(n)}", file=sys.stderr, leave=False)
    for task, params, bare, op in todo:
        for rep in range(repeats):
            journeys = build(data, bare=bare)
            gc.collect()
            load = os.getloadavg()[0]
            baseline = rss_mb()
            scoped = reset_peak()
            out, wall, user, sys_ = timed(lambda op=op, journeys=journeys: op(journeys))
            peak = peak_mb()
            del out
            rows.append(
                {
                    "task": task,
                    "params": params,
                    "repeat": rep,
                    "wall_s": wall,
                    "cpu_user_s": user,
                    "cpu_sys_s": sys_,
                    "peak_rss_mb": peak,
                    "rss_increment_mb": peak - baseline,
                    "rss_scope": "operation" if scoped else "process",
                    "loadavg_1m": load,
                    "n_touchpoints": int(journeys.n_touchpoints),
                }
            )
            del journeys
            bar.update()
    bar.close()
    return {
        "rows": rows,
        "generate_s": generate_s,
        "conversion_rate": float(data["conversions"].mean()),
        "package_digest": package_digest(),
    }


def call_worker(spec: dict[str, Any]) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, __file__, "--worker", json.dumps(spec)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=str(REPO),
    )
    for line in proc.stdout.splitlines()[::-1]:
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT ") :])
    raise RuntimeError(f"worker for {spec} failed with exit status {proc.returncode}")


# ============================================================================ outputs
def summarise(frame):
    import pandas as pd

    keys = ["n_journeys", "task", "params"]
    g = frame.groupby(keys, sort=False)
    out = g.agg(
        median_s=("wall_s", "median"),
        min_s=("wall_s", "min"),
        peak_rss_mb=("peak_rss_mb", "max"),
        rss_increment_mb=("rss_increment_mb", "max"),
        loadavg_1m=("loadavg_1m", "max"),
        n_touchpoints=("n_touchpoints", "first"),
    ).reset_index()
    out["touchpoints_per_s"] = out["n_touchpoints"] / out["median_s"]
    return pd.DataFrame(out)


def verdict_lines(summary, n_cpus: int) -> list[str]:
    at = summary[summary["n_journeys"] == TARGET_N]
    if at.empty:
        return [f"- Target not measured: no run at n_journeys={fmt_n(TARGET_N)}."]
    describe = at[at["task"] == DESCRIBE].iloc[0]
    parts = at[~at["task"].isin([DESCRIBE, DESCRIBE_BARE, FLOOR])]
    separate = parts.drop_duplicates("task")["median_s"].sum()  # default params only
    every = parts["median_s"].sum()
    holds = describe["median_s"] <= TARGET_S
    busy = at["loadavg_1m"].max() > 0.5
    lines = [
        f"- **All of the analytics on 1e6 journeys within {TARGET_S:g} s** "
        f"(`describe()`, n_journeys={fmt_n(TARGET_N)}, "
        f"{int(describe['n_touchpoints']):,} touches): median **{describe['median_s']:.2f} s** "
        f"(min {describe['min_s']:.2f} s). Verdict: **{'holds' if holds else 'does not hold'}**.",
        f"- The seven functions called one by one with their defaults take "
        f"{separate:.2f} s together ({every:.2f} s with the extra parameter sets); "
        "`describe()` shares the per-(journey, channel) sort between them.",
    ]
    if busy:
        lines.append(
            f"- Measured with other work on the machine: the 1-minute load average reached "
            f"{at['loadavg_1m'].max():.2f} on {n_cpus} CPUs during these calls, so the times "
            "are upper bounds (BLAS-free code: the single thread shares its core)."
        )
    return lines


def write_markdown(frame, summary, path: Path, info: dict[str, Any], argv: list[str]) -> None:
    lines = [
        "# Journey analytics benchmark",
        "",
        f"`python benchmarks/bench_analytics.py {' '.join(argv)}`".replace(" `", "`"),
        "",
        f"{info['date_utc']} · commit {info['git_commit']} · attribution_lab "
        f"{info['attribution_lab']} · Python {info['python']}, numpy {info['numpy']}, pandas "
        f"{info['pandas']} · {info['cpu']}, {info['n_cpus']} CPUs, {info['mem_gib']} GiB · "
        f"seed {info['seed']} · {info['n_channels']} channels.",
        "",
        "Wall time of one call in a process that has warmed every task up on 2,000 journeys, "
        "each call on a freshly built `Journeys` (touch times, end times, milestones "
        "lead / opportunity / closed_won); median and minimum over "
        f"{info['repeats']} calls. Peak RSS includes the data.",
        "",
        "## Target",
        "",
        *verdict_lines(summary, info["n_cpus"]),
        "",
    ]
    for n, part in summary.groupby("n_journeys", sort=False):
        touches = int(part["n_touchpoints"].iloc[0])
        lines += [
            f"## n_journeys={fmt_n(int(n))} ({touches:,} touches)",
            "",
            "| task | params | median s | min s | touches/s | peak RSS MB | RSS increment MB "
            "| load (1 min) |",
            "|---|---|---:|---:|---:|---:|---:|---:|",
        ]
        for _, r in part.iterrows():
            lines.append(
                f"| {r['task']} | {r['params'] or '-'} | {fmt(r['median_s'])} "
                f"| {fmt(r['min_s'])} | {r['touchpoints_per_s']:.3g} | {r['peak_rss_mb']:,.0f} "
                f"| {r['rss_increment_mb']:,.0f} | {r['loadavg_1m']:.2f} |"
            )
        lines.append("")
    gen = frame.drop_duplicates("n_journeys")[["n_journeys", "generate_s"]]
    lines.append(
        "Data generation (not timed above): "
        + ", ".join(f"{fmt_n(int(n))}: {s:.1f} s" for n, s in gen.itertuples(index=False))
        + "."
    )
    path.write_text("\n".join(lines) + "\n")


def write_plot(summary, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = [
        t
        if not p or p in ("top=10", "top=10, by=journeys", "ends=True", "stall_days=30")
        else f"{t} ({p})"
        for t, p in zip(summary["task"], summary["params"], strict=True)
    ]
    summary = summary.assign(label=labels)
    sizes = list(dict.fromkeys(summary["n_journeys"]))
    order = list(dict.fromkeys(summary["label"]))
    fig, ax = plt.subplots(figsize=(9, 0.45 * len(order) + 1.5))
    height = 0.8 / len(sizes)
    y = np.arange(len(order))[::-1]
    for k, n in enumerate(sizes):
        part = summary[summary["n_journeys"] == n].set_index("label").reindex(order)
        ax.barh(
            y + (len(sizes) - 1 - 2 * k) * height / 2,
            part["median_s"],
            height=height,
            label=f"n_journeys={fmt_n(int(n))}",
        )
    ax.axvline(
        TARGET_S, color="tab:red", ls="--", lw=1, label=f"target for describe: {TARGET_S:g} s"
    )
    ax.set_xscale("log")
    ax.set_yticks(y, order)
    ax.set_xlabel("median wall time of one call (s, log scale)")
    ax.set_title("Journey analytics: time per function")
    ax.legend(fontsize="small", loc="lower right")
    ax.grid(axis="x", alpha=0.3, which="both")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


# ============================================================================ main
def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", default=None, help="n_journeys, comma-separated (default 1e5,1e6)")
    p.add_argument("--channels", type=int, default=DEFAULT_CHANNELS)
    p.add_argument("--repeats", type=int, default=None, help="calls per task (default 3)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--quick", action="store_true", help="1e5 journeys, 1 repeat")
    p.add_argument("--out", default=str(HERE / "results"))
    p.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    import pandas as pd

    raw_argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    if args.worker:
        print("RESULT " + json.dumps(run_worker(json.loads(args.worker))))
        return 0
    if args.sizes:
        sizes = [int(float(s)) for s in args.sizes.split(",") if s.strip()]
    else:
        sizes = list(QUICK_SIZES if args.quick else DEFAULT_SIZES)
    repeats = args.repeats or (1 if args.quick else 3)
    info = {**machine_info(), "seed": args.seed, "n_channels": args.channels, "repeats": repeats}
    rows = []
    for n in sizes:
        spec = {"n": n, "n_channels": args.channels, "seed": args.seed, "repeats": repeats}
        res = call_worker(spec)
        for r in res["rows"]:
            rows.append(
                {
                    "suite": SUITE,
                    "n_journeys": n,
                    "n_channels": args.channels,
                    "seed": args.seed,
                    "repeats": repeats,
                    **r,
                    "generate_s": res["generate_s"],
                    "conversion_rate": res["conversion_rate"],
                    "package_digest": res["package_digest"],
                    **{k: v for k, v in info.items() if k not in ("seed", "n_channels", "repeats")},
                }
            )
        done = pd.DataFrame(rows)
        med = done[(done["n_journeys"] == n) & (done["task"] == DESCRIBE)]["wall_s"].median()
        print(f"n_journeys={fmt_n(n)}: describe() median {med:.2f} s", file=sys.stderr)
    frame = pd.DataFrame(rows)
    summary = summarise(frame)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    frame.to_csv(out / f"{SUITE}.csv", index=False, float_format="%.6g")
    write_markdown(frame, summary, out / f"{SUITE}.md", info, raw_argv)
    write_plot(summary, out / f"{SUITE}.png")
    print("\n".join(verdict_lines(summary, info["n_cpus"])))
    print(f"wrote {out / (SUITE + '.csv')}, {SUITE}.md, {SUITE}.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
