"""The simulated air: phones' advertisements as receivers hear them, from the world's truth."""

import itertools
import math
import statistics

import pytest

from vitrine.devices.beacons import adverts, loyalty
from vitrine.sim.air import (
    ADDRESS_ROTATION_S,
    EPOCH_UNIX_S,
    MAX_INTERVAL_S,
    MIN_INTERVAL_S,
    Air,
    AirSettings,
    Receiver,
    facing,
)
from vitrine.sim.people import Person, Phone, World

KEY = bytes(range(16))
MIRROR = Receiver("mirror", 0.0, 0.0, duty=1.0)


def standing(pid, x, y, *, phone, looks=(), t1=120.0):
    return Person(pid, "adult", ((0.0, x, y), (t1, x, y)), 1.7, 0.22, looks=looks, phone=phone)


def member_phone(loyalty_id="m1"):
    return Phone("p-" + loyalty_id, consented=True, loyalty_id=loyalty_id)


def test_a_members_phone_sends_the_loyalty_token_of_the_moment():
    person = standing("a", 0.0, 1.0, phone=member_phone(), looks=((0, 120),))
    air = Air(World((person,), 120.0), [MIRROR], {"m1": KEY})
    heard = list(air.heard(0.0, 60.0))
    assert heard
    for h in heard:
        advert = adverts.parse(h.data)
        assert not advert.problems
        assert advert.loyalty is not None
        assert advert.loyalty.token == loyalty.token(KEY, EPOCH_UNIX_S + h.t_s)


def test_a_member_the_mirror_does_not_know_sends_tokens_it_cannot_resolve():
    person = standing("a", 0.0, 1.0, phone=member_phone("stranger"))
    air = Air(World((person,), 120.0), [MIRROR], {"m1": KEY})
    resolver = loyalty.Resolver(loyalty.Keyring({"m1": KEY}), clock=lambda: EPOCH_UNIX_S + 30)
    heard = list(air.heard(0.0, 60.0))
    assert heard
    assert all(adverts.parse(h.data).loyalty is not None for h in heard)
    assert all(resolver.resolve(adverts.parse(h.data).loyalty.token) is None for h in heard)


def test_anybody_elses_phone_sends_nothing_of_the_loyalty_format():
    person = standing("a", 0.0, 1.0, phone=Phone("p", consented=False))
    air = Air(World((person,), 120.0), [MIRROR], {"m1": KEY})
    heard = list(air.heard(0.0, 60.0))
    assert heard
    for h in heard:
        advert = adverts.parse(h.data)
        assert advert.loyalty is None and not advert.problems


def test_each_phone_advertises_at_its_own_interval_within_100_to_1000_ms():
    people = tuple(standing(f"p{i}", i * 0.5, 3.0, phone=member_phone(f"m{i}")) for i in range(30))
    air = Air(World(people, 120.0), [MIRROR], {})
    intervals = [air.interval_s(p) for p in people]
    assert all(MIN_INTERVAL_S <= i <= MAX_INTERVAL_S for i in intervals)
    assert len(set(intervals)) == len(intervals)
    # the events of one phone: its interval plus 0-10 ms advDelay
    times = [t for t, p in air._events(0.0, 60.0) if p is people[0]]
    # asked window by window, the same events
    assert times == [t for w in range(60) for t, p in air._events(w, w + 1) if p is people[0]]
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert min(gaps) >= intervals[0] and max(gaps) <= intervals[0] + 0.010


def test_rssi_falls_with_distance_and_with_a_body_turned_away():
    near = standing("near", 0.0, 1.0, phone=member_phone("a"), looks=((0, 600),), t1=600)
    far = standing("far", 0.0, 6.0, phone=member_phone("b"), looks=((0, 600),), t1=600)
    turned = standing("turned", 0.3, 1.0, phone=member_phone("c"), t1=600)  # not looking
    air = Air(World((near, far, turned), 600.0), [MIRROR], {}, AirSettings(seed=3))
    by_address: dict[str, list[int]] = {}
    owner = {air.address(p, 10.0): p.id for p in (near, far, turned)}
    for h in air.heard(0.0, 600.0):
        by_address.setdefault(owner[h.address], []).append(h.rssi_dbm)
    mean = {k: statistics.fmean(v) for k, v in by_address.items()}
    offsets = {p.id: air._offset[p.id] for p in (near, far, turned)}
    assert mean["near"] - offsets["near"] == pytest.approx(-59, abs=0.8)
    assert mean["far"] - offsets["far"] == pytest.approx(-59 - 22 * math.log10(6), abs=0.8)
    assert mean["turned"] - offsets["turned"] == pytest.approx(
        -59 - 22 * math.log10(1.044) - 8, abs=0.8
    )


def test_nobody_there_nothing_heard():
    person = Person(
        "a", "adult", ((10.0, 0.0, 1.0), (20.0, 0.0, 1.0)), 1.7, 0.22, phone=member_phone()
    )
    air = Air(World((person,), 60.0), [MIRROR], {})
    heard = list(air.heard(0.0, 60.0))
    assert heard and all(10.0 <= h.t_s <= 20.0 for h in heard)


def test_every_receiver_hears_on_its_own_and_times_are_in_order():
    person = standing("a", 2.0, 1.0, phone=member_phone())
    room = Receiver("fitting_room", 4.0, 1.0, duty=0.5)
    air = Air(World((person,), 120.0), [MIRROR, room], {}, AirSettings(seed=1))
    heard = list(air.heard(0.0, 120.0))
    times = [h.t_s for h in heard]
    assert times == sorted(times)
    counts = {r: sum(h.receiver == r for h in heard) for r in ("mirror", "fitting_room")}
    # the fitting room's receiver listens half the time
    assert counts["fitting_room"] == pytest.approx(counts["mirror"] / 2, rel=0.25)


def test_the_address_is_random_private_and_rotates():
    person = standing("a", 0.0, 1.0, phone=member_phone())
    air = Air(World((person,), 3600.0), [MIRROR], {})
    first = air.address(person, 0.0)
    assert first == air.address(person, ADDRESS_ROTATION_S - 1)
    assert first != air.address(person, ADDRESS_ROTATION_S)
    assert int(first[:2], 16) >> 6 == 0b01


def test_a_walker_faces_where_they_go_and_a_stander_turns_with_their_gaze():
    walker = Person("w", "adult", ((0.0, -2.0, 2.0), (4.0, 2.0, 2.0)), 1.7, 0.22)
    assert facing(walker, 1.0) == pytest.approx(0.0)
    looker = standing("l", 0.0, 1.0, phone=None, looks=((0.0, 5.0),))
    assert facing(looker, 1.0) == pytest.approx(-math.pi / 2)
    assert facing(looker, 6.0) == pytest.approx(math.pi / 2)
    assert facing(looker, 500.0) is None


def test_bad_receivers_are_refused():
    with pytest.raises(ValueError, match="duty=0"):
        Receiver("r", 0, 0, duty=0)
    with pytest.raises(ValueError, match="at least one receiver"):
        Air(World(), [], {})
