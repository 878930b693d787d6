"""``attribution-lab attribute`` (one model) and ``compare`` (several side by side)."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import Any

from ..evaluate import compare
from ..journeys import Journeys
from ..result import AttributionResult
from ..roi import read_costs, roi
from ._options import (
    CLIError,
    _add_channel_options,
    _add_ci_options,
    _add_input_options,
    _add_lift_options,
    _add_touch_options,
    _check_ci_options,
    _check_seed_acts,
    _print_table,
    count,
    lift_tests_arg,
    load_input,
    make_model,
    parse_params,
    show_progress,
)


def add_attribute_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``attribute`` command: credit per channel by one model.

    Examples
    --------
    >>> parser = argparse.ArgumentParser(prog="attribution-lab")
    >>> _ = add_attribute_parser(parser.add_subparsers(dest="command"))
    >>> args = parser.parse_args(["attribute", "example", "--model", "markov", "--ci"])
    >>> args.model, args.ci, args.func is cmd_attribute
    ('markov', True, True)
    """
    p = subparsers.add_parser("attribute", help="credit per channel by one model")
    _add_input_options(p)
    p.add_argument("--model", required=True, help="model name (see 'attribution-lab models')")
    p.add_argument("--param", action="append", metavar="KEY=VALUE", help="model parameter")
    _add_channel_options(p)
    _add_touch_options(p)
    _add_ci_options(p)
    _add_lift_options(p)
    p.set_defaults(func=cmd_attribute)
    return p


def add_compare_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``compare`` command: several models side by side.

    Examples
    --------
    >>> parser = argparse.ArgumentParser(prog="attribution-lab")
    >>> _ = add_compare_parser(parser.add_subparsers(dest="command"))
    >>> args = parser.parse_args(["compare", "example", "--models", "linear,markov"])
    >>> args.models, args.func is cmd_compare
    ('linear,markov', True)
    """
    p = subparsers.add_parser("compare", help="several models side by side")
    _add_input_options(p)
    p.add_argument("--models", required=True, help="comma-separated model names")
    p.add_argument("--param", action="append", metavar="MODEL.KEY=VALUE", help="model parameter")
    _add_channel_options(p)
    _add_touch_options(p)
    _add_ci_options(p)
    _add_lift_options(p)
    p.set_defaults(func=cmd_compare)
    return p


def _calibrated(model: Any, fitted: AttributionResult | None, journeys, tests, args):
    """`fitted` (a result with stderr) or `model` calibrated to the lift tests."""
    from ..calibrate import calibrate_to_experiments

    return calibrate_to_experiments(
        fitted if fitted is not None and fitted.stderr is not None else model,
        journeys,
        tests,
        untested=args.untested,
        n_boot=args.n_boot,
        ci_level=args.ci_level,
        random_state=args.seed,
    )


def _lift_header(result: AttributionResult, n_tests: int, args: argparse.Namespace) -> str:
    base = result.params.get("baseline_conversions")
    return (
        f"calibrated to {n_tests} lift test{'s' if n_tests != 1 else ''} from {args.lift_tests}"
        f" (untested channels: {args.untested}): credit is incremental conversions"
        + (f"; {count(base)} conversions no channel caused" if base is not None else "")
    )


def cmd_attribute(args: argparse.Namespace) -> None:
    tests = lift_tests_arg(args)
    _check_ci_options(args)
    journeys = load_input(args)
    model = make_model(args.model, parse_params(args.param), args, journeys)
    _check_seed_acts(args, [args.model])
    if args.ci:
        from ..uncertainty import bootstrap

        result = bootstrap(
            model,
            journeys,
            args.n_boot,
            ci_level=args.ci_level,
            random_state=args.seed,
            progress=show_progress(args),
        )
    else:
        result = model.fit(journeys).attribute()
    if tests is not None:
        result = _calibrated(model, result, journeys, tests, args)
    if args.format == "table":
        print(
            f"model {result.model} ({result.estimand}); {args.input_summary}: "
            f"{count(result.total_conversions)} conversions, value {result.total_value:,.6g}"
        )
        if tests is not None:
            print(_lift_header(result, len(tests), args))
        elif args.ci:
            print(
                f"{args.ci_level:.0%} percentile intervals of the conversions credit from"
                f" {args.n_boot} bootstrap resamples of customers (seed {args.seed})"
            )
        elif result.ci_level is not None:
            print(
                f"{result.ci_level:.0%} intervals of the conversions credit from the model's"
                " own standard errors"
                + (f" (seed {args.seed} of its random draws)" if args.seed_acts else "")
            )
    frame = result.to_frame()
    payload = {**result.to_dict(), "seed": args.seed}
    if args.channel_groups is not None:
        payload["channel_groups"] = args.channel_groups
    if args.costs:
        returns = roi(result, _read_costs_arg(args.costs))
        if args.format == "table":
            print_credit(result)
            print(f"\nspend from {args.costs}; return on it as credited by {result.model}:")
            _print_table(returns, "table")
            return
        frame = frame.join(returns.drop(columns=["conversions", "value"]), how="outer")
        payload["returns"] = returns.reset_index().to_dict(orient="records")
    if args.format == "table":
        print_credit(result)
    else:
        _print_table(frame, args.format, payload)


#: Columns of one credit table at most: wider, it wraps on an ordinary terminal (about
#: 120 characters), and the details behind the credit get a table of their own.
MAX_COLUMNS = 10


def print_credit(result: AttributionResult) -> None:
    """Print a result as a table for people: the credit per channel with its details.

    A model's details (``result.details``) are further columns of the credit table while
    it stays narrow (`MAX_COLUMNS`); beyond, they are a second table below it (the
    point-process model's removal effect, direct and mediated split, ...). A detail with
    one value for every channel (a total, such as ``v_all``) is one line at the end.
    CSV and JSON output keep every detail as a column, whatever the width.

    Examples
    --------
    >>> r = AttributionResult(["a", "b"], [3.0, 1.0], [30.0, 5.0], total_conversions=4,
    ...                       total_value=35, estimand="shapley", model="shapley",
    ...                       details={"direct": [2.0, 1.0], "v_all": [4.0, 4.0]})
    >>> print_credit(r)
             conversions   value  share  value_share  direct
    channel
    a             3.0000 30.0000 0.7500       0.8571  2.0000
    b             1.0000  5.0000 0.2500       0.1429  1.0000
    the same for every channel: v_all 4
    """
    frame = result.to_frame()
    details = list(result.details)
    constant = [k for k in details if len(frame) > 1 and frame[k].nunique(dropna=False) == 1]
    varying = [k for k in details if k not in constant]
    if frame.shape[1] - len(constant) <= MAX_COLUMNS:
        _print_table(frame.drop(columns=constant), "table")
    else:
        _print_table(frame.drop(columns=details), "table")
        print(f"\ndetails per channel ({result.model}):")
        _print_table(frame[varying], "table")
    if constant:
        values = ", ".join(f"{k} {frame[k].iloc[0]:,.6g}" for k in constant)
        print(f"the same for every channel: {values}")


def _read_costs_arg(path: str) -> Any:
    if not os.path.exists(path):
        raise CLIError(f"--costs {path}: no such file")
    return read_costs(path)


def _model_specs(
    names: str, param_items: Sequence[str] | None, args: argparse.Namespace, journeys: Journeys
) -> dict[str, Any]:
    labels = [n.strip() for n in names.split(",") if n.strip()]
    if not labels:
        raise CLIError("--models: give at least one model name")
    per_model: dict[str, dict[str, Any]] = {n: {} for n in labels}
    for key, value in parse_params(param_items).items():
        model, dot, param = key.partition(".")
        if not dot:
            raise CLIError(f"--param {key}=...: in compare, write MODEL.PARAM=VALUE")
        if model not in per_model:
            raise CLIError(f"--param {key}: model {model!r} is not in --models")
        per_model[model][param] = value
    return {n: make_model(n, per_model[n], args, journeys) for n in labels}


def _calibrated_table(models, journeys, tests, costs, args) -> tuple[Any, dict[str, Any]]:
    """compare's tidy table of every model calibrated to the lift tests, and the results."""
    import pandas as pd

    results, frames = {}, []
    for label, model in models.items():
        fitted = None
        if args.ci:
            from ..uncertainty import bootstrap

            fitted = bootstrap(
                model, journeys, args.n_boot, ci_level=args.ci_level, random_state=args.seed
            )
        results[label] = r = _calibrated(model, fitted, journeys, tests, args)
        frame = r.to_frame()
        if costs is not None:
            frame = frame.join(roi(r, costs).drop(columns=["conversions", "value"]))
        frames.append(frame.reset_index().assign(model=label))
    tidy = pd.concat(frames, ignore_index=True)
    return tidy[["model", *[c for c in tidy.columns if c != "model"]]], results


def cmd_compare(args: argparse.Namespace) -> None:
    tests = lift_tests_arg(args)
    _check_ci_options(args)
    journeys = load_input(args)
    models = _model_specs(args.models, args.param, args, journeys)
    _check_seed_acts(args, list(models))
    costs = _read_costs_arg(args.costs) if args.costs else None
    results = None
    if tests is not None:
        tidy, results = _calibrated_table(models, journeys, tests, costs, args)
    elif args.ci:
        tidy = compare(
            journeys,
            models,
            n_boot=args.n_boot,
            ci_level=args.ci_level,
            random_state=args.seed,
            costs=costs,
        )
    else:
        tidy = compare(journeys, models, costs=costs)
    if args.format == "table":
        print(
            f"{args.input_summary}: {count(journeys.n_conversions)} conversions, "
            f"value {journeys.total_value:,.6g}; share of conversions credited to each channel:"
        )
        if tests is not None:
            first = next(iter(results.values()))
            print(_lift_header(first, len(tests), args).replace(" credit is", " each credit is"))
        wide = tidy.pivot(index="channel", columns="model", values="share")[list(models)]
        _print_table(wide, "table")
        if tests is not None:
            print(f"\n{args.ci_level:.0%} intervals of the calibrated conversions credit:")
            cols = ["model", "channel", "conversions", "stderr", "ci_low", "ci_high", "tested"]
            _print_table(tidy[cols].set_index(["model", "channel"]), "table")
        elif args.ci:
            print(
                f"\n{args.ci_level:.0%} bootstrap intervals of the conversions credit"
                f" ({args.n_boot} resamples, seed {args.seed}):"
            )
            cols = ["model", "channel", "conversions", "stderr", "ci_low", "ci_high"]
            _print_table(tidy[cols].set_index(["model", "channel"]), "table")
        if costs is not None:
            print(f"\nreturn on ad spend (credited value / spend; spend from {args.costs}):")
            roas = tidy.pivot(index="channel", columns="model", values="roas")[list(models)]
            _print_table(roas.join(costs.rename("cost")), "table")
    elif args.format == "csv":
        tidy.to_csv(sys.stdout, index=False, float_format="%.10g")
    else:
        records = {
            label: group.drop(columns="model").to_dict(orient="records")
            for label, group in tidy.groupby("model", sort=False)
        }
        if results is not None:
            results = {label: r.to_dict() for label, r in results.items()}
        else:
            results = records if args.ci else [m.attribute().to_dict() for m in models.values()]
        payload = {"seed": args.seed, "results": results}
        if args.channel_groups is not None:
            payload["channel_groups"] = args.channel_groups
        _print_table(tidy, "json", payload)
