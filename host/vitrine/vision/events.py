"""Vision results on the bus (anonymous: labels, scores, track numbers, never a frame, a crop
or an embedding).

The hand gestures are touch-frame Gesture events (vitrine.devices.touch.events), so the
engine takes them as it takes a swipe on the glass and the player's socket carries them to
the page; their "type" says which gesture, "source" that the camera saw it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from vitrine.devices.touch.events import Gesture

ExpressionLabel = Literal["neutral", "happy", "surprised", "frustrated"]
CountKind = Literal["passer_by", "stop", "in", "out"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Expression:
    """The expression of the person engaged with the mirror, as the model sees it."""

    label: ExpressionLabel
    confidence: float  # 0..1
    t_ns: int


@dataclass(frozen=True, slots=True, kw_only=True)
class HandGesture(Gesture):
    """A deliberate hand gesture in the air in front of the mirror (base of the four)."""

    TYPE: ClassVar[str] = "hand_gesture"
    track: int = 0  # the face track of the person nearest the hand (0: none)

    def to_json(self) -> dict[str, Any]:
        return {"type": self.TYPE, "source": "camera", "t_ms": round(self.t_ns / 1e6, 3)}


@dataclass(frozen=True, slots=True, kw_only=True)
class Wave(HandGesture):
    """An open hand waved side to side."""

    TYPE: ClassVar[str] = "wave"


@dataclass(frozen=True, slots=True, kw_only=True)
class SwipeLeft(HandGesture):
    """A hand swept to the shopper's left (the next page, as a swipe left on the glass)."""

    TYPE: ClassVar[str] = "swipe_left"


@dataclass(frozen=True, slots=True, kw_only=True)
class SwipeRight(HandGesture):
    """A hand swept to the shopper's right (the previous page)."""

    TYPE: ClassVar[str] = "swipe_right"


@dataclass(frozen=True, slots=True, kw_only=True)
class OpenPalm(HandGesture):
    """An open hand held up still: stop / back."""

    TYPE: ClassVar[str] = "open_palm"


GESTURES: dict[str, type[HandGesture]] = {
    cls.TYPE: cls for cls in (Wave, SwipeLeft, SwipeRight, OpenPalm)
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Attention:
    """A face track started (looking=True) or stopped looking at the mirror; seconds: its
    time spent looking so far."""

    track: int
    looking: bool
    seconds: float
    t_ns: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Visitor:
    """A face track ended: how long it was in view (dwell) and looked, and the loyalty member
    it was recognised as (None for everyone else, who is never matched or stored)."""

    track: int
    dwell_s: float
    attention_s: float
    member: str | None
    t_ns: int


@dataclass(frozen=True, slots=True, kw_only=True)
class PeopleCounted:
    """The people counter counted someone: a passer-by, a stop in front, a line crossing."""

    kind: CountKind
    track: int
    t_ns: int


@dataclass(frozen=True, slots=True, kw_only=True)
class MemberRecognised:
    """An enrolled loyalty member's face matched (cosine similarity >= the threshold)."""

    member: str
    similarity: float
    track: int
    t_ns: int


@dataclass(frozen=True, slots=True, kw_only=True)
class MemberEnrolled:
    """A member's face template was made (ok) or could not be (reason)."""

    member: str
    ok: bool
    reason: str
    t_ns: int
