"""The associate app's WebSocket: the queue on connect and on every change, ping/pong,
errors for anything else, and no socket at all without a signed-in associate."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from tests.host.associate.rig import KIOSK_TOKEN, PIN, Rig, variant_skus
from vitrine.associate.http import COOKIE
from vitrine.associate.live import MAX_WS_MESSAGE_BYTES
from vitrine.engine.events import RequestsChanged

WS = "/associate/ws"


@pytest.fixture
def client(rig: Rig) -> Iterator[TestClient]:
    with TestClient(rig.app) as client:
        yield client


@pytest.fixture
def signed_in(client: TestClient) -> TestClient:
    assert client.post("/associate/login", json={"pin": PIN}).status_code == 204
    return client


def closed_with(client: TestClient, url: str, **kw: object) -> int:
    with pytest.raises(WebSocketDisconnect) as closed, client.websocket_connect(url, **kw) as ws:
        ws.receive_json()
    return closed.value.code


def test_without_a_session_the_socket_closes_with_4401(client: TestClient) -> None:
    assert closed_with(client, WS) == 4401
    client.cookies.set(COOKIE, "forged.token")
    assert closed_with(client, WS) == 4401
    assert closed_with(client, f"{WS}?token=not-a-kiosk-token-at-all") == 4401


def test_a_cross_site_socket_is_refused(signed_in: TestClient) -> None:
    assert closed_with(signed_in, WS, headers={"origin": "http://evil.example"}) == 4403


def test_the_queue_comes_on_connect_and_after_every_change(rig: Rig, signed_in: TestClient) -> None:
    variant = variant_skus(rig.catalog, 1)[0]
    with signed_in.websocket_connect(WS) as ws:
        first = ws.receive_json()
        assert first == {
            "type": "requests",
            "items": [],
            "sla": {"ack_s": 60.0, "fulfil_s": 300.0, "escalate_s": 120.0},
        }
        made = signed_in.portal.call(rig.request, "size", variant)
        (item,) = ws.receive_json()["items"]
        assert (item["id"], item["status"], item["fitting_room"]) == (made["id"], "pending", "1")
        assert item["sla"] == "ok" and "session" not in item
        ack = signed_in.post(
            f"/associate/api/requests/{made['id']}/acknowledge", json={"name": "Sam"}
        )
        assert ack.status_code == 200
        (item,) = ws.receive_json()["items"]
        assert (item["status"], item["acknowledged_by"]) == ("acknowledged", "Sam")
        signed_in.post(f"/associate/api/requests/{made['id']}/fulfil", json={"name": "Sam"})
        assert ws.receive_json()["items"] == []


def test_a_burst_of_changes_is_sent_as_few_queues(rig: Rig, signed_in: TestClient) -> None:
    async def burst() -> None:
        for rev in range(50):
            rig.bus.publish(RequestsChanged(rev=rev))

    with signed_in.websocket_connect(WS) as ws:
        ws.receive_json()
        signed_in.portal.call(burst)
        # The queue is read on the engine's thread, so a pong may overtake it: a second ping
        # sent after the first queue arrived marks the end of what the burst caused.
        ws.send_json({"type": "ping"})
        received = []
        pongs = 0
        while pongs < 2:
            message = ws.receive_json()
            if message["type"] == "pong":
                pongs += 1
                if pongs == 1:
                    while not received:
                        received.append(ws.receive_json())
                    ws.send_json({"type": "ping"})
            else:
                received.append(message)
        assert 1 <= len(received) <= 2
        assert all(m["type"] == "requests" for m in received)


def test_ping_is_answered_and_anything_else_is_an_error(signed_in: TestClient) -> None:
    with signed_in.websocket_connect(WS) as ws:
        ws.receive_json()
        ws.send_json({"type": "ping"})
        assert ws.receive_json() == {"type": "pong"}
        for text in ("hello", "[1, 2]", '{"type": "acknowledge", "id": "x", "name": "Sam"}', "{}"):
            ws.send_text(text)
            error = ws.receive_json()
            assert (error["type"], error["code"]) == ("error", "bad_message")
        ws.send_bytes(b"\x00\xff")
        assert ws.receive_json()["type"] == "error"
        ws.send_json({"type": "ping"})  # still open
        assert ws.receive_json() == {"type": "pong"}


def test_an_oversized_message_closes_the_socket(signed_in: TestClient) -> None:
    with signed_in.websocket_connect(WS) as ws:
        ws.receive_json()
        ws.send_text('{"type": "ping", "pad": "' + "x" * MAX_WS_MESSAGE_BYTES + '"}')
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
        assert closed.value.code == 1009


def test_a_kiosk_token_opens_the_socket(client: TestClient) -> None:
    with client.websocket_connect(f"{WS}?token={KIOSK_TOKEN}") as ws:
        assert ws.receive_json()["type"] == "requests"
    client.cookies.set(COOKIE, "stale.cookie")  # a stale cookie beside a good token
    with client.websocket_connect(f"{WS}?token={KIOSK_TOKEN}") as ws:
        assert ws.receive_json()["type"] == "requests"


def test_the_socket_closes_when_the_session_ends(rig: Rig, signed_in: TestClient) -> None:
    with signed_in.websocket_connect(WS) as ws:
        ws.receive_json()
        rig.clock.advance(12 * 3600)
        signed_in.portal.call(_publish, rig, RequestsChanged(rev=1))
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
        assert closed.value.code == 4401


def test_sign_out_closes_the_socket_at_the_next_change(rig: Rig, signed_in: TestClient) -> None:
    with signed_in.websocket_connect(WS) as ws:
        ws.receive_json()
        signed_in.post("/associate/logout")
        signed_in.portal.call(_publish, rig, RequestsChanged(rev=1))
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
        assert closed.value.code == 4401


async def _publish(rig: Rig, event: object) -> None:
    rig.bus.publish(event)
