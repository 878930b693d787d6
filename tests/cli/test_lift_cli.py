"""``--lift-tests FILE`` (and ``--untested``) on attribute and compare: the command line's
credit equals the library's calibration with the same seed, and bad use is one line, exit 2."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from attribution_lab import Journeys, LiftTest, calibrate_to_experiments
from attribution_lab.cli import main


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    rng = np.random.default_rng(5)
    paths = ["a > b", "b", "a", "c > a > b", "c", "b > c", "a > c"]
    conversions = rng.integers(5, 40, len(paths)).astype(float)
    nulls = rng.integers(20, 80, len(paths)).astype(float)
    folder = tmp_path_factory.mktemp("lift")
    table = folder / "paths.csv"
    pd.DataFrame({"path": paths, "total_conversions": conversions, "total_null": nulls}).to_csv(
        table, index=False
    )
    lift = folder / "lift.csv"
    lift.write_text("channel,incremental_conversions,stderr\nb,12,4\n")
    journeys = Journeys.from_paths(paths, conversions, nulls)
    return str(table), str(lift), journeys


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_attribute_equals_the_library(capsys, files):
    table, lift, journeys = files
    code, out, err = run(
        capsys, "attribute", table, "--value-col", "", "--model", "linear",
        "--lift-tests", lift, "--n-boot", "30", "--seed", "3", "--format", "json",
    )  # fmt: skip
    assert code == 0, err
    got = {c["channel"]: c["conversions"] for c in json.loads(out)["channels"]}
    want = calibrate_to_experiments(
        "linear", journeys, [LiftTest("b", incremental_conversions=12, stderr=4)],
        n_boot=30, random_state=3,
    )  # fmt: skip
    assert got == pytest.approx(dict(zip(want.channel_names, want.conversions, strict=True)))
    # the tested channel moved toward the experiment, the others kept the model's credit
    assert want.details["tested"].tolist() == [0.0, 1.0, 0.0]


def test_the_table_says_what_the_numbers_are(capsys, files):
    table, lift, _ = files
    code, out, _ = run(
        capsys, "attribute", table, "--value-col", "", "--model", "markov",
        "--lift-tests", lift, "--untested", "pooled",
    )  # fmt: skip
    assert code == 0
    assert "calibrated to 1 lift test from" in out and "(untested channels: pooled)" in out
    assert "conversions no channel caused" in out
    code, out, _ = run(
        capsys, "compare", table, "--value-col", "", "--models", "linear,markov",
        "--lift-tests", lift, "--n-boot", "20",
    )  # fmt: skip
    assert code == 0
    assert "intervals of the calibrated conversions credit" in out


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--untested", "pooled"], "--untested sets the lift-test calibration"),
        (["--lift-tests", "no_such.csv"], "--lift-tests no_such.csv: no such file"),
        (["--n-boot", "20"], "--n-boot sets the bootstrap, which runs only with --ci or"),
    ],
)
def test_bad_use_is_one_line(capsys, files, extra, message):
    table, _, _ = files
    code, out, err = run(capsys, "attribute", table, "--value-col", "", "--model", "linear", *extra)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and message in err


def test_a_test_on_an_unknown_channel_is_refused(capsys, files, tmp_path):
    table, _, _ = files
    bad = tmp_path / "lift.csv"
    bad.write_text("channel,incremental_conversions,stderr\nzz,12,4\n")
    code, _, err = run(
        capsys, "attribute", table, "--value-col", "", "--model", "linear", "--lift-tests", str(bad)
    )
    assert code == 2 and err.count("\n") == 1 and "zz" in err
