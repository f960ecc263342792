"""Roll-ups: the facts (vitrine.analytics.facts) of each hour of each mirror, worked out once
the hour is over and stored in the rollup table, with each day's sum (the store's local
day), so that the dashboard adds up a year in a few thousand rows instead of reading
millions of observations.

An hour is worked out again whenever an observation of it (or of the hour after: a visit may
span both) arrives late — an import, a mirror that was offline, a point-of-sale file —
because inserting marks it in rollup_dirty. Until then a report reads that hour's facts from
the raw observations (live()), so a report is never stale.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from vitrine.analytics.facts import FACTS, SALES, Fact
from vitrine.analytics.sqldb import SqlDb

HOUR_S = 3600.0
SPAN_S = 2 * HOUR_S  # how far before and after an hour a visit's presence is looked for


@dataclass(frozen=True, slots=True)
class Rules:
    """The [analytics] settings the facts depend on."""

    visit_gap_s: float = 30.0
    bounce_s: float = 10.0
    zone_min_s: float = 5.0
    assisted_window_h: float = 24.0

    def params(self) -> dict[str, float]:
        return {
            "gap": self.visit_gap_s,
            "bounce": self.bounce_s,
            "zone_min": self.zone_min_s,
            "window": self.assisted_window_h * 3600.0,
            "span": max(SPAN_S, self.visit_gap_s * 2),
        }


Facts = dict[tuple[str, str], float]  # (fact, key) -> value


def facts_of(db: SqlDb, store: str, mirror: str, lo: float, hi: float, rules: Rules) -> Facts:
    """The facts of one mirror (mirror '': the store's sales) over [lo, hi), from the raw
    observations."""
    params: dict[str, Any] = {"store": store, "mirror": mirror, "lo": lo, "hi": hi}
    params.update(rules.params())
    out: Facts = {}
    facts: Iterable[Fact] = (SALES,) if mirror == "" else FACTS
    for fact in facts:
        for key, value in db.rows(fact.sql, params):
            if value:
                name = fact.name if fact.name not in ("visit", "transactions") else key
                out[(name, "" if name == key else str(key))] = float(value)
    return out


def roll(db: SqlDb, now: float, rules: Rules, tz: dt.tzinfo | None = None, limit: int = 500) -> int:
    """Work out the dirty hours that are over (and far enough past for their visits to have
    ended), at most `limit`; how many were done. The days they fall in are summed again."""
    ripe = now - HOUR_S - rules.params()["span"]
    dirty = db.rows(
        "SELECT store, mirror, hour, mark FROM rollup_dirty WHERE hour <= :ripe "
        "ORDER BY hour LIMIT :limit",
        {"ripe": ripe, "limit": limit},
    )
    days: set[tuple[str, str, float]] = set()
    for store, mirror, hour, mark in dirty:
        facts = facts_of(db, store, mirror, hour, hour + HOUR_S, rules)
        with db.transaction():
            _replace(db, "hour", hour, store, mirror, facts)
            # cleared only if nothing marked it again since its facts were read
            db.execute(
                "DELETE FROM rollup_dirty WHERE store = :store AND mirror = :mirror "
                "AND hour = :hour AND mark = :mark",
                {"store": store, "mirror": mirror, "hour": hour, "mark": mark},
            )
        days.add((store, mirror, day_start(hour, tz)))
    for store, mirror, start in sorted(days):
        _sum_day(db, store, mirror, start, tz)
    return len(dirty)


def _replace(db: SqlDb, grain: str, start: float, store: str, mirror: str, facts: Facts) -> None:
    where = {"grain": grain, "start": start, "store": store, "mirror": mirror}
    db.execute(
        "DELETE FROM rollup WHERE grain = :grain AND start = :start AND store = :store "
        "AND mirror = :mirror",
        where,
    )
    db.executemany(
        "INSERT INTO rollup (grain, start, store, mirror, fact, key, value) "
        "VALUES (:grain, :start, :store, :mirror, :fact, :key, :value)",
        [{**where, "fact": f, "key": k, "value": v} for (f, k), v in sorted(facts.items())],
    )


def _sum_day(db: SqlDb, store: str, mirror: str, start: float, tz: dt.tzinfo | None) -> None:
    end = next_day(start, tz)
    pending = db.rows(
        "SELECT COUNT(*) FROM rollup_dirty WHERE store = :store AND mirror = :mirror "
        "AND hour >= :lo AND hour < :hi",
        {"store": store, "mirror": mirror, "lo": start, "hi": end},
    )[0][0]
    with db.transaction():
        if pending:  # a day with an hour still to do has no daily row
            _replace(db, "day", start, store, mirror, {})
            return
        rows = db.rows(
            "SELECT fact, key, SUM(value) FROM rollup WHERE grain = 'hour' AND store = :store "
            "AND mirror = :mirror AND start >= :lo AND start < :hi GROUP BY fact, key",
            {"store": store, "mirror": mirror, "lo": start, "hi": end},
        )
        _replace(db, "day", start, store, mirror, {(f, k): float(v) for f, k, v in rows})


def day_start(at: float, tz: dt.tzinfo | None) -> float:
    """The first second of the local day `at` falls in."""
    local = dt.datetime.fromtimestamp(at, tz).astimezone(tz)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight.timestamp()


def next_day(start: float, tz: dt.tzinfo | None) -> float:
    """The first second of the local day after the one starting at `start` (23 or 25 hours
    later across a change of summer time)."""
    local = dt.datetime.fromtimestamp(start, tz).astimezone(tz)
    following = (local + dt.timedelta(hours=36)).replace(hour=0, minute=0, second=0)
    return following.timestamp()


def summed(
    db: SqlDb,
    lo: float,
    hi: float,
    rules: Rules,
    *,
    store: str | None = None,
    mirror: str | None = None,
    tz: dt.tzinfo | None = None,  # (hours are the same in every zone)
) -> Facts:
    """The facts over [lo, hi) (whole hours), of one store or all, one mirror or all: the
    hourly roll-ups summed by the database in one query (a year of a mirror is some 40,000
    rows, which the database adds up far faster than they can be fetched), except the hours
    not rolled up yet (rollup_dirty), whose facts come from the raw observations. (The daily
    rows are the trends' by day and week: metrics.trend.)"""
    scope = ""
    args: dict[str, Any] = {"lo": lo, "hi": hi}
    if store is not None:
        scope += " AND store = :store"
        args["store"] = store
    if mirror is not None:
        scope += " AND (mirror = :mirror OR mirror = '')"
        args["mirror"] = mirror
    total: Facts = defaultdict(float)
    for fact, key, value in db.rows(
        "SELECT fact, key, SUM(value) FROM rollup WHERE grain = 'hour' AND start >= :lo "
        f"AND start < :hi{scope} GROUP BY fact, key",
        args,
    ):
        total[(fact, key)] += float(value)
    dirty = db.rows(
        "SELECT store, mirror, hour FROM rollup_dirty WHERE hour >= :lo AND hour < :hi" + scope,
        args,
    )
    for st, mi, hour in sorted(dirty):
        # what the hour's stale roll-up added is taken out, its facts from the raw put in
        for fact, key, value in db.rows(
            "SELECT fact, key, value FROM rollup WHERE grain = 'hour' AND start = :hour "
            "AND store = :store AND mirror = :mirror",
            {"hour": hour, "store": st, "mirror": mi},
        ):
            total[(fact, key)] -= float(value)
        for k, v in facts_of(db, st, mi, hour, hour + HOUR_S, rules).items():
            total[k] += v
    return {k: v for k, v in total.items() if abs(v) > 1e-9}  # noqa: PLR2004
