"""Spend and return: cost per attributed conversion, ROAS and ROI of each channel.

`read_costs` validates a spend table (a channel, a cost and optionally a period per row);
`roi` combines it with any model's `AttributionResult` (or `BootstrapResult`, whose
intervals carry over) into one row per channel.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ._io import read_table
from ._validation import DataWarning, check_columns, did_you_mean, show
from .result import AttributionResult

__all__ = ["read_costs", "roi"]

#: How `roi`'s error for spend on channels the result does not have ends: the Python
#: option. The command line has no such option and drops it (as it does `_io.DELIMITER_HINT`).
UNKNOWN_SPEND_HINT = ", or pass unknown='keep' to report them with no attributed conversions"


def read_costs(
    costs: Any,
    *,
    channel: str = "channel",
    cost: str = "cost",
    period: str | None = "period",
    start: Any = None,
    end: Any = None,
    delimiter: str | None = None,
) -> pd.Series:
    """Total spend per channel from a cost table, optionally within a period.

    Parameters
    ----------
    costs : DataFrame, path to a CSV file, mapping or Series
        One row per (channel, period) with the spend; a mapping or Series maps channel
        names to spend directly.
    channel, cost : str
        Column names of the channel and the spend.
    period : str or None, default "period"
        Column of the period each row's spend belongs to (a date such as ``2026-03-01``
        for the period starting then). Only used with `start` / `end`; it may be absent
        otherwise.
    start, end : date-like, optional
        Keep rows whose period is at or after `start` and at or before `end`.
    delimiter : str, optional
        CSV field delimiter of a file; by default the most frequent of ``;``, ``,``, tab
        and ``|`` in the header line.

    Returns
    -------
    Series
        Spend per channel (summed over periods), indexed by channel name; read from a
        file, ``attrs["source"]`` is its path, which later errors name.

    Raises
    ------
    ValueError
        On a missing column, a missing channel name, a spend that is missing, not a
        number, infinite or negative, or a period that is not a date when `start` /
        `end` are given; the message names the row (for files also the line).

    Examples
    --------
    >>> t = pd.DataFrame({"channel": ["search", "search", "display"],
    ...                   "period": ["2026-01-01", "2026-02-01", "2026-01-01"],
    ...                   "cost": [100.0, 50.0, 80.0]})
    >>> read_costs(t).to_dict()
    {'display': 80.0, 'search': 150.0}
    >>> read_costs(t, start="2026-02-01").to_dict()
    {'display': 0.0, 'search': 50.0}
    """
    if isinstance(costs, Mapping) or isinstance(costs, pd.Series):
        series = pd.Series(costs, dtype=object)
        frame = pd.DataFrame({channel: series.index.astype(object), cost: series.to_numpy()})
        # a Series read_costs made from a file keeps naming the file
        source = getattr(costs, "attrs", {}).get("source", "costs")
        if start is not None or end is not None:
            raise ValueError("costs given as a mapping have no periods to select with start/end")

        def name_row(i: int) -> str:
            return f"costs: channel {frame[channel].iloc[i]!r}"

    elif isinstance(costs, pd.DataFrame):
        frame = costs
        source = "cost table"
        labels = frame.index

        def name_row(i: int) -> str:
            return f"cost table: row {show(labels[i])}"

    elif isinstance(costs, str | os.PathLike):
        # empty cells stay "" (the spend checks below tell 'missing' from 'not a number')
        frame, source, name_row = read_table(costs, delimiter=delimiter, dtype={channel: str})
    else:
        raise TypeError(
            "costs must be a DataFrame, a CSV path, a mapping or a Series, "
            f"got {type(costs).__name__}"
        )
    need = [channel, cost]
    if start is not None or end is not None:
        if period is None:
            raise ValueError("start/end select periods: pass the period column's name")
        need.append(period)
    check_columns(list(frame.columns), need, source)
    names = frame[channel]
    missing = names.isna() | (names.astype(str).str.strip() == "")
    if missing.any():
        i = int(np.flatnonzero(missing.to_numpy())[0])
        raise ValueError(f"{name_row(i)}, column {channel!r}: missing channel name")
    raw = frame[cost]
    num = pd.to_numeric(raw.replace("", np.nan), errors="coerce").to_numpy(dtype=np.float64)
    for bad, why in (
        (
            np.isnan(num) & raw.notna().to_numpy() & (raw.astype(str) != "").to_numpy(),
            "is not a number",
        ),
        (np.isnan(num), "is missing"),
        (np.isinf(num), "is infinite"),
        (num < 0, "is negative"),
    ):
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise ValueError(f"{name_row(i)}, column {cost!r}: spend {show(raw.iloc[i])} {why}")
    keep = np.ones(len(frame), dtype=bool)
    if start is not None or end is not None:
        when = pd.to_datetime(frame[period], errors="coerce")
        bad = when.isna().to_numpy()
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise ValueError(
                f"{name_row(i)}, column {period!r}: {show(frame[period].iloc[i])} is not a date"
            )
        if start is not None:
            keep &= (when >= pd.Timestamp(start)).to_numpy()
        if end is not None:
            keep &= (when <= pd.Timestamp(end)).to_numpy()
    names = names.astype(str).str.strip()
    _check_repeated_rows(frame, names, period, name_row, source)
    total = pd.Series(np.where(keep, num, 0.0), index=names.to_numpy()).groupby(level=0).sum()
    total.index.name = "channel"
    total.name = "cost"
    if source not in ("costs", "cost table"):
        total.attrs["source"] = source
    return total


def _check_repeated_rows(
    frame: pd.DataFrame, names: pd.Series, period: str | None, name_row: Any, source: str
) -> None:
    """Refuse a (channel, period) given twice; warn when a channel without periods repeats.

    Spend of one channel over several periods is meant to be summed; the same period twice
    is a copy-paste error that would double the spend. Without a period column, repeated
    channel rows may be either, so they are summed with a warning naming them.
    """
    by_period = period is not None and period in frame.columns
    keys = pd.DataFrame({"channel": names.to_numpy()})
    if by_period:
        keys["period"] = frame[period].astype(str).str.strip().to_numpy()
    repeated = keys.duplicated(keep="first").to_numpy()
    if not repeated.any():
        return
    i = int(np.flatnonzero(repeated)[0])
    channel = keys["channel"].iloc[i]
    if by_period:
        raise ValueError(
            f"{name_row(i)}: channel {channel!r} has a second spend row for period"
            f" {keys['period'].iloc[i]!r} (one row per channel and period)"
        )
    n_rows = int((keys["channel"] == channel).sum())
    n_channels = int(keys.loc[repeated, "channel"].nunique())
    others = f" (and {n_channels - 1} more channels)" if n_channels > 1 else ""
    warnings.warn(
        f"{source}: channel {channel!r} is on {n_rows} rows{others} and no {period or 'period'!r}"
        " column tells them apart: their spend is summed",
        DataWarning,
        stacklevel=3,
    )


def check_spend_channels(
    spend: pd.Series, names: list[str], what: str, strict: bool = True, hint: str = ""
) -> list[str]:
    """Channels with spend that are not in `names`; a ValueError naming them if `strict`.

    The message starts with the spend file when `spend` came from one (`read_costs`) and
    ends with `hint` (another way out than correcting the names).
    """
    known = set(names)
    extra = [str(c) for c in spend.index if c not in known]
    if extra and strict:
        hints = ", ".join(f"{c!r}{did_you_mean(c, names)}" for c in extra)
        source = spend.attrs.get("source")
        raise ValueError(
            f"{f'{source}: ' if source else ''}spend on channels not in {what}: {hints};"
            f" channels are {names}; correct the names in the spend table{hint}"
        )
    return extra


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """num / den with x / 0 = inf (x > 0) and 0 / 0 = NaN, without warnings."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return num / den


def roi(
    result: AttributionResult,
    costs: Any,
    *,
    unknown: str = "error",
    **read_kwargs: Any,
) -> pd.DataFrame:
    """Cost per attributed conversion, return on ad spend and return on investment.

    Parameters
    ----------
    result : AttributionResult
        Any model's credit (a `BootstrapResult` adds intervals).
    costs : DataFrame, CSV path, mapping or Series
        Spend per channel (see `read_costs`).
    unknown : {"error", "keep"}, default "error"
        What to do with spend on channels the result does not know: an error naming
        them (usually a spelling difference between the cost table and the journeys),
        or rows with no attributed conversions.
    **read_kwargs
        Passed to `read_costs` (column names, ``start``, ``end``).

    Returns
    -------
    DataFrame
        Index channel; columns ``cost``, ``conversions``, ``value`` (the model's
        credit), ``cost_per_conversion``, ``roas``, ``roi`` and, when the result has
        intervals, ``cost_per_conversion_ci_low`` / ``_ci_high`` (and for ROAS and ROI
        when it has value intervals). Channels without a spend row (organic, direct)
        have cost 0 and NaN ratios: their return is not defined. A channel with spend
        and no credit has an infinite cost per conversion and ROI -1.

    Notes
    -----
    With spend :math:`c_k`, credited conversions :math:`x_k` and credited value
    :math:`v_k` of channel k:
    cost per conversion :math:`c_k / x_k`, ROAS :math:`v_k / c_k` and ROI
    :math:`(v_k - c_k) / c_k`. Each is monotone in the credit for a fixed spend, so the
    credit's interval maps to an interval of each (reversed for the cost per
    conversion). The numbers are only as causal as the model's credit: a rule's ROAS
    divides revenue the rule assigned, not revenue the spend caused.

    Examples
    --------
    >>> r = AttributionResult(["search", "email", "direct"], [6.0, 3.0, 1.0],
    ...                       [600.0, 250.0, 150.0], total_conversions=10, total_value=1000,
    ...                       estimand="rule", model="linear")
    >>> roi(r, {"search": 300.0, "email": 50.0})[["cost", "cost_per_conversion", "roas", "roi"]]
              cost  cost_per_conversion  roas  roi
    channel
    search   300.0            50.000000   2.0  1.0
    email     50.0            16.666667   5.0  4.0
    direct     0.0                  NaN   NaN  NaN
    """
    if not isinstance(result, AttributionResult):
        raise TypeError(f"result must be an AttributionResult, got {type(result).__name__}")
    if unknown not in ("error", "keep"):
        raise ValueError(f"unknown must be 'error' or 'keep', got {unknown!r}")
    spend = read_costs(costs, **read_kwargs)
    names = list(result.channel_names)
    extra = check_spend_channels(
        spend, names, "the result", strict=unknown == "error", hint=UNKNOWN_SPEND_HINT
    )
    index = pd.Index(names + extra, name="channel")
    pad = np.zeros(len(extra))
    cost = spend.reindex(index, fill_value=0.0).to_numpy(dtype=np.float64)
    conv = np.concatenate([result.conversions, pad])
    value = np.concatenate([result.value, pad])
    has_cost = index.isin(spend.index)
    if not has_cost.all():
        without = [str(c) for c in index[~has_cost]]
        warnings.warn(
            f"{', '.join(map(repr, without[:5]))}{' ...' if len(without) > 5 else ''}"
            f" {'has' if len(without) == 1 else 'have'} no spend in"
            f" {spend.attrs.get('source', 'the costs')}: cost per conversion, ROAS and ROI"
            " are undefined (NaN)",
            DataWarning,
            stacklevel=2,
        )
    nan = np.where(has_cost, 1.0, np.nan)  # no spend row: ratios undefined
    out = pd.DataFrame(
        {
            "cost": cost,
            "conversions": conv,
            "value": value,
            "cost_per_conversion": nan * _ratio(cost, conv),
            "roas": nan * _ratio(value, cost),
            "roi": nan * _ratio(value - cost, cost),
        },
        index=index,
    )
    if result.ci_low is not None and result.ci_high is not None:
        low = np.concatenate([result.ci_low, pad])
        high = np.concatenate([result.ci_high, pad])
        # a lower bound at or below 0 conversions leaves the cost per conversion unbounded
        out["cost_per_conversion_ci_low"] = nan * _ratio(cost, np.maximum(high, 0.0))
        out["cost_per_conversion_ci_high"] = nan * _ratio(cost, np.maximum(low, 0.0))
    v_low, v_high = result.details.get("value_ci_low"), result.details.get("value_ci_high")
    if v_low is not None and v_high is not None:
        v_low, v_high = np.concatenate([v_low, pad]), np.concatenate([v_high, pad])
        out["roas_ci_low"] = nan * _ratio(v_low, cost)
        out["roas_ci_high"] = nan * _ratio(v_high, cost)
        out["roi_ci_low"] = nan * _ratio(v_low - cost, cost)
        out["roi_ci_high"] = nan * _ratio(v_high - cost, cost)
    out.attrs["model"] = result.model
    return out
