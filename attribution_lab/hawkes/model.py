"""`PointProcessAttribution`: fit of the mutually exciting point process, its standard
errors, and the Shapley credit of the coalition game in which removing a channel removes
every touch it triggered."""

from __future__ import annotations

import sys
import warnings
from typing import Any

import numpy as np
import pandas as pd

from .._validation import check_level, check_random_state
from ..base import AttributionModel, register_model
from ..hazard import HazardAttribution
from ..hazard.model import _check_int, _check_number, _params_frame
from ..journeys import Journeys
from ..result import AttributionResult
from ._branching import conversion_terms
from ._credit import _SUBSAMPLE, _canonical, _draw_params, _Draws, _touch_order
from ._data import _prepare, _Prepared
from ._fit import (
    _LOG_FRAILTY_BOUNDS,
    _conversion_box,
    _covariance,
    _edge,
    _projected_newton,
    _touch_bounds,
)
from ._frailty import frailty_loglik
from ._window_end import WindowEndConversion
from .kernels import _layout, _touch_loglik

__all__ = ["PointProcessAttribution"]

#: Above twice this many journeys the fit starts from a fit on a stride of this many.
_WARM_START = 50_000


@register_model
class PointProcessAttribution(AttributionModel):
    r"""Attribution by a mutually exciting point process of touches and conversions.

    Parameters
    ----------
    decay : {"source", "pair"}, default "source"
        One excitation decay per source channel, or one per (source, target) pair.
    conversion : {"hazard", "window_end"}, default "hazard"
        How conversions depend on the touches. ``"hazard"``: the additive hazard of
        `HazardAttribution`, for journeys that stop at their conversion time.
        ``"window_end"``: a logistic model of converting at the end of each journey's
        window from the touches' decayed effects, for data whose conversion is only a
        yes / no at the end of observation (Notes).
    frailty : bool, default False
        A per-journey gamma frailty (purchase intent) multiplying every intensity after
        the first touch, integrated out and fitted jointly (hazard conversion only; one
        outcome per row).
    credit : {"shapley", "removal"}, default "shapley"
        What the credit is proportional to: the Shapley values of the removal game
        (estimand ``"shapley_mediated"``; interactions such as a triggered touch that
        needs both channels are split equally), or each channel's removal effect
        :math:`v(N) - v(N \setminus c)` (estimand ``"incremental"``: the conversions lost
        without the channel and everything it triggered, which double-count what two
        channels need together, normalised to the total like Markov's removal effects).
    l1, l2 : float, default 0.0
        Penalties :math:`l_1\sum\alpha + l_2\sum\alpha^2` subtracted from the
        log-likelihood (in its units: conversions and touches are counted once per
        customer), to shrink the :math:`C^2` excitations when there are many channels.
    n_draws : int, default 20
        Draws of the branching structure for the credit (and as many of the parameters
        for its standard errors).
    ci_level : float, default 0.95
    max_iter : int, default 2000
    tol : float, default 1e-12
    random_state : int, Generator or None
        Seed of the draws of the credit.
    progress : bool, default False
        Show a counter of log-likelihood evaluations while fitting.

    Attributes
    ----------
    mu_ : pandas.Series
        Organic touches per day by channel.
    alpha_ : pandas.DataFrame
        Index: source channel, columns: target channel; expected target touches one
        source touch triggers.
    decay_ : pandas.Series or pandas.DataFrame
        Excitation decay per day (per source; per source and target with
        ``decay="pair"``).
    conversion_ : HazardAttribution or WindowEndConversion
        The fitted conversion part, with its own ``theta_`` and ``covariance_``.
    baseline_, beta_, omega_ : float, pandas.Series
        The conversion part's parameters: the hazard's :math:`\lambda_0`, or the
        window-end model's intercept :math:`b_0` (logit); effects and decays by channel.
    covariance_ : pandas.DataFrame
        Inverse observed information of the touch parameters (log mu, alpha, log decay);
        NaN for parameters on the edge of the search box or not identified.
    log_likelihood_ : float
        Touch plus conversion log-likelihood.
    branching_ratio_ : float
        Spectral radius of :math:`\hat\alpha` (below 1 for a process that ends).
    converged_ : bool

    Notes
    -----
    **Process** (Xu, Duan & Whinston 2014). Journey j is observed from its first touch
    :math:`s_j` to :math:`T_j` (``end_time``: the conversion, or the end of observation).
    Touches of channel c after the first arrive with intensity

    .. math:: \lambda_c(t) = \mu_c + \sum_{k:\, t_k < t}
              \alpha_{c_k c}\,\delta\,e^{-\delta (t - t_k)},

    :math:`\delta` the decay of :math:`c_k` (or of the pair), so
    :math:`\alpha_{dc}` is the expected number of c-touches a d-touch triggers; touches
    at the same moment do not excite each other. Conversion has the additive hazard of
    `HazardAttribution`, :math:`\lambda_0 + \sum_{t_i \le t} \beta_{c_i}\omega_{c_i}
    e^{-\omega_{c_i}(t - t_i)}`. The first touch is conditioned on (it starts the
    observation) but excites later touches and acts on conversion. With
    ``conversion="window_end"`` the conversion is instead a yes / no at :math:`T_j`,
    :math:`P(y_j = 1) = \operatorname{logistic}(b_0 + \sum_i \beta_{c_i}
    e^{-\omega_{c_i}(T_j - t_i)})`: the form of `attribution_lab.simulate.CausalWorld`,
    where a time-to-event model is misspecified.

    **Likelihood.** With :math:`n_j` customers per row and :math:`y_j` conversions,

    .. math:: \ell = \sum_j n_j\Big[\sum_{i \ge 1}\log\lambda_{c_i}(t_i)
              - (T_j - s_j)\sum_c\mu_c - \sum_k\sum_c\alpha_{c_k c}
              \big(1 - e^{-\delta(T_j - t_k)}\big)\Big] + \ell_{\text{conversion}},

    censored at the window's end and stopped at conversion. The touch and conversion
    parts share no parameter, so the conversion part is `HazardAttribution`'s fit and
    the touch part is maximised on its own: L-BFGS-B on
    :math:`(\log\mu, \alpha, \log\delta)` with :math:`\alpha \ge 0`, then Newton steps.
    The excitation sums follow the exponential kernel's recursion, in one compiled pass
    over the touches (`attribution_lab.hawkes.kernels`) giving the analytic gradient and
    Hessian with the value; the covariance is the inverse observed information. The start
    is the process without excitation (:math:`\alpha = 0`, :math:`\mu_c` its
    maximum-likelihood rate, decays 1 / the mean lag to the previous touch of the source);
    Newton steps free the
    excitations whose gradient is positive (on 10 channels and 1e5 journeys, 18 steps,
    where a start with every excitation positive took 34 to a lower maximum).

    **Credit.** The estimand (``"shapley_mediated"``): Shapley values of
    :math:`v(S)`, the expected conversions within the observed windows when only the
    channels in S act, where removing a channel removes its touches *and every touch
    they triggered, down the chain*; organic touches of kept channels stay (Tao et al.
    2023 define removal effects in this way). Given the fit, which earlier touch (or
    none) triggered each observed touch is a posterior draw of the cluster
    representation (parent k with probability :math:`\alpha_{c_k c_i}\delta
    e^{-\delta(t_i - t_k)}/\lambda_{c_i}(t_i)`); in each of `n_draws` draws a touch
    survives in S iff its channel and its ancestors' are in S, and

    .. math:: v(S) = \sum_j n_j\Big(1 - \exp\big(-\lambda_0(T_j - s_j)
              - \sum_{i \text{ surviving}} \beta_{c_i}(1 - e^{-\omega_{c_i}(T_j -
              t_i)})\big)\Big),

    the same draws for every coalition (common random numbers); with
    ``conversion="window_end"`` each term is the logistic probability of the surviving
    touches instead. Each journey's term
    depends only on the channels it touches, so the exact Shapley values are sums of
    per-journey ones over the subsets of its own channels (cost
    :math:`\sum_j 2^{|T_j|}`, not :math:`2^C`). Credit is the draws' mean scaled to the
    total conversions (value: rows weighted by their value per conversion); with
    ``credit="removal"`` the removal effects are so scaled instead (estimand
    ``"incremental"``), which count an interaction (a touch that needs both its channel
    and its trigger's) for both channels rather than splitting it. Details:
    ``shapley_value`` (unscaled, expected conversions), ``removal_effect``
    :math:`v(N) - v(N\setminus c)`, ``direct`` (conversions lost if c's touches had no
    conversion effect of their own, the touches they trigger kept: exact) and
    ``mediated`` = removal - direct (through the touches c triggers). Standard errors
    combine the Monte Carlo spread of the draws and the parameters' uncertainty
    (`n_draws` further draws, each with parameters drawn from their asymptotic normal
    distribution).

    References
    ----------
    Xu, L., Duan, J. A., & Whinston, A. (2014). Path to purchase: A mutually exciting
    point process model for online advertising and conversion. Management Science,
    60(6), 1392-1412.

    Tao, J., Chen, Q., Snyder, J. W., Kumar, A. S., Meisami, A., & Xue, L. (2023). A
    graphical point process framework for understanding removal effects in multi-touch
    attribution. arXiv:2302.06075.

    Zhang, Y., Wei, Y., & Ren, J. (2014). Multi-touch attribution in online advertising
    with survival theory. ICDM, 687-696.

    Examples
    --------
    >>> from attribution_lab.simulate import simulate
    >>> journeys = simulate("hazard", 5_000, random_state=0).journeys
    >>> model = PointProcessAttribution(random_state=0).fit(journeys)
    >>> result = model.attribute()
    >>> bool(np.isclose(result.conversions.sum(), journeys.n_conversions))
    True
    >>> sorted(k for k in result.details if k in ("direct", "mediated"))
    ['direct', 'mediated']
    """

    name = "point_process"
    estimand = "shapley_mediated"
    summary = (
        "mutually exciting point process: touches trigger touches; a channel is credited"
        " with the conversions of the touches it caused (Shapley, direct and mediated)"
    )
    needs_times = True

    def __init__(
        self,
        decay: str = "source",
        conversion: str = "hazard",
        frailty: bool = False,
        credit: str = "shapley",
        l1: float = 0.0,
        l2: float = 0.0,
        n_draws: int = 20,
        ci_level: float = 0.95,
        max_iter: int = 2000,
        tol: float = 1e-12,
        random_state: int | np.random.Generator | None = None,
        progress: bool = False,
    ) -> None:
        self.decay = decay
        self.conversion = conversion
        self.frailty = frailty
        self.credit = credit
        self.l1 = l1
        self.l2 = l2
        self.n_draws = n_draws
        self.ci_level = ci_level
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state
        self.progress = progress

    def _validate_params(self) -> None:
        if self.decay not in ("source", "pair"):
            raise ValueError(f"decay must be 'source' or 'pair', got {self.decay!r}")
        if self.conversion not in ("hazard", "window_end"):
            raise ValueError(
                f"conversion must be 'hazard' or 'window_end', got {self.conversion!r}"
            )
        if self.credit not in ("shapley", "removal"):
            raise ValueError(f"credit must be 'shapley' or 'removal', got {self.credit!r}")
        if not isinstance(self.frailty, bool | np.bool_):
            raise TypeError(f"frailty must be True or False, got {self.frailty!r}")
        if self.frailty and self.conversion != "hazard":
            raise ValueError(
                "frailty=True needs conversion='hazard': the gamma frailty is integrated out"
                " of the conversion hazard in closed form, which a window-end logistic has not"
            )
        for name in ("l1", "l2"):
            v = getattr(self, name)
            if v != 0:
                _check_number(name, v, 0.0)
        _check_int("n_draws", self.n_draws, 2)
        check_level(self.ci_level)
        _check_int("max_iter", self.max_iter, 1)
        _check_number("tol", self.tol, 0.0)
        check_random_state(self.random_state)
        if not isinstance(self.progress, bool | np.bool_):
            raise TypeError(f"progress must be True or False, got {self.progress!r}")

    # ------------------------------------------------------------------ fit
    def _fit(self, journeys: Journeys) -> None:
        pair = self.decay == "pair"
        prep = _prepare(journeys)
        names = list(journeys.channel_names)
        c = journeys.n_channels
        if prep.event.size == 0:
            raise ValueError(
                "every journey has a single touch: the point-process model learns which"
                " channels trigger which from the touches after the first, and there are none"
            )
        seen = np.bincount(prep.channel, minlength=c)
        if np.any(seen == 0):
            raise ValueError(
                f"channel {names[int(np.flatnonzero(seen == 0)[0])]!r} never appears in the"
                " journeys, so what it triggers and its effect cannot be estimated; drop it"
                " from channel_names"
            )
        # the conversion part shares no parameter with the touches': fitted on its own
        if self.frailty:
            both = (np.asarray(journeys.conversions) > 0) & (np.asarray(journeys.nulls) > 0)
            if both.any():
                raise ValueError(
                    f"frailty=True needs one outcome per row (raw journeys): row"
                    f" {int(np.flatnonzero(both)[0])} has both conversions and non-converting"
                    " customers, whose frailties differ"
                )
        if self.conversion == "hazard":
            self.conversion_ = HazardAttribution(
                ci_level=self.ci_level, max_iter=self.max_iter, tol=self.tol
            ).fit(journeys)
        else:
            self.conversion_ = WindowEndConversion()
            self.conversion_.fit(journeys, prep, self.max_iter, self.tol)
        theta, cov, ll, info = self._fit_touches(journeys, prep, pair, names)
        self.conversion_theta_ = np.asarray(self.conversion_.theta_, dtype=np.float64)
        self.conversion_covariance_ = self.conversion_.covariance_.to_numpy()
        lo_t, hi_t = _touch_bounds(prep, pair)
        lo_c, hi_c = _conversion_box(self.conversion, c)
        self.search_box_ = (np.concatenate([lo_t, lo_c]), np.concatenate([hi_t, hi_c]))
        self.log_likelihood_ = float(ll + self.conversion_.log_likelihood_)
        self.frailty_ = None
        self.frailty_covariance_ = None
        converged = bool(info.success and self.conversion_.converged_)
        if self.frailty:
            theta, cov, converged = self._fit_frailty(journeys, prep, pair, theta, cov)
        self.theta_ = theta
        self._set_params(names, pair)
        self.covariance_ = pd.DataFrame(cov, index=self._touch_labels(names, pair),
                                        columns=self._touch_labels(names, pair))  # fmt: skip
        self.touch_log_likelihood_ = float(ll)
        self.branching_ratio_ = float(np.max(np.abs(np.linalg.eigvals(self.alpha_.to_numpy()))))
        self.converged_ = converged
        self.n_iter_ = int(info.nit)
        self.optimizer_ = info
        if self.branching_ratio_ >= 1:
            warnings.warn(
                f"the fitted excitation has branching ratio {self.branching_ratio_:.3g} >= 1:"
                " the process would not end, and simulated journeys grow without bound",
                UserWarning,
                stacklevel=3,
            )

    @staticmethod
    def _touch_labels(names: list[str], pair: bool) -> list[str]:
        labels = [f"log_mu[{n}]" for n in names]
        labels += [f"alpha[{a}->{b}]" for a in names for b in names]
        labels += (
            [f"log_decay[{a}->{b}]" for a in names for b in names]
            if pair
            else [f"log_decay[{n}]" for n in names]
        )
        return labels

    def _set_params(self, names: list[str], pair: bool) -> None:
        """The fitted parameters as pandas objects, from ``theta_`` and
        ``conversion_theta_``."""
        c = len(names)
        theta = self.theta_
        s_mu, s_alpha, s_dec = _layout(c, pair)
        index = pd.Index(names, name="channel")
        self.mu_ = pd.Series(np.exp(theta[s_mu]), index=index, name="mu")
        self.alpha_ = pd.DataFrame(
            theta[s_alpha].reshape(c, c),
            index=pd.Index(names, name="source"),
            columns=pd.Index(names, name="target"),
        )
        if pair:
            self.decay_ = pd.DataFrame(
                np.exp(theta[s_dec]).reshape(c, c),
                index=self.alpha_.index,
                columns=self.alpha_.columns,
            )
        else:
            self.decay_ = pd.Series(np.exp(theta[s_dec]), index=index, name="decay")
        conv = self.conversion_theta_
        if self.conversion == "hazard":
            self.baseline_ = float(np.exp(conv[0]))
            beta = np.exp(conv[1 : c + 1])
        else:
            self.baseline_ = float(conv[0])
            beta = conv[1 : c + 1]
        self.beta_ = pd.Series(beta, index=index, name="beta")
        self.omega_ = pd.Series(np.exp(conv[c + 1 :]), index=index, name="omega")

    def _fit_frailty(
        self,
        journeys: Journeys,
        prep: _Prepared,
        pair: bool,
        theta_t: np.ndarray,
        cov_t: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray, bool]:
        """Joint fit with the gamma frailty integrated out (`_frailty`), from the fit
        without it; sets the conversion and frailty attributes, returns the touch
        parameters, their covariance and whether the fit converged."""
        from scipy import optimize

        from ..hazard.model import (
            _LOG_BASELINE_BOUNDS,
            _LOG_BETA_BOUNDS,
            _LOG_OMEGA_BOUNDS,
            _hessian,
        )

        c = prep.n_channels
        y = np.asarray(journeys.conversions, dtype=np.float64)
        u = np.asarray(journeys.nulls, dtype=np.float64)
        lo_t, hi_t = _touch_bounds(prep, pair)
        p_t = lo_t.size
        bounds = [
            np.concatenate([edge_t, [b[k]], np.full(c, beta[k]), np.full(c, om[k]), [fr[k]]])
            for k, edge_t in enumerate((lo_t, hi_t))
            for b, beta, om, fr in [
                (_LOG_BASELINE_BOUNDS, _LOG_BETA_BOUNDS, _LOG_OMEGA_BOUNDS, _LOG_FRAILTY_BOUNDS)
            ]
        ]
        lo, hi = bounds
        start = np.concatenate([theta_t, self.conversion_theta_, [np.log(2.0)]])
        start = np.clip(start, lo, hi)
        scale = 1.0 / float((y + u).sum())
        # the search runs in units of the fit without frailty's standard errors: the
        # parameters' scales differ by orders of magnitude (rates on a log scale,
        # excitations not), and L-BFGS-B on them as they are needs ~600 iterations
        var = np.concatenate([np.diag(cov_t), np.diag(self.conversion_covariance_), [1.0]])
        unit = np.where(np.isfinite(var) & (var > 0), np.sqrt(np.abs(var)), 1.0)
        unit = np.clip(unit, 1e-4, 1e2)

        def objective(x: np.ndarray) -> tuple[float, np.ndarray]:
            ll, grad = frailty_loglik(start + unit * x, prep, pair, y, u)
            return -ll * scale, -grad * unit * scale

        res = optimize.minimize(
            objective, np.zeros(start.size), jac=True, method="L-BFGS-B",
            bounds=list(zip((lo - start) / unit, (hi - start) / unit, strict=True)),
            options={"maxiter": int(self.max_iter), "ftol": float(self.tol), "gtol": 1e-10,
                     "maxcor": 30},
        )  # fmt: skip
        res.x = np.clip(start + unit * res.x, lo, hi)
        theta = res.x
        ll = frailty_loglik(theta, prep, pair, y, u)[0]
        hess = _hessian(lambda t: frailty_loglik(t, prep, pair, y, u)[1], theta)
        s_alpha = _layout(c, pair)[1]
        alpha = theta[s_alpha].reshape(c, c)
        dead = np.zeros(theta.size, dtype=bool)
        s_dec = _layout(c, pair)[2]
        dead[s_dec] = ~(alpha.ravel() > 0 if pair else alpha.sum(axis=1) > 0)
        edge = _edge(theta, lo, hi, s_alpha)
        if edge[-1]:
            warnings.warn(
                "the frailty's shape is on the edge of its search box: "
                + (
                    "no heterogeneity found (k -> infinity)"
                    if theta[-1] > 0
                    else "extreme heterogeneity (k -> 0)"
                )
                + "; no standard error",
                UserWarning,
                stacklevel=4,
            )
        if not res.success:
            warnings.warn(
                f"the fit with frailty did not converge: {res.message}", UserWarning, stacklevel=4
            )
        cov = _covariance(theta, hess, lo, hi, s_alpha, dead)
        self.conversion_theta_ = theta[p_t:-1]
        self.conversion_covariance_ = cov[p_t:-1, p_t:-1]
        self.frailty_ = float(np.exp(theta[-1]))
        self.search_box_ = (lo, hi)
        self.frailty_covariance_ = cov
        self.log_likelihood_ = float(ll)
        return theta[:p_t], cov[:p_t, :p_t], bool(res.success)

    def _fit_touches(
        self, journeys: Journeys, prep: _Prepared, pair: bool, names: list[str]
    ) -> tuple[np.ndarray, np.ndarray, float, Any]:
        c = prep.n_channels
        s_mu, s_alpha, s_dec = _layout(c, pair)
        size = s_dec.stop
        mu0 = np.maximum(prep.event_count, 0.5) / max(prep.exposure, 1e-12)
        cnt = prep.lag_count
        mean_lag = np.where(cnt > 0, prep.lag_sum / np.maximum(cnt, 1), 1.0)
        dec0 = 1.0 / np.maximum(mean_lag, 1e-3)
        if pair:
            dec0 = np.repeat(dec0, c)
        start = np.concatenate([np.log(mu0), np.zeros(c * c), np.log(dec0)])
        lo, hi = _touch_bounds(prep, pair)
        start = np.clip(start, lo + 1e-3, hi - 1e-3)
        start[s_alpha] = 0.0
        l1, l2 = float(self.l1), float(self.l2)
        from tqdm import tqdm

        with tqdm(
            desc="point-process fit", unit="evaluation", file=sys.stderr,
            disable=not self.progress, leave=False,
        ) as bar:  # fmt: skip

            def on(data: _Prepared, share: float) -> Any:
                """The penalised touch log-likelihood of `data`, penalties scaled to its
                `share` of the customers."""

                def penalised(theta: np.ndarray, hessian: bool = False) -> tuple[Any, ...]:
                    bar.update()
                    ll, grad, hess = _touch_loglik(theta, data, pair, hessian)
                    a = theta[s_alpha]
                    ll -= share * (l1 * a.sum() + l2 * float(a @ a))
                    grad = grad.copy()
                    grad[s_alpha] -= share * (l1 + 2.0 * l2 * a)
                    if hess is not None:
                        hess[s_alpha, s_alpha] -= share * 2.0 * l2
                    return ll, grad, hess

                return penalised

            max_iter, tol = int(self.max_iter), float(self.tol)
            n = journeys.n_journeys
            if n > 2 * _WARM_START:
                # Newton's first steps, far from the maximum, on every _WARM_START-th
                # journey's worth (a fixed stride: no randomness, the same for any channel
                # names); the full data then need a few steps from there
                part = journeys.subset(np.arange(0, n, n // _WARM_START))
                sub = _prepare(part)
                share = float(
                    (part.conversions.sum() + part.nulls.sum())
                    / (journeys.conversions.sum() + journeys.nulls.sum())
                )
                warm = _projected_newton(on(sub, share), start, lo, hi, max_iter, tol * 1e3)
                # a rate the subsample drove towards 0 restarts near the null model's
                start = np.where(np.arange(size) < c, np.maximum(warm.x, start - 3.0), warm.x)
            res = _projected_newton(on(prep, 1.0), start, lo, hi, max_iter, tol)
            theta, ll, hess = res.x, res.ll, res.hess
        labels_dec = [f"{a}->{b}" for a in names for b in names] if pair else list(names)
        alpha = theta[s_alpha].reshape(c, c)
        # a decay acts only through its excitations: with all of them at 0 it is not
        # identified (flat likelihood), so it gets no standard error
        active = alpha.ravel() > 0 if pair else alpha.sum(axis=1) > 0
        dead = np.zeros(size, dtype=bool)
        dead[s_dec] = ~active
        edge = _edge(theta, lo, hi, s_alpha)
        if edge.any():
            where = [f"log_mu[{names[k]}]" for k in np.flatnonzero(edge[s_mu])]
            where += [f"log_decay[{labels_dec[k]}]" for k in np.flatnonzero(edge[s_dec] & active)]
            if where:
                warnings.warn(
                    "estimates on the edge of the search box (no standard error): "
                    + ", ".join(where),
                    UserWarning,
                    stacklevel=4,
                )
        if not res.success:
            warnings.warn(f"the fit did not converge: {res.message}", UserWarning, stacklevel=4)
        cov = _covariance(theta, hess, lo, hi, s_alpha, dead)
        return (
            theta,
            cov,
            float(ll + l1 * theta[s_alpha].sum() + l2 * theta[s_alpha] @ theta[s_alpha]),
            res,
        )

    # ------------------------------------------------------------------ parameters
    def params_frame(self) -> pd.DataFrame:
        """The fitted parameters with standard errors and intervals, one row per parameter.

        Rows: ``mu`` per channel, ``alpha`` per (source, target), ``decay`` per source
        (or pair), then the conversion part of `HazardAttribution.params_frame`
        (``baseline``, ``beta``, ``omega``, ``half_life``). Rates and decays have
        log-scale Wald intervals mapped back; :math:`\\alpha` a Wald interval cut at 0.

        Examples
        --------
        >>> from attribution_lab.simulate import simulate
        >>> j = simulate("hazard", 3_000, random_state=1).journeys
        >>> frame = PointProcessAttribution().fit(j).params_frame()
        >>> frame.columns.tolist()
        ['parameter', 'source', 'channel', 'estimate', 'stderr', 'ci_low', 'ci_high']
        >>> int((frame.parameter == "alpha").sum())  # 4 channels: 16 excitations
        16
        """
        self._check_fitted()
        from scipy.stats import norm

        names = list(self.channel_names_)
        c = len(names)
        pair = self.decay == "pair"
        s_mu, s_alpha, s_dec = _layout(c, pair)
        z = float(norm.ppf(0.5 + self.ci_level / 2))
        t = self.theta_
        se = np.sqrt(np.diag(self.covariance_.to_numpy()))
        rows = []
        for k, n in enumerate(names):
            rows.append(("mu", None, n, t[s_mu][k], se[s_mu][k], True))
        for k in range(c * c):
            rows.append(("alpha", names[k // c], names[k % c], t[s_alpha][k], se[s_alpha][k],
                         False))  # fmt: skip
        for k in range(s_dec.stop - s_dec.start):
            src, tgt = (names[k // c], names[k % c]) if pair else (names[k], None)
            rows.append(("decay", src, tgt, t[s_dec][k], se[s_dec][k], True))
        out = []
        for par, src, ch, est, s, log in rows:
            if log:
                e = float(np.exp(est))
                out.append((par, src, ch, e, e * s, np.exp(est - z * s), np.exp(est + z * s)))
            else:
                out.append((par, src, ch, est, s, max(est - z * s, 0.0), est + z * s))
        frame = pd.DataFrame(
            out, columns=["parameter", "source", "channel", "estimate", "stderr", "ci_low",
                          "ci_high"],
        )  # fmt: skip
        if self.frailty:
            conv = _params_frame(
                self.conversion_theta_, self.conversion_covariance_, names, self.ci_level
            )
            conv.insert(1, "source", None)
            k_se = float(np.sqrt(self.frailty_covariance_[-1, -1]))
            k = self.frailty_
            conv = pd.concat(
                [conv, pd.DataFrame([("frailty_shape", None, "(journey)", k, k * k_se,
                                      k * np.exp(-z * k_se), k * np.exp(z * k_se))],
                                    columns=conv.columns)],
                ignore_index=True,
            )  # fmt: skip
        elif self.conversion == "hazard":
            conv = self.conversion_.params_frame()
            conv.insert(1, "source", None)
        else:
            conv = self.conversion_.params_frame(self.ci_level)
        return pd.concat([frame, conv], ignore_index=True)

    def simulate(
        self, n_journeys: int, random_state: int | np.random.Generator | None = None
    ) -> Journeys:
        """Journeys drawn from the fitted process, for posterior-predictive checks.

        Each journey starts with a touch whose channel is drawn from the fitted journeys'
        first touches, and is observed for a window drawn from the windows of the fitted
        journeys that did not convert (the only ones whose end of observation is seen);
        touches follow the fitted excitation, conversions the fitted conversion part
        (stopping the journey with ``conversion="hazard"``, a yes / no at the window's
        end with ``"window_end"``). Compare path lengths, channel mixes and times to
        conversion with the data's.

        Parameters
        ----------
        n_journeys : int
        random_state : int, Generator or None

        Returns
        -------
        Journeys
            Raw journeys with ``times`` and ``end_time`` in days from the first touch.

        Examples
        --------
        >>> from attribution_lab.simulate import simulate
        >>> j = simulate("hazard", 3_000, random_state=4).journeys
        >>> fake = PointProcessAttribution().fit(j).simulate(3_000, random_state=0)
        >>> bool(abs(fake.lengths.mean() / j.lengths.mean() - 1) < 0.1)
        True
        """
        from ._draw import draw_point_process

        self._check_fitted()
        n_journeys = _check_int("n_journeys", n_journeys, 1)
        rng = check_random_state(random_state)
        j = self.journeys_
        c = len(self.channel_names_)
        nonempty = j.lengths > 0
        first = np.asarray(j.channels)[j.offsets[:-1][nonempty]]
        times, end = np.asarray(j.times), np.asarray(j.end_time)
        window = (end - times[j.offsets[:-1][nonempty]])[j.conversions[nonempty] == 0]
        window = window[window > 0]
        if window.size == 0:
            raise ValueError(
                "every fitted journey converted (or ended at its first touch): no observed"
                " window to draw simulated journeys' windows from"
            )
        first_channel = rng.choice(first, size=n_journeys)
        windows = rng.choice(window, size=n_journeys)
        decay = self.decay_.to_numpy()
        hazard = self.conversion == "hazard"
        draw = draw_point_process(
            n_journeys,
            self.mu_.to_numpy(),
            self.alpha_.to_numpy(),
            decay,
            self.baseline_ if hazard else 0.0,
            self.beta_.to_numpy() if hazard else np.zeros(c),
            self.omega_.to_numpy(),
            window=windows,
            first_channel=first_channel,
            random_state=rng,
        )
        seen = draw.observed
        conv = draw.converted.astype(np.float64)
        end_time = draw.end_time
        if not hazard:
            t = self.conversion_theta_
            lag = draw.window[draw.journey] - draw.time
            gain = t[1 : c + 1][draw.channel] * np.exp(-np.exp(t[c + 1 :])[draw.channel] * lag)
            eta = t[0] + np.bincount(draw.journey, gain, minlength=n_journeys)
            conv = (rng.random(n_journeys) < 1.0 / (1.0 + np.exp(-eta))).astype(np.float64)
            end_time = draw.window
        return Journeys(
            draw.channel[seen].astype(np.int32),
            draw.offsets(seen),
            self.channel_names_,
            conv,
            1.0 - conv,
            times=draw.time[seen],
            end_time=end_time,
        )

    def plot_excitation(self, result: AttributionResult | None = None, axes: Any = None) -> Any:
        """The fitted excitations as a heatmap, and each channel's credit split into its
        direct and mediated parts, see `attribution_lab.plot.plot_excitation`.

        `result` is this model's `attribute()` (computed when not given)."""
        self._check_fitted()
        from ..plot import plot_excitation

        return plot_excitation(self, self.attribute() if result is None else result, axes)

    def _check_fitted(self) -> None:
        if not hasattr(self, "theta_"):
            raise RuntimeError(
                "PointProcessAttribution is not fitted yet; call fit(journeys) first"
            )

    def _check_channels(self, journeys: Journeys) -> None:
        if tuple(journeys.channel_names) != tuple(self.channel_names_):
            raise ValueError(
                "the fitted point-process parameters are per channel: use journeys over the"
                f" same channels {self.channel_names_}, got {journeys.channel_names}"
            )

    # ------------------------------------------------------------------ credit
    def _parameter_draws(
        self, n: int, rng: np.random.Generator
    ) -> list[tuple[np.ndarray, np.ndarray, float | None]]:
        """`n` draws of (touch, conversion parameters, frailty shape) from their asymptotic
        normal distribution, made in the channels' first-touch order (relabelling channels
        permutes them) and kept in the search box (a parameter the data barely identify
        has a huge variance, and its draws would mean nothing beyond the box). The touch
        and conversion parts share no parameter and are drawn apart, or jointly with the
        frailty."""
        c = len(self.channel_names_)
        pair = self.decay == "pair"
        order = _canonical(self.journeys_)
        p_t = self.theta_.size
        full = np.concatenate([self.theta_, self.conversion_theta_])
        index = [_touch_order(order, pair), p_t + np.concatenate([[0], 1 + order, 1 + c + order])]
        if self.frailty:
            full = np.concatenate([full, [np.log(self.frailty_)]])
            index.append([full.size - 1])
            cov = self.frailty_covariance_
        else:
            cov = np.full((full.size, full.size), np.nan)
            cov[:p_t, :p_t] = self.covariance_.to_numpy()
            cov[p_t:, p_t:] = self.conversion_covariance_
        draws = _draw_params(full, cov, n, rng, np.concatenate(index), _layout(c, pair)[1])
        lo, hi = self.search_box_
        out = []
        for d in draws:
            d = np.clip(d, lo, hi)
            shape = float(np.exp(d[-1])) if self.frailty else None
            out.append((d[:p_t], d[p_t : p_t + 2 * c + 1], shape))
        return out

    def _attribute(self, journeys: Journeys) -> AttributionResult:
        self._check_channels(journeys)
        rng = check_random_state(self.random_state)
        # the branching draws hash each touch's label-free key with this seed (see
        # _branching._uniform): symmetric channels get exactly equal credit
        seed = int(rng.integers(2**63))
        r = int(self.n_draws)
        c = journeys.n_channels
        link = "frailty" if self.frailty else self.conversion
        conv_theta = self.conversion_theta_
        pair = self.decay == "pair"
        k_hat = self.frailty_
        at_fit = _Draws(journeys, pair, link)
        gain, base = conversion_terms(at_fit.prep, link, conv_theta)
        fr = at_fit.frailty(self.theta_, conv_theta, k_hat)
        direct = at_fit.branching.direct(gain, base, at_fit.weights, link, fr)[0]
        runs = at_fit.tables(self.theta_, np.arange(r), seed, gain, base, fr)
        mean = {k: v.mean(axis=0) if k != "v_empty" else v for k, v in runs.items()}
        stat = "shapley" if self.credit == "shapley" else "removal"
        mc_var = np.var(runs[stat][:, 0], axis=0, ddof=1) / r
        # parameter uncertainty: draws with the parameters from their asymptotic normal
        # distribution, against draws at the estimate, on at most _SUBSAMPLE journeys (the
        # parameters move every journey's credit together, so a subsample shows how much,
        # scaled by its share of the customers)
        n = journeys.n_journeys
        sub = journeys
        if n > _SUBSAMPLE:
            sub = journeys.subset(np.sort(rng.choice(n, _SUBSAMPLE, replace=False)))
        small = _Draws(sub, pair, link)
        ratio = at_fit.weights[0].sum() / small.weights[0].sum()
        gain_s, base_s = conversion_terms(small.prep, link, conv_theta)
        fr_s = small.frailty(self.theta_, conv_theta, k_hat)
        hat = small.tables(self.theta_, r + np.arange(r), seed, gain_s, base_s, fr_s)[stat][:, 0]
        star: list[np.ndarray] = []
        for touch, conv, shape in self._parameter_draws(r, rng):
            g, b = conversion_terms(small.prep, link, conv)
            fr_k = small.frailty(touch, conv, shape)
            star.append(small.tables(touch, 2 * r + len(star), seed, g, b, fr_k)[stat][0, 0])
        param_var = ratio**2 * np.maximum(
            np.var(star, axis=0, ddof=1) - np.var(hat, axis=0, ddof=1), 0.0
        )
        var = param_var + mc_var
        totals = np.array([journeys.n_conversions, journeys.total_value])
        phi = mean["shapley"]
        basis = mean[stat]
        sums = basis.sum(axis=1)
        scale = np.divide(totals, sums, out=np.zeros(2), where=sums > 0)
        credit = basis * scale[:, None]
        se = np.sqrt(var) * scale[0]
        from scipy.stats import norm

        z = float(norm.ppf(0.5 + self.ci_level / 2))
        removal = mean["removal"][0]
        low = credit[0] - z * se
        if link != "window_end":
            # a hazard's game is monotone (a touch only adds hazard): its Shapley values
            # cannot be negative, and neither can the interval's lower end
            low = np.maximum(low, 0.0)
        return self._result(
            journeys,
            credit[0],
            credit[1],
            stderr=se,
            # a hazard's game is monotone (a touch only adds hazard): its Shapley values
            # cannot be negative, and neither can the interval's lower end
            ci_low=credit[0] - z * se
            if link == "window_end"
            else np.maximum(credit[0] - z * se, 0),
            ci_high=credit[0] + z * se,
            ci_level=float(self.ci_level),
            n_evaluations=3 * r,
            estimated=True,
            estimand="shapley_mediated" if self.credit == "shapley" else "incremental",
            details={
                "shapley_value": phi[0],
                "removal_effect": removal,
                "direct": direct,
                "mediated": removal - direct,
                f"{stat}_stderr": np.sqrt(var),
                "v_all": np.full(c, mean["v_all"][0]),
                "v_empty": np.full(c, mean["v_empty"][0]),
            },
        )
