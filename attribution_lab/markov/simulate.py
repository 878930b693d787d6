"""Removal effects estimated by random walks on a fitted chain, for comparison with exact ones.

Tools such as ChannelAttribution estimate removal effects by simulating walks from
``(start)``. This module does the same, vectorised over many walkers at once, so that the
noise of a simulated answer can be set beside the exact one from `removal_effects`.
"""

from __future__ import annotations

import sys
import warnings
from dataclasses import dataclass

import numpy as np

from .._validation import check_random_state
from .chain import MarkovChain

__all__ = ["WalkEstimate", "simulate_removal_effects", "walk_table"]

# Walkers needed before the standard errors are trusted enough to stop early.
_MIN_CONVERSIONS = 100


@dataclass(frozen=True)
class WalkEstimate:
    """Removal effects estimated from random walks.

    Attributes
    ----------
    effects, effects_stderr : ndarray, shape (n_channels,)
        Estimated removal effects and their standard errors.
    shares, shares_stderr : ndarray, shape (n_channels,)
        Estimated normalised effects ``RE_c / sum(RE)`` (the credit shares) and their
        standard errors (delta method).
    p_conversion, p_conversion_stderr : float
        Estimated conversion probability of a walk from ``(start)``.
    n_walks, n_conversions, n_truncated : int
        Walks simulated, walks that converted, and walks stopped at `max_steps` before being
        absorbed (counted as not converting).
    converged : bool
        Whether every effect's standard error reached the tolerance.
    value_effects, value_shares : ndarray or None
        Value-weighted removal effects and their normalised shares, when the chain knows
        conversion values: each converting walk weighs the mean value of the conversions
        entered from its last state.
    """

    effects: np.ndarray
    effects_stderr: np.ndarray
    shares: np.ndarray
    shares_stderr: np.ndarray
    p_conversion: float
    p_conversion_stderr: float
    n_walks: int
    n_conversions: int
    n_truncated: int
    converged: bool
    value_effects: np.ndarray | None = None
    value_shares: np.ndarray | None = None


def walk_table(chain: MarkovChain) -> tuple[np.ndarray, np.ndarray]:
    """Row-offset cumulative probabilities and destination states of every transition.

    Entry k of row r stores ``r + P(r -> first k+1 destinations)`` with the row's last entry
    set to exactly ``r + 1``; a walker in state r draws u in [0, 1) and moves to the
    destination of the first entry above ``r + u``, one ``np.searchsorted`` for all walkers.
    Shared by the removal-effect simulation and the Markov world's journey draws.

    Examples
    --------
    >>> from attribution_lab import Journeys
    >>> from attribution_lab.markov import fit_chain
    >>> chain = fit_chain(Journeys.from_paths(["a > b", "a"], conversions=[1, 0], nulls=[0, 1]))
    >>> cum, dest = walk_table(chain)
    >>> bool((np.diff(cum) >= 0).all()), cum.size == dest.size == chain.probabilities.nnz
    (True, True)
    """
    p = chain.probabilities
    data = p.data.astype(np.float64)
    rows = np.repeat(np.arange(p.shape[0], dtype=np.float64), np.diff(p.indptr))
    within = np.cumsum(data)
    row_start = np.concatenate([[0.0], within])[p.indptr[:-1]]
    within -= np.repeat(row_start, np.diff(p.indptr))
    last = p.indptr[1:] - 1
    last = last[np.diff(p.indptr) > 0]
    within[last] = 1.0
    return rows + within, p.indices.astype(np.int64)


def simulate_removal_effects(
    chain: MarkovChain,
    *,
    tol: float = 2e-3,
    batch_size: int = 100_000,
    max_walks: int = 10_000_000,
    max_steps: int = 10_000,
    random_state: int | np.random.Generator | None = None,
    progress: bool = False,
) -> WalkEstimate:
    """Estimate every channel's removal effect from random walks on `chain`.

    Parameters
    ----------
    chain : MarkovChain
    tol : float, default 0.002
        Stop once the standard error of every removal effect is at most `tol`.
    batch_size : int, default 100000
        Walkers simulated together.
    max_walks : int, default 10000000
        Stop after this many walks even if `tol` is not reached (with a warning).
    max_steps : int, default 10000
        A walk not absorbed after this many steps is stopped and counted as not
        converting (with a warning giving how many).
    random_state : int, Generator or None
    progress : bool, default False
        Show a tqdm counter of the walks on stderr (the number needed is not known in
        advance: it stops at `tol`).

    Returns
    -------
    WalkEstimate

    Notes
    -----
    Removing channel c sends every transition into a state containing c to ``(null)``, so
    a walk of the full chain converts in the reduced chain exactly when it converts
    without visiting such a state. One set of walks of the full chain therefore estimates
    every channel at once, with common random numbers:

    .. math:: \\widehat{RE}_c = \\frac{\\#\\{\\text{converting walks visiting } c\\}}
              {\\#\\{\\text{converting walks}\\}},

    a binomial proportion with standard error :math:`\\sqrt{RE_c(1 - RE_c)/n_{conv}}`.
    Shares :math:`s_c = \\widehat{RE}_c / \\sum_d \\widehat{RE}_d` get delta-method errors
    from :math:`z_i = (V_{ic} - s_c T_i) / \\bar T`, with :math:`V_{ic}` the visit
    indicator of converting walk i and :math:`T_i = \\sum_d V_{id}`. ChannelAttribution
    instead simulates each removal separately, which is noisier for the same number of
    walks.

    Examples
    --------
    >>> from attribution_lab import Journeys
    >>> from attribution_lab.markov import fit_chain
    >>> j = Journeys.from_paths(["A > B", "A"], conversions=[1, 1], nulls=[1, 1])
    >>> est = simulate_removal_effects(fit_chain(j), tol=0.01, random_state=0)
    >>> est.effects.round(1).tolist(), est.converged
    ([1.0, 0.5], True)
    """
    tol = float(tol)
    if not tol > 0:
        raise ValueError(f"tol must be > 0, got {tol!r}")
    for name, v in (("batch_size", batch_size), ("max_walks", max_walks), ("max_steps", max_steps)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
            raise ValueError(f"{name} must be a positive integer, got {v!r}")
    rng = check_random_state(random_state)
    cum, dest = walk_table(chain)
    n = len(chain.channel_names)
    m = chain.n_states
    conv_state = m + 1
    # channels of each state as a dense boolean table, row 0 (start) and absorbing rows empty
    member = np.zeros((m + 3, n), dtype=bool)
    member[1 : m + 1] = chain.membership.toarray()

    value_per_conversion = None
    if chain.conversion_value is not None:
        conv_counts = chain.counts[: m + 1][:, [conv_state]].toarray().ravel()
        value_per_conversion = np.divide(
            chain.conversion_value,
            conv_counts,
            out=np.zeros(m + 1),
            where=conv_counts > 0,
        )
    s_wv = np.zeros(n)  # value-weighted visits of converting walks
    s_w = 0.0
    walks = conversions = truncated = 0
    s_v = np.zeros(n)  # sum over converting walks of V_ic
    s_vt = np.zeros(n)  # sum of V_ic * T_i
    s_t = s_t2 = 0.0
    converged = False
    from tqdm import tqdm

    # shown even when stderr is not a terminal: the caller asked (see _removal_effects)
    with tqdm(
        desc="random walks", unit="walk", file=sys.stderr, disable=not progress, leave=False
    ) as bar:
        while walks < max_walks:
            size = int(min(batch_size, max_walks - walks))
            visited = np.zeros((size, n), dtype=bool)
            state = np.zeros(size, dtype=np.int64)
            before = np.zeros(size, dtype=np.int64)  # last transient state of converting walks
            alive = np.arange(size)
            for _ in range(max_steps):
                cur = state[alive]
                pos = np.searchsorted(cum, cur + rng.random(alive.size), side="right")
                nxt = dest[pos]
                won_now = nxt == conv_state
                before[alive[won_now]] = cur[won_now]
                state[alive] = nxt
                visited[alive] |= member[nxt]
                alive = alive[nxt < conv_state]
                if alive.size == 0:
                    break
            truncated += int(alive.size)
            won = state == conv_state
            v = visited[won]
            t = v.sum(axis=1, dtype=np.float64)
            s_v += v.sum(axis=0)
            s_vt += t @ v
            s_t += t.sum()
            s_t2 += t @ t
            if value_per_conversion is not None:
                w = value_per_conversion[before[won]]
                s_wv += w @ v
                s_w += w.sum()
            walks += size
            conversions += int(won.sum())
            bar.update(size)
            if conversions >= _MIN_CONVERSIONS:
                re = s_v / conversions
                if np.sqrt(re * (1 - re) / conversions).max() <= tol:
                    converged = True
                    break
    if truncated:
        warnings.warn(
            f"{truncated} of {walks} walks were not absorbed within max_steps={max_steps} "
            "and were counted as not converting",
            UserWarning,
            stacklevel=2,
        )
    if not converged:
        warnings.warn(
            f"simulation stopped at max_walks={max_walks} with {conversions} converting walks "
            f"before every removal effect's standard error reached tol={tol}",
            UserWarning,
            stacklevel=2,
        )
    p = conversions / walks
    p_se = float(np.sqrt(p * (1 - p) / walks))
    if conversions == 0:
        zero = np.zeros(n)
        return WalkEstimate(zero, zero, zero, zero, p, p_se, walks, 0, truncated, converged)
    effects = s_v / conversions
    effects_se = np.sqrt(effects * (1 - effects) / conversions)
    t_mean = s_t / conversions
    shares = s_v / s_t
    # sum_i (V_ic - s_c T_i)^2, using V_ic^2 = V_ic
    ss = s_v - 2 * shares * s_vt + shares**2 * s_t2
    var_z = np.maximum(ss, 0.0) / max(conversions - 1, 1) / t_mean**2
    shares_se = np.sqrt(var_z / conversions)
    value_effects = value_shares = None
    if value_per_conversion is not None and s_w > 0:
        value_effects = s_wv / s_w
        value_shares = s_wv / s_wv.sum()
    return WalkEstimate(
        effects,
        effects_se,
        shares,
        shares_se,
        p,
        p_se,
        walks,
        conversions,
        truncated,
        converged,
        value_effects,
        value_shares,
    )
