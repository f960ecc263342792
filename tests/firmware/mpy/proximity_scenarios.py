# The proximity subsystem (vitrine_fw.proximity) wired by supervisor.build as on a presence
# board, over register-level fakes at the seam: VL53L1X chips answering the driver's register
# reads and writes on a fake I2C bus (a register file each, an address, XSHUT and GPIO1, and
# the rangings the test makes them complete), a PIR pin, and the link's port read back. The
# bring-up (XSHUT, boot, model id, address, configuration), the rangings, the median and
# DISTANCE's rate, the presence verdict, the PIR, the faults (a chip of another kind, a bus
# held low, an I2C error while ranging) and the console. Runs unchanged on MicroPython
# (node tools/micropython.mjs) and CPython (tests/firmware/test_scenarios.py).

from fw_scenario import FakeClock, FakePort, contains, eq, feed, host_frame, ok, run_all

from vitrine_fw import config, seam, supervisor, wire
from vitrine_fw.link import Refused
from vitrine_fw.proximity import vl53l1x

_ETIMEDOUT = 110
_ENODEV = 19


class Pause:
    """What the scenarios' clock sleeps with: the coroutine gives way once."""

    def __iter__(self):
        yield None

    __await__ = __iter__


class StepClock(FakeClock):
    """Fake time that a task's sleep moves on (driven by run_coro, without an event loop)."""

    def sleep_ms(self, ms):
        self.advance_ms(ms)
        return Pause()


def run_coro(coro, limit=100000):
    """Run a coroutine to its end by sending into it; returns how many times it gave way."""
    n = 0
    while n < limit:
        try:
            coro.send(None)
        except StopIteration:
            return n
        n += 1
    raise AssertionError("the coroutine did not end")


class FakeChip:
    """A VL53L1X as its registers: what the driver reads and writes, nothing more. Powered
    and booted unless its XSHUT pin says otherwise; a ranging completes when the test says
    (complete()), or, with `auto` set, on the first poll after a start (the bring-up's)."""

    def __init__(self, clock, model=0xEACC):
        self.clock = clock
        self.model = model
        self.powered = True
        self.power_up()

    def power_up(self):
        self.regs = bytearray(0x180)
        self.regs[0x0001] = 0x29
        self.regs[0x00DE] = 0x00
        self.regs[0x00DF] = 0x25  # the oscillator calibration the ULD reads
        self.regs[0x010F] = self.model >> 8
        self.regs[0x0110] = self.model & 0xFF
        self.regs[0x0111] = 0x10
        self.regs[0x0030] = 0x11  # active low until configured
        self.address = 0x29
        self.pending = False
        self.ranging = False
        self.auto = True
        self.boot_reads = 1  # FIRMWARE__SYSTEM_STATUS reads 0 once before it reads 1
        self.writes = []  # (register, bytes)

    def xshut(self, level):
        if level and not self.powered:
            self.powered = True
            self.power_up()
        elif not level:
            self.powered = False

    def polarity(self):
        return 0 if self.regs[0x0030] & 0x10 else 1

    def read(self, reg, n):
        if reg == 0x00E5:
            if self.boot_reads:
                self.boot_reads -= 1
                return bytes([0])
            return bytes([1])
        if reg == 0x0031:
            if self.ranging and self.auto and not self.pending:
                self.auto = False
                self.complete(9, 1000)
            ready = self.pending
            return bytes(
                [(self.regs[0x31] & 0xFE) | (self.polarity() if ready else 1 - self.polarity())]
            )
        return bytes(self.regs[reg : reg + n])

    def write(self, reg, data):
        self.writes.append((reg, bytes(data)))
        if reg == 0x0001:
            self.address = data[0] & 0x7F
            return
        if reg == 0x0086:
            if data[0] & 1:
                self.pending = False
            return
        for i in range(len(data)):
            self.regs[reg + i] = data[i]
        if reg <= 0x0087 < reg + len(data):
            self.ranging = self.regs[0x0087] == 0x40

    def complete(self, device_status, distance, signal_mcps=40, ambient_mcps=1):
        """A ranging completes: the result registers and the interrupt."""
        r = self.regs
        r[0x89] = device_status
        r[0x8C] = 80  # SPADs, 8.8
        r[0x8D] = 0
        r[0x90] = (ambient_mcps * 128) >> 8
        r[0x91] = (ambient_mcps * 128) & 0xFF
        r[0x96] = distance >> 8
        r[0x97] = distance & 0xFF
        r[0x98] = (signal_mcps * 128) >> 8
        r[0x99] = (signal_mcps * 128) & 0xFF
        self.pending = True

    def register(self, reg, n=1):
        v = 0
        for i in range(n):
            v = (v << 8) | self.regs[reg + i]
        return v


class FakeI2C:
    """The seam's I2C bus: chips answer at their address while powered."""

    def __init__(self, chips):
        self.chips = chips
        self.stuck = False  # SDA held low: every transfer times out
        self.fail_next = 0  # the next N transfers fail (a glitch)

    def _chip(self, addr):
        if self.stuck:
            raise OSError(_ETIMEDOUT)
        if self.fail_next:
            self.fail_next -= 1
            raise OSError(_ENODEV)
        for chip in self.chips:
            if chip.powered and chip.address == addr:
                return chip
        raise OSError(_ENODEV)

    def readfrom_mem_into(self, addr, memaddr, buf, *, addrsize=8):
        data = self._chip(addr).read(memaddr, len(buf))
        for i in range(len(buf)):
            buf[i] = data[i]

    def writeto_mem(self, addr, memaddr, buf, *, addrsize=8):
        self._chip(addr).write(memaddr, buf)


class FakePin:
    """A pin: an output tells its listener, an input reads `level`; irq() keeps the handler."""

    def __init__(self, n, listener=None):
        self.n = n
        self.level = 0
        self.listener = listener
        self.handler = None
        self.IRQ_FALLING = 4
        self.IRQ_RISING = 8

    def value(self, v=None):
        if v is None:
            return self.level
        self.level = 1 if v else 0
        if self.listener is not None:
            self.listener(self.level)
        return None

    def irq(self, handler=None, trigger=12):
        self.handler = handler


PINS = {"xshut": (6, 7, 8), "gpio1": 9, "pir": 15}


class FakeBoard(seam.BaseBoard):
    def __init__(self, models=(0xEACC, 0xEACC, 0xEACC)):
        super().__init__(StepClock(1000))
        self.port = FakePort()
        self.chips = [FakeChip(self.clock, m) for m in models]
        self.bus = FakeI2C(self.chips)
        self.pins = {}
        self.i2c_args = None

    def uid(self):
        return "9e55e0ce"

    def reset_cause(self):
        return wire.RESET_POWER_ON

    def open_link(self, link_cfg):
        return self.port

    def i2c(self, bus, scl, sda, freq=400000):
        self.i2c_args = (bus, scl, sda, freq)
        return self.bus

    def pin(self, n, mode, pull=None):
        listener = None
        for i in range(len(PINS["xshut"])):
            if n == PINS["xshut"][i] and i < len(self.chips):
                listener = self.chips[i].xshut
        pin = self.pins[n] = FakePin(n, listener)
        return pin


def prox_config(**overrides):
    prox = {
        "i2c": {"bus": 0, "scl": 5, "sda": 4, "freq": 400000},
        "distance_mode": "long",
        "timing_budget_ms": 33,
        "period_ms": 37,
        "median": 3,
        "max_mm": 3000,
        "approach_mm": 1500,
        "present_ms": 1000,
        "leave_ms": 1500,
        "hysteresis_mm": 100,
        "distance_rate_hz": 30,
        "pir": {"pin": 15, "warmup_s": 60, "stuck_s": 600},
        "tof": [
            {"name": "centre", "address": 0x30, "xshut": 6, "gpio1": 9},
            {"name": "left", "address": 0x31, "xshut": 7},
            {"name": "right", "address": 0x32, "xshut": 8},
        ],
    }
    prox.update(overrides)
    return prox


class Rig:
    """A presence board after the handshake, its sensors brought up."""

    def __init__(self, models=(0xEACC, 0xEACC, 0xEACC), **overrides):
        cfg = {
            "role": "presence",
            "subsystems": ["proximity"],
            "proximity": prox_config(**overrides),
        }
        self.board = FakeBoard(models)
        self.clock = self.board.clock
        self.sup = supervisor.build(self.board, config.check(cfg))
        self.link = self.sup.link
        self.prox = self.sup.subsystems["proximity"]
        hello = (wire.SCHEMA_REV, wire.SCHEMA_HASH, "host", "0.1.0", "", "bench", 0, 0)
        feed(self.link, host_frame(wire.HELLO, 300, hello))
        ok(self.link.host_up, "host up after the handshake")
        self.board.port.take()
        self.beats = [0]
        run_coro(self.prox.bring_up_all(self.alive))

    def alive(self):
        self.beats[0] += 1

    def frames(self, typ=None):
        out = self.board.port.take()
        return [f for f in out if typ is None or f.type == typ]

    def after(self, ms):
        """Let ms pass and run one pass of the task."""
        self.clock.advance_ms(ms)
        self.prox.step()

    def ranging(self, index, distance, status=9, ms=37):
        """Sensor `index` completes a ranging; a pass later; the frames it sent."""
        self.board.chips[index].complete(status, distance)
        if index == 0:  # the centre sensor's GPIO1 line fires
            self.board.pins[9].handler(self.board.pins[9])
        self.after(ms)
        return self.frames()

    def console(self, line):
        words = line.split()
        return self.sup.console.commands.run(words[0], words[1:], False)


def distances(frames):
    return [f.values for f in frames if f.type == wire.DISTANCE]


# --- bring-up ------------------------------------------------------------------------------


def scenario_each_sensor_is_let_out_of_reset_alone_and_moved_to_its_address():
    rig = Rig()
    eq(rig.board.i2c_args, (0, 5, 4, 400000), "the bus from the config")
    eq([c.address for c in rig.board.chips], [0x30, 0x31, 0x32], "every chip at its address")
    ok(all([c.powered for c in rig.board.chips]), "all out of reset")
    for chip in rig.board.chips:
        bursts = [data for reg, data in chip.writes if reg == 0x2D]
        eq(bursts, [vl53l1x.DEFAULT_CONFIGURATION], "the ULD's configuration, one burst")
        eq(chip.regs[0x0087], 0x40, "ranging (timed)")
        eq(chip.register(0x004B), 0x0A, "long mode's phasecal")
        eq(chip.register(0x0060), 0x0F, "long mode's VCSEL period A")
        eq(chip.register(0x005E, 2), 0x0060, "the ULD's 33 ms word in long mode")
        eq(chip.register(0x006C, 4), 37 * 37 * 1075 // 1000, "the period: osc x 37 ms x 1.075")
        eq(chip.register(0x0008), 0x09, "two-bound VHV")
    eq([s.state for s in rig.prox.sensors], [wire.PART_OK] * 3, "all ok")
    health = rig.frames(wire.PROX_HEALTH)
    eq([h.values[0] for h in health], ["tof centre", "tof left", "tof right"], "health per part")
    contains(health[0].values[3], "ranging at 0x30, long mode, 33 ms budget every 37 ms", "detail")
    ok(rig.link.identity["capabilities"] & wire.CAP_PROXIMITY, "HELLO's proximity bit")


def scenario_the_driver_follows_the_ulds_short_mode_and_budgets():
    rig = Rig(distance_mode="short", timing_budget_ms=20, period_ms=25)
    chip = rig.board.chips[1]
    eq(chip.register(0x004B), 0x14, "short mode's phasecal")
    eq(chip.register(0x0060), 0x07, "short mode's VCSEL period A")
    eq(chip.register(0x0078, 2), 0x0705, "short mode's WOI")
    eq(chip.register(0x005E, 2), 0x0051, "the ULD's 20 ms word in short mode")
    eq(chip.register(0x0061, 2), 0x006E, "... and its B word")


def scenario_a_chip_of_another_kind_fails_alone_and_is_tried_again():
    rig = Rig(models=(0xEACC, 0xEACD, 0xEACC))
    states = [s.state for s in rig.prox.sensors]
    eq(states, [wire.PART_OK, wire.PART_FAILED, wire.PART_OK], "only the left one failed")
    ok(not rig.board.chips[1].powered, "held in reset, out of the way at 0x29")
    eq(rig.board.chips[2].address, 0x32, "the next one still moved to its address")
    frames = rig.frames()
    bad = next(f for f in frames if f.type == wire.PROX_HEALTH and f.values[0] == "tof left")
    eq(bad.values[1], wire.PART_FAILED, "reported failed")
    eq(bad.values[2], 1, "one error counted")
    contains(bad.values[3], "model id 0xeacd, expected 0xeacc", "the detail names the id")
    contains(bad.values[3], "tof left (VL53L1X at 0x29 on I2C0)", "and the part")
    logs = [f.values[2] for f in frames if f.type == wire.LOG]
    ok(any(["tof left failed" in line for line in logs]), "a LOG error too")
    # the others range on
    ok(distances(rig.ranging(0, 800)), "the centre sensor still reports")
    # tried again after 5 s: fails again, counted
    rig.clock.advance_ms(5000)
    run_coro(rig.prox.bring_up(rig.prox.sensors[1], rig.alive))
    eq(rig.prox.sensors[1].errors, 2, "a second error")


def scenario_a_bus_held_low_fails_every_sensor_and_they_come_back_when_it_is_freed():
    rig = Rig()
    rig.board.bus.stuck = True
    frames = rig.ranging(0, 900)
    rig.after(37)
    eq([s.state for s in rig.prox.sensors], [wire.PART_FAILED] * 3, "every sensor failed")
    health = [
        f
        for f in frames + rig.frames()
        if f.type == wire.PROX_HEALTH and f.values[1] == wire.PART_FAILED
    ]
    eq(len(health), 3, "each sensor's failure reported")
    contains(health[0].values[3], "I2C0 held low (ETIMEDOUT)", "the detail says why")
    rig.board.bus.stuck = False
    rig.clock.advance_ms(5000)
    for sensor in rig.prox.sensors:
        run_coro(rig.prox.bring_up(sensor, rig.alive))
    eq([s.state for s in rig.prox.sensors], [wire.PART_OK] * 3, "all back")
    eq([c.address for c in rig.board.chips], [0x30, 0x31, 0x32], "at their addresses again")


def scenario_an_i2c_error_while_ranging_fails_only_that_sensor():
    rig = Rig()
    rig.board.chips[1].complete(9, 700)
    rig.board.bus.fail_next = 1
    rig.after(37)
    states = [s.state for s in rig.prox.sensors]
    eq(states.count(wire.PART_FAILED), 1, "one sensor failed")
    ok(distances(rig.ranging(2, 1200)), "another still reports")


# --- rangings ------------------------------------------------------------------------------


def scenario_a_ranging_goes_out_as_distance_with_its_median():
    rig = Rig()
    got = distances(rig.ranging(0, 1200))
    eq(len(got), 1, "one DISTANCE")
    t_ms, sensor, status, raw, filtered, signal, ambient = got[0]
    eq((sensor, status, raw, filtered), (0, wire.RANGE_VALID, 1200, 1200), "the reading")
    eq(signal, 40 * 1000, "40 MCPS in kcps")
    eq(ambient, 12, "1 MCPS over 80 SPADs: 12.5 kcps per SPAD, rounded down")
    ok(t_ms == rig.clock.ticks_ms(), "the board's time")
    got = distances(rig.ranging(0, 1250))
    eq(got[0][4], 1250, "median of two: the later")
    eq(distances(rig.ranging(0, 3000 - 1)), [], "the median did not move: nothing sent")
    eq(rig.prox.sensors[0].track.filtered, 1250, "median of three ignores the stray reading")


def scenario_unchanged_readings_go_out_once_a_second_and_never_faster_than_the_rate():
    rig = Rig(distance_rate_hz=10)
    eq(len(distances(rig.ranging(1, 900))), 1, "the first")
    eq(len(distances(rig.ranging(1, 950, ms=37))), 0, "within 100 ms: held back")
    eq(len(distances(rig.ranging(1, 902, ms=100))), 0, "moved 2 mm: not worth sending")
    eq(len(distances(rig.ranging(1, 1000, ms=100))), 1, "moved 48 mm: sent")
    sent = 0
    for _ in range(20):
        sent += len(distances(rig.ranging(1, 1000, ms=100)))
    eq(sent, 2, "unchanged for 2 s: one a second")


def scenario_misses_lose_the_target_after_half_the_window():
    rig = Rig()
    rig.ranging(2, 800)
    got = distances(rig.ranging(2, 0, status=4))  # MSRC no target: the ULD's signal fail
    eq(got[0][2], wire.RANGE_SIGNAL_FAIL, "the status as the ULD maps it")
    eq(got[0][4], 800, "one miss keeps the target")
    got = distances(rig.ranging(2, 0, status=4))
    eq(got[0][4], wire.DISTANCE_NONE, "two misses of three: lost")
    got = distances(rig.ranging(2, 3500))
    eq(got[0][4], wire.DISTANCE_NONE, "beyond max_mm is no target")


def scenario_the_gpio1_line_or_the_status_register_says_a_ranging_is_ready():
    rig = Rig()
    chip = rig.board.chips[0]
    chip.complete(9, 1000)
    rig.after(37)  # no interrupt yet: the centre sensor waits for its line
    eq(chip.pending, True, "not read without the interrupt")
    rig.board.pins[9].handler(rig.board.pins[9])
    rig.after(8)
    eq(chip.pending, False, "read and cleared on the interrupt")
    chip.complete(9, 1010)
    rig.after(4 * 37 + 1)  # a lost edge: after four periods the register is asked
    eq(chip.pending, False, "found by polling")
    other = rig.board.chips[1]
    other.complete(9, 500)
    rig.after(8)
    eq(other.pending, False, "sensors without GPIO1 are polled")


# --- the verdict --------------------------------------------------------------------------


def scenario_approach_present_and_leave():
    rig = Rig()
    states = []
    for d in (2500, 2000, 1600, 1400, 1300, 1200):
        states += [f.values[1] for f in rig.ranging(1, d) if f.type == wire.PRESENCE]
    eq(states, [wire.PRESENCE_APPROACH], "approach below 1500 mm (the median's second reading)")
    for _ in range(30):
        states += [f.values[1] for f in rig.ranging(1, 1200) if f.type == wire.PRESENCE]
    eq(states, [wire.PRESENCE_APPROACH, wire.PRESENCE_PRESENT], "present after a second")
    for _ in range(20):  # within the hysteresis band: still there
        states += [f.values[1] for f in rig.ranging(1, 1550) if f.type == wire.PRESENCE]
    eq(len(states), 2, "1550 mm is within approach + hysteresis")
    for _ in range(60):
        states += [f.values[1] for f in rig.ranging(1, 2400) if f.type == wire.PRESENCE]
    eq(states[-1], wire.PRESENCE_ABSENT, "absent after leave_ms beyond the band")
    presence = [f for f in rig.frames() if f.type == wire.PRESENCE]
    eq(presence, [], "frames were taken as they came")


# --- the PIR --------------------------------------------------------------------------------


def scenario_the_pir_warms_up_then_reports_motion_and_a_stuck_output():
    rig = Rig()
    pir = rig.board.pins[15]
    pir.level = 1
    rig.after(10)
    eq(rig.frames(wire.MOTION), [], "ignored while warming up")
    eq(rig.prox.pir.state, wire.MOTION_WARMING, "warming")
    rig.after(60000)
    motion = rig.frames()
    eq([f.values[1] for f in motion if f.type == wire.MOTION], [wire.MOTION_DETECTED], "motion")
    ok(any([f.type == wire.PROX_HEALTH and f.values[0] == "pir" and f.values[1] == wire.PART_OK
            for f in motion]), "the PIR is ok once warm")  # fmt: skip
    pir.level = 0
    rig.after(10)
    eq([f.values[1] for f in rig.frames(wire.MOTION)], [wire.MOTION_IDLE], "idle")
    pir.level = 1
    rig.after(10)
    rig.after(600000)
    frames = rig.frames()
    eq([f.values[1] for f in frames if f.type == wire.MOTION][-1], wire.MOTION_STUCK, "stuck")
    health = [f for f in frames if f.type == wire.PROX_HEALTH and f.values[0] == "pir"]
    eq(health[-1].values[1], wire.PART_FAILED, "reported failed")
    contains(health[-1].values[3], "high for over 600 s", "why")
    pir.level = 0
    rig.after(10)
    eq(rig.prox.pir.state, wire.MOTION_IDLE, "idle once it falls")


# --- the host comes back; the console --------------------------------------------------------


def scenario_after_a_handshake_every_part_and_the_verdict_are_sent_again():
    rig = Rig()
    rig.frames()
    hello = (wire.SCHEMA_REV, wire.SCHEMA_HASH, "host", "0.1.0", "", "bench", 0, 0)
    feed(rig.link, host_frame(wire.HELLO, 400, hello))
    frames = rig.frames()
    eq(len([f for f in frames if f.type == wire.PROX_HEALTH]), 4, "three sensors and the PIR")
    eq(len([f for f in frames if f.type == wire.PRESENCE]), 1, "the verdict")
    eq(len([f for f in frames if f.type == wire.MOTION]), 1, "the PIR's state")


def scenario_the_console_shows_readings_and_selftests_every_sensor():
    rig = Rig(models=(0xEACC, 0xEACC, 0x1234))
    rig.ranging(0, 1187)
    status, text = rig.console("prox")
    eq(status, wire.CONSOLE_OK, "prox answers")
    contains(text, "tof centre at 0x30: 1187 mm (valid), filtered 1187 mm", "the reading")
    contains(text, "tof right at 0x32: failed: tof right (VL53L1X at 0x29 on I2C0): model id "
             "0x1234", "the failed sensor")  # fmt: skip
    contains(text, "pir: warming up", "the PIR")
    contains(text, "presence: approach (nearest 1187 mm)", "the verdict")
    status, text = rig.console("prox centre")
    eq(text, "tof centre at 0x30: 1187 mm (valid), filtered 1187 mm, signal 40000 kcps, "
       "ambient 12 kcps/SPAD; 1 rangings", "one sensor by name")  # fmt: skip
    try:
        rig.console("prox nose")
        ok(False, "an unknown sensor is refused")
    except Refused as err:
        eq(str(err), "prox takes at most one sensor name, got 'nose'; sensors: centre, left, "
           "right", "naming the sensors there are")  # fmt: skip
    rig.board.chips[1].complete(9, 640)
    rig.board.chips[0].complete(9, 1190)
    status, text = rig.console("selftest")
    eq(status, wire.CONSOLE_FAILED, "a failed sensor fails the selftest")
    contains(text, "tof left PASS: model id 0xeacc, one ranging: 640 mm (valid)", "one ranging")
    contains(text, "tof right FAIL:", "the failed one")


def scenario_a_presence_board_with_one_good_sensor_passes_its_selftest():
    rig = Rig(models=(0xEACC,), tof=[{"name": "centre", "address": 0x30, "xshut": 6}])
    rig.board.chips[0].complete(9, 900)
    status, text = rig.console("selftest")
    eq(status, wire.CONSOLE_OK, "PASS")
    contains(text, "proximity (ToF): PASS: tof centre PASS: model id 0xeacc", "the line")


def scenario_a_board_config_with_two_sensors_lacking_xshut_is_refused():
    cfg = {
        "role": "presence",
        "subsystems": ["proximity"],
        "proximity": prox_config(
            tof=[{"name": "a", "address": 0x30}, {"name": "b", "address": 0x31}]
        ),
    }
    try:
        config.check(cfg)
    except ValueError as err:
        contains(str(err), "2 sensors have no xshut pin", "the reason")
        return
    raise AssertionError("accepted")


if __name__ == "__main__":
    run_all(globals())
