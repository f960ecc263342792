"""The allocation-free paths, under MicroPython's heap lock (scripts: mpy/heap_lock.py, and
mpy/loops_heap_lock.py for whole iterations of the subsystems' task loops).

Each check ran its target with micropython.heap_lock() held, where any allocation raises
MemoryError; the controls are code that must allocate, so a harness that stopped detecting
allocations would fail here too.
"""

import pytest

from vitrine_fw import wire

pytestmark = pytest.mark.micropython

CHECKS = (
    "decoder_feed",
    "decoder_feed_bytewise",
    "encode_frame_into_empty",
    "encode_frame_into_full",
    "crc_write_check",
    "link_send",
    "link_send_paused",
    "probe_fill_send",
    "link_receive_stream",
)
CONTROLS = ("memoryview_slice", "new_bytes", "binascii_crc32_big")


@pytest.fixture(scope="module")
def report(micropython):
    return micropython.result("heap_lock.py")


def test_every_check_ran(report):
    assert sorted(report["checks"]) == sorted(CHECKS)
    assert sorted(report["controls"]) == sorted(CONTROLS)


@pytest.mark.parametrize("name", CHECKS)
def test_allocates_nothing(report, name):
    assert report["checks"][name] is None, f"{name} allocated: {report['checks'][name]}"


@pytest.mark.parametrize("name", CONTROLS)
def test_control_allocation_is_detected(report, name):
    assert report["controls"][name] is not None, f"{name} should have raised MemoryError"
    assert report["controls"][name].startswith("MemoryError")


def test_locked_runs_did_their_work(report):
    values = report["values"]
    # 4 good frames and 3 bad ones (CRC, COBS, too long) per pass, three passes in all.
    assert values["decoder_warmup"] == [4, 3]
    assert values["decoder_feed"] == [4, 3]
    assert values["decoder_feed_bytewise"] == [4, 3]
    assert values["decoder_counters"] == [12, 3, 6]
    assert values["encode_frame_into_matches"] == [True, True]
    # CRC matches binascii, is a value MicroPython would box, and a flipped byte is caught.
    assert values["crc"] == [True, True, True, False]
    # a stream frame while the host is away: not written, no seq used, counted
    assert values["link_send_paused"] == [0, 0, 2]
    writes, nbytes, seq, tx_frames = values["link_send"]
    assert (writes, seq, tx_frames) == (2, 2, 2)
    assert nbytes == len(wire.encode_frame(wire.PROBE, 1, 0, bytes(range(1, 65))))
    assert values["probe_index"] == 2
    assert values["host_up"] is True
    assert values["link_receive"] == [2, 7]  # seqs 4 and 8 lost; HELLO + 6 HEARTBEATs
    assert values["big_crc_value"] >= 1 << 30


# --- whole iterations of the subsystems' task loops (script: mpy/loops_heap_lock.py) ----------

LOOP_CHECKS = (
    "lights_run_iteration",
    "lights_scene_iteration",
    "touch_run_iteration",
    "proximity_run_iteration",
)
LOOP_CONTROLS = ("float_sleep", "allocating_alive")


@pytest.fixture(scope="module")
def loops(micropython):
    return micropython.result("loops_heap_lock.py", extra_paths=["/mpy/fake_machine"])


def test_every_loop_check_ran(loops):
    assert sorted(loops["checks"]) == sorted(LOOP_CHECKS)
    assert sorted(loops["controls"]) == sorted(LOOP_CONTROLS)


@pytest.mark.parametrize("name", LOOP_CHECKS)
def test_loop_iteration_allocates_nothing(loops, name):
    # One wake-up of the task: its step, what it sends, alive(), and the sleep to the next
    # period through the board's clock (hal.Clock.sleep_ms).
    assert loops["checks"][name] is None, f"{name} allocated: {loops['checks'][name]}"


@pytest.mark.parametrize("name", LOOP_CONTROLS)
def test_loop_control_allocation_is_detected(loops, name):
    # float_sleep: the old loops' asyncio.sleep(ms / 1000); allocating_alive: an alive() that
    # builds a list. Both run inside the locked wake-up, so both must be caught.
    assert (loops["controls"][name] or "").startswith("MemoryError"), loops["controls"][name]


def test_locked_lights_iterations_did_their_work(loops):
    lights = loops["values"]["lights"]
    # every wake-up stepped the fade, latched both strips, reported alive and slept again
    assert lights["wakes"] == lights["strip_writes"] == lights["beats"] == lights["asleep_after"]
    assert lights["wakes"] == 30
    assert lights["fading"] is True
    assert 0 <= lights["sleep_ms_max"] <= lights["step_ms"]


def test_locked_touch_iterations_did_their_work(loops):
    touch = loops["values"]["touch"]
    # every step of the 32in run after the first: ten fingers landing, moving and lifting
    assert touch["wakes"] == touch["steps_after_first"]
    assert touch["passes_read"] == touch["passes_expected"] > 0
    assert touch["reports_sent"] == touch["reports_expected"] > 0
    assert touch["beats"] == touch["asleep_after"] == touch["wakes"]
    assert 0 <= touch["sleep_ms_max"] <= touch["period_ms"]


def test_locked_proximity_iterations_did_their_work(loops):
    prox = loops["values"]["proximity"]
    # the bring-up ran unlocked and moved the sensor; then every locked wake-up read the
    # ranging the test completed, reported alive and slept again
    assert prox["address"] == 0x30 and prox["state"] == wire.PART_OK
    assert prox["asleep_after"] == prox["beats"] == prox["wakes"] == 40
    assert prox["rangings"] >= prox["wakes"]
    # DISTANCE at every moving ranging, PRESENCE (approach, later absent), MOTION (on, off)
    assert prox["frames_sent"] >= 30 + 2 + 2
    assert 0 <= prox["sleep_ms_max"] <= 8


def test_locked_scene_iterations_did_their_work(loops):
    scene = loops["values"]["scene"]
    # a write every wake, fading and then dithering a dim light; the budget dimmed the bright
    # part; LIGHT_STATE went out every 200 ms of the fade
    assert scene["strip_writes"] >= 60
    assert scene["frames_sent"] >= 2
    assert scene["dithering"] is True
    assert scene["current_ma"] <= 1500
