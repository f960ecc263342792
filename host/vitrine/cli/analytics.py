"""`vitrine analytics`: the store's observations and metrics on the mirror (or a copy of its
analytics.db): import and export observations as JSON lines, import point-of-sale records,
and print the metrics of a period."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from pathlib import Path
from typing import Any

from vitrine.config import DEFAULT_PATH, Config, load_config
from vitrine.errors import VitrineError


def register(sub: argparse._SubParsersAction) -> None:
    cmd = sub.add_parser(
        "analytics",
        help="store analytics: import/export observations, import sales, report metrics",
        description="Works on the data folder's analytics.db (docs/metrics.md).",
    )
    verbs = cmd.add_subparsers(dest="verb", required=True, metavar="VERB")

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--config", type=Path, help=f"the daemon's config (default: {DEFAULT_PATH})")
        p.add_argument("--db", type=Path, help="analytics.db (default: in the config's [data] dir)")

    p = verbs.add_parser("import", help="load observations from a JSON-lines file, all or nothing")
    p.add_argument("file", type=Path)
    common(p)
    p.set_defaults(handler=cmd_import)
    p = verbs.add_parser("export", help="write observations as JSON lines")
    p.add_argument("--from", dest="since", help="first day or time (ISO 8601)")
    p.add_argument("--to", dest="until", help="day or time to stop before (ISO 8601)")
    p.add_argument("-o", "--output", type=Path, help="file to write (default: standard output)")
    common(p)
    p.set_defaults(handler=cmd_export)
    p = verbs.add_parser(
        "import-sales",
        help="load point-of-sale records (CSV: store,transaction,time,amount,items)",
    )
    p.add_argument("file", type=Path)
    common(p)
    p.set_defaults(handler=cmd_import_sales)
    p = verbs.add_parser("report", help="the store metrics of a period")
    p.add_argument("--from", dest="since", help="first day (YYYY-MM-DD) or time; default: today")
    p.add_argument("--to", dest="until", help="day or time to stop before; default: tomorrow")
    p.add_argument("--store", help="only this store")
    p.add_argument("--mirror", help="only this mirror")
    p.add_argument("--json", action="store_true", help="one JSON object")
    common(p)
    p.set_defaults(handler=cmd_report)


def _setup(args: argparse.Namespace) -> tuple[Config, Path]:
    config = (
        load_config(args.config)
        if args.config or (args.db is None and DEFAULT_PATH.exists())
        else Config()
    )
    path = args.db or config.data.path() / "analytics.db"
    return config, path


def when(text: str | None, tz: dt.tzinfo | None, default: float) -> float:
    """A day (YYYY-MM-DD: its local midnight) or an ISO time as seconds since the epoch."""
    if text is None:
        return default
    try:
        if len(text) == 10:  # noqa: PLR2004 - YYYY-MM-DD
            day = dt.date.fromisoformat(text)
            return dt.datetime(day.year, day.month, day.day, tzinfo=tz).astimezone(tz).timestamp()
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise VitrineError(
            f"{text!r} is not a day or a time: use YYYY-MM-DD or ISO 8601 "
            "(2026-03-14T10:00:00+01:00)"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz).astimezone(tz)
    return moment.timestamp()


def _open(path: Path, must_exist: bool = True):
    from vitrine.analytics import store

    if must_exist and not path.exists():
        raise VitrineError(
            f"no analytics database at {path} (has the daemon run with this data folder? "
            "give --db or --config)"
        )
    return store.open_store(path)


def cmd_import(args: argparse.Namespace) -> int:
    from vitrine.analytics.imports import import_observations

    config, path = _setup(args)
    conn = _open(path, must_exist=False)
    try:
        done = import_observations(conn, args.file, outbox=bool(config.fleet.broker))
    finally:
        conn.close()
    print(f"{args.file}: {done.read} observations, {done.new} new, {done.already} already there")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from vitrine.analytics.imports import export_observations

    config, path = _setup(args)
    tz = config.analytics.zone()
    since = when(args.since, tz, 0.0) if args.since else None
    until = when(args.until, tz, 0.0) if args.until else None
    conn = _open(path)
    try:
        if args.output:
            with open(args.output, "w", encoding="utf-8") as out:
                n = export_observations(conn, out, since=since, until=until)
            print(f"{args.output}: {n} observations", file=sys.stderr)
        else:
            export_observations(conn, sys.stdout, since=since, until=until)
    finally:
        conn.close()
    return 0


def cmd_import_sales(args: argparse.Namespace) -> int:
    from vitrine.analytics.imports import import_sales

    config, path = _setup(args)
    conn = _open(path, must_exist=False)
    try:
        done = import_sales(conn, args.file, config.analytics.assisted_window_h)
    finally:
        conn.close()
    print(f"{args.file}: {done.read} transactions, {done.new} new, {done.already} already there")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from vitrine.analytics.metrics import report
    from vitrine.analytics.rollup import Rules, day_start, next_day
    from vitrine.analytics.sqldb import SqliteDb

    config, path = _setup(args)
    tz = config.analytics.zone()
    today = day_start(time.time(), tz)
    lo = when(args.since, tz, today)
    hi = when(args.until, tz, next_day(today, tz))
    if hi <= lo:
        raise VitrineError(f"--to ({args.until}) must be after --from ({args.since})")
    conn = _open(path)
    a = config.analytics
    rules = Rules(a.visit_gap_s, a.bounce_s, a.zone_min_s, a.assisted_window_h)
    controls = {e.name: e.variants[0].name for e in config.experiment}
    try:
        out = report(
            SqliteDb(conn),
            lo,
            hi,
            rules,
            store=args.store,
            mirror=args.mirror,
            tz=tz,
            controls=controls,
        )
    finally:
        conn.close()
    if args.json:
        print(json.dumps(out, separators=(",", ":")))
    else:
        print(format_report(out, tz))
    return 0


LINES = (
    ("passers_by", "Passers-by", "n"),
    ("visitors", "Visitors (entered)", "n"),
    ("shopfront_conversion", "Shopfront conversion", "%"),
    ("attention_rate", "Attention rate", "%"),
    ("sessions", "Sessions", "n"),
    ("engagement_rate", "Engagement rate", "%"),
    ("visits", "Visits", "n"),
    ("bounce_rate", "Bounce rate", "%"),
    ("mean_visit_s", "Visit duration (mean)", "s"),
    ("transactions", "POS transactions", "n"),
    ("sales_conversion", "Sales conversion", "%"),
    ("mirror_assisted_conversion", "Mirror-assisted conversion", "%"),
    ("requests", "Associate requests", "n"),
    ("mean_fulfil_s", "Request fulfilment (mean)", "s"),
    ("csat", "CSAT (4-5 of 5)", "pct"),  # a percentage already
    ("nps", "NPS", "v"),
    ("members", "Members seen", "n"),
    ("repeat_customers", "Repeat customers", "n"),
    ("errors", "Errors", "n"),
)


def _value(value: Any, unit: str) -> str:
    if value is None:
        return "no data"
    if unit == "%":
        return f"{100 * value:.1f}%"
    if unit == "pct":
        return f"{value:.1f}%"
    if unit == "s":
        return f"{value:.1f} s"
    if unit == "v":
        return f"{value:+.0f}"
    return f"{value:,.0f}"


def format_report(out: dict[str, Any], tz: dt.tzinfo | None) -> str:
    """The report for people: one metric a line, zones and experiments after."""
    span = " to ".join(
        dt.datetime.fromtimestamp(out[k], tz).strftime("%Y-%m-%d %H:%M") for k in ("from", "to")
    )
    scope = f"store {out['store'] or 'all'}, mirror {out['mirror'] or 'all'}"
    lines = [f"Store metrics, {span} ({scope})"]
    for key, label, unit in LINES:
        lines.append(f"  {label:<28} {_value(out[key], unit)}")
    for zone, z in out["dwell_by_zone"].items():
        lines.append(
            f"  {'Dwell in ' + zone:<28} {z['visits']:,.0f} visits, mean "
            f"{_value(z['mean_dwell_s'], 's')}"
        )
    for name, result in out["experiments"].items():
        lines.append(f"  Experiment {name}: {result.get('summary') or result.get('error')}")
    return "\n".join(lines)
