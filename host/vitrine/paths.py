"""Where the project's data folders are: next to the package in a source checkout, or where
the environment says (VITRINE_HARDWARE_DIR, VITRINE_FIRMWARE_DIR)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def hardware_dir() -> Path:
    """The folder of board descriptions."""
    return Path(os.environ.get("VITRINE_HARDWARE_DIR", PROJECT_ROOT / "hardware"))


def firmware_dir() -> Path:
    """The firmware tree as it lands on a board (main.py, lib/)."""
    return Path(os.environ.get("VITRINE_FIRMWARE_DIR", PROJECT_ROOT / "firmware"))


def shared_dir() -> Path:
    """The shared models and images beside the project (may be absent)."""
    return Path(os.environ.get("VITRINE_SHARED_DIR", PROJECT_ROOT.parent / "shared"))


def state_dir() -> Path:
    """The daemon's own data: $STATE_DIRECTORY (systemd sets it from the unit's
    StateDirectory=), else /var/lib/vitrine."""
    return Path(os.environ.get("STATE_DIRECTORY", "/var/lib/vitrine").split(":")[0])


SERVICE_RUNTIME_DIR = Path("/run/vitrine")  # the installed service's (RuntimeDirectory=vitrine)


def runtime_dir(environ: Mapping[str, str] = os.environ) -> Path:
    """The daemon's runtime files (its console socket): $RUNTIME_DIRECTORY (systemd sets it
    from the unit's RuntimeDirectory=, /run/vitrine), else $XDG_RUNTIME_DIR/vitrine (the
    user's own session, for `vitrine demo`), else /tmp/vitrine-UID."""
    if environ.get("RUNTIME_DIRECTORY"):
        return Path(environ["RUNTIME_DIRECTORY"].split(":")[0])
    if environ.get("XDG_RUNTIME_DIR"):
        return Path(environ["XDG_RUNTIME_DIR"]) / "vitrine"
    return Path(f"/tmp/vitrine-{os.getuid()}")
