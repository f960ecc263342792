"""A message of a type the player page does not know, in Chromium: the page writes a warning
naming the type to its console, keeps working, and tells the daemon, which counts it per type
in GET /api/status. The frame's gestures the page knows and does nothing with (a tap, a long
press, a turn) are not reported."""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import PAGE_TIMEOUT_MS, PORTRAIT, PlayerServer, free_port
from vitrine.daemon import TOUCH_TYPES
from vitrine.devices.touch.events import LongPress, Rotate, Tap


@dataclass(frozen=True)
class Hologram:
    """An event from a daemon newer than the page: a type the page has never heard of."""

    n: int

    def to_json(self) -> dict[str, Any]:
        return {"type": "hologram", "n": self.n}


@pytest.fixture
def server(player_folder: Path) -> Iterator[PlayerServer]:
    server = PlayerServer(player_folder, free_port(), touch_types=(*TOUCH_TYPES, Hologram))
    server.start()
    try:
        yield server
    finally:
        server.stop()


def unknown_in_status(server: PlayerServer) -> dict[str, int]:
    with urllib.request.urlopen(server.url + "/api/status", timeout=5) as answer:
        return json.load(answer)["player"]["unknown_messages"]


def test_an_unknown_message_is_logged_by_the_page_and_counted_by_the_daemon(
    browser: Any, server: PlayerServer
) -> None:
    context = browser.new_context(viewport=PORTRAIT, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(PAGE_TIMEOUT_MS)
    warnings: list[str] = []
    errors: list[str] = []
    page.on("console", lambda m: warnings.append(m.text) if m.type == "warning" else None)
    page.on("pageerror", lambda err: errors.append(str(err)))
    try:
        page.goto(server.url + "/")
        page.wait_for_function("window.vitrine && window.vitrine.connected && window.vitrine.state")
        assert unknown_in_status(server) == {}

        server.publish(
            Tap(id=1, x=10.0, y=10.0, t_ns=1),
            LongPress(id=1, x=10.0, y=10.0, t_ns=2),
            Rotate(phase="move", angle=5.0, x=10.0, y=10.0, t_ns=3),
            Hologram(1),
            Hologram(2),
            Hologram(3),
        )
        deadline = time.monotonic() + 10
        while unknown_in_status(server) != {"hologram": 3}:
            assert time.monotonic() < deadline, unknown_in_status(server)
            page.wait_for_timeout(100)  # (lets Playwright deliver the console messages)

        told = [w for w in warnings if "unknown type" in w]
        assert told and all('"hologram"' in w for w in told), warnings
        assert len(told) == 1  # once per type and report, not once per message
        # The page still draws what the engine says.
        server.act(type="navigate", screen="help")
        page.wait_for_function("window.vitrine.state.screen.name === 'help'")
        assert errors == []
    finally:
        context.close()
