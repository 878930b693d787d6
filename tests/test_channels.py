"""Tests of attribution_lab.channels: the rule table and its GA4-style default."""

from __future__ import annotations

import logging
import re

import numpy as np
import pandas as pd
import pytest

from attribution_lab.channels import (
    UNASSIGNED,
    ChannelGrouping,
    default_rules_file,
    group_channels,
    referrer_host,
)

# (source, medium, campaign, referrer) -> channel under the default table
CATALOGUE = [
    ("(direct)", "(none)", None, None, "Direct"),
    (None, None, None, None, "Direct"),
    ("(direct)", "(not set)", None, None, "Direct"),
    ("google", "cpc", "brand_cross-network_q3", None, "Cross-network"),
    ("amazon", "cpc", None, None, "Paid Shopping"),
    ("partner", "ppc", "summer-shopping", None, "Paid Shopping"),
    ("partner", "paid", "workshop", None, "Paid Other"),  # "shop" inside a word: no
    ("partner", "paid", "eshop", None, "Paid Shopping"),  # except after an "e"
    ("google", "cpc", None, None, "Paid Search"),
    ("www.bing.com", "ppc", None, None, "Paid Search"),
    ("Google", "CPC", None, None, "Paid Search"),  # case does not matter
    (" google ", "cpc ", None, None, "Paid Search"),  # nor surrounding spaces
    ("facebook", "paid_social", None, None, "Paid Social"),
    ("linkedin.com", "cpm", None, None, "Paid Social"),  # cpm contains "cp"
    ("youtube", "cpv", None, None, "Paid Video"),
    ("dsp", "display", None, None, "Display"),
    ("network", "banner", None, None, "Display"),
    ("whatever", "retargeting", None, None, "Paid Other"),
    ("ebay.co.uk", "referral", None, None, "Organic Shopping"),
    ("blog", "referral", "spring_shop", None, "Organic Shopping"),
    ("m.facebook.com", "referral", None, None, "Organic Social"),
    ("forum", "social", None, None, "Organic Social"),
    ("vimeo", "referral", None, None, "Organic Video"),
    ("site", "video", None, None, "Organic Video"),
    ("google", "organic", None, None, "Organic Search"),
    ("duckduckgo.com", "referral", None, None, "Organic Search"),
    ("other", "organic", None, None, "Organic Search"),
    ("news.example.org", "referral", None, None, "Referral"),
    ("newsletter", "email", None, None, "Email"),
    ("e-mail", "(none)", None, None, "Email"),
    ("partner", "affiliate", None, None, "Affiliates"),
    ("spotify", "audio", None, None, "Audio"),
    ("sms", "(none)", None, None, "SMS"),
    ("firebase", "(none)", None, None, "Mobile Push Notifications"),
    ("app", "web_push", None, None, "Mobile Push Notifications"),
    ("partner", "print", None, None, UNASSIGNED),
    (None, "(none)", None, "https://www.google.com/search?q=crm", "Organic Search"),
    (None, None, None, "https://news.example.org/post/1", "Referral"),
    (None, None, None, "http://t.co/abc", "Organic Social"),
    ("newsletter", "email", None, "https://mail.example.com/", "Email"),  # utm wins
]


def catalogue_frame() -> pd.DataFrame:
    return pd.DataFrame(
        CATALOGUE, columns=["utm_source", "utm_medium", "utm_campaign", "referrer", "want"]
    )


def test_default_rules_catalogue():
    frame = catalogue_frame()
    got = group_channels(frame, campaign="utm_campaign", referrer="referrer")
    mismatch = frame.assign(got=got)[got != frame["want"]]
    assert mismatch.empty, mismatch.to_string()
    assert got.index.equals(frame.index) and got.name == "channel"


def test_default_table_is_shipped_and_lists_ga4_groups():
    g = ChannelGrouping()
    assert default_rules_file().exists()
    for name in (
        "Direct",
        "Organic Search",
        "Paid Search",
        "Display",
        "Paid Social",
        "Organic Social",
        "Email",
        "Affiliates",
        "Referral",
        "Paid Video",
        "Organic Video",
        "Paid Shopping",
        "Organic Shopping",
        "SMS",
        "Audio",
    ):
        assert name in g.channels
    assert g.channels[-1] == UNASSIGNED


def reference_assign(rules: pd.DataFrame, rows) -> list[str]:
    """One row at a time: normalise, fill from the referrer, try every rule in order."""
    out = []
    for source, medium, campaign, referrer in rows:
        vals = {
            "source": (source or "").strip().lower(),
            "medium": (medium or "").strip().lower(),
            "campaign": (campaign or "").strip().lower(),
            "referrer": (referrer or "").strip().lower(),
        }
        if vals["referrer"] and not vals["source"]:
            host = re.sub(r"^[a-z][a-z0-9+.-]*:", "", vals["referrer"]).lstrip("/")
            host = re.split(r"[/?#:]", host)[0]
            vals["source"] = host[4:] if host.startswith("www.") else host
            if not vals["medium"]:
                vals["medium"] = "referral"
        channel = UNASSIGNED
        for rule in rules.itertuples(index=False):
            if all(
                not getattr(rule, f) or re.fullmatch(getattr(rule, f), vals[f], re.IGNORECASE)
                for f in vals
            ):
                channel = rule.channel
                break
        out.append(channel)
    return out


@pytest.mark.parametrize("seed", range(5))
def test_vectorised_grouping_matches_a_per_row_reference(seed):
    rng = np.random.default_rng(seed)
    pools = [
        ["google", "bing.com", "facebook", "newsletter", "amazon", "x", "", None, "sms"],
        ["cpc", "organic", "email", "referral", "display", "social", "", None, "affiliate"],
        ["brand", "shop_now", "cross-network", None],
        ["https://www.google.com/", "https://blog.example.org/a", None, None],
    ]
    n = 300
    rows = list(zip(*[[p[i] for i in rng.integers(0, len(p), n)] for p in pools], strict=True))
    g = ChannelGrouping()
    got = g.assign(*map(list, zip(*rows, strict=True))).tolist()
    assert got == reference_assign(g.rules, rows)


def test_first_match_wins_and_rows_with_one_channel_mean_or():
    rules = pd.DataFrame(
        {
            "channel": ["Brand", "Search", "Search", "Any"],
            "campaign": ["brand.*", "", "", ""],
            "source": ["", "google", "", ".*"],
            "medium": ["", "", "organic", ""],
        }
    )
    g = ChannelGrouping(rules, unassigned="Other")
    got = g.assign(
        source=["google", "google", "yahoo", "yahoo", None],
        medium=["cpc", "cpc", "organic", "cpc", None],
        campaign=["brand_q1", None, None, None, None],
    )
    assert got.tolist() == ["Brand", "Search", "Search", "Any", "Any"]
    assert g.match(source=["google", "yahoo"], medium=["x", "organic"]).tolist() == [1, 2]
    assert g.channels == ("Brand", "Search", "Any", "Other")


def test_edited_csv_round_trip(tmp_path):
    g = ChannelGrouping()
    path = tmp_path / "rules.csv"
    g.to_csv(path)
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    # a user's edit: podcasts are their own channel, tried first
    extra = pd.DataFrame([{"channel": "Podcast", "medium": "podcast"}])
    pd.concat([extra, table]).to_csv(path, index=False)
    edited = ChannelGrouping(path)
    frame = pd.DataFrame({"utm_source": ["show", "google"], "utm_medium": ["podcast", "cpc"]})
    assert group_channels(frame, edited).tolist() == ["Podcast", "Paid Search"]
    assert group_channels(frame, str(path)).tolist() == ["Podcast", "Paid Search"]
    assert group_channels(frame).tolist() == ["Audio", "Paid Search"]


def test_bad_rule_tables():
    with pytest.raises(ValueError, match=r"rule 1 \(line 3\), column 'medium': invalid regular"):
        ChannelGrouping(pd.DataFrame({"channel": ["a", "b"], "medium": ["x", "(unclosed"]}))
    with pytest.raises(ValueError, match="no 'channel' column"):
        ChannelGrouping(pd.DataFrame({"name": ["a"], "medium": ["x"]}))
    with pytest.raises(ValueError, match="empty channel"):
        ChannelGrouping(pd.DataFrame({"channel": ["a", None], "medium": ["x", "y"]}))
    with pytest.raises(ValueError, match="at least one of"):
        ChannelGrouping(pd.DataFrame({"channel": ["a"]}))
    with pytest.raises(FileNotFoundError):
        ChannelGrouping("/nonexistent/rules.csv")
    with pytest.raises(TypeError):
        ChannelGrouping(42)


def test_rule_files_are_read_as_other_table_files(tmp_path):
    import gzip

    text = "channel;medium;source\nNA;cpc;google|bing\nEmail;email;\n"  # ';', a channel 'NA'
    for name in ("rules.csv", "rules.csv.gz"):
        path = tmp_path / name
        with (gzip.open if name.endswith(".gz") else open)(path, "wt") as fh:
            fh.write(text)
        g = ChannelGrouping(path)
        assert g.assign(source=["bing", "x"], medium=["cpc", "email"]).tolist() == ["NA", "Email"]
    bad = tmp_path / "bad.csv"
    bad.write_text("channel,medium\nA,x\nB,(unclosed\n")
    with pytest.raises(ValueError, match=rf"^{re.escape(str(bad))}: row 1 \(line 3\), column 'me"):
        ChannelGrouping(bad)
    bad.write_text("channel,medium\nA,x\n,y\n")
    with pytest.raises(ValueError, match=r"bad\.csv: row 1 \(line 3\) has an empty channel"):
        ChannelGrouping(bad)
    bad.write_text("channel,medium\nA,x\nB,y,z\n")
    with pytest.raises(ValueError, match=r"bad\.csv: cannot parse as CSV \(.*line 3"):
        ChannelGrouping(bad)
    bad.write_text("channel\nA\n")  # no delimiter to tell: read as one column
    with pytest.raises(ValueError, match=r"bad\.csv: needs at least one of the columns"):
        ChannelGrouping(bad)
    with pytest.raises(FileNotFoundError, match=r"nope\.csv: no such rule table"):
        ChannelGrouping(tmp_path / "nope.csv")


def test_group_channels_missing_column_suggests_and_unassigned_is_logged(caplog):
    frame = pd.DataFrame({"utm_source": ["a", "google"], "utm_medium": ["zz", "cpc"]})
    with pytest.raises(ValueError, match=r"no column 'utm_sorce'; did you mean 'utm_source'"):
        group_channels(frame, source="utm_sorce")
    with caplog.at_level(logging.INFO, logger="attribution_lab.channels"):
        got = group_channels(frame)
    assert got.tolist() == [UNASSIGNED, "Paid Search"]
    assert "1 of 2 rows unassigned" in caplog.text


def test_referrer_host():
    got = referrer_host(["HTTPS://WWW.Example.com:443/x", "//cdn.site.io", "plain.org/p?q", ""])
    assert got.tolist() == ["example.com", "cdn.site.io", "plain.org", ""]


# ------------------------------------------------------- merging the channels of journeys


def test_merge_channels_keeps_touches_times_and_milestones():
    from attribution_lab import Journeys
    from attribution_lab.channels import merge_channels

    j = Journeys(
        np.array([0, 1, 2, 1]),
        np.array([0, 3, 4]),
        ["fb", "seo", "ig"],
        [1.0, 0.0],
        [0.0, 1.0],
        times=[0.0, 1.0, 2.0, 5.0],
        end_time=[3.0, 6.0],
        milestones={"lead": np.array([False, True, False, False])},
    )
    m = merge_channels(j, {"fb": "social", "ig": "social", "seo": "seo", "tv": "tv"})
    assert m.channel_names == ("social", "seo")
    assert m.channels.tolist() == [0, 1, 0, 1]
    assert m.times.tolist() == j.times.tolist() and m.end_time.tolist() == [3.0, 6.0]
    assert m.milestones["lead"].tolist() == [False, True, False, False]
    assert m.n_journeys == 2  # nothing aggregated
    with pytest.raises(ValueError, match=r"2 channels of the data are not in the channel map"):
        merge_channels(j, {"fb": "social"})
    with pytest.raises(ValueError, match="non-empty string"):
        merge_channels(j, {"fb": "social", "ig": "", "seo": "seo"})


def test_top_channels_ranks_touches_per_customer():
    from attribution_lab import Journeys
    from attribution_lab.channels import channel_touches, top_channels

    # b: 1 touch x 3 customers; a: 2 touches x 1; c: 1 x 1 + 1 x 1; ties by name
    j = Journeys.from_paths(["a > a > c", "b", "c"], conversions=[1, 1, 0], nulls=[0, 2, 1])
    assert channel_touches(j).tolist() == [2.0, 3.0, 2.0]
    assert top_channels(j, 1) == {"a": "other", "b": "b", "c": "other"}
    assert top_channels(j, 2) == {"a": "a", "b": "b", "c": "other"}
    assert top_channels(j, 9, other="rest") == {"a": "a", "b": "b", "c": "c"}
    for bad in (0, -1, 1.5, True):
        with pytest.raises(ValueError, match="positive integer"):
            top_channels(j, bad)
    k = Journeys.from_paths(["other > a"], conversions=[1])
    with pytest.raises(ValueError, match="already have a channel named 'other'"):
        top_channels(k, 1)


def test_read_channel_map_errors_name_file_row_and_column(tmp_path):
    from attribution_lab.channels import read_channel_map

    path = tmp_path / "map.csv"
    path.write_text("channel;group\n fb ;social\nig;social\n")
    assert read_channel_map(path) == {"fb": "social", "ig": "social"}
    cases = {
        "channel,group\nfb,social\n,x\n": r"map.csv: row 1 \(line 3\), column 'channel': empty",
        "channel,group\nfb,a\nfb,b\n": r"row 1 \(line 3\), column 'channel': 'fb' is mapped"
        r" again \(first at row 0 \(line 2\)\)",
        "chan,group\nfb,a\n": r"map.csv: a channel map has two columns, channel and group",
        "channel,group\n": r"map.csv: the channel map has no rows",
    }
    for text, match in cases.items():
        path.write_text(text)
        with pytest.raises(ValueError, match=match):
            read_channel_map(path)
    with pytest.raises(FileNotFoundError, match=r"nothing\.csv: no such channel map"):
        read_channel_map(tmp_path / "nothing.csv")
