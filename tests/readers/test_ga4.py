"""read_ga4_export and the ga4 command, on export files the tests write in GA4's nested schema."""

from __future__ import annotations

import json
import os
import sys

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, os.path.dirname(__file__))
from ga4_export import (
    DAY_US,
    T0,
    event,
    param,
    random_export,
    random_export_table,
    reference_path_table,
    write_export,
    write_export_table,
)

from attribution_lab.cli import main
from attribution_lab.readers import GA4Report, read_ga4_export

S = 1_000_000  # microseconds per second
# exports without a purchase warn (tested once below)
pytestmark = pytest.mark.filterwarnings("ignore:.*no event named:UserWarning")


def table(journeys):
    return journeys.aggregate().to_path_table().sort_values("path").reset_index(drop=True)


def same_table(a, b):
    pd.testing.assert_frame_equal(
        a.sort_values("path").reset_index(drop=True),
        b.sort_values("path").reset_index(drop=True),
        check_dtype=False,
    )


def write_json(rows, path):
    with open(path, "w") as fh:
        for r in rows:
            fh.write(json.dumps(r) + "\n")
    return path


# ---------------------------------------------------------------------- a hand-computed example
def tiny_rows():
    """Two devices of one member, a direct visitor and a duplicate transaction.

    u1 (member m): s1 google/cpc (collected) at 0 s, purchase 40 at 100 s (T1);
                   s2 newsletter/email (event params) at 1000 s, no purchase.
    u2 (member m): s3 direct at 2000 s, purchase 10 at 2050 s (T2), T2 again at 2090 s.
    u3 (no user_id): s4 with a gclid at 500 s, page view only; s5 direct at 3000 s with a
                   purchase and no session_start (the purchase is its first event).
    """
    google = {"collected_traffic_source": {"manual_source": "google", "manual_medium": "cpc"}}
    return [
        event(T0, "session_start", "u1", 1, **google),
        event(
            T0 + 100 * S,
            "purchase",
            "u1",
            1,
            user_id="m",
            ecommerce={"purchase_revenue": 40.0, "transaction_id": "T1"},
        ),
        event(
            T0 + 1000 * S,
            "session_start",
            "u1",
            2,
            params=[param("source", string="newsletter"), param("medium", string="email")],
        ),
        event(T0 + 2000 * S, "session_start", "u2", 3, user_id="m"),
        event(
            T0 + 2050 * S,
            "purchase",
            "u2",
            3,
            ecommerce={"purchase_revenue": 10.0, "transaction_id": "T2"},
        ),
        event(
            T0 + 2090 * S,
            "purchase",
            "u2",
            3,
            ecommerce={"purchase_revenue": 10.0, "transaction_id": "T2"},
        ),
        event(T0 + 500 * S, "page_view", "u3", 4, collected_traffic_source={"gclid": "abc"}),
        event(
            T0 + 3000 * S,
            "purchase",
            "u3",
            5,
            ecommerce={"purchase_revenue": 5.5, "transaction_id": "T3"},
        ),
        event(T0 + 3100 * S, "user_engagement", "u3", None),
    ]


def test_hand_computed_example(tmp_path):
    path = write_json(tiny_rows(), tmp_path / "events_20240301.json")
    journeys, report = read_ga4_export(path, return_report=True)
    # m: Paid Search -> purchase 40; Email > Direct -> purchase 10; u3: Paid Search > Direct
    # -> purchase 5.5 (the gclid makes google / cpc)
    expected = pd.DataFrame(
        {
            "path": ["Email > Direct", "Paid Search", "Paid Search > Direct"],
            "total_conversions": [1.0, 1.0, 1.0],
            "total_conversion_value": [10.0, 40.0, 5.5],
            "total_null": [0.0, 0.0, 0.0],
        }
    )
    same_table(table(journeys), expected)
    assert sorted(journeys.contact) == ["m", "m", "u3"]
    assert report.n_rows == 9
    assert report.n_sessions == 5
    assert report.n_conversions == 3
    assert report.duplicate_transactions == 1
    assert report.events_without_session == 1
    assert report.session_sources == {
        "collected": 2,
        "last_click": 0,
        "event_params": 1,
        "none": 2,
        "gclid": 1,
    }
    assert report.dropped == {"events_without_session": 1, "duplicate_transactions": 1}
    assert "duplicate transactions 1" in str(report)
    # times in days since 1970; end of a converting journey at its purchase
    assert journeys.end_time.max() == pytest.approx((T0 + 3000 * S) / DAY_US)
    # without stitching, u1's and u2's sessions are two persons
    alone = read_ga4_export(path, user_id=False)
    assert sorted(alone.contact) == ["u1", "u1", "u2", "u3"]
    same_table(
        table(alone),
        pd.DataFrame(
            {
                "path": ["Direct", "Email", "Paid Search", "Paid Search > Direct"],
                "total_conversions": [1.0, 0.0, 1.0, 1.0],
                "total_conversion_value": [10.0, 0.0, 40.0, 5.5],
                "total_null": [0.0, 1.0, 0.0, 0.0],
            }
        ),
    )


def test_source_precedence_and_levels(tmp_path):
    both = {
        "collected_traffic_source": {"manual_source": "facebook", "manual_medium": "cpc"},
        "session_traffic_source_last_click": {
            "manual_campaign": {"source": "google", "medium": "cpc"}
        },
    }
    rows = [
        event(
            T0,
            "session_start",
            "u",
            1,
            params=[param("source", string="newsletter"), param("medium", string="email")],
            **both,
        ),
        event(T0 + 10 * S, "page_view", "u", 1),
    ]
    path = write_json(rows, tmp_path / "e.json")
    assert read_ga4_export(path).path_strings().tolist() == ["Paid Social"]
    order = ("last_click", "collected")
    assert read_ga4_export(path, sources=order).path_strings().tolist() == ["Paid Search"]
    assert read_ga4_export(path, sources=["event_params"]).path_strings().tolist() == ["Email"]
    # (not set) says nothing: the next level decides
    rows[0]["collected_traffic_source"] = {"manual_source": "(not set)", "manual_medium": ""}
    path = write_json(rows, tmp_path / "e2.json")
    assert read_ga4_export(path).path_strings().tolist() == ["Paid Search"]
    with pytest.raises(ValueError, match="sources must be distinct names"):
        read_ga4_export(path, sources=["utm"])


def test_the_session_source_is_its_earliest_event_carrying_one(tmp_path):
    rows = [  # the first event has no source; the second and third disagree
        event(
            T0 + 5 * S,
            "page_view",
            "u",
            1,
            collected_traffic_source={"manual_source": "bing", "manual_medium": "cpc"},
        ),
        event(
            T0 + 9 * S,
            "page_view",
            "u",
            1,
            collected_traffic_source={"manual_source": "newsletter", "manual_medium": "email"},
        ),
        event(T0, "session_start", "u", 1, collected_traffic_source=None),
    ]
    j = read_ga4_export(write_json(rows, tmp_path / "e.json"))
    assert j.path_strings().tolist() == ["Paid Search"]
    assert j.times.tolist() == [T0 / DAY_US]  # the touch is at the session's first event


def test_session_across_midnight_is_one_touch(tmp_path):
    rows = [
        event(
            T0 + DAY_US - 30 * S,
            "session_start",
            "u",
            7,
            collected_traffic_source={"manual_source": "google", "manual_medium": "cpc"},
        ),
        event(
            T0 + DAY_US + 30 * S,
            "purchase",
            "u",
            7,
            ecommerce={"purchase_revenue": 9.0, "transaction_id": "X"},
        ),
    ]
    paths = write_export(rows, tmp_path / "exp")
    assert [os.path.basename(p) for p in paths] == ["events_20240301.json", "events_20240302.json"]
    j, report = read_ga4_export(str(tmp_path / "exp" / "events_*.json"), return_report=True)
    assert j.path_strings().tolist() == ["Paid Search"]
    assert j.conversions.tolist() == [1.0] and j.value.tolist() == [9.0]
    assert report.n_sessions == 1 and len(report.files) == 2
    # the later day alone: the session's touch is at the purchase, which it precedes
    j2 = read_ga4_export(paths[1])
    assert j2.path_strings().tolist() == ["Direct"] and j2.conversions.tolist() == [1.0]


def test_missing_records_null_params_and_direct_sessions(tmp_path):
    rows = [
        {
            "event_timestamp": str(T0),
            "event_name": "session_start",
            "user_pseudo_id": "a",
            "event_params": [
                {"key": "ga_session_id", "value": {"int_value": "1"}},
                {"key": "source", "value": {"string_value": None}},
                {"key": "medium", "value": None},
            ],
        },
        {
            "event_timestamp": str(T0 + S),
            "event_name": "page_view",
            "user_pseudo_id": "a",
            "event_params": None,
            "collected_traffic_source": None,
            "ecommerce": None,
        },
        # ga_session_id as a string value, as some tag set-ups send it
        {
            "event_timestamp": str(T0 + 9 * S),
            "event_name": "purchase",
            "user_pseudo_id": "a",
            "event_params": [{"key": "ga_session_id", "value": {"string_value": "1"}}],
            "ecommerce": {"transaction_id": "(not set)"},
        },
    ]
    j, report = read_ga4_export(write_json(rows, tmp_path / "e.json"), return_report=True)
    assert j.path_strings().tolist() == ["Direct"]
    assert j.conversions.tolist() == [1.0] and j.value.tolist() == [0.0]
    assert report.conversions_without_value == 1
    # the page view without event_params has no ga_session_id: part of no session
    assert report.n_sessions == 1 and report.events_without_session == 1


def test_conversion_events_are_configurable(tmp_path):
    rows = [*tiny_rows(), event(T0 + 50 * S, "generate_lead", "u1", 1)]
    path = write_json(rows, tmp_path / "e.json")
    j = read_ga4_export(path, conversion_events=["generate_lead"])
    assert j.n_conversions == 1 and j.total_value == 0.0
    j, report = read_ga4_export(
        path, conversion_events=("purchase", "generate_lead"), return_report=True
    )
    # the lead at 50 s takes s1's touch: the purchase at 100 s has none left (counted)
    assert report.n_conversions == 4 and j.n_conversions == 3
    assert report.events.conversions_without_touches == 1
    assert report.events.value_without_touches == 40.0
    with pytest.warns(UserWarning, match="no event named sign_up"):
        read_ga4_export(path, conversion_events="sign_up")
    with pytest.raises(ValueError, match="conversion_events must name"):
        read_ga4_export(path, conversion_events=[])


def test_rows_and_files_in_any_order_give_the_same_journeys(tmp_path):
    rows = random_export(3)
    a = read_ga4_export(write_export(rows, tmp_path / "a"))
    b = read_ga4_export(write_export(rows[::-1], tmp_path / "b", by_day=False))
    same_table(table(a), table(b))
    assert a.n_journeys == b.n_journeys


@pytest.mark.parametrize("seed", range(6))
def test_json_parquet_and_gzip_agree_with_the_reference(tmp_path, seed):
    rows = random_export(seed)
    expected = reference_path_table(rows)
    got = {}
    for fmt, gz in (("json", False), ("json", True), ("parquet", False)):
        folder = tmp_path / f"{fmt}{gz}"
        write_export(rows, folder, fmt=fmt, gz=gz)
        got[fmt, gz], report = read_ga4_export(folder, return_report=True)
        same_table(table(got[fmt, gz]), expected)
        assert report.n_rows == len(rows)
    assert np.array_equal(got["json", False].times, got["parquet", False].times)
    # without stitching, too
    same_table(
        table(read_ga4_export(tmp_path / "parquetFalse", user_id=False)),
        reference_path_table(rows, user_id=False),
    )
    # every row is a conversion, in a session, or counted
    n_conv = sum(r["event_name"] == "purchase" for r in rows)
    assert report.n_conversions + report.duplicate_transactions == n_conv
    # conversions equal the distinct transactions
    txns = {r["ecommerce"]["transaction_id"] for r in rows if r["event_name"] == "purchase"}
    assert report.n_conversions == len(txns)


def test_lookback_and_max_length_reach_the_pipeline(tmp_path):
    rows = random_export(1)
    folder = tmp_path / "x"
    write_export(rows, folder)
    j, report = read_ga4_export(folder, lookback=0.5, max_length=2, return_report=True)
    assert isinstance(report, GA4Report)
    assert report.events.outside_lookback > 0
    assert j.lengths.max() <= 2
    assert "outside_lookback" in report.dropped


@pytest.mark.parametrize("seed", range(3))
def test_the_vectorised_generator_agrees_with_the_reference(tmp_path, seed):
    # the benchmark's exports (random_export_table) are read as the slow reference reads them
    export = random_export_table(3000, seed, days=3)
    assert export.num_rows == 3000
    expected = reference_path_table(export.to_pylist())
    for fmt in ("json", "parquet"):
        paths = write_export_table(export, tmp_path / fmt, fmt=fmt, chunk=700)
        assert len(paths) == 4  # 3 days, and sessions across the last midnight
        j, report = read_ga4_export(tmp_path / fmt, return_report=True)
        same_table(table(j), expected)
        assert report.n_rows == 3000 and report.duplicate_transactions > 0
        assert min(report.session_sources.values()) > 0


def test_text_is_stripped_as_python_strips_it(tmp_path):
    # Unicode spaces around a source, (not set) as an id: as str.strip and the docs say
    rows = [
        event(
            T0,
            "session_start",
            "u",
            1,
            collected_traffic_source={
                "manual_source": "\u3000google\xa0",
                "manual_medium": "\x1ccpc\u2003",
            },
        ),
        event(T0 + S, "page_view", "(not set)", 2),
    ]
    j, report = read_ga4_export(write_json(rows, tmp_path / "e.json"), return_report=True)
    assert j.path_strings().tolist() == ["Paid Search"]
    assert report.n_sessions == 1 and report.events_without_session == 1


def test_touches_at_the_same_time_are_ordered_by_session_key(tmp_path):
    # two sessions of one person at the same microsecond: ordered by the text
    # user_pseudo_id.ga_session_id, so "u.10" before "u.9"
    google = {"manual_source": "google", "manual_medium": "cpc"}
    email = [param("source", string="news"), param("medium", string="email")]
    rows = [
        event(T0, "session_start", "u", 9, collected_traffic_source=google),
        event(T0, "session_start", "u", 10, params=email),
        event(T0 + 10 * S, "purchase", "u", 9, ecommerce={"purchase_revenue": 3.0}),
    ]
    j = read_ga4_export(write_json(rows, tmp_path / "e.json"))
    assert j.path_strings().tolist() == ["Email > Paid Search"]


def test_a_user_id_equal_to_another_persons_pseudo_id(tmp_path):
    # labels would collide: persons are then numbered in order of their first row
    rows = [
        event(T0, "session_start", "a", 1, user_id="b"),
        event(T0 + S, "session_start", "b", 2),
        event(T0 + 2 * S, "session_start", "c", 3, user_id="b"),
    ]
    j = read_ga4_export(write_json(rows, tmp_path / "e.json"))
    assert sorted(j.contact) == ["person 0", "person 1"]
    assert sorted(j.lengths.tolist()) == [1, 2]


def test_session_ids_pandas_reads_alike_are_one_session(tmp_path):
    # "+12" is no plain integer for pyarrow: read as pandas reads it, the session is 12
    rows = [
        event(T0, "session_start", "u", 12),
        {
            "event_timestamp": T0 + S,
            "event_name": "page_view",
            "user_pseudo_id": "u",
            "event_params": [{"key": "ga_session_id", "value": {"string_value": "+12"}}],
        },
    ]
    report = read_ga4_export(write_json(rows, tmp_path / "e.json"), return_report=True)[1]
    assert report.n_sessions == 1 and report.events_without_session == 0
    rows[1]["event_params"][0]["value"] = {"string_value": "twelve"}
    with pytest.raises(ValueError, match=r"row 1 \(line 2\): event_params ga_session_id 'twelve'"):
        read_ga4_export(write_json(rows, tmp_path / "f.json"))


# ---------------------------------------------------------------------- bad input
def test_not_a_ga4_export(tmp_path):
    path = write_json([{"a": 1, "b": 2}], tmp_path / "other.json")
    with pytest.raises(
        ValueError,
        match=r"other\.json: not a GA4 BigQuery export: no column "
        r"'event_timestamp' \(its columns: a, b\)",
    ):
        read_ga4_export(path)
    csv = tmp_path / "events.csv"
    csv.write_text("a,b\n1,2\n")
    with pytest.raises(ValueError, match=r"events\.csv: give GA4 export files as newline"):
        read_ga4_export(csv)
    bad = tmp_path / "broken.json"
    bad.write_text("{not json\n")
    with pytest.raises(ValueError, match=r"broken\.json: not newline-delimited JSON"):
        read_ga4_export(bad)


def test_missing_event_timestamp(tmp_path):
    rows = [{"event_name": "page_view", "user_pseudo_id": "a", "event_params": []}]
    with pytest.raises(
        ValueError,
        match=r"e\.json: not a GA4 BigQuery export: no column "
        r"'event_timestamp'",
    ):
        read_ga4_export(write_json(rows, tmp_path / "e.json"))
    rows = [event(T0, "page_view", "a", 1), event(T0, "page_view", "a", 1)]
    rows[1]["event_timestamp"] = None
    with pytest.raises(ValueError, match=r"f\.json: row 1 \(line 2\): event_timestamp missing"):
        read_ga4_export(write_json(rows, tmp_path / "f.json"))


def test_empty_glob_and_missing_file(tmp_path):
    with pytest.raises(ValueError, match=r"events_\*\.json: no file matches"):
        read_ga4_export(str(tmp_path / "events_*.json"))
    with pytest.raises(FileNotFoundError, match=r"nope\.json: no such file"):
        read_ga4_export(tmp_path / "nope.json")
    (tmp_path / "empty.json").write_text("\n")
    with pytest.raises(ValueError, match=r"empty\.json: no events"):
        read_ga4_export(tmp_path / "empty.json")


def test_negative_revenue_names_the_row(tmp_path):
    rows = tiny_rows()
    rows[1]["ecommerce"]["purchase_revenue"] = -4.0
    with pytest.raises(ValueError, match=r"e\.json: row 1 \(line 2\): negative ecommerce"):
        read_ga4_export(write_json(rows, tmp_path / "e.json"))


# ---------------------------------------------------------------------- the command
def test_cli_writes_the_path_table(tmp_path, capsys):
    path = write_json(tiny_rows(), tmp_path / "events_20240301.json")
    out = tmp_path / "out" / "paths.csv"
    assert main(["ga4", str(path), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "ga4: 9 events in 1 file(s) -> 5 sessions, 3 conversions" in printed
    assert "duplicate transactions 1" in printed
    written = pd.read_csv(out)
    same_table(written, table(read_ga4_export(path)))


@pytest.mark.parametrize(
    "args, message",
    [
        (["{d}/events_*.json"], "events_*.json: no file matches"),
        (["{d}/other.json"], "other.json: not a GA4 BigQuery export: no column 'event_timestamp'"),
        (["{d}/ts.json"], "ts.json: row 0 (line 1): event_timestamp missing"),
        (["{d}/ok.json", "--sources", "utm"], "sources must be distinct names"),
        (["{d}/ok.json", "--memory-limit", "1GB"], "--memory-limit acts only with --engine duckdb"),
    ],
)
def test_cli_bad_input_is_one_line_and_exit_2(tmp_path, capsys, args, message):
    write_json([{"a": 1}], tmp_path / "other.json")
    write_json(
        [{"event_name": "x", "user_pseudo_id": "a", "event_timestamp": None}], tmp_path / "ts.json"
    )
    write_json(tiny_rows(), tmp_path / "ok.json")
    argv = ["ga4", *[a.format(d=tmp_path) for a in args], "--out", str(tmp_path / "p.csv")]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err, err
    assert "Traceback" not in err
