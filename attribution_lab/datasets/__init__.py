"""Bundled example data, shipped inside the package so that any install finds it."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from ..journeys import Journeys

__all__ = ["load_pathdata", "pathdata_file"]


def pathdata_file() -> Path:
    """Path of the bundled ChannelAttribution example path table (gzip-compressed CSV).

    See ``channelattribution_pathdata/PROVENANCE.md`` beside it for its source and licence.
    """
    return Path(str(resources.files(__package__) / "channelattribution_pathdata" / "Data.csv.gz"))


def load_pathdata(aggregate: bool = False) -> Journeys:
    """ChannelAttribution's example paths: 10,000 rows, 12 channels, 19,785 conversions.

    The standard example dataset of the field, published by the authors of
    ChannelAttribution (Altomare and Loris) as ``Data`` / ``PathData``; whether it is real
    or simulated is not stated. Distributed under GPL-3.0-or-later with their package.

    Parameters
    ----------
    aggregate : bool, default False
        Merge repeated paths (10,000 rows hold 5,408 distinct paths).

    Examples
    --------
    >>> j = load_pathdata()
    >>> j.n_journeys, j.n_channels, j.n_conversions, j.n_nulls
    (10000, 12, 19785.0, 68602.0)
    >>> load_pathdata(aggregate=True).n_journeys
    5408
    """
    journeys = Journeys.from_path_table(pathdata_file(), sep=">")
    return journeys.aggregate() if aggregate else journeys
