"""Customer journeys stored as compressed sparse rows: the one data type every model consumes."""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import cached_property
from itertools import chain, pairwise
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # pyarrow is imported where strings are split, not with the package
    import pyarrow as pa

from ._io import delimiter_doubt, read_table
from ._validation import (
    MAX_COUNT,
    MAX_VALUE,
    DataWarning,
    RowNamer,
    check_counts,
    first_bad,
    fractional_rows,
    journey_namer,
    show,
)

__all__ = ["MILESTONES", "Journeys"]

#: Milestone names understood by the W-shaped and full-path rules, in funnel order.
MILESTONES = ("lead", "opportunity", "closed_won")

# Joins path strings into one buffer in `path_strings`; names containing it take a slow path.
_ROW_END = "\x1e"


def _readonly(a: np.ndarray) -> np.ndarray:
    # A writeable array may be the caller's, who could change it under us (or be surprised
    # to find it frozen): keep a frozen copy. A read-only one is shared as it is.
    a = np.ascontiguousarray(a)
    if a.flags.writeable:
        a = a.copy()
        a.flags.writeable = False
    return a


def _freeze(*arrays: np.ndarray) -> None:
    """Mark arrays this module has just built read-only, so `Journeys` need not copy them."""
    for a in arrays:
        a.flags.writeable = False


def _frozen(a: np.ndarray) -> np.ndarray:
    _freeze(a)
    return a


def _to_days(values: Any, what: str) -> np.ndarray:
    """Convert numbers (already in days) or datetimes to float64 days since the epoch."""
    arr = np.asarray(values)
    if np.issubdtype(arr.dtype, np.datetime64):
        if np.isnat(arr).any():
            raise ValueError(
                f"{what}: missing timestamp (NaT) at position {int(np.isnat(arr).argmax())}"
            )
        return (arr - np.datetime64(0, "s")) / np.timedelta64(1, "D")
    if arr.dtype == object:
        try:
            return _to_days(pd.to_datetime(arr).to_numpy(), what)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"{what}: cannot interpret values as times ({exc})") from None
    try:
        out = arr.astype(np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{what}: expected numbers of days or datetimes ({exc})") from None
    bad = first_bad(~np.isfinite(out))
    if bad is not None:
        raise ValueError(f"{what}: value at position {bad} is not finite")
    return out


_DEDUP_SAMPLE = 4096
_DEDUP_RATIO = 0.5
# Rows below which splitting paths in threads costs more than it saves.
_PARALLEL_MIN_ROWS = 50_000


def _arrow_strings(series: pd.Series) -> pa.Array:
    import pyarrow as pa

    arr = pa.array(series.array) if isinstance(series.dtype, pd.StringDtype) else None
    if arr is None:
        arr = pa.array(series.to_numpy(dtype=object), type=pa.large_string())
    return arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr


def split_path_strings(
    paths: Sequence[Any] | np.ndarray | pd.Series,
    sep: str = ">",
    name_row: RowNamer = journey_namer,
    column: str = "path",
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Parse path strings such as ``"a > b > c"`` into CSR channel codes.

    Channel names are stripped of surrounding whitespace and numbered in sorted order.
    When a sample of the rows repeats paths (raw exports), distinct paths are found first,
    split and dictionary-encoded with Arrow compute kernels, then expanded to every row by
    a numpy gather; otherwise (aggregated tables) every row is split directly. No Python
    loop per row or per touch. `split_path_strings_reference` is the plain Python version
    the tests compare it with.

    Returns
    -------
    channels : ndarray of int32, the channel code of every touch, journey-major
    offsets : ndarray of int64 of length ``len(paths) + 1``
    names : list of str, sorted channel names

    Examples
    --------
    >>> channels, offsets, names = split_path_strings(["a > b", "c", "b>a>a"])
    >>> names, channels.tolist(), offsets.tolist()
    (['a', 'b', 'c'], [0, 1, 2, 1, 0, 0], [0, 2, 3, 6])
    """
    import pyarrow.compute as pc

    _check_sep(sep)
    series = paths if isinstance(paths, pd.Series) else pd.Series(np.asarray(paths, dtype=object))
    if series.ndim != 1:  # pragma: no cover - a Series is 1-D
        raise ValueError("paths must be one-dimensional")
    missing = first_bad(series.isna().to_numpy())
    if missing is not None:
        raise ValueError(f"{name_row(missing)}, column {column!r}: empty path")
    n = len(series)
    if n == 0:
        return np.zeros(0, np.int32), np.zeros(1, np.int64), []
    if not isinstance(series.dtype, pd.StringDtype):
        series = pd.Series(_check_path_list(series.to_numpy(dtype=object), sep, name_row, column))
    strings = _arrow_strings(series)
    # Raw exports repeat paths, aggregated tables do not: split distinct rows only when a
    # sample shows repeats, since finding them costs more than splitting all-distinct rows.
    sample = strings.slice(0, _DEDUP_SAMPLE)
    if len(pc.unique(sample)) <= _DEDUP_RATIO * len(sample):
        rows = pc.dictionary_encode(strings)
        row_codes = rows.indices.to_numpy(zero_copy_only=False).astype(np.int64)
        distinct = rows.dictionary
        first_row = np.empty(len(distinct), dtype=np.int64)
        first_row[row_codes[::-1]] = np.arange(n - 1, -1, -1)  # the last write wins: first row
    else:
        row_codes = None
        distinct = strings
        first_row = None
    codes, uniques, d_offsets = _split_encode(distinct, sep)

    def path_of(i: int) -> str:
        return distinct[i].as_py()

    d_channels, names = _name_codes(
        codes,
        uniques,
        d_offsets,
        path_of,
        lambda i: name_row(i if first_row is None else int(first_row[i])),
        column,
    )
    if row_codes is None:
        return d_channels, d_offsets, names
    lengths = np.diff(d_offsets)[row_codes]
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    gather = np.repeat(d_offsets[:-1][row_codes] - offsets[:-1], lengths) + np.arange(offsets[-1])
    return d_channels[gather], offsets, names


def _split_encode_chunk(strings: pa.Array, sep: str) -> tuple[np.ndarray, list[str], np.ndarray]:
    import pyarrow.compute as pc

    parts = pc.split_pattern(strings, sep)
    # untrimmed tokens are encoded; _name_codes strips the few distinct ones and merges them
    tokens = pc.dictionary_encode(parts.flatten())
    offsets = parts.offsets.to_numpy(zero_copy_only=False).astype(np.int64)
    offsets -= offsets[0]
    codes = tokens.indices.to_numpy(zero_copy_only=False).astype(np.int32)
    return codes, tokens.dictionary.to_pylist(), offsets


def _split_encode(strings: pa.Array, sep: str) -> tuple[np.ndarray, list[str], np.ndarray]:
    """Tokens of every string as codes into a list of (unstripped) tokens, and CSR offsets.

    Arrow's kernels run on one core but release the GIL, so large inputs are cut into
    one slice per core and split in threads; each slice's token dictionary is appended to
    the list (a token may repeat there; `_name_codes` merges equal names).
    """
    n = len(strings)
    n_chunks = min(os.cpu_count() or 1, n // _PARALLEL_MIN_ROWS)
    if n_chunks <= 1:
        return _split_encode_chunk(strings, sep)
    bounds = np.linspace(0, n, n_chunks + 1).astype(np.int64)
    slices = [strings.slice(lo, hi - lo) for lo, hi in pairwise(bounds.tolist())]
    with ThreadPoolExecutor(n_chunks) as pool:
        done = list(pool.map(_split_encode_chunk, slices, [sep] * n_chunks))
    uniques: list[str] = []
    codes, offsets = [], [np.zeros(1, np.int64)]
    touch_base = 0
    for c, u, o in done:
        codes.append(c + np.int32(len(uniques)))
        offsets.append(o[1:] + touch_base)
        uniques.extend(u)
        touch_base += int(o[-1])
    return np.concatenate(codes), uniques, np.concatenate(offsets)


def _check_sep(sep: Any) -> None:
    if not isinstance(sep, str) or sep.strip() == "":
        raise ValueError(f"sep must be a non-blank string, got {sep!r}")


def _check_path_list(paths: Any, sep: str, name_row: RowNamer, column: str) -> list[str]:
    _check_sep(sep)
    arr = np.asarray(paths, dtype=object)
    if arr.ndim != 1:
        raise ValueError(f"paths must be one-dimensional, got shape {arr.shape}")
    if arr.size and pd.api.types.infer_dtype(arr, skipna=False) != "string":
        is_str = np.fromiter((isinstance(p, str) for p in arr), dtype=bool, count=arr.size)
        i = first_bad(~is_str)
        if i is not None:
            v = arr[i]
            if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
                raise ValueError(f"{name_row(i)}, column {column!r}: empty path")
            raise TypeError(
                f"{name_row(i)}, column {column!r}: path must be a string, got {type(v).__name__}"
            )
        arr = np.array([str(p) for p in arr], dtype=object)  # str subclasses
    return arr.tolist()


def _name_codes(
    codes: np.ndarray,
    uniques: Sequence[str],
    offsets: np.ndarray,
    path_of: Callable[[int], str],
    name_row: RowNamer,
    column: str,
) -> tuple[np.ndarray, list[str]]:
    """Strip and sort the unique tokens, map codes to sorted names, reject empty tokens."""
    stripped = np.array([u.strip() for u in uniques], dtype=object)
    empty = np.flatnonzero(stripped == "")
    if empty.size:
        touch = int(np.flatnonzero(np.isin(codes, empty))[0])
        row = int(np.searchsorted(offsets, touch, side="right") - 1)
        path = path_of(row)
        what = "empty path" if path.strip() == "" else f"empty channel name in path {path!r}"
        raise ValueError(f"{name_row(row)}, column {column!r}: {what}")
    names, remap = np.unique(stripped, return_inverse=True)
    channels = remap.astype(np.int32)[codes]
    return channels, [str(x) for x in names]


def split_path_strings_reference(
    paths: Sequence[Any] | np.ndarray,
    sep: str = ">",
    name_row: RowNamer = journey_namer,
    column: str = "path",
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Slow, obviously correct version of `split_path_strings` (a Python loop per row).

    Examples
    --------
    >>> split_path_strings_reference(["a > b", "c"])[0].tolist()
    [0, 1, 2]
    """
    lst = _check_path_list(paths, sep, name_row, column)
    tokens = [t for p in lst for t in p.split(sep)]
    lengths = [p.count(sep) + 1 for p in lst]
    offsets = np.zeros(len(lst) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    codes, uniques = pd.factorize(np.asarray(tokens, dtype=object), sort=False)
    channels, names = _name_codes(codes, list(uniques), offsets, lst.__getitem__, name_row, column)
    return channels, offsets, names


class Journeys:
    """Customer journeys: the channels touched, in order, and what each journey produced.

    Touches are stored journey-major in compressed sparse row (CSR) form: the touches of
    journey ``j`` are ``channels[offsets[j]:offsets[j + 1]]``. A journey may stand for
    many customers with the same path (aggregated data): ``conversions[j]`` and
    ``nulls[j]`` count converting and non-converting customers; for raw data they are 0/1.
    Objects are immutable: arrays are read-only and methods return new objects. An input
    array that is writeable is copied (so that changing it later cannot change the
    journeys); one already read-only (``a.flags.writeable = False``, or another
    `Journeys`' array) is shared, which saves the copy for very large data.

    Parameters
    ----------
    channels : array of int, shape (n_touchpoints,)
        Channel code of every touch, journey-major, in ``range(len(channel_names))``.
    offsets : array of int, shape (n_journeys + 1,)
        CSR offsets; ``offsets[0] == 0`` and ``offsets[-1] == n_touchpoints``. Every
        journey has at least one touch.
    channel_names : sequence of str
        Distinct channel names; code ``k`` is ``channel_names[k]``.
    conversions : array of float, shape (n_journeys,)
        Conversions of each journey (count of converting customers with this path).
    nulls : array of float, optional
        Non-converting customers with this path; zeros when omitted.
    value : array of float, optional
        Conversion value (revenue) of each journey; zeros when omitted. Must be 0
        where ``conversions`` is 0.
    times : array of float or datetime64, shape (n_touchpoints,), optional
        Time of each touch, in days (any origin) or as datetimes, non-decreasing within
        a journey.
    end_time : array, shape (n_journeys,), optional
        Conversion time of converting journeys and end of observation of the others,
        not before the journey's last touch.
    account, contact : array, shape (n_journeys,), optional
        Account (B2B) and contact identifiers of each journey.
    milestones : mapping of str to bool array of shape (n_touchpoints,), optional
        Per-touch flags for funnel milestones, e.g. ``{"lead": ..., "opportunity": ...}``
        (see `MILESTONES`); the first flagged touch of a journey is where it reached the
        milestone.

    Attributes
    ----------
    n_journeys, n_channels, n_touchpoints : int
    lengths : ndarray of int64, touches per journey
    n_conversions, n_nulls, total_value : float

    See Also
    --------
    Journeys.from_paths, Journeys.from_path_table

    Examples
    --------
    >>> j = Journeys.from_paths(["A > B > C", "A > C", "B"], conversions=[3, 1, 0],
    ...                         nulls=[2, 4, 5])
    >>> j
    Journeys(n_journeys=3, n_channels=3, n_touchpoints=6, n_conversions=4, n_nulls=11)
    >>> j.channel_names
    ('A', 'B', 'C')
    >>> j.lengths.tolist()
    [3, 2, 1]
    """

    def __init__(
        self,
        channels: Any,
        offsets: Any,
        channel_names: Sequence[str],
        conversions: Any,
        nulls: Any = None,
        value: Any = None,
        *,
        times: Any = None,
        end_time: Any = None,
        account: Any = None,
        contact: Any = None,
        milestones: Mapping[str, Any] | None = None,
        _name_row: RowNamer = journey_namer,
    ) -> None:
        names = tuple(channel_names)
        for k, nm in enumerate(names):
            if not isinstance(nm, str) or nm == "":
                raise TypeError(f"channel_names[{k}] must be a non-empty string, got {nm!r}")
        if len(set(names)) != len(names):
            dup = pd.Index(names)[pd.Index(names).duplicated()][0]
            raise ValueError(f"channel_names: duplicate channel {dup!r}")
        offsets = np.asarray(offsets)
        if offsets.ndim != 1 or offsets.size == 0 or not np.issubdtype(offsets.dtype, np.integer):
            raise TypeError("offsets must be a non-empty 1-D integer array")
        offsets = offsets.astype(np.int64, copy=False)
        channels = np.asarray(channels)
        if channels.ndim != 1 or (channels.size and not np.issubdtype(channels.dtype, np.integer)):
            raise TypeError("channels must be a 1-D integer array")
        channels = channels.astype(np.int32, copy=False)
        if offsets[0] != 0 or offsets[-1] != channels.size:
            raise ValueError(
                f"offsets must start at 0 and end at len(channels)={channels.size}, "
                f"got {offsets[0]} and {offsets[-1]}"
            )
        lengths = np.diff(offsets)
        bad = first_bad(lengths <= 0) if lengths.size and lengths.min() <= 0 else None
        if bad is not None:
            raise ValueError(f"{_name_row(bad)}: empty journey (no touches)")
        in_range = channels.size == 0 or (channels.min() >= 0 and channels.max() < len(names))
        bad = None if in_range else first_bad((channels < 0) | (channels >= len(names)))
        if bad is not None:
            raise ValueError(
                f"channels[{bad}] = {channels[bad]} is not a code in range({len(names)})"
            )
        n = lengths.size
        conv = check_counts(conversions, "conversions", _name_row, max_total=MAX_COUNT)
        nul = (
            np.zeros(n)
            if nulls is None
            else check_counts(nulls, "nulls", _name_row, max_total=MAX_COUNT)
        )
        val = (
            np.zeros(n)
            if value is None
            else check_counts(value, "value", _name_row, max_total=MAX_VALUE)
        )
        for nm, a in (("conversions", conv), ("nulls", nul), ("value", val)):
            if a.shape != (n,):
                raise ValueError(f"{nm} has {a.shape[0]} entries for {n} journeys")
        bad = first_bad((conv == 0) & (nul == 0))
        if bad is not None:
            raise ValueError(
                f"{_name_row(bad)}: conversions and nulls are both 0 (a journey must count "
                "at least one customer)"
            )
        bad = first_bad((val != 0) & (conv == 0))
        if bad is not None:
            raise ValueError(f"{_name_row(bad)}: value {show(val[bad])} without conversions")

        self.channels = _readonly(channels)
        self.offsets = _readonly(offsets)
        self.channel_names = names
        self.conversions = _readonly(conv)
        self.nulls = _readonly(nul)
        self.value = _readonly(val)
        self.times = None
        self.end_time = None
        if times is not None:
            t = _to_days(times, "times")
            if t.shape != channels.shape:
                raise ValueError(f"times has {t.shape[0]} entries for {channels.size} touches")
            back = np.flatnonzero(np.diff(t) < 0)
            # a decrease across a journey boundary is allowed
            back = back[~np.isin(back + 1, offsets)]
            if back.size:
                row = int(np.searchsorted(offsets, back[0], side="right") - 1)
                raise ValueError(f"{_name_row(row)}: touch times are not in time order")
            self.times = _readonly(t)
        if end_time is not None:
            e = _to_days(end_time, "end_time")
            if e.shape != (n,):
                raise ValueError(f"end_time has {e.shape[0]} entries for {n} journeys")
            if self.times is not None:
                bad = first_bad(e < self.times[offsets[1:] - 1])
                if bad is not None:
                    raise ValueError(f"{_name_row(bad)}: end_time is before the last touch")
            self.end_time = _readonly(e)
        self.account = None if account is None else _readonly(self._per_journey(account, "account"))
        self.contact = None if contact is None else _readonly(self._per_journey(contact, "contact"))
        ms: dict[str, np.ndarray] = {}
        for key, flags in (milestones or {}).items():
            f = np.asarray(flags)
            if f.dtype != bool:
                raise TypeError(f"milestones[{key!r}] must be a boolean array")
            if f.shape != channels.shape:
                raise ValueError(
                    f"milestones[{key!r}] has {f.shape[0]} entries for {channels.size} touches"
                )
            ms[str(key)] = _readonly(f)
        self.milestones: Mapping[str, np.ndarray] = ms

    def _per_journey(self, a: Any, what: str) -> np.ndarray:
        arr = np.asarray(a)
        if arr.shape != (self.n_journeys,):
            raise ValueError(f"{what} has shape {arr.shape}; expected ({self.n_journeys},)")
        return arr

    # ------------------------------------------------------------------ constructors
    @classmethod
    def from_paths(
        cls,
        paths: Sequence[str] | Sequence[Sequence[str]],
        conversions: Any,
        nulls: Any = None,
        values: Any = None,
        sep: str = ">",
        *,
        times: Any = None,
        end_time: Any = None,
    ) -> Journeys:
        """Build journeys from path strings (``"a > b"``) or sequences of channel names.

        Parameters
        ----------
        paths : sequence of str or of sequences of str
            One path per journey. Strings are split at `sep` and channel names stripped of
            whitespace.
        conversions, nulls, values : array-like, shape (n_journeys,)
            Conversions, non-conversions (default 0) and conversion value (default 0).
        sep : str, default ">"
        times : sequence of sequences, or flat array of shape (n_touchpoints,), optional
            Touch times in days or as datetimes.
        end_time : array-like, shape (n_journeys,), optional

        Examples
        --------
        >>> j = Journeys.from_paths([["x", "y"], ["y"]], conversions=[1, 0], nulls=[0, 1],
        ...                         times=[[0.0, 2.5], [1.0]], end_time=[3.0, 10.0])
        >>> j.times.tolist(), j.end_time.tolist()
        ([0.0, 2.5, 1.0], [3.0, 10.0])
        """
        paths_list = list(paths)
        if paths_list and all(isinstance(p, str) for p in paths_list):
            channels, offsets, names = split_path_strings(paths_list, sep)
        else:
            for i, p in enumerate(paths_list):
                if isinstance(p, str) or not isinstance(p, Sequence | np.ndarray):
                    raise TypeError(
                        f"journey {i}: paths must be all strings or all sequences of channel "
                        f"names, got {type(p).__name__}"
                    )
                if len(p) == 0:
                    raise ValueError(f"journey {i}: empty path")
            lengths = np.fromiter((len(p) for p in paths_list), np.int64, len(paths_list))
            flat = np.asarray(list(chain.from_iterable(paths_list)), dtype=object)
            bad = first_bad(
                np.fromiter(
                    (not isinstance(c, str) or c.strip() == "" for c in flat), bool, flat.size
                )
            )
            if bad is not None:
                row = int(np.searchsorted(np.cumsum(lengths), bad, side="right"))
                raise ValueError(
                    f"journey {row}: channel name {flat[bad]!r} is not a non-empty string"
                )
            flat = np.array([c.strip() for c in flat], dtype=object)
            uniq, codes = np.unique(flat, return_inverse=True)
            channels, names = codes.astype(np.int32), [str(u) for u in uniq]
            offsets = np.concatenate([[0], np.cumsum(lengths)])
        if times is not None and not isinstance(times, np.ndarray):
            times_list = list(times)
            if (
                times_list
                and isinstance(times_list[0], Sequence | np.ndarray)
                and not isinstance(times_list[0], str)
            ):
                if len(times_list) != len(paths_list):
                    raise ValueError(
                        f"times has {len(times_list)} journeys, paths {len(paths_list)}"
                    )
                for i, (t, lo, hi) in enumerate(
                    zip(times_list, offsets[:-1], offsets[1:], strict=True)
                ):
                    if len(t) != hi - lo:
                        raise ValueError(f"journey {i}: {len(t)} times for {hi - lo} touches")
                times = np.concatenate([np.asarray(t) for t in times_list]) if times_list else []
        return cls(
            channels, offsets, names, conversions, nulls, values, times=times, end_time=end_time
        )

    @classmethod
    def from_path_table(
        cls,
        table: pd.DataFrame | str | os.PathLike,
        path: str = "path",
        conversions: str = "total_conversions",
        nulls: str | None = "total_null",
        value: str | None = "total_conversion_value",
        sep: str = ">",
        *,
        delimiter: str | None = None,
        _name_row: RowNamer | None = None,
    ) -> Journeys:
        """Read a path table in ChannelAttribution's format.

        One row per path: the path string, its conversions, its conversion value and its
        non-conversions (``path;total_conversions;total_conversion_value;total_null``).
        Rows are kept as they are (call `aggregate` to merge repeated paths).

        Parameters
        ----------
        table : DataFrame or path to a CSV file (optionally ``.gz``)
        path, conversions, nulls, value : str
            Column names. Pass ``nulls=None`` or ``value=None`` when the table has no such
            column (then they are 0).
        sep : str, default ">"
            Separator between channels inside a path; surrounding spaces are stripped.
        delimiter : str, optional
            CSV field delimiter; by default detected from the header line (``;``, ``,``,
            tab or ``|``).

        Raises
        ------
        ValueError
            On a missing column, an empty path or channel name, a count that is missing,
            not a number, infinite or negative, a row whose conversions and nulls are both
            0, or a value without conversions; the message names the row (and for files
            the line) and the column.

        Examples
        --------
        >>> import pandas as pd
        >>> t = pd.DataFrame({"path": ["A > B", "B"], "total_conversions": [1, 0],
        ...                   "total_conversion_value": [9.5, 0], "total_null": [3, 2]})
        >>> j = Journeys.from_path_table(t)
        >>> j.n_conversions, j.total_value, j.n_nulls
        (1.0, 9.5, 5.0)
        """
        if isinstance(table, pd.DataFrame) and _name_row is not None:
            # a frame read from a file by a caller (read_path_table), whose rows it names
            frame, source, name_row = table, "table", _name_row
        elif isinstance(table, pd.DataFrame):
            frame = table
            source = "table"
            labels = frame.index

            def name_row(i: int) -> str:
                return f"{source}: row {show(labels[i])}"

        elif isinstance(table, str | os.PathLike):
            # a channel may well be called "NA" or "null": only empty counts are missing
            frame, source, name_row = read_table(
                table,
                delimiter=delimiter,
                na_values={c: [""] for c in (conversions, nulls, value) if c},
            )
        else:
            raise TypeError(
                "table must be a pandas DataFrame or a path to a CSV file, "
                f"got {type(table).__name__}"
            )
        for role, col in (
            ("path", path),
            ("conversions", conversions),
            ("nulls", nulls),
            ("value", value),
        ):
            if col is not None and col not in frame.columns:
                doubt = delimiter_doubt(frame.columns)
                raise ValueError(
                    f"{source}: missing {role} column {col!r}; columns are {list(frame.columns)}"
                    + (
                        f" (pass {role}=None if the table has none)"
                        if role in ("nulls", "value") and not doubt
                        else ""
                    )
                    + doubt
                )
        if len(frame) == 0:
            raise ValueError(f"{source}: no rows (a header line only): no journeys to read")

        def numeric(col: str, max_total: float) -> np.ndarray:
            raw = frame[col]
            num = pd.to_numeric(raw, errors="coerce")
            bad = first_bad((num.isna() & raw.notna()).to_numpy())
            if bad is not None:
                raise ValueError(
                    f"{name_row(bad)}, column {col!r}: {raw.iloc[bad]!r} is not a number"
                )
            bad = first_bad(num.isna().to_numpy())
            if bad is not None:
                raise ValueError(f"{name_row(bad)}, column {col!r}: missing value")
            return check_counts(num.to_numpy(dtype=np.float64), col, name_row, max_total=max_total)

        conv = numeric(conversions, MAX_COUNT)
        nul = numeric(nulls, MAX_COUNT) if nulls is not None else None
        val = numeric(value, MAX_VALUE) if value is not None else None
        for col, counts in ((conversions, conv), (nulls, nul)):
            rows = fractional_rows(counts) if counts is not None else ()
            if len(rows):
                warnings.warn(
                    f"{name_row(int(rows[0]))}, column {col!r}: {show(counts[rows[0]])} is not a"
                    f" whole number; {len(rows):,} fractional counts in the column are read as"
                    " weights (a customer bootstrap refuses them)",
                    DataWarning,
                    stacklevel=2,
                )
        if nul is not None:
            bad = first_bad((conv == 0) & (nul == 0))
            if bad is not None:
                raise ValueError(
                    f"{name_row(bad)}, columns {conversions!r} and {nulls!r}: both are 0"
                )
        else:
            bad = first_bad(conv == 0)
            if bad is not None:
                raise ValueError(
                    f"{name_row(bad)}, column {conversions!r}: 0 conversions and no nulls column"
                )
        if val is not None:
            bad = first_bad((val != 0) & (conv == 0))
            if bad is not None:
                raise ValueError(
                    f"{name_row(bad)}, column {value!r}: value {show(val[bad])} without conversions"
                )
        channels, offsets, names = split_path_strings(frame[path], sep, name_row, path)
        _freeze(channels, offsets)
        if frame is not table:  # our own parse: nothing else holds these arrays
            _freeze(*(a for a in (conv, nul, val) if a is not None))
        return cls(channels, offsets, names, conv, nul, val, _name_row=name_row)

    @classmethod
    def from_events(
        cls,
        frame: pd.DataFrame,
        user: str | Sequence[str],
        time: str,
        channel: str | None = None,
        *,
        return_report: bool = False,
        **options: Any,
    ) -> Journeys | tuple[Journeys, Any]:
        """Build journeys from a touchpoint event log (one row per touch or conversion).

        A thin wrapper of `attribution_lab.events.events_to_journeys`, which documents
        the options (UTM columns and channel rules, conversions, value, observation end,
        lookback, maximum length, milestones, identity stitching, B2B accounts) and the
        exact rules. What is dropped is counted in an `attribution_lab.events.EventsReport`,
        logged at INFO level and returned with ``return_report=True``.

        See Also
        --------
        attribution_lab.events.events_to_journeys, attribution_lab.channels.group_channels

        Examples
        --------
        >>> ev = pd.DataFrame({"user": [1, 1, 1], "time": [0.0, 2.0, 3.0],
        ...                    "channel": ["a", "b", None], "buy": [False, False, True]})
        >>> Journeys.from_events(ev, "user", "time", "channel", conversion="buy").path_strings()
        array(['a > b'], dtype=object)
        """
        from .events import events_to_journeys

        journeys, report = events_to_journeys(
            frame, user=user, time=time, channel=channel, **options
        )
        return (journeys, report) if return_report else journeys

    # ------------------------------------------------------------------ sizes and views
    @property
    def n_journeys(self) -> int:
        return self.offsets.size - 1

    @property
    def n_channels(self) -> int:
        return len(self.channel_names)

    @property
    def n_touchpoints(self) -> int:
        return self.channels.size

    @cached_property
    def lengths(self) -> np.ndarray:
        """Touches per journey."""
        return _frozen(np.diff(self.offsets))

    @property
    def n_conversions(self) -> float:
        return float(self.conversions.sum())

    @property
    def n_nulls(self) -> float:
        return float(self.nulls.sum())

    @property
    def total_value(self) -> float:
        return float(self.value.sum())

    @property
    def has_times(self) -> bool:
        return self.times is not None

    @cached_property
    def journey_index(self) -> np.ndarray:
        """The journey of every touch (length n_touchpoints)."""
        return _frozen(np.repeat(np.arange(self.n_journeys, dtype=np.int64), self.lengths))

    @cached_property
    def positions(self) -> np.ndarray:
        """Position of every touch within its journey, 0 for the first touch."""
        return _frozen(
            np.arange(self.n_touchpoints, dtype=np.int64) - self.offsets[self.journey_index]
        )

    def milestone_position(self, name: str) -> np.ndarray:
        """Position of the first touch of each journey flagged with milestone `name`, else -1.

        Examples
        --------
        >>> j = Journeys([0, 1, 1, 0], [0, 3, 4], ["a", "b"], [1, 1],
        ...              milestones={"lead": [False, True, True, False]})
        >>> j.milestone_position("lead").tolist()
        [1, -1]
        """
        flags = self.milestones.get(name)
        out = np.full(self.n_journeys, -1, dtype=np.int64)
        if flags is None:
            return out
        idx = np.flatnonzero(flags)
        if idx.size:
            jid = self.journey_index[idx]
            # idx is sorted, so the first occurrence of each journey is its first flagged touch
            first = np.unique(jid, return_index=True)[1]
            out[jid[first]] = self.positions[idx[first]]
        return out

    def __len__(self) -> int:
        return self.n_journeys

    def __repr__(self) -> str:
        def num(x: float) -> str:
            return f"{x:g}" if x != int(x) else str(int(x))

        extra = ", times" if self.has_times else ""
        return (
            f"Journeys(n_journeys={self.n_journeys}, n_channels={self.n_channels}, "
            f"n_touchpoints={self.n_touchpoints}, n_conversions={num(self.n_conversions)}, "
            f"n_nulls={num(self.n_nulls)}{extra})"
        )

    def _repr_html_(self) -> str:
        head = self.subset(np.arange(min(self.n_journeys, 10))).to_path_table()
        return (
            f"<p><b>Journeys</b>: {self.n_journeys:,} journeys, {self.n_channels} channels, "
            f"{self.n_touchpoints:,} touches, {self.n_conversions:,.6g} conversions, "
            f"{self.n_nulls:,.6g} nulls, value {self.total_value:,.6g}"
            f"{', with touch times' if self.has_times else ''}</p>" + head.to_html(index=False)
        )

    # ------------------------------------------------------------------ transformations
    def subset(self, mask: Any) -> Journeys:
        """Journeys selected by a boolean mask or an array of indices (channel names kept).

        Examples
        --------
        >>> j = Journeys.from_paths(["a > b", "b", "a"], conversions=[1, 1, 0], nulls=[0, 0, 1])
        >>> j.subset([True, False, True]).lengths.tolist()
        [2, 1]
        """
        sel = np.asarray(mask)
        if sel.dtype == bool:
            if sel.shape != (self.n_journeys,):
                raise ValueError(f"mask has shape {sel.shape}; expected ({self.n_journeys},)")
            sel = np.flatnonzero(sel)
        elif sel.size == 0:
            sel = sel.astype(np.int64)
        elif not np.issubdtype(sel.dtype, np.integer):
            raise TypeError("mask must be a boolean mask or an array of integer indices")
        sel = np.where(sel < 0, sel + self.n_journeys, sel)
        bad = first_bad((sel < 0) | (sel >= self.n_journeys))
        if bad is not None:
            raise IndexError(
                f"journey index {sel[bad]} out of range for {self.n_journeys} journeys"
            )
        lengths = self.lengths[sel]
        offsets = np.zeros(sel.size + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        touch = np.repeat(self.offsets[sel] - offsets[:-1], lengths) + np.arange(offsets[-1])

        def pick(a: np.ndarray | None, idx: np.ndarray) -> np.ndarray | None:
            return None if a is None else a[idx]

        return Journeys(
            self.channels[touch],
            offsets,
            self.channel_names,
            self.conversions[sel],
            self.nulls[sel],
            self.value[sel],
            times=pick(self.times, touch),
            end_time=pick(self.end_time, sel),
            account=pick(self.account, sel),
            contact=pick(self.contact, sel),
            milestones={k: v[touch] for k, v in self.milestones.items()},
        )

    def _path_groups(self) -> tuple[np.ndarray, np.ndarray]:
        """Group id of every journey (identical paths and milestone flags share one), in
        order of first appearance, and the first journey of every group.

        Paths are hashed with two polynomial hashes modulo 2**64, mixed with their length
        into one key that a hash table groups in linear time; groups are then verified
        touch by touch, so a collision cannot merge different paths (it falls back to
        exact grouping).
        """
        n = self.n_journeys
        if n == 0:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        code = self.channels.astype(np.uint64) + np.uint64(1)
        for k, name in enumerate(sorted(self.milestones)):
            code = code + (self.milestones[name].astype(np.uint64) << np.uint64(32 + k))
        maxlen = int(self.lengths.max())
        pos = self.positions
        key = self.lengths.astype(np.uint64) * np.uint64(0xFF51AFD7ED558CCD)
        with np.errstate(over="ignore"):
            for base in (np.uint64(0x9E3779B97F4A7C15), np.uint64(0xC2B2AE3D27D4EB4F)):
                powers = np.cumprod(np.full(maxlen, base, dtype=np.uint64))
                h = np.add.reduceat(code * powers[pos], self.offsets[:-1])
                key = (key ^ h) * np.uint64(0x94D049BB133111EB)
        # fold the high bits down: a multiplication leaves them the only well-mixed ones
        # and a hash table indexes by the low ones
        key ^= key >> np.uint64(31)
        groups = pd.factorize(key)[0].astype(np.int64, copy=False)
        first = np.empty(int(groups.max()) + 1, dtype=np.int64)
        first[groups[::-1]] = np.arange(n - 1, -1, -1)  # the last write wins: the first
        rep = first[groups]
        same = np.array_equal(self.lengths, self.lengths[rep]) and np.array_equal(
            code, code[self.offsets[rep][self.journey_index] + pos]
        )
        if not same:  # a 64-bit collision (tests force one)
            exact: dict[tuple[int, ...], int] = {}
            groups = np.array(
                [
                    exact.setdefault(tuple(code[a:b].tolist()), len(exact))
                    for a, b in zip(self.offsets[:-1], self.offsets[1:], strict=True)
                ],
                dtype=np.int64,
            )
            first = np.empty(len(exact), dtype=np.int64)
            first[groups[::-1]] = np.arange(n - 1, -1, -1)
        return groups, first

    def aggregate(self, *, return_inverse: bool = False) -> Journeys | tuple[Journeys, np.ndarray]:
        """Merge journeys with identical paths (and identical milestone flags).

        Conversions, nulls and value are summed; groups keep the order of their first
        journey. Per-journey times, end times, accounts and contacts differ between the
        merged journeys and are dropped.

        Parameters
        ----------
        return_inverse : bool, default False
            Also return, for every input journey, the index of its merged journey.

        Examples
        --------
        >>> j = Journeys.from_paths(["a > b", "b", "a>b"], conversions=[1, 0, 2], nulls=[0, 1, 1])
        >>> agg = j.aggregate()
        >>> agg.to_path_table()
            path  total_conversions  total_conversion_value  total_null
        0  a > b                3.0                     0.0         1.0
        1      b                0.0                     0.0         1.0
        """
        # groups are numbered in order of first appearance, so they are the inverse
        inverse, reps = self._path_groups()
        n_groups = reps.size
        out = self.subset(reps)
        merged = Journeys(
            out.channels,
            out.offsets,
            self.channel_names,
            np.bincount(inverse, self.conversions, n_groups),
            np.bincount(inverse, self.nulls, n_groups),
            np.bincount(inverse, self.value, n_groups),
            milestones=out.milestones,
        )
        return (merged, inverse) if return_inverse else merged

    def path_strings(self, sep: str = " > ") -> np.ndarray:
        """Path of every journey as a string, built without a Python loop per journey.

        Examples
        --------
        >>> Journeys.from_paths(["a>b", "c"], conversions=[1, 1]).path_strings().tolist()
        ['a > b', 'c']
        """
        if self.n_journeys == 0:
            return np.zeros(0, dtype=object)
        if any(_ROW_END in nm for nm in self.channel_names):  # pragma: no cover
            names = np.asarray(self.channel_names, dtype=object)
            return np.array(
                [
                    sep.join(names[self.channels[a:b]])
                    for a, b in zip(self.offsets[:-1], self.offsets[1:], strict=True)
                ],
                dtype=object,
            )
        pieces = np.empty(2 * self.n_touchpoints, dtype=object)
        pieces[0::2] = np.asarray(self.channel_names, dtype=object)[self.channels]
        pieces[1::2] = sep
        pieces[2 * self.offsets[1:] - 1] = _ROW_END
        return np.array("".join(pieces.tolist()).split(_ROW_END)[:-1], dtype=object)

    def to_path_table(self, sep: str = " > ") -> pd.DataFrame:
        """The journeys as a ChannelAttribution path table (one row per journey).

        Columns: ``path``, ``total_conversions``, ``total_conversion_value``, ``total_null``.
        """
        return pd.DataFrame(
            {
                "path": self.path_strings(sep),
                "total_conversions": np.asarray(self.conversions),
                "total_conversion_value": np.asarray(self.value),
                "total_null": np.asarray(self.nulls),
            }
        )
