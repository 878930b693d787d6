"""Comparing models with each other (and, later, against ground truth)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from .base import AttributionModel, get_model
from .journeys import Journeys
from .result import AttributionResult

__all__ = ["compare"]


def _as_models(models: Any) -> dict[str, AttributionModel]:
    if isinstance(models, str):
        models = [m.strip() for m in models.split(",") if m.strip()]
    if isinstance(models, AttributionModel):
        models = [models]
    if isinstance(models, Mapping):
        items = list(models.items())
    elif isinstance(models, Iterable):
        items = []
        for m in models:
            if isinstance(m, str):
                items.append((m, get_model(m)))
            elif isinstance(m, AttributionModel):
                items.append((m.name, m))
            else:
                raise TypeError(f"models must be names or AttributionModel objects, got {m!r}")
    else:
        raise TypeError(
            f"models must be a list, a mapping or a comma-separated string, got {models!r}"
        )
    out: dict[str, AttributionModel] = {}
    for label, m in items:
        model = get_model(m) if isinstance(m, str) else m
        if not isinstance(model, AttributionModel):
            raise TypeError(f"model {label!r} is not an AttributionModel")
        if label in out:
            raise ValueError(
                f"model label {label!r} appears twice; pass a mapping of labels to models"
            )
        out[str(label)] = model
    if not out:
        raise ValueError("no models to compare")
    return out


def compare(journeys: Journeys, models: Any, *, wide: bool = False) -> pd.DataFrame:
    """Fit several models on the same journeys and tabulate their credit side by side.

    Parameters
    ----------
    journeys : Journeys
    models : list of names or models, a mapping of labels to names or models, or a
        comma-separated string of names
    wide : bool, default False
        Return a channel x model table of shares instead of the tidy table.

    Returns
    -------
    DataFrame
        Tidy: one row per (model, channel) with columns ``model``, ``channel``,
        ``estimand``, ``conversions``, ``value``, ``share`` (and ``stderr``, ``ci_low``,
        ``ci_high`` where a model gives them). Wide: shares, index channel, one column per
        model.

    Examples
    --------
    >>> j = Journeys.from_paths(["A > B", "B"], conversions=[1, 1])
    >>> compare(j, ["first_touch", "last_touch"], wide=True)
    model    first_touch  last_touch
    channel
    A                0.5         0.0
    B                0.5         1.0
    """
    results: dict[str, AttributionResult] = {
        label: model.fit(journeys).attribute() for label, model in _as_models(models).items()
    }
    frames = []
    for label, res in results.items():
        f = res.to_frame().reset_index()
        f.insert(0, "model", label)
        f.insert(2, "estimand", res.estimand)
        frames.append(f)
    tidy = pd.concat(frames, ignore_index=True)
    if wide:
        table = tidy.pivot(index="channel", columns="model", values="share")
        return table[list(results)]
    return tidy
