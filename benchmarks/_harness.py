"""What every benchmark shares: fresh-process workers, honest peak memory, machine and load.

Measurement
-----------
A measurement runs in a fresh interpreter (`call_worker`): the parent starts
``[python, ..., "--worker", JSON]`` and reads the line ``RESULT {json}`` the child prints.
Inside the child, `measure_once` resets the kernel's peak-RSS mark
(``/proc/self/clear_refs``), runs the operation once under ``time.perf_counter`` and reads
the high-water mark (``VmHWM``) during it. ``resource.getrusage(...).ru_maxrss`` is not
used: a child started by ``subprocess`` (vfork + exec) inherits its parent's high-water
mark in ``ru_maxrss`` and ``RUSAGE_CHILDREN`` is a maximum over all children, so neither
gives the peak of one run. Off Linux the peak falls back to ``ru_maxrss`` of the process.

``background_load`` is the CPU time other processes of the machine used while a worker
ran, in cores (from ``/proc/stat``, minus this process and its children): 0 means the
machine was otherwise idle, 1 that another process kept a core busy.

Suites
------
`SuiteRun` collects the rows of one ``python -m benchmarks SUITE`` run and writes them to
``OUT/SUITE.csv`` (the tidy core `CORE_COLUMNS` first, then each suite's metrics), a
Markdown summary whose header records the machine, the library versions, the load average
at the start and the end, the date and the exact command, and the suite's PNG plots.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import os
import platform
import shlex
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
RESULT_PREFIX = "RESULT "

# The tidy core of every suite's CSV, in this order; suites add their metrics after it.
CORE_COLUMNS = [
    "suite",
    "scenario",
    "model",
    "params",
    "n_journeys",
    "n_channels",
    "seed",
    "status",  # ok, skipped or error
    "wall_s",
    "peak_mem_mb",
    "note",  # why a cell was skipped, or the error
]


# ============================================================================ memory and time
def proc_status_kib(field: str) -> int | None:
    """A field of /proc/self/status in KiB (None off Linux)."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def _ru_maxrss_mb() -> float:
    import resource

    scale = 1 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 2**20


def rss_mb() -> float:
    """Resident set size now (off Linux: the process's peak so far)."""
    kib = proc_status_kib("VmRSS")
    return _ru_maxrss_mb() if kib is None else kib / 1024


def reset_peak() -> bool:
    """Reset this process's peak-RSS mark to its current RSS (Linux >= 4.0)."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def peak_mb() -> float:
    """This process's peak RSS since the last `reset_peak` (or since it started)."""
    kib = proc_status_kib("VmHWM")
    return _ru_maxrss_mb() if kib is None else kib / 1024


def timed(op: Callable[[], Any]) -> tuple[Any, float, float, float]:
    """Result, wall time, user CPU and system CPU seconds (all threads) of `op()`."""
    import resource

    r0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    out = op()
    wall = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    return out, wall, r1.ru_utime - r0.ru_utime, r1.ru_stime - r0.ru_stime


def measure_once(op: Callable[[], Any]) -> dict[str, Any]:
    """Run `op` once with the peak-RSS mark reset: result, wall and CPU time, peak RSS."""
    import gc

    gc.collect()
    baseline = rss_mb()
    reset = reset_peak()
    out, wall, user, sys_ = timed(op)
    peak = peak_mb()
    return {
        "out": out,
        "wall_s": wall,
        "cpu_user_s": user,
        "cpu_sys_s": sys_,
        "peak_mb": peak,
        "rss_increment_mb": peak - baseline,
        "rss_scope": "operation" if reset else "process",
    }


# ============================================================================ machine and load
def busy_cpu_s() -> float:
    """CPU seconds all processes of the machine have used (user, nice, system, irq)."""
    try:
        with open("/proc/stat") as fh:
            v = [int(x) for x in fh.readline().split()[1:8]]
    except (OSError, ValueError):
        return float("nan")
    return (v[0] + v[1] + v[2] + v[5] + v[6]) / os.sysconf("SC_CLK_TCK")


def own_cpu_s() -> float:
    """CPU seconds of this process and its waited-for children."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


class LoadMeter:
    """CPU time other processes used between `start` and `stop`, in cores."""

    def __init__(self) -> None:
        self.start()

    def start(self) -> None:
        self._busy, self._own, self._t = busy_cpu_s(), own_cpu_s(), time.perf_counter()

    def stop(self) -> float:
        wall = time.perf_counter() - self._t
        if wall <= 0:
            return float("nan")
        load = ((busy_cpu_s() - self._busy) - (own_cpu_s() - self._own)) / wall
        return max(load, 0.0)


def loadavg() -> tuple[float, float, float] | None:
    try:
        return os.getloadavg()
    except OSError:  # pragma: no cover (not on Unix)
        return None


def mem_available_bytes() -> float:
    try:
        with open("/proc/meminfo") as fh:
            return next(int(ln.split()[1]) for ln in fh if ln.startswith("MemAvailable")) * 1024.0
    except (OSError, StopIteration):
        return float("inf")


def package_digest() -> str:
    """Short digest of the package sources this process imports (runs may race with edits)."""
    import attribution_lab

    h = hashlib.sha1()
    root = Path(attribution_lab.__file__).parent
    for p in sorted(root.rglob("*.py")):
        h.update(p.relative_to(root).as_posix().encode())
        h.update(p.read_bytes())
    return h.hexdigest()[:10]


def _git(*args: str) -> str:
    try:
        return subprocess.run(
            ["git", "-C", str(REPO), *args], capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def machine_info() -> dict[str, Any]:
    """Library versions, commit, CPU, cores, memory and the date, one flat dict."""
    import pandas as pd

    import attribution_lab

    cpu = platform.processor() or platform.machine()
    mem_gib = float("nan")
    try:
        with open("/proc/cpuinfo") as fh:
            cpu = next(ln.split(":", 1)[1].strip() for ln in fh if ln.startswith("model name"))
        with open("/proc/meminfo") as fh:
            mem_gib = next(int(ln.split()[1]) for ln in fh if ln.startswith("MemTotal")) / 2**20
    except (OSError, StopIteration):
        pass
    dirty = _git("status", "--porcelain", "--", "attribution_lab")
    try:
        import pyarrow

        pyarrow_version = pyarrow.__version__
    except ImportError:  # pragma: no cover
        pyarrow_version = ""
    return {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "pyarrow": pyarrow_version,
        "attribution_lab": attribution_lab.__version__,
        "git_commit": _git("rev-parse", "--short", "HEAD") + ("+dirty" if dirty else ""),
        "platform": platform.platform(),
        "cpu": cpu,
        "n_cpus": os.cpu_count(),
        "mem_gib": round(mem_gib, 1),
        "date_utc": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


# ============================================================================ workers
def call_worker(
    cmd: list[str],
    spec: dict[str, Any],
    timeout: float | None = None,
    env: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Run ``cmd + ["--worker", json(spec)]`` in a fresh interpreter and return its result.

    The child prints ``RESULT {json}`` (see `worker_main`). Added: ``worker_s`` (the total
    time of the child, start-up included) and ``background_load`` (see the module
    docstring). A child that fails or runs past `timeout` seconds gives ``{"error": ...}``.
    """
    meter = LoadMeter()
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(
            [*cmd, "--worker", json.dumps(spec)],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
        )
    except subprocess.TimeoutExpired:
        return {"error": f"stopped after {timeout:.0f} s", "worker_s": time.perf_counter() - t0}
    worker_s = time.perf_counter() - t0
    extra = {"worker_s": worker_s, "background_load": meter.stop()}
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith(RESULT_PREFIX):
            return {**json.loads(line[len(RESULT_PREFIX) :]), **extra}
    tail = (proc.stderr.strip().splitlines() or ["(no output)"])[-1]
    return {"error": f"exit {proc.returncode}: {tail}", **extra}


def worker_main(run_worker: Callable[[dict[str, Any]], dict[str, Any]], spec_json: str) -> int:
    """The child's side of `call_worker`: run one spec and print its JSON result."""
    print(RESULT_PREFIX + json.dumps(run_worker(json.loads(spec_json)), default=_jsonable))
    sys.stdout.flush()
    return 0


def _jsonable(x: Any) -> Any:
    if isinstance(x, np.generic):
        return x.item()
    if isinstance(x, np.ndarray):
        return x.tolist()
    raise TypeError(f"not JSON serialisable: {type(x).__name__}")


def suite_worker_cmd(suite: str) -> tuple[list[str], dict[str, str]]:
    """Command and environment that run a worker of ``python -m benchmarks SUITE``."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH")) if p)
    return [sys.executable, "-m", "benchmarks", suite], env


# ============================================================================ formatting
def int_list(s: str) -> list[int]:
    """'1e3,1e4' or '0,1,2' -> integers; 'a-b' (seeds) -> a..b inclusive."""
    out: list[int] = []
    for part in s.split(","):
        part = part.strip()
        if not part:
            continue
        if "-" in part[1:] and "e" not in part:
            lo, hi = part.split("-", 1)
            out.extend(range(int(lo), int(hi) + 1))
        else:
            out.append(int(float(part)))
    return out


def fmt_n(n: float) -> str:
    """1e4 for powers of ten, else 12,345."""
    n = int(n)
    e = round(math.log10(n)) if n > 0 else 0
    return f"1e{e}" if n > 0 and 10**e == n else f"{n:,}"


def fmt(x: Any, digits: int = 3) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    return f"{x:.{digits}g}"


def tqdm(**kw: Any):
    from tqdm import tqdm as _tqdm

    return _tqdm(dynamic_ncols=True, **kw)


def load_lines(ok) -> list[str]:
    """The paragraph on the background load of a suite's measured rows (none without it)."""
    load = ok.background_load.dropna() if "background_load" in ok else []
    if not len(load):
        return []
    return [
        "",
        f"Background load during the measurements (other processes, cores): median "
        f"{load.median():.2f}, max {load.max():.2f}"
        + ("; timings were disturbed, rerun on an idle machine." if load.max() > 0.25 else "."),
    ]


def md_table(frame, digits: int = 3, index: bool = True) -> list[str]:
    """Markdown lines of a small frame (numbers with `digits` significant digits)."""
    import pandas as pd

    cols = [str(c) for c in frame.columns]
    head = ([str(frame.index.name or "")] if index else []) + cols
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for idx, row in frame.iterrows():
        cells = []
        for v in row:
            if isinstance(v, int | float | np.integer | np.floating) and not isinstance(v, bool):
                cells.append("-" if pd.isna(v) else fmt(float(v), digits))
            else:
                cells.append("-" if v is None or (isinstance(v, float) and pd.isna(v)) else str(v))
        lines.append("| " + " | ".join(([str(idx)] if index else []) + cells) + " |")
    return lines


def loglog_slope(n: Iterable[float], t: Iterable[float]) -> float:
    """Least-squares slope of log t against log n (NaN with fewer than 2 sizes)."""
    n, t = np.asarray(list(n), float), np.asarray(list(t), float)
    ok = (n > 0) & (t > 0) & np.isfinite(t)
    if np.unique(n[ok]).size < 2:
        return float("nan")
    return float(np.polyfit(np.log(n[ok]), np.log(t[ok]), 1)[0])


# ============================================================================ suite output
class SuiteRun:
    """Rows, notes and the environment of one suite run; writes CSV, Markdown and plots."""

    def __init__(self, suite: str, out: Path, argv: list[str], quick: bool) -> None:
        self.suite = suite
        self.out = Path(out)
        self.quick = quick
        self.command = "python -m benchmarks " + shlex.join([suite, *argv])
        self.rows: list[dict[str, Any]] = []
        self.notes: list[str] = []
        self.machine = machine_info()
        self.load_start = loadavg()
        self.load_end: tuple[float, float, float] | None = None
        self.started = time.perf_counter()
        self.elapsed_s = float("nan")

    def add(self, **row: Any) -> dict[str, Any]:
        row = {"suite": self.suite, "status": "ok", "note": "", **row}
        self.rows.append(row)
        return row

    def skip(self, reason: str, **row: Any) -> dict[str, Any]:
        return self.add(**row, status="skipped", note=reason)

    def error(self, message: str, **row: Any) -> dict[str, Any]:
        return self.add(**row, status="error", note=message)

    def frame(self):
        import pandas as pd

        frame = pd.DataFrame(self.rows)
        for col in CORE_COLUMNS:
            if col not in frame:
                frame[col] = np.nan
        rest = [c for c in frame.columns if c not in CORE_COLUMNS]
        frame = frame[CORE_COLUMNS + rest]
        frame["note"] = frame["note"].fillna("").astype(str)
        return frame

    def header(self, title: str) -> list[str]:
        m = self.machine

        def la(x):
            return "n/a" if x is None else " / ".join(f"{v:.2f}" for v in x)

        return [
            f"# {title}",
            "",
            f"`{self.command}`"
            + (" (`--quick`: a smoke run, not a measurement)" if self.quick else ""),
            "",
            f"- date: {m['date_utc']}; wall time of the run: {self.elapsed_s / 60:.1f} min",
            f"- machine: {m['cpu']}, {m['n_cpus']} cores, {m['mem_gib']} GiB RAM; {m['platform']}",
            f"- Python {m['python']}, numpy {m['numpy']}, pandas {m['pandas']}, attribution_lab "
            f"{m['attribution_lab']} (commit {m['git_commit']})"
            + "".join(f", {k} {v}" for k, v in m.items() if k.startswith("peer_")),
            f"- background load (os.getloadavg, 1 / 5 / 15 min): {la(self.load_start)} at the "
            f"start, {la(self.load_end)} at the end (this run's own work included)",
            "",
        ]

    def write(
        self,
        title: str,
        body: Callable[[Any], list[str]],
        plots: dict[str, Callable[[Any, Path], None]],
    ) -> None:
        """Write ``SUITE.csv``, ``SUITE.md`` and every plot (file name -> function)."""
        import matplotlib

        matplotlib.use("Agg")
        self.load_end = loadavg()
        self.elapsed_s = time.perf_counter() - self.started
        self.out.mkdir(parents=True, exist_ok=True)
        frame = self.frame()
        for k, v in self.machine.items():
            frame[k] = v
        frame.to_csv(self.out / f"{self.suite}.csv", index=False, float_format="%.6g")
        lines = self.header(title) + body(frame)
        skipped = frame[frame.status != "ok"]
        if self.notes or not skipped.empty:
            lines += ["", "## Notes, skipped and failed cells", ""]
            lines += [f"- {n}" for n in dict.fromkeys(self.notes)]
            if not skipped.empty:
                lines += _grouped_notes(skipped)
        lines += [
            "",
            f"Tidy data: `{self.suite}.csv`"
            + ("; plots: " + ", ".join(f"`{p}`" for p in plots) if plots else "")
            + ".",
            "",
        ]
        (self.out / f"{self.suite}.md").write_text("\n".join(lines))
        for name, plot in plots.items():
            plot(frame, self.out / name)


def _grouped_notes(skipped) -> list[str]:
    """One line per status, model, params and reason (numbers aside), with its cells."""
    import re

    skipped = skipped.assign(_reason=skipped.note.map(lambda t: re.sub(r"-?\d[\d.,e+-]*", "#", t)))
    lines = []
    keys = ["status", "model", "params", "_reason"]
    for (status, model, params, _), g in skipped.groupby(keys, sort=False, dropna=False):
        cells = g[["scenario", "n_journeys"]].drop_duplicates()
        where = ", ".join(
            f"{s} at {fmt_n(n)}" if n == n else str(s) for s, n in cells.itertuples(index=False)
        )
        example = g.note.iloc[0]
        lines.append(
            f"- **{status}**: {model} ({params}), {len(g)} cell(s)"
            + (f" [{where}]" if where and len(where) < 600 else "")
            + (f": {example}" if len(g) == 1 else f"; e.g. {example}")
        )
    return lines
