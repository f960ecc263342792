"""The recorder: turns the typed events on the bus into observations for the writer.

What it listens to, and what each becomes (docs/metrics.md has the table):

- Presence (any source): `presence`, the sources fused (present while one of them says so).
- BeaconZone (a consenting member's phone): `zone_enter` / `zone_leave` of beacon:<zone>.
- Zone (the presence board's fusion): `zone_enter` / `zone_leave` (with the dwell), and with
  [analytics] counter = "presence", `passer_by` (someone appears) and `entry` (someone steps
  from passing into the mirror's area).
- vision's PeopleCounted (counter = "camera"): passer_by, `entry` (in: how=line, stop:
  how=zone), `exit` (out); Attention ending a look: `look`; MemberRecognised: `member`.
- the engine's records (vitrine.engine.records): sessions, interactions, screens shown,
  requests, ratings, exposures and outcomes, members linked.
- `error`: a failed LightingResult, a board's link lost or refused, a board's reset by an
  error (the watchdog, a crash, a brown-out).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from vitrine.analytics.config import AnalyticsConfig
from vitrine.analytics.writer import ObservationWriter
from vitrine.bus import EventBus
from vitrine.devices.beacons.device import BeaconZone
from vitrine.devices.lights import LightingResult
from vitrine.devices.presence import Presence, Zone
from vitrine.engine import records as rec
from vitrine.link.messages import BoardLost, BoardRebooted, BoardRefused
from vitrine.link.resets import ERROR_CAUSES, meaning
from vitrine.vision.events import Attention, MemberRecognised, PeopleCounted

log = logging.getLogger("vitrine.analytics")

NEAR_ZONES = ("in_front", "at_glass")


class Recorder:
    """Observations from bus events; `handle(event)` for one, `run()` to consume the bus."""

    def __init__(
        self,
        writer: ObservationWriter,
        config: AnalyticsConfig,
        wall: Callable[[], float],
    ) -> None:
        self.writer = writer
        self.config = config
        self._wall = wall
        self._present: set[str] = set()  # sources saying someone is there
        self._zone: tuple[str, float] | None = None  # the nearest person's zone, since
        self._session: str | None = None  # the engine's live session
        self._phones: dict[str, tuple[str, float]] = {}  # a member's phone: its zone, since
        self._handlers: dict[str, Callable[[Any], None]] = {
            "Presence": self._presence,
            "Zone": self._zone_changed,
            "PeopleCounted": self._counted,
            "Attention": self._attention,
            "MemberRecognised": self._recognised,
            "SessionRecorded": self._session_event,
            "InteractionRecorded": self._interaction,
            "ScreenShown": self._screen,
            "RequestRecorded": self._request,
            "RatingRecorded": self._rating,
            "ExperimentRecorded": self._experiment,
            "MemberLinked": self._member,
            "LightingResult": self._lighting,
            "BeaconZone": self._beacon_zone,
            "BoardLost": self._board_lost,
            "BoardRefused": self._board_refused,
            "BoardRebooted": self._board_rebooted,
        }

    def types(self) -> tuple[type, ...]:
        """The event types to subscribe to."""
        return (
            Presence,
            Zone,
            PeopleCounted,
            Attention,
            MemberRecognised,
            LightingResult,
            BeaconZone,
            BoardLost,
            BoardRefused,
            BoardRebooted,
            *rec.RECORD_TYPES,
        )

    async def run(self, bus: EventBus) -> None:
        """Consume the bus until cancelled."""
        with bus.subscribe(*self.types(), maxsize=8192) as sub:
            try:
                async for event in sub:
                    self._safely(event)
            finally:  # stopping: what is waiting is recorded too (the engine's last records)
                for event in sub.drain():
                    self._safely(event)

    def _safely(self, event: Any) -> None:
        try:
            self.handle(event)
        except Exception:
            log.exception("analytics: could not record %r", event)

    def handle(self, event: Any) -> None:
        """Record one event (types it does not know are ignored)."""
        handler = self._handlers.get(type(event).__name__)
        if handler is not None:
            handler(event)

    def _observe(self, kind: str, at: float | None = None, /, **data: Any) -> None:
        self.writer.observe(kind, self._wall() if at is None else at, **data)

    # -- people ----------------------------------------------------------------------------

    def _presence(self, event: Any) -> None:
        was = bool(self._present)
        if event.present:
            self._present.add(event.source)
        else:
            self._present.discard(event.source)
        now = bool(self._present)
        if now != was:
            self._observe("presence", present=now, source=event.source)

    def _zone_changed(self, event: Any) -> None:
        now = self._wall()
        zone, previous = event.zone, event.previous
        if self._zone is not None and previous != "none":
            entered_zone, since = self._zone
            if entered_zone == previous:
                self._observe(
                    "zone_leave", zone=previous, source=event.source, dwell_s=max(0.0, now - since)
                )
        self._zone = (zone, now) if zone != "none" else None
        if zone != "none":
            self._observe("zone_enter", zone=zone, source=event.source)
        if self.config.counter == "presence":
            if previous == "none" and zone != "none":
                self._observe("passer_by", source=event.source)
            if zone in NEAR_ZONES and previous not in NEAR_ZONES:
                self._observe("entry", source=event.source, how="zone")

    def _counted(self, event: Any) -> None:
        if self.config.counter != "camera":
            return
        kind = {"passer_by": "passer_by", "in": "entry", "stop": "entry", "out": "exit"}.get(
            event.kind
        )
        if kind is None:
            return
        how = {"in": "line", "stop": "zone"}.get(event.kind)
        self._observe(kind, source="camera", track=event.track, how=how)

    def _attention(self, event: Any) -> None:
        if not event.looking:
            self._observe("look", source="camera", track=event.track, seconds=event.seconds)

    def _recognised(self, event: Any) -> None:
        if self._session is not None:  # only a consenting member's face is ever matched
            self._observe("member", session=self._session, member=event.member)

    # -- the engine's records ----------------------------------------------------------------

    def _session_event(self, r: rec.SessionRecorded) -> None:
        if r.event == "start":
            self._session = r.session
            self._observe("session_start", r.at, session=r.session, phase=r.phase)
        elif r.event == "engaged":
            self._observe("session_engaged", r.at, session=r.session)
        elif r.event == "end":
            if self._session == r.session:
                self._session = None
            self._observe(
                "session_end", r.at, session=r.session, reason=r.reason, duration_s=r.duration_s
            )

    def _interaction(self, r: rec.InteractionRecorded) -> None:
        self._observe("interaction", r.at, session=r.session, kind=r.kind, screen=r.screen)

    def _screen(self, r: rec.ScreenShown) -> None:
        self._observe(
            "content_view",
            r.at,
            session=r.session,
            screen=r.screen,
            sku=r.sku,
            category=r.category,
        )

    def _request(self, r: rec.RequestRecorded) -> None:
        self._observe(
            "request",
            r.at,
            session=r.session,
            request=r.request,
            kind=r.kind,
            status=r.status,
            sku=r.sku,
            variant=r.variant,
            fulfil_s=r.fulfil_s,
        )

    def _rating(self, r: rec.RatingRecorded) -> None:
        self._observe("rating", r.at, session=r.session, csat=r.csat, nps=r.nps)

    def _experiment(self, r: rec.ExperimentRecorded) -> None:
        if r.outcome is None:
            self._observe(
                "exposure", r.at, session=r.session, experiment=r.experiment, variant=r.variant
            )
        else:
            self._observe(
                "outcome",
                r.at,
                session=r.session,
                experiment=r.experiment,
                variant=r.variant,
                outcome=r.outcome,
            )

    def _member(self, r: rec.MemberLinked) -> None:
        self._observe("member", session=r.session, member=r.member)

    def _lighting(self, event: LightingResult) -> None:
        if event.status == "failed":
            self._observe(
                "error",
                source="lights",
                code="lighting_failed",
                message=(event.detail or "the lighting board did not apply the scene")[:200],
            )

    def _beacon_zone(self, event: BeaconZone) -> None:
        # A consenting member's phone: its zones as beacon:<zone>, with their dwell; who it is
        # stays out (the member's visits are the engine's `member` records).
        now = self._wall()
        last = self._phones.pop(event.member, None)
        if last is not None:
            zone, since = last
            self._observe(
                "zone_leave", zone=f"beacon:{zone}", source="beacon", dwell_s=max(0.0, now - since)
            )
        if event.zone != "gone":
            self._phones[event.member] = (event.zone, now)
            self._observe("zone_enter", zone=f"beacon:{event.zone}", source="beacon")

    # -- boards ----------------------------------------------------------------------------

    def _board_lost(self, event: BoardLost) -> None:
        self._observe(
            "error", source="board", code="board_lost", message=_said(event, event.reason)
        )

    def _board_refused(self, event: BoardRefused) -> None:
        self._observe(
            "error", source="board", code="board_refused", message=_said(event, event.message)
        )

    def _board_rebooted(self, event: BoardRebooted) -> None:
        cause = event.hello.reset_cause_name
        if cause in ERROR_CAUSES:  # a reset asked for (a reboot, a flash) is no error
            text = f"reset (cause {cause}: {meaning(cause)})"
            self._observe("error", source="board", code="board_reset", message=_said(event, text))


def _said(event: BoardLost | BoardRefused | BoardRebooted, text: str) -> str:
    # The board's name first: the error kind's source is a word, a board's name need not be.
    return f"{event.board}: {text}"[:200]
