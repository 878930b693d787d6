"""Removal effects of every channel from one solve of the absorbing chain.

Three exact-or-certified schemes, chosen by `removal_solve`:

- ``fundamental``: one dense inverse :math:`N = (I - Q)^{-1}` of the chain restricted to
  the states reachable from start; every channel's effect follows from the start row of N,
  its block on the channel's states and the absorption vector (see `removal_solve`).
- ``iterative``: large higher-order chains, whose LU factors fill in (the giant strongly
  connected component of an order-3 chain over 100 channels has 65,000 states and is an
  expander), are solved for every channel at once by Gauss-Seidel sweeps over blocks of
  columns, with a certified bound on the error.
- ``per_channel``: one sparse LU per channel of the chain without that channel's states
  (``solver="direct"`` on chains too large for the dense inverse; slow, kept for exactness).
"""

from __future__ import annotations

import itertools
import sys
import warnings
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # scipy is imported where used, not with the package
    import scipy.sparse as sp

    from .chain import MarkovChain

# The dense fundamental matrix is used up to this many reachable states (float64: 32 MB);
# order 1 needs only its diagonal and start row, and the dense inverse stays the cheapest
# way to the diagonal up to a few thousand states (m^3 flops against m sparse solves on
# nearly dense factors), hence the higher limit.
_DENSE_MAX_STATES = 2000
_DENSE_MAX_STATES_ORDER1 = 5000
# Columns per Gauss-Seidel block: 16 columns of 115,000 states (15 MB) keep the rows that
# one sparse product gathers in cache; 100 columns at once are 3-4x slower per column.
_BLOCK_COLUMNS = 16
# Target of the iterative scheme: certified absolute error of every "convert without c"
# probability at most this fraction of the chain's conversion probability.
_TARGET = 1e-12
_MAX_SWEEPS = 20_000
_CHECK_EVERY = 8
# Iterative answers whose certified error bound on a removal effect exceeds this are
# recomputed by the direct solver.
_MAX_ERROR = 1e-8
_MAX_LEVELS = 256
# One sparse LU (conversion probability alone) up to this many states.
_SPARSE_LU_STATES = 5000


def absorbing_system(
    chain: MarkovChain, kinds: tuple[bool, ...]
) -> tuple[sp.csr_array, np.ndarray]:
    """Q over start + transient states (start is 0) and one reward column per kind.

    The reward of kind False is the probability of converting next; of kind True the
    expected value converted next (the state's conversion value over its outgoing count).
    """
    import scipy.sparse as sp

    p = chain.probabilities
    m = chain.n_states + 1
    q = sp.csr_array(p[:m, :m])
    q.eliminate_zeros()
    cols = []
    for value in kinds:
        if value:
            if chain.conversion_value is None:
                raise ValueError("the chain has no conversion value")
            out = np.asarray(chain.counts.sum(axis=1)).ravel()[:m]
            cols.append(np.divide(chain.conversion_value, out, out=np.zeros(m), where=out > 0))
        else:
            cols.append(p[:m, [m]].toarray().ravel())
    return q, np.column_stack(cols)


def conversion_totals(chain: MarkovChain, kinds: tuple[bool, ...]) -> np.ndarray:
    """The conversion probability (kind False) or expected value (True) of a walk from start.

    One dense solve for small chains, one sparse LU up to `_SPARSE_LU_STATES`, beyond that
    the certified sweeps of `removal_solve` (LU factors of large higher-order chains fill in).
    """
    import scipy.sparse as sp

    q, r = absorbing_system(chain, kinds)
    keep = _reachable(q)
    q = sp.csr_array(q[keep][:, keep])
    r = r[keep]
    m = q.shape[0]
    a = sp.csc_array(sp.eye_array(m, format="csc") - q)
    if m <= _DENSE_MAX_STATES:
        return np.linalg.solve(a.toarray(), r)[0]
    if m <= _SPARSE_LU_STATES:
        from scipy.sparse.linalg import splu

        return splu(a).solve(r)[0]
    plan = _Sweep(q)
    b = np.column_stack([r[plan.perm], np.ones(m)])
    x, _ = plan.solve(b, np.ones_like(b), None, None)
    return x[plan.start, :-1]


def _reachable(q: sp.csr_array) -> np.ndarray:
    """States reachable from start (0), in breadth-first order, start first."""

    from scipy.sparse.csgraph import breadth_first_order

    return breadth_first_order(q, 0, directed=True, return_predecessors=False)


def removal_solve(
    chain: MarkovChain, kinds: tuple[bool, ...], solver: str = "auto", progress: bool = False
) -> tuple[np.ndarray, np.ndarray, dict[str, float | str]]:
    """Removal effects (n_channels, len(kinds)), the chain's totals and how they were solved.

    Notes
    -----
    Let :math:`Q` be the transitions among start and the transient states, :math:`r` the
    reward of converting next, :math:`N = (I - Q)^{-1}` the fundamental matrix (Kemeny &
    Snell 1960, Thm 3.2.4: :math:`N_{ij}` is the expected number of visits to j from i) and
    :math:`h = N r` the conversion probability from every state. Removing channel c sends
    every transition into the set :math:`A` of states containing c to null, so
    :math:`P_{-c} = h_s - P(\\text{visit } A \\text{ and convert})` from start s.

    First-passage decomposition: conversion is absorbing, so a walk that visits A and
    converts has converted after its first entry into A; by the strong Markov property at
    that entry, :math:`P(\\text{visit } A, \\text{convert}) = \\sum_{a \\in A} B_{sa} h_a`
    with :math:`B_{sa}` the probability that the first state of A the walk enters is a.
    Counting visits to :math:`a'\\in A` the same way gives
    :math:`N_{sa'} = \\sum_a B_{sa} N_{aa'}`, i.e. :math:`B_{sA} = N_{sA} N_{AA}^{-1}`
    (:math:`N_{AA}` is a principal block of the inverse of a nonsingular M-matrix, hence
    nonsingular). So

    .. math:: P_{-c} = h_s - N_{sA} N_{AA}^{-1} h_A,

    the Schur-complement (Sherman-Morrison-Woodbury) form of the solve on the states
    without c. At order 1, :math:`A = \\{c\\}` and
    :math:`P_{-c} = h_s - h_c\\,a_c` with :math:`h_c = N_{sc}/N_{cc}` the probability of
    ever reaching c (Kemeny & Snell, Thm 3.5.4) and :math:`a_c = h(c)` the absorption
    probability into conversion from c. The same holds for the value reward, which is only
    earned on entering conversion, after any visit to A. One dense inverse serves every
    channel; states that start cannot reach are dropped first (they change no answer).

    Large chains are solved instead for all channels at once: the system
    :math:`x = D_c (r + Q x)` (:math:`D_c` zero on A) is swept Gauss-Seidel style in
    breadth-first order from start, rows grouped into levels that depend only on rows
    already updated, 16 right-hand sides per block. From :math:`x = D_c h` (the error then
    starts at :math:`P(\\text{visit } A, \\text{convert})`) the iterates decrease to the
    solution, the operator being monotone; with residual :math:`\\rho` the error is
    :math:`N_{KK}\\rho \\le \\max\\tau\\,\\lVert\\rho\\rVert_\\infty`, :math:`\\tau =
    N\\mathbf{1}` the expected steps to absorption (solved and bounded the same way), and
    sweeps continue until that bound is below ``1e-12`` of the conversion probability.

    References
    ----------
    Kemeny, J. G., & Snell, J. L. (1960). Finite Markov Chains. Van Nostrand, ch. III.

    Anderl, E., Becker, I., von Wangenheim, F., & Schumann, J. H. (2016). Mapping the
    customer journey: Lessons learned from graph-based online attribution modeling.
    International Journal of Research in Marketing, 33(3), 457-474.
    """
    import scipy.sparse as sp
    from tqdm import tqdm

    if solver not in ("auto", "direct", "iterative"):
        raise ValueError(f"solver must be 'auto', 'direct' or 'iterative', got {solver!r}")
    n = len(chain.channel_names)
    q_full, r_full = absorbing_system(chain, kinds)
    keep = _reachable(q_full)
    q = sp.csr_array(q_full[keep][:, keep])
    q.sort_indices()
    r = r_full[keep]
    m = keep.size
    # channel -> its reachable states, in the restricted numbering
    where = np.full(q_full.shape[0], -1, dtype=np.int64)
    where[keep] = np.arange(m)
    member = chain.membership.tocsc()
    states = where[member.indices + 1]
    ok = states >= 0
    col = np.repeat(np.arange(n), np.diff(member.indptr))
    hits = sp.csr_array((np.ones(int(ok.sum()), dtype=bool), (col[ok], states[ok])), shape=(n, m))
    hits.sort_indices()
    order1 = bool(np.diff(hits.indptr).max(initial=0) <= 1)
    dense_limit = _DENSE_MAX_STATES_ORDER1 if order1 else _DENSE_MAX_STATES
    method = solver
    if solver == "auto":
        method = "direct" if m <= dense_limit else "iterative"
    bar = tqdm(
        total=1,
        desc=f"removal effects ({chain.n_states:,} states)",
        unit="block",
        file=sys.stderr,
        disable=not progress,
        leave=False,
    )
    bound = 0.0
    with bar:
        if method == "iterative":
            x, totals, err = _iterative(q, r, hits, bar)
            # RE = 1 - x / P with x <= P, both off by at most e: |error| <= 2e / (P - e)
            low = totals - err
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio = np.where(low > 0, 2 * err / low, np.inf)
            bound = float(np.max(np.where(totals > 0, ratio, 0.0)))
        elif m <= dense_limit:
            x, totals = _fundamental(q, r, hits)
            bar.update()
        else:
            x, totals = _per_channel(q, r, hits, bar)
    if bound > _MAX_ERROR:
        warnings.warn(
            f"the iterative solve left an error bound of {bound:.2g} on the removal effects of"
            f" this {chain.n_states:,}-state chain; solving again by sparse LU per channel,"
            " which can be slow",
            UserWarning,
            stacklevel=3,
        )
        return removal_solve(chain, kinds, "direct", progress)
    effects = 1.0 - np.divide(x, totals, out=np.ones_like(x), where=totals > 0)
    effects[:, totals <= 0] = 0.0
    info: dict[str, float | str] = {
        "method": "iterative" if method == "iterative" else "direct",
        "error_bound": bound,
    }
    return np.clip(effects, 0.0, 1.0), totals, info


def _fundamental(
    q: sp.csr_array, r: np.ndarray, hits: sp.csr_array
) -> tuple[np.ndarray, np.ndarray]:
    """``P_{-c}`` of every channel from one dense inverse (the Notes of `removal_solve`)."""

    m = q.shape[0]
    a = -q.toarray()
    a[np.diag_indices(m)] += 1.0
    # numpy's LAPACK: scipy 1.17's batched inv took 0.5 s on 301 states on a busy machine
    fundamental = np.linalg.inv(a)
    h = fundamental @ r
    totals = h[0].copy()
    x = np.repeat(totals[None, :], hits.shape[0], axis=0)
    sizes = np.diff(hits.indptr)
    one = np.flatnonzero(sizes == 1)
    if one.size:
        c = hits.indices[hits.indptr[one]]
        # order 1: P_{-c} = h_s - (N_sc / N_cc) h_c, every channel in one expression
        reach = fundamental[0, c] / fundamental[c, c]
        x[one] -= reach[:, None] * h[c]
    for k in np.flatnonzero(sizes > 1):
        s = hits.indices[hits.indptr[k] : hits.indptr[k + 1]]
        block = fundamental[np.ix_(s, s)]
        x[k] -= fundamental[0, s] @ np.linalg.solve(block, h[s])
    return x, totals


def _per_channel(
    q: sp.csr_array, r: np.ndarray, hits: sp.csr_array, bar
) -> tuple[np.ndarray, np.ndarray]:
    """``P_{-c}`` by one sparse LU of the chain without c's states, per channel."""
    import scipy.sparse as sp
    from scipy.sparse.linalg import splu

    m = q.shape[0]
    a = sp.csc_array(sp.eye_array(m, format="csc") - q)
    totals = splu(a).solve(r)[0]
    n = hits.shape[0]
    bar.total = n + 1
    bar.update()
    x = np.repeat(totals[None, :], n, axis=0)
    for c in range(n):
        s = hits.indices[hits.indptr[c] : hits.indptr[c + 1]]
        if s.size:
            keep = np.ones(m, dtype=bool)
            keep[s] = False
            idx = np.flatnonzero(keep)
            x[c] = splu(sp.csc_array(a[idx][:, idx])).solve(r[idx])[0]
        bar.update()
    return x, totals


class _Sweep:
    """Gauss-Seidel plan of one chain: its states reordered so each level is a row slice.

    States are taken in breadth-first order from start; row i reads rows j > i (forward
    edges) updated in the same sweep, so its level is one more than the largest level
    among them and a level depends only on lower levels: one sparse product per level.
    Levels are then made contiguous (`perm`), so a sweep slices instead of gathering. Past
    `_MAX_LEVELS` the remaining dependencies within a level read the previous sweep's
    values, which is still a convergent (monotone) iteration.
    """

    def __init__(self, q: sp.csr_array) -> None:
        import scipy.sparse as sp

        m = q.shape[0]
        coo = q.tocoo()
        fwd = coo.col > coo.row
        rows, cols = coo.row[fwd], coo.col[fwd]
        level = np.zeros(m, dtype=np.int64)
        for _ in range(_MAX_LEVELS):
            new = np.zeros(m, dtype=np.int64)
            np.maximum.at(new, rows, level[cols] + 1)
            if np.array_equal(new, level):
                break
            level = new
        perm = np.argsort(level, kind="stable")
        inverse = np.empty(m, dtype=np.int64)
        inverse[perm] = np.arange(m)
        self.perm, self.inverse = perm, inverse
        self.start = int(inverse[0])
        self.q = sp.csr_array(q[perm][:, perm])
        self.q.sort_indices()
        bounds = np.searchsorted(level[perm], np.arange(level.max() + 2))
        self.groups = [
            (int(lo), int(hi), sp.csr_array(self.q[lo:hi]))
            for lo, hi in itertools.pairwise(bounds)
            if hi > lo
        ]

    def solve(
        self,
        b: np.ndarray,
        mask: np.ndarray,
        scale: np.ndarray | None,
        tau_max: float | None,
        x0: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Sweep ``x = b + mask * (Q x)`` from 0 until ``tau_max * residual <= _TARGET * scale``.

        `b` and `mask` are in the plan's order. With `scale` None each column's own start
        entry is its scale; with `tau_max` None the block holds tau itself (last column,
        needed only to 1e-3 of its maximum) and the bound on max tau that the current
        iterate certifies is used. `x0` (default 0) is the first iterate, which the sweeps
        overwrite. Returns x (the plan's order) and the residuals.
        """
        x = np.zeros_like(b) if x0 is None else x0
        res = np.full(b.shape[1], np.inf)
        for sweep in range(1, _MAX_SWEEPS + 1):
            for lo, hi, block in self.groups:
                v = block @ x
                v *= mask[lo:hi]
                v += b[lo:hi]
                x[lo:hi] = v
            if sweep % _CHECK_EVERY and sweep != _MAX_SWEEPS:
                continue
            res = np.abs(b + mask * (self.q @ x) - x).max(axis=0)
            tol = _TARGET * np.abs(x[self.start] if scale is None else scale)
            if tau_max is None:
                t = _tau_bound(x[:, -1], res[-1])
                tol[-1] = 1e-3 * float(x[:, -1].max())
            else:
                t = tau_max
            with np.errstate(invalid="ignore"):  # an unbounded tau times a 0 residual
                done = np.all(t * res <= tol)
            if done:
                break
        return x, res


def _tau_bound(tau: np.ndarray, res: float) -> float:
    # tau <= tau~ + max(tau) * rho, hence max(tau) <= max(tau~) / (1 - rho)
    return float(tau.max()) / (1.0 - res) if res < 1.0 else np.inf


def _iterative(
    q: sp.csr_array, r: np.ndarray, hits: sp.csr_array, bar
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``P_{-c}`` of every channel by blocked Gauss-Seidel, with certified error bounds."""

    m, kinds = r.shape
    plan = _Sweep(q)
    r = r[plan.perm]
    start = plan.start
    n = hits.shape[0]
    sizes = np.diff(hits.indptr)
    todo = [(c, k) for c in np.flatnonzero(sizes) for k in range(kinds)]
    n_blocks = -(-len(todo) // _BLOCK_COLUMNS)
    bar.total = n_blocks + 1
    # totals and tau first: every later bound needs max tau
    b = np.column_stack([r, np.ones(m)])
    x, res = plan.solve(b, np.ones_like(b), None, None)
    tau_max = _tau_bound(x[:, -1], res[-1])
    totals = x[start, :kinds].copy()
    h = x[:, :kinds]
    err_total = tau_max * res[:kinds]
    bar.update()
    out = np.repeat(totals[None, :], n, axis=0)
    err = np.repeat(err_total[None, :], n, axis=0)
    for lo in range(0, len(todo), _BLOCK_COLUMNS):
        part = todo[lo : lo + _BLOCK_COLUMNS]
        kind = np.array([k for _, k in part])
        mask = np.ones((m, len(part)))
        for j, (c, _) in enumerate(part):
            mask[plan.inverse[hits.indices[hits.indptr[c] : hits.indptr[c + 1]]], j] = 0.0
        b = r[:, kind] * mask
        # start from h off c's states: the error starts at P(visit c, convert), small for
        # rare channels, instead of P(convert without c); the iterates then decrease
        x, res = plan.solve(b, mask, totals[kind], tau_max, x0=h[:, kind] * mask)
        for j, (c, k) in enumerate(part):
            out[c, k] = x[start, j]
            err[c, k] = tau_max * res[j] + err_total[k]
        bar.update()
    return out, totals, err.max(axis=0)
