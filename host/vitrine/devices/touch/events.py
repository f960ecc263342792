"""The touch frame's events on the bus: pointers (one per contact change) and gestures, and
the calibration targets the player draws while the frame is being calibrated.

Positions are display pixels; times are the host's time.monotonic_ns() of the touch report
that caused the event (or of the timer tick, for a long press). to_json() gives the form sent
over WebSocket: a "type" key, positions rounded to 0.01 px and the time as "t_ms".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Literal

PointerKind = Literal["down", "move", "up"]
Phase = Literal["begin", "update", "end"]
Direction = Literal["up", "down", "left", "right"]


@dataclass(frozen=True, slots=True, kw_only=True)
class PointerEvent:
    """A contact went down, moved or went up (up also when its board went away)."""

    kind: PointerKind
    id: int  # the board's contact id: unique among current contacts from down to up
    x: float  # display px
    y: float
    x_mm: float  # frame mm
    y_mm: float
    diameter_mm: float
    board: str
    t_ns: int  # host monotonic_ns when the report was decoded
    scan: int  # the board's scan counter

    def to_json(self) -> dict[str, Any]:
        return {
            "type": "pointer",
            "kind": self.kind,
            "id": self.id,
            "x": round(self.x, 2),
            "y": round(self.y, 2),
            "x_mm": round(self.x_mm, 2),
            "y_mm": round(self.y_mm, 2),
            "diameter_mm": self.diameter_mm,
            "board": self.board,
            "scan": self.scan,
            "t_ms": _ms(self.t_ns),
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class Gesture:
    """Base of the gesture events (subscribe to it for all of them)."""

    TYPE: ClassVar[str] = "gesture"
    t_ns: int

    def to_json(self) -> dict[str, Any]:
        raise NotImplementedError


@dataclass(frozen=True, slots=True, kw_only=True)
class _OneFinger(Gesture):
    """A gesture of one contact at one point."""

    id: int
    x: float
    y: float

    def to_json(self) -> dict[str, Any]:
        return {"type": self.TYPE, "id": self.id, **_xy(self.x, self.y), "t_ms": _ms(self.t_ns)}


@dataclass(frozen=True, slots=True, kw_only=True)
class Tap(_OneFinger):
    """One finger down and up quickly, in place. Reported at once, also for the first tap of
    a double tap."""

    TYPE: ClassVar[str] = "tap"


@dataclass(frozen=True, slots=True, kw_only=True)
class DoubleTap(_OneFinger):
    """A second tap soon after a tap and near it; reported when the second finger lifts,
    instead of a second Tap. x, y: the first tap's position; id: the second tap's contact."""

    TYPE: ClassVar[str] = "double_tap"


@dataclass(frozen=True, slots=True, kw_only=True)
class LongPress(_OneFinger):
    """One finger held in place; reported while it is still down. x, y: where it went down."""

    TYPE: ClassVar[str] = "long_press"


@dataclass(frozen=True, slots=True, kw_only=True)
class Swipe(Gesture):
    """One finger released while moving fast along an axis. x, y: where it went down."""

    TYPE: ClassVar[str] = "swipe"
    id: int
    direction: Direction
    velocity: float  # px/s along the direction at release
    distance: float  # px along the direction from down to up
    x: float
    y: float

    def to_json(self) -> dict[str, Any]:
        return {
            "type": self.TYPE,
            "id": self.id,
            "direction": self.direction,
            "velocity": round(self.velocity, 1),
            "distance": round(self.distance, 1),
            **_xy(self.x, self.y),
            "t_ms": _ms(self.t_ns),
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class Pinch(Gesture):
    """Two fingers moving apart or together. scale: their distance over the distance when the
    second one went down; x, y: their midpoint now."""

    TYPE: ClassVar[str] = "pinch"
    phase: Phase
    scale: float
    x: float
    y: float

    def to_json(self) -> dict[str, Any]:
        return {
            "type": self.TYPE,
            "phase": self.phase,
            "scale": round(self.scale, 4),
            **_xy(self.x, self.y),
            "t_ms": _ms(self.t_ns),
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class Rotate(Gesture):
    """Two fingers turning around each other. angle: degrees turned since the second one went
    down, positive clockwise on the display (and past 180 if they keep turning); x, y: their
    midpoint now."""

    TYPE: ClassVar[str] = "rotate"
    phase: Phase
    angle: float
    x: float
    y: float

    def to_json(self) -> dict[str, Any]:
        return {
            "type": self.TYPE,
            "phase": self.phase,
            "angle": round(self.angle, 2),
            **_xy(self.x, self.y),
            "t_ms": _ms(self.t_ns),
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class CalibrationTarget:
    """A touch calibration target for the player to draw (vitrine calibrate touch sends them
    to the daemon's /ws), or, with step None, the end of the calibration: hide the targets.
    x, y: the target's centre in display px; text: what the technician is to do."""

    step: int | None  # from 1; None: calibration over
    of: int  # how many targets there are (0 when over)
    x: float | None
    y: float | None
    text: str = ""

    @classmethod
    def over(cls) -> CalibrationTarget:
        """The calibration is over (done, stopped or its tool gone): no target on the glass."""
        return cls(step=None, of=0, x=None, y=None, text="")

    def to_json(self) -> dict[str, Any]:
        return {
            "type": "calibration",
            "step": self.step,
            "of": self.of,
            "x": None if self.x is None else round(self.x, 2),
            "y": None if self.y is None else round(self.y, 2),
            "text": self.text,
        }


GestureEvent = Tap | DoubleTap | LongPress | Swipe | Pinch | Rotate
TouchEvent = PointerEvent | GestureEvent


def _ms(t_ns: int) -> float:
    return round(t_ns / 1e6, 3)


def _xy(x: float, y: float) -> dict[str, float]:
    return {"x": round(x, 2), "y": round(y, 2)}
