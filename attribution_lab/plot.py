"""Matplotlib figures. Imported lazily: ``import attribution_lab`` does not import matplotlib."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "distinct_colours",
    "plot_agreement",
    "plot_comparison",
    "plot_convergence",
    "plot_error_curve",
    "plot_excitation",
    "plot_share_heatmap",
    "plot_transition_graph",
    "transition_flows",
]


def plot_comparison(table: pd.DataFrame, ax: Any = None, *, what: str = "share") -> Any:
    """Grouped horizontal bars: one group per channel, one bar per model, with whiskers.

    Every model gets its own colour (`distinct_colours`); beyond a handful of models,
    `plot_share_heatmap` reads more easily.

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
    colours = distinct_colours(n_mod)  # the default cycle repeats after ten models
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
            color=colours[k],
            xerr=xerr,
            error_kw={"elinewidth": 0.8, "capsize": 1.5, "alpha": 0.7},
        )
    ax.set_yticks(y, wide.index)
    ax.set_xlabel(what.replace("_", " "))
    ax.legend(fontsize="small", loc="lower right")
    ax.grid(axis="x", alpha=0.3)
    return ax


def distinct_colours(n: int) -> list[str]:
    """`n` colours, no two alike, for the `n` series of one figure.

    Matplotlib's ten-colour cycle repeats from the eleventh series on; this gives the
    ten ``tab10`` colours, then ``tab20``'s lighter shades, then evenly spaced hues at
    alternating lightness.

    Examples
    --------
    >>> distinct_colours(3)
    ['#1f77b4', '#ff7f0e', '#2ca02c']
    >>> colours = distinct_colours(40)
    >>> len(set(colours)) == 40
    True
    """
    from matplotlib import colormaps
    from matplotlib.colors import hsv_to_rgb, to_hex

    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"n must be a non-negative integer, got {n!r}")
    tab20 = [to_hex(c) for c in colormaps["tab20"].colors]
    base = [to_hex(c) for c in colormaps["tab10"].colors] + tab20[1::2]
    if n <= len(base):
        return base[:n]
    extra = n - len(base)
    hues = (np.arange(extra) * 0.618033988749895) % 1.0  # golden-ratio steps stay apart
    value = np.where(np.arange(extra) % 2 == 0, 0.85, 0.55)
    rgb = hsv_to_rgb(np.column_stack([hues, np.full(extra, 0.75), value]))
    out = base + [to_hex(c) for c in rgb]
    if len(set(out)) < n:  # pragma: no cover - hues of thousands of series can collide
        raise ValueError(f"cannot draw {n} distinct colours; plot fewer series")
    return out


def plot_share_heatmap(
    table: pd.DataFrame,
    ax: Any = None,
    *,
    what: str = "share",
    annotate: bool = True,
    title: str | None = None,
) -> Any:
    """Heatmap of credit, one row per model and one column per channel, annotated.

    Reads at a glance with any number of models (no legend colours to tell apart). When
    the rows carry bootstrap intervals (``compare(..., n_boot=...)``), each cell shows
    the interval under the value.

    Parameters
    ----------
    table : DataFrame
        The tidy output of `attribution_lab.compare` (columns ``model``, ``channel`` and
        `what`; ``ci_low`` / ``ci_high`` optional).
    ax : matplotlib Axes, optional
    what : {"share", "conversions", "value", "value_share"}, default "share"
    annotate : bool, default True
        Write each cell's number (and interval).
    title : str, optional

    Returns
    -------
    matplotlib Axes

    Notes
    -----
    Channels are ordered by their mean over the models, largest first; models keep the
    table's order. Shares are written as percentages. Intervals are on conversions;
    for shares they are divided by each model's total conversions. A table with a
    negative value (Shapley credit of a game that scores unseen sets as zero) gets a
    diverging scale centred on zero.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from attribution_lab import Journeys, compare
    >>> j = Journeys.from_paths(["A > B", "B"], conversions=[1, 1])
    >>> ax = plot_share_heatmap(compare(j, ["first_touch", "last_touch"]))
    >>> [t.get_text() for t in ax.get_yticklabels()], [t.get_text() for t in ax.texts]
    (['first_touch', 'last_touch'], ['50.0%', '50.0%', '100.0%', '0.0%'])
    """
    import matplotlib.pyplot as plt

    if not isinstance(table, pd.DataFrame):
        raise TypeError(f"table must be a DataFrame, got {type(table).__name__}")
    if what not in ("share", "conversions", "value", "value_share"):
        raise ValueError(f"what must be share, conversions, value or value_share, got {what!r}")
    missing = {"model", "channel", what} - set(table.columns)
    if missing:
        raise ValueError(f"table lacks columns {sorted(missing)}; pass the output of compare()")
    models = list(dict.fromkeys(table["model"]))
    wide = table.pivot(index="model", columns="channel", values=what).loc[models]
    wide = wide[wide.mean(axis=0).sort_values(ascending=False, kind="stable").index]
    values = wide.to_numpy(dtype=np.float64)
    low = high = None
    if what in ("share", "conversions") and {"ci_low", "ci_high"} <= set(table.columns):
        scale = pd.Series(1.0, index=table.index)
        if what == "share":
            total = table.groupby("model", sort=False)["conversions"].transform("sum")
            scale = 1.0 / total.where(total > 0, 1.0)
        low, high = (
            table.assign(_v=table[c] * scale)
            .pivot(index="model", columns="channel", values="_v")
            .loc[models, wide.columns]
            .to_numpy(dtype=np.float64)
            for c in ("ci_low", "ci_high")
        )
    n_mod, n_ch = values.shape
    with_ci = low is not None and np.isfinite(low).any()
    if ax is None:
        row = 0.62 if with_ci and annotate else 0.42
        _, ax = plt.subplots(figsize=(min(24.0, 0.95 * n_ch + 3.2), min(20.0, row * n_mod + 1.8)))
    finite = values[np.isfinite(values)]
    top = float(np.abs(finite).max()) if finite.size else 1.0
    if finite.size and finite.min() < 0:
        image = ax.imshow(values, cmap="RdBu_r", vmin=-top, vmax=top, aspect="auto")
    else:
        image = ax.imshow(values, cmap="Blues", vmin=0.0, vmax=max(top, 1e-12), aspect="auto")
    bar = ax.figure.colorbar(image, ax=ax, label=what.replace("_", " "), fraction=0.035, pad=0.02)
    if what in ("share", "value_share"):
        from matplotlib.ticker import PercentFormatter

        bar.ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xticks(np.arange(n_ch), [str(c) for c in wide.columns], rotation=40, ha="right")
    ax.set_yticks(np.arange(n_mod), [str(m) for m in wide.index])
    if annotate:
        percent = what in ("share", "value_share")

        def fmt(v: float) -> str:
            if not np.isfinite(v):
                return "n/a"
            return f"{v:.1%}" if percent else f"{v:,.4g}"

        norm = image.norm
        for i in range(n_mod):
            for j in range(n_ch):
                v = values[i, j]
                text = fmt(v)
                if with_ci and np.isfinite(low[i, j]):
                    pair = (
                        f"{100 * low[i, j]:.1f}-{100 * high[i, j]:.1f}"
                        if percent
                        else f"{low[i, j]:,.3g} to {high[i, j]:,.3g}"
                    )
                    text += "\n" + pair
                shade = norm(v) if np.isfinite(v) else 0.0
                dark = shade > 0.6 or (finite.size and finite.min() < 0 and shade < 0.2)
                ax.text(
                    j,
                    i,
                    text,
                    ha="center",
                    va="center",
                    fontsize=7 if with_ci else 8,
                    color="white" if dark else "black",
                )
    if title:
        ax.set_title(title)
    return ax


def transition_flows(graph: Any) -> pd.DataFrame:
    """Every transition of a Markov chain graph with its flow: expected traversals per journey.

    Parameters
    ----------
    graph : networkx.DiGraph
        As built by `attribution_lab.markov.chain_graph` (``MarkovAttribution.graph_``):
        edges with ``probability``, nodes with ``kind``.

    Returns
    -------
    DataFrame
        One row per edge, largest flow first (ties by source and target name): ``source``,
        ``target``, ``probability``, ``visits`` (expected visits of the source per
        journey), ``flow`` (visits x probability) and ``step`` (mean number of touches
        before a visit of the source; 0 for ``(start)``).

    Notes
    -----
    With :math:`Q` the transitions among ``(start)`` and the channel states, the
    expected visits solve :math:`v = e_{start} + Q^\\top v` and the summed steps of the
    visits :math:`T = Q^\\top (T + v)`; ``step`` is :math:`T / v`. For a chain fitted from
    counts, the flow of an edge is its count over the number of journeys: a rare state
    whose one transition has probability 1 carries little flow.

    Examples
    --------
    >>> from attribution_lab import Journeys, MarkovAttribution
    >>> j = Journeys.from_paths(["A > B", "B"], conversions=[1, 0], nulls=[1, 2])
    >>> flows = transition_flows(MarkovAttribution().fit(j).graph_)
    >>> flows[["source", "target", "flow"]].head(3)
      source target  flow
    0      B (null)  0.75
    1 (start)      A  0.50
    2 (start)      B  0.50
    """
    import networkx as nx
    import scipy.sparse as sp
    from scipy.sparse.linalg import splu

    if not isinstance(graph, nx.DiGraph):
        raise TypeError(f"graph must be a networkx DiGraph, got {type(graph).__name__}")
    kinds = dict(graph.nodes(data="kind"))
    starts = [n for n, k in kinds.items() if k == "start"]
    if len(starts) != 1:
        raise ValueError("graph must have one node of kind 'start' (see markov.chain_graph)")
    transient = [n for n in graph.nodes if kinds.get(n) not in ("conversion", "null")]
    at = {n: k for k, n in enumerate(transient)}
    rows, cols, probs = [], [], []
    edges = list(graph.edges(data="probability", default=0.0))
    for s, d, p in edges:
        if s in at and d in at:
            rows.append(at[d])
            cols.append(at[s])
            probs.append(float(p))
    n = len(transient)
    qt = sp.csc_matrix((probs, (rows, cols)), shape=(n, n))
    lu = splu(sp.identity(n, format="csc") - qt)
    e = np.zeros(n)
    e[at[starts[0]]] = 1.0
    visits = lu.solve(e)
    steps = lu.solve(qt @ visits)
    mean_step = np.divide(steps, visits, out=np.zeros(n), where=visits > 0)
    frame = pd.DataFrame(
        {
            "source": [s for s, _, _ in edges],
            "target": [d for _, d, _ in edges],
            "probability": [float(p) for _, _, p in edges],
        }
    )
    src = frame["source"].map(at).to_numpy()
    frame["visits"] = visits[src]
    frame["flow"] = frame["visits"] * frame["probability"]
    frame["step"] = mean_step[src]
    frame["_s"], frame["_d"] = frame["source"].astype(str), frame["target"].astype(str)
    frame = frame.sort_values(["flow", "_s", "_d"], ascending=[False, True, True], kind="stable")
    return frame.drop(columns=["_s", "_d"]).reset_index(drop=True)


def _bezier_point(a: np.ndarray, b: np.ndarray, rad: float, t: float) -> np.ndarray:
    """Point at `t` on matplotlib's ``arc3`` curve from `a` to `b` (display coordinates)."""
    mid = (a + b) / 2
    ctrl = mid + rad * np.array([b[1] - a[1], -(b[0] - a[0])])
    return (1 - t) ** 2 * a + 2 * (1 - t) * t * ctrl + t**2 * b


def _box_placer() -> type:
    from matplotlib.artist import Artist

    class BoxPlacer(Artist):
        """Drawn first: places the node boxes, so that the arrows drawn under them are
        clipped at their current edges at any dpi."""

        def __init__(self, texts: list[Any]) -> None:
            super().__init__()
            self.texts = texts
            self.set_zorder(0)

        def draw(self, renderer: Any) -> None:
            for t in self.texts:
                t.update_bbox_position_size(renderer)

    return BoxPlacer


def _BoxPlacer(texts: list[Any]) -> Any:
    return _box_placer()(texts)


def plot_transition_graph(
    graph: Any, ax: Any = None, *, top: int = 25, min_probability: float = 0.0
) -> Any:
    """Draw the transitions of a Markov chain that carry the most journeys, left to right.

    Parameters
    ----------
    graph : networkx.DiGraph
        As built by `attribution_lab.markov.chain_graph` (``MarkovAttribution.graph_``):
        edges with ``probability``, nodes with ``kind``.
    ax : matplotlib Axes, optional
    top : int, default 25
        Number of edges drawn, by flow (`transition_flows`: expected visits of the
        source per journey x probability). The largest edge into ``(conversion)`` and
        into ``(null)`` are drawn even when outside the top.
    min_probability : float, default 0
        Edges below this probability are never drawn.

    Returns
    -------
    matplotlib Axes

    Notes
    -----
    ``(start)``, ``(conversion)`` and ``(null)`` are always shown: ``(start)`` on the
    left, the two outcomes on the right with their probability under the name. States
    stand in columns by the mean number of touches before they are reached, each with
    its expected visits per journey. Edge width is the flow, edge label the transition
    probability; labels that would overlap another label are moved along their edge,
    or left out (the width still shows the edge). Selecting by flow keeps the picture
    on the paths journeys take: by probability alone, rare higher-order states whose
    single observed transition has probability 1 would crowd out the rest. The chain
    merges consecutive repeats of a state, so it has no self-loops; a graph that has
    them gets them drawn as loops above their state.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from attribution_lab import Journeys, MarkovAttribution
    >>> j = Journeys.from_paths(["A > B", "B", "A"], conversions=[1, 0, 1], nulls=[1, 2, 0])
    >>> ax = plot_transition_graph(MarkovAttribution().fit(j).graph_, top=4)
    >>> sorted(t.get_text().split("\\n")[0] for t in ax.texts if t.get_gid() == "node")
    ['(conversion)', '(null)', '(start)', 'A', 'B']
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyArrowPatch

    flows = transition_flows(graph)
    if isinstance(top, bool) or not isinstance(top, (int, np.integer)) or top < 1:
        raise ValueError(f"top must be a positive integer, got {top!r}")
    kinds = dict(graph.nodes(data="kind"))
    total_flow = float(flows["flow"].sum())
    shown = flows[flows["probability"] >= min_probability]
    chosen = shown.head(int(top))
    for outcome in ("conversion", "null"):
        into = shown[shown["target"].map(kinds) == outcome]
        if len(into) and not (chosen["target"].map(kinds) == outcome).any():
            chosen = pd.concat([chosen, into.head(1)])
    ends = {k: n for n, k in kinds.items() if k in ("start", "conversion", "null")}
    visits = dict(zip(flows["source"], flows["visits"], strict=False))
    step = dict(zip(flows["source"], flows["step"], strict=False))
    absorbed = flows.groupby("target")["flow"].sum()
    states = list(
        dict.fromkeys(n for e in zip(chosen.source, chosen.target, strict=True) for n in e)
    )
    states = [n for n in states if kinds.get(n) == "state"]
    states.sort(key=lambda n: (step.get(n, np.inf), -visits.get(n, 0.0), str(n)))
    n_cols = max(1, min(6, round(np.sqrt(len(states))))) if states else 1
    per_col = -(-len(states) // n_cols) if states else 1
    pos: dict[Any, tuple[float, float]] = {}
    for c in range(n_cols):
        column = states[c * per_col : (c + 1) * per_col]

        # within a column, keep each state near the states that lead into it
        def pull(n: Any) -> float:
            into = chosen[(chosen.target == n) & chosen.source.isin(list(pos))]
            if into.empty:
                return 0.0
            ys = np.array([pos[s][1] for s in into.source])
            return float(np.average(ys, weights=into["flow"].to_numpy() + 1e-12))

        column.sort(key=lambda n: (-pull(n), str(n)))
        for r, n in enumerate(column):
            y = 0.0 if len(column) == 1 else 1.0 - 2.0 * r / (len(column) - 1)
            pos[n] = (c + 1.0, y)
    pos[ends["start"]] = (0.0, 0.0)
    pos[ends["conversion"]] = (n_cols + 1.0, 0.5)
    pos[ends["null"]] = (n_cols + 1.0, -0.5)

    def label(n: Any) -> str:
        kind = kinds.get(n)
        if kind == "start":
            return f"{n}"
        if kind in ("conversion", "null"):
            return f"{n}\n{absorbed.get(n, 0.0):.1%}"
        return f"{n}\n{visits.get(n, 0.0):.2f}"

    longest = max(len(str(n)) for n in pos)
    if ax is None:
        width = min(30.0, (n_cols + 2) * max(2.3, 0.085 * longest + 0.9))
        _, ax = plt.subplots(figsize=(width, min(20.0, max(4.5, 0.62 * per_col + 2.0))))
    ax.set_xlim(-0.6, n_cols + 1.6)
    ax.set_ylim(-1.35, 1.3)
    ax.set_axis_off()
    colours = {"start": "#aec7e8", "conversion": "#98df8a", "null": "#ff9896"}
    biggest = max(visits.get(n, 0.0) for n in pos if kinds.get(n) == "state") if states else 1
    nodes = {}
    for n, (x, y) in pos.items():
        lw = 0.6 + 2.4 * visits.get(n, 0.0) / (biggest or 1.0) if kinds.get(n) == "state" else 1
        nodes[n] = ax.text(
            x, y, label(n), ha="center", va="center", fontsize=8, zorder=3, gid="node",
            bbox={"boxstyle": "round,pad=0.35", "fc": colours.get(kinds.get(n), "#eeeeee"),
                  "ec": "#555555", "lw": lw},
        )  # fmt: skip
    ax.add_artist(_BoxPlacer(list(nodes.values())))
    fig = ax.figure
    fig.canvas.draw()  # places the node boxes, which clip the arrows and block labels
    renderer = fig.canvas.get_renderer()
    taken = [t.get_bbox_patch().get_window_extent(renderer) for t in nodes.values()]
    peak = float(chosen["flow"].max()) if len(chosen) else 1.0
    peak = peak if peak > 0 else 1.0
    to_data = ax.transData.inverted()
    for s, d, p, f in zip(chosen.source, chosen.target, chosen.probability, chosen.flow,
                          strict=True):  # fmt: skip
        outcome = kinds.get(d)
        colour = {"conversion": "#2ca02c", "null": "#d62728"}.get(outcome, "#555555")
        a, b = np.array(ax.transData.transform(pos[s])), np.array(ax.transData.transform(pos[d]))
        same_column = abs(pos[s][0] - pos[d][0]) < 1e-9
        rad = 0.35 if same_column else 0.12
        if s == d:  # a self-loop, over the box
            box = taken[list(nodes).index(s)]
            a = np.array([box.x0 + 0.3 * box.width, box.y1])
            b = np.array([box.x1 - 0.3 * box.width, box.y1])
            rad = -1.6
        arrow = FancyArrowPatch(
            to_data.transform(a), to_data.transform(b),
            patchA=None if s == d else nodes[s].get_bbox_patch(),
            patchB=None if s == d else nodes[d].get_bbox_patch(),
            arrowstyle="-|>,head_length=0.5,head_width=0.25", mutation_scale=12 + 6 * f / peak,
            lw=0.5 + 5.0 * f / peak, connectionstyle=f"arc3,rad={rad}", color=colour,
            alpha=0.75, zorder=2,
        )  # fmt: skip
        ax.add_patch(arrow)
        for t in (0.5, 0.4, 0.6, 0.3, 0.7, 0.22, 0.78):
            at = _bezier_point(a, b, rad, t if s != d else 0.5)
            if s == d:
                at = at + np.array([0.0, 0.6 * (b[0] - a[0])])
            text = ax.text(
                *to_data.transform(at), f"{p:.2f}", ha="center", va="center", fontsize=7,
                zorder=4, gid="edge", color=colour,
                bbox={"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.85},
            )  # fmt: skip
            box = text.get_window_extent(renderer).padded(1.0)
            if not any(box.overlaps(other) for other in taken):
                taken.append(box)
                break
            text.remove()
    drawn = float(chosen["flow"].sum())
    ax.set_title(
        f"Markov chain (order {graph.graph.get('order', 1)}): the {len(chosen)} largest of"
        f" {len(flows)} transitions by flow, {drawn / (total_flow or 1.0):.0%} of all flow",
        fontsize=10,
    )
    ax.text(
        0.5, -0.02,
        "edge width: expected transitions per journey (visits x probability); edge label:"
        " transition probability; under a state: expected visits per journey; under an"
        " outcome: its probability",
        transform=ax.transAxes, ha="center", va="top", fontsize=7, color="#444444",
    )  # fmt: skip
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
