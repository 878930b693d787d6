"""Pure kernels of the causal worlds' truth: p_j(S) for every journey and coalition S.

`exposure_summary` reduces a draw's touches to what the conversion probability of a
journey depends on; `coalition_values` sums it over the journeys for every coalition,
evaluating each journey only on the sub-coalitions of the channels it touched.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..shapley.exact import popcount

__all__ = ["Exposure", "coalition_values", "exposure_summary"]

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
    from scipy.special import expit

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
