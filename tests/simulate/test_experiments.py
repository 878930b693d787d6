"""Holdout experiments in the worlds: the world's own truth, unbiased estimates, covering intervals.

Tolerances: over K independent seeds the z-scores (estimate - truth) / stderr are close to
standard normal, so their mean lies within 4.9 / sqrt(K) of 0 except with probability 1e-6,
and the number of 95% intervals covering the truth is Binomial(K, 0.95) (the Neyman
standard error is conservative, so coverage can only be higher): the bounds below are its
1e-6 quantiles.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import binom

from attribution_lab.lift import LiftTest
from attribution_lab.simulate import make_world, scenarios
from attribution_lab.simulate._experiment import difference_in_means

CAUSAL = ["confounding", "mediation", "b2b", "coalition", "hazard", "point_process"]
CHANNEL = {
    "confounding": "paid_search",
    "mediation": "display",
    "b2b": "content",
    "coalition": "email",
    "hazard": "search",
    "point_process": "display",
}


@pytest.mark.parametrize(
    "name", [s for s in scenarios() if not s.startswith("markov") and s != "coalition"]
)
def test_truth_is_the_worlds_incremental_truth_on_the_same_persons(name):
    world = make_world(name)
    exp = world.experiment(1, holdout=0.3, n=400, random_state=3)
    truth = world.simulate(400, random_state=3).truths["incremental"]
    assert exp.true_incremental_conversions == pytest.approx(truth.conversions[1], rel=1e-9)
    assert exp.true_incremental_value == pytest.approx(truth.value[1], rel=1e-9)


def test_coalition_truth_by_hand():
    world = make_world("coalition")
    exp = world.experiment("email", n=300, random_state=2)
    _, masks = world._draw_sets(300, np.random.default_rng(2))
    p = world.conversion_probability
    assert exp.true_incremental_conversions == pytest.approx(np.sum(p(masks) - p(masks & ~2)))


def test_mediation_holdout_removes_what_the_channel_caused():
    # display causes brand-search touches: removing display loses more than its own effect
    world = make_world("mediation")
    direct = make_world("mediation", mediation={("display", "brand_search"): 0.0})
    a = world.experiment("display", n=3000, random_state=0).true_incremental_conversions
    b = direct.experiment("display", n=3000, random_state=0).true_incremental_conversions
    assert a > 2 * b > 0


def test_counts_and_lift_test():
    exp = make_world("confounding").experiment("paid_search", holdout=0.25, n=2000, random_state=1)
    assert (exp.n, exp.n_holdout, exp.holdout) == (2000, 500, 0.25)
    assert exp.ci_low < exp.incremental_conversions < exp.ci_high
    rate1 = exp.conversions_exposed / 1500
    rate0 = exp.conversions_holdout / 500
    assert exp.incremental_conversions == pytest.approx(2000 * (rate1 - rate0))
    t = exp.to_lift_test()
    assert isinstance(t, LiftTest) and t.population == 2000 and t.stderr == exp.stderr
    assert set(exp.to_dict()) >= {"channel", "covered", "holdout", "true_incremental_conversions"}


def test_difference_in_means_by_hand():
    diff, se = difference_in_means(np.array([1.0, 1.0, 0.0, 0.0]), np.array([0.0, 0.0, 1.0]))
    # means 1/2 and 1/3; variances 1/3 (n-1) and 1/3: se = sqrt(1/12 + 1/9)
    assert diff == pytest.approx(1 / 6) and se == pytest.approx(np.sqrt(1 / 12 + 1 / 9))


def test_same_seed_same_numbers():
    w = make_world("point_process")
    a = w.experiment("display", n=500, random_state=7)
    b = w.experiment("display", n=500, random_state=7)
    assert a == b


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"channel": "tv"}, ValueError, "no channel 'tv'"),
        ({"channel": 9}, ValueError, r"not in range\(4\)"),
        ({"channel": 1.5}, TypeError, "a name or a code"),
        ({"holdout": 0.0}, ValueError, "strictly between 0 and 1"),
        ({"holdout": 1}, ValueError, "strictly between 0 and 1"),
        ({"holdout": True}, TypeError, "holdout must be a share"),
        ({"n": 0}, ValueError, "positive integer"),
        ({"n": 10, "holdout": 0.05}, ValueError, "each group needs at least 2"),
        ({"ci_level": 95}, ValueError, "ci_level"),
    ],
)
def test_bad_arguments(kwargs, error, message):
    args = {"channel": "paid_search", "n": 100, **kwargs}
    with pytest.raises(error, match=message):
        make_world("confounding").experiment(**args)


def test_worlds_without_persons_refuse():
    with pytest.raises(ValueError, match="markov world has no holdout experiment"):
        make_world("markov").experiment(0)


def _z_and_covered(name: str, seeds, n: int, holdout: float):
    world = make_world(name)
    out = []
    for s in seeds:
        e = world.experiment(CHANNEL[name], holdout=holdout, n=n, random_state=s)
        out.append(
            ((e.incremental_conversions - e.true_incremental_conversions) / e.stderr, e.covered)
        )
    z, covered = map(np.array, zip(*out, strict=True))
    return z, covered


def _check(z, covered):
    k = z.size
    assert abs(z.mean()) < 4.9 / np.sqrt(k), z.mean()
    assert covered.sum() >= binom.ppf(1e-6, k, 0.95), covered.sum()


@pytest.mark.parametrize("name", CAUSAL)
def test_unbiased_and_covering_at_a_few_seeds(name):
    z, covered = _z_and_covered(name, range(12), 1500, 0.3)
    _check(z, covered)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["confounding", "mediation", "point_process"])
def test_unbiased_and_covering_over_many_seeds(name):
    k = 1000
    z, covered = _z_and_covered(name, range(k), 4000, 0.2)
    _check(z, covered)
    # not conservative by much either: at most the 1e-6 upper quantile
    assert covered.sum() <= binom.isf(1e-6, k, 0.95) + 1
    assert 0.8 < z.std() < 1.1
