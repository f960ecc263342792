"""Opt-in recognition: templates sealed at rest (unreadable without the key, the key 0600,
a template bound to its member), forgetting, and matching on the photos: a member's face
again matches, other people never do."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import numpy as np
import pytest

from tests.host.vision.conftest import needs_images, needs_models, photo
from vitrine.vision.faces import FaceDetector
from vitrine.vision.frames import fit, read_image
from vitrine.vision.recognition import MATCH_MIN, Average, Embedder, align, best_match
from vitrine.vision.runtime import load
from vitrine.vision.templates import TemplateError, TemplateStore, load_or_create_key


def test_templates_are_sealed_and_the_key_is_private(tmp_path: Path) -> None:
    store = TemplateStore.open(tmp_path)
    key = tmp_path / "templates.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    v = np.linspace(-1, 1, 256).astype(np.float32)
    store.put("M-0001", v, 1000.0)
    assert np.array_equal(store.load()["M-0001"], v)
    store.close()
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("templates.db*"))
    assert v.tobytes()[:64] not in raw  # the vector is not in the file in the clear
    # another key opens nothing
    (tmp_path / "other").mkdir()
    other = TemplateStore(tmp_path / "templates.db", load_or_create_key(tmp_path / "other/k"))
    with pytest.raises(TemplateError, match="does not open"):
        other.load()
    # a sealed template moved to another member does not open either
    other.close()
    store = TemplateStore.open(tmp_path)
    store.db.execute("UPDATE templates SET member = 'M-0002'")
    with pytest.raises(TemplateError, match="M-0002"):
        store.load()


def test_forget_and_retention_remove_templates(tmp_path: Path) -> None:
    store = TemplateStore.open(tmp_path)
    store.put("M-1", np.ones(4, np.float32), 100.0)
    store.put("M-2", np.ones(4, np.float32), 200.0)
    assert store.forget("M-1") is True
    assert store.forget("M-1") is False
    assert store.prune(older_than=250.0) == 1
    assert store.members() == []


def test_a_key_others_can_read_is_refused(tmp_path: Path) -> None:
    key = tmp_path / "k"
    key.write_bytes(os.urandom(32))
    key.chmod(0o644)
    with pytest.raises(TemplateError, match="chmod 600"):
        load_or_create_key(key)
    key.chmod(0o600)
    key.write_bytes(b"short")
    with pytest.raises(TemplateError, match="5 bytes"):
        load_or_create_key(key)


def test_matching_is_against_enrolled_members_only() -> None:
    a, b = np.zeros(4, np.float32), np.zeros(4, np.float32)
    a[0], b[1] = 1, 1
    assert best_match(a, {"M-1": a, "M-2": b}) == ("M-1", 1.0)
    near = np.array([0.5, 0.5, 0.5, 0.5], np.float32)  # cosine 0.5 with both: below 0.53
    assert best_match(near, {"M-1": a, "M-2": b}) is None
    assert best_match(a, {}) is None
    avg = Average()
    for _ in range(5):
        avg.add(a.copy())
    assert avg.ready
    kept = avg.vectors[0]
    avg.clear()
    assert not kept.any()  # zeroed, not only dropped


@needs_models
@needs_images
def test_the_same_face_matches_and_other_faces_do_not() -> None:
    det = FaceDetector(load("face_detector"))
    embed = Embedder(load("face_embedding"))

    def embeddings(name: str, sizes=(640, 560, 480, 600, 520)) -> np.ndarray:
        avg = Average()
        image = read_image(photo(name))
        for w in sizes:
            frame = fit(image, w, w * 3 // 4)
            face = det.detect(frame)[0]
            avg.add(embed.embed(align(frame, face.landmarks)))
        return avg.mean()

    neutral = embeddings("pexels_neutral.jpeg")
    again = embeddings("pexels_neutral.jpeg", sizes=(620, 540, 500, 580, 460))
    angry = embeddings("pexels_angry.jpg")
    surprised = embeddings("pexels_surprised.jpeg")
    assert float(neutral @ again) >= MATCH_MIN
    assert best_match(again, {"M-1": neutral, "M-2": angry}) == (
        "M-1",
        pytest.approx(float(neutral @ again)),
    )
    assert best_match(surprised, {"M-1": neutral, "M-2": angry}) is None
