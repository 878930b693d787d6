r"""Compiled kernels of the point-process model: the touch likelihood with its gradient and
Hessian, and the credit's branching draws with their per-journey Shapley tables.

Imported only inside the functions that fit or attribute (importing numba costs most of a
second, which ``import attribution_lab`` must not pay); compiled once and cached on disk.

Each kernel walks the journeys in their order, touch by touch, keeping per source channel d
(and target c, with a decay per pair) the sums at d's last touch p

.. math:: A_0 = \sum_{k \le p} e^{-\delta (t_p - t_k)},\quad
          A_1 = \sum_{k \le p} (t_p - t_k) e^{-\delta (t_p - t_k)},\quad
          A_2 = \sum_{k \le p} (t_p - t_k)^2 e^{-\delta (t_p - t_k)}

over d's touches k of the journey, from which a later touch i (lag :math:`\Delta = t_i -
t_p`) gets :math:`R = e^{-\delta\Delta} A_0`, :math:`L = e^{-\delta\Delta}(A_1 + \Delta
A_0)`, :math:`M = e^{-\delta\Delta}(A_2 + 2\Delta A_1 + \Delta^2 A_0)` (the same recursion
as the reference's, one multiplication per touch, every factor <= 1). Touches at the same
moment are a group: each is excited by the touches before the group only.

Determinism: the journeys are cut into a fixed number of chunks (depending on the data's
size only, never on the number of threads); every chunk sums into its own slot and the
slots are added in their order afterwards, so the results are the same bit for bit on any
number of cores.
"""

from __future__ import annotations

import math

import numba
import numpy as np

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)

#: Links of the conversion probability in the credit kernel.
LINKS = {"hazard": 0, "frailty": 1, "window_end": 2}


def chunks(offsets: np.ndarray, n_channels: int, hessian_cells: int = 0) -> np.ndarray:
    """Journey bounds of the chunks: about equal numbers of touches, at most 64 chunks and
    at least ~20,000 touches each (so small inputs are one chunk), fewer when each chunk
    holds a big Hessian. Depends on the data only, not on the machine."""
    n_j = offsets.size - 1
    n_t = int(offsets[-1])
    k = max(1, min(64, n_t // 20_000, n_j))
    if hessian_cells:
        k = max(1, min(k, 20_000_000 // max(hessian_cells, 1)))
    cut = np.searchsorted(offsets, np.linspace(0, n_t, k + 1)[1:-1], side="left")
    return np.unique(np.concatenate([[0], np.clip(cut, 0, n_j), [n_j]])).astype(np.int64)


# ----------------------------------------------------------------------------- hashing
@numba.njit(inline="always")
def _mix(x):
    """SplitMix64's finaliser (wrapping uint64 arithmetic)."""
    x = (x ^ (x >> np.uint64(30))) * _M1
    x = (x ^ (x >> np.uint64(27))) * _M2
    return x ^ (x >> np.uint64(31))


@numba.njit(cache=True)
def salts(seed, draw, stream):
    """The three salts of a (seed, draw, stream) counter."""
    return (
        _mix(np.uint64(seed) + _GOLDEN),
        _mix(np.uint64(draw) + _GOLDEN),
        _mix(np.uint64(stream) + _GOLDEN),
    )


@numba.njit(inline="always")
def _uniform(key, s0, s1, s2):
    x = _mix(key ^ s0) ^ s1
    x = _mix(x) ^ s2
    return np.float64(_mix(x) >> np.uint64(11)) * 1.1102230246251565e-16  # 2^-53


@numba.njit(cache=True, parallel=True)
def touch_keys(offsets, times, window, bounds):
    """A label-free key per touch: a hash of its journey's times relative to the journey's
    first touch, the window, and the touch's position (channel names play no part)."""
    n_t = times.size
    keys = np.empty(n_t, dtype=np.uint64)
    for ch in numba.prange(bounds.size - 1):
        buf = np.zeros(1)
        ubuf = buf.view(np.uint64)
        for j in range(bounds[ch], bounds[ch + 1]):
            lo, hi = offsets[j], offsets[j + 1]
            if lo == hi:
                continue
            acc = np.uint64(0)
            for i in range(lo, hi):
                buf[0] = times[i] - times[lo]
                acc += _mix(ubuf[0] + _GOLDEN * np.uint64(i - lo + 1))
            buf[0] = window[j]
            end = _mix(ubuf[0])
            journey = _mix(acc ^ end)
            for i in range(lo, hi):
                keys[i] = _mix(journey + _GOLDEN * np.uint64(i - lo))
    return keys


# ------------------------------------------------------------------------- likelihood
@numba.njit(cache=True, parallel=True)
def touch_pass(offsets, times, channel, end, w_event, w_comp, mu, alpha, decay, pair, hessian,
               bounds):  # fmt: skip
    """Per chunk: sum w log lambda, the event parts of the gradient and Hessian, and the
    compensator sums (see `kernels._touch_loglik` for how they combine)."""
    c = mu.size
    kk = c if pair else 1
    nch = bounds.size - 1
    p = 2 * c + 1
    ll = np.zeros(nch)
    g_mu = np.zeros((nch, c))  # sum over events of c of w / lambda
    g_a = np.zeros((nch, c, c))  # sum r delta R
    g_d = np.zeros((nch, c, c))  # sum r alpha delta (R - delta L)
    cross = np.zeros((nch, c, c)) if hessian else np.zeros((1, 1, 1))
    dd = np.zeros((nch, c, c)) if hessian else np.zeros((1, 1, 1))
    e_sum = np.zeros((nch, c, kk))
    f_sum = np.zeros((nch, c, kk))
    g_sum = np.zeros((nch, c, kk))
    blocks = np.zeros((nch, c, p, p)) if hessian else np.zeros((1, 1, 1, 1))
    for ch in numba.prange(nch):
        a0 = np.zeros((c, kk))
        a1 = np.zeros((c, kk))
        a2 = np.zeros((c, kk))
        last = np.zeros(c)
        has = np.zeros(c, dtype=np.bool_)
        rr = np.zeros(c)
        rl = np.zeros(c)
        rm = np.zeros(c)
        gv = np.zeros(p)
        gi = np.zeros(p, dtype=np.int64)
        for j in range(bounds[ch], bounds[ch + 1]):
            lo, hi = offsets[j], offsets[j + 1]
            if lo == hi:
                continue
            has[:] = False
            wj, wc, tend = w_event[j], w_comp[j], end[j]
            k = lo
            while k < hi:
                t = times[k]
                g_end = k + 1
                while g_end < hi and times[g_end] == t:
                    g_end += 1
                for i in range(max(k, lo + 1), g_end):  # events: not the first touch
                    ci = channel[i]
                    q = ci if pair else 0
                    lam = mu[ci]
                    for d in range(c):
                        if has[d]:
                            dl = decay[d, ci]
                            lag = t - last[d]
                            e = math.exp(-dl * lag)
                            rr[d] = e * a0[d, q]
                            rl[d] = e * (a1[d, q] + lag * a0[d, q])
                            if hessian:
                                rm[d] = e * (a2[d, q] + 2.0 * lag * a1[d, q] + lag * lag * a0[d, q])
                            lam += alpha[d, ci] * dl * rr[d]
                    r = wj / lam
                    ll[ch] += wj * math.log(lam)
                    g_mu[ch, ci] += r
                    n = 1
                    gv[0] = mu[ci]
                    gi[0] = 0
                    for d in range(c):
                        if has[d]:
                            dl = decay[d, ci]
                            dr = dl * rr[d]
                            slope = dl * (rr[d] - dl * rl[d])
                            g_a[ch, d, ci] += r * dr
                            g_d[ch, d, ci] += r * alpha[d, ci] * slope
                            if hessian:
                                cross[ch, d, ci] += r * slope
                                dd[ch, d, ci] += (
                                    r * alpha[d, ci] * dl
                                    * (rr[d] - 3.0 * dl * rl[d] + dl * dl * rm[d])
                                )  # fmt: skip
                                gv[n] = dr
                                gi[n] = 1 + d
                                gv[n + 1] = alpha[d, ci] * slope
                                gi[n + 1] = 1 + c + d
                                n += 2
                    if hessian:
                        w2 = r / lam
                        for u in range(n):
                            x = w2 * gv[u]
                            for v in range(n):
                                blocks[ch, ci, gi[u], gi[v]] += x * gv[v]
                for i in range(k, g_end):  # the group's touches join their source's sums
                    d = channel[i]
                    if has[d]:
                        lag = t - last[d]
                        if lag > 0.0:
                            for q in range(kk):
                                e = math.exp(-decay[d, q] * lag)
                                if hessian:
                                    a2[d, q] = e * (
                                        a2[d, q] + 2.0 * lag * a1[d, q] + lag * lag * a0[d, q]
                                    )
                                a1[d, q] = e * (a1[d, q] + lag * a0[d, q])
                                a0[d, q] = e * a0[d, q]
                        for q in range(kk):
                            a0[d, q] += 1.0
                    else:
                        for q in range(kk):
                            a0[d, q] = 1.0
                            a1[d, q] = 0.0
                            a2[d, q] = 0.0
                        has[d] = True
                    last[d] = t
                    lag_end = tend - t
                    for q in range(kk):
                        x = decay[d, q] * lag_end
                        e = math.exp(-x)
                        e_sum[ch, d, q] += wc * -math.expm1(-x)
                        f_sum[ch, d, q] += wc * x * e
                        if hessian:
                            g_sum[ch, d, q] += wc * x * e * (1.0 - x)
                k = g_end
    return ll, g_mu, g_a, g_d, cross, dd, e_sum, f_sum, g_sum, blocks


@numba.njit(cache=True, parallel=True)
def lag_stats(offsets, times, channel, n_channels, bounds):
    """Per chunk and source d: the number of (event, d) pairs with a d-touch strictly
    before the event, and the sum of the lags to the last such d-touch (the fit's start)."""
    c = n_channels
    nch = bounds.size - 1
    count = np.zeros((nch, c))
    total = np.zeros((nch, c))
    for ch in numba.prange(nch):
        last = np.zeros(c)
        has = np.zeros(c, dtype=np.bool_)
        for j in range(bounds[ch], bounds[ch + 1]):
            lo, hi = offsets[j], offsets[j + 1]
            has[:] = False
            k = lo
            while k < hi:
                t = times[k]
                g_end = k + 1
                while g_end < hi and times[g_end] == t:
                    g_end += 1
                for _ in range(max(k, lo + 1), g_end):
                    for d in range(c):
                        if has[d]:
                            count[ch, d] += 1.0
                            total[ch, d] += t - last[d]
                for i in range(k, g_end):
                    has[channel[i]] = True
                    last[channel[i]] = t
                k = g_end
    return count, total


# ----------------------------------------------------------------------------- credit
@numba.njit(inline="always")
def _scratch(max_len, c, kk):
    """One thread's work arrays for `_sources` and `_lineage` over journeys of at most
    `max_len` touches and `c` channels (`kk` decay columns per source)."""
    return (
        np.zeros(max_len, dtype=np.int64),  # n_src
        np.zeros((max_len, c), dtype=np.int64),  # src_p
        np.zeros((max_len, c)),  # src_k
        np.zeros((max_len, c)),  # src_a
        np.zeros(max_len),  # total
        np.zeros(max_len, dtype=np.int64),  # prev
        np.zeros(max_len, dtype=np.int64),  # lin
        np.zeros((c, kk)),  # a0
        np.zeros(c),  # last
        np.zeros(c, dtype=np.int64),  # lastpos
        np.zeros(c, dtype=np.bool_),  # has
    )


@numba.njit(inline="always")
def _sources(lo, hi, times, channel, mu, alpha, decay, pair, n_src, src_p, src_k, src_a, total,
             prev, a0, last, lastpos, has):  # fmt: skip
    """For every event of journey [lo, hi): its active sources in the order of their last
    touch (label-free), each with that touch, its excitation and A_0; the total intensity;
    and every touch's previous touch of the same channel."""
    c = mu.size
    has[:] = False
    k = lo
    while k < hi:
        t = times[k]
        g_end = k + 1
        while g_end < hi and times[g_end] == t:
            g_end += 1
        for i in range(max(k, lo + 1), g_end):
            ci = channel[i]
            q = ci if pair else 0
            li = i - lo
            n = 0
            for d in range(c):
                if has[d]:
                    dl = decay[d, ci]
                    kern = alpha[d, ci] * dl * math.exp(-dl * (t - last[d])) * a0[d, q]
                    # insert in the order of the source touch
                    pos = lastpos[d]
                    m = n
                    while m > 0 and src_p[li, m - 1] > pos:
                        src_p[li, m] = src_p[li, m - 1]
                        src_k[li, m] = src_k[li, m - 1]
                        src_a[li, m] = src_a[li, m - 1]
                        m -= 1
                    src_p[li, m] = pos
                    src_k[li, m] = kern
                    src_a[li, m] = a0[d, q]
                    n += 1
            tot = mu[ci]
            for m in range(n):
                tot += src_k[li, m]
            total[li] = tot
            n_src[li] = n
        for i in range(k, g_end):
            d = channel[i]
            if has[d]:
                lag = t - last[d]
                for q in range(a0.shape[1]):
                    a0[d, q] = math.exp(-decay[d, q] * lag) * a0[d, q] + 1.0
                prev[i - lo] = lastpos[d] - lo
            else:
                for q in range(a0.shape[1]):
                    a0[d, q] = 1.0
                has[d] = True
                prev[i - lo] = -1
            last[d] = t
            lastpos[d] = i
        k = g_end


@numba.njit(inline="always")
def _lineage(lo, hi, times, channel, keys, mu, decay, s, n_src, src_p, src_k, src_a, total,
             prev, lin):  # fmt: skip
    """One draw of every touch's parent (organic: itself), as lineage bitmasks: the
    source channel by the excitations in the order of their last touch, then which of
    its touches by their kernel weights walking back from the last one."""
    lin[0] = np.int64(1) << channel[lo]
    for li in range(1, hi - lo):
        i = lo + li
        ci = channel[i]
        bit = np.int64(1) << ci
        u = _uniform(keys[i], s[0], s[1], s[2]) * total[li]
        if u < mu[ci] or n_src[li] == 0:
            lin[li] = bit
            continue
        u -= mu[ci]
        m = 0
        acc = src_k[li, 0]
        while m < n_src[li] - 1 and u >= acc:
            m += 1
            acc += src_k[li, m]
        p = src_p[li, m] - lo
        d = channel[lo + p]
        dl = decay[d, ci]
        v = _uniform(keys[i], s[0], s[1], s[3]) * src_a[li, m]
        q = p
        cum = 1.0
        while v >= cum and prev[q] >= 0:
            q = prev[q]
            cum += math.exp(-dl * (times[lo + p] - times[lo + q]))
        lin[li] = bit | lin[q]


@numba.njit(inline="always")
def _probability(eta, link, shape, rate):
    if link == 0:
        return -math.expm1(-eta)
    if link == 1:
        return -math.expm1(-shape * math.log1p(eta / rate))
    if eta >= 0.0:
        return 1.0 / (1.0 + math.exp(-eta))
    e = math.exp(eta)
    return e / (1.0 + e)


@numba.njit(cache=True, parallel=True)
def credit_pass(offsets, times, channel, keys, mu, alpha, decay, pair, seed, draws, gain, base,
                link, shape, rate, weights, card, wtab, bounds, max_len):  # fmt: skip
    r"""Per chunk and draw: the exact Shapley values, removal effects and v(N) of the
    game, journey by journey over the subsets of its own channels (rows of `weights`).

    With the hazard link, :math:`1 - p(S) = e^{-b}\prod_{T \subseteq S} e^{-h_T}` over
    the lineage groups T of the journey's touches: a product over subsets, so one
    exponential per touch instead of one per subset (2^m of them)."""
    c = mu.size
    kk = c if pair else 1
    nch = bounds.size - 1
    n_d = draws.size
    n_w = weights.shape[0]
    phi = np.zeros((nch, n_d, n_w, c))
    removal = np.zeros((nch, n_d, n_w, c))
    v_all = np.zeros((nch, n_d, n_w))
    sal = np.empty((n_d, 4), dtype=np.uint64)
    for k in range(n_d):
        s = salts(seed, draws[k], 0)
        sal[k, 0], sal[k, 1], sal[k, 2] = s
        sal[k, 3] = salts(seed, draws[k], 1)[2]
    hazard = link == 0
    egain = np.exp(-gain) if hazard else gain
    # draws side by side (the innermost, contiguous axis: vector instructions), in blocks
    block = min(n_d, 32)
    for ch in numba.prange(nch):
        n_src, src_p, src_k, src_a, total, prev, lin, a0, last, lastpos, has = _scratch(
            max_len, c, kk
        )
        chan = np.zeros(c, dtype=np.int64)
        top_m = 0
        for j in range(bounds[ch], bounds[ch + 1]):
            mask = np.int64(0)
            for i in range(offsets[j], offsets[j + 1]):
                mask |= np.int64(1) << channel[i]
            m = 0
            for d in range(c):
                m += (mask >> d) & 1
            top_m = max(top_m, m)
        q = np.zeros((1 << top_m, block))
        wloc = np.zeros(1 << top_m)
        ph = np.zeros((c, block))
        rem = np.zeros((c, block))
        for j in range(bounds[ch], bounds[ch + 1]):
            lo, hi = offsets[j], offsets[j + 1]
            if lo == hi:
                continue
            _sources(lo, hi, times, channel, mu, alpha, decay, pair, n_src, src_p, src_k,
                     src_a, total, prev, a0, last, lastpos, has)  # fmt: skip
            # the journey's channels, ranked by code
            mask = np.int64(0)
            for i in range(lo, hi):
                mask |= np.int64(1) << channel[i]
            m = 0
            for d in range(c):
                if (mask >> d) & 1:
                    chan[m] = d
                    m += 1
            size = 1 << m
            full = size - 1
            for u in range(size):
                wloc[u] = wtab[m, card[u]]
            p_full = 0.0
            scale = 1.0
            if hazard:
                scale = math.exp(-base[j])
                eta = base[j]
                for i in range(lo, hi):
                    eta += gain[i]
                p_full = -math.expm1(-eta)
            for k0 in range(0, n_d, block):
                nb = min(block, n_d - k0)
                # q(S) = 1 - p(S) up to the factor `scale` (hazard), or -p(S)
                q[:size, :nb] = 1.0 if hazard else 0.0
                for k in range(nb):
                    _lineage(lo, hi, times, channel, keys, mu, decay, sal[k0 + k], n_src,
                             src_p, src_k, src_a, total, prev, lin)  # fmt: skip
                    for li in range(hi - lo):
                        x = lin[li]
                        comp = 0
                        for r in range(m):
                            comp |= ((x >> chan[r]) & 1) << r
                        if hazard:
                            q[comp, k] *= egain[lo + li]
                        else:
                            q[comp, k] += gain[lo + li]
                for b in range(m):  # zeta transform: over the subsets of each set
                    bit = 1 << b
                    for top in range(0, size, 2 * bit):
                        for u in range(top, top + bit):
                            if hazard:
                                for k in range(nb):
                                    q[u + bit, k] *= q[u, k]
                            else:
                                for k in range(nb):
                                    q[u + bit, k] += q[u, k]
                if not hazard:
                    for u in range(size):
                        for k in range(nb):
                            q[u, k] = -_probability(base[j] + q[u, k], link, shape[j], rate[j])
                for r in range(m):
                    bit = 1 << r
                    ph[r, :nb] = 0.0
                    for top in range(0, size, 2 * bit):
                        for u in range(top, top + bit):
                            wu = wloc[u]
                            for k in range(nb):
                                ph[r, k] += wu * (q[u, k] - q[u + bit, k])
                    for k in range(nb):
                        rem[r, k] = q[full ^ bit, k] - q[full, k]
                for k in range(nb):
                    pf = p_full if hazard else -q[full, k]
                    for w in range(n_w):
                        wj = weights[w, j]
                        for r in range(m):
                            phi[ch, k0 + k, w, chan[r]] += wj * scale * ph[r, k]
                            removal[ch, k0 + k, w, chan[r]] += wj * scale * rem[r, k]
                        v_all[ch, k0 + k, w] += wj * pf
    return phi, removal, v_all


@numba.njit(cache=True, parallel=True)
def lineage_pass(offsets, times, channel, keys, mu, alpha, decay, pair, seed, draw, bounds,
                 max_len):  # fmt: skip
    """Every touch's lineage bitmask in one draw (for games evaluated coalition by
    coalition)."""
    c = mu.size
    kk = c if pair else 1
    nch = bounds.size - 1
    out = np.zeros(times.size, dtype=np.int64)
    s0, s1, s2 = salts(seed, draw, 0)
    s = np.array([s0, s1, s2, salts(seed, draw, 1)[2]], dtype=np.uint64)
    for ch in numba.prange(nch):
        n_src, src_p, src_k, src_a, total, prev, lin, a0, last, lastpos, has = _scratch(
            max_len, c, kk
        )
        for j in range(bounds[ch], bounds[ch + 1]):
            lo, hi = offsets[j], offsets[j + 1]
            if lo == hi:
                continue
            _sources(lo, hi, times, channel, mu, alpha, decay, pair, n_src, src_p, src_k,
                     src_a, total, prev, a0, last, lastpos, has)  # fmt: skip
            _lineage(lo, hi, times, channel, keys, mu, decay, s, n_src, src_p, src_k, src_a,
                     total, prev, lin)  # fmt: skip
            for li in range(hi - lo):
                out[lo + li] = lin[li]
    return out
