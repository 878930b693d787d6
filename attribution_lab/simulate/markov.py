"""A world whose journeys are walks of a known absorbing Markov chain."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from .._validation import check_random_state
from ..journeys import Journeys
from ..markov.chain import MarkovChain, removal_effects
from ..markov.simulate import walk_table
from .base import GroundTruth, Simulation, World, check_n_journeys

__all__ = ["MarkovWorld"]


class MarkovWorld(World):
    """Journeys drawn as random walks of a known absorbing Markov chain.

    Parameters
    ----------
    chain : MarkovChain
        The true chain. Its ``counts`` are read as transition weights (rows are
        normalised); its ``conversion_value`` (if any) as the expected value of the
        conversions entered from each state, in the same units, so that
        ``conversion_value[s] / row total of s`` is the expected value converted in one
        step from s. States must not loop to themselves.
    value_sigma : float, default 0.5
        Conversion values are the state's mean value times a log-normal factor with
        mean 1 and this log-scale spread.
    max_steps : int, default 1000
        Walks still running after this many steps end as nulls (counted in ``params``).

    Notes
    -----
    A walk from ``(start)`` emits the channels of its first state, then the last channel
    of every later state, until it is absorbed: the path's states under the chain's
    order are then exactly the states walked, so a model of the same order fitted to
    the journeys estimates this chain. The truth is the chain's exact removal effects
    (`attribution_lab.markov.removal_effects`), credit ``total * RE_c / sum(RE)``, and
    likewise for value; a model of the right order converges to it as journeys grow.
    Anderl et al. (2016) introduced the removal effect; the walk is the one
    ChannelAttribution simulates on its fitted chain.

    References
    ----------
    Anderl, E., Becker, I., von Wangenheim, F., & Schumann, J. H. (2016). Mapping the
    customer journey: Lessons learned from graph-based online attribution modeling.
    International Journal of Research in Marketing, 33(3), 457-474.

    Examples
    --------
    >>> world = MarkovWorld.random(n_channels=4, random_state=1)
    >>> journeys, truth = world.simulate(2000, random_state=0)
    >>> journeys.n_journeys, truth.estimand, round(float(truth.share.sum()), 6)
    (2000, 'removal_effect', 1.0)
    """

    name = "markov"

    def __init__(self, chain: MarkovChain, value_sigma: float = 0.5, max_steps: int = 1000) -> None:
        if not isinstance(chain, MarkovChain):
            raise TypeError(f"chain must be a MarkovChain, got {type(chain).__name__}")
        diag = chain.counts.diagonal()[1 : chain.n_states + 1]
        if np.any(diag > 0):
            bad = chain.state_names[int(np.flatnonzero(diag > 0)[0])]
            raise ValueError(f"state {bad!r} loops to itself; merged repeats cannot be observed")
        if not value_sigma >= 0:
            raise ValueError(f"value_sigma must be >= 0, got {value_sigma!r}")
        if (
            isinstance(max_steps, bool)
            or not isinstance(max_steps, (int, np.integer))
            or max_steps < 1
        ):
            raise ValueError(f"max_steps must be a positive integer, got {max_steps!r}")
        self.chain = chain
        self.value_sigma = float(value_sigma)
        self.max_steps = int(max_steps)
        self._repr_params = {"order": chain.order, "channels": len(chain.channel_names)}

    # ------------------------------------------------------------------ construction
    @classmethod
    def random(
        cls,
        n_channels: int = 6,
        order: int = 1,
        *,
        mean_length: float = 4.0,
        conversion_rate: float = 0.1,
        concentration: float = 0.5,
        value: bool = True,
        random_state: Any = None,
        **kwargs: Any,
    ) -> MarkovWorld:
        """A random chain of order 1 or 2 over `n_channels` channels.

        Parameters
        ----------
        n_channels : int, default 6
        order : {1, 2}, default 1
        mean_length : float, default 4.0
            Expected number of states a walk visits (each state ends the walk with
            probability ``1 / mean_length``).
        conversion_rate : float, default 0.1
            Mean probability that an ending walk converts; each state's own probability
            is drawn around it, so channels differ in how often they close.
        concentration : float, default 0.5
            Dirichlet concentration of each state's next-channel probabilities (small:
            a few strong transitions; large: nearly uniform).
        value : bool, default True
            Give conversions values whose mean depends on the last channel (25 to 400).
        random_state : int, Generator or None
        **kwargs
            Passed to the constructor (``value_sigma``, ``max_steps``).
        """
        import scipy.sparse as sp

        if order not in (1, 2):
            raise ValueError(f"order must be 1 or 2, got {order!r}")
        if (
            isinstance(n_channels, bool)
            or not isinstance(n_channels, (int, np.integer))
            or n_channels < 2
        ):
            raise ValueError(f"n_channels must be an integer >= 2, got {n_channels!r}")
        if not mean_length > 1:
            raise ValueError(f"mean_length must be > 1, got {mean_length!r}")
        if not 0 < conversion_rate < 1:
            raise ValueError(f"conversion_rate must be in (0, 1), got {conversion_rate!r}")
        if not concentration > 0:
            raise ValueError(f"concentration must be > 0, got {concentration!r}")
        rng = check_random_state(random_state)
        n = int(n_channels)
        names = tuple(f"c{k}" for k in range(n))
        if order == 1:
            state_channels = np.arange(n, dtype=np.int32)[:, None]
            can_continue = np.ones(n, dtype=bool)
        else:
            singles = np.column_stack([np.arange(n), np.full(n, -1)])
            pairs = np.array([(a, b) for a in range(n) for b in range(n)])
            state_channels = np.vstack([singles, pairs]).astype(np.int32)
            can_continue = state_channels[:, 1] >= 0  # a 1-window path never continues
        m = state_channels.shape[0]
        last = np.where(state_channels[:, -1] >= 0, state_channels[:, -1], state_channels[:, 0])
        # states closing more often: per-channel conversion odds, jittered per state
        channel_close = rng.lognormal(0.0, 0.8, size=n)
        close = channel_close[last] * rng.lognormal(0.0, 0.3, size=m)
        p_conv = np.clip(conversion_rate * close / close.mean(), 0.0, 0.95)
        stop = 1.0 / mean_length
        rows, cols, vals = [], [], []
        # start: first states, popular channels first
        popularity = rng.dirichlet(np.full(m, 1.0))
        if order == 2:
            # most paths are longer than one touch
            popularity[:n] *= 0.15
            popularity /= popularity.sum()
        rows += [0] * m
        cols += list(range(1, m + 1))
        vals += popularity.tolist()
        if order == 1:
            nxt_state = np.arange(n)[None, :].repeat(n, axis=0)  # next channel = next state
        else:
            # window (a, b) followed by channel c is window (b, c) = pair index n + b*n + c
            b = state_channels[:, 1]
            nxt_state = n + b[:, None] * n + np.arange(n)[None, :]
        for s in range(m):
            if not can_continue[s]:
                go = 0.0
            else:
                go = 1.0 - stop
            probs = np.zeros(n)
            targets = nxt_state[s]
            allowed = targets != s  # no self-loops
            if go > 0:
                w = rng.dirichlet(np.full(int(allowed.sum()), concentration))
                probs[allowed] = go * w
            end = 1.0 - probs.sum()
            for c in np.flatnonzero(probs > 0):
                rows.append(s + 1)
                cols.append(int(targets[c]) + 1)
                vals.append(float(probs[c]))
            rows += [s + 1, s + 1]
            cols += [m + 1, m + 2]
            vals += [end * p_conv[s], end * (1.0 - p_conv[s])]
        size = m + 3
        counts = sp.csr_array((vals, (rows, cols)), shape=(size, size))
        counts.sum_duplicates()
        conversion_value = None
        if value:
            mean_value = np.exp(rng.uniform(np.log(25.0), np.log(400.0), size=n))
            p_in = counts[: m + 1][:, [m + 1]].toarray().ravel()
            conversion_value = np.zeros(m + 1)
            conversion_value[1:] = p_in[1:] * mean_value[last]
        state_names = tuple(
            " > ".join(names[c] for c in row if c >= 0) for row in state_channels.tolist()
        )
        chain = MarkovChain(order, names, state_names, state_channels, counts, conversion_value)
        return cls(chain, **kwargs)

    # ------------------------------------------------------------------ truth
    def truth(self, total_conversions: float = 1.0, total_value: float = 0.0) -> GroundTruth:
        """Exact removal effects of the chain, credit scaled to the given totals."""
        effects, p = removal_effects(self.chain)
        details = {"removal_effect": effects}
        share = effects / effects.sum() if effects.sum() > 0 else np.zeros_like(effects)
        value_share = share
        if self.chain.conversion_value is not None:
            v_effects, _ = removal_effects(self.chain, value=True)
            details["value_removal_effect"] = v_effects
            if v_effects.sum() > 0:
                value_share = v_effects / v_effects.sum()
        return GroundTruth(
            self.chain.channel_names,
            "removal_effect",
            total_conversions * share,
            total_value * value_share,
            total_conversions=total_conversions,
            total_value=total_value,
            description=(
                f"exact removal effects of the order-{self.chain.order} chain that generated"
                f" the journeys (P(conversion) = {p:.6g}); credit = total x RE / sum(RE)"
            ),
            details=details,
        )

    # ------------------------------------------------------------------ sampling
    def simulate(self, n_journeys: int, random_state: Any = None) -> Simulation:
        """Draw `n_journeys` walks from ``(start)``.

        Parameters
        ----------
        n_journeys : int
        random_state : int, Generator or None

        Returns
        -------
        Simulation
            Raw journeys (one per walk: 1 conversion or 1 null) and the truth scaled to
            their totals.
        """
        n_journeys = check_n_journeys(n_journeys)
        rng = check_random_state(random_state)
        chain = self.chain
        cum, dest = walk_table(chain)
        m = chain.n_states
        conv_state = m + 1
        width = np.maximum((chain.state_channels >= 0).sum(axis=1), 1)
        # visits as (walker, step, state), appended step by step for all walkers at once
        walkers, states, first = [], [], []
        state = np.zeros(n_journeys, dtype=np.int64)
        alive = np.arange(n_journeys)
        outcome = np.zeros(n_journeys, dtype=np.int64)
        last_state = np.zeros(n_journeys, dtype=np.int64)
        for step in range(self.max_steps):
            cur = state[alive]
            nxt = dest[np.searchsorted(cum, cur + rng.random(alive.size), side="right")]
            state[alive] = nxt
            moving = nxt <= m
            walkers.append(alive[moving])
            states.append(nxt[moving] - 1)
            first.append(np.full(int(moving.sum()), step == 0))
            last_state[alive[moving]] = nxt[moving] - 1
            outcome[alive[~moving]] = nxt[~moving]
            alive = alive[moving]
            if alive.size == 0:
                break
        truncated = int(alive.size)
        if truncated:
            outcome[alive] = conv_state + 1
            warnings.warn(
                f"{truncated} walks were still running after {self.max_steps} steps and end"
                " as nulls",
                RuntimeWarning,
                stacklevel=2,
            )
        walker = np.concatenate(walkers)
        visited = np.concatenate(states)
        is_first = np.concatenate(first)
        order = np.argsort(walker, kind="stable")  # step order is kept within a walker
        walker, visited, is_first = walker[order], visited[order], is_first[order]
        # the first state emits all its channels, every later one its last channel
        emit = np.where(is_first, width[visited], 1)
        touch_state = np.repeat(visited, emit)
        starts = np.cumsum(emit) - emit
        pos = np.arange(touch_state.size) - np.repeat(starts, emit)
        col = np.where(np.repeat(is_first, emit), pos, width[touch_state] - 1)
        channels = chain.state_channels[touch_state, col]
        lengths = np.bincount(walker, weights=emit, minlength=n_journeys).astype(np.int64)
        offsets = np.zeros(n_journeys + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        converted = outcome == conv_state
        value = np.zeros(n_journeys)
        if chain.conversion_value is not None:
            totals = np.asarray(chain.counts.sum(axis=1)).ravel()[1 : m + 1]
            p_conv = chain.counts[1 : m + 1][:, [conv_state]].toarray().ravel() / totals
            mean = np.divide(
                chain.conversion_value[1:] / totals, p_conv, out=np.zeros(m), where=p_conv > 0
            )
            s = self.value_sigma
            factor = rng.lognormal(-0.5 * s * s, s, size=int(converted.sum()))
            value[converted] = mean[last_state[converted]] * factor
        conversions = converted.astype(np.float64)
        journeys = Journeys(
            channels, offsets, chain.channel_names, conversions, 1.0 - conversions, value
        )
        truth = self.truth(journeys.n_conversions, journeys.total_value)
        return Simulation(
            journeys,
            truth,
            {truth.estimand: truth},
            world=self.name,
            params={"order": chain.order, "n_states": m, "truncated_walks": truncated},
        )
