"""The benchmark suites' --quick runs, so the benchmark code cannot rot.

Each suite runs ``python -m benchmarks SUITE --quick`` in-process (its workers in fresh
interpreters, as in a real run) into a temporary folder; the tests check the tidy CSV's
columns, the Markdown summary and the plots, not the numbers (a smoke run measures
nothing).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from benchmarks import SUITES
from benchmarks import _harness as harness
from benchmarks.__main__ import build_parser, main
from benchmarks._harness import int_list

PLOTS = {
    "accuracy": ["accuracy.png", "accuracy_coverage.png"],
    "speed": ["speed.png"],
    "montecarlo": ["montecarlo.png"],
    "peers": ["peers.png"],
    "parse": ["parse.png"],
    "events": [],
    "analytics": ["analytics.png"],
    "calibration": ["calibration.png"],
    "mediation": ["mediation.png", "mediation_recovery.png"],
    "ga4": [],
    "e2e": ["e2e.png"],
    "scale": ["scale.png"],
    "experiments": ["experiments.png"],
}


def run_quick(suite: str, tmp_path) -> tuple[pd.DataFrame, str]:
    out = tmp_path / suite
    assert main([suite, "--quick", "--no-progress", "--out", str(out)]) == 0
    frame = pd.read_csv(out / f"{suite}.csv")
    text = (out / f"{suite}.md").read_text()
    for png in PLOTS[suite]:
        data = (out / png).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 1000, png
    assert list(frame.columns[: len(harness.CORE_COLUMNS)]) == harness.CORE_COLUMNS
    assert set(frame.suite) == {suite}
    assert set(frame.status) <= {"ok", "skipped", "error"}
    # the header records the command, the machine, the versions and the load
    assert f"python -m benchmarks {suite} --quick" in text
    for word in ("cores", "GiB RAM", "Python", "numpy", "os.getloadavg", "date"):
        assert word in text, word
    return frame, text


def test_accuracy_quick(tmp_path):
    from attribution_lab import available_models
    from attribution_lab.simulate import scenarios

    frame, text = run_quick("accuracy", tmp_path)
    point = frame[frame.task == "point"]
    assert set(point.scenario) == set(scenarios())
    assert set(available_models()) <= set(point.model)
    ok = point[point.status == "ok"]
    assert {"tv_share", "spearman", "kendall", "top_k_overlap", "coverage"} <= set(frame.columns)
    assert ok.tv_share.notna().all() and (ok.tv_share >= 0).all()
    assert ok.wall_s.notna().all() and ok.peak_mem_mb.notna().all()
    boot = frame[(frame.task == "bootstrap") & (frame.status == "ok")]
    assert len(boot) and boot.coverage.between(0, 1).all()
    # a failed cell is reported with its reason, never dropped
    assert (frame[frame.status != "ok"].note != "").all()
    assert "Total-variation distance" in text


@pytest.mark.slow
def test_speed_quick(tmp_path):
    frame, text = run_quick("speed", tmp_path)
    ok = frame[frame.status == "ok"]
    assert "floor" in set(ok.model)
    models = ok[ok.model != "floor"]
    assert len(models) >= 3
    for col in ("journeys_per_s", "ratio_to_floor", "scaling_exponent", "peak_mem_mb"):
        assert models[col].notna().all(), col
    # every measurement ran in its own process: the worker's peak is its own
    assert (models.peak_mem_mb > 0).all() and models.worker_s.notna().all()
    assert "slope" in text


def test_montecarlo_quick(tmp_path):
    frame, text = run_quick("montecarlo", tmp_path)
    ok = frame[frame.status == "ok"]
    assert {"permutation", "antithetic", "kernel"} <= set(ok.model)
    assert ok.rel_rmse.notna().all() and (ok.rel_rmse >= 0).all()
    sampled = ok[ok.repetitions > 1]
    assert sampled.coverage.between(0, 1).all()
    skipped = frame[frame.status == "skipped"]
    assert (skipped.note.str.contains("minimum")).all()
    assert "Coverage pooled" in text


@pytest.mark.slow
def test_peers_quick(tmp_path):
    frame, _ = run_quick("peers", tmp_path)
    assert "markov (order 1)" in set(frame[frame.status == "ok"].model)
    # every peer run gives a row: measured, or an error with its text (not installed ...)
    for prefix in ("ChannelAttribution heuristic_models", "ChannelAttribution markov", "mam"):
        rows = frame[frame.model.str.startswith(prefix)]
        assert len(rows), prefix
        assert ((rows.status == "ok") | ((rows.status == "error") & (rows.note != ""))).all()
    ok = frame[frame.status == "ok"]
    assert ok.max_share_dev_vs_truth.notna().all()  # the quick world has a truth


def test_mediation_quick(tmp_path):
    from benchmarks.suites.mediation import MODELS, SCENARIOS, TASKS

    frame, text = run_quick("mediation", tmp_path)
    assert set(frame.task) == set(TASKS)
    acc = frame[frame.task == "accuracy"]
    assert set(acc.scenario) == set(SCENARIOS) and set(acc.model) == set(MODELS)
    ok = acc[acc.status == "ok"]
    assert (ok.tv_share >= 0).all() and ok.tv_share_vs_shapley.notna().all()
    # the point-process model's conversion part follows the world, not the name
    pp = acc[acc.model == "point_process"].set_index("scenario").params
    assert pp["mediation"] == "conversion=window_end"
    assert pp["hazard"] == pp["point_process"] == "conversion=hazard"
    control = frame[frame.task == "control"]
    assert control.alpha_ci_zero.between(0, 1).all() and control.tv_vs_hazard.notna().all()
    rec = frame[frame.task == "recovery"]
    assert {"alpha[display->brand_search]", "mu[display]", "decay[display]"} <= set(rec.parameter)
    assert "decay[brand_search]" not in set(rec.parameter)  # excites nothing: not identified
    assert frame[frame.task == "coverage"].seed.nunique() == 2
    speed = frame[(frame.task == "speed") & (frame.status == "ok")]
    assert (speed.fit_s > 0).all() and (speed.n_touches > 0).all()
    for heading in ("Targets of issue 20", "No-mediation control", "Coverage of the 95%"):
        assert heading in text, heading


def test_e2e_quick(tmp_path):
    from benchmarks.suites.e2e import TARGETS

    frame, text = run_quick("e2e", tmp_path)
    imports = frame[frame.task == "import"]
    assert {"import pandas", "import attribution_lab"} <= set(imports[imports.status == "ok"].model)
    ours = frame[(frame.model == "attribution-lab") & (frame.status == "ok")]
    assert set(ours.task) == {model for model, _, _ in TARGETS}
    assert (ours.wall_s > 0).all() and (ours.peak_mem_mb > 0).all()
    # every peer command gives a row: measured with its speedup, or an error with its text
    for _, peer, _ in TARGETS:
        row = frame[frame.model == peer].iloc[0]
        assert (row.status == "ok" and row.speedup > 0) or (row.status == "error" and row.note)
    assert "Targets of issue 21" in text


def test_scale_quick(tmp_path):
    frame, _ = run_quick("scale", tmp_path)
    ok = frame[frame.status == "ok"]
    assert {"markov (order 1)", "markov (order 3)", "shapley (default)", "linear"} <= set(ok.model)
    assert (ok.wall_s > 0).all()


def test_experiments_quick(tmp_path):
    frame, _ = run_quick("experiments", tmp_path)
    assert {"headline", "coverage", "n_tested", "holdout"} <= set(frame.task)


def test_every_suite_has_a_test():
    assert set(SUITES) == set(PLOTS)


def test_int_list():
    assert int_list("1e3,1e4") == [1000, 10000]
    assert int_list("0-4") == [0, 1, 2, 3, 4]
    assert int_list("3, 7") == [3, 7]


def test_loglog_slope():
    n = np.array([1e3, 1e4, 1e5])
    assert harness.loglog_slope(n, 2e-6 * n**1.5) == pytest.approx(1.5)
    assert math.isnan(harness.loglog_slope([1e3], [1.0]))


def test_call_worker_reports_failures():
    import sys

    res = harness.call_worker([sys.executable, "-c", "import sys; sys.exit(3)"], {})
    assert res["error"].startswith("exit 3")
    assert res["worker_s"] > 0


@pytest.mark.slow
def test_parse_quick(tmp_path):
    frame, text = run_quick("parse", tmp_path)
    total = frame[frame.task == "total"]
    assert set(total.model) == {"read_csv", "from_path_table"}
    assert (total[total.model == "from_path_table"].check == "ok").all()
    assert total.ratio_to_read_csv.notna().any()
    stages = frame[frame.task == "stage"]
    assert "Journeys.from_path_table (total)" in set(stages.model)
    assert (stages.wall_s > 0).all() and "Stages of from_path_table" in text


@pytest.mark.slow
def test_events_quick(tmp_path):
    frame, text = run_quick("events", tmp_path)
    ok = frame[frame.status == "ok"]
    assert {"from_events", "sql"} <= set(ok.task)
    assert (ok.events_per_s > 0).all()
    sql = ok[ok.task == "sql"]
    assert set(sql.model) == {"duckdb", "pandas"} and sql.tables_equal.dropna().all()
    assert "DuckDB against pandas" in text


def test_analytics_quick(tmp_path):
    frame, text = run_quick("analytics", tmp_path)
    ok = frame[frame.status == "ok"]
    assert {"describe", "top_paths", "funnel"} <= set(ok.model)
    assert (ok.wall_s > 0).all() and "## Target" in text


def test_calibration_quick(tmp_path):
    frame, text = run_quick("calibration", tmp_path)
    assert {"recovery", "scenarios", "example_paths"} == set(frame.task)
    rec = frame[frame.task == "recovery"]
    assert (pd.to_numeric(rec.fitted) > 0).all()
    assert "**Headline.**" in text


def test_one_entry_point():
    # `python -m benchmarks --help` lists every suite, and nothing else in benchmarks/
    # has a command line of its own
    from pathlib import Path

    assert set(build_parser()._subparsers._group_actions[0].choices) == set(SUITES)
    root = Path(harness.HERE)
    for path in root.rglob("*.py"):
        if path.name == "__main__.py":
            continue
        text = path.read_text()
        assert "__main__" not in text and "ArgumentParser" not in text, path
    assert not list(root.rglob("*.c"))
    for suite in SUITES:  # every suite writes to its own folder of results/
        assert (root / "results" / suite).is_dir() or suite == "speed", suite
