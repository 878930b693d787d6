r"""The joint likelihood with a gamma frailty, integrated out in closed form.

Each journey has an unobserved multiplier :math:`Z_j \sim \Gamma(k, \text{rate } k)` (mean 1,
variance 1/k: purchase intent) of every intensity after its first touch, the touches' and
the conversion's. Given :math:`Z_j`, journey j's likelihood is
:math:`Z_j^{N_j} \prod \lambda \, e^{-Z_j \Lambda_j}` with :math:`N_j` its events (touches
after the first, plus the conversion) and :math:`\Lambda_j` the sum of all compensators
over its window; integrating :math:`Z_j` out,

.. math:: \ell_j = \sum \log\lambda + k \log k - \log\Gamma(k) + \log\Gamma(k + N_j)
          - (k + N_j)\log(k + \Lambda_j),

so the gradient of every compensator term is weighted by
:math:`(k + N_j)/(k + \Lambda_j)`, the posterior mean of :math:`Z_j`, instead of 1.
"""

from __future__ import annotations

import numpy as np

from ..hazard.kernels import _dot
from ._data import _Prepared
from .kernels import _layout, _touch_loglik


def touch_compensator(theta_t: np.ndarray, prep: _Prepared, pair: bool) -> np.ndarray:
    r"""Per journey :math:`(T_j - s_j)\sum_c\mu_c + \sum_k\sum_c \alpha_{c_k c}(1 -
    e^{-\delta (T_j - t_k)})`."""
    c = prep.n_channels
    s_mu, s_alpha, s_dec = _layout(c, pair)
    mu = np.exp(theta_t[s_mu])
    alpha = theta_t[s_alpha].reshape(c, c)
    decay = np.exp(theta_t[s_dec])
    ch, lag = prep.channel, prep.end_lag
    if pair:
        decay = decay.reshape(c, c)
        per = np.zeros(prep.n_touches)
        for t in range(c):
            per += alpha[ch, t] * -np.expm1(-decay[ch, t] * lag)
    else:
        per = alpha.sum(axis=1)[ch] * -np.expm1(-decay[ch] * lag)
    return prep.window * mu.sum() + np.bincount(prep.jid, per, minlength=prep.n_journeys)


def conversion_parts(
    theta_c: np.ndarray, prep: _Prepared, y: np.ndarray, comp_weight: np.ndarray | None
) -> tuple[float, np.ndarray, np.ndarray | None]:
    """(sum_j y_j log lambda_j(T_j), Lambda_j per journey, gradient of the first minus the
    comp_weight-weighted second in (log baseline, log beta, log omega), if weights given)."""
    c = prep.n_channels
    mu0 = float(np.exp(theta_c[0]))
    beta, omega = np.exp(theta_c[1 : c + 1]), np.exp(theta_c[c + 1 :])
    ch, lag, jid = prep.channel, prep.end_lag, prep.jid
    e = np.exp(-omega[ch] * lag)
    kern = beta[ch] * omega[ch] * e
    gain = beta[ch] * -np.expm1(-omega[ch] * lag)
    lam = mu0 + np.bincount(jid, kern, minlength=prep.n_journeys)
    cum = mu0 * prep.window + np.bincount(jid, gain, minlength=prep.n_journeys)
    conv = y > 0
    events = _dot(y[conv], np.log(lam[conv]))
    if comp_weight is None:
        return events, cum, None
    q = np.where(conv, y / lam, 0.0)
    qt, wt = q[jid], comp_weight[jid]
    grad = np.empty(theta_c.size)
    grad[0] = mu0 * (q.sum() - _dot(comp_weight, prep.window))
    grad[1 : c + 1] = np.bincount(ch, qt * kern - wt * gain, minlength=c)
    grad[c + 1 :] = np.bincount(
        ch, qt * kern * (1.0 - omega[ch] * lag) - wt * beta[ch] * omega[ch] * lag * e, minlength=c
    )
    return events, cum, grad


def event_counts(prep: _Prepared) -> np.ndarray:
    """Touches after the first, per journey."""
    return np.maximum(np.bincount(prep.jid, minlength=prep.n_journeys) - 1, 0).astype(float)


def frailty_loglik(
    theta: np.ndarray, prep: _Prepared, pair: bool, y: np.ndarray, u: np.ndarray
) -> tuple[float, np.ndarray]:
    """Log-likelihood and gradient in (touch parameters, log baseline, log beta,
    log omega, log k) with the frailty integrated out (module docstring)."""
    from scipy.special import digamma, gammaln

    c = prep.n_channels
    p_t = _layout(c, pair)[2].stop
    theta_t, theta_c, log_k = theta[:p_t], theta[p_t:-1], float(theta[-1])
    k = float(np.exp(log_k))
    events = event_counts(prep)
    lam_t = touch_compensator(theta_t, prep, pair)
    conv_events, lam_c, _ = conversion_parts(theta_c, prep, y, None)
    total = lam_t + lam_c
    n_conv, n_null = events + 1.0, events
    a = k + total
    weight = (y * (k + n_conv) + u * (k + n_null)) / a
    ll_t, g_t, _ = _touch_loglik(theta_t, prep, pair, comp_weight=weight)
    touch_events = ll_t + _dot(weight, lam_t)
    _, _, g_c = conversion_parts(theta_c, prep, y, weight)
    assert g_c is not None
    const = k * log_k - gammaln(k)
    log_a = np.log(a)
    frail = _dot(y, const + gammaln(k + n_conv) - (k + n_conv) * log_a) + _dot(
        u, const + gammaln(k + n_null) - (k + n_null) * log_a
    )
    ll = touch_events + conv_events + frail
    base = log_k + 1.0 - digamma(k) - log_a
    d_conv = base + digamma(k + n_conv) - (k + n_conv) / a
    d_null = base + digamma(k + n_null) - (k + n_null) / a
    g_k = k * (_dot(y, d_conv) + _dot(u, d_null))
    return float(ll), np.concatenate([g_t, g_c, [g_k]])
