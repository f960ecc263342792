"""The touch calibration's targets on the player page in Chromium: each CalibrationTarget on the
daemon's bus draws an opaque overlay above everything with a crosshair centred on the target's
pixel, "Step n of 4" and the technician's text; the "over" event (and a lost connection) hides
it; touches on the overlay, the glass's and native ones, do not reach the page beneath."""

from __future__ import annotations

import struct
import zlib
from typing import Any

from tests.e2e.conftest import LANDSCAPE, PORTRAIT, PlayerServer, Screenshots
from vitrine.devices.touch.calibrate import targets
from vitrine.devices.touch.events import CalibrationTarget, PointerEvent

TEXT = "Touch and hold the centre of the target with one finger, still, then lift it."
SHOWN = "(step) => { const el = document.querySelector('.calibration');"
SHOWN += " return !el.hidden && el.dataset.step === String(step); }"
HIDDEN = "() => document.querySelector('.calibration').hidden"


def box_centre(page: Any, selector: str) -> tuple[float, float]:
    box = page.locator(selector).bounding_box()
    assert box is not None, f"{selector} is not drawn"
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def pixel(page: Any, x: float, y: float) -> tuple[int, int, int]:
    """The colour of the screen's pixel at (x, y), from a 1 x 1 screenshot (a one-pixel PNG
    row reads the same whatever its filter: every neighbour the filters use is zero)."""
    png = page.screenshot(
        clip={"x": int(x), "y": int(y), "width": 1, "height": 1}, animations="disabled"
    )
    pos, data, header = 8, b"", b""
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos : pos + 4])
        kind, body = png[pos + 4 : pos + 8], png[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            data += body
        pos += 12 + length
    assert header[8] == 8 and header[9] in (2, 6), "an 8-bit RGB or RGBA PNG"
    raw = zlib.decompress(data)
    return raw[1], raw[2], raw[3]


def dark(rgb: tuple[int, int, int]) -> bool:
    return max(rgb) <= 8


def white(rgb: tuple[int, int, int]) -> bool:
    return min(rgb) >= 240


def show(server: PlayerServer, page: Any, step: int, of: int, x: float, y: float) -> None:
    server.publish(CalibrationTarget(step=step, of=of, x=x, y=y, text=TEXT))
    page.wait_for_function(SHOWN, arg=step)
    page.wait_for_function(
        "([x, y]) => { const r = document.querySelector('.calibration__target')"
        ".getBoundingClientRect(); return Math.abs(r.left + r.width / 2 - x) < 0.5"
        " && Math.abs(r.top + r.height / 2 - y) < 0.5; }",
        arg=[x, y],
    )


def check_target(page: Any, step: int, of: int, x: float, y: float) -> None:
    """The crosshair centred on (x, y) within 1 px, drawn, with its words; the overlay over
    the whole screen, opaque, and what a touch there would hit."""
    for part in (
        ".calibration__target",
        ".calibration__ring",
        ".calibration__dot",
    ):
        cx, cy = box_centre(page, part)
        assert abs(cx - x) <= 1 and abs(cy - y) <= 1, (part, (cx, cy), (x, y))
    assert abs(box_centre(page, ".calibration__line--h")[1] - y) <= 1
    assert abs(box_centre(page, ".calibration__line--v")[0] - x) <= 1
    assert page.locator(".calibration__step").inner_text() == f"Step {step} of {of}"
    assert page.locator(".calibration__text").inner_text() == TEXT
    overlay = page.locator(".calibration").bounding_box()
    size = page.viewport_size
    assert overlay == {"x": 0, "y": 0, "width": size["width"], "height": size["height"]}
    style = page.evaluate(
        """() => {
            const el = document.querySelector('.calibration');
            const s = getComputedStyle(el);
            const others = [...document.querySelectorAll('body *')]
                .filter((o) => !el.contains(o))
                .map((o) => Number.parseInt(getComputedStyle(o).zIndex, 10))
                .filter(Number.isFinite);
            return {pointer: s.pointerEvents, background: s.backgroundColor,
                    z: Number(s.zIndex), above: Math.max(0, ...others)};
        }"""
    )
    assert style["pointer"] == "auto"
    assert style["background"] == "rgb(0, 0, 0)"  # opaque
    assert style["z"] > style["above"]
    # What a touch on the target hits is the overlay, not the page beneath.
    assert page.evaluate(
        "([x, y]) => Boolean(document.elementFromPoint(x, y)?.closest('.calibration'))", [x, y]
    )
    # Drawn as laid out: the crosshair's lines white through the centre, black beside them
    # and between them (the screen beneath covered), the red dot in the middle.
    half = page.locator(".calibration__target").bounding_box()["width"] / 2
    arm = half - 8  # on a line, outside the ring
    for dx, dy in ((arm, 0), (-arm, 0), (0, arm), (0, -arm)):
        assert white(pixel(page, x + dx, y + dy)), (dx, dy)
    for dx, dy in ((arm, 5), (arm, -6), (5, arm), (-6, arm), (arm, arm), (-arm, -arm)):
        assert dark(pixel(page, x + dx, y + dy)), (dx, dy)
    red, green, blue = pixel(page, x, y)
    assert red > 200 and green < 120 and blue < 120, (red, green, blue)


def test_each_target_is_drawn_centred_on_its_pixel_and_hidden_when_over(
    open_page: Any, player_server: PlayerServer, screenshots: Screenshots
) -> None:
    page = open_page(LANDSCAPE)
    assert page.locator(".calibration").is_hidden()
    for target in targets(LANDSCAPE["width"], LANDSCAPE["height"]):
        show(player_server, page, target.number, 4, target.x, target.y)
        check_target(page, target.number, 4, target.x, target.y)
        if target.number == 2:
            screenshots.save(page, "calibration-target")
    # A target off the pixel grid, away from the corners.
    show(player_server, page, 3, 5, 1234.56, 701.25)
    check_target(page, 3, 5, 1234.56, 701.25)
    player_server.publish(CalibrationTarget.over())
    page.wait_for_function(HIDDEN)
    assert page.locator(".calibration").is_hidden()
    assert page.locator(".calibration__target").is_hidden()
    # A new calibration shows again.
    show(player_server, page, 1, 4, 192.0, 108.0)
    check_target(page, 1, 4, 192.0, 108.0)
    assert page.errors == []  # type: ignore[attr-defined]


def test_portrait(open_page: Any, player_server: PlayerServer) -> None:
    page = open_page(PORTRAIT)
    for target in targets(PORTRAIT["width"], PORTRAIT["height"])[2:]:
        show(player_server, page, target.number, 4, target.x, target.y)
        check_target(page, target.number, 4, target.x, target.y)
    # The words stay off the target: in the other half of the screen.
    words = page.locator(".calibration__panel").bounding_box()
    assert words["y"] + words["height"] < PORTRAIT["height"] / 2
    player_server.publish(CalibrationTarget.over())
    page.wait_for_function(HIDDEN)


def glass_tap(server: PlayerServer, contact: int, x: float, y: float) -> None:
    common = {"x_mm": 70.0, "y_mm": 40.0, "diameter_mm": 9.0, "board": "touch"}
    server.publish(
        PointerEvent(kind="down", id=contact, x=x, y=y, t_ns=1, scan=1, **common),
        PointerEvent(kind="up", id=contact, x=x, y=y, t_ns=2, scan=2, **common),
    )


def test_touches_on_the_overlay_do_not_press_the_screen_beneath(
    open_page: Any, player_server: PlayerServer
) -> None:
    """The attract screen goes home on a tap anywhere. With a target shown, neither the glass
    nor a native touch there does anything on the page; once the calibration is over the very
    same tap does."""
    page = open_page(LANDSCAPE)
    page.wait_for_function("() => document.body.dataset.screen === 'attract'")
    page.evaluate(
        """() => { window.clicked = [];
            document.addEventListener('click', (e) => window.clicked.push(
                e.target.closest('.calibration') ? 'overlay' : 'page'), true); }"""
    )
    show(player_server, page, 1, 4, 192.0, 108.0)
    before = page.evaluate("window.vitrine.handled.length")
    glass_tap(player_server, 7, 192.0, 108.0)
    page.wait_for_function("(n) => window.vitrine.handled.length > n", arg=before)
    page.mouse.click(960, 540)  # a native touch anywhere on the overlay
    page.wait_for_function("() => window.clicked.length === 2")
    assert page.evaluate("window.clicked") == ["overlay", "overlay"]
    assert not page.locator(".calibration").is_hidden()  # touches do not hide it
    assert player_server.engine is not None
    assert player_server.engine.view()["screen"]["name"] == "attract"
    assert page.evaluate("document.body.dataset.screen") == "attract"
    player_server.publish(CalibrationTarget.over())
    page.wait_for_function(HIDDEN)
    glass_tap(player_server, 8, 192.0, 108.0)
    page.wait_for_function("() => document.body.dataset.screen === 'home'")
    assert page.evaluate("window.clicked")[2:] == ["page"]


def test_a_lost_connection_hides_the_target(open_page: Any, player_server: PlayerServer) -> None:
    page = open_page(LANDSCAPE)
    show(player_server, page, 2, 4, 1728.0, 108.0)
    player_server.stop()  # the daemon gone, and the calibration with it
    page.wait_for_function(HIDDEN)
    assert page.errors == []  # type: ignore[attr-defined]
