"""Write tests/vectors/touch.json: recorded IR-frame scans and the TOUCH_REPORTs they give.

    .venv/bin/python tools/gen_touch_vectors.py [--check]

Each run is one frame switched on with nothing on the glass (the scans Scanner.start()
averages for its first baseline), then a sequence of steps with fingers on the glass, moving a
little from scan to scan. The readings come from the glass model (vitrine.sim.glass, numpy), so
MicroPython, which has no numpy, gets them as recorded lists of ADC counts; the expected output
of every step is the TOUCH_REPORT payload the firmware's Pipeline produced on CPython from the
same readings, with the clock at the step's t_us ("" when step() had nothing to report).

tests/firmware/test_touch_firmware.py replays the readings through Pipeline on CPython and on
MicroPython (tests/firmware/mpy/touch_replay.py) and compares both with these payloads. When the
firmware's touch code changes its output on purpose, run this again.

--check regenerates in memory and exits 1 when the committed file differs (the readings depend
on numpy's random streams, so this is for a given numpy; the replay tests are what matter).
"""

import argparse
import json
import sys
from pathlib import Path

from vitrine.hardware import frame_config, load_frame
from vitrine.link.messages import unpack_contacts
from vitrine.sim.glass import Finger, Glass, Noise
from vitrine_fw import seam, wire
from vitrine_fw.touch import Pipeline
from vitrine_fw.touch.scan import FAILED

OUT = Path(__file__).resolve().parent.parent / "tests" / "vectors" / "touch.json"

PERIOD_US = 5000  # one scan every 5 ms (vitrine_fw.touch.PERIOD_MS)
START_SCANS = 8  # what Scanner.start() reads
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

# (name, frame, noise, seed, [(fingers on the glass, scans)...], one finger over the dead
# emitter (x mm) or None).
RUNS = [
    (
        "32in",
        "32in",
        {"sigma": 0.01, "ambient": 0.2},
        1,
        [(0, 2), (1, 3), (2, 3), (5, 3), (10, 6), (0, 3)],
        None,
    ),
    (
        "32in_dead_x17",
        "32in",
        {"sigma": 0.01, "ambient": 0.2, "dead": {"x": [17]}},
        2,
        [(0, 1), (2, 4), (0, 3)],
        2.5 + 17 * 5.0,  # the centre of straight x beam 17: its emitter is dead
    ),
    ("55in", "55in", {"sigma": 0.01, "ambient": 0.2}, 3, [(0, 1), (10, 6), (0, 3)], None),
]


class Recorder:
    """The board seam over the glass model, keeping a copy of every scan it reads."""

    def __init__(self, glass):
        self.glass = glass
        self.scans = []

    def read(self, on, off):
        self.glass.read(on, off)
        self.scans.append((list(on), list(off)))


class Clock(seam.BaseClock):
    def __init__(self):
        self.us = 0

    def ticks_us(self):
        return self.us & 0x3FFFFFFF

    def ticks_ms(self):
        return (self.us // 1000) & 0x3FFFFFFF

    @staticmethod
    def ticks_diff(a, b):
        return ((a - b + 0x20000000) & 0x3FFFFFFF) - 0x20000000


def fingers_at(frame, count, scan, over_dead):
    w, h = frame["width_mm"], frame["height_mm"]
    out = []
    for i, (fx, fy, d, (vx, vy)) in enumerate(FINGERS[:count]):
        x = fx * w + vx * scan
        if i == 0 and over_dead is not None:
            x = over_dead + vx * scan
        out.append(Finger(round(x, 3), round(fy * h + vy * scan, 3), d))
    return out


def build_run(name, frame_name, noise, seed, phases, over_dead):
    frame = frame_config(load_frame(frame_name))
    glass = Glass(frame, Noise(**noise), seed)
    hw = Recorder(glass)
    clock = Clock()
    pipe = Pipeline(frame, hw, clock)
    pipe.start()
    start = [{"on": on, "off": off} for on, off in hw.scans]
    assert len(start) == START_SCANS
    steps = []
    k = 0
    for count, scans in phases:
        for _ in range(scans):
            fingers = fingers_at(frame, count, k, over_dead)
            glass.set_fingers(fingers)
            clock.us = (START_SCANS + k) * PERIOD_US
            size = pipe.step()
            on, off = hw.scans[-1]
            report = bytes(pipe.report[:size])
            contacts = unpack_contacts(report[HEADER:]) if size else ()
            touches = sum(c.state != wire.CONTACT_UP for c in contacts)
            if k >= 1 and count and touches != count:
                print(f"{name} step {k}: {touches} touches for {count} fingers", file=sys.stderr)
            steps.append(
                {
                    "t_us": clock.us,
                    "fingers": [[f.x_mm, f.y_mm, f.diameter_mm] for f in fingers],
                    "on": on,
                    "off": off,
                    "report_hex": report.hex(),
                    "touches": touches,
                }
            )
            k += 1
    failed = [b for b in range(pipe.scanner.n) if pipe.scanner.state[b] & FAILED]
    return {
        "name": name,
        "frame_name": frame_name,
        "frame": frame,
        "noise": noise,
        "seed": seed,
        "beams": pipe.geometry.beams,
        "failed_beams": failed,
        "start": start,
        "steps": steps,
    }


def build():
    return {
        "about": (
            "Recorded IR-frame scans (ADC counts, beam order, emitter on and off) and the"
            " TOUCH_REPORT payload (hex) the firmware's Pipeline gives for each step on CPython,"
            " written by tools/gen_touch_vectors.py. start: the scans Scanner.start() reads;"
            " steps: one Pipeline.step() each, the clock at t_us; fingers: what was on the"
            " glass (x mm, y mm, diameter mm); touches: contacts reported that are not UP."
        ),
        "period_us": PERIOD_US,
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
