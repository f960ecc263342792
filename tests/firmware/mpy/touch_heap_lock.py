# The touch Pipeline's scan -> detect -> report loop under MicroPython's heap lock, where any
# heap allocation raises MemoryError, on the recorded scan passes of /vectors/touch.json (the
# board seam copies them with an index loop, so it allocates nothing itself). MicroPython only.
#
# Per run of the vectors:
# - "steps": after start() and the run's steps up to its busiest phase (the most fingers),
#   plus two warm-up steps, LOCKED_STEPS more steps in one locked call, the replay going
#   round that phase's last scan;
# - "all_steps": a fresh pipeline, start()ed unlocked, then every step of the run in one locked
#   call (fingers landing, moving, lifting), each report copied out into a preallocated
#   buffer, so the test can compare what was computed under the lock with CPython's payloads;
# - "stages": the same busy steps split into the stages of step() (the passes with the
#   scanner's updates and the choice of the next passes, the scanner's end of scan, the
#   hand-over, predict, the detector's shadows,
#   align, candidates (verified as made), select and refine, update, the header's pack_into),
#   each locked on its own: where an allocation is, when there is one;
# - "timing": microseconds for TIMED_STEPS unlocked steps of the busiest phase.
# Controls prove the lock is on where the checks run: an allocation after step() inside the
# locked call, and a pipeline whose board seam allocates, must both raise.
#
# Same rules as mpy/heap_lock.py: the locked region is one call inside measure(); every name
# it stores to exists beforehand; the heap is always unlocked in `finally`; outcomes are data.
# Prints one RESULT line: {"runs": {name: {"checks": {...}, "stages": {...}, "values": {...},
# "timing": {...}}}, "controls": {...}}.

import json
import struct
import time
from array import array

from fw_scenario import RESULT_MARK, measure
from touch_replay import first_pass, load

LOCKED_STEPS = 20
TIMED_STEPS = 50
_HEADER = 7
_CONTACT = 9  # wire.CONTACT_SIZE
_MAX_REPORT = 7 + 20 * 9  # header + wire.MAX_CONTACTS contacts

# --- locked targets (four positional arguments each) ------------------------------------------


def steps(pipe, clock, n, sizes):
    for i in range(n):
        sizes[i] = pipe.step()


def all_steps(pipe, _t, out, sizes):
    # Every step of the run, its report copied to out[k * _MAX_REPORT:].
    report = pipe.report
    for k in range(len(sizes)):
        size = pipe.step()
        sizes[k] = size
        base = k * _MAX_REPORT
        for i in range(size):
            out[base + i] = report[i]


def st_read(pipe, _b, _c, _d):
    pipe.readings.clear()
    pipe.read_scan()


def st_end_scan(pipe, _b, _c, _d):
    pipe.scanner.end_scan()


def st_job(pipe, _b, _c, _d):
    pipe._job(pipe.readings)


def st_predict(pipe, _b, _c, _d):
    r = pipe.readings
    pipe.tracker.predict((r.t0 + (r.end_us >> 1)) & 0x3FFFFFFF)


def st_shadows(pipe, _b, _c, _d):
    sc = pipe.scanner
    det = pipe.detector
    det.begin(sc.att, sc.thr, sc.t_us, pipe.readings.end_us >> 1)
    det.shadows(0, det.nf)


def st_align(pipe, _b, _c, _d):
    tr = pipe.tracker
    pipe.detector.align(tr.px, tr.py, tr.pvx, tr.pvy, tr.n_pred)


def st_candidates(pipe, _b, _c, _d):
    pipe.detector.candidates()


def st_select(pipe, _b, _c, _d):
    tr = pipe.tracker
    pipe.detector.select(tr.px, tr.py, tr.n_pred)


def st_refine(pipe, _b, _c, _d):
    det = pipe.detector
    det.refine()
    if det.unexplained():
        det.refine()
    if det.ambiguous and det.recheck():
        det.report()


def st_track(pipe, _b, _c, _d):
    det = pipe.detector
    pipe.tracker.update(det.t_x, det.t_y, det.t_w, det.t_h, det.t_kind, det.t_solid, det.n_t)


def st_report(pipe, _b, _c, _d):
    # The tail of Pipeline._conclude(): the scan counter and the report's header.
    pipe.scans = (pipe.scans + 1) & 0xFFFF
    struct.pack_into(
        "<HIB", pipe.report, 0, pipe.scans, pipe.tracker.now, pipe.tracker.size - _HEADER
    )


STAGES = (
    ("read_scan", st_read),
    ("scanner.end_scan", st_end_scan),
    ("hand-over", st_job),
    ("tracker.predict", st_predict),
    ("detector.shadows", st_shadows),
    ("detector.align", st_align),
    ("detector.candidates", st_candidates),
    ("detector.select", st_select),
    ("detector.refine", st_refine),
    ("tracker.update", st_track),
    ("report.pack_into", st_report),
)


# --- controls: code that must allocate --------------------------------------------------------


def step_then_allocate(pipe, clock, _c, _d):
    pipe.step()
    bytearray(4)


class AllocatingHw:
    """A board seam that builds a list per pass: a pipeline over it must trip the lock."""

    def __init__(self, hw):
        self.hw = hw

    def start(self, plan):
        self.hw.start(plan)

    def finish(self, plan, readings):
        self.hw.finish(plan, readings)
        self.last = [readings.n, plan.n]


def one_step(pipe, clock, _c, _d):
    pipe.step()


def new_bytes(_a, _b, _c, _d):
    bytes(4)


# --- per run -----------------------------------------------------------------------------------


def busiest(run):
    """First and last step of the longest run of steps with the most fingers."""
    steps_ = run["steps"]
    most = max(len(s["fingers"]) for s in steps_)
    best = (0, -1)
    k = 0
    while k < len(steps_):
        if len(steps_[k]["fingers"]) != most:
            k += 1
            continue
        j = k
        while j + 1 < len(steps_) and len(steps_[j + 1]["fingers"]) == most:
            j += 1
        if j - k > best[1] - best[0]:
            best = (k, j)
        k = j + 1
    return most, best[0], best[1]


def contacts(report, size):
    """[id, state] of each contact in a report."""
    return [[report[o], report[o + 1]] for o in range(_HEADER, size, _CONTACT)]


def check_run(run, controls):
    fingers, first, last = busiest(run)
    checks = {}
    stages = {}
    values = {"fingers": fingers, "busy_steps": [first, last]}

    pipe, hw, clock = load(run)
    pipe.start()
    for _ in range(last + 1):
        pipe.step()
    # From here the passes go round the busy phase's last step's: the pipeline sees the same
    # scan again and again, so it asks for the same passes.
    hw.loop_from = first_pass(run, last)
    hw.end = first_pass(run, last + 1)
    hw.next = hw.end  # the next pass asked for (the one started ahead) is the loop's first
    warm = array_h(2)
    steps(pipe, clock, 2, warm)
    sizes = array_h(LOCKED_STEPS)
    checks["steps"] = measure(steps, pipe, clock, LOCKED_STEPS, sizes)
    values["steps_sizes"] = list(sizes)
    values["steps_last_contacts"] = contacts(pipe.report, sizes[LOCKED_STEPS - 1])
    values["steps_active"] = pipe.tracker.active

    # Stage by stage: three busy steps.
    for name, _ in STAGES:
        stages[name] = None
    for _ in range(3):
        for name, fn in STAGES:
            err = measure(fn, pipe, clock)
            if err is not None and stages[name] is None:
                stages[name] = err
    values["stages_last_contacts"] = contacts(pipe.report, pipe.tracker.size)

    # Timing, unlocked.
    t0 = time.ticks_us()
    for _ in range(TIMED_STEPS):
        pipe.step()
    spent = time.ticks_diff(time.ticks_us(), t0)
    timing = {"steps": TIMED_STEPS, "us": spent, "beams": pipe.geometry.beams}
    values["timed_active"] = pipe.tracker.active

    # Controls (on the busy pipeline).
    if controls is not None:
        controls["step_then_allocate"] = measure(step_then_allocate, pipe, clock)
        real = pipe.hw
        pipe.hw = AllocatingHw(real)
        controls["allocating_board_seam"] = measure(one_step, pipe, clock)
        pipe.hw = real
        controls["new_bytes"] = measure(new_bytes)

    # Every step of the run, locked from the first.
    pipe, hw, clock = load(run)
    pipe.start()
    n = len(run["steps"])
    out = bytearray(n * _MAX_REPORT)
    sizes = array_h(n)
    checks["all_steps"] = measure(all_steps, pipe, None, out, sizes)
    values["all_steps_reports"] = [
        bytes(out[k * _MAX_REPORT : k * _MAX_REPORT + sizes[k]]).hex() for k in range(n)
    ]
    values["mismatches"] = hw.mismatches
    return {"checks": checks, "stages": stages, "values": values, "timing": timing}


def array_h(n):
    return array("H", bytes(2 * n))


def main():
    with open("/vectors/touch.json") as f:
        doc = json.load(f)
    controls = {}
    runs = {}
    for i, run in enumerate(doc["runs"]):
        runs[run["name"]] = check_run(run, controls if i == 0 else None)
    print(RESULT_MARK + json.dumps({"runs": runs, "controls": controls}))


main()
