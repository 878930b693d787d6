"""A world where conversion depends only on a journey's channel set, through a known p(S)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .._validation import check_random_state
from ..journeys import Journeys
from ..shapley.exact import intersection_sums, shapley_values_from_table
from ._draws import _vector
from .base import GroundTruth, Simulation, World, check_n_journeys

__all__ = ["CoalitionWorld"]

# 2^n coalition values are tabulated; beyond this the truth would be slow to compute.
MAX_CHANNELS = 14


class CoalitionWorld(World):
    r"""Journeys whose conversion is Bernoulli(p(S)) for their channel set S, with p known.

    Parameters
    ----------
    exposure : sequence of float
        Probability that a journey touches each channel (independently; journeys with no
        channel are redrawn, so every journey has a touch).
    intercept : float
        Logit of the conversion probability with no channel.
    effects : sequence of float
        Per-channel logit effects :math:`\beta_c`.
    interactions : mapping of (int, int) to float, optional
        Pairwise logit terms :math:`\gamma_{cd}` (synergy when positive).
    channel_names : sequence of str, optional
        Default ``c0, c1, ...``.
    mean_extra_touches : float, default 1.0
        Each touched channel appears 1 + Poisson(this) times, in random order; order and
        repeats carry no information in this world.
    value_mean : float, default 100.0
        Mean conversion value with no channel effect on value.
    value_effects : sequence of float, optional
        Per-channel log effects on the mean value of a conversion (default none).
    value_sigma : float, default 0.5
        Log-normal spread of values around their mean.

    Notes
    -----
    .. math:: p(S) = \operatorname{logistic}\Big(\beta_0 + \sum_{c \in S} \beta_c
              + \sum_{\{c, d\} \subseteq S} \gamma_{cd}\Big),
              \qquad m(S) = \bar m \exp\Big(\sum_{c \in S} \delta_c\Big).

    The truth is the Shapley value of the game "expected conversions when only the
    channels in S exist", given the journeys' drawn channel sets :math:`S_j`:

    .. math:: v(S) = \sum_j p(S_j \cap S), \qquad
              v_{value}(S) = \sum_j p(S_j \cap S)\, m(S_j \cap S),

    computed exactly over all :math:`2^n` coalitions (Shapley 1953). Its values sum to
    :math:`v(N) - v(\emptyset)`, the conversions the channels add over the baseline;
    `GroundTruth.share` normalises them. A `ModelGame` whose classifier can represent p
    (a logistic regression on exposures, with pairwise interaction features when
    `interactions` are given) is consistent for this game.

    References
    ----------
    Shapley, L. S. (1953). A value for n-person games. Contributions to the Theory of
    Games II, 307-317.

    Examples
    --------
    >>> world = CoalitionWorld([0.5, 0.3, 0.4], intercept=-2.0, effects=[0.8, 0.2, 0.5])
    >>> journeys, truth = world.simulate(5000, random_state=0)
    >>> truth.estimand, truth.share.round(2).tolist()
    ('shapley', [0.61, 0.08, 0.3])
    """

    name = "coalition"

    def __init__(
        self,
        exposure: Sequence[float],
        intercept: float,
        effects: Sequence[float],
        interactions: Mapping[tuple[int, int], float] | None = None,
        channel_names: Sequence[str] | None = None,
        mean_extra_touches: float = 1.0,
        value_mean: float = 100.0,
        value_effects: Sequence[float] | None = None,
        value_sigma: float = 0.5,
    ) -> None:
        expo = np.asarray(exposure, dtype=np.float64)
        if expo.ndim != 1 or expo.size < 1:
            raise ValueError("exposure must be a non-empty sequence of probabilities")
        n = expo.size
        if n > MAX_CHANNELS:
            raise ValueError(
                f"at most {MAX_CHANNELS} channels (the truth tabulates 2^n coalitions)"
            )
        if not np.all((expo > 0) & (expo <= 1)):
            raise ValueError("exposure probabilities must be in (0, 1]")
        self.exposure = expo
        self.intercept = float(intercept)
        self.effects = _vector(effects, n, "effects")
        self.interactions = np.zeros((n, n))
        for key, g in (interactions or {}).items():
            c, d = key
            if not (0 <= c < n and 0 <= d < n) or c == d:
                raise ValueError(f"interaction {key!r}: need two different channels in range({n})")
            self.interactions[min(c, d), max(c, d)] += float(g)
        names = (
            tuple(channel_names) if channel_names is not None else tuple(f"c{k}" for k in range(n))
        )
        if len(names) != n:
            raise ValueError(f"{len(names)} channel names for {n} channels")
        self.channel_names = names
        if not mean_extra_touches >= 0:
            raise ValueError(f"mean_extra_touches must be >= 0, got {mean_extra_touches!r}")
        self.mean_extra_touches = float(mean_extra_touches)
        if not value_mean > 0:
            raise ValueError(f"value_mean must be > 0, got {value_mean!r}")
        self.value_mean = float(value_mean)
        self.value_effects = (
            np.zeros(n) if value_effects is None else _vector(value_effects, n, "value_effects")
        )
        if not value_sigma >= 0:
            raise ValueError(f"value_sigma must be >= 0, got {value_sigma!r}")
        self.value_sigma = float(value_sigma)
        self._repr_params = {"channels": n}

    @property
    def n_channels(self) -> int:
        return self.exposure.size

    def _members(self, masks: np.ndarray) -> np.ndarray:
        bits = np.int64(1) << np.arange(self.n_channels, dtype=np.int64)
        return ((masks[:, None] & bits) != 0).astype(np.float64)

    def conversion_probability(self, masks: Any) -> np.ndarray:
        """p(S) for channel sets given as integer bitmasks."""
        x = self._members(np.asarray(masks, dtype=np.int64).ravel())
        logit = (
            self.intercept + x @ self.effects + np.einsum("ic,cd,id->i", x, self.interactions, x)
        )
        return 1.0 / (1.0 + np.exp(-logit))

    def mean_value(self, masks: Any) -> np.ndarray:
        """m(S), the mean value of a conversion of channel set S."""
        x = self._members(np.asarray(masks, dtype=np.int64).ravel())
        return self.value_mean * np.exp(x @ self.value_effects)

    def truth(
        self,
        set_masks: np.ndarray,
        set_counts: np.ndarray,
        total_conversions: float,
        total_value: float,
    ) -> GroundTruth:
        """Exact Shapley values of the expected-conversion games of the given channel sets."""
        n = self.n_channels
        all_s = np.arange(1 << n, dtype=np.int64)
        p = self.conversion_probability(all_s)
        pm = p * self.mean_value(all_s)
        # v(S) = sum over distinct journey sets T of n_T f(T & S)
        v = intersection_sums(p, set_masks, set_counts, n)
        vv = intersection_sums(pm, set_masks, set_counts, n)
        phi = shapley_values_from_table(v, n)
        phi_v = shapley_values_from_table(vv, n)
        return GroundTruth(
            self.channel_names,
            "shapley",
            phi,
            phi_v,
            total_conversions=total_conversions,
            total_value=total_value,
            description=(
                "exact Shapley values of v(S) = sum over journeys of p(S_j & S), the expected"
                f" conversions with only S's channels (v(N) = {v[-1]:.6g}, baseline"
                f" v(empty) = {v[0]:.6g})"
            ),
            details={"shapley_value": phi, "value_shapley_value": phi_v},
        )

    def _draw_sets(
        self, n_journeys: int, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray]:
        """Each journey's touched channels, as booleans and as a bitmask (none empty)."""
        n = self.n_channels
        touched = rng.random((n_journeys, n)) < self.exposure
        empty = ~touched.any(axis=1)
        while empty.any():
            touched[empty] = rng.random((int(empty.sum()), n)) < self.exposure
            empty = ~touched.any(axis=1)
        masks = touched.astype(np.int64) @ (np.int64(1) << np.arange(n, dtype=np.int64))
        return touched, masks

    def _experiment_arms(
        self, n: int, channel: int, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """p and m of each journey's channel set, and of the set without `channel`."""
        _, masks = self._draw_sets(n, rng)
        off = masks & ~(1 << channel)
        return (
            self.conversion_probability(masks),
            self.mean_value(masks),
            self.conversion_probability(off),
            self.mean_value(off),
        )

    def simulate(self, n_journeys: int, random_state: Any = None) -> Simulation:
        """Draw journeys: channel sets, touches, conversions and values.

        Returns
        -------
        Simulation
            Raw journeys and the Shapley truth of their channel sets.
        """
        n_journeys = check_n_journeys(n_journeys)
        rng = check_random_state(random_state)
        n = self.n_channels
        touched, masks = self._draw_sets(n_journeys, rng)
        # touches: each touched channel 1 + Poisson times, shuffled within the journey
        reps = np.where(touched, 1 + rng.poisson(self.mean_extra_touches, size=touched.shape), 0)
        lengths = reps.sum(axis=1)
        channels = np.repeat(np.tile(np.arange(n, dtype=np.int32), n_journeys), reps.ravel())
        journey = np.repeat(np.arange(n_journeys), lengths)
        channels = channels[np.lexsort((rng.random(channels.size), journey))]
        offsets = np.zeros(n_journeys + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        p = self.conversion_probability(masks)
        converted = rng.random(n_journeys) < p
        s = self.value_sigma
        value = np.where(
            converted,
            self.mean_value(masks) * rng.lognormal(-0.5 * s * s, s, size=n_journeys),
            0.0,
        )
        conversions = converted.astype(np.float64)
        journeys = Journeys(
            channels, offsets, self.channel_names, conversions, 1.0 - conversions, value
        )
        sets, counts = np.unique(masks, return_counts=True)
        truth = self.truth(
            sets, counts.astype(np.float64), journeys.n_conversions, journeys.total_value
        )
        return Simulation(
            journeys,
            truth,
            {"shapley": truth},
            world=self.name,
            params={"expected_conversions": float(p.sum())},
        )
