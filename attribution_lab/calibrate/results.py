"""Calibrating the free parameters of the rules from data: time-decay half-lives, position weights.

`calibrate_time_decay` fits the half-life of the time-decay rule, either as the decay of a
conversion model (``method="likelihood"``: profile likelihood of a logistic model on decayed
exposures, with a likelihood-ratio interval) or as the half-life whose rule agrees best with a
reference attribution (``method="match"``). `calibrate_position_weights` fits the shares of the
position-based (U), W-shaped and full-path rules, or of position buckets, to a reference
attribution, with bootstrap intervals.

The math is in pure vectorised kernels over the CSR arrays of `Journeys` (`decay_exposure`,
`position_roles`, `RoleTable`); the two functions add the search, the intervals and the
result objects (`HalfLifeResult`, `PositionWeightsResult`).
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from numbers import Integral, Real
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, stats
from scipy.special import expit
from sklearn.base import clone

from .._validation import check_random_state, first_bad
from ..base import AttributionModel, get_model
from ..journeys import Journeys
from ..result import AttributionResult
from ..rules import (
    FullPathAttribution,
    PositionBasedAttribution,
    TimeDecayAttribution,
    WShapedAttribution,
    credit_from_weights,
    evenly_spaced_anchors,
    position_decay_weights,
    time_decay_weights,
)

__all__ = [
    "SHAPES",
    "HalfLifeResult",
    "PositionWeightsResult",
    "RoleTable",
    "calibrate_position_weights",
    "calibrate_time_decay",
    "decay_exposure",
    "position_roles",
    "position_split_truth",
]

#: Position shapes of `calibrate_position_weights`: their roles and the rules' default shares.
SHAPES: dict[str, dict[str, float]] = {
    "U": {"first": 0.4, "middle": 0.2, "last": 0.4},
    "W": {"first": 0.3, "lead": 0.3, "opportunity": 0.3, "rest": 0.1},
    "full_path": {
        "first": 0.225,
        "lead": 0.225,
        "opportunity": 0.225,
        "closed_won": 0.225,
        "rest": 0.1,
    },
    "free": {},  # first, middle_1 .. middle_k, last: equal by default
}

_LN2 = float(np.log(2.0))
_MATCH_METRICS = ("tv_share", "squared")


# ============================================================================ kernels
def decay_exposure(
    channels: np.ndarray,
    journey: np.ndarray,
    lag: np.ndarray,
    half_life: float | np.ndarray,
    n_journeys: int,
    n_channels: int,
    *,
    derivative: bool = False,
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """Decayed exposure of every journey to every channel: sum over touches of 2^(-lag / h_c).

    Parameters
    ----------
    channels, journey : int arrays, shape (n_touchpoints,)
        Channel code and journey index of every touch.
    lag : float array, shape (n_touchpoints,)
        Time from each touch to its journey's end, :math:`T_j - t_i \\ge 0`.
    half_life : float or array of shape (n_channels,)
        One half-life for all channels, or one per channel (``inf``: no decay).
    n_journeys, n_channels : int
    derivative : bool, default False
        Also return the derivative with respect to :math:`\\log h_c`.

    Returns
    -------
    x : ndarray, shape (n_journeys, n_channels)
        :math:`x_{jc} = \\sum_{i \\in j, c_i = c} 2^{-(T_j - t_i)/h_c}`.
    dx : ndarray, shape (n_journeys, n_channels), only with `derivative`
        :math:`\\partial x_{jc} / \\partial \\log h_c = \\sum_i 2^{-\\ell_i/h_c}
        \\ln 2\\, \\ell_i / h_c`.

    Examples
    --------
    >>> x = decay_exposure(np.array([0, 1, 0]), np.array([0, 0, 1]), np.array([7.0, 0.0, 14.0]),
    ...                    7.0, 2, 2)
    >>> x.tolist()
    [[0.5, 1.0], [0.25, 0.0]]
    """
    h = np.broadcast_to(np.asarray(half_life, dtype=np.float64), (n_channels,))
    scaled = lag / h[channels]
    decay = np.exp2(-scaled)
    key = journey.astype(np.int64) * n_channels + channels
    size = n_journeys * n_channels
    x = np.bincount(key, decay, minlength=size).reshape(n_journeys, n_channels)
    if not derivative:
        return x
    dx = np.bincount(key, decay * (_LN2 * scaled), minlength=size).reshape(n_journeys, n_channels)
    return x, dx


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


def position_roles(
    journeys: Journeys, shape: str, n_buckets: int = 5
) -> tuple[tuple[str, ...], np.ndarray, np.ndarray]:
    """The roles each touch plays in a position rule: (role names, touch index, role index).

    A touch may hold several roles (the only touch of a journey is both its first and its
    last) and each role is held by one or more touches of a journey.

    Parameters
    ----------
    journeys : Journeys
    shape : {"U", "W", "full_path", "free"}
        ``"U"``: first, middle, last touch (`PositionBasedAttribution`). ``"W"``: first,
        lead, opportunity, rest; ``"full_path"`` adds closed_won before rest
        (`WShapedAttribution`, `FullPathAttribution`; milestone touches from
        ``journeys.milestones``, else evenly spaced, as the rules place them). ``"free"``:
        the first touch, `n_buckets` - 2 buckets of the middle touches by relative position
        (middle touch q of m falls in bucket ``floor((n_buckets - 2) q / m)``), the last
        touch.
    n_buckets : int, default 5
        Number of roles of the ``"free"`` shape, at least 3 (3 is the U shape).

    Returns
    -------
    roles : tuple of str
    touch, role : int arrays of equal length
        One entry per (touch, role) pair.

    Examples
    --------
    >>> j = Journeys.from_paths(["a > b > c > d", "a"], conversions=[1, 1])
    >>> roles, touch, role = position_roles(j, "U")
    >>> roles, touch.tolist(), role.tolist()
    (('first', 'middle', 'last'), [0, 4, 3, 4, 1, 2], [0, 0, 2, 2, 1, 1])
    """
    if shape not in SHAPES:
        raise ValueError(f"shape must be one of {', '.join(SHAPES)}, got {shape!r}")
    offsets = journeys.offsets
    first = offsets[:-1]
    last = offsets[1:] - 1
    pos = journeys.positions
    lengths = journeys.lengths[journeys.journey_index]
    is_middle = (pos > 0) & (pos < lengths - 1)
    middle = np.flatnonzero(is_middle)
    if shape == "U":
        roles: tuple[str, ...] = ("first", "middle", "last")
        touch = np.concatenate([first, last, middle])
        role = np.concatenate(
            [np.zeros(first.size), np.full(last.size, 2), np.ones(middle.size)]
        ).astype(np.int64)
        return roles, touch.astype(np.int64), role
    if shape == "free":
        k = _check_buckets(n_buckets)
        roles = ("first", *(f"middle_{b}" for b in range(1, k - 1)), "last")
        n_mid = (lengths - 2)[middle]
        bucket = 1 + ((k - 2) * (pos[middle] - 1)) // n_mid
        touch = np.concatenate([first, last, middle])
        role = np.concatenate([np.zeros(first.size), np.full(last.size, k - 1), bucket])
        return roles, touch.astype(np.int64), role.astype(np.int64)
    roles = tuple(SHAPES[shape])
    milestones = roles[1:-1]
    anchors = evenly_spaced_anchors(journeys, milestones)
    k = anchors.shape[1]
    anchor_touch = (first[:, None] + anchors).ravel()
    anchor_role = np.tile(np.arange(k), journeys.n_journeys)
    is_anchor = np.zeros(journeys.n_touchpoints, dtype=bool)
    is_anchor[anchor_touch] = True
    rest = np.flatnonzero(~is_anchor)
    touch = np.concatenate([anchor_touch, rest])
    role = np.concatenate([anchor_role, np.full(rest.size, k)])
    return roles, touch.astype(np.int64), role.astype(np.int64)


def _check_buckets(n_buckets: Any) -> int:
    if isinstance(n_buckets, bool) or not isinstance(n_buckets, Integral) or n_buckets < 3:
        raise ValueError(f"n_buckets must be an integer >= 3, got {n_buckets!r}")
    return int(n_buckets)


class RoleTable:
    """Channel credit of a position rule as a closed-form function of its role weights.

    A journey with roles R_j present (a role is present when a touch holds it) gives a touch
    holding roles r the weight :math:`\\sum_r w_r / n_{jr} \\,/\\, \\sum_{s \\in R_j} w_s`,
    :math:`n_{jr}` the touches holding r; when that denominator is 0 its touches share
    equally. This is exactly what `rules.anchored_weights` computes for the U, W and
    full-path rules. Grouping journeys by their set of present roles P,

    .. math:: C_c(w) = \\sum_P \\frac{(M_P w)_c}{\\mathbf 1_P \\cdot w},
              \\qquad M_{P,cr} = \\sum_{j \\in P} a_j \\sum_{i \\in j:\\, c_i = c,\\, r \\ni i}
              \\frac{1}{n_{jr}},

    with :math:`a_j` the journey's conversions (or value), so the credit of any weights is a
    few small matrix products: no pass over the touches per evaluation.

    Parameters
    ----------
    journeys : Journeys
    roles, touch, role : the output of `position_roles`
    amount : array of shape (n_journeys,), optional
        What is split (default: conversions). Journeys with amount 0 are dropped.

    Examples
    --------
    >>> j = Journeys.from_paths(["a > b > c", "b > a"], conversions=[1, 2])
    >>> table = RoleTable(j, *position_roles(j, "U"))
    >>> table.credit([0.4, 0.2, 0.4]).tolist()  # as PositionBasedAttribution()
    [1.4, 1.2, 0.4]
    """

    def __init__(
        self,
        journeys: Journeys,
        roles: Sequence[str],
        touch: np.ndarray,
        role: np.ndarray,
        amount: np.ndarray | None = None,
    ) -> None:
        self.roles = tuple(roles)
        self.channel_names = journeys.channel_names
        n_roles = len(self.roles)
        n_channels = journeys.n_channels
        amount = journeys.conversions if amount is None else np.asarray(amount, np.float64)
        keep = amount > 0
        jid_pair = journeys.journey_index[touch]
        sel = keep[jid_pair]
        touch, role, jid_pair = touch[sel], role[sel], jid_pair[sel]
        # renumber the kept journeys 0..k-1
        kept = np.flatnonzero(keep)
        local = np.full(journeys.n_journeys, -1, dtype=np.int64)
        local[kept] = np.arange(kept.size)
        jl = local[jid_pair]
        counts = np.bincount(jl * n_roles + role, minlength=kept.size * n_roles).reshape(
            kept.size, n_roles
        )
        present = counts > 0
        codes = present.astype(np.int64) @ (np.int64(1) << np.arange(n_roles, dtype=np.int64))
        uniq, pattern = np.unique(codes, return_inverse=True)
        pattern = pattern.ravel()
        self.present = ((uniq[:, None] >> np.arange(n_roles)) & 1).astype(bool)
        self.n_patterns = uniq.size
        # per pair: journey-local id, channel, role, 1 / n_jr
        inv = 1.0 / counts[jl, role]
        self._pair_journey = jl
        self._pair_key = (pattern[jl] * n_channels + journeys.channels[touch]) * n_roles + role
        self._pair_inv = inv
        # equal split, per touch of kept journeys
        touch_sel = np.flatnonzero(keep[journeys.journey_index])
        jt = local[journeys.journey_index[touch_sel]]
        self._touch_journey = jt
        self._touch_key = pattern[jt] * n_channels + journeys.channels[touch_sel]
        self._touch_inv = 1.0 / journeys.lengths[kept][jt]
        self._shape = (self.n_patterns, n_channels, n_roles)
        self.kept = kept
        self.set_amount(amount[kept])

    def set_amount(self, amount: np.ndarray) -> RoleTable:
        """Rebuild the matrices for new amounts of the kept journeys (e.g. a bootstrap draw)."""
        p, c, r = self._shape
        self.m = np.bincount(
            self._pair_key, amount[self._pair_journey] * self._pair_inv, minlength=p * c * r
        ).reshape(p, c, r)
        self.equal = np.bincount(
            self._touch_key, amount[self._touch_journey] * self._touch_inv, minlength=p * c
        ).reshape(p, c)
        self.total = float(amount.sum())
        return self

    def credit(self, weights: Any, gradient: bool = False) -> Any:
        """Credit per channel of role weights `weights` (and its Jacobian, channels x roles)."""
        w = np.asarray(weights, dtype=np.float64)
        denom = self.present @ w
        num = self.m @ w  # (patterns, channels)
        ok = denom > 0
        safe = np.where(ok, denom, 1.0)
        credit = (num[ok] / safe[ok, None]).sum(axis=0) + self.equal[~ok].sum(axis=0)
        if not gradient:
            return credit
        mp = self.m[ok] / safe[ok, None, None]
        jac = mp.sum(axis=0) - np.einsum(
            "pc,pr->cr", num[ok] / safe[ok, None] ** 2, self.present[ok].astype(float)
        )
        return credit, jac


# ============================================================================ helpers
def _check_journeys(journeys: Any) -> Journeys:
    if not isinstance(journeys, Journeys):
        raise TypeError(f"journeys must be a Journeys object, got {type(journeys).__name__}")
    if journeys.n_conversions <= 0:
        raise ValueError(
            "the journeys have no conversions: there is nothing to calibrate a rule on"
        )
    return journeys


def _check_level(ci_level: Any) -> float:
    if isinstance(ci_level, bool) or not isinstance(ci_level, Real) or not 0 < ci_level < 1:
        raise ValueError(f"ci_level must be a number strictly between 0 and 1, got {ci_level!r}")
    return float(ci_level)


def _check_n_boot(n_boot: Any) -> int:
    if n_boot is None or (not isinstance(n_boot, bool) and n_boot == 0):
        return 0
    if isinstance(n_boot, bool) or not isinstance(n_boot, Integral) or n_boot < 2:
        raise ValueError(f"n_boot must be None, 0 or an integer >= 2, got {n_boot!r}")
    return int(n_boot)


class _Reference:
    """A fixed reference attribution, or a model refitted on every bootstrap replicate."""

    def __init__(self, reference: Any, journeys: Journeys) -> None:
        from ..evaluate import _alignment, _as_reference

        if reference is None:
            raise ValueError(
                "method='match' needs a reference: an AttributionResult, a GroundTruth, a "
                "model or a model name (e.g. 'markov')"
            )
        self.model: AttributionModel | None = None
        if isinstance(reference, str):
            reference = get_model(reference)
        if isinstance(reference, AttributionModel):
            self.model = reference
            result = clone(reference).fit(journeys).attribute()
        else:
            result = _as_reference(reference)
        self.label = result.model
        # channel order of the journeys; a mismatch names the channel
        idx = _alignment(result.channel_names, journeys.channel_names, "the reference", "journeys")
        self.result = result
        self.share = result.share[idx]
        self._align = idx

    def share_on(self, journeys: Journeys) -> np.ndarray:
        """The reference's shares on a replicate (refitted if it is a model)."""
        if self.model is None:
            return self.share
        return clone(self.model).fit(journeys).attribute().share[self._align]


def _resample(journeys: Journeys, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """One customer-level bootstrap draw: new conversions, nulls and value per row.

    Customers are resampled when the counts are whole numbers (as `bootstrap` does), rows
    otherwise; a converting customer keeps its row's mean value per conversion.
    """
    conv, nulls = journeys.conversions, journeys.nulls
    n = journeys.n_journeys
    if np.array_equal(conv, np.round(conv)) and np.array_equal(nulls, np.round(nulls)):
        cells = np.concatenate([conv, nulls])
        total = int(np.rint(cells.sum()))
        draw = rng.multinomial(total, cells / cells.sum()).astype(np.float64)
        new_c, new_u = draw[:n], draw[n:]
    else:
        k = rng.multinomial(n, np.full(n, 1.0 / n)).astype(np.float64)
        new_c, new_u = k * conv, k * nulls
    per_conv = np.divide(journeys.value, conv, out=np.zeros(n), where=conv > 0)
    return new_c, new_u, per_conv * new_c


def _replicate(journeys: Journeys, new_c: np.ndarray, new_u: np.ndarray, new_v: np.ndarray):
    from ..uncertainty import _take

    keep = np.flatnonzero((new_c > 0) | (new_u > 0))
    return _take(journeys, keep, new_c[keep], new_u[keep], new_v[keep])


def _percentile_interval(reps: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    # rank p (B + 1), as attribution_lab.bootstrap (nominal coverage for any B)
    alpha = 1.0 - level
    low, high = np.quantile(reps, [alpha / 2, 1 - alpha / 2], axis=0, method="weibull")
    return low, high


def _progress(iterable: Any, progress: bool, desc: str) -> Any:
    if not progress:
        return iterable
    from tqdm.auto import tqdm

    return tqdm(iterable, desc=desc, unit="replicate")


# ============================================================================ half-life
@dataclass(eq=False)
class HalfLifeResult:
    """A calibrated time-decay half-life: the estimate, its interval and the objective curve.

    Made by `calibrate_time_decay`.

    Attributes
    ----------
    method : {"likelihood", "match"}
    half_life : float or pandas.Series
        The fitted half-life; a Series indexed by channel with ``per_channel=True``.
    ci_low, ci_high : float or pandas.Series or None
        Confidence interval (likelihood ratio for ``"likelihood"``, bootstrap percentile
        for ``"match"`` with ``n_boot``); 0 and ``inf`` when the objective does not cross
        the threshold inside the search bounds.
    ci_level : float
    unit : {"days", "touches"}
        Days (of ``Journeys.times``) or touches (the by-position rule).
    curve : DataFrame
        The objective along the half-life: columns ``half_life``, ``log_likelihood`` and
        ``deviance`` (= 2 (max - log-likelihood)) for ``"likelihood"`` (and ``channel``
        with ``per_channel``: the profile over that channel's half-life, the others
        re-optimised), or ``half_life`` and the metric for ``"match"``.
    objective_name : str
        ``"deviance"`` or the match metric.
    log_likelihood : float or None
        Maximum of the log-likelihood (``"likelihood"``).
    coefficients : DataFrame or None
        The conversion model at the fitted half-life(s): index ``intercept`` and the
        channels; columns ``coef`` (logit effect of a fresh touch) and ``stderr`` (from
        statsmodels' binomial GLM, conditional on the half-lives).
    glm : statsmodels GLMResults or None
        The statsmodels fit behind `coefficients` (``glm.summary()``).
    objective : float or None
        Value of the match metric at the fitted half-life.
    reference : str or None
        Model name of the match reference.
    replicates : ndarray or None
        Bootstrap half-lives (``"match"`` with ``n_boot``).
    channel_names : tuple of str
    n_journeys : int
    n_conversions : float
    n_evaluations : int
        Objective evaluations (model fits or rule evaluations) used.
    """

    method: str
    half_life: float | pd.Series
    ci_low: float | pd.Series | None
    ci_high: float | pd.Series | None
    ci_level: float
    unit: str
    curve: pd.DataFrame
    objective_name: str
    channel_names: tuple[str, ...]
    n_journeys: int
    n_conversions: float
    n_evaluations: int
    per_channel: bool = False
    log_likelihood: float | None = None
    coefficients: pd.DataFrame | None = None
    glm: Any = None
    objective: float | None = None
    reference: str | None = None
    replicates: np.ndarray | None = None
    notes: list[str] = field(default_factory=list)

    def to_frame(self) -> pd.DataFrame:
        """One row per channel (likelihood) or one row ``all`` (match): estimate and interval."""
        if self.method == "likelihood":
            index = pd.Index(self.channel_names, name="channel")

            def col(v: Any) -> Any:
                return np.nan if v is None else (v if np.ndim(v) else np.full(len(index), v))

            frame = pd.DataFrame(
                {
                    "half_life": col(self.half_life),
                    "ci_low": col(self.ci_low),
                    "ci_high": col(self.ci_high),
                },
                index=index,
            )
            if self.coefficients is not None:
                frame["coef"] = self.coefficients["coef"].reindex(index).to_numpy()
                frame["coef_stderr"] = self.coefficients["stderr"].reindex(index).to_numpy()
            return frame
        return pd.DataFrame(
            {
                "half_life": [self.half_life],
                "ci_low": [np.nan if self.ci_low is None else self.ci_low],
                "ci_high": [np.nan if self.ci_high is None else self.ci_high],
                self.objective_name: [self.objective],
            },
            index=pd.Index(["all"], name="channel"),
        )

    def to_model(self) -> TimeDecayAttribution:
        """The time-decay rule with the fitted half-life.

        Raises
        ------
        ValueError
            For per-channel half-lives, which `TimeDecayAttribution` does not take.
        """
        if self.per_channel:
            raise ValueError(
                "TimeDecayAttribution takes one half-life; per-channel half-lives have no rule"
                " model (use the common fit, per_channel=False)"
            )
        h = float(self.half_life)  # type: ignore[arg-type]
        if self.unit == "touches":
            return TimeDecayAttribution(position_half_life=h, use_times=False)
        return TimeDecayAttribution(half_life=h, use_times=True)

    def to_dict(self) -> dict[str, Any]:
        """Plain-Python form (the JSON of ``attribution-lab calibrate``)."""

        def plain(v: Any) -> Any:
            if isinstance(v, pd.Series):
                return {str(k): float(x) for k, x in v.items()}
            return None if v is None else float(v)

        out: dict[str, Any] = {
            "rule": "time_decay",
            "method": self.method,
            "unit": self.unit,
            "per_channel": self.per_channel,
            "half_life": plain(self.half_life),
            "ci_low": plain(self.ci_low),
            "ci_high": plain(self.ci_high),
            "ci_level": self.ci_level,
            "n_journeys": self.n_journeys,
            "n_conversions": self.n_conversions,
        }
        if self.method == "likelihood":
            out["log_likelihood"] = self.log_likelihood
            if self.coefficients is not None:
                out["coefficients"] = {
                    str(k): {"coef": float(r["coef"]), "stderr": float(r["stderr"])}
                    for k, r in self.coefficients.iterrows()
                }
        else:
            out["reference"] = self.reference
            out[self.objective_name] = self.objective
            if self.replicates is not None:
                out["n_boot"] = int(self.replicates.size)
        if self.notes:
            out["notes"] = list(self.notes)
        return out

    def __repr__(self) -> str:
        def fmt(v: Any) -> str:
            if isinstance(v, pd.Series):
                return "{" + ", ".join(f"{k}: {x:.4g}" for k, x in v.items()) + "}"
            return "None" if v is None else f"{v:.4g}"

        ci = (
            ""
            if self.ci_low is None
            else f", {self.ci_level:.0%} CI [{fmt(self.ci_low)}, {fmt(self.ci_high)}]"
        )
        ref = f", reference={self.reference!r}" if self.reference else ""
        return (
            f"HalfLifeResult(method={self.method!r}{ref}, half_life={fmt(self.half_life)}"
            f" {self.unit}{ci})"
        )

    def plot(self, ax: Any = None) -> Any:
        """The objective along the half-life (log scale), with the estimate and interval.

        Likelihood: the deviance 2 (max - log-likelihood) and the chi-square threshold
        that defines the interval (one curve per channel with per-channel half-lives).
        Match: the metric, with the bootstrap interval when there is one.

        Returns
        -------
        matplotlib Axes
        """
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(6.5, 4))
        y = self.objective_name
        if self.per_channel:
            for k, (name, rows) in enumerate(self.curve.groupby("channel", sort=False)):
                color = f"C{k}"
                ax.plot(rows["half_life"], rows[y], marker=".", color=color, label=name)
                h = self.half_life[name]  # type: ignore[index]
                ax.axvline(h, color=color, lw=0.8, ls="--")
        else:
            ax.plot(self.curve["half_life"], self.curve[y], marker=".", color="C0")
            ax.axvline(float(self.half_life), color="C0", lw=0.8, ls="--", label="estimate")  # type: ignore[arg-type]
            if self.ci_low is not None:
                lo = max(float(self.ci_low), float(self.curve["half_life"].min()))  # type: ignore[arg-type]
                hi = min(float(self.ci_high), float(self.curve["half_life"].max()))  # type: ignore[arg-type]
                ax.axvspan(lo, hi, color="C0", alpha=0.15, label=f"{self.ci_level:.0%} interval")
        if self.method == "likelihood":
            thr = float(stats.chi2.ppf(self.ci_level, 1))
            ax.axhline(thr, color="grey", lw=0.8, ls=":", label=f"chi2(1) {self.ci_level:.0%}")
            top = max(4 * thr, 1.0)
            ax.set_ylim(-0.05 * top, top)
            # show where the curve is inside the plot, not the whole search range
            seen = self.curve.loc[self.curve[y] <= top, "half_life"]
            if len(seen):
                ax.set_xlim(seen.min() / 1.5, seen.max() * 1.5)
            ax.set_ylabel("deviance, 2 (max log-lik - log-lik)")
        else:
            ax.set_ylabel(f"{y} against {self.reference}")
        ax.set_xscale("log")
        ax.set_xlabel(f"half-life ({self.unit})")
        ax.set_title(f"time-decay half-life by {self.method}")
        ax.legend(fontsize="small")
        return ax


def _end_times(journeys: Journeys, end_time: Any) -> np.ndarray:
    if end_time is None:
        if journeys.end_time is None:
            raise ValueError(
                "method='likelihood' needs each journey's end time (its conversion time, or "
                "the end of observation for a journey that did not convert), and the journeys"
                " have no end_time: pass end_time= (days, one number for a common end of "
                "observation or one per journey)"
            )
        return np.asarray(journeys.end_time)
    end = np.asarray(end_time, dtype=np.float64)
    if end.ndim == 0:
        end = np.full(journeys.n_journeys, float(end))
    if end.shape != (journeys.n_journeys,):
        raise ValueError(
            f"end_time must be one number or {journeys.n_journeys} numbers, got shape {end.shape}"
        )
    last = journeys.times[journeys.offsets[1:] - 1]  # type: ignore[index]
    bad = first_bad(~np.isfinite(end) | (end < last))
    if bad is not None:
        raise ValueError(
            f"journey {bad}: end_time {end[bad]!r} is before its last touch ({last[bad]!r})"
            " or not finite"
        )
    return end


def _bounds(bounds: Any, scale: float) -> tuple[float, float]:
    if bounds is None:
        scale = max(float(scale), 1e-9)
        return 1e-3 * scale, 1e2 * scale
    try:
        lo, hi = (float(b) for b in bounds)
    except (TypeError, ValueError):
        raise ValueError(f"bounds must be two numbers (low, high), got {bounds!r}") from None
    if not (0 < lo < hi < np.inf):
        raise ValueError(f"bounds must satisfy 0 < low < high < inf, got {bounds!r}")
    return lo, hi


def _check_grid(n_grid: Any) -> int:
    if isinstance(n_grid, bool) or not isinstance(n_grid, Integral) or n_grid < 5:
        raise ValueError(f"n_grid must be an integer >= 5, got {n_grid!r}")
    return int(n_grid)


def _minimise_1d(
    f: Callable[[float], float], grid: np.ndarray, values: np.ndarray
) -> tuple[float, float]:
    """Refine the best grid point by a bounded scalar search between its neighbours."""
    i = int(np.argmin(values))
    lo, hi = grid[max(i - 1, 0)], grid[min(i + 1, grid.size - 1)]
    res = optimize.minimize_scalar(f, bounds=(lo, hi), method="bounded", options={"xatol": 1e-5})
    if res.fun <= values[i]:
        return float(res.x), float(res.fun)
    return float(grid[i]), float(values[i])


def _lr_interval(
    g: Callable[[float], float], u_hat: float, grid: np.ndarray, dev: np.ndarray, thr: float
) -> tuple[float, float]:
    """Ends (in log h) where the deviance g crosses thr on each side of u_hat; -inf/inf if none.

    `grid` and `dev` are the deviance at grid points; brackets come from the nearest grid
    point on each side whose deviance exceeds the threshold.
    """
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


def calibrate_time_decay(
    journeys: Journeys,
    method: str = "likelihood",
    reference: Any = None,
    per_channel: bool = False,
    *,
    end_time: Any = None,
    use_times: bool | None = None,
    metric: str | Callable[[np.ndarray, np.ndarray], float] = "tv_share",
    bounds: tuple[float, float] | None = None,
    n_grid: int = 25,
    ci_level: float = 0.95,
    n_boot: int | None = None,
    random_state: int | np.random.Generator | None = None,
    progress: bool = False,
) -> HalfLifeResult:
    r"""Fit the half-life of the time-decay rule from data.

    Parameters
    ----------
    journeys : Journeys
        With touch times (``Journeys.times``, days) for ``"likelihood"``; with both
        converting and non-converting journeys.
    method : {"likelihood", "match"}, default "likelihood"
        ``"likelihood"``: the half-life of a conversion model on decaying exposures
        (Notes), with a likelihood-ratio interval. ``"match"``: the half-life whose
        `TimeDecayAttribution` credit is closest to `reference`.
    reference : AttributionResult, GroundTruth, AttributionModel or str, optional
        For ``"match"`` only: a result to match, a world's truth, or a model (or model
        name, e.g. ``"markov"``) fitted on the journeys (and refitted on every bootstrap
        replicate). Must cover the journeys' channels.
    per_channel : bool, default False
        ``"likelihood"`` only: one half-life per channel (joint maximisation over the log
        half-lives; each channel's interval profiles the others out).
    end_time : float or array of shape (n_journeys,), optional
        ``"likelihood"``: time :math:`T_j` of each journey's conversion, or of the end of
        observation for one that did not convert. Default ``journeys.end_time``.
    use_times : bool, optional
        ``"match"``: match the timed rule (days) or, with False, the by-position rule
        (half-life in touches, for path tables without times). By default the timed rule;
        journeys without times then raise an error that says to pass ``use_times=False``.
    metric : {"tv_share", "squared"} or callable, default "tv_share"
        ``"match"``: total-variation distance of conversion shares
        :math:`\tfrac12 \sum_c |s_c - r_c|`, the sum of squared share differences, or a
        function ``metric(shares, reference_shares) -> float`` to minimise.
    bounds : (float, float), optional
        Search range of the half-life. Default: :math:`10^{-3}` to :math:`10^{2}` times the
        longest lag between a touch and its journey's end (days), or between a touch
        and its journey's last touch (touches, for ``use_times=False``).
    n_grid : int, default 25
        Log-spaced grid points over `bounds` where the objective is evaluated first; the
        best one is refined by a bounded search between its neighbours.
    ci_level : float, default 0.95
    n_boot : int, optional
        ``"match"``: bootstrap replicates (customers resampled; a model reference
        refitted) for a percentile interval. No interval by default.
    random_state : int, Generator or None
        Seed of the bootstrap.
    progress : bool, default False
        Show a tqdm bar over the bootstrap replicates.

    Returns
    -------
    HalfLifeResult
        ``half_life``, ``ci_low``, ``ci_high``, the objective ``curve``, ``plot()``,
        ``to_model()`` (the calibrated `TimeDecayAttribution`) and, for ``"likelihood"``,
        the conversion model's ``coefficients`` and statsmodels ``glm``.

    Raises
    ------
    ValueError
        On journeys without conversions, without non-converting journeys
        (``"likelihood"``), without touch times (``"likelihood"``; ``"match"`` unless
        ``use_times=False``), without end times (``"likelihood"`` unless `end_time` is
        given), a reference over other channels, or a missing reference for ``"match"``.

    Notes
    -----
    **Likelihood.** Journey j ends at :math:`T_j` (conversion or end of observation) with
    touches of channels :math:`c_i` at times :math:`t_i`. With one half-life h its
    exposure to channel c is :math:`x_{jc}(h) = \sum_{i: c_i = c} 2^{-(T_j - t_i)/h}`
    (`decay_exposure`, one `numpy.bincount` over the touches) and

    .. math:: \operatorname{logit} P(\text{convert}_j) = \beta_0 + \sum_c \beta_c x_{jc}(h),

    a binomial GLM (aggregated rows count :math:`y_j` conversions of
    :math:`n_j = y_j + u_j` customers). The profile log-likelihood
    :math:`\ell_p(h) = \max_\beta \ell(\beta, h)` is evaluated on a log grid and
    maximised by a bounded search on :math:`\log h` (`scipy.optimize.minimize_scalar`);
    the inner fits are damped Newton steps on the few columns, warm-started along the
    profile, and the final fit at :math:`\hat h` is statsmodels' binomial GLM (whose
    log-likelihood the tests check against). The interval is
    :math:`\{h : 2(\ell_p(\hat h) - \ell_p(h)) \le \chi^2_{1, \text{level}}\}` (Wilks),
    its ends found by Brent's method. With ``per_channel`` each channel has its own
    :math:`h_c`; :math:`\ell_p(h_1, \ldots, h_C)` is maximised jointly over
    :math:`\log h_c` (L-BFGS-B), with the exact gradient from the envelope theorem,
    :math:`\partial \ell_p / \partial \log h_c = \hat\beta_c \sum_j (y_j - n_j \hat p_j)
    \, \partial x_{jc} / \partial \log h_c`, and channel c's interval profiles the other
    half-lives out (maximises over them at every :math:`h_c`). The reported coefficient
    standard errors are conditional on the half-lives.

    The model is the data-generating process of `attribution_lab.simulate.CausalWorld`
    (everyone's conversion decided at the end of the window), which is why it recovers
    the worlds' half-lives. Two caveats carry over to real data. Journeys that stop at the
    conversion while others run to the end of observation make a bag-of-exposures logit
    biased (the design's second pitfall); a time-to-event model handles that by
    construction: the additive-hazard model of Zhang, Wei & Ren (2014), whose decay rates
    :math:`\omega_c` give :math:`h_c = \ln 2 / \omega_c`, is `HazardAttribution`'s job
    (issue 11) and is not duplicated here. And intent that drives both exposure and
    conversion biases the effects :math:`\beta_c`, and with them the half-lives.

    The half-life a conversion model finds is how fast a touch's *effect* wears off. The
    time-decay rule then splits each conversion in proportion to
    :math:`2^{-(T - t_i)/h}`: equal to each touch's share of the logit only when all
    channels have the same effect, so the calibrated rule is a better rule, not the
    causal truth.

    **Match.** :math:`\hat h = \arg\min_h D(s(h), r)`, with :math:`s(h)` the conversion
    shares of `TimeDecayAttribution` with half-life h and r the reference's shares, by
    the same grid and bounded search (the metric is often flat at both ends: a very
    short half-life is last touch, a very long one linear). Only converting journeys
    enter, and the per-journey weights on the grid are computed once, so a bootstrap
    replicate costs a matrix product per grid point plus the refinement.

    References
    ----------
    Zhang, Y., Wei, Y., & Ren, J. (2014). Multi-touch attribution in online advertising
    with survival theory. 2014 IEEE International Conference on Data Mining (ICDM),
    687-696.

    Wilks, S. S. (1938). The large-sample distribution of the likelihood ratio for
    testing composite hypotheses. The Annals of Mathematical Statistics, 9(1), 60-62.

    Examples
    --------
    >>> from attribution_lab.simulate import simulate
    >>> journeys, truth = simulate("decay", 5_000, random_state=0, half_lives=7.0)
    >>> fit = calibrate_time_decay(journeys)
    >>> bool(fit.ci_low < 7.0 < fit.ci_high), fit.unit
    (True, 'days')
    >>> fit.to_model().half_life == fit.half_life
    True
    >>> matched = calibrate_time_decay(journeys, "match", reference=truth)
    >>> matched.objective_name, bool(matched.objective < 0.1)
    ('tv_share', True)
    """
    journeys = _check_journeys(journeys)
    if method not in ("likelihood", "match"):
        raise ValueError(f"method must be 'likelihood' or 'match', got {method!r}")
    level = _check_level(ci_level)
    n_grid = _check_grid(n_grid)
    n_boot = _check_n_boot(n_boot)
    if method == "likelihood":
        if reference is not None:
            raise ValueError("reference is used by method='match' only")
        if n_boot:
            raise ValueError("n_boot is for method='match'; 'likelihood' has its LR interval")
        if use_times is False:
            raise ValueError("method='likelihood' fits a half-life in days; it needs use_times")
        if journeys.times is None:
            raise ValueError(
                "method='likelihood' needs touch times (Journeys.times) and the journeys have"
                " none: path tables carry no timestamps (build the journeys from touch events,"
                " or use method='match' with use_times=False for a half-life in touches)"
            )
        if journeys.n_nulls <= 0:
            raise ValueError(
                "method='likelihood' needs non-converting journeys as well: with every journey"
                " converting, a conversion model has nothing to compare exposures with"
            )
        end = _end_times(journeys, end_time)
        return _fit_likelihood(journeys, end, per_channel, bounds, n_grid, level)
    if per_channel:
        raise ValueError(
            "per_channel applies to method='likelihood' (the time-decay rule has one half-life)"
        )
    return _fit_match(
        journeys, reference, use_times, metric, bounds, n_grid, level, n_boot, random_state,
        progress,
    )  # fmt: skip


def _fit_likelihood(
    journeys: Journeys,
    end: np.ndarray,
    per_channel: bool,
    bounds: Any,
    n_grid: int,
    level: float,
) -> HalfLifeResult:
    import statsmodels.api as sm

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


class _DecayCredit:
    """Time-decay rule shares of the converting journeys, for any half-life and counts."""

    def __init__(self, journeys: Journeys, timed: bool) -> None:
        rows = np.flatnonzero(journeys.conversions > 0)
        self.rows = rows
        sub = journeys.subset(rows)
        self.sub = sub
        self.timed = timed
        self.key = sub.journey_index * sub.n_channels + sub.channels
        self.n_channels = sub.n_channels
        self.n_rows = sub.n_journeys
        if timed:
            last = sub.times[sub.offsets[1:] - 1]  # type: ignore[index]
            self.lags = last[sub.journey_index] - sub.times
        else:
            self.lags = (sub.offsets[1:] - 1)[sub.journey_index] - np.arange(sub.n_touchpoints)
        self.scale = float(self.lags.max()) if self.lags.size else 1.0
        self.n_evaluations = 0

    def weights(self, h: float) -> np.ndarray:
        """(rows, channels): each converting row's weight on each channel."""
        self.n_evaluations += 1
        if self.timed:
            w = time_decay_weights(self.sub.offsets, self.sub.times, h)
        else:
            w = position_decay_weights(self.sub.offsets, h)
        size = self.n_rows * self.n_channels
        return np.bincount(self.key, w, minlength=size).reshape(self.n_rows, self.n_channels)

    def shares(self, h: float, conv: np.ndarray) -> np.ndarray:
        return (conv @ self.weights(h)) / conv.sum()


def _metric(metric: Any) -> tuple[str, Callable[[np.ndarray, np.ndarray], float]]:
    if callable(metric):
        return getattr(metric, "__name__", "metric"), metric
    if metric == "tv_share":
        return metric, lambda s, r: float(0.5 * np.abs(s - r).sum())
    if metric == "squared":
        return metric, lambda s, r: float(((s - r) ** 2).sum())
    raise ValueError(
        f"metric must be one of {', '.join(_MATCH_METRICS)} or a callable, got {metric!r}"
    )


def _fit_match(
    journeys: Journeys,
    reference: Any,
    use_times: bool | None,
    metric: Any,
    bounds: Any,
    n_grid: int,
    level: float,
    n_boot: int,
    random_state: Any,
    progress: bool,
) -> HalfLifeResult:
    if use_times not in (None, True, False):
        raise TypeError(f"use_times must be None, True or False, got {use_times!r}")
    timed = use_times is not False
    if timed and journeys.times is None:
        raise ValueError(
            "the timed time-decay rule needs touch times (Journeys.times) and the journeys "
            "have none (path tables carry no timestamps); pass use_times=False to calibrate "
            "the by-position rule's half-life, in touches"
        )
    name, dist = _metric(metric)
    ref = _Reference(reference, journeys)
    credit = _DecayCredit(journeys, timed)
    bounds = _bounds(bounds, credit.scale)
    grid = np.linspace(np.log(bounds[0]), np.log(bounds[1]), n_grid)
    table = [credit.weights(float(np.exp(u))) for u in grid]
    conv = journeys.conversions[credit.rows]

    def solve(conv: np.ndarray, r: np.ndarray) -> tuple[float, float, np.ndarray]:
        total = conv.sum()
        values = np.array([dist((conv @ w) / total, r) for w in table])
        u, v = _minimise_1d(lambda u: dist(credit.shares(float(np.exp(u)), conv), r), grid, values)
        return u, v, values

    u_hat, best, values = solve(conv, ref.share)
    curve = pd.DataFrame(
        {"half_life": np.exp(np.append(grid, u_hat)), name: np.append(values, best)}
    )
    curve = curve.sort_values("half_life").drop_duplicates("half_life").reset_index(drop=True)
    notes: list[str] = []
    if np.isclose(u_hat, grid[0], atol=1e-3) or np.isclose(u_hat, grid[-1], atol=1e-3):
        what = "last touch" if u_hat < grid.mean() else "linear"
        notes.append(
            f"the best half-life is at the search bound {np.exp(u_hat):.4g}: the reference"
            f" is matched best by the {what} limit of the rule"
        )
    ci_low = ci_high = reps = None
    if n_boot:
        rng = check_random_state(random_state)
        reps = np.empty(n_boot)
        for b in _progress(range(n_boot), progress, "bootstrap half-life"):
            new_c, new_u, new_v = _resample(journeys, rng)
            if new_c.sum() <= 0:
                raise ValueError(f"bootstrap replicate {b} drew no conversion: too few to resample")
            r = ref.share
            if ref.model is not None:
                r = ref.share_on(_replicate(journeys, new_c, new_u, new_v))
            reps[b] = np.exp(solve(new_c[credit.rows], r)[0])
        low, high = _percentile_interval(reps, level)
        ci_low, ci_high = float(low), float(high)
    return HalfLifeResult(
        method="match",
        half_life=float(np.exp(u_hat)),
        ci_low=ci_low,
        ci_high=ci_high,
        ci_level=level,
        unit="days" if timed else "touches",
        curve=curve,
        objective_name=name,
        channel_names=journeys.channel_names,
        n_journeys=journeys.n_journeys,
        n_conversions=journeys.n_conversions,
        n_evaluations=credit.n_evaluations,
        objective=best,
        reference=ref.label,
        replicates=reps,
        notes=notes,
    )


# ============================================================================ position weights
@dataclass(eq=False)
class PositionWeightsResult:
    """Calibrated shares of a position rule, with bootstrap intervals.

    Made by `calibrate_position_weights`.

    Attributes
    ----------
    shape : {"U", "W", "full_path", "free"}
    weights : pandas.Series
        The fitted shares by role (e.g. first, middle, last), on the simplex.
    ci_low, ci_high : pandas.Series or None
        Bootstrap percentile intervals of each share.
    ci_level : float
    replicates : DataFrame or None
        The shares fitted on every bootstrap replicate.
    default : pandas.Series
        The rule's default shares (equal for ``"free"``), for comparison.
    reference : str
        Model name of the reference.
    objective : float
        Sum of squared differences of conversion shares at the fit.
    tv_share : float
        Total-variation distance of the calibrated rule's shares from the reference's.
    tv_share_default : float
        The same for the default shares.
    n_identified : int
        Directions of the simplex that the reference pins down (rank of the Jacobian of the
        shares in the weights, tangent to the simplex); less than ``len(weights) - 1``
        means the fit is not unique.
    result : AttributionResult
        The calibrated rule's credit on the journeys.
    n_buckets : int or None
        Roles of the ``"free"`` shape.
    """

    shape: str
    weights: pd.Series
    ci_low: pd.Series | None
    ci_high: pd.Series | None
    ci_level: float
    replicates: pd.DataFrame | None
    default: pd.Series
    reference: str
    objective: float
    tv_share: float
    tv_share_default: float
    n_identified: int
    result: AttributionResult
    n_buckets: int | None = None
    notes: list[str] = field(default_factory=list)

    def to_frame(self) -> pd.DataFrame:
        """One row per role: weight, interval, default share."""
        frame = pd.DataFrame({"weight": self.weights})
        if self.ci_low is not None:
            frame["ci_low"] = self.ci_low
            frame["ci_high"] = self.ci_high
        frame["default"] = self.default
        frame.index.name = "role"
        return frame

    def to_model(self) -> AttributionModel:
        """The rule with the fitted shares (`PositionBasedAttribution`, `WShapedAttribution`
        or `FullPathAttribution`).

        Raises
        ------
        ValueError
            For the ``"free"`` shape, which no rule class implements (use `attribute`).
        """
        w = {k: float(v) for k, v in self.weights.items()}
        if self.shape == "U":
            return PositionBasedAttribution(**w)
        if self.shape == "W":
            return WShapedAttribution(**w)
        if self.shape == "full_path":
            return FullPathAttribution(**w)
        raise ValueError(
            "no rule class implements position buckets; use result.attribute(journeys)"
        )

    def attribute(self, journeys: Journeys) -> AttributionResult:
        """Credit of the calibrated rule on any journeys (every shape, ``"free"`` included)."""
        return _role_result(journeys, self.shape, self.weights.to_numpy(), self.n_buckets or 5)

    def to_dict(self) -> dict[str, Any]:
        """Plain-Python form (the JSON of ``attribution-lab calibrate``)."""
        out: dict[str, Any] = {
            "rule": _SHAPE_MODEL[self.shape],
            "shape": self.shape,
            "reference": self.reference,
            "weights": {k: float(v) for k, v in self.weights.items()},
            "default": {k: float(v) for k, v in self.default.items()},
            "objective": self.objective,
            "tv_share": self.tv_share,
            "tv_share_default": self.tv_share_default,
            "n_identified": self.n_identified,
        }
        if self.ci_low is not None and self.ci_high is not None:
            out["ci_level"] = self.ci_level
            out["ci_low"] = {k: float(v) for k, v in self.ci_low.items()}
            out["ci_high"] = {k: float(v) for k, v in self.ci_high.items()}
            out["n_boot"] = len(self.replicates)  # type: ignore[arg-type]
        if self.notes:
            out["notes"] = list(self.notes)
        return out

    def __repr__(self) -> str:
        w = ", ".join(f"{k}={v:.3f}" for k, v in self.weights.items())
        return (
            f"PositionWeightsResult(shape={self.shape!r}, reference={self.reference!r}, {w};"
            f" tv_share {self.tv_share:.4f} vs {self.tv_share_default:.4f} at the defaults)"
        )

    def plot(self, ax: Any = None) -> Any:
        """Fitted shares by role with their intervals, and the rule's default shares.

        Returns
        -------
        matplotlib Axes
        """
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(1.1 * len(self.weights) + 2.5, 3.6))
        x = np.arange(len(self.weights))
        yerr = None
        if self.ci_low is not None and self.ci_high is not None:
            yerr = np.vstack(
                [
                    np.maximum(self.weights - self.ci_low, 0),
                    np.maximum(self.ci_high - self.weights, 0),
                ]
            )
        ax.bar(x, self.weights, yerr=yerr, capsize=4, color="C0", label="calibrated")
        ax.plot(x, self.default, "o", mfc="none", color="C3", label="default")
        ax.set_xticks(x, list(self.weights.index))
        ax.set_xlabel("role")
        ax.set_ylabel("share of each conversion")
        ax.set_title(f"{_SHAPE_MODEL[self.shape]} shares matched to {self.reference}")
        ax.legend(fontsize="small")
        return ax


_SHAPE_MODEL = {
    "U": "position_based",
    "W": "w_shaped",
    "full_path": "full_path",
    "free": "position_buckets",
}


def _default_weights(shape: str, roles: Sequence[str]) -> np.ndarray:
    if shape == "free":
        return np.full(len(roles), 1.0 / len(roles))
    return np.array([SHAPES[shape][r] for r in roles])


def _role_result(
    journeys: Journeys, shape: str, weights: np.ndarray, n_buckets: int
) -> AttributionResult:
    roles, touch, role = position_roles(journeys, shape, n_buckets)
    conv = RoleTable(journeys, roles, touch, role).credit(weights)
    if journeys.total_value > 0:
        val = RoleTable(journeys, roles, touch, role, journeys.value).credit(weights)
    else:
        val = np.zeros(journeys.n_channels)
    return AttributionResult(
        journeys.channel_names,
        conv,
        val,
        total_conversions=journeys.n_conversions,
        total_value=journeys.total_value,
        estimand="rule",
        model=_SHAPE_MODEL[shape],
        params={r: float(w) for r, w in zip(roles, weights, strict=True)},
    )


def _simplex_fit(
    table: RoleTable, target: np.ndarray, starts: Sequence[np.ndarray]
) -> tuple[np.ndarray, float]:
    """Least squares of shares over the simplex (SLSQP, analytic gradient), best of starts."""
    k = len(table.roles)
    total = table.total

    def objective(w: np.ndarray) -> tuple[float, np.ndarray]:
        credit, jac = table.credit(w, gradient=True)
        r = credit / total - target
        return float(r @ r), 2.0 * (jac.T @ r) / total

    best_w, best_f = None, np.inf
    for w0 in starts:
        res = optimize.minimize(
            objective, w0, jac=True, method="SLSQP", bounds=[(0.0, 1.0)] * k,
            constraints=[{"type": "eq", "fun": lambda w: w.sum() - 1.0,
                          "jac": lambda w: np.ones_like(w)}],
            options={"ftol": 1e-15, "maxiter": 500},
        )  # fmt: skip
        w = np.clip(res.x, 0.0, None)
        w = w / w.sum()
        f = objective(w)[0]
        if f < best_f:
            best_w, best_f = w, f
    return best_w, best_f  # type: ignore[return-value]


def _identified(table: RoleTable, k: int) -> int:
    """Rank of the Jacobian of the shares along the simplex, at equal shares.

    Taken inside the simplex: on its faces journeys lacking the weighted roles fall back
    to equal splits, whose credit does not move with the weights.
    """
    _, jac = table.credit(np.full(k, 1.0 / k), gradient=True)
    basis = np.linalg.svd(np.ones((1, k)))[2][1:].T  # k x (k-1), orthogonal to (1, .., 1)
    s = np.linalg.svd(jac @ basis / table.total, compute_uv=False)
    if s.size == 0 or s[0] == 0:
        return 0
    return int((s > 1e-6 * s[0]).sum())


def calibrate_position_weights(
    journeys: Journeys,
    reference: Any,
    shape: str = "U",
    *,
    n_buckets: int = 5,
    n_boot: int | None = 200,
    ci_level: float = 0.95,
    random_state: int | np.random.Generator | None = None,
    progress: bool = False,
) -> PositionWeightsResult:
    r"""Fit the shares of a position rule to a reference attribution.

    Parameters
    ----------
    journeys : Journeys
    reference : AttributionResult, GroundTruth, AttributionModel or str
        The attribution to match: a result, a world's truth, or a model (or model name,
        e.g. ``"markov"``, ``"shapley"``) fitted on the journeys and refitted on every
        bootstrap replicate. Must cover the journeys' channels.
    shape : {"U", "W", "full_path", "free"}, default "U"
        Which rule: position-based (first, middle, last), W-shaped (first, lead,
        opportunity, rest), full-path (first, lead, opportunity, closed_won, rest), or
        ``"free"``: the first touch, ``n_buckets - 2`` buckets of middle touches by
        relative position, and the last touch (see `position_roles`).
    n_buckets : int, default 5
        Roles of the ``"free"`` shape (3 gives the U shape).
    n_boot : int or None, default 200
        Bootstrap replicates (customers resampled, the fit repeated; a model reference is
        refitted) for percentile intervals; None or 0 for none.
    ci_level : float, default 0.95
    random_state : int, Generator or None
        Seed of the bootstrap.
    progress : bool, default False
        Show a tqdm bar over the replicates.

    Returns
    -------
    PositionWeightsResult
        ``weights`` (on the simplex), ``ci_low`` / ``ci_high``, the calibrated rule's
        credit ``result``, its distance from the reference next to the default shares',
        ``to_model()``, ``attribute(journeys)`` and ``plot()``.

    Raises
    ------
    ValueError
        On journeys without conversions, a reference over other channels, an unknown
        shape, or a bootstrap replicate without conversions.

    Warns
    -----
    UserWarning
        When the reference pins down fewer directions than the shape has free shares
        (fewer channels than roles, or channels that sit alike at every position): the
        fitted shares are then one of many equally good ones.

    Notes
    -----
    The rule gives touch i of a converting journey the weight
    :math:`\sum_{r \ni i} w_r / n_{jr} \,/\, \sum_{r \in R_j} w_r` (roles r held by the
    touch, :math:`n_{jr}` touches holding role r, :math:`R_j` the roles present; the
    shares' own renormalisation for journeys too short to have every role). Channel
    credit is then the closed form of `RoleTable`, and the shares solve

    .. math:: \hat w = \arg\min_{w \ge 0,\ \sum_r w_r = 1}
              \sum_c \Big(\frac{C_c(w)}{C} - r_c\Big)^2,

    with :math:`C` the conversions and :math:`r_c` the reference's shares, by SLSQP with
    the analytic gradient from several starts (the defaults, equal shares and one leaning
    to each role). Squared error is used rather than total variation because it is
    smooth, and for journeys with every role present (the bulk) the credit is linear in
    w, so the problem is a least-squares projection with a unique answer when identified.
    Only conversion shares are matched (value shares follow from the same rule).

    The reference gives :math:`n_{channels} - 1` numbers, so at most that many shares are
    identified, and only when channels differ in where they sit in journeys. Intervals
    are percentile bootstrap intervals: customers are resampled (rows for fractional
    counts), the role matrices rebuilt with one `numpy.bincount` and the fit repeated;
    a model reference is refitted on each replicate, so its own sampling error enters.

    Examples
    --------
    >>> from attribution_lab.simulate import simulate
    >>> journeys = simulate("markov", 20_000, random_state=0).journeys
    >>> rule = PositionBasedAttribution(first=0.3, middle=0.5, last=0.2)
    >>> fit = calibrate_position_weights(journeys, rule.fit(journeys).attribute(), n_boot=20,
    ...                                  random_state=0)
    >>> fit.weights.round(3).tolist()  # the rule's own credit gives its shares back
    [0.3, 0.5, 0.2]
    >>> fit.tv_share < 1e-6 < fit.tv_share_default
    True
    >>> fit = calibrate_position_weights(journeys, "markov", n_boot=20, random_state=0)
    >>> bool(fit.ci_low.lt(fit.weights).all()), type(fit.to_model()).__name__
    (True, 'PositionBasedAttribution')
    """
    journeys = _check_journeys(journeys)
    if shape not in SHAPES:
        raise ValueError(f"shape must be one of {', '.join(SHAPES)}, got {shape!r}")
    n_buckets = _check_buckets(n_buckets)
    level = _check_level(ci_level)
    n_boot = _check_n_boot(n_boot)
    ref = _Reference(reference, journeys)
    roles, touch, role = position_roles(journeys, shape, n_buckets)
    table = RoleTable(journeys, roles, touch, role)
    k = len(roles)
    default = _default_weights(shape, roles)
    uniform = np.full(k, 1.0 / k)
    starts = [default, uniform] + [0.5 * uniform + 0.5 * np.eye(k)[r] for r in range(k)]
    w_hat, f_hat = _simplex_fit(table, ref.share, starts)
    notes: list[str] = []
    n_id = _identified(table, k)
    if n_id < k - 1:
        msg = (
            f"the reference pins down {n_id} of the {k - 1} free shares of the {shape} shape"
            f" ({journeys.n_channels} channels); the fitted weights are one of many equally"
            " good ones"
        )
        notes.append(msg)
        warnings.warn(msg, UserWarning, stacklevel=2)
    index = pd.Index(roles, name="role")
    reps = low = high = None
    if n_boot:
        rng = check_random_state(random_state)
        reps = np.empty((n_boot, k))
        for b in _progress(range(n_boot), progress, f"bootstrap {shape} shares"):
            new_c, new_u, new_v = _resample(journeys, rng)
            if new_c.sum() <= 0:
                raise ValueError(f"bootstrap replicate {b} drew no conversion: too few to resample")
            r = ref.share
            if ref.model is not None:
                r = ref.share_on(_replicate(journeys, new_c, new_u, new_v))
            table.set_amount(new_c[table.kept])
            reps[b] = _simplex_fit(table, r, [w_hat, default, uniform])[0]
        table.set_amount(journeys.conversions[table.kept])
        lo, hi = _percentile_interval(reps, level)
        low, high = pd.Series(lo, index=index), pd.Series(hi, index=index)
        reps = pd.DataFrame(reps, columns=index, index=pd.RangeIndex(n_boot, name="replicate"))
    result = _role_result(journeys, shape, w_hat, n_buckets)
    tv = float(0.5 * np.abs(table.credit(w_hat) / table.total - ref.share).sum())
    tv0 = float(0.5 * np.abs(table.credit(default) / table.total - ref.share).sum())
    return PositionWeightsResult(
        shape=shape,
        weights=pd.Series(w_hat, index=index, name="weight"),
        ci_low=low,
        ci_high=high,
        ci_level=level,
        replicates=reps,
        default=pd.Series(default, index=index, name="default"),
        reference=ref.label,
        objective=f_hat,
        tv_share=tv,
        tv_share_default=tv0,
        n_identified=n_id,
        result=result,
        n_buckets=n_buckets if shape == "free" else None,
        notes=notes,
    )


def position_split_truth(
    journeys: Journeys,
    weights: Any,
    shape: str = "U",
    *,
    concentration: float = 20.0,
    n_buckets: int = 5,
    random_state: int | np.random.Generator | None = None,
) -> Any:
    r"""A ground truth whose expected split is a known position rule, with per-journey noise.

    Every converting journey draws its own role shares from a Dirichlet distribution with
    mean `weights`, renormalised over the roles it has, and splits its conversions (and
    value) with them; the channel totals are the truth. A calibration sees only those
    totals, not the per-journey shares, and the truth is not the rule's own kernel output,
    so recovering `weights` from it is a fair test of `calibrate_position_weights`.

    Parameters
    ----------
    journeys : Journeys
    weights : mapping of role to share, or sequence in the order of `position_roles`
        Shares summing to 1.
    shape : {"U", "W", "full_path", "free"}, default "U"
    concentration : float, default 20.0
        Dirichlet concentration :math:`\kappa`: per-journey shares vary with variance
        :math:`w_r (1 - w_r) / (\kappa + 1)` around the weights (smaller is noisier).
    n_buckets : int, default 5
    random_state : int, Generator or None

    Returns
    -------
    GroundTruth
        Estimand ``"rule"``.

    Notes
    -----
    Draw :math:`g_{jr} \sim \mathrm{Gamma}(\kappa w_r)` independently; the touches of
    journey j get :math:`\sum_{r \ni i} g_{jr}/n_{jr} \,/\, \sum_{r \in R_j} g_{jr}`. The
    normalised :math:`g_{j\cdot}` restricted to any set of roles R is
    :math:`\mathrm{Dirichlet}(\kappa w_R)`, with mean :math:`w_R / \sum_{r \in R} w_r`, so
    the expected channel credit is exactly the rule's with shares w (including the
    renormalisation of short journeys), while each journey's split is random. An
    aggregated row draws one split for all its conversions.

    Examples
    --------
    >>> j = Journeys.from_paths(["a > b > c"] * 2000, conversions=[1] * 2000)
    >>> t = position_split_truth(j, {"first": 0.5, "middle": 0.2, "last": 0.3}, random_state=0)
    >>> t.share.round(2).tolist()
    [0.5, 0.2, 0.3]
    """
    from ..simulate import GroundTruth

    roles, touch, role = position_roles(journeys, shape, n_buckets)
    if isinstance(weights, dict):
        unknown = sorted(set(weights) - set(roles))
        if unknown or len(weights) != len(roles):
            raise ValueError(f"weights must give the roles {list(roles)}, got {sorted(weights)}")
        w = np.array([float(weights[r]) for r in roles])
    else:
        w = np.asarray(weights, dtype=np.float64)
        if w.shape != (len(roles),):
            raise ValueError(f"weights must be {len(roles)} shares for roles {list(roles)}")
    if not np.all(np.isfinite(w) & (w >= 0)) or not np.isclose(w.sum(), 1.0, atol=1e-9):
        raise ValueError(f"weights must be non-negative shares summing to 1, got {w.tolist()}")
    if not (isinstance(concentration, Real) and concentration > 0):
        raise ValueError(f"concentration must be a number > 0, got {concentration!r}")
    rng = check_random_state(random_state)
    n_roles = len(roles)
    jid = journeys.journey_index
    g = rng.gamma(np.broadcast_to(concentration * w, (journeys.n_journeys, n_roles)))
    pair_j = jid[touch]
    counts = np.bincount(pair_j * n_roles + role, minlength=journeys.n_journeys * n_roles)
    counts = counts.reshape(journeys.n_journeys, n_roles)
    denom = (g * (counts > 0)).sum(axis=1)
    touch_w = np.bincount(
        touch, g[pair_j, role] / counts[pair_j, role], minlength=journeys.n_touchpoints
    )
    ok = denom > 0
    touch_w = np.where(
        ok[jid], touch_w / np.where(ok, denom, 1.0)[jid], 1.0 / journeys.lengths[jid]
    )
    conv, val = credit_from_weights(journeys, touch_w)
    spec = ", ".join(f"{r}={x:g}" for r, x in zip(roles, w, strict=True))
    return GroundTruth(
        journeys.channel_names,
        "rule",
        conv,
        val,
        total_conversions=journeys.n_conversions,
        total_value=journeys.total_value,
        description=(
            f"each converting journey split by its own Dirichlet({concentration:g} x w) role"
            f" shares, mean w = {shape} shape {spec}"
        ),
    )
