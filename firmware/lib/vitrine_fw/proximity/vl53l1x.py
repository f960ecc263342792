# A VL53L1X time-of-flight sensor on an I2C bus, after ST's ultra-lite driver (STSW-IMG009,
# VL53L1X_api.c; its manual UM2510): the same registers, the same default configuration, the
# same timing-budget register words and range-status table. The bus is the board seam's I2C
# (board.i2c): 16-bit register indices, most significant byte first, multi-byte values
# big-endian.
#
# Bring-up, as the ULD's examples do it:
#   booted()            FIRMWARE__SYSTEM_STATUS (0xE5) bit 0, after XSHUT rose (tBOOT 1.2 ms);
#                       the chip does not answer at all for the first moments
#   model_id()          0xEACC at 0x010F, else the chip is not a VL53L1X (check_model raises)
#   set_address()       I2C_SLAVE__DEVICE_ADDRESS, so several sensors share one bus: the others
#                       are held in reset (XSHUT low) while one moves
#   configure()         the ULD's default configuration (0x2D..0x87), one ranging to settle
#                       the VHV, then the two-bound VHV setting
#   set_distance_mode() / set_timing_budget() / set_inter_measurement()
#   start()             timed ranging (SYSTEM__MODE_START 0x40)
# Each ranging:
#   data_ready()        GPIO__TIO_HV_STATUS bit 0 at the interrupt polarity (polled), or the
#                       GPIO1 line's interrupt (the subsystem's choice)
#   read_result()       17 bytes from RESULT__RANGE_STATUS: status (mapped as the ULD maps
#                       it), distance, signal, ambient
#   clear_interrupt()   arms the next data-ready
#
# read_result(), data_ready() and clear_interrupt() allocate nothing: preallocated buffers and
# integer arithmetic (the ranging loop runs under the heap lock in the tests). The bring-up
# allocates freely.

try:
    from micropython import const
except ImportError:

    def const(x):
        return x


DEFAULT_ADDRESS = const(0x29)
MODEL_ID = const(0xEACC)  # model id 0xEA, module type 0xCC

_SOFT_RESET = const(0x0000)
_I2C_SLAVE__DEVICE_ADDRESS = const(0x0001)
_VHV_CONFIG__TIMEOUT_MACROP_LOOP_BOUND = const(0x0008)
_VHV_CONFIG__INIT = const(0x000B)
_GPIO_HV_MUX__CTRL = const(0x0030)
_GPIO__TIO_HV_STATUS = const(0x0031)
_PHASECAL_CONFIG__TIMEOUT_MACROP = const(0x004B)
_RANGE_CONFIG__TIMEOUT_MACROP_A_HI = const(0x005E)
_RANGE_CONFIG__VCSEL_PERIOD_A = const(0x0060)
_RANGE_CONFIG__TIMEOUT_MACROP_B_HI = const(0x0061)
_RANGE_CONFIG__VCSEL_PERIOD_B = const(0x0063)
_RANGE_CONFIG__VALID_PHASE_HIGH = const(0x0069)
_SYSTEM__INTERMEASUREMENT_PERIOD = const(0x006C)
_SD_CONFIG__WOI_SD0 = const(0x0078)
_SD_CONFIG__INITIAL_PHASE_SD0 = const(0x007A)
_SYSTEM__INTERRUPT_CLEAR = const(0x0086)
_SYSTEM__MODE_START = const(0x0087)
_RESULT__RANGE_STATUS = const(0x0089)
_RESULT__OSC_CALIBRATE_VAL = const(0x00DE)
_FIRMWARE__SYSTEM_STATUS = const(0x00E5)
_IDENTIFICATION__MODEL_ID = const(0x010F)
_RESULT_BYTES = const(17)  # RESULT__RANGE_STATUS .. the signal rate, one burst
_U16_MAX = const(0xFFFF)  # the wire's fields for rates are 16-bit

_MODE_TIMED = const(0x40)  # SYSTEM__MODE_START: ranging every inter-measurement period
_MODE_STOP = const(0x00)

# ST's default configuration for registers 0x2D..0x87 (VL53L1X_api.c,
# VL51L1X_DEFAULT_CONFIGURATION): interrupt active high on new sample ready, long mode, a
# 100 ms budget and period, sigma limit 90 mm, signal limit 1 MCPS, the full 16 x 16 ROI.
DEFAULT_CONFIGURATION = bytes(
    (
        0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x02, 0x08, 0x00, 0x08, 0x10, 0x01, 0x01, 0x00,
        0x00, 0x00, 0x00, 0xFF, 0x00, 0x0F, 0x00, 0x00, 0x00, 0x00, 0x00, 0x20, 0x0B, 0x00,
        0x00, 0x02, 0x0A, 0x21, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00, 0x00, 0xC8, 0x00, 0x00,
        0x38, 0xFF, 0x01, 0x00, 0x08, 0x00, 0x00, 0x01, 0xCC, 0x0F, 0x01, 0xF1, 0x0D, 0x01,
        0x68, 0x00, 0x80, 0x08, 0xB8, 0x00, 0x00, 0x00, 0x00, 0x0F, 0x89, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x01, 0x0F, 0x0D, 0x0E, 0x0E, 0x00, 0x00, 0x02, 0xC7, 0xFF,
        0x9B, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00,
    )
)  # fmt: skip

# The chip's range status (bits 4..0 of RESULT__RANGE_STATUS) to the ULD's: 0 valid, 1 sigma
# fail, 2 signal fail, 3 min range clipped, 4 out of bounds, 5 hardware fail, 6 valid without
# wrap check, 7 wrap-around, 9 crosstalk, 10 synchronisation, 11 merged pulse, 12 lack of
# signal, 13 min range fail; 255 a code the ULD does not know (its status_rtn table).
STATUS_RTN = bytes(
    (255, 255, 255, 5, 2, 4, 1, 7, 3, 0, 255, 255, 9, 13, 255, 255, 255, 255, 10, 6, 255, 255,
     11, 12)
)  # fmt: skip

SHORT = const(1)
LONG = const(2)
MODES = {"short": SHORT, "long": LONG}

# The ULD's timing budgets: ms -> (RANGE_CONFIG__TIMEOUT_MACROP_A_HI, ..._B_HI) words, per mode.
BUDGETS_SHORT = {
    15: (0x001D, 0x0027),
    20: (0x0051, 0x006E),
    33: (0x00D6, 0x006E),
    50: (0x01AE, 0x01E8),
    100: (0x02E1, 0x0388),
    200: (0x03E1, 0x0496),
    500: (0x0591, 0x05C1),
}
BUDGETS_LONG = {
    20: (0x001E, 0x0022),
    33: (0x0060, 0x006E),
    50: (0x00AD, 0x00C6),
    100: (0x01CC, 0x01EA),
    200: (0x02D9, 0x02F8),
    500: (0x048F, 0x04A4),
}


class SensorError(Exception):
    """The sensor cannot be used; the message names it and says what was expected."""


class VL53L1X:
    """One sensor at `address` on `i2c` (the seam's bus); `name` says which, in errors."""

    def __init__(self, i2c, address=DEFAULT_ADDRESS, name="VL53L1X", bus_name="I2C"):
        self.i2c = i2c
        self.address = address
        self.name = name
        self.bus_name = bus_name
        self.polarity = 1  # GPIO__TIO_HV_STATUS bit 0 reads this when data is ready
        self.mode = LONG
        self.budget_ms = 100
        self._b1 = bytearray(1)
        self._b2 = bytearray(2)
        self._b4 = bytearray(4)
        self._result = bytearray(_RESULT_BYTES)
        self._clear = bytearray(1)
        self._clear[0] = 0x01
        # The last result (read_result fills them)
        self.status = 255  # ULD range status
        self.distance_mm = 0
        self.signal_kcps = 0
        self.ambient_kcps = 0  # per SPAD
        self.stream = 0

    # --- registers ------------------------------------------------------------------------

    def read8(self, reg):
        self.i2c.readfrom_mem_into(self.address, reg, self._b1, addrsize=16)
        return self._b1[0]

    def read16(self, reg):
        b = self._b2
        self.i2c.readfrom_mem_into(self.address, reg, b, addrsize=16)
        return (b[0] << 8) | b[1]

    def write8(self, reg, value):
        self._b1[0] = value
        self.i2c.writeto_mem(self.address, reg, self._b1, addrsize=16)

    def write16(self, reg, value):
        b = self._b2
        b[0] = (value >> 8) & 0xFF
        b[1] = value & 0xFF
        self.i2c.writeto_mem(self.address, reg, b, addrsize=16)

    def write32(self, reg, value):
        b = self._b4
        b[0] = (value >> 24) & 0xFF
        b[1] = (value >> 16) & 0xFF
        b[2] = (value >> 8) & 0xFF
        b[3] = value & 0xFF
        self.i2c.writeto_mem(self.address, reg, b, addrsize=16)

    # --- bring-up ---------------------------------------------------------------------------

    def where(self):
        return "%s (VL53L1X at 0x%02x on %s)" % (self.name, self.address, self.bus_name)

    def booted(self):
        """True once the chip's firmware has booted; False while it does not answer yet."""
        try:
            return bool(self.read8(_FIRMWARE__SYSTEM_STATUS) & 0x01)
        except OSError:
            return False

    def model_id(self):
        return self.read16(_IDENTIFICATION__MODEL_ID)

    def check_model(self):
        """Raise SensorError unless the chip says it is a VL53L1X."""
        got = self.model_id()
        if got != MODEL_ID:
            raise SensorError(
                "%s: model id 0x%04x, expected 0x%04x (not a VL53L1X, or a damaged one)"
                % (self.where(), got, MODEL_ID)
            )

    def set_address(self, address):
        """Move the chip to a new 7-bit address (it answers there from now on)."""
        self.write8(_I2C_SLAVE__DEVICE_ADDRESS, address & 0x7F)
        self.address = address & 0x7F

    def load_configuration(self):
        """Write the ULD's default configuration (one burst) and read back the polarity."""
        self.i2c.writeto_mem(self.address, 0x2D, DEFAULT_CONFIGURATION, addrsize=16)
        self.polarity = 0 if self.read8(_GPIO_HV_MUX__CTRL) & 0x10 else 1

    def finish_configuration(self):
        """After the first ranging of configure(): stop, and the ULD's VHV settings."""
        self.clear_interrupt()
        self.write8(_SYSTEM__MODE_START, _MODE_STOP)
        self.write8(_VHV_CONFIG__TIMEOUT_MACROP_LOOP_BOUND, 0x09)  # two bounds VHV
        self.write8(_VHV_CONFIG__INIT, 0x00)  # start VHV from the previous temperature

    def set_distance_mode(self, mode):
        """SHORT (to about 1.3 m, sunlight-proof) or LONG (to about 4 m in the dark); keeps the
        timing budget, as the ULD does."""
        if mode == SHORT:
            values = (0x14, 0x07, 0x05, 0x38, 0x0705, 0x0606)
        elif mode == LONG:
            values = (0x0A, 0x0F, 0x0D, 0xB8, 0x0F0D, 0x0E0E)
        else:
            raise ValueError(
                "%s: distance mode %r, allowed: short (1) or long (2)" % (self.name, mode)
            )
        self.write8(_PHASECAL_CONFIG__TIMEOUT_MACROP, values[0])
        self.write8(_RANGE_CONFIG__VCSEL_PERIOD_A, values[1])
        self.write8(_RANGE_CONFIG__VCSEL_PERIOD_B, values[2])
        self.write8(_RANGE_CONFIG__VALID_PHASE_HIGH, values[3])
        self.write16(_SD_CONFIG__WOI_SD0, values[4])
        self.write16(_SD_CONFIG__INITIAL_PHASE_SD0, values[5])
        self.mode = mode
        self.set_timing_budget(self.budget_ms)

    def set_timing_budget(self, ms):
        """One of the ULD's budgets for the mode (15 only in short mode)."""
        table = BUDGETS_SHORT if self.mode == SHORT else BUDGETS_LONG
        words = table.get(ms)
        if words is None:
            raise ValueError(
                "%s: timing budget %r ms, allowed in this mode: %s"
                % (self.name, ms, ", ".join([str(k) for k in sorted(table)]))
            )
        self.write16(_RANGE_CONFIG__TIMEOUT_MACROP_A_HI, words[0])
        self.write16(_RANGE_CONFIG__TIMEOUT_MACROP_B_HI, words[1])
        self.budget_ms = ms

    def set_inter_measurement(self, ms):
        """The period between rangings (at least the budget plus 4 ms, as UM2510 asks)."""
        clock_pll = self.read16(_RESULT__OSC_CALIBRATE_VAL) & 0x3FF
        # the ULD's ClockPLL * ms * 1.075, in integers (both factors are small)
        self.write32(_SYSTEM__INTERMEASUREMENT_PERIOD, clock_pll * ms * 1075 // 1000)

    def start(self):
        self.write8(_SYSTEM__MODE_START, _MODE_TIMED)

    def stop(self):
        self.write8(_SYSTEM__MODE_START, _MODE_STOP)

    # --- each ranging (allocates nothing) ------------------------------------------------------

    def data_ready(self):
        """True when a ranging has completed since the last clear_interrupt()."""
        return (self.read8(_GPIO__TIO_HV_STATUS) & 0x01) == self.polarity

    def read_result(self):
        """Read the last ranging into status, distance_mm, signal_kcps, ambient_kcps."""
        r = self._result
        self.i2c.readfrom_mem_into(self.address, _RESULT__RANGE_STATUS, r, addrsize=16)
        code = r[0] & 0x1F
        self.status = STATUS_RTN[code] if code < len(STATUS_RTN) else 255
        self.stream = r[2]
        spads = (r[3] << 8) | r[4]  # 8.8
        ambient = (r[7] << 8) | r[8]  # MCPS, 9.7
        self.distance_mm = (r[13] << 8) | r[14]
        signal = (r[15] << 8) | r[16]  # MCPS, 9.7
        # MCPS in 9.7 to kcps: x 1000 / 128 = x 125 / 16
        kcps = signal * 125 // 16
        self.signal_kcps = kcps if kcps < _U16_MAX else _U16_MAX
        # per SPAD: (ambient / 128 MCPS) / (spads / 256) in kcps = ambient * 125 / (spads / 16)
        per = ambient * 125 // (spads >> 4) if spads >> 4 else 0
        self.ambient_kcps = per if per < _U16_MAX else _U16_MAX

    def clear_interrupt(self):
        self.i2c.writeto_mem(self.address, _SYSTEM__INTERRUPT_CLEAR, self._clear, addrsize=16)

    def soft_reset(self):
        self.write8(_SOFT_RESET, 0x00)
        self.write8(_SOFT_RESET, 0x01)
