# Whole iterations of the subsystems' task loops (Touch.run, Lights.run, Proximity.run) under
# MicroPython's heap lock, where any heap allocation raises MemoryError: the step, what it sends,
# the supervisor's alive(), and the sleep to the next period through the real board's clock
# (vitrine_fw.hal.Clock, whose sleep_ms is the port's asyncio.sleep_ms). MicroPython only; run
# with mpy/fake_machine on sys.path (hal imports machine).
#
# How a task is run: as asyncio's loop runs it on a board (extmod/asyncio/core.py): the task's
# sleep puts it on the task queue, the loop pops it and send()s into its coroutine, which runs
# one iteration and sleeps again. The WebAssembly port's loop is driven by JavaScript timers (a
# queue whose push calls into JavaScript), so a queue of our own (_asyncio.TaskQueue, as a
# board's) stands in for the loop's while the loops run here; a locked call is one wake-up:
# pop the task, send() once, back at the next sleep.
#
# Same rules as mpy/heap_lock.py: the locked region is one call inside measure(); every name it
# stores to exists beforehand; the heap is always unlocked in `finally`; outcomes are data.
# Controls prove the lock covers the whole iteration: a clock that sleeps in float seconds (the
# old loops' asyncio.sleep(ms / 1000)) and an alive() that allocates must both raise.
#
# Prints one RESULT line: {"checks": {...}, "controls": {...}, "values": {...}}.

import json
import time
from _asyncio import Task, TaskQueue
from asyncio import core

from fw_scenario import RESULT_MARK, measure
from touch_replay import first_pass, load_hw

from vitrine_fw import hal, seam, wire
from vitrine_fw.lights import STEP_MS, Lights
from vitrine_fw.link import Link
from vitrine_fw.proximity import Proximity
from vitrine_fw.supervisor import Liveness
from vitrine_fw.touch import PERIOD_MS, Touch

LIGHT_WAKES = 30
PROX_WAKES = 40


class Stepper:
    """One coroutine run as a task on a task queue of its own (see the comment at the top)."""

    def __init__(self, coro):
        self.saved = (core._task_queue, core.cur_task)
        self.queue = TaskQueue()
        self.task = Task(coro, core.__dict__)
        core._task_queue = self.queue
        core.cur_task = self.task  # what the loop sets before it resumes a task
        self.queue.push(self.task)

    def asleep(self):
        """True when the task is back on the queue (it reached its next sleep)."""
        return self.queue.peek() is self.task

    def sleep_left_ms(self):
        """How long the task asked to sleep, from now."""
        return time.ticks_diff(self.task.ph_key, time.ticks_ms())

    def close(self):
        self.task.coro.close()
        core._task_queue, core.cur_task = self.saved


def wake(queue, _b, _c, _d):
    """One wake-up of the task its last sleep queued: the locked call."""
    queue.pop().coro.send(None)


class CountingPort(seam.BasePort):
    """A port that keeps only counts (small ints): writing stores nothing new."""

    def __init__(self):
        self.writes = 0
        self.bytes = 0

    def write(self, buf, n):
        self.writes += 1
        self.bytes += n
        return n


class Strip:
    """An LED strip that copies the pixel into its buffer with an index loop, as neopixel's
    fill does: it allocates nothing itself."""

    def __init__(self, count, order):
        self.bpp = len(order)
        self.buf = bytearray(count * self.bpp)
        self.writes = 0

    def fill(self, pixel):
        buf = self.buf
        bpp = self.bpp
        for i in range(len(buf)):
            buf[i] = pixel[i % bpp]

    def write(self):
        self.writes += 1


class LoopBoard(seam.BaseBoard):
    """The real board's clock, recorded touch scans and allocation-free strips."""

    def __init__(self, clock, hw=None):
        super().__init__(clock)
        self.hw = hw
        self.strips = []

    def ir_frame(self, frame):
        return self.hw

    def led_strip(self, pin, count, order="GRB"):
        strip = Strip(count, order)
        self.strips.append(strip)
        return strip


class Chip:
    """A VL53L1X as a register file that allocates nothing: booted, the right model id, a
    ranging ready whenever the test says (or at once when started, for the bring-up)."""

    def __init__(self):
        self.regs = bytearray(0x180)
        self.regs[0x00E5] = 1
        self.regs[0x010F] = 0xEA
        self.regs[0x0110] = 0xCC
        self.regs[0x00DF] = 0x25
        self.regs[0x008C] = 80  # SPADs
        self.address = 0x29
        self.pending = 0
        self.reads = 0

    def complete(self, distance):
        r = self.regs
        r[0x89] = 9
        r[0x96] = distance >> 8
        r[0x97] = distance & 0xFF
        r[0x98] = 0x14
        self.pending = 1


class Bus:
    """The seam's I2C, over Chips, copying with index loops (nothing allocated)."""

    def __init__(self, chips):
        self.chips = chips

    def _chip(self, addr):
        for chip in self.chips:
            if chip.address == addr:
                return chip
        raise OSError(19)

    def readfrom_mem_into(self, addr, memaddr, buf, *, addrsize=8):
        chip = self._chip(addr)
        chip.reads += 1
        regs = chip.regs
        if memaddr == 0x0031:
            regs[0x0031] = chip.pending  # active high after the configuration
        for i in range(len(buf)):
            buf[i] = regs[memaddr + i]

    def writeto_mem(self, addr, memaddr, buf, *, addrsize=8):
        chip = self._chip(addr)
        if memaddr == 0x0001:
            chip.address = buf[0]
            return
        if memaddr == 0x0086:
            chip.pending = 0
            return
        regs = chip.regs
        for i in range(len(buf)):
            regs[memaddr + i] = buf[i]
        if memaddr == 0x0087 and buf[0] == 0x40:
            chip.pending = 1  # the bring-up's first ranging, at once


class Pin:
    def __init__(self):
        self.level = 0

    def value(self, v=None):
        if v is None:
            return self.level
        self.level = v
        return None


class ProxBoard(seam.BaseBoard):
    """The real board's clock, one allocation-free chip on its bus, a PIR pin."""

    def __init__(self, clock):
        super().__init__(clock)
        self.chip = Chip()
        self.pir = Pin()

    def i2c(self, bus, scl, sda, freq=400000):
        return Bus([self.chip])

    def pin(self, n, mode, pull=None):
        return self.pir if n == 15 else Pin()


PROX = {
    "proximity": {
        "i2c": {"bus": 0, "scl": 5, "sda": 4, "freq": 400000},
        "distance_mode": "long",
        "timing_budget_ms": 33,
        "period_ms": 37,
        "median": 3,
        "max_mm": 3000,
        "approach_mm": 1500,
        "present_ms": 0,
        "leave_ms": 100,
        "hysteresis_mm": 100,
        "distance_rate_hz": 100,
        "pir": {"pin": 15, "warmup_s": 0, "stuck_s": 600},
        "tof": [{"name": "centre", "address": 0x30, "xshut": 6, "gpio1": None}],
    }
}


def check_proximity(checks, values):
    clock = hal.Clock()
    board = ProxBoard(clock)
    port = CountingPort()
    link = Link(port, clock, IDENTITY)
    link.host_up = True  # as after a handshake
    prox = Proximity(board, PROX, link)
    alive = Alive(clock)
    stepper = Stepper(prox.run(alive))
    # the bring-up, unlocked: XSHUT, boot, model id, address, configuration, the first ranging
    wakes = 0
    while prox.sensors[0].state != wire.PART_OK and wakes < 200:
        wake(stepper.queue, None, None, None)
        wakes += 1
    wake(stepper.queue, None, None, None)  # the first pass of the loop, then its sleep
    writes = port.writes
    beats = alive.beats
    first = None
    asleep = 0
    slept_ms = []
    chip = board.chip
    for k in range(PROX_WAKES):
        # between wakes (unlocked): a ranging completes, someone walks up and away; the PIR
        chip.complete(2600 - 50 * k if k < 30 else 2600)
        board.pir.level = 1 if 10 <= k < 20 else 0
        time.sleep_ms(12)  # real time passes (the board's clock): past DISTANCE's rate limit
        err = measure(wake, stepper.queue)
        if err is not None and first is None:
            first = err
        if not stepper.asleep():
            break
        asleep += 1
        slept_ms.append(stepper.sleep_left_ms())
    checks["proximity_run_iteration"] = first
    values["proximity"] = {
        "bring_up_wakes": wakes,
        "wakes": PROX_WAKES,
        "rangings": prox.sensors[0].rangings,
        "frames_sent": port.writes - writes,
        "beats": alive.beats - beats,
        "asleep_after": asleep,
        "sleep_ms_max": max(slept_ms) if slept_ms else None,
        "presence": prox.presence.state,
        "address": chip.address,
        "state": prox.sensors[0].state,
    }
    stepper.close()


class FloatSleepClock(hal.Clock):
    """The board's clock, sleeping as the loops once did: asyncio.sleep(seconds)."""

    def sleep_ms(self, ms):
        import asyncio

        return asyncio.sleep(ms / 1000)


IDENTITY = {
    "role": "touch",
    "fw_version": "0.1.0",
    "build_hash": "test",
    "uid": "00",
    "reset_cause": 0,
    "capabilities": 1,
}
STRIPS = {
    "strips": [
        {"pin": 16, "pixels": 60, "order": "GRBW"},
        {"pin": 17, "pixels": 60, "order": "GRB"},
    ]
}


class Alive:
    """The supervisor's liveness for one task, as Supervisor._guard hands it to the task."""

    def __init__(self, clock):
        self.live = Liveness(clock, 2000)
        self.index = self.live.register("task")
        self.beats = 0

    def __call__(self):
        self.live.beat(self.index)
        self.beats += 1


class AllocatingAlive(Alive):
    def __call__(self):
        self.last = [self.beats]  # a new list: must raise under the lock


def lights_task(clock, alive):
    """A Lights task at its first sleep, fading over 10 s (so every step writes the strips)."""
    board = LoopBoard(clock)
    lights = Lights(board, STRIPS, Link(CountingPort(), clock, IDENTITY))
    stepper = Stepper(lights.run(alive))
    wake(stepper.queue, None, None, None)  # begin(): the strips dark, then the first sleep
    lights.start(255, 190, 120, 60, 200, 10000)
    wake(stepper.queue, None, None, None)  # warm-up
    return lights, board, stepper


class PwmOut:
    """A PWM output that keeps its duty (a small int): nothing allocated."""

    def __init__(self):
        self.duty = 0

    def duty_u16(self, value=None):
        if value is None:
            return self.duty
        self.duty = value
        return None


class SceneBoard(LoopBoard):
    def pwm(self, pin, freq_hz):
        return PwmOut()


SCENE_STRIPS = {
    "strips": [
        {"pin": 16, "pixels": 60, "order": "GRBW", "led_ma": 60},
        {
            "kind": "cct",
            "warm": 18,
            "cool": 19,
            "warm_k": 2700,
            "cool_k": 6500,
            "leds": 120,
            "led_ma": 20,
            "pwm_hz": 2000,
        },
    ],
    "lighting": {"budget_ma": 1500, "safe_kelvin": 4000, "safe_brightness": 180,
                 "safe_after_ms": 30000},
}  # fmt: skip


def check_scene(checks, values):
    """The lighting task fading a scene (mireds, lightness, dithering on the RGBW strip, PWM on
    the white one, the budget dimming it, LIGHT_STATE every 200 ms), then holding a dim scene
    that only dithering shows: every wake locked."""
    clock = hal.Clock()
    alive = Alive(clock)
    board = SceneBoard(clock)
    port = CountingPort()
    link = Link(port, clock, IDENTITY)
    link.host_up = True
    lights = Lights(board, SCENE_STRIPS, link)
    stepper = Stepper(lights.run(alive))
    wake(stepper.queue, None, None, None)  # begin(), the first sleep
    lights.start_scene(2200, 255, 0, 0)
    wake(stepper.queue, None, None, None)
    lights.start_scene(6500, 255, 40, 10000)  # 10 s: every wake a step
    wake(stepper.queue, None, None, None)  # warm-up
    first = None
    writes = board.strips[0].writes
    sent = port.writes
    for k in range(2 * LIGHT_WAKES):
        if k == LIGHT_WAKES:
            lights.start_scene(3000, 6, 0, 0)  # dim: only dithering shows it
            wake(stepper.queue, None, None, None)
        err = measure(wake, stepper.queue)
        if err is not None and first is None:
            first = err
        time.sleep_ms(7)  # real time passes: LIGHT_STATE's 200 ms come round
    checks["lights_scene_iteration"] = first
    values["scene"] = {
        "strip_writes": board.strips[0].writes - writes,
        "frames_sent": port.writes - sent,
        "limited": lights.scale < 1024,
        "current_ma": lights.current_ma,
        "dithering": lights.strips[0].dithered(),
    }
    stepper.close()


def check_lights(checks, values):
    clock = hal.Clock()
    alive = Alive(clock)
    lights, board, stepper = lights_task(clock, alive)
    writes = board.strips[0].writes
    beats = alive.beats
    asleep = 0
    slept_ms = []
    first = None
    wakes = 0
    for _ in range(LIGHT_WAKES):
        err = measure(wake, stepper.queue)
        wakes += 1
        if err is not None and first is None:
            first = err
        if not stepper.asleep():  # the task ended (it raised): nothing more to wake
            break
        asleep += 1
        slept_ms.append(stepper.sleep_left_ms())
    checks["lights_run_iteration"] = first
    values["lights"] = {
        "wakes": wakes,
        "strip_writes": board.strips[0].writes - writes,
        "beats": alive.beats - beats,
        "asleep_after": asleep,
        "sleep_ms_max": max(slept_ms) if slept_ms else None,
        "step_ms": STEP_MS,
        "fading": lights.fade.running,
    }
    stepper.close()


def check_touch(checks, values, run):
    steps = run["steps"]
    hw = load_hw(run)
    clock = hal.Clock()
    board = LoopBoard(clock, hw)
    port = CountingPort()
    link = Link(port, clock, IDENTITY)
    link.host_up = True  # as after a handshake: a board sends its streams only to a host
    touch = Touch(board, {"frame": run["frame"]}, link)
    alive = Alive(clock)
    stepper = Stepper(touch.run(alive))
    # start(): the baseline from the start-up scans, TOUCH_HEALTH, the first step, the first
    # sleep; unlocked (start-up allocates).
    wake(stepper.queue, None, None, None)
    writes = port.writes
    beats = alive.beats
    asleep = 0
    slept_ms = []
    first = None
    locked = 0
    for _ in range(len(steps) - 1):  # every further step of the run, one wake each
        err = measure(wake, stepper.queue)
        locked += 1
        if err is not None and first is None:
            first = err
        if not stepper.asleep():  # the task ended (it raised): nothing more to wake
            break
        asleep += 1
        slept_ms.append(stepper.sleep_left_ms())
    checks["touch_run_iteration"] = first
    reported = 0
    for step in steps[1:]:
        if step["report_hex"]:
            reported += 1
    values["touch"] = {
        "wakes": locked,
        "steps_after_first": len(steps) - 1,
        "passes_read": hw.passes - first_pass(run, 1),
        "passes_expected": first_pass(run, len(steps)) - first_pass(run, 1),
        "reports_sent": port.writes - writes,
        "reports_expected": reported,
        "beats": alive.beats - beats,
        "asleep_after": asleep,
        "sleep_ms_max": max(slept_ms) if slept_ms else None,
        "period_ms": PERIOD_MS,
        "frame_type": wire.TOUCH_REPORT,
    }
    stepper.close()


def controls_(controls):
    clock = FloatSleepClock()
    _, _, stepper = lights_task(clock, Alive(clock))
    controls["float_sleep"] = measure(wake, stepper.queue)
    stepper.close()
    clock = hal.Clock()
    _, _, stepper = lights_task(clock, AllocatingAlive(clock))
    controls["allocating_alive"] = measure(wake, stepper.queue)
    stepper.close()


def main():
    checks = {}
    controls = {}
    values = {}
    with open("/vectors/touch.json") as f:
        runs = json.load(f)["runs"]
    run = None
    for r in runs:
        if r["name"] == "32in":
            run = r
    check_lights(checks, values)
    check_scene(checks, values)
    check_touch(checks, values, run)
    check_proximity(checks, values)
    controls_(controls)
    print(RESULT_MARK + json.dumps({"checks": checks, "controls": controls, "values": values}))


main()
