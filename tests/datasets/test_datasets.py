"""The bundled data: the example journeys match their provenance and checksum."""

from __future__ import annotations

import gzip
import hashlib

import pytest

from attribution_lab.datasets import load_pathdata, pathdata_file


def test_bundled_pathdata_matches_provenance_and_checksum():
    j = load_pathdata()
    assert (j.n_journeys, j.n_channels) == (10_000, 12)
    assert j.n_conversions == 19_785 and j.n_nulls == 68_602
    assert j.total_value == pytest.approx(74_802.97, abs=0.01)
    assert load_pathdata(aggregate=True).n_journeys == 5_408
    f = pathdata_file()
    expected = (f.parent / "SHA256SUMS").read_text().split()[0]
    assert hashlib.sha256(gzip.decompress(f.read_bytes())).hexdigest() == expected
    assert "GPL-3.0" in (f.parent / "PROVENANCE.md").read_text()
