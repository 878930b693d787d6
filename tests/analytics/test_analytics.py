"""Journey analytics: hand-computed answers, a per-journey reference loop, errors, plots, CLI."""

from __future__ import annotations

import argparse
import json
from collections import Counter, defaultdict
from itertools import pairwise

import matplotlib
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from statsmodels.stats.proportion import proportion_confint

from attribution_lab import Journeys
from attribution_lab.analytics import (
    ANY_CHANNEL,
    DescribeResult,
    channel_overlap,
    channel_stats,
    describe,
    funnel,
    path_lengths,
    time_to_conversion,
    top_paths,
    transitions,
    wilson_interval,
)
from attribution_lab.analytics._common import _quantiles
from attribution_lab.cli.describe import add_describe_parser

matplotlib.use("Agg")
import matplotlib.pyplot as plt

# The CLI test table: 19 customers, 7 conversions, channels A, B, C.
PATHS = ["A > B > C", "A > C", "B", "C > A", "B > C > C"]
CONV = [3, 1, 0, 2, 1]
NULLS = [2, 4, 5, 1, 0]


@pytest.fixture
def known():
    return Journeys.from_paths(PATHS, conversions=CONV, nulls=NULLS)


@pytest.fixture
def with_unused():
    """The known journeys with a fourth channel D that no journey touches."""
    k = Journeys.from_paths(PATHS, conversions=CONV, nulls=NULLS)
    return Journeys(k.channels, k.offsets, ["A", "B", "C", "D"], CONV, NULLS)


@pytest.fixture
def timed():
    """Three journeys with times and end times; the last is a one-touch conversion."""
    return Journeys.from_paths(
        [["A", "B", "A"], ["B", "C"], ["C"]],
        conversions=[1, 0, 1],
        nulls=[0, 1, 0],
        times=[[0.0, 2.0, 5.0], [1.0, 4.0], [10.0]],
        end_time=[7.0, 30.0, 10.0],
    )


@pytest.fixture
def b2b():
    """Milestones by hand: a won deal, a stalled lead, a fresh visitor, a young opportunity
    and a deal won without an opportunity."""
    paths = [
        ["email", "sales", "sales"],
        ["email", "email"],
        ["display"],
        ["email", "sales"],
        ["email", "sales"],
    ]
    times = [[0.0, 10.0, 20.0], [0.0, 50.0], [5.0], [0.0, 80.0], [3.0, 9.0]]
    lead = [[True, False, False], [True, False], [False], [True, False], [True, False]]
    opp = [[False, True, False], [False, False], [False], [False, True], [False, False]]
    won = [[False, False, True], [False, False], [False], [False, False], [False, True]]
    base = Journeys.from_paths(
        paths,
        conversions=[1, 0, 0, 0, 1],
        nulls=[0, 1, 1, 1, 0],
        times=times,
        end_time=[25.0, 100.0, 20.0, 100.0, 9.0],
    )

    def flat(rows):
        return np.array([f for row in rows for f in row])

    return Journeys(
        base.channels,
        base.offsets,
        base.channel_names,
        base.conversions,
        base.nulls,
        times=base.times,
        end_time=base.end_time,
        milestones={"lead": flat(lead), "opportunity": flat(opp), "closed_won": flat(won)},
    )


def row(frame, **where):
    mask = np.ones(len(frame), dtype=bool)
    for k, v in where.items():
        mask &= (frame[k] == v).to_numpy()
    assert mask.sum() == 1, where
    return frame[mask].iloc[0]


# ----------------------------------------------------------------------------- Wilson
@pytest.mark.parametrize("level", [0.8, 0.95, 0.99])
def test_wilson_matches_statsmodels(level):
    n = np.array([1, 2, 5, 10, 10, 10, 37, 1000, 3.5])
    x = np.array([0, 1, 5, 0, 3, 10, 12, 1, 1.5])
    low, high = wilson_interval(x, n, level)
    ref_low, ref_high = proportion_confint(x, n, alpha=1 - level, method="wilson")
    np.testing.assert_allclose(low, ref_low, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(high, ref_high, rtol=1e-12, atol=1e-15)


def test_wilson_by_hand_and_edge_cases():
    # 5 of 10 at 95%: z = 1.959964; centre 0.5; half = z sqrt(0.025 + z^2/400) / (1 + z^2/10)
    z = 1.959963984540054
    half = z * np.sqrt(0.25 / 10 + z * z / 400) / (1 + z * z / 10)
    low, high = wilson_interval(5, 10)
    assert low == pytest.approx(0.5 - half) and high == pytest.approx(0.5 + half)
    low, high = wilson_interval([0, 4, 0], [4, 4, 0])
    assert low[0] == 0 and high[1] == 1  # stays in [0, 1] at the ends
    assert np.isnan(low[2]) and np.isnan(high[2])  # no trials, no interval


def test_wilson_contains_the_rate_exactly():
    # rounding once put p = 0 of 3 journeys 5.6e-17 below the interval, and the paths
    # figure's error bars failed on the negative length
    n = np.arange(1, 400, dtype=float)
    for x in (np.zeros_like(n), n, np.floor(n / 3)):
        low, high = wilson_interval(x, n)
        assert (low <= x / n).all() and (x / n <= high).all()
    simulated = pytest.importorskip("attribution_lab.simulate").simulate("b2b", 400, random_state=0)
    top_paths(simulated.journeys).plot()


@pytest.mark.parametrize(
    ("x", "n", "level", "error"),
    [
        ([3], [2], 0.95, "between 0 and trials"),
        ([-1], [2], 0.95, "between 0 and trials"),
        ([1, 2], [3], 0.95, "shape"),
        ([np.nan], [2], 0.95, "finite"),
        ([1], [2], 1.0, "ci_level"),
        ([1], [2], True, "ci_level"),
    ],
)
def test_wilson_rejects_bad_input(x, n, level, error):
    with pytest.raises(ValueError, match=error):
        wilson_interval(x, n, level)


@given(seed=st.integers(0, 2**32 - 1))
@settings(max_examples=50, deadline=None)
def test_weighted_quantiles_equal_numpy_on_the_expanded_sample(seed):
    rng = np.random.default_rng(seed)
    x = np.round(rng.normal(size=rng.integers(1, 12)), 1)  # ties included
    w = rng.integers(0, 4, x.size).astype(float)
    w[rng.integers(x.size)] = 1.0
    qs = [0.0, 0.1, 0.25, 0.5, 0.9, 1.0]
    expected = np.quantile(np.repeat(x, w.astype(int)), qs)
    np.testing.assert_allclose(_quantiles(x, w, qs), expected, rtol=1e-12, atol=1e-12)
    # unit weights take numpy's own path
    np.testing.assert_allclose(_quantiles(x, np.ones(x.size), qs), np.quantile(x, qs))


# ----------------------------------------------------------------------------- known answers
def test_top_paths_by_hand(known):
    t = top_paths(known).table
    # three paths of 5 journeys keep their order of first appearance
    assert t["path"].tolist() == ["A > B > C", "A > C", "B", "C > A", "B > C > C"]
    assert t["journeys"].tolist() == [5, 5, 5, 3, 1]
    assert t["touches"].tolist() == [3, 2, 1, 2, 3]
    assert t["conversion_rate"].tolist() == pytest.approx([0.6, 0.2, 0.0, 2 / 3, 1.0])
    assert t["share"].tolist() == pytest.approx(np.array([5, 5, 5, 3, 1]) / 19)
    low, high = proportion_confint(t["conversions"], t["journeys"], method="wilson")
    np.testing.assert_allclose(t["ci_low"], low)
    np.testing.assert_allclose(t["ci_high"], high)

    r = top_paths(known, 2, by="conversion_rate", min_support=3)
    assert r.table["path"].tolist() == ["C > A", "A > B > C"]
    assert (r.n_paths, r.n_supported) == (5, 4)
    assert r.overall_rate == pytest.approx(7 / 19)
    # by the interval's lower end the 1-journey path no longer wins
    t = top_paths(known, None, by="ci_low").table
    order = np.argsort(-proportion_confint(t["conversions"], t["journeys"], method="wilson")[0])
    assert t.index.tolist() == order.tolist()
    assert t["path"].iloc[-1] == "B"
    assert top_paths(known, by="conversions").table["path"].iloc[0] == "A > B > C"


def test_top_paths_merge_repeated_rows_and_ignore_milestones():
    j = Journeys(
        [0, 1, 0, 1, 1],
        [0, 2, 4, 5],
        ["a", "b"],
        [1, 0, 0],
        [0, 1, 1],
        [4.0, 0, 0],
        milestones={"lead": np.array([True, False, False, False, False])},
    )
    t = top_paths(j).table
    assert t["path"].tolist() == ["a > b", "b"]
    assert t["journeys"].tolist() == [2, 1]
    assert t["value"].tolist() == [4.0, 0.0]


def test_path_lengths_by_hand(known):
    r = path_lengths(known)
    t = r.table
    conv = t[(t["measure"] == "touches") & (t["outcome"] == "converted")]
    assert dict(zip(conv["length"], conv["journeys"], strict=True)) == {2: 3, 3: 4}
    null = t[(t["measure"] == "touches") & (t["outcome"] == "not converted")]
    assert dict(zip(null["length"], null["journeys"], strict=True)) == {1: 5, 2: 5, 3: 2}
    distinct = t[(t["measure"] == "channels") & (t["outcome"] == "converted")]
    # B > C > C has 3 touches but 2 channels
    assert dict(zip(distinct["length"], distinct["journeys"], strict=True)) == {2: 4, 3: 3}
    s = r.summary
    got = row(s, measure="touches", outcome="converted")
    assert got["journeys"] == 7 and got["mean"] == pytest.approx(18 / 7)
    assert got["median"] == 3 and got["max"] == 3
    got = row(s, measure="touches", outcome="all")
    # 19 values: five 1s, eight 2s, six 3s
    assert got["median"] == 2 and got["p90"] == 3
    assert got["mean"] == pytest.approx((5 + 16 + 18) / 19)
    assert t.groupby(["measure", "outcome"])["share"].sum().to_numpy() == pytest.approx(1.0)


def test_channel_stats_by_hand(with_unused):
    t = channel_stats(with_unused).table.set_index("channel")
    assert t["journeys"].tolist() == [13, 11, 14, 0]
    assert t["touches"].tolist() == [13, 11, 15, 0]
    assert t.loc["C", "touches_per_journey"] == pytest.approx(15 / 14)
    assert t["first"].tolist() == pytest.approx(np.array([10, 6, 3, 0]) / 19)
    assert t["last"].tolist() == pytest.approx(np.array([3, 5, 11, 0]) / 19)
    # middle touches: B in A > B > C (5 customers), C in B > C > C (1)
    assert t["assisting"].tolist() == pytest.approx(np.array([0, 5, 1, 0]) / 19)
    assert t["conversions"].tolist() == [6, 4, 7, 0]
    assert t["conversion_rate"].iloc[:3].tolist() == pytest.approx([6 / 13, 4 / 11, 0.5])
    assert t["reach"].tolist() == pytest.approx(np.array([13, 11, 14, 0]) / 19)
    # the channel never touched: zero counts, no rate, no interval
    assert t.loc["D", ["conversion_rate", "ci_low", "ci_high", "touches_per_journey"]].isna().all()
    assert t["first"].sum() == pytest.approx(1) and t["last"].sum() == pytest.approx(1)


def test_one_touch_journey_is_first_and_last_never_assisting():
    j = Journeys.from_paths(["a", "b > a"], conversions=[1, 0], nulls=[0, 1])
    t = channel_stats(j).table.set_index("channel")
    assert t.loc["a", ["first", "last", "assisting"]].tolist() == [0.5, 1.0, 0.0]
    assert t.loc["b", ["first", "last", "assisting"]].tolist() == [0.5, 0.0, 0.0]
    tr = transitions(j)
    assert row(tr.table, **{"from": "a", "to": "(conversion)"})["transitions"] == 1
    assert row(tr.table, **{"from": "(start)", "to": "a"})["share"] == 0.5


def test_overlap_by_hand(with_unused):
    r = channel_overlap(with_unused)
    both = r.matrix("journeys")
    assert both.loc["A", "B"] == 5 and both.loc["A", "C"] == 13 and both.loc["B", "C"] == 6
    assert np.diag(both.to_numpy()).tolist() == [13, 11, 14, 0]
    np.testing.assert_array_equal(both.to_numpy(), both.to_numpy().T)
    assert r.matrix().loc["A", "B"] == pytest.approx(5 / 13)
    assert r.matrix().loc["B", "A"] == pytest.approx(5 / 11)
    assert r.matrix("jaccard").loc["A", "B"] == pytest.approx(5 / (13 + 11 - 5))
    assert r.matrix().loc["D"].isna().all()  # no journeys with D: no share
    assert r.matrix("jaccard").loc["A", "D"] == 0


def test_transitions_by_hand(with_unused):
    r = transitions(with_unused)
    t = r.table
    counts = {(f, to): n for f, to, n in zip(t["from"], t["to"], t["transitions"], strict=True)}
    assert counts == {
        ("(start)", "A"): 10,
        ("(start)", "B"): 6,
        ("(start)", "C"): 3,
        ("A", "B"): 5,
        ("A", "C"): 5,
        ("A", "(conversion)"): 2,
        ("A", "(null)"): 1,
        ("B", "C"): 6,
        ("B", "(null)"): 5,
        ("C", "A"): 3,
        ("C", "C"): 1,
        ("C", "(conversion)"): 5,
        ("C", "(null)"): 6,
    }
    s = r.summary.set_index("channel")
    assert s["transitions"].tolist() == [13, 11, 15, 0]
    # A -> B and A -> C tie at 5: the first channel wins
    assert s["next_channel"].iloc[:3].tolist() == ["B", "C", "A"]
    assert s.loc["C", "next_share"] == pytest.approx(3 / 15)
    assert s.loc["C", "self_share"] == pytest.approx(1 / 15)
    assert s.loc["C", "null_share"] == pytest.approx(6 / 15)
    assert s.loc["D", ["next_share", "self_share", "conversion_share"]].isna().all()
    assert pd.isna(s.loc["D", "next_channel"])
    assert r.matrix().sum(axis=1).to_numpy()[:4] == pytest.approx(1.0)

    merged = transitions(with_unused, drop_repeats=True, ends=False)
    t = merged.table
    assert "(start)" not in set(t["from"]) and "(null)" not in set(t["to"])
    assert set(zip(t["from"], t["to"], strict=True)) == {
        ("A", "B"),
        ("A", "C"),
        ("B", "C"),
        ("C", "A"),
    }
    assert merged.summary["conversion_share"].isna().all()


def test_time_to_conversion_by_hand(timed):
    r = time_to_conversion(timed)
    assert r.available and r.end == "end_time"
    t = r.table
    got = row(t, channel=ANY_CHANNEL, outcome="converted")
    assert got["journeys"] == 2 and got["median_days"] == 3.5 and got["mean_days"] == 3.5
    assert row(t, channel=ANY_CHANNEL, outcome="not converted")["median_days"] == 29
    assert row(t, channel="A", outcome="converted")["median_days"] == 7  # first A at 0
    assert row(t, channel="B", outcome="converted")["median_days"] == 5
    assert row(t, channel="B", outcome="not converted")["median_days"] == 29
    assert row(t, channel="C", outcome="converted")["median_days"] == 0  # one-touch journey
    assert row(t, channel="C", outcome="not converted")["median_days"] == 26
    got = row(t, channel="A", outcome="not converted")
    assert got["journeys"] == 0 and np.isnan(got["median_days"])
    h = r.histogram
    assert h.groupby("outcome")["journeys"].sum().to_dict() == {"converted": 2, "not converted": 1}

    # without end times the days run to the last touch
    bare = Journeys(timed.channels, timed.offsets, timed.channel_names, [1, 0, 1], [0, 1, 0],
                    times=timed.times)  # fmt: skip
    r = time_to_conversion(bare)
    assert r.end == "last touch"
    assert row(r.table, channel=ANY_CHANNEL, outcome="converted")["median_days"] == 2.5
    assert row(r.table, channel=ANY_CHANNEL, outcome="not converted")["median_days"] == 3


def test_time_figures_without_timestamps_say_unavailable(known, b2b):
    r = time_to_conversion(known)
    assert not r.available
    assert r.table.empty and list(r.table.columns)[:3] == ["channel", "outcome", "journeys"]
    assert "no touch times" in r.message
    assert "unavailable" in r.to_text()
    assert repr(r) == "TimeToConversionResult(0 rows, unavailable)"
    f = funnel(known)
    assert f.table["stage"].tolist() == ["first_touch", "conversion"]
    assert f.table["journeys"].tolist() == [19, 7]
    assert f.table["conversion_rate"].iloc[1] == pytest.approx(7 / 19)
    assert f.table["open"].iloc[0] == 12
    assert f.table[["median_days", "p90_days", "stalled"]].isna().all().all()
    assert "unavailable" in f.message
    # milestones without times: counts stay, days go
    untimed = Journeys(b2b.channels, b2b.offsets, b2b.channel_names, b2b.conversions,
                       b2b.nulls, milestones=b2b.milestones)  # fmt: skip
    t = funnel(untimed).table
    assert t["journeys"].tolist() == [5, 4, 2, 2]
    assert t["median_days"].isna().all()


def test_funnel_by_hand(b2b):
    r = funnel(b2b, stall_days=30)
    t = r.table.set_index("stage")
    assert t.index.tolist() == ["first_touch", "lead", "opportunity", "closed_won"]
    assert t["journeys"].tolist() == [5, 4, 2, 2]
    assert t["from_previous"].iloc[1:].tolist() == [4, 2, 1]
    assert t.loc["closed_won", "without_previous"] == 1  # the deal won without an opportunity
    assert t["conversion_rate"].iloc[1:].tolist() == pytest.approx([4 / 5, 2 / 4, 1 / 2])
    low, high = proportion_confint(2, 4, method="wilson")
    assert t.loc["opportunity", ["ci_low", "ci_high"]].tolist() == pytest.approx([low, high])
    assert t.loc["lead", "median_days"] == 0  # every lead came with the first touch
    # lead -> opportunity: 10 and 80 days
    assert t.loc["opportunity", "median_days"] == 45
    assert t.loc["opportunity", "p90_days"] == pytest.approx(10 + 0.9 * 70)
    assert t.loc["opportunity", "median_days_from_start"] == 45
    assert t.loc["closed_won", "median_days"] == 10
    assert t.loc["closed_won", "median_days_from_start"] == pytest.approx((20 + 6) / 2)
    # open journeys: display (15 days, fresh), email lead (100 days: stalled),
    # opportunity at 80 seen until 100 (20 days)
    assert t["open"].tolist()[:3] == [1, 1, 1]
    assert t["stalled"].tolist()[:3] == [0, 1, 0]
    assert np.isnan(t.loc["closed_won", "open"]) and np.isnan(t.loc["closed_won", "stalled"])
    assert r.as_of == "end_time"

    late = funnel(b2b, stall_days=30, as_of=200.0).table
    assert late["stalled"].tolist()[:3] == [1, 1, 1]
    strict = funnel(b2b, stall_days=0).table
    assert strict["stalled"].tolist()[:3] == [1, 1, 1]

    # explicit stages and the conversion stage
    t = funnel(b2b, ["lead", "conversion"]).table.set_index("stage")
    assert t["journeys"].tolist() == [5, 4, 2]
    assert t.loc["conversion", "median_days"] == pytest.approx((25 + 9 - 3) / 2)


def test_funnel_accepts_datetimes():
    start = np.datetime64("2024-01-01")
    times = start + np.array([0, 10], dtype="timedelta64[D]")
    j = Journeys([0, 0], [0, 1, 2], ["a"], [0, 0], [1, 1], times=times,
                 milestones={"lead": np.array([True, True])})  # fmt: skip
    t = funnel(j, stall_days=20, as_of="2024-01-25").table
    # at lead since day 0 and day 10: 24 and 14 days by Jan 25
    assert t["stalled"].iloc[1] == 1
    assert funnel(j, stall_days=20, as_of=pd.Timestamp("2024-02-15")).table["stalled"].iloc[1] == 2


def test_aggregated_and_raw_journeys_give_the_same_tables(known):
    # expand the path table into one row per customer
    rep = np.asarray(CONV) + np.asarray(NULLS)
    paths = np.repeat(PATHS, rep)
    conv = np.concatenate([[1] * c + [0] * n for c, n in zip(CONV, NULLS, strict=True)])
    raw = Journeys.from_paths(list(paths), conversions=conv, nulls=1 - conv)
    for f in (channel_stats, channel_overlap, transitions):
        pd.testing.assert_frame_equal(f(raw).table, f(known).table)
    pd.testing.assert_frame_equal(path_lengths(raw).summary, path_lengths(known).summary)
    pd.testing.assert_frame_equal(top_paths(raw).table, top_paths(known).table)
    pd.testing.assert_frame_equal(funnel(raw).table, funnel(known).table)


# ----------------------------------------------------------------------------- reference
def random_journeys(seed: int) -> Journeys:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 40))
    n_channels = int(rng.integers(1, 6))
    used = max(1, n_channels - int(rng.integers(0, 2)))  # sometimes a channel is never touched
    lengths = rng.integers(1, 7, n)
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    channels = rng.integers(0, used, offsets[-1])
    conv = rng.integers(0, 3, n).astype(float)
    nulls = rng.integers(0, 3, n).astype(float)
    nulls[(conv == 0) & (nulls == 0)] = 1
    value = np.round(conv * rng.random(n) * 10, 2)
    gaps = np.round(rng.exponential(3.0, offsets[-1]), 1)  # ties: zero gaps
    times = np.empty(offsets[-1])
    for a, b in pairwise(offsets):
        times[a:b] = rng.uniform(0, 50) + np.cumsum(gaps[a:b])
    end_time = times[offsets[1:] - 1] + np.round(rng.exponential(5.0, n), 1)
    milestones = {
        "lead": rng.random(offsets[-1]) < 0.3,
        "opportunity": rng.random(offsets[-1]) < 0.2,
        "closed_won": rng.random(offsets[-1]) < 0.1,
    }
    return Journeys(
        channels,
        offsets,
        [f"c{k}" for k in range(n_channels)],
        conv,
        nulls,
        value,
        times=times,
        end_time=end_time,
        milestones=milestones,
    )


def each_journey(j):
    for i in range(j.n_journeys):
        a, b = j.offsets[i], j.offsets[i + 1]
        yield i, [int(c) for c in j.channels[a:b]], a, b


def ref_channel_stats(j):
    n_ch = j.n_channels
    cols = ["journeys", "touches", "first", "assisting", "last", "conversions", "value"]
    acc = {k: np.zeros(n_ch) for k in cols}
    for i, path, _, _ in each_journey(j):
        w = j.conversions[i] + j.nulls[i]
        for c in set(path):
            acc["journeys"][c] += w
            acc["touches"][c] += w * path.count(c)
            acc["conversions"][c] += j.conversions[i]
            acc["value"][c] += j.value[i]
        for c in set(path[1:-1]):
            acc["assisting"][c] += w
        acc["first"][path[0]] += w
        acc["last"][path[-1]] += w
    total = (j.conversions + j.nulls).sum()
    for k in ("first", "assisting", "last"):
        acc[k] = acc[k] / total
    return acc


def ref_overlap(j):
    both = np.zeros((j.n_channels, j.n_channels))
    for i, path, _, _ in each_journey(j):
        for a in set(path):
            for b in set(path):
                both[a, b] += j.conversions[i] + j.nulls[i]
    return both


def ref_transitions(j, drop_repeats):
    names = [*j.channel_names]
    counts = Counter()
    for i, path, _, _ in each_journey(j):
        if drop_repeats:
            path = [c for k, c in enumerate(path) if k == 0 or c != path[k - 1]]
        w = j.conversions[i] + j.nulls[i]
        counts[("(start)", names[path[0]])] += w
        for x, y in pairwise(path):
            counts[(names[x], names[y])] += w
        counts[(names[path[-1]], "(conversion)")] += j.conversions[i]
        counts[(names[path[-1]], "(null)")] += j.nulls[i]
    return {k: v for k, v in counts.items() if v > 0}


def ref_time(j):
    """(channel label, outcome) -> list of days, one per customer."""
    days = defaultdict(list)
    for i, path, a, _ in each_journey(j):
        end = j.end_time[i]
        for outcome, w in (("converted", j.conversions[i]), ("not converted", j.nulls[i])):
            days[(ANY_CHANNEL, outcome)] += [end - j.times[a]] * int(w)
            for c in set(path):
                first = a + path.index(c)
                days[(j.channel_names[c], outcome)] += [end - j.times[first]] * int(w)
    return days


def ref_funnel(j, stages, stall):
    """Per stage: journeys, from previous, days from previous, open, stalled."""
    out = []
    reach, when = [], []
    for s in stages:
        r, t = np.zeros(j.n_journeys), np.full(j.n_journeys, np.nan)
        for i, _, a, b in each_journey(j):
            w = j.conversions[i] + j.nulls[i]
            if s == "first_touch":
                r[i], t[i] = w, j.times[a]
            elif s == "conversion":
                r[i], t[i] = j.conversions[i], j.end_time[i]
            else:
                flagged = [k for k in range(a, b) if j.milestones[s][k]]
                if flagged:
                    r[i], t[i] = w, j.times[flagged[0]]
        reach.append(r)
        when.append(t)
    for k, s in enumerate(stages):
        rec = {"stage": s, "journeys": reach[k].sum()}
        if k:
            both = np.minimum(reach[k - 1], reach[k])
            rec["from_previous"] = both.sum()
            gaps = [when[k][i] - when[k - 1][i] for i in range(j.n_journeys) if both[i] > 0]
            reps = [int(both[i]) for i in range(j.n_journeys) if both[i] > 0]
            rec["median_days"] = (
                np.median(np.repeat(gaps, reps)) if gaps else np.nan
            )  # fmt: skip
        open_n = stalled = 0.0
        for i in range(j.n_journeys):
            furthest = max(m for m in range(len(stages))
                           if stages[m] != "conversion" and reach[m][i] > 0)  # fmt: skip
            if furthest == k:
                open_n += j.nulls[i]
                if j.end_time[i] - when[k][i] > stall:
                    stalled += j.nulls[i]
        rec["open"], rec["stalled"] = open_n, stalled
        out.append(rec)
    return out


@given(seed=st.integers(0, 2**32 - 1))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_fast_equals_per_journey_reference(seed):
    j = random_journeys(seed)
    names = list(j.channel_names)

    t = channel_stats(j).table
    for k, v in ref_channel_stats(j).items():
        np.testing.assert_allclose(t[k], v, rtol=1e-12, err_msg=k)

    both = channel_overlap(j).matrix("journeys").to_numpy()
    np.testing.assert_allclose(both, ref_overlap(j), rtol=1e-12)

    for drop in (False, True):
        t = transitions(j, drop_repeats=drop).table
        got = {(f, to): n for f, to, n in zip(t["from"], t["to"], t["transitions"], strict=True)}
        assert got == pytest.approx(ref_transitions(j, drop))

    lengths = path_lengths(j).summary
    for measure, fn in (("touches", len), ("channels", lambda p: len(set(p)))):
        for outcome, w in (("converted", j.conversions), ("not converted", j.nulls)):
            vals = np.repeat([fn(p) for _, p, _, _ in each_journey(j)], w.astype(int))
            got = row(lengths, measure=measure, outcome=outcome)
            if vals.size:
                assert got["median"] == pytest.approx(np.median(vals))
                assert got["p90"] == pytest.approx(np.quantile(vals, 0.9))
                assert got["mean"] == pytest.approx(vals.mean())
            else:
                assert np.isnan(got["median"])

    t = time_to_conversion(j).table
    ref = ref_time(j)
    for label in [ANY_CHANNEL, *names]:
        for outcome in ("converted", "not converted"):
            got = row(t, channel=label, outcome=outcome)
            vals = np.asarray(ref.get((label, outcome), []))
            assert got["journeys"] == vals.size
            if vals.size:
                expect = np.quantile(vals, [0.25, 0.5, 0.75, 0.9])
                cols = ["p25_days", "median_days", "p75_days", "p90_days"]
                np.testing.assert_allclose(got[cols].to_numpy(float), expect, atol=1e-9)
                assert got["mean_days"] == pytest.approx(vals.mean())
            else:
                assert np.isnan(got["median_days"])

    stages = ["first_touch", "lead", "opportunity", "closed_won"]
    f = funnel(j, stall_days=4.0).table
    for rec, (_, got) in zip(ref_funnel(j, stages, 4.0), f.iterrows(), strict=True):
        for key, value in rec.items():
            if key == "stage":
                assert got[key] == value
            elif rec["stage"] == "closed_won" and key in ("open", "stalled"):
                assert np.isnan(got[key])  # the last stage ends the funnel
            else:
                assert got[key] == pytest.approx(value, nan_ok=True), (key, rec["stage"])

    # top paths: group by path tuple, rank by journeys then first appearance
    groups: dict[tuple[int, ...], list[float]] = {}
    for i, path, _, _ in each_journey(j):
        g = groups.setdefault(tuple(path), [0.0, 0.0, 0.0, float(i)])
        g[0] += j.conversions[i] + j.nulls[i]
        g[1] += j.conversions[i]
        g[2] += j.value[i]
    ranked = sorted(groups.items(), key=lambda kv: (-kv[1][0], kv[1][3]))
    t = top_paths(j, None).table
    assert t["path"].tolist() == [" > ".join(names[c] for c in p) for p, _ in ranked]
    np.testing.assert_allclose(t["journeys"], [g[0] for _, g in ranked])
    np.testing.assert_allclose(t["conversions"], [g[1] for _, g in ranked])
    np.testing.assert_allclose(t["value"], [g[2] for _, g in ranked], atol=1e-9)


# ----------------------------------------------------------------------------- errors
@pytest.mark.parametrize(
    "call",
    [
        lambda j: top_paths(j, 0),
        lambda j: top_paths(j, True),
        lambda j: top_paths(j, 2.5),
        lambda j: top_paths(j, by="rate"),
        lambda j: top_paths(j, min_support=-1),
        lambda j: top_paths(j, min_support=np.nan),
        lambda j: top_paths(j, ci_level=95),
        lambda j: channel_stats(j, ci_level=0),
        lambda j: funnel(j, stall_days=-1),
        lambda j: funnel(j, ["lead"]),
        lambda j: funnel(j, ["conversion", "conversion"]),
        lambda j: funnel(j, ["first_touch", "conversion"]),
        lambda j: describe(j, top=None),
        lambda j: describe(j, top=0),
    ],
)
def test_bad_parameters_raise_value_error(known, call):
    with pytest.raises(ValueError):
        call(known)


def test_bad_input_messages(known, b2b):
    for f in (top_paths, path_lengths, time_to_conversion, channel_stats, channel_overlap,
              transitions, funnel, describe):  # fmt: skip
        with pytest.raises(TypeError, match="Journeys object"):
            f(known.to_path_table())
    with pytest.raises(ValueError, match=r"unknown stage 'mql'.*'closed_won', 'lead'"):
        funnel(b2b, ["lead", "mql"])
    with pytest.raises(TypeError, match="not a string"):
        funnel(b2b, "lead")
    with pytest.raises(TypeError, match="as_of"):
        funnel(b2b, as_of="not a date")
    with pytest.raises(TypeError, match="as_of"):
        funnel(b2b, as_of=True)
    with pytest.raises(ValueError, match="as_of must be finite"):
        funnel(b2b, as_of=np.inf)


def test_empty_journeys_give_empty_tables():
    j = Journeys([], [0], ["a"], [], times=[])
    d = describe(j)
    assert d.paths.table.empty and d.overview["journeys"] == 0
    assert d.channels.table["journeys"].tolist() == [0]
    assert d.time.table["journeys"].sum() == 0
    assert "0 journeys" in d.to_text()


# ----------------------------------------------------------------------------- plots
def test_every_plot_draws(b2b, known):
    results = [
        top_paths(b2b),
        path_lengths(b2b),
        time_to_conversion(b2b),
        channel_stats(b2b),
        channel_overlap(b2b),
        transitions(b2b),
        funnel(b2b),
        time_to_conversion(known),  # unavailable: draws its message
    ]
    for r in results:
        ax = r.plot()
        assert ax.get_title(), type(r).__name__
        plt.close(ax.figure)
    ax = time_to_conversion(known).plot()
    assert "unavailable" in ax.texts[0].get_text()
    plt.close(ax.figure)
    for ax in (
        path_lengths(b2b).plot(measure="channels"),
        time_to_conversion(b2b).plot(what="channels"),
        channel_stats(b2b).plot(what="conversion_rate"),
        channel_stats(b2b).plot(what="reach"),
        channel_overlap(b2b).plot(what="jaccard"),
        channel_overlap(b2b).plot(what="journeys"),
    ):
        plt.close(ax.figure)
    # one bar per listed path, one per channel and role
    assert repr(top_paths(known)) == "PathsResult(5 rows)"
    ax = top_paths(known).plot()
    assert len(ax.patches) == 5
    plt.close(ax.figure)
    ax = channel_stats(known).plot()
    assert len(ax.patches) == 3 * 3
    plt.close(ax.figure)
    fig = describe(b2b).plot()
    assert len(fig.axes) >= 6
    plt.close(fig)
    with pytest.raises(ValueError, match="what"):
        channel_stats(known).plot(what="value")
    with pytest.raises(ValueError, match="measure"):
        path_lengths(known).plot(measure="days")


# ----------------------------------------------------------------------------- describe, CLI
def test_describe_bundles_the_tables(b2b):
    d = describe(b2b, top=3, stall_days=30)
    assert isinstance(d, DescribeResult)
    assert len(d.paths.table) == 3
    pd.testing.assert_frame_equal(d.funnel.table, funnel(b2b, stall_days=30).table)
    pd.testing.assert_frame_equal(d.channels.table, channel_stats(b2b).table)
    text = d.to_text()
    for title in ("Top 3 of", "Path length", "Days from first touch", "Channels",
                  "Channel overlap", "Most common next channel", "Funnel"):  # fmt: skip
        assert title in text
    doc = json.loads(json.dumps(d.to_dict(), allow_nan=False))
    assert doc["overview"]["journeys"] == 5
    assert doc["funnel"][0]["stage"] == "first_touch"
    assert doc["funnel"][0]["ci_low"] is None
    assert set(d.tables()) == {"overview", *DescribeResult.SECTIONS}
    assert "DescribeResult(journeys=5" in repr(d)
    assert "<table>" in d._repr_html_()


def describe_cli(argv):
    parser = argparse.ArgumentParser(prog="attribution-lab")
    add_describe_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    args.func(args)


def test_cli_describe_prints_headline_tables(capsys, tmp_path):
    path = tmp_path / "known.csv"
    path.write_text("path,total_conversions,total_null\n" + "".join(
        f"{p.replace(' ', '')},{c},{n}\n" for p, c, n in zip(PATHS, CONV, NULLS, strict=True)
    ))  # fmt: skip
    describe_cli(["describe", str(path), "--value-col", "", "--top", "2"])
    out = capsys.readouterr().out
    assert "5 journey rows standing for 19 journeys" in out
    assert "Top 2 of 5 distinct paths by journeys" in out
    assert "unavailable: the journeys have no touch times" in out

    describe_cli(["describe", str(path), "--value-col", "", "--format", "json"])
    doc = json.loads(capsys.readouterr().out)
    assert [p["path"] for p in doc["paths"]][:2] == ["A > B > C", "A > C"]
    assert doc["time"] == [] and "time" in doc["messages"]

    describe_cli(["describe", str(path), "--value-col", "", "--format", "csv"])
    out = capsys.readouterr().out
    assert out.startswith("# overview\n")
    assert "\n# funnel\nstage,journeys," in out

    png = tmp_path / "d.png"
    describe_cli(["describe", "example", "--top", "3", "--plot", str(png)])
    out = capsys.readouterr().out
    assert "88,387 journeys" in out and png.stat().st_size > 10_000

    with pytest.raises(ValueError, match="top"):
        describe_cli(["describe", "example", "--top", "0"])
