"""``python -m benchmarks SUITE [--quick] [--seeds 0,1,2] [--sizes 1e3,1e4] [--out DIR]``."""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

from benchmarks import SUITES
from benchmarks._harness import HERE, SuiteRun, int_list, worker_main


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Seeded benchmark suites of attribution_lab; results in "
        "benchmarks/results/SUITE/ (CSV, Markdown, PNG).",
    )
    sub = p.add_subparsers(dest="suite", required=True, metavar="SUITE")
    for name in SUITES:
        module = importlib.import_module(f"benchmarks.suites.{name}")
        sp = sub.add_parser(
            name,
            help=module.TITLE,
            description=module.__doc__,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        sp.add_argument("--quick", action="store_true", help="smoke run in seconds (for CI)")
        sp.add_argument("--seeds", type=int_list, default=None, help="e.g. 0,1,2 or 0-4")
        sp.add_argument("--sizes", type=int_list, default=None, help="n_journeys, e.g. 1e3,1e4,1e5")
        sp.add_argument(
            "--out",
            type=Path,
            default=None,
            help="output folder (default benchmarks/results/SUITE; --quick: "
            "benchmarks/results/quick/SUITE, not committed)",
        )
        sp.add_argument("--no-progress", action="store_true", help="no tqdm progress bar")
        sp.add_argument("--worker", help=argparse.SUPPRESS)
        module.add_arguments(sp)
    return p


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser().parse_args(argv)
    module = importlib.import_module(f"benchmarks.suites.{args.suite}")
    if args.worker:
        return worker_main(module.run_worker, args.worker)
    if args.out is None:
        args.out = HERE / "results" / ("quick" if args.quick else "") / args.suite
    module.configure(args)
    run = SuiteRun(args.suite, args.out, argv[1:], args.quick)
    module.run(run, args)
    run.write(module.TITLE, module.body, module.PLOTS)
    print(f"{args.suite}: {len(run.rows)} rows in {run.elapsed_s / 60:.1f} min -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
