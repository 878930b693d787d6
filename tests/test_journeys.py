"""Journeys: the path-string parser against its slow reference, path tables with bad rows
named by file, row, line and column, the arrays' checks, aggregation, and counts too large
for exact sums."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from attribution_lab import Journeys, get_model
from attribution_lab.journeys import split_path_strings, split_path_strings_reference


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(
        st.lists(
            st.sampled_from(["a", "Paid Search", "β-display", "x" * 20, "NA", "e m"]),
            min_size=1,
            max_size=6,
        ),
        min_size=1,
        max_size=20,
    ),
    sep=st.sampled_from([">", " > ", "->", "|"]),
    pad=st.sampled_from(["", " ", "  "]),
    dedup=st.sampled_from([0.0, 1.0]),
    threads=st.sampled_from([1, 2, 3]),
)
def test_fast_parser_equals_reference(rows, sep, pad, dedup, threads):
    paths = [sep.join(pad + t + pad for t in r) for r in rows]
    # dedup forces either branch: split distinct rows then expand, or split every row;
    # threads > 1 splits even these few rows in that many slices, one thread each
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("attribution_lab.journeys._DEDUP_RATIO", dedup)
        mp.setattr("attribution_lab.journeys._PARALLEL_MIN_ROWS", 1)
        mp.setattr("attribution_lab.journeys.os.cpu_count", lambda: threads)
        fast = split_path_strings(paths, sep.strip() if sep.strip() != sep else sep)
    slow = split_path_strings_reference(paths, sep.strip() if sep.strip() != sep else sep)
    assert fast[2] == slow[2]
    np.testing.assert_array_equal(fast[0], slow[0])
    np.testing.assert_array_equal(fast[1], slow[1])
    assert fast[2] == sorted({t for r in rows for t in r})


def _csv(tmp_path, text, name="paths.csv"):
    p = tmp_path / name
    p.write_text(text)
    return str(p)


HEAD = "path;total_conversions;total_conversion_value;total_null\n"


@pytest.mark.parametrize(
    ("body", "fragments"),
    [
        ("A>B;1;2;0\n;1;0;0\n", ["row 1 (line 3)", "'path'", "empty path"]),
        ("A>B;1;2;0\nA > > B;1;0;0\n", ["row 1 (line 3)", "empty channel name"]),
        ("A>B;1;2;0\nA>;1;0;0\n", ["line 3", "empty channel name"]),
        ("A;1;2;0\nB;;0;1\n", ["line 3", "'total_conversions'", "missing value"]),
        ("A;1;2;0\nB;-1;0;1\n", ["line 3", "'total_conversions'", "negative"]),
        ("A;1;2;0\nB;abc;0;1\n", ["line 3", "'total_conversions'", "not a number"]),
        ("A;1;2;0\nB;1;0;nan\n", ["line 3", "'total_null'", "not a number"]),
        ("A;1;2;0\nB;1;0;inf\n", ["line 3", "'total_null'", "not finite"]),
        ("A;1;2;0\nB;0;0;0\n", ["line 3", "both are 0"]),
        ("A;1;2;0\nB;0;5;1\n", ["line 3", "'total_conversion_value'", "without conversions"]),
    ],
)
def test_bad_path_table_rows_name_file_row_line_and_column(tmp_path, body, fragments):
    path = _csv(tmp_path, HEAD + body)
    with pytest.raises(ValueError) as err:
        Journeys.from_path_table(path)
    msg = str(err.value)
    assert "paths.csv" in msg
    for frag in fragments:
        assert frag in msg


@pytest.mark.parametrize(
    "missing", ["path", "total_conversions", "total_null", "total_conversion_value"]
)
def test_missing_column(missing):
    cols = ["path", "total_conversions", "total_conversion_value", "total_null"]
    frame = pd.DataFrame([["A", 1, 1.0, 0]], columns=cols).drop(columns=missing)
    with pytest.raises(ValueError, match=f"missing .*column '{missing}'"):
        Journeys.from_path_table(frame)


def test_comma_csv_gzip_and_optional_columns(tmp_path):
    import gzip

    text = "p,conv,n\nA > B,1,1\nB,2,0\n"
    plain = _csv(tmp_path, text)
    gz = tmp_path / "paths.csv.gz"
    with gzip.open(gz, "wt") as fh:
        fh.write(text)
    for src in (plain, str(gz)):
        j = Journeys.from_path_table(src, path="p", conversions="conv", nulls="n", value=None)
        assert j.n_conversions == 3 and j.n_nulls == 1 and j.total_value == 0
        assert j.channel_names == ("A", "B")


def test_invalid_journeys_arrays():
    with pytest.raises(ValueError, match="journey 1: touch times are not in time order"):
        Journeys([0, 1, 0, 1], [0, 2, 4], ["a", "b"], [1, 1], times=[0, 1, 5, 4])
    with pytest.raises(ValueError, match="journey 0: end_time is before the last touch"):
        Journeys([0, 1], [0, 2], ["a", "b"], [1], times=[0, 3], end_time=[2])
    with pytest.raises(ValueError, match="journey 1: empty journey"):
        Journeys([0, 1], [0, 2, 2], ["a", "b"], [1, 1])
    with pytest.raises(ValueError, match=r"journey 0.*'conversions'.*not finite"):
        Journeys([0], [0, 1], ["a"], [np.nan])
    with pytest.raises(ValueError, match=r"channels\[1\] = 2 is not a code in range\(2\)"):
        Journeys([0, 2], [0, 2], ["a", "b"], [1])


def test_journeys_neither_freeze_nor_alias_the_callers_arrays():
    channels, offsets = np.array([0, 1, 1], np.int32), np.array([0, 2, 3])
    conv, nulls, value = np.array([1.0, 0.0]), np.array([1.0, 2.0]), np.array([4.0, 0.0])
    j = Journeys(channels, offsets, ["a", "b"], conv, nulls, value)
    for mine in (channels, offsets, conv, nulls, value):
        assert mine.flags.writeable
        mine[0] = 1
    assert j.channels.tolist() == [0, 1, 1] and j.offsets.tolist() == [0, 2, 3]
    assert (j.conversions.tolist(), j.nulls.tolist(), j.value.tolist()) == (
        [1, 0],
        [1, 2],
        [4, 0],
    )
    with pytest.raises(ValueError, match="read-only"):
        j.conversions[0] = 2
    # arrays already frozen (another Journeys', or a parser's own) are shared, not copied
    again = Journeys(j.channels, j.offsets, ["a", "b"], j.conversions, j.nulls)
    assert again.channels is j.channels and again.conversions is j.conversions


def test_parser_in_threads_names_the_row_of_an_empty_channel():
    paths = ["a > b", "c", "a > c", "b >  > a", "c > c"]
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("attribution_lab.journeys._PARALLEL_MIN_ROWS", 1)
        mp.setattr("attribution_lab.journeys.os.cpu_count", lambda: 3)
        with pytest.raises(ValueError, match=r"journey 3, column 'path': empty channel name"):
            split_path_strings(paths)


def test_aggregate_falls_back_to_exact_grouping_on_a_hash_collision(monkeypatch):
    j = Journeys.from_paths(
        ["a > b", "b", "a>b", "b > a", "b"], conversions=[1, 0, 2, 1, 0], nulls=[0, 1, 1, 0, 2]
    )
    expected = j.aggregate().to_path_table()
    assert expected.path.tolist() == ["a > b", "b", "b > a"]
    # every key equal: the touch-by-touch check must catch it and group exactly
    monkeypatch.setattr(
        pd, "factorize", lambda key: (np.zeros(len(key), np.int64), np.asarray(key)[:1])
    )
    got, inverse = j.aggregate(return_inverse=True)
    pd.testing.assert_frame_equal(got.to_path_table(), expected)
    assert inverse.tolist() == [0, 1, 0, 2, 1]


# ----------------------------------------------------------------------------- counts
def test_counts_too_large_for_exact_sums_are_refused():
    # before: conversions of 1e300 gave shares of -0.25 and 1.25 with no error
    with pytest.raises(ValueError, match=r"journey 1, column 'conversions': 1e\+300 is too large"):
        Journeys.from_paths(["A", "B"], conversions=[1, 1e300])
    with pytest.raises(ValueError, match=r"column 'nulls': the total 1\.2e\+16 is too large"):
        Journeys.from_paths(["A", "B"], conversions=[1, 1], nulls=[6e15, 6e15])
    with pytest.raises(ValueError, match=r"column 'value'.* too large"):
        Journeys.from_paths(["A", "B"], conversions=[1, 1], values=[1e308, 1e308])
    # 2**53 customers are still exact
    j = Journeys.from_paths(["A", "B"], conversions=[2.0**52, 2.0**52])
    assert get_model("linear").fit_attribute(j).share.tolist() == [0.5, 0.5]


def test_fractional_counts_of_a_path_table_are_weights_with_one_warning(tmp_path):
    from attribution_lab._validation import DataWarning

    f = tmp_path / "paths.csv"
    f.write_text("path,total_conversions,total_null\nA > B,2.5,1\nB,1,0.5\nA,3,1\n")
    with pytest.warns(DataWarning) as caught:
        j = Journeys.from_path_table(f, value=None)
    messages = [str(w.message) for w in caught]
    assert len(messages) == 2  # one per column, not one per row
    assert re.search(
        r"paths\.csv: row 0 \(line 2\), column 'total_conversions': 2\.5 is not a "
        r"whole number; 1 fractional counts .* weights",
        messages[0],
    )
    assert "column 'total_null': 0.5" in messages[1]
    assert j.n_conversions == 6.5
