"""The per-frame pipeline: faces -> tracks -> per track attention, expression, dwell (and, for
enrolled members only, recognition); hands -> gestures every n-th frame; and, on a second
stream, people -> tracks -> counts. It turns each frame into the bus events of
vitrine.vision.events, and every presence_every-th frame into CameraPeople: the person
detector's boxes placed by the camera's geometry (vitrine.vision.people.place), which the
Presence device fuses into the zones with the time-of-flight sensors. It times every stage.

Nothing here keeps a frame: a frame, its crops and any embedding live only while the frame is
processed (a track's running average of embeddings lives while the track does and is zeroed
when it ends, and is kept only when the person is being enrolled after consenting).
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from vitrine.devices.presence import CameraPeople, CameraPerson
from vitrine.vision import events as ev
from vitrine.vision.attention import Attention, HeadPose, head_pose
from vitrine.vision.config import VisionConfig
from vitrine.vision.expression import ExpressionModel, ExpressionResult
from vitrine.vision.faces import Face, FaceDetector
from vitrine.vision.gestures import GestureRecognizer
from vitrine.vision.hands import Hand, HandDetector
from vitrine.vision.models import ModelMissing
from vitrine.vision.people import PeopleCounter, PersonBox, PersonDetector, place
from vitrine.vision.recognition import MIN_EYES_PX, Average, Embedder, align, best_match
from vitrine.vision.runtime import load
from vitrine.vision.tracking import Track, Tracker

EXPRESSION_HOLD_S = 0.5  # a new expression is reported once it has led for this long
# Faces at half size: when every face of the last frame was at least HALF_FACE_PX wide (30 px
# at half size, where YuNet still finds faces surely), the next frame's faces are looked for
# in the frame halved (the model at 320x256: a fifth of the work of 640x640); every
# FULL_EVERY-th frame, and whenever the last frame had no face, at full size, so a face far
# off (small) is found within a sixth of a second.
HALF_SIZE = (320, 256)
HALF_FACE_PX = 60.0
FULL_EVERY = 5


@dataclass
class Models:
    """The loaded models (None: not loaded, its stage is skipped)."""

    faces: FaceDetector
    expression: ExpressionModel | None = None
    faces_half: FaceDetector | None = None  # the same detector on halved frames (near faces)
    hands: HandDetector | None = None
    people: PersonDetector | None = None
    embedder: Embedder | None = None

    @classmethod
    def load(
        cls,
        config: VisionConfig,
        folders: Iterable[Path] | None = None,
        counter: bool | None = None,
    ) -> Models:
        """Load what the config uses; raises ModelError for a missing or corrupt one."""
        folders = list(folders) if folders is not None else None
        t = config.threads
        counter = bool(config.counter_source) if counter is None else counter
        people = counter or config.presence
        return cls(
            faces=FaceDetector(load("face_detector", t, folders)),
            faces_half=_optional("face_detector_half", t, folders, HALF_SIZE),
            expression=ExpressionModel(load("expression", 1, folders))
            if config.expressions
            else None,
            hands=(
                HandDetector(load("palm_detector", t, folders), load("hand_landmarks", 1, folders))
                if config.gestures
                else None
            ),
            people=PersonDetector(load("person_detector", 1, folders)) if people else None,
            embedder=Embedder(load("face_embedding", 1, folders)) if config.recognition else None,
        )


def _optional(
    name: str, threads: int, folders: list[Path] | None, size: tuple[int, int]
) -> FaceDetector | None:
    # a model the pipeline runs without (required = false): none when it is not installed,
    # an error when it is there but corrupt
    try:
        return FaceDetector(load(name, threads, folders), size=size)
    except ModelMissing:
        return None


@dataclass
class FaceResult:
    """One face of a frame with what the pipeline made of it (for analyze and the tests)."""

    face: Face
    track: int | None
    pose: HeadPose | None
    looking: bool
    expression: ExpressionResult | None

    def to_json(self) -> dict[str, Any]:
        return {
            **self.face.to_json(),
            "track": self.track,
            "head": None
            if self.pose is None
            else {
                "yaw_deg": round(self.pose.yaw_deg, 1),
                "pitch_deg": round(self.pose.pitch_deg, 1),
                "off_axis_deg": round(self.pose.off_axis_deg, 1),
                "distance_m": round(self.pose.distance_m, 2),
            },
            "looking": self.looking,
            "expression": None if self.expression is None else self.expression.to_json(),
        }


@dataclass
class FrameResult:
    t_s: float
    faces: list[FaceResult] = field(default_factory=list)
    hands: list[Hand] | None = None
    people: list[PersonBox] | None = None
    events: list[Any] = field(default_factory=list)
    stages_ms: dict[str, float] = field(default_factory=dict)


@dataclass
class _TrackState:
    attention: Attention
    first_s: float
    last_s: float
    average: Average = field(default_factory=Average)
    member: str | None = None
    size: float = 0.0


class Pipeline:
    """One camera stream's faces and hands. `process(frame, t_s)` per frame."""

    def __init__(
        self, models: Models, config: VisionConfig, templates: dict[str, np.ndarray] | None = None
    ):
        self.models = models
        self.config = config
        self.tracker = Tracker()
        self.gestures = GestureRecognizer()
        self.templates = templates if templates is not None else {}
        self.enrolling: str | None = None  # a consenting member whose template is being made
        self.enrolled: dict[str, np.ndarray] = {}  # templates made, for the caller to seal
        self._tracks: dict[int, _TrackState] = {}
        self._frame = 0
        self._last_faces: list[float] = []  # the widths of the last frame's faces, pixels
        self.half_frames = 0  # frames whose faces were looked for at half size
        self._expr_led: tuple[str, float] | None = None  # (label, since)
        self._expr_said: str | None = None

    @staticmethod
    def _ns(t_s: float) -> int:
        return time.monotonic_ns()

    def process(self, frame: np.ndarray, t_s: float) -> FrameResult:
        import cv2

        out = FrameResult(t_s)
        stages = out.stages_ms
        t0 = time.perf_counter()
        detector = self._face_detector()
        faces = detector.detect(frame)
        self._last_faces = [f.box[2] for f in faces]
        t1 = time.perf_counter()
        stages["faces"] = (t1 - t0) * 1000
        self.half_frames += detector is self.models.faces_half
        tracks = self.tracker.update(t_s, [f.box for f in faces], [f.score for f in faces], faces)
        t2 = time.perf_counter()
        stages["tracking"] = (t2 - t1) * 1000
        by_face = {id(t.detection): t for t in tracks}
        grey = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY) if self.models.expression else None
        for stage in ("attention", "expression", "recognition"):
            stages[stage] = 0.0
        main: FaceResult | None = None
        for face in faces:
            result = self._face((frame, grey), face, by_face.get(id(face)), out)
            out.faces.append(result)
            if result.track is not None and (main is None or face.box[2] > main.face.box[2]):
                main = result
        if self.models.expression is None:
            del stages["expression"]
        if self.models.embedder is None:
            del stages["recognition"]
        self._expression(main, t_s, out)
        if (
            self.config.presence
            and self.models.people is not None
            and self._frame % self.config.presence_every == 0
        ):
            a = time.perf_counter()
            out.people = self.models.people.detect(frame)
            out.events.append(self._people(out.people, frame.shape, t_s))
            stages["people"] = (time.perf_counter() - a) * 1000
        self._ended(t_s, out)
        if self.models.hands is not None and self._frame % self.config.gestures_every == 0:
            a = time.perf_counter()
            rgb = cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
            out.hands = self.models.hands.detect(rgb)
            for name in self.gestures.update(t_s, out.hands):
                track = main.track if main else 0
                out.events.append(ev.GESTURES[name](t_ns=self._ns(t_s), track=track or 0))
            stages["gestures"] = (time.perf_counter() - a) * 1000
        self._frame += 1
        stages["total"] = (time.perf_counter() - t0) * 1000
        return out

    def _face_detector(self) -> FaceDetector:
        """Full size, or half size when the last frame's faces were all near (HALF_FACE_PX)."""
        half = self.models.faces_half
        if (
            half is None
            or not self._last_faces
            or self._frame % FULL_EVERY == 0
            or min(self._last_faces) < HALF_FACE_PX
        ):
            return self.models.faces
        return half

    def _face(
        self,
        images: tuple[np.ndarray, np.ndarray | None],
        face: Face,
        track: Track | None,
        out: FrameResult,
    ) -> FaceResult:
        # One face: head pose and attention, expression, recognition (each stage's time added
        # to the frame's).
        frame, grey = images
        t_s, spent = out.t_s, out.stages_ms
        h, w = frame.shape[:2]
        a = time.perf_counter()
        pose = head_pose(face.landmarks, w, h, self.config.hfov_deg)
        b = time.perf_counter()
        expression = None
        if self.models.expression is not None and grey is not None:
            expression = self.models.expression.classify(grey, face.box)
        c = time.perf_counter()
        spent["attention"] += (b - a) * 1000
        spent["expression"] += (c - b) * 1000
        if track is None:
            return FaceResult(face, None, pose, False, expression)
        state = self._tracks.get(track.id)
        if state is None:
            state = _TrackState(
                Attention(self.config.attention_cone_deg, self.config.attention_dwell_s),
                track.first_s,
                t_s,
            )
            self._tracks[track.id] = state
        state.last_s = t_s
        state.size = face.box[2]
        was = state.attention.looking
        began = state.attention.update(t_s, pose)
        if began or (was and not state.attention.looking):
            out.events.append(
                ev.Attention(
                    track=track.id,
                    looking=began,
                    seconds=round(state.attention.seconds, 2),
                    t_ns=self._ns(t_s),
                )
            )
        d = time.perf_counter()
        self._recognise(frame, face, track, state, out)
        spent["recognition"] += (time.perf_counter() - d) * 1000
        return FaceResult(face, track.id, pose, state.attention.looking, expression)

    def _recognise(
        self, frame: np.ndarray, face: Face, track: Track, state: _TrackState, out: FrameResult
    ) -> None:
        # Only when there is someone to match (enrolled members) or a consenting member to
        # enrol; a face too small for a reliable template is passed over.
        embedder = self.models.embedder
        if embedder is None or state.member is not None:
            return
        enrolling = self.enrolling is not None and self._is_main(track)
        if not self.templates and not enrolling:
            return
        eyes = float(np.hypot(*(face.landmarks[1] - face.landmarks[0])))
        if eyes < MIN_EYES_PX or face.score < 0.8:  # noqa: PLR2004
            return
        aligned = align(frame, face.landmarks)
        if aligned is None:
            return
        state.average.add(embedder.embed(aligned))
        aligned.fill(0)
        if not state.average.ready:
            return
        self._conclude(state, track, state.average.mean(), enrolling, out)

    def _conclude(
        self, state: _TrackState, track: Track, mean: np.ndarray, enrolling: bool, out: FrameResult
    ) -> None:
        # Enough frames averaged: enrol the consenting member, or match against members.
        if enrolling and self.enrolling is not None:
            self.enrolled[self.enrolling] = mean
            state.member = self.enrolling
            self.templates[self.enrolling] = mean
            out.events.append(
                ev.MemberEnrolled(member=self.enrolling, ok=True, reason="", t_ns=self._ns(out.t_s))
            )
            self.enrolling = None
            state.average.clear()
            return
        match = best_match(mean, self.templates)
        mean.fill(0)
        if match is None:
            state.average.clear()  # nobody: start afresh, keep nothing
            return
        state.member = match[0]
        state.average.clear()
        out.events.append(
            ev.MemberRecognised(
                member=match[0],
                similarity=round(match[1], 3),
                track=track.id,
                t_ns=self._ns(out.t_s),
            )
        )

    def _is_main(self, track: Track) -> bool:
        biggest = max(self._tracks.items(), key=lambda kv: kv[1].size, default=None)
        return biggest is not None and biggest[0] == track.id

    def forget(self, member: str) -> None:
        """Drop a member's template and their link to any live track."""
        template = self.templates.pop(member, None)
        if template is not None:
            template.fill(0)
        self.enrolled.pop(member, None)
        for state in self._tracks.values():
            if state.member == member:
                state.member = None
        if self.enrolling == member:
            self.enrolling = None

    def _expression(self, main: FaceResult | None, t_s: float, out: FrameResult) -> None:
        # The engaged person's (the biggest face's) expression, reported when a new label has
        # led for EXPRESSION_HOLD_S.
        if main is None or main.expression is None:
            self._expr_led = None
            return
        label = main.expression.label
        if self._expr_led is None or self._expr_led[0] != label:
            self._expr_led = (label, t_s)
            return
        if label != self._expr_said and t_s - self._expr_led[1] >= EXPRESSION_HOLD_S:
            self._expr_said = label
            out.events.append(
                ev.Expression(
                    label=label, confidence=round(main.expression.confidence, 3), t_ns=self._ns(t_s)
                )
            )

    def _people(self, boxes: list[PersonBox], shape: tuple[int, ...], t_s: float) -> CameraPeople:
        """The frame's person boxes placed in front of the mirror, for the presence zones."""
        h, w = shape[:2]
        people = []
        for box in boxes:
            p = place(box.box, w, h, self.config.hfov_deg, self.config.camera_height_m)
            people.append(
                CameraPerson(
                    distance_mm=round(p.distance_m * 1000),
                    bearing_deg=round(p.bearing_deg, 2),
                    sigma_mm=round(p.sigma_m * 1000),
                    confidence=round(box.score, 3),
                )
            )
        return CameraPeople(people=tuple(people), t_ns=self._ns(t_s))

    def _ended(self, t_s: float, out: FrameResult) -> None:
        for track in self.tracker.ended:
            state = self._tracks.pop(track.id, None)
            if state is None:
                continue
            state.average.clear()
            out.events.append(
                ev.Visitor(
                    track=track.id,
                    dwell_s=round(state.last_s - state.first_s, 2),
                    attention_s=round(state.attention.seconds, 2),
                    member=state.member,
                    t_ns=self._ns(t_s),
                )
            )
        self.tracker.ended.clear()

    def finish(self, t_s: float) -> list[Any]:
        """End every track (the stream stopped): their Visitor events."""
        out = FrameResult(t_s)
        self.tracker.ended += [t for t in self.tracker.tracks if t.confirmed]
        self.tracker.tracks = []
        self._ended(t_s, out)
        return out.events

    def attention_by_track(self) -> dict[int, float]:
        return {k: s.attention.seconds for k, s in self._tracks.items()}


class CounterPipeline:
    """The people counter's stream: person boxes -> tracks -> PeopleCounted events."""

    def __init__(self, detector: PersonDetector, line: float = 0.8) -> None:
        self.detector = detector
        self.counter = PeopleCounter(line)
        self.times: deque[float] = deque(maxlen=1000)

    def process(self, frame: np.ndarray, t_s: float) -> FrameResult:
        out = FrameResult(t_s)
        a = time.perf_counter()
        out.people = self.detector.detect(frame)
        b = time.perf_counter()
        for kind, track in self.counter.update(t_s, out.people, frame.shape[0]):
            out.events.append(ev.PeopleCounted(kind=kind, track=track, t_ns=time.monotonic_ns()))  # type: ignore[arg-type]
        c = time.perf_counter()
        out.stages_ms = {
            "people": (b - a) * 1000,
            "counting": (c - b) * 1000,
            "total": (c - a) * 1000,
        }
        return out
