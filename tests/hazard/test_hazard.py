"""The additive-hazard model, its Shapley game and its worlds: hand-computed likelihood and
gradient, slow per-journey references, finite differences, recovery of the process's
parameters, and the truncation world where a logistic model game must fail."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from sklearn.base import clone

from attribution_lab import Journeys, get_model
from attribution_lab.hazard import (
    HazardAttribution,
    HazardGame,
    hazard_log_likelihood,
    hazard_touch_weights,
)
from attribution_lab.hazard._data import _prepare
from attribution_lab.hazard.kernels import _loglik
from attribution_lab.hazard.model import _credit_jacobian
from attribution_lab.shapley import ModelGame, shapley_values_from_table
from attribution_lab.simulate import HazardWorld, make_world, scenarios, simulate

LN2 = math.log(2.0)


# ----------------------------------------------------------------------------- helpers
def random_journeys(rng: np.random.Generator, n: int = 40, n_channels: int = 3) -> Journeys:
    """Timed journeys with aggregated rows (conversions and nulls > 1) and values."""
    lengths = rng.integers(1, 6, size=n)
    channels = rng.integers(0, n_channels, size=lengths.sum())
    channels[:n_channels] = np.arange(n_channels)  # every channel appears
    gaps = rng.exponential(2.0, size=lengths.sum())
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    jid = np.repeat(np.arange(n), lengths)
    cum = np.cumsum(gaps)
    times = cum - np.repeat(cum[offsets[:-1]], lengths) + rng.uniform(0, 5, n)[jid]
    last = times[offsets[1:] - 1]
    # some journeys end at their last touch (lag 0), the rest later
    end = np.where(rng.random(n) < 0.2, last, last + rng.exponential(3.0, size=n))
    conv = rng.choice([0.0, 1.0, 2.0], size=n, p=[0.5, 0.35, 0.15])
    conv[0] = 1.0
    nulls = rng.choice([0.0, 1.0, 3.0], size=n, p=[0.4, 0.4, 0.2])
    nulls[conv == 0] = np.maximum(nulls[conv == 0], 1.0)
    value = np.where(conv > 0, rng.uniform(10, 100, n) * conv, 0.0)
    names = [f"c{k}" for k in range(n_channels)]
    return Journeys(channels, offsets, names, conv, nulls, value, times=times, end_time=end)


def random_params(
    rng: np.random.Generator, n_channels: int
) -> tuple[float, np.ndarray, np.ndarray]:
    return (
        float(rng.uniform(0.01, 0.5)),
        rng.uniform(0.05, 2.0, n_channels),
        rng.uniform(0.05, 2.0, n_channels),
    )


def reference_log_likelihood(j: Journeys, mu: float, beta, omega) -> float:
    """Per journey, straight from the definition: y log lambda(T) - n Lambda(T)."""
    total = 0.0
    for r in range(j.n_journeys):
        lo, hi = int(j.offsets[r]), int(j.offsets[r + 1])
        end = float(j.end_time[r])
        start = float(j.times[lo])
        hazard = mu
        cumulative = mu * (end - start)
        for i in range(lo, hi):
            c = int(j.channels[i])
            lag = end - float(j.times[i])
            hazard += beta[c] * omega[c] * math.exp(-omega[c] * lag)
            cumulative += beta[c] * (1.0 - math.exp(-omega[c] * lag))
        y = float(j.conversions[r])
        n = y + float(j.nulls[r])
        if y > 0:
            total += y * math.log(hazard)
        total -= n * cumulative
    return total


def reference_credit(j: Journeys, beta, omega) -> tuple[list[float], list[float]]:
    """Per converting journey: split y and value by each touch's kernel at the end."""
    conv = [0.0] * j.n_channels
    val = [0.0] * j.n_channels
    for r in range(j.n_journeys):
        y = float(j.conversions[r])
        if y == 0:
            continue
        lo, hi = int(j.offsets[r]), int(j.offsets[r + 1])
        end = float(j.end_time[r])
        kernels = []
        for i in range(lo, hi):
            c = int(j.channels[i])
            kernels.append(beta[c] * omega[c] * math.exp(-omega[c] * (end - float(j.times[i]))))
        total = sum(kernels)
        for i, k in zip(range(lo, hi), kernels, strict=True):
            conv[int(j.channels[i])] += y * k / total
            val[int(j.channels[i])] += float(j.value[r]) * k / total
    return conv, val


def fitted_with(j: Journeys, mu: float, beta, omega) -> HazardAttribution:
    """A model whose parameters are set by hand (fit on j, then overwritten)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = HazardAttribution().fit(j)
    model.theta_ = np.concatenate([[math.log(mu)], np.log(beta), np.log(omega)])
    return model


def tv(a: np.ndarray, b: np.ndarray) -> float:
    return 0.5 * float(np.abs(np.asarray(a) - np.asarray(b)).sum())


# ----------------------------------------------------------------------------- kernels
def test_log_likelihood_and_gradient_by_hand():
    # journey 0: a at day 0, b at day 1, converts at day 3
    # journey 1: a at day 0, two customers censored at day 5
    j = Journeys.from_paths(
        [["a", "b"], ["a"]], conversions=[1, 0], nulls=[0, 2],
        times=[[0.0, 1.0], [0.0]], end_time=[3.0, 5.0],
    )  # fmt: skip
    mu, ba, bb, oa, ob = 0.1, 1.0, 0.5, 0.5, 1.0
    ea, eb = math.exp(-oa * 3), math.exp(-ob * 2)  # decays at journey 0's conversion
    ea1 = math.exp(-oa * 5)  # journey 1's touch at its censoring
    lam = mu + ba * oa * ea + bb * ob * eb
    cum0 = mu * 3 + ba * (1 - ea) + bb * (1 - eb)
    cum1 = mu * 5 + ba * (1 - ea1)
    expected = math.log(lam) - cum0 - 2 * cum1
    ll, grad = hazard_log_likelihood(j, mu, [ba, bb], [oa, ob], gradient=True)
    assert ll == pytest.approx(expected, rel=1e-13)
    assert ll == pytest.approx(reference_log_likelihood(j, mu, [ba, bb], [oa, ob]), rel=1e-13)
    # d/d log mu: mu / lambda - mu * (3 + 2 * 5)
    g_mu = mu / lam - mu * 13
    # d/d log beta_a: kernel_a / lambda - beta_a (1 - ea) - 2 beta_a (1 - ea1)
    g_ba = ba * oa * ea / lam - ba * (1 - ea) - 2 * ba * (1 - ea1)
    g_bb = bb * ob * eb / lam - bb * (1 - eb)
    # d/d log omega_a: kernel_a (1 - omega_a lag) / lambda - kernel_a lag (journey 0)
    #                  - 2 beta_a omega_a lag e (journey 1)
    g_oa = ba * oa * ea * (1 - oa * 3) / lam - ba * oa * 3 * ea - 2 * ba * oa * 5 * ea1
    g_ob = bb * ob * eb * (1 - ob * 2) / lam - bb * ob * 2 * eb
    np.testing.assert_allclose(grad, [g_mu, g_ba, g_bb, g_oa, g_ob], rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("seed", range(6))
def test_gradient_matches_finite_differences(seed):
    rng = np.random.default_rng(seed)
    j = random_journeys(rng, n=int(rng.integers(5, 60)), n_channels=int(rng.integers(1, 5)))
    mu, beta, omega = random_params(rng, j.n_channels)
    prep = _prepare(j)
    theta = np.concatenate([[math.log(mu)], np.log(beta), np.log(omega)])
    _, grad = _loglik(theta, prep)
    h = 1e-6
    fd = np.array(
        [
            (_loglik(theta + h * e, prep)[0] - _loglik(theta - h * e, prep)[0]) / (2 * h)
            for e in np.eye(theta.size)
        ]
    )
    # central differences: error O(h^2 f''') plus rounding O(eps |f| / h)
    scale = 1.0 + abs(_loglik(theta, prep)[0])
    np.testing.assert_allclose(grad, fd, rtol=1e-5, atol=1e-6 * scale)


@pytest.mark.parametrize("seed", range(6))
def test_vectorised_matches_reference(seed):
    rng = np.random.default_rng(1000 + seed)
    j = random_journeys(rng, n=int(rng.integers(1, 80)), n_channels=int(rng.integers(1, 5)))
    mu, beta, omega = random_params(rng, j.n_channels)
    ll = hazard_log_likelihood(j, mu, beta, omega)
    assert ll == pytest.approx(reference_log_likelihood(j, mu, beta, omega), rel=1e-11)
    model = fitted_with(j, mu, beta, omega)
    result = model.attribute()
    conv, val = reference_credit(j, beta, omega)
    np.testing.assert_allclose(result.conversions, conv, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(result.value, val, rtol=1e-10, atol=1e-8)


@pytest.mark.parametrize("seed", range(3))
def test_credit_jacobian_matches_finite_differences(seed):
    rng = np.random.default_rng(3000 + seed)
    j = random_journeys(rng, n=50, n_channels=3)
    mu, beta, omega = random_params(rng, 3)
    model = fitted_with(j, mu, beta, omega)
    lag = np.asarray(j.end_time)[j.journey_index] - np.asarray(j.times)
    theta = model.theta_
    jac = _credit_jacobian(j, theta, lag)
    h = 1e-6
    fd = np.column_stack(
        [
            (model._credit(j, theta + h * e, lag)[0] - model._credit(j, theta - h * e, lag)[0])
            / (2 * h)
            for e in np.eye(theta.size)
        ]
    )
    np.testing.assert_allclose(jac, fd, rtol=1e-5, atol=1e-7)


def test_touch_weights_survive_old_touches():
    # lags of 1e4 half-lives: every kernel underflows, the shifted log-kernels do not
    w = hazard_touch_weights(
        np.array([0, 1]), np.array([0, 2]), np.array([2e4, 1e4]),
        np.log([1.0, 1.0]), np.log([LN2, LN2]),
    )  # fmt: skip
    assert np.all(np.isfinite(w)) and w.sum() == pytest.approx(1.0)
    assert w[1] == pytest.approx(1.0)


# ----------------------------------------------------------------------------- the model
@pytest.fixture(scope="module")
def hazard_sim():
    return simulate("hazard", 20_000, random_state=5)


@pytest.fixture(scope="module")
def hazard_fit(hazard_sim):
    return HazardAttribution().fit(hazard_sim.journeys)


def test_credit_sums_to_conversions_and_value(hazard_sim, hazard_fit):
    j = hazard_sim.journeys
    r = hazard_fit.attribute()
    assert r.model == "hazard" and r.estimand == "hazard_share"
    assert r.conversions.sum() == pytest.approx(j.n_conversions, rel=1e-12)
    assert r.value.sum() == pytest.approx(j.total_value, rel=1e-12)
    assert np.all(r.conversions > 0)
    assert np.all(r.ci_low < r.conversions) and np.all(r.conversions < r.ci_high)
    # the baseline's share is reported, and the unrenormalised credit is smaller
    assert 0 < hazard_fit.baseline_share_ < 0.5
    triggered = r.details["triggered_conversions"].sum()
    assert triggered == pytest.approx((1 - hazard_fit.baseline_share_) * j.n_conversions)


def test_touch_weights_give_the_credit(hazard_sim, hazard_fit):
    j = hazard_sim.journeys
    w = hazard_fit.touch_weights()
    np.testing.assert_allclose(np.bincount(j.journey_index, w), 1.0, rtol=1e-12)
    credit = np.bincount(j.channels, w * np.asarray(j.conversions)[j.journey_index])
    np.testing.assert_allclose(credit, hazard_fit.attribute().conversions, rtol=1e-12)
    assert HazardAttribution.needs_times


def test_params_frame(hazard_fit):
    f = hazard_fit.params_frame()
    assert list(f["parameter"].unique()) == ["baseline", "beta", "omega", "half_life"]
    hl = f[f["parameter"] == "half_life"].set_index("channel")
    om = f[f["parameter"] == "omega"].set_index("channel")
    np.testing.assert_allclose(hl["estimate"], LN2 / om["estimate"])
    # the half-life interval is the omega interval mapped through ln2 / omega
    np.testing.assert_allclose(hl["ci_low"], LN2 / om["ci_high"])
    np.testing.assert_allclose(hazard_fit.half_life_, hl["estimate"].to_numpy())
    assert np.all(f["ci_low"] < f["estimate"]) and np.all(f["estimate"] < f["ci_high"])


def test_credit_close_to_truth(hazard_sim, hazard_fit):
    # 20k journeys: the shares' sampling error is about 0.005; 0.03 leaves room for any seed
    assert tv(hazard_fit.attribute().share, hazard_sim.truth.share) < 0.03


def test_oracle_credit_is_the_rule_truth(hazard_sim):
    world = make_world("hazard")
    j = hazard_sim.journeys
    model = fitted_with(j, world.baseline, world.beta, world.omega)
    r = model.attribute()
    np.testing.assert_allclose(r.conversions, hazard_sim.truth.conversions, rtol=1e-10)
    np.testing.assert_allclose(r.value, hazard_sim.truth.value, rtol=1e-10)


def test_recovery_within_intervals():
    # 1e5 journeys, as the issue asks (about 3 s). Ten parameters are checked at once,
    # so each interval is at level 1 - 1e-5 (z = 4.4): for a correct model every check
    # fails with probability 1e-5, all ten together with about 1e-4, whatever the seed.
    # A biased fit would still be caught: the intervals are a few percent wide.
    seed = int(np.random.default_rng().integers(2**31))
    world = make_world("hazard")
    sim = world.simulate(100_000, random_state=seed)
    model = HazardAttribution(ci_level=1 - 1e-5).fit(sim.journeys)
    f = model.params_frame()
    truth = {
        "baseline": [world.baseline],
        "beta": world.beta,
        "omega": world.omega,
        "half_life": world.half_lives,
    }
    for name, values in truth.items():
        rows = f[f["parameter"] == name]
        inside = (rows["ci_low"] <= values) & (np.asarray(values) <= rows["ci_high"])
        assert inside.all(), f"seed {seed}: {name} {values} outside\n{rows}"
        # and informative: relative standard errors (display, the weakest and slowest
        # channel, has the largest: about 0.12 for its omega)
        assert np.all(rows["stderr"] / rows["estimate"] < 0.25), rows


def test_deterministic_and_seeded_starts(hazard_sim):
    j = hazard_sim.journeys.subset(np.arange(3000))
    a = HazardAttribution().fit(j).theta_
    b = HazardAttribution().fit(j).theta_
    np.testing.assert_array_equal(a, b)
    c = HazardAttribution(n_starts=2, random_state=7).fit(j).theta_
    d = HazardAttribution(n_starts=2, random_state=7).fit(j).theta_
    np.testing.assert_array_equal(c, d)
    np.testing.assert_allclose(a, c, rtol=1e-4, atol=1e-4)  # the same maximum


def test_registry_and_clone():
    model = get_model("hazard", ci_level=0.9)
    assert isinstance(model, HazardAttribution)
    assert clone(model).get_params()["ci_level"] == 0.9


# ----------------------------------------------------------------------------- bad input
def test_errors_without_times_or_end_time():
    no_times = Journeys.from_paths(["a > b", "b"], conversions=[1, 0], nulls=[0, 1])
    with pytest.raises(ValueError, match=r"touch times.*times="):
        HazardAttribution().fit(no_times)
    no_end = Journeys.from_paths(
        [["a", "b"], ["b"]], conversions=[1, 0], nulls=[0, 1], times=[[0.0, 1.0], [0.0]]
    )
    with pytest.raises(ValueError, match="end_time"):
        HazardAttribution().fit(no_end)
    with pytest.raises(ValueError, match="end_time"):
        HazardGame(no_end)


def test_errors_on_bad_journeys():
    unused = Journeys(
        np.array([0, 0]), np.array([0, 1, 2]), ["a", "never"], [1, 0], [0, 1],
        times=[0.0, 0.0], end_time=[1.0, 2.0],
    )  # fmt: skip
    with pytest.raises(ValueError, match="'never' never appears"):
        HazardAttribution().fit(unused)
    no_conv = Journeys.from_paths(
        [["a"]], conversions=[0], nulls=[1], times=[[0.0]], end_time=[1.0]
    )
    with pytest.raises(ValueError, match="no conversions"):
        HazardAttribution().fit(no_conv)
    with pytest.raises(TypeError, match="Journeys"):
        HazardAttribution().fit("a > b")


@pytest.mark.parametrize(
    "params, match",
    [
        ({"ci_level": 1.5}, "ci_level"),
        ({"ci_level": 0}, "ci_level"),
        ({"max_iter": 0}, "max_iter"),
        ({"n_starts": 0}, "n_starts"),
        ({"tol": -1.0}, "tol"),
    ],
)
def test_bad_params(hazard_sim, params, match):
    with pytest.raises(ValueError, match=match):
        HazardAttribution(**params).fit(hazard_sim.journeys)


def test_a_seed_without_extra_starts_is_refused(hazard_sim):
    j = hazard_sim.journeys.subset(np.arange(2000))
    with pytest.raises(ValueError, match=r"random_state=3 cannot act: .*n_starts=2 or more"):
        HazardAttribution(random_state=3).fit(j)
    HazardAttribution(random_state=None).fit(j)  # the default, given explicitly


def test_progress_shows_on_stderr_only_when_asked(hazard_sim, capsys):
    j = hazard_sim.journeys.subset(np.arange(2000))
    HazardAttribution().fit(j)
    assert capsys.readouterr().err == ""
    HazardAttribution(progress=True).fit(j)
    assert "hazard fit" in capsys.readouterr().err
    with pytest.raises(TypeError, match="progress must be True or False"):
        HazardAttribution(progress=1).fit(j)


def test_attribute_needs_the_same_channels(hazard_sim, hazard_fit):
    other = Journeys.from_paths([["x"]], conversions=[1], times=[[0.0]], end_time=[1.0])
    with pytest.raises(ValueError, match="same channels"):
        hazard_fit.attribute(other)
    with pytest.raises(RuntimeError, match="not fitted"):
        HazardAttribution().attribute(hazard_sim.journeys)


def test_channel_only_in_non_converters_warns():
    rng = np.random.default_rng(0)
    sim = simulate("hazard", 3000, random_state=rng)
    j = sim.journeys
    # add a channel touched only by non-converting journeys
    names = (*j.channel_names, "dud")
    channels = np.asarray(j.channels).copy()
    first = np.asarray(j.offsets[:-1])
    nulls = np.flatnonzero(np.asarray(j.conversions) == 0)[:200]
    channels[first[nulls]] = len(names) - 1
    dud = Journeys(
        channels, j.offsets, names, j.conversions, j.nulls, j.value,
        times=j.times, end_time=j.end_time,
    )  # fmt: skip
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = HazardAttribution().fit(dud)
    messages = [str(w.message) for w in caught]
    assert any("'dud' never appears in a converting journey" in m for m in messages), messages
    assert model.beta_["dud"] < 1e-3
    assert model.attribute().conversions[-1] == 0.0


# ----------------------------------------------------------------------------- the game
def reference_game(j: Journeys, mu: float, beta, omega, coalition: int) -> float:
    total = 0.0
    for r in range(j.n_journeys):
        lo, hi = int(j.offsets[r]), int(j.offsets[r + 1])
        end = float(j.end_time[r])
        cumulative = mu * (end - float(j.times[lo]))
        for i in range(lo, hi):
            c = int(j.channels[i])
            if coalition >> c & 1:
                cumulative += beta[c] * (1 - math.exp(-omega[c] * (end - float(j.times[i]))))
        total += (float(j.conversions[r]) + float(j.nulls[r])) * (1 - math.exp(-cumulative))
    return total


@pytest.mark.parametrize("seed", range(3))
def test_game_matches_reference(seed):
    rng = np.random.default_rng(2000 + seed)
    j = random_journeys(rng, n=30, n_channels=3)
    mu, beta, omega = random_params(rng, 3)
    game = HazardGame(j, fitted_with(j, mu, beta, omega))
    table = game.table()
    expected = [reference_game(j, mu, beta, omega, s) for s in range(8)]
    np.testing.assert_allclose(table, expected, rtol=1e-12)
    np.testing.assert_allclose(game([0, 5, 7]), table[[0, 5, 7]])
    phi = game.shapley_values()
    assert phi.sum() == pytest.approx(table[-1] - table[0])


def test_game_checks():
    sim = simulate("hazard", 2000, random_state=3)
    with pytest.raises(TypeError, match="HazardAttribution"):
        HazardGame(sim.journeys, model=get_model("linear"))
    with pytest.raises(ValueError, match="what"):
        HazardGame(sim.journeys, what="revenue")


def test_truncation_world_hazard_beats_logistic_game():
    # The negative control: journeys stop at conversion, so converters carry fewer
    # channels than the non-converters observed for 60 days, and a logistic model on
    # channel indicators finds every channel associated with *not* converting. Its
    # Shapley credit is then far from the truth (total variation ~0.4 of the shares,
    # with v(N) < v(empty)), while the hazard model, which knows how long each journey
    # was at risk, lands within sampling error (~0.02 at 2e4 journeys). The thresholds
    # sit between the two with a wide margin on each side, for any seed.
    seed = int(np.random.default_rng().integers(2**31))
    sim = simulate("truncation", 20_000, random_state=seed)
    j, truth = sim
    assert truth.estimand == "shapley"
    model = HazardAttribution().fit(j)
    hazard_tv = tv(model.attribute().share, truth.share)
    game = HazardGame(j, model)
    phi = game.shapley_values()
    game_tv = tv(phi / phi.sum(), truth.share)
    logistic = ModelGame(j)
    phi_l = shapley_values_from_table(logistic.table(), j.n_channels)
    logistic_tv = tv(phi_l / phi_l.sum(), truth.share)
    assert hazard_tv < 0.06, (seed, hazard_tv)
    assert game_tv < 0.08, (seed, game_tv)
    assert logistic_tv > 0.2, (seed, logistic_tv)
    assert phi_l.sum() < 0  # the logistic game even says the channels lose conversions
    assert hazard_tv < logistic_tv and game_tv < logistic_tv


# ----------------------------------------------------------------------------- worlds
def test_scenarios_registered():
    assert {"hazard", "truncation"} <= set(scenarios())
    assert make_world("truncation").name == "truncation"


def test_world_conversion_probability_is_exact():
    # One channel and no touch after the entry: Lambda(W) = mu W + beta (1 - e^{-omega W}),
    # so P(convert) = 1 - exp(-Lambda(W)); the binomial check uses 5 standard errors.
    mu, beta, omega, w = 0.01, 0.5, 0.2, 30.0
    world = HazardWorld([0.0], beta=beta, omega=omega, baseline=mu, window=w, entry=[1.0])
    n = 40_000
    j = world.simulate(n, random_state=np.random.default_rng()).journeys
    p = 1 - math.exp(-(mu * w + beta * (1 - math.exp(-omega * w))))
    rate = j.n_conversions / n
    assert abs(rate - p) < 5 * math.sqrt(p * (1 - p) / n)
    # every converter's time solves Lambda(T) = E: its distribution function is
    # P(T <= t) = 1 - exp(-Lambda(t)); check at the median of the converting times
    conv = np.asarray(j.conversions) > 0
    t_med = float(np.median(np.asarray(j.end_time)[conv]))
    p_t = 1 - math.exp(-(mu * t_med + beta * (1 - math.exp(-omega * t_med))))
    share = np.mean(np.asarray(j.end_time)[conv] <= t_med) * rate
    assert abs(share - p_t) < 5 * math.sqrt(p_t * (1 - p_t) / n) + 1.0 / n


def test_world_journeys_stop_at_conversion():
    sim = simulate("truncation", 3000, random_state=4)
    j = sim.journeys
    last = np.asarray(j.times)[np.asarray(j.offsets[1:]) - 1]
    end = np.asarray(j.end_time)
    conv = np.asarray(j.conversions) > 0
    assert np.all(last <= end)
    assert np.all(end[conv] < 60.0) and np.all(end[~conv] == 60.0)
    assert np.all(np.asarray(j.times)[np.asarray(j.offsets[:-1])] == 0.0)
    assert sim.params["unobserved_touches"] > 0
    assert set(sim.truths) == {"hazard_share", "shapley", "incremental"}
    shap = sim.truths["shapley"]
    assert shap.conversions.sum() == pytest.approx(
        sim.params["expected_conversions"] - sim.params["baseline_conversions"]
    )


def test_world_bad_params():
    with pytest.raises(ValueError, match="beta"):
        HazardWorld([0.1], beta=[0.0], omega=1.0, baseline=0.1)
    with pytest.raises(ValueError, match="baseline"):
        HazardWorld([0.1], beta=1.0, omega=1.0, baseline=0.0)
    with pytest.raises(ValueError, match="truth"):
        HazardWorld([0.1], beta=1.0, omega=1.0, baseline=0.1, truth="removal_effect")
    with pytest.raises(ValueError, match="channel_names"):
        HazardWorld([0.1, 0.1], beta=1.0, omega=1.0, baseline=0.1, channel_names=["a", "a"])


def test_credit_intervals_hold_edge_estimates_fixed_and_say_so():
    # on a world whose conversions ignore timing a half-life ends on the upper edge (no
    # decay): it has no standard error, and the credit's is computed holding it there
    from attribution_lab.simulate import make_world

    journeys, _ = make_world("confounding").simulate(5000, random_state=0)
    with pytest.warns(UserWarning, match="on the edge of the search box"):
        model = HazardAttribution().fit(journeys)
    free = np.isfinite(np.diag(model.covariance_.to_numpy()))
    assert not free.all()
    with pytest.warns(UserWarning, match="credit intervals hold the estimates on the edge"):
        result = model.attribute()
    assert np.isfinite(result.stderr).all() and (result.stderr > 0).all()
    # the same as the delta method over the free parameters alone
    from attribution_lab.hazard.model import _credit_jacobian

    times, end = journeys.times, journeys.end_time
    lag = end[journeys.journey_index] - times
    jac = _credit_jacobian(journeys, model.theta_, lag)[:, free]
    cov = model.covariance_.to_numpy()[np.ix_(free, free)]
    np.testing.assert_allclose(result.stderr, np.sqrt(np.diag(jac @ cov @ jac.T)), rtol=1e-10)
