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


def test_a_track_that_takes_up_another_box_after_a_gap_counts_no_crossing() -> None:
    # someone far off (feet above the line at 240 of 480), hidden for 0.3 s behind a person
    # walking nearer, whose box (feet below the line) the track's prediction then takes up
    counter = PeopleCounter(line=0.5)
    t = 0.0
    for k in range(15):
        counter.update(t, [PersonBox((300 - 2 * k, 60, 60, 160), 0.9)], 480)
        t += DT
    for _ in range(9):
        counter.update(t, [], 480)
        t += DT
    for k in range(15):
        events = counter.update(t, [PersonBox((240 - 4 * k, 90, 110, 190), 0.9)], 480)
        assert [e for e in events if e[0] in ("in", "out")] == []
        t += DT
    assert len(counter.tracker.tracks) == 1  # the same track: the tracker took the new box
    assert (counter.counts.line_in, counter.counts.line_out) == (0, 0)


def test_a_crossing_seen_with_a_few_frames_missing_still_counts() -> None:
    counter = PeopleCounter(line=0.5)
    t = 0.0
    for k in range(40):
        boxes = [] if 18 <= k < 22 else [PersonBox((300, 10 + 5 * k, 100, 200), 0.9)]
        counter.update(t, boxes, 480)  # feet from 210 to 405 across the line at 240
        t += DT
    assert (counter.counts.line_in, counter.counts.line_out) == (1, 0)


def test_the_same_body_found_again_after_a_longer_gap_keeps_its_side() -> None:
    # walking up to the mirror, lost for 0.4 s right at the line, found again past it with
    # the box of the same size: a crossing
    counter = PeopleCounter(line=0.5)
    t = 0.0
    for k in range(45):  # the feet from 140 px down at 4 px a frame, the line at 240
        boxes = [] if 20 <= k < 32 else [PersonBox((300, -60 + 4 * k, 100, 200), 0.9)]
        counter.update(t, boxes, 480)
        t += DT
    assert (counter.counts.line_in, counter.counts.line_out) == (1, 0)
