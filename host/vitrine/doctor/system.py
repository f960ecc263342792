"""The machine's checks: camera, models, browser, display, free disk space, clock."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
from collections.abc import Callable, Mapping
from pathlib import Path

from vitrine.doctor.check import Check
from vitrine.vision.models import (
    ModelCorrupt,
    ModelEntry,
    ModelError,
    ModelMissing,
    install_folder,
    load_manifest,
    model_folders,
    verified,
)

MIN_YEAR = 2025  # a clock before this has never been set (a board without an RTC at boot)
TIMESYNC_FLAG = Path("/run/systemd/timesync/synchronized")  # systemd-timesyncd's mark
BROWSERS = ("chromium", "chromium-browser")


def check_camera(dev: Path = Path("/dev")) -> Check:
    """A V4L2 device is present, and this user may open one."""
    cameras = sorted(dev.glob("video*"))
    if not cameras:
        return Check(
            "camera",
            "warn",
            f"no camera: no {dev}/video* device",
            "plug in the USB camera; the vision features stay off without one",
        )
    names = ", ".join(str(c) for c in cameras)
    if not any(os.access(c, os.R_OK | os.W_OK) for c in cameras):
        return Check(
            "camera",
            "warn",
            f"{names}: present, but this user cannot open them",
            "the daemon's unit adds the video group; for this user: usermod -aG video USER",
        )
    return Check("camera", "ok", names)


def check_models(
    folders: list[Path] | None = None, entries: Mapping[str, ModelEntry] | None = None
) -> Check:
    """Every model the manifest (models/manifest.toml) requires is in one of the folders with
    its SHA-256; a missing one is a warning (vision stays off), a corrupt one a failure."""
    folders = folders if folders is not None else model_folders()
    try:
        entries = entries if entries is not None else load_manifest()
    except ModelError as err:
        return Check("models", "fail", str(err), "restore models/manifest.toml from the release")
    found, missing, corrupt = [], [], []
    for entry in entries.values():
        try:
            found.append(verified(entry, folders))
        except ModelCorrupt:
            corrupt.append(entry.name)
        except ModelMissing:
            if entry.required:
                missing.append(entry.name)
    where = ", ".join(str(f) for f in folders)
    if corrupt:
        return Check(
            "models",
            "fail",
            f"corrupt (SHA-256 differs from the manifest): {', '.join(corrupt)}",
            f"install them again: vitrine models install {' '.join(corrupt)}",
        )
    if missing:
        return Check(
            "models",
            "warn",
            f"missing in {where}: {', '.join(missing)}",
            f"vitrine models install [--from DIR] (into {install_folder()}); the vision "
            "features stay off without them",
        )
    folders_used = sorted({str(p.parent) for p in found})
    return Check(
        "models", "ok", f"{len(found)} models, SHA-256 checked, in {', '.join(folders_used)}"
    )


def check_browser(which: Callable[[str], str | None] = shutil.which) -> Check:
    """Chromium, which the kiosk runs, is installed."""
    for name in BROWSERS:
        found = which(name)
        if found:
            return Check("browser", "ok", found)
    return Check(
        "browser",
        "warn",
        f"no Chromium ({' or '.join(BROWSERS)} on PATH)",
        "apt install chromium (the kiosk shows the player in it)",
    )


def check_display(
    environ: Mapping[str, str] = os.environ, x11: Path = Path("/tmp/.X11-unix")
) -> Check:
    """A graphical session the kiosk can show on."""
    for name in ("WAYLAND_DISPLAY", "DISPLAY"):
        if environ.get(name):
            return Check("display", "ok", f"{name}={environ[name]}")
    servers = sorted(p.name for p in x11.glob("X*"))
    if servers:
        return Check(
            "display", "ok", f"an X server runs ({', '.join(servers)}); this shell has no DISPLAY"
        )
    return Check(
        "display",
        "warn",
        "no display: neither DISPLAY nor WAYLAND_DISPLAY is set, and no X server runs",
        "the kiosk needs a graphical session: log the kiosk user in on the display "
        "(a display manager with automatic login)",
    )


def check_disk(path: Path, min_free_mb: float) -> Check:
    """At least min_free_mb megabytes free on the file system holding path."""
    usage = shutil.disk_usage(path)
    free_mb = usage.free / 1e6
    detail = f"{path}: {free_mb / 1000:.1f} GB free of {usage.total / 1e9:.1f} GB"
    if free_mb < min_free_mb:
        return Check(
            "disk",
            "fail",
            f"{detail}; needs at least {min_free_mb / 1000:.1f} GB",
            f"free space on the file system of {path} (old logs: journalctl --vacuum-size=100M)",
        )
    return Check("disk", "ok", detail)


def timedatectl_synchronized() -> bool | None:
    """NTPSynchronized as timedatectl reports it; None when it cannot say."""
    try:
        result = subprocess.run(
            ["timedatectl", "show", "-p", "NTPSynchronized", "--value"],
            capture_output=True,
            text=True,
            timeout=3,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    answer = result.stdout.strip()
    return {"yes": True, "no": False}.get(answer) if result.returncode == 0 else None


def check_clock(
    now: dt.datetime | None = None,
    flag: Path = TIMESYNC_FLAG,
    synchronized: Callable[[], bool | None] = timedatectl_synchronized,
) -> Check:
    """The clock is plausibly set (year >= MIN_YEAR) and synchronized with NTP."""
    now = now or dt.datetime.now(dt.UTC)
    stamp = now.strftime("%Y-%m-%d %H:%M UTC")
    if now.year < MIN_YEAR:
        return Check(
            "clock",
            "fail",
            f"the clock says {stamp}: never set",
            "set it from the network: timedatectl set-ntp true (needs an NTP server)",
        )
    if flag.exists():
        return Check("clock", "ok", f"{stamp}, synchronized (systemd-timesyncd)")
    synced = synchronized()
    if synced:
        return Check("clock", "ok", f"{stamp}, NTP-synchronized")
    return Check(
        "clock",
        "warn",
        f"{stamp}, " + ("not NTP-synchronized" if synced is False else "synchronization unknown"),
        "timedatectl set-ntp true, and let the mirror reach an NTP server "
        "(analytics and logs need the right time)",
    )
