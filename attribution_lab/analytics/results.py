"""The result types of journey analytics: a tidy table, ``to_text()``, ``to_dict()`` and
``plot()`` (matplotlib imported only when plotting)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from ..markov.chain import CONVERSION, NULL
from ._common import (
    ALL,
    ANY_CHANNEL,
    CONVERTED,
    NOT_CONVERTED,
    _frame_text,
    _heatmap,
    _message_axes,
    _new_axes,
    _num,
    _quantiles,
    _share_label,
    _wcount,
)


@dataclass(frozen=True, eq=False, kw_only=True, repr=False)
class AnalyticsResult:
    """A tidy table with a text rendering and a plot; base of every analytics result.

    Attributes
    ----------
    table : pandas.DataFrame
        The tidy result (see each function for its columns).
    available : bool
        False when the figures need data the journeys lack (touch times); ``table`` is
        then empty and `message` says why.
    message : str or None
        Why figures are missing, or a caveat worth printing with the table.
    """

    table: pd.DataFrame
    available: bool = True
    message: str | None = None
    title: ClassVar[str] = "Journey analytics"

    def _text_body(self) -> str:
        return _frame_text(self.table)

    def to_text(self) -> str:
        """The title, the message if any, and the headline table, for a terminal."""
        lines = [self.title]
        if self.message:
            lines.append(("unavailable: " if not self.available else "note: ") + self.message)
        if self.available:
            lines.append(self._text_body())
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.to_text()

    def __repr__(self) -> str:
        state = "" if self.available else ", unavailable"
        return f"{type(self).__name__}({len(self.table)} rows{state})"

    def _repr_html_(self) -> str:
        import html

        note = f"<p><i>{html.escape(self.message)}</i></p>" if self.message else ""
        return f"<p><b>{html.escape(self.title)}</b></p>{note}" + self.table.to_html(
            index=False, float_format=_num, na_rep="-"
        )

    def plot(self, ax: Any = None) -> Any:  # pragma: no cover - every subclass overrides
        raise NotImplementedError


@dataclass(frozen=True, eq=False, kw_only=True, repr=False)
class PathsResult(AnalyticsResult):
    """The top paths (see `top_paths`).

    Attributes
    ----------
    table : DataFrame
        ``rank``, ``path``, ``touches``, ``journeys``, ``share`` (of all journeys),
        ``conversions``, ``conversion_rate``, ``ci_low``, ``ci_high``, ``value``.
    n_paths : int
        Distinct paths in the journeys.
    n_supported : int
        Distinct paths with at least `min_support` journeys.
    by : str
    min_support : float
    ci_level : float
    overall_rate : float
        Conversion rate of all journeys.
    """

    n_paths: int = 0
    n_supported: int = 0
    by: str = "journeys"
    min_support: float = 1.0
    ci_level: float = 0.95
    overall_rate: float = math.nan
    title: ClassVar[str] = "Top paths"

    def to_text(self) -> str:
        head = (
            f"Top {len(self.table)} of {self.n_paths:,} distinct paths by {self.by}"
            f" ({self.n_supported:,} of them with journeys >= {_num(self.min_support)};"
            f" {self.ci_level:.0%} Wilson intervals of the conversion rate)"
        )
        return head + "\n" + _frame_text(self.table)

    def plot(self, ax: Any = None) -> Any:
        """Conversion rate of each listed path with its Wilson interval."""
        t = self.table
        ax = _new_axes(ax, (8, 1.5 + 0.35 * max(len(t), 1)))
        if t.empty:
            return _message_axes(ax, self.title, "no path has enough journeys")
        y = np.arange(len(t))[::-1]
        rate = t["conversion_rate"].to_numpy()
        err = np.vstack([rate - t["ci_low"].to_numpy(), t["ci_high"].to_numpy() - rate])
        ax.barh(y, rate, color="tab:blue", alpha=0.75)
        ax.errorbar(rate, y, xerr=err, fmt="none", ecolor="black", capsize=3, lw=1)
        labels = [
            (p if len(p) <= 36 else p[:33] + "...") + f"  (n={_num(n)})"
            for p, n in zip(t["path"], t["journeys"], strict=True)
        ]
        ax.set_yticks(y, labels, fontsize=8)
        if np.isfinite(self.overall_rate):
            ax.axvline(self.overall_rate, color="grey", ls="--", lw=1, label="all journeys")
            ax.legend(fontsize="small", loc="lower right")
        ax.set_xlabel(f"conversion rate ({self.ci_level:.0%} Wilson interval)")
        ax.set_title(f"Top paths by {self.by}")
        ax.grid(axis="x", alpha=0.3)
        return ax


@dataclass(frozen=True, eq=False, kw_only=True, repr=False)
class PathLengthsResult(AnalyticsResult):
    """Distribution of journey lengths (see `path_lengths`).

    Attributes
    ----------
    table : DataFrame
        One row per ``measure`` (``"touches"`` or ``"channels"``, the distinct channels),
        ``outcome`` (``"converted"``, ``"not converted"``, ``"all"``) and ``length``
        reached by some journey: ``journeys`` and ``share`` (within measure and outcome).
    summary : DataFrame
        One row per measure and outcome: ``journeys``, ``mean``, ``median``, ``p90``,
        ``max``.
    """

    summary: pd.DataFrame = field(default_factory=pd.DataFrame)
    title: ClassVar[str] = "Path length (touches and distinct channels per journey)"

    def _text_body(self) -> str:
        return _frame_text(self.summary)

    def plot(self, ax: Any = None, *, measure: str = "touches") -> Any:
        """Share of journeys by length, converted against not converted.

        Lengths beyond the 99th percentile of all journeys are pooled into the last bar.
        """
        if measure not in ("touches", "channels"):
            raise ValueError(f"measure must be 'touches' or 'channels', got {measure!r}")
        ax = _new_axes(ax, (7, 3.5))
        t = self.table[self.table["measure"] == measure]
        if t.empty:
            return _message_axes(ax, self.title, "no journeys")
        every = t[t["outcome"] == ALL]
        cap = int(
            _quantiles(every["length"].to_numpy(np.float64), every["journeys"].to_numpy(), [0.99])[
                0
            ]
        )
        cap = max(cap, 1)
        width = 0.4
        for k, (outcome, color) in enumerate(((CONVERTED, "tab:green"), (NOT_CONVERTED, "0.6"))):
            part = t[t["outcome"] == outcome]
            length = np.minimum(part["length"].to_numpy(), cap)
            share = _wcount(length, part["share"].to_numpy(), cap + 1)
            x = np.arange(1, cap + 1)
            ax.bar(x + (k - 0.5) * width, share[1:], width=width, color=color, label=outcome)
        ax.set_xlabel(f"{measure} per journey (last bar: {cap} or more)")
        ax.set_ylabel("share of journeys")
        ax.legend(fontsize="small")
        ax.set_title(f"Path length in {measure}")
        ax.grid(axis="y", alpha=0.3)
        return ax


@dataclass(frozen=True, eq=False, kw_only=True, repr=False)
class TimeToConversionResult(AnalyticsResult):
    """Days from the first touch to the conversion (see `time_to_conversion`).

    Attributes
    ----------
    table : DataFrame
        One row per ``channel`` (`ANY_CHANNEL` for the journey's first touch, then every
        channel: days from its first touch in the journey) and ``outcome``: ``journeys``,
        ``mean_days``, ``p25_days``, ``median_days``, ``p75_days``, ``p90_days``. Empty when
        unavailable.
    histogram : DataFrame
        Days from the journey's first touch in 40 equal bins up to the 99th percentile
        (longer journeys in the last bin): ``outcome``, ``bin_start``, ``bin_end``,
        ``journeys``, ``share``.
    end : str
        What the days run to: ``"end_time"`` (conversion time, or end of observation for
        non-converting journeys) or ``"last touch"`` when the journeys have no end times.
    """

    histogram: pd.DataFrame = field(default_factory=pd.DataFrame)
    end: str = "end_time"
    title: ClassVar[str] = "Days from first touch to conversion (or to the end, if none)"

    def plot(self, ax: Any = None, *, what: str = "histogram") -> Any:
        """Distribution of days from the first touch, or each channel's median.

        Parameters
        ----------
        ax : matplotlib Axes, optional
        what : {"histogram", "channels"}
            ``"histogram"``: share of journeys by days from the journey's first touch,
            converted against not converted. ``"channels"``: for converted journeys, the
            median days from each channel's first touch, with the interquartile range.
        """
        if what not in ("histogram", "channels"):
            raise ValueError(f"what must be 'histogram' or 'channels', got {what!r}")
        if not self.available:
            return _message_axes(ax, "Time to conversion", f"unavailable: {self.message}")
        ax = _new_axes(ax, (7, 3.5))
        if what == "histogram":
            h = self.histogram
            for outcome, color in ((CONVERTED, "tab:green"), (NOT_CONVERTED, "0.45")):
                part = h[h["outcome"] == outcome]
                if part.empty or part["journeys"].sum() == 0:
                    continue
                edges = np.append(part["bin_start"].to_numpy(), part["bin_end"].iloc[-1])
                ax.stairs(part["share"].to_numpy(), edges, color=color, lw=1.8, label=outcome)
                row = self.table[
                    (self.table["channel"] == ANY_CHANNEL) & (self.table["outcome"] == outcome)
                ]
                med = float(row["median_days"].iloc[0])
                if np.isfinite(med):
                    ax.axvline(med, color=color, ls=":", lw=1)
            ax.set_xlabel(f"days from first touch to {self.end} (dotted: medians)")
            ax.set_ylabel("share of journeys")
            ax.legend(fontsize="small")
            ax.set_title("Time from first touch")
            ax.grid(axis="y", alpha=0.3)
            return ax
        t = self.table[(self.table["outcome"] == CONVERTED) & (self.table["journeys"] > 0)]
        t = t.iloc[::-1]
        y = np.arange(len(t))
        med = t["median_days"].to_numpy()
        err = np.vstack([med - t["p25_days"].to_numpy(), t["p75_days"].to_numpy() - med])
        ax.barh(y, med, color="tab:green", alpha=0.7)
        ax.errorbar(med, y, xerr=err, fmt="none", ecolor="black", capsize=3, lw=1)
        ax.set_yticks(y, t["channel"].tolist())
        ax.set_xlabel(f"median days to conversion from the channel's first touch (IQR; {self.end})")
        ax.set_title("Time to conversion by channel (converted journeys)")
        ax.grid(axis="x", alpha=0.3)
        return ax


@dataclass(frozen=True, eq=False, kw_only=True, repr=False)
class ChannelStatsResult(AnalyticsResult):
    """Per-channel reach, frequency, roles and conversion rates (see `channel_stats`).

    Attributes
    ----------
    table : DataFrame
        One row per channel, see `channel_stats`.
    ci_level : float
    overall_rate : float
        Conversion rate of all journeys.
    """

    ci_level: float = 0.95
    overall_rate: float = math.nan
    title: ClassVar[str] = "Channels"

    def plot(self, ax: Any = None, *, what: str = "roles") -> Any:
        """Horizontal bars per channel.

        Parameters
        ----------
        ax : matplotlib Axes, optional
        what : {"roles", "conversion_rate", "reach"}
            ``"roles"``: share of journeys in which the channel is first, assisting,
            last; ``"conversion_rate"``: of journeys that include it, with its Wilson
            interval; ``"reach"``: share of journeys that include it.
        """
        if what not in ("roles", "conversion_rate", "reach"):
            raise ValueError(f"what must be 'roles', 'conversion_rate' or 'reach', got {what!r}")
        t = self.table
        ax = _new_axes(ax, (7, 1.2 + 0.45 * max(len(t), 1)))
        y = np.arange(len(t))[::-1]
        if what == "roles":
            height = 0.27
            for k, (col, color) in enumerate(
                (("first", "tab:blue"), ("assisting", "tab:orange"), ("last", "tab:green"))
            ):
                ax.barh(y + (1 - k) * height, t[col], height=height, color=color, label=col)
            ax.set_xlabel("share of journeys in which the channel is first / assisting / last")
            ax.legend(fontsize="small", loc="lower right")
            ax.set_title("Channel roles")
        elif what == "reach":
            ax.barh(y, t["reach"], color="tab:blue", alpha=0.8)
            ax.set_xlabel("share of journeys that include the channel")
            ax.set_title("Channel reach")
        else:
            rate = t["conversion_rate"].to_numpy()
            err = np.vstack([rate - t["ci_low"].to_numpy(), t["ci_high"].to_numpy() - rate])
            ax.barh(y, rate, color="tab:blue", alpha=0.75)
            ax.errorbar(rate, y, xerr=err, fmt="none", ecolor="black", capsize=3, lw=1)
            if np.isfinite(self.overall_rate):
                ax.axvline(self.overall_rate, color="grey", ls="--", lw=1, label="all journeys")
                ax.legend(fontsize="small", loc="lower right")
            ax.set_xlabel(
                f"conversion rate of journeys including the channel ({self.ci_level:.0%} Wilson)"
            )
            ax.set_title("Conversion rate by channel")
        ax.set_yticks(y, t["channel"].tolist())
        ax.grid(axis="x", alpha=0.3)
        return ax


@dataclass(frozen=True, eq=False, kw_only=True, repr=False)
class OverlapResult(AnalyticsResult):
    """Channel co-occurrence (see `channel_overlap`).

    Attributes
    ----------
    table : DataFrame
        One row per ordered pair of channels (``channel_a``, ``channel_b``), diagonal
        included: ``journeys`` that include both, ``share_of_a`` (of the journeys that
        include ``channel_a``, the share that also include ``channel_b``) and ``jaccard``
        (journeys with both over journeys with either).
    """

    title: ClassVar[str] = "Channel overlap"

    def matrix(self, what: str = "share_of_a") -> pd.DataFrame:
        """Channel x channel matrix of one column (rows: ``channel_a``).

        Examples
        --------
        >>> from attribution_lab import Journeys
        >>> from attribution_lab.analytics import channel_overlap
        >>> j = Journeys.from_paths(["a > b", "a", "b > c"], conversions=[1, 0, 0],
        ...                         nulls=[0, 1, 1])
        >>> channel_overlap(j).matrix("journeys")
        channel_b    a    b    c
        channel_a
        a          2.0  1.0  0.0
        b          1.0  2.0  1.0
        c          0.0  1.0  1.0
        """
        if what not in ("journeys", "share_of_a", "jaccard"):
            raise ValueError(f"what must be 'journeys', 'share_of_a' or 'jaccard', got {what!r}")
        t = self.table
        names = pd.unique(t["channel_a"])
        wide = t.pivot(index="channel_a", columns="channel_b", values=what)
        return wide.loc[names, names]

    def _text_body(self) -> str:
        return "share of the row channel's journeys that also include the column channel\n" + (
            _frame_text(self.matrix(), index=True, percent=True)
        )

    def plot(self, ax: Any = None, *, what: str = "share_of_a") -> Any:
        """Heatmap of `matrix` (``what`` as there)."""
        m = self.matrix(what)
        if m.empty:
            return _message_axes(ax, self.title, "no channels")
        title, label = {
            "share_of_a": (
                "Channel overlap: share of the row channel's\njourneys that include the column one",
                "share of the row channel's journeys",
            ),
            "jaccard": ("Channel overlap: journeys with both / with either", "Jaccard index"),
            "journeys": ("Channel overlap: journeys with both channels", "journeys"),
        }[what]
        m = m.rename_axis(index="channel", columns="also includes")
        fmt = _num if what == "journeys" else _share_label
        return _heatmap(ax, m, title, label, fmt=fmt, hide_diagonal=what != "journeys")


@dataclass(frozen=True, eq=False, kw_only=True, repr=False)
class TransitionsResult(AnalyticsResult):
    """First-order transitions between consecutive touches (see `transitions`).

    Attributes
    ----------
    table : DataFrame
        One row per observed transition: ``from``, ``to``, ``transitions`` (customers
        making it) and ``share`` (of all transitions out of ``from``), sorted by ``from``
        (``"(start)"`` first when `ends`) and decreasing count.
    summary : DataFrame
        One row per channel: ``transitions`` out of it, the most common ``next_channel``
        and its ``next_share``, ``self_share`` (the channel again), ``conversion_share``
        and ``null_share`` (the journey ends there, converting or not; NaN without ends).
    ends : bool
    drop_repeats : bool
    """

    summary: pd.DataFrame = field(default_factory=pd.DataFrame)
    ends: bool = True
    drop_repeats: bool = False
    title: ClassVar[str] = "Most common next channel (first-order transitions)"

    def matrix(self) -> pd.DataFrame:
        """From x to matrix of transition shares (rows sum to 1)."""
        t = self.table
        rows = list(dict.fromkeys(t["from"]))
        cols = [c for c in self.summary["channel"]] + ([CONVERSION, NULL] if self.ends else [])
        wide = t.pivot(index="from", columns="to", values="share")
        wide = wide.reindex(index=rows, columns=cols).fillna(0.0)
        wide.index.name, wide.columns.name = "from", "to"
        return wide

    def _text_body(self) -> str:
        return _frame_text(self.summary)

    def plot(self, ax: Any = None) -> Any:
        """Heatmap of `matrix`: where each channel's journeys go next."""
        m = self.matrix()
        if m.empty:
            return _message_axes(ax, self.title, "no transitions")
        return _heatmap(ax, m, "Next touch after each channel", "share of transitions out")


@dataclass(frozen=True, eq=False, kw_only=True, repr=False)
class FunnelResult(AnalyticsResult):
    """Funnel stages from milestones (see `funnel`).

    Attributes
    ----------
    table : DataFrame
        One row per stage, see `funnel`.
    stall_days : float
    as_of : str
        What "now" is for stalled journeys.
    ci_level : float
    """

    stall_days: float = 30.0
    as_of: str = "end_time"
    ci_level: float = 0.95
    title: ClassVar[str] = "Funnel"

    def plot(self, ax: Any = None) -> Any:
        """Journeys reaching each stage, the stalled ones among them, and stage rates."""
        t = self.table
        ax = _new_axes(ax, (8, 1.2 + 0.6 * max(len(t), 1)))
        if t.empty or not t["journeys"].iloc[0] > 0:
            return _message_axes(ax, self.title, "no journeys")
        y = np.arange(len(t))[::-1]
        n = t["journeys"].to_numpy()
        stalled = t["stalled"].to_numpy()
        ax.barh(y, n, color="tab:blue", alpha=0.75, label="reached the stage")
        if np.isfinite(stalled).any():
            ax.barh(
                y,
                np.nan_to_num(stalled),
                color="tab:red",
                alpha=0.75,
                height=0.5,
                label=f"stalled there > {_num(self.stall_days)} days",
            )
        for yy, (_, row) in zip(y, t.iterrows(), strict=True):
            parts = [_num(row["journeys"])]
            if np.isfinite(row["conversion_rate"]):
                parts.append(f"{row['conversion_rate']:.1%} of previous")
            if np.isfinite(row["median_days"]):
                parts.append(f"median {row['median_days']:.3g} d")
            if np.isfinite(row["stalled"]):
                parts.append(f"{_num(row['stalled'])} stalled")
            ax.text(row["journeys"] + 0.01 * n[0], yy, " | ".join(parts), va="center", fontsize=8)
        ax.set_yticks(y, t["stage"].tolist())
        ax.set_xlim(0, 2.2 * n[0])
        ax.set_xlabel("journeys")
        ax.legend(fontsize="small", loc="lower right")
        ax.set_title("Funnel: journeys reaching each stage")
        ax.grid(axis="x", alpha=0.3)
        return ax
