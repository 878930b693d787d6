"""The attribution-lab command: known answers, output formats and one-line errors."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys

import pandas as pd
import pytest

from attribution_lab.cli import main, parse_value

# the table of tests/conftest.py's known_csv fixture, which the tests here use
KNOWN = "path,total_conversions,total_null\nA>B>C,3,2\nA>C,1,4\nB,0,5\nC>A,2,1\nB>C>C,1,0\n"


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        ("first_touch", {"A": 4.0, "B": 1.0, "C": 2.0}),
        ("last_touch", {"A": 2.0, "B": 0.0, "C": 5.0}),
        ("linear", {"A": 2.5, "B": 4 / 3, "C": 19 / 6}),
    ],
)
def test_attribute_known_answers_json(capsys, known_csv, model, expected):
    code, out, _ = run(
        capsys, "attribute", known_csv, "--model", model, "--value-col", "", "--format", "json"
    )
    assert code == 0
    doc = json.loads(out)
    assert doc["model"] == model
    assert doc["estimand"] == "rule"
    assert doc["total_conversions"] == 7.0
    assert doc["total_value"] == 0.0
    got = {c["channel"]: c["conversions"] for c in doc["channels"]}
    assert got == pytest.approx(expected, rel=1e-12)
    assert set(doc["channels"][0]) == {"channel", "conversions", "value", "share"}
    assert sum(c["share"] for c in doc["channels"]) == pytest.approx(1.0)


def test_attribute_params_and_csv(capsys, known_csv):
    code, out, _ = run(
        capsys,
        "attribute",
        known_csv,
        "--model",
        "position_based",
        "--value-col",
        "",
        "--param",
        "first=0.5",
        "--param",
        "middle=0",
        "--param",
        "last=0.5",
        "--format",
        "csv",
    )
    assert code == 0
    lines = out.strip().splitlines()
    assert lines[0].startswith("channel,conversions,value,share")
    # A>B>C (3): A 1.5, C 1.5; A>C (1): .5/.5; C>A (2): 1/1; B>C>C (1): B .5, C .5
    rows = {ln.split(",")[0]: float(ln.split(",")[1]) for ln in lines[1:]}
    assert rows == pytest.approx({"A": 3.0, "B": 0.5, "C": 3.5})


def test_attribute_table(capsys, known_csv):
    code, out, _ = run(capsys, "attribute", known_csv, "--model", "linear", "--value-col", "")
    assert code == 0
    assert "7 conversions" in out and "3.1667" in out


def test_compare_formats(capsys, known_csv):
    code, out, _ = run(
        capsys,
        "compare",
        known_csv,
        "--models",
        "first_touch,last_touch",
        "--value-col",
        "",
        "--format",
        "csv",
    )
    assert code == 0
    assert out.splitlines()[0].startswith("model,channel,estimand,conversions")
    assert len(out.strip().splitlines()) == 1 + 2 * 3
    code, out, _ = run(
        capsys,
        "compare",
        known_csv,
        "--models",
        "first_touch,linear",
        "--value-col",
        "",
        "--format",
        "json",
    )
    doc = json.loads(out)
    assert doc["seed"] == 0
    assert [d["model"] for d in doc["results"]] == ["first_touch", "linear"]
    code, out, _ = run(
        capsys,
        "compare",
        known_csv,
        "--models",
        "linear,time_decay",
        "--value-col",
        "",
        "--param",
        "linear.unique_channels=true",
    )
    assert code == 0 and "time_decay" in out


def test_example_input(capsys):
    code, out, _ = run(capsys, "attribute", "example", "--model", "last_touch", "--format", "json")
    assert code == 0
    doc = json.loads(out)
    assert doc["total_conversions"] == 19785.0
    assert len(doc["channels"]) == 12


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["attribute", "{csv}", "--model", "nope", "--value-col", ""], "unknown model 'nope'"),
        (
            ["attribute", "{csv}", "--model", "linear", "--value-col", "", "--param", "bogus=1"],
            "no parameter 'bogus'",
        ),
        (
            ["attribute", "{csv}", "--model", "linear", "--value-col", "", "--param", "novalue"],
            "expected key=value",
        ),
        (["attribute", "{csv}", "--model", "linear"], "missing value column"),
        (["attribute", "missing.csv", "--model", "linear"], "no such file"),
        (
            [
                "attribute",
                "{csv}",
                "--model",
                "position_based",
                "--value-col",
                "",
                "--param",
                "first=0.9",
            ],
            "must sum to 1",
        ),
        (
            ["compare", "{csv}", "--models", "linear", "--value-col", "", "--param", "x=1"],
            "MODEL.PARAM=VALUE",
        ),
        (["attribute", "{bad}", "--model", "linear", "--value-col", ""], "line 3"),
    ],
)
def test_errors_are_one_line_exit_2(capsys, tmp_path, known_csv, argv, fragment):
    bad = tmp_path / "bad.csv"
    bad.write_text("path,total_conversions,total_null\nA>B,1,0\nA>>B,1,1\n")
    argv = [a.format(csv=known_csv, bad=str(bad)) for a in argv]
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert out == ""
    assert err.startswith("attribution-lab: error: ")
    assert len(err.strip().splitlines()) == 1
    assert fragment in err


def test_models_lists_every_rule(capsys):
    code, out, _ = run(capsys, "models")
    assert code == 0
    names = [ln.split()[0] for ln in out.strip().splitlines()]
    for n in (
        "first_touch",
        "last_touch",
        "last_non_direct",
        "linear",
        "position_based",
        "w_shaped",
        "full_path",
        "time_decay",
        "custom_position",
    ):
        assert n in names


def test_parse_value():
    assert parse_value("3") == 3
    assert parse_value("[1, 2]") == [1, 2]
    assert parse_value("False") is False
    assert parse_value("none") is None
    assert parse_value("a,b") == ["a", "b"]


def test_demo_writes_chart_from_any_folder(tmp_path):
    # run as a user would: the console script if installed, else the module, outside the repo
    out_dir = tmp_path / "out"
    cmd = [sys.executable, "-m", "attribution_lab", "demo", "--out", str(out_dir)]
    import attribution_lab

    # the package under test, wherever it is imported from (site-packages in CI)
    root = os.path.dirname(os.path.dirname(attribution_lab.__file__))
    env = dict(os.environ, MPLBACKEND="Agg", PYTHONPATH=root)
    proc = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "alpha" in proc.stdout and "19,785" in proc.stdout
    assert "10,000 rows, 5,408 distinct paths" in proc.stdout
    assert proc.stderr == ""  # no warning, no progress bar when stderr is not a terminal
    png = out_dir / "attribution_demo.png"
    assert png.exists() and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_attribute_markov_known_answer(capsys, known_csv):
    code, out, _ = run(
        capsys, "attribute", known_csv, "--model", "markov", "--value-col", "", "--format", "json"
    )
    assert code == 0
    doc = json.loads(out)
    assert doc["estimand"] == "removal_effect"
    got = {c["channel"]: c["conversions"] for c in doc["channels"]}
    assert got == pytest.approx({"A": 2.608653, "B": 1.398061, "C": 2.993285}, abs=5e-7)
    effects = {c["channel"]: c["removal_effect"] for c in doc["channels"]}
    assert effects == pytest.approx({"A": 0.679963, "B": 0.364414, "C": 0.780220}, abs=5e-7)
    code, out, _ = run(
        capsys,
        "attribute",
        known_csv,
        "--model",
        "markov",
        "--value-col",
        "",
        "--param",
        "order=2",
        "--format",
        "json",
    )
    effects = {c["channel"]: c["removal_effect"] for c in json.loads(out)["channels"]}
    assert effects == pytest.approx({"A": 0.904762, "B": 0.571429, "C": 1.0}, abs=5e-7)


def test_ci_flags_bootstrap_and_are_reproducible(capsys):
    argv = [
        "attribute",
        "example",
        "--model",
        "linear",
        "--ci",
        "--n-boot",
        "20",
        "--format",
        "json",
    ]
    assert main([*argv, "--seed", "3"]) == 0
    first = json.loads(capsys.readouterr().out)
    assert main([*argv, "--seed", "3"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert first == again
    for row in first["channels"]:
        assert row["ci_low"] <= row["conversions"] <= row["ci_high"]
    assert (
        main(["compare", "example", "--models", "first_touch,markov", "--ci", "--n-boot", "20"])
        == 0
    )
    out = capsys.readouterr().out
    assert "95% bootstrap intervals" in out and "ci_high" in out
    assert main(["compare", "example", "--models", "last_touch", "--ci", "--n-boot", "1"]) == 2
    assert "--n-boot must be at least 2" in capsys.readouterr().err


def test_describe_command(capsys, known_csv):
    assert main(["describe", known_csv, "--top", "2", "--value-col", ""]) == 0
    out = capsys.readouterr().out
    assert "distinct paths" in out and "unavailable" in out
    assert main(["describe", "example", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)
    assert main(["describe", "example", "--top", "0"]) == 2


def test_calibrate_command_from_simulated_events(capsys, tmp_path):
    prefix = str(tmp_path / "d")
    assert main(["simulate", "decay", "--n", "3000", "--seed", "1", "--out", prefix]) == 0
    capsys.readouterr()
    argv = ["calibrate", prefix + "_events.csv", "--events", "--rule", "time_decay"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "half-life by likelihood" in out and "likelihood-ratio" in out
    assert main(["calibrate", "example", "--rule", "time_decay"]) == 2
    assert "time" in capsys.readouterr().err


def test_events_command_is_wired(tmp_path, capsys):
    from attribution_lab.cli import main

    log = tmp_path / "log.csv"
    log.write_text("user,time,channel,buy\nu1,1,search,0\nu1,2,,1\nu2,1,email,0\n")
    out = tmp_path / "paths.csv"
    args = ["events", str(log), "--user", "user", "--channel", "channel", "--conversion", "buy"]
    assert main([*args, "--out", str(out)]) == 0
    assert "2 journeys (1 converting)" in capsys.readouterr().out
    assert main(["compare", str(out), "--models", "first_touch,linear"]) == 0


def test_events_command_reads_its_file_as_other_commands_do(tmp_path, capsys):
    log = tmp_path / "log.csv"
    log.write_text("user;time;channel;buy\nu1;1;search;0\nu1;2;;1\nu2;1;email;0\n")
    out = tmp_path / "paths.csv"
    args = ["--user", "user", "--channel", "channel", "--conversion", "buy", "--out", str(out)]
    assert main(["events", str(log), *args]) == 0  # ';' told from the header line
    assert "2 journeys (1 converting)" in capsys.readouterr().out
    bad = tmp_path / "bad.csv"
    bad.write_text("user,time,channel,buy\nu1,1,search,0\nu1,2,email,1,9\n")
    for path, fragment in (
        (tmp_path / "nope.csv", f"{tmp_path / 'nope.csv'}: no such file"),
        (bad, f"{bad}: cannot parse as CSV (Error tokenizing data. C error: Expected 4 fields"),
    ):
        code, out_, err = run(capsys, "events", str(path), *args)
        assert code == 2 and out_ == ""
        assert err.startswith(f"attribution-lab: error: {fragment}")
        assert len(err.strip().splitlines()) == 1


def test_delimiter_hint_names_the_flag_where_there_is_one(tmp_path, capsys, known_csv):
    spaced = tmp_path / "spaced.txt"
    spaced.write_text(KNOWN.replace(",", " "))
    code, _, err = run(capsys, "attribute", str(spaced), "--model", "linear", "--value-col", "")
    assert code == 2
    assert err.strip().endswith("'path total_conversions total_null'; pass --delimiter")
    argv = ["attribute", str(spaced), "--model", "linear", "--value-col", "", "--delimiter", " "]
    assert run(capsys, *argv)[0] == 0
    # the events command's log is its input too
    events = ["events", str(spaced), "--user", "path", "--out", str(tmp_path / "p.csv")]
    code, _, err = run(capsys, *events)
    assert code == 2 and err.strip().endswith("; pass --delimiter")
    # --delimiter is the input's: a spend file has no flag to point to
    costs = tmp_path / "costs.txt"
    costs.write_text("channel cost\nA 10\n")
    spend = ["attribute", known_csv, "--model", "linear", "--value-col", "", "--costs", str(costs)]
    code, _, err = run(capsys, *spend)
    assert code == 2
    assert err.strip().endswith("; separate its fields with one of , ; tab |")
    assert "--delimiter" not in err


def test_touch_csv_input_runs_the_hazard_model(tmp_path, capsys):
    from attribution_lab.cli import main

    prefix = str(tmp_path / "sim")
    assert main(["simulate", "hazard", "--n", "3000", "--seed", "1", "--out", prefix]) == 0
    capsys.readouterr()
    events = prefix + "_events.csv"
    assert main(["attribute", events, "--events", "--model", "hazard", "--format", "csv"]) == 0
    assert "half_life" in capsys.readouterr().out
    assert main(["compare", events, "--events", "--models", "linear,hazard"]) == 0
    assert "hazard" in capsys.readouterr().out
    # path tables have no times: the model says so, in one line
    assert main(["attribute", "example", "--model", "hazard"]) == 2
    assert "times" in capsys.readouterr().err
    assert main(["attribute", "example", "--model", "linear", "--end-time", "9"]) == 2


@pytest.fixture(scope="module")
def point_process_log(tmp_path_factory):
    """A touch CSV from 'attribution-lab simulate hazard' (800 journeys), and the same log
    with its times in hours."""
    folder = tmp_path_factory.mktemp("pp")
    prefix = str(folder / "sim")
    assert main(["simulate", "hazard", "--n", "800", "--seed", "0", "--out", prefix]) == 0
    events = prefix + "_events.csv"
    frame = pd.read_csv(events)
    hours = str(folder / "hours.csv")
    frame.assign(time=frame.time * 24, end_time=frame.end_time * 24).to_csv(hours, index=False)
    return events, hours


def test_point_process_prints_credit_intervals_and_the_direct_mediated_split(
    point_process_log, capsys
):
    events, _ = point_process_log
    code, out, err = run(capsys, "attribute", events, "--events", "--model", "point_process")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("model point_process (shapley_mediated); ")
    assert "95% intervals of the conversions credit from the model's own standard errors" in out
    assert "(seed 0 of its random draws)" in out
    # the credit table keeps to the credit; its details get a table of their own and the
    # totals v(N), v(empty) one line
    credit_header = next(ln for ln in lines if ln.lstrip().startswith("conversions"))
    assert credit_header.split() == [
        "conversions", "value", "share", "value_share", "stderr", "ci_low", "ci_high",
    ]  # fmt: skip
    assert "details per channel (point_process):" in out
    detail_header = next(ln for ln in lines if ln.lstrip().startswith("shapley_value"))
    assert detail_header.split() == [
        "shapley_value", "removal_effect", "direct", "mediated", "shapley_stderr",
    ]  # fmt: skip
    assert lines[-1].startswith("the same for every channel: v_all ")
    assert "v_empty" in lines[-1]


def test_point_process_with_the_seed_and_in_hours(point_process_log, capsys):
    events, hours = point_process_log

    def doc(*argv):
        code, out, err = run(capsys, "attribute", *argv, "--model", "point_process",
                             "--format", "json")  # fmt: skip
        assert code == 0, err
        return json.loads(out)

    base = doc(events, "--events")
    assert base["seed"] == 0 and base["params"]["random_state"] == 0
    assert doc(events, "--events", "--seed", "0") == base
    other = doc(events, "--events", "--seed", "1")
    assert other["params"]["random_state"] == 1
    assert [c["conversions"] for c in other["channels"]] != [
        c["conversions"] for c in base["channels"]
    ]
    # times read in hours are the same journeys in days: the same fit up to rounding,
    # the same draws of the seed
    in_hours = doc(hours, "--events", "--time-unit", "hours")
    for a, b in zip(in_hours["channels"], base["channels"], strict=True):
        assert a["channel"] == b["channel"]
        assert a["share"] == pytest.approx(b["share"], abs=1e-3)


def test_compare_includes_point_process_on_touch_times_only(point_process_log, capsys):
    events, _ = point_process_log
    code, out, err = run(
        capsys, "compare", events, "--events", "--models", "hazard,point_process", "--format",
        "csv",
    )  # fmt: skip
    assert code == 0, err
    tidy = pd.read_csv(io.StringIO(out))
    assert set(tidy.model) == {"hazard", "point_process"}
    pp = tidy[tidy.model == "point_process"]
    assert pp.share.sum() == pytest.approx(1.0)
    assert {"direct", "mediated", "removal_effect"} <= set(tidy.columns)
    # a path table has no touch times: refused in one line, naming the model
    code, _, err = run(capsys, "compare", "example", "--models", "linear,point_process")
    assert code == 2 and "point_process needs touch times" in err


def test_missing_optional_column_hint_names_the_flag(tmp_path, capsys):
    table = tmp_path / "k.csv"
    table.write_text("path,total_conversions\nA > B,1\nB,2\n")
    code, _, err = run(capsys, "attribute", str(table), "--model", "linear", "--value-col", "")
    assert code == 2
    assert "missing nulls column 'total_null'" in err
    assert "(pass --nulls-col '' if the table has none)" in err
    argv = ["attribute", str(table), "--model", "linear", "--value-col", "", "--nulls-col", ""]
    assert run(capsys, *argv)[0] == 0


# ------------------------------------------------------ issue 19: no silent-wrong numbers
def test_time_decay_half_life_on_a_path_table_is_refused(capsys, known_csv):
    # before: half_life 0.1, 1, 7, 14 and 100 gave the same credit with exit 0
    base = ["attribute", known_csv, "--model", "time_decay", "--value-col", ""]
    code, _, err = run(capsys, *base, "--param", "half_life=14")
    assert code == 2
    assert err.count("\n") == 1
    assert "half_life=14 cannot act: the journeys have no touch times" in err
    assert "position_half_life" in err
    code, out, _ = run(capsys, *base, "--param", "position_half_life=2", "--format", "json")
    assert code == 0 and json.loads(out)["params"]["position_half_life"] == 2


def test_every_random_choice_flows_from_seed(capsys, known_csv):
    # before: --seed reached only the bootstrap, so these gave new numbers on every run
    def credit(*extra):
        code, out, err = run(
            capsys, "attribute", known_csv, "--value-col", "", "--format", "json", *extra
        )
        assert code == 0, err
        doc = json.loads(out)
        return doc["seed"], [c["conversions"] for c in doc["channels"]]

    walks = ["--model", "markov", "--param", "removal=simulate", "--param", "max_walks=20000"]
    seed, first = credit(*walks)
    assert seed == 0
    assert credit(*walks) == (0, first)
    assert credit(*walks, "--seed", "3")[1] != first
    sampled = ["--model", "shapley", "--param", "estimator=permutation", "--param", "budget=64"]
    assert credit(*sampled) == credit(*sampled)
    # a seed is not handed to a model it cannot act on (exact Markov refuses random_state),
    # and a seed given to a run that draws nothing is refused
    code, _, err = run(
        capsys, "attribute", known_csv, "--value-col", "", "--model", "markov", "--seed", "5"
    )
    assert code == 2 and "--seed 5 cannot act: markov draw nothing at random" in err
    assert credit("--model", "markov", "--seed", "5", "--ci", "--n-boot", "5")[0] == 5


def test_bootstrap_options_without_ci_are_refused(capsys, known_csv):
    for flag, value in (("--n-boot", "50"), ("--ci-level", "0.9")):
        code, _, err = run(
            capsys, "attribute", known_csv, "--model", "linear", "--value-col", "", flag, value
        )
        assert code == 2 and f"{flag} sets the bootstrap, which runs only with --ci" in err


def test_path_table_options_with_events_are_refused(capsys, tmp_path):
    f = tmp_path / "touches.csv"
    f.write_text("journey,channel,time,converted\n1,a,0,1\n")
    code, _, err = run(capsys, "attribute", str(f), "--events", "--model", "linear", "--sep", "|")
    assert code == 2 and "--sep reads a path table; with --events" in err


def test_counting_words_rows_distinct_paths_and_journeys(capsys):
    # the bundled table: 10,000 rows but 5,408 distinct paths and 88,387 customers
    code, out, _ = run(capsys, "attribute", "example", "--model", "linear")
    assert code == 0
    header = out.splitlines()[0]
    assert "10,000 rows, 5,408 distinct paths (643 paths on " in header
    assert "rows, merged), 88,387 journeys: 19,785 conversions" in header
    code, out, _ = run(capsys, "compare", "example", "--models", "linear,last_touch")
    assert code == 0 and out.startswith("10,000 rows, 5,408 distinct paths")


def test_directories_and_unreadable_input_are_one_line(capsys, tmp_path):
    code, _, err = run(capsys, "attribute", str(tmp_path), "--model", "linear")
    assert code == 2
    assert err == f"attribution-lab: error: {tmp_path}: is a directory, not a file\n"


def test_warnings_print_as_one_clean_line(capsys, tmp_path):
    f = tmp_path / "weights.csv"
    f.write_text("path,total_conversions,total_null\nA > B,2.5,1\nB,1,0\n")
    code, _, err = run(capsys, "attribute", str(f), "--model", "linear", "--value-col", "")
    assert code == 0
    assert err.startswith("attribution-lab: warning: ") and err.count("\n") == 1
    assert "site-packages" not in err and "DataWarning" not in err and "warn(" not in err
    assert "2.5 is not a whole number" in err


def test_huge_counts_are_refused_on_the_command_line(capsys, tmp_path):
    f = tmp_path / "huge.csv"
    f.write_text("path,total_conversions,total_null\nA,1e300,1\nB,1,1\n")
    code, _, err = run(capsys, "attribute", str(f), "--model", "markov", "--value-col", "")
    assert code == 2
    assert "row 0 (line 2), column 'total_conversions': 1e+300 is too large" in err


@pytest.mark.parametrize(
    ("extra", "fragment"),
    [
        (["--rule", "time_decay", "--n-buckets", "3"], "--n-buckets goes with --shape free"),
        (["--rule", "time_decay", "--shape", "W"], "--shape goes with --rule position_based"),
        (
            ["--rule", "time_decay", "--method", "match", "--by-position", "--n-buckets", "3"],
            "--n-buckets goes with --shape free",
        ),
        (["--rule", "position_based", "--n-buckets", "3"], "--n-buckets goes with --shape free"),
    ],
)
def test_calibrate_options_that_cannot_act_are_refused(capsys, extra, fragment):
    code, _, err = run(capsys, "calibrate", "example", *extra)
    assert code == 2 and fragment in err and err.count("\n") == 1


def test_describe_says_what_the_table_holds(capsys):
    code, out, _ = run(capsys, "describe", "example", "--top", "3")
    assert code == 0
    assert out.startswith("input: 10,000 rows, 5,408 distinct paths (643 paths on ")


def test_touch_csv_times_in_seconds_need_time_unit(capsys, tmp_path):
    f = tmp_path / "touches.csv"
    f.write_text(
        "journey,channel,time,converted,end_time\n"
        "1,a,1700000000,1,1700086400\n1,b,1700086400,1,1700086400\n"
        "2,b,1700000000,0,1700259200\n2,a,1700172800,0,1700259200\n"
    )
    base = ["attribute", str(f), "--events", "--model", "time_decay", "--format", "json"]
    code, _, err = run(capsys, *base)
    assert code == 2 and "--time-unit" in err and err.count("\n") == 1
    code, out, err = run(capsys, *base, "--time-unit", "s", "--param", "half_life=1")
    assert code == 0, err
    credit = {c["channel"]: c["conversions"] for c in json.loads(out)["channels"]}
    # one day apart with a one-day half-life: 1/3 to the first touch, 2/3 to the last
    assert credit == pytest.approx({"a": 1 / 3, "b": 2 / 3})
    code, _, err = run(capsys, "attribute", "example", "--model", "linear", "--time-unit", "s")
    assert code == 2 and "--time-unit goes with --events" in err
