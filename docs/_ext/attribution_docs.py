"""Pages of the attribution_lab documentation that are written at build time.

Two sets of pages would drift if they were typed by hand, so this extension writes them
before Sphinx looks for source files (``config-inited``):

- the API reference, ``docs/api/``: one page per public module, listing the names of its
  ``__all__``. An object is documented once, under the shortest public path it can be
  imported from (``attribution_lab.MarkovAttribution``, not ``attribution_lab.markov.
  MarkovAttribution``); the longer paths list it with a link. Private modules never appear,
  so moving code between them changes nothing here.
- the benchmark pages, ``docs/benchmarks/``: one page per Markdown summary committed under
  ``benchmarks/results/`` (smoke runs in ``results/quick/`` left out), which the page
  includes as it is, followed by the figures and the tidy CSV of the same run. Every number
  on those pages therefore comes from the results files, the one source the benchmark
  scripts write.

- the notebooks, ``docs/notebooks/``: the notebooks of ``notebooks/`` are committed without
  outputs; they are executed here, two at a time, each in a fresh kernel started in
  ``notebooks/`` (as Jupyter starts it) with their own parameters, while Sphinx reads the
  other pages. An executed copy is kept with a key of the notebook and the package sources,
  so a rebuild re-executes only what changed.

Files are rewritten only when their content changes, so an unchanged page is not read again.
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
import json
import os
import re
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from sphinx.errors import ExtensionError
from sphinx.util import logging

logger = logging.getLogger(__name__)

DOCS = Path(__file__).resolve().parents[1]
ROOT = DOCS.parent
RESULTS = ROOT / "benchmarks" / "results"
NOTEBOOKS = ROOT / "notebooks"
PACKAGE = ROOT / "attribution_lab"

#: The public modules, in layer order (data type and registry first, figures last). Their
#: import paths are the contract: restructuring the package must keep each of them.
PUBLIC_MODULES: list[tuple[str, str]] = [
    ("attribution_lab", "The data type, the result, the model registry and the everyday functions"),
    ("attribution_lab.rules", "Models"),
    ("attribution_lab.markov", "Models"),
    ("attribution_lab.shapley", "Models"),
    ("attribution_lab.hazard", "Models"),
    ("attribution_lab.hawkes", "Models"),
    ("attribution_lab.simulate", "Worlds with a known answer"),
    ("attribution_lab.evaluate", "Measuring, calibrating and describing"),
    ("attribution_lab.uncertainty", "Measuring, calibrating and describing"),
    ("attribution_lab.calibrate", "Measuring, calibrating and describing"),
    ("attribution_lab.analytics", "Measuring, calibrating and describing"),
    ("attribution_lab.roi", "Measuring, calibrating and describing"),
    ("attribution_lab.plot", "Figures and reports"),
    ("attribution_lab.reporting", "Figures and reports"),
    ("attribution_lab.events", "Data in"),
    ("attribution_lab.channels", "Data in"),
    ("attribution_lab.readers", "Data in"),
    ("attribution_lab.sql", "Data in"),
    ("attribution_lab.lift", "Data in"),
    ("attribution_lab.datasets", "Data in"),
]


def write_if_changed(path: Path, text: str) -> None:
    """Write `text` to `path` unless it already holds exactly that (keeps mtimes stable)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")


def remove_stale(folder: Path, keep: set[Path], pattern: str) -> None:
    """Delete generated files in `folder` that this build did not write (renamed sources)."""
    for path in folder.glob(pattern):
        if path not in keep:
            path.unlink()


def heading(text: str, char: str) -> str:
    return f"{text}\n{char * len(text)}\n"


# -- API reference -----------------------------------------------------------------------------


def kind(obj: object) -> str:
    if inspect.isclass(obj):
        return "Classes"
    if callable(obj):
        return "Functions"
    return "Constants"


@dataclass
class ApiModule:
    name: str
    group: str
    summary: str
    own: dict[str, list[str]] = field(default_factory=dict)  # kind -> names documented here
    elsewhere: list[tuple[str, str]] = field(default_factory=list)  # (name, canonical path)


def collect_api() -> tuple[list[ApiModule], dict[int, str]]:
    """Each public module's names, and the one public path each object is documented at."""
    canonical: dict[int, str] = {}
    modules = []
    # `attribution_lab.roi` is both a module and the function the package exports under that
    # name; the function is documented in its module so that the two targets differ
    shadowed = {name.rsplit(".", 1)[1] for name, _ in PUBLIC_MODULES[1:]}
    deferred: list[tuple[ApiModule, str, object]] = []
    for name, group in PUBLIC_MODULES:
        module = importlib.import_module(name)
        exported = getattr(module, "__all__", None)
        if exported is None:
            raise RuntimeError(f"{name} has no __all__: its public names are not declared")
        doc = inspect.getdoc(module) or ""
        entry = ApiModule(name, group, doc.split("\n\n")[0].replace("\n", " "))
        for attr in exported:
            if attr.startswith("__"):  # __version__
                continue
            obj = getattr(module, attr)
            if isinstance(obj, str | int | float | tuple | frozenset | dict | list):
                # values share identities (small ints, interned strings): document each path
                entry.own.setdefault(kind(obj), []).append(attr)
                continue
            if name == "attribution_lab" and attr in shadowed:
                deferred.append((entry, attr, obj))
            elif id(obj) in canonical:
                entry.elsewhere.append((attr, canonical[id(obj)]))
            else:
                canonical[id(obj)] = f"{name}.{attr}"
                entry.own.setdefault(kind(obj), []).append(attr)
        modules.append(entry)
    for entry, attr, obj in deferred:
        entry.elsewhere.append((attr, canonical[id(obj)]))
    return modules, canonical


def attribute_comments() -> dict[str, list[str]]:
    """The ``#:`` comments documenting module-level names of the imported package modules.

    The public modules are imported by then, and with them every module a constant they
    export can come from.
    """
    import sys

    from sphinx.pycode import ModuleAnalyzer

    comments: dict[str, list[str]] = {}
    for name in sorted(n for n in sys.modules if n.startswith("attribution_lab")):
        try:
            docs = ModuleAnalyzer.for_module(name).find_attr_docs()
        except Exception:  # a module without source
            continue
        for (namespace, attr), lines in docs.items():
            if namespace == "":
                comments.setdefault(attr, [line for line in lines if line])
    return comments


def constant_block(attr: str, value: object, comments: dict[str, list[str]]) -> list[str]:
    """A constant as ``py:data`` with its value: autosummary would show its type's docstring."""
    import pprint

    lines = [f".. py:data:: {attr}", f"   :type: {type(value).__name__}", ""]
    lines += [f"   {line}" for line in comments.get(attr, [])]
    shown = pprint.pformat(value, width=88, sort_dicts=False).splitlines()
    if len(shown) <= 30:
        lines += ["", "   .. code-block:: python", ""]
        lines += [f"      {line}" for line in shown]
    return [*lines, ""]


def module_page(entry: ApiModule, comments: dict[str, list[str]]) -> str:
    lines = [
        heading(entry.name, "="),
        f".. automodule:: {entry.name}",
        "   :no-members:",
        "",
        f".. currentmodule:: {entry.name}",
        "",
    ]
    module = importlib.import_module(entry.name)
    for section in ("Classes", "Functions", "Constants"):
        names = entry.own.get(section)
        if not names:
            continue
        lines += [heading(section, "-")]
        if section == "Constants":
            for attr in names:
                lines += constant_block(attr, getattr(module, attr), comments)
            continue
        lines += [".. autosummary::", "   :toctree: generated", ""]
        lines += [f"   {n}" for n in names] + [""]
    if entry.elsewhere:
        lines += [
            heading("Also importable from here", "-"),
            "Documented under the shorter path they are usually imported from:",
            "",
        ]
        lines += [f"- :py:obj:`{name} <{target}>`" for name, target in entry.elsewhere] + [""]
    return "\n".join(lines)


def index_page(modules: list[ApiModule]) -> str:
    lines = [
        heading("API reference", "="),
        "Every public name, one page per public module. The import paths below are the",
        "contract: code may move between private modules, these paths stay. An object",
        "exported from more than one of them is documented once, under the shortest path",
        "(``from attribution_lab import MarkovAttribution``), and listed with a link on the",
        "others.",
        "",
        "This reference is generated from the modules' ``__all__`` at build time.",
        "",
    ]
    group = None
    for entry in modules:
        if entry.group != group:
            group = entry.group
            lines += [heading(group, "-")]
        lines += [f":doc:`{entry.name}`", f"   {entry.summary}", ""]
    lines += [".. toctree::", "   :hidden:", ""]
    lines += [f"   {entry.name}" for entry in modules] + [""]
    return "\n".join(lines)


def generate_api() -> dict[int, str]:
    modules, canonical = collect_api()
    folder = DOCS / "api"
    written = {folder / "index.rst"}
    write_if_changed(folder / "index.rst", index_page(modules))
    comments = attribute_comments()
    for entry in modules:
        path = folder / f"{entry.name}.rst"
        write_if_changed(path, module_page(entry, comments))
        written.add(path)
    remove_stale(folder, written, "*.rst")
    # autosummary writes a stub per documented name but never deletes one: drop the stubs of
    # names no longer documented, which would otherwise stay as pages outside every toctree
    stubs = {
        folder / "generated" / f"{entry.name}.{attr}.rst"
        for entry in modules
        for section, names in entry.own.items()
        if section != "Constants"
        for attr in names
    }
    if (folder / "generated").is_dir():
        remove_stale(folder / "generated", stubs, "*.rst")
    return canonical


# -- Benchmark pages ---------------------------------------------------------------------------


@dataclass
class Report:
    md: Path
    docname: str
    title: str
    command: str
    figures: list[Path] = field(default_factory=list)
    tables: list[Path] = field(default_factory=list)


def first_heading(text: str) -> str | None:
    match = re.search(r"^# (.+)$", text, flags=re.MULTILINE)
    return match.group(1).strip() if match else None


def first_command(text: str) -> str:
    match = re.search(r"`(python [^`]+)`", text)
    return match.group(1) if match else ""


def collect_reports() -> tuple[list[Report], list[Path]]:
    """The committed summaries with the figures and tables of the same run."""
    reports = []
    unclaimed: list[Path] = []
    suites = sorted(p for p in RESULTS.iterdir() if p.is_dir() and p.name != "quick")
    folders = [RESULTS, *suites]
    for folder in folders:
        mds = sorted(folder.glob("*.md"))
        figures = sorted(folder.glob("*.png"))
        tables = sorted(folder.glob("*.csv"))
        prefix = "" if folder == RESULTS else f"{folder.name}-"
        found = []
        for md in mds:
            text = md.read_text(encoding="utf-8")
            stem = md.stem
            docname = prefix + stem if stem != folder.name else folder.name
            found.append(
                Report(
                    md=md,
                    docname=docname,
                    title=first_heading(text) or stem,
                    command=first_command(text),
                    figures=[p for p in figures if p.stem.startswith(stem)],
                    tables=[p for p in tables if p.stem.startswith(stem)],
                )
            )
        claimed = {p for r in found for p in r.figures}
        rest = [p for p in figures if p not in claimed]
        if rest and len(found) == 1:
            found[0].figures += rest
        else:
            unclaimed += rest
        reports += found
    return reports, unclaimed


def relative(path: Path, start: Path) -> str:
    return Path(os.path.relpath(path, start)).as_posix()


def report_page(report: Report, folder: Path) -> str:
    text = report.md.read_text(encoding="utf-8")
    lines = []
    if first_heading(text) is None:
        lines += [f"# {report.title}", ""]
    lines += ["```{include} " + relative(report.md, folder), "```", ""]
    source = relative(report.md, ROOT)
    if report.figures:
        lines += ["## Figures", ""]
        for figure in report.figures:
            lines += [f"```{{image}} {relative(figure, folder)}", f":alt: {figure.name}", "```", ""]
    lines += ["## Files of this run", ""]
    lines += [f"- summary: `{source}`"]
    lines += [
        f"- tidy data: {{download}}`{t.name} <{relative(t, folder)}>` (`{relative(t, ROOT)}`)"
        for t in report.tables
    ]
    return "\n".join(lines) + "\n"


def generate_benchmarks() -> None:
    folder = DOCS / "benchmarks"
    reports, unclaimed = collect_reports()
    written = set()
    for report in reports:
        path = folder / f"{report.docname}.md"
        write_if_changed(path, report_page(report, folder))
        written.add(path)
    table = ["| results | command |", "|---|---|"]
    table += [
        f"| [{r.title}](benchmarks/{r.docname}.md) | `{r.command}` |".replace("`` |", " |")
        for r in reports
    ]
    if unclaimed:
        path = folder / "other-figures.md"
        lines = ["# Other figures", ""]
        for figure in unclaimed:
            image = f"```{{image}} {relative(figure, folder)}"
            lines += [f"## {figure.name}", "", image, "```", ""]
        write_if_changed(path, "\n".join(lines))
        written.add(path)
        table.append("| [Other figures](benchmarks/other-figures.md) | |")
    # a fragment included by benchmarks.md (excluded as a page of its own by conf.py)
    path = folder / "_summary.md"
    write_if_changed(path, "\n".join(table) + "\n")
    written.add(path)
    remove_stale(folder, written, "*.md")


# -- Notebooks ---------------------------------------------------------------------------------

CELL_TIMEOUT = 600  # seconds per cell: a runaway cell fails the build instead of hanging it
STARTUP_TIMEOUT = 120  # seconds for a kernel to start on a loaded machine
KEY = "attribution_docs_key"  # notebook metadata: what the executed copy was executed from


def sources_key(path: Path) -> str:
    """Hash of the notebook and of every package source: outputs change when either does."""
    digest = hashlib.sha256(path.read_bytes())
    for source in sorted(PACKAGE.rglob("*.py")):
        digest.update(source.relative_to(PACKAGE).as_posix().encode())
        digest.update(source.read_bytes())
    return digest.hexdigest()


def execute_notebook(path: Path, target: Path, key: str) -> str:
    """Run `path` top to bottom and write it, with its outputs, to `target`; return the text."""
    import nbclient
    import nbformat

    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        nb,
        timeout=CELL_TIMEOUT,
        startup_timeout=STARTUP_TIMEOUT,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOKS)}},
    )
    # Jupyter's inline backend, whatever the build's environment says (the tests and CI may
    # set MPLBACKEND=Agg, under which figures would not be part of the outputs)
    env = {**os.environ, "MPLBACKEND": "module://matplotlib_inline.backend_inline"}
    try:
        client.execute(env=env)
    except Exception as error:  # CellExecutionError, timeouts, a dead kernel
        raise ExtensionError(f"notebooks/{path.name} failed to execute: {error}") from None
    nb.metadata[KEY] = key
    text = nbformat.writes(nb)
    target.write_text(text, encoding="utf-8")
    return text


class NotebookRunner:
    """Executes the stale notebooks in a thread pool; `source-read` waits for each one."""

    def __init__(self, execute: bool, workers: int = 2) -> None:
        self.pid = os.getpid()
        self.jobs: dict[str, tuple[Path, Path, str]] = {}
        self.futures: dict[str, Future] = {}
        folder = DOCS / "notebooks"
        folder.mkdir(exist_ok=True)
        written = set()
        for path in sorted(NOTEBOOKS.glob("*.ipynb")):
            target = folder / path.name
            written.add(target)
            if not execute:  # rendered without outputs
                write_if_changed(target, path.read_text(encoding="utf-8"))
                continue
            key = sources_key(path)
            done = target.exists() and json.loads(target.read_text("utf-8"))["metadata"].get(KEY)
            if done == key:
                continue  # executed from these very sources already
            # an unexecuted copy, so that Sphinx finds the page; its text is replaced in
            # source-read by the executed notebook
            target.write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
            self.jobs[f"notebooks/{path.stem}"] = (path, target, key)
        remove_stale(folder, written, "*.ipynb")
        if self.jobs:
            # threads suffice: the work happens in the kernels, one process each
            pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="notebook")
            for docname, job in self.jobs.items():
                self.futures[docname] = pool.submit(execute_notebook, *job)
            pool.shutdown(wait=False)

    def executed_text(self, docname: str) -> str | None:
        if docname not in self.jobs:
            return None
        if os.getpid() != self.pid:  # a parallel-read worker: the pool lives in the parent
            return execute_notebook(*self.jobs[docname])
        return self.futures[docname].result()


# -- Sphinx hooks ------------------------------------------------------------------------------


def on_config_inited(app, config) -> None:
    # first, so that the kernels work while the rest is generated and read
    app.notebook_runner = NotebookRunner(config.notebooks_execute)
    app.env_canonical = generate_api()  # consulted by on_process_bases
    generate_benchmarks()


def on_source_read(app, docname, source) -> None:
    try:
        text = app.notebook_runner.executed_text(docname)
    except ExtensionError as error:
        # an error, not an exception: with --keep-going the other pages are still built
        message = re.sub(r"\x1b\[[0-9;]*m", "", str(error))  # the traceback's colours
        logger.error(message, location=docname)
        return
    if text is not None:
        source[0] = text


def on_process_bases(app, name, obj, options, bases) -> None:
    """Show a class's public base (``attribution_lab.AttributionModel``), not its private home."""
    canonical = getattr(app, "env_canonical", {})
    for i, base in enumerate(bases):
        public = canonical.get(id(base))
        if public is not None:
            bases[i] = f":py:class:`{public.rsplit('.', 1)[1]} <{public}>`"


def on_skip_member(app, what, name, obj, skip, options):
    """Leave out members a class inherits from outside the package (scikit-learn's).

    ``get_params`` / ``set_params`` and the metadata-routing methods are scikit-learn's,
    documented there; their docstrings point at labels of scikit-learn's own manual.
    """
    if what != "class" or skip:
        return None
    target = getattr(obj, "fget", obj)  # properties: the getter's module
    module = getattr(target, "__module__", None) or ""
    if callable(target) and not module.startswith("attribution_lab"):
        return True
    return None


def setup(app):
    app.add_config_value("notebooks_execute", True, "env", bool)
    app.connect("source-read", on_source_read)
    app.connect("autodoc-skip-member", on_skip_member)
    app.connect("config-inited", on_config_inited)
    app.connect("autodoc-process-bases", on_process_bases)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
