"""The facts: the counts and sums every metric is a ratio or an average of, each one SQL
query over the raw observations of one mirror and one stretch of time [lo, hi). The
roll-ups store them per hour and per day; a report adds them up over its period and divides
(vitrine.analytics.metrics). docs/metrics.md shows each query.

The same SQL runs on SQLite (the mirror, a small fleet) and PostgreSQL (a chain's
collector): named parameters (:lo) are turned into the driver's style by `sql_for()`.
Parameters: store, mirror, lo, hi (seconds since the epoch), gap (visit_gap_s), bounce
(bounce_s), zone_min (zone_min_s), window (assisted_window_h in seconds), span (how far
around [lo, hi) a visit's presence is looked for).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

WHERE = "store = :store AND mirror = :mirror AND at >= :lo AND at < :hi"


@dataclass(frozen=True, slots=True)
class Fact:
    """A fact's name, what it counts, and its SQL: rows of (key, value); key '' unless the
    fact is per zone or per experiment variant."""

    name: str
    means: str
    sql: str


def _count(kind: str, extra: str = "") -> str:
    return (
        "SELECT '' AS key, COUNT(*) AS value FROM observation "
        f"WHERE kind = '{kind}' AND {WHERE}{extra}"
    )


# A visit: presence rows of the mirror in time order; one begins at a present=1 with no
# presence before it or the last absence at least :gap before; it ends at its last absence.
# Visits that began in [lo, hi) and have ended (an absence, then :gap without presence, or
# the window's end) count.
VISITS = """
WITH p AS (
    SELECT at, value AS present,
        LAG(value) OVER (ORDER BY at, id) AS prev,
        LAG(at) OVER (ORDER BY at, id) AS prev_at
    FROM observation
    WHERE kind = 'presence' AND store = :store AND mirror = :mirror
        AND at >= :lo - :span AND at < :hi + :span
), s AS (
    SELECT at, present,
        CASE WHEN present = 1 AND (prev IS NULL OR (prev = 0 AND at - prev_at >= :gap))
            THEN 1 ELSE 0 END AS begins
    FROM p
), n AS (
    SELECT at, present, SUM(begins) OVER (ORDER BY at ROWS UNBOUNDED PRECEDING) AS visit
    FROM s
), v AS (
    SELECT visit,
        MIN(CASE WHEN present = 1 THEN at END) AS began,
        MAX(CASE WHEN present = 0 THEN at END) AS left_at,
        MAX(at) AS last_at
    FROM n WHERE visit > 0 GROUP BY visit
)
SELECT key, value FROM (
    SELECT 'visits' AS key, COUNT(*) AS value FROM v
        WHERE began >= :lo AND began < :hi AND left_at = last_at
    UNION ALL
    SELECT 'visit_s', COALESCE(SUM(left_at - began), 0) FROM v
        WHERE began >= :lo AND began < :hi AND left_at = last_at
    UNION ALL
    SELECT 'bounces', COUNT(*) FROM v
        WHERE began >= :lo AND began < :hi AND left_at = last_at AND left_at - began < :bounce
) x
"""

FACTS: tuple[Fact, ...] = (
    Fact("passers_by", "people who passed the shopfront or the mirror", _count("passer_by")),
    Fact(
        "entries_line",
        "people who crossed the entrance line inwards",
        _count("entry", " AND label = 'line'"),
    ),
    Fact(
        "entries_zone",
        "people who stepped into the mirror's area",
        _count("entry", " AND label = 'zone'"),
    ),
    Fact(
        "lookers",
        "face tracks that looked at the mirror for at least 1 s without a break",
        "SELECT '' AS key, COUNT(DISTINCT subject) AS value FROM observation "
        f"WHERE kind = 'look' AND value >= 1 AND {WHERE}",
    ),
    Fact(
        "visit", "visits, their seconds in all, and bounces (keys visits, visit_s, bounces)", VISITS
    ),
    Fact("sessions", "sessions that began", _count("session_start")),
    Fact(
        "engaged_sessions",
        "sessions that began and had at least one deliberate interaction",
        "SELECT '' AS key, COUNT(*) AS value FROM observation s "
        "WHERE s.kind = 'session_start' AND s.store = :store AND s.mirror = :mirror "
        "AND s.at >= :lo AND s.at < :hi AND EXISTS (SELECT 1 FROM observation i "
        "WHERE i.session = s.session AND i.kind = 'interaction')",
    ),
    Fact(
        "zone_visits",
        "zone visits of at least zone_min_s, per zone (when they ended)",
        "SELECT label AS key, COUNT(*) AS value FROM observation "
        f"WHERE kind = 'zone_leave' AND value >= :zone_min AND {WHERE} GROUP BY label",
    ),
    Fact(
        "zone_dwell_s",
        "seconds spent in those zone visits, per zone",
        "SELECT label AS key, SUM(value) AS value FROM observation "
        f"WHERE kind = 'zone_leave' AND value >= :zone_min AND {WHERE} GROUP BY label",
    ),
    Fact("requests", "associate requests made", _count("request", " AND label = 'created'")),
    Fact(
        "fulfilled",
        "requests fulfilled",
        _count("request", " AND label = 'fulfilled' AND value IS NOT NULL"),
    ),
    Fact(
        "fulfil_s",
        "seconds from creation to fulfilment, summed over the requests fulfilled",
        "SELECT '' AS key, COALESCE(SUM(value), 0) AS value FROM observation "
        f"WHERE kind = 'request' AND label = 'fulfilled' AND value IS NOT NULL AND {WHERE}",
    ),
    Fact("ratings", "end-of-session ratings", _count("rating")),
    Fact(
        "csat_sum",
        "the ratings' CSAT (1-5) summed",
        "SELECT '' AS key, COALESCE(SUM(value), 0) AS value FROM observation "
        f"WHERE kind = 'rating' AND {WHERE}",
    ),
    Fact("satisfied", "ratings of CSAT 4 or 5", _count("rating", " AND value >= 4")),
    Fact("nps_answers", "ratings with an NPS answer", _count("rating", " AND label IS NOT NULL")),
    Fact(
        "promoters",
        "NPS answers of 9 or 10",
        _count("rating", " AND label IN ('9', '10')"),
    ),
    Fact(
        "detractors",
        "NPS answers of 0 to 6",
        _count("rating", " AND label IN ('0', '1', '2', '3', '4', '5', '6')"),
    ),
    Fact(
        "exposed",
        "sessions exposed to an experiment's variant (key experiment:variant)",
        "SELECT subject || ':' || label AS key, COUNT(*) AS value FROM observation "
        f"WHERE kind = 'exposure' AND {WHERE} GROUP BY subject, label",
    ),
    Fact(
        "converted",
        "of those, sessions that reached the experiment's outcome",
        "SELECT e.subject || ':' || e.label AS key, COUNT(*) AS value FROM observation e "
        "WHERE e.kind = 'exposure' AND e.store = :store AND e.mirror = :mirror "
        "AND e.at >= :lo AND e.at < :hi AND EXISTS (SELECT 1 FROM observation o "
        "WHERE o.session = e.session AND o.kind = 'outcome' AND o.subject = e.subject) "
        "GROUP BY e.subject, e.label",
    ),
    Fact(
        "assisted",
        "sessions that began and showed or were asked for a product bought at the store "
        "within the window after (a sale's item is the product's sku or one of its "
        "variants', SKU-...)",
        "SELECT '' AS key, COUNT(*) AS value FROM observation s "
        "WHERE s.kind = 'session_start' AND s.store = :store AND s.mirror = :mirror "
        "AND s.at >= :lo AND s.at < :hi AND EXISTS (SELECT 1 FROM observation v "
        "JOIN sale_item si ON si.store = v.store AND (si.sku = v.subject "
        "OR substr(si.sku, 1, length(v.subject) + 1) = v.subject || '-') "
        "JOIN sale x ON x.store = si.store AND x.txn = si.txn "
        "WHERE v.session = s.session AND v.kind IN ('content_view', 'request') "
        "AND v.subject IS NOT NULL AND x.at >= v.at AND x.at <= v.at + :window)",
    ),
    Fact("errors", "errors on the mirror", _count("error")),
)

# Store-level facts (mirror ''): the point-of-sale records.
SALES = Fact(
    "transactions",
    "point-of-sale transactions at the store (keys: transactions, amount)",
    "SELECT 'transactions' AS key, COUNT(*) AS value FROM sale "
    "WHERE store = :store AND at >= :lo AND at < :hi "
    "UNION ALL SELECT 'amount', COALESCE(SUM(amount), 0) FROM sale "
    "WHERE store = :store AND at >= :lo AND at < :hi",
)

_PARAM = re.compile(r"(?<!:):([a-z_]+)")  # not a cast (::type)


def sql_for(sql: str, style: str) -> str:
    """The query with its :name parameters in the driver's style: "sqlite" keeps them,
    "pyformat" (psycopg) writes %(name)s."""
    if style == "sqlite":
        return sql
    return _PARAM.sub(r"%(\1)s", sql.replace("%", "%%"))
