"""Multi-object tracking with stable ids: ByteTrack's association (Zhang et al., "ByteTrack:
Multi-Object Tracking by Associating Every Detection Box", ECCV 2022) on SORT's constant-velocity
Kalman filter (Bewley et al., "Simple Online and Realtime Tracking", ICIP 2016).

Why ByteTrack: a face turning away from the camera, or a body half hidden behind another,
scores low for a few frames; ByteTrack matches such low-score boxes to existing tracks in a
second round instead of dropping them, so the id survives a head turn, and only confident
boxes start tracks. Why our own implementation: the method is a page of code over
scipy's Hungarian solver (already a dependency), while the maintained packages that ship it
bring a deep-learning framework or a large annotation toolkit with them.

Boxes are (x, y, w, h) in frame pixels; the state is (cx, cy, w, h) and their velocities.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.optimize import linear_sum_assignment

HIGH_SCORE = 0.7  # a detection at least this sure is matched first and may start a track
MATCH_IOU = 0.2  # a match needs at least this overlap with the track's prediction
MAX_AGE_S = 1.0  # a track unmatched this long is ended
MIN_HITS = 3  # matched this many times before a track is reported (confirmed)


def _iou_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    if len(a) == 0 or len(b) == 0:
        return np.zeros((len(a), len(b)))
    ax1, ay1 = a[:, 0:1], a[:, 1:2]
    ax2, ay2 = ax1 + a[:, 2:3], ay1 + a[:, 3:4]
    bx1, by1 = b[:, 0], b[:, 1]
    bx2, by2 = bx1 + b[:, 2], by1 + b[:, 3]
    w = np.clip(np.minimum(ax2, bx2) - np.maximum(ax1, bx1), 0, None)
    h = np.clip(np.minimum(ay2, by2) - np.maximum(ay1, by1), 0, None)
    inter = w * h
    union = a[:, 2:3] * a[:, 3:4] + b[:, 2] * b[:, 3] - inter
    return inter / np.maximum(union, 1e-9)


class _Kalman:
    """Constant-velocity filter over (cx, cy, w, h); noise scaled by the box's size."""

    def __init__(self, box: np.ndarray) -> None:
        x, y, w, h = box
        self.x = np.array([x + w / 2, y + h / 2, w, h, 0, 0, 0, 0], np.float64)
        s = max(w, h)
        self.P = np.diag([s, s, s, s, 10 * s, 10 * s, 10 * s, 10 * s]) ** 2 / 100
        self.t = 0.0

    def predict(self, dt: float) -> None:
        F = np.eye(8)
        F[:4, 4:] = np.eye(4) * dt
        s = max(self.x[2], self.x[3], 1.0)
        q = np.diag([0.05 * s, 0.05 * s, 0.05 * s, 0.05 * s, 0.5 * s, 0.5 * s, 0.2 * s, 0.2 * s])
        self.x = F @ self.x
        self.x[2:4] = np.maximum(self.x[2:4], 1.0)
        self.P = F @ self.P @ F.T + (q * max(dt, 1e-3)) ** 2 * 30

    def update(self, box: np.ndarray) -> None:
        x, y, w, h = box
        z = np.array([x + w / 2, y + h / 2, w, h])
        s = max(w, h)
        R = np.diag([0.05 * s, 0.05 * s, 0.08 * s, 0.08 * s]) ** 2
        H = np.hstack([np.eye(4), np.zeros((4, 4))])
        S = H @ self.P @ H.T + R
        K = self.P @ H.T @ np.linalg.inv(S)
        self.x = self.x + K @ (z - H @ self.x)
        self.P = (np.eye(8) - K @ H) @ self.P

    def box(self) -> np.ndarray:
        cx, cy, w, h = self.x[:4]
        return np.array([cx - w / 2, cy - h / 2, w, h])


@dataclass
class Track:
    """One tracked object: its id, the box now (filtered), the last detection matched to it
    and what the caller attached (`data`), and when it was first and last seen."""

    id: int
    box: tuple[float, float, float, float]
    first_s: float
    last_s: float
    hits: int = 1
    detection: Any = None
    data: dict[str, Any] = field(default_factory=dict)
    _kf: _Kalman | None = field(default=None, repr=False)

    @property
    def confirmed(self) -> bool:
        return self.hits >= MIN_HITS


class Tracker:
    """ByteTrack over one stream. `update(t_s, boxes, scores, detections)` each frame; returns
    the tracks matched in this frame (confirmed ones only); `ended` collects tracks that
    timed out since the last call (the caller reads and clears it)."""

    def __init__(
        self,
        high_score: float = HIGH_SCORE,
        match_iou: float = MATCH_IOU,
        max_age_s: float = MAX_AGE_S,
    ) -> None:
        self.high_score = high_score
        self.match_iou = match_iou
        self.max_age_s = max_age_s
        self.tracks: list[Track] = []
        self.ended: list[Track] = []
        self._ids = itertools.count(1)
        self._t: float | None = None

    def update(
        self,
        t_s: float,
        boxes: Sequence[Sequence[float]],
        scores: Sequence[float],
        detections: Sequence[Any] | None = None,
    ) -> list[Track]:
        dt = 0.0 if self._t is None else max(0.0, t_s - self._t)
        self._t = t_s
        detections = list(detections) if detections is not None else [None] * len(boxes)
        boxes_a = np.asarray(boxes, np.float64).reshape(-1, 4)
        scores_a = np.asarray(scores, np.float64).reshape(-1)
        for track in self.tracks:
            assert track._kf is not None
            track._kf.predict(dt)
        high = [i for i in range(len(boxes_a)) if scores_a[i] >= self.high_score]
        low = [i for i in range(len(boxes_a)) if scores_a[i] < self.high_score]
        unmatched = list(range(len(self.tracks)))
        matched: list[Track] = []
        # first round: confident detections against every track; second: the rest against
        # the tracks still unmatched (ByteTrack)
        for pool in (high, low):
            pairs, unmatched, rest = self._associate(unmatched, pool, boxes_a)
            for ti, di in pairs:
                track = self.tracks[ti]
                assert track._kf is not None
                track._kf.update(boxes_a[di])
                track.box = tuple(float(v) for v in track._kf.box())  # type: ignore[assignment]
                track.last_s = t_s
                track.hits += 1
                track.detection = detections[di]
                matched.append(track)
            if pool is high:
                new = rest
        for di in new:
            track = Track(
                next(self._ids),
                tuple(float(v) for v in boxes_a[di]),  # type: ignore[arg-type]
                t_s,
                t_s,
                detection=detections[di],
                _kf=_Kalman(boxes_a[di]),
            )
            self.tracks.append(track)
            matched.append(track)
        alive = []
        for track in self.tracks:
            if t_s - track.last_s > self.max_age_s:
                if track.confirmed:
                    self.ended.append(track)
            else:
                alive.append(track)
        self.tracks = alive
        return [t for t in matched if t.confirmed]

    def _associate(
        self, track_idx: list[int], det_idx: list[int], boxes: np.ndarray
    ) -> tuple[list[tuple[int, int]], list[int], list[int]]:
        if not track_idx or not det_idx:
            return [], track_idx, det_idx
        predicted = np.array([self.tracks[i]._kf.box() for i in track_idx])  # type: ignore[union-attr]
        ious = _iou_matrix(predicted, boxes[det_idx])
        rows, cols = linear_sum_assignment(-ious)
        pairs, used_t, used_d = [], set(), set()
        for r, c in zip(rows, cols, strict=True):
            if ious[r, c] >= self.match_iou:
                pairs.append((track_idx[r], det_idx[c]))
                used_t.add(r)
                used_d.add(c)
        return (
            pairs,
            [t for k, t in enumerate(track_idx) if k not in used_t],
            [d for k, d in enumerate(det_idx) if k not in used_d],
        )

    def finish(self) -> list[Track]:
        """End every track (the stream stopped); returns and clears the ended ones."""
        self.ended += [t for t in self.tracks if t.confirmed]
        self.tracks = []
        ended, self.ended = self.ended, []
        return ended
