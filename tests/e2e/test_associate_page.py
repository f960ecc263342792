"""The associate page in Chromium, against the real daemon parts: uvicorn serving the
associate router over a running Engine, the sample catalogue and a real events store.
Shoppers' requests are made through the engine, as the mirror's player makes them; the page
signs in with the PIN, shows them live and acknowledges and fulfils them. Screenshots of
each state land in test-artifacts/screens/associate-*.png."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import PlayerServer, free_port
from vitrine.catalog import Catalog, import_files
from vitrine.engine.config import AssociateConfig, EngineConfig, SessionConfig

PIN = "246810"
PHONE = {"width": 360, "height": 740}
TABLET = {"width": 1024, "height": 768}
WAIT_MS = 10_000


class AssociateServer(PlayerServer):
    """The daemon's routes over a running engine (tests/e2e/conftest.py), with the shopper's
    side of requests at hand."""

    def shopper_request(self, kind: str = "size", variant: str | None = None) -> dict[str, Any]:
        """A shopper's request made through the engine (as the mirror's player makes it);
        the new request as the associates' queue shows it."""
        engine = self.engine
        assert engine is not None
        action: dict[str, Any] = {"type": "request", "kind": kind}
        if variant is not None:
            action["variant"] = variant

        async def make() -> dict[str, Any]:
            before = {r["id"] for r in await engine.requests()}
            await engine.act(action)
            (item,) = [r for r in await engine.requests() if r["id"] not in before]
            return item

        return self.call(make)

    def queue(self) -> list[dict[str, Any]]:
        engine = self.engine
        assert engine is not None

        async def read() -> list[dict[str, Any]]:
            return await engine.requests()

        return self.call(read)

    def mirror_requests(self) -> list[dict[str, Any]]:
        """The requests as the mirror's player shows them to the shopper."""
        engine = self.engine
        assert engine is not None

        async def read() -> list[dict[str, Any]]:
            return engine.view()["requests"]

        return self.call(read)


def variants(folder: Path, count: int) -> list[str]:
    """`count` variant SKUs of the imported sample catalogue."""
    catalog = Catalog.open(folder / "catalog.db", folder / "media")
    try:
        skus: list[str] = []
        for card in catalog.products(limit=50)["items"]:
            detail = catalog.product(card["sku"])
            assert detail is not None
            skus += [v["sku"] for v in detail["variants"]]
        return skus[:count]
    finally:
        catalog.close()


@pytest.fixture
def data_folder(tmp_path: Path, sample_files: Path) -> Path:
    """A data folder with the sample catalogue imported."""
    folder = tmp_path / "data"
    catalog = Catalog.open(folder / "catalog.db", folder / "media")
    try:
        import_files(catalog, [sample_files])
    finally:
        catalog.close()
    return folder


def serve(folder: Path, associate: AssociateConfig) -> AssociateServer:
    # Sessions that outlast the test, so one shopper can keep asking.
    session = SessionConfig(engaged_idle_s=3600, stall_s=3600)
    server = AssociateServer(
        folder, free_port(), EngineConfig(associate=associate, session=session)
    )
    server.start()
    return server


@pytest.fixture
def server(data_folder: Path) -> Iterator[AssociateServer]:
    server = serve(data_folder, AssociateConfig(pin=PIN))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, has_touch=True)
    # Records the page's vibrations (headless Chromium has no motor).
    context.add_init_script(
        "window.__vibrations = [];"
        "navigator.vibrate = (pattern) => { window.__vibrations.push(pattern); return true; };"
    )
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    try:
        yield page
    finally:
        context.close()


def sign_in(page: Any, server: AssociateServer, name: str = "Sam") -> None:
    page.goto(f"{server.url}/associate/")
    page.fill("#pin", PIN)
    page.click("#login-button")
    page.wait_for_selector("#name-panel:not([hidden])")
    page.fill("#name", name)
    page.click("#name-form button[type=submit]")
    page.wait_for_selector("#name-panel", state="hidden")


def no_sideways_scroll(page: Any) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_a_wrong_pin_shows_an_error(phone: Any, server: AssociateServer, screenshots: Any) -> None:
    phone.goto(f"{server.url}/associate/")
    assert phone.get_attribute("body", "data-state") == "login"
    screenshots.save(phone, "associate-login")
    phone.fill("#pin", "135790")
    phone.click("#login-button")
    error = phone.locator("#login-error")
    error.filter(has_text="Wrong PIN").wait_for()
    assert "4 more wrong PINs on this mirror" in error.inner_text()
    assert phone.get_attribute("body", "data-state") == "login"
    assert phone.context.cookies() == []
    screenshots.save(phone, "associate-wrong-pin")
    for _ in range(4):
        phone.fill("#pin", "135790")
        phone.click("#login-button")
    phone.locator("#login-button", has_text="Wait").wait_for()
    assert "Too many wrong PINs" in error.inner_text()
    assert "paused for every device" in error.inner_text()
    assert phone.locator("#login-button").is_disabled()
    screenshots.save(phone, "associate-locked-out")
    # another phone opening the page now sees the pause and its countdown at once
    other = phone.context.browser.new_context(viewport=PHONE)
    try:
        page = other.new_page()
        page.goto(f"{server.url}/associate/")
        page.locator("#login-button", has_text="Wait").wait_for()
        assert page.locator("#login-button").is_disabled()
        assert "paused for every device" in page.locator("#login-error").inner_text()
    finally:
        other.close()


def test_sign_in_then_acknowledge_and_fulfil_a_request(
    phone: Any, server: AssociateServer, data_folder: Path, screenshots: Any
) -> None:
    sign_in(phone, server)
    phone.locator("#empty", has_text="No requests").wait_for()
    assert phone.locator("#rename").inner_text() == "Sam"
    assert no_sideways_scroll(phone)
    screenshots.save(phone, "associate-empty")

    (variant,) = variants(data_folder, 1)
    made = server.shopper_request("size", variant)
    card = phone.locator(f'.card[data-id="{made["id"]}"]')
    card.wait_for()
    assert card.locator(".room").inner_text() == "Room 1"
    assert card.locator(".label").inner_text() == made["label"]
    assert card.locator(".kind").inner_text() == "Another size"
    assert card.locator(".sla-word").inner_text() == "On time"
    assert card.get_attribute("data-sla") == "ok"
    assert phone.locator("#count").inner_text() == "1 open"
    phone.wait_for_function("window.__vibrations.length > 0")
    first_age = card.locator(".age").inner_text()
    phone.wait_for_function(  # the age ticks on its own
        "([id, age]) => document.querySelector(`.card[data-id='${id}'] .age`).textContent !== age",
        arg=[made["id"], first_age],
    )
    assert no_sideways_scroll(phone)
    screenshots.save(phone, "associate-queue")

    card.locator("button.ack").click()
    card.locator(".acked", has_text="Acknowledged by Sam").wait_for()
    assert card.locator("button.ack").is_hidden()
    (shown,) = server.mirror_requests()
    assert (shown["status"], shown["associate"]) == ("acknowledged", "Sam")
    screenshots.save(phone, "associate-acknowledged")

    card.locator("button.fulfil").click()
    card.wait_for(state="detached")
    phone.locator("#empty", has_text="No requests").wait_for()
    assert server.queue() == []
    (shown,) = server.mirror_requests()
    assert shown["status"] == "fulfilled"
    screenshots.save(phone, "associate-fulfilled")


def test_the_queue_shows_service_levels_most_urgent_first_on_a_tablet(
    browser: Any, data_folder: Path, screenshots: Any
) -> None:
    associate = AssociateConfig(pin=PIN, ack_sla_s=2, escalate_after_s=6, fulfil_sla_s=300)
    server = serve(data_folder, associate)
    context = browser.new_context(viewport=TABLET)
    try:
        page = context.new_page()
        page.set_default_timeout(WAIT_MS)
        sign_in(page, server, "Alex")
        skus = variants(data_folder, 2)
        oldest = server.shopper_request("size", skus[0])
        time.sleep(6.5)
        late = server.shopper_request("colour", skus[1])
        time.sleep(2.5)
        fresh = server.shopper_request("help")
        page.locator(".card").nth(2).wait_for()
        page.locator('.card[data-sla="escalated"]').wait_for()
        ids = [page.locator(".card").nth(i).get_attribute("data-id") for i in range(3)]
        assert ids == [oldest["id"], late["id"], fresh["id"]]
        words = page.locator(".sla-word").all_inner_texts()
        assert words == ["Escalated", "Late", "On time"]
        assert page.locator(".kind").all_inner_texts() == [
            "Another size",
            "Another colour",
            "Help",
        ]
        screenshots.save(page, "associate-tablet-sla")
    finally:
        context.close()
        server.stop()


def test_the_page_shows_offline_and_reconnects_by_itself(
    phone: Any, server: AssociateServer, screenshots: Any
) -> None:
    sign_in(phone, server)
    phone.locator("#empty").wait_for()
    server.stop()
    phone.locator("#conn", has_text="Offline").wait_for()
    screenshots.save(phone, "associate-offline")
    server.start()  # the same port, files and secret: the session cookie still holds
    made = server.shopper_request("help")
    phone.locator(f'.card[data-id="{made["id"]}"]').wait_for(timeout=30_000)
    assert phone.locator("#conn").is_hidden()


def test_a_locked_app_says_how_to_set_a_pin(
    phone: Any, data_folder: Path, screenshots: Any
) -> None:
    server = serve(data_folder, AssociateConfig())
    try:
        phone.goto(f"{server.url}/associate/")
        assert phone.get_attribute("body", "data-state") == "locked"
        assert phone.locator("#login").is_hidden()
        text = phone.locator("#locked").inner_text()
        assert "[associate]" in text and 'pin = "246810"' in text
        screenshots.save(phone, "associate-app-locked")
    finally:
        server.stop()


def test_sign_out_returns_to_the_sign_in_form(phone: Any, server: AssociateServer) -> None:
    sign_in(phone, server)
    phone.locator("#empty").wait_for()
    phone.click("#logout")
    phone.locator("#login").wait_for()
    assert phone.get_attribute("body", "data-state") == "login"
    phone.reload()
    assert phone.get_attribute("body", "data-state") == "login"
    # the name is remembered for the next sign-in
    phone.fill("#pin", PIN)
    phone.click("#login-button")
    phone.locator("#empty").wait_for()
    assert phone.locator("#name-panel").is_hidden()
    assert phone.locator("#rename").inner_text() == "Sam"
