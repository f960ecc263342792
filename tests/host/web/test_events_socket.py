"""The daemon's event WebSocket: live events out as JSON; nothing a client sends is obeyed."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi.testclient import TestClient

from vitrine.bus import EventBus
from vitrine.web.app import create_app


@dataclass(frozen=True)
class Ping:
    n: int

    def to_json(self) -> dict[str, object]:
        return {"type": "ping", "n": self.n}


@dataclass(frozen=True)
class Other:
    n: int


def test_live_events_reach_the_client_and_others_do_not() -> None:
    bus = EventBus()
    app = create_app(lambda: {}, bus, (Ping,))
    with TestClient(app) as client, client.websocket_connect("/ws") as ws:
        # The subscription exists once the server side has accepted; publish from its loop.
        client.portal.call(lambda: _publish(bus, [Other(0), Ping(1), Ping(2)]))
        assert ws.receive_json() == {"type": "ping", "n": 1}
        assert ws.receive_json() == {"type": "ping", "n": 2}


def test_a_client_message_is_answered_with_an_error_and_changes_nothing() -> None:
    bus = EventBus()
    app = create_app(lambda: {}, bus, (Ping,))
    with TestClient(app) as client, client.websocket_connect("/ws") as ws:
        ws.send_text('{"type": "pointer", "kind": "down", "id": 1, "x": 5, "y": 5}')
        assert ws.receive_json()["type"] == "error"
        ws.send_bytes(b"\xff\x00garbage")
        assert ws.receive_json()["type"] == "error"
        client.portal.call(lambda: _publish(bus, [Ping(3)]))
        assert ws.receive_json() == {"type": "ping", "n": 3}


async def _publish(bus: EventBus, events: list[object]) -> None:
    import asyncio

    for _ in range(100):  # until the socket's subscription is in place
        if bus._subs:
            break
        await asyncio.sleep(0.01)
    for event in events:
        bus.publish(event)
