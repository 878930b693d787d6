"""``attribution-lab simulate`` (journeys with known true credit) and ``scenarios`` (their list)."""

from __future__ import annotations

import argparse
import json
import os
from typing import Any

from ._options import CLIError, _print_table, parse_params, print_listing


def add_simulate_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``simulate`` command.

    Examples
    --------
    >>> parser = argparse.ArgumentParser(prog="attribution-lab")
    >>> _ = add_simulate_parser(parser.add_subparsers(dest="command"))
    >>> args = parser.parse_args(["simulate", "decay", "--n", "500", "--out", "runs/decay"])
    >>> args.scenario, args.n, args.seed, args.out
    ('decay', 500, 0, 'runs/decay')
    """
    p = subparsers.add_parser(
        "simulate", help="journeys and their true attribution from a simulated scenario"
    )
    p.add_argument("scenario", help="scenario name (see 'attribution-lab scenarios')")
    p.add_argument("--n", type=int, default=100_000, help="journeys (default: 100000)")
    p.add_argument("--seed", type=int, default=0, help="random seed of the draw (default: 0)")
    p.add_argument(
        "--out",
        required=True,
        metavar="PREFIX",
        help="writes PREFIX_paths.csv, PREFIX_events.csv and PREFIX_truth.json",
    )
    p.add_argument("--param", action="append", metavar="KEY=VALUE", help="scenario parameter")
    p.set_defaults(func=cmd_simulate)
    return p


def add_scenarios_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``scenarios`` command.

    Examples
    --------
    >>> parser = argparse.ArgumentParser(prog="attribution-lab")
    >>> _ = add_scenarios_parser(parser.add_subparsers(dest="command"))
    >>> parser.parse_args(["scenarios"]).func is cmd_scenarios
    True
    """
    p = subparsers.add_parser("scenarios", help="list the simulated scenarios")
    p.set_defaults(func=cmd_scenarios)
    return p


def cmd_scenarios(args: argparse.Namespace) -> None:
    from ..simulate import scenarios

    print_listing(scenarios())


def cmd_simulate(args: argparse.Namespace) -> None:
    from ..simulate import make_world, scenarios

    if args.scenario not in scenarios():
        raise CLIError(f"unknown scenario {args.scenario!r}; see 'attribution-lab scenarios'")
    if args.n < 1:
        raise CLIError(f"--n must be a positive number of journeys, got {args.n}")
    world = make_world(args.scenario, **parse_params(args.param))
    sim = world.simulate(args.n, random_state=args.seed)
    folder = os.path.dirname(os.path.abspath(args.out))
    os.makedirs(folder, exist_ok=True)
    paths = args.out + "_paths.csv"
    events = args.out + "_events.csv"
    truth = args.out + "_truth.json"
    sim.journeys.aggregate().to_path_table().to_csv(paths, index=False, float_format="%.10g")
    sim.touch_frame().to_csv(events, index=False, float_format="%.10g")
    record = {
        "scenario": args.scenario,
        "n_journeys": sim.journeys.n_journeys,
        "seed": args.seed,
        "params": {k: v for k, v in sim.params.items()},
        "main_truth": sim.truth.estimand,
        "truths": {name: t.to_dict() for name, t in sim.truths.items()},
    }
    with open(truth, "w") as fh:
        json.dump(record, fh, indent=2, default=float)
        fh.write("\n")
    j = sim.journeys
    print(
        f"{args.scenario}: {j.n_journeys:,} journeys, {j.channels.size:,} touches, "
        f"{j.n_conversions:,.0f} conversions, value {j.total_value:,.2f} (seed {args.seed})"
    )
    print(f"true credit ({sim.truth.estimand}): {sim.truth.description}")
    _print_table(sim.truth.to_frame(), "table")
    for path in (paths, events, truth):
        print(f"wrote {path}")
