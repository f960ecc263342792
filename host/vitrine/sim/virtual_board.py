"""One virtual board: the real firmware in its own process behind a pseudo-terminal, its
world channel, and the faults injected into it (vitrine.sim.manager runs a set of them).

The board process is started by `vitrine.sim.boot` and talks through a socket pair to this
process, which owns the pty (the "cable"). A reset — one the firmware asks for, the watchdog,
or the reset button — ends the board process; it is started again with the reset cause the
board's MicroPython port reports for it (MACHINE_RESET_CAUSES), as a board's boot ROM would: the
reset button is power_on on both ports, the watchdog wdt, and machine.reset() wdt on the RP2040
(it reboots through the watchdog) but hard on the ESP32. A reset the firmware asked for leaves
the reset flag in the board's flash folder first, so its boot reports soft, as on a board
(vitrine_fw/bootflag.py). A board on native USB (`link.kind = "usb-cdc"`) also drops off the bus
while it resets, so its pty goes away and comes back, as /dev/ttyACM0 does.

Faults: unplug, replug, reboot (reset button), garbage N (N random bytes toward the host,
between frames), stall (the firmware hangs; the watchdog resets the board).

The console's `repl` resets a board into MicroPython's REPL, with the firmware stopped: the
board process ends (EXIT_REPL), it is not started again, and the cable carries what main.py
prints at such a boot, then a REPL prompt; bytes from the host are dropped (this board does
not speak the REPL: `vitrine sim repl-board` does). `status` says `"at_repl": true`; the reset
button (`fault ROLE reboot`) starts the firmware again.

The world in front of the board reaches it through a second socket pair, the world channel:
one JSON object per line (vitrine.sim.world). For a board with a touch frame, the fingers on
its glass; they stay on the glass across resets.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hashlib
import json
import logging
import math
import os
import random
import signal
import socket
import sys
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vitrine.hardware import BoardDescription, board_config
from vitrine.sim.ble_air import board_address
from vitrine.sim.board import EXIT_REPL, EXIT_SOFT_RESET, EXIT_WDT
from vitrine.sim.cable import PtyCable
from vitrine.sim.control import (
    DEFAULT_FINGER_DIAMETER_MM,
    FAULTS,
    FINGER_DIAMETER_MM,
    MAX_FINGERS,
    MAX_GARBAGE_BYTES,
)
from vitrine.sim.errors import SimError
from vitrine.sim.glass import Conditions, Finger
from vitrine.sim.people import World
from vitrine.sim.world import faults_line, fingers_line, noise_json, read_strips, world_line
from vitrine.tasks import stop_task
from vitrine_fw.bootflag import REPL_MESSAGE, RESET_FLAG

log = logging.getLogger("vitrine.sim")

_USB_REENUMERATE_S = 0.2  # how long a native-USB board is off the bus while it resets
SENSOR_FAULTS = ("bus-low", "bus-ok", "pir-stuck", "pir-ok")  # the presence board's parts
CABLE_FAULTS = ("unplug", "replug", "garbage")  # faults of a cable (a BLE board has none)

# What each MicroPython port's machine.reset_cause() says after each kind of reset (see
# vitrine_fw/hal.py for the sources): machine.reset() is the one that differs.
MACHINE_RESET_CAUSES = {
    "esp32": {"machine.reset": "hard", "watchdog": "wdt", "button": "power_on"},
    "rp2": {"machine.reset": "wdt", "watchdog": "wdt", "button": "power_on"},
}


@dataclass
class BoardOptions:
    """Per-board simulation options."""

    pose_schema: str | None = None  # "REV:HASH": pose as firmware from another message table
    noise: Conditions | None = None  # the touch glass' conditions (default: Conditions())
    production: bool | None = None  # config.json's "production" (default: the description's)
    # the board's link is Bluetooth LE on the simulation's virtual air (vitrine.sim.ble_air),
    # not its cable: the host reaches it at `ble://ADDRESS` (a lights board without a cable)
    ble: bool = False


@dataclass
class BoardStats:
    boots: int = 0
    resets: dict[str, int] = field(default_factory=dict)
    faults: dict[str, int] = field(default_factory=dict)


def _receive(sock: socket.socket | None) -> bytes | None:
    """What a non-blocking socket to a board process has for us: None when nothing (yet, or
    no socket), b"" when the other end is gone."""
    if sock is None:
        return None
    try:
        return sock.recv(65536)
    except (BlockingIOError, InterruptedError):
        return None
    except OSError:
        return b""


def check_number(where: str, value: Any, lo: float, hi: float) -> float:
    """value as a float when it is a finite number in lo..hi; raises SimError naming where."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise SimError(f"{where}={value!r}: allowed a number in {lo:g}..{hi:g}")
    if not lo <= value <= hi:
        raise SimError(f"{where}={value!r}: allowed {lo:g}..{hi:g}")
    return float(value)


def check_fingers(
    fingers: Iterable[Finger | Mapping[str, Any]], width_mm: float, height_mm: float
) -> tuple[Finger, ...]:
    """Fingers for a frame of that size, as Finger objects or {"x_mm", "y_mm", "diameter_mm"}
    mappings (diameter 9 mm unless given); raises SimError naming the field, value, allowed."""
    if isinstance(fingers, (str, bytes, Mapping)) or not isinstance(fingers, Iterable):
        raise SimError(
            f"fingers={fingers!r}: allowed a list of {{x_mm, y_mm, diameter_mm}} objects"
        )
    items = list(fingers)
    if len(items) > MAX_FINGERS:
        raise SimError(f"fingers: {len(items)} given, allowed at most {MAX_FINGERS}")
    out = []
    keys = ("x_mm", "y_mm", "diameter_mm")
    for n, item in enumerate(items):
        where = f"fingers[{n}]"
        raw = dataclasses.asdict(item) if isinstance(item, Finger) else item
        if not isinstance(raw, Mapping):
            raise SimError(f"{where}={raw!r}: allowed an object with keys {', '.join(keys)}")
        unknown = sorted(set(raw) - set(keys), key=str)
        if unknown:
            raise SimError(f"{where}: unknown key {unknown[0]!r}; allowed: {', '.join(keys)}")
        for key in ("x_mm", "y_mm"):
            if key not in raw:
                raise SimError(f"{where}.{key}: missing")
        out.append(
            Finger(
                check_number(f"{where}.x_mm", raw["x_mm"], 0, width_mm),
                check_number(f"{where}.y_mm", raw["y_mm"], 0, height_mm),
                check_number(
                    f"{where}.diameter_mm",
                    raw.get("diameter_mm", DEFAULT_FINGER_DIAMETER_MM),
                    *FINGER_DIAMETER_MM,
                ),
            )
        )
    return tuple(out)


class VirtualBoard:
    """One virtual board: its process, its cable, its world channel, its faults."""

    # The board's power-on: the process started (and restarted after each reset) for it.
    boot_command: tuple[str, ...] = (sys.executable, "-m", "vitrine.sim.boot")

    def __init__(
        self,
        description: BoardDescription,
        state_dir: Path,
        build: str,
        seed: int,
        options: BoardOptions | None = None,
    ) -> None:
        self.description = description
        self.role = description.role
        self.options = options or BoardOptions()
        self.config = board_config(description, build, production=self.options.production)
        self.uid = hashlib.sha256(f"vitrine-sim-{self.role}-{seed}".encode()).hexdigest()[:16]
        self.ble_address: str | None = None
        self.ble_hci = state_dir / "ble" / f"{self.role}.hci"  # its radio's HCI on the air
        if self.options.ble:
            self.config["link"] = {"kind": "ble"}
            self.ble_address = board_address(self.uid)
        self.cable = PtyCable(state_dir / self.role)
        # The board's filesystem, as far as it is emulated: the flag files a reset leaves.
        self.flash_dir = state_dir / "flash" / self.role
        self._causes = MACHINE_RESET_CAUSES[description.micropython_port]
        self.cable.on_host_data = self._from_host
        self.stats = BoardStats()
        self._rng = random.Random(seed)
        self._proc: asyncio.subprocess.Process | None = None
        self._sock: socket.socket | None = None
        self._world: socket.socket | None = None  # our end of the world channel
        self._world_partial = b""  # the rest of a line the channel took only part of
        # the newest line of each kind (fingers, world, faults), waiting for the channel
        self._world_next: dict[str, bytes] = {}
        self._people: World | None = None  # in front of the mirror, for a board that watches
        self._phone_keys: dict[str, bytes] = {}  # the members' phones' keys (a beacon board)
        self._world_epoch = 0.0
        self._faults = {"i2c_low": False, "pir_stuck": False}
        self._fingers: tuple[Finger, ...] = ()
        self._world_rx = b""  # the start of a line from the board
        # What the board's LED strips show (vitrine.sim.world): dark until its firmware says
        # otherwise; a reset keeps the last frame latched, as the LEDs do.
        self._strips: list[dict[str, Any]] = [
            {
                "pin": strip["pin"],
                "order": strip["order"],
                "pixels": strip["pixels"],
                "colour": [0] * len(strip["order"]),
                "uniform": True,
                "writes": 0,
            }
            for strip in self.config.get("strips", [])
            if strip.get("kind", "addressable") == "addressable"
        ]
        self._pwm: list[dict[str, Any]] = []  # the PWM outputs' duties (a lights board)
        self._meter: dict[str, Any] | None = None  # what its strips draw (vitrine.sim.lighting)
        self._epoch = time.monotonic()  # power-on, for the glass' drift
        self._next_cause = "power_on"
        self._button = False  # the reset button was pressed: the process's end is its reset
        self._stopping = False
        self.at_repl = False  # stopped at the REPL by the console's `repl`, until a reset
        self._watch: asyncio.Task[None] | None = None
        self.stderr_tail: list[str] = []

    @property
    def usb(self) -> bool:
        return self.description.link.kind == "usb-cdc"

    @property
    def path(self) -> Path:
        return self.cable.link_path

    @property
    def url(self) -> str:
        """Where the host opens the board: its stable port path, or `ble://ADDRESS`."""
        return f"ble://{self.ble_address}" if self.ble_address else str(self.path)

    @property
    def frame(self) -> dict[str, Any] | None:
        """The touch frame's config entry, for a board that has one."""
        return self.config.get("frame")

    @property
    def fingers(self) -> tuple[Finger, ...]:
        """The fingers on the glass now (they stay there across resets)."""
        return self._fingers

    async def start(self) -> None:
        # A new simulation's boards start from a clean flash: no flag of an earlier run's.
        self.flash_dir.mkdir(parents=True, exist_ok=True)
        (self.flash_dir / RESET_FLAG).unlink(missing_ok=True)
        if self.ble_address is None:  # a BLE board's cable stays unplugged
            self.cable.plug()
        await self._spawn()

    async def stop(self) -> None:
        self._stopping = True
        await self._kill()
        if self._watch:
            await stop_task(self._watch)
        self.cable.close()

    # --- process lifecycle -----------------------------------------------------------------

    async def _spawn(self) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        world, world_theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        args = [
            *self.boot_command,
            "--config",
            json.dumps(self.config),
            "--uid",
            self.uid,
            "--reset-cause",
            self._next_cause,
            "--link-fd",
            str(theirs.fileno()),
            "--parent-pid",
            str(os.getpid()),
            "--flash-dir",
            str(self.flash_dir),
            "--world-fd",
            str(world_theirs.fileno()),
            "--glass-epoch",
            repr(self._epoch),
        ]
        if self.options.pose_schema:
            args += ["--pose-schema", self.options.pose_schema]
        if self.options.noise is not None:
            args += ["--noise", noise_json(self.options.noise)]
        if self.ble_address is not None:
            args += ["--ble-hci", str(self.ble_hci), "--ble-address", self.ble_address]
        try:
            self._proc = await asyncio.create_subprocess_exec(
                *args,
                pass_fds=[theirs.fileno(), world_theirs.fileno()],
                stderr=asyncio.subprocess.PIPE,
                start_new_session=True,  # the terminal's and the group's signals are not for boards
            )
        except BaseException:
            for sock in (ours, world):
                sock.close()
            raise
        finally:
            theirs.close()
            world_theirs.close()
        ours.setblocking(False)
        self._sock = ours
        asyncio.get_running_loop().add_reader(ours, self._from_board)
        world.setblocking(False)
        self._world = world
        self._world_partial, self._world_next = b"", {}
        self._world_rx = b""
        asyncio.get_running_loop().add_reader(world, self._from_world)
        if self._fingers:  # the fingers are still on the glass after a reset
            self._send_world("fingers", fingers_line(self._fingers))
        if self._people is not None:  # ... and the people in front of the mirror
            self._send_world("world", self._world_line())
        if any(self._faults.values()):
            self._send_world("faults", faults_line(**self._faults))
        self.stats.boots += 1
        self.stats.resets[self._next_cause] = self.stats.resets.get(self._next_cause, 0) + 1
        self._next_cause = self._causes["machine.reset"]
        self._watch = asyncio.create_task(self._watch_process(self._proc))

    async def _watch_process(self, proc: asyncio.subprocess.Process) -> None:
        assert proc.stderr is not None
        async for line in proc.stderr:
            text = line.decode(errors="replace").rstrip()
            self.stderr_tail = [*self.stderr_tail[-40:], text]
            log.debug("%s: %s", self.role, text)
        code = await proc.wait()
        self._close_socket()
        self._close_world()
        if self._stopping or proc is not self._proc:
            return
        if code == EXIT_REPL:
            await self._stop_at_repl()
            return
        button, self._button = self._button, False
        if code == EXIT_WDT:
            cause = self._causes["watchdog"]
        elif code == EXIT_SOFT_RESET:  # machine.reset(); the firmware left the reset flag
            cause = self._causes["machine.reset"]
        elif code == -signal.SIGKILL and button:
            cause = self._causes["button"]
        elif code < 0:
            # Killed by a signal this simulation did not send: the machine is shutting down
            # (or someone pulled the plug by hand). A board without power stays off.
            log.warning("%s: switched off from outside (signal %d)", self.role, -code)
            return
        else:  # the interpreter itself died: a crash the firmware could not catch (a panic)
            cause = self._causes["machine.reset"]
            log.error("%s: firmware exited with %s", self.role, code)
        self._next_cause = cause
        log.info("%s: reset (%s)", self.role, cause)
        await self._boot()

    async def _boot(self) -> None:
        """Start the firmware after a reset; a native-USB board re-enumerates meanwhile."""
        if self.usb and self.cable.plugged:
            self.cable.unplug()
            await self._spawn()
            await asyncio.sleep(_USB_REENUMERATE_S)
            if not self.cable.plugged and not self._stopping:
                self.cable.plug()
        else:
            await self._spawn()

    async def _stop_at_repl(self) -> None:
        """The board reset into the REPL: no firmware until the next reset (module docstring)."""
        self.at_repl = True
        log.info("%s: at the REPL (the console's repl); the reset button restarts it", self.role)
        if self.usb and self.cable.plugged:
            self.cable.unplug()
            await asyncio.sleep(_USB_REENUMERATE_S)
            if not self.cable.plugged and not self._stopping:
                self.cable.plug()
        self.cable.to_host(REPL_MESSAGE.encode() + b"\r\n>>> ")

    async def _kill(self) -> None:
        proc = self._proc
        if proc is not None and proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()
        self._close_socket()
        self._close_world()

    def _close_socket(self) -> None:
        if self._sock is not None:
            with contextlib.suppress(Exception):
                asyncio.get_running_loop().remove_reader(self._sock)
            self._sock.close()
            self._sock = None

    def _close_world(self) -> None:
        if self._world is not None:
            with contextlib.suppress(Exception):
                asyncio.get_running_loop().remove_writer(self._world)
            with contextlib.suppress(Exception):
                asyncio.get_running_loop().remove_reader(self._world)
            self._world.close()
            self._world = None
        self._world_partial, self._world_next = b"", {}

    # --- the world in front of the board ----------------------------------------------------

    def set_fingers(self, fingers: Iterable[Finger | Mapping[str, Any]]) -> tuple[Finger, ...]:
        """Put exactly these fingers on the board's glass (an empty set lifts them all); they
        stay there across resets until the next call. Returns them, checked."""
        frame = self.frame
        if frame is None:
            raise SimError(
                f"{self.role} has no touch frame; fingers go on a board whose description "
                "names a frame (the touch role)"
            )
        self._fingers = check_fingers(fingers, frame["width_mm"], frame["height_mm"])
        self._send_world("fingers", fingers_line(self._fingers))
        return self._fingers

    @property
    def watches_people(self) -> bool:
        """Whether the board has sensors that watch the people in front (a presence board)."""
        return "proximity" in self.config

    @property
    def hears_phones(self) -> bool:
        """Whether the board's radio hears the people's phones (the beacon board)."""
        return "beacon" in self.config

    def set_world(
        self, world: World, epoch: float, keys: Mapping[str, bytes] | None = None
    ) -> None:
        """Put this world of people in front of the board's sensors, or around its radio
        (epoch: the monotonic time of the world's t = 0; keys: the members' phones' keys, for
        a board that hears phones); it stays across resets."""
        if not (self.watches_people or self.hears_phones):
            raise SimError(
                f"{self.role} has no sensors that watch people nor a radio that hears phones "
                "(the presence and beacon boards have)"
            )
        self._people, self._world_epoch = world, epoch
        if self.hears_phones:
            self._phone_keys = dict(keys or {})
        self._send_world("world", self._world_line())

    def _world_line(self) -> bytes:
        assert self._people is not None
        keys = self._phone_keys if self.hears_phones else None
        return world_line(self._people, self._world_epoch, keys)

    def set_sensor_faults(
        self, *, i2c_low: bool | None = None, pir_stuck: bool | None = None
    ) -> dict[str, bool]:
        """Hold the sensors' I2C bus low, or the PIR's output high (None: leave as it is)."""
        if not self.watches_people:
            raise SimError(f"{self.role} has no presence sensors")
        if i2c_low is not None:
            self._faults["i2c_low"] = i2c_low
        if pir_stuck is not None:
            self._faults["pir_stuck"] = pir_stuck
        self._send_world("faults", faults_line(**self._faults))
        return dict(self._faults)

    def _sensor_fault(self, kind: str) -> dict[str, Any]:
        if kind in ("bus-low", "bus-ok"):
            faults = self.set_sensor_faults(i2c_low=kind == "bus-low")
            return {"done": "sensors' I2C bus " + ("held low" if faults["i2c_low"] else "free")}
        faults = self.set_sensor_faults(pir_stuck=kind == "pir-stuck")
        return {"done": "PIR output " + ("stuck high" if faults["pir_stuck"] else "working")}

    def _send_world(self, kind: str, line: bytes) -> None:
        # Every line is the whole state of its kind, so only the newest one of each kind
        # waiting matters: a line the channel took only part of is finished first, then the
        # newest of each kind; older ones are dropped.
        self._world_next.pop(kind, None)
        self._world_next[kind] = line
        self._flush_world()

    def _flush_world(self) -> None:
        sock = self._world
        if sock is None:
            return  # the board is off or resetting; _spawn sends the fingers again
        while True:
            if not self._world_partial:
                if not self._world_next:
                    break
                kind = next(iter(self._world_next))
                self._world_partial = self._world_next.pop(kind)
            try:
                sent = sock.send(self._world_partial)
            except (BlockingIOError, InterruptedError):
                sent = 0
            except OSError:  # the board process is gone: its reset will send the state again
                self._close_world()
                return
            self._world_partial = self._world_partial[sent:]
            if self._world_partial:  # the channel is full: go on when it takes more
                asyncio.get_running_loop().add_writer(sock, self._flush_world)
                return
        with contextlib.suppress(Exception):
            asyncio.get_running_loop().remove_writer(sock)

    def _from_world(self) -> None:
        # Lines back from the board: what its LED strips show (vitrine.sim.world).
        sock = self._world
        data = _receive(sock)
        if data is None:
            return
        if not data:  # the board process is gone; its reset opens a new channel
            with contextlib.suppress(Exception):
                asyncio.get_running_loop().remove_reader(sock)
            return
        *lines, self._world_rx = (self._world_rx + data).split(b"\n")
        if len(self._world_rx) > 1 << 20:  # no line is that long: drop it
            self._world_rx = b""
        for line in lines:
            if not line.strip():
                continue
            try:
                message = read_strips(line)
                self._strips = message["strips"]
                self._pwm = message.get("pwm", [])
                self._meter = message.get("meter")
            except ValueError as err:
                log.debug("%s: world: ignored %r: %s", self.role, line[:120], err)

    @property
    def strips(self) -> list[dict[str, Any]]:
        """What the board's LED strips show now (see vitrine.sim.world for the keys)."""
        return self._strips

    @property
    def pwm(self) -> list[dict[str, Any]]:
        """The board's PWM outputs' duties now (a lights board's white strip)."""
        return self._pwm

    @property
    def meter(self) -> dict[str, Any] | None:
        """What a lights board's strips draw: now, at most since boot, over the budget."""
        return self._meter

    # --- data between the board process and the cable ---------------------------------------

    def _from_board(self) -> None:
        data = _receive(self._sock)
        if data is None:
            return
        if not data:
            self._close_socket()
            return
        self.cable.to_host(data)

    def _from_host(self, data: bytes) -> None:
        sock = self._sock
        if sock is None:
            return  # the board is resetting: bytes on the line are lost
        with contextlib.suppress(BlockingIOError, BrokenPipeError, ConnectionResetError):
            sock.send(data)

    # --- faults ------------------------------------------------------------------------------

    async def fault(self, kind: str, arg: int | None = None) -> dict[str, Any]:
        """Inject a fault; returns a description of what was done."""
        if kind not in FAULTS:
            raise SimError(f"unknown fault {kind!r}; allowed: {', '.join(FAULTS)}")
        if self.ble_address is not None and kind in CABLE_FAULTS:
            allowed = [
                k
                for k in FAULTS
                if k not in CABLE_FAULTS and (k not in SENSOR_FAULTS or self.watches_people)
            ]
            raise SimError(
                f"{self.role} has no cable (its link is BLE, {self.url}): fault {kind!r} is for "
                f"a cable; allowed here: {', '.join(allowed)}"
            )
        done = await self._inject(kind, arg)
        self.stats.faults[kind] = self.stats.faults.get(kind, 0) + 1  # only faults carried out
        return done

    async def _inject(self, kind: str, arg: int | None) -> dict[str, Any]:
        if kind == "unplug":
            if not self.cable.plugged:
                raise SimError(f"{self.role} is already unplugged")
            self.cable.unplug()
            return {"done": "unplugged"}
        if kind == "replug":
            if self.cable.plugged:
                raise SimError(f"{self.role} is already plugged in")
            self.cable.plug()
            return {"done": "plugged", "tty": self.cable.tty_path}
        if kind == "reboot":
            proc = self._proc
            if proc is not None and proc.returncode is None:
                self._button = True
                proc.kill()
            elif self.at_repl:  # nothing runs: the button boots the firmware again
                self.at_repl = False
                self._next_cause = self._causes["button"]
                await self._boot()
            return {"done": "reset button pressed"}
        if kind in SENSOR_FAULTS:
            return self._sensor_fault(kind)
        if kind == "garbage":
            if arg is None or not 1 <= arg <= MAX_GARBAGE_BYTES:
                raise SimError(f"garbage needs a byte count N, 1..{MAX_GARBAGE_BYTES}")
            if not self.cable.plugged:
                raise SimError(f"{self.role} is unplugged")
            self.cable.to_host(self._rng.randbytes(arg))
            return {"done": f"{arg} random bytes sent toward the host"}
        # stall
        proc = self._proc
        if proc is None or proc.returncode is not None:
            raise SimError(f"{self.role} is not running")
        proc.send_signal(signal.SIGUSR1)
        watchdog_s = self.description.watchdog_ms / 1000
        return {"done": f"firmware hung; the watchdog resets it within {watchdog_s:.1f} s"}

    def status(self) -> dict[str, Any]:
        return {
            "role": self.role,
            "path": str(self.path),
            "tty": self.cable.tty_path,
            "plugged": self.cable.plugged,
            "pid": self._proc.pid if self._proc and self._proc.returncode is None else None,
            "at_repl": self.at_repl,
            "link": self.config["link"]["kind"],
            "url": self.url,
            "boots": self.stats.boots,
            "resets": self.stats.resets,
            "faults": self.stats.faults,
            "bytes_to_host": self.cable.to_host_bytes,
            "bytes_from_host": self.cable.from_host_bytes,
            "bytes_dropped": self.cable.dropped_bytes,
            "stderr_tail": self.stderr_tail[-5:],  # the firmware's last words, after a crash
            **({"strips": self._strips} if self._strips else {}),
            **({"pwm": self._pwm} if self._pwm else {}),
            **({"meter": self._meter} if self._meter else {}),
            **(
                {
                    "frame_mm": [self.frame["width_mm"], self.frame["height_mm"]],
                    "fingers": [dataclasses.asdict(f) for f in self._fingers],
                }
                if self.frame is not None
                else {}
            ),
        }
