"""Shapley-value attribution: games (value functions) and the estimators of their values."""

from __future__ import annotations

from .base import MAX_EXACT_PLAYERS, FunctionGame, Game, ShapleyResult, as_coalitions
from .exact import ExactShapley, shapley_values_from_table, shapley_weights
from .games import (
    ModelGame,
    SetRateGame,
    SubsetConversionGame,
    TouchpointGame,
    exposure_features,
    journey_channel_sets,
)
from .model import ShapleyAttribution

__all__ = [
    "MAX_EXACT_PLAYERS",
    "ExactShapley",
    "FunctionGame",
    "Game",
    "ModelGame",
    "SetRateGame",
    "ShapleyAttribution",
    "ShapleyResult",
    "SubsetConversionGame",
    "TouchpointGame",
    "as_coalitions",
    "exposure_features",
    "journey_channel_sets",
    "shapley_values_from_table",
    "shapley_weights",
]
