"""The fast point-process code against the slow per-journey reference (`hawkes._reference`).

Random timed journeys (1-8 touches, 3-4 channels, touches at the same moment, journeys
ending at their last touch, aggregated rows) and random parameters: the vectorised
log-likelihood equals the reference's, its analytic gradient equals central finite
differences of the reference, and the game's v(S) equals the reference's direct simulation
within Monte Carlo error. Any seed must pass: the tolerances are justified where they are.
"""

from __future__ import annotations

import copy
import functools
import math
import warnings

import numpy as np
import pytest

from attribution_lab import Journeys
from attribution_lab.hawkes import (
    PointProcessAttribution,
    PointProcessGame,
    point_process_log_likelihood,
)
from attribution_lab.hawkes._reference import (
    reference_coalition_table_exact,
    reference_coalition_value,
    reference_direct_effect,
    reference_log_likelihood,
)
from attribution_lab.shapley.base import Game
from attribution_lab.simulate import PointProcessWorld

SEEDS = [0, 1, 2, 3, 4, 5]


# ----------------------------------------------------------------------------- inputs
def random_journeys(rng: np.random.Generator, n: int = 25, n_channels: int = 3) -> Journeys:
    """Timed journeys with ties, zero lags to the end, and rows of several customers."""
    lengths = rng.integers(1, 9, size=n)
    channels = rng.integers(0, n_channels, size=lengths.sum())
    channels[:n_channels] = np.arange(n_channels)  # every channel appears
    # a third of the gaps are 0: touches at the same moment (also as the first touch)
    gaps = np.where(rng.random(lengths.sum()) < 0.3, 0.0, rng.exponential(1.5, lengths.sum()))
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    jid = np.repeat(np.arange(n), lengths)
    gaps[offsets[:-1]] = rng.uniform(0, 10, n)  # the journey's own start
    cum = np.cumsum(gaps)
    times = cum - np.repeat(cum[offsets[:-1]] - gaps[offsets[:-1]], lengths)
    last = times[offsets[1:] - 1]
    # a fifth of the journeys end at their last touch (a touch at the conversion)
    end = np.where(rng.random(n) < 0.2, last, last + rng.exponential(3.0, n))
    conv = rng.choice([0.0, 1.0, 2.0], size=n, p=[0.5, 0.35, 0.15])
    nulls = rng.choice([0.0, 1.0, 3.0], size=n, p=[0.4, 0.4, 0.2])
    nulls[conv == 0] = np.maximum(nulls[conv == 0], 1.0)
    assert np.all(np.diff(times)[np.diff(jid) == 0] >= 0)
    names = [f"c{k}" for k in range(n_channels)]
    return Journeys(channels, offsets, names, conv, nulls, times=times, end_time=end)


def random_params(rng: np.random.Generator, n_channels: int, pair: bool) -> tuple:
    """(mu, alpha, decay, baseline, beta, omega); a quarter of alpha exactly 0."""
    c = n_channels
    alpha = rng.uniform(0.0, 0.6, (c, c)) * (rng.random((c, c)) > 0.25)
    return (
        rng.uniform(0.05, 1.0, c),
        alpha,
        rng.uniform(0.2, 3.0, (c, c) if pair else c),
        float(rng.uniform(0.01, 0.3)),
        rng.uniform(0.05, 1.5, c),
        rng.uniform(0.1, 2.0, c),
    )


def case(seed: int, pair: bool) -> tuple[Journeys, tuple]:
    rng = np.random.default_rng(seed)
    n_channels = int(rng.integers(3, 5))
    return random_journeys(rng, n_channels=n_channels), random_params(rng, n_channels, pair)


# ------------------------------------------------------------------------- likelihood
def reference_total(journeys: Journeys, params: tuple) -> float:
    return sum(reference_log_likelihood(journeys, *params))


@pytest.mark.parametrize("pair", [False, True], ids=["per_source", "per_pair"])
@pytest.mark.parametrize("seed", SEEDS)
def test_log_likelihood_equals_the_reference(seed, pair):
    journeys, params = case(seed, pair)
    fast = point_process_log_likelihood(journeys, *params)
    # a sum of a few hundred terms of both signs: rounding near 1e-15 of |ll|
    assert fast == pytest.approx(reference_total(journeys, params), rel=1e-12)


def to_theta(params: tuple) -> np.ndarray:
    """[log mu, alpha row-major, log decay row-major, log baseline, log beta, log omega]."""
    mu, alpha, decay, baseline, beta, omega = params
    return np.concatenate(
        [
            np.log(mu),
            alpha.ravel(),
            np.log(decay).ravel(),
            [np.log(baseline)],
            np.log(beta),
            np.log(omega),
        ]
    )


def from_theta(theta: np.ndarray, n_channels: int, pair: bool) -> tuple:
    c = n_channels
    n_decay = c * c if pair else c
    cut = np.cumsum([c, c * c, n_decay, 1, c])
    mu, alpha, decay, baseline, beta, omega = np.split(theta, cut)
    decay = np.exp(decay).reshape((c, c) if pair else (c,))
    return (
        np.exp(mu),
        alpha.reshape(c, c),
        decay,
        float(np.exp(baseline[0])),
        np.exp(beta),
        np.exp(omega),
    )


def check_gradient(journeys: Journeys, params: tuple, pair: bool) -> None:
    """The fast log-likelihood and gradient against the reference and its central differences."""
    theta = to_theta(params)
    ll, grad = point_process_log_likelihood(journeys, *params, gradient=True)
    assert grad.shape == theta.shape
    assert ll == pytest.approx(reference_total(journeys, params), rel=1e-12)
    h = 1e-5
    numeric = np.empty_like(theta)
    for k in range(theta.size):
        up, down = theta.copy(), theta.copy()
        up[k] += h
        down[k] -= h
        numeric[k] = (
            reference_total(journeys, from_theta(up, journeys.n_channels, pair))
            - reference_total(journeys, from_theta(down, journeys.n_channels, pair))
        ) / (2 * h)
    # central differences at h = 1e-5: truncation h^2/6 |f'''| is near 1e-10 of the
    # gradient; rounding, eps times the sum of the terms' sizes over h, near 1e-10 |f| (found
    # up to 8e-7 at |f| = 1100): rtol 1e-6 with an atol of 1e-8 |f|, for the components
    # that vanish (an alpha, a decay of a pair that never occurs) or nearly do
    np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-8 * max(1.0, abs(ll)))


@pytest.mark.parametrize("pair", [False, True], ids=["per_source", "per_pair"])
@pytest.mark.parametrize("seed", SEEDS[:4])
def test_gradient_equals_finite_differences_of_the_reference(seed, pair):
    check_gradient(*case(seed, pair), pair)


EDGES = {
    "one touch": [([1], [2.0], 6.0, 0, 1)],
    "all at one moment": [([0, 1, 1, 2], [1.0, 1.0, 1.0, 1.0], 1.0, 1, 0)],
    "ties after a cause": [([0, 2, 2, 2, 1], [0.0, 0.5, 0.5, 0.5, 3.0], 3.0, 2, 1)],
    "runs of one channel": [([2, 2, 2, 0, 0, 0], [0.0, 0.2, 0.2, 0.9, 1.4, 1.4], 8.0, 0, 4)],
    "all together": [
        ([1], [2.0], 6.0, 0, 1),
        ([0, 1, 1, 2], [1.0, 1.0, 1.0, 1.0], 1.0, 1, 0),
        ([0, 2, 2, 2, 1], [0.0, 0.5, 0.5, 0.5, 3.0], 3.0, 2, 1),
    ],
}


@pytest.mark.parametrize("rows", list(EDGES.values()), ids=list(EDGES))
@pytest.mark.parametrize("pair", [False, True], ids=["per_source", "per_pair"])
def test_edge_journeys_equal_the_reference(rows, pair):
    channels = [c for r in rows for c in r[0]]
    journeys = Journeys(
        np.array(channels),
        np.cumsum([0] + [len(r[0]) for r in rows]),
        ["a", "b", "c"],
        [r[3] for r in rows],
        [r[4] for r in rows],
        times=[t for r in rows for t in r[1]],
        end_time=[r[2] for r in rows],
    )
    check_gradient(journeys, random_params(np.random.default_rng(7), 3, pair), pair)


# ------------------------------------------------------------------------------ game
# display-like a triggers b and c, b triggers c; b and c convert, a hardly
WORLD = {
    "mu": [0.1, 0.05, 0.05],
    "alpha": [[0.0, 0.6, 0.3], [0.0, 0.0, 0.4], [0.0, 0.0, 0.0]],
    "decay": [0.5, 1.0, 1.0],
    "baseline": 0.002,
    "beta": [0.02, 0.3, 0.2],
    "omega": [0.5, 2.0, 1.0],
}
# tiny journeys over a, b, c (channels, times, end, conversions, nulls): parent assignments
# can be enumerated (at most 6 per journey); ties; rows of several customers
TINY = [
    ([0, 1, 2], [0.0, 1.0, 2.5], 6.0, 1, 1),
    ([0, 1, 1], [0.0, 0.5, 0.5], 4.0, 0, 2),
    ([1, 2], [0.0, 3.0], 3.0, 1, 0),
    ([0, 2], [0.0, 1.0], 10.0, 0, 1),
]
Z = 4.5  # standard errors a Monte Carlo estimate may stray: 7 in a million for any seed
N_ALL = 0b111


def build(rows) -> Journeys:
    return Journeys(
        np.array([c for r in rows for c in r[0]]),
        np.cumsum([0] + [len(r[0]) for r in rows]),
        ["a", "b", "c"],
        [r[3] for r in rows],
        [r[4] for r in rows],
        times=[t for r in rows for t in r[1]],
        end_time=[r[2] for r in rows],
    )


@functools.cache
def fitted(decay: str = "source") -> PointProcessAttribution:
    """A model fitted on the world; any fit will do (the reference takes its parameters), so
    a warning about it (c excites nothing: its decay sits on the box's edge) is no concern."""
    world = PointProcessWorld(**WORLD, channel_names=["a", "b", "c"], window=20.0)
    journeys = world.simulate(1000, random_state=0).journeys
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return PointProcessAttribution(decay=decay, random_state=0).fit(journeys)


def params_of(model: PointProcessAttribution) -> tuple:
    """(mu, alpha[source, target], decay, baseline, beta, omega) of a fitted model."""
    assert list(model.alpha_.index) == list(model.alpha_.columns) == list(model.channel_names_)
    return (
        model.mu_.to_numpy(),
        model.alpha_.to_numpy(),
        model.decay_.to_numpy(),
        float(model.baseline_),
        model.beta_.to_numpy(),
        model.omega_.to_numpy(),
    )


def shapley_matrix(n: int) -> np.ndarray:
    """W (2^n, n): Shapley values = table @ W, for a table indexed by bitmask."""
    w = np.zeros((1 << n, n))
    for s in range(1 << n):
        k = bin(s).count("1")
        for c in range(n):
            if s >> c & 1:
                w[s, c] += math.factorial(k - 1) * math.factorial(n - k) / math.factorial(n)
            else:
                w[s, c] -= math.factorial(k) * math.factorial(n - k - 1) / math.factorial(n)
    return w


@pytest.mark.parametrize(("decay", "seed"), [("source", 0), ("source", 1), ("pair", 2)])
def test_model_credit_equals_the_enumerated_game(decay, seed):
    # the model averages sum_j n_j (1 - e^(-Lambda_j(S))) over n_draws parent draws shared by
    # all coalitions; the enumeration gives the exact mean and the covariance of one draw,
    # so each statistic L of the table may stray Z sqrt(L cov L / n_draws)
    journeys, params, draws = build(TINY), params_of(fitted(decay)), 400
    assert params[1].max() > 0.1  # the fit found mediation to test
    model = copy.deepcopy(fitted(decay)).set_params(n_draws=draws, random_state=seed)
    details = model.attribute(journeys).details
    mean, covariance = reference_coalition_table_exact(journeys, *params)
    assert details["v_all"][0] == pytest.approx(mean[N_ALL], rel=1e-10)  # every touch acts
    assert details["v_empty"][0] == pytest.approx(mean[0], rel=1e-10)
    statistics = {"shapley_value": shapley_matrix(3).T, "removal_effect": np.zeros((3, 8))}
    for c in range(3):
        statistics["removal_effect"][c, N_ALL] = 1.0
        statistics["removal_effect"][c, N_ALL ^ (1 << c)] = -1.0
    for name, rows in statistics.items():
        exact = rows @ mean
        variance = np.einsum("cs,st,ct->c", rows, covariance, rows) / draws
        se = np.sqrt(np.maximum(variance, 0.0))  # rounding leaves -1e-20 for a constant
        assert np.all(np.abs(details[name] - exact) <= Z * se + 1e-12), (name, details[name], exact)


def test_model_removal_and_direct_effects_equal_the_direct_simulation():
    # the same against the reference's simulation of parents and conversion times
    journeys, params, draws = build(TINY), params_of(fitted()), 400
    model = copy.deepcopy(fitted()).set_params(n_draws=draws, random_state=3)
    details = model.attribute(journeys).details
    _, covariance = reference_coalition_table_exact(journeys, *params)
    everyone = reference_coalition_value(journeys, *params, [True] * 3, 1000, 10)
    for c in range(3):
        without = [k != c for k in range(3)]
        rest = reference_coalition_value(journeys, *params, without, 1000, 20 + c)
        removal = everyone[0] - rest[0]
        other = N_ALL ^ (1 << c)
        model_var = covariance[other, other] / draws  # v(N) is the same in every draw
        se = math.sqrt(everyone[1] ** 2 + rest[1] ** 2 + model_var)
        assert abs(details["removal_effect"][c] - removal) <= Z * se, (c, details, removal, se)
        # direct: its touches and their offspring kept, beta_c = 0 (exact in the model)
        direct = reference_direct_effect(journeys, *params[3:], c, 1000, 30 + c)
        assert abs(details["direct"][c] - direct[0]) <= Z * direct[1], (c, details, direct)


def test_game_equals_the_enumerated_game_and_the_direct_simulation():
    # PointProcessGame's v(S) of every coalition: against the exact mean within its Monte
    # Carlo error (the enumeration's covariance of one draw over n_draws), and against the
    # reference's direct simulation within both standard errors
    journeys, params, draws = build(TINY), params_of(fitted()), 1000
    game = PointProcessGame(journeys, fitted(), n_draws=draws, random_state=0)
    assert isinstance(game, Game)
    coalitions = np.array([[bool(s >> c & 1) for c in range(3)] for s in range(8)])
    values = game(coalitions)
    mean, covariance = reference_coalition_table_exact(journeys, *params)
    se = np.sqrt(np.maximum(np.diag(covariance), 0.0) / draws)  # rounding: -1e-20 for constants
    assert np.all(np.abs(values - mean) <= Z * se + 1e-12), (values, mean, se)
    for s in (0b010, 0b101, 0b110):
        simulated = reference_coalition_value(journeys, *params, coalitions[s], 1000, s)
        assert abs(values[s] - simulated[0]) <= Z * math.hypot(se[s], simulated[1]), s
