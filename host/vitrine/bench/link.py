"""`vitrine bench link`: the link's numbers.

- decode throughput: 64-byte-payload frames through the host's decoder on one core
  (compiled COBS + zlib CRC), and on to typed messages; the pure-Python path for reference.
- latency: a virtual board streams PROBE frames at 200 Hz, each stamped with the board's
  clock when written; the latency is the time until the typed event reaches a bus
  subscriber on the host (board and host share the machine's monotonic clock).
- recovery: unplug/replug (time from replug until PROBE frames arrive again), reset button
  (time until the link is up again), garbage (100,000 random bytes injected into a 200 Hz
  stream: every frame written after them must arrive, and the host's event loop must never
  stall for long), and a firmware hang (time until the watchdog reset is seen).

The simulation runs in its own process (`vitrine sim`), as boards are separate machines.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cobs.cobs

from vitrine.bench.targets import judged, percentile
from vitrine.bus import EventBus
from vitrine.link import BoardLink
from vitrine.link import messages as m
from vitrine.sim.control import request
from vitrine.tasks import stop_task
from vitrine_fw import wire

TARGETS = {
    "decode_fps": (">=", 50_000),
    "latency_p99_ms": ("<", 2.0),
    "recovery_unplug_s": ("<=", 2.0),
    "garbage_lost_frames": ("==", 0),
    "garbage_max_loop_stall_ms": ("<=", 50.0),
}
_TICKS_MASK = (1 << 30) - 1
_PAYLOAD = 64


def _probe_frames(n: int) -> bytes:
    pad = bytes(range(1, _PAYLOAD - 8))  # PROBE: t_us, index, pad length + pad = 64 bytes
    return b"".join(
        wire.encode_message(wire.PROBE, i & 0xFFFF, (i * 977, i, pad)) for i in range(n)
    )


def measure_decode(frames: int) -> dict[str, Any]:
    """Frames per second through the host decoder, on one core."""
    data = _probe_frames(frames)
    chunks = [data[i : i + 4096] for i in range(0, len(data), 4096)]
    cpus = os.sched_getaffinity(0)
    with contextlib.suppress(OSError):
        os.sched_setaffinity(0, {min(cpus)})
    try:
        results = {}
        for label, reader_args, typed in (
            ("decode_fps", (cobs.cobs.decode, zlib.crc32, cobs.cobs.DecodeError), False),
            ("typed_fps", (cobs.cobs.decode, zlib.crc32, cobs.cobs.DecodeError), True),
            ("decode_fps_pure_python", (), False),
        ):
            best = 0.0
            for _ in range(3):
                reader = wire.FrameReader(*reader_args)
                count = 0
                start = time.perf_counter()
                for chunk in chunks:
                    out = reader.feed(chunk)
                    if typed:
                        for _v, _f, seq, typ, payload, _o in out:
                            m.from_payload("bench", seq, typ, payload, 0)
                    count += len(out)
                elapsed = time.perf_counter() - start
                if count != frames:
                    raise RuntimeError(f"decoded {count} of {frames} frames")
                best = max(best, count / elapsed)
            results[label] = round(best)
    finally:
        with contextlib.suppress(OSError):
            os.sched_setaffinity(0, cpus)
    results["frame_bytes_on_wire"] = len(data) // frames
    return results


class _Harness:
    """A `vitrine sim` process with one board, and a BoardLink to it in this process."""

    def __init__(self, role: str) -> None:
        self.role = role
        self._tmp = tempfile.TemporaryDirectory(prefix="vitrine-bench-")
        self.state_dir = Path(self._tmp.name)
        self.bus = EventBus()
        self.proc: subprocess.Popen[bytes] | None = None
        self.link: BoardLink | None = None
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> _Harness:
        self.proc = subprocess.Popen(  # noqa: ASYNC220 - started once, returns at once
            [
                sys.executable,
                "-m",
                "vitrine",
                "sim",
                "--role",
                self.role,
                "--state-dir",
                str(self.state_dir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        ports = self.state_dir / "boards.json"
        deadline = time.monotonic() + 20
        while not ports.exists():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                err = self.proc.stderr.read().decode() if self.proc.stderr else ""
                raise RuntimeError(f"vitrine sim did not start: {err}")
            await asyncio.sleep(0.05)
        url = json.loads(ports.read_text())[self.role]
        self.link = BoardLink(url, self.bus, role=self.role)
        self._task = asyncio.create_task(self.link.run())
        await self.link.wait_up(20)
        return self

    async def __aexit__(self, *exc: object) -> None:
        try:
            if self.link:
                await self.link.close()
            if self._task:
                await stop_task(self._task)
        finally:
            if self.proc:
                self.proc.terminate()
                try:
                    self.proc.wait(10)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
            self._tmp.cleanup()

    async def fault(self, kind: str, arg: int | None = None) -> None:
        await request(self.state_dir, {"op": "fault", "role": self.role, "fault": kind, "arg": arg})

    async def start_probe(self, rate_hz: int, count: int = 0) -> None:
        assert self.link is not None
        await self.link.wait_up(10)
        await self.link.command(wire.PROBE_START, rate_hz, count, _PAYLOAD)


async def measure_latency(h: _Harness, frames: int) -> dict[str, Any]:
    """p50/p99/max from board write to bus delivery, at 200 Hz."""
    latencies: list[float] = []
    indices: list[int] = []
    with h.bus.subscribe(m.Probe) as sub:
        await h.start_probe(200, frames)
        deadline = time.monotonic() + frames / 200 + 5
        while len(latencies) < frames and time.monotonic() < deadline:
            try:
                probe = await sub.get(1.0)
            except TimeoutError:
                continue
            now_us = time.monotonic_ns() // 1000
            latencies.append(((now_us - probe.t_us) & _TICKS_MASK) / 1000)
            indices.append(probe.index)
    received = len(latencies)
    return {
        "latency_frames": received,
        "latency_lost_frames": frames - received,
        "latency_p50_ms": round(statistics.median(latencies), 3),
        "latency_p99_ms": round(percentile(latencies, 0.99), 3),
        "latency_max_ms": round(max(latencies), 3),
        "latency_rate_hz": 200,
    }


async def measure_unplug(h: _Harness, rounds: int) -> dict[str, Any]:
    """Seconds from replug until PROBE frames arrive again (worst of rounds)."""
    times = []
    with h.bus.subscribe(m.Probe) as sub:
        await h.start_probe(200)
        for _ in range(rounds):
            await sub.next(m.Probe, 5)
            await h.fault("unplug")
            await asyncio.sleep(1.0)
            sub.drain()  # what arrived before the unplug
            replugged = time.monotonic()
            await h.fault("replug")
            await sub.next(m.Probe, 10)
            times.append(time.monotonic() - replugged)
    return {"recovery_unplug_s": round(max(times), 3), "recovery_unplug_rounds": rounds}


async def measure_reboot(h: _Harness) -> dict[str, Any]:
    """Seconds from the reset button until the link is up again."""
    with h.bus.subscribe(m.BoardConnected) as sub:
        pressed = time.monotonic()
        await h.fault("reboot")
        hello = (await sub.next(m.BoardConnected, 15)).hello
        elapsed = time.monotonic() - pressed
    return {"recovery_reboot_s": round(elapsed, 3), "reboot_reset_cause": hello.reset_cause_name}


async def measure_garbage(h: _Harness, nbytes: int) -> dict[str, Any]:
    """Inject garbage into a 200 Hz stream: lost frames after it, worst event-loop stall."""
    assert h.link is not None
    stall_ms = 0.0
    stop = asyncio.Event()

    async def ticker() -> None:
        nonlocal stall_ms
        while not stop.is_set():
            before = time.perf_counter()
            await asyncio.sleep(0.001)
            stall_ms = max(stall_ms, (time.perf_counter() - before - 0.001) * 1000)

    errors_before = h.link.snapshot()["counters"]["resyncs"]
    with h.bus.subscribe(m.Probe) as sub:
        await h.start_probe(200)
        first = await sub.next(m.Probe, 5)
        tick = asyncio.create_task(ticker())
        await h.fault("garbage", nbytes)
        injected_us = (time.monotonic_ns() // 1000) & _TICKS_MASK
        indices = [first.index]
        after: list[int] = []
        end = time.monotonic() + 2.0
        while time.monotonic() < end:
            with contextlib.suppress(TimeoutError):
                probe = await sub.get(0.5)
                indices.append(probe.index)
                if (probe.t_us - injected_us) & _TICKS_MASK < (1 << 29):
                    after.append(probe.index)  # the board wrote it after the injection
        stop.set()
        await tick
    lost = sum(b - a - 1 for a, b in itertools.pairwise(indices) if b > a + 1)
    lost_after = sum(b - a - 1 for a, b in itertools.pairwise(after) if b > a + 1)
    return {
        "garbage_bytes": nbytes,
        "garbage_resyncs": h.link.snapshot()["counters"]["resyncs"] - errors_before,
        "garbage_frames_after": len(after),
        "garbage_lost_frames": lost_after,
        "garbage_lost_frames_any": lost,
        "garbage_max_loop_stall_ms": round(stall_ms, 2),
    }


async def measure_stall(h: _Harness) -> dict[str, Any]:
    """Seconds from a firmware hang until the host sees the watchdog reset."""
    with h.bus.subscribe(m.BoardConnected) as sub:
        hung = time.monotonic()
        await h.fault("stall")
        connected = await sub.next(
            m.BoardConnected, 30, lambda e: e.hello.reset_cause == wire.RESET_WDT
        )
        hello = connected.hello
    return {
        "stall_to_wdt_hello_s": round(time.monotonic() - hung, 3),
        "stall_reset_cause": hello.reset_cause_name,
    }


async def _run_async(quick: bool, progress: Callable[[str], None]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    progress("decode throughput")
    result.update(measure_decode(20_000 if quick else 200_000))
    async with _Harness("touch") as h:
        progress("latency at 200 Hz")
        result.update(await measure_latency(h, 400 if quick else 2000))
        progress("unplug / replug")
        result.update(await measure_unplug(h, 1 if quick else 3))
        progress("garbage 100000")
        result.update(await measure_garbage(h, 100_000))
        progress("reset button")
        result.update(await measure_reboot(h))
        if not quick:
            progress("firmware hang -> watchdog")
            result.update(await measure_stall(h))
        result["host_counters"] = h.link.snapshot()["counters"] if h.link else {}
    return result


def run_link_bench(quick: bool = False, progress: Callable[[str], None] = print) -> dict[str, Any]:
    """Run every measurement; the result names each figure, its target, and pass/fail."""
    result = asyncio.run(_run_async(quick, progress))
    return {
        "bench": "link",
        "quick": quick,
        "cpu_count": os.cpu_count(),
        **result,
        **judged(result, TARGETS),
    }
