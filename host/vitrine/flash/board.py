"""One board at its MicroPython REPL, through mpremote's own transport (the raw REPL with
raw-paste): what it is, what it carries, writing and verifying files, resetting it.

Everything here is blocking, as mpremote is; callers run it in a thread when they need to.
"""

from __future__ import annotations

import ast
import errno
import os
import stat
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from mpremote.transport import TransportError, TransportExecError
from mpremote.transport_serial import SerialTransport
from serial import SerialException

from vitrine.flash.fileset import LIB, FlashError
from vitrine_fw import bootflag

RAW_BANNER = b"raw REPL; CTRL-B to exit\r\n>"
CHUNK = 1024  # bytes of file per raw-REPL round trip: small enough for an RP2040's RAM

# Runs on the board: (implementation, version, _mpy or None, block size, blocks, free blocks,
# machine). Only what every MicroPython port has.
_INFO = """\
import sys, os
_s = os.statvfs('/')
print(repr((sys.implementation.name, sys.version, getattr(sys.implementation, '_mpy', None),
 _s[0], _s[2], _s[3], getattr(sys.implementation, '_machine', sys.platform))))
del _s
"""

# Runs on the board: {path: (size, sha256 hex)} of every file under the given folders and of
# the given files that exist.
_INVENTORY = """\
import os, hashlib, binascii
def _h(p):
    d = hashlib.sha256(); b = bytearray(512); n = 0
    with open(p, 'rb') as f:
        while True:
            k = f.readinto(b)
            if not k:
                break
            d.update(b if k == 512 else b[:k]); n += k
    return (n, binascii.hexlify(d.digest()).decode())
def _walk(p, out):
    try:
        it = list(os.ilistdir(p))
    except OSError:
        return
    for e in it:
        q = p + '/' + e[0]
        if e[1] & 0x4000:
            _walk(q, out)
        else:
            out[q[1:]] = _h(q)
_out = {}
for _p in %r:
    _walk('/' + _p, _out)
for _p in %r:
    try:
        _out[_p] = _h('/' + _p)
    except OSError:
        pass
print(repr(_out))
del _h, _walk, _out, _p
"""

# Runs on the board: rename a verified new file over the old one (FAT refuses to rename over
# an existing file, littlefs does not).
_REPLACE = """\
import os
try:
    os.rename(%r, %r)
except OSError:
    os.remove(%r)
    os.rename(%r, %r)
"""

# Runs on the board: remove empty folders below a folder (never the package folder itself).
_PRUNE = """\
import os
def _p(d):
    try:
        es = list(os.ilistdir(d))
    except OSError:
        return
    for e in es:
        if e[1] & 0x4000:
            _p(d + '/' + e[0])
    if d != %r and not list(os.ilistdir(d)):
        os.rmdir(d)
_p(%r)
del _p
"""


@dataclass(frozen=True)
class BoardInfo:
    implementation: str
    version: str
    mpy: int | None  # sys.implementation._mpy: version | sub-version << 8 | arch << 10
    fs_total: int
    fs_free: int
    machine: str

    @property
    def mpy_version(self) -> tuple[int, int] | None:
        if self.mpy is None:
            return None
        return self.mpy & 0xFF, (self.mpy >> 8) & 3


def is_busy(port: str) -> str | None:
    """Who holds a local port open, as "pid NNN (name)", or None when no one we can see."""
    try:
        target = os.stat(port).st_rdev
    except OSError:
        return None
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            for fd in (proc / "fd").iterdir():
                try:
                    st = fd.stat()
                except OSError:
                    continue
                if st.st_rdev == target and stat.S_ISCHR(st.st_mode):
                    name = (proc / "comm").read_text().strip()
                    return f"pid {proc.name} ({name})"
        except OSError:
            continue
    return None


class ReplSession:
    """A board's raw REPL; use as a context manager."""

    def __init__(self, port: str, *, timeout: float = 5.0) -> None:
        self.port = port
        self.timeout = timeout
        try:
            # A read timeout: mpremote reads a pty with blocking reads, so without one a board
            # that keeps talking (firmware heartbeats) would never let enter_raw_repl time out.
            self.transport = SerialTransport(port, baudrate=115200, timeout=1.0)
        except TransportError as err:
            if not os.path.exists(port) and "://" not in port:
                raise FlashError(f"{port}: no such port (unplugged, or a wrong path?)") from err
            holder = is_busy(port)
            raise FlashError(
                f"{port} is busy: {holder or 'another program'} has it open. Stop it first "
                "(the Vitrine daemon: systemctl stop vitrine; a console or mpremote: quit it)"
            ) from err

    def __enter__(self) -> ReplSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        try:
            self.transport.close()
        except OSError:
            pass

    def probe(self, timeout_s: float = 0.5) -> bool:
        """Interrupt whatever runs and ask for the raw REPL; True when it answers within
        timeout_s (quicker than mpremote's own attempt on a port that keeps talking)."""
        ser = self.transport.serial
        seen = b""
        ser.write(b"\r\x03\x03\r\x01")
        deadline = time.monotonic() + timeout_s
        old, ser.timeout = ser.timeout, 0.05
        try:
            while time.monotonic() < deadline:
                seen = (seen + ser.read(max(1, ser.in_waiting)))[-64:]
                if RAW_BANNER in seen:
                    return True
        finally:
            ser.timeout = old
        return False

    def enter(self) -> None:
        """Interrupt whatever runs (Ctrl-C), enter the raw REPL and soft-reset, so nothing of
        the firmware runs while files change. FlashError when no REPL answers."""
        try:
            self.transport.enter_raw_repl(soft_reset=True, timeout_overall=self.timeout)
        except TransportError as err:
            raise NoRepl(self.port) from err

    def exec(self, code: str) -> bytes:
        try:
            return self.transport.exec(code)
        except TransportExecError as err:
            problem = err.error_output.strip()
            raise FlashError(f"{self.port}: the board failed to run a step: {problem}") from err
        except (TransportError, SerialException) as err:
            raise FlashError(f"{self.port}: the board stopped answering ({err})") from err

    def info(self) -> BoardInfo:
        out = ast.literal_eval(self.exec(_INFO).decode().strip())
        name, version, mpy, bsize, blocks, free, machine = out
        return BoardInfo(name, version, mpy, bsize * blocks, bsize * free, machine)

    def inventory(self, folders: list[str], files: list[str]) -> dict[str, tuple[int, str]]:
        """{path: (size, sha256)} of the files under folders and of the listed files."""
        out = ast.literal_eval(self.exec(_INVENTORY % (folders, files)).decode().strip())
        return {path: (size, digest) for path, (size, digest) in out.items()}

    def write(self, path: str, data: bytes, progress: Callable[[int], None]) -> None:
        """Write a file atomically: into path + ".new", verify its SHA-256 on the board, then
        rename over the old one. An interrupted write leaves the old file whole."""
        import hashlib

        tmp = path + ".new"
        self._mkdirs(path)
        try:
            self.transport.fs_writefile(
                "/" + tmp, data, chunk_size=CHUNK, progress_callback=lambda n, _t: progress(n)
            )
        except SerialException as err:  # the port went away: unplugged, or the board reset
            raise FlashError(
                f"{self.port}: the board stopped answering while writing {path} ({err}); "
                "plug it back in and flash again: files already written are kept"
            ) from err
        except OSError as err:
            self._remove(tmp)
            if err.errno == errno.ENOSPC:
                raise FilesystemFull(self.port, path) from err
            raise FlashError(f"{self.port}: writing {path} failed: {err}") from err
        except TransportError as err:
            raise FlashError(
                f"{self.port}: the board stopped answering while writing {path} ({err})"
            ) from err
        got = self.inventory([], [tmp]).get(tmp)
        want = hashlib.sha256(data).hexdigest()
        if got is None or got[1] != want:
            self._remove(tmp)
            raise FlashError(
                f"{self.port}: {path} did not verify on the board (SHA-256 "
                f"{got[1] if got else 'missing'}, expected {want}): a bad cable or a failing "
                "flash chip? Run the flash again."
            )
        self.exec(_REPLACE % ("/" + tmp, "/" + path, "/" + path, "/" + tmp, "/" + path))

    def remove(self, path: str) -> None:
        self.exec("import os\nos.remove(%r)" % ("/" + path))

    def prune_dirs(self, folder: str) -> None:
        """Remove empty folders under folder (left by files that are gone)."""
        self.exec(_PRUNE % ("/" + LIB, "/" + folder))

    def reset(self) -> None:
        """Reset the board (it boots main.py); the session is closed afterwards. The reset
        flag goes first (vitrine_fw/bootflag.py), so the firmware reports this reset as one
        asked for: soft, not the WDT_RESET an RP2040's machine.reset() reads as."""
        flag = "/" + bootflag.RESET_FLAG
        code = f"with open({flag!r}, 'w') as f:\n f.write('reset')\nimport machine\nmachine.reset()"
        try:
            self.transport.exec_raw_no_follow(code)
        except TransportError as err:
            raise FlashError(f"{self.port}: could not reset the board ({err})") from err
        finally:
            self.close()

    def _mkdirs(self, path: str) -> None:
        parts = path.split("/")[:-1]
        if parts:
            self.exec(
                "import os\nfor _d in %r:\n try:\n  os.mkdir(_d)\n except OSError:\n  pass\ndel _d"
                % ["/" + "/".join(parts[: i + 1]) for i in range(len(parts))]
            )

    def _remove(self, path: str) -> None:
        try:
            self.exec("import os\ntry:\n os.remove(%r)\nexcept OSError:\n pass" % ("/" + path))
        except FlashError:
            pass


class NoRepl(FlashError):
    def __init__(self, port: str) -> None:
        super().__init__(
            f"{port}: no MicroPython REPL answers. Is the board running MicroPython? A fresh "
            "board needs MicroPython itself first (https://micropython.org/download/, "
            "esptool or the UF2 bootloader); a board running firmware that ignores Ctrl-C "
            "needs its reset button held or a power cycle."
        )


class FilesystemFull(FlashError):
    def __init__(
        self, port: str, path: str, need: int | None = None, free: int | None = None
    ) -> None:
        detail = f" (needs {need} bytes more, {free} free)" if need is not None else ""
        super().__init__(
            f"{port}: the board's filesystem is full writing {path}{detail}. Remove files that "
            f"are not Vitrine's (mpremote connect {port} fs ls, fs rm) and flash again; "
            "Vitrine's own files were left as they were."
        )
