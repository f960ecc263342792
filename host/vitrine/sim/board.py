"""The simulated board object: the hardware seam (firmware/lib/vitrine_fw/seam.py) that
firmware/lib/vitrine_fw/hal.py's Board also implements, answered by models instead of silicon,
so the real firmware runs unchanged under CPython.

What it emulates:
- clock: MicroPython's ticks (30-bit wrap, as on the ESP32 and RP2040 ports), from the host's
  monotonic clock, so timestamps a virtual board puts on the wire compare with the host's;
  sleep_ms() is asyncio's sleep in the simulation's event loop.
- watchdog: a real timer; when not fed in time it "resets the board" (ends the process with
  EXIT_WDT, and the simulation restarts it with reset cause wdt).
- reset(): a reset the firmware asks for: as on a board, it sets vitrine_fw.bootflag's reset
  flag in the board's flash folder, then resets (ends the process with EXIT_SOFT_RESET); the
  simulation boots it again with the cause the board's port gives machine.reset() (wdt on the
  RP2040, hard on the ESP32), and the boot, finding the flag, reports soft (vitrine.sim.boot).
- reset_to_repl(): the console's `repl` (ends the process with EXIT_REPL; the simulation keeps
  the board stopped "at the REPL" until its reset button, see vitrine.sim.virtual_board).
- the link port: one end of a socket pair whose other end is the simulated cable (a
  pseudo-terminal on the host); writes that do not fit are dropped, as a UART's would be.
- Ctrl-C disabling on USB-CDC while the protocol runs (recorded in kbd_intr_disabled).
- pins, ADC channels, I2C buses, PWM outputs and LED strips: state holders to which device
  models attach (an input pin or ADC channel reads from a source function, an output pin tells
  a sink, an I2C device answers its transactions, a pin interrupt fires on the edges of its
  input; a bus can be held low);
  every frame a strip latches goes to `on_strip_write`, which the simulation's world channel
  carries back (vitrine.sim.world), so `vitrine sim status` shows the light.
- the IR touch frame: `ir_frame()` is a SimIrFrame: it runs the firmware's scan plans against
  the glass model (vitrine.sim.glass, whose fingers the simulation sets), each reading at the
  moment the plan's timing puts it (the frame's costs, as the board's PIO waits them).
- the BLE radio: `ble()` is a virtual radio (vitrine.sim.radio) between the firmware and the
  simulated air (vitrine.sim.air): what the board advertises goes into it, and what the
  world's phones advertise comes out of it while the firmware scans.

What it does not: timing of real UART baud rates, the flash filesystem (the firmware runs from the
source tree; only the flag files across a reset live in the board's flash folder).
"""

from __future__ import annotations

import asyncio
import errno
import os
import socket
import threading
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from vitrine.sim.glass import Glass, Requests
from vitrine.sim.people import Stage
from vitrine_fw import bootflag, seam, wire
from vitrine_fw.touch.geometry import Geometry

if TYPE_CHECKING:  # the radio is imported when a firmware asks for it (the air needs crypto)
    from vitrine.sim.radio import SimRadio

EXIT_SOFT_RESET = 75  # machine.reset()
EXIT_WDT = 76  # the watchdog expired
EXIT_REPL = 77  # reset into the REPL (the console's `repl`): the firmware stays stopped
_RADIO_PUMP_S = 0.05  # how often the radio hands the firmware what it heard
SIM_MCU_TEMPERATURE_C = 38  # what a virtual board's mcu_temperature() reads

_TICKS_PERIOD = 1 << 30
_TICKS_MAX = _TICKS_PERIOD - 1
_TICKS_HALF = _TICKS_PERIOD // 2


class SimClock(seam.BaseClock):
    """MicroPython's ticks_* functions over time.monotonic_ns(), and asyncio's sleep."""

    @staticmethod
    def ticks_ms() -> int:
        return (time.monotonic_ns() // 1_000_000) & _TICKS_MAX

    @staticmethod
    def ticks_us() -> int:
        return (time.monotonic_ns() // 1_000) & _TICKS_MAX

    @staticmethod
    def ticks_diff(a: int, b: int) -> int:
        return ((a - b + _TICKS_HALF) & _TICKS_MAX) - _TICKS_HALF

    @staticmethod
    def ticks_add(t: int, delta: int) -> int:
        # As MicroPython does (1.29): a delta ticks_diff could not give back is refused.
        if not -_TICKS_HALF < delta < _TICKS_HALF:
            raise OverflowError("ticks interval overflow")
        return (t + delta) & _TICKS_MAX

    @staticmethod
    def sleep_ms(ms: int) -> Awaitable[None]:
        return asyncio.sleep(ms / 1000)


class SimWatchdog:
    """A hardware watchdog: once started it cannot be stopped; expiry resets the board."""

    def __init__(self, timeout_ms: int, expire: Callable[[], None]) -> None:
        self.timeout_s = timeout_ms / 1000
        self._expire = expire
        self._deadline = time.monotonic() + self.timeout_s
        self._lock = threading.Lock()
        self.feeds = 0
        self._thread = threading.Thread(target=self._watch, name="watchdog", daemon=True)
        self._thread.start()

    def feed(self) -> None:
        with self._lock:
            self._deadline = time.monotonic() + self.timeout_s
            self.feeds += 1

    def _watch(self) -> None:
        # Runs on its own thread, like the hardware timer: a firmware that hangs its event
        # loop (or the whole interpreter in a busy loop) cannot stop it.
        while True:
            with self._lock:
                left = self._deadline - time.monotonic()
            if left <= 0:
                self._expire()
                return
            time.sleep(min(left, 0.05))


class SocketPort(seam.BasePort):
    """The protocol port over one end of a socket pair (the other end is the cable)."""

    def __init__(self, sock: socket.socket) -> None:
        sock.setblocking(False)
        self._sock = sock
        self.tx_dropped_bytes = 0

    async def read_into(self, buf: bytearray, timeout_ms: int) -> int:
        loop = asyncio.get_running_loop()
        try:
            # asyncio.timeout, not wait_for: on Python 3.11 wait_for can swallow a cancellation
            # that arrives with the data, and the simulated board then never stops
            async with asyncio.timeout(timeout_ms / 1000):
                n = await loop.sock_recv_into(self._sock, buf)
        except TimeoutError:
            return 0
        if n == 0:  # the cable's end closed: nothing will ever arrive; idle like a dead UART
            await asyncio.sleep(timeout_ms / 1000)
        return n

    def write(self, buf: bytes | bytearray, n: int) -> int:
        try:
            return self._sock.send(memoryview(buf)[:n])
        except (BlockingIOError, BrokenPipeError, ConnectionResetError):
            self.tx_dropped_bytes += n
            return 0

    def close(self) -> None:
        self._sock.close()


class I2CDevice(Protocol):
    """A simulated I2C peripheral at the transaction level: whether it answers at an address
    now, and the bytes of one write transaction (after the address byte) or one read."""

    def acks(self, address: int) -> bool: ...

    def i2c_write(self, data: bytes) -> None: ...

    def i2c_read(self, n: int) -> bytes: ...


class SimPin:
    """A digital pin; inputs read what a model drives (`source`), outputs remember what was
    written and tell a model that listens (`sink`, called with each level written). irq()
    calls the handler on the edges of an input's level, as a port's pin interrupt does (the
    board watches the level every millisecond on a thread of its own, like the hardware)."""

    def __init__(self, n: int, mode: str) -> None:
        # The trigger bits, as the RP2040's port numbers them (the ESP32's are 2 and 1); the
        # firmware takes them from the pin it was given, so either numbering works.
        self.IRQ_FALLING = 4
        self.IRQ_RISING = 8
        self.n = n
        self.mode = mode
        self._value = 0
        self.source: Callable[[], int] | None = None
        self.sink: Callable[[int], None] | None = None
        self.handler: Callable[[SimPin], None] | None = None
        self.trigger = 0
        self.on_irq: Callable[[SimPin], None] | None = None  # the board's edge watcher

    def value(self, v: int | None = None) -> int | None:
        if v is None:
            return int(self.source()) if self.source else self._value
        self._value = 1 if v else 0
        if self.sink is not None:
            self.sink(self._value)
        return None

    def on(self) -> None:
        self.value(1)

    def off(self) -> None:
        self.value(0)

    def irq(self, handler: Callable[[SimPin], None] | None = None, trigger: int = 12) -> None:
        """Call handler(pin) on the input's edges (trigger: IRQ_RISING | IRQ_FALLING)."""
        self.handler = handler
        self.trigger = trigger
        if self.on_irq is not None:
            self.on_irq(self)


class SimADC:
    """An analogue input that reads from the model attached to its pin."""

    def __init__(self, n: int, board: SimBoard) -> None:
        self.n = n
        self._board = board

    def read_u16(self) -> int:
        source = self._board.adc_sources.get(self.n)
        if source is None:
            raise OSError(f"simulated ADC on pin {self.n}: no signal model attached")
        return max(0, min(0xFFFF, int(source())))


class SimI2C:
    """An I2C bus whose devices answer transaction by transaction. A device that does not
    acknowledge its address is an OSError ENODEV naming the bus and the address; a bus whose
    lines are held low (board.i2c_stuck) times out every transaction (ETIMEDOUT). Two devices
    at one address both take a write, and a read gets the wired AND of what they drive, as on
    the open-drain wires."""

    def __init__(self, bus: int, board: SimBoard) -> None:
        self.bus = bus
        self._board = board

    def _targets(self, addr: int) -> list[I2CDevice]:
        if self.bus in self._board.i2c_stuck:
            raise OSError(errno.ETIMEDOUT, f"I2C bus {self.bus}: SDA or SCL held low (ETIMEDOUT)")
        devices = [d for d in self._board.i2c_devices.get(self.bus, []) if d.acks(addr)]
        if not devices:
            raise OSError(errno.ENODEV, f"I2C bus {self.bus}: no device at 0x{addr:02x} (ENODEV)")
        return devices

    def scan(self) -> list[int]:
        if self.bus in self._board.i2c_stuck:
            return []
        return [
            a
            for a in range(0x08, 0x78)
            if any(d.acks(a) for d in self._board.i2c_devices.get(self.bus, []))
        ]

    def writeto(self, addr: int, buf: bytes, stop: bool = True, /) -> int:
        data = bytes(buf)
        for device in self._targets(addr):
            device.i2c_write(data)
        return len(data)

    def readfrom_into(self, addr: int, buf: bytearray, stop: bool = True, /) -> None:
        data = self._read(addr, len(buf))
        buf[: len(data)] = data

    def readfrom(self, addr: int, nbytes: int, stop: bool = True, /) -> bytes:
        return self._read(addr, nbytes)

    def _read(self, addr: int, n: int) -> bytes:
        out = bytearray(b"\xff" * n)
        for device in self._targets(addr):
            data = device.i2c_read(n)
            for i in range(n):
                out[i] &= data[i]
        return bytes(out)

    # addrsize is keyword-only, as on the ports (extmod/machine_i2c.c); the register address
    # goes out most significant byte first, as there
    def readfrom_mem(self, addr: int, memaddr: int, nbytes: int, *, addrsize: int = 8) -> bytes:
        self.writeto(addr, memaddr.to_bytes(addrsize // 8, "big"), False)
        return self._read(addr, nbytes)

    def readfrom_mem_into(
        self, addr: int, memaddr: int, buf: bytearray, *, addrsize: int = 8
    ) -> None:
        self.writeto(addr, memaddr.to_bytes(addrsize // 8, "big"), False)
        self.readfrom_into(addr, buf)

    def writeto_mem(self, addr: int, memaddr: int, buf: bytes, *, addrsize: int = 8) -> None:
        self.writeto(addr, memaddr.to_bytes(addrsize // 8, "big") + bytes(buf))


class SimPWM:
    """A PWM output: its frequency and 16-bit duty; `on_duty` hears every change (the
    simulation's lighting model reads it)."""

    def __init__(self, pin: int, freq: int) -> None:
        self.pin = pin
        self._freq = freq
        self._duty = 0
        self.writes = 0
        self.on_duty: Callable[[SimPWM], None] | None = None

    def freq(self, value: int | None = None) -> int | None:
        if value is None:
            return self._freq
        self._freq = value
        return None

    def duty_u16(self, value: int | None = None) -> int | None:
        if value is None:
            return self._duty
        self._duty = max(0, min(0xFFFF, int(value)))
        self.writes += 1
        if self.on_duty is not None:
            self.on_duty(self)
        return None

    def deinit(self) -> None:
        self._duty = 0


class SimLedStrip:
    """A WS2812/SK6812 strip: pixels are set, write() latches them (the model sees latched
    frames). A pixel is (r, g, b) or, for a strip whose order has a W, (r, g, b, w), whatever
    order the chips take them in on the wire; `on_write` (when set) hears every latch."""

    def __init__(self, pin: int, count: int, order: str = "GRB") -> None:
        self.pin = pin
        self.n = count
        self.order = order
        self._pixels: list[tuple[int, ...]] = [(0,) * len(order)] * count
        self.shown: list[tuple[int, ...]] = list(self._pixels)
        self.writes = 0
        self.on_write: Callable[[SimLedStrip], None] | None = None

    def __len__(self) -> int:
        return self.n

    def __setitem__(self, i: int, pixel: Sequence[int]) -> None:
        self._pixels[i] = self._pixel(pixel)

    def __getitem__(self, i: int) -> tuple[int, ...]:
        return self._pixels[i]

    def fill(self, v: Sequence[int]) -> None:  # `v`, as neopixel names it
        self._pixels = [self._pixel(v)] * self.n

    def _pixel(self, pixel: Sequence[int]) -> tuple[int, ...]:
        # As neopixel does: the first len(order) values (a bytearray from the firmware too).
        return tuple(pixel[i] for i in range(len(self.order)))

    def write(self) -> None:
        self.shown = list(self._pixels)
        self.writes += 1
        if self.on_write is not None:
            self.on_write(self)


class SimIrFrame:
    """The touch frame's scanner over the glass model: the seam's start(plan) and
    finish(plan, readings) (vitrine_fw/touch/__init__.py). A pass starts when asked, or when
    the one before has ended and `gap_us` more have passed (the firmware's work in between,
    on a virtual clock that does not move by itself); its readings are the glass's at the
    moments the plan gives."""

    def __init__(
        self, glass: Glass, frame: dict[str, Any], now_us: Callable[[], int], gap_us: int = 0
    ) -> None:
        self.glass = glass
        self.geometry = Geometry(frame)
        self.now_us = now_us
        self.gap_us = gap_us
        self.start_us = 0
        self.scan_start_us = 0  # when the first pass of the scan being read started
        self.busy_until_us = -(1 << 62)
        self.passes = 0
        # the emitter on at the end of the last pass (its light still fades): axis, index,
        # on, off (s)
        self._last = (-1, -1, 0.0, 0.0)

    def start(self, plan: Any) -> None:
        self.start_us = max(self.now_us(), self.busy_until_us + self.gap_us)
        self.busy_until_us = self.start_us + plan.timing.us(plan.length_c)
        self.passes += 1

    def finish(self, plan: Any, readings: Any) -> None:
        n = plan.n
        if readings.n == 0:
            readings.t0 = self.start_us & _TICKS_MAX
            self.scan_start_us = self.start_us
            offset_us = 0
        else:
            offset_us = SimClock.ticks_diff(self.start_us & _TICKS_MAX, readings.t0)
        if n == 0:
            return
        g = self.geometry
        steps = plan.n_steps
        counts = np.frombuffer(plan.step_count, dtype=np.uint16)[:steps].astype(np.int64)
        step_of = np.repeat(np.arange(steps), counts)
        axis = np.frombuffer(plan.step_axis, dtype=np.uint8)[:steps].astype(np.int64)
        emitter = np.frombuffer(plan.step_emitter, dtype=np.uint16)[:steps].astype(np.int64)
        s_per_cycle = 1e-6 / plan.timing.mhz
        on = np.frombuffer(plan.step_on_c, dtype=np.uint32)[:steps] * s_per_cycle
        off = np.frombuffer(plan.step_off_c, dtype=np.uint32)[:steps] * s_per_cycle
        beam = np.frombuffer(plan.beam, dtype=np.uint16)[:n].astype(np.int64)
        receiver = np.frombuffer(g.beam_receiver, dtype=np.uint16)[beam].astype(np.int64)
        t0 = self.start_us * 1e-6
        last_axis, last_index, last_on, last_off = self._last
        prev_axis = np.concatenate([[last_axis], axis[:-1]])[step_of]
        prev_index = np.concatenate([[last_index], emitter[:-1]])[step_of]
        prev_on = np.concatenate([[last_on], t0 + on[:-1]])[step_of]
        prev_off = np.concatenate([[last_off], t0 + off[:-1]])[step_of]
        req = Requests(
            e_axis=axis[step_of],
            e_index=emitter[step_of],
            r_index=receiver,
            t_on=t0 + on[step_of],
            t_dark=t0 + np.frombuffer(plan.dark_c, dtype=np.uint32)[:n] * s_per_cycle,
            t_lit=t0 + np.frombuffer(plan.lit_c, dtype=np.uint32)[:n] * s_per_cycle,
            prev_axis=prev_axis,
            prev_index=prev_index,
            prev_on=prev_on,
            prev_off=prev_off,
        )
        self._last = (int(axis[-1]), int(emitter[-1]), t0 + on[-1], t0 + off[-1])
        dark, lit = self.glass.sample(req)
        i = readings.n
        t_us = offset_us + np.frombuffer(plan.lit_c, dtype=np.uint32)[:n] // plan.timing.mhz
        t_us = np.minimum(t_us, 65535)
        np.frombuffer(readings.beam, dtype=np.uint16)[i : i + n] = beam
        np.frombuffer(readings.dark, dtype=np.uint16)[i : i + n] = dark
        np.frombuffer(readings.lit, dtype=np.uint16)[i : i + n] = lit
        np.frombuffer(readings.t_us, dtype=np.uint16)[i : i + n] = t_us
        readings.n = i + n
        readings.end_us = max(readings.end_us, int(t_us.max()))


def _exit_process(code: int) -> None:
    os._exit(code)


class SimBoard(seam.BaseBoard):
    """A virtual board for the firmware: see the module docstring for what is emulated."""

    def __init__(
        self,
        *,
        uid: str,
        reset_cause: int,
        link_socket: socket.socket,
        exit_process: Callable[[int], None] = _exit_process,
        flash_dir: Path | None = None,
    ) -> None:
        super().__init__(SimClock())
        self._uid = uid
        self._reset_cause = reset_cause
        self._link_socket = link_socket
        self._exit = exit_process
        self.flash_dir = flash_dir  # the board's filesystem for flag files; None: none
        self.port: SocketPort | None = None
        self.wdt: SimWatchdog | None = None
        self.kbd_intr_disabled = False
        self.pins: dict[int, SimPin] = {}
        self.adc_sources: dict[int, Callable[[], float]] = {}
        self.i2c_devices: dict[int, list[I2CDevice]] = {}  # bus -> the devices on it
        self.i2c_stuck: set[int] = set()  # buses whose lines are held low (a fault)
        self.strips: dict[int, SimLedStrip] = {}
        self.pwms: dict[int, SimPWM] = {}
        self.on_pwm: Callable[[SimPWM], None] | None = None  # hears every duty written
        self._irq_pins: list[SimPin] = []
        self._irq_thread: threading.Thread | None = None
        self.on_strip_write: Callable[[SimLedStrip], None] | None = None  # see SimLedStrip
        self.glass: Glass | None = None  # set before the firmware starts, or built on demand
        self.radio: SimRadio | None = None  # made by the first ble()
        self.stage: Stage | None = None  # the people the presence board's sensors watch
        self.parts: Any = None  # the presence board's sensors (vitrine.sim.sensors)

    def uid(self) -> str:
        return self._uid

    def reset_cause(self) -> int:
        return self._reset_cause

    def reset(self) -> None:
        if self.flash_dir is not None:
            bootflag.request_reset(str(self.flash_dir / bootflag.RESET_FLAG))
        self._exit(EXIT_SOFT_RESET)

    def reset_to_repl(self) -> None:
        self._exit(EXIT_REPL)

    def watchdog(self, timeout_ms: int) -> SimWatchdog:
        if self.wdt is None:
            self.wdt = SimWatchdog(timeout_ms, lambda: self._exit(EXIT_WDT))
        return self.wdt

    def open_link(self, link_cfg: dict[str, Any]) -> Any:
        if link_cfg["kind"] == "ble":  # the link's GATT service on the virtual radio
            from vitrine_fw.blelink import FileSecrets, GattPort

            secrets = (
                None
                if self.flash_dir is None
                else FileSecrets(str(self.flash_dir / "ble_secrets.json"))
            )
            return GattPort(self.ble(), self.clock, str, secrets)
        if link_cfg["kind"] == "usb-cdc":
            self.kbd_intr_disabled = True  # what micropython.kbd_intr(-1) does on a board
        self.port = SocketPort(self._link_socket)
        return self.port

    def pin(self, n: int, mode: str, pull: str | None = None) -> SimPin:
        seam.check_pin(n, mode, pull)
        pin = self.pins.get(n)
        if pin is None or pin.mode != mode:
            pin = self.pins[n] = SimPin(n, mode)
        pin.on_irq = self._watch_edges
        return pin

    def _watch_edges(self, pin: SimPin) -> None:
        # A pin interrupt: a thread samples the inputs with a handler every millisecond and
        # calls it on the edges its trigger names, as the port's GPIO interrupt would.
        if pin not in self._irq_pins:
            self._irq_pins.append(pin)
        if self._irq_thread is None:
            self._irq_thread = threading.Thread(target=self._edges, name="pin irq", daemon=True)
            self._irq_thread.start()

    def _edges(self) -> None:
        last: dict[int, int] = {}
        while True:
            for pin in list(self._irq_pins):
                level = int(pin.value() or 0)
                before = last.get(pin.n, level)
                last[pin.n] = level
                rising = before == 0 and level == 1 and pin.trigger & pin.IRQ_RISING
                falling = before == 1 and level == 0 and pin.trigger & pin.IRQ_FALLING
                if pin.handler is not None and (rising or falling):
                    pin.handler(pin)
            time.sleep(0.001)

    def adc(self, n: int) -> SimADC:
        return SimADC(n, self)

    def i2c(self, bus: int, scl: int, sda: int, freq: int = 400_000) -> SimI2C:
        return SimI2C(bus, self)

    def pwm(self, pin: int, freq_hz: int) -> SimPWM:
        pwm = self.pwms[pin] = SimPWM(pin, freq_hz)
        pwm.on_duty = self._duty_written
        return pwm

    def _duty_written(self, pwm: SimPWM) -> None:
        if self.on_pwm is not None:
            self.on_pwm(pwm)

    def led_strip(self, pin: int, count: int, order: str = "GRB") -> SimLedStrip:
        strip = self.strips[pin] = SimLedStrip(pin, count, order)
        strip.on_write = self._strip_written
        return strip

    def _strip_written(self, strip: SimLedStrip) -> None:
        if self.on_strip_write is not None:
            self.on_strip_write(strip)

    def ir_frame(self, frame: dict[str, Any]) -> SimIrFrame:
        """The touch frame's scanner over the board's glass (see SimIrFrame)."""
        if self.glass is None:
            self.glass = Glass(frame)
        return SimIrFrame(self.glass, frame, lambda: time.monotonic_ns() // 1000)

    def ble(self) -> SimRadio:
        """The board's virtual BLE radio (vitrine.sim.radio), the same one every call: what the
        firmware advertises goes into the simulated air, and while it scans a thread hands it
        what the board hears from the world's phones (once `radio.air` is set), every 50 ms."""
        if self.radio is None:
            from vitrine.sim.air import Receiver
            from vitrine.sim.radio import SimRadio

            self.radio = SimRadio(Receiver(f"board-{self._uid}", 0.0, 0.0))
            radio = self.radio

            def pump() -> None:
                while True:
                    time.sleep(_RADIO_PUMP_S)
                    radio.pump_now()

            threading.Thread(target=pump, name="radio", daemon=True).start()
        return self.radio

    def second_core(self) -> Any:
        # The virtual board runs the firmware on one thread: detection runs serially.
        return None

    def mcu_temperature(self) -> int | None:
        """The chip's temperature: a board warm from running, 38 degC."""
        return SIM_MCU_TEMPERATURE_C


RESET_CAUSE_BY_NAME = {name: code for code, name in wire.RESET_CAUSES.items()}


def boot_cause(machine_cause: str, flash_dir: Path | None) -> int:
    """The reset cause a booting virtual board reports, as main.py finds it on a board: soft
    when the reset before was one the firmware asked for (bootflag's reset flag, taken), else
    what its port's machine.reset_cause() says (a name of RESET_CAUSE_BY_NAME)."""
    if flash_dir is not None and bootflag.take_reset_request(str(flash_dir / bootflag.RESET_FLAG)):
        return wire.RESET_SOFT
    return RESET_CAUSE_BY_NAME[machine_cause]
