r"""Kernels of the mutually exciting point process: the touch log-likelihood, its gradient
and its Hessian, in O(touches) per evaluation.

A touch of channel d excites channel c with the exponential kernel
:math:`\alpha_{dc}\,\delta\,e^{-\delta s}` (:math:`\delta` = ``decay[d]``, or
``decay[d, c]``). The excitation a touch i receives from the earlier touches of d is
:math:`\alpha_{dc_i}\delta R_d(i)` with :math:`R_d(i) = \sum_{k: c_k = d,\, t_k < t_i}
e^{-\delta (t_i - t_k)}`. With p the last d-touch before i and :math:`\Delta = t_i - t_p`,
:math:`R_d(i) = e^{-\delta\Delta}(1 + Y_d(p))`, where :math:`Y_d` (the same sum at the
d-touches themselves) follows the recursion :math:`Y_k = a_k (Y_{k-1} + 1)`,
:math:`a_k = e^{-\delta (t_k - t_{k-1})}` over each journey's run of d-touches, and likewise
the first and second lag moments the derivatives in :math:`\delta` need. The recursion runs
compiled (`_jit`), journey by journey, and fuses the value, gradient and Hessian into one
pass over the touches (every factor :math:`\le 1`, so nothing can overflow).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..hazard.kernels import _dot
from ..hazard.kernels import _loglik as _conversion_loglik
from ..journeys import Journeys
from ._data import _prepare, _Prepared

__all__ = ["point_process_log_likelihood"]


def _layout(n_channels: int, pair_decay: bool) -> tuple[slice, slice, slice]:
    """Slices of log mu, alpha (row-major [d, c]) and log decay in the touch parameters."""
    c = n_channels
    k = c * c if pair_decay else c
    return slice(0, c), slice(c, c + c * c), slice(c + c * c, c + c * c + k)


def _unpack(
    theta: np.ndarray, c: int, pair_decay: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(mu, alpha, decay as a (C, C) array: decay[d, c] of the kernel of d on c)."""
    s_mu, s_alpha, s_dec = _layout(c, pair_decay)
    decay = np.exp(theta[s_dec])
    decay = decay.reshape(c, c) if pair_decay else np.repeat(decay[:, None], c, axis=1)
    return (
        np.exp(theta[s_mu]),
        np.ascontiguousarray(theta[s_alpha].reshape(c, c)),
        np.ascontiguousarray(decay),
    )


def _touch_loglik(
    theta: np.ndarray,
    prep: _Prepared,
    pair_decay: bool,
    hessian: bool = False,
    comp_weight: np.ndarray | None = None,
) -> tuple[float, np.ndarray, np.ndarray | None]:
    r"""Touch log-likelihood, its gradient and (optionally) Hessian in
    (log mu, alpha, log decay).

    .. math:: \ell = \sum_j n_j\Big[\sum_{i \ge 1} \log\lambda_{c_i}(t_i)
              - (T_j - s_j)\sum_c \mu_c - \sum_{k}\sum_c \alpha_{c_k c}
              \big(1 - e^{-\delta_{c_k c}(T_j - t_k)}\big)\Big]

    One compiled pass over the touches (`_jit.touch_pass`) gives every sum over the events
    and the compensator; they combine here into the value, the gradient and the Hessian.
    With `comp_weight` (per journey), the compensator terms are weighted by it instead of
    :math:`n_j` (the frailty's posterior means, `_frailty`); no Hessian then.
    """
    from . import _jit

    c = prep.n_channels
    s_mu, s_alpha, s_dec = _layout(c, pair_decay)
    mu, alpha, decay = _unpack(theta, c, pair_decay)
    hessian = bool(hessian and comp_weight is None)
    exposure, w_comp = prep.exposure, prep.n
    if comp_weight is not None:
        w_comp = np.ascontiguousarray(comp_weight, dtype=np.float64)
        exposure = _dot(w_comp, prep.window)
    out = _jit.touch_pass(
        prep.offsets, prep.times, prep.channel, prep.end, prep.n, w_comp, mu, alpha, decay,
        pair_decay, hessian, prep.bounds,
    )  # fmt: skip
    # every chunk's sums, added in the chunks' order (the same on any number of cores)
    ll_ev, g_mu, g_a, g_d, cross, dd, e_sum, f_sum, g_sum, blocks = (x.sum(axis=0) for x in out)
    if not pair_decay:  # the compensator of a source acts alike on every target
        e_sum, f_sum, g_sum = (np.repeat(x, c, axis=1) for x in (e_sum, f_sum, g_sum))
    ll = float(ll_ev) - exposure * mu.sum() - float((alpha * e_sum).sum())
    grad = np.empty(theta.size)
    grad[s_mu] = mu * (g_mu - exposure)
    grad[s_alpha] = (g_a - e_sum).ravel()
    if pair_decay:
        grad[s_dec] = (g_d - alpha * f_sum).ravel()
    else:
        grad[s_dec] = (g_d - alpha * f_sum).sum(axis=1)
    if not hessian:
        return ll, grad, None
    hess = np.zeros((theta.size, theta.size))
    i_mu = np.arange(c)
    i_alpha = (c + np.arange(c * c)).reshape(c, c)
    i_dec = s_dec.start + (np.arange(c * c).reshape(c, c) if pair_decay else np.arange(c))
    # -sum_i (w_i / lambda_i^2) g_i g_i^T, target channel by target channel: an event of
    # c depends on mu_c, alpha[:, c] and the decays acting on c only
    for t in range(c):
        cols = np.concatenate([[i_mu[t]], i_alpha[:, t], i_dec[:, t] if pair_decay else i_dec])
        hess[np.ix_(cols, cols)] -= blocks[t]
    # second derivatives of lambda and of the compensator
    hess[i_mu, i_mu] += grad[s_mu]
    cross = cross - f_sum
    flat_a = i_alpha.ravel()
    flat_d = (i_dec if pair_decay else np.repeat(i_dec[:, None], c, axis=1)).ravel()
    np.add.at(hess, (flat_a, flat_d), cross.ravel())
    np.add.at(hess, (flat_d, flat_a), cross.ravel())
    if pair_decay:
        diag = (dd - alpha * g_sum).ravel()
    else:
        diag = (dd - alpha * g_sum).sum(axis=1)
    hess[i_dec.ravel(), i_dec.ravel()] += diag
    return ll, grad, hess


def _touch_theta(mu: Any, alpha: Any, decay: Any, n_channels: int) -> tuple[np.ndarray, bool]:
    c = n_channels
    m = np.broadcast_to(np.asarray(mu, dtype=np.float64), (c,))
    a = np.broadcast_to(np.asarray(alpha, dtype=np.float64), (c, c))
    dec = np.asarray(decay, dtype=np.float64)
    pair = dec.ndim == 2
    dec = np.broadcast_to(dec, (c, c) if pair else (c,))
    if not (np.all(m > 0) and np.all(np.isfinite(a)) and np.all(a >= 0) and np.all(dec > 0)):
        raise ValueError("mu and decay must be > 0 and alpha >= 0")
    return np.concatenate([np.log(m), a.ravel(), np.log(dec).ravel()]), pair


def point_process_log_likelihood(
    journeys: Journeys,
    mu: Any,
    alpha: Any,
    decay: Any,
    baseline: float,
    beta: Any,
    omega: Any,
    *,
    gradient: bool = False,
) -> float | tuple[float, np.ndarray]:
    r"""Log-likelihood of the mutually exciting point process of touches and conversion.

    Parameters
    ----------
    journeys : Journeys
        With touch ``times`` and ``end_time`` (days).
    mu : float or array of shape (n_channels,)
        :math:`\mu_c`, organic touches per day.
    alpha : float or array of shape (n_channels, n_channels)
        :math:`\alpha_{dc}`, the expected number of c-touches one d-touch triggers.
    decay : float, array of shape (n_channels,) (per source) or (n_channels, n_channels)
        :math:`\delta`, per day, of the excitation kernel :math:`\alpha\delta e^{-\delta s}`.
    baseline, beta, omega
        The conversion hazard, as in `attribution_lab.hazard.hazard_log_likelihood`.
    gradient : bool, default False
        Also return the gradient with respect to
        (log mu, alpha row-major, log decay, log baseline, log beta, log omega).

    Returns
    -------
    float, or (float, ndarray)

    Notes
    -----
    See `PointProcessAttribution`. The touch part and the conversion part share no
    parameter, so the log-likelihood is their sum; the first touch of each journey starts
    its observation and is conditioned on.

    Examples
    --------
    Touches a at day 0 and b at day 1, conversion at day 3 (hand-computed in the tests):

    >>> j = Journeys.from_paths([["a", "b"]], conversions=[1], times=[[0.0, 1.0]],
    ...                         end_time=[3.0])
    >>> mu, alpha, decay = [0.1, 0.2], [[0.0, 0.5], [0.0, 0.0]], [1.0, 2.0]
    >>> ll = point_process_log_likelihood(j, mu, alpha, decay, 0.01, 0.1, 0.5)
    >>> touch = (np.log(0.2 + 0.5 * np.exp(-1.0)) - 3 * 0.3
    ...          - 0.5 * (1 - np.exp(-3.0)))
    >>> lam = 0.01 + 0.05 * np.exp(-1.5) + 0.05 * np.exp(-1.0)
    >>> conv = np.log(lam) - 0.03 - 0.1 * (2 - np.exp(-1.5) - np.exp(-1.0))
    >>> bool(np.isclose(ll, touch + conv))
    True
    """
    from ..hazard._data import _prepare as _prepare_conversion
    from ..hazard.kernels import _theta as _conversion_theta

    c = journeys.n_channels
    theta_t, pair = _touch_theta(mu, alpha, decay, c)
    ll_t, g_t, _ = _touch_loglik(theta_t, _prepare(journeys), pair)
    theta_c = _conversion_theta(float(baseline), beta, omega, c)
    ll_c, g_c = _conversion_loglik(theta_c, _prepare_conversion(journeys))
    ll = ll_t + ll_c
    return (ll, np.concatenate([g_t, g_c])) if gradient else ll
