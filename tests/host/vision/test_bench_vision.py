"""`vitrine bench vision`'s wait for the daemon: it measures only once /api/status shows a
board linked and the camera's pipeline running and warm, whatever the status says before."""

from __future__ import annotations

from vitrine.bench.vision import WARM_FRAMES, warm


def status(state: str, frames: int | None, boards: int = 1) -> dict:
    vision = {"enabled": True, "state": state, "frames": frames, "fps": None}
    return {"vision": vision, "boards": [{"role": "touch"}] * boards}


def test_the_bench_waits_for_a_warm_pipeline_and_a_board() -> None:
    assert not warm(status("starting", None))  # the worker has sent no figures yet
    assert not warm(status("running", None))
    assert not warm(status("running", WARM_FRAMES))
    assert not warm(status("running", WARM_FRAMES + 1, boards=0))
    assert not warm(status("no_camera", WARM_FRAMES + 1))
    assert not warm({"boards": [{"role": "touch"}], "vision": None})
    assert warm(status("running", WARM_FRAMES + 1))
