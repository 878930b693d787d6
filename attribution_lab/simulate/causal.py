"""Causal worlds: timed exposures with decaying effects, synergy, mediation and confounding.

Persons are exposed to channels over an observation window; each touch adds a decaying
term to the logit of converting at the end of the window. Because the whole process is
known, the counterfactual "what if only the channels in S existed" is computed exactly on
the drawn persons and touches (common random numbers): that gives the incremental and the
Shapley truth of every channel.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import expit

from .._validation import check_random_state
from ..journeys import Journeys
from ..shapley.exact import popcount, shapley_values_from_table
from .base import GroundTruth, Simulation, World, check_n_journeys, register_scenario

__all__ = ["CausalDraw", "CausalWorld", "Exposure", "coalition_values", "exposure_summary"]

#: The truth tabulates all 2^n coalitions for each distinct channel set of the journeys
#: (at most 4^n numbers: 128 MiB per table at 12 channels).
MAX_CHANNELS = 12

# Rows (journey, sub-coalition) evaluated per block of the truth; bounds its memory to
# roughly 15 arrays of this many 8-byte numbers.
_BLOCK = 1 << 20


# ---------------------------------------------------------------------- pure kernels
@dataclass(frozen=True, eq=False)
class Exposure:
    """Per-journey summary of the touches, enough to evaluate p_j(S) for any coalition S.

    Attributes
    ----------
    organic : ndarray, shape (n_channels, n_journeys)
        :math:`E_{cj} = \\sum_i \\beta_c 2^{-(T_j - t_i)/h_c}` over journey j's organic
        (not caused) touches of channel c. Channel-major, so that gathering one channel
        for many journeys reads contiguous memory.
    organic_mask : ndarray of int64, shape (n_journeys,)
        Bit c set when the journey has an organic touch of channel c.
    caused : ndarray, shape (n_pairs, n_journeys)
        The same sum over the touches that mediation pair k caused.
    caused_mask : ndarray of int64, shape (n_journeys,)
        Bit k set when mediation pair k caused a touch in the journey.
    base_logit : ndarray, shape (n_journeys,)
        The part of the conversion logit no channel changes (intercept, intent, size).
    log_value : ndarray, shape (n_journeys,)
        The part of the log mean conversion value no channel changes.
    """

    organic: np.ndarray
    organic_mask: np.ndarray
    caused: np.ndarray
    caused_mask: np.ndarray
    base_logit: np.ndarray
    log_value: np.ndarray

    @property
    def n_journeys(self) -> int:
        return self.base_logit.size


def exposure_summary(
    journey: np.ndarray,
    channel: np.ndarray,
    time: np.ndarray,
    pair: np.ndarray,
    end_time: np.ndarray,
    effects: np.ndarray,
    half_lives: np.ndarray,
    n_pairs: int,
    base_logit: np.ndarray,
    log_value: np.ndarray,
) -> Exposure:
    """Sum every touch's decayed effect into per-journey, per-channel and per-pair totals.

    Parameters
    ----------
    journey, channel, time, pair : ndarray, shape (n_touchpoints,)
        Journey index, channel code, time (days) and the mediation pair that caused the
        touch (-1 for organic touches) of every touch, in any order.
    end_time : ndarray, shape (n_journeys,)
        Time :math:`T_j` at which each journey's conversion is decided.
    effects, half_lives : ndarray, shape (n_channels,)
        Logit effect of a fresh touch and its half-life in days (``inf``: no decay).
    n_pairs : int
    base_logit, log_value : ndarray, shape (n_journeys,)

    Examples
    --------
    >>> e = exposure_summary(np.array([0, 0]), np.array([0, 1]), np.array([0.0, 3.0]),
    ...                      np.array([-1, 0]), np.array([7.0]), np.array([1.0, 2.0]),
    ...                      np.array([7.0, 4.0]), 1, np.zeros(1), np.zeros(1))
    >>> e.organic.ravel().tolist(), e.caused.ravel().tolist()  # 1 * 2^-1, 2 * 2^-1
    ([0.5, 0.0], [1.0])
    >>> int(e.organic_mask[0]), int(e.caused_mask[0])
    (1, 1)
    """
    n = effects.size
    n_j = base_logit.size
    journey = journey.astype(np.int64)  # keys below reach n_journeys * n_pairs
    # 2^(-0/inf) = 1: an infinite half-life is a touch that never wears off
    w = effects[channel] * np.exp2(-(end_time[journey] - time) / half_lives[channel])
    organic = pair < 0
    key = journey[organic] * n + channel[organic]
    e_org = np.bincount(key, w[organic], minlength=n_j * n).reshape(n_j, n).T.copy()
    has = np.bincount(key, minlength=n_j * n).reshape(n_j, n) > 0
    org_mask = has.astype(np.int64) @ (np.int64(1) << np.arange(n, dtype=np.int64))
    if n_pairs:
        key = journey[~organic] * n_pairs + pair[~organic]
        e_caused = (
            np.bincount(key, w[~organic], minlength=n_j * n_pairs).reshape(n_j, n_pairs).T.copy()
        )
        has = np.bincount(key, minlength=n_j * n_pairs).reshape(n_j, n_pairs) > 0
        caused_mask = has.astype(np.int64) @ (np.int64(1) << np.arange(n_pairs, dtype=np.int64))
    else:
        e_caused = np.zeros((0, n_j))
        caused_mask = np.zeros(n_j, dtype=np.int64)
    return Exposure(e_org, org_mask, e_caused, caused_mask, base_logit, log_value)


def _coalition_tables(
    n: int, synergy: np.ndarray, value_effects: np.ndarray
) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Synergy logit and log value factor of every set of exposed channels (bitmask)."""
    bits = ((np.arange(1 << n)[:, None] >> np.arange(n)) & 1).astype(np.float64)
    syn = np.einsum("sc,cd,sd->s", bits, synergy, bits) if np.any(synergy) else None
    vlog = bits @ value_effects if np.any(value_effects) else None
    return syn, vlog


def _evaluate(
    expo: Exposure,
    jid: np.ndarray,
    masks: np.ndarray,
    pairs: np.ndarray,
    syn: np.ndarray | None,
    vlog: np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray]:
    """p_j(S) and log m_j(S) for rows (journey ``jid``, coalition bitmask ``masks``)."""
    logit = expo.base_logit[jid]
    for c in range(expo.organic.shape[0]):
        col = expo.organic[c]
        if np.any(col):  # skipping exact zeros keeps an inert channel's truth exactly 0
            logit = logit + col[jid] * ((masks >> c) & 1)
    exposed = masks & expo.organic_mask[jid]
    if pairs.size:
        caused_mask = expo.caused_mask[jid]
        for k, (m, d) in enumerate(pairs.tolist()):
            # a caused touch survives only if both its channel and its cause's channel do
            on = (masks >> m) & (masks >> d) & 1
            logit = logit + expo.caused[k][jid] * on
            exposed |= ((caused_mask >> k) & on) << d
    if syn is not None:
        logit = logit + syn[exposed]
    log_value = expo.log_value[jid]
    if vlog is not None:
        log_value = log_value + vlog[exposed]
    return expit(logit), log_value


def _touched_mask(expo: Exposure, pairs: np.ndarray) -> np.ndarray:
    touched = expo.organic_mask.copy()
    for k, (_, d) in enumerate(pairs.tolist()):
        touched |= ((expo.caused_mask >> k) & 1) << d
    return touched


def coalition_values(
    expo: Exposure,
    pairs: np.ndarray,
    synergy: np.ndarray,
    value_effects: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    r"""Expected conversions and value of the journeys when only the channels in S exist.

    Parameters
    ----------
    expo : Exposure
    pairs : int ndarray, shape (n_pairs, 2)
        (cause, caused) channel codes of the mediation pairs, in the order of
        ``expo.caused``.
    synergy : ndarray, shape (n_channels, n_channels)
        Upper-triangular logit terms :math:`\gamma_{cd}` of exposure to both c and d.
    value_effects : ndarray, shape (n_channels,)
        Log effects :math:`\delta_c` of exposure to c on the mean value.

    Returns
    -------
    v, v_value : ndarray, shape (2^n_channels,)
        :math:`v(S) = \sum_j p_j(S)` and :math:`\sum_j p_j(S)\, m_j(S)`, indexed by the
        bitmask of S.

    Notes
    -----
    A channel that journey j never touched cannot change its probability, so
    :math:`p_j(S) = p_j(S \cap T_j)` with :math:`T_j` the journey's touched channels.
    Each journey is therefore evaluated on the :math:`2^{|T_j|}` subsets of its own
    channel set only (typically a handful, not :math:`2^n`), as flat rows (journey,
    subset) in blocks of bounded size; the sums :math:`q_g(R)` per distinct channel set
    :math:`T_g` give :math:`v(S) = \sum_g q_g(S \cap T_g)` by one gather. No loop runs
    per journey or per coalition.

    Examples
    --------
    >>> e = Exposure(np.array([[1.0], [0.0]]), np.array([1]), np.zeros((0, 1)),
    ...              np.zeros(1, dtype=np.int64), np.zeros(1), np.zeros(1))
    >>> v, _ = coalition_values(e, np.zeros((0, 2), dtype=int), np.zeros((2, 2)), np.zeros(2))
    >>> v.round(4).tolist()  # logistic(0), logistic(1), channel 1 untouched
    [0.5, 0.7311, 0.5, 0.7311]
    """
    n = expo.organic.shape[0]
    full = 1 << n
    syn, vlog = _coalition_tables(n, synergy, value_effects)
    touched = _touched_mask(expo, pairs)
    sets, group = np.unique(touched, return_inverse=True)
    q = np.zeros(sets.size * full)
    qv = np.zeros(sets.size * full)
    sizes = np.int64(1) << popcount(touched)
    ends = np.cumsum(sizes)
    lo = 0
    while lo < touched.size:
        base = ends[lo] - sizes[lo]
        hi = max(int(np.searchsorted(ends, base + _BLOCK, side="right")), lo + 1)
        size = sizes[lo:hi]
        jid = np.repeat(np.arange(lo, hi), size)
        # row r of a journey is its r-th subset: deposit r's bits into the journey's set
        r = np.arange(jid.size, dtype=np.int64) - np.repeat(ends[lo:hi] - size - base, size)
        t = touched[jid]
        masks = np.zeros_like(r)
        rank = np.zeros_like(r)
        for c in range(n):
            inside = (t >> c) & 1
            masks |= ((r >> rank) & inside) << c
            rank += inside
        p, log_value = _evaluate(expo, jid, masks, pairs, syn, vlog)
        key = group[jid] * full + masks
        q += np.bincount(key, p, minlength=q.size)
        qv += np.bincount(key, p * np.exp(log_value), minlength=q.size)
        lo = hi
    # v(S) = sum over channel sets g of q_g(S & T_g): a (sets x 2^n) gather, in blocks
    v = np.zeros(full)
    v_value = np.zeros(full)
    step = max(1, _BLOCK // full)
    for lo in range(0, sets.size, step):
        g = np.arange(lo, min(lo + step, sets.size))
        index = g[:, None] * full + (np.arange(full)[None, :] & sets[g, None])
        v += q[index].sum(axis=0)
        v_value += qv[index].sum(axis=0)
    return v, v_value


# ---------------------------------------------------------------------- draws
@dataclass(frozen=True, eq=False)
class CausalDraw:
    """Persons (or accounts) and their touches, before outcomes are drawn.

    Touch arrays are sorted by journey, then time: the order of `Journeys` and of
    `Simulation.events`.

    Attributes
    ----------
    intent : ndarray, shape (n_journeys,)
        Latent purchase intent :math:`u_j \\sim N(0, 1)`.
    size : ndarray of int, shape (n_journeys,)
        Contacts per journey (1 for persons; the buying committee of a B2B account).
    end_time : ndarray, shape (n_journeys,)
        When conversion is decided.
    journey, time, channel, parent, pair, contact : ndarray, shape (n_touchpoints,)
        Per touch: journey index, time in days, channel code, channel code of the touch
        that caused it (-1 if organic), index of its mediation pair (-1 if organic) and
        contact index (B2B; equal to the journey for persons).
    n_dropped : int
        Persons drawn without any touch, left out (they have no journey).
    """

    intent: np.ndarray
    size: np.ndarray
    end_time: np.ndarray
    journey: np.ndarray
    time: np.ndarray
    channel: np.ndarray
    parent: np.ndarray
    pair: np.ndarray
    contact: np.ndarray
    n_dropped: int

    @property
    def n_journeys(self) -> int:
        return self.intent.size

    @property
    def offsets(self) -> np.ndarray:
        offsets = np.zeros(self.n_journeys + 1, dtype=np.int64)
        np.cumsum(np.bincount(self.journey, minlength=self.n_journeys), out=offsets[1:])
        return offsets


@dataclass
class _Units:
    """A batch of journeys and the units (persons or contacts) that receive touches."""

    intent: np.ndarray
    size: np.ndarray
    unit_journey: np.ndarray
    unit_start: np.ndarray
    unit_end: np.ndarray
    counts: np.ndarray  # (units, channels) organic touches

    def take(self, keep: np.ndarray) -> _Units:
        if keep.all():
            return self
        unit_keep = keep[self.unit_journey]
        renumber = np.cumsum(keep) - 1
        return _Units(
            self.intent[keep],
            self.size[keep],
            renumber[self.unit_journey[unit_keep]],
            self.unit_start[unit_keep],
            self.unit_end[unit_keep],
            self.counts[unit_keep],
        )


def _expected_touches(
    rates: np.ndarray, span: np.ndarray, intent: np.ndarray, alpha: np.ndarray
) -> np.ndarray:
    """Expected organic touches per unit and channel: r_c span exp(alpha_c u - alpha_c^2 / 2)."""
    lam = span[:, None] * rates
    for c in np.flatnonzero(alpha):  # exp only where intent moves the rate
        lam[:, c] *= np.exp(alpha[c] * intent - 0.5 * alpha[c] ** 2)
    return lam


def _concat(parts: list[_Units]) -> _Units:
    shift = np.cumsum([0] + [p.intent.size for p in parts[:-1]])
    return _Units(
        np.concatenate([p.intent for p in parts]),
        np.concatenate([p.size for p in parts]),
        np.concatenate([p.unit_journey + s for p, s in zip(parts, shift, strict=True)]),
        np.concatenate([p.unit_start for p in parts]),
        np.concatenate([p.unit_end for p in parts]),
        np.concatenate([p.counts for p in parts]),
    )


# Touch times are rounded down to multiples of 2^-20 days (about 0.08 s): exact in float64
# and small integers, so one argsort of an int64 (journey, time) key orders the touches
# (15x faster than np.lexsort on two keys).
_TIME_BITS = 20


def _sort_touches(journey: np.ndarray, time: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Times on the grid, and the order of the touches by journey, then time."""
    ticks = np.floor(time * 2.0**_TIME_BITS)
    time = ticks * 2.0**-_TIME_BITS
    top = max(float(ticks.max(initial=0.0)), 1.0)
    shift = int(np.ceil(np.log2(top + 1)))
    if shift + int(journey.max(initial=0)).bit_length() > 62:  # pragma: no cover - huge
        return time, np.lexsort((time, journey))
    key = (journey.astype(np.int64) << shift) | ticks.astype(np.int64)
    return time, np.argsort(key, kind="stable")


# ---------------------------------------------------------------------- validation
def _vector(x: Any, n: int, what: str) -> np.ndarray:
    arr = np.asarray(x, dtype=np.float64)
    if arr.ndim == 0:
        arr = np.full(n, float(arr))
    if arr.shape != (n,) or not np.all(np.isfinite(arr)):
        raise ValueError(f"{what} must be a number or {n} finite numbers, got {x!r}")
    return arr


def _number(x: Any, what: str, low: float | None = None, strict: bool = True) -> float:
    try:
        v = float(x)
    except (TypeError, ValueError):
        raise ValueError(f"{what} must be a number, got {x!r}") from None
    if not np.isfinite(v) or (low is not None and (v <= low if strict else v < low)):
        bound = "" if low is None else f" {'>' if strict else '>='} {low:g}"
        raise ValueError(f"{what} must be a finite number{bound}, got {x!r}")
    return v


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
        names = (
            tuple(channel_names) if channel_names is not None else tuple(f"c{k}" for k in range(n))
        )
        if len(names) != n:
            raise ValueError(f"{len(names)} channel names for {n} channels")
        if len(set(names)) != n or not all(isinstance(s, str) and s for s in names):
            raise ValueError(f"channel_names must be {n} distinct non-empty strings")
        self.channel_names = names
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


# ---------------------------------------------------------------------- scenarios
def _scenario(name: str, params: dict[str, Any], kwargs: Mapping[str, Any]) -> CausalWorld:
    world = CausalWorld(**{**params, **kwargs})
    world.name = name
    return world


@register_scenario(
    "independent",
    "four channels whose touches all have the same decaying effect; no confounding, synergy"
    " or mediation. Built to be the easy case where models roughly agree with the truth.",
)
def _independent_scenario(**kwargs: Any) -> CausalWorld:
    """Every touch of every channel adds the same logit effect (0.3, 7-day half-life).

    Channels differ only in how often they touch, and effects add on the logit scale
    with a low base rate, so credit in proportion to touches is close to right: rules
    and data-driven models should roughly agree with the truth and with each other. The
    sanity check before the scenarios built to break them.
    """
    params: dict[str, Any] = dict(
        rates=[0.03, 0.04, 0.05, 0.06],
        effects=0.3,
        half_lives=7.0,
        intercept=-3.5,
        channel_names=["search", "social", "email", "display"],
    )
    return _scenario("independent", params, kwargs)


@register_scenario(
    "decay",
    "three channels alike except for their half-lives (2, 7 and 30 days; world.half_lives)"
    " over a 60-day window. Built to calibrate the time-decay half-life against a known one.",
)
def _decay_scenario(**kwargs: Any) -> CausalWorld:
    """Same touch rate and fresh effect for every channel; half-lives 2, 7 and 30 days.

    A channel's truth differs from another's only through how fast its effect wears off,
    so rules that ignore time split credit by touch counts (equally), while the truth
    favours the slow-decaying channel. ``world.half_lives`` gives the true half-lives
    for calibration.
    """
    params: dict[str, Any] = dict(
        rates=[0.05, 0.05, 0.05],
        effects=[0.6, 0.6, 0.6],
        half_lives=[2.0, 7.0, 30.0],
        intercept=-3.0,
        window=60.0,
        channel_names=["search", "email", "tv"],
    )
    return _scenario("decay", params, kwargs)


@register_scenario(
    "synergy",
    "display and search are complements, email and social substitutes. Built to show"
    " incremental credit double-counting an interaction that Shapley values split.",
)
def _synergy_scenario(**kwargs: Any) -> CausalWorld:
    """Display alone does little, display with search a lot; email and social overlap.

    With a positive interaction the channels' incremental credits sum to more than the
    conversions they add together, with a negative one to less; Shapley values split
    each interaction equally and sum exactly. Touch-splitting rules cannot see either.
    """
    params: dict[str, Any] = dict(
        rates=[0.04, 0.08, 0.05, 0.05],
        effects=[0.4, 0.05, 0.6, 0.6],
        half_lives=[3.0, 10.0, 10.0, 10.0],
        intercept=-3.5,
        channel_names=["search", "display", "email", "social"],
        synergy={("search", "display"): 0.8, ("email", "social"): -0.3},
    )
    return _scenario("synergy", params, kwargs)


@register_scenario(
    "mediation",
    "display causes later brand-search touches that close the sale. Built to be the negative"
    " control of last touch, which credits brand search for conversions display caused.",
)
def _mediation_scenario(**kwargs: Any) -> CausalWorld:
    """Display touches cause brand-search touches a few days later.

    Display has a small effect of its own but causes, with probability 0.8 per touch,
    a brand-search touch after 2 days on average; brand search, last in most converting
    journeys, has a large but short-lived effect. Removing display removes the searches
    it caused, so its incremental credit is large, while last touch gives it almost
    nothing: the last-touch share is far (in total variation) from the truth's.
    """
    params: dict[str, Any] = dict(
        rates=[0.05, 0.01, 0.04, 0.04, 0.03],
        effects=[0.1, 1.0, 0.3, 0.2, 0.1],
        half_lives=[10.0, 2.0, 5.0, 7.0, 1.0],
        intercept=-3.5,
        channel_names=["display", "brand_search", "email", "social", "direct"],
        mediation={("display", "brand_search"): 0.8},
        mediation_delay=2.0,
    )
    return _scenario("mediation", params, kwargs)


@register_scenario(
    "confounding",
    "purchase intent raises both paid-search exposure and conversion; paid search itself"
    " does little. Built to show how far every observational model over-credits it.",
)
def _confounding_scenario(**kwargs: Any) -> CausalWorld:
    """Latent intent drives paid-search touches and conversion (and order value).

    People about to buy search more, so paid search appears in converting journeys far
    more often than its small causal effect warrants. No model fitted to journeys alone
    can remove this (Dalessandro et al. 2012); the truth, computed with each person's
    intent held fixed, shows how much of the apparent effect is selection.
    """
    params: dict[str, Any] = dict(
        rates=[0.04, 0.06, 0.05, 0.04],
        effects=[0.1, 0.2, 0.3, 0.25],
        half_lives=[3.0, 10.0, 7.0, 7.0],
        intercept=-3.8,
        channel_names=["paid_search", "display", "email", "social"],
        intent_exposure=[1.5, 0.0, 0.0, 0.0],
        intent_effect=1.2,
        value_intent=0.2,
    )
    return _scenario("confounding", params, kwargs)


@register_scenario(
    "null_channel",
    "the most frequent channel (display) has no effect at all. Built to show rules and"
    " models crediting a channel whose true incremental and Shapley credit are exactly 0.",
)
def _null_channel_scenario(**kwargs: Any) -> CausalWorld:
    """A high-frequency inert channel beside three effective ones.

    Display touches most persons several times but changes nothing (zero effect, no
    synergy, no mediation, no intent link): its truth is exactly zero, so any credit a
    model gives it is error. Rules hand it credit in proportion to its touches.
    """
    params: dict[str, Any] = dict(
        rates=[0.2, 0.04, 0.05, 0.04],
        effects=[0.0, 0.5, 0.3, 0.25],
        half_lives=[7.0, 3.0, 7.0, 7.0],
        intercept=-3.5,
        channel_names=["display", "search", "email", "social"],
    )
    return _scenario("null_channel", params, kwargs)
