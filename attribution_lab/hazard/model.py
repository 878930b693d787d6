"""`HazardAttribution`: fit of the additive-hazard model, its standard errors and its credit.

Maximum likelihood over the log parameters (`kernels._loglik`), standard errors from the
observed information, and credit split by the fitted per-touch hazard weights.
"""

from __future__ import annotations

import sys
import warnings
from typing import Any

import numpy as np
import pandas as pd

from .._validation import check_level, check_random_state
from ..base import AttributionModel, register_model
from ..journeys import Journeys
from ..result import AttributionResult
from ..rules import credit_from_weights
from ._data import _LN2, _prepare, _timed
from .kernels import _loglik, _unpack, hazard_touch_weights

__all__ = ["HazardAttribution"]

#: Search box of the log parameters (per day): estimates on its edge get a warning and no
#: standard error. Wide enough for any rate measured in days.
_LOG_BASELINE_BOUNDS = (np.log(1e-12), np.log(1e6))
_LOG_BETA_BOUNDS = (np.log(1e-9), np.log(1e6))
# half-lives from about 9 seconds (1e-4 days) to 1e5 days
_LOG_OMEGA_BOUNDS = (np.log(_LN2 / 1e5), np.log(_LN2 / 1e-4))


def _check_number(name: str, v: Any, low: float, high: float | None = None) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a number, got {v!r}")
    if not np.isfinite(v) or v <= low or (high is not None and v >= high):
        rng = f"in ({low:g}, {high:g})" if high is not None else f"> {low:g}"
        raise ValueError(f"{name} must be a finite number {rng}, got {v!r}")
    return float(v)


def _check_int(name: str, v: Any, low: int) -> int:
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < low:
        raise ValueError(f"{name} must be an integer >= {low}, got {v!r}")
    return int(v)


@register_model
class HazardAttribution(AttributionModel):
    r"""Time-to-event attribution with the additive-hazard model of Zhang, Wei & Ren (2014).

    Parameters
    ----------
    ci_level : float, default 0.95
        Coverage of the parameter and credit intervals.
    max_iter : int, default 2000
        Most L-BFGS-B iterations.
    tol : float, default 1e-12
        L-BFGS-B's relative tolerance on the (per-customer) log-likelihood.
    n_starts : int, default 1
        Number of starting points. The first is deterministic (see Notes); further ones
        jitter it by a factor :math:`e^{\pm 1}` per parameter, drawn from `random_state`,
        and the best fit wins.
    random_state : int, Generator or None
        Seed of the extra starts. With ``n_starts=1`` there is none, so a seed is refused
        (ValueError) rather than ignored.
    progress : bool, default False
        Show a tqdm counter of log-likelihood evaluations on stderr while fitting (about
        100, each a pass over the touches: 17 s at a million journeys).

    Attributes
    ----------
    baseline_ : float
        :math:`\hat\mu`, conversions per customer-day with no touch.
    beta_, omega_, half_life_ : pandas.Series
        :math:`\hat\beta_c`, :math:`\hat\omega_c` (per day) and :math:`\ln 2/\hat\omega_c`
        (days), by channel.
    covariance_ : pandas.DataFrame
        Inverse observed information of the log parameters
        (``log_baseline``, ``log_beta[c]``, ``log_omega[c]``); NaN for parameters on the
        edge of the search box.
    log_likelihood_ : float
    baseline_share_ : float
        Share of the hazard at the conversions (conversion-weighted mean of
        :math:`\mu / \lambda_j(T_j)`) that is baseline; it is renormalised away in the
        credit (Notes).
    converged_ : bool
    n_iter_ : int
    optimizer_ : scipy.optimize.OptimizeResult
        The best L-BFGS-B run.

    Notes
    -----
    **Model.** Journey j is at risk from its first touch :math:`s_j` to its end
    :math:`T_j` (``Journeys.end_time``: the conversion, or the end of observation of a
    journey that did not convert). Its conversion hazard at time t is

    .. math:: \lambda_j(t) = \mu + \sum_{i \in j:\, t_i \le t}
              \beta_{c_i}\,\omega_{c_i}\, e^{-\omega_{c_i}(t - t_i)},

    so a touch of channel c adds :math:`\beta_c` expected conversions over an unlimited
    window, wearing off with half-life :math:`\ln 2/\omega_c`. A touch counts from the
    moment it happens (:math:`t_i \le t`), so a touch at the conversion time itself
    contributes :math:`\beta_c \omega_c`. The cumulative hazard over the journey's window is

    .. math:: \Lambda_j = \mu (T_j - s_j) + \sum_{i \in j}
              \beta_{c_i}\big(1 - e^{-\omega_{c_i}(T_j - t_i)}\big).

    The window starts at the first touch because that is where a journey's observation
    starts: customers are not seen before they are first touched. **Likelihood.** A row
    standing for :math:`y_j` conversions and :math:`u_j` non-converting customers with
    the same touches and end (weights; raw journeys have 0/1) contributes

    .. math:: \ell_j = y_j \log\lambda_j(T_j) - (y_j + u_j)\,\Lambda_j ,

    the converting customers' event density and everyone's survival to :math:`T_j`
    (censoring at the end of observation); a row with both conversions and
    non-converting customers is read as all of them ending at the same :math:`T_j`.
    Times are in days (``Journeys`` converts datetimes), so rates are per day. The gradient in
    :math:`\theta = (\log\mu, \log\beta_c, \log\omega_c)` is analytic: with
    :math:`k_i = \beta_{c_i}\omega_{c_i}e^{-\omega_{c_i}\ell_i}` and lag
    :math:`\ell_i = T_j - t_i`, :math:`\partial\lambda/\partial\log\beta_c = \sum_{i: c_i
    = c} k_i`, :math:`\partial\lambda/\partial\log\omega_c = \sum k_i (1 - \omega_c
    \ell_i)`, :math:`\partial\Lambda/\partial\log\beta_c = \sum \beta_c(1 -
    e^{-\omega_c\ell_i})` and :math:`\partial\Lambda/\partial\log\omega_c = \sum k_i
    \ell_i`. The touches are grouped by channel once, so one evaluation is one
    exponential per touch, dot products per channel and a `numpy.bincount` by
    converting journey: no loop over journeys or touches. The log parametrisation keeps
    every parameter positive; L-BFGS-B works in a box wide enough for any rate in days
    (estimates on its edge are reported with a warning), and up to three Newton steps
    with the observed information below polish its answer. The deterministic start is
    :math:`\mu_0` = half the conversions per customer-day of window,
    :math:`\omega_{c,0}` = 1 / the mean lag of c's touches and :math:`\beta_{c,0}` =
    half the conversions per touch.

    **Uncertainty.** The observed information is the Hessian of :math:`-\ell` at the
    maximum, by central differences of the analytic gradient; its inverse is the
    covariance of :math:`\hat\theta`. Intervals are Wald intervals on the log scale,
    mapped back (delta method: :math:`\mathrm{se}(\hat\beta_c) = \hat\beta_c
    \,\mathrm{se}(\log\hat\beta_c)`, and the half-life's log is
    :math:`\log\ln 2 - \log\omega_c`, with the same standard error), so they stay
    positive. Credit standard errors come from the same covariance by the delta method
    (finite-difference Jacobian of the credit); they are conditional on the journeys.

    **Credit.** Conditionally on a conversion at :math:`T_j`, the probability that touch
    i triggered it is :math:`k_i / \lambda_j(T_j)` (the hazard is a sum of independent
    causes), and the baseline's is :math:`\mu / \lambda_j(T_j)`. The credit splits each
    conversion (and its value) over the journey's touches in proportion to
    :math:`k_i`, i.e. the baseline's share is renormalised away, so the credit sums to
    the total conversions and value as every other model's does; the share removed is
    reported as `baseline_share_`, and the unrenormalised
    :math:`\sum_j y_j \sum_{i: c_i = c} k_i/\lambda_j(T_j)` as the result's
    ``triggered_conversions`` detail. The estimand is ``"hazard_share"``: like a rule,
    each conversion is split over its own touches by weights summing to 1, but the
    weights are learned from the timing of conversions (the probability that each touch
    triggered it), not fixed. A touch at the conversion time makes the likelihood grow without bound
    as :math:`\omega_c \to \infty`; with such data :math:`\hat\omega_c` ends on the edge
    of the box (warning).

    References
    ----------
    Zhang, Y., Wei, Y., & Ren, J. (2014). Multi-touch attribution in online advertising
    with survival theory. 2014 IEEE International Conference on Data Mining (ICDM),
    687-696.

    Examples
    --------
    >>> from attribution_lab.simulate import simulate
    >>> journeys, truth = simulate("hazard", 20_000, random_state=0)
    >>> model = HazardAttribution().fit(journeys)
    >>> model.params_frame().columns.tolist()
    ['parameter', 'channel', 'estimate', 'stderr', 'ci_low', 'ci_high']
    >>> result = model.attribute()
    >>> bool(np.isclose(result.conversions.sum(), journeys.n_conversions))
    True
    >>> float(np.abs(result.share - truth.share).sum() / 2) < 0.05  # close to the truth
    True
    """

    name = "hazard"
    estimand = "hazard_share"
    summary = (
        "additive-hazard (survival) model: each conversion split by the touches' hazard at"
        " the conversion time"
    )
    #: Fitting needs ``Journeys.times`` and ``Journeys.end_time`` (path tables have neither),
    #: so code running every registered model can skip this one on untimed journeys.
    needs_times = True

    def __init__(
        self,
        ci_level: float = 0.95,
        max_iter: int = 2000,
        tol: float = 1e-12,
        n_starts: int = 1,
        random_state: int | np.random.Generator | None = None,
        progress: bool = False,
    ) -> None:
        self.ci_level = ci_level
        self.max_iter = max_iter
        self.tol = tol
        self.n_starts = n_starts
        self.random_state = random_state
        self.progress = progress

    def _validate_params(self) -> None:
        check_level(self.ci_level)
        _check_int("max_iter", self.max_iter, 1)
        _check_number("tol", self.tol, 0.0)
        _check_int("n_starts", self.n_starts, 1)
        check_random_state(self.random_state)  # a bad seed fails at fit time
        if not isinstance(self.progress, bool | np.bool_):
            raise TypeError(f"progress must be True or False, got {self.progress!r}")

    def _inert_params(self, journeys: Journeys) -> dict[str, str]:
        if self.n_starts == 1:
            return {
                "random_state": "n_starts=1 fits from the one deterministic start; it acts"
                " with n_starts=2 or more (jittered extra starts)"
            }
        return {}

    # ------------------------------------------------------------------ fit
    def _fit(self, journeys: Journeys) -> None:
        from scipy import optimize

        prep = _prepare(journeys)
        names = journeys.channel_names
        c = journeys.n_channels
        touches = np.bincount(prep.channel, minlength=c)
        missing = np.flatnonzero(touches == 0)
        if missing.size:
            raise ValueError(
                f"channel {names[missing[0]]!r} never appears in the journeys, so its effect"
                " and decay cannot be estimated; drop it from channel_names"
            )
        if journeys.n_conversions <= 0:
            raise ValueError(
                "the journeys have no conversions: a conversion hazard cannot be estimated"
            )
        in_conv = np.bincount(prep.conv_channel, minlength=c)
        if np.any(in_conv == 0):
            bad = names[int(np.flatnonzero(in_conv == 0)[0])]
            warnings.warn(
                f"channel {bad!r} never appears in a converting journey: its effect beta"
                " tends to 0 and ends on the edge of the search box",
                UserWarning,
                stacklevel=3,
            )
        times, end = _timed(journeys, "the additive-hazard model")
        lag = end[journeys.journey_index] - times
        lags = np.bincount(prep.channel, lag, minlength=c) / touches
        start = np.concatenate(
            [
                [np.log(max(0.5 * journeys.n_conversions / max(prep.window_exposure, 1e-12),
                            1e-9))],
                np.full(c, np.log(max(0.5 * journeys.n_conversions / prep.channel.size, 1e-6))),
                -np.log(np.maximum(lags, 1e-3)),
            ]
        )  # fmt: skip
        lo = np.concatenate(
            [[_LOG_BASELINE_BOUNDS[0]], np.full(c, _LOG_BETA_BOUNDS[0]),
             np.full(c, _LOG_OMEGA_BOUNDS[0])]
        )  # fmt: skip
        hi = np.concatenate(
            [[_LOG_BASELINE_BOUNDS[1]], np.full(c, _LOG_BETA_BOUNDS[1]),
             np.full(c, _LOG_OMEGA_BOUNDS[1])]
        )  # fmt: skip
        start = np.clip(start, lo + 1e-3, hi - 1e-3)
        scale = 1.0 / prep.total
        from tqdm import tqdm

        # the number of evaluations is not known in advance: a counter, not a bar; shown
        # even when stderr is not a terminal, since the caller asked
        with tqdm(
            desc="hazard fit",
            unit="evaluation",
            file=sys.stderr,
            disable=not self.progress,
            leave=False,
        ) as bar:

            def loglik(theta: np.ndarray) -> tuple[float, np.ndarray]:
                bar.update()
                return _loglik(theta, prep)

            def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
                ll, grad = loglik(theta)
                return -ll * scale, -grad * scale

            starts = [start]
            if self.n_starts > 1:
                rng = check_random_state(self.random_state)
                for _ in range(self.n_starts - 1):
                    starts.append(np.clip(start + rng.uniform(-1, 1, start.size), lo, hi))
            best = None
            for s in starts:
                res = optimize.minimize(
                    objective,
                    s,
                    jac=True,
                    method="L-BFGS-B",
                    bounds=list(zip(lo, hi, strict=True)),
                    options={"maxiter": int(self.max_iter), "ftol": float(self.tol), "gtol": 1e-10,
                             "maxcor": 20},
                )  # fmt: skip
                if best is None or res.fun < best.fun:
                    best = res
            assert best is not None
            bar.set_description("hazard fit: Newton steps and information")
            theta = best.x
            edge = (theta - lo < 1e-6) | (hi - theta < 1e-6)
            free = ~edge
            ll, grad = loglik(theta)
            # polish with Newton steps on the free parameters (the Hessian is needed anyway):
            # L-BFGS-B stops on a relative change of the objective, Newton converges
            # quadratically from there
            for _ in range(3):
                hess = _hessian(lambda t: loglik(t)[1], theta)
                if not free.any():
                    break
                try:
                    step = np.linalg.solve(-hess[np.ix_(free, free)], grad[free])
                except np.linalg.LinAlgError:
                    break
                if not np.all(np.isfinite(step)) or np.max(np.abs(step)) < 1e-8:
                    break
                new = theta.copy()
                new[free] = np.clip(theta[free] + step, lo[free], hi[free])
                ll_new, grad_new = loglik(new)
                if not ll_new >= ll:
                    break
                theta, ll, grad = new, ll_new, grad_new
        labels = ["log_baseline", *(f"log_beta[{n}]" for n in names)]
        labels += [f"log_omega[{n}]" for n in names]
        if edge.any():
            warnings.warn(
                "estimates on the edge of the search box (no standard error): "
                + ", ".join(np.asarray(labels)[edge]),
                UserWarning,
                stacklevel=3,
            )
        if not best.success:
            warnings.warn(
                f"L-BFGS-B did not report convergence: {best.message}", UserWarning, stacklevel=3
            )
        cov = _inverse_information(hess, free, stacklevel=4)
        self.theta_ = theta
        mu, beta, omega = _unpack(theta, c)
        index = pd.Index(names, name="channel")
        self.baseline_ = mu
        self.beta_ = pd.Series(beta, index=index, name="beta")
        self.omega_ = pd.Series(omega, index=index, name="omega")
        self.half_life_ = pd.Series(_LN2 / omega, index=index, name="half_life")
        self.covariance_ = pd.DataFrame(cov, index=labels, columns=labels)
        self.log_likelihood_ = float(ll)
        self.converged_ = bool(best.success)
        self.n_iter_ = int(best.nit)
        self.optimizer_ = best
        lag = prep.groups[0]["lag"]
        k = (
            beta[prep.conv_channel]
            * omega[prep.conv_channel]
            * np.exp(-omega[prep.conv_channel] * lag)
        )
        lam = mu + np.bincount(prep.row, k, minlength=prep.y.size)
        self.baseline_share_ = float(prep.y @ (mu / lam) / prep.y.sum())

    def params_frame(self) -> pd.DataFrame:
        """The fitted parameters with standard errors and intervals, one row per parameter.

        Rows: ``baseline`` (channel ``"(baseline)"``), then ``beta``, ``omega`` and
        ``half_life`` of every channel. Intervals are log-scale Wald intervals mapped
        back, standard errors the delta method's (see Notes of the class).

        Examples
        --------
        >>> from attribution_lab.simulate import simulate
        >>> model = HazardAttribution().fit(simulate("hazard", 5_000, random_state=1).journeys)
        >>> model.params_frame().query("parameter == 'half_life'").shape[0]
        4
        """
        if not hasattr(self, "theta_"):
            raise RuntimeError("HazardAttribution is not fitted yet; call fit(journeys) first")
        return _params_frame(
            self.theta_, self.covariance_.to_numpy(), list(self.channel_names_), self.ci_level
        )

    # ------------------------------------------------------------------ credit
    def touch_weights(self, journeys: Journeys | None = None) -> np.ndarray:
        """Each touch's share of its journey's touch hazard at the journey's end.

        For a converting journey this is the share of its conversion the touch is
        credited with; for the others, the share it would get were the journey to convert
        at its end. Weights of a journey sum to 1 (`hazard_touch_weights`).

        Examples
        --------
        >>> from attribution_lab.simulate import simulate
        >>> j = simulate("hazard", 5_000, random_state=3).journeys
        >>> w = HazardAttribution().fit(j).touch_weights()
        >>> bool(np.allclose(np.bincount(j.journey_index, w), 1.0))
        True
        """
        if not hasattr(self, "theta_"):
            raise RuntimeError("HazardAttribution is not fitted yet; call fit(journeys) first")
        journeys = self.journeys_ if journeys is None else journeys
        self._check_channels(journeys)
        times, end = _timed(journeys, "HazardAttribution.touch_weights")
        c = journeys.n_channels
        return hazard_touch_weights(
            journeys.channels,
            journeys.offsets,
            end[journeys.journey_index] - times,
            self.theta_[1 : c + 1],
            self.theta_[c + 1 :],
        )

    def _check_channels(self, journeys: Journeys) -> None:
        if tuple(journeys.channel_names) != tuple(self.channel_names_):
            raise ValueError(
                "the fitted hazard parameters are per channel: use journeys over the"
                f" same channels {self.channel_names_}, got {journeys.channel_names}"
            )

    def _credit(
        self, journeys: Journeys, theta: np.ndarray, lag: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        c = journeys.n_channels
        w = hazard_touch_weights(
            journeys.channels, journeys.offsets, lag, theta[1 : c + 1], theta[c + 1 :]
        )
        return credit_from_weights(journeys, w)

    def _attribute(self, journeys: Journeys) -> AttributionResult:
        from scipy.stats import norm

        self._check_channels(journeys)
        times, end = _timed(journeys, "HazardAttribution.attribute")
        lag = end[journeys.journey_index] - times
        theta = self.theta_
        conv, val = self._credit(journeys, theta, lag)
        # delta method with the analytic Jacobian of the conversion credit in theta
        cov = self.covariance_.to_numpy()
        c = journeys.n_channels
        extra: dict[str, Any] = {}
        # estimates on the edge of the search box have no standard error; the credit's is
        # then computed holding them there (a half-life at the upper edge, no decay, leaves
        # beta * omega identified through beta), and said
        free = np.isfinite(np.diag(cov))
        if free[1:].any() and np.all(np.isfinite(cov[np.ix_(free, free)])):
            if not free[1:].all():
                warnings.warn(
                    "credit intervals hold the estimates on the edge of the search box fixed: "
                    + ", ".join(self.covariance_.index[1:][~free[1:]]),
                    UserWarning,
                    stacklevel=3,
                )
            jac = _credit_jacobian(journeys, theta, lag)
            se = np.sqrt(np.maximum(np.einsum("ip,pq,iq->i", jac, np.nan_to_num(cov), jac), 0))
            z = float(norm.ppf(0.5 + self.ci_level / 2))
            extra = {
                "stderr": se,
                "ci_low": conv - z * se,
                "ci_high": conv + z * se,
                "ci_level": float(self.ci_level),
            }
        mu, beta, omega = _unpack(theta, c)
        jid = journeys.journey_index
        kernel = (
            beta[journeys.channels]
            * omega[journeys.channels]
            * np.exp(-omega[journeys.channels] * lag)
        )
        lam = mu + np.bincount(jid, kernel, minlength=journeys.n_journeys)
        triggered = np.bincount(
            journeys.channels, kernel * (journeys.conversions / lam)[jid], minlength=c
        )
        return self._result(
            journeys,
            conv,
            val,
            details={
                "triggered_conversions": triggered,
                "beta": beta,
                "half_life": _LN2 / omega,
            },
            **extra,
        )


def _inverse_information(hess: np.ndarray, free: np.ndarray, stacklevel: int) -> np.ndarray:
    """Inverse of the observed information -hess over the `free` parameters (NaN
    elsewhere), with a warning when it is singular or has non-positive variances."""
    cov = np.full(hess.shape, np.nan)
    if free.any():
        try:
            cov[np.ix_(free, free)] = np.linalg.inv(-hess[np.ix_(free, free)])
        except np.linalg.LinAlgError:
            warnings.warn(
                "the observed information is singular; no standard errors",
                UserWarning,
                stacklevel=stacklevel,
            )
    if np.any(free & ~(np.diag(cov) > 0)):
        warnings.warn(
            "the observed information is not positive definite (the maximum may not be"
            " reached); some standard errors are missing",
            UserWarning,
            stacklevel=stacklevel,
        )
    return cov


def _params_frame(
    theta: np.ndarray, cov: np.ndarray, names: list[str], ci_level: float
) -> pd.DataFrame:
    """Rows baseline, beta, omega, half_life of log parameters `theta` (log baseline,
    log beta, log omega) with covariance `cov`: log-scale Wald intervals mapped back."""
    from scipy.stats import norm

    c = len(names)
    se_log = np.sqrt(np.diag(cov))
    z = float(norm.ppf(0.5 + ci_level / 2))
    t = theta
    # log parameters of each row, its standard error, and the sign of the map
    log_est = np.concatenate([t[:1], t[1 : c + 1], t[c + 1 :], np.log(_LN2) - t[c + 1 :]])
    se = np.concatenate([se_log[:1], se_log[1 : c + 1], se_log[c + 1 :], se_log[c + 1 :]])
    est = np.exp(log_est)
    return pd.DataFrame(
        {
            "parameter": ["baseline"] + ["beta"] * c + ["omega"] * c + ["half_life"] * c,
            "channel": ["(baseline)", *(names * 3)],
            "estimate": est,
            "stderr": est * se,
            "ci_low": np.exp(log_est - z * se),
            "ci_high": np.exp(log_est + z * se),
        }
    )


def _credit_jacobian(journeys: Journeys, theta: np.ndarray, lag: np.ndarray) -> np.ndarray:
    r"""Jacobian (n_channels, 2 n_channels + 1) of the conversion credit in theta.

    With touch weights :math:`w_i = k_i / \sum_{i' \in j} k_{i'}`, :math:`\partial \log
    k_i / \partial \log\beta_d = [c_i = d]` and :math:`\partial \log k_i / \partial
    \log\omega_d = [c_i = d](1 - \omega_d \ell_i) =: [c_i = d]\, g_i`, so with the
    per-journey sums :math:`W_{jd} = \sum_{i \in j: c_i = d} w_i` and :math:`V_{jd} =
    \sum_{i \in j: c_i = d} w_i g_i` the credit :math:`C_c = \sum_j y_j W_{jc}` has
    :math:`\partial C_c / \partial \log\beta_d = [c = d] C_c - \sum_j y_j W_{jc}
    W_{jd}` and :math:`\partial C_c / \partial \log\omega_d = [c = d] \sum_j y_j
    V_{jc} - \sum_j y_j W_{jc} V_{jd}`; the baseline does not move the split. One pass
    over the touches instead of 4 C credit evaluations.
    """
    c = journeys.n_channels
    log_beta, log_omega = theta[1 : c + 1], theta[c + 1 :]
    w = hazard_touch_weights(journeys.channels, journeys.offsets, lag, log_beta, log_omega)
    y = np.asarray(journeys.conversions)
    conv = y > 0
    rows = np.flatnonzero(conv)
    compact = np.cumsum(conv) - 1
    jid = journeys.journey_index
    touch = np.flatnonzero(conv[jid])
    key = compact[jid[touch]] * c + journeys.channels[touch]
    g = 1.0 - np.exp(log_omega)[journeys.channels[touch]] * lag[touch]
    size = rows.size * c
    big_w = np.bincount(key, w[touch], minlength=size).reshape(rows.size, c)
    big_v = np.bincount(key, w[touch] * g, minlength=size).reshape(rows.size, c)
    yw = big_w * y[rows][:, None]
    jac = np.zeros((c, 2 * c + 1))
    jac[:, 1 : c + 1] = np.diag(yw.sum(axis=0)) - np.einsum("jc,jd->cd", yw, big_w)
    yv = big_v * y[rows][:, None]
    jac[:, c + 1 :] = np.diag(yv.sum(axis=0)) - np.einsum("jc,jd->cd", yw, big_v)
    return jac


def _hessian(grad: Any, theta: np.ndarray, step: float = 1e-4) -> np.ndarray:
    """Symmetrised central-difference Jacobian of `grad` at `theta`."""
    k = theta.size
    hess = np.empty((k, k))
    for p in range(k):
        up, down = theta.copy(), theta.copy()
        up[p] += step
        down[p] -= step
        hess[:, p] = (grad(up) - grad(down)) / (2 * step)
    return 0.5 * (hess + hess.T)
