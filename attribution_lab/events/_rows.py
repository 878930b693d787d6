"""Steps 1-5 of `events_to_journeys`, one row of the event log at a time.

Each function is a pure function of the frame and of arrays with one entry per row:
checking the arguments and columns, exact duplicates (step 1), persons and accounts
(step 3), conversion and milestone flags and channels (step 4), the observation end and
what each row is (step 5), and conversion values. Step 2 (times) is
`attribution_lab._times.parse_times`, shared with the touch-table reader.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from .._times import duration_days, scalar_days
from .._validation import show
from ..channels import ChannelGrouping, check_columns, field_codes


# ---------------------------------------------------------------------- identity stitching
def stitch_identities(frame: pd.DataFrame, id_columns: Sequence[str]) -> pd.Series:
    """Join identifier columns into persons: rows sharing any identifier are one person.

    Each row links the identifiers it carries (a cookie, an email, a phone number, a CRM
    id...); persons are the connected components of the graph whose nodes are the
    distinct identifiers (`scipy.sparse.csgraph.connected_components`), so links chain:
    a cookie seen with an email and a phone seen with the same email are one person.

    Parameters
    ----------
    frame : DataFrame
    id_columns : sequence of str
        Identifier columns. Values are compared exactly and within their column (the
        value ``"42"`` as a cookie and as a CRM id are different identifiers);
        normalise them first (e.g. lower-case emails). Missing values link nothing.

    Returns
    -------
    Series of int64
        Person number of every row (0, 1, ... in order of first appearance), -1 for a
        row without any identifier; named ``"person"``, with `frame`'s index.

    Examples
    --------
    >>> f = pd.DataFrame({"cookie": ["c1", "c2", "c3", None, "c4"],
    ...                   "email": [None, "a@x", "a@x", "b@x", None],
    ...                   "phone": [None, None, "555", "555", None]})
    >>> stitch_identities(f, ["cookie", "email", "phone"]).tolist()
    [0, 1, 1, 1, 2]
    """
    import scipy.sparse as sp
    from scipy.sparse.csgraph import connected_components

    if isinstance(id_columns, str):
        id_columns = [id_columns]
    if not id_columns:
        raise ValueError("id_columns must name at least one column")
    check_columns(frame, id_columns, "frame")
    n = len(frame)
    nodes = np.empty((n, len(id_columns)), dtype=np.int64)
    n_nodes = 0
    for k, col in enumerate(id_columns):
        codes, uniques = pd.factorize(frame[col])
        nodes[:, k] = np.where(codes >= 0, codes + n_nodes, -1)
        n_nodes += len(uniques)
    present = nodes >= 0
    has = present.any(axis=1)
    anchor = nodes[np.arange(n), present.argmax(axis=1)]
    r, c = np.nonzero(present)
    graph = sp.coo_matrix(
        (np.ones(r.size, dtype=np.int8), (anchor[r], nodes[r, c])), shape=(n_nodes, n_nodes)
    ).tocsr()
    _, labels = connected_components(graph, directed=False)
    person = np.full(n, -1, dtype=np.int64)
    person[has] = pd.factorize(labels[anchor[has]])[0]
    return pd.Series(person, index=frame.index, name="person")


# ---------------------------------------------------------------------- arguments and columns
@dataclass(frozen=True)
class Options:
    """The arguments of `events_to_journeys` that name columns, checked."""

    users: list[str]  # one user column, or the identifier columns stitched into persons
    utm: dict[str, str]  # UTM / referrer field -> column, when channels come from rules
    milestones: dict[str, Any]  # milestone name -> column or (column, values)
    account_col: str | None  # the account column (None: no account, or a mapping)
    lookback_days: float | None
    touch_columns: list[str]
    columns: list[str]  # every column read, in order: exact duplicates agree on all of them


def check_conversion(
    conversion: str | None, value: str | None, conversion_events: Collection[Any] | None
) -> None:
    """`value` and `conversion_events` read the conversion rows: they need `conversion`."""
    if conversion is None and (value is not None or conversion_events is not None):
        raise ValueError("value= and conversion_events= need conversion=")


def check_options(
    frame: pd.DataFrame,
    *,
    user: str | Sequence[str],
    time: str,
    channel: str | None,
    utm: Mapping[str, str | None],
    conversion: str | None,
    conversion_events: Collection[Any] | None,
    value: str | None,
    lookback: Any,
    max_length: int | None,
    milestones: Mapping[str, Any] | None,
    account: Any,
    touch_columns: Sequence[str],
) -> Options:
    """Check the arguments and that the columns they name are in `frame`, which has rows."""
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"frame must be a pandas DataFrame, got {type(frame).__name__}")
    users = [user] if isinstance(user, str) else list(user)
    touch_columns = [touch_columns] if isinstance(touch_columns, str) else list(touch_columns)
    clash = set(touch_columns) & {"journey", "position", "row", "contact"}
    if clash:
        raise ValueError(f"touch_columns: {sorted(clash)} are names report.touches uses")
    if not users or not all(isinstance(u, str) for u in users):
        raise TypeError(f"user must be a column name or a list of column names, got {user!r}")
    utm = {k: v for k, v in utm.items() if v is not None}
    if (channel is None) == (not utm):
        raise ValueError(
            "give either channel= (a column of channel names) or UTM columns"
            " (source=, medium=, campaign=, referrer=), not both or neither"
        )
    check_conversion(conversion, value, conversion_events)
    ms_spec = dict(milestones or {})
    ms_cols = []
    for key, spec in ms_spec.items():
        if not isinstance(key, str) or not key:
            raise TypeError(f"milestone names must be non-empty strings, got {key!r}")
        ms_cols.append(spec[0] if isinstance(spec, tuple) else spec)
    account_col = account if isinstance(account, str) else None
    if account is not None and account_col is None:
        if not isinstance(account, Mapping | pd.Series):
            raise TypeError(f"account must be a column name or a mapping, got {account!r}")
        if len(users) != 1:
            raise ValueError("an account mapping needs a single user column")
    if max_length is not None and (
        isinstance(max_length, bool)
        or not isinstance(max_length, int | np.integer)
        or max_length < 1
    ):
        raise ValueError(f"max_length must be a positive integer, got {show(max_length)}")
    lookback_days = None if lookback is None else duration_days(lookback, "lookback")
    used = list(
        dict.fromkeys(
            [*users, time]
            + ([channel] if channel is not None else list(utm.values()))
            + [c for c in (conversion, value, account_col) if c is not None]
            + ms_cols
            + list(touch_columns)
        )
    )
    check_columns(frame, used, "events")
    if len(frame) == 0:  # an empty file or an over-eager filter, not an empty business
        raise ValueError("events: no events (the frame has no rows)")
    return Options(users, utm, ms_spec, account_col, lookback_days, touch_columns, used)


def labels(index: pd.Index) -> np.ndarray:
    """Ids as a numpy array: numbers keep their dtype, anything else is an object array."""
    arr = np.asarray(index)
    return arr if arr.dtype.kind in "iufbM" else np.asarray(index, dtype=object)


def row_namer(frame: pd.DataFrame) -> Any:
    """``name(i)``: how messages name the row at position `i` (by its index label)."""
    labels = frame.index

    def name(i: int) -> str:
        return f"row {show(labels[i])}"

    return name


# ---------------------------------------------------------------------- 1. duplicates
def duplicates(
    frame: pd.DataFrame, used: list[str], person: np.ndarray, t: np.ndarray
) -> np.ndarray:
    """Rows equal to an earlier row in every column of `used` (``DataFrame.duplicated``).

    Exact duplicates share their person and time, so only rows whose hash of (person,
    time) repeats are compared column by column: one int64 hash table instead of
    factorising every column (4x faster on 1e7 mostly distinct events).
    """
    n = len(frame)
    if n == 0:
        return np.zeros(0, dtype=bool)
    bits = np.where(np.isnan(t), np.nan, t + 0.0).view(np.uint64)  # one NaN, no -0.0
    with np.errstate(over="ignore"):
        h = bits * np.uint64(0x9E3779B97F4A7C15) ^ person.astype(np.uint64)
    candidate = np.flatnonzero(pd.Series(h).duplicated(keep=False).to_numpy())
    dup = np.zeros(n, dtype=bool)
    if candidate.size:
        sub = frame.iloc[candidate]
        dup[candidate] = sub.duplicated(subset=used, keep="first").to_numpy()
    return dup


# ---------------------------------------------------------------------- 3. who
def persons(frame: pd.DataFrame, users: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Person number of every row (-1: none) and the persons' ids.

    One user column: its values, sorted when they can be (the ids); several: the persons
    `stitch_identities` finds (numbered 0, 1, ...).
    """
    if len(users) == 1:
        ucol = frame[users[0]]
        try:
            person, person_ids = pd.factorize(ucol, sort=True)
        except TypeError:
            person, person_ids = pd.factorize(ucol, sort=False)
        return person.astype(np.int64), labels(person_ids)
    person = stitch_identities(frame, users).to_numpy()
    return person, np.arange(int(person.max()) + 1 if person.size else 0)


class Units(NamedTuple):
    """Whose journey each row is part of (step 3)."""

    unit: np.ndarray  # unit number of every row, -1 for none
    label: np.ndarray  # the units' ids
    has_unit: np.ndarray
    missing_user: np.ndarray  # rows without a unit, by reason
    missing_account: np.ndarray


def units(
    frame: pd.DataFrame,
    person: np.ndarray,
    person_label: np.ndarray,
    dup: np.ndarray,
    account: Any,
    account_col: str | None,
    user_col: str,
) -> Units:
    """The unit of every row: its person, or with `account` (B2B) its account.

    A row without an account of its own takes its person's: the most frequent account
    among the person's rows that are not duplicates (ties to the smallest).
    """
    n_events = person.size
    if account is None:
        has_unit = person >= 0
        return Units(person, person_label, has_unit, ~has_unit, np.zeros(n_events, bool))
    acc_series = frame[account_col] if account_col is not None else frame[user_col].map(account)
    try:
        acc, acc_ids = pd.factorize(acc_series, sort=True)
    except TypeError:
        acc, acc_ids = pd.factorize(acc_series, sort=False)
    acc = acc.astype(np.int64)
    ok = (person >= 0) & (acc >= 0) & ~dup
    person_acc = np.full(len(person_label), -1, dtype=np.int64)
    if ok.any():
        pairs = pd.DataFrame({"p": person[ok], "a": acc[ok]}).value_counts().reset_index()
        pairs = pairs.sort_values(["p", "count", "a"], ascending=[True, False, True])
        pairs = pairs.drop_duplicates("p")
        person_acc[pairs["p"].to_numpy()] = pairs["a"].to_numpy()
    via_person = np.append(person_acc, -1)[person]  # person -1 picks the appended -1
    unit = np.where(acc >= 0, acc, via_person)
    has_unit = unit >= 0
    return Units(
        unit, labels(acc_ids), has_unit, ~has_unit & (person < 0), ~has_unit & (person >= 0)
    )


# ---------------------------------------------------------------------- 4. kinds of rows
def flags(
    frame: pd.DataFrame, spec: str | tuple[str, Collection[Any]], what: str, name_row: Any
) -> np.ndarray:
    """Boolean flags of a column: a boolean / 0-1 column, or (column, values) membership."""
    if isinstance(spec, tuple):
        if len(spec) != 2 or isinstance(spec[1], str):
            raise TypeError(f"{what}: give a column name or (column, collection of values)")
        col, values = spec
        return frame[col].isin(list(values)).to_numpy(dtype=bool)
    s = frame[spec]
    if pd.api.types.is_bool_dtype(s.dtype):
        return s.fillna(False).to_numpy(dtype=bool)
    if pd.api.types.is_numeric_dtype(s.dtype):
        v = s.to_numpy(dtype=np.float64, na_value=np.nan)
        bad = np.flatnonzero(~np.isnan(v) & (v != 0) & (v != 1))
        if bad.size:
            i = int(bad[0])
            raise ValueError(f"{name_row(i)}, column {spec!r}: {show(v[i])} is not a 0/1 flag")
        return v == 1
    obj = s.dropna()
    if not len(obj):  # no flag at all (e.g. a header-only file's untyped column)
        return np.zeros(len(s), dtype=bool)
    if all(isinstance(x, bool | np.bool_) for x in obj.unique()):
        return s.fillna(False).astype(bool).to_numpy()
    how = (
        "pass conversion_events= with the values that mark conversions"
        if what == "conversion"
        else f"give ({spec!r}, {{values...}}) as the {what}"
    )
    raise TypeError(
        f"column {spec!r} ({what}) must be boolean or 0/1; for an event-type column {how}"
    )


def conversion_flags(
    frame: pd.DataFrame,
    conversion: str | None,
    conversion_events: Collection[Any] | None,
    name_row: Any,
) -> np.ndarray:
    """Which rows are conversions: a boolean / 0-1 column, or one of `conversion_events`."""
    if conversion is None:
        return np.zeros(len(frame), bool)
    spec = conversion if conversion_events is None else (conversion, conversion_events)
    return flags(frame, spec, "conversion", name_row)


def milestone_flags(
    frame: pd.DataFrame, milestones: Mapping[str, Any], name_row: Any
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """The flags of each milestone, and whether a row carries any."""
    out = {k: flags(frame, s, f"milestone {k!r}", name_row) for k, s in milestones.items()}
    any_flag = np.zeros(len(frame), bool)
    for f in out.values():
        any_flag |= f
    return out, any_flag


class Channels(NamedTuple):
    """The channel of every row (step 4)."""

    code: np.ndarray  # index into `names`; -1 for none (channel column only)
    names: np.ndarray  # sorted channel names
    has_channel: np.ndarray
    unmatched: np.ndarray  # rows the channel rules leave unassigned


def channels(
    frame: pd.DataFrame,
    channel: str | None,
    utm: Mapping[str, str],
    rules: Any,
    any_flag: np.ndarray,
) -> Channels:
    """Channels from a column of names (stripped; blank is none) or UTM columns and rules.

    With UTM columns a row without any field is a direct visit, unless it carries a
    milestone flag (`any_flag`): then it is a milestone-only row.
    """
    n_events = len(frame)
    # channels as codes into sorted names, -1 for none; strings are handled once per value
    unmatched = np.zeros(n_events, bool)
    if channel is not None:
        raw_codes, raw_uniq = pd.factorize(frame[channel])
        stripped = np.array([str(u).strip() for u in raw_uniq], dtype=object)
        names_all, inv = np.unique(np.append(stripped, ""), return_inverse=True)
        code_of_raw = np.where(names_all[inv] == "", -1, inv)  # the appended "" is code -1
        chan_code = code_of_raw[raw_codes]
        return Channels(chan_code, names_all, chan_code >= 0, unmatched)
    grouping = rules if isinstance(rules, ChannelGrouping) else ChannelGrouping(rules)
    rule = grouping.match(**{k: frame[c] for k, c in utm.items()})
    rule_names = [*map(str, grouping.rules["channel"]), grouping.unassigned]
    names_all, inv = np.unique(np.array(rule_names, dtype=object), return_inverse=True)
    chan_code = inv[rule]  # rule -1 picks the appended unassigned name
    unmatched = rule < 0
    has_channel = np.zeros(n_events, bool)
    for c in utm.values():
        codes, uniq = field_codes(frame[c], n_events)
        has_channel |= (uniq != "")[codes]
    # rows without any UTM field are direct visits unless they are milestone-only rows
    has_channel |= ~any_flag
    return Channels(chan_code, names_all, has_channel, unmatched)


# ---------------------------------------------------------------------- 5. observation end
def observation_end_days(
    t: np.ndarray, alive: np.ndarray, value: Any, datetimes: bool, time_unit: str | None
) -> float:
    """The observation end in days: `value`, or the latest time of the rows `alive`."""
    if value is None:
        return float(np.max(t[alive])) if alive.any() else float("nan")
    return scalar_days(value, "observation_end", datetimes, time_unit)


class Rows(NamedTuple):
    """What each row is (step 5): boolean masks over the input rows."""

    touch: np.ndarray
    milestone: np.ndarray  # milestone-only rows
    conversion: np.ndarray
    missing_channel: np.ndarray
    late: np.ndarray  # after the observation end


def classify_rows(
    alive: np.ndarray,
    t: np.ndarray,
    obs: float,
    is_conv: np.ndarray,
    has_channel: np.ndarray,
    any_flag: np.ndarray,
    conversion_is_touch: bool,
) -> Rows:
    """Touches, milestone-only rows and conversions among the rows `alive` by `obs`."""
    late = alive & (t > obs)
    alive = alive & ~late
    return Rows(
        touch=alive & has_channel & (~is_conv | conversion_is_touch),
        milestone=alive & ~is_conv & ~has_channel & any_flag,
        conversion=alive & is_conv,
        missing_channel=alive & ~is_conv & ~has_channel & ~any_flag,
        late=late,
    )


def conversion_values(
    frame: pd.DataFrame, value: str | None, conv_row: np.ndarray, name_row: Any
) -> np.ndarray:
    """Conversion values (0 without `value`), refusing a missing, infinite or negative one
    on a conversion row; other rows' values are not read."""
    if value is None:
        return np.zeros(len(frame))
    raw = frame[value]
    vals = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    bad = np.flatnonzero(conv_row & ~np.isfinite(vals))
    if bad.size:
        i = int(bad[0])
        what = "missing" if pd.isna(raw.iloc[i]) else f"{show(raw.iloc[i])} is not a finite number"
        raise ValueError(
            f"{name_row(i)}, column {value!r}: conversion value {what}"
            " (fill it, e.g. with 0, or drop the row)"
        )
    bad = np.flatnonzero(conv_row & (vals < 0))
    if bad.size:
        i = int(bad[0])
        raise ValueError(
            f"{name_row(i)}, column {value!r}: negative conversion value {show(vals[i])}"
            " (refunds are not conversions; net them out first)"
        )
    return vals
