"""Mediation: attribution by a mutually exciting point process (Xu, Duan & Whinston 2014).

Touches of one channel trigger later touches of others (display sends people to search for
the brand); conversions follow the additive hazard of `attribution_lab.hazard`. Removing a
channel removes the touches it triggered, down the chain, so a channel is credited with the
conversions of the touches it caused.
"""

from __future__ import annotations

from ._draw import PointProcessDraw, check_process, draw_point_process
from .game import PointProcessGame
from .kernels import point_process_log_likelihood
from .model import PointProcessAttribution

__all__ = [
    "PointProcessAttribution",
    "PointProcessDraw",
    "PointProcessGame",
    "check_process",
    "draw_point_process",
    "point_process_log_likelihood",
]
