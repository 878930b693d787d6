"""Journey analytics (moved to analytics/results.py whole; the next commit splits it)."""

from .results import *  # noqa: F403
from .results import ANY_CHANNEL, __all__, _quantiles  # noqa: F401
