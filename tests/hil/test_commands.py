"""The commands as people run them: vitrine sim / sim fault / sim status, vitrine demo,
vitrine run with a bad config, and vitrine wire decode on a capture from a virtual port."""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest
import serial

pytestmark = pytest.mark.hil

VITRINE = [sys.executable, "-m", "vitrine"]


def vitrine(*args: str, **kwargs) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*VITRINE, *args], capture_output=True, text=True, timeout=60, check=False, **kwargs
    )


def read_until(proc: subprocess.Popen[str], pattern: str, timeout: float = 20) -> list[str]:
    """Lines of proc's stdout up to and including the first matching pattern."""
    assert proc.stdout is not None
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
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
        line = read_until(proc, r"status at http://")[-1]
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


def test_demo_on_a_busy_http_port_says_so(tmp_path: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as busy:
        port = busy.getsockname()[1]
        result = vitrine("demo", "--port", str(port), "--state-dir", str(tmp_path / "demo"))
    assert result.returncode == 2
    assert f"cannot serve HTTP on 127.0.0.1:{port}: Address already in use" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "demo" / "touch").exists()  # the virtual boards were stopped
