"""`vitrine flash` end to end: unmodified mpremote (as a library) against the raw-REPL virtual
board, which then boots the flashed firmware and answers HELLO over the wire protocol."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from vitrine.firmware import build_hash
from vitrine.flash.fileset import BoardFile, FlashError, board_files
from vitrine.flash.flash import FlashOptions, FlashPlan, Reporter, flash_board
from vitrine.hardware import load_boards
from vitrine.sim.repl_board import ReplBoard, ReplOptions, why_unavailable
from vitrine_fw.bootflag import REPL_MESSAGE

pytestmark = [
    pytest.mark.hil,
    pytest.mark.skipif(why_unavailable() is not None, reason=str(why_unavailable())),
    pytest.mark.timeout(120),
]

VITRINE = str(Path(sys.executable).with_name("vitrine"))
MPREMOTE = str(Path(sys.executable).with_name("mpremote"))


def on_board(board: ReplBoard) -> dict[str, bytes]:
    """The board's files as its flash keeps them (the state file), read without the board."""
    state = json.loads(board.state_path.read_text())
    return {k.lstrip("/"): base64.b64decode(v) for k, v in state.items() if not k.endswith("/")}


async def flash(board: ReplBoard, role: str = "touch", reporter: Reporter | None = None, **options):
    return await asyncio.to_thread(
        flash_board, board.port, role, FlashOptions(**options), reporter=reporter
    )


async def mpremote(board: ReplBoard, *args: str) -> str:
    proc = await asyncio.create_subprocess_exec(
        MPREMOTE, "connect", board.port, *args, stdout=-1, stderr=-1
    )
    async with asyncio.timeout(30):
        out, err = await proc.communicate()
    assert proc.returncode == 0, err.decode()
    return out.decode()


async def test_fresh_board_gets_every_file_verified_and_says_hello() -> None:
    expected = board_files(load_boards()["touch"])
    async with ReplBoard() as board:
        result = await flash(board)
        assert result.written == [f.path for f in expected]
        assert result.bytes_written == sum(len(f.data) for f in expected)
        assert result.board_uid  # from the HELLO of the freshly reset board
        # The tool's reset left the reset flag: the firmware reports it as one asked for, not
        # as the port's own cause for machine.reset() (hard on this ESP32-like board).
        assert result.board_reset_cause == "soft"
        files = on_board(board)
        for f in expected:
            assert hashlib.sha256(files[f.path]).hexdigest() == f.sha256, f.path
        assert files["lib/vitrine_fw/link.mpy"][:1] == b"M"  # compiled, not source
        assert "lib/vitrine_fw/link.py" not in files
        assert json.loads(files["config.json"])["build_hash"] == build_hash()


async def test_role_gets_only_its_subsystems() -> None:
    paths = [f.path for f in board_files(load_boards()["lights"])]
    assert "lib/vitrine_fw/link.mpy" in paths
    assert not [p for p in paths if p.startswith("lib/vitrine_fw/touch/")]
    assert paths[-2:] == ["config.json", "main.py"]  # main.py only once all else is there


async def test_reflash_skips_unchanged_files_and_removes_stale_ones(tmp_path: Path) -> None:
    stale = tmp_path / "old.py"
    stale.write_text("X = 1\n")
    mine = tmp_path / "data.txt"
    mine.write_text("the builder's own file\n")
    async with ReplBoard() as board:
        await mpremote(board, "fs", "mkdir", ":lib", "+", "fs", "mkdir", ":lib/vitrine_fw")
        await mpremote(board, "fs", "cp", str(stale), ":lib/vitrine_fw/old.py")
        await mpremote(board, "fs", "cp", str(mine), ":data.txt")
        first = await flash(board)
        assert first.removed == ["lib/vitrine_fw/old.py"]
        # The firmware now runs and ignores Ctrl-C: the flash stops it through its console.
        again = await flash(board)
        assert again.written == [] and again.removed == []
        assert len(again.unchanged) == first.files
        files = on_board(board)
        assert "lib/vitrine_fw/old.py" not in files
        assert files["data.txt"] == b"the builder's own file\n"  # not Vitrine's: left alone


class Unplugger(Reporter):
    """Pulls the cable while the third file is being written."""

    def __init__(self, board: ReplBoard, loop: asyncio.AbstractEventLoop) -> None:
        self.target, self.loop, self.count, self.done = board, loop, 0, False

    def file(self, port: str, f: BoardFile) -> None:
        self.count += 1

    def advance(self, port: str, done: int) -> None:
        if self.count == 3 and not self.done:
            self.done = True
            asyncio.run_coroutine_threadsafe(self.target.unplug(), self.loop).result(10)


async def test_unplugged_mid_copy_then_a_rerun_completes() -> None:
    async with ReplBoard() as board:
        with pytest.raises(FlashError, match=r"stopped answering|no such port|could not"):
            await flash(board, reporter=Unplugger(board, asyncio.get_running_loop()))
        files = on_board(board)
        assert "main.py" not in files  # main.py comes last: the half-flashed board boots nothing
        await board.replug()
        result = await flash(board)
        assert 0 < len(result.written) < result.files  # the first files were already there
        assert result.board_uid


async def test_full_filesystem_is_refused_before_anything_is_written() -> None:
    async with ReplBoard(ReplOptions(fs_size=24 * 1024)) as board:
        with pytest.raises(FlashError, match="filesystem is full") as err:
            await flash(board)
        assert "free" in str(err.value) and "fs rm" in str(err.value)
        assert not [p for p in on_board(board) if p.startswith("lib/")]


async def test_wrong_mpy_version_is_named_and_sources_still_flash() -> None:
    older = ReplOptions(mpy=6 | 2 << 8)  # a MicroPython that loads .mpy v6.2
    async with ReplBoard(older) as board:
        with pytest.raises(FlashError, match=r"loads \.mpy v6\.2.*emits v6\.3.*--source"):
            await flash(board)
        result = await flash(board, "lights", compiled=False)
        assert "lib/vitrine_fw/link.py" in result.written
        assert result.board_uid


async def test_busy_port_names_who_holds_it() -> None:
    async with ReplBoard() as board:
        holder = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            "import serial, sys, time; s = serial.Serial(sys.argv[1], exclusive=True); "
            "print('held', flush=True); time.sleep(60)",
            board.port,
            stdout=-1,
        )
        try:
            assert holder.stdout is not None
            assert (await holder.stdout.readline()).strip() == b"held"
            with pytest.raises(FlashError, match=rf"busy: pid {holder.pid} \(python"):
                await flash(board)
        finally:
            holder.kill()
            await holder.wait()


async def test_dry_run_changes_nothing() -> None:
    async with ReplBoard() as board:
        plans: list[FlashPlan] = []

        class Keep(Reporter):
            def board(self, port: str, role: str, plan: FlashPlan) -> None:
                plans.append(plan)

        result = await flash(board, dry_run=True, reporter=Keep())
        assert result.dry_run and len(result.written) == result.files
        assert plans and plans[0].bytes_to_write == result.bytes_written
        assert not [p for p in on_board(board) if p.startswith("lib/") or p == "main.py"]


async def test_board_that_never_says_hello(tmp_path: Path) -> None:
    flag = tmp_path / "vitrine-repl.once"  # the console's "stay at the REPL" flag
    flag.write_text("repl\n")
    async with ReplBoard() as board:
        await mpremote(board, "fs", "cp", str(flag), ":vitrine-repl.once")
        with pytest.raises(FlashError, match="never said HELLO within 2 s") as refused:
            await flash(board, hello_timeout_s=2)
        assert "main.py" in on_board(board)  # the files are in place all the same
    # What the board printed at boot is in the error, for the builder to read.
    assert f"It printed:\n  {REPL_MESSAGE}" in str(refused.value)


async def test_not_a_micropython_board() -> None:
    master, slave = os.openpty()  # a port where nothing answers
    try:
        with pytest.raises(FlashError, match="no MicroPython REPL answers"):
            await asyncio.to_thread(flash_board, os.ttyname(slave), "touch")
    finally:
        os.close(master)
        os.close(slave)


async def test_cli_flashes_with_progress_and_json() -> None:
    async with ReplBoard() as board:
        proc = await asyncio.create_subprocess_exec(
            VITRINE,
            "flash",
            "--port",
            board.port,
            "--role",
            "lights",
            "--json",
            stdout=-1,
            stderr=-1,
        )
        async with asyncio.timeout(60):
            out, err = await proc.communicate()
        assert proc.returncode == 0, err.decode()
        report = json.loads(out)
        assert report["errors"] == {}
        (one,) = report["boards"]
        assert one["role"] == "lights" and one["build_hash"] == build_hash()
        assert one["files"] == len(one["written"]) > 5
        text = err.decode()
        assert "lib/vitrine_fw/wire.mpy" in text or "files to write" in text
        assert f"HELLO with build {build_hash()}" in " ".join(text.split())


def test_cli_errors_are_clear() -> None:
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        cmd = [VITRINE, "flash", *args]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False)

    r = run("--port", "/dev/null-nothing")
    assert r.returncode == 2 and "--port needs --role" in r.stderr
    r = run("--all")  # no USB board on a test machine, no --map
    assert r.returncode == 2 and "no MicroPython boards attached" in r.stderr
    assert "--map PORT=ROLE" in r.stderr
    r = run("--all", "--map", "nonsense")
    assert r.returncode == 2 and "expected PORT=ROLE" in r.stderr
    r = run("--port", "/dev/ttyNOPE9", "--role", "hoverboard")
    assert r.returncode == 1 and "unknown role 'hoverboard'" in r.stderr
    r = run("--port", "/dev/ttyNOPE9", "--role", "touch")
    assert r.returncode == 1 and "no such port" in r.stderr
