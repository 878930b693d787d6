"""The distinct channel sets of journeys, and games solved from the subsets of those sets.

A game built from journeys' channel sets needs, at most, the subsets of the sets that were
observed: a coalition only ever meets a journey through the channels the journey has.
`ChannelSets` holds the distinct sets as sorted channel codes (compressed rows, any number
of channels); `SubsetTables` lays out every subset of every distinct set T as one dense
local table of :math:`2^{|T|}` cells, so that Harsanyi dividends, smoothed rates and
Shapley values cost :math:`\\sum_T 2^{|T|}` cells, not :math:`2^n`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..journeys import Journeys
from .exact import popcount

__all__ = ["MAX_SUBSET_CELLS", "WIDE_SET", "ChannelSets", "SubsetTables"]

#: Most subset cells (the sum over distinct channel sets T of 2^|T|) a closed form
#: tabulates: a few float64 and int64 arrays of this many cells, 128 MiB each.
MAX_SUBSET_CELLS = 1 << 24
#: Channel sets wider than this are named in the message refusing too many cells.
WIDE_SET = 20
# Cells of one (coalitions x sets x channels) block of a vectorised evaluation.
_BLOCK_CELLS = 1 << 24


def _bit_order(n_bits: int) -> np.ndarray:
    """Number of set bits of every local mask 0 .. 2^n_bits - 1."""
    return popcount(np.arange(1 << n_bits, dtype=np.int64))


class ChannelSets:
    """The distinct channel sets of journeys, with their customers and conversions (or value).

    Parameters
    ----------
    journeys : Journeys
    what : {"conversions", "value"}
        What `won` sums.

    Attributes
    ----------
    members : ndarray of int64
        Channel codes of every distinct set, each set sorted, set after set.
    offsets : ndarray of int64, shape (n_sets + 1,)
        Set k is ``members[offsets[k]:offsets[k + 1]]``.
    sizes : ndarray of int64
    won, seen : ndarray of float
        Conversions (or value) and customers (conversions + nulls) of the journeys with
        each set.
    conversions, value : ndarray of float
        Both totals of the journeys with each set (`won` is one of them).
    journeys_per_set : ndarray of int64
        Journeys (rows of the input) with each set.
    n_channels : int

    Examples
    --------
    >>> j = Journeys.from_paths(["B > A > B", "A > B", "C"], conversions=[1, 2, 0],
    ...                         nulls=[0, 1, 4])
    >>> s = ChannelSets(j, "conversions")
    >>> s.members.tolist(), s.offsets.tolist(), s.won.tolist(), s.seen.tolist()
    ([0, 1, 2], [0, 2, 3], [3.0, 0.0], [4.0, 4.0])
    """

    def __init__(self, journeys: Journeys, what: str) -> None:
        n = journeys.n_channels
        if n <= 62:
            members, offsets, inverse = _sets_by_bitmask(journeys)
        else:
            members, offsets, inverse = _sets_by_path(journeys)
        n_sets = offsets.size - 1
        self.n_channels = n
        self.members = members
        self.offsets = offsets
        self.sizes = np.diff(offsets)
        self.conversions = np.bincount(inverse, weights=journeys.conversions, minlength=n_sets)
        self.value = np.bincount(inverse, weights=journeys.value, minlength=n_sets)
        self.won = self.value if what == "value" else self.conversions
        self.seen = np.bincount(
            inverse, weights=journeys.conversions + journeys.nulls, minlength=n_sets
        )
        self.journeys_per_set = np.bincount(inverse, minlength=n_sets)

    @property
    def n_sets(self) -> int:
        return int(self.sizes.size)

    def select(self, keep: np.ndarray) -> ChannelSets:
        """The sets where boolean `keep` is True (a shallow copy)."""
        out = object.__new__(ChannelSets)
        out.n_channels = self.n_channels
        row = np.repeat(np.arange(self.n_sets), self.sizes)
        out.members = self.members[keep[row]]
        out.sizes = self.sizes[keep]
        out.offsets = np.concatenate([[0], np.cumsum(out.sizes)]).astype(np.int64)
        out.won, out.seen = self.won[keep], self.seen[keep]
        out.conversions, out.value = self.conversions[keep], self.value[keep]
        out.journeys_per_set = self.journeys_per_set[keep]
        return out

    def masks(self) -> np.ndarray:
        """Bitmask of every set (bit c for channel c); at most 62 channels."""
        if self.n_channels > 62:
            raise ValueError(f"sets of {self.n_channels} channels do not fit a 63-bit mask")
        if self.n_sets == 0:
            return np.zeros(0, dtype=np.int64)
        bits = np.left_shift(np.int64(1), self.members)
        return np.bitwise_or.reduceat(bits, self.offsets[:-1])

    def packed(self) -> np.ndarray:
        """Every set as a bit-packed row (`numpy.packbits` layout), one void scalar each."""
        width = (self.n_channels + 7) // 8
        row = np.repeat(np.arange(self.n_sets, dtype=np.int64), self.sizes)
        byte, bit = np.divmod(self.members, 8)
        # distinct bits of one byte: their sum is their OR
        cells = np.bincount(
            row * width + byte,
            weights=np.left_shift(1, 7 - bit),
            minlength=self.n_sets * width,
        )
        return _as_keys(cells.astype(np.uint8).reshape(self.n_sets, width))

    def contained_in(self, coalitions: np.ndarray) -> np.ndarray:
        """Boolean (m, n_sets): set k lies inside coalition i (a boolean row of n_channels)."""
        m = coalitions.shape[0]
        out = np.empty((m, self.n_sets), dtype=bool)
        if self.n_sets == 0 or m == 0:
            return out
        starts = self.offsets[:-1]
        step = max(1, _BLOCK_CELLS // max(self.members.size, 1))
        for lo in range(0, m, step):
            hit = coalitions[lo : lo + step][:, self.members].view(np.uint8)
            out[lo : lo + step] = np.minimum.reduceat(hit, starts, axis=1).astype(bool)
        return out

    def widest(self) -> str:
        """How many journeys have more than `WIDE_SET` distinct channels, and the widest."""
        wide = self.sizes > WIDE_SET
        n_wide = int(self.journeys_per_set[wide].sum())
        top = int(self.sizes.max()) if self.n_sets else 0
        return (
            f"{n_wide:,} journey{'s' * (n_wide != 1)} touch{'es' * (n_wide == 1)} more than"
            f" {WIDE_SET} distinct"
            f" channels, the widest {top}"
        )


def _sets_by_bitmask(journeys: Journeys) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct sets (members, offsets) and the set of every journey, at most 62 channels."""
    bits = np.left_shift(np.int64(1), journeys.channels.astype(np.int64))
    masks = np.bitwise_or.reduceat(bits, journeys.offsets[:-1])
    keys, inverse = np.unique(masks, return_inverse=True)
    member = (keys[:, None] >> np.arange(journeys.n_channels)) & 1 == 1
    offsets = np.zeros(keys.size + 1, dtype=np.int64)
    np.cumsum(member.sum(axis=1), out=offsets[1:])
    return np.nonzero(member)[1].astype(np.int64), offsets, inverse.ravel()


def _sets_by_path(journeys: Journeys) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct sets (members, offsets) and the set of every journey, any number of channels."""
    n = journeys.n_channels
    # (journey, channel) pairs in sorted order: each journey's distinct channels, sorted
    key = np.sort(journeys.journey_index * n + journeys.channels)
    key = key[np.concatenate([[True], key[1:] != key[:-1]])] if key.size else key
    jid, channel = np.divmod(key, n)
    offsets = np.zeros(journeys.n_journeys + 1, dtype=np.int64)
    np.cumsum(np.bincount(jid, minlength=journeys.n_journeys), out=offsets[1:])
    ones = np.ones(journeys.n_journeys)
    per_journey = Journeys(channel, offsets, journeys.channel_names, ones)
    # identical sets are identical sorted "paths": merged exactly, as paths are
    merged, inverse = per_journey.aggregate(return_inverse=True)
    return merged.channels.astype(np.int64), merged.offsets.astype(np.int64), inverse


def _as_keys(packed: np.ndarray) -> np.ndarray:
    """Rows of a 2-D uint8 array as void scalars: compared, sorted and searched exactly."""
    packed = np.ascontiguousarray(packed)
    return packed.view(np.dtype((np.void, max(packed.shape[1], 1)))).ravel()


def coalition_keys(coalitions: np.ndarray) -> np.ndarray:
    """Boolean coalition rows as the void keys of `ChannelSets.packed`."""
    return _as_keys(np.packbits(coalitions, axis=1))


class SubsetTables:
    """Every subset of every distinct channel set, in dense local tables by set size.

    The sets of size k are laid out as one (2^k, n_sets_k) table: cell ``[m, t]`` is the
    subset of set t holding its channels ``chans[t, b]`` for the bits b of local mask m
    (mask-major, so that a gather of masks moves whole contiguous rows). Each distinct
    subset also gets a global id (the same subset of different sets, the same id), found
    level by level from its parent (the subset without its last channel) with a hash
    table, so lookups are exact.

    Parameters
    ----------
    sets : ChannelSets
    game : str
        Named in the message refusing more than `MAX_SUBSET_CELLS` cells.

    Examples
    --------
    >>> j = Journeys.from_paths(["A > B", "A", "C"], conversions=[1, 1, 1])
    >>> t = SubsetTables(ChannelSets(j, "conversions"))
    >>> t.cells, [k for k, _, _ in t.groups]
    (8, [1, 2])
    >>> t.observed[1].T.tolist()  # subsets of {A, B}: {}, {A}, {B}, {A, B}
    [[-1, 0, -1, 1]]
    """

    def __init__(self, sets: ChannelSets, game: str = "this") -> None:
        self.n_channels = n = sets.n_channels
        cells = int(np.sum(np.ldexp(1.0, sets.sizes))) if sets.n_sets else 0
        if cells > MAX_SUBSET_CELLS:
            raise ValueError(
                f"the {game} game's exact solution tabulates the 2^|T| subsets of every"
                f" distinct channel set T: {cells:,} cells here, more than {MAX_SUBSET_CELLS:,};"
                f" {sets.widest()}. Group channels first (attribution_lab.channels"
                ".merge_channels, or the command line's --group-channels / --channel-map)"
            )
        self.cells = cells
        #: (k, rows of `sets`, channels (n_sets_k, k)) per size k present
        self.groups: list[tuple[int, np.ndarray, np.ndarray]] = []
        for k in np.unique(sets.sizes).tolist():
            rows = np.flatnonzero(sets.sizes == k)
            chans = sets.members[sets.offsets[rows][:, None] + np.arange(k)]
            self.groups.append((k, rows, chans))
        ids = [np.zeros((1 << k, rows.size), dtype=np.int64) for k, rows, _ in self.groups]
        pop = {k: _bit_order(k) for k, _, _ in self.groups}
        next_id = 1  # 0 is the empty set
        for level in range(1, max(pop, default=0) + 1):
            keys, where = [], []
            for g, (k, _, chans) in enumerate(self.groups):
                if k < level:
                    continue
                masks = np.flatnonzero(pop[k] == level)
                high = np.frexp(masks.astype(np.float64))[1] - 1  # index of the top bit
                parent = masks ^ (1 << high)
                keys.append((ids[g][parent] * n + chans.T[high]).ravel())
                where.append((g, masks))
            codes, uniq = pd.factorize(np.concatenate(keys))
            lo = 0
            for g, masks in where:
                size = ids[g].shape[1] * masks.size
                ids[g][masks] = next_id + codes[lo : lo + size].reshape(masks.size, -1)
                lo += size
            next_id += uniq.size
        self.n_subsets = next_id
        set_of_id = np.full(next_id, -1, dtype=np.int64)
        for g, (k, rows, _) in enumerate(self.groups):
            set_of_id[ids[g][(1 << k) - 1]] = rows
        #: per group, the index in `sets` of each local subset when it is an observed set,
        #: else -1
        self.observed = [set_of_id[i] for i in ids]

    def observed_values(self, per_set: np.ndarray, unseen: float = 0.0) -> list[np.ndarray]:
        """Per group, `per_set` of each local subset that is an observed set, else `unseen`."""
        padded = np.append(np.asarray(per_set, dtype=np.float64), unseen)
        return [padded[obs] for obs in self.observed]  # -1 picks the appended `unseen`

    def smoothed_rates(
        self, won: np.ndarray, seen: np.ndarray, strength: float
    ) -> list[np.ndarray]:
        """`SetRateGame`'s smoothed rates of every local subset (see its Notes), from the
        conversions (or value) and customers of each observed set.

        The prior of a subset is the best smoothed rate of its proper subsets, the best
        of those one channel smaller or of their own priors, built size by size.
        """
        out = []
        won_t, seen_t = self.observed_values(won), self.observed_values(seen)
        for (k, _, _), w, s in zip(self.groups, won_t, seen_t, strict=True):
            pop = _bit_order(k)
            value = np.zeros_like(w)
            # the best rate of a subset or any of its own subsets
            closed = np.zeros_like(w)
            for level in range(1, k + 1):
                masks = np.flatnonzero(pop == level)
                prior = np.zeros((masks.size, w.shape[1]))
                for b in range(k):
                    has = (masks >> b) & 1 == 1
                    sub = masks[has] ^ (1 << b)
                    prior[has] = np.maximum(prior[has], closed[sub])
                value[masks] = (w[masks] + strength * prior) / (s[masks] + strength)
                closed[masks] = np.maximum(value[masks], prior)
            out.append(value)
        return out

    def restricted_shapley(self, tables: list[np.ndarray], weights: np.ndarray) -> np.ndarray:
        """:math:`\\sum_T w_T \\phi(f|_T)`: each set's weight times the Shapley values of f
        restricted to the subsets of that set.

        With the dividends :math:`d(V) = \\sum_{U \\subseteq V} (-1)^{|V| - |U|} f(U)`,
        :math:`\\phi_c(f|_T) = \\sum_{c \\in V \\subseteq T} d(V) / |V|` (Harsanyi 1963).
        """
        phi = np.zeros(self.n_channels)
        for (k, rows, chans), f in zip(self.groups, tables, strict=True):
            d = f.copy()
            for b in range(k):  # Moebius transform of every set at once
                view = d.reshape(-1, 2, 1 << b, d.shape[1])
                view[:, 1] -= view[:, 0]
            pop = _bit_order(k)
            share = np.zeros(1 << k)
            share[1:] = 1.0 / pop[1:]
            contrib = d * share[:, None] * weights[rows]
            member = ((np.arange(1 << k)[:, None] >> np.arange(k)) & 1).astype(np.float64)
            per_channel = member.T @ contrib  # (k, sets): the cells holding each channel
            phi += np.bincount(chans.T.ravel(), per_channel.ravel(), minlength=phi.size)
        return phi

    def intersection_values(
        self, tables: list[np.ndarray], weights: np.ndarray, coalitions: np.ndarray
    ) -> np.ndarray:
        """:math:`v(S) = \\sum_T w_T f(T \\cap S)` for boolean coalition rows S."""
        m = coalitions.shape[0]
        out = np.zeros(m)
        for (k, rows, chans), f in zip(self.groups, tables, strict=True):
            place = np.left_shift(1, np.arange(k, dtype=np.int64))
            w = weights[rows]
            line = np.arange(rows.size)
            step = max(1, _BLOCK_CELLS // max(chans.size, 1))
            for lo in range(0, m, step):
                local = coalitions[lo : lo + step][:, chans]  # (block, sets, k)
                masks = local.astype(np.int64) @ place
                out[lo : lo + step] += f[masks, line] @ w
        return out
