"""Where the vision tests find the shared models and photos (../shared beside the project);
the tests that need them skip, saying why, when they are not there."""

from __future__ import annotations

from pathlib import Path

import pytest

from vitrine.paths import shared_dir

MODELS = shared_dir() / "models"
IMAGES = shared_dir() / "images"

needs_models = pytest.mark.skipif(
    not (MODELS / "face_detection_yunet_2023mar.onnx").is_file(),
    reason=f"the shared models are not in {MODELS} (see models/README.md)",
)
needs_images = pytest.mark.skipif(
    not (IMAGES / "pexels_group.jpeg").is_file(),
    reason=f"the shared photos are not in {IMAGES}",
)

# The five single-face photos and the expression each shows (the photos' own names).
LABELLED = {
    "pexels_angry.jpg": "angry",
    "pexels_happy-baby.jpeg": "happy",
    "pexels_neutral.jpeg": "neutral",
    "pexels_sad-baby.jpeg": "sad",
    "pexels_surprised.jpeg": "surprised",
}


def photo(name: str) -> Path:
    return IMAGES / name
