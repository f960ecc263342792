"""`vitrine install-service`: units written into a folder, checked by systemd-analyze verify;
existing files kept unless --force; the steps left to a person."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from vitrine.cli import main
from vitrine.service.install import blocked_at, next_steps, write_units
from vitrine.service.units import DAEMON_UNIT, KIOSK_UNIT, ServiceError, UnitValues, render_units

SYSTEMD_ANALYZE = shutil.which("systemd-analyze")
needs_analyze = pytest.mark.skipif(
    SYSTEMD_ANALYZE is None,
    reason="systemd-analyze is missing (Debian package systemd; tools/setup-system.sh)",
)
VITRINE = Path(sys.executable).parent / "vitrine"  # the command the venv installs


def verify(*units: Path) -> str:
    """systemd-analyze verify's complaints about the units (empty when there are none)."""
    assert SYSTEMD_ANALYZE is not None
    result = subprocess.run(
        [SYSTEMD_ANALYZE, "verify", *map(str, units)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "SYSTEMD_LOG_COLOR": "0"},
    )
    return (result.stdout + result.stderr).strip() or (
        "" if result.returncode == 0 else f"exit code {result.returncode}"
    )


def install(tmp_path: Path, *extra: str, executable: Path = VITRINE) -> int:
    config = tmp_path / "vitrine.toml"
    if not config.exists():
        config.write_text("[http]\nport = 8123\n")
    return main(
        [
            "install-service",
            "--unit-dir",
            str(tmp_path / "units"),
            "--config",
            str(config),
            "--exec",
            str(executable),
            "--kiosk-user",
            "shop",
            "--browser",
            sys.executable,  # a real executable where Chromium is not installed
            *extra,
        ]
    )


@needs_analyze
def test_installed_units_pass_systemd_analyze_verify(tmp_path: Path, capsys) -> None:
    assert install(tmp_path) == 0
    units = tmp_path / "units"
    assert sorted(p.name for p in units.iterdir()) == [KIOSK_UNIT, DAEMON_UNIT]
    assert stat.S_IMODE((units / DAEMON_UNIT).stat().st_mode) == 0o644
    assert verify(units / DAEMON_UNIT) == ""
    assert verify(units / KIOSK_UNIT) == ""
    out = capsys.readouterr().out
    assert f"written   {units / DAEMON_UNIT}" in out
    assert "shows http://127.0.0.1:8123/ as shop" in out  # the port from the config


@needs_analyze
def test_an_executable_path_with_a_space_reaches_systemd_whole(tmp_path: Path) -> None:
    folder = tmp_path / "my venv" / "bin"
    folder.mkdir(parents=True)
    (folder / "vitrine").symlink_to(VITRINE)
    assert install(tmp_path, executable=folder / "vitrine") == 0
    assert verify(tmp_path / "units" / DAEMON_UNIT) == ""


@needs_analyze
def test_verify_does_report_a_broken_unit(tmp_path: Path) -> None:
    # The check above means something only if verify speaks up about a bad unit.
    assert install(tmp_path, executable=tmp_path / "no-such-vitrine") == 0
    unit = tmp_path / "units" / DAEMON_UNIT
    assert "no-such-vitrine" in verify(unit)
    unit.write_text(unit.read_text().replace("Type=notify", "Type=notify\nWatchdogSecs=1"))
    assert "Unknown key 'WatchdogSecs'" in verify(unit)


def test_a_different_existing_unit_is_kept_without_force(tmp_path: Path, capsys) -> None:
    assert install(tmp_path) == 0
    unit = tmp_path / "units" / DAEMON_UNIT
    unit.write_text(unit.read_text() + "# a local edit\n")
    capsys.readouterr()

    assert install(tmp_path, "--display", ":1") == 2
    err = capsys.readouterr().err
    assert f"{unit} exists and differs" in err
    assert "--force" in err
    assert unit.read_text().endswith("# a local edit\n")
    kiosk = (tmp_path / "units" / KIOSK_UNIT).read_text()
    assert "DISPLAY=:0" in kiosk  # nothing was written, not even the unit that could be

    assert install(tmp_path, "--display", ":1", "--force") == 0
    out = capsys.readouterr().out
    assert f"replaced  {unit}" in out
    assert "# a local edit" not in unit.read_text()
    assert "DISPLAY=:1" in (tmp_path / "units" / KIOSK_UNIT).read_text()

    assert install(tmp_path, "--display", ":1") == 0
    assert f"unchanged {unit}" in capsys.readouterr().out


def test_dry_run_prints_the_units_and_writes_nothing(tmp_path: Path, capsys) -> None:
    assert install(tmp_path, "--dry-run") == 0
    out = capsys.readouterr().out
    assert f"# {tmp_path / 'units' / DAEMON_UNIT}\n" in out
    assert f"ExecStart={VITRINE} run --config {tmp_path / 'vitrine.toml'}" in out
    assert not (tmp_path / "units").exists()


def test_no_kiosk_writes_only_the_daemon_unit(tmp_path: Path) -> None:
    config = tmp_path / "vitrine.toml"
    config.write_text("")
    args = ["install-service", "--unit-dir", str(tmp_path / "u"), "--config", str(config)]
    assert main([*args, "--no-kiosk"]) == 0
    assert [p.name for p in (tmp_path / "u").iterdir()] == [DAEMON_UNIT]


def test_a_config_with_any_free_port_cannot_feed_a_kiosk(tmp_path: Path, capsys) -> None:
    (tmp_path / "vitrine.toml").write_text("[http]\nport = 0\n")
    assert install(tmp_path) == 2
    assert "[http] port = 0: the kiosk needs a fixed port" in capsys.readouterr().err


def test_an_invalid_config_stops_the_install_naming_the_key(tmp_path: Path, capsys) -> None:
    (tmp_path / "vitrine.toml").write_text("[http]\nport = 70000\n")
    assert install(tmp_path) == 2
    assert "http.port = 70000" in capsys.readouterr().err
    assert not (tmp_path / "units").exists()


def test_next_steps_name_the_missing_user_config_and_systemctl(tmp_path: Path) -> None:
    values = UnitValues(
        executable=VITRINE,
        config=tmp_path / "missing.toml",
        user="vitrine-no-such-user",
        kiosk_user="kiosk-no-such-user",
    )
    units = render_units(values)
    steps = next_steps(values, units, Path("/etc/systemd/system"), browser_found=False)
    assert steps[0] == (
        "create the daemon's user: useradd --system --user-group --home-dir /var/lib/vitrine "
        "--no-create-home --shell /usr/sbin/nologin vitrine-no-such-user"
    )
    text = "\n".join(steps)
    assert "the kiosk user kiosk-no-such-user does not exist here" in text
    assert "install Chromium (/usr/bin/chromium): apt install chromium" in text
    assert f"write the config {tmp_path / 'missing.toml'}" in text
    assert "copy the units" not in text  # /etc/systemd/system is where systemd looks
    assert steps[-3] == f"systemctl enable --now {DAEMON_UNIT} {KIOSK_UNIT}"
    # The daemon's console socket is its group's: a technician joins it.
    assert steps[-1].startswith("let a technician reach the boards with `vitrine console`")
    assert steps[-1].endswith("usermod -aG vitrine-no-such-user NAME (or use sudo)")


def test_a_folder_closed_to_others_is_named() -> None:
    base = Path(tempfile.mkdtemp(prefix="vitrine-access-"))  # pytest's own folders are closed
    base.chmod(0o755)
    home = base / "home"
    (home / "bin").mkdir(parents=True)
    script = home / "bin" / "vitrine"
    script.write_text("#!/bin/sh\n")
    script.chmod(0o755)
    try:
        home.chmod(0o700)
        assert blocked_at(script, None, set(), 5) == home  # an unrelated user stops there
        assert blocked_at(script, home.stat().st_uid, set(), 5) is None  # the owner passes
        assert blocked_at(script, 0, set(), 5) is None
        home.chmod(0o750)
        assert blocked_at(script, None, {home.stat().st_gid}, 5) is None  # a group member
        home.chmod(0o755)
        script.chmod(0o700)
        assert blocked_at(script, None, set(), 5) == script
    finally:
        shutil.rmtree(base)


def test_a_unit_folder_that_is_a_file_is_named(tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("")
    with pytest.raises(ServiceError, match=f"{blocked}/{DAEMON_UNIT}: cannot read: Not a dir"):
        write_units({DAEMON_UNIT: "x"}, blocked)
