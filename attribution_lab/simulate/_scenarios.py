"""The scenario table: every named world, its parameters and what it is built to expose.

One row per scenario, read by `make_world` and `scenarios`. The parameters are part of
the results committed under ``benchmarks/results/`` and of the tests: changing one
changes the journeys every seed draws.
"""

from __future__ import annotations

import numpy as np

from .b2b import AccountWorld
from .base import Scenario, _add_scenario
from .causal import CausalWorld
from .coalition import CoalitionWorld
from .hazard import HazardWorld
from .markov import MarkovWorld
from .point_process import PointProcessWorld

_LN2 = float(np.log(2.0))

# The point-process worlds: display and social trigger brand searches, email triggers direct
# visits (alpha[source][target]; every other pair 0).
_POINT_PROCESS = dict(
    mu=[0.05, 0.03, 0.005, 0.03, 0.005],
    alpha=[
        [0.0, 0.0, 0.5, 0.0, 0.0],
        [0.0, 0.0, 0.4, 0.0, 0.0],
        [0.0, 0.0, 0.0, 0.0, 0.0],
        [0.0, 0.0, 0.0, 0.0, 0.5],
        [0.0, 0.0, 0.0, 0.0, 0.0],
    ],
    decay=[0.5, 0.5, 1.0, 0.5, 1.0],
    baseline=0.0002,
    beta=[0.003, 0.003, 0.03, 0.008, 0.02],
    omega=_LN2 / np.array([7.0, 7.0, 1.0, 3.0, 0.5]),
    window=30.0,
    channel_names=["display", "social", "brand_search", "email", "direct"],
)

_TABLE: dict[str, Scenario] = {
    "independent": Scenario(
        CausalWorld,
        "four channels whose touches all have the same decaying effect; no confounding, synergy"
        " or mediation. Built to be the easy case where models roughly agree with the truth.",
        dict(
            rates=[0.03, 0.04, 0.05, 0.06],
            effects=0.3,
            half_lives=7.0,
            intercept=-3.5,
            channel_names=["search", "social", "email", "display"],
        ),
        world_name="independent",
        notes="""Every touch of every channel adds the same logit effect (0.3, 7-day half-life).

    Channels differ only in how often they touch, and effects add on the logit scale
    with a low base rate, so credit in proportion to touches is close to right: rules
    and data-driven models should roughly agree with the truth and with each other. The
    sanity check before the scenarios built to break them.
    """,
    ),
    "decay": Scenario(
        CausalWorld,
        "three channels alike except for their half-lives (2, 7 and 30 days; world.half_lives)"
        " over a 60-day window. Built to calibrate the time-decay half-life against a known one.",
        dict(
            rates=[0.05, 0.05, 0.05],
            effects=[0.6, 0.6, 0.6],
            half_lives=[2.0, 7.0, 30.0],
            intercept=-3.0,
            window=60.0,
            channel_names=["search", "email", "tv"],
        ),
        world_name="decay",
        notes="""Same touch rate and fresh effect for every channel; half-lives 2, 7 and 30 days.

    A channel's truth differs from another's only through how fast its effect wears off,
    so rules that ignore time split credit by touch counts (equally), while the truth
    favours the slow-decaying channel. ``world.half_lives`` gives the true half-lives
    for calibration.
    """,
    ),
    "synergy": Scenario(
        CausalWorld,
        "display and search are complements, email and social substitutes. Built to show"
        " incremental credit double-counting an interaction that Shapley values split.",
        dict(
            rates=[0.04, 0.08, 0.05, 0.05],
            effects=[0.4, 0.05, 0.6, 0.6],
            half_lives=[3.0, 10.0, 10.0, 10.0],
            intercept=-3.5,
            channel_names=["search", "display", "email", "social"],
            synergy={("search", "display"): 0.8, ("email", "social"): -0.3},
        ),
        world_name="synergy",
        notes="""Display alone does little, display with search a lot; email and social overlap.

    With a positive interaction the channels' incremental credits sum to more than the
    conversions they add together, with a negative one to less; Shapley values split
    each interaction equally and sum exactly. Touch-splitting rules cannot see either.
    """,
    ),
    "mediation": Scenario(
        CausalWorld,
        "display causes later brand-search touches that close the sale. Built to be the negative"
        " control of last touch, which credits brand search for conversions display caused.",
        dict(
            rates=[0.05, 0.01, 0.04, 0.04, 0.03],
            effects=[0.1, 1.0, 0.3, 0.2, 0.1],
            half_lives=[10.0, 2.0, 5.0, 7.0, 1.0],
            intercept=-3.5,
            channel_names=["display", "brand_search", "email", "social", "direct"],
            mediation={("display", "brand_search"): 0.8},
            mediation_delay=2.0,
        ),
        world_name="mediation",
        notes="""Display touches cause brand-search touches a few days later.

    Display has a small effect of its own but causes, with probability 0.8 per touch,
    a brand-search touch after 2 days on average; brand search, last in most converting
    journeys, has a large but short-lived effect. Removing display removes the searches
    it caused, so its incremental credit is large, while last touch gives it almost
    nothing: the last-touch share is far (in total variation) from the truth's.
    """,
    ),
    "confounding": Scenario(
        CausalWorld,
        "purchase intent raises both paid-search exposure and conversion; paid search itself"
        " does little. Built to show how far every observational model over-credits it.",
        dict(
            rates=[0.04, 0.06, 0.05, 0.04],
            effects=[0.1, 0.2, 0.3, 0.25],
            half_lives=[3.0, 10.0, 7.0, 7.0],
            intercept=-3.8,
            channel_names=["paid_search", "display", "email", "social"],
            intent_exposure=[1.5, 0.0, 0.0, 0.0],
            intent_effect=1.2,
            value_intent=0.2,
        ),
        world_name="confounding",
        notes="""Latent intent drives paid-search touches and conversion (and order value).

    People about to buy search more, so paid search appears in converting journeys far
    more often than its small causal effect warrants. No model fitted to journeys alone
    can remove this (Dalessandro et al. 2012); the truth, computed with each person's
    intent held fixed, shows how much of the apparent effect is selection.
    """,
    ),
    "null_channel": Scenario(
        CausalWorld,
        "the most frequent channel (display) has no effect at all. Built to show rules and"
        " models crediting a channel whose true incremental and Shapley credit are exactly 0.",
        dict(
            rates=[0.2, 0.04, 0.05, 0.04],
            effects=[0.0, 0.5, 0.3, 0.25],
            half_lives=[7.0, 3.0, 7.0, 7.0],
            intercept=-3.5,
            channel_names=["display", "search", "email", "social"],
        ),
        world_name="null_channel",
        notes="""A high-frequency inert channel beside three effective ones.

    Display touches most persons several times but changes nothing (zero effect, no
    synergy, no mediation, no intent link): its truth is exactly zero, so any credit a
    model gives it is error. Rules hand it credit in proportion to its touches.
    """,
    ),
    "b2b": Scenario(
        AccountWorld,
        "accounts with buying committees over a 180-day cycle, lead / opportunity / closed-won"
        " milestones, content driving sales follow-ups and intent driving search. Built to"
        " compare W-shaped and full-path rules with the truth on deals and revenue.",
        dict(
            rates=[0.01, 0.004, 0.003, 0.008, 0.001, 0.0015],
            effects=[0.05, 0.2, 0.3, 0.05, 0.6, 0.8],
            half_lives=[14.0, 7.0, 30.0, 14.0, 45.0, 60.0],
            intercept=-3.0,
            channel_names=["display", "paid_search", "content", "email", "events", "sales"],
            intent_exposure=[0.0, 1.0, 0.5, 0.0, 0.0, 0.0],
            intent_effect=1.0,
            synergy={("events", "sales"): 0.5},
            mediation={("content", "sales"): 0.3},
            mediation_delay=10.0,
            lead_channels=["paid_search", "content", "email", "events", "sales"],
            opportunity_channels=["events", "sales"],
            value_mean=20000.0,
            value_sigma=0.8,
        ),
        world_name="b2b",
        notes="""Account-based marketing over a six-month cycle with 2.5 contacts per account.

    Display impressions are many and nearly inert and create no lead; content downloads
    create leads and, with probability 0.3, cause a sales follow-up about 10 days later;
    events and sales meetings create opportunities, close deals and reinforce each other;
    account intent raises paid search and content engagement and the win rate. The
    milestone rules (W-shaped, full path) credit the lead- and opportunity-creating
    touches; the truth is the closed-won deals (and revenue) each channel causes.
    """,
    ),
    "coalition": Scenario(
        CoalitionWorld,
        "conversion depends only on the channel set, with one synergistic pair and a channel"
        " with no effect; truth: exact Shapley values of expected conversions. Built to check"
        " Shapley games and to show rule models crediting the inert channel.",
        dict(
            exposure=[0.55, 0.35, 0.3, 0.25, 0.5, 0.15],
            intercept=-3.0,
            effects=[0.3, 0.9, 0.6, 0.4, 0.0, 1.1],
            interactions={(1, 2): 0.7},
            channel_names=["search", "email", "social", "display", "direct", "referral"],
            value_effects=[0.0, 0.2, 0.0, 0.0, 0.0, 0.4],
        ),
    ),
    "hazard": Scenario(
        HazardWorld,
        "conversions from the additive-hazard process (4 channels, known beta and half-lives"
        " 1-10 days), journeys stopped at conversion; truth: the true hazard split. Built to"
        " check that HazardAttribution recovers beta, omega and the credit.",
        dict(
            rates=[0.04, 0.08, 0.12, 0.05],
            beta=[0.12, 0.06, 0.02, 0.05],
            omega=_LN2 / np.array([1.0, 4.0, 10.0, 3.0]),
            baseline=0.002,
            window=30.0,
            channel_names=["search", "email", "display", "social"],
        ),
        notes="Four channels with different effects and decays over a 30-day window.",
    ),
    "truncation": Scenario(
        HazardWorld,
        "frequent, effective email in an additive-hazard world where journeys stop at"
        " conversion, so converters have fewer channels than non-converters; truth: Shapley"
        " values of the counterfactual game. The negative control of the logistic model game.",
        dict(
            rates=[0.02, 0.1, 0.05],
            beta=[0.12, 0.04, 0.01],
            omega=_LN2 / np.array([2.0, 7.0, 3.0]),
            baseline=0.001,
            window=60.0,
            entry=[0.5, 0.2, 0.3],
            channel_names=["search", "email", "display"],
            truth="shapley",
        ),
        world_name="truncation",
        notes="""Email touches often and works; converters stop early and so often lack it.

    Non-converters are observed for 60 days and nearly all of them get email; converters
    stop at the conversion, often before their first email. A conversion model on channel
    indicators then finds every channel associated with not converting (the longer a
    journey is watched, the more channels it collects): its game has v(N) < v(empty) and
    negative Shapley values for every channel, while the hazard model, which knows how
    long each journey was at risk, is not fooled.
    """,
    ),
    "point_process": Scenario(
        PointProcessWorld,
        "journeys from a mutually exciting point process: display and social trigger brand"
        " searches days later, email triggers direct visits; truth: exact Shapley values of"
        " expected conversions, a channel's triggered touches removed with it. Built to show"
        " last touch and the hazard model crediting brand search for display's work.",
        _POINT_PROCESS,
        notes="""Display and social act mostly through the brand searches they trigger.

    One display touch triggers 0.5 brand-search touches on average (social 0.4), 2 days
    later on average; one e-mail triggers 0.5 direct visits. Display and social have a
    small, slow effect of their own (beta 0.003, 7-day half-life), brand search and
    direct a large, short-lived one (0.03 and 0.02; 1 day and 12 hours). About 6 touches
    per journey, 29% of them triggered; 7.6% of journeys convert within 30 days.
    Removing display removes the searches it triggered, so most of its credit is mediated
    (``truth.details["mediated"]``); brand search, last before most conversions, takes
    it in every model that credits the touches present. At 10^5 journeys (seeds 0-2) the
    total variation of the shares from the truth is 0.30 for last touch and 0.30 for
    `HazardAttribution`, which fits the conversion process exactly but not the
    triggering (linear 0.07, Markov 0.10 and Shapley 0.07, which spread credit over the
    path, land nearer without modelling it). `PointProcessWorld` with alpha = 0 is
    `HazardWorld`.
    """,
    ),
    "point_process_frailty": Scenario(
        PointProcessWorld,
        "the point_process world with purchase intent: a gamma frailty (shape 2) multiplies"
        " every touch and conversion intensity of a journey. Built to show brand search, whose"
        " triggered touches mark high-intent journeys, over-credited further.",
        {**_POINT_PROCESS, "frailty": 2.0},
        world_name="point_process_frailty",
        notes="""The `point_process` world where each journey has a purchase intent Z.

    Z ~ Gamma(2, rate 2) (mean 1, variance 0.5) multiplies the organic and triggered
    touch intensities and the conversion hazard. High-intent journeys have more touches,
    more triggered brand searches (their number grows like Z^2) and convert more (12% of
    journeys): brand search marks intent beyond what it causes. The truth holds each
    journey's Z fixed across coalitions. At 10^5 journeys (seeds 0-2) the total variation
    from the truth is 0.32 for last touch and 0.37 for `HazardAttribution`.
    """,
    ),
    # Both chains report the world name "markov" (the class's), as they always have.
    "markov": Scenario(
        MarkovWorld.random,
        "journeys from a known first-order chain (6 channels); truth: its exact removal effects."
        " Built to check that the Markov model of matching order recovers them.",
        dict(n_channels=6, order=1, random_state=11),
    ),
    "markov2": Scenario(
        MarkovWorld.random,
        "journeys from a known second-order chain (5 channels); truth: its exact removal"
        " effects. Built to expose what a first-order model misses when the next touch depends"
        " on the last two.",
        dict(n_channels=5, order=2, random_state=12),
    ),
}

for _name, _scenario in _TABLE.items():
    _add_scenario(_name, _scenario)
