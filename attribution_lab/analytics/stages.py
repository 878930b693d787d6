"""The milestone funnel: stage counts, rates, days between stages, journeys stalled."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from .._validation import check_level
from ..journeys import MILESTONES, Journeys
from ._common import (
    _NO_TIMES,
    CONVERSION_STAGE,
    FIRST_TOUCH,
    _check_nonnegative,
    _Prepared,
    _prepared,
    _quantiles,
    _ratio,
)
from .intervals import wilson_interval
from .results import FunnelResult


def _default_stages(j: Journeys) -> list[str]:
    names = list(j.milestones)
    known = [m for m in MILESTONES if m in names]
    reach = {m: int(np.count_nonzero(j.milestones[m])) for m in names if m not in known}
    other = sorted(reach, key=lambda m: (-reach[m], m))
    stages = [*known, *other]
    if "closed_won" not in stages:
        stages.append(CONVERSION_STAGE)
    return stages


def _as_of_days(as_of: Any) -> float:
    if isinstance(as_of, bool):
        raise TypeError(f"as_of must be a number of days or a datetime, got {as_of!r}")
    if isinstance(as_of, int | float | np.integer | np.floating):
        if not math.isfinite(as_of):
            raise ValueError(f"as_of must be finite, got {as_of!r}")
        return float(as_of)
    try:
        stamp = pd.Timestamp(as_of)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"as_of must be a number of days or a datetime ({exc})") from None
    if stamp is pd.NaT:
        raise ValueError("as_of is missing (NaT)")
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert(None)
    # Journeys store datetimes as days since the epoch
    return (stamp - pd.Timestamp(0)) / pd.Timedelta(days=1)


def funnel(
    journeys: Journeys,
    stages: Sequence[str] | None = None,
    *,
    stall_days: float = 30.0,
    as_of: Any = None,
    ci_level: float = 0.95,
    _prep: _Prepared | None = None,
) -> FunnelResult:
    """Funnel stages from milestones: counts, stage conversion rates, days, stalled journeys.

    The first stage is always ``"first_touch"`` (every journey, at its first touch); a
    journey reaches a milestone stage at its first touch flagged with that milestone, and
    the ``"conversion"`` stage when it converts (at its end time).

    Parameters
    ----------
    journeys : Journeys
    stages : sequence of str, optional
        Milestone names in funnel order, and optionally ``"conversion"``. By default the
        journeys' milestones, the known ones in `MILESTONES` order (lead, opportunity,
        closed_won) then the others by decreasing reach, followed by ``"conversion"``
        unless ``"closed_won"`` is among them. Journeys without milestones give the
        two-stage funnel first touch -> conversion.
    stall_days : float, default 30
        A journey that has not converted and has stayed at its furthest stage longer than
        this many days (up to `as_of`) is stalled, as a lead SLA would count it.
    as_of : float or datetime, optional
        "Now" for stalled journeys, in the units of ``Journeys.times`` (days, or a datetime
        when the times were datetimes). By default each journey's ``end_time`` (the end of
        its observation), else the latest touch of all journeys.
    ci_level : float, default 0.95
        Coverage of the Wilson interval of the stage conversion rate.

    Returns
    -------
    FunnelResult
        ``table``, one row per stage:

        - ``journeys`` reaching it, ``share_of_start`` (of all journeys);
        - ``from_previous``: journeys that reached both the previous stage and this one;
          ``without_previous``: that reached this one without the previous (milestones
          skipped); ``conversion_rate`` = from_previous / journeys at the previous stage,
          with Wilson ``ci_low``, ``ci_high``;
        - ``median_days``, ``p90_days``: days from the previous stage to this one (journeys
          that reached both; negative if they reached them in the other order);
          ``median_days_from_start``: days from the first touch;
        - ``open``: non-converting journeys whose furthest stage is this one; ``stalled``:
          those of them that have been at it longer than `stall_days` (NaN for the last
          stage, which ends the funnel).

        Without touch times the day and ``stalled`` columns are NaN and ``message`` says
        they are unavailable; the counts remain.

    Examples
    --------
    >>> j = Journeys([0, 1, 1, 0, 1, 0], [0, 3, 5, 6], ["email", "sales"], [1, 0, 0],
    ...              [0, 1, 1], times=[0, 10, 20, 0, 50, 5], end_time=[25, 100, 100],
    ...              milestones={"lead": [True, False, False, True, False, False],
    ...                          "closed_won": [False, False, True, False, False, False]})
    >>> funnel(j, stall_days=30).table[["stage", "journeys", "conversion_rate",
    ...                                 "median_days", "open", "stalled"]]
            stage  journeys  conversion_rate  median_days  open  stalled
    0  first_touch       3.0              NaN          NaN   1.0      1.0
    1         lead       2.0         0.666667          0.0   1.0      1.0
    2   closed_won       1.0         0.500000         20.0   NaN      NaN
    """
    level = check_level(ci_level)
    stall = _check_nonnegative(stall_days, "stall_days")
    prep = _prepared(journeys, _prep)
    j = prep.j
    if stages is None:
        stages = _default_stages(j)
    else:
        if isinstance(stages, str):
            raise TypeError("stages must be a sequence of stage names, not a string")
        stages = list(stages)
        for s in stages:
            if s != CONVERSION_STAGE and s not in j.milestones:
                raise ValueError(
                    f"unknown stage {s!r}: the journeys have milestones {sorted(j.milestones)}"
                    f" (and {CONVERSION_STAGE!r} is always available)"
                )
        if FIRST_TOUCH in stages or len(set(stages)) != len(stages):
            raise ValueError(
                f"stages must be distinct and must not include {FIRST_TOUCH!r}, got {stages}"
            )
    stages = [FIRST_TOUCH, *stages]
    has_times = j.times is not None
    n = j.n_journeys
    weights, times = [], []
    for s in stages:
        if s == FIRST_TOUCH:
            weights.append(prep.customers)
            times.append(prep.start_time if has_times else None)
        elif s == CONVERSION_STAGE:
            weights.append(prep.conv)
            times.append(prep.end if has_times else None)
        else:
            touch = prep.first_flagged(s)
            reached = touch >= 0
            weights.append(np.where(reached, prep.customers, 0.0))
            times.append(j.times[np.maximum(touch, 0)] if has_times else None)
    # open customers' furthest stage (the conversion stage is not where open ones stand)
    current = np.zeros(n, dtype=np.int64)
    for k, s in enumerate(stages):
        if s != CONVERSION_STAGE:
            current[weights[k] > 0] = k
    if has_times:
        if as_of is None:
            now = (
                prep.end
                if j.end_time is not None
                else np.full(n, float(j.times.max(initial=-np.inf)))
            )
            as_of_label = "end_time" if j.end_time is not None else "latest touch"
        else:
            now = np.full(n, _as_of_days(as_of))
            as_of_label = str(as_of)
    else:
        as_of_label = "unavailable"
    rows = []
    for k, s in enumerate(stages):
        w = weights[k]
        reached_n = float(w.sum())
        row: dict[str, Any] = {"stage": s, "journeys": reached_n}
        if k == 0:
            both = w
            prev_n = math.nan
            row.update(from_previous=math.nan, without_previous=math.nan)
        else:
            both = np.minimum(weights[k - 1], w)  # customers that reached both stages
            prev_n = float(weights[k - 1].sum())
            row.update(from_previous=float(both.sum()), without_previous=reached_n - both.sum())
        rows.append(row)
        row["conversion_rate"] = float(_ratio(row["from_previous"], prev_n)) if k else math.nan
        lo, hi = (
            wilson_interval(row["from_previous"], prev_n, level)
            if k and prev_n > 0
            else (math.nan, math.nan)
        )
        row["ci_low"], row["ci_high"] = float(lo), float(hi)
        row["median_days"] = row["p90_days"] = row["median_days_from_start"] = math.nan
        if has_times and k:
            sel = both > 0
            gap = times[k][sel] - times[k - 1][sel]
            row["median_days"], row["p90_days"] = _quantiles(gap, both[sel], [0.5, 0.9])
            sel = w > 0
            (row["median_days_from_start"],) = _quantiles(
                times[k][sel] - times[0][sel], w[sel], [0.5]
            )
        at_stage = (current == k) & (w > 0)
        last_stage = k == len(stages) - 1
        row["open"] = math.nan if last_stage else float(prep.nulls[at_stage].sum())
        row["stalled"] = math.nan
        if has_times and not last_stage:
            late = at_stage & (now - times[k] > stall)
            row["stalled"] = float(prep.nulls[late].sum())
    columns = [
        "stage",
        "journeys",
        "share_of_start",
        "from_previous",
        "without_previous",
        "conversion_rate",
        "ci_low",
        "ci_high",
        "median_days",
        "p90_days",
        "median_days_from_start",
        "open",
        "stalled",
    ]
    table = pd.DataFrame(rows)
    start_n = table["journeys"].iloc[0]
    table["share_of_start"] = _ratio(table["journeys"].to_numpy(), start_n)
    message = None
    if not has_times:
        message = (
            "median_days, p90_days, median_days_from_start and stalled are unavailable: "
            + _NO_TIMES
        )
    elif not j.milestones:
        message = "the journeys have no milestones: first touch -> conversion only"
    return FunnelResult(
        table=table[columns], message=message, stall_days=stall, as_of=as_of_label, ci_level=level
    )
