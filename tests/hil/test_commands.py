"""The commands as people run them: vitrine sim / sim fault / sim status / sim finger / sim
play, vitrine demo, vitrine run with a bad config, and vitrine wire decode on a capture from a
virtual port."""

from __future__ import annotations

import contextlib
import json
import os
import queue
import re
import shlex
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest
import serial

from vitrine.paths import PROJECT_ROOT

pytestmark = pytest.mark.hil

VITRINE = [sys.executable, "-m", "vitrine"]


def vitrine(*args: str, **kwargs) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*VITRINE, *args], capture_output=True, text=True, timeout=60, check=False, **kwargs
    )


def read_until(
    proc: subprocess.Popen[str], pattern: str, timeout: float = 20, stream: str = "stdout"
) -> list[str]:
    """Lines of proc's stdout (or stderr) up to and including the first matching pattern."""
    pipe = getattr(proc, stream)
    assert pipe is not None
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        for line in pipe:
            lines.put(line.rstrip("\n"))
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=0.2)
        except queue.Empty:
            continue
        if line is None:
            break
        seen.append(line)
        if re.search(pattern, line):
            return seen
    raise AssertionError(f"{pattern!r} not printed; got {seen}; exit code {proc.poll()}")


def board_processes(parent: int) -> list[int]:
    """PIDs of virtual-board processes started by the given process."""
    ps = ["ps", "-eo", "pid,ppid,args"]
    out = subprocess.run(ps, capture_output=True, text=True, check=True).stdout
    pids = []
    for line in out.splitlines()[1:]:
        pid, ppid, args = line.split(None, 2)
        if int(ppid) == parent and "vitrine.sim.boot" in args:
            pids.append(int(pid))
    return pids


def wait_gone(pids: list[int], timeout: float = 5) -> list[int]:
    """The pids still running after timeout (an empty list when all have ended)."""
    deadline = time.monotonic() + timeout
    while True:
        alive = [
            pid
            for pid in pids
            if Path(f"/proc/{pid}").exists()
            and "Z" not in Path(f"/proc/{pid}/stat").read_text().split()[2]
        ]
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.1)


@pytest.fixture
def sim_process(tmp_path: Path):
    state = tmp_path / "state"
    proc = subprocess.Popen(
        [*VITRINE, "sim", "--role", "lights", "--role", "touch", "--state-dir", str(state)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        lines = read_until(proc, r"^control:")
        yield proc, state, lines
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            proc.wait(10)


def test_sim_prints_port_paths_and_takes_faults(sim_process) -> None:
    _proc, state, lines = sim_process
    printed = "\n".join(lines)
    assert f"{state}/lights -> /dev/pts/" in printed
    assert f"{state}/touch -> /dev/pts/" in printed
    assert os.path.realpath(state / "lights").startswith("/dev/pts/")

    garbage = vitrine("sim", "fault", "lights", "garbage", "64", "--state-dir", str(state))
    assert garbage.returncode == 0, garbage.stderr
    assert "64 random bytes" in garbage.stdout

    unplug = vitrine("sim", "fault", "touch", "unplug", "--state-dir", str(state))
    assert unplug.returncode == 0
    assert not (state / "touch").exists()
    again = vitrine("sim", "fault", "touch", "unplug", "--state-dir", str(state))
    assert again.returncode == 2
    assert "already unplugged" in again.stderr

    status = vitrine("sim", "status", "--state-dir", str(state))
    boards = {b["role"]: b for b in json.loads(status.stdout)}
    assert boards["touch"]["plugged"] is False
    assert boards["lights"]["faults"] == {"garbage": 1}

    missing = vitrine("sim", "fault", "lights", "garbage", "--state-dir", str(state))
    assert missing.returncode == 2
    assert "byte count" in missing.stderr


def test_sim_stops_cleanly_on_ctrl_c(sim_process) -> None:
    proc, state, _lines = sim_process
    boards = board_processes(proc.pid)
    assert len(boards) == 2
    proc.send_signal(signal.SIGINT)
    assert proc.wait(10) == 0
    assert not (state / "lights").exists()
    assert not (state / "control.sock").exists()
    assert wait_gone(boards) == []


def test_second_simulation_in_the_same_folder_is_refused(sim_process) -> None:
    _, state, _ = sim_process
    second = vitrine("sim", "--role", "lights", "--state-dir", str(state))
    assert second.returncode == 2
    assert "already running" in second.stderr


def test_fault_without_a_simulation_says_how_to_start_one(tmp_path: Path) -> None:
    result = vitrine("sim", "fault", "touch", "unplug", "--state-dir", str(tmp_path))
    assert result.returncode == 2
    assert "no simulation running" in result.stderr
    assert "vitrine sim" in result.stderr


def test_wire_decode_of_a_capture_from_a_virtual_port(sim_process, tmp_path: Path) -> None:
    _, state, _ = sim_process
    capture = tmp_path / "capture.bin"
    with serial.Serial(str(state / "lights"), timeout=0.2) as port:
        port.reset_input_buffer()
        data = b""
        deadline = time.monotonic() + 2.5
        while time.monotonic() < deadline:
            data += port.read(4096)
    capture.write_bytes(data)
    result = vitrine("wire", "decode", str(capture))
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    frames, summary = lines[:-1], lines[-1]["summary"]
    assert sum(f["type"] == "HEARTBEAT" for f in frames) >= 2
    assert summary["frames"] == len(frames)
    assert summary["crc_errors"] == 0
    assert summary["bytes"] == len(data)


def test_run_with_an_invalid_config_names_key_value_and_range(tmp_path: Path) -> None:
    config = tmp_path / "vitrine.toml"
    config.write_text("[link]\nheartbeat_s = 0\n")
    result = vitrine("run", "--config", str(config))
    assert result.returncode == 2
    assert "link.heartbeat_s = 0" in result.stderr
    assert "greater than or equal to 0.1" in result.stderr


def test_demo_serves_status_with_every_board_up_and_stops_on_sigterm(tmp_path: Path) -> None:
    state = tmp_path / "demo"
    proc = subprocess.Popen(
        [*VITRINE, "demo", "--port", "0", "--state-dir", str(state)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = read_until(proc, r"the mirror at http://")[-1]
        url = re.search(r"http://\S+/", line)[0]  # type: ignore[index]
        deadline = time.monotonic() + 10
        while True:
            with urllib.request.urlopen(url + "api/status", timeout=5) as response:
                boards = json.load(response)["boards"]
            if len(boards) == 4 and all(b["state"] == "up" for b in boards):
                break
            assert time.monotonic() < deadline, boards
            time.sleep(0.1)
        children = board_processes(proc.pid)
        assert len(children) == 4
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    assert wait_gone(children) == []
    assert not (state / "touch").exists()


def test_boards_power_off_when_the_simulation_is_killed(sim_process) -> None:
    proc, _, _ = sim_process
    boards = board_processes(proc.pid)
    assert len(boards) == 2
    proc.kill()  # SIGKILL: no chance to stop its boards
    proc.wait(10)
    assert wait_gone(boards, timeout=5) == []


def test_a_sigterm_reaching_the_boards_does_not_reset_them(sim_process) -> None:
    # systemd stopping a unit, or `timeout`, signal every process of the group or cgroup;
    # boards are powered by their simulation and must not take that as a crash.
    proc, state, _lines = sim_process
    for role in ("lights", "touch"):  # wait until both firmwares run (they send heartbeats)
        with serial.Serial(str(state / role), timeout=3) as port:
            assert port.read(1)
    boards = board_processes(proc.pid)
    for pid in boards:
        os.kill(pid, signal.SIGTERM)
    time.sleep(1.0)
    status = vitrine("sim", "status", "--state-dir", str(state))
    assert [b["boots"] for b in json.loads(status.stdout)] == [1, 1]
    assert board_processes(proc.pid) == boards


def test_the_demo_prints_commands_that_run_as_printed() -> None:
    # A newcomer's shell after `make demo` in a fresh clone: the environment's bin folder is
    # not on PATH, the commands are copied from the banner and run in the same folder.
    root = PROJECT_ROOT
    env = {**os.environ, "PATH": "/usr/bin:/bin"}
    proc = subprocess.Popen(
        [*VITRINE, "demo", "--port", "0"],
        cwd=root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        banner = read_until(proc, r"^Ctrl-C stops")
        said = dict(line.split(": ", 1) for line in banner if line.startswith(("A ", "Products")))
        assert said["A shopper"].startswith(".venv/bin/vitrine sim visitor approach|leave")
        assert any(line.startswith("The vitrine command is .venv/bin/vitrine") for line in banner)

        def run(command: str) -> subprocess.CompletedProcess[str]:
            args = shlex.split(command.split("  (", maxsplit=1)[0])
            return subprocess.run(
                args, cwd=root, env=env, capture_output=True, text=True, timeout=60, check=False
            )

        visitor = run(said["A shopper"].replace("approach|leave", "approach"))
        assert visitor.returncode == 0, visitor.stderr
        assert visitor.stdout.strip() == "a visitor walks up to the mirror and stops 0.70 m from it"
        products = run(said["Products"])
        assert products.returncode == 0, products.stderr
        assert products.stdout.splitlines()[-1] == "36 products"  # the sample store
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()


def sessions(data: Path) -> int:
    """How many sessions the events database in data holds (0 when there is none)."""
    if not (data / "events.db").exists():
        return 0
    with contextlib.closing(sqlite3.connect(f"file:{data / 'events.db'}?mode=ro", uri=True)) as db:
        return db.execute("SELECT COUNT(*) FROM session").fetchone()[0]


def demo_run(state: Path, *extra: str, visit: bool = False) -> tuple[list[str], str]:
    """One run of the demo in state: its banner, what it logged, after a visitor stepped up
    (and the session was stored) when visit; stopped with SIGTERM."""
    proc = subprocess.Popen(
        [*VITRINE, "demo", "--port", "0", "--state-dir", str(state), *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        banner = read_until(proc, r"^Ctrl-C stops")
        if visit:
            assert vitrine("sim", "visitor", "approach", "--state-dir", str(state)).returncode == 0
            data = Path(next(b for b in banner if b.startswith("  data ")).split()[-1])
            deadline = time.monotonic() + 10
            while sessions(data) == 0:
                assert time.monotonic() < deadline, "the visitor's session was not stored"
                time.sleep(0.1)
            time.sleep(0.5)  # the live session's snapshot follows the session's row
    finally:
        proc.send_signal(signal.SIGTERM)
        _, log = proc.communicate(timeout=15)
    assert proc.returncode == 0, log
    return banner, log


def test_each_demo_run_starts_with_no_events_and_says_so(tmp_path: Path) -> None:
    state = tmp_path / "demo"
    demo_run(state, visit=True)
    assert sessions(state / "data") == 1
    banner, log = demo_run(state)
    events = next(line for line in banner if line.startswith("  events "))
    assert events.split(None, 1)[1] == (
        "new for this run (none kept from earlier runs: --data-dir DIR keeps them)"
    )
    assert "restored session" not in log
    assert sessions(state / "data") == 0


def test_a_data_dir_keeps_the_events_and_the_banner_says_a_session_goes_on(
    tmp_path: Path,
) -> None:
    state, data = tmp_path / "demo", tmp_path / "store"
    banner, _ = demo_run(state, "--data-dir", str(data), visit=True)
    kept = f"  events         kept between runs in {data / 'events.db'}"
    assert f"{kept}; the mirror starts idle" in banner
    banner, log = demo_run(state, "--data-dir", str(data))
    assert "restored session" in log
    assert f"{kept}; the session an earlier run left goes on (approached, on screen greeting)" in (
        banner
    )
    assert sessions(data) == 1


def test_demo_on_a_busy_http_port_says_so(tmp_path: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as busy:
        port = busy.getsockname()[1]
        result = vitrine("demo", "--port", str(port), "--state-dir", str(tmp_path / "demo"))
    assert result.returncode == 2
    assert f"cannot serve HTTP on 127.0.0.1:{port}: Address already in use" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "demo" / "touch").exists()  # the virtual boards were stopped


def sim_fingers(state: Path) -> list[dict]:
    status = vitrine("sim", "status", "--state-dir", str(state))
    assert status.returncode == 0, status.stderr
    return next(b for b in json.loads(status.stdout) if b["role"] == "touch")["fingers"]


def test_sim_finger_puts_fingers_down_and_lifts_them(sim_process) -> None:
    _, state, _ = sim_process
    down = vitrine("sim", "finger", "100", "200", "650.5", "12", "--state-dir", str(state))
    assert down.returncode == 0, down.stderr
    assert down.stdout == "touch: 2 fingers on the glass: (100, 200), (650.5, 12)\n"
    one = vitrine("sim", "finger", "--diameter", "15", "350", "200", "--state-dir", str(state))
    assert one.stdout == "touch: 1 finger on the glass: (350, 200)\n"
    assert sim_fingers(state) == [{"x_mm": 350.0, "y_mm": 200.0, "diameter_mm": 15.0}]
    up = vitrine("sim", "finger", "--up", "--state-dir", str(state))
    assert up.returncode == 0, up.stderr
    assert up.stdout == "touch: every finger lifted\n"
    assert sim_fingers(state) == []


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["800", "10"], "fingers[0].x_mm=800.0: allowed 0..700"),
        (["--diameter", "80", "1", "1"], "fingers[0].diameter_mm=80.0: allowed 1..60"),
        (["--role", "lights", "1", "1"], "lights has no touch frame"),
        (["1"], "1 number given; each finger needs two, X_MM Y_MM"),
        (["1", "2", "3"], "3 numbers given; each finger needs two, X_MM Y_MM"),
        ([], "give X_MM Y_MM for each finger, or --up to lift them"),
        (["--up", "1", "2"], "--up lifts every finger; give no points with it"),
    ],
)
def test_sim_finger_errors_are_one_clear_line(sim_process, args: list[str], error: str) -> None:
    _, state, _ = sim_process
    result = vitrine("sim", "finger", *args, "--state-dir", str(state))
    assert result.returncode == 2
    assert error in result.stderr
    assert len(result.stderr.splitlines()) == 1, result.stderr


def write_scenario(path: Path, **changes: object) -> Path:
    scenario = {
        "frame": "32in",
        "duration_ms": 400,
        "fingers": [
            {"id": 1, "diameter_mm": 10, "path": [[0, 100.0, 80.0], [300, 400.0, 80.0]]},
            {"id": 2, "path": [[100, 600.0, 300.0], [200, 600.0, 300.0]]},
        ],
        **changes,
    }
    path.write_text(json.dumps(scenario))
    return path


def test_sim_play_moves_fingers_in_real_time_then_lifts_them(sim_process, tmp_path: Path) -> None:
    _, state, _ = sim_process
    scenario = write_scenario(tmp_path / "swipe.json")
    started = time.monotonic()
    result = vitrine("sim", "play", str(scenario), "--state-dir", str(state))
    took = time.monotonic() - started
    assert result.returncode == 0, result.stderr
    assert 0.4 <= took < 5
    lines = result.stderr.splitlines()
    assert (
        lines[0]
        == "play: swipe.json on touch: 2 finger path(s), 0.4 s of scenario at speed 1 (0.4 s)"
    )
    done = re.fullmatch(
        r"play: done: (\d+) finger update\(s\) in [\d.]+ s; fingers lifted", lines[-1]
    )
    assert done, lines
    assert int(done[1]) >= 20  # a moving finger: sent at up to 250 Hz while it moves
    assert sim_fingers(state) == []
    fast = vitrine("sim", "play", str(scenario), "--speed", "4", "--state-dir", str(state))
    assert fast.returncode == 0, fast.stderr
    assert "at speed 4 (0.1 s)" in fast.stderr


def test_sim_play_stopped_with_ctrl_c_lifts_the_fingers(sim_process, tmp_path: Path) -> None:
    _, state, _ = sim_process
    hold = write_scenario(
        tmp_path / "hold.json",
        duration_ms=30_000,
        fingers=[{"id": 1, "path": [[0, 200.0, 100.0], [30_000, 200.0, 100.0]]}],
    )
    play = subprocess.Popen(
        [*VITRINE, "sim", "play", str(hold), "--state-dir", str(state)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        progress = read_until(play, r"^play: 1\.\d / 30 s, 1 down$", timeout=5, stream="stderr")
        assert progress[0].startswith("play: hold.json on touch: 1 finger path(s), 30 s")
        assert sim_fingers(state) == [{"x_mm": 200.0, "y_mm": 100.0, "diameter_mm": 9.0}]
        play.send_signal(signal.SIGINT)
        assert play.wait(5) == 0
    finally:
        if play.poll() is None:
            play.kill()
    assert sim_fingers(state) == []


def test_sim_play_refuses_what_it_cannot_play(sim_process, tmp_path: Path) -> None:
    _, state, _ = sim_process
    big = write_scenario(
        tmp_path / "big.json",
        frame="55in",
        fingers=[{"id": 7, "path": [[0, 100.0, 100.0], [50, 1000.0, 100.0]]}],
    )
    result = vitrine("sim", "play", str(big), "--state-dir", str(state))
    assert result.returncode == 2
    assert "the scenario's frame is 1218 x 685 mm, touch's is 700 x 400 mm" in result.stderr
    outside = f"{big}: finger 7 is at (1000, 100) mm at 50 ms, outside touch's 700 x 400 mm glass"
    assert f"vitrine: {outside}" in result.stderr
    lights = vitrine(
        "sim",
        "play",
        str(write_scenario(tmp_path / "ok.json")),
        "--role",
        "lights",
        "--state-dir",
        str(state),
    )
    assert lights.returncode == 2
    assert "lights has no touch frame" in lights.stderr
    assert "Traceback" not in result.stderr + lights.stderr


def test_sim_play_errors_without_a_simulation_or_with_a_bad_file(tmp_path: Path) -> None:
    scenario = write_scenario(tmp_path / "ok.json")
    result = vitrine("sim", "play", str(scenario), "--state-dir", str(tmp_path))
    assert result.returncode == 2
    assert "no simulation running" in result.stderr
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    result = vitrine("sim", "play", str(broken), "--state-dir", str(tmp_path))
    assert result.returncode == 2
    assert f"{broken}: not valid JSON" in result.stderr
    missing = vitrine("sim", "play", str(tmp_path / "nope.json"), "--state-dir", str(tmp_path))
    assert missing.returncode == 2
    assert "nope.json: cannot read" in missing.stderr
    bad = write_scenario(tmp_path / "bad.json", duration_ms=-1)
    result = vitrine("sim", "play", str(bad), "--state-dir", str(tmp_path))
    assert result.returncode == 2
    assert "duration_ms=-1" in result.stderr
    slow = vitrine("sim", "play", str(scenario), "--speed", "0", "--state-dir", str(tmp_path))
    assert slow.returncode == 2
    assert "--speed 0: allowed 0.01..100" in slow.stderr
    finger = vitrine("sim", "finger", "1", "2", "--state-dir", str(tmp_path))
    assert finger.returncode == 2
    assert "no simulation running" in finger.stderr
    for out in (result, missing, slow, finger):
        assert "Traceback" not in out.stderr
