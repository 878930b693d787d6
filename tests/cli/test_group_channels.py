"""``--group-channels top=K`` and ``--channel-map FILE`` on attribute and compare: known
answers, every model, what is reported, and one-line errors (exit 2) on bad input."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys

import pandas as pd
import pytest

from attribution_lab import Journeys, available_models, get_model
from attribution_lab.cli import main

# known_csv (tests/conftest.py) holds the path table
#   A>B>C,3,2  A>C,1,4  B,0,5  C>A,2,1  B>C>C,1,0   (path, conversions, nulls)


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def credit(out: str) -> dict[str, float]:
    return {c["channel"]: c["conversions"] for c in json.loads(out)["channels"]}


def linear_of(paths: dict[str, tuple[float, float]]) -> dict[str, float]:
    """Linear credit of a path table given as {path: (conversions, nulls)}, by hand."""
    j = Journeys.from_paths(
        list(paths), [c for c, _ in paths.values()], [n for _, n in paths.values()], sep=">"
    )
    r = get_model("linear").fit(j).attribute()
    return dict(zip(r.channel_names, r.conversions, strict=True))


def test_top_k_keeps_the_most_frequent_channels(capsys, known_csv):
    # touches x customers: A 5 + 5 + 3 = 13, B 5 + 5 + 1 = 11, C 5 + 5 + 3 + 2 = 15
    code, out, err = run(
        capsys,
        "attribute",
        known_csv,
        "--model",
        "linear",
        "--value-col",
        "",
        "--group-channels",
        "top=2",
        "--format",
        "json",
    )
    assert code == 0, err
    expected = linear_of(
        {"A>other>C": (3, 2), "A>C": (1, 4), "other": (0, 5), "C>A": (2, 1), "other>C>C": (1, 0)}
    )
    assert credit(out) == pytest.approx(expected, rel=1e-12)
    assert json.loads(out)["channel_groups"] == {"A": "A", "B": "other", "C": "C"}
    assert err == (
        "attribution-lab: note: --group-channels top=2: 1 of 3 channels merged into 'other'"
        " (11 touches, 28.2%)\n"
    )


def test_top_k_table_output_reports_in_the_header(capsys, known_csv):
    code, out, err = run(
        capsys,
        "attribute",
        known_csv,
        "--model",
        "first_touch",
        "--value-col",
        "",
        "--group-channels",
        "top=1",
    )
    assert code == 0 and err == ""
    header = out.splitlines()[0]
    assert "--group-channels top=1: 2 of 3 channels merged into 'other' (24 touches, 61.5%)" in (
        header
    )
    assert "5 distinct paths became 5" not in header  # no path merged: not mentioned
    code, out, _ = run(
        capsys,
        "attribute",
        known_csv,
        "--model",
        "linear",
        "--value-col",
        "",
        "--group-channels",
        "top=3",
    )
    assert code == 0
    assert "--group-channels top=3: all 3 channels kept, nothing merged" in out


def test_channel_map_merges_into_groups_and_paths(capsys, known_csv, tmp_path):
    groups = tmp_path / "groups.csv"
    groups.write_text("channel,group\nA,paid\nB, paid \nC,C\nZ,unused\n")
    code, out, err = run(
        capsys,
        "compare",
        known_csv,
        "--models",
        "linear,last_touch",
        "--value-col",
        "",
        "--channel-map",
        str(groups),
        "--format",
        "json",
    )
    assert code == 0, err
    doc = json.loads(out)
    expected = linear_of(
        {
            "paid>paid>C": (3, 2),
            "paid>C": (1, 4),
            "paid": (0, 5),
            "C>paid": (2, 1),
            "paid>C>C": (1, 0),
        }
    )
    linear = {c["channel"]: c["conversions"] for c in doc["results"][0]["channels"]}
    assert linear == pytest.approx(expected, rel=1e-12)
    assert doc["channel_groups"] == {"A": "paid", "B": "paid", "C": "C"}
    assert err == (
        "attribution-lab: note: --channel-map: 3 channels into 2 groups (1 map row for"
        " channels not in the data)\n"
    )


def test_map_then_top_and_paths_merged_again(capsys, known_csv, tmp_path):
    groups = tmp_path / "groups.csv"
    groups.write_text("channel,group\nA,x\nB,y\nC,y\n")
    argv = ["attribute", known_csv, "--model", "last_touch", "--value-col", ""]
    code, out, _ = run(capsys, *argv, "--channel-map", str(groups), "--group-channels", "top=1")
    assert code == 0
    # y has 11 + 15 = 26 touches, x (A) 13: x is merged into other
    assert "--channel-map: 3 channels into 2 groups" in out
    assert "--group-channels top=1: 1 of 2 channels merged into 'other' (13 touches" in out
    assert "distinct paths became" not in out  # still 5 distinct paths
    # one group: A>B>C and B>C>C become g>g>g, A>C and C>A g>g, so 5 paths become 3
    groups.write_text("channel,group\nA,g\nB,g\nC,g\n")
    code, out, err = run(
        capsys,
        *argv,
        "--channel-map",
        str(groups),
        "--group-channels",
        "top=1",
        "--format",
        "json",
    )
    assert code == 0
    assert credit(out) == {"g": 7.0}
    assert "all 1 channels kept, nothing merged; 5 distinct paths became 3" in err


@pytest.fixture(scope="module")
def events_csv(tmp_path_factory) -> str:
    prefix = str(tmp_path_factory.mktemp("events") / "d")
    assert main(["simulate", "hazard", "--n", "300", "--seed", "1", "--out", prefix]) == 0
    return prefix + "_events.csv"


@pytest.mark.parametrize(
    "model",
    [
        # the point-process fit takes minutes here (numba compilation included)
        pytest.param(m, marks=pytest.mark.slow) if m == "point_process" else m
        for m in available_models()
    ],
)
def test_every_model_runs_on_grouped_channels(capsys, model, events_csv):
    needs_times = get_model(model).needs_times
    argv = ["attribute", events_csv, "--events"] if needs_times else ["attribute", "example"]
    code, out, err = run(
        capsys, *argv, "--model", model, "--group-channels", "top=2", "--format", "json"
    )
    assert code == 0, err
    doc = json.loads(out)
    channels = [c["channel"] for c in doc["channels"]]
    assert len(channels) == 3 and "other" in channels
    assert sum(c["conversions"] for c in doc["channels"]) == pytest.approx(doc["total_conversions"])
    assert "merged into 'other'" in err


def test_events_keep_times_when_grouped(capsys, events_csv):
    frame = pd.read_csv(events_csv)
    channels = sorted(frame["channel"].unique())
    mapping = "channel,group\n" + "".join(
        f"{c},{'g' if k < 2 else c}\n" for k, c in enumerate(channels)
    )
    path = os.path.join(os.path.dirname(events_csv), "map.csv")
    with open(path, "w") as f:
        f.write(mapping)
    code, out, err = run(
        capsys,
        "attribute",
        events_csv,
        "--events",
        "--model",
        "time_decay",
        "--channel-map",
        path,
        "--format",
        "json",
    )
    assert code == 0, err
    assert {c["channel"] for c in json.loads(out)["channels"]} == {"g", *channels[2:]}
    assert f"{len(channels)} channels into {len(channels) - 1} groups" in err


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["--group-channels", "top=0"], "--group-channels: expected top=K with K a positive"),
        (["--group-channels", "top=x"], "got 'top=x'"),
        (["--group-channels", "bottom=2"], "got 'bottom=2'"),
        (["--channel-map", "missing.csv"], "--channel-map missing.csv: no such file"),
        (["--channel-map", "{dir}/two.csv"], "two.csv: a channel map has two columns"),
        (["--channel-map", "{dir}/empty_cell.csv"], "row 1 (line 3), column 'group': empty"),
        (["--channel-map", "{dir}/twice.csv"], "column 'channel': 'A' is mapped again"),
        (
            ["--channel-map", "{dir}/partial.csv"],
            "partial.csv: 2 channels of the data are not in the channel map: 'B', 'C' (add a"
            " row channel,group for each",
        ),
        (["--channel-map", "{dir}/blank.csv"], "blank.csv: empty file"),
        (
            ["--channel-map", "{dir}/to_other.csv", "--group-channels", "top=1"],
            "--group-channels top=1: the data already have a channel named 'other'",
        ),
    ],
)
def test_bad_grouping_is_one_line_exit_2(capsys, tmp_path, known_csv, argv, fragment):
    (tmp_path / "two.csv").write_text("channel,group,note\nA,x,1\n")
    (tmp_path / "empty_cell.csv").write_text("channel,group\nA,x\nB,\n")
    (tmp_path / "twice.csv").write_text("channel,group\nA,x\nB,y\nA,z\n")
    (tmp_path / "partial.csv").write_text("channel,group\nA,x\n")
    (tmp_path / "blank.csv").write_text("")
    (tmp_path / "to_other.csv").write_text("channel,group\nA,other\nB,B\nC,C\n")
    argv = [a.format(dir=tmp_path) for a in argv]
    for command in (
        ["attribute", known_csv, "--model", "linear", "--value-col", ""],
        ["compare", known_csv, "--models", "linear", "--value-col", ""],
    ):
        code, out, err = run(capsys, *command, *argv)
        assert code == 2 and out == ""
        assert err.startswith("attribution-lab: error: ") and err.count("\n") == 1, err
        assert fragment in err
        assert "Traceback" not in err


def test_the_installed_command_groups_channels(tmp_path, known_csv):
    import attribution_lab

    root = os.path.dirname(os.path.dirname(attribution_lab.__file__))
    env = dict(os.environ, PYTHONPATH=root)
    cmd = [
        sys.executable,
        "-m",
        "attribution_lab",
        "attribute",
        known_csv,
        "--model",
        "markov",
        "--value-col",
        "",
        "--group-channels",
        "top=2",
        "--format",
        "csv",
    ]
    proc = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert set(pd.read_csv(io.StringIO(proc.stdout))["channel"]) == {"A", "C", "other"}
    assert "merged into 'other'" in proc.stderr
