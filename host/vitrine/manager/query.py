"""The dashboard's query strings, checked: every parameter named, its value and what is
allowed in the error, unknown parameters refused, so that a hostile query string reaches no
SQL (the values go to the queries as bound parameters only)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from vitrine.analytics.metrics import GRAINS
from vitrine.analytics.observation import NAME_RE
from vitrine.errors import VitrineError

TABLES = ("funnel", "trend", "zones", "mirrors", "experiments")
MAX_DAYS = 400  # the longest period a page asks for
PARAMS = ("from", "to", "store", "mirror", "grain", "table")


class QueryError(VitrineError):
    """A query parameter that is not allowed: `param` names it."""

    def __init__(self, param: str, message: str) -> None:
        super().__init__(f"{param}: {message}")
        self.param = param


@dataclass(frozen=True, slots=True)
class Query:
    """A checked query: [lo, hi) in seconds (local days), the scope, the grain, the table."""

    lo: float
    hi: float
    first_day: str
    last_day: str
    store: str | None
    mirror: str | None
    grain: str
    table: str


def _shown(value: str) -> str:
    return repr(value if len(value) <= 40 else value[:40] + "...")  # noqa: PLR2004


def _day(param: str, value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise QueryError(param, f"{_shown(value)} is not a day: use YYYY-MM-DD") from None


def parse_query(
    params: Mapping[str, str], tz: dt.tzinfo | None, today: dt.date, multi: set[str] = frozenset()
) -> Query:
    """The checked query (see the module docstring); raises QueryError. `multi` names the
    parameters given more than once (refused)."""
    for name in params:
        if name not in PARAMS:
            raise QueryError(name, f"unknown parameter; allowed: {', '.join(PARAMS)}")
    for name in multi:
        raise QueryError(name, "given more than once")
    first = _day("from", params["from"]) if "from" in params else today - dt.timedelta(days=6)
    last = _day("to", params["to"]) if "to" in params else today
    if last < first:
        raise QueryError("to", f"{last} is before from ({first})")
    if (last - first).days + 1 > MAX_DAYS:
        raise QueryError("to", f"{(last - first).days + 1} days: a period is at most {MAX_DAYS}")
    scope: dict[str, str | None] = {}
    for name in ("store", "mirror"):
        value = params.get(name) or None
        if value is not None and not NAME_RE.match(value):
            raise QueryError(
                name, f"{_shown(value)}: allowed: 1-40 of letters, digits, '.', '_', '-'"
            )
        scope[name] = value
    grain = params.get("grain", "day")
    if grain not in GRAINS:
        raise QueryError("grain", f"{_shown(grain)}: allowed: {', '.join(GRAINS)}")
    table = params.get("table", "funnel")
    if table not in TABLES:
        raise QueryError("table", f"{_shown(table)}: allowed: {', '.join(TABLES)}")

    def start(day: dt.date) -> float:  # the day's first second there (tz None: the system's)
        return dt.datetime.combine(day, dt.time(), tz).timestamp()

    return Query(
        start(first),
        start(last + dt.timedelta(days=1)),
        first.isoformat(),
        last.isoformat(),
        scope["store"],
        scope["mirror"],
        grain,
        table,
    )
