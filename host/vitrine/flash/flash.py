"""Flash one board: compare what it carries with what its role needs, write only what
differs (each file verified by SHA-256 on the board), remove what no longer belongs, reset it
and wait for the HELLO that carries this build's hash."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from vitrine.firmware import build_hash
from vitrine.flash.board import BoardInfo, FilesystemFull, NoRepl, ReplSession
from vitrine.flash.fileset import LIB, BoardFile, FlashError, board_files, mpy_cross_version
from vitrine.hardware import BoardDescription, load_boards
from vitrine.link.board import running_link

REPL_AFTER_STOP_S = 10.0  # a board the console sent to the REPL answers there within this


@dataclass(frozen=True)
class FlashOptions:
    """How a board is flashed: compiled .mpy files (else the .py sources), or a dry run that
    only reports what would change; and how long to wait for the new firmware's HELLO."""

    compiled: bool = True
    dry_run: bool = False
    hello_timeout_s: float = 15.0


@dataclass
class FlashPlan:
    """What a flash does to one board."""

    write: list[BoardFile]
    unchanged: list[BoardFile]
    remove: list[str]

    @property
    def bytes_to_write(self) -> int:
        return sum(len(f.data) for f in self.write)


@dataclass
class FlashResult:
    port: str
    role: str
    build_hash: str
    files: int
    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    bytes_written: int = 0
    bytes_total: int = 0
    copy_s: float = 0.0  # connect, compare, write, verify
    boot_s: float = 0.0  # reset until the HELLO
    dry_run: bool = False
    board_uid: str | None = None
    board_reset_cause: str | None = None  # its HELLO's: soft, the reset this tool asked for

    @property
    def total_s(self) -> float:
        return self.copy_s + self.boot_s

    def as_dict(self) -> dict[str, object]:
        return {
            "port": self.port,
            "role": self.role,
            "build_hash": self.build_hash,
            "files": self.files,
            "written": self.written,
            "unchanged": len(self.unchanged),
            "removed": self.removed,
            "bytes_written": self.bytes_written,
            "bytes_total": self.bytes_total,
            "copy_s": round(self.copy_s, 3),
            "boot_s": round(self.boot_s, 3),
            "total_s": round(self.total_s, 3),
            "dry_run": self.dry_run,
            "board_uid": self.board_uid,
            "board_reset_cause": self.board_reset_cause,
        }


class Reporter:
    """What a flash tells the person watching; the CLI draws progress bars from it."""

    def board(self, port: str, role: str, plan: FlashPlan) -> None: ...

    def file(self, port: str, f: BoardFile) -> None: ...

    def advance(self, port: str, done: int) -> None: ...

    def step(self, port: str, text: str) -> None: ...


def description(role: str) -> BoardDescription:
    boards = load_boards()
    if role not in boards:
        raise FlashError(f"unknown role {role!r}: one of {', '.join(sorted(boards))}")
    return boards[role]


def check_board(port: str, info: BoardInfo, compiled: bool) -> None:
    """The board runs MicroPython and loads the .mpy files this build makes."""
    if info.implementation != "micropython":
        raise FlashError(
            f"{port}: the board runs {info.implementation} ({info.version}), not MicroPython: "
            "flash MicroPython first (https://micropython.org/download/)"
        )
    if not compiled:
        return
    want = mpy_cross_version()
    have = info.mpy_version
    if have is None:
        raise FlashError(
            f"{port}: this MicroPython ({info.version}) cannot load .mpy files: flash sources "
            "with --source, or update MicroPython"
        )
    if have != want:
        raise FlashError(
            f"{port}: the board's MicroPython ({info.version}) loads .mpy v{have[0]}.{have[1]} "
            f"(sys.implementation._mpy = {info.mpy}); this build's mpy-cross emits "
            f"v{want[0]}.{want[1]}. Update MicroPython on the board to a release that loads "
            f"v{want[0]}.{want[1]} (https://micropython.org/download/), or flash sources with "
            "--source"
        )


def make_plan(files: list[BoardFile], inventory: dict[str, tuple[int, str]]) -> FlashPlan:
    wanted = {f.path for f in files}
    write = [f for f in files if inventory.get(f.path, (0, ""))[1] != f.sha256]
    unchanged = [f for f in files if f not in write]
    remove = sorted(
        p for p in inventory if p not in wanted and (p.startswith(LIB + "/") or p.endswith(".new"))
    )
    return FlashPlan(write, unchanged, remove)


def check_space(port: str, plan: FlashPlan, inventory: dict, info: BoardInfo) -> None:
    """Refuse before writing anything when the files cannot fit."""
    grow = sum(len(f.data) - inventory.get(f.path, (0, ""))[0] for f in plan.write)
    grow -= sum(inventory[p][0] for p in plan.remove)
    peak = max((len(f.data) for f in plan.write), default=0)  # a new file beside the old one
    # Filesystems allocate whole blocks (4096 bytes for littlefs on the ESP32 and the RP2040):
    # allow one more per file written.
    need = grow + peak + 4096 * len(plan.write)
    if need > info.fs_free:
        first = plan.write[0].path if plan.write else "config.json"
        raise FilesystemFull(port, first, need, info.fs_free)


def flash_board(
    port: str,
    role: str,
    options: FlashOptions | None = None,
    *,
    reporter: Reporter | None = None,
    stop_firmware: Callable[[str], bool] | None = None,
) -> FlashResult:
    """Flash the role's firmware to the board on port; FlashError says what went wrong."""
    options = options or FlashOptions()
    compiled, dry_run = options.compiled, options.dry_run
    report = reporter or Reporter()
    desc = description(role)
    expected = build_hash()
    files = board_files(desc, compiled=compiled)
    result = FlashResult(port, role, expected, len(files), dry_run=dry_run)
    result.bytes_total = sum(len(f.data) for f in files)
    started = time.monotonic()
    report.step(port, "connecting")
    session = _session(port, stop_firmware or stop_firmware_by_console)
    with session:
        info = session.info()
        check_board(port, info, compiled)
        inventory = session.inventory(
            [LIB], ["main.py", "config.json", "main.py.new", "config.json.new"]
        )
        plan = make_plan(files, inventory)
        result.unchanged = [f.path for f in plan.unchanged]
        report.board(port, role, plan)
        if dry_run:
            result.written = [f.path for f in plan.write]
            result.removed = plan.remove
            result.bytes_written = plan.bytes_to_write
            result.copy_s = time.monotonic() - started
            return result
        check_space(port, plan, inventory, info)
        for path in plan.remove:
            report.step(port, f"removing {path}")
            session.remove(path)
            result.removed.append(path)
        done = 0
        for f in plan.write:
            report.file(port, f)
            base = done
            session.write(f.path, f.data, lambda n, base=base: report.advance(port, base + n))
            done += len(f.data)
            result.written.append(f.path)
            result.bytes_written = done
        if plan.remove:
            session.prune_dirs(LIB)
        report.step(port, "verifying")
        final = session.inventory([LIB], ["main.py", "config.json"])
        bad = [f.path for f in files if final.get(f.path, (0, ""))[1] != f.sha256]
        if bad:
            raise FlashError(f"{port}: after the flash these files do not verify: {', '.join(bad)}")
        result.copy_s = time.monotonic() - started
        report.step(port, "resetting")
        session.reset()
    report.step(port, "waiting for HELLO")
    booted = time.monotonic()
    hello = asyncio.run(wait_hello(port, role, expected, options.hello_timeout_s))
    result.boot_s = time.monotonic() - booted
    result.board_uid, result.board_reset_cause = hello.uid, hello.reset_cause_name
    return result


def _session(port: str, stop_firmware: Callable[[str], bool]) -> ReplSession:
    """An open raw-REPL session, stopping Vitrine firmware first if it holds the port."""
    session = ReplSession(port)
    try:
        if not session.probe():
            session.close()
            if not stop_firmware(port):
                raise NoRepl(port)
            session = ReplSession(port)
            # The board resets into the REPL: ask until it answers.
            deadline = time.monotonic() + REPL_AFTER_STOP_S
            while not session.probe(0.5):
                if time.monotonic() > deadline:
                    raise NoRepl(port)
        session.enter()
    except BaseException:
        session.close()
        raise
    return session


def stop_firmware_by_console(port: str) -> bool:
    """Ask Vitrine firmware on port to stop at the REPL (its console's `repl`). False when no
    Vitrine board answers there; FlashError when one answers and refuses."""
    from vitrine.console.client import ConsoleClient
    from vitrine.console.errors import ConsoleError, ConsoleRefused

    async def ask() -> None:
        async with ConsoleClient(port) as console:
            await console.run("repl", confirm=True)

    try:
        asyncio.run(ask())
    except ConsoleRefused as err:
        raise FlashError(
            f"{port}: the board runs Vitrine firmware that refuses to stop for the REPL "
            f"({err}). A production board never gives its protocol port to the REPL: hold its "
            "BOOT button while plugging it in (or erase it) and flash it again."
        ) from err
    except ConsoleError:
        return False
    time.sleep(0.2)
    return True


async def wait_hello(port: str, role: str, expected: str, timeout_s: float):
    """Shake hands with the freshly reset board; FlashError unless it says HELLO with the
    expected role and build hash within timeout_s."""
    async with running_link(port) as link:
        try:
            hello = await link.wait_up(timeout_s)
        except TimeoutError:
            printed = link.printed_text()
            said = (
                "\nIt printed:\n" + "\n".join("  " + line for line in printed.splitlines()[:12])
                if printed
                else ""
            )
            raise FlashError(
                f"{port}: the board never said HELLO within {timeout_s:g} s of its reset "
                f"(link: {link.error or link.state}). Its files are in place and verified; see "
                f"what it prints at boot with: mpremote connect {port} reset repl{said}"
            ) from None
    if hello.role != role or hello.build_hash != expected:
        raise FlashError(
            f"{port}: the board says HELLO as {hello.role} with build {hello.build_hash}; "
            f"expected {role} with build {expected}. Flash it again."
        )
    return hello
