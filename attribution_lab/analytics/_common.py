"""Private helpers shared by the analytics modules: checks, weighted statistics, the
per-journey arrays every analysis starts from, and the text and plot helpers of the results."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from .._validation import check_instance
from ..journeys import Journeys

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
def _check_top(top: Any, name: str = "top", *, allow_none: bool = True) -> int | None:
    if top is None and allow_none:
        return None
    if isinstance(top, bool) or not isinstance(top, int | np.integer) or top < 1:
        extra = " or None" if allow_none else ""
        raise ValueError(f"{name} must be a positive integer{extra}, got {top!r}")
    return int(top)


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
    return _Prepared(check_instance(journeys, Journeys, "journeys"))


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
