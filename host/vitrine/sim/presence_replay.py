"""Replay a world of people through the presence board's real firmware and the host's fusion,
on a virtual clock: what the sense benchmark measures and the tests replay. No processes, no
pseudo-terminal: the firmware's proximity subsystem (vitrine_fw.proximity, unchanged) runs in
this process against the emulated VL53L1X chips and PIR (vitrine.sim.sensors) watching the
world, its frames go through the wire codec into typed messages, and the host's Fusion
(vitrine.devices.presence.fusion) decides the zones. Deterministic for a world and a seed.

The board's task is stepped as its loop runs it: a pass every _POLL_MS of virtual time (its
sleeps advance the clock), pin interrupts seen at the next pass; the host's fusion looks at the
time every 50 ms, as the device's timer does. A frame reaches the host `link_ms` after the
board sent it (a USB-CDC link: about a millisecond).

A camera may watch too (`ReplayOptions.camera`: a function of world time giving what the
camera reports of that frame, e.g. vitrine.bench.camera_witness): its CameraPeople reach the
fusion camera_hz times a second, camera_latency_s after their frame. `tof=False` replays a
mirror with no presence board: the board's frames never reach the host.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from vitrine.devices.presence.config import PresenceConfig
from vitrine.devices.presence.device import mounts_of
from vitrine.devices.presence.events import CameraPeople, Presence, Zone
from vitrine.devices.presence.fusion import Fusion
from vitrine.hardware import BoardDescription, board_config, load_boards
from vitrine.link import messages as m
from vitrine.sim.board import I2CDevice, SimI2C, SimPin
from vitrine.sim.people import Stage, World
from vitrine.sim.sensors import PresenceParts, attach_sensors
from vitrine_fw import config as fw_config
from vitrine_fw import seam, wire
from vitrine_fw.link import Link
from vitrine_fw.proximity import Proximity

_POLL_MS = 8  # the firmware task's pass (vitrine_fw.proximity._POLL_MS)
_HOST_TICK_NS = 50_000_000  # the Presence device's timer
IDENTITY = {
    "role": "presence",
    "fw_version": "replay",
    "build_hash": "replay",
    "uid": "replay",
    "reset_cause": wire.RESET_POWER_ON,
    "capabilities": wire.CAP_PROXIMITY,
}


class VirtualClock(seam.BaseClock):
    """MicroPython's ticks over a time the replay moves (ns)."""

    def __init__(self, t_ns: int = 0) -> None:
        self.t_ns = t_ns

    def ticks_ms(self) -> int:
        return (self.t_ns // 1_000_000) & 0x3FFFFFFF

    def ticks_us(self) -> int:
        return (self.t_ns // 1_000) & 0x3FFFFFFF

    @staticmethod
    def ticks_diff(a: int, b: int) -> int:
        return ((a - b + 0x20000000) & 0x3FFFFFFF) - 0x20000000

    @staticmethod
    def ticks_add(t: int, delta: int) -> int:
        return (t + delta) & 0x3FFFFFFF

    def sleep_ms(self, ms: int) -> Any:
        self.t_ns += ms * 1_000_000
        return _Pause()

    def seconds(self) -> float:
        return self.t_ns / 1e9


class _Pause:
    def __await__(self) -> Iterator[None]:
        yield None


class ReplayBoard(seam.BaseBoard):
    """The presence board's seam on the virtual clock: I2C to the emulated chips, pins."""

    def __init__(self, clock: VirtualClock) -> None:
        super().__init__(clock)
        self.i2c_devices: dict[int, list[I2CDevice]] = {}
        self.i2c_stuck: set[int] = set()
        self.pins: dict[int, SimPin] = {}
        self.levels: dict[int, int] = {}  # the inputs' levels at the last pass (for edges)

    def pin(self, n: int, mode: str, pull: str | None = None) -> SimPin:
        seam.check_pin(n, mode, pull)
        pin = self.pins.get(n)
        if pin is None or pin.mode != mode:
            pin = self.pins[n] = SimPin(n, mode)
        return pin

    def i2c(self, bus: int, scl: int, sda: int, freq: int = 400_000) -> SimI2C:
        return SimI2C(bus, self)  # type: ignore[arg-type]

    def edges(self) -> None:
        """Call the pin interrupts whose edges came since the last pass."""
        for n, pin in self.pins.items():
            if pin.handler is None:
                continue
            level = int(pin.value() or 0)
            before = self.levels.get(n, level)
            self.levels[n] = level
            if (before == 0 and level == 1 and pin.trigger & pin.IRQ_RISING) or (
                before == 1 and level == 0 and pin.trigger & pin.IRQ_FALLING
            ):
                pin.handler(pin)


class Port(seam.BasePort):
    def __init__(self) -> None:
        self.frames: list[bytes] = []
        self.reader = wire.FrameReader()

    def write(self, buf: bytes | bytearray, n: int) -> int:
        self.frames.append(bytes(buf[:n]))
        return n


@dataclass(frozen=True)
class Decision:
    """A zone or presence event of the host, at the virtual time it was decided."""

    t_s: float
    event: Zone | Presence


@dataclass(frozen=True)
class Sample:
    """The host's zone against the world's truth, at one moment."""

    t_s: float
    zone: str
    truth: str


@dataclass(frozen=True)
class ReplayOptions:
    """How a replay's board and host are set up."""

    config: PresenceConfig = field(default_factory=PresenceConfig)  # the host's [presence]
    description: BoardDescription | None = None  # the board (default: hardware/boards)
    uid: str = "replay"  # seeds the sensors' noise
    link_ms: float = 1.0  # a frame's way to the host
    pir_warmup_s: float | None = None  # the PIR's warm-up (default: the description's)
    camera: Callable[[float], CameraPeople] | None = None  # what the camera reports at t_s
    camera_hz: float = 10.0
    camera_latency_s: float = 0.06
    tof: bool = True  # False: no presence board reaches the host (a camera-only mirror)


class Replay:
    """One presence board in a world: its firmware, its link and the host's fusion."""

    def __init__(self, world: World, options: ReplayOptions = ReplayOptions()) -> None:
        description = options.description or load_boards()["presence"]
        uid, link_ms, pir_warmup_s = options.uid, options.link_ms, options.pir_warmup_s
        cfg = fw_config.check(board_config(description, "replay"), "replay board")
        if pir_warmup_s is not None and cfg["proximity"]["pir"] is not None:
            cfg["proximity"]["pir"]["warmup_s"] = int(pir_warmup_s)
        self.clock = VirtualClock(0)
        self.board = ReplayBoard(self.clock)
        self.stage = Stage(world, 0.0)
        parts = attach_sensors(self.board, cfg, uid, self.stage, clock=self.clock.seconds)
        assert parts is not None
        self.parts: PresenceParts = parts
        self.port = Port()
        self.link = Link(self.port, self.clock, dict(IDENTITY))
        self.link.host_up = True  # as after a handshake
        self.link.log = lambda level, subsystem, text: None  # type: ignore[method-assign]
        self.proximity = Proximity(self.board, cfg, self.link)
        self.fusion = Fusion(options.config, mounts_of(description))
        self.link_ns = round(link_ms * 1e6)
        self.camera = options.camera
        self.camera_every_ns = round(1e9 / options.camera_hz)
        self.camera_latency_ns = round(options.camera_latency_s * 1e9)
        self._camera_frame_ns = 0
        self.tof = options.tof
        self.decisions: list[Decision] = []
        self._host_tick_ns = 0
        self._started = False
        self.frames = 0

    def start(self) -> None:
        """The board's start-up: every sensor brought up (its awaits advance the clock)."""
        coro = self.proximity.bring_up_all(lambda: None)
        while True:
            try:
                coro.send(None)
            except StopIteration:
                break
        self._deliver()
        self._started = True

    def run_until(self, t_s: float, each: Callable[[float], None] | None = None) -> None:
        """Step the board's task and the host until the virtual time t_s."""
        if not self._started:
            self.start()
        end_ns = round(t_s * 1e9)
        poll_ns = _POLL_MS * 1_000_000
        while self.clock.t_ns < end_ns:
            self.board.edges()
            self.proximity.step()
            for sensor in self.proximity.sensors:  # a failed sensor's retry, as the task does
                if sensor.state == wire.PART_FAILED and (
                    self.clock.ticks_diff(self.clock.ticks_ms(), sensor.retry_ms) >= 0
                ):
                    self._drive(self.proximity.bring_up(sensor, lambda: None))
            self._deliver()
            self._camera()
            while self._host_tick_ns <= self.clock.t_ns:
                self._decide(self.fusion.tick(self._host_tick_ns), self._host_tick_ns)
                self._host_tick_ns += _HOST_TICK_NS
            if each is not None:
                each(self.clock.t_ns / 1e9)
            self.clock.t_ns += poll_ns

    def _drive(self, coro: Any) -> None:
        while True:
            try:
                coro.send(None)
            except StopIteration:
                return

    def _camera(self) -> None:
        """The camera's reports of the frames whose latency has passed."""
        if self.camera is None:
            return
        while self._camera_frame_ns + self.camera_latency_ns <= self.clock.t_ns:
            report = replace(self.camera(self._camera_frame_ns / 1e9), t_ns=self._camera_frame_ns)
            rx_ns = self._camera_frame_ns + self.camera_latency_ns
            self._decide(self.fusion.handle(report, rx_ns), rx_ns)
            self._camera_frame_ns += self.camera_every_ns

    def _deliver(self) -> None:
        """The board's frames to the host, typed, each `link_ns` after it was sent."""
        rx_ns = self.clock.t_ns + self.link_ns
        if not self.tof:
            self.port.frames.clear()
            return
        for raw in self.port.frames:
            for _v, _f, seq, typ, payload, _o in self.port.reader.feed(raw):
                try:
                    msg = m.from_payload("presence", seq, typ, payload, rx_ns)
                except (KeyError, wire.WireError):
                    continue
                self.frames += 1
                self._decide(self.fusion.handle(msg, rx_ns), rx_ns)
        self.port.frames.clear()

    def _decide(self, events: list[Zone | Presence], t_ns: int) -> None:
        for event in events:
            self.decisions.append(Decision(t_ns / 1e9, event))

    def samples(self, t0_s: float, t1_s: float, every_s: float = 0.1) -> Iterator[Sample]:
        """Run from t0 to t1, sampling the host's zone and the truth every every_s."""
        t = t0_s
        while t < t1_s:
            self.run_until(t)
            yield Sample(
                t, self.fusion.zone, self.stage.world.zone(t) if self.stage.world else "none"
            )
            t = round(t + every_s, 9)


def crossing_latencies(replay: Replay, world: World, line_m: float = 1.5) -> list[dict[str, Any]]:
    """For each crossing of the line toward the glass in the world's truth, how long until the
    host announced the zone beyond it (in_front or at_glass); None when it never did before
    the person turned back."""
    out: list[dict[str, Any]] = []
    crossings = [c for c in world.crossings(line_m) if c.direction == "in"]
    for crossing in crossings:
        after = [
            d
            for d in replay.decisions
            if isinstance(d.event, Zone)
            and d.event.zone in ("in_front", "at_glass")
            and d.t_s >= crossing.t_s - 0.5
        ]
        first = after[0].t_s if after else math.nan
        out.append(
            {"t_s": crossing.t_s, "person": crossing.person, "latency_s": first - crossing.t_s}
        )
    return out
