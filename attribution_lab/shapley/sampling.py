"""Monte Carlo estimators of Shapley values with standard errors, on a budget of evaluations.

Every estimator holds configuration only and shares the interface of `ExactShapley`:
``estimate(game, budget, random_state=None) -> ShapleyResult``. The budget counts game
evaluations (coalitions) and is never exceeded; when it covers all :math:`2^n`
coalitions the exact values are returned instead, and the result's ``estimator`` says
so. Coalitions are evaluated in batches (one boolean matrix per game call); random
numbers are drawn in fixed-size chunks, so the same seed gives the same numbers
whatever the ``batch_size``.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pandas as pd

from .._validation import check_random_state
from .base import MAX_EXACT_PLAYERS, Game, ShapleyResult
from .exact import ExactShapley

__all__ = [
    "AntitheticPermutationSampling",
    "KernelShapley",
    "PermutationSampling",
    "StratifiedSampling",
    "convergence",
]

# Random draws per chunk (permutations, coalition samples or pairs): fixed, so results
# do not depend on batch_size.
_CHUNK = 4096
# Boolean cells of the prefix coalitions built at once (m permutations x (n - 1) x n):
# 4096 permutations of 300 players would be 367 MB.
_PREFIX_CELLS = 1 << 25


class _Moments:
    """Running mean and sum of squared deviations of i.i.d. vector draws (Chan et al.)."""

    def __init__(self, n: int) -> None:
        self.count = 0
        self.mean = np.zeros(n)
        self.m2 = np.zeros(n)

    def update(self, draws: np.ndarray) -> None:
        c = draws.shape[0]
        if c == 0:
            return
        mean_b = draws.mean(axis=0)
        m2_b = ((draws - mean_b) ** 2).sum(axis=0)
        total = self.count + c
        delta = mean_b - self.mean
        self.mean = self.mean + delta * (c / total)
        self.m2 = self.m2 + m2_b + delta**2 * (self.count * c / total)
        self.count = total

    def stderr(self) -> np.ndarray:
        return np.sqrt(self.m2 / (self.count - 1) / self.count)

    def result(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Mean, its standard error and the error's degrees of freedom (draws - 1)."""
        return self.mean, self.stderr(), np.full(self.mean.size, float(self.count - 1))


def _evaluate(game: Game, coalitions: np.ndarray, batch_size: int) -> np.ndarray:
    """Values of a boolean coalition matrix, at most `batch_size` rows per game call."""
    out = np.empty(coalitions.shape[0])
    for lo in range(0, coalitions.shape[0], batch_size):
        out[lo : lo + batch_size] = game(coalitions[lo : lo + batch_size])
    return out


def _dot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Matrix product of thin matrices without BLAS threads.

    For products like (4096, n) x (n, n) multithreaded BLAS spends more time waking and
    spinning threads than computing, 40x slower than this on a busy 2-core machine.
    """
    return np.einsum("ij,jk->ik", a, b)


def _check_int(value: Any, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


class _SamplingEstimator:
    """Shared checks, exact fallback and evaluation accounting of the sampling estimators."""

    name = "sampling"

    def __init__(self, batch_size: int = 1 << 16) -> None:
        self.batch_size = batch_size

    def min_budget(self, n_players: int) -> int:
        """Smallest budget giving an estimate with a standard error for `n_players`."""
        raise NotImplementedError

    def _budget_explained(self, n_players: int) -> str:  # pragma: no cover
        raise NotImplementedError

    def _check_params(self) -> None:
        _check_int(self.batch_size, "batch_size", 1)

    def estimate(
        self, game: Game, budget: int | None = None, random_state: Any = None
    ) -> ShapleyResult:
        """Estimated Shapley values of every player of `game` from at most `budget` evaluations.

        Parameters
        ----------
        game : Game
        budget : int
            Game evaluations (coalitions) allowed; never exceeded. If it covers all
            2^n coalitions the exact values are returned.
        random_state : int, numpy Generator or None

        Returns
        -------
        ShapleyResult
            ``estimated=True`` with standard errors, or the exact result of `ExactShapley`
            (``stderr=None``) with the estimator named ``"<name> (exact: ...)"``.
        """
        if budget is None:
            raise ValueError(f"{type(self).__name__} needs a budget of game evaluations")
        budget = _check_int(budget, "budget", 1)
        self._check_params()
        rng = check_random_state(random_state)
        n = _check_int(game.n_players, "n_players", 1)
        exact_cost = 1 << n if n <= MAX_EXACT_PLAYERS else None
        if exact_cost is not None and budget >= exact_cost:
            result = ExactShapley(batch_size=self.batch_size).estimate(game, budget)
            return dataclasses.replace(
                result,
                estimator=f"{self.name} (exact: budget covers all {exact_cost:,} coalitions)",
            )
        minimum = self.min_budget(n)
        if budget < minimum:
            why = self._budget_explained(n)
            if exact_cost is not None and exact_cost <= minimum:
                minimum, why = exact_cost, f"all {exact_cost} coalitions, computed exactly"
            raise ValueError(
                f"{type(self).__name__} of {n} player{'s' * (n != 1)} needs a budget of at"
                f" least {minimum:,} game evaluations ({why}), got {budget:,}"
            )
        start = getattr(game, "n_evaluations", 0)
        ends = _evaluate(game, np.array([[False] * n, [True] * n]), self.batch_size)
        values, stderr, dof = self._estimate(game, n, budget - 2, rng, ends[0], ends[1])
        used = getattr(game, "n_evaluations", 0) - start
        if used > budget:  # pragma: no cover - guards the accounting of the subclasses
            raise RuntimeError(f"{self.name} used {used} evaluations, budget was {budget}")
        return ShapleyResult(
            player_names=tuple(game.player_names),
            values=values,
            stderr=stderr,
            n_evaluations=int(used),
            estimated=True,
            estimator=self.name,
            empty_value=float(ends[0]),
            grand_value=float(ends[1]),
            dof=dof,
        )

    def _estimate(
        self,
        game: Game,
        n: int,
        budget: int,
        rng: np.random.Generator,
        v_empty: float,
        v_all: float,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # pragma: no cover
        """Values, standard errors and their degrees of freedom."""
        raise NotImplementedError

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in vars(self).items())
        return f"{type(self).__name__}({params})"


def _permutation_contributions(
    game: Game,
    perms: np.ndarray,
    v_empty: float,
    v_all: float,
    batch_size: int,
) -> np.ndarray:
    """Marginal contribution of every player along each permutation (rows of `perms`).

    The n - 1 proper non-empty prefixes of each permutation are evaluated as boolean
    matrices of at most `_PREFIX_CELLS` cells; v(empty) and v(all) are given.
    """
    m, n = perms.shape
    pos = np.argsort(perms, axis=1)  # pos[r, p]: place of player p in permutation r
    inner = np.empty((m, n - 1))
    step = max(1, _PREFIX_CELLS // max(n * (n - 1), 1))
    for lo in range(0, m, step):
        prefixes = pos[lo : lo + step, None, :] < np.arange(1, n)[None, :, None]
        rows = prefixes.shape[0]
        inner[lo : lo + step] = _evaluate(
            game, prefixes.reshape(rows * (n - 1), n), batch_size
        ).reshape(rows, n - 1)
    path = np.empty((m, n + 1))
    path[:, 0], path[:, n], path[:, 1:n] = v_empty, v_all, inner
    steps = np.diff(path, axis=1)  # steps[r, j]: contribution of player perms[r, j]
    return np.take_along_axis(steps, pos, axis=1)


class PermutationSampling(_SamplingEstimator):
    """Shapley values as the mean marginal contribution over random orders of the players.

    Parameters
    ----------
    batch_size : int, default 65536
        Coalitions per game call.

    Notes
    -----
    For uniformly random permutations :math:`\\pi_1, \\dots, \\pi_m`,

    .. math:: \\hat\\phi_i = \\frac{1}{m} \\sum_{k=1}^m
              \\left(v(P_i^{\\pi_k} \\cup \\{i\\}) - v(P_i^{\\pi_k})\\right)

    where :math:`P_i^{\\pi}` is the set of players before i in :math:`\\pi`. It is
    unbiased, its standard error is the sample standard deviation of the m
    contributions over :math:`\\sqrt{m}`, and it is exactly efficient: each
    permutation's contributions sum to :math:`v(N) - v(\\emptyset)`. v(empty) and v(N)
    are evaluated once, so each permutation costs n - 1 evaluations and a budget B buys
    :math:`m = \\lfloor (B - 2) / (n - 1) \\rfloor` permutations (at least 2).

    References
    ----------
    Castro, J., Gómez, D., & Tejada, J. (2009). Polynomial calculation of the Shapley
    value based on sampling. Computers & Operations Research, 36(5), 1726-1730.

    Examples
    --------
    >>> from attribution_lab.shapley.synthetic import UnanimityGame
    >>> game = UnanimityGame([0, 1], worth=1.0, n_players=30)  # 0.5 to players 0 and 1
    >>> r = PermutationSampling().estimate(game, budget=2 + 29 * 400, random_state=0)
    >>> r.n_evaluations, r.exact, float(r.values.sum())  # efficiency is exact
    (11602, False, 1.0)
    >>> bool(np.all(np.abs(r.values[:2] - 0.5) < 4 * r.stderr[:2]))
    True
    >>> float(np.abs(r.values[2:]).max()), float(r.stderr[2:].max())  # null players
    (0.0, 0.0)
    """

    name = "permutation"
    _draw_cost_factor = 1

    def min_budget(self, n_players: int) -> int:
        return 2 + 2 * self._draw_cost_factor * (n_players - 1)

    def _budget_explained(self, n_players: int) -> str:
        return f"v(empty), v(all) and 2 permutations of {n_players - 1} new coalitions each"

    def _draws(self, rng: np.random.Generator, m: int, n: int) -> np.ndarray:
        return rng.permuted(np.tile(np.arange(n), (m, 1)), axis=1)

    def _estimate(self, game, n, budget, rng, v_empty, v_all):
        n_draws = budget // (self._draw_cost_factor * (n - 1))
        moments = _Moments(n)
        for lo in range(0, n_draws, _CHUNK):
            perms = self._draws(rng, min(_CHUNK, n_draws - lo), n)
            contrib = _permutation_contributions(game, perms, v_empty, v_all, self.batch_size)
            moments.update(contrib)
        return moments.result()


class AntitheticPermutationSampling(PermutationSampling):
    """Permutation sampling with each random order followed by its reverse.

    Parameters
    ----------
    batch_size : int, default 65536
        Coalitions per game call.

    Notes
    -----
    A draw is a pair :math:`(\\pi, \\bar\\pi)`, :math:`\\bar\\pi` the reverse of
    :math:`\\pi`, and contributes the mean of player i's two marginal contributions;
    the estimate is the mean over :math:`m = \\lfloor (B - 2) / (2(n - 1)) \\rfloor` pairs
    and the standard error the standard deviation of the pair means over
    :math:`\\sqrt{m}` (the two halves of a pair are dependent, so they are one draw).
    In :math:`\\bar\\pi` the predecessors of i are its successors in :math:`\\pi`; for
    a monotone supermodular game (e.g. a unanimity sum with positive worths) a large
    contribution early in one order pairs with a small one in the other, the two are
    negatively correlated (:math:`\\rho`), and the variance per evaluation shrinks by
    the factor :math:`1 + \\rho` relative to `PermutationSampling`. Efficiency is exact.

    References
    ----------
    Mitchell, R., Cooper, J., Frank, E., & Holmes, G. (2022). Sampling permutations for
    Shapley value estimation. Journal of Machine Learning Research, 23(43), 1-46.

    Castro, J., Gómez, D., & Tejada, J. (2009). Polynomial calculation of the Shapley
    value based on sampling. Computers & Operations Research, 36(5), 1726-1730.

    Examples
    --------
    >>> from attribution_lab.shapley.synthetic import UnanimityGame
    >>> game = UnanimityGame([0, 1], n_players=30)
    >>> r = AntitheticPermutationSampling().estimate(game, budget=2 + 29 * 400, random_state=0)
    >>> r.values[:2].tolist(), r.stderr[:2].tolist()  # a pair always sums to 1
    ([0.5, 0.5], [0.0, 0.0])
    """

    name = "antithetic permutation"
    _draw_cost_factor = 2

    def _budget_explained(self, n_players: int) -> str:
        return (
            f"v(empty), v(all) and 2 pairs of permutations of {n_players - 1} new coalitions each"
        )

    def _estimate(self, game, n, budget, rng, v_empty, v_all):
        n_pairs = budget // (2 * (n - 1))
        moments = _Moments(n)
        for lo in range(0, n_pairs, _CHUNK):
            perms = self._draws(rng, min(_CHUNK, n_pairs - lo), n)
            both = np.concatenate([perms, perms[:, ::-1]])
            contrib = _permutation_contributions(game, both, v_empty, v_all, self.batch_size)
            half = perms.shape[0]
            moments.update(0.5 * (contrib[:half] + contrib[half:]))
        return moments.result()


def _random_subsets(rng: np.random.Generator, players: np.ndarray, sizes: np.ndarray, n: int):
    """Uniform random subsets of N minus `players[k]` of size `sizes[k]`, as a boolean matrix."""
    keys = rng.random((players.size, n))
    keys[np.arange(players.size), players] = 2.0  # ranked last, never drawn (sizes <= n - 2)
    ranks = np.argsort(np.argsort(keys, axis=1), axis=1)
    return ranks < sizes[:, None]


class StratifiedSampling(_SamplingEstimator):
    """Shapley values by sampling marginal contributions within strata (player, coalition size).

    Parameters
    ----------
    pilot_fraction : float, default 0.25
        Share of the sampling budget spent on the pilot, equally over the strata (at
        least 2 samples each). The pilot only allocates the second stage: each stratum
        gets 2 samples plus a share of the rest proportional to its pilot standard
        deviation (Neyman allocation).
    batch_size : int, default 65536
        Coalitions per game call.

    Notes
    -----
    The Shapley value is the mean over sizes of the mean contribution to a coalition of
    that size:

    .. math:: \\phi_i = \\frac{1}{n} \\sum_{s=0}^{n-1} \\mu_{i,s}, \\qquad
              \\mu_{i,s} = \\mathrm{E}\\left[v(S \\cup \\{i\\}) - v(S)\\right],
              \\; S \\sim \\mathrm{Uniform}\\{S \\subseteq N \\setminus \\{i\\} : |S| = s\\}

    The strata s = 0 and s = n - 1 hold one coalition each and are computed exactly
    (v of the n singletons and of the n coalitions missing one player); every other
    stratum is sampled with replacement at 2 evaluations per sample. With
    :math:`m_{i,s}` samples of standard deviation :math:`\\sigma_{i,s}`,

    .. math:: \\mathrm{Var}(\\hat\\phi_i) = \\frac{1}{n^2} \\sum_{s=1}^{n-2}
              \\frac{\\sigma_{i,s}^2}{m_{i,s}},

    and the total :math:`\\sum_i \\mathrm{Var}(\\hat\\phi_i)` for a fixed number of
    samples is smallest with :math:`m_{i,s} \\propto \\sigma_{i,s}` (Neyman). The
    :math:`\\sigma_{i,s}` come from a pilot with equal samples per stratum. The stratum
    means are taken from the second stage only: mixing in the pilot, whose values decided
    how many more samples a stratum gets, biases them (a stratum whose pilot missed a
    rare contribution gets few samples and keeps its low mean; in tests that bias reached
    one standard error). The variance of each stratum pools both stages and is shrunk
    towards the mean variance of the player's strata with the weight of one sample,
    :math:`\\tilde\\sigma^2 = ((m - 1)\\hat\\sigma^2 + \\bar\\sigma_i^2) / m`, so a stratum
    whose few samples happened to be equal neither starves in the allocation nor reports
    zero variance while its player's other strata vary; a null player keeps exactly 0.
    Players are estimated independently, so efficiency holds only in expectation: the
    sum of the estimates has standard error :math:`\\sqrt{\\sum_i \\mathrm{se}_i^2}`.
    Intervals use Student's t with the Welch-Satterthwaite degrees of freedom of each
    player's sum of stratum variances.
    Rare, large contributions (right gloves in a game with 3 left and 9 right gloves)
    still make the error skewed and the intervals too short (on the bundled paths'
    smoothed set-rate game, at 100 permutations' budget, 92% pooled over the players
    and 83% for its rarest channel); give such games more budget. The minimum budget,
    :math:`2 + 2n + 8n(n - 2)` (2 pilot and 2 final samples per stratum), grows like
    :math:`n^2`: 2,922 evaluations at 20 players, 12,242 at 40.

    References
    ----------
    Castro, J., Gómez, D., Molina, E., & Tejada, J. (2017). Improving polynomial
    estimation of the Shapley value by stratified random sampling with optimum
    allocation. Computers & Operations Research, 82, 180-188.

    Maleki, S., Tran-Thanh, L., Hines, G., Rahwan, T., & Rogers, A. (2013). Bounding the
    estimation error of sampling-based Shapley value approximation. arXiv:1306.4265.

    Examples
    --------
    >>> from attribution_lab.shapley.synthetic import GloveGame
    >>> game = GloveGame(5, 7)  # 12 players
    >>> r = StratifiedSampling().estimate(game, budget=4000, random_state=0)
    >>> r.n_evaluations <= 4000, r.exact
    (True, False)
    >>> truth = game.shapley_values()
    >>> bool(np.all(np.abs(r.values - truth) < 5 * r.stderr + 1e-12))
    True
    """

    name = "stratified"

    def __init__(self, pilot_fraction: float = 0.25, batch_size: int = 1 << 16) -> None:
        self.pilot_fraction = pilot_fraction
        self.batch_size = batch_size

    def _check_params(self) -> None:
        super()._check_params()
        if not 0.0 < self.pilot_fraction <= 1.0:
            raise ValueError(f"pilot_fraction must be in (0, 1], got {self.pilot_fraction!r}")

    def min_budget(self, n_players: int) -> int:
        return 2 + 2 * n_players + 8 * n_players * max(n_players - 2, 0)

    def _budget_explained(self, n_players: int) -> str:
        return (
            f"v(empty), v(all), {2 * n_players} coalitions of size 1 and {n_players - 1},"
            " and 2 pilot and 2 final samples at 2 evaluations in each of the"
            f" {n_players * (n_players - 2)} strata (player, size 1..n-2)"
        )

    def _sample(self, game, rng, players, sizes, n):
        """Marginal contributions of `players[k]` to random coalitions of size `sizes[k]`."""
        out = np.empty(players.size)
        for lo in range(0, players.size, _CHUNK):
            p, s = players[lo : lo + _CHUNK], sizes[lo : lo + _CHUNK]
            without = _random_subsets(rng, p, s, n)
            with_i = without.copy()
            with_i[np.arange(p.size), p] = True
            vals = _evaluate(game, np.concatenate([with_i, without]), self.batch_size)
            out[lo : lo + p.size] = vals[: p.size] - vals[p.size :]
        return out

    def _estimate(self, game, n, budget, rng, v_empty, v_all):
        eye = np.eye(n, dtype=bool)
        ends = _evaluate(game, np.concatenate([eye, ~eye]), self.batch_size)
        mu_first = ends[:n] - v_empty  # s = 0
        mu_last = v_all - ends[n:]  # s = n - 1
        budget -= 2 * n
        # strata (i, s), s = 1 .. n - 2, numbered i * (n - 2) + (s - 1)
        n_strata = n * (n - 2)
        strata_player = np.repeat(np.arange(n), n - 2)
        strata_size = np.tile(np.arange(1, n - 1), n)
        n_samples = budget // 2
        # pilot: equal samples per stratum, used only to allocate the second stage; the
        # second stage gives every stratum 2 samples plus its Neyman share of the rest
        pilot = max(2, int(self.pilot_fraction * n_samples) // n_strata)
        pilot = min(pilot, n_samples // n_strata - 2)
        ids = np.repeat(np.arange(n_strata), pilot)
        diffs = self._sample(game, rng, strata_player[ids], strata_size[ids], n)
        var0 = diffs.reshape(n_strata, pilot).var(axis=1, ddof=1)
        sd = np.sqrt(_shrunk_variance(var0, _player_mean(var0, n), pilot))
        rest = n_samples - (pilot + 2) * n_strata
        weights = sd if sd.sum() > 0 else np.ones(n_strata)
        share = rest * weights / weights.sum()
        counts = 2 + np.floor(share).astype(np.int64)
        short = n_samples - pilot * n_strata - int(counts.sum())
        if short > 0:  # largest remainders first
            counts[np.argsort(-(share - np.floor(share)), kind="stable")[:short]] += 1
        ids = np.repeat(np.arange(n_strata), counts)
        diffs = self._sample(game, rng, strata_player[ids], strata_size[ids], n)
        means = np.bincount(ids, weights=diffs, minlength=n_strata) / counts
        sq = np.bincount(ids, weights=(diffs - means[ids]) ** 2, minlength=n_strata)
        # within-stage variance from both stages' samples, shrunk towards the player's mean
        # (second-stage samples alone: 93.4% instead of 92.0% coverage at 200
        # permutations' budget on the bundled paths' smoothed set-rate game, but 90.9%
        # instead of 92.1% at 100, with 4-5 samples per stratum)
        var = (sq + (pilot - 1) * var0) / (counts + pilot - 2)
        var = _shrunk_variance(var, _player_mean(var, n), counts + pilot - 1)
        var_of_mean = var / counts
        sampled = means.reshape(n, n - 2).sum(axis=1)
        values = (mu_first + mu_last + sampled) / n
        per_player = var_of_mean.reshape(n, n - 2)
        stderr = np.sqrt(per_player.sum(axis=1)) / n
        # Welch-Satterthwaite: the sum of the strata's variance estimates behaves like a
        # scaled chi-square with this many degrees of freedom (conservative here, as the
        # shrinkage makes each stratum's estimate steadier than its own samples alone)
        df = (counts + pilot - 2).reshape(n, n - 2).astype(np.float64)
        num = per_player.sum(axis=1) ** 2
        den = (per_player**2 / df).sum(axis=1)
        dof = np.divide(num, den, out=np.full(n, np.inf), where=den > 0)
        return values, stderr, dof


def _player_mean(stratum_values: np.ndarray, n: int) -> np.ndarray:
    """Mean over each player's n - 2 sampled strata, repeated per stratum."""
    return np.repeat(stratum_values.reshape(n, n - 2).mean(axis=1), n - 2)


def _shrunk_variance(var: np.ndarray, pooled: np.ndarray, counts: Any) -> np.ndarray:
    """Stratum variances shrunk towards `pooled` with the weight of one extra sample."""
    return ((counts - 1) * var + pooled) / counts


def _kernel_size_probabilities(n: int) -> np.ndarray:
    """P(|S| = s), s = 1 .. n - 1, under the normalised Shapley kernel: prop. to 1/(s(n-s))."""
    s = np.arange(1, n)
    p = 1.0 / (s * (n - s))
    return p / p.sum()


def _kernel_gram(n: int) -> np.ndarray:
    """A = E[z z^T] for z the indicator of S under the Shapley kernel: 1/2 on the diagonal."""
    s = np.arange(1, n)
    p = _kernel_size_probabilities(n)
    off = float(np.dot(p, s * (s - 1))) / (n * (n - 1))
    a = np.full((n, n), off)
    np.fill_diagonal(a, 0.5)
    return a


def _constrained_map(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """M and u with argmin_phi phi'A phi - 2 b'phi s.t. 1'phi = c equal to M b + u c.

    The top-left block and last column of the inverse of the bordered (KKT) matrix;
    a pseudo-inverse keeps a singular sample Gram matrix usable. For the exact Gram
    matrix of the Shapley kernel, a I + q 1 1', this is M = (I - 1 1'/n) / a, u = 1/n.
    """
    n = a.shape[0]
    kkt = np.zeros((n + 1, n + 1))
    kkt[:n, :n] = a
    kkt[:n, n] = kkt[n, :n] = 1.0
    try:
        inv = np.linalg.solve(kkt, np.eye(n + 1))
    except np.linalg.LinAlgError:
        inv = np.linalg.pinv(kkt)
    return inv[:n, :n], inv[:n, n]


class KernelShapley(_SamplingEstimator):
    """Kernel SHAP: Shapley values as an efficiency-constrained weighted least-squares fit.

    Parameters
    ----------
    variant : {"leastsquares", "unbiased"}, default "leastsquares"
        ``"leastsquares"`` estimates the Gram matrix A and the moment vector b from
        the samples, as in Lundberg & Lee (2017): consistent, with an O(1/m) bias, and
        a sandwich (delta-method) standard error. ``"unbiased"`` uses the exact A of
        the Shapley kernel and estimates only b (Covert & Lee 2021's unbiased
        KernelSHAP): an average of i.i.d. draws with a plain standard error, but on the
        test games its RMSE is 6-9 times larger at equal budget, since the errors of
        b are not offset by those of A.
    batch_size : int, default 65536
        Coalitions per game call.

    Notes
    -----
    With :math:`z \\in \\{0,1\\}^n` the indicator of S, the Shapley values solve
    (Charnes et al. 1988; Lundberg & Lee 2017)

    .. math:: \\min_\\phi \\sum_{0 < |S| < n} \\mu(S)
              \\left(v(S) - v(\\emptyset) - z_S^\\top \\phi\\right)^2
              \\quad \\text{s.t.} \\quad 1^\\top \\phi = v(N) - v(\\emptyset),
              \\qquad \\mu(S) \\propto \\frac{n - 1}{\\binom{n}{|S|} |S| (n - |S|)}.

    With :math:`A = \\mathrm{E}_\\mu[z z^\\top]` and
    :math:`b = \\mathrm{E}_\\mu[z (v(S) - v(\\emptyset))]` the solution is
    :math:`\\phi = M b + u (v(N) - v(\\emptyset))`, where M and u come from the inverse
    of the bordered matrix :math:`[[A, 1], [1^\\top, 0]]`; :math:`A_{ii} = 1/2` and
    :math:`A_{ij} = \\mathrm{E}[|S|(|S|-1)] / (n(n-1))`. Coalitions are drawn from
    :math:`\\mu` (size s with probability proportional to :math:`1/(s(n-s))`, then
    uniformly) in pairs :math:`(S, N \\setminus S)` (paired sampling, Covert & Lee
    2021); a pair is one draw, 2 evaluations, and
    :math:`m = \\lfloor (B - 2) / 2 \\rfloor` pairs fit in a budget B.

    - unbiased: :math:`\\hat\\phi = M \\hat b + u c` is a mean of the i.i.d. per-pair
      vectors :math:`M g_k + u c`; stderr = their standard deviation over
      :math:`\\sqrt{m}`.
    - leastsquares: :math:`\\hat A`, :math:`\\hat b` both sample means; the stderr is
      the standard deviation of the influence terms
      :math:`\\hat M (g_k - Z_k \\hat\\phi)` over :math:`\\sqrt{m}`, where
      :math:`Z_k` is the pair's mean of :math:`z z^\\top`, times
      :math:`\\sqrt{m / (m - n + 1)}` for the n - 1 free parameters of the fit (the
      HC1 correction of regression standard errors; the intervals use Student's t with
      m - n + 1 degrees of freedom).

    Both satisfy efficiency exactly (the constraint is solved exactly). The null player
    property holds only in expectation. The coalitions of a leastsquares run are kept
    bit-packed (about budget * n / 16 bytes) for the second pass of its standard error.

    References
    ----------
    Lundberg, S. M., & Lee, S.-I. (2017). A unified approach to interpreting model
    predictions. Advances in Neural Information Processing Systems 30.

    Covert, I., & Lee, S.-I. (2021). Improving KernelSHAP: Practical Shapley value
    estimation using linear regression. Proceedings of AISTATS, PMLR 130, 3457-3465.

    Charnes, A., Golany, B., Keane, M., & Rousseau, J. (1988). Extremal principle
    solutions of games in characteristic function form: core, Chebychev and Shapley
    value generalizations. In Econometrics of Planning and Efficiency (pp. 123-133).

    Examples
    --------
    >>> from attribution_lab.shapley.synthetic import AdditiveGame
    >>> game = AdditiveGame(np.arange(30.0))
    >>> r = KernelShapley().estimate(game, budget=4002, random_state=0)
    >>> r.n_evaluations, round(float(r.values.sum()), 9)  # efficiency: 0 + 1 + ... + 29
    (4002, 435.0)
    >>> float(np.abs(r.values - np.arange(30.0)).max()) < 1e-9  # exact fit of a linear game
    True
    >>> r = KernelShapley("unbiased").estimate(game, budget=4002, random_state=0)
    >>> bool(np.all(np.abs(r.values - np.arange(30.0)) < 5 * r.stderr))
    True
    """

    name = "kernel"

    def __init__(self, variant: str = "leastsquares", batch_size: int = 1 << 16) -> None:
        self.variant = variant
        self.batch_size = batch_size

    def _check_params(self) -> None:
        super()._check_params()
        if self.variant not in ("unbiased", "leastsquares"):
            raise ValueError(f"variant must be 'unbiased' or 'leastsquares', got {self.variant!r}")

    def min_budget(self, n_players: int) -> int:
        return 6

    def _budget_explained(self, n_players: int) -> str:
        return "v(empty), v(all) and 2 pairs of complementary coalitions"

    def _draw_pairs(self, rng, m, n, probs):
        sizes = rng.choice(np.arange(1, n), size=m, p=probs)
        order = np.argsort(rng.random((m, n)), axis=1)
        ranks = np.argsort(order, axis=1)
        return ranks < sizes[:, None]

    def _estimate(self, game, n, budget, rng, v_empty, v_all):
        n_pairs = budget // 2
        c = v_all - v_empty
        probs = _kernel_size_probabilities(n)
        gram = _kernel_gram(n)
        alpha = gram[0, 0] - gram[0, 1]
        moments = _Moments(n)
        gram_sum = np.zeros((n, n))
        b_sum = np.zeros(n)
        kept: list[tuple[np.ndarray, np.ndarray]] = []
        for lo in range(0, n_pairs, _CHUNK):
            z = self._draw_pairs(rng, min(_CHUNK, n_pairs - lo), n, probs)
            y = _evaluate(game, np.concatenate([z, ~z]), self.batch_size) - v_empty
            half = z.shape[0]
            zf = z.astype(np.float64)
            # per-pair mean of z * y over S and its complement
            g = 0.5 * (zf * y[:half, None] + (1.0 - zf) * y[half:, None])
            if self.variant == "unbiased":
                # M g + u c with M = (I - 1 1'/n) / alpha and u = 1/n (closed form)
                moments.update((g - g.mean(axis=1, keepdims=True)) / alpha + c / n)
            else:
                gram_sum += 0.5 * (_dot(zf.T, zf) + _dot((1.0 - zf).T, 1.0 - zf))
                b_sum += g.sum(axis=0)
                kept.append((np.packbits(z, axis=1), y))
        if self.variant == "unbiased":
            return moments.result()
        sample_map, sample_u = _constrained_map(gram_sum / n_pairs)
        values = sample_map @ (b_sum / n_pairs) + sample_u * c
        for packed, y in kept:
            z = np.unpackbits(packed, axis=1, count=n).astype(np.float64)
            half = z.shape[0]
            resid_s = y[:half] - (z * values).sum(axis=1)
            resid_c = y[half:] - ((1.0 - z) * values).sum(axis=1)
            r = 0.5 * (z * resid_s[:, None] + (1.0 - z) * resid_c[:, None])
            moments.update(_dot(r, sample_map.T))
        _, stderr, _ = moments.result()
        # the fit spends n - 1 degrees of freedom (n values, one constraint) on the
        # residuals, which makes them smaller than the errors: rescale as for HC1
        # regression standard errors and count the remaining degrees of freedom
        dof = max(n_pairs - (n - 1), 1)
        stderr = stderr * np.sqrt(n_pairs / dof)
        return values, stderr, np.full(n, float(dof))


_BY_NAME = {
    "permutation": PermutationSampling,
    "antithetic": AntitheticPermutationSampling,
    "stratified": StratifiedSampling,
    "kernel": KernelShapley,
}


def convergence(
    game: Game,
    estimators: Any = ("permutation", "antithetic", "stratified", "kernel"),
    budgets: Any = (100, 300, 1_000, 3_000, 10_000),
    *,
    level: float = 0.95,
    random_state: Any = None,
) -> pd.DataFrame:
    """Estimates and intervals of every player by estimator and budget (one run each).

    Parameters
    ----------
    game : Game
    estimators : list of names (``"permutation"``, ``"antithetic"``, ``"stratified"``,
        ``"kernel"``) or estimator objects
    budgets : list of int
        Game evaluations per run. A budget below an estimator's minimum is left out
        and listed in ``frame.attrs["skipped"]``.
    level : float, default 0.95
        Interval level (`ShapleyResult.interval`).
    random_state : int, Generator or None
        Each run gets its own stream spawned from this seed.

    Returns
    -------
    DataFrame
        One row per (estimator, budget, player): ``value``, ``stderr``, ``ci_low``,
        ``ci_high``, ``n_evaluations`` and ``exact`` (the budget covered every
        coalition). `attribution_lab.plot.plot_convergence` draws it.

    Examples
    --------
    >>> from attribution_lab.shapley import GloveGame
    >>> conv = convergence(GloveGame(1, 2), ["permutation"], [4, 6, 20], random_state=0)
    >>> conv.groupby("budget")["exact"].first().to_dict()  # 2^3 = 8 coalitions
    {6: False, 20: True}
    >>> conv.attrs["skipped"][0][:60]  # 4 is below the minimum of 2 permutations
    'permutation at 4: PermutationSampling of 3 players needs a b'

    """
    if isinstance(estimators, str):
        estimators = [estimators]
    named = []
    for est in estimators:
        if isinstance(est, str):
            if est not in _BY_NAME:
                raise ValueError(f"unknown estimator {est!r}; choose from {', '.join(_BY_NAME)}")
            named.append((est, _BY_NAME[est]()))
        elif isinstance(est, _SamplingEstimator):
            named.append((est.name, est))
        else:
            raise TypeError(f"estimators must be names or sampling estimators, got {est!r}")
    budgets = [_check_int(b, "budget", 1) for b in budgets]
    seeds = np.random.SeedSequence(check_random_state(random_state).integers(2**63)).spawn(
        len(named) * len(budgets)
    )
    frames, skipped = [], []
    for k, (name, est) in enumerate(named):
        for j, budget in enumerate(budgets):
            try:
                res = est.estimate(
                    game, budget, random_state=np.random.default_rng(seeds[k * len(budgets) + j])
                )
            except ValueError as exc:
                if "needs a budget of at least" not in str(exc):
                    raise
                skipped.append(f"{name} at {budget}: {exc}")
                continue
            low, high = res.interval(level)
            frames.append(
                pd.DataFrame(
                    {
                        "estimator": name,
                        "budget": budget,
                        "player": list(res.player_names),
                        "value": res.values,
                        "stderr": np.zeros(res.values.size) if res.stderr is None else res.stderr,
                        "ci_low": low,
                        "ci_high": high,
                        "n_evaluations": res.n_evaluations,
                        "exact": res.exact,
                    }
                )
            )
    if not frames:
        raise ValueError("every budget is below the estimators' minimum: " + "; ".join(skipped))
    out = pd.concat(frames, ignore_index=True)
    out.attrs["skipped"] = skipped
    return out
