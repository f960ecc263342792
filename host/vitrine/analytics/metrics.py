"""The store metrics of PRODUCT.md, each a formula over the facts of a period
(vitrine.analytics.facts, summed by vitrine.analytics.rollup), as docs/metrics.md defines
them. A rate whose denominator is 0 is None (no data), never 0.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from vitrine.analytics.rollup import Facts, Rules, day_start, summed
from vitrine.analytics.sqldb import SqlDb
from vitrine.engine.experiments import results


def _ratio(num: float, den: float) -> float | None:
    return None if not den else num / den


def visitors(f: Facts) -> float:
    """People who entered: entrance-line crossings where the store counts them, else
    entries into the mirrors' areas."""
    line = f.get(("entries_line", ""), 0.0)
    return line if line else f.get(("entries_zone", ""), 0.0)


def metrics_of(f: Facts) -> dict[str, Any]:
    """Every metric from a period's facts."""
    g = lambda name, key="": f.get((name, key), 0.0)  # noqa: E731
    passers, people = g("passers_by"), visitors(f)
    sessions, visits = g("sessions"), g("visits")
    zones: dict[str, dict[str, float | None]] = {}
    for (name, key), value in f.items():
        if name == "zone_visits":
            zones[key] = {
                "visits": value,
                "dwell_s": g("zone_dwell_s", key),
                "mean_dwell_s": _ratio(g("zone_dwell_s", key), value),
            }
    answers = g("nps_answers")
    nps = None if not answers else 100.0 * (g("promoters") - g("detractors")) / answers
    return {
        "passers_by": passers,
        "visitors": people,
        "shopfront_conversion": _ratio(people, passers),
        "attention_rate": _ratio(g("lookers"), passers),
        "sessions": sessions,
        "engagement_rate": _ratio(g("engaged_sessions"), people),
        "visits": visits,
        "bounce_rate": _ratio(g("bounces"), visits),
        "mean_visit_s": _ratio(g("visit_s"), visits),
        "dwell_by_zone": dict(sorted(zones.items())),
        "transactions": g("transactions"),
        "sales_amount": g("amount"),
        "sales_conversion": _ratio(g("transactions"), people),
        "assisted_sessions": g("assisted"),
        "mirror_assisted_conversion": _ratio(g("assisted"), sessions),
        "requests": g("requests"),
        "fulfilled": g("fulfilled"),
        "mean_fulfil_s": _ratio(g("fulfil_s"), g("fulfilled")),
        "ratings": g("ratings"),
        "csat": _ratio(100.0 * g("satisfied"), g("ratings")),
        "mean_csat": _ratio(g("csat_sum"), g("ratings")),
        "nps": nps,
        "errors": g("errors"),
    }


def repeat_customers(
    db: SqlDb, lo: float, hi: float, *, store: str | None = None, mirror: str | None = None
) -> dict[str, float | None]:
    """Consenting loyalty members seen in [lo, hi), and those of them seen in an earlier
    session before (at any mirror of the same store)."""
    scope, args = "", {"lo": lo, "hi": hi}
    if store is not None:
        scope += " AND m.store = :store"
        args["store"] = store
    if mirror is not None:
        scope += " AND m.mirror = :mirror"
        args["mirror"] = mirror
    (members, repeat), *_ = db.rows(
        "SELECT COUNT(DISTINCT m.subject), COUNT(DISTINCT CASE WHEN EXISTS (SELECT 1 FROM "
        "observation p WHERE p.kind = 'member' AND p.subject = m.subject AND p.store = m.store "
        "AND p.at < m.at AND p.session <> m.session) THEN m.subject END) FROM observation m "
        f"WHERE m.kind = 'member' AND m.at >= :lo AND m.at < :hi{scope}",
        args,
    )
    return {
        "members": float(members),
        "repeat_customers": float(repeat),
        "repeat_rate": _ratio(float(repeat), float(members)),
    }


def experiments_of(f: Facts, controls: dict[str, str] | None = None) -> dict[str, Any]:
    """Each experiment's results (vitrine.engine.experiments.results) from the exposed and
    converted facts; variants in name order after the control (controls[experiment], the
    configuration's first variant, else one named "control")."""
    by: dict[str, dict[str, list[float]]] = defaultdict(dict)
    for (name, key), value in f.items():
        if name in ("exposed", "converted") and ":" in key:
            experiment, variant = key.split(":", 1)
            pair = by[experiment].setdefault(variant, [0.0, 0.0])
            pair[0 if name == "exposed" else 1] += value
    out = {}
    for experiment, variants in sorted(by.items()):
        control = (controls or {}).get(experiment, "control")
        names = sorted(variants, key=lambda v: (v != control, v))
        counts = [(v, int(variants[v][0]), int(variants[v][1])) for v in names]
        if len(counts) < 2:  # noqa: PLR2004 - a test needs two variants
            continue
        try:
            out[experiment] = results(counts)
        except ValueError as err:
            out[experiment] = {"error": str(err)}
    return out


def report(
    db: SqlDb,
    lo: float,
    hi: float,
    rules: Rules,
    *,
    store: str | None = None,
    mirror: str | None = None,
    tz: dt.tzinfo | None = None,
    controls: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Every metric over [lo, hi) for a store (or all) and a mirror (or all); controls names
    each experiment's control variant."""
    f = summed(db, lo, hi, rules, store=store, mirror=mirror, tz=tz)
    out = {
        "from": lo,
        "to": hi,
        "store": store,
        "mirror": mirror,
        **metrics_of(f),
        **repeat_customers(db, lo, hi, store=store, mirror=mirror),
        "experiments": experiments_of(f, controls),
    }
    return out


GRAINS = ("hour", "day", "week")


def week_start(at: float, tz: dt.tzinfo | None = None) -> float:
    """The first second of the (local) week, Monday, that `at` falls in."""
    day = dt.datetime.fromtimestamp(day_start(at, tz), tz or dt.UTC)
    monday = day - dt.timedelta(days=day.weekday())
    return monday.replace(hour=0, minute=0, second=0, microsecond=0).timestamp()


def trend(
    db: SqlDb,
    lo: float,
    hi: float,
    grain: str,
    *,
    store: str | None = None,
    mirror: str | None = None,
    tz: dt.tzinfo | None = None,
) -> list[dict[str, Any]]:
    """Every metric of each hour, day or week in [lo, hi) that has roll-ups, oldest first:
    [{"start": seconds, **metrics}]. It reads the roll-ups alone (one query), so an hour shows
    once it is rolled up (docs/metrics.md, Retention and roll-ups); report() adds the rest."""
    if grain not in GRAINS:
        raise ValueError(f"grain = {grain!r}: allowed: {', '.join(GRAINS)}")
    scope = ""
    args: dict[str, Any] = {"grain": "hour" if grain == "hour" else "day", "lo": lo, "hi": hi}
    if store is not None:
        scope += " AND store = :store"
        args["store"] = store
    if mirror is not None:
        scope += " AND (mirror = :mirror OR mirror = '')"
        args["mirror"] = mirror
    rows = db.rows(
        "SELECT start, fact, key, SUM(value) FROM rollup WHERE grain = :grain "
        f"AND start >= :lo AND start < :hi{scope} GROUP BY start, fact, key",
        args,
    )
    buckets: dict[float, dict[tuple[str, str], float]] = defaultdict(dict)
    for start, fact, key, value in rows:
        bucket = buckets[week_start(start, tz) if grain == "week" else float(start)]
        bucket[(fact, key)] = bucket.get((fact, key), 0.0) + float(value)
    return [{"start": start, **metrics_of(f)} for start, f in sorted(buckets.items())]
