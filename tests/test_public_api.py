"""Every name the README and the documentation use can be imported.

The package is being reorganised into subpackages; users' import paths must not change. This
test reads the README and the docs' Markdown and notebooks for ``from attribution_lab... import
...`` lines and dotted ``attribution_lab.x.y`` references, and imports each one.
"""

from __future__ import annotations

import importlib
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCES = [
    ROOT / "README.md",
    *sorted((ROOT / "docs").rglob("*.md")),
    *sorted((ROOT / "notebooks").glob("*.ipynb")),
]
SOURCES = [p for p in SOURCES if "_build" not in p.parts]

FROM_IMPORT = re.compile(r"from\s+(attribution_lab(?:\.\w+)*)\s+import\s+(\([^)]*\)|[^\n]+)")
DOTTED = re.compile(r"\battribution_lab(?:\.[A-Za-z_]\w*)+")


def _text(path: Path) -> str:
    if path.suffix == ".ipynb":
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        return "\n".join("".join(c["source"]) for c in cells)
    return path.read_text(encoding="utf-8")


def _references() -> list[tuple[str, str]]:
    """(source file, 'module:name' or dotted path) of every reference found."""
    found: set[tuple[str, str]] = set()
    for path in SOURCES:
        text = _text(path)
        where = str(path.relative_to(ROOT))
        for module, names in FROM_IMPORT.findall(text):
            for item in names.strip("()").split(","):
                name = item.split("#")[0].split(" as ")[0].strip()
                if re.fullmatch(r"[A-Za-z_]\w*", name):
                    found.add((where, f"{module}:{name}"))
        for dotted in DOTTED.findall(text):
            found.add((where, dotted.rstrip(".")))
    return sorted(found)


def _resolve(reference: str) -> object:
    if ":" in reference:
        module, name = reference.split(":")
        return getattr(importlib.import_module(module), name)
    parts = reference.split(".")
    # the longest importable module prefix, then attributes
    for k in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:k]))
        except ModuleNotFoundError:
            continue
        for attr in parts[k:]:
            obj = getattr(obj, attr)
        return obj
    raise ModuleNotFoundError(reference)


REFERENCES = _references()


def test_the_docs_reference_the_package():
    assert len(REFERENCES) >= 20, REFERENCES


@pytest.mark.parametrize(("source", "reference"), REFERENCES, ids=[r for _, r in REFERENCES])
def test_every_documented_name_imports(source, reference):
    try:
        _resolve(reference)
    except (ImportError, AttributeError) as exc:
        pytest.fail(f"{source} uses {reference}, which does not import: {exc}")
