"""Slow, obviously correct per-journey versions of the rule kernels, for the tests.

Each function takes one journey (a list of channel codes and optional extras) and returns
the list of touch weights, written as directly from the rule's definition as possible.
`reference_credit` loops over journeys; the vectorised kernels in `attribution_lab.rules`
must agree with it on any input.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

from ..journeys import Journeys


def first_touch(path: Sequence[int]) -> list[float]:
    return [1.0 if i == 0 else 0.0 for i in range(len(path))]


def last_touch(path: Sequence[int]) -> list[float]:
    return [1.0 if i == len(path) - 1 else 0.0 for i in range(len(path))]


def last_non_direct(path: Sequence[int], direct: set[int]) -> list[float]:
    chosen = len(path) - 1
    for i in range(len(path) - 1, -1, -1):
        if path[i] not in direct:
            chosen = i
            break
    return [1.0 if i == chosen else 0.0 for i in range(len(path))]


def linear(path: Sequence[int]) -> list[float]:
    return [1.0 / len(path)] * len(path)


def unique_linear(path: Sequence[int]) -> list[float]:
    distinct = list(dict.fromkeys(path))
    w = [0.0] * len(path)
    for c in distinct:
        w[list(path).index(c)] = 1.0 / len(distinct)
    return w


def anchored(
    length: int, anchors: Sequence[int], shares: Sequence[float], rest: float
) -> list[float]:
    w = [0.0] * length
    for a, s in zip(anchors, shares, strict=True):
        w[a] += s
    others = [i for i in range(length) if i not in set(anchors)]
    for i in others:
        w[i] = rest / len(others)
    total = sum(w)
    if total <= 0:
        return [1.0 / length] * length
    return [x / total for x in w]


def position_based(path: Sequence[int], first: float, middle: float, last: float) -> list[float]:
    n = len(path)
    if n == 1:
        return [1.0]
    if n == 2:
        if first + last == 0:
            return [0.5, 0.5]
        return [first / (first + last), last / (first + last)]
    return [first] + [middle / (n - 2)] * (n - 2) + [last]


def milestone_anchors(length: int, found: Sequence[int]) -> list[int]:
    """First touch plus milestones (-1 = missing), missing ones evenly spaced and bounded."""
    k = len(found) + 1
    pos = [0, *found]
    out = []
    for j in range(k):
        if pos[j] >= 0:
            out.append(pos[j])
            continue
        proxy = math.floor(j * (length - 1) / (k - 1) + 0.5)
        lower = max([p for p in pos[: j + 1] if p >= 0], default=0)
        upper = min([p for p in pos[j:] if p >= 0], default=length - 1)
        upper = max(upper, lower)
        out.append(min(max(proxy, lower), upper))
    return out


def time_decay(times: Sequence[float], t_conversion: float, half_life: float) -> list[float]:
    raw = [2.0 ** (-(t_conversion - t) / half_life) for t in times]
    return [r / sum(raw) for r in raw]


def position_decay(path: Sequence[int], half_life: float) -> list[float]:
    n = len(path)
    raw = [2.0 ** (-(n - 1 - i) / half_life) for i in range(n)]
    return [r / sum(raw) for r in raw]


def custom_position(path: Sequence[int], weights: Sequence[float], from_end: bool) -> list[float]:
    n = len(path)
    raw = []
    for i in range(n):
        p = n - 1 - i if from_end else i
        raw.append(weights[min(p, len(weights) - 1)])
    if sum(raw) <= 0:
        return [1.0 / n] * n
    return [r / sum(raw) for r in raw]


def reference_weights(
    journeys: Journeys, rule: Callable[[int, list[int]], list[float]]
) -> np.ndarray:
    """Concatenate ``rule(j, path)`` over journeys, one Python call per journey."""
    out: list[float] = []
    for j in range(journeys.n_journeys):
        path = journeys.channels[journeys.offsets[j] : journeys.offsets[j + 1]].tolist()
        w = rule(j, path)
        assert len(w) == len(path)
        out.extend(w)
    return np.array(out)


def reference_credit(journeys: Journeys, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Channel credit by looping over every touch."""
    conv = np.zeros(journeys.n_channels)
    val = np.zeros(journeys.n_channels)
    for j in range(journeys.n_journeys):
        for t in range(journeys.offsets[j], journeys.offsets[j + 1]):
            conv[journeys.channels[t]] += weights[t] * journeys.conversions[j]
            val[journeys.channels[t]] += weights[t] * journeys.value[j]
    return conv, val
