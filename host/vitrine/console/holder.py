"""Who holds a busy port: the running Vitrine daemon (asked through its status API), or some
other program. Ports are opened exclusively, so the console cannot share one with the daemon."""

from __future__ import annotations

import json
import os
import urllib.parse
import urllib.request
from typing import Any


def same_port(a: str, b: str) -> bool:
    """True when two port URLs name the same port (paths compared after resolving links)."""
    if a == b:
        return True
    if urllib.parse.urlparse(a).scheme or urllib.parse.urlparse(b).scheme:
        return False
    return os.path.realpath(a) == os.path.realpath(b)


def daemon_boards(daemon_url: str, timeout_s: float = 1.0) -> list[dict[str, Any]] | None:
    """The boards a daemon's status API lists, or None when no daemon answers there."""
    try:
        with urllib.request.urlopen(f"{daemon_url}/api/status", timeout=timeout_s) as response:
            status = json.load(response)
    except (OSError, ValueError):
        return None
    boards = status.get("boards") if isinstance(status, dict) else None
    return boards if isinstance(boards, list) else None


def busy_message(url: str, daemon_url: str) -> str:
    """Why `url` is busy and what to do, for a person."""
    boards = daemon_boards(daemon_url)
    held = [b for b in boards or [] if isinstance(b, dict) and same_port(str(b.get("port")), url)]
    if held:
        name = held[0].get("name") or held[0].get("role") or "a"
        return (
            f"port {url} is busy: the Vitrine daemon ({daemon_url}) holds it for its {name} "
            "board. Stop the daemon to use the console on this port, or read the board through "
            f"the daemon's API: {daemon_url}/api/status"
        )
    if boards is not None:
        return (
            f"port {url} is busy: another program has it open (the daemon at {daemon_url} does "
            "not); close it (mpremote, a serial terminal, another console) and try again"
        )
    return (
        f"port {url} is busy: another program has it open (mpremote, a serial terminal, another "
        "console, or a Vitrine daemon); close it, or stop the daemon, and try again"
    )
