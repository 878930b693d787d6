"""The slow reference of the point-process model against numbers computed by hand.

Tiny journeys (1-4 touches) whose log-likelihood is written out term by term in the
comments; v(S) of the direct simulation against exact enumerations of the branching
structure done by hand, and against the additive-hazard game's closed form when nothing
excites anything. Monte Carlo checks allow 4.5 standard errors: a chance of 7 in a million
per check for any seed.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from attribution_lab import Journeys
from attribution_lab.hawkes._reference import (
    journey,
    reference_coalition_table_exact,
    reference_coalition_value,
    reference_coalition_value_exact,
    reference_direct_effect,
    reference_frailty_log_likelihood,
    reference_log_likelihood,
)

E = math.exp
LOG = math.log
Z = 4.5  # standard errors a Monte Carlo estimate may stray

# channels a = 0, b = 1, c = 2; the parameters of every hand computation below
MU = np.array([0.2, 0.1, 0.15])
ALPHA = np.array(
    [
        [0.1, 0.5, 0.3],  # alpha[a, .]: one a-touch triggers 0.1 a-, 0.5 b-, 0.3 c-touches
        [0.05, 0.2, 0.4],
        [0.0, 0.1, 0.2],
    ]
)
DECAY = np.array([1.0, 2.0, 0.5])  # per source: delta_a = 1, delta_b = 2, delta_c = 0.5
BASELINE = 0.05
BETA = np.array([0.3, 0.6, 0.4])
OMEGA = np.array([0.5, 1.0, 2.0])
PARAMS = (MU, ALPHA, DECAY, BASELINE, BETA, OMEGA)
ALL, NONE = [True, True, True], [False, False, False]


def build(rows, n_channels: int = 3) -> Journeys:
    """Journeys from rows (channels, times, end, conversions, nulls)."""
    channels = [c for r in rows for c in r[0]]
    offsets = np.cumsum([0] + [len(r[0]) for r in rows])
    return Journeys(
        np.array(channels),
        offsets,
        "abc"[:n_channels],
        [r[3] for r in rows],
        [r[4] for r in rows],
        times=[t for r in rows for t in r[1]],
        end_time=[r[2] for r in rows],
    )


def gained(channel: int, lag: float) -> float:
    """Cumulative conversion hazard one touch adds over `lag` days: beta (1 - e^(-omega lag))."""
    return BETA[channel] * (1 - E(-OMEGA[channel] * lag))


def close_in_mc(estimate: tuple[float, float], exact: float) -> None:
    mean, se = estimate
    assert abs(mean - exact) <= Z * se + 1e-12, (mean, se, exact)


# ------------------------------------------------------------------------- likelihood
def test_two_touches_by_hand():
    # a@0, b@1, converts at 3 (one customer)
    j = build([([0, 1], [0.0, 1.0], 3.0, 1, 0)])
    touch, conversion = reference_log_likelihood(j, *PARAMS)
    # the first touch a@0 is conditioned on; b@1 is excited by a (delta_a = 1, lag 1)
    events = LOG(0.1 + 0.5 * 1.0 * E(-1.0))
    # organic touches of all three channels over the window [0, 3]
    organic = 3 * (0.2 + 0.1 + 0.15)
    # offspring every touch is expected to have by day 3: a@0 for 3 days at delta 1 on a, b, c;
    # b@1 for 2 days at delta 2
    offspring = (0.1 + 0.5 + 0.3) * (1 - E(-3.0)) + (0.05 + 0.2 + 0.4) * (1 - E(-4.0))
    assert touch == pytest.approx(events - organic - offspring, rel=1e-14)
    # conversion at 3: hazard baseline + a's kernel 3 days on + b's kernel 2 days on
    hazard = 0.05 + 0.3 * 0.5 * E(-1.5) + 0.6 * 1.0 * E(-2.0)
    cumulative = 0.05 * 3 + 0.3 * (1 - E(-1.5)) + 0.6 * (1 - E(-2.0))
    assert conversion == pytest.approx(LOG(hazard) - cumulative, rel=1e-14)


def test_one_touch_is_only_compensated():
    # c@2, no conversion by 6: no touch event, no conversion event
    j = build([([2], [2.0], 6.0, 0, 1)])
    touch, conversion = reference_log_likelihood(j, *PARAMS)
    assert touch == pytest.approx(-4 * 0.45 - (0.0 + 0.1 + 0.2) * (1 - E(-0.5 * 4)), rel=1e-14)
    assert conversion == pytest.approx(-(0.05 * 4 + 0.4 * (1 - E(-2.0 * 4))), rel=1e-14)


def test_touches_at_the_same_time_do_not_excite_each_other():
    # a@0, a@0, b@1, b@1, no conversion by 2
    j = build([([0, 0, 1, 1], [0.0, 0.0, 1.0, 1.0], 2.0, 0, 1)])
    touch, conversion = reference_log_likelihood(j, *PARAMS)
    # second a@0: only organic (the first a@0 is not strictly earlier)
    # each b@1: organic + both a@0 (lag 1, delta 1), not the other b@1
    events = LOG(0.2) + 2 * LOG(0.1 + 2 * 0.5 * E(-1.0))
    offspring = 2 * (0.1 + 0.5 + 0.3) * (1 - E(-2.0)) + 2 * (0.05 + 0.2 + 0.4) * (1 - E(-2.0))
    assert touch == pytest.approx(events - 2 * 0.45 - offspring, rel=1e-14)
    cumulative = 0.05 * 2 + 2 * 0.3 * (1 - E(-1.0)) + 2 * 0.6 * (1 - E(-1.0))
    assert conversion == pytest.approx(-cumulative, rel=1e-14)


def test_a_touch_at_the_conversion_acts_on_the_hazard_but_adds_no_cumulative_hazard():
    # b@0, c@1 and the conversion at 1: c's kernel is beta_c omega_c at lag 0
    j = build([([1, 2], [0.0, 1.0], 1.0, 1, 0)])
    _, conversion = reference_log_likelihood(j, *PARAMS)
    hazard = 0.05 + 0.6 * E(-1.0) + 0.4 * 2.0
    assert conversion == pytest.approx(LOG(hazard) - (0.05 + 0.6 * (1 - E(-1.0))), rel=1e-14)


def test_per_pair_decay_by_hand():
    # a@0, b@1, converts at 3, as in test_two_touches_by_hand with one decay per (source, target)
    decay = np.array([[1.0, 3.0, 0.25], [2.0, 0.5, 1.5], [1.0, 1.0, 1.0]])
    j = build([([0, 1], [0.0, 1.0], 3.0, 1, 0)])
    touch, _ = reference_log_likelihood(j, MU, ALPHA, decay, BASELINE, BETA, OMEGA)
    events = LOG(0.1 + 0.5 * 3.0 * E(-3.0))  # a on b: delta 3
    offspring = (
        0.1 * (1 - E(-1.0 * 3))  # a on a, 3 days
        + 0.5 * (1 - E(-3.0 * 3))
        + 0.3 * (1 - E(-0.25 * 3))
        + 0.05 * (1 - E(-2.0 * 2))  # b on a, 2 days
        + 0.2 * (1 - E(-0.5 * 2))
        + 0.4 * (1 - E(-1.5 * 2))
    )
    assert touch == pytest.approx(events - 3 * 0.45 - offspring, rel=1e-14)


SEVERAL = [
    ([0, 1, 2], [0.0, 0.5, 2.0], 4.0, 1, 2),
    ([2, 2, 0, 1], [1.0, 1.0, 3.0, 3.5], 3.5, 2, 0),
    ([1], [5.0], 9.0, 0, 3),
    ([0, 0, 0], [0.0, 0.1, 0.3], 7.0, 0, 1),
]


def test_per_pair_decay_with_equal_columns_is_per_source():
    j = build(SEVERAL)
    per_pair = np.repeat(DECAY[:, None], 3, axis=1)  # decay[d, c] = delta_d for every c
    by_source = reference_log_likelihood(j, *PARAMS)
    by_pair = reference_log_likelihood(j, MU, ALPHA, per_pair, BASELINE, BETA, OMEGA)
    assert by_pair == pytest.approx(by_source, rel=1e-14)


def test_weights_and_journeys_add_up():
    # a row standing for 2 converting and 3 non-converting customers: touch part times n = 5,
    # conversion part 2 log lambda(T) - 5 Lambda; and the log-likelihood sums over rows
    one = reference_log_likelihood(build([([0, 1], [0.0, 1.0], 3.0, 1, 0)]), *PARAMS)
    lost = reference_log_likelihood(build([([0, 1], [0.0, 1.0], 3.0, 0, 1)]), *PARAMS)
    row = reference_log_likelihood(build([([0, 1], [0.0, 1.0], 3.0, 2, 3)]), *PARAMS)
    log_hazard = one[1] - lost[1]
    assert row[0] == pytest.approx(5 * one[0], rel=1e-14)
    assert row[1] == pytest.approx(2 * log_hazard + 5 * lost[1], rel=1e-14)
    parts = [reference_log_likelihood(build([r]), *PARAMS) for r in SEVERAL]
    together = reference_log_likelihood(build(SEVERAL), *PARAMS)
    assert together == pytest.approx(tuple(map(sum, zip(*parts, strict=True))), rel=1e-14)


def test_a_shifted_clock_changes_nothing():
    shifted = [(c, [t + 100.0 for t in ts], end + 100.0, y, n) for c, ts, end, y, n in SEVERAL]
    before = reference_log_likelihood(build(SEVERAL), *PARAMS)
    assert reference_log_likelihood(build(shifted), *PARAMS) == pytest.approx(before, rel=1e-12)


def test_frailty_by_hand_and_in_its_limit():
    # one customer, a@0, b@1, converts at 3: given Z the density is
    # Z lambda_b(1) Z lambda_conv(3) e^(-Z s), s = touch compensator + conversion cumulative;
    # E[Z^2 e^(-Z s)] for Z ~ Gamma(k, rate k) is k^k Gamma(k + 2) / (Gamma(k) (k + s)^(k + 2))
    j = build([([0, 1], [0.0, 1.0], 3.0, 1, 0)])
    touch, conversion = reference_log_likelihood(j, *PARAMS)
    events = LOG(0.1 + 0.5 * E(-1.0)) + LOG(0.05 + 0.3 * 0.5 * E(-1.5) + 0.6 * E(-2.0))
    s = events - touch - conversion  # what the two logs leave: minus the compensators
    k = 2.0
    mixed = k * LOG(k) + LOG(k * (k + 1)) - (k + 2) * LOG(k + s)
    assert reference_frailty_log_likelihood(j, *PARAMS, k) == pytest.approx(events + mixed)
    # without heterogeneity (k -> infinity) the frailty drops out, its effect shrinking as 1/k
    several = build(SEVERAL)
    plain = sum(reference_log_likelihood(several, *PARAMS))
    gaps = [reference_frailty_log_likelihood(several, *PARAMS, k) - plain for k in (1e4, 1e5)]
    assert gaps[0] == pytest.approx(10 * gaps[1], rel=0.01)
    assert abs(gaps[1]) < 1e-3


# ------------------------------------------------------------------- v(S) by hand
A_THEN_B = [([0, 1], [0.0, 1.0], 3.0, 1, 0)]


def test_exact_two_touch_game_by_hand():
    # a@0, b@1, window [0, 3]: b was triggered by a with probability
    # w / (mu_b + w), w = alpha_ab delta_a e^(-1); the first touch a@0 is organic
    j = build(A_THEN_B)
    w = 0.5 * 1.0 * E(-1.0)
    organic_b = 0.1 / (0.1 + w)
    base, ga, gb = 0.05 * 3, gained(0, 3.0), gained(1, 2.0)
    expected = {
        (True, True, True): 1 - E(-base - ga - gb),  # every touch acts
        (True, False, False): 1 - E(-base - ga),
        (False, True, False): organic_b * (1 - E(-base - gb)) + (1 - organic_b) * (1 - E(-base)),
        (False, False, False): 1 - E(-base),  # the window still runs from the first touch
    }
    for coalition, v in expected.items():
        exact = reference_coalition_value_exact(j, *PARAMS, coalition)
        assert exact == pytest.approx(v, rel=1e-14)


def test_exact_table_and_its_draw_covariance_by_hand():
    # the journey above, 2 customers: only S containing b but not a depend on the draw,
    # v(S) = 2 p1 with probability q = organic_b, 2 p0 otherwise: variance 4 q (1 - q) (p1 - p0)^2
    j = build([([0, 1], [0.0, 1.0], 3.0, 1, 1)])
    mean, covariance = reference_coalition_table_exact(j, *PARAMS)
    for mask in range(8):
        coalition = [bool(mask >> c & 1) for c in range(3)]
        assert mean[mask] == pytest.approx(reference_coalition_value_exact(j, *PARAMS, coalition))
    q = 0.1 / (0.1 + 0.5 * E(-1.0))
    p1, p0 = 1 - E(-0.15 - gained(1, 2.0)), 1 - E(-0.15)
    random = [0b010, 0b110]  # {b}, {b, c}
    expected = np.zeros((8, 8))
    expected[np.ix_(random, random)] = 4 * q * (1 - q) * (p1 - p0) ** 2
    np.testing.assert_allclose(covariance, expected, atol=1e-15)


def test_a_touch_at_the_same_time_is_no_cause():
    # a@0, b@0, b@1, window [0, 3]: b@0 is organic (a@0 is not strictly earlier), so it
    # stays without a; b@1 was caused by b@0 (w_bb), by a (w_ab) or organically
    j = build([([0, 1, 1], [0.0, 0.0, 1.0], 3.0, 1, 0)])
    w_ab, w_bb = 0.5 * 1.0 * E(-1.0), 0.2 * 2.0 * E(-2.0)
    keep = (0.1 + w_bb) / (0.1 + w_ab + w_bb)
    base, g0, g1 = 0.05 * 3, gained(1, 3.0), gained(1, 2.0)
    v = keep * (1 - E(-base - g0 - g1)) + (1 - keep) * (1 - E(-base - g0))
    assert reference_coalition_value_exact(j, *PARAMS, [False, True, False]) == pytest.approx(v)
    close_in_mc(reference_coalition_value(j, *PARAMS, [False, True, False], 2000, 0), v)


def test_exact_chain_drops_descendants_by_hand():
    # a@0, b@1, c@2, window [0, 4], 3 customers. Causes of b: organic, a; of c: organic, a, b
    j = build([([0, 1, 2], [0.0, 1.0, 2.0], 4.0, 1, 2)])
    w_ab = 0.5 * 1.0 * E(-1.0)
    w_ac, w_bc = 0.3 * 1.0 * E(-2.0), 0.4 * 2.0 * E(-2.0)
    organic_b = 0.1 / (0.1 + w_ab)
    total_c = 0.15 + w_ac + w_bc
    base, ga, gb, gc = 0.05 * 4, gained(0, 4.0), gained(1, 3.0), gained(2, 2.0)
    # S = {a, c}: b is gone; c stays unless b caused it
    keep_c = (0.15 + w_ac) / total_c
    v_ac = keep_c * (1 - E(-base - ga - gc)) + (1 - keep_c) * (1 - E(-base - ga))
    # S = {b, c}: a is gone and with it b if a caused b, and c if a caused c or caused its cause
    p_bc = organic_b * (0.15 + w_bc) / total_c  # b organic, c organic or b's
    p_b = organic_b * w_ac / total_c  # b organic, c a's
    p_c = (1 - organic_b) * 0.15 / total_c  # b a's, c organic
    p_none = 1 - p_bc - p_b - p_c
    v_bc = (
        p_bc * (1 - E(-base - gb - gc))
        + p_b * (1 - E(-base - gb))
        + p_c * (1 - E(-base - gc))
        + p_none * (1 - E(-base))
    )
    assert reference_coalition_value_exact(j, *PARAMS, [True, False, True]) == pytest.approx(
        3 * v_ac, rel=1e-14
    )
    assert reference_coalition_value_exact(j, *PARAMS, [False, True, True]) == pytest.approx(
        3 * v_bc, rel=1e-14
    )


# -------------------------------------------------------- v(S) by direct simulation
@pytest.mark.parametrize("seed", [0, 1])
def test_simulation_matches_the_hand_computed_games(seed):
    j = build([([0, 1, 2], [0.0, 1.0, 2.0], 4.0, 1, 2)])
    for coalition in ([True, False, True], [False, True, True], [False, True, False], ALL, NONE):
        exact = reference_coalition_value_exact(j, *PARAMS, coalition)
        close_in_mc(reference_coalition_value(j, *PARAMS, coalition, 3000, seed), exact)


def hazard_game_value(j: Journeys, coalition) -> float:
    """HazardGame's closed form: sum_j n_j (1 - exp(-baseline (T_j - s_j) - sum_{c in S} B_jc))."""
    total = 0.0
    for r in range(j.n_journeys):
        channels, times, end, _, n = journey(j, r)
        b = sum(gained(c, end - t) for c, t in zip(channels, times, strict=True) if coalition[c])
        total += n * (1 - E(-BASELINE * (end - times[0]) - b))
    return total


@pytest.mark.parametrize("seed", [0, 1])
def test_without_excitation_the_game_is_the_hazard_game(seed):
    # alpha = 0: every touch is organic, so S keeps exactly its own channels' touches
    j = build(SEVERAL)
    no_alpha = (MU, np.zeros((3, 3)), DECAY, BASELINE, BETA, OMEGA)
    for mask in range(8):
        coalition = [bool(mask >> c & 1) for c in range(3)]
        closed = hazard_game_value(j, coalition)
        assert reference_coalition_value_exact(j, *no_alpha, coalition) == pytest.approx(closed)
        close_in_mc(reference_coalition_value(j, *no_alpha, coalition, 500, seed + mask), closed)


@pytest.mark.parametrize("seed", [0, 1])
def test_the_grand_coalition_keeps_every_touch_whatever_alpha(seed):
    j = build(SEVERAL)
    close_in_mc(reference_coalition_value(j, *PARAMS, ALL, 1000, seed), hazard_game_value(j, ALL))
    # nobody acts: the baseline alone over each window
    close_in_mc(reference_coalition_value(j, *PARAMS, NONE, 1000, seed), hazard_game_value(j, NONE))


@pytest.mark.parametrize("seed", [0, 1])
def test_direct_effect_keeps_the_touches_and_drops_beta(seed):
    # v(N) - v(N with beta_b = 0): every touch acts in both, so it is the closed form's
    # difference in survival with and without b's terms
    j = build(SEVERAL)
    expected = 0.0
    for r in range(j.n_journeys):
        channels, times, end, _, n = journey(j, r)
        lags = [(c, end - t) for c, t in zip(channels, times, strict=True)]
        others = BASELINE * (end - times[0]) + sum(gained(c, lag) for c, lag in lags if c != 1)
        own = sum(gained(c, lag) for c, lag in lags if c == 1)
        expected += n * (E(-others) - E(-others - own))
    close_in_mc(reference_direct_effect(j, BASELINE, BETA, OMEGA, 1, 3000, seed), expected)


@pytest.mark.parametrize("seed", [0, 1])
def test_removing_a_trigger_costs_more_than_its_own_beta(seed):
    # display (a) hardly converts anyone itself (beta_a = 0.01) but triggers nearly every
    # search touch (b: mu_b = 0.01 against a's excitation), and search converts (beta_b = 1)
    mu = np.array([0.1, 0.01])
    alpha = np.array([[0.0, 2.0], [0.0, 0.0]])
    decay, beta, omega = np.array([1.0, 1.0]), np.array([0.01, 1.0]), np.array([1.0, 1.0])
    params = (mu, alpha, decay, 0.02, beta, omega)
    j = build([([0, 1, 1], [0.0, 0.5, 1.5], 6.0, 0, 2), ([0, 1], [0.0, 1.0], 2.0, 1, 0)], 2)
    v_all = reference_coalition_value(j, *params, [True, True], 2000, seed)
    v_without_a = reference_coalition_value(j, *params, [False, True], 2000, seed + 10)
    direct = reference_direct_effect(j, 0.02, beta, omega, 0, 2000, seed + 20)
    removal = v_all[0] - v_without_a[0]
    se = math.sqrt(v_all[1] ** 2 + v_without_a[1] ** 2 + direct[1] ** 2)
    assert removal - direct[0] > Z * se
    # and the simulation agrees with the enumeration of causes
    exact = reference_coalition_value_exact(j, *params, [True, True])
    exact -= reference_coalition_value_exact(j, *params, [False, True])
    assert removal == pytest.approx(exact, abs=Z * math.hypot(v_all[1], v_without_a[1]))
    assert exact > 1.5  # of v(N) = 2.25 conversions, 1.95 come only through a's b-touches
