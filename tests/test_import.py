"""``import attribution_lab`` loads numpy and pandas and nothing heavy (issue 21).

SciPy's submodules, statsmodels, scikit-learn, networkx, matplotlib, numba and duckdb cost
more to import than pandas itself; each is imported inside the function that uses it. The
check is on ``sys.modules`` in a fresh interpreter, not on a timing: what pandas imports on
its own (pyarrow, with pandas 3) is allowed.
"""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = (
    "scipy",
    "statsmodels",
    "sklearn",
    "networkx",
    "matplotlib",
    "pyarrow",
    "numba",
    "duckdb",
    "tqdm",
    "jinja2",
)


def _loaded(statement: str) -> set[str]:
    """The heavy top-level modules in sys.modules after `statement` in a fresh interpreter."""
    code = f"{statement}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    return {name for name in json.loads(out) if name.split(".")[0] in HEAVY}


def test_import_loads_nothing_heavy_beyond_pandas():
    allowed = _loaded("import numpy, pandas")
    extra = _loaded("import attribution_lab") - allowed
    assert sorted(extra) == []


def test_the_command_line_parser_loads_nothing_heavy():
    # `attribution-lab --help` and option errors must answer at once
    allowed = _loaded("import numpy, pandas")
    extra = _loaded("from attribution_lab.cli import build_parser; build_parser()") - allowed
    assert sorted(extra) == []
