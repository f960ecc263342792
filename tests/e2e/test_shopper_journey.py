"""The shopper's journey on the demo itself: `vitrine demo` (virtual boards running the real
firmware, the real daemon) in its own process, the player in Chromium at the display's size,
fingers put on the virtual glass through the simulator, and the associate app in a second
browser context. Screens are kept under test-artifacts/screens/journey-*.png."""

from __future__ import annotations

import json
import re
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import LANDSCAPE, Screenshots, free_port
from tests.host.devices.test_lights import close_to
from vitrine.config import Config
from vitrine.devices.lights import LightingConfig, srgb_hex
from vitrine.hardware import load_frame
from vitrine_fw.lights import colour

pytestmark = pytest.mark.hil

START_TIMEOUT_S = 60
WAIT_MS = 10_000
PIN = "246810"  # vitrine/demo.toml


class Demo:
    """`vitrine demo` in a process of its own, and ways to act on its virtual hardware."""

    def __init__(self, folder: Path) -> None:
        self.state_dir = folder / "sim"
        self.data_dir = folder / "data"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = folder / "demo.log"
        touch = Config().touch  # the demo's touch frame and display
        frame = load_frame(touch.frame)
        self._to_mm = touch.mapping(frame.width_mm, frame.height_mm).inverse()
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "vitrine",
                    "demo",
                    "--port",
                    str(self.port),
                    "--state-dir",
                    str(self.state_dir),
                    "--data-dir",
                    str(self.data_dir),
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + START_TIMEOUT_S
        while "Ctrl-C stops." not in self.log.read_text():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the demo did not start: {self.log.read_text()[-3000:]}")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def ask(self, payload: dict[str, Any]) -> dict[str, Any]:
        """One request to the simulation's control socket (a plain blocking client: the
        browser driver owns this thread's event loop)."""
        with socket.socket(socket.AF_UNIX) as sock:
            sock.settimeout(10)
            sock.connect(str(self.state_dir / "control.sock"))
            sock.sendall(json.dumps(payload).encode() + b"\n")
            reply = json.loads(sock.makefile("rb").readline())
        assert reply.get("ok"), reply
        return reply

    def visitor(self, present: bool) -> None:
        # 900 mm: well inside in front (600..1500 mm), away from at_glass's edge, where the
        # sensors' noise and the zones' hysteresis make either zone right.
        self.ask({"op": "visitor", "present": present, "distance_mm": 900.0 if present else None})

    def fingers(self, *points_px: tuple[float, float]) -> None:
        """Fingers on the glass at these display points (none: every finger lifted)."""
        fingers = []
        for x, y in points_px:
            x_mm, y_mm = self._to_mm.map(x, y)
            fingers.append({"x_mm": x_mm, "y_mm": y_mm, "diameter_mm": 9.0})
        self.ask({"op": "fingers", "role": "touch", "fingers": fingers})

    def board(self, role: str) -> dict[str, Any]:
        boards = self.ask({"op": "status"})["boards"]
        return next(b for b in boards if b["role"] == role)

    def query(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        """Rows from the demo's events database, read as the manager's tools would."""
        uri = f"file:{self.data_dir / 'events.db'}?mode=ro"
        with closing(sqlite3.connect(uri, uri=True)) as db:
            return db.execute(sql, args).fetchall()


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[Demo]:
    """A fresh demo for each test: its own boards, data folder and idle mirror."""
    d = Demo(tmp_path)
    d.start()
    try:
        yield d
    finally:
        d.stop()


@pytest.fixture
def mirror(browser: Any, demo: Demo) -> Iterator[Any]:
    """The player as the kiosk shows it: the display's size, no touch of its own (touches
    come through the glass)."""
    context = browser.new_context(viewport=LANDSCAPE)
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    page.goto(demo.url + "/")
    page.wait_for_function("window.vitrine && window.vitrine.connected && window.vitrine.state")
    try:
        yield page
        assert errors == [], errors
    finally:
        context.close()


def screen(page: Any, name: str) -> None:
    """Until the page shows that screen, drawn."""
    page.wait_for_function(
        """(name) => window.vitrine.state && window.vitrine.state.screen.name === name &&
            document.querySelector(`.screen[data-screen="${name}"]:not(.is-leaving)`)""",
        arg=name,
    )
    page.wait_for_timeout(400)  # the entrance transition


def glass_tap(demo: Demo, page: Any, selector: str) -> None:
    """A finger on the virtual glass over the element, then lifted: through the firmware, the
    wire, the daemon and the socket, as a shopper's finger goes."""
    box = page.locator(selector).first.bounding_box()
    assert box is not None, f"{selector} is not on the screen"
    width, height = page.viewport_size["width"], page.viewport_size["height"]
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    assert 0 <= x < width and 0 <= y < height, f"{selector} is off the screen at ({x}, {y})"
    seen = page.evaluate("window.vitrine.handled.length")
    demo.fingers((x, y))
    page.wait_for_function(f"window.vitrine.handled.length > {seen}")
    time.sleep(0.05)  # a tap: down briefly, then up in place
    demo.fingers()


def start_session(demo: Demo, page: Any, shots: Screenshots | None = None) -> None:
    screen(page, "attract")
    if shots:
        shots.save(page, "journey-attract")
    demo.visitor(True)
    screen(page, "greeting")
    if shots:
        shots.save(page, "journey-greeting")
    glass_tap(demo, page, ".screen[data-screen='greeting']")
    screen(page, "home")


def test_approach_browse_by_touch_pinch_and_request_a_size(
    demo: Demo, mirror: Any, browser: Any, screenshots: Screenshots
) -> None:
    start_session(demo, mirror, screenshots)
    screenshots.save(mirror, "journey-home")

    glass_tap(demo, mirror, '.tile[data-category="knitwear"]')
    screen(mirror, "browse")
    assert mirror.evaluate("window.vitrine.state.screen.category") == "knitwear"
    screenshots.save(mirror, "journey-browse")

    card = mirror.locator(".screen[data-screen='browse'] .card[data-sku]").first
    sku = card.get_attribute("data-sku")
    glass_tap(demo, mirror, f".screen[data-screen='browse'] .card[data-sku='{sku}']")
    screen(mirror, "product")
    assert mirror.evaluate("window.vitrine.state.screen.sku") == sku
    screenshots.save(mirror, "journey-product")

    # Two fingers spread apart on the picture: the touch frame's pinch zooms it.
    box = mirror.locator(".zoom").bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    for gap in (60, 90, 130, 170, 210, 250):
        demo.fingers((cx - gap, cy), (cx + gap, cy))
        time.sleep(0.05)
    mirror.wait_for_function("Number(document.querySelector('.zoom').dataset.scale) > 1.5")
    demo.fingers()
    screenshots.save(mirror, "journey-pinch-zoomed")

    # A size in stock, then "bring me this size".
    size = mirror.locator(".choice--size:not(.is-out)").first.get_attribute("data-size")
    glass_tap(demo, mirror, f'.choice--size[data-size="{size}"]')
    mirror.locator(".btn--bring").wait_for()
    glass_tap(demo, mirror, ".btn--bring")
    mirror.locator(".banner.is-shown").wait_for()
    (request_row,) = demo.query("SELECT id, status, kind FROM request WHERE status = 'pending'")
    request_id = request_row[0]
    assert request_row[2] == "size"
    screenshots.save(mirror, "journey-request-pending")

    # The associate's phone, a second browser context: sign in, see it, acknowledge.
    phone_context = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True)
    try:
        phone = phone_context.new_page()
        phone.set_default_timeout(WAIT_MS)
        phone.goto(demo.url + "/associate/")
        phone.fill("#pin", PIN)
        phone.click("#login-button")
        phone.wait_for_selector("#name-panel:not([hidden])")
        phone.fill("#name", "Sam")
        phone.click("#name-form button[type=submit]")
        card = phone.locator(f'.card[data-id="{request_id}"]')
        card.wait_for()
        assert card.locator(".room").inner_text() == "Room 1"
        screenshots.save(phone, "journey-associate-queue")
        card.locator("button.ack").click()
        mirror.locator(".banner.is-shown", has_text=re.compile("Sam is on the way")).wait_for()
        screenshots.save(mirror, "journey-on-the-way")
        card.locator("button.fulfil").click()
        card.wait_for(state="detached")
    finally:
        phone_context.close()
    ((status, acknowledged_by, fulfil_s),) = demo.query(
        "SELECT status, acknowledged_by, fulfil_s FROM request WHERE id = ?", request_id
    )
    assert (status, acknowledged_by) == ("fulfilled", "Sam")
    assert fulfil_s is not None and fulfil_s >= 0


def test_change_the_lighting_on_the_lights_board(
    demo: Demo, mirror: Any, browser: Any, screenshots: Screenshots
) -> None:
    start_session(demo, mirror)
    glass_tap(demo, mirror, '.bar__item[data-bar="lighting"]')
    screen(mirror, "lighting")
    glass_tap(demo, mirror, '.scene[data-scene="sunset"]')
    mirror.wait_for_function(
        "window.vitrine.state.lighting.scene === 'sunset' && "
        "window.vitrine.state.lighting.status === 'applied'"
    )
    screenshots.save(mirror, "journey-lighting-sunset")
    # The virtual lights board's strips (the real firmware's fade) reach the scene's colour:
    # its colour temperature with amber mixed in, the white LED first, at its brightness.
    scene = LightingConfig().scenes["sunset"]
    want = sunset_pixel(scene.kelvin, scene.brightness, scene.amber)
    deadline = time.monotonic() + 10
    while True:
        strips = demo.board("lights")["strips"]
        if all(close_to(tuple(s["colour"]), want) and s["uniform"] for s in strips):
            break
        assert time.monotonic() < deadline, f"the strips never showed sunset {want}: {strips}"
        time.sleep(0.1)
    # The lighting screen shows the light the strips have: the board's own report of its
    # latched pixels (its white LED counted in), in sRGB, once the fade is over.
    mirror.wait_for_function(
        "window.vitrine.light && window.vitrine.light.kelvin === 2200 && "
        "!window.vitrine.light.flags.includes('fading') && "
        "document.querySelector('.light-now:not([hidden])')"
    )
    shown = mirror.locator(".light-now").get_attribute("data-colour")
    board = demo.board("lights")
    assert near_hex(shown, room_colour(board), 3), (shown, board["strips"], board["pwm"])
    swatch = mirror.locator(".light-now__swatch").evaluate(
        "e => getComputedStyle(e).backgroundColor"
    )
    r, g, b = (int(v) for v in re.findall(r"\d+", swatch)[:3])
    assert near_hex(shown, f"#{r:02x}{g:02x}{b:02x}", 0)
    assert "2200 K" in mirror.locator(".light-now__text").inner_text()
    screenshots.save(mirror, "journey-lighting-shown")
    # The status page shows the same light from the daemon's status, and the zone the
    # presence board's sensors put the shopper in (900 mm from the glass: in front).
    status = browser.new_context(viewport=LANDSCAPE).new_page()
    status.set_default_timeout(WAIT_MS)
    status.goto(demo.url + "/status")
    status.wait_for_function(
        "document.getElementById('light-text').textContent.includes('2200 K') && "
        "!document.getElementById('light-text').textContent.includes('fading')"
    )
    swatch = status.locator("#light-swatch").evaluate("e => getComputedStyle(e).backgroundColor")
    r, g, b = (int(v) for v in re.findall(r"\d+", swatch)[:3])
    assert near_hex(room_colour(demo.board("lights")), f"#{r:02x}{g:02x}{b:02x}", 3), swatch
    assert status.locator("#presence").inner_text().startswith("Presence: in front")
    screenshots.save(status, "journey-status-lighting")
    status.context.close()


def room_colour(board: dict[str, Any]) -> str:
    """The lights board's strips' mean light as a screen shows it, from what the simulation
    says they have latched: each RGBW pixel's colour LEDs and its 4500 K white LED's own
    colour, the white strip's 2700 K and 6500 K channels at their duties; linear, averaged,
    then the sRGB transfer."""
    white, warm, cool = bytearray(3), bytearray(3), bytearray(3)
    colour.blackbody(colour.mired(4500) * 16, white)
    colour.blackbody(colour.mired(2700) * 16, warm)
    colour.blackbody(colour.mired(6500) * 16, cool)
    lights = []
    for strip in board["strips"]:
        px = strip["colour"]
        lights.append([min(255, px[c] + white[c] * px[3] / 255) for c in range(3)])
    w, c = (p["duty"] / 65535 for p in board["pwm"])
    lights.append([min(255, warm[i] * w + cool[i] * c) for i in range(3)])
    return srgb_hex([sum(light[i] for light in lights) / len(lights) for i in range(3)])


def near_hex(a: str | None, b: str, within: int) -> bool:
    assert a is not None
    pa = [int(a[i : i + 2], 16) for i in (1, 3, 5)]
    pb = [int(b[i : i + 2], 16) for i in (1, 3, 5)]
    return all(abs(x - y) <= within for x, y in zip(pa, pb, strict=True))


def sunset_pixel(kelvin: int, brightness: int, amber: int) -> tuple[int, ...]:
    """The light an RGBW strip of the lights board is asked for in a scene with amber (8.8 a
    channel), by the firmware's colour arithmetic."""
    rgb, white, out = bytearray(3), bytearray(3), bytearray(4)
    colour.blackbody(colour.mired(kelvin) * 16, rgb)
    colour.tint(rgb, amber)
    colour.blackbody(colour.mired(4500) * 16, white)
    colour.split_white(rgb, white, out)
    level = colour.light(brightness << 8)
    return tuple(c * level // 255 for c in out)


def test_consent_enrol_then_forget_me(demo: Demo, mirror: Any, screenshots: Screenshots) -> None:
    start_session(demo, mirror)
    glass_tap(demo, mirror, '.bar__item[data-bar="loyalty"]')
    screen(mirror, "loyalty")
    screenshots.save(mirror, "journey-consent")
    glass_tap(demo, mirror, '[data-consent="accept"]')
    screen(mirror, "enrol")
    for key in "4321":
        glass_tap(demo, mirror, f'.key[data-key="{key}"]')
    glass_tap(demo, mirror, '[data-key="done"]')
    mirror.wait_for_function("window.vitrine.state.session.member !== null")
    assert demo.query("SELECT loyalty_id FROM member") == [("4321",)]
    glass_tap(demo, mirror, '.bar__item[data-bar="wishlist"]')
    screen(mirror, "wishlist")
    screenshots.save(mirror, "journey-member")
    glass_tap(demo, mirror, '[data-action="forget"]')
    glass_tap(demo, mirror, '[data-action="forget-confirm"]')
    mirror.wait_for_function("window.vitrine.state.session.member === null")
    for table in ("member", "wishlist", "purchase"):
        assert demo.query(f"SELECT count(*) FROM {table} WHERE loyalty_id = '4321'") == [(0,)]


def test_rating_at_the_end_is_stored(demo: Demo, mirror: Any, screenshots: Screenshots) -> None:
    start_session(demo, mirror)
    session_id = mirror.evaluate("window.vitrine.state.session.id")
    glass_tap(demo, mirror, '.bar__item[data-bar="done"]')
    screen(mirror, "rating")
    screenshots.save(mirror, "journey-rating")
    glass_tap(demo, mirror, '.face[data-csat="4"]')
    mirror.locator(".nps__n").nth(10).wait_for()
    mirror.wait_for_timeout(500)  # the score row slides in
    glass_tap(demo, mirror, '.nps__n[data-nps="8"]')
    screen(mirror, "thanks")
    assert demo.query("SELECT csat, nps FROM rating WHERE session = ?", session_id) == [(4, 8)]


def test_the_player_survives_a_daemon_restart(
    demo: Demo, mirror: Any, screenshots: Screenshots
) -> None:
    start_session(demo, mirror)
    glass_tap(demo, mirror, '.tile[data-category="dresses"]')
    screen(mirror, "browse")
    session_id = mirror.evaluate("window.vitrine.state.session.id")
    demo.stop()
    mirror.wait_for_function("document.body.dataset.connection === 'reconnecting'")
    mirror.locator(".badge").wait_for()
    assert mirror.evaluate("document.querySelector('.screen[data-screen=\"browse\"]') !== null")
    screenshots.save(mirror, "journey-reconnecting")
    demo.start()
    mirror.wait_for_function("window.vitrine.connected", timeout=30_000)
    screen(mirror, "browse")
    assert mirror.evaluate("window.vitrine.state.session.id") == session_id
    assert mirror.evaluate("window.vitrine.state.screen.category") == "dresses"
