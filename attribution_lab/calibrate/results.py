"""The result types of the calibrations: `HalfLifeResult` and `PositionWeightsResult`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..base import AttributionModel
from ..journeys import Journeys
from ..result import AttributionResult
from ..rules import (
    FullPathAttribution,
    PositionBasedAttribution,
    TimeDecayAttribution,
    WShapedAttribution,
)
from ._roles import _SHAPE_MODEL, _role_result


@dataclass(eq=False)
class HalfLifeResult:
    """A calibrated time-decay half-life: the estimate, its interval and the objective curve.

    Made by `calibrate_time_decay`.

    Attributes
    ----------
    method : {"likelihood", "match"}
    half_life : float or pandas.Series
        The fitted half-life; a Series indexed by channel with ``per_channel=True``.
    ci_low, ci_high : float or pandas.Series or None
        Confidence interval (likelihood ratio for ``"likelihood"``, bootstrap percentile
        for ``"match"`` with ``n_boot``); 0 and ``inf`` when the objective does not cross
        the threshold inside the search bounds.
    ci_level : float
    unit : {"days", "touches"}
        Days (of ``Journeys.times``) or touches (the by-position rule).
    curve : DataFrame
        The objective along the half-life: columns ``half_life``, ``log_likelihood`` and
        ``deviance`` (= 2 (max - log-likelihood)) for ``"likelihood"`` (and ``channel``
        with ``per_channel``: the profile over that channel's half-life, the others
        re-optimised), or ``half_life`` and the metric for ``"match"``.
    objective_name : str
        ``"deviance"`` or the match metric.
    log_likelihood : float or None
        Maximum of the log-likelihood (``"likelihood"``).
    coefficients : DataFrame or None
        The conversion model at the fitted half-life(s): index ``intercept`` and the
        channels; columns ``coef`` (logit effect of a fresh touch) and ``stderr`` (from
        statsmodels' binomial GLM, conditional on the half-lives).
    glm : statsmodels GLMResults or None
        The statsmodels fit behind `coefficients` (``glm.summary()``).
    objective : float or None
        Value of the match metric at the fitted half-life.
    reference : str or None
        Model name of the match reference.
    replicates : ndarray or None
        Bootstrap half-lives (``"match"`` with ``n_boot``).
    channel_names : tuple of str
    n_journeys : int
    n_conversions : float
    n_evaluations : int
        Objective evaluations (model fits or rule evaluations) used.
    """

    method: str
    half_life: float | pd.Series
    ci_low: float | pd.Series | None
    ci_high: float | pd.Series | None
    ci_level: float
    unit: str
    curve: pd.DataFrame
    objective_name: str
    channel_names: tuple[str, ...]
    n_journeys: int
    n_conversions: float
    n_evaluations: int
    per_channel: bool = False
    log_likelihood: float | None = None
    coefficients: pd.DataFrame | None = None
    glm: Any = None
    objective: float | None = None
    reference: str | None = None
    replicates: np.ndarray | None = None
    notes: list[str] = field(default_factory=list)

    def to_frame(self) -> pd.DataFrame:
        """One row per channel (likelihood) or one row ``all`` (match): estimate and interval."""
        if self.method == "likelihood":
            index = pd.Index(self.channel_names, name="channel")

            def col(v: Any) -> Any:
                return np.nan if v is None else (v if np.ndim(v) else np.full(len(index), v))

            frame = pd.DataFrame(
                {
                    "half_life": col(self.half_life),
                    "ci_low": col(self.ci_low),
                    "ci_high": col(self.ci_high),
                },
                index=index,
            )
            if self.coefficients is not None:
                frame["coef"] = self.coefficients["coef"].reindex(index).to_numpy()
                frame["coef_stderr"] = self.coefficients["stderr"].reindex(index).to_numpy()
            return frame
        return pd.DataFrame(
            {
                "half_life": [self.half_life],
                "ci_low": [np.nan if self.ci_low is None else self.ci_low],
                "ci_high": [np.nan if self.ci_high is None else self.ci_high],
                self.objective_name: [self.objective],
            },
            index=pd.Index(["all"], name="channel"),
        )

    def to_model(self) -> TimeDecayAttribution:
        """The time-decay rule with the fitted half-life.

        Raises
        ------
        ValueError
            For per-channel half-lives, which `TimeDecayAttribution` does not take.
        """
        if self.per_channel:
            raise ValueError(
                "TimeDecayAttribution takes one half-life; per-channel half-lives have no rule"
                " model (use the common fit, per_channel=False)"
            )
        h = float(self.half_life)  # type: ignore[arg-type]
        if self.unit == "touches":
            return TimeDecayAttribution(position_half_life=h, use_times=False)
        return TimeDecayAttribution(half_life=h, use_times=True)

    def to_dict(self) -> dict[str, Any]:
        """Plain-Python form (the JSON of ``attribution-lab calibrate``)."""

        def plain(v: Any) -> Any:
            if isinstance(v, pd.Series):
                return {str(k): float(x) for k, x in v.items()}
            return None if v is None else float(v)

        out: dict[str, Any] = {
            "rule": "time_decay",
            "method": self.method,
            "unit": self.unit,
            "per_channel": self.per_channel,
            "half_life": plain(self.half_life),
            "ci_low": plain(self.ci_low),
            "ci_high": plain(self.ci_high),
            "ci_level": self.ci_level,
            "n_journeys": self.n_journeys,
            "n_conversions": self.n_conversions,
        }
        if self.method == "likelihood":
            out["log_likelihood"] = self.log_likelihood
            if self.coefficients is not None:
                out["coefficients"] = {
                    str(k): {"coef": float(r["coef"]), "stderr": float(r["stderr"])}
                    for k, r in self.coefficients.iterrows()
                }
        else:
            out["reference"] = self.reference
            out[self.objective_name] = self.objective
            if self.replicates is not None:
                out["n_boot"] = int(self.replicates.size)
        if self.notes:
            out["notes"] = list(self.notes)
        return out

    def __repr__(self) -> str:
        def fmt(v: Any) -> str:
            if isinstance(v, pd.Series):
                return "{" + ", ".join(f"{k}: {x:.4g}" for k, x in v.items()) + "}"
            return "None" if v is None else f"{v:.4g}"

        ci = (
            ""
            if self.ci_low is None
            else f", {self.ci_level:.0%} CI [{fmt(self.ci_low)}, {fmt(self.ci_high)}]"
        )
        ref = f", reference={self.reference!r}" if self.reference else ""
        return (
            f"HalfLifeResult(method={self.method!r}{ref}, half_life={fmt(self.half_life)}"
            f" {self.unit}{ci})"
        )

    def plot(self, ax: Any = None) -> Any:
        """The objective along the half-life (log scale), with the estimate and interval.

        Likelihood: the deviance 2 (max - log-likelihood) and the chi-square threshold
        that defines the interval (one curve per channel with per-channel half-lives).
        Match: the metric, with the bootstrap interval when there is one.

        Returns
        -------
        matplotlib Axes
        """
        import matplotlib.pyplot as plt
        from scipy import stats

        if ax is None:
            _, ax = plt.subplots(figsize=(6.5, 4))
        y = self.objective_name
        if self.per_channel:
            for k, (name, rows) in enumerate(self.curve.groupby("channel", sort=False)):
                color = f"C{k}"
                ax.plot(rows["half_life"], rows[y], marker=".", color=color, label=name)
                h = self.half_life[name]  # type: ignore[index]
                ax.axvline(h, color=color, lw=0.8, ls="--")
        else:
            ax.plot(self.curve["half_life"], self.curve[y], marker=".", color="C0")
            ax.axvline(float(self.half_life), color="C0", lw=0.8, ls="--", label="estimate")  # type: ignore[arg-type]
            if self.ci_low is not None:
                lo = max(float(self.ci_low), float(self.curve["half_life"].min()))  # type: ignore[arg-type]
                hi = min(float(self.ci_high), float(self.curve["half_life"].max()))  # type: ignore[arg-type]
                ax.axvspan(lo, hi, color="C0", alpha=0.15, label=f"{self.ci_level:.0%} interval")
        if self.method == "likelihood":
            thr = float(stats.chi2.ppf(self.ci_level, 1))
            ax.axhline(thr, color="grey", lw=0.8, ls=":", label=f"chi2(1) {self.ci_level:.0%}")
            top = max(4 * thr, 1.0)
            ax.set_ylim(-0.05 * top, top)
            # show where the curve is inside the plot, not the whole search range
            seen = self.curve.loc[self.curve[y] <= top, "half_life"]
            if len(seen):
                ax.set_xlim(seen.min() / 1.5, seen.max() * 1.5)
            ax.set_ylabel("deviance, 2 (max log-lik - log-lik)")
        else:
            ax.set_ylabel(f"{y} against {self.reference}")
        ax.set_xscale("log")
        ax.set_xlabel(f"half-life ({self.unit})")
        ax.set_title(f"time-decay half-life by {self.method}")
        ax.legend(fontsize="small")
        return ax


# ============================================================================ position weights
@dataclass(eq=False)
class PositionWeightsResult:
    """Calibrated shares of a position rule, with bootstrap intervals.

    Made by `calibrate_position_weights`.

    Attributes
    ----------
    shape : {"U", "W", "full_path", "free"}
    weights : pandas.Series
        The fitted shares by role (e.g. first, middle, last), on the simplex.
    ci_low, ci_high : pandas.Series or None
        Bootstrap percentile intervals of each share.
    ci_level : float
    replicates : DataFrame or None
        The shares fitted on every bootstrap replicate.
    default : pandas.Series
        The rule's default shares (equal for ``"free"``), for comparison.
    reference : str
        Model name of the reference.
    objective : float
        Sum of squared differences of conversion shares at the fit.
    tv_share : float
        Total-variation distance of the calibrated rule's shares from the reference's.
    tv_share_default : float
        The same for the default shares.
    n_identified : int
        Directions of the simplex that the reference pins down (rank of the Jacobian of the
        shares in the weights, tangent to the simplex); less than ``len(weights) - 1``
        means the fit is not unique.
    result : AttributionResult
        The calibrated rule's credit on the journeys.
    n_buckets : int or None
        Roles of the ``"free"`` shape.
    """

    shape: str
    weights: pd.Series
    ci_low: pd.Series | None
    ci_high: pd.Series | None
    ci_level: float
    replicates: pd.DataFrame | None
    default: pd.Series
    reference: str
    objective: float
    tv_share: float
    tv_share_default: float
    n_identified: int
    result: AttributionResult
    n_buckets: int | None = None
    notes: list[str] = field(default_factory=list)

    def to_frame(self) -> pd.DataFrame:
        """One row per role: weight, interval, default share."""
        frame = pd.DataFrame({"weight": self.weights})
        if self.ci_low is not None:
            frame["ci_low"] = self.ci_low
            frame["ci_high"] = self.ci_high
        frame["default"] = self.default
        frame.index.name = "role"
        return frame

    def to_model(self) -> AttributionModel:
        """The rule with the fitted shares (`PositionBasedAttribution`, `WShapedAttribution`
        or `FullPathAttribution`).

        Raises
        ------
        ValueError
            For the ``"free"`` shape, which no rule class implements (use `attribute`).
        """
        w = {k: float(v) for k, v in self.weights.items()}
        if self.shape == "U":
            return PositionBasedAttribution(**w)
        if self.shape == "W":
            return WShapedAttribution(**w)
        if self.shape == "full_path":
            return FullPathAttribution(**w)
        raise ValueError(
            "no rule class implements position buckets; use result.attribute(journeys)"
        )

    def attribute(self, journeys: Journeys) -> AttributionResult:
        """Credit of the calibrated rule on any journeys (every shape, ``"free"`` included)."""
        return _role_result(journeys, self.shape, self.weights.to_numpy(), self.n_buckets or 5)

    def to_dict(self) -> dict[str, Any]:
        """Plain-Python form (the JSON of ``attribution-lab calibrate``)."""
        out: dict[str, Any] = {
            "rule": _SHAPE_MODEL[self.shape],
            "shape": self.shape,
            "reference": self.reference,
            "weights": {k: float(v) for k, v in self.weights.items()},
            "default": {k: float(v) for k, v in self.default.items()},
            "objective": self.objective,
            "tv_share": self.tv_share,
            "tv_share_default": self.tv_share_default,
            "n_identified": self.n_identified,
        }
        if self.ci_low is not None and self.ci_high is not None:
            out["ci_level"] = self.ci_level
            out["ci_low"] = {k: float(v) for k, v in self.ci_low.items()}
            out["ci_high"] = {k: float(v) for k, v in self.ci_high.items()}
            out["n_boot"] = len(self.replicates)  # type: ignore[arg-type]
        if self.notes:
            out["notes"] = list(self.notes)
        return out

    def __repr__(self) -> str:
        w = ", ".join(f"{k}={v:.3f}" for k, v in self.weights.items())
        return (
            f"PositionWeightsResult(shape={self.shape!r}, reference={self.reference!r}, {w};"
            f" tv_share {self.tv_share:.4f} vs {self.tv_share_default:.4f} at the defaults)"
        )

    def plot(self, ax: Any = None) -> Any:
        """Fitted shares by role with their intervals, and the rule's default shares.

        Returns
        -------
        matplotlib Axes
        """
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(1.1 * len(self.weights) + 2.5, 3.6))
        x = np.arange(len(self.weights))
        yerr = None
        if self.ci_low is not None and self.ci_high is not None:
            yerr = np.vstack(
                [
                    np.maximum(self.weights - self.ci_low, 0),
                    np.maximum(self.ci_high - self.weights, 0),
                ]
            )
        ax.bar(x, self.weights, yerr=yerr, capsize=4, color="C0", label="calibrated")
        ax.plot(x, self.default, "o", mfc="none", color="C3", label="default")
        ax.set_xticks(x, list(self.weights.index))
        ax.set_xlabel("role")
        ax.set_ylabel("share of each conversion")
        ax.set_title(f"{_SHAPE_MODEL[self.shape]} shares matched to {self.reference}")
        ax.legend(fontsize="small")
        return ax
