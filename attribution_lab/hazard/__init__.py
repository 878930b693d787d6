"""Time-to-event attribution: the additive-hazard model of Zhang, Wei & Ren (2014)."""

from __future__ import annotations

from .model import (
    HazardAttribution,
    HazardGame,
    hazard_coalition_values,
    hazard_log_likelihood,
    hazard_touch_weights,
)

__all__ = [
    "HazardAttribution",
    "HazardGame",
    "hazard_coalition_values",
    "hazard_log_likelihood",
    "hazard_touch_weights",
]
