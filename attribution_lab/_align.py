"""Aligning results by channel, shared by evaluate and calibrate (the comparison layer)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .result import AttributionResult


def as_reference(truth: Any) -> AttributionResult:
    """The truth as an AttributionResult (a GroundTruth is rescaled to its totals)."""
    # imported here: importing the simulators is not needed to compare models
    from .simulate.base import GroundTruth

    if isinstance(truth, GroundTruth):
        return truth.to_result()
    if isinstance(truth, AttributionResult):
        return truth
    raise TypeError(
        f"truth must be a GroundTruth or an AttributionResult, got {type(truth).__name__}"
    )


def align_channels(
    names: Sequence[str], reference: Sequence[str], what: str, ref_what: str = "the truth"
) -> np.ndarray:
    """Positions in `names` of each channel of `reference`; ValueError naming a mismatch."""
    pos = {n: k for k, n in enumerate(names)}
    missing = [n for n in reference if n not in pos]
    extra = sorted(set(names) - set(reference))
    if missing or extra:
        if missing:
            msg = f"channel {missing[0]!r} of {ref_what} is missing from {what}"
        else:
            msg = f"channel {extra[0]!r} of {what} is not in {ref_what}"
        n_more = len(missing) + len(extra) - 1
        more = f" ({n_more} more mismatched channel{'s' * (n_more > 1)})" if n_more else ""
        raise ValueError(f"{msg}{more}; results must cover the same channels")
    return np.fromiter((pos[n] for n in reference), dtype=np.int64, count=len(reference))
