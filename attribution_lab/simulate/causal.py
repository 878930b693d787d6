"""Causal worlds: timed exposures with decaying effects, synergy, mediation and confounding.

Persons are exposed to channels over an observation window; each touch adds a decaying
term to the logit of converting at the end of the window. Because the whole process is
known, the counterfactual "what if only the channels in S existed" is computed exactly on
the drawn persons and touches (common random numbers): that gives the incremental and the
Shapley truth of every channel.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .._validation import check_random_state
from ..journeys import Journeys
from ..shapley.exact import shapley_values_from_table
from ._draws import (
    CausalDraw,
    _channel_names,
    _concat,
    _expected_touches,
    _number,
    _sort_touches,
    _Units,
    _vector,
)
from ._exposure import (
    Exposure,
    _coalition_tables,
    _evaluate,
    _touched_mask,
    coalition_values,
    exposure_summary,
)
from .base import GroundTruth, Simulation, World, check_n_journeys

__all__ = ["CausalDraw", "CausalWorld", "Exposure", "coalition_values", "exposure_summary"]

#: The truth tabulates all 2^n coalitions for each distinct channel set of the journeys
#: (at most 4^n numbers: 128 MiB per table at 12 channels).
MAX_CHANNELS = 12


# ---------------------------------------------------------------------- the world
class CausalWorld(World):
    r"""Persons exposed to channels over time; conversion from decaying, interacting effects.

    Parameters
    ----------
    rates : sequence of float
        Organic touches per day of each channel for a person of average intent.
    effects : sequence of float
        Logit effect :math:`\beta_c` of a touch of channel c at the moment of decision;
        0 makes the channel inert.
    half_lives : float or sequence of float
        Days after which a touch's effect has halved (``inf``: it never wears off).
    intercept : float
        :math:`\beta_0`, the conversion logit of a person of average intent with no touch.
    channel_names : sequence of str, optional
        Default ``c0, c1, ...``.
    window : float, default 30.0
        Observation window in days; every person's conversion is decided at its end.
    intent_exposure : float or sequence of float, default 0.0
        :math:`\alpha_c`: how strongly purchase intent raises each channel's touch rate.
    intent_effect : float, default 0.0
        :math:`\gamma_u`: effect of intent on the conversion logit. Both non-zero make
        intent a confounder of the channel.
    synergy : mapping of (channel, channel) to float, optional
        Logit terms :math:`\gamma_{cd}` added when a person was exposed to both channels
        (positive: complements; negative: substitutes). Channels by name or code.
    mediation : mapping of (cause, caused) to float, optional
        Probability :math:`\pi_{md}` that a touch of channel m causes a later touch of
        channel d (e.g. display driving brand search).
    mediation_delay : float or mapping of (cause, caused) to float, default 3.0
        Mean exponential delay, in days, of a caused touch after its cause.
    value_mean : float, default 100.0
        Mean conversion value of a person of average intent exposed to no channel.
    value_effects : float or sequence of float, default 0.0
        Log effects :math:`\delta_c` of exposure to each channel on the mean value.
    value_intent : float, default 0.0
        Log effect :math:`\eta` of intent on the mean value.
    value_sigma : float, default 0.5
        Log-normal spread of values around their mean.

    Attributes
    ----------
    n_channels : int
    half_lives : ndarray
        The true half-life of each channel's effect, in days (what a calibration of the
        time-decay rule should find when one channel dominates).

    Notes
    -----
    **Exposure.** Person j has intent :math:`u_j \sim N(0, 1)`. Organic touches of
    channel c form a Poisson process of rate
    :math:`r_c \exp(\alpha_c u_j - \alpha_c^2 / 2)` on :math:`[0, T]`, :math:`T` =
    `window` (the :math:`-\alpha_c^2/2` keeps the mean rate at :math:`r_c`). Each organic
    touch of m at :math:`t` causes, with probability :math:`\pi_{md}`, a touch of d at
    :math:`t + \mathrm{Exp}(\tau_{md})`, kept if before :math:`T`. Mediation has depth 1:
    caused touches cause nothing further. Persons without any touch have no journey; they
    are drawn again, and counted in ``params["dropped_without_touches"]``. They would
    add the same :math:`p_j` to every :math:`v(S)`, so dropping them changes no credit.

    **Conversion.** Everyone's conversion is decided at the end of the window, by the
    same rule for converters and non-converters, so observation windows are equal (the
    design's second pitfall is absent here on purpose; what remains is exposure,
    decay, synergy, mediation and confounding). Under a coalition S a touch survives
    iff its channel is in S and, if it was caused, its cause's channel is in S as well:

    .. math:: p_j(S) = \operatorname{logistic}\Big(\beta_0 + \gamma_u u_j
              + \sum_{i \text{ surviving}} \beta_{c_i} 2^{-(T - t_i)/h_{c_i}}
              + \sum_{c < d} \gamma_{cd}\, x_{jc}(S)\, x_{jd}(S)\Big),

    with :math:`x_{jc}(S)` = 1 if a touch of c survives. Values are log-normal with mean
    :math:`m_j(S) = \bar m \exp(\eta u_j + \sum_c \delta_c x_{jc}(S))`. Realised
    journeys are the surviving touches of :math:`S = N`, converting with probability
    :math:`p_j(N)`.

    **Truth** (common random numbers: the same persons, intents and touches under every
    coalition). :math:`v(S) = \sum_j p_j(S)`, the expected conversions if only the
    channels in S existed, and :math:`v_{value}(S) = \sum_j p_j(S) m_j(S)`.

    - ``"incremental"`` (the main truth): :math:`v(N) - v(N \setminus \{c\})`, the
      expected conversions lost without channel c and every touch it caused. It is the
      causal quantity a marketer acts on; with synergy or mediation the channels' sums
      differ from :math:`v(N) - v(\emptyset)` (a caused touch counts for both channels).
    - ``"shapley"``: the exact Shapley values of v over all :math:`2^n` coalitions
      (Shapley 1953), which do sum to :math:`v(N) - v(\emptyset)`.

    Both are expected conversions (not the realised total); `GroundTruth.share`
    normalises them for comparison with a model's shares. Dalessandro et al. (2012) set
    attribution on this causal footing and point out that observational models cannot
    remove confounding by intent. The table of v has :math:`2^n` entries, so at most
    `MAX_CHANNELS` (12) channels; `coalition_values` evaluates each journey only on the
    subsets of its own channel set, so the cost grows with the channels a journey
    touches, not with n.

    **Outputs.** Touch times are in days from the start of the window, rounded down to
    multiples of :math:`2^{-20}` days (0.08 s) so that one integer sort orders them; the
    truth uses the rounded times. ``events`` lists every touch in the journeys' order
    with the channel whose touch caused it (``caused_by``), so removing a channel and
    the touches it caused can be replayed from it.

    References
    ----------
    Shapley, L. S. (1953). A value for n-person games. Contributions to the Theory of
    Games II, 307-317.

    Dalessandro, B., Perlich, C., Stitelman, O., & Provost, F. (2012). Causally motivated
    attribution for online advertising. Proceedings of the Sixth International Workshop
    on Data Mining for Online Advertising (ADKDD '12).

    Examples
    --------
    >>> world = CausalWorld(rates=[0.05, 0.2], effects=[0.8, 0.0], half_lives=[7, 7],
    ...                     intercept=-3.0, channel_names=["search", "inert"])
    >>> sim = world.simulate(2000, random_state=0)
    >>> sim.journeys.n_journeys, sim.truth.estimand, sorted(sim.truths)
    (2000, 'incremental', ['incremental', 'shapley'])
    >>> sim.truth.conversions[1].item(), sim.truths["shapley"].conversions[1].item()  # inert
    (0.0, 0.0)
    """

    name = "causal"

    def __init__(
        self,
        rates: Sequence[float],
        effects: Sequence[float],
        half_lives: float | Sequence[float],
        intercept: float,
        *,
        channel_names: Sequence[str] | None = None,
        window: float = 30.0,
        intent_exposure: float | Sequence[float] = 0.0,
        intent_effect: float = 0.0,
        synergy: Mapping[tuple[Any, Any], float] | None = None,
        mediation: Mapping[tuple[Any, Any], float] | None = None,
        mediation_delay: float | Mapping[tuple[Any, Any], float] = 3.0,
        value_mean: float = 100.0,
        value_effects: float | Sequence[float] = 0.0,
        value_intent: float = 0.0,
        value_sigma: float = 0.5,
    ) -> None:
        r = np.asarray(rates, dtype=np.float64)
        if r.ndim != 1 or r.size < 1:
            raise ValueError("rates must be a non-empty sequence of touches per day")
        n = r.size
        if n > MAX_CHANNELS:
            raise ValueError(
                f"at most {MAX_CHANNELS} channels (the truth tabulates all 2^n coalitions), got {n}"
            )
        if not np.all(np.isfinite(r) & (r >= 0)):
            raise ValueError(f"rates must be finite and >= 0 touches per day, got {rates!r}")
        if not np.any(r > 0):
            raise ValueError("rates: at least one channel needs a touch rate > 0")
        self.rates = r
        self.channel_names = _channel_names(channel_names, n)
        self.effects = _vector(effects, n, "effects")
        h = np.asarray(half_lives, dtype=np.float64)
        h = np.full(n, float(h)) if h.ndim == 0 else h
        if h.shape != (n,) or not np.all(h > 0) or np.any(np.isnan(h)):
            raise ValueError(
                f"half_lives must be a number or {n} numbers > 0 (days; inf for no decay),"
                f" got {half_lives!r}"
            )
        self.half_lives = h
        self.intercept = _number(intercept, "intercept")
        self.window = _number(window, "window", 0.0)
        self.intent_exposure = _vector(intent_exposure, n, "intent_exposure")
        self.intent_effect = _number(intent_effect, "intent_effect")
        self.synergy = np.zeros((n, n))
        for key, g in (synergy or {}).items():
            c, d = self._pair(key, "synergy")
            self.synergy[min(c, d), max(c, d)] += _number(g, f"synergy[{key!r}]")
        pairs, probs = [], []
        for key, prob in (mediation or {}).items():
            pairs.append(self._pair(key, "mediation"))
            probs.append(_number(prob, f"mediation[{key!r}]", 0.0, strict=False))
            if probs[-1] > 1:
                raise ValueError(
                    f"mediation[{key!r}] must be a probability in [0, 1], got {prob!r}"
                )
        self.mediation_pairs = np.array(pairs, dtype=np.int64).reshape(-1, 2)
        if len({tuple(p) for p in pairs}) != len(pairs):
            raise ValueError("mediation: a (cause, caused) pair is given twice")
        self.mediation_probs = np.array(probs, dtype=np.float64)
        if isinstance(mediation_delay, Mapping):
            delays = {self._pair(k, "mediation_delay"): v for k, v in mediation_delay.items()}
            unknown = set(delays) - {tuple(p) for p in pairs}
            if unknown:
                raise ValueError(
                    f"mediation_delay names pairs without a mediation probability: {unknown}"
                )
            self.mediation_delays = np.array(
                [_number(delays.get(tuple(p), 3.0), "mediation_delay", 0.0) for p in pairs]
            )
        else:
            self.mediation_delays = np.full(
                len(pairs), _number(mediation_delay, "mediation_delay", 0.0)
            )
        self.value_mean = _number(value_mean, "value_mean", 0.0)
        self.value_effects = _vector(value_effects, n, "value_effects")
        self.value_intent = _number(value_intent, "value_intent")
        self.value_sigma = _number(value_sigma, "value_sigma", 0.0, strict=False)
        self._repr_params = {"channels": n, "window": self.window}

    def _pair(self, key: Any, what: str) -> tuple[int, int]:
        if not isinstance(key, tuple) or len(key) != 2:
            raise ValueError(f"{what}: keys must be pairs of channels, got {key!r}")
        codes = []
        for ch in key:
            if isinstance(ch, str):
                if ch not in self.channel_names:
                    raise ValueError(f"{what}: unknown channel {ch!r} in {key!r}")
                codes.append(self.channel_names.index(ch))
            elif isinstance(ch, (int, np.integer)) and not isinstance(ch, bool):
                if not 0 <= ch < self.n_channels:
                    raise ValueError(f"{what}: channel code {ch} not in range({self.n_channels})")
                codes.append(int(ch))
            else:
                raise ValueError(f"{what}: channels are names or codes, got {ch!r}")
        if codes[0] == codes[1]:
            raise ValueError(f"{what}: {key!r} pairs a channel with itself")
        return codes[0], codes[1]

    @property
    def n_channels(self) -> int:
        return self.rates.size

    def channel_table(self) -> pd.DataFrame:
        """The world's per-channel parameters, one row per channel.

        Examples
        --------
        >>> from attribution_lab.simulate import make_world
        >>> make_world("decay").channel_table()["half_life"].tolist()
        [2.0, 7.0, 30.0]
        """
        return pd.DataFrame(
            {
                "rate": self.rates,
                "effect": self.effects,
                "half_life": self.half_lives,
                "intent_exposure": self.intent_exposure,
                "value_effect": self.value_effects,
            },
            index=pd.Index(self.channel_names, name="channel"),
        )

    # ------------------------------------------------------------------ drawing
    def _draw_units(self, rng: np.random.Generator, m: int) -> _Units:
        """m persons: intent and organic touch counts over the whole window."""
        intent = rng.standard_normal(m)
        lam = _expected_touches(self.rates, np.full(m, self.window), intent, self.intent_exposure)
        return _Units(
            intent,
            np.ones(m, dtype=np.int64),
            np.arange(m),
            np.zeros(m),
            np.full(m, self.window),
            rng.poisson(lam),
        )

    def _end_time(self, units: _Units) -> np.ndarray:
        return np.full(units.intent.size, self.window)

    def draw(self, n_journeys: int, random_state: Any = None) -> CausalDraw:
        """Persons with at least one touch, and their touches (no outcomes yet).

        Parameters
        ----------
        n_journeys : int
        random_state : int, Generator or None

        Returns
        -------
        CausalDraw
        """
        n_journeys = check_n_journeys(n_journeys)
        rng = check_random_state(random_state)
        return self._draw(n_journeys, rng)

    def _draw(self, n_journeys: int, rng: np.random.Generator) -> CausalDraw:
        parts: list[_Units] = []
        kept = dropped = drawn = 0
        while kept < n_journeys:
            need = n_journeys - kept
            rate = kept / drawn if drawn else 1.0
            if drawn > 1000 and rate < 1e-3:
                raise ValueError(
                    f"touch rates too low: only {kept} of {drawn} persons drawn had a touch"
                    f" in the {self.window:g}-day window"
                )
            # oversample by the observed share with touches, so one more batch is rare
            m = int(np.ceil(need / max(rate, 1e-3) * 1.02)) + 16 if drawn else need
            units = self._draw_units(rng, m)
            has = np.bincount(units.unit_journey, units.counts.sum(axis=1), minlength=m) > 0
            idx = np.flatnonzero(has)[:need]
            cut = int(idx[-1]) + 1 if idx.size == need else m
            dropped += cut - idx.size
            drawn += m
            kept += idx.size
            keep = np.zeros(m, dtype=bool)
            keep[idx] = True
            parts.append(units.take(keep))
        units = _concat(parts) if len(parts) > 1 else parts[0]
        return self._touches(rng, units, dropped)

    def _touches(self, rng: np.random.Generator, units: _Units, dropped: int) -> CausalDraw:
        """Organic touch times, caused touches, sorted by journey then time."""
        n = self.n_channels
        n_units = units.unit_journey.size
        counts = units.counts.ravel()
        # int32 indices and int16 codes: these arrays have one entry per touch
        unit = np.repeat(np.repeat(np.arange(n_units, dtype=np.int32), n), counts)
        channel = np.repeat(np.tile(np.arange(n, dtype=np.int16), n_units), counts)
        u = rng.random(unit.size)
        if np.ptp(units.unit_start) == 0 and np.ptp(units.unit_end) == 0:
            # every unit sees the same window: no per-touch gathers
            time = units.unit_start[0] + u * (units.unit_end[0] - units.unit_start[0])
        else:
            start = units.unit_start[unit]
            time = start + u * (units.unit_end[unit] - start)
        del u
        parent = np.full(unit.size, -1, dtype=np.int16)
        pair = np.full(unit.size, -1, dtype=np.int16)
        extra = []
        for k, (m, d) in enumerate(self.mediation_pairs.tolist()):
            cause = np.flatnonzero(channel == m)  # organic touches only: depth 1
            cause = cause[rng.random(cause.size) < self.mediation_probs[k]]
            t = time[cause] + rng.exponential(self.mediation_delays[k], size=cause.size)
            ok = t < units.unit_end[unit[cause]]
            extra.append((unit[cause[ok]], t[ok], d, m, k))
        if extra:

            def append(base: np.ndarray, col: int) -> np.ndarray:
                fill = [np.full(e[0].size, e[col], dtype=np.int16) for e in extra]
                return np.concatenate([base, *fill])

            unit = np.concatenate([unit] + [e[0] for e in extra])
            time = np.concatenate([time] + [e[1] for e in extra])
            channel, parent, pair = append(channel, 2), append(parent, 3), append(pair, 4)
        # a person is its own journey; contacts map to their account
        journey = unit if n_units == units.intent.size else units.unit_journey[unit]
        time, order = _sort_touches(journey, time)
        journey = journey[order]
        return CausalDraw(
            intent=units.intent,
            size=units.size,
            end_time=self._end_time(units),
            journey=journey,
            time=time[order],
            channel=channel[order].astype(np.int32),
            parent=parent[order],
            pair=pair[order],
            contact=journey if n_units == units.intent.size else unit[order],
            n_dropped=int(dropped),
        )

    # ------------------------------------------------------------------ truth
    def _base(self, draw: CausalDraw) -> tuple[np.ndarray, np.ndarray]:
        """Logit and log mean value of each journey that no channel changes."""
        base = self.intercept + self.intent_effect * draw.intent
        log_value = np.log(self.value_mean) + self.value_intent * draw.intent
        return base, log_value

    def exposure(self, draw: CausalDraw) -> Exposure:
        """The per-journey summary `coalition_values` evaluates."""
        base, log_value = self._base(draw)
        return exposure_summary(
            draw.journey,
            draw.channel,
            draw.time,
            draw.pair,
            draw.end_time,
            self.effects,
            self.half_lives,
            len(self.mediation_pairs),
            base,
            log_value,
        )

    def coalition_values(self, draw: CausalDraw) -> tuple[np.ndarray, np.ndarray]:
        """:math:`v(S)` and :math:`v_{value}(S)` of a draw for all coalitions, by bitmask.

        Examples
        --------
        >>> world = CausalWorld([0.1, 0.1], [0.5, 0.0], 7.0, -2.0)
        >>> v, v_value = world.coalition_values(world.draw(500, random_state=1))
        >>> bool(v[1] > v[0]), bool(v[2] == v[0]), bool(v[3] == v[1])  # channel 1 is inert
        (True, True, True)
        """
        return coalition_values(
            self.exposure(draw), self.mediation_pairs, self.synergy, self.value_effects
        )

    def truths(
        self, v: np.ndarray, v_value: np.ndarray, total_conversions: float, total_value: float
    ) -> dict[str, GroundTruth]:
        """The incremental and Shapley truths of a table of coalition values."""
        n = self.n_channels
        full = (1 << n) - 1
        without = full ^ (1 << np.arange(n))
        inc, inc_v = v[full] - v[without], v_value[full] - v_value[without]
        phi = shapley_values_from_table(v, n)
        phi_v = shapley_values_from_table(v_value, n)
        details = {
            "incremental_conversions": inc,
            "incremental_value": inc_v,
            "shapley_value": phi,
            "value_shapley_value": phi_v,
        }
        game = (
            f"v(S) = expected conversions when only S's channels (and the touches they"
            f" caused) exist, with common random numbers; v(N) = {v[full]:.6g},"
            f" v(empty) = {v[0]:.6g}"
        )
        kw = dict(total_conversions=total_conversions, total_value=total_value, details=details)
        return {
            "incremental": GroundTruth(
                self.channel_names,
                "incremental",
                inc,
                inc_v,
                description=f"v(N) - v(N without c), {game}",
                **kw,
            ),
            "shapley": GroundTruth(
                self.channel_names,
                "shapley",
                phi,
                phi_v,
                description=f"exact Shapley values of {game}",
                **kw,
            ),
        }

    def _experiment_arms(
        self, n: int, channel: int, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """p_j and m_j of the persons `simulate` would draw, with every channel and
        without `channel` (its caused touches removed with it, as in the truth)."""
        draw = self._draw(n, rng)
        expo = self.exposure(draw)
        pairs = self.mediation_pairs
        syn, vlog = _coalition_tables(self.n_channels, self.synergy, self.value_effects)
        jid = np.arange(draw.n_journeys)
        touched = _touched_mask(expo, pairs)
        p_on, lv_on = _evaluate(expo, jid, touched, pairs, syn, vlog)
        p_off, lv_off = _evaluate(expo, jid, touched & ~(1 << channel), pairs, syn, vlog)
        return p_on, np.exp(lv_on), p_off, np.exp(lv_off)

    # ------------------------------------------------------------------ simulation
    def _milestones(self, draw: CausalDraw, converted: np.ndarray) -> dict[str, np.ndarray]:
        return {}

    def _event_extras(
        self, draw: CausalDraw, milestones: Mapping[str, np.ndarray]
    ) -> dict[str, Any]:
        return {}

    def _events(
        self,
        draw: CausalDraw,
        converted: np.ndarray,
        value: np.ndarray,
        milestones: Mapping[str, np.ndarray],
    ) -> pd.DataFrame:
        """One row per touch, in the journeys' order (the columns of `touch_frame`)."""
        names = list(self.channel_names)
        offsets = draw.offsets
        first = np.repeat(offsets[:-1], np.diff(offsets))
        columns: dict[str, Any] = {
            "journey": draw.journey,
            "position": (np.arange(draw.journey.size) - first).astype(np.int32),
            "channel": pd.Categorical.from_codes(draw.channel, names),
            "time": draw.time,
            **self._event_extras(draw, milestones),
            "caused_by": pd.Categorical.from_codes(draw.parent, names),
            **milestones,
            "converted": converted[draw.journey],
            "value": value[draw.journey],
        }
        return pd.DataFrame(columns)

    def _journey_extras(self, draw: CausalDraw) -> dict[str, Any]:
        return {}

    def simulate(self, n_journeys: int, random_state: Any = None) -> Simulation:
        """Draw persons, touches and outcomes; compute the truths on the same draw.

        Parameters
        ----------
        n_journeys : int
            Journeys (persons with at least one touch) to return.
        random_state : int, Generator or None

        Returns
        -------
        Simulation
            Raw journeys with touch times (days) and ``end_time``; truths
            ``"incremental"`` (main) and ``"shapley"``; ``events`` with one row per
            touch, in the journeys' touch order: ``journey, position, channel, time,
            caused_by, converted, value`` (``caused_by`` names the channel whose touch
            caused it, missing for organic touches).
        """
        n_journeys = check_n_journeys(n_journeys)
        rng = check_random_state(random_state)
        draw = self._draw(n_journeys, rng)
        expo = self.exposure(draw)
        pairs = self.mediation_pairs
        syn, vlog = _coalition_tables(self.n_channels, self.synergy, self.value_effects)
        jid = np.arange(draw.n_journeys)
        p, log_value = _evaluate(expo, jid, _touched_mask(expo, pairs), pairs, syn, vlog)
        converted = rng.random(draw.n_journeys) < p
        s = self.value_sigma
        factor = rng.lognormal(-0.5 * s * s, s, size=draw.n_journeys)
        value = np.where(converted, np.exp(log_value) * factor, 0.0)
        conversions = converted.astype(np.float64)
        milestones = self._milestones(draw, converted)
        journeys = Journeys(
            draw.channel,
            draw.offsets,
            self.channel_names,
            conversions,
            1.0 - conversions,
            value,
            times=draw.time,
            end_time=draw.end_time,
            milestones=milestones or None,
            **self._journey_extras(draw),
        )
        v, v_value = coalition_values(expo, pairs, self.synergy, self.value_effects)
        truths = self.truths(v, v_value, journeys.n_conversions, journeys.total_value)
        return Simulation(
            journeys,
            truths["incremental"],
            truths,
            events=self._events(draw, converted, value, milestones),
            world=self.name,
            params={
                "window": self.window,
                "half_lives": dict(zip(self.channel_names, self.half_lives.tolist(), strict=True)),
                "dropped_without_touches": draw.n_dropped,
                "caused_touches": int((draw.pair >= 0).sum()),
                "expected_conversions": float(v[-1]),
                "baseline_conversions": float(v[0]),
                "expected_value": float(v_value[-1]),
            },
        )
