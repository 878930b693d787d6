"""The compiled kernels (`hawkes._jit`): the same numbers on any number of threads, and
numba stays out of ``import attribution_lab``.

Their values are checked against the slow reference in ``test_kernels.py``; here only
what compiling and threading could break.
"""

from __future__ import annotations

import subprocess
import sys

import numba
import numpy as np
import pytest

from attribution_lab.hawkes import PointProcessAttribution
from attribution_lab.hawkes._data import _prepare
from attribution_lab.hawkes.kernels import _touch_loglik
from attribution_lab.simulate import PointProcessWorld


@pytest.fixture(scope="module")
def journeys():
    # large enough for several chunks (~20,000 touches each)
    world = PointProcessWorld(
        mu=[0.05, 0.04, 0.03],
        alpha=[[0.0, 0.5, 0.0], [0.0, 0.0, 0.3], [0.2, 0.0, 0.0]],
        decay=0.5,
        baseline=0.002,
        beta=[0.02, 0.05, 0.03],
        omega=[0.3, 1.0, 0.5],
        channel_names=["a", "b", "c"],
    )
    return world.simulate(20_000, random_state=1).journeys


def _with_threads(n: int, f):
    before = numba.get_num_threads()
    numba.set_num_threads(min(n, numba.config.NUMBA_NUM_THREADS))
    try:
        return f()
    finally:
        numba.set_num_threads(before)


@pytest.mark.parametrize("pair", [False, True], ids=["per_source", "per_pair"])
def test_likelihood_is_the_same_bit_for_bit_on_one_and_all_threads(journeys, pair):
    prep = _prepare(journeys)
    assert prep.bounds.size > 2  # several chunks, else the test shows nothing
    c = prep.n_channels
    rng = np.random.default_rng(0)
    n_dec = c * c if pair else c
    theta = np.concatenate(
        [np.log(rng.uniform(0.01, 0.1, c)), rng.uniform(0, 0.5, c * c), rng.normal(0, 1, n_dec)]
    )

    def run():
        return _touch_loglik(theta, prep, pair, True)

    one = _with_threads(1, run)
    many = _with_threads(numba.config.NUMBA_NUM_THREADS, run)
    assert one[0] == many[0]
    np.testing.assert_array_equal(one[1], many[1])
    np.testing.assert_array_equal(one[2], many[2])


def test_credit_is_the_same_bit_for_bit_on_one_and_all_threads(journeys):
    model = PointProcessAttribution(n_draws=4, random_state=0).fit(journeys)
    one = _with_threads(1, model.attribute)
    many = _with_threads(numba.config.NUMBA_NUM_THREADS, model.attribute)
    np.testing.assert_array_equal(one.conversions, many.conversions)
    np.testing.assert_array_equal(one.stderr, many.stderr)
    np.testing.assert_array_equal(one.details["direct"], many.details["direct"])


def test_importing_the_package_does_not_import_numba():
    code = "import sys, attribution_lab; print('numba' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
