"""Foundation benchmark: path-table parsing and rule models against data size.

For n_journeys in 1e4, 1e5, 1e6 and 1e7 and two data shapes, this script

(a) writes a path table in ChannelAttribution's format
    (``path;total_conversions;total_conversion_value;total_null``, paths like
    ``alpha > beta > gamma``) and times ``pandas.read_csv(file, sep=";")`` against
    ``Journeys.from_path_table(file)``, alternately, ``--repeats`` times each;
(b) times ``get_model(name).fit(journeys).attribute()`` for every registered model whose
    estimand is ``"rule"`` on the same journeys, built directly from their CSR arrays;
(c) measures the peak resident memory of every timed run.

Data shapes
-----------
distinct
    Synthetic journeys, every row a different path, as in an aggregated export: 12 channels
    with Zipf-skewed popularity (weight 1 / rank), lengths geometric with mean 6 capped at 90
    (the bundled dataset has mean 5.9 and maximum 89). Journeys are drawn until ``n``
    distinct paths are found; counts are Poisson, values log-normal. The worst case for the
    parser, which tokenises each distinct path once.
repeated
    Rows resampled with replacement from the bundled ChannelAttribution table
    (``attribution_lab.datasets.pathdata_file()``, 10,000 rows, 5,408 distinct paths),
    written back verbatim, so paths repeat as in raw exports.

Method
------
Every timed run is a fresh subprocess (this script with the hidden ``--worker`` flag). The
worker imports the package, warms up on a 20-row table (so lazy imports and first-call
set-up are not timed), loads its data (rule runs: the CSR arrays from ``.npy`` files),
runs ``gc.collect()``, reads its resident set size (the baseline), resets the kernel's
peak-RSS mark (``/proc/self/clear_refs``), runs the operation once under
``time.perf_counter`` and reads the peak (``VmHWM``). ``resource.getrusage(...).ru_maxrss``
is not used: a child started by ``subprocess`` (vfork + exec) inherits its parent's
high-water mark in ``ru_maxrss``, and ``RUSAGE_CHILDREN`` is a maximum over all children,
so neither gives the peak of one run. Each run therefore pays the first touch of its
memory, as a command-line call or a notebook's first parse does. Wall time is the median
over the repeats; peak memory the maximum.

The first ``from_path_table`` run of every data set is checked against the arrays the
data were generated from (column ``check``).

Outputs (in ``--out``, by default ``benchmarks/results/``): ``foundation.csv`` (tidy,
one row per task x shape x model x size), ``foundation.md`` (tables for people, with the
verdict on the requirement that a 1M-row path table reads in at most twice the time of
``pandas.read_csv``) and ``foundation.png`` (log-log time against n_journeys).

Usage::

    python benchmarks/bench_foundation.py            # 1e4 .. 1e7, 3 repeats
    python benchmarks/bench_foundation.py --quick    # 1e4 and 1e5, 1 repeat
    python benchmarks/bench_foundation.py --sizes 1e5,1e6 --repeats 5 --seed 1
"""

from __future__ import annotations

import argparse
import gc
import gzip
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
    mem_available_bytes,
    package_digest,
    peak_mb,
    reset_peak,
    rss_mb,
    timed,
    tqdm,
)

# The names other scripts imported from this module before benchmarks/_harness.py existed.
_fmt, _fmt_n, _machine_info, _mem_available_bytes, _package_digest = (
    fmt,
    fmt_n,
    machine_info,
    mem_available_bytes,
    package_digest,
)
_peak_mb, _reset_peak, _rss_mb, _timed, _tqdm = peak_mb, reset_peak, rss_mb, timed, tqdm

SUITE = "foundation"
DEFAULT_SIZES = (10_000, 100_000, 1_000_000, 10_000_000)
QUICK_SIZES = (10_000, 100_000)
SHAPES = ("distinct", "repeated")
REQUIREMENT_N = 1_000_000
REQUIREMENT_RATIO = 2.0
HERE = Path(__file__).resolve().parent
REPO = HERE.parent

# Synthetic channels, listed from most to least popular (popularity 1 / rank).
CHANNELS_BY_POPULARITY = (
    "paid_search",
    "organic_search",
    "direct",
    "display",
    "email",
    "social",
    "paid_social",
    "referral",
    "video",
    "affiliate",
    "push",
    "sms",
)
MEAN_LENGTH = 6.0
MAX_LENGTH = 90
HEADER = "path;total_conversions;total_conversion_value;total_null\n"
CSV_CHUNK_ROWS = 1_000_000

# Parameter sets benchmarked beside the defaults of every registered rule model.
EXTRA_PARAMS: dict[str, list[dict[str, Any]]] = {"linear": [{"unique_channels": True}]}

# Used to judge whether a size fits in memory before any smaller size was measured:
# peak RSS of the hungriest run per journey (about 0.9 KB at 1e6 distinct) with a margin.
STATIC_BYTES_PER_JOURNEY = 1500
STATIC_BASE_BYTES = 400 * 2**20
MEMORY_FRACTION = 0.5  # "fits comfortably": the estimated peak within half of MemAvailable


# ============================================================================ measurement
def _measure(op) -> dict[str, Any]:
    """Run `op` twice: cold (timed, peak memory) and again in the same process (timed)."""
    gc.collect()
    baseline = rss_mb()
    reset = reset_peak()
    out, cold, cold_user, cold_sys = timed(op)
    peak = peak_mb()
    del out
    gc.collect()
    out, warm, user, sys_ = timed(op)
    return {
        "out": out,
        "wall_time_s": warm,
        "cpu_user_s": user,
        "cpu_sys_s": sys_,
        "cold_wall_time_s": cold,
        "cold_cpu_user_s": cold_user,
        "cold_cpu_sys_s": cold_sys,
        "peak_rss_mb": peak,
        "rss_increment_mb": peak - baseline,
        "rss_scope": "operation" if reset else "process",
    }


# ============================================================================ data
def _stream_hash(channels: np.ndarray, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Two 64-bit polynomial hashes of every journey's channel sequence (and its length)."""
    lengths = np.diff(offsets)
    jid = np.repeat(np.arange(lengths.size), lengths)
    pos = np.arange(channels.size) - offsets[:-1][jid]
    code = channels.astype(np.uint64) + np.uint64(1)
    out = []
    with np.errstate(over="ignore"):
        for base in (np.uint64(0x9E3779B97F4A7C15), np.uint64(0xC2B2AE3D27D4EB4F)):
            powers = np.cumprod(np.full(int(lengths.max()), base, dtype=np.uint64))
            h = np.add.reduceat(code * powers[pos], offsets[:-1])
            out.append(h ^ (lengths.astype(np.uint64) * np.uint64(0xBF58476D1CE4E5B9)))
    return out[0], out[1]


def _gather(offsets: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Touch indices and new offsets selecting `rows` of a CSR structure."""
    lengths = np.diff(offsets)[rows]
    new = np.zeros(rows.size + 1, dtype=np.int64)
    np.cumsum(lengths, out=new[1:])
    touch = np.repeat(offsets[:-1][rows] - new[:-1], lengths) + np.arange(new[-1])
    return touch, new


def synth_distinct(n: int, rng: np.random.Generator) -> dict[str, Any]:
    """`n` journeys with pairwise different paths; channel codes index sorted names."""
    import pandas as pd

    names = sorted(CHANNELS_BY_POPULARITY)
    popularity = 1.0 / np.arange(1, len(names) + 1)
    popularity /= popularity.sum()
    code_of_rank = np.array([names.index(c) for c in CHANNELS_BY_POPULARITY], dtype=np.int8)
    batches: list[tuple[np.ndarray, np.ndarray]] = []
    h1s: list[np.ndarray] = []
    h2s: list[np.ndarray] = []
    n_unique, n_drawn, batch = 0, 0, n
    while n_unique < n:
        batch = int(min(max(batch, 10_000), 5_000_000))
        lengths = np.minimum(rng.geometric(1.0 / MEAN_LENGTH, batch), MAX_LENGTH)
        offsets = np.zeros(batch + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        channels = code_of_rank[rng.choice(len(names), size=int(offsets[-1]), p=popularity)]
        h1, h2 = _stream_hash(channels, offsets)
        batches.append((channels, offsets))
        h1s.append(h1)
        h2s.append(h2)
        n_drawn += batch
        first = ~pd.DataFrame({"a": np.concatenate(h1s), "b": np.concatenate(h2s)}).duplicated()
        n_unique = int(first.sum())
        rate = max(n_unique / n_drawn, 0.01)
        batch = int(1.1 * (n - n_unique) / rate) + 1
    keep = np.flatnonzero(first.to_numpy())[:n]
    # concatenate the batches into one CSR structure, then select the kept journeys
    all_channels = np.concatenate([c for c, _ in batches])
    starts = np.cumsum([0] + [c.size for c, _ in batches[:-1]])
    all_offsets = np.concatenate(
        [o[:-1] + s for (_, o), s in zip(batches, starts, strict=True)] + [[all_channels.size]]
    )
    touch, offsets = _gather(all_offsets, keep)
    channels = all_channels[touch].astype(np.int32)
    conversions = rng.poisson(0.6, n).astype(np.float64)
    nulls = rng.poisson(2.0, n).astype(np.float64)
    nulls[(conversions == 0) & (nulls == 0)] = 1.0
    value = np.where(
        conversions > 0, np.round(conversions * rng.lognormal(np.log(2.0), 0.8, n), 3), 0.0
    )
    return {
        "channels": channels,
        "offsets": offsets,
        "names": names,
        "conversions": conversions,
        "nulls": nulls,
        "value": value,
        "n_drawn": n_drawn,
    }


def _path_strings(channels: np.ndarray, offsets: np.ndarray, names: list[str]) -> list[str]:
    """'a > b > c' for every journey, joined and split once instead of a loop per journey."""
    pieces = np.empty(2 * channels.size, dtype=object)
    pieces[0::2] = np.asarray(names, dtype=object)[channels]
    pieces[1::2] = " > "
    pieces[2 * offsets[1:] - 1] = "\n"
    return "".join(pieces.tolist()).split("\n")[:-1]


def _write_rows(fh, columns: dict[str, Any]) -> None:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    pacsv.write_csv(
        pa.table(columns),
        fh,
        pacsv.WriteOptions(delimiter=";", quoting_style="none", include_header=False),
    )


def make_dataset(shape: str, n: int, seed: int, prefix: str) -> dict[str, Any]:
    """Write ``prefix.csv`` and the CSR arrays it must parse to (``prefix_*.npy``)."""
    import pandas as pd

    from attribution_lab import Journeys
    from attribution_lab.datasets import pathdata_file

    rng = np.random.default_rng([seed, n, SHAPES.index(shape)])
    csv = prefix + ".csv"
    with open(csv, "wb") as fh:
        fh.write(HEADER.encode())
        if shape == "distinct":
            d = synth_distinct(n, rng)
            extra = {"rows_drawn": d.pop("n_drawn")}
            for lo in range(0, n, CSV_CHUNK_ROWS):
                hi = min(lo + CSV_CHUNK_ROWS, n)
                off = d["offsets"][lo : hi + 1]
                _write_rows(
                    fh,
                    {
                        "path": _path_strings(
                            d["channels"][off[0] : off[-1]], off - off[0], d["names"]
                        ),
                        "total_conversions": d["conversions"][lo:hi].astype(np.int64),
                        "total_conversion_value": d["value"][lo:hi],
                        "total_null": d["nulls"][lo:hi].astype(np.int64),
                    },
                )
        elif shape == "repeated":
            source = pathdata_file()
            raw = pd.read_csv(source, sep=";", dtype=str, keep_default_na=False)
            base = Journeys.from_path_table(source)
            rows = rng.integers(0, len(raw), n)
            touch, offsets = _gather(np.asarray(base.offsets), rows)
            d = {
                "channels": np.asarray(base.channels)[touch],
                "offsets": offsets,
                "names": list(base.channel_names),
                "conversions": np.asarray(base.conversions)[rows],
                "nulls": np.asarray(base.nulls)[rows],
                "value": np.asarray(base.value)[rows],
            }
            extra = {"source_rows": len(raw)}
            for lo in range(0, n, CSV_CHUNK_ROWS):
                part = raw.iloc[rows[lo : lo + CSV_CHUNK_ROWS]]
                _write_rows(fh, {c: part[c].to_numpy(dtype=object) for c in raw.columns})
        else:
            raise ValueError(f"unknown shape {shape!r}")
    for key in ("channels", "offsets", "conversions", "nulls", "value"):
        np.save(f"{prefix}_{key}.npy", d[key])
    h1, h2 = _stream_hash(d["channels"], d["offsets"])
    n_distinct = int((~pd.DataFrame({"a": h1, "b": h2}).duplicated()).sum())
    meta = {
        "shape": shape,
        "n_journeys": n,
        "n_touchpoints": int(d["channels"].size),
        "n_channels": len(d["names"]),
        "n_distinct_paths": n_distinct,
        "file_mb": os.path.getsize(csv) / 2**20,
        "names": d["names"],
        **extra,
    }
    with open(prefix + "_meta.json", "w") as fh:
        json.dump(meta, fh)
    return meta


def _load_journeys(prefix: str):
    from attribution_lab import Journeys

    with open(prefix + "_meta.json") as fh:
        names = json.load(fh)["names"]
    return Journeys(
        *(np.load(f"{prefix}_{k}.npy") for k in ("channels", "offsets")),
        names,
        *(np.load(f"{prefix}_{k}.npy") for k in ("conversions", "nulls", "value")),
    )


def _check_parse(journeys, prefix: str) -> str:
    expected = _load_journeys(prefix)
    problems = [
        k
        for k in ("channels", "offsets", "conversions", "nulls", "value")
        if not np.array_equal(getattr(journeys, k), getattr(expected, k))
    ]
    if tuple(journeys.channel_names) != tuple(expected.channel_names):
        problems.insert(0, "channel_names")
    return "ok" if not problems else "MISMATCH: " + ",".join(problems)


# ============================================================================ worker
def run_worker(spec: dict[str, Any]) -> dict[str, Any]:
    """One measured run in this (fresh) process; see the module docstring."""
    import pandas as pd

    from attribution_lab import Journeys, get_model

    if spec["kind"] == "generate":
        baseline, t0 = rss_mb(), time.perf_counter()
        meta = make_dataset(spec["shape"], spec["n"], spec["seed"], spec["prefix"])
        peak = peak_mb()
        return {
            **meta,
            "generate_s": time.perf_counter() - t0,
            "peak_rss_mb": peak,
            "rss_increment_mb": peak - baseline,
        }

    warm = spec["warmup"]
    result: dict[str, Any] = {"package_digest": package_digest()}
    if spec["kind"] == "parse":
        ops = {
            "read_csv": lambda: pd.read_csv(spec["file"], sep=";"),
            "from_path_table": lambda: Journeys.from_path_table(spec["file"]),
        }
        pd.read_csv(warm, sep=";")
        Journeys.from_path_table(warm)
        result.update(_measure(ops[spec["op"]]))
        out = result.pop("out")
        if spec.get("check_prefix"):
            result["check"] = _check_parse(out, spec["check_prefix"])
    elif spec["kind"] == "rule":
        params = spec["params"]
        get_model(spec["model"], **params).fit(Journeys.from_path_table(warm)).attribute()
        journeys = _load_journeys(spec["prefix"])
        result.update(
            _measure(lambda: get_model(spec["model"], **params).fit(journeys).attribute())
        )
        del result["out"]
    else:
        raise ValueError(f"unknown worker kind {spec['kind']!r}")
    return result


def call_worker(spec: dict[str, Any], timeout: float | None = None) -> dict[str, Any]:
    """Run one worker (this script with ``--worker``) in a fresh interpreter; its result.

    Adds ``worker_s`` and ``background_load`` (the CPU time other processes of the machine
    used meanwhile, in cores); see `benchmarks._harness.call_worker`.
    """
    return _harness.call_worker([sys.executable, str(Path(__file__).resolve())], spec, timeout)


# ============================================================================ orchestration
def rule_models() -> list[tuple[str, dict[str, Any]]]:
    """(registry name, params) of every registered rule model, defaults first."""
    from attribution_lab import available_models, get_model

    out = []
    for name in available_models():
        if get_model(name).estimand != "rule":
            continue
        out.append((name, {}))
        out.extend((name, p) for p in EXTRA_PARAMS.get(name, []))
    return out


def _label(params: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in params.items()) or "defaults"


def _summarise(runs: list[dict[str, Any]], key: str, how=np.median) -> float:
    vals = [r[key] for r in runs if key in r]
    return float(how(vals)) if vals else float("nan")


class Plan:
    """What to run at each size, judged from the runs at smaller sizes.

    Every run is kept as a record (size, shape, kind, peak and increment of RSS, total
    worker time). A run's memory need at size n is its baseline plus its increment scaled
    linearly from the largest smaller size; its time is the fixed start-up cost plus the
    rest scaled likewise (with a margin of 30%, as distinct paths grow longer with n).
    """

    def __init__(self, time_budget_s: float) -> None:
        self.records: list[dict[str, Any]] = []
        self.time_budget_s = time_budget_s
        self.started = time.perf_counter()

    def add(self, n: int, shape: str, kind: str, result: dict[str, Any]) -> None:
        self.records.append({"n": n, "shape": shape, "kind": kind, **result})

    def _previous(self, n: int, shape: str, kind: str | None = None) -> list[dict[str, Any]]:
        recs = [
            r
            for r in self.records
            if r["n"] < n and r["shape"] == shape and kind in (None, r["kind"])
        ]
        if not recs:
            return []
        m = max(r["n"] for r in recs)
        return [r for r in recs if r["n"] == m]

    def need_bytes(self, n: int, shape: str, kind: str) -> tuple[float, str]:
        recs = [
            r
            for r in self._previous(n, shape, kind)
            if r.get("peak_rss_mb", 0) > 0 and not math.isnan(r.get("rss_increment_mb", math.nan))
        ]
        if not recs:
            return STATIC_BASE_BYTES + STATIC_BYTES_PER_JOURNEY * n, "static estimate"
        m = recs[0]["n"]
        need = [(r["peak_rss_mb"] + r["rss_increment_mb"] * (n / m - 1)) * 2**20 for r in recs]
        k = int(np.argmax(need))
        return need[k], f"from the {recs[k]['peak_rss_mb']:.0f} MB peak at n={fmt_n(m)}"

    def fits(self, n: int, shape: str, kind: str) -> tuple[bool, str]:
        need, how = self.need_bytes(n, shape, kind)
        avail = mem_available_bytes()
        ok = need <= MEMORY_FRACTION * avail
        return ok, (
            f"{kind} of {shape} paths at n_journeys={fmt_n(n)}: estimated peak RSS "
            f"{need / 2**30:.1f} GiB ({how}), "
            + ("fits" if ok else f"more than {MEMORY_FRACTION:.0%} of")
            + f" the {avail / 2**30:.1f} GiB available"
        )

    def seconds(self, n: int, shape: str, kinds: set[str]) -> float:
        overhead = min((r["worker_s"] for r in self.records), default=2.0)
        return sum(
            overhead + max(r["worker_s"] - overhead, 0.0) * (n / r["n"]) * 1.3
            for r in self._previous(n, shape)
            if r["kind"] in kinds
        )

    def remaining_s(self) -> float:
        return self.time_budget_s - (time.perf_counter() - self.started)


def bench_size(
    n: int,
    args: argparse.Namespace,
    workdir: str,
    warmup: str,
    machine: dict[str, Any],
    plan: Plan,
    notes: list[str],
) -> list[dict[str, Any]]:
    """All measurements at one size, for the tasks whose estimated memory fits."""
    models = rule_models()
    todo: dict[str, set[str]] = {}
    for shape in SHAPES:
        kinds = set()
        for kind in ("generate", "parse", "rule"):
            ok, msg = plan.fits(n, shape, kind)
            print(msg)
            if ok:
                kinds.add(kind)
            elif kind != "generate":
                notes.append(msg + ": skipped.")
        if "generate" not in kinds or kinds == {"generate"}:
            if "generate" not in kinds:
                notes.append(plan.fits(n, shape, "generate")[1] + ": data not generated.")
            continue
        todo[shape] = kinds
    estimate = sum(plan.seconds(n, shape, kinds) for shape, kinds in todo.items())
    if estimate:
        print(f"n_journeys={fmt_n(n)}: estimated {estimate / 60:.0f} min")
    if plan.time_budget_s and estimate > plan.remaining_s():
        note = (
            f"n_journeys={fmt_n(n)} skipped: estimated {estimate / 60:.0f} min, more than the "
            f"{max(plan.remaining_s(), 0) / 60:.0f} min left of --time-budget."
        )
        print(note)
        notes.append(note)
        return []
    n_jobs = sum(
        1 + ("parse" in k) * 2 * args.repeats + ("rule" in k) * len(models) * args.repeats
        for k in todo.values()
    )
    rows: list[dict[str, Any]] = []
    with tqdm(total=n_jobs, desc=f"n_journeys={fmt_n(n)}") as bar:
        for shape, kinds in todo.items():
            prefix = os.path.join(workdir, f"{shape}_{n}")
            bar.set_postfix_str(f"{shape}: generating")
            meta = call_worker(
                {"kind": "generate", "shape": shape, "n": n, "seed": args.seed, "prefix": prefix}
            )
            bar.update()
            plan.add(n, shape, "generate", meta)
            if "error" in meta:
                notes.append(f"{shape} n={fmt_n(n)}: data generation failed: {meta['error']}")
                bar.update(n_jobs)
                continue
            common = {
                "suite": SUITE,
                "shape": shape,
                "n_journeys": n,
                "n_touchpoints": meta["n_touchpoints"],
                "n_channels": meta["n_channels"],
                "n_distinct_paths": meta["n_distinct_paths"],
                "seed": args.seed,
                "repeats": args.repeats,
            }
            if "parse" in kinds:
                # (a) read_csv and from_path_table alternately, each run in a fresh process
                runs: dict[str, list[dict[str, Any]]] = {"read_csv": [], "from_path_table": []}
                for r in range(args.repeats):
                    for op, op_runs in runs.items():
                        bar.set_postfix_str(f"{shape}: {op} {r + 1}/{args.repeats}")
                        spec = {"kind": "parse", "op": op, "file": prefix + ".csv"}
                        if op == "from_path_table" and r == 0:
                            spec["check_prefix"] = prefix
                        op_runs.append(call_worker({**spec, "warmup": warmup}))
                        plan.add(n, shape, "parse", op_runs[-1])
                        bar.update()
                row = {
                    **common,
                    "task": "parse",
                    "model": "from_path_table",
                    "params": "sep='>'",
                    "file_mb": meta["file_mb"],
                    **_row_stats(runs["from_path_table"], n, meta["n_touchpoints"]),
                    **_baseline_stats(runs["read_csv"]),
                    "check": runs["from_path_table"][0].get("check", ""),
                    **machine,
                }
                row["ratio"] = row["wall_time_s"] / row["baseline_s"]
                row["cold_ratio"] = row["cold_wall_time_s"] / row["cold_baseline_s"]
                rows.append(row)
            if "rule" in kinds:
                # (b) rule models on the same journeys, built from their CSR arrays
                rule_runs: list[list[dict[str, Any]]] = [[] for _ in models]
                for r in range(args.repeats):
                    for (name, params), model_runs in zip(models, rule_runs, strict=True):
                        bar.set_postfix_str(f"{shape}: {name} {r + 1}/{args.repeats}")
                        spec = {"kind": "rule", "model": name, "params": params, "prefix": prefix}
                        model_runs.append(call_worker({**spec, "warmup": warmup}))
                        plan.add(n, shape, "rule", model_runs[-1])
                        bar.update()
                for (name, params), model_runs in zip(models, rule_runs, strict=True):
                    rows.append(
                        {
                            **common,
                            "task": "rule",
                            "model": name,
                            "params": _label(params),
                            **_row_stats(model_runs, n, meta["n_touchpoints"]),
                            **machine,
                        }
                    )
            for f in Path(workdir).glob(f"{shape}_{n}*"):
                f.unlink()
    return rows


def _times(runs: list[dict[str, Any]], key: str) -> str:
    return " ".join(f"{r[key]:.4g}" for r in runs if key in r)


def _row_stats(runs: list[dict[str, Any]], n: int, n_touch: int) -> dict[str, Any]:
    wall = _summarise(runs, "wall_time_s")
    return {
        "wall_time_s": wall,
        "wall_times_s": _times(runs, "wall_time_s"),
        "cold_wall_time_s": _summarise(runs, "cold_wall_time_s"),
        "cold_wall_times_s": _times(runs, "cold_wall_time_s"),
        "cpu_user_s": _summarise(runs, "cpu_user_s"),
        "cpu_sys_s": _summarise(runs, "cpu_sys_s"),
        "cold_cpu_user_s": _summarise(runs, "cold_cpu_user_s"),
        "cold_cpu_sys_s": _summarise(runs, "cold_cpu_sys_s"),
        "journeys_per_s": n / wall,
        "touchpoints_per_s": n_touch / wall,
        "peak_rss_mb": _summarise(runs, "peak_rss_mb", np.max),
        "rss_increment_mb": _summarise(runs, "rss_increment_mb", np.max),
        "rss_scope": "+".join(sorted({r["rss_scope"] for r in runs if "rss_scope" in r})),
        "package_digest": "+".join(
            sorted({r["package_digest"] for r in runs if "package_digest" in r})
        ),
        "error": "; ".join(sorted({r["error"] for r in runs if "error" in r})),
    }


def _baseline_stats(runs: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "baseline": "pandas.read_csv(file, sep=';')",
        "baseline_s": _summarise(runs, "wall_time_s"),
        "baseline_times_s": _times(runs, "wall_time_s"),
        "cold_baseline_s": _summarise(runs, "cold_wall_time_s"),
        "cold_baseline_times_s": _times(runs, "cold_wall_time_s"),
        "baseline_peak_rss_mb": _summarise(runs, "peak_rss_mb", np.max),
        "baseline_rss_increment_mb": _summarise(runs, "rss_increment_mb", np.max),
    }


# ============================================================================ outputs
COLUMNS = [
    "suite",
    "task",
    "shape",
    "model",
    "params",
    "n_journeys",
    "n_touchpoints",
    "n_channels",
    "n_distinct_paths",
    "file_mb",
    "seed",
    "repeats",
    "wall_time_s",
    "wall_times_s",
    "cold_wall_time_s",
    "cold_wall_times_s",
    "cpu_user_s",
    "cpu_sys_s",
    "cold_cpu_user_s",
    "cold_cpu_sys_s",
    "baseline",
    "baseline_s",
    "baseline_times_s",
    "cold_baseline_s",
    "cold_baseline_times_s",
    "ratio",
    "cold_ratio",
    "journeys_per_s",
    "touchpoints_per_s",
    "peak_rss_mb",
    "rss_increment_mb",
    "baseline_peak_rss_mb",
    "baseline_rss_increment_mb",
    "rss_scope",
    "check",
    "error",
    "package_digest",
    "python",
    "numpy",
    "pandas",
    "pyarrow",
    "attribution_lab",
    "git_commit",
    "platform",
    "cpu",
    "n_cpus",
    "mem_gib",
    "date_utc",
]


def requirement_lines(frame) -> list[str]:
    """One line per shape: does from_path_table take at most 2x read_csv at 1e6 rows?"""
    lines = []
    parse = frame[(frame.task == "parse") & (frame.n_journeys == REQUIREMENT_N)]
    for shape in SHAPES:
        row = parse[parse["shape"] == shape]
        if row.empty or math.isnan(row["ratio"].iloc[0]):
            lines.append(f"- **{shape}**: not measured (n_journeys={REQUIREMENT_N:,} not run).")
            continue
        r = row.iloc[0]
        holds = max(r["ratio"], r["cold_ratio"]) <= REQUIREMENT_RATIO
        lines.append(
            f"- **{shape}**: from_path_table {r['wall_time_s']:.3f} s vs read_csv "
            f"{r['baseline_s']:.3f} s, ratio **{r['ratio']:.1f}x** (first call in a fresh "
            f"process: {r['cold_wall_time_s']:.3f} s vs {r['cold_baseline_s']:.3f} s, "
            f"{r['cold_ratio']:.1f}x): the requirement "
            + ("**holds**." if holds else f"**does not hold** (limit {REQUIREMENT_RATIO:g}x).")
        )
    return lines


def _spread_note(frame) -> str | None:
    """How much the repeats of one measurement differ (max / min), at the largest size."""
    spreads = []
    for col in ("wall_times_s", "cold_wall_times_s"):
        largest = frame[frame.n_journeys == frame.n_journeys.max()]
        for times in largest[col].dropna():
            t = [float(x) for x in str(times).split()]
            if len(t) > 1 and min(t) > 0:
                spreads.append((col, max(t) / min(t)))
    if not spreads:
        return None
    parts = []
    for col, what in (("wall_times_s", "repeated calls"), ("cold_wall_times_s", "first calls")):
        v = [x for c, x in spreads if c == col]
        if v:
            parts.append(f"{what}: median {np.median(v):.2f}x, worst {max(v):.2f}x")
    return (
        f"Spread of the repeats (max / min) at n_journeys={fmt_n(frame.n_journeys.max())}: "
        + "; ".join(parts)
        + ". Every run is in a fresh process; see `wall_times_s` in the CSV."
    )


def write_markdown(frame, path: Path, notes: list[str], argv: list[str]) -> None:
    m = frame.iloc[0]
    out = [
        "# Foundation benchmark: path-table parsing and rule models",
        "",
        f"`python benchmarks/bench_foundation.py {' '.join(argv)}`".replace(" `", "`"),
        "",
        f"{m['date_utc']} · commit {m['git_commit']} · attribution_lab {m['attribution_lab']} · "
        f"Python {m['python']}, numpy {m['numpy']}, pandas {m['pandas']}, pyarrow {m['pyarrow']} "
        f"· {m['cpu']}, {m['n_cpus']} CPUs, {m['mem_gib']} GiB · seed {m['seed']}, "
        f"median of {m['repeats']} runs, each in a fresh process.",
        "",
        "Times are medians of a repeated call (the operation's second call in its process); "
        "the first call, which also pays for first-touching its memory, is shown in brackets "
        "where given and in the `cold_*` columns of the CSV.",
        "",
        f"## Requirement: a {REQUIREMENT_N:,}-row path table reads in at most "
        f"{REQUIREMENT_RATIO:g}x the time of pandas.read_csv",
        "",
        *requirement_lines(frame),
        "",
        "## Parsing: `Journeys.from_path_table(file)` against `pandas.read_csv(file, sep=';')`",
        "",
        "| shape | n_journeys | touchpoints | distinct paths | file MB | read_csv s (first) | "
        "from_path_table s (first) | ratio (first) | journeys/s | CPU user / sys s | "
        "peak RSS MB (read_csv / ours) | increment MB (read_csv / ours) | check |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    parse = frame[frame.task == "parse"].sort_values(["shape", "n_journeys"])
    for _, r in parse.iterrows():
        out.append(
            f"| {r['shape']} | {fmt_n(r['n_journeys'])} | {r['n_touchpoints']:,} | "
            f"{r['n_distinct_paths']:,} | {r['file_mb']:.1f} | "
            f"{fmt(r['baseline_s'])} ({fmt(r['cold_baseline_s'])}) | "
            f"{fmt(r['wall_time_s'])} ({fmt(r['cold_wall_time_s'])}) | "
            f"{fmt(r['ratio'], 2)} ({fmt(r['cold_ratio'], 2)}) | {fmt(r['journeys_per_s'])} | "
            f"{fmt(r['cpu_user_s'])} / {fmt(r['cpu_sys_s'])} | "
            f"{fmt(r['baseline_peak_rss_mb'])} / {fmt(r['peak_rss_mb'])} | "
            f"{fmt(r['baseline_rss_increment_mb'])} / {fmt(r['rss_increment_mb'])} | "
            f"{r['check'] or r['error']} |"
        )
    rules = frame[frame.task == "rule"].copy()
    if not rules.empty:
        sizes = sorted(rules.n_journeys.unique())
        largest = sizes[-1]
        rules["label"] = rules.model + rules.params.map(
            lambda p: "" if p == "defaults" else f" ({p})"
        )
        order = list(dict.fromkeys(rules.label))
        out += [
            "",
            "## Rule models: `get_model(name).fit(journeys).attribute()`, median wall time (s)",
            "",
            "| model | shape | "
            + " | ".join(fmt_n(s) for s in sizes)
            + f" | first call at {fmt_n(largest)} | journeys/s at {fmt_n(largest)} | "
            f"CPU user / sys s at {fmt_n(largest)} | "
            f"peak RSS MB at {fmt_n(largest)} | increment MB at {fmt_n(largest)} |",
            "|---|---|" + "---:|" * (len(sizes) + 5),
        ]
        for label in order:
            for shape in SHAPES:
                sub = rules[(rules.label == label) & (rules["shape"] == shape)].set_index(
                    "n_journeys"
                )
                if sub.empty:
                    continue
                times = [fmt(sub["wall_time_s"].get(s, float("nan"))) for s in sizes]
                big = sub.loc[largest] if largest in sub.index else None
                tail = (
                    [
                        fmt(big["cold_wall_time_s"]),
                        fmt(big["journeys_per_s"]),
                        f"{fmt(big['cpu_user_s'])} / {fmt(big['cpu_sys_s'])}",
                        fmt(big["peak_rss_mb"]),
                        fmt(big["rss_increment_mb"]),
                    ]
                    if big is not None
                    else ["-"] * 5
                )
                out.append(f"| {label} | {shape} | " + " | ".join(times + tail) + " |")
    errors = frame[frame.error.fillna("") != ""]
    spread = _spread_note(frame)
    notes = [*notes, spread] if spread else notes
    if not errors.empty or notes:
        out += ["", "## Notes", ""]
        out += [f"- {note}" for note in notes]
        out += [
            f"- error in {r['task']} {r['model']} {r['shape']} n={r['n_journeys']}: {r['error']}"
            for _, r in errors.iterrows()
        ]
    out += [
        "",
        "Each run is a fresh process: imports, a warm-up on a 20-row table, the data loaded "
        "(rule models: the journeys built from their CSR arrays), then the operation twice, "
        "timed with `time.perf_counter`. Peak RSS is the process's high-water mark during the "
        "first call (kernel VmHWM, reset just before it), the increment that peak minus the RSS "
        "just before the call. CPU user / sys is the process's CPU time during the repeated "
        "call, over all threads: system time is mostly the kernel providing fresh memory "
        "pages, which on a virtual machine that hands freed memory back to its host can cost "
        "more than the computation. Tidy data: `foundation.csv`; plot: `foundation.png`.",
        "",
    ]
    path.write_text("\n".join(out))


def write_plot(frame, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(SHAPES), figsize=(13, 5.5), sharey=True)
    for ax, shape in zip(np.atleast_1d(axes), SHAPES, strict=True):
        sub = frame[frame["shape"] == shape]
        parse = sub[sub.task == "parse"].sort_values("n_journeys")
        ax.plot(parse.n_journeys, parse.baseline_s, "k--o", lw=2, label="pandas.read_csv")
        ax.plot(parse.n_journeys, parse.wall_time_s, "k-s", lw=2.5, label="from_path_table")
        ax.plot(
            parse.n_journeys,
            parse.cold_baseline_s,
            ":o",
            color="0.6",
            lw=1.5,
            label="pandas.read_csv, first call",
        )
        ax.plot(
            parse.n_journeys,
            parse.cold_wall_time_s,
            ":s",
            color="0.6",
            lw=2,
            label="from_path_table, first call",
        )
        rules = sub[sub.task == "rule"]
        for (model, params), g in rules.groupby(["model", "params"], sort=False):
            g = g.sort_values("n_journeys")
            label = model if params == "defaults" else f"{model} ({params})"
            ax.plot(g.n_journeys, g.wall_time_s, "-", marker=".", lw=1, label=label)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_title(f"{shape} paths")
        ax.set_xlabel("n_journeys")
        ax.grid(True, which="both", alpha=0.3)
    np.atleast_1d(axes)[0].set_ylabel("median wall time (s), repeated call")
    handles, labels = np.atleast_1d(axes)[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="center right", fontsize=8, frameon=False)
    fig.suptitle("attribution_lab foundation benchmark: time against data size")
    fig.tight_layout(rect=(0, 0, 0.8, 1))
    fig.savefig(path, dpi=130)
    plt.close(fig)


def write_outputs(rows: list[dict[str, Any]], out: Path, notes: list[str], argv: list[str]) -> None:
    import pandas as pd

    if not rows:
        return
    frame = pd.DataFrame(rows).reindex(columns=COLUMNS)
    out.mkdir(parents=True, exist_ok=True)
    frame.to_csv(out / f"{SUITE}.csv", index=False)
    write_markdown(frame, out / f"{SUITE}.md", notes, argv)
    write_plot(frame, out / f"{SUITE}.png")


# ============================================================================ main
def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--sizes",
        type=lambda s: [int(float(x)) for x in s.split(",") if x.strip()],
        default=None,
        help="comma-separated n_journeys (default 1e4,1e5,1e6,1e7; --quick: 1e4,1e5)",
    )
    p.add_argument("--repeats", type=int, default=None, help="runs per measurement (default 3)")
    p.add_argument("--quick", action="store_true", help="1e4 and 1e5 only, 1 repeat")
    p.add_argument("--seed", type=int, default=0, help="seed of the data generators")
    p.add_argument("--out", type=Path, default=HERE / "results", help="output folder")
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

    machine = machine_info()
    print(
        f"{SUITE}: sizes {', '.join(fmt_n(n) for n in args.sizes)}; {args.repeats} repeat(s); "
        f"seed {args.seed}; models " + ", ".join(f"{m} ({_label(p)})" for m, p in rule_models())
    )
    notes: list[str] = []
    for n in DEFAULT_SIZES:
        if n not in args.sizes:
            notes.append(f"n_journeys={fmt_n(n)} not run (not in --sizes).")
    rows: list[dict[str, Any]] = []
    workdir = tempfile.mkdtemp(prefix="bench_foundation_")
    started = time.perf_counter()
    try:
        from attribution_lab.datasets import pathdata_file

        warmup = os.path.join(workdir, "warmup.csv")
        with gzip.open(pathdata_file(), "rt") as src, open(warmup, "w") as dst:
            dst.writelines(line for _, line in zip(range(21), src, strict=False))
        plan = Plan(60.0 * args.time_budget)
        for n in sorted(args.sizes):
            rows += bench_size(n, args, workdir, warmup, machine, plan, notes)
            write_outputs(rows, args.out, notes, argv)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    if rows:
        write_outputs(rows, args.out, notes, argv)
        import pandas as pd

        print("\n".join(requirement_lines(pd.DataFrame(rows))))
        print(f"done in {(time.perf_counter() - started) / 60:.1f} min; results in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
