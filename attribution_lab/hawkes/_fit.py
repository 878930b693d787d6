"""Fitting the point-process model: the projected Newton search, the search box and the
observed-information covariance."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from scipy.optimize import OptimizeResult

from ..hazard.model import _inverse_information
from ._data import _Prepared
from .kernels import _layout

_LOG_MU_BOUNDS = (np.log(1e-12), np.log(1e6))
_ALPHA_BOUNDS = (0.0, 1e3)
# the frailty's shape k (variance 1/k): from nearly all heterogeneity to none
_LOG_FRAILTY_BOUNDS = (np.log(1e-2), np.log(1e4))
# excitation half-lives from about 9 seconds (1e-4 days) to the longest observed window
_LN2 = float(np.log(2.0))
_LOG_DECAY_MAX = np.log(_LN2 / 1e-4)


def _projected_newton(
    f: Any, theta: np.ndarray, lo: np.ndarray, hi: np.ndarray, max_iter: int, tol: float
) -> OptimizeResult:
    """Maximise f (returning value, gradient and, when asked, Hessian) in a box.

    Newton steps on the parameters not held at a bound by their gradient, with
    Levenberg damping where the Hessian is not negative definite and a backtracking line
    search on the projected step. The analytic Hessian makes every step cost about four
    gradient evaluations, and the iterations converge quadratically near the maximum,
    where a quasi-Newton method needs a hundred or more evaluations.
    """
    from scipy import optimize

    ll, grad, hess = f(theta, True)
    message = "maximum number of iterations reached"
    success = False
    it = 0
    took_full = False
    for it in range(1, max_iter + 1):  # noqa: B007 - the count is reported
        held = ((theta - lo <= 1e-12) & (grad < 0)) | ((hi - theta <= 1e-12) & (grad > 0))
        # a decay whose excitations are all 0 does not act: flat, nothing to step on
        held |= (np.diag(hess) == 0) & (grad == 0)
        free = ~held
        neg = -hess[np.ix_(free, free)]
        g = grad[free]
        diag = np.abs(np.diag(neg))
        scale = np.sqrt(np.maximum(diag, 1e-12 * max(float(diag.max(initial=0.0)), 1e-300)))
        damp = 0.0
        step = None
        for _ in range(60):
            try:
                chol = np.linalg.cholesky(neg / np.outer(scale, scale) + damp * np.eye(g.size))
            except np.linalg.LinAlgError:
                damp = max(2.0 * damp, 1e-8)
                continue
            step = np.linalg.solve(chol.T, np.linalg.solve(chol, g / scale)) / scale
            break
        if step is None or not np.all(np.isfinite(step)):
            message = "the Hessian could not be regularised"
            break
        # the Newton decrement: half of it is the gain the quadratic model promises
        if float(g @ step) <= 2.0 * tol * max(1.0, abs(ll)):
            success, message = True, "converged"
            break
        t = 1.0
        accepted = False
        full = None
        while t > 1e-12:
            new = theta.copy()
            new[free] = np.clip(theta[free] + t * step, lo[free], hi[free])
            # near the maximum the full step is taken: once the last one was, ask for the
            # Hessian with it, which saves an evaluation per iteration
            out = f(new, t == 1.0 and took_full)
            ll_new = out[0]
            if np.isfinite(ll_new) and ll_new >= ll + 1e-4 * float((new - theta)[free] @ g):
                accepted = True
                full = out if out[2] is not None else None
                break
            t *= 0.5
        took_full = accepted and t == 1.0
        if not accepted:
            success = bool(np.max(np.abs(g)) < 1e-6 * max(1.0, abs(ll)))
            message = "converged" if success else "the line search found no ascent"
            break
        gain = ll_new - ll
        theta = new
        ll, grad, hess = full if full is not None else f(theta, True)
        if gain <= tol * max(1.0, abs(ll)):
            success, message = True, "converged"
            break
    return optimize.OptimizeResult(
        x=theta, ll=ll, grad=grad, hess=hess, nit=it, success=success, message=message
    )


def _conversion_box(kind: str, c: int) -> tuple[np.ndarray, np.ndarray]:
    """Box of the conversion part's parameters (those its fit searched)."""
    if kind == "hazard":
        from ..hazard.model import _LOG_BASELINE_BOUNDS, _LOG_BETA_BOUNDS, _LOG_OMEGA_BOUNDS

        bounds = (_LOG_BASELINE_BOUNDS, _LOG_BETA_BOUNDS, _LOG_OMEGA_BOUNDS)
    else:
        from ._window_end import _BETA_BOUND, _LOG_OMEGA_BOUNDS

        bounds = ((-np.inf, np.inf), (-_BETA_BOUND, _BETA_BOUND), _LOG_OMEGA_BOUNDS)
    lo = np.concatenate([[bounds[0][0]], np.full(c, bounds[1][0]), np.full(c, bounds[2][0])])
    hi = np.concatenate([[bounds[0][1]], np.full(c, bounds[1][1]), np.full(c, bounds[2][1])])
    return lo, hi


def _touch_bounds(prep: _Prepared, pair: bool) -> tuple[np.ndarray, np.ndarray]:
    """Box of the touch parameters (log mu, alpha, log decay)."""
    s_mu, s_alpha, s_dec = _layout(prep.n_channels, pair)
    lo, hi = np.empty(s_dec.stop), np.empty(s_dec.stop)
    lo[s_mu], hi[s_mu] = _LOG_MU_BOUNDS
    lo[s_alpha], hi[s_alpha] = _ALPHA_BOUNDS
    # a kernel slower than the longest window adds a nearly constant rate per earlier
    # touch: alpha and decay then trade off (alpha -> inf, decay -> 0 with their product
    # fixed) and neither is identified, so half-lives stop at the longest window
    lo[s_dec] = min(np.log(_LN2 / max(float(prep.window.max()), 1e-4)), _LOG_DECAY_MAX - 1)
    hi[s_dec] = _LOG_DECAY_MAX
    return lo, hi


def _covariance(
    theta: np.ndarray,
    hess: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    s_alpha: slice,
    dead: np.ndarray,
) -> np.ndarray:
    """Inverse observed information over the parameters inside the box.

    An excitation at 0 is on the boundary: the Wald covariance is taken over the other
    parameters, and each zero excitation gets the standard error of the curvature in its
    own direction (a one-sided interval [0, z se]). Parameters on the box's edge and the
    `dead` ones (not identified) get none.
    """
    size = theta.size
    edge = _edge(theta, lo, hi, s_alpha)
    zero = np.zeros(size, dtype=bool)
    zero[s_alpha] = theta[s_alpha] <= 0
    keep = ~(edge | dead | zero)
    cov = _inverse_information(hess, keep, stacklevel=6)
    bent = -np.diag(hess)[zero] > 0
    cov[zero, zero] = np.where(bent, -1.0 / np.where(bent, np.diag(hess)[zero], -1.0), np.nan)
    # a negative variance says the maximum was not reached in that direction: no interval
    bad = keep & ~(np.diag(cov) > 0)
    cov[bad, :] = np.nan
    cov[:, bad] = np.nan
    return cov


def _edge(theta: np.ndarray, lo: np.ndarray, hi: np.ndarray, s_alpha: slice) -> np.ndarray:
    """Parameters on the edge of the box, except alpha at 0: an excitation of 0 is an
    answer (no mediation), kept in the information matrix with a one-sided interval."""
    edge = (theta - lo < 1e-8) | (hi - theta < 1e-8)
    edge[s_alpha] = hi[s_alpha] - theta[s_alpha] < 1e-8
    return edge
