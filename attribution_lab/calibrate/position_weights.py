"""`calibrate_position_weights`: the shares of a position rule fitted to a reference; and
`position_split_truth`, the known answer of a position split for tests and benchmarks."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from numbers import Real
from typing import Any

import numpy as np
import pandas as pd

from .._validation import check_level, check_random_state
from ..journeys import Journeys
from ..rules import (
    credit_from_weights,
)
from ._common import (
    _check_buckets,
    _check_journeys,
    _check_n_boot,
    _percentile_interval,
    _progress,
    _Reference,
    _replicate,
    _resample,
)
from ._roles import _role_result
from .kernels import SHAPES, RoleTable, position_roles
from .results import PositionWeightsResult


def _default_weights(shape: str, roles: Sequence[str]) -> np.ndarray:
    if shape == "free":
        return np.full(len(roles), 1.0 / len(roles))
    return np.array([SHAPES[shape][r] for r in roles])


def _simplex_fit(
    table: RoleTable, target: np.ndarray, starts: Sequence[np.ndarray]
) -> tuple[np.ndarray, float]:
    """Least squares of shares over the simplex (SLSQP, analytic gradient), best of starts."""
    from scipy import optimize

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
    >>> from attribution_lab import PositionBasedAttribution
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
    level = check_level(ci_level)
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
