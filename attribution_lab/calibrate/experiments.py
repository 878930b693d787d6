"""Calibrating any model's credit to lift tests: experiments as evidence, with their uncertainty."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from .._validation import check_instance, check_level
from ..base import AttributionModel, get_model
from ..journeys import Journeys
from ..lift import LiftTest, _z, check_lift_tests, pool_lift_tests
from ..result import AttributionResult

__all__ = ["UNTESTED_POLICIES", "calibrate_to_experiments", "combine_estimates"]

#: What happens to the channels no lift test measured (see `calibrate_to_experiments`).
UNTESTED_POLICIES = ("keep", "pooled")


def combine_estimates(
    model: np.ndarray, model_var: np.ndarray, experiment: np.ndarray, experiment_var: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Precision-weighted combination of two independent normal estimates.

    Parameters
    ----------
    model, model_var : ndarray
        The model's number and the variance it carries (sampling plus model error).
    experiment, experiment_var : ndarray
        The experiment's estimate and its sampling variance.

    Returns
    -------
    estimate, variance, weight : ndarray
        :math:`w e + (1 - w) m` with :math:`w = V_m / (V_m + V_e)`, the variance
        :math:`V_m V_e / (V_m + V_e)` and the experiment's weight :math:`w`. An infinite
        :math:`V_m` gives the experiment alone; both variances 0 are refused.

    Examples
    --------
    >>> est, var, w = combine_estimates(np.array([100.0]), np.array([300.0]),
    ...                                 np.array([40.0]), np.array([100.0]))
    >>> est.tolist(), var.tolist(), w.tolist()  # w = 300 / 400
    ([55.0], [75.0], [0.75])
    """
    model_var = np.asarray(model_var, dtype=np.float64)
    experiment_var = np.asarray(experiment_var, dtype=np.float64)
    if np.any((model_var == 0) & (experiment_var == 0)):
        raise ValueError("cannot combine two estimates that both claim zero variance")
    inf = np.isinf(model_var)
    total = np.where(inf, 1.0, model_var + experiment_var)
    w = np.where(inf, 1.0, model_var / total)
    est = w * experiment + (1.0 - w) * model
    var = np.where(inf, experiment_var, model_var * experiment_var / total)
    return est, var, w


def _model_result(
    result_or_model: Any, journeys: Journeys, n_boot: int, ci_level: float, random_state: Any
) -> AttributionResult:
    """The model's credit with a standard error: its own, or a bootstrap's."""
    if isinstance(result_or_model, AttributionResult):
        result = result_or_model
        if result.stderr is None:
            raise ValueError(
                f"the {result.model} result has no stderr, so its uncertainty cannot enter the"
                " calibrated intervals: pass the model itself (it is bootstrapped) or the result"
                " of attribution_lab.uncertainty.bootstrap"
            )
        return result
    model = get_model(result_or_model) if isinstance(result_or_model, str) else result_or_model
    if not isinstance(model, AttributionModel):
        raise TypeError(
            "result_or_model must be an AttributionResult, an AttributionModel or a registry"
            f" name, got {type(result_or_model).__name__}"
        )
    from sklearn.base import clone

    result = clone(model).fit(journeys).attribute()
    if result.stderr is not None:
        return result
    from ..uncertainty import bootstrap

    return bootstrap(model, journeys, n_boot, ci_level=ci_level, random_state=random_state)


def calibrate_to_experiments(
    result_or_model: AttributionResult | AttributionModel | str,
    journeys: Journeys,
    tests: Iterable[LiftTest] | LiftTest,
    *,
    untested: str = "keep",
    model_error: float = 1.0,
    n_boot: int = 100,
    ci_level: float = 0.95,
    random_state: int | np.random.Generator | None = None,
) -> AttributionResult:
    r"""Move a model's credit toward lift-test results, with both uncertainties.

    Parameters
    ----------
    result_or_model : AttributionResult, AttributionModel or str
        A result with ``stderr`` (e.g. from `attribution_lab.uncertainty.bootstrap`, or a
        model that reports its own), or a model / registry name: it is fitted on
        `journeys` and, when its result has no ``stderr``, bootstrapped (`n_boot`
        replicates, resampling customers).
    journeys : Journeys
        The journeys the model credits; a lift test's numbers are scaled to them.
    tests : LiftTest or iterable of LiftTest
        E.g. from `attribution_lab.lift.read_lift_tests`. Several tests of one channel
        are pooled by precision first.
    untested : {"keep", "pooled"}, default "keep"
        What happens to the channels no test measured. ``"keep"``: their credit and
        interval stay the model's (still the model's estimand, not incremental
        conversions: ``details["tested"]`` is 0 for them). ``"pooled"``: their credit is
        multiplied by the tested channels' pooled ratio of calibrated to model credit,
        with an interval widened by how much that ratio may differ between channels.
    model_error : float, default 1.0
        Prior standard deviation of the model's discrepancy from a channel's incremental
        conversions, relative to its credit (at least the average credit per channel; 1.0:
        the model is trusted to within its own size). 0 treats the model as an unbiased
        estimate of incremental conversions (plain precision weighting); ``inf`` takes the
        experiment alone.
    n_boot : int, default 100
        Bootstrap replicates when a model without its own standard errors is given.
    ci_level : float, default 0.95
    random_state : int, Generator or None
        Seed of the bootstrap.

    Returns
    -------
    AttributionResult
        Estimand ``"incremental"``, model and params of the model plus ``calibration``
        entries: conversions and value per channel, ``stderr``, ``ci_low``, ``ci_high``
        (normal intervals; for kept channels the model's own), and ``details``: ``tested``
        (1/0), ``model_conversions``, ``model_stderr``, ``experiment_conversions``,
        ``experiment_stderr`` (0 where untested) and ``experiment_weight``. Credit need not
        sum to the total: ``params["baseline_conversions"]`` (and ``baseline_value``,
        ``baseline_stderr``) is the rest, the conversions no channel caused by this
        credit.

    Raises
    ------
    ValueError
        A test on a channel the journeys lack, a window that misses the journeys, a
        result without ``stderr`` or of other journeys, an unknown `untested` policy, a
        negative `model_error`.

    Notes
    -----
    **Estimand.** The calibrated number of a tested channel c is its *incremental
    conversions*, :math:`\Delta_c = v(N) - v(N \setminus c)`: the conversions lost if c
    (and every touch it causes) were switched off, the quantity a holdout experiment
    measures. It is the removal effect in conversions, on the true process rather than a
    fitted Markov chain (a Markov model's removal effect of c, times the total, is its
    estimate of :math:`\Delta_c` before normalisation). It is not the Shapley value
    :math:`\phi_c`, which averages the channel's marginal contribution over all orders:
    :math:`\sum_c \phi_c = v(N) - v(\emptyset)` exactly, while :math:`\sum_c \Delta_c`
    exceeds it with complements or mediation and falls short with substitutes; without
    interactions the two coincide. Models that split every conversion (rules, normalised
    removal effects and Shapley values) also hand out the baseline :math:`v(\emptyset)`,
    the conversions no channel caused; the calibrated credit does not, and
    ``params["baseline_conversions"]`` is :math:`C - \sum_c \hat\Delta_c`.

    **Combination** (Bayesian, normal-normal). A test's estimate :math:`e_c` (scaled to
    the journeys, see `LiftTest.on_journeys`) with standard error :math:`s_e` is the
    likelihood; the model's credit :math:`m_c` with its standard error :math:`s_m` and a
    prior model error :math:`\tau_c` (:math:`\kappa` = `model_error`) is
    the prior, :math:`\Delta_c \sim N(m_c, s_m^2 + \tau_c^2)`, with
    :math:`\tau_c = \kappa \max(|m_c|, C / n)` (C conversions, n channels: a model that
    gives a channel nothing can still be wrong about it). The posterior is the
    precision-weighted mean

    .. math:: \hat\Delta_c = w_c e_c + (1 - w_c) m_c, \quad
              w_c = \frac{s_m^2 + \tau_c^2}{s_m^2 + \tau_c^2 + s_e^2}, \quad
              \mathrm{se}^2 = \frac{(s_m^2 + \tau_c^2) s_e^2}{s_m^2 + \tau_c^2 + s_e^2},

    and the interval :math:`\hat\Delta_c \pm z\,\mathrm{se}` carries the model's bootstrap
    uncertainty and the experiment's. With :math:`\kappa = 0` this is the classical
    precision weighting of two unbiased estimates; it is right only if the model
    estimates incremental conversions without bias, which confounding (the reason to run
    experiments) rules out, hence the default :math:`\kappa = 1`. Value credit is combined
    the same way when the test reports value; otherwise it moves with the conversions
    (the model's value per credited conversion is kept).

    **Untested channels**, ``"pooled"``: :math:`\rho = \sum_t \hat\Delta_t / \sum_t m_t`
    over the tested channels, :math:`\hat\Delta_c = \rho m_c` with variance
    :math:`m_c^2 (\mathrm{var}\,\rho + \tau_\rho^2) + \rho^2 s_m^2`, where
    :math:`\mathrm{var}\,\rho = \sum_t \mathrm{se}_t^2 / (\sum_t m_t)^2` and
    :math:`\tau_\rho` is the standard deviation of the tested channels' own ratios (with
    one test, :math:`\kappa \rho`): a channel's ratio may differ from the pooled one.

    References
    ----------
    Gelman, A., Carlin, J. B., Stern, H. S., Dunson, D. B., Vehtari, A., & Rubin, D. B.
    (2013). Bayesian Data Analysis, 3rd ed., section 2.5 (normal prior, normal data).

    Examples
    --------
    >>> from attribution_lab.lift import LiftTest
    >>> j = Journeys.from_paths(["a > b", "a", "b"], conversions=[30, 20, 10],
    ...                         nulls=[70, 180, 90])
    >>> model = AttributionResult(["a", "b"], [35.0, 25.0], [0.0, 0.0], total_conversions=60,
    ...                           total_value=0, estimand="rule", model="linear",
    ...                           stderr=[3.0, 3.0])
    >>> cal = calibrate_to_experiments(model, j, [LiftTest("a", 20.0, stderr=4.0)])
    >>> cal.estimand, cal.conversions.round(2).tolist(), cal.details["tested"].tolist()
    ('incremental', [20.19, 25.0], [1.0, 0.0])
    >>> round(cal.params["baseline_conversions"], 2)
    14.81
    """
    check_instance(journeys, Journeys, "journeys")
    if untested not in UNTESTED_POLICIES:
        raise ValueError(
            f"untested must be one of {', '.join(UNTESTED_POLICIES)}, got {untested!r}"
        )
    if isinstance(model_error, bool) or not isinstance(model_error, (int, float, np.floating)):
        raise TypeError(f"model_error must be a number >= 0, got {model_error!r}")
    if not model_error >= 0:
        raise ValueError(f"model_error must be a number >= 0 (inf allowed), got {model_error!r}")
    ci_level = check_level(ci_level)
    tests = check_lift_tests(tests, journeys)
    result = _model_result(result_or_model, journeys, n_boot, ci_level, random_state)
    names = journeys.channel_names
    if tuple(result.channel_names) != tuple(names):
        raise ValueError(
            f"the {result.model} result credits channels {list(result.channel_names)}, the"
            f" journeys have {list(names)}: calibrate the result of these journeys"
        )
    n_conv = journeys.n_conversions
    if not np.isclose(result.total_conversions, n_conv, rtol=1e-9):
        raise ValueError(
            f"the {result.model} result credits {result.total_conversions:g} conversions, the"
            f" journeys have {n_conv:g}: calibrate the result of these journeys"
        )
    if not np.isclose(result.total_value, journeys.total_value, rtol=1e-9, atol=1e-9):
        raise ValueError(
            f"the {result.model} result credits a value of {result.total_value:g}, the journeys"
            f" have {journeys.total_value:g}: calibrate the result of these journeys"
        )
    n_persons = float(journeys.conversions.sum() + journeys.nulls.sum())
    k = len(names)
    z = _z(ci_level)

    m = result.conversions
    m_se = result.stderr
    m_value = result.value
    v_se = result.details.get("value_stderr")
    if v_se is None:
        per = np.divide(m_value, m, out=np.zeros(k), where=m != 0)
        v_se = np.abs(per) * m_se

    tested = np.zeros(k, dtype=bool)
    e, e_se = np.zeros(k), np.zeros(k)
    ev, ev_se = np.full(k, np.nan), np.full(k, np.nan)
    by_channel: dict[int, list[LiftTest]] = {}
    for t in tests:
        by_channel.setdefault(names.index(t.channel), []).append(t)
    for c, group in by_channel.items():
        tested[c] = True
        e[c], e_se[c] = pool_lift_tests([t.on_journeys(n_persons, n_conv) for t in group])
        values = [v for t in group if (v := t.value_on_journeys(n_persons, n_conv)) is not None]
        if values:
            ev[c], ev_se[c] = pool_lift_tests(values)

    # a model that gives a channel (almost) nothing can still be wrong about it: the prior
    # error is at least kappa times the average credit per channel
    floor = abs(n_conv) / k
    tau = (
        model_error * np.maximum(np.abs(m), floor)
        if np.isfinite(model_error)
        else np.full(k, np.inf)
    )
    prior_var = m_se**2 + tau**2
    cal, var, weight = m.astype(np.float64).copy(), m_se**2, np.zeros(k)
    t_idx = np.flatnonzero(tested)
    cal[t_idx], var[t_idx], weight[t_idx] = combine_estimates(
        m[t_idx], prior_var[t_idx], e[t_idx], e_se[t_idx] ** 2
    )
    # value: combined where a test measured it, else it moves with the conversions
    value = m_value.astype(np.float64).copy()
    mean_value = journeys.total_value / n_conv if n_conv else 0.0
    per_conv = np.divide(m_value, m, out=np.full(k, mean_value), where=m != 0)
    value[t_idx] = per_conv[t_idx] * cal[t_idx]
    with_value = np.flatnonzero(tested & np.isfinite(ev))
    if with_value.size:
        v_floor = abs(journeys.total_value) / k
        tau_v = (
            model_error * np.maximum(np.abs(m_value[with_value]), v_floor)
            if np.isfinite(model_error)
            else np.full(with_value.size, np.inf)
        )
        value[with_value], _, _ = combine_estimates(
            m_value[with_value],
            v_se[with_value] ** 2 + tau_v**2,
            ev[with_value],
            ev_se[with_value] ** 2,
        )

    ci_low = cal - z * np.sqrt(var)
    ci_high = cal + z * np.sqrt(var)
    rest = np.flatnonzero(~tested)
    pooled: dict[str, float] = {}
    if rest.size and untested == "keep":
        if result.ci_low is not None and result.ci_high is not None:
            ci_low[rest], ci_high[rest] = result.ci_low[rest], result.ci_high[rest]
    elif rest.size:
        denom = m[t_idx].sum()
        if denom == 0:
            raise ValueError(
                "untested='pooled' needs a tested channel with model credit (the ratio of"
                " calibrated to model credit is 0 / 0)"
            )
        rho = cal[t_idx].sum() / denom
        var_rho = var[t_idx].sum() / denom**2
        if t_idx.size >= 2:
            ratios = np.divide(
                cal[t_idx], m[t_idx], out=np.full(t_idx.size, rho), where=m[t_idx] != 0
            )
            tau_rho = float(np.std(ratios, ddof=1))
        elif np.isfinite(model_error):
            tau_rho = model_error * abs(rho)
        else:
            raise ValueError(
                "untested='pooled' with one tested channel takes the spread of channels' ratios"
                " from model_error, which is inf: the untested intervals would be unbounded"
                " (give a finite model_error, test more channels, or keep them)"
            )
        cal[rest] = rho * m[rest]
        value[rest] = rho * m_value[rest]
        var[rest] = m[rest] ** 2 * (var_rho + tau_rho**2) + rho**2 * m_se[rest] ** 2
        ci_low[rest] = cal[rest] - z * np.sqrt(var[rest])
        ci_high[rest] = cal[rest] + z * np.sqrt(var[rest])
        pooled = {"pooled_ratio": float(rho), "pooled_ratio_spread": float(tau_rho)}

    baseline = n_conv - cal.sum()
    params = {
        **result.params,
        "calibration": "experiments",
        "untested": untested,
        "model_error": float(model_error),
        "n_lift_tests": len(tests),
        "model_estimand": result.estimand,
        **pooled,
        "baseline_conversions": float(baseline),
        "baseline_stderr": float(np.sqrt(var.sum())),
        "baseline_value": float(journeys.total_value - value.sum()),
    }
    return AttributionResult(
        names,
        cal,
        value,
        total_conversions=n_conv,
        total_value=journeys.total_value,
        estimand="incremental",
        model=result.model,
        params=params,
        stderr=np.sqrt(var),
        ci_low=ci_low,
        ci_high=ci_high,
        ci_level=ci_level,
        n_evaluations=result.n_evaluations,
        estimated=result.estimated,
        check_totals=False,
        details={
            "tested": tested.astype(np.float64),
            "model_conversions": m,
            "model_stderr": m_se,
            "experiment_conversions": e,
            "experiment_stderr": e_se,
            "experiment_weight": weight,
        },
    )
