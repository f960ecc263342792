"""The virtual MicroPython board (tools/repl_board.mjs behind a pty) driven by the real mpremote.

Each test runs the installed `mpremote` CLI as a subprocess against `ReplBoard.port`, exactly
as a person would against a board's USB serial port."""

from __future__ import annotations

import asyncio
import hashlib
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from vitrine.sim.repl_board import ReplBoard, ReplOptions, why_unavailable

pytestmark = pytest.mark.hil

MPREMOTE = shutil.which("mpremote", path=str(Path(sys.executable).parent)) or shutil.which(
    "mpremote"
)


def _why_skip() -> str | None:
    why = why_unavailable()
    if why:
        return f"real MicroPython unavailable: {why}"
    if MPREMOTE is None:
        return "mpremote is not installed (pip install mpremote)"
    return None


if _why_skip():
    pytest.skip(_why_skip(), allow_module_level=True)


@dataclass
class Result:
    rc: int
    out: str
    err: str


async def mpremote(board: ReplBoard, *args: str, timeout: float = 60) -> Result:
    """Run `mpremote connect PORT ARGS...`; the event loop keeps relaying the board meanwhile."""
    assert MPREMOTE is not None
    proc = await asyncio.create_subprocess_exec(
        MPREMOTE,
        "connect",
        board.port,
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        async with asyncio.timeout(timeout):
            out, err = await proc.communicate()
    except TimeoutError:
        proc.kill()
        out, err = await proc.communicate()
        pytest.fail(f"mpremote {' '.join(args)} hung:\n{out.decode()}\n{err.decode()}")
    return Result(proc.returncode or 0, out.decode(errors="replace"), err.decode(errors="replace"))


async def ok(board: ReplBoard, *args: str) -> str:
    r = await mpremote(board, *args)
    assert r.rc == 0, f"mpremote {' '.join(args)} failed ({r.rc}):\n{r.out}\n{r.err}"
    return r.out


def payload(n: int) -> bytes:
    """n bytes of every byte value (quotes, backslashes, NULs, \\r, \\n, high bytes)."""
    return bytes((i * 7 + i // 256) % 256 for i in range(n))


@pytest.fixture
async def board():
    async with ReplBoard() as b:
        yield b


async def test_exec_prints(board: ReplBoard) -> None:
    assert (await ok(board, "exec", "print(1+1)")).strip() == "2"


async def test_reports_mpy_version(board: ReplBoard) -> None:
    out = await ok(board, "exec", "import sys; print(sys.implementation._mpy)")
    mpy = int(out)
    assert mpy & 0xFF == 6  # .mpy format version 6 (MicroPython 1.19 and later)
    assert board.info["mpy"] == mpy


async def test_copy_a_file_there_and_back(board: ReplBoard, tmp_path: Path) -> None:
    data = payload(20 * 1024)
    src = tmp_path / "blob.bin"
    src.write_bytes(data)
    start = time.monotonic()
    await ok(board, "fs", "cp", str(src), ":blob.bin")
    took = time.monotonic() - start
    print(f"fs cp of 20 KiB took {took:.2f} s")
    listing = await ok(board, "fs", "ls", ":")
    assert f"{len(data)} blob.bin" in " ".join(listing.split())
    sums = await ok(board, "fs", "sha256sum", ":blob.bin")
    assert hashlib.sha256(data).hexdigest() in sums
    back = tmp_path / "back.bin"
    await ok(board, "fs", "cp", ":blob.bin", str(back))
    assert back.read_bytes() == data


async def test_cat_a_text_file(board: ReplBoard, tmp_path: Path) -> None:
    src = tmp_path / "main.py"
    src.write_text("import board\nboard.run()  # 'quotes' and \"more\"\n")
    await ok(board, "fs", "cp", str(src), ":main.py")
    out = await ok(board, "fs", "cat", ":main.py")
    assert out.replace("\r\n", "\n") == src.read_text()


async def test_mkdir_rm_rmdir(board: ReplBoard, tmp_path: Path) -> None:
    src = tmp_path / "wire.py"
    src.write_text("X = 1\n")
    await ok(board, "fs", "mkdir", ":lib", "+", "fs", "cp", str(src), ":lib/wire.py")
    assert "wire.py" in await ok(board, "fs", "ls", ":lib")
    assert "lib/" in await ok(board, "fs", "ls", ":")
    # A module copied there imports, as on a board.
    assert (
        await ok(board, "exec", "import sys; sys.path.append('/lib'); import wire; print(wire.X)")
    ).strip() == "1"
    await ok(board, "fs", "rm", ":lib/wire.py")
    assert "wire.py" not in await ok(board, "fs", "ls", ":lib")
    await ok(board, "fs", "rmdir", ":lib")
    assert "lib/" not in await ok(board, "fs", "ls", ":")
    r = await mpremote(board, "fs", "rm", ":nothing.py")
    assert r.rc != 0
    assert "No such file" in r.out + r.err


async def test_exception_gives_traceback_and_failure(board: ReplBoard) -> None:
    r = await mpremote(board, "exec", "def f():\n    1/0\nf()")
    assert r.rc != 0
    text = r.out + r.err
    assert "Traceback (most recent call last):" in text
    assert 'File "<stdin>", line 2, in f' in text
    assert "ZeroDivisionError: divide by zero" in text


async def test_oserror_numbers_are_micropythons(board: ReplBoard) -> None:
    out = await ok(
        board,
        "exec",
        "import errno\ntry:\n open('/missing')\n"
        "except OSError as e:\n print(e.errno == errno.ENOENT, e)",
    )
    assert out.strip() == "True [Errno 2] ENOENT"


async def test_soft_reset_keeps_files_and_clears_globals(board: ReplBoard, tmp_path: Path) -> None:
    src = tmp_path / "keep.txt"
    src.write_text("kept\n")
    await ok(board, "fs", "cp", str(src), ":keep.txt", "+", "exec", "x = 5")
    # Without a soft reset (resume), the globals are still there.
    assert (await ok(board, "resume", "exec", "print(x)")).strip() == "5"
    # mpremote soft-resets the board when it starts a session; the file stays, x does not.
    r = await mpremote(board, "exec", "print(x)")
    assert r.rc != 0
    assert "NameError" in r.out + r.err
    await ok(board, "soft-reset")
    assert "kept" in await ok(board, "fs", "cat", ":keep.txt")


async def test_statvfs_reports_fs_size() -> None:
    async with ReplBoard(ReplOptions(fs_size=64 * 1024)) as board:
        out = await ok(board, "exec", "import os; s = os.statvfs('/'); print(s[0] * s[2])")
        assert int(out) == 64 * 1024
        assert "65536" in await ok(board, "df")


async def test_full_filesystem_fails_the_copy(tmp_path: Path) -> None:
    src = tmp_path / "big.bin"
    src.write_bytes(payload(20 * 1024))
    small = tmp_path / "small.bin"
    small.write_bytes(payload(1024))
    async with ReplBoard(ReplOptions(fs_size=8 * 1024)) as board:
        r = await mpremote(board, "fs", "cp", str(src), ":big.bin")
        assert r.rc != 0
        assert "No space left on device" in r.out + r.err
        # The rest of the filesystem still works: a small file fits once the partial is gone.
        await ok(board, "fs", "rm", ":big.bin")
        await ok(board, "fs", "cp", str(small), ":small.bin")
        assert "1024 small.bin" in " ".join((await ok(board, "fs", "ls")).split())


async def test_unplug_replug_keeps_files(tmp_path: Path) -> None:
    state = tmp_path / "board.json"
    src = tmp_path / "boot.py"
    src.write_text("print('booted')\n")
    async with ReplBoard(state=state) as board:
        await ok(board, "fs", "cp", str(src), ":boot.py")
        await board.unplug()
        assert not board.plugged
        assert not board.link_path.exists()
        await board.replug()
        assert board.link_path.resolve() == Path(board.port)
        assert "boot.py" in await ok(board, "fs", "ls")
        assert "booted" in await ok(board, "fs", "cat", ":boot.py")
    assert state.is_file()
    async with ReplBoard(state=state) as board:  # another process, the same flash
        assert "boot.py" in await ok(board, "fs", "ls")


async def test_without_raw_paste_mpremote_falls_back(tmp_path: Path) -> None:
    data = payload(3000)
    src = tmp_path / "blob.bin"
    src.write_bytes(data)
    async with ReplBoard(ReplOptions(raw_paste=False)) as board:
        assert (await ok(board, "exec", "print(6*7)")).strip() == "42"
        await ok(board, "fs", "cp", str(src), ":blob.bin")
        assert hashlib.sha256(data).hexdigest() in await ok(board, "fs", "sha256sum", ":blob.bin")


async def test_stable_link_path_works_as_a_port(board: ReplBoard) -> None:
    assert MPREMOTE is not None
    proc = await asyncio.create_subprocess_exec(
        MPREMOTE,
        "connect",
        str(board.link_path),
        "exec",
        "print('via link')",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    async with asyncio.timeout(60):
        out, err = await proc.communicate()
    assert proc.returncode == 0, err.decode()
    assert out.decode().strip() == "via link"
