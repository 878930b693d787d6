"""Paths: the most common, converting or valuable paths, and journey lengths."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .._validation import check_instance, check_level
from ..journeys import Journeys
from ._common import (
    ALL,
    CONVERTED,
    NOT_CONVERTED,
    PATH_ORDER,
    _check_nonnegative,
    _check_top,
    _mean,
    _Prepared,
    _prepared,
    _quantiles,
    _ratio,
    _wcount,
)
from .intervals import wilson_interval
from .results import PathLengthsResult, PathsResult


def top_paths(
    journeys: Journeys,
    top: int | None = 10,
    *,
    by: str = "journeys",
    min_support: float = 1.0,
    ci_level: float = 0.95,
    sep: str = " > ",
) -> PathsResult:
    """The most common, converting or valuable paths, with Wilson intervals of their rate.

    Journeys with identical channel sequences are merged (times and milestones are
    ignored), then paths with fewer than `min_support` journeys are dropped and the rest
    ranked by `by`, ties broken by journeys and then by first appearance.

    Parameters
    ----------
    journeys : Journeys
    top : int or None, default 10
        Paths listed; None lists all.
    by : {"journeys", "conversions", "conversion_rate", "ci_low", "value"}
        Ranking column. ``"ci_low"``, the lower end of the Wilson interval, ranks
        converting paths without favouring paths seen a handful of times.
    min_support : float, default 1
        Fewest journeys (customers) a path needs to be listed; raise it when ranking by
        ``"conversion_rate"``.
    ci_level : float, default 0.95
    sep : str, default " > "
        Separator of the ``path`` strings.

    Returns
    -------
    PathsResult
        ``table`` columns: ``rank``, ``path``, ``touches``, ``journeys``, ``share`` (of all
        journeys), ``conversions``, ``conversion_rate``, ``ci_low``, ``ci_high``,
        ``value``.

    See Also
    --------
    wilson_interval

    Examples
    --------
    >>> j = Journeys.from_paths(["b", "a > b", "c", "a>b"], conversions=[0, 1, 0, 1],
    ...                         nulls=[4, 1, 1, 0], values=[0, 10, 0, 5])
    >>> top_paths(j, 2).table[["rank", "path", "journeys", "conversions", "value"]]
       rank   path  journeys  conversions  value
    0     1      b       4.0          0.0    0.0
    1     2  a > b       3.0          2.0   15.0
    >>> t = top_paths(j, by="conversion_rate", min_support=2).table
    >>> t["path"].tolist(), t["conversion_rate"].round(4).tolist()
    (['a > b', 'b'], [0.6667, 0.0])
    """
    j = check_instance(journeys, Journeys, "journeys")
    top = _check_top(top)
    if by not in PATH_ORDER:
        raise ValueError(f"by must be one of {PATH_ORDER}, got {by!r}")
    min_support = _check_nonnegative(min_support, "min_support", "number")
    level = check_level(ci_level)
    bare = j
    if j.milestones or j.times is not None:
        # aggregate() keeps milestone flags apart; the analyst asks about channel paths
        bare = Journeys(j.channels, j.offsets, j.channel_names, j.conversions, j.nulls, j.value)
    merged = bare.aggregate() if j.n_journeys else bare
    conv = np.asarray(merged.conversions)
    customers = conv + np.asarray(merged.nulls)
    value = np.asarray(merged.value)
    total = float(customers.sum())
    keep = np.flatnonzero(customers >= min_support)
    rate = _ratio(conv[keep], customers[keep])
    low, high = wilson_interval(conv[keep], customers[keep], level)
    key = {
        "journeys": customers[keep],
        "conversions": conv[keep],
        "conversion_rate": rate,
        "ci_low": low,
        "value": value[keep],
    }[by]
    # lexsort: last key first; the stable sort keeps first appearance among full ties
    order = np.lexsort((-customers[keep], -np.nan_to_num(key, nan=-np.inf)))
    if top is not None:
        order = order[:top]
    rows = keep[order]
    chosen = merged.subset(rows) if rows.size else None
    table = pd.DataFrame(
        {
            "rank": np.arange(1, rows.size + 1),
            "path": chosen.path_strings(sep) if chosen is not None else np.zeros(0, object),
            "touches": np.asarray(merged.lengths)[rows],
            "journeys": customers[rows],
            "share": _ratio(customers[rows], total),
            "conversions": conv[rows],
            "conversion_rate": rate[order],
            "ci_low": low[order],
            "ci_high": high[order],
            "value": value[rows],
        }
    )
    return PathsResult(
        table=table,
        n_paths=merged.n_journeys,
        n_supported=int(keep.size),
        by=by,
        min_support=min_support,
        ci_level=level,
        overall_rate=float(_ratio(conv.sum(), total)),
    )


# ============================================================================ lengths
def path_lengths(journeys: Journeys, *, _prep: _Prepared | None = None) -> PathLengthsResult:
    """Distribution of touches and of distinct channels per journey, by outcome.

    Parameters
    ----------
    journeys : Journeys

    Returns
    -------
    PathLengthsResult
        ``table``: ``measure`` (``"touches"``, ``"channels"``), ``outcome``
        (``"converted"``, ``"not converted"``, ``"all"``), ``length``, ``journeys``,
        ``share``; ``summary``: per measure and outcome, ``journeys``, ``mean``,
        ``median``, ``p90`` and ``max``. Quantiles interpolate linearly, as
        ``numpy.quantile`` on one value per customer.

    Notes
    -----
    Converting journeys end at the conversion while the others run to the end of
    observation, so non-converting journeys tend to look longer: compare lengths on equal
    observation windows before reading a causal story into them.

    Examples
    --------
    >>> j = Journeys.from_paths(["a > b > a", "b", "c > c"], conversions=[1, 0, 0],
    ...                         nulls=[0, 2, 1])
    >>> path_lengths(j).summary
        measure        outcome  journeys  mean  median  p90  max
    0   touches      converted       1.0  3.00     3.0  3.0  3.0
    1   touches  not converted       3.0  1.33     1.0  1.8  2.0
    2   touches            all       4.0  1.75     1.5  2.7  3.0
    3  channels      converted       1.0  2.00     2.0  2.0  2.0
    4  channels  not converted       3.0  1.00     1.0  1.0  1.0
    5  channels            all       4.0  1.25     1.0  1.7  2.0
    """
    prep = _prepared(journeys, _prep)
    j = prep.j
    distinct = np.bincount(prep.pairs.journey, minlength=j.n_journeys)
    rows, summary = [], []
    for measure, length in (("touches", np.asarray(j.lengths)), ("channels", distinct)):
        size = int(length.max()) + 1 if length.size else 1
        for outcome, w in ((CONVERTED, prep.conv), (NOT_CONVERTED, prep.nulls), (ALL, None)):
            w = prep.customers if w is None else w
            counts = _wcount(length, w, size)
            lengths_seen = np.flatnonzero(counts)
            total = float(counts.sum())
            rows.append(
                pd.DataFrame(
                    {
                        "measure": measure,
                        "outcome": outcome,
                        "length": lengths_seen,
                        "journeys": counts[lengths_seen],
                        "share": _ratio(counts[lengths_seen], total),
                    }
                )
            )
            values = lengths_seen.astype(np.float64)
            med, p90 = _quantiles(values, counts[lengths_seen], [0.5, 0.9])
            summary.append(
                {
                    "measure": measure,
                    "outcome": outcome,
                    "journeys": total,
                    "mean": _mean(values, counts[lengths_seen]),
                    "median": med,
                    "p90": p90,
                    "max": float(values.max()) if values.size else math.nan,
                }
            )
    table = pd.concat(rows, ignore_index=True)
    table["length"] = table["length"].astype(np.int64)
    return PathLengthsResult(table=table, summary=pd.DataFrame(summary))
