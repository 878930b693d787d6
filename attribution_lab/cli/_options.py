"""What the commands of ``attribution-lab`` share: input options, model set-up, messages, printing.

Every command module (`attribute`, `describe`, `calibrate`, ...) adds its parser with the
option groups here (`_add_input_options` for a path table or, with `_add_touch_options`,
a touch CSV; `_add_ci_options`; `_add_quiet_option`), reads INPUT with `load_input`,
builds models with `make_model` and prints with `_print_table`. A user error is a
`CLIError`; `_say_for_command_line` turns the library's Python hints ("pass value=None")
into the command line's flags.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from .._io import DELIMITER_HINT, existing_file
from .._validation import show
from ..base import available_models, get_model, timed
from ..channels import OTHER, channel_touches, merge_channels, read_channel_map, top_channels
from ..datasets import load_pathdata
from ..journeys import Journeys
from ..readers import read_touch_table
from ..roi import UNKNOWN_SPEND_HINT

EXAMPLE = "example"


class CLIError(Exception):
    """An error in what the user asked for: printed as one line, exit status 2."""


def parse_value(text: str) -> Any:
    """Parse a ``--param`` value: JSON (numbers, true/false/null, lists), else a comma list or text.

    Examples
    --------
    >>> parse_value("0.5"), parse_value("true"), parse_value("direct,email"), parse_value("x")
    (0.5, True, ['direct', 'email'], 'x')
    >>> parse_value("0.6,0.3,0.1")
    [0.6, 0.3, 0.1]
    """
    low = text.strip().lower()
    if low in ("true", "false"):
        return low == "true"
    if low in ("none", "null"):
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        pass
    if "," in text:
        return [parse_value(part) for part in text.split(",") if part.strip() != ""]
    return text.strip()


def parse_params(items: Sequence[str] | None) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for item in items or []:
        key, eq, value = item.partition("=")
        if not eq or not key.strip():
            raise CLIError(f"--param {item!r}: expected key=value")
        params[key.strip()] = parse_value(value)
    return params


#: Options of `_add_input_options` that only a path table reads, with their defaults.
PATH_TABLE_OPTIONS = {
    "path_col": "path",
    "conversions_col": "total_conversions",
    "nulls_col": "total_null",
    "value_col": "total_conversion_value",
    "sep": ">",
}


def _flag(dest: str) -> str:
    return "--" + dest.replace("_", "-")


def load_input(args: argparse.Namespace) -> Journeys:
    """The journeys of the command's INPUT, with `args.input_summary` saying what was read.

    A path table's rows with the same path are merged (models give the same credit either
    way; the summary counts the rows, distinct paths and merged duplicates). Options that
    cannot act on the kind of input given are refused.
    """
    if not str(getattr(args, "sep", ">")).strip():
        raise CLIError("--sep must be a non-blank separator of channels in a path")
    if getattr(args, "events", False):
        for dest, default in PATH_TABLE_OPTIONS.items():
            if getattr(args, dest, default) != default:
                raise CLIError(
                    f"{_flag(dest)} reads a path table; with --events, INPUT is a touch CSV"
                    " (journey, channel, time, converted[, value, end_time])"
                )
        journeys = read_touch_table(
            args.input,
            end_time=args.end_time,
            delimiter=getattr(args, "delimiter", None),
            time_unit=args.time_unit,
        )
        args.input_summary = (
            f"{journeys.n_touchpoints:,} touches in {journeys.n_journeys:,} journeys"
        )
        return group_input_channels(journeys, args, aggregate=False)
    for dest in ("end_time", "time_unit"):
        if getattr(args, dest, None) is not None:
            raise CLIError(f"{_flag(dest)} goes with --events (path tables have no times)")
    if args.input == EXAMPLE:
        rows = load_pathdata()
    else:
        try:
            existing_file(args.input)
        except FileNotFoundError:
            raise CLIError(
                f"{args.input}: no such file (use '{EXAMPLE}' for the bundled example paths)"
            ) from None
        rows = Journeys.from_path_table(
            args.input,
            path=args.path_col,
            conversions=args.conversions_col,
            nulls=None if args.nulls_col == "" else args.nulls_col,
            value=None if args.value_col == "" else args.value_col,
            sep=args.sep,
            delimiter=args.delimiter,
        )
    journeys, inverse = rows.aggregate(return_inverse=True)
    args.input_summary = path_table_summary(rows, journeys, inverse)
    return group_input_channels(journeys, args, aggregate=True)


def _parse_top(text: str) -> int:
    match = re.fullmatch(r"\s*top\s*=\s*(\d+)\s*", text)
    if match is None or int(match.group(1)) < 1:
        raise CLIError(
            f"--group-channels: expected top=K with K a positive integer (the channels kept),"
            f" got {text!r}"
        )
    return int(match.group(1))


def group_input_channels(journeys: Journeys, args: argparse.Namespace, aggregate: bool) -> Journeys:
    """Apply ``--channel-map`` then ``--group-channels`` to the journeys read, and say what
    was merged: in `args.input_summary` (the table output's header) and, for CSV and JSON
    output, on stderr; `args.channel_groups` maps every channel read to its group.

    Every channel of the data must be in the map (none is guessed into a group). With a
    path table, paths that become identical are merged again.
    """
    path = getattr(args, "channel_map", None)
    top = getattr(args, "group_channels", None)
    args.channel_groups = None
    if path is None and top is None:
        return journeys
    k = None if top is None else _parse_top(top)
    names = journeys.channel_names
    groups = {c: c for c in names}
    notes = []
    if path is not None:
        try:
            existing_file(path)
        except FileNotFoundError:
            raise CLIError(f"--channel-map {path}: no such file") from None
        mapping = read_channel_map(path)
        try:
            journeys = merge_channels(journeys, mapping)
        except ValueError as exc:
            raise CLIError(f"--channel-map {path}: {exc}") from None
        groups = {c: mapping[c] for c in names}
        absent = sum(c not in groups for c in mapping)
        notes.append(
            f"--channel-map: {len(names):,} channels into {journeys.n_channels:,} groups"
            + (
                f" ({absent:,} map row{'s' * (absent != 1)} for channels not in the data)"
                if absent
                else ""
            )
        )
    if k is not None:
        try:
            mapping = top_channels(journeys, k)
        except ValueError as exc:
            raise CLIError(f"--group-channels top={k}: {exc}") from None
        merged = [c for c, g in mapping.items() if g == OTHER]
        if merged:
            touches = channel_touches(journeys)
            moved = float(touches[[journeys.channel_names.index(c) for c in merged]].sum())
            notes.append(
                f"--group-channels top={k}: {len(merged):,} of {journeys.n_channels:,} channels"
                f" merged into {OTHER!r} ({count(moved)} touches, {moved / touches.sum():.1%})"
            )
            journeys = merge_channels(journeys, mapping)
            groups = {c: mapping[g] for c, g in groups.items()}
        else:
            notes.append(
                f"--group-channels top={k}: all {journeys.n_channels:,} channels kept,"
                " nothing merged"
            )
    if aggregate:
        before = journeys.n_journeys
        journeys = journeys.aggregate()
        if journeys.n_journeys < before:
            notes.append(f"{before:,} distinct paths became {journeys.n_journeys:,}")
    args.channel_groups = groups
    note = "; ".join(notes)
    args.input_summary += f" ({note})"
    if getattr(args, "format", "table") != "table":
        print(f"attribution-lab: note: {note}", file=sys.stderr)
    return journeys


def path_table_summary(rows: Journeys, merged: Journeys, inverse: np.ndarray) -> str:
    """What a path table holds, in the words every command uses: rows, distinct paths,
    journeys (customers: conversions + nulls), and the rows merged for repeating a path.

    Examples
    --------
    >>> rows = Journeys.from_paths(["a > b", "b", "a>b"], conversions=[1, 0, 2], nulls=[0, 4, 1])
    >>> merged, inverse = rows.aggregate(return_inverse=True)
    >>> path_table_summary(rows, merged, inverse)
    '3 rows, 2 distinct paths (1 path on 2 rows, merged), 8 journeys'
    """
    text = f"{rows.n_journeys:,} rows, {merged.n_journeys:,} distinct paths"
    repeated = np.bincount(inverse, minlength=merged.n_journeys)
    n_repeated = int((repeated > 1).sum())
    if n_repeated:
        extra = int(repeated[repeated > 1].sum())
        text += f" ({n_repeated:,} path{'s' if n_repeated > 1 else ''} on {extra:,} rows, merged)"
    return text + f", {count(merged.n_conversions + merged.n_nulls)} journeys"


def count(x: float) -> str:
    """A count for people: ``88,387``; fractional counts (weights) keep 6 digits.

    Examples
    --------
    >>> count(88387.0), count(1234567.0), count(2.5)
    ('88,387', '1,234,567', '2.5')
    """
    return f"{int(x):,}" if float(x).is_integer() else f"{x:,.6g}"


def print_listing(items: dict[str, str]) -> None:
    """Print names and their one-line summaries, the names in one aligned column."""
    width = max(map(len, items))
    for name, summary in items.items():
        print(f"{name:<{width}}  {summary}")


def _print_table(frame: pd.DataFrame, fmt: str, json_obj: Any = None) -> None:
    if fmt == "csv":
        frame.to_csv(sys.stdout, float_format="%.10g")
    elif fmt == "json":
        json.dump(finite_json(json_obj), sys.stdout, indent=2, allow_nan=False)
        sys.stdout.write("\n")
    else:
        with pd.option_context(
            "display.width", 200, "display.max_columns", 50, "display.max_rows", 500
        ):
            print(frame.to_string(float_format=lambda x: f"{x:,.4f}"))


def finite_json(obj: Any) -> Any:
    """`obj` with every NaN or infinite float replaced by None (JSON has no such numbers).

    A ratio over zero spend or an undefined one (no spend row) is written as ``null``.

    Examples
    --------
    >>> finite_json({"roas": float("inf"), "rows": [1.5, float("nan")]})
    {'roas': None, 'rows': [1.5, None]}
    """
    if isinstance(obj, float | np.floating):
        return float(obj) if np.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: finite_json(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [finite_json(v) for v in obj]
    return obj


def make_model(
    name: str, params: dict[str, Any], args: argparse.Namespace, journeys: Journeys
) -> Any:
    """`get_model(name, **params)`, with the run's seed and progress setting for the models
    that take them (unless `params` sets them): every random choice of a run flows from
    ``--seed``, and long fits show progress unless ``--quiet``. A seed is given only to a
    model it can act on (Markov with removal=simulate, sampled Shapley, ...), as `fit`
    refuses parameters that cannot act."""
    model = get_model(name, **params)
    if model.needs_times and not timed(journeys):
        raise CLIError(
            f"{name} needs touch times and end times, which a path table does not have: pass a"
            " touch CSV with --events (e.g. PREFIX_events.csv of 'attribution-lab simulate')"
        )
    accepted = model.get_params()
    if (
        "random_state" in accepted
        and "random_state" not in params
        and "random_state" not in model.inert_params(journeys)
    ):
        model.set_params(random_state=args.seed)
        args.seed_acts = True
    if "progress" in accepted and "progress" not in params:
        # with --ci the bootstrap draws the one bar; its refits would each draw their own
        model.set_params(progress=show_progress(args) and not getattr(args, "ci", False))
    return model


def show_progress(args: argparse.Namespace) -> bool:
    """Progress bars go to stderr, only when it is a terminal and ``--quiet`` is not given."""
    return not getattr(args, "quiet", False) and sys.stderr.isatty()


def refuse_inert_options(
    args: argparse.Namespace, options: dict[str, tuple[Any, str | None]]
) -> None:
    """Refuse an option set to other than its default where it cannot act.

    `options` maps an option's dest to its default and the sentence saying what it goes
    with, when it cannot act here (None when it can).
    """
    for dest, (default, reason) in options.items():
        if reason is not None and getattr(args, dest) != default:
            raise CLIError(reason)


def _check_ci_options(args: argparse.Namespace) -> None:
    # options that act only on the bootstrap are refused without --ci (or --lift-tests,
    # whose calibration bootstraps a model without its own standard errors), and get their
    # defaults with it
    boots = args.ci or getattr(args, "lift_tests", None) is not None
    for dest, default in (("n_boot", 200), ("ci_level", 0.95)):
        if getattr(args, dest) is None:
            setattr(args, dest, default)
        elif not boots:
            raise CLIError(
                f"{_flag(dest)} sets the bootstrap, which runs only with --ci or --lift-tests"
            )
    if args.n_boot < 2:
        raise CLIError(f"--n-boot must be at least 2 resamples, got {args.n_boot}")
    if not 0 < args.ci_level < 1:
        raise CLIError(f"--ci-level must be strictly between 0 and 1, got {show(args.ci_level)}")
    # the seed is resolved here; _check_seed_acts refuses one given to a run that draws nothing
    args.seed_given = args.seed is not None
    args.seed = 0 if args.seed is None else args.seed
    args.seed_acts = boots


def _check_seed_acts(args: argparse.Namespace, models: Sequence[str]) -> None:
    if args.seed_given and not args.seed_acts:
        raise CLIError(
            f"--seed {args.seed} cannot act: {', '.join(models)} draw nothing at random"
            " (the seed goes to --ci's bootstrap and to models that sample, such as markov"
            " with --param removal=simulate)"
        )


def _add_input_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("input", help=f"path table CSV (ChannelAttribution format), or '{EXAMPLE}'")
    p.add_argument("--path-col", default="path", help="column of path strings (default: path)")
    p.add_argument("--conversions-col", default="total_conversions")
    p.add_argument("--nulls-col", default="total_null", help="'' if the table has none")
    p.add_argument("--value-col", default="total_conversion_value", help="'' if none")
    p.add_argument("--sep", default=">", help="separator between channels in a path (default: >)")
    p.add_argument("--delimiter", default=None, help="CSV delimiter (default: detected)")
    p.add_argument("--format", choices=("table", "csv", "json"), default="table")


def _add_channel_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--channel-map",
        default=None,
        metavar="FILE",
        help="CSV of two columns, channel and group: every channel of INPUT is merged into"
        " its group (each must be listed; map a channel to itself to keep it)",
    )
    p.add_argument(
        "--group-channels",
        default=None,
        metavar="top=K",
        help=f"keep the K most frequent channels (by touches) and merge the rest into"
        f" '{OTHER}' (after --channel-map); what was merged is reported",
    )


def _add_touch_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--events",
        action="store_true",
        help="INPUT is a touch CSV (journey, channel, time, converted[, value, end_time]),"
        " e.g. PREFIX_events.csv of 'attribution-lab simulate' (times for time decay and"
        " the hazard and point-process models)",
    )
    p.add_argument(
        "--end-time",
        default=None,
        metavar="DAYS|COLUMN",
        help="--events: common end of observation in days, or the column holding it",
    )
    p.add_argument(
        "--time-unit",
        choices=("days", "hours", "s", "ms"),
        default=None,
        help="--events: unit of the time column (default: days)",
    )


def _add_quiet_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--quiet",
        action="store_true",
        help="no progress bars (they go to stderr, and only when it is a terminal)",
    )


def _add_ci_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--ci", action="store_true", help="bootstrap intervals (resampling customers)")
    p.add_argument("--n-boot", type=int, default=None, help="--ci: resamples (default: 200)")
    p.add_argument(
        "--ci-level", type=float, default=None, help="--ci: interval coverage (default: 0.95)"
    )
    p.add_argument(
        "--seed",
        type=int,
        default=None,
        help="seed of every random choice of the run: the bootstrap and the models that"
        " sample (Markov removal=simulate, sampled Shapley, point_process's draws);"
        " default: 0",
    )
    _add_quiet_option(p)
    p.add_argument(
        "--costs",
        default=None,
        metavar="FILE",
        help="spend CSV (columns channel, cost; optional period): adds cost per conversion,"
        " ROAS and ROI",
    )


def _add_lift_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--lift-tests",
        default=None,
        metavar="FILE",
        help="lift-test CSV (channel, incremental_conversions or lift, ci_low/ci_high or"
        " stderr, ...): the credit is calibrated to the experiments (incremental conversions,"
        " with both uncertainties; --n-boot/--ci-level/--seed set its bootstrap)",
    )
    p.add_argument(
        "--untested",
        choices=("keep", "pooled"),
        default=None,
        help="--lift-tests: channels no test measured keep the model's credit (keep, default)"
        " or move by the tested channels' pooled ratio with a wider interval (pooled)",
    )


def lift_tests_arg(args: argparse.Namespace) -> list[Any] | None:
    """The lift tests of ``--lift-tests`` (None without it); ``--untested`` resolved."""
    if args.lift_tests is None:
        if args.untested is not None:
            raise CLIError(
                "--untested sets the lift-test calibration, which runs only with --lift-tests"
            )
        return None
    args.untested = args.untested or "keep"
    if not os.path.exists(args.lift_tests):
        raise CLIError(f"--lift-tests {args.lift_tests}: no such file")
    from ..lift import read_lift_tests

    return read_lift_tests(args.lift_tests)


def _say_for_command_line(msg: str, args: argparse.Namespace) -> str:
    """`msg` with the readers' hints ("pass delimiter=", "pass value=None") as the command
    line has them."""
    for role, flag in (("value", "--value-col"), ("nulls", "--nulls-col")):
        if hasattr(args, flag[2:].replace("-", "_")):
            msg = msg.replace(f"(pass {role}=None if", f"(pass {flag} '' if")
    # the Python option has no flag: the names must be corrected in the file
    msg = msg.removesuffix(UNKNOWN_SPEND_HINT)
    # a model's hint names its keyword parameters, which the command line sets by --param
    if msg.split(":", 1)[0] in available_models():
        msg = re.sub(r"\bpass (\w+)=(\w+)", _as_param_flag, msg)
    if not msg.endswith(DELIMITER_HINT):
        return msg
    msg = msg.removesuffix(DELIMITER_HINT)
    # --delimiter is INPUT's; other files (--costs) have no flag
    if hasattr(args, "delimiter") and msg.startswith(f"{getattr(args, 'input', '')}: "):
        return f"{msg}; pass --delimiter"
    return f"{msg}; separate its fields with one of , ; tab |"


def _as_param_flag(match: re.Match[str]) -> str:
    value = match.group(2)
    return f"pass --param {match.group(1)}={value.lower() if value in ('True', 'False') else value}"


def _message(exc: BaseException) -> str:
    """`exc` as one line; an OSError without our wording names its file and the reason."""
    if isinstance(exc, OSError) and exc.errno is not None and exc.filename:
        return f"{exc.filename}: {exc.strerror or type(exc).__name__}"
    text = " ".join(str(exc).split())
    return text or type(exc).__name__


def _show_warning(message: Any, category: type, *_: Any, **__: Any) -> None:
    """Print a warning as the command line's one line (no file, line or source)."""
    text = " ".join(str(message).split())
    print(f"attribution-lab: warning: {text}", file=sys.stderr)
