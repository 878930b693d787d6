"""AttributionResult: the credit a model gives each channel, with its uncertainty when known."""

from __future__ import annotations

import html
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["ESTIMANDS", "AttributionResult", "NegativeCreditWarning", "warn_negative_credit"]

#: What a credit number means, by estimand name.
ESTIMANDS = {
    "rule": "a fixed rule splits each conversion over its journey's touches",
    "removal_effect": "share of conversions lost when the channel is removed (Markov chain)",
    "shapley": "Shapley value of the channel in a conversion game",
    "incremental": "conversions caused by the channel (counterfactual)",
    "hazard_share": "each conversion split over its touches by their hazard at the conversion"
    " (time-to-event model)",
    "shapley_mediated": "Shapley value of the channel when removing it also removes the touches"
    " it triggered, down the chain (mutually exciting point process)",
}

# Why a model of each estimand can give a channel negative credit (rules cannot).
_NEGATIVE_REASONS = {
    "shapley": "negative Shapley value: in the model's game, adding the channel lowers the"
    " game's value on average",
    "removal_effect": "negative removal effect: removing the channel raises the conversion"
    " probability",
    "incremental": "fewer conversions with the channel than without it",
    "hazard_share": "a negative fitted effect of the channel on the conversion hazard",
}


class NegativeCreditWarning(UserWarning):
    """A model credited some channels with a negative share of the conversions.

    A negative share is rarely what anyone means by credit: it says the model's estimand
    (a game, a removal effect, a hazard) moves the other way for that channel, and the
    positive shares then add up to more than the total. `warn_negative_credit` issues it.
    """


def warn_negative_credit(result: AttributionResult, stacklevel: int = 2) -> None:
    """Warn, in one line, when `result` gives a channel a negative share of conversions.

    The line names every such channel with its share and says why the model's estimand
    can go negative. ``AttributionModel.attribute`` calls it on every result, so every
    model warns alike.

    Parameters
    ----------
    result : AttributionResult
    stacklevel : int, default 2
        As in `warnings.warn`: 2 points at the caller of the function that calls this one.

    Examples
    --------
    >>> r = AttributionResult(["a", "b"], [5.0, -1.0], [0.0, 0.0], total_conversions=4,
    ...                       total_value=0, estimand="shapley", model="shapley")
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as seen:
    ...     warnings.simplefilter("always")
    ...     warn_negative_credit(r)
    >>> print(seen[0].message)  # doctest: +NORMALIZE_WHITESPACE
    shapley: negative share for b (-25%): negative Shapley value: in the model's game,
    adding the channel lowers the game's value on average
    """
    parts = []
    for what, credit, share, total in (
        ("share", result.conversions, result.share, result.total_conversions),
        ("value share", result.value, result.value_share, result.total_value),
    ):
        # rounding leaves exact zeros a few ulps below 0; those are not negative credit
        negative = np.flatnonzero(credit < -1e-12 * max(abs(total), 1.0))
        if negative.size:
            named = ", ".join(
                f"{result.channel_names[k]} ({100 * share[k]:.3g}%)" for k in negative
            )
            parts.append(f"negative {what} for {named}")
    if not parts:
        return
    reason = _NEGATIVE_REASONS.get(result.estimand, "the model's weights can be negative")
    game = result.params.get("game")
    if result.estimand == "shapley" and isinstance(game, str):
        reason = reason.replace("the model's game", f"the {game} game")
    warnings.warn(
        f"{result.model}: {'; '.join(parts)}: {reason}",
        NegativeCreditWarning,
        stacklevel=stacklevel + 1,
    )


_COLUMNS = frozenset(
    {"channel", "conversions", "value", "share", "value_share", "stderr", "ci_low", "ci_high"}
)


def _vector(x: Any, n: int, what: str) -> np.ndarray:
    arr = np.asarray(x, dtype=np.float64)
    if arr.shape != (n,):
        raise ValueError(f"{what} has shape {arr.shape}; expected ({n},)")
    if not np.isfinite(arr).all():
        raise ValueError(f"{what} contains NaN or infinite values")
    return arr


class AttributionResult:
    """Credit of each channel in conversions and in value, as given by one model.

    Parameters
    ----------
    channel_names : sequence of str
    conversions, value : array of float, shape (n_channels,)
        Credit in conversions and in conversion value.
    total_conversions, total_value : float
        Totals of the journeys attributed. Credit must sum to them (to a relative 1e-9)
        unless ``check_totals=False``, which is for estimands that do not distribute the
        total (e.g. a Shapley game whose grand-coalition value differs from it).
    estimand : str
        One of `ESTIMANDS`.
    model : str
        Registry name of the model.
    params : mapping, optional
        The model's parameters.
    stderr, ci_low, ci_high : array of float, optional
        Standard error and confidence interval of the conversion credit.
    ci_level : float, optional
        Coverage of the interval, e.g. 0.95.
    n_evaluations : int, optional
        Game or model evaluations used by a sampled estimate.
    estimated : bool, default False
        True when the numbers are Monte Carlo estimates rather than exact.
    details : mapping of str to array of float, optional
        Further per-channel numbers behind the credit (e.g. ``removal_effect``), shown as
        extra columns by `to_frame` and `to_dict`.

    Attributes
    ----------
    share : ndarray
        Conversion credit divided by total conversions.

    Examples
    --------
    >>> r = AttributionResult(["a", "b"], [3.0, 1.0], [30.0, 5.0], total_conversions=4,
    ...                       total_value=35, estimand="rule", model="linear")
    >>> r.to_frame()
             conversions  value  share  value_share
    channel
    a                3.0   30.0   0.75     0.857143
    b                1.0    5.0   0.25     0.142857
    """

    def __init__(
        self,
        channel_names: Sequence[str],
        conversions: Any,
        value: Any,
        *,
        total_conversions: float,
        total_value: float,
        estimand: str,
        model: str,
        params: Mapping[str, Any] | None = None,
        stderr: Any = None,
        ci_low: Any = None,
        ci_high: Any = None,
        ci_level: float | None = None,
        n_evaluations: int | None = None,
        estimated: bool = False,
        check_totals: bool = True,
        details: Mapping[str, Any] | None = None,
    ) -> None:
        if estimand not in ESTIMANDS:
            raise ValueError(f"estimand must be one of {sorted(ESTIMANDS)}, got {estimand!r}")
        self.channel_names = tuple(channel_names)
        n = len(self.channel_names)
        self.conversions = _vector(conversions, n, "conversions")
        self.value = _vector(value, n, "value")
        self.total_conversions = float(total_conversions)
        self.total_value = float(total_value)
        if check_totals:
            for what, credit, total in (
                ("conversions", self.conversions, self.total_conversions),
                ("value", self.value, self.total_value),
            ):
                if not np.isclose(credit.sum(), total, rtol=1e-9, atol=1e-9 * max(1.0, abs(total))):
                    raise ValueError(
                        f"{what} credit sums to {credit.sum()!r}, not to the total {total!r}"
                    )
        self.estimand = estimand
        self.model = str(model)
        self.params = dict(params or {})
        self.stderr = None if stderr is None else _vector(stderr, n, "stderr")
        self.ci_low = None if ci_low is None else _vector(ci_low, n, "ci_low")
        self.ci_high = None if ci_high is None else _vector(ci_high, n, "ci_high")
        self.ci_level = ci_level
        self.n_evaluations = n_evaluations
        self.estimated = bool(estimated)
        self.details: dict[str, np.ndarray] = {}
        for key, arr in (details or {}).items():
            if key in _COLUMNS:
                raise ValueError(f"details key {key!r} clashes with a result column")
            self.details[str(key)] = _vector(arr, n, f"details[{key!r}]")

    @property
    def share(self) -> np.ndarray:
        """Conversion credit as a share of total conversions (zeros if there are none)."""
        if self.total_conversions == 0:
            return np.zeros_like(self.conversions)
        return self.conversions / self.total_conversions

    @property
    def value_share(self) -> np.ndarray:
        """Value credit as a share of total value (zeros if there is none)."""
        if self.total_value == 0:
            return np.zeros_like(self.value)
        return self.value / self.total_value

    def to_frame(self) -> pd.DataFrame:
        """One row per channel: conversions, value, share, value_share and any uncertainty."""
        cols: dict[str, np.ndarray] = {
            "conversions": self.conversions,
            "value": self.value,
            "share": self.share,
            "value_share": self.value_share,
        }
        for name in ("stderr", "ci_low", "ci_high"):
            if getattr(self, name) is not None:
                cols[name] = getattr(self, name)
        cols.update(self.details)
        return pd.DataFrame(cols, index=pd.Index(self.channel_names, name="channel"))

    def to_dict(self) -> dict[str, Any]:
        """Plain-Python form (the JSON written by ``attribution-lab attribute --format json``).

        Examples
        --------
        >>> r = AttributionResult(["a"], [2.0], [0.0], total_conversions=2, total_value=0,
        ...                       estimand="rule", model="last_touch")
        >>> r.to_dict()["channels"]
        [{'channel': 'a', 'conversions': 2.0, 'value': 0.0, 'share': 1.0}]
        """
        channels = []
        for k, name in enumerate(self.channel_names):
            row: dict[str, Any] = {
                "channel": name,
                "conversions": float(self.conversions[k]),
                "value": float(self.value[k]),
                "share": float(self.share[k]),
            }
            for extra in ("stderr", "ci_low", "ci_high"):
                arr = getattr(self, extra)
                if arr is not None:
                    row[extra] = float(arr[k])
            for key, arr in self.details.items():
                row[key] = float(arr[k])
            channels.append(row)
        out: dict[str, Any] = {
            "model": self.model,
            "params": {k: _jsonable(v) for k, v in self.params.items()},
            "estimand": self.estimand,
            "total_conversions": self.total_conversions,
            "total_value": self.total_value,
            "channels": channels,
        }
        if self.ci_level is not None:
            out["ci_level"] = self.ci_level
        if self.estimated:
            out["estimated"] = True
            out["n_evaluations"] = self.n_evaluations
        return out

    def __repr__(self) -> str:
        top = ", ".join(
            f"{n}={s:.3f}"
            for n, s in sorted(
                zip(self.channel_names, self.share, strict=True), key=lambda t: -t[1]
            )[:5]
        )
        more = ", ..." if len(self.channel_names) > 5 else ""
        return (
            f"AttributionResult(model={self.model!r}, estimand={self.estimand!r}, "
            f"share: {top}{more})"
        )

    def _repr_html_(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        head = (
            f"<p><b>{html.escape(self.model)}</b>({html.escape(params)}) &mdash; estimand: "
            f"{html.escape(self.estimand)} ({html.escape(ESTIMANDS[self.estimand])}); "
            f"{self.total_conversions:,.6g} conversions, value {self.total_value:,.6g}</p>"
        )
        return head + self.to_frame().to_html(float_format=lambda x: f"{x:,.4f}")

    def plot(self, ax: Any = None, *, what: str = "share", **bar_kwargs: Any) -> Any:
        """Horizontal bar chart of each channel's credit, with intervals when known.

        Parameters
        ----------
        ax : matplotlib Axes, optional
        what : {"share", "conversions", "value", "value_share"}
        **bar_kwargs : passed to ``Axes.barh``

        Returns
        -------
        matplotlib Axes
        """
        import matplotlib.pyplot as plt

        if what not in ("share", "conversions", "value", "value_share"):
            raise ValueError(f"what must be share, conversions, value or value_share, got {what!r}")
        if ax is None:
            _, ax = plt.subplots(figsize=(6, 0.35 * len(self.channel_names) + 1.2))
        values = getattr(self, what)
        order = np.argsort(values)
        xerr = None
        if (
            self.ci_low is not None
            and self.ci_high is not None
            and what in ("share", "conversions")
        ):
            scale = 1.0 if what == "conversions" else 1.0 / max(self.total_conversions, 1e-300)
            lo = np.maximum(self.conversions - self.ci_low, 0) * scale
            hi = np.maximum(self.ci_high - self.conversions, 0) * scale
            xerr = np.vstack([lo[order], hi[order]])
        ax.barh(np.asarray(self.channel_names)[order], values[order], xerr=xerr, **bar_kwargs)
        ax.set_xlabel(what.replace("_", " "))
        ax.set_title(f"{self.model} ({self.estimand})")
        return ax


def _jsonable(v: Any) -> Any:
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, np.ndarray):
        return v.tolist()
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    if isinstance(v, (frozenset, set)):
        return sorted(_jsonable(x) for x in v)
    if isinstance(v, Mapping):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    return repr(v)
