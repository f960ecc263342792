# The real board object: the one firmware module that touches machine, bluetooth and neopixel.
# Drivers receive this object (or the simulator's, or a test's fake) through their
# constructors; nothing hardware is built at import time. The interface every board object
# offers, with what each member does, is vitrine_fw/seam.py; this is the board's side of it.

import asyncio
import sys
import time

import machine
import micropython

from vitrine_fw import bootflag, seam, wire


class Clock(seam.BaseClock):
    """MicroPython's ticks, wrapping at their port-specific period, and asyncio's sleep_ms
    (none of them allocates)."""

    def ticks_ms(self):
        return time.ticks_ms()

    def ticks_us(self):
        return time.ticks_us()

    def ticks_diff(self, a, b):
        return time.ticks_diff(a, b)

    def ticks_add(self, t, delta):
        return time.ticks_add(t, delta)

    def sleep_ms(self, ms):
        return asyncio.sleep_ms(ms)


class StreamPort(seam.BasePort):
    """The protocol port over a MicroPython stream (a UART, or USB-CDC stdio)."""

    def __init__(self, rx_stream, tx_stream, on_close=None):
        self._reader = asyncio.StreamReader(rx_stream)
        self._tx = tx_stream
        self._on_close = on_close

    async def read_into(self, buf, timeout_ms):
        """Read up to len(buf) bytes; 0 when nothing arrived within timeout_ms."""
        try:
            return await asyncio.wait_for_ms(self._reader.readinto(buf), timeout_ms)
        except asyncio.TimeoutError:
            return 0

    def write(self, buf, n):
        """Write buf[0:n] (a stream's write takes a length, so no slice is allocated)."""
        return self._tx.write(buf, n)

    def close(self):
        if self._on_close:
            self._on_close()


_BLE_SECRETS = "ble_secrets.json"  # the GATT link's bonds, on the board's flash (blelink)

# machine's reset causes, by name: a port has only some (the RP2040's MicroPython only
# PWRON_RESET and WDT_RESET). What each port reports (ports/esp32/modmachine.c,
# ports/rp2/modmachine.c): the reset button is PWRON_RESET on both (the ESP32-S3's EN pin is a
# chip power-on reset; the RP2040's RUN pin is no watchdog reboot); machine.reset() is
# WDT_RESET on the RP2040 (it reboots through the watchdog) and HARD_RESET on the ESP32 (as a
# panic is), so a reset the firmware asks for is told apart by bootflag's reset flag instead.
# No port has a brown-out cause: the ESP32's reports one as PWRON_RESET, so
# wire.RESET_BROWNOUT never comes from a board today.
_RESET_CAUSES = (
    ("PWRON_RESET", wire.RESET_POWER_ON),
    ("HARD_RESET", wire.RESET_HARD),
    ("WDT_RESET", wire.RESET_WDT),
    ("DEEPSLEEP_RESET", wire.RESET_DEEPSLEEP),
    ("SOFT_RESET", wire.RESET_SOFT),
)


class IrFrame:
    """The touch frame's bars through their decoders, multiplexers and ADC inputs (the
    "wiring" of the frame description). Beams are read one after another: per beam, the
    emitter and receiver addresses are set, the receiver is read dark, the emitter switched
    on, and after the settling time read lit."""

    def __init__(self, frame, geometry):
        wiring = frame["wiring"]
        out = machine.Pin.OUT
        self.g = geometry
        self.settle_us = int(frame.get("timing", {}).get("settle_us", 5)) + 1
        self.emitter = [machine.Pin(n, out, value=0) for n in wiring["emitter_address"]]
        self.enable = []
        self.receiver = []
        self.adc = []
        for key in ("x", "y"):
            axis = wiring[key]
            self.enable.append(machine.Pin(axis["emitter_enable"], out, value=0))
            self.receiver.append([machine.Pin(n, out, value=0) for n in axis["receiver_address"]])
            self.adc.append(machine.ADC(machine.Pin(axis["adc"])))

    def read(self, on, off):
        g = self.g
        emitter = self.emitter
        sleep_us = time.sleep_us
        for b in range(g.beams):
            axis = g.fam_axis[g.beam_family[b]]
            e = g.beam_emitter[b]
            r = g.beam_receiver[b]
            for i in range(len(emitter)):
                emitter[i].value((e >> i) & 1)
            pins = self.receiver[axis]
            for i in range(len(pins)):
                pins[i].value((r >> i) & 1)
            adc = self.adc[axis]
            enable = self.enable[axis]
            sleep_us(self.settle_us)
            off[b] = adc.read_u16()
            enable.value(1)
            sleep_us(self.settle_us)
            on[b] = adc.read_u16()
            enable.value(0)


class Board(seam.BaseBoard):
    """The real board, built from config.json. reset_requested: this boot found bootflag's
    reset flag (main.py takes it), so the reset before it was one the firmware asked for."""

    def __init__(self, cfg, reset_requested=False):
        super().__init__(Clock())
        self.cfg = cfg
        self.reset_requested = reset_requested

    def uid(self):
        import binascii

        return binascii.hexlify(machine.unique_id()).decode()

    def reset_cause(self):
        if self.reset_requested:
            return wire.RESET_SOFT
        cause = machine.reset_cause()
        for name, code in _RESET_CAUSES:
            if getattr(machine, name, None) == cause:
                return code
        return wire.RESET_UNKNOWN

    def reset(self):
        bootflag.request_reset()  # the next boot reports RESET_SOFT, whatever the port says
        machine.reset()

    def reset_to_repl(self):
        # The watchdog cannot be stopped, so the REPL is reached through a boot that never
        # starts it (see bootflag.py).
        bootflag.request_repl()
        machine.reset()

    def watchdog(self, timeout_ms):
        return machine.WDT(timeout=timeout_ms)

    def open_link(self, link_cfg):
        if link_cfg["kind"] == "ble":  # no cable: the link's GATT service (vitrine_fw.blelink)
            import bluetooth

            from vitrine_fw.blelink import FileSecrets, GattPort

            return GattPort(self.ble(), self.clock, bluetooth.UUID, FileSecrets(_BLE_SECRETS))
        if link_cfg["kind"] == "uart":
            uart = machine.UART(
                link_cfg["id"],
                baudrate=link_cfg["baud"],
                tx=machine.Pin(link_cfg["tx"]),
                rx=machine.Pin(link_cfg["rx"]),
                rxbuf=1024,
                txbuf=1024,
            )
            return StreamPort(uart, uart)
        # USB-CDC: the protocol runs over stdio, so Ctrl-C must not interrupt it while it
        # runs; it is restored when the port closes.
        micropython.kbd_intr(-1)
        return StreamPort(sys.stdin.buffer, sys.stdout.buffer, lambda: micropython.kbd_intr(3))

    def pin(self, n, mode, pull=None):
        seam.check_pin(n, mode, pull)
        if pull == "up":
            pull = machine.Pin.PULL_UP
        elif pull == "down":
            pull = machine.Pin.PULL_DOWN
        return machine.Pin(n, machine.Pin.OUT if mode == "out" else machine.Pin.IN, pull)

    def adc(self, n):
        return machine.ADC(machine.Pin(n))

    def i2c(self, bus, scl, sda, freq=400000):
        return machine.I2C(bus, scl=machine.Pin(scl), sda=machine.Pin(sda), freq=freq)

    def pwm(self, pin, freq_hz):
        return machine.PWM(machine.Pin(pin), freq=freq_hz, duty_u16=0)

    def led_strip(self, pin, count, order="GRB"):
        import neopixel

        strip = neopixel.NeoPixel(machine.Pin(pin), count, bpp=len(order))
        # neopixel puts value i of a pixel (r, g, b, w) at byte ORDER[i] of the pixel
        strip.ORDER = tuple([order.index(c) for c in "RGBW"[: len(order)]])
        return strip

    def ir_frame(self, frame):
        from vitrine_fw.touch.geometry import Geometry

        return IrFrame(frame, Geometry(frame))

    def ble(self):
        try:
            import bluetooth
        except ImportError:  # a port built without BLE (the RP2040 on a plain Pico)
            raise OSError("no BLE on this board: its MicroPython has no bluetooth module")
        ble = bluetooth.BLE()
        ble.active(True)
        return ble

    def mcu_temperature(self):
        # The ESP32-S2, -S3 and -C3 have esp32.mcu_temperature() (degC; ports/esp32/
        # modesp32.c), which the generic ESP32 stubs lack; the RP2040's port has no esp32
        # module and reads none here.
        try:
            import esp32
        except ImportError:
            return None
        read = getattr(esp32, "mcu_temperature", None)
        return None if read is None else read()
