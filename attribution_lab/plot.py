"""Matplotlib figures. Imported lazily: ``import attribution_lab`` does not import matplotlib."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = ["plot_comparison", "plot_transition_graph"]


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


def plot_transition_graph(
    graph: Any, ax: Any = None, *, top: int = 25, min_probability: float = 0.0
) -> Any:
    """Draw the `top` most probable transitions of a Markov chain graph.

    Parameters
    ----------
    graph : networkx.DiGraph
        As built by `attribution_lab.markov.chain_graph` (``MarkovAttribution.graph_``):
        edges with ``probability`` and ``count``, nodes with ``kind``.
    ax : matplotlib Axes, optional
    top : int, default 25
        Number of edges drawn, by probability (ties by count).
    min_probability : float, default 0
        Edges below this probability are never drawn.

    Returns
    -------
    matplotlib Axes

    Notes
    -----
    ``(start)`` sits on the left, ``(conversion)`` top right and ``(null)`` bottom right;
    channel states lie on a circle between them. Edge width and label give the transition
    probability, node size the number of journeys passing through the state.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from attribution_lab import Journeys, MarkovAttribution
    >>> j = Journeys.from_paths(["A > B", "B", "A"], conversions=[1, 0, 1], nulls=[1, 2, 0])
    >>> ax = plot_transition_graph(MarkovAttribution().fit(j).graph_, top=4)
    >>> len(ax.patches)  # one arrow per drawn edge
    4
    """
    import matplotlib.pyplot as plt
    import networkx as nx

    if not isinstance(graph, nx.DiGraph):
        raise TypeError(f"graph must be a networkx DiGraph, got {type(graph).__name__}")
    if isinstance(top, bool) or not isinstance(top, (int, np.integer)) or top < 1:
        raise ValueError(f"top must be a positive integer, got {top!r}")
    edges = [
        (s, d, data)
        for s, d, data in graph.edges(data=True)
        if data.get("probability", 0.0) >= min_probability
    ]
    edges.sort(key=lambda e: (-e[2]["probability"], -e[2].get("count", 0.0), str(e[0]), str(e[1])))
    edges = edges[: int(top)]
    kinds = dict(graph.nodes(data="kind"))
    nodes = list(dict.fromkeys([n for s, d, _ in edges for n in (s, d)]))
    states = [n for n in nodes if kinds.get(n) == "state"]
    pos: dict[Any, tuple[float, float]] = {}
    for k, n in enumerate(states):
        angle = 2 * np.pi * k / max(len(states), 1) + np.pi / 2
        pos[n] = (0.5 + 0.3 * np.cos(angle), 0.5 * np.sin(angle))
    for n in nodes:
        kind = kinds.get(n)
        if kind == "start":
            pos[n] = (-0.1, 0.0)
        elif kind == "conversion":
            pos[n] = (1.1, 0.45)
        elif kind == "null":
            pos[n] = (1.1, -0.45)
        elif n not in pos:
            pos[n] = (0.5, 0.0)
    through = {n: 0.0 for n in nodes}
    for s, d, data in graph.edges(data=True):
        if d in through:
            through[d] += data.get("count", 0.0)
        if kinds.get(s) == "start" and s in through:
            through[s] += data.get("count", 0.0)
    biggest = max(through.values(), default=1.0) or 1.0
    colours = {"start": "#4c72b0", "conversion": "#55a868", "null": "#c44e52", "state": "#dddddd"}
    if ax is None:
        _, ax = plt.subplots(figsize=(9, 6))
    sub = nx.DiGraph()
    sub.add_nodes_from(nodes)
    sub.add_edges_from((s, d) for s, d, _ in edges)
    nx.draw_networkx_nodes(
        sub,
        pos,
        ax=ax,
        node_size=[300 + 1700 * through[n] / biggest for n in nodes],
        node_color=[colours.get(kinds.get(n, "state"), "#dddddd") for n in nodes],
        edgecolors="#555555",
    )
    nx.draw_networkx_labels(sub, pos, ax=ax, font_size=8)
    widths = [0.5 + 4 * data["probability"] for _, _, data in edges]
    nx.draw_networkx_edges(
        sub,
        pos,
        ax=ax,
        edgelist=[(s, d) for s, d, _ in edges],
        width=widths,
        arrows=True,
        arrowsize=12,
        connectionstyle="arc3,rad=0.12",
        edge_color="#666666",
        node_size=900,
    )
    nx.draw_networkx_edge_labels(
        sub,
        pos,
        ax=ax,
        edge_labels={(s, d): f"{data['probability']:.2f}" for s, d, data in edges},
        font_size=7,
        connectionstyle="arc3,rad=0.12",
    )
    ax.set_title(f"Top {len(edges)} transitions by probability")
    ax.set_axis_off()
    return ax
