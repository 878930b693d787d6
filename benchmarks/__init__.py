"""Benchmark suites of attribution_lab: ``python -m benchmarks SUITE [--quick]``.

Suites (``benchmarks/suites/``): ``accuracy`` (every model against the truth of every
simulated scenario, by n_journeys and seed), ``speed`` (time and peak memory by
n_journeys, channels and Markov order, each measurement in a fresh process, against a
bincount floor), ``montecarlo`` (Shapley estimators' error and interval coverage by
budget) and ``peers`` (ChannelAttribution and marketing-attribution-models on the same
data). Results go to ``benchmarks/results/SUITE/``; see ``benchmarks/README.md``.
"""

SUITES = ("accuracy", "speed", "montecarlo", "peers")
