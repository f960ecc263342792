"""A daemon config file pinning virtual boards' ports, on an HTTP port nobody uses."""

from __future__ import annotations

import json
import socket
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_config(folder: Path, ports: dict[str, str], http_port: int) -> Path:
    """folder/vitrine.toml: [http] port, USB discovery off, each role pinned to its port."""
    pinned = ", ".join(f"{role} = {json.dumps(port)}" for role, port in ports.items())
    config = folder / "vitrine.toml"
    config.write_text(
        f"[http]\nport = {http_port}\n\n[boards]\ndiscover_usb = false\nports = {{ {pinned} }}\n"
    )
    return config
