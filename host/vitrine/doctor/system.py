"""The machine's checks: camera, models, browser, display, free disk space, clock."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
import subprocess
from collections.abc import Callable, Mapping
from pathlib import Path

from vitrine.doctor.check import Check
from vitrine.paths import shared_dir, state_dir

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


def model_folders(environ: Mapping[str, str] = os.environ) -> list[Path]:
    """Where ONNX models are looked for, in order: $VITRINE_MODELS_DIR, the state folder's
    models/ (an installed mirror), the shared folder beside a source checkout."""
    folders = [Path(environ["VITRINE_MODELS_DIR"])] if environ.get("VITRINE_MODELS_DIR") else []
    return [*folders, state_dir() / "models", shared_dir() / "models"]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def check_models(folders: list[Path]) -> Check:
    """The first folder holding *.onnx files; each listed in its SHA256SUMS must match."""
    for folder in folders:
        models = sorted(folder.glob("*.onnx"))
        if not models:
            continue
        sums_file = folder / "SHA256SUMS"
        if not sums_file.exists():
            return Check("models", "ok", f"{folder}: {len(models)} ONNX models (no SHA256SUMS)")
        sums = {}
        for line in sums_file.read_text().splitlines():
            if line.strip():
                digest, name = line.split(None, 1)
                sums[name.strip().lstrip("*")] = digest.lower()  # "*name": binary mode
        bad = [m.name for m in models if m.name in sums and _sha256(m) != sums[m.name]]
        if bad:
            return Check(
                "models",
                "fail",
                f"{folder}: {', '.join(bad)}: SHA-256 differs from {sums_file}",
                "install those models again (models/README.md)",
            )
        return Check("models", "ok", f"{folder}: {len(models)} ONNX models, SHA-256 checked")
    return Check(
        "models",
        "warn",
        f"no ONNX models in {', '.join(str(f) for f in folders)}",
        f"install them into {state_dir() / 'models'} (models/README.md); the vision "
        "features stay off without them",
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
