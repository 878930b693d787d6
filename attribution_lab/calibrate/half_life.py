"""`calibrate_time_decay`: the half-life of the time-decay rule fitted from data."""

from __future__ import annotations

from collections.abc import Callable
from numbers import Integral
from typing import Any

import numpy as np

from .._validation import check_level, first_bad
from ..journeys import Journeys
from ._common import _check_journeys, _check_n_boot
from ._likelihood import _fit_likelihood
from ._match import _fit_match
from .results import HalfLifeResult


def _end_times(journeys: Journeys, end_time: Any) -> np.ndarray:
    if end_time is None:
        if journeys.end_time is None:
            raise ValueError(
                "method='likelihood' needs each journey's end time (its conversion time, or "
                "the end of observation for a journey that did not convert), and the journeys"
                " have no end_time: pass end_time= (days, one number for a common end of "
                "observation or one per journey)"
            )
        return np.asarray(journeys.end_time)
    end = np.asarray(end_time, dtype=np.float64)
    if end.ndim == 0:
        end = np.full(journeys.n_journeys, float(end))
    if end.shape != (journeys.n_journeys,):
        raise ValueError(
            f"end_time must be one number or {journeys.n_journeys} numbers, got shape {end.shape}"
        )
    last = journeys.times[journeys.offsets[1:] - 1]  # type: ignore[index]
    bad = first_bad(~np.isfinite(end) | (end < last))
    if bad is not None:
        raise ValueError(
            f"journey {bad}: end_time {end[bad]!r} is before its last touch ({last[bad]!r})"
            " or not finite"
        )
    return end


def _check_grid(n_grid: Any) -> int:
    if isinstance(n_grid, bool) or not isinstance(n_grid, Integral) or n_grid < 5:
        raise ValueError(f"n_grid must be an integer >= 5, got {n_grid!r}")
    return int(n_grid)


def calibrate_time_decay(
    journeys: Journeys,
    method: str = "likelihood",
    reference: Any = None,
    per_channel: bool = False,
    *,
    end_time: Any = None,
    use_times: bool | None = None,
    metric: str | Callable[[np.ndarray, np.ndarray], float] = "tv_share",
    bounds: tuple[float, float] | None = None,
    n_grid: int = 25,
    ci_level: float = 0.95,
    n_boot: int | None = None,
    random_state: int | np.random.Generator | None = None,
    progress: bool = False,
) -> HalfLifeResult:
    r"""Fit the half-life of the time-decay rule from data.

    Parameters
    ----------
    journeys : Journeys
        With touch times (``Journeys.times``, days) for ``"likelihood"``; with both
        converting and non-converting journeys.
    method : {"likelihood", "match"}, default "likelihood"
        ``"likelihood"``: the half-life of a conversion model on decaying exposures
        (Notes), with a likelihood-ratio interval. ``"match"``: the half-life whose
        `TimeDecayAttribution` credit is closest to `reference`.
    reference : AttributionResult, GroundTruth, AttributionModel or str, optional
        For ``"match"`` only: a result to match, a world's truth, or a model (or model
        name, e.g. ``"markov"``) fitted on the journeys (and refitted on every bootstrap
        replicate). Must cover the journeys' channels.
    per_channel : bool, default False
        ``"likelihood"`` only: one half-life per channel (joint maximisation over the log
        half-lives; each channel's interval profiles the others out).
    end_time : float or array of shape (n_journeys,), optional
        ``"likelihood"``: time :math:`T_j` of each journey's conversion, or of the end of
        observation for one that did not convert. Default ``journeys.end_time``.
    use_times : bool, optional
        ``"match"``: match the timed rule (days) or, with False, the by-position rule
        (half-life in touches, for path tables without times). By default the timed rule;
        journeys without times then raise an error that says to pass ``use_times=False``.
    metric : {"tv_share", "squared"} or callable, default "tv_share"
        ``"match"``: total-variation distance of conversion shares
        :math:`\tfrac12 \sum_c |s_c - r_c|`, the sum of squared share differences, or a
        function ``metric(shares, reference_shares) -> float`` to minimise.
    bounds : (float, float), optional
        Search range of the half-life. Default: :math:`10^{-3}` to :math:`10^{2}` times the
        longest lag between a touch and its journey's end (days), or between a touch
        and its journey's last touch (touches, for ``use_times=False``).
    n_grid : int, default 25
        Log-spaced grid points over `bounds` where the objective is evaluated first; the
        best one is refined by a bounded search between its neighbours.
    ci_level : float, default 0.95
    n_boot : int, optional
        ``"match"``: bootstrap replicates (customers resampled; a model reference
        refitted) for a percentile interval. No interval by default.
    random_state : int, Generator or None
        Seed of the bootstrap.
    progress : bool, default False
        Show a tqdm bar over the bootstrap replicates.

    Returns
    -------
    HalfLifeResult
        ``half_life``, ``ci_low``, ``ci_high``, the objective ``curve``, ``plot()``,
        ``to_model()`` (the calibrated `TimeDecayAttribution`) and, for ``"likelihood"``,
        the conversion model's ``coefficients`` and statsmodels ``glm``.

    Raises
    ------
    ValueError
        On journeys without conversions, without non-converting journeys
        (``"likelihood"``), without touch times (``"likelihood"``; ``"match"`` unless
        ``use_times=False``), without end times (``"likelihood"`` unless `end_time` is
        given), a reference over other channels, or a missing reference for ``"match"``.

    Notes
    -----
    **Likelihood.** Journey j ends at :math:`T_j` (conversion or end of observation) with
    touches of channels :math:`c_i` at times :math:`t_i`. With one half-life h its
    exposure to channel c is :math:`x_{jc}(h) = \sum_{i: c_i = c} 2^{-(T_j - t_i)/h}`
    (`decay_exposure`, one `numpy.bincount` over the touches) and

    .. math:: \operatorname{logit} P(\text{convert}_j) = \beta_0 + \sum_c \beta_c x_{jc}(h),

    a binomial GLM (aggregated rows count :math:`y_j` conversions of
    :math:`n_j = y_j + u_j` customers). The profile log-likelihood
    :math:`\ell_p(h) = \max_\beta \ell(\beta, h)` is evaluated on a log grid and
    maximised by a bounded search on :math:`\log h` (`scipy.optimize.minimize_scalar`);
    the inner fits are damped Newton steps on the few columns, warm-started along the
    profile, and the final fit at :math:`\hat h` is statsmodels' binomial GLM (whose
    log-likelihood the tests check against). The interval is
    :math:`\{h : 2(\ell_p(\hat h) - \ell_p(h)) \le \chi^2_{1, \text{level}}\}` (Wilks),
    its ends found by Brent's method. With ``per_channel`` each channel has its own
    :math:`h_c`; :math:`\ell_p(h_1, \ldots, h_C)` is maximised jointly over
    :math:`\log h_c` (L-BFGS-B), with the exact gradient from the envelope theorem,
    :math:`\partial \ell_p / \partial \log h_c = \hat\beta_c \sum_j (y_j - n_j \hat p_j)
    \, \partial x_{jc} / \partial \log h_c`, and channel c's interval profiles the other
    half-lives out (maximises over them at every :math:`h_c`). The reported coefficient
    standard errors are conditional on the half-lives.

    The model is the data-generating process of `attribution_lab.simulate.CausalWorld`
    (everyone's conversion decided at the end of the window), which is why it recovers
    the worlds' half-lives. Two caveats carry over to real data. Journeys that stop at the
    conversion while others run to the end of observation make a bag-of-exposures logit
    biased (the design's second pitfall); a time-to-event model handles that by
    construction: the additive-hazard model of Zhang, Wei & Ren (2014), whose decay rates
    :math:`\omega_c` give :math:`h_c = \ln 2 / \omega_c`, is `HazardAttribution`'s job
    (issue 11) and is not duplicated here. And intent that drives both exposure and
    conversion biases the effects :math:`\beta_c`, and with them the half-lives.

    The half-life a conversion model finds is how fast a touch's *effect* wears off. The
    time-decay rule then splits each conversion in proportion to
    :math:`2^{-(T - t_i)/h}`: equal to each touch's share of the logit only when all
    channels have the same effect, so the calibrated rule is a better rule, not the
    causal truth.

    **Match.** :math:`\hat h = \arg\min_h D(s(h), r)`, with :math:`s(h)` the conversion
    shares of `TimeDecayAttribution` with half-life h and r the reference's shares, by
    the same grid and bounded search (the metric is often flat at both ends: a very
    short half-life is last touch, a very long one linear). Only converting journeys
    enter, and the per-journey weights on the grid are computed once, so a bootstrap
    replicate costs a matrix product per grid point plus the refinement.

    References
    ----------
    Zhang, Y., Wei, Y., & Ren, J. (2014). Multi-touch attribution in online advertising
    with survival theory. 2014 IEEE International Conference on Data Mining (ICDM),
    687-696.

    Wilks, S. S. (1938). The large-sample distribution of the likelihood ratio for
    testing composite hypotheses. The Annals of Mathematical Statistics, 9(1), 60-62.

    Examples
    --------
    >>> from attribution_lab.simulate import simulate
    >>> journeys, truth = simulate("decay", 5_000, random_state=0, half_lives=7.0)
    >>> fit = calibrate_time_decay(journeys)
    >>> bool(fit.ci_low < 7.0 < fit.ci_high), fit.unit
    (True, 'days')
    >>> fit.to_model().half_life == fit.half_life
    True
    >>> matched = calibrate_time_decay(journeys, "match", reference=truth)
    >>> matched.objective_name, bool(matched.objective < 0.1)
    ('tv_share', True)
    """
    journeys = _check_journeys(journeys)
    if method not in ("likelihood", "match"):
        raise ValueError(f"method must be 'likelihood' or 'match', got {method!r}")
    level = check_level(ci_level)
    n_grid = _check_grid(n_grid)
    n_boot = _check_n_boot(n_boot)
    if method == "likelihood":
        if reference is not None:
            raise ValueError("reference is used by method='match' only")
        if n_boot:
            raise ValueError("n_boot is for method='match'; 'likelihood' has its LR interval")
        if use_times is False:
            raise ValueError("method='likelihood' fits a half-life in days; it needs use_times")
        if journeys.times is None:
            raise ValueError(
                "method='likelihood' needs touch times (Journeys.times) and the journeys have"
                " none: path tables carry no timestamps (build the journeys from touch events,"
                " or use method='match' with use_times=False for a half-life in touches)"
            )
        if journeys.n_nulls <= 0:
            raise ValueError(
                "method='likelihood' needs non-converting journeys as well: with every journey"
                " converting, a conversion model has nothing to compare exposures with"
            )
        end = _end_times(journeys, end_time)
        return _fit_likelihood(journeys, end, per_channel, bounds, n_grid, level)
    if per_channel:
        raise ValueError(
            "per_channel applies to method='likelihood' (the time-decay rule has one half-life)"
        )
    return _fit_match(
        journeys, reference, use_times, metric, bounds, n_grid, level, n_boot, random_state,
        progress,
    )  # fmt: skip
