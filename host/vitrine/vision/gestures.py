"""Hand gestures from the hand landmarks over time: wave, swipe left / right, open palm.

Only a deliberate hand counts: open (at least OPEN_FINGERS fingers stretched), fingers up,
and the model sure it is a hand (presence >= PRESENCE). A shopper adjusting a collar, holding
a bag or scratching an ear shows a closed or sideways hand and moves it little, so nothing
fires. Distances are in palm lengths (wrist to the middle finger's base), so the thresholds
hold near and far from the camera: the palm centre's moves in pixels over the median palm
length of the samples judged (one frame's palm length is no yardstick for a position: it
changes by a tenth as the hand turns, and a position of 300 px would move by 1.5 palm lengths
with it).

- wave: the open hand going side to side, at least WAVE_REVERSALS changes of direction within
  WAVE_WINDOW_S (there, back and there again), a turn counted once the hand has come back
  WAVE_SWING palm lengths (a hysteresis against the landmarks' jitter), each whole swing
  between two turns WAVE_FULL_SWING to SWIPE_DISTANCE palm lengths: a greeting wave swings
  2-3 times a second, so even a 0.8 s one shows two turns, where three needed all of it; a
  sweep longer than a swipe's is no wave's swing (a swipe, its wind-up and the hand's way
  back are no wave).
- swipe_left / swipe_right: one sweep of at least SWIPE_DISTANCE palm lengths within
  SWIPE_WINDOW_S, judged once it is over (the hand stopped or left the view) so the first
  swing of a wave is never taken for a swipe; a wave's swings are about 2 palm lengths.
  Directions are the shopper's: the camera faces them, so their left is the image's right
  (a swipe to the left turns to the next page, as on the glass).
- open_palm: the open hand held still (within STILL palm lengths) for OPEN_PALM_S: "stop" /
  "back".
After a gesture the recogniser waits REFRACTORY_S before the next one.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from vitrine.vision.hands import Hand

OPEN_FINGERS = 4
PRESENCE = 0.7
WAVE_WINDOW_S = 1.5
WAVE_REVERSALS = 2
WAVE_SWING = 0.35
WAVE_FULL_SWING = 1.0
SWIPE_WINDOW_S = 0.7
SWIPE_DISTANCE = 3.5
SWIPE_END_S = 0.15  # a sweep is over once the hand has stayed (or gone) this long
STILL = 0.3
OPEN_PALM_S = 1.2
REFRACTORY_S = 1.5
GAP_S = 0.4  # a deliberate hand missing longer than this starts the history afresh


@dataclass(frozen=True)
class _Sample:
    t: float
    x: float  # palm centre, in pixels
    y: float
    size: float  # palm length, in pixels


def _in_palms(samples: list[_Sample]) -> tuple[list[float], list[float]]:
    """The samples' positions in palm lengths: pixels over their median palm length."""
    sizes = sorted(s.size for s in samples)
    palm = sizes[len(sizes) // 2]
    return [s.x / palm for s in samples], [s.y / palm for s in samples]


def deliberate(hand: Hand) -> bool:
    return hand.presence >= PRESENCE and hand.fingers_extended() >= OPEN_FINGERS and hand.upright()


class GestureRecognizer:
    """One stream's gestures. `update(t_s, hands)` per processed frame; returns the gestures
    recognised at this frame ("wave", "swipe_left", "swipe_right", "open_palm")."""

    def __init__(self) -> None:
        self._history: deque[_Sample] = deque()
        self._quiet_until = 0.0
        self._held = False  # an open palm was reported and the hand has not moved since

    def update(self, t_s: float, hands: list[Hand]) -> list[str]:
        hand = max((h for h in hands if deliberate(h)), key=lambda h: h.size, default=None)
        history = self._history
        gone = history and t_s - history[-1].t > SWIPE_END_S
        if hand is None or hand.size < 1.0:
            # the hand left: a sweep that ended with it may be a swipe
            gesture = self._swipe(history[-1].t, ended=True) if gone else None
            if history and t_s - history[-1].t > GAP_S:
                history.clear()
                self._held = False
            return self._fire(t_s, gesture)
        if history and t_s - history[-1].t > GAP_S:
            # back after longer than GAP_S: a new hand; a shorter miss (the detector losing
            # the hand for a frame or two) keeps the swings already seen
            history.clear()
            self._held = False
        cx, cy = hand.centre
        history.append(_Sample(t_s, cx, cy, hand.size))
        while history and history[0].t < t_s - max(WAVE_WINDOW_S, OPEN_PALM_S):
            history.popleft()
        return self._fire(t_s, self._wave(t_s) or self._swipe(t_s) or self._open_palm(t_s))

    def _fire(self, t_s: float, gesture: str | None) -> list[str]:
        if gesture is None or t_s < self._quiet_until:
            return []
        self._quiet_until = t_s + REFRACTORY_S
        if gesture != "open_palm":
            self._history.clear()
        return [gesture]

    def _window(self, t_s: float, seconds: float) -> list[_Sample]:
        return [s for s in self._history if s.t >= t_s - seconds]

    @staticmethod
    def _swings(xs: list[float], least: float) -> list[float]:
        """The signed horizontal swings between turning points (a zig-zag filter: a turn
        counts once the position has come back at least `least` from the extreme)."""
        swings: list[float] = []
        anchor = extreme = xs[0]
        direction = 0
        for x in xs[1:]:
            if direction == 0:
                if abs(x - anchor) >= least:
                    direction, extreme = (1 if x > anchor else -1), x
            elif (x - extreme) * direction > 0:
                extreme = x
            elif (extreme - x) * direction >= least:
                swings.append(extreme - anchor)
                anchor, extreme, direction = extreme, x, -direction
        if direction:
            swings.append(extreme - anchor)
        return swings

    def _wave(self, t_s: float) -> str | None:
        window = self._window(t_s, WAVE_WINDOW_S)
        if len(window) < 2 * WAVE_REVERSALS:
            return None
        swings = self._swings(_in_palms(window)[0], WAVE_SWING)
        if len(swings) - 1 < WAVE_REVERSALS:
            return None
        whole = [abs(s) for s in swings[1:-1]]  # the first and the last may be partial
        ok = all(WAVE_FULL_SWING <= s < SWIPE_DISTANCE for s in whole)
        return "wave" if ok else None

    def _swipe(self, t_s: float, ended: bool = False) -> str | None:
        window = self._window(t_s, SWIPE_WINDOW_S + SWIPE_END_S)
        if len(window) < 3:  # noqa: PLR2004 - a sweep needs a start, a middle and an end
            return None
        xs = _in_palms(window)[0]
        if not ended:  # over only once the hand has stayed put for SWIPE_END_S
            tail = [x for s, x in zip(window, xs, strict=True) if s.t >= t_s - SWIPE_END_S]
            if len(tail) < 2 or max(tail) - min(tail) > STILL:  # noqa: PLR2004
                return None
        earlier = self._window(t_s, WAVE_WINDOW_S)
        if len(self._swings(_in_palms(earlier)[0], WAVE_SWING)) > 1:
            return None  # part of a wave or a fidget, not one sweep
        swings = self._swings(xs, WAVE_SWING)
        if len(swings) != 1 or abs(swings[0]) < SWIPE_DISTANCE:
            return None
        # the image's right is the shopper's left
        return "swipe_left" if swings[0] > 0 else "swipe_right"

    def _open_palm(self, t_s: float) -> str | None:
        if not self._history or t_s - self._history[0].t < OPEN_PALM_S * 0.95:
            return None
        window = self._window(t_s, OPEN_PALM_S)
        xs, ys = _in_palms(window)
        still = max(xs) - min(xs) <= STILL and max(ys) - min(ys) <= STILL
        if not still:
            self._held = False  # it moved: a later hold is a new one
            return None
        if self._held:
            return None
        self._held = True
        return "open_palm"
