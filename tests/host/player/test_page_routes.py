"""The player page and its files: served from the package, with the right types, nothing
else reachable through the static route, and every module the page imports present."""

from __future__ import annotations

import re
from importlib import resources

import pytest

from tests.host.player.conftest import Rig

STATIC = resources.files("vitrine.player").joinpath("static")


def test_the_page_is_served_at_the_root(rig: Rig) -> None:
    response = rig.client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert '<script type="module" src="/player/static/player.js">' in response.text
    assert "/player/static/player.css" in response.text


@pytest.mark.parametrize(
    ("name", "kind"),
    [("player.js", "text/javascript"), ("player.css", "text/css"), ("index.html", "text/html")],
)
def test_static_files_have_their_content_type(rig: Rig, name: str, kind: str) -> None:
    response = rig.client.get(f"/player/static/{name}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(kind)
    assert response.headers["cache-control"] == "no-cache"


def test_an_unchanged_file_is_not_sent_again(rig: Rig) -> None:
    first = rig.client.get("/player/static/player.js")
    again = rig.client.get(
        "/player/static/player.js", headers={"If-None-Match": first.headers["etag"]}
    )
    assert again.status_code == 304
    assert again.content == b""


@pytest.mark.parametrize(
    "name",
    ["nothing.js", "app.py", "..%2Fapp.py", "%2E%2E%2F__init__.py", ".hidden.js", "player"],
)
def test_nothing_but_the_page_files_is_reachable(rig: Rig, name: str) -> None:
    response = rig.client.get(f"/player/static/{name}")
    assert response.status_code == 404
    assert "player_router" not in response.text


def test_the_page_loads_nothing_from_outside() -> None:
    for entry in STATIC.iterdir():
        text = entry.read_text(encoding="utf-8")
        assert not re.search(r"(?<![\w.])(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", text), entry.name
        assert "@import" not in text and "fonts.googleapis" not in text, entry.name
