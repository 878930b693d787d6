"""The model base class and registry: every registered model follows sklearn's conventions."""

from __future__ import annotations

import pytest
from sklearn.base import clone

from attribution_lab import Journeys, available_models, get_model


@pytest.mark.parametrize("name", list(available_models()))
def test_models_follow_sklearn_conventions(name):
    model = get_model(name)
    twin = clone(model)
    assert twin.get_params() == model.get_params()
    with pytest.raises(RuntimeError, match="not fitted"):
        model.attribute()
    with pytest.raises(TypeError, match="Journeys"):
        model.fit([["A"]])
    j = Journeys.from_paths(["A > B"], conversions=[1])
    if model.needs_times:
        j = Journeys.from_paths(
            ["A > B", "B", "A > A"],
            conversions=[1, 0, 1],
            nulls=[0, 1, 0],
            times=[0.0, 1.0, 0.5, 2.0, 3.0],
            end_time=[1.5, 9.0, 3.5],
        )
    assert model.fit(j) is model
    assert hasattr(model, "journeys_")
