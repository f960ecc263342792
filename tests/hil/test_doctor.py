"""`vitrine doctor` against virtual boards: with no daemon it opens their ports itself; with a
daemon running it asks the status API; a firmware build, a wire schema, a missing port, a
port held by another program and an invalid config each get their status and what to do."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest
import serial

from tests.hil.conftest import simulation
from vitrine.bench.daemon import free_port, write_config
from vitrine.firmware import build_hash
from vitrine.paths import firmware_dir
from vitrine.sim.virtual_board import BoardOptions
from vitrine_fw import wire

from .conftest import make_rig

pytestmark = pytest.mark.hil


async def doctor(
    config: Path, *args: str, env: dict[str, str] | None = None
) -> tuple[int, dict[str, Any]]:
    """Exit code and JSON of `vitrine doctor --json` run as a separate process."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "vitrine",
        "doctor",
        "--config",
        str(config),
        "--json",
        "--min-free-mb",
        "0",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, **(env or {})},
    )
    async with asyncio.timeout(60):
        out, err = await proc.communicate()
    assert proc.returncode is not None
    assert b"Traceback" not in err, err.decode()
    result = json.loads(out)
    failed = any(c["status"] == "fail" for c in result["checks"])
    assert proc.returncode == (1 if failed else 0)
    assert result["ok"] is not failed
    return proc.returncode, result


def by_name(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["name"]: c for c in result["checks"]}


async def test_without_a_daemon_the_boards_ports_are_opened_and_match(tmp_path: Path) -> None:
    async with simulation(tmp_path, ["touch", "lights", "beacon"]) as sim:
        config = write_config(tmp_path / "vitrine.toml", sim.ports(), free_port())
        code, result = await doctor(config)
    checks = by_name(result)
    assert checks["config"] == {
        "name": "config",
        "status": "ok",
        "detail": f"{config}: valid",
        "fix": "",
    }
    assert checks["daemon"]["status"] == "warn"
    assert "no daemon answers at http://127.0.0.1:" in checks["daemon"]["detail"]
    # every role's subsystems run, the beacon's BLE one included (its virtual radio)
    for role in ("touch", "lights", "beacon"):
        board = checks[f"board {role}"]
        assert board["status"] == "ok", board
        assert board["detail"].startswith(f"{sim.ports()[role]}: firmware ")
        assert f"build {build_hash()} (this host's)" in board["detail"]
    assert code == 0


async def test_a_board_with_another_firmware_build_is_told_to_reflash(tmp_path: Path) -> None:
    # This host's firmware files differ from what the boards run: one byte more in main.py.
    newer = tmp_path / "firmware"
    shutil.copytree(firmware_dir(), newer, ignore=shutil.ignore_patterns("__pycache__"))
    (newer / "main.py").write_text((newer / "main.py").read_text() + "\n# newer\n")
    async with simulation(tmp_path, ["touch"]) as sim:
        config = write_config(tmp_path / "vitrine.toml", sim.ports(), free_port())
        code, result = await doctor(config, env={"VITRINE_FIRMWARE_DIR": str(newer)})
    board = by_name(result)["board touch"]
    port = sim.ports()["touch"]
    assert board["status"] == "warn"
    assert f"build {build_hash()}; this host's firmware is build " in board["detail"]
    assert board["fix"] == f"reflash with `vitrine flash --port {port} --role touch`"
    assert code == 0  # a warning, not a failure: the board works


async def test_a_board_speaking_an_older_wire_schema_fails_with_reflash(tmp_path: Path) -> None:
    old = BoardOptions(pose_schema=f"{wire.SCHEMA_REV - 1}:0x1234abcd")
    async with simulation(tmp_path, ["lights"], {"lights": old}) as sim:
        config = write_config(tmp_path / "vitrine.toml", sim.ports(), free_port())
        code, result = await doctor(config)
    board = by_name(result)["board lights"]
    assert board["status"] == "fail"
    assert "refused" in board["detail"]
    assert "update the board firmware" in board["detail"]
    assert (
        board["fix"] == f"reflash with `vitrine flash --port {sim.ports()['lights']} --role lights`"
    )
    assert code == 1


async def test_a_missing_pinned_port_fails_and_says_to_plug_it_in(tmp_path: Path) -> None:
    config = write_config(
        tmp_path / "vitrine.toml", {"presence": str(tmp_path / "ttyACM9")}, free_port()
    )
    code, result = await doctor(config, "--timeout", "1")
    board = by_name(result)["board presence"]
    assert board["status"] == "fail"
    assert "not present" in board["detail"]
    assert board["fix"] == "plug the board in, or correct its port in [boards] ports"
    assert code == 1


async def test_a_port_held_by_another_program_is_a_warning(tmp_path: Path) -> None:
    async with simulation(tmp_path, ["touch"]) as sim:
        config = write_config(tmp_path / "vitrine.toml", sim.ports(), free_port())
        with serial.Serial(sim.ports()["touch"], exclusive=True):
            code, result = await doctor(config, "--timeout", "1")
    board = by_name(result)["board touch"]
    assert board["status"] == "warn"
    assert "busy" in board["detail"]
    assert board["fix"].startswith(f"close the program that holds {sim.ports()['touch']}")
    assert code == 0


async def test_with_the_daemon_running_its_status_api_is_asked(tmp_path: Path) -> None:
    async with make_rig(tmp_path, roles=["touch", "presence"]) as rig:
        for role in ("touch", "presence"):
            await rig.wait_board(role, lambda b: b["state"] == "up")
        config = write_config(tmp_path / "vitrine.toml", rig.sim.ports(), rig.daemon.http_port or 0)
        code, result = await doctor(config)
        after = {b["name"]: b for b in (await rig.status())["boards"]}
    checks = by_name(result)
    assert checks["daemon"]["status"] == "ok"
    assert checks["daemon"]["detail"].startswith(
        f"vitrine {after['touch']['firmware_version']} at http://127.0.0.1:{rig.daemon.http_port}/"
    )
    assert checks["board touch"]["status"] == "ok"
    assert checks["board touch"]["detail"].endswith("(this host's) (the daemon's link)")
    # The presence board's firmware runs the proximity subsystem its role needs (a board
    # lacking one is a warning: tests/host/test_board_fit.py).
    presence = checks["board presence"]
    assert presence["status"] == "ok", presence
    assert presence["detail"].endswith("(this host's) (the daemon's link)")
    for role in ("touch", "presence"):
        # The doctor did not touch the daemon's ports: its links never dropped.
        assert after[role]["counters"]["connects"] == 1
        assert after[role]["counters"]["link_losses"] == 0
    assert code == 0


async def test_an_invalid_config_fails_with_key_value_and_what_to_do(tmp_path: Path) -> None:
    config = tmp_path / "vitrine.toml"
    config.write_text("[link]\nmissed_heartbeats = 1\n\n[boards]\ndiscover_usb = false\n")
    code, result = await doctor(config, "--timeout", "1")
    check = by_name(result)["config"]
    assert check["status"] == "fail"
    assert check["detail"] == (
        f"{config}: link.missed_heartbeats = 1: Input should be greater than or equal to 2"
    )
    assert check["fix"].startswith(f"correct {config}: each problem names the key")
    assert code == 1


async def test_too_little_disk_space_fails_with_what_to_do(tmp_path: Path) -> None:
    config = write_config(tmp_path / "vitrine.toml", {}, free_port())
    code, result = await doctor(config, "--min-free-mb", "1e9")  # a petabyte
    disk = by_name(result)["disk"]
    assert disk["status"] == "fail"
    assert "needs at least 1000000.0 GB" in disk["detail"]
    assert disk["fix"].startswith("free space on the file system of ")
    assert code == 1
