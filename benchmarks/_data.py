"""The data every suite draws from: seeded generators of journeys, path tables and event logs.

Every generator is deterministic in its arguments (``numpy.random.default_rng`` seeded by a
list of them), so a cell of one suite can be rebuilt in a worker process or by another suite.

- `synth_journeys`: raw journeys (one customer per row) as CSR arrays: channels ``ch00 ..``
  with Zipf popularity (``chK`` drawn with probability proportional to ``1 / (K + 1)``),
  lengths geometric with mean 5 capped at 30, a journey converting with probability
  ``logistic(-3.2 + sum of beta over its touches)``, ``beta`` 0.1 for ch00, 0.9 for ch01,
  0.6 for ch04, 0.4 for ch07 and 0 otherwise, so removal effects differ from reach (about
  17% convert). Used by speed, peers and analytics. `floor_codes` gives the order-1
  transition codes of the speed suite's bincount floor.
- `synth_timed`: the same journeys with touch times, end times and milestones (analytics).
- `write_path_table`: a ``;``-separated path table in ChannelAttribution's format, every row
  a different path (``distinct``, the parser's worst case) or rows resampled from the
  bundled table (``repeated``), with the CSR arrays it must parse to (parse).
- `event_log` and `duckdb_event_file`: web / CRM event logs (events).
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

MEAN_LENGTH = 5.0
MAX_LENGTH = 30
INTERCEPT = -3.2
EFFECTS = {0: 0.1, 1: 0.9, 4: 0.6, 7: 0.4}  # logit effect per touch, by popularity rank - 1


# ============================================================================ raw journeys
def channel_names(n_channels: int) -> list[str]:
    return [f"ch{k:02d}" for k in range(n_channels)]


def synth_journeys(n: int, n_channels: int, seed: int) -> dict[str, Any]:
    """Raw journeys as CSR arrays; see the module docstring for the process."""
    rng = np.random.default_rng([seed, n, n_channels])
    popularity = 1.0 / np.arange(1, n_channels + 1)
    popularity /= popularity.sum()
    lengths = np.minimum(rng.geometric(1.0 / MEAN_LENGTH, n), MAX_LENGTH)
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    channels = rng.choice(n_channels, size=int(offsets[-1]), p=popularity).astype(np.int32)
    beta = np.zeros(n_channels)
    for k, b in EFFECTS.items():
        if k < n_channels:
            beta[k] = b
    journey = np.repeat(np.arange(n), lengths)
    logit = INTERCEPT + np.bincount(journey, weights=beta[channels], minlength=n)
    conversions = (rng.random(n) < 1.0 / (1.0 + np.exp(-logit))).astype(np.float64)
    return {
        "channels": channels,
        "offsets": offsets,
        "names": channel_names(n_channels),
        "conversions": conversions,
        "nulls": 1.0 - conversions,
    }


def journeys(d: dict[str, Any], *, timed: bool = False):
    """`Journeys` from the arrays of a generator (with times and milestones if `timed`)."""
    from attribution_lab import Journeys

    args = (d["channels"], d["offsets"], d["names"], d["conversions"], d["nulls"])
    if not timed:
        return Journeys(*args)
    return Journeys(*args, times=d["times"], end_time=d["end_time"], milestones=d["milestones"])


def floor_codes(d: dict[str, Any]) -> tuple[np.ndarray, np.ndarray, int]:
    """Order-1 transition codes of every touch, their weights and the number of cells.

    ``channel * (n_channels + 2) + next event``, the outcome after a journey's last touch.
    """
    channels, offsets = d["channels"], d["offsets"]
    conv, null = d["conversions"], d["nulls"]
    n = len(d["names"])
    width = n + 2
    lengths = np.diff(offsets)
    last = offsets[1:] - 1
    code = channels.astype(np.int64) * width
    code[:-1] += channels[1:]
    code[last] = channels[last].astype(np.int64) * width + np.where(conv > 0, n, n + 1)
    weights = np.repeat(conv + null, lengths)
    weights[last] = np.where(conv > 0, conv, null)
    return code, weights, n * width


def synth_timed(n: int, n_channels: int, seed: int) -> dict[str, Any]:
    """`synth_journeys` with times (days), end times and milestones.

    With ``rng = default_rng([seed, n, n_channels, 10])``: a first touch uniform on [0, 365),
    then exponential gaps of mean 4 days; a converting journey ends an exponential (mean 2
    days) delay after its last touch, the others are observed until day 500 (or their last
    touch); ``lead`` at a uniformly drawn touch of 60% of journeys, ``opportunity`` at a touch
    drawn from the lead onwards for half of those, ``closed_won`` at the last touch of
    converting journeys.
    """
    d = synth_journeys(n, n_channels, seed)
    rng = np.random.default_rng([seed, n, n_channels, 10])
    offsets = d["offsets"]
    lengths = np.diff(offsets)
    n_touch = int(offsets[-1])
    journey = np.repeat(np.arange(n), lengths)
    first = offsets[:-1]
    gaps = rng.exponential(4.0, n_touch)
    gaps[first] = 0.0
    elapsed = np.cumsum(gaps)
    times = rng.uniform(0.0, 365.0, n)[journey] + elapsed - elapsed[first][journey]
    last_time = times[offsets[1:] - 1]
    converted = d["conversions"] > 0
    end_time = np.where(
        converted, last_time + rng.exponential(2.0, n), np.maximum(500.0, last_time)
    )
    lead_pos = np.floor(rng.random(n) * lengths).astype(np.int64)
    has_lead = rng.random(n) < 0.6
    opp_pos = lead_pos + np.floor(rng.random(n) * (lengths - lead_pos)).astype(np.int64)
    has_opp = has_lead & (rng.random(n) < 0.5)
    lead = np.zeros(n_touch, dtype=bool)
    lead[(first + lead_pos)[has_lead]] = True
    opportunity = np.zeros(n_touch, dtype=bool)
    opportunity[(first + opp_pos)[has_opp]] = True
    won = np.zeros(n_touch, dtype=bool)
    won[(offsets[1:] - 1)[converted]] = True
    return {
        **d,
        "times": times,
        "end_time": end_time,
        "milestones": {"lead": lead, "opportunity": opportunity, "closed_won": won},
    }


# ============================================================================ path tables
# Channels of the distinct tables, from most to least popular (popularity 1 / rank).
TABLE_CHANNELS = (
    "paid_search",
    "organic_search",
    "direct",
    "display",
    "email",
    "social",
    "paid_social",
    "referral",
    "video",
    "affiliate",
    "push",
    "sms",
)
TABLE_MEAN_LENGTH = 6.0  # the bundled dataset has mean length 5.9 and maximum 89
TABLE_MAX_LENGTH = 90
TABLE_HEADER = "path;total_conversions;total_conversion_value;total_null\n"
SHAPES = ("distinct", "repeated")
CSV_CHUNK_ROWS = 1_000_000


def _stream_hash(channels: np.ndarray, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Two 64-bit polynomial hashes of every journey's channel sequence (and its length)."""
    lengths = np.diff(offsets)
    jid = np.repeat(np.arange(lengths.size), lengths)
    pos = np.arange(channels.size) - offsets[:-1][jid]
    code = channels.astype(np.uint64) + np.uint64(1)
    out = []
    with np.errstate(over="ignore"):
        for base in (np.uint64(0x9E3779B97F4A7C15), np.uint64(0xC2B2AE3D27D4EB4F)):
            powers = np.cumprod(np.full(int(lengths.max()), base, dtype=np.uint64))
            h = np.add.reduceat(code * powers[pos], offsets[:-1])
            out.append(h ^ (lengths.astype(np.uint64) * np.uint64(0xBF58476D1CE4E5B9)))
    return out[0], out[1]


def _gather(offsets: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Touch indices and new offsets selecting `rows` of a CSR structure."""
    lengths = np.diff(offsets)[rows]
    new = np.zeros(rows.size + 1, dtype=np.int64)
    np.cumsum(lengths, out=new[1:])
    touch = np.repeat(offsets[:-1][rows] - new[:-1], lengths) + np.arange(new[-1])
    return touch, new


def synth_distinct(n: int, rng: np.random.Generator) -> dict[str, Any]:
    """`n` journeys with pairwise different paths; channel codes index sorted names."""
    import pandas as pd

    names = sorted(TABLE_CHANNELS)
    popularity = 1.0 / np.arange(1, len(names) + 1)
    popularity /= popularity.sum()
    code_of_rank = np.array([names.index(c) for c in TABLE_CHANNELS], dtype=np.int8)
    batches: list[tuple[np.ndarray, np.ndarray]] = []
    h1s: list[np.ndarray] = []
    h2s: list[np.ndarray] = []
    n_unique, n_drawn, batch = 0, 0, n
    while n_unique < n:
        batch = int(min(max(batch, 10_000), 5_000_000))
        lengths = np.minimum(rng.geometric(1.0 / TABLE_MEAN_LENGTH, batch), TABLE_MAX_LENGTH)
        offsets = np.zeros(batch + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        channels = code_of_rank[rng.choice(len(names), size=int(offsets[-1]), p=popularity)]
        h1, h2 = _stream_hash(channels, offsets)
        batches.append((channels, offsets))
        h1s.append(h1)
        h2s.append(h2)
        n_drawn += batch
        first = ~pd.DataFrame({"a": np.concatenate(h1s), "b": np.concatenate(h2s)}).duplicated()
        n_unique = int(first.sum())
        rate = max(n_unique / n_drawn, 0.01)
        batch = int(1.1 * (n - n_unique) / rate) + 1
    keep = np.flatnonzero(first.to_numpy())[:n]
    # concatenate the batches into one CSR structure, then select the kept journeys
    all_channels = np.concatenate([c for c, _ in batches])
    starts = np.cumsum([0] + [c.size for c, _ in batches[:-1]])
    all_offsets = np.concatenate(
        [o[:-1] + s for (_, o), s in zip(batches, starts, strict=True)] + [[all_channels.size]]
    )
    touch, offsets = _gather(all_offsets, keep)
    channels = all_channels[touch].astype(np.int32)
    conversions = rng.poisson(0.6, n).astype(np.float64)
    nulls = rng.poisson(2.0, n).astype(np.float64)
    nulls[(conversions == 0) & (nulls == 0)] = 1.0
    value = np.where(
        conversions > 0, np.round(conversions * rng.lognormal(np.log(2.0), 0.8, n), 3), 0.0
    )
    return {
        "channels": channels,
        "offsets": offsets,
        "names": names,
        "conversions": conversions,
        "nulls": nulls,
        "value": value,
        "n_drawn": n_drawn,
    }


def _path_strings(channels: np.ndarray, offsets: np.ndarray, names: list[str]) -> list[str]:
    """'a > b > c' for every journey, joined and split once instead of a loop per journey."""
    pieces = np.empty(2 * channels.size, dtype=object)
    pieces[0::2] = np.asarray(names, dtype=object)[channels]
    pieces[1::2] = " > "
    pieces[2 * offsets[1:] - 1] = "\n"
    return "".join(pieces.tolist()).split("\n")[:-1]


def _write_rows(fh, columns: dict[str, Any]) -> None:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    pacsv.write_csv(
        pa.table(columns),
        fh,
        pacsv.WriteOptions(delimiter=";", quoting_style="none", include_header=False),
    )


def write_path_table(shape: str, n: int, seed: int, prefix: str) -> dict[str, Any]:
    """Write ``prefix.csv`` and the CSR arrays it must parse to (``prefix_*.npy``); metadata."""
    import pandas as pd

    from attribution_lab import Journeys
    from attribution_lab.datasets import pathdata_file

    rng = np.random.default_rng([seed, n, SHAPES.index(shape)])
    csv = prefix + ".csv"
    with open(csv, "wb") as fh:
        fh.write(TABLE_HEADER.encode())
        if shape == "distinct":
            d = synth_distinct(n, rng)
            extra = {"rows_drawn": d.pop("n_drawn")}
            for lo in range(0, n, CSV_CHUNK_ROWS):
                hi = min(lo + CSV_CHUNK_ROWS, n)
                off = d["offsets"][lo : hi + 1]
                _write_rows(
                    fh,
                    {
                        "path": _path_strings(
                            d["channels"][off[0] : off[-1]], off - off[0], d["names"]
                        ),
                        "total_conversions": d["conversions"][lo:hi].astype(np.int64),
                        "total_conversion_value": d["value"][lo:hi],
                        "total_null": d["nulls"][lo:hi].astype(np.int64),
                    },
                )
        elif shape == "repeated":
            source = pathdata_file()
            raw = pd.read_csv(source, sep=";", dtype=str, keep_default_na=False)
            base = Journeys.from_path_table(source)
            rows = rng.integers(0, len(raw), n)
            touch, offsets = _gather(np.asarray(base.offsets), rows)
            d = {
                "channels": np.asarray(base.channels)[touch],
                "offsets": offsets,
                "names": list(base.channel_names),
                "conversions": np.asarray(base.conversions)[rows],
                "nulls": np.asarray(base.nulls)[rows],
                "value": np.asarray(base.value)[rows],
            }
            extra = {"source_rows": len(raw)}
            for lo in range(0, n, CSV_CHUNK_ROWS):
                part = raw.iloc[rows[lo : lo + CSV_CHUNK_ROWS]]
                _write_rows(fh, {c: part[c].to_numpy(dtype=object) for c in raw.columns})
        else:
            raise ValueError(f"unknown shape {shape!r}")
    for key in ("channels", "offsets", "conversions", "nulls", "value"):
        np.save(f"{prefix}_{key}.npy", d[key])
    h1, h2 = _stream_hash(d["channels"], d["offsets"])
    n_distinct = int((~pd.DataFrame({"a": h1, "b": h2}).duplicated()).sum())
    meta = {
        "shape": shape,
        "n_journeys": n,
        "n_touchpoints": int(d["channels"].size),
        "n_channels": len(d["names"]),
        "n_distinct_paths": n_distinct,
        "file_mb": os.path.getsize(csv) / 2**20,
        "names": d["names"],
        **extra,
    }
    return meta


# ============================================================================ event logs
EVENT_CHANNELS = (
    "search",
    "email",
    "display",
    "social",
    "direct",
    "affiliate",
    "video",
    "referral",
)
UTM_SOURCES = (
    "google",
    "newsletter",
    "dsp",
    "facebook",
    "(direct)",
    "partner",
    "youtube",
    "blog.org",
)
UTM_MEDIUMS = ("cpc", "email", "display", "paid", "(none)", "affiliate", "cpv", "referral")
EVENT_MODES = ("channel", "utm+lookback", "stitched")
SQL_CHANNELS = ("search", "email", "display", "social", "video", "affiliate", "direct", "sms")


def event_log(n: int, seed: int, mode: str):
    """A shuffled web / CRM log of `n` events (plus 2% exact duplicates), ``[seed, n]``.

    About 10 events per user, times uniform over a year (days), 8 channels uniformly, 5% of
    rows conversions with an integer value in [1, 100). `mode`: ``channel`` (a categorical
    column), ``utm+lookback`` (``utm_source`` / ``utm_medium`` strings) or ``stitched``
    (``channel`` plus a ``cookie`` per event and an ``email`` on 20% of events).
    """
    import pandas as pd

    rng = np.random.default_rng([seed, n])
    n_users = max(n // 10, 1)
    conv = rng.random(n) < 0.05
    k = rng.integers(0, len(EVENT_CHANNELS), n)
    frame = pd.DataFrame(
        {
            "user": rng.integers(0, n_users, n),
            "time": rng.random(n) * 365.0,
            "conv": conv,
            "value": np.where(conv, rng.integers(1, 100, n), 0).astype(np.float64),
        }
    )
    if mode == "utm+lookback":
        frame["utm_source"] = np.asarray(UTM_SOURCES, dtype=object)[k]
        frame["utm_medium"] = np.asarray(UTM_MEDIUMS, dtype=object)[k]
    else:
        frame["channel"] = pd.Categorical.from_codes(k, EVENT_CHANNELS)
    if mode == "stitched":
        frame["cookie"] = rng.integers(0, 2 * n_users, n)  # two cookies per user
        email = frame["user"].to_numpy() * 2 % (2 * n_users)
        frame["email"] = pd.array(np.where(rng.random(n) < 0.2, email, -1)).astype("Int64")
        frame.loc[frame["email"] == -1, "email"] = pd.NA
    dups = frame.sample(frac=0.02, random_state=int(rng.integers(1 << 31)))
    frame = pd.concat([frame, dups], ignore_index=True)
    return frame.sample(frac=1.0, random_state=int(rng.integers(1 << 31))).reset_index(drop=True)


def duckdb_event_file(path, n: int, n_users: int) -> None:
    """`n` events as CSV written by DuckDB itself, every column a hash of the row number.

    Users over 90 days, 8 channels, 3% of events conversions (channel NULL) with revenue;
    columns ``user_id, time, channel, converted, revenue``.
    """
    import duckdb

    names = "[" + ", ".join(f"'{c}'" for c in SQL_CHANNELS) + "]"
    query = f"""
        SELECT hash(i * 3) % {n_users} AS user_id,
               (hash(i * 7) % 7776000) / 86400.0 AS time,
               CASE WHEN hash(i * 13) % 100 < 3 THEN NULL
                    ELSE {names}[CAST(1 + hash(i * 11) % {len(SQL_CHANNELS)} AS BIGINT)]
                    END AS channel,
               hash(i * 13) % 100 < 3 AS converted,
               CASE WHEN hash(i * 13) % 100 < 3 THEN (hash(i * 17) % 20000) / 100.0
                    ELSE 0.0 END AS revenue
        FROM range({n}) t(i)"""
    con = duckdb.connect()
    con.execute(f"COPY ({query}) TO '{path}' (HEADER, DELIMITER ',')")
    con.close()
