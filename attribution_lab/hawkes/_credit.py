"""The credit's draws: the arrays a set of journeys shares across draws, the canonical
order of the random parameter draws, and the draws themselves."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..journeys import Journeys
from ._branching import _Branching
from ._data import _prepare
from ._frailty import conversion_parts, event_counts, touch_compensator

#: Journeys on which the parameters' share of the credit's uncertainty is measured.
_SUBSAMPLE = 20_000


class _Draws:
    """The arrays of one set of journeys the credit's draws share."""

    def __init__(self, journeys: Journeys, pair: bool, link: str) -> None:
        self.prep = _prepare(journeys)
        self.branching = _Branching(self.prep, pair)
        self.weights = _row_weights(journeys)
        self.link = link
        self.pair = pair
        self.y = np.asarray(journeys.conversions, dtype=np.float64)

    def tables(
        self,
        theta_t: np.ndarray,
        draws: Any,
        seed: int,
        gain: np.ndarray,
        base: np.ndarray,
        frailty: tuple[np.ndarray, np.ndarray] | None,
    ) -> dict[str, Any]:
        """The game's tables in draws number `draws` (see `_Branching.tables`)."""
        return self.branching.tables(
            theta_t, np.atleast_1d(draws), seed, gain, base, self.weights, self.link, frailty
        )

    def frailty(
        self, theta_t: np.ndarray, theta_c: np.ndarray, shape: float | None
    ) -> tuple[np.ndarray, np.ndarray] | None:
        """Per journey the (shape, rate) of its frailty's posterior given its touches
        and outcome, Gamma(k + N_j, k + Lambda_j); None without frailty."""
        if shape is None:
            return None
        prep = self.prep
        converted = (self.weights[0] > 0) & (self.y > 0)
        events = event_counts(prep) + converted
        total = touch_compensator(theta_t, prep, self.pair)
        total += conversion_parts(theta_c, prep, self.y, None)[1]
        return shape + events, shape + total


def _canonical(journeys: Journeys) -> np.ndarray:
    """Channel codes in the order of their first touch: an order that relabelling the
    channels does not change, in which the random parameter draws are made."""
    first = np.full(journeys.n_channels, np.iinfo(np.int64).max)
    np.minimum.at(first, journeys.channels, np.arange(journeys.n_touchpoints))
    return np.argsort(first, kind="stable")


def _touch_order(order: np.ndarray, pair: bool) -> np.ndarray:
    """Indices of the touch parameters (log mu, alpha, log decay) in canonical order."""
    c = order.size
    alpha = c + (order[:, None] * c + order[None, :]).ravel()
    dec = c + c * c + ((order[:, None] * c + order[None, :]).ravel() if pair else order)
    return np.concatenate([order, alpha, dec])


def _row_weights(journeys: Journeys) -> np.ndarray:
    """(2, n_journeys): customers per row, and customers times value per conversion."""
    conv = np.asarray(journeys.conversions, dtype=np.float64)
    n = conv + np.asarray(journeys.nulls, dtype=np.float64)
    overall = journeys.total_value / journeys.n_conversions if journeys.n_conversions else 0.0
    per = np.divide(journeys.value, conv, out=np.full(conv.size, overall), where=conv > 0)
    return np.stack([n, n * per])


def _draw_params(
    theta: np.ndarray,
    cov: np.ndarray,
    n: int,
    rng: np.random.Generator,
    order: np.ndarray,
    nonneg: slice | None,
) -> list[np.ndarray]:
    """`n` draws from N(theta, cov) over the parameters with a variance, made in the
    canonical `order` of the parameters (so relabelling channels permutes the draws);
    alpha kept >= 0."""
    theta_c, cov_c = theta[order], cov[np.ix_(order, order)]
    ok = np.isfinite(np.diag(cov_c)) & (np.diag(cov_c) > 0)
    # the one-sided standard errors of zero excitations have no covariances: independent
    sub = np.nan_to_num(cov_c[np.ix_(ok, ok)])
    vals, vecs = np.linalg.eigh(sub) if ok.any() else (np.zeros(0), np.zeros((0, 0)))
    root = vecs * np.sqrt(np.maximum(vals, 0.0))
    out = []
    for _ in range(n):
        t = theta_c.copy()
        t[ok] += root @ rng.standard_normal(int(ok.sum()))
        back = np.empty_like(t)
        back[order] = t
        if nonneg is not None:
            back[nonneg] = np.maximum(back[nonneg], 0.0)
        out.append(back)
    return out
