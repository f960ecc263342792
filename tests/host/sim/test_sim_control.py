"""The client's side of a simulation's control socket (vitrine.sim.control): where it looks,
and what it says when nobody or nothing sensible answers. It imports without the simulation."""

from __future__ import annotations

import asyncio
import os
import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from vitrine.sim.control import default_state_dir, own_state_dir, request
from vitrine.sim.errors import SimError


def test_the_client_imports_without_the_simulation() -> None:
    # The benchmarks and `vitrine sim fault/status/finger/play` need only the client: not the
    # board processes or the glass model (numpy).
    code = (
        "import sys, vitrine.sim.control; "
        "print(sorted(m for m in sys.modules if m in ('numpy', 'vitrine.sim.manager', "
        "'vitrine.sim.virtual_board', 'vitrine.sim.glass')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "[]"


async def test_request_without_a_simulation_says_how_to_start_one(tmp_path: Path) -> None:
    with pytest.raises(SimError) as info:
        await request(tmp_path, {"op": "status"}, timeout=1)
    text = str(info.value)
    assert text.startswith(f"no simulation running in {tmp_path} (")
    assert text.endswith("start one with: vitrine sim")


async def test_request_to_a_stale_control_socket(tmp_path: Path) -> None:
    stale = socket.socket(socket.AF_UNIX)
    stale.bind(str(tmp_path / "control.sock"))  # a socket file nobody listens on
    stale.close()
    with pytest.raises(SimError, match="start one with: vitrine sim"):
        await request(tmp_path, {"op": "status"}, timeout=1)


async def test_a_simulation_that_hangs_up_is_a_clear_error(tmp_path: Path) -> None:
    async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readline()
        writer.close()

    server = await asyncio.start_unix_server(hang_up, path=str(tmp_path / "control.sock"))
    try:
        with pytest.raises(SimError, match="hung up without answering"):
            await request(tmp_path, {"op": "status"}, timeout=2)
    finally:
        server.close()


def test_default_state_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("VITRINE_SIM_DIR", str(tmp_path / "sim"))
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path / "run"))
    assert default_state_dir() == tmp_path / "sim"
    monkeypatch.delenv("VITRINE_SIM_DIR")
    assert default_state_dir() == tmp_path / "run" / "vitrine-sim"
    monkeypatch.delenv("XDG_RUNTIME_DIR")
    assert str(default_state_dir()).startswith("/tmp/vitrine-sim-")


def test_the_state_folder_is_made_for_this_user_alone(tmp_path: Path) -> None:
    path = own_state_dir(tmp_path / "sim")
    assert stat.S_IMODE(path.stat().st_mode) == 0o700


def test_a_state_folder_others_may_write_into_is_refused(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    with pytest.raises(SimError, match=r"may be written by others \(mode 777\): chmod 700"):
        own_state_dir(shared)


def test_a_state_folder_that_is_a_link_is_refused(tmp_path: Path) -> None:
    (tmp_path / "elsewhere").mkdir(mode=0o700)
    (tmp_path / "sim").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(SimError, match="not a folder of its own"):
        own_state_dir(tmp_path / "sim")


def test_someone_elses_state_folder_is_refused(tmp_path: Path, monkeypatch) -> None:
    folder = own_state_dir(tmp_path / "sim")
    monkeypatch.setattr(os, "getuid", lambda: folder.stat().st_uid + 1)
    with pytest.raises(SimError, match="belongs to user id"):
        own_state_dir(folder)
