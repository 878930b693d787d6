"""Journeys restricted to some rows with new counts: the gather behind every bootstrap."""

from __future__ import annotations

import numpy as np

from .journeys import Journeys


def take_rows(
    journeys: Journeys,
    rows: np.ndarray,
    conversions: np.ndarray,
    nulls: np.ndarray,
    value: np.ndarray,
) -> Journeys:
    """`journeys` restricted to `rows` (sorted indices) with new counts, in one gather."""
    if rows.size == journeys.n_journeys:
        touch = None
        offsets = journeys.offsets
    else:
        lengths = journeys.lengths[rows]
        offsets = np.zeros(rows.size + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        touch = np.repeat(journeys.offsets[rows] - offsets[:-1], lengths) + np.arange(offsets[-1])

    def per_touch(a: np.ndarray | None) -> np.ndarray | None:
        return a if a is None or touch is None else a[touch]

    def per_row(a: np.ndarray | None) -> np.ndarray | None:
        return a if a is None or touch is None else a[rows]

    return Journeys(
        per_touch(journeys.channels),
        offsets,
        journeys.channel_names,
        conversions,
        nulls,
        value,
        times=per_touch(journeys.times),
        end_time=per_row(journeys.end_time),
        account=per_row(journeys.account),
        contact=per_row(journeys.contact),
        milestones={k: per_touch(v) for k, v in journeys.milestones.items()},
    )
