# The proximity subsystem (task `proximity`, capability `proximity`, on the presence board):
# VL53L1X time-of-flight sensors on one I2C bus and a PIR, read through the board seam.
#
#   sensors (vl53l1x.py) -> a median per sensor (filter.Track) -> DISTANCE, rate-limited
#                        -> the nearest target -> filter.Presence -> PRESENCE on a change
#   PIR (pir.py)         -> MOTION on a change
#   each part's health   -> PROX_HEALTH on a change and after every handshake, LOG on a failure
#
# Bring-up: every sensor with an XSHUT pin is held in reset; then one at a time it is let out,
# waits for its boot, has its model id checked, moves from 0x29 to its own address, and gets
# the ULD's configuration, its mode, budget and period, and starts ranging. A sensor that fails
# (no answer, the wrong model id, a bus held low, an I2C error while ranging) is put back in
# reset, reported (PROX_HEALTH, LOG, the console) and tried again every _RETRY_MS; the others go
# on, and so do the board's other tasks.
#
# Each pass of the task (every _POLL_MS): for each running sensor, data ready by the GPIO1
# line's interrupt when the description names its pin (the handler only sets a flag), or by
# polling GPIO__TIO_HV_STATUS; then its result, the interrupt cleared, the median, maybe a
# DISTANCE; then the presence verdict and the PIR. A pass allocates nothing (held to it under
# MicroPython's heap lock in the tests); a failure's report does.

try:
    from micropython import const
except ImportError:

    def const(x):
        return x


import struct

from vitrine_fw import wire
from vitrine_fw.proximity.filter import NONE, Presence, Track
from vitrine_fw.proximity.pir import Pir
from vitrine_fw.proximity.vl53l1x import DEFAULT_ADDRESS, MODES, VL53L1X, SensorError

_POLL_MS = const(8)  # a pass of the task: a ranging (33 ms and up) is seen within this
_BOOT_MS = const(100)  # a sensor let out of reset must answer as booted within this
_FIRST_RANGING_MS = const(1000)  # ... and finish its first (100 ms) ranging within this
_RETRY_MS = const(5000)  # a failed sensor is tried again this often
_GPIO1_STALE = const(4)  # periods without an interrupt before the status register is polled
_ETIMEDOUT = const(110)  # MicroPython's errno when an I2C transfer times out (lines held low)


def _pir_health_state(pir):
    state = pir.state
    if state == wire.MOTION_STUCK:
        return wire.PART_FAILED
    return wire.PART_WARMING if state == wire.MOTION_WARMING else wire.PART_OK


def _pir_health(pir):
    """The PIR's PROX_HEALTH fields: state, errors, detail."""
    if pir.state == wire.MOTION_STUCK:
        return (
            wire.PART_FAILED,
            pir.stuck_count & 0xFFFF,
            "output high for over %d s: stuck, or a heat source in view; ignored until it falls"
            % (pir.stuck_ms // 1000),
        )
    if pir.state == wire.MOTION_WARMING:
        return (
            wire.PART_WARMING,
            pir.stuck_count & 0xFFFF,
            "warming up for %d s after power-on" % (pir.warmup_ms // 1000),
        )
    return (wire.PART_OK, pir.stuck_count & 0xFFFF, "watching")


def _i2c_problem(err, sensor):
    """What an OSError from the bus means, for people."""
    code = err.args[0] if err.args else None
    if code == _ETIMEDOUT:
        return "%s held low (ETIMEDOUT): a shorted SDA or SCL line, or a device holding it" % (
            sensor.driver.bus_name
        )
    return "no answer at 0x%02x on %s (%r)" % (sensor.driver.address, sensor.driver.bus_name, err)


class Sensor:
    """One time-of-flight sensor of the description: its driver, pins, filter and health."""

    def __init__(self, index, spec, driver, track):
        self.index = index
        self.name = spec["name"]
        self.part = "tof " + self.name
        self.address = spec["address"]
        self.driver = driver
        self.track = track
        self.xshut = None  # the pin that holds it in reset, when wired
        self.gpio1 = None  # its interrupt line, when wired
        self.flag = bytearray(1)  # set by the GPIO1 interrupt: a ranging is ready
        self.state = wire.PART_WARMING
        self.errors = 0
        self.detail = "starting"
        self.retry_ms = 0
        self.rangings = 0
        self.last_ready_ms = 0

    def irq(self, pin):
        # the GPIO1 interrupt: only record it (the task does the work)
        self.flag[0] = 1


class Proximity:
    """The supervisor's proximity task (see the module comment)."""

    def __init__(self, board, cfg, link):
        self.board = board
        self.link = link
        self.clock = board.clock
        p = cfg["proximity"]
        self.cfg = p
        self.mode = MODES[p["distance_mode"]]
        self.budget_ms = p["timing_budget_ms"]
        self.period_ms = p["period_ms"]
        i2c_cfg = p["i2c"]
        self.bus_name = "I2C%d" % i2c_cfg["bus"]
        self.i2c = None
        self.bus_problem = None
        try:
            self.i2c = board.i2c(i2c_cfg["bus"], i2c_cfg["scl"], i2c_cfg["sda"], i2c_cfg["freq"])
        except Exception as err:  # the board stays up to say so
            self.bus_problem = "%s could not be set up: %r" % (self.bus_name, err)
        interval = 1000 // p["distance_rate_hz"]
        self.sensors = []
        for i in range(len(p["tof"])):
            spec = p["tof"][i]
            driver = VL53L1X(self.i2c, DEFAULT_ADDRESS, "tof " + spec["name"], self.bus_name)
            sensor = Sensor(i, spec, driver, Track(p["median"], p["max_mm"], interval, self.clock))
            if spec["xshut"] is not None:
                sensor.xshut = board.pin(spec["xshut"], "out")
            if spec["gpio1"] is not None:
                sensor.gpio1 = board.pin(spec["gpio1"], "in")
            self.sensors.append(sensor)
        self.presence = Presence(
            p["approach_mm"], p["present_ms"], p["leave_ms"], p["hysteresis_mm"], self.clock
        )
        self.pir = None
        if p["pir"] is not None:
            pin = board.pin(p["pir"]["pin"], "in")
            self.pir = Pir(pin, self.clock, p["pir"]["warmup_s"] * 1000, p["pir"]["stuck_s"] * 1000)
        self.pir_reported = wire.PART_WARMING if self.pir and self.pir.warmup_ms else wire.PART_OK
        # preallocated payloads (the pass allocates nothing)
        self._distance = bytearray(14)
        self._presence = bytearray(8)
        self._motion = bytearray(5)
        link.on_up(self.resend)

    # --- the task ---------------------------------------------------------------------------

    async def run(self, alive):
        clock = self.clock
        await self.bring_up_all(alive)
        while True:
            t0 = clock.ticks_ms()
            self.step()
            alive()
            for sensor in self.sensors:
                if sensor.state == wire.PART_FAILED and clock.ticks_diff(t0, sensor.retry_ms) >= 0:
                    await self.bring_up(sensor, alive)
            spent = clock.ticks_diff(clock.ticks_ms(), t0)
            await clock.sleep_ms(_POLL_MS - spent if spent < _POLL_MS else 0)

    async def bring_up_all(self, alive):
        """Hold every sensor with an XSHUT pin in reset, then bring them up one by one."""
        for sensor in self.sensors:
            if sensor.xshut is not None:
                sensor.xshut.value(0)
        await self.clock.sleep_ms(2)
        for sensor in self.sensors:
            await self.bring_up(sensor, alive)
            alive()

    async def bring_up(self, sensor, alive):
        """Let one sensor out of reset and start it ranging; on failure, report it, hold it in
        reset and try again after _RETRY_MS."""
        clock = self.clock
        drv = sensor.driver
        try:
            if self.i2c is None:
                raise SensorError(self.bus_problem)
            if sensor.xshut is not None:
                sensor.xshut.value(0)
                await clock.sleep_ms(1)
                sensor.xshut.value(1)
                drv.address = DEFAULT_ADDRESS
            else:  # never reset: it may still be at its address from before the board's reset
                drv.address = sensor.address
                if not drv.booted():
                    drv.address = DEFAULT_ADDRESS
            t0 = clock.ticks_ms()
            while not drv.booted():
                if clock.ticks_diff(clock.ticks_ms(), t0) > _BOOT_MS:
                    raise SensorError(
                        "%s: no boot within %d ms of leaving reset (no answer at 0x%02x on %s): "
                        "check its power, XSHUT and I2C wiring"
                        % (sensor.part, _BOOT_MS, drv.address, self.bus_name)
                    )
                await clock.sleep_ms(2)
            drv.check_model()
            if drv.address != sensor.address:
                drv.set_address(sensor.address)
            drv.load_configuration()
            drv.start()
            t0 = clock.ticks_ms()
            while not drv.data_ready():
                if clock.ticks_diff(clock.ticks_ms(), t0) > _FIRST_RANGING_MS:
                    raise SensorError(
                        "%s: no ranging within %d ms of starting" % (drv.where(), _FIRST_RANGING_MS)
                    )
                alive()
                await clock.sleep_ms(5)
            drv.finish_configuration()
            drv.set_distance_mode(self.mode)
            drv.set_timing_budget(self.budget_ms)
            drv.set_inter_measurement(self.period_ms)
            drv.clear_interrupt()
            sensor.flag[0] = 0
            pin = sensor.gpio1
            if pin is not None:  # the line's active edge, at the polarity just configured
                pin.irq(sensor.irq, pin.IRQ_RISING if drv.polarity else pin.IRQ_FALLING)
            drv.start()
        except (OSError, SensorError, ValueError) as err:
            detail = _i2c_problem(err, sensor) if isinstance(err, OSError) else str(err)
            self.fail(sensor, detail)
            return
        sensor.track.reset()
        sensor.last_ready_ms = clock.ticks_ms()
        detail = "ranging at 0x%02x, %s mode, %d ms budget every %d ms" % (
            sensor.address,
            self.cfg["distance_mode"],
            self.budget_ms,
            self.period_ms,
        )
        self._health(sensor, wire.PART_OK, detail)

    def fail(self, sensor, detail):
        """A sensor stopped working: reset it, say so, try again later."""
        sensor.errors += 1
        if sensor.xshut is not None:
            sensor.xshut.value(0)  # out of the way: it must not answer at 0x29 beside another
        sensor.track.reset()
        sensor.retry_ms = self.clock.ticks_add(self.clock.ticks_ms(), _RETRY_MS)
        if sensor.state != wire.PART_FAILED or sensor.detail != detail:
            self.link.log(wire.LOG_ERROR, "proximity", "%s failed: %s" % (sensor.part, detail))
        self._health(sensor, wire.PART_FAILED, detail)

    def _health(self, sensor, state, detail):
        changed = state != sensor.state or detail != sensor.detail
        sensor.state = state
        sensor.detail = detail
        if changed:
            self.link.send_fields(
                wire.PROX_HEALTH, sensor.part, state, sensor.errors & 0xFFFF, detail
            )

    def resend(self):
        """After a handshake: every part's health, the presence verdict and the PIR's state."""
        for sensor in self.sensors:
            self.link.send_fields(
                wire.PROX_HEALTH, sensor.part, sensor.state, sensor.errors & 0xFFFF, sensor.detail
            )
        pir = self.pir
        if pir is not None:
            self.link.send_fields(wire.PROX_HEALTH, "pir", *_pir_health(pir))
            self._send_motion(self.clock.ticks_ms(), pir)
        self._send_presence(self.clock.ticks_ms())

    # --- one pass (allocates nothing while nothing fails) ---------------------------------------

    def step(self):
        """Read every running sensor whose ranging is ready, then the verdict and the PIR."""
        clock = self.clock
        now = clock.ticks_ms()
        nearest = NONE
        near_sensor = 0
        for sensor in self.sensors:
            if sensor.state != wire.PART_OK:
                continue
            try:
                if self._ready(sensor, now):
                    self._read(sensor, now)
            except OSError as err:
                self.fail(sensor, _i2c_problem(err, sensor))
                continue
            f = sensor.track.filtered
            if f != NONE and (nearest == NONE or f < nearest):
                nearest = f
                near_sensor = sensor.index
        if self.presence.update(now, nearest, near_sensor):
            self._send_presence(now)
        pir = self.pir
        if pir is not None and pir.update(now):
            self._send_motion(now, pir)
            self._pir_changed(pir)

    def _ready(self, sensor, now):
        if sensor.gpio1 is not None:
            if sensor.flag[0]:
                sensor.flag[0] = 0
                return True
            # an edge may be missed (a ranging ready before the handler was set): after a few
            # periods without one, ask the chip
            stale = _GPIO1_STALE * self.period_ms
            if self.clock.ticks_diff(now, sensor.last_ready_ms) < stale:
                return False
        return sensor.driver.data_ready()

    def _read(self, sensor, now):
        drv = sensor.driver
        drv.read_result()
        drv.clear_interrupt()
        sensor.rangings += 1
        sensor.last_ready_ms = now
        track = sensor.track
        track.add(drv.status, drv.distance_mm)
        if track.due(now):
            struct.pack_into(
                "<IBBHHHH",
                self._distance,
                0,
                now,
                sensor.index,
                drv.status,
                drv.distance_mm,
                track.filtered,
                drv.signal_kcps,
                drv.ambient_kcps,
            )
            self.link.send(wire.DISTANCE, self._distance, 14)

    def _send_presence(self, now):
        pr = self.presence
        struct.pack_into("<IBHB", self._presence, 0, now, pr.state, pr.distance_mm, pr.sensor)
        self.link.send(wire.PRESENCE, self._presence, 8)

    def _send_motion(self, now, pir):
        struct.pack_into("<IB", self._motion, 0, now, pir.state)
        self.link.send(wire.MOTION, self._motion, 5)

    def _pir_changed(self, pir):
        # PROX_HEALTH for the PIR when its health (not its motion) changed: stuck, warmed up
        if _pir_health_state(pir) != self.pir_reported:
            state, errors, detail = _pir_health(pir)
            self.pir_reported = state
            if state == wire.PART_FAILED:
                self.link.log(wire.LOG_ERROR, "proximity", "pir: " + detail)
            self.link.send_fields(wire.PROX_HEALTH, "pir", state, errors, detail)

    # --- the console's hooks (vitrine_fw.console) -------------------------------------------

    def names(self):
        """The sensors' names, as the board description gives them."""
        return [sensor.name for sensor in self.sensors]

    def reading(self, name=None):
        """Every sensor's last reading and state, the PIR and the verdict, for `prox`; with a
        name (one of names()), that sensor's line only."""
        lines = []
        for sensor in self.sensors:
            if name is not None and sensor.name != name:
                continue
            head = "%s at 0x%02x" % (sensor.part, sensor.address)
            if sensor.state != wire.PART_OK:
                state = wire.PART_STATES.get(sensor.state, "?")
                lines.append("%s: %s: %s (%d errors)" % (head, state, sensor.detail, sensor.errors))
                continue
            drv = sensor.driver
            track = sensor.track
            filtered = "none" if track.filtered == NONE else "%d mm" % track.filtered
            status = wire.RANGE_STATUSES.get(drv.status, "code %d" % drv.status)
            lines.append(
                "%s: %d mm (%s), filtered %s, signal %d kcps, ambient %d kcps/SPAD; %d rangings"
                % (
                    head,
                    drv.distance_mm,
                    status,
                    filtered,
                    drv.signal_kcps,
                    drv.ambient_kcps,
                    sensor.rangings,
                )
            )
        if name is not None:
            return "\n".join(lines)
        pir = self.pir
        if pir is not None:
            lines.append("pir: " + wire.MOTION_STATES.get(pir.state, "?"))
        pr = self.presence
        near = "none" if pr.distance_mm == NONE else "%d mm" % pr.distance_mm
        lines.append("presence: %s (nearest %s)" % (wire.PRESENCE_STATES.get(pr.state, "?"), near))
        return "\n".join(lines)

    def selftest(self):
        """(passed, text): every sensor answers with a VL53L1X's model id and gives one
        ranging; the PIR is not stuck."""
        clock = self.clock
        lines = []
        passed = True
        for sensor in self.sensors:
            if sensor.state != wire.PART_OK:
                passed = False
                lines.append("%s FAIL: %s" % (sensor.part, sensor.detail))
                continue
            drv = sensor.driver
            try:
                model = drv.model_id()
                if model != 0xEACC:  # noqa: PLR2004 - the VL53L1X's, as vl53l1x.MODEL_ID
                    raise SensorError("model id 0x%04x, expected 0xeacc" % model)
                t0 = clock.ticks_ms()
                while not drv.data_ready():
                    if clock.ticks_diff(clock.ticks_ms(), t0) > 3 * self.period_ms:
                        raise SensorError("no ranging within %d ms" % (3 * self.period_ms))
                self._read(sensor, clock.ticks_ms())
            except (OSError, SensorError) as err:
                passed = False
                lines.append("%s FAIL: %s" % (sensor.part, err))
                continue
            lines.append(
                "%s PASS: model id 0x%04x, one ranging: %d mm (%s)"
                % (sensor.part, model, drv.distance_mm, wire.RANGE_STATUSES.get(drv.status, "?"))
            )
        pir = self.pir
        if pir is not None and pir.state == wire.MOTION_STUCK:
            passed = False
            lines.append("pir FAIL: " + _pir_health(pir)[2])
        elif pir is not None:
            lines.append("pir: " + wire.MOTION_STATES.get(pir.state, "?"))
        return passed, ("PASS: " if passed else "FAIL: ") + "; ".join(lines)
