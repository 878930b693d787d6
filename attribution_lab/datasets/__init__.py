"""Bundled example data.

The files live in the repository's top-level ``datasets/`` folder, each with its provenance and
licence; the wheel ships that folder as ``attribution_lab/datasets/files`` (a package-dir
mapping in pyproject.toml), so any install finds it.
"""

from __future__ import annotations

from pathlib import Path

from ..journeys import Journeys

__all__ = ["data_folder", "load_pathdata", "pathdata_file"]


def data_folder() -> Path:
    """The folder of the bundled data files.

    An installed package has them as ``attribution_lab/datasets/files``; an editable install
    of a source checkout reads them where they are kept, in the repository's ``datasets/``
    (the mapped folder has no ``__init__.py``, which the editable finder would need, because
    one at the repository's top would shadow any other package called ``datasets``).

    Examples
    --------
    >>> (data_folder() / "channelattribution_pathdata" / "PROVENANCE.md").is_file()
    True
    """
    here = Path(__file__).resolve().parent
    for folder in (here / "files", here.parents[1] / "datasets"):
        if folder.is_dir():
            return folder
    raise FileNotFoundError(
        f"the bundled data is missing from {here / 'files'} (reinstall attribution-lab)"
    )


def pathdata_file() -> Path:
    """Path of the bundled ChannelAttribution example path table (gzip-compressed CSV).

    See ``channelattribution_pathdata/PROVENANCE.md`` beside it for its source and licence.
    """
    return data_folder() / "channelattribution_pathdata" / "Data.csv.gz"


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
