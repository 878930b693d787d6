"""Ground truth, simulations and the scenario registry shared by every world."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..journeys import Journeys
from ..result import ESTIMANDS, AttributionResult

if TYPE_CHECKING:
    from ._experiment import ExperimentResult

__all__ = [
    "GroundTruth",
    "Simulation",
    "World",
    "make_world",
    "register_scenario",
    "scenarios",
]


@dataclass(frozen=True, eq=False)
class GroundTruth:
    """The true credit of each channel in a simulated world, and what it means.

    Parameters
    ----------
    channel_names : tuple of str
    estimand : str
        One of ``attribution_lab.result.ESTIMANDS``: ``"removal_effect"`` (Markov
        worlds), ``"shapley"`` or ``"incremental"`` (causal worlds).
    conversions : ndarray
        True credit in conversions per channel, on the scale of the simulated journeys.
    value : ndarray
        True credit in conversion value per channel.
    total_conversions, total_value : float
        The totals the credit is measured against: for removal effects and normalised
        Shapley credit the journeys' conversions and value; for incremental credit, the
        conversions and value of the journeys (part of which no channel caused).
    description : str
        One sentence on how the truth was computed.
    details : mapping of str to ndarray
        Further per-channel numbers (e.g. ``removal_effect``, ``shapley_value``,
        ``incremental_conversions``).

    Examples
    --------
    >>> t = GroundTruth(("a", "b"), "incremental", np.array([3.0, 1.0]), np.array([30.0, 5.0]),
    ...                 total_conversions=6, total_value=50, description="by hand")
    >>> t.share.tolist()  # shares of the credited conversions, not of the total
    [0.75, 0.25]
    """

    channel_names: tuple[str, ...]
    estimand: str
    conversions: np.ndarray
    value: np.ndarray
    total_conversions: float
    total_value: float
    description: str = ""
    details: Mapping[str, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.estimand not in ESTIMANDS:
            raise ValueError(f"estimand must be one of {sorted(ESTIMANDS)}, got {self.estimand!r}")
        n = len(self.channel_names)
        object.__setattr__(self, "channel_names", tuple(self.channel_names))
        for what in ("conversions", "value"):
            arr = np.asarray(getattr(self, what), dtype=np.float64)
            if arr.shape != (n,) or not np.all(np.isfinite(arr)):
                raise ValueError(f"{what} must be {n} finite numbers, got shape {arr.shape}")
            object.__setattr__(self, what, arr)
        details = {}
        for key, arr in self.details.items():
            a = np.asarray(arr, dtype=np.float64)
            if a.shape != (n,):
                raise ValueError(f"details[{key!r}] has shape {a.shape}; expected ({n},)")
            details[str(key)] = a
        object.__setattr__(self, "details", details)

    @property
    def share(self) -> np.ndarray:
        """Conversion credit normalised to sum to 1 (what models are compared on)."""
        s = self.conversions.sum()
        return self.conversions / s if s != 0 else np.zeros_like(self.conversions)

    @property
    def value_share(self) -> np.ndarray:
        """Value credit normalised to sum to 1."""
        s = self.value.sum()
        return self.value / s if s != 0 else np.zeros_like(self.value)

    def to_frame(self) -> pd.DataFrame:
        """One row per channel: credit, shares and the details."""
        frame = pd.DataFrame(
            {
                "conversions": self.conversions,
                "value": self.value,
                "share": self.share,
                "value_share": self.value_share,
                **self.details,
            },
            index=pd.Index(self.channel_names, name="channel"),
        )
        return frame

    def to_result(self) -> AttributionResult:
        """The truth as an `AttributionResult` (model ``"truth"``) for side-by-side use.

        Credit is rescaled to the journeys' totals, so it compares with any model's
        result on the same journeys; the unscaled numbers stay in ``details``.
        """
        conv = self.share * self.total_conversions
        val = self.value_share * self.total_value
        details = {"true_" + self.estimand: self.conversions, **self.details}
        details = {k: v for k, v in details.items() if k not in {"conversions", "value", "share"}}
        return AttributionResult(
            self.channel_names,
            conv,
            val,
            total_conversions=self.total_conversions,
            total_value=self.total_value,
            estimand=self.estimand,
            model="truth",
            details=details,
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready description (used by ``attribution-lab simulate``)."""
        return {
            "estimand": self.estimand,
            "description": self.description,
            "total_conversions": self.total_conversions,
            "total_value": self.total_value,
            "channels": {
                name: {
                    "conversions": float(self.conversions[k]),
                    "value": float(self.value[k]),
                    "share": float(self.share[k]),
                    **{key: float(arr[k]) for key, arr in self.details.items()},
                }
                for k, name in enumerate(self.channel_names)
            },
        }

    def to_json(self, **kwargs: Any) -> str:
        return json.dumps(self.to_dict(), **kwargs)


@dataclass(frozen=True, eq=False)
class Simulation:
    """Journeys drawn from a world, with its ground truth.

    Unpacks as ``journeys, truth = world.simulate(...)``.

    Attributes
    ----------
    journeys : Journeys
    truth : GroundTruth
        The world's main truth.
    truths : dict of str to GroundTruth
        Every truth the world computes, by name (causal worlds give both
        ``"incremental"`` and ``"shapley"``); ``truths[truth.estimand] is truth``.
    events : DataFrame or None
        Touch-level events (one row per touch: journey, time, channel, ...) where the
        world has them.
    world : str
        Name of the world or scenario.
    params : dict
        The parameters that produced it, for the record.
    """

    journeys: Journeys
    truth: GroundTruth
    truths: Mapping[str, GroundTruth]
    events: pd.DataFrame | None = None
    world: str = ""
    params: Mapping[str, Any] = field(default_factory=dict)

    def __iter__(self) -> Iterator[Any]:
        yield self.journeys
        yield self.truth

    def touch_frame(self) -> pd.DataFrame:
        """One row per touch: ``journey``, ``position``, ``channel``, ``time`` and the
        journey's ``end_time`` (if known), its ``converted`` flag and ``value``; the
        world's own `events` columns when it has them (e.g. which touch caused which).

        Examples
        --------
        >>> from attribution_lab.simulate import simulate
        >>> simulate("markov", 3, random_state=0).touch_frame().columns.tolist()[:3]
        ['journey', 'position', 'channel']
        """
        j = self.journeys
        if self.events is not None:
            frame = self.events
            if j.end_time is not None and "end_time" not in frame:
                # the end of observation travels with the touches, as readers expect
                frame = frame.assign(end_time=np.repeat(j.end_time, j.lengths))
            return frame
        lengths = j.lengths
        journey = np.repeat(np.arange(j.n_journeys), lengths)
        frame = pd.DataFrame(
            {
                "journey": journey,
                "position": np.arange(j.channels.size) - np.repeat(j.offsets[:-1], lengths),
                "channel": np.asarray(j.channel_names, dtype=object)[j.channels],
            }
        )
        if j.times is not None:
            frame["time"] = j.times
        if j.end_time is not None:
            frame["end_time"] = np.repeat(j.end_time, lengths)
        frame["converted"] = (j.conversions > 0)[journey]
        frame["value"] = j.value[journey]
        return frame


class World:
    """Base class of simulated worlds: `simulate` returns journeys and their truth."""

    name = "world"

    def simulate(self, n_journeys: int, random_state: Any = None) -> Simulation:  # pragma: no cover
        raise NotImplementedError

    def _experiment_arms(
        self, n: int, channel: int, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Draw n persons as `simulate` does; per person the conversion probability and
        mean value with every channel and with `channel` (and all it caused) removed.
        Worlds without such a counterfactual do not override it (`experiment` refuses)."""
        raise NotImplementedError

    def experiment(
        self,
        channel: str | int,
        holdout: float = 0.1,
        n: int = 10_000,
        random_state: Any = None,
        *,
        ci_level: float = 0.95,
    ) -> ExperimentResult:
        """Run a holdout experiment on one channel: a random share of persons never see it.

        Parameters
        ----------
        channel : str or int
            The channel held out, by name or code.
        holdout : float, default 0.1
            Share of the `n` persons held out (``round(holdout * n)``, at least 2 in
            each group).
        n : int, default 10_000
            Persons in the experiment, drawn as `simulate` draws journeys (persons with
            at least one touch when every channel runs).
        random_state : int, Generator or None
            Seed of the persons, the assignment and the outcomes. With the same seed,
            the persons are those of ``simulate(n, random_state)``, so the experiment's
            truth is that simulation's incremental truth of the channel.
        ci_level : float, default 0.95

        Returns
        -------
        ExperimentResult
            The estimate of the incremental conversions (and value) among the `n`
            persons, its standard error and interval, and the world's truth on the same
            persons; ``to_lift_test()`` gives the `attribution_lab.lift.LiftTest`.

        Notes
        -----
        Held-out persons keep every touch of the other channels except those the
        channel caused (mediation, triggered touches): the world's own counterfactual of
        removing the channel, the one its incremental truth is computed with. Each
        person converts with their probability under their arm; the estimate is the
        difference in conversion rates times `n` (see `holdout_experiment`).

        Examples
        --------
        >>> world = make_world("confounding")
        >>> exp = world.experiment("paid_search", holdout=0.2, n=5000, random_state=0)
        >>> exp.n_holdout, exp.ci_low < exp.incremental_conversions < exp.ci_high
        (1000, True)
        >>> sim = world.simulate(5000, random_state=0)  # the same persons
        >>> bool(np.isclose(exp.true_incremental_conversions, sim.truth.conversions[0]))
        True
        """
        from .._validation import check_level, check_random_state
        from ._experiment import holdout_experiment

        if type(self)._experiment_arms is World._experiment_arms:
            raise ValueError(
                f"the {self.name} world has no holdout experiment: its truth is not a"
                " counterfactual of persons without a channel (the causal worlds have one)"
            )
        names = tuple(self.channel_names)  # type: ignore[attr-defined]
        if isinstance(channel, str):
            if channel not in names:
                raise ValueError(
                    f"{self.name} world: no channel {channel!r} (channels: {', '.join(names)})"
                )
            code = names.index(channel)
        elif isinstance(channel, (int, np.integer)) and not isinstance(channel, bool):
            if not 0 <= channel < len(names):
                raise ValueError(f"channel code {channel} not in range({len(names)})")
            code = int(channel)
        else:
            raise TypeError(f"channel must be a name or a code, got {channel!r}")
        if isinstance(holdout, bool) or not isinstance(holdout, (int, float, np.floating)):
            raise TypeError(f"holdout must be a share between 0 and 1, got {holdout!r}")
        if not 0 < holdout < 1:
            raise ValueError(f"holdout must be a share strictly between 0 and 1, got {holdout!r}")
        n = check_n_journeys(n)
        ci_level = check_level(ci_level)
        rng = check_random_state(random_state)
        return holdout_experiment(
            self._experiment_arms(n, code, rng),
            float(holdout),
            float(getattr(self, "value_sigma", 0.0)),
            rng,
            channel=names[code],
            world=self.name,
            ci_level=ci_level,
        )

    def __repr__(self) -> str:
        params = getattr(self, "_repr_params", {})
        inner = ", ".join(f"{k}={v!r}" for k, v in params.items())
        return f"{type(self).__name__}({inner})"


def check_n_journeys(n_journeys: Any) -> int:
    if isinstance(n_journeys, bool) or not isinstance(n_journeys, (int, np.integer, float)):
        raise TypeError(f"n_journeys must be a positive integer, got {n_journeys!r}")
    if float(n_journeys) != int(n_journeys) or n_journeys < 1:
        raise ValueError(f"n_journeys must be a positive integer, got {n_journeys!r}")
    return int(n_journeys)


@dataclass(frozen=True)
class Scenario:
    """One row of the scenario table: how `make_world` builds a named world.

    ``make(**{**params, **overrides})`` builds the world; ``world_name``, when given, is
    the name it reports (``Simulation.world``); ``notes`` says what it is built to expose.
    """

    make: Callable[..., World]
    summary: str
    params: Mapping[str, Any] = field(default_factory=dict)
    world_name: str | None = None
    notes: str = ""


#: The scenario table, filled by ``simulate/_scenarios.py`` and `register_scenario`.
_SCENARIOS: dict[str, Scenario] = {}


def _add_scenario(name: str, scenario: Scenario) -> None:
    if name in _SCENARIOS:
        raise ValueError(f"scenario {name!r} is registered twice")
    _SCENARIOS[name] = scenario


def register_scenario(
    name: str, summary: str
) -> Callable[[Callable[..., World]], Callable[..., World]]:
    """Decorator registering a factory of a named scenario with a one-line summary.

    The factory is called with the parameters given to `make_world`.
    """

    def deco(factory: Callable[..., World]) -> Callable[..., World]:
        _add_scenario(name, Scenario(factory, summary, notes=factory.__doc__ or ""))
        return factory

    return deco


def scenarios() -> dict[str, str]:
    """Named scenarios and what each is built to expose.

    Examples
    --------
    >>> "markov" in scenarios()
    True
    """
    return {name: scenario.summary for name, scenario in _SCENARIOS.items()}


def make_world(name: str, **params: Any) -> World:
    """The world of a named scenario, with its parameters overridden by `params`.

    Examples
    --------
    >>> journeys, truth = make_world("markov").simulate(1000, random_state=0)
    >>> truth.estimand
    'removal_effect'
    >>> make_world("markov", bogus=1)
    Traceback (most recent call last):
    ...
    ValueError: scenario 'markov' has no parameter 'bogus'
    """
    if name not in _SCENARIOS:
        raise ValueError(f"unknown scenario {name!r}; choose from {', '.join(_SCENARIOS)}")
    scenario = _SCENARIOS[name]
    # a fresh copy per world: the table's lists and dicts must never be shared with one
    kwargs = {**copy.deepcopy(dict(scenario.params)), **params}
    try:
        world = scenario.make(**kwargs)
    except TypeError as exc:
        # the table passes parameters on to a world's constructor: name the scenario, not it
        unknown = re.search(r"unexpected keyword argument '(\w+)'", str(exc))
        if unknown is None:
            raise
        raise ValueError(f"scenario {name!r} has no parameter {unknown.group(1)!r}") from None
    if scenario.world_name is not None:
        world.name = scenario.world_name
    return world
