"""The reconnecting socket both pages share (/static/reconnecting-socket.js), in Chromium: the
daemon is stopped under an open page, and the page's tries to reconnect come with the
documented backoff (250 ms doubling to 2 s, each within a fifth either way); a daemon started
again is back on the page within the longest wait; and once the daemon has answered, the next
loss starts again from the shortest wait. Each page's WebSocket constructor is wrapped (an init
script) to record, on the page's own clock, when each socket was made and when it closed."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import PlayerServer, free_port
from vitrine.engine.config import AssociateConfig, EngineConfig

FIRST_DELAY_MS = 250
MAX_DELAY_MS = 2000
JITTER = 0.2
RETRIES = 6  # 250, 500, 1000, 2000, 2000, 2000 ms: the doubling and the cap
LATE_MS = 250  # how late a timer may fire on a busy 2-core machine
PIN = "246810"
WAIT_MS = 20_000

RECORD_SOCKETS = """
window.__sockets = [];
{
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      const record = { made: performance.now(), closed: null, code: null };
      window.__sockets.push(record);
      this.addEventListener("close", (event) => {
        record.closed = performance.now();
        record.code = event.code;
      });
    }
  };
}
"""


@pytest.fixture
def server(player_folder: Path) -> Iterator[PlayerServer]:
    """The daemon's pages, with a store PIN for the associate app."""
    server = PlayerServer(
        player_folder, free_port(), EngineConfig(associate=AssociateConfig(pin=PIN))
    )
    server.start()
    try:
        yield server
    finally:
        server.stop()


def open_player(page: Any, server: PlayerServer) -> Callable[[], bool]:
    page.goto(server.url + "/")
    return lambda: bool(page.evaluate("window.vitrine && window.vitrine.connected"))


def open_associate(page: Any, server: PlayerServer) -> Callable[[], bool]:
    page.goto(server.url + "/associate/")
    page.fill("#pin", PIN)
    page.click("#login-button")
    page.wait_for_selector("#name-panel:not([hidden])")
    return lambda: bool(
        page.evaluate("window.__sockets.length > 0 && document.getElementById('conn').hidden")
    )


PAGES = {"player": open_player, "associate": open_associate}


def wait_until(check: Callable[[], bool], timeout_s: float, what: str) -> float:
    """Polls check() until true; the seconds it took."""
    start = time.monotonic()
    while not check():
        assert time.monotonic() - start < timeout_s, what
        time.sleep(0.02)
    return time.monotonic() - start


def tries_made(page: Any) -> int:
    # (page.evaluate, not wait_for_function: the associate page's CSP forbids eval)
    return int(page.evaluate("window.__sockets.length"))


def expected_wait_ms(k: int) -> float:
    """The nominal wait before the k-th try after a loss (k = 0 first)."""
    return min(FIRST_DELAY_MS * 2**k, MAX_DELAY_MS)


def assert_backoff(gaps_ms: list[float]) -> None:
    for k, gap in enumerate(gaps_ms):
        nominal = expected_wait_ms(k)
        low, high = nominal * (1 - JITTER), nominal * (1 + JITTER) + LATE_MS
        assert low - 2 <= gap <= high, f"try {k + 1}: {gap:.0f} ms, not {low:.0f}..{high:.0f}"


@pytest.mark.parametrize("kind", sorted(PAGES))
def test_a_page_reconnects_with_the_documented_backoff(
    browser: Any, server: PlayerServer, kind: str
) -> None:
    context = browser.new_context(viewport={"width": 800, "height": 1000}, has_touch=True)
    context.add_init_script(RECORD_SOCKETS)
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    try:
        connected = PAGES[kind](page, server)
        wait_until(connected, 10, f"the {kind} page never connected")
        shared = page.evaluate(
            "async () => { const m = await import('/static/reconnecting-socket.js');"
            " return [m.FIRST_DELAY_MS, m.MAX_DELAY_MS, m.JITTER]; }"
        )
        assert shared == [FIRST_DELAY_MS, MAX_DELAY_MS, JITTER]  # what docs/player.md says
        before = tries_made(page)

        server.stop()  # the daemon goes: its socket closes, every try is refused
        wait_until(lambda: tries_made(page) >= before + RETRIES, 20, "too few tries")
        server.start()
        back_s = wait_until(connected, 10, f"the {kind} page did not come back")
        sockets = page.evaluate("window.__sockets")
        tries = sockets[before - 1 : before + RETRIES]
        assert all(s["code"] == 1006 for s in tries[1:]), tries  # refused: never opened
        assert_backoff([b["made"] - a["closed"] for a, b in pairwise(tries)])
        # The daemon was back, at the latest, one longest wait after it started.
        assert back_s * 1000 <= MAX_DELAY_MS * (1 + JITTER) + 1000, back_s

        # It answered on the new socket: the next loss starts from the shortest wait again.
        count = tries_made(page)
        server.stop()
        wait_until(lambda: tries_made(page) >= count + 2, 10, "no try after the second loss")
        again = page.evaluate("window.__sockets")[count - 1 : count + 1]
        assert_backoff([again[1]["made"] - again[0]["closed"]])
        assert errors == []
    finally:
        context.close()
