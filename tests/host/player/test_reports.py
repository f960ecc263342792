"""The player pages' reports of messages they did not know: {"type": "unknown_message", ...}
on /player/ws, checked, counted per type, and shown in GET /api/status (player.unknown_messages).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.host.player.conftest import KIOSK
from tests.host.player.test_socket_errors import FakeEngine
from vitrine.bus import EventBus
from vitrine.player import player_router
from vitrine.player.reports import MAX_TYPES, OTHER, PlayerReports, UnknownMessageReport
from vitrine.web.app import create_app


@pytest.fixture
def reports() -> PlayerReports:
    return PlayerReports()


@pytest.fixture
def client(reports: PlayerReports) -> Iterator[TestClient]:
    bus = EventBus()

    def status() -> dict[str, Any]:
        return {
            "version": "0",
            "uptime_s": 0.0,
            "host_build": "x",
            "boards": [],
            "player": reports.status(),
        }

    routers = [player_router(FakeEngine(), bus, (), reports=reports)]
    with TestClient(create_app(status, bus, (), routers), client=KIOSK) as client:
        yield client


def report(message_type: str, count: int = 1) -> dict[str, Any]:
    return {"type": "unknown_message", "message_type": message_type, "count": count}


def test_reports_are_counted_per_type_in_the_status(client: TestClient) -> None:
    assert client.get("/api/status").json()["player"] == {"unknown_messages": {}}
    with client.websocket_connect("/player/ws") as ws:
        ws.receive_json()
        ws.send_json(report("hologram", 3))
        ws.send_json(report("smell"))
        ws.send_json(report("hologram", 2))
        ws.send_json({"type": "ping"})  # answered after the reports are counted
        assert ws.receive_json() == {"type": "pong"}
    status = client.get("/api/status").json()
    assert status["player"] == {"unknown_messages": {"hologram": 5, "smell": 1}}


@pytest.mark.parametrize(
    ("message", "field", "words"),
    [
        (report("hologram", 0), "count", ["count = 0", "greater than or equal to 1"]),
        (report("hologram", 10_001), "count", ["count = 10001", "less than or equal to 10000"]),
        ({**report("hologram"), "count": "3"}, "count", ["count = '3'", "integer"]),
        (report(""), "message_type", ["message_type = ''", "at least 1 character"]),
        (report("x" * 65), "message_type", ["at most 64 characters"]),
        ({"type": "unknown_message", "count": 1}, "message_type", ["message_type is missing"]),
        ({**report("hologram"), "page": 1}, "page", ["page is not a field of unknown_message"]),
    ],
)
def test_a_bad_report_is_refused_naming_the_field_and_counts_nothing(
    client: TestClient,
    reports: PlayerReports,
    message: dict[str, Any],
    field: str,
    words: list[str],
) -> None:
    with client.websocket_connect("/player/ws") as ws:
        ws.receive_json()
        ws.send_json(message)
        answer = ws.receive_json()
    assert answer["type"] == "error" and answer["code"] == "bad_message"
    assert answer["field"] == field
    assert answer["error"].startswith("unknown_message refused: ")
    for word in words:
        assert word in answer["error"], answer["error"]
    assert reports.status() == {"unknown_messages": {}}


def test_past_the_limit_new_types_are_counted_together(reports: PlayerReports) -> None:
    for n in range(MAX_TYPES + 5):
        new = reports.unknown_message(UnknownMessageReport.model_validate(report(f"t{n:02d}", 2)))
        assert new == (n <= MAX_TYPES)  # the first type past the limit starts OTHER
    counts = reports.status()["unknown_messages"]
    assert len(counts) == MAX_TYPES + 1
    assert counts[OTHER] == 5 * 2
    assert counts["t00"] == 2
    assert not reports.unknown_message(UnknownMessageReport.model_validate(report("t00")))
    assert reports.status()["unknown_messages"]["t00"] == 3  # a known type still counts
