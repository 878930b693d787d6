"""The catalogue of bad and awkward inputs (issue 19): every case through the CLI and the API.

Each row of `CASES` builds its input files in a temporary folder, runs ``attribution-lab``
(`attribution_lab.cli.main`) on them and, where the input has a Python counterpart, the
Python API, and states the expected outcome as data:

- ``refused``: exit status 2 and exactly one stderr line ``attribution-lab: error: ...``
  (argparse's usage lines may precede it) matching `Case.message`, which names the file,
  row, line, column or flag and the reason; in Python a ValueError or TypeError matching it.
- ``warned``: exit 0, a documented answer and exactly one clean stderr line (no raw
  ``UserWarning:`` format, no source path); in Python a warning of `Case.py_warns`.
- ``ok``: exit 0, nothing on stderr and a documented answer (credit sums to the
  conversions, the hand-computed numbers).

Whatever the case, never a traceback, never exit 1, never a NaN or Infinity in the output.
Expected outcomes are what a demanding user expects (issue 19), not what the code does
today; a case the code does not meet yet is a strict xfail whose reason starts with the
module that looks responsible and says what happens now, so it flips to a failure (and is
promoted) once fixed. ``python tests/test_bad_input.py`` prints the counts per outcome
class and the xfails per module.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import re
import sys
import traceback
import warnings
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from attribution_lab import Journeys, get_model
from attribution_lab.cli import main
from attribution_lab.roi import read_costs, roi

Content = str | bytes | Callable[[], str | bytes]

OUTCOMES = ("refused", "warned", "ok")


@dataclass(frozen=True)
class Case:
    """One input and what must come of it; see the module docstring."""

    id: str
    #: files written into the (current) temporary folder before the run: name -> content
    files: Mapping[str, Content]
    argv: tuple[str, ...]
    outcome: str
    #: regex searched in the error / warning line (refused, warned)
    message: str = ""
    #: ok / warned: checks the CLI's stdout (the temporary folder is the working folder)
    check: Callable[[str], None] | None = None
    #: the Python counterpart: a call run in the temporary folder, or None
    python: Callable[[], Any] | None = None
    #: regex for the Python error / warning; default `message`
    py_match: str | None = None
    #: ok / warned: checks what `python` returned
    py_check: Callable[[Any], None] | None = None
    py_raises: tuple[type[BaseException], ...] = (ValueError, TypeError)
    py_warns: type[Warning] = UserWarning
    #: "<module>: what happens now" when the CLI does not meet the expectation yet
    xfail: str = ""
    #: the same for the Python counterpart
    py_xfail: str = ""
    #: run the CLI this many times; the outputs must be identical (determinism)
    runs: int = 1
    #: the Python answer holds NaN where it is documented as undefined (py_check says where)
    py_nan: bool = False


# ---------------------------------------------------------------------- inputs
PT = "path,total_conversions,total_conversion_value,total_null\n"
PT3 = "path,total_conversions,total_null\n"
#: linear credit A 1, B 2 (value A 10, B 15) of 3 conversions, value 25
ROWS = "A>B,2,20,1\nB,1,5,3\nA,0,0,2\n"
ROWS3 = "A>B,2,1\nB,1,3\nA,0,2\n"
LINEAR = {"A": 1.0, "B": 2.0}

EV = "user,time,channel,buy,revenue\n"
EV_ROWS = (
    "u1,2026-01-01,search,0,0\nu1,2026-01-03,email,0,0\nu1,2026-01-04,,1,90\n"
    "u2,2026-01-02,social,0,0\n"
)
EV_OUT = "paths_out.csv"
EV_FLAGS = ("--user", "user", "--channel", "channel", "--conversion", "buy", "--value", "revenue")
#: the path table of EV_ROWS: path -> (conversions, value, nulls)
EV_PATHS = {"search > email": (1.0, 90.0, 0.0), "social": (0.0, 0.0, 1.0)}

TOUCH = "journey,channel,time,converted,value,end_time\n"
TOUCH_ROWS = "1,A,0,1,10,5\n1,B,4,1,10,5\n2,B,1,0,0,6\n"
# time decay, half-life 7 days, conversion at day 5: A (day 0) weight 2^(-5/7), B 2^(-1/7)
_WA, _WB = 2 ** (-5 / 7), 2 ** (-1 / 7)
TIME_DECAY = {"A": _WA / (_WA + _WB), "B": _WB / (_WA + _WB)}

COSTS = "channel,cost\nA,10\nB,30\n"


def gz(text: str) -> bytes:
    return gzip.compress(text.encode())


def truncated_gz() -> bytes:
    raw = gz(PT + ROWS * 200)
    return raw[: len(raw) // 2]


def long_journey() -> str:
    """One converting journey of 10,000 touches over 10 channels, one non-converting."""
    path = ">".join(f"c{i % 10}" for i in range(10_000))
    return f"{PT3}{path},1,0\nc0>c1,0,1\n"


N_MANY = 1000


def many_channels() -> str:
    """1,000 channels, each on the path of two rows."""
    rows = "".join(f"ch{i}>ch{(7 * i + 1) % N_MANY},{i % 3},{1 + i % 2}\n" for i in range(N_MANY))
    return PT3 + rows


MANY_CONVERSIONS = float(sum(i % 3 for i in range(N_MANY)))


def shapley_10() -> str:
    """Ten channels: a sampled Shapley estimate with a budget below the 2^10 coalitions."""
    names = "ABCDEFGHIJ"
    rows = "".join(
        f"{names[i]}>{names[(i + 3) % 10]}>{names[(i + 7) % 10]},{1 + i % 3},{2 + i % 4}\n"
        for i in range(10)
    )
    return PT3 + rows


def hazard_touch_log() -> str:
    """400 journeys of the ``hazard`` scenario as ``attribution-lab simulate`` writes them."""
    from attribution_lab.simulate import simulate

    return simulate("hazard", 400, random_state=0).touch_frame().to_csv(index=False)


def mediation_split(out: str) -> None:
    """Check of a point-process JSON: every channel's removal effect is its direct plus its
    mediated effect, and the credit sums to the conversions."""
    doc = _strict_json(out)
    credit(None)(out)
    for c in doc["channels"]:
        assert c["direct"] + c["mediated"] == pytest.approx(c["removal_effect"], rel=1e-12)
        assert c["ci_low"] <= c["conversions"] <= c["ci_high"]


# ---------------------------------------------------------------------- checks
def _strict_json(text: str) -> Any:
    """JSON as the standard has it: NaN and Infinity are not numbers there."""

    def refuse(token: str) -> Any:
        raise AssertionError(f"{token} in the JSON output")

    return json.loads(text, parse_constant=refuse)


def _credit_of_json(doc: Any) -> dict[str, float]:
    return {c["channel"]: c["conversions"] for c in doc["channels"]}


def credit(
    expected: Mapping[str, float] | None = None,
    total: float | None = None,
    *,
    shares_in_0_1: bool = True,
    **keys: Any,
):
    """Check of an ``attribute --format json`` output: credit per channel, sum = total.

    `keys` are further top-level JSON entries and their values (e.g. ``seed=0``).
    """

    def check(out: str) -> None:
        doc = _strict_json(out)
        got = _credit_of_json(doc)
        if expected is not None:
            assert got == pytest.approx(dict(expected), rel=1e-9, abs=1e-12)
        assert sum(got.values()) == pytest.approx(doc["total_conversions"], rel=1e-9)
        if total is not None:
            assert doc["total_conversions"] == pytest.approx(total)
        for key, value in keys.items():
            assert doc.get(key) == value, f"JSON {key!r}: {doc.get(key)!r}, expected {value!r}"
        if shares_in_0_1:
            assert all(0 <= c["share"] <= 1 for c in doc["channels"])

    return check


def py_credit(expected: Mapping[str, float] | None = None, total: float | None = None):
    """Check of an AttributionResult: credit per channel, sum = total conversions."""

    def check(result: Any) -> None:
        frame = result.to_frame()
        got = frame["conversions"].to_dict()
        if expected is not None:
            assert got == pytest.approx(dict(expected), rel=1e-9, abs=1e-12)
        assert sum(got.values()) == pytest.approx(result.total_conversions, rel=1e-9)
        if total is not None:
            assert result.total_conversions == pytest.approx(total)
        assert not frame.select_dtypes("number").isna().any().any()
        assert ((frame["share"] >= 0) & (frame["share"] <= 1)).all()

    return check


def stdout_says(*patterns: str):
    def check(out: str) -> None:
        for p in patterns:
            assert re.search(p, out), f"stdout does not match {p!r}:\n{out}"

    return check


def wrote_paths(expected: Mapping[str, tuple[float, float, float]], out: str = EV_OUT, *also):
    """Check of ``events``: the path table written (path -> conversions, value, nulls)."""

    def check(stdout: str) -> None:
        table = pd.read_csv(out)
        got = {
            r.path: (r.total_conversions, r.total_conversion_value, r.total_null)
            for r in table.itertuples()
        }
        assert got == dict(expected)
        stdout_says(*also)(stdout)

    return check


def py_paths(expected: Mapping[str, tuple[float, float, float]], *report: str):
    """Check of ``Journeys.from_events(..., return_report=True)``."""

    def check(built: Any) -> None:
        journeys, rep = built
        table = journeys.to_path_table()
        got = {
            r.path: (r.total_conversions, r.total_conversion_value, r.total_null)
            for r in table.itertuples()
        }
        assert got == dict(expected)
        for p in report:
            assert re.search(p, str(rep)), f"report does not match {p!r}: {rep}"

    return check


def costs_check(per_conversion: Mapping[str, float | None]):
    """Check of ``attribute --costs --format json``: cost per conversion by channel."""

    def check(out: str) -> None:
        doc = _strict_json(out)
        got = {r["channel"]: r["cost_per_conversion"] for r in doc["returns"]}
        assert got == pytest.approx(dict(per_conversion))

    return check


def same_twice(call: Callable[[], Any]) -> Callable[[], Any]:
    """A Python call whose result must repeat exactly (returns the first)."""

    def twice() -> Any:
        a, b = call(), call()
        pd.testing.assert_frame_equal(a.to_frame(), b.to_frame())
        return a

    return twice


# ---------------------------------------------------------------------- API counterparts
def api_attr(file: str, model: str = "linear", table: Mapping[str, Any] | None = None, **params):
    def call() -> Any:
        journeys = Journeys.from_path_table(file, **dict(table or {}))
        return get_model(model, **params).fit(journeys).attribute()

    return call


def api_touches(file: str, model: str, **params: Any):
    """`model` fitted on a touch CSV as ``attribute --events`` reads it."""

    def call() -> Any:
        from attribution_lab.readers import read_touch_table

        return get_model(model, **params).fit(read_touch_table(file)).attribute()

    return call


def attr_touches(file: str, model: str, *extra: str) -> tuple[str, ...]:
    return ("attribute", file, "--events", "--model", model, "--format", "json", *extra)


def api_table(file: str, **kw: Any):
    return lambda: Journeys.from_path_table(file, **kw)


def api_events(file: str, **kw: Any):
    options = {
        "user": "user",
        "time": "time",
        "channel": "channel",
        "conversion": "buy",
        "value": "revenue",
    }
    options.update(kw)

    def call() -> Any:
        frame = pd.read_csv(file)
        return Journeys.from_events(frame, return_report=True, **options)

    return call


def api_roi(costs_file: str, table: str = "t.csv"):
    def call() -> Any:
        journeys = Journeys.from_path_table(table)
        return roi(get_model("linear").fit(journeys).attribute(), read_costs(costs_file))

    return call


def attr(file: str, model: str = "linear", *extra: str, fmt: str = "json") -> tuple[str, ...]:
    return ("attribute", file, "--model", model, "--format", fmt, *extra)


def events(file: str, *extra: str, flags: tuple[str, ...] = EV_FLAGS) -> tuple[str, ...]:
    return ("events", file, *flags, "--out", EV_OUT, *extra)


# ---------------------------------------------------------------------- the catalogue
# Regexes name what the message must name. Python messages may differ where the CLI says
# a flag (--delimiter) and Python a keyword (delimiter=): then py_match.

CASES: list[Case] = [
    # --- path tables: empty, header only, columns ---------------------------------
    Case(
        "table-empty-file",
        {"t.csv": ""},
        attr("t.csv"),
        "refused",
        r"t\.csv: .*\b(empty|no header|no rows)",
        python=api_table("t.csv"),
    ),
    Case(
        "table-header-only",
        {"t.csv": PT},
        attr("t.csv"),
        "refused",
        r"t\.csv: .*\b(no rows|no paths|no journeys|empty)",
        python=api_table("t.csv"),
    ),
    Case(
        "table-missing-path-column",
        {"t.csv": "total_conversions,total_conversion_value,total_null\n2,20,1\n"},
        attr("t.csv"),
        "refused",
        r"t\.csv: .*path column 'path'",
        python=api_table("t.csv"),
    ),
    Case(
        "table-missing-conversions-column",
        {"t.csv": "path,total_conversion_value,total_null\nA>B,20,1\n"},
        attr("t.csv"),
        "refused",
        r"t\.csv: .*conversions column 'total_conversions'",
        python=api_table("t.csv"),
    ),
    Case(
        "table-missing-nulls-column",
        {"t.csv": "path,total_conversions,total_conversion_value\nA>B,2,20\n"},
        attr("t.csv"),
        "refused",
        r"t\.csv: .*'total_null'.*--nulls-col ''",
        python=api_table("t.csv"),
        py_match=r"t\.csv: .*'total_null'.*nulls=None",
    ),
    Case(
        "table-missing-value-column",
        {"t.csv": PT3 + ROWS3},
        attr("t.csv"),
        "refused",
        r"t\.csv: .*'total_conversion_value'.*--value-col ''",
        python=api_table("t.csv"),
        py_match=r"t\.csv: .*'total_conversion_value'.*value=None",
    ),
    Case(
        "table-path-col-flag-wrong-case",
        {"t.csv": PT + ROWS},
        attr("t.csv", "linear", "--path-col", "Path"),
        "refused",
        r"t\.csv: .*'Path'",
        python=api_table("t.csv", path="Path"),
    ),
    Case(
        "table-no-columns-at-all",
        {"t.csv": "A>B\nB\n"},
        attr("t.csv"),
        "refused",
        r"t\.csv: .*(delimiter|column)",
        python=api_table("t.csv"),
    ),
    # --- delimiters ----------------------------------------------------------------
    Case(
        "table-semicolon",
        {"t.csv": (PT + ROWS).replace(",", ";")},
        attr("t.csv"),
        "ok",
        check=credit(LINEAR, total=3),
        python=api_attr("t.csv"),
        py_check=py_credit(LINEAR, total=3),
    ),
    Case(
        "table-tab",
        {"t.tsv": (PT + ROWS).replace(",", "\t")},
        attr("t.tsv"),
        "ok",
        check=credit(LINEAR, total=3),
        python=api_attr("t.tsv"),
        py_check=py_credit(LINEAR, total=3),
    ),
    Case(
        "table-pipe",
        {"t.csv": (PT + ROWS).replace(",", "|")},
        attr("t.csv"),
        "ok",
        check=credit(LINEAR, total=3),
        python=api_attr("t.csv"),
        py_check=py_credit(LINEAR, total=3),
    ),
    Case(
        "table-ambiguous-delimiter",
        {"t.csv": "path;total_conversions,total_conversion_value;total_null,x\nA>B;2,20;1,x\n"},
        attr("t.csv"),
        "refused",
        r"t\.csv: .*'total_conversions'",
        python=api_table("t.csv"),
    ),
    Case(
        "table-wrong-delimiter-flag",
        {"t.csv": PT + ROWS},
        attr("t.csv", "linear", "--delimiter", ";"),
        "refused",
        r"t\.csv: .*--delimiter",
        python=api_table("t.csv", delimiter=";"),
        py_match=r"t\.csv: .*delimiter",
    ),
    Case(
        "table-repeated-header-line",
        {"t.csv": PT + ROWS + PT + ROWS},
        attr("t.csv"),
        "refused",
        r"t\.csv: row 3 \(line 5\), column 'total_conversions': 'total_conversions' is not a",
        python=api_table("t.csv"),
    ),
    # --- channel names ---------------------------------------------------------------
    Case(
        "table-empty-channel-name",
        {"t.csv": PT3 + "A>>B,2,1\n"},
        attr("t.csv", "linear", "--value-col", ""),
        "refused",
        r"t\.csv: row 0 \(line 2\), column 'path': empty channel name",
        python=api_table("t.csv", value=None),
    ),
    Case(
        "table-trailing-separator",
        {"t.csv": PT3 + "A > B >,2,1\n"},
        attr("t.csv", "linear", "--value-col", ""),
        "refused",
        r"t\.csv: row 0 \(line 2\), column 'path': empty channel name",
        python=api_table("t.csv", value=None),
    ),
    Case(
        "table-empty-path",
        {"t.csv": PT3 + ",2,1\nB,1,3\n"},
        attr("t.csv", "linear", "--value-col", ""),
        "refused",
        r"t\.csv: row 0 \(line 2\), column 'path': empty path",
        python=api_table("t.csv", value=None),
    ),
    Case(
        "table-spaces-around-names",
        {"t.csv": PT + " A > B ,2,20,1\nB ,1,5,3\n"},
        attr("t.csv"),
        "ok",
        check=credit(LINEAR, total=3),
        python=api_attr("t.csv"),
        py_check=py_credit(LINEAR, total=3),
    ),
    Case(
        "table-unicode-and-quoted-names",
        {"t.csv": PT3 + '"Café > 検索 > ""quoted""",2,1\nCafé,1,0\n'},
        attr("t.csv", "linear", "--value-col", ""),
        "ok",
        check=credit({"Café": 5 / 3, "検索": 2 / 3, '"quoted"': 2 / 3}, total=3),
        python=api_attr("t.csv", table={"value": None}),
        py_check=py_credit({"Café": 5 / 3, "検索": 2 / 3, '"quoted"': 2 / 3}),
    ),
    Case(
        "table-delimiters-inside-quoted-names",
        {"t.csv": PT3 + '"a,b > c;d",2,1\n'},
        attr("t.csv", "linear", "--value-col", ""),
        "ok",
        check=credit({"a,b": 1.0, "c;d": 1.0}, total=2),
        python=api_attr("t.csv", table={"value": None}),
        py_check=py_credit({"a,b": 1.0, "c;d": 1.0}),
    ),
    Case(
        "table-path-separator-inside-names",
        {"t.csv": PT3 + "x>y|z,2,1\nz,1,0\n"},
        attr("t.csv", "linear", "--value-col", "", "--sep", "|"),
        "ok",
        check=credit({"x>y": 1.0, "z": 2.0}, total=3),
        python=api_attr("t.csv", table={"value": None, "sep": "|"}),
        py_check=py_credit({"x>y": 1.0, "z": 2.0}),
    ),
    Case(
        "table-utf8-bom-and-crlf",
        {"t.csv": ("\ufeff" + PT + ROWS).replace("\n", "\r\n")},
        attr("t.csv"),
        "ok",
        check=credit(LINEAR, total=3),
        python=api_attr("t.csv"),
        py_check=py_credit(LINEAR, total=3),
    ),
    Case(
        "table-latin1-bytes",
        {"t.csv": (PT3 + "Caf\xe9>B,2,1\n").encode("latin-1")},
        attr("t.csv", "linear", "--value-col", ""),
        "refused",
        r"t\.csv: .*(utf-8|UTF-8|encoding|decode)",
        python=api_table("t.csv", value=None),
    ),
    Case(
        "table-empty-separator-flag",
        {"t.csv": PT + ROWS},
        attr("t.csv", "linear", "--sep", ""),
        "refused",
        r"--sep",
        python=api_table("t.csv", sep=""),
        py_match=r"sep",
    ),
    # --- counts ----------------------------------------------------------------------
    Case(
        "count-missing",
        {"t.csv": PT3 + "A>B,,1\n"},
        attr("t.csv", "linear", "--value-col", ""),
        "refused",
        r"t\.csv: row 0 \(line 2\), column 'total_conversions': missing",
        python=api_table("t.csv", value=None),
    ),
    Case(
        "count-nan-text",
        {"t.csv": PT3 + "A>B,nan,1\n"},
        attr("t.csv", "linear", "--value-col", ""),
        "refused",
        r"t\.csv: row 0 \(line 2\), column 'total_conversions': 'nan' is not a number",
        python=api_table("t.csv", value=None),
    ),
    Case(
        "count-not-a-number",
        {"t.csv": PT3 + "A>B,1,0\nB,two,1\n"},
        attr("t.csv", "linear", "--value-col", ""),
        "refused",
        r"t\.csv: row 1 \(line 3\), column 'total_conversions': 'two' is not a number",
        python=api_table("t.csv", value=None),
    ),
    Case(
        "count-infinite",
        {"t.csv": PT3 + "A>B,inf,1\n"},
        attr("t.csv", "linear", "--value-col", ""),
        "refused",
        r"t\.csv: row 0 \(line 2\), column 'total_conversions': .*\b(not finite|infinite)",
        python=api_table("t.csv", value=None),
    ),
    Case(
        "count-negative",
        {"t.csv": PT3 + "A>B,-1,1\n"},
        attr("t.csv", "linear", "--value-col", ""),
        "refused",
        r"t\.csv: row 0 \(line 2\), column 'total_conversions': negative value -1\b",
        python=api_table("t.csv", value=None),
    ),
    Case(
        "count-negative-nulls",
        {"t.csv": PT3 + "A>B,1,0\nB,1,-3\n"},
        attr("t.csv", "linear", "--value-col", ""),
        "refused",
        r"t\.csv: row 1 \(line 3\), column 'total_null': negative value -3\b",
        python=api_table("t.csv", value=None),
    ),
    Case(
        "count-fractional",
        {"t.csv": PT3 + "A>B,2.5,1\nB,1,0\n"},
        attr("t.csv", "linear", "--value-col", ""),
        "warned",
        r"t\.csv: .*total_conversions.*(fraction|non-integer|not whole|weights)",
        check=credit({"A": 1.25, "B": 2.25}, total=3.5),
        python=api_attr("t.csv", table={"value": None}),
        py_check=py_credit({"A": 1.25, "B": 2.25}),
    ),
    Case(
        "count-huge-1e300",
        {"t.csv": PT3 + "A>B,1e300,1\nB,1e300,0\nA,0,1e300\n"},
        attr("t.csv", "linear", "--value-col", ""),
        "refused",
        r"t\.csv: row 0 \(line 2\), column 'total_conversions': .*(large|overflow)",
        python=api_table("t.csv", value=None),
    ),
    Case(
        "count-huge-1e300-shapley",
        {"t.csv": PT3 + "A>B,1e300,1\nB,1e300,0\nA,0,1e300\n"},
        attr("t.csv", "shapley", "--value-col", ""),
        "refused",
        r"t\.csv: row 0 \(line 2\), column 'total_conversions': .*(large|overflow)",
        python=api_attr("t.csv", "shapley", table={"value": None}),
    ),
    Case(
        "count-both-zero",
        {"t.csv": PT3 + "A>B,0,0\nB,1,3\n"},
        attr("t.csv", "linear", "--value-col", ""),
        "refused",
        r"t\.csv: row 0 \(line 2\), columns 'total_conversions' and 'total_null': both are 0",
        python=api_table("t.csv", value=None),
    ),
    Case(
        "value-without-conversions",
        {"t.csv": PT + "A>B,0,5,1\nB,1,5,0\n"},
        attr("t.csv"),
        "refused",
        r"t\.csv: row 0 \(line 2\), column 'total_conversion_value': value 5(\.0)? without",
        python=api_table("t.csv"),
    ),
    Case(
        "value-negative",
        {"t.csv": PT + "A>B,1,-5,1\n"},
        attr("t.csv"),
        "refused",
        r"t\.csv: row 0 \(line 2\), column 'total_conversion_value': negative value -5\b",
        python=api_table("t.csv"),
    ),
    # --- shapes: duplicates, one channel, one journey, no conversions, ... ---------
    Case(
        "duplicate-rows-json",
        {"t.csv": PT3 + "A>B,2,1\nA>B,2,1\nB,1,0\n"},
        attr("t.csv", "linear", "--value-col", ""),
        "ok",
        check=credit({"A": 2.0, "B": 3.0}, total=5),
        python=api_attr("t.csv", table={"value": None}),
        py_check=py_credit({"A": 2.0, "B": 3.0}),
    ),
    Case(
        "duplicate-rows-header-counts",
        {"t.csv": PT3 + "A>B,2,1\nA>B,2,1\nB,1,0\n"},
        attr("t.csv", "linear", "--value-col", "", fmt="table"),
        "ok",
        check=stdout_says(
            r"3 rows",
            r"2 distinct paths",
            r"\b7 journeys",
            r"\b1 (path on 2 rows|duplicate|repeated)",
        ),
    ),
    Case(
        "example-header-counts",
        {},
        ("attribute", "example", "--model", "first_touch"),
        "ok",
        check=stdout_says(
            r"10,000 rows", r"5,408 distinct paths", r"88,387 journeys", r"\b643 paths? on"
        ),
    ),
    Case(
        "one-channel-markov",
        {"t.csv": PT3 + "A,3,1\nA>A,2,0\n"},
        attr("t.csv", "markov", "--value-col", ""),
        "ok",
        check=credit({"A": 5.0}, total=5),
        python=api_attr("t.csv", "markov", table={"value": None}),
        py_check=py_credit({"A": 5.0}),
    ),
    Case(
        "one-journey-linear",
        {"t.csv": PT3 + "A>B>C,1,0\n"},
        attr("t.csv", "linear", "--value-col", ""),
        "ok",
        check=credit({"A": 1 / 3, "B": 1 / 3, "C": 1 / 3}, total=1),
        python=api_attr("t.csv", table={"value": None}),
        py_check=py_credit({"A": 1 / 3, "B": 1 / 3, "C": 1 / 3}),
    ),
    Case(
        "one-journey-markov",
        {"t.csv": PT3 + "A>B>C,1,0\n"},
        attr("t.csv", "markov", "--value-col", ""),
        "warned",
        r"no non-converting",
        check=credit({"A": 1 / 3, "B": 1 / 3, "C": 1 / 3}, total=1),
        python=api_attr("t.csv", "markov", table={"value": None}),
        py_check=py_credit({"A": 1 / 3, "B": 1 / 3, "C": 1 / 3}),
    ),
    Case(
        "no-conversions-linear",
        {"t.csv": PT3 + "A>B,0,3\nB,0,2\n"},
        attr("t.csv", "linear", "--value-col", ""),
        "warned",
        r"no conversions",
        check=credit({"A": 0.0, "B": 0.0}, total=0),
        python=api_attr("t.csv", table={"value": None}),
        py_check=py_credit({"A": 0.0, "B": 0.0}),
    ),
    Case(
        "no-conversions-markov",
        {"t.csv": PT3 + "A>B,0,3\nB,0,2\n"},
        attr("t.csv", "markov", "--value-col", ""),
        "refused",
        r"no conversions",
        python=api_attr("t.csv", "markov", table={"value": None}),
    ),
    Case(
        "no-conversions-shapley",
        {"t.csv": PT3 + "A>B,0,3\nB,0,2\n"},
        attr("t.csv", "shapley", "--value-col", ""),
        "refused",
        r"no conversions|sum to .*0",
        python=api_attr("t.csv", "shapley", table={"value": None}),
    ),
    Case(
        "no-nonconverting-linear",
        {"t.csv": PT3 + "A>B,2,0\nB,1,0\n"},
        attr("t.csv", "linear", "--value-col", ""),
        "ok",
        check=credit(LINEAR, total=3),
        python=api_attr("t.csv", table={"value": None}),
        py_check=py_credit(LINEAR),
    ),
    Case(
        "no-nonconverting-markov",
        {"t.csv": "path,total_conversions\nA>B,2\nB,1\n"},
        attr("t.csv", "markov", "--value-col", "", "--nulls-col", ""),
        "warned",
        r"no non-converting",
        check=credit({"A": 1.2, "B": 1.8}, total=3),
        python=api_attr("t.csv", "markov", table={"value": None, "nulls": None}),
        py_check=py_credit({"A": 1.2, "B": 1.8}),
    ),
    Case(
        "shapley-negative-share-warns",
        {"t.csv": PT3 + "A>B,0,10\nB,5,1\nA,1,1\nA>B>C,2,0\nC,0,4\n"},
        attr("t.csv", "shapley", "--value-col", "", "--param", "game=counterfactual"),
        "warned",
        r"negative share.*\bA\b",
        check=credit(None, total=8, shares_in_0_1=False),
        python=api_attr("t.csv", "shapley", table={"value": None}, game="counterfactual"),
    ),
    # --- size: 10,000-touch journeys, 1,000 channels ------------------------------
    *(
        Case(
            f"long-journey-10000-touches-{model}",
            {"t.csv": long_journey},
            attr("t.csv", model, "--value-col", ""),
            "ok",
            check=credit(None, total=1),
            python=api_attr("t.csv", model, table={"value": None}),
            py_check=py_credit(None, total=1),
        )
        for model in ("linear", "position_based", "time_decay", "markov", "last_non_direct")
    ),
    Case(
        "long-journey-10000-touches-linear-exact",
        {"t.csv": long_journey},
        attr("t.csv", "linear", "--value-col", ""),
        "ok",
        check=credit({f"c{i}": 0.1 for i in range(10)}, total=1),
    ),
    *(
        Case(
            f"channels-1000-{model}",
            {"t.csv": many_channels},
            attr("t.csv", model, "--value-col", ""),
            "ok",
            check=credit(None, total=MANY_CONVERSIONS),
            python=api_attr("t.csv", model, table={"value": None}),
            py_check=py_credit(None, total=MANY_CONVERSIONS),
        )
        for model in ("linear", "first_touch", "position_based", "time_decay")
    ),
    Case(
        "channels-1000-shapley-set-rate",
        {"t.csv": many_channels},
        attr("t.csv", "shapley", "--value-col", "", "--param", "game=set_rate"),
        "refused",
        r"(2\^1000|1,?000 channels|at most \d+ channels)",
        python=api_attr("t.csv", "shapley", table={"value": None}, game="set_rate"),
    ),
    # --- files: gzip, binary, directories, missing ---------------------------------
    Case(
        "gzip-ok",
        {"t.csv.gz": gz(PT + ROWS)},
        attr("t.csv.gz"),
        "ok",
        check=credit(LINEAR, total=3),
        python=api_attr("t.csv.gz"),
        py_check=py_credit(LINEAR),
    ),
    Case(
        "gzip-truncated",
        {"t.csv.gz": truncated_gz},
        attr("t.csv.gz"),
        "refused",
        r"t\.csv\.gz: cannot parse",
        python=api_table("t.csv.gz"),
    ),
    Case(
        "gzip-not-gzip",
        {"t.csv.gz": PT + ROWS},
        attr("t.csv.gz"),
        "refused",
        r"t\.csv\.gz: not a gzip file",
        python=api_table("t.csv.gz"),
    ),
    Case(
        "binary-file",
        {"t.csv": bytes(range(256)) * 4},
        attr("t.csv"),
        "refused",
        r"t\.csv: cannot parse",
        python=api_table("t.csv"),
    ),
    Case(
        "binary-bytes-in-a-row",
        {"t.csv": PT3.encode() + b"\xff\xfe\x00A>B,1,0\n"},
        attr("t.csv", "linear", "--value-col", ""),
        "refused",
        r"t\.csv: cannot parse",
        python=api_table("t.csv", value=None),
    ),
    Case(
        "directory-as-input",
        {"d/t.csv": PT + ROWS},
        attr("d"),
        "refused",
        r"\bd: .*(directory|folder)",
        python=api_table("d"),
        py_match=r"\bd\b.*directory|directory.*\bd\b",
        py_raises=(ValueError, IsADirectoryError),
    ),
    Case(
        "missing-file",
        {},
        attr("nosuch.csv"),
        "refused",
        r"nosuch\.csv: no such file",
        python=api_table("nosuch.csv"),
        py_raises=(FileNotFoundError,),
    ),
    # --- models and parameters ------------------------------------------------------
    Case(
        "unknown-model",
        {"t.csv": PT + ROWS},
        attr("t.csv", "linaer"),
        "refused",
        r"unknown model 'linaer'",
        python=lambda: get_model("linaer"),
    ),
    Case(
        "unknown-parameter",
        {"t.csv": PT + ROWS},
        attr("t.csv", "linear", "--param", "half_life=3"),
        "refused",
        r"'linear' has no parameter 'half_life'",
        python=lambda: get_model("linear", half_life=3),
    ),
    Case(
        "param-without-equals",
        {"t.csv": PT + ROWS},
        attr("t.csv", "linear", "--param", "unique_channels"),
        "refused",
        r"--param 'unique_channels': expected key=value",
    ),
    Case(
        "param-bad-value",
        {"t.csv": PT + ROWS},
        attr("t.csv", "markov", "--param", "order=0"),
        "refused",
        r"order must be a positive integer, got 0",
        python=api_attr("t.csv", "markov", order=0),
    ),
    Case(
        "param-not-boolean",
        {"t.csv": PT + ROWS},
        attr("t.csv", "linear", "--param", "unique_channels=maybe"),
        "refused",
        r"unique_channels.*'maybe'",
        python=api_attr("t.csv", unique_channels="maybe"),
    ),
    Case(
        "time-decay-half-life-on-path-table",
        {"t.csv": PT + ROWS},
        attr("t.csv", "time_decay", "--param", "half_life=14"),
        "refused",
        r"half_life=14 cannot act.*no touch times.*position_half_life",
        python=api_attr("t.csv", "time_decay", half_life=14),
    ),
    Case(
        "time-decay-position-half-life-on-timed-touches",
        {"e.csv": TOUCH + TOUCH_ROWS},
        (
            "attribute",
            "e.csv",
            "--events",
            "--model",
            "time_decay",
            "--param",
            "position_half_life=2",
        ),
        "refused",
        r"position_half_life=2 cannot act.*--param use_times=false",
    ),
    Case(
        "custom-position-weights-sum-zero",
        {"t.csv": PT + ROWS},
        attr("t.csv", "custom_position", "--param", "weights=0,0"),
        "refused",
        r"weights.*0",
        python=api_attr("t.csv", "custom_position", weights=[0, 0]),
    ),
    Case(
        "custom-position-negative-weight",
        {"t.csv": PT + ROWS},
        attr("t.csv", "custom_position", "--param", "weights=-1,2"),
        "refused",
        r"weights\[0\].*-1",
        python=api_attr("t.csv", "custom_position", weights=[-1, 2]),
    ),
    Case(
        "position-based-shares-not-summing-to-one",
        {"t.csv": PT + ROWS},
        attr("t.csv", "position_based", "--param", "first=0.9"),
        "refused",
        r"sum to 1.*1\.5",
        python=api_attr("t.csv", "position_based", first=0.9),
    ),
    Case(
        "last-non-direct-one-direct-channel",
        {"t.csv": PT3 + "A>B,2,1\nB,1,0\n"},
        attr("t.csv", "last_non_direct", "--value-col", "", "--param", "direct_channels=B"),
        "ok",
        check=credit({"A": 2.0, "B": 1.0}, total=3),
        python=api_attr("t.csv", "last_non_direct", table={"value": None}, direct_channels=["B"]),
        py_check=py_credit({"A": 2.0, "B": 1.0}),
    ),
    Case(
        "last-non-direct-unknown-direct-channel",
        {"t.csv": PT3 + "A>B,2,1\nB,1,0\n"},
        attr("t.csv", "last_non_direct", "--value-col", "", "--param", "direct_channels=dirct,x"),
        "refused",
        r"direct_channels.*'dirct'",
        python=api_attr(
            "t.csv", "last_non_direct", table={"value": None}, direct_channels=["dirct", "x"]
        ),
    ),
    Case(
        "markov-tol-with-exact-removal",
        {"t.csv": PT + ROWS},
        attr("t.csv", "markov", "--param", "tol=0.1"),
        "refused",
        r"tol=0\.1 cannot act",
        python=api_attr("t.csv", "markov", tol=0.1),
    ),
    Case(
        "markov-random-state-with-exact-removal",
        {"t.csv": PT + ROWS},
        attr("t.csv", "markov", "--param", "random_state=3"),
        "refused",
        r"random_state=3 cannot act",
        python=api_attr("t.csv", "markov", random_state=3),
    ),
    Case(
        "markov-simulate-deterministic",
        {"t.csv": PT + ROWS},
        attr("t.csv", "markov", "--param", "removal=simulate"),
        "ok",
        check=credit(None, total=3, seed=0),
        python=same_twice(api_attr("t.csv", "markov", removal="simulate", random_state=0)),
        py_check=py_credit(None, total=3),
        runs=2,
    ),
    Case(
        "shapley-sampled-deterministic",
        {"t.csv": shapley_10},
        (
            *attr("t.csv", "shapley", "--value-col", ""),
            "--param",
            "game=set_rate",
            "--param",
            "estimator=permutation",
            "--param",
            "budget=100",
        ),
        "ok",
        check=credit(None, seed=0),
        python=same_twice(
            api_attr(
                "t.csv",
                "shapley",
                table={"value": None},
                game="set_rate",
                estimator="permutation",
                budget=100,
                random_state=0,
            )
        ),
        runs=2,
    ),
    Case(
        "shapley-budget-with-exact-estimator",
        {"t.csv": PT + ROWS},
        attr("t.csv", "shapley", "--param", "estimator=exact", "--param", "budget=100"),
        "refused",
        r"budget=100 cannot act",
        python=api_attr("t.csv", "shapley", estimator="exact", budget=100),
    ),
    Case(
        "shapley-unknown-game",
        {"t.csv": PT + ROWS},
        attr("t.csv", "shapley", "--param", "game=subsets"),
        "refused",
        r"game must be one of .*'subsets'",
        python=api_attr("t.csv", "shapley", game="subsets"),
    ),
    Case(
        "hazard-on-path-table",
        {"t.csv": PT + ROWS},
        attr("t.csv", "hazard"),
        "refused",
        r"hazard.*touch times.*--events",
        python=api_attr("t.csv", "hazard"),
        py_match=r"touch times",
    ),
    # the point-process model (issue 20): it learns from the touches after the first
    Case(
        "point-process-on-path-table",
        {"t.csv": PT + ROWS},
        attr("t.csv", "point_process"),
        "refused",
        r"point_process.*touch times.*--events",
        python=api_attr("t.csv", "point_process"),
        py_match=r"touch times",
    ),
    Case(
        "point-process-single-touch-journeys",
        {"e.csv": TOUCH + "1,A,0,1,10,5\n2,B,1,0,0,6\n3,A,2,1,5,4\n"},
        attr_touches("e.csv", "point_process"),
        "refused",
        r"every journey has a single touch",
        python=api_touches("e.csv", "point_process"),
    ),
    Case(
        "point-process-touch-log",
        {"e.csv": hazard_touch_log},
        attr_touches("e.csv", "point_process"),
        "ok",
        check=mediation_split,
        runs=2,  # the posterior draws follow the run's seed (0 by default)
    ),
    Case(
        "point-process-negative-l1",
        {"e.csv": TOUCH + TOUCH_ROWS},
        attr_touches("e.csv", "point_process", "--param", "l1=-1"),
        "refused",
        r"l1 must be .*-1",
        python=api_touches("e.csv", "point_process", l1=-1),
    ),
    Case(
        "point-process-unknown-decay",
        {"e.csv": TOUCH + TOUCH_ROWS},
        attr_touches("e.csv", "point_process", "--param", "decay=x"),
        "refused",
        r"decay must be 'source' or 'pair'.*'x'",
        python=api_touches("e.csv", "point_process", decay="x"),
    ),
    Case(
        "point-process-one-draw",
        {"e.csv": TOUCH + TOUCH_ROWS},
        attr_touches("e.csv", "point_process", "--param", "n_draws=1"),
        "refused",
        r"n_draws must be an integer >= 2, got 1",
        python=api_touches("e.csv", "point_process", n_draws=1),
    ),
    # --- command-line flags ---------------------------------------------------------
    Case(
        "format-unknown",
        {"t.csv": PT + ROWS},
        attr("t.csv", fmt="xml"),
        "refused",
        r"--format.*'xml'",
    ),
    Case(
        "end-time-without-events",
        {"t.csv": PT + ROWS},
        attr("t.csv", "linear", "--end-time", "3"),
        "refused",
        r"--end-time goes with --events",
    ),
    Case(
        "ci-n-boot-zero",
        {"t.csv": PT + ROWS},
        attr("t.csv", "linear", "--ci", "--n-boot", "0"),
        "refused",
        r"--n-boot",
    ),
    Case(
        "ci-level-above-one",
        {"t.csv": PT + ROWS},
        attr("t.csv", "linear", "--ci", "--ci-level", "1.5"),
        "refused",
        r"--ci-level",
    ),
    Case(
        "bootstrap-flag-without-ci",
        {"t.csv": PT + ROWS},
        attr("t.csv", "linear", "--n-boot", "50"),
        "refused",
        r"--n-boot.*--ci",
    ),
    Case(
        "seed-on-a-run-that-draws-nothing",
        {"t.csv": PT + ROWS},
        attr("t.csv", "linear", "--seed", "5"),
        "refused",
        r"--seed",
    ),
    Case(
        "compare-unknown-model",
        {"t.csv": PT + ROWS},
        ("compare", "t.csv", "--models", "linear,nosuch"),
        "refused",
        r"unknown model 'nosuch'",
    ),
    Case(
        "compare-param-without-model",
        {"t.csv": PT + ROWS},
        ("compare", "t.csv", "--models", "linear", "--param", "half_life=3"),
        "refused",
        r"--param half_life=.*MODEL\.PARAM",
    ),
    Case(
        "compare-param-for-absent-model",
        {"t.csv": PT + ROWS},
        ("compare", "t.csv", "--models", "linear", "--param", "markov.order=2"),
        "refused",
        r"--param markov\.order.*not in --models",
    ),
    Case(
        "compare-no-models",
        {"t.csv": PT + ROWS},
        ("compare", "t.csv", "--models", ","),
        "refused",
        r"--models",
    ),
    # --- event logs (attribution-lab events) -----------------------------------------
    Case(
        "events-ok",
        {"ev.csv": EV + EV_ROWS},
        events("ev.csv"),
        "ok",
        check=wrote_paths(EV_PATHS),
        python=api_events("ev.csv"),
        py_check=py_paths(EV_PATHS),
    ),
    Case(
        "events-empty-file",
        {"ev.csv": ""},
        events("ev.csv"),
        "refused",
        r"ev\.csv: .*\b(empty|no events|no header)",
    ),
    Case(
        "events-header-only",
        {"ev.csv": EV},
        events("ev.csv"),
        "refused",
        r"ev\.csv: .*no events",
        python=api_events("ev.csv"),
        py_match=r"no events",
    ),
    Case(
        "events-unsorted",
        {
            "ev.csv": EV
            + "u1,2026-01-04,,1,90\nu2,2026-01-02,social,0,0\nu1,2026-01-03,email,0,0\n"
            + "u1,2026-01-01,search,0,0\n"
        },
        events("ev.csv"),
        "ok",
        check=wrote_paths(EV_PATHS),
        python=api_events("ev.csv"),
        py_check=py_paths(EV_PATHS),
    ),
    Case(
        "events-tied-times-counted",
        {"ev.csv": EV + "u1,2026-01-01,search,0,0\nu1,2026-01-01,email,0,0\nu1,2026-01-04,,1,90\n"},
        events("ev.csv"),
        "ok",
        check=wrote_paths(
            {"search > email": (1.0, 90.0, 0.0)}, EV_OUT, r"\b1 .*(\btie[sd]?\b|same time)"
        ),
        python=api_events("ev.csv"),
        py_check=py_paths({"search > email": (1.0, 90.0, 0.0)}, r"\b1 .*(\btie[sd]?\b|same time)"),
    ),
    Case(
        "events-unparsable-time",
        {"ev.csv": EV + "u1,2026-01-01,search,0,0\nu1,yesterday,email,0,0\nu1,2026-01-04,,1,90\n"},
        events("ev.csv"),
        "refused",
        r"ev\.csv: row 1 \(line 3\), column 'time': cannot parse 'yesterday'.*--time-format",
        python=api_events("ev.csv"),
        py_match=r"row 1, column 'time': cannot parse 'yesterday'",
    ),
    Case(
        "events-epoch-seconds",
        {
            "ev.csv": EV
            + "u1,1767225600,search,0,0\nu1,1767398400,email,0,0\nu1,1767484800,,1,90\n"
            + "u2,1767312000,social,0,0\n"
        },
        events("ev.csv"),
        "refused",
        r"ev\.csv: .*column 'time'.*(epoch|seconds).*--time-unit",
        python=api_events("ev.csv"),
        py_match=r"column 'time'.*time_unit",
    ),
    Case(
        "events-epoch-milliseconds",
        {
            "ev.csv": EV
            + "u1,1767225600000,search,0,0\nu1,1767398400000,email,0,0\n"
            + "u1,1767484800000,,1,90\n"
        },
        events("ev.csv"),
        "refused",
        r"ev\.csv: .*column 'time'.*(epoch|milliseconds).*--time-unit",
        python=api_events("ev.csv"),
        py_match=r"column 'time'.*time_unit",
    ),
    Case(
        "events-epoch-seconds-lookback",
        {"ev.csv": EV + "u1,1767225600,search,0,0\nu1,1767398400,email,0,0\nu1,1767484800,,1,90\n"},
        events("ev.csv", "--lookback", "30"),
        "refused",
        r"ev\.csv: .*column 'time'.*--time-unit",
    ),
    Case(
        "events-epoch-seconds-with-time-unit",
        {
            "ev.csv": EV
            + "u1,1767225600,search,0,0\nu1,1767398400,email,0,0\nu1,1767484800,,1,90\n"
            + "u2,1767312000,social,0,0\n"
        },
        events("ev.csv", "--time-unit", "s", "--lookback", "30"),
        "ok",
        check=wrote_paths(EV_PATHS),
        python=api_events("ev.csv", time_unit="s", lookback=30),
        py_check=py_paths(EV_PATHS),
    ),
    Case(
        "events-numeric-days",
        {"ev.csv": EV + "u1,0,search,0,0\nu1,2,email,0,0\nu1,3,,1,90\nu2,1,social,0,0\n"},
        events("ev.csv"),
        "ok",
        check=wrote_paths(EV_PATHS),
        python=api_events("ev.csv"),
        py_check=py_paths(EV_PATHS),
    ),
    Case(
        "events-mixed-time-zones",
        {
            "ev.csv": EV
            + "u1,2026-01-01T00:00:00,search,0,0\nu1,2026-01-03T00:00:00+02:00,email,0,0\n"
            + "u1,2026-01-04T00:00:00Z,,1,90\n"
        },
        events("ev.csv"),
        "refused",
        r"ev\.csv: row 1 \(line 3\), column 'time'.*--time-format",
        python=api_events("ev.csv"),
        py_match=r"column 'time'.*time_format",
    ),
    Case(
        "events-mixed-time-zones-with-time-format",
        {
            "ev.csv": EV
            + "u1,2026-01-01T00:00:00,search,0,0\nu1,2026-01-03T00:00:00+02:00,email,0,0\n"
            + "u1,2026-01-04T00:00:00Z,,1,90\n"
        },
        events("ev.csv", "--time-format", "ISO8601"),
        "ok",
        check=wrote_paths({"search > email": (1.0, 90.0, 0.0)}),
        python=api_events("ev.csv", time_format="ISO8601"),
        py_check=py_paths({"search > email": (1.0, 90.0, 0.0)}),
    ),
    Case(
        "events-time-unit-on-date-strings",
        {"ev.csv": EV + EV_ROWS},
        events("ev.csv", "--time-unit", "s"),
        "refused",
        r"ev\.csv: .*column 'time'.*--time-unit",
        python=api_events("ev.csv", time_unit="s"),
        py_match=r"column 'time'.*time_unit",
    ),
    Case(
        "events-time-unit-unknown",
        {"ev.csv": EV + "u1,0,search,0,0\nu1,3,,1,90\n"},
        events("ev.csv", "--time-unit", "weeks"),
        "refused",
        r"--time-unit.*'weeks'",
        python=api_events("ev.csv", time_unit="weeks"),
        py_match=r"time_unit.*'weeks'",
    ),
    Case(
        "events-time-format-on-numeric-times",
        {"ev.csv": EV + "u1,0,search,0,0\nu1,2,email,0,0\nu1,3,,1,90\nu2,1,social,0,0\n"},
        events("ev.csv", "--time-format", "ISO8601"),
        "refused",
        r"ev\.csv: .*column 'time'.*--time-format",
        python=api_events("ev.csv", time_format="ISO8601"),
        py_match=r"column 'time'.*time_format",
    ),
    Case(
        "events-day-first-dates",
        {"ev.csv": EV + "u1,03/01/2026,search,0,0\nu1,04/01/2026,email,0,0\nu1,05/01/2026,,1,90\n"},
        events("ev.csv"),
        "warned",
        r"ev\.csv: .*column 'time'.*(ambiguous|day|month).*--time-format",
        check=wrote_paths({"search > email": (1.0, 90.0, 0.0)}),
        python=api_events("ev.csv"),
        py_match=r"column 'time'.*(ambiguous|day|month).*time_format",
        py_check=py_paths({"search > email": (1.0, 90.0, 0.0)}),
    ),
    Case(
        "events-repeated-header-line",
        {"ev.csv": EV + EV + EV_ROWS},
        events("ev.csv"),
        "refused",
        r"ev\.csv: row 0 \(line 2\), column 'time': cannot parse 'time'",
        python=api_events("ev.csv"),
        py_match=r"row 0, column 'time': cannot parse 'time'",
    ),
    Case(
        "events-user-with-only-conversions",
        {"ev.csv": EV + "u1,2026-01-04,,1,90\nu2,2026-01-02,social,0,0\n"},
        events("ev.csv"),
        "ok",
        check=wrote_paths(
            {"social": (0.0, 0.0, 1.0)}, EV_OUT, r"conversions without touches 1\b.*\b90\b"
        ),
        python=api_events("ev.csv"),
        py_check=py_paths({"social": (0.0, 0.0, 1.0)}, r"conversions without touches 1\b.*\b90"),
    ),
    Case(
        "events-conversion-before-any-touch",
        {"ev.csv": EV + "u1,2026-01-01,,1,90\nu1,2026-01-03,email,0,0\nu2,2026-01-02,social,0,0\n"},
        events("ev.csv"),
        "ok",
        check=wrote_paths(
            {"email": (0.0, 0.0, 1.0), "social": (0.0, 0.0, 1.0)},
            EV_OUT,
            r"conversions without touches 1\b.*\b90\b",
        ),
        python=api_events("ev.csv"),
        py_check=py_paths(
            {"email": (0.0, 0.0, 1.0), "social": (0.0, 0.0, 1.0)},
            r"conversions without touches 1\b.*\b90",
        ),
    ),
    Case(
        "events-duplicate-rows-counted",
        {"ev.csv": EV + EV_ROWS + "u1,2026-01-03,email,0,0\n"},
        events("ev.csv"),
        "ok",
        check=wrote_paths(EV_PATHS, EV_OUT, r"duplicates 1\b"),
        python=api_events("ev.csv"),
        py_check=py_paths(EV_PATHS, r"duplicates 1\b"),
    ),
    Case(
        "events-missing-user-counted",
        {"ev.csv": EV + EV_ROWS + ",2026-01-03,email,0,0\n"},
        events("ev.csv"),
        "ok",
        check=wrote_paths(EV_PATHS, EV_OUT, r"missing user 1\b"),
        python=api_events("ev.csv"),
        py_check=py_paths(EV_PATHS, r"missing user 1\b"),
    ),
    Case(
        "events-missing-user-column",
        {"ev.csv": EV + EV_ROWS},
        events(
            "ev.csv",
            flags=("--user", "usr", "--channel", "channel", "--conversion", "buy"),
        ),
        "refused",
        r"ev\.csv: no column 'usr'; did you mean 'user'",
        python=api_events("ev.csv", user="usr"),
        py_match=r"no column 'usr'; did you mean 'user'",
    ),
    Case(
        "events-missing-time-column",
        {"ev.csv": EV.replace("time", "when") + EV_ROWS},
        events("ev.csv"),
        "refused",
        r"ev\.csv: no column 'time'.*--time",
        python=api_events("ev.csv"),
        py_match=r"no column 'time'",
    ),
    Case(
        "events-missing-channel-column",
        {"ev.csv": EV + EV_ROWS},
        events(
            "ev.csv",
            flags=("--user", "user", "--channel", "chanel", "--conversion", "buy"),
        ),
        "refused",
        r"ev\.csv: no column 'chanel'; did you mean 'channel'",
        python=api_events("ev.csv", channel="chanel"),
        py_match=r"no column 'chanel'; did you mean 'channel'",
    ),
    Case(
        "events-missing-value-column",
        {"ev.csv": EV + EV_ROWS},
        events("ev.csv", flags=(*EV_FLAGS[:-1], "amount")),
        "refused",
        r"ev\.csv: no column 'amount'",
        python=api_events("ev.csv", value="amount"),
        py_match=r"no column 'amount'",
    ),
    Case(
        "events-value-without-conversion-flag",
        {"ev.csv": EV + EV_ROWS},
        events("ev.csv", flags=("--user", "user", "--channel", "channel", "--value", "revenue")),
        "refused",
        r"--value.*--conversion",
        python=api_events("ev.csv", conversion=None),
        py_match=r"value=.*conversion=",
    ),
    Case(
        "events-conversion-column-not-boolean",
        {"ev.csv": EV.replace("buy", "event") + EV_ROWS.replace(",1,90", ",purchase,90")},
        events(
            "ev.csv",
            flags=("--user", "user", "--channel", "channel", "--conversion", "event"),
        ),
        "refused",
        r"column 'event'.*--conversion-events",
        python=api_events("ev.csv", conversion="event", value=None),
        py_match=r"column 'event'.*conversion_events",
    ),
    Case(
        "events-conversion-events-flag",
        {"ev.csv": EV.replace("buy", "event") + EV_ROWS.replace(",1,90", ",purchase,90")},
        events(
            "ev.csv",
            flags=(
                "--user",
                "user",
                "--channel",
                "channel",
                "--conversion",
                "event",
                "--conversion-events",
                "purchase",
                "--value",
                "revenue",
            ),
        ),
        "ok",
        check=wrote_paths(EV_PATHS),
        python=api_events("ev.csv", conversion="event", conversion_events={"purchase"}),
        py_check=py_paths(EV_PATHS),
    ),
    Case(
        "events-negative-conversion-value",
        {"ev.csv": EV + EV_ROWS.replace(",1,90", ",1,-90")},
        events("ev.csv"),
        "refused",
        r"ev\.csv: row 2 \(line 4\), column 'revenue': negative conversion value -90\b",
        python=api_events("ev.csv"),
        py_match=r"row 2, column 'revenue': negative conversion value -90\b",
    ),
    Case(
        "events-missing-conversion-value",
        {"ev.csv": EV + EV_ROWS.replace(",1,90", ",1,")},
        events("ev.csv"),
        "refused",
        r"ev\.csv: row 2 \(line 4\), column 'revenue': conversion value missing",
        python=api_events("ev.csv"),
        py_match=r"row 2, column 'revenue': conversion value missing",
    ),
    Case(
        "events-out-into-missing-folder",
        {"ev.csv": EV + EV_ROWS},
        ("events", "ev.csv", *EV_FLAGS, "--out", "new/sub/paths.csv"),
        "ok",
        check=wrote_paths(EV_PATHS, "new/sub/paths.csv"),
    ),
    Case(
        "events-bad-observation-end",
        {"ev.csv": EV + EV_ROWS},
        events("ev.csv", "--observation-end", "notadate"),
        "refused",
        r"--observation-end.*'notadate'",
    ),
    Case(
        "events-negative-lookback",
        {"ev.csv": EV + EV_ROWS},
        events("ev.csv", "--lookback", "-1"),
        "refused",
        r"--lookback.*-1",
    ),
    Case(
        "events-max-length-zero",
        {"ev.csv": EV + EV_ROWS},
        events("ev.csv", "--max-length", "0"),
        "refused",
        r"--max-length.*0",
    ),
    Case(
        "events-milestone-without-column",
        {"ev.csv": EV + EV_ROWS},
        events("ev.csv", "--milestone", "lead"),
        "refused",
        r"--milestone 'lead': expected NAME=COLUMN",
    ),
    Case(
        "events-binary-file",
        {"ev.csv": bytes(range(256)) * 4},
        events("ev.csv"),
        "refused",
        r"ev\.csv: cannot parse",
    ),
    Case(
        "events-truncated-gzip",
        {"ev.csv.gz": lambda: gz(EV + EV_ROWS * 300)[:-40]},
        events("ev.csv.gz"),
        "refused",
        r"ev\.csv\.gz: cannot parse",
    ),
    Case(
        "events-directory",
        {"d/ev.csv": EV + EV_ROWS},
        events("d"),
        "refused",
        r"\bd: .*(directory|folder)",
    ),
    Case(
        "events-missing-file",
        {},
        events("nosuch.csv"),
        "refused",
        r"nosuch\.csv: no such file",
    ),
    Case(
        "events-missing-out-flag",
        {"ev.csv": EV + EV_ROWS},
        ("events", "ev.csv", *EV_FLAGS),
        "refused",
        r"--out",
    ),
    # --- touch tables (attribute --events) --------------------------------------------
    Case(
        "touches-ok-time-decay",
        {"e.csv": TOUCH + TOUCH_ROWS},
        ("attribute", "e.csv", "--events", "--model", "time_decay", "--format", "json"),
        "ok",
        check=credit(TIME_DECAY, total=1),
    ),
    Case(
        "touches-unsorted",
        {"e.csv": TOUCH + "1,B,4,1,10,5\n2,B,1,0,0,6\n1,A,0,1,10,5\n"},
        ("attribute", "e.csv", "--events", "--model", "time_decay", "--format", "json"),
        "ok",
        check=credit(TIME_DECAY, total=1),
    ),
    Case(
        "touches-header-only",
        {"e.csv": TOUCH},
        ("attribute", "e.csv", "--events", "--model", "linear", "--format", "json"),
        "refused",
        r"e\.csv: .*\b(no rows|no touches|empty)",
    ),
    Case(
        "touches-unparsable-time",
        {"e.csv": TOUCH + "1,A,x,1,10,5\n1,B,4,1,10,5\n"},
        ("attribute", "e.csv", "--events", "--model", "linear", "--format", "json"),
        "refused",
        r"e\.csv: row 0 \(line 2\), column 'time'",
    ),
    Case(
        "touches-missing-time",
        {"e.csv": TOUCH + "1,A,,1,10,5\n1,B,4,1,10,5\n"},
        ("attribute", "e.csv", "--events", "--model", "linear", "--format", "json"),
        "refused",
        r"e\.csv: row 0 \(line 2\), column 'time'",
    ),
    Case(
        "touches-end-before-last-touch",
        {"e.csv": TOUCH + "1,A,0,1,10,5\n1,B,9,1,10,5\n"},
        ("attribute", "e.csv", "--events", "--model", "linear", "--format", "json"),
        "refused",
        r"e\.csv: .*journey '?1'?.*end_time",
    ),
    Case(
        "touches-converted-not-a-flag",
        {"e.csv": TOUCH + "1,A,0,yes,10,5\n1,B,4,yes,10,5\n2,B,1,no,0,6\n"},
        ("attribute", "e.csv", "--events", "--model", "linear", "--format", "json"),
        "refused",
        r"e\.csv: row 0 \(line 2\), column 'converted'",
    ),
    Case(
        "touches-converted-inconsistent-in-a-journey",
        {"e.csv": TOUCH + "1,A,0,0,10,5\n1,B,4,1,10,5\n2,B,1,0,0,6\n"},
        ("attribute", "e.csv", "--events", "--model", "linear", "--format", "json"),
        "refused",
        r"e\.csv: .*journey '?1'?.*'converted'",
    ),
    Case(
        "touches-empty-channel",
        {"e.csv": TOUCH + "1,,0,1,10,5\n1,B,4,1,10,5\n"},
        ("attribute", "e.csv", "--events", "--model", "linear", "--format", "json"),
        "refused",
        r"e\.csv: row 0 \(line 2\), column 'channel'",
    ),
    Case(
        "touches-no-end-time",
        {"e.csv": "journey,channel,time,converted\n1,A,0,1\n1,B,4,1\n"},
        ("attribute", "e.csv", "--events", "--model", "linear", "--format", "json"),
        "refused",
        r"e\.csv: no end_time column; pass --end-time",
    ),
    Case(
        "touches-missing-columns",
        {"e.csv": "journey,channel,converted\n1,A,1\n"},
        ("attribute", "e.csv", "--events", "--model", "linear", "--format", "json"),
        "refused",
        r"e\.csv: --events needs columns .*missing \['time'\]",
    ),
    # --- spend tables (--costs) ----------------------------------------------------
    Case(
        "costs-ok",
        {"t.csv": PT + ROWS, "c.csv": COSTS},
        attr("t.csv", "linear", "--costs", "c.csv"),
        "ok",
        check=costs_check({"A": 10.0, "B": 15.0}),
        python=api_roi("c.csv"),
        py_check=lambda r: (
            r["cost_per_conversion"].to_dict() == pytest.approx({"A": 10.0, "B": 15.0})
        ),
    ),
    Case(
        "costs-channel-typo",
        {"t.csv": PT + ROWS, "c.csv": "channel,cost\nA,10\nb,30\n"},
        attr("t.csv", "linear", "--costs", "c.csv"),
        "refused",
        r"(c\.csv|--costs).*'b'; did you mean 'B'",
        python=api_roi("c.csv"),
        py_match=r"'b'; did you mean 'B'",
    ),
    Case(
        "costs-channel-typo-compare",
        {"t.csv": PT + ROWS, "c.csv": "channel,cost\nA,10\nb,30\n"},
        ("compare", "t.csv", "--models", "linear,first_touch", "--costs", "c.csv"),
        "refused",
        r"(c\.csv|--costs).*'b'; did you mean 'B'",
    ),
    Case(
        "costs-negative",
        {"t.csv": PT + ROWS, "c.csv": "channel,cost\nA,-10\nB,30\n"},
        attr("t.csv", "linear", "--costs", "c.csv"),
        "refused",
        r"c\.csv: row 0 \(line 2\), column 'cost': spend -10 is negative",
        python=lambda: read_costs("c.csv"),
    ),
    Case(
        "costs-duplicate-rows",
        {"t.csv": PT + ROWS, "c.csv": "channel,cost\nA,10\nA,10\nB,30\n"},
        attr("t.csv", "linear", "--costs", "c.csv"),
        "warned",
        r"c\.csv: .*'A'.*(2 rows|rows 0 and 1|lines 2 and 3|summed|duplicate)",
        check=costs_check({"A": 20.0, "B": 15.0}),
        python=lambda: read_costs("c.csv"),
        py_check=lambda s: s.to_dict() == {"A": 20.0, "B": 30.0},
    ),
    Case(
        "costs-duplicate-channel-and-period",
        {
            "t.csv": PT + ROWS,
            "c.csv": "channel,period,cost\nA,2026-01-01,10\nA,2026-01-01,10\nB,2026-01-01,30\n",
        },
        attr("t.csv", "linear", "--costs", "c.csv"),
        "refused",
        r"c\.csv: row 1 \(line 3\).*'A'.*2026-01-01",
        python=lambda: read_costs("c.csv"),
    ),
    Case(
        "costs-missing-column",
        {"t.csv": PT + ROWS, "c.csv": "chanel,cost\nA,10\n"},
        attr("t.csv", "linear", "--costs", "c.csv"),
        "refused",
        r"c\.csv: no column 'channel'; did you mean 'chanel'",
        python=lambda: read_costs("c.csv"),
    ),
    Case(
        "costs-missing-spend",
        {"t.csv": PT + ROWS, "c.csv": "channel,cost\nA,\nB,30\n"},
        attr("t.csv", "linear", "--costs", "c.csv"),
        "refused",
        r"c\.csv: row 0 \(line 2\), column 'cost': spend .* missing",
        python=lambda: read_costs("c.csv"),
    ),
    Case(
        "costs-spend-not-a-number",
        {"t.csv": PT + ROWS, "c.csv": "channel,cost\nA,ten\nB,30\n"},
        attr("t.csv", "linear", "--costs", "c.csv"),
        "refused",
        r"c\.csv: row 0 \(line 2\), column 'cost': spend 'ten' is not a number",
        python=lambda: read_costs("c.csv"),
    ),
    Case(
        "costs-channel-without-spend",
        {"t.csv": PT + ROWS, "c.csv": "channel,cost\nA,10\n"},
        attr("t.csv", "linear", "--costs", "c.csv"),
        "warned",
        r"\bB\b.*(no spend|not in c\.csv|without spend)",
        check=lambda out: _strict_json(out),
        python=api_roi("c.csv"),
        # documented: a channel with no spend row has undefined (NaN) ratios, with a warning
        py_check=lambda r: (
            bool(r.loc["B", ["roas", "roi"]].isna().all())
            and bool(np.isfinite(r.loc["A", ["roas", "roi"]]).all())
        ),
        py_nan=True,
    ),
    Case(
        "costs-zero-spend-json",
        {"t.csv": PT + ROWS, "c.csv": "channel,cost\nA,0\nB,30\n"},
        attr("t.csv", "linear", "--costs", "c.csv"),
        "ok",
        check=lambda out: _strict_json(out),
    ),
    Case(
        "costs-missing-file",
        {"t.csv": PT + ROWS},
        attr("t.csv", "linear", "--costs", "nosuch.csv"),
        "refused",
        r"nosuch\.csv: no such file",
        python=lambda: read_costs("nosuch.csv"),
        py_raises=(FileNotFoundError,),
    ),
    Case(
        "costs-directory",
        {"t.csv": PT + ROWS, "d/c.csv": COSTS},
        attr("t.csv", "linear", "--costs", "d"),
        "refused",
        r"\bd: .*(directory|folder)",
    ),
    Case(
        "costs-binary",
        {"t.csv": PT + ROWS, "c.csv": bytes(range(256)) * 4},
        attr("t.csv", "linear", "--costs", "c.csv"),
        "refused",
        r"c\.csv: cannot parse",
        python=lambda: read_costs("c.csv"),
    ),
    # --- other commands on bad input ------------------------------------------------
    Case(
        "calibrate-likelihood-on-path-table",
        {"t.csv": PT + ROWS},
        ("calibrate", "t.csv", "--rule", "time_decay"),
        "refused",
        r"touch times.*--events",
    ),
    Case(
        "calibrate-unknown-reference",
        {"t.csv": PT + ROWS},
        ("calibrate", "t.csv", "--rule", "position_based", "--reference", "markv"),
        "refused",
        r"unknown model 'markv'",
    ),
    Case(
        "simulate-unknown-scenario",
        {},
        ("simulate", "nosuch", "--out", "sim/x"),
        "refused",
        r"unknown scenario 'nosuch'",
    ),
    Case(
        "simulate-zero-journeys",
        {},
        ("simulate", "markov", "--n", "0", "--out", "sim/x"),
        "refused",
        r"--n\b.*0",
    ),
    Case(
        "simulate-unknown-parameter",
        {},
        ("simulate", "markov", "--n", "50", "--out", "sim/x", "--param", "nosuch=1"),
        "refused",
        r"'markov' has no parameter 'nosuch'",
    ),
    Case(
        "describe-header-only",
        {"t.csv": PT},
        ("describe", "t.csv"),
        "refused",
        r"t\.csv: .*\b(no rows|no paths|no journeys|empty)",
    ),
    Case(
        "describe-directory",
        {"d/t.csv": PT + ROWS},
        ("describe", "d"),
        "refused",
        r"\bd: .*(directory|folder)",
    ),
]


# ---------------------------------------------------------------------- running a case
_ERROR_LINE = re.compile(r"^attribution-lab( [\w-]+)?: error: ")
_RAW_WARNING = re.compile(r"\b[A-Za-z]*Warning: |\.py:\d+|site-packages|Traceback")
_NUMPY_REPR = re.compile(r"np\.(float|int|uint|bool)\w*\(")


def _write_files(folder: Path, files: Mapping[str, Content]) -> None:
    for name, content in files.items():
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        data = content() if callable(content) else content
        if isinstance(data, bytes):
            target.write_bytes(data)
        else:
            target.write_text(data, encoding="utf-8", newline="")


def _run_main(argv: list[str]) -> int | str:
    """`main(argv)`'s exit status as a terminal sees it.

    Warnings that escape `main` would reach a terminal in Python's raw format (with the
    source path and line); pytest records them instead, so they are written to stderr here
    exactly as Python would, and count against a case's 'one clean line'. Filters are
    Python's defaults, not the test run's.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.resetwarnings()
        warnings.simplefilter("default")
        for category in (DeprecationWarning, PendingDeprecationWarning, ImportWarning):
            warnings.filterwarnings("ignore", category=category)
        warnings.filterwarnings("ignore", category=ResourceWarning)
        try:
            code: int | str = main(argv)
        except SystemExit as exc:  # argparse
            code = exc.code if isinstance(exc.code, int) else 2
        except Exception:
            traceback.print_exc()
            code = "raised"
    for w in caught:
        sys.stderr.write(warnings.formatwarning(w.message, w.category, w.filename, w.lineno))
    return code


def run_cli(argv: list[str], capsys: Any) -> tuple[int | str, str, str]:
    code = _run_main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def check_cli_invariants(code: int | str, out: str, err: str, argv: list[str]) -> None:
    """What holds for every input: no traceback, exit 0 or 2, no NaN / Infinity."""
    assert "Traceback" not in err, err
    assert code in (0, 2), f"exit status {code!r}; stderr:\n{err}"
    assert not re.search(r"\b(nan|NaN|inf|Infinity)\b", out), f"NaN / Infinity in:\n{out}"
    if code == 0 and "json" in argv and "--format" in argv:
        _strict_json(out)


def assert_refused(code: int | str, out: str, err: str, message: str) -> None:
    assert code == 2, f"exit status {code!r}, expected 2; stderr: {err!r}"
    lines = [ln for ln in err.splitlines() if ln.strip()]
    errors = [ln for ln in lines if _ERROR_LINE.match(ln)]
    assert len(errors) == 1, f"expected one 'attribution-lab: error:' line, got:\n{err}"
    others = [ln for ln in lines if ln not in errors]
    # argparse's own errors come after its usage block; nothing else may be printed
    assert all(ln.startswith(("usage:", " ")) for ln in others), f"extra stderr lines:\n{err}"
    assert not _NUMPY_REPR.search(errors[0]), f"numpy repr in the message: {errors[0]}"
    assert re.search(message, errors[0]), f"{errors[0]!r} does not match {message!r}"


def assert_warned(code: int | str, out: str, err: str, message: str) -> None:
    assert code == 0, f"exit status {code!r}, expected 0; stderr: {err!r}"
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, f"expected one warning line, got:\n{err}"
    assert not _RAW_WARNING.search(err), f"raw warning format on stderr:\n{err}"
    assert not _NUMPY_REPR.search(err), f"numpy repr in the warning: {err}"
    assert re.search(message, lines[0]), f"{lines[0]!r} does not match {message!r}"


def _marks(reason: str) -> list[Any]:
    return [pytest.mark.xfail(strict=True, reason=reason)] if reason else []


def _cli_params() -> list[Any]:
    return [pytest.param(c, id=c.id, marks=_marks(c.xfail)) for c in CASES]


def _py_params() -> list[Any]:
    return [
        pytest.param(c, id=c.id, marks=_marks(c.py_xfail)) for c in CASES if c.python is not None
    ]


@pytest.mark.parametrize("case", _cli_params())
def test_cli(case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    _write_files(tmp_path, case.files)
    monkeypatch.chdir(tmp_path)
    outputs = []
    for _ in range(case.runs):
        code, out, err = run_cli(list(case.argv), capsys)
        check_cli_invariants(code, out, err, list(case.argv))
        outputs.append(out)
        if case.outcome == "refused":
            assert_refused(code, out, err, case.message)
        elif case.outcome == "warned":
            assert_warned(code, out, err, case.message)
        else:
            assert code == 0, f"exit status {code!r}; stderr: {err!r}"
            assert err.strip() == "", f"stderr not empty:\n{err}"
        if case.check is not None and code == 0:
            case.check(out)
    assert all(o == outputs[0] for o in outputs), "the output differs between runs"


def _no_nan(result: Any) -> None:
    frame = result.to_frame() if hasattr(result, "to_frame") else result
    if isinstance(frame, pd.DataFrame | pd.Series):
        numbers = frame.select_dtypes("number") if isinstance(frame, pd.DataFrame) else frame
        assert np.isfinite(numbers.to_numpy(dtype=float)).all(), f"NaN / inf in:\n{frame}"


@pytest.mark.parametrize("case", _py_params())
def test_python(case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write_files(tmp_path, case.files)
    monkeypatch.chdir(tmp_path)
    assert case.python is not None
    match = case.py_match if case.py_match is not None else case.message
    if case.outcome == "refused":
        with pytest.raises(case.py_raises, match=match):
            case.python()
        return
    if case.outcome == "warned":
        with pytest.warns(case.py_warns, match=match):
            result = case.python()
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("error", UserWarning)
            result = case.python()
    if case.py_check is not None:
        assert case.py_check(result) is not False
    if not isinstance(result, tuple) and not case.py_nan:
        _no_nan(result)


# ---------------------------------------------------------------------- the counts
def summary() -> str:
    """Counts per outcome class, and the expected failures per responsible module."""
    by_outcome = Counter(c.outcome for c in CASES)
    lines = [
        f"{len(CASES)} cases ({sum(c.python is not None for c in CASES)} also through the API):"
        + "".join(f" {k} {by_outcome[k]}," for k in OUTCOMES).rstrip(",")
    ]
    for where, attr_name in (("CLI", "xfail"), ("API", "py_xfail")):
        reasons = [getattr(c, attr_name) for c in CASES if getattr(c, attr_name)]
        owners = Counter(r.split(":", 1)[0] for r in reasons)
        met = Counter(c.outcome for c in CASES if not getattr(c, attr_name))
        lines.append(
            f"{where}: {len(reasons)} expected failures; met now:"
            + "".join(f" {k} {met[k]}," for k in OUTCOMES).rstrip(",")
        )
        lines += [f"  {owner}: {n}" for owner, n in owners.most_common()]
    return "\n".join(lines)


def test_catalogue_shape(capsys: Any) -> None:
    """At least 70 cases with unique ids and known outcome classes; prints the counts."""
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids)), [i for i, n in Counter(ids).items() if n > 1]
    assert len(CASES) >= 70
    for c in CASES:
        assert c.outcome in OUTCOMES, c.id
        assert c.outcome == "ok" or c.message, f"{c.id}: refused / warned need a message regex"
        for reason in (c.xfail, c.py_xfail):
            assert not reason or ": " in reason, f"{c.id}: reason must start 'module: '"
    with capsys.disabled():
        print("\n" + summary())


# ---------------------------------------------------------------------- random mutations
SMALL_TABLE = (PT + ROWS + "A>C>B,1,9,4\nC,0,0,1\n").encode()
SMALL_LOG = (EV + EV_ROWS + "u2,2026-01-05,search,1,40\nu3,2026-01-02,email,0,0\n").encode()


def _mutate(data: bytes, ops: list[tuple[str, int, int]]) -> bytes:
    """Apply byte flips, deleted / duplicated lines, swapped columns, inserted delimiters."""
    for op, a, b in ops:
        lines = data.split(b"\n")
        if op == "flip" and data:
            i = a % len(data)
            data = data[:i] + bytes([data[i] ^ (1 << (b % 8))]) + data[i + 1 :]
        elif op == "delete_line" and lines:
            del lines[a % len(lines)]
            data = b"\n".join(lines)
        elif op == "duplicate_line" and lines:
            i = a % len(lines)
            lines.insert(i, lines[i])
            data = b"\n".join(lines)
        elif op == "swap_columns":
            rows = [ln.split(b",") for ln in lines]
            width = max(len(r) for r in rows)
            i, j = a % width, b % width
            for r in rows:
                if i < len(r) and j < len(r):
                    r[i], r[j] = r[j], r[i]
            data = b"\n".join(b",".join(r) for r in rows)
        elif op == "insert_delimiter" and data:
            i = a % (len(data) + 1)
            data = data[:i] + b",;\t|>"[b % 5 : b % 5 + 1] + data[i:]
    return data


MUTATIONS = st.lists(
    st.tuples(
        st.sampled_from(
            ["flip", "delete_line", "duplicate_line", "swap_columns", "insert_delimiter"]
        ),
        st.integers(0, 10_000),
        st.integers(0, 10_000),
    ),
    min_size=1,
    max_size=4,
)


def _run_captured(argv: list[str]) -> tuple[int | str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = _run_main(argv)
    return code, err.getvalue()


@settings(
    max_examples=100,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(which=st.sampled_from(["table", "log"]), ops=MUTATIONS)
def test_random_mutations_never_crash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, which: str, ops: list
) -> None:
    """Mutated path tables and event logs: always exit 0 or 2, never a traceback."""
    monkeypatch.chdir(tmp_path)
    if which == "table":
        Path("m.csv").write_bytes(_mutate(SMALL_TABLE, ops))
        argv = ["attribute", "m.csv", "--model", "linear", "--format", "csv"]
    else:
        Path("m.csv").write_bytes(_mutate(SMALL_LOG, ops))
        argv = ["events", "m.csv", *EV_FLAGS, "--out", "m_out.csv"]
    code, err = _run_captured(argv)
    assert "Traceback" not in err, err
    assert code in (0, 2), (code, err)
    if code == 2:
        assert len([ln for ln in err.splitlines() if _ERROR_LINE.match(ln)]) == 1, err


def test_mutation_helper() -> None:
    data = b"a,b\n1,2\n"
    assert _mutate(data, [("swap_columns", 0, 1)]) == b"b,a\n2,1\n"
    assert _mutate(data, [("delete_line", 1, 0)]) == b"a,b\n"
    assert _mutate(data, [("duplicate_line", 0, 0)]) == b"a,b\na,b\n1,2\n"
    assert _mutate(data, [("insert_delimiter", 0, 0)]) == b",a,b\n1,2\n"
    assert _mutate(data, [("flip", 0, 0)]) == b"`,b\n1,2\n"


if __name__ == "__main__":  # pragma: no cover
    print(summary())


def test_the_readme_quotes_the_catalogue_as_it_is():
    # the README's counts are this file's, not typed-in numbers that drift from it
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    by_outcome = Counter(c.outcome for c in CASES)
    quoted = re.search(
        r"pins (\d+) such cases \((\d+) refused, (\d+) warned, (\d+) answered\)",
        " ".join(readme.split()),
    )
    assert quoted is not None, "the README no longer quotes the catalogue's counts"
    assert tuple(map(int, quoted.groups())) == (
        len(CASES),
        by_outcome["refused"],
        by_outcome["warned"],
        by_outcome["ok"],
    )
