"""What `vitrine console` and the daemon say to each other on the daemon's console socket
(vitrine.console.proxy serves it, vitrine.console.remote uses it): one JSON object a line.

The channel is a Unix socket in the daemon's runtime folder (`console.sock`; /run/vitrine on a
mirror), not an HTTP or WebSocket endpoint: a web page cannot open a Unix socket at all, nor
can anyone on another machine, and the kernel lets only those whom the socket's and folder's
permissions allow connect, whose user the daemon then learns from the socket itself
(SO_PEERCRED) and checks: root, the daemon's own user, members of the daemon's group. The
console reboots boards and reads their insides, so it is for the mirror's administrators
only, which an HTTP endpoint on loopback could only approach with a secret to keep and send.

Client to daemon:

    {"op": "open", "board": PORT_OR_NAME, "connect_s": 5.0, "command_s": 1.0}
    {"op": "run", "id": N, "line": "selftest", "confirm": false, "busy_wait_s": null}

Daemon to client: the answer to open, then answers by id and the board's events as they come:

    {"opened": {"name", "port", "hello": BASE64, "link": SNAPSHOT}}  or  {"error": ERROR}
    {"id": N, "answer": {"line", "status", "text"}}                 or  {"id": N, "error": ERROR}
    {"event": "message", "type": T, "seq": S, "payload": BASE64}    a board message: HEARTBEAT,
                                                                    LOG, TOUCH_REPORT, TOUCH_HEALTH,
                                                                    TOUCH_RAW (a recording's)
    {"event": "connected" | "rebooted", "hello": BASE64}            link events
    {"event": "lost", "reason": TEXT}   {"event": "refused", "message": TEXT}
    {"event": "link", "link": SNAPSHOT}                             the link's state and counters

ERROR is {"kind": "refused" | "timeout" | "unavailable" | "not_held" | "error", "message", and
for refused "line", "reason", "detail"}: the console's own errors (vitrine.console.errors),
carried over; not_held: this daemon has no board on that port.
Board messages travel as their wire payloads (the protocol's own encoding, decoded again at
the other end by vitrine.link.messages).
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

from vitrine.console.errors import (
    ConsoleError,
    ConsoleRefused,
    ConsoleTimeout,
    ConsoleUnavailable,
    NotHeld,
)
from vitrine.link import messages as m
from vitrine.paths import SERVICE_RUNTIME_DIR, runtime_dir
from vitrine_fw import wire

SOCKET_NAME = "console.sock"
MAX_LINE_BYTES = 1 << 20  # a line longer than this is not read (a console answer is < 64 KiB)
# The board messages a console shows (the live area, the log lines above the prompt), and the
# raw scans a `beams --record` capture writes (a board sends TOUCH_RAW only while recording).
RELAYED = (m.Heartbeat, m.Log, m.TouchReport, m.TouchHealth, m.TouchRaw)


def daemon_socket() -> Path:
    """Where this process's daemon serves its console socket (vitrine.paths.runtime_dir)."""
    return runtime_dir() / SOCKET_NAME


def candidate_sockets() -> list[Path]:
    """Where `vitrine console` looks for a daemon's console socket, in order: the runtime folder
    this user's daemon would use (a `vitrine demo`), then the installed service's."""
    found: list[Path] = []
    for path in (daemon_socket(), SERVICE_RUNTIME_DIR / SOCKET_NAME):
        if path not in found:
            found.append(path)
    return found


def encode(message: dict[str, Any]) -> bytes:
    """One message as the line that carries it."""
    return json.dumps(message, separators=(",", ":")).encode() + b"\n"


def decode(line: bytes) -> dict[str, Any]:
    """A line as its message; ValueError when it is not a JSON object."""
    message = json.loads(line)
    if not isinstance(message, dict):
        raise ValueError(f"not a JSON object: {line[:80]!r}")
    return message


def hello_b64(hello: m.Hello) -> str:
    return base64.b64encode(wire.encode_payload(wire.HELLO, m.wire_values(hello))).decode()


def hello_from(board: str, text: str, rx_ns: int) -> m.Hello:
    """A HELLO back from its relayed payload; ValueError (wire.WireError) when it is not one."""
    hello = m.from_payload(board, 0, wire.HELLO, base64.b64decode(text), rx_ns)
    assert isinstance(hello, m.Hello)
    return hello


def message_event(msg: m.BoardMessage) -> dict[str, Any]:
    payload = wire.encode_payload(msg.TYPE, m.wire_values(msg))
    return {
        "event": "message",
        "type": msg.TYPE,
        "seq": msg.seq,
        "payload": base64.b64encode(payload).decode(),
    }


def link_event(event: m.LinkEvent) -> dict[str, Any]:
    if isinstance(event, m.BoardConnected):
        return {"event": "connected", "hello": hello_b64(event.hello)}
    if isinstance(event, m.BoardRebooted):
        return {"event": "rebooted", "hello": hello_b64(event.hello)}
    if isinstance(event, m.BoardLost):
        return {"event": "lost", "reason": event.reason}
    assert isinstance(event, m.BoardRefused)
    return {"event": "refused", "message": event.message}


def error_json(err: ConsoleError) -> dict[str, Any]:
    """A console error as it travels."""
    if isinstance(err, ConsoleRefused):
        return {
            "kind": "refused",
            "message": str(err),
            "line": err.line,
            "reason": err.reason,
            "detail": err.detail,
        }
    if isinstance(err, ConsoleTimeout):
        return {"kind": "timeout", "message": str(err)}
    if isinstance(err, NotHeld):
        return {"kind": "not_held", "message": str(err)}
    if isinstance(err, ConsoleUnavailable):
        return {"kind": "unavailable", "message": str(err)}
    return {"kind": "error", "message": str(err)}


def error_from(data: Any) -> ConsoleError:
    """The console error a travelled one stands for."""
    if not isinstance(data, dict):
        return ConsoleError(f"the daemon answered with an unreadable error: {data!r}")
    message = str(data.get("message", "no message"))
    kind = data.get("kind")
    if kind == "refused":
        return ConsoleRefused(
            str(data.get("line", "")), str(data.get("reason", "")), str(data.get("detail", ""))
        )
    if kind == "timeout":
        return ConsoleTimeout(message)
    if kind == "not_held":
        return NotHeld(message)
    if kind == "unavailable":
        return ConsoleUnavailable(message)
    return ConsoleError(message)
