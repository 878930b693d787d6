"""Shared input checks that produce errors naming the row and column at fault."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Sequence
from numbers import Real
from typing import Any

import numpy as np

__all__ = [
    "MAX_COUNT",
    "MAX_VALUE",
    "DataWarning",
    "RowNamer",
    "check_columns",
    "check_instance",
    "check_level",
    "check_random_state",
    "did_you_mean",
    "first_bad",
    "show",
]

# A RowNamer turns a 0-based journey/row position into the phrase used in an error,
# e.g. "paths.csv: row 17 (line 19)" for a file (`_io.row_namer`) or "journey 17" for arrays.
RowNamer = Callable[[int], str]


def journey_namer(i: int) -> str:
    return f"journey {i}"


def show(value: Any) -> str:
    """`value` as an error message shows it: numbers plainly, everything else by ``repr``.

    numpy scalars print as their Python value (``-3``, not ``np.float64(-3.0)``); floats
    with an integral value lose the ``.0``; lists and tuples show their items likewise.

    Examples
    --------
    >>> show(np.float64(-3.0)), show(2.5), show(np.int64(7)), show(float("nan")), show("x")
    ('-3', '2.5', '7', 'nan', "'x'")
    >>> show([np.float64(0.5), 1.0]), show(True), show(1e300)
    ('[0.5, 1]', 'True', '1e+300')
    """
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        return f"{float(value):.15g}"
    if isinstance(value, list | tuple):
        inner = ", ".join(show(v) for v in value)
        return (
            f"[{inner}]"
            if isinstance(value, list)
            else f"({inner}{',' if len(value) == 1 else ''})"
        )
    if isinstance(value, np.ndarray):
        return show(value.tolist())
    return repr(value)


def first_bad(mask: np.ndarray) -> int | None:
    """Index of the first True in `mask`, or None; used to name the offending row."""
    if mask.size == 0:
        return None
    i = int(np.argmax(mask))
    return i if mask[i] else None


#: The largest total a column of customer counts may reach: up to 2**53 every whole number
#: is exact in float64; beyond it sums and shares lose their meaning (1e300 gave shares of
#: -0.25 and 1.25), and no real table counts that many customers.
MAX_COUNT = float(2**53)
#: The largest total of conversion values: a margin below float64's overflow at ~1.8e308,
#: so that credit sums and products stay finite.
MAX_VALUE = 1e300


class DataWarning(UserWarning):
    """Input accepted with a caveat (fractional counts read as weights, tied times, ...)."""


def check_counts(
    values: np.ndarray,
    column: str,
    name_row: RowNamer,
    *,
    allow_negative: bool = False,
    max_total: float | None = None,
) -> np.ndarray:
    """Return `values` as float64, raising ValueError on NaN, inf or negative entries.

    With `max_total`, also on an entry, or a column total, above it (the message names the
    row, or the column and its total).
    """
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"column {column!r}: expected numbers ({exc})") from None
    if arr.ndim != 1:
        raise ValueError(f"column {column!r}: expected a 1-D array, got shape {arr.shape}")
    bad = first_bad(~np.isfinite(arr))
    if bad is not None:
        raise ValueError(
            f"{name_row(bad)}, column {column!r}: value {show(arr[bad])} is not finite"
        )
    if not allow_negative:
        bad = first_bad(arr < 0)
        if bad is not None:
            raise ValueError(f"{name_row(bad)}, column {column!r}: negative value {show(arr[bad])}")
    if max_total is not None and arr.size:
        bad = first_bad(np.abs(arr) > max_total)
        if bad is not None:
            raise ValueError(
                f"{name_row(bad)}, column {column!r}: {show(arr[bad])} is too large"
                f" (the column may total at most {max_total:.3g})"
            )
        total = float(np.abs(arr).sum())
        if total > max_total:
            raise ValueError(
                f"column {column!r}: the total {total:.4g} is too large (at most {max_total:.3g})"
            )
    return arr


def fractional_rows(counts: np.ndarray) -> np.ndarray:
    """Positions of the counts that are not whole numbers."""
    return np.flatnonzero(counts != np.floor(counts))


def check_random_state(random_state: int | np.random.Generator | None) -> np.random.Generator:
    """Normalise ``random_state`` (None, an int seed or a Generator) to a Generator.

    Examples
    --------
    >>> rng = check_random_state(0)
    >>> int(rng.integers(10)) == int(check_random_state(0).integers(10))
    True
    """
    if isinstance(random_state, np.random.Generator):
        return random_state
    if random_state is None or isinstance(random_state, (int, np.integer)):
        return np.random.default_rng(random_state)
    if isinstance(random_state, np.random.SeedSequence):
        return np.random.default_rng(random_state)
    raise TypeError(
        f"random_state must be None, an int or a numpy Generator, got {type(random_state).__name__}"
    )


def check_level(ci_level: Any, name: str = "ci_level") -> float:
    """`ci_level` as a float, or ValueError unless it is a real number strictly inside (0, 1).

    Booleans are refused although Python counts them as numbers.

    Examples
    --------
    >>> check_level(0.9)
    0.9
    >>> check_level(1)
    Traceback (most recent call last):
    ...
    ValueError: ci_level must be a number strictly between 0 and 1, got 1
    """
    if isinstance(ci_level, bool) or not isinstance(ci_level, Real) or not 0 < ci_level < 1:
        raise ValueError(f"{name} must be a number strictly between 0 and 1, got {ci_level!r}")
    return float(ci_level)


def check_instance(value: Any, cls: type, name: str) -> Any:
    """`value` unchanged, or TypeError naming `name`, the expected class and the type given.

    The one check of "journeys must be a Journeys object" and the like: the class is
    passed in, so this module stays below the ones that define it.

    Examples
    --------
    >>> check_instance([1], list, "items")
    [1]
    >>> check_instance("a", list, "items")
    Traceback (most recent call last):
    ...
    TypeError: items must be a list object, got str
    """
    if not isinstance(value, cls):
        raise TypeError(f"{name} must be a {cls.__name__} object, got {type(value).__name__}")
    return value


def did_you_mean(name: Any, choices: Iterable[Any]) -> str:
    """``"; did you mean 'x'?"`` naming the closest of `choices` to `name`, or ``""``.

    Names equal but for case come first, then `difflib` matches.

    Examples
    --------
    >>> did_you_mean("Channel", ["user", "channel"]), did_you_mean("zzz", ["user"])
    ("; did you mean 'channel'?", '')
    """
    existing = [str(c) for c in choices]
    close = difflib.get_close_matches(str(name), existing, n=3, cutoff=0.6)
    close = [c for c in existing if c.lower() == str(name).lower() and c not in close] + close
    return f"; did you mean {' or '.join(map(repr, close))}?" if close else ""


def check_columns(existing: Sequence[Any], wanted: Iterable[Any], where: str) -> None:
    """Raise ValueError naming the first of `wanted` not in `existing`, with close names.

    Examples
    --------
    >>> check_columns(["user", "time"], ["user", "tme"], "events.csv")
    Traceback (most recent call last):
    ...
    ValueError: events.csv: no column 'tme'; did you mean 'time'? (columns are ['user', 'time'])
    """
    have = [str(c) for c in existing]
    present = set(existing) | set(have)
    for col in wanted:
        if col not in present:
            raise ValueError(
                f"{where}: no column {col!r}{did_you_mean(col, have)} (columns are {have[:20]}"
                f"{' ...' if len(have) > 20 else ''})"
            )
