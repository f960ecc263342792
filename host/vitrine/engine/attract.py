"""The attract loop: which of the configured slides may show now (day of the week, local time
window, weather, store event) and which one is up, cycling every cycle_s seconds. When no slot
matches, a built-in welcome slide shows."""

from __future__ import annotations

from collections.abc import Sequence

from vitrine.engine.config import AttractConfig, AttractSlot
from vitrine.engine.context import Context

DEFAULT_SLOT = AttractSlot(title="Welcome", subtitle="Touch the mirror to begin")
DAY_MINUTES = 24 * 60


def _minutes(clock: str) -> int:
    hours, minutes = clock.split(":")
    return int(hours) * 60 + int(minutes)


def in_window(start: str, end: str, minutes: int) -> bool:
    """Whether a minute of the day lies in [start, end); a window with start after end runs
    past midnight (22:00-02:00)."""
    lo, hi = _minutes(start), _minutes(end)
    if lo < hi:
        return lo <= minutes < hi
    return minutes >= lo or minutes < hi


def matches(slot: AttractSlot, context: Context) -> bool:
    """Whether a slot may show in this context."""
    if slot.days and context.weekday not in slot.days:
        return False
    if not in_window(slot.start, slot.end, context.minutes):
        return False
    if slot.weather and context.weather not in slot.weather:
        return False
    return not slot.event or slot.event in context.events


def matching(slots: Sequence[AttractSlot], context: Context) -> list[AttractSlot]:
    """The slots that may show now, in configuration order; the default slide when none."""
    return [slot for slot in slots if matches(slot, context)] or [DEFAULT_SLOT]


class AttractLoop:
    """The slide up now: the matching slots take turns of cycle_s seconds each, counted from
    when the loop (re)started."""

    def __init__(self, config: AttractConfig) -> None:
        self.config = config
        self._since = 0.0

    def restart(self, now: float) -> None:
        """Start the cycle over (the mirror went back to idle)."""
        self._since = now

    def slot(self, context: Context, now: float) -> AttractSlot:
        slots = matching(self.config.slot, context)
        turn = int(max(0.0, now - self._since) // self.config.cycle_s)
        return slots[turn % len(slots)]
