"""Additive-hazard benchmark: time to fit ``HazardAttribution`` at 1e4, 1e5 and 1e6 journeys.

Target (issue 11): fit 1e6 journeys in minutes, not hours.

Data
----
Raw journeys from the ``"hazard"`` scenario (`attribution_lab.simulate.HazardWorld`: 4
channels, touches as Poisson processes after a first touch at day 0, conversions drawn
exactly from the additive-hazard process, journeys stopped at conversion, a 30-day
window; about 8 touches per journey and 37% converting), ``random_state =
numpy.random.default_rng([seed, n_journeys])``.

Method
------
Every size runs in a fresh process (this script with the hidden ``--worker`` flag, via
``benchmarks._harness.call_worker``). The worker simulates its journeys (not timed),
warms up with a fit and an attribution on 2,000 journeys of the same world, then times,
each once with the peak-RSS mark reset (``_harness.measure_once``):

- ``fit``: ``HazardAttribution().fit(journeys)`` (preparation of the touch arrays,
  L-BFGS-B with the analytic gradient, Newton polish and the finite-difference observed
  information);
- ``attribute``: ``model.attribute()`` (the hazard-share credit and its delta-method
  standard errors from the analytic Jacobian of the credit);
- ``game``: ``HazardGame(journeys, model).table()`` (all 2^4 coalitions).

Recorded with the fit: L-BFGS-B iterations and function evaluations, the largest
relative error of beta and omega against the world's, how many of the 8 parameters' 95%
intervals cover the truth, and the total variation distance between the credit shares and
the world's ``"rule"`` truth. ``background_load`` is the CPU other processes used while the
worker ran, in cores (2 CPUs here: 1 means another process kept one core busy); the
machine is shared, so times are approximate.

Outputs (in ``--out``, by default ``benchmarks/results/``): ``hazard.csv`` (tidy, one row
per size and task) and ``hazard.md``.

Usage::

    python benchmarks/bench_hazard.py                      # 1e4, 1e5, 1e6
    python benchmarks/bench_hazard.py --sizes 1e4,1e5 --seed 1
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path
from typing import Any

import numpy as np

if __package__ in (None, ""):  # run as a script: make the benchmarks package importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks._harness import (
    CORE_COLUMNS,
    call_worker,
    fmt,
    fmt_n,
    loadavg,
    machine_info,
    md_table,
    measure_once,
    worker_main,
)

SUITE = "hazard"
DEFAULT_SIZES = (10_000, 100_000, 1_000_000)
WARMUP_JOURNEYS = 2_000
TARGET_S = 600.0  # "minutes, not hours": 1e6 journeys within 10 minutes
HERE = Path(__file__).resolve().parent


# ============================================================================ worker
def run_worker(spec: dict[str, Any]) -> dict[str, Any]:
    from attribution_lab.hazard import HazardAttribution, HazardGame
    from attribution_lab.simulate import make_world

    n, seed = int(spec["n_journeys"]), int(spec["seed"])
    world = make_world("hazard")
    warm = world.simulate(WARMUP_JOURNEYS, random_state=np.random.default_rng([seed, 0]))
    HazardGame(warm.journeys, HazardAttribution().fit(warm.journeys)).table()
    sim = world.simulate(n, random_state=np.random.default_rng([seed, n]))
    j = sim.journeys
    fit = measure_once(lambda: HazardAttribution().fit(j))
    model = fit.pop("out")
    att = measure_once(model.attribute)
    result = att.pop("out")
    game = measure_once(lambda: HazardGame(j, model).table())
    game.pop("out")
    frame = model.params_frame()
    truth = np.concatenate([world.beta, world.omega])
    rows = frame[frame["parameter"].isin(["beta", "omega"])]
    est = rows["estimate"].to_numpy()
    covered = int(((rows["ci_low"] <= truth) & (truth <= rows["ci_high"])).sum())
    share_tv = 0.5 * float(np.abs(result.share - sim.truth.share).sum())
    return {
        "n_touchpoints": int(j.n_touchpoints),
        "n_conversions": float(j.n_conversions),
        "fit": fit,
        "attribute": att,
        "game": game,
        "n_iter": model.n_iter_,
        "nfev": int(model.optimizer_.nfev),
        "converged": model.converged_,
        "max_rel_err": float(np.max(np.abs(est - truth) / truth)),
        "covered_95": covered,
        "share_tv": share_tv,
        "loadavg_1m": (loadavg() or (float("nan"),))[0],
    }


# ============================================================================ parent
def main(argv: list[str] | None = None) -> int:
    import pandas as pd

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", default=",".join(str(s) for s in DEFAULT_SIZES))
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default=str(HERE / "results"))
    p.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        return worker_main(run_worker, args.worker)
    sizes = [int(float(s)) for s in args.sizes.split(",")]
    command = "python benchmarks/bench_hazard.py" + (
        " " + shlex.join(argv if argv is not None else sys.argv[1:])
        if (argv if argv is not None else sys.argv[1:])
        else ""
    )
    info = machine_info()
    load_start = loadavg()
    rows = []
    for n in sizes:
        print(f"hazard: n_journeys={fmt_n(n)} ...", file=sys.stderr, flush=True)
        res = call_worker([sys.executable, __file__], {"n_journeys": n, "seed": args.seed})
        for task in ("fit", "attribute", "game"):
            base = {
                "suite": SUITE,
                "scenario": "hazard",
                "model": "hazard",
                "params": "{}",
                "n_journeys": n,
                "n_channels": 4,
                "seed": args.seed,
                "task": task,
                "background_load": res.get("background_load"),
            }
            if "error" in res:
                rows.append({**base, "status": "error", "note": res["error"]})
                continue
            m = res[task]
            rows.append(
                {
                    **base,
                    "status": "ok",
                    "wall_s": m["wall_s"],
                    "peak_mem_mb": m["peak_mb"],
                    "note": "",
                    "cpu_s": m["cpu_user_s"] + m["cpu_sys_s"],
                    "n_touchpoints": res["n_touchpoints"],
                    "n_conversions": res["n_conversions"],
                    "loadavg_1m": res["loadavg_1m"],
                    **(
                        {
                            k: res[k]
                            for k in (
                                "n_iter",
                                "nfev",
                                "converged",
                                "max_rel_err",
                                "covered_95",
                                "share_tv",
                            )
                        }
                        if task == "fit"
                        else {}
                    ),
                }
            )
    load_end = loadavg()
    frame = pd.DataFrame(rows)
    cols = [c for c in CORE_COLUMNS if c in frame] + [c for c in frame if c not in CORE_COLUMNS]
    frame = frame[cols]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    frame.to_csv(out / f"{SUITE}.csv", index=False)
    (out / f"{SUITE}.md").write_text(_markdown(frame, info, command, load_start, load_end))
    print(f"wrote {out / SUITE}.csv and .md", file=sys.stderr)
    return 0


def _markdown(frame: Any, info: dict[str, Any], command: str, start: Any, end: Any) -> str:
    ok = frame[frame["status"] == "ok"]
    lines = [
        "# Additive-hazard benchmark: fitting HazardAttribution",
        "",
        f"`{command}`",
        "",
        f"{info['date_utc']} · commit {info['git_commit']} · attribution_lab"
        f" {info['attribution_lab']} · Python {info['python']}, numpy {info['numpy']},"
        f" pandas {info['pandas']} · {info['cpu']}, {info['n_cpus']} CPUs,"
        f" {info['mem_gib']} GiB.",
        "",
        "Journeys from the `hazard` scenario (4 channels, 30-day window, journeys stopped at"
        " conversion); every size in a fresh process after a warm-up on 2,000 journeys; each"
        " task timed once. See the script's docstring for the method.",
        "",
    ]
    fit = ok[ok["task"] == "fit"].set_index("n_journeys")
    if 1_000_000 in fit.index:
        t = float(fit.loc[1_000_000, "wall_s"])
        verdict = "holds" if t <= TARGET_S else "does not hold"
        lines += [
            "## Target",
            "",
            f"- **Fit 1e6 journeys in minutes, not hours** (read as within"
            f" {TARGET_S / 60:.0f} min): {t:.1f} s. Verdict: **{verdict}**.",
            "",
        ]
    if len(fit):
        lines += ["## Times", "", *md_table(pd_table(ok), digits=3, index=False), ""]
    bad = frame[frame["status"] != "ok"]
    for _, r in bad.drop_duplicates("n_journeys").iterrows():
        lines += [f"- n_journeys={fmt_n(r['n_journeys'])}: {r['status']}: {r['note']}"]
    loads = ok["background_load"].astype(float)
    lines += [
        "## Load",
        "",
        f"The machine is shared with other work: load average (1, 5, 15 min) at the start"
        f" {_load(start)}, at the end {_load(end)}; other processes used"
        f" {fmt(loads.min(), 2)} to {fmt(loads.max(), 2)} cores on average while the workers"
        " ran. Times are therefore approximate (an idle machine would be faster).",
        "",
    ]
    return "\n".join(lines)


def pd_table(ok: Any) -> Any:
    import pandas as pd

    fit = ok[ok["task"] == "fit"].set_index("n_journeys")
    out = pd.DataFrame(
        {
            "n_journeys": [fmt_n(n) for n in fit.index],
            "touches": fit["n_touchpoints"].astype(int).map("{:,}".format).to_numpy(),
            "fit s": fit["wall_s"].to_numpy(),
            "fit peak MiB": fit["peak_mem_mb"].to_numpy(),
            "L-BFGS-B iter / evals": [
                f"{int(a)} / {int(b)}" for a, b in zip(fit["n_iter"], fit["nfev"], strict=True)
            ],
            "attribute s": ok[ok["task"] == "attribute"]["wall_s"].to_numpy(),
            "game table s": ok[ok["task"] == "game"]["wall_s"].to_numpy(),
            "max rel err beta, omega": fit["max_rel_err"].to_numpy(),
            "95% CIs covering (of 8)": fit["covered_95"].astype(int).to_numpy(),
            "share TV to truth": fit["share_tv"].to_numpy(),
            "background load": fit["background_load"].to_numpy(),
        }
    )
    return out


def _load(v: Any) -> str:
    return "unknown" if v is None else ", ".join(f"{x:.2f}" for x in v)


if __name__ == "__main__":
    sys.exit(main())
