"""The package's layers import downward only, and no module is a package waiting to be split.

Layers, lowest first (docs/development.md): shared checks and file reading; the data and
result types with the readers of raw data; the models; the simulated worlds; comparison,
uncertainty, calibration, analytics and spend; figures; the command line. A module may import
from its own layer or below at import time. Imports inside functions may reach up only where
documented: ``Journeys.from_events`` (journeys -> events) and the lazy ``.plot()`` methods.
"""

from __future__ import annotations

import ast
from pathlib import Path

import attribution_lab

PACKAGE = Path(attribution_lab.__file__).resolve().parent
LAYERS = [
    {"_validation", "_io", "_times"},
    {"journeys", "result", "base", "channels", "events", "readers", "sql", "datasets", "lift"},
    {"rules", "markov", "shapley", "hazard", "hawkes"},
    {"simulate"},
    {"evaluate", "uncertainty", "calibrate", "analytics", "roi", "_align", "_resample"},
    {"plot", "reporting"},
    {"cli", "__main__"},
]
RANK = {name: k for k, names in enumerate(LAYERS) for name in names}
#: lazy imports that reach up on purpose (source component -> target component)
SHORTCUTS = {("journeys", "events"), ("markov", "plot"), ("evaluate", "plot"), ("hawkes", "plot")}
MAX_LINES = 1_000


def _imports() -> list[tuple[str, str, bool, str]]:
    """(source component, target component, at import time?, file) of every relative import
    between two components of the package (a component: a top-level module or subpackage)."""
    found = []
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        if not parts or parts == ("__init__",):
            continue
        here = list(parts[:-1])  # the package a relative import starts from
        tree = ast.parse(path.read_text(encoding="utf-8"))
        top = {id(node) for node in tree.body}
        for node in ast.walk(tree):
            if not isinstance(node, ast.ImportFrom) or not node.level:
                continue
            base = here[: len(here) - (node.level - 1)] if node.level > 1 else here
            target = [*base, *(node.module.split(".") if node.module else [])]
            if not target:
                continue  # `from . import x` in a top-level module: the package itself
            if target[0] != parts[0]:
                found.append((parts[0], target[0], id(node) in top, str(path)))
    return found


def test_every_component_has_a_layer():
    components = {p.stem if p.is_file() else p.name for p in PACKAGE.iterdir()}
    components = {c for c in components if not c.startswith("__") or c == "__main__"}
    components -= {"py", "__pycache__"}
    assert components - set(RANK) == set(), "give the new module a layer in LAYERS"


def test_imports_go_downward():
    upward = [
        f"{src} -> {dst} ({file}{'' if eager else ', inside a function'})"
        for src, dst, eager, file in _imports()
        if RANK[dst] > RANK[src] and (eager or (src, dst) not in SHORTCUTS)
    ]
    assert upward == []


def test_no_module_over_a_thousand_lines():
    long = {
        str(p.relative_to(PACKAGE)): n
        for p in PACKAGE.rglob("*.py")
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}
