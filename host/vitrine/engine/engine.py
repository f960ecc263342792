"""The experience engine: turns what the mirror senses (presence, touch, expressions, lighting
results) and what the shopper and the associates do into the player's view model, the
associates' queue and the records in events.db.

One Engine runs per mirror inside the daemon. `run()` consumes the bus and runs the timers;
the player calls `view()` and `act()`, the associate app `requests()`, `acknowledge()` and
`fulfil()`. Each of these steps runs on the engine's own thread, one at a time
(vitrine.engine.worker), so a database that waits never holds up the daemon's event loop.
Every record is written before the view that shows it is published, and the live session is
snapshotted on each change so a restarted daemon shows the shopper the same screen
(vitrine.engine.snapshot).
"""

from __future__ import annotations

import contextlib
import copy
import json
import logging
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import Any

from vitrine.bus import EventBus
from vitrine.devices.beacons.device import BeaconZone
from vitrine.devices.beacons.keys import MemberKeys
from vitrine.devices.lights import LightingCommand, LightingResult
from vitrine.devices.presence import Presence
from vitrine.devices.touch.events import (
    CalibrationTarget,
    Gesture,
    Pinch,
    PointerEvent,
    Rotate,
)
from vitrine.engine import actions as act_models
from vitrine.engine.attract import AttractLoop
from vitrine.engine.config import EngineConfig
from vitrine.engine.context import Context, current_context
from vitrine.engine.errors import ActionError
from vitrine.engine.events import Enrolled, RequestsChanged, ViewChanged
from vitrine.engine.experiments import assign, results
from vitrine.engine.live import LightingState, LiveSession
from vitrine.engine.recommend import recommend
from vitrine.engine.records import RecordingStore, ScreenShown
from vitrine.engine.requests import RequestDesk, queue_item, view_item
from vitrine.engine.session import (
    Closed,
    Ended,
    Engaged,
    Event,
    Screen,
    ScreenChanged,
    SessionMachine,
    Started,
)
from vitrine.engine.snapshot import Snapshots, restore
from vitrine.engine.store import OPEN_STATUSES, EventStore, Pruned
from vitrine.engine.worker import Worker
from vitrine.vision.events import Expression

CONSENT_VERSION = "2026-11"  # the version of the loyalty consent text the player shows
TICK_S = 0.25  # the timers' resolution
FRUSTRATED_CONFIDENCE = 0.6  # an Expression "frustrated" at least this sure offers help
RECOMMENDATION_SCREENS = ("home", "product", "look")
RECOMMENDATIONS = 4
INTERACTION_RUN_S = 2.0  # the same interaction again within this is counted on its row
INTERACTION_ROWS_PER_S = 5.0  # rows a session may add, sustained (no shopper taps faster)
INTERACTION_ROWS_BURST = 50.0  # ... and at once
PRUNE_FIRST_S = 60.0  # the first pruning of events.db after start
PRUNE_EVERY_S = 3600.0  # ... and then this often
LIGHT_RESEND_S = 5.0  # a lighting command unanswered this long is sent again (twice at most)
LIGHT_RESENDS = 2
# Actions an ended session (rating and thank-you screens) still takes; navigating starts anew.
ENDED_ACTIONS = ("navigate", "interaction", "rate", "forget", "cancel_request")

log = logging.getLogger("vitrine.engine")


class Engine:
    """The live session, its view model and the requests queue of one mirror."""

    def __init__(
        self,
        bus: EventBus,
        catalog: Any,
        store: EventStore,
        config: EngineConfig,
        clocks: tuple[Callable[[], float], Callable[[], float]] = (time.monotonic, time.time),
        *,
        member_keys: MemberKeys | None = None,
    ) -> None:
        """clocks: the monotonic clock the timers run on, and the wall clock the records keep
        (seconds; tests move both by hand). member_keys: where members' BLE keys are made at
        enrolment and dropped when they are forgotten (None: no BLE; the daemon gives one)."""
        self.bus = bus
        self.catalog = catalog
        self.store = store
        self.config = config
        self._clock, self._wall = clocks
        self.member_keys = member_keys
        if member_keys is not None:
            member_keys.load()
        self.machine = SessionMachine(config.session)
        self.desk = RequestDesk(store, catalog, config.associate, config.store.fitting_room)
        self.attract = AttractLoop(config.attract)
        self.rev = 0
        self.requests_rev = 0
        self._worker = Worker(bus)
        if isinstance(store, RecordingStore):  # what it writes goes on the bus too
            store.listener = self._worker.record
        self._experiments_by_name = {e.name: e for e in config.experiments}
        self.live = LiveSession()  # the session's own state (afresh for each session)
        self.lighting = LightingState(config.lighting.default_scene)
        self._snapshots = Snapshots(store)
        # caches
        self._rec_key: tuple[Any, ...] | None = None
        self._catalog_version = catalog.version()
        self.catalog_rev = 0  # + 1 each time the catalogue is seen to have changed
        self._recs: list[dict[str, Any]] = []
        self._sla: dict[str, str] = {}
        self._calibrating = False  # a technician's touches on the targets are not a shopper's
        now, wall_now = self._clock(), self._wall()
        self.attract.restart(now)
        self._restore(now, wall_now)
        self._content = self._build(now, wall_now)
        self._view = {"type": "state", "rev": self.rev, **self._content}
        self._sla = self.desk.sla_states(wall_now)

    # -- the player's side --------------------------------------------------------------------

    def view(self) -> dict[str, Any]:
        """The player's view model (a copy; JSON-serialisable)."""
        return copy.deepcopy(self._view)

    async def act(self, action: act_models.Action | dict[str, Any]) -> dict[str, Any]:
        """Carry out a player intent (a parsed action, or a message to parse) and return the
        view it leads to. Raises ActionError; a failed action changes nothing."""
        if isinstance(action, dict):
            action = act_models.parse_action(action)
        return await self._worker.run(self._act, action)

    def _act(self, action: act_models.Action) -> dict[str, Any]:
        now, wall = self._clock(), self._wall()
        with self._atomic():
            self._apply(self.machine.tick(now), now, wall)
        phase = self.machine.phase
        if phase == "ended" and action.type not in ENDED_ACTIONS:
            self._refresh(now, wall)
            raise ActionError(
                "not_allowed", f"{action.type}: the session has ended; navigate to start again"
            )
        handler = getattr(self, f"_do_{action.type}")
        try:
            with self._atomic():
                requests_changed = handler(action, now, wall)
        except ActionError:
            self._refresh(now, wall)  # what the timers changed before it still shows
            raise
        self._refresh(now, wall, requests_changed=requests_changed)
        return self.view()

    # -- the associates' side -----------------------------------------------------------------

    async def requests(self, open_only: bool = True) -> list[dict[str, Any]]:
        """The associates' queue, oldest first: every request field plus "age_s" and "sla"
        ("ok" | "late" | "escalated")."""
        return await self._worker.run(self._requests, open_only)

    def _requests(self, open_only: bool) -> list[dict[str, Any]]:
        return self.desk.queue(self._wall(), open_only=open_only)

    async def acknowledge(self, request_id: str, associate: str) -> dict[str, Any]:
        """An associate (by name, 1..40 characters) is on the way. Raises ActionError:
        not_found, conflict (not pending), bad_message (name)."""
        return await self._worker.run(self._associate, self.desk.acknowledge, request_id, associate)

    async def fulfil(self, request_id: str, associate: str) -> dict[str, Any]:
        """An associate brought the item or helped. Raises ActionError: not_found, conflict
        (not open), bad_message (name)."""
        return await self._worker.run(self._associate, self.desk.fulfil, request_id, associate)

    def _associate(
        self, do: Callable[[str, str, float], Any], request_id: str, associate: str
    ) -> dict[str, Any]:
        now, wall = self._clock(), self._wall()
        do(request_id, associate, wall)
        self._refresh(now, wall, requests_changed=True)
        return self._queue_item(request_id, wall)

    async def experiment_results(self, name: str) -> dict[str, Any]:
        """What a configured experiment's exposures and outcomes say so far (see
        vitrine.engine.experiments.results), with the experiment's name, screen and outcome."""
        return await self._worker.run(self._experiment_results, name)

    def _experiment_results(self, name: str) -> dict[str, Any]:
        experiment = self._experiments_by_name.get(name)
        if experiment is None:
            known = ", ".join(self._experiments_by_name) or "none configured"
            raise ActionError("not_found", f"no experiment {name!r} (known: {known})", "name")
        counts = self.store.experiment_counts(name, [v.name for v in experiment.variants])
        return {
            "experiment": name,
            "screen": experiment.screen,
            "outcome": experiment.outcome,
            **results(counts),
        }

    # -- the bus and the timers ---------------------------------------------------------------

    async def run(self) -> None:
        """Consume the bus and run the timers until cancelled; the snapshot is saved on the
        way out."""
        sub = self.bus.subscribe(
            Presence,
            PointerEvent,
            Gesture,
            Expression,
            LightingResult,
            CalibrationTarget,
            BeaconZone,
        )
        try:
            await self._worker.run(lambda: self._send_lighting(self._clock()))
            next_tick = self._clock()
            next_prune = next_tick + PRUNE_FIRST_S
            while True:
                if self._clock() >= next_prune:
                    await self.prune()
                    next_prune = self._clock() + PRUNE_EVERY_S
                if self._clock() >= next_tick:
                    try:
                        await self.tick()
                    except Exception:
                        log.exception("engine: the timers failed; trying again next tick")
                    next_tick = self._clock() + TICK_S
                wait = min(TICK_S, max(0.0, next_tick - self._clock()))
                try:
                    event = await sub.get(timeout=wait)
                except TimeoutError:
                    continue
                try:
                    await self.handle(event)
                except Exception:
                    log.exception("engine: could not handle %r", event)
        finally:
            sub.close()
            try:
                await self._worker.run(self._save_snapshot, self._clock(), self._wall(), True)
            except Exception:
                log.exception("engine: could not save the live session on stop")

    async def prune(self) -> Pruned:
        """Remove from events.db what [retention] no longer keeps, a batch per step (a
        shopper's action waits for one batch at most), then give the space back; what was
        removed in all."""
        total = Pruned()
        try:
            while True:
                pruned = await self._worker.run(self._prune_batch)
                total.interactions += pruned.interactions
                total.sessions += pruned.sessions
                total.members += pruned.members
                if not pruned.more:
                    break
            if total.members and self.member_keys is not None:  # their keys went with them
                await self._worker.run(self.member_keys.load)
            pages = await self._worker.run(self.store.reclaim)
        except sqlite3.Error as err:
            log.warning("engine: could not prune events.db (%s); will try again", err)
            return total
        if total.interactions or total.sessions or total.members or pages:
            log.info(
                "engine: retention removed %d interactions, %d sessions, %d inactive members; "
                "%d pages given back; events.db is %.1f MB",
                total.interactions,
                total.sessions,
                total.members,
                pages,
                self.store.size_bytes() / 1e6,
            )
        return total

    def _prune_batch(self) -> Pruned:
        return self.store.prune(self.config.retention, self._wall(), keep=self.machine.session_id)

    def close(self) -> None:
        """End the engine's thread (after run() has stopped)."""
        self._worker.close()

    async def tick(self) -> None:
        """Run the timers at the clock's current time: session timeouts, the help offer, the
        attract loop, request escalation and service levels, lighting resends, and a look at
        whether the catalogue changed."""
        await self._worker.run(self._tick)

    def _tick(self) -> None:
        now, wall = self._clock(), self._wall()
        with self._atomic():
            self._apply(self.machine.tick(now), now, wall)
        version = self.catalog.version()
        if version != self._catalog_version:  # imported meanwhile: recommend afresh
            self._catalog_version = version
            self.catalog_rev += 1
            self._rec_key = None
        requests_changed = bool(self.desk.escalate_due(wall))
        states = self.desk.sla_states(wall)
        if states != self._sla:
            requests_changed = True
        light = self.lighting
        if (
            light.status == "pending"
            and light.sent_at is not None
            and now - light.sent_at >= LIGHT_RESEND_S
            and light.resends < LIGHT_RESENDS
        ):
            light.resends += 1
            self._publish_lighting(now)
        self._refresh(now, wall, requests_changed=requests_changed)

    async def handle(self, event: object) -> None:
        """Take one bus event into account (run() calls this for each)."""
        await self._worker.run(self._handle, event)

    def _handle(self, event: object) -> None:
        if isinstance(event, CalibrationTarget):
            self._calibrating = event.step is not None
            return
        if isinstance(event, PointerEvent | Gesture) and self._calibrating:
            return  # a technician touching calibration targets: no session, no interaction
        if isinstance(event, PointerEvent) and event.kind != "down":
            return  # moves and lifts are not interactions
        now, wall = self._clock(), self._wall()
        with self._atomic():
            if isinstance(event, Presence):
                self._apply(self.machine.presence(event.present, now), now, wall)
            elif isinstance(event, PointerEvent):
                self._touched("pointer", now, wall)
            elif isinstance(event, Gesture):
                if isinstance(event, Pinch | Rotate) and event.phase == "update":
                    self._apply(self.machine.interact(now), now, wall)
                else:
                    self._touched(event.TYPE, now, wall)
            elif isinstance(event, Expression):
                if event.label == "frustrated" and event.confidence >= FRUSTRATED_CONFIDENCE:
                    self._apply(self.machine.frustrated(now), now, wall)
            elif isinstance(event, LightingResult) and event.request_id == self.lighting.request_id:
                self.lighting.status = event.status
                self.lighting.detail = event.detail
            elif isinstance(event, BeaconZone):
                self._member_nearby(event, now, wall)
        self._refresh(now, wall)

    def _member_nearby(self, event: BeaconZone, now: float, wall: float) -> None:
        """A consenting member's phone changed zone (the beacons resolve only enrolled members'
        tokens). Arriving at the mirror with no session on the glass, it greets them: a session
        starts as on approach, signed in as the member, their wishlist ready. A session on the
        glass is never handed to a phone (its shopper may be someone else), nor is one
        switched from one member to another."""
        if event.zone != "at_mirror" or not self.config.session.greet_members_by_phone:
            return
        if self.machine.phase != "idle" or self.store.member(event.member) is None:
            return  # someone's session is on the glass, or the member was forgotten meanwhile
        self._apply(self.machine.recognised(now), now, wall)
        session_id = self._session_id()
        self.store.session_member(session_id, event.member)
        self.live.member = event.member
        self.live.consent = True  # given at enrolment, the reason their phone is known at all
        self._load_member()
        log.info("a member's phone at the mirror started a session")

    # -- actions ------------------------------------------------------------------------------

    def _do_navigate(self, a: act_models.Navigate, now: float, wall: float) -> bool:
        if a.sku is not None and not self.catalog.has_product(a.sku):
            raise ActionError("not_found", f"product {a.sku!r} is not in the catalogue", "sku")
        if a.category is not None and not self.catalog.has_category(a.category):
            raise ActionError(
                "not_found", f"category {a.category!r} is not in the catalogue", "category"
            )
        self._apply(self.machine.navigate(Screen(a.screen, a.category, a.sku), now), now, wall)
        detail = {k: v for k, v in (("category", a.category), ("sku", a.sku)) if v is not None}
        self._record_interaction("navigate", a.screen, wall, json.dumps(detail) if detail else None)
        return False

    def _do_interaction(self, a: act_models.Interaction, now: float, wall: float) -> bool:
        self._apply(self.machine.interact(now), now, wall)
        self._record_interaction(a.kind, a.screen, wall, "page")
        return False

    def _do_request(self, a: act_models.Request, now: float, wall: float) -> bool:
        # checked before the session moves on, so that a refused request starts nothing
        variant = self.desk.check(self.machine.session_id, a.kind, a.variant)
        self._apply(self.machine.interact(now), now, wall)
        self.desk.create(self._session_id(), a.kind, a.variant, wall)
        if variant is not None:
            self.live.last_size = str(variant["size"])
        self._outcome("request", wall)
        return True

    def _do_cancel_request(self, a: act_models.CancelRequest, now: float, wall: float) -> bool:
        self.desk.cancel(a.id, self.machine.session_id, wall)
        self._apply(self.machine.interact(now), now, wall)
        return True

    def _do_light(self, a: act_models.Light, now: float, wall: float) -> bool:
        scenes = self.config.lighting.scenes
        if a.scene not in scenes:
            raise ActionError(
                "bad_message",
                f"scene = {a.scene!r}: not a lighting scene; allowed: {', '.join(scenes)}",
                "scene",
            )
        self._apply(self.machine.interact(now), now, wall)
        self._set_scene(a.scene, now)
        return False

    def _do_consent(self, a: act_models.Consent, now: float, wall: float) -> bool:
        live = self.live
        if not a.accept and live.member is not None:
            raise ActionError(
                "not_allowed",
                f"signed in as member {live.member}; to withdraw consent, use forget",
                "accept",
            )
        self._apply(self.machine.interact(now), now, wall)
        self.live.consent = a.accept
        target = "home"
        if a.accept:
            target = "loyalty" if self.live.member is not None else "enrol"
        self._apply(self.machine.navigate(Screen(target), now), now, wall)
        return False

    def _do_enrol(self, a: act_models.Enrol, now: float, wall: float) -> bool:
        live = self.live
        if not live.consent or self.machine.session_id is None:
            raise ActionError(
                "not_allowed", "enrol: the consent must be accepted in this session first"
            )
        if live.member is not None and live.member != a.loyalty_id:
            raise ActionError(
                "conflict",
                f"this session is signed in as member {live.member}; forget it first",
                "loyalty_id",
            )
        self._apply(self.machine.interact(now), now, wall)
        session_id = self._session_id()
        self.store.enrol_member(a.loyalty_id, CONSENT_VERSION, wall)
        if self.member_keys is not None:  # what the store's app advertises (docs/beacons.md)
            self.member_keys.enrolled(a.loyalty_id)
        self.store.session_member(session_id, a.loyalty_id)
        self.live.member = a.loyalty_id
        self._worker.publish(Enrolled(loyalty_id=a.loyalty_id))
        self._load_member()
        self._apply(self.machine.navigate(Screen("loyalty"), now), now, wall)
        return False

    def _do_wishlist(self, a: act_models.Wishlist, now: float, wall: float) -> bool:
        member = self.live.member
        if member is None:
            raise ActionError("not_allowed", "wishlist: only for a member (enrol first)")
        if not self.catalog.has_product(a.sku):
            raise ActionError("not_found", f"product {a.sku!r} is not in the catalogue", "sku")
        self._apply(self.machine.interact(now), now, wall)
        if a.add:
            self.store.wishlist_add(member, a.sku, wall)
            self._outcome("add_to_wishlist", wall)
        else:
            self.store.wishlist_remove(member, a.sku)
        self._load_member()
        return False

    def _do_forget(self, a: act_models.Forget, now: float, wall: float) -> bool:
        live = self.live
        if live.member is None:
            raise ActionError("not_allowed", "forget: this session has no member signed in")
        self.store.forget_member(live.member)
        if self.member_keys is not None:
            self.member_keys.forgotten(live.member)
        live.member = None
        live.member_view = None
        live.consent = False
        self._snapshots.forget()
        if self.machine.phase == "engaged":
            self._apply(self.machine.navigate(Screen("home"), now), now, wall)
        else:
            self._apply(self.machine.interact(now), now, wall)
        log.info("a member's data was forgotten at the shopper's request")
        return False

    def _do_rate(self, a: act_models.Rate, now: float, wall: float) -> bool:
        if self.machine.phase not in ("engaged", "ended"):
            raise ActionError(
                "not_allowed", f"rate: only during or after a session (now {self.machine.phase})"
            )
        session_id = self._session_id()
        if self.machine.rated or not self.store.add_rating(session_id, a.csat, a.nps, wall):
            raise ActionError("conflict", "this session has been rated already")
        self._outcome("rating", wall)
        self._apply(self.machine.rate(now), now, wall)
        return False

    def _do_end(self, a: act_models.End, now: float, wall: float) -> bool:
        if self.machine.phase not in ("approached", "engaged"):
            raise ActionError("not_allowed", f"end: no session to end (now {self.machine.phase})")
        self._apply(self.machine.end(now), now, wall)
        return False

    @contextlib.contextmanager
    def _atomic(self) -> Iterator[None]:
        # A change that fails part-way (a refused action, a store that cannot write) leaves
        # the live session and the lighting as they were, and publishes nothing of itself, so
        # nothing shows or happens that was not recorded.
        saved = (copy.copy(self.machine), copy.deepcopy(self.live), copy.copy(self.lighting))
        mark = self._worker.mark()
        try:
            yield
        except BaseException:
            self.machine, self.live, self.lighting = saved
            self._worker.discard_since(mark)
            raise

    # -- session events -----------------------------------------------------------------------

    def _apply(self, events: Iterable[Event], now: float, wall: float) -> None:
        # Record each change of the session machine, in order.
        for event in events:
            if isinstance(event, Started):
                self.store.session_started(
                    event.session_id, self.config.store.mirror, event.phase, wall
                )
                self._begin(event.session_id)
                if event.phase == "engaged":
                    self._outcome("engaged", wall)
            elif isinstance(event, Engaged):
                self.store.session_phase(event.session_id, "engaged", wall)
                self._outcome("engaged", wall)
            elif isinstance(event, Ended):
                self.store.session_ended(event.session_id, event.reason, wall)
                if self.lighting.scene != self.config.lighting.default_scene:
                    self._set_scene(self.config.lighting.default_scene, now)
            elif isinstance(event, Closed):
                self._begin(None)
                self.attract.restart(now)
            elif isinstance(event, ScreenChanged):
                self._expose(event.screen.name, wall)
                if self.machine.session_id is not None:
                    screen = event.screen
                    self._worker.publish(
                        ScreenShown(
                            session=self.machine.session_id,
                            screen=screen.name,
                            sku=screen.sku,
                            category=screen.category,
                            at=wall,
                        )
                    )

    def _begin(self, session_id: str | None) -> None:
        # Fresh session-bound state for a new session (or none).
        self.live = LiveSession(
            assigned=(
                {e.name: assign(e, session_id) for e in self.config.experiments}
                if session_id
                else {}
            )
        )

    def _session_id(self) -> str:
        session_id = self.machine.session_id
        if session_id is None:  # not reached: every action path starts a session first
            raise ActionError("not_allowed", "no session")
        return session_id

    def _touched(self, kind: str, now: float, wall: float) -> None:
        # A touch-frame interaction: stored with the screen it happened on (never the position).
        screen = self.machine.screen.name
        self._apply(self.machine.interact(now), now, wall)
        self._record_interaction(kind, screen, wall)

    def _record_interaction(
        self, kind: str, screen: str, wall: float, detail: str | None = None
    ) -> None:
        # A run of the same interaction is one row with a count; distinct ones take a row each
        # within the session's budget (a page or a client flooding the engine adds counts, not
        # rows: the events store, and the SD card under it, do not grow with it).
        session_id = self.machine.session_id
        if session_id is None:
            return
        w = self.live.writes
        key = (kind, screen, detail)
        if w.row is not None and w.key == key and wall - w.at <= INTERACTION_RUN_S:
            self.store.interaction_again(w.row, wall)
            w.at = wall
            return
        tokens = INTERACTION_ROWS_BURST if w.tokens is None else w.tokens
        tokens = min(INTERACTION_ROWS_BURST, tokens + (wall - w.tokens_at) * INTERACTION_ROWS_PER_S)
        w.tokens_at = wall
        if tokens < 1:
            w.tokens = tokens
            w.row = None  # what follows is no longer a run of the last row written
            self.store.interaction_dropped(session_id)
            return
        w.tokens = tokens - 1
        w.row = self.store.add_interaction(session_id, kind, screen, wall, detail)
        w.key, w.at = key, wall

    def _expose(self, screen: str, wall: float) -> None:
        session_id = self.machine.session_id
        if session_id is None:
            return
        live = self.live
        for experiment in self.config.experiments:
            if experiment.screen == screen and experiment.name not in live.exposed:
                variant = live.assigned[experiment.name].name
                self.store.add_exposure(session_id, experiment.name, variant, wall)
                live.exposed.add(experiment.name)

    def _outcome(self, outcome: str, wall: float) -> None:
        session_id = self.machine.session_id
        if session_id is None:
            return
        live = self.live
        for experiment in self.config.experiments:
            if experiment.outcome == outcome and experiment.name not in live.converted:
                variant = live.assigned[experiment.name].name
                self.store.add_outcome(session_id, experiment.name, variant, outcome, wall)
                live.converted.add(experiment.name)

    def _load_member(self) -> None:
        live = self.live
        if live.member is None:
            live.member_view = None
            return
        live.member_view = {
            "loyalty_id": live.member,
            "wishlist": self.store.wishlist(live.member),
            "purchases": self.store.purchases(live.member),
        }

    # -- lighting -----------------------------------------------------------------------------

    def _set_scene(self, scene: str, now: float) -> None:
        self.lighting.ask(scene)
        self._publish_lighting(now)

    def _send_lighting(self, now: float) -> None:
        self.lighting.pending()
        self._publish_lighting(now)

    def _publish_lighting(self, now: float) -> None:
        light = self.lighting
        light.sent_at = now
        self._worker.publish(
            LightingCommand(scene=light.scene, request_id=light.request_id, t_ns=int(now * 1e9))
        )

    # -- the view -----------------------------------------------------------------------------

    def _refresh(self, now: float, wall: float, *, requests_changed: bool = False) -> None:
        # Publish what changed: the queue, the view (rev + 1 when its content differs), and
        # the snapshot. First, whether the shopper now waits for an associate.
        session_id = self.machine.session_id
        waiting = session_id is not None and any(
            r["status"] in OPEN_STATUSES
            for r in self.store.requests(open_only=True, session_id=session_id)
        )
        self._apply(self.machine.set_waiting(waiting, now), now, wall)
        if requests_changed:
            self._sla = self.desk.sla_states(wall)
            self.requests_rev += 1
            self._worker.publish(RequestsChanged(rev=self.requests_rev))
        content = self._build(now, wall)
        if content != self._content:
            self._content = content
            self.rev += 1
            self._view = {"type": "state", "rev": self.rev, **content}
            self._worker.publish(ViewChanged(rev=self.rev))
        try:
            self._save_snapshot(now, wall)
        except sqlite3.Error as err:
            log.warning("engine: could not save the live session (%s); will try again", err)

    def _context(self, wall: float) -> Context:
        return current_context(self.config.context, datetime.fromtimestamp(wall))

    def _build(self, now: float, wall: float) -> dict[str, Any]:
        machine = self.machine
        context = self._context(wall)
        session_requests = (
            self.store.requests(open_only=False, session_id=machine.session_id)
            if machine.session_id
            else []
        )
        store = self.config.store
        return {
            "session": {
                "id": machine.session_id,
                "phase": machine.phase,
                "member": copy.deepcopy(self.live.member_view),
                "consent": self.live.consent,
            },
            "screen": machine.screen.to_json(),
            "experiments": {
                name: {"variant": v.name, "params": dict(v.params)}
                for name, v in self.live.assigned.items()
            },
            "attract": (
                self.attract.slot(context, now).to_json() if machine.phase == "idle" else None
            ),
            "recommendations": self._recommendations(context, session_requests),
            "requests": [view_item(r) for r in session_requests],
            "offer_help": {"reason": machine.offer_help} if machine.offer_help else None,
            "lighting": {
                "scene": self.lighting.scene,
                "status": self.lighting.status,
                "detail": self.lighting.detail,
            },
            "scenes": [
                {"name": name, "label": scene.label}
                for name, scene in self.config.lighting.scenes.items()
            ],
            "store": {"id": store.id, "mirror": store.mirror, "fitting_room": store.fitting_room},
            "catalog": {"rev": self.catalog_rev},
        }

    def _recommendations(
        self, context: Context, session_requests: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        # The guardrails first: none off the product screens, none while the shopper waits
        # for an associate, none while help is offered.
        machine = self.machine
        screen = machine.screen
        if machine.phase != "engaged" or screen.name not in RECOMMENDATION_SCREENS:
            return []
        if machine.offer_help is not None:
            return []
        if any(r["status"] in ("pending", "acknowledged") for r in session_requests):
            return []
        member_view = self.live.member_view
        wishlist = tuple(member_view["wishlist"]) if member_view else None
        key = (screen.name, screen.sku, self.live.last_size, wishlist, context.tags)
        if key != self._rec_key:
            try:
                self._recs = recommend(
                    self.catalog,
                    context,
                    sku=screen.sku if screen.name != "home" else None,
                    size=self.live.last_size,
                    member={"wishlist": list(wishlist)} if wishlist is not None else None,
                    store=self.config.store.id,
                    limit=RECOMMENDATIONS,
                )
            except Exception:
                log.exception("engine: recommendations failed; showing none")
                self._recs = []
            self._rec_key = key
        return copy.deepcopy(self._recs)

    def _queue_item(self, request_id: str, wall: float) -> dict[str, Any]:
        row = self.store.request(request_id)
        assert row is not None
        return queue_item(row, wall, self.config.associate)

    # -- snapshot and restore -----------------------------------------------------------------

    def _save_snapshot(self, now: float, wall: float, force: bool = False) -> None:
        self._snapshots.save(self, now, wall, force=force)

    def _restore(self, now: float, wall: float) -> None:
        restored = restore(self.store, self.config, now, wall)
        if restored is None:
            return
        self.machine = restored.machine
        self.live = restored.live
        self._load_member()
        if restored.scene is not None:
            self.lighting.scene = restored.scene
        self._apply(restored.events, now, wall)
        log.info(
            "engine: restored session %s on screen %s",
            self.machine.session_id,
            self.machine.screen.name,
        )
