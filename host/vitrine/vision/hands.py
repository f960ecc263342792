"""Hands: MediaPipe's palm detector and hand landmark model (manifest `palm_detector`,
`hand_landmarks`), decoded here.

Palm detection (192x192, RGB 0..1, the frame letterboxed into the middle): 2016 anchors of
unit size at the cell centres of a 24x24 grid (2 per cell) and a 12x12 grid (6 per cell);
row k holds the box (cx, cy, w, h) and 7 keypoints (x, y) as offsets in input pixels from
its anchor's centre; score = sigmoid(logit). NMS at IoU 0.3.

Hand landmarks need MediaPipe's rotated crop around the palm: rotation
r = 90deg - atan2(-(k2y - k0y), k2x - k0x) (k0 the wrist, k2 the middle finger's base), the
centre moved by half the palm's height along the rotated "up", a square of 2.6 times the
palm's longer side, warped to 224x224 (RGB 0..1). Without the rotation the model's presence
score collapses. Its 21 points come back in crop pixels and are mapped back to the frame.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from vitrine.vision.faces import nms

PALM_INPUT = 192
HAND_INPUT = 224
PALM_SCORE_MIN = 0.5
PALM_NMS_IOU = 0.3
PRESENCE_MIN = 0.5
CROP_SCALE = 2.6
CROP_SHIFT_Y = -0.5
MAX_HANDS = 2


def _anchors() -> np.ndarray:
    rows = []
    for grid, per_cell in ((24, 2), (12, 6)):
        for y in range(grid):
            for x in range(grid):
                rows += [((x + 0.5) / grid, (y + 0.5) / grid)] * per_cell
    return np.array(rows, np.float32)


@dataclass(frozen=True)
class Palm:
    """A palm in frame pixels: box (x, y, w, h), score, 7 keypoints (7, 2)."""

    box: tuple[float, float, float, float]
    score: float
    keypoints: np.ndarray = field(repr=False)


@dataclass(frozen=True)
class Hand:
    """A hand's 21 landmarks in frame pixels (21, 2), the model's presence score, and the palm
    it was found from."""

    landmarks: np.ndarray = field(repr=False)
    presence: float
    palm: Palm

    @property
    def centre(self) -> tuple[float, float]:
        # the palm's centre: wrist and the four fingers' bases
        pts = self.landmarks[[0, 5, 9, 13, 17]]
        return float(pts[:, 0].mean()), float(pts[:, 1].mean())

    @property
    def size(self) -> float:
        """The palm's length, wrist to the middle finger's base, in pixels."""
        return float(np.hypot(*(self.landmarks[9] - self.landmarks[0])))

    def fingers_extended(self) -> int:
        """How many of the five fingers are stretched out: the tip farther from the wrist
        than the middle joint by a margin (the thumb: its tip farther from the little
        finger's base than its own base is)."""
        lm = self.landmarks
        wrist = lm[0]
        count = 0
        for tip, pip in ((8, 6), (12, 10), (16, 14), (20, 18)):
            if np.hypot(*(lm[tip] - wrist)) > 1.1 * np.hypot(*(lm[pip] - wrist)):
                count += 1
        if np.hypot(*(lm[4] - lm[17])) > 1.1 * np.hypot(*(lm[2] - lm[17])):
            count += 1
        return count

    def upright(self) -> bool:
        """Fingers pointing up: from the wrist to the middle finger's base within 45 degrees
        of straight up in the image."""
        dx, dy = self.landmarks[9] - self.landmarks[0]
        return bool(dy < 0 and abs(dx) <= -dy)

    def to_json(self) -> dict[str, Any]:
        return {
            "presence": round(self.presence, 3),
            "palm_box": [round(v, 1) for v in self.palm.box],
            "fingers_extended": self.fingers_extended(),
            "landmarks": [[round(float(x), 1), round(float(y), 1)] for x, y in self.landmarks],
        }


class HandDetector:
    """Palms, then each palm's 21 landmarks. `detect(rgb)` takes an RGB uint8 frame."""

    def __init__(self, palm_session: Any, landmark_session: Any, max_hands: int = MAX_HANDS):
        self.palm_session = palm_session
        self.landmark_session = landmark_session
        self.max_hands = max_hands
        self._palm_in = palm_session.get_inputs()[0].name
        self._hand_in = landmark_session.get_inputs()[0].name
        self._anchors = _anchors()

    def palms(self, rgb: np.ndarray) -> list[Palm]:
        import cv2

        h, w = rgb.shape[:2]
        scale = PALM_INPUT / max(h, w)
        sw, sh = round(w * scale), round(h * scale)
        canvas = np.zeros((PALM_INPUT, PALM_INPUT, 3), np.float32)
        ox, oy = (PALM_INPUT - sw) // 2, (PALM_INPUT - sh) // 2
        small = cv2.resize(rgb, (sw, sh), interpolation=cv2.INTER_AREA)
        canvas[oy : oy + sh, ox : ox + sw] = small.astype(np.float32) / 255.0
        raw, logits = self.palm_session.run(None, {self._palm_in: canvas[None]})
        return self.decode_palms(raw[0], logits[0, :, 0], scale, ox, oy)

    def decode_palms(
        self, raw: np.ndarray, logits: np.ndarray, scale: float, ox: float, oy: float
    ) -> list[Palm]:
        scores = 1.0 / (1.0 + np.exp(-np.clip(logits, -100, 100)))
        keep = np.nonzero(scores >= PALM_SCORE_MIN)[0]
        if keep.size == 0:
            return []
        a = self._anchors[keep] * PALM_INPUT
        r = raw[keep]
        cx, cy = r[:, 0] + a[:, 0], r[:, 1] + a[:, 1]
        bw, bh = r[:, 2], r[:, 3]
        boxes = np.stack([cx - bw / 2, cy - bh / 2, bw, bh], axis=1)
        kps = r[:, 4:18].reshape(-1, 7, 2) + a[:, None, :]
        order = nms(boxes, scores[keep], PALM_NMS_IOU)[: self.max_hands]
        out = []
        for i in order:
            b = boxes[i]
            box = ((b[0] - ox) / scale, (b[1] - oy) / scale, b[2] / scale, b[3] / scale)
            k = (kps[i] - np.array([ox, oy], np.float32)) / scale
            out.append(Palm(tuple(float(v) for v in box), float(scores[keep][i]), k))  # type: ignore[arg-type]
        return out

    @staticmethod
    def crop_matrix(palm: Palm) -> np.ndarray:
        """The 2x3 affine map from the 224x224 crop's pixels to the frame's (MediaPipe's
        rotated rectangle around the palm)."""
        x, y, w, h = palm.box
        k0, k2 = palm.keypoints[0], palm.keypoints[2]
        r = math.pi / 2 - math.atan2(-(k2[1] - k0[1]), k2[0] - k0[0])
        r = (r + math.pi) % (2 * math.pi) - math.pi
        cx, cy = x + w / 2, y + h / 2
        cx += -h * CROP_SHIFT_Y * math.sin(r)
        cy += h * CROP_SHIFT_Y * math.cos(r)
        side = CROP_SCALE * max(w, h)
        c, s = math.cos(r), math.sin(r)
        k = side / HAND_INPUT
        # frame = centre + R(r) @ ((u, v) - 112) * k
        return np.array(
            [
                [c * k, -s * k, cx - (c * k * 112 - s * k * 112)],
                [s * k, c * k, cy - (s * k * 112 + c * k * 112)],
            ],
            np.float64,
        )

    def landmarks(self, rgb: np.ndarray, palm: Palm) -> Hand | None:
        import cv2

        m = self.crop_matrix(palm)
        crop = cv2.warpAffine(
            rgb,
            m,
            (HAND_INPUT, HAND_INPUT),
            flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
            borderMode=cv2.BORDER_CONSTANT,
        )
        tensor = (crop.astype(np.float32) / 255.0)[None]
        outputs = self.landmark_session.run(None, {self._hand_in: tensor})
        points, presence = outputs[0][0], float(outputs[1][0][0])
        if presence < PRESENCE_MIN:
            return None
        uv = points.reshape(21, 3)[:, :2].astype(np.float64)
        xy = uv @ m[:, :2].T + m[:, 2]
        return Hand(xy.astype(np.float32), presence, palm)

    def detect(self, rgb: np.ndarray) -> list[Hand]:
        hands = []
        for palm in self.palms(rgb):
            hand = self.landmarks(rgb, palm)
            if hand is not None:
                hands.append(hand)
        return hands
