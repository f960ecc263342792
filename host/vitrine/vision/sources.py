"""Camera sources behind one interface: `read()` gives the next frame (BGR uint8, the
configured size) with its time in seconds, or None when the source has ended; `close()`.

A source is named by a string (the [vision] source key, `vitrine vision analyze`):
- "/dev/video0" or "v4l2:0": a V4L2 camera (OpenCV's VideoCapture with the V4L2 backend);
- "rtsp://...", "http(s)://...": a network stream (OpenCV with FFmpeg);
- a video file ("file:PATH" or a path with a video extension);
- a folder of images ("folder:DIR" or a directory), in name order;
- "synthetic" or "synthetic:SCENARIO[:SEED]": the simulator's world of people seen by the
  synthetic camera (vitrine.vision.synthetic), SCENARIO one of SCENARIOS.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import numpy as np

from vitrine.errors import VitrineError

VIDEO_EXTENSIONS = (".mp4", ".avi", ".mkv", ".mov", ".webm", ".m4v")
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".webp")
SCENARIOS = ("everything", "stays", "walk_by", "crossing")


class SourceError(VitrineError):
    """A source cannot be opened or read (the message names it and says why)."""


class Source(Protocol):
    name: str

    def read(self) -> tuple[np.ndarray, float] | None: ...

    def close(self) -> None: ...


def check_spec(spec: str) -> None:
    """Raise ValueError when the spec names no kind of source (for the config's check)."""
    if spec.startswith("synthetic"):
        parts = spec.split(":")
        if len(parts) > 1 and parts[1] not in SCENARIOS:
            allowed = ", ".join(SCENARIOS)
            raise ValueError(
                f"{spec!r}: unknown synthetic scenario {parts[1]!r}; allowed: {allowed}"
            )
        if len(parts) > 2 and not parts[2].isdigit():  # noqa: PLR2004 - synthetic:name:seed
            raise ValueError(f"{spec!r}: the seed must be a whole number")


class _Capture:
    """A V4L2 camera, a network stream or a video file through OpenCV's VideoCapture."""

    def __init__(
        self, name: str, target: str | int, backend: int, size: tuple[int, int], live: bool
    ):
        import cv2

        self.name = name
        self.size = size
        self.live = live
        self.cap = cv2.VideoCapture(target, backend)
        if not self.cap.isOpened():
            raise SourceError(f"camera source {name}: cannot be opened")
        if live:
            self.cap.set(cv2.CAP_PROP_FRAME_WIDTH, size[0])
            self.cap.set(cv2.CAP_PROP_FRAME_HEIGHT, size[1])
            self.cap.set(cv2.CAP_PROP_BUFFERSIZE, 1)  # the newest frame, not a queue of old ones
        fps = self.cap.get(cv2.CAP_PROP_FPS)
        self.fps = fps if fps and fps > 0 else 30.0
        self.frames = 0

    def read(self) -> tuple[np.ndarray, float] | None:
        ok, frame = self.cap.read()
        if not ok or frame is None:
            if self.live:
                raise SourceError(f"camera source {self.name}: no frame (unplugged?)")
            return None
        self.frames += 1
        t = time.monotonic() if self.live else self.frames / self.fps
        return _sized(frame, self.size), t

    def close(self) -> None:
        self.cap.release()


class FolderSource:
    """The images of a folder in name order, one frame each (times 1/fps apart)."""

    def __init__(self, folder: Path, size: tuple[int, int], fps: float = 30.0, loop: bool = False):
        self.name = str(folder)
        self.paths = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_EXTENSIONS)
        if not self.paths:
            raise SourceError(f"camera source {folder}: no images ({', '.join(IMAGE_EXTENSIONS)})")
        self.size, self.fps, self.loop = size, fps, loop
        self.k = 0

    def read(self) -> tuple[np.ndarray, float] | None:
        from vitrine.vision.frames import read_image

        if self.k >= len(self.paths) and not self.loop:
            return None
        path = self.paths[self.k % len(self.paths)]
        t = self.k / self.fps
        self.k += 1
        return _sized(read_image(path), self.size), t

    def close(self) -> None:
        pass


class SyntheticSource:
    """The synthetic camera over a world, paced by a clock (the live demo) or frame by frame
    (clock None: t = k / fps, for tests and benchmarks)."""

    def __init__(
        self,
        world: object,
        fps: float = 30.0,
        clock: Callable[[], float] | None = None,
        loop: bool = True,
        seed: int = 0,
    ) -> None:
        from vitrine.vision.synthetic import SyntheticCamera

        self.name = "synthetic"
        self.camera = SyntheticCamera(world, seed=seed)  # type: ignore[arg-type]
        self.fps, self.clock, self.loop = fps, clock, loop
        self.k = 0
        self.start = clock() if clock else 0.0
        self.truth: list = []  # the world's truth of the last frame (synthetic.Seen)

    def read(self) -> tuple[np.ndarray, float] | None:
        duration = self.camera.world.duration_s
        if self.clock is not None:
            now = self.clock()
            t = now - self.start
            next_t = self.k / self.fps
            if next_t > t:
                time.sleep(next_t - t)
            t = max(t, next_t)
        else:
            t = self.k / self.fps
        self.k += 1
        if t > duration:
            if not self.loop:
                return None
            t = t % duration
        frame, self.truth = self.camera.frame(t)
        return frame, t

    def close(self) -> None:
        pass


def synthetic_world(scenario: str = "everything", seed: int = 1) -> object:
    from vitrine.sim import crowds

    makers = {
        "everything": crowds.everything,
        "stays": lambda s: crowds.stays_set(s, count=3),
        "walk_by": lambda s: crowds.walk_by_set(s, count=20),
        "crossing": lambda s: crowds.crossing_set(s, count=10),
    }
    return makers[scenario](seed)


def open_source(spec: str, size: tuple[int, int] = (640, 480), *, realtime: bool = True) -> Source:
    """The source a spec names (see the module's docstring); raises SourceError."""
    import cv2

    try:
        check_spec(spec)
    except ValueError as err:
        raise SourceError(str(err)) from err
    if spec.startswith("synthetic"):
        parts = spec.split(":")
        scenario = parts[1] if len(parts) > 1 else "everything"
        seed = int(parts[2]) if len(parts) > 2 else 1  # noqa: PLR2004
        clock = time.monotonic if realtime else None
        return SyntheticSource(synthetic_world(scenario, seed), clock=clock, seed=seed)
    if spec.startswith(("rtsp://", "http://", "https://")):
        return _Capture(spec, spec, cv2.CAP_FFMPEG, size, live=True)
    if spec.startswith("v4l2:"):
        index = spec[5:]
        target: str | int = int(index) if index.isdigit() else index
        return _Capture(spec, target, cv2.CAP_V4L2, size, live=True)
    if spec.startswith("/dev/"):
        if not Path(spec).exists():
            raise SourceError(f"camera source {spec}: no such device (camera unplugged?)")
        return _Capture(spec, spec, cv2.CAP_V4L2, size, live=True)
    path = Path(spec.removeprefix("file:").removeprefix("folder:"))
    if spec.startswith("folder:") or path.is_dir():
        if not path.is_dir():
            raise SourceError(f"camera source {spec}: not a folder")
        return FolderSource(path, size)
    if not path.is_file():
        raise SourceError(f"camera source {spec}: no such file")
    return _Capture(spec, str(path), cv2.CAP_FFMPEG, size, live=False)


def _sized(frame: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    if frame.ndim == 2:  # noqa: PLR2004 - a grey camera
        import cv2

        frame = cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR)
    if (frame.shape[1], frame.shape[0]) == size:
        return frame
    from vitrine.vision.frames import fit

    return fit(frame, *size)
