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


def test_the_counting_truth_holds_the_crossings_the_camera_witnesses() -> None:
    # the truth of the counting figures comes from the world and the counting camera's
    # geometry: a crossing counts when the body is whole in the picture on both sides of it
    import random

    from vitrine.bench.vision_scene import COUNTER_LENS, LINE_M, witnessed
    from vitrine.sim import crowds
    from vitrine.sim.people import World, ZoneGeometry

    rng = random.Random(1)
    edge = COUNTER_LENS.half_width(LINE_M)
    straight = crowds.approach_across("a", rng, 0.0)  # straight up the middle and back
    # from beside the picture at 2.5 m, diagonally into it, over the line 0.2 m inside its
    # edge: half of the body is still outside the picture when the feet reach the line
    slope = (edge - 0.2) / 1.0
    side = crowds.body(
        "b", "adult", rng, [(20.0, edge - 0.2 + slope, 2.5), (22.0, edge - 0.2 - slope, 0.5)]
    )
    world = World(people=(straight, side), duration_s=30.0)
    crossings = world.crossings(LINE_M, ZoneGeometry(half_width_m=edge))
    assert [(c.person, c.direction) for c in crossings] == [("a", "in"), ("a", "out"), ("b", "in")]
    seen = {
        (c.person, c.direction): witnessed(
            COUNTER_LENS, world.people[0 if c.person == "a" else 1], c.t_s
        )
        for c in crossings
    }
    assert seen == {("a", "in"): True, ("a", "out"): True, ("b", "in"): False}


def test_the_vision_bench_runs_the_parts_asked_for_and_names_unknown_ones(capsys) -> None:
    from vitrine.bench.vision import PARTS
    from vitrine.cli import main
    from vitrine.cli.bench import VISION_PARTS

    assert VISION_PARTS == PARTS  # the command line offers every part the bench has
    assert main(["bench", "vision", "--parts", "counting,speed"]) != 0
    err = capsys.readouterr().err
    assert "--parts 'counting,speed': allowed: photos, peer, throughput, counting" in err
