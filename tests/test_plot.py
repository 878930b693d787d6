"""Figures: what each draws (bars, whiskers, lines), the data behind them, and bad input."""

from __future__ import annotations

import functools
import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from attribution_lab import Journeys, LinearAttribution, compare
from attribution_lab.hawkes import PointProcessAttribution
from attribution_lab.plot import (
    plot_comparison,
    plot_convergence,
    plot_error_curve,
    plot_excitation,
)
from attribution_lab.shapley import (
    ExactShapley,
    GloveGame,
    PermutationSampling,
    convergence,
)
from attribution_lab.simulate import simulate


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


@pytest.fixture
def journeys():
    return Journeys.from_paths(
        ["a > b", "b > c", "a", "c > a > b", "b"],
        conversions=[3, 2, 1, 2, 0],
        nulls=[1, 1, 2, 0, 3],
    )


def test_comparison_bars_follow_the_legend_and_carry_whiskers(journeys):
    tidy = compare(journeys, ["first_touch", "linear"], n_boot=20, random_state=0)
    ax = plot_comparison(tidy)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["first_touch", "linear"]
    bars = [c for c in ax.containers if hasattr(c, "patches")]
    first, second = bars[0].patches, bars[1].patches
    # the first model's bar sits above the second's in every channel group
    assert all(p.get_y() > q.get_y() for p, q in zip(first, second, strict=True))
    # whisker ends are the bootstrap interval in shares
    wide = tidy[tidy.model == "linear"].set_index("channel")
    lines = bars[1].errorbar.lines[2][0].get_segments()
    ends = sorted((round(s[0][0], 9), round(s[1][0], 9)) for s in lines)
    total = wide.conversions.sum()
    expect = sorted(
        (round(lo / total, 9), round(hi / total, 9))
        for lo, hi in zip(wide.ci_low, wide.ci_high, strict=True)
    )
    np.testing.assert_allclose(ends, expect)
    # without intervals, no whiskers
    ax = plot_comparison(compare(journeys, ["linear"]))
    assert all(c.errorbar is None for c in ax.containers if hasattr(c, "errorbar"))


def test_convergence_frame_and_plot():
    game = GloveGame(3, 5)
    exact = ExactShapley().estimate(game)
    conv = convergence(
        game, ["permutation", "kernel"], [50, 200, 1000], random_state=1
    )  # 256 coalitions: 1000 is exact
    assert set(conv.budget) == {50, 200, 1000}
    top = conv[conv.budget == 1000]
    assert top.exact.all()
    np.testing.assert_allclose(
        top.groupby("estimator").value.apply(np.asarray).iloc[0], exact.values
    )
    est = conv[~conv.exact]
    assert (est.ci_low <= est.value).all() and (est.value <= est.ci_high).all()
    # same seed, same numbers; runs draw independent streams
    again = convergence(game, ["permutation", "kernel"], [50, 200, 1000], random_state=1)
    pd.testing.assert_frame_equal(conv, again)
    axes = plot_convergence(
        conv, players=["L0", "R0"], exact=dict(zip(exact.player_names, exact.values, strict=True))
    )
    assert len(axes) == 2 and axes[0].get_ylabel() == "L0"
    dashed = [ln for ln in axes[0].get_lines() if ln.get_linestyle() == "--"]
    assert dashed and dashed[0].get_ydata()[0] == pytest.approx(exact.values[0])
    with pytest.raises(ValueError, match="players"):
        plot_convergence(conv, players=["nobody"])
    with pytest.raises(ValueError, match="lacks columns"):
        plot_convergence(conv.drop(columns="ci_low"))
    with pytest.raises(ValueError, match="unknown estimator"):
        convergence(game, ["bogus"], [100])
    with pytest.raises(ValueError, match="every budget is below"):
        convergence(game, ["permutation"], [3])


def test_error_curve_averages_seeds_per_panel():
    runs = pd.DataFrame(
        {
            "scenario": ["s"] * 6 + ["t"] * 2,
            "model": ["a", "a", "a", "a", "b", "b", "a", "b"],
            "n_journeys": [100, 100, 1000, 1000, 100, 1000, 100, 100],
            "tv": [0.2, 0.4, 0.05, 0.07, 0.5, 0.3, 0.1, 0.2],
        }
    )
    axes = plot_error_curve(runs)
    assert [a.get_title() for a in axes] == ["s", "t"]
    line = axes[0].get_lines()[0]
    np.testing.assert_allclose(line.get_ydata(), [0.3, 0.06])
    with pytest.raises(ValueError, match="lacks columns"):
        plot_error_curve(runs, y="rank_corr")


def test_shapley_result_plot_whiskers():
    r = PermutationSampling().estimate(GloveGame(4, 6), budget=400, random_state=0)
    ax = r.plot(level=0.9)
    low, high = r.interval(0.9)
    bars = next(c for c in ax.containers if hasattr(c, "errorbar"))
    segs = bars.errorbar.lines[2][0].get_segments()
    spans = sorted(round(s[1][0] - s[0][0], 9) for s in segs)
    np.testing.assert_allclose(spans, sorted(np.round(high - low, 9)))


def test_excitation_heatmap_and_split_bars_render_to_a_file(tmp_path):
    journeys = simulate("point_process", 3_000, random_state=0).journeys
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # decays of quiet channels at the edge
        model = PointProcessAttribution(n_draws=4, random_state=0).fit(journeys)
    result = model.attribute()
    heat, bars = model.plot_excitation(result)
    path = tmp_path / "excitation.png"
    heat.figure.savefig(path)
    assert path.stat().st_size > 10_000
    names = list(journeys.channel_names)
    assert [t.get_text() for t in heat.get_yticklabels()] == names
    assert [t.get_text() for t in heat.get_xticklabels()] == names
    # one annotation per cell, row by row: alpha[source, target]
    cells = [t.get_text() for t in heat.texts]
    assert cells == [f"{v:.2f}" for v in model.alpha_.to_numpy().ravel()]
    # the direct and mediated parts add up to the credit, in the removal effect's proportions
    direct, mediated = (c for c in bars.containers if hasattr(c, "patches"))
    d = np.array([p.get_width() for p in direct.patches])
    m = np.array([p.get_width() for p in mediated.patches])
    np.testing.assert_allclose(d + m, result.conversions)
    removal = result.details["removal_effect"]
    share = np.clip(result.details["direct"] / removal, 0, 1)
    np.testing.assert_allclose(d, result.conversions * share)
    np.testing.assert_allclose([p.get_x() for p in mediated.patches], d)
    # the credit's interval is the whisker
    segs = bars.containers[-1].lines[2][0].get_segments()
    np.testing.assert_allclose([s[0][0] for s in segs], result.ci_low)
    np.testing.assert_allclose([s[1][0] for s in segs], result.ci_high)
    # bars in the heatmap's row order, first channel on top
    assert [t.get_text() for t in bars.get_yticklabels()] == names
    assert bars.get_ylim()[0] > bars.get_ylim()[1]
    # onto given axes
    _, given = plt.subplots(1, 2)
    assert list(plot_excitation(model, result, given)) == list(given)
    with pytest.raises(ValueError, match="two Axes"):
        plot_excitation(model, result, given[:1])
    with pytest.raises(ValueError, match="lacks details"):
        plot_excitation(model, LinearAttribution().fit(journeys).attribute())
    with pytest.raises(TypeError, match="fitted PointProcessAttribution"):
        plot_excitation(PointProcessAttribution(), result)


# ------------------------------------------------------------- every figure, to a file
def _timed(n: int = 3_000):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return simulate("decay", n, random_state=11, half_lives=7.0)


def _b2b():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return simulate("b2b", 400, random_state=0).journeys


def _figures() -> dict:
    """Every plotting function and ``plot`` method of the package (by file:qualname), each
    as a function drawing it on small data."""
    from attribution_lab import (
        MarkovAttribution,
        agreement,
        calibrate_position_weights,
        calibrate_time_decay,
        describe,
    )
    from attribution_lab import analytics as an
    from attribution_lab.markov import select_order
    from attribution_lab.plot import (
        plot_agreement,
        plot_share_heatmap,
        plot_transition_graph,
    )

    paths = Journeys.from_paths(
        ["a > b", "b > c", "a", "c > a > b", "b", "a > c"],
        conversions=[30, 20, 10, 20, 5, 8],
        nulls=[10, 10, 20, 5, 30, 12],
    )

    @functools.cache
    def point_process():
        j = simulate("point_process", 3_000, random_state=0).journeys
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            model = PointProcessAttribution(n_draws=4, random_state=0).fit(j)
        return model, model.attribute()

    return {
        "plot.py:plot_agreement": lambda: plot_agreement(
            agreement(compare(paths, ["first_touch", "linear", "markov"])).distance
        ),
        "plot.py:plot_comparison": lambda: plot_comparison(
            compare(paths, ["first_touch", "linear"], n_boot=5, random_state=0)
        ),
        "plot.py:plot_convergence": lambda: plot_convergence(
            convergence(GloveGame(2, 3), ["permutation"], [20, 40], random_state=0)
        ),
        "plot.py:plot_error_curve": lambda: plot_error_curve(
            pd.DataFrame(
                {
                    "scenario": ["s"] * 2,
                    "model": ["a"] * 2,
                    "n_journeys": [10, 100],
                    "tv": [0.3, 0.1],
                }
            )
        ),
        "plot.py:plot_excitation": lambda: plot_excitation(*point_process()),
        "plot.py:plot_share_heatmap": lambda: plot_share_heatmap(
            compare(paths, ["first_touch", "linear"], n_boot=5, random_state=0)
        ),
        "plot.py:plot_transition_graph": lambda: plot_transition_graph(
            MarkovAttribution(order=2).fit(paths).graph_
        ),
        "result.py:AttributionResult.plot": lambda: (
            LinearAttribution().fit(paths).attribute().plot()
        ),
        "evaluate.py:AgreementResult.plot": lambda: agreement(
            compare(paths, ["first_touch", "linear"])
        ).plot(),
        "markov/model.py:MarkovAttribution.plot_graph": lambda: (
            MarkovAttribution().fit(paths).plot_graph()
        ),
        "markov/order.py:OrderSelection.plot": lambda: select_order(
            simulate("markov", 2_000, random_state=3).journeys, max_order=2, random_state=0
        ).plot(),
        "calibrate/results.py:HalfLifeResult.plot": lambda: calibrate_time_decay(
            _timed().journeys, n_grid=7
        ).plot(),
        "calibrate/results.py:PositionWeightsResult.plot": lambda: calibrate_position_weights(
            paths, "linear", n_boot=3, random_state=0
        ).plot(),
        "shapley/base.py:ShapleyResult.plot": lambda: (
            PermutationSampling().estimate(GloveGame(2, 3), budget=60, random_state=0).plot()
        ),
        "hawkes/model.py:PointProcessAttribution.plot_excitation": lambda: (
            lambda m, r: m.plot_excitation(r)
        )(*point_process()),
        "analytics/overview.py:DescribeResult.plot": lambda: describe(_timed().journeys).plot(),
        "analytics/results.py:PathsResult.plot": lambda: an.top_paths(paths).plot(),
        "analytics/results.py:PathLengthsResult.plot": lambda: an.path_lengths(paths).plot(),
        "analytics/results.py:TimeToConversionResult.plot": lambda: an.time_to_conversion(
            _timed().journeys
        ).plot(),
        "analytics/results.py:ChannelStatsResult.plot": lambda: an.channel_stats(paths).plot(),
        "analytics/results.py:OverlapResult.plot": lambda: an.channel_overlap(paths).plot(),
        "analytics/results.py:TransitionsResult.plot": lambda: an.transitions(paths).plot(),
        "analytics/results.py:FunnelResult.plot": lambda: an.funnel(_b2b()).plot(),
    }


#: plot methods that only raise NotImplementedError (every subclass overrides them)
ABSTRACT = {"analytics/results.py:AnalyticsResult.plot"}


def _plotting_definitions() -> set[str]:
    """file:qualname of every function or method named plot or plot_* in the package."""
    import ast
    from pathlib import Path

    import attribution_lab

    root = Path(attribution_lab.__file__).parent
    found = set()
    for path in root.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        rel = path.relative_to(root).as_posix()
        for node in tree.body:
            items = [(None, node)]
            if isinstance(node, ast.ClassDef):
                items = [(node.name, n) for n in node.body]
            for owner, fn in items:
                if isinstance(fn, ast.FunctionDef) and (
                    fn.name == "plot" or fn.name.startswith("plot_")
                ):
                    found.add(f"{rel}:{owner + '.' if owner else ''}{fn.name}")
    return found


def test_every_plot_of_the_package_has_a_rendering_test():
    missing = _plotting_definitions() - set(_figures()) - ABSTRACT
    assert missing == set(), "add these to _figures()"


@pytest.mark.parametrize("name", sorted(_figures()))
def test_every_plot_renders_to_a_file(name, tmp_path):
    drawn = _figures()[name]()
    first = np.asarray(drawn, dtype=object).ravel()[0]
    fig = getattr(first, "figure", first)
    for ext in ("png", "svg"):
        path = tmp_path / f"figure.{ext}"
        fig.savefig(path)
        assert path.stat().st_size > 2_000, ext


# ------------------------------------------------------------------ legible figures
def test_comparison_never_repeats_a_colour():
    from attribution_lab import available_models
    from attribution_lab.datasets import load_pathdata

    j = load_pathdata().aggregate()
    names = list(available_models(j))
    assert len(names) > 10  # more models than the default ten-colour cycle
    ax = plot_comparison(compare(j, names))
    colours = [c.patches[0].get_facecolor() for c in ax.containers if hasattr(c, "patches")]
    assert len(colours) == len(names) == len(set(colours))


def test_distinct_colours():
    from attribution_lab.plot import distinct_colours

    for n in (0, 1, 10, 11, 20, 21, 60):
        assert len(set(distinct_colours(n))) == n
    with pytest.raises(ValueError, match="non-negative integer"):
        distinct_colours(-1)


def test_share_heatmap_cells_and_intervals(journeys):
    from attribution_lab.plot import plot_share_heatmap

    tidy = compare(journeys, ["first_touch", "linear"], n_boot=10, random_state=0)
    ax = plot_share_heatmap(tidy)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["first_touch", "linear"]
    channels = [t.get_text() for t in ax.get_xticklabels()]
    image = ax.get_images()[0].get_array()
    for i, model in enumerate(["first_touch", "linear"]):
        rows = tidy[tidy.model == model].set_index("channel")
        np.testing.assert_allclose(image[i], rows.loc[channels, "share"])
    # each cell: the share, then its interval in percent
    first = ax.texts[0].get_text().split("\n")
    row = tidy[(tidy.model == "first_touch") & (tidy.channel == channels[0])].iloc[0]
    total = tidy[tidy.model == "first_touch"].conversions.sum()
    assert first[0] == f"{row.share:.1%}"
    assert first[1] == f"{100 * row.ci_low / total:.1f}-{100 * row.ci_high / total:.1f}"
    # channels by mean share, largest first
    means = tidy.groupby("channel").share.mean()
    assert channels == list(means.sort_values(ascending=False, kind="stable").index)
    with pytest.raises(ValueError, match="lacks columns"):
        plot_share_heatmap(tidy.drop(columns="share"))


def test_transition_flows_by_hand():
    from attribution_lab import MarkovAttribution
    from attribution_lab.plot import transition_flows

    # 4 journeys: A>B converts, A>B null, B null, B null
    j = Journeys.from_paths(["A > B", "B"], conversions=[1, 0], nulls=[1, 2])
    flows = transition_flows(MarkovAttribution().fit(j).graph_).set_index(["source", "target"])
    # expected visits per journey: A 0.5, B 1; flow = visits x probability = count / 4
    assert flows.loc[("(start)", "A"), "flow"] == pytest.approx(0.5)
    assert flows.loc[("A", "B"), "flow"] == pytest.approx(0.5)
    assert flows.loc[("B", "(null)"), "flow"] == pytest.approx(0.75)
    assert flows.loc[("B", "(conversion)"), "flow"] == pytest.approx(0.25)
    assert flows.loc[("A", "B"), "visits"] == pytest.approx(0.5)
    # mean step: A is reached after 0 touches... B after 0.5 (half the time after A)
    assert flows.loc[("A", "B"), "step"] == pytest.approx(1.0)
    assert flows.loc[("B", "(null)"), "step"] == pytest.approx(1.5)
    assert flows.flow.is_monotonic_decreasing


def _random_journeys(seed: int) -> Journeys:
    rng = np.random.default_rng(seed)
    names = list("abcdef")
    paths = [" > ".join(rng.choice(names, rng.integers(1, 6))) for _ in range(400)]
    conv = rng.integers(0, 2, 400)
    return Journeys.from_paths(paths, conversions=conv, nulls=1 - conv)


def test_transition_flows_equal_edge_counts_per_journey():
    # for a chain fitted from counts, expected traversals per journey = count / journeys
    from attribution_lab import MarkovAttribution
    from attribution_lab.plot import transition_flows

    for order in (1, 2):
        graph = MarkovAttribution(order=order).fit(_random_journeys(order)).graph_
        flows = transition_flows(graph)
        counts = np.array(
            [graph.edges[s, d]["count"] for s, d in zip(flows.source, flows.target, strict=True)]
        )
        np.testing.assert_allclose(flows.flow, counts / 400, rtol=1e-9)


@pytest.mark.parametrize("order", [1, 2, 3])
def test_transition_graph_is_legible(order):
    from attribution_lab import MarkovAttribution
    from attribution_lab.datasets import load_pathdata
    from attribution_lab.plot import transition_flows

    model = MarkovAttribution(order=order).fit(load_pathdata().aggregate())
    ax = model.plot_graph(top=20)
    nodes = [t for t in ax.texts if t.get_gid() == "node"]
    names = [t.get_text().split("\n")[0] for t in nodes]
    # the three special states always, (start) left of every state, outcomes right
    for special in ("(start)", "(conversion)", "(null)"):
        assert special in names
    x = {n: t.get_position()[0] for n, t in zip(names, nodes, strict=True)}
    states = [n for n in names if not n.startswith("(")]
    assert all(x["(start)"] < x[s] < x["(conversion)"] == x["(null)"] for s in states)
    # drawn edges: the largest by flow (plus the outcomes' largest when outside the top)
    flows = transition_flows(model.graph_)
    arrows = [p for p in ax.patches if type(p).__name__ == "FancyArrowPatch"]
    assert 20 <= len(arrows) <= 22
    drawn_states = set(flows.head(20)[["source", "target"]].to_numpy().ravel())
    assert drawn_states <= set(names)
    # no label overlaps another (boxes of states and outcomes, and edge labels)
    fig = ax.figure
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    boxes = [
        (t.get_bbox_patch() or t).get_window_extent(renderer)
        for t in ax.texts
        if t.get_gid() in ("node", "edge")
    ]
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert not a.overlaps(b)
    assert sum(t.get_gid() == "edge" for t in ax.texts) >= 10  # most edges keep a label


def test_transition_graph_bad_input(journeys):
    from attribution_lab import MarkovAttribution
    from attribution_lab.plot import plot_transition_graph, transition_flows

    graph = MarkovAttribution().fit(journeys).graph_
    with pytest.raises(ValueError, match="top"):
        plot_transition_graph(graph, top=0)
    with pytest.raises(TypeError, match="DiGraph"):
        transition_flows({"a": 1})
