"""Matplotlib figures. Imported lazily: ``import attribution_lab`` does not import matplotlib."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "plot_agreement",
    "plot_comparison",
    "plot_convergence",
    "plot_error_curve",
    "plot_excitation",
    "plot_transition_graph",
]


def plot_comparison(table: pd.DataFrame, ax: Any = None, *, what: str = "share") -> Any:
    """Grouped horizontal bars: one group per channel, one bar per model, with whiskers.

    Models whose rows carry ``ci_low`` / ``ci_high`` (``compare(..., n_boot=...)`` or
    sampled Shapley estimates) get interval whiskers when plotting shares or
    conversions.

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
    errs = None
    if what in ("share", "conversions") and {"ci_low", "ci_high"} <= set(table.columns):
        # intervals are on conversions; shares divide by each model's total
        scale = 1.0
        if what == "share":
            total = table.groupby("model", sort=False)["conversions"].transform("sum")
            scale = 1.0 / total.where(total > 0, 1.0)
        errs = {
            col: table.assign(_v=table[col] * scale).pivot(
                index="channel", columns="model", values="_v"
            )
            for col in ("ci_low", "ci_high")
        }
    for k, model in enumerate(wide.columns):
        vals = wide[model].to_numpy()
        xerr = None
        if errs is not None:
            low = errs["ci_low"].loc[wide.index, model].to_numpy()
            high = errs["ci_high"].loc[wide.index, model].to_numpy()
            if np.isfinite(low).any():
                xerr = np.vstack([np.maximum(vals - low, 0), np.maximum(high - vals, 0)])
                xerr = np.nan_to_num(xerr)  # models without intervals: no whisker
        # the first model on top of its group, as it is first in the legend
        ax.barh(
            y + ((n_mod - 1) / 2 - k) * height,
            vals,
            height=height,
            label=model,
            xerr=xerr,
            error_kw={"elinewidth": 0.8, "capsize": 1.5, "alpha": 0.7},
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


def plot_agreement(
    matrix: pd.DataFrame,
    ax: Any = None,
    *,
    kind: str = "distance",
    annotate: bool = True,
    title: str | None = None,
) -> Any:
    """Heatmap of a model x model agreement matrix.

    Parameters
    ----------
    matrix : DataFrame
        Square, with the same models as index and columns, e.g. ``distance`` or
        ``spearman`` of `attribution_lab.agreement`.
    ax : matplotlib Axes, optional
    kind : {"distance", "spearman"}, default "distance"
        Sets the colour scale: distances from 0 (dark, agreeing) to the largest
        entry; correlations on a diverging scale from -1 to 1.
    annotate : bool, default True
        Write each cell's number (``n/a`` where it is NaN).
    title : str, optional

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from attribution_lab import Journeys, agreement, compare
    >>> j = Journeys.from_paths(["A > B", "B > C"], conversions=[2, 1])
    >>> agree = agreement(compare(j, ["first_touch", "last_touch", "linear"]))
    >>> ax = plot_agreement(agree.distance)
    >>> [t.get_text() for t in ax.get_xticklabels()]
    ['first_touch', 'last_touch', 'linear']
    """
    import matplotlib.pyplot as plt

    if not isinstance(matrix, pd.DataFrame):
        raise TypeError(f"matrix must be a DataFrame, got {type(matrix).__name__}")
    if matrix.shape[0] != matrix.shape[1] or list(matrix.index) != list(matrix.columns):
        raise ValueError("matrix must be square with the same models as index and columns")
    if kind not in ("distance", "spearman"):
        raise ValueError(f"kind must be 'distance' or 'spearman', got {kind!r}")
    values = matrix.to_numpy(dtype=np.float64)
    n = values.shape[0]
    if ax is None:
        side = min(12.0, max(3.5, 0.7 * n + 2.0))
        _, ax = plt.subplots(figsize=(side + 1.0, side))
    if kind == "distance":
        top = np.nanmax(values) if np.isfinite(values).any() else 1.0
        image = ax.imshow(values, cmap="viridis", vmin=0.0, vmax=max(float(top), 1e-12))
        label = "total-variation distance"
    else:
        image = ax.imshow(values, cmap="RdBu", vmin=-1.0, vmax=1.0)
        label = "Spearman correlation"
    ax.figure.colorbar(image, ax=ax, label=label, fraction=0.046, pad=0.04)
    labels = [str(m) for m in matrix.columns]
    ax.set_xticks(np.arange(n), labels, rotation=45, ha="right")
    ax.set_yticks(np.arange(n), labels)
    if annotate:
        norm = image.norm
        for i in range(n):
            for j in range(n):
                v = values[i, j]
                # light text on the dark end of either scale
                dark = np.isfinite(v) and (
                    norm(v) < 0.45 if kind == "distance" else abs(norm(v) - 0.5) > 0.3
                )
                ax.text(
                    j,
                    i,
                    "n/a" if not np.isfinite(v) else f"{v:.2f}",
                    ha="center",
                    va="center",
                    fontsize=8,
                    color="white" if dark else "black",
                )
    if title:
        ax.set_title(title)
    return ax


def plot_convergence(
    frame: pd.DataFrame,
    ax: Any = None,
    *,
    players: Any = None,
    exact: Any = None,
) -> Any:
    """Monte Carlo convergence: each estimator's estimate and interval against budget.

    Parameters
    ----------
    frame : DataFrame
        The output of `attribution_lab.shapley.convergence`: columns ``estimator``,
        ``budget``, ``player``, ``value``, ``ci_low``, ``ci_high``.
    ax : matplotlib Axes, optional
    players : list of str, optional
        Players to draw (default: the three with the largest mean estimate), one panel
        row each when `ax` is not given.
    exact : mapping or Series of player to value, optional
        Exact values, drawn as dashed horizontal lines.

    Returns
    -------
    matplotlib Axes, or an array of Axes (one per player) when `ax` is not given

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from attribution_lab.shapley import GloveGame, convergence
    >>> game = GloveGame(2, 3)
    >>> conv = convergence(game, ["permutation", "antithetic"], [20, 40], random_state=0)
    >>> axes = plot_convergence(conv, players=["L0", "R0"])
    >>> len(axes), axes[0].get_xscale()
    (2, 'log')
    """
    import matplotlib.pyplot as plt
    from matplotlib.ticker import NullFormatter

    need = {"estimator", "budget", "player", "value", "ci_low", "ci_high"}
    missing = need - set(frame.columns)
    if missing:
        raise ValueError(
            f"frame lacks columns {sorted(missing)}; pass the output of shapley.convergence()"
        )
    if players is None:
        means = frame.groupby("player", sort=False)["value"].mean()
        players = list(means.sort_values(ascending=False).index[:3])
    players = list(players)
    unknown = [p for p in players if p not in set(frame["player"])]
    if unknown:
        raise ValueError(f"players {unknown} are not in the frame")
    if ax is None:
        _, axes = plt.subplots(
            len(players), 1, figsize=(7, 2.4 * len(players) + 0.6), sharex=True, squeeze=False
        )
        axes = axes[:, 0]
    else:
        axes = np.array([ax] * len(players))
    estimators = list(dict.fromkeys(frame["estimator"]))
    for k, (a, player) in enumerate(zip(axes, players, strict=True)):
        rows = frame[frame["player"] == player]
        for j, name in enumerate(estimators):
            r = rows[rows["estimator"] == name].sort_values("budget")
            # estimators side by side at each budget, so the intervals do not overlap
            x = r["budget"].to_numpy(dtype=float) * 1.04 ** (j - (len(estimators) - 1) / 2)
            yerr = np.vstack([r["value"] - r["ci_low"], r["ci_high"] - r["value"]])
            a.errorbar(
                x,
                r["value"],
                yerr=np.maximum(yerr, 0),
                marker="o",
                ms=3,
                capsize=2,
                lw=1,
                color=f"C{j}",
                label=name if k == 0 else None,
            )
        if exact is not None and player in exact:
            a.axhline(
                float(exact[player]), color="0.3", ls="--", lw=1, label="exact" if k == 0 else None
            )
        a.set_xscale("log")
        budgets = np.unique(frame["budget"].to_numpy())
        a.set_xticks(budgets, [f"{b:,}" for b in budgets])
        a.xaxis.set_minor_formatter(NullFormatter())
        a.set_ylabel(str(player))
        a.grid(alpha=0.3)
    axes[-1].set_xlabel("budget (game evaluations)")
    axes[0].legend(
        fontsize="small",
        ncols=min(len(estimators) + 1, 5),
        loc="lower center",
        bbox_to_anchor=(0.5, 1.0),
        frameon=False,
    )
    axes[0].figure.suptitle("Shapley estimates with their intervals against the budget", y=1.0)
    return axes if ax is None else ax


def plot_error_curve(
    frame: pd.DataFrame,
    *,
    x: str = "n_journeys",
    y: str = "tv",
    by: str = "model",
    panel: str | None = "scenario",
    band: bool = True,
    axes: Any = None,
) -> Any:
    """Error against data size: one line per model, one panel per scenario.

    Repeated rows (seeds) are averaged; with `band` the spread between their 10% and
    90% quantiles is shaded.

    Parameters
    ----------
    frame : DataFrame
        One row per run with the columns named by `x`, `y`, `by` and `panel` (e.g. the
        accuracy benchmark's CSV).
    x, y, by : str
        Columns of the size (log scale), the error and the line grouping.
    panel : str or None
        Column giving one panel per value; None draws a single panel.
    band : bool, default True
    axes : array of Axes, optional

    Returns
    -------
    array of matplotlib Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> runs = pd.DataFrame({"scenario": ["s"] * 4, "model": ["a", "a", "b", "b"],
    ...                      "n_journeys": [100, 1000] * 2, "tv": [0.2, 0.07, 0.3, 0.25]})
    >>> axes = plot_error_curve(runs)
    >>> [line.get_label() for line in axes[0].get_lines()]
    ['a', 'b']
    """
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    cols = [x, y, by] + ([panel] if panel else [])
    missing = [c for c in cols if c not in frame.columns]
    if missing:
        raise ValueError(f"frame lacks columns {missing}; columns are {list(frame.columns)}")
    panels = list(dict.fromkeys(frame[panel])) if panel else [None]
    if axes is None:
        ncols = min(3, len(panels))
        nrows = -(-len(panels) // ncols)
        _, grid = plt.subplots(
            nrows,
            ncols,
            figsize=(4.2 * ncols, 3.3 * nrows + 0.5),
            squeeze=False,
            sharex=True,
        )
        for extra in grid.flat[len(panels) :]:
            extra.set_visible(False)
        axes = grid.flat[: len(panels)]
    axes = np.asarray(axes, dtype=object).ravel()
    groups = list(dict.fromkeys(frame[by]))
    for a, name in zip(axes, panels, strict=True):
        part = frame if name is None else frame[frame[panel] == name]
        for j, g in enumerate(groups):
            rows = part[part[by] == g]
            if rows.empty:
                continue
            stats = rows.groupby(x)[y].agg(
                mean="mean", lo=lambda v: v.quantile(0.1), hi=lambda v: v.quantile(0.9)
            )
            a.plot(stats.index, stats["mean"], marker="o", ms=3, color=f"C{j % 10}", label=str(g))
            if band and (rows.groupby(x).size() > 1).any():
                a.fill_between(
                    stats.index, stats["lo"], stats["hi"], color=f"C{j % 10}", alpha=0.15, lw=0
                )
        a.set_xscale("log")
        if (part[y] > 0).all():
            a.set_yscale("log")
            # labels at 1, 2 and 5 per decade: error curves often span under a decade
            a.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
            a.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
            a.yaxis.set_minor_formatter(NullFormatter())
        if name is not None:
            a.set_title(str(name))
        a.set_xlabel(x.replace("_", " "))
        a.set_ylabel(y.replace("_", " "))
        a.tick_params(labelbottom=True)
        a.grid(alpha=0.3, which="major")
    fig = axes[0].figure
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(
        handles,
        labels,
        loc="upper center",
        ncols=min(len(labels), 6),
        fontsize="small",
        frameon=False,
        bbox_to_anchor=(0.5, 1.0),
    )
    fig.tight_layout(rect=(0, 0, 1, 0.95))
    return axes


def plot_excitation(model: Any, result: Any, axes: Any = None) -> Any:
    r"""The fitted excitations of a point-process model, and its credit split into direct
    and mediated parts.

    Left: :math:`\hat\alpha` as a heatmap, one row per triggering (source) channel and one
    column per triggered (target) channel; cell (d, c) is the expected number of c-touches
    one d-touch triggers, written in the cell. Right: one bar per channel, in the heatmap's
    row order, whose length is the channel's Shapley credit in conversions
    (``result.conversions``), with its interval as a whisker. The bar is split in the
    proportions of the channel's removal effect: the part its own touches cause
    (``details["direct"]``) and the part that passes through the touches they trigger
    (``details["mediated"]``), i.e. ``credit * direct / removal_effect`` and
    ``credit * mediated / removal_effect``. Scaling the split onto the credit keeps both
    parts in the credit's units (they add up to it); the removal effects themselves are in
    ``result.details``.

    Parameters
    ----------
    model : PointProcessAttribution
        A fitted model (``alpha_`` and ``channel_names_``).
    result : AttributionResult
        The model's `attribute()`: it carries ``details["direct"]``, ``["mediated"]`` and
        ``["removal_effect"]``.
    axes : pair of matplotlib Axes, optional
        Where to draw the heatmap and the bars; a new figure when not given.

    Returns
    -------
    ndarray of two matplotlib Axes

    Notes
    -----
    The parts are shares of the removal effect, cut to [0, 1]: the mediated part is the
    removal effect less the exact direct effect, and the removal effect is a Monte Carlo
    estimate, so it can come out a hair below the direct effect for a channel that
    triggers nothing. A channel with no removal effect is drawn as all direct. Cells are
    annotated up to 20 channels; beyond, the colour alone tells.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import tempfile, os
    >>> from attribution_lab.hawkes import PointProcessAttribution
    >>> from attribution_lab.simulate import simulate
    >>> journeys = simulate("point_process", 3_000, random_state=0).journeys
    >>> model = PointProcessAttribution(n_draws=4, random_state=0).fit(journeys)
    >>> axes = plot_excitation(model, model.attribute())
    >>> [t.get_text() for t in axes[0].get_yticklabels()][:3]
    ['display', 'social', 'brand_search']
    >>> path = os.path.join(tempfile.mkdtemp(), "excitation.png")
    >>> axes[0].figure.savefig(path)
    >>> os.path.getsize(path) > 0
    True
    """
    import matplotlib.pyplot as plt

    alpha = getattr(model, "alpha_", None)
    if not isinstance(alpha, pd.DataFrame):
        raise TypeError(
            f"model must be a fitted PointProcessAttribution (with alpha_), got"
            f" {type(model).__name__}"
        )
    details = getattr(result, "details", None)
    missing = {"direct", "mediated", "removal_effect"} - set(details or {})
    if missing:
        raise ValueError(
            f"result lacks details {sorted(missing)}; pass the model's attribute() result"
        )
    names = [str(n) for n in alpha.index]
    if [str(n) for n in result.channel_names] != names:
        raise ValueError(
            f"result is over channels {list(result.channel_names)}, the model over {names}"
        )
    n = len(names)
    if axes is None:
        height = min(16.0, max(3.2, 0.45 * n + 1.6))
        _, axes = plt.subplots(
            1, 2, figsize=(min(24.0, 0.6 * n + 9.5), height), width_ratios=[1.1, 1.0]
        )
    axes = np.asarray(axes, dtype=object).ravel()
    if axes.size != 2:
        raise ValueError(f"axes must be two Axes (heatmap, bars), got {axes.size}")
    heat, bars = axes

    values = alpha.to_numpy(dtype=np.float64)
    top = float(np.nanmax(values)) if np.isfinite(values).any() else 0.0
    image = heat.imshow(values, cmap="Blues", vmin=0.0, vmax=max(top, 1e-12), aspect="auto")
    heat.figure.colorbar(
        image, ax=heat, label="target touches per source touch", fraction=0.046, pad=0.04
    )
    heat.set_xticks(np.arange(n), names, rotation=45, ha="right")
    heat.set_yticks(np.arange(n), names)
    heat.set_xlabel("triggered channel (target)")
    heat.set_ylabel("triggering channel (source)")
    heat.set_title(r"Excitation $\hat\alpha$")
    if n <= 20:
        norm = image.norm
        size = 8 if n <= 10 else 6
        for i in range(n):
            for j in range(n):
                v = values[i, j]
                heat.text(
                    j,
                    i,
                    f"{v:.2f}" if np.isfinite(v) else "n/a",
                    ha="center",
                    va="center",
                    fontsize=size,
                    # light text on the dark end of the scale
                    color="white" if np.isfinite(v) and norm(v) > 0.6 else "black",
                )

    credit = np.asarray(result.conversions, dtype=np.float64)
    removal = np.asarray(details["removal_effect"], dtype=np.float64)
    direct = np.asarray(details["direct"], dtype=np.float64)
    share = np.divide(direct, removal, out=np.ones(n), where=removal > 0)
    share = np.clip(np.nan_to_num(share, nan=1.0), 0.0, 1.0)
    y = np.arange(n)
    bars.barh(y, credit * share, color="#4c72b0", label="direct")
    bars.barh(y, credit * (1 - share), left=credit * share, color="#dd8452", label="mediated")
    low, high = result.ci_low, result.ci_high
    if low is not None and high is not None:
        level = f"{100 * result.ci_level:g}% " if result.ci_level else ""
        xerr = np.vstack([np.maximum(credit - low, 0), np.maximum(high - credit, 0)])
        bars.errorbar(
            credit, y, xerr=np.nan_to_num(xerr), fmt="o", ms=3, color="black", lw=1,
            capsize=2.5, label=f"Shapley credit, {level}interval",
        )  # fmt: skip
    bars.axvline(0.0, color="0.3", lw=0.8)
    bars.set_yticks(y, names)
    bars.set_ylim(n - 0.5, -0.5)  # the heatmap's row order, first channel on top
    bars.set_xlabel("credited conversions")
    bars.set_title("Credit: direct and mediated")
    bars.legend(fontsize="small", loc="best")
    bars.grid(axis="x", alpha=0.3)
    heat.figure.tight_layout()
    return axes
