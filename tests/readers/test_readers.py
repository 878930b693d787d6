"""Readers: the Criteo attribution dataset (on files generated in its format) and path tables."""

from __future__ import annotations

import gzip
from collections import defaultdict

import numpy as np
import pandas as pd
import pytest

from attribution_lab import Journeys
from attribution_lab.readers import (
    CRITEO_COLUMNS,
    PATH_TABLE_FORMATS,
    read_criteo_attribution,
    read_path_table,
)

DAY = 86_400


def criteo_rows(n_users, seed, n_campaigns=30, horizon_days=60):
    """Impressions in the dataset's format: users see campaigns at random times; each
    conversion ties the user's impressions of the 30 days before it."""
    rng = np.random.default_rng(seed)
    rows, next_conv = [], 1000
    for uid in range(n_users):
        k = int(rng.geometric(0.25))
        times = np.sort(rng.integers(0, horizon_days * DAY, k))
        camp = rng.integers(0, n_campaigns, k) * 3 + 1  # ids are not 0..n-1
        clicks = rng.random(k) < 0.3
        conv_of = np.full(k, -1)
        conv_t = np.full(k, -1)
        n_conv = int(rng.choice([0, 0, 1, 2]))
        last = -1
        for _ in range(n_conv):  # a conversion after a later impression than the last one
            if last + 1 >= k:
                break
            i = int(rng.integers(last + 1, k))
            tc = int(times[i] + rng.integers(1, 5 * DAY))
            take = np.arange(last + 1, i + 1)
            take = take[times[take] >= tc - 30 * DAY]
            conv_of[take], conv_t[take] = next_conv, tc
            next_conv += 1
            last = i
        for j in range(k):
            c = conv_of[j] != -1
            rows.append(
                [
                    int(times[j]),
                    uid * 7 + 11,
                    int(camp[j]),
                    int(c),
                    int(conv_t[j]),
                    int(conv_of[j]),
                    int(c and rng.random() < 0.5),
                    int(clicks[j]),
                    0 if clicks[j] else -1,
                    1 if clicks[j] else -1,
                    round(float(rng.random()), 6),
                    round(float(rng.random() * 10), 6) if c else -1,
                    -1,
                    *rng.integers(0, 50, 9).tolist(),
                ]
            )
    rows.sort(key=lambda r: r[0])  # the dataset is sorted by timestamp
    return rows


def write_criteo(path, rows, header=True):
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "wt") as fh:
        if header:
            fh.write("\t".join(CRITEO_COLUMNS) + "\n")
        for r in rows:
            fh.write("\t".join(map(str, r)) + "\n")
    return str(path)


def reference(rows, top=None, clicks_only=False, max_length=None, window_days=30):
    """Per-row Python grouping: the obviously correct version."""
    data_end = max(r[0] for r in rows)  # the file's last impression, clicked or not
    rows = [r for r in rows if not clicks_only or r[7] == 1]
    freq = defaultdict(int)
    for r in rows:
        freq[r[2]] += 1
    ranked = sorted(freq, key=lambda c: (-freq[c], str(c)))
    keep = set(ranked if top is None else ranked[:top])
    groups = defaultdict(list)
    for r in rows:
        key = (0, r[5]) if r[5] != -1 else (1, r[1])
        groups[key].append(r)
    out = []
    for key in sorted(groups):
        g = sorted(groups[key], key=lambda r: r[0])
        if max_length is not None:
            g = g[-max_length:]
        names = [f"c{r[2]}" if r[2] in keep else "other" for r in g]
        conv = key[0] == 0
        end = g[0][4] if conv else min(g[-1][0] + window_days * DAY, data_end)
        out.append((names, [r[0] / DAY for r in g], conv, end / DAY, sum(r[10] for r in g)))
    return out


def assert_matches(data, ref):
    j = data.journeys
    assert j.n_journeys == len(ref)
    names = np.asarray(j.channel_names, dtype=object)
    for i, (chans, times, conv, end, _) in enumerate(ref):
        sl = slice(j.offsets[i], j.offsets[i + 1])
        assert names[j.channels[sl]].tolist() == chans
        np.testing.assert_allclose(j.times[sl], times)
        assert j.conversions[i] == float(conv) and j.nulls[i] == float(not conv)
        assert j.end_time[i] == pytest.approx(end)
    assert data.costs.sum() == pytest.approx(sum(r[4] for r in ref))


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize(
    "options",
    [{}, {"top": 5}, {"clicks_only": True}, {"max_length": 2, "top": None}, {"window_days": 7}],
)
def test_criteo_reader_equals_reference(tmp_path, seed, options):
    rows = criteo_rows(150, seed)
    f = write_criteo(tmp_path / "criteo_attribution_dataset.tsv.gz", rows, header=seed != 1)
    opts = {"top": None, **options}
    data = read_criteo_attribution(f, **opts)
    assert_matches(data, reference(rows, **opts))
    assert data.counts["rows"] == len(rows)
    if options.get("clicks_only"):
        assert data.counts["dropped_not_clicked"] == sum(r[7] == 0 for r in rows)


def test_criteo_costs_and_attributed(tmp_path):
    rows = criteo_rows(200, 5)
    data = read_criteo_attribution(write_criteo(tmp_path / "c.tsv", rows), top=4)
    frame = pd.DataFrame(rows, columns=list(CRITEO_COLUMNS))
    top4 = frame.campaign.value_counts().sort_index().sort_values(ascending=False, kind="stable")
    top4 = {f"c{c}" for c in top4.index[:4]}
    assert set(data.journeys.channel_names) == top4 | {"other"}
    ch = np.where(
        frame.campaign.map(lambda c: f"c{c}").isin(top4),
        frame.campaign.map(lambda c: f"c{c}"),
        "other",
    )
    expect = frame.groupby(ch).cost.sum()
    np.testing.assert_allclose(data.costs.sort_index().to_numpy(), expect.sort_index().to_numpy())
    conv = frame[frame.conversion_id != -1]
    assert data.criteo_attributed == conv.groupby("conversion_id").attribution.first().sum()
    assert data.journeys.n_conversions == conv.conversion_id.nunique()
    assert data.counts["channels_merged_into_other"] == frame.campaign.nunique() - 4


def test_criteo_channel_from_a_category_column(tmp_path):
    rows = criteo_rows(50, 3)
    data = read_criteo_attribution(write_criteo(tmp_path / "c.tsv", rows), channel="cat2", top=None)
    assert all(n.startswith("cat2_") for n in data.journeys.channel_names)


def _one(**change):
    r = [0, 1, 7, 1, 500, 55, 1, 1, 0, 1, 0.5, 2.0, 0, *[0] * 9]
    for k, v in change.items():
        r[CRITEO_COLUMNS.index(k)] = v
    return r


@pytest.mark.parametrize(
    ("rows", "match"),
    [
        ([_one(conversion=0)], r"row 0 \(line 2\): conversion is 0 but conversion_id is 55"),
        ([_one(conversion_timestamp=-1)], r"row 0 \(line 2\): the conversion is before"),
        ([_one(timestamp=-3, conversion_timestamp=5)], r"column 'timestamp': negative time"),
        ([_one(timestamp=""), _one()], r"row 0 \(line 2\), column 'timestamp': missing value"),
        (
            [_one(), _one(timestamp=10, conversion_timestamp=600)],
            r"row 1 \(line 3\), column 'conversion_timestamp'",
        ),
        ([_one(uid="abc")], r"not the Criteo attribution format"),
    ],
)
def test_criteo_bad_rows(tmp_path, rows, match):
    f = write_criteo(tmp_path / "bad.tsv", rows)
    with pytest.raises(ValueError, match=match):
        read_criteo_attribution(f)


def test_criteo_bad_arguments(tmp_path):
    f = write_criteo(tmp_path / "c.tsv", [_one()])
    with pytest.raises(FileNotFoundError, match="no such file"):
        read_criteo_attribution(tmp_path / "missing.tsv")
    with pytest.raises(ValueError, match="channel must be"):
        read_criteo_attribution(f, channel="uid")
    with pytest.raises(ValueError, match="top must be a positive integer"):
        read_criteo_attribution(f, top=0)
    with pytest.raises(ValueError, match="window_days"):
        read_criteo_attribution(f, window_days=-1)
    short = tmp_path / "short.tsv"
    short.write_text("1\t2\t3\n")
    with pytest.raises(ValueError, match="not the Criteo attribution format"):
        read_criteo_attribution(short)


def test_path_tables_of_other_tools(tmp_path):
    ca = Journeys.from_paths(
        ["A > B", "B", "C > A"], conversions=[2, 0, 1], nulls=[1, 4, 0], values=[20.0, 0, 5.0]
    )
    frac = pd.DataFrame(
        {
            "transformedPath": ["A > B", "B", "C > A"],
            "conversions": [2, 0, 1],
            "nonConversions": [1, 4, 0],
            "revenue": [20.0, None, 5.0],
        }
    )
    snow = frac.rename(
        columns={"transformedPath": "transformed_path", "nonConversions": "non_conversions"}
    )
    for table in (frac, snow, ca.to_path_table()):
        j = read_path_table(table)
        np.testing.assert_array_equal(j.channels, ca.channels)
        np.testing.assert_array_equal(j.value, ca.value)
        np.testing.assert_array_equal(j.nulls, ca.nulls)
    p = tmp_path / "frac.csv"
    frac.to_csv(p, index=False)
    assert read_path_table(p, format="fractribution").total_value == 25.0
    frac.loc[0, "revenue"] = None
    with pytest.raises(ValueError, match=r"row 0, column 'revenue': missing value"):
        read_path_table(frac)
    with pytest.raises(ValueError, match="match no known path table"):
        read_path_table(pd.DataFrame({"p": ["A"]}))
    with pytest.raises(ValueError, match="format must be"):
        read_path_table(frac, format="dp6")


def _event_log():
    return pd.DataFrame(
        {
            "uid": ["a", "a", "a", "b", "b", "c"],
            "ts": [
                "2026-01-01",
                "2026-01-02",
                "2026-01-05",
                "2026-01-01",
                "2026-01-03",
                "2026-01-04",
            ],
            "src": ["google", "newsletter", None, "facebook", "google", None],
            "med": ["cpc", "email", None, "paid_social", "organic", None],
            "buy": [0, 0, 1, 0, 0, 0],
            "rev": [0.0, 0.0, 40.0, 0.0, 0.0, 0.0],
            "unused": range(6),
        }
    )


@pytest.mark.parametrize("name", ["events.csv", "events.csv.gz", "events.tsv", "events.parquet"])
def test_read_events_equals_from_events(tmp_path, name):
    from attribution_lab.readers import read_events

    frame = _event_log()
    path = tmp_path / name
    if name.endswith(".parquet"):
        frame.to_parquet(path)
    else:
        frame.to_csv(path, index=False, sep="\t" if ".tsv" in name else ",")
    kw = dict(source="src", medium="med", conversion="buy", value="rev")
    got, report = read_events(path, "uid", "ts", return_report=True, **kw)
    want = Journeys.from_events(frame, "uid", "ts", **kw)
    assert got.path_strings().tolist() == want.path_strings().tolist()
    np.testing.assert_array_equal(got.value, want.value)
    np.testing.assert_array_equal(got.end_time, want.end_time)
    assert report.n_events == len(frame)
    with pytest.raises(ValueError, match=r"no column 'revenue'; did you mean 'rev'\?"):
        read_events(path, "uid", "ts", **{**kw, "value": "revenue"})


# ----------------------------------------------------------------- the shared file reader
def _write(path, text):
    opener = gzip.open if str(path).lower().endswith(".gz") else open
    with opener(path, "wt", newline="") as fh:
        fh.write(text)
    return path


def test_read_table_missing_file_names_it(tmp_path):
    from attribution_lab._io import read_table

    with pytest.raises(FileNotFoundError, match=r"nope\.csv: no such file"):
        read_table(tmp_path / "nope.csv")


@pytest.mark.parametrize("delim", [";", ",", "\t", "|"])
@pytest.mark.parametrize("name", ["t.csv", "t.csv.gz", "t.TSV.GZ"])
def test_read_table_sniffs_the_delimiter_plain_or_gzip(tmp_path, name, delim):
    from attribution_lab._io import read_table

    # the delimiter is the most frequent in the header, even when fields hold others
    text = delim.join(["path", "n"]) + "\n" + delim.join(['"A, B; C"', "3"]) + "\r\n"
    frame, source, name_row = read_table(_write(tmp_path / name, text))
    assert list(frame.columns) == ["path", "n"]
    assert frame.iloc[0].tolist() == ["A, B; C", 3]
    assert source == str(tmp_path / name)
    assert name_row(4) == f"{source}: row 4 (line 6)"


def test_read_table_delimiter_given_or_not_found(tmp_path):
    from attribution_lab._io import read_table

    f = _write(tmp_path / "t.csv", "a b\n1 2\n")
    with pytest.raises(ValueError, match=r"t\.csv: cannot tell the delimiter .*'a b'; pass delim"):
        read_table(f)
    assert read_table(f, delimiter=" ").frame.to_dict("list") == {"a": [1], "b": [2]}


def test_read_table_empty_cells_and_na_names(tmp_path):
    from attribution_lab._io import read_table

    f = _write(tmp_path / "t.csv", "channel,cost\nNA,\nnull,2\n")
    frame = read_table(f, na_values={"cost": [""]}).frame
    assert frame["channel"].tolist() == ["NA", "null"]  # channels, not missing values
    assert np.isnan(frame["cost"][0]) and frame["cost"][1] == 2
    assert read_table(f).frame["cost"].tolist() == ["", "2"]  # no na_values: kept as text
    assert read_table(f, keep_default_na=True).frame["channel"].isna().all()


def test_read_table_columns_and_parquet(tmp_path):
    from attribution_lab._io import read_table

    frame = pd.DataFrame({"user": [1, 2], "time": [0.5, 1.5], "other": ["x", "y"]})
    for name in ("t.csv", "t.parquet"):
        path = tmp_path / name
        if name.endswith(".parquet"):
            frame.to_parquet(path)
        else:
            frame.to_csv(path, index=False)
        got = read_table(path, columns=["time", "user"], parquet=True)
        pd.testing.assert_frame_equal(got.frame[["user", "time"]], frame[["user", "time"]])
        with pytest.raises(ValueError, match=r"no column 'tme'; did you mean 'time'\?"):
            read_table(path, columns=["user", "tme"], parquet=True)
    assert read_table(tmp_path / "t.parquet", parquet=True).name_row(0).endswith("t.parquet: row 0")
    # without parquet=True a Parquet file is just a file that is not CSV
    with pytest.raises(ValueError, match=r"t\.parquet: cannot parse as CSV"):
        read_table(tmp_path / "t.parquet")
    _write(tmp_path / "bad.parquet", "not parquet")
    with pytest.raises(ValueError, match=r"bad\.parquet: cannot parse as Parquet"):
        read_table(tmp_path / "bad.parquet", parquet=True)


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        (b"a,b\n1,2\n1,2,3\n", "Expected 2 fields in line 3"),
        (b'a,b\n"1,2\n', "EOF"),
        (b"a,b\n\xff\xfe,1\n", "codec can't decode"),
        (b"", "empty file (no header line)"),
    ],
)
def test_read_table_parse_errors_name_the_file(tmp_path, raw, why):
    from attribution_lab._io import read_table

    f = tmp_path / "broken.csv"
    f.write_bytes(raw)
    with pytest.raises(ValueError, match=r"broken\.csv: ") as err:
        read_table(f)
    assert why in str(err.value)
    assert "\n" not in str(err.value)  # one line, as the command line prints it
    if raw:
        assert "cannot parse as CSV" in str(err.value)


def test_file_readers_share_the_delimiter_and_parse_rules(tmp_path):
    from attribution_lab.readers import read_events

    frac = "transformedPath|conversions|nonConversions|revenue\nA > B|2|1|20\nB|0|4|\n"
    p = _write(tmp_path / "frac.csv", frac)  # csv.Sniffer took 'n' for the delimiter here
    assert read_path_table(p).total_value == 20.0
    p = _write(tmp_path / "frac.txt", frac.replace("|", " ").replace(" > ", ">"))
    with pytest.raises(ValueError, match=r"frac\.txt: cannot tell the delimiter"):
        read_path_table(p)
    assert read_path_table(p, delimiter=" ").n_nulls == 5
    p = _write(tmp_path / "frac_bad.csv", "transformedPath,conversions\nA,1\nB,1,2\n")
    with pytest.raises(ValueError, match=r"frac_bad\.csv: cannot parse as CSV \(.*line 3"):
        read_path_table(p)
    p = _write(tmp_path / "events.csv", 'uid;ts;ch\n1;0;a\n2;1;"b\n')
    with pytest.raises(ValueError, match=r"events\.csv: cannot parse as CSV \(.*EOF"):
        read_events(p, "uid", "ts", "ch")
    with pytest.raises(FileNotFoundError, match=r"nope\.parquet: no such file"):
        read_events(tmp_path / "nope.parquet", "uid", "ts", "ch")


def test_read_table_gz_that_is_not_gzip(tmp_path):
    from attribution_lab._io import read_table

    f = tmp_path / "plain.csv.gz"
    f.write_text("a,b\n1,2\n")  # named .gz, written uncompressed
    for kw in ({}, {"delimiter": ","}):  # sniffing the header or not
        with pytest.raises(ValueError, match=r"plain\.csv\.gz: not a gzip file \(.*b'a,'\)"):
            read_table(f, **kw)
    with pytest.raises(ValueError, match=r"plain\.csv\.gz: not a gzip file"):
        read_criteo_attribution(f)
    # a truncated gzip file is a file that cannot be parsed
    whole = gzip.compress(b"a,b\n" + b"1,2\n" * 10_000)
    cut = tmp_path / "cut.csv.gz"
    cut.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(ValueError, match=r"cut\.csv\.gz: cannot parse as CSV \(Compressed file"):
        read_table(cut)


@pytest.mark.parametrize(
    "columns", [PATH_TABLE_FORMATS["fractribution"], PATH_TABLE_FORMATS["snowplow"]]
)
def test_path_table_file_errors_name_file_and_line(tmp_path, columns):
    path, conv, nulls, value = columns
    rows = [f"{path},{conv},{nulls},{value}", "A > B,2,1,20", "B,0,4,", "C,x,1,"]
    f = _write(tmp_path / "paths.csv", "\n".join(rows) + "\n")
    with pytest.raises(ValueError) as err:
        read_path_table(f)
    assert str(err.value) == f"{f}: row 2 (line 4), column '{conv}': 'x' is not a number"
    rows[-1] = "C,1,1,"  # a conversion without revenue
    f = _write(tmp_path / "paths.csv", "\n".join(rows) + "\n")
    with pytest.raises(ValueError, match=rf"paths\.csv: row 2 \(line 4\), column '{value}': miss"):
        read_path_table(f)
    rows[-1] = "C > > A,1,1,5"
    f = _write(tmp_path / "paths.csv", "\n".join(rows) + "\n")
    with pytest.raises(ValueError, match=r"paths\.csv: row 2 \(line 4\), column '" + path):
        read_path_table(f)
