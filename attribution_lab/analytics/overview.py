"""`describe`: the headline tables of every analysis, sharing the work they have in common."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from .._validation import check_instance, check_level
from ..journeys import Journeys
from ._common import (
    _check_top,
    _num,
    _pct,
    _plain,
    _Prepared,
    _ratio,
    _records,
)
from .channels import channel_overlap, channel_stats, transitions
from .paths import path_lengths, top_paths
from .results import (
    ChannelStatsResult,
    FunnelResult,
    OverlapResult,
    PathLengthsResult,
    PathsResult,
    TimeToConversionResult,
    TransitionsResult,
)
from .stages import funnel
from .timing import time_to_conversion


@dataclass(frozen=True, eq=False)
class DescribeResult:
    """The headline analytics of a set of journeys (see `describe`).

    Attributes
    ----------
    overview : pandas.Series
        Headline numbers: rows, journeys, conversions, conversion rate, value, touches,
        channels, whether there are touch times, milestones, accounts.
    paths : PathsResult
    lengths : PathLengthsResult
    time : TimeToConversionResult
    channels : ChannelStatsResult
    overlap : OverlapResult
    transitions : TransitionsResult
    funnel : FunnelResult
    """

    overview: pd.Series
    paths: PathsResult
    lengths: PathLengthsResult
    time: TimeToConversionResult
    channels: ChannelStatsResult
    overlap: OverlapResult
    transitions: TransitionsResult
    funnel: FunnelResult

    SECTIONS: ClassVar[tuple[str, ...]] = (
        "paths",
        "lengths",
        "time",
        "channels",
        "overlap",
        "transitions",
        "funnel",
    )

    def tables(self) -> dict[str, pd.DataFrame]:
        """Every headline table by name (``overview`` as a two-column frame)."""
        out = {"overview": self.overview.rename_axis("metric").reset_index()}
        out["paths"] = self.paths.table
        out["lengths"] = self.lengths.summary
        out["time"] = self.time.table
        out["channels"] = self.channels.table
        out["overlap"] = self.overlap.matrix().rename_axis("channel").reset_index()
        out["transitions"] = self.transitions.summary
        out["funnel"] = self.funnel.table
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: overview as a mapping, every other table as a list of records."""
        doc: dict[str, Any] = {"overview": {k: _plain(v) for k, v in self.overview.items()}}
        for name, frame in self.tables().items():
            if name != "overview":
                doc[name] = _records(frame)
        doc["messages"] = {
            name: getattr(self, name).message
            for name in self.SECTIONS
            if getattr(self, name).message
        }
        return doc

    def to_text(self) -> str:
        """All headline tables, titled, for a terminal."""
        o = self.overview
        lines = [
            f"{o['rows']:,} journey rows standing for {_num(o['journeys'])} journeys"
            f" (customers), {o['channels']} channels, {_num(o['touches'])} touches"
            f" ({_num(round(o['touches_per_journey'], 3))} per journey)",
            f"{_num(o['conversions'])} conversions (rate {_pct(o['conversion_rate'])}),"
            f" value {_num(o['value'])}",
            f"touch times: {o['times']}; end times: {o['end_times']};"
            f" milestones: {o['milestones']}; accounts: {o['accounts']}",
        ]
        for name in self.SECTIONS:
            lines.append("")
            lines.append(getattr(self, name).to_text())
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.to_text()

    def __repr__(self) -> str:
        o = self.overview
        return (
            f"DescribeResult(journeys={_num(o['journeys'])}, channels={o['channels']},"
            f" paths={self.paths.n_paths})"
        )

    def _repr_html_(self) -> str:
        import html

        head = "".join(
            f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(str(v))}</td></tr>"
            for k, v in self.overview.items()
        )
        return f"<table>{head}</table>" + "".join(
            getattr(self, name)._repr_html_() for name in self.SECTIONS
        )

    def plot(self) -> Any:
        """One figure with six panels: paths, lengths, time, channel roles, transitions,
        funnel. Returns the matplotlib Figure."""
        import matplotlib.pyplot as plt

        fig, axes = plt.subplots(3, 2, figsize=(15, 15))
        self.paths.plot(axes[0, 0])
        self.lengths.plot(axes[0, 1])
        self.time.plot(axes[1, 0])
        self.channels.plot(axes[1, 1])
        self.transitions.plot(axes[2, 0])
        self.funnel.plot(axes[2, 1])
        fig.tight_layout()
        return fig


def _overview(j: Journeys, prep: _Prepared) -> pd.Series:
    customers = float(prep.customers.sum())
    touches = float((np.asarray(j.lengths, dtype=np.float64) * prep.customers).sum())
    if j.times is None:
        times = "no"
    else:
        span = float(j.times.max() - j.times.min()) if j.n_touchpoints else 0.0
        times = f"yes, spanning {span:,.1f} days"
    return pd.Series(
        {
            "rows": j.n_journeys,
            "journeys": customers,
            "conversions": j.n_conversions,
            "conversion_rate": float(_ratio(j.n_conversions, customers)),
            "value": j.total_value,
            "channels": j.n_channels,
            "touches": touches,
            "touches_per_journey": float(_ratio(touches, customers)),
            "times": times,
            "end_times": "yes" if j.end_time is not None else "no",
            "milestones": ", ".join(j.milestones) if j.milestones else "none",
            "accounts": (
                f"{pd.unique(np.asarray(j.account)).size:,}" if j.account is not None else "none"
            ),
        },
        name="value",
        dtype=object,
    )


def describe(
    journeys: Journeys,
    top: int = 10,
    *,
    stall_days: float = 30.0,
    ci_level: float = 0.95,
) -> DescribeResult:
    """The headline analytics of journeys: paths, lengths, times, channels, funnel.

    Runs `top_paths` (by journeys), `path_lengths`, `time_to_conversion`,
    `channel_stats`, `channel_overlap`, `transitions` and `funnel` with their defaults,
    sharing the work they have in common.

    Parameters
    ----------
    journeys : Journeys
    top : int, default 10
        Paths listed.
    stall_days : float, default 30
        Passed to `funnel`.
    ci_level : float, default 0.95
        Coverage of every Wilson interval.

    Returns
    -------
    DescribeResult
        One attribute per analysis, plus ``overview``; ``to_text()`` prints them all,
        ``to_dict()`` gives them JSON-ready, ``plot()`` draws six panels.

    Examples
    --------
    >>> from attribution_lab import load_pathdata
    >>> d = describe(load_pathdata(), top=3)
    >>> d.paths.table[["path", "journeys", "conversion_rate"]]
                                                path  journeys  conversion_rate
    0                          alpha > alpha > alpha   18610.0         0.225524
    1                                            eta    7520.0         0.213298
    2  alpha > alpha > alpha > alpha > alpha > alpha    7504.0         0.200293
    >>> d.time.available, d.overview["journeys"]
    (False, 88387.0)
    >>> print(d.to_text().splitlines()[0])  # doctest: +ELLIPSIS
    10,000 journey rows standing for 88,387 journeys (customers), 12 channels, ...
    """
    j = check_instance(journeys, Journeys, "journeys")
    top = _check_top(top, allow_none=False)
    level = check_level(ci_level)
    prep = _Prepared(j)
    return DescribeResult(
        overview=_overview(j, prep),
        paths=top_paths(j, top, ci_level=level),
        lengths=path_lengths(j, _prep=prep),
        time=time_to_conversion(j, _prep=prep),
        channels=channel_stats(j, ci_level=level, _prep=prep),
        overlap=channel_overlap(j, _prep=prep),
        transitions=transitions(j, _prep=prep),
        funnel=funnel(j, stall_days=stall_days, ci_level=level, _prep=prep),
    )
