"""Tests of attribution_lab.events: event logs to journeys, identity stitching, B2B accounts."""

from __future__ import annotations

import logging
import math
import re
from collections import Counter

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from attribution_lab.events import EventsReport, events_to_journeys, stitch_identities
from attribution_lab.journeys import Journeys
from attribution_lab.rules import FullPathAttribution, WShapedAttribution
from attribution_lab.simulate import simulate


def ev(rows, columns=("user", "time", "channel", "conv", "value")):
    return pd.DataFrame(list(rows), columns=list(columns))


def build(frame, **kw):
    kw.setdefault("user", "user")
    kw.setdefault("time", "time")
    if not any(k in kw for k in ("source", "medium", "campaign", "referrer")):
        kw.setdefault("channel", "channel")
    if "conv" in frame:
        kw.setdefault("conversion", "conv")
    if "value" in frame:
        kw.setdefault("value", "value")
    return events_to_journeys(frame, **kw)


def summary(j: Journeys) -> list[tuple]:
    """(path, times, end_time, conversions, value) of every journey."""
    return [
        (
            p,
            j.times[a:b].tolist(),
            float(j.end_time[k]),
            float(j.conversions[k]),
            float(j.value[k]),
        )
        for k, (p, a, b) in enumerate(
            zip(j.path_strings(), j.offsets[:-1], j.offsets[1:], strict=True)
        )
    ]


# ============================================================================ hand-made logs
def test_several_conversions_split_the_journey():
    frame = ev(
        [
            ("u", 1.0, "a", False, 0.0),
            ("u", 2.0, "b", False, 0.0),
            ("u", 3.0, None, True, 10.0),
            ("u", 4.0, "c", False, 0.0),
            ("u", 5.0, None, True, 20.0),
            ("u", 6.0, "d", False, 0.0),
        ]
    )
    j, rep = build(frame)
    assert summary(j) == [
        ("a > b", [1.0, 2.0], 3.0, 1.0, 10.0),
        ("c", [4.0], 5.0, 1.0, 20.0),
        ("d", [6.0], 6.0, 0.0, 0.0),
    ]
    assert j.contact.tolist() == ["u", "u", "u"]
    assert rep.dropped == {} and rep.n_journeys == 3 and rep.n_converting == 2
    assert rep.observation_end == 6.0


def test_touch_at_the_conversion_time_belongs_to_it_and_conversions_without_touches_count():
    frame = ev(
        [
            ("u", 0.0, None, True, 5.0),  # nothing before: no journey
            ("u", 1.0, "a", False, 0.0),
            ("u", 3.0, "b", False, 0.0),
            ("u", 3.0, None, True, 7.0),  # b (same time) counts for it
            ("u", 3.0, None, True, 9.0),  # a second conversion at once: no touch left
        ]
    )
    j, rep = build(frame)
    assert summary(j) == [("a > b", [1.0, 3.0], 3.0, 1.0, 7.0)]
    assert rep.conversions_without_touches == 2
    assert rep.dropped == {"conversions_without_touches": 2}


def test_lookback_is_measured_back_from_each_journeys_end():
    frame = ev(
        [
            ("u", 0.0, "old", False, 0.0),  # 10 days before the conversion: dropped
            ("u", 5.0, "edge", False, 0.0),  # exactly 5 days: kept
            ("u", 9.0, "new", False, 0.0),
            ("u", 10.0, None, True, 1.0),
            ("v", 2.0, "x", False, 0.0),  # 18 days before the observation end
            ("v", 16.0, "y", False, 0.0),
            ("w", 20.0, "z", False, 0.0),
        ]
    )
    j, rep = build(frame, lookback=5)
    assert summary(j) == [
        ("edge > new", [5.0, 9.0], 10.0, 1.0, 1.0),
        ("y", [16.0], 20.0, 0.0, 0.0),
        ("z", [20.0], 20.0, 0.0, 0.0),
    ]
    assert rep.outside_lookback == 2
    j2, _ = build(frame, lookback=pd.Timedelta(days=5))  # a timedelta is the same
    assert summary(j2) == summary(j)


def test_max_length_keeps_the_last_touches():
    frame = ev([("u", float(t), c, False, 0.0) for t, c in enumerate("abcde")])
    frame.loc[len(frame)] = ("u", 9.0, None, True, 3.0)
    j, rep = build(frame, max_length=2)
    assert summary(j) == [("d > e", [3.0, 4.0], 9.0, 1.0, 3.0)]
    assert rep.beyond_max_length == 3


def test_lookback_then_max_length_and_a_conversion_left_empty():
    frame = ev(
        [
            ("u", 0.0, "a", False, 0.0),
            ("u", 50.0, None, True, 1.0),  # a's only touch is 50 days back
            ("u", 60.0, "b", False, 0.0),
            ("u", 61.0, "c", False, 0.0),
            ("u", 62.0, "d", False, 0.0),
            ("u", 63.0, None, True, 2.0),
        ]
    )
    j, rep = build(frame, lookback=30, max_length=2)
    assert summary(j) == [("c > d", [61.0, 62.0], 63.0, 1.0, 2.0)]
    assert (rep.outside_lookback, rep.beyond_max_length) == (1, 1)
    assert rep.conversions_without_touches == 1


def test_exact_duplicates_are_dropped_and_counted():
    frame = ev(
        [
            ("u", 1.0, "a", False, 0.0),
            ("u", 1.0, "a", False, 0.0),
            ("u", 1.0, "b", False, 0.0),  # same time, another channel: not a duplicate
            ("u", 2.0, None, True, 4.0),
            ("u", 2.0, None, True, 4.0),  # the same purchase logged twice
        ]
    )
    j, rep = build(frame)
    assert summary(j) == [("a > b", [1.0, 1.0], 2.0, 1.0, 4.0)]
    assert rep.duplicates == 2 and rep.conversions_without_touches == 0


def test_observation_end_drops_later_events_and_ends_non_converting_journeys():
    frame = ev(
        [
            ("u", 1.0, "a", False, 0.0),
            ("u", 8.0, "b", False, 0.0),
            ("u", 12.0, "c", False, 0.0),  # after the end
            ("v", 3.0, "a", False, 0.0),
            ("v", 11.0, None, True, 5.0),  # after the end: v never converts
        ]
    )
    j, rep = build(frame, observation_end=10)
    assert summary(j) == [
        ("a > b", [1.0, 8.0], 10.0, 0.0, 0.0),
        ("a", [3.0], 10.0, 0.0, 0.0),
    ]
    assert rep.after_observation_end == 2


def test_event_type_column_and_conversion_rows_that_are_touches():
    frame = pd.DataFrame(
        {
            "user": ["u"] * 4,
            "time": [1.0, 2.0, 3.0, 4.0],
            "event": ["session", "session", "purchase", "session"],
            "channel": ["search", "email", "email", "search"],
            "amount": [np.nan, np.nan, 30.0, np.nan],
        }
    )
    kw = dict(conversion="event", conversion_events={"purchase"}, value="amount")
    j, _ = build(frame, **kw)
    assert summary(j) == [
        ("search > email", [1.0, 2.0], 3.0, 1.0, 30.0),
        ("search", [4.0], 4.0, 0.0, 0.0),
    ]
    j, _ = build(frame, conversion_is_touch=True, **kw)
    assert summary(j)[0] == ("search > email > email", [1.0, 2.0, 3.0], 3.0, 1.0, 30.0)


def test_numeric_conversion_flags_and_missing_flags():
    frame = ev([("u", 1.0, "a", 0, 0.0), ("u", 2.0, None, 1, 2.0), ("u", 3.0, "b", np.nan, 0)])
    j, _ = build(frame)
    assert [s[3] for s in summary(j)] == [1.0, 0.0]
    frame["conv"] = [None, True, None]
    j, _ = build(frame)
    assert [s[3] for s in summary(j)] == [1.0, 0.0]


def test_datetime_strings_and_time_zones_become_days():
    frame = pd.DataFrame(
        {
            "user": ["u", "u", "u"],
            "time": ["2024-01-01T00:00:00+01:00", "2024-01-02T12:00:00+00:00", "2024-01-03"],
            "channel": ["a", "b", None],
            "conv": [False, False, True],
        }
    )
    j, _rep = build(frame, time_format="ISO8601")
    day0 = (pd.Timestamp("2024-01-01") - pd.Timestamp(0)) / pd.Timedelta(days=1)
    assert j.times.tolist() == [day0 - 1 / 24, day0 + 1.5]
    assert j.end_time.tolist() == [day0 + 2]
    assert pd.to_datetime(j.end_time, unit="D")[0] == pd.Timestamp("2024-01-03")
    frame["time"] = pd.to_datetime(frame["time"], format="ISO8601", utc=True)
    j2, _ = build(frame, observation_end="2024-02-01")
    assert j2.times.tolist() == j.times.tolist()
    with pytest.raises(TypeError, match="timestamp"):
        build(frame, observation_end=30.0)


def test_milestone_rows_flag_the_touch_before_them():
    frame = pd.DataFrame(
        {
            "user": ["u"] * 6,
            "time": [1.0, 2.0, 2.5, 3.0, 4.0, 5.0],
            "channel": ["ad", "webinar", None, "sales", "email", None],
            "event": ["touch", "touch", "lead", "touch", "opp", "won"],
            "revenue": [0, 0, 0, 0, 0, 100.0],
        }
    )
    j, rep = build(
        frame,
        conversion="event",
        conversion_events={"won"},
        value="revenue",
        milestones={
            "lead": ("event", {"lead"}),
            "opportunity": ("event", {"opp"}),  # the opp row has a channel: it flags itself
            "closed_won": ("event", {"won"}),  # the conversion row: its last touch
        },
    )
    assert j.path_strings().tolist() == ["ad > webinar > sales > email"]
    assert j.milestone_position("lead").tolist() == [1]
    assert j.milestone_position("opportunity").tolist() == [3]
    assert j.milestone_position("closed_won").tolist() == [3]
    assert rep.milestones_unplaced == 0
    # W-shaped: 0.3 to first (ad), lead (webinar), opportunity (email); 0.1 to sales
    credit = WShapedAttribution().fit(j).attribute().to_frame()["conversions"]
    assert credit.round(3).to_dict() == {"ad": 0.3, "email": 0.3, "sales": 0.1, "webinar": 0.3}


def test_milestone_before_any_touch_is_unplaced():
    frame = pd.DataFrame(
        {"user": ["u", "u"], "time": [1.0, 2.0], "channel": [None, "a"], "lead": [True, False]}
    )
    j, rep = build(frame, milestones={"lead": "lead"})
    assert j.milestone_position("lead").tolist() == [-1]
    assert rep.milestones_unplaced == 1 and rep.missing_channel == 0


def test_utm_columns_are_grouped_and_unassigned_counted():
    frame = pd.DataFrame(
        {
            "user": ["u"] * 5,
            "time": [1.0, 2.0, 3.0, 4.0, 5.0],
            "utm_source": ["google", "newsletter", None, "??", None],
            "utm_medium": ["cpc", "email", None, "??", None],
            "conv": [False, False, False, False, True],
        }
    )
    j, rep = build(frame, source="utm_source", medium="utm_medium")
    assert j.path_strings().tolist() == ["Paid Search > Email > Direct > Unassigned"]
    assert rep.unassigned == 1 and rep.unassigned_dropped == 0
    j, rep = build(frame, source="utm_source", medium="utm_medium", drop_unassigned=True)
    assert j.path_strings().tolist() == ["Paid Search > Email > Direct"]
    assert rep.dropped == {"unassigned_dropped": 1}


def test_identity_stitching_joins_cookies_through_emails():
    frame = pd.DataFrame(
        {
            "cookie": ["c1", "c2", "c2", None, "c9"],
            "email": [None, None, "a@x", "a@x", None],
            "crm": [None, None, None, 7, None],
            "time": [1.0, 2.0, 3.0, 4.0, 1.0],
            "channel": ["ad", "search", "email", None, "ad"],
            "conv": [False, False, False, True, False],
        }
    )
    assert stitch_identities(frame, ["cookie", "email", "crm"]).tolist() == [0, 1, 1, 1, 2]
    j, rep = build(frame, user=["cookie", "email", "crm"])
    assert j.path_strings().tolist() == ["ad", "search > email", "ad"]
    assert j.conversions.tolist() == [0.0, 1.0, 0.0]
    assert j.contact.tolist() == [0, 1, 2]
    assert rep.touches["contact"].tolist() == [0, 1, 1, 2]


def test_stitching_chains_and_rows_without_ids():
    frame = pd.DataFrame({"a": ["x", None, "y", None], "b": [None, 1, 1, None], "c": [5, 5, 6, 6]})
    # x~5, 1~5 (row 1), 1~y (row 2), y~6, row 3 has c only: everything is one person
    assert stitch_identities(frame, ["a", "b", "c"]).tolist() == [0, 0, 0, 0]
    assert stitch_identities(frame, ["a", "b"]).tolist() == [0, 1, 1, -1]
    with pytest.raises(ValueError, match="'bb'"):
        stitch_identities(frame, ["a", "bb"])


def stitch_reference(frame, columns):
    """Union-find over (column, value) identifiers, one row at a time."""
    parent = {}

    def find(x):
        while parent.setdefault(x, x) != x:
            x = parent[x]
        return x

    ids = [
        [(c, v) for c, v in zip(columns, row, strict=True) if not pd.isna(v)]
        for row in frame[columns].itertuples(index=False)
    ]
    for row in ids:
        for other in row[1:]:
            parent[find(other)] = find(row[0])
    numbers = {}
    return [numbers.setdefault(find(row[0]), len(numbers)) if row else -1 for row in ids]


@pytest.mark.parametrize("seed", range(5))
def test_stitching_matches_union_find(seed):
    rng = np.random.default_rng(seed)
    n = 200
    frame = pd.DataFrame(
        {
            c: np.where(rng.random(n) < p, rng.integers(0, k, n).astype(float), np.nan)
            for c, p, k in (("cookie", 0.9, 150), ("email", 0.3, 40), ("crm", 0.1, 20))
        }
    )
    got = stitch_identities(frame, ["cookie", "email", "crm"]).tolist()
    assert got == stitch_reference(frame, ["cookie", "email", "crm"])


def b2b_log() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "contact": ["ann", "bob", "ann", None, "cy", "bob", "cy", None],
            "account": ["acme", "acme", None, "acme", "zeta", None, None, "zeta"],
            "time": [1.0, 2.0, 3.0, 4.0, 1.0, 5.0, 2.0, 6.0],
            "channel": ["webinar", "search", "sales", None, "ad", "email", "ad", None],
            "event": ["touch", "lead", "opp", "won", "touch", "touch", "touch", "won"],
            "deal": [0, 0, 0, 5000.0, 0, 0, 0, 800.0],
        }
    )


def test_b2b_accounts_merge_their_contacts_touches():
    j, rep = events_to_journeys(
        b2b_log(),
        user="contact",
        account="account",
        time="time",
        channel="channel",
        conversion="event",
        conversion_events={"won"},
        value="deal",
        milestones={"lead": ("event", {"lead"}), "opportunity": ("event", {"opp"})},
    )
    # ann's and bob's rows without an account inherit acme from their other rows
    assert summary(j) == [
        ("webinar > search > sales", [1.0, 2.0, 3.0], 4.0, 1.0, 5000.0),
        ("email", [5.0], 6.0, 0.0, 0.0),  # bob after acme's deal, up to the end
        ("ad > ad", [1.0, 2.0], 6.0, 1.0, 800.0),
    ]
    assert j.account.tolist() == ["acme", "acme", "zeta"] and j.contact is None
    assert j.milestone_position("lead").tolist() == [1, -1, -1]
    assert j.milestone_position("opportunity").tolist() == [2, -1, -1]
    t = rep.touches
    assert t["contact"].tolist() == ["ann", "bob", "ann", "bob", "cy", "cy"]
    assert t["journey"].tolist() == [0, 0, 0, 1, 2, 2]
    assert t["row"].tolist() == [0, 1, 2, 5, 4, 6]


def test_b2b_credit_per_contact_role():
    frame = b2b_log().assign(role=["cmo", "it", "cmo", None, "cfo", "it", "cfo", None])
    j, rep = events_to_journeys(
        frame,
        user="contact",
        account="account",
        time="time",
        channel="channel",
        conversion="event",
        conversion_events={"won"},
        value="deal",
        milestones={"lead": ("event", {"lead"}), "opportunity": ("event", {"opp"})},
        touch_columns=["role"],
    )
    w = WShapedAttribution().fit(j).touch_weights(j)
    touches = rep.touches.assign(credit=w * j.value[rep.touches["journey"]])
    # acme (5000): webinar (cmo) first, search (it) lead, sales (cmo) opportunity: 1/3 each
    # zeta (800): ad > ad, both cfo; bob's non-converting email (it) earns nothing
    by_role = touches.groupby("role")["credit"].sum().round(6).to_dict()
    assert by_role == {"cfo": 800.0, "cmo": round(10000 / 3, 6), "it": round(5000 / 3, 6)}
    with pytest.raises(ValueError, match=r"report\.touches uses"):
        events_to_journeys(
            frame, user="contact", time="time", channel="channel", touch_columns=["contact"]
        )


def test_b2b_account_mapping_and_missing_accounts():
    frame = b2b_log().drop(columns="account")
    mapping = {"ann": "acme", "bob": "acme"}  # cy has no account
    j, rep = events_to_journeys(
        frame,
        user="contact",
        account=mapping,
        time="time",
        channel="channel",
        conversion="event",
        conversion_events={"won"},
    )
    assert j.path_strings().tolist() == ["webinar > search > sales > email"]
    assert rep.missing_account == 2  # cy's rows
    assert rep.missing_user == 2  # the won rows have neither contact nor account
    # accounts alone, without any contact
    frame = b2b_log().assign(contact=None)
    j, rep = events_to_journeys(frame, user="contact", account="account", time="time",
                                channel="channel")  # fmt: skip
    assert j.path_strings().tolist() == ["webinar > search", "ad"]
    assert (rep.missing_user, rep.missing_channel) == (3, 2)  # no conversion column here
    assert rep.touches["contact"].isna().all()


# ============================================================================ round trips
def events_of(sim) -> pd.DataFrame:
    """The touches of a simulation plus one conversion row per converting journey."""
    touches = sim.touch_frame()
    j = sim.journeys
    won = np.flatnonzero(j.conversions > 0)
    conv = pd.DataFrame(
        {"journey": won, "time": j.end_time[won], "value": j.value[won], "is_conversion": True}
    )
    touches = touches.drop(columns=["value"]).assign(is_conversion=False, value=0.0)
    return pd.concat([touches, conv], ignore_index=True)


@pytest.mark.parametrize("seed", [0, 1])
def test_round_trip_from_a_simulated_world(seed):
    sim = simulate("decay", 300, random_state=seed)
    frame = events_of(sim).sample(frac=1.0, random_state=seed)  # any order
    j = Journeys.from_events(
        frame,
        "journey",
        "time",
        "channel",
        conversion="is_conversion",
        value="value",
        observation_end=sim.params["window"],
    )
    want = sim.journeys
    np.testing.assert_array_equal(j.path_strings(), want.path_strings())
    np.testing.assert_array_equal(j.offsets, want.offsets)
    np.testing.assert_array_equal(j.times, want.times)
    np.testing.assert_array_equal(j.end_time, want.end_time)
    np.testing.assert_array_equal(j.conversions, want.conversions)
    np.testing.assert_array_equal(j.value, want.value)
    assert j.contact.tolist() == list(range(want.n_journeys))


@pytest.mark.parametrize("seed", [0, 3])
def test_round_trip_from_an_account_world(seed):
    sim = simulate("b2b", 200, random_state=seed)
    frame = events_of(sim).sample(frac=1.0, random_state=seed)
    for m in ("lead", "opportunity", "closed_won"):
        frame[m] = frame[m].fillna(False).astype(bool)
    j, rep = Journeys.from_events(
        frame,
        "contact",
        "time",
        "channel",
        account="journey",
        conversion="is_conversion",
        value="value",
        milestones={m: m for m in ("lead", "opportunity", "closed_won")},
        observation_end=sim.params["window"],
        return_report=True,
    )
    want = sim.journeys
    np.testing.assert_array_equal(j.path_strings(), want.path_strings())
    np.testing.assert_array_equal(j.times, want.times)
    np.testing.assert_array_equal(j.end_time, want.end_time)
    np.testing.assert_array_equal(j.value, want.value)
    np.testing.assert_array_equal(j.account, want.account)
    for m in want.milestones:
        np.testing.assert_array_equal(j.milestones[m], want.milestones[m])
    # every touch keeps the contact that received it
    events = sim.events
    np.testing.assert_array_equal(rep.touches["contact"].to_numpy(int), events["contact"])
    assert rep.dropped == {}
    for model in (WShapedAttribution(), FullPathAttribution()):
        a = model.fit(j).attribute().to_frame()
        b = model.fit(want).attribute().to_frame()
        pd.testing.assert_frame_equal(a.sort_index(), b.sort_index())


# ============================================================================ reference
MS = ("lead", "opportunity")


def reference(
    frame,
    *,
    account=False,
    lookback=None,
    max_length=None,
    observation_end=None,
    conversion_is_touch=False,
):
    """Per-unit Python loops over the rules of the module docstring (numeric times)."""
    cols = ["user", "time", "channel", "conv", "value", *MS] + (["account"] if account else [])

    def norm(v):
        return None if v is None or (isinstance(v, float) and math.isnan(v)) else v

    seen, rows, dups = set(), [], 0
    for i, rec in enumerate(frame[cols].itertuples(index=False)):
        key = tuple(norm(v) for v in rec)
        if key in seen:
            dups += 1
        else:
            seen.add(key)
            rows.append(i)
    user = [norm(v) for v in frame["user"]]
    acc = [norm(v) for v in frame["account"]] if account else None
    if account:
        per_person = {}
        for i in rows:
            if user[i] is not None and acc[i] is not None:
                per_person.setdefault(user[i], Counter())[acc[i]] += 1
        best = {p: min(c.items(), key=lambda kv: (-kv[1], kv[0]))[0] for p, c in per_person.items()}
        unit = {i: acc[i] if acc[i] is not None else best.get(user[i]) for i in rows}
    else:
        unit = {i: user[i] for i in rows}
    time = frame["time"].tolist()
    counts = Counter(duplicates=dups)
    valid = []
    for i in rows:
        if unit[i] is None:
            counts["missing_user" if user[i] is None else "missing_account"] += 1
        elif norm(time[i]) is None:
            counts["missing_time"] += 1
        else:
            valid.append(i)
    obs = (
        observation_end
        if observation_end is not None
        else max((time[i] for i in valid), default=math.nan)
    )
    chan = [norm(c) for c in frame["channel"]]
    conv = frame["conv"].tolist()
    flags = {m: frame[m].tolist() for m in MS}
    by_unit = {}
    for i in valid:
        if time[i] > obs:
            counts["after_observation_end"] += 1
            continue
        events = by_unit.setdefault(unit[i], [])
        flagged = any(flags[m][i] for m in MS)
        if conv[i]:
            if conversion_is_touch and chan[i] is not None:
                events.append((time[i], 0, i))
            events.append((time[i], 2, i))
        elif chan[i] is not None:
            events.append((time[i], 0, i))
        elif flagged:
            events.append((time[i], 1, i))
        else:
            counts["missing_channel"] += 1
    out = []
    for u in sorted(by_unit):
        segments, cur = [], []
        for e in sorted(by_unit[u]):
            cur.append(e)
            if e[1] == 2:
                segments.append(cur)
                cur = []
        if cur:
            segments.append(cur)
        for seg in segments:
            c = seg[-1] if seg[-1][1] == 2 else None
            end = c[0] if c else obs
            touches = [e for e in seg if e[1] == 0]
            recent = [e for e in touches if lookback is None or end - e[0] <= lookback]
            counts["outside_lookback"] += len(touches) - len(recent)
            kept = recent[-max_length:] if max_length else recent
            counts["beyond_max_length"] += len(recent) - len(kept)
            ms = {m: [bool(flags[m][e[2]]) for e in kept] for m in MS}
            for e in seg:
                if e in kept or (e[1] == 2 and conversion_is_touch and chan[e[2]] is not None):
                    continue
                for m in MS:
                    if flags[m][e[2]]:
                        before = [k for k, t in enumerate(kept) if t <= e]
                        if before:
                            ms[m][before[-1]] = True
                        else:
                            counts["milestones_unplaced"] += 1
            if not kept:
                counts["conversions_without_touches"] += c is not None
                continue
            out.append(
                dict(
                    unit=u,
                    path=[chan[e[2]] for e in kept],
                    times=[e[0] for e in kept],
                    end=end,
                    conv=float(c is not None),
                    value=float(frame["value"].iloc[c[2]]) if c else 0.0,
                    rows=[e[2] for e in kept],
                    **ms,
                )
            )
    return out, {k: v for k, v in counts.items() if v}


def random_log(rng, n, account=False):
    users = np.array(["u0", "u1", "u2", "u3", "u4", None], dtype=object)
    frame = pd.DataFrame(
        {
            "user": users[rng.integers(0, 6, n)],
            "time": rng.integers(0, 20, n).astype(float),
            "channel": np.array(["a", "b", "c", None], dtype=object)[rng.integers(0, 4, n)],
            "conv": rng.random(n) < 0.2,
            "value": rng.integers(0, 50, n).astype(float),
            "lead": rng.random(n) < 0.1,
            "opportunity": rng.random(n) < 0.05,
        }
    )
    frame.loc[rng.random(n) < 0.05, "time"] = np.nan
    if account:
        frame["account"] = np.array(["A", "B", None, None], dtype=object)[rng.integers(0, 4, n)]
    # exact duplicates, then any order
    frame = pd.concat([frame, frame.sample(n // 10, random_state=rng.integers(1 << 31))])
    return frame.sample(frac=1.0, random_state=rng.integers(1 << 31)).reset_index(drop=True)


@pytest.mark.parametrize("seed", range(12))
def test_vectorised_matches_the_reference_on_random_logs(seed):
    check_against_reference(seed)


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_vectorised_matches_the_reference_for_any_seed(seed):
    check_against_reference(seed)


def check_against_reference(seed):
    rng = np.random.default_rng(seed)
    account = bool(seed % 3 == 2)
    frame = random_log(rng, int(rng.integers(1, 120)), account)
    opts = dict(
        lookback=[None, 3.0, 7.5][seed % 3],
        max_length=[None, 1, 2, 4][seed % 4],
        observation_end=[None, 15.0][seed % 2],
        conversion_is_touch=bool(seed % 5 == 1),
    )
    if frame["time"].isna().all():
        opts["observation_end"] = 15.0
    want, want_counts = reference(frame, account=account, **opts)
    j, rep = events_to_journeys(
        frame,
        user="user",
        time="time",
        channel="channel",
        conversion="conv",
        value="value",
        milestones={m: m for m in MS},
        account="account" if account else None,
        **opts,
    )
    assert j.n_journeys == len(want)
    units = j.account if account else j.contact
    for k, w in enumerate(want):
        a, b = j.offsets[k], j.offsets[k + 1]
        assert units[k] == w["unit"]
        assert [j.channel_names[c] for c in j.channels[a:b]] == w["path"]
        assert j.times[a:b].tolist() == w["times"]
        assert (j.end_time[k], j.conversions[k], j.value[k]) == (w["end"], w["conv"], w["value"])
        for m in MS:
            assert j.milestones[m][a:b].tolist() == w[m]
        assert rep.touches["row"].iloc[a:b].tolist() == w["rows"]
    assert rep.dropped == want_counts


# ============================================================================ bad input
def good_log() -> pd.DataFrame:
    return ev(
        [
            ("u", 1.0, "a", False, 0.0),
            ("u", 2.0, "b", False, 0.0),
            ("u", 3.0, None, True, 10.0),
            ("v", 1.0, "c", False, 0.0),
        ]
    )


def test_misspelt_column_names_the_column_and_suggests():
    with pytest.raises(ValueError, match=r"no column 'usr'; did you mean 'user'"):
        build(good_log(), user="usr")
    with pytest.raises(ValueError, match=r"no column 'Channel'; did you mean 'channel'"):
        build(good_log(), channel="Channel")
    with pytest.raises(ValueError, match="no column 'revenue'"):
        build(good_log(), value="revenue")


def test_channel_or_utm_not_both():
    with pytest.raises(ValueError, match="either channel="):
        events_to_journeys(
            good_log(), user="user", time="time", channel="channel", source="channel"
        )
    with pytest.raises(ValueError, match="either channel="):
        events_to_journeys(good_log(), user="user", time="time")


def test_unparsable_times_name_the_row():
    frame = good_log()
    frame["time"] = ["2024-01-01", "2024-01-02", "not a date", "2024-01-01"]
    frame.index = ["e1", "e2", "e3", "e4"]
    with pytest.raises(ValueError, match=r"row 'e3', column 'time': cannot parse 'not a date'"):
        build(frame)
    frame["time"] = [1.0, np.inf, 2.0, 3.0]
    with pytest.raises(ValueError, match=r"row 'e2', column 'time'.*not a finite time"):
        build(frame)
    frame["time"] = [True, False, True, True]
    with pytest.raises(TypeError, match="booleans"):
        build(frame)


def test_missing_times_and_users_are_counted():
    frame = good_log()
    frame.loc[1, "time"] = np.nan
    frame.loc[3, "user"] = None
    j, rep = build(frame)
    assert j.path_strings().tolist() == ["a"]
    assert (rep.missing_time, rep.missing_user) == (1, 1)
    frame = good_log()
    frame["time"] = ["2024-01-01", "", None, "2024-01-03"]
    _, rep = build(frame)
    assert rep.missing_time == 2


def test_nan_channels_are_counted():
    frame = good_log()
    frame.loc[0, "channel"] = np.nan
    frame.loc[1, "channel"] = "  "
    j, rep = build(frame)
    assert rep.missing_channel == 2 and rep.conversions_without_touches == 1
    assert j.path_strings().tolist() == ["c"]


def test_unsorted_input_gives_the_same_journeys():
    frame = good_log()
    j1, _ = build(frame)
    j2, _ = build(frame.iloc[::-1])
    assert summary(j1) == summary(j2)


def test_bad_conversion_values():
    frame = good_log()
    frame.loc[2, "value"] = -5.0
    with pytest.raises(ValueError, match=r"row 2, column 'value': negative conversion value"):
        build(frame)
    frame.loc[2, "value"] = np.nan
    with pytest.raises(ValueError, match=r"row 2, column 'value': conversion value missing"):
        build(frame)
    frame["value"] = ["0", "0", "ten", "0"]
    with pytest.raises(ValueError, match="'ten' is not a finite number"):
        build(frame)
    frame["value"] = [-1.0, np.nan, 10.0, -3.0]  # values of touch rows are not read
    j, _ = build(frame)
    assert j.total_value == 10.0


def test_bad_flags_and_options():
    frame = good_log()
    frame["conv"] = ["no", "no", "yes", "no"]
    with pytest.raises(TypeError, match="conversion_events"):
        build(frame)
    j, _ = build(frame, conversion_events={"yes"})
    assert j.n_conversions == 1
    frame["conv"] = [0, 0, 2, 0]
    with pytest.raises(ValueError, match="not a 0/1 flag"):
        build(frame)
    with pytest.raises(ValueError, match="max_length"):
        build(good_log(), max_length=0)
    with pytest.raises(ValueError, match="lookback"):
        build(good_log(), lookback=-1)
    with pytest.raises(TypeError, match="days"):
        build(good_log(), observation_end="2024-01-01")
    with pytest.raises(TypeError, match="DataFrame"):
        events_to_journeys(good_log().to_dict(), user="user", time="time", channel="channel")
    with pytest.raises(ValueError, match="need conversion"):
        events_to_journeys(good_log(), user="user", time="time", channel="channel", value="value")


def test_an_empty_log_is_refused_and_an_all_dropped_one_gives_no_journeys():
    with pytest.raises(ValueError, match=r"^events: no events"):
        build(good_log().iloc[:0])
    # a header-only file's columns have no type: "no events", not "must be boolean"
    with pytest.raises(ValueError, match=r"^events: no events"):
        build(good_log().iloc[:0].astype(object))
    frame = good_log()
    frame["channel"] = None
    j, rep = build(frame)
    assert j.n_journeys == 0 and rep.missing_channel == 3


def test_report_is_logged_and_printable(caplog):
    frame = pd.concat([good_log(), good_log().iloc[:1]])
    with caplog.at_level(logging.INFO, logger="attribution_lab.events"):
        _j, rep = Journeys.from_events(
            frame,
            "user",
            "time",
            "channel",
            conversion="conv",
            value="value",
            return_report=True,
        )
    assert isinstance(rep, EventsReport)
    assert str(rep) in caplog.text
    assert str(rep) == (
        "from_events: 5 events -> 2 journeys (1 converting), 3 touches; dropped: duplicates 1"
    )
    assert rep.to_dict()["duplicates"] == 1 and "touches" not in rep.to_dict()
    assert isinstance(Journeys.from_events(frame, "user", "time", "channel"), Journeys)


# ============================================================================ command line
def test_events_command_writes_a_path_table(tmp_path, capsys):
    import argparse

    from attribution_lab.cli.events import add_events_parser

    log = tmp_path / "log.csv"
    b2b_log().to_csv(log, index=False)
    parser = argparse.ArgumentParser(prog="attribution-lab")
    add_events_parser(parser.add_subparsers(dest="command"))
    out, touches = tmp_path / "paths.csv", tmp_path / "touches.csv"
    args = parser.parse_args(
        [
            "events", str(log), "--user", "contact", "--account", "account",
            "--channel", "channel", "--conversion", "event", "--conversion-events", "won",
            "--value", "deal", "--milestone", "lead=is_lead", "--out", str(out),
            "--touches", str(touches),
        ]
    )  # fmt: skip
    with pytest.raises(ValueError, match=r"no column 'is_lead'"):
        args.func(args)
    args.milestone = None
    args.func(args)
    table = Journeys.from_path_table(out)
    assert table.path_strings().tolist() == ["webinar > search > sales", "email", "ad > ad"]
    assert table.total_value == 5800.0
    assert pd.read_csv(touches)["contact"].tolist() == ["ann", "bob", "ann", "bob", "cy", "cy"]
    assert "3 journeys (2 converting)" in capsys.readouterr().out


# ============================================================================ time units
def epoch_log(scale: float) -> pd.DataFrame:
    """good_log's days 1, 2, 3 and 1 from 2026-01-01 (day 20454), in 1 / `scale` days."""
    frame = good_log()
    frame["time"] = (20_454.0 + frame["time"]) * scale
    return frame


@pytest.mark.parametrize(("unit", "scale"), [("days", 1.0), ("hours", 24.0), ("s", 86_400.0),
                                             ("ms", 86_400_000.0)])  # fmt: skip
def test_numeric_times_in_each_unit_are_days_in_the_journeys(unit, scale):
    j, rep = build(epoch_log(scale), time_unit=unit, lookback=1.5)
    # day 20455 is 2 days before the conversion at 20457, and before the observation end
    # (the last event, 20457): outside a 1.5-day lookback in both journeys
    assert summary(j) == [("b", [20_456.0], 20_457.0, 1.0, 10.0)]
    assert rep.outside_lookback == 2
    # the observation end is a time like the times, in their unit
    _, rep = build(epoch_log(scale), time_unit=unit, observation_end=20_460.0 * scale)
    assert rep.observation_end == 20_460.0


@pytest.mark.parametrize(
    ("scale", "unit", "says"),
    [
        (
            86_400.0,
            None,
            r"is not a time in days .*Unix epoch seconds: pass time_unit='s'",
        ),
        (86_400_000.0, None, r"is not a time in days .*epoch milliseconds: pass time_unit='ms'"),
        (86_400_000.0, "s", r"is not a time in seconds .*epoch milliseconds: pass time_unit='ms'"),
        (86_400.0, "hours", r"is not a time in hours .*epoch seconds: pass time_unit='s'"),
        (86_400e6, "ms", r"is not a time in milliseconds .*pass their unit as time_unit"),
    ],
)
def test_epoch_times_in_a_coarser_unit_are_refused_naming_row_column_and_unit(scale, unit, says):
    frame = epoch_log(scale)
    frame.index = ["e1", "e2", "e3", "e4"]
    with pytest.raises(ValueError, match=r"^row 'e1', column 'time': \S+ " + says):
        build(frame, time_unit=unit)


def test_dates_written_as_numbers_need_their_format():
    frame = good_log()
    frame["time"] = [20260101, 20260102, 20260103, 20260101]
    with pytest.raises(ValueError, match=r"written as YYYYMMDD, pass time_format='%Y%m%d'"):
        build(frame)
    j, _ = build(frame, time_format="%Y%m%d")
    assert j.times.tolist() == [20_454.0, 20_455.0, 20_454.0]
    frame["time"] = [20260101.0, np.nan, 20260103.0, 20260101.0]  # missing: counted
    _, rep = build(frame, time_format="%Y%m%d")
    assert rep.missing_time == 1


def test_a_unit_or_format_that_cannot_act_is_refused():
    frame = good_log()
    with pytest.raises(
        ValueError, match=r"time_unit must be one of \['days', 'hours', 's', 'ms'\]"
    ):
        build(frame, time_unit="seconds")
    frame["time"] = ["2026-01-01", "2026-01-02", "2026-01-03", "2026-01-01"]
    with pytest.raises(ValueError, match=r"column 'time' holds datetimes or date strings: "
                       r"time_unit='s' applies to numeric times only"):  # fmt: skip
        build(frame, time_unit="s")
    frame["time"] = pd.to_datetime(frame["time"])
    with pytest.raises(ValueError, match=r"holds datetimes already: time_format='ISO8601'"):
        build(frame, time_format="ISO8601")
    with pytest.raises(ValueError, match=r"^observation_end: 1767312000 is not a time in days"):
        build(good_log(), observation_end=1_767_312_000)
    with pytest.raises(ValueError, match=r"observation_end: inf is not a finite time"):
        build(good_log(), observation_end=np.inf)


def test_mixed_naive_and_zone_aware_strings_need_iso8601():
    frame = good_log()
    frame["time"] = ["2026-01-01T00:00:00", "2026-01-03T00:00:00+02:00", "2026-01-04T00:00:00Z",
                     "2026-01-02"]  # fmt: skip
    with pytest.raises(ValueError, match=r"row 1, column 'time'.*pass time_format='ISO8601'"):
        build(frame)
    j, _ = build(frame, time_format="ISO8601")
    # naive times are UTC; +02:00 is 2 hours earlier in UTC
    np.testing.assert_allclose(j.times, [20_454.0, 20_456.0 - 2 / 24, 20_455.0])


# ============================================================================ what the report adds
def test_the_value_of_conversions_without_touches_is_reported():
    frame = ev(
        [
            ("u", 1.0, None, True, 90.0),  # before any touch
            ("u", 2.8, "a", False, 0.0),
            ("u", 3.0, None, True, 10.0),
            ("v", 1.0, "c", False, 0.0),
            ("v", 2.0, None, True, 5.5),  # its touch is outside the lookback
        ]
    )
    j, rep = build(frame, lookback=0.5)
    assert (rep.conversions_without_touches, rep.value_without_touches) == (2, 95.5)
    assert j.total_value == 10.0  # 10 + 95.5 is the value of every conversion
    assert rep.to_dict()["value_without_touches"] == 95.5
    assert "conversions without touches 2 (value 95.5)" in str(rep)
    _, rep = build(good_log())
    assert rep.value_without_touches == 0.0 and "value" not in str(rep)


def test_tied_times_keep_the_input_order_and_are_counted():
    frame = ev(
        [
            ("u", 1.0, "a", False, 0.0),
            ("u", 1.0, "b", False, 0.0),  # tied with a
            ("u", 1.0, None, True, 10.0),  # a conversion at that time: ordered by rule
            ("u", 2.0, "c", False, 0.0),
            ("v", 2.0, "c", False, 0.0),  # same time as u's c: another journey
        ]
    )
    j, rep = build(frame)
    assert j.path_strings().tolist() == ["a > b", "c", "c"]
    assert rep.tied_times == 1 and rep.to_dict()["tied_times"] == 1
    assert str(rep).endswith(
        "; tied times 1 (touches at the same time as the previous touch of their journey,"
        " kept in input order)"
    )
    j, rep = build(frame.iloc[[1, 0, 2, 3, 4]])
    assert j.path_strings().tolist() == ["b > a", "c", "c"] and rep.tied_times == 1
    _, rep = build(good_log())
    assert rep.tied_times == 0 and "tied" not in str(rep)


# ============================================================================ events command
def run_events(tmp_path, capsys, text, *flags, out="paths.csv"):
    """``attribution-lab events`` on a log: (exit status, stdout, stderr lines)."""
    from attribution_lab.cli import main

    log = tmp_path / "ev.csv"
    log.write_text(text)
    code = main(["events", str(log), "--user", "user", "--channel", "channel", "--conversion",
                 "buy", "--value", "revenue", "--out", str(tmp_path / out), *flags])  # fmt: skip
    captured = capsys.readouterr()
    return code, captured.out, captured.err.splitlines()


EV = "user,time,channel,buy,revenue\n"
EPOCH = (
    "u1,1767225600,search,0,0\nu1,1767398400,email,0,0\nu1,1767484800,,1,90\n"
    "u2,1767312000,social,0,0\n"
)


def test_cli_epoch_seconds_are_refused_unless_the_unit_is_given(tmp_path, capsys):
    code, _, err = run_events(tmp_path, capsys, EV + EPOCH, "--lookback", "30")
    assert code == 2 and len(err) == 1 and not (tmp_path / "paths.csv").exists()
    assert err[0] == (
        f"attribution-lab: error: {tmp_path / 'ev.csv'}: row 0 (line 2), column 'time':"
        " 1767225600 is not a time in days (it would be 4,838,400 years after 1970); they"
        " look like Unix epoch seconds: pass --time-unit s"
    )
    code, _out, err = run_events(tmp_path, capsys, EV + EPOCH, "--lookback", "30",
                                "--time-unit", "s")  # fmt: skip
    assert code == 0 and err == []
    table = pd.read_csv(tmp_path / "paths.csv")
    assert table["path"].tolist() == ["search > email", "social"]
    assert table["total_conversion_value"].tolist() == [90.0, 0.0]
    ms = EPOCH.replace(",search", "000,search").replace(",email", "000,email")
    ms = ms.replace(",,1", "000,,1").replace(",social", "000,social")
    code, _, err = run_events(tmp_path, capsys, EV + ms, "--time-unit", "s")
    assert code == 2 and err[0].endswith("epoch milliseconds: pass --time-unit ms")
    assert run_events(tmp_path, capsys, EV + ms, "--time-unit", "ms")[0] == 0


def test_cli_time_format_fixes_mixed_time_zones(tmp_path, capsys):
    text = EV + (
        "u1,2026-01-01T00:00:00,search,0,0\nu1,2026-01-03T00:00:00+02:00,email,0,0\n"
        "u1,2026-01-04T00:00:00Z,,1,90\n"
    )
    code, _, err = run_events(tmp_path, capsys, text)
    assert code == 2 and len(err) == 1
    assert err[0].endswith(
        "ev.csv: row 1 (line 3), column 'time': cannot parse '2026-01-03T00:00:00+02:00' as a"
        " time (mixed formats or time zones? pass --time-format ISO8601 or --time-format mixed)"
    )
    code, out, err = run_events(tmp_path, capsys, text, "--time-format", "ISO8601")
    assert code == 0 and err == [] and "1 journeys (1 converting)" in out
    code, _, err = run_events(tmp_path, capsys, text, "--time-format", "ISO8601", "--time-unit",
                              "s")  # fmt: skip
    assert code == 2 and "is read with --time-format: --time-unit s applies to numeric" in err[0]


OK_LOG = EV + "u1,2026-01-01,search,0,0\nu1,2026-01-03,email,0,0\nu1,2026-01-04,,1,90\n"


@pytest.mark.parametrize(
    ("text", "flags", "says"),
    [
        (OK_LOG, ("--max-length", "0"), r"^--max-length must be a positive integer, got 0$"),
        (OK_LOG, ("--lookback", "-1"), r"^--lookback must be a finite duration >= 0, got -1$"),
        (OK_LOG, ("--observation-end", "5"), r"^--observation-end: event times are datetimes"),
        (OK_LOG, ("--channel", "channel", "--source", "channel"),
         r"^give either --channel \(a column .*\(--source, --medium, --campaign, --referrer\)"),
        (OK_LOG, ("--conversion", "channel"), r"ev\.csv: column 'channel' \(conversion\) must be "
         r"boolean or 0/1; for an event-type column pass --conversion-events with the values"),
        (OK_LOG, ("--milestone", "lead=channel"),
         r"ev\.csv: column 'channel' \(milestone 'lead'\) must be boolean or 0/1$"),
        (OK_LOG, ("--time", "when"),
         r"ev\.csv: no column 'when' \(columns are .*\); name the column with --time$"),
        (OK_LOG, ("--user", "usr"),
         r"ev\.csv: no column 'usr'; did you mean 'user'\? .*; name the column with --user$"),
        (OK_LOG.replace(",1,90", ",1,-90"), (),
         r"ev\.csv: row 2 \(line 4\), column 'revenue': negative conversion value -90 "),
        (OK_LOG.replace("2026-01-03", "soon"), (),
         r"ev\.csv: row 1 \(line 3\), column 'time': cannot parse 'soon'"),
        (EV, (), r"ev\.csv: no events \(the file has a header line only\)$"),
        (OK_LOG, ("--lookback", "0.1"), r"ev\.csv: no journey to write, nothing written; 3 events"
         r" -> 0 journeys .*outside lookback 2, conversions without touches 1 \(value 90\)$"),
    ],
)  # fmt: skip
def test_cli_errors_are_one_line_in_flags_never_python_keywords(
    tmp_path, capsys, text, flags, says
):
    code, _out, err = run_events(tmp_path, capsys, text, *flags)
    assert code == 2 and len(err) == 1, err
    msg = err[0].removeprefix("attribution-lab: error: ")
    assert re.search(says, msg), msg
    assert not re.search(r"(?<![\w-])[a-z_]+=", msg), msg  # no keyword=...
    assert not (tmp_path / "paths.csv").exists()


def test_cli_out_creates_missing_folders_and_refuses_a_folder(tmp_path, capsys):
    touches = str(tmp_path / "t" / "touches.csv")
    code, _, err = run_events(tmp_path, capsys, OK_LOG, "--touches", touches, out="new/sub/p.csv")
    assert code == 0 and err == []
    assert pd.read_csv(tmp_path / "new" / "sub" / "p.csv")["path"].tolist() == ["search > email"]
    assert pd.read_csv(tmp_path / "t" / "touches.csv")["row"].tolist() == [0, 1]
    (tmp_path / "folder").mkdir()
    code, _, err = run_events(tmp_path, capsys, OK_LOG, out="folder")
    assert code == 2 and err == [f"attribution-lab: error: --out {tmp_path / 'folder'}: is a"
                                 " folder; give a file name"]  # fmt: skip


def test_cli_reports_ties_and_the_value_without_touches(tmp_path, capsys):
    text = EV + "u1,2026-01-01,search,0,0\nu1,2026-01-01,email,0,0\nu1,2026-01-04,,1,90\n"
    text += "u2,2026-01-01,,1,7\nu2,2026-01-02,social,0,0\n"
    code, out, err = run_events(tmp_path, capsys, text)
    assert code == 0 and err == []
    assert "conversions without touches 1 (value 7); tied times 1 (touches" in out


def test_day_or_month_first_dates_warn_and_day_first_ones_get_the_format():
    frame = good_log()
    frame["time"] = ["03/01/2026", "04/01/2026", "05/01/2026", "03/01/2026"]
    with pytest.warns(UserWarning, match=r"column 'time': dates such as '03/01/2026' could be"
                      r" day or month first and are read month first \(2026-03-01\); if the day"
                      r" comes first, pass time_format='%d/%m/%Y'$"):  # fmt: skip
        j, _ = build(frame)
    assert j.times[0] == 20_513.0  # 2026-03-01
    j, _ = build(frame, time_format="%d/%m/%Y")
    assert j.times[0] == 20_456.0  # 2026-01-03
    frame["time"] = ["03/01/2026", "13/01/2026", "14/01/2026", "03/01/2026"]
    says = r"'13/01/2026' as a time \(dates written day first\? pass time_format='%d/%m/%Y'\)"
    with pytest.raises(ValueError, match=r"row 1, column 'time': cannot parse " + says):
        build(frame)


def test_numbers_that_are_not_dates_in_the_format_say_what_the_format_is_for():
    frame = good_log()
    says = r"the number 1 is not a date in time_format='ISO8601' \(time_format reads dates"
    with pytest.raises(ValueError, match=r"row 0, column 'time': " + says):
        build(frame, time_format="ISO8601")


def test_cli_warnings_name_flags_and_a_repeated_header_is_one_error(tmp_path, capsys):
    text = EV + "u1,03/01/2026,search,0,0\nu1,04/01/2026,email,0,0\nu1,05/01/2026,,1,90\n"
    code, _, err = run_events(tmp_path, capsys, text)
    assert code == 0 and len(err) == 1
    assert err[0].startswith(f"attribution-lab: warning: {tmp_path / 'ev.csv'}: column 'time':")
    assert err[0].endswith("if the day comes first, pass --time-format %d/%m/%Y")
    code, _, err = run_events(tmp_path, capsys, EV + OK_LOG)  # the header twice
    assert code == 2 and len(err) == 1, err  # no pandas "could not infer format" warning
    assert err[0].endswith("ev.csv: row 0 (line 2), column 'time': cannot parse 'time' as a time"
                           " (mixed formats or time zones? pass --time-format ISO8601 or"
                           " --time-format mixed)")  # fmt: skip


# ============================================================================ touch CSV (--events)
TOUCH = "journey,channel,time,converted,value,end_time\n"


@pytest.mark.parametrize(
    ("rows", "says"),
    [
        ("", r"t\.csv: no touches \(the file has a header line only\)$"),
        ("1,A,x,1,10,5\n", r"t\.csv: row 0 \(line 2\), column 'time': 'x' is not a finite number$"),
        ("1,B,4,1,10,5\n1,A,,1,10,5\n", r"t\.csv: row 1 \(line 3\), column 'time': missing value$"),
        ("1,,0,1,10,5\n", r"t\.csv: row 0 \(line 2\), column 'channel': missing channel name$"),
        ("1,A,0,yes,10,5\n", r"row 0 \(line 2\), column 'converted': 'yes' is not 0/1 or true"),
        ("1,A,0,0,10,5\n1,B,4,1,10,5\n",
         r"t\.csv: journey 1: column 'converted' differs between its touches \(lines 2 and 3\)$"),
        ("2,A,0,1,10,5\n2,B,4,1,10,6\n", r"journey 2: column 'end_time' differs .*lines 2 and 3"),
        ("1,A,0,1,10,5\n1,B,9,1,10,5\n",
         r"t\.csv: journey 1: end_time 5 is before its last touch \(time 9, line 3\)$"),
        ("1,A,0,1,,5\n", r"row 0 \(line 2\), column 'value': missing value$"),
        ("1,A,1767225600,1,10,1767312000\n",
         r"row 0 \(line 2\), column 'time': 1767225600 is not a time in days \(.*\); they look like"
         r" Unix epoch seconds: pass --time-unit s$"),
    ],
)  # fmt: skip
def test_touch_csv_refuses_bad_rows_naming_file_and_line(tmp_path, capsys, rows, says):
    from attribution_lab.cli import main
    from attribution_lab.readers import read_touch_table

    f = tmp_path / "t.csv"
    f.write_text(TOUCH + rows)
    with pytest.raises(ValueError, match=says):
        read_touch_table(str(f), None)
    assert main(["attribute", str(f), "--events", "--model", "linear", "--format", "json"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and re.search(says, err[0]), err


def test_touch_csv_units_order_and_common_end(tmp_path):
    from attribution_lab.readers import read_touch_table

    f = tmp_path / "t.csv"
    # unsorted; journey 1's touches tie at time 0 and keep the file's order
    f.write_text(TOUCH + "1,B,4,true,10,5\n2,B,1,false,0,6\n1,A,0,True,10,5\n1,C,0,1,10,5\n")
    j = read_touch_table(str(f), None)
    assert j.path_strings().tolist() == ["A > C > B", "B"]
    assert j.times.tolist() == [0.0, 0.0, 4.0, 1.0] and j.end_time.tolist() == [5.0, 6.0]
    assert j.conversions.tolist() == [1.0, 0.0] and j.value.tolist() == [10.0, 0.0]
    f.write_text(TOUCH + "1,A,86400,1,10,0\n1,B,172800,1,10,0\n")
    j = read_touch_table(str(f), "259200", time_unit="s")
    assert j.times.tolist() == [1.0, 2.0] and j.end_time.tolist() == [3.0]
    with pytest.raises(
        ValueError,
        match=r"t\.csv: --end-time: 1767312000 is not a time in days .*; give it in days",
    ):
        read_touch_table(str(f), "1767312000")


def test_steps_alone_trim_touches_and_place_milestones():
    """Steps 6-8 and 10 as functions of arrays: one unit, touches at days 1, 2, 3, 4, a
    conversion at day 5 (value 7) and a milestone-only row at day 6 (observation end 9)."""
    from attribution_lab.events._segments import (
        place_milestones,
        split_at_conversions,
        trim_touches,
    )

    t = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    touch = np.array([1, 1, 1, 1, 0, 0]) > 0
    conversion = np.array([0, 0, 0, 0, 1, 0]) > 0
    milestone = np.array([0, 0, 0, 0, 0, 1]) > 0
    s = split_at_conversions(
        np.zeros(6, np.int64), t, np.array([0, 0, 0, 0, 7.0, 0]), touch, milestone, conversion, 9.0
    )
    assert s.seg.tolist() == [0, 0, 0, 0, 0, 1] and s.value.tolist() == [7.0, 0.0]
    # lookback 3.5 days before the conversion drops day 1; max length 2 then day 2
    trim = trim_touches(s, np.zeros(6, bool), False, 3.5, 2)
    assert trim.kept.tolist() == [False, False, True, True, False, False]
    assert trim.outside_lookback.sum() == 1 and trim.beyond_max_length.sum() == 1
    # the milestone-only row has no kept touch in its segment; day 2's flag moves nowhere
    # (day 2 is dropped, the last kept touch before it is none); day 4 keeps its own
    lead = np.array([0, 1, 0, 1, 0, 1]) > 0
    kept_idx = np.flatnonzero(trim.kept)
    out, unplaced = place_milestones({"lead": lead}, s, trim.kept, kept_idx, touch)
    assert out["lead"].tolist() == [False, True] and unplaced == 2
