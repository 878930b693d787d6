"""Simulated worlds whose true attribution is known.

Every world's ``simulate(n_journeys, random_state)`` returns a `Simulation`: the journeys
and a `GroundTruth` naming its estimand. Named scenarios (`scenarios`, `make_world`)
fix worlds built to expose one behaviour each. Every causal world also runs holdout
experiments (`World.experiment`, returning an `ExperimentResult`).
"""

from __future__ import annotations

from typing import Any

from . import _scenarios  # noqa: F401  (fills the scenario table)
from ._experiment import ExperimentResult
from .b2b import AccountWorld
from .base import GroundTruth, Simulation, World, make_world, register_scenario, scenarios
from .causal import CausalWorld
from .coalition import CoalitionWorld
from .hazard import HazardWorld
from .markov import MarkovWorld
from .point_process import PointProcessWorld

__all__ = [
    "AccountWorld",
    "CausalWorld",
    "CoalitionWorld",
    "ExperimentResult",
    "GroundTruth",
    "HazardWorld",
    "MarkovWorld",
    "PointProcessWorld",
    "Simulation",
    "World",
    "make_world",
    "register_scenario",
    "scenarios",
    "simulate",
]


def simulate(scenario: str, n_journeys: int, random_state: Any = None, **params: Any) -> Simulation:
    """Journeys and ground truth from a named scenario.

    Parameters
    ----------
    scenario : str
        A name from `scenarios()`.
    n_journeys : int
    random_state : int, Generator or None
        Seed of the draw (the scenario's world itself is fixed).
    **params
        Override the scenario's parameters.

    Examples
    --------
    >>> sim = simulate("coalition", 2000, random_state=0)
    >>> sim.journeys.n_journeys, sim.truth.estimand
    (2000, 'shapley')
    """
    return make_world(scenario, **params).simulate(n_journeys, random_state=random_state)
