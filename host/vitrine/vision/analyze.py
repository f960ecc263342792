"""What `vitrine vision analyze` reports for a file, and the picture --annotate draws."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from vitrine.errors import VitrineError
from vitrine.vision.config import VisionConfig
from vitrine.vision.pipeline import Models, Pipeline
from vitrine.vision.sources import IMAGE_EXTENSIONS, open_source


def _frame_report(
    pipeline: Pipeline, models: Models, frame: np.ndarray, t: float
) -> dict[str, Any]:
    import cv2

    result = pipeline.process(frame, t)
    faces = []
    for r in result.faces:
        face = r.to_json()
        face["facing"] = (
            r.pose is not None and r.pose.off_axis_deg <= pipeline.config.attention_cone_deg
        )
        faces.append(face)
    hands = result.hands
    if hands is None and models.hands is not None:
        hands = models.hands.detect(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
    people = models.people.detect(frame) if models.people is not None else []
    return {
        "t_s": round(t, 3),
        "faces": faces,
        "people": [p.to_json() for p in people],
        "hands": [h.to_json() for h in hands or []],
        "events": [type(e).__name__ for e in result.events],
    }


def analyze_file(
    path: Path, models: Models, config: VisionConfig, max_frames: int = 300
) -> tuple[dict[str, Any], np.ndarray | None]:
    """The report of one image or video, and its last frame (for --annotate)."""
    if not path.is_file():
        raise VitrineError(f"{path}: no such file")
    pipeline = Pipeline(models, config)
    size = (config.width_px, config.height_px)
    kind = "image" if path.suffix.lower() in IMAGE_EXTENSIONS else "video"
    frames: list[dict[str, Any]] = []
    last = None
    if kind == "image":
        from vitrine.vision.frames import fit, read_image

        last = fit(read_image(path), *size)
        frames.append(_frame_report(pipeline, models, last, 0.0))
    else:
        source = open_source(f"file:{path}", size)
        try:
            while len(frames) < max_frames and (item := source.read()) is not None:
                last, t = item
                frames.append(_frame_report(pipeline, models, last, t))
        finally:
            source.close()
        if not frames:
            raise VitrineError(f"{path}: no frame could be read")
    return {"path": str(path), "kind": kind, "frames": frames}, last


def annotate(frame: np.ndarray, report: dict[str, Any], out: Path) -> None:
    """Draw a frame's report onto a copy of it and write it to out (JPEG)."""
    import cv2

    img = frame.copy()
    for person in report["people"]:
        x, y, w, h = (round(v) for v in person["box"])
        cv2.rectangle(img, (x, y), (x + w, y + h), (255, 160, 0), 1)
    for face in report["faces"]:
        x, y, w, h = (round(v) for v in face["box"])
        colour = (0, 200, 0) if face["facing"] else (0, 160, 255)
        cv2.rectangle(img, (x, y), (x + w, y + h), colour, 2)
        for px, py in face["landmarks"]:
            cv2.circle(img, (round(px), round(py)), 2, (0, 0, 255), -1)
        expr = face["expression"]
        label = f"{expr['label']} {expr['confidence']:.2f}" if expr else ""
        cv2.putText(img, label, (x, max(12, y - 4)), cv2.FONT_HERSHEY_SIMPLEX, 0.45, colour, 1)
    for hand in report["hands"]:
        for px, py in hand["landmarks"]:
            cv2.circle(img, (round(px), round(py)), 2, (255, 0, 255), -1)
    if not cv2.imwrite(str(out), img):
        raise VitrineError(f"{out}: cannot be written")
