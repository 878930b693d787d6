"""Shared input checks that produce errors naming the row and column at fault."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

__all__ = ["RowNamer", "check_columns", "check_random_state", "did_you_mean", "first_bad"]

# A RowNamer turns a 0-based journey/row position into the phrase used in an error,
# e.g. "paths.csv: row 17 (line 19)" for a file (`_io.row_namer`) or "journey 17" for arrays.
RowNamer = Callable[[int], str]


def journey_namer(i: int) -> str:
    return f"journey {i}"


def first_bad(mask: np.ndarray) -> int | None:
    """Index of the first True in `mask`, or None; used to name the offending row."""
    if mask.size == 0:
        return None
    i = int(np.argmax(mask))
    return i if mask[i] else None


def check_counts(
    values: np.ndarray,
    column: str,
    name_row: RowNamer,
    *,
    allow_negative: bool = False,
) -> np.ndarray:
    """Return `values` as float64, raising ValueError on NaN, inf or negative entries."""
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"column {column!r}: expected numbers ({exc})") from None
    if arr.ndim != 1:
        raise ValueError(f"column {column!r}: expected a 1-D array, got shape {arr.shape}")
    bad = first_bad(~np.isfinite(arr))
    if bad is not None:
        raise ValueError(f"{name_row(bad)}, column {column!r}: value {arr[bad]!r} is not finite")
    if not allow_negative:
        bad = first_bad(arr < 0)
        if bad is not None:
            raise ValueError(f"{name_row(bad)}, column {column!r}: negative value {arr[bad]!r}")
    return arr


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
