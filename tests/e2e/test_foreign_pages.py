"""Pages of other origins against the mirror, in Chromium: a page served from another port
of this machine (as a local web app or a technician's tool would be) and one from
http://evil.example (resolved to this machine, as a DNS name an attacker rebinds would be) try
the player's socket and the event socket. Chromium sends their Origin; the daemon refuses both
before the socket opens, so they neither read the shopper's session nor act in it, while the
kiosk's own page carries on. And a script on the kiosk's own page cannot draw calibration
targets: only the calibration tool's signed connection can.

The probe pages are served by a real HTTP server on 127.0.0.1: Chromium lets a page reach a
loopback address only from a loopback address (Local Network Access), so a page it could not
place would be stopped by the browser, whatever the daemon does."""

from __future__ import annotations

import contextlib
import http.server
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.conftest import PAGE_TIMEOUT_MS, PORTRAIT, PlayerServer
from vitrine.player.chromium import CHROMIUM, HEADLESS_ARGS

PROBE = """<!doctype html><meta charset="utf-8"><title>probe</title><script>
window.__log = [];
for (const path of ["/player/ws", "/ws"]) {
  const ws = new WebSocket("ws://127.0.0.1:PORT" + path);
  ws.onopen = () => {
    window.__log.push(path + " open");
    ws.send(JSON.stringify({ type: "request", kind: "help" }));
    ws.send(JSON.stringify({ type: "calibration", step: 1, of: 1, x: 5, y: 5, text: "pwned" }));
  };
  ws.onmessage = (event) => window.__log.push(path + " message " + event.data.slice(0, 60));
  ws.onclose = (event) => window.__log.push(path + " close " + event.code);
}
</script>"""
CLOSED_BOTH = "() => window.__log.filter((line) => line.includes(' close ')).length === 2"
SETTLE_MS = 1000  # a socket the daemon let in has opened and been answered by then


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Chromium as the other end-to-end tests start it, with evil.example resolving to this
    machine."""
    if not CHROMIUM.exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (Debian package 'chromium'; tools/setup-system.sh)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("Playwright for Python is not installed (pip install -e '.[test]')")
    args = [*HEADLESS_ARGS, "--host-resolver-rules=MAP evil.example 127.0.0.1"]
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(CHROMIUM), args=args)
        try:
            yield launched
        finally:
            launched.close()


@contextlib.contextmanager
def probe_site(html: str) -> Iterator[int]:
    """An HTTP server on 127.0.0.1 that answers every GET with `html`; yields its port."""

    class Probe(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = html.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Probe)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("host", ["127.0.0.1", "evil.example"])
def test_a_page_of_another_origin_cannot_use_the_mirrors_sockets(
    browser: Any, player_server: PlayerServer, open_page: Any, host: str
) -> None:
    kiosk = open_page(PORTRAIT)
    context = browser.new_context()
    html = PROBE.replace("PORT", str(player_server.port))
    with probe_site(html) as port:
        try:
            probe = context.new_page()
            probe.set_default_timeout(PAGE_TIMEOUT_MS)
            probe.goto(f"http://{host}:{port}/")
            probe.wait_for_timeout(SETTLE_MS)
            log = probe.evaluate("window.__log")
            assert not [line for line in log if " open" in line or " message " in line], log
            probe.wait_for_function(CLOSED_BOTH)
            log = probe.evaluate("window.__log")
        finally:
            context.close()
    assert sorted(log) == ["/player/ws close 1006", "/ws close 1006"], log
    assert player_server.call(player_server.engine.requests) == []  # type: ignore[union-attr]
    assert kiosk.evaluate("window.vitrine.connected")
    assert kiosk.evaluate("document.querySelector('.calibration').hidden")
    assert not kiosk.errors


def test_a_script_on_the_kiosk_page_cannot_draw_calibration_targets(
    player_server: PlayerServer, open_page: Any
) -> None:
    kiosk = open_page(PORTRAIT)
    answer = kiosk.evaluate(
        """(port) => new Promise((resolve) => {
          const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`);
          ws.onopen = () => ws.send(JSON.stringify(
            { type: "calibration", step: 1, of: 4, x: 100, y: 100, text: "attacker text" }));
          ws.onmessage = (event) => {
            const message = JSON.parse(event.data);
            if (message.type === "error") { ws.close(); resolve(message.error); }
            if (message.type === "calibration") { ws.close(); resolve("drawn: " + event.data); }
          };
        })""",
        player_server.port,
    )
    assert answer.startswith("calibration message refused: ")
    kiosk.wait_for_timeout(300)
    assert kiosk.evaluate("document.querySelector('.calibration').hidden")
