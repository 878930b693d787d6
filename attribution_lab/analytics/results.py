"""Journey analytics: the paths, lengths, times, channel roles and funnel behind the credit.

Before trusting any attribution number, look at the journeys themselves. Every function
here takes `Journeys` and returns a small result object: a tidy ``table`` (a pandas
DataFrame), sometimes a second table, ``to_text()`` for a terminal and ``plot()`` for a
matplotlib figure (matplotlib is imported only when plotting).

======================  =============================================================
`top_paths`             the most common, converting or valuable paths, Wilson intervals
`path_lengths`          touches and distinct channels per journey
`time_to_conversion`    days from the first touch, and from each channel's first touch
`channel_stats`         reach, touches per journey, first / assisting / last roles, rates
`channel_overlap`       how often channels appear in the same journey
`transitions`           first-order transition shares: the most common next channel
`funnel`                milestone stages: counts, rates, days between them, stalled
`describe`              the headline tables of all of the above
======================  =============================================================

Counting
--------
A journey row of `Journeys` stands for ``conversions + nulls`` customers who followed
its path (aggregated path tables), or for one customer (raw data). Every count here is a
count of customers: a column called ``journeys`` sums ``conversions + nulls``, and
conversion rates are ``conversions / journeys``. Raw and aggregated versions of the same
data therefore give the same tables.

Unavailable figures
-------------------
Time-based figures need touch times (``Journeys.times``); path tables have none. Rather
than failing, `time_to_conversion` then returns a result with ``available = False``, an
empty ``table`` with its usual columns and a ``message`` saying why, and `funnel` keeps its
counts and leaves its time-based columns NaN, saying so in ``message``. ``to_text()``
prints the message and ``plot()`` draws it where the figure would be.

All functions are vectorised over the CSR arrays (no Python loop per journey or per
touch; some loop once per channel or per stage).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.special import ndtri

from ..journeys import MILESTONES, Journeys
from ..markov.chain import CONVERSION, NULL, START

__all__ = [
    "AnalyticsResult",
    "ChannelStatsResult",
    "DescribeResult",
    "FunnelResult",
    "OverlapResult",
    "PathLengthsResult",
    "PathsResult",
    "TimeToConversionResult",
    "TransitionsResult",
    "channel_overlap",
    "channel_stats",
    "describe",
    "funnel",
    "path_lengths",
    "time_to_conversion",
    "top_paths",
    "transitions",
    "wilson_interval",
]

CONVERTED = "converted"
NOT_CONVERTED = "not converted"
ALL = "all"
#: Row label of `time_to_conversion` for the journey's first touch of any channel.
ANY_CHANNEL = "(any channel)"
#: The funnel's first stage (every journey reaches it at its first touch).
FIRST_TOUCH = "first_touch"
#: Funnel stage name for the journey's conversion (``conversions > 0``).
CONVERSION_STAGE = "conversion"
PATH_ORDER = ("journeys", "conversions", "conversion_rate", "ci_low", "value")
_NO_TIMES = "the journeys have no touch times (Journeys.times is None)"


# ============================================================================ checks
def _check_journeys(journeys: Any) -> Journeys:
    if not isinstance(journeys, Journeys):
        raise TypeError(f"journeys must be a Journeys object, got {type(journeys).__name__}")
    return journeys


def _check_top(top: Any, name: str = "top", *, allow_none: bool = True) -> int | None:
    if top is None and allow_none:
        return None
    if isinstance(top, bool) or not isinstance(top, int | np.integer) or top < 1:
        extra = " or None" if allow_none else ""
        raise ValueError(f"{name} must be a positive integer{extra}, got {top!r}")
    return int(top)


def _check_level(ci_level: Any) -> float:
    if (
        isinstance(ci_level, bool)
        or not isinstance(ci_level, int | float | np.floating)
        or not 0 < ci_level < 1
    ):
        raise ValueError(f"ci_level must be a number strictly between 0 and 1, got {ci_level!r}")
    return float(ci_level)


def _check_nonnegative(value: Any, name: str, what: str = "number of days") -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float | np.integer | np.floating)
        or not math.isfinite(value)
        or value < 0
    ):
        raise ValueError(f"{name} must be a non-negative {what}, got {value!r}")
    return float(value)


def _ratio(num: Any, den: Any) -> np.ndarray:
    """num / den, NaN where den is 0 (no warning: these are empty groups, not errors)."""
    num = np.asarray(num, dtype=np.float64)
    den = np.asarray(den, dtype=np.float64)
    out = np.full(np.broadcast(num, den).shape, np.nan)
    np.divide(num, den, out=out, where=den > 0)
    return out


# ============================================================================ statistics
def wilson_interval(
    successes: Any, trials: Any, ci_level: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    r"""Wilson score interval of a binomial proportion, elementwise.

    Parameters
    ----------
    successes, trials : array-like of float
        Conversions and journeys; ``0 <= successes <= trials``. Counts need not be
        integers (weighted customers).
    ci_level : float, default 0.95

    Returns
    -------
    low, high : ndarray of float, the shape of the inputs; NaN where ``trials == 0``.

    Notes
    -----
    With :math:`\hat p = x/n` and :math:`z` the :math:`(1+\text{level})/2` normal quantile,

    .. math:: \frac{\hat p + z^2/2n \pm z\sqrt{\hat p(1-\hat p)/n + z^2/4n^2}}{1 + z^2/n}.

    Unlike the normal (Wald) interval it stays inside [0, 1] and does not collapse to a
    point for paths whose few journeys all converted or all did not, which is why path
    rankings use it. It equals ``statsmodels.stats.proportion.proportion_confint(x, n,
    method="wilson")``.

    References
    ----------
    E. B. Wilson (1927), "Probable inference, the law of succession, and statistical
    inference", Journal of the American Statistical Association 22(158), 209-212.

    Examples
    --------
    >>> low, high = wilson_interval([0, 5, 0], [10, 10, 0])
    >>> np.round(low, 4).tolist(), np.round(high, 4).tolist()
    ([0.0, 0.2366, nan], [0.2775, 0.7634, nan])
    """
    level = _check_level(ci_level)
    x = np.asarray(successes, dtype=np.float64)
    n = np.asarray(trials, dtype=np.float64)
    if x.shape != n.shape:
        raise ValueError(f"successes has shape {x.shape} but trials has shape {n.shape}")
    if not (np.isfinite(x).all() and np.isfinite(n).all()):
        raise ValueError("successes and trials must be finite")
    if (x < 0).any() or (x > n).any():
        raise ValueError("successes must lie between 0 and trials")
    z = float(ndtri(0.5 + level / 2))
    flat_x, flat_n = x.ravel(), n.ravel()
    low = np.full(flat_x.shape, np.nan)
    high = np.full(flat_x.shape, np.nan)
    ok = flat_n > 0
    nn = flat_n[ok]
    p = flat_x[ok] / nn
    denom = 1.0 + z * z / nn
    center = (p + z * z / (2 * nn)) / denom
    half = z * np.sqrt(p * (1 - p) / nn + z * z / (4 * nn * nn)) / denom
    low[ok] = np.clip(center - half, 0.0, 1.0)
    high[ok] = np.clip(center + half, 0.0, 1.0)
    return low.reshape(x.shape), high.reshape(x.shape)


def _quantiles(x: np.ndarray, w: np.ndarray, qs: Sequence[float]) -> np.ndarray:
    """Weighted quantiles: linear interpolation on the sample with each x repeated w times.

    For integer weights this is ``np.quantile(np.repeat(x, w), qs)``, so an aggregated
    table gives the figures of the raw data it came from; for unit weights it is exactly
    ``np.quantile(x, qs)``, which partitions instead of sorting.
    """
    q = np.asarray(qs, dtype=np.float64)
    keep = w > 0
    if not keep.all():
        x, w = x[keep], w[keep]
    if x.size == 0:
        return np.full(q.shape, np.nan)
    if (w == 1).all():
        return np.quantile(x, q)
    order = np.argsort(x, kind="stable")
    xs = x[order]
    cw = np.cumsum(w[order])
    h = max(cw[-1] - 1.0, 0.0) * q  # 0-based position in the expanded sample
    lo = np.floor(h)
    # element k covers expanded positions [cw[k-1], cw[k])
    i_lo = np.minimum(np.searchsorted(cw, lo, side="right"), xs.size - 1)
    i_hi = np.minimum(np.searchsorted(cw, np.ceil(h), side="right"), xs.size - 1)
    return xs[i_lo] + (h - lo) * (xs[i_hi] - xs[i_lo])


def _wcount(x: np.ndarray, weights: np.ndarray, size: int) -> np.ndarray:
    """Weighted bincount that is float64 even when `x` is empty (numpy then gives int64)."""
    return np.bincount(x, weights=weights, minlength=size).astype(np.float64, copy=False)


def _mean(x: np.ndarray, w: np.ndarray) -> float:
    total = float(w.sum())
    # not np.dot: BLAS threads fighting another process for the cores made it 10x slower
    return float((x * w).sum() / total) if total > 0 else math.nan


# ============================================================================ shared arrays
@dataclass(frozen=True)
class _Pairs:
    """The distinct (journey, channel) pairs, sorted by journey then channel."""

    journey: np.ndarray  # int64
    channel: np.ndarray  # int32
    first_touch: np.ndarray  # index of the pair's earliest touch
    touches: np.ndarray  # touches of the channel in the journey
    middle: np.ndarray  # bool: a touch that is neither the journey's first nor its last


class _Prepared:
    """Arrays several analytics need, computed at most once (shared by `describe`)."""

    def __init__(self, journeys: Journeys) -> None:
        self.j = journeys
        self.conv = np.asarray(journeys.conversions)
        self.nulls = np.asarray(journeys.nulls)
        self.customers = self.conv + self.nulls

    @cached_property
    def pairs(self) -> _Pairs:
        j = self.j
        n_touch, n_ch = j.n_touchpoints, j.n_channels
        if n_touch == 0:
            empty = np.zeros(0, dtype=np.int64)
            return _Pairs(empty, empty.astype(np.int32), empty, empty, empty.astype(bool))
        key = j.journey_index * n_ch + j.channels
        # touches are journey-major, so the key is sorted by journey already and a stable
        # sort only reorders channels within journeys; stable keeps each pair's earliest
        # touch first
        order = np.argsort(key, kind="stable")
        sk = key[order]
        new = np.ones(n_touch, dtype=bool)
        np.not_equal(sk[1:], sk[:-1], out=new[1:])
        start = np.flatnonzero(new)
        journey = sk[start] // n_ch
        channel = (sk[start] - journey * n_ch).astype(np.int32)
        middle_touch = np.ones(n_touch, dtype=bool)
        middle_touch[j.offsets[:-1]] = False
        middle_touch[j.offsets[1:] - 1] = False
        return _Pairs(
            journey,
            channel,
            order[start],
            np.diff(np.append(start, n_touch)),
            np.logical_or.reduceat(middle_touch[order], start),
        )

    @cached_property
    def start_time(self) -> np.ndarray:
        return self.j.times[self.j.offsets[:-1]]

    @cached_property
    def end(self) -> np.ndarray:
        """Conversion / end-of-observation time per journey: end_time, else the last touch."""
        if self.j.end_time is not None:
            return np.asarray(self.j.end_time)
        return self.j.times[self.j.offsets[1:] - 1]

    @property
    def end_source(self) -> str:
        return "end_time" if self.j.end_time is not None else "last touch"

    def first_flagged(self, name: str) -> np.ndarray:
        """Index of each journey's first touch flagged with milestone `name`, else -1."""
        out = np.full(self.j.n_journeys, -1, dtype=np.int64)
        idx = np.flatnonzero(self.j.milestones[name])
        if idx.size:
            jid = self.j.journey_index[idx]
            # idx is sorted, so jid is non-decreasing: a journey's first flag opens its run
            first = np.ones(idx.size, dtype=bool)
            np.not_equal(jid[1:], jid[:-1], out=first[1:])
            out[jid[first]] = idx[first]
        return out


def _prepared(journeys: Any, prep: _Prepared | None) -> _Prepared:
    if prep is not None:
        return prep
    return _Prepared(_check_journeys(journeys))


# ============================================================================ text and plots
def _num(x: float) -> str:
    if not np.isfinite(x):
        return "-"
    if x == int(x) and abs(x) < 1e15:
        return f"{x:,.0f}"
    if abs(x) >= 100:
        return f"{x:,.1f}"
    return f"{x:.4g}"


def _pct(x: float) -> str:
    if not np.isfinite(x):
        return "-"
    return f"{100 * x:.1f}%" if x == 0 or abs(x) >= 0.001 else f"{100 * x:.2g}%"


# columns holding shares or rates, printed as percentages by to_text()
_PERCENT = frozenset(
    {
        "share",
        "reach",
        "first",
        "assisting",
        "last",
        "conversion_rate",
        "ci_low",
        "ci_high",
        "share_of_a",
        "jaccard",
        "next_share",
        "self_share",
        "conversion_share",
        "null_share",
        "share_of_start",
    }
)


def _frame_text(frame: pd.DataFrame, index: bool = False, *, percent: bool = False) -> str:
    """A table for a terminal: counts with thousands separators, shares as percentages."""
    if frame.empty:
        return "(no rows)"
    formatters = {
        c: _pct
        for c in frame.columns
        if (percent or c in _PERCENT) and pd.api.types.is_float_dtype(frame[c])
    }
    with pd.option_context(
        "display.width", 250, "display.max_columns", 60, "display.max_rows", 500
    ):
        return frame.to_string(
            index=index, float_format=_num, na_rep="-", formatters=formatters or None
        )


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON-ready dicts (NaN becomes None)."""
    clean = frame.astype(object).where(frame.notna(), None)
    return [{k: _plain(v) for k, v in row.items()} for row in clean.to_dict(orient="records")]


def _plain(v: Any) -> Any:
    if isinstance(v, np.generic):
        return v.item()
    return v


def _new_axes(ax: Any, figsize: tuple[float, float]) -> Any:
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def _message_axes(ax: Any, title: str, message: str) -> Any:
    import textwrap

    ax = _new_axes(ax, (6, 3))
    ax.text(
        0.5,
        0.5,
        textwrap.fill(message, 50),
        ha="center",
        va="center",
        transform=ax.transAxes,
        color="0.35",
    )
    ax.set_axis_off()
    ax.set_title(title)
    return ax


def _share_label(x: float) -> str:
    return "<1%" if 0 < x < 0.005 else f"{x:.0%}"


def _heatmap(
    ax: Any,
    matrix: pd.DataFrame,
    title: str,
    cbar_label: str,
    *,
    fmt: Any = _share_label,
    hide_diagonal: bool = False,
) -> Any:
    values = matrix.to_numpy(dtype=np.float64).copy()
    n_rows, n_cols = values.shape
    if hide_diagonal:
        # a channel always co-occurs with itself: its 100% would flatten the colour scale
        np.fill_diagonal(values, np.nan)
    ax = _new_axes(ax, (max(5.5, 2.5 + 0.6 * n_cols), max(4.0, 1.5 + 0.45 * n_rows)))
    shown = np.ma.masked_invalid(values)
    finite = values[np.isfinite(values)]
    image = ax.imshow(shown, cmap="Blues", vmin=0.0, vmax=max(float(finite.max(initial=0)), 1e-12))
    ax.set_xticks(np.arange(n_cols), [str(c) for c in matrix.columns], rotation=45, ha="right")
    ax.set_yticks(np.arange(n_rows), [str(r) for r in matrix.index])
    ax.set_xlabel(str(matrix.columns.name or ""))
    ax.set_ylabel(str(matrix.index.name or ""))
    if n_rows * n_cols <= 400:
        top = float(finite.max(initial=1.0))
        for r in range(n_rows):
            for c in range(n_cols):
                if np.isfinite(values[r, c]) and values[r, c] > 0:
                    ax.text(
                        c,
                        r,
                        fmt(values[r, c]),
                        ha="center",
                        va="center",
                        fontsize=7,
                        color="white" if values[r, c] > 0.6 * top else "black",
                    )
    ax.figure.colorbar(image, ax=ax, label=cbar_label, shrink=0.8)
    ax.set_title(title)
    return ax


# ============================================================================ result types
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


# ============================================================================ top paths
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
    j = _check_journeys(journeys)
    top = _check_top(top)
    if by not in PATH_ORDER:
        raise ValueError(f"by must be one of {PATH_ORDER}, got {by!r}")
    min_support = _check_nonnegative(min_support, "min_support", "number")
    level = _check_level(ci_level)
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


# ============================================================================ time
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


# ============================================================================ channels
def channel_stats(
    journeys: Journeys, *, ci_level: float = 0.95, _prep: _Prepared | None = None
) -> ChannelStatsResult:
    """Reach, frequency, first / assisting / last roles and conversion rate of each channel.

    Parameters
    ----------
    journeys : Journeys
    ci_level : float, default 0.95
        Coverage of the Wilson interval of the conversion rate.

    Returns
    -------
    ChannelStatsResult
        ``table``, one row per channel (all channels, touched or not), with

        - ``journeys``: journeys that include the channel; ``reach``: their share of all
          journeys;
        - ``touches``: touches of the channel; ``touches_per_journey``: per journey that
          includes it;
        - ``first``, ``assisting``, ``last``: share of all journeys in which the channel
          is the first touch, touches at a position that is neither first nor last, and
          is the last touch (``first`` and ``last`` each sum to 1 over channels; a one-touch
          journey's channel is both first and last);
        - ``conversions``, ``value``: of the journeys that include it;
          ``conversion_rate`` = conversions / journeys, with Wilson ``ci_low`` and
          ``ci_high``.

    Notes
    -----
    ``assisting`` is the middle role of the introducer / assist / closer split; Google
    Analytics' "assisted conversions" instead count any touch but the last, first touches
    included. The conversion rate of journeys that include a channel is descriptive: longer
    journeys include more channels, and intent drives both exposure and conversion. To
    restrict the roles to converting journeys, pass
    ``journeys.subset(journeys.conversions > 0)``.

    Examples
    --------
    >>> j = Journeys.from_paths(["a > b > c", "b", "c > a"], conversions=[1, 0, 1],
    ...                         nulls=[1, 1, 0])
    >>> channel_stats(j).table[["channel", "journeys", "first", "assisting", "last",
    ...                         "conversion_rate"]]
      channel  journeys  first  assisting  last  conversion_rate
    0       a       3.0   0.50       0.00  0.25         0.666667
    1       b       3.0   0.25       0.50  0.25         0.333333
    2       c       3.0   0.25       0.00  0.50         0.666667
    """
    level = _check_level(ci_level)
    prep = _prepared(journeys, _prep)
    j = prep.j
    n_ch = j.n_channels
    pairs = prep.pairs
    w = prep.customers
    total = float(w.sum())
    pw = w[pairs.journey]
    reached = _wcount(pairs.channel, pw, n_ch)
    touches = _wcount(pairs.channel, pw * pairs.touches, n_ch)
    first = _wcount(j.channels[j.offsets[:-1]], w, n_ch)
    last = _wcount(j.channels[j.offsets[1:] - 1], w, n_ch)
    mid = pairs.middle
    assisting = _wcount(pairs.channel[mid], pw[mid], n_ch)
    conv = _wcount(pairs.channel, prep.conv[pairs.journey], n_ch)
    value = _wcount(pairs.channel, np.asarray(j.value)[pairs.journey], n_ch)
    low, high = wilson_interval(conv, reached, level)
    table = pd.DataFrame(
        {
            "channel": list(j.channel_names),
            "journeys": reached,
            "reach": _ratio(reached, total),
            "touches": touches,
            "touches_per_journey": _ratio(touches, reached),
            "first": _ratio(first, total),
            "assisting": _ratio(assisting, total),
            "last": _ratio(last, total),
            "conversions": conv,
            "conversion_rate": _ratio(conv, reached),
            "ci_low": low,
            "ci_high": high,
            "value": value,
        }
    )
    return ChannelStatsResult(
        table=table, ci_level=level, overall_rate=float(_ratio(prep.conv.sum(), total))
    )


def channel_overlap(journeys: Journeys, *, _prep: _Prepared | None = None) -> OverlapResult:
    """How often channels appear in the same journey: the co-occurrence matrix.

    Parameters
    ----------
    journeys : Journeys

    Returns
    -------
    OverlapResult
        ``table``: one row per ordered pair of channels (``channel_a``, ``channel_b``),
        diagonal included: ``journeys`` that include both (the diagonal: that include
        ``channel_a``), ``share_of_a`` = journeys / journeys with ``channel_a`` (the
        conditional share P(b | a); NaN for a channel no journey includes), ``jaccard`` =
        journeys with both / journeys with either. ``matrix(what)`` gives it wide.

    Notes
    -----
    Computed as :math:`B^T W B` for the sparse journey x channel incidence matrix
    :math:`B` and the diagonal matrix :math:`W` of customers per journey (scipy.sparse,
    not BLAS, so its time does not depend on the thread pool).

    Examples
    --------
    >>> j = Journeys.from_paths(["a > b", "a", "b > c > b"], conversions=[1, 0, 0],
    ...                         nulls=[0, 3, 1])
    >>> t = channel_overlap(j).table
    >>> t[t["channel_a"] == "b"]
      channel_a channel_b  journeys  share_of_a   jaccard
    3         b         a       1.0         0.5  0.200000
    4         b         b       2.0         1.0  1.000000
    5         b         c       1.0         0.5  0.500000
    """
    prep = _prepared(journeys, _prep)
    j = prep.j
    n_ch, n = j.n_channels, j.n_journeys
    pairs = prep.pairs
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(pairs.journey, minlength=n), out=indptr[1:])
    # pairs are sorted by journey then channel: already valid CSR, no sorting by scipy
    incidence = sp.csr_matrix((np.ones(pairs.channel.size), pairs.channel, indptr), (n, n_ch))
    weighted = sp.csr_matrix((prep.customers[pairs.journey], pairs.channel, indptr), (n, n_ch))
    both = np.asarray((weighted.T @ incidence).todense()) if n_ch else np.zeros((0, 0))
    diag = np.diag(both).copy()
    share = _ratio(both, diag[:, None])
    either = diag[:, None] + diag[None, :] - both
    jaccard = _ratio(both, either)
    names = np.asarray(j.channel_names, dtype=object)
    a, b = np.divmod(np.arange(n_ch * n_ch), max(n_ch, 1))
    table = pd.DataFrame(
        {
            "channel_a": names[a] if n_ch else np.zeros(0, object),
            "channel_b": names[b] if n_ch else np.zeros(0, object),
            "journeys": both.ravel(),
            "share_of_a": share.ravel(),
            "jaccard": jaccard.ravel(),
        }
    )
    return OverlapResult(table=table)


# ============================================================================ transitions
def _collapse_repeats(j: Journeys) -> tuple[np.ndarray, np.ndarray]:
    keep = np.ones(j.n_touchpoints, dtype=bool)
    np.not_equal(j.channels[1:], j.channels[:-1], out=keep[1:])
    keep[j.offsets[:-1]] = True
    kept = np.zeros(j.n_touchpoints + 1, dtype=np.int64)
    np.cumsum(keep, out=kept[1:])
    return j.channels[keep], kept[j.offsets]


def transitions(
    journeys: Journeys,
    *,
    ends: bool = True,
    drop_repeats: bool = False,
    _prep: _Prepared | None = None,
) -> TransitionsResult:
    """First-order transition shares between consecutive touches: where journeys go next.

    Parameters
    ----------
    journeys : Journeys
    ends : bool, default True
        Also count ``"(start)"`` -> first touch and last touch -> ``"(conversion)"`` /
        ``"(null)"`` (with the journey's conversions and nulls), as the states of
        `MarkovAttribution` do.
    drop_repeats : bool, default False
        Merge consecutive touches of the same channel first (ChannelAttribution's and
        `MarkovAttribution`'s convention), so no channel is followed by itself.

    Returns
    -------
    TransitionsResult
        ``table``: ``from``, ``to``, ``transitions``, ``share``; ``summary``: per channel
        the most common next channel, see `TransitionsResult`; ``matrix()``: wide shares.

    Examples
    --------
    >>> j = Journeys.from_paths(["a > b > a", "a > c", "b"], conversions=[1, 0, 0],
    ...                         nulls=[0, 2, 1])
    >>> r = transitions(j)
    >>> r.summary[["channel", "transitions", "next_channel", "next_share", "null_share"]]
      channel  transitions next_channel  next_share  null_share
    0       a          4.0            c         0.5         0.0
    1       b          2.0            a         0.5         0.5
    2       c          2.0          NaN         0.0         1.0
    >>> r.table[r.table["from"] == "a"]
      from            to  transitions  share
    2    a             c          2.0   0.50
    3    a             b          1.0   0.25
    4    a  (conversion)          1.0   0.25
    """
    prep = _prepared(journeys, _prep)
    j = prep.j
    n_ch = j.n_channels
    channels, offsets = (
        _collapse_repeats(j) if drop_repeats else (np.asarray(j.channels), np.asarray(j.offsets))
    )
    lengths = np.diff(offsets)
    width = n_ch + 2  # to-states: channels, (conversion), (null)
    w_touch = np.repeat(prep.customers, lengths)
    is_last = np.zeros(channels.size, dtype=bool)
    is_last[offsets[1:] - 1] = True
    inner = ~is_last[:-1]
    code = channels[:-1][inner].astype(np.int64) * width + channels[1:][inner]
    counts = _wcount(code, w_touch[:-1][inner], (n_ch + 1) * width)
    if ends:
        last = channels[offsets[1:] - 1].astype(np.int64) * width
        counts += _wcount(last + n_ch, prep.conv, counts.size)
        counts += _wcount(last + n_ch + 1, prep.nulls, counts.size)
        start = n_ch * width + channels[offsets[:-1]].astype(np.int64)
        counts += _wcount(start, prep.customers, counts.size)
    grid = counts.reshape(n_ch + 1, width)  # row n_ch: (start)
    out_total = grid.sum(axis=1)
    share = _ratio(grid, out_total[:, None])
    from_names = [*j.channel_names, START]
    to_names = [*j.channel_names, CONVERSION, NULL]
    row_order = [n_ch, *range(n_ch)] if ends else list(range(n_ch))
    frames = []
    for r in row_order:
        cols = np.flatnonzero(grid[r] > 0)
        cols = cols[np.argsort(-grid[r, cols], kind="stable")]
        frames.append(
            pd.DataFrame(
                {
                    "from": from_names[r],
                    "to": [to_names[c] for c in cols],
                    "transitions": grid[r, cols],
                    "share": share[r, cols],
                }
            )
        )
    table = (
        pd.concat(frames, ignore_index=True)
        if frames
        else pd.DataFrame({"from": [], "to": [], "transitions": [], "share": []})
    )
    # shares are NaN for a channel no journey touches (nothing to divide)
    out = out_total[:n_ch]
    to_channel = grid[:n_ch, :n_ch]
    best = np.argmax(to_channel, axis=1) if n_ch else np.zeros(0, dtype=np.int64)
    best_count = np.take_along_axis(to_channel, best[:, None], axis=1)[:, 0]
    names = np.asarray(j.channel_names, dtype=object)
    end_share = share[:n_ch, n_ch:] if ends else np.full((n_ch, 2), np.nan)
    summary = pd.DataFrame(
        {
            "channel": names,
            "transitions": out,
            "next_channel": np.where(best_count > 0, names[best], None),
            "next_share": _ratio(best_count, out),
            "self_share": np.diagonal(share[:n_ch, :n_ch]).copy(),
            "conversion_share": end_share[:, 0],
            "null_share": end_share[:, 1],
        }
    )
    return TransitionsResult(table=table, summary=summary, ends=ends, drop_repeats=drop_repeats)


# ============================================================================ funnel
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
    level = _check_level(ci_level)
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


# ============================================================================ describe
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
    j = _check_journeys(journeys)
    top = _check_top(top, allow_none=False)
    level = _check_level(ci_level)
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
