"""The ``attribution-lab`` command line: a layer of its own above the library.

One module per command group builds its parser and runs it (`attribute` for attribute and
compare, `demo`, `models`, `simulate` for simulate and scenarios, `describe`,
`calibrate`, `events`, `ga4`); `_options` holds what they share (input options, model set-up,
messages, printing). Nothing in the library imports this package.

Benchmarks are not a command: run ``python -m benchmarks SUITE`` in a source checkout.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Sequence

from ._options import CLIError, _message, _say_for_command_line, _show_warning, parse_value
from .attribute import add_attribute_parser, add_compare_parser
from .calibrate import add_calibrate_parser
from .demo import add_demo_parser
from .describe import add_describe_parser
from .events import add_events_parser
from .ga4 import add_ga4_parser
from .models import add_models_parser
from .report import add_report_parser
from .simulate import add_scenarios_parser, add_simulate_parser

__all__ = ["CLIError", "build_parser", "main", "parse_value"]

#: The commands in the order ``attribution-lab --help`` lists them.
_COMMANDS = (
    add_demo_parser,
    add_attribute_parser,
    add_compare_parser,
    add_models_parser,
    add_simulate_parser,
    add_scenarios_parser,
    add_describe_parser,
    add_report_parser,
    add_calibrate_parser,
    add_events_parser,
    add_ga4_parser,
)


def build_parser() -> argparse.ArgumentParser:
    """The parser of ``attribution-lab``: every command, each with its ``func`` to run.

    Examples
    --------
    >>> args = build_parser().parse_args(["attribute", "example", "--model", "linear"])
    >>> args.command, args.model, args.func.__name__
    ('attribute', 'linear', 'cmd_attribute')
    """
    parser = argparse.ArgumentParser(
        prog="attribution-lab",
        description="Multi-touch attribution: rule-based and data-driven models, side by side.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for add_parser in _COMMANDS:
        add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``attribution-lab``; returns the exit status (2 on a user error).

    A user error (a bad option, file or value) is printed as one line on stderr, in the
    command line's terms, and gives status 2; so does argparse for an unknown command or
    option (it exits with status 2 itself). Warnings are printed as one line each.
    """
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(argv)
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _show_warning
            args.func(args)
    except BrokenPipeError:  # e.g. piped into head
        return 0
    except (CLIError, ValueError, TypeError, OSError, IndexError) as exc:
        msg = _say_for_command_line(_message(exc), args)
        print(f"attribution-lab: error: {msg}", file=sys.stderr)
        return 2
    return 0
