"""Where a running demo keeps its data, for the commands that read it (`vitrine catalog`,
`vitrine experiments --demo`): `vitrine demo` writes demo.json into its simulation's state
folder while it runs ({"pid", "url", "data_dir"}) and removes it when it stops."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

RECORD = "demo.json"  # in the simulation's state folder


@dataclass(frozen=True, slots=True)
class DemoRecord:
    """A demo that runs now: its process, its player's URL and its data folder."""

    pid: int
    url: str
    data_dir: Path


def write_record(state_dir: Path, url: str, data_dir: Path) -> Path:
    """Record this process as the demo running in state_dir; returns the file to remove."""
    path = state_dir / RECORD
    data = {"pid": os.getpid(), "url": url, "data_dir": str(data_dir.resolve())}
    tmp = path.with_name(f".{RECORD}.{os.getpid()}")
    tmp.write_text(json.dumps(data, indent=2) + "\n")
    tmp.replace(path)
    return path


def running_demo(state_dir: Path | None = None) -> DemoRecord | None:
    """The demo running in state_dir (default: the simulations' default state folder), or
    None when none runs there (no record, an unreadable one, or its process has ended)."""
    from vitrine.sim.control import default_state_dir

    path = (state_dir or default_state_dir()) / RECORD
    try:
        data = json.loads(path.read_text())
        record = DemoRecord(int(data["pid"]), str(data["url"]), Path(data["data_dir"]))
    except (OSError, ValueError, TypeError, KeyError):
        return None
    return record if _alive(record.pid) else None


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, under another user
    return True
