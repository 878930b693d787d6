"""Channel grouping: an ordered table of regular-expression rules from UTM fields to channels.

Web analytics and ad platforms describe where a visit came from by its source
(``utm_source``: ``google``, ``newsletter``), medium (``utm_medium``: ``cpc``, ``email``),
campaign (``utm_campaign``) and referring page. Attribution needs a handful of channels
instead. A `ChannelGrouping` is an ordered list of rules; each rule names a channel and
gives a regular expression for some of the four fields. A visit gets the channel of the
first rule all of whose expressions match; a visit no rule matches is ``"Unassigned"``.

The default table, ``attribution_lab/datasets/channel_rules.csv``, follows the spirit of
the default channel group of Google Analytics 4 (Direct, Cross-network, Paid Shopping,
Paid Search, Paid Social, Paid Video, Display, Paid Other, Organic Shopping, Organic
Social, Organic Video, Organic Search, Referral, Email, Affiliates, Audio, SMS, Mobile Push
Notifications). It is a plain CSV file: copy it, edit it, and pass the copy as ``rules=``.

Matching semantics (the same in every entry point):

* Field values are stripped of surrounding whitespace and lower-cased; a missing value is
  the empty string.
* When a referrer is given, a visit without a source takes the referrer's host name
  (scheme, ``www.`` and path removed) as its source and, without a medium, ``"referral"``
  as its medium. A visit with neither source, medium nor referrer has empty source and
  medium, which the default table maps to Direct.
* Each rule's non-empty cells are Python regular expressions matched case-insensitively
  against the *whole* field (``re.fullmatch``); an empty cell places no condition. A rule
  matches when all its conditions do; several rows with the same channel express "or".
* Rules are tried in table order; the first match wins.

Rules are evaluated once per distinct (source, medium, campaign, referrer) combination, not
per row, with pandas' vectorised string matching.

The default table is written from Google's public description of the GA4 default channel
group ("[GA4] Default channel group", Analytics Help, support.google.com/analytics/answer/
9756891): the same groups in the same order, with site lists abridged to well-known names
and regular expressions of our own. It is not GA4: GA4 also uses Google's internal
lists of sites and its own campaign data, and changes its rules over time.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ._io import read_table, sniff_delimiter
from ._validation import check_columns as _check_columns
from .journeys import Journeys

__all__ = [
    "FIELDS",
    "OTHER",
    "UNASSIGNED",
    "ChannelGrouping",
    "channel_touches",
    "default_rules_file",
    "group_channels",
    "merge_channels",
    "read_channel_map",
    "top_channels",
]

logger = logging.getLogger(__name__)

#: The fields a rule can test, in the column order of a rule table.
FIELDS = ("source", "medium", "campaign", "referrer")

#: Channel of visits that no rule matches.
UNASSIGNED = "Unassigned"

_HOST = re.compile(r"^(?:[a-z][a-z0-9+.-]*:)?//", re.IGNORECASE)


def default_rules_file() -> Path:
    """Path of the default rule table shipped with the package (a CSV file to copy and edit).

    Examples
    --------
    >>> default_rules_file().name
    'channel_rules.csv'
    """
    return Path(str(resources.files("attribution_lab.datasets") / "channel_rules.csv"))


def field_codes(values: Any, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Codes of every row and the distinct values they index, normalised.

    Values are stripped and lower-cased and missing ones become ``""``; only the distinct
    raw values are normalised (then merged when they normalise alike), not every row.

    Examples
    --------
    >>> codes, uniq = field_codes([" Google", "google", None, "cpc"], 4)
    >>> codes.tolist(), uniq.tolist()
    ([1, 1, 0, 2], ['', 'google', 'cpc'])
    """
    if values is None:
        return np.zeros(n, dtype=np.int64), np.array([""], dtype=object)
    if not isinstance(values, pd.Series):
        values = pd.Series(np.asarray(values, dtype=object))
    if len(values) != n:
        raise ValueError(f"got {len(values)} values for {n} rows")
    raw_codes, raw_uniq = pd.factorize(values)
    norm = [str(u).strip().lower() for u in raw_uniq]
    merged, uniq = pd.factorize(np.array(["", *norm], dtype=object))
    # code 0 is "" (missing); raw code k maps to merged[k + 1]
    codes = merged[raw_codes + 1].astype(np.int64)
    return codes, np.asarray(uniq, dtype=object)


def referrer_host(referrer: Any) -> np.ndarray:
    """Host name of each referring URL, without scheme, ``www.``, port or path.

    Examples
    --------
    >>> referrer_host(["https://www.Google.com/search?q=x", "news.site.org/a", None]).tolist()
    ['google.com', 'news.site.org', '']
    """
    arr = np.asarray(referrer, dtype=object)
    codes, uniq = field_codes(arr, arr.size)
    s = pd.Series(uniq[codes], dtype=object)
    host = (
        s.str.replace(_HOST, "", regex=True)
        .str.split(r"[/?#:]", n=1, regex=True)
        .str[0]
        .str.replace(r"^www\.", "", regex=True)
    )
    return host.fillna("").to_numpy(dtype=object)


class ChannelGrouping:
    """An ordered table of rules mapping source / medium / campaign / referrer to channels.

    Parameters
    ----------
    rules : DataFrame, path to a CSV file, or None
        One row per rule with a ``channel`` column and any of the columns ``source``,
        ``medium``, ``campaign``, ``referrer`` (regular expressions, empty = any); other
        columns (e.g. ``note``) are kept but ignored. A file may be gzip-compressed
        (``.gz``) and its delimiter is the most frequent of ``;``, ``,``, tab and ``|`` in
        its header line (a comma when there is none). None reads the default table
        (`default_rules_file`).
    unassigned : str, default "Unassigned"
        Channel of visits that no rule matches.

    Attributes
    ----------
    rules : DataFrame
        The table, with empty strings for cells that place no condition.
    channels : tuple of str
        The distinct channels of the rules, in table order, then `unassigned`.

    Raises
    ------
    ValueError
        On a missing ``channel`` column, an empty channel name, or an invalid regular
        expression (the message names the rule's row and column: ``"FILE: row i (line
        i + 2)"`` for a file, ``"rules: rule i (line i + 2)"`` for a DataFrame), or a
        file that cannot be parsed.

    See Also
    --------
    group_channels : the same on the columns of a frame.

    Examples
    --------
    >>> rules = pd.DataFrame({"channel": ["Paid Search", "Email"],
    ...                       "medium": ["cpc", "email"], "source": ["google|bing", ""]})
    >>> g = ChannelGrouping(rules)
    >>> g.assign(source=["google", "x", "Bing"], medium=["cpc", "email", "organic"]).tolist()
    ['Paid Search', 'Email', 'Unassigned']
    >>> ChannelGrouping().assign(source=["google", "facebook.com", None],
    ...                          medium=["cpc", "referral", None]).tolist()
    ['Paid Search', 'Organic Social', 'Direct']
    """

    def __init__(
        self, rules: pd.DataFrame | str | os.PathLike | None = None, unassigned: str = UNASSIGNED
    ) -> None:
        if rules is None:
            rules = default_rules_file()
        if isinstance(rules, str | os.PathLike):
            path = os.fspath(rules)
            if not os.path.exists(path):
                raise FileNotFoundError(f"{path}: no such rule table")
            try:
                delimiter = sniff_delimiter(path)
            except ValueError:  # e.g. a lone 'channel' header: the checks below say more
                delimiter = ","
            # empty cells are "" (no condition) and a pattern such as "NA" stays text
            table, where, name_rule = read_table(path, delimiter=delimiter, dtype=str)
        elif isinstance(rules, pd.DataFrame):
            table = rules.copy()
            where = "rules"

            def name_rule(i: int) -> str:
                return f"rules: rule {i} (line {i + 2})"
        else:
            raise TypeError(
                "rules must be a DataFrame, a path to a CSV file or None, got "
                f"{type(rules).__name__}"
            )
        if "channel" not in table.columns:
            raise ValueError(f"{where}: no 'channel' column; columns are {list(table.columns)}")
        if not any(f in table.columns for f in FIELDS):
            raise ValueError(f"{where}: needs at least one of the columns {list(FIELDS)}")
        if not isinstance(unassigned, str) or not unassigned:
            raise ValueError(f"unassigned must be a non-empty string, got {unassigned!r}")
        for f in FIELDS:
            col = table[f] if f in table.columns else pd.Series("", index=table.index)
            table[f] = col.astype(object).where(col.notna(), "").astype(str).str.strip()
        table["channel"] = table["channel"].astype(object).where(table["channel"].notna(), "")
        table["channel"] = table["channel"].astype(str).str.strip()
        table = table.reset_index(drop=True)
        for i, name in enumerate(table["channel"]):
            if not name:
                raise ValueError(f"{name_rule(i)} has an empty channel")
        self._compiled: list[dict[str, re.Pattern[str]]] = []
        for i in range(len(table)):
            conds = {}
            for f in FIELDS:
                pattern = table.at[i, f]
                if pattern:
                    try:
                        conds[f] = re.compile(pattern, re.IGNORECASE)
                    except re.error as exc:
                        raise ValueError(
                            f"{name_rule(i)}, column {f!r}: invalid regular"
                            f" expression {pattern!r} ({exc})"
                        ) from None
            self._compiled.append(conds)
        self.rules = table
        self.unassigned = unassigned
        names = list(dict.fromkeys(table["channel"]))
        self.channels = (*names, *([] if unassigned in names else [unassigned]))

    def __repr__(self) -> str:
        return f"ChannelGrouping(n_rules={len(self.rules)}, n_channels={len(self.channels)})"

    def to_csv(self, path: str | os.PathLike) -> None:
        """Write the rule table (to edit and read back with ``ChannelGrouping(path)``)."""
        self.rules.to_csv(path, index=False)

    def match(
        self,
        source: Any = None,
        medium: Any = None,
        campaign: Any = None,
        referrer: Any = None,
    ) -> np.ndarray:
        """Index of the first matching rule of every visit, -1 where none matches.

        Parameters
        ----------
        source, medium, campaign, referrer : array-like of str, optional
            One entry per visit; missing entries (None, NaN) count as empty strings.
            Absent fields are empty for every visit.

        Examples
        --------
        >>> ChannelGrouping().match(source=["google", "zzz"], medium=["cpc", "zzz"]).tolist()
        [4, -1]
        """
        given = {
            f: v
            for f, v in zip(FIELDS, (source, medium, campaign, referrer), strict=True)
            if v is not None
        }
        if not given:
            raise ValueError(f"give at least one of {list(FIELDS)}")
        n = len(next(iter(given.values())))
        # one evaluation per distinct combination of the four fields
        per_field = [field_codes(given.get(f), n) for f in FIELDS]
        key = np.zeros(n, dtype=np.int64)
        for codes, uniq in per_field:
            key = pd.factorize(key * len(uniq) + codes)[0].astype(np.int64)
        n_uniq = int(key.max()) + 1 if n else 0
        first = np.full(n_uniq, n, dtype=np.int64)
        np.minimum.at(first, key, np.arange(n))
        fields = {f: u[c[first]] for f, (c, u) in zip(FIELDS, per_field, strict=True)}
        if "referrer" in given:
            host = referrer_host(fields["referrer"])
            has_ref = host != ""
            no_source = fields["source"] == ""
            fields["source"] = np.where(no_source & has_ref, host, fields["source"])
            no_medium = fields["medium"] == ""
            fields["medium"] = np.where(
                no_source & no_medium & has_ref, "referral", fields["medium"]
            )
        uniq = pd.DataFrame(fields)
        codes = key
        n_uniq = len(uniq)
        rule = np.full(n_uniq, -1, dtype=np.int64)
        open_ = np.ones(n_uniq, dtype=bool)
        for i, conds in enumerate(self._compiled):
            if not open_.any():
                break
            hit = open_.copy()
            for f, pattern in conds.items():
                col = uniq[f].to_numpy(dtype=object)[hit]
                ok = pd.Series(col, dtype=object).str.fullmatch(pattern).to_numpy(dtype=bool)
                idx = np.flatnonzero(hit)
                hit[idx[~ok]] = False
            rule[hit] = i
            open_ &= ~hit
        return rule[codes]

    def assign(
        self,
        source: Any = None,
        medium: Any = None,
        campaign: Any = None,
        referrer: Any = None,
    ) -> np.ndarray:
        """Channel of every visit (object array of str); see `match` for the parameters.

        Examples
        --------
        >>> ChannelGrouping().assign(medium=["email", "affiliate", "???"]).tolist()
        ['Email', 'Affiliates', 'Unassigned']
        """
        rule = self.match(source, medium, campaign, referrer)
        names = np.append(self.rules["channel"].to_numpy(dtype=object), self.unassigned)
        return names[rule]  # -1 picks the appended `unassigned`


def group_channels(
    frame: pd.DataFrame,
    rules: ChannelGrouping | pd.DataFrame | str | os.PathLike | None = None,
    *,
    source: str | None = "utm_source",
    medium: str | None = "utm_medium",
    campaign: str | None = None,
    referrer: str | None = None,
) -> pd.Series:
    """The channel of every row of `frame` by a rule table (default: GA4-style groups).

    Parameters
    ----------
    frame : DataFrame
    rules : ChannelGrouping, DataFrame, path to a CSV rule table, or None
        None uses the default table shipped with the package (`default_rules_file`).
    source, medium, campaign, referrer : str or None
        Column names of the fields; None for a field the frame does not have.

    Returns
    -------
    Series of str
        Named ``"channel"``, with `frame`'s index. The number of rows no rule matched
        (``"Unassigned"``) is logged at INFO level.

    Raises
    ------
    ValueError
        When a named column is missing (with the closest column names).

    Examples
    --------
    >>> visits = pd.DataFrame({"utm_source": ["google", "google", "newsletter", None, "?"],
    ...                        "utm_medium": ["cpc", "organic", "email", None, "?"]})
    >>> group_channels(visits).tolist()
    ['Paid Search', 'Organic Search', 'Email', 'Direct', 'Unassigned']
    """
    grouping = rules if isinstance(rules, ChannelGrouping) else ChannelGrouping(rules)
    cols = {"source": source, "medium": medium, "campaign": campaign, "referrer": referrer}
    cols = {f: c for f, c in cols.items() if c is not None}
    check_columns(frame, cols.values(), "frame")
    channel = grouping.assign(**{f: frame[c] for f, c in cols.items()})
    n_unassigned = int((channel == grouping.unassigned).sum())
    if n_unassigned:
        logger.info("group_channels: %d of %d rows unassigned", n_unassigned, len(frame))
    return pd.Series(channel, index=frame.index, name="channel", dtype=object)


def check_columns(frame: pd.DataFrame, columns: Sequence[Any] | Any, where: str) -> None:
    """Raise ValueError naming the first missing column and the closest existing names."""
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"{where} must be a pandas DataFrame, got {type(frame).__name__}")
    _check_columns(list(frame.columns), columns, where)


#: Name of the group `top_channels` merges the less frequent channels into.
OTHER = "other"


def channel_touches(journeys: Journeys) -> np.ndarray:
    """Touches of every channel, each journey's touches counted once per customer.

    A journey standing for several customers (aggregated paths: conversions + nulls)
    counts that many times, so a path table and the raw journeys it summarises rank
    channels alike.

    Examples
    --------
    >>> from attribution_lab import Journeys
    >>> j = Journeys.from_paths(["a > b > a", "b"], conversions=[1, 0], nulls=[0, 3])
    >>> channel_touches(j).tolist()
    [2.0, 4.0]
    """
    customers = np.repeat(journeys.conversions + journeys.nulls, journeys.lengths)
    return np.bincount(journeys.channels, weights=customers, minlength=journeys.n_channels)


def top_channels(journeys: Journeys, k: int, other: str = OTHER) -> dict[str, str]:
    """A channel map keeping the `k` most frequent channels and merging the rest into `other`.

    Parameters
    ----------
    journeys : Journeys
    k : int
        Channels kept, ranked by `channel_touches` (ties by name). At or above the number
        of channels, every channel is kept.
    other : str, default "other"
        Group of the merged channels; refused when a channel of the data has this name
        (its touches would silently join the merged ones).

    Returns
    -------
    dict
        Every channel of `journeys` to itself or to `other`, for `merge_channels`.

    Examples
    --------
    >>> from attribution_lab import Journeys
    >>> j = Journeys.from_paths(["a > b > c", "b > c", "c"], conversions=[1, 1, 1])
    >>> top_channels(j, 2)
    {'a': 'other', 'b': 'b', 'c': 'c'}
    """
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"k must be a positive integer (channels kept), got {k!r}")
    names = journeys.channel_names
    if other in names:
        raise ValueError(
            f"the data already have a channel named {other!r}; merging the less frequent"
            " channels into it would mix them with its own touches (name the group otherwise,"
            " or map channels explicitly)"
        )
    touches = channel_touches(journeys)
    order = sorted(range(len(names)), key=lambda c: (-touches[c], names[c]))
    kept = set(order[: int(k)])
    return {name: name if c in kept else other for c, name in enumerate(names)}


def read_channel_map(path: str | os.PathLike) -> dict[str, str]:
    """Read a channel map: a CSV file of two columns, ``channel`` and ``group``.

    Each row maps one channel of the data to the group it is merged into (a channel
    mapped to itself is kept). Cells are stripped of surrounding spaces; the delimiter is
    detected as for other tables (`attribution_lab._io.read_table`).

    Raises
    ------
    FileNotFoundError
        When the file does not exist.
    ValueError
        Naming the file, row (and line) and column: a missing or extra column, an empty
        cell, a channel listed twice.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False) as f:
    ...     _ = f.write("channel,group\\nfacebook,social\\ninstagram, social\\nseo,seo\\n")
    >>> read_channel_map(f.name)
    {'facebook': 'social', 'instagram': 'social', 'seo': 'seo'}
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path}: no such channel map")
    try:
        delimiter = sniff_delimiter(path)
    except ValueError:  # a one-column file: the column check below says more
        delimiter = ","
    table, source, name_row = read_table(path, delimiter=delimiter, dtype=str)
    table.columns = [str(c).strip() for c in table.columns]
    extra = [c for c in table.columns if c not in ("channel", "group")]
    missing = [c for c in ("channel", "group") if c not in table.columns]
    if missing or extra:
        raise ValueError(
            f"{source}: a channel map has two columns, channel and group; got"
            f" {', '.join(map(repr, table.columns)) or 'none'}"
        )
    mapping: dict[str, str] = {}
    first_row: dict[str, int] = {}
    cells = table[["channel", "group"]].fillna("").astype(str)
    for i, (channel, group) in enumerate(cells.itertuples(index=False, name=None)):
        channel, group = channel.strip(), group.strip()
        for column, cell in (("channel", channel), ("group", group)):
            if not cell:
                raise ValueError(f"{name_row(i)}, column {column!r}: empty")
        if channel in mapping:
            raise ValueError(
                f"{name_row(i)}, column 'channel': {channel!r} is mapped again (first at"
                f" {name_row(first_row[channel]).split(': ', 1)[1]})"
            )
        mapping[channel] = group
        first_row[channel] = i
    if not mapping:
        raise ValueError(f"{source}: the channel map has no rows")
    return mapping


def merge_channels(journeys: Journeys, mapping: Mapping[str, str]) -> Journeys:
    """The journeys with every channel renamed to its group: channels of one group merge.

    Touches keep their place, times and milestones (a path ``a > b`` with a and b in
    one group becomes ``g > g``); nothing is aggregated. Groups are numbered in order of
    their first channel.

    Parameters
    ----------
    journeys : Journeys
    mapping : mapping of str to str
        The group of every channel of `journeys` (`read_channel_map`, `top_channels`);
        entries for channels the journeys do not have are ignored.

    Raises
    ------
    ValueError
        Naming the channels of the journeys the mapping leaves out (a channel left out
        is not guessed into a group).

    Examples
    --------
    >>> from attribution_lab import Journeys
    >>> j = Journeys.from_paths(["fb > seo > ig", "ig"], conversions=[1, 1])
    >>> m = merge_channels(j, {"fb": "social", "ig": "social", "seo": "seo"})
    >>> m.channel_names, m.path_strings().tolist()
    (('social', 'seo'), ['social > seo > social', 'social'])
    """
    names = journeys.channel_names
    unknown = [c for c in names if c not in mapping]
    if unknown:
        shown = ", ".join(map(repr, unknown[:5])) + (", ..." if len(unknown) > 5 else "")
        raise ValueError(
            f"{len(unknown)} channel{'s' * (len(unknown) > 1)} of the data"
            f" {'are' if len(unknown) > 1 else 'is'} not in the channel map: {shown} (add a"
            " row channel,group for each; map a channel to itself to keep it)"
        )
    groups: dict[str, int] = {}
    for c in names:
        group = mapping[c]
        if not isinstance(group, str) or not group.strip():
            raise ValueError(f"channel {c!r}: the group must be a non-empty string, got {group!r}")
        groups.setdefault(group, len(groups))
    code = np.array([groups[mapping[c]] for c in names], dtype=np.int32)
    return Journeys(
        code[journeys.channels],
        journeys.offsets,
        list(groups),
        journeys.conversions,
        journeys.nulls,
        journeys.value,
        times=journeys.times,
        end_time=journeys.end_time,
        account=journeys.account,
        contact=journeys.contact,
        milestones=journeys.milestones,
    )
