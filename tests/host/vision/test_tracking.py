"""Tracking on scripted detections: stable ids through crossings and missed frames, a low-score
box keeping its track (ByteTrack's second round) but never starting one, and the people
counter's passers-by, stops and line crossings."""

from __future__ import annotations

from vitrine.vision.people import PeopleCounter, PersonBox
from vitrine.vision.tracking import Tracker

DT = 1 / 30


def test_two_walkers_crossing_keep_their_ids() -> None:
    tracker = Tracker()
    ids: dict[str, set[int]] = {"a": set(), "b": set()}
    for k in range(90):
        t = k * DT
        a = (50 + 5 * k, 100, 60, 60)  # left to right
        b = (500 - 5 * k, 110, 60, 60)  # right to left, overlapping mid-way
        tracks = tracker.update(t, [a, b], [0.9, 0.9], ["a", "b"])
        for track in tracks:
            ids[track.detection].add(track.id)
    assert len(ids["a"]) == 1 and len(ids["b"]) == 1 and ids["a"] != ids["b"]


def test_a_track_survives_missed_frames_and_low_scores_but_low_scores_start_nothing() -> None:
    tracker = Tracker()
    seen = set()
    for k in range(60):
        box = (100 + 2 * k, 100, 50, 50)
        if 20 <= k < 30:
            boxes, scores = [], []  # the face turned away: nothing for a third of a second
        elif 30 <= k < 40:
            boxes, scores = [box], [0.3]  # seen again, unsure
        else:
            boxes, scores = [box], [0.9]
        seen |= {t.id for t in tracker.update(k * DT, boxes, scores)}
    assert seen == {1}
    fresh = Tracker()
    for k in range(10):
        assert fresh.update(k * DT, [(10, 10, 40, 40)], [0.3]) == []
    assert fresh.tracks == []


def test_a_track_unmatched_longer_than_its_age_ends() -> None:
    tracker = Tracker(max_age_s=0.5)
    for k in range(10):
        tracker.update(k * DT, [(10, 10, 40, 40)], [0.9])
    tracker.update(1.0, [], [])
    assert [t.id for t in tracker.ended] == [1]
    assert tracker.update(1.1, [(300, 10, 40, 40)], [0.9]) == []  # a new one, not yet confirmed
    assert tracker.tracks[0].id == 2


def test_the_people_counter_counts_passers_by_stops_and_crossings() -> None:
    counter = PeopleCounter(line=0.5)
    t = 0.0
    # a walker across the image, feet at 200 px (above the line at 240 of 480)
    for k in range(60):
        counter.update(t, [PersonBox((20 + 10 * k, 40, 80, 160), 0.9)], 480)
        t += DT
    for _ in range(40):
        counter.update(t, [], 480)
        t += DT
    # someone walking toward the mirror (feet going down across the line), stopping, leaving
    feet = [150 + 4 * k for k in range(50)] + [350] * 120 + [350 - 4 * k for k in range(50)]
    for f in feet:
        counter.update(t, [PersonBox((300, f - 200, 100, 200), 0.9)], 480)
        t += DT
    c = counter.counts
    assert (c.passers_by, c.stops, c.line_in, c.line_out) == (2, 1, 1, 1)
