"""The touch-level arrays the additive-hazard likelihood needs, prepared once per fit."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..journeys import Journeys

_LN2 = float(np.log(2.0))


def _timed(journeys: Journeys, what: str) -> tuple[np.ndarray, np.ndarray]:
    """(times, end_time) of `journeys`, or a ValueError saying how to get them."""
    if journeys.times is None:
        raise ValueError(
            f"{what} needs touch times (Journeys.times, in days) and the journeys have none:"
            " path tables carry no timestamps. Build the journeys with times= and end_time="
            " (Journeys(...) or Journeys.from_paths(paths, conversions, nulls, times=...,"
            " end_time=...)), or simulate them (attribution_lab.simulate.simulate('hazard', n))"
        )
    if journeys.end_time is None:
        raise ValueError(
            f"{what} needs each journey's end_time (its conversion time if it converted, the"
            " end of observation otherwise, in days) and the journeys have none: pass"
            " end_time= when building the Journeys"
        )
    return np.asarray(journeys.times, dtype=np.float64), np.asarray(
        journeys.end_time, dtype=np.float64
    )


@dataclass(frozen=True, eq=False)
class _Prepared:
    r"""Touch-level arrays the likelihood needs, computed once per fit.

    Touches are split into those of rows with conversions (``conv``) and the others
    (``null``), each group sorted by channel, so that channel c's touches are the slice
    ``bounds[c]:bounds[c + 1]`` of its group: every channel then has scalar parameters
    and its sums are dot products. Per touch: ``lag`` :math:`T_j - t_i`, ``at_risk`` the
    customers of its row, ``risk_lag`` their product; ``row`` (conv group only) the
    compact index of its row into ``y``, the conversions of the converting rows.
    ``window_exposure`` is :math:`\sum_j n_j (T_j - s_j)`, :math:`s_j` the first touch.
    """

    n_channels: int
    groups: tuple[dict[str, np.ndarray], dict[str, np.ndarray]]
    at_risk_sum: np.ndarray  # per channel: sum of at_risk over all its touches
    row: np.ndarray
    y: np.ndarray
    window_exposure: float
    total: float
    channel: np.ndarray  # per touch, in the journeys' order (for checks)
    conv_channel: np.ndarray  # channel of every touch of a converting row


def _prepare(journeys: Journeys) -> _Prepared:
    times, end = _timed(journeys, "the additive-hazard model")
    jid = journeys.journey_index
    c = journeys.n_channels
    n = np.asarray(journeys.conversions) + np.asarray(journeys.nulls)
    start = times[journeys.offsets[:-1]]
    conv = np.asarray(journeys.conversions) > 0
    rows = np.flatnonzero(conv)
    compact = np.full(journeys.n_journeys, -1, dtype=np.int64)
    compact[rows] = np.arange(rows.size)
    channel = np.asarray(journeys.channels, dtype=np.int64)
    lag = end[jid] - times
    groups = []
    row = np.zeros(0, dtype=np.int64)
    for in_conv in (True, False):
        pick = np.flatnonzero(conv[jid] == in_conv)
        pick = pick[np.argsort(channel[pick], kind="stable")]
        at_risk = n[jid[pick]]
        g = {
            "bounds": np.searchsorted(channel[pick], np.arange(c + 1)),
            "lag": lag[pick],
            "at_risk": at_risk,
            "risk_lag": at_risk * lag[pick],
        }
        if in_conv:
            row = compact[jid[pick]]
            conv_channel = channel[pick]
        groups.append(g)
    at_risk_sum = np.bincount(channel, n[jid], minlength=c)
    return _Prepared(
        n_channels=c,
        groups=(groups[0], groups[1]),
        at_risk_sum=at_risk_sum,
        row=row,
        y=np.asarray(journeys.conversions)[rows],
        window_exposure=float(n @ (end - start)),
        total=float(n.sum()),
        channel=channel,
        conv_channel=conv_channel,
    )
