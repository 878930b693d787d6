"""Markov removal-effect model: hand-computed answers, slow references, axioms, bad input."""

from __future__ import annotations

import warnings

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone

from attribution_lab import Journeys, get_model
from attribution_lab.markov import (
    MarkovAttribution,
    MarkovChain,
    fit_chain,
    removal_effects,
    select_order,
    simulate_removal_effects,
)
from attribution_lab.markov._reference import (
    first_entry_removal_effects,
    path_states,
    reference_counts,
    reference_removal_effects,
)

FIVE = dict(
    paths=["A > B > C", "A > C", "B", "C > A", "B > C > C"],
    conversions=[3, 1, 0, 2, 1],
    nulls=[2, 4, 5, 1, 0],
)


def five() -> Journeys:
    return Journeys.from_paths(**FIVE)


def random_journeys(seed: int, n: int = 60, n_channels: int = 4, max_len: int = 7) -> Journeys:
    rng = np.random.default_rng(seed)
    lengths = rng.integers(1, max_len + 1, size=n)
    names = [f"c{k}" for k in range(n_channels)]
    paths = [[names[c] for c in rng.integers(0, n_channels, size=m)] for m in lengths]
    conv = rng.integers(0, 3, size=n).astype(float)
    null = rng.integers(0, 3, size=n).astype(float)
    null[(conv == 0) & (null == 0)] = 1.0
    value = conv * rng.uniform(5, 50, size=n)
    return Journeys.from_paths(paths, conversions=conv, nulls=null, values=value)


def sparse_counts_as_dict(chain) -> dict:
    """The fitted chain's counts keyed like `reference_counts`."""
    names = [
        "start",
        *[tuple(int(c) for c in row if c >= 0) for row in chain.state_channels],
        "conv",
        "null",
    ]
    coo = chain.counts.tocoo()
    return {(names[i], names[j]): v for i, j, v in zip(coo.row, coo.col, coo.data, strict=True)}


# -- hand-computed answers ---------------------------------------------------------------


def test_five_path_example_first_order():
    model = MarkovAttribution().fit(five())
    assert model.conversion_probability_ == pytest.approx(7 / 19, abs=1e-12)
    np.testing.assert_allclose(
        model.removal_effects_.to_numpy(), [0.679963, 0.364414, 0.780220], atol=5e-7
    )
    result = model.attribute()
    np.testing.assert_allclose(result.conversions, [2.608653, 1.398061, 2.993285], atol=5e-7)
    assert result.estimand == "removal_effect"
    assert result.to_frame()["removal_effect"].round(6).tolist() == [0.679963, 0.364414, 0.78022]


def test_first_order_removal_by_hand():
    # start -> A (2), A -> conv (1), A -> null (1): P = 1/2; removing A leaves nothing
    j = Journeys.from_paths(["A", "A > B"], conversions=[1, 0], nulls=[0, 1])
    m = MarkovAttribution().fit(j)
    assert m.conversion_probability_ == pytest.approx(0.5)
    # B never reaches a conversion, so its removal effect and credit are 0
    assert m.removal_effects_.tolist() == [1.0, 0.0]
    assert m.attribute().conversions.tolist() == [1.0, 0.0]


def test_higher_orders_on_five_paths_match_reference():
    j = five()
    expected = {2: [0.904762, 0.571429, 1.0], 3: [0.857143, 0.571429, 1.0]}
    for order, want in expected.items():
        m = MarkovAttribution(order=order).fit(j)
        np.testing.assert_allclose(m.removal_effects_.to_numpy(), want, atol=5e-7)
        ref, _ = reference_removal_effects(reference_counts(j, order), 3)
        np.testing.assert_allclose(m.removal_effects_.to_numpy(), ref, atol=1e-12)
        assert m.conversion_probability_ == pytest.approx(7 / 19, abs=1e-12)


def test_state_windows_and_merged_repeats():
    assert path_states([0, 1, 2], 2) == [(0, 1), (1, 2)]
    assert path_states([0], 3) == [(0,)]
    assert path_states([0, 0, 0, 1], 2) == [(0, 0), (0, 1)]
    assert path_states([0, 0, 1], 2, collapse=True) == [(0, 1)]
    j = Journeys.from_paths(["A > A > B", "A > B > A"], conversions=[1, 0], nulls=[0, 1])
    chain = fit_chain(j, order=2)
    assert chain.state_names == ("A > A", "A > B", "B > A")
    collapsed = fit_chain(j, order=2, collapse_repeats=True)
    assert collapsed.state_names == ("A > B", "B > A")


# -- slow references on random inputs ----------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), order=st.integers(1, 4), collapse=st.booleans())
def test_counts_and_effects_match_references(seed, order, collapse):
    j = random_journeys(seed)
    chain = fit_chain(j, order, collapse_repeats=collapse)
    ref = reference_counts(j, order, collapse)
    got = sparse_counts_as_dict(chain)
    assert got.keys() == ref.keys()
    for key, v in ref.items():
        assert got[key] == pytest.approx(v, rel=1e-12)
    effects, p = removal_effects(chain)
    ref_effects, ref_p = reference_removal_effects(ref, j.n_channels)
    np.testing.assert_allclose(effects, ref_effects, atol=1e-10)
    np.testing.assert_allclose(effects, first_entry_removal_effects(ref, j.n_channels), atol=1e-10)
    assert p == pytest.approx(ref_p, abs=1e-12)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), order=st.integers(1, 3), with_value=st.booleans())
def test_unit_journeys_and_untouched_channels_match_reference(seed, order, with_value):
    # one conversion or one null per journey takes the unweighted counting path; a subset
    # keeps channel names no remaining journey touches
    rng = np.random.default_rng(seed)
    full = random_journeys(seed, n=80, n_channels=6)
    conv = (rng.random(full.n_journeys) < 0.4).astype(float)
    value = conv * rng.uniform(1, 9, full.n_journeys) if with_value else None
    j = Journeys.from_paths(
        [p.split(" > ") for p in full.path_strings()],
        conversions=conv,
        nulls=1 - conv,
        values=value,
    )
    j = j.subset(~np.isin(np.arange(j.n_journeys), rng.integers(0, 80, size=40)))
    if j.n_conversions == 0:
        return
    chain = fit_chain(j, order)
    ref = reference_counts(j, order)
    got = sparse_counts_as_dict(chain)
    assert got == pytest.approx(ref, rel=1e-12)
    touched = np.unique(j.channels)
    assert {c for row in chain.state_channels for c in row if c >= 0} == set(touched.tolist())
    effects, _ = removal_effects(chain)
    np.testing.assert_allclose(effects, reference_removal_effects(ref, j.n_channels)[0], atol=1e-10)
    if with_value:
        r = MarkovAttribution(order=order).fit(j).attribute()
        assert r.value.sum() == pytest.approx(j.total_value)


@given(
    seed=st.integers(0, 2**32 - 1),
    chunk=st.integers(1, 9),
    max_len=st.sampled_from([1, 2, 8]),
    n=st.integers(1, 40),
)
def test_order1_chunked_counts_at_every_chunk_boundary(seed, chunk, max_len, n):
    # the order-1 unit path counts pairs in chunks and recodes journey boundaries inside
    # each chunk; tiny chunks put boundaries at chunk edges, lengths 1 make them adjacent
    import attribution_lab.markov.chain as chain_module

    rng = np.random.default_rng(seed)
    full = random_journeys(seed, n=n, n_channels=5, max_len=max_len)
    conv = (rng.random(n) < 0.5).astype(float)
    value = conv * rng.uniform(1, 9, n)
    j = Journeys(full.channels, full.offsets, full.channel_names, conv, 1 - conv, value)
    saved = chain_module._CHUNK
    chain_module._CHUNK = chunk
    try:
        chain = fit_chain(j)
    finally:
        chain_module._CHUNK = saved
    assert sparse_counts_as_dict(chain) == pytest.approx(reference_counts(j, 1), rel=1e-12)
    if j.total_value == 0:
        assert chain.conversion_value is None
        return
    last = j.channels[j.offsets[1:] - 1]
    touched = np.unique(j.channels)
    expected = np.bincount(last, weights=value, minlength=j.n_channels)[touched]
    np.testing.assert_allclose(chain.conversion_value[1:], expected, rtol=1e-12)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), order=st.integers(1, 4))
def test_conversion_probability_is_observed_rate(seed, order):
    j = random_journeys(seed, n=80, n_channels=5)
    m = MarkovAttribution(order=order).fit(j)
    rate = j.n_conversions / (j.n_conversions + j.n_nulls)
    assert m.conversion_probability_ == pytest.approx(rate, abs=1e-12)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), order=st.integers(1, 3))
def test_credit_sums_and_value_effects(seed, order):
    j = random_journeys(seed)
    m = MarkovAttribution(order=order).fit(j)
    r = m.attribute()
    assert r.conversions.sum() == pytest.approx(j.n_conversions, rel=1e-12)
    assert r.value.sum() == pytest.approx(j.total_value, rel=1e-12)
    assert ((0 <= m.removal_effects_) & (m.removal_effects_ <= 1)).all()
    # value effects against the literal definition with value-weighted conversions
    vals, total = removal_effects(m.chain_, value=True)
    np.testing.assert_allclose(vals, m.value_removal_effects_.to_numpy(), atol=1e-12)
    assert total == pytest.approx(j.total_value / (j.n_conversions + j.n_nulls), rel=1e-10)


def test_constant_value_per_conversion_gives_same_shares():
    j = random_journeys(3)
    j2 = Journeys.from_paths(
        [list(p.split(" > ")) for p in j.path_strings()],
        conversions=j.conversions,
        nulls=j.nulls,
        values=j.conversions * 10.0,
    )
    r = MarkovAttribution(order=2).fit(j2).attribute()
    np.testing.assert_allclose(r.value_share, r.share, atol=1e-12)


# -- axioms ------------------------------------------------------------------------------


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), order=st.integers(1, 3))
def test_relabelling_channels_permutes_credit(seed, order):
    j = random_journeys(seed)
    rename = {f"c{k}": f"z{3 - k}" for k in range(4)}  # reverses the code order
    paths = [[rename[c] for c in p.split(" > ")] for p in j.path_strings()]
    j2 = Journeys.from_paths(paths, conversions=j.conversions, nulls=j.nulls, values=j.value)
    a = MarkovAttribution(order=order).fit(j).removal_effects_
    b = MarkovAttribution(order=order).fit(j2).removal_effects_
    back = b.rename(index={v: k for k, v in rename.items()}).reindex(a.index)
    np.testing.assert_allclose(a.to_numpy(), back.to_numpy(), atol=1e-12)
    # merging identical paths changes no count
    agg = MarkovAttribution(order=order).fit(j.aggregate()).removal_effects_
    np.testing.assert_allclose(agg.to_numpy(), a.to_numpy(), atol=1e-12)


def test_symmetric_channels_get_equal_credit():
    j = Journeys.from_paths(
        ["A > B > C", "B > A > C", "A", "B", "C"],
        conversions=[2, 2, 1, 1, 0],
        nulls=[1, 1, 2, 2, 3],
    )
    for order in (1, 2, 3):
        r = MarkovAttribution(order=order).fit(j).attribute()
        assert r.conversions[0] == pytest.approx(r.conversions[1], rel=1e-12)


def test_channel_that_never_converts_gets_nothing():
    # D only ever ends non-converting journeys
    j = Journeys.from_paths(
        ["A > B", "A > D", "B > D", "D", "B"], conversions=[2, 0, 0, 0, 1], nulls=[1, 3, 2, 4, 1]
    )
    for order in (1, 2):
        m = MarkovAttribution(order=order).fit(j)
        assert m.removal_effects_["D"] == 0.0
        assert m.attribute().to_frame().loc["D", "conversions"] == 0.0


# -- simulation --------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("order", [1, 2])
def test_simulation_agrees_with_exact_within_its_error(seed, order):
    j = random_journeys(seed + 100)
    exact = MarkovAttribution(order=order).fit(j)
    sim = MarkovAttribution(order=order, removal="simulate", tol=0.01, random_state=seed).fit(j)
    se = sim.removal_effects_stderr_.to_numpy()
    assert se.max() <= 0.01
    # a 5-sigma band fails by chance with probability < 1e-6 per channel
    diff = np.abs(sim.removal_effects_.to_numpy() - exact.removal_effects_.to_numpy())
    assert (diff <= 5 * se + 1e-12).all()
    r_sim, r_exact = sim.attribute(), exact.attribute()
    assert r_sim.estimated and r_sim.n_evaluations == sim.simulation_.n_walks
    assert (np.abs(r_sim.conversions - r_exact.conversions) <= 5 * r_sim.stderr + 1e-9).all()
    assert r_sim.conversions.sum() == pytest.approx(j.n_conversions)
    assert ((r_sim.ci_low <= r_sim.conversions) & (r_sim.conversions <= r_sim.ci_high)).all()
    rate = j.n_conversions / (j.n_conversions + j.n_nulls)
    assert abs(sim.conversion_probability_ - rate) <= 5 * sim.simulation_.p_conversion_stderr


def test_simulation_is_reproducible():
    j = five()
    a = MarkovAttribution(removal="simulate", tol=0.01, random_state=7).fit(j).removal_effects_
    b = MarkovAttribution(removal="simulate", tol=0.01, random_state=7).fit(j).removal_effects_
    assert a.equals(b)


def test_simulation_counts_truncated_walks():
    # A <-> B loop: the walk leaves the loop with probability 1/11 at each step
    j = Journeys.from_paths(["A > B > A > B > A > B > A > B > A > B > A"], conversions=[1])
    chain = fit_chain(j)
    with pytest.warns(UserWarning, match="not absorbed within max_steps=3"):
        est = simulate_removal_effects(chain, tol=0.05, max_steps=3, random_state=0)
    assert est.n_truncated > 0
    with pytest.warns(UserWarning, match="max_walks"):
        simulate_removal_effects(chain, tol=1e-6, max_walks=1000, batch_size=500, random_state=0)


# -- graph, options, long paths ----------------------------------------------------------


def test_graph_matches_transition_matrix():
    m = MarkovAttribution(order=2).fit(five())
    g = m.graph_
    assert isinstance(g, nx.DiGraph)
    assert {"(start)", "(conversion)", "(null)"} <= set(g.nodes)
    assert g.nodes["A > B"]["channels"] == ("A", "B")
    index = {s: i for i, s in enumerate(m.states_)}
    dense = m.transition_matrix_.toarray()
    for s, d, data in g.edges(data=True):
        assert data["probability"] == pytest.approx(dense[index[s], index[d]])
    for node, kind in g.nodes(data="kind"):
        if kind in ("start", "state"):
            total = sum(p for _, _, p in g.out_edges(node, data="probability"))
            assert total == pytest.approx(1.0)
    assert m.graph_ is g  # built once


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), order=st.integers(1, 3))
def test_iterative_solver_matches_direct_within_its_bound(seed, order):
    j = random_journeys(seed, n=120, n_channels=5)
    direct = MarkovAttribution(order=order, solver="direct").fit(j)
    it = MarkovAttribution(order=order, solver="iterative").fit(j)
    assert direct.solver_ == {"method": "direct", "error_bound": 0.0}
    assert it.solver_["method"] == "iterative"
    bound = it.solver_["error_bound"]
    assert 0 <= bound <= 1e-8  # 0 when the sweeps end exactly (an acyclic chain)
    diff = np.abs(it.removal_effects_.to_numpy() - direct.removal_effects_.to_numpy())
    assert diff.max() <= bound
    vdiff = np.abs(it.value_removal_effects_ - direct.value_removal_effects_).max()
    assert vdiff <= bound


def test_iterative_solver_on_a_slowly_mixing_chain():
    # A <-> B ping-pong: walks last ~500 steps, so the error bound must account for it
    j = Journeys.from_paths(
        ["A > B" * 1 + " > A > B" * 250, "A", "B"], conversions=[1, 1, 0], nulls=[0, 1, 1]
    )
    direct = MarkovAttribution(solver="direct").fit(j)
    it = MarkovAttribution(solver="iterative").fit(j)
    diff = np.abs(it.removal_effects_.to_numpy() - direct.removal_effects_.to_numpy()).max()
    assert diff <= it.solver_["error_bound"] <= 1e-8


def test_very_long_paths_and_many_repeats():
    rng = np.random.default_rng(0)
    long = [f"c{k}" for k in rng.integers(0, 6, size=20_000)]
    j = Journeys.from_paths([long, ["c0", "c1"], ["c5"]], conversions=[1, 0, 2], nulls=[0, 3, 1])
    for order in (1, 2, 3):
        m = MarkovAttribution(order=order).fit(j)
        ref, _ = reference_removal_effects(reference_counts(j, order), j.n_channels)
        np.testing.assert_allclose(m.removal_effects_.to_numpy(), ref, atol=1e-9)
        assert m.conversion_probability_ == pytest.approx(3 / 7)


def test_no_nulls_warns_and_means_reach():
    j = Journeys.from_paths(["A > B", "A", "C"], conversions=[1, 1, 2])
    with pytest.warns(UserWarning, match="no non-converting paths"):
        m = MarkovAttribution().fit(j)
    assert m.conversion_probability_ == pytest.approx(1.0)
    # every walk converts, so RE is the share of walks through the channel
    np.testing.assert_allclose(m.removal_effects_.to_numpy(), [0.5, 0.25, 0.5])


def test_registry_params_and_clone():
    m = get_model("markov", order=2, removal="simulate", random_state=1)
    assert isinstance(m, MarkovAttribution)
    c = clone(m)
    assert c.get_params() == m.get_params()
    r = get_model("markov").fit(five()).attribute()
    d = r.to_dict()
    assert d["estimand"] == "removal_effect"
    assert "removal_effect" in d["channels"][0]


def test_attribute_other_journeys():
    m = MarkovAttribution().fit(five())
    other = Journeys.from_paths(["C > B", "A"], conversions=[4, 6], nulls=[0, 1])
    r = m.attribute(other)
    assert r.conversions.sum() == pytest.approx(10)
    np.testing.assert_allclose(r.share, m.attribute().share)
    with pytest.raises(ValueError, match="channel 'D' was not in the fitted journeys"):
        m.attribute(Journeys.from_paths(["A > D", "B > C"], conversions=[1, 1]))
    with pytest.raises(ValueError, match="channel 'C' of the fitted journeys is missing"):
        m.attribute(Journeys.from_paths(["A", "B"], conversions=[1, 1]))


# -- bad input ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params, error, match",
    [
        ({"order": 0}, ValueError, "order must be a positive integer"),
        ({"order": 1.5}, TypeError, "order must be a positive integer"),
        ({"order": True}, TypeError, "order must be a positive integer"),
        ({"removal": "walk"}, ValueError, "removal must be 'exact' or 'simulate'"),
        ({"solver": "lu"}, ValueError, "solver must be 'auto', 'direct' or 'iterative'"),
        ({"collapse_repeats": "yes"}, TypeError, "collapse_repeats"),
        ({"ci_level": 1.5}, ValueError, "ci_level"),
        ({"removal": "simulate", "tol": 0}, ValueError, "tol must be > 0"),
        ({"removal": "simulate", "max_steps": 0}, ValueError, "max_steps must be a positive"),
    ],
)
def test_bad_parameters(params, error, match):
    with pytest.raises(error, match=match):
        MarkovAttribution(**params).fit(five())


def test_bad_journeys():
    with pytest.raises(ValueError, match="no conversions"):
        MarkovAttribution().fit(Journeys.from_paths(["A", "B"], conversions=[0, 0], nulls=[1, 1]))
    with pytest.raises(ValueError, match="reserved"):
        MarkovAttribution().fit(Journeys.from_paths(["(null) > A"], conversions=[1]))
    with pytest.raises(TypeError, match="Journeys"):
        MarkovAttribution().fit([["A"]])
    with pytest.raises(RuntimeError, match="not fitted"):
        MarkovAttribution().attribute()
    with pytest.raises(AttributeError, match="after fit"):
        _ = MarkovAttribution().graph_


def test_no_warnings_on_ordinary_data():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        MarkovAttribution(order=3).fit(five()).attribute()


# -- parameters that cannot act, progress --------------------------------------------------


@pytest.mark.parametrize(
    "params, name, acts_with",
    [
        ({"tol": 0.01}, "tol", "removal=simulate"),
        ({"batch_size": 1000}, "batch_size", "removal=simulate"),
        ({"max_walks": 10**6}, "max_walks", "removal=simulate"),
        ({"max_steps": 100}, "max_steps", "removal=simulate"),
        ({"random_state": 0}, "random_state", "removal=simulate"),
        ({"ci_level": 0.9}, "ci_level", "removal=simulate"),
        ({"removal": "simulate", "solver": "direct"}, "solver", "removal=exact"),
        ({"collapse_repeats": True}, "collapse_repeats", "order=2"),
    ],
)
def test_a_parameter_that_cannot_act_is_refused(params, name, acts_with):
    model = MarkovAttribution(**params)
    with pytest.raises(ValueError, match=rf"parameter {name}=\S+ cannot act: .*{acts_with}"):
        model.fit(five())
    # the default value is never refused, given or not
    default = MarkovAttribution().get_params()[name]
    MarkovAttribution(**{**params, name: default}).fit(five())


def test_parameters_that_act_are_accepted():
    j = five()
    MarkovAttribution(order=2, collapse_repeats=True).fit(j)
    MarkovAttribution(solver="direct").fit(j)
    walk = dict(tol=0.05, batch_size=500, max_walks=10**5, max_steps=50, ci_level=0.9)
    MarkovAttribution(removal="simulate", random_state=0, **walk).fit(j)


@pytest.mark.parametrize("removal", ["exact", "simulate"])
def test_progress_shows_on_stderr_only_when_asked(capsys, removal):
    seed = {"random_state": 0, "tol": 0.05} if removal == "simulate" else {}
    MarkovAttribution(removal=removal, **seed).fit(five())
    assert capsys.readouterr().err == ""
    MarkovAttribution(removal=removal, progress=True, **seed).fit(five())
    err = capsys.readouterr().err
    # tqdm writes its bar even though the captured stderr is not a terminal
    assert ("removal effects" if removal == "exact" else "random walks") in err
    with pytest.raises(TypeError, match="progress must be True or False"):
        MarkovAttribution(progress="yes").fit(five())


def test_progress_of_the_functions(capsys):
    chain = fit_chain(five(), 2)
    removal_effects(chain, progress=True)
    assert "removal effects" in capsys.readouterr().err
    simulate_removal_effects(chain, tol=0.05, random_state=0, progress=True)
    assert "walk" in capsys.readouterr().err


# -- order selection ---------------------------------------------------------------------


def chain_world(order: int, n: int, seed: int) -> Journeys:
    """Journeys whose next event depends on exactly the last `order` channels."""
    rng = np.random.default_rng(seed)
    k = 3  # channels a, b, c; events 0..2 channels, 3 conversion, 4 null
    table: dict[tuple, np.ndarray] = {}
    paths, conv = [], []
    for _ in range(n):
        path: list[int] = []
        while True:
            ctx = tuple(path[-order:])
            if ctx not in table:
                table[ctx] = rng.dirichlet(np.full(k + 2, 0.7))
            p = table[ctx].copy()
            if not path:
                p[k:] = 0.0  # a journey has at least one touch
            if path:
                p[path[-1]] = 0.0  # no immediate repeats: every event changes the state
            e = rng.choice(k + 2, p=p / p.sum())
            if e >= k or len(path) >= 30:
                break
            path.append(e)
        paths.append(["abc"[c] for c in path])
        conv.append(1.0 if e == k else 0.0)
    conv_arr = np.array(conv)
    return Journeys.from_paths(paths, conversions=conv_arr, nulls=1 - conv_arr)


@pytest.mark.parametrize("order", [1, 2])
def test_select_order_recovers_the_true_order(order):
    j = chain_world(order, 20_000, seed=order)
    sel = select_order(j, max_order=4, random_state=0)
    assert sel.best_order == order
    assert list(sel.table.index) == [1, 2, 3, 4]
    assert (sel.table["loglik_se"] > 0).all()


def test_select_order_is_reproducible_and_checks_input():
    j = chain_world(1, 2000, seed=5)
    a = select_order(j, max_order=2, random_state=3).table
    b = select_order(j, max_order=2, random_state=3).table
    pd.testing.assert_frame_equal(a, b)
    with pytest.raises(ValueError, match="criterion must be one of"):
        select_order(j, criterion="aic")
    with pytest.raises(ValueError, match="n_folds must be an integer >= 2"):
        select_order(j, n_folds=1)
    with pytest.raises(ValueError, match="max_order must be a positive integer"):
        select_order(j, max_order=0)
    with pytest.raises(ValueError, match=r"fold \d received no journeys"):
        select_order(Journeys.from_paths(["A", "B"], conversions=[1, 0], nulls=[0, 1]), n_folds=3)


def test_ca_auc_by_hand():
    # A always converts and B never: the last state separates perfectly, AUC = 1
    j = Journeys.from_paths(["A", "B", "C > A"], conversions=[30, 0, 10], nulls=[0, 30, 0])
    t = select_order(j, max_order=1, criterion="pauc", random_state=0).table
    assert t.loc[1, "auc"] == pytest.approx(1.0)
    assert t.loc[1, "pauc"] == pytest.approx(1.0)


def test_pauc_matches_channelattribution():
    ca = pytest.importorskip("ChannelAttribution")
    j = random_journeys(11, n=400, n_channels=4)
    table = j.to_path_table()
    import contextlib
    import io

    with contextlib.redirect_stdout(io.StringIO()):
        res, _, _ = ca.choose_order(
            table,
            "path",
            "total_conversions",
            "total_null",
            max_order=3,
            plot=False,
            flg_pro=False,
        )
    ours = select_order(j, max_order=3, criterion="pauc", random_state=0)
    np.testing.assert_allclose(ours.table["auc"].to_numpy()[: len(res)], res["auc"], atol=1e-12)
    np.testing.assert_allclose(ours.table["pauc"].to_numpy()[: len(res)], res["pauc"], atol=1e-12)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), order=st.integers(1, 3))
def test_chain_from_its_graph_gives_the_same_effects(seed, order):
    j = random_journeys(seed)
    m = MarkovAttribution(order=order).fit(j)
    for weight in ("probability", "count"):
        chain = MarkovChain.from_graph(m.graph_, weight=weight)
        effects, p = removal_effects(chain)
        got = dict(zip(chain.channel_names, effects, strict=True))
        for name, want in m.removal_effects_.items():
            assert got.get(name, 0.0) == pytest.approx(want, abs=1e-10)
        assert p == pytest.approx(m.conversion_probability_, abs=1e-12)


def test_chain_from_graph_rejects_bad_edges():
    g = nx.DiGraph()
    g.add_edge("(start)", "A", probability=-1.0)
    with pytest.raises(ValueError, match="probability must be a number >= 0"):
        MarkovChain.from_graph(g)
    g = nx.DiGraph()
    g.add_edge("A", "(start)", probability=1.0)
    with pytest.raises(ValueError, match="back to the start"):
        MarkovChain.from_graph(g)
