"""Private helpers shared by the calibrations: input checks, the reference attribution,
customer-level bootstrap replicates and the one-dimensional search over half-lives."""

from __future__ import annotations

from collections.abc import Callable
from numbers import Integral
from typing import Any

import numpy as np

from .._validation import check_instance
from ..base import AttributionModel, clone_model, get_model
from ..journeys import Journeys

_LN2 = float(np.log(2.0))


def _check_journeys(journeys: Any) -> Journeys:
    check_instance(journeys, Journeys, "journeys")
    if journeys.n_conversions <= 0:
        raise ValueError(
            "the journeys have no conversions: there is nothing to calibrate a rule on"
        )
    return journeys


def _check_n_boot(n_boot: Any) -> int:
    if n_boot is None or (not isinstance(n_boot, bool) and n_boot == 0):
        return 0
    if isinstance(n_boot, bool) or not isinstance(n_boot, Integral) or n_boot < 2:
        raise ValueError(f"n_boot must be None, 0 or an integer >= 2, got {n_boot!r}")
    return int(n_boot)


def _check_buckets(n_buckets: Any) -> int:
    if isinstance(n_buckets, bool) or not isinstance(n_buckets, Integral) or n_buckets < 3:
        raise ValueError(f"n_buckets must be an integer >= 3, got {n_buckets!r}")
    return int(n_buckets)


class _Reference:
    """A fixed reference attribution, or a model refitted on every bootstrap replicate."""

    def __init__(self, reference: Any, journeys: Journeys) -> None:
        from .._align import align_channels, as_reference

        if reference is None:
            raise ValueError(
                "method='match' needs a reference: an AttributionResult, a GroundTruth, a "
                "model or a model name (e.g. 'markov')"
            )
        self.model: AttributionModel | None = None
        if isinstance(reference, str):
            reference = get_model(reference)
        if isinstance(reference, AttributionModel):
            self.model = reference
            result = clone_model(reference).fit(journeys).attribute()
        else:
            result = as_reference(reference)
        self.label = result.model
        # channel order of the journeys; a mismatch names the channel
        idx = align_channels(
            result.channel_names, journeys.channel_names, "the reference", "journeys"
        )
        self.result = result
        self.share = result.share[idx]
        self._align = idx

    def share_on(self, journeys: Journeys) -> np.ndarray:
        """The reference's shares on a replicate (refitted if it is a model)."""
        if self.model is None:
            return self.share
        return clone_model(self.model).fit(journeys).attribute().share[self._align]


def _resample(journeys: Journeys, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """One customer-level bootstrap draw: new conversions, nulls and value per row.

    Customers are resampled when the counts are whole numbers (as `bootstrap` does), rows
    otherwise; a converting customer keeps its row's mean value per conversion.
    """
    conv, nulls = journeys.conversions, journeys.nulls
    n = journeys.n_journeys
    if np.array_equal(conv, np.round(conv)) and np.array_equal(nulls, np.round(nulls)):
        cells = np.concatenate([conv, nulls])
        total = int(np.rint(cells.sum()))
        draw = rng.multinomial(total, cells / cells.sum()).astype(np.float64)
        new_c, new_u = draw[:n], draw[n:]
    else:
        k = rng.multinomial(n, np.full(n, 1.0 / n)).astype(np.float64)
        new_c, new_u = k * conv, k * nulls
    per_conv = np.divide(journeys.value, conv, out=np.zeros(n), where=conv > 0)
    return new_c, new_u, per_conv * new_c


def _replicate(journeys: Journeys, new_c: np.ndarray, new_u: np.ndarray, new_v: np.ndarray):
    from .._resample import take_rows

    keep = np.flatnonzero((new_c > 0) | (new_u > 0))
    return take_rows(journeys, keep, new_c[keep], new_u[keep], new_v[keep])


def _percentile_interval(reps: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    # rank p (B + 1), as attribution_lab.bootstrap (nominal coverage for any B)
    alpha = 1.0 - level
    low, high = np.quantile(reps, [alpha / 2, 1 - alpha / 2], axis=0, method="weibull")
    return low, high


def _progress(iterable: Any, progress: bool, desc: str) -> Any:
    if not progress:
        return iterable
    from tqdm.auto import tqdm

    return tqdm(iterable, desc=desc, unit="replicate")


def _bounds(bounds: Any, scale: float) -> tuple[float, float]:
    if bounds is None:
        scale = max(float(scale), 1e-9)
        return 1e-3 * scale, 1e2 * scale
    try:
        lo, hi = (float(b) for b in bounds)
    except (TypeError, ValueError):
        raise ValueError(f"bounds must be two numbers (low, high), got {bounds!r}") from None
    if not (0 < lo < hi < np.inf):
        raise ValueError(f"bounds must satisfy 0 < low < high < inf, got {bounds!r}")
    return lo, hi


def _minimise_1d(
    f: Callable[[float], float], grid: np.ndarray, values: np.ndarray
) -> tuple[float, float]:
    """Refine the best grid point by a bounded scalar search between its neighbours."""
    from scipy import optimize

    i = int(np.argmin(values))
    lo, hi = grid[max(i - 1, 0)], grid[min(i + 1, grid.size - 1)]
    res = optimize.minimize_scalar(f, bounds=(lo, hi), method="bounded", options={"xatol": 1e-5})
    if res.fun <= values[i]:
        return float(res.x), float(res.fun)
    return float(grid[i]), float(values[i])
