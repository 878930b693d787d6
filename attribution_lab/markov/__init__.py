"""Markov-chain removal-effect attribution (Anderl et al. 2016; ChannelAttribution's model)."""

from __future__ import annotations

from .chain import (
    CONVERSION,
    NULL,
    START,
    MarkovChain,
    conversion_probability,
    fit_chain,
    removal_effects,
)
from .model import MarkovAttribution, chain_graph
from .order import OrderSelection, select_order
from .simulate import WalkEstimate, simulate_removal_effects

__all__ = [
    "CONVERSION",
    "NULL",
    "START",
    "MarkovAttribution",
    "MarkovChain",
    "OrderSelection",
    "WalkEstimate",
    "chain_graph",
    "conversion_probability",
    "fit_chain",
    "removal_effects",
    "select_order",
    "simulate_removal_effects",
]
