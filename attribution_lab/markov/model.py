"""MarkovAttribution: removal-effect attribution on an absorbing Markov chain of journeys."""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # imported where used, not with the package
    import networkx as nx

from .._validation import check_level
from ..base import AttributionModel, register_model
from ..journeys import Journeys
from ..result import AttributionResult
from .chain import CONVERSION, NULL, START, MarkovChain, _removal_effects, fit_chain
from .simulate import WalkEstimate, simulate_removal_effects

__all__ = ["MarkovAttribution", "chain_graph"]

# parameters of the random-walk estimate (removal="simulate") that the exact solve ignores
_SIMULATION_PARAMS = ("tol", "batch_size", "max_walks", "max_steps", "random_state")


def chain_graph(chain: MarkovChain) -> nx.DiGraph:
    """The transition graph of `chain` as a networkx DiGraph.

    Nodes are ``"(start)"``, the channel states (named like ``"A"`` or, for higher orders,
    ``"A > B"``), ``"(conversion)"`` and ``"(null)"``, with attributes ``kind`` (start,
    state, conversion or null) and ``channels`` (tuple of channel names). Edges carry the
    weighted transition ``count`` and the ``probability`` (count over the source's total).

    Examples
    --------
    >>> from attribution_lab.markov import fit_chain
    >>> g = chain_graph(fit_chain(Journeys.from_paths(["A > B"], conversions=[1])))
    >>> sorted(g.edges(data="probability"))
    [('(start)', 'A', 1.0), ('A', 'B', 1.0), ('B', '(conversion)', 1.0)]
    """
    import networkx as nx

    graph = nx.DiGraph(order=chain.order)
    names = chain.index
    graph.add_node(START, kind="start", channels=())
    for name, row in zip(chain.state_names, chain.state_channels.tolist(), strict=True):
        graph.add_node(
            name, kind="state", channels=tuple(chain.channel_names[c] for c in row if c >= 0)
        )
    graph.add_node(CONVERSION, kind="conversion", channels=())
    graph.add_node(NULL, kind="null", channels=())
    counts = chain.counts.tocoo()
    probs = chain.probabilities
    p = probs[counts.row, counts.col]
    src, dst = names[counts.row], names[counts.col]
    graph.add_edges_from(
        (s, d, {"count": float(c), "probability": float(q)})
        for s, d, c, q in zip(src, dst, counts.data, np.asarray(p).ravel(), strict=True)
    )
    return graph


@register_model
class MarkovAttribution(AttributionModel):
    """Credit by removal effects in an absorbing Markov chain of the journeys.

    Parameters
    ----------
    order : int, default 1
        States are windows of `order` consecutive channels (ChannelAttribution's
        convention); a path shorter than `order` is one state of the whole path.
    removal : {"exact", "simulate"}, default "exact"
        Solve the absorbing chain exactly, or estimate removal effects from random walks
        (to see how large simulation noise is next to the exact answer).
    solver : {"auto", "direct", "iterative"}, default "auto"
        How the exact removal effects are solved: one dense inverse of the chain for every
        channel (chains of up to 2,000 states, 5,000 at order 1, under "auto"), or
        Gauss-Seidel sweeps for all channels at once with a certified error bound (larger
        chains). See `attribution_lab.markov.removal_effects`.
    collapse_repeats : bool, default False
        Merge consecutive touches of the same channel before building states. For order 1
        this changes nothing, since repeated states merge anyway.
    tol, batch_size, max_walks, max_steps
        Simulation only: stop when every removal effect's standard error is at most `tol`;
        walkers per batch; most walks; most steps per walk. See
        `attribution_lab.markov.simulate_removal_effects`.
    random_state : int, Generator or None
        Seed of the simulation.
    ci_level : float, default 0.95
        Coverage of the normal intervals of simulated credit.
    progress : bool, default False
        Show a tqdm bar on stderr while removal effects are solved (blocks of channels of
        a large chain) or walks simulated.

    A parameter that cannot act given the others is refused (ValueError) when set to
    other than its default: `solver` acts only with ``removal="exact"``; `tol`,
    `batch_size`, `max_walks`, `max_steps`, `random_state` and `ci_level` only with
    ``removal="simulate"``; `collapse_repeats` only from order 2 on.

    Attributes
    ----------
    chain_ : MarkovChain
    states_ : pandas.Index
        Names of the rows and columns of `transition_matrix_`: ``(start)``, the channel
        states, ``(conversion)``, ``(null)``.
    transition_matrix_ : scipy.sparse.csr_array
        Row-stochastic transition probabilities (absorbing states loop to themselves).
    transition_counts_ : scipy.sparse.csr_array
        Weighted transition counts.
    graph_ : networkx.DiGraph
        The same chain as a graph (built on first access), see `chain_graph`.
    conversion_probability_ : float
        Probability that a walk from ``(start)`` converts; equals the observed conversion
        rate of the journeys, for every order.
    removal_effects_ : pandas.Series
        Removal effect of each channel, in [0, 1].
    value_removal_effects_ : pandas.Series
        Loss of expected conversion value when the channel is removed (equal to
        `removal_effects_` when the journeys carry no value).
    removal_effects_stderr_ : pandas.Series or None
        Standard errors of simulated removal effects (None for the exact solve).
    solver_ : dict or None
        For the exact solve: ``method`` ("direct" or "iterative") and ``error_bound``, a
        certified bound on the absolute error of every removal effect (0 for direct).
    simulation_ : WalkEstimate or None
        Everything the simulation measured (walks, conversions, truncated walks).

    Notes
    -----
    The removal effect of channel c is
    :math:`RE_c = 1 - P(\\text{conversion} \\mid c \\text{ removed}) / P(\\text{conversion})`,
    where removal redirects every transition into a state containing c to ``(null)``.
    It equals the probability that a converting walk visits c, so it lies in [0, 1] and
    is 0 for a channel that never reaches a conversion. Channel c is credited
    :math:`C \\cdot RE_c / \\sum_d RE_d` of the total conversions C, and its share of the
    total value by the value removal effects (a conversion worth the mean value of those
    entered from the same state), as ChannelAttribution does with ``var_value``.

    Without non-converting journeys every walk converts; removal effects then measure how
    many walks pass through each channel (its reach among converters), not what the
    channel adds, and the model warns.

    References
    ----------
    Anderl, E., Becker, I., von Wangenheim, F., & Schumann, J. H. (2016). Mapping the
    customer journey: Lessons learned from graph-based online attribution modeling.
    International Journal of Research in Marketing, 33(3), 457-474.

    Altomare, D., & Loris, D. ChannelAttribution: Markov model for online multi-channel
    attribution (R and Python package).

    Examples
    --------
    >>> j = Journeys.from_paths(
    ...     ["A > B > C", "A > C", "B", "C > A", "B > C > C"],
    ...     conversions=[3, 1, 0, 2, 1], nulls=[2, 4, 5, 1, 0])
    >>> model = MarkovAttribution().fit(j)
    >>> round(model.conversion_probability_ * 19, 9)
    7.0
    >>> model.removal_effects_.round(6).tolist()
    [0.679963, 0.364414, 0.78022]
    >>> model.attribute().conversions.round(6).tolist()
    [2.608653, 1.398061, 2.993285]
    """

    name = "markov"
    estimand = "removal_effect"
    summary = "removal effects of an absorbing Markov chain of order k (exact solve or simulated)"

    def __init__(
        self,
        order: int = 1,
        removal: str = "exact",
        solver: str = "auto",
        collapse_repeats: bool = False,
        tol: float = 2e-3,
        batch_size: int = 100_000,
        max_walks: int = 10_000_000,
        max_steps: int = 10_000,
        random_state: int | np.random.Generator | None = None,
        ci_level: float = 0.95,
        progress: bool = False,
    ) -> None:
        self.order = order
        self.removal = removal
        self.solver = solver
        self.collapse_repeats = collapse_repeats
        self.tol = tol
        self.batch_size = batch_size
        self.max_walks = max_walks
        self.max_steps = max_steps
        self.random_state = random_state
        self.ci_level = ci_level
        self.progress = progress

    def _validate_params(self) -> None:
        if isinstance(self.order, bool) or not isinstance(self.order, (int, np.integer)):
            raise TypeError(f"order must be a positive integer, got {self.order!r}")
        if self.order < 1:
            raise ValueError(f"order must be a positive integer, got {self.order!r}")
        if self.removal not in ("exact", "simulate"):
            raise ValueError(f"removal must be 'exact' or 'simulate', got {self.removal!r}")
        if self.solver not in ("auto", "direct", "iterative"):
            raise ValueError(f"solver must be 'auto', 'direct' or 'iterative', got {self.solver!r}")
        if not isinstance(self.collapse_repeats, (bool, np.bool_)):
            raise TypeError(
                f"collapse_repeats must be True or False, got {self.collapse_repeats!r}"
            )
        check_level(self.ci_level)
        if not isinstance(self.progress, (bool, np.bool_)):
            raise TypeError(f"progress must be True or False, got {self.progress!r}")

    def _inert_params(self, journeys: Journeys) -> dict[str, str]:
        # Only the other parameters decide, never the journeys: a refusal that depended on
        # them (collapse_repeats on paths without repeats, an order above the longest path)
        # could strike one bootstrap replicate and spare the next.
        inert = {}
        if self.removal == "exact":
            walks = (
                "removal=exact solves the chain without random walks; it acts with removal=simulate"
            )
            inert = dict.fromkeys(_SIMULATION_PARAMS, walks)
            inert["ci_level"] = (
                "removal=exact has no simulation error, so no intervals; it acts with"
                " removal=simulate (bootstrap intervals have a level of their own)"
            )
        else:
            inert["solver"] = (
                "removal=simulate estimates removal effects from random walks; it acts with"
                " removal=exact"
            )
        if self.order == 1:
            inert["collapse_repeats"] = (
                "at order 1 consecutive repeats of a channel are one state anyway; it acts"
                " from order=2 on"
            )
        return inert

    def _fit(self, journeys: Journeys) -> None:

        if journeys.n_conversions <= 0:
            raise ValueError(
                "the journeys have no conversions, so no channel can be credited with any;"
                " removal effects are undefined"
            )
        if journeys.n_nulls == 0:
            warnings.warn(
                "the journeys have no non-converting paths (all nulls are 0): every walk of the"
                " chain converts, so removal effects measure how often converting paths pass"
                " through each channel, not what the channel adds",
                UserWarning,
                stacklevel=3,
            )
        chain = fit_chain(journeys, self.order, collapse_repeats=bool(self.collapse_repeats))
        self.chain_ = chain
        self.states_ = chain.index
        self.transition_counts_ = chain.counts
        self.transition_matrix_ = chain.probabilities
        self._graph: nx.DiGraph | None = None
        names = pd.Index(journeys.channel_names, name="channel")
        has_value = chain.conversion_value is not None
        self.simulation_: WalkEstimate | None = None
        self.solver_: dict[str, Any] | None = None
        if self.removal == "exact":
            effects, totals, self.solver_ = _removal_effects(
                chain, (False, True) if has_value else (False,), self.solver, bool(self.progress)
            )
            self.conversion_probability_ = float(totals[0])
            re, re_value = effects[:, 0], effects[:, -1]
            self.removal_effects_stderr_ = None
            self._shares_stderr = None
        else:
            est = simulate_removal_effects(
                chain,
                tol=self.tol,
                batch_size=self.batch_size,
                max_walks=self.max_walks,
                max_steps=self.max_steps,
                random_state=self.random_state,
                progress=bool(self.progress),
            )
            self.simulation_ = est
            self.conversion_probability_ = est.p_conversion
            re = est.effects
            re_value = est.value_effects if est.value_effects is not None else re
            self.removal_effects_stderr_ = pd.Series(
                est.effects_stderr, index=names, name="removal_effect_stderr"
            )
            self._shares_stderr = est.shares_stderr
        if re.sum() <= 0:
            raise ValueError(
                "no walk of the chain reaches a conversion, so every removal effect is 0;"
                " the journeys' conversions could not be placed in the chain"
            )
        self.removal_effects_ = pd.Series(re, index=names, name="removal_effect")
        self.value_removal_effects_ = pd.Series(re_value, index=names, name="value_removal_effect")

    @property
    def graph_(self) -> nx.DiGraph:
        """The fitted chain as a networkx DiGraph (see `chain_graph`), built on first use."""

        if not hasattr(self, "chain_"):
            raise AttributeError("graph_ exists after fit(journeys)")
        if self._graph is None:
            self._graph = chain_graph(self.chain_)
        return self._graph

    def plot_graph(self, ax: Any = None, *, top: int = 25, min_probability: float = 0.0) -> Any:
        """The `top` most probable transitions of the fitted chain, see
        `attribution_lab.plot.plot_transition_graph`."""
        from ..plot import plot_transition_graph

        return plot_transition_graph(self.graph_, ax, top=top, min_probability=min_probability)

    def _attribute(self, journeys: Journeys) -> AttributionResult:
        if set(journeys.channel_names) != set(self.channel_names_):
            new = sorted(set(journeys.channel_names) - set(self.channel_names_))
            gone = sorted(set(self.channel_names_) - set(journeys.channel_names))
            raise ValueError(
                "the chain's credit shares apply to journeys over the same channels; "
                + (
                    f"channel {new[0]!r} was not in the fitted journeys"
                    if new
                    else f"channel {gone[0]!r} of the fitted journeys is missing"
                )
            )
        re = self.removal_effects_.reindex(journeys.channel_names).to_numpy()
        re_value = self.value_removal_effects_.reindex(journeys.channel_names).to_numpy()
        share = re / re.sum()
        value_share = re_value / re_value.sum() if re_value.sum() > 0 else share
        total = journeys.n_conversions
        extra: dict[str, Any] = {}
        details = {"removal_effect": re}
        if self.removal_effects_stderr_ is not None:
            se = (
                total
                * pd.Series(self._shares_stderr, index=self.channel_names_)
                .reindex(journeys.channel_names)
                .to_numpy()
            )
            from scipy.stats import norm

            z = norm.ppf(0.5 + self.ci_level / 2)
            credit = total * share
            extra = {
                "stderr": se,
                "ci_low": credit - z * se,
                "ci_high": credit + z * se,
                "ci_level": float(self.ci_level),
                "n_evaluations": self.simulation_.n_walks,
                "estimated": True,
            }
            details["removal_effect_stderr"] = self.removal_effects_stderr_.reindex(
                journeys.channel_names
            ).to_numpy()
        return self._result(
            journeys, total * share, journeys.total_value * value_share, details=details, **extra
        )
