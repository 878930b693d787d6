"""Slow, obviously correct versions of the point-process model, for the tests.

Plain Python loops per journey, per touch and per earlier touch, written straight from the
model's formulas (the Notes of `PointProcessAttribution`), with no recursion, no sorting
trick and no vectorisation: the fast kernels of `attribution_lab.hawkes` must agree with
these on any input.

Parameters everywhere: ``mu`` (C,) organic touches per day of each channel; ``alpha``
(C, C), ``alpha[d, c]`` the expected c-touches one d-touch triggers; ``decay`` (C,) per
source channel or (C, C) per pair; ``baseline``, ``beta`` (C,), ``omega`` (C,) the
conversion hazard of `attribution_lab.hazard`. Journey j's window runs from its first
touch :math:`s_j` to :math:`T_j` = ``end_time[j]``; it stands for
:math:`n_j` = conversions + nulls customers of whom :math:`y_j` = conversions converted.

- `reference_log_likelihood`: the touch and conversion parts of the log-likelihood.
- `reference_frailty_log_likelihood`: the same with a gamma frailty integrated out.
- `reference_coalition_value`: v(S) by direct simulation (draw each touch's parent, drop
  the touches outside S and their descendants, simulate the conversion time by thinning).
- `reference_direct_effect`: v(N) - v(N with beta_c = 0), by the same simulation.
- `reference_coalition_value_exact`: v(S) by enumerating every parent assignment of a
  tiny journey, with the closed-form conversion probability; a check on the simulation.
- `reference_coalition_table_exact`: the same for all coalitions at once, with the
  covariance of one draw (the Monte Carlo error of a closed-form estimator with common
  random numbers).
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np

from .._validation import check_random_state
from ..journeys import Journeys

__all__ = [
    "reference_coalition_table_exact",
    "reference_coalition_value",
    "reference_coalition_value_exact",
    "reference_direct_effect",
    "reference_frailty_log_likelihood",
    "reference_log_likelihood",
]

ORGANIC = -1  # the parent of an immigrant touch (and of every journey's first touch)


# ------------------------------------------------------------------------- one journey
def journey(journeys: Journeys, j: int) -> tuple[list[int], list[float], float, float, float]:
    """(channels, times, end, y, n) of journey j as plain Python numbers."""
    lo, hi = int(journeys.offsets[j]), int(journeys.offsets[j + 1])
    channels = [int(c) for c in journeys.channels[lo:hi]]
    times = [float(t) for t in journeys.times[lo:hi]]
    y = float(journeys.conversions[j])
    n = y + float(journeys.nulls[j])
    return channels, times, float(journeys.end_time[j]), y, n


def delta_of(decay: np.ndarray, d: int, c: int) -> float:
    """Decay rate of the kernel of a d-touch on channel c: per source or per pair."""
    return float(decay[d]) if decay.ndim == 1 else float(decay[d, c])


def excitation(alpha: np.ndarray, decay: np.ndarray, d: int, c: int, lag: float) -> float:
    """Rate of c-touches a d-touch adds `lag` days after it: alpha delta e^(-delta lag)."""
    delta = delta_of(decay, d, c)
    return float(alpha[d, c]) * delta * math.exp(-delta * lag)


def touch_intensity(
    channels: list[int], times: list[float], i: int, mu: np.ndarray, alpha, decay
) -> float:
    """lambda_{c_i}(t_i) = mu[c_i] + excitation of every touch STRICTLY before t_i."""
    c = channels[i]
    rate = float(mu[c])
    for k in range(len(channels)):  # every touch, not only earlier indices
        if times[k] < times[i]:
            rate += excitation(alpha, decay, channels[k], c, times[i] - times[k])
    return rate


def touch_compensator(
    channels: list[int], times: list[float], end: float, mu: np.ndarray, alpha, decay
) -> float:
    """Expected touches of every channel over [s, T]: organic ones plus each touch's offspring."""
    start = times[0]
    total = (end - start) * float(np.sum(mu))
    for k in range(len(channels)):
        for c in range(len(mu)):
            delta = delta_of(decay, channels[k], c)
            total += float(alpha[channels[k], c]) * (1.0 - math.exp(-delta * (end - times[k])))
    return total


def conversion_intensity(
    channels: list[int], times: list[float], t: float, baseline: float, beta, omega
) -> float:
    """lambda_conv(t) = baseline + sum over touches at or before t of beta omega e^(-omega lag)."""
    rate = baseline
    for i in range(len(channels)):
        if times[i] <= t:
            c = channels[i]
            rate += float(beta[c] * omega[c]) * math.exp(-float(omega[c]) * (t - times[i]))
    return rate


def conversion_cumulative(
    channels: list[int], times: list[float], start: float, end: float, baseline: float, beta, omega
) -> float:
    """Lambda = integral of lambda_conv over [start, end] (touches all within the window)."""
    total = baseline * (end - start)
    for i in range(len(channels)):
        c = channels[i]
        total += float(beta[c]) * (1.0 - math.exp(-float(omega[c]) * (end - times[i])))
    return total


def _arrays(mu, alpha, decay, beta, omega) -> tuple[np.ndarray, ...]:
    mu = np.asarray(mu, dtype=np.float64)
    c = mu.size
    alpha = np.asarray(alpha, dtype=np.float64).reshape(c, c)
    decay = np.asarray(decay, dtype=np.float64)
    if decay.shape not in ((c,), (c, c)):
        raise ValueError(f"decay must have shape ({c},) or ({c}, {c}), got {decay.shape}")
    beta = np.broadcast_to(np.asarray(beta, dtype=np.float64), (c,))
    omega = np.broadcast_to(np.asarray(omega, dtype=np.float64), (c,))
    return mu, alpha, decay, beta, omega


# ------------------------------------------------------------------------ likelihood
def reference_log_likelihood(
    journeys: Journeys, mu: Any, alpha: Any, decay: Any, baseline: float, beta: Any, omega: Any
) -> tuple[float, float]:
    """(touch part, conversion part) of the log-likelihood, one journey at a time.

    Touch part: sum_j n_j [sum_{i >= 1} log lambda_{c_i}(t_i) - C_j] (the first touch is
    conditioned on); conversion part: sum_j y_j log lambda_conv(T_j) - n_j Lambda_j.
    """
    mu, alpha, decay, beta, omega = _arrays(mu, alpha, decay, beta, omega)
    touch_part = 0.0
    conversion_part = 0.0
    for j in range(journeys.n_journeys):
        channels, times, end, y, n = journey(journeys, j)
        events = 0.0
        for i in range(1, len(channels)):
            events += math.log(touch_intensity(channels, times, i, mu, alpha, decay))
        touch_part += n * (events - touch_compensator(channels, times, end, mu, alpha, decay))
        if y > 0:
            hazard = conversion_intensity(channels, times, end, baseline, beta, omega)
            conversion_part += y * math.log(hazard)
        cumulative = conversion_cumulative(channels, times, times[0], end, baseline, beta, omega)
        conversion_part -= n * cumulative
    return touch_part, conversion_part


def reference_frailty_log_likelihood(
    journeys: Journeys,
    mu: Any,
    alpha: Any,
    decay: Any,
    baseline: float,
    beta: Any,
    omega: Any,
    shape: float,
) -> float:
    """Log-likelihood with a gamma frailty Z ~ Gamma(shape k, rate k) per customer
    multiplying every intensity after the first touch, integrated out customer by customer.

    Given Z, a customer with m touch events and y_c in {0, 1} conversions has density
    prod (Z lambda) * exp(-Z (C + Lambda)), and
    E[Z^a exp(-Z s)] = k^k Gamma(k + a) / (Gamma(k) (k + s)^(k + a)).
    """
    mu, alpha, decay, beta, omega = _arrays(mu, alpha, decay, beta, omega)
    k = float(shape)
    total = 0.0
    for j in range(journeys.n_journeys):
        channels, times, end, y, n = journey(journeys, j)
        logs = 0.0
        for i in range(1, len(channels)):
            logs += math.log(touch_intensity(channels, times, i, mu, alpha, decay))
        m = len(channels) - 1
        s = touch_compensator(channels, times, end, mu, alpha, decay)
        s += conversion_cumulative(channels, times, times[0], end, baseline, beta, omega)
        hazard = conversion_intensity(channels, times, end, baseline, beta, omega)
        for converted, customers in ((1, y), (0, n - y)):
            if customers == 0:
                continue
            a = m + converted
            mixed = (
                k * math.log(k) + math.lgamma(k + a) - math.lgamma(k) - (k + a) * math.log(k + s)
            )
            total += customers * (logs + converted * math.log(hazard) + mixed)
    return total


# ------------------------------------------------------------------- branching structure
def parent_weights(
    channels: list[int], times: list[float], i: int, mu: np.ndarray, alpha, decay
) -> dict[int, float]:
    """Cause -> its share of lambda_{c_i}(t_i): ORGANIC -> mu[c_i], earlier touch k -> its
    excitation (unnormalised; they sum to `touch_intensity`). The first touch is organic."""
    if i == 0:
        return {ORGANIC: 1.0}
    weights = {ORGANIC: float(mu[channels[i]])}
    for k in range(len(channels)):
        if times[k] < times[i]:
            weights[k] = excitation(alpha, decay, channels[k], channels[i], times[i] - times[k])
    return weights


def sample_parents(
    channels: list[int], times: list[float], mu, alpha, decay, rng: np.random.Generator
) -> list[int]:
    """One draw of every touch's cause given the touch times (ORGANIC or a touch index)."""
    parents = []
    for i in range(len(channels)):
        weights = parent_weights(channels, times, i, mu, alpha, decay)
        # cause k with probability weights[k] / sum(weights): walk the cumulative sum
        u = rng.random() * sum(weights.values())
        for cause, w in weights.items():
            parent = cause  # the last cause if rounding leaves u >= the total
            if u < w:
                break
            u -= w
        parents.append(parent)
    return parents


def surviving(channels: list[int], parents: list[int], coalition: np.ndarray) -> list[bool]:
    """A touch survives iff its channel is in the coalition and its parent survived."""
    keep: list[bool] = []
    for i in range(len(channels)):  # a parent always comes before its child
        parent_kept = parents[i] == ORGANIC or keep[parents[i]]
        keep.append(bool(coalition[channels[i]]) and parent_kept)
    return keep


# ----------------------------------------------------------------------- conversion
def converts_by_thinning(
    channels: list[int],
    times: list[float],
    start: float,
    end: float,
    baseline: float,
    beta,
    omega,
    rng: np.random.Generator,
) -> bool:
    """Whether a conversion time falls in [start, end], drawn by thinning (Lewis & Shedler):
    candidates at rate `bound` >= lambda_conv, each kept with probability lambda_conv / bound.
    Uses the intensity only, never its integral."""
    bound = baseline + sum(float(beta[c] * omega[c]) for c in channels)  # each kernel <= beta omega
    t = start
    while True:
        t += rng.exponential(1.0 / bound)
        if t > end:
            return False
        if rng.random() * bound < conversion_intensity(channels, times, t, baseline, beta, omega):
            return True


def _mean_and_stderr(per_draw: np.ndarray) -> tuple[float, float]:
    return float(per_draw.mean()), float(per_draw.std(ddof=1) / math.sqrt(per_draw.size))


def reference_coalition_value(
    journeys: Journeys,
    mu: Any,
    alpha: Any,
    decay: Any,
    baseline: float,
    beta: Any,
    omega: Any,
    coalition: Any,
    n_draws: int = 1000,
    random_state: int | np.random.Generator | None = None,
) -> tuple[float, float]:
    """v(S) by direct simulation: (mean over draws, its Monte Carlo standard error).

    Per journey and draw: sample every touch's parent, keep the touches whose channel is
    in `coalition` (boolean, one per channel) and whose parent was kept, and draw whether
    the journey converts within [s_j, T_j] under the conversion hazard of the kept touches
    (by thinning); a draw's value is sum_j n_j [converted_j].
    """
    mu, alpha, decay, beta, omega = _arrays(mu, alpha, decay, beta, omega)
    coalition = np.asarray(coalition, dtype=bool)
    rng = check_random_state(random_state)
    per_draw = np.zeros(n_draws)
    for j in range(journeys.n_journeys):
        channels, times, end, _, n = journey(journeys, j)
        for d in range(n_draws):
            parents = sample_parents(channels, times, mu, alpha, decay, rng)
            keep = surviving(channels, parents, coalition)
            kept_channels = [c for c, k in zip(channels, keep, strict=True) if k]
            kept_times = [t for t, k in zip(times, keep, strict=True) if k]
            if converts_by_thinning(
                kept_channels, kept_times, times[0], end, baseline, beta, omega, rng
            ):
                per_draw[d] += n
    return _mean_and_stderr(per_draw)


def reference_direct_effect(
    journeys: Journeys,
    baseline: float,
    beta: Any,
    omega: Any,
    channel: int,
    n_draws: int = 1000,
    random_state: int | np.random.Generator | None = None,
) -> tuple[float, float]:
    """v(N) - v(N with beta[channel] = 0): (mean, standard error), by coupled thinning.

    Every touch acts in both worlds (no touch is removed, so the branching structure and
    mu, alpha, decay do not enter). The same candidate times and uniforms decide both: a
    candidate accepted with beta[channel] = 0 is accepted with it too.
    """
    beta = np.asarray(beta, dtype=np.float64).copy()
    omega = np.asarray(omega, dtype=np.float64)
    without = beta.copy()
    without[channel] = 0.0
    rng = check_random_state(random_state)
    per_draw = np.zeros(n_draws)
    for j in range(journeys.n_journeys):
        channels, times, end, _, n = journey(journeys, j)
        bound = baseline + sum(float(beta[c] * omega[c]) for c in channels)
        for d in range(n_draws):
            converts = {"all": False, "without": False}
            t = times[0]
            while not converts["without"]:  # converting without beta_c implies with it
                t += rng.exponential(1.0 / bound)
                if t > end:
                    break
                u = rng.random() * bound
                for world, b in (("all", beta), ("without", without)):
                    if u < conversion_intensity(channels, times, t, baseline, b, omega):
                        converts[world] = True
            per_draw[d] += n * (converts["all"] - converts["without"])
    return _mean_and_stderr(per_draw)


def parent_assignments(
    channels: list[int], times: list[float], mu, alpha, decay
) -> list[tuple[float, list[int]]]:
    """Every assignment of parents to the touches of one journey, with its probability."""
    options = []
    for i in range(len(channels)):
        weights = parent_weights(channels, times, i, mu, alpha, decay)
        norm = sum(weights.values())
        options.append([(k, w / norm) for k, w in weights.items()])
    return [
        (math.prod(p for _, p in assignment), [k for k, _ in assignment])
        for assignment in itertools.product(*options)
    ]


def converts_in_closed_form(
    channels: list[int], times: list[float], keep: list[bool], end: float, baseline, beta, omega
) -> float:
    """P(conversion within [s, T]) = 1 - exp(-Lambda) when only the `keep` touches act."""
    kept_channels = [c for c, k in zip(channels, keep, strict=True) if k]
    kept_times = [t for t, k in zip(times, keep, strict=True) if k]
    cumulative = conversion_cumulative(
        kept_channels, kept_times, times[0], end, baseline, beta, omega
    )
    return 1.0 - math.exp(-cumulative)


def reference_coalition_value_exact(
    journeys: Journeys,
    mu: Any,
    alpha: Any,
    decay: Any,
    baseline: float,
    beta: Any,
    omega: Any,
    coalition: Any,
) -> float:
    """v(S) by enumerating every parent assignment (tiny journeys only: the count is the
    product over touches of their possible causes), each weighted by its probability, with
    the closed-form conversion probability 1 - exp(-Lambda) of the surviving touches."""
    mu, alpha, decay, beta, omega = _arrays(mu, alpha, decay, beta, omega)
    coalition = np.asarray(coalition, dtype=bool)
    total = 0.0
    for j in range(journeys.n_journeys):
        channels, times, end, _, n = journey(journeys, j)
        for probability, parents in parent_assignments(channels, times, mu, alpha, decay):
            keep = surviving(channels, parents, coalition)
            p = converts_in_closed_form(channels, times, keep, end, baseline, beta, omega)
            total += n * probability * p
    return total


def reference_coalition_table_exact(
    journeys: Journeys, mu: Any, alpha: Any, decay: Any, baseline: float, beta: Any, omega: Any
) -> tuple[np.ndarray, np.ndarray]:
    """v of all 2^C coalitions (indexed by bitmask) by enumeration, and the covariance of
    one draw's table.

    A draw here is one parent assignment per journey (journeys independent), shared by
    every coalition, scored in closed form: the Monte Carlo covariance, per draw, of an
    estimator that averages ``sum_j n_j (1 - exp(-Lambda_j(S)))`` over draws with common
    random numbers. Any linear statistic L of the table (a Shapley value, a removal
    effect) has mean ``L @ mean`` and per-draw variance ``L @ covariance @ L``.
    """
    mu, alpha, decay, beta, omega = _arrays(mu, alpha, decay, beta, omega)
    size = 1 << mu.size
    coalitions = [[bool(s >> c & 1) for c in range(mu.size)] for s in range(size)]
    mean = np.zeros(size)
    covariance = np.zeros((size, size))
    for j in range(journeys.n_journeys):
        channels, times, end, _, n = journey(journeys, j)
        first = np.zeros(size)
        second = np.zeros((size, size))
        for probability, parents in parent_assignments(channels, times, mu, alpha, decay):
            p = np.array(
                [
                    converts_in_closed_form(
                        channels,
                        times,
                        surviving(channels, parents, s),
                        end,
                        baseline,
                        beta,
                        omega,
                    )
                    for s in coalitions
                ]
            )
            first += probability * p
            second += probability * np.outer(p, p)
        mean += n * first
        covariance += n * n * (second - np.outer(first, first))
    return mean, covariance
