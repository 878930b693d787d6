"""analytics: every function of ``attribution_lab.analytics`` on 1e5 and 1e6 journeys.

Target (issue 10): all of the analytics on 1M journeys within a few seconds, read here as
``describe()`` (every headline table: top paths, lengths, time to conversion, channel
statistics, overlap, transitions, funnel) within **5 s** at n_journeys = 1e6 with 20
channels, touch times, end times and milestones.

Data: ``benchmarks._data.synth_timed`` (the speed suite's journeys, 20 channels by
default, with touch times, end times and milestones lead / opportunity / closed_won).

Method
------
Every size runs in a fresh process (``python -m benchmarks analytics --worker``). The
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

Rows: one per timed call (``model`` = task); ``analytics.png``: median time per task
and size.
"""

from __future__ import annotations

import gc
import os
import sys
import time
from typing import Any

import numpy as np

from benchmarks._data import journeys, synth_timed
from benchmarks._harness import (
    SuiteRun,
    call_worker,
    fmt_n,
    md_table,
    package_digest,
    peak_mb,
    reset_peak,
    rss_mb,
    suite_worker_cmd,
    timed,
    tqdm,
)

TITLE = "Journey analytics: every function of attribution_lab.analytics by n_journeys"
DEFAULT_SIZES = (100_000, 1_000_000)
QUICK_SIZES = (20_000,)
DEFAULT_CHANNELS = 20
WARMUP_JOURNEYS = 2_000

# Target.
TARGET_N = 1_000_000
TARGET_S = 5.0

FLOOR = "floor: np.bincount(channels)"
DESCRIBE = "describe"
DESCRIBE_BARE = "describe (no times, no milestones)"


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
        op(journeys(warm, timed=not bare))
    rows = []
    bar = tqdm(total=len(todo) * repeats, desc=f"n={fmt_n(n)}", file=sys.stderr, disable=True)
    for task, params, bare, op in todo:
        for rep in range(repeats):
            j = journeys(data, timed=not bare)
            gc.collect()
            load = os.getloadavg()[0]
            baseline = rss_mb()
            scoped = reset_peak()
            out, wall, user, sys_ = timed(lambda op=op, j=j: op(j))
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
                    "n_touchpoints": int(j.n_touchpoints),
                }
            )
            del j
            bar.update()
    bar.close()
    return {
        "rows": rows,
        "generate_s": generate_s,
        "conversion_rate": float(data["conversions"].mean()),
        "package_digest": package_digest(),
    }


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


def body(frame) -> list[str]:
    ok = frame[frame.status == "ok"]
    if ok.empty:
        return ["Nothing measured."]
    summary = summarise(ok)
    lines = [
        "Wall time of one call in a process that has warmed every task up on 2,000 journeys, "
        "each call on a freshly built `Journeys` (touch times, end times, milestones "
        "lead / opportunity / closed_won); median and minimum over "
        f"{int(ok.repeat.max()) + 1} calls. Peak RSS includes the data.",
        "",
        "## Target",
        "",
        *verdict_lines(summary, int(ok.n_cpus.iloc[0])),
        "",
    ]
    for n, part in summary.groupby("n_journeys", sort=False):
        touches = int(part["n_touchpoints"].iloc[0])
        cols = ["params", "median_s", "min_s", "touchpoints_per_s", "peak_rss_mb"]
        t = part.set_index("task")[[*cols, "rss_increment_mb", "loadavg_1m"]]
        lines += [f"## n_journeys={fmt_n(int(n))} ({touches:,} touches)", "", *md_table(t), ""]
    gen = ok.drop_duplicates("n_journeys")[["n_journeys", "generate_s"]]
    lines.append(
        "Data generation (not timed above): "
        + ", ".join(f"{fmt_n(int(n))}: {s:.1f} s" for n, s in gen.itertuples(index=False))
        + "."
    )
    return lines


def write_plot(summary, path) -> None:
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


# ============================================================================ suite
def add_arguments(p) -> None:
    p.add_argument("--channels", type=int, default=DEFAULT_CHANNELS)
    p.add_argument("--repeats", type=int, default=None, help="calls per task (default 3)")


def configure(args) -> None:
    args.sizes = args.sizes or list(QUICK_SIZES if args.quick else DEFAULT_SIZES)
    args.seeds = args.seeds or [0]
    args.repeats = args.repeats or (1 if args.quick else 3)


def run(sr: SuiteRun, args) -> None:
    cmd, env = suite_worker_cmd("analytics")
    seed = args.seeds[0]
    for n in tqdm(iterable=args.sizes, desc="analytics", disable=args.no_progress):
        spec = {"n": n, "n_channels": args.channels, "seed": seed, "repeats": args.repeats}
        res = call_worker(cmd, spec, env=env)
        base = {"scenario": "synthetic", "n_journeys": n, "n_channels": args.channels}
        if "error" in res:
            sr.error(res["error"], **base, model="describe", seed=seed)
            continue
        for r in res["rows"]:
            sr.add(
                **base,
                model=r["task"],
                seed=seed,
                peak_mem_mb=r["peak_rss_mb"],
                **r,
                generate_s=res["generate_s"],
                conversion_rate=res["conversion_rate"],
                package_digest=res["package_digest"],
            )


PLOTS = {"analytics.png": lambda frame, path: write_plot(summarise(frame), path)}
