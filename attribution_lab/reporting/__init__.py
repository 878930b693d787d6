"""The self-contained HTML report: data summary, models side by side with intervals, the
Markov graph, Shapley credit, spend and return, warnings and provenance in one file.

Jinja2 and matplotlib are imported when a report is built, not with the package.
"""

from __future__ import annotations

from ._build import DEFAULT_MODELS, report

__all__ = ["DEFAULT_MODELS", "report"]
