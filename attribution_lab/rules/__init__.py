"""Rule-based attribution: fixed rules that split each conversion over its journey's touches.

Every rule is a pure, vectorised kernel returning one weight per touch (weights of a
journey sum to 1) over the CSR arrays of `Journeys`; `credit_from_weights` turns weights
into channel credit, and a thin model class per rule adds parameters and validation.
`attribution_lab.rules._reference` holds a slow per-journey version of each kernel for tests.

Models credit the converting journeys block by block, with the same sums, bit for bit,
as one ``np.bincount`` over the weights of all touches, while no temporary spans all
touches.

Layout: `rules.kernels` (the pure weight functions and `credit_from_weights`),
`rules.models` (the model classes), `rules._blocks` (block-by-block crediting) and
`rules._reference` (the slow per-journey twins).
"""

from __future__ import annotations

from .kernels import (
    anchored_weights,
    credit_from_weights,
    custom_position_weights,
    evenly_spaced_anchors,
    first_touch_weights,
    last_non_direct_weights,
    last_touch_weights,
    linear_weights,
    position_decay_weights,
    time_decay_weights,
    unique_linear_weights,
)
from .models import (  # DEFAULT_DIRECT: importable from here as before, not in __all__
    DEFAULT_DIRECT,  # noqa: F401
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

__all__ = [
    "CustomPositionAttribution",
    "FirstTouchAttribution",
    "FullPathAttribution",
    "LastNonDirectAttribution",
    "LastTouchAttribution",
    "LinearAttribution",
    "PositionBasedAttribution",
    "TimeDecayAttribution",
    "WShapedAttribution",
    "anchored_weights",
    "credit_from_weights",
    "custom_position_weights",
    "evenly_spaced_anchors",
    "first_touch_weights",
    "last_non_direct_weights",
    "last_touch_weights",
    "linear_weights",
    "position_decay_weights",
    "time_decay_weights",
    "unique_linear_weights",
]
