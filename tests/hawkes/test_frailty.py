"""The gamma frailty of the point-process model: its closed-form likelihood against the
per-customer reference, its gradient, its limit without heterogeneity, and its fit."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from attribution_lab import Journeys
from attribution_lab.hawkes import PointProcessAttribution, point_process_log_likelihood
from attribution_lab.hawkes._data import _prepare
from attribution_lab.hawkes._frailty import frailty_loglik
from attribution_lab.hawkes._reference import reference_frailty_log_likelihood
from attribution_lab.simulate import simulate


def random_journeys(rng: np.random.Generator, n: int = 40, c: int = 3) -> Journeys:
    """Journeys of 1-6 touches with ties, rows of several customers, some converting."""
    paths, times, ends, conv, nulls = [], [], [], [], []
    for _ in range(n):
        m = int(rng.integers(1, 7))
        t = np.sort(np.round(rng.uniform(0, 8, m), int(rng.integers(0, 3))))
        paths.append([f"c{x}" for x in rng.integers(0, c, m)])
        times.append(t.tolist())
        ends.append(float(t[-1] + rng.uniform(0, 4)))
        customers = int(rng.integers(1, 4))
        converted = rng.random() < 0.4
        conv.append(customers if converted else 0)
        nulls.append(0 if converted else customers)
    return Journeys.from_paths(paths, conversions=conv, nulls=nulls, times=times, end_time=ends)


def random_params(rng: np.random.Generator, c: int, pair: bool) -> dict:
    return {
        "mu": rng.uniform(0.02, 0.3, c),
        "alpha": rng.uniform(0, 0.6, (c, c)) * (rng.random((c, c)) < 0.7),
        "decay": rng.uniform(0.2, 3, (c, c) if pair else c),
        "baseline": float(rng.uniform(0.001, 0.05)),
        "beta": rng.uniform(0.01, 0.5, c),
        "omega": rng.uniform(0.1, 2, c),
    }


def theta_of(p: dict, shape: float) -> np.ndarray:
    return np.concatenate(
        [
            np.log(p["mu"]),
            p["alpha"].ravel(),
            np.log(p["decay"]).ravel(),
            [np.log(p["baseline"])],
            np.log(p["beta"]),
            np.log(p["omega"]),
            [np.log(shape)],
        ]
    )


@pytest.mark.parametrize("pair", [False, True])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_closed_form_equals_the_per_customer_reference(seed, pair):
    rng = np.random.default_rng(seed)
    j = random_journeys(rng)
    p = random_params(rng, j.n_channels, pair)
    shape = float(rng.uniform(0.3, 5))
    y, u = np.asarray(j.conversions, float), np.asarray(j.nulls, float)
    fast, _ = frailty_loglik(theta_of(p, shape), _prepare(j), pair, y, u)
    slow = reference_frailty_log_likelihood(j, **p, shape=shape)
    assert fast == pytest.approx(slow, rel=1e-11, abs=1e-9)


@pytest.mark.parametrize("pair", [False, True])
def test_the_gradient_equals_central_differences(pair):
    rng = np.random.default_rng(7)
    j = random_journeys(rng)
    p = random_params(rng, j.n_channels, pair)
    # alpha away from 0 so that a difference step stays inside its domain
    p["alpha"] = np.maximum(p["alpha"], 0.05)
    theta = theta_of(p, 1.7)
    prep = _prepare(j)
    y, u = np.asarray(j.conversions, float), np.asarray(j.nulls, float)
    _, grad = frailty_loglik(theta, prep, pair, y, u)
    h = 1e-6
    numeric = np.array(
        [
            (frailty_loglik(theta + h * e, prep, pair, y, u)[0]
             - frailty_loglik(theta - h * e, prep, pair, y, u)[0]) / (2 * h)
            for e in np.eye(theta.size)
        ]
    )  # fmt: skip
    np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-6 * np.abs(grad).max())


def test_without_heterogeneity_it_is_the_model_without_frailty():
    # k -> infinity: Z = 1 almost surely; at k = 1e8 the closed form differs from the
    # frailty-free likelihood by O(N^2 / k) per journey
    rng = np.random.default_rng(3)
    j = random_journeys(rng)
    p = random_params(rng, j.n_channels, False)
    y, u = np.asarray(j.conversions, float), np.asarray(j.nulls, float)
    fast, _ = frailty_loglik(theta_of(p, 1e8), _prepare(j), False, y, u)
    assert fast == pytest.approx(point_process_log_likelihood(j, **p), rel=1e-6)


def test_the_fit_recovers_the_shape_and_drops_the_spurious_excitation():
    # point_process_frailty: k = 2 and no self-excitation of display; without the frailty
    # the heterogeneity of touch rates shows up as excitation of channels by themselves
    sim = simulate("point_process_frailty", 4_000, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        plain = PointProcessAttribution(random_state=0).fit(sim.journeys)
        frail = PointProcessAttribution(frailty=True, random_state=0).fit(sim.journeys)
    frame = frail.params_frame().set_index("parameter")
    low, high = frame.loc["frailty_shape", ["ci_low", "ci_high"]]
    assert low <= 2.0 <= high, (low, high)
    diag = lambda m: np.trace(m.alpha_.to_numpy())  # noqa: E731
    assert diag(frail) < diag(plain) / 2, (diag(frail), diag(plain))
    result = frail.attribute()
    assert result.conversions.sum() == pytest.approx(sim.journeys.n_conversions, rel=1e-9)


def test_frailty_is_refused_where_it_cannot_act():
    j = simulate("hazard", 300, random_state=0).journeys
    with pytest.raises(ValueError, match="conversion='hazard'"):
        PointProcessAttribution(frailty=True, conversion="window_end").fit(j)
    with pytest.raises(TypeError, match="frailty must be True or False"):
        PointProcessAttribution(frailty="yes").fit(j)
    both = Journeys.from_paths(
        [["a", "b"], ["a"]], conversions=[1, 0], nulls=[1, 1], times=[[0.0, 1.0], [0.0]],
        end_time=[2.0, 3.0],
    )  # fmt: skip
    with pytest.raises(ValueError, match="one outcome per row"):
        PointProcessAttribution(frailty=True).fit(both)
