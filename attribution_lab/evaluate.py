"""Comparing models with each other and against ground truth.

`compare` runs several models on the same journeys (optionally with bootstrap intervals
and a truth); `accuracy` and `accuracy_table` measure results against a truth;
`agreement` measures results against each other.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from numbers import Integral
from typing import Any

import numpy as np
import pandas as pd

from ._align import align_channels, as_reference
from ._validation import check_instance, check_random_state
from .base import AttributionModel, available_models, get_model
from .journeys import Journeys
from .result import AttributionResult
from .roi import check_spend_channels, read_costs, roi

__all__ = [
    "METRICS",
    "AgreementResult",
    "accuracy",
    "accuracy_table",
    "agreement",
    "compare",
]

#: Metrics of `accuracy`, by name, with what each measures.
METRICS = {
    "tv_share": "total-variation distance of conversion shares, 0.5 * sum |s - t| (0 to 1)",
    "tv_value_share": "total-variation distance of value shares (NaN when there is no value)",
    "mae": "mean absolute error of conversion credit, truth rescaled to the result's total",
    "rmse": "root mean squared error of conversion credit",
    "max_error": "largest absolute error of conversion credit over channels",
    "spearman": "Spearman rank correlation of credit (NaN when either side is constant)",
    "kendall": "Kendall tau-b rank correlation of credit (NaN when either side is constant)",
    "top_k_overlap": "share of the truth's top-k channels among the result's top k",
    "coverage": "share of channels whose interval contains the true credit (NaN: no intervals)",
}

TRUTH = "truth"


# ----------------------------------------------------------------------------- inputs
def _is_listing(models: Mapping[Any, Any]) -> bool:
    from .base import available_models

    names = available_models()
    return bool(models) and all(
        isinstance(k, str) and k in names and v == names[k] for k, v in models.items()
    )


def _as_models(models: Any) -> dict[str, AttributionModel]:
    if isinstance(models, str):
        models = [m.strip() for m in models.split(",") if m.strip()]
    if isinstance(models, AttributionModel):
        models = [models]
    if isinstance(models, Mapping) and _is_listing(models):
        models = list(models)  # available_models(): names mapped to their summaries
    if isinstance(models, Mapping):
        items = list(models.items())
    elif isinstance(models, Iterable):
        items = []
        for m in models:
            if isinstance(m, str):
                items.append((m, get_model(m)))
            elif isinstance(m, AttributionModel):
                items.append((m.name, m))
            else:
                raise TypeError(f"models must be names or AttributionModel objects, got {m!r}")
    else:
        raise TypeError(
            f"models must be a list, a mapping or a comma-separated string, got {models!r}"
        )
    out: dict[str, AttributionModel] = {}
    for label, m in items:
        model = get_model(m) if isinstance(m, str) else m
        if not isinstance(model, AttributionModel):
            raise TypeError(f"model {label!r} is not an AttributionModel")
        if label in out:
            raise ValueError(
                f"model label {label!r} appears twice; pass a mapping of labels to models"
            )
        out[str(label)] = model
    if not out:
        raise ValueError("no models to compare")
    return out


def _total_from(credit: np.ndarray, share: np.ndarray) -> float:
    """The total that turned `credit` into `share` (share = credit / total)."""
    i = int(np.argmax(np.abs(share))) if share.size else 0
    return float(credit[i] / share[i]) if share.size and share[i] != 0 else float(credit.sum())


def _results_from_frame(frame: pd.DataFrame) -> dict[str, AttributionResult]:
    """Rebuild per-model results from the tidy output of `compare`."""
    need = {"model", "channel", "estimand", "conversions", "share"}
    missing = need - set(frame.columns)
    if missing:
        raise ValueError(
            f"table lacks columns {sorted(missing)}; pass the tidy output of compare()"
        )
    out: dict[str, AttributionResult] = {}
    for label, rows in frame.groupby("model", sort=False):
        if rows["channel"].duplicated().any():
            dup = rows.loc[rows["channel"].duplicated(), "channel"].iloc[0]
            raise ValueError(f"model {label!r} lists channel {dup!r} twice")
        conv = rows["conversions"].to_numpy(dtype=np.float64)
        value = rows["value"].to_numpy(dtype=np.float64) if "value" in rows else np.zeros_like(conv)
        vshare = rows["value_share"].to_numpy(dtype=np.float64) if "value_share" in rows else value
        extra = {
            col: rows[col].to_numpy(dtype=np.float64)
            for col in ("stderr", "ci_low", "ci_high")
            if col in rows and rows[col].notna().all()
        }
        out[str(label)] = AttributionResult(
            rows["channel"].astype(str).tolist(),
            conv,
            value,
            total_conversions=_total_from(conv, rows["share"].to_numpy(dtype=np.float64)),
            total_value=_total_from(value, vshare),
            estimand=str(rows["estimand"].iloc[0]),
            model=str(label),
            check_totals=False,
            **extra,
        )
    return out


def _as_results(results: Any) -> dict[str, AttributionResult]:
    if isinstance(results, pd.DataFrame):
        return _results_from_frame(results)
    if isinstance(results, AttributionResult):
        raise TypeError("pass several results (a list or a mapping), not one AttributionResult")
    if isinstance(results, Mapping):
        items = [(str(k), v) for k, v in results.items()]
    elif isinstance(results, Iterable) and not isinstance(results, str):
        items = [(getattr(r, "model", None), r) for r in results]
    else:
        raise TypeError(
            "results must be a mapping of labels to AttributionResult, a list of them or "
            f"the tidy output of compare(), got {type(results).__name__}"
        )
    out: dict[str, AttributionResult] = {}
    for label, res in items:
        if not isinstance(res, AttributionResult):
            raise TypeError(f"expected AttributionResult objects, got {type(res).__name__}")
        if label in out:
            raise ValueError(f"two results are labelled {label!r}; pass a mapping of labels")
        out[label] = res
    return out


def _check_k(k: Any) -> int:
    if isinstance(k, bool) or not isinstance(k, Integral) or k < 1:
        raise ValueError(f"k must be a positive integer, got {k!r}")
    return int(k)


# ----------------------------------------------------------------------------- metrics
def _total_variation(s: np.ndarray, t: np.ndarray) -> float:
    return float(0.5 * np.abs(s - t).sum())


def _rank_correlation(x: np.ndarray, y: np.ndarray, how: str) -> float:
    # undefined (not 0) when either side has no spread: every ranking of ties is arbitrary
    from scipy import stats

    if x.size < 2 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return float("nan")
    if how == "spearman":
        return float(stats.spearmanr(x, y)[0])
    return float(stats.kendalltau(x, y)[0])


def _top(values: np.ndarray, k: int) -> set[int]:
    # stable sort: ties at the cut go to the channel listed first in the truth
    return set(np.argsort(-values, kind="stable")[:k].tolist())


def accuracy(result: AttributionResult, truth: Any, *, k: int = 3) -> pd.Series:
    """How close a result is to the truth: distances, errors, rank agreement, coverage.

    Parameters
    ----------
    result : AttributionResult
    truth : GroundTruth or AttributionResult
        The true credit (e.g. ``simulate(...).truth``), or a reference result. Channels
        are matched by name.
    k : int, default 3
        Size of the top sets compared by ``top_k_overlap`` (at most the number of
        channels).

    Returns
    -------
    pandas.Series
        Named after ``result.model``, indexed by the metric names of `METRICS`:

        ``tv_share``, ``tv_value_share``
            Total-variation distance :math:`\\tfrac12 \\sum_c |s_c - t_c|` of the
            conversion (value) shares. ``tv_value_share`` is NaN when the result or the
            truth has no value to share (total value 0).
        ``mae``, ``rmse``, ``max_error``
            Mean, root-mean-square and largest absolute error of conversion credit,
            with the truth's credit rescaled to the result's total conversions
            (:math:`t_c \\cdot C`), so both distribute the same total.
        ``spearman``, ``kendall``
            Rank correlation of the credit (scipy's ``spearmanr`` and ``kendalltau``,
            tau-b with ties). NaN when either side gives every channel the same credit
            or there is a single channel: no ranking to correlate.
        ``top_k_overlap``
            :math:`|T_k \\cap R_k| / k`, with :math:`T_k`, :math:`R_k` the truth's and
            the result's k channels of most credit; ties at the cut are broken by the
            truth's channel order.
        ``coverage``
            Share of channels whose ``[ci_low, ci_high]`` contains the rescaled true
            credit; NaN when the result has no intervals.

    Raises
    ------
    ValueError
        When the result and the truth do not cover the same channels (the message
        names one), or `k` is not a positive integer.
    TypeError
        When `result` or `truth` has the wrong type.

    Examples
    --------
    >>> truth = AttributionResult(["a", "b"], [10.0, 0.0], [0.0, 0.0], total_conversions=10,
    ...                           total_value=0, estimand="rule", model="truth")
    >>> guess = AttributionResult(["b", "a"], [5.0, 5.0], [0.0, 0.0], total_conversions=10,
    ...                           total_value=0, estimand="rule", model="linear")
    >>> accuracy(guess, truth, k=1)
    tv_share          0.5
    tv_value_share    NaN
    mae               5.0
    rmse              5.0
    max_error         5.0
    spearman          NaN
    kendall           NaN
    top_k_overlap     1.0
    coverage          NaN
    Name: linear, dtype: float64
    """
    if not isinstance(result, AttributionResult):
        raise TypeError(f"result must be an AttributionResult, got {type(result).__name__}")
    ref = as_reference(truth)
    k = _check_k(k)
    idx = align_channels(result.channel_names, ref.channel_names, f"result {result.model!r}")
    share, t_share = result.share[idx], ref.share
    credit = result.conversions[idx]
    t_credit = t_share * result.total_conversions
    err = credit - t_credit
    if result.total_value > 0 and ref.total_value > 0:
        tv_value = _total_variation(result.value_share[idx], ref.value_share)
    else:
        tv_value = float("nan")
    kk = min(k, len(idx))
    coverage = float("nan")
    if result.ci_low is not None and result.ci_high is not None:
        inside = (result.ci_low[idx] <= t_credit) & (t_credit <= result.ci_high[idx])
        coverage = float(inside.mean())
    metrics = {
        "tv_share": _total_variation(share, t_share),
        "tv_value_share": tv_value,
        "mae": float(np.abs(err).mean()),
        "rmse": float(np.sqrt(np.mean(err**2))),
        "max_error": float(np.abs(err).max()),
        "spearman": _rank_correlation(credit, t_credit, "spearman"),
        "kendall": _rank_correlation(credit, t_credit, "kendall"),
        "top_k_overlap": len(_top(credit, kk) & _top(t_credit, kk)) / kk,
        "coverage": coverage,
    }
    return pd.Series(metrics, name=result.model, dtype=np.float64)


def accuracy_table(results: Any, truth: Any = None, *, k: int = 3) -> pd.DataFrame:
    """`accuracy` of several results against one truth: one row per model.

    Parameters
    ----------
    results : mapping of label to AttributionResult, list of AttributionResult, or DataFrame
        Results (labelled by ``model`` when given as a list), or the tidy output of
        `compare`.
    truth : GroundTruth or AttributionResult, optional
        Defaults to the ``"truth"`` rows of a `compare` table made with a truth.
    k : int, default 3
        See `accuracy`.

    Returns
    -------
    DataFrame
        Index ``model``; columns ``estimand`` and the metrics of `METRICS`.

    Examples
    --------
    >>> from attribution_lab.simulate import simulate
    >>> journeys, truth = simulate("markov", 20_000, random_state=0)
    >>> table = accuracy_table(compare(journeys, ["last_touch", "markov"], truth=truth))
    >>> table.index.tolist()
    ['last_touch', 'markov']
    >>> bool(table.loc["markov", "tv_share"] < table.loc["last_touch", "tv_share"])
    True
    """
    res = _as_results(results)
    if truth is None:
        if TRUTH not in res:
            raise ValueError(
                "no truth: pass truth=, or a compare() table made with a truth (rows of "
                "model 'truth')"
            )
        truth = res[TRUTH]
    res.pop(TRUTH, None)
    if not res:
        raise ValueError("no results to evaluate")
    rows = [accuracy(r, truth, k=k).rename(label) for label, r in res.items()]
    table = pd.DataFrame(rows)
    table.index.name = "model"
    table.insert(0, "estimand", [r.estimand for r in res.values()])
    return table


# ----------------------------------------------------------------------------- compare
def compare(
    journeys: Journeys,
    models: Any,
    truth: Any = None,
    *,
    wide: bool = False,
    n_boot: int | None = None,
    ci_level: float = 0.95,
    random_state: int | np.random.Generator | None = None,
    costs: Any = None,
    errors: str = "raise",
) -> pd.DataFrame:
    """Fit several models on the same journeys and tabulate their credit side by side.

    Parameters
    ----------
    journeys : Journeys
    models : list of names or models, a mapping of labels to names or models, or a
        comma-separated string of names
    truth : GroundTruth or AttributionResult, optional
        The true credit of the journeys (e.g. from `attribution_lab.simulate`). Adds a
        block of rows of model ``"truth"`` and, on every row, the true credit and the
        errors.
    wide : bool, default False
        Return a channel x model table of shares instead of the tidy table.
    n_boot : int, optional
        Bootstrap every model with this many replicates (`attribution_lab.bootstrap`)
        for standard errors and percentile intervals.
    ci_level : float, default 0.95
        Coverage of the bootstrap intervals.
    random_state : int, Generator or None
        Seed of the bootstrap (models are bootstrapped in order from one generator).
    costs : DataFrame, CSV path, mapping or Series, optional
        Spend per channel (`attribution_lab.roi.read_costs`): adds each model's
        ``cost``, ``cost_per_conversion``, ``roas`` and ``roi`` columns (and their
        intervals with `n_boot`), as `attribution_lab.roi.roi` computes them. Every
        channel with spend must be one of the journeys' channels.
    errors : {"raise", "skip"}, default "raise"
        What a model that cannot fit these journeys does: raise its error, or be left
        out of the table with a warning naming it and the reason (the reasons are also
        in ``table.attrs["failed"]``).

    Returns
    -------
    DataFrame
        Tidy: one row per (model, channel) with columns ``model``, ``channel``,
        ``estimand``, ``conversions``, ``value``, ``share``, ``value_share`` (and
        ``stderr``, ``ci_low``, ``ci_high`` where a model gives them, and further
        per-channel details). With a truth, the ``"truth"`` rows come first (credit
        rescaled to the journeys' totals) and every row has ``true_conversions``,
        ``true_value``, ``true_share``, ``error`` (conversions - true_conversions),
        ``value_error`` and ``share_error``. Wide: shares, index channel, one column per
        model (``truth`` first when given).

    Raises
    ------
    ValueError
        On an unknown model name, a label used twice or called ``"truth"`` next to a
        truth, or a truth over other channels than the journeys'.

    Examples
    --------
    >>> j = Journeys.from_paths(["A > B", "B"], conversions=[1, 1])
    >>> compare(j, ["first_touch", "last_touch"], wide=True)
    model    first_touch  last_touch
    channel
    A                0.5         0.0
    B                0.5         1.0
    >>> truth = AttributionResult(["A", "B"], [0.5, 1.5], [0, 0], total_conversions=2,
    ...                           total_value=0, estimand="incremental", model="truth")
    >>> tidy = compare(j, ["last_touch"], truth=truth)
    >>> tidy[["model", "channel", "conversions", "true_conversions", "error"]]
            model channel  conversions  true_conversions  error
    0       truth       A          0.5               0.5    0.0
    1       truth       B          1.5               1.5    0.0
    2  last_touch       A          0.0               0.5   -0.5
    3  last_touch       B          2.0               1.5    0.5
    """
    check_instance(journeys, Journeys, "journeys")
    listing = isinstance(models, Mapping) and _is_listing(models)
    fitted = _as_models(models)
    if listing:
        # the whole registry was asked for: leave out, and say so, what cannot run here
        runnable = available_models(journeys)
        untimed = [k for k in fitted if k not in runnable]
        if untimed:
            warnings.warn(
                f"left out {', '.join(untimed)}: they need touch times and end times,"
                " which these journeys do not have",
                UserWarning,
                stacklevel=2,
            )
            fitted = {k: m for k, m in fitted.items() if k not in untimed}
    ref = None
    if truth is not None:
        ref = as_reference(truth)
        if TRUTH in fitted:
            raise ValueError(f"a model is labelled {TRUTH!r}, which names the truth's rows")
        align_channels(journeys.channel_names, ref.channel_names, "the journeys")
    spend = None
    if costs is not None:  # checked before any model is fitted
        spend = read_costs(costs)
        check_spend_channels(spend, list(journeys.channel_names), "the journeys")
    if errors not in ("raise", "skip"):
        raise ValueError(f"errors must be 'raise' or 'skip', got {errors!r}")
    rng = check_random_state(random_state) if n_boot is not None else None
    results: dict[str, AttributionResult] = {}
    failed: dict[str, str] = {}
    for label, model in fitted.items():
        try:
            if n_boot is None:
                results[label] = model.fit(journeys).attribute()
            else:
                from .uncertainty import bootstrap

                results[label] = bootstrap(
                    model, journeys, n_boot, ci_level=ci_level, random_state=rng
                )
        except (ValueError, TypeError, np.linalg.LinAlgError) as exc:
            if errors == "raise":
                raise
            failed[label] = f"{type(exc).__name__}: {exc}"
    if failed:
        warnings.warn(
            "left out models that failed: " + "; ".join(f"{k} ({v})" for k, v in failed.items()),
            UserWarning,
            stacklevel=2,
        )
        if not results:
            raise ValueError("every model failed: " + "; ".join(failed.values()))
    frames = []
    if ref is not None:
        # the truth on the journeys' own scale, so its rows compare with every model's
        truth_rows = AttributionResult(
            ref.channel_names,
            ref.share * journeys.n_conversions,
            ref.value_share * journeys.total_value,
            total_conversions=journeys.n_conversions,
            total_value=journeys.total_value,
            estimand=ref.estimand,
            model=TRUTH,
            check_totals=False,
            details=ref.details,
        )
        results = {TRUTH: truth_rows, **results}
    for label, res in results.items():
        f = res.to_frame().reset_index()
        f.insert(0, "model", label)
        f.insert(2, "estimand", res.estimand)
        if spend is not None:
            returns = roi(res, spend).drop(columns=["conversions", "value"])
            f = f.join(returns, on="channel")
        if ref is not None:
            idx = align_channels(res.channel_names, ref.channel_names, f"model {label!r}")
            t_share = np.empty(idx.size)
            t_share[idx] = ref.share
            t_value_share = np.empty(idx.size)
            t_value_share[idx] = ref.value_share
            f["true_conversions"] = t_share * res.total_conversions
            f["true_value"] = t_value_share * res.total_value
            f["true_share"] = t_share
            f["error"] = f["conversions"] - f["true_conversions"]
            f["value_error"] = f["value"] - f["true_value"]
            f["share_error"] = f["share"] - f["true_share"]
        frames.append(f)
    tidy = pd.concat(frames, ignore_index=True)
    if wide:
        table = tidy.pivot(index="channel", columns="model", values="share")
        table = table[list(results)]
        table.attrs["failed"] = failed
        return table
    tidy.attrs["failed"] = failed
    return tidy


# ----------------------------------------------------------------------------- agreement
@dataclass(frozen=True, eq=False)
class AgreementResult:
    """Pairwise agreement between models' credit; made by `agreement`.

    Attributes
    ----------
    distance : DataFrame
        Model x model total-variation distance of shares, symmetric with a zero
        diagonal (0: identical shares, 1: disjoint credit).
    spearman : DataFrame
        Model x model Spearman rank correlation of credit, symmetric with a unit
        diagonal; NaN off the diagonal where either model gives every channel the same
        credit.
    on : str
        The shares compared: ``"share"`` or ``"value_share"``.
    """

    distance: pd.DataFrame
    spearman: pd.DataFrame
    on: str = "share"

    def to_frame(self) -> pd.DataFrame:
        """One row per unordered pair of models: ``model_a``, ``model_b``, ``distance``,
        ``spearman``."""
        labels = self.distance.index
        a, b = np.triu_indices(len(labels), k=1)
        return pd.DataFrame(
            {
                "model_a": labels[a],
                "model_b": labels[b],
                "distance": self.distance.to_numpy()[a, b],
                "spearman": self.spearman.to_numpy()[a, b],
            }
        )

    def plot(self, ax: Any = None, *, what: str = "distance", annotate: bool = True) -> Any:
        """Heatmap of one matrix, see `attribution_lab.plot.plot_agreement`.

        Parameters
        ----------
        ax : matplotlib Axes, optional
        what : {"distance", "spearman"}
        annotate : bool, default True
            Write each cell's number.
        """
        from .plot import plot_agreement

        if what not in ("distance", "spearman"):
            raise ValueError(f"what must be 'distance' or 'spearman', got {what!r}")
        title = (
            f"Total-variation distance of {self.on.replace('_', ' ')}s"
            if what == "distance"
            else "Spearman rank correlation of credit"
        )
        return plot_agreement(getattr(self, what), ax, kind=what, annotate=annotate, title=title)


def _share_matrix(results: Any, on: str) -> pd.DataFrame:
    """Channel x model matrix of shares from results, a tidy or a wide compare table."""
    if isinstance(results, pd.DataFrame) and "model" not in results.columns:
        wide = results.astype(np.float64)  # compare(..., wide=True): already shares
        if on != "share":
            raise ValueError("a wide compare() table holds conversion shares only; use on='share'")
        return wide
    res = _as_results(results)
    if not res:
        raise ValueError("no results to compare")
    first = next(iter(res.values())).channel_names
    cols = {}
    for label, r in res.items():
        idx = align_channels(r.channel_names, first, f"result {label!r}", "the first result")
        cols[label] = getattr(r, on)[idx]
    return pd.DataFrame(cols, index=pd.Index(first, name="channel"))


def agreement(results: Any, *, on: str = "share") -> AgreementResult:
    """Pairwise distance and rank correlation between models' credit.

    Parameters
    ----------
    results : mapping of label to AttributionResult, list of AttributionResult, or DataFrame
        Results over the same channels, or the tidy (or wide) output of `compare`; a
        ``"truth"`` block is kept as one more model.
    on : {"share", "value_share"}, default "share"
        Compare conversion shares or value shares.

    Returns
    -------
    AgreementResult
        ``distance`` (total-variation distance of the shares,
        :math:`\\tfrac12 \\sum_c |s^{(a)}_c - s^{(b)}_c|`) and ``spearman`` (rank
        correlation), both model x model DataFrames; ``.plot()`` draws a heatmap.

    Raises
    ------
    ValueError
        When the results do not cover the same channels (the message names one).

    Examples
    --------
    >>> j = Journeys.from_paths(["A > B", "B > C", "C"], conversions=[2, 1, 1])
    >>> agree = agreement(compare(j, ["first_touch", "last_touch", "linear"]))
    >>> agree.distance
    model        first_touch  last_touch  linear
    model
    first_touch         0.00        0.50    0.25
    last_touch          0.50        0.00    0.25
    linear              0.25        0.25    0.00
    >>> agree.to_frame()
           model_a     model_b  distance  spearman
    0  first_touch  last_touch      0.50      -1.0
    1  first_touch      linear      0.25      -1.0
    2   last_touch      linear      0.25       1.0
    """
    from scipy import stats

    if on not in ("share", "value_share"):
        raise ValueError(f"on must be 'share' or 'value_share', got {on!r}")
    shares = _share_matrix(results, on)
    s = shares.to_numpy(dtype=np.float64)
    labels = pd.Index(shares.columns, name="model")
    dist = 0.5 * np.abs(s[:, :, None] - s[:, None, :]).sum(axis=0)
    ranks = stats.rankdata(s, axis=0)
    flat = np.ptp(s, axis=0) == 0
    with np.errstate(invalid="ignore", divide="ignore"):
        centred = ranks - ranks.mean(axis=0)
        norms = np.sqrt((centred**2).sum(axis=0))
        rho = (centred.T @ centred) / np.outer(norms, norms)
    # no ranking to correlate for a model crediting every channel alike (or one channel)
    rho[flat, :] = np.nan
    rho[:, flat] = np.nan
    np.fill_diagonal(rho, 1.0)
    rho = np.clip(rho, -1.0, 1.0)
    return AgreementResult(
        distance=pd.DataFrame(dist, index=labels, columns=labels),
        spearman=pd.DataFrame(rho, index=labels, columns=labels),
        on=on,
    )
