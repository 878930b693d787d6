"""Worlds drawn from the mutually exciting point process, whose truth removes what a channel caused.

Touches of one channel trigger later touches of others (display sends people to search for
the brand days later); conversions follow the additive hazard of `HazardWorld`. The truth
knows which touch triggered which, so removing a channel removes its touches and every
touch they triggered, down the chain: the estimand of
`attribution_lab.hawkes.PointProcessAttribution`, computed exactly on the true process.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from .._validation import check_random_state
from ..hawkes import PointProcessDraw, check_process, draw_point_process
from ..journeys import Journeys
from ..shapley.exact import shapley_values_from_table
from ._draws import _channel_names, _number
from .base import GroundTruth, Simulation, World, check_n_journeys

__all__ = ["PointProcessWorld"]

_LN2 = float(np.log(2.0))
#: The truth tabulates all 2^n coalitions.
MAX_CHANNELS = 12
TRUTHS = ("shapley", "incremental")
# journeys x coalitions cells of the coalition table evaluated at once
_BLOCK_CELLS = 1 << 22


class PointProcessWorld(World):
    r"""Journeys from the mutually exciting point process, stopped at conversion.

    Parameters
    ----------
    mu : sequence of float
        :math:`\mu_c`: organic touches per day of each channel, >= 0.
    alpha : array_like, shape (C, C)
        :math:`\alpha_{dc}`: expected c-touches one d-touch triggers, >= 0, spectral
        radius < 1.
    decay : float or array_like, shape (C,) or (C, C)
        :math:`\delta`: rate per day of the delay to a triggered touch, per source channel
        d (or per pair (d, c)); mean delay :math:`1/\delta`.
    baseline : float
        :math:`\lambda_0`: conversions per day with no touch, >= 0.
    beta : float or sequence of float
        :math:`\beta_c`: expected conversions a touch adds over an unlimited window.
    omega : float or sequence of float
        :math:`\omega_c`: decay rate per day of a touch's effect (half-life
        :math:`\ln 2/\omega_c`).
    window : float, default 30.0
        Days from the first touch to the end of observation.
    entry : sequence of float, optional
        Probabilities of the first touch's channel; by default proportional to `mu`.
    frailty : float, optional
        Shape k of a per-journey gamma frailty :math:`Z \sim \Gamma(k, \text{rate } k)`
        (purchase intent, mean 1, variance 1/k) multiplying every intensity after the
        first touch; None (default) for none. With a cyclic `alpha`, journeys whose
        :math:`Z\rho(\alpha) \ge 1` are supercritical (see `draw_point_process`).
    channel_names : sequence of str, optional
        Default ``c0, c1, ...``.
    value_mean, value_sigma : float, default 100.0 and 0.5
        Conversion values are log-normal with this mean and log-scale spread; channels
        do not change them.
    truth : {"shapley", "incremental"}, default "shapley"
        Which truth is `Simulation.truth` (both are in `Simulation.truths`).

    Attributes
    ----------
    half_lives : ndarray
        :math:`\ln 2/\omega_c` in days.

    Notes
    -----
    **Process.** Journey j starts with a touch at :math:`t = 0` of a channel drawn from
    `entry`. Later touches of channel c arrive with intensity

    .. math:: \lambda_c(t) = Z_j\Big(\mu_c + \sum_{i:\, t_i < t} \alpha_{c_i c}\,
              \delta\, e^{-\delta (t - t_i)}\Big), \quad 0 < t \le W,

    (the first touch excites too), and the conversion hazard is `HazardWorld`'s,

    .. math:: h(t) = Z_j\Big(\lambda_0 + \sum_{i:\, t_i \le t} \beta_{c_i}\omega_{c_i}
              e^{-\omega_{c_i}(t - t_i)}\Big).

    Both are drawn exactly by `attribution_lab.hawkes.draw_point_process`: the
    touches by the cluster representation, one generation at a time (each touch begets
    :math:`\mathrm{Poisson}(Z_j\alpha_{dc})` c-touches at :math:`\mathrm{Exp}(\delta)`
    delays), so every triggered touch knows its parent; the conversion time by inverting
    the cumulative hazard. A converting journey stops at the conversion: its later
    touches are never observed (``params["unobserved_touches"]``) and its ``end_time`` is
    the conversion time; the others' is W. With ``alpha = 0`` and no frailty this world
    draws exactly `HazardWorld`'s journeys (the same random numbers, except that
    `HazardWorld` rounds times to multiples of :math:`2^{-20}` days).

    **Truths.** With common random numbers (the same customers, their frailties and
    *all* their drawn touches on :math:`[0, W]`, also those after a conversion), a touch
    survives the coalition S when its *lineage set* (its channel and all its ancestors'
    channels) is a subset of S: removing a channel removes its touches and every touch
    they triggered, directly or down the chain, while organic touches of the kept
    channels stay (the first touch is organic; a customer whose first touch is removed
    still exists). Then

    .. math:: \Lambda_j(S) = \lambda_0 W + \sum_{i \text{ survives } S} \beta_{c_i}
              \big(1 - e^{-\omega_{c_i}(W - t_i)}\big), \qquad
              v(S) = \sum_j \big(1 - e^{-Z_j \Lambda_j(S)}\big),

    the expected conversions within the window if only the channels in S acted. The
    truths are its exact Shapley values (``"shapley"``, main, computed over all
    :math:`2^n` coalitions) and the removal effects :math:`v(N) - v(N \setminus c)`
    (``"incremental"``). Their details give, per channel, ``removal_effect`` (the
    incremental credit), ``direct``: :math:`v(N) - v_{\beta_c = 0}(N)`, the conversions
    its own touches cause (its touches and their offspring kept, its :math:`\beta`
    set to 0), ``mediated``: removal effect minus direct, the conversions of the touches
    it triggers (exactly 0 for a channel whose touches triggered none in the draw), and
    ``shapley_value``. Values: conversions times a log-normal value of
    mean `value_mean`, so the value game is ``value_mean * v``.

    References
    ----------
    Xu, L., Duan, J. A., & Whinston, A. (2014). Path to purchase: A mutually exciting point
    process model for online advertising and conversion. Management Science, 60(6),
    1392-1412.

    Tao, J., Chen, Q., Snyder, J. W., Kumar, A. S., Meisami, A., & Xue, L. (2023). A graphical
    point process framework for understanding removal effects in multi-touch attribution.
    arXiv:2302.06075.

    Examples
    --------
    Display triggers brand search, which converts:

    >>> world = PointProcessWorld(
    ...     mu=[0.1, 0.01], alpha=[[0.0, 0.6], [0.0, 0.0]], decay=0.5, baseline=0.001,
    ...     beta=[0.01, 0.3], omega=[0.5, 2.0], channel_names=["display", "brand_search"])
    >>> sim = world.simulate(5000, random_state=0)
    >>> sim.truth.estimand, bool(sim.journeys.end_time.max() <= 30.0)
    ('shapley', True)
    >>> d = sim.truth.details  # display acts mostly through the searches it triggers
    >>> bool(d["mediated"][0] > d["direct"][0]), bool(d["mediated"][1] == 0)
    (True, True)
    """

    name = "point_process"

    def __init__(
        self,
        mu: Sequence[float],
        alpha: Any,
        decay: Any,
        baseline: float,
        beta: float | Sequence[float],
        omega: float | Sequence[float],
        *,
        window: float = 30.0,
        entry: Sequence[float] | None = None,
        frailty: float | None = None,
        channel_names: Sequence[str] | None = None,
        value_mean: float = 100.0,
        value_sigma: float = 0.5,
        truth: str = "shapley",
    ) -> None:
        self.mu, self.alpha, self.decay, self.baseline, self.beta, self.omega = check_process(
            mu, alpha, decay, baseline, beta, omega
        )
        n = self.mu.size
        if n > MAX_CHANNELS:
            raise ValueError(
                f"at most {MAX_CHANNELS} channels (the truth tabulates all 2^n coalitions), got {n}"
            )
        self.window = _number(window, "window (days)", low=0.0)
        if entry is None:
            if self.mu.sum() <= 0:
                raise ValueError("entry is needed when every mu is 0")
            entry = self.mu
        e = np.asarray(entry, dtype=np.float64)
        if e.shape != (n,) or not np.all(np.isfinite(e)) or np.any(e < 0) or e.sum() <= 0:
            raise ValueError(f"entry must be {n} finite numbers >= 0 with a positive total")
        self.entry = e / e.sum()
        if frailty is not None:
            frailty = _number(frailty, "frailty (gamma shape)", low=0.0)
        self.frailty = frailty
        self.channel_names = _channel_names(channel_names, n)
        self.value_mean = _number(value_mean, "value_mean", low=0.0)
        self.value_sigma = _number(value_sigma, "value_sigma", low=0.0, strict=False)
        if truth not in TRUTHS:
            raise ValueError(f"truth must be one of {', '.join(TRUTHS)}, got {truth!r}")
        self.truth = truth
        self._repr_params = {"channels": n, "window": self.window, "frailty": self.frailty}

    @property
    def n_channels(self) -> int:
        return self.mu.size

    @property
    def half_lives(self) -> np.ndarray:
        return _LN2 / self.omega

    # ------------------------------------------------------------------ draws
    def draw(self, n_journeys: int, random_state: Any = None) -> PointProcessDraw:
        """Every touch of the windows (with parents) and the conversions; what `simulate`
        observes and computes the truth on, for the same `random_state`.

        Examples
        --------
        >>> world = PointProcessWorld([0.1, 0.1], [[0.0, 0.5], [0.0, 0.0]], 1.0, 0.01,
        ...                           0.1, 1.0)
        >>> d = world.draw(100, random_state=0)
        >>> bool(np.all(d.parent[d.generation > 0] >= 0)), bool(np.all(d.time <= 30.0))
        (True, True)
        """
        return draw_point_process(
            check_n_journeys(n_journeys),
            self.mu,
            self.alpha,
            self.decay,
            self.baseline,
            self.beta,
            self.omega,
            window=self.window,
            entry=self.entry,
            frailty=self.frailty,
            random_state=random_state,
        )

    def coalition_values(self, draw: PointProcessDraw) -> np.ndarray:
        r"""v(S) for every coalition S (indexed by bitmask) on a draw, with common random
        numbers: a touch counts when its lineage set is a subset of S.

        Examples
        --------
        >>> world = PointProcessWorld([0.1, 0.1], [[0.0, 0.5], [0.0, 0.0]], 1.0, 0.01,
        ...                           0.1, 1.0)
        >>> v = world.coalition_values(world.draw(500, random_state=0))
        >>> v.shape, bool(v[0] < v[1] < v[3] and v[2] < v[3])
        ((4,), True)
        """
        return self._coalition_values(draw, self._gained(draw))

    def _coalition_values(self, draw: PointProcessDraw, gained: np.ndarray) -> np.ndarray:
        size = 1 << self.n_channels
        # one column per lineage set present; coalition S keeps the sets inside it
        lineage = draw.lineage()
        masks = np.flatnonzero(np.bincount(lineage, minlength=size))
        column = np.zeros(size, dtype=np.int64)
        column[masks] = np.arange(masks.size)
        column = column[lineage]
        coalitions = np.arange(size, dtype=np.int64)
        inside = ((masks[:, None] & ~coalitions[None, :]) == 0).astype(np.float64)
        base = self.baseline * draw.window
        offsets = draw.offsets()
        v = np.zeros(size)
        step = max(1, _BLOCK_CELLS // max(size, masks.size))
        for lo in range(0, draw.n_journeys, step):
            hi = min(lo + step, draw.n_journeys)
            s = slice(offsets[lo], offsets[hi])
            cells = (draw.journey[s] - lo) * masks.size + column[s]
            g = np.bincount(cells, gained[s], minlength=(hi - lo) * masks.size)
            lam = base[lo:hi, None] + g.reshape(hi - lo, masks.size) @ inside
            v += -np.expm1(-draw.frailty[lo:hi, None] * lam).sum(axis=0)
        return v

    def _gained(self, draw: PointProcessDraw) -> np.ndarray:
        """Each touch's addition to its journey's cumulative hazard over the window."""
        c = draw.channel
        return self.beta[c] * -np.expm1(-self.omega[c] * (draw.window[draw.journey] - draw.time))

    def _direct_values(self, draw: PointProcessDraw, gained: np.ndarray) -> np.ndarray:
        """v(N) with beta_c = 0 for each channel c, every touch kept."""
        n, nj = self.n_channels, draw.n_journeys
        per = np.bincount(draw.journey * n + draw.channel, gained, minlength=nj * n)
        per = per.reshape(nj, n)
        lam = self.baseline * draw.window + per.sum(axis=1)
        return -np.expm1(-draw.frailty[:, None] * (lam[:, None] - per)).sum(axis=0)

    def _experiment_arms(
        self, n: int, channel: int, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Conversion within the window with every channel and without `channel`, whose
        touches go with every touch they triggered, down the chain (as in the truths)."""
        draw = self.draw(n, rng)
        gained = self._gained(draw)
        base = self.baseline * draw.window
        kept = (draw.lineage() >> channel) & 1 == 0
        lam_on = base + np.bincount(draw.journey, gained, minlength=draw.n_journeys)
        lam_off = base + np.bincount(
            draw.journey, np.where(kept, gained, 0.0), minlength=draw.n_journeys
        )
        m = np.full(draw.n_journeys, self.value_mean)
        z = draw.frailty
        return -np.expm1(-z * lam_on), m, -np.expm1(-z * lam_off), m

    # ------------------------------------------------------------------ simulate
    def simulate(self, n_journeys: int, random_state: Any = None) -> Simulation:
        """Draw journeys, their conversions, and the truths on the same draw.

        Parameters
        ----------
        n_journeys : int
        random_state : int, Generator or None

        Returns
        -------
        Simulation
            Raw journeys with touch ``times`` and ``end_time`` (days from the first
            touch); truths ``"shapley"`` and ``"incremental"``; ``events`` with one row per
            observed touch: ``journey, position, channel, time, parent`` (position in the
            journey of the touch that triggered it, -1 if organic), ``caused_by`` (its
            channel), ``generation, converted, value``.
        """
        rng = check_random_state(random_state)
        draw = self.draw(n_journeys, rng)
        n_j = draw.n_journeys
        seen = draw.observed
        offsets = draw.offsets(seen)
        converted = draw.converted
        conversions = converted.astype(np.float64)
        s = self.value_sigma
        value = np.where(converted, self.value_mean * rng.lognormal(-0.5 * s * s, s, n_j), 0.0)
        journeys = Journeys(
            draw.channel[seen].astype(np.int32),
            offsets,
            self.channel_names,
            conversions,
            1.0 - conversions,
            value,
            times=draw.time[seen],
            end_time=draw.end_time,
        )
        gained = self._gained(draw)
        v = self._coalition_values(draw, gained)
        triggered = draw.parent[draw.parent >= 0]
        triggers = np.bincount(draw.channel[triggered], minlength=self.n_channels) > 0
        truths = self._truths(v, self._direct_values(draw, gained), triggers, journeys)
        return Simulation(
            journeys,
            truths[self.truth],
            truths,
            events=self._events(draw, seen, offsets, value),
            world=self.name,
            params=self._params(draw, seen, v),
        )

    def _truths(
        self, v: np.ndarray, v_direct: np.ndarray, triggers: np.ndarray, journeys: Journeys
    ) -> dict[str, GroundTruth]:
        n = self.n_channels
        full = (1 << n) - 1
        removal = v[full] - v[full ^ (1 << np.arange(n))]
        # a channel whose touches triggered none: removing it is setting its beta to 0, the
        # same number computed two ways; take one, so its mediated effect is exactly 0
        direct = np.where(triggers, v[full] - v_direct, removal)
        phi = shapley_values_from_table(v, n)
        details = {
            "removal_effect": removal,
            "direct": direct,
            "mediated": removal - direct,
            "shapley_value": phi,
        }
        game = (
            "v(S) = expected conversions within the window if only S's channels acted, a touch"
            " removed with any ancestor's channel (common random numbers, all drawn touches);"
            f" v(N) = {v[full]:.6g}, v(empty) = {v[0]:.6g}"
        )
        kw: dict[str, Any] = dict(
            total_conversions=journeys.n_conversions,
            total_value=journeys.total_value,
            details=details,
        )
        # channels do not change values: the value game is value_mean * v
        m = self.value_mean
        return {
            "shapley": GroundTruth(
                self.channel_names, "shapley", phi, m * phi,
                description=f"exact Shapley values of {game}", **kw,
            ),
            "incremental": GroundTruth(
                self.channel_names, "incremental", removal, m * removal,
                description=f"v(N) - v(N without c), {game}", **kw,
            ),
        }  # fmt: skip

    def _events(
        self, draw: PointProcessDraw, seen: np.ndarray, offsets: np.ndarray, value: np.ndarray
    ) -> pd.DataFrame:
        """One row per observed touch, in the journeys' order (the columns of `touch_frame`)."""
        names = list(self.channel_names)
        index = np.flatnonzero(seen)
        journey = draw.journey[index]
        start = offsets[:-1][journey]
        # a parent is earlier than its child, so it is observed too; its position in the
        # journey is its rank among the journey's observed touches
        position_of = np.full(draw.journey.size, -1, dtype=np.int64)
        position_of[index] = np.arange(index.size) - start
        parent = draw.parent[index]
        has = parent >= 0
        caused_by = np.where(has, draw.channel[np.maximum(parent, 0)], -1)
        return pd.DataFrame(
            {
                "journey": journey,
                "position": (np.arange(index.size) - start).astype(np.int32),
                "channel": pd.Categorical.from_codes(draw.channel[index], names),
                "time": draw.time[index],
                "parent": np.where(has, position_of[np.maximum(parent, 0)], -1),
                "caused_by": pd.Categorical.from_codes(caused_by, names),
                "generation": draw.generation[index],
                "converted": draw.converted[journey],
                "value": value[journey],
            }
        )

    def _params(self, draw: PointProcessDraw, seen: np.ndarray, v: np.ndarray) -> dict[str, Any]:
        names = self.channel_names

        def per_channel(x: np.ndarray) -> dict[str, float]:
            return dict(zip(names, x.tolist(), strict=True))

        def per_pair(x: np.ndarray) -> dict[str, dict[str, float]]:
            return {src: per_channel(row) for src, row in zip(names, x, strict=True)}

        return {
            "window": self.window,
            "mu": per_channel(self.mu),
            "alpha": per_pair(self.alpha),
            "decay": per_channel(self.decay) if self.decay.ndim == 1 else per_pair(self.decay),
            "baseline": self.baseline,
            "beta": per_channel(self.beta),
            "omega": per_channel(self.omega),
            "half_lives": per_channel(self.half_lives),
            "frailty": self.frailty,
            "triggered_touches": int((draw.parent[seen] >= 0).sum()),
            "unobserved_touches": int((~seen).sum()),
            "expected_conversions": float(v[-1]),
            "baseline_conversions": float(v[0]),
        }
