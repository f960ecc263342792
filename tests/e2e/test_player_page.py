"""The player page in Chromium against the real engine and catalogue: every screen draws (in
portrait and landscape, readable and with targets a finger finds), taps go to the engine and
come back as state, the product image zooms by pinch and double-tap, the touch frame's
pointers and gestures drive the page, and a restarted daemon finds the page where it was."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import (
    LANDSCAPE,
    PAGE_TIMEOUT_MS,
    PORTRAIT,
    PlayerServer,
    Screenshots,
    free_port,
)
from vitrine.catalog import Catalog, import_files
from vitrine.devices.presence import Presence
from vitrine.devices.touch.events import Pinch, PointerEvent, Swipe
from vitrine.engine import EngineConfig, SessionConfig

MIN_TARGET_PX = 64  # a finger's target at 1080 CSS px wide
MIN_TEXT_PX = 28  # text read from a metre away on a 1080-wide portrait screen

ORIENTATIONS = {"portrait": PORTRAIT, "landscape": LANDSCAPE}


def wait_screen(page: Any, name: str, sku: str | None = None) -> None:
    """Until the page shows the named screen (of that product), drawn and its pictures in."""
    page.wait_for_function(
        """([name, sku]) => {
            const s = window.vitrine.state && window.vitrine.state.screen;
            if (!s || s.name !== name || (sku && s.sku !== sku)) return false;
            const el = document.querySelector(`.screen[data-screen="${name}"]:not(.is-leaving)`);
            if (!el || el.classList.contains('is-entering') || el.querySelector('.loading'))
                return false;
            const shown = (img) => {
                const r = img.getBoundingClientRect();
                return r.right > 0 && r.left < innerWidth && r.bottom > 0 && r.top < innerHeight;
            };
            return [...el.querySelectorAll('img')].filter(shown).every((img) => img.complete);
        }""",
        arg=[name, sku],
    )
    page.wait_for_timeout(450)  # the entrance transition


def engine_screen(server: PlayerServer) -> dict[str, Any]:
    return server.view()["screen"]


def wait_engine(server: PlayerServer, page: Any, name: str) -> None:
    page.wait_for_function(
        "(name) => window.vitrine.state && window.vitrine.state.screen.name === name", arg=name
    )
    assert engine_screen(server)["name"] == name


def center(page: Any, selector: str) -> tuple[float, float]:
    box = page.locator(selector).first.bounding_box()
    assert box is not None, f"{selector} is not on the page"
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def small_targets(page: Any) -> list[str]:
    """The visible buttons smaller than a finger's target."""
    return page.evaluate(
        """(min) => [...document.querySelectorAll('button, [role=button]')]
            .filter((el) => el.offsetParent !== null && !el.closest('.is-leaving'))
            .map((el) => [el, el.getBoundingClientRect()])
            .filter(([, r]) => r.width > 0 && r.bottom > 0 && r.top < innerHeight
                && r.right > 0 && r.left < innerWidth)
            .filter(([, r]) => r.width < min - 0.5 || r.height < min - 0.5)
            .map(([el, r]) => `${el.className || el.tagName} `
                + `${r.width.toFixed(0)}x${r.height.toFixed(0)}`)""",
        MIN_TARGET_PX,
    )


def covered_targets(page: Any) -> list[str]:
    """The screen's buttons that lie (partly) under the bottom bar or off the glass."""
    return page.evaluate(
        """() => {
            const bar = document.querySelector('.bar');
            const floor = bar && !bar.hidden ? bar.getBoundingClientRect().top : innerHeight;
            const screen = document.querySelector('.screen:not(.is-leaving)');
            return [...screen.querySelectorAll('button, [role=button]')]
                .filter((el) => el.offsetParent !== null
                    && !el.closest('.pager__page:not(.is-active)'))
                .map((el) => [el, el.getBoundingClientRect()])
                .filter(([, r]) => r.width > 0 && (r.bottom > floor + 0.5 || r.top < -0.5
                    || r.left < -0.5 || r.right > innerWidth + 0.5))
                .map(([el, r]) => `${el.className} at ${r.left.toFixed(0)},${r.top.toFixed(0)}`);
        }"""
    )


def small_text(page: Any) -> list[str]:
    """Visible text set smaller than readable from a metre."""
    return page.evaluate(
        """(min) => {
            const out = [];
            const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
            for (let node = walker.nextNode(); node; node = walker.nextNode()) {
                const el = node.parentElement;
                if (!node.textContent.trim() || !el || el.closest('.sr, .is-leaving')) continue;
                if (el.offsetParent === null && getComputedStyle(el).position !== 'fixed') continue;
                const r = el.getBoundingClientRect();
                if (r.width === 0 || r.bottom <= 0 || r.top >= innerHeight) continue;
                const size = parseFloat(getComputedStyle(el).fontSize);
                if (size < min - 0.01) {
                    out.push(`${el.className}: ${size}px "${node.textContent.trim()}"`);
                }
            }
            return out;
        }""",
        MIN_TEXT_PX,
    )


def product_of(server: PlayerServer, category: str = "shirts") -> dict[str, Any]:
    catalog = server.engine.catalog  # type: ignore[union-attr]
    sku = catalog.products(category)["items"][0]["sku"]
    return catalog.product(sku, store="store-1", fitting_room="1")


# --- every screen --------------------------------------------------------------------------


@pytest.mark.parametrize("orientation", ["portrait", "landscape"])
def test_every_screen_draws(
    orientation: str,
    open_page: Callable[..., Any],
    player_server: PlayerServer,
    screenshots: Screenshots,
) -> None:
    server = player_server
    page = open_page(ORIENTATIONS[orientation])
    product = product_of(server)
    sku = product["sku"]

    def shot(name: str, check: Callable[[], None]) -> None:
        wait_screen(page, name, sku if name in ("product", "look") else None)
        check()
        # The root size follows the short side: 1080 px in both orientations.
        assert small_text(page) == [], f"{name}: text too small to read"
        assert small_targets(page) == [], f"{name}: targets too small to touch"
        assert covered_targets(page) == [], f"{name}: targets out of reach"
        screenshots.save(page, f"{name}-{orientation}")

    def count(selector: str) -> int:
        return page.locator(selector).count()

    shot("attract", lambda: page.locator(".attract__hint").wait_for())
    assert page.locator(".bar").is_hidden()

    server.publish(Presence(present=True, distance_mm=900.0, source="test", t_ns=1))
    shot("greeting", lambda: page.locator(".greeting__title").wait_for())

    server.act(type="navigate", screen="home")
    shot("home", lambda: page.locator(".tile").nth(5).wait_for())
    assert count(".tile") == len(server.engine.catalog.categories())  # type: ignore[union-attr]
    assert page.locator(".bar").is_visible()

    server.act(type="navigate", screen="browse", category="shirts")
    shot("browse", page.locator(".grid .card").first.wait_for)

    server.act(type="navigate", screen="product", sku=sku)
    shot("product", lambda: page.locator(".product__name").wait_for())
    assert page.locator(".product__name").inner_text() == product["name"]
    assert count(".choice--size") == len(product["sizes"])

    server.act(type="navigate", screen="look", sku=sku)
    shot("look", page.locator(".look__grid .card").first.wait_for)

    server.act(type="navigate", screen="lighting")
    shot("lighting", lambda: page.locator(".scene").nth(3).wait_for())
    assert count(".scene") == len(server.view()["scenes"])

    server.act(type="navigate", screen="help")
    shot("help", lambda: page.get_by_text("Talk to a human").wait_for())

    server.act(type="navigate", screen="loyalty")
    shot("loyalty", lambda: page.get_by_text("Your loyalty ID, your wishlist").wait_for())

    server.act(type="consent", accept=True)
    shot("enrol", lambda: page.locator(".key").nth(11).wait_for())

    server.act(type="enrol", loyalty_id="4711-2024")
    server.act(type="wishlist", sku=sku, add=True)
    server.act(type="navigate", screen="wishlist")
    shot("wishlist", lambda: page.locator(f'.card[data-sku="{sku}"]').wait_for())
    assert page.locator('.bar__item[data-bar="wishlist"]').is_visible()

    server.act(type="end")
    shot("rating", lambda: page.locator(".face").nth(4).wait_for())
    page.locator('.face[data-csat="5"]').click()
    page.locator(".nps__n").nth(10).wait_for()
    screenshots.save(page, f"rating-nps-{orientation}")

    page.locator('.nps__n[data-nps="9"]').click()
    shot("thanks", lambda: page.locator(".thanks__title").wait_for())
    session = server.view()["session"]["id"]
    rating = server.call(lambda: _now(server.engine.store.rating, session))  # type: ignore[union-attr]
    assert (rating["csat"], rating["nps"]) == (5, 9)
    assert page.errors == []  # type: ignore[attr-defined]


async def _now(fn: Callable[..., Any], *args: Any) -> Any:
    return fn(*args)


# --- taps ----------------------------------------------------------------------------------


def test_taps_send_actions_and_the_state_comes_back(
    open_page: Callable[..., Any], player_server: PlayerServer, screenshots: Screenshots
) -> None:
    server = player_server
    page = open_page()
    page.touchscreen.tap(*center(page, ".attract__hint"))
    wait_engine(server, page, "home")

    page.locator('.tile[data-category="knitwear"]').wait_for()
    page.touchscreen.tap(*center(page, '.tile[data-category="knitwear"]'))
    wait_engine(server, page, "browse")
    assert engine_screen(server)["category"] == "knitwear"
    wait_screen(page, "browse")

    card = page.locator(".pager__page.is-active .card").first
    sku = card.get_attribute("data-sku")
    page.touchscreen.tap(*center(page, f'.pager__page.is-active .card[data-sku="{sku}"]'))
    wait_engine(server, page, "product")
    assert engine_screen(server)["sku"] == sku
    wait_screen(page, "product", sku)

    # Pick a size in stock and ask for it: the request reaches the engine, the banner shows.
    detail = server.engine.catalog.product(sku, store="store-1", fitting_room="1")  # type: ignore[union-attr]
    colour = page.locator(".choice--colour.is-selected").get_attribute("data-colour")
    size = next(
        v["size"] for v in detail["variants"] if v["colour"] == colour and v["stock"]["store"] > 0
    )
    page.touchscreen.tap(*center(page, f'.choice--size[data-size="{size}"]'))
    page.locator(".btn--bring").wait_for()
    page.touchscreen.tap(*center(page, ".btn--bring"))
    page.locator(".banner.is-shown").wait_for()
    requests = server.view()["requests"]
    assert [(r["kind"], r["status"]) for r in requests] == [("size", "pending")]
    assert page.locator(".banner__title").inner_text().startswith(f"Asked for {detail['name']}")
    page.wait_for_timeout(500)
    screenshots.save(page, "request-pending-portrait")

    request_id = requests[0]["id"]
    server.call(lambda: server.engine.acknowledge(request_id, "Sam"))  # type: ignore[union-attr]
    page.get_by_text("Sam is on the way").wait_for()
    screenshots.save(page, "request-acknowledged-portrait")

    page.touchscreen.tap(*center(page, '.bar__item[data-bar="lighting"]'))
    wait_engine(server, page, "lighting")

    # Native input is reported to the engine as page interactions.
    session = server.view()["session"]["id"]
    rows = server.call(lambda: _now(server.engine.store.interactions, session))  # type: ignore[union-attr]
    assert any(r["kind"] == "tap" and r["detail"] == "page" for r in rows)
    assert page.errors == []  # type: ignore[attr-defined]


# --- zoom ----------------------------------------------------------------------------------


def scale(page: Any) -> float:
    return float(page.locator(".zoom").get_attribute("data-scale"))


def test_the_product_image_zooms(
    open_page: Callable[..., Any], player_server: PlayerServer, screenshots: Screenshots
) -> None:
    server = player_server
    sku = product_of(server)["sku"]
    server.act(type="navigate", screen="product", sku=sku)
    page = open_page()
    wait_screen(page, "product", sku)
    cx, cy = center(page, ".zoom")
    assert scale(page) == 1.0

    # Two native fingers spread apart.
    cdp = page.context.new_cdp_session(page)

    def touch(kind: str, points: list[tuple[float, float]]) -> None:
        cdp.send(
            "Input.dispatchTouchEvent",
            {
                "type": kind,
                "touchPoints": [{"x": x, "y": y, "id": i} for i, (x, y) in enumerate(points)],
            },
        )

    touch("touchStart", [(cx - 60, cy), (cx + 60, cy)])
    for d in range(70, 181, 10):
        touch("touchMove", [(cx - d, cy), (cx + d, cy)])
    touch("touchEnd", [])
    page.wait_for_function("() => +document.querySelector('.zoom').dataset.scale > 2")
    assert 2.5 < scale(page) <= 5.0
    page.wait_for_timeout(400)
    screenshots.save(page, "product-zoomed-portrait")

    # A double tap zooms out, another zooms in again.
    page.touchscreen.tap(cx, cy)
    page.touchscreen.tap(cx, cy)
    page.wait_for_function("() => +document.querySelector('.zoom').dataset.scale === 1")
    page.touchscreen.tap(cx + 40, cy + 40)
    page.touchscreen.tap(cx + 40, cy + 40)
    page.wait_for_function("() => +document.querySelector('.zoom').dataset.scale > 2")
    page.touchscreen.tap(cx, cy)
    page.touchscreen.tap(cx, cy)
    page.wait_for_function("() => +document.querySelector('.zoom').dataset.scale === 1")

    # The touch frame's pinch zooms too.
    server.publish(
        Pinch(phase="begin", scale=1.0, x=cx, y=cy, t_ns=1),
        Pinch(phase="update", scale=1.6, x=cx, y=cy, t_ns=2),
        Pinch(phase="update", scale=2.0, x=cx, y=cy, t_ns=3),
        Pinch(phase="end", scale=2.0, x=cx, y=cy, t_ns=4),
    )
    page.wait_for_function("() => +document.querySelector('.zoom').dataset.scale > 1.9")
    assert scale(page) == pytest.approx(2.0, abs=0.01)
    assert server.view()["screen"]["name"] == "product"  # zooming is the page's own business
    assert page.errors == []  # type: ignore[attr-defined]


# --- the touch frame -----------------------------------------------------------------------


def glass(kind: str, x: float, y: float, contact: int = 7, scan: int = 1) -> PointerEvent:
    return PointerEvent(
        kind=kind,  # type: ignore[arg-type]
        id=contact,
        x=x,
        y=y,
        x_mm=x / 4,
        y_mm=y / 4,
        diameter_mm=9.0,
        board="touch",
        t_ns=scan * 10_000_000,
        scan=scan,
    )


def test_glass_pointers_hit_the_element_under_them(
    open_page: Callable[..., Any], player_server: PlayerServer
) -> None:
    server = player_server
    server.act(type="navigate", screen="home")
    page = open_page()
    wait_screen(page, "home")
    page.evaluate(
        """() => { window.hits = [];
            document.addEventListener('pointerdown', (e) => window.hits.push(
                [e.pointerType, e.clientX, e.clientY,
                 e.target.closest('[data-bar]')?.dataset.bar ?? null]), true); }"""
    )
    x, y = center(page, '.bar__item[data-bar="lighting"]')
    server.publish(glass("down", x, y, scan=4242), glass("up", x + 3, y - 2, scan=4243))
    wait_engine(server, page, "lighting")  # the click went to the engine as a navigation

    [(kind, hit_x, hit_y, bar)] = page.evaluate("window.hits")
    assert (kind, bar) == ("touch", "lighting")
    assert (hit_x, hit_y) == (pytest.approx(x, abs=0.5), pytest.approx(y, abs=0.5))
    handled = page.evaluate("window.vitrine.handled")
    assert [(h["id"], h["scan"]) for h in handled] == [(7, 4242)]
    last = page.evaluate("window.vitrine.lastPointer")
    assert last["id"] == 7
    assert last["t_epoch_ms"] <= last["handled_epoch_ms"] == handled[0]["handled_epoch_ms"]

    # A contact that moves away before it lifts clicks nothing.
    x, y = center(page, '.bar__item[data-bar="help"]')
    server.publish(
        glass("down", x, y, contact=8, scan=5000),
        glass("move", x + 60, y - 200, contact=8, scan=5001),
        glass("up", x + 120, y - 400, contact=8, scan=5002),
    )
    page.wait_for_function("window.vitrine.handled.length === 2")
    page.wait_for_timeout(300)
    assert engine_screen(server)["name"] == "lighting"


def test_swipes_turn_the_pages(
    open_page: Callable[..., Any], player_server: PlayerServer, screenshots: Screenshots
) -> None:
    server = player_server
    server.act(type="navigate", screen="browse")  # every product: several pages
    page = open_page()
    wait_screen(page, "browse")
    pager = page.locator(".browse__body .pager")
    assert pager.get_attribute("data-page") == "0"
    assert int(pager.get_attribute("data-pages")) > 2

    # The touch frame's swipe.
    x, y = center(page, ".browse__body .pager__viewport")
    server.publish(Swipe(id=1, direction="left", velocity=1800.0, distance=400.0, x=x, y=y, t_ns=1))
    page.wait_for_function("document.querySelector('.browse__body .pager').dataset.page === '1'")

    # A native finger dragging the page along.
    cdp = page.context.new_cdp_session(page)
    points = [(x + 300 - step * 60, y) for step in range(11)]
    for i, (px, py) in enumerate(points):
        kind = "touchStart" if i == 0 else "touchMove"
        cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": [{"x": px, "y": py}]})
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    page.wait_for_function("document.querySelector('.browse__body .pager').dataset.page === '2'")

    # Swiping right goes back; the engine's screen never changed.
    server.publish(
        Swipe(id=2, direction="right", velocity=1800.0, distance=400.0, x=x, y=y, t_ns=2)
    )
    page.wait_for_function("document.querySelector('.browse__body .pager').dataset.page === '1'")
    page.wait_for_timeout(500)
    screenshots.save(page, "browse-page-2-portrait")
    assert engine_screen(server) == {"name": "browse", "category": None, "sku": None}


# --- help offered --------------------------------------------------------------------------


def test_a_stalled_shopper_is_offered_help(
    browser: Any, player_folder: Path, screenshots: Screenshots
) -> None:
    config = EngineConfig(session=SessionConfig(stall_s=1.0))
    server = PlayerServer(player_folder, free_port(), config)
    server.start()
    context = browser.new_context(viewport=PORTRAIT, has_touch=True)
    try:
        page = context.new_page()
        page.set_default_timeout(PAGE_TIMEOUT_MS)
        page.goto(server.url + "/")
        server.act(type="navigate", screen="home")
        page.locator(".offer.is-shown").wait_for()
        assert server.view()["offer_help"] == {"reason": "stalled"}
        page.wait_for_timeout(400)
        screenshots.save(page, "offer-help-portrait")

        page.touchscreen.tap(*center(page, '[data-offer="dismiss"]'))
        page.wait_for_function("!document.querySelector('.offer').classList.contains('is-shown')")
        page.wait_for_function("window.vitrine.state.offer_help === null")

        page.locator(".offer.is-shown").wait_for()  # still quiet: offered again
        page.touchscreen.tap(*center(page, '[data-offer="call"]'))
        page.get_by_text("Asked for an associate").wait_for()
        assert [r["kind"] for r in server.view()["requests"]] == ["help"]
    finally:
        context.close()
        server.stop()


# --- the daemon restarts -------------------------------------------------------------------


def test_the_page_waits_for_a_restarted_daemon_and_comes_back_to_the_same_screen(
    open_page: Callable[..., Any], player_server: PlayerServer, screenshots: Screenshots
) -> None:
    server = player_server
    product = product_of(server)
    server.act(type="navigate", screen="product", sku=product["sku"])
    page = open_page()
    wait_screen(page, "product", product["sku"])

    server.stop()
    page.wait_for_function("document.body.dataset.connection === 'reconnecting'")
    page.wait_for_function("getComputedStyle(document.querySelector('.badge')).opacity > 0.9")
    assert page.evaluate("window.vitrine.connected") is False
    page.wait_for_timeout(1500)  # several retries later, the screen is still up
    assert page.locator(".product__name").inner_text() == product["name"]
    assert page.locator('.screen[data-screen="product"]').is_visible()
    screenshots.save(page, "reconnecting-portrait")

    server.start()  # a new engine over the same files, on the same port
    page.wait_for_function("window.vitrine.connected === true")
    page.wait_for_function("getComputedStyle(document.querySelector('.badge')).opacity < 0.1")
    state = page.evaluate("window.vitrine.state")
    assert state["screen"] == {"name": "product", "category": None, "sku": product["sku"]}
    assert page.locator(".product__name").inner_text() == product["name"]
    assert page.errors == []  # type: ignore[attr-defined]


# --- a catalogue import while the page is up -------------------------------------------------


def test_a_stock_feed_imported_meanwhile_shows_at_once_and_on_the_next_visit(
    open_page: Callable[..., Any], player_server: PlayerServer, tmp_path: Path
) -> None:
    server = player_server
    product = product_of(server)
    server.act(type="navigate", screen="product", sku=product["sku"])
    page = open_page()
    wait_screen(page, "product", product["sku"])
    in_stock = page.locator(".choice--size:not(.is-out)")
    assert in_stock.count() > 0  # some size in stock
    size = in_stock.first.get_attribute("data-size")
    page.locator(f'.choice--size[data-size="{size}"]').click()  # the shopper picks it
    page.locator(".stock--in").wait_for()

    # `vitrine catalog import --replace stock.csv` from another process: all sold out
    feed = tmp_path / "feed" / "stock.csv"
    feed.parent.mkdir()
    feed.write_text("variant_sku,store,location,quantity\n", encoding="utf-8")
    with Catalog.open(server.folder / "catalog.db", server.folder / "media") as other:
        import_files(other, [feed], replace=True)
    page.wait_for_function("window.vitrine.state.catalog.rev === 1")
    # the screen shown is brought up to date, the shopper's size still picked
    page.locator(".stock--out").wait_for()
    assert page.locator(".stock").inner_text() == "Out of stock in your size"
    assert page.locator(".choice--size.is-selected").get_attribute("data-size") == size
    assert page.locator(".choice--size:not(.is-out)").count() == 0

    server.act(type="navigate", screen="home")
    wait_screen(page, "home")
    server.act(type="navigate", screen="product", sku=product["sku"])
    wait_screen(page, "product", product["sku"])
    assert page.locator(".choice--size").count() > 0
    assert page.locator(".choice--size:not(.is-out)").count() == 0  # not the cached answer
    assert page.errors == []  # type: ignore[attr-defined]


# --- loyalty by touch ----------------------------------------------------------------------


def test_a_shopper_joins_saves_a_piece_and_is_forgotten_by_touch(
    open_page: Callable[..., Any], player_server: PlayerServer, screenshots: Screenshots
) -> None:
    server = player_server
    sku = product_of(server)["sku"]
    server.act(type="navigate", screen="home")
    page = open_page()
    wait_screen(page, "home")

    def tap(selector: str) -> None:
        page.locator(selector).first.wait_for()
        page.touchscreen.tap(*center(page, selector))

    tap('.bar__item[data-bar="loyalty"]')
    wait_screen(page, "loyalty")
    tap('[data-consent="accept"]')
    wait_screen(page, "enrol")
    assert page.locator('[data-key="done"]').is_disabled()
    for key in "4711":
        tap(f'.key[data-key="{key}"]')
    tap('.key[data-key="ABC"]')
    tap('.key[data-key="K"]')
    tap('.key[data-key="123"]')
    assert page.locator(".keyfield__value").inner_text() == "4711K"
    screenshots.save(page, "enrol-typed-portrait")
    tap('[data-key="done"]')
    wait_screen(page, "loyalty")
    assert server.view()["session"]["member"]["loyalty_id"] == "4711K"

    server.act(type="navigate", screen="product", sku=sku)
    wait_screen(page, "product", sku)
    tap(".product__heart .btn")
    page.locator(".product__heart .is-saved").wait_for()
    assert server.view()["session"]["member"]["wishlist"] == [sku]

    tap('.bar__item[data-bar="wishlist"]')
    wait_screen(page, "wishlist")
    page.locator(f'.card[data-sku="{sku}"]').wait_for()
    tap(f'[data-remove="{sku}"]')
    page.get_by_text("Nothing saved yet").wait_for()
    assert server.view()["session"]["member"]["wishlist"] == []

    tap('[data-action="forget"]')
    page.locator(".dialog").wait_for()
    screenshots.save(page, "forget-confirm-portrait")
    tap('[data-action="forget-confirm"]')
    wait_engine(server, page, "home")
    assert server.view()["session"]["member"] is None
    page.locator('.bar__item[data-bar="loyalty"]').wait_for()
    assert page.errors == []  # type: ignore[attr-defined]
