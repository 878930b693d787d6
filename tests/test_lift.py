"""LiftTest, its CSV reader and its checks against journeys: numbers by hand, errors in one line."""

from __future__ import annotations

import numpy as np
import pytest

from attribution_lab import Journeys
from attribution_lab.lift import LiftTest, check_lift_tests, pool_lift_tests, read_lift_tests


def journeys(times: bool = True) -> Journeys:
    kw = {"times": [[0.0, 2.0], [5.0], [9.0]]} if times else {}
    return Journeys.from_paths(["a > b", "b", "a"], conversions=[3, 1, 2], nulls=[5, 9, 4], **kw)


def test_standard_error_from_a_ci_and_scaling_by_hand():
    t = LiftTest("a", incremental_conversions=50, ci_low=30.4, ci_high=69.6, population=1000)
    assert t.standard_error == pytest.approx(19.6 / 1.959964, rel=1e-6)
    est, se = t.on_journeys(n_persons=250, n_conversions=40)  # a quarter of the test
    assert est == pytest.approx(12.5) and se == pytest.approx(t.standard_error / 4)
    # relative lift r = 0.25: of 40 conversions, 40 * 0.25 / 1.25 = 8 incremental
    r = LiftTest("a", relative_lift=0.25, stderr=0.05)
    est, se = r.on_journeys(n_persons=1e6, n_conversions=40)
    assert est == pytest.approx(8.0) and se == pytest.approx(40 * 0.05 / 1.25**2)
    assert LiftTest("a", 5.0, stderr=1.0).on_journeys(10, 2) == (5.0, 1.0)  # no population


def test_pooling_by_precision_by_hand():
    est, se = pool_lift_tests([(10.0, 1.0), (20.0, 2.0)])  # weights 1 and 1/4
    assert est == pytest.approx(12.0) and se == pytest.approx(np.sqrt(1 / 1.25))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "give one of incremental_conversions or relative_lift"),
        ({"incremental_conversions": 1, "relative_lift": 0.1}, "give one of"),
        ({"incremental_conversions": 1}, "give one of stderr or ci_low and ci_high"),
        ({"incremental_conversions": 1, "stderr": 0}, "stderr must be > 0"),
        ({"incremental_conversions": 1, "ci_low": 2, "ci_high": 3}, "does not contain"),
        ({"incremental_conversions": 1, "ci_low": 0}, "give both ci_low and ci_high"),
        ({"incremental_conversions": 1, "ci_low": 3, "ci_high": 0}, "must be below"),
        ({"relative_lift": -1, "stderr": 1}, "relative_lift must be > -1"),
        ({"relative_lift": 0.1, "stderr": 1, "population": 10}, "population cannot act"),
        ({"incremental_conversions": 1, "stderr": 1, "population": 0}, "population must be > 0"),
        ({"incremental_conversions": 1, "stderr": 1, "value": 3}, "value and value_stderr"),
        ({"incremental_conversions": float("nan"), "stderr": 1}, "finite"),
        ({"incremental_conversions": 1, "stderr": 1, "start": 5, "end": 1}, "is after end"),
        ({"incremental_conversions": 1, "stderr": 1, "start": "soon"}, "number of days or a date"),
    ],
)
def test_bad_tests_are_refused_in_one_line(kwargs, message):
    with pytest.raises(ValueError, match=message) as info:
        LiftTest("a", **kwargs)
    assert "\n" not in str(info.value) and "'a'" in str(info.value)


def test_checks_against_journeys():
    j = journeys()
    with pytest.raises(ValueError, match="no channel 'c' in the journeys"):
        check_lift_tests([LiftTest("c", 1.0, stderr=1.0)], j)
    with pytest.raises(ValueError, match=r"window \[10, 20\] days does not overlap .*\[0, 9\]"):
        check_lift_tests([LiftTest("a", 1.0, stderr=1.0, start=10, end=20)], j)
    with pytest.raises(ValueError, match="no lift tests"):
        check_lift_tests([], j)
    ok = [LiftTest("a", 1.0, stderr=1.0, start=8), LiftTest("b", 1.0, stderr=1.0, end=0)]
    assert check_lift_tests(ok, j) == ok
    # without touch times there is no axis to check a window against
    assert check_lift_tests([LiftTest("a", 1.0, stderr=1.0, start=10, end=20)], journeys(False))
    # dates are days since the epoch, as journeys' datetimes are
    t = LiftTest("a", 1.0, stderr=1.0, start="1970-01-03", end="1970-01-04")
    assert t.window == (2.0, 3.0)


def write(tmp_path, text: str):
    path = tmp_path / "lift.csv"
    path.write_text(text)
    return path


def test_read_lift_tests(tmp_path):
    path = write(
        tmp_path,
        "channel,incremental_conversions,relative_lift,stderr,ci_low,ci_high,population,"
        "value,value_stderr,start,end,description\n"
        "search,120,,,80,160,20000,9000,1500,2024-01-01,2024-02-01,geo test\n"
        "email,,0.05,0.01,,,,,,,,\n",
    )
    a, b = read_lift_tests(path)
    assert (a.channel, a.incremental_conversions, a.population, a.value) == (
        "search",
        120.0,
        20000.0,
        9000.0,
    )
    assert a.description == "geo test" and a.window[0] < a.window[1]
    assert (b.channel, b.relative_lift, b.stderr, b.incremental_conversions) == (
        "email",
        0.05,
        0.01,
        None,
    )


H = "channel,incremental_conversions"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("channel,lift,stderr\na,1,1\n", r"unknown column 'lift'"),
        ("incremental_conversions,stderr\n1,1\n", r"no column 'channel'"),
        (f"{H},stderr\n", "no lift tests"),
        (f"{H},stderr\na,1,1\n,1,1\n", r"row 1 \(line 3\), column 'channel'"),
        (
            f"{H},stderr\na,x,1\n",
            r"row 0 \(line 2\), column 'incremental_conversions': not a number: 'x'",
        ),
        (
            f"{H},ci_low,ci_high\na,1,2,3\n",
            r"row 0 \(line 2\): lift test on 'a': the interval \[2, 3\] does not contain",
        ),
        (f"{H},stderr,ci_level\na,1,1,95\n", r"column 'ci_level': must be strictly between"),
    ],
)
def test_bad_csv_names_file_row_and_column(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(ValueError, match=message) as info:
        read_lift_tests(path)
    assert str(info.value).startswith(str(path)) and "\n" not in str(info.value)


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such file"):
        read_lift_tests(tmp_path / "none.csv")
