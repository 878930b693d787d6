"""Removal effects from one solve (issue 21): hand-computed chains, the per-channel
reference on random journeys, every solver path, and the axioms at many channels."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import attribution_lab.markov._solve as solve_module
from attribution_lab import Journeys
from attribution_lab.markov import (
    CONVERSION,
    NULL,
    START,
    MarkovAttribution,
    MarkovChain,
    conversion_probability,
    fit_chain,
    removal_effects,
)
from attribution_lab.markov._reference import (
    per_channel_removal_effects,
    reference_counts,
    reference_removal_effects,
)
from attribution_lab.markov.chain import _removal_effects


def awkward_journeys(seed: int, n_channels: int = 5, *, nulls: str = "weighted") -> Journeys:
    """Random journeys with the cases a shortcut could get wrong.

    A channel that only ever ends non-converting journeys, one seen in a single journey,
    a long A > B > A > B ping-pong (a slowly absorbing loop), immediate repeats. `nulls`:
    "weighted" (counts of conversions and nulls per path), "unit" (one customer per row,
    converting or not) or "none" (every journey converts).
    """
    rng = np.random.default_rng(seed)
    names = [f"c{k}" for k in range(n_channels)]
    paths = []
    for _ in range(int(rng.integers(20, 60))):
        length = int(rng.integers(1, 8))
        paths.append([names[c] for c in rng.integers(0, n_channels, size=length)])
    loop = int(rng.integers(5, 60))
    paths.append(["c0", "c1"] * loop)  # ping-pong
    paths.append(["c2", "c2", "c1", "c1", "c1"])  # repeats
    paths.append(["c3", "once"])  # a channel seen in one journey
    never = len(paths)
    paths.append(["c1", "never"])
    paths.append(["never"])
    k = len(paths)
    if nulls == "unit":
        conv = (rng.random(k) < 0.45).astype(float)
        null = 1.0 - conv
    else:
        conv = rng.integers(0, 3, size=k).astype(float)
        null = rng.integers(0, 3, size=k).astype(float)
        if nulls == "none":
            conv = np.maximum(conv, 1.0)
            null[:] = 0.0
        else:
            null[(conv == 0) & (null == 0)] = 1.0
    conv[never:] = 0.0
    null[never:] = np.maximum(null[never:], 1.0) if nulls != "none" else 0.0
    conv[0] = max(conv[0], 1.0)  # at least one conversion
    value = conv * rng.uniform(5, 50, size=k)
    keep = (conv + null) > 0
    paths = [p for p, kept in zip(paths, keep, strict=True) if kept]
    return Journeys.from_paths(paths, conversions=conv[keep], nulls=null[keep], values=value[keep])


# -- hand-computed -------------------------------------------------------------------------


def loop_chain() -> MarkovChain:
    g = nx.DiGraph()
    g.add_edge(START, "A", probability=1.0)
    g.add_edge("A", "B", probability=0.5)
    g.add_edge("A", CONVERSION, probability=0.25)
    g.add_edge("A", NULL, probability=0.25)
    g.add_edge("B", "A", probability=0.5)
    g.add_edge("B", NULL, probability=0.5)
    return MarkovChain.from_graph(g)


@pytest.mark.parametrize("solver", ["auto", "direct", "iterative"])
def test_loop_by_hand(solver):
    # h_A = 1/4 + h_B / 2, h_B = h_A / 2: h_A = 1/3 = P. Without B, h_A = 1/4. From start
    # the walk reaches B with probability N_sB / N_BB = 1/2 and converts from B with h_B =
    # 1/6: P(visit B, convert) = 1/12 = 1/3 - 1/4.
    effects, p = removal_effects(loop_chain(), solver=solver)
    assert p == pytest.approx(1 / 3, abs=1e-12)
    np.testing.assert_allclose(effects, [1.0, 0.25], atol=1e-12)


def test_order1_formula_from_the_fundamental_matrix():
    chain = loop_chain()
    q = chain.probabilities.toarray()[:3, :3]
    n = np.linalg.inv(np.eye(3) - q)
    h = n @ chain.probabilities.toarray()[:3, 3]
    # states: start 0, A 1, B 2
    for c, state in ((0, 1), (1, 2)):
        lost = n[0, state] / n[state, state] * h[state]
        effects, p = removal_effects(chain)
        assert effects[c] == pytest.approx(lost / p, abs=1e-12)


def test_unreachable_states_change_nothing():
    # C and D only follow each other and are never reached from start
    g = nx.DiGraph()
    g.add_edge(START, "A", probability=1.0)
    g.add_edge("A", CONVERSION, probability=0.5)
    g.add_edge("A", NULL, probability=0.5)
    g.add_edge("C", "D", probability=1.0)
    g.add_edge("D", CONVERSION, probability=1.0)
    chain = MarkovChain.from_graph(g)
    for solver in ("auto", "direct", "iterative"):
        effects, p = removal_effects(chain, solver=solver)
        assert p == pytest.approx(0.5)
        np.testing.assert_allclose(effects, [1.0, 0.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(per_channel_removal_effects(chain)[0][:, 0], [1.0, 0.0, 0.0])


# -- the per-channel reference on random journeys --------------------------------------------


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    order=st.integers(1, 3),
    nulls=st.sampled_from(["weighted", "unit", "none"]),
    collapse=st.booleans(),
)
def test_one_solve_equals_one_solve_per_channel(seed, order, nulls, collapse):
    j = awkward_journeys(seed, nulls=nulls)
    chain = fit_chain(j, order, collapse_repeats=collapse)
    kinds = (False, True)
    want, want_totals = per_channel_removal_effects(chain, kinds)
    for solver in ("direct", "iterative"):
        got, totals, info = _removal_effects(chain, kinds, solver)
        np.testing.assert_allclose(got, want, atol=1e-10, rtol=0)
        np.testing.assert_allclose(totals, want_totals, rtol=1e-10)
        assert info["method"] == solver
        # sweeps that end exactly (an acyclic chain) certify a bound of 0 too
        assert info["error_bound"] == 0.0 if solver == "direct" else info["error_bound"] <= 1e-10
    if "never" in j.channel_names:  # absent when every journey converts
        assert got[j.channel_names.index("never"), 0] == 0.0
    # the literal definition on the counts (dense, from the journeys)
    ref, p = reference_removal_effects(reference_counts(j, order, collapse), j.n_channels)
    np.testing.assert_allclose(got[:, 0], ref, atol=1e-10)
    assert totals[0] == pytest.approx(p, abs=1e-12)
    assert conversion_probability(chain) == pytest.approx(p, abs=1e-12)


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), order=st.integers(1, 3))
def test_per_channel_lu_path_for_chains_past_the_dense_limit(seed, order):
    # solver="direct" on a chain too large for the dense inverse factorises per channel
    j = awkward_journeys(seed, n_channels=6)
    chain = fit_chain(j, order)
    want, _ = per_channel_removal_effects(chain, (False, True))
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(solve_module, "_DENSE_MAX_STATES", 0)
        mp.setattr(solve_module, "_DENSE_MAX_STATES_ORDER1", 0)
        got, _, info = _removal_effects(chain, (False, True), "direct")
    assert info == {"method": "direct", "error_bound": 0.0}
    np.testing.assert_allclose(got, want, atol=1e-10, rtol=0)


@pytest.mark.parametrize("order", [1, 2, 3])
def test_auto_goes_iterative_past_the_dense_limit(order, monkeypatch):
    j = awkward_journeys(7, n_channels=8)
    chain = fit_chain(j, order)
    want, _ = per_channel_removal_effects(chain, (False,))
    monkeypatch.setattr(solve_module, "_DENSE_MAX_STATES", 3)
    monkeypatch.setattr(solve_module, "_DENSE_MAX_STATES_ORDER1", 3)
    got, _, info = _removal_effects(chain, (False,), "auto")
    assert info["method"] == "iterative" and 0 < info["error_bound"] <= 1e-10
    np.testing.assert_allclose(got, want, atol=1e-10, rtol=0)
    # the conversion probability alone takes the sweeps past the sparse-LU limit too
    monkeypatch.setattr(solve_module, "_SPARSE_LU_STATES", 3)
    p = conversion_probability(chain)
    assert p == pytest.approx(j.n_conversions / (j.n_conversions + j.n_nulls), abs=1e-11)


def test_few_levels_still_converge(monkeypatch):
    # capping the levels makes rows of one level read each other's previous values:
    # slower, still the same numbers
    j = awkward_journeys(3)
    chain = fit_chain(j, 2)
    want, _ = per_channel_removal_effects(chain)
    monkeypatch.setattr(solve_module, "_MAX_LEVELS", 1)
    got, _, info = _removal_effects(chain, (False,), "iterative")
    assert info["method"] == "iterative"
    np.testing.assert_allclose(got, want, atol=1e-10, rtol=0)


def test_iterative_that_cannot_certify_falls_back_with_a_warning(monkeypatch):
    j = awkward_journeys(5)
    chain = fit_chain(j, 2)
    monkeypatch.setattr(solve_module, "_MAX_SWEEPS", 1)
    with pytest.warns(UserWarning, match="solving again by sparse LU per channel"):
        got, _, info = _removal_effects(chain, (False,), "iterative")
    assert info == {"method": "direct", "error_bound": 0.0}
    np.testing.assert_allclose(got, per_channel_removal_effects(chain)[0], atol=1e-10)


# -- many channels -------------------------------------------------------------------------


def many_channels(seed: int, n_channels: int, n: int = 3000) -> Journeys:
    rng = np.random.default_rng(seed)
    lengths = rng.integers(1, 7, size=n)
    popularity = 1.0 / np.arange(1, n_channels + 1)
    popularity /= popularity.sum()
    channels = rng.choice(n_channels, size=int(lengths.sum()), p=popularity)
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    conv = (rng.random(n) < 0.3).astype(float)
    names = [f"ch{k:03d}" for k in range(n_channels)]
    return Journeys(channels, offsets, names, conv, 1.0 - conv)


@pytest.mark.parametrize("order", [1, 2])
def test_hundreds_of_channels_match_the_reference(order):
    j = many_channels(11, 150)
    chain = fit_chain(j, order)
    want, _ = per_channel_removal_effects(chain)
    for solver in ("auto", "iterative"):
        got, _, _ = _removal_effects(chain, (False,), solver)
        np.testing.assert_allclose(got, want, atol=1e-10, rtol=0)


@pytest.mark.parametrize("solver", ["direct", "iterative"])
def test_axioms_at_many_channels(solver):
    j = many_channels(5, 120)
    m = MarkovAttribution(solver=solver).fit(j)
    r = m.attribute()
    assert r.conversions.sum() == pytest.approx(j.n_conversions, rel=1e-12)
    assert ((m.removal_effects_ >= 0) & (m.removal_effects_ <= 1)).all()
    # relabelling permutes: reverse the channel codes
    k = j.n_channels
    flipped = Journeys(
        k - 1 - j.channels, j.offsets, list(j.channel_names)[::-1], j.conversions, j.nulls
    )
    m2 = MarkovAttribution(solver=solver).fit(flipped)
    back = m2.removal_effects_.reindex(m.removal_effects_.index)
    np.testing.assert_allclose(back.to_numpy(), m.removal_effects_.to_numpy(), atol=1e-10)


def test_symmetric_channels_equal_at_many_channels():
    # every path of X has its mirror with Y: their removal effects are equal
    j = many_channels(2, 60, n=800)
    paths = [p.split(" > ") for p in j.path_strings()]
    for p in paths[:200]:
        p.insert(len(p) // 2, "ch_x")
    mirror = [p.copy() for p in paths[:200]]
    for p in mirror:
        p[p.index("ch_x")] = "ch_y"
    conv = np.concatenate([j.conversions, j.conversions[:200]])
    null = np.concatenate([j.nulls, j.nulls[:200]])
    both = Journeys.from_paths(paths + mirror, conversions=conv, nulls=null)
    for order, solver in ((1, "direct"), (1, "iterative"), (2, "auto")):
        re = MarkovAttribution(order=order, solver=solver).fit(both).removal_effects_
        assert re["ch_x"] == pytest.approx(re["ch_y"], abs=1e-10)
