"""The touch tracker (vitrine_fw.touch.track) on given detections: a contact not seen for a
scan is held, moving on as it moved, but no further than a finger's width a scan."""

from __future__ import annotations

from array import array

from vitrine.link.messages import unpack_contacts
from vitrine_fw.touch.detect import KIND_FINGER
from vitrine_fw.touch.track import Tracker

Q = 32  # the firmware's positions: 1/32 mm
SCAN_US = 11_000


def _update(tracker: Tracker, now_us: int, touches: list[tuple[float, float]]) -> list:
    n = len(touches)
    tx = array("i", [round(x * Q) for x, _ in touches] + [0] * (16 - n))
    ty = array("i", [round(y * Q) for _, y in touches] + [0] * (16 - n))
    size = array("i", [10 * Q] * 16)
    kind = bytearray([KIND_FINGER] * 16)
    solid = array("h", [1024] * 16)
    tracker.predict(now_us)
    tracker.update(tx, ty, size, size, kind, solid, n)
    return list(unpack_contacts(bytes(tracker.payload[: tracker.size])))


def test_a_contact_not_seen_stays_put_after_a_jump() -> None:
    # A finger seen at one place, then (one scan of jitter: its shadows paired differently)
    # 18 mm further, then not at all for two scans: its velocity of 1.6 m/s came from the
    # jitter (no second move agrees with it), and the contact held while unseen must not run
    # off to where nothing touches: it stays where it was last seen.
    tracker = Tracker()
    t = 1_000_000
    _update(tracker, t, [(300.0, 200.0)])
    t += SCAN_US
    (seen,) = _update(tracker, t, [(300.0, 218.0)])
    held = []
    for _ in range(2):
        t += SCAN_US
        (c,) = _update(tracker, t, [])
        assert c.id == seen.id
        held.append(c.y_mm)
    assert held == [218.0, 218.0]


def test_a_contact_not_seen_coasts_at_most_8_mm_a_scan() -> None:
    # A finger moving 12 mm a scan (1 m/s), unseen for two scans: it moves on as it moved,
    # by at most 8 mm a scan.
    tracker = Tracker()
    t = 1_000_000
    for k in range(4):
        (seen,) = _update(tracker, t, [(300.0, 200.0 + 12 * k)])
        t += SCAN_US
    held = []
    for _ in range(2):
        (c,) = _update(tracker, t, [])
        t += SCAN_US
        assert c.id == seen.id
        held.append(c.y_mm)
    assert 236.0 < held[0] <= 244.0
    assert held[0] < held[1] <= held[0] + 8.0


def test_a_contact_not_seen_moves_on_with_a_slow_finger_all_the_way() -> None:
    # A finger moving 2 mm a scan, unseen for a scan (hidden by others): held where it would be.
    tracker = Tracker()
    t = 1_000_000
    for k in range(5):
        _update(tracker, t, [(300.0 + 2 * k, 200.0)])
        t += SCAN_US
    (c,) = _update(tracker, t, [])
    assert abs(c.x_mm - 310.0) < 0.5
