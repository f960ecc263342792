"""`vitrine console` as technicians run it, against virtual boards behind pseudo-terminals:
every command with --exec (answers, exit status), a dead emitter failing the selftest,
confirmations, reboot and repl, a production board, a port the daemon holds, and the
interactive console driven through tmux as a person types."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import pytest_asyncio

from tests.hil.conftest import simulation
from vitrine.sim.glass import Conditions
from vitrine.sim.manager import Simulation
from vitrine.sim.virtual_board import BoardOptions
from vitrine_fw import wire
from vitrine_fw.bootflag import REPL_MESSAGE

from .conftest import make_rig

pytestmark = [pytest.mark.hil, pytest.mark.asyncio(loop_scope="module")]

VITRINE = [sys.executable, "-m", "vitrine"]


@dataclass
class Run:
    code: int
    out: str
    err: str


async def console(port: Path | str, *args: str, timeout: float = 30) -> Run:
    """Run `vitrine console PORT ARGS...` while this event loop keeps the boards going."""
    proc = await asyncio.create_subprocess_exec(
        *VITRINE,
        "console",
        str(port),
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    async with asyncio.timeout(timeout):
        out, err = await proc.communicate()
    assert proc.returncode is not None
    return Run(proc.returncode, out.decode(), err.decode())


async def read_port(path: Path, wait_s: float = 0.2) -> bytes:
    """What a port says within wait_s of opening it."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
    try:
        await asyncio.sleep(wait_s)
        try:
            return os.read(fd, 4096)
        except BlockingIOError:
            return b""
    finally:
        os.close(fd)


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def sim(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Simulation]:
    """A touch, a presence and a beacon board, shared by the tests that change nothing on
    them."""
    async with simulation(tmp_path_factory.mktemp("console"), ["touch", "presence", "beacon"]) as s:
        yield s


# --- every command, scripted ----------------------------------------------------------------

# (line, a pattern the answer must hold): commands that succeed on the touch board.
TOUCH_OK = [
    ("help", r"^  repl \[--yes\] +stop the firmware"),
    ("status", r"^tasks: link.rx ok, link.heartbeat ok, probe ok, touch ok, console ok$"),
    ("version", rf"schema rev {wire.SCHEMA_REV} \(0x{wire.SCHEMA_HASH:08x}\)"),
    # An empty glass: nothing failed or saturated. Its beams' readings carry the glass's
    # additive noise and each beam's threshold is 4 sigma of it (at least 10%), so a scan may
    # show a lone beam past its threshold now and then (about 1 in 30,000 readings each).
    ("beams", r"^1112 beams in 12 families: 0 failed, 0 saturated, [0-2] blocked"),
    ("beams straight", r"^x\+0 +128 \.{12}$"),
    ("beams y-39", r"^y-39: 41 beams"),
    ("touches", r"^no contacts on the glass$"),
    ("selftest", r"^touch frame: PASS: all 1112 beams lit \(4 fresh scans\)$"),
    ("counters", r"^handshakes +\d+$"),
    ("log", r"info    supervisor: boot: role touch, reset cause power_on$"),
    ("log info", r"; at info or above: \d+$"),
    (
        "reset-cause",
        r"^power_on: power was switched on, or the reset button \(on an ESP32 also a brown-out\)$",
    ),
]


@pytest.mark.parametrize(("line", "expected"), TOUCH_OK, ids=[line for line, _ in TOUCH_OK])
async def test_a_command_that_succeeds_exits_0(sim: Simulation, line: str, expected: str) -> None:
    run = await console(sim.boards["touch"].path, "--exec", line)
    assert (run.code, run.err) == (0, ""), run
    assert re.search(expected, run.out, re.M), run.out


# (board, line, what stderr must say): lines the board refuses.
REFUSED = [
    ("touch", "prox", "prox: refused: no proximity sensor on this board (role touch)"),
    ("touch", "light 255 0 0 --yes", "no lighting on this board (role touch)"),
    ("touch", "selfie", "unknown command 'selfie'; commands: help, status"),
    ("touch", "log loud", "levels: debug, info, warning, error"),
    ("touch", "beams z", "no family 'z'; allowed: straight, x+0"),
    ("beacon", "prox", "no proximity sensor on this board (role beacon)"),
    ("presence", "beams", "no touch frame on this board (role presence)"),
]


@pytest.mark.parametrize(("role", "line", "expected"), REFUSED, ids=[r[1] for r in REFUSED])
async def test_a_refused_command_exits_1_naming_the_problem(
    sim: Simulation, role: str, line: str, expected: str
) -> None:
    run = await console(sim.boards[role].path, "-e", line)
    assert run.code == 1, run
    assert run.out == ""
    assert expected in run.err


async def test_the_beacon_board_runs_its_ble_subsystem_and_passes_its_selftest(
    sim: Simulation,
) -> None:
    # Every role's subsystem is in this firmware build now (a board missing one fails its
    # selftest: tests/firmware/mpy/console_scenarios.py): the beacon's radio is the virtual one.
    run = await console(sim.boards["beacon"].path, "-e", "selftest")
    assert run.code == 0, run
    assert re.search(r"^BLE: PASS: advertising iBeacon, .* every \d+ ms; scanning: ", run.out, re.M)
    assert "not in this firmware build" not in run.out
    assert run.out.rstrip().endswith("selftest: PASS")


async def test_the_presence_board_shows_its_sensors_and_passes_its_selftest(
    sim: Simulation,
) -> None:
    run = await console(sim.boards["presence"].path, "-e", "prox", "-e", "selftest")
    assert run.code == 0, run
    for name, address in (("centre", 0x30), ("left", 0x31), ("right", 0x32)):
        assert re.search(rf"^tof {name} at 0x{address:02x}: \d+ mm \(", run.out, re.M), run.out
    # the HC-SR501 warms up for its first minute after power-on (the simulation is shared
    # by this module's tests: by now it may have), and nobody moves in front of it
    assert re.search(r"^pir: (warming up|idle)$", run.out, re.M), run.out
    assert "presence: absent (nearest none)" in run.out
    assert "tof centre PASS: model id 0xeacc, one ranging:" in run.out
    assert run.out.rstrip().endswith("selftest: PASS")


async def test_without_a_terminal_the_console_asks_for_exec(sim: Simulation) -> None:
    run = await console(sim.boards["touch"].path)
    assert run.code == 2
    assert "the interactive console needs a terminal" in run.err
    assert "--exec LINE" in run.err


async def test_several_lines_run_in_order(sim: Simulation) -> None:
    run = await console(sim.boards["touch"].path, "-e", "reset-cause; touches", "-e", "version")
    assert run.code == 0
    assert re.findall(r"^> (.*)$", run.out, re.M) == ["reset-cause", "touches", "version"]


async def test_fingers_show_in_touches_and_beams_and_stop_calibrate(sim: Simulation) -> None:
    board = sim.boards["touch"]
    board.set_fingers([{"x_mm": 120, "y_mm": 80}])
    try:
        await asyncio.sleep(0.3)
        run = await console(board.path, "-e", "touches; beams straight")
        refused = await console(board.path, "--yes", "-e", "calibrate")
    finally:
        board.set_fingers([])
    assert run.code == 0
    assert re.search(r"#\d+  x 1[12]\d\.\d\d mm  y [78]\d\.\d\d mm", run.out), run.out
    assert re.search(r"^x\+0 +0 \.+#+\.+$", run.out, re.M), run.out
    assert refused.code == 1
    assert "calibrate: 1 contact on the glass; lift every finger and try again" in refused.err


async def test_a_state_changing_command_needs_yes(sim: Simulation) -> None:
    board = sim.boards["touch"]
    run = await console(board.path, "-e", "calibrate")
    confirmed = await console(board.path, "--yes", "-e", "calibrate")
    assert run.code == 1
    assert "calibrate: not done without confirmation" in run.err
    assert "add --yes to confirm in a script" in run.err
    assert confirmed.code == 0
    assert confirmed.out.startswith("calibrated: 1112 beams re-baselined")


async def test_a_dead_emitter_fails_the_selftest_with_exit_1(tmp_path: Path) -> None:
    options = {"touch": BoardOptions(noise=Conditions(dead={"x": [17]}))}
    async with simulation(tmp_path, ["touch"], options) as dead:
        run = await console(dead.boards["touch"].path, "-e", "selftest")
        beams = await console(dead.boards["touch"].path, "-e", "beams")
    assert run.code == 1
    # Emitter 17 of the x axis lights five beams: straight, 10 receivers either way, and 20
    # and 40 receivers over.
    assert "touch frame: FAIL: 5 of 1112 beams dark" in run.out
    assert "dead emitters: x17" in run.out
    assert "dark beams: x17->17 x17->7 x17->27 x17->37 x17->57" in run.out
    assert run.out.rstrip().endswith("selftest: FAIL")
    assert beams.code == 0
    assert "5 failed" in beams.out
    assert "failed: x17->17 x17->7 x17->27 x17->37 x17->57" in beams.out


# --- reboot and repl -----------------------------------------------------------------------


async def test_reboot_waits_for_the_board_to_come_back(tmp_path: Path) -> None:
    async with simulation(tmp_path, ["touch", "lights", "beacon"]) as s:
        # native USB on an RP2350 and on an ESP32-S3 (both re-enumerate), and a UART on an
        # RP2040: the rp2 port's machine.reset() reports wdt, the ESP32's hard, and the reset
        # flag makes each say soft.
        for role, machine_cause in (("touch", "wdt"), ("lights", "wdt"), ("beacon", "hard")):
            run = await console(s.boards[role].path, "--yes", "-e", "reboot", "-e", "reset-cause")
            assert run.code == 0, run
            assert run.out.splitlines() == [
                "> reboot",
                "rebooting now",
                "> reset-cause",
                "soft: asked for: a reboot command, vitrine flash, or the firmware after an error",
            ]
            assert s.boards[role].stats.resets == {"power_on": 1, machine_cause: 1}


async def test_repl_leaves_the_board_at_the_repl_until_a_reset(tmp_path: Path) -> None:
    async with simulation(tmp_path, ["touch"]) as s:
        board = s.boards["touch"]
        asked = await console(board.path, "-e", "repl")
        run = await console(board.path, "--yes", "-e", "repl", "-e", "status")
        for _ in range(100):
            if board.at_repl and board.cable.plugged:
                break
            await asyncio.sleep(0.05)
        status = board.status()
        shown = await read_port(board.path)
        silent = await console(board.path, "--connect-timeout", "1", "-e", "status")
        await s.handle({"op": "fault", "role": "touch", "fault": "reboot"})
        back = await console(board.path, "-e", "reset-cause")
    assert asked.code == 1 and "not done without confirmation" in asked.err
    assert run.code == 1  # the line after repl could not run
    assert "leaving the firmware" in run.out
    assert "the board left the firmware; 1 line(s) not run" in run.err
    assert status["at_repl"] is True and status["pid"] is None
    assert shown == (REPL_MESSAGE + "\r\n>>> ").encode()
    assert silent.code == 2
    assert "no board came up within 1 s" in silent.err
    assert back.code == 0 and back.out.startswith("power_on:")  # the reset button


# --- production boards ------------------------------------------------------------------------


async def test_a_production_board_refuses_repl_and_paces_commands(tmp_path: Path) -> None:
    options = {"touch": BoardOptions(production=True)}
    async with simulation(tmp_path, ["touch"], options) as s:
        port = s.boards["touch"].path
        refused = await console(port, "--yes", "-e", "repl")
        started = time.monotonic()
        paced = await console(port, *(["-e", "reset-cause"] * 14))
        took_s = time.monotonic() - started
        status = await console(port, "-e", "status")
    assert refused.code == 1
    assert "repl is refused on a production board" in refused.err
    assert paced.code == 0, paced.err
    assert paced.out.count("power_on") == 14
    assert took_s >= 1.0  # 8 at once, then one every 250 ms: the console waited its turn
    assert "production yes" in status.out


# --- a port the daemon holds: through the daemon ------------------------------------------------


async def test_a_port_the_daemon_holds_is_reached_through_the_daemon(tmp_path: Path) -> None:
    async with make_rig(tmp_path, roles=["touch", "lights"]) as rig:
        for role in ("touch", "lights"):
            await rig.wait_board(role, lambda b: b["state"] == "up")
        before = await rig.board("touch")
        run = await console(rig.sim.boards["touch"].path, "-e", "status; selftest; counters")
        by_name = await console("lights", "-e", "light 10 20 30 --yes", "-e", "light")
        after = await rig.board("touch")
        sessions = rig.daemon.console.sessions
    assert run.code == 0, run
    assert re.search(TOUCH_OK[1][1], run.out, re.M), run.out  # status: every task ok
    assert "selftest: PASS" in run.out
    assert re.search(r"^handshakes +\d+$", run.out, re.M)
    assert by_name.code == 0, by_name
    assert re.search(
        r"^fading to r 10 g 20 b 30 w 0, brightness 255: \d+ of 500 ms", by_name.out, re.M
    )
    # The daemon sent the lines over its own link, which never dropped.
    assert after["counters"]["commands"] > before["counters"]["commands"]
    assert after["counters"]["connects"] == 1
    assert after["counters"]["link_losses"] == 0
    assert sessions == 0  # each console's session ended with it


async def test_through_the_daemon_reboot_waits_and_repl_is_refused(tmp_path: Path) -> None:
    async with make_rig(tmp_path, roles=["touch"]) as rig:
        await rig.wait_board("touch", lambda b: b["state"] == "up")
        port = rig.sim.boards["touch"].path
        asked = await console(port, "-e", "reboot")
        run = await console(port, "--yes", "-e", "reboot", "-e", "reset-cause")
        repl = await console(port, "--yes", "-e", "repl")
        # The reboot is counted at the new session's first HEARTBEAT (its uptime says the board
        # started again while its port was gone), which may come just after the console's answer.
        board = await rig.wait_board("touch", lambda b: b["counters"]["reboots"] >= 1)
        resets = rig.sim.boards["touch"].stats.resets
    assert asked.code == 1 and "not done without confirmation" in asked.err  # the board's
    assert run.code == 0, run
    assert run.out.splitlines() == [
        "> reboot",
        "rebooting now",
        "> reset-cause",
        "soft: asked for: a reboot command, vitrine flash, or the firmware after an error",
    ]
    assert board["counters"]["reboots"] == 1
    # the rp2 port's own cause for machine.reset() (the touch board is an RP2350)
    assert resets == {"power_on": 1, "wdt": 1}
    assert repl.code == 1
    assert "repl --yes: refused: not through the daemon" in repl.err
    assert "stop the daemon (systemctl stop vitrine)" in repl.err
    assert rig.sim.boards["touch"].at_repl is False  # the firmware runs on


async def test_a_production_board_paces_commands_through_the_daemon_too(tmp_path: Path) -> None:
    production = {"touch": BoardOptions(production=True)}
    async with make_rig(tmp_path, roles=["touch"], options=production) as rig:
        await rig.wait_board("touch", lambda b: b["state"] == "up")
        started = time.monotonic()
        paced = await console(rig.sim.boards["touch"].path, "-e", ";".join(["version"] * 14))
        took_s = time.monotonic() - started
    assert paced.code == 0, paced
    assert paced.out.count("> version") == 14
    assert took_s >= 1.0  # the board's rate limit holds: 8 at once, then one every 250 ms


async def test_a_port_held_by_a_daemon_whose_socket_is_not_found_is_busy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with make_rig(tmp_path, roles=["touch"]) as rig:
        await rig.wait_board("touch", lambda b: b["state"] == "up")
        daemon_url = f"http://127.0.0.1:{rig.daemon.http_port}"
        elsewhere = tmp_path / "elsewhere" / "console.sock"
        run = await console(
            rig.sim.boards["touch"].path,
            "--daemon-url",
            daemon_url,
            "--daemon-socket",
            str(elsewhere),
            "-e",
            "status",
        )
    assert run.code == 2
    assert f"is busy: the Vitrine daemon ({daemon_url}) holds it for its touch board" in run.err
    assert f"no daemon's console socket at {elsewhere}; give it with --daemon-socket" in run.err


async def test_an_unknown_board_name_says_what_the_daemon_has(tmp_path: Path) -> None:
    async with make_rig(tmp_path, roles=["touch"]) as rig:
        await rig.wait_board("touch", lambda b: b["state"] == "up")
        run = await console("kitchen", "-e", "status")
    assert run.code == 2
    assert "console: kitchen: no such port, and no running daemon has a board of that name" in (
        run.err
    )
    assert "the daemon has no board on kitchen; its boards: touch (" in run.err


# --- the interactive console, as a person uses it ---------------------------------------------

TMUX = shutil.which("tmux")


class Tmux:
    """A tmux server of this test's own, with one 120x40 window running a command."""

    def __init__(self, socket_name: str) -> None:
        assert TMUX is not None
        self.base = [TMUX, "-L", socket_name]

    async def _tmux(self, *args: str) -> str:
        proc = await asyncio.create_subprocess_exec(
            *self.base, *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
        )
        out, err = await proc.communicate()
        assert proc.returncode == 0, err.decode()
        return out.decode()

    async def start(self, command: str) -> None:
        await self._tmux("new-session", "-d", "-x", "120", "-y", "40", command)

    async def keys(self, *keys: str) -> None:
        await self._tmux("send-keys", *keys)

    async def screen(self) -> str:
        return await self._tmux("capture-pane", "-p")

    async def wait_for(self, pattern: str, timeout: float = 10) -> str:
        """The screen once pattern (a regex) shows on it."""
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = await self.screen()
            if re.search(pattern, screen, re.M):
                return screen
            await asyncio.sleep(0.1)
        raise AssertionError(f"{pattern!r} never showed; the screen:\n{screen}")

    def kill(self) -> None:
        subprocess.run([*self.base, "kill-server"], capture_output=True, check=False)


@pytest.mark.skipif(TMUX is None, reason="tmux is not installed (apt-get install tmux)")
async def test_the_interactive_console_as_a_person_uses_it(tmp_path: Path) -> None:
    history = tmp_path / "history"
    async with simulation(tmp_path, ["touch"]) as s:
        board = s.boards["touch"]
        tmux = Tmux(f"vitrine-console-test-{os.getpid()}")
        command = f"{sys.executable} -m vitrine console {board.path} --history {history}"
        await tmux.start(f"{command}; echo console-exit-$?; sleep 30")
        try:
            screen = await tmux.wait_for(r"^touch>")
            assert "Tab completes" in screen
            # The live area: identity, counters, the straight beams all clear.
            screen = await tmux.wait_for(r"^x\+0  \|\.{100,}\|$")
            assert re.search(r"^touch 0\.1\.0 \(\w+\)  link up", screen, re.M)
            assert re.search(r"^y\+0  \|\.{80}\|$", screen, re.M)
            # Tab completes a command; Enter runs it.
            await tmux.keys("sel", "Tab")
            await tmux.wait_for(r"^touch> selftest\s*$")
            await tmux.keys("Enter")
            await tmux.wait_for(r"^selftest: PASS")
            await tmux.keys("reset-cause", "Enter")
            await tmux.wait_for(r"^power_on: power was switched on")
            # Up twice recalls the selftest, which runs again.
            await tmux.keys("Up", "Up")
            await tmux.wait_for(r"^touch> selftest\s*$")
            await tmux.keys("Enter")
            screen = await tmux.wait_for(r"(?s)selftest: PASS.*selftest: PASS")
            # A finger on the glass shows in the live beam map and in the contacts.
            board.set_fingers([{"x_mm": 350, "y_mm": 200}])
            screen = await tmux.wait_for(r"^x\+0  \|\.+#+\.+\|$")
            assert re.search(r"contacts 1: #\d+ \(35\d, 20\d\)", screen), screen
            # A state-changing command asks first; "n" leaves the board alone.
            await tmux.keys("reboot", "Enter")
            await tmux.wait_for(r"go ahead\? \[y/N\]")
            await tmux.keys("n", "Enter")
            await tmux.wait_for(r"^not done")
            await tmux.keys("exit", "Enter")
            await tmux.wait_for(r"^console-exit-0")
        finally:
            tmux.kill()
            board.set_fingers([])
        assert board.stats.resets == {"power_on": 1}
    assert history.read_text().count("selftest") == 2
    assert "reset-cause" in history.read_text()


@pytest.mark.skipif(TMUX is None, reason="tmux is not installed (apt-get install tmux)")
async def test_the_interactive_console_through_the_daemon(tmp_path: Path) -> None:
    # On a mirror the daemon holds every port: the interactive console goes through it, live
    # area included.
    async with make_rig(tmp_path, roles=["touch"]) as rig:
        await rig.wait_board("touch", lambda b: b["state"] == "up")
        board = rig.sim.boards["touch"]
        history = tmp_path / "history"
        tmux = Tmux(f"vitrine-console-daemon-test-{os.getpid()}")
        command = f"{sys.executable} -m vitrine console {board.path} --history {history}"
        await tmux.start(f"{command}; echo console-exit-$?; sleep 30")
        try:
            screen = await tmux.wait_for(r"^touch>")
            assert "through the daemon's console" in screen
            await tmux.wait_for(r"^x\+0  \|\.{100,}\|$")  # the map, polled through it
            await tmux.wait_for(r"^touch 0\.1\.0 \(\w+\)  link up  up \d+ s")  # its heartbeats
            await tmux.wait_for(r"^host rx \d+ tx \d+ .* \| board rx \d+")  # both sides' counters
            await tmux.keys("selftest", "Enter")
            await tmux.wait_for(r"^selftest: PASS")
            board.set_fingers([{"x_mm": 350, "y_mm": 200}])
            screen = await tmux.wait_for(r"^x\+0  \|\.+#+\.+\|$")
            assert re.search(r"contacts 1: #\d+ \(35\d, 20\d\)", screen), screen
            await tmux.keys("repl", "Enter")
            await tmux.wait_for(r"^refused: not through the daemon")
            await tmux.keys("exit", "Enter")
            await tmux.wait_for(r"^console-exit-0")
        finally:
            tmux.kill()
            board.set_fingers([])
        after = await rig.board("touch")
    assert after["counters"]["link_losses"] == 0
    assert board.stats.resets == {"power_on": 1}
