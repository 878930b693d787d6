r"""The branching structure of observed touches, sampled, and the game it defines.

Given the fitted intensities, each observed touch after the first was either organic
(probability :math:`\mu_{c_i}/\lambda_i`) or triggered by one earlier touch k
(probability :math:`\alpha_{c_k c_i}\delta e^{-\delta(t_i - t_k)}/\lambda_i`): the
posterior of the process's cluster representation given the touches. A draw of every
touch's parent gives each touch its *lineage set* (its channel and its ancestors'), an
int64 bitmask: under a coalition S the touch happens iff its lineage set is within S.
Sampling a parent is vectorised: first the source channel, from the per-pair excitations
of the likelihood, then which of that channel's earlier touches, by walking back its run
with the recursion of the kernel (stop at q with probability :math:`1/(1 + Y(q))`).
"""

from __future__ import annotations

from math import factorial
from typing import Any

import numpy as np
from scipy.special import expit

from ._data import _Prepared
from .kernels import _layout, _moments

#: Journeys touching more distinct channels than this have no exact per-journey table.
MAX_EXACT_SET = 16
# journeys x subsets cells per block of the per-journey tables
_BLOCK_CELLS = 1 << 22


_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def _mix(x: np.ndarray) -> np.ndarray:
    """SplitMix64's finaliser, elementwise on uint64 (wrapping arithmetic)."""
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def _uniform(key: np.ndarray, draw: int, stream: int, seed: int) -> np.ndarray:
    """Uniforms in [0, 1) as a hash of (key, draw, stream, seed): a counter-based
    generator, so that a touch's random numbers depend on what the touch is, not on
    where it is stored or what its channel is called."""
    salt = _mix(np.array([seed, draw, stream], dtype=np.uint64) + _GOLDEN)
    x = _mix(key ^ salt[0]) ^ salt[1]
    x = _mix(x) ^ salt[2]
    return (_mix(x) >> np.uint64(11)).astype(np.float64) * 2.0**-53


def _touch_keys(prep: _Prepared, times: np.ndarray) -> np.ndarray:
    """A key per touch from its journey's times (relative to the journey's first touch)
    and its position: label-free, so two journeys that differ only in their channels'
    names draw the same numbers, and credit stays exactly symmetric and permutes with
    relabelling."""
    with np.errstate(over="ignore"):
        rel = times - times[prep.first_of[prep.jid]] if times.size else times
        bits = _mix(rel.view(np.uint64) + _GOLDEN * (prep.position.astype(np.uint64) + 1))
        per_journey = np.zeros(prep.n_journeys, dtype=np.uint64)
        np.add.at(per_journey, prep.jid, bits)
        end = _mix(prep.window.view(np.uint64))
        journey = _mix(per_journey ^ end)
        return _mix(journey[prep.jid] + _GOLDEN * prep.position.astype(np.uint64))


def _probability(
    eta: np.ndarray, link: str, shape: np.ndarray | None = None, rate: np.ndarray | None = None
) -> np.ndarray:
    """Conversion probability from the linear predictor: the hazard's 1 - e^{-eta} (eta a
    cumulative hazard), with a gamma frailty of posterior (shape, rate) 1 - (rate / (rate +
    eta))^shape, or the window-end model's logistic."""
    if link == "hazard":
        return -np.expm1(-eta)
    if link == "frailty":
        return -np.expm1(-shape * np.log1p(eta / rate))
    return expit(eta)


def _shapley_weights(m: int) -> np.ndarray:
    """W (2^m, m) with phi = table @ W: the Shapley value as a linear map of the table."""
    size = 1 << m
    masks = np.arange(size)
    card = np.bitwise_count(masks).astype(np.int64)
    fact = np.array([factorial(k) for k in range(m + 1)], dtype=np.float64)
    w_in = np.zeros(size)
    ok = card >= 1
    w_in[ok] = fact[card[ok] - 1] * fact[m - card[ok]] / fact[m]
    w_out = np.zeros(size)
    ok = card <= m - 1
    w_out[ok] = fact[card[ok]] * fact[m - card[ok] - 1] / fact[m]
    has = (masks[:, None] >> np.arange(m)) & 1
    return np.where(has == 1, w_in[:, None], -w_out[:, None])


class _Branching:
    """Parameter-free arrays of the sampler and of the per-journey coalition tables."""

    def __init__(self, prep: _Prepared, pair_decay: bool, times: np.ndarray) -> None:
        self.prep = prep
        self.keys = _touch_keys(prep, times)
        self.pair_decay = pair_decay
        c = prep.n_channels
        # pairs by event, and within an event by the touch of the source: an order that
        # does not depend on the channels' codes, so relabelling channels leaves the draws
        # (and the credit) the same
        src_touch = np.empty(prep.pair_touch.size, dtype=np.int64)
        for d in range(c):
            lo, hi = prep.pair_bounds[d * c], prep.pair_bounds[d * c + c]
            src_touch[lo:hi] = prep.sources[d].pos[prep.pair_p[lo:hi]]
        self.by_touch = np.lexsort((src_touch, prep.pair_touch))
        sorted_touch = prep.pair_touch[self.by_touch]
        ev = prep.event
        self.first_pair = np.searchsorted(sorted_touch, ev, side="left")
        self.end_pair = np.searchsorted(sorted_touch, ev, side="right")
        bit = np.left_shift(np.int64(1), prep.channel)
        self.bit = bit
        offsets = np.concatenate([[0], np.cumsum(np.bincount(prep.jid, minlength=prep.n_journeys))])
        nonempty = np.diff(offsets) > 0
        masks = np.zeros(prep.n_journeys, dtype=np.int64)
        if prep.n_touches:
            masks[nonempty] = np.bitwise_or.reduceat(bit, offsets[:-1][nonempty])
        self.set_mask = masks
        size = np.bitwise_count(masks).astype(np.int64)
        too_big = size > MAX_EXACT_SET
        if too_big.any():
            raise ValueError(
                f"journey {int(np.flatnonzero(too_big)[0])} touches {int(size.max())} distinct"
                f" channels; the exact per-journey game handles at most {MAX_EXACT_SET}: group"
                " channels first"
            )
        self.offsets = offsets
        # groups of journeys by the number of distinct channels they touch, with the
        # channel of each rank (ranks follow the channel codes)
        self.groups = []
        for m in np.unique(size[size > 0]):
            js = np.flatnonzero(size == m)
            rank_channel = np.zeros((js.size, int(m)), dtype=np.int64)
            have = (masks[js, None] >> np.arange(c)) & 1
            order = np.argsort(-have, axis=1, kind="stable")[:, : int(m)]
            rank_channel[:] = order
            self.groups.append((int(m), js, rank_channel))
        self._weights = {}

    def weights(self, m: int) -> np.ndarray:
        if m not in self._weights:
            self._weights[m] = _shapley_weights(m)
        return self._weights[m]

    # ------------------------------------------------------------------ sampling
    def sampler(self, theta_t: np.ndarray) -> Any:
        """A function ``draw(index, seed)`` giving every touch's parent (itself for organic
        and first touches) in draw number `index` under the touch parameters `theta_t`;
        what does not depend on the draw is computed once here."""
        prep = self.prep
        c = prep.n_channels
        s_mu, s_alpha, s_dec = _layout(c, self.pair_decay)
        mu = np.exp(theta_t[s_mu])
        alpha = theta_t[s_alpha].reshape(c, c)
        decay = np.exp(theta_t[s_dec])
        if self.pair_decay:
            decay = decay.reshape(c, c)
        runs: list[tuple[int, int, int, np.ndarray]] = []
        big_r, _, _, dec = _moments(prep, decay, self.pair_decay, False, runs)
        kern = alpha.ravel()[prep.pair_key] * dec * big_r
        ev = prep.event
        mu_ev = mu[prep.channel[ev]]
        cum = np.cumsum(kern[self.by_touch])
        before = np.where(self.first_pair > 0, cum[np.maximum(self.first_pair - 1, 0)], 0.0)
        has = self.end_pair > self.first_pair
        total = mu_ev + np.where(has, cum[np.maximum(self.end_pair - 1, 0)] - before, 0.0)
        # Y of every block of pairs, end to end, so that one loop walks back all of them
        n_pairs = prep.pair_touch.size
        start = np.zeros(n_pairs, dtype=np.int64)  # where the pair's source run's Y starts
        ys, where = [], 0
        for a0, a1, _, y in runs:
            start[a0:a1] = where
            ys.append(y)
            where += y.size
        y_all = np.concatenate(ys) if ys else np.zeros(0)
        n_touches = prep.n_touches

        ev_key = self.keys[ev]

        def draw(index: int, seed: int) -> np.ndarray:
            parent = np.arange(n_touches, dtype=np.int64)
            if ev.size == 0:
                return parent
            u = _uniform(ev_key, index, 0, seed) * total
            trig = np.flatnonzero(u >= mu_ev)
            if trig.size == 0:
                return parent
            target = before[trig] + (u[trig] - mu_ev[trig])
            pick = np.searchsorted(cum, target, side="right")
            pick = np.clip(pick, self.first_pair[trig], self.end_pair[trig] - 1)
            pair = self.by_touch[pick]
            # walk back along the chosen source's run: stop at q with probability
            # 1 / (1 + Y(q)); all walks at once, uniforms in the events' order
            q = prep.pair_p[pair].copy()
            base = start[pair]
            active = np.arange(pair.size)
            walk_key = ev_key[trig]
            step = 0
            while active.size:
                step += 1
                v = _uniform(walk_key[active], index, step, seed)
                stop = v * (1.0 + y_all[base[active] + q[active]]) < 1.0
                active = active[~stop]
                q[active] -= 1
            parent[ev[trig]] = self.source_touch(pair, q)
            return parent

        return draw

    def source_touch(self, pair: np.ndarray, q: np.ndarray) -> np.ndarray:
        """Touch index of the q-th touch of each pair's source channel."""
        prep = self.prep
        out = np.empty(pair.size, dtype=np.int64)
        src = prep.pair_source[pair]
        for d in np.unique(src):
            sel = src == d
            out[sel] = prep.sources[d].pos[q[sel]]
        return out

    def lineage(self, parent: np.ndarray) -> np.ndarray:
        """Bitmask of the channels of every touch and of all its ancestors."""
        mask = self.bit.copy()
        anc = parent.copy()
        while True:
            mask |= mask[anc]
            nxt = anc[anc]
            if np.array_equal(nxt, anc):
                return mask
            anc = nxt

    # ------------------------------------------------------------------ the game
    def tables(
        self,
        lineage: np.ndarray,
        gain: np.ndarray,
        base: np.ndarray,
        weights: np.ndarray,
        link: str = "hazard",
        frailty: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> dict[str, np.ndarray]:
        r"""Exact Shapley values, removal effects, v(N) and v(empty) of
        :math:`v(S) = \sum_j w_j (1 - e^{-b_j - \sum_{i: L_i \subseteq S} g_i})` for each
        row of `weights` (shape (W, n_journeys)), journey by journey on the subsets of
        its own channels (the others are null players of its term)."""
        prep = self.prep
        c = prep.n_channels
        n_w = weights.shape[0]
        phi = np.zeros((n_w, c))
        removal = np.zeros((n_w, c))
        v_all = np.zeros(n_w)
        shape, rate = frailty if frailty is not None else (None, None)
        v_empty = np.einsum("wj,j->w", weights, _probability(base, link, shape, rate))
        touches_of = self.offsets
        for m, js, rank_channel in self.groups:
            size = 1 << m
            full = size - 1
            wmat = self.weights(m)
            step = max(1, _BLOCK_CELLS // size)
            for lo in range(0, js.size, step):
                jb, rc = js[lo : lo + step], rank_channel[lo : lo + step]
                lengths = touches_of[jb + 1] - touches_of[jb]
                local = np.repeat(np.arange(jb.size), lengths)
                idx = np.repeat(touches_of[jb] - np.cumsum(lengths) + lengths, lengths)
                idx = idx + np.arange(local.size)
                lin = lineage[idx]
                comp = np.zeros(idx.size, dtype=np.int64)
                for r in range(m):
                    comp |= ((lin >> rc[local, r]) & 1) << r
                h = np.bincount(local * size + comp, gain[idx], minlength=jb.size * size)
                h = h.reshape(jb.size, size)
                for b in range(m):  # zeta transform: h(U) = sum over subsets of U
                    view = h.reshape(jb.size, -1, 2, 1 << b)
                    view[:, :, 1, :] += view[:, :, 0, :]
                if shape is not None:
                    p = _probability(base[jb][:, None] + h, link, shape[jb][:, None],
                                     rate[jb][:, None])  # fmt: skip
                else:
                    p = _probability(base[jb][:, None] + h, link)
                # numpy's loops rather than BLAS, which under load waits for busy cores
                phi_j = np.einsum("js,sm->jm", p, wmat)  # (journeys, m)
                rem_j = p[:, [full]] - p[:, full ^ (1 << np.arange(m))]
                w = weights[:, jb]
                for k in range(n_w):
                    phi[k] += np.bincount(rc.ravel(), (phi_j * w[k][:, None]).ravel(), minlength=c)
                    removal[k] += np.bincount(
                        rc.ravel(), (rem_j * w[k][:, None]).ravel(), minlength=c
                    )
                v_all += np.einsum("wj,j->w", w, p[:, full])
        return {"shapley": phi, "removal": removal, "v_all": v_all, "v_empty": v_empty}

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
