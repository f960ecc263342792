"""`vitrine bench touch`: the touch frame's numbers, on the 32-inch and the 55-inch frame.

Accuracy and robustness come from replays of generated scenarios through the firmware's own
pipeline (vitrine.sim.touch) against the physical glass model (vitrine.sim.glass), built from
each frame's description (hardware/frames: parts, apertures, bar gap) in MODEL's conditions:
3 mm apertures, placement sigma 0.2 mm, tilt sigma 1 degree, gain spread 12 %, additive noise
1.5 % of a straight beam's level in ADC counts, the frame's 12-bit ADC. Every figure's JSON
entry carries the model's parameters it was measured with ("model"). Fixed seeds.

- single touch: one finger of 6-20 mm along a random straight path at 20-300 mm/s, coming
  down and lifting over 20-50 ms; error of every reported finger position against the finger's
  true centre at the report's moment, while it is wholly down.
- exact set: 2, 5 and 10 fingers of 8-14 mm held and moving slowly, centres at least 20 mm
  apart; a scan counts when the reported touches are exactly as many as the fingers and each
  finger has its own touch within 2 mm. Scans during which the set changes (the scenario's
  last, where its fingers leave the glass between the scan's first and last reading) have no
  set to find and are left out (sets_changing_scans says how many). ID switches: a finger's
  touch id changing.
- ghosts: a reported touch further than GHOST_MM from everything on the glass; idle (nothing
  on the glass), with 1-10 fingers down under uniform ambient light 0.6 (of a straight beam's
  level), and with one bar in sunlight (SUN).
- palms (40-80 mm) and sleeves (a trail of 30-40 mm discs) dragged across the glass: scans
  with a finger-kind touch (a pointer) reported.
- fast swipe: a 9 mm finger at 1.5 m/s; scans while it is down without a touch within
  LOST_MM of it, or whose touch changed its id.

Report rate (55-inch frame): the mean time between reports on a timeline of the firmware's
real sequence (vitrine.bench.touch_timeline): the scan's hardware passes (their lengths from
the frame's timing, hardware/README.md) on the PIO, and each CPU segment between them (the
seam's start() and finish(), the scanner's updates, the choice of the next passes, detection)
measured under real MicroPython (the WebAssembly build in Node.js: a proxy for the board's
MCU; see hardware/README.md), placed on the core that runs it: detection on the RP2350's
second core, the rest on the first; overlap only where the code overlaps. With 2 and with 10
fingers moving. The segments' moments are Node's wall clock, scaled by the timed steps' CPU
time (the run's less the same run's without them) over their wall clock, which a loaded
machine inflates (cpu_scale).

Then the host's processing from a TOUCH_REPORT's bytes to the player's pointer event, and end
to end on virtual hardware.
"""

from __future__ import annotations

import base64
import json
import math
import random
import resource
import shutil
import struct
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from vitrine.bench.targets import judged
from vitrine.hardware import frame_config, load_frame
from vitrine.sim.glass import BarLight, Conditions
from vitrine.sim.scenario import PathFinger, Scenario
from vitrine.sim.touch import Scan, replay
from vitrine.tasks import stop_task

FRAMES = ("32in", "55in")
TARGETS_PER_FRAME = {
    "rms_error_mm": ("<=", 0.5),
    "p95_error_mm": ("<=", 1.0),
    "exact_set_rate_2": (">=", 0.999),
    "exact_set_rate_5": (">=", 0.99),
    "exact_set_rate_10": (">=", 0.95),
    "ghosts_per_10k_idle": ("==", 0),
    "ghosts_per_10k_ambient": ("==", 0),
    "ghosts_per_10k_sunlight": ("==", 0),
    "palm_pointer_scans": ("==", 0),
    "sleeve_pointer_scans": ("==", 0),
    "id_switches": ("==", 0),
    "swipe_lost_rate": ("<=", 0.01),
}
TARGETS = {
    "report_rate_hz_2": (">=", 100),
    "report_rate_hz_10": (">=", 60),
    "host_p99_ms": ("<=", 2.0),
    "e2e_p99_ms": ("<=", 25.0),
}
MODEL = Conditions()  # the glass's defaults are the realistic parameters
AMBIENT = Conditions(ambient=0.6)
SUN = Conditions(light={"right": BarLight(ambient=1.2, ramp_to=0.6)})  # sun across one bar
MIN_SEPARATION_MM = 20.0
MATCH_MM = 2.0
GHOST_MM = 15.0  # a touch this far from everything on the glass is a ghost
GHOST_SCENE_MS = 320.0  # each arrangement of fingers held still for the ghost figures
LOST_MM = 10.0
EDGE_MM = 12.0  # finger centres stay this far inside the active area
_SWEEP = 200  # reports the host benchmark's contacts move one way before turning back
ROOT = Path(__file__).resolve().parents[3]
_LAND_S = 0.02  # the report rate's fingers land this long after the baseline
_TIMED_FROM_US = 150_000  # ... and its timed scans begin this long after it: down, tracked


def _frame(name: str) -> dict[str, Any]:
    return frame_config(load_frame(name))


@dataclass(frozen=True)
class Draw:
    """What random fingers are drawn from: speed (mm/s), diameter (mm), approach and lift
    (ms), each a (low, high) range."""

    speed: tuple[float, float]
    size: tuple[float, float]
    approach: tuple[float, float] = (0.0, 0.0)


def _random_paths(
    rng: random.Random, frame: dict[str, Any], n: int, duration_ms: float, draw: Draw
) -> list[PathFinger]:
    """n fingers on straight paths that stay MIN_SEPARATION_MM apart the whole time."""
    w, h = frame["width_mm"], frame["height_mm"]
    while True:
        fingers = []
        for i in range(n):
            x0 = rng.uniform(EDGE_MM, w - EDGE_MM)
            y0 = rng.uniform(EDGE_MM, h - EDGE_MM)
            v = rng.uniform(*draw.speed) * duration_ms / 1000
            a = rng.uniform(0, 2 * math.pi)
            x1 = min(max(x0 + v * math.cos(a), EDGE_MM), w - EDGE_MM)
            y1 = min(max(y0 + v * math.sin(a), EDGE_MM), h - EDGE_MM)
            ramp = rng.uniform(*draw.approach)
            fingers.append(
                PathFinger(
                    i + 1,
                    rng.uniform(*draw.size),
                    ((0.0, x0, y0), (duration_ms, x1, y1)),
                    approach_ms=ramp,
                    lift_ms=ramp,
                )
            )
        if _apart(fingers, duration_ms):
            return fingers


def _apart(fingers: list[PathFinger], duration_ms: float) -> bool:
    for t in np.linspace(0, duration_ms, 11):
        pts = [f.at(t) for f in fingers]
        for i in range(len(pts)):
            for j in range(i):
                a, b = pts[i], pts[j]
                if a is not None and b is not None and math.dist(a, b) < MIN_SEPARATION_MM:
                    return False
    return True


def _fingers(scan: Scan) -> list[Any]:
    return [c for c in scan.touches if not c.is_palm]


def _match(scan: Scan) -> dict[int, int] | None:
    """finger id -> contact id when the scan reports exactly the true set within MATCH_MM."""
    touches = scan.touches
    if len(touches) != len(scan.truth):
        return None
    pairs = {}
    free = list(touches)
    for truth in scan.truth:
        best = min(
            free, key=lambda c: math.hypot(c.x_mm - truth.x_mm, c.y_mm - truth.y_mm), default=None
        )
        if best is None or math.hypot(best.x_mm - truth.x_mm, best.y_mm - truth.y_mm) > MATCH_MM:
            return None
        free.remove(best)
        pairs[truth.id] = best.id
    return pairs


def _ghosts(scan: Scan) -> int:
    """Touches further than GHOST_MM from the edge of everything on the glass."""
    return sum(
        1
        for c in scan.touches
        if all(
            math.hypot(c.x_mm - t.x_mm, c.y_mm - t.y_mm) > GHOST_MM + t.diameter_mm / 2
            for t in scan.truth
        )
    )


def measure_single(name: str, scenarios: int, seed: int) -> dict[str, float]:
    frame = _frame(name)
    rng = random.Random(seed)
    errors = []
    missed = down = 0
    for k in range(scenarios):
        fingers = _random_paths(rng, frame, 1, 500.0, Draw((20, 300), (6, 20), (20, 50)))
        for scan in replay(Scenario(frame, MODEL, 500.0, tuple(fingers), seed + k)):
            if not scan.truth or not scan.truth[0].down:
                continue
            down += 1
            f = scan.truth[0]
            touches = _fingers(scan)
            if not touches:
                missed += 1
                continue
            c = min(touches, key=lambda c: math.hypot(c.x_mm - f.x_mm, c.y_mm - f.y_mm))
            errors.append(math.hypot(c.x_mm - f.x_mm, c.y_mm - f.y_mm))
    e = np.array(errors)
    return {
        "rms_error_mm": round(float(np.sqrt(np.mean(e**2))), 3),
        "p95_error_mm": round(float(np.percentile(e, 95)), 3),
        "max_error_mm": round(float(e.max()), 3),
        "single_missed_rate": round(missed / max(down, 1), 5),
        "single_scans": down,
    }


def measure_sets(name: str, n: int, scenarios: int, seed: int) -> dict[str, float]:
    frame = _frame(name)
    rng = random.Random(seed * 1000 + n)
    exact = total = switches = changing = 0
    for k in range(scenarios):
        fingers = _random_paths(rng, frame, n, 400.0, Draw((0, 100), (8, 14)))
        ids: dict[int, int] = {}
        scenario = Scenario(frame, MODEL, 400.0, tuple(fingers), seed + 7919 * n + k)
        for scan in replay(scenario):
            if not all(_all_down(scenario.truth(t), n) for t in scan.span_ms):
                changing += 1
                continue
            total += 1
            pairs = _match(scan)
            if pairs is None:
                continue
            exact += 1
            for fid, cid in pairs.items():
                if fid in ids and ids[fid] != cid:
                    switches += 1
                ids[fid] = cid
    return {
        f"exact_set_rate_{n}": round(exact / total, 5),
        f"id_switches_{n}": switches,
        f"scans_{n}": total,
        f"sets_changing_scans_{n}": changing,
    }


def _all_down(truth: tuple[Any, ...], n: int) -> bool:
    return len(truth) == n and all(t.down for t in truth)


def measure_ghosts(
    name: str, scans: int, seed: int, conditions: Conditions, fingers: int = 0
) -> dict[str, float | int]:
    """Ghost touches per 10,000 scans, with `fingers` fingers (1 to that many) held still in
    scenes of GHOST_SCENE_MS each (a ghost tends to last as long as its scene: many short scenes
    test more arrangements than a few long ones), and how many scenes had one."""
    frame = _frame(name)
    rng = random.Random(seed)
    ghosts = total = haunted = 0
    k = 0
    while total < scans:
        n = rng.randint(1, fingers) if fingers else 0
        ms = GHOST_SCENE_MS if fingers else scans * 8.0
        placed = _random_paths(rng, frame, n, ms, Draw((0, 20), (8, 14))) if n else []
        scenario = Scenario(frame, conditions, ms, tuple(placed), seed + k)
        seen = 0
        for scan in replay(scenario):
            total += 1
            seen += _ghosts(scan)
        ghosts += seen
        haunted += 1 if seen else 0
        k += 1
    return {
        "per_10k": round(ghosts * 10_000 / total, 3),
        "scans": total,
        "scenes": k,
        "scenes_with_ghosts": haunted,
    }


def measure_large(name: str, kind: str, scenarios: int, seed: int) -> int:
    """Scans with a pointer (a finger-kind touch) while a palm or a sleeve is dragged."""
    frame = _frame(name)
    rng = random.Random(seed)
    w, h = frame["width_mm"], frame["height_mm"]
    pointers = 0
    for k in range(scenarios):
        d = rng.uniform(40, 80) if kind == "palm" else rng.uniform(30, 40)
        m = 60.0 + (60 if kind == "sleeve" else 0)
        x0, y0 = rng.uniform(m, w - m), rng.uniform(m, h - m)
        a = rng.uniform(0, 2 * math.pi)
        x1 = min(max(x0 + 150 * math.cos(a), m), w - m)
        y1 = min(max(y0 + 150 * math.sin(a), m), h - m)
        thing = PathFinger(
            1,
            d,
            ((0.0, x0, y0), (400.0, x1, y1)),
            kind=kind,
            approach_ms=40.0,
            lift_ms=40.0,
            length_mm=80.0 if kind == "sleeve" else 0.0,
            discs=5 if kind == "sleeve" else 1,
        )
        for scan in replay(Scenario(frame, MODEL, 450.0, (thing,), seed + k)):
            pointers += 1 if _fingers(scan) else 0
    return pointers


def measure_swipe(name: str, scenarios: int, seed: int, speed_mm_s: float = 1500.0) -> float:
    """Share of the scans with a fast finger wholly down where it is lost."""
    frame = _frame(name)
    rng = random.Random(seed)
    w, h = frame["width_mm"], frame["height_mm"]
    lost = down = 0
    for k in range(scenarios):
        y = rng.uniform(EDGE_MM + 20, h - EDGE_MM - 20)
        span = w - 2 * EDGE_MM - 40
        ms = span / speed_mm_s * 1000
        x0, x1 = (
            (EDGE_MM + 20, w - EDGE_MM - 20) if k % 2 == 0 else (w - EDGE_MM - 20, EDGE_MM + 20)
        )
        dy = rng.uniform(-0.2, 0.2) * span
        finger = PathFinger(
            1,
            9.0,
            ((0.0, x0, y), (ms, x1, min(max(y + dy, 20), h - 20))),
            approach_ms=20,
            lift_ms=20,
        )
        last_id = None
        for scan in replay(Scenario(frame, MODEL, ms, (finger,), seed + k)):
            if not scan.truth or not scan.truth[0].down:
                continue
            down += 1
            f = scan.truth[0]
            near = [
                c for c in _fingers(scan) if math.hypot(c.x_mm - f.x_mm, c.y_mm - f.y_mm) <= LOST_MM
            ]
            if not near or (last_id is not None and near[0].id != last_id):
                lost += 1
            if near:
                last_id = near[0].id
    return round(lost / max(down, 1), 5)


# --- the report rate ----------------------------------------------------------------------


class _Recorder:
    """The board seam between a pipeline and the simulator's board: passes on every call and
    keeps each pass's readings (the passes a board would hand the firmware) and length."""

    def __init__(self, ir: Any) -> None:
        self.ir = ir
        self.passes: list[dict[str, Any]] = []
        self.lengths_us: list[int] = []

    def start(self, plan: Any) -> None:
        self.ir.start(plan)

    def finish(self, plan: Any, readings: Any) -> None:
        n0 = readings.n
        self.ir.finish(plan, readings)
        flat = []
        for i in range(n0, readings.n):
            flat += [readings.beam[i], readings.dark[i], readings.lit[i], readings.t_us[i]]
        rows = base64.b64encode(struct.pack(f"<{len(flat)}H", *flat)).decode()
        self.passes.append({"t0": readings.t0, "rows": rows})
        self.lengths_us.append(plan.timing.us(plan.length_c))


def _recorded_run(
    name: str, n: int, steps: int, seed: int
) -> tuple[dict[str, Any], list[int], float]:
    """A simulated board's passes for `steps` scans with n fingers moving (the run the
    MicroPython measurement replays), each scan's hardware time in µs, and the contacts the
    pipeline had on the glass, on average over those scans."""
    from vitrine.sim.board import SimIrFrame
    from vitrine.sim.glass import Glass
    from vitrine.sim.touch import GAP_US, VirtualClock
    from vitrine_fw.touch import Pipeline

    frame = _frame(name)
    rng = random.Random(seed)
    fingers = _random_paths(rng, frame, n, 10_000.0, Draw((20, 100), (8, 14)))
    scenario = Scenario(frame, MODEL, 10_000.0, tuple(fingers), seed)
    glass = Glass(frame, MODEL, seed)
    clock = VirtualClock()
    ir = SimIrFrame(glass, frame, lambda: clock.us, gap_us=GAP_US)
    hw = _Recorder(ir)
    pipe = Pipeline(frame, hw, clock)
    pipe.start()  # the baseline, nothing on the glass
    baseline = list(hw.passes)
    hw.passes.clear()
    hw.lengths_us.clear()
    clock.us = ir.busy_until_us
    land_s = clock.us / 1e6 + _LAND_S
    glass.scene = lambda t_s: scenario.discs(t_s - land_s)
    timed_from = clock.us + _TIMED_FROM_US
    out_steps = []
    scan_us = []
    warmup = 0
    while clock.us < timed_from:  # until the fingers are down and tracked
        pipe.step()
        clock.us = ir.busy_until_us
        out_steps.append(list(hw.passes))
        hw.passes.clear()
        hw.lengths_us.clear()
        warmup += 1
    active = 0
    for _ in range(steps):
        pipe.step()
        clock.us = ir.busy_until_us
        active += pipe.tracker.active
        out_steps.append(list(hw.passes))
        scan_us.append(sum(hw.lengths_us))
        hw.passes.clear()
        hw.lengths_us.clear()
    run = {"frame": frame, "baseline": baseline, "steps": out_steps, "warmup": warmup}
    return run, scan_us, active / max(steps, 1)


def _micropython_compute(run: dict[str, Any]) -> dict[str, Any]:
    """Pipeline.step()'s time under MicroPython (tools/touch_compute.py): {"steps", "us" (the
    script's own ticks), "cpu_us" (Node's CPU time for the timed steps: the run's less the
    same run's without them), "mismatches"}."""
    first = _run_compute(run, timed=True)
    reference = _run_compute(run, timed=False)
    first["cpu_us"] = max(0.0, first["cpu_s"] - reference["cpu_s"]) * 1e6
    return first


def _run_compute(run: dict[str, Any], *, timed: bool) -> dict[str, Any]:
    node = shutil.which("node")
    package = ROOT / "node_modules" / "@micropython" / "micropython-webassembly-pyscript"
    if node is None or not package.is_dir():
        raise RuntimeError(
            "the report rate needs real MicroPython: node and node_modules (run make setup)"
        )
    with tempfile.TemporaryDirectory(prefix="vitrine-bench-touch-") as tmp:
        (Path(tmp) / "run.json").write_text(json.dumps(run), encoding="utf-8")
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        proc = subprocess.run(
            [
                node,
                str(ROOT / "tools" / "micropython.mjs"),
                "--heap",
                str(64 * 1024 * 1024),
                "--mount",
                f"/lib={ROOT / 'firmware' / 'lib'}",
                "--mount",
                f"/run={tmp}",
                "--path",
                "/lib",
                str(ROOT / "tools" / "touch_compute.py"),
                "/run/run.json",
                *([] if timed else ["--untimed"]),
            ],
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise RuntimeError(f"tools/touch_compute.py failed under MicroPython:\n{proc.stderr}")
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    out["cpu_s"] = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return out


def measure_rate(name: str, n: int, steps: int, seed: int, runs: int = 1) -> dict[str, Any]:
    """The report rate with n fingers: the timeline (vitrine.bench.touch_timeline) of the
    passes the firmware asked for and its CPU work measured under MicroPython, segment by
    segment, with detection on the RP2350's second core (the touch board) and, for
    comparison, on one core. The compute is measured `runs` times and the fastest run's
    timeline kept (as timeit keeps the least disturbed of its repeats: a board runs nothing
    else); each run's rate is given beside it."""
    from vitrine.bench import touch_timeline
    from vitrine_fw.touch import PERIOD_MS

    run, scan_us, touches = _recorded_run(name, n, steps, seed)
    best: tuple[dict[str, Any], float, float, dict[int, Any]] | None = None
    rates = []
    for _ in range(max(1, runs)):
        timing = _micropython_compute(run)
        wall_us = max(float(timing["us"]), 1.0)
        # Node's CPU time over the wall clock of the timed steps: what a loaded machine added
        scale = min(1.0, timing["cpu_us"] / wall_us) if timing["cpu_us"] > 0 else 1.0
        lines = {}
        for cores in (2, 1):
            lines[cores] = touch_timeline.build(
                timing["log"],
                cores=cores,
                floor_us=PERIOD_MS * 1000,
                scale=scale,
                event_cost_us=timing["log_cost_us"],
            )
        rates.append(round(lines[2].rate_hz, 1))
        if best is None or lines[2].period_us < best[3][2].period_us:
            best = (timing, wall_us, scale, lines)
    assert best is not None
    timing, wall_us, scale, lines = best
    board, serial = lines[2], lines[1]
    hw_us = float(np.mean(scan_us))
    return {
        f"report_rate_hz_{n}": round(board.rate_hz, 1),
        f"report_period_us_{n}": round(board.period_us, 1),
        f"report_rate_one_core_hz_{n}": round(serial.rate_hz, 1),
        f"scan_hw_us_{n}": round(hw_us, 1),
        f"scan_hw_hz_{n}": round(1e6 / hw_us, 1),
        f"compute_us_{n}": round(board.core0_busy_us + board.core1_busy_us, 1),
        f"compute_wall_us_{n}": round(wall_us / timing["steps"], 1),
        f"cpu_scale_{n}": round(scale, 3),
        f"timeline_{n}": {
            "core0_busy_us": round(board.core0_busy_us, 1),
            "core1_busy_us": round(board.core1_busy_us, 1),
            "pio_busy_us": round(board.pio_busy_us, 1),
            "core0_waits_for_pio_us": round(board.core0_wait_pio_us, 1),
            "core0_waits_for_core1_us": round(board.core0_wait_core1_us, 1),
            "segments": board.segments,
        },
        f"report_rate_hz_each_run_{n}": rates,
        f"rate_steps_{n}": timing["steps"],
        f"rate_touches_{n}": round(touches, 2),  # contacts on the glass, mean over the steps
        f"rate_mismatched_passes_{n}": timing["mismatches"],
    }


def _frame_figures(
    name: str, scale: float, seed: int, progress: Callable[[str], None]
) -> dict[str, Any]:
    out: dict[str, Any] = {"model": MODEL.describe(_frame(name))}
    progress(f"{name}: single touch accuracy")
    out.update(measure_single(name, max(8, int(100 * scale)), seed))
    switches = 0
    for n in (2, 5, 10):
        progress(f"{name}: exact set, {n} fingers")
        r = measure_sets(name, n, max(5, int(60 * scale)), seed)
        switches += r.pop(f"id_switches_{n}")
        out.update(r)
    out["id_switches"] = switches
    idle = max(2000, int(10_000 * scale))
    progress(f"{name}: ghosts, {idle} idle scans")
    out["ghosts_per_10k_idle"] = measure_ghosts(name, idle, seed, MODEL)["per_10k"]
    busy = max(2000, int(10_000 * scale))
    for key, cond, salt, what in (
        ("ambient", AMBIENT, 1, "ambient 0.6"),
        ("sunlight", SUN, 2, "one bar in sunlight"),
    ):
        scene = f"a new scene each {GHOST_SCENE_MS:.0f} ms"
        progress(f"{name}: ghosts, {busy} scans, {scene}, 1-10 fingers, {what}")
        g = measure_ghosts(name, busy, seed + salt, cond, 10)
        out[f"ghosts_per_10k_{key}"] = g["per_10k"]
        out[f"ghost_scenes_{key}"] = g["scenes_with_ghosts"]
        out[f"ghost_scenes_{key}_N"] = g["scenes"]
        out[f"model_{key}"] = cond.describe(_frame(name))
    progress(f"{name}: palms and sleeves")
    out["palm_pointer_scans"] = measure_large(name, "palm", max(5, int(40 * scale)), seed)
    out["sleeve_pointer_scans"] = measure_large(name, "sleeve", max(5, int(40 * scale)), seed)
    progress(f"{name}: fast swipes at 1.5 m/s")
    out["swipe_lost_rate"] = measure_swipe(name, max(6, int(40 * scale)), seed)
    return out


def run_touch_bench(quick: bool = False, progress: Callable[[str], None] = print) -> dict[str, Any]:
    seed = 20261124
    scale = 0.2 if quick else 1.0
    result: dict[str, Any] = {"seed": seed}
    t0 = time.monotonic()
    checks: dict[str, Any] = {}
    for name in FRAMES:
        figures = _frame_figures(name, scale, seed, progress)
        result[name] = figures
        for key, c in judged(figures, TARGETS_PER_FRAME)["checks"].items():
            checks[f"{name}.{key}"] = c
    for n in (2, 10):
        progress(f"report rate, 55in, {n} fingers (compute under MicroPython)")
        result.update(measure_rate("55in", n, 40 if quick else 150, seed + n, 2 if quick else 3))
    result["report_rate_model"] = MODEL.describe(_frame("55in"))
    result["report_rate_note"] = (
        "the mean time between reports on a timeline of what the firmware does, in its "
        "order (vitrine/bench/touch_timeline.py): the PIO passes the firmware asked for "
        "(lengths from the frame's timing), one at a time, and each CPU segment between them "
        "measured under MicroPython's WebAssembly build in Node.js (a proxy for the board's "
        "MCU: scaled by Node's CPU time over the wall clock), on core 0, detection on core 1 "
        "(report_rate_one_core_hz: on core 0 too); a pass overlaps only the code that runs "
        "between its start() and finish(), detection only core 0's next scan; a step starts "
        "no sooner than PERIOD_MS after the last; the other tasks' time is not counted"
    )
    progress("host processing, 10 contacts per report")
    result.update(measure_host(2000 if quick else 20000))
    trials = 20 if quick else 200
    progress(f"end to end on virtual hardware, {trials} touches")
    import asyncio

    result.update(asyncio.run(_e2e(trials, progress)))
    result["elapsed_s"] = round(time.monotonic() - t0, 1)
    top = judged(result, TARGETS)
    checks.update(top["checks"])
    result["checks"] = checks
    result["pass"] = all(c["pass"] for c in checks.values())
    return result


# --- host processing and end to end ---------------------------------------------------------


def measure_host(reports: int) -> dict[str, float]:
    """From a TOUCH_REPORT's bytes to the JSON the player gets: decode, typed message, the
    touch device's mapping and gestures, JSON text. 10 moving contacts per report."""
    import json
    import zlib

    import cobs.cobs

    from vitrine.devices.touch.config import TouchConfig
    from vitrine.devices.touch.frame import TouchFrame
    from vitrine.link import messages as m
    from vitrine_fw import wire

    frame = TouchFrame(None, TouchConfig(), 700.0, 400.0)  # type: ignore[arg-type]
    reader = wire.FrameReader(cobs.cobs.decode, zlib.crc32, cobs.cobs.DecodeError)
    times = []
    for k in range(reports):
        state = wire.CONTACT_DOWN if k == 0 else wire.CONTACT_MOVE
        step = k % _SWEEP if k % (2 * _SWEEP) < _SWEEP else _SWEEP - k % _SWEEP  # back and forth
        contacts = [
            m.Contact(i, state, 50 + 60 * i + 0.3 * step, 40 + 30 * i + 0.2 * step, 9.0, 9.0)
            for i in range(10)
        ]
        data = wire.encode_message(
            wire.TOUCH_REPORT, k & 0xFFFF, (k & 0xFFFF, 0, m.pack_contacts(contacts))
        )
        t0 = time.perf_counter_ns()
        for _version, _flags, seq, typ, payload, _offset in reader.feed(data):
            report = m.from_payload("touch", seq, typ, payload, t0)
            for event in frame.handle(report):  # type: ignore[arg-type]
                json.dumps(event.to_json())
        times.append((time.perf_counter_ns() - t0) / 1e6)
    times.sort()
    return {
        "host_p50_ms": round(times[len(times) // 2], 4),
        "host_p99_ms": round(times[int(0.99 * len(times))], 4),
    }


async def _board_up(daemon: Any, url: str) -> None:
    import asyncio

    async with asyncio.timeout(20):
        while url not in daemon.boards.links:  # noqa: ASYNC110 - the daemon adds it soon
            await asyncio.sleep(0.01)
        await daemon.boards.links[url].wait_up(20)


async def _pointer(ws: Any, kind: str, timeout_s: float = 5.0) -> None:
    """Wait (timeout_s at most) for the next pointer event of this kind on the daemon's /ws."""
    import asyncio
    import json

    async with asyncio.timeout(timeout_s):
        while True:
            event = json.loads(await ws.recv())
            if event.get("type") == "pointer" and event.get("kind") == kind:
                return


async def touch_ready(port: int | None, timeout_s: float = 30.0) -> None:
    """Wait until the daemon on `port` says its touch frame is ready (/api/status
    "touch.ready": the board has taken its baseline; a finger put down before would be in it)."""
    import asyncio
    import json
    import urllib.request

    def ready() -> bool:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status", timeout=5) as r:
            touch = json.loads(r.read()).get("touch") or {}
        return bool(touch.get("ready"))

    async with asyncio.timeout(timeout_s):
        while not await asyncio.to_thread(ready):  # noqa: ASYNC110 - another process, polled
            await asyncio.sleep(0.05)


async def finger_to_pointer_ms(
    port: int | None,
    state: Path,
    trials: int,
    progress: Callable[[str], None],
    every: int,
) -> list[float]:
    """Put a finger on the virtual touch board of the simulation at `state` and lift it,
    `trials` times at points spread over the glass, once its frame is ready: each time, ms
    from the finger put down until the daemon's /ws (on `port`) gives its pointer-down event.
    Progress ("k/trials") every `every` trials."""
    import websockets

    from vitrine.sim.control import request

    latencies = []
    await touch_ready(port)
    async with websockets.connect(f"ws://127.0.0.1:{port}/ws") as ws:
        for k in range(trials):
            x, y = 100 + (k * 37) % 500, 60 + (k * 53) % 280
            t0 = time.monotonic()
            finger = {"x_mm": x, "y_mm": y, "diameter_mm": 9}
            await request(state, {"op": "fingers", "role": "touch", "fingers": [finger]})
            await _pointer(ws, "down")
            latencies.append((time.monotonic() - t0) * 1000)
            await request(state, {"op": "fingers", "role": "touch", "fingers": []})
            await _pointer(ws, "up")
            if k % every == 0:
                progress(f"{k}/{trials}")
    return latencies


async def _e2e(trials: int, progress: Callable[[str], None]) -> dict[str, float]:
    """A virtual touch board (`vitrine sim`, its own process) and the daemon (this process):
    time from a finger put on the simulated glass until the pointer-down event arrives in a
    WebSocket client of the daemon's /ws, as the player would get it."""
    import asyncio
    import json
    import subprocess
    import sys
    import tempfile

    from vitrine.config import parse_config
    from vitrine.daemon import Daemon

    with tempfile.TemporaryDirectory(prefix="vitrine-bench-") as tmp:
        state = Path(tmp)
        proc = subprocess.Popen(  # noqa: ASYNC220 - started once, returns at once
            [sys.executable, "-m", "vitrine", "sim", "--role", "touch", "--state-dir", tmp],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 20
            while not (state / "boards.json").exists():
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("vitrine sim did not start")
                await asyncio.sleep(0.05)
            url = json.loads((state / "boards.json").read_text())["touch"]
            config = parse_config(
                f'[http]\nport = 0\n[boards]\ndiscover_usb = false\nports = {{ touch = "{url}" }}\n'
                f"[data]\ndir = {json.dumps(str(state / 'data'))}\n"
            )
            daemon = Daemon(config)
            task = asyncio.create_task(daemon.run())
            try:
                async with asyncio.timeout(20):
                    await daemon.ready.wait()
                await _board_up(daemon, url)
                latencies = await finger_to_pointer_ms(
                    daemon.http_port, state, trials, lambda n: progress(f"end to end: {n}"), 20
                )
            finally:
                await stop_task(task)
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
    latencies.sort()
    return {
        "e2e_p50_ms": round(latencies[len(latencies) // 2], 2),
        "e2e_p99_ms": round(latencies[int(0.99 * len(latencies))], 2),
        "e2e_trials": len(latencies),
    }
