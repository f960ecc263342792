"""The manager's dashboard over HTTP, under /manager: the page and its files (Chart.js, from
the build's node_modules: nothing from a CDN, the store may be offline), sign-in with the
manager's own PIN or token ([manager]; an associate's session does not open it), the
period's metrics as JSON and each table as CSV.

Routes:
- GET /manager/ : the page (the dashboard when signed in, else sign-in or how to set a PIN)
- POST /manager/login {"pin": "..."}, POST /manager/logout
- GET /manager/api/metrics?from=YYYY-MM-DD&to=YYYY-MM-DD&store=&mirror=&grain=hour|day|week
- GET /manager/api/export.csv?table=funnel|trend|zones|mirrors|experiments&(the same)

A refused query answers 422 {"error", "code": "bad_query", "field"} naming the parameter.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import datetime as dt
import html
import io
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from vitrine.analytics.metrics import report, trend
from vitrine.analytics.rollup import Rules
from vitrine.analytics.sqldb import SqlDb
from vitrine.associate.auth import AssociateAuth, paused
from vitrine.associate.http import SessionCookie, error
from vitrine.associate.signin import signin_routes
from vitrine.manager.query import Query, QueryError, parse_query
from vitrine.web.origins import Origins

COOKIE = SessionCookie("vitrine_manager", "/manager")
ROOT = Path(__file__).resolve().parents[3]
CHART_JS = ROOT / "node_modules" / "chart.js" / "dist" / "chart.umd.min.js"
_STATIC = {
    "manager.js": "text/javascript; charset=utf-8",
    "manager.css": "text/css; charset=utf-8",
}
_SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
SIGN_IN_FIRST = (
    "sign in first: POST /manager/login with the manager's PIN, or send "
    "Authorization: Bearer <token> with a [manager] token"
)

Reader = Callable[[], contextlib.AbstractContextManager[SqlDb]]


def metrics_of(db: SqlDb, q: Query, rules: Rules, tz: dt.tzinfo | None) -> dict[str, Any]:
    """What the page shows for a query: the period's report, its trend, each mirror's (keyed
    store/mirror: a fleet's stores may name their mirrors alike), and the stores there are."""
    scope = {"store": q.store, "mirror": q.mirror, "tz": tz}
    out = report(db, q.lo, q.hi, rules, **scope)
    pairs = db.rows(
        "SELECT DISTINCT store, mirror FROM rollup WHERE mirror <> '' AND start >= :lo "
        "AND start < :hi UNION SELECT DISTINCT store, mirror FROM rollup_dirty WHERE "
        "mirror <> '' AND hour >= :lo AND hour < :hi",
        {"lo": q.lo, "hi": q.hi},
    )
    stores = sorted({st for st, _ in pairs})
    chosen = sorted(
        (st, mi) for st, mi in pairs if q.store in (None, st) and q.mirror in (None, mi)
    )
    return {
        "from": q.first_day,
        "to": q.last_day,
        "grain": q.grain,
        "stores": stores,
        "report": out,
        "trend": trend(db, q.lo, q.hi, q.grain, **scope),
        "mirrors": {
            f"{st}/{mi}": report(db, q.lo, q.hi, rules, store=st, mirror=mi, tz=tz)
            for st, mi in chosen
        },
    }


FUNNEL = (
    "passers_by",
    "visitors",
    "shopfront_conversion",
    "attention_rate",
    "sessions",
    "engagement_rate",
    "visits",
    "bounce_rate",
    "mean_visit_s",
    "transactions",
    "sales_amount",
    "sales_conversion",
    "assisted_sessions",
    "mirror_assisted_conversion",
    "requests",
    "mean_fulfil_s",
    "ratings",
    "csat",
    "nps",
    "members",
    "repeat_customers",
    "errors",
)


def table_rows(data: dict[str, Any], table: str) -> list[list[Any]]:
    """A table of the page as rows, the header first (for CSV)."""
    r = data["report"]
    if table == "funnel":
        return [["metric", "value"], *([k, r[k]] for k in FUNNEL)]
    if table == "trend":
        keys = ["passers_by", "visitors", "sessions", "engagement_rate", "transactions"]
        rows = [["start", *keys]]
        for b in data["trend"]:
            start = dt.datetime.fromtimestamp(b["start"], dt.UTC).isoformat()
            rows.append([start, *(b[k] for k in keys)])
        return rows
    if table == "zones":
        rows = [["zone", "visits", "dwell_s", "mean_dwell_s"]]
        rows += [
            [z, v["visits"], v["dwell_s"], v["mean_dwell_s"]] for z, v in r["dwell_by_zone"].items()
        ]
        return rows
    if table == "mirrors":
        keys = ["passers_by", "visitors", "sessions", "engagement_rate", "bounce_rate", "csat"]
        return [
            ["mirror", *keys],
            *([m, *(v[k] for k in keys)] for m, v in data["mirrors"].items()),
        ]
    rows = [
        [
            "experiment",
            "variant",
            "exposed",
            "converted",
            "rate",
            "ci_low",
            "ci_high",
            "lift",
            "p_value",
        ]
    ]
    for name, e in r["experiments"].items():
        for v in e.get("variants", []):
            lift = e.get("lift", {}).get(v["name"])
            rows.append(
                [
                    name,
                    v["name"],
                    v["exposed"],
                    v["converted"],
                    v["rate"],
                    v["ci_low"],
                    v["ci_high"],
                    lift,
                    e.get("p_value"),
                ]
            )
    return rows


def manager_router(
    auth: AssociateAuth,
    reader: Reader,
    rules: Rules,
    *,
    tz: dt.tzinfo | None = None,
    origins: Origins | None = None,
) -> APIRouter:
    """The dashboard's routes (see the module docstring), reading through `reader` (the
    mirror's analytics.db, or a fleet's database), signing in through `auth` (role manager)."""
    router = APIRouter()
    router.include_router(_page_routes(auth))
    router.include_router(signin_routes(auth, origins or Origins(), COOKIE))
    router.include_router(_api_routes(auth, reader, rules, tz))
    return router


def _session(auth: AssociateAuth, request: Request) -> Any:
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return auth.verify(credentials.strip())
    return auth.verify(request.cookies.get(COOKIE.name))


def _page_routes(auth: AssociateAuth) -> APIRouter:
    router = APIRouter()
    static = resources.files("vitrine.manager").joinpath("static")
    page = static.joinpath("manager.html").read_text()
    assets = {name: static.joinpath(name).read_bytes() for name in _STATIC}

    def render(state: str, notice: str = "") -> HTMLResponse:
        wait_s = auth.budget.paused_for() if state == "login" and auth.pin_enabled else 0
        if wait_s and not notice:
            notice = paused(wait_s).message
        if state == "locked" and not notice:
            notice = auth.locked_message
        body = page.replace(
            '<body data-state="login" data-notice="">',
            f'<body data-state="{state}" data-notice="{html.escape(notice)}">',
        )
        return HTMLResponse(body, headers={**_SECURITY_HEADERS, "Cache-Control": "no-store"})

    @router.get("/manager/", response_class=HTMLResponse, include_in_schema=False)
    async def manager_page(request: Request, token: str | None = None) -> Response:
        """The page; /manager/?token=<a [manager] token> once gives a session cookie."""
        if token is not None:
            session_token = await auth.off_loop(auth.issue_for_token, token)
            if session_token is None:
                return render("locked" if auth.locked else "login", "That link is not valid.")
            response = RedirectResponse("/manager/", status_code=303)
            COOKIE.set(response, request, session_token, auth.session_s)
            return response
        if _session(auth, request) is not None:
            return render("app")
        return render("locked" if auth.locked else "login")

    @router.get("/manager/static/{name}", include_in_schema=False)
    async def manager_static(name: str) -> Response:
        """The page's script, style sheet and Chart.js."""
        if name == "chart.umd.min.js":
            if not CHART_JS.exists():
                return error(404, "not_found", f"{CHART_JS} is missing: run `make setup` (npm ci)")
            body, media = CHART_JS.read_bytes(), "text/javascript; charset=utf-8"
        elif name in assets:
            body, media = assets[name], _STATIC[name]
        else:
            return error(404, "not_found", f"no static file {name!r}")
        headers = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}
        return Response(body, media_type=media, headers=headers)

    return router


def _api_routes(
    auth: AssociateAuth, reader: Reader, rules: Rules, tz: dt.tzinfo | None
) -> APIRouter:
    router = APIRouter()

    async def answer(request: Request) -> Query | JSONResponse:
        # the checked query of a signed-in manager, or the refusal
        if _session(auth, request) is None:
            headers = {"WWW-Authenticate": "Bearer"}
            if auth.locked:
                return error(401, "locked", auth.locked_message, headers=headers)
            return error(401, "unauthorized", SIGN_IN_FIRST, headers=headers)
        items = list(request.query_params.multi_items())
        names = [k for k, _ in items]
        try:
            return parse_query(
                dict(items), tz, dt.date.today(), {k for k in names if names.count(k) > 1}
            )
        except QueryError as err:
            return error(422, "bad_query", str(err), err.param)

    async def compute(q: Query) -> dict[str, Any]:
        def run() -> dict[str, Any]:
            with reader() as db:
                return metrics_of(db, q, rules, tz)

        return await asyncio.to_thread(run)

    @router.get("/manager/api/metrics")
    async def metrics(request: Request) -> Response:
        """The period's metrics, trend and mirrors as JSON."""
        q = await answer(request)
        if isinstance(q, JSONResponse):
            return q
        return JSONResponse(await compute(q), headers={"Cache-Control": "no-store"})

    @router.get("/manager/api/export.csv")
    async def export(request: Request) -> Response:
        """One of the page's tables as CSV."""
        q = await answer(request)
        if isinstance(q, JSONResponse):
            return q
        out = io.StringIO()
        csv.writer(out).writerows(table_rows(await compute(q), q.table))
        name = f"vitrine-{q.table}-{q.first_day}-{q.last_day}.csv"
        return Response(
            out.getvalue(),
            media_type="text/csv; charset=utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="{name}"',
                "Cache-Control": "no-store",
            },
        )

    return router
