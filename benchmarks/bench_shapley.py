"""Shapley benchmark: exact enumeration time, and the accuracy of the Monte Carlo estimators.

Two parts, both seeded:

1. **exact**: the wall time and peak memory of ``ExactShapley().estimate(game)``

   - on a cheap game, ``AdditiveGame`` with weights uniform on [0.5, 1.5) (one ``einsum``
     per batch of coalitions, so the time is the estimator's own), for n = 10, 12, ..., 24
     players (game ``additive``);
   - on games built from synthetic journeys with n channels (100,000 raw journeys from the
     generator of ``bench_markov.py``: Zipf channel popularity, geometric lengths of mean 5,
     logistic conversions): ``SubsetConversionGame``, ``SetRateGame(policy="smoothed")``
     and ``ModelGame`` (default logistic regression), for the same n as long as the
     estimated time of a call stays under ``--exact-limit``; the time includes building
     the game from the journeys (``build_s``), which for ``ModelGame`` fits the model;
   - on the same three games built from the bundled ChannelAttribution example paths
     (``attribution_lab.datasets.load_pathdata()``, 10,000 rows, 12 channels), with the
     time to load the table (``load_s``) reported apart from building and solving.

   Every measurement is a fresh process (this script with the hidden ``--worker`` flag),
   as in ``bench_foundation.py``: it imports the packages, generates or loads its data,
   warms up on a small game of the same kind (6 players, or 200 journeys), runs
   ``gc.collect()``, resets the kernel's peak-RSS mark (``/proc/self/clear_refs``) and
   times the first call of build + exact (``first_wall_s``; peak RSS ``peak_mb`` from
   ``VmHWM`` during it, ``rss_increment_mb`` that peak minus the RSS just before). It then
   repeats build + exact ``--repeats - 1`` more times in the same process unless the
   first call took over 10 s. ``wall_s`` is the median over all calls of the process
   (first included); ``build_s`` and ``exact_s`` are the medians of the two parts. The
   time of the next n is estimated as ``build_s + exact_s * 2^(n - n_prev)`` from the
   previous n of the same game, its memory as the previous peak increment times the same
   factor; a run estimated over ``--exact-limit`` seconds or above half of the available
   memory is skipped and recorded with the reason. Every result is checked: against the
   closed form (additive: the weights; subset: ``closed_form()``, each channel set's
   conversions split equally) or by efficiency (sum of values = v(N) - v(empty)).

2. **sampling**: for the four Monte Carlo estimators (``PermutationSampling``,
   ``AntitheticPermutationSampling``, ``StratifiedSampling``, ``KernelShapley``, default
   parameters) and budgets of k = 10, 20, 50, ..., 10,000 permutations' worth of
   evaluations, ``estimator.estimate(game, budget, random_state=rng)`` on seven games:

   - the bundled paths' ``SubsetConversionGame``, ``SetRateGame(policy="smoothed")`` and
     ``ModelGame`` (12 players; truth = ``ExactShapley`` of the same game);
   - ``random_unanimity_sum(n, 2 n, max_size=4)`` for n = 20 and 40 (monotone sums of
     unanimity games with terms of 1-4 players, like the subset game; closed-form truth);
   - ``GloveGame(8, 12)`` and ``GloveGame(16, 24)`` (not supermodular: a negative control
     for the antithetic estimator, whose variance reduction needs supermodularity;
     closed-form truth).

   Budget conversion: a permutation of n players costs n - 1 evaluations once v(empty)
   and v(N) are known (``PermutationSampling`` evaluates those two once), so k
   permutations' worth is ``budget = 2 + k (n - 1)`` game evaluations, exactly the
   budget that buys ``PermutationSampling`` k permutations (``Antithetic...`` k / 2
   pairs). When the budget covers all 2^n coalitions (k >= 373 at 12 players) the
   estimators return exact values (``exact_fallback``); such a cell is run once. A budget
   below an estimator's minimum (``StratifiedSampling`` needs 2 + 2n + 8n(n - 2)
   evaluations: 986 at 12 players, 2,922 at 20, 12,242 at 40) is recorded as skipped.

   Each sampled cell (game, estimator, budget) runs ``--repetitions`` estimates (default
   50), repetition r seeded with ``numpy.random.default_rng([seed, game, estimator, k,
   r])``. With phi the true values and phi_r the estimate of repetition r:

   - ``rel_rmse`` = sqrt(mean_r ||phi_r - phi||_2^2) / ||phi||_2 (``rel_rmse_ci_low`` /
     ``_high``: 95% percentile bootstrap over the repetitions, 2,000 resamples);
   - ``ratio_to_permutation``: rel_rmse over that of ``PermutationSampling`` in the same
     game and budget, with a bootstrap interval (repetitions of both resampled
     independently);
   - ``coverage``: the fraction of (player, repetition) pairs whose 95% interval
     (``ShapleyResult.interval``: value +- t quantile of the estimator's degrees of
     freedom x stderr) contains phi_i, with slack tol = 1e-9 max_i |phi_i| for estimates
     that are exact with stderr 0; ``coverage_normal`` the same with the normal quantile,
     +- 1.96 stderr (the intervals before the t quantiles); ``coverage_nondegenerate`` the
     same over pairs with stderr > tol only (``n_degenerate_pairs``: pairs with stderr
     <= tol, e.g. null players, which permutation sampling estimates exactly);
   - ``stderr_ratio`` = sqrt(mean stderr^2) / sqrt(mean error^2) over the pairs: below 1
     the reported standard errors are too small on average;
   - ``draws``: the independent draws behind a standard error (k permutations, k / 2
     antithetic pairs, (budget - 2) / 2 kernel pairs; none for stratified, whose strata
     have their own samples) and ``t_coverage`` = P(|t_(draws - 1)| <= 1.96), what
     +- 1.96 stderr (``coverage_normal``) covers with that many i.i.d. normal draws;
   - ``evals_mean``, ``evals_max`` (``n_evaluations`` of the results; never above the
     budget, ``budget_respected``) and ``time_s``, the median wall time of one estimate
     in this process (after a warm-up estimate of every estimator on every game).

   ``background_load`` (both parts) is the CPU time other processes of the machine used
   during a measurement, in cores, as in ``bench_markov.py``.

Outputs (in ``--out``, by default ``benchmarks/results/``): ``shapley.csv`` (tidy, one row
per exact measurement and per sampling cell), ``shapley.md`` (verdicts on the targets of
issue 4 and tables) and ``shapley.png`` (relative RMSE against budget per game, and exact
time against n).

Usage::

    python benchmarks/bench_shapley.py             # the full run: ~10 min on 2 cores
    python benchmarks/bench_shapley.py --quick     # ~2 min: fewer n, budgets, repetitions
    python benchmarks/bench_shapley.py --repetitions 100 --budgets 10,100,1000 --seed 1
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

if __package__ in (None, ""):  # run as a script: make the benchmarks package importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks import _harness
from benchmarks._harness import (
    busy_cpu_s,
    fmt,
    machine_info,
    mem_available_bytes,
    own_cpu_s,
    package_digest,
    peak_mb,
    reset_peak,
    rss_mb,
    tqdm,
)
from benchmarks.bench_markov import synth_journeys

SUITE = "shapley"
HERE = Path(__file__).resolve().parent

# Part 1: exact.
EXACT_NS = (10, 12, 14, 16, 18, 20, 22, 24)
QUICK_EXACT_NS = (10, 12, 14, 16, 18, 20)
EXACT_LIMIT_S = 120.0  # skip an exact call estimated to take longer
QUICK_EXACT_LIMIT_S = 10.0
SLOW_S = 10.0  # a first call slower than this is not repeated
N_SYNTH_JOURNEYS = 100_000
WARMUP_JOURNEYS = 200
MEMORY_FRACTION = 0.5
JOURNEY_GAMES = ("subset", "set_rate smoothed", "model")

# Part 2: sampling.
BUDGETS = (10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000)  # permutations' worth
QUICK_BUDGETS = (10, 100, 1000)
REPETITIONS = 50
QUICK_REPETITIONS = 5
Z95 = 1.96
BOOTSTRAP = 2000
ESTIMATORS = ("permutation", "antithetic", "stratified", "kernel")
SAMPLING_GAMES = (
    "paths: subset",
    "paths: set_rate smoothed",
    "paths: model",
    "unanimity sum, 20",
    "unanimity sum, 40",
    "glove 8+12",
    "glove 16+24",
)

# Targets (issue 4).
TARGET_N = 20
TARGET_EXACT_S = 2.0
TARGET_RATIO = 0.5  # antithetic RMSE at most half of plain permutation sampling's
TARGET_GAME = "paths: subset"
TARGET_COVERAGE = (0.93, 0.97)
BUSY_LOAD = 0.25
LARGE_K = 100  # coverage is also reported over budgets of at least this many permutations
MIN_LOAD_WALL_S = 1.0  # cells shorter than this get their game's background load


# ============================================================================ games
def estimator(name: str):
    from attribution_lab.shapley import (
        AntitheticPermutationSampling,
        KernelShapley,
        PermutationSampling,
        StratifiedSampling,
    )

    return {
        "permutation": PermutationSampling,
        "antithetic": AntitheticPermutationSampling,
        "stratified": StratifiedSampling,
        "kernel": KernelShapley,
    }[name]()


def _journeys_from_synth(n_journeys: int, n_channels: int, seed: int):
    from attribution_lab import Journeys

    d = synth_journeys(n_journeys, n_channels, seed)
    return Journeys(d["channels"], d["offsets"], d["names"], d["conversions"], d["nulls"])


def build_journey_game(name: str, journeys):
    """One of the three value functions built from journeys (see the module docstring)."""
    from attribution_lab.shapley import ModelGame, SetRateGame, SubsetConversionGame

    if name == "subset":
        return SubsetConversionGame(journeys)
    if name == "set_rate smoothed":
        return SetRateGame(journeys, policy="smoothed")
    if name == "model":
        return ModelGame(journeys)
    raise ValueError(f"unknown game {name!r}")


def additive_weights(n: int, seed: int) -> np.ndarray:
    return np.random.default_rng([seed, n]).uniform(0.5, 1.5, n)


def sampling_game(name: str, seed: int) -> tuple[Any, np.ndarray, str]:
    """A game of the sampling part, its true Shapley values and how they were obtained."""
    from attribution_lab.datasets import load_pathdata
    from attribution_lab.shapley import ExactShapley, GloveGame, random_unanimity_sum

    if name.startswith("paths: "):
        game = build_journey_game(name.removeprefix("paths: "), load_pathdata())
        truth = ExactShapley().estimate(game).values
        how = "ExactShapley"
        if name == "paths: subset":
            dev = float(np.max(np.abs(truth - game.closed_form())))
            how += f" (closed form: max |dphi| = {dev:.1e})"
        return game, truth, how
    if name.startswith("unanimity sum, "):
        n = int(name.rsplit(" ", 1)[1])
        game = random_unanimity_sum(
            n, 2 * n, random_state=np.random.default_rng([seed, n]), max_size=4
        )
        return game, game.shapley_values(), "closed form"
    if name.startswith("glove "):
        left, right = (int(x) for x in name.split(" ")[1].split("+"))
        game = GloveGame(left, right)
        return game, game.shapley_values(), "closed form"
    raise ValueError(f"unknown game {name!r}")


def draws_of(name: str, budget: int, n: int) -> int | None:
    """Independent draws an estimator makes from `budget` (None: stratified, per stratum)."""
    if name == "permutation":
        return (budget - 2) // (n - 1)
    if name == "antithetic":
        return (budget - 2) // (2 * (n - 1))
    if name == "kernel":
        return (budget - 2) // 2
    return None


def t_coverage(draws: int | None) -> float:
    """P(|T| <= 1.96) for Student's t with draws - 1 degrees of freedom.

    The coverage of mean +- 1.96 stderr (sample standard deviation) from `draws` i.i.d.
    normal draws: the best to expect from such intervals with few draws.
    """
    from scipy import stats

    if draws is None or draws < 2:
        return math.nan
    return float(2 * stats.t.cdf(Z95, draws - 1) - 1)


def budget_of(k: int, n: int) -> int:
    """Evaluations of k permutations of n players: v(empty), v(N) and n - 1 per permutation."""
    return 2 + k * (n - 1)


# ============================================================================ exact worker
def _check(game_name: str, game, result, extra: Any = None) -> tuple[str, float]:
    """How the exact values were checked, and the deviation found."""
    phi = result.values
    if game_name == "additive":
        dev = float(np.max(np.abs(phi - extra)))
        return f"closed form: max |dphi| = {dev:.1e}", dev
    if game_name == "subset":
        dev = float(np.max(np.abs(phi - game.closed_form())))
        return f"closed form: max |dphi| = {dev:.1e}", dev
    gap = result.grand_value - result.empty_value
    dev = abs(float(phi.sum()) - gap) / max(1.0, abs(gap))
    return f"efficiency: |sum - (v(N) - v(empty))| / max(1, |.|) = {dev:.1e}", dev


def run_worker(spec: dict[str, Any]) -> dict[str, Any]:
    """One exact measurement in this (fresh) process; see the module docstring."""
    from attribution_lab.shapley import AdditiveGame, ExactShapley, journey_channel_sets

    source, game_name, n, seed = spec["source"], spec["game"], spec["n"], spec["seed"]
    out: dict[str, Any] = {"package_digest": package_digest()}
    if source == "synthetic":
        data = additive_weights(n, seed)
        ExactShapley().estimate(AdditiveGame(additive_weights(6, seed)))

        def build(weights):
            return AdditiveGame(weights)
    else:
        if source == "paths":
            from attribution_lab.datasets import load_pathdata

            load_pathdata()  # warm: imports and the parser's first call
            t0 = time.perf_counter()
            data = load_pathdata()
            out["load_s"] = time.perf_counter() - t0
        else:
            data = _journeys_from_synth(N_SYNTH_JOURNEYS, n, seed)
        warm = _journeys_from_synth(WARMUP_JOURNEYS, data.n_channels, seed + 1)
        ExactShapley().estimate(build_journey_game(game_name, warm))
        out["n_journeys"] = data.n_journeys
        out["n_channel_sets"] = int(np.unique(journey_channel_sets(data)).size)

        def build(journeys):
            return build_journey_game(game_name, journeys)

    builds, exacts = [], []
    for call in range(spec["repeats"]):
        gc.collect()
        if call == 0:
            baseline = rss_mb()
            reset = reset_peak()
        t0 = time.perf_counter()
        game = build(data)
        t1 = time.perf_counter()
        result = ExactShapley().estimate(game)
        t2 = time.perf_counter()
        builds.append(t1 - t0)
        exacts.append(t2 - t1)
        if call == 0:
            peak = peak_mb()
            out.update(
                {
                    "peak_mb": peak,
                    "rss_increment_mb": peak - baseline,
                    "rss_scope": "operation" if reset else "process",
                    "n_evaluations": result.n_evaluations,
                }
            )
            out["check"], out["check_dev"] = _check(game_name, game, result, data)
            if t2 - t0 > SLOW_S:
                break
        del game, result
    totals = [b + e for b, e in zip(builds, exacts, strict=True)]
    out.update(
        {
            "repeats": len(totals),
            "first_wall_s": totals[0],
            "wall_s": float(np.median(totals)),
            "wall_times_s": " ".join(f"{t:.4g}" for t in totals),
            "build_s": float(np.median(builds)),
            "exact_s": float(np.median(exacts)),
            "first_build_s": builds[0],
            "first_exact_s": exacts[0],
        }
    )
    return out


def call_worker(spec: dict[str, Any], timeout: float | None = None) -> dict[str, Any]:
    """Run one worker (this script with ``--worker``) in a fresh interpreter; its result.

    Adds ``worker_s`` and ``background_load`` (the CPU time other processes of the machine
    used meanwhile, in cores); see `benchmarks._harness.call_worker`.
    """
    return _harness.call_worker([sys.executable, str(Path(__file__).resolve())], spec, timeout)


# ============================================================================ part 1
def exact_series(args) -> list[tuple[str, str, list[int]]]:
    """(source, game, n list) of every exact measurement series."""
    series = [("synthetic", "additive", list(args.exact_ns))]
    series += [("journeys", g, [n for n in args.exact_ns if n <= 22]) for g in JOURNEY_GAMES]
    series += [("paths", g, [12]) for g in JOURNEY_GAMES]
    return series


def bench_exact(args, machine: dict[str, Any], notes: list[str]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    series = exact_series(args)
    with tqdm(total=sum(len(ns) for _, _, ns in series), desc="exact") as bar:
        for source, game, ns in series:
            prev: dict[str, Any] | None = None
            stopped: tuple[int, str] | None = None  # the first n skipped or failed, and why
            for n in ns:
                label = f"{game} ({source}), n={n}"
                bar.set_postfix_str(label)
                base = {
                    "suite": SUITE,
                    "task": "exact",
                    "source": source,
                    "game": game,
                    "n_players": n,
                    "estimator": "exact",
                    "seed": args.seed,
                    **machine,
                }
                if source == "journeys":
                    base["n_journeys"] = N_SYNTH_JOURNEYS
                skip = None
                if prev is not None:
                    factor = 2.0 ** (n - prev["n_players"])
                    est = prev["first_build_s"] + prev["first_exact_s"] * factor
                    need = max(prev["rss_increment_mb"], 0.0) * factor * 2**20
                    avail = mem_available_bytes()
                    if est > args.exact_limit:
                        skip = f"estimated {est:.0f} s, over --exact-limit {args.exact_limit:g} s"
                    elif need > MEMORY_FRACTION * avail:
                        skip = (
                            f"estimated peak increment {need / 2**30:.1f} GiB, over "
                            f"{MEMORY_FRACTION:.0%} of the {avail / 2**30:.1f} GiB available"
                        )
                    base["estimated_s"] = est
                if prev is None and n > min(ns):
                    skip = f"as n={stopped[0]} was ({stopped[1]})" if stopped else "n/a"
                if skip:
                    stopped = stopped or (n, skip)
                    note = f"exact, {label}: skipped, {skip}."
                    notes.append(note)
                    rows.append({**base, "repeats": 0, "note": note})
                    bar.update()
                    prev = None
                    continue
                spec = {
                    "source": source,
                    "game": game,
                    "n": n,
                    "seed": args.seed,
                    "repeats": args.repeats,
                }
                res = call_worker(spec, timeout=max(60.0, 3 * args.exact_limit))
                res.pop("worker_s", None)
                row = {**base, **res}
                rows.append(row)
                if "error" in res:
                    notes.append(f"exact, {label}: {res['error']}")
                    stopped = stopped or (n, f"failed: {res['error']}")
                    prev = None
                else:
                    prev = row
                bar.update()
    return rows


# ============================================================================ part 2
def _bootstrap_rmse(sq: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Bootstrap replicates of sqrt(mean(sq)) over repetitions."""
    idx = rng.integers(0, sq.size, size=(BOOTSTRAP, sq.size))
    return np.sqrt(sq[idx].mean(axis=1))


def _cell_stats(
    values: np.ndarray,
    stderr: np.ndarray,
    truth: np.ndarray,
    rng: np.random.Generator,
    halfwidth: np.ndarray | None = None,
) -> dict[str, Any]:
    """Accuracy and interval statistics of repeated estimates (reps x players).

    `halfwidth` is each estimate's 95% interval half-width (`ShapleyResult.interval`,
    Student t with the estimator's degrees of freedom); by default 1.96 stderr.
    """
    norm = float(np.linalg.norm(truth))
    err = values - truth
    sq = (err**2).sum(axis=1) / norm**2  # squared relative error per repetition
    boot = _bootstrap_rmse(sq, rng)
    tol = 1e-9 * float(np.max(np.abs(truth)))
    if halfwidth is None:
        halfwidth = Z95 * stderr
    covered = np.abs(err) <= halfwidth + tol
    covered_normal = np.abs(err) <= Z95 * stderr + tol
    degenerate = stderr <= tol
    nondeg = ~degenerate
    return {
        "rel_rmse": float(np.sqrt(sq.mean())),
        "rel_rmse_ci_low": float(np.quantile(boot, 0.025)),
        "rel_rmse_ci_high": float(np.quantile(boot, 0.975)),
        "mean_rel_error": float(np.sqrt(sq).mean()),
        "coverage": float(covered.mean()),
        "coverage_normal": float(covered_normal.mean()),
        "coverage_nondegenerate": float(covered[nondeg].mean()) if nondeg.any() else math.nan,
        "n_pairs": int(covered.size),
        "n_degenerate_pairs": int(degenerate.sum()),
        "stderr_ratio": float(np.sqrt((stderr**2).mean() / max((err**2).mean(), 1e-300))),
        "_sq": sq,
    }


def bench_sampling(
    args, machine: dict[str, Any], notes: list[str], games_to_run: tuple[str, ...] | None = None
) -> list[dict[str, Any]]:
    """Part 2 on `games_to_run` (default: every game of `SAMPLING_GAMES`)."""
    rows: list[dict[str, Any]] = []
    boot_rng = np.random.default_rng([args.seed, 999])
    games = []
    for gi, name in enumerate(SAMPLING_GAMES):
        if games_to_run is not None and name not in games_to_run:
            continue
        game, truth, how = sampling_game(name, args.seed)
        games.append((gi, name, game, truth, how))
        n = game.n_players
        for name_e in ESTIMATORS:  # warm-up: first calls and lazy imports are not timed
            est = estimator(name_e)
            b = max(budget_of(10, n), est.min_budget(n))
            if b < 2**n or n > 24:
                est.estimate(game, b, random_state=0)
    n_cells = len(games) * len(ESTIMATORS) * len(args.budgets)
    with tqdm(total=n_cells, desc="sampling") as bar:
        for gi, name, game, truth, how in games:
            n = game.n_players
            null = int(np.sum(np.abs(truth) <= 1e-12 * np.max(np.abs(truth))))
            common = {
                "suite": SUITE,
                "task": "sampling",
                "source": "bundled paths" if name.startswith("paths") else "synthetic",
                "game": name,
                "n_players": n,
                "n_null_players": null,
                "truth": how,
                "seed": args.seed,
                **machine,
            }
            sq_by: dict[tuple[str, int], np.ndarray] = {}
            game_rows = []
            game_busy0, game_own0, game_t0 = busy_cpu_s(), own_cpu_s(), time.perf_counter()
            for k in args.budgets:
                budget = budget_of(k, n)
                for ei, name_e in enumerate(ESTIMATORS):
                    bar.set_postfix_str(f"{name}, {name_e}, k={k}")
                    est = estimator(name_e)
                    row = {**common, "estimator": name_e, "budget_perms": k, "budget": budget}
                    fallback = n <= 24 and budget >= 2**n
                    if not fallback and budget < est.min_budget(n):
                        row.update(
                            {
                                "repetitions": 0,
                                "note": f"budget below the estimator's minimum "
                                f"({est.min_budget(n):,} evaluations)",
                            }
                        )
                        game_rows.append(row)
                        bar.update()
                        continue
                    reps = 1 if fallback else args.repetitions
                    vals, ses, hws, evals, times = [], [], [], [], []
                    busy0, own0, t_cell = busy_cpu_s(), own_cpu_s(), time.perf_counter()
                    for r in range(reps):
                        rng = np.random.default_rng([args.seed, gi, ei, k, r])
                        t0 = time.perf_counter()
                        res = est.estimate(game, budget, random_state=rng)
                        times.append(time.perf_counter() - t0)
                        vals.append(res.values)
                        ses.append(np.zeros(n) if res.stderr is None else res.stderr)
                        hws.append(res.interval(0.95)[1] - res.values)
                        evals.append(res.n_evaluations)
                    wall = time.perf_counter() - t_cell
                    # /proc/stat counts 10 ms ticks: too coarse for short cells, which get
                    # the load over the whole game instead (filled in below)
                    load = (
                        ((busy_cpu_s() - busy0) - (own_cpu_s() - own0)) / wall
                        if wall >= MIN_LOAD_WALL_S
                        else math.nan
                    )
                    stats = _cell_stats(
                        np.array(vals), np.array(ses), truth, boot_rng, np.array(hws)
                    )
                    sq_by[(name_e, k)] = stats.pop("_sq")
                    row.update(stats)
                    row.update(
                        {
                            "repetitions": reps,
                            "draws": draws_of(name_e, budget, n),
                            "t_coverage": t_coverage(draws_of(name_e, budget, n)),
                            "exact_fallback": fallback,
                            "result_estimator": res.estimator,
                            "evals_mean": float(np.mean(evals)),
                            "evals_max": int(np.max(evals)),
                            "budget_respected": bool(np.max(evals) <= budget),
                            "time_s": float(np.median(times)),
                            "background_load": load if math.isnan(load) else max(load, 0.0),
                        }
                    )
                    if fallback:
                        for key in (
                            "coverage",
                            "coverage_normal",
                            "coverage_nondegenerate",
                            "stderr_ratio",
                            "draws",
                        ):
                            row[key] = math.nan
                        row["t_coverage"] = math.nan
                        row["note"] = "budget covers all coalitions: exact values, run once"
                    game_rows.append(row)
                    bar.update()
            game_wall = time.perf_counter() - game_t0
            game_load = ((busy_cpu_s() - game_busy0) - (own_cpu_s() - game_own0)) / game_wall
            for row in game_rows:
                if row.get("repetitions") and math.isnan(row["background_load"]):
                    row["background_load"] = max(game_load, 0.0)
            # RMSE relative to plain permutation sampling at the same budget
            for row in game_rows:
                key, base = (
                    (row["estimator"], row["budget_perms"]),
                    ("permutation", row["budget_perms"]),
                )
                if key not in sq_by or base not in sq_by or row.get("exact_fallback"):
                    continue
                a, b = sq_by[key], sq_by[base]
                row["ratio_to_permutation"] = float(np.sqrt(a.mean() / b.mean()))
                boot = _bootstrap_rmse(a, boot_rng) / _bootstrap_rmse(b, boot_rng)
                row["ratio_ci_low"] = float(np.quantile(boot, 0.025))
                row["ratio_ci_high"] = float(np.quantile(boot, 0.975))
            rows += game_rows
    skipped = [r for r in rows if r.get("repetitions") == 0]
    if skipped:
        by_game: dict[str, list[str]] = {}
        for r in skipped:
            by_game.setdefault(r["game"], []).append(f"{r['estimator']} k={r['budget_perms']}")
        notes.append(
            "Sampling cells skipped (budget below the estimator's minimum): "
            + "; ".join(f"{g}: {', '.join(v)}" for g, v in by_game.items())
            + "."
        )
    return rows


# ============================================================================ outputs
COLUMNS = [
    # the tidy core
    "task",
    "source",
    "game",
    "n_players",
    "estimator",
    "budget_perms",
    "budget",
    "seed",
    "repetitions",
    "rel_rmse",
    "ratio_to_permutation",
    "coverage",
    "evals_max",
    "time_s",
    "wall_s",
    "peak_mb",
    "note",
    # sampling details
    "rel_rmse_ci_low",
    "rel_rmse_ci_high",
    "mean_rel_error",
    "ratio_ci_low",
    "ratio_ci_high",
    "coverage_normal",
    "coverage_nondegenerate",
    "n_pairs",
    "n_degenerate_pairs",
    "stderr_ratio",
    "draws",
    "t_coverage",
    "evals_mean",
    "budget_respected",
    "exact_fallback",
    "result_estimator",
    "n_null_players",
    "truth",
    # exact details
    "repeats",
    "wall_times_s",
    "first_wall_s",
    "build_s",
    "exact_s",
    "first_build_s",
    "first_exact_s",
    "load_s",
    "estimated_s",
    "rss_increment_mb",
    "rss_scope",
    "n_evaluations",
    "n_journeys",
    "n_channel_sets",
    "check",
    "check_dev",
    "error",
    # environment
    "background_load",
    "suite",
    "package_digest",
    "python",
    "numpy",
    "pandas",
    "scikit_learn",
    "attribution_lab",
    "git_commit",
    "platform",
    "cpu",
    "n_cpus",
    "mem_gib",
    "date_utc",
]


def _measured(row) -> bool:
    return (
        row is not None and isinstance(row.get("wall_s"), float) and not math.isnan(row["wall_s"])
    )


def _exact_row(frame, source: str, game: str, n: int):
    g = frame[(frame.task == "exact") & (frame.source == source) & (frame.game == game)]
    g = g[g.n_players == n]
    return None if g.empty else g.iloc[0]


def _cell(text: Any) -> str:
    """Text for a Markdown table cell (pipes escaped)."""
    return str(text).replace("|", "\\|")


def _pct(x: float) -> str:
    return "-" if x is None or math.isnan(x) else f"{100 * x:.1f}%"


def _cells(frame):
    """Sampling cells that were actually sampled (not skipped, not the exact fallback)."""
    s = frame[(frame.task == "sampling") & (frame.repetitions > 0)]
    return s[~s.exact_fallback.astype(bool)]


def verdict_lines(frame) -> list[str]:
    lines = []
    # 1. exact at 20 players
    cheap = _exact_row(frame, "synthetic", "additive", TARGET_N)
    if _measured(cheap):
        ok = cheap["wall_s"] < TARGET_EXACT_S and cheap["first_wall_s"] < TARGET_EXACT_S
        parts = []
        for g in JOURNEY_GAMES:
            r = _exact_row(frame, "journeys", g, TARGET_N)
            if _measured(r):
                fast = r["wall_s"] < TARGET_EXACT_S
                parts.append(
                    f"{g} {fmt(r['wall_s'])} s (build {fmt(r['build_s'])} s + exact "
                    f"{fmt(r['exact_s'])} s; {'under' if fast else 'over'} {TARGET_EXACT_S:g} s)"
                )
            elif r is not None:
                parts.append(f"{g} not run ({r['note'].split(': skipped, ')[-1].rstrip('.')})")
        lines.append(
            f"- **Exact Shapley for {TARGET_N} channels under {TARGET_EXACT_S:g} s**: "
            + ("**holds**" if ok else "**does not hold**")
            + f" for the estimator: `ExactShapley` on the cheap additive game of {TARGET_N} "
            f"players takes {fmt(cheap['wall_s'])} s (median of {int(cheap['repeats'])} "
            f"call{'s' * (int(cheap['repeats']) != 1)}; first call in a fresh process "
            f"{fmt(cheap['first_wall_s'])} s), peak RSS "
            f"{fmt(cheap['peak_mb'])} MB (+{fmt(cheap['rss_increment_mb'])} MB). With games "
            f"built from {N_SYNTH_JOURNEYS:,} synthetic journeys of {TARGET_N} channels the "
            "game's evaluations dominate: " + ("; ".join(parts) or "not measured") + "."
        )
    else:
        lines.append(f"- **Exact Shapley for {TARGET_N} channels**: not measured.")
    # 2. antithetic vs permutation on the subset game
    cells = _cells(frame)
    anti = cells[(cells.game == TARGET_GAME) & (cells.estimator == "antithetic")]
    anti = anti.sort_values("budget_perms")
    if not anti.empty:
        holds = anti.ratio_to_permutation <= TARGET_RATIO
        sure = anti.ratio_ci_high <= TARGET_RATIO
        desc = ", ".join(
            f"k={int(r['budget_perms'])}: {r['ratio_to_permutation']:.2f} "
            f"[{r['ratio_ci_low']:.2f}, {r['ratio_ci_high']:.2f}]"
            for _, r in anti.iterrows()
        )
        if holds.all():
            verdict = "**holds** at every sampled budget"
        elif holds.any():
            verdict = f"**holds at {int(holds.sum())} of {len(holds)} sampled budgets**"
        else:
            verdict = "**does not hold** at any sampled budget"
        worst = anti.ratio_to_permutation.max()
        extra = (
            f"; the worst ratio, {worst:.2f}, is {worst / TARGET_RATIO:.2f}x the limit"
            if not holds.all()
            else ""
        )
        lines.append(
            f"- **Antithetic at most {TARGET_RATIO:g}x plain permutation sampling's RMSE on "
            f"the subset game** (bundled paths, 12 channels): {verdict}{extra}. Ratio of "
            f"relative RMSEs [95% bootstrap interval] by budget in permutations' worth: {desc}"
            f" ({int(sure.sum())} of {len(sure)} intervals entirely at or below "
            f"{TARGET_RATIO:g}). Budgets of k >= 373 cover all 4,096 coalitions and are exact."
        )
        other = []
        for g in SAMPLING_GAMES[3:]:
            a = cells[(cells.game == g) & (cells.estimator == "antithetic")]
            if not a.empty:
                other.append(
                    f"{g} {a.ratio_to_permutation.min():.2f}-{a.ratio_to_permutation.max():.2f}"
                )
        if other:
            lines.append("  On the synthetic games (range over budgets): " + "; ".join(other) + ".")
    # 3. coverage
    lo, hi = TARGET_COVERAGE
    parts, verdicts = [], []
    for e in ESTIMATORS:
        c = cells[cells.estimator == e]
        if c.empty:
            continue
        pooled = _pooled(c)
        large = _pooled(c[c.budget_perms >= LARGE_K])
        # a cell is clearly outside when it misses the band by more than 2 binomial
        # standard errors of its pairs at 95% (pairs of one repetition are dependent, so
        # this is lenient)
        se = np.sqrt(0.95 * 0.05 / c.n_pairs)
        clear = c[(c.coverage < lo - 2 * se) | (c.coverage > hi + 2 * se)]
        ok = lo <= pooled <= hi
        verdicts.append(ok)
        worst = c.loc[c.coverage.idxmin()]
        t_ok = c.t_coverage.notna()
        t_cov = (
            float((c.t_coverage * c.n_pairs)[t_ok].sum() / c.n_pairs[t_ok].sum())
            if t_ok.any()
            else math.nan
        )
        t_txt = f", t-theory {_pct(t_cov)}" if t_ok.any() else ""
        if "coverage_normal" in c:
            normal = float((c.coverage_normal * c.n_pairs).sum() / c.n_pairs.sum())
            t_txt = f"; +- 1.96 stderr: {_pct(normal)}{t_txt}"
        parts.append(
            f"{e} **{_pct(pooled)}** ({'within' if ok else 'outside'}{t_txt}; {_pct(large)} at "
            f"k >= {LARGE_K}), cells {_pct(c.coverage.min())}-{_pct(c.coverage.max())}, "
            f"{len(clear)} of {len(c)} clearly outside the band (lowest: {worst['game']}, "
            f"k={int(worst['budget_perms'])})"
        )
    if parts:
        if all(verdicts):
            verdict = "**holds** pooled for every estimator"
        elif any(verdicts):
            verdict = f"**holds pooled for {sum(verdicts)} of {len(verdicts)} estimators**"
        else:
            verdict = "**does not hold** for any estimator"
        lines.append(
            f"- **Intervals cover {lo:.0%}-{hi:.0%}**: {verdict}. Coverage of the 95% "
            "intervals (`ShapleyResult.interval`: Student t with the estimator's degrees of "
            "freedom) over (player, repetition) pairs, pooled over every sampled game and "
            "budget: " + "; ".join(parts) + ". Beside it, the coverage of +- 1.96 stderr "
            "and *t-theory*, what +- 1.96 stderr would cover with the same numbers of "
            "draws if the contributions were normal, P(|t_(draws - 1)| <= 1.96): with few "
            "draws (k = 10 buys 10 permutations but 5 antithetic pairs) normal intervals "
            "must undercover. By game: see *Coverage* below."
        )
    return lines


def _pooled(c) -> float:
    """Coverage over all (player, repetition) pairs of the cells `c`."""
    return float((c.coverage * c.n_pairs).sum() / c.n_pairs.sum()) if len(c) else math.nan


def _load_note(frame) -> str | None:
    load = frame.background_load.dropna()
    if load.empty:
        return None
    busy = frame[frame.background_load > BUSY_LOAD]
    text = (
        "Background load (CPU time used by other processes during a measurement, in cores): "
        f"median {load.median():.2f}, max {load.max():.2f}. "
    )
    if busy.empty:
        return text + f"No measurement ran beside more than {BUSY_LOAD:g} cores of other work."
    where = sorted({f"{r['task']} {r['game']}" for _, r in busy.iterrows()})
    return (
        text + f"{len(busy)} measurements ran beside more than {BUSY_LOAD:g} cores of other "
        f"work ({', '.join(where)}); their times are less reliable than the rest."
    )


def write_markdown(frame, path: Path, notes: list[str], argv: list[str]) -> None:
    import pandas as pd

    m = frame.iloc[0]
    out = [
        "# Shapley benchmark: exact enumeration time and Monte Carlo accuracy",
        "",
        f"`python benchmarks/bench_shapley.py {' '.join(argv)}`".replace(" `", "`"),
        "",
        f"{m['date_utc']} · commit {m['git_commit']} · attribution_lab {m['attribution_lab']} "
        f"· Python {m['python']}, numpy {m['numpy']}, pandas {m['pandas']}, scikit-learn "
        f"{m['scikit_learn']} · {m['cpu']}, {m['n_cpus']} CPUs, {m['mem_gib']} GiB · seed "
        f"{m['seed']}.",
        "",
        "Budgets are in permutations' worth: k permutations of n players cost "
        "`budget = 2 + k (n - 1)` evaluations (v(empty) and v(N) once, n - 1 per "
        "permutation). Relative RMSE = sqrt(mean over repetitions of ||phi_hat - phi||^2) / "
        "||phi||; coverage = share of (player, repetition) pairs whose 95% interval (t "
        "quantile of the estimator's degrees of freedom) contains phi. "
        "Exact times are build + `ExactShapley().estimate` in a fresh process.",
        "",
        "## Targets (issue 4)",
        "",
        *verdict_lines(frame),
    ]
    # exact timing
    ex = frame[frame.task == "exact"]
    ns = sorted(ex[ex.source != "paths"].n_players.unique())
    series = [("synthetic", "additive")] + [("journeys", g) for g in JOURNEY_GAMES]
    out += [
        "",
        "## Exact: wall time (s) by number of players",
        "",
        "Median of the calls in one fresh process (first call in brackets when it differs by "
        f"more than 20%); journey games include building the game from {N_SYNTH_JOURNEYS:,} "
        "synthetic journeys (for `model`, fitting the logistic regression).",
        "",
        "| game | " + " | ".join(str(int(n)) for n in ns) + " |",
        "|---|" + "---:|" * len(ns),
    ]
    for source, g in series:
        cells = []
        for n in ns:
            r = _exact_row(frame, source, g, n)
            if r is None:
                cells.append("-")
            elif not _measured(r):
                cells.append("skipped" if r["repeats"] == 0 else "error")
            else:
                txt = fmt(r["wall_s"])
                if abs(r["first_wall_s"] - r["wall_s"]) > 0.2 * r["wall_s"]:
                    txt += f" ({fmt(r['first_wall_s'])})"
                cells.append(txt)
        label = g if source == "synthetic" else f"{g} (synthetic journeys)"
        out.append(f"| {label} | " + " | ".join(cells) + " |")
    out += [
        "",
        "Peak RSS of the first call (MB; increment over the RSS before it in brackets), and "
        "the check of the values:",
        "",
        "| game | n | peak MB | check | channel sets |",
        "|---|---:|---:|---|---:|",
    ]
    measured = ex[ex.wall_s.notna()]
    for _, r in pd.concat(
        [measured[(measured.source == a) & (measured.game == b)] for a, b in series]
    ).iterrows():
        label = r["game"] if r["source"] == "synthetic" else f"{r['game']} (synthetic journeys)"
        sets = "-" if math.isnan(r["n_channel_sets"]) else f"{int(r['n_channel_sets']):,}"
        out.append(
            f"| {label} | {int(r['n_players'])} | {fmt(r['peak_mb'])} "
            f"(+{fmt(r['rss_increment_mb'])}) | {_cell(r['check'])} | {sets} |"
        )
    paths = ex[ex.source == "paths"]
    if not paths.empty:
        out += [
            "",
            "## Exact on the bundled paths (12 channels)",
            "",
            "`load_pathdata()` once, then build the game from the journeys and solve it "
            "exactly (4,096 coalitions); medians of the calls in one process.",
            "",
            "| game | load s | build s | exact s | build + exact s (first call) | peak MB | "
            "check |",
            "|---|---:|---:|---:|---:|---:|---|",
        ]
        for _, r in paths.iterrows():
            if not _measured(r):
                out.append(f"| {r['game']} | error: {r['error']} ||||||")
                continue
            out.append(
                f"| {r['game']} | {fmt(r['load_s'])} | {fmt(r['build_s'])} | "
                f"{fmt(r['exact_s'])} | {fmt(r['wall_s'])} ({fmt(r['first_wall_s'])}) | "
                f"{fmt(r['peak_mb'])} | {_cell(r['check'])} |"
            )
    # sampling
    samp = frame[frame.task == "sampling"]
    budgets = sorted(samp.budget_perms.unique())
    if not samp.empty:
        out += [
            "",
            "## Sampling: relative RMSE (coverage) by budget",
            "",
            "One table per game; columns are budgets in permutations' worth. A cell gives the "
            "relative RMSE over the repetitions and, in brackets, the 95% interval coverage. "
            "`exact` = the budget covers all 2^n coalitions and the estimator returned exact "
            "values; `-` = below the estimator's minimum budget.",
        ]
        for g in SAMPLING_GAMES:
            gs = samp[samp.game == g]
            if gs.empty:
                continue
            r0 = gs.iloc[0]
            reps = int(gs.repetitions.max())
            out += [
                "",
                f"### {g} ({int(r0['n_players'])} players; truth: {r0['truth']}; "
                f"{int(r0['n_null_players'])} null players; {reps} repetitions)",
                "",
                "| estimator | " + " | ".join(str(int(b)) for b in budgets) + " |",
                "|---|" + "---:|" * len(budgets),
            ]
            for e in ESTIMATORS:
                cells = []
                for b in budgets:
                    c = gs[(gs.estimator == e) & (gs.budget_perms == b)]
                    if c.empty:
                        cells.append("")
                        continue
                    c = c.iloc[0]
                    if c["repetitions"] == 0:
                        cells.append("-")
                    elif c["exact_fallback"]:
                        cells.append("exact")
                    else:
                        cells.append(f"{c['rel_rmse']:.2g} ({_pct(c['coverage'])})")
                out.append(f"| {e} | " + " | ".join(cells) + " |")
        cells_all = _cells(frame)
        out += [
            "",
            "## Coverage by estimator and game",
            "",
            "Share of (player, repetition) pairs whose 95% t interval contains the "
            f"truth, pooled over the sampled budgets (over k >= {LARGE_K} in brackets), "
            f"target {TARGET_COVERAGE[0]:.0%}-{TARGET_COVERAGE[1]:.0%}.",
            "",
            "| estimator | " + " | ".join(SAMPLING_GAMES) + " | all |",
            "|---|" + "---:|" * (len(SAMPLING_GAMES) + 1),
        ]
        for e in ESTIMATORS:
            ce = cells_all[cells_all.estimator == e]
            row = []
            for g in [*SAMPLING_GAMES, None]:
                c = ce if g is None else ce[ce.game == g]
                big = c[c.budget_perms >= LARGE_K]
                row.append(f"{_pct(_pooled(c))} ({_pct(_pooled(big))})" if len(c) else "-")
            out.append(f"| {e} | " + " | ".join(row) + " |")
        out += [
            "",
            "## Sampling: RMSE ratio to plain permutation sampling, and time per estimate",
            "",
            "Ratio of relative RMSEs at equal budget (below 1: better than plain permutation "
            "sampling), at each game's largest sampled budget and at k = 100; median time of "
            "one estimate (ms) at the largest sampled budget; stderr ratio = sqrt(mean "
            "stderr^2) / RMSE over the pairs at that budget (below 1: intervals too short).",
            "",
            "| game | estimator | largest k | ratio there | ratio at k=100 | coverage there | "
            "coverage, non-degenerate | stderr ratio | ms per estimate | evaluations used |",
            "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for g in SAMPLING_GAMES:
            for e in ESTIMATORS:
                c = cells_all[(cells_all.game == g) & (cells_all.estimator == e)]
                if c.empty:
                    continue
                top = c.loc[c.budget_perms.idxmax()]
                at100 = c[c.budget_perms == 100]
                r100 = at100.ratio_to_permutation.iloc[0] if not at100.empty else math.nan
                out.append(
                    f"| {g} | {e} | {int(top['budget_perms'])} | "
                    f"{fmt(top['ratio_to_permutation'], 2)} | {fmt(r100, 2)} | "
                    f"{_pct(top['coverage'])} | {_pct(top['coverage_nondegenerate'])} | "
                    f"{fmt(top['stderr_ratio'], 2)} | {fmt(1000 * top['time_s'])} | "
                    f"{int(top['evals_max']):,} of {int(top['budget']):,} |"
                )
        bad = cells_all[~cells_all.budget_respected.astype(bool)]
        notes = [
            *notes,
            "Budgets respected: "
            + ("yes, in every sampled cell." if bad.empty else f"NO, in {len(bad)} cells."),
        ]
    load = _load_note(frame)
    notes = [*notes, load] if load else notes
    errors = frame[frame.error != ""]
    if notes or not errors.empty:
        out += ["", "## Notes", ""]
        out += [f"- {note}" for note in dict.fromkeys(notes)]
        out += [
            f"- error in {r['task']} {r['game']} n={r['n_players']}: {r['error']}"
            for _, r in errors.iterrows()
        ]
    out += [
        "",
        "Tidy data: `shapley.csv` (one row per exact measurement and per sampling cell); "
        "plot: `shapley.png`. Method: see the docstring of `benchmarks/bench_shapley.py` and "
        "`benchmarks/README.md`.",
        "",
    ]
    path.write_text("\n".join(out))


def write_plot(frame, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    colors = {
        "permutation": "tab:blue",
        "antithetic": "tab:orange",
        "stratified": "tab:green",
        "kernel": "tab:red",
    }
    samp = _cells(frame)
    fig, axes = plt.subplots(2, 4, figsize=(20, 9.5))
    axes = axes.ravel()
    for ax, g in zip(axes, SAMPLING_GAMES, strict=False):
        gs = samp[samp.game == g]
        all_g = frame[(frame.task == "sampling") & (frame.game == g)]
        for e in ESTIMATORS:
            c = gs[gs.estimator == e].sort_values("budget_perms")
            if c.empty:
                continue
            ax.plot(c.budget_perms, c.rel_rmse, "o-", color=colors[e], label=e, ms=4)
            ax.fill_between(
                c.budget_perms, c.rel_rmse_ci_low, c.rel_rmse_ci_high, color=colors[e], alpha=0.15
            )
        if not gs.empty:
            p = gs[gs.estimator == "permutation"].sort_values("budget_perms")
            if not p.empty:  # 1 / sqrt(budget) through the first permutation point
                x = np.array([p.budget_perms.min(), p.budget_perms.max()], dtype=float)
                y = p.rel_rmse.iloc[0] * np.sqrt(x[0] / x)
                ax.plot(x, y, "k:", lw=1, label="1/sqrt(budget)")
        fb = all_g[all_g.exact_fallback.fillna(False).astype(bool)]
        if not fb.empty:
            n = int(all_g.n_players.iloc[0])
            k_exact = (2**n - 2) / (n - 1)
            ax.axvline(k_exact, color="grey", ls="--", lw=1)
            ax.text(
                k_exact * 1.1,
                0.95,
                "exact from here",
                transform=ax.get_xaxis_transform(),
                fontsize=8,
                color="grey",
                va="top",
            )
        n_players = int(all_g.n_players.iloc[0]) if not all_g.empty else 0
        ax.set_title(f"{g} ({n_players} players)", fontsize=10)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("budget (permutations' worth: 2 + k(n-1) evaluations)", fontsize=8)
        ax.set_ylabel("relative RMSE", fontsize=8)
        ax.grid(True, which="both", alpha=0.3)
    if axes[0].get_legend_handles_labels()[0]:
        axes[0].legend(fontsize=8)
    # exact time against n
    ax = axes[7]
    ex = frame[(frame.task == "exact") & frame.wall_s.notna()]
    styles = {
        ("synthetic", "additive"): ("k", "o", "additive (cheap game)"),
        ("journeys", "subset"): ("tab:purple", "s", "subset, 1e5 synthetic journeys"),
        ("journeys", "set_rate smoothed"): ("tab:brown", "^", "set_rate smoothed, 1e5 journeys"),
        ("journeys", "model"): ("tab:cyan", "v", "model, 1e5 journeys"),
    }
    for (source, g), (color, marker, label) in styles.items():
        c = ex[(ex.source == source) & (ex.game == g)].sort_values("n_players")
        if not c.empty:
            ax.plot(c.n_players, c.wall_s, marker=marker, color=color, label=label, ms=5)
    p = ex[ex.source == "paths"]
    for _, r in p.iterrows():
        color = styles[("journeys", r["game"])][0]
        ax.plot(r["n_players"], r["wall_s"], marker="*", color=color, ms=10, ls="none")
    if not p.empty:
        ax.plot([], [], "k*", ls="none", label="bundled paths (stars, game colour)")
    ax.axhline(TARGET_EXACT_S, color="red", ls="--", lw=1, label=f"target {TARGET_EXACT_S:g} s")
    ax.axvline(TARGET_N, color="red", ls=":", lw=1)
    ax.set_yscale("log")
    ax.set_xlabel("players (channels) n", fontsize=8)
    ax.set_ylabel("build + ExactShapley wall time (s)", fontsize=8)
    ax.set_title("exact: time against n (2^n coalitions)", fontsize=10)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7)
    fig.suptitle(
        "attribution_lab Shapley benchmark: Monte Carlo relative RMSE against budget "
        "(bands: 95% bootstrap intervals) and exact time"
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_outputs(rows: list[dict[str, Any]], out: Path, notes: list[str], argv: list[str]) -> None:
    import pandas as pd

    if not rows:
        return
    frame = pd.DataFrame(rows).reindex(columns=COLUMNS)
    for col in ("note", "error", "check"):
        frame[col] = frame[col].astype(object).fillna("")
    frame["exact_fallback"] = frame["exact_fallback"].astype("boolean")
    frame["budget_respected"] = frame["budget_respected"].astype("boolean")
    out.mkdir(parents=True, exist_ok=True)
    frame.to_csv(out / f"{SUITE}.csv", index=False)
    write_markdown(frame, out / f"{SUITE}.md", notes, argv)
    write_plot(frame, out / f"{SUITE}.png")


# ============================================================================ main
def _int_list(s: str) -> list[int]:
    return [int(float(x)) for x in s.split(",") if x.strip()]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="fewer n, budgets and repetitions")
    p.add_argument(
        "--exact-ns",
        type=_int_list,
        default=None,
        help="comma-separated numbers of players of the exact series (default 10,12,...,24)",
    )
    p.add_argument(
        "--budgets",
        type=_int_list,
        default=None,
        help="comma-separated budgets in permutations' worth (default 10,20,50,...,10000)",
    )
    p.add_argument(
        "--repetitions", type=int, default=None, help="estimates per sampling cell (default 50)"
    )
    p.add_argument("--repeats", type=int, default=None, help="calls per exact measurement (3)")
    p.add_argument(
        "--exact-limit",
        type=float,
        default=None,
        help="seconds; skip an exact call estimated to take longer (default 120; --quick 10)",
    )
    p.add_argument("--seed", type=int, default=0, help="seed of games and estimators")
    p.add_argument("--out", type=Path, default=HERE / "results", help="output folder")
    p.add_argument("--worker", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    q = args.quick
    if args.exact_ns is None:
        args.exact_ns = list(QUICK_EXACT_NS if q else EXACT_NS)
    if args.budgets is None:
        args.budgets = list(QUICK_BUDGETS if q else BUDGETS)
    if args.repetitions is None:
        args.repetitions = QUICK_REPETITIONS if q else REPETITIONS
    if args.repeats is None:
        args.repeats = 1 if q else 3
    if args.exact_limit is None:
        args.exact_limit = QUICK_EXACT_LIMIT_S if q else EXACT_LIMIT_S
    if args.repetitions < 2 or args.repeats < 1:
        p.error("--repetitions must be >= 2 and --repeats >= 1")
    return args


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    if args.worker:
        print("RESULT " + json.dumps(run_worker(json.loads(args.worker))), flush=True)
        return 0

    import sklearn

    machine = {**machine_info(), "scikit_learn": sklearn.__version__}
    print(
        f"{SUITE}: exact n {args.exact_ns}, {args.repeats} call(s), limit "
        f"{args.exact_limit:g} s; sampling budgets {args.budgets} permutations' worth, "
        f"{args.repetitions} repetitions; seed {args.seed}"
    )
    notes: list[str] = []
    started = time.perf_counter()
    rows = bench_exact(args, machine, notes)
    write_outputs(rows, args.out, notes, argv)
    rows += bench_sampling(args, machine, notes)
    write_outputs(rows, args.out, notes, argv)
    import pandas as pd

    print("\n".join(verdict_lines(pd.DataFrame(rows).reindex(columns=COLUMNS))))
    print(f"done in {(time.perf_counter() - started) / 60:.1f} min; results in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
