"""GET /static/{name}: the browser files the pages share, served from vitrine/web/static with
their types and an ETag, and nothing else; and every script or style sheet a page loads or a
module imports is a file the daemon serves."""

from __future__ import annotations

import re
from collections.abc import Iterator
from importlib import resources
from importlib.abc import Traversable

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from vitrine.web.files import shared_router

STATIC = {
    # URL prefix -> the package folder it is served from
    "/static/": resources.files("vitrine.web").joinpath("static"),
    "/player/static/": resources.files("vitrine.player").joinpath("static"),
    "/associate/static/": resources.files("vitrine.associate").joinpath("static"),
}
# what /associate/static serves (vitrine/associate/app.py's _STATIC): its page's own two files
ASSOCIATE_SERVES = {"associate.js", "associate.css"}


@pytest.fixture
def client() -> Iterator[TestClient]:
    app = FastAPI()
    app.include_router(shared_router())
    with TestClient(app) as client:
        yield client


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("reconnecting-socket.js", "text/javascript"),
        ("status.js", "text/javascript"),
        ("status.css", "text/css"),
    ],
)
def test_shared_files_are_served_with_their_type(client: TestClient, name: str, kind: str) -> None:
    answer = client.get(f"/static/{name}")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith(kind)
    assert answer.headers["cache-control"] == "no-cache"
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.content == STATIC["/static/"].joinpath(name).read_bytes()
    again = client.get(f"/static/{name}", headers={"If-None-Match": answer.headers["etag"]})
    assert again.status_code == 304 and again.content == b""


@pytest.mark.parametrize(
    "name",
    ["status.html", "nothing.js", "files.py", "..%2Fapp.py", "%2E%2E%2F__init__.py", ".x.js", "x"],
)
def test_nothing_else_is_reachable(client: TestClient, name: str) -> None:
    answer = client.get(f"/static/{name}")
    assert answer.status_code == 404
    assert b"import " not in answer.content and b"<html" not in answer.content


def _served(url: str) -> bool:
    for prefix, folder in STATIC.items():
        if url.startswith(prefix):
            name = url[len(prefix) :]
            if prefix == "/associate/static/" and name not in ASSOCIATE_SERVES:
                return False
            return "/" not in name and folder.joinpath(name).is_file()
    return False


def _page_files() -> Iterator[tuple[str, Traversable]]:
    for prefix, folder in STATIC.items():
        for entry in folder.iterdir():
            if entry.name.endswith((".js", ".html")):
                yield prefix, entry


def test_every_file_a_page_loads_or_imports_is_served() -> None:
    checked = 0
    for prefix, entry in _page_files():
        text = entry.read_text(encoding="utf-8")
        if entry.name.endswith(".js"):
            targets = re.findall(r'(?:from|import)\s*\(?\s*"([^"]+)"', text)
        else:
            targets = re.findall(r'<(?:script|link)\b[^>]*\b(?:src|href)="(/[^"]*)"', text)
        for target in targets:
            url = prefix + target[2:] if target.startswith("./") else target
            assert _served(url), f"{prefix}{entry.name} loads {target}, which is not served"
            checked += 1
    assert checked > 20  # the player's modules, the shared socket, the pages' files


def test_the_shared_socket_is_one_file_both_pages_import() -> None:
    player = STATIC["/player/static/"].joinpath("player.js").read_text(encoding="utf-8")
    associate = STATIC["/associate/static/"].joinpath("associate.js").read_text(encoding="utf-8")
    line = 'import { ReconnectingSocket } from "/static/reconnecting-socket.js";'
    assert line in player and line in associate
    for _, entry in _page_files():
        text = entry.read_text(encoding="utf-8")
        if entry.name != "reconnecting-socket.js":
            assert "new WebSocket(" not in text, f"{entry.name} opens a socket of its own"
