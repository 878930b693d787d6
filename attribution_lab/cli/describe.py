"""``attribution-lab describe``: the journeys' headline tables (`attribution_lab.analytics`)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ..analytics import describe
from ._options import _add_input_options, finite_json, load_input


def add_describe_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``describe`` command to the ``attribution-lab`` sub-command parsers.

    The command takes the input options of ``attribute`` and runs `cmd_describe`.

    Examples
    --------
    >>> parser = argparse.ArgumentParser(prog="attribution-lab")
    >>> _ = add_describe_parser(parser.add_subparsers(dest="command"))
    >>> args = parser.parse_args(["describe", "example", "--top", "3"])
    >>> args.top, args.func is cmd_describe
    (3, True)
    """
    p = subparsers.add_parser(
        "describe",
        help="journey analytics: top paths, lengths, time to conversion, channels, funnel",
        description=(
            "Print the headline tables of the journeys: top paths with Wilson intervals,"
            " path lengths, time to conversion (needs touch times), channel reach / roles /"
            " conversion rates and overlap, the most common next channel, and the funnel."
        ),
    )
    _add_input_options(p)
    p.add_argument("--top", type=int, default=10, help="paths listed (default: 10)")
    p.add_argument(
        "--stall-days",
        type=float,
        default=30.0,
        help="days at a funnel stage after which an open journey is stalled (default: 30)",
    )
    p.add_argument(
        "--plot", metavar="PNG", default=None, help="also write the six-panel figure there"
    )
    p.set_defaults(func=cmd_describe)
    return p


def cmd_describe(args: argparse.Namespace) -> None:
    """Run ``attribution-lab describe``: print `describe`'s tables (table, csv or json).

    ``--format csv`` writes every table as a CSV block headed by a ``# name`` line, blocks
    separated by a blank line.
    """
    journeys = load_input(args)
    result = describe(journeys, top=args.top, stall_days=args.stall_days)
    fmt = getattr(args, "format", "table")
    if fmt == "json":
        json.dump(finite_json(result.to_dict()), sys.stdout, indent=2, allow_nan=False)
        sys.stdout.write("\n")
    elif fmt == "csv":
        for k, (name, frame) in enumerate(result.tables().items()):
            sys.stdout.write(("\n" if k else "") + f"# {name}\n")
            frame.to_csv(sys.stdout, index=False, float_format="%.10g")
    else:
        print(f"input: {args.input_summary}")
        print(result.to_text())
    if args.plot:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig = result.plot()
        fig.savefig(args.plot, dpi=100)
        plt.close(fig)
        if fmt == "table":
            print(f"\nFigure written to {args.plot}")
