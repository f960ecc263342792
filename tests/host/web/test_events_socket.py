"""The daemon's event WebSocket: live events out as JSON; of what a client sends, only the touch
calibration's targets are taken (published on the bus for the player to draw), and only from
the calibration tool's signed connection; everything else is answered with an error. Pages of
other origins are refused, and each client is held to a message size and rate."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from vitrine.bus import EventBus, Subscription
from vitrine.devices.touch.events import CalibrationTarget
from vitrine.web.access import ScreenAccess
from vitrine.web.app import IGNORED, MAX_MESSAGE_BYTES, MAX_SOCKETS, RATE_PER_S, create_app
from vitrine.web.calibration_token import VALID_S, authorization, calibration_key, presented
from vitrine.web.origins import Origins


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


# --- the touch calibration's targets ----------------------------------------------------------

TARGET = {
    "type": "calibration",
    "step": 2,
    "of": 4,
    "x": 1728.0,
    "y": 108.0,
    "text": "Touch and hold the centre of the target with one finger, still, then lift it.",
}
OVER = {"type": "calibration", "step": None, "of": 0, "x": None, "y": None, "text": ""}


@dataclass
class Rig:
    client: TestClient
    bus: EventBus
    sub: Subscription  # every CalibrationTarget published, in order
    open: list[Any] = field(default_factory=list)

    def connect(self, *, signed: bool = True, headers: dict[str, str] | None = None) -> Any:
        """A /ws client (signed: as the calibration tool connects), once its subscription is
        in place (so it hears what follows)."""
        before = len(self.bus._subs)
        headers = {**(authorization(KEY) if signed else {}), **(headers or {})}
        ws = self.client.websocket_connect("/ws", headers=headers).__enter__()
        self.open.append(ws)
        self.client.portal.call(_until, lambda: len(self.bus._subs) > before)
        return ws

    def leave(self, ws: Any) -> None:
        """The client closes its connection; returns once the server has seen it go."""
        self.open.remove(ws)
        ws.__exit__(None, None, None)

    def published(self) -> list[CalibrationTarget]:
        async def drain() -> list[CalibrationTarget]:
            return self.sub.drain()

        return self.client.portal.call(drain)

    def publish(self, event: object) -> None:
        async def publish() -> None:
            self.bus.publish(event)

        self.client.portal.call(publish)


KEY = calibration_key(bytes(range(32)))
KIOSK_ORIGIN = "http://127.0.0.1:8080"


@pytest.fixture
def rig() -> Iterator[Rig]:
    bus = EventBus()
    access = ScreenAccess(origins=Origins([KIOSK_ORIGIN]), calibration_key=KEY)
    app = create_app(lambda: {}, bus, (Ping, CalibrationTarget), access=access)
    with TestClient(app, client=("127.0.0.1", 50000)) as client:  # the calibration tool

        async def subscribe() -> Subscription:
            return bus.subscribe(CalibrationTarget)

        rig = Rig(client, bus, client.portal.call(subscribe))
        try:
            yield rig
        finally:
            for ws in reversed(rig.open):
                ws.__exit__(None, None, None)
            rig.sub.close()


async def _until(condition: Any) -> None:
    for _ in range(500):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("timed out")


def test_calibration_event_json() -> None:
    event = CalibrationTarget(step=1, of=4, x=192.004, y=107.996, text="Touch it")
    assert event.to_json() == {
        "type": "calibration",
        "step": 1,
        "of": 4,
        "x": 192.0,
        "y": 108.0,
        "text": "Touch it",
    }
    assert CalibrationTarget.over().to_json() == OVER


def test_a_target_is_published_and_every_client_hears_it(rig: Rig) -> None:
    tool, player = rig.connect(), rig.connect()
    tool.send_json(TARGET)
    assert player.receive_json() == TARGET
    assert tool.receive_json() == TARGET  # the sender hears it too, as a live event
    assert rig.published() == [
        CalibrationTarget(step=2, of=4, x=1728.0, y=108.0, text=TARGET["text"])
    ]
    tool.send_json({"type": "calibration_done"})
    assert player.receive_json() == OVER
    assert rig.published() == [CalibrationTarget.over()]
    rig.leave(tool)
    rig.leave(player)


def test_integer_positions_and_the_largest_values_are_taken(rig: Rig) -> None:
    tool = rig.connect()
    message = {"type": "calibration", "step": 16, "of": 16, "x": 0, "y": 20000, "text": "é" * 200}
    tool.send_text(json.dumps(message))
    assert tool.receive_json() == {**message, "x": 0.0, "y": 20000.0}
    assert rig.published() == [CalibrationTarget(step=16, of=16, x=0.0, y=20000.0, text="é" * 200)]
    rig.leave(tool)


BAD_TARGETS = {
    "extra field": {**TARGET, "colour": "red"},
    "no text": {k: v for k, v in TARGET.items() if k != "text"},
    "no y": {k: v for k, v in TARGET.items() if k != "y"},
    "step 0": {**TARGET, "step": 0},
    "step 17": {**TARGET, "step": 17, "of": 16},
    "of 17": {**TARGET, "step": 1, "of": 17},
    "step past of": {**TARGET, "step": 5, "of": 4},
    "step null": {**TARGET, "step": None},
    "step a float": {**TARGET, "step": 1.5},
    "step 1.0": {**TARGET, "step": 1.0},
    "step true": {**TARGET, "step": True},
    "step a string": {**TARGET, "step": "2"},
    "x negative": {**TARGET, "x": -0.5},
    "x too large": {**TARGET, "x": 20000.5},
    "y too large": {**TARGET, "y": 1e300},
    "x null": {**TARGET, "x": None},
    "x a string": {**TARGET, "x": "1728"},
    "x a list": {**TARGET, "x": [1728]},
    "text too long": {**TARGET, "text": "x" * 201},
    "text a number": {**TARGET, "text": 3},
    "done with a field": {"type": "calibration_done", "step": 1},
}


@pytest.mark.parametrize("message", BAD_TARGETS.values(), ids=BAD_TARGETS.keys())
def test_malformed_targets_are_refused_and_nothing_is_published(
    rig: Rig, message: dict[str, Any]
) -> None:
    tool = rig.connect()
    tool.send_json(message)
    answer = tool.receive_json()
    assert answer["type"] == "error"
    assert answer["error"].startswith(f"{message['type']} message refused: "), answer
    assert rig.published() == []
    # the socket lives on: a good target still goes through
    tool.send_json(TARGET)
    assert tool.receive_json() == TARGET
    rig.leave(tool)


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_positions_that_are_not_finite_are_refused(rig: Rig, number: str) -> None:
    tool = rig.connect()
    text = json.dumps({**TARGET, "x": 0}).replace('"x": 0', f'"x": {number}')
    tool.send_text(text)
    answer = tool.receive_json()
    assert answer["type"] == "error" and "refused" in answer["error"], answer
    assert rig.published() == []
    rig.leave(tool)


@pytest.mark.parametrize(
    "text",
    [
        '{"type": "pointer", "kind": "down", "id": 1, "x": 5, "y": 5}',
        '{"type": "Calibration", "step": 1, "of": 4, "x": 1, "y": 1, "text": ""}',
        '{"step": 1, "of": 4, "x": 1, "y": 1, "text": ""}',
        '[{"type": "calibration_done"}]',
        '"calibration_done"',
        '{"type": ["calibration"]}',
        "not json",
        "[" * 4000,  # too deep to decode
        json.dumps({**TARGET, "text": "x" * 3000}),  # too long a text, under the size limit
    ],
)
def test_other_messages_keep_the_old_answer(rig: Rig, text: str) -> None:
    tool = rig.connect()
    tool.send_text(text)
    answer = tool.receive_json()
    assert answer["type"] == "error"
    assert answer["error"] == IGNORED or answer["error"].startswith("calibration message refused")
    tool.send_bytes(json.dumps(TARGET).encode())  # a target, but not as text
    assert tool.receive_json() == {"type": "error", "error": IGNORED}
    assert rig.published() == []
    rig.leave(tool)


def test_a_client_gone_without_done_hides_its_target(rig: Rig) -> None:
    tool, player = rig.connect(), rig.connect()
    tool.send_json(TARGET)
    assert player.receive_json() == TARGET
    rig.leave(tool)
    assert player.receive_json() == OVER
    assert rig.published() == [
        CalibrationTarget(step=2, of=4, x=1728.0, y=108.0, text=TARGET["text"]),
        CalibrationTarget.over(),
    ]
    rig.leave(player)


def test_a_client_gone_after_done_or_without_a_target_publishes_nothing(rig: Rig) -> None:
    player = rig.connect()
    finished, listener = rig.connect(), rig.connect()
    finished.send_json(TARGET)
    finished.send_json({"type": "calibration_done"})
    assert player.receive_json() == TARGET
    assert player.receive_json() == OVER
    rig.leave(finished)
    rig.leave(listener)
    rig.publish(Ping(7))
    assert player.receive_json() == {"type": "ping", "n": 7}  # and no "over" before it
    assert len(rig.published()) == 2
    rig.leave(player)


def test_each_client_hides_only_its_own_target(rig: Rig) -> None:
    player, first, second = rig.connect(), rig.connect(), rig.connect()
    first.send_json(TARGET)
    assert player.receive_json() == TARGET
    first.send_json({"type": "calibration_done"})
    assert player.receive_json() == OVER
    second.send_json({**TARGET, "step": 3})
    assert player.receive_json() == {**TARGET, "step": 3}
    rig.leave(first)  # its calibration was over: nothing more
    rig.publish(Ping(8))
    assert player.receive_json() == {"type": "ping", "n": 8}
    rig.leave(second)
    assert player.receive_json() == OVER
    rig.leave(player)


# --- who may show targets, and the limits ------------------------------------------------------


def test_a_connection_without_the_tools_token_may_not_show_targets(rig: Rig) -> None:
    """On the mirror, but not the calibration tool: a page's script, another program."""
    player, other = rig.connect(), rig.connect(signed=False)
    other.send_json(TARGET)
    answer = other.receive_json()
    assert answer["type"] == "error"
    assert answer["error"].startswith("calibration message refused: ")
    assert "vitrine calibrate touch" in answer["error"]
    other.send_json({"type": "calibration_done"})
    assert other.receive_json()["type"] == "error"
    assert rig.published() == []
    rig.publish(Ping(9))
    assert player.receive_json() == {"type": "ping", "n": 9}  # no target came before it
    rig.leave(other)
    rig.leave(player)


FORGED: dict[str, Callable[[], str]] = {  # made when the test runs: some depend on the time
    "another key": lambda: authorization(calibration_key(bytes(32)))["Authorization"],
    "an old token": lambda: authorization(KEY, time.time() - VALID_S - 5)["Authorization"],
    "a future token": lambda: authorization(KEY, time.time() + VALID_S + 5)["Authorization"],
    "a cut signature": lambda: authorization(KEY)["Authorization"][:-1],
    "no signature": lambda: "Bearer calibrate1." + str(int(time.time())),
    "another scheme": lambda: authorization(KEY)["Authorization"].replace("Bearer", "Basic"),
    "a long token": lambda: "Bearer " + "calibrate1." + "1" * 200,
    "a negative time": lambda: "Bearer calibrate1.-5.00",
}


@pytest.mark.parametrize("header", FORGED.values(), ids=FORGED.keys())
def test_a_forged_expired_or_foreign_token_may_not_show_targets(
    rig: Rig, header: Callable[[], str]
) -> None:
    tool = rig.connect(signed=False, headers={"Authorization": header()})
    tool.send_json(TARGET)
    assert tool.receive_json()["error"].startswith("calibration message refused: ")
    assert rig.published() == []
    rig.leave(tool)


def test_a_token_is_good_for_five_minutes_either_side() -> None:
    now = 1_700_000_000.0
    token = authorization(KEY, now)
    assert presented(KEY, {"authorization": token["Authorization"]}, now + VALID_S)
    assert presented(KEY, {"authorization": token["Authorization"]}, now - VALID_S)
    assert not presented(KEY, {"authorization": token["Authorization"]}, now + VALID_S + 1)
    assert not presented(None, {"authorization": token["Authorization"]}, now)
    assert VALID_S == 300


def test_a_daemon_without_a_calibration_key_takes_no_targets() -> None:
    bus = EventBus()
    app = create_app(lambda: {}, bus, (Ping, CalibrationTarget))
    with (
        TestClient(app, client=("127.0.0.1", 50000)) as client,
        client.websocket_connect("/ws", headers=authorization(KEY)) as ws,
    ):
        ws.send_json(TARGET)
        assert ws.receive_json()["error"].startswith("calibration message refused: ")


@pytest.mark.parametrize(
    "origin", ["http://evil.example", "http://localhost:8099", "http://127.0.0.1:8099", "null"]
)
def test_a_page_of_another_origin_is_refused(rig: Rig, origin: str) -> None:
    """Even with the tool's token (a page cannot make one, but the origin check comes first)."""
    with (
        pytest.raises(WebSocketDisconnect) as refused,
        rig.client.websocket_connect("/ws", headers={"origin": origin, **authorization(KEY)}),
    ):
        pass
    assert refused.value.code == 4403
    assert rig.published() == []


def test_a_page_of_the_kiosks_origin_may_listen_but_not_show_targets(rig: Rig) -> None:
    page = rig.connect(signed=False, headers={"origin": KIOSK_ORIGIN})
    page.send_json(TARGET)
    assert page.receive_json()["error"].startswith("calibration message refused: ")
    rig.publish(Ping(4))
    assert page.receive_json() == {"type": "ping", "n": 4}
    rig.leave(page)


@pytest.mark.parametrize("kind", ["text", "bytes"])
def test_a_message_over_the_size_limit_closes_the_socket_1009(rig: Rig, kind: str) -> None:
    """/ws took a 10 MB message; now anything over MAX_MESSAGE_BYTES closes the socket."""
    tool, player = rig.connect(), rig.connect()
    if kind == "text":
        tool.send_text(json.dumps({**TARGET, "text": "é" * (MAX_MESSAGE_BYTES // 2)}))
    else:
        tool.send_bytes(b"x" * (MAX_MESSAGE_BYTES + 1))
    with pytest.raises(WebSocketDisconnect) as closed:
        tool.receive_json()
    assert closed.value.code == 1009
    rig.open.remove(tool)
    tool.__exit__(None, None, None)
    assert rig.published() == []
    rig.publish(Ping(5))
    assert player.receive_json() == {"type": "ping", "n": 5}  # the others carry on
    rig.leave(player)


def test_a_flood_is_cut_to_the_rate_and_told_once(rig: Rig) -> None:
    """/ws answered 41,000 messages in 5 s; now RATE_PER_S a second, the rest dropped."""
    tool = rig.connect()
    sent = 5 * RATE_PER_S
    for _ in range(sent):
        tool.send_text("ping")
    tool.send_json({"type": "calibration_done"})  # dropped too: the bucket is empty

    async def answers() -> list[dict[str, Any]]:
        got = []
        with contextlib.suppress(TimeoutError):
            while True:
                async with asyncio.timeout(0.5):
                    got.append(json.loads((await tool._send_rx.receive())["text"]))
        return got

    got = rig.client.portal.call(answers)
    limited = [a for a in got if a.get("code") == "rate_limited"]
    assert RATE_PER_S <= len(got) - len(limited) <= RATE_PER_S + 5, len(got)
    assert 1 <= len(limited) <= 2  # at most once a second
    assert "more than 20 messages a second" in limited[0]["error"]
    assert rig.published() == []
    time.sleep(1.1)  # the bucket refills: the socket is usable again
    tool.send_json(TARGET)
    assert tool.receive_json() == TARGET
    rig.leave(tool)


def test_at_most_max_sockets_clients_at_once(rig: Rig) -> None:
    clients = [rig.connect(signed=False) for _ in range(MAX_SOCKETS)]
    with (
        pytest.raises(WebSocketDisconnect) as refused,
        rig.client.websocket_connect("/ws"),
    ):
        pass
    assert refused.value.code == 1013
    rig.leave(clients.pop())
    clients.append(rig.connect(signed=False))  # a place came free
    for ws in clients:
        rig.leave(ws)
