"""Tests of attribution_lab.events: event logs to journeys, identity stitching, B2B accounts."""

from __future__ import annotations

import logging
import math
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


def test_empty_and_all_dropped_logs_give_no_journeys():
    j, rep = build(good_log().iloc[:0])
    assert j.n_journeys == 0 and rep.n_events == 0
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

    from attribution_lab.events import add_events_parser

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
