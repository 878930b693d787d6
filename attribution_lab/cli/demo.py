"""``attribution-lab demo``: every model on the bundled example paths, a table and a chart."""

from __future__ import annotations

import argparse
import os
from typing import Any

from ..base import available_models, get_model
from ..datasets import load_pathdata
from ..evaluate import compare
from ._options import _print_table, count, path_table_summary


def add_demo_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``demo`` command.

    Examples
    --------
    >>> parser = argparse.ArgumentParser(prog="attribution-lab")
    >>> _ = add_demo_parser(parser.add_subparsers(dest="command"))
    >>> args = parser.parse_args(["demo", "--out", "figures"])
    >>> args.out, args.func is cmd_demo
    ('figures', True)
    """
    p = subparsers.add_parser(
        "demo", help="all models on the bundled example paths, table and heatmap"
    )
    p.add_argument("--out", default=".", help="folder for attribution_demo.png (default: .)")
    p.set_defaults(func=cmd_demo)
    return p


def cmd_demo(args: argparse.Namespace) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ..plot import plot_share_heatmap

    rows = load_pathdata()
    journeys, inverse = rows.aggregate(return_inverse=True)
    # path tables carry no touch times: time-to-event models are named, not run
    names = list(available_models(journeys))
    untimed = [n for n in available_models() if n not in names]
    # flat default weights would repeat `linear`; show the rule with weights worth seeing
    demo_params = {"custom_position": {"weights": [0.5, 0.3, 0.2], "from_end": True}}
    models = {n: get_model(n, **demo_params.get(n, {})) for n in names}
    tidy = compare(journeys, models)
    print(
        "attribution_lab demo: ChannelAttribution's example paths (bundled), "
        f"{path_table_summary(rows, journeys, inverse)}: {count(journeys.n_conversions)}"
        f" conversions, {count(journeys.n_nulls)} non-converting, value"
        f" {journeys.total_value:,.2f}.\n"
        "Share of conversions credited to each channel by each model:\n"
    )
    wide = tidy.pivot(index="channel", columns="model", values="share")[names]
    _print_table(wide, "table")
    print(
        "\nEvery model's credit sums to the",
        f"{journeys.n_conversions:,.0f} conversions. "
        "Non-default parameters: custom_position weights=[0.5, 0.3, 0.2] from the last touch.",
    )
    if untimed:
        print(
            f"Not run: {', '.join(untimed)} (needs touch times and end times, which path"
            " tables do not have; see 'attribution-lab models')."
        )
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "attribution_demo.png")
    # a heatmap reads with any number of models: no legend colours to tell apart
    ax = plot_share_heatmap(
        tidy, title="Share of conversions by model and channel (ChannelAttribution example paths)"
    )
    ax.figure.tight_layout()
    ax.figure.savefig(path, dpi=120)
    plt.close(ax.figure)
    print(f"\nChart written to {os.path.abspath(path)}")
