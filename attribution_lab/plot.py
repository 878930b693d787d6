"""Matplotlib figures. Imported lazily: ``import attribution_lab`` does not import matplotlib."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = ["plot_comparison"]


def plot_comparison(table: pd.DataFrame, ax: Any = None, *, what: str = "share") -> Any:
    """Grouped horizontal bars: one group per channel, one bar per model.

    Parameters
    ----------
    table : DataFrame
        The tidy output of `attribution_lab.compare` (columns ``model``, ``channel`` and
        `what`).
    ax : matplotlib Axes, optional
    what : column to plot, default "share"

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from attribution_lab import Journeys, compare
    >>> j = Journeys.from_paths(["A > B", "B"], conversions=[1, 1])
    >>> ax = plot_comparison(compare(j, ["first_touch", "last_touch"]))
    >>> [t.get_text() for t in ax.get_legend().get_texts()]
    ['first_touch', 'last_touch']
    """
    import matplotlib.pyplot as plt

    missing = {"model", "channel", what} - set(table.columns)
    if missing:
        raise ValueError(f"table lacks columns {sorted(missing)}; pass the output of compare()")
    wide = table.pivot(index="channel", columns="model", values=what)
    wide = wide[list(dict.fromkeys(table["model"]))]
    wide = wide.loc[wide.mean(axis=1).sort_values().index]
    n_ch, n_mod = wide.shape
    if ax is None:
        _, ax = plt.subplots(
            figsize=(9, min(14.0, max(3.0, 0.55 * n_ch + 0.08 * n_ch * n_mod + 1.5)))
        )
    height = 0.8 / n_mod
    y = np.arange(n_ch)
    for k, model in enumerate(wide.columns):
        ax.barh(
            y + (k - (n_mod - 1) / 2) * height, wide[model].to_numpy(), height=height, label=model
        )
    ax.set_yticks(y, wide.index)
    ax.set_xlabel(what.replace("_", " "))
    ax.legend(fontsize="small", loc="lower right")
    ax.grid(axis="x", alpha=0.3)
    return ax
