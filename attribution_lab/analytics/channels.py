"""Channels: reach and roles (first, assisting, last), overlap, and transitions between them."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._validation import check_level
from ..journeys import Journeys
from ..markov.chain import CONVERSION, NULL, START
from ._common import _Prepared, _prepared, _ratio, _wcount
from .intervals import wilson_interval
from .results import ChannelStatsResult, OverlapResult, TransitionsResult


def channel_stats(
    journeys: Journeys, *, ci_level: float = 0.95, _prep: _Prepared | None = None
) -> ChannelStatsResult:
    """Reach, frequency, first / assisting / last roles and conversion rate of each channel.

    Parameters
    ----------
    journeys : Journeys
    ci_level : float, default 0.95
        Coverage of the Wilson interval of the conversion rate.

    Returns
    -------
    ChannelStatsResult
        ``table``, one row per channel (all channels, touched or not), with

        - ``journeys``: journeys that include the channel; ``reach``: their share of all
          journeys;
        - ``touches``: touches of the channel; ``touches_per_journey``: per journey that
          includes it;
        - ``first``, ``assisting``, ``last``: share of all journeys in which the channel
          is the first touch, touches at a position that is neither first nor last, and
          is the last touch (``first`` and ``last`` each sum to 1 over channels; a one-touch
          journey's channel is both first and last);
        - ``conversions``, ``value``: of the journeys that include it;
          ``conversion_rate`` = conversions / journeys, with Wilson ``ci_low`` and
          ``ci_high``.

    Notes
    -----
    ``assisting`` is the middle role of the introducer / assist / closer split; Google
    Analytics' "assisted conversions" instead count any touch but the last, first touches
    included. The conversion rate of journeys that include a channel is descriptive: longer
    journeys include more channels, and intent drives both exposure and conversion. To
    restrict the roles to converting journeys, pass
    ``journeys.subset(journeys.conversions > 0)``.

    Examples
    --------
    >>> j = Journeys.from_paths(["a > b > c", "b", "c > a"], conversions=[1, 0, 1],
    ...                         nulls=[1, 1, 0])
    >>> channel_stats(j).table[["channel", "journeys", "first", "assisting", "last",
    ...                         "conversion_rate"]]
      channel  journeys  first  assisting  last  conversion_rate
    0       a       3.0   0.50       0.00  0.25         0.666667
    1       b       3.0   0.25       0.50  0.25         0.333333
    2       c       3.0   0.25       0.00  0.50         0.666667
    """
    level = check_level(ci_level)
    prep = _prepared(journeys, _prep)
    j = prep.j
    n_ch = j.n_channels
    pairs = prep.pairs
    w = prep.customers
    total = float(w.sum())
    pw = w[pairs.journey]
    reached = _wcount(pairs.channel, pw, n_ch)
    touches = _wcount(pairs.channel, pw * pairs.touches, n_ch)
    first = _wcount(j.channels[j.offsets[:-1]], w, n_ch)
    last = _wcount(j.channels[j.offsets[1:] - 1], w, n_ch)
    mid = pairs.middle
    assisting = _wcount(pairs.channel[mid], pw[mid], n_ch)
    conv = _wcount(pairs.channel, prep.conv[pairs.journey], n_ch)
    value = _wcount(pairs.channel, np.asarray(j.value)[pairs.journey], n_ch)
    low, high = wilson_interval(conv, reached, level)
    table = pd.DataFrame(
        {
            "channel": list(j.channel_names),
            "journeys": reached,
            "reach": _ratio(reached, total),
            "touches": touches,
            "touches_per_journey": _ratio(touches, reached),
            "first": _ratio(first, total),
            "assisting": _ratio(assisting, total),
            "last": _ratio(last, total),
            "conversions": conv,
            "conversion_rate": _ratio(conv, reached),
            "ci_low": low,
            "ci_high": high,
            "value": value,
        }
    )
    return ChannelStatsResult(
        table=table, ci_level=level, overall_rate=float(_ratio(prep.conv.sum(), total))
    )


def channel_overlap(journeys: Journeys, *, _prep: _Prepared | None = None) -> OverlapResult:
    """How often channels appear in the same journey: the co-occurrence matrix.

    Parameters
    ----------
    journeys : Journeys

    Returns
    -------
    OverlapResult
        ``table``: one row per ordered pair of channels (``channel_a``, ``channel_b``),
        diagonal included: ``journeys`` that include both (the diagonal: that include
        ``channel_a``), ``share_of_a`` = journeys / journeys with ``channel_a`` (the
        conditional share P(b | a); NaN for a channel no journey includes), ``jaccard`` =
        journeys with both / journeys with either. ``matrix(what)`` gives it wide.

    Notes
    -----
    Computed as :math:`B^T W B` for the sparse journey x channel incidence matrix
    :math:`B` and the diagonal matrix :math:`W` of customers per journey (scipy.sparse,
    not BLAS, so its time does not depend on the thread pool).

    Examples
    --------
    >>> j = Journeys.from_paths(["a > b", "a", "b > c > b"], conversions=[1, 0, 0],
    ...                         nulls=[0, 3, 1])
    >>> t = channel_overlap(j).table
    >>> t[t["channel_a"] == "b"]
      channel_a channel_b  journeys  share_of_a   jaccard
    3         b         a       1.0         0.5  0.200000
    4         b         b       2.0         1.0  1.000000
    5         b         c       1.0         0.5  0.500000
    """
    import scipy.sparse as sp

    prep = _prepared(journeys, _prep)
    j = prep.j
    n_ch, n = j.n_channels, j.n_journeys
    pairs = prep.pairs
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(pairs.journey, minlength=n), out=indptr[1:])
    # pairs are sorted by journey then channel: already valid CSR, no sorting by scipy
    incidence = sp.csr_matrix((np.ones(pairs.channel.size), pairs.channel, indptr), (n, n_ch))
    weighted = sp.csr_matrix((prep.customers[pairs.journey], pairs.channel, indptr), (n, n_ch))
    both = np.asarray((weighted.T @ incidence).todense()) if n_ch else np.zeros((0, 0))
    diag = np.diag(both).copy()
    share = _ratio(both, diag[:, None])
    either = diag[:, None] + diag[None, :] - both
    jaccard = _ratio(both, either)
    names = np.asarray(j.channel_names, dtype=object)
    a, b = np.divmod(np.arange(n_ch * n_ch), max(n_ch, 1))
    table = pd.DataFrame(
        {
            "channel_a": names[a] if n_ch else np.zeros(0, object),
            "channel_b": names[b] if n_ch else np.zeros(0, object),
            "journeys": both.ravel(),
            "share_of_a": share.ravel(),
            "jaccard": jaccard.ravel(),
        }
    )
    return OverlapResult(table=table)


# ============================================================================ transitions
def _collapse_repeats(j: Journeys) -> tuple[np.ndarray, np.ndarray]:
    keep = np.ones(j.n_touchpoints, dtype=bool)
    np.not_equal(j.channels[1:], j.channels[:-1], out=keep[1:])
    keep[j.offsets[:-1]] = True
    kept = np.zeros(j.n_touchpoints + 1, dtype=np.int64)
    np.cumsum(keep, out=kept[1:])
    return j.channels[keep], kept[j.offsets]


def transitions(
    journeys: Journeys,
    *,
    ends: bool = True,
    drop_repeats: bool = False,
    _prep: _Prepared | None = None,
) -> TransitionsResult:
    """First-order transition shares between consecutive touches: where journeys go next.

    Parameters
    ----------
    journeys : Journeys
    ends : bool, default True
        Also count ``"(start)"`` -> first touch and last touch -> ``"(conversion)"`` /
        ``"(null)"`` (with the journey's conversions and nulls), as the states of
        `MarkovAttribution` do.
    drop_repeats : bool, default False
        Merge consecutive touches of the same channel first (ChannelAttribution's and
        `MarkovAttribution`'s convention), so no channel is followed by itself.

    Returns
    -------
    TransitionsResult
        ``table``: ``from``, ``to``, ``transitions``, ``share``; ``summary``: per channel
        the most common next channel, see `TransitionsResult`; ``matrix()``: wide shares.

    Examples
    --------
    >>> j = Journeys.from_paths(["a > b > a", "a > c", "b"], conversions=[1, 0, 0],
    ...                         nulls=[0, 2, 1])
    >>> r = transitions(j)
    >>> r.summary[["channel", "transitions", "next_channel", "next_share", "null_share"]]
      channel  transitions next_channel  next_share  null_share
    0       a          4.0            c         0.5         0.0
    1       b          2.0            a         0.5         0.5
    2       c          2.0          NaN         0.0         1.0
    >>> r.table[r.table["from"] == "a"]
      from            to  transitions  share
    2    a             c          2.0   0.50
    3    a             b          1.0   0.25
    4    a  (conversion)          1.0   0.25
    """
    prep = _prepared(journeys, _prep)
    j = prep.j
    n_ch = j.n_channels
    channels, offsets = (
        _collapse_repeats(j) if drop_repeats else (np.asarray(j.channels), np.asarray(j.offsets))
    )
    lengths = np.diff(offsets)
    width = n_ch + 2  # to-states: channels, (conversion), (null)
    w_touch = np.repeat(prep.customers, lengths)
    is_last = np.zeros(channels.size, dtype=bool)
    is_last[offsets[1:] - 1] = True
    inner = ~is_last[:-1]
    code = channels[:-1][inner].astype(np.int64) * width + channels[1:][inner]
    counts = _wcount(code, w_touch[:-1][inner], (n_ch + 1) * width)
    if ends:
        last = channels[offsets[1:] - 1].astype(np.int64) * width
        counts += _wcount(last + n_ch, prep.conv, counts.size)
        counts += _wcount(last + n_ch + 1, prep.nulls, counts.size)
        start = n_ch * width + channels[offsets[:-1]].astype(np.int64)
        counts += _wcount(start, prep.customers, counts.size)
    grid = counts.reshape(n_ch + 1, width)  # row n_ch: (start)
    out_total = grid.sum(axis=1)
    share = _ratio(grid, out_total[:, None])
    from_names = [*j.channel_names, START]
    to_names = [*j.channel_names, CONVERSION, NULL]
    row_order = [n_ch, *range(n_ch)] if ends else list(range(n_ch))
    frames = []
    for r in row_order:
        cols = np.flatnonzero(grid[r] > 0)
        cols = cols[np.argsort(-grid[r, cols], kind="stable")]
        frames.append(
            pd.DataFrame(
                {
                    "from": from_names[r],
                    "to": [to_names[c] for c in cols],
                    "transitions": grid[r, cols],
                    "share": share[r, cols],
                }
            )
        )
    table = (
        pd.concat(frames, ignore_index=True)
        if frames
        else pd.DataFrame({"from": [], "to": [], "transitions": [], "share": []})
    )
    # shares are NaN for a channel no journey touches (nothing to divide)
    out = out_total[:n_ch]
    to_channel = grid[:n_ch, :n_ch]
    best = np.argmax(to_channel, axis=1) if n_ch else np.zeros(0, dtype=np.int64)
    best_count = np.take_along_axis(to_channel, best[:, None], axis=1)[:, 0]
    names = np.asarray(j.channel_names, dtype=object)
    end_share = share[:n_ch, n_ch:] if ends else np.full((n_ch, 2), np.nan)
    summary = pd.DataFrame(
        {
            "channel": names,
            "transitions": out,
            "next_channel": np.where(best_count > 0, names[best], None),
            "next_share": _ratio(best_count, out),
            "self_share": np.diagonal(share[:n_ch, :n_ch]).copy(),
            "conversion_share": end_share[:, 0],
            "null_share": end_share[:, 1],
        }
    )
    return TransitionsResult(table=table, summary=summary, ends=ends, drop_repeats=drop_repeats)
