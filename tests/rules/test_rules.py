"""The rules: each against its slow reference on random journeys, the axioms, known answers
and hand-checked cases, credit block by block, and the parameters refused.

The parser and the checks of Journeys, once in this file, are in tests/test_journeys.py."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from attribution_lab import Journeys, available_models, get_model
from attribution_lab.rules import (
    DEFAULT_DIRECT,
    _blocks,
    credit_from_weights,
    unique_linear_weights,
)
from attribution_lab.rules import _reference as ref


@st.composite
def journeys_st(draw, with_times=None, with_milestones=None):
    n_channels = draw(st.integers(1, 6))
    n = draw(st.integers(1, 25))
    lengths = draw(st.lists(st.integers(1, 10), min_size=n, max_size=n))
    total = sum(lengths)
    channels = draw(st.lists(st.integers(0, n_channels - 1), min_size=total, max_size=total))
    conv = draw(st.lists(st.sampled_from([0.0, 1.0, 2.0, 0.5, 3.25]), min_size=n, max_size=n))
    nulls = [draw(st.sampled_from([1.0, 0.0, 4.0])) if c > 0 else 1.0 for c in conv]
    value = [draw(st.floats(0, 100)) if c > 0 else 0.0 for c in conv]
    names = ["direct", "email", "search", "display", "social", "video"][:n_channels]
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    kwargs = {}
    if with_times if with_times is not None else draw(st.booleans()):
        gaps = draw(st.lists(st.floats(0, 40), min_size=total, max_size=total))
        # times non-decreasing within each journey, restarting anywhere at journey starts
        t = np.cumsum(gaps)
        kwargs["times"] = t - np.repeat(t[offsets[:-1]], lengths) + 1000.0
    if with_milestones if with_milestones is not None else draw(st.booleans()):
        for name in ("lead", "opportunity", "closed_won"):
            kwargs.setdefault("milestones", {})[name] = np.array(
                draw(st.lists(st.booleans(), min_size=total, max_size=total))
            )
    return Journeys(channels, offsets, names, conv, nulls, value, **kwargs)


def _paths(j):
    return [j.channels[a:b].tolist() for a, b in zip(j.offsets[:-1], j.offsets[1:], strict=True)]


def reference_touch_weights(model, j):
    """The per-journey reference of each registered rule, with the model's parameters."""
    name, p = model.name, model.get_params()
    if name == "first_touch":
        return ref.reference_weights(j, lambda i, path: ref.first_touch(path))
    if name == "last_touch":
        return ref.reference_weights(j, lambda i, path: ref.last_touch(path))
    if name == "last_non_direct":
        names = p["direct_channels"]
        direct = {
            k
            for k, nm in enumerate(j.channel_names)
            if (nm.lower() in DEFAULT_DIRECT if names is None else nm in names)
        }
        return ref.reference_weights(j, lambda i, path: ref.last_non_direct(path, direct))
    if name == "linear":
        f = ref.unique_linear if p["unique_channels"] else ref.linear
        return ref.reference_weights(j, lambda i, path: f(path))
    if name == "position_based":
        return ref.reference_weights(
            j, lambda i, path: ref.position_based(path, p["first"], p["middle"], p["last"])
        )
    if name in ("w_shaped", "full_path"):
        ms = (
            ("lead", "opportunity") if name == "w_shaped" else ("lead", "opportunity", "closed_won")
        )
        shares = [p["first"], p["lead"], p["opportunity"]] + (
            [p["closed_won"]] if name == "full_path" else []
        )

        def rule(i, path):
            found = []
            for m in ms:
                flags = j.milestones.get(m)
                seg = [] if flags is None else flags[j.offsets[i] : j.offsets[i + 1]].tolist()
                found.append(seg.index(True) if True in seg else -1)
            anchors = ref.milestone_anchors(len(path), found)
            return ref.anchored(len(path), anchors, shares, p["rest"])

        return ref.reference_weights(j, rule)
    if name == "time_decay":
        if j.has_times:

            def rule(i, path):
                t = j.times[j.offsets[i] : j.offsets[i + 1]].tolist()
                return ref.time_decay(t, t[-1] + 3.0, p["half_life"])  # any t_conversion >= t[-1]

            return ref.reference_weights(j, rule)
        return ref.reference_weights(
            j, lambda i, path: ref.position_decay(path, p["position_half_life"])
        )
    if name == "custom_position":
        return ref.reference_weights(
            j, lambda i, path: ref.custom_position(path, list(p["weights"]), p["from_end"])
        )
    raise AssertionError(f"no reference for {name}")


def random_params(name, data, j=None):
    """Valid random parameters for each rule."""

    def simplex(k):
        raw = np.array(data.draw(st.lists(st.integers(0, 5), min_size=k, max_size=k)), float)
        if raw.sum() == 0:
            raw[-1] = 1
        w = raw / raw.sum()
        w[-1] = max(0.0, 1.0 - w[:-1].sum())  # sum within the validator's 1e-9, never < 0
        return [float(x) for x in w]

    if name == "position_based":
        return dict(zip(("first", "middle", "last"), simplex(3), strict=True))
    if name == "w_shaped":
        return dict(zip(("first", "lead", "opportunity", "rest"), simplex(4), strict=True))
    if name == "full_path":
        keys = ("first", "lead", "opportunity", "closed_won", "rest")
        return dict(zip(keys, simplex(5), strict=True))
    if name == "time_decay":
        # only the half-life that acts on the journeys may be set (the other is refused)
        if j is not None and j.has_times:
            return {"half_life": data.draw(st.sampled_from([0.5, 3.0, 7.0, 30.0]))}
        return {"position_half_life": data.draw(st.sampled_from([0.5, 1.0, 2.0]))}
    if name == "linear":
        return {"unique_channels": data.draw(st.booleans())}
    if name == "custom_position":
        w = data.draw(st.lists(st.sampled_from([0.0, 1.0, 2.5, 4.0]), min_size=1, max_size=4))
        if sum(w) == 0:  # all-zero weights are refused (they would be the linear rule)
            w[-1] = 1.0
        return {"weights": w, "from_end": data.draw(st.booleans())}
    if name == "last_non_direct":
        return {
            "direct_channels": data.draw(st.sampled_from([None, ["direct"], ["direct", "email"]]))
        }
    return {}


RULES = [n for n in available_models() if get_model(n).estimand == "rule"]


@pytest.mark.parametrize("name", RULES)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(j=journeys_st(), data=st.data())
def test_rule_matches_reference_and_axioms(name, j, data):
    params = random_params(name, data, j)
    if name == "last_non_direct" and params["direct_channels"]:
        params["direct_channels"] = [c for c in params["direct_channels"] if c in j.channel_names]
    model = get_model(name, **params)
    w = model.touch_weights(j)
    np.testing.assert_allclose(w, reference_touch_weights(model, j), rtol=1e-9, atol=1e-12)
    # weights are a distribution over each journey's touches
    assert (w >= 0).all()
    np.testing.assert_allclose(np.bincount(j.journey_index, w), 1.0, rtol=1e-9)
    # credit: vectorised equals the touch-by-touch loop, and sums to the totals
    res = model.fit(j).attribute()
    conv, val = ref.reference_credit(j, w)
    np.testing.assert_allclose(res.conversions, conv, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(res.value, val, rtol=1e-9, atol=1e-9)
    assert res.conversions.sum() == pytest.approx(j.n_conversions, rel=1e-9, abs=1e-9)
    assert res.value.sum() == pytest.approx(j.total_value, rel=1e-9, abs=1e-9)
    # a channel seen only in non-converting journeys gets nothing
    converting = np.zeros(j.n_channels, bool)
    converting[j.channels[(j.conversions > 0)[j.journey_index]]] = True
    assert (res.conversions[~converting] == 0).all()


@pytest.mark.parametrize("name", RULES)
@settings(max_examples=25, deadline=None)
@given(j=journeys_st(with_times=False, with_milestones=False), data=st.data())
def test_relabelling_channels_permutes_credit_and_aggregate_keeps_it(name, j, data):
    perm = np.array(data.draw(st.permutations(range(j.n_channels))))
    new_names = [f"ch{perm[k]}" for k in range(j.n_channels)]  # sorted order changes too
    relabelled = Journeys.from_paths(
        [[new_names[c] for c in path] for path in _paths(j)], j.conversions, j.nulls, j.value
    )
    params = {"direct_channels": []} if name == "last_non_direct" else {}
    a = get_model(name, **params).fit(j).attribute()
    b = get_model(name, **params).fit(relabelled).attribute()
    got = dict(zip(b.channel_names, b.conversions, strict=True))
    for k, nm in enumerate(new_names):
        # a channel no journey touches does not survive from_paths; it had no credit anyway
        assert got.get(nm, 0.0) == pytest.approx(a.conversions[k], rel=1e-9, abs=1e-12)
    agg = get_model(name, **params).fit(j.aggregate()).attribute()
    np.testing.assert_allclose(agg.conversions, a.conversions, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(agg.value, a.value, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("name", RULES)
def test_symmetric_channels_get_equal_credit(name):
    # B and C play mirror roles: swapping them maps the journeys onto themselves
    j = Journeys.from_paths(
        ["A > B > C", "A > C > B", "B > A", "C > A", "B", "C"],
        conversions=[2, 2, 1, 1, 3, 3],
        nulls=[1, 1, 1, 1, 1, 1],
        values=[10, 10, 4, 4, 6, 6],
    )
    res = get_model(name).fit(j).attribute()
    assert res.conversions[1] == pytest.approx(res.conversions[2], rel=1e-12)
    assert res.value[1] == pytest.approx(res.value[2], rel=1e-12)


KNOWN = dict(
    paths=["A>B>C", "A>C", "B", "C>A", "B>C>C"], conversions=[3, 1, 0, 2, 1], nulls=[2, 4, 5, 1, 0]
)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("first_touch", [4, 1, 2]),
        ("last_touch", [2, 0, 5]),
        ("linear", [2.5, 4 / 3, 19 / 6]),
        # A>B>C: .4/.2/.4 x3; A>C: .5/.5; C>A: .5/.5 x2; B>C>C: .4/.2/.4
        ("position_based", [1.2 + 0.5 + 1.0, 0.6 + 0.4, 1.2 + 0.5 + 1.0 + 0.6]),
    ],
)
def test_known_answers(name, expected):
    j = Journeys.from_paths(**KNOWN)
    res = get_model(name).fit(j).attribute()
    np.testing.assert_allclose(res.conversions, expected, rtol=1e-12)
    assert res.channel_names == ("A", "B", "C")


@pytest.mark.parametrize(
    ("name", "params", "match"),
    [
        ("position_based", {"first": 0.5}, "must sum to 1"),
        ("position_based", {"first": -0.2, "middle": 0.8}, ">= 0"),
        ("w_shaped", {"rest": 0.2}, "must sum to 1"),
        ("time_decay", {"half_life": 0}, "> 0"),
        ("custom_position", {"weights": []}, "must not be empty"),
        ("last_non_direct", {"direct_channels": ["nope"]}, "not channels of the journeys"),
    ],
)
def test_invalid_params(name, params, match):
    j = Journeys.from_paths(**KNOWN)
    with pytest.raises(ValueError, match=match):
        get_model(name, **params).fit(j)


@pytest.mark.parametrize("name", RULES)
@pytest.mark.parametrize("block_touches", [1, 7])
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(j=journeys_st(), data=st.data())
def test_rule_credit_by_blocks_is_one_bincount_over_all_touches(name, block_touches, j, data):
    # models credit the converting journeys block by block, adding touch by touch in order:
    # whatever the block size, the sums are those of one bincount over all touches, bit for bit
    params = random_params(name, data, j)
    if name == "last_non_direct" and params["direct_channels"]:
        params["direct_channels"] = [c for c in params["direct_channels"] if c in j.channel_names]
    model = get_model(name, **params).fit(j)
    w = model.touch_weights(j)
    per_touch = w * np.stack([j.conversions, j.value])[:, j.journey_index]
    expected = [np.bincount(j.channels, x, minlength=j.n_channels) for x in per_touch]
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(_blocks, "_BLOCK_TOUCHES", block_touches)
        res = model.attribute()
        np.testing.assert_array_equal(model.touch_weights(j), w)
        by_blocks = credit_from_weights(j, w)
    for conv, val in [(res.conversions, res.value), by_blocks]:
        np.testing.assert_array_equal(conv, expected[0])
        np.testing.assert_array_equal(val, expected[1])


@settings(max_examples=30, deadline=None)
@given(j=journeys_st(with_times=False, with_milestones=False))
def test_unique_linear_weights_without_the_key_table(j):
    # with many channel codes a table of every (journey, channel) key would be too large and
    # first touches are found by sorting the keys instead: the same weights
    w = unique_linear_weights(j.channels, j.offsets, j.n_channels)
    np.testing.assert_array_equal(unique_linear_weights(j.channels, j.offsets, 10**6), w)


def test_credit_from_weights_value_split():
    j = Journeys.from_paths(["A > B", "B"], conversions=[2, 1], values=[10.0, 3.0])
    conv, val = credit_from_weights(j, np.array([0.25, 0.75, 1.0]))
    np.testing.assert_allclose(conv, [0.5, 2.5])
    np.testing.assert_allclose(val, [2.5, 10.5])


def test_last_non_direct_by_hand():
    # C direct: A>B>C (3) -> B; A>C (1) -> A; C>A (2) -> A; B>C>C (1) -> B; B alone has no conv
    j = Journeys.from_paths(**KNOWN)
    res = get_model("last_non_direct", direct_channels=["C"]).fit(j).attribute()
    np.testing.assert_allclose(res.conversions, [3, 4, 0])
    # a journey made only of direct touches credits direct
    j2 = Journeys.from_paths(["direct > direct", "email > direct"], conversions=[1, 1])
    np.testing.assert_allclose(get_model("last_non_direct").fit(j2).attribute().conversions, [1, 1])


def test_milestone_rules_by_hand():
    j = Journeys(
        channels=[0, 1, 2, 3, 4],
        offsets=[0, 5],
        channel_names=list("ABCDE"),
        conversions=[2],
        value=[100.0],
        milestones={
            "lead": np.array([0, 1, 0, 0, 0], bool),
            "opportunity": np.array([0, 1, 0, 0, 0], bool),  # same touch as the lead
            "closed_won": np.array([0, 0, 0, 0, 1], bool),
        },
    )
    # W: first A .3, lead+opportunity on B .6, rest .1 over C, D, E
    w = get_model("w_shaped").fit(j).attribute()
    np.testing.assert_allclose(w.conversions / 2, [0.3, 0.6, 0.1 / 3, 0.1 / 3, 0.1 / 3])
    np.testing.assert_allclose(w.value / 100, [0.3, 0.6, 0.1 / 3, 0.1 / 3, 0.1 / 3])
    # full path without the opportunity flag: it falls at floor(2 * 4 / 3 + 0.5) = 3, inside
    # [lead=1, closed_won=4]; A, B, D, E .225 each and the rest .1 on C
    no_opp = Journeys(
        j.channels,
        j.offsets,
        j.channel_names,
        j.conversions,
        value=j.value,
        milestones={k: v for k, v in j.milestones.items() if k != "opportunity"},
    )
    fp = get_model("full_path").fit(no_opp).attribute()
    np.testing.assert_allclose(fp.conversions / 2, [0.225, 0.225, 0.1, 0.225, 0.225])


def test_time_decay_by_hand_and_end_time_does_not_matter():
    # touches at 0, 7, 14 days, half-life 7: raw 1/4, 1/2, 1 -> 1/7, 2/7, 4/7
    base = dict(paths=[["A", "B", "C"]], conversions=[7], times=[[0.0, 7.0, 14.0]])
    a = get_model("time_decay").fit(Journeys.from_paths(**base)).attribute()
    np.testing.assert_allclose(a.conversions, [1, 2, 4])
    b = get_model("time_decay").fit(Journeys.from_paths(**base, end_time=[30.0])).attribute()
    np.testing.assert_allclose(b.conversions, a.conversions)
    # without timestamps the positional variant halves per touch back: 1/7, 2/7, 4/7 too
    c = get_model("time_decay").fit(Journeys.from_paths(["A > B > C"], [7])).attribute()
    np.testing.assert_allclose(c.conversions, [1, 2, 4])


# ----------------------------------------------------------------- parameters that cannot act
def test_time_decay_refuses_the_half_life_that_cannot_act():
    untimed = Journeys.from_paths(["A > B", "B"], conversions=[1, 1])
    timed = Journeys.from_paths([["A", "B"], ["B"]], conversions=[1, 1], times=[[0, 3], [1]])
    # before: half_life 0.1 and 100 gave the same credit on a path table, silently
    for h in (0.1, 14, 100):
        with pytest.raises(
            ValueError,
            match=r"half_life=.* cannot act: the journeys have no "
            r"touch times.*position_half_life",
        ):
            get_model("time_decay", half_life=h).fit(untimed)
    with pytest.raises(ValueError, match=r"position_half_life=2 cannot act: .*touch times"):
        get_model("time_decay", position_half_life=2).fit(timed)
    with pytest.raises(ValueError, match=r"half_life=3 cannot act: use_times=False"):
        get_model("time_decay", half_life=3, use_times=False).fit(timed)
    # refused also when the model is fitted on some journeys and applied to others
    model = get_model("time_decay", half_life=3).fit(timed)
    with pytest.raises(ValueError, match="half_life=3 cannot act"):
        model.attribute(untimed)
    with pytest.raises(ValueError, match="half_life=3 cannot act"):
        model.touch_weights(untimed)
    # the parameter that acts is taken, and it changes the credit
    a = get_model("time_decay", position_half_life=0.5).fit_attribute(untimed).conversions
    b = get_model("time_decay", position_half_life=4).fit_attribute(untimed).conversions
    assert not np.allclose(a, b)
    c = get_model("time_decay", half_life=1).fit_attribute(timed).conversions
    d = get_model("time_decay", half_life=30).fit_attribute(timed).conversions
    assert not np.allclose(c, d)
    # the defaults run on both kinds of input
    get_model("time_decay").fit_attribute(untimed)
    get_model("time_decay").fit_attribute(timed)


def test_custom_position_refuses_weights_that_are_all_zero():
    j = Journeys.from_paths(["A > B > C"], conversions=[1])
    with pytest.raises(ValueError, match=r"weights must not all be 0, got \[0, 0\].*linear"):
        get_model("custom_position", weights=[0, 0]).fit(j)
    # one zero is fine: a position with no credit
    res = get_model("custom_position", weights=[0, 1]).fit_attribute(j)
    assert res.conversions.tolist() == [0.0, 0.5, 0.5]
