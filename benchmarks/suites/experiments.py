"""experiments: calibrating attribution to lift tests, checked against the worlds' truth.

Rows (``task``):

1. ``headline``: the ``confounding`` scenario at ``--sizes`` journeys (default 1e5), seeds
   ``--seeds`` (0-4); every model of ``--models`` bootstrapped (``--n-boot`` replicates,
   customers, paths merged; models with their own standard errors use them) and calibrated
   (`calibrate_to_experiments`, defaults: ``untested="keep"``, ``model_error=1``) to one
   holdout experiment on ``paid_search`` (``--exp-n`` persons, default 1e6, 10% held out,
   seed 1000 + seed). Total variation of the calibrated shares (credit normalised to sum
   to 1) from the incremental truth, before and after.
2. ``coverage``: the same world at ``--coverage-n`` journeys (1e4) over ``--coverage-seeds``
   seeds (200), Shapley (subset game) bootstrapped with 30 replicates, one experiment of
   ``--coverage-exp-n`` persons (1e5, 10% held out): does the calibrated 95% interval of
   ``paid_search`` contain the truth? Also the experiment's own interval, and the untested
   channels' intervals under ``untested="pooled"``.
3. ``n_tested``: ``confounding`` and ``mediation`` at 1e5 journeys, seeds 0-2: accuracy of the
   calibrated Shapley and Markov credit with 0, 1, 2 and all channels tested, in a fixed order
   (the channel the models get most wrong first), under both untested policies.
4. ``holdout``: the cost of a small experiment: width of the experiment's and the calibrated
   interval of ``paid_search`` against the holdout share (1% to 50%) for 1e5 and 1e6 persons.
"""

from __future__ import annotations

import time
import warnings
from typing import Any

import numpy as np

from attribution_lab import get_model
from attribution_lab.calibrate import calibrate_to_experiments
from attribution_lab.simulate import make_world, simulate
from attribution_lab.uncertainty import bootstrap
from benchmarks._harness import SuiteRun, md_table

TITLE = "Experiments: attribution calibrated to lift tests, against the truth"
ORDER = {
    "confounding": ["paid_search", "email", "display", "social"],
    "mediation": ["display", "brand_search", "email", "social", "direct"],
}
#: models whose credit needs touch times, and those that report their own standard errors
TIMED = {"time_decay", "hazard", "point_process"}
OWN_STDERR = {"hazard", "point_process"}
HOLDOUTS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5)
_EXPERIMENTS: dict[Any, Any] = {}


def tv(credit: np.ndarray, truth_share: np.ndarray) -> float:
    s = credit / credit.sum()
    return float(0.5 * np.abs(s - truth_share).sum())


def experiment(world: str, channel: str, n: int, seed: int, holdout: float = 0.1):
    key = (world, channel, n, seed, holdout)
    if key not in _EXPERIMENTS:
        _EXPERIMENTS[key] = make_world(world).experiment(
            channel, holdout=holdout, n=n, random_state=seed
        )
    return _EXPERIMENTS[key]


def model_result(name: str, journeys, n_boot: int, seed: int):
    model = get_model(name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        point = model.fit(journeys).attribute()
        if point.stderr is not None or name in OWN_STDERR:
            return point
        # merged paths drop touch times: only for the models that ignore them
        aggregate = name not in TIMED
        return bootstrap(name, journeys, n_boot, aggregate=aggregate, random_state=seed)


def headline(sr: SuiteRun, args) -> None:
    n = args.sizes[0]
    for seed in args.seeds:
        sim = simulate("confounding", n, random_state=seed)
        truth = sim.truths["incremental"]
        t0 = time.perf_counter()
        exp = experiment("confounding", "paid_search", args.exp_n, 1000 + seed)
        exp_s = time.perf_counter() - t0
        for name in args.models:
            t0 = time.perf_counter()
            res = model_result(name, sim.journeys, args.n_boot, seed)
            if res.stderr is None:
                sr.skip(
                    f"{name} gave no standard errors (estimates on the edge of its search box)",
                    task="headline", scenario="confounding", model=name, n_journeys=n, seed=seed,
                )  # fmt: skip
                continue
            cal = calibrate_to_experiments(res, sim.journeys, [exp.to_lift_test()])
            k = 0
            sr.add(
                task="headline", scenario="confounding", model=name, n_journeys=n, seed=seed,
                n_channels=len(truth.channel_names), params=f"exp_n={args.exp_n}, holdout=0.1",
                wall_s=time.perf_counter() - t0, experiment_s=exp_s,
                tv_model=tv(res.conversions, truth.share),
                tv_calibrated=tv(cal.conversions, truth.share),
                truth_paid=truth.conversions[k], model_paid=res.conversions[k],
                experiment_paid=cal.details["experiment_conversions"][k],
                calibrated_paid=cal.conversions[k], ci_low=cal.ci_low[k], ci_high=cal.ci_high[k],
                covered=bool(cal.ci_low[k] <= truth.conversions[k] <= cal.ci_high[k]),
                baseline=cal.params["baseline_conversions"],
            )  # fmt: skip


def coverage(sr: SuiteRun, args) -> None:
    n, n_exp = args.coverage_n, args.coverage_exp_n
    it = range(args.coverage_seeds)
    for seed in it:
        t0 = time.perf_counter()
        sim = simulate("confounding", n, random_state=seed)
        truth = sim.truths["incremental"]
        exp = experiment("confounding", "paid_search", n_exp, 5000 + seed)
        res = model_result("shapley", sim.journeys, 30, seed)
        test = exp.to_lift_test()
        keep = calibrate_to_experiments(res, sim.journeys, [test])
        pooled = calibrate_to_experiments(res, sim.journeys, [test], untested="pooled")
        # negative control: plain precision weighting trusts the biased model
        plain = calibrate_to_experiments(res, sim.journeys, [test], model_error=0.0)
        scale = n / n_exp
        t = truth.conversions
        inside = (pooled.ci_low <= t) & (t <= pooled.ci_high)
        sr.add(
            task="coverage", scenario="confounding", model="shapley", n_journeys=n, seed=seed,
            params=f"exp_n={n_exp}, holdout=0.1, n_boot=30", wall_s=time.perf_counter() - t0,
            covered=bool(keep.ci_low[0] <= t[0] <= keep.ci_high[0]),
            experiment_covered=bool(
                exp.ci_low * scale <= t[0] <= exp.ci_high * scale
            ),
            experiment_covered_own_truth=exp.covered,
            pooled_untested_covered=float(inside[1:].mean()),
            precision_weighting_covered=bool(plain.ci_low[0] <= t[0] <= plain.ci_high[0]),
            z=(keep.conversions[0] - t[0]) / keep.stderr[0],
            width=keep.ci_high[0] - keep.ci_low[0],
        )  # fmt: skip


def n_tested(sr: SuiteRun, args) -> None:
    n = args.sizes[0]
    for world, order in ORDER.items():
        for seed in args.seeds[:3]:
            sim = simulate(world, n, random_state=seed)
            truth = sim.truths["incremental"]
            exps = [
                experiment(world, c, args.exp_n, 2000 + 10 * seed + i) for i, c in enumerate(order)
            ]
            for name in ("shapley", "markov"):
                res = model_result(name, sim.journeys, args.n_boot, seed)
                for policy in ("keep", "pooled"):
                    for k in (0, 1, 2, len(order)):
                        t0 = time.perf_counter()
                        if k == 0:
                            credit, cover = res.conversions, np.nan
                        else:
                            tests = [e.to_lift_test() for e in exps[:k]]
                            cal = calibrate_to_experiments(
                                res, sim.journeys, tests, untested=policy
                            )
                            credit = cal.conversions
                            idx = [truth.channel_names.index(c) for c in order[:k]]
                            t = truth.conversions[idx]
                            cover = float(np.mean((cal.ci_low[idx] <= t) & (t <= cal.ci_high[idx])))
                        sr.add(
                            task="n_tested", scenario=world, model=name, n_journeys=n, seed=seed,
                            n_channels=len(order), params=f"untested={policy}", untested=policy,
                            n_tested=k, tested=",".join(order[:k]),
                            tv_calibrated=tv(credit, truth.share),
                            tested_covered=cover, wall_s=time.perf_counter() - t0,
                        )  # fmt: skip


def holdout(sr: SuiteRun, args) -> None:
    n = args.sizes[0]
    sim = simulate("confounding", n, random_state=0)
    truth = sim.truths["incremental"]
    res = model_result("shapley", sim.journeys, args.n_boot, 0)
    for n_exp in args.holdout_n:
        for h in HOLDOUTS:
            for seed in args.seeds[:3]:
                t0 = time.perf_counter()
                exp = experiment("confounding", "paid_search", n_exp, 3000 + seed, holdout=h)
                cal = calibrate_to_experiments(res, sim.journeys, [exp.to_lift_test()])
                scale = sim.journeys.n_journeys / n_exp
                sr.add(
                    task="holdout", scenario="confounding", model="shapley", n_journeys=n,
                    seed=seed,
                    params=f"exp_n={n_exp}, holdout={h}", exp_n=n_exp, holdout=h,
                    wall_s=time.perf_counter() - t0,
                    experiment_width=(exp.ci_high - exp.ci_low) * scale,
                    calibrated_width=cal.ci_high[0] - cal.ci_low[0],
                    experiment_weight=cal.details["experiment_weight"][0],
                    calibrated_paid=cal.conversions[0], truth_paid=truth.conversions[0],
                    tv_calibrated=tv(cal.conversions, truth.share),
                )  # fmt: skip


# ----------------------------------------------------------------------------- suite
def add_arguments(p) -> None:
    p.add_argument("--n-boot", type=int, default=None, help="bootstrap replicates (50)")
    p.add_argument("--exp-n", type=int, default=None, help="persons per experiment (1e6)")
    p.add_argument("--models", default=None, help="comma-separated registry names")
    p.add_argument("--coverage-n", type=int, default=None, help="journeys (1e4)")
    p.add_argument("--coverage-exp-n", type=int, default=None, help="persons (1e5)")
    p.add_argument("--coverage-seeds", type=int, default=None, help="seeds 0..k-1 (200)")


def configure(args) -> None:
    q = args.quick
    args.sizes = args.sizes or [2_000 if q else 100_000]
    args.seeds = args.seeds or ([0] if q else [0, 1, 2, 3, 4])
    args.n_boot = args.n_boot or (5 if q else 50)
    args.exp_n = args.exp_n or (5_000 if q else 1_000_000)
    default = "markov,linear" if q else "last_touch,linear,time_decay,markov,shapley,hazard"
    args.models = (args.models or default).split(",")
    args.coverage_n = args.coverage_n or (1_000 if q else 10_000)
    args.coverage_exp_n = args.coverage_exp_n or (5_000 if q else 100_000)
    args.coverage_seeds = args.coverage_seeds or (3 if q else 200)
    args.holdout_n = [5_000] if q else [100_000, 1_000_000]


def run(sr: SuiteRun, args) -> None:
    for part in (headline, coverage, n_tested, holdout):
        t0 = time.perf_counter()
        part(sr, args)
        sr.notes.append(f"part {part.__name__}: {time.perf_counter() - t0:.0f} s")
        _EXPERIMENTS.clear()


def body(frame) -> list[str]:
    head = frame[(frame.task == "headline") & (frame.status == "ok")]
    cov = frame[frame.task == "coverage"]
    nt = frame[frame.task == "n_tested"]
    ho = frame[frame.task == "holdout"]
    by_model = head.groupby("model")[["tv_model", "tv_calibrated"]].agg(["mean", "max"])
    by_model.columns = [f"{a} {b}" for a, b in by_model.columns]
    by_model = by_model.sort_values("tv_calibrated mean")
    best = by_model.index[0]
    covered = cov["covered"].astype(bool)
    rate = covered.mean()
    k = len(cov)
    se = np.sqrt(rate * (1 - rate) / max(k, 1))
    exp_rate = cov["experiment_covered"].astype(bool).mean()
    paid = head[head.model == best][
        ["seed", "truth_paid", "model_paid", "experiment_paid", "calibrated_paid", "ci_low",
         "ci_high", "covered", "tv_model", "tv_calibrated", "baseline"]
    ].set_index("seed")  # fmt: skip
    curve = nt.assign(n_tested=nt.n_tested.astype(int)).pivot_table(
        index=["scenario", "model", "untested"], columns="n_tested", values="tv_calibrated"
    )
    curve.columns = [f"{c} tested" for c in curve.columns]
    curve.index = [f"{s} / {m} / {u}" for s, m, u in curve.index]
    width = ho.pivot_table(
        index=["exp_n", "holdout"], values=["experiment_width", "calibrated_width",
                                             "experiment_weight", "tv_calibrated"]
    )  # fmt: skip
    width.index = [f"{int(n):,} persons, {h:g} held out" for n, h in width.index]
    n = int(head.n_journeys.iloc[0]) if len(head) else 0
    exp_n = head.params.iloc[0] if len(head) else ""
    seeds = ", ".join(str(int(x)) for x in sorted(head.seed.unique()))
    lines = [
        f"**Headline.** On `confounding` at {n:,} journeys (seeds {seeds};"
        " a model without standard errors at a seed is skipped, see the notes), one"
        f" holdout experiment on `paid_search` ({exp_n}) brings the best calibrated model,"
        f" `{best}` (mean over its seeds), to a total variation of"
        f" {by_model.loc[best, 'tv_calibrated mean']:.3f}"
        f" from the incremental truth (worst seed {by_model.loc[best, 'tv_calibrated max']:.3f};"
        f" uncalibrated {by_model.loc[best, 'tv_model mean']:.3f}). Calibrated 95% intervals of"
        f" the tested channel cover the truth in {100 * rate:.1f}% of {k} seeds (± {100 * se:.1f}"
        f" binomial s.e.; the experiment's own interval, rescaled: {100 * exp_rate:.1f}%).",
        "",
        "## 1. One lift test on the confounded channel (`confounding`)",
        "",
        "Total variation of shares from the incremental truth (credit normalised to sum to 1),"
        " uncalibrated and calibrated (`untested='keep'`), mean and worst over seeds:",
        "",
        *md_table(by_model, 3),
        "",
        f"`{best}`, per seed: paid-search credit (conversions among the journeys) of the truth,"
        " the model, the experiment (rescaled to the journeys) and the calibration with its"
        " 95% interval; `baseline` is the journeys' conversions no channel caused by the"
        " calibrated credit (untested channels still carry the model's share of it).",
        "",
        *md_table(paid, 4),
        "",
        "## 2. Coverage of the calibrated intervals",
        "",
        f"{k} seeds; {cov.params.iloc[0] if k else ''}; journeys"
        f" {int(cov.n_journeys.iloc[0]) if k else 0:,}. Mean z of the calibrated estimate"
        f" {cov.z.mean():.3f} (sd {cov.z.std():.3f}); mean width {cov.width.mean():.1f}"
        " conversions. Negative control: plain precision weighting (`model_error=0`, the model"
        " taken as unbiased for incremental conversions) covers in"
        f" {100 * cov.precision_weighting_covered.astype(bool).mean():.1f}% of seeds, because"
        " the bootstrap describes the model's noise, not its confounding. Untested channels"
        " under `untested='pooled'` are covered in"
        f" {100 * cov.pooled_untested_covered.mean():.1f}% of channel-seeds: one test on a"
        " confounded channel says little about the others.",
        "",
        "## 3. Accuracy against the number of channels tested",
        "",
        "Mean total variation from the incremental truth over seeds; channels tested in the"
        f" order {ORDER}:",
        "",
        *md_table(curve, 3),
        "",
        "With `keep`, a tested channel's credit becomes incremental while the untested keep the"
        " model's, which includes conversions no channel caused: testing a second channel can"
        " then skew the shares further (confounding, 2 tested). `pooled` moves the untested by"
        " the tested channels' ratio; with one test that rescales every channel alike and"
        " leaves the shares unchanged. In `mediation` the model under-credits display and brand"
        " search alike and over-credits the rest; moving credit between the first two leaves"
        " the total variation where it was, so only testing every channel removes the error.",
        "",
        "## 4. The cost of a small experiment",
        "",
        "Width of the 95% interval of paid-search's incremental conversions (on the journeys'"
        " scale) from the experiment alone and after calibration, the experiment's weight, and"
        " the calibrated total variation, by experiment size and holdout share (mean over"
        " seeds):",
        "",
        *md_table(width, 3),
        "",
        "## Notes",
        "",
        "- The calibrated credit of an untested channel under `keep` is still the model's"
        " number, which includes conversions no channel caused; the shares compared here put"
        " it beside incremental credit, so total variation does not reach 0 until every channel"
        " is tested.",
        "- The experiment draws its own persons (seeds apart from the journeys'), as a real"
        " lift study would; its estimate is scaled to the journeys by persons"
        " (`LiftTest.population`).",
    ]
    return lines


def plot(frame, path) -> None:
    import matplotlib.pyplot as plt

    nt = frame[frame.task == "n_tested"]
    ho = frame[frame.task == "holdout"]
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.2))
    for (world, model, policy), g in nt.groupby(["scenario", "model", "untested"]):
        m = g.groupby("n_tested")["tv_calibrated"].mean()
        axes[0].plot(m.index, m.values, "o-" if policy == "keep" else "s--",
                     label=f"{world} / {model} / {policy}")  # fmt: skip
    axes[0].set(xlabel="channels tested", ylabel="TV from incremental truth",
                title="accuracy against channels tested")  # fmt: skip
    axes[0].legend(fontsize="x-small")
    for n_exp, g in ho.groupby("exp_n"):
        m = g.groupby("holdout")[["experiment_width", "calibrated_width"]].mean()
        axes[1].plot(m.index, m.experiment_width, "o-", label=f"experiment, {int(n_exp):,}")
        axes[1].plot(m.index, m.calibrated_width, "s--", label=f"calibrated, {int(n_exp):,}")
    axes[1].set(xscale="log", yscale="log", xlabel="holdout share",
                ylabel="95% interval width (conversions)",
                title="cost of a small experiment")  # fmt: skip
    axes[1].legend(fontsize="small")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


PLOTS = {"experiments.png": plot}
