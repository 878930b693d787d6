"""``attribution-lab report``: the self-contained HTML report (`attribution_lab.report`)."""

from __future__ import annotations

import argparse
import os
import shlex
from typing import Any

from ._options import (
    CLIError,
    _add_channel_options,
    _add_input_options,
    _add_quiet_option,
    _add_touch_options,
    load_input,
    make_model,
    parse_params,
)

#: Bootstrap replicates per model unless --n-boot says otherwise (seconds, not minutes).
N_BOOT = 30


def add_report_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``report`` command: one HTML page to open and forward.

    Examples
    --------
    >>> parser = argparse.ArgumentParser(prog="attribution-lab")
    >>> _ = add_report_parser(parser.add_subparsers(dest="command"))
    >>> args = parser.parse_args(["report", "example", "--out", "r.html", "--seed", "3"])
    >>> args.out, args.seed, args.n_boot, args.func is cmd_report
    ('r.html', 3, 30, True)
    """
    p = subparsers.add_parser(
        "report",
        help="self-contained HTML report: data, models side by side, Markov graph, Shapley, spend",
        description=(
            "Write one HTML file (figures inline, no network or JavaScript needed) with the"
            " journeys' summary, the models' shares side by side with bootstrap intervals,"
            " the Markov transition graph, the Shapley credit, spend and return with"
            " --costs, every warning of the run, and the command, seed and versions."
        ),
    )
    _add_input_options(p)
    p.add_argument("--out", required=True, metavar="HTML", help="the report file to write")
    p.add_argument(
        "--models",
        default=None,
        help="comma-separated model names (default: first_touch, last_touch, linear,"
        " position_based, time_decay, markov, shapley; those needing touch times only"
        " with --events)",
    )
    p.add_argument(
        "--param",
        action="append",
        metavar="MODEL.KEY=VALUE",
        help="a model's parameter, e.g. markov.order=2 (repeatable)",
    )
    p.add_argument(
        "--n-boot",
        type=int,
        default=N_BOOT,
        help=f"bootstrap replicates per model (default: {N_BOOT}, quick; 200+ for intervals"
        " to quote; 0 for none)",
    )
    p.add_argument("--ci-level", type=float, default=0.95, help="interval coverage (0.95)")
    p.add_argument(
        "--seed", type=int, default=0, help="seed of every random choice of the run (default: 0)"
    )
    p.add_argument(
        "--costs",
        default=None,
        metavar="FILE",
        help="spend CSV (columns channel, cost; optional period): adds spend, ROAS and ROI",
    )
    p.add_argument("--top", type=int, default=10, help="paths listed (default: 10)")
    p.add_argument("--title", default="Attribution report", help="the page's title")
    _add_channel_options(p)
    _add_touch_options(p)
    _add_quiet_option(p)
    p.set_defaults(func=cmd_report, report_parser=p)
    return p


def _command(args: argparse.Namespace) -> str:
    """The command that makes this report again: every option not at its default."""
    words = ["attribution-lab", "report", args.input]
    for action in args.report_parser._actions:
        dest = action.dest
        if not action.option_strings or dest in ("help",):
            continue
        value = getattr(args, dest, None)
        if value == action.default:
            continue
        flag = action.option_strings[-1]
        if action.nargs == 0:
            words.append(flag)
        elif isinstance(value, list):
            for v in value:
                words += [flag, str(v)]
        else:
            words += [flag, str(value)]
    return shlex.join(words)


def _models(args: argparse.Namespace, journeys: Any) -> Any:
    from ..reporting import DEFAULT_MODELS

    names = DEFAULT_MODELS if args.models is None else None
    if names is None:
        names = [n.strip() for n in args.models.split(",") if n.strip()]
        if not names:
            raise CLIError("--models names no model")
    params: dict[str, dict[str, Any]] = {}
    for item in args.param or []:
        model, dot, rest = item.partition(".")
        if not dot or model.strip() not in names:
            raise CLIError(
                f"--param {item!r}: expected MODEL.KEY=VALUE with MODEL one of {', '.join(names)}"
            )
        params.setdefault(model.strip(), {}).update(parse_params([rest]))
    if args.models is None:
        from ..base import available_models

        runnable = available_models(journeys)
        names = [n for n in names if n in runnable]
    return {n: make_model(n, params.get(n, {}), args, journeys) for n in names}


def cmd_report(args: argparse.Namespace) -> None:
    """Run ``attribution-lab report``: read INPUT, build the page, write it to ``--out``."""
    from ..reporting import report

    if getattr(args, "format", "table") != "table":
        raise CLIError("--format does not apply to report, which writes HTML to --out")
    if args.n_boot != 0 and args.n_boot < 2:
        raise CLIError(f"--n-boot must be 0 (no intervals) or at least 2, got {args.n_boot}")
    if not 0 < args.ci_level < 1:
        raise CLIError(f"--ci-level must be strictly between 0 and 1, got {args.ci_level}")
    if args.top < 1:
        raise CLIError(f"--top must be at least 1, got {args.top}")
    if args.costs is not None and not os.path.isfile(args.costs):
        raise CLIError(f"--costs {args.costs}: no such file")
    folder = os.path.dirname(os.path.abspath(args.out))
    if not os.path.isdir(folder):
        raise CLIError(f"--out {args.out}: folder {folder} does not exist")
    journeys = load_input(args)
    models = _models(args, journeys)
    report(
        journeys,
        models,
        out=args.out,
        costs=args.costs,
        n_boot=args.n_boot or None,
        ci_level=args.ci_level,
        random_state=args.seed,
        top=args.top,
        title=args.title,
        summary=f"{args.input}: {args.input_summary}",
        command=_command(args),
    )
    print(f"Report written to {os.path.abspath(args.out)}")
