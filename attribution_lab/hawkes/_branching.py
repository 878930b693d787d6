r"""The branching structure of observed touches, sampled, and the game it defines.

Given the fitted intensities, each observed touch after the first was either organic
(probability :math:`\mu_{c_i}/\lambda_i`) or triggered by one earlier touch k
(probability :math:`\alpha_{c_k c_i}\delta e^{-\delta(t_i - t_k)}/\lambda_i`): the
posterior of the process's cluster representation given the touches. A draw of every
touch's parent gives each touch its *lineage set* (its channel and its ancestors'), an
int64 bitmask: under a coalition S the touch happens iff its lineage set is within S.
A parent is sampled in two steps, both in an order that does not depend on the channels'
codes: the source channel, from the excitations of the sources ordered by their last touch,
then which of that channel's earlier touches, walking back from its last one with the
kernel's weights. The sampling, the lineages and the per-journey Shapley tables run
compiled (`_jit.credit_pass`), journey by journey, all draws of a journey at once.
"""

from __future__ import annotations

from math import factorial
from typing import Any

import numpy as np

from ._data import _Prepared

#: Journeys touching more distinct channels than this have no exact per-journey table.
MAX_EXACT_SET = 16


def _probability(
    eta: np.ndarray, link: str, shape: np.ndarray | None = None, rate: np.ndarray | None = None
) -> np.ndarray:
    """Conversion probability from the linear predictor: the hazard's 1 - e^{-eta} (eta a
    cumulative hazard), with a gamma frailty of posterior (shape, rate) 1 - (rate / (rate +
    eta))^shape, or the window-end model's logistic."""
    from scipy.special import expit

    if link == "hazard":
        return -np.expm1(-eta)
    if link == "frailty":
        return -np.expm1(-shape * np.log1p(eta / rate))
    return expit(eta)


def _shapley_table() -> tuple[np.ndarray, np.ndarray]:
    """Popcounts of the subsets of MAX_EXACT_SET players, and w[m, s] = s! (m - 1 - s)! / m!,
    the Shapley weight of a marginal contribution to a coalition of s of m players."""
    card = np.bitwise_count(np.arange(1 << MAX_EXACT_SET)).astype(np.int64)
    w = np.zeros((MAX_EXACT_SET + 1, MAX_EXACT_SET + 1))
    for m in range(1, MAX_EXACT_SET + 1):
        for k in range(m):
            w[m, k] = factorial(k) * factorial(m - 1 - k) / factorial(m)
    return card, w


class _Branching:
    """Parameter-free arrays of the sampler and of the per-journey coalition tables."""

    def __init__(self, prep: _Prepared, pair_decay: bool) -> None:
        from . import _jit

        self.prep = prep
        # a key per touch from what the touch is (its journey's times and its position),
        # never from the channels' names: symmetric channels get exactly equal credit
        self.keys = _jit.touch_keys(prep.offsets, prep.times, prep.window, prep.bounds)
        self.pair_decay = pair_decay
        offsets = prep.offsets
        nonempty = np.diff(offsets) > 0
        bit = np.left_shift(np.int64(1), prep.channel)
        masks = np.zeros(prep.n_journeys, dtype=np.int64)
        if prep.n_touches:
            masks[nonempty] = np.bitwise_or.reduceat(bit, offsets[:-1][nonempty])
        size = np.bitwise_count(masks).astype(np.int64)
        too_big = size > MAX_EXACT_SET
        if too_big.any():
            raise ValueError(
                f"journey {int(np.flatnonzero(too_big)[0])} touches {int(size.max())} distinct"
                f" channels; the exact per-journey game handles at most {MAX_EXACT_SET}: group"
                " channels first"
            )

    def _args(self, theta_t: np.ndarray) -> tuple[Any, ...]:
        from .kernels import _unpack

        prep = self.prep
        mu, alpha, decay = _unpack(theta_t, prep.n_channels, self.pair_decay)
        return prep.offsets, prep.times, prep.channel, self.keys, mu, alpha, decay, self.pair_decay

    def lineage(self, theta_t: np.ndarray, index: int, seed: int) -> np.ndarray:
        """Bitmask of the channels of every touch and of all its ancestors, in draw number
        `index` of the branching structure under the touch parameters `theta_t`."""
        from . import _jit

        prep = self.prep
        return _jit.lineage_pass(
            *self._args(theta_t), np.uint64(seed), int(index), prep.bounds, prep.max_length
        )

    # ------------------------------------------------------------------ the game
    def tables(
        self,
        theta_t: np.ndarray,
        draws: np.ndarray,
        seed: int,
        gain: np.ndarray,
        base: np.ndarray,
        weights: np.ndarray,
        link: str = "hazard",
        frailty: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> dict[str, np.ndarray]:
        r"""Per draw (numbers `draws`), the exact Shapley values, removal effects and v(N)
        of :math:`v(S) = \sum_j w_j\,p(b_j + \sum_{i: L_i \subseteq S} g_i)` for each row
        of `weights` (shape (W, n_journeys)), journey by journey on the subsets of its own
        channels (the others are null players of its term); and v(empty)."""
        from . import _jit

        prep = self.prep
        shape, rate = frailty if frailty is not None else (None, None)
        v_empty = np.einsum("wj,j->w", weights, _probability(base, link, shape, rate))
        ones = np.ones(prep.n_journeys)
        card, wtab = _shapley_table()
        phi, removal, v_all = _jit.credit_pass(
            *self._args(theta_t),
            np.uint64(seed),
            np.asarray(draws, dtype=np.int64),
            np.ascontiguousarray(gain, dtype=np.float64),
            np.ascontiguousarray(base, dtype=np.float64),
            _jit.LINKS[link],
            ones if shape is None else np.ascontiguousarray(shape, dtype=np.float64),
            ones if rate is None else np.ascontiguousarray(rate, dtype=np.float64),
            np.ascontiguousarray(weights, dtype=np.float64),
            card,
            wtab,
            prep.bounds,
            prep.max_length,
        )
        # the chunks' sums added in their order: the same on any number of cores
        return {
            "shapley": phi.sum(axis=0),
            "removal": removal.sum(axis=0),
            "v_all": v_all.sum(axis=0),
            "v_empty": v_empty,
        }

    def values(
        self,
        lineage: np.ndarray,
        gain: np.ndarray,
        base: np.ndarray,
        weights: np.ndarray,
        coalitions: np.ndarray,
        link: str = "hazard",
        frailty: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> np.ndarray:
        """v(S) of integer coalition bitmasks, directly over the touches (one pass over
        the touches per coalition: for a few coalitions, or journeys beyond the exact
        per-journey tables)."""
        prep = self.prep
        shape, rate = frailty if frailty is not None else (None, None)
        out = np.empty(coalitions.size)
        for k, s in enumerate(coalitions):
            alive = (lineage & ~np.int64(s)) == 0
            lam = base + np.bincount(prep.jid, gain * alive, minlength=prep.n_journeys)
            out[k] = np.einsum("j,j->", weights, _probability(lam, link, shape, rate))
        return out

    def direct(
        self,
        gain: np.ndarray,
        base: np.ndarray,
        weights: np.ndarray,
        link: str = "hazard",
        frailty: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> np.ndarray:
        """v(N) - v(N with channel c's own conversion effect off), per channel: exact."""
        from scipy.special import expit

        prep = self.prep
        c = prep.n_channels
        key = prep.jid * c + prep.channel
        own = np.bincount(key, gain, minlength=prep.n_journeys * c).reshape(-1, c)
        total = base + own.sum(axis=1)
        if link == "hazard":
            # e^{-(total - own)} - e^{-total}, written so that nothing overflows
            diff = np.exp(own - total[:, None]) * -np.expm1(-own)
        elif link == "frailty":
            assert frailty is not None
            a, b = frailty[0][:, None], frailty[1][:, None]
            diff = _probability(total[:, None], link, a, b) - _probability(
                total[:, None] - own, link, a, b
            )
        else:
            diff = expit(total)[:, None] - expit(total[:, None] - own)
        return np.einsum("wj,jc->wc", weights, diff)


def conversion_terms(
    prep: _Prepared, link: str, theta: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    r"""Per touch its term :math:`g_i` of the linear predictor, per journey the baseline's.

    Hazard (theta = log baseline, log beta, log omega): :math:`g_i = \beta_{c_i}(1 -
    e^{-\omega_{c_i}(T_j - t_i)})` and :math:`\lambda_0 (T_j - s_j)`; window end (theta
    = intercept, beta, log omega): :math:`g_i = \beta_{c_i} e^{-\omega_{c_i}(T_j - t_i)}`
    and :math:`b_0`.
    """
    c = prep.n_channels
    ch = prep.channel
    omega = np.exp(theta[c + 1 :])
    if link in ("hazard", "frailty"):
        beta = np.exp(theta[1 : c + 1])
        return beta[ch] * -np.expm1(-omega[ch] * prep.end_lag), np.exp(theta[0]) * prep.window
    beta = theta[1 : c + 1]
    return beta[ch] * np.exp(-omega[ch] * prep.end_lag), np.full(prep.n_journeys, theta[0])
