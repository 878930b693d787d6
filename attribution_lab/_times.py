"""Times of events as float days since 1970-01-01: units, epoch checks and parsing.

Shared by the in-memory path (`attribution_lab.events`, step 2 of its rules), the SQL path
(`attribution_lab.sql`) and the touch-table reader (`attribution_lab.readers`), so that a
numeric time in the wrong unit (Unix epoch seconds read as days) is refused the same way,
with the same message, whichever path reads it.
"""

from __future__ import annotations

import re
import warnings
from numbers import Real
from typing import Any

import numpy as np
import pandas as pd

from ._validation import first_bad, show

#: Units of numeric event times (`time_unit`), as how many of them make a day.
TIME_UNITS = {"days": 1.0, "hours": 24.0, "s": 86_400.0, "ms": 86_400_000.0}
UNIT_WORDS = {"days": "days", "hours": "hours", "s": "seconds", "ms": "milliseconds"}
# A numeric time more than this many days from 1970 in its unit is refused as not a time.
# 1e7 days is 27,000 years: day counts in use stay far below it (days since 1970 about 2e4,
# spreadsheet serial dates 4.5e4, days since year 1 7.4e5, Julian days 2.5e6), while Unix
# epoch seconds read as days pass it for any time after April 1970, and a unit one step too
# coarse for epoch times (ms read as s, s read as hours, microseconds as ms) for any time
# after 1997. Not caught: a relative clock in the wrong unit (seconds since a study began,
# read as days), and epoch hours read as days (about 4.9e5, among the day counts in use).
MAX_DAYS = 1e7
# days since 1970 of plausible absolute times (1990 to 2100), to guess the unit intended
PLAUSIBLE_DAYS = (7_305.0, 47_482.0)


def check_time_unit(time_unit: Any) -> float:
    """How many `time_unit` make a day (None is days); ValueError for an unknown unit."""
    if time_unit is None:
        return 1.0
    if not isinstance(time_unit, str) or time_unit not in TIME_UNITS:
        raise ValueError(f"time_unit must be one of {list(TIME_UNITS)}, got {time_unit!r}")
    return TIME_UNITS[time_unit]


def guess_time_unit(value: float) -> str | None:
    """The unit (or ``"%Y%m%d"``) in which `value` is a plausible time, if any."""
    for unit, per_day in TIME_UNITS.items():
        if PLAUSIBLE_DAYS[0] <= abs(value) / per_day <= PLAUSIBLE_DAYS[1]:
            return unit
    if float(value).is_integer() and 19_000_101 <= value <= 21_001_231:
        return "%Y%m%d"
    return None


def pass_time_unit(guess: str | None) -> str:
    """How the Python API sets the unit `guess` (the events command translates it)."""
    if guess == "%Y%m%d":
        return "if they are dates written as YYYYMMDD, pass time_format='%Y%m%d'"
    if guess is not None:
        return f"they look like Unix epoch {UNIT_WORDS[guess]}: pass time_unit={guess!r}"
    return f"pass their unit as time_unit (one of {list(TIME_UNITS)}) or convert them"


def far_time_error(
    where: str, value: float, time_unit: str | None, fix: Any = pass_time_unit
) -> ValueError:
    """The error for a numeric time that is not a time in `time_unit` (see `MAX_DAYS`)."""
    if not np.isfinite(value):
        return ValueError(f"{where}: {value!r} is not a finite time")
    unit = time_unit or "days"
    years = value / TIME_UNITS[unit] / 365.25
    return ValueError(
        f"{where}: {value:.15g} is not a time in {UNIT_WORDS[unit]} (it would be"
        f" {abs(years):,.0f} years {'after' if years > 0 else 'before'} 1970);"
        f" {fix(guess_time_unit(value))}"
    )


def unit_for_datetimes_error(column: str, time_unit: str, formatted: bool = False) -> ValueError:
    """The error for a `time_unit` given with times it cannot act on."""
    what = "is read with time_format" if formatted else "holds datetimes or date strings"
    return ValueError(
        f"column {column!r} {what}: time_unit={time_unit!r} applies to numeric times only"
        " (leave it out)"
    )


def numeric_times_to_days(
    values: np.ndarray,
    time_unit: str | None,
    column: str,
    name_row: Any,
    fix: Any = pass_time_unit,
) -> np.ndarray:
    """Numeric times in `time_unit` (None: days) as float days; NaN stays NaN.

    Raises ValueError naming the first row whose time would lie more than 10^7 days from
    1970, with the unit it looks like (``fix(guess)`` says how to set it).

    Examples
    --------
    >>> numeric_times_to_days(np.array([86_400.0, np.nan]), "s", "time", str).tolist()
    [1.0, nan]
    >>> numeric_times_to_days(np.array([1.7e9]), None, "time", lambda i: f"row {i}")
    Traceback (most recent call last):
    ...
    ValueError: row 0, column 'time': 1700000000 is not a time in days (it would be
    4,654,346 years after 1970); they look like Unix epoch seconds: pass time_unit='s'
    """
    days = np.asarray(values, dtype=np.float64) / check_time_unit(time_unit)
    with np.errstate(invalid="ignore"):
        i = first_bad(np.abs(days) > MAX_DAYS)
    if i is not None:
        where = f"{name_row(i)}, column {column!r}"
        raise far_time_error(where, float(values[i]), time_unit, fix)
    return days


def scalar_days(value: Any, what: str, datetimes: bool, time_unit: str | None = None) -> float:
    """A scalar time (observation end) in days, of the same kind as the event times."""
    if isinstance(value, Real) and not isinstance(value, bool):
        if datetimes:
            raise TypeError(
                f"{what}: event times are datetimes; give a timestamp, not {show(value)}"
            )
        days = float(value) / check_time_unit(time_unit)
        if not np.isfinite(days):
            raise ValueError(f"{what}: {show(value)} is not a finite time")
        if abs(days) > MAX_DAYS:
            unit = UNIT_WORDS[time_unit or "days"]
            raise far_time_error(
                what, float(value), time_unit, lambda _: f"give it in {unit}, as the times are"
            )
        return days
    if not datetimes:
        raise TypeError(
            f"{what}: event times are numbers (in {UNIT_WORDS[time_unit or 'days']});"
            f" give a number, not {show(value)}"
        )
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{what}: cannot interpret {show(value)} as a time ({exc})") from None
    if ts.tzinfo is not None:
        ts = ts.tz_convert("UTC").tz_localize(None)
    return float((ts - pd.Timestamp(0)) / pd.Timedelta(days=1))


def duration_days(value: Any, what: str) -> float:
    """A duration (lookback) as days: a number of days or a timedelta, finite and >= 0."""
    if isinstance(value, pd.Timedelta | np.timedelta64) or hasattr(value, "total_seconds"):
        days = pd.Timedelta(value) / pd.Timedelta(days=1)
    elif isinstance(value, Real) and not isinstance(value, bool):
        days = float(value)
    else:
        raise TypeError(f"{what} must be a number of days or a timedelta, got {value!r}")
    if not np.isfinite(days) or days < 0:
        raise ValueError(f"{what} must be a finite duration >= 0, got {show(value)}")
    return float(days)


def parse_times(
    column: pd.Series,
    name_row: Any,
    column_name: str,
    time_format: str | None = None,
    time_unit: str | None = None,
) -> tuple[np.ndarray, bool]:
    """Times as float days (NaN where missing) and whether they were datetimes.

    Numbers are in `time_unit` (None: days; see `numeric_times_to_days`), or with
    `time_format` dates written as numbers (``"%Y%m%d"``); strings are parsed by
    `pandas.to_datetime` with `time_format`. A unit or format that cannot act on the
    column (a unit for datetimes, a format for datetimes, both for numbers) is refused.

    Examples
    --------
    >>> days, dt = parse_times(pd.Series(["1970-01-02", None]), str, "time")
    >>> days.tolist(), dt
    ([1.0, nan], True)
    >>> parse_times(pd.Series([19700102]), str, "time", time_format="%Y%m%d")[0].tolist()
    [1.0]
    >>> parse_times(pd.Series([36.0, 48.0]), str, "time", time_unit="hours")[0].tolist()
    [1.5, 2.0]
    """
    check_time_unit(time_unit)
    s = column
    numeric = not pd.api.types.is_datetime64_any_dtype(s.dtype) and (
        pd.api.types.is_numeric_dtype(s.dtype)
        or pd.api.types.infer_dtype(s, skipna=True)
        in ("integer", "floating", "mixed-integer-float", "decimal")
    )
    if pd.api.types.is_bool_dtype(s.dtype):
        raise TypeError(f"column {column_name!r}: expected times, got booleans")
    if time_unit is not None and (not numeric or time_format is not None):
        raise unit_for_datetimes_error(column_name, time_unit, time_format is not None)
    if isinstance(s.dtype, pd.DatetimeTZDtype):
        s = s.dt.tz_convert("UTC").dt.tz_localize(None)
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        if time_format is not None:
            raise ValueError(
                f"column {column_name!r} holds datetimes already: time_format={time_format!r}"
                " applies to strings and numbers (leave it out)"
            )
        arr = s.to_numpy()
        with np.errstate(invalid="ignore"):
            return (arr - np.datetime64(0, "s")) / np.timedelta64(1, "D"), True
    if numeric:
        num = pd.to_numeric(s, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
        bad = np.flatnonzero(np.isinf(num) | (np.isnan(num) & s.notna().to_numpy()))
        if bad.size:
            i = int(bad[0])
            raise ValueError(
                f"{name_row(i)}, column {column_name!r}: {show(s.iloc[i])} is not a finite time"
            )
        if time_format is None:
            return numeric_times_to_days(num, time_unit, column_name, name_row), False
        # dates written as numbers (20240131 with "%Y%m%d"): parse their digits
        whole = np.isnan(num) | (num == np.round(num))
        text = pd.Series(num, index=s.index).astype("Int64" if whole.all() else object)
        s = text.astype("string").astype(object).where(text.notna(), None)
    kind = pd.api.types.infer_dtype(s, skipna=True)
    if kind == "empty":
        return np.full(len(s), np.nan), False
    obj = s.astype(object)
    blank = obj.isna().to_numpy() | (obj.map(lambda v: isinstance(v, str) and not v.strip()))
    blank = np.asarray(blank, dtype=bool)
    try:
        with warnings.catch_warnings():
            # pandas' "could not infer format" advice: unparsable times get ours below
            warnings.simplefilter("ignore", UserWarning)
            parsed = pd.to_datetime(
                obj.where(~blank, None), errors="coerce", utc=True, format=time_format
            )
    except (TypeError, ValueError) as exc:
        raise ValueError(f"column {column_name!r}: cannot parse times ({exc})") from None
    day_first = None if time_format else day_month_format(obj, blank)
    bad = np.flatnonzero(parsed.isna().to_numpy() & ~blank)
    if bad.size:
        i = int(bad[0])
        if numeric:
            raise ValueError(
                f"{name_row(i)}, column {column_name!r}: the number {obj.iloc[i]} is not a date"
                f" in time_format={time_format!r} (time_format reads dates written as numbers,"
                " such as 20240131 with '%Y%m%d'; numbers in a unit of time need time_unit)"
            )
        if day_first:
            hint = f" (dates written day first? pass time_format={day_first[0]!r})"
        elif time_format:
            hint = ""
        else:
            hint = (
                " (mixed formats or time zones? pass time_format='ISO8601' or time_format='mixed')"
            )
        raise ValueError(
            f"{name_row(i)}, column {column_name!r}: cannot parse {obj.iloc[i]!r} as a time{hint}"
        )
    if day_first and day_first[1] is not None:
        i = day_first[1]
        warnings.warn(
            f"column {column_name!r}: dates such as {obj.iloc[i]!r} could be day or month"
            f" first and are read month first ({parsed.iloc[i]:%Y-%m-%d}); if the day comes"
            f" first, pass time_format={day_first[0]!r}",
            UserWarning,
            stacklevel=3,
        )
    arr = parsed.dt.tz_localize(None).to_numpy()
    with np.errstate(invalid="ignore"):
        return (arr - np.datetime64(0, "s")) / np.timedelta64(1, "D"), True


def day_month_format(strings: pd.Series, blank: np.ndarray) -> tuple[str, int | None] | None:
    """For date strings that all look like ``dd/mm/yyyy`` or ``mm/dd/yyyy`` (``/``, ``.`` or
    ``-``; `blank` ones aside): the day-first format, and the position of one whose
    reading depends on the order (both fields 12 or less, and different) when no date
    settles it; else None.

    Examples
    --------
    >>> day_month_format(pd.Series(["", "03/01/2026", "04/01/2026"]), np.array([1, 0, 0]) > 0)
    ('%d/%m/%Y', 1)
    >>> day_month_format(pd.Series(["03.01.26", "13.01.26"]), np.zeros(2, bool))
    ('%d.%m.%y', None)
    >>> day_month_format(pd.Series(["2026-01-03"]), np.zeros(1, bool)) is None
    True
    """
    if blank.all():
        return None
    pattern = r"^\s*(\d{1,2})([/.-])(\d{1,2})\2(\d{4}|\d{2})(?!\d)"
    if not re.match(pattern, str(strings.iloc[int(np.argmin(blank))])):
        return None  # one look at the first date settles ISO and most other formats
    # the regex runs once per distinct date prefix, not per row (a log repeats its dates)
    values = pd.Series(pd.unique(strings[~blank]), dtype=object).astype(str)
    prefix = pd.Series(pd.unique(values.str.slice(0, 11)), dtype=object)
    parts = prefix.str.extract(pattern)
    if parts[0].isna().any():
        return None
    first, second = parts[0].astype(int).to_numpy(), parts[2].astype(int).to_numpy()
    sep = parts[1].iloc[0]
    fmt = f"%d{sep}%m{sep}{'%Y' if len(parts[3].iloc[0]) == 4 else '%y'}"
    if (first > 12).any() or (second > 12).any():
        return fmt, None
    either = np.flatnonzero(first != second)
    if not either.size:
        return fmt, None
    example = values[values.str.startswith(prefix.iloc[either[0]])].iloc[0]
    return fmt, int(np.flatnonzero(strings.to_numpy(dtype=object) == example)[0])
