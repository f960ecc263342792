"""The world of people (vitrine.sim.people) and its seeded scenarios (vitrine.sim.crowds): paths,
sway, the truth's zones and crossings, JSON, and that each generator makes what it says."""

from __future__ import annotations

import json
import math
import random

import pytest

from vitrine.sim import crowds
from vitrine.sim.people import STILL_M_S, Person, Phone, World, ZoneGeometry, merge


def walker(pid="a", path=((0.0, -2.0, 1.0), (4.0, 2.0, 1.0)), **kw) -> Person:
    return Person(
        id=pid, kind=kw.pop("kind", "adult"), path=path, height_m=1.7, radius_m=0.22, **kw
    )


def test_a_person_moves_linearly_between_waypoints_and_is_gone_outside_them():
    p = walker()
    assert p.at(-0.1) is None and p.at(4.1) is None
    assert p.at(0.0) == (-2.0, 1.0)
    assert p.at(1.0) == pytest.approx((-1.0, 1.0))
    assert p.at(4.0) == (2.0, 1.0)
    assert p.velocity(2.0) == pytest.approx((1.0, 0.0))


def test_one_who_stays_stands_at_the_last_waypoint_for_good_and_sways():
    p = walker(path=((0.0, 0.0, 2.0), (1.0, 0.0, 0.8)), stays=True, sway_m=0.03)
    xs = [p.at(t)[0] for t in (5.0, 6.0, 7.0, 1000.0)]
    assert all(abs(x) <= 0.03 + 1e-9 for x in xs)
    assert max(xs) - min(xs) > 0.01  # it does move
    assert p.at(1000.0)[1] == 0.8
    assert math.hypot(*p.velocity(5.0)) > 0  # a sway is motion
    # walking, no sway: the path exactly
    assert p.at(0.5) == pytest.approx((0.0, 1.4))


def test_sway_applies_only_to_the_still():
    p = walker(sway_m=0.05)
    assert math.hypot(*p.velocity(2.0)) > STILL_M_S
    assert p.at(2.0) == pytest.approx((0.0, 1.0))


def test_looks_and_waves_are_intervals():
    p = walker(looks=((1.0, 2.0),), waves=((3.0, 3.5),))
    assert not p.looking(0.5) and p.looking(1.0) and not p.looking(2.0)
    assert p.waving(3.2) and not p.waving(3.6)


@pytest.mark.parametrize(
    ("x", "y", "zone"),
    [
        (0.0, 0.3, "at_glass"),
        (0.5, 0.59, "at_glass"),
        (0.0, 0.6, "in_front"),
        (0.6, 1.49, "in_front"),
        (0.61, 1.0, "none"),  # beside the mirror
        (0.0, 1.5, "passing"),
        (0.6, 2.9, "passing"),
        (2.6, 1.0, "none"),
        (0.0, 3.0, "none"),
        (0.0, -0.1, "none"),
    ],
)
def test_the_zones_of_the_truth(x, y, zone):
    assert ZoneGeometry().zone_of(x, y) == zone


def test_the_world_zone_is_the_nearest_zone_of_a_warm_body_and_a_bag_is_nobody():
    far = walker("far", path=((0.0, 0.0, 2.0), (10.0, 0.0, 2.0)))
    near = walker("near", path=((5.0, 0.0, 1.0), (10.0, 0.0, 1.0)))
    bag = walker("bag", kind="bag", path=((0.0, 0.0, 0.3), (10.0, 0.0, 0.3)))
    world = World(people=(far, near, bag), duration_s=10)
    assert world.zone(1.0) == "passing"
    assert world.zone(6.0) == "in_front"
    assert world.nearest(6.0)[0].id == "near"
    assert World(people=(bag,)).zone(1.0) == "none"


def test_crossings_are_solved_on_the_path_within_the_front_band():
    p = walker(path=((0.0, 0.0, 3.0), (2.0, 0.0, 1.0), (5.0, 0.0, 1.0), (7.0, 0.0, 3.0)))
    side = walker("side", path=((0.0, 2.0, 3.0), (2.0, 2.0, 1.0)))
    crossings = World(people=(p, side)).crossings(1.5)
    assert [(round(c.t_s, 6), c.person, c.direction) for c in crossings] == [
        (1.5, "a", "in"),
        (5.5, "a", "out"),
    ]


def test_a_world_round_trips_through_json():
    world = crowds.everything(7)
    again = World.from_json(json.loads(json.dumps(world.to_json())))
    assert again == world
    assert any(p.phone and p.phone.consented for p in world.people) or any(
        p.phone for p in world.people
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"kind": "robot"}, "people[0].kind='robot'"),
        ({"path": [[0, 1]]}, "is not [t_s, x_m, y_m]"),
        ({"path": [[1, 0, 0], [0, 0, 0]]}, "must not go back"),
        ({"height_m": 9}, "height_m=9.0, allowed 0.1..2.5"),
        ({"path": [[0, "x", 1]]}, "allowed a finite number"),
    ],
)
def test_a_bad_person_is_refused_naming_the_field(change, message):
    data = walker().to_json() | change
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        World.from_json({"people": [data]})


def test_ids_are_unique():
    with pytest.raises(ValueError, match="repeated: a"):
        World(people=(walker(), walker()))


def test_with_person_replaces_and_shifted_moves_time():
    world = World(people=(walker(),))
    moved = world.with_person(walker(path=((0.0, 0.0, 0.5), (1.0, 0.0, 0.5))))
    assert len(moved.people) == 1 and moved.people[0].at(0.5) == (0.0, 0.5)
    later = world.shifted(10.0)
    assert later.people[0].at(11.0) == pytest.approx((-1.0, 1.0))
    assert merge([world, World(people=(walker("b"),))]).people[1].id == "b"


def test_phones_and_faces():
    rng = random.Random(3)
    people = [crowds.walk_by(f"p{k}", rng, 0.0) for k in range(200)]
    phones = [p.phone for p in people if p.phone]
    assert 100 < len(phones) < 180
    assert all(isinstance(ph, Phone) and len(ph.id) == 12 for ph in phones)
    assert all(ph.loyalty_id for ph in phones if ph.consented)
    assert all(p.face and p.face.startswith("pexels_") for p in people)


# --- the generators ---------------------------------------------------------------------------


def test_walk_bys_keep_their_distance_and_pace():
    rng = random.Random(1)
    for k in range(100):
        p = crowds.walk_by(f"w{k}", rng, 0.0)
        (t0, x0, y0), (t1, x1, y1) = p.path
        assert y0 == y1 and 0.5 <= y0 <= 3.0
        assert 1.0 <= abs(x1 - x0) / (t1 - t0) <= 1.5


def test_a_stay_lasts_30_s_to_10_min_at_the_mirror():
    rng = random.Random(2)
    for k in range(50):
        p = crowds.approach_and_stay(f"s{k}", rng, 0.0)
        (_, _, _), (th, xh, yh), (tl, xl, yl), _ = p.path
        assert 30.0 <= tl - th <= 600.0
        assert (xh, yh) == (xl, yl) and 0.3 <= yh <= 1.0
        assert World(people=(p,)).zone((th + tl) / 2) in ("at_glass", "in_front")


def test_a_group_walks_together_the_same_way():
    rng = random.Random(4)
    for k in range(30):
        people = crowds.group(f"g{k}.", rng, 0.0)
        assert 2 <= len(people) <= 4
        ways = {p.path[-1][1] > p.path[0][1] for p in people}
        assert len(ways) == 1


def test_a_child_is_small_and_comes_to_the_glass():
    adult, child = crowds.child_with_adult("f.", random.Random(5), 0.0)
    assert child.kind == "child" and child.height_m < 1.4 < adult.height_m
    world = World(people=(child,))
    assert any(world.zone(t) == "at_glass" for t in range(0, 200))


def test_the_empty_hour_has_nobody_in_the_mirror_area():
    world = crowds.empty_hour(11)
    assert world.duration_s == 3600.0
    assert [p.kind for p in world.people].count("bag") == 1
    assert len(world.heat) > 5 and len(world.sunlight) > 5
    assert all(world.zone(t / 2) == "none" for t in range(0, 7200))
    assert any(p.kind == "adult" for p in world.people)  # outside the area, though


def test_the_sets_are_seeded():
    assert crowds.walk_by_set(9, 10) == crowds.walk_by_set(9, 10)
    assert crowds.walk_by_set(9, 10) != crowds.walk_by_set(10, 10)
    crossings = crowds.crossing_set(3, 10).crossings(1.5)
    assert [c.direction for c in crossings] == ["in", "out"] * 10


def test_the_walk_by_set_visits_every_zone():
    world = crowds.walk_by_set(5, 40)
    seen = {world.zone(t / 5) for t in range(int(world.duration_s * 5))}
    assert seen == {"none", "passing", "in_front", "at_glass"}
