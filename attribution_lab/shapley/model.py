"""ShapleyAttribution: credit by the Shapley values of a game built from the journeys."""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Mapping
from typing import Any

import numpy as np

from .._validation import check_level
from ..base import AttributionModel, register_model
from ..journeys import Journeys
from ..result import AttributionResult
from .base import MAX_EXACT_PLAYERS, Game, ShapleyResult
from .exact import ExactShapley
from .games import POLICIES, CounterfactualRateGame, ModelGame, SetRateGame, SubsetConversionGame

__all__ = ["ESTIMATORS", "GAMES", "ShapleyAttribution"]

#: Games by name (the first is the default).
GAMES = {
    "subset": SubsetConversionGame,
    "set_rate": SetRateGame,
    "counterfactual": CounterfactualRateGame,
    "model": ModelGame,
}
#: Estimators by name (class names in attribution_lab.shapley.sampling for sampling ones).
ESTIMATORS = {
    "exact": "ExactShapley",
    "permutation": "PermutationSampling",
    "antithetic": "AntitheticPermutationSampling",
    "stratified": "StratifiedSampling",
    "kernel": "KernelShapley",
}
# "auto" enumerates every coalition up to this many players (65,536 evaluations).
_AUTO_EXACT_PLAYERS = 16
_DEFAULT_BUDGET = 1 << 16


# The policies each game takes (their own constructors validate them too).
_POLICIES = {"set_rate": POLICIES, "counterfactual": ("smoothed", "zero")}


def _game_params(game: str) -> dict[str, Any]:
    """Keyword parameters of a game's constructor (beyond journeys and what), by default."""
    signature = inspect.signature(GAMES[game].__init__).parameters
    return {
        name: p.default
        for name, p in signature.items()
        if name not in ("self", "journeys", "what") and p.kind is p.POSITIONAL_OR_KEYWORD
    }


def _games(names: list[str]) -> str:
    return f"{' and '.join(names)} game{'s' * (len(names) > 1)}"


def _estimator(name: str) -> Any:
    if name == "exact":
        return ExactShapley()
    module = importlib.import_module("attribution_lab.shapley.sampling")
    return getattr(module, ESTIMATORS[name])()


@register_model
class ShapleyAttribution(AttributionModel):
    """Credit by the Shapley values of a conversion game over channels.

    Parameters
    ----------
    game : {"subset", "counterfactual", "set_rate", "model"}, default "subset"
        The value function: `SubsetConversionGame` (conversions of the journeys whose
        channels all lie in the coalition), `CounterfactualRateGame` (expected conversions
        if only the coalition's channels existed, each journey converting at the observed
        rate of the channels it keeps), `SetRateGame` or `ModelGame`. See "Which game?"
        below.
    game_params : mapping, optional
        Keyword arguments of the game (e.g. ``{"strength": 50}`` for counterfactual,
        ``{"policy": "zero"}`` for set_rate, ``{"features": "count"}`` for model). A key
        the game does not take, and a ``strength`` under a policy other than
        ``"smoothed"``, are refused.
    estimator : {"auto", "exact", "permutation", "antithetic", "stratified", "kernel"}
        ``"auto"``: closed form where the game has one, else exact up to 16 channels,
        else antithetic permutation sampling.
    budget : int, optional
        Game evaluations a sampling estimator may use (default 65,536); exact enumeration
        refuses to run if 2^n_channels exceeds it. Refused where no coalition is evaluated
        (a closed form, the subgame policy).
    random_state : int, Generator or None
        Seed of the sampling estimators; refused where the values are exact (callers that
        seed every model, such as `attribution_lab.bootstrap`, consult `inert_params`).
    ci_level : float, default 0.95
        Level of the intervals of estimated credit (Student-t, `ShapleyResult.interval`).
        Refused (when not 0.95) where the values are exact and there is no interval.

    Attributes
    ----------
    game_ : Game
        The conversions game.
    shapley_ : ShapleyResult
        Raw Shapley values of the conversions game, with standard errors when estimated.
    value_shapley_ : ShapleyResult or None
        The same for the value variant of the game (None when the journeys have no value).

    Notes
    -----
    Channel c is credited :math:`C \\cdot \\phi_c / \\sum_d \\phi_d` of the total
    conversions C, and likewise value with the value variant of the game
    (`ModelGame.value_game` for the model game). Negative Shapley values stay negative in
    the credit, are reported in the ``shapley_value`` column, and `attribute` warns
    (`attribution_lab.result.NegativeCreditWarning`); they mean that, in this game,
    adding the channel lowers the value on average. With ``game="set_rate",
    game_params={"policy": "subgame"}`` the set-rate game credits each converting channel
    set by its own sub-game, as DP6's marketing-attribution-models does
    (`SetRateGame.subgame_credit`);
    ``shapley_value`` then holds that credit, which sums to the total by construction. When
    :math:`\\sum_d \\phi_d = v(N) - v(\\emptyset)` is not positive — the set-rate game with
    the ``"zero"`` policy on data where no journey has every channel — the shares are
    undefined and fitting raises an error saying so. Standard errors of estimated credit are
    the estimator's scaled by :math:`C / \\sum_d \\phi_d`, exact for estimators whose values
    always sum to :math:`v(N) - v(\\emptyset)` (permutation sampling).

    Which game? None is right everywhere. ``python -m benchmarks accuracy``
    (benchmarks/results/accuracy/) measures the total variation distance of the shares
    from the truth of each of the twelve scenarios of `attribution_lab.simulate.scenarios`
    (5 seeds each at 1e3, 1e4 and 1e5 journeys; figures below at 1e5, mean over
    scenarios). The default, ``"subset"``, 0.21 (truncation 0.20, Markov worlds
    0.01-0.05, decay 0.33, coalition 0.30, b2b 0.53), has the best mean and is the only
    game that never gave a channel a negative share: its credit is linear attribution
    over each converting journey's distinct channels, so it cannot go negative, gives
    nothing to channels absent from converting journeys and is blind to non-converting
    ones. ``"counterfactual"``, 0.30, is close where the truth is a function of channel
    sets (decay 0.05, coalition 0.13) but 0.47 on truncation, and gave a channel a
    negative share in 59 of the 180 runs, on truncation (down to -6%) and mediation
    (-10%) among others: converting journeys end at the conversion, so the journeys that
    touch a channel can convert less than the same journeys would without it. The
    set-rate game, 0.43 (Markov worlds 0.53-1.1; negative in 77 runs), weighs every
    coalition alike, so a rare channel with a few lucky journeys gets as much as a
    common one (on the bundled paths a channel with 0.01% of linear credit gets 4%); its
    ``"subgame"`` policy, 0.31, goes negative in 75 runs. ``"model"`` is best where its
    logistic model holds (coalition 0.04, synergy 0.02), goes negative in 60 of the 122
    runs it accepts and refuses data where longer journeys convert less, as truncated
    converting journeys do (use `attribution_lab.hazard.HazardGame` with timed journeys
    there). No observational game can tell conversions that would have happened without
    any channel from those the channels caused: all of them give the baseline to
    channels. Games with a closed form (subset, counterfactual) are solved exactly at
    any size the game supports when ``estimator`` is ``"auto"`` or ``"exact"``.

    References
    ----------
    Shapley, L. S. (1953). A value for n-person games. Contributions to the Theory of
    Games II, 307-317.

    Zhao, K., Mahboobi, S. H., & Bagheri, S. R. (2018). Shapley value methods for
    attribution modeling in online advertising. arXiv:1804.05327.

    Examples
    --------
    >>> j = Journeys.from_paths(["A > B", "A", "C"], conversions=[2, 1, 0], nulls=[0, 0, 3])
    >>> ShapleyAttribution(game="subset").fit(j).attribute().conversions.tolist()
    [2.0, 1.0, 0.0]
    >>> j = Journeys.from_paths(["A", "A > B", "B"], conversions=[1, 3, 0], nulls=[3, 1, 4])
    >>> ShapleyAttribution().fit(j).attribute().conversions.tolist()  # 1 + 3/2, 3/2
    [2.5, 1.5]
    >>> m = ShapleyAttribution(game="counterfactual", game_params={"policy": "zero"}).fit(j)
    >>> m.attribute().conversions.tolist()  # see CounterfactualRateGame's example
    [3.0, 1.0]
    """

    name = "shapley"
    estimand = "shapley"
    summary = (
        "Shapley values of a conversion game (subset, counterfactual, set-rate or model),"
        " exact or sampled"
    )

    def __init__(
        self,
        game: str = "subset",
        game_params: Mapping[str, Any] | None = None,
        estimator: str = "auto",
        budget: int | None = None,
        random_state: int | np.random.Generator | None = None,
        ci_level: float = 0.95,
    ) -> None:
        self.game = game
        self.game_params = game_params
        self.estimator = estimator
        self.budget = budget
        self.random_state = random_state
        self.ci_level = ci_level

    def _validate_params(self) -> None:
        if self.game not in GAMES:
            raise ValueError(f"game must be one of {', '.join(GAMES)}, got {self.game!r}")
        if self.game_params is not None and not isinstance(self.game_params, Mapping):
            raise TypeError(f"game_params must be a mapping, got {type(self.game_params).__name__}")
        if self.estimator != "auto" and self.estimator not in ESTIMATORS:
            raise ValueError(
                f"estimator must be 'auto' or one of {', '.join(ESTIMATORS)}, got"
                f" {self.estimator!r}"
            )
        if self.budget is not None and (
            isinstance(self.budget, bool)
            or not isinstance(self.budget, (int, np.integer))
            or self.budget < 1
        ):
            raise ValueError(f"budget must be a positive integer or None, got {self.budget!r}")
        check_level(self.ci_level)
        self._check_game_params()

    def _check_game_params(self) -> None:
        """Refuse game_params the chosen game does not take or that cannot act in it."""
        params = dict(self.game_params or {})
        takes = _game_params(self.game)
        for key in params:
            if key == "what":
                raise ValueError(
                    "game_params: 'what' is set by ShapleyAttribution (the conversions game,"
                    " then the value game); leave it out"
                )
            if key not in takes:
                owners = [g for g in GAMES if key in _game_params(g)]
                hint = f"; {key!r} is a parameter of the {_games(owners)}" * bool(owners)
                raise ValueError(
                    f"game_params: the {self.game} game takes no parameter {key!r} (it takes"
                    f" {', '.join(takes) or 'none'}){hint}"
                )
        if "policy" not in takes:
            return
        policy = params.get("policy", takes["policy"])
        choices = _POLICIES[self.game]
        if policy not in choices:
            owners = [g for g, names in _POLICIES.items() if policy in names]
            hint = f"; {policy!r} is a policy of the {_games(owners)}" * bool(owners)
            raise ValueError(
                f"game_params: policy={policy!r} is not a policy of the {self.game} game"
                f" ({', '.join(map(repr, choices))}){hint}"
            )
        strength = params.get("strength", takes["strength"])
        if policy != "smoothed" and strength != takes["strength"]:
            raise ValueError(
                f"game_params: strength={strength!r} cannot act: it weighs the prior of the"
                f" smoothed rates, and policy={policy!r} uses the raw rates; set"
                " policy='smoothed' (the default) or leave strength out"
            )

    def _exact_because(self, n_channels: int) -> tuple[str, bool] | None:
        """Why the values will be exact, and whether coalitions are enumerated to get them
        (None when they may be sampled)."""
        if self.game == "set_rate" and dict(self.game_params or {}).get("policy") == "subgame":
            return "policy='subgame' computes each channel set's sub-game exactly", False
        if self.estimator in ("auto", "exact") and hasattr(GAMES[self.game], "closed_form"):
            return f"the {self.game} game is solved exactly, in closed form", False
        if self.estimator == "exact":
            return "estimator='exact' enumerates every coalition", True
        if self.estimator == "auto" and n_channels <= _AUTO_EXACT_PLAYERS:
            return (
                f"estimator='auto' enumerates every coalition of {n_channels} channels"
                f" (<= {_AUTO_EXACT_PLAYERS})"
            ), True
        budget = _DEFAULT_BUDGET if self.budget is None else self.budget
        if (
            self.estimator != "auto"
            and n_channels <= MAX_EXACT_PLAYERS
            and budget >= 1 << n_channels
        ):
            # the sampling estimators' own fallback (`sampling._SamplingEstimator.estimate`)
            return (
                f"budget {budget:,} covers all {1 << n_channels:,} coalitions of {n_channels}"
                f" channels, so estimator {self.estimator} computes them exactly"
            ), True
        return None

    def _inert_params(self, journeys: Journeys) -> dict[str, str]:
        # decided by the parameters and the number of channels, which every bootstrap
        # replicate keeps, so a refusal cannot strike one replicate and spare the next
        exact = self._exact_because(journeys.n_channels)
        if exact is None:
            return {}
        why, enumerates = exact
        samplers = (
            "the sampling estimators (estimator permutation, antithetic, stratified or kernel)"
        )
        if "subgame" in why:
            samplers = "sampling estimators, which the subgame policy cannot use"
        inert = {
            "ci_level": f"{why}, so there is no interval; {samplers} give intervals, and"
            " attribution_lab.bootstrap gives them for any model",
            "random_state": f"{why}, drawing nothing at random; it seeds {samplers}",
        }
        if not enumerates:
            # exact enumeration still reads a budget: it refuses one below 2^n
            inert["budget"] = f"{why}, evaluating no coalitions; a budget limits {samplers}"
        return inert

    def _solve(self, game: Game) -> ShapleyResult:
        name = self.estimator
        closed_form = getattr(game, "closed_form", None)
        if name in ("auto", "exact") and closed_form is not None:
            # exact at any size the game supports, and cheaper than enumerating coalitions
            ends = game(np.array([[False] * game.n_players, [True] * game.n_players]))
            return ShapleyResult(
                game.player_names,
                np.asarray(closed_form(), dtype=np.float64),
                None,
                2,
                False,
                "closed form (exact)",
                float(ends[0]),
                float(ends[1]),
            )
        if name == "auto":
            name = "exact" if game.n_players <= _AUTO_EXACT_PLAYERS else "antithetic"
        budget = self.budget
        if name != "exact" and budget is None:
            budget = _DEFAULT_BUDGET
        return _estimator(name).estimate(game, budget, random_state=self.random_state)

    def _subgame(self, game: SetRateGame) -> ShapleyResult:
        if self.estimator not in ("auto", "exact"):
            raise ValueError(
                "policy='subgame' sums exact Shapley values of one sub-game per channel set;"
                f" estimator {self.estimator!r} does not apply"
            )
        credit = game.subgame_credit()
        return ShapleyResult(
            game.player_names, credit, None, 0, False, "subgame (exact)", 0.0, float(credit.sum())
        )

    def _fit(self, journeys: Journeys) -> None:
        params = dict(self.game_params or {})
        cls = GAMES[self.game]
        self.game_ = cls(journeys, **params)
        subgame = cls is SetRateGame and params.get("policy") == "subgame"
        solve = self._subgame if subgame else self._solve
        self.shapley_ = solve(self.game_)
        self.value_shapley_ = None
        if journeys.total_value > 0:
            if hasattr(self.game_, "value_game"):  # the value variant of the same fit
                value_game = self.game_.value_game()
            else:
                value_game = cls(journeys, what="value", **params)
            self.value_shapley_ = solve(value_game)
        for what, res in (("conversions", self.shapley_), ("value", self.value_shapley_)):
            if res is None:
                continue
            gap = res.grand_value - res.empty_value
            if not (gap > 0 and res.values.sum() > 0):
                if self.game == "set_rate":
                    why = (
                        "; under policy='zero' this happens when no journey touches every"
                        " channel; use the smoothed policy or the counterfactual game"
                    )
                elif self.game == "model":
                    why = (
                        f"; the fitted model expects less {what} with every channel"
                        " than with none (e.g. longer journeys convert less), so this game"
                        " does not describe these journeys"
                    )
                else:
                    why = ""
                raise ValueError(
                    f"the Shapley values of the {self.game} game ({what}) sum to"
                    f" v(N) - v(empty) = {gap:.6g} <= 0, so they cannot be"
                    f" turned into shares of the total{why}"
                )

    def _attribute(self, journeys: Journeys) -> AttributionResult:
        if journeys.channel_names != self.channel_names_:
            raise ValueError(
                "Shapley credit shares apply to journeys over the same channels as the fit"
            )
        phi = self.shapley_.values
        share = phi / phi.sum()
        value_share = share
        if self.value_shapley_ is not None:
            value_share = self.value_shapley_.values / self.value_shapley_.values.sum()
        total = journeys.n_conversions
        details: dict[str, np.ndarray] = {"shapley_value": phi}
        extra: dict[str, Any] = {}
        if self.shapley_.stderr is not None:
            scale = total / phi.sum()
            low, high = self.shapley_.interval(self.ci_level)
            extra = {
                "stderr": scale * self.shapley_.stderr,
                "ci_low": scale * low,
                "ci_high": scale * high,
                "ci_level": float(self.ci_level),
            }
            details["shapley_stderr"] = self.shapley_.stderr
        n_eval = self.shapley_.n_evaluations + (
            self.value_shapley_.n_evaluations if self.value_shapley_ is not None else 0
        )
        return self._result(
            journeys,
            total * share,
            journeys.total_value * value_share,
            n_evaluations=n_eval,
            estimated=self.shapley_.estimated,
            details=details,
            **extra,
        )
