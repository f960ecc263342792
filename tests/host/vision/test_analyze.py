"""`vitrine vision analyze`: the report of each file, the annotated picture, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.host.vision.conftest import needs_images, needs_models, photo
from vitrine.cli import main


@needs_models
@needs_images
def test_analyze_reports_faces_people_and_hands_and_draws_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "drawn"
    code = main(
        ["vision", "analyze", str(photo("pexels_group.jpeg")), "--json", "--annotate", str(out)]
    )
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    frame = report["frames"][0]
    assert len(frame["faces"]) == 5 and len(frame["people"]) == 5 and frame["hands"]
    face = frame["faces"][0]
    assert {"box", "score", "landmarks", "head", "facing", "expression"} <= set(face)
    assert set(face["expression"]["probabilities"]) == {
        "angry",
        "disgust",
        "fear",
        "happy",
        "sad",
        "surprise",
        "neutral",
    }
    assert Path(report["annotated"]).stat().st_size > 10_000
    assert main(["vision", "analyze", str(photo("pexels_neutral.jpeg"))]) == 0
    text = capsys.readouterr().out
    assert "facing the mirror: yes" in text and "expression neutral" in text


@needs_models
def test_analyze_names_a_file_it_cannot_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "notes.jpg"
    bad.write_text("not a picture")
    assert main(["vision", "analyze", str(bad), str(tmp_path / "gone.png")]) == 1
    err = capsys.readouterr().err
    assert "notes.jpg: not an image" in err and "gone.png: no such file" in err
