"""montecarlo: Shapley estimators' error against exact values by budget, and interval coverage.

The four Monte Carlo estimators (permutation, antithetic, stratified, kernel; default parameters)
estimate seven games (the bundled paths' subset, set-rate and model games with 12
players and exact truth; random unanimity sums of 20 and 40 players and two glove games
with closed-form truth) at budgets of k permutations' worth (``budget = 2 + k (n - 1)``
evaluations), ``--repetitions`` times per cell (default 50) with seeds
``[seed, game, estimator, k, repetition]``. Per cell: relative RMSE
``sqrt(mean_r ||phi_r - phi||^2) / ||phi||`` with a 95% bootstrap interval, the ratio to
plain permutation sampling, and the coverage of the estimators' 95% intervals (share of
(player, repetition) pairs whose interval contains the true value). Cells below an
estimator's minimum budget are rows with ``status = skipped``; cells whose budget covers
all 2^n coalitions return exact values (``exact_fallback``) and are run once.

``wall_s`` is the median time of one estimate; ``scenario`` is the game, ``model`` the
estimator, ``n_channels`` the number of players, ``n_journeys`` the rows of the bundled
paths for the games built from them. Columns: ``rel_rmse_ci_low`` / ``_high`` (95%
percentile bootstrap over repetitions), ``mean_rel_error``, ``ratio_to_permutation`` with
``ratio_ci_low`` / ``_high``, ``coverage`` (``coverage_nondegenerate``: pairs with stderr >
0 only; ``coverage_normal``: +-1.96 stderr instead of the result's own t interval),
``stderr_ratio`` (sqrt(mean stderr^2) / RMSE: below 1 the standard errors are too small),
``draws`` (independent draws behind a standard error) and ``t_coverage`` (what intervals
from that many normal draws would cover), ``evals_mean`` / ``evals_max`` /
``budget_respected``, ``exact_fallback``, ``n_null_players``, ``truth`` (how the truth was
obtained) and ``background_load``.

Exact enumeration's cost is the speed suite's (``shapley (exact)`` rows).
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np

from benchmarks._harness import SuiteRun, busy_cpu_s, fmt, md_table, own_cpu_s, tqdm

TITLE = "Monte Carlo: Shapley estimators' error against exact values by budget, and coverage"
QUICK_BUDGETS = (10, 100)
QUICK_REPETITIONS = 5
QUICK_GAMES = ("paths: subset", "glove 8+12")
BUDGETS = (10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000)  # permutations' worth
REPETITIONS = 50
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


# ============================================================================ cells
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


def bench_sampling(args, seed: int, notes: list[str]) -> list[dict[str, Any]]:
    """Every cell (game, estimator, budget) of `args.games` with one seed."""
    rows: list[dict[str, Any]] = []
    boot_rng = np.random.default_rng([seed, 999])
    games = []
    for gi, name in enumerate(SAMPLING_GAMES):
        if name not in args.games:
            continue
        game, truth, how = sampling_game(name, seed)
        games.append((gi, name, game, truth, how))
        n = game.n_players
        for name_e in ESTIMATORS:  # warm-up: first calls and lazy imports are not timed
            est = estimator(name_e)
            b = max(budget_of(10, n), est.min_budget(n))
            if b < 2**n or n > 24:
                est.estimate(game, b, random_state=0)
    n_cells = len(games) * len(ESTIMATORS) * len(args.budgets)
    with tqdm(total=n_cells, desc="montecarlo", disable=args.no_progress) as bar:
        for gi, name, game, truth, how in games:
            n = game.n_players
            null = int(np.sum(np.abs(truth) <= 1e-12 * np.max(np.abs(truth))))
            common = {
                "game": name,
                "n_players": n,
                "n_null_players": null,
                "truth": how,
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
                        rng = np.random.default_rng([seed, gi, ei, k, r])
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


def add_arguments(p) -> None:
    from benchmarks._harness import int_list

    p.add_argument("--budgets", type=int_list, default=None, help="permutations' worth")
    p.add_argument("--repetitions", type=int, default=None, help="estimates per cell (50)")
    p.add_argument("--games", default=None, help="';'-separated game names (default: all)")


def configure(args) -> None:
    q = args.quick
    args.seeds = args.seeds or [0]
    args.budgets = args.budgets or list(QUICK_BUDGETS if q else BUDGETS)
    args.repetitions = args.repetitions or (QUICK_REPETITIONS if q else REPETITIONS)
    if args.games:
        args.games = tuple(g.strip() for g in args.games.split(";"))
    else:
        args.games = QUICK_GAMES if q else SAMPLING_GAMES
    unknown = set(args.games) - set(SAMPLING_GAMES)
    if unknown:
        raise SystemExit(f"unknown games {sorted(unknown)}; known: {SAMPLING_GAMES}")


def run(sr: SuiteRun, args) -> None:
    from attribution_lab.datasets import load_pathdata

    n_paths = load_pathdata().n_journeys
    for seed in args.seeds:
        for r in bench_sampling(args, seed, sr.notes):
            game, est, k = r.pop("game"), r.pop("estimator"), r["budget_perms"]
            row = {
                "scenario": game,
                "model": est,
                "params": f"k={k} ({r['budget']:,} evaluations)",
                "n_journeys": n_paths if game.startswith("paths") else math.nan,
                "n_channels": r["n_players"],
                "seed": seed,
                "wall_s": r.get("time_s"),
            }
            note = r.pop("note", "") or ""
            r = {k: v for k, v in r.items() if k not in row}
            if r.get("repetitions") == 0:
                sr.skip(note, **row, **r)
            else:
                sr.add(**row, **r, note=note)
    sr.notes.append(
        f"Budgets {args.budgets} permutations' worth; {args.repetitions} repetitions per "
        f"cell; seeds {args.seeds}; games: {', '.join(args.games)}."
    )


def _sampled(frame):
    ok = frame[(frame.status == "ok") & (frame.repetitions > 1)]
    return ok


def body(frame) -> list[str]:
    ok = frame[frame.status == "ok"]
    if ok.empty:
        return ["No cell ran."]
    lines = [
        "Relative RMSE of the estimates against the true Shapley values (coverage of the "
        "95% intervals in brackets) by budget in permutations' worth k; `exact` = the "
        "budget covers every coalition.",
    ]
    for game in dict.fromkeys(frame.scenario):
        g = frame[frame.scenario == game]
        budgets = sorted(g.budget_perms.unique())
        table = {}
        for est in dict.fromkeys(g.model):
            cells = []
            for k in budgets:
                c = g[(g.model == est) & (g.budget_perms == k)]
                if c.empty or c.status.iloc[0] != "ok":
                    cells.append("-")
                elif bool(c.exact_fallback.iloc[0]):
                    cells.append("exact")
                else:
                    cov = c.coverage.iloc[0]
                    cells.append(f"{fmt(c.rel_rmse.iloc[0], 2)} ({100 * cov:.0f}%)")
            table[est] = cells
        import pandas as pd

        t = pd.DataFrame.from_dict(table, orient="index", columns=[f"k={int(k)}" for k in budgets])
        t.index.name = "estimator"
        lines += ["", f"## {game} ({int(g.n_channels.iloc[0])} players)", "", *md_table(t)]
    s = _sampled(frame)
    if not s.empty:
        pooled = s.groupby("model").apply(
            lambda d: (d.coverage * d.n_pairs).sum() / d.n_pairs.sum(), include_groups=False
        )
        lines += [
            "",
            "## Coverage pooled over every sampled cell",
            "",
            *md_table(pooled.rename("coverage").to_frame(), 3),
        ]
    return lines


def plot(frame, path) -> None:
    import matplotlib.pyplot as plt

    s = _sampled(frame)
    games = list(dict.fromkeys(frame.scenario))
    fig, axes = plt.subplots(
        2, max(len(games), 1), figsize=(4 * max(len(games), 1), 7), squeeze=False
    )
    colors = dict(
        zip(
            ("permutation", "antithetic", "stratified", "kernel"),
            ("tab:blue", "tab:orange", "tab:green", "tab:red"),
            strict=True,
        )
    )
    for j, game in enumerate(games):
        g = s[s.scenario == game]
        top, bottom = axes[0, j], axes[1, j]
        for est, d in g.groupby("model", sort=False):
            d = d.sort_values("budget_perms")
            color = colors.get(est)
            top.plot(d.budget_perms, d.rel_rmse, "o-", ms=3, color=color, label=est)
            top.fill_between(
                d.budget_perms, d.rel_rmse_ci_low, d.rel_rmse_ci_high, color=color, alpha=0.15
            )
            bottom.plot(d.budget_perms, d.coverage, "o-", ms=3, color=color, label=est)
        top.set(xscale="log", yscale="log", title=f"{game}", ylabel="relative RMSE")
        bottom.axhline(0.95, color="k", ls="--", lw=1)
        bottom.set(xscale="log", ylim=(0, 1.02), ylabel="95% interval coverage")
        bottom.set_xlabel("budget (permutations' worth)")
        for ax in (top, bottom):
            ax.grid(True, which="both", alpha=0.3)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    if handles:
        fig.legend(handles, labels, loc="lower center", ncol=4, fontsize=9)
    fig.suptitle("Monte Carlo Shapley estimators: error and coverage by budget")
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    fig.savefig(path, dpi=110)
    plt.close(fig)


PLOTS = {"montecarlo.png": plot}


def run_worker(spec: dict[str, Any]) -> dict[str, Any]:  # pragma: no cover
    raise ValueError("the montecarlo suite runs in one process")
