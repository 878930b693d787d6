"""accuracy: every model against the truth of every simulated scenario, by n_journeys and seed.

For every scenario of ``attribution_lab.simulate.scenarios()``, every n_journeys in
``--sizes`` (default 1e3, 1e4, 1e5, 1e6) and every seed in ``--seeds`` (default 0-4),
``simulate(scenario, n, random_state=seed)`` draws journeys with a known truth, and every
registered model (``available_models()``, default parameters, ``random_state=seed`` where
a seed can act) plus a few variants (`EXTRA_MODELS`, and every Shapley game beside the
default one, `SHAPLEY_GAMES`, which is how the default game is chosen) is fitted and
compared with the scenario's main truth by ``attribution_lab.evaluate.accuracy``:
total-variation distance of the conversion shares (``tv_share``), rank correlations, top-3
overlap, errors of credit. ``tv_share_vs_<truth>`` is the distance from the scenario's
other truths (the causal worlds also give the Shapley value of expected conversions).
``n_negative`` counts the channels given a negative share and ``min_share`` is the lowest
share (the suite silences `NegativeCreditWarning` and reports these instead). ``--models``
runs only some models (``--models shapley`` every Shapley game).

Interval coverage (rows with ``task = bootstrap``): at ``--coverage-n`` journeys (default
1e4) the models of `COVERAGE_MODELS` get percentile-bootstrap intervals
(``attribution_lab.uncertainty.bootstrap``, ``--n-boot`` replicates, default 100) and
``coverage`` is the share of channels whose 95% interval contains the true credit. The
intervals are for each model's own estimand, so coverage of the truth well below 95%
measures the model's bias, not a faulty bootstrap. Bootstrapping every model at every
size would multiply the suite's cost by the number of replicates; one size and four
models of different kinds (rule, rule, Markov, Shapley) keep it to minutes.

Size caps: a model is not run above its cap in `SIZE_CAPS`, and not where its time at
the previous size, scaled linearly in n, exceeds ``--time-limit`` seconds; such cells
are rows with ``status = skipped`` and the reason. A model that refuses a scenario (e.g.
the model game where every journey converts) is a row with ``status = error``.

The point-process model (``point_process``) is fitted with ``conversion="window_end"`` on
the worlds whose conversion is a yes / no decided at the end of the window (the scenarios
built on `attribution_lab.simulate.CausalWorld` and `~attribution_lab.simulate.AccountWorld`,
read from the scenario table through ``make_world``, not from the name), and with its
default ``conversion="hazard"`` on the worlds whose journeys stop at conversion; it runs up
to 1e5 journeys (`SIZE_CAPS`: fit + attribute take about a minute at 1e5 on 2 shared
cores). Its intervals, dedicated worlds and speed are the ``mediation`` suite's subject.

``wall_s`` is fit + attribute in this process; ``peak_mem_mb`` the process's peak RSS
during that call (the simulated journeys included).
"""

from __future__ import annotations

import functools
import math
import time
import warnings
from typing import Any

import numpy as np

from attribution_lab.result import NegativeCreditWarning
from benchmarks._harness import SuiteRun, fmt, fmt_n, md_table, peak_mb, reset_peak, tqdm

TITLE = "Accuracy: every model against the truth of every simulated scenario"
DEFAULT_SIZES = (1_000, 10_000, 100_000, 1_000_000)
QUICK_SIZES = (1_000,)
DEFAULT_SEEDS = (0, 1, 2, 3, 4)
QUICK_SEEDS = (0,)
# label -> (registry name, params): variants beside every registered model's defaults
EXTRA_MODELS: dict[str, tuple[str, dict[str, Any]]] = {
    "markov (order 2)": ("markov", {"order": 2}),
    "markov (order 3)": ("markov", {"order": 3}),
}
# every Shapley game beside the default one (which is the row "shapley"), so the suite
# measures the choice of the default game
SHAPLEY_GAMES: dict[str, dict[str, Any]] = {
    "shapley (subset game)": {"game": "subset"},
    "shapley (counterfactual game)": {"game": "counterfactual"},
    "shapley (counterfactual game, zero policy)": {
        "game": "counterfactual",
        "game_params": {"policy": "zero"},
    },
    "shapley (set-rate game)": {"game": "set_rate"},
    "shapley (subgame policy)": {"game": "set_rate", "game_params": {"policy": "subgame"}},
    "shapley (model game)": {"game": "model"},
}
# largest n_journeys per model: measured on the b2b world (6 channels), the model game
# took 0.55 s at 1e5 and about 10x that at 1e6, per scenario and seed; the others < 0.3 s.
# The point-process model: fit + attribute about 60 s at 1e5 (5 channels, load of 5 on 2
# cores), so 1e6 on the 11 timed scenarios and 5 seeds would take hours
SIZE_CAPS: dict[str, int] = {"shapley (model game)": 100_000, "point_process": 100_000}
TIME_LIMIT_S = 60.0
COVERAGE_N = 10_000
COVERAGE_BOOT = 100
COVERAGE_MODELS = ("last_touch", "linear", "markov", "shapley")
QUICK_COVERAGE = (1_000, 10)
QUICK_COVERAGE_MODELS = ("linear", "markov")
METRICS = ("tv_share", "spearman", "kendall", "top_k_overlap", "mae", "max_error", "coverage")


def add_arguments(p) -> None:
    p.add_argument("--scenarios", default=None, help="comma-separated (default: all)")
    p.add_argument(
        "--models",
        default=None,
        help="comma-separated model labels; a registry name also keeps its variants, e.g."
        " 'shapley' runs every Shapley game (default: all)",
    )
    p.add_argument("--coverage-n", type=int, default=None, help="n_journeys of the bootstrap")
    p.add_argument("--n-boot", type=int, default=None, help="bootstrap replicates (100)")
    p.add_argument(
        "--time-limit",
        type=float,
        default=TIME_LIMIT_S,
        help="seconds; skip a model whose estimated fit time exceeds it",
    )


def configure(args) -> None:
    from attribution_lab.simulate import scenarios

    q = args.quick
    args.sizes = args.sizes or list(QUICK_SIZES if q else DEFAULT_SIZES)
    args.seeds = args.seeds or list(QUICK_SEEDS if q else DEFAULT_SEEDS)
    args.scenarios = args.scenarios.split(",") if args.scenarios else list(scenarios())
    args.models = args.models.split(",") if args.models else None
    args.coverage_n = args.coverage_n or (QUICK_COVERAGE[0] if q else COVERAGE_N)
    args.n_boot = args.n_boot or (QUICK_COVERAGE[1] if q else COVERAGE_BOOT)
    args.coverage_models = QUICK_COVERAGE_MODELS if q else COVERAGE_MODELS


def models(keep: list[str] | None = None) -> dict[str, tuple[str, dict[str, Any]]]:
    """label -> (registry name, params); `keep` filters by label or registry name."""
    from attribution_lab import available_models, get_model

    default_game = get_model("shapley").game
    shapley = {
        label: ("shapley", params)
        for label, params in SHAPLEY_GAMES.items()
        if params != {"game": default_game}
    }
    catalogue = {name: (name, {}) for name in available_models()} | EXTRA_MODELS | shapley
    if keep is None:
        return catalogue
    unknown = set(keep) - set(catalogue) - {name for name, _ in catalogue.values()}
    if unknown:
        raise SystemExit(f"--models: unknown {', '.join(sorted(unknown))}")
    return {label: spec for label, spec in catalogue.items() if label in keep or spec[0] in keep}


@functools.cache
def _ends_at_window(scenario: str) -> bool:
    """Whether the scenario's conversion is a yes / no at the end of the window."""
    from attribution_lab.simulate import AccountWorld, CausalWorld, make_world

    return isinstance(make_world(scenario), CausalWorld | AccountWorld)


def world_params(name: str, params: dict[str, Any], scenario: str) -> dict[str, Any]:
    """`params` of model `name` on `scenario`: the point-process model's conversion part.

    The causal and B2B worlds decide conversion at the end of the window, from the decayed
    effects of the touches (a logistic model): the point-process model's
    ``conversion="window_end"``; a time-to-event model is misspecified there. The other
    timed worlds stop journeys at conversion: its default ``"hazard"``.
    """
    if name == "point_process" and "conversion" not in params and _ends_at_window(scenario):
        return {**params, "conversion": "window_end"}
    return params


def _params_label(params: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in params.items()) or "defaults"


def _model(name: str, params: dict[str, Any], seed: int, journeys):
    from attribution_lab import get_model

    model = get_model(name, **params)
    # seed only where a seed acts: models refuse a random_state that cannot act
    inert = model.inert_params(journeys)
    if "random_state" in model.get_params() and "random_state" not in inert:
        model.set_params(random_state=seed)
    return model


def _metrics(result, sim) -> dict[str, Any]:
    from attribution_lab.evaluate import accuracy

    out = accuracy(result, sim.truth).to_dict()
    out["n_negative"] = int((result.conversions < 0).sum())
    out["min_share"] = float(result.share.min())
    for name, truth in sim.truths.items():
        if truth is not sim.truth and name != sim.truth.estimand:
            out[f"tv_share_vs_{name}"] = float(accuracy(result, truth)["tv_share"])
    return out


def run(sr: SuiteRun, args) -> None:
    from attribution_lab.simulate import simulate
    from attribution_lab.uncertainty import bootstrap

    catalogue = models(args.models)
    # the suite counts negative shares itself (columns n_negative, min_share)
    warnings.simplefilter("ignore", NegativeCreditWarning)
    sr.notes.append(
        f"Sizes {', '.join(fmt_n(n) for n in args.sizes)}; seeds {args.seeds}; "
        f"{len(args.scenarios)} scenarios; {len(catalogue)} models; bootstrap coverage at "
        f"{fmt_n(args.coverage_n)} journeys with {args.n_boot} replicates for "
        f"{', '.join(args.coverage_models)}."
    )
    last_time: dict[tuple[str, str], tuple[int, float]] = {}  # (model, scenario) -> (n, s)
    boot_sizes = [args.coverage_n]
    total = len(args.sizes) * len(args.seeds) * len(args.scenarios)
    total += len(boot_sizes) * len(args.seeds) * len(args.scenarios)
    with tqdm(total=total, desc="accuracy", disable=args.no_progress) as bar:
        for n in sorted(args.sizes):
            for seed in args.seeds:
                for scenario in args.scenarios:
                    bar.set_postfix_str(f"{scenario}, n={fmt_n(n)}, seed {seed}")
                    t0 = time.perf_counter()
                    sim = simulate(scenario, n, random_state=seed)
                    sim_s = time.perf_counter() - t0
                    base = {
                        "task": "point",
                        "scenario": scenario,
                        "n_journeys": n,
                        "n_channels": sim.journeys.n_channels,
                        "seed": seed,
                        "truth": sim.truth.estimand,
                        "simulate_s": sim_s,
                    }
                    for label, (name, params) in catalogue.items():
                        params = world_params(name, params, scenario)
                        row = {**base, "model": label, "params": _params_label(params)}
                        cap = SIZE_CAPS.get(label)
                        prev = last_time.get((label, scenario))
                        if cap is not None and n > cap:
                            sr.skip(f"size cap {fmt_n(cap)} journeys (SIZE_CAPS)", **row)
                            continue
                        if prev is not None and prev[1] * n / prev[0] > args.time_limit:
                            est = prev[1] * n / prev[0]
                            sr.skip(
                                f"estimated {est:.0f} s from {prev[1]:.2f} s at "
                                f"{fmt_n(prev[0])}, over --time-limit {args.time_limit:g} s",
                                **row,
                            )
                            continue
                        reset_peak()
                        t0 = time.perf_counter()
                        try:
                            result = (
                                _model(name, params, seed, sim.journeys)
                                .fit(sim.journeys)
                                .attribute()
                            )
                        except (ValueError, np.linalg.LinAlgError) as exc:
                            sr.error(f"{type(exc).__name__}: {exc}", **row)
                            continue
                        wall = time.perf_counter() - t0
                        last_time[(label, scenario)] = (n, max(wall, prev[1] if prev else 0))
                        sr.add(**row, wall_s=wall, peak_mem_mb=peak_mb(), **_metrics(result, sim))
                    bar.update()
            if not args.quick:
                sr.write(TITLE, body, PLOTS)  # a checkpoint after every size
        for n in boot_sizes:
            for seed in args.seeds:
                for scenario in args.scenarios:
                    bar.set_postfix_str(f"bootstrap {scenario}, n={fmt_n(n)}, seed {seed}")
                    sim = simulate(scenario, n, random_state=seed)
                    for label in [m for m in args.coverage_models if m in catalogue]:
                        name, params = catalogue[label]
                        row = {
                            "task": "bootstrap",
                            "scenario": scenario,
                            "model": label,
                            "params": f"{_params_label(params)}; n_boot={args.n_boot}",
                            "n_journeys": n,
                            "n_channels": sim.journeys.n_channels,
                            "seed": seed,
                            "truth": sim.truth.estimand,
                            "n_boot": args.n_boot,
                        }
                        reset_peak()
                        t0 = time.perf_counter()
                        try:
                            result = bootstrap(
                                _model(name, params, seed, sim.journeys),
                                sim.journeys,
                                args.n_boot,
                                random_state=seed,
                            )
                        except ValueError as exc:
                            sr.error(f"{type(exc).__name__}: {exc}", **row)
                            continue
                        sr.add(
                            **row,
                            wall_s=time.perf_counter() - t0,
                            peak_mem_mb=peak_mb(),
                            **_metrics(result, sim),
                        )
                    bar.update()


# ============================================================================ outputs
def _point(frame):
    return frame[(frame.task == "point") & (frame.status == "ok")]


def body(frame) -> list[str]:
    pt = _point(frame)
    if pt.empty:
        return ["No model ran."]
    order = list(dict.fromkeys(frame.model))
    scen = list(dict.fromkeys(frame.scenario))
    sizes = sorted(pt.n_journeys.unique())
    big = sizes[-1]
    seeds = sorted(pt.seed.unique())
    lines = [
        "Error against each scenario's main truth (removal effects for the Markov worlds, "
        "Shapley values of expected conversions for the coalition world, incremental "
        "conversions for the causal worlds), from `attribution_lab.evaluate.accuracy`. "
        f"Means over {len(seeds)} seed(s) ({', '.join(map(str, seeds))}).",
        "",
        f"## Total-variation distance of shares at n_journeys = {fmt_n(big)}",
        "",
        "0 = the true split of credit, 1 = disjoint; above 1, the model gave some channels "
        "negative shares (a Shapley game whose v(N) is close to v(empty)). Mean over seeds "
        "(the largest seed-to-seed standard deviation in this table is given below it).",
        "",
    ]
    at = pt[pt.n_journeys == big]
    tv = at.pivot_table(index="model", columns="scenario", values="tv_share", aggfunc="mean")
    tv = tv.reindex(index=[m for m in order if m in tv.index], columns=scen)
    lines += md_table(tv, 2)
    sd = at.pivot_table(index="model", columns="scenario", values="tv_share", aggfunc="std")
    if len(seeds) > 1:
        lines += ["", f"Largest standard deviation over seeds: {fmt(np.nanmax(sd.values), 2)}."]
    lines += [
        "",
        "## Mean total-variation distance over scenarios, by n_journeys",
        "",
        "Sampling error shrinks with n; what stays is the model's bias against the truth. "
        f"(k/{len(scen)}): a mean over the k scenarios the model ran at that size (the "
        "others failed or were skipped, see the notes), which does not compare with a mean "
        "over all.",
        "",
    ]
    by_n = pt.pivot_table(index="model", columns="n_journeys", values="tv_share", aggfunc="mean")
    ran = pt.pivot_table(index="model", columns="n_journeys", values="scenario", aggfunc="nunique")
    cells = by_n.map(lambda v: fmt(v, 3)).astype(object)
    partial = ran.reindex_like(by_n) < len(scen)
    cells[partial] = cells[partial] + ran.reindex_like(by_n)[partial].map(
        lambda k: f" ({k:.0f}/{len(scen)})"
    )
    cells = cells.where(by_n.notna(), None)
    cells = cells.reindex(index=[m for m in order if m in cells.index])
    cells.columns = [fmt_n(c) for c in cells.columns]
    lines += md_table(cells, 3)
    lines += _negative(pt, order, scen)
    lines += [
        "",
        f"## Spearman rank correlation with the truth at n_journeys = {fmt_n(big)}",
        "",
    ]
    sp = at.pivot_table(index="model", columns="scenario", values="spearman", aggfunc="mean")
    lines += md_table(sp.reindex(index=[m for m in order if m in sp.index], columns=scen), 2)
    boot = frame[(frame.task == "bootstrap") & (frame.status == "ok")]
    if not boot.empty:
        nb = int(boot.n_boot.iloc[0])
        lines += [
            "",
            f"## Coverage of the true credit by 95% bootstrap intervals "
            f"(n_journeys = {fmt_n(boot.n_journeys.iloc[0])}, {nb} replicates)",
            "",
            "Share of channels whose interval contains the truth, mean over seeds. The "
            "intervals are for the model's own estimand: low coverage is the model's bias.",
            "",
        ]
        cv = boot.pivot_table(index="model", columns="scenario", values="coverage", aggfunc="mean")
        lines += md_table(cv.reindex(columns=scen), 2)
    lines += ["", "## Time of fit + attribute (s), median over scenarios and seeds", ""]
    tm = pt.pivot_table(index="model", columns="n_journeys", values="wall_s", aggfunc="median")
    tm = tm.reindex(index=[m for m in order if m in tm.index])
    tm.columns = [fmt_n(c) for c in tm.columns]
    lines += md_table(tm, 2)
    return lines


def _negative(pt, order, scen) -> list[str]:
    """Lowest share of the models that gave some channel a negative share, any n and seed."""
    if "n_negative" not in pt:
        return []
    neg = pt[pt.n_negative > 0]
    lines = ["", "## Negative shares", ""]
    if neg.empty:
        return [*lines, "No model gave any channel a negative share, at any size and seed."]
    runs = pt.groupby("model").size()
    lines += [
        "Lowest share given to a channel (over sizes and seeds) where a model gave some "
        "channel a negative share; the last column counts such runs. Models not listed "
        "never did.",
        "",
    ]
    low = neg.pivot_table(index="model", columns="scenario", values="min_share", aggfunc="min")
    low = low.reindex(index=[m for m in order if m in low.index], columns=scen)
    low = low.dropna(axis=1, how="all")
    count = neg.groupby("model").size()
    low["negative runs"] = [f"{count[m]} of {runs[m]}" for m in low.index]
    return lines + md_table(low, 2)


def plot_error(frame, path) -> None:
    import matplotlib.pyplot as plt

    pt = _point(frame)
    scen = list(dict.fromkeys(frame.scenario))
    order = list(dict.fromkeys(frame.model))
    ncol = min(5, max(len(scen), 1))
    nrow = math.ceil(len(scen) / ncol)
    fig, axes = plt.subplots(
        nrow, ncol, figsize=(4 * ncol, 3.4 * nrow + 1.2), sharex=True, squeeze=False
    )
    cmap = plt.get_cmap("tab20")
    colors = {m: cmap(i % 20) for i, m in enumerate(order)}
    for ax, s in zip(axes.ravel(), scen, strict=False):
        sub = pt[pt.scenario == s]
        for m in order:
            g = sub[sub.model == m].groupby("n_journeys").tv_share
            if g.ngroups == 0:
                continue
            mean, lo, hi = g.mean(), g.min(), g.max()
            style = "--" if "(" in m else "-"
            ax.plot(mean.index, mean.values, style, marker=".", color=colors[m], lw=1.2, label=m)
            ax.fill_between(mean.index, lo.values, hi.values, color=colors[m], alpha=0.08)
        ax.set_xscale("log")
        ax.set_yscale("log")  # distances span 0.01 (Markov on its world) to > 1 (model game)
        ax.set_title(s, fontsize=10)
        ax.grid(True, which="both", alpha=0.3)
        ax.set_xlabel("n_journeys", fontsize=8)
        ax.set_ylabel("TV distance from truth", fontsize=8)
    for ax in axes.ravel()[len(scen) :]:
        ax.axis("off")
    handles, labels = axes.ravel()[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=min(len(labels), 7), fontsize=8)
    fig.suptitle(
        "Accuracy: total-variation distance of credit shares from the truth "
        "(mean over seeds; band: min-max)"
    )
    # fixed margins: tight_layout on a dozen log-log panels takes seconds
    fig.subplots_adjust(
        left=0.05, right=0.99, top=0.93, bottom=1.6 / (3.4 * nrow + 1.2), hspace=0.35, wspace=0.3
    )
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_coverage(frame, path) -> None:
    import matplotlib.pyplot as plt

    boot = frame[(frame.task == "bootstrap") & (frame.status == "ok")]
    fig, ax = plt.subplots(figsize=(10, 3.2))
    if boot.empty:
        ax.text(0.5, 0.5, "no bootstrap run", ha="center")
    else:
        cv = boot.pivot_table(index="model", columns="scenario", values="coverage")
        cv = cv.reindex(columns=list(dict.fromkeys(frame.scenario)))
        im = ax.imshow(cv.values, vmin=0, vmax=1, cmap="RdYlGn", aspect="auto")
        ax.set_xticks(range(cv.shape[1]), cv.columns, rotation=30, ha="right", fontsize=8)
        ax.set_yticks(range(cv.shape[0]), cv.index, fontsize=8)
        for i in range(cv.shape[0]):
            for j in range(cv.shape[1]):
                v = cv.values[i, j]
                if v == v:
                    ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=7)
        fig.colorbar(im, ax=ax, label="coverage")
        ax.set_title(
            f"95% bootstrap intervals containing the true credit "
            f"(n_journeys={fmt_n(boot.n_journeys.iloc[0])}, mean over seeds)",
            fontsize=10,
        )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


PLOTS = {"accuracy.png": plot_error, "accuracy_coverage.png": plot_coverage}


def run_worker(spec: dict[str, Any]) -> dict[str, Any]:  # pragma: no cover
    raise ValueError("the accuracy suite runs in one process")
