"""Time-to-event attribution: the additive-hazard model of Zhang, Wei & Ren (2014).

Each touch raises the hazard of converting from the moment it happens, by an amount that
decays exponentially at a per-channel rate; a journey is at risk from its first touch until
it converts or its observation ends. Fitting by maximum likelihood therefore respects that
converting journeys stop at the conversion while the others run to the end of observation,
which a model of "converted or not" on exposure counts cannot (the design's second pitfall).

The math is in pure vectorised kernels over the CSR arrays of `Journeys`
(`hazard.kernels`: `hazard_log_likelihood`, `hazard_touch_weights`, on the arrays
`hazard._data` prepares); `HazardAttribution` (`hazard.model`) adds the fit, the standard
errors and the credit, and `HazardGame` (`hazard.game`) turns a fitted model into a
Shapley value function.
"""

from __future__ import annotations

from .game import HazardGame, hazard_coalition_values
from .kernels import hazard_log_likelihood, hazard_touch_weights
from .model import HazardAttribution

__all__ = [
    "HazardAttribution",
    "HazardGame",
    "hazard_coalition_values",
    "hazard_log_likelihood",
    "hazard_touch_weights",
]
