"""TouchFrame: touch reports from the bus in, pointer and gesture events out.

handle(report) is the synchronous core (no bus, no clock): it maps each contact to display
pixels, turns contact states into pointer events (a move only when the contact changed) and
feeds the gesture recogniser. run() drives it from the bus, with a timer for what happens
without a report: a long press coming due, and contacts left down when reports stopped.

Contacts are never left stuck down: each report lists every current contact, so one missing
from a report has lifted (its up was in a lost frame) and gets an up; when reports stop for
release_after_s with contacts down, or the board is lost or reboots, every contact gets an up
and gestures in progress end without recognising anything new.

Palms (a contact of kind palm: a hand, a sleeve, anything larger than a finger) are no
pointers: they give no pointer event, no gesture and nothing on uinput. A finger contact that
becomes a palm (the hand came down after it) ends as its pointer went up.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import time

from vitrine.bus import EventBus
from vitrine.devices.touch.config import TouchConfig
from vitrine.devices.touch.events import PointerEvent, PointerKind, TouchEvent
from vitrine.devices.touch.gestures import GestureRecognizer
from vitrine.devices.touch.uinput import UInputTouch, UinputUnavailable, open_uinput
from vitrine.link.messages import BoardLost, BoardRebooted, TouchHealth, TouchReport
from vitrine_fw import wire

log = logging.getLogger("vitrine.touch")

_UP = wire.CONTACT_UP
_DOWN = wire.CONTACT_DOWN


class TouchFrame:
    """The touch board's reports as pointer and gesture events, in display pixels."""

    def __init__(
        self,
        bus: EventBus,
        config: TouchConfig,
        width_mm: float,
        height_mm: float,
        *,
        board: str = "touch",
    ) -> None:
        self.bus = bus
        self.config = config
        self.board = board
        self.mapping = config.mapping(width_mm, height_mm)
        self._matrix = self.mapping.matrix
        self.recognizer = GestureRecognizer(config.gestures.thresholds())
        self._w = float(config.display_width_px)
        self._h = float(config.display_height_px)
        self._release_ns = round(config.release_after_s * 1e9)
        self._contacts: dict[int, PointerEvent] = {}  # id -> its latest event
        self._last_rx_ns = 0
        self._timer: asyncio.TimerHandle | None = None
        self._timer_ns = 0
        self.uinput: UInputTouch | None = None
        self.health: TouchHealth | None = None  # the board's last TOUCH_HEALTH

    @classmethod
    def from_config(cls, bus: EventBus, config: TouchConfig, *, board: str = "touch") -> TouchFrame:
        """With the frame geometry of config.frame (hardware/frames); raises ConfigError."""
        from vitrine.hardware import load_frame

        frame = load_frame(config.frame)
        return cls(bus, config, frame.width_mm, frame.height_mm, board=board)

    def status(self) -> dict[str, object]:
        """The frame's health for the daemon's status (/api/status "touch")."""
        h = self.health
        if h is None:
            return {"board": self.board, "reported": False}
        problems = [
            f"{axis} bar blinded: its receivers are saturated (strong light on them)"
            for axis in h.blinded_axes
        ]
        if h.failed:
            problems.append(f"{h.failed} of {h.beams} beams failed (excluded)")
        if not h.ready:
            problems.append("taking its baseline: keep the glass clear")
        return {
            "board": self.board,
            "reported": True,
            "ready": bool(h.ready),
            "beams": h.beams,
            "failed": h.failed,
            "saturated": h.saturated,
            "blinded": list(h.blinded_axes),
            "problems": problems,
        }

    @property
    def contacts(self) -> dict[int, PointerEvent]:
        """The contacts down now, by id, as their latest pointer event."""
        return dict(self._contacts)

    # --- the synchronous core -----------------------------------------------------------------

    def handle(self, report: TouchReport) -> list[TouchEvent]:
        """The events of one touch report (none for another board's)."""
        if report.board != self.board:
            return []
        t_ns = report.rx_ns
        t = t_ns * 1e-9
        self._last_rx_ns = t_ns
        board, scan = report.board, report.scan
        rec = self.recognizer
        (a, b, c), (d, e, f), (g, h, i) = self._matrix
        w_px, h_px = self._w, self._h
        prev = self._contacts
        now: dict[int, PointerEvent] = {}
        gone: list[int] = []  # lifted in this report
        out: list[TouchEvent] = []
        for contact in report.contacts:
            cid = contact.id
            if contact.is_palm:
                continue  # no pointer; one it was (a finger before) is lifted below
            x_mm, y_mm = contact.x_mm, contact.y_mm
            q = g * x_mm + h * y_mm + i
            x = (a * x_mm + b * y_mm + c) / q
            y = (d * x_mm + e * y_mm + f) / q
            x = 0.0 if x < 0.0 else w_px if x > w_px else x
            y = 0.0 if y < 0.0 else h_px if y > h_px else y
            old = prev.get(cid)
            state = contact.state
            if state == _UP:
                if old is None or cid in now:
                    continue  # its down never arrived: nothing to release
                gone.append(cid)
                kind: PointerKind = "up"
            else:
                if old is not None and state == _DOWN:  # the id came back: its up went missing
                    out.append(self._up_of(old, t_ns))
                    out += rec.up(cid, old.x, old.y, t)
                    old = None
                if old is not None and (old.x_mm, old.y_mm, old.diameter_mm) == (
                    x_mm,
                    y_mm,
                    contact.diameter_mm,
                ):
                    # Held still: no pointer event, but the recogniser sees every report.
                    out += rec.move(cid, x, y, t)
                    now[cid] = old
                    continue
                kind = "down" if old is None else "move"
            ev = PointerEvent(
                kind=kind,
                id=cid,
                x=x,
                y=y,
                x_mm=x_mm,
                y_mm=y_mm,
                diameter_mm=contact.diameter_mm,
                board=board,
                t_ns=t_ns,
                scan=scan,
            )
            out.append(ev)
            if kind == "up":
                out += rec.up(cid, x, y, t)
                continue
            out += (rec.down if kind == "down" else rec.move)(cid, x, y, t)
            now[cid] = ev
        if prev:
            out += self._lifted(prev, now, gone, t_ns)
        self._contacts = now
        out += rec.flush()
        return out

    def _lifted(
        self,
        before: dict[int, PointerEvent],
        now: dict[int, PointerEvent],
        gone: list[int],
        t_ns: int,
    ) -> list[TouchEvent]:
        # The contacts down before a report and absent from it: lifted without an up.
        out: list[TouchEvent] = []
        for cid, old in before.items():
            if cid not in now and cid not in gone:
                out.append(self._up_of(old, t_ns))
                out += self.recognizer.up(cid, old.x, old.y, t_ns * 1e-9)
        return out

    def tick(self, t_ns: int) -> list[TouchEvent]:
        """What is due at t_ns without a report: a long press, or releasing contacts whose
        reports stopped."""
        out: list[TouchEvent] = list(self.recognizer.tick(t_ns * 1e-9))
        if self._contacts and t_ns - self._last_rx_ns >= self._release_ns:
            out += self.release(t_ns)
        return out

    def release(self, t_ns: int) -> list[TouchEvent]:
        """An up for every contact down, and the end of gestures in progress, without
        recognising new ones (the board went away)."""
        out: list[TouchEvent] = [self._up_of(old, t_ns) for old in self._contacts.values()]
        self._contacts = {}
        out += self.recognizer.cancel(t_ns * 1e-9)
        return out

    def next_deadline_ns(self) -> int | None:
        """When tick() has something to do next, or None."""
        due = self.recognizer.next_deadline()
        deadline = None if due is None else round(due * 1e9)
        if self._contacts:
            stale = self._last_rx_ns + self._release_ns
            deadline = stale if deadline is None else min(deadline, stale)
        return deadline

    def _up_of(self, old: PointerEvent, t_ns: int) -> PointerEvent:
        return dataclasses.replace(old, kind="up", t_ns=t_ns)

    # --- on the bus ---------------------------------------------------------------------------

    async def run(self) -> None:
        """Until cancelled: touch reports and link events from the bus, events onto it."""
        loop = asyncio.get_running_loop()
        if self.config.uinput and self.uinput is None:
            try:
                cfg = self.config
                self.uinput = open_uinput(cfg.display_width_px, cfg.display_height_px)
            except UinputUnavailable as err:
                log.warning("%s; continuing without it", err)
        sub = self.bus.subscribe(TouchReport, TouchHealth, BoardLost, BoardRebooted)
        try:
            while True:
                msg = await sub.get()
                if isinstance(msg, TouchHealth):
                    if msg.board == self.board:
                        self.health = msg
                    continue
                if isinstance(msg, TouchReport):
                    events = self.handle(msg)
                elif msg.board == self.board:
                    events = self.release(time.monotonic_ns())
                else:
                    continue
                self._publish(events)
                self._arm(loop)
        finally:
            sub.close()
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            if self.uinput is not None:
                with contextlib.suppress(OSError):
                    self.uinput.close()
                self.uinput = None

    def _publish(self, events: list[TouchEvent]) -> None:
        publish = self.bus.publish
        for event in events:
            publish(event)
        if self.uinput is not None and events:
            try:
                self.uinput.write(e for e in events if isinstance(e, PointerEvent))
            except OSError as err:
                log.warning("uinput touch device: write failed (%s); closing it", err)
                with contextlib.suppress(OSError):
                    self.uinput.close()
                self.uinput = None

    def _arm(self, loop: asyncio.AbstractEventLoop) -> None:
        # One timer at the earliest deadline; a later deadline keeps the armed timer, which
        # re-arms itself when it fires early.
        deadline = self.next_deadline_ns()
        if deadline is None:
            return
        if self._timer is not None:
            if self._timer_ns <= deadline:
                return
            self._timer.cancel()
        self._timer_ns = deadline
        self._timer = loop.call_at(deadline * 1e-9, self._on_timer, loop)

    def _on_timer(self, loop: asyncio.AbstractEventLoop) -> None:
        self._timer = None
        self._publish(self.tick(time.monotonic_ns()))
        self._arm(loop)
