"""peers: the same data through ChannelAttribution and marketing-attribution-models.

Needs the ``peers`` extra (``pip install -e ".[peers]"``). A peer that is not installed,
fails to import or fails on a data set is a row with ``status = error`` and its error
text, never left out.

Data sets (``scenario``), each at every n_journeys of ``--sizes`` (default 1e4, 1e5) and
every seed of ``--seeds`` (default 0):

- ``synthetic``: raw journeys from ``benchmarks._data.synth_journeys`` (``--channels``,
  default 10; Zipf popularity, logistic conversions; no truth);
- ``markov``: ``simulate("markov", n, random_state=seed)``, journeys from a known
  first-order chain, truth = its exact removal effects;
- ``coalition``: ``simulate("coalition", ...)``, conversions depend on the channel set
  only, truth = the exact Shapley values of expected conversions.

Every data set is written as a path table (``Journeys.to_path_table()``: ``path`` like
``"c1 > c0"``, ``total_conversions``, ``total_conversion_value``, ``total_null``) and
every run, ours included, starts from that DataFrame in a fresh process (``python -m
benchmarks peers --worker``), warms up on its first 200 rows and is timed once (wall
time, peak RSS during the call as in the speed suite), parsing included:

- **ours**: ``Journeys.from_path_table(df)`` + ``get_model(name, **params).fit(j)
  .attribute()`` for first_touch, last_touch, linear, position_based, markov orders 1-3
  and shapley (``game="set_rate", game_params={"policy": "subgame"}``, the set-rate game
  credited by each converting channel set's sub-game, as DP6's package does; and the
  default subset game);
- **ChannelAttribution** (``channelattribution``): ``heuristic_models(df, "path",
  "total_conversions", sep=">", flg_pro=False)`` (first_touch, last_touch,
  linear_touch), and ``markov_model(df, "path", "total_conversions",
  var_null="total_null", order=k, sep=">", out_more=True, verbose=False,
  flg_pro=False)`` for k = 1, 2, 3 at its default ``conv_par=0.05`` and at
  ``conv_par=0.01`` (the rest of its signature at its defaults: ``nsim_start=1e5``,
  ``max_step=None``, ``ncore=1``, ``seed=0``);
- **marketing-attribution-models** (module ``mam``): ``MAM(df, format_type=
  "grouped_journey", channels_colname="path", journey_with_conv_colname=
  "has_conversion", occurrences_colname="occurrences", path_separator=" > ")`` on the
  table split into converting and non-converting rows (prepared before the timer), then
  ``run_first_click``, ``run_last_click``, ``run_linear``, ``run_position_based``,
  ``run_markov()`` and ``run_shapley()`` (its defaults: ``max_size=4``,
  ``value_column="conv_rate"``).

Each peer row is paired with our counterpart (``our_model``): ``max_share_dev_vs_ours`` =
max over channels of |share_peer - share_ours| (shares of conversion credit), and on the
simulated worlds ``max_share_dev_vs_truth`` likewise against the truth (our rows carry
their own). ``max_share_dev_vs_split`` (``mam markov`` rows): the distance from our order-1
removal effects split over each converting journey's touches in proportion to their
normalised removal effects, a repeated channel counted per touch: 0 says MAM's channel
totals are that split, which is why they differ from ours (``mam_markov.md`` works it out
by hand). A run still going after ``--time-limit`` seconds (default 600) is stopped
and recorded as an error.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import tempfile
from typing import Any

import numpy as np

from benchmarks._harness import (
    SuiteRun,
    call_worker,
    fmt,
    fmt_n,
    md_table,
    measure_once,
    suite_worker_cmd,
    tqdm,
)

TITLE = "Peers: ChannelAttribution and marketing-attribution-models on the same data"
DEFAULT_SIZES = (10_000, 100_000)
QUICK_SIZES = (2_000,)
DATASETS = ("synthetic", "markov", "coalition")
QUICK_DATASETS = ("markov",)
SYNTH_CHANNELS = 10
WARMUP_ROWS = 200
TIME_LIMIT_S = 600.0

# our models: label -> (registry name, params)
OURS: dict[str, tuple[str, dict[str, Any]]] = {
    "first_touch": ("first_touch", {}),
    "last_touch": ("last_touch", {}),
    "linear": ("linear", {}),
    "position_based": ("position_based", {}),
    "markov (order 1)": ("markov", {"order": 1}),
    "markov (order 2)": ("markov", {"order": 2}),
    "markov (order 3)": ("markov", {"order": 3}),
    "shapley (subgame policy)": (
        "shapley",
        {"game": "set_rate", "game_params": {"policy": "subgame"}},
    ),
    "shapley": ("shapley", {}),
}
# peer runs: label -> (worker spec, {peer output name: our counterpart})
CA_HEURISTIC = {"first_touch": "first_touch", "last_touch": "last_touch", "linear_touch": "linear"}
MAM_RUNS = {
    "first_click": "first_touch",
    "last_click": "last_touch",
    "linear": "linear",
    "position_based": "position_based",
    "markov": "markov (order 1)",
    "shapley": "shapley (subgame policy)",
}
QUICK_OURS = ("markov (order 1)",)
QUICK_PEERS = (
    "ChannelAttribution heuristic_models",
    "ChannelAttribution markov order 1",
    "mam markov",
)


def add_arguments(p) -> None:
    from benchmarks._harness import int_list

    p.add_argument("--datasets", default=None, help="comma-separated: synthetic,markov,coalition")
    p.add_argument("--orders", type=int_list, default=None, help="Markov orders (1,2,3)")
    p.add_argument("--time-limit", type=float, default=TIME_LIMIT_S, help="seconds per peer run")
    p.add_argument("--channels", type=int, default=SYNTH_CHANNELS, help="of the synthetic data")


def configure(args) -> None:
    q = args.quick
    args.sizes = args.sizes or list(QUICK_SIZES if q else DEFAULT_SIZES)
    args.seeds = args.seeds or [0]
    args.datasets = (
        args.datasets.split(",") if args.datasets else list(QUICK_DATASETS if q else DATASETS)
    )
    args.orders = args.orders or ([1] if q else [1, 2, 3])


def _version(dist: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:
        return "not installed"


def peer_runs(args) -> list[tuple[str, dict[str, Any], dict[str, str]]]:
    """(label, worker spec, {peer output: our model}) of every peer run."""
    runs = [("ChannelAttribution heuristic_models", {"kind": "ca_heuristic"}, CA_HEURISTIC)]
    for k in args.orders:
        for cp in (None, 0.01):
            label = f"ChannelAttribution markov order {k}"
            if cp is not None:
                label += f", conv_par={cp}"
            spec = {"kind": "ca_markov", "order": k, "conv_par": cp}
            runs.append((label, spec, {"markov": f"markov (order {k})"}))
    for method, ours in MAM_RUNS.items():
        runs.append((f"mam {method}", {"kind": "mam", "method": method}, {method: ours}))
    if args.quick:
        runs = [r for r in runs if r[0] in QUICK_PEERS]
    return runs


# ============================================================================ worker
def _import_ca():
    with contextlib.redirect_stdout(io.StringIO()):  # it prints a banner on import
        import ChannelAttribution

    return ChannelAttribution


def _mam_input(frame):
    """The path table as MAM's grouped format: one row per path and outcome."""
    import pandas as pd

    conv = frame[frame.total_conversions > 0]
    null = frame[frame.total_null > 0]
    return pd.DataFrame(
        {
            "path": np.concatenate([conv.path.to_numpy(), null.path.to_numpy()]),
            "has_conversion": np.r_[np.ones(len(conv), bool), np.zeros(len(null), bool)],
            "occurrences": np.r_[conv.total_conversions, null.total_null].astype(np.int64),
        }
    )


def _ops(spec: dict[str, Any]):
    """(prepare(frame) -> data, run(data) -> {output name: {channel: conversions}})."""
    kind = spec["kind"]
    if kind == "ours":
        from attribution_lab import Journeys, get_model

        name, params = spec["name"], spec["params"]

        def run(frame):
            res = get_model(name, **params).fit(Journeys.from_path_table(frame)).attribute()
            return {"ours": dict(zip(res.channel_names, map(float, res.conversions), strict=True))}

        return (lambda f: f), run
    if kind == "ca_heuristic":
        ca = _import_ca()

        def run(frame):
            out = ca.heuristic_models(frame, "path", "total_conversions", sep=">", flg_pro=False)
            out = out.set_index("channel_name")
            return {c: {str(k): float(v) for k, v in out[c].items()} for c in CA_HEURISTIC}

        return (lambda f: f), run
    if kind == "ca_markov":
        ca = _import_ca()
        kw = {} if spec["conv_par"] is None else {"conv_par": spec["conv_par"]}

        def run(frame):
            out = ca.markov_model(
                frame,
                "path",
                "total_conversions",
                var_null="total_null",
                order=spec["order"],
                sep=">",
                out_more=True,
                verbose=False,
                flg_pro=False,
                **kw,
            )
            credit = out["result"].set_index("channel_name")["total_conversions"]
            return {"markov": {str(k): float(v) for k, v in credit.items()}}

        return (lambda f: f), run
    if kind == "mam":
        from mam import MAM

        method = spec["method"]

        def run(data):
            m = MAM(
                data,
                format_type="grouped_journey",
                channels_colname="path",
                journey_with_conv_colname="has_conversion",
                occurrences_colname="occurrences",
                path_separator=" > ",
            )
            out = getattr(m, f"run_{method}")().to_pandas()
            pairs = zip(out.channels, out.attribution, strict=True)
            return {method: {str(k): float(v) for k, v in pairs}}

        return _mam_input, run
    raise ValueError(f"unknown worker kind {kind!r}")


def run_worker(spec: dict[str, Any]) -> dict[str, Any]:
    """One timed run from the path table in this fresh process."""
    import pandas as pd

    try:
        prepare, op = _ops(spec)
        frame = pd.read_parquet(spec["table"])
        op(prepare(frame.iloc[:WARMUP_ROWS].reset_index(drop=True)))
        data = prepare(frame)
        res = measure_once(lambda: op(data))
    except Exception as exc:  # a peer's failure is a result: report it
        return {"error": f"{type(exc).__name__}: {str(exc)[:300]}"}
    out = res.pop("out")
    return {**res, "credit": out}


# ============================================================================ suite
def _dataset(name: str, n: int, seed: int, n_channels: int):
    """Journeys and truth shares by channel (None without truth)."""
    if name == "synthetic":
        from benchmarks._data import journeys, synth_journeys

        return journeys(synth_journeys(n, n_channels, seed)), None
    from attribution_lab.simulate import simulate

    sim = simulate(name, n, random_state=seed)
    t = sim.truth
    total = float(np.sum(t.conversions))
    return sim.journeys, dict(zip(t.channel_names, np.asarray(t.conversions) / total, strict=True))


def _shares(credit: dict[str, float], names: list[str]) -> np.ndarray:
    v = np.array([credit.get(c, 0.0) for c in names], dtype=float)
    s = v.sum()
    return v / s if s else v


def run(sr: SuiteRun, args) -> None:
    sr.machine["peer_channelattribution"] = _version("channelattribution")
    sr.machine["peer_marketing_attribution_models"] = _version("marketing-attribution-models")
    for dist in ("channelattribution", "marketing-attribution-models"):
        if _version(dist) == "not installed":
            sr.notes.append(f"{dist} is not installed: its runs are errors below.")
    cmd, env = suite_worker_cmd("peers")
    ours_labels = list(QUICK_OURS if args.quick else OURS)
    peers = peer_runs(args)
    workdir = tempfile.mkdtemp(prefix="bench_peers_")
    cells = len(args.sizes) * len(args.seeds) * len(args.datasets)
    try:
        with tqdm(
            total=cells * (len(ours_labels) + len(peers)), desc="peers", disable=args.no_progress
        ) as bar:
            for n in args.sizes:
                for seed in args.seeds:
                    for ds in args.datasets:
                        todo = (ours_labels, peers, workdir, cmd, env, bar)
                        _one_dataset(sr, args, ds, n, seed, *todo)
                    if not args.quick:
                        sr.write(TITLE, body, PLOTS)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _one_dataset(sr, args, ds, n, seed, ours_labels, peers, workdir, cmd, env, bar) -> None:
    journeys, truth = _dataset(ds, n, seed, args.channels)
    names = list(journeys.channel_names)
    table = os.path.join(workdir, f"{ds}_{n}_{seed}.parquet")
    journeys.to_path_table().to_parquet(table, index=False)
    truth_sh = None if truth is None else np.array([truth[c] for c in names])
    base = {"scenario": ds, "n_journeys": n, "n_channels": len(names), "seed": seed}
    ours_sh: dict[str, np.ndarray] = {}

    def record(label, params, res, output, our_model):
        row = {**base, "model": label, "params": params, "output": output}
        if "error" in res:
            sr.error(res["error"], **row, our_model=our_model)
            return
        sh = _shares(res["credit"][output], names)
        extra = {
            "wall_s": res["wall_s"],
            "peak_mem_mb": res["peak_mb"],
            "journeys_per_s": n / res["wall_s"],
            "background_load": res.get("background_load"),
            "our_model": our_model,
            "missing_channels": ",".join(c for c in names if c not in res["credit"][output]),
        }
        if our_model in ours_sh:
            extra["max_share_dev_vs_ours"] = float(np.max(np.abs(sh - ours_sh[our_model])))
        if label == "mam markov" and "markov (order 1)" in ours_sh:
            split = journey_split(journeys, ours_sh["markov (order 1)"])
            extra["max_share_dev_vs_split"] = float(np.max(np.abs(sh - split / split.sum())))
        if truth_sh is not None:
            extra["max_share_dev_vs_truth"] = float(np.max(np.abs(sh - truth_sh)))
        sr.add(**row, **extra)
        return sh

    for label in ours_labels:
        bar.set_postfix_str(f"{ds} {fmt_n(n)}: ours {label}")
        name, params = OURS[label]
        spec = {"kind": "ours", "table": table, "name": name, "params": params}
        res = call_worker(cmd, spec, timeout=args.time_limit, env=env)
        sh = record(label, _label(params), res, "ours", label)
        if sh is not None:
            ours_sh[label] = sh
            sr.rows[-1]["max_share_dev_vs_ours"] = 0.0
        bar.update()
    for label, spec, outputs in peers:
        bar.set_postfix_str(f"{ds} {fmt_n(n)}: {label}")
        res = call_worker(cmd, {**spec, "table": table}, timeout=args.time_limit, env=env)
        params = ", ".join(f"{k}={v}" for k, v in spec.items() if k != "kind") or "defaults"
        for output, our_model in outputs.items():
            shown = label if len(outputs) == 1 else f"{label}: {output}"
            record(shown, params, res, output, our_model)
        bar.update()


def journey_split(j, weights: np.ndarray) -> np.ndarray:
    """Credit per channel: each journey's conversions split over its touches by `weights`."""
    channels = np.asarray(j.channels)
    journey = np.repeat(np.arange(j.n_journeys), np.diff(np.asarray(j.offsets)))
    w = weights[channels]
    total = np.bincount(journey, weights=w, minlength=j.n_journeys)[journey]
    conv = np.asarray(j.conversions, dtype=float)[journey]
    touch = np.divide(conv * w, total, out=np.zeros_like(w), where=total > 0)
    return np.bincount(channels, weights=touch, minlength=len(j.channel_names))


def _label(params: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in params.items()) or "defaults"


# ============================================================================ outputs
def body(frame) -> list[str]:
    if frame.empty:
        return ["Nothing ran."]
    lines = [
        "Every run starts from the same path-table DataFrame in a fresh process (parsing "
        "included) after a warm-up on its first 200 rows. Deviations are the largest "
        "absolute difference of a channel's share of conversion credit (0.01 = one "
        "percentage point), from our counterpart (`our_model`) and, on the simulated "
        "worlds, from the truth.",
    ]
    ok = frame[frame.status == "ok"]
    for (ds, n), g in frame.groupby(["scenario", "n_journeys"], sort=False):
        t = g.set_index("model")
        cols = {
            "our_model": "vs",
            "wall_s": "time s",
            "peak_mem_mb": "peak MB",
            "max_share_dev_vs_ours": "max dev vs ours",
        }
        if "max_share_dev_vs_truth" in t and t["max_share_dev_vs_truth"].notna().any():
            cols["max_share_dev_vs_truth"] = "max dev vs truth"
        cols["status"] = "status"
        t = t.reindex(columns=list(cols)).rename(columns=cols)
        seeds = sorted(g.seed.unique())
        lines += [
            "",
            f"## {ds}, n_journeys = {fmt_n(n)} (seed {', '.join(map(str, seeds))})",
            "",
            *md_table(t, 3),
        ]
    if not ok.empty and "max_share_dev_vs_ours" in ok:
        peers = ok[~ok.model.isin(OURS)]
        if not peers.empty:
            worst = peers.loc[peers.max_share_dev_vs_ours.idxmax()]
            lines += [
                "",
                f"Largest deviation of a peer from our counterpart: {worst['model']} on "
                f"{worst['scenario']} at {fmt_n(worst['n_journeys'])}: "
                f"{fmt(worst['max_share_dev_vs_ours'], 3)}.",
            ]
    if "max_share_dev_vs_split" in ok and ok.max_share_dev_vs_split.notna().any():
        lines += [
            "",
            "`mam markov` against our order-1 removal effects split over each converting "
            "journey's touches (see `mam_markov.md`): at most "
            f"{fmt(ok.max_share_dev_vs_split.max(), 2)} (share units) over the data sets.",
        ]
    return lines


def plot(frame, path) -> None:
    import matplotlib.pyplot as plt
    from matplotlib.ticker import NullFormatter

    ok = frame[(frame.status == "ok") & frame.wall_s.notna()]
    fig, axes = plt.subplots(1, 2, figsize=(14, max(4, 0.28 * ok.model.nunique() + 1.5)))
    if ok.empty:
        axes[0].text(0.5, 0.5, "nothing ran", ha="center")
    else:
        big = ok[ok.n_journeys == ok.n_journeys.max()]
        t = big.groupby("model", sort=False).wall_s.median()
        d = big.groupby("model", sort=False).max_share_dev_vs_ours.max().reindex(t.index)
        colors = ["tab:blue" if m in OURS else "tab:orange" for m in t.index]
        axes[0].barh(range(len(t)), t.values, color=colors)
        axes[0].set_xscale("log")
        axes[0].xaxis.set_minor_formatter(NullFormatter())
        axes[0].set_yticks(range(len(t)), t.index, fontsize=8)
        axes[0].invert_yaxis()
        axes[0].set_xlabel("wall time (s), median over data sets, parsing included")
        axes[1].barh(range(len(d)), d.fillna(0).values, color=colors)
        axes[1].set_yticks(range(len(d)), [""] * len(d))
        axes[1].invert_yaxis()
        axes[1].set_xlabel("max |share - our share| over channels (worst data set)")
        fig.suptitle(
            f"Peers at n_journeys = {fmt_n(ok.n_journeys.max())}: ours (blue) and peers (orange)"
        )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


PLOTS = {"peers.png": plot}
