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
from typing import Any

import numpy as np
import pandas as pd

from .._io import open_text
from .._validation import DataWarning
from ..events import EventsReport, events_to_journeys, stitch_identities

__all__ = ["GA4_SOURCE_LEVELS", "GA4Report", "read_ga4_export"]

#: Where a session's source / medium / campaign may come from, in the default order.
GA4_SOURCE_LEVELS = ("collected", "last_click", "event_params")

MICROS_PER_DAY = 86_400e6
#: values that say nothing about where a session came from
EMPTY_VALUES = ("", "(not set)")
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
_INT_FIELDS = {"event_timestamp", "ga_session_id"}
_FLOAT_FIELDS = {"revenue"}


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
    """One export file as a pyarrow Table (JSON: the fields read; Parquet: every column)."""
    import pyarrow as pa

    kind = file_format(path)
    if kind == "parquet":
        import pyarrow.parquet as pq

        try:
            table = pq.read_table(path)
        except (pa.ArrowException, OSError) as exc:
            raise ValueError(f"{path}: cannot read as Parquet ({_first_line(exc)})") from None
        _check_columns(path, set(table.column_names))
        return table
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
    """The column at `path` (nested fields through `pyarrow.compute.struct_field`, which
    keeps a null record's fields null), or None when the export has no such field."""
    import pyarrow.compute as pc

    if path[0] not in table.column_names:
        return None
    arr = table.column(path[0])
    for name in path[1:]:
        if arr.type.num_fields == 0 or arr.type.get_field_index(name) < 0:
            return None
        arr = pc.struct_field(arr, name)
    return arr


def _params(table: Any, n: int) -> dict[str, np.ndarray]:
    """The event parameters of `PARAMS` per row (the last entry of a repeated key)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    out = {name: np.full(n, None, dtype=object) for name in PARAMS}
    if "event_params" not in table.column_names or n == 0:
        return out
    params = table.column("event_params")
    if not (pa.types.is_list(params.type) or pa.types.is_large_list(params.type)):
        return out
    offset = 0
    for chunk in params.chunks:
        flat = pc.list_flatten(chunk)
        parent = pc.list_parent_indices(chunk).to_numpy() + offset
        offset += len(chunk)
        if len(flat) == 0:
            continue
        keys = pc.struct_field(flat, "key")
        value = pc.struct_field(flat, "value")
        for name, key in PARAMS.items():
            hit = pc.fill_null(pc.equal(keys, key), False).to_numpy(zero_copy_only=False)
            idx = np.flatnonzero(hit)
            if not idx.size:
                continue
            val = value.take(pa.array(idx))
            got = np.full(idx.size, None, dtype=object)
            # a value is in one of the four fields; read the others' in turn where empty
            for sub in ("string_value", "int_value", "double_value", "float_value"):
                if val.type.get_field_index(sub) < 0:
                    continue
                part = pc.struct_field(val, sub).to_numpy(zero_copy_only=False)
                part = np.asarray(part, dtype=object)
                fill = pd.isna(got) & ~pd.isna(part)
                got[fill] = part[fill]
            out[name][parent[idx]] = got  # later entries overwrite earlier ones
    return out


def _strings(arr: Any, n: int) -> np.ndarray:
    """Object array of stripped strings, None for missing or empty / ``(not set)``."""
    if arr is None:
        return np.full(n, None, dtype=object)
    s = pd.Series(np.asarray(arr, dtype=object)).astype(object)
    s = s.where(s.notna(), None)
    codes, uniq = pd.factorize(s)
    clean = np.array(
        [None if str(u).strip() in EMPTY_VALUES else str(u).strip() for u in uniq] + [None],
        dtype=object,
    )
    return clean[codes]  # code -1 picks the appended None


def flatten(table: Any, path: str) -> pd.DataFrame:
    """The fields read, one row per event of one file (see `FIELDS` and `PARAMS`)."""
    n = table.num_rows
    cols: dict[str, Any] = {}
    for name, where in FIELDS.items():
        arr = _path(table, where)
        cols[name] = None if arr is None else arr.to_numpy(zero_copy_only=False)
    cols.update(_params(table, n))
    out: dict[str, Any] = {}
    name_row = f"{path}: row {{}} (line {{}})"
    for name, arr in cols.items():
        if name in _INT_FIELDS:
            raw = pd.Series(np.full(n, None, dtype=object) if arr is None else arr)
            num = pd.to_numeric(raw, errors="coerce")
            bad = num.isna() & raw.notna()
            if name == "event_timestamp":
                bad |= raw.isna()
            if bad.any():
                i = int(np.flatnonzero(bad.to_numpy())[0])
                what = "missing" if pd.isna(raw.iloc[i]) else f"{raw.iloc[i]!r} is not an integer"
                where = "event_params ga_session_id" if name == "ga_session_id" else name
                raise ValueError(f"{name_row.format(i, i + 1)}: {where} {what}")
            out[name] = num.to_numpy(dtype=np.float64, na_value=np.nan)
        elif name in _FLOAT_FIELDS:
            raw = pd.Series(np.full(n, None, dtype=object) if arr is None else arr)
            out[name] = pd.to_numeric(raw, errors="coerce").to_numpy(np.float64, na_value=np.nan)
        else:
            out[name] = _strings(arr, n)
    frame = pd.DataFrame(out)
    # integers above 2**53 do not survive float64: microsecond times and session ids do
    frame["event_timestamp"] = frame["event_timestamp"].astype(np.int64)
    frame["row"] = np.arange(n)
    return frame


# ---------------------------------------------------------------------- sessions
def session_sources(
    ev: pd.DataFrame, session: np.ndarray, n_sessions: int, sources: Sequence[str]
) -> tuple[pd.DataFrame, dict[str, int]]:
    """Source, medium and campaign of every session, from the first level of `sources`
    its events carry (at the earliest event carrying it; ties by the values)."""
    out = pd.DataFrame(
        {k: np.full(n_sessions, None, dtype=object) for k in ("source", "medium", "campaign")}
    )
    done = np.zeros(n_sessions, dtype=bool)
    gclid = np.zeros(n_sessions, dtype=bool)
    counts = {level: 0 for level in sources}
    for level in sources:
        src, med, camp, click = LEVEL_FIELDS[level]
        has = (session >= 0) & (
            ev[src].notna() | ev[med].notna() | ev[camp].notna() | ev[click].notna()
        ).to_numpy()
        has &= ~done[np.where(session >= 0, session, 0)]
        if not has.any():
            continue
        cand = pd.DataFrame(
            {
                "session": session[has],
                "t": ev["event_timestamp"].to_numpy()[has],
                "source": ev[src].to_numpy()[has],
                "medium": ev[med].to_numpy()[has],
                "campaign": ev[camp].to_numpy()[has],
                "click": ev[click].notna().to_numpy()[has],
            }
        )
        first = cand.sort_values(
            ["session", "t", "source", "medium", "campaign", "click"], na_position="first"
        ).drop_duplicates("session")
        s = first["session"].to_numpy()
        click_hit = first["click"].to_numpy(dtype=bool).copy()
        source = first["source"].to_numpy(dtype=object).copy()
        medium = first["medium"].to_numpy(dtype=object).copy()
        if level == "last_click":
            # a Google Ads campaign without a manual source and medium is a Google click
            click_hit &= pd.isna(source) & pd.isna(medium)
        source[click_hit] = "google"
        medium[click_hit] = "cpc"
        campaign = first["campaign"].to_numpy(dtype=object).copy()
        if level == "last_click":
            ads = ev["l_ads"].to_numpy()[has][first.index.to_numpy()]
            campaign = np.where(click_hit & pd.isna(campaign), ads, campaign)
        out.loc[s, "source"] = source
        out.loc[s, "medium"] = medium
        out.loc[s, "campaign"] = campaign
        done[s] = True
        gclid[s] = click_hit
        counts[level] = int(s.size)
    counts["none"] = int((~done).sum())
    counts["gclid"] = int(gclid.sum())
    return out, counts


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


def persons(ev: pd.DataFrame, user_id: bool) -> np.ndarray:
    """Each event's person label (None: neither id): its ``user_pseudo_id``, or with
    `user_id` the smallest ``user_id`` of its stitched person, else its smallest
    ``user_pseudo_id``."""
    pseudo = ev["user_pseudo_id"].to_numpy(dtype=object)
    if not user_id or ev["user_id"].isna().all():
        return pseudo
    person = stitch_identities(ev, ["user_pseudo_id", "user_id"]).to_numpy()
    n_person = int(person.max()) + 1 if person.size else 0
    has = person >= 0
    label = np.full(n_person, None, dtype=object)
    for col in ("user_pseudo_id", "user_id"):  # the user_id, where there is one, wins
        ids = ev[col].to_numpy(dtype=object)
        ok = has & pd.notna(ids)
        if ok.any():
            best = pd.Series(ids[ok]).groupby(person[ok]).min()
            label[best.index.to_numpy()] = best.to_numpy(dtype=object)
    if len(set(label)) != n_person:  # a user_id equal to another person's pseudo id
        label = np.array([f"person {k}" for k in range(n_person)], dtype=object)
    out = np.full(person.size, None, dtype=object)
    out[has] = label[person[has]]
    return out


def ga4_event_log(
    ev: pd.DataFrame,
    conversion_events: Sequence[str],
    user_id: bool,
    sources: Sequence[str],
    files: Sequence[str],
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The touches (one per session) and conversions of the flattened export `ev`, as an
    event log for `events_to_journeys`, ordered by (time, kind, the values); and the
    counts of this step."""
    person = persons(ev, user_id)
    t = ev["event_timestamp"].to_numpy()
    has_session = ev["user_pseudo_id"].notna().to_numpy() & ev["ga_session_id"].notna().to_numpy()
    pseudo_code = pd.factorize(ev["user_pseudo_id"])[0]
    sid_code = pd.factorize(ev["ga_session_id"])[0]
    key = pseudo_code.astype(np.int64) * (int(sid_code.max()) + 2) + sid_code
    session = np.full(len(ev), -1, dtype=np.int64)
    session[has_session] = pd.factorize(key[has_session])[0]
    n_sessions = int(session.max()) + 1 if has_session.any() else 0
    start = np.full(n_sessions, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(start, session[has_session], t[has_session])
    sess_person = np.full(n_sessions, None, dtype=object)
    sess_person[session[has_session]] = person[has_session]
    src, source_counts = session_sources(ev, session, n_sessions, sources)
    sess_key = np.full(n_sessions, None, dtype=object)
    sess_key[session[has_session]] = (
        ev["user_pseudo_id"][has_session].astype(str)
        + "."
        + ev["ga_session_id"][has_session].astype(np.int64).astype(str)
    ).to_numpy(dtype=object)

    is_conv = ev["event_name"].isin(list(conversion_events)).to_numpy()
    conv = pd.DataFrame(
        {
            "person": person[is_conv],
            "t": t[is_conv],
            "event": ev["event_name"].to_numpy(dtype=object)[is_conv],
            "value": ev["revenue"].to_numpy()[is_conv],
            "key": ev["transaction_id"].to_numpy(dtype=object)[is_conv],
            "file": ev["file"].to_numpy()[is_conv],
            "row": ev["row"].to_numpy()[is_conv],
        }
    )
    neg = np.flatnonzero(conv["value"].to_numpy() < 0)
    if neg.size:
        i = int(neg[0])
        f, r = files[int(conv["file"].iat[i])], int(conv["row"].iat[i])
        raise ValueError(
            f"{f}: row {r} (line {r + 1}): negative ecommerce.purchase_revenue"
            f" {conv['value'].iat[i]:g} on a {conv['event'].iat[i]} event (refunds are not"
            " conversions; leave them out of conversion_events)"
        )
    # a transaction exported twice counts once: its earliest event (ties by the values)
    conv = conv.sort_values(["t", "key", "person", "event", "value"], na_position="first")
    dup = conv["key"].notna() & conv.duplicated("key", keep="first")
    n_dup = int(dup.sum())
    conv = conv[~dup.to_numpy()]
    no_value = int(conv["value"].isna().sum())
    conv["value"] = conv["value"].fillna(0.0)

    touches = pd.DataFrame(
        {
            "person": sess_person,
            "t": start,
            "source": src["source"].to_numpy(),
            "medium": src["medium"].to_numpy(),
            "campaign": src["campaign"].to_numpy(),
            # the session in the event column: distinct sessions are never exact duplicates
            "event": ("session:" + pd.Series(sess_key, dtype=object)).to_numpy(dtype=object),
            "value": np.zeros(n_sessions),
            "key": sess_key,
            "kind": np.zeros(n_sessions, dtype=np.int8),
        }
    )
    conv_rows = pd.DataFrame(
        {
            "person": conv["person"].to_numpy(dtype=object),
            "t": conv["t"].to_numpy(),
            "source": None,
            "medium": None,
            "campaign": None,
            "event": conv["event"].to_numpy(dtype=object),
            "value": conv["value"].to_numpy(),
            "key": conv["key"].to_numpy(dtype=object),
            "kind": np.ones(len(conv), dtype=np.int8),
        }
    )
    log = pd.concat([touches, conv_rows], ignore_index=True)
    log = log.sort_values(["t", "kind", "key", "person", "value"], na_position="first")
    log = log.reset_index(drop=True)
    log["time"] = log["t"] / MICROS_PER_DAY
    counts = {
        "n_sessions": n_sessions,
        "n_conversions": len(conv),
        "events_without_session": int((~has_session & ~is_conv).sum()),
        "duplicate_transactions": n_dup,
        "conversions_without_value": no_value,
        "session_sources": source_counts,
        "observation_end": float(t.max()) / MICROS_PER_DAY,
    }
    return log, counts


def read_export(files: Sequence[str]) -> pd.DataFrame:
    """The flattened events of every file (`flatten`), with the file's number."""
    parts = []
    for k, path in enumerate(files):
        frame = flatten(read_table(path), path)
        frame["file"] = k
        parts.append(frame)
    ev = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    if ev.empty:
        raise ValueError(f"{', '.join(files)}: no events (the export has no rows)")
    return ev


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
    ev = read_export(files)
    log, counts = ga4_event_log(ev, names, user_id, levels, files)
    if counts["n_conversions"] == 0:
        seen = pd.Series(ev["event_name"].dropna().unique()).sort_values().tolist()
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
    report = GA4Report(files=tuple(files), n_rows=len(ev), events=events_report, **counts)
    return (journeys, report) if return_report else journeys
