"""The AttributionModel base class (scikit-learn conventions) and the model registry.

The conventions are implemented here rather than inherited from ``sklearn.base.BaseEstimator``:
importing scikit-learn costs more than importing pandas, and ``import attribution_lab`` must stay
light (issue 21). ``sklearn.base.clone`` only needs ``get_params``, so it works all the same.
"""

from __future__ import annotations

import copy
import inspect
from collections.abc import Mapping
from typing import Any

import numpy as np

from ._validation import did_you_mean, show
from .journeys import Journeys
from .result import ESTIMANDS, AttributionResult, warn_negative_credit

__all__ = [
    "AttributionModel",
    "available_models",
    "clone_model",
    "get_model",
    "model_class",
    "register_model",
    "timed",
]

_REGISTRY: dict[str, type[AttributionModel]] = {}


class AttributionModel:
    """Base class of every attribution model.

    Follows scikit-learn's conventions: ``__init__`` only stores keyword parameters,
    ``fit`` validates them and the data and returns ``self``, learned state is kept in
    attributes ending in ``_``, and ``get_params`` / ``set_params`` / ``sklearn.clone``
    work. Subclasses set ``name`` (the registry name), ``estimand`` and ``summary`` (one
    line for ``attribution-lab models``) and implement ``_fit`` and ``_attribute``.

    A parameter that cannot act on the journeys (a time half-life on journeys without
    touch times, say) is refused rather than ignored: a subclass names such parameters,
    with the reason, in ``_inert_params``, and `fit` and `attribute` raise ValueError when
    the user set one of them to other than its default.
    """

    name: str = ""
    estimand: str = "rule"
    summary: str = ""
    #: True for models that read touch times and end times (path tables have neither)
    needs_times: bool = False

    @classmethod
    def _param_names(cls) -> list[str]:
        """The keyword parameters of ``__init__``, in order (none for ``object.__init__``)."""
        if cls.__init__ is object.__init__:
            return []
        names = []
        for name, p in inspect.signature(cls.__init__).parameters.items():
            if name == "self":
                continue
            if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
                raise TypeError(f"{cls.__name__}.__init__ may not take *args or **kwargs")
            names.append(name)
        return names

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The model's parameters by name, as passed to ``__init__``.

        With `deep`, parameters of nested estimators (a classifier given to a model, say)
        follow as ``name__param``, as in scikit-learn.

        Examples
        --------
        >>> from attribution_lab import get_model
        >>> get_model("time_decay", half_life=3.0).get_params()["half_life"]
        3.0
        """
        params = {}
        for name in self._param_names():
            value = getattr(self, name)
            params[name] = value
            if deep and hasattr(value, "get_params") and not isinstance(value, type):
                params.update((f"{name}__{k}", v) for k, v in value.get_params().items())
        return params

    def set_params(self, **params: Any) -> AttributionModel:
        """Set parameters by name (``name__param`` reaches a nested estimator); returns self.

        Examples
        --------
        >>> from attribution_lab import get_model
        >>> get_model("time_decay").set_params(half_life=2.0)
        TimeDecayAttribution(half_life=2.0)
        """
        valid = self._param_names()
        nested: dict[str, dict[str, Any]] = {}
        for key, value in params.items():
            name, sep, sub = key.partition("__")
            if name not in valid:
                raise ValueError(
                    f"{type(self).__name__} has no parameter {name!r}{did_you_mean(name, valid)};"
                    f" its parameters are: {', '.join(valid) or 'none'}"
                )
            if sep:
                nested.setdefault(name, {})[sub] = value
            else:
                setattr(self, name, value)
        for name, sub_params in nested.items():
            getattr(self, name).set_params(**sub_params)
        return self

    def __repr__(self) -> str:
        defaults = {
            name: p.default
            for name, p in inspect.signature(type(self).__init__).parameters.items()
            if name != "self"
        }
        changed = ", ".join(
            f"{name}={getattr(self, name)!r}"
            for name in self._param_names()
            if not _same_value(getattr(self, name), defaults[name])
        )
        return f"{type(self).__name__}({changed})"

    def fit(self, journeys: Journeys) -> AttributionModel:
        """Validate the parameters and `journeys` and learn what the model needs."""
        if not isinstance(journeys, Journeys):
            raise TypeError(f"fit expects a Journeys object, got {type(journeys).__name__}")
        self._validate_params()
        self._refuse_inert_params(journeys)
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
        else:
            self._refuse_inert_params(journeys)
        result = self._attribute(journeys)
        warn_negative_credit(result)  # one place, so every model warns alike
        return result

    def fit_attribute(self, journeys: Journeys) -> AttributionResult:
        """``fit(journeys).attribute()``."""
        return self.fit(journeys).attribute()

    def _validate_params(self) -> None:  # pragma: no cover - overridden where there are params
        pass

    def inert_params(self, journeys: Journeys) -> dict[str, str]:
        """Parameters that cannot act on `journeys` given the others, each with the reason.

        `fit` and `attribute` refuse such a parameter when it is set to other than its
        default; a caller filling in parameters (the command line's ``--seed``) leaves
        these alone.

        Examples
        --------
        >>> from attribution_lab import Journeys, get_model
        >>> untimed = Journeys.from_paths(["a > b"], conversions=[1])
        >>> list(get_model("time_decay").inert_params(untimed))
        ['half_life']
        """
        self._validate_params()  # the reasons may read any parameter
        return self._inert_params(journeys)

    def _inert_params(self, journeys: Journeys) -> dict[str, str]:
        return {}

    def _refuse_inert_params(self, journeys: Journeys) -> None:
        inert = self._inert_params(journeys)
        if not inert:
            return
        signature = inspect.signature(type(self).__init__).parameters
        for name, reason in inert.items():
            value = getattr(self, name)
            if not _same_value(value, signature[name].default):
                raise ValueError(
                    f"{self.name}: parameter {name}={show(value)} cannot act: {reason}"
                )

    def _fit(self, journeys: Journeys) -> None:  # pragma: no cover - rules learn nothing
        pass

    def _attribute(self, journeys: Journeys) -> AttributionResult:  # pragma: no cover
        raise NotImplementedError

    def _result(
        self,
        journeys: Journeys,
        conversions: Any,
        value: Any,
        *,
        stderr: Any = None,
        ci_low: Any = None,
        ci_high: Any = None,
        ci_level: float | None = None,
        n_evaluations: int | None = None,
        estimated: bool = False,
        details: Mapping[str, Any] | None = None,
        estimand: str | None = None,
    ) -> AttributionResult:
        """The model's result on `journeys`: its credit with its name, estimand and parameters.

        `estimand` overrides the class's, for a model whose parameters choose what its
        credit means.

        Every model's `_attribute` ends here, so each result carries the same metadata and
        is checked against the journeys' totals (conversions and value) the same way.

        Examples
        --------
        >>> from attribution_lab import get_model
        >>> j = Journeys.from_paths(["a > b"], conversions=[2], values=[10.0])
        >>> r = get_model("linear")._result(j, [1.0, 1.0], [5.0, 5.0])
        >>> r.model, r.estimand, r.total_conversions, r.estimated
        ('linear', 'rule', 2.0, False)
        """
        return AttributionResult(
            journeys.channel_names,
            conversions,
            value,
            total_conversions=journeys.n_conversions,
            total_value=journeys.total_value,
            estimand=self.estimand if estimand is None else estimand,
            model=self.name,
            params=self.get_params(),
            stderr=stderr,
            ci_low=ci_low,
            ci_high=ci_high,
            ci_level=ci_level,
            n_evaluations=n_evaluations,
            estimated=estimated,
            details=details,
        )


def clone_model(model: AttributionModel) -> AttributionModel:
    """An unfitted copy of `model` with the same parameters (``sklearn.base.clone``'s rule).

    Parameter values are deep-copied, so a clone never shares a random ``Generator`` or
    a nested estimator with the original; a nested estimator is cloned by scikit-learn,
    imported only then.

    Examples
    --------
    >>> from attribution_lab import get_model
    >>> model = get_model("time_decay", half_life=3.0)
    >>> twin = clone_model(model)
    >>> twin, twin is model
    (TimeDecayAttribution(half_life=3.0), False)
    """
    params = {}
    for name, value in model.get_params(deep=False).items():
        if hasattr(value, "get_params") and not isinstance(value, type):
            from sklearn.base import clone  # a nested estimator: only its owner knows how

            params[name] = clone(value)
        else:
            params[name] = copy.deepcopy(value)
    return type(model)(**params)


def _same_value(a: Any, b: Any) -> bool:
    """Whether two parameter values are equal (sequences and arrays element by element)."""
    if a is b:
        return True
    if isinstance(a, str | bytes) or isinstance(b, str | bytes) or a is None or b is None:
        return a == b
    try:
        return bool(np.array_equal(np.asarray(a, dtype=object), np.asarray(b, dtype=object)))
    except (TypeError, ValueError):
        return False


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


def model_class(name: str) -> type[AttributionModel]:
    """The model class registered as `name` (ValueError listing the names if none is).

    Examples
    --------
    >>> model_class("markov").__name__
    'MarkovAttribution'
    """
    try:
        return _REGISTRY[name]
    except (KeyError, TypeError):
        raise ValueError(
            f"unknown model {name!r}{did_you_mean(name, _REGISTRY)};"
            f" available: {', '.join(_REGISTRY)}"
        ) from None


def get_model(name: str, **params: Any) -> AttributionModel:
    """A new model by registry name, with keyword parameters.

    Examples
    --------
    >>> get_model("time_decay", half_life=3.0)
    TimeDecayAttribution(half_life=3.0)
    """
    cls = model_class(name)
    valid = cls().get_params()
    unknown = sorted(set(params) - set(valid))
    if unknown:
        raise ValueError(
            f"model {name!r} has no parameter {', '.join(map(repr, unknown))}; "
            f"its parameters are: {', '.join(valid) or 'none'}"
        )
    return cls(**params)
