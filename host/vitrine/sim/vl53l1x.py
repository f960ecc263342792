"""A VL53L1X time-of-flight chip at the I2C level: the registers a driver touches, with the
chip's reset values, and its state machine, answering from its optics (vitrine.sim.tof).

Sources: ST's VL53L1X ultra-lite driver (STSW-IMG009, VL53L1X_api.c/.h: register addresses,
the default configuration it writes, the timing-budget register pairs, the data-ready and
interrupt-polarity logic, the range-status table) and its manual UM2510; ST's full API as
Pololu's vl53l1x-arduino library restates it (timeout encoding "(LSByte * 2^MSByte) + 1"
macro periods, the macro period from the VCSEL period and the fast oscillator, the 4528 us
timing guard, SYSTEM__MODE_START's 0x10/0x20/0x40/0x80); the datasheet DS12385 (boot time,
I2C address 0x29, model id 0xEA, module type 0xCC, mask revision 0x10 at 0x010F).

The bus: 16-bit register indices, most significant byte first; a write transaction is the
index and then data, stored from the index on (auto-increment); a read transaction returns
bytes from the index on. Multi-byte registers are big-endian.

The state machine:

    XSHUT low ----------> off: no answer on the bus, registers lost
    XSHUT high (or power) booting: no answer for 0.5 ms, then FIRMWARE__SYSTEM_STATUS reads 0
                          until 1.2 ms (tBOOT), then 1 (booted); the NVM has set the address
                          (0x29), model id, oscillator values
    SYSTEM__MODE_START    0x40 timed (one ranging per inter-measurement period, or back to back
                          when the period is shorter than the budget), 0x20 back to back,
                          0x10 one ranging, 0x00 or 0x80 stop
    a ranging completes   budget after it started: the result registers take its values, the
                          stream count moves on, and the interrupt is raised (GPIO1 and
                          GPIO__TIO_HV_STATUS bit 0, at the polarity GPIO_HV_MUX__CTRL bit 4
                          sets); rangings go on whether or not the host reads them
    SYSTEM__INTERRUPT_CLEAR bit 0   lowers the interrupt until the next ranging completes
    SOFT_RESET 0 then 1   reboots the firmware (the registers back to their reset values;
                          the I2C address kept)
    I2C_SLAVE__DEVICE_ADDRESS   the chip answers at the new 7-bit address from then on

Reset values: those ST publishes (the address 0x29, the identification, FIRMWARE__SYSTEM_STATUS,
SYSTEM__MODE_START 0: not ranging); the oscillator registers hold values consistent with the
ULD's default 100 ms period (an 8.8 MHz fast oscillator, a calibration value of 37). The rest
of the configuration block (0x2D-0x87) is not published; it reads as ST's default configuration
there, so a driver that skips writing it gets a chip that ranges in long mode at 100 ms.

Not emulated: threshold interrupts (SYSTEM__INTERRUPT_CONFIG_GPIO other than "new sample
ready"), crosstalk and offset calibration rangings (the offset register applies), the ROI
centre (the ROI size narrows the view), the temperature (VHV) update, the I2C fast-plus mode.
"""

from __future__ import annotations

import errno
import math
from collections.abc import Callable

from vitrine.sim.tof import Optics, Ranging, Settings

ADDRESS = 0x29  # 7-bit, at power-on
MODEL_ID = 0xEA
MODULE_TYPE = 0xCC
MASK_REVISION = 0x10
NACK_S = 0.0005  # after XSHUT rises the chip does not answer for this long ...
BOOT_S = 0.0012  # ... and is booted after tBOOT
FAST_OSC = 0x8D15  # OSC_MEASURED__FAST_OSC__FREQUENCY, 4.12 MHz: about 8.8 MHz
OSC_CALIBRATE = 0x0025  # RESULT__OSC_CALIBRATE_VAL, as the ULD's default period implies
TIMING_GUARD_US = 4528  # the firmware's overhead per ranging (ST's API, via Pololu)

SOFT_RESET = 0x0000
I2C_SLAVE__DEVICE_ADDRESS = 0x0001
OSC_MEASURED__FAST_OSC__FREQUENCY = 0x0006
ALGO__PART_TO_PART_RANGE_OFFSET_MM = 0x001E
GPIO_HV_MUX__CTRL = 0x0030
GPIO__TIO_HV_STATUS = 0x0031
SYSTEM__INTERRUPT_CONFIG_GPIO = 0x0046
RANGE_CONFIG__TIMEOUT_MACROP_A_HI = 0x005E
RANGE_CONFIG__VCSEL_PERIOD_A = 0x0060
RANGE_CONFIG__SIGMA_THRESH = 0x0064
RANGE_CONFIG__MIN_COUNT_RATE_RTN_LIMIT_MCPS = 0x0066
SYSTEM__INTERMEASUREMENT_PERIOD = 0x006C
ROI_CONFIG__USER_ROI_REQUESTED_GLOBAL_XY_SIZE = 0x0080
SYSTEM__INTERRUPT_CLEAR = 0x0086
SYSTEM__MODE_START = 0x0087
RESULT__RANGE_STATUS = 0x0089
RESULT__OSC_CALIBRATE_VAL = 0x00DE
FIRMWARE__SYSTEM_STATUS = 0x00E5
IDENTIFICATION__MODEL_ID = 0x010F
FIRST_READ_ONLY_END = 0x0100  # results and status, 0x0089..0x00FF, are read-only

REGISTERS = 0x0180  # the register space emulated (indices above read 0, writes are ignored)

# ST's default configuration, 0x2D..0x87 (VL53L1X_api.c VL51L1X_DEFAULT_CONFIGURATION).
DEFAULT_CONFIGURATION = bytes(
    [
        0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x02, 0x08,  # 0x2D..0x34
        0x00, 0x08, 0x10, 0x01, 0x01, 0x00, 0x00, 0x00,  # 0x35..0x3C
        0x00, 0xFF, 0x00, 0x0F, 0x00, 0x00, 0x00, 0x00,  # 0x3D..0x44
        0x00, 0x20, 0x0B, 0x00, 0x00, 0x02, 0x0A, 0x21,  # 0x45..0x4C
        0x00, 0x00, 0x05, 0x00, 0x00, 0x00, 0x00, 0xC8,  # 0x4D..0x54
        0x00, 0x00, 0x38, 0xFF, 0x01, 0x00, 0x08, 0x00,  # 0x55..0x5C
        0x00, 0x01, 0xCC, 0x0F, 0x01, 0xF1, 0x0D, 0x01,  # 0x5D..0x64
        0x68, 0x00, 0x80, 0x08, 0xB8, 0x00, 0x00, 0x00,  # 0x65..0x6C
        0x00, 0x0F, 0x89, 0x00, 0x00, 0x00, 0x00, 0x00,  # 0x6D..0x74
        0x00, 0x00, 0x01, 0x0F, 0x0D, 0x0E, 0x0E, 0x00,  # 0x75..0x7C
        0x00, 0x02, 0xC7, 0xFF, 0x9B, 0x00, 0x00, 0x00,  # 0x7D..0x84
        0x01, 0x00, 0x00,  # 0x85..0x87
    ]
)  # fmt: skip
assert len(DEFAULT_CONFIGURATION) == 0x87 - 0x2D + 1


# The timing budgets the ULD writes, by RANGE_CONFIG__TIMEOUT_MACROP_A's word (its
# VL53L1X_GetTimingBudgetInMs reads them back the same way): a chip set by the ULD (or by
# Adafruit's driver, which writes the same words) ranges for exactly that long. Another word
# is decoded as ST's API does (budget_ms).
ULD_BUDGETS_MS = {
    0x001D: 15, 0x0051: 20, 0x00D6: 33, 0x01AE: 50, 0x02E1: 100, 0x03E1: 200, 0x0591: 500,
    0x001E: 20, 0x0060: 33, 0x00AD: 50, 0x01CC: 100, 0x02D9: 200, 0x048F: 500,
}  # fmt: skip


def reset_image() -> bytearray:
    """The registers as the chip's boot leaves them (module docstring)."""
    regs = bytearray(REGISTERS)
    regs[I2C_SLAVE__DEVICE_ADDRESS] = ADDRESS
    regs[OSC_MEASURED__FAST_OSC__FREQUENCY : OSC_MEASURED__FAST_OSC__FREQUENCY + 2] = (
        FAST_OSC.to_bytes(2, "big")
    )
    regs[0x002D:0x0088] = DEFAULT_CONFIGURATION
    regs[RESULT__OSC_CALIBRATE_VAL : RESULT__OSC_CALIBRATE_VAL + 2] = OSC_CALIBRATE.to_bytes(
        2, "big"
    )
    regs[IDENTIFICATION__MODEL_ID] = MODEL_ID
    regs[IDENTIFICATION__MODEL_ID + 1] = MODULE_TYPE
    regs[IDENTIFICATION__MODEL_ID + 2] = MASK_REVISION
    return regs


def decode_timeout(value: int) -> int:
    """A timeout register's macro periods: (LSByte << MSByte) + 1."""
    return ((value & 0xFF) << (value >> 8)) + 1


def macro_period_us(vcsel_period: int, fast_osc: int = FAST_OSC) -> float:
    """One macro period in microseconds for a VCSEL period register value and the fast
    oscillator (4.12 MHz): ST's VL53L1_calc_macro_period_us in floating point, 2304 VCSEL
    periods of (value + 1) * 2 PLL clocks, the PLL period being 2^30 / fast_osc in 0.24
    format."""
    pll_us = (1 << 30) / fast_osc / (1 << 24)
    return 2304 * pll_us * (vcsel_period + 1) * 2


class Vl53l1x:
    """One chip: its bus end (i2c_write, i2c_read, acks), its XSHUT pin (xshut) and its GPIO1
    output (gpio1), ranging from `optics` on the clock (seconds)."""

    def __init__(
        self,
        clock: Callable[[], float],
        optics: Optics,
        *,
        model_id: int = MODEL_ID,
        powered: bool = True,
    ) -> None:
        self.clock = clock
        self.optics = optics
        self.model_id = model_id  # a test may fit a chip of another kind
        self.regs = reset_image()
        self.regs[IDENTIFICATION__MODEL_ID] = model_id
        self.index = 0  # the register pointer
        self.on = False
        self.booted_at = -math.inf  # when XSHUT rose
        self.address = ADDRESS
        self.pending = False  # the interrupt
        self.ranging_mode = 0  # SYSTEM__MODE_START's last start value (0: stopped)
        self.next_done = math.inf  # when the ranging under way completes
        self.stream_count = 0
        self.last: Ranging | None = None
        self.rangings = 0  # completed since power-on (for tests)
        self.transactions = 0
        if powered:
            self.power_up(-1.0)  # booted long ago

    # --- power and pins ---------------------------------------------------------------------

    def xshut(self, level: int) -> None:
        """The XSHUT pin: low shuts the chip down (registers lost), a rising edge boots it."""
        if level and not self.on:
            self.power_up(self.clock())
        elif not level and self.on:
            self.on = False
            self.ranging_mode = 0
            self.next_done = math.inf
            self.pending = False

    def power_up(self, now: float) -> None:
        self.on = True
        self.booted_at = now
        self.regs = reset_image()
        self.regs[IDENTIFICATION__MODEL_ID] = self.model_id
        self.address = ADDRESS
        self.pending = False
        self.ranging_mode = 0
        self.next_done = math.inf
        self.stream_count = 0
        self.index = 0

    def _booted(self, now: float) -> bool:
        return now - self.booted_at >= BOOT_S

    def acks(self, address: int) -> bool:
        """Whether the chip answers at this address now."""
        return self.on and address == self.address and self.clock() - self.booted_at >= NACK_S

    @property
    def polarity_high(self) -> bool:
        """The interrupt is active high (GPIO_HV_MUX__CTRL bit 4 clear)."""
        return not self.regs[GPIO_HV_MUX__CTRL] & 0x10

    def gpio1(self) -> int:
        """The GPIO1 pin's level now (the interrupt output, at its polarity; open drain pulled
        up when the chip is off)."""
        if not self.on:
            return 1
        self._advance(self.clock())
        return int(self.pending == self.polarity_high)

    # --- the bus ----------------------------------------------------------------------------

    def i2c_write(self, data: bytes) -> None:
        """One write transaction's bytes (after the address): the index, then data."""
        now = self.clock()
        self._check(now)
        self.transactions += 1
        if len(data) < 2:  # noqa: PLR2004 - an empty write (a probe) or half an index
            return
        self._advance(now)
        self.index = (data[0] << 8) | data[1]
        for value in data[2:]:
            self._store(self.index, value, now)
            self.index += 1

    def i2c_read(self, n: int) -> bytes:
        """One read transaction of n bytes from the index on."""
        now = self.clock()
        self._check(now)
        self.transactions += 1
        self._advance(now)
        out = bytearray(n)
        for i in range(n):
            out[i] = self._load(self.index, now)
            self.index += 1
        return bytes(out)

    def _check(self, now: float) -> None:
        if not self.on or now - self.booted_at < NACK_S:
            raise OSError(errno.ENODEV, f"VL53L1X at 0x{self.address:02x} did not answer (NACK)")

    def _load(self, index: int, now: float) -> int:
        if index >= REGISTERS:
            return 0
        if index == FIRMWARE__SYSTEM_STATUS:
            return 1 if self._booted(now) else 0
        if index == GPIO__TIO_HV_STATUS:
            level = int(self.pending == self.polarity_high)
            return (self.regs[index] & 0xFE) | level
        return self.regs[index]

    def _store(self, index: int, value: int, now: float) -> None:
        if (
            index >= REGISTERS
            or RESULT__RANGE_STATUS <= index < FIRST_READ_ONLY_END
            or index >= IDENTIFICATION__MODEL_ID
        ):
            return  # results, status and identification are read-only
        if index == SOFT_RESET:
            if value & 1 and not self.regs[SOFT_RESET] & 1:
                address = self.address
                self.power_up(now)
                self.address = address
                self.regs[I2C_SLAVE__DEVICE_ADDRESS] = address
            self.regs[SOFT_RESET] = value
            return
        if index == I2C_SLAVE__DEVICE_ADDRESS:
            self.address = value & 0x7F
            self.regs[index] = self.address
            return
        if index == SYSTEM__INTERRUPT_CLEAR:
            if value & 1:
                self.pending = False
            self.regs[index] = value
            return
        self.regs[index] = value
        if index == SYSTEM__MODE_START:
            self._mode_start(value, now)

    # --- ranging ----------------------------------------------------------------------------

    def settings(self) -> Settings:
        """What the registers ask of a ranging now."""
        regs = self.regs
        vcsel_a = regs[RANGE_CONFIG__VCSEL_PERIOD_A]
        mode = "short" if vcsel_a <= 0x07 else "medium" if vcsel_a <= 0x0B else "long"  # noqa: PLR2004
        roi = regs[ROI_CONFIG__USER_ROI_REQUESTED_GLOBAL_XY_SIZE]
        return Settings(
            mode=mode,
            budget_ms=self.budget_ms(),
            roi_x=min(16, (roi & 0x0F) + 1),
            roi_y=min(16, (roi >> 4) + 1),
            sigma_limit_mm=self._u16(RANGE_CONFIG__SIGMA_THRESH) / 4.0,
            min_signal_mcps=self._u16(RANGE_CONFIG__MIN_COUNT_RATE_RTN_LIMIT_MCPS) / 128.0,
        )

    def budget_ms(self) -> float:
        """The timing budget the timeout registers give: the ULD's nominal budget for its own
        register words, else ST's API's arithmetic (twice range A's timeout plus the timing
        guard)."""
        word = self._u16(RANGE_CONFIG__TIMEOUT_MACROP_A_HI)
        if word in ULD_BUDGETS_MS:
            return float(ULD_BUDGETS_MS[word])
        fast_osc = self._u16(OSC_MEASURED__FAST_OSC__FREQUENCY) or FAST_OSC
        mclks = decode_timeout(word)
        timeout_us = mclks * macro_period_us(self.regs[RANGE_CONFIG__VCSEL_PERIOD_A], fast_osc)
        return (2 * timeout_us + TIMING_GUARD_US) / 1000.0

    def period_ms(self) -> float:
        """The inter-measurement period the register holds (the ULD's scale: osc value x
        1.075 counts per ms); 0 when none is set."""
        raw = int.from_bytes(
            self.regs[SYSTEM__INTERMEASUREMENT_PERIOD : SYSTEM__INTERMEASUREMENT_PERIOD + 4], "big"
        )
        osc = (self._u16(RESULT__OSC_CALIBRATE_VAL) & 0x3FF) or OSC_CALIBRATE
        return raw / (osc * 1.075)

    def _cycle_s(self) -> float:
        budget = self.budget_ms()
        if self.ranging_mode == 0x40:  # noqa: PLR2004 - timed: the period, or back to back
            return max(self.period_ms(), budget) / 1000.0
        return budget / 1000.0

    def _mode_start(self, value: int, now: float) -> None:
        if value in (0x10, 0x20, 0x40):
            self.ranging_mode = value
            self.stream_count = -1  # no ranging of this stream yet
            self.next_done = now + self.budget_ms() / 1000.0
        else:  # 0x00 stop, 0x80 abort
            self.ranging_mode = 0
            self.next_done = math.inf

    def _advance(self, now: float) -> None:
        """Complete the rangings due by now (a long silence: only the last one is computed;
        the stream count counts them all)."""
        if self.next_done > now:
            return
        cycle = self._cycle_s()
        due = 1 + int((now - self.next_done) / cycle) if self.ranging_mode != 0x10 else 1  # noqa: PLR2004
        done_at = self.next_done + (due - 1) * cycle
        self._complete(done_at, due)
        if self.ranging_mode == 0x10:  # noqa: PLR2004 - one ranging, then idle
            self.ranging_mode = 0
            self.next_done = math.inf
        else:
            self.next_done = done_at + cycle

    def _complete(self, t: float, count: int) -> None:
        result = self.optics.ranging(t, self.settings())
        offset = int.from_bytes(
            self.regs[ALGO__PART_TO_PART_RANGE_OFFSET_MM : ALGO__PART_TO_PART_RANGE_OFFSET_MM + 2],
            "big",
            signed=True,
        )
        distance = result.distance_mm
        if distance and offset:
            distance = max(0, min(0xFFFF, distance + round(offset / 4)))
        self.last = result
        self.rangings += count
        for _ in range(count):  # 0 for a stream's first ranging, then 1..255, 128..255 ...
            stream = self.stream_count
            self.stream_count = stream + 1 if 0 <= stream < 255 else 0 if stream < 0 else 128  # noqa: PLR2004
        r = self.regs
        base = RESULT__RANGE_STATUS
        r[base] = result.device_status
        r[base + 1] = 0  # report status
        r[base + 2] = self.stream_count
        r[base + 3 : base + 5] = (result.spads << 8).to_bytes(2, "big")  # 8.8
        peak = _fixed(result.signal_mcps + result.ambient_kcps * result.spads / 1000.0, 7)
        r[base + 5 : base + 7] = peak.to_bytes(2, "big")
        r[base + 7 : base + 9] = _fixed(result.ambient_kcps * result.spads / 1000.0, 7).to_bytes(
            2, "big"
        )
        r[base + 9 : base + 11] = _fixed(result.sigma_mm, 2).to_bytes(2, "big")
        r[base + 11 : base + 13] = (0).to_bytes(2, "big")  # phase
        r[base + 13 : base + 15] = distance.to_bytes(2, "big")
        r[base + 15 : base + 17] = _fixed(result.signal_mcps, 7).to_bytes(2, "big")
        self.pending = True

    def _u16(self, index: int) -> int:
        return (self.regs[index] << 8) | self.regs[index + 1]


def _fixed(value: float, frac_bits: int) -> int:
    return max(0, min(0xFFFF, round(value * (1 << frac_bits))))
