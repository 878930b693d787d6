"""Slow, obviously correct Markov-chain computations, for the tests.

`reference_counts` walks every journey in Python and counts its state transitions in a
dict; `reference_removal_effects` applies the definition of removal literally (redirect
every transition into a state containing c to null, dense solve);
`first_entry_removal_effects` computes the same numbers a second way, through the
fundamental matrix of the chain restricted to states without c and the identity
``RE_c = P(visit c | conversion)``; `per_channel_removal_effects` is the sparse
implementation of before issue 21 (one LU per channel) on a `MarkovChain`. The code in
`attribution_lab.markov.chain` and `attribution_lab.markov._solve` (one solve for every
channel) must agree with all three.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from ..journeys import Journeys

START, CONV, NULL = "start", "conv", "null"


def path_states(path: list[int], order: int, collapse: bool = False) -> list[tuple[int, ...]]:
    """The states of one path: its windows of `order` channels, repeats merged."""
    if collapse:
        path = [c for i, c in enumerate(path) if i == 0 or c != path[i - 1]]
    if len(path) < order:
        windows = [tuple(path)]
    else:
        windows = [tuple(path[i : i + order]) for i in range(len(path) - order + 1)]
    merged = [w for i, w in enumerate(windows) if i == 0 or w != windows[i - 1]]
    return merged


def reference_counts(
    journeys: Journeys, order: int, collapse: bool = False
) -> dict[tuple[object, object], float]:
    """Weighted transition counts, keyed by (from, to) with states as channel-code tuples."""
    counts: dict[tuple[object, object], float] = defaultdict(float)
    for j in range(journeys.n_journeys):
        path = journeys.channels[journeys.offsets[j] : journeys.offsets[j + 1]].tolist()
        conv, null = float(journeys.conversions[j]), float(journeys.nulls[j])
        states = path_states(path, order, collapse)
        prev: object = START
        for s in states:
            counts[(prev, s)] += conv + null
            prev = s
        counts[(prev, CONV)] += conv
        counts[(prev, NULL)] += null
    return {k: v for k, v in counts.items() if v > 0}


def _dense(counts: dict[tuple[object, object], float]) -> tuple[list[object], np.ndarray]:
    states = sorted(
        {s for pair in counts for s in pair} - {START, CONV, NULL}, key=lambda s: (len(s), s)
    )
    names: list[object] = [START, *states, CONV, NULL]
    pos = {s: i for i, s in enumerate(names)}
    p = np.zeros((len(names), len(names)))
    for (a, b), v in counts.items():
        p[pos[a], pos[b]] += v
    totals = p.sum(axis=1, keepdims=True)
    p = np.divide(p, totals, out=np.zeros_like(p), where=totals > 0)
    p[pos[CONV], pos[CONV]] = p[pos[NULL], pos[NULL]] = 1.0
    return names, p


def _p_conversion(p: np.ndarray) -> float:
    m = p.shape[0] - 2
    h = np.linalg.solve(np.eye(m) - p[:m, :m], p[:m, m])
    return float(h[0])


def reference_removal_effects(
    counts: dict[tuple[object, object], float], n_channels: int
) -> tuple[np.ndarray, float]:
    """Removal effects by redirecting transitions into states with c to null (dense)."""
    names, p = _dense(counts)
    base = _p_conversion(p)
    effects = np.zeros(n_channels)
    null = len(names) - 1
    for c in range(n_channels):
        q = p.copy()
        for i, s in enumerate(names):
            if isinstance(s, tuple) and c in s:
                q[:, null] += q[:, i]
                q[:, i] = 0.0
                q[i, :] = 0.0
                q[i, null] = 1.0  # unreachable now; keep the row stochastic
        effects[c] = 1.0 - _p_conversion(q) / base if base > 0 else 0.0
    return effects, base


def first_entry_removal_effects(
    counts: dict[tuple[object, object], float], n_channels: int
) -> np.ndarray:
    """``RE_c = sum_a B[start, a] h_a / h_start`` with ``B = (I - Q_KK)^-1 Q_KA``.

    A is the set of states containing c and K the other transient states (with start);
    B[start, a] is the probability that the first state of A a walk enters is a, and h_a
    the conversion probability from a, so the sum is P(visit c and convert).
    """
    names, p = _dense(counts)
    m = len(names) - 2
    h = np.linalg.solve(np.eye(m) - p[:m, :m], p[:m, m])
    effects = np.zeros(n_channels)
    for c in range(n_channels):
        in_a = np.array([isinstance(s, tuple) and c in s for s in names[:m]])
        if not in_a.any():
            continue
        k = np.flatnonzero(~in_a)
        a = np.flatnonzero(in_a)
        fundamental = np.linalg.inv(np.eye(k.size) - p[np.ix_(k, k)])
        b = fundamental @ p[np.ix_(k, a)]
        effects[c] = float(b[0] @ h[a]) / h[0]
    return effects


def per_channel_removal_effects(
    chain, kinds: tuple[bool, ...] = (False,)
) -> tuple[np.ndarray, np.ndarray]:
    """The removal effects as `removal_effects` computed them before issue 21: per channel.

    For every channel c, one sparse LU of ``I - Q`` restricted to start and the states
    without c, solved for the reward of each kind (conversion probability, or the
    expected value converted next). Slow (a factorisation per channel) and exact.
    """
    import scipy.sparse as sp
    from scipy.sparse.linalg import splu

    p = chain.probabilities
    m = chain.n_states + 1
    cols = []
    for value in kinds:
        if value:
            out = np.asarray(chain.counts.sum(axis=1)).ravel()[:m]
            cols.append(np.divide(chain.conversion_value, out, out=np.zeros(m), where=out > 0))
        else:
            cols.append(p[:m, [m]].toarray().ravel())
    r = np.column_stack(cols)
    a = sp.csc_array(sp.eye_array(m, format="csc") - p[:m, :m])
    totals = splu(a).solve(r)[0]
    n = len(chain.channel_names)
    effects = np.zeros((n, len(kinds)))
    member = chain.membership.tocsc()
    for c in range(n):
        hit = member.indices[member.indptr[c] : member.indptr[c + 1]] + 1
        if hit.size:
            keep = np.ones(m, dtype=bool)
            keep[hit] = False
            idx = np.flatnonzero(keep)
            without = splu(sp.csc_array(a[idx][:, idx])).solve(r[idx])[0]
            effects[c] = 1.0 - np.divide(
                without, totals, out=np.ones_like(totals), where=totals > 0
            )
    effects[:, totals <= 0] = 0.0
    return np.clip(effects, 0.0, 1.0), totals
