"""WS /player/ws: the view model on connect and on every change, the touch frame's events,
the page's actions carried out by the real engine, and a bad or greedy page answered (or cut
off) without harm to itself or to the others."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest
from starlette.websockets import WebSocketDisconnect

from tests.host.player.conftest import Rig
from vitrine.devices.presence import Presence
from vitrine.devices.touch.events import Pinch, PointerEvent, Swipe, Tap
from vitrine.engine.events import ViewChanged
from vitrine.player.app import MAX_MESSAGE_BYTES, RATE_PER_S


def pointer(kind: str = "down", x: float = 100.0, y: float = 200.0) -> PointerEvent:
    return PointerEvent(
        kind=kind,  # type: ignore[arg-type]
        id=3,
        x=x,
        y=y,
        x_mm=40.0,
        y_mm=50.0,
        diameter_mm=9.0,
        board="touch",
        t_ns=1_000_000_000,
        scan=77,
    )


def publish(rig: Rig, *events: object, wait: bool = True) -> None:
    """Publish from the app's own loop (once a socket has subscribed, with wait)."""

    async def go() -> None:
        for _ in range(200 if wait else 0):
            if rig.bus._subs:
                break
            await asyncio.sleep(0.005)
        for event in events:
            rig.bus.publish(event)

    rig.client.portal.call(go)


def act_twice(rig: Rig, first: dict[str, Any], second: dict[str, Any]) -> None:
    """Two actions whose changes reach the pages together: both run on the engine's thread
    while the event loop is held, so their events wait in the pages' queues side by side."""

    async def go() -> None:
        tasks = [asyncio.ensure_future(rig.engine.act(a)) for a in (first, second)]
        await asyncio.sleep(0)  # both handed to the engine's thread
        time.sleep(0.3)  # noqa: ASYNC251 - on purpose: the loop waits while both steps run
        await asyncio.gather(*tasks)

    rig.client.portal.call(go)


def test_the_first_message_is_the_engine_view(rig: Rig) -> None:
    with rig.client.websocket_connect("/player/ws") as ws:
        state = ws.receive_json()
    assert state == rig.engine.view()
    assert state["type"] == "state"
    assert state["screen"]["name"] == "attract"
    assert state["session"]["phase"] == "idle"


def test_hello_sends_the_state_again_and_ping_is_answered(rig: Rig) -> None:
    with rig.client.websocket_connect("/player/ws") as ws:
        first = ws.receive_json()
        ws.send_json({"type": "hello", "rev": first["rev"]})
        assert ws.receive_json() == first
        ws.send_json({"type": "ping"})
        assert ws.receive_json() == {"type": "pong"}


def test_an_action_goes_to_the_engine_and_its_view_comes_back(rig: Rig) -> None:
    with rig.client.websocket_connect("/player/ws") as ws:
        first = ws.receive_json()
        ws.send_json({"type": "navigate", "screen": "browse", "category": "shirts"})
        state = ws.receive_json()
    assert state["type"] == "state"
    assert state["rev"] > first["rev"]
    assert state["screen"] == {"name": "browse", "category": "shirts", "sku": None}
    assert state["session"]["phase"] == "engaged"
    assert rig.engine.view()["screen"]["name"] == "browse"


def test_every_page_hears_of_a_change(rig: Rig) -> None:
    with (
        rig.client.websocket_connect("/player/ws") as a,
        rig.client.websocket_connect("/player/ws") as b,
    ):
        a.receive_json()
        b.receive_json()
        a.send_json({"type": "navigate", "screen": "lighting"})
        assert a.receive_json()["screen"]["name"] == "lighting"
        assert b.receive_json()["screen"]["name"] == "lighting"


def test_changes_waiting_together_make_one_state(rig: Rig) -> None:
    with rig.client.websocket_connect("/player/ws") as ws:
        ws.receive_json()
        act_twice(
            rig, {"type": "navigate", "screen": "home"}, {"type": "navigate", "screen": "help"}
        )
        state = ws.receive_json()
        assert state["screen"]["name"] == "help"
        assert state["rev"] == rig.engine.view()["rev"]
        ws.send_json({"type": "ping"})
        assert ws.receive_json() == {"type": "pong"}  # no second state on the way


def test_a_view_changed_without_a_new_view_sends_nothing(rig: Rig) -> None:
    with rig.client.websocket_connect("/player/ws") as ws:
        first = ws.receive_json()
        publish(rig, ViewChanged(rev=first["rev"]))
        ws.send_json({"type": "ping"})
        assert ws.receive_json() == {"type": "pong"}


def test_touch_events_are_forwarded_and_nothing_else(rig: Rig) -> None:
    events = [
        pointer("down"),
        Tap(id=3, x=100.0, y=200.0, t_ns=2_000_000),
        Swipe(id=4, direction="left", velocity=1500.0, distance=300.0, x=900, y=500, t_ns=3),
        Pinch(phase="update", scale=1.5, x=540.0, y=800.0, t_ns=4_000_000),
    ]
    with rig.client.websocket_connect("/player/ws") as ws:
        ws.receive_json()
        publish(rig, Presence(present=True, distance_mm=800.0, source="sim", t_ns=1), *events)
        received = [ws.receive_json() for _ in events]
    assert received == [event.to_json() for event in events]
    assert received[0]["type"] == "pointer" and received[0]["scan"] == 77


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("{not json", "not JSON"),
        ("[1, 2]", "not a JSON object"),
        ('"hello"', "not a JSON object"),
    ],
)
def test_a_message_that_is_not_a_json_object_is_refused(rig: Rig, text: str, words: str) -> None:
    with rig.client.websocket_connect("/player/ws") as ws:
        ws.receive_json()
        ws.send_text(text)
        error = ws.receive_json()
        assert error["type"] == "error" and error["code"] == "bad_message"
        assert words in error["error"]
        ws.send_json({"type": "ping"})
        assert ws.receive_json() == {"type": "pong"}


def test_binary_messages_are_refused(rig: Rig) -> None:
    with rig.client.websocket_connect("/player/ws") as ws:
        ws.receive_json()
        ws.send_bytes(b'{"type": "ping"}')
        error = ws.receive_json()
        assert error["code"] == "bad_message" and "text" in error["error"]


@pytest.mark.parametrize(
    ("action", "code", "field"),
    [
        ({"type": "teleport"}, "bad_message", "type"),
        ({"type": "navigate", "screen": "home", "colour": "red"}, "bad_message", "colour"),
        ({"type": "navigate", "screen": "product"}, "bad_message", "sku"),
        ({"type": "navigate", "screen": "product", "sku": "NOPE-1"}, "not_found", "sku"),
        ({"type": "wishlist", "sku": "NOPE-1", "add": True}, "not_allowed", None),
        ({"type": "end"}, "not_allowed", None),
    ],
)
def test_a_refused_action_answers_an_error_and_changes_nothing(
    rig: Rig, action: dict[str, Any], code: str, field: str | None
) -> None:
    before = rig.engine.view()
    with rig.client.websocket_connect("/player/ws") as ws:
        ws.receive_json()
        ws.send_json(action)
        error = ws.receive_json()
        assert error["type"] == "error"
        assert error["code"] == code
        assert error.get("field") == field
        assert error["error"]
        ws.send_json({"type": "ping"})
        assert ws.receive_json() == {"type": "pong"}
    assert rig.engine.view() == before


def test_a_message_of_exactly_the_limit_is_taken(rig: Rig) -> None:
    head = '{"type": "ping", "pad": "'
    text = head + "x" * (MAX_MESSAGE_BYTES - len(head) - 2) + '"}'
    assert len(text.encode()) == MAX_MESSAGE_BYTES
    with rig.client.websocket_connect("/player/ws") as ws:
        ws.receive_json()
        ws.send_text(text)
        assert ws.receive_json() == {"type": "pong"}


def test_a_message_over_the_limit_closes_that_socket_only(rig: Rig) -> None:
    big = json.dumps({"type": "ping", "pad": "é" * (MAX_MESSAGE_BYTES // 2)})
    with (
        rig.client.websocket_connect("/player/ws") as bad,
        rig.client.websocket_connect("/player/ws") as good,
    ):
        bad.receive_json()
        good.receive_json()
        bad.send_text(big)
        with pytest.raises(WebSocketDisconnect) as closed:
            bad.receive_json()
        assert closed.value.code == 1009
        good.send_json({"type": "navigate", "screen": "help"})
        assert good.receive_json()["screen"]["name"] == "help"


def test_a_flood_is_cut_to_the_rate_and_told_once(rig: Rig) -> None:
    flood = 2 * RATE_PER_S
    with (
        rig.client.websocket_connect("/player/ws") as greedy,
        rig.client.websocket_connect("/player/ws") as other,
    ):
        greedy.receive_json()
        other.receive_json()
        for _ in range(flood):
            greedy.send_json({"type": "ping"})
        other.send_json({"type": "ping"})
        assert other.receive_json() == {"type": "pong"}
        time.sleep(1.1)  # the bucket fills again
        greedy.send_json({"type": "hello"})
        pongs, errors = 0, []
        while True:
            message = greedy.receive_json()
            if message["type"] == "state":
                break
            if message["type"] == "pong":
                pongs += 1
            else:
                errors.append(message)
    assert RATE_PER_S <= pongs < flood
    assert len(errors) == 1
    assert errors[0]["code"] == "rate_limited"
    assert "dropped" in errors[0]["error"]


def test_a_page_that_goes_away_is_forgotten(rig: Rig) -> None:
    with rig.client.websocket_connect("/player/ws") as ws:
        ws.receive_json()
    deadline = time.monotonic() + 5
    while rig.bus._subs and time.monotonic() < deadline:
        time.sleep(0.01)
    assert rig.bus._subs == []
    publish(rig, ViewChanged(rev=99), wait=False)  # nobody is listening: nothing breaks
    with rig.client.websocket_connect("/player/ws") as ws:
        assert ws.receive_json() == rig.engine.view()
