"""People: the light person detector (manifest `person_detector`, YOLOX style) decoded here,
and the counter built on its tracks: passers-by, people who stop in front, and crossings of a
line in the image, counted in (toward the mirror) and out.

Decoding (YOLOX): the frame is scaled to fit 192x192 and placed at the top left on a grey
(114) canvas; output row k on the grid of stride s (8, 16, 32, in that order) has
(x, y, w, h, obj, cls): centre ((x + col) * s, (y + row) * s), size (exp(w) * s, exp(h) * s),
score obj * cls (both already through a sigmoid); boxes are divided by the fitting scale;
non-maximum suppression at IoU 0.45.

Counting: a person track that lived at least MIN_TRACK_S counts once as a passer-by; one
whose box stayed within STOP_PX_S of motion for STOP_S counts once as a stop. The line is
horizontal, a fraction of the image height (the floor nearer the mirror is lower in the
image): a track's feet (the bottom of its box) going from above it to below it is "in",
the other way "out", each counted once per track and direction, with a hysteresis band so a
body swaying on the line is not counted twice. The side a track's feet were on is forgotten
when the track comes back from a gap of more than SIDE_STALE_S with a box of another size
(width or height changed by more than SIZE_JUMP times): over such a gap the tracker's
prediction drifts and may take up someone else's box (a person walking behind another one,
hidden and found again), whose feet on the other side of the line are no crossing; the side
is learnt afresh from the boxes after it. A short gap, or the same body found again after a
longer one, keeps the side: the detector loses a body for a few frames now and then.

Placing (`place`): where the mirror's own camera (at camera_height_m, looking straight out,
hfov_deg wide) puts a person box, for the presence zones. Two cues, from the pinhole camera:
- the feet on the floor: a box whose bottom is inside the picture stands where the floor
  seen at that row is, distance = f * camera_height / (bottom - cy); a box-bottom error of
  BOTTOM_SIGMA_PX makes distance^2 / (f * camera_height) * BOTTOM_SIGMA_PX of distance error.
  A camera 1.55 m up with 70 degrees across a 640x480 picture sees the floor only from
  2.95 m on, so nearer people's feet are out of the picture;
- the box's width: a person's box is about BODY_WIDTH_M wide (shoulders and arms), so
  distance = f * BODY_WIDTH_M / width, with a relative error of WIDTH_SIGMA (bodies, poses,
  the box's own noise); a child (two thirds of an adult's width) is placed half as far again.
The feet are used when they are in the picture, the width otherwise. The figures are the real
detector's on the synthetic scene, measured by `vitrine bench sense` (docs/presence.md).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from vitrine.vision.faces import nms
from vitrine.vision.tracking import Track, Tracker

INPUT = 192
STRIDES = (8, 16, 32)
SCORE_MIN = 0.45
NMS_IOU = 0.45
PAD = 114
MIN_TRACK_S = 0.5
STOP_S = 2.0
STOP_PX_S = 25.0
LINE_BAND = 0.02  # the hysteresis band around the line, a fraction of the image height
SIDE_STALE_S = 0.2  # unmatched longer than this and back with another size: side forgotten
SIZE_JUMP = 1.5  # a box this many times wider or taller (or narrower...) is another size
# Measured (`vitrine bench sense`, the real detector on the synthetic scene's walk-by set):
# boxes are 1.34 times as wide as a body's shoulders (0.44 m for an adult; arms and striding
# legs widen them), spread 0.185 in all (0.15 from person to person, 0.09 from frame to frame);
# their bottom at the feet is off by 33 px (one sigma, from only 15 boxes).
BODY_WIDTH_M = 0.59  # a person box's width at the body
WIDTH_SIGMA = 0.14  # ... its relative spread
BOTTOM_SIGMA_PX = 33.0  # a box bottom's error at the feet, pixels
FEET_EDGE_PX = 3.0  # a box whose bottom is this near the picture's edge has its feet cut off


@dataclass(frozen=True)
class PersonBox:
    box: tuple[float, float, float, float]  # x, y, w, h in frame pixels
    score: float

    def to_json(self) -> dict[str, Any]:
        return {"box": [round(v, 1) for v in self.box], "score": round(self.score, 3)}


class PersonDetector:
    def __init__(self, session: Any, score_min: float = SCORE_MIN) -> None:
        self.session = session
        self.score_min = score_min
        self._input = session.get_inputs()[0].name
        grids, strides = [], []
        for s in STRIDES:
            n = INPUT // s
            rows, cols = np.divmod(np.arange(n * n, dtype=np.float32), n)
            grids.append(np.stack([cols, rows], axis=1))
            strides.append(np.full((n * n, 1), s, np.float32))
        self._grid = np.concatenate(grids)
        self._stride = np.concatenate(strides)
        self._canvas = np.full((INPUT, INPUT, 3), PAD, np.uint8)

    def detect(self, frame: np.ndarray) -> list[PersonBox]:
        import cv2

        h, w = frame.shape[:2]
        scale = min(INPUT / h, INPUT / w)
        small = cv2.resize(
            frame, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA
        )
        canvas = self._canvas
        canvas[:] = PAD
        canvas[: small.shape[0], : small.shape[1]] = small
        blob = canvas.transpose(2, 0, 1)[None].astype(np.float32)
        (out,) = self.session.run(None, {self._input: blob})
        return self.decode(out[0], scale)

    def decode(self, rows: np.ndarray, scale: float) -> list[PersonBox]:
        score = rows[:, 4] * rows[:, 5]
        keep = np.nonzero(score >= self.score_min)[0]
        if keep.size == 0:
            return []
        r = rows[keep]
        centre = (r[:, :2] + self._grid[keep]) * self._stride[keep]
        size = np.exp(r[:, 2:4]) * self._stride[keep]
        boxes = np.concatenate([centre - size / 2, size], axis=1) / scale
        order = nms(boxes, score[keep], NMS_IOU)
        return [
            PersonBox(tuple(float(v) for v in boxes[i]), float(score[keep][i]))  # type: ignore[arg-type]
            for i in order
        ]


@dataclass(frozen=True)
class Placed:
    """A person box placed by the camera's geometry: distance from the glass (m, along the
    camera's axis), bearing off the axis (degrees, + toward the mirror's +x: the image's left),
    the distance's one-sigma error (m), and which cue placed it ("feet" or "width")."""

    distance_m: float
    bearing_deg: float
    sigma_m: float
    cue: str


def place(
    box: tuple[float, float, float, float],
    width_px: int,
    height_px: int,
    hfov_deg: float,
    camera_height_m: float,
) -> Placed:
    """Where a person box (x, y, w, h in frame pixels) stands (see the module docstring)."""
    f = (width_px / 2) / math.tan(math.radians(hfov_deg) / 2)
    x, y, w, h = box
    below = y + h - height_px / 2  # the bottom's rows below the horizon
    if y + h < height_px - FEET_EDGE_PX and below > 1.0:
        distance = f * camera_height_m / below
        sigma = distance * distance / (f * camera_height_m) * BOTTOM_SIGMA_PX
        cue = "feet"
    else:
        distance = f * BODY_WIDTH_M / max(w, 1.0)
        sigma = distance * WIDTH_SIGMA
        cue = "width"
    bearing = math.degrees(math.atan2(width_px / 2 - (x + w / 2), f))
    return Placed(distance, bearing, sigma, cue)


@dataclass
class _Person:
    first_s: float
    path: list[tuple[float, float, float]] = field(default_factory=list)  # (t, cx, feet y)
    side: int = 0  # -1 above the line, +1 below, 0 not yet known
    last_s: float = 0.0  # when the track was last matched to a box
    box: tuple[float, float, float, float] | None = None  # the box last matched, as detected
    crossed: set[str] = field(default_factory=set)
    stopped: bool = False
    counted: bool = False


@dataclass
class Counts:
    passers_by: int = 0
    stops: int = 0
    line_in: int = 0
    line_out: int = 0

    def to_json(self) -> dict[str, int]:
        return {
            "passers_by": self.passers_by,
            "stops": self.stops,
            "line_in": self.line_in,
            "line_out": self.line_out,
        }


def _resized(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    """Whether box b's width or height is more than SIZE_JUMP times box a's, or less."""
    for k in (2, 3):
        ratio = max(a[k], 1.0) / max(b[k], 1.0)
        if ratio > SIZE_JUMP or ratio < 1 / SIZE_JUMP:
            return True
    return False


class PeopleCounter:
    """Tracks the person detector's boxes and counts. `update(t_s, boxes, height_px)` per
    frame returns the events of that frame: ("passer_by" | "stop" | "in" | "out", track id)."""

    def __init__(self, line: float = 0.8, tracker: Tracker | None = None) -> None:
        if not 0.0 < line < 1.0:
            raise ValueError(f"line={line!r}: allowed a fraction of the image height, 0..1")
        self.line = line
        self.tracker = tracker or Tracker(high_score=0.6, match_iou=0.1, max_age_s=0.7)
        self.counts = Counts()
        self._people: dict[int, _Person] = {}

    def update(self, t_s: float, boxes: list[PersonBox], height_px: int) -> list[tuple[str, int]]:
        tracks = self.tracker.update(t_s, [b.box for b in boxes], [b.score for b in boxes], boxes)
        events: list[tuple[str, int]] = []
        line_px, band = self.line * height_px, LINE_BAND * height_px
        for track in tracks:
            p = self._people.setdefault(track.id, _Person(track.first_s, last_s=t_s))
            seen = track.detection.box if isinstance(track.detection, PersonBox) else track.box
            if t_s - p.last_s > SIDE_STALE_S and p.box is not None and _resized(p.box, seen):
                p.side = 0  # lost for a while and back as another size: maybe someone else
            p.last_s, p.box = t_s, seen
            x, y, w, h = track.box
            feet = y + h
            p.path.append((t_s, x + w / 2, feet))
            if not p.counted and t_s - p.first_s >= MIN_TRACK_S:
                p.counted = True
                self.counts.passers_by += 1
                events.append(("passer_by", track.id))
            side = -1 if feet < line_px - band else (1 if feet > line_px + band else 0)
            if side and p.side and side != p.side:
                direction = "in" if side > 0 else "out"
                if direction not in p.crossed:
                    p.crossed.add(direction)
                    if direction == "in":
                        self.counts.line_in += 1
                    else:
                        self.counts.line_out += 1
                    events.append((direction, track.id))
            if side:
                p.side = side
            if not p.stopped and self._still(p, t_s, max(w, 1.0)):
                p.stopped = True
                self.counts.stops += 1
                events.append(("stop", track.id))
        for track in self.tracker.ended:
            self._people.pop(track.id, None)
        self.tracker.ended.clear()
        return events

    @staticmethod
    def _still(p: _Person, t_s: float, width_px: float) -> bool:
        # moved less than STOP_PX_S (scaled to a 100 px wide body) over the last STOP_S
        window = [q for q in p.path if q[0] >= t_s - STOP_S]
        if (
            len(window) < 2  # noqa: PLR2004 - two points make a motion
            or window[-1][0] - window[0][0] < STOP_S * 0.9
            or p.path[0][0] > t_s - STOP_S
        ):
            return False
        xs = [q[1] for q in window]
        limit = STOP_PX_S * STOP_S * width_px / 100.0
        return max(xs) - min(xs) <= limit

    def tracks(self) -> list[Track]:
        return [t for t in self.tracker.tracks if t.confirmed]
