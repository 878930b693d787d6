"""The AttributionModel base class (scikit-learn conventions) and the model registry."""

from __future__ import annotations

from typing import Any

from sklearn.base import BaseEstimator

from .journeys import Journeys
from .result import ESTIMANDS, AttributionResult, warn_negative_credit

__all__ = ["AttributionModel", "available_models", "get_model", "register_model", "timed"]

_REGISTRY: dict[str, type[AttributionModel]] = {}


class AttributionModel(BaseEstimator):
    """Base class of every attribution model.

    Follows scikit-learn's conventions: ``__init__`` only stores keyword parameters,
    ``fit`` validates them and the data and returns ``self``, learned state is kept in
    attributes ending in ``_``, and ``get_params`` / ``set_params`` / ``sklearn.clone``
    work. Subclasses set ``name`` (the registry name), ``estimand`` and ``summary`` (one
    line for ``attribution-lab models``) and implement ``_fit`` and ``_attribute``.
    """

    name: str = ""
    estimand: str = "rule"
    summary: str = ""
    #: True for models that read touch times and end times (path tables have neither)
    needs_times: bool = False

    def fit(self, journeys: Journeys) -> AttributionModel:
        """Validate the parameters and `journeys` and learn what the model needs."""
        if not isinstance(journeys, Journeys):
            raise TypeError(f"fit expects a Journeys object, got {type(journeys).__name__}")
        self._validate_params()
        self._fit(journeys)
        self.journeys_ = journeys
        self.channel_names_ = journeys.channel_names
        return self

    def attribute(self, journeys: Journeys | None = None) -> AttributionResult:
        """Credit per channel of `journeys` (by default, the journeys given to `fit`)."""
        if not hasattr(self, "journeys_"):
            raise RuntimeError(f"{type(self).__name__} is not fitted yet; call fit(journeys) first")
        if journeys is None:
            journeys = self.journeys_
        elif not isinstance(journeys, Journeys):
            raise TypeError(f"attribute expects a Journeys object, got {type(journeys).__name__}")
        result = self._attribute(journeys)
        warn_negative_credit(result)  # one place, so every model warns alike
        return result

    def fit_attribute(self, journeys: Journeys) -> AttributionResult:
        """``fit(journeys).attribute()``."""
        return self.fit(journeys).attribute()

    def _validate_params(self) -> None:  # pragma: no cover - overridden where there are params
        pass

    def _fit(self, journeys: Journeys) -> None:  # pragma: no cover - rules learn nothing
        pass

    def _attribute(self, journeys: Journeys) -> AttributionResult:  # pragma: no cover
        raise NotImplementedError


def register_model(cls: type[AttributionModel]) -> type[AttributionModel]:
    """Class decorator adding a model to the registry under ``cls.name``."""
    if not cls.name:
        raise ValueError(f"{cls.__name__} has no registry name")
    if cls.name in _REGISTRY and _REGISTRY[cls.name] is not cls:
        raise ValueError(f"model name {cls.name!r} is already registered")
    _REGISTRY[cls.name] = cls
    return cls


def available_models(journeys: Journeys | None = None) -> dict[str, str]:
    """Registry names of the models with their one-line summaries.

    Rules come first, then the models of each other estimand in `ESTIMANDS` order; within
    an estimand, in registration order. With `journeys`, only the models that can run on
    them: models that read touch times (``needs_times``) are left out for journeys
    without times and end times (path tables).

    Examples
    --------
    >>> "linear" in available_models()
    True
    >>> untimed = Journeys.from_paths(["a > b"], conversions=[1])
    >>> "hazard" in available_models(), "hazard" in available_models(untimed)
    (True, False)
    """
    rank = {e: k for k, e in enumerate(ESTIMANDS)}
    ordered = sorted(_REGISTRY.items(), key=lambda item: rank.get(item[1].estimand, len(rank)))
    if journeys is not None and not timed(journeys):
        ordered = [(name, cls) for name, cls in ordered if not cls.needs_times]
    return {name: cls.summary for name, cls in ordered}


def timed(journeys: Journeys) -> bool:
    """Whether `journeys` carry touch times and end times (what ``needs_times`` models read)."""
    return journeys.has_times and journeys.end_time is not None


def get_model(name: str, **params: Any) -> AttributionModel:
    """A new model by registry name, with keyword parameters.

    Examples
    --------
    >>> get_model("time_decay", half_life=3.0)
    TimeDecayAttribution(half_life=3.0)
    """
    try:
        cls = _REGISTRY[name]
    except KeyError:
        raise ValueError(f"unknown model {name!r}; available: {', '.join(_REGISTRY)}") from None
    valid = cls().get_params()
    unknown = sorted(set(params) - set(valid))
    if unknown:
        raise ValueError(
            f"model {name!r} has no parameter {', '.join(map(repr, unknown))}; "
            f"its parameters are: {', '.join(valid) or 'none'}"
        )
    return cls(**params)
