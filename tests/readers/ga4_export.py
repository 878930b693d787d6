"""GA4 BigQuery export files for the tests: events with the export's own nested schema.

`random_export` draws users, sessions and events (sources at every level, direct
sessions, sessions across midnight, purchases with and without a session_start,
transactions exported twice, user_id shared by devices, missing records and null
parameters); `write_export` writes them as daily ``events_YYYYMMDD`` files, as BigQuery
does: newline-delimited JSON with INT64 as strings, or Parquet. `reference_path_table`
is the slow, obviously-correct version of `read_ga4_export`: a Python loop per session
and per person.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import os
from collections import defaultdict

import numpy as np
import pandas as pd

from attribution_lab.channels import ChannelGrouping

DAY_US = 86_400 * 1_000_000
T0 = int(dt.datetime(2024, 3, 1, tzinfo=dt.UTC).timestamp()) * 1_000_000

# (level, source, medium, campaign, gclid) of a session
SOURCES = [
    ("collected", "google", "cpc", "brand", None),
    ("collected", "facebook", "paid_social", "spring", None),
    ("collected", "newsletter", "email", "march", None),
    ("collected", None, None, None, "Cj0KCQ"),
    ("last_click", "bing", "cpc", "generic", None),
    ("last_click", "ads", None, None, None),  # a Google Ads campaign only
    ("event_params", "instagram", "social", None, None),
    ("event_params", None, None, None, "EAIaIQ"),
    ("none", None, None, None, None),
    ("none", None, None, None, None),
]


def param(key, string=None, integer=None, double=None):
    """One entry of event_params: the value in one of its four fields, the rest null."""
    return {
        "key": key,
        "value": {
            "string_value": string,
            "int_value": integer,
            "float_value": None,
            "double_value": double,
        },
    }


def event(t, name, pseudo, sid, *, user_id=None, params=(), **records):
    row = {
        "event_date": dt.datetime.fromtimestamp(t / 1e6, dt.UTC).strftime("%Y%m%d"),
        "event_timestamp": int(t),
        "event_name": name,
        "event_params": ([param("ga_session_id", integer=sid)] if sid is not None else [])
        + list(params),
        "user_pseudo_id": pseudo,
        "user_id": user_id,
        "traffic_source": {"name": "(direct)", "medium": "(none)", "source": "(direct)"},
        "platform": "WEB",
    }
    row.update(records)
    return row


def session_records(level, source, medium, campaign, gclid, first):
    """The records and params carrying a session's source, on its first event or all."""
    out, params = {}, []
    if level == "collected" and first:
        out["collected_traffic_source"] = {
            "manual_source": source,
            "manual_medium": medium,
            "manual_campaign_name": campaign,
            "gclid": gclid,
        }
    if level == "last_click":
        if source == "ads":
            out["session_traffic_source_last_click"] = {
                "manual_campaign": None,
                "google_ads_campaign": {"campaign_name": "ads campaign", "customer_id": "1"},
            }
        else:
            out["session_traffic_source_last_click"] = {
                "manual_campaign": {"source": source, "medium": medium, "campaign_name": campaign},
                "google_ads_campaign": None,
            }
    elif level in ("none", "collected", "event_params"):
        # what GA4 writes for a session it saw no source of
        out["session_traffic_source_last_click"] = None
    if level == "event_params" and first:
        for key, v in (("source", source), ("medium", medium), ("campaign", campaign)):
            if v is not None:
                params.append(param(key, string=v))
        if gclid:
            params.append(param("gclid", string=gclid))
    return out, params


def random_export(seed, n_users=40, days=3, p_purchase=0.35):
    """Rows of a random export (dicts in the export's schema) with every awkward case."""
    rng = np.random.default_rng(seed)
    rows = []
    txn = 0
    shared_ids = [f"member{k}" for k in range(max(1, n_users // 8))]
    for u in range(n_users):
        pseudo = f"{rng.integers(10**9)}.{u}"
        uid = shared_ids[rng.integers(len(shared_ids))] if rng.random() < 0.3 else None
        for _ in range(int(rng.integers(1, 5))):
            start = T0 + int(rng.integers(0, days * DAY_US))
            if rng.random() < 0.1:  # a session across midnight
                start = T0 + int(rng.integers(0, days)) * DAY_US + DAY_US - 60_000_000
            sid = start // 1_000_000
            level, source, medium, campaign, gclid = SOURCES[rng.integers(len(SOURCES))]
            n_ev = int(rng.integers(1, 5))
            times = start + np.sort(rng.integers(0, 600_000_000, n_ev))
            times[0] = start
            names = ["session_start"] + ["page_view"] * (n_ev - 1)
            if rng.random() < 0.15:  # no session_start: the session starts at a page_view
                names[0] = "page_view"
            for k, (t, name) in enumerate(zip(times, names, strict=True)):
                rec, params = session_records(level, source, medium, campaign, gclid, k == 0)
                if rng.random() < 0.2:
                    params.append(param("page_title", string=None))  # a null parameter
                if rng.random() < 0.2:
                    rec["ecommerce"] = None
                rows.append(
                    event(t, name, pseudo, sid, user_id=uid if k else None, params=params, **rec)
                )
            if rng.random() < p_purchase:
                t = int(times[-1]) + int(rng.integers(0, 60_000_000))
                if rng.random() < 0.15:  # a purchase that is the session's only event
                    t = start
                    rows = [
                        r for r in rows if not (r["user_pseudo_id"] == pseudo and _sid(r) == sid)
                    ]
                txn += 1
                ecommerce = {
                    "purchase_revenue": float(rng.integers(1, 200)),
                    "transaction_id": f"T{txn}",
                    "total_item_quantity": 1,
                }
                rec, params = session_records(level, source, medium, campaign, gclid, t == start)
                rows.append(
                    event(
                        t,
                        "purchase",
                        pseudo,
                        sid,
                        user_id=uid,
                        params=params,
                        ecommerce=ecommerce,
                        **rec,
                    )
                )
                if rng.random() < 0.2:  # the same transaction exported again, later
                    rows.append(
                        event(
                            t + 5_000_000,
                            "purchase",
                            pseudo,
                            sid,
                            user_id=uid,
                            ecommerce=dict(ecommerce),
                        )
                    )
        if rng.random() < 0.2:  # an event without a session
            rows.append(
                event(T0 + int(rng.integers(0, days * DAY_US)), "user_engagement", pseudo, None)
            )
    rows.append(event(T0 + 5, "page_view", None, 17))  # consent mode: no user_pseudo_id
    order = rng.permutation(len(rows))
    return [rows[i] for i in order]


def _sid(row):
    for p in row["event_params"]:
        if p["key"] == "ga_session_id":
            return p["value"]["int_value"]
    return None


def _bigquery_json(value):
    """INT64 as BigQuery writes it to JSON: a string."""
    if isinstance(value, dict):
        return {k: _bigquery_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_bigquery_json(v) for v in value]
    if isinstance(value, bool | float | str) or value is None:
        return value
    if isinstance(value, int | np.integer):
        return str(int(value))
    return value


def parquet_schema():
    """The export's schema (the fields these tests write), INT64 as int64."""
    import pyarrow as pa

    s, i, d = pa.string(), pa.int64(), pa.float64()
    value = pa.struct(
        [("string_value", s), ("int_value", i), ("float_value", d), ("double_value", d)]
    )
    return pa.schema(
        [
            ("event_date", s),
            ("event_timestamp", i),
            ("event_name", s),
            ("event_params", pa.list_(pa.struct([("key", s), ("value", value)]))),
            ("user_pseudo_id", s),
            ("user_id", s),
            ("traffic_source", pa.struct([("name", s), ("medium", s), ("source", s)])),
            ("platform", s),
            (
                "collected_traffic_source",
                pa.struct(
                    [
                        ("manual_campaign_id", s),
                        ("manual_campaign_name", s),
                        ("manual_source", s),
                        ("manual_medium", s),
                        ("manual_term", s),
                        ("manual_content", s),
                        ("gclid", s),
                        ("dclid", s),
                        ("srsltid", s),
                    ]
                ),
            ),
            (
                "session_traffic_source_last_click",
                pa.struct(
                    [
                        (
                            "manual_campaign",
                            pa.struct(
                                [
                                    ("campaign_id", s),
                                    ("campaign_name", s),
                                    ("source", s),
                                    ("medium", s),
                                ]
                            ),
                        ),
                        (
                            "google_ads_campaign",
                            pa.struct([("customer_id", s), ("campaign_name", s)]),
                        ),
                    ]
                ),
            ),
            (
                "ecommerce",
                pa.struct(
                    [("total_item_quantity", i), ("purchase_revenue", d), ("transaction_id", s)]
                ),
            ),
        ]
    )


def write_export(rows, folder, fmt="json", by_day=True, gz=False):
    """Write `rows` as daily events_YYYYMMDD files (or one file); returns the paths."""
    os.makedirs(folder, exist_ok=True)
    groups = defaultdict(list)
    for r in rows:
        groups[r["event_date"] if by_day else "all"].append(r)
    paths = []
    for day, part in sorted(groups.items()):
        if fmt == "json":
            path = os.path.join(folder, f"events_{day}.json" + (".gz" if gz else ""))
            text = "\n".join(json.dumps(_bigquery_json(r)) for r in part) + "\n"
            opener = gzip.open if gz else open
            with opener(path, "wt", encoding="utf-8") as fh:
                fh.write(text)
        else:
            import pyarrow as pa
            import pyarrow.parquet as pq

            path = os.path.join(folder, f"events_{day}.parquet")
            pq.write_table(pa.Table.from_pylist(part, schema=parquet_schema()), path)
        paths.append(path)
    return paths


# ---------------------------------------------------------------------- the slow reference
def _get(row, *path):
    for key in path:
        if not isinstance(row, dict) or row.get(key) is None:
            return None
        row = row[key]
    return row


def _clean(v):
    if v is None:
        return None
    v = str(v).strip()
    return None if v in ("", "(not set)") else v


def _params(row):
    out = {}
    for p in row.get("event_params") or []:
        val = p.get("value") or {}
        for f in ("string_value", "int_value", "double_value", "float_value"):
            if val.get(f) is not None:
                out[p["key"]] = val[f]
                break
        else:
            out[p["key"]] = None
    return out


def _level(row, level):
    """(source, medium, campaign, google click) of `row` at `level`, or None."""
    if level == "collected":
        f = [
            _clean(_get(row, "collected_traffic_source", k))
            for k in ("manual_source", "manual_medium", "manual_campaign_name", "gclid")
        ]
    elif level == "last_click":
        f = [
            _clean(_get(row, "session_traffic_source_last_click", "manual_campaign", k))
            for k in ("source", "medium", "campaign_name")
        ]
        f.append(
            _clean(
                _get(
                    row, "session_traffic_source_last_click", "google_ads_campaign", "campaign_name"
                )
            )
        )
    else:
        p = _params(row)
        f = [_clean(p.get(k)) for k in ("source", "medium", "campaign", "gclid")]
    if all(v is None for v in f):
        return None
    source, medium, campaign, click = f
    if level == "last_click":
        if click is not None and source is None and medium is None:
            return "google", "cpc", campaign if campaign is not None else click
        return source, medium, campaign
    if click is not None:
        return "google", "cpc", campaign
    return source, medium, campaign


def reference_path_table(
    rows,
    conversion_events=("purchase",),
    user_id=True,
    sources=("collected", "last_click", "event_params"),
):
    """The path table `read_ga4_export` should build, one Python loop per session / person."""
    # persons: pseudo ids joined through user ids (union-find)
    parent = {}

    def find(x):
        while parent.setdefault(x, x) != x:
            x = parent[x]
        return x

    for r in rows:
        ids = [("p", r["user_pseudo_id"])] if r["user_pseudo_id"] is not None else []
        if user_id and r.get("user_id") is not None:
            ids.append(("u", r["user_id"]))
        for a in ids[1:]:
            parent[find(a)] = find(ids[0])
        for a in ids:
            find(a)
    members = defaultdict(list)
    for x in list(parent):
        members[find(x)].append(x)
    label = {}
    for root, xs in members.items():
        uids = sorted(v for k, v in xs if k == "u")
        pids = sorted(v for k, v in xs if k == "p")
        label[root] = uids[0] if uids else pids[0]

    def person(r):
        if r["user_pseudo_id"] is not None:
            return label[find(("p", r["user_pseudo_id"]))]
        if user_id and r.get("user_id") is not None:
            return label[find(("u", r["user_id"]))]
        return None

    sessions = defaultdict(list)
    for r in rows:
        sid = _params(r).get("ga_session_id")
        if r["user_pseudo_id"] is not None and sid is not None:
            sessions[(r["user_pseudo_id"], int(sid))].append(r)
    grouping = ChannelGrouping()
    timeline = defaultdict(list)  # person -> (time, kind, channel, value)
    for evs in sessions.values():
        evs = sorted(evs, key=lambda r: r["event_timestamp"])
        found = (None, None, None)
        for level in sources:
            hits = [(r["event_timestamp"], _level(r, level)) for r in evs]
            hits = [h for h in hits if h[1] is not None]
            if hits:
                found = min(
                    hits, key=lambda h: (h[0], tuple("" if v is None else v for v in h[1]))
                )[1]
                break
        channel = grouping.assign(source=[found[0]], medium=[found[1]], campaign=[found[2]])[0]
        timeline[person(evs[0])].append((evs[0]["event_timestamp"], 0, channel, 0.0))
    seen = set()
    conv = [r for r in rows if r["event_name"] in conversion_events]
    for r in sorted(conv, key=lambda r: r["event_timestamp"]):
        txn = _clean(_get(r, "ecommerce", "transaction_id"))
        if txn is not None:
            if txn in seen:
                continue
            seen.add(txn)
        value = _get(r, "ecommerce", "purchase_revenue")
        if person(r) is not None:
            timeline[person(r)].append((r["event_timestamp"], 1, None, value or 0.0))
    table = defaultdict(lambda: [0, 0.0, 0])
    for events in timeline.values():
        path = []
        for _t, kind, channel, value in sorted(events, key=lambda e: (e[0], e[1])):
            if kind == 0:
                path.append(channel)
            elif path:
                table[" > ".join(path)][0] += 1
                table[" > ".join(path)][1] += value
                path = []
        if path:
            table[" > ".join(path)][2] += 1
    out = pd.DataFrame(
        [(p, c, v, n) for p, (c, v, n) in sorted(table.items())],
        columns=["path", "total_conversions", "total_conversion_value", "total_null"],
    )
    return out.astype({"total_conversions": float, "total_null": float})


# ---------------------------------------------------------------------- large exports, vectorised
def random_export_table(n_events, seed=0, days=7):
    """A random export of exactly `n_events` rows as one pyarrow Table in `parquet_schema`,
    built from numpy arrays (no Python object per row): what `random_export` draws,
    at any size.

    Sessions (about 2.9 events each) of users with 1-4 sessions draw a level of
    `SOURCES`; 15% have no session_start, 10% start a minute before midnight; 35% end in
    a purchase (15% of those the session's only event), 20% of purchases are exported
    again 5 s later; 30% of users share a user_id, sent on their later events; 20% of
    users have an event without a session; 20% of events carry a null parameter and 20%
    a null ecommerce record. The rows are shuffled and the first `n_events` kept."""
    import pyarrow as pa

    rng = np.random.default_rng(seed)
    n_sess = n_events // 2 + 10
    n_users = max(1, n_sess // 2)
    # users: pseudo ids, and the member id some of them share
    member = rng.random(n_users) < 0.3
    pseudo = _join_text(rng.integers(10**9, size=n_users).astype(str), ".", np.arange(n_users))
    uid = np.where(
        member, _join_text("member", rng.integers(max(1, n_users // 8), size=n_users)), None
    )
    # sessions
    user = rng.integers(n_users, size=n_sess)
    start = T0 + rng.integers(0, days * DAY_US, size=n_sess)
    midnight = rng.random(n_sess) < 0.1
    start[midnight] = (
        T0
        + rng.integers(0, days, size=int(midnight.sum())) * DAY_US
        + DAY_US
        - 60_000_000
        + rng.integers(0, 30_000_000, size=int(midnight.sum()))
    )
    level = rng.integers(len(SOURCES), size=n_sess)
    n_ev = rng.integers(1, 5, size=n_sess)
    buys = rng.random(n_sess) < 0.35
    alone = buys & (rng.random(n_sess) < 0.15)  # the purchase is the session's only event
    n_ev[alone] = 0
    # page events: the first at the start, the others within 10 minutes
    s_of = np.repeat(np.arange(n_sess), n_ev)
    k = np.arange(s_of.size) - np.repeat(np.cumsum(n_ev) - n_ev, n_ev)
    offset = np.where(k == 0, 0, rng.integers(0, 600_000_000, size=s_of.size))
    t = start[s_of] + offset
    order = np.lexsort((t, s_of))  # offsets sorted within the session, the start first
    t = t[order]
    first = k == 0
    name = np.where(first & (rng.random(s_of.size) >= 0.15), "session_start", "page_view")
    # purchases: after the session's last event (or alone, at its start); some twice
    last = np.full(n_sess, 0, dtype=np.int64)
    np.maximum.at(last, s_of, t)
    b = np.flatnonzero(buys)
    bt = np.where(alone[b], start[b], last[b] + rng.integers(0, 60_000_000, size=b.size))
    again = rng.random(b.size) < 0.2
    ev_s = np.concatenate([s_of, b, b[again]])
    ev_t = np.concatenate([t, bt, bt[again] + 5_000_000])
    ev_first = np.concatenate([first, alone[b], np.zeros(int(again.sum()), bool)])
    ev_name = np.concatenate([name, np.full(b.size + int(again.sum()), "purchase")])
    is_buy = ev_name == "purchase"
    txn = np.concatenate([np.full(s_of.size, -1), np.arange(b.size), np.flatnonzero(again)])
    revenue = rng.integers(1, 200, size=b.size).astype(float)
    resent = np.concatenate([np.zeros(s_of.size + b.size, bool), np.ones(int(again.sum()), bool)])
    # events without a session
    lone = np.flatnonzero(rng.random(n_users) < 0.2)
    n_s = ev_s.size
    ev_user = np.concatenate([user[ev_s], lone])
    ev_t = np.concatenate([ev_t, T0 + rng.integers(0, days * DAY_US, size=lone.size)])
    ev_sid = np.concatenate([start[ev_s] // 1_000_000, np.full(lone.size, -1)])
    ev_name = np.concatenate([ev_name, np.full(lone.size, "user_engagement")])
    ev_first = np.concatenate([ev_first, np.zeros(lone.size, bool)])
    is_buy = np.concatenate([is_buy, np.zeros(lone.size, bool)])
    txn = np.concatenate([txn, np.full(lone.size, -1)])
    resent = np.concatenate([resent, np.zeros(lone.size, bool)])
    lv = np.concatenate([level[ev_s], np.full(lone.size, 8)])  # 8: "none"
    in_s = np.arange(ev_t.size) < n_s
    keep = rng.permutation(ev_t.size)[:n_events]
    if keep.size < n_events:
        raise ValueError(f"drew {keep.size} events, fewer than {n_events}")
    n = keep.size
    ev_user, ev_t, ev_sid, ev_name = ev_user[keep], ev_t[keep], ev_sid[keep], ev_name[keep]
    ev_first, is_buy, txn, resent = ev_first[keep], is_buy[keep], txn[keep], resent[keep]
    lv, in_s = lv[keep], in_s[keep]
    kind = np.array([s[0] for s in SOURCES])[lv]
    src, med, camp, click = (
        np.array([s[i] for s in SOURCES], dtype=object)[lv] for i in (1, 2, 3, 4)
    )
    carry = ~resent & in_s  # the resent purchase carries no session records
    s, i64, d = pa.string(), pa.int64(), pa.float64()

    def strings(values, mask=None):
        return pa.array(values, s, mask=mask)

    # event_params: ga_session_id, then the source params of the first event, a null one
    null_param = rng.random(n) < 0.2
    entries = [(np.flatnonzero(ev_sid >= 0), "ga_session_id", None, ev_sid)]
    on = carry & (kind == "event_params") & ev_first
    for key, vals in (("source", src), ("medium", med), ("campaign", camp), ("gclid", click)):
        rows = np.flatnonzero(on & pd.notna(vals))
        entries.append((rows, key, vals[rows], None))
    entries.append((np.flatnonzero(null_param & ~resent), "page_title", None, None))
    e_row = np.concatenate([e[0] for e in entries])
    e_key = np.concatenate([np.full(e[0].size, e[1], dtype=object) for e in entries])
    e_str = np.concatenate(
        [np.full(e[0].size, None, object) if e[2] is None else e[2] for e in entries]
    )
    e_int = np.concatenate(
        [np.full(e[0].size, -1) if e[3] is None else e[3][e[0]] for e in entries]
    )
    e_order = np.argsort(e_row, kind="stable")
    e_row, e_key, e_str, e_int = e_row[e_order], e_key[e_order], e_str[e_order], e_int[e_order]
    value = pa.StructArray.from_arrays(
        [
            strings(e_str),
            pa.array(e_int, i64, mask=e_int < 0),
            pa.nulls(e_row.size, d),
            pa.nulls(e_row.size, d),
        ],
        names=["string_value", "int_value", "float_value", "double_value"],
    )
    entry = pa.StructArray.from_arrays([strings(e_key), value], names=["key", "value"])
    offsets = np.concatenate([[0], np.cumsum(np.bincount(e_row, minlength=n))]).astype(np.int32)
    params = pa.ListArray.from_arrays(pa.array(offsets), entry)

    nulls = pa.nulls(n, s)
    coll = carry & (kind == "collected") & ev_first
    collected = pa.StructArray.from_arrays(
        [
            nulls,
            strings(camp),
            strings(src),
            strings(med),
            nulls,
            nulls,
            strings(click),
            nulls,
            nulls,
        ],
        fields=list(parquet_schema().field("collected_traffic_source").type),
        mask=pa.array(~coll),
    )
    lc = carry & (kind == "last_click")
    ads = lc & (src == "ads")
    manual = pa.StructArray.from_arrays(
        [nulls, strings(camp), strings(src), strings(med)],
        names=["campaign_id", "campaign_name", "source", "medium"],
        mask=pa.array(ads | ~lc),
    )
    google_ads = pa.StructArray.from_arrays(
        [strings(np.full(n, "1", object)), strings(np.full(n, "ads campaign", object))],
        names=["customer_id", "campaign_name"],
        mask=pa.array(~ads),
    )
    last_click = pa.StructArray.from_arrays(
        [manual, google_ads], names=["manual_campaign", "google_ads_campaign"], mask=pa.array(~lc)
    )
    ecommerce = pa.StructArray.from_arrays(
        [
            pa.array(np.ones(n, np.int64), i64, mask=~is_buy),
            pa.array(revenue[np.maximum(txn, 0)], d, mask=~is_buy),
            strings(_join_text("T", txn + 1), mask=~is_buy),
        ],
        names=["total_item_quantity", "purchase_revenue", "transaction_id"],
        mask=pa.array(~is_buy & (rng.random(n) < 0.2)),
    )
    day = (ev_t - T0) // DAY_US
    dates = np.array(
        [
            (dt.date(2024, 3, 1) + dt.timedelta(days=int(x))).strftime("%Y%m%d")
            for x in range(int(day.max()) + 1)
        ]
    )
    user_id = np.where(~ev_first & (ev_user >= 0), uid[ev_user], None)
    direct = pa.StructArray.from_arrays(
        [strings(np.full(n, x, object)) for x in ("(direct)", "(none)", "(direct)")],
        names=["name", "medium", "source"],
    )
    cols = [
        strings(dates[day]),
        pa.array(ev_t, i64),
        strings(ev_name),
        params,
        strings(pseudo[ev_user]),
        strings(user_id),
        direct,
        strings(np.full(n, "WEB", object)),
        collected,
        last_click,
        ecommerce,
    ]
    return pa.Table.from_arrays(cols, schema=parquet_schema())


def _join_text(*parts):
    """Texts joined element-wise (numpy object arrays; scalars repeated)."""
    out = None
    for p in parts:
        p = np.asarray(p).astype(str).astype(object)
        out = p if out is None else out + p
    return out


def write_export_table(table, folder, fmt="json", chunk=100_000):
    """Write a `random_export_table` as daily events_YYYYMMDD files (JSON as BigQuery
    writes it, INT64 as strings, `chunk` rows at a time; or Parquet); returns the paths."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    os.makedirs(folder, exist_ok=True)
    paths = []
    for day in sorted(pc.unique(table.column("event_date")).to_pylist()):
        part = table.filter(pc.equal(table.column("event_date"), day))
        if fmt == "parquet":
            path = os.path.join(folder, f"events_{day}.parquet")
            pq.write_table(part, path)
        else:
            path = os.path.join(folder, f"events_{day}.json")
            with open(path, "w", encoding="utf-8") as fh:
                for lo in range(0, part.num_rows, chunk):
                    rows = part.slice(lo, chunk).to_pylist()
                    fh.write("".join(json.dumps(_bigquery_json(r)) + "\n" for r in rows))
        paths.append(path)
    return paths
