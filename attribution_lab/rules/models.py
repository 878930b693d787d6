"""Rule-based models: a thin `AttributionModel` class per rule kernel.

Each class stores and checks the rule's parameters and gives the weights of the touches
of any block of journeys; `RuleAttribution` credits the converting journeys block by
block (`rules._blocks`).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from .._validation import DataWarning, did_you_mean, show
from ..base import AttributionModel, register_model
from ..journeys import Journeys
from ..result import AttributionResult
from ._blocks import (
    _add_credit,
    _add_whole_credit,
    _all_journeys,
    _Block,
    _blocks,
    _credit_end_touch,
)
from .kernels import (
    _first_flagged,
    _last_non_direct_touch,
    _spaced_anchors,
    anchored_weights,
    custom_position_weights,
    first_touch_weights,
    last_non_direct_weights,
    last_touch_weights,
    linear_weights,
    position_decay_weights,
    time_decay_weights,
    unique_linear_weights,
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
]

#: Channel names treated as direct by `LastNonDirectAttribution` (compared case-insensitively).
DEFAULT_DIRECT = ("direct", "(direct)", "direct traffic", "(none)")


# ----------------------------------------------------------------------------- models
def _check_share(name: str, v: Any) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a number, got {type(v).__name__}")
    if not np.isfinite(v) or v < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {show(v)}")
    return float(v)


def _check_sum_to_one(shares: dict[str, Any]) -> None:
    vals = {k: _check_share(k, v) for k, v in shares.items()}
    total = sum(vals.values())
    if not np.isclose(total, 1.0, rtol=0, atol=1e-9):
        raise ValueError(
            "shares must sum to 1: "
            + " + ".join(f"{k}={v:g}" for k, v in vals.items())
            + f" = {total:g}"
        )


class RuleAttribution(AttributionModel):
    """Base of rule-based models: credit = conversions and value split by per-touch weights.

    A subclass gives the weights of the touches of any block of journeys
    (`_block_weights`); `_credit` adds the credit of the converting journeys block by block,
    with the same sums as `credit_from_weights` over the weights of all touches.
    """

    estimand = "rule"

    def touch_weights(self, journeys: Journeys) -> np.ndarray:
        """The weight of every touch of `journeys` (summing to 1 within each journey)."""
        self._validate_params()
        self._refuse_inert_params(journeys)
        return self._weights(journeys)

    def _weights(self, journeys: Journeys) -> np.ndarray:
        return self._block_weights(journeys, _all_journeys(journeys))

    def _block_weights(self, journeys: Journeys, block: _Block) -> np.ndarray:
        """Weights of the touches of the journeys of `block`."""
        raise NotImplementedError  # pragma: no cover

    def _credit(self, journeys: Journeys) -> tuple[np.ndarray, np.ndarray]:
        conv, val = np.zeros(journeys.n_channels), np.zeros(journeys.n_channels)
        for block in _blocks(journeys, converting=True):
            _add_credit(journeys, block, self._block_weights(journeys, block), conv, val)
        return conv, val

    def _attribute(self, journeys: Journeys) -> AttributionResult:
        if journeys.n_conversions == 0:
            warnings.warn(
                "the journeys have no conversions: every channel's credit is 0 (shares shown as 0)",
                DataWarning,
                stacklevel=3,
            )
        conv, val = self._credit(journeys)
        return self._result(journeys, conv, val)


class _EndTouchAttribution(RuleAttribution):
    """All credit of a conversion to one end of the journey: the first touch or the last.

    One implementation for first and last touch, which differ only in `_last`.
    """

    _last: bool

    def _block_weights(self, journeys: Journeys, block: _Block) -> np.ndarray:
        kernel = last_touch_weights if self._last else first_touch_weights
        return kernel(block.offsets)

    def _credit(self, journeys: Journeys) -> tuple[np.ndarray, np.ndarray]:
        return _credit_end_touch(journeys, last=self._last)


@register_model
class FirstTouchAttribution(_EndTouchAttribution):
    """All credit of a conversion to the journey's first touch.

    Examples
    --------
    >>> j = Journeys.from_paths(["A > B", "B > A"], conversions=[1, 3])
    >>> FirstTouchAttribution().fit(j).attribute().conversions.tolist()
    [1.0, 3.0]
    """

    name = "first_touch"
    summary = "all credit to the first touch"
    _last = False


@register_model
class LastTouchAttribution(_EndTouchAttribution):
    """All credit of a conversion to the journey's last touch.

    Examples
    --------
    >>> j = Journeys.from_paths(["A > B", "B > A"], conversions=[1, 3])
    >>> LastTouchAttribution().fit(j).attribute().conversions.tolist()
    [3.0, 1.0]
    """

    name = "last_touch"
    summary = "all credit to the last touch"
    _last = True


@register_model
class LastNonDirectAttribution(RuleAttribution):
    """All credit to the last touch that is not a direct visit.

    Parameters
    ----------
    direct_channels : str or sequence of str, optional
        Channels counted as direct (one name, or several). By default any channel whose
        name is, ignoring case, one of `DEFAULT_DIRECT` ("direct", "(direct)", "direct
        traffic", "(none)"). Names given explicitly must be channels of the journeys.

    Notes
    -----
    A journey made only of direct touches credits its last (direct) touch, as GA4's
    last-non-direct model does when there is no other source.

    Examples
    --------
    >>> j = Journeys.from_paths(["search > direct", "direct"], conversions=[1, 1])
    >>> LastNonDirectAttribution().fit(j).attribute().conversions.tolist()
    [1.0, 1.0]
    """

    name = "last_non_direct"
    summary = "all credit to the last touch that is not direct (all-direct paths credit direct)"

    def __init__(self, direct_channels: Sequence[str] | None = None) -> None:
        self.direct_channels = direct_channels

    def _validate_params(self) -> None:
        given = self._given()
        if given is not None and not all(isinstance(c, str) for c in given):
            raise TypeError(f"direct_channels must be channel names, got {self.direct_channels!r}")

    def _given(self) -> list[str] | None:
        # one name is one channel, not a sequence of one-letter names
        if self.direct_channels is None or isinstance(self.direct_channels, str):
            return None if self.direct_channels is None else [self.direct_channels]
        return list(self.direct_channels)

    def _fit(self, journeys: Journeys) -> None:
        self._is_direct(journeys)  # unknown direct channels are an error at fit time

    def _is_direct(self, journeys: Journeys) -> np.ndarray:
        names = journeys.channel_names
        given = self._given()
        if given is None:
            return np.array([n.strip().lower() in DEFAULT_DIRECT for n in names], dtype=bool)
        unknown = sorted(set(given) - set(names))
        if unknown:
            raise ValueError(
                f"direct_channels: {unknown} are not channels of the journeys"
                f"{did_you_mean(unknown[0], names)}"
            )
        return np.isin(np.asarray(names, dtype=object), given)

    def _block_weights(self, journeys: Journeys, block: _Block) -> np.ndarray:
        return last_non_direct_weights(
            journeys.channels[block.touches], block.offsets, self._is_direct(journeys)
        )

    def _credit(self, journeys: Journeys) -> tuple[np.ndarray, np.ndarray]:
        is_direct = self._is_direct(journeys)
        conv, val = np.zeros(journeys.n_channels), np.zeros(journeys.n_channels)
        for block in _blocks(journeys, converting=True):
            channels = journeys.channels[block.touches]
            credited = channels[_last_non_direct_touch(channels, block.offsets, is_direct)]
            _add_whole_credit(journeys, block.journeys, credited, conv, val)
        return conv, val


@register_model
class LinearAttribution(RuleAttribution):
    """Equal credit to every touch of a journey (or to every distinct channel).

    Parameters
    ----------
    unique_channels : bool, default False
        Split over the journey's distinct channels instead of its touches, so that a
        channel touched three times gets no more than one touched once.

    Examples
    --------
    >>> j = Journeys.from_paths(["A > A > B"], conversions=[3])
    >>> LinearAttribution().fit(j).attribute().conversions.tolist()
    [2.0, 1.0]
    >>> LinearAttribution(unique_channels=True).fit(j).attribute().conversions.tolist()
    [1.5, 1.5]
    """

    name = "linear"
    summary = "equal credit to every touch (unique_channels=True: to every distinct channel)"

    def __init__(self, unique_channels: bool = False) -> None:
        self.unique_channels = unique_channels

    def _validate_params(self) -> None:
        if not isinstance(self.unique_channels, (bool, np.bool_)):
            raise TypeError(f"unique_channels must be True or False, got {self.unique_channels!r}")

    def _block_weights(self, journeys: Journeys, block: _Block) -> np.ndarray:
        if self.unique_channels:
            channels = journeys.channels[block.touches]
            return unique_linear_weights(channels, block.offsets, journeys.n_channels)
        return linear_weights(block.offsets)


@register_model
class PositionBasedAttribution(RuleAttribution):
    """U-shaped credit: shares to the first and last touch, the rest over the middle touches.

    Parameters
    ----------
    first, middle, last : float, default 0.4, 0.2, 0.4
        Non-negative shares summing to 1.

    Notes
    -----
    A journey of one touch gives it all the credit. A journey of two touches has no middle,
    so they get ``first / (first + last)`` and ``last / (first + last)`` (0.5 / 0.5 by
    default); if both are 0 they split equally. From three touches on, each middle touch
    gets ``middle / (L - 2)``.

    Examples
    --------
    >>> j = Journeys.from_paths(["A > B > C > D", "A > B"], conversions=[1, 1])
    >>> PositionBasedAttribution().fit(j).attribute().conversions.round(3).tolist()
    [0.9, 0.6, 0.1, 0.4]
    """

    name = "position_based"
    summary = "U-shaped: first 0.4, last 0.4, 0.2 split over the middle touches"

    def __init__(self, first: float = 0.4, middle: float = 0.2, last: float = 0.4) -> None:
        self.first = first
        self.middle = middle
        self.last = last

    def _validate_params(self) -> None:
        _check_sum_to_one({"first": self.first, "middle": self.middle, "last": self.last})

    def _block_weights(self, journeys: Journeys, block: _Block) -> np.ndarray:
        lengths = np.diff(block.offsets)
        anchors = np.column_stack([np.zeros(lengths.size, np.int64), lengths - 1])
        return anchored_weights(block.offsets, anchors, [self.first, self.last], self.middle)


class _MilestoneAttribution(RuleAttribution):
    _milestones: tuple[str, ...] = ()

    def _shares(self) -> dict[str, Any]:  # pragma: no cover
        raise NotImplementedError

    def _validate_params(self) -> None:
        _check_sum_to_one(self._shares())

    def _block_weights(self, journeys: Journeys, block: _Block) -> np.ndarray:
        shares = list(self._shares().values())
        flags = journeys.milestones
        found = [
            _first_flagged(flags[m][block.touches] if m in flags else None, block.offsets)
            for m in self._milestones
        ]
        anchors = _spaced_anchors(np.diff(block.offsets), found)
        return anchored_weights(block.offsets, anchors, shares[:-1], shares[-1])


@register_model
class WShapedAttribution(_MilestoneAttribution):
    """W-shaped credit: first touch, lead-creation touch and opportunity-creation touch.

    Parameters
    ----------
    first, lead, opportunity, rest : float, default 0.3, 0.3, 0.3, 0.1
        Non-negative shares summing to 1; `rest` is split over the other touches.

    Notes
    -----
    Milestone touches are the first touches of a journey flagged ``"lead"`` and
    ``"opportunity"`` in ``Journeys.milestones``. Milestones at the same touch add their
    shares. A journey without a milestone flag (e.g. every journey of a path table) takes it
    at its evenly spaced position: with no flags at all the anchors are the first, middle
    (round half up) and last touches; see `evenly_spaced_anchors`. When no touch is left
    for `rest`, the anchor shares are renormalised to sum to 1.

    Examples
    --------
    >>> j = Journeys.from_paths(["A > B > C > D > E"], conversions=[1])
    >>> WShapedAttribution().fit(j).attribute().conversions.round(3).tolist()
    [0.3, 0.05, 0.3, 0.05, 0.3]
    """

    name = "w_shaped"
    summary = "W-shaped: 0.3 each to first, lead-creation and opportunity touches, 0.1 to the rest"
    _milestones = ("lead", "opportunity")

    def __init__(
        self, first: float = 0.3, lead: float = 0.3, opportunity: float = 0.3, rest: float = 0.1
    ) -> None:
        self.first = first
        self.lead = lead
        self.opportunity = opportunity
        self.rest = rest

    def _shares(self) -> dict[str, Any]:
        return {
            "first": self.first,
            "lead": self.lead,
            "opportunity": self.opportunity,
            "rest": self.rest,
        }


@register_model
class FullPathAttribution(_MilestoneAttribution):
    """Full-path (Z-shaped) credit: first, lead, opportunity and closed-won touches.

    Parameters
    ----------
    first, lead, opportunity, closed_won, rest : float, default 0.225 x 4 and 0.1
        Non-negative shares summing to 1.

    Notes
    -----
    As `WShapedAttribution`, with the ``"closed_won"`` milestone as a fourth anchor. Without
    milestone flags the anchors sit at positions 0, 1/3, 2/3 and 1 of the journey.

    Examples
    --------
    >>> j = Journeys.from_paths(["A > B > C > D > E"], conversions=[1])
    >>> FullPathAttribution().fit(j).attribute().conversions.round(3).tolist()
    [0.225, 0.225, 0.1, 0.225, 0.225]
    """

    name = "full_path"
    summary = "full-path (Z): 0.225 each to first, lead, opportunity, closed-won; 0.1 to the rest"
    _milestones = ("lead", "opportunity", "closed_won")

    def __init__(
        self,
        first: float = 0.225,
        lead: float = 0.225,
        opportunity: float = 0.225,
        closed_won: float = 0.225,
        rest: float = 0.1,
    ) -> None:
        self.first = first
        self.lead = lead
        self.opportunity = opportunity
        self.closed_won = closed_won
        self.rest = rest

    def _shares(self) -> dict[str, Any]:
        return {
            "first": self.first,
            "lead": self.lead,
            "opportunity": self.opportunity,
            "closed_won": self.closed_won,
            "rest": self.rest,
        }


@register_model
class TimeDecayAttribution(RuleAttribution):
    """Credit decaying with the time between a touch and the conversion.

    Parameters
    ----------
    half_life : float, default 7.0
        Days after which a touch's weight halves (time units of ``Journeys.times``).
    position_half_life : float, default 1.0
        Touches after which the weight halves, used when the journeys have no timestamps.
    use_times : bool, optional
        Force the timed (True) or the positional (False) variant; by default the timed one
        when the journeys have timestamps.

    Notes
    -----
    With timestamps, touch i of a journey converting at t gets weight
    ``2 ** (-(t - t_i) / half_life)``, normalised over the journey. The conversion time
    cancels in the normalisation, so it does not matter whether ``end_time`` is known.
    Without timestamps, the touch i steps before the last gets ``2 ** (-i / position_half_life)``
    (halving per touch by default), normalised.

    Only one of the two half-lives acts on given journeys, so setting the other one is an
    error rather than a silent no-op: `half_life` on journeys without touch times (every
    path table), `position_half_life` on journeys with them (unless ``use_times=False``).

    Examples
    --------
    >>> j = Journeys.from_paths([["A", "B"]], conversions=[1], times=[[0.0, 7.0]])
    >>> TimeDecayAttribution(half_life=7).fit(j).attribute().conversions.round(4).tolist()
    [0.3333, 0.6667]
    >>> untimed = Journeys.from_paths(["A > B"], conversions=[1])
    >>> TimeDecayAttribution(position_half_life=2).fit(untimed).attribute().conversions.round(4)
    array([0.4142, 0.5858])
    >>> TimeDecayAttribution(half_life=14).fit(untimed)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: time_decay: parameter half_life=14 cannot act: the journeys have no touch times...
    """

    name = "time_decay"
    summary = "weight 2^(-(t_conversion - t_touch)/half_life); by position without timestamps"

    def __init__(
        self, half_life: float = 7.0, position_half_life: float = 1.0, use_times: bool | None = None
    ) -> None:
        self.half_life = half_life
        self.position_half_life = position_half_life
        self.use_times = use_times

    def _validate_params(self) -> None:
        for nm in ("half_life", "position_half_life"):
            v = _check_share(nm, getattr(self, nm))
            if v <= 0:
                raise ValueError(f"{nm} must be > 0, got {show(v)}")
        if self.use_times not in (None, True, False):
            raise TypeError(f"use_times must be None, True or False, got {self.use_times!r}")

    def _inert_params(self, journeys: Journeys) -> dict[str, str]:
        if not self._timed(journeys):
            why = (
                "the journeys have no touch times (a path table has none)"
                if not journeys.has_times
                else "use_times=False weighs touches by position"
            )
            return {
                "half_life": f"{why}; position_half_life (in touches) sets the by-position decay"
            }
        return {
            "position_half_life": "the journeys have touch times, so half_life (in days) sets"
            " the decay; pass use_times=False to weigh touches by position"
        }

    def _timed(self, journeys: Journeys) -> bool:
        timed = journeys.has_times if self.use_times is None else self.use_times
        if timed and not journeys.has_times:
            raise ValueError("use_times=True but the journeys have no touch times")
        return bool(timed)

    def _credit(self, journeys: Journeys) -> tuple[np.ndarray, np.ndarray]:
        self._timed(journeys)  # fails before the first block, even with no journeys
        return super()._credit(journeys)

    def _block_weights(self, journeys: Journeys, block: _Block) -> np.ndarray:
        if self._timed(journeys):
            times = journeys.times[block.touches]
            return time_decay_weights(block.offsets, times, float(self.half_life))
        return position_decay_weights(block.offsets, float(self.position_half_life))


@register_model
class CustomPositionAttribution(RuleAttribution):
    """Credit by position with user-chosen weights.

    Parameters
    ----------
    weights : sequence of float, default (1.0,)
        Raw weight of positions 0, 1, ..., m - 1 (counted from the first touch, or from the
        last when `from_end`); the last weight applies to all later positions. Weights are
        normalised within each journey; a journey whose weights are all 0 splits equally
        (weights that are all 0 are refused: that would be the linear model).
    from_end : bool, default False

    Examples
    --------
    >>> j = Journeys.from_paths(["A > B > C"], conversions=[1])
    >>> CustomPositionAttribution(weights=[0.6, 0.3, 0.1]).fit(j).attribute().conversions.tolist()
    [0.6, 0.3, 0.1]
    """

    name = "custom_position"
    summary = "user-chosen weights by position from the first (or last) touch, normalised"

    def __init__(self, weights: Sequence[float] = (1.0,), from_end: bool = False) -> None:
        self.weights = weights
        self.from_end = from_end

    def _validate_params(self) -> None:
        if isinstance(self.weights, (str, bytes)) or not isinstance(
            self.weights, Sequence | np.ndarray
        ):
            raise TypeError(f"weights must be a sequence of numbers, got {self.weights!r}")
        if len(self.weights) == 0:
            raise ValueError("weights must not be empty")
        if sum(_check_share(f"weights[{k}]", v) for k, v in enumerate(self.weights)) == 0:
            # all-zero weights would make every journey split equally: linear under another name
            raise ValueError(
                f"weights must not all be 0, got {show(list(self.weights))}"
                " (for equal credit use the linear model)"
            )
        if not isinstance(self.from_end, (bool, np.bool_)):
            raise TypeError(f"from_end must be True or False, got {self.from_end!r}")

    def _block_weights(self, journeys: Journeys, block: _Block) -> np.ndarray:
        weights = np.asarray(self.weights, dtype=float)
        return custom_position_weights(block.offsets, weights, bool(self.from_end))
