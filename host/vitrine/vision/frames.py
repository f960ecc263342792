"""Frames: reading an image file, and fitting an image into the pipeline's frame size (scaled
to fit, never cropped, padded with black at the bottom and right)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from vitrine.errors import VitrineError


def read_image(path: Path) -> np.ndarray:
    """A BGR uint8 image; raises VitrineError naming the file when it cannot be read."""
    import cv2

    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise VitrineError(f"{path}: not an image OpenCV can read (or it does not exist)")
    return image


def fit(image: np.ndarray, width: int, height: int) -> np.ndarray:
    """The image scaled to fit width x height, on black."""
    import cv2

    h, w = image.shape[:2]
    scale = min(width / w, height / h)
    sw, sh = max(1, round(w * scale)), max(1, round(h * scale))
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    small = cv2.resize(image, (sw, sh), interpolation=interpolation)
    out = np.zeros((height, width, 3), np.uint8)
    out[:sh, :sw] = small
    return out
