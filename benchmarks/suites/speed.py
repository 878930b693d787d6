"""speed: wall time and peak memory of every model by n_journeys, channels and Markov order.

Data: raw journeys (one customer per row) from ``benchmarks._data.synth_journeys``
(Zipf channel popularity, geometric lengths of mean 5 capped at 30, logistic conversions,
about 17% convert), ``numpy.random.default_rng([seed, n_journeys, n_channels])``, for
n_journeys in ``--sizes`` (default 1e4, 1e5, 1e6, 1e7) and ``--channels`` (default 5,
20, 100). The journeys are built from their CSR arrays (parsing is the ``parse`` suite's
subject).

Models (`configs`): every registered rule model at its defaults; Markov orders 1-3
(exact removal effects); Shapley at its defaults (the subset game, solved in
closed form), and, on the set-rate game (which has no closed form), exact enumeration and
the four sampling estimators at a fixed budget of ``--budget`` game evaluations (default
10,000).

Every measurement is a fresh interpreter (``python -m benchmarks speed --worker``): it
imports the package, warms up on 200 journeys of the same generator (lazy imports and
first calls are not timed), loads the CSR arrays, resets the kernel's peak-RSS mark and
times one ``get_model(name, **params).fit(journeys).attribute()``: ``wall_s``, and
``peak_mem_mb`` the process's high-water mark during the call (the loaded journeys
included; see ``benchmarks/_harness.py`` for why not ``ru_maxrss``). One process per
measurement and ``--repeats`` processes (default 1) per cell, median reported.

The floor: ``np.bincount`` over the order-1 transition codes of every touch (``channel *
(n_channels + 2) + next event``, the outcome after a journey's last touch, weighted), the
least any method that counts transitions must do; median of 7 calls after an untimed one,
in the main process. ``ratio_to_floor`` = ``wall_s`` / floor. ``scaling_exponent`` is the
least-squares slope of log ``wall_s`` against log n_journeys over the sizes measured for
that model and channel count (1 = linear).

Limits: a cell whose estimated time (the previous size's, scaled linearly) exceeds
``--time-limit`` seconds (default 300) or whose estimated peak memory (likewise) exceeds
half of the available memory is skipped with the reason; so is exact Shapley above
`EXACT_MAX_CHANNELS` channels (2^n coalitions). A worker still running after 3x the time
limit is stopped and recorded as an error.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from typing import Any

import numpy as np

from benchmarks._harness import (
    SuiteRun,
    call_worker,
    fmt_n,
    load_lines,
    loglog_slope,
    md_table,
    measure_once,
    mem_available_bytes,
    package_digest,
    suite_worker_cmd,
    tqdm,
)

TITLE = "Speed: time and peak memory of every model against data size, and a bincount floor"
DEFAULT_SIZES = (10_000, 100_000, 1_000_000, 10_000_000)
QUICK_SIZES = (1_000, 10_000)
DEFAULT_CHANNELS = (5, 20, 100)
QUICK_CHANNELS = (5,)
BUDGET = 10_000
QUICK_BUDGET = 500
TIME_LIMIT_S = 300.0
EXACT_MAX_CHANNELS = 20
MEMORY_FRACTION = 0.5
FLOOR_CALLS = 7
WARMUP_JOURNEYS = 200
SAMPLERS = ("permutation", "antithetic", "stratified", "kernel")
QUICK_CONFIGS = ("linear", "markov (order 1)")


def add_arguments(p) -> None:
    from benchmarks._harness import int_list

    p.add_argument("--channels", type=int_list, default=None, help="default 5,20,100")
    p.add_argument("--orders", type=int_list, default=None, help="Markov orders, default 1,2,3")
    p.add_argument("--budget", type=int, default=None, help="Shapley sampling budget (10000)")
    p.add_argument("--repeats", type=int, default=1, help="processes per cell (median)")
    p.add_argument("--time-limit", type=float, default=TIME_LIMIT_S, help="seconds per measurement")
    p.add_argument("--models", default=None, help="comma-separated labels (default: all)")


def configure(args) -> None:
    q = args.quick
    args.sizes = args.sizes or list(QUICK_SIZES if q else DEFAULT_SIZES)
    args.seeds = args.seeds or [0]
    args.channels = args.channels or list(QUICK_CHANNELS if q else DEFAULT_CHANNELS)
    args.orders = args.orders or [1, 2, 3]
    args.budget = args.budget or (QUICK_BUDGET if q else BUDGET)
    if args.models:
        args.models = args.models.split(",")
    elif q:
        args.models = list(QUICK_CONFIGS)


def configs(args) -> list[tuple[str, str, dict[str, Any]]]:
    """(label, registry name, params) of every measured model."""
    from attribution_lab import available_models, get_model

    out = [(n, n, {}) for n in available_models() if get_model(n).estimand == "rule"]
    out += [(f"markov (order {k})", "markov", {"order": k}) for k in args.orders]
    # the default game has a closed form; the estimators are timed on the set-rate game,
    # which has none
    rate = {"game": "set_rate"}
    out += [
        ("shapley", "shapley", {}),
        ("shapley (exact)", "shapley", {**rate, "estimator": "exact"}),
    ]
    out += [
        (f"shapley ({e})", "shapley", {**rate, "estimator": e, "budget": args.budget})
        for e in SAMPLERS
    ]
    if args.models:
        out = [c for c in out if c[0] in args.models]
    return out


def _params_label(params: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in params.items()) or "defaults"


# ============================================================================ data and worker
def make_data(n: int, n_channels: int, seed: int, prefix: str) -> dict[str, Any]:
    """Write the CSR arrays under `prefix`; time the floor on them. Returns the metadata."""
    from benchmarks._data import floor_codes, synth_journeys

    d = synth_journeys(n, n_channels, seed)
    for key in ("channels", "offsets", "conversions", "nulls"):
        np.save(f"{prefix}_{key}.npy", d[key])
    code, weights, cells = floor_codes(d)
    np.bincount(code, weights=weights, minlength=cells)
    times = []
    for _ in range(FLOOR_CALLS):
        t0 = time.perf_counter()
        np.bincount(code, weights=weights, minlength=cells)
        times.append(time.perf_counter() - t0)
    return {
        "n_touchpoints": int(d["channels"].size),
        "conversion_rate": float(d["conversions"].mean()),
        "floor_s": float(np.median(times)),
        "names": d["names"],
    }


def run_worker(spec: dict[str, Any]) -> dict[str, Any]:
    """One measurement in this fresh process (see the module docstring)."""
    from attribution_lab import get_model
    from benchmarks._data import journeys as _journeys
    from benchmarks._data import synth_journeys

    prefix, name, params = spec["prefix"], spec["name"], spec["params"]
    names = spec["names"]
    warm = _journeys(synth_journeys(WARMUP_JOURNEYS, len(names), spec["seed"] + 1))
    get_model(name, **params).fit(warm).attribute()
    d = {k: np.load(f"{prefix}_{k}.npy") for k in ("channels", "offsets", "conversions", "nulls")}
    journeys = _journeys({**d, "names": names})
    del d
    holder: dict[str, Any] = {}

    def op():
        model = get_model(name, **params).fit(journeys)
        holder["model"] = model
        return model.attribute()

    res = measure_once(op)
    res.pop("out")
    model = holder["model"]
    extra: dict[str, Any] = {"package_digest": package_digest()}
    chain = getattr(model, "chain_", None)
    if chain is not None:
        extra["n_states"] = int(chain.n_states)
    shap = getattr(model, "shapley_", None)
    if shap is not None:
        extra["n_evaluations"] = int(shap.n_evaluations)
        extra["estimator_used"] = str(getattr(shap, "estimator", ""))
    return {**res, **extra}


# ============================================================================ suite
def run(sr: SuiteRun, args) -> None:
    import scipy

    sr.machine["scipy"] = scipy.__version__
    cmd, env = suite_worker_cmd("speed")
    cfgs = configs(args)
    seed = args.seeds[0]
    if len(args.seeds) > 1:
        sr.notes.append(f"Only the first seed ({seed}) is used: timings do not need more.")
    sr.notes.append(
        f"Sizes {', '.join(fmt_n(n) for n in args.sizes)}; channels {args.channels}; "
        f"{len(cfgs)} models; {args.repeats} process(es) per cell; Shapley sampling budget "
        f"{args.budget:,} evaluations; --time-limit {args.time_limit:g} s."
    )
    history: dict[tuple[str, int], tuple[int, float, float]] = {}  # -> (n, wall, peak)
    failed: dict[tuple[str, int], tuple[int, str]] = {}  # -> (n, error) of a failed run
    workdir = tempfile.mkdtemp(prefix="bench_speed_")
    total = len(args.sizes) * len(args.channels) * (len(cfgs) + 1)
    try:
        with tqdm(total=total, desc="speed", disable=args.no_progress) as bar:
            for n in sorted(args.sizes):
                for c in args.channels:
                    where = f"{c} channels, n={fmt_n(n)}"
                    bar.set_postfix_str(f"{where}: data")
                    prefix = os.path.join(workdir, f"c{c}_{n}")
                    base = {"scenario": "synthetic", "n_journeys": n, "n_channels": c, "seed": seed}
                    need = 120 * n * 2  # bytes: arrays of ~5 touches per journey, twice
                    if need > MEMORY_FRACTION * mem_available_bytes():
                        sr.skip("data would not fit in memory", model="floor", **base)
                        bar.update(len(cfgs) + 1)
                        continue
                    meta = make_data(n, c, seed, prefix)
                    base["n_touchpoints"] = meta["n_touchpoints"]
                    floor = meta["floor_s"]
                    sr.add(
                        **base,
                        model="floor",
                        params="np.bincount over order-1 transition codes",
                        wall_s=floor,
                        journeys_per_s=n / floor,
                        ratio_to_floor=1.0,
                    )
                    bar.update()
                    for label, name, params in cfgs:
                        bar.set_postfix_str(f"{where}: {label}")
                        row = {**base, "model": label, "params": _params_label(params)}
                        reason = _skip_reason(label, name, params, n, c, history, args)
                        if (label, c) in failed:  # a model that failed fails at larger n
                            m, err = failed[(label, c)]
                            reason = f"failed at n_journeys={fmt_n(m)}: {err}"
                        if reason:
                            sr.skip(reason, **row)
                            bar.update()
                            continue
                        runs = [
                            call_worker(
                                cmd,
                                {
                                    "prefix": prefix,
                                    "name": name,
                                    "params": params,
                                    "names": meta["names"],
                                    "seed": seed,
                                },
                                timeout=max(60.0, 3 * args.time_limit),
                                env=env,
                            )
                            for _ in range(args.repeats)
                        ]
                        ok = [r for r in runs if "error" not in r]
                        if not ok:
                            sr.error(runs[0]["error"], **row)
                            failed[(label, c)] = (n, runs[0]["error"])
                            bar.update()
                            continue
                        wall = float(np.median([r["wall_s"] for r in ok]))
                        peak = float(max(r["peak_mb"] for r in ok))
                        history[(label, c)] = (n, wall, peak)
                        first = ok[0]
                        sr.add(
                            **row,
                            wall_s=wall,
                            peak_mem_mb=peak,
                            journeys_per_s=n / wall,
                            touchpoints_per_s=meta["n_touchpoints"] / wall,
                            floor_s=floor,
                            ratio_to_floor=wall / floor,
                            wall_times_s=" ".join(f"{r['wall_s']:.4g}" for r in ok),
                            rss_increment_mb=first.get("rss_increment_mb"),
                            cpu_user_s=first.get("cpu_user_s"),
                            cpu_sys_s=first.get("cpu_sys_s"),
                            worker_s=first.get("worker_s"),
                            background_load=max(r.get("background_load", 0.0) for r in ok),
                            n_states=first.get("n_states"),
                            n_evaluations=first.get("n_evaluations"),
                            estimator_used=first.get("estimator_used"),
                            package_digest=first.get("package_digest"),
                        )
                        bar.update()
                    for f in os.listdir(workdir):
                        if f.startswith(f"c{c}_{n}_"):
                            os.unlink(os.path.join(workdir, f))
                if not args.quick:
                    _add_exponents(sr)
                    sr.write(TITLE, body, PLOTS)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    _add_exponents(sr)


def _skip_reason(label, name, params, n, c, history, args) -> str | None:
    if params.get("estimator") == "exact" and c > EXACT_MAX_CHANNELS:
        return f"exact Shapley enumerates 2^{c} coalitions (limit {EXACT_MAX_CHANNELS} channels)"
    prev = history.get((label, c))
    if prev is None:
        return None
    m, wall, peak = prev
    est, mem = wall * n / m, peak * n / m * 2**20
    if est > args.time_limit:
        return (
            f"estimated {est:.0f} s from {wall:.2g} s at {fmt_n(m)}, over --time-limit "
            f"{args.time_limit:g} s"
        )
    avail = mem_available_bytes()
    if mem > MEMORY_FRACTION * avail:
        return (
            f"estimated peak {mem / 2**30:.1f} GiB from {peak:.0f} MB at {fmt_n(m)}, over "
            f"{MEMORY_FRACTION:.0%} of the {avail / 2**30:.1f} GiB available"
        )
    return None


def _add_exponents(sr: SuiteRun) -> None:
    groups: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for r in sr.rows:
        if r["status"] == "ok":
            groups.setdefault((r["model"], r["n_channels"]), []).append(r)
    for rows in groups.values():
        slope = loglog_slope([r["n_journeys"] for r in rows], [r["wall_s"] for r in rows])
        for r in rows:
            r["scaling_exponent"] = slope


# ============================================================================ outputs
def body(frame) -> list[str]:
    ok = frame[frame.status == "ok"]
    if ok.empty:
        return ["Nothing measured."]
    sizes = sorted(ok.n_journeys.unique())
    order = list(dict.fromkeys(frame.model))
    lines = [
        "`wall_s`: one `get_model(name, **params).fit(journeys).attribute()` in a fresh "
        "process after a warm-up (median over processes); peak memory: the process's "
        "high-water mark during that call, the loaded journeys included. The floor is one "
        "weighted `np.bincount` over the order-1 transitions of the same data. "
        "Background load per measurement is in the CSV (`background_load`, cores).",
    ]
    for c in sorted(ok.n_channels.unique()):
        sub = ok[ok.n_channels == c]
        t = sub.pivot_table(index="model", columns="n_journeys", values="wall_s", aggfunc="first")
        t = t.reindex(index=[m for m in order if m in t.index])
        big = sub.sort_values("n_journeys").groupby("model").tail(1).set_index("model")
        t.columns = [f"{fmt_n(x)} s" for x in t.columns]
        t["slope"] = big["scaling_exponent"]
        t["largest n"] = [fmt_n(v) for v in big.reindex(t.index)["n_journeys"]]
        t["journeys/s there"] = big["journeys_per_s"]
        t["x floor there"] = big["ratio_to_floor"]
        t["peak MB there"] = big["peak_mem_mb"]
        lines += ["", f"## {c} channels", "", *md_table(t, 3)]
    lines += [
        "",
        "`slope`: least-squares slope of log time against log n_journeys (1 = linear); "
        f"sizes measured: {', '.join(fmt_n(s) for s in sizes)}.",
    ]
    return lines + load_lines(ok)


def plot_speed(frame, path) -> None:
    import matplotlib.pyplot as plt

    ok = frame[frame.status == "ok"]
    channels = sorted(ok.n_channels.unique()) or [0]
    fig, axes = plt.subplots(
        1, len(channels), figsize=(6 * len(channels), 6), sharey=True, squeeze=False
    )
    order = [m for m in dict.fromkeys(frame.model) if m != "floor"]
    cmap = plt.get_cmap("tab20")
    colors = {m: cmap(i % 20) for i, m in enumerate(order)}
    for ax, c in zip(axes.ravel(), channels, strict=True):
        sub = ok[ok.n_channels == c]
        fl = sub[sub.model == "floor"].sort_values("n_journeys")
        ax.plot(fl.n_journeys, fl.wall_s, "k-", lw=3, label="floor: one np.bincount")
        for m in order:
            g = sub[sub.model == m].sort_values("n_journeys")
            if g.empty:
                continue
            style = ":" if m.startswith("shapley") else ("--" if m.startswith("markov") else "-")
            ax.plot(g.n_journeys, g.wall_s, style, marker="o", ms=3, color=colors[m], label=m)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_title(f"{c} channels")
        ax.set_xlabel("n_journeys")
        ax.grid(True, which="both", alpha=0.3)
    axes[0, 0].set_ylabel("fit + attribute wall time (s), fresh process")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    for ax in axes.ravel()[1:]:
        for h, lab in zip(*ax.get_legend_handles_labels(), strict=True):
            if lab not in labels:
                handles.append(h)
                labels.append(lab)
    fig.legend(handles, labels, loc="center right", fontsize=8, frameon=False)
    fig.suptitle("Speed: time against n_journeys (log-log)")
    fig.tight_layout(rect=(0, 0, 0.8, 1))
    fig.savefig(path, dpi=110)
    plt.close(fig)


PLOTS = {"speed.png": plot_speed}
