"""The doctor's machine checks, each against a folder or clock the test sets up."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

from vitrine.cli.doctor import render_table
from vitrine.doctor.check import Check, exit_code
from vitrine.doctor.system import (
    check_browser,
    check_camera,
    check_clock,
    check_disk,
    check_display,
    check_models,
)
from vitrine.vision.models import ModelEntry

NOW = dt.datetime(2026, 3, 1, 9, 30, tzinfo=dt.UTC)


def test_camera_missing_is_a_warning_present_is_ok(tmp_path: Path) -> None:
    missing = check_camera(tmp_path)
    assert (missing.status, missing.detail) == ("warn", f"no camera: no {tmp_path}/video* device")
    assert missing.fix.startswith("plug in the USB camera")
    (tmp_path / "video0").write_bytes(b"")
    (tmp_path / "video1").write_bytes(b"")
    assert check_camera(tmp_path) == Check("camera", "ok", f"{tmp_path}/video0, {tmp_path}/video1")


def _entry(name: str, data: bytes, required: bool = True) -> ModelEntry:
    return ModelEntry(
        name=name,
        file=f"{name}.onnx",
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        licence="MIT",
        upstream="test",
        input="-",
        decoding="-",
        required=required,
    )


def test_models_are_checked_against_the_manifest(tmp_path: Path) -> None:
    empty, shop = tmp_path / "empty", tmp_path / "shop"
    empty.mkdir()
    shop.mkdir()
    entries = {
        "face": _entry("face", b"weights"),
        "person": _entry("person", b"more weights"),
        "extra": _entry("extra", b"optional", required=False),
    }
    none = check_models([empty, shop], entries)
    assert none.status == "warn"
    assert none.detail == f"missing in {empty}, {shop}: face, person"
    assert "vitrine models install" in none.fix

    (shop / "face.onnx").write_bytes(b"weights")
    (shop / "person.onnx").write_bytes(b"other weights")
    bad = check_models([empty, shop], entries)
    assert bad.status == "fail"
    assert bad.detail == "corrupt (SHA-256 differs from the manifest): person"
    assert bad.fix == "install them again: vitrine models install person"

    (shop / "person.onnx").write_bytes(b"more weights")
    ok = check_models([empty, shop], entries)
    assert (ok.status, ok.detail) == ("ok", f"2 models, SHA-256 checked, in {shop}")


def test_browser_found_or_how_to_install_it() -> None:
    found = check_browser(lambda name: "/usr/bin/chromium" if name == "chromium" else None)
    assert found == Check("browser", "ok", "/usr/bin/chromium")
    missing = check_browser(lambda name: None)
    assert missing.status == "warn"
    assert missing.fix.startswith("apt install chromium")


def test_display_from_the_environment_or_a_running_x_server(tmp_path: Path) -> None:
    assert check_display({"DISPLAY": ":0"}, tmp_path).detail == "DISPLAY=:0"
    assert check_display({"WAYLAND_DISPLAY": "wayland-0"}, tmp_path).status == "ok"
    none = check_display({}, tmp_path)
    assert none.status == "warn"
    assert "graphical session" in none.fix
    (tmp_path / "X0").write_bytes(b"")
    assert check_display({}, tmp_path).detail == "an X server runs (X0); this shell has no DISPLAY"


def test_disk_below_the_threshold_fails(tmp_path: Path) -> None:
    assert check_disk(tmp_path, 0).status == "ok"
    low = check_disk(tmp_path, 1e12)
    assert low.status == "fail"
    assert low.detail.endswith("needs at least 1000000000.0 GB")
    assert low.fix.startswith(f"free space on the file system of {tmp_path}")


def test_clock_never_set_fails(tmp_path: Path) -> None:
    check = check_clock(dt.datetime(1970, 1, 1, tzinfo=dt.UTC), tmp_path / "x", lambda: True)
    assert check.status == "fail"
    assert check.detail == "the clock says 1970-01-01 00:00 UTC: never set"
    assert "timedatectl set-ntp true" in check.fix


def test_clock_synchronization_from_timesyncd_or_timedatectl(tmp_path: Path) -> None:
    flag = tmp_path / "synchronized"

    def never() -> bool | None:
        raise AssertionError("timedatectl asked although timesyncd's flag is there")

    flag.write_bytes(b"")
    assert check_clock(NOW, flag, never).detail == (
        "2026-03-01 09:30 UTC, synchronized (systemd-timesyncd)"
    )
    flag.unlink()
    assert check_clock(NOW, flag, lambda: True).status == "ok"
    unsynced = check_clock(NOW, flag, lambda: False)
    assert (unsynced.status, unsynced.detail) == (
        "warn",
        "2026-03-01 09:30 UTC, not NTP-synchronized",
    )
    unknown = check_clock(NOW, flag, lambda: None)
    assert unknown.detail.endswith("synchronization unknown")


def test_exit_code_fails_only_on_a_failure() -> None:
    assert exit_code([Check("a", "ok", ""), Check("b", "warn", "", "x")]) == 0
    assert exit_code([Check("a", "ok", ""), Check("c", "fail", "", "y")]) == 1


def test_the_table_aligns_columns_and_puts_what_to_do_under_the_check() -> None:
    table = render_table(
        [
            Check("config", "ok", "/etc/vitrine/vitrine.toml: valid"),
            Check("board touch", "fail", "/dev/ttyACM0: down\nsecond line", "plug it in"),
        ]
    )
    assert table.splitlines() == [
        "config       ok    /etc/vitrine/vitrine.toml: valid",
        "board touch  FAIL  /dev/ttyACM0: down",
        "                   second line",
        "                   -> plug it in",
    ]
