"""Shapley-value attribution: games (value functions) and the estimators of their values."""

from __future__ import annotations

from .base import MAX_EXACT_PLAYERS, FunctionGame, Game, ShapleyResult, as_coalitions
from .exact import ExactShapley, shapley_values_from_table, shapley_weights
from .games import (
    CounterfactualRateGame,
    ModelGame,
    SetRateGame,
    SubsetConversionGame,
    TouchpointGame,
    exposure_features,
    journey_channel_sets,
)
from .model import ShapleyAttribution
from .sampling import (
    AntitheticPermutationSampling,
    KernelShapley,
    PermutationSampling,
    StratifiedSampling,
    convergence,
)
from .synthetic import (
    AdditiveGame,
    GloveGame,
    UnanimityGame,
    UnanimitySumGame,
    glove_shapley_values,
    random_unanimity_sum,
)

__all__ = [
    "MAX_EXACT_PLAYERS",
    "AdditiveGame",
    "AntitheticPermutationSampling",
    "CounterfactualRateGame",
    "ExactShapley",
    "FunctionGame",
    "Game",
    "GloveGame",
    "KernelShapley",
    "ModelGame",
    "PermutationSampling",
    "SetRateGame",
    "ShapleyAttribution",
    "ShapleyResult",
    "StratifiedSampling",
    "SubsetConversionGame",
    "TouchpointGame",
    "UnanimityGame",
    "UnanimitySumGame",
    "as_coalitions",
    "convergence",
    "exposure_features",
    "glove_shapley_values",
    "journey_channel_sets",
    "random_unanimity_sum",
    "shapley_values_from_table",
    "shapley_weights",
]
