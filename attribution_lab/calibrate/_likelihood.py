"""Private: the half-life by profile likelihood (``method="likelihood"``), common or per
channel, with likelihood-ratio intervals."""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from ..journeys import Journeys
from ._common import _LN2, _bounds, _minimise_1d
from .results import HalfLifeResult


def _log_likelihood(eta: np.ndarray, y: np.ndarray, n: np.ndarray) -> float:
    """Binomial log-likelihood (without the constant binomial coefficients)."""
    return float(y @ eta - n @ np.logaddexp(0.0, eta))


def _fit_logistic(
    x: np.ndarray, y: np.ndarray, n: np.ndarray, start: np.ndarray | None = None
) -> tuple[np.ndarray, float, np.ndarray]:
    """Maximum-likelihood binomial logit by damped Newton steps; x includes the intercept.

    Returns the coefficients, the log-likelihood and the fitted probabilities. Starts from
    `start` (warm starts along a profile) or from the intercept-only point; the step is
    halved until the log-likelihood does not fall, so any start converges (it is concave).
    """
    from scipy.special import expit

    if start is None:
        beta = np.zeros(x.shape[1])
        beta[0] = np.log((y.sum() + 0.5) / (n.sum() - y.sum() + 0.5))
    else:
        beta = np.array(start, dtype=np.float64)
    eta = x @ beta
    ll = _log_likelihood(eta, y, n)
    tol = 1e-12 * max(1.0, abs(ll))
    for _ in range(100):
        p = expit(eta)
        grad = x.T @ (y - n * p)
        hess = (x * (n * p * (1.0 - p))[:, None]).T @ x
        step = np.linalg.lstsq(hess, grad, rcond=None)[0]
        predicted = float(grad @ step)  # twice the gain a Newton step expects
        if predicted <= tol:
            break
        t = 1.0
        while True:
            new = beta + t * step
            eta_new = x @ new
            ll_new = _log_likelihood(eta_new, y, n)
            if ll_new >= ll or t < 1e-6:
                break
            t *= 0.5
        beta, eta, ll = new, eta_new, ll_new
        if predicted < 1e-9 * max(1.0, abs(ll)):
            break  # the step just taken was the last that mattered (quadratic convergence)
    return beta, ll, expit(eta)


class _DecayLikelihood:
    """Profile log-likelihood of the decayed-exposure logit over log half-lives.

    Keeps the design matrix and each channel's exposure column with the half-life it was
    computed for, so a profile over one channel's half-life recomputes only the columns
    that change.
    """

    def __init__(self, journeys: Journeys, end: np.ndarray) -> None:
        self.n_journeys = journeys.n_journeys
        self.n_channels = journeys.n_channels
        self.channels = journeys.channels
        self.journey = journeys.journey_index
        self.lag = end[self.journey] - journeys.times
        order = np.argsort(self.channels, kind="stable")
        bounds = np.searchsorted(self.channels[order], np.arange(self.n_channels + 1))
        self._by_channel = [
            (self.journey[order[a:b]], self.lag[order[a:b]]) for a, b in itertools.pairwise(bounds)
        ]
        self.y = np.asarray(journeys.conversions, dtype=np.float64)
        self.n = self.y + journeys.nulls
        self.start: np.ndarray | None = None
        self.n_evaluations = 0
        self._x = np.ones((self.n_journeys, self.n_channels + 1))
        self._dx = np.zeros((self.n_journeys, self.n_channels))
        self._h = np.full(self.n_channels, np.nan)
        self._has_dx = np.zeros(self.n_channels, dtype=bool)

    def design(self, half_life: Any, derivative: bool = False) -> Any:
        """[1, x(h)] (and dx/dlog h); views of cached arrays, valid until the next call."""
        h = np.broadcast_to(np.asarray(half_life, dtype=np.float64), (self.n_channels,))
        for c, (jid, lag) in enumerate(self._by_channel):
            if h[c] == self._h[c] and (self._has_dx[c] or not derivative):
                continue
            scaled = lag / h[c]
            decay = np.exp2(-scaled)
            self._x[:, c + 1] = np.bincount(jid, decay, minlength=self.n_journeys)
            if derivative:
                self._dx[:, c] = np.bincount(
                    jid, decay * (_LN2 * scaled), minlength=self.n_journeys
                )
            self._h[c] = h[c]
            self._has_dx[c] = derivative
        return (self._x, self._dx) if derivative else self._x

    def __call__(self, log_h: float | np.ndarray, gradient: bool = False) -> Any:
        """Profile log-likelihood at exp(log_h) (and its gradient in log h per channel)."""
        self.n_evaluations += 1
        h = np.exp(np.asarray(log_h, dtype=np.float64))
        if gradient:
            x, dx = self.design(h, derivative=True)
        else:
            x, dx = self.design(h), None
        beta, ll, p = _fit_logistic(x, self.y, self.n, self.start)
        self.start = beta
        if not gradient:
            return ll
        # envelope theorem: the coefficients are at their maximum, so only x moves
        return ll, beta[1:] * ((self.y - self.n * p) @ dx)


def _lr_interval(
    g: Callable[[float], float], u_hat: float, grid: np.ndarray, dev: np.ndarray, thr: float
) -> tuple[float, float]:
    """Ends (in log h) where the deviance g crosses thr on each side of u_hat; -inf/inf if none.

    `grid` and `dev` are the deviance at grid points; brackets come from the nearest grid
    point on each side whose deviance exceeds the threshold.
    """
    from scipy import optimize

    ends = []
    for side in (-1, 1):
        idx = np.flatnonzero((dev > thr) & (np.sign(grid - u_hat) == side))
        if idx.size == 0:
            ends.append(-np.inf if side < 0 else np.inf)
            continue
        k = idx[-1] if side < 0 else idx[0]
        a, b = sorted((float(grid[k]), u_hat))
        ends.append(optimize.brentq(lambda u: g(u) - thr, a, b, xtol=1e-6))
    return ends[0], ends[1]


def _crossing(
    dev: Callable[[float], float], u0: float, side: int, edge: float, thr: float
) -> float:
    """Where dev (0 at u0) first exceeds thr going from u0 towards edge; +-inf if it never does.

    Steps grow from the curvature seen so far (the deviance is near quadratic in log h),
    so the crossing is bracketed in a step or two and then found by Brent's method.
    """
    from scipy import optimize

    prev, step = u0, 0.1
    while True:
        v = u0 + side * step
        v = max(v, edge) if side < 0 else min(v, edge)
        d = dev(v)
        if d > thr:
            a, b = sorted((prev, v))
            return optimize.brentq(lambda w: dev(w) - thr, a, b, xtol=1e-4)
        if v == edge:
            return -np.inf if side < 0 else np.inf
        prev = v
        curvature = d / step**2
        guess = 1.15 * np.sqrt(thr / curvature) if curvature > 0 else np.inf
        step = min(max(guess, 1.5 * step), 4.0 * step)


def _local_grid(u_hat: float, lo: float, hi: float, bounds: tuple[float, float], n: int = 13):
    """Points around the estimate spanning three times the interval on each side."""
    left = u_hat - 3 * (u_hat - lo) if np.isfinite(lo) else u_hat - 1.0
    right = u_hat + 3 * (hi - u_hat) if np.isfinite(hi) else u_hat + 1.0
    left, right = max(left, np.log(bounds[0])), min(right, np.log(bounds[1]))
    return np.linspace(left, right, n)


def _fit_likelihood(
    journeys: Journeys,
    end: np.ndarray,
    per_channel: bool,
    bounds: Any,
    n_grid: int,
    level: float,
) -> HalfLifeResult:
    import statsmodels.api as sm
    from scipy import stats

    lik = _DecayLikelihood(journeys, end)
    bounds = _bounds(bounds, float(lik.lag.max()) if lik.lag.size else 1.0)
    grid = np.linspace(np.log(bounds[0]), np.log(bounds[1]), n_grid)
    thr = float(stats.chi2.ppf(level, 1))
    notes: list[str] = []

    # one half-life: grid, bounded refinement, LR interval, a local curve
    ll_grid = np.array([lik(u) for u in grid])
    u_hat, neg = _minimise_1d(lambda u: -lik(u), grid, -ll_grid)
    ll_max = -neg
    if np.max(ll_grid) > ll_max:  # pragma: no cover - the refinement keeps the best point
        ll_max = float(np.max(ll_grid))

    def dev(u: float) -> float:
        return 2.0 * (ll_max - lik(u))

    lo_u, hi_u = _lr_interval(dev, u_hat, grid, 2.0 * (ll_max - ll_grid), thr)
    local = _local_grid(u_hat, lo_u, hi_u, bounds)
    ll_local = np.array([lik(u) for u in local])
    us = np.concatenate([grid, local, [u_hat]])
    lls = np.concatenate([ll_grid, ll_local, [ll_max]])
    order = np.argsort(us)
    curve = pd.DataFrame(
        {"half_life": np.exp(us[order]), "log_likelihood": lls[order]}
    ).drop_duplicates("half_life")
    curve["deviance"] = 2.0 * (ll_max - curve["log_likelihood"])

    def check_bounds(u: float, what: str) -> None:
        if np.isclose(u, grid[0], atol=1e-3) or np.isclose(u, grid[-1], atol=1e-3):
            msg = (
                f"{what}: the likelihood is largest at the search bound {np.exp(u):.4g}; "
                "widen bounds or check that the channels have an effect at all"
            )
            notes.append(msg)
            warnings.warn(msg, UserWarning, stacklevel=4)

    check_bounds(u_hat, "half-life")
    names = journeys.channel_names
    if not per_channel:
        h_hat: Any = float(np.exp(u_hat))
        ci_low: Any = float(np.exp(lo_u))
        ci_high: Any = float(np.exp(hi_u))
        h_fit: Any = h_hat
    else:
        h_hat, ci_low, ci_high, curve, ll_max = _per_channel(
            lik, u_hat, grid, bounds, thr, names, check_bounds
        )
        h_fit = h_hat.to_numpy()
    # the reported model: statsmodels' GLM at the fitted half-life(s)
    x = lik.design(h_fit).copy()
    beta, _, _ = _fit_logistic(x, lik.y, lik.n, lik.start)
    glm = sm.GLM(np.column_stack([lik.y, lik.n - lik.y]), x, family=sm.families.Binomial()).fit(
        start_params=beta
    )
    coef = pd.DataFrame(
        {"coef": glm.params, "stderr": glm.bse},
        index=pd.Index(["intercept", *names], name="term"),
    )
    return HalfLifeResult(
        method="likelihood",
        half_life=h_hat,
        ci_low=ci_low,
        ci_high=ci_high,
        ci_level=level,
        unit="days",
        curve=curve.reset_index(drop=True),
        objective_name="deviance",
        channel_names=names,
        n_journeys=journeys.n_journeys,
        n_conversions=journeys.n_conversions,
        n_evaluations=lik.n_evaluations,
        per_channel=per_channel,
        log_likelihood=float(ll_max),
        coefficients=coef,
        glm=glm,
        notes=notes,
    )


def _per_channel(
    lik: _DecayLikelihood,
    u_common: float,
    grid: np.ndarray,
    bounds: tuple[float, float],
    thr: float,
    names: tuple[str, ...],
    check_bounds: Callable[[float, str], None],
) -> tuple[pd.Series, pd.Series, pd.Series, pd.DataFrame, float]:
    """Joint maximisation over the log half-lives, then each channel's profile interval.

    The joint maximum is found by L-BFGS-B with the envelope gradient. Profiling channel c
    maximises over the other log half-lives at every fixed value of its own: Newton steps
    with the Hessian of the profile at the joint maximum (finite differences of the exact
    gradient), started from its linear prediction, usually converge in one or two
    likelihood evaluations; L-BFGS-B takes over if they do not.
    """
    from scipy import optimize

    n = len(names)
    lo_u, hi_u = float(grid[0]), float(grid[-1])

    def negative(u: np.ndarray) -> tuple[float, np.ndarray]:
        ll, g = lik(u, gradient=True)
        return -ll, -g

    res = optimize.minimize(
        negative, np.full(n, u_common), jac=True, method="L-BFGS-B", bounds=[(lo_u, hi_u)] * n,
        options={"ftol": 1e-13, "gtol": 1e-4, "maxiter": 500},
    )  # fmt: skip
    u_hat, ll_max = res.x, -res.fun
    # Hessian of the profile log-likelihood by central differences of the exact gradient
    eps = 1e-3
    hess = np.empty((n, n))
    for c in range(n):
        e = np.zeros(n)
        e[c] = eps
        hess[:, c] = (lik(u_hat + e, gradient=True)[1] - lik(u_hat - e, gradient=True)[1]) / (
            2 * eps
        )
    hess = 0.5 * (hess + hess.T)

    def maximise_others(c: int, v: float, warm: np.ndarray) -> tuple[np.ndarray, float]:
        free = np.arange(n) != c
        u = warm.copy()
        h_ff, h_fc = hess[np.ix_(free, free)], hess[free, c]
        newton = n > 1 and bool(np.all(np.linalg.eigvalsh(h_ff) < 0))
        if newton:  # linear response of the others to the move of u_c
            u[free] = warm[free] - np.linalg.solve(h_ff, h_fc * (v - warm[c]))
        u[c] = v
        u = np.clip(u, lo_u, hi_u)
        best = None
        for _ in range(8 if newton else 0):
            ll, g = lik(u, gradient=True)
            if best is not None and ll < best[1] - 1e-9 * abs(ll):
                break  # Newton is not improving: hand over to L-BFGS-B
            best = (u.copy(), ll)
            if np.abs(g[free]).max() < 1e-3:
                return u, ll
            u[free] = np.clip(u[free] - np.linalg.solve(h_ff, g[free]), lo_u, hi_u)
        if n == 1:
            return u, lik(u)
        start = best[0] if best is not None else u

        def sub(w: np.ndarray) -> tuple[float, np.ndarray]:
            x = start.copy()
            x[free] = w
            f, g = negative(x)
            return f, g[free]

        out = optimize.minimize(
            sub, start[free], jac=True, method="L-BFGS-B", bounds=[(lo_u, hi_u)] * (n - 1),
            options={"ftol": 1e-13, "gtol": 1e-4, "maxiter": 500},
        )  # fmt: skip
        u = start.copy()
        u[free] = out.x
        return u, -out.fun

    est, low, high = np.exp(u_hat), np.empty(n), np.empty(n)
    rows = []
    for c in range(n):
        check_bounds(float(u_hat[c]), f"half-life of {names[c]}")
        warm = {"u": u_hat.copy()}

        def profile(v: float, c: int = c, warm: dict = warm) -> float:
            u, ll = maximise_others(c, v, warm["u"])
            warm["u"] = u
            rows.append((names[c], float(np.exp(v)), ll))
            return ll

        def dev(v: float, profile: Callable[[float], float] = profile) -> float:
            return 2.0 * (ll_max - profile(v))

        ends = []
        for side, edge in ((-1, lo_u), (1, hi_u)):
            warm["u"] = u_hat.copy()
            ends.append(_crossing(dev, float(u_hat[c]), side, edge, thr))
        low[c], high[c] = np.exp(ends[0]), np.exp(ends[1])
        # the profile around the estimate, walked outwards for warm starts
        local = _local_grid(float(u_hat[c]), ends[0], ends[1], bounds, n=9)
        for part in (local[local >= u_hat[c]], local[local < u_hat[c]][::-1]):
            warm["u"] = u_hat.copy()
            for v in part:
                profile(float(v))
        rows.append((names[c], float(est[c]), float(ll_max)))
    curve = pd.DataFrame(rows, columns=["channel", "half_life", "log_likelihood"])
    curve["channel"] = pd.Categorical(curve["channel"], categories=list(names))
    curve = curve.sort_values(["channel", "half_life"], kind="stable")
    curve = curve.drop_duplicates(["channel", "half_life"]).reset_index(drop=True)
    curve["channel"] = curve["channel"].astype(str)
    curve["deviance"] = 2.0 * (ll_max - curve["log_likelihood"])
    index = pd.Index(names, name="channel")
    return (
        pd.Series(est, index=index, name="half_life"),
        pd.Series(low, index=index, name="ci_low"),
        pd.Series(high, index=index, name="ci_high"),
        curve,
        float(ll_max),
    )
