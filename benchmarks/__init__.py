"""Benchmark suites of attribution_lab: ``python -m benchmarks SUITE [--quick]``.

One module per suite in ``benchmarks/suites/``, one question each (see ``benchmarks/README.md``
for the table of questions, commands and results files): ``accuracy``, ``speed``,
``montecarlo``, ``peers``, ``parse``, ``events``, ``analytics``, ``calibration``,
``mediation``, ``scale``. They share one data module (``_data.py``) and one harness and
report writer (``_harness.py``); results go to ``benchmarks/results/SUITE/``.
"""

SUITES = (
    "accuracy",
    "speed",
    "montecarlo",
    "peers",
    "parse",
    "events",
    "analytics",
    "calibration",
    "mediation",
    "e2e",
    "experiments",
    "ga4",
    "scale",
)
