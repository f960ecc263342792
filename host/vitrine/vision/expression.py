"""Expression: the FER mini-Xception model (manifest `expression`) on a face, its seven classes
mapped onto the engine's four labels.

Input: the face box made square around its centre, grown 10 px a side, cut from the grey
frame, resized to 64x64, x/255 then (x - 0.5) * 2, NHWC [1, 64, 64, 1].

The mapping (the engine offers help on "frustrated"; docs/vision.md repeats it):
  happy -> happy;  surprise -> surprised;  neutral -> neutral;
  angry, disgust, fear, sad -> frustrated (the negative expressions a shopper shows when
  something does not go their way; fear is among them because on FER2013 it is mostly the
  tense, anxious face, not a startle, which is "surprise").
The engine's label's probability is the sum of its classes' probabilities.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from vitrine.vision.events import ExpressionLabel

CLASSES = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
TO_ENGINE: dict[str, ExpressionLabel] = {
    "angry": "frustrated",
    "disgust": "frustrated",
    "fear": "frustrated",
    "happy": "happy",
    "sad": "frustrated",
    "surprise": "surprised",
    "neutral": "neutral",
}
SIZE = 64
GROW_PX = 10


@dataclass(frozen=True)
class ExpressionResult:
    """The model's seven probabilities, and the engine's label with its summed probability."""

    probabilities: dict[str, float]  # over CLASSES
    label: ExpressionLabel
    confidence: float

    @property
    def top(self) -> str:
        """The model's own most likely class."""
        return max(self.probabilities, key=self.probabilities.__getitem__)

    def to_json(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "confidence": round(self.confidence, 3),
            "top": self.top,
            "probabilities": {k: round(v, 3) for k, v in self.probabilities.items()},
        }


def engine_label(probabilities: dict[str, float]) -> tuple[ExpressionLabel, float]:
    """The engine's label with the most probability summed over its classes."""
    sums: dict[ExpressionLabel, float] = {}
    for cls, p in probabilities.items():
        sums[TO_ENGINE[cls]] = sums.get(TO_ENGINE[cls], 0.0) + p
    label = max(sums, key=sums.__getitem__)
    return label, sums[label]


def crop(grey: np.ndarray, box: tuple[float, float, float, float]) -> np.ndarray:
    """The model's input from a grey frame and a face box (x, y, w, h)."""
    import cv2

    x, y, w, h = box
    side = max(w, h) + 2 * GROW_PX
    cx, cy = x + w / 2, y + h / 2
    x0, y0 = round(cx - side / 2), round(cy - side / 2)
    x1, y1 = x0 + round(side), y0 + round(side)
    H, W = grey.shape[:2]
    patch = grey[max(0, y0) : min(H, y1), max(0, x0) : min(W, x1)]
    if patch.size == 0:
        patch = np.zeros((SIZE, SIZE), np.uint8)
    # outside the frame: the nearest row or column repeated, as a camera's edge would be
    patch = cv2.copyMakeBorder(
        patch,
        max(0, -y0),
        max(0, y1 - H),
        max(0, -x0),
        max(0, x1 - W),
        cv2.BORDER_REPLICATE,
    )
    small = cv2.resize(patch, (SIZE, SIZE), interpolation=cv2.INTER_AREA)
    return ((small.astype(np.float32) / 255.0 - 0.5) * 2.0).reshape(1, SIZE, SIZE, 1)


class ExpressionModel:
    """FER on onnxruntime. `classify(grey, box)` for one face."""

    def __init__(self, session: Any) -> None:
        self.session = session
        self._input = session.get_inputs()[0].name

    def classify(
        self, grey: np.ndarray, box: tuple[float, float, float, float]
    ) -> ExpressionResult:
        (scores,) = self.session.run(None, {self._input: crop(grey, box)})
        return self.result(scores[0])

    @staticmethod
    def result(scores: np.ndarray) -> ExpressionResult:
        """From the model's seven outputs (probabilities; renormalised to sum 1)."""
        p = np.clip(np.asarray(scores, np.float64), 0, None)
        total = p.sum()
        p = p / total if total > 0 else np.full(len(CLASSES), 1 / len(CLASSES))
        probabilities = {c: float(v) for c, v in zip(CLASSES, p, strict=True)}
        label, confidence = engine_label(probabilities)
        return ExpressionResult(probabilities, label, confidence)
