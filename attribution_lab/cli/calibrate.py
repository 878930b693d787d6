"""``attribution-lab calibrate``: a rule's half-life or position shares fitted to data
(`attribution_lab.calibrate`)."""

from __future__ import annotations

import argparse
from typing import Any

from ..calibrate import MATCH_METRICS, SHAPES, calibrate_position_weights, calibrate_time_decay
from ._options import (
    CLIError,
    _add_input_options,
    _add_quiet_option,
    _add_touch_options,
    _print_table,
    load_input,
    refuse_inert_options,
    show_progress,
)


def add_calibrate_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``calibrate`` command to the ``attribution-lab`` subparsers.

    Examples
    --------
    >>> parser = argparse.ArgumentParser(prog="attribution-lab")
    >>> _ = add_calibrate_parser(parser.add_subparsers(dest="command"))
    >>> args = parser.parse_args(["calibrate", "example", "--rule", "position_based"])
    >>> args.rule, args.shape, args.reference
    ('position_based', 'U', 'markov')
    """
    p = subparsers.add_parser(
        "calibrate",
        help="fit the time-decay half-life or position-rule shares from data",
        description=(
            "Calibrate a rule. time_decay --method likelihood fits the half-life of a conversion"
            " model on decaying exposures (needs touch times: --events); --method match finds"
            " the half-life whose rule is closest to --reference. position_based matches the"
            " shares of the U, W, full-path or bucket rule to --reference."
        ),
    )
    _add_input_options(p)
    p.add_argument("--rule", required=True, choices=("time_decay", "position_based"))
    p.add_argument(
        "--method",
        choices=("likelihood", "match"),
        default=None,
        help="time_decay: likelihood (default) or match; position_based: match",
    )
    p.add_argument(
        "--reference",
        default="markov",
        help="model to match (default: markov); see 'attribution-lab models'",
    )
    p.add_argument("--shape", choices=tuple(SHAPES), default="U", help="position_based shape")
    p.add_argument("--n-buckets", type=int, default=5, help="roles of --shape free (default 5)")
    p.add_argument("--per-channel", action="store_true", help="likelihood: a half-life each")
    p.add_argument(
        "--by-position",
        action="store_true",
        help="time_decay match: half-life in touches (path tables have no times)",
    )
    p.add_argument("--metric", choices=MATCH_METRICS, default="tv_share")
    _add_touch_options(p)
    p.add_argument(
        "--n-boot",
        type=int,
        default=None,
        help="bootstrap resamples (position_based default 200; time_decay match: none)",
    )
    p.add_argument("--ci-level", type=float, default=0.95, help="interval coverage (0.95)")
    p.add_argument("--seed", type=int, default=0, help="seed of the bootstrap (default: 0)")
    p.add_argument("--plot", metavar="PNG", default=None, help="write the calibration plot")
    _add_quiet_option(p)
    p.set_defaults(func=cmd_calibrate)
    return p


def cmd_calibrate(args: argparse.Namespace) -> None:
    """Run ``attribution-lab calibrate``: print the calibrated parameters."""
    method = args.method or ("likelihood" if args.rule == "time_decay" else "match")
    position = args.rule == "position_based"
    # options that cannot act on the calibration asked for
    refuse_inert_options(
        args,
        {
            "shape": ("U", None if position else "--shape goes with --rule position_based"),
            "n_buckets": (
                5,
                None if position and args.shape == "free" else "--n-buckets goes with --shape free",
            ),
            "reference": (
                "markov",
                None if method == "match" else "--reference goes with --method match",
            ),
            "metric": (
                "tv_share",
                None if method == "match" else "--metric goes with --method match",
            ),
            "n_boot": (
                None,
                None
                if method == "match"
                else "--n-boot goes with --method match (likelihood"
                " gives likelihood-ratio intervals)",
            ),
        },
    )
    journeys = load_input(args)  # a touch CSV with --events
    progress = args.format == "table" and show_progress(args)
    fit: Any
    if args.rule == "position_based":
        if method != "match":
            raise CLIError("position_based is calibrated by --method match (to --reference)")
        fit = calibrate_position_weights(
            journeys,
            args.reference,
            args.shape,
            n_buckets=args.n_buckets,
            n_boot=200 if args.n_boot is None else args.n_boot,
            ci_level=args.ci_level,
            random_state=args.seed,
            progress=progress,
        )
        header = (
            f"{fit.result.model} shares ({args.shape}) matched to {fit.reference}:"
            f" total variation of shares {fit.tv_share:.4f} (defaults: "
            f"{fit.tv_share_default:.4f})"
        )
    else:
        if method == "likelihood":
            if args.by_position:
                raise CLIError("--by-position goes with --method match")
            if journeys.times is None:
                raise CLIError(
                    "--method likelihood needs touch times: pass a touch CSV with --events "
                    "(path tables have none), or use --method match --by-position"
                )
            fit = calibrate_time_decay(journeys, "likelihood", per_channel=args.per_channel,
                                       ci_level=args.ci_level)  # fmt: skip
            header = (
                f"time-decay half-life by likelihood ({args.input_summary}, "
                f"{journeys.n_conversions:,.6g} conversions); {args.ci_level:.0%} "
                "likelihood-ratio intervals"
            )
        else:
            if args.per_channel:
                raise CLIError("--per-channel goes with --method likelihood")
            if journeys.times is None and not args.by_position:
                raise CLIError(
                    "these journeys have no touch times: add --by-position for a half-life in"
                    " touches, or pass a touch CSV with --events"
                )
            fit = calibrate_time_decay(
                journeys,
                "match",
                reference=args.reference,
                use_times=False if args.by_position else None,
                metric=args.metric,
                ci_level=args.ci_level,
                n_boot=args.n_boot,
                random_state=args.seed,
                progress=progress,
            )
            header = (
                f"time-decay half-life ({fit.unit}) matched to {fit.reference}: "
                f"{fit.objective_name} {fit.objective:.4f}"
            )
    if args.format == "table":
        print(header)
        for note in fit.notes:
            print(f"note: {note}")
    _print_table(fit.to_frame(), args.format, fit.to_dict())
    if args.plot:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        ax = fit.plot()
        ax.figure.tight_layout()
        ax.figure.savefig(args.plot, dpi=120)
        plt.close(ax.figure)
        if args.format == "table":
            print(f"plot written to {args.plot}")
