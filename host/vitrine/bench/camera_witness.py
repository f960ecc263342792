"""The camera's witness for `vitrine bench sense`: what the mirror's camera reports of a world
of people (vitrine.sim.people), made from the world's bodies, never from the fusion.

- Geometry: the synthetic scene's camera (vitrine.vision.synthetic.Lens(): in the mirror at
  the centre, 1.55 m up, looking straight out, 70 degrees across 640x480). A warm body's box
  in the picture is its extent there: from the floor to the top of its head, the world's
  width of it (2 x radius_m) across, clipped to the picture.
- The detector: the real person detector (manifest `person_detector`) has been run on
  frames the synthetic camera renders of a walk-by set (`measure_detector`, below), its
  boxes matched to the world's bodies. From that come the figures the witness draws from:
  recall against the body's height in pixels (the whole body's, as the camera's geometry
  makes it; nearer than 2.95 m the picture cuts the legs off), the box's noise (its width
  against the body's, its bottom's and its centre's offsets, in pixels) and false boxes per
  frame. When
  the shared models are on this machine the bench measures them afresh in the same run; when
  not, MEASURED (figures from such a run, dated) are used, and the JSON says which.
- The report: each box the witness keeps is placed by vision's own code
  (vitrine.vision.people.place) into a CameraPerson, as the pipeline does, and the frame's
  CameraPeople reaches the fusion PRESENCE_HZ times a second, LATENCY_S after the frame
  (the worker's frame time and its pipe).

Assumptions (stated in the JSON too): sunlight does not blind the camera (the shop's light is
on its side of the glass; a camera facing a sunlit window would be another matter); a bag on
the floor is no person to the detector (measured: see false boxes); people beyond the picture's
sides are not seen at all.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from vitrine.devices.presence.events import CameraPeople, CameraPerson
from vitrine.sim import crowds
from vitrine.sim.people import Person, World, ZoneGeometry
from vitrine.vision import people as vision_people
from vitrine.vision.synthetic import HEIGHT, HFOV_DEG, WIDTH, Lens

PRESENCE_HZ = 10.0  # how often the pipeline sends its people (vision's presence_every)
LATENCY_S = 0.06  # a frame's way to the fusion: two frame times at 30 fps
HEIGHT_BINS_PX = (0, 150, 200, 250, 300, 400, 550, 750, 10_000)  # the whole body's height
MATCH_IOU = 0.3  # a detection and a body's box overlapping this much are the same person


@dataclass(frozen=True)
class DetectorModel:
    """The person detector's behaviour, as measured (see the module docstring)."""

    recall_by_height: tuple[float, ...]  # per HEIGHT_BINS_PX bin of the whole body's height
    width_ratio_mean: float  # the box's width / the body's (2 x radius_m) width
    width_ratio_sd: float  # ... its spread from frame to frame, around a person's own
    width_ratio_person_sd: float  # ... and between people (build, clothes, gait)
    bottom_sd_px: float  # the box bottom's error where the feet are in the picture
    bottom_bias_px: float
    centre_sd_px: float
    false_per_frame: float  # boxes on no body
    false_in_area_per_frame: float  # ... of them, placed in front of the mirror within 3 m
    frames: int
    source: str

    def recall(self, height_px: float) -> float:
        for k in range(len(HEIGHT_BINS_PX) - 1):
            if HEIGHT_BINS_PX[k] <= height_px < HEIGHT_BINS_PX[k + 1]:
                return self.recall_by_height[k]
        return self.recall_by_height[-1]


# From `measure_detector(seed=21, scenes=60, every_s=0.1)` on the shared
# lightweight_person_detector.onnx (its manifest SHA-256), 2026-12-05 on this project's
# synthetic scene: 10671 frames, 4116 bodies in view, 1959 box widths of 73 people, but only
# 15 boxes with the feet in the picture (few walk-bys are beyond 2.95 m): the bottom's figures
# are the roughest. Used when the models are not here.
MEASURED = DetectorModel(
    recall_by_height=(0.0, 0.0, 0.478, 0.403, 0.471, 0.328, 0.346, 0.704),
    width_ratio_mean=1.34,
    width_ratio_sd=0.096,
    width_ratio_person_sd=0.167,
    bottom_sd_px=32.96,
    bottom_bias_px=-12.26,
    centre_sd_px=8.32,
    false_per_frame=0.0005,
    false_in_area_per_frame=0.0,
    frames=10671,
    source="recorded: measure_detector(seed=21, scenes=60, every_s=0.1), 2026-12-05",
)


def body_box(lens: Lens, person: Person, x: float, y: float) -> tuple[float, float, float, float]:
    """A body's extent in the picture (x, y, w, h; not clipped)."""
    u0, v0 = lens.project(x + person.radius_m, y, person.height_m)  # the image's right is -x
    u1, v1 = lens.project(x - person.radius_m, y, 0.0)
    return (u0, v0, u1 - u0, v1 - v0)


def clip(box: tuple[float, float, float, float]) -> tuple[float, float, float, float] | None:
    x, y, w, h = box
    x0, y0, x1, y1 = max(0.0, x), max(0.0, y), min(float(WIDTH), x + w), min(float(HEIGHT), y + h)
    if x1 - x0 < 1 or y1 - y0 < 1:
        return None
    return (x0, y0, x1 - x0, y1 - y0)


def _iou(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    ax1, ay1, bx1, by1 = a[0] + a[2], a[1] + a[3], b[0] + b[2], b[1] + b[3]
    iw = max(0.0, min(ax1, bx1) - max(a[0], b[0]))
    ih = max(0.0, min(ay1, by1) - max(a[1], b[1]))
    inter = iw * ih
    union = a[2] * a[3] + b[2] * b[3] - inter
    return inter / union if union > 0 else 0.0


def _in_view(lens: Lens, person: Person, x: float, y: float) -> tuple[float, ...] | None:
    if not person.warm or y < 0.25:  # noqa: PLR2004 - nearer, the camera cannot focus
        return None
    return clip(body_box(lens, person, x, y))


# --- measuring the real detector ----------------------------------------------------------------


@dataclass
class _Tally:
    """The detector's boxes against the world's bodies, frame by frame."""

    lens: Lens
    seen: list[int] = field(default_factory=lambda: [0] * (len(HEIGHT_BINS_PX) - 1))
    found: list[int] = field(default_factory=lambda: [0] * (len(HEIGHT_BINS_PX) - 1))
    ratios: list[float] = field(default_factory=list)
    by_person: dict[str, list[float]] = field(default_factory=dict)
    bottoms: list[float] = field(default_factory=list)
    centres: list[float] = field(default_factory=list)
    false: int = 0
    false_in_area: int = 0
    frames: int = 0

    def frame(
        self, bodies: list[tuple[str, tuple[float, ...], tuple[float, ...]]], boxes: list
    ) -> None:
        """One frame: the bodies in view (person, clipped box, whole box) and the detector's
        boxes."""
        self.frames += 1
        used: set[int] = set()
        for who, box, full in bodies:
            k = next(i for i in range(len(self.seen)) if full[3] < HEIGHT_BINS_PX[i + 1])
            self.seen[k] += 1
            best = max(
                ((i, _iou(box, d)) for i, d in enumerate(boxes) if i not in used),
                key=lambda p: p[1],
                default=(None, 0.0),
            )
            if best[0] is None or best[1] < MATCH_IOU:
                continue
            used.add(best[0])
            self.found[k] += 1
            self._noise(who, box, full, boxes[best[0]])
        for i, d in enumerate(boxes):
            if i not in used:
                self._false(d)

    def _noise(
        self, who: str, box: tuple[float, ...], full: tuple[float, ...], d: tuple[float, ...]
    ) -> None:
        if box[0] > 1 and box[0] + box[2] < WIDTH - 1:  # not cut at the sides
            self.ratios.append(d[2] / box[2])
            self.by_person.setdefault(who, []).append(d[2] / box[2])
            self.centres.append((d[0] + d[2] / 2) - (box[0] + box[2] / 2))
        if full[1] + full[3] < HEIGHT - 1:  # the feet in the picture
            self.bottoms.append((d[1] + d[3]) - (full[1] + full[3]))

    def _false(self, d: tuple[float, float, float, float]) -> None:
        self.false += 1
        p = vision_people.place(d, WIDTH, HEIGHT, HFOV_DEG, self.lens.height_m)
        x = p.distance_m * math.tan(math.radians(p.bearing_deg))
        if ZoneGeometry().zone_of(x, p.distance_m) != "none":
            self.false_in_area += 1

    def model(self) -> DetectorModel:
        """The figures; one measured on too few samples is taken from MEASURED (and named)."""
        recorded: list[str] = []
        recall = []
        for k, (f, n) in enumerate(zip(self.found, self.seen, strict=True)):
            if n >= _ENOUGH:
                recall.append(round(f / n, 3))
            else:
                recall.append(MEASURED.recall_by_height[k])
                recorded.append(f"recall bin {k}")
        # the widths' spread split into a person's own (the mean of theirs) and the frames'
        # around it, over people seen in at least 3 frames
        people = [r for r in self.by_person.values() if len(r) >= 3]  # noqa: PLR2004
        within = [x - _mean(r) for r in people for x in r]
        dof = max(1, len(within) - len(people))
        within_sd = math.sqrt(sum(v * v for v in within) / dof)
        # a person's mean carries within_sd^2 / n of the frames' spread: taken out
        shrink = _mean([1.0 / len(r) for r in people]) * within_sd**2
        person_sd = math.sqrt(max(0.0, _sd([_mean(r) for r in people]) ** 2 - shrink))
        width = (_mean(self.ratios), within_sd, person_sd, _sd(self.centres))
        if len(people) < _ENOUGH:
            width = (
                MEASURED.width_ratio_mean,
                MEASURED.width_ratio_sd,
                MEASURED.width_ratio_person_sd,
                MEASURED.centre_sd_px,
            )
            recorded.append("width and centre")
        bottom = (_sd(self.bottoms), _mean(self.bottoms))
        if len(self.bottoms) < _ENOUGH:
            bottom = (MEASURED.bottom_sd_px, MEASURED.bottom_bias_px)
            recorded.append("bottom")
        frames = max(1, self.frames)
        return DetectorModel(
            recall_by_height=tuple(recall),
            width_ratio_mean=round(width[0], 3),
            width_ratio_sd=round(width[1], 3),
            width_ratio_person_sd=round(width[2], 3),
            bottom_sd_px=round(bottom[0], 2),
            bottom_bias_px=round(bottom[1], 2),
            centre_sd_px=round(width[3], 2),
            false_per_frame=round(self.false / frames, 4),
            false_in_area_per_frame=round(self.false_in_area / frames, 5),
            frames=self.frames,
            source=f"measured in this run: {self.frames} frames, {sum(self.seen)} bodies in "
            f"view (per height bin {self.seen}; box widths {len(self.ratios)} of "
            f"{len(self.by_person)} people, feet "
            f"{len(self.bottoms)})"
            + (
                f"; recorded figures for {', '.join(recorded)} (too few samples)"
                if recorded
                else ""
            ),
        )


def measure_detector(
    seed: int = 21,
    scenes: int = 24,
    every_s: float = 0.2,
    score_min: float = vision_people.SCORE_MIN,
    progress: Callable[[str], None] = lambda _s: None,
) -> DetectorModel:
    """Run the real person detector on the synthetic camera's frames of a walk-by set (and an
    empty shop with a bag) and match its boxes to the world's bodies. Raises ModelError when
    the model is missing."""
    from vitrine.vision.people import PersonDetector
    from vitrine.vision.runtime import load
    from vitrine.vision.synthetic import SyntheticCamera

    detector = PersonDetector(load("person_detector", 2), score_min)
    lens = Lens()
    walkers = crowds.walk_by_set(seed, scenes)
    empty = crowds.empty_hour(seed, 120.0).shifted(walkers.duration_s)
    world = World(
        people=walkers.people + empty.people,
        duration_s=walkers.duration_s + 120.0,
        room=walkers.room,
    )
    camera = SyntheticCamera(world, seed=seed)
    tally = _Tally(lens)
    t = 0.0
    while t < world.duration_s:
        bodies = []
        for person, x, y in world.present(t):
            box = _in_view(lens, person, x, y)
            if box is not None:
                bodies.append((person.id, box, body_box(lens, person, x, y)))
        frame, _truth = camera.frame(t)
        tally.frame(bodies, [b.box for b in detector.detect(frame)])
        t = round(t + every_s, 6)
        if tally.frames % 200 == 0:
            progress(f"the person detector on the synthetic camera: {tally.frames} frames")
    return tally.model()


_ENOUGH = 20  # samples for a figure to be taken from this run


def _mean(xs: list[float]) -> float:
    return sum(xs) / len(xs) if xs else 0.0


def _sd(xs: list[float]) -> float:
    if len(xs) < 2:  # noqa: PLR2004
        return 0.0
    m = _mean(xs)
    return math.sqrt(sum((x - m) ** 2 for x in xs) / (len(xs) - 1))


# --- the witness ----------------------------------------------------------------------------------


@dataclass
class CameraWitness:
    """What the camera reports of a world at a time: `report(t_s)` is the frame's CameraPeople
    (t_ns left 0: the caller stamps it). Deterministic for a seed."""

    world: World
    model: DetectorModel
    seed: int = 0
    camera_height_m: float = 1.55
    lens: Lens = field(default_factory=Lens)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)
        self._biases: dict[str, float] = {}

    def report(self, t_s: float) -> CameraPeople:
        rng, model = self._rng, self.model
        out: list[CameraPerson] = []
        for person, x, y in self.world.present(t_s):
            box = _in_view(self.lens, person, x, y)
            full = body_box(self.lens, person, x, y)
            if box is None or rng.random() >= model.recall(full[3]):
                continue
            # the detector's box: the body's, with the measured noise (a person's own share of
            # the width's spread stays with them)
            ratio = model.width_ratio_mean + self._bias(person.id)
            w = max(2.0, box[2] * rng.gauss(ratio, model.width_ratio_sd))
            cx = box[0] + box[2] / 2 + rng.gauss(0.0, model.centre_sd_px)
            bottom = full[1] + full[3] + rng.gauss(model.bottom_bias_px, model.bottom_sd_px)
            bottom = min(bottom, float(HEIGHT))
            top = box[1]
            placed = vision_people.place(
                (cx - w / 2, top, w, bottom - top), WIDTH, HEIGHT, HFOV_DEG, self.camera_height_m
            )
            out.append(
                CameraPerson(
                    distance_mm=placed.distance_m * 1000,
                    bearing_deg=placed.bearing_deg,
                    sigma_mm=placed.sigma_m * 1000,
                    confidence=0.8,
                )
            )
        return CameraPeople(people=tuple(out), t_ns=0)

    def _bias(self, who: str) -> float:
        bias = self._biases.get(who)
        if bias is None:
            rng = random.Random(f"{self.seed}:{who}")
            bias = self._biases[who] = rng.gauss(0.0, self.model.width_ratio_person_sd)
        return bias

    def assumptions(self) -> dict[str, Any]:
        return {
            "camera": {
                "height_m": self.lens.height_m,
                "tilt_deg": self.lens.tilt_deg,
                "hfov_deg": HFOV_DEG,
                "picture_px": [WIDTH, HEIGHT],
                "presence_hz": PRESENCE_HZ,
                "latency_s": LATENCY_S,
            },
            "detector": asdict(self.model),
            "height_bins_px": list(HEIGHT_BINS_PX),
            "placing": {
                "body_width_m": vision_people.BODY_WIDTH_M,
                "width_sigma": vision_people.WIDTH_SIGMA,
                "bottom_sigma_px": vision_people.BOTTOM_SIGMA_PX,
            },
            "not_modelled": [
                "sunlight: the camera is not blinded by it (the shop's light is on its side)",
                "a bag or a mannequin: no person to the detector beyond the false boxes measured",
                "bodies hiding one another: each body in view is detected on its own",
            ],
        }
