"""Holdout experiments in the simulated worlds: the estimator and its result type.

Each causal world gives, for persons it draws, the conversion probability and mean value
with every channel and with one channel removed (its own counterfactual machinery, the one
its truth uses); `holdout_experiment` randomises the persons, draws their outcomes and
estimates the channel's incremental conversions as a real conversion-lift study would.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from ..lift import LiftTest, _z

__all__ = ["ExperimentResult", "difference_in_means", "holdout_experiment"]


@dataclass(frozen=True)
class ExperimentResult:
    """A holdout experiment on one channel of a simulated world, with the world's truth.

    Attributes
    ----------
    channel : str
    world : str
    n : int
        Persons in the experiment (exposed plus holdout).
    n_holdout : int
        Persons randomly held out: they never see the channel, nor any touch it would have
        caused.
    incremental_conversions : float
        Estimated conversions the channel adds among the `n` persons:
        :math:`n(\\bar y_1 - \\bar y_0)`.
    stderr, ci_low, ci_high, ci_level : float
        Its standard error and normal interval.
    incremental_value, value_stderr : float
        The same for conversion value.
    conversions_exposed, conversions_holdout : int
        Conversions counted in each group.
    true_incremental_conversions, true_incremental_value : float
        The world's truth on the same persons: :math:`\\sum_j p_j(N) - p_j(N \\setminus c)`
        (and for value), what `simulate` with the same seed reports as the channel's
        incremental truth where the world draws persons the same way.

    Examples
    --------
    >>> from attribution_lab.simulate import make_world
    >>> exp = make_world("mediation").experiment("display", holdout=0.5, n=4000, random_state=0)
    >>> exp.n_holdout, exp.holdout, exp.covered
    (2000, 0.5, True)
    >>> exp.to_lift_test().population
    4000.0
    """

    channel: str
    world: str
    n: int
    n_holdout: int
    incremental_conversions: float
    stderr: float
    ci_low: float
    ci_high: float
    ci_level: float
    incremental_value: float
    value_stderr: float
    conversions_exposed: int
    conversions_holdout: int
    true_incremental_conversions: float
    true_incremental_value: float

    @property
    def holdout(self) -> float:
        """Share of the persons held out."""
        return self.n_holdout / self.n

    @property
    def covered(self) -> bool:
        """Whether the interval contains the true incremental conversions."""
        return bool(self.ci_low <= self.true_incremental_conversions <= self.ci_high)

    def to_lift_test(self, description: str = "") -> LiftTest:
        """The measured numbers as a `LiftTest` on `n` persons (the truth left out)."""
        value = None if not np.isfinite(self.value_stderr) or self.value_stderr <= 0 else True
        return LiftTest(
            self.channel,
            incremental_conversions=self.incremental_conversions,
            stderr=self.stderr,
            population=float(self.n),
            value=self.incremental_value if value else None,
            value_stderr=self.value_stderr if value else None,
            description=description
            or f"{self.world} world: {self.n_holdout} of {self.n} persons held out",
        )

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "holdout": self.holdout, "covered": self.covered}


def difference_in_means(y_exposed: np.ndarray, y_holdout: np.ndarray) -> tuple[float, float]:
    """Difference of two group means and its (Neyman) standard error.

    :math:`\\bar y_1 - \\bar y_0` with standard error
    :math:`\\sqrt{s_1^2 / n_1 + s_0^2 / n_0}`, sample variances with :math:`n - 1`.

    Examples
    --------
    >>> difference_in_means(np.array([1.0, 0.0, 1.0, 1.0]), np.array([0.0, 1.0]))
    (0.25, 0.559)
    """
    n1, n0 = y_exposed.size, y_holdout.size
    diff = float(y_exposed.mean() - y_holdout.mean())
    var = y_exposed.var(ddof=1) / n1 + y_holdout.var(ddof=1) / n0
    return diff, float(np.sqrt(var))


def holdout_experiment(
    arms: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    holdout: float,
    value_sigma: float,
    rng: np.random.Generator,
    *,
    channel: str,
    world: str,
    ci_level: float = 0.95,
) -> ExperimentResult:
    """Randomise persons, draw their outcomes, estimate the channel's incremental conversions.

    Parameters
    ----------
    arms : (p_on, m_on, p_off, m_off)
        Per person: conversion probability and mean conversion value with every channel
        (on) and with the channel and all it caused removed (off).
    holdout : float
        Share held out; ``round(holdout * n)`` persons, chosen completely at random.
    value_sigma : float
        Log-normal spread of a conversion's value around its mean.

    Notes
    -----
    With complete randomisation every person is held out with the same probability, so
    :math:`E[\\bar y_1] = \\bar p(N)` and :math:`E[\\bar y_0] = \\bar p(N \\setminus c)`
    over persons: :math:`n(\\bar y_1 - \\bar y_0)` is unbiased for the truth
    :math:`\\sum_j p_j(N) - p_j(N \\setminus c)` on the drawn persons. The Neyman
    standard error is conservative by the spread of the persons' own effects
    :math:`p_j(N) - p_j(N \\setminus c)`, negligible beside the outcomes' Bernoulli
    noise, so the normal interval covers at about its nominal rate (Imbens & Rubin 2015,
    ch. 6).

    References
    ----------
    Imbens, G. W., & Rubin, D. B. (2015). Causal Inference for Statistics, Social, and
    Biomedical Sciences. Cambridge University Press.
    """
    p_on, m_on, p_off, m_off = arms
    n = p_on.size
    n_off = round(holdout * n)
    if n_off < 2 or n - n_off < 2:
        raise ValueError(
            f"holdout={holdout:g} of n={n} persons leaves {n_off} held out and {n - n_off}"
            " exposed; each group needs at least 2"
        )
    held = np.zeros(n, dtype=bool)
    held[rng.choice(n, size=n_off, replace=False)] = True
    p = np.where(held, p_off, p_on)
    m = np.where(held, m_off, m_on)
    y = (rng.random(n) < p).astype(np.float64)
    s = value_sigma
    v = y * m * rng.lognormal(-0.5 * s * s, s, size=n)
    diff, se = difference_in_means(y[~held], y[held])
    vdiff, vse = difference_in_means(v[~held], v[held])
    z = _z(ci_level)
    est, se = n * diff, n * se
    return ExperimentResult(
        channel=channel,
        world=world,
        n=n,
        n_holdout=n_off,
        incremental_conversions=est,
        stderr=se,
        ci_low=est - z * se,
        ci_high=est + z * se,
        ci_level=float(ci_level),
        incremental_value=n * vdiff,
        value_stderr=n * vse,
        conversions_exposed=int(y[~held].sum()),
        conversions_holdout=int(y[held].sum()),
        true_incremental_conversions=float(np.sum(p_on - p_off)),
        true_incremental_value=float(np.sum(p_on * m_on - p_off * m_off)),
    )
