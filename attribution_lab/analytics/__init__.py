"""Journey analytics: the paths, lengths, times, channel roles and funnel behind the credit.

Before trusting any attribution number, look at the journeys themselves. Every function
here takes `Journeys` and returns a small result object: a tidy ``table`` (a pandas
DataFrame), sometimes a second table, ``to_text()`` for a terminal and ``plot()`` for a
matplotlib figure (matplotlib is imported only when plotting).

======================  =============================================================
`top_paths`             the most common, converting or valuable paths, Wilson intervals
`path_lengths`          touches and distinct channels per journey
`time_to_conversion`    days from the first touch, and from each channel's first touch
`channel_stats`         reach, touches per journey, first / assisting / last roles, rates
`channel_overlap`       how often channels appear in the same journey
`transitions`           first-order transition shares: the most common next channel
`funnel`                milestone stages: counts, rates, days between them, stalled
`describe`              the headline tables of all of the above
======================  =============================================================

Counting
--------
A journey row of `Journeys` stands for ``conversions + nulls`` customers who followed
its path (aggregated path tables), or for one customer (raw data). Every count here is a
count of customers: a column called ``journeys`` sums ``conversions + nulls``, and
conversion rates are ``conversions / journeys``. Raw and aggregated versions of the same
data therefore give the same tables.

Unavailable figures
-------------------
Time-based figures need touch times (``Journeys.times``); path tables have none. Rather
than failing, `time_to_conversion` then returns a result with ``available = False``, an
empty ``table`` with its usual columns and a ``message`` saying why, and `funnel` keeps its
counts and leaves its time-based columns NaN, saying so in ``message``. ``to_text()``
prints the message and ``plot()`` draws it where the figure would be.

All functions are vectorised over the CSR arrays (no Python loop per journey or per
touch; some loop once per channel or per stage).

The package's modules follow the topics: `paths` (`top_paths`, `path_lengths`), `timing`
(`time_to_conversion`), `channels` (`channel_stats`, `channel_overlap`, `transitions`),
`stages` (`funnel`), `overview` (`describe`), `intervals` (`wilson_interval`) and `results`
(the result types); every name is imported from ``attribution_lab.analytics`` itself.
"""

from __future__ import annotations

# the labels the tables use, importable here but not in __all__
from ._common import (  # noqa: F401
    ALL,
    ANY_CHANNEL,
    CONVERSION_STAGE,
    CONVERTED,
    FIRST_TOUCH,
    NOT_CONVERTED,
    PATH_ORDER,
)
from .channels import channel_overlap, channel_stats, transitions
from .intervals import wilson_interval
from .overview import DescribeResult, describe
from .paths import path_lengths, top_paths
from .results import (
    AnalyticsResult,
    ChannelStatsResult,
    FunnelResult,
    OverlapResult,
    PathLengthsResult,
    PathsResult,
    TimeToConversionResult,
    TransitionsResult,
)
from .stages import funnel
from .timing import time_to_conversion

__all__ = [
    "AnalyticsResult",
    "ChannelStatsResult",
    "DescribeResult",
    "FunnelResult",
    "OverlapResult",
    "PathLengthsResult",
    "PathsResult",
    "TimeToConversionResult",
    "TransitionsResult",
    "channel_overlap",
    "channel_stats",
    "describe",
    "funnel",
    "path_lengths",
    "time_to_conversion",
    "top_paths",
    "transitions",
    "wilson_interval",
]
