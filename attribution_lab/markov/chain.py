"""Markov chains of journeys: states, transition counts and exact absorbing-chain solves.

Pure functions over the CSR journey arrays. `fit_chain` counts transitions with a few
vectorised passes and one ``np.bincount``; `conversion_probability` and
`removal_effects` solve the absorbing chain once for every channel (`._solve`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # imported where used, not with the package
    import scipy.sparse as sp

from ..journeys import Journeys
from ._solve import conversion_totals, removal_solve

__all__ = [
    "CONVERSION",
    "NULL",
    "START",
    "MarkovChain",
    "conversion_probability",
    "fit_chain",
    "removal_effects",
]

START = "(start)"
CONVERSION = "(conversion)"
NULL = "(null)"

# Dense bincount over (state, next channel) codes up to this many cells (float64: 256 MB);
# beyond it the observed codes are found with np.unique instead.
_DENSE_CELLS = 1 << 25
# Window keys index a dense lookup table up to this size (bool + int64: ~150 MB).
_DENSE_KEYS = 1 << 24


@dataclass(frozen=True, eq=False)
class MarkovChain:
    """A fitted absorbing Markov chain over journey states.

    Index layout of `counts` and `probabilities`: 0 is ``(start)``, ``1 .. n_states`` the
    transient channel states in `state_names` order, then ``(conversion)`` and
    ``(null)``. Absorbing states carry a probability-1 self-loop, so `probabilities` is
    row-stochastic; their count rows are zero.

    Attributes
    ----------
    order : int
    channel_names : tuple of str
    state_names : tuple of str
        Transient states: for order 1 the channel names; for order k the windows of k
        consecutive channels (shorter for paths shorter than k), joined by ``" > "``.
    state_channels : ndarray of int32, shape (n_states, order)
        Channel codes of each state, padded with -1.
    counts : scipy.sparse.csr_array, shape (n_states + 3, n_states + 3)
        Weighted transition counts, self-transitions removed.
    conversion_value : ndarray, shape (n_states + 1,), optional
        Total value of the conversions entered from each state (start first, so always 0
        there); None means no value is known.
    """

    order: int
    channel_names: tuple[str, ...]
    state_names: tuple[str, ...]
    state_channels: np.ndarray
    counts: sp.csr_array
    conversion_value: np.ndarray | None = None

    @classmethod
    def from_graph(cls, graph: Any, weight: str = "probability") -> MarkovChain:
        """A chain from a networkx DiGraph, e.g. a known transition matrix or an edited fit.

        Parameters
        ----------
        graph : networkx.DiGraph
            Nodes ``"(start)"``, ``"(conversion)"``, ``"(null)"`` and channel states. A state
            node's ``channels`` attribute (a tuple of channel names) says which channels it
            contains; without it the node's name is its one channel. Edges out of
            ``(conversion)`` and ``(null)`` are ignored.
        weight : str, default "probability"
            Edge attribute with the transition weight (counts or probabilities; rows are
            normalised).

        Returns
        -------
        MarkovChain
            Channels are the sorted union of the states' channels; ``order`` is the longest
            state.

        Examples
        --------
        >>> import networkx as nx
        >>> g = nx.DiGraph()
        >>> g.add_weighted_edges_from([(START, "A", 1.0), ("A", "B", 0.5), ("A", NULL, 0.5),
        ...                            ("B", CONVERSION, 1.0)], weight="probability")
        >>> effects, p = removal_effects(MarkovChain.from_graph(g))
        >>> effects.tolist(), p
        ([1.0, 1.0], 0.5)
        """
        import networkx as nx
        import scipy.sparse as sp

        if not isinstance(graph, nx.DiGraph):
            raise TypeError(f"graph must be a networkx DiGraph, got {type(graph).__name__}")
        for special in (START, CONVERSION, NULL):
            if special not in graph:
                graph = graph.copy()
                graph.add_node(special)
        states = [v for v in graph.nodes if v not in (START, CONVERSION, NULL)]
        members = []
        for v in states:
            chans = graph.nodes[v].get("channels")
            members.append(tuple(str(c) for c in chans) if chans else (str(v),))
        channel_names = tuple(sorted({c for m in members for c in m}))
        code = {c: k for k, c in enumerate(channel_names)}
        order = max((len(m) for m in members), default=1)
        state_channels = np.full((len(states), order), -1, dtype=np.int32)
        for i, m in enumerate(members):
            state_channels[i, : len(m)] = [code[c] for c in m]
        index = {v: i + 1 for i, v in enumerate(states)}
        index.update({START: 0, CONVERSION: len(states) + 1, NULL: len(states) + 2})
        rows, cols, vals = [], [], []
        for s, d, data in graph.edges(data=True):
            if s in (CONVERSION, NULL):
                continue
            w = data.get(weight)
            if w is None or not np.isfinite(w) or w < 0:
                raise ValueError(f"edge {s!r} -> {d!r}: {weight} must be a number >= 0, got {w!r}")
            if d == START:
                raise ValueError(f"edge {s!r} -> {START!r}: nothing may lead back to the start")
            rows.append(index[s])
            cols.append(index[d])
            vals.append(float(w))
        size = len(states) + 3
        counts = sp.csr_array((vals, (rows, cols)), shape=(size, size))
        counts.sum_duplicates()
        names = tuple(" > ".join(m) for m in members)
        return cls(order, channel_names, names, state_channels, counts)

    @property
    def n_states(self) -> int:
        """Number of transient channel states (excluding start, conversion, null)."""
        return len(self.state_names)

    @property
    def index(self) -> pd.Index:
        """Names of all rows/columns of `counts`: start, channel states, conversion, null."""
        return pd.Index([START, *self.state_names, CONVERSION, NULL], name="state")

    @cached_property
    def probabilities(self) -> sp.csr_array:
        """Row-stochastic transition matrix (absorbing states loop to themselves)."""
        import scipy.sparse as sp

        c = self.counts.tocsr()
        totals = np.asarray(c.sum(axis=1)).ravel()
        m = self.n_states
        scale = np.divide(1.0, totals, out=np.zeros_like(totals), where=totals > 0)
        p = sp.csr_array(sp.diags_array(scale) @ c)
        loops = sp.csr_array((np.ones(2), ([m + 1, m + 2], [m + 1, m + 2])), shape=c.shape)
        p = sp.csr_array(p + loops)
        p.sort_indices()
        return p

    @cached_property
    def membership(self) -> sp.csr_array:
        """Boolean (n_states, n_channels) matrix: does the state contain the channel."""
        import scipy.sparse as sp

        rows = np.repeat(np.arange(self.n_states), self.order)
        cols = self.state_channels.ravel()
        keep = cols >= 0
        data = np.ones(int(keep.sum()), dtype=bool)
        mat = sp.csr_array(
            (data, (rows[keep], cols[keep])), shape=(self.n_states, len(self.channel_names))
        )
        mat.sum_duplicates()
        return mat


def _window_keys(
    channels: np.ndarray, offsets: np.ndarray, lengths: np.ndarray, order: int, base: int
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
    """Key of every state window, which touches start one, and windows per journey.

    A key is the base-`base` number whose digits are the window's channel codes + 1,
    with trailing 0 digits for a path shorter than `order` (one window, the whole path).
    Keys are built for every touch position by shifted adds, then the positions that do
    not start a window (the last ``order - 1`` of each journey) are masked out.
    """
    key = channels.astype(np.int64) + 1
    n_windows = np.maximum(lengths - order + 1, 1)
    if order == 1:
        return key, None, n_windows
    digit = key.copy()
    for m in range(1, order):
        key[:-m] *= base
        key[:-m] += digit[m:]
    short = np.flatnonzero(lengths < order)
    if short.size:
        first = offsets[short]
        padded = np.zeros(short.size, dtype=np.int64)
        for m in range(order):
            inside = m < lengths[short]
            padded = padded * base + np.where(
                inside, digit[np.minimum(first + m, channels.size - 1)], 0
            )
        key[first] = padded
    valid = np.ones(channels.size, dtype=bool)
    for d in range(1, order):
        valid[offsets[1:][lengths > d] - d] = False
    return key[valid], valid, n_windows


# Touches per chunk of the order-1 count: its int64 codes (1 MB) stay in cache.
_CHUNK = 1 << 17


def _unit_order1_counts(
    channels: np.ndarray,
    offsets: np.ndarray,
    converted: np.ndarray,
    n: int,
    value: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Order-1 counts of journeys that each count once, in one cache-sized pass.

    Codes every adjacent pair of the flat channel array as ``channel * (n + 2) + next``
    chunk by chunk; a pair that straddles two journeys (``last of j, first of j + 1``)
    yields the next journey's first channel and is recoded as ``last of j, outcome of
    j``. No array as long as the touches is allocated.

    Returns
    -------
    counts : ndarray of float64, length ``n * (n + 2)``
        (channel, next channel or outcome) counts, self-transitions included.
    start : ndarray of float64, length n
        Journeys per first channel.
    last_value : ndarray of float64 or None
        `value` summed by each journey's last channel.
    """
    width = n + 2
    cells = n * width
    counts = np.zeros(cells, dtype=np.int64)
    start = np.zeros(n, dtype=np.int64)
    last_value = None if value is None else np.zeros(n)
    inner = offsets[1:-1]  # a journey's first touch, after another journey
    m = channels.size - 1
    # int32 codes (cells < 2**25) make the multiply-add cheaper than intp ones
    buf = np.empty(min(_CHUNK, m), dtype=np.int32)
    lo = 0
    for a in range(0, m, _CHUNK):
        b = min(a + _CHUNK, m)
        code = buf[: b - a]
        np.multiply(channels[a:b], width, out=code, casting="unsafe")
        np.add(code, channels[a + 1 : b + 1], out=code, casting="unsafe")
        hi = int(np.searchsorted(inner, b + 1))
        first = inner[lo:hi]
        nxt = channels[first]
        start += np.bincount(nxt, minlength=n)
        # next journey's first channel -> this journey's outcome: null n + 1, conversion n
        code[first - (a + 1)] += (n + 1) - nxt - converted[lo:hi]
        counts += np.bincount(code, minlength=cells)
        if value is not None:
            last_value += np.bincount(channels[first - 1], weights=value[lo:hi], minlength=n)
        lo = hi
    first, last = int(channels[0]), int(channels[-1])
    start[first] += 1
    counts[last * width + n + 1 - int(converted[-1])] += 1
    if value is not None:
        last_value[last] += value[-1]
    return counts.astype(np.float64), start.astype(np.float64), last_value


def fit_chain(journeys: Journeys, order: int = 1, *, collapse_repeats: bool = False) -> MarkovChain:
    """Count the transitions of `journeys` as an order-`order` absorbing Markov chain.

    Parameters
    ----------
    journeys : Journeys
    order : int, default 1
        States are windows of `order` consecutive channels of a path (ChannelAttribution's
        convention); a path shorter than `order` is one state made of the whole path.
    collapse_repeats : bool, default False
        Merge consecutive touches of the same channel before building states
        (``A > A > B`` becomes ``A > B``). For order 1 this changes nothing.

    Returns
    -------
    MarkovChain

    Notes
    -----
    Every journey ``j`` with conversions :math:`c_j` and nulls :math:`u_j` and states
    :math:`s_1, \\dots, s_m` adds :math:`c_j + u_j` to ``start -> s_1`` and to each
    ``s_i -> s_{i+1}``, :math:`c_j` to ``s_m -> conversion`` and :math:`u_j` to
    ``s_m -> null``. Consecutive repeats of a state merge, i.e. self-transitions are
    dropped. A new window differs from its predecessor only by its last channel, so
    counts are kept per (state, next channel or outcome) and need one ``np.bincount``.

    Examples
    --------
    >>> j = Journeys.from_paths(["A > B > B", "B"], conversions=[1, 0], nulls=[0, 2])
    >>> chain = fit_chain(j)
    >>> chain.index.tolist()
    ['(start)', 'A', 'B', '(conversion)', '(null)']
    >>> chain.counts.toarray().tolist()
    [[0.0, 1.0, 2.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 0.0, 1.0, 2.0], \
[0.0, 0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0, 0.0]]
    """
    import scipy.sparse as sp

    if isinstance(order, bool) or not isinstance(order, (int, np.integer)) or order < 1:
        raise ValueError(f"order must be a positive integer, got {order!r}")
    order = int(order)
    if journeys.n_journeys == 0:
        raise ValueError("cannot fit a Markov chain to zero journeys")
    n = journeys.n_channels
    reserved = {START, CONVERSION, NULL} & set(journeys.channel_names)
    if reserved:
        raise ValueError(
            f"channel name {sorted(reserved)[0]!r} is reserved for a special state of the chain;"
            " rename the channel"
        )
    channels = journeys.channels
    offsets = journeys.offsets
    if collapse_repeats and channels.size > 1:
        keep = np.ones(channels.size, dtype=bool)
        keep[1:] = channels[1:] != channels[:-1]
        keep[offsets[:-1]] = True
        kept = np.zeros(channels.size + 1, dtype=np.int64)
        np.cumsum(keep, out=kept[1:])
        channels, offsets = channels[keep], kept[offsets]
    conv = journeys.conversions
    null = journeys.nulls
    lengths = np.diff(offsets)
    base = n + 1
    if order * np.log2(base) >= 62:
        raise ValueError(
            f"order {order} with {n} channels has too many possible states to index;"
            " use a lower order"
        )
    # Journeys that each count once, as converting or not (raw, unaggregated data), need no
    # per-touch weights: their outcome goes into the code and one unweighted bincount counts.
    unit = bool(np.all(((conv == 1.0) & (null == 0.0)) | ((conv == 0.0) & (null == 1.0))))
    if order == 1:
        # states are the channels themselves; untouched ones are pruned below
        n_windows = lengths
        keys = np.arange(1, n + 1, dtype=np.int64)
        lookup = np.arange(-1, n, dtype=np.int64)
        state = channels
        valid = None
    else:
        key, valid, n_windows = _window_keys(channels, offsets, lengths, order, base)
        if base**order <= _DENSE_KEYS:
            present = np.zeros(base**order, dtype=bool)
            present[key] = True
            keys = np.flatnonzero(present)
            lookup = np.cumsum(present) - 1
            state = lookup[key]
        else:
            keys, state = np.unique(key, return_inverse=True)
            lookup = None
    n_states = keys.size
    width = n + 2  # next event: a channel, conversion (n) or null (n + 1)
    cells = n_states * width

    if order == 1 and unit and cells <= _DENSE_CELLS:
        # the common case (raw order-1 journeys) without any per-touch array
        value = journeys.value if journeys.total_value > 0 else None
        dense, start_counts, last_value = _unit_order1_counts(channels, offsets, conv > 0, n, value)
    else:
        # A new window differs from its predecessor by its last channel, so the next event
        # of a window is the touch `order` places on from its start; a journey's last
        # window is followed by its outcome.
        weight = conv + null
        w_offsets = np.zeros(lengths.size + 1, dtype=np.int64)
        np.cumsum(n_windows, out=w_offsets[1:])
        last = w_offsets[1:] - 1
        code = np.empty(state.size, dtype=np.intp)
        np.multiply(state, width, out=code, casting="unsafe")
        if valid is None:
            code[:-1] += channels[1:]
        else:
            nxt = np.zeros(channels.size, dtype=np.int32)
            nxt[: max(channels.size - order, 0)] = channels[order:]
            code += nxt[valid]
        last_code = state[last].astype(np.intp) * width
        last_value = None
        if journeys.total_value > 0:
            # value enters (conversion) from each journey's last state: its last window
            last_value = np.bincount(last_code // width, weights=journeys.value, minlength=n_states)
        if unit:
            code[last] = last_code + (n + 1 - (conv > 0))
            parts = [(code, None)]
        else:
            code[last] = last_code + n
            w = np.repeat(weight, n_windows)
            w[last] = conv
            parts = [(code, w), (last_code + (n + 1), null)]
        start_counts = np.bincount(state[w_offsets[:-1]], weights=weight, minlength=n_states)
        dense = None
        if cells <= _DENSE_CELLS:
            dense = np.zeros(cells)
            for c, wt in parts:
                dense += np.bincount(c, weights=wt, minlength=cells)
    if dense is not None:
        nz = np.flatnonzero(dense)
        pair_counts = dense[nz]
    else:
        nz, inverse = np.unique(np.concatenate([c for c, _ in parts]), return_inverse=True)
        wts = [np.ones(c.size) if wt is None else wt for c, wt in parts]
        pair_counts = np.bincount(inverse, weights=np.concatenate(wts))
        keep = pair_counts > 0
        nz, pair_counts = nz[keep], pair_counts[keep]
    src, event = np.divmod(nz, width)
    is_channel = event < n
    dst = n_states + event - n  # conversion or null
    to_key = (keys[src[is_channel]] % base ** (order - 1)) * base + event[is_channel] + 1
    dst[is_channel] = lookup[to_key] if lookup is not None else np.searchsorted(keys, to_key)
    renumber = None
    if order == 1:
        # drop channels no journey touches (every touched one has an outgoing event)
        used = np.zeros(n_states, dtype=bool)
        used[src] = True
        if not used.all():
            renumber = np.cumsum(used) - 1
            n_used = int(used.sum())
            src = renumber[src]
            dst = np.where(is_channel, renumber[np.where(is_channel, dst, 0)], n_used + event - n)
            keys, start_counts, n_states = keys[used], start_counts[used], n_used
            if last_value is not None:
                last_value = last_value[used]
    # ids shift by one to make room for start; self-transitions (merged repeats) go
    rows, cols = src + 1, dst + 1
    keep = rows != cols
    s_nz = np.flatnonzero(start_counts)
    size = n_states + 3
    counts = sp.csr_array(
        (
            np.concatenate([start_counts[s_nz], pair_counts[keep]]),
            (
                np.concatenate([np.zeros(s_nz.size, np.int64), rows[keep]]),
                np.concatenate([s_nz + 1, cols[keep]]),
            ),
        ),
        shape=(size, size),
    )
    counts.sum_duplicates()
    digits = (keys[:, None] // base ** np.arange(order - 1, -1, -1)) % base
    state_channels = (digits - 1).astype(np.int32)
    # object arrays concatenate element by element in C: 115,000 order-3 names in ~50 ms
    names = np.asarray(journeys.channel_names, dtype=object)
    label = names[state_channels[:, 0]]  # every state has a first channel
    for t in range(1, order):
        col = state_channels[:, t]
        label = label + np.where(col >= 0, " > " + names[np.maximum(col, 0)], "")
    state_names = tuple(label.tolist())
    conversion_value = None
    if last_value is not None:
        conversion_value = np.zeros(n_states + 1)
        conversion_value[1:] = last_value
    return MarkovChain(
        order, journeys.channel_names, state_names, state_channels, counts, conversion_value
    )


def conversion_probability(chain: MarkovChain) -> float:
    """Probability that a walk from ``(start)`` ends in ``(conversion)``.

    Examples
    --------
    >>> j = Journeys.from_paths(["A > B", "B"], conversions=[1, 0], nulls=[1, 2])
    >>> round(conversion_probability(fit_chain(j)), 12)
    0.25
    """
    return float(conversion_totals(chain, (False,))[0])


def removal_effects(
    chain: MarkovChain, *, value: bool = False, solver: str = "auto", progress: bool = False
) -> tuple[np.ndarray, float]:
    """Exact removal effect of every channel, and the chain's conversion probability.

    Parameters
    ----------
    chain : MarkovChain
    value : bool, default False
        Measure the loss in expected conversion value instead of conversion probability
        (needs ``chain.conversion_value``).
    solver : {"auto", "direct", "iterative"}, default "auto"
        "direct": one dense inverse of ``I - Q`` serves every channel (chains of up to
        2,000 states reachable from start, 5,000 at order 1), beyond that a sparse LU per
        channel (slow). "iterative": Gauss-Seidel sweeps for all channels at once, with a
        certified error bound (recomputed directly, with a warning, if the bound on an
        effect exceeds 1e-8). "auto" is direct up to those sizes, iterative beyond.
    progress : bool, default False
        Show a tqdm bar on stderr over the solve (blocks of channels for large chains).

    Returns
    -------
    effects : ndarray, shape (n_channels,)
        :math:`RE_c = 1 - P_{-c}(\\text{conversion}) / P(\\text{conversion})`.
    total : float
        :math:`P(\\text{conversion})`, or the expected value of a walk with `value`.

    Notes
    -----
    Removing channel c redirects every transition into a state that contains c to
    ``(null)``. The walk then converts exactly when the original walk converts without
    entering such a state, so

    .. math:: RE_c = P(\\text{walk visits a state containing } c \\mid \\text{conversion}),

    which lies in [0, 1] and is 0 for a channel from which no conversion is reachable.
    With the fundamental matrix :math:`N = (I - Q)^{-1}` (Kemeny & Snell) of start and the
    transient states, :math:`h = N r` the conversion probabilities (:math:`r`: probability
    of converting next) and A the states containing c, a first-passage decomposition at
    the walk's first entry into A gives

    .. math:: P_{-c} = h_s - N_{sA} N_{AA}^{-1} h_A,

    at order 1 (:math:`A = \\{c\\}`) :math:`P_{-c} = h_s - (N_{sc} / N_{cc})\\, h_c`:
    the probability of ever reaching c times the absorption probability into conversion
    from c. One factorisation serves every channel instead of one per channel; the
    derivation is in the Notes of `attribution_lab.markov._solve.removal_solve`.

    With `value`, :math:`r_s` is the expected value converted on leaving state s (its
    conversions' total value over its outgoing count), so :math:`h_{start}` is the
    expected value of a walk and :math:`RE^v_c` the share of it lost without c: the
    value-weighted probability that a converting walk visits c, where a conversion is
    worth the mean value of the conversions entered from the same state.

    References
    ----------
    Anderl, E., Becker, I., von Wangenheim, F., & Schumann, J. H. (2016). Mapping the
    customer journey: Lessons learned from graph-based online attribution modeling.
    International Journal of Research in Marketing, 33(3), 457-474.

    Kemeny, J. G., & Snell, J. L. (1960). Finite Markov Chains. Van Nostrand, ch. III.

    Examples
    --------
    >>> j = Journeys.from_paths(["A > B", "A"], conversions=[1, 1], nulls=[1, 1])
    >>> effects, p = removal_effects(fit_chain(j))
    >>> effects.round(6).tolist(), round(p, 6)
    ([1.0, 0.5], 0.5)
    """
    effects, totals, _ = _removal_effects(chain, (value,), solver, progress)
    return effects[:, 0], float(totals[0])


def _removal_effects(
    chain: MarkovChain, kinds: tuple[bool, ...], solver: str = "auto", progress: bool = False
) -> tuple[np.ndarray, np.ndarray, dict[str, float | str]]:
    """Removal effects for several rewards (False: conversions, True: value) at once.

    Returns the effects (n_channels, len(kinds)), the full chain's totals and a summary
    of the solve: method and a certified bound on the absolute error of any removal effect
    (0 for direct solves). See `attribution_lab.markov._solve.removal_solve`.
    """
    return removal_solve(chain, kinds, solver, progress)
