"""The board checks: each board the daemon uses, its link, and its firmware build against
this host's.

When a daemon answers on the config's HTTP port, its status API is the source: the daemon
holds the ports, and opening them again would only find them busy. Otherwise each port is
opened here with the daemon's own link code (the config's pinned ports and extra URLs, and
serial ports with a board's USB id from hardware/boards) and must finish the HELLO
handshake within the timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import urllib.error
import urllib.request
from collections.abc import Collection, Mapping
from typing import Any

from vitrine.board_fit import board_fit
from vitrine.config import Config
from vitrine.doctor.check import Check, Status
from vitrine.hardware import BoardDescription
from vitrine.link.board import LinkSettings, running_link
from vitrine.link.boards import Scan, UsbId, at_baud, usb_ports

API_TIMEOUT_S = 1.0


def daemon_status(base_url: str, timeout_s: float = API_TIMEOUT_S) -> tuple[dict | None, str]:
    """The running daemon's /api/status, or None and what answered instead ("" when
    nothing listens)."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # local: no proxy
    url = base_url + "api/status"
    try:
        with opener.open(url, timeout=timeout_s) as response:
            data = json.load(response)
    except urllib.error.HTTPError as err:
        return None, f"{url} answers HTTP {err.code}"
    except (OSError, TimeoutError):
        return None, ""
    except ValueError:
        return None, f"{url} answers, but not with JSON"
    if not isinstance(data, dict) or not {"boards", "host_build", "version"} <= set(data):
        return None, f"{url} answers, but not with a vitrine status"
    return data, ""


def _reflash(port: str, role: str | None) -> str:
    return f"reflash with `vitrine flash --port {port} --role {role or 'ROLE'}`"


def _problem(error: str, state: str, port: str, role: str | None) -> tuple[Status, str]:
    """The status and what to do for a board whose link is not up, from its last error."""
    if "busy" in error:
        return "warn", (
            f"close the program that holds {port} (a console, mpremote?); a running daemon "
            "is asked over HTTP instead: is it serving on another port than the config says?"
        )
    if "not present" in error:
        return "fail", "plug the board in, or correct its port in [boards] ports"
    if "permission denied" in error:
        return "fail", "add the user to the dialout group (usermod -aG dialout USER)"
    if "configured for role" in error:
        return "fail", "pin the port to the role the board reports, or swap the boards"
    if state == "refused" or "no answer to HELLO" in error:
        return "fail", _reflash(port, role)
    return "fail", "check the board's power and cable; journalctl -u vitrine shows the link"


def board_check(
    snapshot: dict[str, Any],
    expected_build: str,
    source: str = "",
    descriptions: Mapping[str, BoardDescription] | None = None,
) -> Check:
    """One board from a link snapshot (the status API's entry, or BoardLink.snapshot()); with
    the board descriptions, a board whose firmware lacks a subsystem its role needs is a
    warning (vitrine.board_fit)."""
    port = snapshot["port"]
    role = snapshot.get("role")
    name = f"board {role or snapshot['name']}"
    if snapshot["state"] == "up":
        firmware = f"firmware {snapshot['firmware_version']}"
        build = snapshot["build_hash"]
        lacks = board_fit(snapshot, descriptions or {})
        if build != expected_build:
            return Check(
                name,
                "warn",
                f"{port}: {firmware} build {build}; this host's firmware is build {expected_build}"
                + (f"; {lacks.detail}" if lacks else ""),
                _reflash(port, role),
            )
        if lacks is not None:
            return Check(
                name,
                "warn",
                f"{port}: {firmware}, build {build} (this host's){source}; {lacks.detail}",
                lacks.fix,
            )
        return Check(name, "ok", f"{port}: {firmware}, build {build} (this host's){source}")
    error = snapshot.get("last_error") or "no answer yet"
    status, fix = _problem(error, snapshot["state"], port, role)
    return Check(name, status, f"{port}: {snapshot['state']}: {error}{source}", fix)


async def probe(
    url: str, role: str | None, settings: LinkSettings, timeout_s: float
) -> dict[str, Any]:
    """Open one port with the daemon's link, wait for the handshake; the link's snapshot."""
    async with running_link(url, settings, role=role) as link:
        with contextlib.suppress(TimeoutError):
            await link.wait_up(timeout_s)
        return link.snapshot()


def _same_port(a: str, b: str) -> bool:
    return a == b or os.path.realpath(a) == os.path.realpath(b)


async def check_boards(
    config: Config,
    expected_build: str,
    descriptions: dict[str, BoardDescription],
    *,
    timeout_s: float = 3.0,
    scan: Scan = usb_ports,
) -> list[Check]:
    """The daemon check, then one check per board (see the module docstring); a board is
    opened as the daemon would, a UART one at its description's baud."""
    ports = config.boards.board_ports(descriptions)
    url = config.http.local_url()
    status, other = await asyncio.to_thread(daemon_status, url)
    usb = await asyncio.to_thread(ports.find_usb, scan)
    if status is not None:
        return _from_daemon(status, url, expected_build, list(usb), descriptions)
    checks = [
        Check(
            "daemon",
            "warn",
            other or f"no daemon answers at {url}",
            "start it (systemctl start vitrine); meanwhile the boards were checked directly",
        )
    ]
    # port -> (role, baud): pinned ports by role, then extra URLs, then USB finds
    candidates = {port: (role, ports.bauds.get(role)) for role, port in ports.pinned.items()}
    for port, baud in [*((extra, None) for extra in ports.extra), *usb.items()]:
        if not any(_same_port(port, known) for known in candidates):
            candidates[port] = (None, baud)
    if not candidates:
        checks.append(_no_boards(ports.usb_ids))
        return checks
    settings = config.link.settings()
    snapshots = await asyncio.gather(
        *(
            probe(port, role, at_baud(settings, baud), timeout_s)
            for port, (role, baud) in candidates.items()
        )
    )
    checks += [board_check(s, expected_build, descriptions=descriptions) for s in snapshots]
    return checks


def _from_daemon(
    status: dict[str, Any],
    url: str,
    expected_build: str,
    usb: list[str],
    descriptions: Mapping[str, BoardDescription],
) -> list[Check]:
    checks = []
    uptime = f"up {status.get('uptime_s', 0):.0f} s"
    if status["host_build"] != expected_build:
        checks.append(
            Check(
                "daemon",
                "warn",
                f"vitrine {status['version']} at {url}, {uptime}, expects firmware build "
                f"{status['host_build']}; the firmware here is build {expected_build}",
                "restart it to pick up the installed version: systemctl restart vitrine",
            )
        )
    else:
        checks.append(Check("daemon", "ok", f"vitrine {status['version']} at {url}, {uptime}"))
    boards = status["boards"]
    checks += [board_check(b, expected_build, " (the daemon's link)", descriptions) for b in boards]
    for port in usb:
        if not any(_same_port(port, b["port"]) for b in boards):
            checks.append(
                Check(
                    f"board {port}",
                    "warn",
                    f"{port}: a board's USB id, but the daemon does not use the port",
                    "set [boards] discover_usb = true, or pin the port in [boards] ports",
                )
            )
    if not boards and not usb:
        checks.append(_no_boards(set()))
    if isinstance(status.get("analytics"), dict):
        checks.append(analytics_check(status["analytics"]))
    return checks


_DISK_FIX = {
    "read_only": "the analytics folder's filesystem is read-only: remount it read-write "
    "(dmesg says why it was remounted read-only)",
    "disk_full": "free space on the analytics folder's disk (vitrine analytics export, then "
    "lower [analytics] retention_days)",
    "error": "journalctl -u vitrine shows the analytics writer's error",
}


def analytics_check(state: dict[str, Any]) -> Check:
    """The analytics writer's state from the daemon's status (docs/metrics.md, Durability):
    ok, or the disk it cannot write, what is held in memory and what overflowed."""
    held = f"{state.get('buffered', 0)} of {state.get('buffer_max', 0)} held in memory"
    lost = state.get("overflowed", 0)
    fleet = state.get("fleet")
    outbox = ""
    if isinstance(fleet, dict):
        link = (
            "connected" if fleet.get("connected") else f"not connected ({fleet.get('last_error')})"
        )
        outbox = f"; fleet broker {link}, {fleet.get('pending', 0)} waiting in the outbox"
    if state.get("state") in ("ok", "starting"):
        if lost:
            return Check(
                "analytics",
                "warn",
                f"writing {state.get('path')}; {lost} observations were lost to a full buffer "
                f"while the disk could not be written{outbox}",
                "keep the analytics disk writable and with room to spare",
            )
        return Check(
            "analytics",
            "ok",
            f"writing {state.get('path')}, {state.get('written', 0)} observations written{outbox}",
        )
    what = state.get("state")
    detail = f"{state.get('path')}: {what}: {state.get('detail')}; {held}"
    if lost:
        detail += f", {lost} lost to the full buffer"
    return Check("analytics", "fail", detail + outbox, _DISK_FIX.get(str(what), _DISK_FIX["error"]))


def _no_boards(usb_ids: Collection[UsbId]) -> Check:
    ids = ", ".join(f"{vid:04x}:{pid:04x}" for vid, pid in sorted(usb_ids))
    return Check(
        "boards",
        "warn",
        "no boards: none in the config, none on USB" + (f" (looked for {ids})" if ids else ""),
        "plug the boards in by USB, or pin their ports in [boards] ports",
    )
