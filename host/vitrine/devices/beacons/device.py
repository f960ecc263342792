"""The `Beacons` device: loyalty members' phones in zones, from whatever hears advertisements.

Sources of advertisements sit behind one seam, `Backend` (as bleak's platform backends sit
behind its BleakScanner facade): the host's own adapter through bleak (`BleakBackend`), the
beacon board's BEACON_SIGHTINGS (`Beacons.board_sightings`), and the simulator's air
(vitrine.sim.air, through `AirBackend` in vitrine.devices.beacons.backends). Each reading goes
through `heard()`:

1. parsed without trusting the bytes (vitrine.devices.beacons.adverts); structures that run
   past the end or exceed 31 bytes are counted as `malformed` and go no further;
2. anything but a loyalty advertisement (other shops' beacons, phones that did not join) is
   ignored at once;
3. the token is resolved with the members' keys (loyalty.Resolver); a token that names no
   enrolled member is dropped right there: it is not stored, counted, logged or published, and
   no state is kept for it;
4. the same advertisement twice from one receiver (an OS or the board reporting it again) is a
   duplicate and ignored;
5. the member's zone tracker takes the reading (RSSI smoothing, zones with hysteresis and dwell:
   vitrine.devices.beacons.zones), and a zone change is published on the bus as `BeaconZone`.

A watchdog restarts a backend that raised or has heard nothing for `silence_s` (BlueZ can stop
scanning without a word; in a shop there is always something advertising), and counts it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, Protocol

from pydantic import Field, model_validator

from vitrine.devices.beacons import adverts
from vitrine.devices.beacons.loyalty import Resolver
from vitrine.devices.beacons.zones import GONE, Tracker, ZoneRule, ZoneSettings
from vitrine.section import Section
from vitrine_fw.beacon import adverts as fw

if TYPE_CHECKING:
    from vitrine.bus import EventBus

log = logging.getLogger(__name__)

DUPLICATE_S = 0.020  # the same bytes from one receiver within this long: one advertisement
WATCHDOG_PERIOD_S = 0.5


class BeaconsConfig(Section):
    """The daemon's [beacons]: whose loyalty advertisements to read, and whether the host's own
    adapter listens too (besides the beacon board)."""

    # the store app's company id (the beacon board's [beacon] company_id must be the same);
    # 0xFFFF, the Bluetooth SIG's id for tests and development, must not ship
    company_id: int = Field(default=fw.TEST_COMPANY, ge=0, le=0xFFFF)
    # the host's Bluetooth adapter to scan with through bleak ("hci0"), "default" for the
    # system's, or "" for none (only the beacon board listens)
    host_adapter: str = Field(default="", max_length=32, pattern=r"^(|default|hci[0-9]{1,2})$")
    smoother: Literal["kalman", "ema"] = "kalman"
    # The zones tied to a receiver (at the mirror, in the fitting room; docs/beacons.md): entered
    # when the smoothed RSSI there reaches enter_dbm, left only below exit_dbm (the gap is the
    # hysteresis); between a receiver's noise floor (the ESP32-S3 hears down to -97 dBm) and a
    # phone held against it (about -30 dBm).
    enter_dbm: float = Field(default=-62.0, ge=-95.0, le=-30.0)
    exit_dbm: float = Field(default=-68.0, ge=-95.0, le=-30.0)
    # a new zone is taken once it has held this long; a phone no receiver heard for gone_s is
    # gone (and a receiver silent that long no longer places it in its zone)
    dwell_s: float = Field(default=0.5, ge=0.0, le=10.0)
    gone_s: float = Field(default=2.0, ge=0.5, le=60.0)

    @model_validator(mode="after")
    def _hysteresis(self) -> BeaconsConfig:
        if self.exit_dbm > self.enter_dbm:
            raise ValueError(
                f"exit_dbm={self.exit_dbm:g} is above enter_dbm={self.enter_dbm:g}: allowed "
                "exit_dbm <= enter_dbm (a zone is left below where it is entered: hysteresis)"
            )
        return self

    def zone_settings(self) -> ZoneSettings:
        """The zones as the device decides them (vitrine.devices.beacons.zones)."""
        rules = tuple(
            ZoneRule(rule.zone, rule.receiver, self.enter_dbm, self.exit_dbm)
            for rule in ZoneSettings().rules
        )
        return ZoneSettings(
            rules=rules,
            dwell_s=self.dwell_s,
            stale_s=self.gone_s,
            gone_s=self.gone_s,
            smoother=self.smoother,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class BeaconZone:
    """A loyalty member's phone changed zone (published on the bus)."""

    member: str  # the member's loyalty id
    zone: str  # "at_mirror", "fitting_room", "in_store", "gone"
    previous: str
    t_ns: int  # host monotonic_ns when it was decided


@dataclass(frozen=True, slots=True)
class Received:
    """One advertisement from a backend: raw advertising data (data), or the parts an OS stack
    splits it into (bleak: manufacturer data by company id, service data by UUID)."""

    receiver: str
    address: str
    rssi_dbm: int
    t_s: float  # host monotonic seconds
    data: bytes | None = None
    manufacturer: Mapping[int, bytes] = field(default_factory=dict)
    service: Mapping[str, bytes] = field(default_factory=dict)


OnAdvert = Callable[[Received], None]


class Backend(Protocol):
    """Something that hears advertisements and hands each to on_advert (on the event loop's
    thread). start() raises when the radio is not there; stop() never raises."""

    name: str

    async def start(self, on_advert: OnAdvert) -> None: ...

    async def stop(self) -> None: ...


@dataclass
class Counters:
    """What arrived, for bad input and the status page. Nothing here counts people: a token
    that resolves to no member leaves no trace, not even in a counter."""

    received: int = 0  # advertisements handed to heard()
    malformed: int = 0  # truncated, over 31 bytes: dropped
    duplicates: int = 0  # members' advertisements reported twice: ignored
    zone_changes: int = 0
    restarts: int = 0  # backends the watchdog started again
    board_dropped: int = 0  # sightings the beacon board could not keep (its counter)


class Beacons:
    """Members' phones in zones; see the module docstring."""

    def __init__(
        self,
        resolver: Resolver,
        settings: ZoneSettings | None = None,
        publish: Callable[[object], None] | None = None,
        company_id: int = fw.TEST_COMPANY,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.resolver = resolver
        self.settings = settings or ZoneSettings()
        self._publish = publish
        self.company_id = company_id
        self._clock = clock
        self.counters = Counters()
        self._trackers: dict[str, Tracker] = {}
        self._last: dict[tuple[str, str], tuple[float, bytes, int]] = {}
        self._backends: list[Backend] = []
        self._backend_heard: dict[str, float] = {}
        self.silence_s = 10.0

    # --- readings ---------------------------------------------------------------------------

    def heard(self, r: Received) -> None:
        """Take one advertisement from any backend (see the module docstring)."""
        self.counters.received += 1
        self._backend_heard[r.receiver] = r.t_s
        if r.data is not None:
            if adverts.structures(r.data)[1]:  # truncated, or over 31 bytes
                self.counters.malformed += 1
                return
            advert = adverts.parse(r.data, self.company_id)
        else:
            advert = adverts.from_parts(r.manufacturer, r.service, self.company_id)
        found = advert.loyalty
        if found is None or found.company_id != self.company_id:
            return
        self.token(r.receiver, found.token, r.rssi_dbm, r.t_s)

    def token(self, receiver: str, token: bytes, rssi_dbm: int, t_s: float) -> None:
        """Take one loyalty token heard by a receiver (the beacon board forwards only these)."""
        member = self.resolver.resolve(token)
        if member is None:
            return  # nobody we know: no trace of it anywhere
        key = (member, receiver)
        last = self._last.get(key)
        if last is not None and t_s - last[0] < DUPLICATE_S and last[1:] == (token, rssi_dbm):
            self.counters.duplicates += 1
            return
        self._last[key] = (t_s, token, rssi_dbm)
        tracker = self._trackers.get(member)
        if tracker is None:
            tracker = self._trackers[member] = Tracker(self.settings, t_s)
        previous = tracker.zone
        changed = tracker.reading(t_s, receiver, rssi_dbm)
        if changed is not None:
            self._changed(member, changed, previous)

    def board_sightings(self, receiver: str, message: object, t_s: float) -> None:
        """Take a BEACON_SIGHTINGS message from the beacon board named receiver: each sighting's
        age puts it back at the time it was heard."""
        from vitrine.link.messages import BeaconSightings

        if not isinstance(message, BeaconSightings):
            raise TypeError(f"board_sightings: {type(message).__name__}, not BeaconSightings")
        self.counters.board_dropped += message.dropped
        self._backend_heard[receiver] = t_s
        for s in message.sightings:
            self.counters.received += 1
            self.token(receiver, s.token, s.rssi_dbm, t_s - s.age_ms / 1000.0)

    def tick(self, t_s: float | None = None) -> None:
        """Decide zones now for phones nobody hears any more (gone); drop at once what is held
        about members whose key has left the keyring (forgotten)."""
        now = self._clock() if t_s is None else t_s
        for member, tracker in list(self._trackers.items()):
            if member not in self.resolver.keyring:
                self.forget(member)
                continue
            previous = tracker.zone
            changed = tracker.tick(now)
            if changed is not None:
                self._changed(member, changed, previous)
            if tracker.zone == GONE and tracker.silent(now):
                del self._trackers[member]
                for key in [k for k in self._last if k[0] == member]:
                    del self._last[key]

    def forget(self, member: str) -> None:
        """A member said "forget me": drop what is held about their phone now."""
        self._trackers.pop(member, None)
        for key in [k for k in self._last if k[0] == member]:
            del self._last[key]

    def zones(self) -> dict[str, str]:
        """Each member's zone now (members gone are not listed)."""
        return {m: t.zone for m, t in self._trackers.items() if t.zone != GONE}

    def _changed(self, member: str, zone: str, previous: str) -> None:
        self.counters.zone_changes += 1
        if self._publish is not None:
            self._publish(
                BeaconZone(member=member, zone=zone, previous=previous, t_ns=time.monotonic_ns())
            )

    # --- backends and the watchdog ----------------------------------------------------------

    async def serve(self, bus: EventBus, backends: Iterable[Backend] = ()) -> None:
        """What the daemon runs until cancelled: the beacon boards' BEACON_SIGHTINGS from the
        bus, and the backends under the watchdog (run())."""
        from vitrine.link.messages import BeaconSightings

        async with asyncio.TaskGroup() as group:
            group.create_task(self.run(backends), name="beacons-watchdog")
            with bus.subscribe(BeaconSightings) as sightings:
                async for message in sightings:
                    self.board_sightings(message.board, message, message.rx_ns / 1e9)

    async def run(self, backends: Iterable[Backend]) -> None:
        """Start the backends and watch them until cancelled: one that raised or went silent
        for silence_s is stopped and started again."""
        self._backends = list(backends)
        started: dict[str, float | None] = {b.name: None for b in self._backends}
        try:
            while True:
                now = self._clock()
                for b in self._backends:
                    since = started[b.name]
                    heard = self._backend_heard.get(b.name)
                    quiet = since is not None and now - max(since, heard or since) > self.silence_s
                    if since is None or quiet:
                        if quiet:
                            log.warning(
                                "beacons: %s heard nothing for %.0f s; restarting it",
                                b.name,
                                self.silence_s,
                            )
                            self.counters.restarts += 1
                            await b.stop()
                        try:
                            await b.start(self.heard)
                            started[b.name] = self._clock()
                        except Exception as err:  # the adapter may be gone: try again
                            log.warning("beacons: %s did not start: %s", b.name, err)
                            started[b.name] = None
                self.tick(now)
                await asyncio.sleep(WATCHDOG_PERIOD_S)
        finally:
            for b in self._backends:
                with contextlib.suppress(Exception):
                    await b.stop()
