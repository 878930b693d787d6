"""The readers of `attribution_lab.readers` other than the GA4 export's (see `.ga4`).

`read_criteo_attribution` builds journeys from the impression log of the Criteo
Attribution Modeling for Bidding dataset; `read_path_table` reads the path summaries
that ChannelAttribution, Google's fractribution and Snowplow's fractribution package
write. Neither downloads anything: see the README for where to obtain the data.
`read_events` reads an event log (journeys built by `Journeys.from_events`);
`read_touch_table` reads journeys already made, one row per touch with its time.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .._io import existing_file, open_text, read_table, row_namer
from .._times import TIME_UNITS, UNIT_WORDS, numeric_times_to_days, scalar_days
from .._validation import check_columns, first_bad, show
from ..journeys import Journeys

__all__ = [
    "CRITEO_COLUMNS",
    "PATH_TABLE_FORMATS",
    "CriteoData",
    "read_criteo_attribution",
    "read_events",
    "read_path_table",
    "read_touch_table",
]

#: The 22 tab-separated columns of the Criteo attribution dataset, in file order.
CRITEO_COLUMNS = (
    "timestamp",
    "uid",
    "campaign",
    "conversion",
    "conversion_timestamp",
    "conversion_id",
    "attribution",
    "click",
    "click_pos",
    "click_nb",
    "cost",
    "cpo",
    "time_since_last_click",
    *(f"cat{k}" for k in range(1, 10)),
)

_SECONDS_PER_DAY = 86_400.0


@dataclass(frozen=True, eq=False)
class CriteoData:
    """Journeys read from the Criteo attribution dataset, with spend and what was dropped.

    Attributes
    ----------
    journeys : Journeys
        One converting journey per conversion (the impressions carrying its
        ``conversion_id``) and one non-converting journey per user (impressions without
        a conversion); times in days since the first impression, ``contact`` the uid.
    costs : Series
        Spend per channel: the sum of the ``cost`` column over the impressions kept
        (Criteo's transformed prices, comparable between channels, not currency).
    criteo_attributed : float
        Conversions Criteo's own last-click rule attributed to its display
        (``attribution == 1``), to compare with a model's display credit.
    counts : dict of str to int
        Rows read, impressions kept, impressions dropped by ``clicks_only`` and by
        ``max_length``, campaigns merged into ``"other"``.
    """

    journeys: Journeys
    costs: pd.Series
    criteo_attributed: float
    counts: dict[str, int] = field(default_factory=dict)

    def __repr__(self) -> str:
        c = ", ".join(f"{k}={v:,}" for k, v in self.counts.items())
        return f"CriteoData({self.journeys!r}, {c})"


def _has_header(path: str) -> bool:
    with open_text(path) as fh:
        first = fh.readline()
    return first.split("\t", 1)[0].strip().lower() == "timestamp"


def read_criteo_attribution(
    path: str | os.PathLike,
    *,
    channel: str = "campaign",
    top: int | None = 20,
    clicks_only: bool = False,
    window_days: float = 30.0,
    max_length: int | None = None,
    nrows: int | None = None,
) -> CriteoData:
    """Journeys from the Criteo Attribution Modeling for Bidding dataset.

    Parameters
    ----------
    path : str or path
        The dataset file (``criteo_attribution_dataset.tsv.gz``), tab-separated,
        gzip-compressed or not, with or without its header line.
    channel : str, default "campaign"
        Column whose values are the channels: ``"campaign"`` or one of the categorical
        features ``"cat1"`` ... ``"cat9"``.
    top : int or None, default 20
        Keep the `top` channels with the most impressions and merge the others into one
        channel ``"other"`` (the dataset has about 700 campaigns); None keeps them all.
    clicks_only : bool, default False
        Keep only clicked impressions (journeys of clicks, as click-based attribution
        sees them); journeys left without impressions are dropped and counted.
    window_days : float, default 30
        Conversions count within this many days after an impression (the dataset's
        definition); a non-converting journey is observed until its last impression
        plus this window, or the end of the data if sooner.
    max_length : int, optional
        Keep at most this many last impressions per journey (dropped ones counted).
    nrows : int, optional
        Read only the first rows (the file is sorted by time).

    Returns
    -------
    CriteoData
        The journeys, spend per channel, Criteo's own attributed conversions and the
        counts of what was read and dropped.

    Raises
    ------
    ValueError
        When the file has not the dataset's 22 columns, or a row is inconsistent: a
        missing or negative timestamp, a conversion flag that disagrees with its
        conversion id, a conversion before its impression, or impressions of one
        conversion with different conversion times; the message names the row and line.

    Notes
    -----
    Each line is one impression. ``conversion_id`` ties the impressions a conversion
    followed (within 30 days), so a converting journey is the time-ordered impressions
    of one conversion id, ending at its ``conversion_timestamp``; a user's impressions
    with ``conversion_id == -1`` make one non-converting journey. This is how
    attribution studies on the dataset build their sequences (e.g. Ren et al. 2018,
    Kumar et al. 2020), with campaigns as channels. Times are seconds in the file and
    days here.

    References
    ----------
    Diemert, E., Meynet, J., Galland, P., & Lefortier, D. (2017). Attribution modeling
    increases efficiency of bidding in display advertising. AdKDD & TargetAd Workshop,
    KDD 2017.

    Ren, K., Fang, Y., Zhang, W., Liu, S., Li, J., Zhang, Y., Yu, Y., & Wang, J. (2018).
    Learning multi-touch conversion attribution with dual-attention mechanisms for
    online advertising. CIKM 2018.

    Examples
    --------
    >>> import tempfile, os
    >>> rows = [  # timestamp, uid, campaign, conversion, conv. time, conv. id, attribution,
    ...     [0, 1, 7, 1, 9000, 55, 1, 1, 0, 1, 0.5, 2.0, 0],  # click, click_pos, ...
    ...     [3600, 1, 8, 1, 9000, 55, 1, 0, -1, 1, 0.25, 2.0, 0],
    ...     [7200, 2, 7, 0, -1, -1, 0, 0, -1, -1, 0.5, -1, -1]]
    >>> d = tempfile.mkdtemp()
    >>> f = os.path.join(d, "criteo.tsv")
    >>> with open(f, "w") as fh:
    ...     for r in rows:
    ...         _ = fh.write("\\t".join(map(str, r + [0] * 9)) + "\\n")
    >>> data = read_criteo_attribution(f)
    >>> j = data.journeys
    >>> j.path_strings().tolist(), j.conversions.tolist(), j.end_time.tolist()
    (['c7 > c8', 'c7'], [1.0, 0.0], [0.10416666666666667, 0.08333333333333333])
    >>> data.costs.to_dict(), data.criteo_attributed
    ({'c7': 1.0, 'c8': 0.25}, 1.0)
    """
    source = existing_file(path)
    if channel != "campaign" and channel not in CRITEO_COLUMNS[13:]:
        raise ValueError(f"channel must be 'campaign' or one of cat1..cat9, got {channel!r}")
    for name, val in (("top", top), ("max_length", max_length), ("nrows", nrows)):
        if val is not None and (isinstance(val, bool) or not isinstance(val, int) or val < 1):
            raise ValueError(f"{name} must be a positive integer or None, got {val!r}")
    if not (isinstance(window_days, int | float) and window_days > 0):
        raise ValueError(f"window_days must be a number > 0, got {window_days!r}")
    header = _has_header(source)
    cols = [
        "timestamp",
        "uid",
        "conversion",
        "conversion_timestamp",
        "conversion_id",
        "attribution",
        "click",
        "cost",
        channel,
    ]
    try:
        frame = pd.read_csv(
            source,
            sep="\t",
            header=0 if header else None,
            names=None if header else list(CRITEO_COLUMNS),
            usecols=cols,
            nrows=nrows,
            dtype={c: np.float64 for c in cols if c != channel} | {channel: str},
            keep_default_na=False,
            na_values={c: [""] for c in cols if c != channel},
        )
    except ValueError as exc:  # wrong column count, unparsable numbers
        raise ValueError(
            f"{source}: not the Criteo attribution format (22 tab-separated columns: "
            f"{', '.join(CRITEO_COLUMNS[:6])}, ...): {exc}"
        ) from None
    name_row = row_namer(source, first_line=2 if header else 1)

    for col in cols:
        if col != channel:
            bad = first_bad(frame[col].isna().to_numpy())
            if bad is not None:
                raise ValueError(f"{name_row(bad)}, column {col!r}: missing value")
    t = frame["timestamp"].to_numpy()
    bad = first_bad(t < 0)
    if bad is not None:
        raise ValueError(f"{name_row(bad)}, column 'timestamp': negative time {t[bad]!r}")
    conv_id = frame["conversion_id"].to_numpy()
    conv_t = frame["conversion_timestamp"].to_numpy()
    converted = frame["conversion"].to_numpy() == 1
    bad = first_bad(converted != (conv_id != -1))
    if bad is not None:
        raise ValueError(
            f"{name_row(bad)}: conversion is {frame['conversion'].iloc[bad]:g} but"
            f" conversion_id is {conv_id[bad]:g}"
        )
    bad = first_bad(converted & (conv_t < t))
    if bad is not None:
        raise ValueError(f"{name_row(bad)}: the conversion is before the impression")
    n_rows = len(frame)
    counts = {"rows": n_rows}
    keep = np.ones(n_rows, dtype=bool)
    if clicks_only:
        keep = frame["click"].to_numpy() == 1
        counts["dropped_not_clicked"] = int((~keep).sum())
    names = frame[channel].to_numpy(dtype=object)
    prefix = "c" if channel == "campaign" else f"{channel}_"
    labels, codes_all = np.unique(names, return_inverse=True)
    # channels by impressions among the kept rows; ties by label for a stable order
    freq = np.bincount(codes_all[keep], minlength=labels.size)
    if top is not None and labels.size > top:
        order = np.lexsort((np.arange(labels.size), -freq))
        kept_labels = np.zeros(labels.size, dtype=bool)
        kept_labels[order[:top]] = True
        counts["channels_merged_into_other"] = int(labels.size - top)
    else:
        kept_labels = np.ones(labels.size, dtype=bool)
    channel_names = np.array([prefix + str(x) for x in labels], dtype=object)
    channel_names[~kept_labels] = "other"

    # journey key: a conversion id, or the user for impressions without conversion
    rows = np.flatnonzero(keep)
    is_conv = converted[rows]
    key_a = np.where(is_conv, 0, 1)
    key_b = np.where(is_conv, conv_id[rows], frame["uid"].to_numpy()[rows])
    order = np.lexsort((t[rows], key_b, key_a))
    rows = rows[order]
    key_a, key_b = key_a[order], key_b[order]
    start = np.ones(rows.size, dtype=bool)
    start[1:] = (key_a[1:] != key_a[:-1]) | (key_b[1:] != key_b[:-1])
    first = np.flatnonzero(start)
    ends = np.append(first[1:], rows.size)
    if max_length is not None:
        lengths = ends - first
        pos_from_end = np.repeat(ends, lengths) - np.arange(rows.size)
        within = pos_from_end <= max_length
        counts["dropped_beyond_max_length"] = int((~within).sum())
        rows = rows[within]
        lengths = np.minimum(lengths, max_length)
        first = np.concatenate([[0], np.cumsum(lengths)[:-1]])
        ends = first + lengths
    counts["impressions"] = int(rows.size)
    offsets = np.append(first, rows.size).astype(np.int64)
    conv_journey = converted[rows[first]]
    ct = conv_t[rows[first]]
    # every impression of a conversion must carry the same conversion time
    same = conv_t[rows] == np.repeat(ct, ends - first)
    bad = first_bad(~same)
    if bad is not None:
        raise ValueError(
            f"{name_row(int(rows[bad]))}, column 'conversion_timestamp': conversion"
            f" {conv_id[rows[bad]]:g} has another time on an earlier impression"
        )
    last_t = t[rows[ends - 1]]
    data_end = float(t.max())
    end = np.where(conv_journey, ct, np.minimum(last_t + window_days * _SECONDS_PER_DAY, data_end))
    end = np.maximum(end, last_t)
    used = np.unique(channel_names[codes_all[rows]])
    names_sorted = sorted(set(used.tolist()))
    code_of = {n: k for k, n in enumerate(names_sorted)}
    label_code = np.array([code_of.get(n, -1) for n in channel_names], dtype=np.int32)
    journeys = Journeys(
        label_code[codes_all[rows]],
        offsets,
        names_sorted,
        conv_journey.astype(np.float64),
        (~conv_journey).astype(np.float64),
        times=t[rows] / _SECONDS_PER_DAY,
        end_time=end / _SECONDS_PER_DAY,
        contact=frame["uid"].to_numpy()[rows[first]].astype(np.int64),
    )
    cost = np.bincount(
        label_code[codes_all[rows]],
        weights=frame["cost"].to_numpy()[rows],
        minlength=len(names_sorted),
    )
    costs = pd.Series(cost, index=pd.Index(names_sorted, name="channel"), name="cost")
    attributed = frame["attribution"].to_numpy()[rows[first]] == 1
    return CriteoData(journeys, costs, float((attributed & conv_journey).sum()), counts)


#: Column names of the path tables `read_path_table` knows: path, conversions, nulls, value.
PATH_TABLE_FORMATS = {
    "channelattribution": ("path", "total_conversions", "total_null", "total_conversion_value"),
    "fractribution": ("transformedPath", "conversions", "nonConversions", "revenue"),
    "snowplow": ("transformed_path", "conversions", "non_conversions", "revenue"),
}


def read_path_table(
    table: pd.DataFrame | str | os.PathLike,
    format: str = "auto",
    sep: str = ">",
    *,
    delimiter: str | None = None,
) -> Journeys:
    """Journeys from a path summary written by another attribution tool.

    Parameters
    ----------
    table : DataFrame or path to a CSV file
    format : {"auto", "channelattribution", "fractribution", "snowplow"}
        Whose columns (see `PATH_TABLE_FORMATS`): ChannelAttribution's
        ``path;total_conversions;total_conversion_value;total_null``, Google
        fractribution's ``transformedPath, conversions, nonConversions, revenue`` or
        Snowplow's dbt fractribution ``transformed_path, conversions, non_conversions,
        revenue``. ``"auto"`` picks the format whose columns the table has.
    sep : str, default ">"
        Separator between channels in a path.
    delimiter : str, optional
        CSV field delimiter; by default the most frequent of ``;``, ``,``, tab and ``|``
        in the header line.

    Returns
    -------
    Journeys

    Notes
    -----
    The fractribution tables leave revenue empty (NULL) on paths without conversions;
    it is read as 0 there, and is an error on a path with conversions.

    Examples
    --------
    >>> t = pd.DataFrame({"transformedPath": ["Paid > Email", "Email"],
    ...                   "conversions": [2, 0], "nonConversions": [5, 9],
    ...                   "revenue": [80.0, None]})
    >>> j = read_path_table(t)
    >>> j.channel_names, j.n_conversions, j.n_nulls, j.total_value
    (('Email', 'Paid'), 2.0, 14.0, 80.0)
    """
    if isinstance(table, str | os.PathLike):
        frame, source, name_row = read_table(table, delimiter=delimiter, dtype=str)
        frame = frame.replace("", np.nan)
    elif isinstance(table, pd.DataFrame):
        source, frame, name_row = "table", table, None
    else:
        raise TypeError(f"table must be a DataFrame or a CSV path, got {type(table).__name__}")
    if format == "auto":
        found = [f for f, c in PATH_TABLE_FORMATS.items() if set(c) <= set(frame.columns)]
        if not found:
            raise ValueError(
                f"{source}: columns {list(frame.columns)} match no known path table; "
                + "; ".join(f"{f}: {', '.join(c)}" for f, c in PATH_TABLE_FORMATS.items())
            )
        format = found[0]
    if format not in PATH_TABLE_FORMATS:
        raise ValueError(
            f"format must be 'auto' or one of {', '.join(PATH_TABLE_FORMATS)}, got {format!r}"
        )
    path, conv, nulls, value = PATH_TABLE_FORMATS[format]
    check_columns(frame.columns, (path, conv, nulls, value), f"{source} ({format} format)")
    if format != "channelattribution":
        frame = frame.copy()
        no_conv = pd.to_numeric(frame[conv], errors="coerce") == 0
        frame[value] = frame[value].where(~(no_conv & frame[value].isna()), 0)
    # rows of a file are named as in it: 'FILE: row i (line i + 2)'
    return Journeys.from_path_table(frame, path, conv, nulls, value, sep=sep, _name_row=name_row)


def read_events(
    path: str | os.PathLike,
    user: str | list[str],
    time: str,
    channel: str | None = None,
    *,
    columns: list[str] | None = None,
    delimiter: str | None = None,
    return_report: bool = False,
    **options: Any,
) -> Any:
    """Journeys from an event-log file: CSV / TSV (optionally gzip) or Parquet.

    Reads the file with pandas (Parquet through pyarrow), only the columns the options
    name unless `columns` is given, and passes it to `Journeys.from_events`; for files
    larger than memory use `attribution_lab.sql.events_to_path_table_sql` instead.

    Parameters
    ----------
    path : str or path
    user, time, channel, **options
        As in `attribution_lab.events.events_to_journeys` (UTM columns, conversion,
        value, lookback, account, milestones, ...).
    columns : list of str, optional
        Columns to read (default: those the options name).
    delimiter : str, optional
        CSV field delimiter; by default the most frequent of ``;``, ``,``, tab and ``|``
        in the header line.
    return_report : bool, default False
        Also return the `attribution_lab.events.EventsReport`.

    Returns
    -------
    Journeys, or (Journeys, EventsReport)

    Examples
    --------
    >>> import tempfile, os
    >>> f = os.path.join(tempfile.mkdtemp(), "events.csv")
    >>> pd.DataFrame({"uid": [1, 1, 2], "ts": ["2026-01-01", "2026-01-03", "2026-01-02"],
    ...               "ch": ["search", "email", "display"], "buy": [0, 1, 0]}).to_csv(f)
    >>> j = read_events(f, "uid", "ts", "ch", conversion="buy", conversion_is_touch=True)
    >>> j.path_strings().tolist(), j.conversions.tolist()
    (['search > email', 'display'], [1.0, 0.0])
    """
    if columns is None:
        named: list[str] = [*([user] if isinstance(user, str) else user), time]
        for key in ("source", "medium", "campaign", "referrer", "conversion", "value"):
            if isinstance(options.get(key), str):
                named.append(options[key])
        if channel is not None:
            named.append(channel)
        if isinstance(options.get("account"), str):
            named.append(options["account"])
        for spec in (options.get("milestones") or {}).values():
            named.append(spec[0] if isinstance(spec, tuple) else spec)
        named.extend(options.get("touch_columns") or [])
        columns = list(dict.fromkeys(named))
    # pandas' default missing values (empty, NA, null, ...) in every column
    frame = read_table(
        path, delimiter=delimiter, columns=columns, keep_default_na=True, parquet=True
    ).frame
    return Journeys.from_events(frame, user, time, channel, return_report=return_report, **options)


def read_touch_table(
    path: str | os.PathLike,
    end_time: str | float | None = None,
    delimiter: str | None = None,
    time_unit: str | None = None,
) -> Journeys:
    """Journeys from a touch table: one row per touch, columns journey, channel, time, converted.

    The format ``attribution-lab simulate`` writes as ``PREFIX_events.csv`` and
    ``attribution-lab attribute --events`` reads: a CSV / TSV (optionally gzip), one row per
    touch in any order; touches at the same time keep the file's order. ``converted``
    (0/1 or true/false), the optional ``value`` and the end time belong to the journey and
    must agree between its touches. Unlike `read_events`, nothing is split, grouped or
    mapped to channels: each journey id is one journey.

    Parameters
    ----------
    path : str or path
        The file; its delimiter is detected from the header line unless `delimiter` is given.
    end_time : str or float, optional
        The end of observation: a number of days (in `time_unit`) common to every journey,
        or the name of a column holding each journey's. Default: the ``end_time`` column.
    delimiter : str, optional
        CSV field delimiter; by default the most frequent of ``;``, ``,``, tab and ``|``
        in the header line.
    time_unit : {"days", "hours", "s", "ms"}, optional
        Unit of the time and end-time columns (default: days); converted to days.

    Returns
    -------
    Journeys
        With ``times`` and ``end_time`` in days, channels sorted by name, journeys in
        the order of their ids.

    Raises
    ------
    ValueError
        For a missing column or a bad value, naming the file and the row (or the
        journey). Times more than 10^7 days from 1970 (Unix epoch seconds read as days)
        are refused. The messages name the command line's options (``--end-time``,
        ``--time-unit``), as this is the format of its ``--events`` input.
    FileNotFoundError
        When `path` does not exist.

    Examples
    --------
    >>> import tempfile, os
    >>> f = os.path.join(tempfile.mkdtemp(), "touches.csv")
    >>> pd.DataFrame({"journey": [7, 7, 8], "channel": ["email", "search", "display"],
    ...               "time": [2.0, 0.5, 1.0], "converted": [1, 1, 0]}).to_csv(f, index=False)
    >>> j = read_touch_table(f, end_time=10)
    >>> j.path_strings().tolist(), j.conversions.tolist(), j.times.tolist()
    (['search > email', 'display'], [1.0, 0.0], [0.5, 2.0, 1.0])
    >>> read_touch_table(f)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: ...touches.csv: no end_time column; pass --end-time DAYS (a common end of
    observation) or --end-time COLUMN
    """
    # pandas' default missing values (empty, NA, null, ...) in every column
    frame, path, name_row = read_table(path, delimiter=delimiter, keep_default_na=True)
    need = ["journey", "channel", "time", "converted"]
    missing = [c for c in need if c not in frame.columns]
    if missing:
        raise ValueError(
            f"{path}: --events needs columns {need} (optional value, end_time); missing"
            f" {missing}; columns are {list(frame.columns)}"
        )
    if frame.empty:
        raise ValueError(f"{path}: no touches (the file has a header line only)")

    def bad_row(mask: np.ndarray, col: str, why: Callable[[Any], str]) -> None:
        i = first_bad(np.asarray(mask, dtype=bool))
        if i is not None:
            raw = frame[col].iloc[i]
            raise ValueError(f"{name_row(i)}, column {col!r}: {why(raw)}")

    def numbers(col: str, rows: np.ndarray | None = None) -> np.ndarray:
        num = pd.to_numeric(frame[col], errors="coerce").to_numpy(np.float64, na_value=np.nan)
        bad = ~np.isfinite(num) if rows is None else rows & ~np.isfinite(num)
        bad_row(
            bad,
            col,
            lambda v: "missing value" if pd.isna(v) else f"{show(v)} is not a finite number",
        )
        return num

    def to_days(guess: str | None) -> str:
        if guess in TIME_UNITS:
            return f"they look like Unix epoch {UNIT_WORDS[guess]}: pass --time-unit {guess}"
        return "pass --time-unit for times in hours, s or ms (the default is days)"

    bad_row(frame["journey"].isna(), "journey", lambda v: "missing journey id")
    channel = frame["channel"]
    bad_row(
        channel.isna() | (channel.astype(str).str.strip() == ""),
        "channel",
        lambda v: "missing channel name",
    )
    flag = frame["converted"].astype(str).str.strip().str.lower()
    known = {"1": True, "1.0": True, "true": True, "0": False, "0.0": False, "false": False}
    bad_row(~flag.isin(list(known)), "converted", lambda v: f"{show(v)} is not 0/1 or true/false")
    converted = flag.map(known).to_numpy(dtype=bool)
    times = numeric_times_to_days(numbers("time"), time_unit, "time", name_row, to_days)
    value = numbers("value", converted) if "value" in frame else None
    end_col = None
    end_value = None
    if end_time is None:
        end_col = "end_time" if "end_time" in frame else None
        if end_col is None:
            raise ValueError(
                f"{path}: no end_time column; pass --end-time DAYS (a common end of "
                "observation) or --end-time COLUMN"
            )
    else:
        try:
            end_value = float(end_time)
        except ValueError:
            end_col = end_time
            if end_col not in frame:
                raise ValueError(f"{path}: no column {end_col!r} for --end-time") from None
    if end_col is not None:
        end = numeric_times_to_days(numbers(end_col), time_unit, end_col, name_row, to_days)
    else:
        end = np.full(len(frame), scalar_days(end_value, f"{path}: --end-time", False, time_unit))

    # row positions in journey order, each journey's touches in time order (ties: file order)
    keys = pd.DataFrame({"journey": frame["journey"].to_numpy(), "time": times})
    pos = keys.sort_values(["journey", "time"], kind="stable").index.to_numpy()
    codes, journey_ids = pd.factorize(frame["journey"].to_numpy()[pos], sort=False)
    counts = np.bincount(codes, minlength=journey_ids.size)
    offsets = np.concatenate([[0], np.cumsum(counts)])
    first = offsets[:-1]
    last = offsets[1:] - 1
    # what belongs to the journey must agree between its touches
    same = codes[1:] == codes[:-1]
    per_journey = {"converted": converted[pos]}
    if end_col is not None:
        per_journey[end_col] = end[pos]
    if value is not None:
        per_journey["value"] = np.where(converted, value, 0.0)[pos]
    for col, arr in per_journey.items():
        k = first_bad(same & (arr[1:] != arr[:-1]))
        if k is not None:
            raise ValueError(
                f"{path}: journey {show(journey_ids[codes[k]])}: column {col!r} differs"
                f" between its touches (lines {pos[k] + 2} and {pos[k + 1] + 2})"
            )
    t = times[pos]
    e = end[pos][first]
    j = first_bad(e < t[last])
    if j is not None:
        raise ValueError(
            f"{path}: journey {show(journey_ids[j])}: end_time {e[j]:g} is before its last"
            f" touch (time {t[last[j]]:g}, line {pos[last[j]] + 2})"
        )
    chan_codes, names = pd.factorize(channel.astype(str).str.strip().to_numpy()[pos], sort=True)
    conv = converted[pos][first].astype(np.float64)
    return Journeys(
        chan_codes.astype(np.int32),
        offsets,
        [str(n) for n in names],
        conv,
        1.0 - conv,
        None if value is None else np.where(conv > 0, value[pos][first], 0.0),
        times=t,
        end_time=e,
    )
