"""Execute every notebook in notebooks/ with small parameters, as a user of the package would.

Each notebook opens with a code cell tagged ``parameters`` holding assignments such as
``N_JOURNEYS = 100_000``. The tests replace the assignments named in `SMALL` by smaller
values and run the notebook top to bottom in a fresh kernel (nbclient + ipykernel) started
in notebooks/, as Jupyter starts it, with matplotlib on the non-interactive Agg backend.
The kernel imports attribution_lab as installed (nothing puts the checkout on its path),
so a notebook that reaches into the checkout instead of the package fails here, as it
would after ``pip install .``. With these parameters all notebooks together take about
40 s on a 2-core machine; `CELL_TIMEOUT` stops a runaway cell.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = ROOT / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))

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


def execute(nb, cwd: Path, monkeypatch) -> None:
    """Run `nb` in a fresh kernel started in `cwd`, with small parameters."""
    cell = nb.cells[parameters_cell(nb)]
    cell.source = with_small_parameters(cell.source, SMALL)
    monkeypatch.setenv("MPLBACKEND", "Agg")  # the kernel inherits this process's environment
    client = nbclient.NotebookClient(
        nb,
        timeout=CELL_TIMEOUT,
        startup_timeout=STARTUP_TIMEOUT,
        kernel_name="python3",
        resources={"metadata": {"path": str(cwd)}},
    )
    client.execute()  # raises CellExecutionError, naming the cell, when a cell fails


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs(path, monkeypatch):
    # the notebooks write no files, so their own folder is a safe working folder
    execute(nbformat.read(path, as_version=4), NOTEBOOK_DIR, monkeypatch)


@pytest.mark.slow
def test_benchmark_notebook_says_where_it_looked_when_there_are_no_results(tmp_path, monkeypatch):
    # a copy of the notebook away from the repository, as after `pip install .` elsewhere
    nb_path = shutil.copy(NOTEBOOK_DIR / "06_benchmark_results.ipynb", tmp_path)
    with pytest.raises(nbclient.exceptions.CellExecutionError) as info:
        execute(nbformat.read(nb_path, as_version=4), tmp_path, monkeypatch)
    assert info.value.ename == "FileNotFoundError"
    message = info.value.evalue
    assert message.startswith("no benchmark results (accuracy/accuracy.csv) in ")
    assert str(tmp_path / "benchmarks" / "results") in message
    assert "set RESULTS_DIR" in message
