"""Readers for public journey data: Criteo's log, other tools' path tables, GA4's export.

`read_criteo_attribution` builds journeys from the impression log of the Criteo
Attribution Modeling for Bidding dataset; `read_path_table` reads the path summaries
that ChannelAttribution, Google's fractribution and Snowplow's fractribution package
write; `read_ga4_export` reads the Google Analytics 4 BigQuery export (one row per
event, newline-delimited JSON or Parquet). None downloads anything: see the README for
where to obtain the data. `read_events` reads an event log (journeys built by
`Journeys.from_events`); `read_touch_table` reads journeys already made, one row per
touch with its time.
"""

from __future__ import annotations

from ._formats import (
    CRITEO_COLUMNS,
    PATH_TABLE_FORMATS,
    CriteoData,
    read_criteo_attribution,
    read_events,
    read_path_table,
    read_touch_table,
)
from .ga4 import GA4_SOURCE_LEVELS, GA4Report, read_ga4_export

__all__ = [
    "CRITEO_COLUMNS",
    "GA4_SOURCE_LEVELS",
    "PATH_TABLE_FORMATS",
    "CriteoData",
    "GA4Report",
    "read_criteo_attribution",
    "read_events",
    "read_ga4_export",
    "read_path_table",
    "read_touch_table",
]
