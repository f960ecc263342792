"""The daemon's HTTP socket: answers leave at once (no Nagle wait for a delayed ACK), and an
address in use is a clear error."""

from __future__ import annotations

import socket

import pytest

from vitrine.daemon import listen
from vitrine.errors import VitrineError


def test_accepted_connections_send_without_delay() -> None:
    server = listen("127.0.0.1", 0)
    try:
        client = socket.create_connection(server.getsockname())
        accepted, _ = server.accept()
        with client, accepted:
            assert server.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
            assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
    finally:
        server.close()


def test_a_port_in_use_names_the_address() -> None:
    first = listen("127.0.0.1", 0)
    port = first.getsockname()[1]
    try:
        with pytest.raises(VitrineError, match=f"cannot serve HTTP on 127.0.0.1:{port}"):
            listen("127.0.0.1", port)
    finally:
        first.close()
