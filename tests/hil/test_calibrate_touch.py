"""`vitrine calibrate touch` end to end: a virtual touch board whose frame is mounted off
nominal, the real daemon, and a technician (this test) who reads each prompt and holds a finger
on the glass where that display target really is. The written config must then map the frame
as the mounting does, and keep everything else in the file; the targets reach the player
through the daemon, and are hidden however the calibration ends."""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import re
import signal
import socket
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import numpy as np
import pytest
import websockets

from vitrine.cli.calibrate import MirrorTargets, daemon_events
from vitrine.config import load_config
from vitrine.config_file import write_calibration
from vitrine.devices.touch.calibrate import calibrate, targets
from vitrine.devices.touch.mapping import Mapping
from vitrine.web.calibration_token import authorization, calibration_key

from .conftest import Rig, make_rig

pytestmark = pytest.mark.hil

Point = tuple[float, float]
W_MM, H_MM = 700.0, 400.0  # the 32-inch frame
W_PX, H_PX = 1920, 1080
PX_PER_MM = W_PX / W_MM
NOMINAL = np.array(Mapping.nominal((W_MM, H_MM), (W_PX, H_PX)).matrix)
PROMPT = re.compile(r"Touch and hold target (\d) of 4 \(([a-z-]+)\) at \(([\d.]+), ([\d.]+)\) px")
HOLD_S = 0.4

CONFIG = """\
# Mirror 7, by the entrance. Installed 2024-03-02.
[http]
host = "127.0.0.1"
port = {port}  # the player connects here

[touch]
frame = "32in"  # the frame model
display_width_px = 1920
display_height_px = 1080

[touch.gestures]
long_press_s = 0.6  # slower for the window display

# From the first installation (the frame has been remounted since).
[[touch.calibration]]
frame_mm = [0.0, 0.0]
display_px = [0.0, 0.0]
[[touch.calibration]]
frame_mm = [700.0, 0.0]
display_px = [1920.0, 0.0]
[[touch.calibration]]
frame_mm = [700.0, 400.0]
display_px = [1920.0, 1080.0]
[[touch.calibration]]
frame_mm = [0.0, 400.0]
display_px = [0.0, 1080.0]

[link]
heartbeat_s = 1.0  # keep in step with the boards
"""
COMMENTS = [line[line.index("#") :] for line in CONFIG.splitlines() if "#" in line]


def _about_centre(matrix: np.ndarray) -> np.ndarray:
    c = np.array([[1.0, 0.0, -W_MM / 2], [0.0, 1.0, -H_MM / 2], [0.0, 0.0, 1.0]])
    return np.linalg.inv(c) @ matrix @ c


def shifted_and_turned() -> np.ndarray:
    # The frame 12 mm right and 7 mm up of where it belongs, and turned 1 degree.
    a = math.radians(1.0)
    mount = [[math.cos(a), -math.sin(a), 12.0], [math.sin(a), math.cos(a), -7.0], [0, 0, 1]]
    return NOMINAL @ _about_centre(np.array(mount))


def mirrored_and_keystoned() -> np.ndarray:
    # The frame mounted back to front (its x axis runs right to left on the display), and
    # seen slightly in perspective.
    mirror = np.array([[-1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    keystone = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [4e-5, -3e-5, 1.0]])
    return NOMINAL @ _about_centre(mirror @ keystone)


def apply(h: np.ndarray, p: Point) -> Point:
    x, y, w = h @ np.array([p[0], p[1], 1.0])
    return (float(x / w), float(y / w))


async def technician(
    lines: AsyncIterator[str], rig: Rig, h_true: np.ndarray, heard: list[str]
) -> None:
    """For each prompt: a finger on the frame where the prompt's display target is, held
    still for HOLD_S, lifted."""
    to_frame = np.linalg.inv(h_true)
    async for line in lines:
        heard.append(line)
        match = PROMPT.search(line)
        if not match:
            continue
        x_mm, y_mm = apply(to_frame, (float(match[3]), float(match[4])))
        assert 0 < x_mm < W_MM and 0 < y_mm < H_MM, (x_mm, y_mm)
        await finger(rig, [{"x_mm": x_mm, "y_mm": y_mm}])
        await asyncio.sleep(HOLD_S)
        await finger(rig, [])


async def finger(rig: Rig, fingers: list[dict[str, float]]) -> None:
    await rig.sim.handle({"op": "fingers", "role": "touch", "fingers": fingers})


@contextlib.asynccontextmanager
async def drawn(rig: Rig) -> AsyncIterator[list[dict[str, object]]]:
    """The calibration messages the daemon sends its clients (the player among them) while
    inside, in order."""
    seen: list[dict[str, object]] = []
    async with websockets.connect(f"ws://127.0.0.1:{rig.daemon.http_port}/ws") as ws:

        async def listen() -> None:
            async for message in ws:
                event = json.loads(message)
                if event.get("type") == "calibration":
                    seen.append(event)

        listening = asyncio.create_task(listen())
        try:
            yield seen
        finally:
            await asyncio.sleep(0.2)  # the last messages on their way
            listening.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await listening


def check_drawn(seen: list[dict[str, object]]) -> None:
    """Each target once, where the prompts said, then hidden."""
    assert [(e["step"], e["of"], e["x"], e["y"]) for e in seen[:-1]] == [
        (t.number, 4, t.x, t.y) for t in targets(W_PX, H_PX)
    ]
    assert seen[-1] == {
        "type": "calibration",
        "step": None,
        "of": 0,
        "x": None,
        "y": None,
        "text": "",
    }


@contextlib.asynccontextmanager
async def touch_rig(tmp_path: Path) -> AsyncIterator[Rig]:
    async with make_rig(tmp_path, roles=["touch"]) as rig:
        await rig.wait_board("touch", lambda b: b["state"] == "up")
        await rig.touch_ready()  # the technician's fingers come after the baseline
        yield rig


def check_written(path: Path, h_true: np.ndarray) -> None:
    text = path.read_text()
    for comment in COMMENTS:
        assert comment in text, comment
    assert text.count("[[touch.calibration]]") == 4
    assert "frame_mm = [700.0, 0.0]" not in text  # the old calibration is gone
    config = load_config(path)
    assert config.touch.gestures.long_press_s == 0.6
    assert config.link.heartbeat_s == 1.0
    assert [p[1] for p in config.touch.calibration_pairs()] == [
        t.display_px for t in targets(W_PX, H_PX)
    ]
    mapping = config.touch.mapping(W_MM, H_MM)
    grid = [(x, y) for x in (20.0, 200.0, 350.0, 520.0, 680.0) for y in (15.0, 200.0, 385.0)]
    # Each target is where the frame saw the finger: within the touch's own accuracy (single
    # points up to about 1 mm off: a 5 mm pitch leaves an edge between two beams open), and
    # four of them carried out to the frame's corners. 1 mm is 2.7 px on this display.
    errors = {p: math.dist(mapping.map(*p), apply(h_true, p)) for p in grid}
    for p in grid:
        assert errors[p] < 2.0 * PX_PER_MM, p


@pytest.mark.parametrize(
    "h_true", [shifted_and_turned, mirrored_and_keystoned], ids=["shifted", "mirrored"]
)
async def test_calibration_through_the_daemon(
    tmp_path: Path, h_true: Callable[[], np.ndarray]
) -> None:
    truth = h_true()
    path = tmp_path / "vitrine.toml"
    path.write_text(CONFIG.format(port=8080))
    config = load_config(path)
    prompts: asyncio.Queue[str] = asyncio.Queue()

    async def said() -> AsyncIterator[str]:
        while True:
            yield await prompts.get()

    async with touch_rig(tmp_path) as rig, drawn(rig) as seen:
        heard: list[str] = []
        playing = asyncio.create_task(technician(said(), rig, truth, heard))
        url = f"ws://127.0.0.1:{rig.daemon.http_port}/ws"
        signed = authorization(calibration_key(rig.daemon.secret))  # as the command signs it
        try:
            async with websockets.connect(url, additional_headers=signed) as ws:
                result = await calibrate(
                    daemon_events(ws),
                    targets(config.touch.display_width_px, config.touch.display_height_px),
                    timeout=10,
                    say=prompts.put_nowait,
                    mirror=MirrorTargets(ws),
                )
        finally:
            playing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await playing
    check_drawn(seen)
    assert [line[:28] for line in heard if line.startswith("Touch and hold")] == [
        f"Touch and hold target {n} of 4" for n in (1, 2, 3, 4)
    ]
    assert not [line for line in heard if "Not used" in line]
    assert all(h.held_s >= 0.3 for h in result.holds)
    write_calibration(path, result.pairs)
    check_written(path, truth)


# --- the command itself, as a technician runs it -----------------------------------------------


async def command(*args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "vitrine",
        "calibrate",
        "touch",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def lines_of(stream: asyncio.StreamReader) -> AsyncIterator[str]:
    while line := await stream.readline():
        yield line.decode()


async def test_the_command_writes_the_calibration(tmp_path: Path) -> None:
    truth = shifted_and_turned()
    async with touch_rig(tmp_path) as rig, drawn(rig) as seen:
        path = tmp_path / "vitrine.toml"
        # The command finds the daemon through the config's [http] section.
        path.write_text(CONFIG.format(port=rig.daemon.http_port))
        path.chmod(0o640)
        proc = await command("--config", str(path), "--timeout", "20")
        assert proc.stdout is not None and proc.stderr is not None
        heard: list[str] = []
        async with asyncio.timeout(60):
            await technician(lines_of(proc.stdout), rig, truth, heard)
        code = await proc.wait()
        err = (await proc.stderr.read()).decode()
    out = "".join(heard)
    assert code == 0, out + err
    check_drawn(seen)
    assert "Calibration solved" in out
    assert "Restart the daemon to use it" in out
    assert stat_mode(path) == 0o640
    assert sorted(os.listdir(tmp_path)) == ["sim", "vitrine.toml"]
    check_written(path, truth)


async def test_dry_run_prints_and_leaves_the_file(tmp_path: Path) -> None:
    truth = mirrored_and_keystoned()
    async with touch_rig(tmp_path) as rig:
        path = tmp_path / "vitrine.toml"
        path.write_text(CONFIG.format(port=8080))
        before = path.read_bytes()
        url = f"ws://127.0.0.1:{rig.daemon.http_port}/ws"
        proc = await command("--config", str(path), "--url", url, "--dry-run")
        assert proc.stdout is not None
        heard: list[str] = []
        async with asyncio.timeout(60):
            await technician(lines_of(proc.stdout), rig, truth, heard)
        assert await proc.wait() == 0
    assert path.read_bytes() == before
    out = "".join(heard)
    printed = out[out.index("It would read:\n") + len("It would read:\n") :].lstrip("\n")
    assert printed.startswith("# Mirror 7, by the entrance.")
    assert printed.count("[[touch.calibration]]") == 4
    (tmp_path / "printed.toml").write_text(printed)
    check_written(tmp_path / "printed.toml", truth)


async def test_ctrl_c_leaves_the_file_and_hides_the_target(tmp_path: Path) -> None:
    async with touch_rig(tmp_path) as rig, drawn(rig) as seen:
        path = tmp_path / "vitrine.toml"
        path.write_text(CONFIG.format(port=rig.daemon.http_port))
        before = path.read_bytes()
        proc = await command("--config", str(path))
        assert proc.stdout is not None and proc.stderr is not None
        async for line in lines_of(proc.stdout):
            if PROMPT.search(line):
                break
        for _ in range(100):  # the first target on the mirror
            if seen:
                break
            await asyncio.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        async with asyncio.timeout(20):
            code = await proc.wait()
        err = (await proc.stderr.read()).decode()
    assert code == 130, err
    assert [e["step"] for e in seen] == [1, None]  # the first target, then hidden
    assert f"calibration stopped: {path} not changed" in err
    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["sim", "vitrine.toml"]


async def test_a_program_without_the_daemons_key_draws_no_target(tmp_path: Path) -> None:
    """On the mirror, but not signed with the daemon's key (a page's script, a program run
    by another user): its targets are refused and the player draws nothing."""
    target = {"type": "calibration", "step": 1, "of": 4, "x": 10.0, "y": 10.0, "text": "x"}
    async with touch_rig(tmp_path) as rig, drawn(rig) as seen:
        url = f"ws://127.0.0.1:{rig.daemon.http_port}/ws"
        for headers in ({}, authorization(calibration_key(bytes(32)))):
            async with websockets.connect(url, additional_headers=headers) as ws:
                await ws.send(json.dumps(target))
                async with asyncio.timeout(5):
                    while (answer := json.loads(await ws.recv()))["type"] != "error":
                        pass
                assert "vitrine calibrate touch" in answer["error"]
    assert seen == []


async def test_the_command_says_so_when_it_cannot_read_the_daemons_key(tmp_path: Path) -> None:
    async with touch_rig(tmp_path) as rig:
        path = tmp_path / "vitrine.toml"
        other = tmp_path / "not-the-daemons-data"
        other.mkdir()
        text = CONFIG.format(port=rig.daemon.http_port) + f'\n[data]\ndir = "{other}"\n'
        path.write_text(text)
        proc = await command("--config", str(path))
        assert proc.stdout is not None and proc.stderr is not None
        async with asyncio.timeout(30):
            code = await proc.wait()
        err = (await proc.stderr.read()).decode()
    assert code == 2, err
    assert f"{other / 'secret.key'}: no secret key" in err
    assert "Traceback" not in err
    assert path.read_text() == text


def test_daemon_not_reachable(tmp_path: Path) -> None:
    import subprocess

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    path = tmp_path / "vitrine.toml"
    path.write_text(CONFIG.format(port=port))
    before = path.read_bytes()
    proc = subprocess.run(
        [sys.executable, "-m", "vitrine", "calibrate", "touch", "--config", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert f"cannot reach the daemon at ws://127.0.0.1:{port}/ws" in proc.stderr
    assert "vitrine run --config" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert path.read_bytes() == before


def stat_mode(path: Path) -> int:
    return path.stat().st_mode & 0o7777
