"""The store's budget of wrong PINs: one count for the whole mirror, not one per device, since
a device's address is whatever a proxy forwards and a guesser can change it at will.

Each wrong PIN adds one; one is forgotten every FORGET_S. From the FREE_FAILURES-th on, every
wrong PIN pauses PIN sign-in for every device, FIRST_PAUSE_S the first time and twice as long
for each wrong PIN after it (at most MAX_PAUSE_S); while paused, no PIN is tried, the right one
neither. A pause starting is logged as a WARNING the operator sees in the journal, and shows
in /api/status and on the associate page. The count is kept in auth.db, so a restart forgives
nothing.

What that leaves a guesser: once the count is high, one try about every FORGET_S, some 150 a
day; a 6-digit PIN (a million) then holds for years, a 4-digit one for about a month.
Associates who are signed in stay signed in, and kiosk tokens still work, during a pause.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass

from vitrine.associate.store import AuthStore, BudgetState

log = logging.getLogger("vitrine.associate")

FREE_FAILURES = 5  # wrong PINs on this mirror before PIN sign-in pauses
FIRST_PAUSE_S = 30.0  # the pause the FREE_FAILURES-th wrong PIN starts ...
MAX_PAUSE_S = 900.0  # ... doubled by each one after it, up to this
FORGET_S = 600.0  # one wrong PIN is forgotten this often


@dataclass(frozen=True, slots=True)
class BudgetStatus:
    """For /api/status: the wrong PINs that count now, and how long PIN sign-in stays paused
    (0: open)."""

    wrong_pins: int
    paused_for_s: int

    def to_json(self) -> dict[str, object]:
        return {
            "pin_sign_in": "paused" if self.paused_for_s else "open",
            "paused_for_s": self.paused_for_s,
            "wrong_pins": self.wrong_pins,
        }


class PinBudget:
    """The wrong PINs of the whole mirror, kept in `store`; `clock` is wall-clock seconds."""

    def __init__(self, store: AuthStore, clock: Callable[[], float]) -> None:
        self._store = store
        self._clock = clock

    def paused_for(self, now: float | None = None) -> int:
        """Seconds until a PIN may be tried again (0: now), rounded up."""
        now = self._clock() if now is None else now
        left = self._store.budget.paused_until - now
        return math.ceil(left) if left > 0 else 0

    def left(self, now: float | None = None) -> int:
        """Wrong PINs the mirror may still make before sign-in pauses."""
        now = self._clock() if now is None else now
        return max(0, FREE_FAILURES - _counted(self._store.budget, now).failures)

    def status(self) -> BudgetStatus:
        now = self._clock()
        counted = _counted(self._store.budget, now)
        return BudgetStatus(int(counted.failures), self.paused_for(now))

    def wrong_pin(self, client: str) -> int:
        """Count a wrong PIN (from `client`, for the log); the pause it starts in seconds, or
        0 when it starts none."""
        now = self._clock()
        counted = _counted(self._store.budget, now)
        failures = int(counted.failures) + 1
        pause_s = 0.0
        if failures >= FREE_FAILURES:
            pause_s = min(MAX_PAUSE_S, FIRST_PAUSE_S * 2.0 ** (failures - FREE_FAILURES))
        counted_at = counted.counted_at if counted.failures else now
        paused_until = max(counted.paused_until, now + pause_s)
        self._store.save_budget(BudgetState(failures, counted_at, paused_until))
        if not pause_s:
            return 0
        log.warning(
            "associate sign-in: %d wrong PINs on this mirror (the last from %s): PIN sign-in "
            "is paused for every device for %d s. Someone may be guessing the PIN; if this "
            "goes on, set a longer [associate] pin (6 to 12 digits) and restart the daemon",
            failures,
            client,
            int(pause_s),
        )
        return math.ceil(pause_s)


def _counted(state: BudgetState, now: float) -> BudgetState:
    # The state with the wrong PINs forgotten since it was counted (one per FORGET_S).
    if not state.failures:
        return state
    forgotten = max(0, int((now - state.counted_at) // FORGET_S))
    if not forgotten:
        return state
    failures = max(0.0, state.failures - forgotten)
    return BudgetState(failures, state.counted_at + forgotten * FORGET_S, state.paused_until)
