"""The live session saved in events.db whenever it changes, and taken up again by a restarted
daemon, so the shopper sees the same screen after a restart (a crash, an update, a power cut).

A session that would have timed out while the daemon was away is not taken up: it is recorded
as ended at the time of the snapshot instead.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any, Protocol

from vitrine.engine.config import EngineConfig
from vitrine.engine.experiments import assign
from vitrine.engine.live import LightingState, LiveSession
from vitrine.engine.session import Closed, Ended, Event, SessionMachine
from vitrine.engine.store import EventStore

KEY = "live"  # the snapshot's key in the store
TOUCH_S = 1.0  # a change of the last interaction's time alone is saved at most this often

log = logging.getLogger("vitrine.engine")


class LiveState(Protocol):
    """What is saved: the engine's session machine, its memory of the session, the light."""

    machine: SessionMachine
    live: LiveSession
    lighting: LightingState


class Snapshots:
    """Saves the live session when it changes (see save())."""

    def __init__(self, store: EventStore) -> None:
        self.store = store
        self._saved: str | None = None  # what was saved last, without the touch time
        self._saved_last: float | None = None  # ... and the last interaction's time
        self._saved_at = 0.0  # monotonic time of that save

    def save(self, state: LiveState, now: float, wall: float, *, force: bool = False) -> None:
        """Save the session if it changed; a change of the last interaction's time alone (a
        stream of touches) is saved at most every TOUCH_S. An idle mirror clears it."""
        machine, live, lighting = state.machine, state.live, state.lighting
        session = machine.to_snapshot(now, wall)
        if session is None:
            if self._saved != "" or force:
                self.store.clear_snapshot(KEY)
                self._saved = ""
            return
        last = session.pop("last_interaction")
        data = {
            "session": session,
            "member": live.member,
            "consent": live.consent,
            "last_size": live.last_size,
            "lighting": {"scene": lighting.scene},
            "experiments": {name: v.name for name, v in live.assigned.items()},
            "exposed": sorted(live.exposed),
            "converted": sorted(live.converted),
        }
        key = json.dumps(data, sort_keys=True)
        session["last_interaction"] = last
        if (
            force
            or key != self._saved
            or (last != self._saved_last and now - self._saved_at >= TOUCH_S)
        ):
            self.store.save_snapshot(KEY, data, wall)
            self._saved = key
            self._saved_last = last
            self._saved_at = now

    def forget(self) -> None:
        """What was saved is gone (a member was forgotten with it): save anew next time."""
        self._saved = None


@dataclass
class Restored:
    """A saved session taken up again: its machine, the events its timers gave at restore
    (to record), the engine's memory of it and its lighting scene (None: the default)."""

    machine: SessionMachine
    events: list[Event]
    live: LiveSession
    scene: str | None


def restore(store: EventStore, config: EngineConfig, now: float, wall: float) -> Restored | None:
    """The saved session, unless there is none, it cannot be read, or it would have timed out
    by now (then it is recorded as ended at the snapshot's time)."""
    loaded = store.load_snapshot(KEY)
    if loaded is None:
        return None
    data, saved_at = loaded
    machine = SessionMachine(config.session)
    try:
        machine.restore(data["session"], now, wall)
    except (KeyError, TypeError, ValueError) as err:
        log.warning("engine: the saved session could not be restored (%s); starting idle", err)
        store.clear_snapshot(KEY)
        return None
    session_id = machine.session_id
    assert session_id is not None
    events = machine.tick(now)
    timed_out = any(isinstance(e, Ended | Closed) for e in events)
    if timed_out or store.session(session_id) is None:
        for event in events:
            if isinstance(event, Ended):
                store.session_ended(event.session_id, event.reason, saved_at)
        store.clear_snapshot(KEY)
        log.info("engine: the saved session had timed out; starting idle")
        return None
    live = LiveSession(assigned={e.name: assign(e, session_id) for e in config.experiments})
    member = data.get("member")
    if isinstance(member, str) and store.member(member) is not None:
        live.member = member
    live.consent = bool(data.get("consent")) or live.member is not None
    size = data.get("last_size")
    live.last_size = size if isinstance(size, str) else None
    names = {e.name for e in config.experiments}
    live.exposed = {n for n in _names(data.get("exposed")) if n in names}
    live.converted = {n for n in _names(data.get("converted")) if n in names}
    scene = (data.get("lighting") or {}).get("scene")
    return Restored(machine, events, live, scene if scene in config.lighting.scenes else None)


def _names(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else []
