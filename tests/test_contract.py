"""The contract every registered model keeps, checked on every entry of `available_models()`.

Like scikit-learn's ``estimator_checks``: the tests are parametrised over the registry,
so a model added with ``@register_model`` is checked without a line added here. Each
model runs on the bundled example journeys (a path table: no touch times) and on small
timed journeys; a model that needs touch times (``needs_times``) only on the latter.

What is checked, per model and data set:

- credit sums to the journeys' total conversions and total value (efficiency);
- relabelling channels (new names, new codes, new order) permutes the credit (given the
  same seed, for a model whose defaults draw at random);
- two channels that play symmetric roles in the journeys get equal credit (symmetry);
- the same ``random_state`` gives the same numbers, in a configuration where the seed
  acts (`SEEDED`) as well as with the defaults;
- scikit-learn conventions: ``__init__`` stores its parameters and nothing else, ``fit``
  returns ``self``, leaves ``get_params()`` unchanged and adds only attributes ending in
  ``_``; ``sklearn.base.clone`` works and the clone gives the same credit;
- ``attribute`` before ``fit`` raises; input other than `Journeys` raises TypeError; the
  defaults, even given explicitly, are never refused as inert (`inert_params`); a model
  that needs touch times refuses journeys without them;
- the command line gives every model the library's numbers (or refuses in one line).

No model needs an exception. ``last_non_direct`` reads channel names (a channel named
"direct" is skipped), so relabelling permutes its credit only while no channel is or
becomes a direct one, as in the data here.
"""

from __future__ import annotations

import inspect
import json
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from attribution_lab import AttributionModel, Journeys, available_models, get_model
from attribution_lab.base import model_class
from attribution_lab.readers import read_touch_table

MODELS = list(available_models())
KINDS = ("untimed", "timed")
CASES = [
    pytest.param(name, kind, id=f"{name}-{kind}")
    for name in MODELS
    for kind in KINDS
    if kind == "timed" or not model_class(name).needs_times
]
SEED_CASES = [c for c in CASES if "random_state" in model_class(c.values[0])().get_params()]

#: For each model with a ``random_state``, parameters under which the seed acts on the
#: given journeys (its defaults may draw nothing at random, and a seed set where it
#: cannot act is refused): small budgets, so that the sampling runs quickly.
SEEDED: dict[str, Any] = {
    "markov": lambda j: {"removal": "simulate", "max_walks": 50_000, "tol": 0.05},
    # the least budget permutation sampling takes (v(empty), v(all) and two permutations
    # of n - 1 new coalitions), below the 2^n coalitions from which it falls back to
    # exact values (for 3 channels or more)
    "shapley": lambda j: {"estimator": "permutation", "budget": 2 * j.n_channels},
    "hazard": lambda j: {"n_starts": 2},
}

#: Relative tolerance of "equal credit" (relabelling, symmetry). No model needs more: the
#: hazard model, fitted by an optimiser, is symmetric to ~1e-14 too, since a symmetric
#: start and objective give symmetric iterates up to rounding.
RTOL = 1e-9


# ----------------------------------------------------------------------------- helpers
@pytest.fixture(scope="module")
def cases(pathdata: Journeys, timed_journeys: Journeys) -> dict[str, Journeys]:
    return {"untimed": pathdata, "timed": timed_journeys}


def relabelled(j: Journeys, perm: np.ndarray) -> tuple[Journeys, list[str]]:
    """`j` with channel ``perm[k]`` stored as code ``k`` under a new name.

    Returns the journeys and the new name of each old channel. New names sort in another
    order than the old ones, so that nothing can lean on the alphabet.
    """
    new_name = [
        f"z{len(j.channel_names) - c:02d}_{j.channel_names[c]}" for c in range(j.n_channels)
    ]
    code = np.empty(j.n_channels, dtype=np.int64)
    code[perm] = np.arange(j.n_channels)
    out = Journeys(
        code[j.channels], j.offsets, [new_name[c] for c in perm], j.conversions, j.nulls,
        j.value, times=j.times, end_time=j.end_time, milestones=j.milestones,
    )  # fmt: skip
    return out, new_name


def with_swapped_copy(j: Journeys, a: int, b: int) -> Journeys:
    """`j` followed by its copy with channels `a` and `b` exchanged: `a` and `b` then play
    exactly symmetric roles (same paths, counts, values and times)."""
    assert j.account is None and j.contact is None
    swap = np.arange(j.n_channels)
    swap[[a, b]] = [b, a]

    def twice(x: np.ndarray | None) -> np.ndarray | None:
        return None if x is None else np.concatenate([x, x])

    return Journeys(
        np.concatenate([j.channels, swap[j.channels]]),
        np.concatenate([j.offsets, j.offsets[1:] + j.offsets[-1]]),
        j.channel_names, twice(j.conversions), twice(j.nulls), twice(j.value),
        times=twice(j.times), end_time=twice(j.end_time),
        milestones={k: twice(v) for k, v in j.milestones.items()},
    )  # fmt: skip


def numbers(result: Any) -> pd.DataFrame:
    """Everything a result says per channel (credit, shares, intervals, details)."""
    return result.to_frame()


def same_params(a: dict[str, Any], b: dict[str, Any]) -> bool:
    if a.keys() != b.keys():
        return False
    for key in a:
        x, y = a[key], b[key]
        if x is y:
            continue
        try:
            if not np.array_equal(np.asarray(x, dtype=object), np.asarray(y, dtype=object)):
                return False
        except (TypeError, ValueError):
            if x != y:
                return False
    return True


def fixed_seed(name: str, j: Journeys) -> dict[str, Any]:
    """A fixed ``random_state`` for a model whose defaults draw at random on `j`.

    Two fits of such a model (``point_process``: posterior draws of the branching
    structure) with ``random_state=None`` draw different numbers; what relabelling must
    leave unchanged is the credit of the same seed.
    """
    return {"random_state": 0} if seed_acts(name, {}, j) else {}


# ----------------------------------------------------------------------------- the axioms
@pytest.mark.parametrize(("name", "kind"), CASES)
def test_credit_sums_to_conversions_and_value(name, kind, cases):
    j = cases[kind]
    result = get_model(name).fit(j).attribute()
    assert result.model == name and result.estimand == model_class(name).estimand
    assert result.channel_names == j.channel_names
    assert result.conversions.sum() == pytest.approx(j.n_conversions, rel=RTOL)
    assert result.value.sum() == pytest.approx(j.total_value, rel=RTOL)
    assert np.all(np.isfinite(result.conversions)) and np.all(np.isfinite(result.value))


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize(("name", "kind"), CASES)
def test_relabelling_channels_permutes_the_credit(name, kind, cases, seed):
    j = cases[kind]
    perm = np.random.default_rng(seed).permutation(j.n_channels)
    if np.array_equal(perm, np.arange(j.n_channels)):
        perm = perm[::-1].copy()
    moved, new_name = relabelled(j, perm)
    params = fixed_seed(name, j)
    before = get_model(name, **params).fit(j).attribute()
    after = get_model(name, **params).fit(moved).attribute()
    assert after.channel_names == tuple(new_name[c] for c in perm)
    order = [after.channel_names.index(n) for n in new_name]
    np.testing.assert_allclose(after.conversions[order], before.conversions, rtol=RTOL)
    np.testing.assert_allclose(after.value[order], before.value, rtol=RTOL)


@pytest.mark.parametrize(("name", "kind"), CASES)
def test_symmetric_channels_get_equal_credit(name, kind, cases):
    # every estimand of the registry promises symmetry: rules weigh touches by position
    # and time only, a Markov removal effect and a Shapley value are symmetric in the
    # players, and the hazard model's likelihood is symmetric in the channels' parameters
    j = with_swapped_copy(cases[kind], 1, 3)
    result = get_model(name).fit(j).attribute()
    assert result.conversions[1] == pytest.approx(result.conversions[3], rel=RTOL)
    assert result.value[1] == pytest.approx(result.value[3], rel=RTOL)


# ----------------------------------------------------------------------------- seeds
def seeded(name: str, j: Journeys) -> dict[str, Any]:
    return SEEDED[name](j) if name in SEEDED else {}


def seed_acts(name: str, params: dict[str, Any], j: Journeys) -> bool:
    """Whether the model has a random_state and it can act with `params` on `j`."""
    model = get_model(name, **params)
    return "random_state" in model.get_params() and "random_state" not in model.inert_params(j)


@pytest.mark.parametrize(("name", "kind"), SEED_CASES)
def test_a_seed_can_act(name, kind, cases):
    # so that the reproducibility test below exercises the random draws of every model
    # that has a seed: a new model with a random_state needs an entry in SEEDED unless
    # its defaults already draw at random
    j = cases[kind]
    inert = get_model(name, **seeded(name, j)).inert_params(j)
    assert "random_state" not in inert, (
        f"{name}: random_state cannot act with {seeded(name, j)}; give SEEDED a"
        f" configuration where it does ({inert['random_state']})"
    )


@pytest.mark.parametrize(
    ("name", "kind", "config"),
    [pytest.param(*c.values, "defaults", id=f"{c.id}-defaults") for c in CASES]
    + [pytest.param(*c.values, "seeded", id=f"{c.id}-seeded") for c in SEED_CASES],
)
def test_same_seed_same_numbers(name, kind, cases, config):
    j = cases[kind]
    params = seeded(name, j) if config == "seeded" else {}
    # an int, and a new Generator from the same seed, each give the same numbers twice
    # (that different seeds give different numbers is not asserted: not every model
    # samples in every configuration)
    seeds = [lambda: 7, lambda: np.random.default_rng(7)] if seed_acts(name, params, j) else [None]
    for make_seed in seeds:
        runs = []
        for _ in range(2):
            given = params if make_seed is None else {**params, "random_state": make_seed()}
            runs.append(numbers(get_model(name, **given).fit(j).attribute()))
        pd.testing.assert_frame_equal(*runs, check_exact=True)


# ------------------------------------------------------------------- estimator conventions
@pytest.mark.parametrize("name", MODELS)
def test_init_stores_its_parameters_and_nothing_else(name):
    cls = model_class(name)
    # a model without parameters keeps object's __init__ (as sklearn's estimators do)
    init = {} if cls.__init__ is object.__init__ else inspect.signature(cls.__init__).parameters
    defaults = {k: p.default for k, p in init.items() if k != "self"}
    assert all(d is not inspect.Parameter.empty for d in defaults.values()), "no default"
    model = cls()
    assert set(vars(model)) == set(defaults)
    assert same_params(model.get_params(deep=False), defaults)
    assert isinstance(model, AttributionModel) and model.name == name


@pytest.mark.parametrize(("name", "kind"), CASES)
def test_fit_returns_self_and_keeps_the_parameters(name, kind, cases):
    j = cases[kind]
    model = get_model(name, **seeded(name, j))
    before = model.get_params(deep=True)
    attributes = set(vars(model))
    assert model.fit(j) is model
    assert same_params(model.get_params(deep=True), before)
    added = {a for a in set(vars(model)) - attributes if not a.startswith("_")}
    assert all(a.endswith("_") for a in added), f"fit set public attributes {added}"


@pytest.mark.parametrize(("name", "kind"), CASES)
def test_clone_gives_the_same_credit(name, kind, cases):
    j = cases[kind]
    params = seeded(name, j)
    if seed_acts(name, params, j):
        params["random_state"] = 3  # a Generator would be shared by the clone
    model = get_model(name, **params).fit(j)
    twin = clone(model)
    assert type(twin) is type(model) and twin is not model
    assert same_params(twin.get_params(), model.get_params())
    assert not hasattr(twin, "journeys_")  # a clone is not fitted
    pd.testing.assert_frame_equal(
        numbers(twin.fit(j).attribute()), numbers(model.attribute()), check_exact=True
    )


@pytest.mark.parametrize("name", MODELS)
def test_attribute_before_fit_raises(name):
    with pytest.raises(RuntimeError, match="not fitted"):
        get_model(name).attribute()


@pytest.mark.parametrize(("name", "kind"), CASES)
def test_defaults_are_never_refused(name, kind, cases):
    # a default is a promise: it cannot be a parameter that cannot act (inert_params
    # lists those; fit refuses them only when set to other than the default)
    j = cases[kind]
    defaults = model_class(name)().get_params()
    inert = get_model(name).inert_params(j)
    assert set(inert) <= set(defaults)
    assert all(isinstance(why, str) and why for why in inert.values())
    get_model(name).fit(j).attribute(j)
    get_model(name, **defaults).fit(j).attribute(j)  # the defaults given explicitly


@pytest.mark.parametrize("name", MODELS)
def test_input_other_than_journeys_is_a_type_error(name, cases):
    j = cases["timed"]
    table = j.to_path_table()
    for wrong in (table, ["a > b"], None):
        with pytest.raises(TypeError, match="Journeys"):
            get_model(name).fit(wrong)
    model = get_model(name).fit(j)
    with pytest.raises(TypeError, match="Journeys"):
        model.attribute(table)


@pytest.mark.parametrize("name", [n for n in MODELS if model_class(n).needs_times])
def test_models_that_need_times_refuse_journeys_without(name, pathdata):
    assert name not in available_models(pathdata)
    with pytest.raises(ValueError, match="time"):
        get_model(name).fit(pathdata)


# ----------------------------------------------------------------------------- command line
@pytest.mark.parametrize("name", MODELS)
def test_command_line_gives_the_library_numbers(name, known_csv, run_cli):
    code, out, err = run_cli(
        "attribute", known_csv, "--model", name, "--value-col", "", "--format", "json"
    )
    if model_class(name).needs_times:
        # a path table has no touch times: refused in one line, not a traceback
        assert code == 2 and "Traceback" not in err and "error:" in err
        return
    assert code == 0, err
    got = {row["channel"]: row["conversions"] for row in json.loads(out)["channels"]}
    j = Journeys.from_path_table(known_csv, value=None)
    want = get_model(name).fit(j).attribute()
    assert got == pytest.approx(dict(zip(want.channel_names, want.conversions, strict=True)))


@pytest.fixture(scope="module")
def touch_csv(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A touch CSV of the timed journeys (as ``attribution-lab simulate`` writes it)."""
    from attribution_lab.simulate import simulate

    path = tmp_path_factory.mktemp("contract") / "touches.csv"
    simulate("hazard", 400, random_state=0).touch_frame().to_csv(path, index=False)
    return str(path)


@pytest.mark.parametrize("name", MODELS)
def test_command_line_gives_the_library_numbers_on_touch_times(name, touch_csv, run_cli):
    # --events reads the file as read_touch_table does; the run's seed (0 by default)
    # goes to a model whose seed acts, and every detail behind the credit is printed
    code, out, err = run_cli(
        "attribute", touch_csv, "--events", "--model", name, "--format", "json"
    )
    assert code == 0, err
    rows = {row["channel"]: row for row in json.loads(out)["channels"]}
    j = read_touch_table(touch_csv)
    want = get_model(name, **fixed_seed(name, j)).fit(j).attribute().to_frame()
    got = pd.DataFrame.from_dict(rows, orient="index").drop(columns="channel")
    got.index.name = "channel"
    want = want.drop(columns="value_share")  # the JSON has the share of conversions only
    pd.testing.assert_frame_equal(got.loc[want.index, want.columns], want, rtol=1e-12)
