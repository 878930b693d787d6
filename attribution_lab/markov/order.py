"""Choosing the order of the Markov chain: held-out likelihood, and ChannelAttribution's pAUC."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .._validation import check_instance, check_random_state
from ..journeys import Journeys

__all__ = ["OrderSelection", "select_order"]

CRITERIA = ("loglik", "outcome", "pauc")


@dataclass(frozen=True)
class OrderSelection:
    """Scores of Markov chains of order 1 .. max_order on the same journeys.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per order (index ``order``): ``n_states`` of the chain fitted to all
        journeys; ``loglik`` and ``loglik_se``, the held-out log-likelihood of each
        journey's events (next channel, then outcome) per journey, and its standard error
        over folds; ``outcome_loglik`` (``_se``), the held-out log-likelihood of the
        outcome given the path; ``auc`` and ``pauc``, ChannelAttribution's in-sample
        criterion.
    best_order : int
        The order with the highest value of `criterion`.
    criterion : str
    """

    table: pd.DataFrame
    best_order: int
    criterion: str

    def _repr_html_(self) -> str:
        return (
            f"<p>Best order by <b>{self.criterion}</b>: {self.best_order}</p>"
            + self.table.to_html(float_format=lambda x: f"{x:,.5g}")
        )

    def plot(self, ax: Any = None) -> Any:
        """Held-out log-likelihood (with two standard errors) and pAUC against order."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(6, 3.5))
        t = self.table
        ax.errorbar(t.index, t["loglik"], yerr=2 * t["loglik_se"], marker="o", label="loglik")
        ax.set_xlabel("order")
        ax.set_ylabel("held-out log-likelihood per journey")
        ax.set_xticks(t.index)
        twin = ax.twinx()
        twin.plot(t.index, t["pauc"], color="tab:orange", marker="s", label="pAUC (in-sample)")
        twin.set_ylabel("pAUC")
        ax.axvline(self.best_order, color="grey", ls=":", lw=1)
        ax.set_title(f"Markov order selection (best by {self.criterion}: {self.best_order})")
        return ax


def _collapse(channels: np.ndarray, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    keep = np.ones(channels.size, dtype=bool)
    keep[1:] = channels[1:] != channels[:-1]
    keep[offsets[:-1][np.diff(offsets) > 0]] = True
    kept = np.zeros(channels.size + 1, dtype=np.int64)
    np.cumsum(keep, out=kept[1:])
    return channels[keep], kept[offsets]


def _contexts(
    channels: np.ndarray, offsets: np.ndarray, depth: int, base: int
) -> tuple[np.ndarray, np.ndarray]:
    """Context keys of every touch and of every journey's end, `depth` channels deep.

    Digit d - 1 (base `base`) of a key is 1 + the channel d touches back, or 0 before the
    journey's start, so ``key % base**k`` is the order-k context.
    """
    lengths = np.diff(offsets)
    journey = np.repeat(np.arange(lengths.size), lengths)
    pos = np.arange(channels.size) - offsets[:-1][journey]
    digit = channels.astype(np.int64) + 1
    key = np.zeros(channels.size, dtype=np.int64)
    end_key = np.zeros(lengths.size, dtype=np.int64)
    for d in range(1, depth + 1):
        shifted = np.zeros(channels.size, dtype=np.int64)
        shifted[d:] = digit[:-d]
        key += np.where(pos >= d, shifted, 0) * base ** (d - 1)
        back = offsets[1:] - d
        end_key += np.where(lengths >= d, digit[np.maximum(back, 0)], 0) * base ** (d - 1)
    return key, end_key


# (context, event) cells counted in dense arrays up to this many (float64: 256 MB)
_DENSE_CELLS = 1 << 25


class _Counts:
    """Weighted (context, event) counts of one order, looked up densely or by sorted search."""

    def __init__(
        self, ctx: np.ndarray, event: np.ndarray, weight: np.ndarray, width: int, space: int
    ):
        self.width = width
        self.dense = space * width <= _DENSE_CELLS
        code = ctx * width + event
        if self.dense:
            self.pair = np.bincount(code, weights=weight, minlength=space * width)
            grid = self.pair.reshape(space, width)
            self.total = grid.sum(axis=1)
            self.types = (grid > 0).sum(axis=1).astype(np.float64)  # Witten-Bell's T(h)
            return
        pos = weight > 0
        self.codes, inv = np.unique(code[pos], return_inverse=True)
        self.pair = np.bincount(inv, weights=weight[pos])
        self.ctxs, cinv = np.unique(self.codes // width, return_inverse=True)
        self.total = np.bincount(cinv, weights=self.pair)
        self.types = np.bincount(cinv).astype(np.float64)

    @staticmethod
    def _find(sorted_keys: np.ndarray, values: np.ndarray, keys: np.ndarray) -> np.ndarray:
        if sorted_keys.size == 0:
            return np.zeros(keys.size)
        i = np.minimum(np.searchsorted(sorted_keys, keys), sorted_keys.size - 1)
        return np.where(sorted_keys[i] == keys, values[i], 0.0)

    def smooth(self, ctx: np.ndarray, event: np.ndarray, lower: np.ndarray) -> np.ndarray:
        """Witten-Bell interpolation with the lower-order probability `lower`."""
        code = ctx * self.width + event
        if self.dense:
            pair, total, types = self.pair[code], self.total[ctx], self.types[ctx]
        else:
            pair = self._find(self.codes, self.pair, code)
            total = self._find(self.ctxs, self.total, ctx)
            types = self._find(self.ctxs, self.types, ctx)
        seen = total > 0
        out = lower.copy()
        out[seen] = (pair[seen] + types[seen] * lower[seen]) / (total[seen] + types[seen])
        return out


def _fold_weights(
    conv: np.ndarray, null: np.ndarray, n_folds: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Split each row's journeys over folds: (rows, folds) conversions and nulls."""
    integral = np.all(conv == np.round(conv)) and np.all(null == np.round(null))
    if integral:
        # each journey of a row lands in a fold at random (a multinomial split per row)
        p = np.full(n_folds, 1.0 / n_folds)
        return (
            rng.multinomial(conv.astype(np.int64), p).astype(np.float64),
            rng.multinomial(null.astype(np.int64), p).astype(np.float64),
        )
    # fractional counts cannot be split into journeys: whole rows go to one fold
    fold = rng.integers(0, n_folds, size=conv.size)
    onehot = np.zeros((conv.size, n_folds))
    onehot[np.arange(conv.size), fold] = 1.0
    return conv[:, None] * onehot, null[:, None] * onehot


def _ca_auc(
    channels: np.ndarray,
    offsets: np.ndarray,
    conv: np.ndarray,
    null: np.ndarray,
    order: int,
    n_channels: int,
    roc_points: int,
) -> tuple[float, float]:
    """ChannelAttribution's in-sample AUC and penalised AUC of an order-k chain.

    Every path is scored by the conversion rate of all paths ending in the same state (its
    last k channels, or the whole path if shorter); the ROC curve has `roc_points`
    thresholds evenly spaced between the lowest and highest score, journeys weighted by
    their counts. The penalty treats the chain as having C(n + k - 1, k) parameters.
    """
    total = float(conv.sum() + null.sum())
    params = math.comb(n_channels + order - 1, order)
    if params >= total - 1 or conv.sum() == 0 or null.sum() == 0:
        return math.nan, math.nan
    _, end_key = _contexts(channels, offsets, order, int(channels.max()) + 2)
    states, inv = np.unique(end_key, return_inverse=True)
    c = np.bincount(inv, weights=conv, minlength=states.size)
    t = c + np.bincount(inv, weights=null, minlength=states.size)
    rate = np.divide(c, t, out=np.zeros_like(c), where=t > 0)
    # per state: journeys scoring >= a cut are those of states whose rate is >= it
    by_rate = np.argsort(rate)
    sorted_rate = rate[by_rate]
    conv_above = np.cumsum(c[by_rate][::-1])[::-1]
    null_above = np.cumsum((t - c)[by_rate][::-1])[::-1]
    used = rate[np.unique(inv)]
    lo, hi = used.min(), used.max()
    cuts = (lo + np.arange(roc_points) * (hi - lo) / (roc_points - 1))[::-1]
    first = np.searchsorted(sorted_rate, cuts, side="left")
    pad = np.append(conv_above, 0.0), np.append(null_above, 0.0)
    tpr = np.concatenate([[0.0], pad[0][first] / conv.sum(), [1.0]])
    fpr = np.concatenate([[0.0], pad[1][first] / null.sum(), [1.0]])
    auc = float(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2))
    pauc = 1 - (1 - auc) * (total - 1) / (total - params - 1)
    return auc, (pauc if 0 <= pauc <= 1 else 0.0)


def select_order(
    journeys: Journeys,
    max_order: int = 4,
    *,
    criterion: str = "loglik",
    n_folds: int = 5,
    collapse_repeats: bool = False,
    roc_points: int = 100,
    random_state: int | np.random.Generator | None = None,
) -> OrderSelection:
    """Score Markov chains of order 1 .. `max_order` and pick one.

    Parameters
    ----------
    journeys : Journeys
    max_order : int, default 4
    criterion : {"loglik", "outcome", "pauc"}, default "loglik"
        Which column of the table picks the best order: held-out log-likelihood of the
        journeys' events, held-out log-likelihood of their outcomes, or
        ChannelAttribution's penalised in-sample AUC.
    n_folds : int, default 5
        Cross-validation folds. Journeys, not rows, are split: a row counting several
        journeys spreads them over folds at random (rows with fractional counts go whole).
    collapse_repeats : bool, default False
        Passed on to the chains whose states are counted (``n_states``) and to the pAUC.
    roc_points : int, default 100
        Thresholds of ChannelAttribution's ROC curve.
    random_state : int, Generator or None
        Seed of the fold split.

    Returns
    -------
    OrderSelection

    Notes
    -----
    The order-k chain gives every event of a journey (each next channel, then conversion
    or null) a probability that depends on the last k channels, or on the whole path so
    far while it is shorter than k (the chain's first state). The held-out score is
    :math:`\\frac{1}{J} \\sum_j w_j \\log P_k(\\text{events of } j)` over the held-out
    journeys of each fold, with transition probabilities from the other folds smoothed
    by Witten-Bell interpolation down to order 0 (add-one), so that contexts and
    transitions never seen in training keep a positive probability. To compare orders on
    the same events, consecutive repeats of a channel are merged for this score (the
    chain of any order skips an event that repeats its state). ``outcome_loglik`` keeps
    only the last event, renormalised over conversion and null: how well the path
    predicts its outcome. Smoothing shrinks the probability of an event never seen in a
    context once per order, so when an outcome is (nearly) certain given the last channel,
    higher orders look slightly better than they are; compare the differences with
    ``loglik_se``.

    ChannelAttribution's ``choose_order`` instead scores in-sample: each path predicts the
    conversion rate of its last state and the ROC area is penalised by
    :math:`1 - (1 - AUC)(N - 1)/(N - m - 1)` with N journeys and
    :math:`m = \\binom{n + k - 1}{k}`. Since a longer last state fits the same data at
    least as well and the penalty is small for large N, it tends to pick the longest
    order offered even on journeys drawn from a first-order chain; it is reported for
    comparison.

    References
    ----------
    Witten, I. H., & Bell, T. C. (1991). The zero-frequency problem: estimating the
    probabilities of novel events in adaptive text compression. IEEE Transactions on
    Information Theory, 37(4), 1085-1094.

    Altomare, D., & Loris, D. ChannelAttribution (``choose_order``).

    Examples
    --------
    Journeys of a first-order process: geometric lengths, independent channels, and a
    conversion chance set by the last channel.

    >>> rng = np.random.default_rng(0)
    >>> paths = [list(rng.choice(["a", "b", "c"], size=rng.geometric(0.3))) for _ in range(3000)]
    >>> p = [0.6 if path[-1] == "a" else 0.2 for path in paths]
    >>> conv = (rng.random(3000) < p).astype(float)
    >>> j = Journeys.from_paths(paths, conversions=conv, nulls=1 - conv)
    >>> sel = select_order(j, max_order=3, random_state=0)
    >>> sel.best_order
    1
    >>> list(sel.table.columns)
    ['n_states', 'loglik', 'loglik_se', 'outcome_loglik', 'outcome_loglik_se', 'auc', 'pauc']
    """
    from .chain import fit_chain

    if isinstance(max_order, bool) or not isinstance(max_order, (int, np.integer)) or max_order < 1:
        raise ValueError(f"max_order must be a positive integer, got {max_order!r}")
    if criterion not in CRITERIA:
        raise ValueError(f"criterion must be one of {', '.join(CRITERIA)}, got {criterion!r}")
    if isinstance(n_folds, bool) or not isinstance(n_folds, (int, np.integer)) or n_folds < 2:
        raise ValueError(f"n_folds must be an integer >= 2, got {n_folds!r}")
    check_instance(journeys, Journeys, "journeys")
    if journeys.n_conversions <= 0:
        raise ValueError(
            "the journeys have no conversions; there is nothing to select an order for"
        )
    max_order = int(max_order)
    n = journeys.n_channels
    base, width = n + 1, n + 2
    if max_order * math.log2(base) + math.log2(width) >= 62:
        raise ValueError(f"max_order {max_order} is too high for {n} channels")
    rng = check_random_state(random_state)

    channels, offsets = _collapse(journeys.channels, journeys.offsets)
    lengths = np.diff(offsets)
    key, end_key = _contexts(channels, offsets, max_order, base)
    journey = np.repeat(np.arange(lengths.size), lengths)
    # every event: (context key, event code, journey); the outcome is two events
    ctx = np.concatenate([key, end_key, end_key])
    event = np.concatenate(
        [channels.astype(np.int64), np.full(lengths.size, n), np.full(lengths.size, n + 1)]
    )
    conv_f, null_f = _fold_weights(journeys.conversions, journeys.nulls, n_folds, rng)
    both = conv_f + null_f
    fold_w = np.concatenate([both[journey], conv_f, null_f])  # (events, folds)

    ll = np.zeros((n_folds, max_order + 1))
    oll = np.zeros((n_folds, max_order + 1))
    total_w = fold_w.sum(axis=1)
    n_touch = channels.size
    # held-out events of each fold: its touches, and both outcome events of its journeys
    # (the outcome probability is renormalised over conversion and null)
    held, prob = [], []
    for f in range(n_folds):
        tested = np.flatnonzero(both[:, f] > 0)
        if tested.size == 0:
            raise ValueError(
                f"cross-validation fold {f} received no journeys; use fewer than"
                f" n_folds={n_folds} folds for {journeys.n_journeys} journeys"
            )
        idx = np.concatenate(
            [
                np.flatnonzero(fold_w[:n_touch, f] > 0),
                n_touch + tested,
                n_touch + lengths.size + tested,
            ]
        )
        c0 = np.bincount(event, weights=total_w - fold_w[:, f], minlength=width)
        held.append(idx)
        prob.append((c0[event[idx]] + 1) / (c0.sum() + width))
    for k in range(1, max_order + 1):
        sub = base**k
        ctx_k = ctx % sub
        for f in range(n_folds):
            idx = held[f]
            model = _Counts(ctx_k, event, total_w - fold_w[:, f], width, sub)
            prob[f] = p = model.smooth(ctx_k[idx], event[idx], prob[f])
            test_w = fold_w[idx, f]
            n_test = both[:, f].sum()
            ll[f, k] = np.sum(test_w * np.log(p)) / n_test
            m = (idx.size - np.count_nonzero(idx < n_touch)) // 2
            q = p[-2 * m : -m] / (p[-2 * m : -m] + p[-m:])
            wc, wn = test_w[-2 * m : -m], test_w[-m:]
            oll[f, k] = np.sum(wc * np.log(q) + wn * np.log1p(-q)) / n_test

    rows = []
    for k in range(1, max_order + 1):
        chain = fit_chain(journeys, k, collapse_repeats=collapse_repeats)
        ch, off = journeys.channels, journeys.offsets
        if collapse_repeats:
            ch, off = _collapse(ch, off)
        n_seen = int(np.unique(ch).size)
        auc, pauc = _ca_auc(ch, off, journeys.conversions, journeys.nulls, k, n_seen, roc_points)
        rows.append(
            {
                "order": k,
                "n_states": chain.n_states,
                "loglik": ll[:, k].mean(),
                "loglik_se": ll[:, k].std(ddof=1) / np.sqrt(n_folds),
                "outcome_loglik": oll[:, k].mean(),
                "outcome_loglik_se": oll[:, k].std(ddof=1) / np.sqrt(n_folds),
                "auc": auc,
                "pauc": pauc,
            }
        )
    table = pd.DataFrame(rows).set_index("order")
    column = {"loglik": "loglik", "outcome": "outcome_loglik", "pauc": "pauc"}[criterion]
    scores = table[column]
    if scores.isna().all():
        raise ValueError(f"criterion {criterion!r} is undefined for every order on these journeys")
    return OrderSelection(table, int(scores.idxmax()), criterion)
