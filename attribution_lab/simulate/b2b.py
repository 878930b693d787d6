"""A B2B account world: buying committees, long cycles, lead / opportunity / closed-won."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..journeys import MILESTONES
from ._draws import CausalDraw, _expected_touches, _number, _Units
from .causal import CausalWorld

__all__ = ["AccountWorld"]


class AccountWorld(CausalWorld):
    r"""Accounts whose several contacts are touched over a long sales cycle.

    A journey is an account: the touches of all its contacts merged in time order,
    ending in closed-won (a conversion, with the deal's revenue as value) or not.

    Parameters
    ----------
    rates, effects, half_lives, intercept, **kwargs
        As `CausalWorld`, with rates per contact and day; intent is the account's.
    window : float, default 180.0
        Length of the sales cycle in days; the deal is decided at its end.
    mean_extra_contacts : float, default 1.5
        Each account has 1 + Poisson(this) contacts (its buying committee).
    contact_spread : float, default 0.5
        Contacts join the cycle at a uniform time in the first ``contact_spread`` of the
        window, and are touched from then on.
    lead_channels, opportunity_channels : sequence of str, optional
        Channels whose touch can create the lead (default all: but an anonymous ad
        impression creates none) and the opportunity (default all).
    value_size_elasticity : float, default 0.8
        Mean revenue grows as ``contacts ** value_size_elasticity``: larger accounts have
        larger committees and larger deals.

    Notes
    -----
    As `CausalWorld`, with journeys = accounts: account a has intent :math:`u_a` shared
    by its :math:`k_a` contacts; contact i joins at :math:`s_i` and receives organic
    touches of channel c at rate :math:`r_c \exp(\alpha_c u_a - \alpha_c^2/2)` on
    :math:`[s_i, T]`. The deal closes with probability :math:`p_a(S)` (the formula of
    `CausalWorld` summed over all contacts' touches); revenue is log-normal with mean

    .. math:: m_a(S) = \bar m\, k_a^{\epsilon}
              \exp\Big(\eta u_a + \sum_c \delta_c x_{ac}(S)\Big).

    Milestones are labels of the realised touches, not causes: ``lead`` flags the
    account's first touch on a lead channel, ``opportunity`` its first touch on an
    opportunity channel after the lead, ``closed_won`` the last touch of a won account
    (where the full-path rule puts its fourth anchor). An account may lack some of them.
    The truths are those of `CausalWorld`, on closed-won deals and revenue.

    Examples
    --------
    >>> world = AccountWorld([0.02, 0.01], [0.3, 0.8], [30, 60], -3.0,
    ...                      channel_names=["email", "sales"], lead_channels=["email"],
    ...                      opportunity_channels=["sales"])
    >>> sim = world.simulate(500, random_state=0)
    >>> sim.journeys.account[:3].tolist(), sorted(sim.journeys.milestones)
    ([0, 1, 2], ['closed_won', 'lead', 'opportunity'])
    >>> list(sim.events.columns)  # doctest: +NORMALIZE_WHITESPACE
    ['journey', 'position', 'channel', 'time', 'contact', 'caused_by', 'lead', 'opportunity',
     'closed_won', 'converted', 'value']
    """

    name = "account"

    def __init__(
        self,
        rates: Sequence[float],
        effects: Sequence[float],
        half_lives: float | Sequence[float],
        intercept: float,
        *,
        window: float = 180.0,
        mean_extra_contacts: float = 1.5,
        contact_spread: float = 0.5,
        lead_channels: Sequence[str] | None = None,
        opportunity_channels: Sequence[str] | None = None,
        value_size_elasticity: float = 0.8,
        **kwargs: Any,
    ) -> None:
        super().__init__(rates, effects, half_lives, intercept, window=window, **kwargs)
        self.mean_extra_contacts = _number(
            mean_extra_contacts, "mean_extra_contacts", 0.0, strict=False
        )
        self.contact_spread = _number(contact_spread, "contact_spread", 0.0, strict=False)
        if self.contact_spread >= 1:
            raise ValueError(
                f"contact_spread must be in [0, 1) (a share of the window), got {contact_spread!r}"
            )
        self.lead_channels = self._channel_set(lead_channels, "lead_channels")
        self.opportunity_channels = self._channel_set(opportunity_channels, "opportunity_channels")
        self.value_size_elasticity = _number(value_size_elasticity, "value_size_elasticity")
        self._repr_params = {"channels": self.n_channels, "window": self.window}

    def _channel_set(self, names: Sequence[str] | None, what: str) -> np.ndarray:
        if names is None:
            return np.ones(self.n_channels, dtype=bool)
        if isinstance(names, str):
            raise ValueError(f"{what} must be a sequence of channel names, got {names!r}")
        unknown = [c for c in names if c not in self.channel_names]
        if unknown:
            raise ValueError(f"{what}: unknown channels {unknown}")
        if not names:
            raise ValueError(f"{what} must name at least one channel")
        return np.isin(np.array(self.channel_names), list(names))

    def channel_table(self) -> pd.DataFrame:
        """Per-channel parameters, with the channels that create leads and opportunities."""
        table = super().channel_table()
        table["lead"] = self.lead_channels
        table["opportunity"] = self.opportunity_channels
        return table

    # ------------------------------------------------------------------ drawing
    def _draw_units(self, rng: np.random.Generator, m: int) -> _Units:
        """m accounts, their contacts and the contacts' organic touch counts."""
        intent = rng.standard_normal(m)
        size = 1 + rng.poisson(self.mean_extra_contacts, size=m)
        account = np.repeat(np.arange(m), size)
        start = rng.random(account.size) * (self.contact_spread * self.window)
        lam = _expected_touches(
            self.rates, self.window - start, intent[account], self.intent_exposure
        )
        return _Units(
            intent, size, account, start, np.full(account.size, self.window), rng.poisson(lam)
        )

    def _base(self, draw: CausalDraw) -> tuple[np.ndarray, np.ndarray]:
        base, log_value = super()._base(draw)
        return base, log_value + self.value_size_elasticity * np.log(draw.size)

    # ------------------------------------------------------------------ outputs
    def _milestones(self, draw: CausalDraw, converted: np.ndarray) -> dict[str, np.ndarray]:
        n_touch = draw.journey.size
        position = np.arange(n_touch)

        def first_flag(candidate: np.ndarray) -> np.ndarray:
            # touches are sorted by journey: a journey's first candidate comes first
            idx = np.flatnonzero(candidate)
            _, first = np.unique(draw.journey[idx], return_index=True)
            flags = np.zeros(n_touch, dtype=bool)
            flags[idx[first]] = True
            return flags

        lead = first_flag(self.lead_channels[draw.channel])
        lead_at = np.full(draw.n_journeys, n_touch)
        lead_at[draw.journey[lead]] = position[lead]
        opportunity = first_flag(
            self.opportunity_channels[draw.channel] & (position > lead_at[draw.journey])
        )
        won = np.zeros(n_touch, dtype=bool)
        won[(draw.offsets[1:] - 1)[converted]] = True
        return dict(zip(MILESTONES, (lead, opportunity, won), strict=True))

    def _event_extras(
        self, draw: CausalDraw, milestones: Mapping[str, np.ndarray]
    ) -> dict[str, Any]:
        return {"contact": draw.contact}

    def _journey_extras(self, draw: CausalDraw) -> dict[str, Any]:
        return {"account": np.arange(draw.n_journeys)}
