"""pytest set-up for the repository: the tests see attribution_lab as it is installed.

pyproject.toml runs pytest with ``--import-mode=importlib``, which leaves ``sys.path``
alone, so nothing puts the checkout in front of an installed copy (``pip install .``);
with ``pip install -e .`` the installed package is the checkout anyway. Two things remain:

- benchmarks/ is not installed; tests/test_benchmarks.py imports it from the checkout, so
  the repository's root goes at the *end* of ``sys.path``, after site-packages, where it
  cannot shadow an installed attribution_lab.
- ``--doctest-modules`` on attribution_lab/ would load each file of the checkout by its
  path (importlib mode does so for a module not imported yet). Importing the module by its
  name first gives the installed one, so the doctests check the package users get and no
  module of the checkout is mixed into the installed package.

Run ``pytest`` rather than ``python -m pytest``: ``-m`` puts the working folder, here the
checkout, first on ``sys.path``.

Tests marked ``slow`` (coverage rates over hundreds of runs, the notebooks, the quick
benchmark suites) are skipped unless pytest runs with ``--run-slow``: plain ``pytest`` is
the fast suite for working, CI runs everything. The option is defined here, not in
tests/conftest.py, so that it exists whichever paths pytest is given.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent
PACKAGE = ROOT / "attribution_lab"

if str(ROOT) not in sys.path:
    sys.path.append(str(ROOT))


def pytest_collect_file(file_path: Path, parent):
    if file_path.suffix != ".py" or PACKAGE not in file_path.parents:
        return None
    parts = file_path.relative_to(ROOT).with_suffix("").parts
    if parts[-1] == "__main__":
        return None  # running it is the command line, not an import
    if parts[-1] == "__init__":
        parts = parts[:-1]
    try:
        importlib.import_module(".".join(parts))
    except Exception:
        pass  # pytest's own import of the file then reports the error where it belongs
    return None


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--run-slow",
        action="store_true",
        default=False,
        help="also run the tests marked slow (CI does; plain pytest skips them)",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # a marker expression on the command line (-m slow, -m "not slow") decides alone
    if config.getoption("--run-slow") or config.getoption("markexpr"):
        return
    skip = pytest.mark.skip(reason="slow: run with --run-slow")
    for item in items:
        if item.get_closest_marker("slow") is not None:
            item.add_marker(skip)
