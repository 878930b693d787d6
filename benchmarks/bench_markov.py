"""Markov benchmark: exact removal-effect attribution against ChannelAttribution and a floor.

For n_journeys in 1e4, 1e5, 1e6 and 1e7, 10 and 20 channels and chain orders 1, 2 and 3,
this script times and measures the peak memory of

(a) **ours**: ``MarkovAttribution(order=k).fit(journeys).attribute()`` on journeys built
    with the ``Journeys`` constructor from their CSR arrays (model ``markov``);
(b) **ours end to end**: ``Journeys.from_path_table(df)`` followed by the same fit and
    attribute, from the path-table DataFrame that ChannelAttribution gets
    (model ``markov (from_path_table)``): the fair comparison, since ChannelAttribution
    parses the path strings itself;
(c) **ChannelAttribution** (the ``peers`` extra; n_journeys <= 1e6):
    ``markov_model(df, var_path="path", var_conv="total_conversions",
    var_null="total_null", order=k, sep=">", out_more=True, verbose=False,
    flg_pro=False)`` with its default ``conv_par=0.05`` and with ``conv_par=0.01``
    (everything else default: ``ncore=1``, ``nsim_start=1e5``, ``max_step=None``,
    ``seed=0``), with the largest deviation of its removal effects and credit from our
    exact answer on the same data;
(d) **the floor**: one weighted ``np.bincount`` over every order-1 transition of the same
    data, the least any method that counts transitions must do.

Data
----
Raw, unaggregated journeys, one row per customer, as ChannelAttribution users pass them
(every row counts one customer: ``total_conversions`` is 0 or 1 and ``total_null`` is
``1 - total_conversions``; paths repeat). With ``rng = numpy.random.default_rng([seed,
n_journeys, n_channels])``:

- channels ``ch00 .. ch{n-1}``, ``chK`` being the (K+1)-th most popular: every touch
  draws its channel independently with probability proportional to ``1 / rank``;
- lengths geometric with mean 5, capped at 30 touches;
- a journey converts with probability ``logistic(-3.2 + sum of beta over its touches)``,
  ``beta = 0.1`` for ch00, ``0.9`` for ch01, ``0.6`` for ch04, ``0.4`` for ch07 and 0
  otherwise, so removal effects differ from reach alone (about 17% convert).

The path table is ``Journeys.to_path_table()`` (``path`` as ``"ch03 > ch00 > ch01"``,
``total_conversions``, ``total_conversion_value`` = 0, ``total_null``), stored as Parquet
and read back with ``pandas.read_parquet`` before the timer starts, so both libraries get
the same DataFrame.

Method
------
Every timed run is a fresh subprocess (this script with the hidden ``--worker`` flag),
as in ``bench_foundation.py``, whose measurement helpers it imports. The worker imports
the packages, warms up on 200 journeys from the same generator (the same operation at the
same order, so lazy imports and first calls are not timed; path-table runs also on the 200
rows repeated 4 times, so that the parser's path for repeated paths is warm too), loads
its data, runs
``gc.collect()``, resets the kernel's peak-RSS mark (``/proc/self/clear_refs``) and runs
the operation once under ``time.perf_counter``: ``wall_s`` is this *first call*, and
``peak_mb`` the process's high-water mark during it (``VmHWM``), which includes the
loaded data. Our runs then call the operation a second time in the same process
(``repeat_wall_s``). ``wall_s`` is the median over ``--repeats`` processes for our runs
and for ChannelAttribution runs whose first run took under 10 s; slower
ChannelAttribution runs are run once. All ratios to ChannelAttribution compare first calls.

The floor's codes are ``channel * (n_channels + 2) + next event`` for every touch, where
the next event is the next touch's channel or, after a journey's last touch, its outcome
(``n_channels`` for a conversion, ``n_channels + 1`` for a null), with per-touch weights
(the journey's customers; for a last touch its conversions or nulls). They are computed
before timing; the floor is the median of 7 calls of ``np.bincount(codes,
weights=weights, minlength=n_channels * (n_channels + 2))`` in one process after an
untimed call. ``ratio_to_floor`` is ``wall_s`` over it (``ratio_to_floor_repeat`` uses
``repeat_wall_s``); for orders 2 and 3 it is relative to the same order-1 floor.
``floor_unweighted_s`` in the CSV times the same bincount without weights (our counting
uses an unweighted bincount when every journey counts one customer, as here).

Exactness: ``max_re_dev`` is ``max_c |RE_c - RE_c(exact)|`` and ``max_credit_rel_dev``
``max_c |credit_c - credit_c(exact)| / credit_c(exact)``, where the exact answer is our
run from CSR arrays at the same size, channel count and order. Our from_path_table rows
must show 0. Our solver's certified bound on the error of every removal effect is
``error_bound`` (0 for sparse LU); at the smallest size the removal effects of chains
of up to 1,500 states are also compared with the dense, by-definition reference
``attribution_lab.markov._reference.reference_removal_effects`` (column ``check``).

Limits: ChannelAttribution runs only up to 1e6 journeys. A run whose estimated time
exceeds ``--ca-limit`` seconds (default 150) is skipped and recorded with the reason; the
estimate is its time at the previous size times the cube root of the size ratio (2.15 per
factor of 10): its parse grows linearly, but the simulation that dominates its slow runs
depends on convergence and on the number of states rather than on n (in a probe with 20
channels, its order-3 run with ``conv_par=0.01`` took 51 s, 80 s and about 170 s at 1e4,
1e5 and 1e6). A run still going after ``2 * --ca-limit`` seconds is stopped. Before each
size the memory of every task is estimated from the previous size (peak scaled linearly)
and a task that would need more than half of the available memory is skipped; a size that
would overrun ``--time-budget`` is skipped.

Outputs (in ``--out``, by default ``benchmarks/results/``): ``markov.csv`` (tidy, one row
per task x model x params x order x size x channel count), ``markov.md`` (tables and the
verdicts on the targets) and ``markov.png`` (log-log time against n_journeys).

Usage::

    python benchmarks/bench_markov.py             # 1e4 .. 1e7, 3 repeats: ~30 min on 2 cores
    python benchmarks/bench_markov.py --quick     # 1e4 only, 1 repeat
    python benchmarks/bench_markov.py --sizes 1e5,1e6 --channels 20 --orders 1,3 --seed 1
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import io
import json
import math
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

if __package__ in (None, ""):  # run as a script: make the benchmarks package importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks import _harness
from benchmarks._harness import (
    fmt,
    fmt_n,
    machine_info,
    measure_once,
    mem_available_bytes,
    package_digest,
    peak_mb,
    timed,
    tqdm,
)

SUITE = "markov"
DEFAULT_SIZES = (10_000, 100_000, 1_000_000, 10_000_000)
QUICK_SIZES = (10_000,)
DEFAULT_CHANNELS = (10, 20)
DEFAULT_ORDERS = (1, 2, 3)
CA_MAX_N = 1_000_000
CA_SETTINGS: tuple[float | None, ...] = (None, 0.01)  # None: ChannelAttribution's default
CA_SLOW_S = 10.0  # ChannelAttribution runs slower than this are run once
HERE = Path(__file__).resolve().parent
REPO = HERE.parent

# Data generator (see the module docstring).
MEAN_LENGTH = 5.0
MAX_LENGTH = 30
INTERCEPT = -3.2
EFFECTS = {0: 0.1, 1: 0.9, 4: 0.6, 7: 0.4}  # logit effect per touch, by popularity rank - 1
WARMUP_JOURNEYS = 200
FLOOR_CALLS = 7

# Targets.
TARGET_N = 1_000_000
TARGET_CHANNELS = 20
TARGET_CA_ORDER1 = 8.0  # order 1 at least 8x faster than ChannelAttribution's default
TARGET_CA_ORDER3 = 5.0  # order 3 at least 5x faster than ChannelAttribution's order 3
TARGET_FLOOR = 4.0  # order 1 within 4x of the bincount floor
EXACT_TOL = 1e-8  # "exact": removal effects certified to this absolute error
REFERENCE_MAX_STATES = 1500
MEMORY_FRACTION = 0.5
BUSY_LOAD = 0.25  # background load (cores) above which a measurement is flagged
STATIC_BYTES_PER_JOURNEY = 2000
STATIC_BASE_BYTES = 400 * 2**20

MODEL_OURS = "markov"
MODEL_OURS_TABLE = "markov (from_path_table)"
MODEL_CA = "ChannelAttribution.markov_model"
MODEL_FLOOR = "np.bincount"


# ============================================================================ data
def channel_names(n_channels: int) -> list[str]:
    return [f"ch{k:02d}" for k in range(n_channels)]


def synth_journeys(n: int, n_channels: int, seed: int) -> dict[str, Any]:
    """Raw journeys as CSR arrays; see the module docstring for the process."""
    rng = np.random.default_rng([seed, n, n_channels])
    popularity = 1.0 / np.arange(1, n_channels + 1)
    popularity /= popularity.sum()
    lengths = np.minimum(rng.geometric(1.0 / MEAN_LENGTH, n), MAX_LENGTH)
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    channels = rng.choice(n_channels, size=int(offsets[-1]), p=popularity).astype(np.int32)
    beta = np.zeros(n_channels)
    for k, b in EFFECTS.items():
        if k < n_channels:
            beta[k] = b
    journey = np.repeat(np.arange(n), lengths)
    logit = INTERCEPT + np.bincount(journey, weights=beta[channels], minlength=n)
    conversions = (rng.random(n) < 1.0 / (1.0 + np.exp(-logit))).astype(np.float64)
    return {
        "channels": channels,
        "offsets": offsets,
        "names": channel_names(n_channels),
        "conversions": conversions,
        "nulls": 1.0 - conversions,
    }


def floor_codes(d: dict[str, Any]) -> tuple[np.ndarray, np.ndarray, int]:
    """Order-1 transition codes of every touch, their weights and the number of cells."""
    channels, offsets = d["channels"], d["offsets"]
    conv, null = d["conversions"], d["nulls"]
    n = len(d["names"])
    width = n + 2
    lengths = np.diff(offsets)
    last = offsets[1:] - 1
    code = channels.astype(np.int64) * width
    code[:-1] += channels[1:]
    code[last] = channels[last].astype(np.int64) * width + np.where(conv > 0, n, n + 1)
    weights = np.repeat(conv + null, lengths)
    weights[last] = np.where(conv > 0, conv, null)
    return code, weights, n * width


def make_dataset(n: int, n_channels: int, seed: int, prefix: str) -> dict[str, Any]:
    """Write the CSR arrays, the path table and the floor's codes under `prefix`."""
    from attribution_lab import Journeys

    d = synth_journeys(n, n_channels, seed)
    for key in ("channels", "offsets", "conversions", "nulls"):
        np.save(f"{prefix}_{key}.npy", d[key])
    code, weights, cells = floor_codes(d)
    np.save(f"{prefix}_codes.npy", code)
    np.save(f"{prefix}_weights.npy", weights)
    journeys = Journeys(d["channels"], d["offsets"], d["names"], d["conversions"], d["nulls"])
    table = journeys.to_path_table()
    table.to_parquet(prefix + "_table.parquet", index=False)
    meta = {
        "n_journeys": n,
        "n_channels": n_channels,
        "n_touchpoints": int(d["channels"].size),
        "n_distinct_paths": int(table["path"].nunique()),
        "conversion_rate": float(d["conversions"].mean()),
        "cells": cells,
        "names": d["names"],
    }
    with open(prefix + "_meta.json", "w") as fh:
        json.dump(meta, fh)
    return meta


def _load_journeys(prefix: str):
    from attribution_lab import Journeys

    with open(prefix + "_meta.json") as fh:
        names = json.load(fh)["names"]
    arrays = [np.load(f"{prefix}_{k}.npy") for k in ("channels", "offsets", "conversions", "nulls")]
    return Journeys(arrays[0], arrays[1], names, arrays[2], arrays[3])


def _warmup_journeys(n_channels: int, seed: int):
    from attribution_lab import Journeys

    d = synth_journeys(WARMUP_JOURNEYS, n_channels, seed + 1)
    return Journeys(d["channels"], d["offsets"], d["names"], d["conversions"], d["nulls"])


def _import_ca():
    with contextlib.redirect_stdout(io.StringIO()):  # it prints a banner on import
        import ChannelAttribution

    return ChannelAttribution


def _ca_call(ca, frame, order: int, conv_par: float | None):
    kw = {} if conv_par is None else {"conv_par": conv_par}
    return ca.markov_model(
        frame,
        var_path="path",
        var_conv="total_conversions",
        var_null="total_null",
        order=order,
        sep=">",
        out_more=True,
        verbose=False,
        flg_pro=False,
        **kw,
    )


# ============================================================================ worker
def run_worker(spec: dict[str, Any]) -> dict[str, Any]:
    """One measured run in this (fresh) process; see the module docstring."""
    kind = spec["kind"]
    if kind == "generate":
        t0 = time.perf_counter()
        meta = make_dataset(spec["n"], spec["n_channels"], spec["seed"], spec["prefix"])
        return {**meta, "generate_s": time.perf_counter() - t0, "peak_mb": peak_mb()}

    prefix = spec["prefix"]
    result: dict[str, Any] = {}
    if kind == "floor":
        code = np.load(prefix + "_codes.npy")
        weights = np.load(prefix + "_weights.npy")
        cells = spec["cells"]
        np.bincount(code, weights=weights, minlength=cells)
        first = measure_once(lambda: np.bincount(code, weights=weights, minlength=cells))
        del first["out"]
        times, plain = [], []
        for _ in range(FLOOR_CALLS):
            t0 = time.perf_counter()
            np.bincount(code, weights=weights, minlength=cells)
            times.append(time.perf_counter() - t0)
        for _ in range(FLOOR_CALLS):
            t0 = time.perf_counter()
            np.bincount(code, minlength=cells)
            plain.append(time.perf_counter() - t0)
        result.update(first)
        result.update(
            {
                "wall_s": float(np.median(times)),
                "times": times,
                "unweighted_s": float(np.median(plain)),
            }
        )
        return result

    if kind == "reference":
        from attribution_lab.markov._reference import reference_counts, reference_removal_effects

        journeys = _load_journeys(prefix)
        effects, _ = reference_removal_effects(
            reference_counts(journeys, spec["order"]), journeys.n_channels
        )
        return {"removal_effects": effects.tolist()}

    warm = _warmup_journeys(spec["n_channels"], spec["seed"])
    order = spec["order"]
    if kind == "ours":
        import pandas as pd

        from attribution_lab import Journeys
        from attribution_lab.markov import MarkovAttribution

        result["package_digest"] = package_digest()

        def fit(journeys):
            model = MarkovAttribution(order=order).fit(journeys)
            return model, model.attribute()

        if spec["variant"] == "csr":
            fit(warm)
            journeys = _load_journeys(prefix)

            def op():
                return fit(journeys)
        else:
            small = warm.to_path_table()
            fit(Journeys.from_path_table(small))
            fit(Journeys.from_path_table(pd.concat([small] * 4, ignore_index=True)))
            frame = pd.read_parquet(prefix + "_table.parquet")

            def op():
                return fit(Journeys.from_path_table(frame))

        result.update(measure_once(op))
        model, attribution = result.pop("out")
        del model, attribution
        gc.collect()
        (model, attribution), repeat, _, _ = timed(op)
        result.update(
            {
                "repeat_wall_s": repeat,
                "n_states": model.chain_.n_states,
                "solver": model.solver_["method"],
                "error_bound": model.solver_["error_bound"],
                "removal_effects": model.removal_effects_.to_numpy().tolist(),
                "credit": np.asarray(attribution.conversions).tolist(),
                "channel_names": list(attribution.channel_names),
            }
        )
        return result
    if kind == "ca":
        import pandas as pd

        ca = _import_ca()
        conv_par = spec["conv_par"]
        small = warm.to_path_table()
        _ca_call(ca, small, order, conv_par)
        _ca_call(ca, pd.concat([small] * 4, ignore_index=True), order, conv_par)
        frame = pd.read_parquet(prefix + "_table.parquet")
        result.update(measure_once(lambda: _ca_call(ca, frame, order, conv_par)))
        out = result.pop("out")
        re = out["removal_effects"].set_index("channel_name")
        credit = out["result"].set_index("channel_name")["total_conversions"]
        result.update(
            {
                "removal_effects": {str(k): float(v) for k, v in re.iloc[:, 0].items()},
                "credit": {str(k): float(v) for k, v in credit.items()},
            }
        )
        return result
    raise ValueError(f"unknown worker kind {kind!r}")


def call_worker(spec: dict[str, Any], timeout: float | None = None) -> dict[str, Any]:
    """Run one worker (this script with ``--worker``) in a fresh interpreter; its result.

    Adds ``worker_s`` and ``background_load`` (the CPU time other processes of the machine
    used meanwhile, in cores); see `benchmarks._harness.call_worker`.
    """
    return _harness.call_worker([sys.executable, str(Path(__file__).resolve())], spec, timeout)


# ============================================================================ orchestration
def _ca_version() -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("channelattribution")
    except PackageNotFoundError:
        return None


def _ca_label(conv_par: float | None) -> str:
    return "defaults (conv_par=0.05)" if conv_par is None else f"conv_par={conv_par:g}"


def deviations(
    exact: dict[str, Any], names: list[str], re: Any, credit: Any
) -> tuple[float, float]:
    """Largest absolute removal-effect and relative credit deviation from `exact`."""
    if isinstance(re, dict):  # ChannelAttribution: by channel name (absent: 0)
        re = [re.get(c, 0.0) for c in names]
        credit = [credit.get(c, 0.0) for c in names]
    re_exact = np.asarray(exact["removal_effects"])
    credit_exact = np.asarray(exact["credit"])
    re_dev = float(np.max(np.abs(np.asarray(re) - re_exact)))
    rel = np.abs(np.asarray(credit) - credit_exact) / np.where(
        credit_exact > 0, credit_exact, np.nan
    )
    return re_dev, float(np.nanmax(rel))


def _median(runs: list[dict[str, Any]], key: str) -> float:
    vals = [r[key] for r in runs if key in r]
    return float(np.median(vals)) if vals else float("nan")


def _max(runs: list[dict[str, Any]], key: str) -> float:
    vals = [r[key] for r in runs if key in r]
    return float(np.max(vals)) if vals else float("nan")


def _times(runs: list[dict[str, Any]], key: str) -> str:
    return " ".join(f"{r[key]:.4g}" for r in runs if key in r)


def _ca_growth(ratio: float) -> float:
    """Assumed growth of ChannelAttribution's time when n_journeys grows by `ratio`."""
    return ratio ** (1 / 3)


class Plan:
    """Time and memory estimates of every run, from the runs at the previous size.

    Records hold (size, channels, key, peak memory, worker time, operation time). Memory
    and our times scale linearly; ChannelAttribution's times by the cube root of the size
    ratio (see the module docstring).
    """

    def __init__(self, time_budget_s: float) -> None:
        self.records: list[dict[str, Any]] = []
        self.time_budget_s = time_budget_s
        self.started = time.perf_counter()

    def add(self, n: int, n_channels: int, key: str, result: dict[str, Any]) -> None:
        self.records.append({"n": n, "n_channels": n_channels, "key": key, **result})

    def _previous(self, n: int, n_channels: int, key: str) -> list[dict[str, Any]]:
        recs = [
            r
            for r in self.records
            if r["n"] < n and r["n_channels"] == n_channels and r["key"] == key and "error" not in r
        ]
        if not recs:
            return []
        m = max(r["n"] for r in recs)
        return [r for r in recs if r["n"] == m]

    def need_bytes(self, n: int, n_channels: int, key: str) -> tuple[float, str]:
        recs = [r for r in self._previous(n, n_channels, key) if r.get("peak_mb", 0) > 0]
        if not recs:
            return STATIC_BASE_BYTES + STATIC_BYTES_PER_JOURNEY * n, "static estimate"
        r = max(recs, key=lambda r: r["peak_mb"])
        return r["peak_mb"] * (n / r["n"]) * 2**20, f"from {r['peak_mb']:.0f} MB at {fmt_n(r['n'])}"

    def fits(self, n: int, n_channels: int, key: str) -> tuple[bool, str]:
        need, how = self.need_bytes(n, n_channels, key)
        avail = mem_available_bytes()
        ok = need <= MEMORY_FRACTION * avail
        return ok, (
            f"{key}, {n_channels} channels, n_journeys={fmt_n(n)}: estimated peak "
            f"{need / 2**30:.1f} GiB ({how}), "
            + ("fits" if ok else f"more than {MEMORY_FRACTION:.0%} of")
            + f" the {avail / 2**30:.1f} GiB available"
        )

    def ca_seconds(self, n: int, n_channels: int, key: str) -> float | None:
        """Estimated operation time of a ChannelAttribution run (None: no earlier size)."""
        recs = [r for r in self._previous(n, n_channels, key) if "wall_s" in r]
        if not recs:
            return None
        return max(r["wall_s"] for r in recs) * _ca_growth(n / recs[0]["n"])

    def worker_seconds(self, n: int, n_channels: int, key: str) -> float:
        """Estimated total time of one worker (start-up, warm-up and operation)."""
        recs = self._previous(n, n_channels, key)
        if not recs:
            return 0.0
        overhead = min((r["worker_s"] for r in self.records), default=2.0)
        scale = _ca_growth if key.startswith("ca") else (lambda x: x)
        return max(overhead + max(r["worker_s"] - overhead, 0.0) * scale(n / r["n"]) for r in recs)

    def remaining_s(self) -> float:
        return self.time_budget_s - (time.perf_counter() - self.started)


def _common(n: int, n_channels: int, meta: dict[str, Any], args) -> dict[str, Any]:
    return {
        "suite": SUITE,
        "n_journeys": n,
        "n_channels": n_channels,
        "n_touchpoints": meta["n_touchpoints"],
        "n_distinct_paths": meta["n_distinct_paths"],
        "conversion_rate": meta["conversion_rate"],
        "seed": args.seed,
    }


def bench_size(
    n: int,
    n_channels: int,
    args: argparse.Namespace,
    workdir: str,
    machine: dict[str, Any],
    plan: Plan,
    notes: list[str],
) -> list[dict[str, Any]]:
    """All measurements at one size and channel count."""
    where = f"{n_channels} channels, n_journeys={fmt_n(n)}"
    ca_ok = machine["channelattribution"] is not None
    keys = ["generate", "floor"] + [f"ours-{v}-{k}" for v in ("csr", "table") for k in args.orders]
    ca_keys = [(k, cp) for k in args.orders for cp in CA_SETTINGS]
    if ca_ok and n <= CA_MAX_N:
        keys += [f"ca-{k}-{cp}" for k, cp in ca_keys]
    todo = []
    for key in keys:
        ok, msg = plan.fits(n, n_channels, key)
        if ok:
            todo.append(key)
        else:
            print(msg)
            notes.append(msg + ": skipped.")
    if "generate" not in todo:
        return []
    estimate = sum(
        plan.worker_seconds(n, n_channels, key)
        * (1 if key in ("generate", "floor") else args.repeats)
        for key in todo
    )
    if estimate:
        print(f"{where}: estimated {estimate / 60:.1f} min")
    if plan.time_budget_s and estimate > plan.remaining_s():
        note = (
            f"{where} skipped: estimated {estimate / 60:.0f} min, more than the "
            f"{max(plan.remaining_s(), 0) / 60:.0f} min left of --time-budget."
        )
        print(note)
        notes.append(note)
        return []

    prefix = os.path.join(workdir, f"c{n_channels}_{n}")
    rows: list[dict[str, Any]] = []
    n_ours = sum(k.startswith("ours") for k in todo)
    n_ca = sum(k.startswith("ca") for k in todo)
    with tqdm(total=2 + n_ours * args.repeats + n_ca, desc=where) as bar:
        bar.set_postfix_str("generating")
        meta = call_worker(
            {
                "kind": "generate",
                "n": n,
                "n_channels": n_channels,
                "seed": args.seed,
                "prefix": prefix,
            }
        )
        plan.add(n, n_channels, "generate", meta)
        bar.update()
        if "error" in meta:
            notes.append(f"{where}: data generation failed: {meta['error']}")
            return []
        common = _common(n, n_channels, meta, args)
        names = meta["names"]

        # (d) the floor
        bar.set_postfix_str("floor")
        floor = call_worker({"kind": "floor", "prefix": prefix, "cells": meta["cells"]})
        plan.add(n, n_channels, "floor", floor)
        bar.update()
        floor_s = floor.get("wall_s", float("nan"))
        rows.append(
            {
                **common,
                "task": "floor",
                "model": MODEL_FLOOR,
                "params": "weighted, order-1 transition codes",
                "order": 1,
                "n_states": n_channels,
                "repeats": FLOOR_CALLS,
                "wall_s": floor_s,
                "wall_times_s": " ".join(f"{t:.4g}" for t in floor.get("times", [])),
                "floor_unweighted_s": floor.get("unweighted_s"),
                "background_load": floor.get("background_load"),
                "peak_mb": floor.get("peak_mb"),
                "rss_increment_mb": floor.get("rss_increment_mb"),
                "error": floor.get("error", ""),
                **machine,
            }
        )

        # (a), (b) ours, from CSR arrays and from the path table; repeats interleaved
        ours: dict[tuple[str, int], list[dict[str, Any]]] = {}
        for r in range(args.repeats):
            for variant in ("csr", "table"):
                for order in args.orders:
                    key = f"ours-{variant}-{order}"
                    if key not in todo:
                        continue
                    bar.set_postfix_str(f"{variant} order {order} {r + 1}/{args.repeats}")
                    res = call_worker(
                        {
                            "kind": "ours",
                            "variant": variant,
                            "order": order,
                            "prefix": prefix,
                            "n_channels": n_channels,
                            "seed": args.seed,
                        }
                    )
                    ours.setdefault((variant, order), []).append(res)
                    plan.add(n, n_channels, key, res)
                    bar.update()
        exact: dict[int, dict[str, Any]] = {}
        for order in args.orders:
            runs = [x for x in ours.get(("csr", order), []) if "error" not in x]
            if runs:
                exact[order] = runs[0]
        for (variant, order), runs in ours.items():
            ok = [x for x in runs if "error" not in x]
            first = ok[0] if ok else {}
            wall = _median(ok, "wall_s")
            repeat = _median(ok, "repeat_wall_s")
            re_dev = credit_dev = float("nan")
            if first and order in exact:
                re_dev, credit_dev = deviations(
                    exact[order], names, first["removal_effects"], first["credit"]
                )
            rows.append(
                {
                    **common,
                    "task": "fit+attribute" if variant == "csr" else "parse+fit+attribute",
                    "model": MODEL_OURS if variant == "csr" else MODEL_OURS_TABLE,
                    "params": f"order={order}",
                    "order": order,
                    "n_states": first.get("n_states"),
                    "repeats": len(ok),
                    "wall_s": wall,
                    "wall_times_s": _times(ok, "wall_s"),
                    "repeat_wall_s": repeat,
                    "repeat_wall_times_s": _times(ok, "repeat_wall_s"),
                    "cpu_user_s": _median(ok, "cpu_user_s"),
                    "cpu_sys_s": _median(ok, "cpu_sys_s"),
                    "peak_mb": _max(ok, "peak_mb"),
                    "rss_increment_mb": _max(ok, "rss_increment_mb"),
                    "ratio_to_floor": wall / floor_s,
                    "ratio_to_floor_repeat": repeat / floor_s,
                    "max_re_dev": re_dev,
                    "max_credit_rel_dev": credit_dev,
                    "background_load": _max(runs, "background_load"),
                    "solver": first.get("solver"),
                    "error_bound": first.get("error_bound"),
                    "package_digest": "+".join(sorted({x["package_digest"] for x in ok})),
                    "error": "; ".join(sorted({x["error"] for x in runs if "error" in x})),
                    **machine,
                }
            )

        # exactness check against the dense reference, at the smallest size
        if n == min(args.sizes):
            for order, ex in exact.items():
                row = next(x for x in rows if x["model"] == MODEL_OURS and x["order"] == order)
                if ex["n_states"] > REFERENCE_MAX_STATES:
                    row["check"] = f"reference not run ({ex['n_states']:,} states)"
                    continue
                bar.set_postfix_str(f"reference order {order}")
                ref = call_worker({"kind": "reference", "prefix": prefix, "order": order})
                if "error" in ref:
                    row["check"] = f"reference failed: {ref['error']}"
                    continue
                dev = float(
                    np.max(np.abs(np.asarray(ref["removal_effects"]) - ex["removal_effects"]))
                )
                row["check"] = f"dense reference: max |dRE| = {dev:.1e}"

        # (c) ChannelAttribution
        if not ca_ok:
            if n == min(args.sizes):
                notes.append(
                    "ChannelAttribution is not installed (pip install -e .[peers]): not run."
                )
        elif n > CA_MAX_N:
            pass
        else:
            for order, conv_par in ca_keys:
                key = f"ca-{order}-{conv_par}"
                if key not in todo:
                    continue
                base = {
                    **common,
                    "task": "parse+fit+attribute",
                    "model": MODEL_CA,
                    "params": _ca_label(conv_par),
                    "order": order,
                    "n_states": exact.get(order, {}).get("n_states"),
                    **machine,
                }
                est = plan.ca_seconds(n, n_channels, key)
                if est is not None and est > args.ca_limit:
                    note = (
                        f"ChannelAttribution order {order}, {_ca_label(conv_par)}, {where}: "
                        f"skipped, estimated {est:.0f} s (over --ca-limit {args.ca_limit:g} s)"
                    )
                    notes.append(note)
                    rows.append({**base, "repeats": 0, "note": note})
                    bar.update()
                    continue
                runs = []
                for r in range(args.repeats):
                    bar.set_postfix_str(
                        f"ChannelAttribution order {order} {_ca_label(conv_par)} {r + 1}"
                    )
                    res = call_worker(
                        {
                            "kind": "ca",
                            "order": order,
                            "conv_par": conv_par,
                            "prefix": prefix,
                            "n_channels": n_channels,
                            "seed": args.seed,
                        },
                        timeout=2 * args.ca_limit,
                    )
                    runs.append(res)
                    plan.add(n, n_channels, key, res)
                    if "error" in res or res["wall_s"] > CA_SLOW_S:
                        break
                bar.update()
                ok = [x for x in runs if "error" not in x]
                wall = _median(ok, "wall_s")
                re_dev = credit_dev = float("nan")
                if ok and order in exact:
                    re_dev, credit_dev = deviations(
                        exact[order], names, ok[0]["removal_effects"], ok[0]["credit"]
                    )
                ours_row = next(
                    (x for x in rows if x["model"] == MODEL_OURS and x["order"] == order), {}
                )
                table_row = next(
                    (x for x in rows if x["model"] == MODEL_OURS_TABLE and x["order"] == order), {}
                )
                error = "; ".join(sorted({x["error"] for x in runs if "error" in x}))
                rows.append(
                    {
                        **base,
                        "repeats": len(ok),
                        "wall_s": wall,
                        "wall_times_s": _times(ok, "wall_s"),
                        "cpu_user_s": _median(ok, "cpu_user_s"),
                        "cpu_sys_s": _median(ok, "cpu_sys_s"),
                        "peak_mb": _max(ok, "peak_mb"),
                        "rss_increment_mb": _max(ok, "rss_increment_mb"),
                        "ratio_to_floor": wall / floor_s,
                        "background_load": _max(runs, "background_load"),
                        "ca_over_ours": wall / ours_row.get("wall_s", float("nan")),
                        "ca_over_ours_table": wall / table_row.get("wall_s", float("nan")),
                        "max_re_dev": re_dev,
                        "max_credit_rel_dev": credit_dev,
                        "error": error,
                        "note": (f"CA run stopped: {error}" if error else ""),
                    }
                )
                if error:
                    notes.append(
                        f"ChannelAttribution order {order}, {_ca_label(conv_par)}, {where}: {error}"
                    )
    for f in Path(workdir).glob(f"c{n_channels}_{n}_*"):
        f.unlink()
    # CA speed-ups on our rows too
    for row in rows:
        if row["model"] in (MODEL_OURS, MODEL_OURS_TABLE):
            for conv_par in CA_SETTINGS:
                ca_row = next(
                    (
                        x
                        for x in rows
                        if x["model"] == MODEL_CA
                        and x["order"] == row["order"]
                        and x["params"] == _ca_label(conv_par)
                    ),
                    None,
                )
                col = "ca_default_over_this" if conv_par is None else "ca_conv_par_0.01_over_this"
                if ca_row is not None and "wall_s" in ca_row:
                    row[col] = ca_row["wall_s"] / row["wall_s"]
    return rows


# ============================================================================ outputs
COLUMNS = [
    # the tidy core
    "task",
    "model",
    "params",
    "order",
    "n_journeys",
    "n_channels",
    "n_states",
    "seed",
    "wall_s",
    "peak_mb",
    "ratio_to_floor",
    "max_re_dev",
    "max_credit_rel_dev",
    "note",
    # more about each measurement
    "suite",
    "repeats",
    "wall_times_s",
    "repeat_wall_s",
    "repeat_wall_times_s",
    "ratio_to_floor_repeat",
    "ca_default_over_this",
    "ca_conv_par_0.01_over_this",
    "ca_over_ours",
    "ca_over_ours_table",
    "floor_unweighted_s",
    "cpu_user_s",
    "cpu_sys_s",
    "rss_increment_mb",
    "background_load",
    "solver",
    "error_bound",
    "check",
    "error",
    "n_touchpoints",
    "n_distinct_paths",
    "conversion_rate",
    "package_digest",
    "python",
    "numpy",
    "pandas",
    "scipy",
    "channelattribution",
    "attribution_lab",
    "git_commit",
    "platform",
    "cpu",
    "n_cpus",
    "mem_gib",
    "date_utc",
]


def _row(frame, model: str, order: int, n: int, n_channels: int, params: str | None = None):
    sub = frame[
        (frame.model == model)
        & (frame.order == order)
        & (frame.n_journeys == n)
        & (frame.n_channels == n_channels)
    ]
    if params is not None:
        sub = sub[sub.params == params]
    return None if sub.empty else sub.iloc[0]


def _measured(r) -> bool:
    return r is not None and not (isinstance(r["wall_s"], float) and math.isnan(r["wall_s"]))


def _exact(r) -> tuple[bool, str]:
    bound = r["error_bound"]
    how = (
        "sparse LU (exact up to rounding)"
        if r["solver"] == "direct"
        else f"GMRES, certified error bound {bound:.1e}"
    )
    return bool(bound <= EXACT_TOL), how


def verdict_lines(frame) -> list[str]:
    """The verdicts on the three targets, at 1e6 journeys and 20 channels."""
    n, c = TARGET_N, TARGET_CHANNELS
    at = f"n_journeys={fmt_n(n)}, {c} channels"
    lines = []
    default = _ca_label(None)

    def vs_ca(order: int, target: float, title: str) -> None:
        ours = _row(frame, MODEL_OURS, order, n, c)
        table = _row(frame, MODEL_OURS_TABLE, order, n, c)
        cas = [(p, _row(frame, MODEL_CA, order, n, c, _ca_label(p))) for p in CA_SETTINGS]
        if not _measured(ours):
            lines.append(f"- **{title}**: not measured ({at}, order {order} not run).")
            return
        exact, how = _exact(ours)
        parts = []
        holds = []
        for p, ca in cas:
            if not _measured(ca):
                why = "" if ca is None else f" ({ca['note']})"
                parts.append(f"ChannelAttribution {_ca_label(p)}: not run{why}")
                continue
            r1, r2 = ca["wall_s"] / ours["wall_s"], ca["wall_s"] / table["wall_s"]
            r3 = ca["wall_s"] / table["repeat_wall_s"]
            parts.append(
                f"ChannelAttribution {_ca_label(p)} {ca['wall_s']:.2f} s: **{r1:.1f}x** "
                f"from arrays, **{r2:.1f}x** end to end ({r3:.1f}x against our repeated call), "
                f"its max |dRE| {ca['max_re_dev']:.3f} and max credit error "
                f"{100 * ca['max_credit_rel_dev']:.1f}%"
            )
            if p is None or order != 1:
                holds.append((p, r1 >= target, r2 >= target))
        verdict = []
        for p, h1, h2 in holds:
            label = "default" if p is None else _ca_label(p)
            if h1 and h2:
                verdict.append(f"against CA {label}: **holds** (both variants)")
            elif h1:
                verdict.append(
                    f"against CA {label}: **holds from arrays, not end to end** (limit {target:g}x)"
                )
            else:
                verdict.append(f"against CA {label}: **does not hold** (limit {target:g}x)")
        if order == 1:
            verdict.append(
                "exact: **yes** (" + how + ")" if exact else "exact: **no** (" + how + ")"
            )
        lines.append(
            f"- **{title}** ({at}): ours {ours['wall_s']:.3f} s from CSR arrays, "
            f"{table['wall_s']:.3f} s end to end from the path table; "
            + "; ".join(parts)
            + ". Verdict: "
            + ("; ".join(verdict) if verdict else "**not decided** (no ChannelAttribution run)")
            + "."
        )

    vs_ca(
        1,
        TARGET_CA_ORDER1,
        f"Order 1 at least {TARGET_CA_ORDER1:g}x faster than "
        f"ChannelAttribution ({default}), with exact results",
    )
    vs_ca(
        3,
        TARGET_CA_ORDER3,
        f"Order 3 at least {TARGET_CA_ORDER3:g}x faster than ChannelAttribution's order-3 run",
    )
    ours = _row(frame, MODEL_OURS, 1, n, c)
    floor = _row(frame, MODEL_FLOOR, 1, n, c)
    title = f"Order 1 within {TARGET_FLOOR:g}x of the bincount floor"
    if not (_measured(ours) and _measured(floor)):
        lines.append(f"- **{title}**: not measured ({at}).")
    else:
        r, rr = ours["ratio_to_floor"], ours["ratio_to_floor_repeat"]
        ok = r <= TARGET_FLOOR
        lines.append(
            f"- **{title}** ({at}): ours {ours['wall_s'] * 1e3:.1f} ms (repeated call "
            f"{ours['repeat_wall_s'] * 1e3:.1f} ms), floor {floor['wall_s'] * 1e3:.1f} ms "
            f"(unweighted {floor['floor_unweighted_s'] * 1e3:.1f} ms): ratio "
            f"**{r:.1f}x** (repeated call {rr:.1f}x). Verdict: "
            + ("**holds**." if ok else f"**does not hold** (limit {TARGET_FLOOR:g}x).")
        )
    return lines


def _sci(x: float) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    return "0" if x == 0 else f"{x:.1e}"


def _load_note(frame) -> str | None:
    """How busy the rest of the machine was during the runs (see `call_worker`)."""
    load = frame.background_load.dropna()
    if load.empty:
        return None
    busy = frame[frame.background_load > BUSY_LOAD]
    text = (
        "Background load (CPU time used by other processes during a measurement's runs, in "
        f"cores; the worst of its runs): median {load.median():.2f}, max {load.max():.2f}. "
    )
    if busy.empty:
        return text + f"No measurement ran beside more than {BUSY_LOAD:g} cores of other work."
    where = ", ".join(
        f"{r['model']} {r['params']} order {int(r['order'])} ({r['n_channels']} channels, "
        f"{fmt_n(r['n_journeys'])}: {r['background_load']:.2f})"
        for _, r in busy.iterrows()
    )
    return text + f"Measurements beside more than {BUSY_LOAD:g} cores of other work: {where}."


def write_markdown(frame, path: Path, notes: list[str], argv: list[str]) -> None:
    m = frame.iloc[0]
    sizes = sorted(frame.n_journeys.unique())
    channels = sorted(frame.n_channels.unique())
    orders = sorted(frame.order.dropna().unique())
    out = [
        "# Markov benchmark: exact removal effects against ChannelAttribution and a floor",
        "",
        f"`python benchmarks/bench_markov.py {' '.join(argv)}`".replace(" `", "`"),
        "",
        f"{m['date_utc']} · commit {m['git_commit']} · attribution_lab {m['attribution_lab']} · "
        f"ChannelAttribution {m['channelattribution']} · Python {m['python']}, numpy "
        f"{m['numpy']}, scipy {m['scipy']}, pandas {m['pandas']} · {m['cpu']}, {m['n_cpus']} "
        f"CPUs, {m['mem_gib']} GiB · seed {m['seed']}.",
        "",
        "Times are the first call of the operation in a fresh process after a warm-up on "
        "200 journeys; medians over processes (our runs: "
        f"{int(frame[frame.model == MODEL_OURS].repeats.max())}; ChannelAttribution: the "
        f"same below {CA_SLOW_S:g} s, else 1). Ratios to ChannelAttribution are its time "
        "over ours. *From arrays*: `MarkovAttribution(order=k).fit(j).attribute()` on "
        "journeys built from CSR arrays; *end to end*: `Journeys.from_path_table(df)` "
        "first, from the DataFrame ChannelAttribution gets. Deviations are from our exact "
        "removal effects and credit on the same data (max over channels; credit relative).",
        "",
        f"## Targets (n_journeys={fmt_n(TARGET_N)}, {TARGET_CHANNELS} channels)",
        "",
        *verdict_lines(frame),
    ]
    for c in channels:
        n_show = TARGET_N if TARGET_N in sizes else max(sizes)
        out += [
            "",
            f"## {c} channels, n_journeys={fmt_n(n_show)}",
            "",
            "| order | states | ours s (repeated call) | / floor | ours end to end s | "
            "CA default s | CA / ours (end to end) | CA max dRE | CA max credit err | "
            "CA conv_par=0.01 s | CA / ours (end to end) | CA max dRE | CA max credit err | "
            "our solver |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
        ]
        for k in orders:
            ours = _row(frame, MODEL_OURS, k, n_show, c)
            table = _row(frame, MODEL_OURS_TABLE, k, n_show, c)
            if not _measured(ours):
                continue
            cells = [
                str(int(k)),
                f"{int(ours['n_states']):,}",
                f"{fmt(ours['wall_s'])} ({fmt(ours['repeat_wall_s'])})",
                fmt(ours["ratio_to_floor"], 2),
                fmt(table["wall_s"]) if _measured(table) else "-",
            ]
            for p in CA_SETTINGS:
                ca = _row(frame, MODEL_CA, k, n_show, c, _ca_label(p))
                if _measured(ca):
                    cells += [
                        fmt(ca["wall_s"]),
                        f"{fmt(ca['ca_over_ours'], 3)} ({fmt(ca['ca_over_ours_table'], 3)})",
                        f"{ca['max_re_dev']:.4f}",
                        f"{100 * ca['max_credit_rel_dev']:.1f}%",
                    ]
                else:
                    cells += ["skipped" if ca is not None else "-", "-", "-", "-"]
            _, how = _exact(ours)
            cells.append(how)
            out.append("| " + " | ".join(cells) + " |")
    # time by size
    out += [
        "",
        "## Wall time (s) by n_journeys",
        "",
        "| channels | model | params | " + " | ".join(fmt_n(s) for s in sizes) + " |",
        "|---:|---|---|" + "---:|" * len(sizes),
    ]
    labels = (
        [(MODEL_FLOOR, None, None)]
        + [(MODEL_OURS, k, f"order={k}") for k in orders]
        + [(MODEL_OURS_TABLE, k, f"order={k}") for k in orders]
        + [(MODEL_CA, k, _ca_label(p)) for k in orders for p in CA_SETTINGS]
    )
    for c in channels:
        for model, k, params in labels:
            g = frame[(frame.model == model) & (frame.n_channels == c)]
            if params is not None:
                g = g[(g.order == k) & (g.params == params)]
            if g.empty:
                continue
            g = g.set_index("n_journeys")
            cells = []
            for s in sizes:
                if s not in g.index:
                    cells.append("-")
                elif _measured(g.loc[s]):
                    cells.append(fmt(g.loc[s, "wall_s"]))
                else:
                    cells.append("skipped")
            label = g["params"].iloc[0] if model != MODEL_CA else f"order={int(k)}, {params}"
            out.append(f"| {c} | {model} | {label} | " + " | ".join(cells) + " |")
    # memory, exactness
    out += [
        "",
        "## Peak memory and exactness",
        "",
        "Peak RSS (MB) is the process's high-water mark during the timed call, including "
        "the loaded data (our CSR arrays, or the path-table DataFrame).",
        "",
        "| channels | model | params | n_journeys | peak RSS MB | increment MB | "
        "max dRE | max credit err | solver / check |",
        "|---:|---|---|---:|---:|---:|---:|---:|---|",
    ]
    # every model's largest measured size
    mem = frame[(frame.model != MODEL_FLOOR) & frame.wall_s.notna()]
    mem = mem.sort_values("n_journeys").groupby(["model", "params", "n_channels"]).tail(1)
    for _, r in mem.sort_values(
        ["n_channels", "model", "order", "params", "n_journeys"]
    ).iterrows():
        extra = r["check"] if isinstance(r.get("check"), str) and r["check"] else ""
        if r["model"] != MODEL_CA and isinstance(r["solver"], str):
            extra = _exact(r)[1] + (f"; {extra}" if extra else "")
        label = r["params"] if r["model"] != MODEL_CA else f"order={int(r['order'])}, {r['params']}"
        out.append(
            f"| {r['n_channels']} | {r['model']} | {label} | {fmt_n(r['n_journeys'])} | "
            f"{fmt(r['peak_mb'])} | {fmt(r['rss_increment_mb'])} | {_sci(r['max_re_dev'])} | "
            f"{_sci(r['max_credit_rel_dev'])} | {extra} |"
        )
    checks = frame[frame.check.fillna("") != ""]
    if not checks.empty:
        out += ["", "Checks at the smallest size:", ""]
        out += [
            f"- {r['n_channels']} channels, order {int(r['order'])}: {r['check']}"
            for _, r in checks.iterrows()
        ]
    errors = frame[frame.error.fillna("") != ""]
    load = _load_note(frame)
    notes = [*notes, load] if load else notes
    if notes or not errors.empty:
        out += ["", "## Notes", ""]
        out += [f"- {note}" for note in dict.fromkeys(notes)]
        out += [
            f"- error in {r['model']} {r['params']} order {r['order']}, "
            f"{r['n_channels']} channels, n={fmt_n(r['n_journeys'])}: {r['error']}"
            for _, r in errors.iterrows()
            if not str(r.get("note") or "").startswith("CA run stopped")
        ]
    out += [
        "",
        "Data: raw journeys (one customer per row), Zipf channel popularity, geometric "
        f"lengths (mean {MEAN_LENGTH:g}, at most {MAX_LENGTH}), conversions from a logistic "
        "model with a few strong channels; see the script's docstring. Tidy data: "
        "`markov.csv`; plot: `markov.png`.",
        "",
    ]
    path.write_text("\n".join(out))


def write_plot(frame, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    channels = sorted(frame.n_channels.unique())
    orders = sorted(frame.order.dropna().unique())
    colors = {1: "tab:blue", 2: "tab:orange", 3: "tab:green"}
    styles = {
        (MODEL_OURS, None): ("-", "o", "ours"),
        (MODEL_OURS_TABLE, None): ("--", "s", "ours end to end (from_path_table)"),
        (MODEL_CA, _ca_label(None)): (":", "^", "ChannelAttribution default"),
        (MODEL_CA, _ca_label(0.01)): ("-.", "v", "ChannelAttribution conv_par=0.01"),
    }
    fig, axes = plt.subplots(
        1, len(channels), figsize=(6.5 * len(channels), 7), sharex=True, sharey=True
    )
    for ax, c in zip(np.atleast_1d(axes), channels, strict=True):
        sub = frame[(frame.n_channels == c) & frame.wall_s.notna()]
        fl = sub[sub.model == MODEL_FLOOR].sort_values("n_journeys")
        ax.plot(fl.n_journeys, fl.wall_s, "k-", lw=2.5, label="floor: one np.bincount")
        for (model, params), (ls, marker, label) in styles.items():
            for k in orders:
                g = sub[(sub.model == model) & (sub.order == k)]
                if params is not None:
                    g = g[g.params == params]
                if g.empty:
                    continue
                g = g.sort_values("n_journeys")
                ax.plot(
                    g.n_journeys,
                    g.wall_s,
                    ls=ls,
                    marker=marker,
                    color=colors.get(int(k), "grey"),
                    lw=1.5,
                    label=f"{label}, order {int(k)}",
                )
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_title(f"{c} channels")
        ax.set_xlabel("n_journeys")
        ax.grid(True, which="both", alpha=0.3)
    np.atleast_1d(axes)[0].set_ylabel("median wall time (s), first call in a fresh process")
    handles, labels = np.atleast_1d(axes)[0].get_legend_handles_labels()
    ncol = 2 if len(channels) == 1 else 4
    fig.legend(handles, labels, loc="lower center", ncol=ncol, fontsize=8, frameon=False)
    fig.suptitle("attribution_lab Markov benchmark: fit + attribute time against data size")
    fig.tight_layout(rect=(0, 0.3 if ncol == 2 else 0.17, 1, 1))
    fig.savefig(path, dpi=130)
    plt.close(fig)


def write_outputs(rows: list[dict[str, Any]], out: Path, notes: list[str], argv: list[str]) -> None:
    import pandas as pd

    if not rows:
        return
    frame = pd.DataFrame(rows).reindex(columns=COLUMNS)
    frame["note"] = frame["note"].fillna("")
    out.mkdir(parents=True, exist_ok=True)
    frame.to_csv(out / f"{SUITE}.csv", index=False)
    write_markdown(frame, out / f"{SUITE}.md", notes, argv)
    write_plot(frame, out / f"{SUITE}.png")


# ============================================================================ main
def _int_list(s: str) -> list[int]:
    return [int(float(x)) for x in s.split(",") if x.strip()]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--sizes",
        type=_int_list,
        default=None,
        help="comma-separated n_journeys (default 1e4,1e5,1e6,1e7; --quick: 1e4)",
    )
    p.add_argument(
        "--channels",
        type=_int_list,
        default=list(DEFAULT_CHANNELS),
        help="comma-separated channel counts (default 10,20)",
    )
    p.add_argument(
        "--orders",
        type=_int_list,
        default=list(DEFAULT_ORDERS),
        help="comma-separated chain orders (default 1,2,3)",
    )
    p.add_argument("--repeats", type=int, default=None, help="runs per measurement (default 3)")
    p.add_argument("--quick", action="store_true", help="1e4 only, 1 repeat")
    p.add_argument("--seed", type=int, default=0, help="seed of the data generator")
    p.add_argument("--out", type=Path, default=HERE / "results", help="output folder")
    p.add_argument(
        "--ca-limit",
        type=float,
        default=150.0,
        help="seconds; skip ChannelAttribution runs estimated to take longer",
    )
    p.add_argument(
        "--time-budget",
        type=float,
        default=40.0,
        help="minutes; a size whose estimated time exceeds what is left is skipped (0: no limit)",
    )
    p.add_argument("--worker", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.sizes is None:
        args.sizes = list(QUICK_SIZES if args.quick else DEFAULT_SIZES)
    if args.repeats is None:
        args.repeats = 1 if args.quick else 3
    if args.repeats < 1:
        p.error("--repeats must be >= 1")
    return args


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    if args.worker:
        print("RESULT " + json.dumps(run_worker(json.loads(args.worker))), flush=True)
        return 0

    import scipy

    machine = {**machine_info(), "scipy": scipy.__version__, "channelattribution": _ca_version()}
    print(
        f"{SUITE}: sizes {', '.join(fmt_n(n) for n in args.sizes)}; channels "
        f"{args.channels}; orders {args.orders}; {args.repeats} repeat(s); seed {args.seed}; "
        f"ChannelAttribution {machine['channelattribution'] or 'not installed'}"
    )
    notes: list[str] = []
    for n in DEFAULT_SIZES:
        if n not in args.sizes:
            notes.append(f"n_journeys={fmt_n(n)} not run (not in --sizes).")
    if machine["channelattribution"] and any(n > CA_MAX_N for n in args.sizes):
        notes.append(f"ChannelAttribution runs only up to n_journeys={fmt_n(CA_MAX_N)}.")
    rows: list[dict[str, Any]] = []
    workdir = tempfile.mkdtemp(prefix="bench_markov_")
    started = time.perf_counter()
    plan = Plan(60.0 * args.time_budget)
    try:
        for n in sorted(args.sizes):
            for c in args.channels:
                rows += bench_size(n, c, args, workdir, machine, plan, notes)
                write_outputs(rows, args.out, notes, argv)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    if rows:
        write_outputs(rows, args.out, notes, argv)
        import pandas as pd

        print("\n".join(verdict_lines(pd.DataFrame(rows).reindex(columns=COLUMNS))))
        print(f"done in {(time.perf_counter() - started) / 60:.1f} min; results in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
