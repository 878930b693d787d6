"""Crediting journeys block by block: the memory discipline shared by the rule models.

Models credit the converting journeys block by block of about `_BLOCK_TOUCHES` touches,
adding credit touch by touch in order: the sums are the same, bit for bit, as one
``np.bincount`` over the weights of all touches, while no temporary spans all touches
(at 1e8 touches each would take 0.4-0.8 GB, and first-touching such fresh memory costs
more than the arithmetic).
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import pairwise
from typing import Any, NamedTuple

import numpy as np

from ..journeys import Journeys

#: Touches per block when a model credits its journeys block by block (`RuleAttribution`):
#: the per-touch temporaries of a block take a few MB, reused from one block to the next,
#: where arrays over all touches would take GBs at 1e8 touches and first-touching their
#: fresh pages would cost more than the arithmetic.
_BLOCK_TOUCHES = 1 << 18


def _index_dtype(n: int) -> type[np.signedinteger]:
    """int32 for indices below `n` when they fit (half the memory of int64), else int64."""
    return np.int32 if n <= np.iinfo(np.int32).max else np.int64


def _journey_index(offsets: np.ndarray) -> np.ndarray:
    """The journey of every touch, as int32 when the journeys allow it."""
    n_journeys = offsets.size - 1
    return np.repeat(np.arange(n_journeys, dtype=_index_dtype(n_journeys)), np.diff(offsets))


def _sum_by_journey(jid: np.ndarray, x: np.ndarray, n_journeys: int) -> np.ndarray:
    """Per-journey sums of per-touch `x`, added in touch order.

    The same sums, bit for bit, as ``np.bincount(jid, x)``, which would first copy an int32
    `jid` to a per-touch int64 array.
    """
    out = np.zeros(n_journeys)
    np.add.at(out, jid, x)
    return out


class _Block(NamedTuple):
    """Some journeys: their CSR offsets (from 0), their indices and the indices of their touches."""

    offsets: np.ndarray
    journeys: slice | np.ndarray
    touches: slice | np.ndarray


def _all_journeys(journeys: Journeys) -> _Block:
    return _Block(journeys.offsets, slice(None), slice(None))


def _block_bounds(offsets: np.ndarray) -> list[tuple[int, int]]:
    """Journey ranges ``[lo, hi)`` of about `_BLOCK_TOUCHES` touches each, covering all journeys."""
    cuts = np.searchsorted(offsets, np.arange(_BLOCK_TOUCHES, offsets[-1], _BLOCK_TOUCHES))
    bounds = np.unique(np.concatenate([[0], cuts, [offsets.size - 1]]))
    return list(pairwise(bounds.tolist()))


def _blocks(journeys: Journeys, converting: bool = False) -> Iterator[_Block]:
    """Consecutive journeys in blocks of about `_BLOCK_TOUCHES` touches, covering all journeys.

    With `converting`, only the journeys with conversions: the others (whose value is 0
    too) add nothing to any credit.
    """
    offsets = journeys.offsets
    for lo, hi in _block_bounds(offsets):
        local = offsets[lo : hi + 1] - offsets[lo]
        keep = journeys.conversions[lo:hi] > 0 if converting else None
        if keep is None or keep.all():
            yield _Block(local, slice(lo, hi), slice(int(offsets[lo]), int(offsets[hi])))
        elif keep.any():
            kept = np.flatnonzero(keep)
            lengths = np.diff(local)[kept]
            sub = np.zeros(kept.size + 1, dtype=np.int64)
            np.cumsum(lengths, out=sub[1:])
            touches = np.repeat(offsets[lo:hi][kept] - sub[:-1], lengths)
            touches += np.arange(sub[-1])
            yield _Block(sub, kept + lo, touches)


def _add_credit(
    journeys: Journeys, block: _Block, weights: np.ndarray, conv: np.ndarray, val: np.ndarray
) -> None:
    """Add to `conv` and `val` the credit of the journeys of `block` given their touch weights.

    Credit is added touch by touch in order, so adding block after block gives the same sums,
    bit for bit, as one ``np.bincount`` over all touches (journeys left out add 0).
    """
    lengths = np.diff(block.offsets)
    channels = journeys.channels[block.touches]
    for per_journey, out in ((journeys.conversions, conv), (journeys.value, val)):
        x = np.repeat(per_journey[block.journeys], lengths)
        x *= weights
        np.add.at(out, channels, x)


def _add_whole_credit(
    journeys: Journeys, rows: Any, credited: np.ndarray, conv: np.ndarray, val: np.ndarray
) -> None:
    """Add the whole credit of journeys `rows` to one channel each, `credited`, in order."""
    np.add.at(conv, credited, journeys.conversions[rows])
    np.add.at(val, credited, journeys.value[rows])


def _credit_end_touch(journeys: Journeys, last: bool) -> tuple[np.ndarray, np.ndarray]:
    """Credit when every journey gives all its credit to its first (or last) touch.

    Gathers one touch per journey, block by block, and adds in journey order: the same
    sums, bit for bit, as `credit_from_weights` over the per-touch weights.
    """
    conv, val = np.zeros(journeys.n_channels), np.zeros(journeys.n_channels)
    for lo, hi in _block_bounds(journeys.offsets):
        touch = journeys.offsets[lo + 1 : hi + 1] - 1 if last else journeys.offsets[lo:hi]
        _add_whole_credit(journeys, slice(lo, hi), journeys.channels[touch], conv, val)
    return conv, val
