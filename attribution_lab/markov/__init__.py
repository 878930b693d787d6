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

__all__ = [
    "CONVERSION",
    "NULL",
    "START",
    "MarkovChain",
    "conversion_probability",
    "fit_chain",
    "removal_effects",
]
