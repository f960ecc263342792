"""The touch tracker (vitrine_fw.touch.track) on given detections: a contact not seen for a
scan is held, moving on as it moved, but no further than a finger's width a scan, and only as
far as its velocity before and after its last move agree."""

from __future__ import annotations

from array import array

from vitrine.link.messages import unpack_contacts
from vitrine_fw import wire
from vitrine_fw.touch.detect import KIND_FINGER
from vitrine_fw.touch.track import Tracker

Q = 32  # the firmware's positions: 1/32 mm
SCAN_US = 11_000


def _update(
    tracker: Tracker, now_us: int, touches: list[tuple[float, float]], solid_q10: int = 1024
) -> list:
    n = len(touches)
    tx = array("i", [round(x * Q) for x, _ in touches] + [0] * (16 - n))
    ty = array("i", [round(y * Q) for _, y in touches] + [0] * (16 - n))
    size = array("i", [10 * Q] * 16)
    kind = bytearray([KIND_FINGER] * 16)
    solid = array("h", [solid_q10] * 16)
    tracker.predict(now_us)
    tracker.update(tx, ty, size, size, kind, solid, n)
    return list(unpack_contacts(bytes(tracker.payload[: tracker.size])))


def test_a_contact_seen_to_jump_once_is_held_where_it_was_last_seen() -> None:
    # A finger seen at one place, then (one scan of jitter: its shadows paired differently)
    # 18 mm further, then not at all for two scans: its velocity of 1.6 m/s came from the
    # jitter (one move, none before it the same way), and the contact held while unseen must
    # not run off to where nothing touches.
    tracker = Tracker()
    t = 1_000_000
    _update(tracker, t, [(300.0, 200.0)])
    t += SCAN_US
    (seen,) = _update(tracker, t, [(300.0, 218.0)])
    for _ in range(2):
        t += SCAN_US
        (c,) = _update(tracker, t, [])
        assert c.id == seen.id
        assert (c.x_mm, c.y_mm) == (300.0, 218.0)


def test_a_contact_seen_at_two_places_in_turn_is_held_where_it_was_last_seen() -> None:
    # One finger whose contact was matched to two touches 8 mm apart in turn (the finger
    # placed twice, or a ghost beside it), then not seen: its moves disagree, and it must not
    # be carried on at the velocity of the last jump (a ghost moving off where it was).
    tracker = Tracker()
    t = 1_000_000
    for y in (200.0, 208.0, 200.0, 208.0):
        (seen,) = _update(tracker, t, [(300.0, y)])
        t += SCAN_US
    for _ in range(2):
        (c,) = _update(tracker, t, [])
        t += SCAN_US
        assert c.id == seen.id
        assert abs(c.y_mm - 208.0) < 0.1


def test_a_fast_finger_not_seen_moves_on_at_most_8_mm_a_scan() -> None:
    # A finger at 1.6 m/s (18 mm a scan), unseen for two scans: it moves on as it moved, but by
    # 8 mm a scan at most.
    tracker = Tracker()
    t = 1_000_000
    for k in range(4):
        (seen,) = _update(tracker, t, [(300.0, 200.0 + 18 * k)])
        t += SCAN_US
    held = []
    for _ in range(2):
        (c,) = _update(tracker, t, [])
        t += SCAN_US
        assert c.id == seen.id
        held.append(c.y_mm)
    assert held == [262.0, 270.0]


def test_a_contact_not_seen_moves_on_with_a_slow_finger_all_the_way() -> None:
    # A finger moving 2 mm a scan, unseen for a scan (hidden by others): held where it would be.
    tracker = Tracker()
    t = 1_000_000
    for k in range(5):
        _update(tracker, t, [(300.0 + 2 * k, 200.0)])
        t += SCAN_US
    (c,) = _update(tracker, t, [])
    assert abs(c.x_mm - 310.0) < 0.5


def test_a_touch_placed_over_unknown_straight_beams_is_down_once_seen_twice() -> None:
    # The detector negates the darkness of a touch whose straight shadow along an axis could
    # not be seen (its beams saturated): such a place, crossed by one scan's oblique shadows,
    # may be no finger's. A solid one is reported down in its second scan in a row, not its
    # first; one seen for a single scan is never reported; a touch seen whole, at once.
    tracker = Tracker()
    t = 1_000_000
    assert _update(tracker, t, [(300.0, 200.0)], -1000) == []
    t += SCAN_US
    assert _update(tracker, t, []) == []  # (a pending touch not seen again just goes)
    t += SCAN_US
    assert _update(tracker, t, [(500.0, 100.0)], -1000) == []
    t += SCAN_US
    (c,) = _update(tracker, t, [(500.0, 101.0)], -1000)
    assert c.state == wire.CONTACT_DOWN
    assert (c.x_mm, c.y_mm) == (500.0, 101.0)
    t += SCAN_US
    fresh = Tracker()
    (d,) = _update(fresh, t, [(200.0, 300.0)], 1000)
    assert d.state == wire.CONTACT_DOWN
