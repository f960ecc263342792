"""`vitrine bench touch`: the touch frame's numbers.

Accuracy and robustness come from replays of generated scenarios through the firmware's own
pipeline (vitrine.sim.touch) on the 32-inch frame description, 5 mm pitch, fixed seeds:
- single touch: fingers of 8-12 mm moving along random straight paths at 20-300 mm/s;
  error of every reported position against the finger's true centre at that scan.
- exact set: 2, 5 and 10 fingers held and moving slowly, centres at least 20 mm apart (the
  width of a fingertip plus a gap: fingers of one hand spread, or of two shoppers); a scan
  counts when the reported touches are exactly as many as the fingers and each finger has its
  own touch within 2 mm.
- ghosts: 10,000 scans with nothing on the glass, clean; and with 3 dead emitters and strong
  ambient light (half the beam level: the brightest receivers saturate).
- id switches: fingers that never cross keep their id from down to up.
Every scenario has noise sigma 1% and ambient light 20% unless said otherwise.

Timing: the report rate of the 55-inch frame in its scan-timing model (hardware/frames), and
the host's processing from a TOUCH_REPORT's bytes to the player's pointer event.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from vitrine.bench.targets import judged
from vitrine.hardware import frame_config, load_frame
from vitrine.sim.glass import Noise
from vitrine.sim.scenario import PathFinger, Scenario
from vitrine.sim.touch import Scan, replay
from vitrine.tasks import stop_task

TARGETS = {
    "rms_error_mm": ("<=", 0.5),
    "p95_error_mm": ("<=", 1.0),
    "exact_set_rate_2": (">=", 0.999),
    "exact_set_rate_5": (">=", 0.99),
    "exact_set_rate_10": (">=", 0.97),
    "ghosts_per_10k_idle": ("==", 0),
    "ghosts_per_10k_idle_degraded": ("==", 0),
    "id_switches": ("==", 0),
    "report_rate_hz": (">=", 120),
    "host_p99_ms": ("<=", 2.0),
    "e2e_p99_ms": ("<=", 25.0),
}
NOISE = Noise(sigma=0.01, ambient=0.2)
MIN_SEPARATION_MM = 20.0
MATCH_MM = 2.0
EDGE_MM = 10.0  # finger centres stay this far inside the active area
_SWEEP = 200  # reports the host benchmark's contacts move one way before turning back


def _frame() -> dict[str, Any]:
    return frame_config(load_frame("32in"))


def _random_paths(
    rng: random.Random,
    frame: dict[str, Any],
    n: int,
    duration_ms: float,
    speed: tuple[float, float],
) -> list[PathFinger]:
    """n fingers on straight paths that stay MIN_SEPARATION_MM apart the whole time."""
    w, h = frame["width_mm"], frame["height_mm"]
    while True:
        fingers = []
        for i in range(n):
            x0 = rng.uniform(EDGE_MM, w - EDGE_MM)
            y0 = rng.uniform(EDGE_MM, h - EDGE_MM)
            v = rng.uniform(*speed) * duration_ms / 1000
            a = rng.uniform(0, 2 * math.pi)
            x1 = min(max(x0 + v * math.cos(a), EDGE_MM), w - EDGE_MM)
            y1 = min(max(y0 + v * math.sin(a), EDGE_MM), h - EDGE_MM)
            fingers.append(
                PathFinger(i + 1, rng.uniform(8, 12), ((0.0, x0, y0), (duration_ms, x1, y1)))
            )
        if _apart(fingers, duration_ms):
            return fingers


def _apart(fingers: list[PathFinger], duration_ms: float) -> bool:
    for t in np.linspace(0, duration_ms, 11):
        pts = [f.at(t) for f in fingers]
        for i in range(len(pts)):
            for j in range(i):
                if math.dist(pts[i], pts[j]) < MIN_SEPARATION_MM:
                    return False
    return True


def _scenario(
    fingers: list[PathFinger], duration_ms: float, seed: int, noise: Noise = NOISE
) -> Scenario:
    return Scenario(_frame(), noise, duration_ms, tuple(fingers), seed)


def _match(scan: Scan) -> dict[int, int] | None:
    """finger id -> contact id when the scan reports exactly the true set within MATCH_MM."""
    touches = scan.touches
    if len(touches) != len(scan.truth):
        return None
    pairs = {}
    free = list(touches)
    for fid, finger in scan.truth:
        best = min(
            free, key=lambda c: math.hypot(c.x_mm - finger.x_mm, c.y_mm - finger.y_mm), default=None
        )
        if best is None or math.hypot(best.x_mm - finger.x_mm, best.y_mm - finger.y_mm) > MATCH_MM:
            return None
        free.remove(best)
        pairs[fid] = best.id
    return pairs


def measure_single(scenarios: int, seed: int) -> dict[str, float]:
    rng = random.Random(seed)
    errors = []
    for k in range(scenarios):
        fingers = _random_paths(rng, _frame(), 1, 500.0, (20, 300))
        for scan in replay(_scenario(fingers, 500.0, seed + k)):
            if scan.truth and scan.touches:
                f = scan.truth[0][1]
                c = min(scan.touches, key=lambda c: math.hypot(c.x_mm - f.x_mm, c.y_mm - f.y_mm))
                errors.append(math.hypot(c.x_mm - f.x_mm, c.y_mm - f.y_mm))
    e = np.array(errors)
    return {
        "rms_error_mm": round(float(np.sqrt(np.mean(e**2))), 3),
        "p95_error_mm": round(float(np.percentile(e, 95)), 3),
        "max_error_mm": round(float(e.max()), 3),
        "single_scans": len(errors),
    }


def measure_sets(n: int, scenarios: int, seed: int) -> dict[str, float]:
    rng = random.Random(seed * 1000 + n)
    exact = total = switches = 0
    for k in range(scenarios):
        fingers = _random_paths(rng, _frame(), n, 400.0, (0, 100))
        ids: dict[int, int] = {}
        for scan in replay(_scenario(fingers, 400.0, seed + 7919 * n + k)):
            total += 1
            pairs = _match(scan)
            if pairs is None:
                continue
            exact += 1
            for fid, cid in pairs.items():
                if fid in ids and ids[fid] != cid:
                    switches += 1
                ids[fid] = cid
    return {
        f"exact_set_rate_{n}": round(exact / total, 5),
        f"id_switches_{n}": switches,
        f"scans_{n}": total,
    }


def measure_ghosts(scans: int, seed: int, noise: Noise) -> int:
    """Scans with a touch reported while nothing is on the glass, per 10,000."""
    ghosts = sum(1 for scan in replay(_scenario([], scans * 5.0, seed, noise)) if scan.touches)
    return round(ghosts * 10_000 / scans, 3)


def run_touch_bench(quick: bool = False, progress: Callable[[str], None] = print) -> dict[str, Any]:
    seed = 20261124
    scale = 0.2 if quick else 1.0
    result: dict[str, Any] = {"seed": seed, "frame": "32in", "noise_sigma": NOISE.sigma}
    t0 = time.monotonic()
    progress("single touch accuracy")
    result.update(measure_single(max(10, int(200 * scale)), seed))
    switches = 0
    for n, count in ((2, 100), (5, 100), (10, 100)):
        progress(f"exact set, {n} fingers")
        r = measure_sets(n, max(5, int(count * scale)), seed)
        switches += r.pop(f"id_switches_{n}")
        result.update(r)
    result["id_switches"] = switches
    idle = max(2000, int(10_000 * scale))
    progress(f"ghosts, {idle} idle scans")
    result["ghosts_per_10k_idle"] = measure_ghosts(idle, seed, NOISE)
    degraded = Noise(sigma=0.01, ambient=0.5, dead={"x": [17, 90], "y": [40]})
    progress(f"ghosts, {idle} idle scans, 3 dead emitters, strong ambient light")
    result["ghosts_per_10k_idle_degraded"] = measure_ghosts(idle, seed + 1, degraded)
    progress("host processing, 10 contacts per report")
    result.update(measure_host(2000 if quick else 20000))
    trials = 20 if quick else 200
    progress(f"end to end on virtual hardware, {trials} touches")
    import asyncio

    result.update(asyncio.run(_e2e(trials, progress)))
    big = load_frame("55in")
    result["scan_time_ms_55in"] = round(big.scan_time_us() / 1000, 3)
    result["report_rate_hz"] = round(1e6 / big.scan_time_us(), 1)
    result["elapsed_s"] = round(time.monotonic() - t0, 1)
    result.update(judged(result, TARGETS))
    return result


# --- host processing and end to end ---------------------------------------------------------


def measure_host(reports: int) -> dict[str, float]:
    """From a TOUCH_REPORT's bytes to the JSON the player gets: decode, typed message, the
    touch device's mapping and gestures, JSON text. 10 moving contacts per report."""
    import json
    import zlib

    import cobs.cobs

    from vitrine.devices.touch.config import TouchConfig
    from vitrine.devices.touch.frame import TouchFrame
    from vitrine.link import messages as m
    from vitrine_fw import wire

    frame = TouchFrame(None, TouchConfig(), 700.0, 400.0)  # type: ignore[arg-type]
    reader = wire.FrameReader(cobs.cobs.decode, zlib.crc32, cobs.cobs.DecodeError)
    times = []
    for k in range(reports):
        state = wire.CONTACT_DOWN if k == 0 else wire.CONTACT_MOVE
        step = k % _SWEEP if k % (2 * _SWEEP) < _SWEEP else _SWEEP - k % _SWEEP  # back and forth
        contacts = [
            m.Contact(i, state, 50 + 60 * i + 0.3 * step, 40 + 30 * i + 0.2 * step, 9.0)
            for i in range(10)
        ]
        data = wire.encode_message(
            wire.TOUCH_REPORT, k & 0xFFFF, (k & 0xFFFF, 0, m.pack_contacts(contacts))
        )
        t0 = time.perf_counter_ns()
        for _version, _flags, seq, typ, payload, _offset in reader.feed(data):
            report = m.from_payload("touch", seq, typ, payload, t0)
            for event in frame.handle(report):  # type: ignore[arg-type]
                json.dumps(event.to_json())
        times.append((time.perf_counter_ns() - t0) / 1e6)
    times.sort()
    return {
        "host_p50_ms": round(times[len(times) // 2], 4),
        "host_p99_ms": round(times[int(0.99 * len(times))], 4),
    }


async def _board_up(daemon: Any, url: str) -> None:
    import asyncio

    async with asyncio.timeout(20):
        while url not in daemon.boards.links:  # noqa: ASYNC110 - the daemon adds it soon
            await asyncio.sleep(0.01)
        await daemon.boards.links[url].wait_up(20)


async def _pointer(ws: Any, kind: str) -> None:
    """Wait (5 s at most) for the next pointer event of this kind on the daemon's /ws."""
    import asyncio
    import json

    async with asyncio.timeout(5):
        while True:
            event = json.loads(await ws.recv())
            if event.get("type") == "pointer" and event.get("kind") == kind:
                return


async def finger_to_pointer_ms(
    port: int | None,
    state: Path,
    trials: int,
    progress: Callable[[str], None],
    every: int,
) -> list[float]:
    """Put a finger on the virtual touch board of the simulation at `state` and lift it,
    `trials` times at points spread over the glass: each time, ms from the finger put down
    until the daemon's /ws (on `port`) gives its pointer-down event. Progress ("k/trials")
    every `every` trials."""
    import websockets

    from vitrine.sim.control import request

    latencies = []
    async with websockets.connect(f"ws://127.0.0.1:{port}/ws") as ws:
        for k in range(trials):
            x, y = 100 + (k * 37) % 500, 60 + (k * 53) % 280
            t0 = time.monotonic()
            finger = {"x_mm": x, "y_mm": y, "diameter_mm": 9}
            await request(state, {"op": "fingers", "role": "touch", "fingers": [finger]})
            await _pointer(ws, "down")
            latencies.append((time.monotonic() - t0) * 1000)
            await request(state, {"op": "fingers", "role": "touch", "fingers": []})
            await _pointer(ws, "up")
            if k % every == 0:
                progress(f"{k}/{trials}")
    return latencies


async def _e2e(trials: int, progress: Callable[[str], None]) -> dict[str, float]:
    """A virtual touch board (`vitrine sim`, its own process) and the daemon (this process):
    time from a finger put on the simulated glass until the pointer-down event arrives in a
    WebSocket client of the daemon's /ws, as the player would get it."""
    import asyncio
    import json
    import subprocess
    import sys
    import tempfile

    from vitrine.config import parse_config
    from vitrine.daemon import Daemon

    with tempfile.TemporaryDirectory(prefix="vitrine-bench-") as tmp:
        state = Path(tmp)
        proc = subprocess.Popen(  # noqa: ASYNC220 - started once, returns at once
            [sys.executable, "-m", "vitrine", "sim", "--role", "touch", "--state-dir", tmp],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 20
            while not (state / "boards.json").exists():
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("vitrine sim did not start")
                await asyncio.sleep(0.05)
            url = json.loads((state / "boards.json").read_text())["touch"]
            config = parse_config(
                f'[http]\nport = 0\n[boards]\ndiscover_usb = false\nports = {{ touch = "{url}" }}\n'
                f"[data]\ndir = {json.dumps(str(state / 'data'))}\n"
            )
            daemon = Daemon(config)
            task = asyncio.create_task(daemon.run())
            try:
                async with asyncio.timeout(20):
                    await daemon.ready.wait()
                await _board_up(daemon, url)
                latencies = await finger_to_pointer_ms(
                    daemon.http_port, state, trials, lambda n: progress(f"end to end: {n}"), 20
                )
            finally:
                await stop_task(task)
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
    latencies.sort()
    return {
        "e2e_p50_ms": round(latencies[len(latencies) // 2], 2),
        "e2e_p99_ms": round(latencies[int(0.99 * len(latencies))], 2),
        "e2e_trials": len(latencies),
    }
