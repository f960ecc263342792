"""Write tests/vectors/touch.json: recorded IR-frame scan passes and the TOUCH_REPORTs they give.

    .venv/bin/python tools/gen_touch_vectors.py [--check]

Each run is one frame switched on with nothing on the glass (the firmware's START_SCANS full
scans, its baseline), then a sequence of steps with fingers on the glass, moving a little from
scan to scan. Every step is one live Pipeline.step(): a pass over the straight beams, then a
pass over the oblique beams the firmware chose from it. The readings come from the glass model
(vitrine.sim.glass, numpy) through the simulator's board (vitrine.sim.board.SimIrFrame), so
MicroPython, which has no numpy, gets every pass as recorded rows (beam, dark, lit, t: u16 each,
packed little-endian and base64-encoded); the expected output of every step is the
TOUCH_REPORT payload the firmware's Pipeline produced on CPython from the same readings ("" when
step() had nothing to report).

tests/firmware/test_touch_firmware.py replays the passes through Pipeline.step() on CPython and
on MicroPython (tests/firmware/mpy/touch_replay.py: it checks that each pass the firmware asks
for reads the recorded beams) and compares both with these payloads. When the firmware's touch
code changes its output on purpose, run this again.

--check regenerates in memory and exits 1 when the committed file differs (the readings depend
on numpy's random streams, so this is for a given numpy; the replay tests are what matter).
"""

import argparse
import base64
import json
import struct
import sys
from pathlib import Path

from vitrine.hardware import frame_config, load_frame
from vitrine.link.messages import unpack_contacts
from vitrine.sim.board import SimIrFrame
from vitrine.sim.glass import Conditions, Finger, Glass
from vitrine.sim.touch import GAP_US, VirtualClock
from vitrine_fw import wire
from vitrine_fw.touch import Pipeline
from vitrine_fw.touch.scan import FAILED, START_SCANS

OUT = Path(__file__).resolve().parent.parent / "tests" / "vectors" / "touch.json"

HEADER = 7  # TOUCH_REPORT: scan u16, t_us u32, contacts length u8

# Ten fingers spread over the glass, as fractions of its width and height (no three on a
# line, no two sharing a straight beam), each with a diameter in mm and a drift in mm per scan.
FINGERS = [
    (0.11, 0.17, 9.0, (0.8, 0.3)),
    (0.30, 0.30, 10.0, (-0.5, 0.7)),
    (0.49, 0.15, 8.0, (0.6, -0.6)),
    (0.67, 0.37, 11.0, (-0.9, -0.2)),
    (0.86, 0.22, 9.5, (0.4, 0.9)),
    (0.17, 0.65, 12.0, (1.0, -0.4)),
    (0.36, 0.83, 8.5, (-0.7, -0.8)),
    (0.56, 0.60, 10.5, (0.3, 1.1)),
    (0.74, 0.78, 9.0, (-0.4, 0.5)),
    (0.92, 0.57, 10.0, (-1.1, 0.2)),
]

# (name, frame, conditions, seed, [(fingers on the glass, scans)...], one finger over the
# dead emitter (x mm) or None).
RUNS = [
    (
        "32in",
        "32in",
        {"ambient": 0.2},
        1,
        [(0, 2), (1, 3), (2, 3), (5, 3), (10, 6), (0, 3)],
        None,
    ),
    (
        "32in_dead_x17",
        "32in",
        {"ambient": 0.2, "dead": {"x": [17]}},
        2,
        [(0, 1), (2, 4), (0, 3)],
        2.5 + 17 * 5.0,  # the centre of straight x beam 17: its emitter is dead
    ),
    ("55in", "55in", {"ambient": 0.2}, 3, [(0, 1), (10, 6), (0, 3)], None),
]


def pack(readings, i0, i1):
    """Rows i0..i1-1 of a plan.Readings as base64 of little-endian u16 quadruples."""
    raw = b"".join(
        struct.pack("<4H", readings.beam[i], readings.dark[i], readings.lit[i], readings.t_us[i])
        for i in range(i0, i1)
    )
    return base64.b64encode(raw).decode()


class Recorder:
    """The board seam over the simulator's board, keeping a copy of every pass it reads."""

    def __init__(self, ir):
        self.ir = ir
        self.passes = []

    def start(self, plan):
        self.ir.start(plan)

    def finish(self, plan, readings):
        i0 = readings.n
        self.ir.finish(plan, readings)
        self.passes.append({"t0": readings.t0, "rows": pack(readings, i0, readings.n)})


def fingers_at(frame, count, scan, over_dead):
    w, h = frame["width_mm"], frame["height_mm"]
    out = []
    for i, (fx, fy, d, (vx, vy)) in enumerate(FINGERS[:count]):
        x = fx * w + vx * scan
        if i == 0 and over_dead is not None:
            x = over_dead + vx * scan
        out.append(Finger(round(x, 3), round(fy * h + vy * scan, 3), d))
    return out


def build_run(name, frame_name, conditions, seed, phases, over_dead):
    frame = frame_config(load_frame(frame_name))
    glass = Glass(frame, Conditions(**conditions), seed)
    clock = VirtualClock()
    ir = SimIrFrame(glass, frame, lambda: clock.us, gap_us=GAP_US)
    hw = Recorder(ir)
    pipe = Pipeline(frame, hw, clock)
    pipe.start()
    baseline = hw.passes
    assert len(baseline) == START_SCANS
    hw.passes = []
    steps = []
    k = 0
    for count, scans in phases:
        for _ in range(scans):
            fingers = fingers_at(frame, count, k, over_dead)
            glass.set_fingers(fingers)
            clock.us = ir.busy_until_us
            size = pipe.step()
            report = bytes(pipe.report[:size])
            contacts = unpack_contacts(report[HEADER:]) if size else ()
            touches = sum(c.state != wire.CONTACT_UP for c in contacts)
            if k >= 1 and count and touches != count:
                print(f"{name} step {k}: {touches} touches for {count} fingers", file=sys.stderr)
            steps.append(
                {
                    "fingers": [[f.x_mm, f.y_mm, f.diameter_mm] for f in fingers],
                    "passes": hw.passes,
                    "report_hex": report.hex(),
                    "touches": touches,
                }
            )
            hw.passes = []
            k += 1
    failed = [b for b in range(pipe.scanner.n) if pipe.scanner.state[b] & FAILED]
    return {
        "name": name,
        "frame_name": frame_name,
        "frame": frame,
        "conditions": conditions,
        "seed": seed,
        "beams": pipe.geometry.beams,
        "failed_beams": failed,
        "baseline": baseline,
        "steps": steps,
    }


def build():
    return {
        "about": (
            "Recorded IR-frame scan passes and the TOUCH_REPORT payload (hex) the firmware's"
            " Pipeline gives for each step on CPython, written by tools/gen_touch_vectors.py."
            " A pass: t0 (ticks_us of the scan's first pass) and rows, base64 of little-endian"
            " u16 (beam, dark, lit, µs after t0) per reading. baseline: the START_SCANS full"
            " scans Pipeline.start() reads; steps: one Pipeline.step() each, with its passes"
            " in order; fingers: what was on the glass (x mm, y mm, diameter mm); touches:"
            " contacts reported that are not UP."
        ),
        "runs": [build_run(*run) for run in RUNS],
    }


def dumps(value, indent=0):
    """JSON with nested objects indented and every list of numbers on one line."""
    pad = " " * indent
    if isinstance(value, dict) and value:
        items = [
            f"{pad} {json.dumps(key)}: {dumps(item, indent + 1).lstrip()}"
            for key, item in value.items()
        ]
        return pad + "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(value, list) and value and isinstance(value[0], (dict, list)):
        items = [dumps(item, indent + 1) for item in value]
        return pad + "[\n" + ",\n".join(items) + "\n" + pad + "]"
    return pad + json.dumps(value, separators=(",", ":"))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the committed file")
    args = parser.parse_args()
    text = dumps(build()) + "\n"
    if args.check:
        if not OUT.exists() or OUT.read_text(encoding="utf-8") != text:
            print(f"{OUT} is out of date: run tools/gen_touch_vectors.py", file=sys.stderr)
            return 1
        return 0
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT} ({len(text) // 1024} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
