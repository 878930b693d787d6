"""`EventsReport`: what `events_to_journeys` kept and dropped, and why.

`DROPS` names the counts of rows and touches dropped, in the order they are checked; the
SQL path (`attribution_lab.sql`) reports its counts under the same names.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

import pandas as pd

#: The counts of `EventsReport` that are rows or touches dropped, in the order checked.
DROPS = (
    "duplicates",
    "missing_user",
    "missing_account",
    "missing_time",
    "after_observation_end",
    "missing_channel",
    "unassigned_dropped",
    "outside_lookback",
    "beyond_max_length",
    "conversions_without_touches",
    "milestones_unplaced",
)


@dataclass(frozen=True, eq=False)
class EventsReport:
    """What `events_to_journeys` kept and dropped, and why.

    Every input row is either used or counted under exactly one reason, checked in
    this order: ``duplicates``, ``missing_user``, ``missing_account``,
    ``missing_time``, ``after_observation_end``, ``missing_channel``. Touches later
    removed are counted under ``unassigned_dropped``, ``outside_lookback`` or
    ``beyond_max_length``; conversions under ``conversions_without_touches``.

    Attributes
    ----------
    n_events : int
        Rows of the input.
    duplicates, missing_user, missing_account, missing_time, after_observation_end, \
missing_channel : int
        Rows dropped, by reason.
    unassigned : int
        Touches the channel rules left ``"Unassigned"`` (kept unless
        ``drop_unassigned``; then also counted in ``unassigned_dropped``).
    unassigned_dropped, outside_lookback, beyond_max_length : int
        Touches dropped, by reason.
    conversions_without_touches : int
        Conversions that yielded no journey.
    value_without_touches : float
        Their conversion value, which no journey carries.
    milestones_unplaced : int
        Milestone flags (row x milestone) with no kept touch at or before them.
    n_journeys, n_converting, n_touchpoints : int
        What was built.
    tied_times : int
        Kept touches at the same time as the previous touch of their journey; their
        order is the input's (see step 6 of `attribution_lab.events`).
    observation_end : float
        End of observation in days (the ``end_time`` of non-converting journeys).
    touches : DataFrame
        One row per touch of the journeys, in their order: ``journey``, ``position``,
        ``row`` (position of the touch's row in the input frame), ``contact`` (the
        touch's user id; for stitched identities the person number; missing where a
        B2B touch had only an account) and the `touch_columns`.
    """

    n_events: int = 0
    duplicates: int = 0
    missing_user: int = 0
    missing_account: int = 0
    missing_time: int = 0
    after_observation_end: int = 0
    missing_channel: int = 0
    unassigned: int = 0
    unassigned_dropped: int = 0
    outside_lookback: int = 0
    beyond_max_length: int = 0
    conversions_without_touches: int = 0
    value_without_touches: float = 0.0
    milestones_unplaced: int = 0
    n_journeys: int = 0
    n_converting: int = 0
    n_touchpoints: int = 0
    tied_times: int = 0
    observation_end: float = float("nan")
    touches: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)

    @property
    def dropped(self) -> dict[str, int]:
        """The non-zero counts of everything dropped, by reason."""
        return {k: getattr(self, k) for k in DROPS if getattr(self, k)}

    def to_dict(self) -> dict[str, Any]:
        """The counts (not the touches frame) as a dict."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "touches"}

    def __str__(self) -> str:
        drops = []
        for k, v in self.dropped.items():
            drops.append(f"{k.replace('_', ' ')} {v}")
            if k == "conversions_without_touches" and self.value_without_touches:
                drops[-1] += f" (value {self.value_without_touches:,.6g})"
        extra = f"; {self.unassigned} touches unassigned" if self.unassigned else ""
        if self.tied_times:
            extra += (
                f"; tied times {self.tied_times} (touches at the same time as the previous"
                " touch of their journey, kept in input order)"
            )
        return (
            f"from_events: {self.n_events} events -> {self.n_journeys} journeys"
            f" ({self.n_converting} converting), {self.n_touchpoints} touches; dropped: "
            f"{', '.join(drops) or 'nothing'}{extra}"
        )
