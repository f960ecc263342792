"""`vitrine doctor`: is this mirror set up to run? Each check says ok, warn or fail, what it
found, and what to do when not ok: config, daemon and boards, camera, models, browser,
display, disk space, clock."""

from __future__ import annotations

import asyncio
from pathlib import Path

from vitrine.config import Config
from vitrine.doctor.boards import check_boards
from vitrine.doctor.check import Check, exit_code
from vitrine.doctor.config import check_config
from vitrine.doctor.system import (
    check_browser,
    check_camera,
    check_clock,
    check_disk,
    check_display,
    check_models,
)
from vitrine.firmware import build_hash
from vitrine.hardware import load_boards
from vitrine.paths import state_dir

__all__ = ["Check", "exit_code", "run_checks"]

MIN_FREE_MB = 1000.0


def disk_path(config: Config | None = None) -> Path:
    """Where the daemon writes: its data folder ([data] dir, else the state folder) once it
    exists, else the home folder."""
    data = config.data.path() if config is not None else state_dir()
    return data if data.exists() else Path.home()


def run_checks(
    config_path: Path | None = None,
    *,
    timeout_s: float = 3.0,
    min_free_mb: float = MIN_FREE_MB,
) -> list[Check]:
    """Every check, in order. With an invalid config, the boards are checked with the
    defaults (USB discovery), so one problem does not hide the others."""
    config_check, config = check_config(config_path)
    checks = [config_check]
    checks += asyncio.run(
        check_boards(config or Config(), build_hash(), load_boards(), timeout_s=timeout_s)
    )
    checks += [
        check_camera(),
        check_models(),
        check_browser(),
        check_display(),
        check_disk(disk_path(config), min_free_mb),
        check_clock(),
    ]
    return checks
