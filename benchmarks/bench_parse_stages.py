"""Where the time of ``Journeys.from_path_table`` goes, stage by stage.

Issue 2 asks that a 1M-row path table read in at most twice the time of ``pandas.read_csv``
on the same file. ``bench_foundation.py`` measures the totals; this script splits our time
into its stages on one table (by default the 1e6-row ``distinct`` table of
``bench_foundation``: every row a different path, the parser's worst case) and measures
what a compiled tokenizer would change, so the gap can be judged with numbers:

- ``pandas.read_csv`` (the baseline) and ``pyarrow.csv.read_csv`` (a possible reader);
- the path column as an Arrow array; Arrow's ``split_pattern`` and ``dictionary_encode``
  of the tokens on one core; the two together in one thread per core, as the package does;
- mapping token codes to sorted channel names; the ``Journeys`` constructor's checks;
- ``benchmarks/experiments/tokenize.c``, a hashing tokenizer over the Arrow bytes
  (compiled with the system C compiler when there is one; skipped otherwise), on one
  thread and on one thread per core. It is an experiment, not part of the package.

Every stage runs ``--repeats`` times after one warm-up in this process; the table gives
the median. The machine should be otherwise idle (2 cores here: anything running beside
the script shows in the figures).

Usage::

    python benchmarks/bench_parse_stages.py                 # 1e6 distinct, 5 repeats
    python benchmarks/bench_parse_stages.py --shape repeated --n 1e6
    python benchmarks/bench_parse_stages.py --file my_paths.csv
"""

from __future__ import annotations

import argparse
import ctypes
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

if __package__ in (None, ""):  # run as a script: make the benchmarks package importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks._harness import fmt_n, loadavg, machine_info, md_table

HERE = Path(__file__).resolve().parent
C_SOURCE = HERE / "experiments" / "tokenize.c"


def median_time(op: Callable[[], Any], repeats: int) -> float:
    op()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        op()
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def compile_tokenizer(workdir: str) -> ctypes.CDLL | None:
    cc = shutil.which(os.environ.get("CC", "cc")) or shutil.which("gcc")
    if cc is None:
        return None
    lib = os.path.join(workdir, "libtokenize.so")
    subprocess.run([cc, "-O3", "-shared", "-fPIC", "-o", lib, str(C_SOURCE)], check=True)
    dll = ctypes.CDLL(lib)
    p, i64 = ctypes.c_void_p, ctypes.c_int64
    dll.tokenize_rows.argtypes = [p, p, i64, ctypes.c_uint8, p, i64, p, p, p, i64]
    dll.tokenize_rows.restype = i64
    return dll


def c_tokenize(dll: ctypes.CDLL, data: np.ndarray, row_offsets: np.ndarray, sep: int) -> tuple:
    n = row_offsets.size - 1
    # every token is followed by a separator or ends its row
    max_tokens = int(np.count_nonzero(data[row_offsets[0] : row_offsets[-1]] == sep)) + n
    codes = np.empty(max_tokens, np.int32)
    token_offsets = np.empty(n + 1, np.int64)
    max_vocab = 1 << 16
    vstart, vlen = np.empty(max_vocab, np.int64), np.empty(max_vocab, np.int64)
    n_vocab = dll.tokenize_rows(
        data.ctypes.data,
        row_offsets.ctypes.data,
        n,
        sep,
        codes.ctypes.data,
        max_tokens,
        token_offsets.ctypes.data,
        vstart.ctypes.data,
        vlen.ctypes.data,
        max_vocab,
    )
    if n_vocab < 0:
        raise RuntimeError(f"tokenize_rows failed with code {n_vocab}")
    vocab = [
        data[a : a + b].tobytes().decode()
        for a, b in zip(vstart[:n_vocab], vlen[:n_vocab], strict=True)
    ]
    return codes[: token_offsets[-1]], token_offsets, vocab


def c_tokenize_threads(dll, data, row_offsets, sep, n_threads):
    bounds = np.linspace(0, row_offsets.size - 1, n_threads + 1).astype(np.int64)
    with ThreadPoolExecutor(n_threads) as pool:
        return list(
            pool.map(
                lambda lh: c_tokenize(dll, data, row_offsets[lh[0] : lh[1] + 1], sep),
                pairwise(bounds.tolist()),
            )
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=float, default=1e6, help="rows of the generated table")
    parser.add_argument("--shape", choices=("distinct", "repeated"), default="distinct")
    parser.add_argument("--file", help="time this ';'-separated path table instead")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=str(HERE / "results"))
    args = parser.parse_args(argv)

    import pyarrow as pa
    import pyarrow.csv as pacsv

    from attribution_lab import Journeys
    from attribution_lab.journeys import _arrow_strings, _name_codes, _split_encode

    with tempfile.TemporaryDirectory() as tmp:
        if args.file:
            source, label = args.file, os.path.basename(args.file)
        else:
            from benchmarks.bench_foundation import make_dataset

            prefix = os.path.join(tmp, "table")
            make_dataset(args.shape, int(args.n), args.seed, prefix)
            source, label = prefix + ".csv", f"{args.shape} {int(args.n):,} rows"
        r = args.repeats
        frame = pd.read_csv(source, sep=";")
        strings = _arrow_strings(frame["path"])
        if pa.types.is_large_string(strings.type):
            offset_type = np.int64
        else:
            offset_type = np.int32
        bufs = strings.buffers()
        row_offsets = np.frombuffer(
            bufs[1],
            dtype=offset_type,
            count=len(strings) + 1,
            offset=strings.offset * np.dtype(offset_type).itemsize,
        ).astype(np.int64)
        data = np.frombuffer(bufs[2], dtype=np.uint8)
        codes, uniques, d_offsets = _split_encode(strings, ">")
        channels, names = _name_codes(codes, uniques, d_offsets, str, str, "path")
        conv = frame["total_conversions"].to_numpy(np.float64)
        nulls = frame["total_null"].to_numpy(np.float64)
        value = frame["total_conversion_value"].to_numpy(np.float64)
        n_cores = os.cpu_count() or 1

        rows: list[tuple[str, float]] = []

        def stage(name: str, op: Callable[[], Any]) -> float:
            t = median_time(op, r)
            rows.append((name, t))
            print(f"{name:55s} {t:.3f} s", flush=True)
            return t

        base = stage("pandas.read_csv (baseline)", lambda: pd.read_csv(source, sep=";"))
        total = stage("Journeys.from_path_table (total)", lambda: Journeys.from_path_table(source))
        stage(
            "pyarrow.csv.read_csv",
            lambda: pacsv.read_csv(source, parse_options=pacsv.ParseOptions(delimiter=";")),
        )
        to_arrow = stage("path column to Arrow", lambda: _arrow_strings(frame["path"]))
        parts = pa.compute.split_pattern(strings, ">")
        stage("Arrow split_pattern, 1 core", lambda: pa.compute.split_pattern(strings, ">"))
        flat = parts.flatten()
        stage(
            "Arrow dictionary_encode of tokens, 1 core", lambda: pa.compute.dictionary_encode(flat)
        )
        split = stage(
            f"split + encode as the package does ({n_cores} threads)",
            lambda: _split_encode(strings, ">"),
        )
        naming = stage(
            "codes to sorted names",
            lambda: _name_codes(codes, uniques, d_offsets, str, str, "path"),
        )
        construct = stage(
            "Journeys constructor (checks)",
            lambda: Journeys(channels, d_offsets, names, conv, nulls, value),
        )
        dll = compile_tokenizer(tmp)
        c_best = None
        if dll is None:
            print("no C compiler: the compiled tokenizer is not measured")
        else:
            c_codes, c_off, vocab = c_tokenize(dll, data, row_offsets, ord(">"))
            as_names = np.array([names.index(v) for v in vocab], np.int32)[c_codes]
            if not (np.array_equal(c_off, d_offsets) and np.array_equal(as_names, channels)):
                raise AssertionError("the C tokenizer disagrees with the package's parser")
            stage("C tokenizer, 1 thread", lambda: c_tokenize(dll, data, row_offsets, ord(">")))
            c_best = stage(
                f"C tokenizer, {n_cores} threads",
                lambda: c_tokenize_threads(dll, data, row_offsets, ord(">"), n_cores),
            )

    table = pd.DataFrame(rows, columns=["stage", "median s"])
    table["x read_csv"] = table["median s"] / base
    # the stages outside reading and splitting, each measured on its own
    rest = to_arrow + naming + construct
    summary = [
        f"- from_path_table {total:.3f} s = **{total / base:.1f}x** pandas.read_csv "
        f"({base:.3f} s); its stages: reading {base:.3f} s, splitting and encoding "
        f"{split:.3f} s, to Arrow + names + constructor {rest:.3f} s.",
    ]
    if c_best is not None:
        floor = base + c_best + rest
        summary.append(
            f"- With the compiled tokenizer in place of Arrow's kernels: {floor:.3f} s = "
            f"**{floor / base:.1f}x** (reading + C tokenizer on {n_cores} threads + to Arrow, "
            f"names and constructor); the tokenizer alone is {c_best / base:.1f}x read_csv."
        )
    info = machine_info()
    load = loadavg()
    lines = [
        "# Parse stages: where `Journeys.from_path_table` spends its time",
        "",
        "`python benchmarks/bench_parse_stages.py"
        + (f" --file {args.file}" if args.file else f" --shape {args.shape} --n {fmt_n(args.n)}")
        + f" --repeats {r}`",
        "",
        f"{info['date_utc']} · commit {info['git_commit']} · Python {info['python']}, numpy "
        f"{info['numpy']}, pandas {info['pandas']}, pyarrow {info['pyarrow']} · {info['cpu']}, "
        f"{info['n_cpus']} CPUs · table: {label} · median of {r} warm runs"
        + (f" · load average at the end {load[0]:.2f}" if load else ""),
        "",
        *summary,
        "",
        *md_table(table.set_index("stage"), digits=3),
        "",
    ]
    os.makedirs(args.out, exist_ok=True)
    stem = os.path.join(args.out, "parse_stages")
    table.to_csv(stem + ".csv", index=False)
    Path(stem + ".md").write_text("\n".join(lines))
    print("\n".join(summary))
    print(f"wrote {stem}.md and {stem}.csv")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
