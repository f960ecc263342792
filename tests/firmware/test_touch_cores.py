"""Detection on a second core (vitrine_fw.touch.Pipeline with `threads`): the firmware runs on
CPython too, so its threaded path runs here on CPython's real _thread, with the two threads
truly interleaving (CPython switches between them every few ms, and in the middle of a scan's
detection). On the recorded vectors (tests/vectors/touch.json) the threaded pipeline gives the
same TOUCH_REPORT payloads, byte for byte, as the serial one, each one scan later (step() returns
the report of the scan before; flush() the last)."""

import _thread
import json
import sys
from pathlib import Path

import pytest
from touch_replay import ReplayClock, load_hw, replay

from vitrine_fw.touch import Pipeline

VECTORS = Path(__file__).resolve().parents[2] / "tests" / "vectors" / "touch.json"
RUNS = json.loads(VECTORS.read_text(encoding="utf-8"))["runs"]
NAMES = [run["name"] for run in RUNS]
BY_NAME = dict(zip(NAMES, RUNS, strict=True))


def expected(run):
    return [step["report_hex"] for step in run["steps"]]


@pytest.fixture(autouse=True)
def _switch_often():
    # switch threads every 50 µs instead of 5 ms, so core 1's detection is interrupted by
    # core 0's scanning many times a scan
    before = sys.getswitchinterval()
    sys.setswitchinterval(5e-5)
    yield
    sys.setswitchinterval(before)


def threaded_replay(run):
    hw = load_hw(run)
    pipe = Pipeline(run["frame"], hw, ReplayClock(), threads=_thread)
    try:
        pipe.start()
        reports = []
        for _ in run["steps"]:
            size = pipe.step()
            reports.append(bytes(pipe.report[:size]).hex())
        size = pipe.flush()
        reports.append(bytes(pipe.report[:size]).hex())
    finally:
        pipe.stop()
    return reports, hw.mismatches


@pytest.mark.parametrize("name", NAMES)
def test_the_threaded_pipeline_gives_the_serial_reports_a_scan_later(name):
    run = BY_NAME[name]
    serial, _, _ = replay(run)
    assert serial == expected(run)
    threaded, mismatches = threaded_replay(run)
    assert mismatches == 0  # core 0 chose the same passes as serially
    assert threaded[0] == ""  # nothing was with core 1 before the first scan
    assert threaded[1:] == serial


def test_an_error_on_core_1_is_raised_on_core_0():
    run = BY_NAME[NAMES[0]]
    pipe = Pipeline(run["frame"], load_hw(run), ReplayClock(), threads=_thread)
    try:
        pipe.start()

        def broken(*_args):
            raise ValueError("detector broke")

        pipe.detector.resolve = broken  # (the two Detectors change places every scan)
        pipe.finder.resolve = broken
        assert pipe.step() == 0  # handed over: core 1 fails, core 0 goes on
        with pytest.raises(ValueError, match="detector broke"):
            pipe.flush()
    finally:
        pipe.stop()


def test_without_a_second_core_nothing_waits_and_each_step_reports_its_own_scan():
    run = BY_NAME[NAMES[0]]
    pipe = Pipeline(run["frame"], load_hw(run), ReplayClock())
    assert pipe.go is None
    assert pipe.report is pipe.tracker.payload
    pipe.start()
    reports = [bytes(pipe.report[: pipe.step()]).hex() for _ in run["steps"]]
    assert reports == expected(run)
    assert pipe.flush() == 0
