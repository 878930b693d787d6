"""What the wheel ships: every package of attribution_lab/ and the top-level datasets/ folder."""

from __future__ import annotations

import tomllib
from pathlib import Path

from setuptools import find_packages

ROOT = Path(__file__).resolve().parents[1]
CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]


def test_every_package_is_listed():
    # packages are listed, not discovered (the data package is mapped from datasets/): a new
    # subpackage missing from the list would be left out of the wheel
    found = set(find_packages(str(ROOT), include=["attribution_lab*"]))
    listed = set(CONFIG["packages"])
    assert found - listed == set(), "add these to [tool.setuptools] packages in pyproject.toml"
    assert listed - found == {"attribution_lab.datasets.files"}


def test_bundled_data_has_provenance_and_checksums():
    folder = ROOT / CONFIG["package-dir"]["attribution_lab.datasets.files"]
    assert folder.name == "datasets" and (folder / "README.md").is_file()
    sets = [d for d in folder.iterdir() if d.is_dir()]
    assert sets, "no bundled data"
    for d in sets:
        assert (d / "PROVENANCE.md").is_file() and (d / "SHA256SUMS").is_file(), d
        assert "Licence" in (d / "PROVENANCE.md").read_text(), d
