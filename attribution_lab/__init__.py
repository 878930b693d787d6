"""attribution_lab: data-driven multi-touch attribution with ground truth and uncertainty."""

from __future__ import annotations

from .analytics import (
    channel_overlap,
    channel_stats,
    describe,
    funnel,
    path_lengths,
    time_to_conversion,
    top_paths,
    transitions,
)
from .base import AttributionModel, available_models, get_model, register_model
from .calibrate import (
    HalfLifeResult,
    PositionWeightsResult,
    calibrate_position_weights,
    calibrate_time_decay,
    calibrate_to_experiments,
)
from .channels import ChannelGrouping, group_channels
from .datasets import load_pathdata
from .evaluate import AgreementResult, accuracy, accuracy_table, agreement, compare
from .events import EventsReport, events_to_journeys, stitch_identities
from .hawkes import PointProcessAttribution
from .hazard import HazardAttribution, HazardGame
from .journeys import MILESTONES, Journeys
from .lift import LiftTest, read_lift_tests
from .markov import MarkovAttribution
from .readers import read_criteo_attribution, read_events, read_ga4_export, read_path_table
from .reporting import report
from .result import ESTIMANDS, AttributionResult, NegativeCreditWarning
from .roi import read_costs, roi
from .rules import (
    CustomPositionAttribution,
    FirstTouchAttribution,
    FullPathAttribution,
    LastNonDirectAttribution,
    LastTouchAttribution,
    LinearAttribution,
    PositionBasedAttribution,
    TimeDecayAttribution,
    WShapedAttribution,
)
from .shapley import ShapleyAttribution
from .uncertainty import BootstrapResult, bootstrap

__version__ = "0.1.0.dev0"

__all__ = [
    "ESTIMANDS",
    "MILESTONES",
    "AgreementResult",
    "AttributionModel",
    "AttributionResult",
    "BootstrapResult",
    "ChannelGrouping",
    "CustomPositionAttribution",
    "EventsReport",
    "FirstTouchAttribution",
    "FullPathAttribution",
    "HalfLifeResult",
    "HazardAttribution",
    "HazardGame",
    "Journeys",
    "LastNonDirectAttribution",
    "LastTouchAttribution",
    "LiftTest",
    "LinearAttribution",
    "MarkovAttribution",
    "NegativeCreditWarning",
    "PointProcessAttribution",
    "PositionBasedAttribution",
    "PositionWeightsResult",
    "ShapleyAttribution",
    "TimeDecayAttribution",
    "WShapedAttribution",
    "__version__",
    "accuracy",
    "accuracy_table",
    "agreement",
    "available_models",
    "bootstrap",
    "calibrate_position_weights",
    "calibrate_time_decay",
    "calibrate_to_experiments",
    "channel_overlap",
    "channel_stats",
    "compare",
    "describe",
    "events_to_journeys",
    "funnel",
    "get_model",
    "group_channels",
    "load_pathdata",
    "path_lengths",
    "read_costs",
    "read_criteo_attribution",
    "read_events",
    "read_ga4_export",
    "read_lift_tests",
    "read_path_table",
    "register_model",
    "report",
    "roi",
    "stitch_identities",
    "time_to_conversion",
    "top_paths",
    "transitions",
]
