"""`vitrine bench vision`: the vision pipeline's numbers on this machine's CPU (the GPU is
never used: a mirror runs on its CPU).

- throughput: the full per-frame pipeline at 640x480 (faces, tracks, attention and
  expression for every face, hands every other frame) on pre-rendered frames of the
  synthetic scene with one or two people, as fast as it goes on `threads` onnxruntime
  threads: frames/s and per-frame latency; then again with the people counter taking a frame
  of a second stream (the counting camera) after each one. Rendering is not timed: the
  camera does that.
- peer: our YuNet path and OpenCV's cv2.FaceDetectorYN on the same file and frames (the
  group photo at 640x480, and frames of the scene), 2 threads each, interleaved runs: their
  medians and p99, and whether every face of one has a face of the other at IoU >= 0.5.
- photos: every face of the six shared photos found, none on blank, noise or face-less
  frames, the expression's top class per photo against the photo's label.
- the synthetic scene against the world's truth (vitrine.bench.vision_scene).
- the daemon with vision running at full rate (a synthetic camera at 30 frames/s and a
  second stream for the counter, every model loaded): the touch benchmark's host processing
  p99 measured meanwhile in this process, a /ws client's touch latency from a virtual touch
  board, the daemon's event-loop lag (vitrine.looplag, /api/status "loop"), and the resident
  memory of the daemon with its vision worker.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from vitrine.bench.targets import judged, percentile
from vitrine.bench.vision_scene import attention, counter_line, counting, gestures
from vitrine.paths import shared_dir
from vitrine.vision.config import VisionConfig
from vitrine.vision.faces import iou
from vitrine.vision.frames import fit, read_image
from vitrine.vision.models import find
from vitrine.vision.pipeline import CounterPipeline, Models, Pipeline

TARGETS = {
    "fps": (">=", 30.0),
    "fps_with_counter": (">=", 30.0),
    "detector_vs_peer_median_ratio": ("<=", 1.0),
    "faces_matched_with_peer": ("==", 1.0),
    "photo_faces_found": ("==", 1.0),
    "false_faces": ("==", 0),
    "touch_host_p99_ms": ("<=", 2.0),
    "ws_touch_p99_ms": ("<=", 25.0),
    "passers_by_error": ("<=", 0.05),
    "crossings_error": ("<=", 0.05),
    "attention_max_error_s": ("<=", 0.5),
    "gesture_recognition_rate": (">=", 0.95),
    "false_gestures_per_10_min": ("<=", 1.0),
    "pss_mb": ("<=", 400.0),
}
PHOTOS = {
    "pexels_angry.jpg": ("angry", 1),
    "pexels_happy-baby.jpeg": ("happy", 1),
    "pexels_neutral.jpeg": ("neutral", 1),
    "pexels_sad-baby.jpeg": ("sad", 1),
    "pexels_surprised.jpeg": ("surprise", 1),
    "pexels_group.jpeg": (None, 5),
}
SIZE = (640, 480)
MATCH_IOU = 0.5  # a face of one detector has one of the other at least this overlap
WARM_FRAMES = 60  # the daemon's vision has processed this many frames before measuring


PARTS = ("photos", "peer", "throughput", "counting", "attention", "gestures", "daemon")


def run_vision_bench(
    quick: bool = False,
    threads: int = 2,
    progress: Callable[[str], None] = print,
    parts: tuple[str, ...] = PARTS,
) -> dict[str, Any]:
    """The figures of each part asked for (PARTS), judged against the targets of those parts."""
    wrong = [p for p in parts if p not in PARTS]
    if wrong or not parts:
        raise ValueError(f"parts={parts!r}: allowed: {', '.join(PARTS)}")
    started = time.monotonic()
    config = VisionConfig(
        enabled=True,
        source="synthetic",
        counter_source="synthetic",
        counter_line=counter_line(),
        threads=threads,
    )
    progress("loading the models")
    models = Models.load(config, counter=True)
    result: dict[str, Any] = {
        "bench": "vision",
        "machine": {
            "cpus": os.cpu_count(),
            "load_1min_at_start": round(os.getloadavg()[0], 2),
            "python": platform.python_version(),
        },
        "conditions": {
            "frame": "640x480 BGR",
            "threads": threads,
            "gestures_every": config.gestures_every,
            "device": "CPU (onnxruntime CPUExecutionProvider)",
        },
    }
    if "photos" in parts:
        progress("photos")
        result.update(photos(models, config))
    if "peer" in parts:
        progress("our YuNet path against cv2.FaceDetectorYN")
        result.update(peer(models, threads, runs=30 if quick else 150))
    if "throughput" in parts:
        progress("throughput on pre-rendered frames")
        result.update(throughput(models, config, frames=150 if quick else 900))
    seed = 20261205
    if "counting" in parts:
        result.update(counting(models, seed, 6 if quick else 40, progress))
    if "attention" in parts:
        result.update(attention(models, config, seed, progress))
    if "gestures" in parts:
        sizes = (5, 60.0) if quick else (40, 600.0)
        result.update(gestures(models, config, seed, sizes, progress))
    if "daemon" in parts:
        progress("the daemon with vision at full rate: touch latency, loop lag, memory")
        result.update(daemon_under_load(trials=20 if quick else 200, progress=progress))
    result["elapsed_s"] = round(time.monotonic() - started, 1)
    result["machine"]["load_1min_at_end"] = round(os.getloadavg()[0], 2)
    result["parts"] = list(parts)
    result.update(judged(result, {k: v for k, v in TARGETS.items() if k in result}))
    return result


# --- photos and the peer ---------------------------------------------------------------------


def photos(models: Models, config: VisionConfig) -> dict[str, Any]:
    images = shared_dir() / "images"
    found = expected = 0
    per_photo = {}
    for name, (label, faces) in PHOTOS.items():
        frame = fit(read_image(images / name), *SIZE)
        result = Pipeline(models, config).process(frame, 0.0)
        found += min(len(result.faces), faces)
        expected += faces
        if label is not None:
            top = (
                result.faces[0].expression.top
                if result.faces and result.faces[0].expression
                else None
            )
            per_photo[name] = {"label": label, "top1": top, "right": top == label}
    rng = np.random.default_rng(3)
    from vitrine.sim.people import World
    from vitrine.vision.synthetic import SyntheticCamera

    blanks = {
        "black": np.zeros((480, 640, 3), np.uint8),
        "white": np.full((480, 640, 3), 255, np.uint8),
        "grey": np.full((480, 640, 3), 128, np.uint8),
        "noise": rng.integers(0, 256, (480, 640, 3), dtype=np.uint8),
        "empty_shop": SyntheticCamera(World(duration_s=1.0)).frame(0.0)[0],
    }
    false = {k: len(models.faces.detect(v)) for k, v in blanks.items()}
    return {
        "photo_faces_found": round(found / expected, 4),
        "photo_faces": f"{found} of {expected}",
        "false_faces": sum(false.values()),
        "false_faces_by_frame": false,
        "expression_top1": per_photo,
        "expression_top1_right": sum(p["right"] for p in per_photo.values()),
    }


def peer(models: Models, threads: int, runs: int) -> dict[str, Any]:
    import cv2

    cv2.setNumThreads(threads)
    path = find("face_detector")
    yn = cv2.FaceDetectorYN.create(str(path), "", SIZE, 0.6, 0.3, 5000)
    frames = [fit(read_image(shared_dir() / "images/pexels_group.jpeg"), *SIZE)]
    frames += [
        fit(read_image(shared_dir() / "images" / n), *SIZE)
        for n in PHOTOS
        if n != "pexels_group.jpeg"
    ]
    matched = total = 0
    for frame in frames:
        ours = models.faces.detect(frame)
        _, theirs = yn.detect(frame)
        theirs = [] if theirs is None else [tuple(float(v) for v in t[:4]) for t in theirs]
        total += len(ours) + len(theirs)
        matched += sum(1 for f in ours if any(iou(f.box, t) >= MATCH_IOU for t in theirs))
        matched += sum(1 for t in theirs if any(iou(f.box, t) >= MATCH_IOU for f in ours))
    group = frames[0]
    ours_ms, peer_ms = [], []
    for _ in range(5):  # warm both up
        models.faces.detect(group)
        yn.detect(group)
    for _ in range(runs):
        a = time.perf_counter()
        models.faces.detect(group)
        b = time.perf_counter()
        yn.detect(group)
        c = time.perf_counter()
        ours_ms.append((b - a) * 1000)
        peer_ms.append((c - b) * 1000)
    ours_med, peer_med = percentile(ours_ms, 0.5), percentile(peer_ms, 0.5)
    return {
        "detector_ms": {"p50": round(ours_med, 2), "p99": round(percentile(ours_ms, 0.99), 2)},
        "peer_ms": {"p50": round(peer_med, 2), "p99": round(percentile(peer_ms, 0.99), 2)},
        "detector_vs_peer_median_ratio": round(ours_med / peer_med, 3),
        "faces_matched_with_peer": round(matched / total, 4) if total else 1.0,
        "peer_conditions": "group photo fitted to 640x480, 5 faces; preprocessing and decoding "
        f"included on both sides; {runs} interleaved runs; {threads} threads each",
    }


# --- throughput --------------------------------------------------------------------------------


def _scene_frames(count: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Frames of one shopper stopping in front (a second walking by behind for part of
    it), and the counting camera's frames of the same world."""
    import random

    from vitrine.bench.vision_scene import COUNTER_LENS
    from vitrine.sim import crowds
    from vitrine.sim.people import World
    from vitrine.vision.synthetic import SyntheticCamera

    rng = random.Random(5)
    shopper = crowds.approach_and_stay("s", rng, -3.0, stay_s=60.0, stop_m=0.7)
    walker = crowds.walk_by("w", rng, 4.0, distance_m=1.8)
    world = World(people=(shopper, walker), duration_s=60.0)
    front, top = SyntheticCamera(world), SyntheticCamera(world, lens=COUNTER_LENS)
    times = [k / 30 for k in range(count)]
    return [front.frame(t)[0] for t in times], [top.frame(t)[0] for t in times]


def throughput(models: Models, config: VisionConfig, frames: int) -> dict[str, Any]:
    front, top = _scene_frames(frames)
    pipeline = Pipeline(models, config)
    faces = 0
    latencies = []
    started = time.perf_counter()
    for k, frame in enumerate(front):
        a = time.perf_counter()
        faces += len(pipeline.process(frame, k / 30).faces)
        latencies.append((time.perf_counter() - a) * 1000)
    elapsed = time.perf_counter() - started
    pipeline = Pipeline(models, config)
    counter = CounterPipeline(models.people, config.counter_line)  # type: ignore[arg-type]
    both = []
    started = time.perf_counter()
    for k, (frame, second) in enumerate(zip(front, top, strict=True)):
        a = time.perf_counter()
        pipeline.process(frame, k / 30)
        counter.process(second, k / 30)
        both.append((time.perf_counter() - a) * 1000)
    elapsed_both = time.perf_counter() - started
    return {
        "fps": round(len(front) / elapsed, 1),
        "frame_ms": {
            "p50": round(percentile(latencies, 0.5), 2),
            "p99": round(percentile(latencies, 0.99), 2),
        },
        "faces_per_frame": round(faces / len(front), 2),
        "fps_with_counter": round(len(front) / elapsed_both, 1),
        "frame_with_counter_ms": {
            "p50": round(percentile(both, 0.5), 2),
            "p99": round(percentile(both, 0.99), 2),
        },
        "throughput_frames": len(front),
    }


# --- the daemon under load ---------------------------------------------------------------------


def _memory_mb(pid: int) -> dict[str, float]:
    """The process and its children's memory in MB: "rss" (VmRSS summed: a page mapped by
    several of them, a shared library's, counts once for each) and "pss" (smaps_rollup's Pss
    summed: each shared page divided among the processes that map it, so the sum is what they
    take from the machine together)."""
    totals = {"rss": 0.0, "pss": 0.0}
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(p) for p in children.read_text().split()]
    for p in pids:
        for name, key, field in (("status", "rss", "VmRSS:"), ("smaps_rollup", "pss", "Pss:")):
            try:
                for line in Path(f"/proc/{p}/{name}").read_text().splitlines():
                    if line.startswith(field):
                        totals[key] += int(line.split()[1]) / 1024
            except OSError:
                continue
    return {k: round(v, 1) for k, v in totals.items()}


def daemon_under_load(trials: int, progress: Callable[[str], None]) -> dict[str, Any]:
    import asyncio

    from vitrine.bench.daemon import free_port
    from vitrine.bench.touch import measure_host

    with tempfile.TemporaryDirectory(prefix="vitrine-bench-vision-") as tmp:
        state = Path(tmp)
        sim = subprocess.Popen(
            [sys.executable, "-m", "vitrine", "sim", "--role", "touch", "--state-dir", tmp],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        daemon = None
        try:
            deadline = time.monotonic() + 30
            while not (state / "boards.json").exists():
                if sim.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("vitrine sim did not start")
                time.sleep(0.05)
            url = json.loads((state / "boards.json").read_text())["touch"]
            port = free_port()
            config = state / "vitrine.toml"
            config.write_text(
                f"[http]\nport = {port}\n[boards]\ndiscover_usb = false\n"
                f'ports = {{ touch = "{url}" }}\n[data]\ndir = {json.dumps(str(state / "data"))}\n'
                '[vision]\nenabled = true\nsource = "synthetic:stays:3"\n'
                'counter_source = "synthetic:walk_by:4"\nrecognition = true\n'
            )
            daemon = subprocess.Popen(
                [sys.executable, "-m", "vitrine", "run", "--config", str(config)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            status = _wait_running(port, daemon, progress)
            before = status["loop"]
            host = measure_host(5000)
            e2e = asyncio.run(_ws_latency(port, url, state, trials, progress))
            after = _status(port)
            memory = _memory_mb(daemon.pid)
            vision = after["vision"]
        finally:
            for proc in (daemon, sim):
                if proc is not None:
                    proc.terminate()
                    try:
                        proc.wait(10)
                    except subprocess.TimeoutExpired:
                        proc.kill()
    return {
        "touch_host_p99_ms": host["host_p99_ms"],
        "touch_host_p50_ms": host["host_p50_ms"],
        "ws_touch_p99_ms": e2e["p99"],
        "ws_touch_p50_ms": e2e["p50"],
        "ws_touch_trials": e2e["trials"],
        "loop_lag_max_ms_during": after["loop"]["recent_max_ms"],
        "loop_wakeups_during": after["loop"]["samples"] - before["samples"],
        "vision_during": {
            "state": vision.get("state"),
            "fps": vision.get("fps"),
            "dropped": vision.get("dropped"),
            "stages_ms": vision.get("stages_ms"),
            "counter": vision.get("counter"),
        },
        "pss_mb": memory["pss"],
        "rss_mb": memory["rss"],
        "memory_conditions": "the daemon and its children (the vision worker, multiprocessing's "
        "resource tracker), every model loaded: faces, expression, palms, hand landmarks, "
        "person detector, face embedding. pss_mb (judged): proportional set size summed, each "
        "shared page divided among the processes mapping it; rss_mb: VmRSS summed, shared "
        "libraries counted once per process",
    }


def _status(port: int) -> dict[str, Any]:
    import urllib.request

    with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status", timeout=5) as r:
        return json.loads(r.read())


def _wait_running(
    port: int, daemon: subprocess.Popen[bytes], progress: Callable[[str], None]
) -> dict[str, Any]:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if daemon.poll() is not None:
            raise RuntimeError(f"the daemon exited ({daemon.returncode})")
        try:
            status = _status(port)
        except OSError:
            time.sleep(0.2)
            continue
        if warm(status):
            return status
        time.sleep(0.5)
    raise RuntimeError("vision did not start running in the daemon within 120 s")


def warm(status: dict[str, Any]) -> bool:
    """Whether /api/status says the daemon is ready to measure: a board linked and vision
    running with WARM_FRAMES processed (frames is null until the worker's first figures)."""
    vision = status.get("vision") or {}
    frames = vision.get("frames") or 0
    return vision.get("state") == "running" and frames > WARM_FRAMES and bool(status.get("boards"))


async def _ws_latency(
    port: int, url: str, state: Path, trials: int, progress: Callable[[str], None]
) -> dict[str, Any]:
    from vitrine.bench.touch import finger_to_pointer_ms

    def said(n: str) -> None:
        progress(f"touch through the daemon while vision runs: {n}")

    latencies = await finger_to_pointer_ms(port, state, trials, said, 50)
    return {
        "p50": round(percentile(latencies, 0.5), 2),
        "p99": round(percentile(latencies, 0.99), 2),
        "trials": len(latencies),
    }
