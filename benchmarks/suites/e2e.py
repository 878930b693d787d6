"""e2e: whole processes, as a user runs them: our command line against the peers' scripts.

A user does not time a model call: they run a command on a file and wait for the answer,
interpreter start-up, imports and parsing included. Each cell here is one fresh process
under GNU ``time`` (``/usr/bin/time -f "%e %M"``: wall seconds and the peak resident set of
the process itself), on the same CSV path table, ``--repeats`` times (default 3, the
commands of a size alternating so that drifting load hits them all); medians, min-max and
the largest peak RSS are reported.

Data (``scenario = synthetic``): ``benchmarks._data.synth_journeys(n, --channels, seed)``
(default 20 channels; Zipf popularity, logistic conversions), one value per converting
journey (lognormal, seeded), aggregated by distinct path and written as ChannelAttribution's
path table ``path,total_conversions,total_conversion_value,total_null`` with paths like
``ch01 > ch00``, at every n_journeys of ``--sizes`` (default 1e5, 1e6).

Commands (``model``):

- ``import``: ``python -c "import attribution_lab"`` against ``import pandas`` (the floor
  any pandas-based tool pays) and ``import ChannelAttribution`` (task ``import``);
- ``markov``: ``attribution-lab attribute FILE --model markov`` (order 1, exact removal
  effects) against ChannelAttribution's README script (``pandas.read_csv`` then
  ``markov_model(df, "path", "total_conversions", var_value="total_conversion_value",
  var_null="total_null")`` at its defaults: order 1, simulated removal effects);
- ``first_touch``, ``last_touch``, ``linear``: ``attribution-lab attribute FILE --model
  NAME`` against marketing-attribution-models' (``mam``) ``run_first_click`` /
  ``run_last_click`` / ``run_linear`` on the table read by pandas and put in its grouped
  format (one row per path and outcome with its count; the reshaping is timed, a user
  has to do it) and against ChannelAttribution's ``heuristic_models``.

``speedup`` = the peer's median wall time / ours (above 1: we are faster); ``rss_ratio`` =
our peak RSS / the peer's. Issue 21's targets at 1e6 journeys: Markov at least 4x faster
than ChannelAttribution with peak RSS at or below its; first / last / linear at least 1.5x
faster than marketing-attribution-models; ``import attribution_lab`` at most 1.3x ``import
pandas``. A peer that is not installed (the ``peers`` extra) or fails is a row with
``status = error`` and its message, never left out; a command still running after
``--time-limit`` seconds (default 900) is stopped and recorded as an error.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from typing import Any

import numpy as np

from benchmarks._harness import SuiteRun, fmt, fmt_n, md_table, tqdm

TITLE = "Whole processes: the attribution-lab command against the peers' scripts on one CSV"
DEFAULT_SIZES = (100_000, 1_000_000)
QUICK_SIZES = (2_000,)
CHANNELS = 20
REPEATS = 3
TIME_LIMIT_S = 900.0
TARGET_N = 1_000_000
#: (our model, peer, minimum speedup at TARGET_N)
TARGETS = (
    ("markov", "ChannelAttribution markov_model", 4.0),
    ("first_touch", "mam run_first_click", 1.5),
    ("last_touch", "mam run_last_click", 1.5),
    ("linear", "mam run_linear", 1.5),
)
IMPORT_TARGET = 1.3

_CA_MARKOV = """
import sys, contextlib, io
import pandas as pd
with contextlib.redirect_stdout(io.StringIO()):  # it prints a banner on import
    from ChannelAttribution import markov_model
df = pd.read_csv(sys.argv[1])
res = markov_model(df, "path", "total_conversions", var_value="total_conversion_value",
                   var_null="total_null", verbose=False)
print(res)
"""

_CA_HEURISTIC = """
import sys, contextlib, io
import pandas as pd
with contextlib.redirect_stdout(io.StringIO()):
    from ChannelAttribution import heuristic_models
df = pd.read_csv(sys.argv[1])
print(heuristic_models(df, "path", "total_conversions", var_value="total_conversion_value"))
"""

_MAM = """
import sys
import numpy as np
import pandas as pd
from mam import MAM
df = pd.read_csv(sys.argv[1])
conv = df[df.total_conversions > 0]
null = df[df.total_null > 0]
grouped = pd.DataFrame({
    "path": np.concatenate([conv.path.to_numpy(), null.path.to_numpy()]),
    "has_conversion": np.r_[np.ones(len(conv), bool), np.zeros(len(null), bool)],
    "occurrences": np.r_[conv.total_conversions, null.total_null].astype(np.int64),
})
m = MAM(grouped, format_type="grouped_journey", channels_colname="path",
        journey_with_conv_colname="has_conversion", occurrences_colname="occurrences",
        path_separator=" > ")
print(getattr(m, "run_" + sys.argv[2])())
"""

_MAM_METHOD = {"first_touch": "first_click", "last_touch": "last_click", "linear": "linear"}


def add_arguments(p) -> None:
    p.add_argument("--channels", type=int, default=CHANNELS, help=f"channels ({CHANNELS})")
    p.add_argument("--repeats", type=int, default=None, help=f"processes per cell ({REPEATS})")
    p.add_argument("--time-limit", type=float, default=TIME_LIMIT_S, help="seconds per process")


def configure(args) -> None:
    args.sizes = args.sizes or list(QUICK_SIZES if args.quick else DEFAULT_SIZES)
    args.seeds = args.seeds or [0]
    args.repeats = args.repeats or (1 if args.quick else REPEATS)


def run_worker(spec: dict[str, Any]) -> dict[str, Any]:  # pragma: no cover - no workers here
    raise NotImplementedError("e2e runs commands, not workers")


# ============================================================================ processes
def _commands(csv: str) -> list[tuple[str, str, list[str]]]:
    """(task, label, argv) of every command on one table, ours first in each group."""
    py = sys.executable
    ours = [py, "-m", "attribution_lab", "attribute", csv, "--model"]
    cmds = [("markov", "attribution-lab", [*ours, "markov"])]
    cmds.append(("markov", "ChannelAttribution markov_model", [py, "-c", _CA_MARKOV, csv]))
    for model, method in _MAM_METHOD.items():
        cmds.append((model, "attribution-lab", [*ours, model]))
        cmds.append((model, f"mam run_{method}", [py, "-c", _MAM, csv, method]))
    cmds.append(
        ("heuristics", "ChannelAttribution heuristic_models", [py, "-c", _CA_HEURISTIC, csv])
    )
    return cmds


def _imports() -> list[tuple[str, str, list[str]]]:
    py = sys.executable
    return [
        ("import", "import pandas", [py, "-c", "import pandas"]),
        ("import", "import attribution_lab", [py, "-c", "import attribution_lab"]),
        (
            "import",
            "import ChannelAttribution",
            [
                py,
                "-c",
                "import contextlib, io\nwith contextlib.redirect_stdout(io.StringIO()):"
                "\n    import ChannelAttribution",
            ],
        ),
    ]


def _time(argv: list[str], limit: float) -> dict[str, Any]:
    """Wall seconds and peak RSS (MB) of one process, by GNU time; or its error."""
    gnu_time = shutil.which("time") or "/usr/bin/time"
    with tempfile.NamedTemporaryFile("r", suffix=".time") as out:
        try:
            proc = subprocess.run(
                [gnu_time, "-f", "%e %M", "-o", out.name, *argv],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
                timeout=limit,
            )
        except subprocess.TimeoutExpired:
            return {"error": f"stopped after {limit:.0f} s"}
        except FileNotFoundError:
            return {"error": "GNU time (/usr/bin/time) is not installed"}
        if proc.returncode != 0:
            tail = (proc.stderr.strip().splitlines() or ["(no output)"])[-1]
            return {"error": f"exit {proc.returncode}: {tail[:300]}"}
        wall, kib = out.read().split()[-2:]
    return {"wall_s": float(wall), "peak_mb": float(kib) / 1024.0}


def _write_table(n: int, n_channels: int, seed: int, path: str) -> dict[str, Any]:
    from attribution_lab import Journeys
    from benchmarks._data import synth_journeys

    d = synth_journeys(n, n_channels, seed)
    rng = np.random.default_rng([seed, n, n_channels, 21])
    value = np.where(d["conversions"] > 0, rng.lognormal(4.0, 0.5, n), 0.0)
    j = Journeys(d["channels"], d["offsets"], d["names"], d["conversions"], d["nulls"], value)
    table = j.aggregate().to_path_table()  # an export has one row per distinct path
    table.to_csv(path, index=False)
    return {
        "n_touchpoints": int(d["offsets"][-1]),
        "n_distinct_paths": len(table),
        "file_mb": os.path.getsize(path) / 2**20,
    }


# ============================================================================ suite
def run(sr: SuiteRun, args) -> None:
    seed = args.seeds[0]
    workdir = tempfile.mkdtemp(prefix="bench_e2e_")
    try:
        with tqdm(total=len(args.sizes) + 1, desc="e2e", disable=args.no_progress) as bar:
            _measure(sr, args, _imports(), {"scenario": "import", "seed": seed}, bar)
            for n in sorted(args.sizes):
                csv = os.path.join(workdir, f"paths_{n}.csv")
                meta = _write_table(n, args.channels, seed, csv)
                base = {
                    "scenario": "synthetic",
                    "n_journeys": n,
                    "n_channels": args.channels,
                    "seed": seed,
                    **meta,
                }
                _measure(sr, args, _commands(csv), base, bar)
                os.unlink(csv)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _measure(sr: SuiteRun, args, cmds, base: dict[str, Any], bar) -> None:
    runs: dict[tuple[str, str], list[dict[str, Any]]] = {(t, lab): [] for t, lab, _ in cmds}
    for _ in range(args.repeats):
        for task, label, argv in cmds:
            bar.set_postfix_str(f"{fmt_n(base.get('n_journeys', 0))} {label}")
            failed = [r for r in runs[(task, label)] if "error" in r]
            runs[(task, label)].append(failed[0] if failed else _time(argv, args.time_limit))
    bar.update()
    first_row = len(sr.rows)
    walls: dict[tuple[str, str], float] = {}
    rss: dict[tuple[str, str], float] = {}
    for (task, label), rs in runs.items():
        row = {**base, "task": task, "model": label, "params": "defaults"}
        ok = [r for r in rs if "error" not in r]
        if not ok:
            sr.error(rs[0]["error"], **row)
            continue
        w = [r["wall_s"] for r in ok]
        walls[(task, label)] = float(np.median(w))
        rss[(task, label)] = max(r["peak_mb"] for r in ok)
        sr.add(
            **row,
            wall_s=walls[(task, label)],
            min_s=min(w),
            max_s=max(w),
            peak_mem_mb=rss[(task, label)],
            repeats=len(ok),
        )
    for row in sr.rows[first_row:]:
        if row["status"] != "ok" or row["model"] == "attribution-lab" or row["task"] == "import":
            continue
        # ChannelAttribution's heuristic_models gives first, last and linear in one call
        ours = ("linear" if row["task"] == "heuristics" else row["task"], "attribution-lab")
        if ours in walls:
            row["speedup"] = row["wall_s"] / walls[ours]
            row["rss_ratio"] = rss[ours] / row["peak_mem_mb"]
    if base["scenario"] == "import" and ("import", "import pandas") in walls:
        for row in sr.rows[first_row:]:
            if row["status"] == "ok":
                row["ratio_to_pandas"] = row["wall_s"] / walls[("import", "import pandas")]


# ============================================================================ outputs
def body(frame) -> list[str]:
    ok = frame[frame.status == "ok"]
    lines = [f"## Targets of issue 21 (at {fmt_n(TARGET_N)} journeys)", ""]
    imp = ok[(ok.task == "import") & (ok.model == "import attribution_lab")]
    if imp.empty:
        lines.append("- import: not measured")
    else:
        r = imp.iloc[0]
        holds = r.ratio_to_pandas <= IMPORT_TARGET
        lines.append(
            f"- `import attribution_lab`: {fmt(r.wall_s)} s, **{fmt(r.ratio_to_pandas, 2)}x** "
            f"`import pandas` (target <= {IMPORT_TARGET:g}x: **{'holds' if holds else 'missed'}**)"
        )
    at = ok[ok.n_journeys == TARGET_N]
    for model, peer, target in TARGETS:
        r = at[(at.task == model) & (at.model == peer)]
        if r.empty or "speedup" not in r or np.isnan(r.speedup.iloc[0]):
            lines.append(f"- {model} against {peer}: not measured at {fmt_n(TARGET_N)}")
            continue
        r = r.iloc[0]
        holds = r.speedup >= target
        extra = ""
        if model == "markov":
            rss_ok = r.rss_ratio <= 1.0
            extra = (
                f"; peak RSS ours / theirs {fmt(r.rss_ratio, 2)} (target <= 1: "
                f"**{'holds' if rss_ok else 'missed'}**)"
            )
        lines.append(
            f"- {model}: **{fmt(r.speedup, 2)}x** faster than {peer} (target >= {target:g}x: "
            f"**{'holds' if holds else 'missed'}**){extra}"
        )
    cols = ["wall_s", "min_s", "max_s", "peak_mem_mb", "speedup", "rss_ratio", "ratio_to_pandas"]
    if not ok.empty:
        t = ok.copy()
        t["n"] = t.n_journeys.map(lambda v: "-" if v != v else fmt_n(v))
        t = t[["n", "task", "model", *[c for c in cols if c in t]]]
        lines += [
            "",
            "## Seconds and peak RSS per process (medians; speedup = peer / ours)",
            "",
            *md_table(t, 3, index=False),
        ]
    return lines


def plot(frame, path) -> None:
    import matplotlib.pyplot as plt

    ok = frame[(frame.status == "ok") & (frame.task != "import")]
    fig, ax = plt.subplots(figsize=(8, 4.5))
    labels, values, colours = [], [], []
    palette = {"attribution-lab": "tab:green"}
    for (n, task, model), g in ok.groupby(["n_journeys", "task", "model"], sort=True):
        labels.append(f"{fmt_n(n)} {task}\n{model}")
        values.append(float(g.wall_s.iloc[0]))
        colours.append(palette.get(model, "tab:grey"))
    ax.barh(range(len(values)), values, color=colours)
    ax.set_yticks(range(len(values)), labels, fontsize=6)
    ax.set(xscale="log", xlabel="seconds, whole process (median)")
    ax.invert_yaxis()
    ax.set_title("attribution-lab (green) against the peers' scripts")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


PLOTS = {"e2e.png": plot}
