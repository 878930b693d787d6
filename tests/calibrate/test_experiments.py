"""calibrate_to_experiments: the combination by hand, a Monte Carlo reference, policies, errors."""

from __future__ import annotations

import numpy as np
import pytest

from attribution_lab import AttributionResult, Journeys
from attribution_lab.calibrate import calibrate_to_experiments, combine_estimates
from attribution_lab.lift import LiftTest
from attribution_lab.uncertainty import bootstrap

Z = 1.959963984540054


def journeys(times: bool = False, values: bool = False) -> Journeys:
    kw = {"times": [[0.0, 1.0], [2.0], [3.0]]} if times else {}
    if values:
        kw["values"] = [600.0, 400.0, 200.0]
    # 60 conversions among 400 persons
    return Journeys.from_paths(
        ["a > b", "a", "b"], conversions=[30, 20, 10], nulls=[70, 180, 90], **kw
    )


def model(stderr=(3.0, 3.0), value=(0.0, 0.0), **kw) -> AttributionResult:
    return AttributionResult(["a", "b"], [35.0, 25.0], list(value), total_conversions=60,
                             total_value=sum(value), estimand="rule", model="linear",
                             stderr=None if stderr is None else list(stderr), **kw)  # fmt: skip


def test_hand_computed_example():
    # prior variance 3^2 + (1 * 35)^2 = 1234, experiment variance 16: w = 1234 / 1250
    cal = calibrate_to_experiments(model(), journeys(), LiftTest("a", 20.0, stderr=4.0))
    w = 1234 / 1250
    assert cal.conversions[0] == pytest.approx(w * 20 + (1 - w) * 35)
    assert cal.stderr[0] == pytest.approx(np.sqrt(1234 * 16 / 1250))
    assert cal.ci_low[0] == pytest.approx(cal.conversions[0] - Z * cal.stderr[0])
    assert cal.details["experiment_weight"].tolist() == pytest.approx([w, 0.0])
    # untested b kept: the model's credit and standard error
    assert (cal.conversions[1], cal.stderr[1]) == (25.0, 3.0)
    assert cal.params["baseline_conversions"] == pytest.approx(60 - cal.conversions.sum())
    assert cal.estimand == "incremental" and cal.params["untested"] == "keep"


def test_model_error_zero_is_plain_precision_weighting_and_inf_the_experiment():
    t = LiftTest("a", 20.0, stderr=4.0)
    cal = calibrate_to_experiments(model(), journeys(), t, model_error=0)
    assert cal.conversions[0] == pytest.approx(9 / 25 * 20 + 16 / 25 * 35)  # 29.6
    assert cal.stderr[0] == pytest.approx(np.sqrt(9 * 16 / 25))
    cal = calibrate_to_experiments(model(), journeys(), t, model_error=np.inf)
    assert (cal.conversions[0], cal.stderr[0]) == (20.0, 4.0)


def test_a_channel_the_model_ignores_still_moves():
    # zero credit and zero standard error: the prior error is kappa * C / n = 30, not 0
    m = AttributionResult(["a", "b"], [60.0, 0.0], [0.0, 0.0], total_conversions=60,
                          total_value=0, estimand="rule", model="first_touch",
                          stderr=[0.0, 0.0])  # fmt: skip
    cal = calibrate_to_experiments(m, journeys(), LiftTest("b", 10.0, stderr=3.0))
    w = 900 / 909
    assert cal.conversions[1] == pytest.approx(w * 10.0)
    assert cal.stderr[1] == pytest.approx(np.sqrt(900 * 9 / 909))


def test_population_scaling_and_pooling_of_two_tests():
    # measured on 200 persons, the journeys have 400: twice the conversions
    t = LiftTest("a", 10.0, stderr=2.0, population=200)
    cal = calibrate_to_experiments(model(), journeys(), t, model_error=np.inf)
    assert (cal.conversions[0], cal.stderr[0]) == (20.0, 4.0)
    two = [LiftTest("a", 10.0, stderr=1.0), LiftTest("a", 20.0, stderr=2.0)]
    cal = calibrate_to_experiments(model(), journeys(), two, model_error=np.inf)
    assert cal.conversions[0] == pytest.approx(12.0)
    assert cal.params["n_lift_tests"] == 2


def test_pooled_policy_by_hand():
    t = LiftTest("a", 17.5, stderr=2.0)
    cal = calibrate_to_experiments(model(), journeys(), [t, LiftTest("b", 12.5, stderr=1.0)],
                                   untested="pooled", model_error=np.inf)  # fmt: skip
    assert cal.details["tested"].tolist() == [1.0, 1.0]
    rho = 17.5 / 35
    assert "pooled_ratio" not in cal.params  # nothing untested
    assert cal.conversions[1] == pytest.approx(12.5)
    # var = m^2 (var_rho + (kappa rho)^2) + rho^2 s_m^2: kappa = inf would be unbounded
    with pytest.raises(ValueError, match="which is inf"):
        calibrate_to_experiments(model(), journeys(), t, untested="pooled", model_error=np.inf)
    cal = calibrate_to_experiments(model(), journeys(), t, untested="pooled", model_error=0.5)
    rho = cal.conversions[0] / 35
    var_rho = cal.stderr[0] ** 2 / 35**2
    var = 25**2 * (var_rho + (0.5 * rho) ** 2) + rho**2 * 9
    assert cal.stderr[1] == pytest.approx(np.sqrt(var))
    assert cal.details["tested"].tolist() == [1.0, 0.0]


def test_value_combined_or_moving_with_conversions():
    m, j = model(value=(700.0, 500.0)), journeys(values=True)
    cal = calibrate_to_experiments(m, j, LiftTest("a", 17.5, stderr=2.0), model_error=np.inf)
    assert cal.value[0] == pytest.approx(350.0)  # 20 per credited conversion, kept
    t = LiftTest("a", 17.5, stderr=2.0, value=300.0, value_stderr=10.0)
    cal = calibrate_to_experiments(m, j, t, model_error=np.inf)
    assert cal.value[0] == pytest.approx(300.0) and cal.value[1] == 500.0
    assert cal.params["baseline_value"] == pytest.approx(1200 - 800)


def test_keep_uses_the_models_own_interval():
    m = model(ci_low=[30.0, 19.0], ci_high=[41.0, 30.0], ci_level=0.95)
    cal = calibrate_to_experiments(m, journeys(), LiftTest("a", 20.0, stderr=4.0))
    assert (cal.ci_low[1], cal.ci_high[1]) == (19.0, 30.0)


def test_a_model_is_bootstrapped_when_it_has_no_stderr():
    j = journeys()
    cal = calibrate_to_experiments("linear", j, LiftTest("b", 5.0, stderr=2.0), n_boot=20,
                                   random_state=0)  # fmt: skip
    boot = bootstrap("linear", j, 20, random_state=0)
    assert cal.details["model_stderr"].tolist() == pytest.approx(boot.stderr.tolist())
    assert cal.details["model_conversions"].tolist() == boot.conversions.tolist()


def test_confounding_end_to_end_moves_toward_the_experiment():
    from attribution_lab.simulate import make_world

    world = make_world("confounding")
    sim = world.simulate(3000, random_state=0)
    exp = world.experiment("paid_search", holdout=0.5, n=50_000, random_state=1)
    cal = calibrate_to_experiments("linear", sim.journeys, exp.to_lift_test(), n_boot=20,
                                   random_state=0)  # fmt: skip
    m, e = cal.details["model_conversions"][0], cal.details["experiment_conversions"][0]
    assert abs(cal.conversions[0] - e) < 0.1 * abs(m - e)
    assert cal.ci_low[0] < cal.conversions[0] < cal.ci_high[0]


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"tests": [LiftTest("c", 1.0, stderr=1.0)]}, ValueError, "no channel 'c'"),
        ({"tests": [LiftTest("a", 1.0, stderr=1.0, start=50, end=60)]}, ValueError,
         "does not overlap"),
        ({"result_or_model": model(stderr=None)}, ValueError, "has no stderr"),
        ({"result_or_model": 3}, TypeError, "AttributionResult, an AttributionModel"),
        ({"untested": "drop"}, ValueError, "untested must be one of keep, pooled"),
        ({"model_error": -1}, ValueError, "model_error must be a number >= 0"),
        ({"model_error": True}, TypeError, "model_error"),
        ({"ci_level": 1.5}, ValueError, "ci_level"),
        ({"journeys": "paths.csv"}, TypeError, "journeys must be a Journeys"),
    ],
)  # fmt: skip
def test_bad_input(kwargs, error, message):
    args = {"result_or_model": model(), "journeys": journeys(times=True),
            "tests": [LiftTest("a", 1.0, stderr=1.0)], **kwargs}  # fmt: skip
    with pytest.raises(error, match=message):
        calibrate_to_experiments(**args)


def test_result_of_other_journeys_is_refused():
    other = Journeys.from_paths(["a > b", "b"], conversions=[3, 1], nulls=[1, 1])
    with pytest.raises(ValueError, match="credits 60 conversions, the journeys have 4"):
        calibrate_to_experiments(model(), other, LiftTest("a", 1.0, stderr=1.0))
    third = Journeys.from_paths(["a > c"], conversions=[60], nulls=[1])
    with pytest.raises(ValueError, match=r"credits channels \['a', 'b'\]"):
        calibrate_to_experiments(model(), third, LiftTest("a", 1.0, stderr=1.0))


def test_combine_estimates_refuses_two_certainties():
    with pytest.raises(ValueError, match="both claim zero variance"):
        combine_estimates(np.ones(1), np.zeros(1), np.ones(1), np.zeros(1))


@pytest.mark.slow
def test_combination_is_the_posterior_of_a_monte_carlo_reference():
    """Draw the truth from the prior and the experiment around it; keep the draws whose
    experiment lands next to the observed one: their mean and spread are the posterior."""
    rng = np.random.default_rng(0)
    m, v_m, v_e, e_obs = 35.0, 3.0**2 + 10.0**2, 4.0**2, 20.0
    theta = rng.normal(m, np.sqrt(v_m), 20_000_000)
    e = rng.normal(theta, np.sqrt(v_e))
    kept = theta[np.abs(e - e_obs) < 0.1]
    est, var, _ = combine_estimates(np.array([m]), np.array([v_m]), np.array([e_obs]),
                                    np.array([v_e]))  # fmt: skip
    se = np.sqrt(var[0] / kept.size)
    assert kept.size > 40_000
    assert abs(kept.mean() - est[0]) < 5 * se + 0.01  # + the window's half-width effect
    assert kept.var() == pytest.approx(var[0], rel=0.03)
    # and the calibrated result uses exactly this combination
    res = model()
    cal = calibrate_to_experiments(res, journeys(), LiftTest("a", e_obs, stderr=4.0),
                                   model_error=10.0 / m)  # fmt: skip
    assert cal.conversions[0] == pytest.approx(est[0])


@pytest.mark.slow
def test_calibrated_intervals_cover_the_truth_over_seeds():
    """confounding world: the model over-credits paid search; the calibrated interval
    (default model_error) still covers the incremental truth at about 95%."""
    from scipy.stats import binom

    from attribution_lab.simulate import make_world

    world = make_world("confounding")
    k, covered = 150, 0
    for seed in range(k):
        sim = world.simulate(3000, random_state=seed)
        exp = world.experiment("paid_search", holdout=0.2, n=30_000, random_state=10_000 + seed)
        boot = bootstrap("linear", sim.journeys, 10, random_state=seed, aggregate=True)
        cal = calibrate_to_experiments(boot, sim.journeys, exp.to_lift_test())
        t = sim.truths["incremental"].conversions[0]
        covered += cal.ci_low[0] <= t <= cal.ci_high[0]
    assert covered >= binom.ppf(1e-6, k, 0.95)
