"""Calibrating the free parameters of the rules from data: time-decay half-lives, position weights.

`calibrate_time_decay` fits the half-life of the time-decay rule, either as the decay of a
conversion model (``method="likelihood"``: profile likelihood of a logistic model on decayed
exposures, with a likelihood-ratio interval) or as the half-life whose rule agrees best with a
reference attribution (``method="match"``). `calibrate_position_weights` fits the shares of the
position-based (U), W-shaped and full-path rules, or of position buckets, to a reference
attribution, with bootstrap intervals. `calibrate_to_experiments` moves any model's credit
toward lift tests (`attribution_lab.lift.LiftTest`), combining the model's and the
experiments' uncertainty.

The math is in pure vectorised kernels over the CSR arrays of `Journeys` (`decay_exposure`,
`position_roles`, `RoleTable`); the two functions add the search, the intervals and the
result objects (`HalfLifeResult`, `PositionWeightsResult`).

The package's modules: `kernels` (`decay_exposure`, `position_roles`, `RoleTable`,
`SHAPES`), `half_life` (`calibrate_time_decay`, its two methods in private modules),
`position_weights` (`calibrate_position_weights`, `position_split_truth`), `experiments`
(`calibrate_to_experiments`, `combine_estimates`) and `results`
(the result types); every name is imported from ``attribution_lab.calibrate`` itself.
"""

from __future__ import annotations

# a constant of the command line's --metric choices, importable here but not in __all__
from ._match import MATCH_METRICS  # noqa: F401
from .experiments import UNTESTED_POLICIES, calibrate_to_experiments, combine_estimates
from .half_life import calibrate_time_decay
from .kernels import SHAPES, RoleTable, decay_exposure, position_roles
from .position_weights import calibrate_position_weights, position_split_truth
from .results import HalfLifeResult, PositionWeightsResult

__all__ = [
    "SHAPES",
    "UNTESTED_POLICIES",
    "HalfLifeResult",
    "PositionWeightsResult",
    "RoleTable",
    "calibrate_position_weights",
    "calibrate_time_decay",
    "calibrate_to_experiments",
    "combine_estimates",
    "decay_exposure",
    "position_roles",
    "position_split_truth",
]
