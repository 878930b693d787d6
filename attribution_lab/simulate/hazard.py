"""Worlds whose conversions follow the additive-hazard process of Zhang, Wei & Ren (2014).

Touches arrive as a Poisson process after a journey's first touch; every touch raises the
conversion hazard by an exponentially decaying amount; a journey stops at its conversion
and is otherwise observed to the end of the window. The first scenario checks that
`attribution_lab.hazard.HazardAttribution` recovers the process; the second shows what the
stop at conversion does to a conversion model on exposure indicators.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .._validation import check_random_state
from ..hazard import hazard_coalition_values
from ..journeys import Journeys
from ..shapley.exact import shapley_values_from_table
from ._draws import _channel_names, _number, _sort_touches
from .base import GroundTruth, Simulation, World, check_n_journeys

__all__ = ["HazardWorld"]

_LN2 = float(np.log(2.0))
#: The Shapley truth tabulates all 2^n coalitions.
MAX_CHANNELS = 12
TRUTHS = ("hazard_share", "shapley", "incremental")


def _vector(x: Any, n: int | None, what: str, positive: bool = False) -> np.ndarray:
    arr = np.asarray(x, dtype=np.float64)
    if arr.ndim == 0 and n is not None:
        arr = np.full(n, float(arr))
    if arr.ndim != 1 or (n is not None and arr.shape != (n,)) or arr.size == 0:
        raise ValueError(f"{what} must be a number or {n or 'some'} numbers, got {x!r}")
    if not np.all(np.isfinite(arr)) or np.any(arr < 0) or (positive and np.any(arr <= 0)):
        sign = "> 0" if positive else ">= 0"
        raise ValueError(f"{what} must be finite numbers {sign}, got {x!r}")
    return arr


class HazardWorld(World):
    r"""Journeys from the additive-hazard process, stopped at conversion.

    Parameters
    ----------
    rates : sequence of float
        Touches per day of each channel after the first touch.
    beta : float or sequence of float
        :math:`\beta_c`: expected conversions a touch adds over an unlimited window.
    omega : float or sequence of float
        :math:`\omega_c`: decay rate per day (half-life :math:`\ln 2/\omega_c`).
    baseline : float
        :math:`\mu`: conversions per day with no touch.
    window : float, default 30.0
        Days from the first touch to the end of observation.
    entry : sequence of float, optional
        Probabilities of the first touch's channel; by default proportional to `rates`.
    channel_names : sequence of str, optional
        Default ``c0, c1, ...``.
    value_mean, value_sigma : float, default 100.0 and 0.5
        Conversion values are log-normal with this mean and log-scale spread; channels
        do not change them.
    truth : {"hazard_share", "shapley", "incremental"}, default "hazard_share"
        Which truth is `Simulation.truth` (all three are in `Simulation.truths`).

    Attributes
    ----------
    half_lives : ndarray
        :math:`\ln 2/\omega_c` in days.

    Notes
    -----
    **Process.** A journey starts with a touch at :math:`t = 0` of a channel drawn from
    `entry`; further touches of channel c arrive as a Poisson process of rate
    :math:`r_c` on :math:`(0, W]`, independent of everything else. The conversion hazard

    .. math:: \lambda(t) = \mu + \sum_{i:\, t_i \le t} \beta_{c_i}\omega_{c_i}
              e^{-\omega_{c_i}(t - t_i)}

    is exactly `HazardAttribution`'s model (window from the first touch). Because
    touches do not depend on the conversion, the conversion time is drawn exactly by
    inverting the cumulative hazard: with :math:`E \sim \mathrm{Exp}(1)`, the journey
    converts at the :math:`T` where :math:`\Lambda(T) = E` if :math:`\Lambda(W) \ge E`
    (found by bisection to machine precision; :math:`\Lambda` is continuous and
    increasing), and is censored at W otherwise. A converting journey stops at T: its
    later touches are never observed (``params["unobserved_touches"]``) and its
    ``end_time`` is T; the others' is W.

    **Truths.** ``"hazard_share"`` (main by default): each conversion split over its touches in
    proportion to their hazard :math:`\beta_c\omega_c e^{-\omega_c(T - t_i)}` at the
    conversion, with the true parameters, on the drawn journeys (the baseline's share
    renormalised away, as `HazardAttribution` does). It is what the model's credit
    converges to, and a split of each conversion over its own touches with weights
    summing to 1 is what the ``"hazard_share"`` estimand means: the weights are the conditional
    probabilities that each touch triggered the conversion, not a counterfactual. Its
    details give ``triggered_conversions`` (the same split without renormalising the
    baseline away) and ``compensator`` (:math:`\sum_j \sum_{i: c_i = c}
    \beta_c(1 - e^{-\omega_c(T_j - t_i)})`, an unbiased estimate of the expected
    conversions triggered by c). ``"shapley"`` and ``"incremental"``: with common random
    numbers (the same customers and *all* their drawn touches on :math:`[0, W]`, also
    those after a conversion), :math:`v(S) = \sum_j (1 - e^{-\mu W - \sum_{c \in S}
    B_{jc}})`, :math:`B_{jc} = \sum_{i: c_i = c} \beta_c(1 - e^{-\omega_c (W - t_i)})`,
    the expected conversions within the window if only the channels in S acted (the
    baseline always acts; a customer whose first touch is removed still exists). The
    truths are its exact Shapley values and :math:`v(N) - v(N \setminus c)`, as in
    `CausalWorld`. Triggered conversions and these counterfactuals differ when
    conversions are likely: a conversion triggered by one touch would often have been
    triggered later by another.

    References
    ----------
    Zhang, Y., Wei, Y., & Ren, J. (2014). Multi-touch attribution in online advertising
    with survival theory. 2014 IEEE International Conference on Data Mining (ICDM),
    687-696.

    Examples
    --------
    >>> world = HazardWorld([0.1, 0.1], beta=[0.2, 0.0001], omega=0.3, baseline=0.001)
    >>> sim = world.simulate(2000, random_state=0)
    >>> bool(sim.journeys.end_time.max() <= 30.0), sim.truth.estimand, sorted(sim.truths)
    (True, 'hazard_share', ['hazard_share', 'incremental', 'shapley'])
    >>> bool(sim.truth.share[0] > 0.95)  # channel 1 barely acts
    True
    """

    name = "hazard"

    def __init__(
        self,
        rates: Sequence[float],
        beta: float | Sequence[float],
        omega: float | Sequence[float],
        baseline: float,
        *,
        window: float = 30.0,
        entry: Sequence[float] | None = None,
        channel_names: Sequence[str] | None = None,
        value_mean: float = 100.0,
        value_sigma: float = 0.5,
        truth: str = "hazard_share",
    ) -> None:
        self.rates = _vector(rates, None, "rates")
        n = self.rates.size
        if n > MAX_CHANNELS:
            raise ValueError(f"at most {MAX_CHANNELS} channels, got {n}")
        self.beta = _vector(beta, n, "beta", positive=True)
        self.omega = _vector(omega, n, "omega", positive=True)
        if not (np.isfinite(baseline) and baseline > 0):
            raise ValueError(f"baseline must be a finite number > 0 (per day), got {baseline!r}")
        self.baseline = float(baseline)
        if not (np.isfinite(window) and window > 0):
            raise ValueError(f"window must be a finite number > 0 (days), got {window!r}")
        self.window = float(window)
        if entry is None:
            if self.rates.sum() <= 0:
                raise ValueError("entry is needed when every rate is 0")
            entry = self.rates
        e = _vector(entry, n, "entry")
        if e.sum() <= 0:
            raise ValueError("entry must have a positive total")
        self.entry = e / e.sum()
        self.channel_names = _channel_names(channel_names, n)
        self.value_mean = _number(value_mean, "value_mean", low=0.0)
        self.value_sigma = _number(value_sigma, "value_sigma", low=0.0, strict=False)
        if truth not in TRUTHS:
            raise ValueError(f"truth must be one of {', '.join(TRUTHS)}, got {truth!r}")
        self.truth = truth
        self._repr_params = {"channels": n, "window": self.window}

    @property
    def n_channels(self) -> int:
        return self.rates.size

    @property
    def half_lives(self) -> np.ndarray:
        return _LN2 / self.omega

    # ------------------------------------------------------------------ kernels
    def _cumulative(self, jid: np.ndarray, ch: np.ndarray, t: np.ndarray, at: np.ndarray,
                    n_j: int) -> np.ndarray:  # fmt: skip
        """Lambda_j(at_j) for journeys 0..n_j-1 from their touches (jid, ch, t)."""
        d = at[jid] - t
        gained = np.where(d > 0, self.beta[ch] * -np.expm1(-self.omega[ch] * np.maximum(d, 0)), 0.0)
        return self.baseline * at + np.bincount(jid, gained, minlength=n_j)

    def _draw_touches(
        self, n_journeys: int, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every touch of the windows (journey, channel, time), sorted by journey and time."""
        n, w = self.n_channels, self.window
        first = rng.choice(n, size=n_journeys, p=self.entry)
        counts = rng.poisson(self.rates * w, size=(n_journeys, n))
        later_j = np.repeat(np.repeat(np.arange(n_journeys), n), counts.ravel())
        later_c = np.repeat(np.tile(np.arange(n), n_journeys), counts.ravel())
        jid = np.concatenate([np.arange(n_journeys), later_j])
        ch = np.concatenate([first, later_c])
        t = np.concatenate([np.zeros(n_journeys), rng.uniform(0.0, w, size=later_j.size)])
        t, order = _sort_touches(jid, t)
        return jid[order], ch[order], t[order]

    def _experiment_arms(
        self, n: int, channel: int, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Conversion within the window with every channel and without `channel`: the
        counterfactual of the truths (every drawn touch, the baseline always acting)."""
        jid, ch, t = self._draw_touches(n, rng)
        gained = self.beta[ch] * -np.expm1(-self.omega[ch] * (self.window - t))
        lam_on = self.baseline * self.window + np.bincount(jid, gained, minlength=n)
        lam_off = lam_on - np.bincount(jid, np.where(ch == channel, gained, 0.0), minlength=n)
        m = np.full(n, self.value_mean)
        return -np.expm1(-lam_on), m, -np.expm1(-lam_off), m

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
            touch); truths ``"hazard_share"``, ``"shapley"`` and ``"incremental"``.
        """
        n_journeys = check_n_journeys(n_journeys)
        rng = check_random_state(random_state)
        w = self.window
        jid, ch, t = self._draw_touches(n_journeys, rng)
        # the whole window's cumulative hazard decides who converts
        full = np.full(n_journeys, w)
        lam_w = self._cumulative(jid, ch, t, full, n_journeys)
        e = rng.exponential(size=n_journeys)
        converted = e <= lam_w
        # conversion time: the root of Lambda(T) = E on (0, W], by bisection
        rows = np.flatnonzero(converted)
        keep = converted[jid]
        compact = np.cumsum(converted) - 1
        cj, cc, ct = compact[jid[keep]], ch[keep], t[keep]
        lo, hi = np.zeros(rows.size), np.full(rows.size, w)
        target = e[rows]
        for _ in range(64):
            mid = 0.5 * (lo + hi)
            below = self._cumulative(cj, cc, ct, mid, rows.size) < target
            lo = np.where(below, mid, lo)
            hi = np.where(below, hi, mid)
        end = full.copy()
        end[rows] = hi
        # journeys stop at the conversion: touches after it are never observed
        seen = t <= end[jid]
        lengths = np.bincount(jid[seen], minlength=n_journeys)
        offsets = np.zeros(n_journeys + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        conversions = converted.astype(np.float64)
        s = self.value_sigma
        value = np.where(
            converted, self.value_mean * rng.lognormal(-0.5 * s * s, s, n_journeys), 0.0
        )
        journeys = Journeys(
            ch[seen].astype(np.int32),
            offsets,
            self.channel_names,
            conversions,
            1.0 - conversions,
            value,
            times=t[seen],
            end_time=end,
        )
        truths, v = self._truths(journeys, jid, ch, t)
        return Simulation(
            journeys,
            truths[self.truth],
            truths,
            world=self.name,
            params={
                "window": w,
                "baseline": self.baseline,
                "beta": dict(zip(self.channel_names, self.beta.tolist(), strict=True)),
                "omega": dict(zip(self.channel_names, self.omega.tolist(), strict=True)),
                "half_lives": dict(zip(self.channel_names, self.half_lives.tolist(), strict=True)),
                "unobserved_touches": int((~seen).sum()),
                "expected_conversions": float(v[-1]),
                "baseline_conversions": float(v[0]),
            },
        )

    # ------------------------------------------------------------------ truths
    def _truths(
        self, journeys: Journeys, jid: np.ndarray, ch: np.ndarray, t: np.ndarray
    ) -> tuple[dict[str, GroundTruth], np.ndarray]:
        n = self.n_channels
        j = journeys
        end = np.asarray(j.end_time)
        obs_j = j.journey_index
        lag = end[obs_j] - j.times
        chans = j.channels
        kernel = self.beta[chans] * self.omega[chans] * np.exp(-self.omega[chans] * lag)
        total_k = np.bincount(obs_j, kernel, minlength=j.n_journeys)
        lam = self.baseline + total_k
        y, val = j.conversions, j.value
        share = kernel / total_k[obs_j]
        rule_conv = np.bincount(chans, share * y[obs_j], minlength=n)
        rule_val = np.bincount(chans, share * val[obs_j], minlength=n)
        triggered = np.bincount(chans, kernel * (y / lam)[obs_j], minlength=n)
        comp = np.bincount(
            chans, self.beta[chans] * -np.expm1(-self.omega[chans] * lag), minlength=n
        )
        kw: dict[str, Any] = dict(total_conversions=j.n_conversions, total_value=j.total_value)
        truths = {
            "hazard_share": GroundTruth(
                self.channel_names,
                "hazard_share",
                rule_conv,
                rule_val,
                description=(
                    "each conversion split over its touches by their true hazard at the"
                    " conversion time (baseline renormalised away)"
                ),
                details={"triggered_conversions": triggered, "compensator": comp},
                **kw,
            )
        }
        # counterfactual coalitions over the whole window, with every drawn touch
        gained = self.beta[ch] * -np.expm1(-self.omega[ch] * (self.window - t))
        key = jid.astype(np.int64) * n + ch
        b = np.bincount(key, gained, minlength=j.n_journeys * n).reshape(-1, n)
        v = hazard_coalition_values(b, np.full(j.n_journeys, self.baseline * self.window))
        v_value = self.value_mean * v
        full = (1 << n) - 1
        without = full ^ (1 << np.arange(n))
        inc, inc_v = v[full] - v[without], v_value[full] - v_value[without]
        phi = shapley_values_from_table(v, n)
        phi_v = shapley_values_from_table(v_value, n)
        game = (
            "v(S) = expected conversions within the window if only S's channels acted (common"
            f" random numbers, all drawn touches); v(N) = {v[full]:.6g}, v(empty) = {v[0]:.6g}"
        )
        details = {
            "incremental_conversions": inc,
            "shapley_value": phi,
            "triggered_conversions": triggered,
        }
        truths["incremental"] = GroundTruth(
            self.channel_names, "incremental", inc, inc_v,
            description=f"v(N) - v(N without c), {game}", details=details, **kw,
        )  # fmt: skip
        truths["shapley"] = GroundTruth(
            self.channel_names, "shapley", phi, phi_v,
            description=f"exact Shapley values of {game}", details=details, **kw,
        )  # fmt: skip
        return truths, v
