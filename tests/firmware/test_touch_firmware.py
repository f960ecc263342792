"""The touch firmware (vitrine_fw.touch) on recorded scans, on CPython and real MicroPython.

tests/vectors/touch.json (tools/gen_touch_vectors.py) holds IR-frame scan passes from the glass
model (the straight pass and the oblique pass the firmware chose, every step) and the
TOUCH_REPORT payloads CPython's Pipeline gave for them. Here the same passes go through
Pipeline.step() again on CPython and under MicroPython (mpy/touch_replay.py on both, scripts
mpy/touch_vectors.py and mpy/touch_heap_lock.py): each pass must be the one the firmware asks
for, the payloads identical, byte for byte (integer arithmetic only), and MicroPython's
steady-state step() must allocate nothing under micropython.heap_lock() with ten fingers on the
glass.
"""

import base64
import json
import math
import struct
from pathlib import Path

import pytest
from touch_replay import geometry_tables, replay

from vitrine.link.messages import unpack_contacts
from vitrine_fw import wire
from vitrine_fw.touch.geometry import Geometry
from vitrine_fw.touch.scan import START_SCANS

ROOT = Path(__file__).resolve().parents[2]
VECTORS = ROOT / "tests" / "vectors" / "touch.json"
DOC = json.loads(VECTORS.read_text(encoding="utf-8"))
RUNS = DOC["runs"]
NAMES = [run["name"] for run in RUNS]
BY_NAME = dict(zip(NAMES, RUNS, strict=True))
HEADER = 7
STAGES = (
    "read_scan",
    "scanner.end_scan",
    "hand-over",
    "tracker.predict",
    "detector.shadows",
    "detector.align",
    "detector.candidates",
    "detector.select",
    "detector.refine",
    "tracker.update",
    "report.pack_into",
)


def expected(run):
    return [step["report_hex"] for step in run["steps"]]


def first_difference(got, want):
    for k, (a, b) in enumerate(zip(got, want, strict=True)):
        if a != b:
            return f"step {k}: got {a or '(nothing)'}, CPython {b or '(nothing)'}"
    return None


# --- the vectors ------------------------------------------------------------------------------


def _rows(recorded):
    raw = base64.b64decode(recorded["rows"])
    return [struct.unpack_from("<4H", raw, i) for i in range(0, len(raw), 8)]


def test_vectors_file_is_small_and_whole():
    assert VECTORS.stat().st_size < 2_000_000
    assert set(NAMES) == {"32in", "32in_dead_x17", "55in"}
    for run in RUNS:
        assert len(run["baseline"]) == START_SCANS, run["name"]  # what Pipeline.start() reads
        for recorded in run["baseline"]:
            assert sorted(b for b, *_ in _rows(recorded)) == list(range(run["beams"]))
        for step in run["steps"]:
            assert 1 <= len(step["passes"]) <= 3  # straight, the oblique ones; or every beam
            for recorded in step["passes"]:
                rows = _rows(recorded)
                assert all(b < run["beams"] and d < 4096 and lit < 4096 for b, d, lit, _ in rows)
                assert 0 <= recorded["t0"] < 1 << 30


def test_vectors_cover_zero_to_ten_fingers():
    counts = [len(step["fingers"]) for step in BY_NAME["32in"]["steps"]]
    assert set(counts) == {0, 1, 2, 5, 10}
    assert counts[0] == 0 and counts[-1] == 0  # nothing, fingers land, ..., all lifted
    assert counts.count(10) >= 4
    assert [len(step["fingers"]) for step in BY_NAME["55in"]["steps"]].count(10) >= 4
    dead = BY_NAME["32in_dead_x17"]
    assert dead["conditions"]["dead"] == {"x": [17]}
    g = Geometry(dead["frame"])
    assert dead["failed_beams"] and all(
        g.fam_axis[g.beam_family[b]] == 0 and g.beam_emitter[b] == 17 for b in dead["failed_beams"]
    )


@pytest.mark.parametrize("name", NAMES)
def test_vectors_are_touches_where_the_fingers_are(name):
    # The payloads are not just self-consistent: every finger is reported, within 1.5 mm,
    # from the scan after it lands at the latest (one over a failed beam, whose shadow there
    # is open, may need the oblique beams of a second scan).
    run = BY_NAME[name]
    before = 0
    for k, step in enumerate(run["steps"]):
        fingers = step["fingers"]
        payload = bytes.fromhex(step["report_hex"])
        contacts = unpack_contacts(payload[HEADER:]) if payload else ()
        down = [c for c in contacts if c.state != wire.CONTACT_UP]
        assert step["touches"] == len(down), f"step {k}"
        landing = len(fingers) != before
        before = len(fingers)
        if landing and len(down) < len(fingers):
            continue
        if fingers:
            assert len(down) == len(fingers), f"step {k}"
            for x, y, _ in fingers:
                error = min(math.hypot(c.x_mm - x, c.y_mm - y) for c in down)
                assert error < 1.5, f"step {k}: finger at ({x}, {y}) reported {error:.2f} mm off"
        if payload:
            scan, length = int.from_bytes(payload[:2], "little"), payload[6]
            assert length == len(payload) - HEADER
            assert scan == k + 1


# --- CPython ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_cpython_replay_gives_the_recorded_reports(name):
    run = BY_NAME[name]
    reports, failed, mismatches = replay(run)
    assert mismatches == 0  # every pass the firmware asked for is the recorded one
    assert failed == run["failed_beams"]
    diff = first_difference(reports, expected(run))
    assert diff is None, f"{diff} (stale vectors? run tools/gen_touch_vectors.py)"


# --- MicroPython: the same reports ------------------------------------------------------------


@pytest.fixture(scope="module")
def mpy_vectors(micropython):
    return micropython.result("touch_vectors.py")


@pytest.mark.micropython
def test_micropython_ran_every_run(mpy_vectors):
    assert mpy_vectors["failures"] == {}
    assert sorted(mpy_vectors["runs"]) == sorted(NAMES)


@pytest.mark.micropython
@pytest.mark.parametrize("name", NAMES)
def test_micropython_builds_the_same_beam_tables(mpy_vectors, name):
    # The recorded readings are in CPython's beam order: both runtimes must build the same
    # tables from the same frame config (family order, beams, emitters, receivers).
    got = mpy_vectors["runs"][name]["geometry"]
    want = geometry_tables(Geometry(BY_NAME[name]["frame"]))
    assert got["fam_k"] == want["fam_k"], "family order differs between the runtimes"
    assert got == want


@pytest.mark.micropython
@pytest.mark.parametrize("name", NAMES)
def test_micropython_reports_match_cpython(mpy_vectors, name):
    run = BY_NAME[name]
    got = mpy_vectors["runs"][name]
    assert got["mismatches"] == 0  # MicroPython asked for the same passes
    assert got["failed"] == run["failed_beams"]
    diff = first_difference(got["reports"], expected(run))
    assert diff is None, f"MicroPython differs from CPython at {diff}"


# --- MicroPython: no allocation under the heap lock -------------------------------------------


@pytest.fixture(scope="module")
def heap(micropython):
    return micropython.result("touch_heap_lock.py")


@pytest.mark.micropython
def test_heap_lock_controls_are_caught(heap):
    # The lock is on where the checks run: an allocation right after step() in the locked
    # call, a board seam that allocates inside step(), and a plain allocation all raise.
    controls = heap["controls"]
    assert sorted(controls) == ["allocating_board_seam", "new_bytes", "step_then_allocate"]
    for name, err in controls.items():
        assert err is not None and err.startswith("MemoryError"), name


@pytest.mark.micropython
@pytest.mark.parametrize("name", NAMES)
def test_steady_state_step_allocates_nothing(heap, name):
    result = heap["runs"][name]
    assert result["checks"]["steps"] is None, f"step() allocated: {result['checks']['steps']}"


@pytest.mark.micropython
@pytest.mark.parametrize("name", NAMES)
def test_locked_steps_did_their_work(heap, name):
    # Every locked step reported every finger, all moving, each with its own id.
    values = heap["runs"][name]["values"]
    fingers = values["fingers"]
    if name != "32in_dead_x17":
        assert fingers == 10
    assert values["steps_sizes"] == [HEADER + wire.CONTACT_SIZE * fingers] * len(
        values["steps_sizes"]
    )
    last = values["steps_last_contacts"]
    assert len(last) == fingers
    assert {state for _, state in last} == {wire.CONTACT_MOVE}
    assert len({cid for cid, _ in last}) == fingers
    assert values["steps_active"] == fingers
    assert values["timed_active"] == fingers


@pytest.mark.micropython
@pytest.mark.parametrize("name", NAMES)
def test_every_stage_of_step_allocates_nothing(heap, name):
    stages = heap["runs"][name]["stages"]
    assert sorted(stages) == sorted(STAGES)
    allocating = {stage: err for stage, err in stages.items() if err is not None}
    assert allocating == {}


@pytest.mark.micropython
@pytest.mark.parametrize("name", NAMES)
def test_staged_steps_did_their_work(heap, name):
    values = heap["runs"][name]["values"]
    last = values["stages_last_contacts"]
    assert len(last) == values["fingers"]
    assert {state for _, state in last} == {wire.CONTACT_MOVE}


@pytest.mark.micropython
@pytest.mark.parametrize("name", NAMES)
def test_whole_run_under_the_lock_matches_cpython(heap, name):
    # Landing, moving and lifting fingers, every step locked: same payloads as CPython.
    result = heap["runs"][name]
    assert result["checks"]["all_steps"] is None, result["checks"]["all_steps"]
    diff = first_difference(result["values"]["all_steps_reports"], expected(BY_NAME[name]))
    assert diff is None, f"under the lock, MicroPython differs from CPython at {diff}"


@pytest.mark.micropython
def test_step_timing(heap, capsys):
    # An indication only (WebAssembly in Node.js, not an MCU; ticks_us has 1 ms resolution
    # there, hence many steps): printed, not judged.
    lines = []
    for name in NAMES:
        timing = heap["runs"][name]["timing"]
        fingers = heap["runs"][name]["values"]["fingers"]
        assert timing["steps"] >= 20 and timing["us"] > 0
        lines.append(
            f"{name}: {timing['us'] / timing['steps'] / 1000:.2f} ms per step"
            f" ({timing['beams']} beams, {fingers} fingers, {timing['steps']} steps)"
        )
    with capsys.disabled():
        print("\nMicroPython (WebAssembly) Pipeline.step(): " + "; ".join(lines))
