"""Bootstrap confidence intervals for the credit of any attribution model."""

from __future__ import annotations

from numbers import Integral
from typing import Any

import numpy as np
import pandas as pd

from ._resample import take_rows
from ._validation import check_instance, check_level, check_random_state
from .base import AttributionModel, clone_model, get_model
from .journeys import Journeys
from .result import AttributionResult

__all__ = ["BootstrapResult", "bootstrap"]

_UNITS = ("customers", "rows")


class BootstrapResult(AttributionResult):
    """An `AttributionResult` with bootstrap standard errors, intervals and replicates.

    The credit is the model's point estimate on the full journeys; ``stderr``,
    ``ci_low`` and ``ci_high`` come from the bootstrap replicates, and ``details`` gains
    ``value_stderr``, ``value_ci_low`` and ``value_ci_high`` for the value credit when
    the journeys carry value. Made by `bootstrap`.

    Attributes
    ----------
    replicates : DataFrame, shape (n_boot, n_channels)
        Conversion credit of every replicate, rescaled to the full journeys' total
        conversions (see `bootstrap`, Notes).
    value_replicates : DataFrame, shape (n_boot, n_channels)
        Value credit of every replicate, rescaled to the full journeys' total value; a
        row is NaN when the replicate drew no conversion carrying value (then it is
        left out of the value intervals).
    n_boot : int
    unit : {"customers", "rows"}
        What was resampled.
    n_cells : int
        Number of distinct resampling cells (see `bootstrap`, Notes).
    """

    def __init__(
        self,
        point: AttributionResult,
        replicates: np.ndarray,
        value_replicates: np.ndarray,
        *,
        ci_level: float,
        unit: str,
        n_cells: int,
    ) -> None:
        names = pd.Index(point.channel_names, name="channel")
        alpha = 1.0 - ci_level
        probs = [alpha / 2, 1 - alpha / 2]
        low, high = np.quantile(replicates, probs, axis=0, method="weibull")
        details = dict(point.details)
        valid = ~np.isnan(value_replicates).any(axis=1)
        if point.total_value > 0 and valid.sum() >= 2:
            v = value_replicates[valid]
            v_low, v_high = np.quantile(v, probs, axis=0, method="weibull")
            details.update(
                value_stderr=v.std(axis=0, ddof=1), value_ci_low=v_low, value_ci_high=v_high
            )
        super().__init__(
            point.channel_names,
            point.conversions,
            point.value,
            total_conversions=point.total_conversions,
            total_value=point.total_value,
            estimand=point.estimand,
            model=point.model,
            params=point.params,
            stderr=replicates.std(axis=0, ddof=1),
            ci_low=low,
            ci_high=high,
            ci_level=float(ci_level),
            n_evaluations=point.n_evaluations,
            estimated=point.estimated,
            check_totals=False,
            details=details,
        )
        index = pd.RangeIndex(replicates.shape[0], name="replicate")
        self.replicates = pd.DataFrame(replicates, index=index, columns=names)
        self.value_replicates = pd.DataFrame(value_replicates, index=index, columns=names)
        self.n_boot = int(replicates.shape[0])
        self.unit = unit
        self.n_cells = int(n_cells)

    def to_dict(self) -> dict[str, Any]:
        """As `AttributionResult.to_dict`, plus a ``bootstrap`` entry with its settings."""
        out = super().to_dict()
        out["bootstrap"] = {
            "n_boot": self.n_boot,
            "unit": self.unit,
            "interval": "percentile",
        }
        return out

    def __repr__(self) -> str:
        return (
            super()
            .__repr__()
            .replace("AttributionResult(", "BootstrapResult(", 1)
            .replace("share:", f"n_boot={self.n_boot}, share:", 1)
        )


def _check_args(model: Any, journeys: Any, n_boot: Any, ci_level: Any, unit: Any) -> None:
    check_instance(journeys, Journeys, "journeys")
    if not isinstance(model, AttributionModel):
        raise TypeError(
            f"model must be an AttributionModel or a registry name, got {type(model).__name__}"
        )
    if isinstance(n_boot, bool) or not isinstance(n_boot, Integral):
        raise ValueError(f"n_boot must be an integer >= 2, got {n_boot!r}")
    if n_boot < 2:
        raise ValueError(
            f"n_boot must be an integer >= 2 (a spread needs two replicates), got {n_boot}"
        )
    check_level(ci_level)
    if unit not in _UNITS:
        raise ValueError(f"unit must be 'customers' or 'rows', got {unit!r}")


def bootstrap(
    model: AttributionModel | str,
    journeys: Journeys,
    n_boot: int = 200,
    *,
    ci_level: float = 0.95,
    random_state: int | np.random.Generator | None = None,
    unit: str = "customers",
    aggregate: bool | None = None,
    progress: bool = False,
) -> BootstrapResult:
    """Percentile bootstrap intervals for the credit of any model.

    Customers are resampled with replacement, `model` is refitted (a clone) on every
    replicate, and the spread of the replicate credit gives standard errors and
    percentile intervals around the point estimate from the full journeys.

    Parameters
    ----------
    model : AttributionModel or str
        The model (not modified: clones are fitted) or its registry name.
    journeys : Journeys
    n_boot : int, default 200
        Number of bootstrap replicates, at least 2.
    ci_level : float, default 0.95
        Coverage of the intervals, strictly between 0 and 1.
    random_state : int, Generator or None
        Seed of every random draw: the resampling and, for models with a
        ``random_state`` parameter, an independent seed per replicate (so their own
        Monte Carlo noise enters the intervals). Same seed, same numbers.
    unit : {"customers", "rows"}, default "customers"
        Resample customers (conversions and nulls must then be whole numbers), or rows
        of `journeys` as given, each with its counts (for weighted or fractional counts,
        or rows that are the independent units).
    aggregate : bool, optional
        Merge identical paths before resampling, which makes replicates much smaller.
        By default only when the journeys carry nothing per journey or per touch that
        merging drops (times, end times, accounts, contacts); with ``True`` those are
        dropped from the replicates, which is right only for models that ignore them.
    progress : bool, default False
        Show a tqdm progress bar.

    Returns
    -------
    BootstrapResult
        An `AttributionResult` holding the point estimate with ``stderr``, ``ci_low``,
        ``ci_high`` and ``ci_level`` of the conversion credit, value intervals in
        ``details``, and the replicate credit in ``replicates`` and
        ``value_replicates``.

    Raises
    ------
    ValueError
        On ``n_boot < 2`` or not an integer, `ci_level` outside (0, 1), an unknown
        `unit`, fractional counts with ``unit="customers"``, or a replicate that drew no
        conversion (too few conversions to bootstrap).
    TypeError
        When `model` or `journeys` has the wrong type.

    Notes
    -----
    Let row :math:`j` of the journeys hold :math:`c_j` converting and :math:`u_j`
    non-converting customers, :math:`N = \\sum_j (c_j + u_j)`. A replicate draws
    customer counts :math:`(c^*_j, u^*_j)` from
    :math:`\\mathrm{Multinomial}(N; c_1/N, u_1/N, \\ldots)`, keeps each converting
    customer's own value (:math:`v^*_j = v_j c^*_j / c_j`) and drops rows left with no
    customer. When paths are aggregated first, the non-converting customers of one
    path are pooled in one cell, and so are its converting customers of equal value
    (they are interchangeable), while customers of different values stay in separate
    cells so that value credit varies between replicates as it does between samples;
    each replicate is then a small aggregated `Journeys`, which keeps the bootstrap
    fast on millions of journeys. A table that is aggregated already knows only each
    path's total value, so its value intervals leave out how values vary within a
    path; pass raw journeys when value credit matters. With ``unit="rows"`` the rows themselves
    are drawn, :math:`k \\sim \\mathrm{Multinomial}(n; 1/n, \\ldots, 1/n)`, and row
    :math:`j` enters with counts :math:`k_j (c_j, u_j, v_j)`.

    Replicate credit :math:`\\theta^*_b` is rescaled to the full journeys' totals,
    :math:`\\theta^*_b \\cdot C / C^*_b` (and value by :math:`V / V^*_b`): the total
    conversions are observed, not estimated, so the intervals describe how they are
    split among channels, as the point estimate does. The standard error is the
    replicates' standard deviation,
    :math:`\\sqrt{\\sum_b (\\theta^*_b - \\bar\\theta^*)^2 / (B - 1)}`, and the interval
    is :math:`[q_{\\alpha/2}, q_{1-\\alpha/2}]`, the percentiles of the replicates with
    :math:`\\alpha = 1 -` `ci_level` (Efron & Tibshirani 1993, ch. 13). :math:`q_p` is
    the replicates' order statistic of rank :math:`p (B + 1)`, interpolated (numpy's
    ``"weibull"`` quantile): when the estimate's error is distributed like the
    replicates' spread around it, the truth is one more exchangeable draw and this
    interval covers it at the nominal rate for any B, whereas numpy's default rank
    :math:`p (B - 1) + 1` would make a 95% interval of 100 replicates a 93% one.
    Percentile intervals need not be centred on the point estimate; with a few
    hundred replicates their end points carry Monte Carlo error of a few percent of
    their width.

    References
    ----------
    Efron, B., & Tibshirani, R. J. (1993). An Introduction to the Bootstrap. Chapman &
    Hall/CRC.

    Examples
    --------
    >>> j = Journeys.from_paths(["A > B", "B", "A > C", "C"], conversions=[40, 25, 30, 5],
    ...                         nulls=[60, 75, 70, 95])
    >>> res = bootstrap("linear", j, n_boot=100, random_state=0)
    >>> res.conversions.tolist()
    [35.0, 45.0, 20.0]
    >>> bool(np.all((res.ci_low < res.conversions) & (res.conversions < res.ci_high)))
    True
    >>> res.replicates.shape, res.ci_level
    ((100, 3), 0.95)
    """
    if isinstance(model, str):
        model = get_model(model)
    _check_args(model, journeys, n_boot, ci_level, unit)
    rng = check_random_state(random_state)
    point = clone_model(model).fit(journeys).attribute()

    per_journey = (
        journeys.times is not None
        or journeys.end_time is not None
        or journeys.account is not None
        or journeys.contact is not None
    )
    if aggregate is None:
        aggregate = not per_journey
    if aggregate:
        base, group = journeys.aggregate(return_inverse=True)
    else:
        base, group = journeys, np.arange(journeys.n_journeys)
    n_groups = base.n_journeys
    conv, nulls, value = journeys.conversions, journeys.nulls, journeys.value

    if unit == "customers":
        whole = np.array_equal(conv, np.round(conv)) and np.array_equal(nulls, np.round(nulls))
        if not whole:
            raise ValueError(
                "unit='customers' needs whole numbers of conversions and nulls; these "
                "journeys have fractional counts (pass unit='rows' to resample rows)"
            )
        # converting rows stay separate cells (each keeps its value per customer); nulls
        # carry nothing but their path, so one cell per merged path
        rows = np.flatnonzero(conv > 0)
        # converting customers of one path with the same value are interchangeable
        keys = np.stack([group[rows], value[rows] / conv[rows]])
        uniq, inverse = np.unique(keys, axis=1, return_inverse=True)
        conv_group = uniq[0].astype(np.int64)
        value_each = uniq[1]
        conv_cells = np.bincount(inverse.ravel(), conv[rows], uniq.shape[1])
        null_cells = np.bincount(group, nulls, n_groups)
        null_group = np.flatnonzero(null_cells > 0)
        cells = np.concatenate([conv_cells, null_cells[null_group]])
        n_units = int(np.rint(cells.sum()))
    else:
        cells = np.ones(journeys.n_journeys)
        n_units = journeys.n_journeys
    probs = cells / cells.sum()

    total_c, total_v = journeys.n_conversions, journeys.total_value
    names = point.channel_names
    reps = np.empty((n_boot, len(names)))
    value_reps = np.empty((n_boot, len(names)))
    # a model that samples gets its own seed per replicate; one whose seed cannot act
    # (exact Markov, say) would refuse it
    seeded = "random_state" in model.get_params() and "random_state" not in model.inert_params(
        journeys
    )

    iterator = range(n_boot)
    if progress:
        from tqdm.auto import tqdm

        iterator = tqdm(iterator, desc=f"bootstrap {point.model}", unit="replicate")
    for b in iterator:
        draw = rng.multinomial(n_units, probs).astype(np.float64)
        if unit == "customers":
            k_conv = draw[: conv_group.size]
            new_c = np.bincount(conv_group, k_conv, n_groups)
            new_v = np.bincount(conv_group, k_conv * value_each, n_groups)
            new_u = np.zeros(n_groups)
            new_u[null_group] = draw[conv_group.size :]
        else:
            new_c = np.bincount(group, draw * conv, n_groups)
            new_u = np.bincount(group, draw * nulls, n_groups)
            new_v = np.bincount(group, draw * value, n_groups)
        rep_c = new_c.sum()
        if rep_c <= 0:
            raise ValueError(
                f"bootstrap replicate {b} drew no conversion: {total_c:g} conversions among "
                f"{n_units} {unit} are too few to bootstrap"
            )
        keep = np.flatnonzero((new_c > 0) | (new_u > 0))
        sample = take_rows(base, keep, new_c[keep], new_u[keep], new_v[keep])
        fitted = clone_model(model)
        if seeded:
            fitted.set_params(random_state=int(rng.integers(2**63 - 1)))
        res = fitted.fit(sample).attribute()
        if res.channel_names != names:  # pragma: no cover - subsets keep channel_names
            raise RuntimeError("a bootstrap replicate changed the channel names")
        reps[b] = res.conversions * (total_c / res.total_conversions)
        if total_v == 0:
            value_reps[b] = 0.0
        elif res.total_value > 0:
            value_reps[b] = res.value * (total_v / res.total_value)
        else:
            value_reps[b] = np.nan
    return BootstrapResult(
        point, reps, value_reps, ci_level=float(ci_level), unit=unit, n_cells=cells.size
    )
