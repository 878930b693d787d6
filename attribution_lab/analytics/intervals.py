"""Wilson score intervals of conversion rates of paths, channels and funnel stages."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._validation import check_level


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
    >>> low, high = wilson_interval([0, 3], [3, 3])  # all or none converted
    >>> float(low[0]), float(high[1])
    (0.0, 1.0)
    """
    from scipy.special import ndtri

    level = check_level(ci_level)
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
    # the interval contains p exactly; rounding could leave p = 0 just below low (5.6e-17)
    low[ok] = np.clip(np.minimum(center - half, p), 0.0, 1.0)
    high[ok] = np.clip(np.maximum(center + half, p), 0.0, 1.0)
    return low.reshape(x.shape), high.reshape(x.shape)
