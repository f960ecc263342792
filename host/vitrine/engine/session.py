"""The shopper's session as a state machine, free of I/O: idle -> approached -> engaged ->
ended -> idle, with the screen shown in each phase and the help offer of a stalled shopper.

Every method takes the current (monotonic) time, first applies the timeouts that fell due
before it, and returns what changed as a list of events, in order, for the engine to record
and show:

- idle: the attract loop. Someone arriving starts a session (approached, "greeting"); a touch
  or a page interaction starts one straight away (engaged: a shopper can touch the glass
  without being detected), showing the greeting for greeting_s, then home.
- approached: the greeting stays until the shopper interacts (engaged, "home") or
  approach_timeout_s passes (or they are gone absent_grace_s): the session ends, back to idle.
- engaged: the screens the shopper navigates to. It ends after engaged_idle_s without
  interaction (timeout), when nobody is detected and nothing is touched for absent_grace_s
  (left), or when the shopper ends it (ended_by_shopper). stall_s without interaction offers
  help; the next interaction withdraws the offer. While the shopper waits for an associate
  (a request of theirs is open: set_waiting), neither the idle timeout nor the help offer
  runs: they are changing in the fitting room or waiting as the screen told them to, and a
  "Need a hand?" over "Sam is on the way" would ask them to call someone already coming.
- ended: "rating" until the shopper rates or rating_s passes, then "thanks" for THANKS_S,
  then idle. Navigating from here starts a new session.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from vitrine.engine.config import SessionConfig

Phase = Literal["idle", "approached", "engaged", "ended"]
EndReason = Literal["timeout", "left", "ended_by_shopper"]
HelpReason = Literal["frustrated", "stalled"]
THANKS_S = 2.0  # the thank-you screen shows this long before the attract loop
PHASES = ("idle", "approached", "engaged", "ended")
END_REASONS = ("timeout", "left", "ended_by_shopper")


@dataclass(frozen=True, slots=True)
class Screen:
    """What the mirror shows: a screen name, and the category or product it is about."""

    name: str
    category: str | None = None
    sku: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "category": self.category, "sku": self.sku}


ATTRACT = Screen("attract")


@dataclass(frozen=True, slots=True)
class Started:
    """A session began, approached or already engaged."""

    session_id: str
    phase: Phase


@dataclass(frozen=True, slots=True)
class Engaged:
    """An approached session became engaged (the shopper interacted)."""

    session_id: str


@dataclass(frozen=True, slots=True)
class Ended:
    """A session ended, and why. An engaged one moves to the rating screen; an approached
    one goes straight back to idle (a Closed follows)."""

    session_id: str
    reason: EndReason


@dataclass(frozen=True, slots=True)
class Closed:
    """An ended session's screens are over: nothing of it is live any more."""

    session_id: str


@dataclass(frozen=True, slots=True)
class ScreenChanged:
    screen: Screen


@dataclass(frozen=True, slots=True)
class HelpChanged:
    """The offer of help appeared (frustrated, stalled) or went away (None)."""

    reason: HelpReason | None


Event = Started | Engaged | Ended | Closed | ScreenChanged | HelpChanged


def new_session_id() -> str:
    return uuid.uuid4().hex


class SessionMachine:
    """The live session's phase, screen and timers. Not thread-safe; no I/O."""

    def __init__(
        self, config: SessionConfig, *, new_id: Callable[[], str] = new_session_id
    ) -> None:
        self.config = config
        self._new_id = new_id
        self.session_id: str | None = None
        self.phase: Phase = "idle"
        self.screen: Screen = ATTRACT
        self.offer_help: HelpReason | None = None
        self.end_reason: EndReason | None = None
        self.rated = False
        self.waiting = False  # a request of the shopper's is open (set_waiting)
        # None: no presence source has said anything (a touch-only mirror)
        self.present: bool | None = None
        self.started_at = 0.0
        self.phase_since = 0.0
        self.last_interaction = 0.0
        self.screen_since = 0.0
        self.absent_since: float | None = None
        self.arrived_at: float | None = None
        self.ended_at = 0.0
        self.thanks_since: float | None = None
        self.greeting_until: float | None = None

    # -- inputs ---------------------------------------------------------------------------------

    def presence(self, present: bool, now: float) -> list[Event]:
        """A presence source says someone is (or no longer is) in front of the mirror."""
        events = self.tick(now)
        was = self.present
        self.present = present
        if not present:
            if was is not False or self.absent_since is None:
                self.absent_since = now
            return events
        self.absent_since = None
        if was is not True:
            self.arrived_at = now
            if self.phase == "idle":
                events += self._start("approached", Screen("greeting"), now)
        return events

    def recognised(self, now: float) -> list[Event]:
        """A consenting member was recognised at the mirror (their phone): from idle a session
        starts as on approach (the greeting); in any other phase nothing changes. Presence is
        left to the presence sources: a phone says who, not whether anybody stands there."""
        events = self.tick(now)
        if self.phase == "idle":
            events += self._start("approached", Screen("greeting"), now)
        return events

    def interact(self, now: float) -> list[Event]:
        """The shopper touched, gestured or did something on the page (not a navigation)."""
        events = self.tick(now)
        if self.phase == "idle":
            if self.config.greeting_s > 0:
                events += self._start("engaged", Screen("greeting"), now)
                self.greeting_until = now + self.config.greeting_s
            else:
                events += self._start("engaged", Screen("home"), now)
        elif self.phase == "approached":
            events += self._engage(now)
            events += self._show(Screen("home"), now)
        elif self.phase == "engaged":
            self.last_interaction = now
            if self.screen.name == "greeting":
                events += self._show(Screen("home"), now)
            events += self._clear_help()
        return events

    def navigate(self, screen: Screen, now: float) -> list[Event]:
        """The shopper (or the engine on the shopper's behalf) moves to a screen. From idle
        this starts an engaged session, from an ended one a new session."""
        events = self.tick(now)
        if self.phase == "ended":
            events += self._close(now)
        if self.phase == "idle":
            return events + self._start("engaged", screen, now)
        if self.phase == "approached":
            events += self._engage(now)
        self.last_interaction = now
        events += self._show(screen, now)
        events += self._clear_help()
        return events

    def end(self, now: float) -> list[Event]:
        """The shopper is done: the session ends and the rating screen shows. Only for an
        approached or engaged session (returns [] otherwise)."""
        events = self.tick(now)
        if self.phase not in ("approached", "engaged"):
            return events
        if self.phase == "approached":
            events += self._engage(now)
        return events + self._finish("ended_by_shopper", now)

    def rate(self, now: float) -> list[Event]:
        """The shopper rated the visit: the thank-you screen shows (ending an engaged
        session first)."""
        events = self.tick(now)
        if self.phase == "engaged":
            events += self._finish("ended_by_shopper", now)
        if self.phase != "ended":
            return events
        self.rated = True
        self.thanks_since = now
        return events + self._show(Screen("thanks"), now)

    def set_waiting(self, waiting: bool, now: float) -> list[Event]:
        """Whether the shopper now waits for an associate (a request of theirs is open). While
        they wait, no idle timeout and no help offer; an offer shown is withdrawn; when the
        wait ends (the associate came, or the request was cancelled) the idle time counts
        afresh from now."""
        events = self.tick(now)
        if waiting == self.waiting:
            return events
        self.waiting = waiting
        if waiting:
            return events + self._clear_help()
        if self.phase == "engaged":
            self.last_interaction = now
        return events

    def frustrated(self, now: float) -> list[Event]:
        """Vision saw frustration: offer help (engaged only, not while the shopper waits for
        an associate already, and once until withdrawn)."""
        events = self.tick(now)
        if self.phase == "engaged" and self.offer_help is None and not self.waiting:
            self.offer_help = "frustrated"
            events.append(HelpChanged("frustrated"))
        return events

    def tick(self, now: float) -> list[Event]:
        """Apply every timeout due by now."""
        events: list[Event] = []
        for _ in range(16):  # each step moves one phase on; a long gap may need several
            step = self._step(now)
            if step is None:
                break
            events += step
        return events

    # -- timers ---------------------------------------------------------------------------------

    def _step(self, now: float) -> list[Event] | None:
        # The earliest timeout due by now, applied at the time it fell due (so a long gap
        # replays the phases in order); ties go to the first listed. None: nothing is due.
        cfg = self.config
        due: list[tuple[float, Callable[[float], list[Event]]]] = []
        live = self.phase in ("approached", "engaged")
        if live and self.present is False and self.absent_since is not None:
            gone = max(self.absent_since, self.last_interaction)
            due.append((gone + cfg.absent_grace_s, lambda t: self._finish("left", t)))
        if self.phase == "approached":
            due.append(
                (self.phase_since + cfg.approach_timeout_s, lambda t: self._finish("timeout", t))
            )
        elif self.phase == "engaged":
            if not self.waiting:
                due.append(
                    (
                        self.last_interaction + cfg.engaged_idle_s,
                        lambda t: self._finish("timeout", t),
                    )
                )
            if self.greeting_until is not None:
                due.append((self.greeting_until, self._greeted))
            if self.offer_help is None and self.present is not False and not self.waiting:
                quiet = max(self.last_interaction, self.screen_since)
                due.append((quiet + cfg.stall_s, self._stalled))
        elif self.phase == "ended":
            if self.thanks_since is not None:
                due.append((self.thanks_since + THANKS_S, self._closed_after_thanks))
            elif self.screen.name == "rating":
                due.append((self.ended_at + cfg.rating_s, self._thanks))
        ready = [(at, i, action) for i, (at, action) in enumerate(due) if at <= now]
        if not ready:
            return None
        at, _, action = min(ready, key=lambda item: (item[0], item[1]))
        return action(at)

    def _greeted(self, at: float) -> list[Event]:
        self.greeting_until = None
        return self._show(Screen("home"), at) if self.screen.name == "greeting" else []

    def _stalled(self, at: float) -> list[Event]:
        self.offer_help = "stalled"
        return [HelpChanged("stalled")]

    def _thanks(self, at: float) -> list[Event]:
        self.thanks_since = at
        return self._show(Screen("thanks"), at)

    def _closed_after_thanks(self, at: float) -> list[Event]:
        events = self._close(at)
        if self.present and self.arrived_at is not None and self.arrived_at > self.ended_at:
            # someone new arrived while the last session's screens were up
            events += self._start("approached", Screen("greeting"), at)
        return events

    # -- transitions ----------------------------------------------------------------------------

    def _start(self, phase: Phase, screen: Screen, now: float) -> list[Event]:
        self.session_id = self._new_id()
        self.phase = phase
        self.started_at = self.phase_since = self.last_interaction = now
        self.offer_help = None
        self.waiting = False
        self.end_reason = None
        self.rated = False
        self.thanks_since = None
        self.greeting_until = None
        self.screen = screen
        self.screen_since = now
        return [Started(self.session_id, phase), ScreenChanged(screen)]

    def _engage(self, now: float) -> list[Event]:
        assert self.session_id is not None
        self.phase = "engaged"
        self.phase_since = self.last_interaction = now
        return [Engaged(self.session_id)]

    def _finish(self, reason: EndReason, now: float) -> list[Event]:
        # An approached session goes back to idle; an engaged one to the rating screen.
        assert self.session_id is not None
        session_id = self.session_id
        was = self.phase
        events: list[Event] = [Ended(session_id, reason)]
        if self.offer_help is not None:
            events += self._clear_help()
        self.phase = "ended"
        self.phase_since = self.ended_at = now
        self.end_reason = reason
        self.greeting_until = None
        if was == "approached":
            return events + self._close(now)
        return events + self._show(Screen("rating"), now)

    def _close(self, now: float) -> list[Event]:
        session_id = self.session_id
        self.session_id = None
        self.phase = "idle"
        self.phase_since = now
        self.thanks_since = None
        self.offer_help = None
        events: list[Event] = [Closed(session_id)] if session_id else []
        return events + self._show(ATTRACT, now)

    def _show(self, screen: Screen, now: float) -> list[Event]:
        if screen == self.screen:
            return []
        self.screen = screen
        self.screen_since = now
        return [ScreenChanged(screen)]

    def _clear_help(self) -> list[Event]:
        if self.offer_help is None:
            return []
        self.offer_help = None
        return [HelpChanged(None)]

    # -- restart --------------------------------------------------------------------------------

    def to_snapshot(self, now: float, wall: float) -> dict[str, Any] | None:
        """The live session with its times as wall clock, or None when idle."""
        if self.session_id is None:
            return None

        def w(t: float | None) -> float | None:
            return None if t is None else round(wall - (now - t), 3)

        return {
            "id": self.session_id,
            "phase": self.phase,
            "screen": self.screen.to_json(),
            "offer_help": self.offer_help,
            "end_reason": self.end_reason,
            "rated": self.rated,
            "started_at": w(self.started_at),
            "phase_since": w(self.phase_since),
            "last_interaction": w(self.last_interaction),
            "screen_since": w(self.screen_since),
            "ended_at": w(self.ended_at) if self.phase == "ended" else None,
            "thanks_since": w(self.thanks_since),
            "greeting_until": w(self.greeting_until),
        }

    def restore(self, data: dict[str, Any], now: float, wall: float) -> None:
        """Take up a snapshot's session (times converted back from wall clock). Presence is
        unknown until a source speaks again. Raises ValueError/KeyError/TypeError for a
        malformed snapshot."""
        phase = data["phase"]
        if phase not in PHASES[1:]:
            raise ValueError(f"snapshot phase {phase!r}")
        reason = data.get("end_reason")
        if reason is not None and reason not in END_REASONS:
            raise ValueError(f"snapshot end_reason {reason!r}")
        help_reason = data.get("offer_help")
        if help_reason not in (None, "frustrated", "stalled"):
            raise ValueError(f"snapshot offer_help {help_reason!r}")
        screen = data["screen"]

        def m(t: Any) -> float | None:
            return None if t is None else now - (wall - float(t))

        def at(t: Any) -> float:
            value = m(t)
            return now if value is None else value

        session_id = str(data["id"])
        self.session_id = session_id
        self.phase = phase
        self.screen = Screen(str(screen["name"]), screen.get("category"), screen.get("sku"))
        self.offer_help = help_reason
        self.end_reason = reason
        self.rated = bool(data.get("rated"))
        self.present = None
        self.absent_since = None
        self.arrived_at = None
        self.started_at = at(data["started_at"])
        self.phase_since = at(data["phase_since"])
        self.last_interaction = at(data["last_interaction"])
        self.screen_since = at(data["screen_since"])
        self.ended_at = at(data.get("ended_at"))
        self.thanks_since = m(data.get("thanks_since"))
        self.greeting_until = m(data.get("greeting_until"))
