"""The simulated board object: MicroPython's ticks, the watchdog, reset, the link port, and
the state holders device models attach to."""

from __future__ import annotations

import asyncio
import errno
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vitrine.sim.board import (
    EXIT_SOFT_RESET,
    EXIT_WDT,
    RESET_CAUSE_BY_NAME,
    SimBoard,
    SimClock,
    SimLedStrip,
    SimPin,
    SimWatchdog,
    SocketPort,
    boot_cause,
)
from vitrine_fw import bootflag, wire

PERIOD = 1 << 30  # MicroPython's ticks period on the ESP32 and RP2040 ports
HALF = PERIOD // 2
clock = SimClock()

# --- clock -------------------------------------------------------------------------------------


def test_ticks_are_in_the_period_and_follow_the_monotonic_clock() -> None:
    before = (time.monotonic_ns() // 1_000_000) % PERIOD
    ms, us = clock.ticks_ms(), clock.ticks_us()
    after = (time.monotonic_ns() // 1_000_000) % PERIOD
    assert 0 <= ms < PERIOD
    assert 0 <= us < PERIOD
    # the host's clock, so timestamps compare: read between two readings of it (however late
    # a loaded machine runs this thread)
    assert clock.ticks_diff(ms, before) >= 0
    assert clock.ticks_diff(after, ms) >= 0
    time.sleep(0.02)
    assert 15 <= clock.ticks_diff(clock.ticks_ms(), ms) <= 1000
    assert 15_000 <= clock.ticks_diff(clock.ticks_us(), us) <= 1_000_000


@pytest.mark.parametrize(
    ("a", "b", "diff"),
    [
        (0, PERIOD - 1, 1),  # across the wrap
        (PERIOD - 1, 0, -1),
        (5, 3, 2),
        (3, 5, -2),
        (HALF - 1, 0, HALF - 1),
        (HALF, 0, -HALF),  # the far side of the circle reads as behind
        (0, HALF, -HALF),
        (0, HALF + 1, HALF - 1),
        (100, 100, 0),
    ],
)
def test_ticks_diff_wraps_at_the_period(a: int, b: int, diff: int) -> None:
    # Values checked against MicroPython 1.29 (time.ticks_diff).
    assert clock.ticks_diff(a, b) == diff


@pytest.mark.parametrize(
    ("t", "delta", "result"),
    [
        (PERIOD - 1, 1, 0),
        (0, -1, PERIOD - 1),
        (10, HALF - 1, 10 + HALF - 1),
        (0, -(HALF - 1), HALF + 1),
        (PERIOD - 5, 10, 5),
    ],
)
def test_ticks_add_wraps(t: int, delta: int, result: int) -> None:
    assert clock.ticks_add(t, delta) == result


@pytest.mark.parametrize("delta", [HALF, -HALF, PERIOD, -PERIOD, 5 * PERIOD + 3])
def test_ticks_add_refuses_what_ticks_diff_cannot_give_back(delta: int) -> None:
    # MicroPython 1.29: time.ticks_add(0, 2**29) raises OverflowError('ticks interval overflow').
    with pytest.raises(OverflowError, match="ticks interval overflow"):
        clock.ticks_add(0, delta)


@given(t=st.integers(0, PERIOD - 1), d=st.integers(-(HALF - 1), HALF - 1))
def test_ticks_diff_undoes_ticks_add(t: int, d: int) -> None:
    later = clock.ticks_add(t, d)
    assert 0 <= later < PERIOD
    assert clock.ticks_diff(later, t) == d
    assert clock.ticks_diff(t, later) == -d


@given(a=st.integers(0, PERIOD - 1), b=st.integers(0, PERIOD - 1))
def test_ticks_diff_is_in_range_and_consistent(a: int, b: int) -> None:
    d = clock.ticks_diff(a, b)
    assert -HALF <= d < HALF
    assert (b + d) % PERIOD == a


def test_ticks_across_the_wrap_near_the_top() -> None:
    t = PERIOD - 3
    for step in range(1, 10):
        assert clock.ticks_diff(clock.ticks_add(t, step), t) == step


# --- watchdog ----------------------------------------------------------------------------------


class Expiries:
    def __init__(self) -> None:
        self.count = 0
        self.at: float | None = None
        self.event = threading.Event()

    def __call__(self) -> None:
        self.count += 1
        self.at = time.monotonic()
        self.event.set()


def test_watchdog_expires_when_not_fed() -> None:
    expired = Expiries()
    started = time.monotonic()
    wdt = SimWatchdog(80, expired)
    assert wdt.timeout_s == 0.08
    assert expired.event.wait(2)
    assert expired.at is not None
    assert 0.07 <= expired.at - started < 1.0
    time.sleep(0.1)
    assert expired.count == 1  # a board resets once


def test_watchdog_fed_in_time_does_not_expire_then_expires_when_feeding_stops() -> None:
    # A timeout well above how late a loaded machine wakes a sleeper (the test suite runs
    # beside other work), fed every 20 ms for three timeouts.
    expired = Expiries()
    wdt = SimWatchdog(400, expired)
    end = time.monotonic() + 1.2
    while time.monotonic() < end:
        wdt.feed()
        last_feed = time.monotonic()
        time.sleep(0.02)
    assert expired.count == 0
    assert wdt.feeds >= 10
    assert expired.event.wait(3)
    assert expired.at is not None
    assert expired.at - last_feed >= 0.395


# --- board -------------------------------------------------------------------------------------


@pytest.fixture
def sockets() -> Iterator[tuple[socket.socket, socket.socket]]:
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    yield ours, theirs
    ours.close()
    theirs.close()


@pytest.fixture
def board(sockets: tuple[socket.socket, socket.socket]) -> tuple[SimBoard, list[int]]:
    exits: list[int] = []
    sim = SimBoard(
        uid="00c0ffee",
        reset_cause=wire.RESET_WDT,
        link_socket=sockets[0],
        exit_process=exits.append,
    )
    return sim, exits


def test_identity(board: tuple[SimBoard, list[int]]) -> None:
    sim, _ = board
    assert sim.uid() == "00c0ffee"
    assert sim.reset_cause() == wire.RESET_WDT
    assert isinstance(sim.clock, SimClock)


def test_reset_ends_the_process_as_a_soft_reset(board: tuple[SimBoard, list[int]]) -> None:
    sim, exits = board
    sim.reset()
    assert exits == [EXIT_SOFT_RESET]


def test_watchdog_expiry_ends_the_process_with_the_wdt_code(
    board: tuple[SimBoard, list[int]],
) -> None:
    sim, exits = board
    wdt = sim.watchdog(50)
    assert sim.watchdog(5000) is wdt  # once started it cannot be changed
    deadline = time.monotonic() + 2
    while not exits and time.monotonic() < deadline:
        time.sleep(0.01)
    assert exits == [EXIT_WDT]


def test_usb_cdc_link_disables_ctrl_c(board: tuple[SimBoard, list[int]]) -> None:
    sim, _ = board
    assert not sim.kbd_intr_disabled
    port = sim.open_link({"kind": "usb-cdc"})
    assert sim.kbd_intr_disabled
    assert sim.port is port
    assert isinstance(port, SocketPort)


def test_uart_link_keeps_ctrl_c(board: tuple[SimBoard, list[int]]) -> None:
    sim, _ = board
    port = sim.open_link({"kind": "uart", "id": 0, "tx": 0, "rx": 1, "baud": 921600})
    assert not sim.kbd_intr_disabled
    assert isinstance(port, SocketPort)


def test_a_reset_leaves_the_flag_and_the_next_boot_reports_soft(
    sockets: tuple[socket.socket, socket.socket], tmp_path: Path
) -> None:
    exits: list[int] = []
    sim = SimBoard(
        uid="00c0ffee",
        reset_cause=wire.RESET_POWER_ON,
        link_socket=sockets[0],
        exit_process=exits.append,
        flash_dir=tmp_path,
    )
    sim.reset()
    assert exits == [EXIT_SOFT_RESET]
    assert (tmp_path / bootflag.RESET_FLAG).exists()
    # The boot after it: the port says wdt (an RP2040's machine.reset()); the flag says soft.
    assert boot_cause("wdt", tmp_path) == wire.RESET_SOFT
    assert not (tmp_path / bootflag.RESET_FLAG).exists()  # taken: one boot only
    assert boot_cause("wdt", tmp_path) == wire.RESET_WDT  # a real watchdog reset after it
    assert boot_cause("hard", None) == wire.RESET_HARD  # a board without a flash folder


def test_reset_cause_names() -> None:
    assert RESET_CAUSE_BY_NAME["wdt"] == wire.RESET_WDT
    assert RESET_CAUSE_BY_NAME["power_on"] == wire.RESET_POWER_ON
    assert {v: k for k, v in RESET_CAUSE_BY_NAME.items()} == wire.RESET_CAUSES


# --- the link port -----------------------------------------------------------------------------


async def test_read_into_returns_zero_on_timeout(
    sockets: tuple[socket.socket, socket.socket],
) -> None:
    port = SocketPort(sockets[0])
    buf = bytearray(16)
    started = time.monotonic()
    assert await port.read_into(buf, 30) == 0
    assert time.monotonic() - started >= 0.025
    assert buf == bytearray(16)


async def test_read_into_returns_what_arrived(
    sockets: tuple[socket.socket, socket.socket],
) -> None:
    ours, theirs = sockets
    port = SocketPort(ours)
    buf = bytearray(8)
    theirs.send(b"abc")
    assert await port.read_into(buf, 1000) == 3
    assert buf[:3] == b"abc"
    theirs.send(b"0123456789")
    assert await port.read_into(buf, 1000) == 8
    assert buf == b"01234567"
    assert await port.read_into(buf, 1000) == 2
    assert buf[:2] == b"89"


async def test_read_into_waits_for_data_that_comes_later(
    sockets: tuple[socket.socket, socket.socket],
) -> None:
    ours, theirs = sockets
    port = SocketPort(ours)
    buf = bytearray(8)
    asyncio.get_running_loop().call_later(0.02, theirs.send, b"late")
    assert await port.read_into(buf, 1000) == 4
    assert buf[:4] == b"late"


async def test_read_into_after_the_cable_closed_idles(
    sockets: tuple[socket.socket, socket.socket],
) -> None:
    ours, theirs = sockets
    port = SocketPort(ours)
    theirs.close()
    started = time.monotonic()
    assert await port.read_into(bytearray(8), 30) == 0
    assert time.monotonic() - started >= 0.025  # no busy loop on a dead line


def test_write_sends_and_drops_when_the_peer_is_full(
    sockets: tuple[socket.socket, socket.socket],
) -> None:
    ours, theirs = sockets
    port = SocketPort(ours)
    buf = bytearray(b"\x55" * 4096)
    assert port.write(buf, 10) == 10
    assert theirs.recv(100) == b"\x55" * 10
    assert port.tx_dropped_bytes == 0
    sent = 0
    for _ in range(100_000):
        n = port.write(buf, 4096)
        if n == 0:
            break
        sent += n
    else:
        pytest.fail("the socket never filled up")
    assert port.tx_dropped_bytes == 4096
    assert port.write(buf, 100) == 0
    assert port.tx_dropped_bytes == 4196
    # Nothing that was dropped arrives; what was accepted does.
    theirs.setblocking(False)
    got = 0
    while True:
        try:
            chunk = theirs.recv(65536)
        except BlockingIOError:
            break
        got += len(chunk)
    assert got == sent


def test_write_to_a_closed_cable_is_dropped(
    sockets: tuple[socket.socket, socket.socket],
) -> None:
    ours, theirs = sockets
    port = SocketPort(ours)
    theirs.close()
    assert port.write(b"hello", 5) == 0
    assert port.tx_dropped_bytes == 5


def test_write_sends_only_the_first_n_bytes(
    sockets: tuple[socket.socket, socket.socket],
) -> None:
    ours, theirs = sockets
    port = SocketPort(ours)
    assert port.write(bytearray(b"abcdef"), 3) == 3
    theirs.setblocking(False)
    assert theirs.recv(100) == b"abc"


# --- pins, ADC, I2C, LEDs ----------------------------------------------------------------------


def test_pin_output_remembers_and_input_reads_its_source(
    board: tuple[SimBoard, list[int]],
) -> None:
    sim, _ = board
    led = sim.pin(25, "out")
    assert led.value() == 0
    led.on()
    assert led.value() == 1
    led.value(0)
    assert led.value() == 0
    led.value(7)
    assert led.value() == 1  # any true value drives high
    led.off()
    assert led.value() == 0
    pir = sim.pin(15, "in", "down")
    level = [0]
    pir.source = lambda: level[0]
    assert pir.value() == 0
    level[0] = 1
    assert pir.value() == 1


def test_board_pin_is_kept_per_number_and_mode(board: tuple[SimBoard, list[int]]) -> None:
    sim, _ = board
    pin = sim.pin(4, "out")
    pin.on()
    assert sim.pin(4, "out") is pin
    assert sim.pins[4] is pin
    reconfigured = sim.pin(4, "in")
    assert reconfigured is not pin
    assert isinstance(reconfigured, SimPin)
    assert reconfigured.mode == "in"
    assert sim.pins[4] is reconfigured


def test_adc_without_a_model_names_the_pin(board: tuple[SimBoard, list[int]]) -> None:
    sim, _ = board
    with pytest.raises(OSError, match="pin 26"):
        sim.adc(26).read_u16()


@pytest.mark.parametrize(("raw", "read"), [(-5, 0), (0, 0), (1234.9, 1234), (65535, 65535),
                                           (70000, 65535)])  # fmt: skip
def test_adc_reads_its_source_clamped_to_16_bits(
    board: tuple[SimBoard, list[int]], raw: float, read: int
) -> None:
    sim, _ = board
    adc = sim.adc(26)
    sim.adc_sources[26] = lambda: raw
    assert adc.read_u16() == read


class Registers:
    """A tiny I2C device: a register file with an 8-bit index that auto-increments."""

    def __init__(self, address: int) -> None:
        self.address = address
        self.regs = bytearray(range(256))
        self.index = 0
        self.writes: list[bytes] = []

    def acks(self, address: int) -> bool:
        return address == self.address

    def i2c_write(self, data: bytes) -> None:
        self.writes.append(data)
        if data:
            self.index = data[0]
            for value in data[1:]:
                self.regs[self.index] = value
                self.index = (self.index + 1) & 0xFF

    def i2c_read(self, n: int) -> bytes:
        out = bytes(self.regs[(self.index + i) & 0xFF] for i in range(n))
        self.index = (self.index + n) & 0xFF
        return out


def test_i2c_unknown_address_names_bus_and_address(board: tuple[SimBoard, list[int]]) -> None:
    sim, _ = board
    bus = sim.i2c(1, scl=5, sda=4)
    with pytest.raises(OSError) as info:
        bus.readfrom_mem(0x29, 0, 1)
    assert info.value.errno == 19
    assert "I2C bus 1" in str(info.value)
    assert "0x29" in str(info.value)
    with pytest.raises(OSError, match="0x30"):
        bus.writeto_mem(0x30, 0, b"\x01")


def test_i2c_scan_lists_the_bus_own_devices(board: tuple[SimBoard, list[int]]) -> None:
    sim, _ = board
    sim.i2c_devices[0] = [Registers(0x52), Registers(0x29)]
    sim.i2c_devices[1] = [Registers(0x10)]
    assert sim.i2c(0, 5, 4).scan() == [0x29, 0x52]
    assert sim.i2c(1, 7, 6).scan() == [0x10]
    assert sim.i2c(2, 9, 8).scan() == []


def test_i2c_register_reads_and_writes(board: tuple[SimBoard, list[int]]) -> None:
    sim, _ = board
    tof = Registers(0x29)
    sim.i2c_devices[0] = [tof]
    bus = sim.i2c(0, scl=5, sda=4)
    buf = bytearray(4)
    bus.readfrom_mem_into(0x29, 0x10, buf)
    assert buf == bytes([0x10, 0x11, 0x12, 0x13])
    assert bus.readfrom_mem(0x29, 0xFE, 2) == b"\xfe\xff"
    bus.writeto_mem(0x29, 0x10, bytearray(b"\xaa\xbb"))
    assert tof.writes[-1] == b"\x10\xaa\xbb"
    bus.readfrom_mem_into(0x29, 0x10, buf)
    assert buf == bytes([0xAA, 0xBB, 0x12, 0x13])
    # a 16-bit register address goes out most significant byte first
    bus.writeto_mem(0x29, 0x0102, b"\x07", addrsize=16)
    assert tof.writes[-1] == b"\x01\x02\x07"
    # raw transactions
    assert bus.writeto(0x29, b"\x20") == 1
    assert bus.readfrom(0x29, 2) == b"\x20\x21"


def test_two_devices_at_one_address_both_take_a_write_and_a_read_is_their_and(
    board: tuple[SimBoard, list[int]],
) -> None:
    sim, _ = board
    a, b = Registers(0x29), Registers(0x29)
    a.regs[0] = 0xF0
    b.regs[0] = 0x3C
    sim.i2c_devices[0] = [a, b]
    bus = sim.i2c(0, scl=5, sda=4)
    assert bus.readfrom_mem(0x29, 0, 1) == b"\x30"
    bus.writeto_mem(0x29, 1, b"\x55")
    assert a.regs[1] == b.regs[1] == 0x55


def test_a_bus_held_low_times_out(board: tuple[SimBoard, list[int]]) -> None:
    sim, _ = board
    sim.i2c_devices[0] = [Registers(0x29)]
    sim.i2c_stuck.add(0)
    bus = sim.i2c(0, scl=5, sda=4)
    with pytest.raises(OSError) as info:
        bus.readfrom_mem(0x29, 0, 1)
    assert info.value.errno == errno.ETIMEDOUT and "held low" in str(info.value)
    assert bus.scan() == []


def test_output_pins_tell_their_sink_and_inputs_fire_irqs_on_edges(
    board: tuple[SimBoard, list[int]],
) -> None:
    sim, _ = board
    heard: list[int] = []
    out = sim.pin(6, "out")
    out.sink = heard.append
    out.value(1)
    out.off()
    assert heard == [1, 0]
    level = [0]
    pin = sim.pin(9, "in")
    pin.source = lambda: level[0]
    edges: list[int] = []
    pin.irq(lambda p: edges.append(p.value()), pin.IRQ_RISING)
    time.sleep(0.02)
    level[0] = 1
    deadline = time.monotonic() + 2
    while not edges and time.monotonic() < deadline:
        time.sleep(0.005)
    level[0] = 0
    time.sleep(0.02)
    assert edges == [1]


def test_pwm_outputs_keep_their_duty(board: tuple[SimBoard, list[int]]) -> None:
    sim, _ = board
    heard: list[int] = []
    sim.on_pwm = lambda p: heard.append(p.duty_u16())
    pwm = sim.pwm(18, 2000)
    assert sim.pwms[18] is pwm and pwm.freq() == 2000
    pwm.duty_u16(40000)
    pwm.duty_u16(70000)
    assert heard == [40000, 65535]


def test_led_strip_shows_pixels_only_after_write(board: tuple[SimBoard, list[int]]) -> None:
    sim, _ = board
    strip = sim.led_strip(16, 3)
    assert sim.strips[16] is strip
    assert len(strip) == 3
    assert strip.shown == [(0, 0, 0)] * 3
    strip[1] = (255, 0, 10)
    assert strip[1] == (255, 0, 10)
    assert strip.shown == [(0, 0, 0)] * 3
    assert strip.writes == 0
    strip.write()
    assert strip.shown == [(0, 0, 0), (255, 0, 10), (0, 0, 0)]
    assert strip.writes == 1
    strip.fill([1, 2, 3])
    assert strip.shown[0] == (0, 0, 0)
    strip.write()
    assert strip.shown == [(1, 2, 3)] * 3
    assert strip.writes == 2


def test_led_strip_latched_frame_is_a_copy() -> None:
    strip = SimLedStrip(17, 2)
    strip.write()
    shown = strip.shown
    strip[0] = (9, 9, 9)
    assert shown == [(0, 0, 0), (0, 0, 0)]


def test_led_strip_with_white_leds_keeps_four_values_a_pixel(
    board: tuple[SimBoard, list[int]],
) -> None:
    sim, _ = board
    heard: list[int] = []
    sim.on_strip_write = lambda strip: heard.append(strip.pin)
    strip = sim.led_strip(16, 2, "GRBW")
    assert strip.order == "GRBW"
    assert strip.shown == [(0, 0, 0, 0)] * 2
    strip.fill(bytearray((10, 20, 30, 40)))  # r, g, b, w, as the firmware hands it over
    strip.write()
    assert strip.shown == [(10, 20, 30, 40)] * 2
    rgb = sim.led_strip(17, 1, "RGB")
    rgb.fill(bytearray((1, 2, 3, 4)))  # a driver takes the values its pixels have
    rgb.write()
    assert rgb.shown == [(1, 2, 3)]
    assert heard == [16, 17]  # every latch is heard
