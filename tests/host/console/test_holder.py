"""Who holds a busy port: a daemon's status API is asked, and the message says what to do."""

from __future__ import annotations

import http.server
import json
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from vitrine.console.holder import busy_message, same_port


@pytest.fixture
def daemon_api() -> Iterator[tuple[str, list[dict]]]:
    """A stand-in daemon status API that lists the boards the test puts in its list."""
    boards: list[dict] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = json.dumps({"boards": boards}).encode()
            self.send_response(200 if self.path == "/api/status" else 404)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", boards
    finally:
        server.shutdown()
        server.server_close()


def test_same_port_follows_links(tmp_path: Path) -> None:
    target = tmp_path / "ttyACM0"
    target.touch()
    link = tmp_path / "touch"
    link.symlink_to(target)
    assert same_port(str(link), str(target))
    assert same_port("socket://h:1", "socket://h:1")
    assert not same_port("socket://h:1", "socket://h:2")
    assert not same_port(str(target), "socket://h:1")
    assert not same_port(str(target), os.devnull)


def test_the_daemon_holding_the_port_is_named(daemon_api, tmp_path: Path) -> None:
    url, boards = daemon_api
    boards.append({"name": "touch", "port": str(tmp_path / "touch"), "state": "up"})
    message = busy_message(str(tmp_path / "touch"), url)
    assert f"the Vitrine daemon ({url}) holds it for its touch board" in message
    assert "Stop the daemon" in message
    assert f"{url}/api/status" in message


def test_a_daemon_that_does_not_hold_the_port_is_ruled_out(daemon_api, tmp_path: Path) -> None:
    url, boards = daemon_api
    boards.append({"name": "lights", "port": "/dev/ttyUSB0"})
    message = busy_message(str(tmp_path / "touch"), url)
    assert f"another program has it open (the daemon at {url} does not)" in message


def test_without_a_daemon_every_holder_is_suggested() -> None:
    message = busy_message("/dev/ttyACM0", "http://127.0.0.1:9")
    assert "another program has it open (mpremote" in message
    assert "or stop the daemon" in message
