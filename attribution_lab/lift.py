"""Lift tests as data: the measured incremental conversions of one channel, with their uncertainty.

A lift test (a conversion-lift study, a geo or audience holdout) measures what one channel
adds: the conversions of the people who could see it minus those of a random holdout who
could not, scaled to the population. `LiftTest` holds one such result; `read_lift_tests`
reads a small CSV of them; `check_lift_tests` checks them against the journeys they are to
calibrate (`attribution_lab.calibrate.calibrate_to_experiments`).
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._io import read_table
from ._validation import did_you_mean
from .journeys import Journeys, _to_days

__all__ = [
    "LIFT_TEST_COLUMNS",
    "LiftTest",
    "check_lift_tests",
    "pool_lift_tests",
    "read_lift_tests",
]

_NUMBERS = (
    "incremental_conversions",
    "relative_lift",
    "stderr",
    "ci_low",
    "ci_high",
    "ci_level",
    "population",
    "value",
    "value_stderr",
)
#: The columns a lift-test CSV may have (``channel`` is required).
LIFT_TEST_COLUMNS = ("channel", *_NUMBERS, "start", "end", "description")


def _z(level: float) -> float:
    """The standard normal quantile of (1 + level) / 2 (no scipy at import time)."""
    from scipy.special import ndtri

    return float(ndtri(0.5 + 0.5 * level))


def _finite(x: Any, what: str) -> float | None:
    if x is None:
        return None
    if isinstance(x, bool) or not isinstance(x, (int, float, np.integer, np.floating)):
        raise TypeError(f"{what} must be a number, got {x!r}")
    if not math.isfinite(float(x)):
        raise ValueError(f"{what} must be a finite number, got {x!r}")
    return float(x)


@dataclass(frozen=True)
class LiftTest:
    """The result of one holdout experiment on one channel.

    Parameters
    ----------
    channel : str
        The channel held out.
    incremental_conversions : float, optional
        Conversions the channel added in the test's population: exposed minus holdout
        conversion rate, times `population` (negative when the channel lost conversions).
        Give this or `relative_lift`.
    relative_lift : float, optional
        :math:`(p_1 - p_0) / p_0`, the exposed group's conversion rate over the holdout's,
        minus 1 (> -1).
    stderr : float, optional
        Standard error of the estimate (of `incremental_conversions` or of
        `relative_lift`), > 0. Give this or `ci_low` and `ci_high`.
    ci_low, ci_high : float, optional
        A symmetric normal confidence interval of the estimate at `ci_level`; it must
        contain the estimate. The standard error is its half-width over the normal
        quantile.
    ci_level : float, default 0.95
    population : float, optional
        Persons the test's `incremental_conversions` (and `value`) refer to, e.g. exposed
        plus holdout. None: the estimate is already on the scale of the journeys it will
        calibrate. Not used with `relative_lift`.
    value : float, optional
        Incremental conversion value in the same population, with `value_stderr`.
    value_stderr : float, optional
    start, end : float, str or datetime, optional
        When the test ran: days on the journeys' time axis, or dates. The test must
        overlap the journeys' touches (checked when the journeys carry times).
    description : str, default ""
        Free text: where, on whom, how.

    Examples
    --------
    >>> t = LiftTest("search", incremental_conversions=120, ci_low=80, ci_high=160,
    ...              population=20_000)
    >>> round(t.standard_error, 2)
    20.41
    >>> t.on_journeys(n_persons=100_000, n_conversions=5_000)  # 5 x the test's population
    (600.0, 102.04)
    >>> LiftTest("search", incremental_conversions=120, ci_low=130, ci_high=160)
    Traceback (most recent call last):
    ...
    ValueError: lift test on 'search': the interval [130, 160] does not contain the estimate 120
    """

    channel: str
    incremental_conversions: float | None = None
    relative_lift: float | None = None
    stderr: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    ci_level: float = 0.95
    population: float | None = None
    value: float | None = None
    value_stderr: float | None = None
    start: Any = None
    end: Any = None
    description: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.channel, str) or not self.channel:
            raise TypeError(f"lift test: channel must be a non-empty string, got {self.channel!r}")
        where = f"lift test on {self.channel!r}"
        for name in _NUMBERS:
            object.__setattr__(self, name, _finite(getattr(self, name), f"{where}: {name}"))
        inc, rel = self.incremental_conversions, self.relative_lift
        if (inc is None) == (rel is None):
            raise ValueError(f"{where}: give one of incremental_conversions or relative_lift")
        if rel is not None and rel <= -1:
            raise ValueError(f"{where}: relative_lift must be > -1, got {rel:g}")
        if rel is not None and self.population is not None:
            raise ValueError(
                f"{where}: population cannot act with a relative lift (it applies to the"
                " journeys' conversions as they are); leave it out"
            )
        estimate = self.estimate
        has_ci = self.ci_low is not None or self.ci_high is not None
        if (self.stderr is None) == (not has_ci):
            raise ValueError(f"{where}: give one of stderr or ci_low and ci_high")
        if self.stderr is not None and self.stderr <= 0:
            raise ValueError(f"{where}: stderr must be > 0, got {self.stderr:g}")
        if not 0 < self.ci_level < 1:
            raise ValueError(f"{where}: ci_level must be strictly between 0 and 1")
        if has_ci:
            if self.ci_low is None or self.ci_high is None:
                raise ValueError(f"{where}: give both ci_low and ci_high")
            if not self.ci_low < self.ci_high:
                raise ValueError(
                    f"{where}: ci_low ({self.ci_low:g}) must be below ci_high ({self.ci_high:g})"
                )
            if not self.ci_low <= estimate <= self.ci_high:
                raise ValueError(
                    f"{where}: the interval [{self.ci_low:g}, {self.ci_high:g}] does not"
                    f" contain the estimate {estimate:g}"
                )
        if self.population is not None and self.population <= 0:
            raise ValueError(f"{where}: population must be > 0, got {self.population:g}")
        if (self.value is None) != (self.value_stderr is None):
            raise ValueError(f"{where}: give value and value_stderr together")
        if self.value_stderr is not None and self.value_stderr <= 0:
            raise ValueError(f"{where}: value_stderr must be > 0, got {self.value_stderr:g}")
        window = []
        for name in ("start", "end"):
            x = getattr(self, name)
            if x is None:
                window.append(None)
                continue
            try:
                if isinstance(x, str):
                    x = np.datetime64(x.strip())
                day = float(_to_days(np.asarray([x]), name)[0])
            except (TypeError, ValueError):
                raise ValueError(
                    f"{where}: {name} must be a number of days or a date, got {x!r}"
                ) from None
            if not math.isfinite(day):
                raise ValueError(f"{where}: {name} must be a number of days or a date")
            window.append(day)
        if None not in window and window[0] > window[1]:
            raise ValueError(f"{where}: start ({self.start}) is after end ({self.end})")
        object.__setattr__(self, "_window", tuple(window))

    @property
    def estimate(self) -> float:
        """The measured number: `incremental_conversions` or `relative_lift`."""
        inc = self.incremental_conversions
        return float(self.relative_lift if inc is None else inc)

    @property
    def standard_error(self) -> float:
        """`stderr`, or the interval's half-width over the normal quantile of `ci_level`."""
        if self.stderr is not None:
            return float(self.stderr)
        return (self.ci_high - self.ci_low) / (2.0 * _z(self.ci_level))

    @property
    def window(self) -> tuple[float | None, float | None]:
        """(start, end) in days on the journeys' time axis (None: open)."""
        return self._window  # type: ignore[attr-defined]

    def on_journeys(self, n_persons: float, n_conversions: float) -> tuple[float, float]:
        """Incremental conversions and standard error on the scale of some journeys.

        Parameters
        ----------
        n_persons : float
            Persons (converting and not) in the journeys.
        n_conversions : float
            Their conversions.

        Notes
        -----
        An absolute estimate measured on `population` persons is scaled by
        ``n_persons / population`` (the same effect per person). A relative lift
        :math:`r` says the conversions without the channel are :math:`C / (1 + r)`, so
        the journeys' :math:`C` conversions hold :math:`C r / (1 + r)` incremental ones,
        with standard error :math:`C\\,\\mathrm{se}(r) / (1 + r)^2` (delta method).
        """
        se = self.standard_error
        if self.relative_lift is not None:
            r = self.relative_lift
            return n_conversions * r / (1.0 + r), n_conversions * se / (1.0 + r) ** 2
        scale = 1.0 if self.population is None else n_persons / self.population
        return self.estimate * scale, se * scale

    def value_on_journeys(
        self, n_persons: float, n_conversions: float
    ) -> tuple[float, float] | None:
        """Incremental value and its standard error on the journeys' scale, or None."""
        if self.value is None:
            return None
        if self.relative_lift is not None or self.population is None:
            return self.value, float(self.value_stderr)
        scale = n_persons / self.population
        return self.value * scale, float(self.value_stderr) * scale


def check_lift_tests(tests: Iterable[LiftTest] | LiftTest, journeys: Journeys) -> list[LiftTest]:
    """The tests as a list, or ValueError naming the first that cannot apply to `journeys`.

    A test's channel must be one of the journeys' channels; its window, when it has one
    and the journeys carry touch times, must overlap the span from their first touch to
    their last end of observation.

    Examples
    --------
    >>> j = Journeys.from_paths(["a > b", "b"], conversions=[3, 1], nulls=[5, 9],
    ...                         times=[[0.0, 2.0], [5.0]])
    >>> check_lift_tests([LiftTest("c", 1.0, stderr=1.0)], j)
    Traceback (most recent call last):
    ...
    ValueError: lift test on 'c': no channel 'c' in the journeys (channels: 'a', 'b')
    >>> check_lift_tests([LiftTest("a", 1.0, stderr=1.0, start=10, end=20)], j)
    Traceback (most recent call last):
    ...
    ValueError: lift test on 'a': its window [10, 20] days does not overlap the journeys' [0, 5]
    """
    if isinstance(tests, LiftTest):
        tests = [tests]
    tests = list(tests)
    if not tests:
        raise ValueError("no lift tests given")
    names = journeys.channel_names
    span = None
    if journeys.times is not None and journeys.times.size:
        last = journeys.end_time if journeys.end_time is not None else journeys.times
        span = (float(journeys.times.min()), float(np.max(last)))
    for t in tests:
        if not isinstance(t, LiftTest):
            raise TypeError(f"lift tests must be LiftTest objects, got {type(t).__name__}")
        where = f"lift test on {t.channel!r}"
        if t.channel not in names:
            shown = ", ".join(map(repr, names[:20])) + (" ..." if len(names) > 20 else "")
            raise ValueError(
                f"{where}: no channel {t.channel!r} in the journeys{did_you_mean(t.channel, names)}"
                f" (channels: {shown})"
            )
        lo, hi = t.window
        if span is not None and (lo is not None or hi is not None):
            lo_ = -math.inf if lo is None else lo
            hi_ = math.inf if hi is None else hi
            if hi_ < span[0] or lo_ > span[1]:
                raise ValueError(
                    f"{where}: its window [{_show(lo)}, {_show(hi)}] days does not overlap the"
                    f" journeys' [{span[0]:g}, {span[1]:g}]"
                )
    return tests


def _show(x: float | None) -> str:
    return "open" if x is None else f"{x:g}"


def read_lift_tests(path: str | os.PathLike, *, delimiter: str | None = None) -> list[LiftTest]:
    """Read lift tests from a CSV file, one test per row.

    Parameters
    ----------
    path : str or path
        A CSV (optionally ``.gz``) with a ``channel`` column and the other columns of
        `LiftTest` (`LIFT_TEST_COLUMNS`); empty cells are missing values.
    delimiter : str, optional
        By default the most frequent of ``; , tab |`` in the header line.

    Returns
    -------
    list of LiftTest

    Raises
    ------
    ValueError
        One line naming the file, row and column: an unknown column, a cell that is not a
        number, a missing channel, or a test `LiftTest` refuses (say an interval that does
        not contain its estimate).

    Examples
    --------
    >>> import tempfile
    >>> f = os.path.join(tempfile.mkdtemp(), "lift.csv")
    >>> _ = open(f, "w").write("channel,incremental_conversions,ci_low,ci_high,population\\n"
    ...                        "search,120,80,160,20000\\n")
    >>> [(t.channel, t.incremental_conversions, t.population) for t in read_lift_tests(f)]
    [('search', 120.0, 20000.0)]
    >>> _ = open(f, "w").write("channel,incremental_conversions,stderr\\nsearch,12O,5\\n")
    >>> read_lift_tests(f)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: .../lift.csv: row 0 (line 2), column 'incremental_conversions': not a number: '12O'
    """
    frame, source, name_row = read_table(path, delimiter=delimiter, dtype=str)
    columns = [str(c) for c in frame.columns]
    for col in columns:
        if col not in LIFT_TEST_COLUMNS:
            raise ValueError(
                f"{source}: unknown column {col!r}{did_you_mean(col, LIFT_TEST_COLUMNS)}"
                f" (a lift-test file may have {', '.join(LIFT_TEST_COLUMNS)})"
            )
    if "channel" not in columns:
        raise ValueError(f"{source}: no column 'channel' (one lift test per row needs it)")
    if frame.empty:
        raise ValueError(f"{source}: no lift tests (the file has a header and no rows)")
    tests = []
    for i, row in enumerate(frame.itertuples(index=False)):
        cells = dict(zip(columns, row, strict=True))
        kwargs: dict[str, Any] = {}
        for col, cell in cells.items():
            text = "" if cell is None or (isinstance(cell, float) and math.isnan(cell)) else cell
            text = str(text).strip()
            if text == "":
                if col == "channel":
                    raise ValueError(f"{name_row(i)}, column 'channel': empty")
                continue
            if col in _NUMBERS:
                try:
                    kwargs[col] = float(text)
                except ValueError:
                    raise ValueError(
                        f"{name_row(i)}, column {col!r}: not a number: {text!r}"
                    ) from None
            else:
                kwargs[col] = text
        if "ci_level" in kwargs and not 0 < kwargs["ci_level"] < 1:
            raise ValueError(
                f"{name_row(i)}, column 'ci_level': must be strictly between 0 and 1"
                f" (0.95, not 95), got {kwargs['ci_level']:g}"
            )
        for day in ("start", "end"):
            if day in kwargs:
                try:
                    kwargs[day] = float(kwargs[day])
                except ValueError:
                    pass  # a date
        try:
            tests.append(LiftTest(**kwargs))
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{name_row(i)}: {exc}") from None
    return tests


def pool_lift_tests(tests: Sequence[tuple[float, float]]) -> tuple[float, float]:
    """Precision-weighted mean and standard error of independent (estimate, stderr) pairs.

    Examples
    --------
    >>> pool_lift_tests([(10.0, 2.0), (20.0, 2.0)])
    (15.0, 1.414)
    """
    est = np.array([e for e, _ in tests], dtype=np.float64)
    w = 1.0 / np.array([s for _, s in tests], dtype=np.float64) ** 2
    return float(np.sum(w * est) / w.sum()), float(1.0 / np.sqrt(w.sum()))
