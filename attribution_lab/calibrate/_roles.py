"""Private: a position rule's credit at given role shares, as an `AttributionResult`."""

from __future__ import annotations

import numpy as np

from ..journeys import Journeys
from ..result import AttributionResult
from .kernels import RoleTable, position_roles

_SHAPE_MODEL = {
    "U": "position_based",
    "W": "w_shaped",
    "full_path": "full_path",
    "free": "position_buckets",
}


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
