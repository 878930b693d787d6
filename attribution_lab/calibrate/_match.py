"""Private: the half-life whose rule agrees best with a reference (``method="match"``), with
bootstrap intervals."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from .._validation import check_random_state
from ..journeys import Journeys
from ..rules import (
    position_decay_weights,
    time_decay_weights,
)
from ._common import (
    _bounds,
    _minimise_1d,
    _percentile_interval,
    _progress,
    _Reference,
    _replicate,
    _resample,
)
from .results import HalfLifeResult

#: Names of the built-in metrics of ``method="match"`` (a callable is accepted too).
MATCH_METRICS = ("tv_share", "squared")


class _DecayCredit:
    """Time-decay rule shares of the converting journeys, for any half-life and counts."""

    def __init__(self, journeys: Journeys, timed: bool) -> None:
        rows = np.flatnonzero(journeys.conversions > 0)
        self.rows = rows
        sub = journeys.subset(rows)
        self.sub = sub
        self.timed = timed
        self.key = sub.journey_index * sub.n_channels + sub.channels
        self.n_channels = sub.n_channels
        self.n_rows = sub.n_journeys
        if timed:
            last = sub.times[sub.offsets[1:] - 1]  # type: ignore[index]
            self.lags = last[sub.journey_index] - sub.times
        else:
            self.lags = (sub.offsets[1:] - 1)[sub.journey_index] - np.arange(sub.n_touchpoints)
        self.scale = float(self.lags.max()) if self.lags.size else 1.0
        self.n_evaluations = 0

    def weights(self, h: float) -> np.ndarray:
        """(rows, channels): each converting row's weight on each channel."""
        self.n_evaluations += 1
        if self.timed:
            w = time_decay_weights(self.sub.offsets, self.sub.times, h)
        else:
            w = position_decay_weights(self.sub.offsets, h)
        size = self.n_rows * self.n_channels
        return np.bincount(self.key, w, minlength=size).reshape(self.n_rows, self.n_channels)

    def shares(self, h: float, conv: np.ndarray) -> np.ndarray:
        return (conv @ self.weights(h)) / conv.sum()


def _metric(metric: Any) -> tuple[str, Callable[[np.ndarray, np.ndarray], float]]:
    if callable(metric):
        return getattr(metric, "__name__", "metric"), metric
    if metric == "tv_share":
        return metric, lambda s, r: float(0.5 * np.abs(s - r).sum())
    if metric == "squared":
        return metric, lambda s, r: float(((s - r) ** 2).sum())
    raise ValueError(
        f"metric must be one of {', '.join(MATCH_METRICS)} or a callable, got {metric!r}"
    )


def _fit_match(
    journeys: Journeys,
    reference: Any,
    use_times: bool | None,
    metric: Any,
    bounds: Any,
    n_grid: int,
    level: float,
    n_boot: int,
    random_state: Any,
    progress: bool,
) -> HalfLifeResult:
    if use_times not in (None, True, False):
        raise TypeError(f"use_times must be None, True or False, got {use_times!r}")
    timed = use_times is not False
    if timed and journeys.times is None:
        raise ValueError(
            "the timed time-decay rule needs touch times (Journeys.times) and the journeys "
            "have none (path tables carry no timestamps); pass use_times=False to calibrate "
            "the by-position rule's half-life, in touches"
        )
    name, dist = _metric(metric)
    ref = _Reference(reference, journeys)
    credit = _DecayCredit(journeys, timed)
    bounds = _bounds(bounds, credit.scale)
    grid = np.linspace(np.log(bounds[0]), np.log(bounds[1]), n_grid)
    table = [credit.weights(float(np.exp(u))) for u in grid]
    conv = journeys.conversions[credit.rows]

    def solve(conv: np.ndarray, r: np.ndarray) -> tuple[float, float, np.ndarray]:
        total = conv.sum()
        values = np.array([dist((conv @ w) / total, r) for w in table])
        u, v = _minimise_1d(lambda u: dist(credit.shares(float(np.exp(u)), conv), r), grid, values)
        return u, v, values

    u_hat, best, values = solve(conv, ref.share)
    curve = pd.DataFrame(
        {"half_life": np.exp(np.append(grid, u_hat)), name: np.append(values, best)}
    )
    curve = curve.sort_values("half_life").drop_duplicates("half_life").reset_index(drop=True)
    notes: list[str] = []
    if np.isclose(u_hat, grid[0], atol=1e-3) or np.isclose(u_hat, grid[-1], atol=1e-3):
        what = "last touch" if u_hat < grid.mean() else "linear"
        notes.append(
            f"the best half-life is at the search bound {np.exp(u_hat):.4g}: the reference"
            f" is matched best by the {what} limit of the rule"
        )
    ci_low = ci_high = reps = None
    if n_boot:
        rng = check_random_state(random_state)
        reps = np.empty(n_boot)
        for b in _progress(range(n_boot), progress, "bootstrap half-life"):
            new_c, new_u, new_v = _resample(journeys, rng)
            if new_c.sum() <= 0:
                raise ValueError(f"bootstrap replicate {b} drew no conversion: too few to resample")
            r = ref.share
            if ref.model is not None:
                r = ref.share_on(_replicate(journeys, new_c, new_u, new_v))
            reps[b] = np.exp(solve(new_c[credit.rows], r)[0])
        low, high = _percentile_interval(reps, level)
        ci_low, ci_high = float(low), float(high)
    return HalfLifeResult(
        method="match",
        half_life=float(np.exp(u_hat)),
        ci_low=ci_low,
        ci_high=ci_high,
        ci_level=level,
        unit="days" if timed else "touches",
        curve=curve,
        objective_name=name,
        channel_names=journeys.channel_names,
        n_journeys=journeys.n_journeys,
        n_conversions=journeys.n_conversions,
        n_evaluations=credit.n_evaluations,
        objective=best,
        reference=ref.label,
        replicates=reps,
        notes=notes,
    )
