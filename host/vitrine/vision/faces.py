"""Faces: YuNet (models/manifest.toml `face_detector`) run by onnxruntime and decoded here from
its raw outputs, so the pipeline needs no more of OpenCV's DNN module than a peer to compare
with (tests and `vitrine bench vision` check against cv2.FaceDetectorYN on the same file).

The model takes 640x640; a frame is fitted by scaling its long side to 640 (never up) and
padding the bottom or right with zeros. The same weights with any input size (manifest
`face_detector_half`, sides multiples of 64) look at a frame halved, 320x256, when the faces
are near: a fifth of the work (vitrine.vision.pipeline says when). Per stride s (8, 16, 32)
cell i is at row i // (W/s), column i % (W/s) for an input W wide; score = sqrt(cls * obj);
the box centre is ((col + dx) * s, (row + dy) * s), its size (exp(dw) * s, exp(dh) * s);
each landmark is ((col + kx) * s, (row + ky) * s), in the order right eye, left eye, nose
tip, right and left mouth corner (the subject's right: the left one in the image). Overlaps
are removed by non-maximum suppression at IoU 0.3, as libfacedetection does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

INPUT = 640
STRIDES = (8, 16, 32)
SCORE_MIN = 0.6
NMS_IOU = 0.3
TOP_K = 50


@dataclass(frozen=True)
class Face:
    """A face in frame pixels: box (x, y, w, h) from its top-left corner, the detector's score
    and the five landmarks ((x, y) each, in the order of the module's docstring)."""

    box: tuple[float, float, float, float]
    score: float
    landmarks: np.ndarray = field(repr=False)  # (5, 2) float32

    def to_json(self) -> dict[str, Any]:
        return {
            "box": [round(v, 1) for v in self.box],
            "score": round(self.score, 3),
            "landmarks": [[round(float(x), 1), round(float(y), 1)] for x, y in self.landmarks],
        }


def _grids(width: int = INPUT, height: int = INPUT) -> list[tuple[int, np.ndarray, np.ndarray]]:
    out = []
    for s in STRIDES:
        rows, cols = np.divmod(
            np.arange((height // s) * (width // s), dtype=np.float32), width // s
        )
        out.append((s, cols, rows))
    return out


class FaceDetector:
    """YuNet on onnxruntime with our decoding. `detect(frame)` takes a BGR uint8 image of any
    size (640x480 is the camera's) and returns the faces in its pixels, best first. `size`
    (width, height) is the model's input: 640x640 for `face_detector`, any multiples of 64
    for `face_detector_half`."""

    def __init__(
        self,
        session: Any,
        score_min: float = SCORE_MIN,
        nms_iou: float = NMS_IOU,
        size: tuple[int, int] = (INPUT, INPUT),
    ):
        width, height = size
        if width % 64 or height % 64 or width <= 0 or height <= 0:
            raise ValueError(f"size={size!r}: allowed widths and heights are multiples of 64")
        self.size = size
        self.session = session
        self.score_min = score_min
        self.nms_iou = nms_iou
        self._input = session.get_inputs()[0].name
        self._names = [f"{k}_{s}" for s in STRIDES for k in ("cls", "obj", "bbox", "kps")]
        self._grids = _grids(width, height)
        self._canvas = np.zeros((height, width, 3), np.uint8)
        self._blob = np.zeros((1, 3, height, width), np.float32)

    def prepare(self, frame: np.ndarray) -> float:
        """Fit the frame into the input tensor; the scale from frame to input pixels."""
        import cv2

        h, w = frame.shape[:2]
        width, height = self.size
        scale = min(1.0, width / w, height / h)
        if scale < 1.0:
            frame = cv2.resize(
                frame, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA
            )
        fh, fw = frame.shape[:2]
        canvas = self._canvas
        canvas[:fh, :fw] = frame
        if fh < height:
            canvas[fh:] = 0
        if fw < width:
            canvas[:fh, fw:] = 0
        np.copyto(self._blob[0], canvas.transpose(2, 0, 1), casting="unsafe")
        return scale

    def detect(self, frame: np.ndarray) -> list[Face]:
        scale = self.prepare(frame)
        outputs = self.session.run(self._names, {self._input: self._blob})
        return self.decode(outputs, scale)

    def decode(self, outputs: list[np.ndarray], scale: float = 1.0) -> list[Face]:
        """Faces from the twelve outputs (cls, obj, bbox, kps per stride, in that order),
        mapped back to frame pixels by dividing by `scale`."""
        boxes, scores, marks = [], [], []
        for k, (s, cols, rows) in enumerate(self._grids):
            cls, obj, bbox, kps = (o[0] for o in outputs[4 * k : 4 * k + 4])
            score = np.sqrt(np.clip(cls[:, 0], 0, 1) * np.clip(obj[:, 0], 0, 1))
            keep = np.nonzero(score >= self.score_min)[0]
            if keep.size == 0:
                continue
            c, r, b, p = cols[keep], rows[keep], bbox[keep], kps[keep]
            cx, cy = (c + b[:, 0]) * s, (r + b[:, 1]) * s
            w, h = np.exp(b[:, 2]) * s, np.exp(b[:, 3]) * s
            boxes.append(np.stack([cx - w / 2, cy - h / 2, w, h], axis=1))
            scores.append(score[keep])
            xs = (c[:, None] + p[:, 0::2]) * s
            ys = (r[:, None] + p[:, 1::2]) * s
            marks.append(np.stack([xs, ys], axis=2))
        if not boxes:
            return []
        all_boxes = np.concatenate(boxes) / scale
        all_scores = np.concatenate(scores)
        all_marks = np.concatenate(marks) / scale
        order = nms(all_boxes, all_scores, self.nms_iou)[:TOP_K]
        return [
            Face(
                tuple(float(v) for v in all_boxes[i]),  # type: ignore[arg-type]
                float(all_scores[i]),
                all_marks[i].astype(np.float32),
            )
            for i in order
        ]


def nms(boxes: np.ndarray, scores: np.ndarray, iou_max: float) -> list[int]:
    """Greedy non-maximum suppression of (x, y, w, h) boxes: indices kept, best first."""
    order = list(np.argsort(-scores))
    x1, y1 = boxes[:, 0], boxes[:, 1]
    x2, y2 = x1 + boxes[:, 2], y1 + boxes[:, 3]
    area = boxes[:, 2] * boxes[:, 3]
    keep: list[int] = []
    while order:
        i = order.pop(0)
        keep.append(int(i))
        if not order:
            break
        rest = np.array(order)
        w = np.clip(np.minimum(x2[i], x2[rest]) - np.maximum(x1[i], x1[rest]), 0, None)
        h = np.clip(np.minimum(y2[i], y2[rest]) - np.maximum(y1[i], y1[rest]), 0, None)
        inter = w * h
        iou = inter / (area[i] + area[rest] - inter + 1e-9)
        order = [j for j, o in zip(order, iou, strict=True) if o <= iou_max]
    return keep


def iou(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    """Intersection over union of two (x, y, w, h) boxes."""
    w = max(0.0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    inter = w * h
    union = a[2] * a[3] + b[2] * b[3] - inter
    return inter / union if union > 0 else 0.0
