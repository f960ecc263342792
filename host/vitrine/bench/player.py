"""`vitrine bench player`: the player in a real browser, on virtual hardware.

Virtual boards run in their own `vitrine sim` process, the daemon in its own `vitrine run`
process (as systemd starts it, told READY=1 through NOTIFY_SOCKET), and Debian's Chromium,
driven by Playwright, shows the player at the display's size, as the kiosk does.

- first paint: Chromium is already running (the kiosk starts with the daemon); from READY=1
  until the player's first contentful paint (the browser's own paint timing, on the same
  wall clock);
- touch: a finger put on the virtual glass (the simulator's control socket) until the page's
  pointerdown handler runs for it (the page stamps performance.timeOrigin + now()), for each of
  `trials` taps spread over the display;
- transitions (reported, no target): the intervals between the page's animation frames for a
  second after each of four screen changes; 16.7 ms is 60 fps, an interval over 20 ms a
  dropped frame. Headless Chromium paints in software here, without a GPU.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from vitrine.bench.daemon import VITRINE, _Boards, free_port, write_config
from vitrine.bench.targets import judged, percentile
from vitrine.errors import VitrineError
from vitrine.player.chromium import CHROMIUM, HEADLESS_ARGS

TARGETS = {
    "touch_p99_ms": ("<=", 50.0),
    "first_paint_s": ("<=", 1.0),
}
DISPLAY = (1920, 1080)  # the touch config's default display, in px
START_TIMEOUT_S = 30.0
PAUSE_S = 0.25  # between a lift and the next tap: a quick shopper's pace
TRANSITION_FRAMES = 60  # frames recorded from each screen change (a second at 60 Hz)
SLOW_FRAME_MS = 20.0  # a transition frame longer than this is counted (below 50 frames/s)


async def _start_daemon(config: Path, folder: Path) -> tuple[asyncio.subprocess.Process, float]:
    """Spawn `vitrine run` as systemd would; returns it and the wall-clock time of READY=1."""
    notify = folder / "notify"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(notify))
    sock.setblocking(False)
    loop = asyncio.get_running_loop()
    env = {**os.environ, "NOTIFY_SOCKET": str(notify)}
    log = (folder / "daemon.log").open("wb")
    proc = await asyncio.create_subprocess_exec(
        *VITRINE, "run", "--config", str(config), env=env, stderr=log
    )
    try:
        async with asyncio.timeout(START_TIMEOUT_S):
            while True:
                data = await loop.sock_recv(sock, 4096)
                if b"READY=1" in data:
                    return proc, time.time()
    except TimeoutError:
        proc.kill()
        raise RuntimeError(
            f"the daemon was not ready within {START_TIMEOUT_S:.0f} s: "
            f"{(folder / 'daemon.log').read_text()[-2000:]}"
        ) from None
    finally:
        sock.close()
        log.close()


async def _run_async(trials: int, progress: Callable[[str], None]) -> dict[str, Any]:
    from playwright.async_api import async_playwright

    from vitrine.catalog.sample import install_sample
    from vitrine.sim.control import request

    with tempfile.TemporaryDirectory(prefix="vitrine-bench-") as tmp:
        folder = Path(tmp)
        progress("sample catalogue")
        install_sample(folder / "data")
        progress("virtual boards for every role")
        async with _Boards(folder) as boards, async_playwright() as pw:
            browser = await pw.chromium.launch(
                executable_path=str(CHROMIUM), args=list(HEADLESS_ARGS)
            )
            page = await browser.new_page(viewport={"width": DISPLAY[0], "height": DISPLAY[1]})
            port = free_port()
            config = write_config(folder / "vitrine.toml", boards.ports, port)
            progress("daemon start, then the player's first paint")
            proc, ready_at = await _start_daemon(config, folder)
            try:
                await page.goto(f"http://127.0.0.1:{port}/?cursor=0")
                paint = await page.evaluate(
                    """() => new Promise(resolve => {
                        const done = e => resolve(performance.timeOrigin + e.startTime);
                        const seen = performance.getEntriesByName('first-contentful-paint');
                        if (seen.length) return done(seen[0]);
                        new PerformanceObserver(list => {
                            const e = list.getEntriesByName('first-contentful-paint')[0];
                            if (e) done(e);
                        }).observe({type: 'paint', buffered: true});
                    })"""
                )
                first_paint_s = paint / 1000 - ready_at
                await page.wait_for_function("() => window.vitrine && window.vitrine.connected")
                progress(f"{trials} taps on the virtual glass")
                latencies = []
                for k in range(trials):
                    x_mm, y_mm = 120 + (k * 37) % 420, 80 + (k * 53) % 220
                    seen = await page.evaluate("() => window.vitrine.handled.length")
                    t0 = time.time()
                    await request(
                        boards.state_dir,
                        {
                            "op": "fingers",
                            "role": "touch",
                            "fingers": [{"x_mm": x_mm, "y_mm": y_mm, "diameter_mm": 9}],
                        },
                    )
                    handle = await page.wait_for_function(
                        f"() => window.vitrine.handled.length > {seen} && "
                        f"window.vitrine.handled[window.vitrine.handled.length - 1]",
                        timeout=5000,
                    )
                    handled = await handle.json_value()
                    latencies.append(handled["handled_epoch_ms"] - t0 * 1000)
                    await request(
                        boards.state_dir, {"op": "fingers", "role": "touch", "fingers": []}
                    )
                    await asyncio.sleep(PAUSE_S)
                    if k % 20 == 0:
                        progress(f"taps: {k}/{trials}")
                progress("screen transitions, frame by frame")
                frames = await _transition_frames(page, port)
            finally:
                proc.terminate()
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(10):
                        await proc.wait()
                if proc.returncode is None:
                    proc.kill()
                await browser.close()
    return {
        "first_paint_s": round(first_paint_s, 3),
        "touch_trials": len(latencies),
        "touch_p50_ms": round(statistics.median(latencies), 2),
        "touch_p99_ms": round(percentile(latencies, 0.99), 2),
        "touch_max_ms": round(max(latencies), 2),
        "transition_frames": len(frames),
        "transition_frame_p50_ms": round(statistics.median(frames), 2),
        "transition_frame_p95_ms": round(percentile(frames, 0.95), 2),
        "transition_frame_max_ms": round(max(frames), 2),
        "transition_frames_over_20ms": sum(1 for f in frames if f > SLOW_FRAME_MS),
    }


_RECORD_FRAMES = """(n) => {
    window.__frames = [];
    let last = performance.now();
    const tick = (t) => {
        window.__frames.push(t - last);
        last = t;
        if (window.__frames.length < n) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
}"""


async def _transition_frames(page: Any, port: int) -> list[float]:
    """Frame intervals (ms) while the page moves between screens, as the engine asks it to
    (actions on a socket of the bench's own): home, a category, a product, the lighting."""
    import json
    import urllib.request

    import websockets

    def first_product(category: str) -> str:
        url = f"http://127.0.0.1:{port}/api/catalog/products?category={category}&limit=1"
        with urllib.request.urlopen(url, timeout=5) as response:
            return json.load(response)["items"][0]["sku"]

    sku = await asyncio.to_thread(first_product, "knitwear")
    steps = [
        {"type": "navigate", "screen": "home"},
        {"type": "navigate", "screen": "browse", "category": "knitwear"},
        {"type": "navigate", "screen": "product", "sku": sku},
        {"type": "navigate", "screen": "lighting"},
    ]
    frames: list[float] = []
    async with websockets.connect(f"ws://127.0.0.1:{port}/player/ws") as ws:
        for step in steps:
            await page.evaluate(_RECORD_FRAMES, TRANSITION_FRAMES)
            await ws.send(json.dumps(step))
            await page.wait_for_function(
                f"() => window.__frames.length >= {TRANSITION_FRAMES}", timeout=10_000
            )
            frames += (await page.evaluate("() => window.__frames"))[1:]
    return frames


def run_player_bench(trials: int = 200, progress: Callable[[str], None] = print) -> dict[str, Any]:
    """Measure first paint and touch-to-handler latency; names each figure's target."""
    if trials < 1:
        raise ValueError(f"trials={trials}: allowed 1 or more")
    if not CHROMIUM.exists():
        raise VitrineError(f"the player benchmark needs Chromium at {CHROMIUM} (make setup)")
    result = asyncio.run(_run_async(trials, progress))
    return {
        "bench": "player",
        "cpu_count": os.cpu_count(),
        "display_px": list(DISPLAY),
        **result,
        **judged(result, TARGETS),
    }
