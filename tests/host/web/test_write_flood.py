"""Clients flooding the player socket with interactions cannot make events.db grow with them:
the session's interactions are written within its budget, runs are counted on one row, and
what is over is counted on the session (docs/engine.md, Persistence)."""

from __future__ import annotations

import sqlite3
import time
from contextlib import ExitStack
from pathlib import Path

from fastapi.testclient import TestClient

from vitrine.engine.engine import INTERACTION_ROWS_BURST

from .hostile import build

SOCKETS = 20
MESSAGES = 200  # each; the sockets admit 50 a second each, the rest is refused


def test_twenty_sockets_flooding_interactions_add_counts_not_rows(tmp_path: Path) -> None:
    parts = build(tmp_path / "data")
    try:
        with TestClient(parts.app, client=("127.0.0.1", 50000)) as client, ExitStack() as stack:
            sockets = [
                stack.enter_context(client.websocket_connect("/player/ws")) for _ in range(SOCKETS)
            ]
            for ws in sockets:
                assert ws.receive_json()["type"] == "state"
            for n in range(MESSAGES):
                for ws in sockets:
                    # two kinds in turn: never a run, each one a row if the budget allowed
                    kind = ("tap", "scroll")[n % 2]
                    ws.send_json({"type": "interaction", "kind": kind, "screen": "home"})
            time.sleep(1.1)  # the sockets' own rate limit lets a message through again
            for ws in sockets:  # every socket has had its messages handled
                ws.send_json({"type": "ping"})
                while ws.receive_json()["type"] != "pong":
                    pass
            view = parts.engine.view()
    finally:
        parts.close()
    conn = sqlite3.connect(tmp_path / "data" / "events.db")
    sid = view["session"]["id"]
    (rows,) = conn.execute("SELECT COUNT(*) FROM interaction WHERE session = ?", (sid,)).fetchone()
    (dropped,) = conn.execute(
        "SELECT interactions_dropped FROM session WHERE id = ?", (sid,)
    ).fetchone()
    conn.close()
    # the engine's clocks stand still here, so the budget never refills: its burst, no more
    assert rows <= INTERACTION_ROWS_BURST
    assert dropped > 0
