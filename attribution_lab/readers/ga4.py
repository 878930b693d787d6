"""The Google Analytics 4 BigQuery export: one row per event, nested, to journeys.

GA4 exports one table per day, ``events_YYYYMMDD``, one row per event with nested
records. `read_ga4_export` reads such tables saved as newline-delimited JSON (as
BigQuery writes it: INT64 fields as strings; numbers are read too) or as Parquet, one
file or a glob of daily files, rows in any order, and builds journeys in three steps:

1. **Flatten.** Of every event it reads ``event_timestamp`` (microseconds, UTC),
   ``event_name``, ``user_pseudo_id``, ``user_id``, the ``ga_session_id``, ``source``,
   ``medium``, ``campaign`` and ``gclid`` entries of ``event_params`` (a repeated
   ``key`` / ``value`` record whose value is in ``string_value``, ``int_value``,
   ``float_value`` or ``double_value``), ``collected_traffic_source``,
   ``session_traffic_source_last_click`` and ``ecommerce.purchase_revenue`` /
   ``ecommerce.transaction_id``. A record or parameter that is missing is empty.
2. **Sessions and conversions.** A session is a (``user_pseudo_id``, ``ga_session_id``)
   pair, wherever its events are (a session spanning midnight is in two daily files).
   Each session is one touch, at its first event, whatever that event is (a session
   need not have a ``session_start``). Its source / medium / campaign are taken from
   the first of the *levels* `GA4_SOURCE_LEVELS` (in the order given by `sources`)
   that any of its events carries, from the session's earliest event carrying it:

   - ``collected``: ``collected_traffic_source.manual_source``, ``manual_medium``,
     ``manual_campaign_name`` (the UTM tags of the landing URL) and ``gclid``;
   - ``last_click``: ``session_traffic_source_last_click.manual_campaign.source``,
     ``.medium``, ``.campaign_name``, else ``google_ads_campaign.campaign_name``
     (a Google Ads click);
   - ``event_params``: the ``source``, ``medium``, ``campaign`` and ``gclid`` event
     parameters.

   A level counts when any of its fields is non-empty (``"(not set)"`` is empty). A
   ``gclid`` (or a Google Ads campaign) means source ``google``, medium ``cpc`` (GA4's
   auto-tagging, which overrides manual tags by default). A session without any level
   has empty source and medium: the channel rules make it Direct. The channel is the
   default GA4-style grouping of `attribution_lab.channels` (or `rules`).
   ``traffic_source`` is not read: it is the user's *first* source, the same for every
   session. GA4 fills ``session_traffic_source_last_click`` by last *non-direct* click,
   so a direct session may carry an earlier session's source there: put ``"last_click"``
   last or leave it out (``sources=("collected", "event_params")``) to see direct
   sessions as Direct even then.

   Conversions are the events named in `conversion_events` (default ``purchase``),
   valued at ``ecommerce.purchase_revenue`` (0 when it is missing, counted). A
   transaction exported more than once (the same ``ecommerce.transaction_id``) counts
   once, at its earliest event; the others are counted. With `user_id` (default), rows
   sharing a ``user_pseudo_id`` or a ``user_id`` are one person
   (`attribution_lab.events.stitch_identities`), named by its smallest ``user_id``, or
   its smallest ``user_pseudo_id`` when it has none.
3. **Journeys.** The touches and conversions, as an event log in days since 1970,
   go to `attribution_lab.events.events_to_journeys` (splitting at conversions,
   lookback, maximum length, counting what it drops). The observation end defaults to
   the export's last event.

Every row of the export is a conversion, an event of a session (folded into its touch),
or counted: ``events_without_session`` (neither a ``user_pseudo_id`` nor a
``ga_session_id``: no touch to fold into) and ``duplicate_transactions``. The rest of
what is dropped is counted by `events_to_journeys` in ``GA4Report.events``.

Equal times are ordered by the data, not by the files: the result does not depend on
the order of rows or files. `attribution_lab.sql.ga4_path_table_sql` runs the same
steps on DuckDB for exports larger than memory, and `attribution_lab.sql.ga4_bigquery_sql`
writes them as one BigQuery query.
"""

from __future__ import annotations

import glob
import json
import os
import warnings
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, fields
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from .._io import open_text
from .._validation import DataWarning
from ..events import EventsReport, events_to_journeys

__all__ = ["GA4_SOURCE_LEVELS", "GA4Report", "read_ga4_export"]

#: Where a session's source / medium / campaign may come from, in the default order.
GA4_SOURCE_LEVELS = ("collected", "last_click", "event_params")

MICROS_PER_DAY = 86_400e6
_PD_TEXT = pd.StringDtype("pyarrow", na_value=np.nan)  # pandas' str: text without objects
#: values that say nothing about where a session came from
EMPTY_VALUES = ("", "(not set)")
#: what ``str.strip`` strips (Python's whitespace), for pyarrow's ``utf8_trim``
_WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
    "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
#: top-level columns every GA4 export has; a file without them is not one
REQUIRED = ("event_timestamp", "event_name")
#: ... and of which a file must have at least one besides
TYPICAL = ("user_pseudo_id", "event_params", "event_date")
#: the fields read: output name -> path in the export
FIELDS = {
    "event_timestamp": ("event_timestamp",),
    "event_name": ("event_name",),
    "user_pseudo_id": ("user_pseudo_id",),
    "user_id": ("user_id",),
    "c_source": ("collected_traffic_source", "manual_source"),
    "c_medium": ("collected_traffic_source", "manual_medium"),
    "c_campaign": ("collected_traffic_source", "manual_campaign_name"),
    "c_gclid": ("collected_traffic_source", "gclid"),
    "l_source": ("session_traffic_source_last_click", "manual_campaign", "source"),
    "l_medium": ("session_traffic_source_last_click", "manual_campaign", "medium"),
    "l_campaign": ("session_traffic_source_last_click", "manual_campaign", "campaign_name"),
    "l_ads": ("session_traffic_source_last_click", "google_ads_campaign", "campaign_name"),
    "revenue": ("ecommerce", "purchase_revenue"),
    "transaction_id": ("ecommerce", "transaction_id"),
}
#: the event parameters read: output name -> key
PARAMS = {
    "ga_session_id": "ga_session_id",
    "p_source": "source",
    "p_medium": "medium",
    "p_campaign": "campaign",
    "p_gclid": "gclid",
}
#: per level: the (source, medium, campaign, google-click) fields
LEVEL_FIELDS = {
    "collected": ("c_source", "c_medium", "c_campaign", "c_gclid"),
    "last_click": ("l_source", "l_medium", "l_campaign", "l_ads"),
    "event_params": ("p_source", "p_medium", "p_campaign", "p_gclid"),
}


@dataclass(frozen=True, eq=False)
class GA4Report:
    """What `read_ga4_export` read, built and dropped.

    Attributes
    ----------
    files : tuple of str
        The files read, sorted.
    n_rows : int
        Events (rows) in them.
    n_sessions : int
        Sessions, each one touch handed to `events_to_journeys`.
    n_conversions : int
        Conversion events handed to it (after duplicate transactions).
    events_without_session : int
        Non-conversion events without ``user_pseudo_id`` or ``ga_session_id``: part of
        no session, so of no touch.
    duplicate_transactions : int
        Conversion events whose ``ecommerce.transaction_id`` an earlier one had.
    conversions_without_value : int
        Conversions without ``ecommerce.purchase_revenue``, valued 0 (kept).
    session_sources : dict of str to int
        Sessions by the level their source came from (`GA4_SOURCE_LEVELS`, or
        ``"none"``: Direct); ``"gclid"`` counts those of them that a Google click
        made google / cpc.
    events : EventsReport
        What `attribution_lab.events.events_to_journeys` kept and dropped of the
        touches and conversions (its ``n_events`` is their number).
    """

    files: tuple[str, ...] = ()
    n_rows: int = 0
    n_sessions: int = 0
    n_conversions: int = 0
    events_without_session: int = 0
    duplicate_transactions: int = 0
    conversions_without_value: int = 0
    session_sources: dict[str, int] = field(default_factory=dict)
    events: EventsReport = field(default_factory=EventsReport)

    @property
    def dropped(self) -> dict[str, int]:
        """The non-zero counts of everything dropped, by reason (both steps)."""
        own = {
            k: getattr(self, k)
            for k in ("events_without_session", "duplicate_transactions")
            if getattr(self, k)
        }
        return {**own, **self.events.dropped}

    def to_dict(self) -> dict[str, Any]:
        """The counts as a dict; the pipeline's under ``events_*`` names."""
        out = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "events"}
        out["files"] = list(self.files)
        out.update({f"events_{k}": v for k, v in self.events.to_dict().items()})
        return out

    def __str__(self) -> str:
        own = [
            f"{k.replace('_', ' ')} {getattr(self, k):,}"
            for k in ("events_without_session", "duplicate_transactions")
            if getattr(self, k)
        ]
        extra = ""
        if self.conversions_without_value:
            extra = f"; {self.conversions_without_value:,} conversions without revenue (value 0)"
        sources = ", ".join(f"{k} {v:,}" for k, v in self.session_sources.items() if v)
        return (
            f"ga4: {self.n_rows:,} events in {len(self.files)} file(s) -> "
            f"{self.n_sessions:,} sessions, {self.n_conversions:,} conversions; dropped: "
            f"{', '.join(own) or 'nothing'}{extra}; session sources: {sources or 'none'}\n"
            f"{self.events}"
        )


# ---------------------------------------------------------------------- files
def export_files(export: Any) -> list[str]:
    """The files of `export`: a file, a glob, a folder (its JSON and Parquet files) or a
    list of them; sorted. An empty glob or folder is an error naming it."""
    if isinstance(export, str | os.PathLike):
        items = [os.fspath(export)]
    elif (
        isinstance(export, Sequence)
        and export
        and all(isinstance(x, str | os.PathLike) for x in export)
    ):
        items = [os.fspath(x) for x in export]
    else:
        raise TypeError(
            f"export must be a path, a glob or a list of paths to GA4 export files, got {export!r}"
        )
    files: list[str] = []
    for item in items:
        if os.path.isdir(item):
            found = [
                p
                for p in glob.glob(os.path.join(glob.escape(item), "*"))
                if file_format(p, strict=False) is not None
            ]
            if not found:
                raise ValueError(f"{item}: no .json(l), .ndjson or .parquet file in this folder")
        elif glob.has_magic(item):
            found = [p for p in glob.glob(item) if os.path.isfile(p)]
            if not found:
                raise ValueError(f"{item}: no file matches")
        elif not os.path.exists(item):
            raise FileNotFoundError(f"{item}: no such file")
        else:
            found = [item]
        files.extend(found)
    return sorted(dict.fromkeys(files))


def file_format(path: str, strict: bool = True) -> str | None:
    """``"json"`` or ``"parquet"`` by the file's name (None, or ValueError if `strict`)."""
    low = path.lower().removesuffix(".gz")
    if low.endswith((".json", ".jsonl", ".ndjson")):
        return "json"
    if low.endswith((".parquet", ".pq")) and not path.lower().endswith(".gz"):
        return "parquet"
    if strict:
        raise ValueError(
            f"{path}: give GA4 export files as newline-delimited JSON (.json, .jsonl,"
            " .ndjson, optionally .gz) or Parquet (.parquet)"
        )
    return None


def _json_schema(pa: Any, int_type: Any) -> Any:
    """The pyarrow schema of the fields read from a JSON export; INT64 as `int_type`."""
    s = pa.string()
    value = pa.struct(
        [
            ("string_value", s),
            ("int_value", int_type),
            ("float_value", pa.float64()),
            ("double_value", pa.float64()),
        ]
    )
    return pa.schema(
        [
            ("event_timestamp", int_type),
            ("event_name", s),
            ("user_pseudo_id", s),
            ("user_id", s),
            ("event_params", pa.list_(pa.struct([("key", s), ("value", value)]))),
            (
                "collected_traffic_source",
                pa.struct(
                    [(f, s) for f in ("manual_source", "manual_medium", "manual_campaign_name")]
                    + [("gclid", s)]
                ),
            ),
            (
                "session_traffic_source_last_click",
                pa.struct(
                    [
                        (
                            "manual_campaign",
                            pa.struct([(f, s) for f in ("source", "medium", "campaign_name")]),
                        ),
                        ("google_ads_campaign", pa.struct([("campaign_name", s)])),
                    ]
                ),
            ),
            (
                "ecommerce",
                pa.struct([("purchase_revenue", pa.float64()), ("transaction_id", s)]),
            ),
        ]
    )


def _json_columns(path: str) -> set[str]:
    """Top-level keys of the first events of a JSON export (null fields may be left out)."""
    keys: set[str] = set()
    try:
        with open_text(path) as fh:
            n = 0
            for line in fh:
                if not line.strip():
                    continue
                row = json.loads(line)
                if not isinstance(row, dict):
                    raise ValueError(
                        f"{path}: not a GA4 BigQuery export (line {n + 1} is no object)"
                    )
                keys.update(row)
                n += 1
                if n >= 100:
                    break
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(
            f"{path}: not newline-delimited JSON ({' '.join(str(exc).split())})"
        ) from None
    if not keys:
        raise ValueError(f"{path}: no events (the file is empty)")
    return keys


def _check_columns(path: str, have: set[str]) -> None:
    missing = [c for c in REQUIRED if c not in have]
    if missing or not have & set(TYPICAL):
        what = f"no column {missing[0]!r}" if missing else f"none of the columns {list(TYPICAL)}"
        shown = ", ".join(sorted(have)[:12]) + (", ..." if len(have) > 12 else "")
        raise ValueError(f"{path}: not a GA4 BigQuery export: {what} (its columns: {shown})")


def read_table(path: str) -> Any:
    """One export file as a pyarrow Table of the columns read."""
    import pyarrow as pa

    kind = file_format(path)
    if kind == "parquet":
        import pyarrow.parquet as pq

        try:
            have = pq.read_schema(path).names
            _check_columns(path, set(have))
            # only the columns read: an export has dozens (device, geo, items, ...)
            wanted = {where[0] for where in FIELDS.values()} | {"event_params"}
            return pq.read_table(path, columns=[c for c in have if c in wanted])
        except (pa.ArrowException, OSError) as exc:
            raise ValueError(f"{path}: cannot read as Parquet ({_first_line(exc)})") from None
    import pyarrow.json as pj

    _check_columns(path, _json_columns(path))
    errors = []
    # BigQuery writes INT64 as strings; other writers as numbers
    for int_type in (pa.string(), pa.int64()):
        options = pj.ParseOptions(
            explicit_schema=_json_schema(pa, int_type), unexpected_field_behavior="ignore"
        )
        try:
            return pj.read_json(path, parse_options=options)
        except pa.ArrowInvalid as exc:
            errors.append(_first_line(exc))
    raise ValueError(f"{path}: cannot read as a GA4 export in JSON ({errors[0]})")


def _first_line(exc: Exception) -> str:
    return " ".join(str(exc).split("\n")[0].split())


def _path(table: Any, path: tuple[str, ...]) -> Any:
    """The column at `path` as one pyarrow array (nested fields through
    `pyarrow.compute.struct_field`, which keeps a null record's fields null), or None
    when the export has no such field."""
    import pyarrow.compute as pc

    if path[0] not in table.column_names:
        return None
    arr = table.column(path[0]).combine_chunks()
    for name in path[1:]:
        if arr.type.num_fields == 0 or arr.type.get_field_index(name) < 0:
            return None
        arr = pc.struct_field(arr, name)
    return arr


def _is_text(typ: Any) -> bool:
    return str(typ) in ("string", "large_string")


def _raw_text(arr: Any) -> Any:
    """`arr` as large_string (values of other types as `str` writes them; NaN null)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if pa.types.is_dictionary(arr.type):
        arr = arr.dictionary_decode()
    if pa.types.is_floating(arr.type):
        arr = pc.if_else(pc.is_nan(arr), None, arr)  # NaN is missing, as pandas sees it
    if not _is_text(arr.type):  # rare: numbers where text is expected, once per value
        enc = pc.dictionary_encode(arr)
        words = pa.array([str(v) for v in enc.dictionary.to_pylist()], pa.large_string())
        arr = words.take(enc.indices)
    return arr.cast(pa.large_string())


def _text(arr: Any, n: int) -> Any:
    """Stripped text (as ``str.strip`` strips) as a large_string pyarrow array; null for
    missing, empty or ``(not set)``."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if arr is None:
        return pa.nulls(n, pa.large_string())
    arr = pc.utf8_trim(_raw_text(arr), _WHITESPACE)
    return pc.if_else(pc.is_in(arr, pa.array(EMPTY_VALUES, pa.large_string())), None, arr)


def _numbers(arr: Any) -> np.ndarray | None:
    """float64 of an integer, float or integer-text pyarrow array (NaN for missing); None
    when some text is no plain integer (then `pandas.to_numeric` decides, as it did)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if _is_text(arr.type):
        try:
            arr = pc.cast(arr, pa.int64())
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            return None
    elif not (pa.types.is_integer(arr.type) or pa.types.is_floating(arr.type)):
        return None
    out = pc.cast(arr, pa.float64()).to_numpy(zero_copy_only=False)
    return np.asarray(out, dtype=np.float64)


def _slow_numbers(path: str, name: str, parts: list[Any], n: int, required: bool):
    """The values of `parts` (the first non-missing of each row) as numbers the way
    ``pandas.to_numeric`` reads them, refusing what it cannot read (rare inputs only)."""
    raw = np.full(n, None, dtype=object)
    for part in parts:
        vals = np.asarray(part.to_numpy(zero_copy_only=False), dtype=object)
        fill = pd.isna(raw) & ~pd.isna(vals)
        raw[fill] = vals[fill]
    num = pd.to_numeric(pd.Series(raw), errors="coerce").to_numpy(np.float64, na_value=np.nan)
    bad = (np.isnan(num) & pd.notna(raw)) | (required & pd.isna(raw))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        what = "missing" if pd.isna(raw[i]) else f"{raw[i]!r} is not an integer"
        where = "event_params ga_session_id" if name == "ga_session_id" else name
        raise ValueError(f"{path}: row {i} (line {i + 1}): {where} {what}")
    return num


def _params(table: Any, n: int) -> dict[str, list[Any]]:
    """Per parameter of `PARAMS`: the raw values of the ``string_value``, ``int_value``,
    ``double_value`` and ``float_value`` fields of its last entry in each row (pyarrow
    arrays of `n`, null where the row has none); a value is the first non-null of them."""
    import pyarrow as pa
    import pyarrow.compute as pc

    out: dict[str, list[Any]] = {name: [] for name in PARAMS}
    if "event_params" not in table.column_names or n == 0:
        return out
    lists = table.column("event_params").combine_chunks()
    if not (pa.types.is_list(lists.type) or pa.types.is_large_list(lists.type)):
        return out
    flat = pc.list_flatten(lists)
    if len(flat) == 0 or min(flat.type.get_field_index(f) for f in ("key", "value")) < 0:
        return out
    parent = pc.list_parent_indices(lists).to_numpy()
    keys = pc.struct_field(flat, "key")
    value = pc.struct_field(flat, "value")
    subs = ("string_value", "int_value", "double_value", "float_value")
    subs = [s for s in subs if value.type.get_field_index(s) >= 0]
    for name, key in PARAMS.items():
        hit = pc.fill_null(pc.equal(keys, key), False)
        idx = np.flatnonzero(hit.to_numpy(zero_copy_only=False))
        if not idx.size:
            continue
        p = parent[idx]  # entries are in row order: a row's last entry of the key wins
        last = np.append(p[1:] != p[:-1], True)
        where = np.full(n, -1, dtype=np.int64)
        where[p[last]] = idx[last]
        take = pa.array(where, mask=where < 0)
        out[name] = [pc.struct_field(value, s).take(take) for s in subs]
    return out


def flatten(table: Any, path: str) -> dict[str, Any]:
    """The fields read, one row per event of one file (see `FIELDS` and `PARAMS`): text as
    `_text` arrays, ``event_timestamp`` int64, ``ga_session_id`` and ``revenue`` float64
    (NaN when missing)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    n = table.num_rows
    out: dict[str, Any] = {}
    ts = _path(table, FIELDS["event_timestamp"])
    try:  # plain integers, as text or numbers
        fast = (
            pc.cast(ts, pa.int64()) if _is_text(ts.type) or pa.types.is_integer(ts.type) else None
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        fast = None
    if fast is not None and fast.null_count == 0:
        out["event_timestamp"] = fast.to_numpy()
    else:  # a missing or unusual time: read and refuse it as pandas does
        num = _slow_numbers(path, "event_timestamp", [ts], n, required=True)
        out["event_timestamp"] = num.astype(np.int64)
    revenue = _path(table, FIELDS["revenue"])
    num = np.full(n, np.nan) if revenue is None else _numbers(revenue)
    if num is None:
        raw = pd.Series(np.asarray(revenue.to_numpy(zero_copy_only=False), dtype=object))
        num = pd.to_numeric(raw, errors="coerce").to_numpy(np.float64, na_value=np.nan)
    out["revenue"] = num
    for name, where in FIELDS.items():
        if name not in ("event_timestamp", "revenue"):
            out[name] = _text(_path(table, where), n)
    params = _params(table, n)
    for name, parts in params.items():
        if name != "ga_session_id":
            raw = pc.coalesce(*map(_raw_text, parts)) if parts else None
            out[name] = _text(raw, n)
            continue
        nums = [_numbers(part) for part in parts]
        if any(x is None for x in nums):
            sid = _slow_numbers(path, name, parts, n, required=False)
        else:
            sid = np.full(n, np.nan)
            for x in nums:
                sid = np.where(np.isnan(sid), x, sid)
        out[name] = sid
    return out


# ---------------------------------------------------------------------- codes
class _Codes(NamedTuple):
    """A text column dictionary-encoded: `code` per row (-1 null) into `words` (pyarrow),
    and `rank` per row, whose order is the text's (code points; -1 first for null)."""

    code: np.ndarray
    words: Any
    rank: np.ndarray
    word_rank: np.ndarray  # rank of each word
    by_rank: np.ndarray  # the words' codes in rank order


def _encode(arr: Any) -> _Codes:
    import pyarrow.compute as pc

    enc = pc.dictionary_encode(arr)
    code = pc.fill_null(enc.indices, -1).to_numpy().astype(np.int64)
    order = pc.sort_indices(enc.dictionary).to_numpy()
    word_rank = np.empty(order.size + 1, dtype=np.int64)
    word_rank[order] = np.arange(order.size)
    word_rank[-1] = -1  # code -1 picks it
    return _Codes(code, enc.dictionary, word_rank[code], word_rank[:-1], order)


# ---------------------------------------------------------------------- sessions
def session_sources(
    cols: dict[str, _Codes],
    t: np.ndarray,
    in_order: np.ndarray,
    session: np.ndarray,
    n_sessions: int,
    sources: Sequence[str],
) -> tuple[dict[str, np.ndarray], np.ndarray, dict[str, int]]:
    """Source, medium and campaign of every session (codes into the texts returned, -1
    for none), from the first level of `sources` its events carry (at the earliest event
    carrying it; ties by the values); and the sessions by level.

    `in_order` are the rows of sessions ordered by (session, time, row)."""
    out = {k: np.full(n_sessions, -1, dtype=np.int64) for k in ("source", "medium", "campaign")}
    vocab: dict[str, int] = {}  # the texts met, numbered (few: each level's distinct values)

    def codes(c: _Codes, rows: np.ndarray) -> np.ndarray:
        local = [vocab.setdefault(w, len(vocab)) for w in c.words.to_pylist()]
        return np.append(np.array(local, dtype=np.int64), -1)[c.code[rows]]

    done = np.zeros(n_sessions, dtype=bool)
    gclid = np.zeros(n_sessions, dtype=bool)
    counts = {level: 0 for level in sources}
    for level in sources:
        src, med, camp, click = (cols[f] for f in LEVEL_FIELDS[level])
        carries = (src.code >= 0) | (med.code >= 0) | (camp.code >= 0) | (click.code >= 0)
        rows = in_order[carries[in_order] & ~done[session[in_order]]]
        if not rows.size:
            continue
        s, tt = session[rows], t[rows]
        tie = (s[1:] == s[:-1]) & (tt[1:] == tt[:-1])
        if tie.any():  # events at the same time: the values decide, as the docstring says
            tied = np.zeros(rows.size, dtype=bool)
            tied[1:] |= tie
            tied[:-1] |= tie
            sub = rows[tied]
            keys = (click.code[sub] >= 0, camp.rank[sub], med.rank[sub], src.rank[sub])
            rows[tied] = sub[np.lexsort((*keys, t[sub], session[sub]))]
        first = rows[np.append(True, s[1:] != s[:-1])]
        ses = session[first]
        source, medium, campaign = (codes(c, first) for c in (src, med, camp))
        hit = click.code[first] >= 0
        if level == "last_click":
            # a Google Ads campaign without a manual source and medium is a Google click
            hit &= (src.code[first] < 0) & (med.code[first] < 0)
            campaign = np.where(hit & (campaign < 0), codes(click, first), campaign)
        source[hit] = vocab.setdefault("google", len(vocab))
        medium[hit] = vocab.setdefault("cpc", len(vocab))
        out["source"][ses] = source
        out["medium"][ses] = medium
        out["campaign"][ses] = campaign
        done[ses] = True
        gclid[ses] = hit
        counts[level] = int(ses.size)
    counts["none"] = int((~done).sum())
    counts["gclid"] = int(gclid.sum())
    return out, np.array(list(vocab), dtype=object), counts


def _check_sources(sources: Any) -> tuple[str, ...]:
    if isinstance(sources, str):
        sources = (sources,)
    sources = tuple(sources)
    bad = [s for s in sources if s not in GA4_SOURCE_LEVELS]
    if bad or len(set(sources)) != len(sources):
        raise ValueError(
            f"sources must be distinct names among {list(GA4_SOURCE_LEVELS)}, got {list(sources)}"
        )
    return sources


def check_conversion_events(conversion_events: Any) -> tuple[str, ...]:
    """The conversion event names as a tuple of non-empty strings (one string is one name)."""
    if isinstance(conversion_events, str):
        conversion_events = (conversion_events,)
    if not isinstance(conversion_events, Collection) or not conversion_events:
        raise ValueError(
            f"conversion_events must name at least one event, got {conversion_events!r}"
        )
    names = tuple(conversion_events)
    if not all(isinstance(e, str) and e.strip() for e in names):
        raise ValueError(f"conversion_events must be event names, got {list(names)}")
    return tuple(dict.fromkeys(e.strip() for e in names))


def persons(pseudo: _Codes, uid: _Codes, user_id: bool) -> tuple[np.ndarray, Any]:
    """Each event's person (-1: neither id) and the persons' labels (pyarrow text): the
    ``user_pseudo_id``, or with `user_id` the smallest ``user_id`` of its stitched
    person, else its smallest ``user_pseudo_id``.

    Persons are the connected components of the identifiers (``user_pseudo_id`` s and
    ``user_id`` s, linked by the rows that carry both), numbered in order of first row
    as `attribution_lab.events.stitch_identities` numbers them."""
    import pyarrow as pa
    import pyarrow.compute as pc
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    if not user_id or not (uid.code >= 0).any():
        return pseudo.code, pseudo.words
    n_p, n_u = len(pseudo.words), len(uid.words)
    both = (pseudo.code >= 0) & (uid.code >= 0)
    pairs = np.unique(pseudo.code[both] * n_u + uid.code[both])
    graph = coo_matrix(
        (np.ones(pairs.size, dtype=np.int8), (pairs // n_u, n_p + pairs % n_u)),
        shape=(n_p + n_u, n_p + n_u),
    )
    _, component = connected_components(graph.tocsr(), directed=False)
    node = np.where(pseudo.code >= 0, pseudo.code, np.where(uid.code >= 0, n_p + uid.code, -1))
    has = node >= 0
    person = np.full(node.size, -1, dtype=np.int64)
    person[has] = pd.factorize(component[node[has]])[0]
    n_person = int(person.max()) + 1 if has.any() else 0
    # the person of every identifier seen (each is seen on a row of its person)
    node_person = np.full(n_p + n_u, -1, dtype=np.int64)
    node_person[node[has]] = person[has]
    uid_rows = uid.code[both]
    node_person[n_p + uid_rows] = person[both]
    label = np.full(n_person, -1, dtype=np.int64)  # into pseudo's words, then uid's
    for c, nodes in ((pseudo, np.arange(n_p)), (uid, n_p + np.arange(n_u))):
        owner = node_person[nodes]  # the user_id, where there is one, wins
        seen = owner >= 0
        best = np.full(n_person, np.iinfo(np.int64).max, dtype=np.int64)
        np.minimum.at(best, owner[seen], c.word_rank[np.flatnonzero(seen)])
        got = best < np.iinfo(np.int64).max
        label[got] = nodes[c.by_rank[best[got]]]
    words = pa.concat_arrays([pseudo.words, uid.words]).take(pa.array(label))
    if pc.count_distinct(words).as_py() != n_person:  # a user_id equal to another's pseudo id
        words = _join("person ", pc.cast(pa.array(np.arange(n_person)), pa.large_string()))
    return person, words


def _sort_ties(order: np.ndarray, cheap: Sequence[np.ndarray], costly: Any) -> np.ndarray:
    """`order` (a stable sort by the `cheap` keys) with each run of rows equal in all of
    them sorted stably by the keys ``costly(rows)`` returns for those rows (lexsort
    order: last key first): text keys are ranked only where they decide."""
    same = np.ones(max(order.size - 1, 0), dtype=bool)
    for key in cheap:
        k = key[order]
        same &= k[1:] == k[:-1]
    if not same.any():
        return order
    tied = np.zeros(order.size, dtype=bool)
    tied[1:] |= same
    tied[:-1] |= same
    run = np.cumsum(np.append(True, ~same))[tied]
    sub = order[tied]
    order[tied] = sub[np.lexsort((*costly(sub), run))]
    return order


def ga4_event_log(
    flat: dict[str, Any],
    conversion_events: Sequence[str],
    user_id: bool,
    sources: Sequence[str],
    files: Sequence[str],
    starts: np.ndarray,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The touches (one per session) and conversions of the flattened export `flat`
    (`read_export`), as an event log for `events_to_journeys`, ordered by (time, kind,
    key, person, value; missing first); and the counts of this step."""
    import pyarrow as pa
    import pyarrow.compute as pc

    texts = {k: _encode(v) for k, v in flat.items() if isinstance(v, pa.Array)}
    t = flat["event_timestamp"]
    sid = flat["ga_session_id"]
    pseudo = texts["user_pseudo_id"]
    person, person_words = persons(pseudo, texts["user_id"], user_id)

    def person_rank(who: np.ndarray) -> np.ndarray:  # of some persons (-1: none)
        return _encode(person_words.take(pa.array(who, mask=who < 0))).rank

    has_session = (pseudo.code >= 0) & ~np.isnan(sid)
    sid_code = pd.factorize(sid)[0]
    key = pseudo.code * (int(sid_code.max()) + 2) + sid_code
    session = np.full(t.size, -1, dtype=np.int64)
    session[has_session] = pd.factorize(key[has_session])[0]
    n_sessions = int(session.max()) + 1 if has_session.any() else 0
    rows = np.flatnonzero(has_session)
    in_order = rows[np.lexsort((t[rows], session[rows]))]  # by session, time, row
    first = in_order[np.append(True, session[in_order][1:] != session[in_order][:-1])]
    src, vocab, source_counts = session_sources(texts, t, in_order, session, n_sessions, sources)
    # the session's key, as text: user_pseudo_id.ga_session_id
    sess_key = _join(
        pseudo.words.take(pa.array(pseudo.code[first])),
        ".",
        pc.cast(pa.array(sid[first].astype(np.int64)), pa.large_string()),
    )

    names = texts["event_name"]
    is_conv = pc.fill_null(
        pc.is_in(flat["event_name"], pa.array(list(conversion_events), pa.large_string())), False
    ).to_numpy(zero_copy_only=False)
    conv = np.flatnonzero(is_conv)
    value = flat["revenue"][conv]
    neg = np.flatnonzero(value < 0)
    if neg.size:
        i = int(conv[neg[0]])
        k = int(np.searchsorted(starts, i, side="right")) - 1
        r = i - int(starts[k])
        name = names.words[int(names.code[i])].as_py()
        raise ValueError(
            f"{files[k]}: row {r} (line {r + 1}): negative ecommerce.purchase_revenue"
            f" {value[neg[0]]:g} on a {name} event (refunds are not"
            " conversions; leave them out of conversion_events)"
        )
    # a transaction exported twice counts once: its earliest event (ties by the values)
    txn = texts["transaction_id"]
    sortable = np.where(np.isnan(value), -1.0, value)  # missing first; no value is < 0
    by = _sort_ties(
        np.argsort(t[conv], kind="stable"),
        [t[conv]],
        lambda i: (sortable[i], names.rank[conv[i]], person_rank(person[conv[i]]),
                   _encode(_take(txn, conv[i])).rank),
    )  # fmt: skip
    conv = conv[by]
    seen = np.zeros(conv.size, dtype=bool)
    with_key = np.flatnonzero(txn.code[conv] >= 0)
    seen[with_key[np.unique(txn.code[conv[with_key]], return_index=True)[1]]] = True
    dup = (txn.code[conv] >= 0) & ~seen
    n_dup = int(dup.sum())
    conv = conv[~dup]
    value = flat["revenue"][conv]
    no_value = int(np.isnan(value).sum())
    value = np.where(np.isnan(value), 0.0, value)

    # the log: touches then conversions, sorted by (t, kind, key, person, value)
    n_conv = conv.size
    log_t = np.concatenate([t[first], t[conv]])
    kind = np.repeat(np.array([0, 1], dtype=np.int8), [n_sessions, n_conv])
    log_key = pa.concat_arrays([sess_key, _take(txn, conv)])
    log_person = np.concatenate([person[first], person[conv]])
    log_value = np.concatenate([np.zeros(n_sessions), value])
    order = _sort_ties(
        np.lexsort((kind, log_t)),
        [log_t, kind],
        lambda i: (
            log_value[i],
            person_rank(log_person[i]),
            _encode(log_key.take(pa.array(i))).rank,
        ),
    )
    take = pa.array(order)
    # the session in the event column: distinct sessions are never exact duplicates
    session_event = _join("session:", sess_key)
    event = pa.concat_arrays([session_event, _take(names, conv)]).take(take)
    person_text = person_words.take(pa.array(log_person, mask=log_person < 0)).take(take)
    # categorical: events_to_journeys then maps each distinct text to a channel once
    pad = np.full(n_conv, -1, dtype=np.int64)
    vocab_index = pd.Index(vocab, dtype=object)
    log = pd.DataFrame(
        {
            "person": pd.array(person_text, dtype=_PD_TEXT),
            "t": log_t[order],
            **{
                k: pd.Categorical.from_codes(np.concatenate([v, pad])[order], vocab_index)
                for k, v in src.items()
            },
            "event": pd.array(event, dtype=_PD_TEXT),
            "value": log_value[order],
            "key": pd.array(log_key.take(take), dtype=_PD_TEXT),
            "kind": kind[order],
        }
    )
    log["time"] = log["t"] / MICROS_PER_DAY
    counts = {
        "n_sessions": n_sessions,
        "n_conversions": n_conv,
        "events_without_session": int((~has_session & ~is_conv).sum()),
        "duplicate_transactions": n_dup,
        "conversions_without_value": no_value,
        "session_sources": source_counts,
        "observation_end": float(t.max()) / MICROS_PER_DAY,
    }
    return log, counts


def _join(*parts: Any) -> Any:
    """Texts joined element-wise (pyarrow large_string; `str` parts repeated)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    parts = tuple(pa.scalar(x, pa.large_string()) if isinstance(x, str) else x for x in parts)
    return pc.binary_join_element_wise(*parts, pa.scalar("", pa.large_string()))


def _take(c: _Codes, rows: np.ndarray) -> Any:
    """The texts of `c` at `rows` (pyarrow, null where missing)."""
    import pyarrow as pa

    code = c.code[rows]
    return c.words.take(pa.array(code, mask=code < 0)).cast(pa.large_string())


def read_export(files: Sequence[str]) -> tuple[dict[str, Any], np.ndarray]:
    """The flattened events of every file (`flatten`), one after the other, and the
    first row of each file."""
    import pyarrow as pa

    parts = [flatten(read_table(path), path) for path in files]
    sizes = [len(p["event_timestamp"]) for p in parts]
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
    if sum(sizes) == 0:
        raise ValueError(f"{', '.join(files)}: no events (the export has no rows)")
    flat = {}
    for name, first in parts[0].items():
        if isinstance(first, pa.Array):
            flat[name] = pa.concat_arrays([p[name] for p in parts]) if len(parts) > 1 else first
        else:
            flat[name] = np.concatenate([p[name] for p in parts])
    return flat, starts


def read_ga4_export(
    export: str | os.PathLike | Sequence[str | os.PathLike],
    *,
    conversion_events: str | Collection[str] = ("purchase",),
    user_id: bool = True,
    sources: Sequence[str] = GA4_SOURCE_LEVELS,
    rules: Any = None,
    lookback: Any = None,
    max_length: int | None = None,
    observation_end: Any = None,
    drop_unassigned: bool = False,
    return_report: bool = False,
) -> Any:
    """Journeys from a Google Analytics 4 BigQuery export (see the module docstring).

    Parameters
    ----------
    export : path, glob or list of paths
        ``events_YYYYMMDD`` tables as newline-delimited JSON (``.json``, ``.jsonl``,
        ``.ndjson``, optionally ``.gz``) or Parquet (``.parquet``): a file, a glob such
        as ``"export/events_2024*.json.gz"``, a folder, or a list of them.
    conversion_events : str or collection of str, default ("purchase",)
        Event names that are conversions.
    user_id : bool, default True
        Join the ``user_pseudo_id`` s that share a ``user_id`` into one person.
    sources : sequence of str, default `GA4_SOURCE_LEVELS`
        Where a session's source / medium / campaign comes from, first found first.
    rules : ChannelGrouping, DataFrame or path, optional
        Channel rules (default: the GA4-style table of `attribution_lab.channels`).
    lookback, max_length, drop_unassigned
        As in `attribution_lab.events.events_to_journeys` (`lookback` in days).
    observation_end : timestamp or float, optional
        End of observation: a time (UTC when naive) or days since 1970; default the
        export's last event.
    return_report : bool, default False
        Also return the `GA4Report`.

    Returns
    -------
    Journeys, or (Journeys, GA4Report)
        Times in days since 1970-01-01 UTC; ``contact`` the person's id.

    Raises
    ------
    ValueError
        A file that is not a GA4 export (naming it and what it lacks), an event without
        ``event_timestamp`` or with a negative purchase revenue (naming the file and
        row), a glob that matches nothing, an unknown source level.
    FileNotFoundError
        A file that does not exist.

    Examples
    --------
    >>> import json, os, tempfile
    >>> def event(t, name, sid, **extra):
    ...     params = [{"key": "ga_session_id", "value": {"int_value": str(sid)}}]
    ...     return {"event_timestamp": str(t * 1_000_000), "event_name": name,
    ...             "user_pseudo_id": "u1", "event_params": params, **extra}
    >>> rows = [event(100, "session_start", 1, collected_traffic_source={
    ...             "manual_source": "google", "manual_medium": "cpc"}),
    ...         event(5000, "page_view", 2),
    ...         event(5060, "purchase", 2, ecommerce={"purchase_revenue": 30.0,
    ...                                               "transaction_id": "T1"})]
    >>> path = os.path.join(tempfile.mkdtemp(), "events_20240101.json")
    >>> with open(path, "w") as fh:
    ...     _ = fh.write("\\n".join(json.dumps(r) for r in rows))
    >>> journeys, report = read_ga4_export(path, return_report=True)
    >>> journeys.to_path_table()
                       path  total_conversions  total_conversion_value  total_null
    0  Paid Search > Direct                1.0                    30.0         0.0
    >>> report.n_sessions, report.session_sources
    (2, {'collected': 1, 'last_click': 0, 'event_params': 0, 'none': 1, 'gclid': 0})
    """
    names = check_conversion_events(conversion_events)
    levels = _check_sources(sources)
    if not isinstance(user_id, bool):
        raise TypeError(f"user_id must be True or False, got {user_id!r}")
    files = export_files(export)
    for path in files:
        file_format(path)
    import pyarrow.compute as pc

    flat, starts = read_export(files)
    log, counts = ga4_event_log(flat, names, user_id, levels, files, starts)
    if counts["n_conversions"] == 0:
        seen = sorted(pc.unique(flat["event_name"]).drop_null().to_pylist())
        warnings.warn(
            f"{files[0] if len(files) == 1 else f'{len(files)} files'}: no event named"
            f" {', '.join(names)} (the export's events: {', '.join(seen[:12])}"
            f"{', ...' if len(seen) > 12 else ''}); pass conversion_events",
            DataWarning,
            stacklevel=2,
        )
    obs = counts.pop("observation_end") if observation_end is None else observation_end
    if isinstance(obs, str):
        obs = pd.Timestamp(obs)
    if isinstance(obs, pd.Timestamp | np.datetime64):
        ts = pd.Timestamp(obs)
        ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
        obs = (ts - pd.Timestamp(0, tz="UTC")) / pd.Timedelta(days=1)
    counts.pop("observation_end", None)
    journeys, events_report = events_to_journeys(
        log,
        user="person",
        time="time",
        source="source",
        medium="medium",
        campaign="campaign",
        rules=rules,
        conversion="event",
        conversion_events=names,
        value="value",
        observation_end=obs,
        lookback=lookback,
        max_length=max_length,
        drop_unassigned=drop_unassigned,
    )
    n_rows = len(flat["event_timestamp"])
    report = GA4Report(files=tuple(files), n_rows=n_rows, events=events_report, **counts)
    return (journeys, report) if return_report else journeys
