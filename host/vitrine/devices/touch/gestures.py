"""Gesture recognition from a pointer stream: tap, double tap, long press, swipe, pinch and
two-finger rotate.

The recogniser is synchronous and has no clock of its own: every input carries its time t
(seconds, monotonic). A long press fires while the finger is still down, so the owner calls
tick(t) at next_deadline() (or the next input after it fires it). Inputs that happen together
(the contacts of one touch report) are followed by flush(), which emits the two-finger
gestures once per report rather than once per finger.

Rules:
- One-finger gestures (tap, double tap, long press, swipe) need the finger to be alone from
  down to up; a second finger turns the sequence into a two-finger one until all are up.
- Tap: up within tap_max_s of down, never further than tap_slop_px from where it went down.
  Reported at once (lowest latency, like Android's onSingleTapUp); when a second tap follows
  within double_tap_s and double_tap_slop_px of the first, it is reported as a DoubleTap
  instead of a second Tap. A third tap starts over (Tap, then DoubleTap on the fourth).
- Long press: held long_press_s within tap_slop_px; nothing more for that finger after it.
- Swipe: on up, moved swipe_min_distance_px or more, within swipe_max_angle_deg of an axis,
  and moving along it at swipe_min_velocity_px_s or more over the last velocity_window_s
  (a least-squares fit, so one jittery sample does not make a flick).
- Pinch and rotate: the first two fingers down; begin when their distance has changed by
  pinch_slop_px, or their angle by rotate_slop_deg, since the second went down; update after
  every report in which either moved; end when either lifts. Both may run at once.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

from vitrine.devices.touch.events import (
    DoubleTap,
    GestureEvent,
    LongPress,
    Phase,
    Pinch,
    Rotate,
    Swipe,
    Tap,
)

_PAIR_CONTACTS = 2  # contacts a pinch or a rotation follows
_NO_SPAN_S2 = 1e-12  # velocity samples whose times vary by less than this (s^2) span no time


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Recognition thresholds. Pixel values assume about 40 px/cm (a 55-inch 4K panel is
    31 px/cm, a 32-inch 1080p one 27 px/cm); Android's values are in dp (1/160 inch =
    0.159 mm, 0.64 px at 40 px/cm), from android.view.ViewConfiguration."""

    # Android has no tap duration limit short of the long press; 300 ms is the common web
    # choice (Hammer.js: 250 ms) and keeps a hesitant touch from being a tap.
    tap_max_s: float = 0.3
    # Android's touch slop is 8 dp (1.3 mm): below this IR frame's position noise (a tap
    # compares two noisy points, each off by up to 1 mm), so 4 mm at 40 px/cm.
    tap_slop_px: float = 16.0
    # Android DOUBLE_TAP_TIMEOUT (300 ms, up to the next down) and DOUBLE_TAP_MIN_TIME
    # (40 ms: faster is a bounce, not a second tap).
    double_tap_s: float = 0.3
    double_tap_min_s: float = 0.04
    # Android DOUBLE_TAP_SLOP: 100 dp = 16 mm = 64 px at 40 px/cm.
    double_tap_slop_px: float = 64.0
    # Android's DEFAULT_LONG_PRESS_TIMEOUT is 400 ms in current AOSP (500 ms before);
    # Flutter's kLongPressTimeout and iOS's UILongPressGestureRecognizer are 0.5 s, the longer
    # one here: a shopper resting a finger on the glass while reading is not pressing.
    long_press_s: float = 0.5
    # A flick across a shop-window display: at least 2.5 cm at 25 cm/s, within 30 degrees of
    # an axis (a diagonal flick is neither direction). Android's minimum
    # fling velocity (50 dp/s, 8 mm/s) makes any release in motion a fling, which suits
    # scrolling a list, not a page change on a shared screen.
    swipe_min_distance_px: float = 100.0
    swipe_min_velocity_px_s: float = 1000.0
    swipe_max_angle_deg: float = 30.0
    # Android's VelocityTracker (and Flutter's) fits the last 100 ms of a pointer's movement.
    velocity_window_s: float = 0.1
    # Android's ScaleGestureDetector begins after a span change of twice the touch slop.
    pinch_slop_px: float = 32.0
    # No platform constant; 10 degrees keeps a pinch with two noisy fingers from rotating.
    rotate_slop_deg: float = 10.0


class _Pointer:
    __slots__ = ("id", "moved", "samples", "t0", "x", "x0", "y", "y0")

    def __init__(self, pid: int, x: float, y: float, t: float) -> None:
        self.id = pid
        self.x0 = self.x = x
        self.y0 = self.y = y
        self.t0 = t
        self.moved = False  # beyond tap_slop_px from (x0, y0) at some point
        self.samples: deque[tuple[float, float, float]] = deque([(t, x, y)])


class _Pair:
    __slots__ = (
        "a",
        "angle",
        "b",
        "cx",
        "cy",
        "last_angle",
        "pinching",
        "rotating",
        "scale",
        "span0",
    )

    def __init__(self, a: _Pointer, b: _Pointer) -> None:
        self.a = a
        self.b = b
        self.span0 = max(math.hypot(b.x - a.x, b.y - a.y), 1.0)
        self.last_angle = math.atan2(b.y - a.y, b.x - a.x)
        self.angle = 0.0  # degrees turned since formed
        self.scale = 1.0
        self.cx = (a.x + b.x) / 2
        self.cy = (a.y + b.y) / 2
        self.pinching = False
        self.rotating = False


class GestureRecognizer:
    """Pointer inputs in, gesture events out; see the module's rules."""

    def __init__(self, thresholds: Thresholds | None = None) -> None:
        th = self.thresholds = thresholds or Thresholds()
        self._slop2 = th.tap_slop_px**2
        self._double_slop2 = th.double_tap_slop_px**2
        self._tan_max = math.tan(math.radians(th.swipe_max_angle_deg))
        self._pointers: dict[int, _Pointer] = {}
        self._multi = False  # a second finger joined since the first went down
        self._long_due: float | None = None  # when the lone finger's long press fires
        self._long_fired = False
        self._last_tap: tuple[float, float, float] | None = None  # x, y, up time
        self._double = False  # the lone finger can complete a double tap
        self._pair: _Pair | None = None
        self._dirty: float | None = None  # time of the first unflushed move of the pair

    @property
    def active(self) -> int:
        """Fingers down now."""
        return len(self._pointers)

    def next_deadline(self) -> float | None:
        """When tick() has something to do (a long press due), or None."""
        return self._long_due

    def tick(self, t: float) -> list[GestureEvent]:
        """Fire a long press that is due at t."""
        due = self._long_due
        if due is None or t < due:
            return []
        self._long_due = None
        self._long_fired = True
        p = next(iter(self._pointers.values()))
        return [LongPress(id=p.id, x=p.x0, y=p.y0, t_ns=round(due * 1e9))]

    def down(self, pid: int, x: float, y: float, t: float) -> list[GestureEvent]:
        out = self.tick(t) if self._long_due is not None else []
        if pid in self._pointers:  # a repeated down: the up went missing
            out += self.up(pid, x, y, t)
        pointers = self._pointers
        if not pointers:
            self._multi = False
            self._long_fired = False
            self._long_due = t + self.thresholds.long_press_s
            last = self._last_tap
            th = self.thresholds
            self._double = (
                last is not None
                and th.double_tap_min_s <= t - last[2] <= th.double_tap_s
                and (x - last[0]) ** 2 + (y - last[1]) ** 2 <= self._double_slop2
            )
            if not self._double:
                self._last_tap = None
        else:
            self._multi = True
            self._long_due = None
            self._double = False
            self._last_tap = None
        pointers[pid] = _Pointer(pid, x, y, t)
        if self._pair is None and len(pointers) >= _PAIR_CONTACTS:
            self._form_pair()
        return out

    def move(self, pid: int, x: float, y: float, t: float) -> list[GestureEvent]:
        p = self._pointers.get(pid)
        if p is None:
            return self.down(pid, x, y, t)
        out: list[GestureEvent] = []
        if self._long_due is not None:
            out = self.tick(t)
        if self._dirty is not None and t != self._dirty:
            out += self.flush()
        p.x = x
        p.y = y
        if not p.moved and (x - p.x0) ** 2 + (y - p.y0) ** 2 > self._slop2:
            p.moved = True
            self._long_due = None
        if not self._multi:
            self._sample(p, t, x, y)
        pair = self._pair
        if pair is not None and self._dirty is None and (p is pair.a or p is pair.b):
            self._dirty = t
        return out

    def up(self, pid: int, x: float, y: float, t: float) -> list[GestureEvent]:
        out = self.tick(t) if self._long_due is not None else []
        p = self._pointers.pop(pid, None)
        if p is None:
            return out
        p.x = x
        p.y = y
        if not p.moved and (x - p.x0) ** 2 + (y - p.y0) ** 2 > self._slop2:
            p.moved = True
        pair = self._pair
        if pair is not None and (p is pair.a or p is pair.b):
            _measure(pair)  # the end carries the final values
            out += self._end_pair(t)
            if len(self._pointers) >= _PAIR_CONTACTS:
                self._form_pair()
        if not self._multi:
            self._long_due = None
            self._sample(p, t, x, y)
            out += self._lone_up(p, t)
        return out

    def flush(self) -> list[GestureEvent]:
        """End of a batch of simultaneous inputs: the pair's pinch/rotate updates."""
        t = self._dirty
        pair = self._pair
        if t is None or pair is None:
            self._dirty = None
            return []
        self._dirty = None
        _measure(pair)
        t_ns = round(t * 1e9)
        out: list[GestureEvent] = []
        th = self.thresholds
        if pair.pinching or abs(pair.scale - 1) * pair.span0 >= th.pinch_slop_px:
            phase: Phase = "update" if pair.pinching else "begin"
            pair.pinching = True
            out.append(Pinch(phase=phase, scale=pair.scale, x=pair.cx, y=pair.cy, t_ns=t_ns))
        if pair.rotating or abs(pair.angle) >= th.rotate_slop_deg:
            phase = "update" if pair.rotating else "begin"
            pair.rotating = True
            out.append(Rotate(phase=phase, angle=pair.angle, x=pair.cx, y=pair.cy, t_ns=t_ns))
        return out

    def cancel(self, t: float) -> list[GestureEvent]:
        """Forget every finger without recognising anything from them (their board went away);
        ends a running pinch or rotate."""
        out = self.flush()
        out += self._end_pair(t)
        self._pointers.clear()
        self._multi = False
        self._long_due = None
        self._last_tap = None
        self._double = False
        return out

    # --- internals ----------------------------------------------------------------------------

    def _form_pair(self) -> None:
        it = iter(self._pointers.values())
        self._pair = _Pair(next(it), next(it))

    def _end_pair(self, t: float) -> list[GestureEvent]:
        pair = self._pair
        self._pair = None
        self._dirty = None
        if pair is None:
            return []
        out: list[GestureEvent] = []
        t_ns = round(t * 1e9)
        if pair.pinching:
            out.append(Pinch(phase="end", scale=pair.scale, x=pair.cx, y=pair.cy, t_ns=t_ns))
        if pair.rotating:
            out.append(Rotate(phase="end", angle=pair.angle, x=pair.cx, y=pair.cy, t_ns=t_ns))
        return out

    def _sample(self, p: _Pointer, t: float, x: float, y: float) -> None:
        samples = p.samples
        samples.append((t, x, y))
        horizon = t - self.thresholds.velocity_window_s
        while samples[0][0] < horizon:
            samples.popleft()

    def _lone_up(self, p: _Pointer, t: float) -> list[GestureEvent]:
        # The end of a one-finger sequence: tap, double tap or swipe.
        if self._long_fired:
            return []
        th = self.thresholds
        t_ns = round(t * 1e9)
        if not p.moved and t - p.t0 <= th.tap_max_s:
            if self._double:
                self._double = False
                (x, y, _) = self._last_tap or (p.x0, p.y0, t)
                self._last_tap = None
                return [DoubleTap(id=p.id, x=x, y=y, t_ns=t_ns)]
            self._last_tap = (p.x0, p.y0, t)
            return [Tap(id=p.id, x=p.x0, y=p.y0, t_ns=t_ns)]
        dx = p.x - p.x0
        dy = p.y - p.y0
        vx, vy = _velocity(p.samples)
        if abs(dx) >= abs(dy):
            along, across, v = dx, dy, vx
            direction = "right" if dx > 0 else "left"
        else:
            along, across, v = dy, dx, vy
            direction = "down" if dy > 0 else "up"
        distance = abs(along)
        speed = v if along > 0 else -v
        if (
            distance >= th.swipe_min_distance_px
            and abs(across) <= distance * self._tan_max
            and speed >= th.swipe_min_velocity_px_s
        ):
            return [
                Swipe(
                    id=p.id,
                    direction=direction,
                    velocity=speed,
                    distance=distance,
                    x=p.x0,
                    y=p.y0,
                    t_ns=t_ns,
                )
            ]
        return []


def _measure(pair: _Pair) -> None:
    # The pair's scale, angle (unwrapped) and centre from its fingers' positions now.
    a, b = pair.a, pair.b
    dx = b.x - a.x
    dy = b.y - a.y
    turn = math.atan2(dy, dx) - pair.last_angle
    if turn > math.pi:
        turn -= 2 * math.pi
    elif turn <= -math.pi:
        turn += 2 * math.pi
    pair.last_angle += turn
    pair.angle += math.degrees(turn)
    pair.scale = math.hypot(dx, dy) / pair.span0
    pair.cx = (a.x + b.x) / 2
    pair.cy = (a.y + b.y) / 2


def _velocity(samples: deque[tuple[float, float, float]]) -> tuple[float, float]:
    # Least-squares slope of x(t) and y(t); (0, 0) when the samples span no time.
    n = len(samples)
    if n <= 1:
        return 0.0, 0.0
    mt = sum(s[0] for s in samples) / n
    mx = sum(s[1] for s in samples) / n
    my = sum(s[2] for s in samples) / n
    stt = stx = sty = 0.0
    for t, x, y in samples:
        dt = t - mt
        stt += dt * dt
        stx += dt * (x - mx)
        sty += dt * (y - my)
    if stt < _NO_SPAN_S2:
        return 0.0, 0.0
    return stx / stt, sty / stt
