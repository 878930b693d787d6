"""Time to conversion: days from the first touch, and from each channel's first touch."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..journeys import Journeys
from ._common import (
    _NO_TIMES,
    ANY_CHANNEL,
    CONVERTED,
    NOT_CONVERTED,
    _mean,
    _Prepared,
    _prepared,
    _quantiles,
    _ratio,
    _wcount,
)
from .results import TimeToConversionResult

_TIME_COLUMNS = (
    "channel",
    "outcome",
    "journeys",
    "mean_days",
    "p25_days",
    "median_days",
    "p75_days",
    "p90_days",
)
_TIME_QUANTILES = (0.25, 0.5, 0.75, 0.9)
_HIST_BINS = 40


def time_to_conversion(
    journeys: Journeys, *, _prep: _Prepared | None = None
) -> TimeToConversionResult:
    """Days from the first touch, and from each channel's first touch, to the conversion.

    For converting journeys the days run to the conversion; for the others to the end
    of observation, which is how long they were seen not converting (a censored time).
    The time of both is ``end_time`` when the journeys have it; otherwise the journey's
    last touch (a converting journey ends at the conversion, so this is the conversion's
    time up to the last touch's delay, while for non-converting journeys it ignores the
    quiet time after their last touch).

    Parameters
    ----------
    journeys : Journeys

    Returns
    -------
    TimeToConversionResult
        ``table``: one row per ``channel`` (first `ANY_CHANNEL`: days from the journey's
        first touch; then each channel, days from its first touch in journeys that include
        it; a channel no journey includes has 0 journeys and NaN days) and ``outcome``
        (``"converted"``, ``"not converted"``): ``journeys``, ``mean_days``, ``p25_days``,
        ``median_days``, ``p75_days``, ``p90_days``. Quantiles interpolate linearly, as
        ``numpy.quantile`` on one value per customer. ``histogram``: see
        `TimeToConversionResult`.

        Journeys without touch times: ``available`` is False, ``table`` and ``histogram``
        are empty (with their columns) and ``message`` says the times are missing.

    Examples
    --------
    >>> j = Journeys.from_paths(["a > b", "b > a > b", "a"], conversions=[1, 1, 0],
    ...                         nulls=[0, 0, 1], times=[[0, 4], [1, 2, 9], [3]],
    ...                         end_time=[6, 10, 20])
    >>> r = time_to_conversion(j)
    >>> r.table[["channel", "outcome", "journeys", "median_days"]]
             channel        outcome  journeys  median_days
    0  (any channel)      converted       2.0          7.5
    1  (any channel)  not converted       1.0         17.0
    2              a      converted       2.0          7.0
    3              a  not converted       1.0         17.0
    4              b      converted       2.0          5.5
    5              b  not converted       0.0          NaN

    Without touch times nothing fails; the result says why it is empty:

    >>> r = time_to_conversion(Journeys.from_paths(["a > b"], conversions=[1]))
    >>> r.available, r.table.empty, r.message
    (False, True, 'the journeys have no touch times (Journeys.times is None)')
    """
    prep = _prepared(journeys, _prep)
    j = prep.j
    hist_cols = ["outcome", "bin_start", "bin_end", "journeys", "share"]
    if j.times is None:
        return TimeToConversionResult(
            table=pd.DataFrame({c: [] for c in _TIME_COLUMNS}),
            histogram=pd.DataFrame({c: [] for c in hist_cols}),
            available=False,
            message=_NO_TIMES,
            end="end_time" if j.end_time is not None else "last touch",
        )
    end = prep.end
    total_days = end - prep.start_time
    pairs = prep.pairs
    pair_days = end[pairs.journey] - j.times[pairs.first_touch]
    # group the pairs by channel once (radix sort on small ints), then slice per channel
    small = pairs.channel.astype(np.int16) if j.n_channels < 2**15 else pairs.channel
    by_channel = np.argsort(small, kind="stable")
    bounds = np.zeros(j.n_channels + 1, dtype=np.int64)
    np.cumsum(np.bincount(pairs.channel, minlength=j.n_channels), out=bounds[1:])
    rows = []

    def add(label: str, outcome: str, days: np.ndarray, weights: np.ndarray) -> None:
        keep = weights > 0  # most pairs belong to the other outcome: drop them once
        days, weights = days[keep], weights[keep]
        q = _quantiles(days, weights, _TIME_QUANTILES)
        rows.append((label, outcome, float(weights.sum()), _mean(days, weights), *q))

    outcomes = ((CONVERTED, prep.conv), (NOT_CONVERTED, prep.nulls))
    for outcome, w in outcomes:
        add(ANY_CHANNEL, outcome, total_days, w)
    for c, name in enumerate(j.channel_names):
        sel = by_channel[bounds[c] : bounds[c + 1]]
        days = pair_days[sel]
        journey = pairs.journey[sel]
        for outcome, w in outcomes:
            add(name, outcome, days, w[journey])
    table = pd.DataFrame(rows, columns=list(_TIME_COLUMNS))
    # one set of bins for both outcomes, so their histograms compare bar by bar
    top = float(_quantiles(total_days, prep.customers, [0.99])[0]) if j.n_journeys else 0.0
    edges = np.linspace(0.0, max(top, 1e-9), _HIST_BINS + 1)
    which = np.clip(np.searchsorted(edges, total_days, side="right") - 1, 0, _HIST_BINS - 1)
    hist = []
    for outcome, w in ((CONVERTED, prep.conv), (NOT_CONVERTED, prep.nulls)):
        counts = _wcount(which, w, _HIST_BINS)
        hist.append(
            pd.DataFrame(
                {
                    "outcome": outcome,
                    "bin_start": edges[:-1],
                    "bin_end": edges[1:],
                    "journeys": counts,
                    "share": _ratio(counts, counts.sum()),
                }
            )
        )
    return TimeToConversionResult(
        table=table,
        histogram=pd.concat(hist, ignore_index=True),
        end=prep.end_source,
    )
