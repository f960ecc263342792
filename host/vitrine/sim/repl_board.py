"""A virtual MicroPython board for flashing tools: MicroPython's REPL behind a pseudo-terminal.

`ReplBoard` runs `tools/repl_board.mjs` (real MicroPython, the WebAssembly build, under Node.js:
friendly REPL, raw REPL, raw-paste mode, soft reset, a filesystem with a size limit) and bridges
its stdin/stdout to a pty, so unmodified `mpremote connect /dev/pts/N ...` can drive it as it
drives a board's USB serial port.

The board's filesystem is kept in a state file (`state=`, else one in the board's temporary
folder), written whenever a command changed it: `unplug()` powers the board off and removes its
port, `replug()` powers it on again behind a new pty with the same files, as a real board keeps
its flash. `link_path` is a stable symlink that follows the pty across replugs.

After a reset (mpremote's `reset`, machine.reset(), a watchdog) or at power-on the board runs
boot.py and main.py, so a flashed Vitrine firmware starts and speaks the wire protocol on the
same pty (see tools/repl_board.mjs for what the board emulates for it).

    async with ReplBoard(ReplOptions(fs_size=64 * 1024)) as board:
        subprocess.run(["mpremote", "connect", board.port, "fs", "ls"])
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vitrine.errors import VitrineError
from vitrine.sim.cable import PtyCable

ROOT = Path(__file__).resolve().parents[3]
SCRIPT = ROOT / "tools" / "repl_board.mjs"
NODE_PACKAGE = ROOT / "node_modules" / "@micropython" / "micropython-webassembly-pyscript"
STOP_TIMEOUT_S = 5.0


class ReplBoardError(VitrineError):
    """The board could not be started (no Node.js, no MicroPython package) or it died."""


def why_unavailable() -> str | None:
    """Why a ReplBoard cannot run here, or None when it can."""
    if shutil.which("node") is None:
        return "node is not on PATH (make setup installs Node.js)"
    if not NODE_PACKAGE.is_dir():
        return f"{NODE_PACKAGE.relative_to(ROOT)} is missing (run make setup)"
    if not SCRIPT.is_file():
        return f"{SCRIPT} is missing"
    return None


@dataclass(frozen=True)
class ReplOptions:
    """What a virtual MicroPython board is like (None: tools/repl_board.mjs's default)."""

    fs_size: int | None = None  # bytes of filesystem
    heap: int | None = None  # bytes of MicroPython heap
    raw_paste: bool = True  # False: the raw REPL refuses raw-paste mode, as older ports do
    window: int | None = None  # raw-paste flow-control window, bytes
    mpy: int | None = None  # fault: sys.implementation._mpy says this
    baud: int | None = None  # pace the host's bytes as a serial line of this rate would

    def args(self) -> list[str]:
        """The board script's command-line options for these."""
        args = []
        for flag, value in (
            ("--fs-size", self.fs_size),
            ("--heap", self.heap),
            ("--window", self.window),
        ):
            if value is not None:
                args += [flag, str(value)]
        if not self.raw_paste:
            args.append("--no-raw-paste")
        if self.baud:
            args += ["--baud", str(self.baud)]
        if self.mpy is not None:
            args += ["--mpy", str(self.mpy)]
        return args


class ReplBoard:
    """One virtual MicroPython board behind a pty; start()/stop() or `async with`. state: the
    file its filesystem is kept in (default: a temporary one); link_path: a stable symlink to
    its pty (default: beside the state)."""

    def __init__(
        self,
        options: ReplOptions | None = None,
        *,
        state: Path | None = None,
        link_path: Path | None = None,
    ) -> None:
        self.options = options or ReplOptions()
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._given = (state, link_path)
        self._state = state
        self._link_path = link_path
        self.cable: PtyCable | None = None
        self._proc: asyncio.subprocess.Process | None = None
        self._pump: asyncio.Task[None] | None = None
        self.info: dict[str, Any] = {}  # version, mpy (sys.implementation._mpy), fsSize

    # -- paths ----------------------------------------------------------------------------

    @property
    def port(self) -> str:
        """The pty slave path (/dev/pts/N) of the plugged board."""
        if self.cable is None or self.cable.tty_path is None:
            raise ReplBoardError("the board is not plugged in")
        return self.cable.tty_path

    @property
    def link_path(self) -> Path:
        assert self._link_path is not None, "start() first"
        return self._link_path

    @property
    def state_path(self) -> Path:
        assert self._state is not None, "start() first"
        return self._state

    @property
    def plugged(self) -> bool:
        return self.cable is not None and self.cable.plugged

    @property
    def log_path(self) -> Path:
        """The board process's stderr (errors of the board itself, not of the code it runs)."""
        assert self._tmp is not None, "start() first"
        return Path(self._tmp.name) / "board.log"

    # -- life cycle -----------------------------------------------------------------------

    async def start(self) -> None:
        why = why_unavailable()
        if why:
            raise ReplBoardError(f"cannot run a REPL board: {why}")
        self._tmp = tempfile.TemporaryDirectory(prefix="vitrine-repl-board-")
        tmp = Path(self._tmp.name)
        state, link_path = self._given
        self._state = state or tmp / "fs.json"
        self._link_path = link_path or tmp / "port"
        self.cable = PtyCable(self.link_path)
        await self.replug()

    async def stop(self) -> None:
        if self.plugged:
            await self.unplug()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    async def __aenter__(self) -> ReplBoard:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def replug(self) -> None:
        """Power the board on (its files from the state file) behind a fresh pty."""
        assert self.cable is not None, "start() first"
        if self.plugged:
            raise ReplBoardError("the board is already plugged in")
        await self._power_on()
        self.cable.plug()

    async def unplug(self) -> None:
        """Remove the port and power the board off; its files stay in the state file."""
        assert self.cable is not None
        if not self.plugged:
            raise ReplBoardError("the board is not plugged in")
        self.cable.unplug()
        await self._power_off()

    # -- the board process ----------------------------------------------------------------

    def _command(self) -> list[str]:
        return ["node", str(SCRIPT), "--state", str(self.state_path), *self.options.args()]

    async def _power_on(self) -> None:
        assert self.cable is not None
        proc = await asyncio.create_subprocess_exec(
            *self._command(),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env={**os.environ, "REPL_BOARD_INFO": "1"},
            start_new_session=True,  # Ctrl-C in a terminal reaches us only; we stop the board
        )
        assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
        line = await proc.stderr.readline()  # the board's info line, once it has booted
        try:
            self.info = json.loads(line)
        except ValueError:
            rest = await proc.stderr.read()
            await proc.wait()
            raise ReplBoardError(
                f"the REPL board did not start (exit {proc.returncode}): "
                f"{(line + rest).decode(errors='replace').strip()}"
            ) from None
        self._proc = proc
        stdin = proc.stdin
        self.cable.on_host_data = lambda data: None if stdin.is_closing() else stdin.write(data)
        self._pump = asyncio.create_task(self._relay(proc))

    async def _relay(self, proc: asyncio.subprocess.Process) -> None:
        assert proc.stdout is not None and proc.stderr is not None and self.cable is not None
        errors = asyncio.create_task(self._log_errors(proc.stderr))
        try:
            while data := await proc.stdout.read(65536):
                self.cable.to_host(data)
        finally:
            await errors

    async def _log_errors(self, stream: asyncio.StreamReader) -> None:
        while data := await stream.read(65536):
            with self.log_path.open("ab") as log:
                log.write(data)

    async def _power_off(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        assert self.cable is not None
        self.cable.on_host_data = lambda data: None
        assert proc.stdin is not None
        proc.stdin.close()  # the board saves its files and exits at the end of its input
        try:
            async with asyncio.timeout(STOP_TIMEOUT_S):
                await proc.wait()
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()
        if self._pump is not None:
            await self._pump
            self._pump = None


async def serve(fs_size: int | None, state: Path | None, baud: int | None = None) -> None:
    """`vitrine sim repl-board`: one board until cancelled (Ctrl-C)."""
    board = ReplBoard(ReplOptions(fs_size=fs_size, baud=baud), state=state)
    await board.start()
    try:
        info = board.info
        print(
            f"virtual MicroPython board ({info.get('version')}, .mpy {info.get('mpy')}, "
            f"filesystem {info.get('fsSize')} bytes)",
            flush=True,
        )
        print(f"  port  {board.port} -> {board.link_path}", flush=True)
        print(f"  files {board.state_path}", flush=True)
        print(f"  try:  mpremote connect {board.port} fs ls", flush=True)
        print(
            f"        vitrine flash --port {board.port} --role touch   (Ctrl-C stops)",
            flush=True,
        )
        await asyncio.Event().wait()
    finally:
        await board.stop()
