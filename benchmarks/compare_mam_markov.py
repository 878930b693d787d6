"""Why marketing-attribution-models' Markov shares differ from ours.

The peers suite (``results/peers/peers.md``) finds ``mam markov`` up to 0.21 (share
units) from our ``markov (order 1)`` while ChannelAttribution agrees with us. This
script shows where the difference comes from, on a tiny path table whose numbers are
worked out by hand in ``results/peers/mam_markov.md``, on the bundled path data
(``attribution_lab.datasets.load_pathdata()``) and on the peers suite's ``synthetic``
journeys. MAM is called exactly as the peers suite calls it (its ``_ops``, which
prepares the input with ``_mam_input``). Columns, as shares of conversion credit per
channel:

- ``ours``: ``get_model("markov", order=1)``: total conversions x RE_c / sum RE;
- ``mam_re``: MAM's own removal effects (``run_markov().metadata["removal_effect"]``),
  normalised to sum to 1;
- ``mam``: MAM's channel totals (``run_markov().to_pandas()["attribution"]``), what the
  peers suite compares;
- ``split``: our removal effects used as MAM's 2.x aggregation uses them: every
  converting journey's conversions split over its touches in proportion to the
  normalised removal effect of each touch's channel, a repeated channel counted once per
  touch;
- ``split_unique``: the same split over the journey's distinct channels.

``ours == mam_re`` says both tools build the same chain and removal effects;
``mam == split`` says MAM's channel totals are that per-journey split, nothing else.

Usage::

    python benchmarks/compare_mam_markov.py                    # tiny, pathdata, synthetic 1e4
    python benchmarks/compare_mam_markov.py --synthetic-n 0    # skip the synthetic data
"""

from __future__ import annotations

import argparse
import sys
from fractions import Fraction as F
from pathlib import Path

import numpy as np
import pandas as pd

if __package__ in (None, ""):  # run as a script: make the benchmarks package importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from attribution_lab import Journeys, get_model
from benchmarks.suites.peers import SYNTH_CHANNELS, _ops

# Hand computation for TINY (see results/peers/mam_markov.md): P(conversion) = 1/2;
# without A 1/6, without B 1/6, without C 1/3, so RE = 2/3, 2/3, 1/3 (shares 2/5, 2/5, 1/5
# of 3 conversions). MAM splits each converting journey by those shares over its touches:
# A > B -> 1/2, 1/2; B -> 1; A > A > C -> A 2/5 + 2/5, C 1/5.
TINY = pd.DataFrame(
    {
        "path": ["A > B", "B", "A > A > C", "C"],
        "total_conversions": [1.0, 1.0, 1.0, 0.0],
        "total_conversion_value": [1.0, 1.0, 1.0, 0.0],
        "total_null": [1.0, 0.0, 1.0, 1.0],
    }
)
TINY_HAND = {
    "removal_effect": {"A": F(2, 3), "B": F(2, 3), "C": F(1, 3)},
    "ours": {"A": F(6, 5), "B": F(6, 5), "C": F(3, 5)},
    "mam": {"A": F(1, 2) + F(4, 5), "B": F(1, 2) + 1, "C": F(1, 5)},
}


def journey_split(j: Journeys, weights: np.ndarray, unique: bool = False) -> np.ndarray:
    """Conversions of every journey split over its touches in proportion to `weights`.

    ``weights[c]`` is channel c's weight; with `unique` a channel repeated in a journey
    counts once. Returns the credit per channel.
    """
    channels = np.asarray(j.channels)
    journey = np.repeat(np.arange(j.n_journeys), np.diff(np.asarray(j.offsets)))
    if unique:
        pairs = np.unique(np.stack([journey, channels]), axis=1)
        journey, channels = pairs[0], pairs[1]
    w = weights[channels]
    total = np.bincount(journey, weights=w, minlength=j.n_journeys)
    conv = np.asarray(j.conversions, dtype=float)
    touch = np.divide(
        conv[journey] * w, total[journey], out=np.zeros_like(w), where=total[journey] > 0
    )
    return np.bincount(channels, weights=touch, minlength=len(j.channel_names))


def compare(table: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(credit in conversions, removal effects) per channel from both tools."""
    from mam import MAM

    j = Journeys.from_path_table(table)
    names = list(j.channel_names)
    model = get_model("markov", order=1).fit(j)
    res = model.attribute()
    ours_re = model.removal_effects_.reindex(names).to_numpy()

    # MAM's channel totals exactly as the peers suite gets them
    prepare, run = _ops({"kind": "mam", "method": "markov"})
    data = prepare(table)
    mam_credit = pd.Series(run(data)["markov"]).reindex(names).fillna(0.0)
    # the same call again for its removal effects (the suite keeps only the totals)
    kw = {
        "format_type": "grouped_journey",
        "channels_colname": "path",
        "journey_with_conv_colname": "has_conversion",
        "occurrences_colname": "occurrences",
        "path_separator": " > ",
    }
    meta = MAM(data, **kw).run_markov().metadata
    mam_re = meta["removal_effect"]["removal_effect"].reindex(names).to_numpy()

    share = ours_re / ours_re.sum()
    credit = pd.DataFrame(
        {
            "ours": np.asarray(res.conversions, dtype=float),
            "mam_re": j.conversions.sum() * mam_re / mam_re.sum(),
            "mam": mam_credit.to_numpy(),
            "split": journey_split(j, share),
            "split_unique": journey_split(j, share, unique=True),
        },
        index=pd.Index(names, name="channel"),
    )
    effects = pd.DataFrame({"ours": ours_re, "mam": mam_re}, index=credit.index)
    return credit, effects


def report(label: str, table: pd.DataFrame, hand: dict | None = None) -> None:
    credit, effects = compare(table)
    shares = credit / credit.sum()
    print(f"\n== {label}: {len(table)} paths, {credit['ours'].sum():g} conversions")
    print("removal effects:")
    print(effects.to_string(float_format=lambda v: f"{v:.6f}"))
    print("credit in conversions:")
    print(credit.to_string(float_format=lambda v: f"{v:.6f}"))
    print("shares:")
    print(shares.to_string(float_format=lambda v: f"{v:.6f}"))
    dev = (shares.sub(shares["ours"], axis=0)).abs().max()
    print(
        "max |share - ours|: "
        + ", ".join(f"{c} {dev[c]:.3g}" for c in shares.columns if c != "ours")
        + f"; max |mam - split| {(shares['mam'] - shares['split']).abs().max():.3g}"
        + f"; max |RE ours - RE mam| {(effects['ours'] - effects['mam']).abs().max():.3g}"
    )
    if hand is not None:
        for key, col in (("ours", "ours"), ("mam", "mam"), ("removal_effect", None)):
            got = effects["ours"] if col is None else credit[col]
            want = pd.Series({c: float(v) for c, v in hand[key].items()})
            ok = np.allclose(got.reindex(want.index), want, atol=1e-12)
            exact = ", ".join(f"{c} {v}" for c, v in hand[key].items())
            print(f"by hand, {key}: {exact} -> {'matches' if ok else 'DIFFERS'}")


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--synthetic-n",
        type=lambda s: int(float(s)),
        default=10_000,
        help="n_journeys of the peers suite's synthetic data (0: skip); default 1e4",
    )
    p.add_argument("--seed", type=int, default=0, help="seed of the synthetic data")
    args = p.parse_args(argv)
    with pd.option_context("display.width", 120):
        report("tiny (hand-computed)", TINY, TINY_HAND)
        from attribution_lab.datasets import load_pathdata

        report("bundled pathdata", load_pathdata().to_path_table())
        if args.synthetic_n > 0:
            from benchmarks.bench_markov import synth_journeys

            d = synth_journeys(args.synthetic_n, SYNTH_CHANNELS, args.seed)
            j = Journeys(d["channels"], d["offsets"], d["names"], d["conversions"], d["nulls"])
            report(f"peers synthetic, n={args.synthetic_n}, seed {args.seed}", j.to_path_table())


if __name__ == "__main__":
    main()
