"""Opt-in loyalty recognition: a face aligned to 112x112 with its five landmarks, embedded
(manifest `face_embedding`, MobileFace V2: its output is L2-normalised, so a dot product is the
cosine), embeddings averaged over several frames of one track, and matched against the
enrolled members' templates only.

Threshold: MATCH_MIN = 0.53, the threshold at which the model's false-accept rate measured on
100 LFW identities is 0.1% (true-accept 0.73 there; 0.42 gives FAR 1%, TAR 0.88). Different
adults in the shared photos score at most 0.19. Averaging over AVERAGE_FRAMES frames steadies
the landmarks, which single detections move (the same face re-detected fell to about 0.5).
A track whose average matches nobody is simply not recognised: nothing of it is kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

# ArcFace's five-point template in the 112x112 crop, in YuNet's order (right eye, left eye,
# nose tip, right and left mouth corner: image left before image right).
TEMPLATE = np.array(
    [
        [38.2946, 51.6963],
        [73.5318, 51.5014],
        [56.0252, 71.7366],
        [41.5493, 92.3655],
        [70.7299, 92.2041],
    ],
    np.float32,
)
SIZE = 112
MATCH_MIN = 0.53
AVERAGE_FRAMES = 5
MIN_EYES_PX = 20.0  # a face smaller than this (eye to eye) is too small to recognise


def align(bgr: np.ndarray, landmarks: np.ndarray) -> np.ndarray | None:
    """The face warped onto the template (RGB, 112x112), or None when no similarity
    transform fits the landmarks."""
    import cv2

    matrix, _ = cv2.estimateAffinePartial2D(
        np.asarray(landmarks, np.float32).reshape(5, 2), TEMPLATE, method=cv2.LMEDS
    )
    if matrix is None:
        return None
    crop = cv2.warpAffine(bgr, matrix, (SIZE, SIZE), flags=cv2.INTER_LINEAR)
    return cv2.cvtColor(crop, cv2.COLOR_BGR2RGB)


class Embedder:
    """The embedding model: `embed(aligned_rgb)` -> an L2-normalised float32 vector."""

    def __init__(self, session: Any) -> None:
        self.session = session
        self._input = session.get_inputs()[0].name

    def embed(self, rgb: np.ndarray) -> np.ndarray:
        tensor = rgb.transpose(2, 0, 1)[None].astype(np.float32)
        (out,) = self.session.run(None, {self._input: tensor})
        return normalised(out[0])


def normalised(v: np.ndarray) -> np.ndarray:
    v = np.asarray(v, np.float32).reshape(-1)
    n = float(np.linalg.norm(v))
    return v / n if n > 0 else v


@dataclass
class Average:
    """Embeddings of one track, averaged once there are enough of them."""

    vectors: list[np.ndarray] = field(default_factory=list)

    def add(self, v: np.ndarray) -> None:
        self.vectors.append(v)
        if len(self.vectors) > AVERAGE_FRAMES:
            self.vectors.pop(0)

    @property
    def ready(self) -> bool:
        return len(self.vectors) >= AVERAGE_FRAMES

    def mean(self) -> np.ndarray:
        return normalised(np.mean(self.vectors, axis=0))

    def clear(self) -> None:
        # the vectors are overwritten before they are let go, so no copy lingers in memory
        for v in self.vectors:
            v.fill(0)
        self.vectors.clear()


def best_match(
    query: np.ndarray, templates: dict[str, np.ndarray], threshold: float = MATCH_MIN
) -> tuple[str, float] | None:
    """The enrolled member whose template is most similar to the query, if at least the
    threshold; None otherwise (a non-member is never matched)."""
    best: tuple[str, float] | None = None
    for member, template in templates.items():
        similarity = float(np.dot(query, template))
        if similarity >= threshold and (best is None or similarity > best[1]):
            best = (member, similarity)
    return best
