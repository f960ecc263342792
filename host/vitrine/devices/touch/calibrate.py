"""Touch calibration: a steady touch on each of four display targets, solved into the frame's
map (vitrine.devices.touch.mapping.solve_calibration) and written into the daemon's config.

The touches come from the running daemon, which owns the touch board: its pointer events as
the JSON objects /ws sends (see PointerEvent.to_json), in frame millimetres and host time.

- TouchReader.hold(): one contact from down to up, judged: held long enough, held still, and
  alone on the glass. Its position is the median over the time held, without the first and
  last TRIM_S (the finger settling and lifting).
- calibrate(): prompts for each target in turn until it has a steady touch, then solves; with
  a mirror, it also has the target drawn on it (through the daemon's /ws, which the player
  draws from) while it waits for its touch.
- report_uncalibrated(): where the touches would have landed without the calibration.

The result is written into the daemon's config file by vitrine.config_file.
"""

from __future__ import annotations

import asyncio
import itertools
import math
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from vitrine.devices.touch.mapping import (
    Calibration,
    CalibrationError,
    Mapping,
    Pair,
    Point,
    solve_calibration,
)
from vitrine.errors import VitrineError

CORNERS = ("top-left", "top-right", "bottom-right", "bottom-left")  # around the quadrilateral
DEFAULT_INSET = 0.1  # targets this fraction of the display's width/height in from its corners
MIN_HOLD_S = 0.3  # a touch shorter than this is not a deliberate hold on the target
MAX_SPREAD_MM = 3.0  # positions while held may be at most this far apart
TRIM_S = 0.05  # positions this close to the down and the up are left out (settling, lift-off)
MIN_APART_MM = 20.0  # two targets' touches closer than this went to the same target

INSET_LIMIT = 0.5  # an inset below this: at half the display's size the four targets meet
MAX_SHOWN_TEXT = 200  # the most characters of text a target drawn on the mirror carries
_ASK = "Touch and hold the centre of the target with one finger, still, then lift it."


class Mirror(Protocol):
    """Where the targets are drawn (vitrine.cli.calibrate.MirrorTargets: the daemon's /ws)."""

    async def show(self, step: int, of: int, x: float, y: float, text: str) -> None:
        """Draw target `step` (from 1) of `of` at display px (x, y), with text."""

    async def hide(self) -> None:
        """No target on the mirror any more."""


class TouchTimeout(VitrineError):
    """No steady touch on a target in the time allowed."""


class EventStreamEnded(VitrineError):
    """The daemon's event stream ended before the calibration was done."""


@dataclass(frozen=True, slots=True)
class Target:
    number: int  # from 1
    name: str  # which corner
    x: float  # display px
    y: float

    @property
    def display_px(self) -> Point:
        return (self.x, self.y)


def targets(width_px: int, height_px: int, inset: float = DEFAULT_INSET) -> list[Target]:
    """The four targets, near the display's corners, in order around them from the top-left."""
    if not 0.0 < inset < INSET_LIMIT:
        raise ValueError(
            f"inset {inset!r}: allowed a fraction of the display size in (0, {INSET_LIMIT:g})"
        )
    left, right = width_px * inset, width_px * (1.0 - inset)
    top, bottom = height_px * inset, height_px * (1.0 - inset)
    corners = [(left, top), (right, top), (right, bottom), (left, bottom)]
    return [
        Target(n + 1, name, round(x, 2), round(y, 2))
        for n, (name, (x, y)) in enumerate(zip(CORNERS, corners, strict=True))
    ]


@dataclass(frozen=True, slots=True)
class Hold:
    """One contact held on the glass and lifted, alone."""

    frame_mm: Point  # median position while held (by time), rounded to 0.01 mm
    held_s: float  # from down to up
    spread_mm: float  # the largest distance between two positions while held
    samples: int  # reported positions the median was taken of


@dataclass(frozen=True, slots=True)
class Rejected:
    """A touch that cannot be used, and why (a sentence for the technician)."""

    reason: str


@dataclass(frozen=True, slots=True)
class _Sample:
    t_s: float
    x_mm: float
    y_mm: float


class TouchReader:
    """Pointer events (dicts, as /ws sends them) in, one judged touch at a time out. Other
    events, and anything that is not a well-formed pointer event, are skipped."""

    def __init__(
        self,
        events: AsyncIterator[dict[str, Any]],
        *,
        min_hold_s: float = MIN_HOLD_S,
        max_spread_mm: float = MAX_SPREAD_MM,
        trim_s: float = TRIM_S,
    ) -> None:
        self._events = events
        self.min_hold_s = min_hold_s
        self.max_spread_mm = max_spread_mm
        self.trim_s = trim_s
        self._down: set[int] = set()  # contacts on the glass now

    async def _pointer(self) -> tuple[str, int, _Sample]:
        while True:
            try:
                event = await anext(self._events)
            except StopAsyncIteration:
                raise EventStreamEnded(
                    "the daemon's event stream ended before the calibration was done "
                    "(daemon stopped or restarted?)"
                ) from None
            if not isinstance(event, dict) or event.get("type") != "pointer":
                continue
            try:
                kind = event["kind"]
                cid = int(event["id"])
                sample = _Sample(
                    float(event["t_ms"]) / 1000.0, float(event["x_mm"]), float(event["y_mm"])
                )
            except (KeyError, TypeError, ValueError):
                continue
            if kind not in ("down", "move", "up"):
                continue
            return kind, cid, sample

    async def hold(self) -> Hold | Rejected:
        """The next touch of one finger, from its down to its up. A touch begins with a down
        while no other contact is on the glass; a second contact during it rejects it (and
        the next touch begins only once every finger has lifted). Waits as long as it takes:
        the caller sets the time limit."""
        tracked: int | None = None
        samples: list[_Sample] = []
        while True:
            kind, cid, sample = await self._pointer()
            alone = not (self._down - {cid})
            if kind == "up":
                self._down.discard(cid)
            else:
                self._down.add(cid)
            if tracked is None:
                if kind == "down" and alone:
                    tracked = cid
                    samples = [sample]
                continue
            if cid != tracked:
                if kind != "up":
                    return Rejected(
                        "one finger only: a second touch came while the first was held; "
                        "lift every finger and touch the target with one"
                    )
                continue
            samples.append(sample)
            if kind == "up":
                return self._judge(samples)

    def _judge(self, samples: list[_Sample]) -> Hold | Rejected:
        t_down, t_up = samples[0].t_s, samples[-1].t_s
        held = t_up - t_down
        if held < self.min_hold_s:
            return Rejected(
                f"too short: held {held:.2f} s; keep the finger on the target for at least "
                f"{self.min_hold_s:g} s"
            )
        # Each position counts for as long as it was in effect between the trimmed ends: a
        # still finger may report nothing new for a while (the daemon sends a move only when a
        # contact changes), and the up's position is the lift-off's.
        start, end = t_down + self.trim_s, t_up - self.trim_s
        if end <= start:
            start, end = t_down, t_up
        spans = [
            (s, min(after.t_s, end) - max(s.t_s, start)) for s, after in itertools.pairwise(samples)
        ]
        spans = [(s, w) for s, w in spans if w > 0] or [(s, 1.0) for s in samples]
        x = _weighted_median([(s.x_mm, w) for s, w in spans])
        y = _weighted_median([(s.y_mm, w) for s, w in spans])
        spread = _diameter([(s.x_mm, s.y_mm) for s, _ in spans])
        if spread > self.max_spread_mm:
            return Rejected(
                f"the finger moved {spread:.1f} mm while held (at most {self.max_spread_mm:g} mm); "
                "hold it still on the target"
            )
        return Hold((round(x, 2), round(y, 2)), held, spread, len(spans))


def _weighted_median(values: list[tuple[float, float]]) -> float:
    # The value with half the total weight on either side (the lower one at an exact split).
    ordered = sorted(values)
    half = sum(w for _, w in ordered) / 2
    total = 0.0
    for value, weight in ordered:
        total += weight
        if total >= half:
            return value
    return ordered[-1][0]


def _diameter(points: list[Point]) -> float:
    # The largest distance between two of the points: between two corners of their convex
    # hull (Andrew's monotone chain), which a held finger's few hundred points make short.
    unique = sorted(set(points))
    if len(unique) <= 1:
        return 0.0

    def chain(seq: Iterable[Point]) -> list[Point]:
        out: list[Point] = []
        for p in seq:
            while len(out) > 1 and _turn(out[-2], out[-1], p) <= 0:
                out.pop()
            out.append(p)
        return out[:-1]

    hull = chain(unique) + chain(reversed(unique))
    return max(math.dist(p, q) for i, p in enumerate(hull) for q in hull[i + 1 :])


def _turn(o: Point, a: Point, b: Point) -> float:
    return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])


@dataclass(frozen=True, slots=True)
class Result:
    targets: tuple[Target, ...]
    holds: tuple[Hold, ...]  # one per target, in the same order
    calibration: Calibration

    @property
    def pairs(self) -> list[Pair]:
        """The (frame mm, display px) pairs, as written into the config."""
        return [(h.frame_mm, t.display_px) for t, h in zip(self.targets, self.holds, strict=True)]


async def calibrate(
    events: AsyncIterator[dict[str, Any]],
    points: Sequence[Target],
    *,
    timeout: float = 60.0,
    say: Callable[[str], None] = print,
    mirror: Mirror | None = None,
) -> Result:
    """Ask for a steady touch on each target in turn (again, with the reason, until one is
    usable), then solve the calibration and report it through say(). timeout: seconds to wait
    for a usable touch after each prompt (TouchTimeout after that). mirror: each target is
    drawn on it (again with a refused touch's reason) before its touch is waited for, and
    hidden once the targets are done with, however calibrate() ends. Raises CalibrationError
    when the touches give no usable map, EventStreamEnded when the daemon goes away."""
    if len(points) != len(CORNERS):
        raise ValueError(f"calibration needs {len(CORNERS)} targets, got {len(points)}")
    session = _Session(TouchReader(events), len(points), timeout, say, mirror)
    holds: list[Hold] = []
    try:
        for target in points:
            holds.append(await session.measure(target, holds))
    finally:
        await session.hide()
    result = Result(tuple(points), tuple(holds), _solve(points, holds))
    say(
        f"Calibration solved: the four touches map to their targets within "
        f"{result.calibration.residual_px:.2f} px."
    )
    return result


def report_uncalibrated(
    result: Result, nominal: Mapping, say: Callable[[str], None] = print
) -> None:
    """Say where the touches would have landed with nominal (the frame's map without the
    calibration), and how far that is from their targets."""
    say("Without calibration the touches would have landed at:")
    worst = 0.0
    for target, hold in zip(result.targets, result.holds, strict=True):
        x, y = nominal.map(*hold.frame_mm)
        off = math.dist((x, y), target.display_px)
        worst = max(worst, off)
        say(
            f"  target {target.number} ({target.name}): ({x:.1f}, {y:.1f}) px, "
            f"{off:.1f} px from ({target.x:g}, {target.y:g})"
        )
    say(f"The calibration corrects up to {worst:.1f} px at the targets.")


@dataclass
class _Session:
    # One calibration's prompts: what is said and drawn for each target until it is touched.
    reader: TouchReader
    count: int  # targets
    timeout: float  # seconds for a usable touch after each prompt
    say: Callable[[str], None]
    mirror: Mirror | None
    shown: bool = False  # a target was drawn: hide() takes it away

    async def show(self, target: Target, text: str) -> None:
        if self.mirror is not None:
            self.shown = True
            await self.mirror.show(target.number, self.count, target.x, target.y, _shown_text(text))

    async def hide(self) -> None:
        if self.shown and self.mirror is not None:
            await self.mirror.hide()

    async def measure(self, target: Target, earlier: list[Hold]) -> Hold:
        """The first usable touch on target: one steady finger, away from the earlier ones."""
        refused: str | None = None
        while True:
            self.say(
                f"Touch and hold target {target.number} of {self.count} ({target.name}) at "
                f"({target.x:g}, {target.y:g}) px with one finger, still, for about half a "
                "second, then lift it."
            )
            if refused is None:
                await self.show(target, _ASK)
            else:
                await self.show(target, f"Not used: {refused}. Touch and hold the target again.")
            touch = await self._hold(target)
            if isinstance(touch, Rejected):
                self.say(f"  Not used: {touch.reason}.")
                refused = touch.reason
                continue
            refused = self._where_touched_before(target, touch, earlier)
            if refused is None:
                self.say(
                    f"  Got it: ({touch.frame_mm[0]:.1f}, {touch.frame_mm[1]:.1f}) mm on the "
                    f"frame, held {touch.held_s:.1f} s."
                )
                return touch

    async def _hold(self, target: Target) -> Hold | Rejected:
        try:
            async with asyncio.timeout(self.timeout):
                return await self.reader.hold()
        except TimeoutError:
            raise TouchTimeout(
                f"no steady touch on target {target.number} ({target.name}) within "
                f"{self.timeout:g} s: is the touch board connected and up (the daemon's status "
                "page shows it)?"
            ) from None

    def _where_touched_before(self, target: Target, touch: Hold, earlier: list[Hold]) -> str | None:
        # A touch where an earlier target was touched is not used: why (said, then shown with
        # the target), or None.
        same = [n for n, h in enumerate(earlier, 1) if _apart(h, touch) < MIN_APART_MM]
        if same:
            self.say(
                f"  Not used: that is where target {same[0]} was touched "
                f"({touch.frame_mm[0]:.1f}, {touch.frame_mm[1]:.1f} mm on the frame); "
                f"touch target {target.number}, {target.name}."
            )
            return f"that is where target {same[0]} was touched"
        return None


def _shown_text(text: str) -> str:
    # At most MAX_SHOWN_TEXT characters (what the daemon takes), cut at a word.
    if len(text) <= MAX_SHOWN_TEXT:
        return text
    return text[: MAX_SHOWN_TEXT - 1].rsplit(" ", 1)[0].rstrip(" ,;:.") + "…"


def _apart(a: Hold, b: Hold) -> float:
    return math.dist(a.frame_mm, b.frame_mm)


def _solve(points: Sequence[Target], holds: Sequence[Hold]) -> Calibration:
    try:
        return solve_calibration(
            [(h.frame_mm, t.display_px) for t, h in zip(points, holds, strict=True)]
        )
    except CalibrationError as err:
        raise CalibrationError(f"the four touches give no usable calibration: {err}") from err
