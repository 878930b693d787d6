"""Every model on every simulated scenario against its truth, and on real paths against each other.

Writes ``benchmarks/results/worlds.md`` (the tables quoted in the README), ``worlds.csv``
(one row per scenario x truth x model with every metric of
``attribution_lab.evaluate.accuracy``) and ``agreement.png`` (the agreement heatmap on the
bundled example paths).

Usage::

    python benchmarks/report_worlds.py                 # 100,000 journeys per scenario, seed 0
    python benchmarks/report_worlds.py --n 20000 --seed 3 --out /tmp/worlds

One seed and one size: this is a snapshot of where models stand, not the accuracy suite
(error against n_journeys over many seeds), which is ``benchmarks`` issue 6's job.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd

from attribution_lab import available_models, get_model, load_pathdata
from attribution_lab.evaluate import accuracy, agreement
from attribution_lab.simulate import scenarios, simulate

# models shown beside the defaults: the matching order for the second-order world
EXTRA = {
    "markov (order 2)": ("markov", {"order": 2}),
    "shapley (model game)": ("shapley", {"game": "model"}),
    "shapley (subset game)": ("shapley", {"game": "subset"}),
    "shapley (set-rate game)": ("shapley", {"game": "set_rate"}),
    "shapley (subgame policy)": (
        "shapley",
        {"game": "set_rate", "game_params": {"policy": "subgame"}},
    ),
}


def md_table(frame: pd.DataFrame, digits: int) -> str:
    """A markdown table of a numeric frame (index as first column), without tabulate."""
    head = [str(frame.index.name or ""), *map(str, frame.columns)]
    lines = ["| " + " | ".join(head) + " |", "|---|" + "---:|" * len(frame.columns)]
    for idx, row in frame.iterrows():
        cells = ["" if pd.isna(v) else f"{v:.{digits}f}" for v in row]
        lines.append("| " + " | ".join([str(idx), *cells]) + " |")
    return "\n".join(lines)


def models(journeys=None) -> dict[str, object]:
    """Every registered model that can run on `journeys` (all of them without), plus EXTRA."""
    out = {name: get_model(name) for name in available_models(journeys)}
    for label, (name, params) in EXTRA.items():
        out[label] = get_model(name, **params)
    return out


def run(n: int, seed: int) -> pd.DataFrame:
    rows = []
    for scenario, summary in scenarios().items():
        t0 = time.perf_counter()
        sim = simulate(scenario, n, random_state=seed)
        sim_s = time.perf_counter() - t0
        for label, model in models(sim.journeys).items():
            t0 = time.perf_counter()
            try:
                result = model.fit(sim.journeys).attribute()
            except ValueError as exc:  # a model that cannot run here says why
                rows.append({"scenario": scenario, "model": label, "error": str(exc)})
                continue
            fit_s = time.perf_counter() - t0
            for truth_name, truth in sim.truths.items():
                metrics = accuracy(result, truth)
                rows.append(
                    {
                        "scenario": scenario,
                        "truth": truth_name,
                        "main_truth": truth_name == sim.truth.estimand,
                        "model": label,
                        "n_journeys": n,
                        "seed": seed,
                        "simulate_s": sim_s,
                        "fit_attribute_s": fit_s,
                        **metrics.to_dict(),
                        "summary": summary,
                    }
                )
    return pd.DataFrame(rows)


def write(frame: pd.DataFrame, out: Path, n: int, seed: int) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out.mkdir(parents=True, exist_ok=True)
    frame.to_csv(out / "worlds.csv", index=False, float_format="%.6g")
    main = frame[frame["main_truth"] == True]  # noqa: E712 (NaN rows of failed models)
    tv = main.pivot(index="model", columns="scenario", values="tv_share")
    tv = tv[list(scenarios())]
    tv = tv.loc[[m for m in models() if m in tv.index]]
    lines = [
        "# Models against simulated truth, and against each other on real paths",
        "",
        f"`python benchmarks/report_worlds.py --n {n} --seed {seed}`: {n:,} journeys per"
        f" scenario, seed {seed}, one draw (a snapshot, not averaged over seeds).",
        "",
        "## Total-variation distance of conversion shares from each scenario's main truth",
        "",
        "0 = the true split of credit, 1 = disjoint. Main truth: removal effects (markov,"
        " markov2), Shapley values of expected conversions (coalition), incremental"
        " conversions (the causal worlds).",
        "",
        md_table(tv, 3),
        "",
    ]
    shap = frame[(frame["truth"] == "shapley") & (frame["main_truth"] == False)]  # noqa: E712
    if len(shap):
        st = shap.pivot(index="model", columns="scenario", values="tv_share")
        st = st.loc[[m for m in models() if m in st.index]]
        lines += [
            "## The same against the Shapley truth of the causal worlds",
            "",
            md_table(st, 3),
            "",
        ]
    failed = frame[frame.get("error").notna()] if "error" in frame else frame.iloc[:0]
    if len(failed):
        lines += ["Models that could not run:", ""]
        for _, r in failed.iterrows():
            lines.append(f"- {r['model']} on {r['scenario']}: {r['error']}")
        lines.append("")
    lines += ["## Scenarios", ""]
    for name, summary in scenarios().items():
        lines.append(f"- `{name}`: {summary}")
    # agreement on the bundled example paths
    journeys = load_pathdata()
    results = {label: m.fit(journeys).attribute() for label, m in models(journeys).items()}
    agree = agreement(results)
    lines += [
        "",
        "## Agreement on the bundled example paths (ChannelAttribution's, 10,000 paths)",
        "",
        "Total-variation distance between the models' conversion shares:",
        "",
        md_table(agree.distance, 2),
        "",
        "Spearman rank correlation of the channels' credit:",
        "",
        md_table(agree.spearman, 2),
        "",
    ]
    (out / "worlds.md").write_text("\n".join(lines))
    ax = agree.plot()
    ax.figure.set_size_inches(10, 8.5)
    ax.figure.tight_layout()
    ax.figure.savefig(out / "agreement.png", dpi=110)
    plt.close(ax.figure)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=100_000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    args = p.parse_args(argv)
    np.seterr(all="ignore")
    frame = run(args.n, args.seed)
    write(frame, args.out, args.n, args.seed)
    print(f"wrote {args.out / 'worlds.md'}, worlds.csv, agreement.png")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
