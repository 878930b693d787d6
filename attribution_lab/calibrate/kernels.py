"""The kernels: decayed exposures of each channel, and a position rule's credit as a
closed-form function of its role shares (`position_roles`, `RoleTable`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..journeys import Journeys
from ..rules import (
    evenly_spaced_anchors,
)
from ._common import _LN2, _check_buckets

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
