"""The camera's events reaching the shopper, end to end in Chromium: a wave wakes the mirror
up (the engine starts a session as for a touch), hand swipes turn the pages, an open palm goes
back, and a frustrated face offers help."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.e2e.conftest import PlayerServer, Screenshots
from tests.e2e.test_player_page import engine_screen, wait_engine, wait_screen
from vitrine.vision.events import Expression, OpenPalm, SwipeLeft, SwipeRight, Wave


def test_a_wave_starts_a_session_and_hand_swipes_turn_the_pages(
    open_page: Callable[..., Any], player_server: PlayerServer, screenshots: Screenshots
) -> None:
    server = player_server
    page = open_page()
    wait_engine(server, page, "attract")
    server.publish(Wave(t_ns=1))
    page.wait_for_function(
        "window.vitrine.state.session && window.vitrine.state.session.phase === 'engaged'"
    )
    assert engine_screen(server)["name"] in ("greeting", "home")
    screenshots.save(page, "vision-wave-engaged-portrait")

    server.act(type="navigate", screen="browse")
    wait_screen(page, "browse")
    pager = "document.querySelector('.browse__body .pager').dataset.page"
    server.publish(SwipeLeft(t_ns=2))
    page.wait_for_function(f"{pager} === '1'")
    server.publish(SwipeRight(t_ns=3))
    page.wait_for_function(f"{pager} === '0'")
    assert engine_screen(server)["name"] == "browse"  # pages turn on the page only

    server.act(type="navigate", screen="browse", category="shirts")
    wait_screen(page, "browse")
    server.publish(OpenPalm(t_ns=4))  # stop / back: the screen's back button
    page.wait_for_function("window.vitrine.state.screen.name !== 'browse'")
    assert not page.errors  # type: ignore[attr-defined]


def test_a_frustrated_face_offers_help(
    open_page: Callable[..., Any], player_server: PlayerServer, screenshots: Screenshots
) -> None:
    server = player_server
    server.act(type="navigate", screen="home")
    page = open_page()
    wait_screen(page, "home")
    server.publish(Expression(label="frustrated", confidence=0.4, t_ns=1))  # not sure enough
    page.wait_for_timeout(500)
    assert server.view()["offer_help"] is None
    server.publish(Expression(label="frustrated", confidence=0.8, t_ns=2))
    page.locator(".offer.is-shown").wait_for()
    assert server.view()["offer_help"] == {"reason": "frustrated"}
    page.wait_for_timeout(400)
    screenshots.save(page, "vision-frustrated-offer-portrait")
