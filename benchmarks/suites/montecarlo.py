"""montecarlo: Shapley estimators' error against exact values by budget, and interval coverage.

This suite calls the sampling part of ``benchmarks/bench_shapley.py``
(`bench_shapley.bench_sampling`) and writes its cells in the suites' tidy layout. The four
Monte Carlo estimators (permutation, antithetic, stratified, kernel; default parameters)
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
paths for the games built from them. The definitions of every column are in
``benchmarks/README.md`` (Shapley section).
"""

from __future__ import annotations

import argparse
import math
from typing import Any

from benchmarks._harness import SuiteRun, fmt, md_table

TITLE = "Monte Carlo: Shapley estimators' error against exact values by budget, and coverage"
QUICK_BUDGETS = (10, 100)
QUICK_REPETITIONS = 5
QUICK_GAMES = ("paths: subset", "glove 8+12")


def add_arguments(p) -> None:
    from benchmarks.__main__ import int_list

    p.add_argument("--budgets", type=int_list, default=None, help="permutations' worth")
    p.add_argument("--repetitions", type=int, default=None, help="estimates per cell (50)")
    p.add_argument("--games", default=None, help="';'-separated game names (default: all)")


def configure(args) -> None:
    from benchmarks import bench_shapley as bs

    q = args.quick
    args.seeds = args.seeds or [0]
    args.budgets = args.budgets or list(QUICK_BUDGETS if q else bs.BUDGETS)
    args.repetitions = args.repetitions or (QUICK_REPETITIONS if q else bs.REPETITIONS)
    if args.games:
        args.games = tuple(g.strip() for g in args.games.split(";"))
    else:
        args.games = QUICK_GAMES if q else bs.SAMPLING_GAMES
    unknown = set(args.games) - set(bs.SAMPLING_GAMES)
    if unknown:
        raise SystemExit(f"unknown games {sorted(unknown)}; known: {bs.SAMPLING_GAMES}")


def run(sr: SuiteRun, args) -> None:
    from attribution_lab.datasets import load_pathdata
    from benchmarks import bench_shapley as bs

    n_paths = load_pathdata().n_journeys
    for seed in args.seeds:
        ns = argparse.Namespace(seed=seed, budgets=args.budgets, repetitions=args.repetitions)
        notes: list[str] = []
        rows = bs.bench_sampling(ns, {}, notes, games_to_run=args.games)
        sr.notes.extend(notes)
        for r in rows:
            r = dict(r)
            r.pop("suite", None)
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
