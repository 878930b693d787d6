r"""The conversion part for data whose conversions are known only at each journey's end.

When a journey's conversion is a yes / no decided at the end of its window (a CRM flag, a
campaign's outcome; the `attribution_lab.simulate.CausalWorld` scenarios), there is no
conversion time for a hazard to explain. The probability of converting is then modelled at
the window's end from the touches' decayed effects,

.. math:: P(y_j = 1) = \operatorname{logistic}\Big(b_0 + \sum_{i \in j}
          \beta_{c_i} e^{-\omega_{c_i}(T_j - t_i)}\Big),

fitted by maximum likelihood (binomial rows: :math:`y_j` of :math:`n_j` customers).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from ..hazard.kernels import _dot
from ..journeys import Journeys
from ._data import _Prepared

_LOG_OMEGA_BOUNDS = (np.log(np.log(2.0) / 1e5), np.log(np.log(2.0) / 1e-4))
_BETA_BOUND = 50.0


def _features(prep: _Prepared, log_omega: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per journey and channel: sum of e^{-omega l} and of l e^{-omega l} over its touches."""
    c = prep.n_channels
    omega = np.exp(log_omega)
    e = np.exp(-omega[prep.channel] * prep.end_lag)
    key = prep.jid * c + prep.channel
    size = prep.n_journeys * c
    x = np.bincount(key, e, minlength=size).reshape(-1, c)
    xl = np.bincount(key, e * prep.end_lag, minlength=size).reshape(-1, c)
    return x, xl


def _loglik(
    theta: np.ndarray, prep: _Prepared, y: np.ndarray, n: np.ndarray
) -> tuple[float, np.ndarray]:
    """Binomial log-likelihood and gradient in (b0, beta, log omega)."""
    from scipy.special import expit

    c = prep.n_channels
    b0, beta, log_omega = theta[0], theta[1 : c + 1], theta[c + 1 :]
    x, xl = _features(prep, log_omega)
    # numpy's loops rather than BLAS, which under load waits for busy cores
    eta = b0 + np.einsum("jc,c->j", x, beta)
    ll = _dot(y, eta) - _dot(n, np.logaddexp(0.0, eta))
    r = y - n * expit(eta)
    rx, rxl = np.einsum("j,jc->c", r, x), np.einsum("j,jc->c", r, xl)
    grad = np.concatenate([[r.sum()], rx, -rxl * beta * np.exp(log_omega)])
    return ll, grad


class WindowEndConversion:
    """Fitted window-end conversion model (see the module's docstring)."""

    kind = "window_end"

    def fit(self, journeys: Journeys, prep: _Prepared, max_iter: int, tol: float) -> None:
        from scipy import optimize

        from ..hazard.model import _hessian, _inverse_information

        c = prep.n_channels
        y = np.asarray(journeys.conversions, dtype=np.float64)
        n = y + np.asarray(journeys.nulls, dtype=np.float64)
        if not 0 < y.sum() < n.sum():
            raise ValueError(
                "conversion='window_end' needs converting and non-converting journeys: the"
                f" journeys have {y.sum():g} conversions of {n.sum():g} customers"
            )
        names = list(journeys.channel_names)
        lags = np.bincount(prep.channel, prep.end_lag, minlength=c) / np.maximum(
            np.bincount(prep.channel, minlength=c), 1
        )
        rate = y.sum() / n.sum()
        start = np.concatenate(
            [[np.log(rate / (1 - rate))], np.zeros(c), -np.log(np.maximum(lags, 1e-3))]
        )
        lo = np.concatenate([[-np.inf], np.full(c, -_BETA_BOUND), np.full(c, _LOG_OMEGA_BOUNDS[0])])
        hi = np.concatenate([[np.inf], np.full(c, _BETA_BOUND), np.full(c, _LOG_OMEGA_BOUNDS[1])])
        start = np.clip(start, lo + 1e-3, hi - 1e-3)
        scale = 1.0 / n.sum()

        def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
            ll, grad = _loglik(theta, prep, y, n)
            return -ll * scale, -grad * scale

        res = optimize.minimize(
            objective, start, jac=True, method="L-BFGS-B",
            bounds=list(zip(lo, hi, strict=True)),
            options={"maxiter": int(max_iter), "ftol": float(tol), "gtol": 1e-10},
        )  # fmt: skip
        theta = res.x
        ll, _ = _loglik(theta, prep, y, n)
        hess = _hessian(lambda t: _loglik(t, prep, y, n)[1], theta)
        # an effect of 0 leaves its decay unidentified; estimates on the box's edge too
        edge = (theta - lo < 1e-6) | (hi - theta < 1e-6)
        edge[c + 1 :] |= np.abs(theta[1 : c + 1]) < 1e-8
        labels = ["intercept", *(f"beta[{m}]" for m in names), *(f"log_omega[{m}]" for m in names)]
        if edge.any():
            warnings.warn(
                "window-end conversion estimates on the edge of the search box or not"
                " identified (no standard error): " + ", ".join(np.asarray(labels)[edge]),
                UserWarning,
                stacklevel=4,
            )
        cov = _inverse_information(hess, ~edge, stacklevel=5)
        self.theta_ = theta
        self.covariance_ = pd.DataFrame(cov, index=labels, columns=labels)
        self.log_likelihood_ = float(ll)
        self.converged_ = bool(res.success)
        self.channel_names_ = tuple(names)
        self.ci_level = 0.95

    def params_frame(self, ci_level: float) -> pd.DataFrame:
        from scipy.stats import norm

        c = len(self.channel_names_)
        t = self.theta_
        se = np.sqrt(np.diag(self.covariance_.to_numpy()))
        z = float(norm.ppf(0.5 + ci_level / 2))
        half = np.log(np.log(2.0)) - t[c + 1 :]
        est = np.concatenate([t[: c + 1], np.exp(t[c + 1 :]), np.exp(half)])
        s = np.concatenate(
            [se[: c + 1], np.exp(t[c + 1 :]) * se[c + 1 :], np.exp(half) * se[c + 1 :]]
        )
        low = np.concatenate([t[: c + 1] - z * se[: c + 1], np.exp(t[c + 1 :] - z * se[c + 1 :]),
                              np.exp(half - z * se[c + 1 :])])  # fmt: skip
        high = np.concatenate([t[: c + 1] + z * se[: c + 1], np.exp(t[c + 1 :] + z * se[c + 1 :]),
                               np.exp(half + z * se[c + 1 :])])  # fmt: skip
        names = list(self.channel_names_)
        return pd.DataFrame(
            {
                "parameter": ["intercept"] + ["beta"] * c + ["omega"] * c + ["half_life"] * c,
                "source": None,
                "channel": ["(baseline)", *(names * 3)],
                "estimate": est,
                "stderr": s,
                "ci_low": low,
                "ci_high": high,
            }
        )
