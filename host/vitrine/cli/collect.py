"""`vitrine collect`: the fleet's collector (vitrine.analytics.collector), MQTT in, PostgreSQL
(or SQLite for a small fleet) out, rolling up the fleet's hours as it goes."""

from __future__ import annotations

import argparse
import os
import signal
import threading
import time
from pathlib import Path

from vitrine.errors import VitrineError

ROLL_S = 60.0
ROLL_RANGE_S = (0.1, 86400.0)  # --roll-s allowed


def register(sub: argparse._SubParsersAction) -> None:
    cmd = sub.add_parser(
        "collect",
        help="the fleet's collector: mirrors' observations from MQTT into PostgreSQL",
        description="Subscribes to <topic>/+/+/observations (a persistent session under a "
        "stable client id; shared by --group) and writes "
        "each observation once into --db (docs/metrics.md, The fleet). The password is read "
        "from VITRINE_MQTT_PASSWORD, not the command line.",
    )
    cmd.add_argument("--broker", required=True, help="mqtt://HOST[:PORT] or mqtts://HOST[:PORT]")
    cmd.add_argument("--db", required=True, help="postgresql://USER@HOST/DB, or a SQLite file")
    cmd.add_argument("--topic", default="vitrine", help="the mirrors' topic prefix ([fleet] topic)")
    cmd.add_argument(
        "--group",
        default="",
        help="share the subscription with the collectors of this group (MQTT 5); see "
        "docs/metrics.md for what Mosquitto 2.0 loses then across its restart",
    )
    cmd.add_argument(
        "--id",
        default=None,
        help="this collector's client id, the same at every start: the broker keeps its "
        "session and queues what arrives while it is away (default: vitrine-collector-HOST)",
    )
    cmd.add_argument("--username", default="")
    cmd.add_argument("--ca-file", default="", help="the broker's CA for mqtts://")
    cmd.add_argument(
        "--roll-s",
        type=float,
        default=ROLL_S,
        help=f"how often finished hours are rolled up, in seconds (default {ROLL_S:.0f})",
    )
    cmd.add_argument(
        "--http",
        default="",
        metavar="HOST:PORT",
        help="also serve the manager's dashboard over the fleet's database here (its PIN from "
        "VITRINE_MANAGER_PIN, a token from VITRINE_MANAGER_TOKEN)",
    )
    cmd.add_argument(
        "--state-dir",
        type=Path,
        default=Path.home() / ".local" / "state" / "vitrine-collector",
        help="where the dashboard keeps its secret and sign-ins",
    )
    cmd.set_defaults(handler=cmd_collect)


def _address(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:  # noqa: PLR2004
        raise VitrineError(f"collect: --http {text!r}: allowed: HOST:PORT, e.g. 127.0.0.1:8090")
    return host, int(port)


def serve_dashboard(db_url: str, address: str, state_dir: Path) -> threading.Thread:
    """The manager's dashboard (vitrine.manager) over the fleet's database, on a thread."""
    import uvicorn
    from fastapi import FastAPI
    from pydantic import ValidationError

    from vitrine.analytics.config import ManagerConfig
    from vitrine.analytics.fleetdb import FleetDb
    from vitrine.analytics.rollup import Rules
    from vitrine.associate.auth import AssociateAuth
    from vitrine.associate.store import AuthStore
    from vitrine.manager import manager_router
    from vitrine.secret_key import load_or_create_secret

    host, port = _address(address)
    token = os.environ.get("VITRINE_MANAGER_TOKEN", "")
    try:
        config = ManagerConfig(
            pin=os.environ.get("VITRINE_MANAGER_PIN", ""), tokens=[token] if token else []
        )
    except ValidationError as err:
        problem = err.errors()[0]
        raise VitrineError(
            f"collect: VITRINE_MANAGER_{str(problem['loc'][0]).upper()}: {problem['msg']}"
        ) from None
    state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    secret = load_or_create_secret(state_dir / "secret.key")
    auth = AssociateAuth(
        config, secret, AuthStore.open(state_dir / "manager-auth.db"), role="manager"
    )
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    app.include_router(manager_router(auth, lambda: FleetDb.reader(db_url), Rules()))
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name="dashboard", daemon=True)
    thread.start()
    print(f"collect: the dashboard is at http://{host}:{port}/manager/", flush=True)
    return thread


def cmd_collect(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from vitrine.analytics.collector import Collector
    from vitrine.analytics.config import FleetConfig
    from vitrine.analytics.fleetdb import FleetDb
    from vitrine.analytics.rollup import Rules, roll

    try:
        fleet = FleetConfig(
            broker=args.broker,
            topic=args.topic,
            username=args.username,
            password=os.environ.get("VITRINE_MQTT_PASSWORD", ""),
            ca_file=args.ca_file,
        )
    except ValidationError as err:
        raise VitrineError(f"collect: {err.errors()[0]['msg']}") from None
    lo, hi = ROLL_RANGE_S
    if not lo <= args.roll_s <= hi:
        raise VitrineError(f"collect: --roll-s {args.roll_s:g}: seconds must be {lo:g} to {hi:g}")
    db = FleetDb.open(args.db)
    if args.http:
        serve_dashboard(args.db, args.http, args.state_dir)
    client_id = args.id or f"vitrine-collector-{os.uname().nodename}"
    collector = Collector(
        args.broker, db, group=args.group or None, client_id=client_id, fleet=fleet
    )
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    roller = FleetDb.open(args.db)

    def rolling() -> None:
        while not stop.wait(args.roll_s):
            try:
                roll(roller.db, time.time(), Rules())
            except Exception as err:  # the next minute tries again
                print(f"collect: roll-ups failed: {err}", flush=True)

    threading.Thread(target=rolling, name="rollups", daemon=True).start()
    try:
        collector.run(stop.is_set)
    finally:
        db.close()
        roller.close()
    s = collector.stats
    print(
        f"collect: {s.messages} messages, {s.new} observations stored, {s.duplicates} "
        f"duplicates, {s.conflicts} conflicts, {s.refused} refused"
    )
    return 0
