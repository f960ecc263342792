"""Only programs on the mirror itself drive its screen: the player's socket and calibration
targets refuse other machines unless [http] remote_control; the associate app and the
catalogue answer them either way."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from tests.host.web.hostile import Parts, build
from vitrine.web.clients import REMOTE_REFUSED, is_local

KIOSK = ("127.0.0.1", 50000)
PHONE = ("192.168.1.23", 50000)  # a device on the store's network
TARGET = {"type": "calibration", "step": 1, "of": 4, "x": 10.0, "y": 10.0, "text": "x"}


@pytest.mark.parametrize(
    ("host", "local"),
    [
        ("127.0.0.1", True),
        ("127.8.9.1", True),
        ("::1", True),
        ("::ffff:127.0.0.1", True),
        ("192.168.1.23", False),
        ("10.0.0.1", False),
        ("::ffff:10.0.0.1", False),
        ("fe80::1", False),
        ("testclient", False),
        ("", False),
        (None, False),
    ],
)
def test_local_means_loopback(host: str | None, local: bool) -> None:
    assert is_local(host) is local


@pytest.fixture
def app(tmp_path: Path) -> Iterator[FastAPI]:
    parts: Parts = build(tmp_path / "data")
    try:
        yield parts.app
    finally:
        parts.close()


def test_the_player_socket_refuses_another_machine(app: FastAPI) -> None:
    with TestClient(app, client=PHONE) as phone:
        with pytest.raises(WebSocketDisconnect) as refused, phone.websocket_connect("/player/ws"):
            pass
        assert refused.value.code == REMOTE_REFUSED
        # the associate app and the catalogue are for the store's devices
        assert phone.get("/api/catalog/categories").status_code == 200
        assert phone.get("/associate/").status_code == 200
    with TestClient(app, client=KIOSK) as kiosk, kiosk.websocket_connect("/player/ws") as ws:
        assert ws.receive_json()["type"] == "state"


def test_calibration_targets_from_another_machine_are_refused(app: FastAPI) -> None:
    with TestClient(app, client=PHONE) as phone, phone.websocket_connect("/ws") as ws:
        ws.send_text(json.dumps(TARGET))
        answer = ws.receive_json()
        assert answer["type"] == "error"
        assert "[http] remote_control = true" in answer["error"]


def test_remote_control_lets_other_machines_drive_the_screen(tmp_path: Path) -> None:
    parts = build(tmp_path / "data", remote_control=True)
    try:
        with (
            TestClient(parts.app, client=PHONE) as phone,
            phone.websocket_connect("/player/ws") as ws,
        ):
            assert ws.receive_json()["type"] == "state"
    finally:
        parts.close()
