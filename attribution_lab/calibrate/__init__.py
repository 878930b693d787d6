"""Calibration (moved to calibrate/results.py whole; the next commit splits it)."""

from .results import *  # noqa: F403
from .results import _MATCH_METRICS, __all__, _DecayLikelihood, _fit_logistic  # noqa: F401
