"""Figures: what each draws (bars, whiskers, lines), the data behind them, and bad input."""

from __future__ import annotations

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
