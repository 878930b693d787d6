"""`PointProcessAttribution` as a model: fits on small seeded worlds, its result and errors.

The likelihood, its gradient and the game against the slow references are in
``test_kernels.py`` and ``test_reference.py``; here the model class is checked end to end:
no excitation found where there is none, the excitation found where one channel triggers
another, the result's totals and details, `params_frame`, and the errors a user meets.
"""

from __future__ import annotations

import copy
import warnings

import numpy as np
import pytest

from attribution_lab import Journeys
from attribution_lab.hawkes import PointProcessAttribution
from attribution_lab.simulate import simulate

DETAILS = {
    "shapley_value",
    "removal_effect",
    "direct",
    "mediated",
    "shapley_stderr",
    "v_all",
    "v_empty",
}


def fitted(journeys: Journeys, **params) -> PointProcessAttribution:
    # warnings about parameters on the edge of the search box (an effect or a baseline
    # near 0 in a small world) are the model's to test, not these tests'
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return PointProcessAttribution(**params).fit(journeys)


@pytest.fixture(scope="module")
def no_mediation() -> tuple[Journeys, PointProcessAttribution]:
    """2,000 journeys of the ``hazard`` scenario: touches after the first are Poisson
    (alpha = 0 in truth), conversions the additive hazard the model's conversion part is."""
    journeys = simulate("hazard", 2_000, random_state=0).journeys
    return journeys, fitted(journeys, random_state=0)


@pytest.fixture(scope="module")
def mediation() -> tuple[Journeys, PointProcessAttribution]:
    """3,000 journeys of the ``mediation`` scenario: each display touch triggers a brand
    search touch with probability 0.8 (exponential delay, mean 2 days); nothing else
    triggers anything."""
    journeys = simulate("mediation", 3_000, random_state=0).journeys
    return journeys, fitted(journeys, random_state=0)


# ----------------------------------------------------------------------------- recovery
def test_no_excitation_is_found_where_there_is_none(no_mediation):
    _, model = no_mediation
    frame = model.params_frame()
    alpha = frame[frame.parameter == "alpha"]
    assert len(alpha) == 16
    # a true alpha of 0 sits on the edge of its range: its estimate is 0 about half the
    # time and otherwise half-normal, so its one-sided interval [max(a - 1.96 se, 0), ...]
    # misses 0 with probability about 2.5%; of 16 such entries, 4 or more miss with
    # probability below 1e-3 (binomial)
    assert (alpha.ci_low > 0).sum() <= 3, alpha
    # and none is large: the process barely branches (0.07 here; 0.11 at 1,000 journeys)
    assert model.branching_ratio_ < 0.25
    assert model.alpha_.to_numpy().max() < 0.3


def test_an_excitation_is_found_where_one_channel_triggers_another(mediation):
    journeys, model = mediation
    frame = model.params_frame().set_index(["parameter", "source", "channel"])
    hit = frame.loc[("alpha", "display", "brand_search")]
    # the true branching ratio 0.8; the delay is exponential, as the model's kernel, so
    # the estimate is consistent: 4 standard errors (~0.06 here) pass for any seed
    assert abs(hit.estimate - 0.8) < 4 * hit.stderr
    assert hit.ci_low > 0.5
    others = model.alpha_.drop(index="display", errors="ignore").to_numpy()
    assert others.max() < 0.25 < hit.estimate

    details = model.attribute().details
    k = journeys.channel_names.index("display")
    mediated = details["mediated"]
    # display's removal effect is largely through the brand searches it triggers (about
    # half of it on seeds 0-3); the other channels trigger nothing, their mediated effects
    # come from small spurious excitations only (under 1 conversion of ~140 here)
    assert mediated[k] > 0.25 * details["removal_effect"][k]
    assert mediated[k] > 5 * np.abs(np.delete(mediated, k)).max()


# ----------------------------------------------------------------------------- the result
def test_the_credit_sums_to_the_totals_with_its_details(no_mediation):
    journeys, model = no_mediation
    result = model.attribute()
    assert result.model == "point_process" and result.estimand == "shapley_mediated"
    assert result.estimated and result.ci_level == 0.95
    assert result.conversions.sum() == pytest.approx(journeys.n_conversions, rel=1e-12)
    assert result.value.sum() == pytest.approx(journeys.total_value, rel=1e-12)
    assert set(result.details) == DETAILS
    d = result.details
    # removal = direct + mediated by definition, channel by channel
    np.testing.assert_allclose(d["direct"] + d["mediated"], d["removal_effect"], rtol=1e-12)
    # v(N) and v(empty) are one number each, repeated per channel; the unscaled Shapley
    # values share v(N) - v(empty) out exactly (efficiency of the game itself)
    assert np.ptp(d["v_all"]) == 0 and np.ptp(d["v_empty"]) == 0
    assert d["shapley_value"].sum() == pytest.approx(d["v_all"][0] - d["v_empty"][0], rel=1e-9)
    assert 0 < d["v_empty"][0] < d["v_all"][0]
    # the credit is the Shapley values scaled to the conversions
    scale = journeys.n_conversions / d["shapley_value"].sum()
    np.testing.assert_allclose(result.conversions, d["shapley_value"] * scale, rtol=1e-12)
    assert np.all(result.stderr > 0) and np.all(np.isfinite(result.stderr))
    assert np.all(result.ci_low < result.conversions)
    assert np.all(result.conversions < result.ci_high)


def test_the_same_seed_gives_the_same_credit_and_another_seed_other_draws(no_mediation):
    _, model = no_mediation
    again = model.attribute()
    np.testing.assert_array_equal(again.conversions, model.attribute().conversions)
    # the same fit, other draws of the branching structure
    moved = copy.deepcopy(model).set_params(random_state=1).attribute()
    assert not np.array_equal(moved.conversions, again.conversions)
    # ... within the Monte Carlo error the model reports
    assert np.all(np.abs(moved.conversions - again.conversions) < 5 * again.stderr)


def test_params_frame_has_a_row_per_parameter(no_mediation):
    journeys, model = no_mediation
    frame = model.params_frame()
    assert frame.columns.tolist() == [
        "parameter", "source", "channel", "estimate", "stderr", "ci_low", "ci_high",
    ]  # fmt: skip
    c = journeys.n_channels
    counts = frame.parameter.value_counts().to_dict()
    assert counts["mu"] == c and counts["alpha"] == c * c and counts["decay"] == c
    assert counts["baseline"] == 1 and counts["beta"] == c and counts["omega"] == c
    alpha = frame[frame.parameter == "alpha"]
    assert list(zip(alpha.source, alpha.channel, strict=True)) == [
        (a, b) for a in journeys.channel_names for b in journeys.channel_names
    ]
    np.testing.assert_allclose(alpha.estimate, model.alpha_.to_numpy().ravel())
    mu = frame[frame.parameter == "mu"]
    np.testing.assert_allclose(mu.estimate, model.mu_.to_numpy())
    known = frame.dropna(subset=["stderr"])
    assert (known.ci_low <= known.estimate).all() and (known.estimate <= known.ci_high).all()
    assert (frame[frame.parameter == "alpha"].ci_low >= 0).all()


def test_pair_decays_have_a_row_per_pair():
    journeys = simulate("hazard", 400, random_state=3).journeys
    model = fitted(journeys, decay="pair", random_state=0)
    assert model.decay_.shape == (4, 4)
    decay = model.params_frame().query("parameter == 'decay'")
    assert len(decay) == 16 and decay.source.notna().all()
    result = model.attribute()
    assert result.conversions.sum() == pytest.approx(journeys.n_conversions, rel=1e-12)


# ----------------------------------------------------------------------------- errors
def test_not_fitted_is_an_error():
    model = PointProcessAttribution()
    for call in (model.attribute, model.params_frame):
        with pytest.raises(RuntimeError, match="not fitted"):
            call()


def test_journeys_over_other_channels_are_refused(no_mediation):
    journeys, model = no_mediation
    renamed = Journeys(
        journeys.channels, journeys.offsets, [f"x_{n}" for n in journeys.channel_names],
        journeys.conversions, journeys.nulls, journeys.value,
        times=journeys.times, end_time=journeys.end_time,
    )  # fmt: skip
    with pytest.raises(ValueError, match="same channels"):
        model.attribute(renamed)


def test_a_channel_that_never_appears_is_refused():
    # a touch CSV names only channels it has touches of: this arises in Python, with
    # channel_names given
    j = simulate("hazard", 300, random_state=0).journeys
    extra = Journeys(
        j.channels, j.offsets, [*j.channel_names, "tv"], j.conversions, j.nulls, j.value,
        times=j.times, end_time=j.end_time,
    )  # fmt: skip
    with pytest.raises(ValueError, match="'tv' never appears"):
        PointProcessAttribution().fit(extra)


def test_journeys_of_one_touch_each_are_refused():
    j = Journeys.from_paths(["a", "b", "a"], conversions=[1, 0, 1], nulls=[0, 1, 0])
    timed = Journeys(
        j.channels, j.offsets, j.channel_names, j.conversions, j.nulls, j.value,
        times=np.zeros(3), end_time=np.array([2.0, 5.0, 1.0]),
    )  # fmt: skip
    with pytest.raises(ValueError, match="single touch"):
        PointProcessAttribution().fit(timed)


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"l1": -1.0}, "l1"),
        ({"l2": float("nan")}, "l2"),
        ({"decay": "x"}, "decay must be 'source' or 'pair'"),
        ({"n_draws": 1}, "n_draws"),
        ({"ci_level": 1.5}, "level"),
        ({"conversion": "x"}, "conversion must be"),
        ({"progress": "yes"}, "progress"),
    ],
)
def test_bad_parameters_are_refused_before_the_fit(params, match):
    j = simulate("hazard", 50, random_state=0).journeys
    with pytest.raises((ValueError, TypeError), match=match):
        PointProcessAttribution(**params).fit(j)


def test_removal_credit_is_the_scaled_removal_effects():
    # credit="removal": the same draws, the removal effects scaled to the total conversions
    j = simulate("point_process", 2_000, random_state=1).journeys
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        model = PointProcessAttribution(random_state=0).fit(j)
    shapley = model.attribute()
    removal = model.set_params(credit="removal").attribute()
    effect = shapley.details["removal_effect"]
    np.testing.assert_allclose(removal.conversions, j.n_conversions * effect / effect.sum())
    np.testing.assert_allclose(removal.details["removal_effect"], effect)
    assert (shapley.estimand, removal.estimand) == ("shapley_mediated", "incremental")
    assert "removal_stderr" in removal.details
    with pytest.raises(ValueError, match="credit must be"):
        PointProcessAttribution(credit="last").fit(j)
