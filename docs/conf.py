"""Sphinx configuration of the attribution_lab documentation.

Build (from the repository's root, after ``pip install -e ".[docs]"``)::

    sphinx-build -W --keep-going -b html docs docs/_build/html

Three kinds of pages are written at build time by ``_ext/attribution_docs.py`` and are not
committed: the API reference (``api/``, one page per public module, from each module's
``__all__``), the benchmark pages (``benchmarks/``, from the committed files in
``benchmarks/results/``) and the executed notebooks (``notebooks/``, from ``../notebooks``).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import attribution_lab

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS / "_ext"))

project = "attribution_lab"
author = "attribution_lab developers"
copyright = "attribution_lab developers"
release = attribution_lab.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "myst_nb",
    "attribution_docs",
]

templates_path = ["_templates"]
exclude_patterns = [
    "_build",
    "README.md",  # how to build these pages, for the repository's readers
    "**/.ipynb_checkpoints",
    "benchmarks/_*",  # generated fragments included by benchmarks.md
]
source_suffix = {".rst": "restructuredtext", ".md": "myst-nb", ".ipynb": "myst-nb"}

# -- API reference -------------------------------------------------------------------------
# Pages are generated from the public modules' __all__ (see _ext/attribution_docs.py); the
# stubs of each object by autosummary with the templates in _templates/autosummary.
autosummary_generate = True
autosummary_imported_members = True
autodoc_default_options = {"member-order": "bysource"}
autodoc_typehints = "none"  # numpydoc's Parameters sections carry the types, once
autoclass_content = "class"
# numpydoc lists a class's methods itself when asked; the class template does it with
# autodoc's :members: instead, so numpydoc must not add a second (toctree-less) table.
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True
# numpydoc's style validation (off by default) stays off: it reports conventions, such as a
# Returns section on every property, that the project's docstrings do not follow and review
# checks instead. Docstrings that do not parse still warn, and so fail the strict build.
numpydoc_validation_checks: set[str] = set()

# -- Notebooks -----------------------------------------------------------------------------
# The notebooks are committed without outputs; the build executes them with their own
# (full) parameters, so each page shows what a reader running it gets (the tests run them
# with small parameters, which the notebooks' prose does not describe). Measured on the
# project's 2-core machine: the seven take about 2.3 minutes one after another (05_calibration
# alone 80 s); left to myst-nb, which runs them one after another after every other page,
# the clean build took 3.1 minutes. _ext/attribution_docs.py instead starts them two at a
# time before the other pages are read and keeps each executed copy until the notebook or
# the package changes (docs/README.md has the figures). NB_EXECUTE=off renders them without
# outputs, for a quick look at the text.
notebooks_execute = os.environ.get("NB_EXECUTE", "on") != "off"
nb_execution_mode = "off"  # done by attribution_docs, see above
nb_merge_streams = True

myst_enable_extensions = ["dollarmath", "colon_fence", "deflist"]
myst_heading_anchors = 3

# -- HTML ----------------------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"attribution_lab {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
html_show_sourcelink = False
