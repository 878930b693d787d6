"""Fixtures that more than one test file uses.

The ``--run-slow`` option and the import set-up live in the root conftest.py, which
pytest reads whatever paths it is given (this one only when it collects tests/).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path

import pytest

from attribution_lab import Journeys, load_pathdata

# ----------------------------------------------------------------------------- data

#: A path table with hand-checkable answers, in ChannelAttribution's format (no value
#: column): first touch credits A 4, B 1, C 2; last touch A 2, B 0, C 5.
KNOWN_PATH_TABLE = (
    "path,total_conversions,total_null\nA>B>C,3,2\nA>C,1,4\nB,0,5\nC>A,2,1\nB>C>C,1,0\n"
)


@pytest.fixture(scope="session")
def pathdata() -> Journeys:
    """The bundled example journeys (`load_pathdata`: 10,000 paths over 12 channels)."""
    return load_pathdata()


@pytest.fixture
def known_csv(tmp_path: Path) -> str:
    """Path of a file holding `KNOWN_PATH_TABLE` (pass ``--value-col ''`` to the command)."""
    path = tmp_path / "known.csv"
    path.write_text(KNOWN_PATH_TABLE)
    return str(path)


@pytest.fixture(scope="session")
def timed_journeys() -> Journeys:
    """400 journeys of the ``hazard`` scenario (4 channels; touch times and end times in
    days; journeys stop at conversion), small enough to fit the hazard model in a second."""
    from attribution_lab.simulate import simulate

    return simulate("hazard", 400, random_state=0).journeys


# ----------------------------------------------------------------------------- command line


@pytest.fixture
def run_cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., tuple[int, str, str]]:
    """``run_cli(*argv)`` runs the ``attribution-lab`` command in-process.

    Returns ``(exit status, stdout, stderr)`` as a terminal would see them: argparse's
    ``SystemExit`` becomes its status, and warnings that escape the command are written to
    stderr in Python's own format (pytest would otherwise record them out of sight).
    """

    def run(*argv: str) -> tuple[int, str, str]:
        from attribution_lab.cli import main  # the command layer is imported only here

        capsys.readouterr()  # what the test printed before is not the command's output
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("default")
            try:
                code = main([str(a) for a in argv])
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else 2
        out, err = capsys.readouterr()
        for w in caught:
            err += warnings.formatwarning(w.message, w.category, w.filename, w.lineno)
        return code, out, err

    return run
