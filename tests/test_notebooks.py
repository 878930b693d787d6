"""Execute every notebook in notebooks/ with small parameters.

Each notebook opens with a code cell tagged ``parameters`` holding assignments such as
``N_JOURNEYS = 100_000``. The tests replace the assignments named in `SMALL` by smaller
values and run the notebook top to bottom in a fresh kernel (nbclient + ipykernel), in a
temporary working directory, with matplotlib on the non-interactive Agg backend and the
checkout's sources first on the kernel's path. With these parameters all notebooks
together take about 40 s on a 2-core machine; `CELL_TIMEOUT` stops a runaway cell.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))

# values injected into the parameters cell of every notebook that defines the name
SMALL = {
    "N_JOURNEYS": 5_000,
    "N_ACCOUNTS": 500,
    "N_BOOT": 20,
    "MAX_ORDER": 2,
    "N_REPEATS": 5,
    "BUDGETS": [1024, 2048],  # stratified sampling needs ~1,000 at 12 channels
}
CELL_TIMEOUT = 120  # seconds per cell; the whole notebook takes a few seconds at SMALL
STARTUP_TIMEOUT = 120  # seconds for the kernel to start on a loaded machine


def parameters_cell(nb) -> int:
    tagged = [i for i, cell in enumerate(nb.cells) if "parameters" in cell.metadata.get("tags", [])]
    assert len(tagged) == 1, f"expected one cell tagged 'parameters', found {len(tagged)}"
    first_code = next(i for i, cell in enumerate(nb.cells) if cell.cell_type == "code")
    assert tagged[0] == first_code, "the parameters cell must be the first code cell"
    return tagged[0]


def with_small_parameters(source: str, small: dict[str, object]) -> str:
    """`source` with each top-level assignment of a name in `small` set to its value."""
    lines = []
    for line in source.splitlines():
        match = re.match(r"([A-Z_][A-Z0-9_]*)\s*=", line)
        if match and match.group(1) in small:
            name = match.group(1)
            line = f"{name} = {small[name]!r}  # injected by tests/test_notebooks.py"
        lines.append(line)
    return "\n".join(lines)


def test_there_are_notebooks():
    assert len(NOTEBOOKS) >= 3, NOTEBOOKS


def test_with_small_parameters_replaces_only_named_assignments():
    source = "N_JOURNEYS = 100_000  # journeys\nSEED = 0\nN_JOURNEYS_MAX = 7"
    out = with_small_parameters(source, {"N_JOURNEYS": 50})
    lines = out.splitlines()
    assert lines[0].startswith("N_JOURNEYS = 50  #")
    assert lines[1:] == ["SEED = 0", "N_JOURNEYS_MAX = 7"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_is_committed_without_outputs(path):
    # outputs (figures especially) would bloat the repository and go stale
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    parameters_cell(nb)
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            assert not cell.outputs, f"cell {i} has outputs; clear them before committing"
            assert cell.execution_count is None, f"cell {i} has an execution count"


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs(path, tmp_path, monkeypatch):
    nb = nbformat.read(path, as_version=4)
    cell = nb.cells[parameters_cell(nb)]
    cell.source = with_small_parameters(cell.source, SMALL)
    # the kernel inherits this process's environment
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setenv(
        "PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    )
    client = nbclient.NotebookClient(
        nb,
        timeout=CELL_TIMEOUT,
        startup_timeout=STARTUP_TIMEOUT,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute()  # raises CellExecutionError, naming the cell, when a cell fails
