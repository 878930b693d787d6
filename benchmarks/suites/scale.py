"""scale: model-call time against the number of channels (issue 21: campaigns, not channels).

Data: raw journeys from ``benchmarks._data.synth_journeys`` (Zipf channel popularity,
geometric lengths of mean 5 capped at 30, about 17% convert), seeded by ``[seed,
n_journeys, n_channels]``, as in the ``speed`` suite. Curves (``--channels``):

- Markov order 1 at 20, 50, 100, 300, 1,000 channels on 5e4 journeys (``--markov-n``);
- Markov order 3 at 20, 50, 100 channels on 1e5 journeys (``--order3-n``,
  ``--order3-channels``);
- Shapley on the order-1 journeys at 20, 50, 100, 300 channels (``--shapley-channels``):
  ``ShapleyAttribution()`` (default game), ``ShapleyAttribution(game="subset")`` and the
  unique-channel ``linear`` rule for comparison. A model that refuses the channel count
  (or fails) gives a row with ``status = error`` and its message in ``note``; once a model
  has failed, its larger channel counts are ``skipped`` with that reason.

Every measurement is a fresh interpreter (``python -m benchmarks scale --worker``): it
imports the package, warms up on 200 journeys of the same channel count (lazy imports,
first calls), loads the CSR arrays and times one
``get_model(name, **params).fit(journeys).attribute()`` (``wall_s``; ``peak_mem_mb`` the
process's high-water mark during it). ``--repeats`` processes per cell (default 3), median
reported. ``ratio_to_20`` is ``wall_s`` over the same model's ``wall_s`` at the smallest
channel count of its curve (20 by default).

``--baseline REF`` (a git commit) also times the Markov cells with the package as it was
at REF (``git archive`` into a temporary folder put first on the worker's ``sys.path``;
one process per cell) and reports ``max_abs_diff_re``, the largest difference between its
removal effects and this commit's: the before/after table of issue 21.
``--time-limit`` (default 900 s) stops a worker and records an error.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from typing import Any

import numpy as np

from benchmarks._harness import (
    REPO,
    SuiteRun,
    call_worker,
    fmt_n,
    load_lines,
    md_table,
    measure_once,
    package_digest,
    suite_worker_cmd,
    tqdm,
)

TITLE = "Scale: model-call time against the number of channels (Markov, Shapley)"
MARKOV_N = 50_000
ORDER3_N = 100_000
CHANNELS = (20, 50, 100, 300, 1000)
ORDER3_CHANNELS = (20, 50, 100)
SHAPLEY_CHANNELS = (20, 50, 100, 300)
QUICK = {"markov_n": 2000, "order3_n": 2000, "channels": (5, 12), "order3": (5,), "shap": (5,)}
TIME_LIMIT_S = 900.0
WARMUP_JOURNEYS = 200
SHAPLEY_CONFIGS = (
    ("shapley (default)", "shapley", {}),
    ("shapley (subset)", "shapley", {"game": "subset"}),
    ("linear", "linear", {}),
)


def add_arguments(p) -> None:
    from benchmarks._harness import int_list

    p.add_argument("--channels", type=int_list, default=None, help="Markov order-1 curve")
    p.add_argument("--order3-channels", type=int_list, default=None, help="Markov order-3 curve")
    p.add_argument("--shapley-channels", type=int_list, default=None, help="Shapley curve")
    p.add_argument("--markov-n", type=int, default=None, help="journeys of order 1 and Shapley")
    p.add_argument("--order3-n", type=int, default=None, help="journeys of order 3")
    p.add_argument("--repeats", type=int, default=3, help="processes per cell (median)")
    p.add_argument("--time-limit", type=float, default=TIME_LIMIT_S, help="seconds per worker")
    p.add_argument("--baseline", default=None, help="git commit to time the Markov cells at")


def configure(args) -> None:
    q = args.quick
    args.seeds = args.seeds or [0]
    args.channels = args.channels or list(QUICK["channels"] if q else CHANNELS)
    args.order3_channels = args.order3_channels or list(QUICK["order3"] if q else ORDER3_CHANNELS)
    args.shapley_channels = args.shapley_channels or list(QUICK["shap"] if q else SHAPLEY_CHANNELS)
    args.markov_n = args.markov_n or (QUICK["markov_n"] if q else MARKOV_N)
    args.order3_n = args.order3_n or (QUICK["order3_n"] if q else ORDER3_N)
    if q:
        args.repeats = 1


def cells(args) -> list[tuple[str, str, dict[str, Any], int, int]]:
    """(label, registry name, params, n_journeys, n_channels) of every measurement."""
    out = [("markov (order 1)", "markov", {}, args.markov_n, c) for c in args.channels]
    out += [
        ("markov (order 3)", "markov", {"order": 3}, args.order3_n, c) for c in args.order3_channels
    ]
    out += [
        (label, name, params, args.markov_n, c)
        for c in args.shapley_channels
        for label, name, params in SHAPLEY_CONFIGS
    ]
    return out


def _params_label(params: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in params.items()) or "defaults"


# ============================================================================ worker
def run_worker(spec: dict[str, Any]) -> dict[str, Any]:
    """One measurement in this fresh process (see the module docstring)."""
    if spec.get("package_root"):
        import sys

        # `-m` puts the repository first on sys.path, and other suites' modules may have
        # imported the package already: forget it and import the baseline's
        sys.path.insert(0, spec["package_root"])
        for mod in [m for m in sys.modules if m.split(".")[0] == "attribution_lab"]:
            del sys.modules[mod]
    import attribution_lab
    from attribution_lab import get_model
    from benchmarks._data import journeys as _journeys
    from benchmarks._data import synth_journeys

    name, params, c = spec["name"], spec["params"], spec["n_channels"]
    warm = _journeys(synth_journeys(WARMUP_JOURNEYS, c, spec["seed"] + 1))
    try:
        get_model(name, **params).fit(warm).attribute()
    except Exception:  # the timed call below reports the refusal
        pass
    d = {k: np.load(f"{spec['prefix']}_{k}.npy") for k in ("channels", "offsets", "conversions")}
    names = [f"ch{k:02d}" for k in range(c)]
    journeys = _journeys({**d, "nulls": 1.0 - d["conversions"], "names": names})
    holder: dict[str, Any] = {}

    def op():
        model = get_model(name, **params).fit(journeys)
        holder["model"] = model
        return model.attribute()

    try:
        res = measure_once(op)
    except Exception as exc:  # a refusal is a result of this suite
        return {"refused": f"{type(exc).__name__}: {exc}".splitlines()[0][:300]}
    res.pop("out")
    model = holder["model"]
    extra: dict[str, Any] = {
        "package_digest": package_digest(),
        "package_path": os.path.dirname(attribution_lab.__file__),
    }
    chain = getattr(model, "chain_", None)
    if chain is not None:
        extra["n_states"] = int(chain.n_states)
        extra["removal_effects"] = model.removal_effects_.to_numpy().tolist()
        solver = getattr(model, "solver_", None) or {}
        extra["solver_method"] = solver.get("method", "")
        extra["error_bound"] = solver.get("error_bound", float("nan"))
    return {**res, **extra}


# ============================================================================ suite
def _baseline_tree(ref: str, workdir: str) -> str:
    """The package at git commit `ref`, extracted under `workdir`; its folder."""
    out = os.path.join(workdir, "baseline")
    os.makedirs(out)
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", ref, "attribution_lab"],
        capture_output=True,
        check=True,
    ).stdout
    subprocess.run(["tar", "-x", "-C", out], input=archive, check=True)
    return out


def run(sr: SuiteRun, args) -> None:
    import scipy

    from benchmarks._data import synth_journeys

    sr.machine["scipy"] = scipy.__version__
    cmd, env = suite_worker_cmd("scale")
    seed = args.seeds[0]
    todo = cells(args)
    workdir = tempfile.mkdtemp(prefix="bench_scale_")
    tree = None
    if args.baseline:
        tree = _baseline_tree(args.baseline, workdir)
        sr.machine["baseline"] = args.baseline
    sr.notes.append(
        f"Markov order 1 and Shapley on {fmt_n(args.markov_n)} journeys, order 3 on "
        f"{fmt_n(args.order3_n)}; {args.repeats} process(es) per cell; --time-limit "
        f"{args.time_limit:g} s" + (f"; baseline commit {args.baseline}." if args.baseline else ".")
    )
    failed: dict[str, str] = {}
    current: dict[tuple[str, int], list[float]] = {}
    n_base = sum(1 for t in todo if t[1] == "markov") if args.baseline else 0
    try:
        with tqdm(total=len(todo) + n_base, desc="scale", disable=args.no_progress) as bar:
            for label, name, params, n, c in todo:
                prefix = os.path.join(workdir, f"c{c}_{n}")
                if not os.path.exists(prefix + "_channels.npy"):
                    d = synth_journeys(n, c, seed)
                    for key in ("channels", "offsets", "conversions"):
                        np.save(f"{prefix}_{key}.npy", d[key])
                spec = {"prefix": prefix, "name": name, "params": params, "n_channels": c}
                spec["seed"] = seed
                base = {"scenario": "synthetic", "n_journeys": n, "n_channels": c, "seed": seed}
                row = {**base, "model": label, "params": _params_label(params)}
                codes = [("this commit", None, args.repeats)]
                if tree is not None and name == "markov":
                    codes.append((f"baseline {args.baseline}", tree, 1))
                for code, root, repeats in codes:
                    bar.set_postfix_str(f"{label}, {c} channels ({code})")
                    key = f"{label} | {code}"
                    if key in failed:
                        sr.skip(failed[key], **row, code=code)
                        bar.update()
                        continue
                    runs = [
                        call_worker(
                            cmd, {**spec, "package_root": root}, timeout=args.time_limit, env=env
                        )
                        for _ in range(repeats)
                    ]
                    ok = [r for r in runs if "error" not in r and "refused" not in r]
                    if not ok:
                        bad = runs[0]
                        note = bad.get("refused") or bad.get("error")
                        sr.error(note, **row, code=code)
                        failed[key] = f"failed at {c} channels: {note}"
                        bar.update()
                        continue
                    first = ok[0]
                    re = first.get("removal_effects")
                    diff = float("nan")
                    if re is not None and code == "this commit":
                        current[(label, c)] = re
                    elif re is not None and (label, c) in current:
                        diff = float(np.max(np.abs(np.subtract(re, current[(label, c)]))))
                    sr.add(
                        **row,
                        code=code,
                        wall_s=float(np.median([r["wall_s"] for r in ok])),
                        peak_mem_mb=float(max(r["peak_mb"] for r in ok)),
                        wall_times_s=" ".join(f"{r['wall_s']:.4g}" for r in ok),
                        n_states=first.get("n_states"),
                        solver_method=first.get("solver_method"),
                        error_bound=first.get("error_bound"),
                        max_abs_diff_re=diff,
                        worker_s=first.get("worker_s"),
                        background_load=max(r.get("background_load", 0.0) for r in ok),
                        package_digest=first.get("package_digest"),
                    )
                    bar.update()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    _add_ratios(sr)


def _add_ratios(sr: SuiteRun) -> None:
    smallest: dict[tuple[str, str], tuple[int, float]] = {}
    for r in sr.rows:
        if r["status"] == "ok":
            k = (r["model"], r["code"])
            if k not in smallest or r["n_channels"] < smallest[k][0]:
                smallest[k] = (r["n_channels"], r["wall_s"])
    for r in sr.rows:
        if r["status"] == "ok":
            c0, w0 = smallest[(r["model"], r["code"])]
            r["ratio_to_20"] = r["wall_s"] / w0
            r["ratio_base_channels"] = c0


# ============================================================================ outputs
def body(frame) -> list[str]:
    ok = frame[frame.status == "ok"]
    lines = [
        "`wall_s`: one `get_model(name, **params).fit(journeys).attribute()` in a fresh "
        "process after a warm-up (median over processes); `x smallest`: the ratio to the same "
        "model's time at the smallest channel count of its curve. Cells that failed or were "
        "refused are listed under the notes with their message.",
    ]
    if ok.empty:
        return [*lines, "", "Nothing measured."]
    this = frame[frame.code == "this commit"]
    for title, models in (
        ("Markov", [m for m in dict.fromkeys(this.model) if m.startswith("markov")]),
        ("Shapley and linear", [m for m in dict.fromkeys(this.model) if not m.startswith("mark")]),
    ):
        if not models:
            continue
        sub = this[this.model.isin(models)]
        table = {}
        for m in models:
            g = sub[sub.model == m].set_index("n_channels")
            n = int(g.n_journeys.iloc[0])
            for c, r in g.iterrows():
                cell = "refused" if r.status == "error" else "skipped" if r.status != "ok" else ""
                table.setdefault(c, {})[f"{m}, {fmt_n(n)}: s"] = cell or r.wall_s
                table.setdefault(c, {})[f"{m}: x smallest"] = cell or r.get("ratio_to_20")
        import pandas as pd

        t = pd.DataFrame.from_dict(table, orient="index").sort_index()
        t.index.name = "channels"
        lines += ["", f"## {title}", "", *md_table(t, 3)]
    base = frame[frame.code.str.startswith("baseline")]
    if not base.empty:
        import pandas as pd

        rows = []
        for _, b in base.iterrows():
            now = this[(this.model == b.model) & (this.n_channels == b.n_channels)]
            after = now.wall_s.iloc[0] if len(now) and now.status.iloc[0] == "ok" else np.nan
            before = b.wall_s if b.status == "ok" else np.nan
            rows.append(
                {
                    "model": b.model,
                    "journeys": fmt_n(b.n_journeys),
                    "channels": int(b.n_channels),
                    "states": b.n_states,
                    "before s": before,
                    "after s": after,
                    "speed-up": before / after,
                    "max abs RE diff": b.max_abs_diff_re,
                }
            )
        t = pd.DataFrame(rows)
        lines += [
            "",
            f"## Before ({base.code.iloc[0]}) and after (this commit)",
            "",
            "`max abs RE diff`: the largest difference between the two commits' removal effects.",
            "",
            *md_table(t, 3, index=False),
        ]
    return lines + load_lines(ok)


def plot_scale(frame, path) -> None:
    import matplotlib.pyplot as plt

    ok = frame[frame.status == "ok"]
    fig, ax = plt.subplots(figsize=(8, 5.5))
    for (model, code), g in ok.groupby(["model", "code"], sort=False):
        g = g.sort_values("n_channels")
        style = "--" if code != "this commit" else "-"
        label = f"{model}, {fmt_n(g.n_journeys.iloc[0])}" + (f" ({code})" if style == "--" else "")
        ax.plot(g.n_channels, g.wall_s, style, marker="o", ms=4, label=label)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("channels")
    ax.set_ylabel("fit + attribute wall time (s), fresh process")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    ax.set_title("Model-call time against the number of channels")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


PLOTS = {"scale.png": plot_scale}
