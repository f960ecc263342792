"""The experience engine's configuration sections: the store and mirror, session timing, the
associates' app and its service levels, and the attract loop; EngineConfig bundles them with
the context, experiment and lighting sections the engine also reads.

Example (every key is optional):

    [store]
    id = "store-1"
    mirror = "mirror-1"
    fitting_room = "1"          # "" for a mirror on the shop floor
    locale = "en"

    [session]
    approach_timeout_s = 20     # approached, nobody touches: back to attract
    engaged_idle_s = 45         # engaged, no interaction: the session ends
    absent_grace_s = 8          # engaged, nobody detected (and no touch) this long: it ends
    rating_s = 20               # the rating screen shows this long
    stall_s = 30                # no interaction on one screen: offer help
    greeting_s = 4              # a touch from the attract loop: the welcome shows this long

    [associate]
    pin = "246810"              # 6-12 digits; "" keeps the associate app locked
    tokens = []                 # bearer tokens (24+ characters) for kiosk tablets
    ack_sla_s = 60              # a request not acknowledged this long is late
    fulfil_sla_s = 300          # a request not fulfilled this long (from its creation) is late
    escalate_after_s = 120      # a request not acknowledged this long is escalated
    session_hours = 12          # an associate stays signed in this long

    [attract]
    cycle_s = 8                 # each matching slot shows this long

    [[attract.slot]]
    title = "Rain or shine"
    subtitle = "Coats for the wet days"
    image = "coat-navy.svg"
    category = "outerwear"
    days = ["sat", "sun"]       # [] = every day
    start = "09:00"             # local time, start included, end excluded; "24:00" = midnight
    end = "18:00"
    weather = ["rain", "cold"]  # [] = any weather
    event = ""                  # the name of a [[context.events]] entry; "" = any
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from vitrine.devices.lights import LightingConfig
from vitrine.engine.context import WEATHERS, ContextConfig
from vitrine.engine.experiments import ExperimentConfig
from vitrine.section import Section

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
Weather = Literal["sunny", "rain", "cold", "hot", "snow"]
_CLOCK = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
Token = Annotated[str, Field(min_length=24, max_length=256)]


class StoreConfig(Section):
    """[store]: which store and mirror this is, and the fitting room it stands in."""

    id: str = Field(default="store-1", pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")
    mirror: str = Field(default="mirror-1", pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")
    fitting_room: str = Field(default="1", pattern=r"^([A-Za-z0-9][A-Za-z0-9-]{0,15})?$")
    locale: str = Field(default="en", pattern=r"^[a-z]{2}(-[A-Z]{2})?$")


class SessionConfig(Section):
    """[session]: how long each phase of a shopper's session waits before it moves on."""

    approach_timeout_s: float = Field(default=20.0, ge=1.0, le=600.0)
    engaged_idle_s: float = Field(default=45.0, ge=5.0, le=3600.0)
    absent_grace_s: float = Field(default=8.0, ge=0.0, le=600.0)
    rating_s: float = Field(default=20.0, ge=1.0, le=600.0)
    stall_s: float = Field(default=30.0, ge=1.0, le=3600.0)
    greeting_s: float = Field(default=4.0, ge=0.0, le=60.0)
    # A consenting member's phone at the mirror (the beacons' at_mirror zone) starts a session
    # signed in as them, when no session is on the glass (docs/engine.md); false: phones only
    # count in the analytics.
    greet_members_by_phone: bool = True


MIN_PIN_DIGITS = 6  # a shorter PIN is refused, unless allow_short_pin (see below)
SHORT_PIN_DIGITS = 4  # the shortest PIN an installation set up before that rule may keep


class AssociateConfig(Section):
    """[associate]: how associates sign in, and the service levels their queue is held to."""

    # A mirror set up when 4 digits were allowed keeps its 4- or 5-digit PIN only with this
    # set (the daemon then warns at every start): the file alone cannot say whether it is an
    # old installation, and a weak PIN should be a choice someone wrote down.
    allow_short_pin: bool = False
    pin: str = Field(default="", pattern=r"^(\d{1,12})?$")
    tokens: list[Token] = Field(default_factory=list, max_length=32)
    ack_sla_s: float = Field(default=60.0, ge=1.0, le=86_400.0)
    fulfil_sla_s: float = Field(default=300.0, ge=1.0, le=86_400.0)
    escalate_after_s: float = Field(default=120.0, ge=1.0, le=86_400.0)
    session_hours: float = Field(default=12.0, gt=0.0, le=168.0)

    @field_validator("pin")
    @classmethod
    def _pin_length(cls, value: str, info: ValidationInfo) -> str:
        digits = len(value)
        if not value or digits >= MIN_PIN_DIGITS:
            return value
        if info.data.get("allow_short_pin") and digits >= SHORT_PIN_DIGITS:
            return value
        raise ValueError(
            f"{digits} digits: allowed {MIN_PIN_DIGITS} to 12 digits (a shorter PIN can be "
            "guessed: 4 digits fall in weeks even with the pauses between wrong PINs). "
            f"A mirror set up with a {SHORT_PIN_DIGITS}- or 5-digit PIN may keep it for now "
            "with allow_short_pin = true in [associate]; the daemon then warns at every start"
        )

    @property
    def short_pin(self) -> bool:
        """Whether the PIN is shorter than new set-ups may have (kept by allow_short_pin)."""
        return bool(self.pin) and len(self.pin) < MIN_PIN_DIGITS


class AttractSlot(Section):
    """One slide of the attract loop and when it may show: days of the week, a local time
    window (start included, end excluded; a window past midnight is written start > end),
    weathers and a store event."""

    title: str = Field(min_length=1, max_length=80)
    subtitle: str = Field(default="", max_length=160)
    image: str = Field(default="", pattern=r"^([A-Za-z0-9][A-Za-z0-9._-]{0,127})?$")
    category: str = Field(default="", pattern=r"^([a-z0-9][a-z0-9_-]{0,39})?$")
    days: list[Weekday] = Field(default_factory=list, max_length=7)
    start: str = "00:00"
    end: str = "24:00"
    weather: list[Weather] = Field(default_factory=list, max_length=len(WEATHERS))
    event: str = Field(default="", max_length=64)

    @field_validator("start")
    @classmethod
    def _start_clock(cls, value: str) -> str:
        if not _CLOCK.match(value):
            raise ValueError("must be a local time HH:MM, 00:00 to 23:59")
        return value

    @field_validator("end")
    @classmethod
    def _end_clock(cls, value: str) -> str:
        if value != "24:00" and not _CLOCK.match(value):
            raise ValueError("must be a local time HH:MM, 00:01 to 24:00")
        return value

    @model_validator(mode="after")
    def _window(self) -> AttractSlot:
        if self.start == self.end:
            raise ValueError(
                f"slot {self.title!r}: start and end are both {self.start}; "
                'for all day write start = "00:00", end = "24:00"'
            )
        return self

    def to_json(self) -> dict[str, str]:
        """What the player shows: {"title", "subtitle", "image", "category"}."""
        return {
            "title": self.title,
            "subtitle": self.subtitle,
            "image": self.image,
            "category": self.category,
        }


class AttractConfig(Section):
    """[attract]: the slides of the attract loop (`[[attract.slot]]`) and how long each shows."""

    cycle_s: float = Field(default=8.0, ge=1.0, le=600.0)
    slot: list[AttractSlot] = Field(default_factory=list, max_length=64)


class RetentionConfig(Section):
    """[retention]: how long events.db keeps each kind of record, so a mirror's storage never
    fills from it (pruned every hour, the space given back to the file system)."""

    interactions_days: int = Field(default=90, ge=1, le=3650)
    interactions_max_rows: int = Field(default=1_000_000, ge=1000, le=100_000_000)
    # sessions, with their requests, ratings, experiment exposures and outcomes
    sessions_days: int = Field(default=730, ge=1, le=3650)
    # a loyalty member neither enrolled nor seen for this long is forgotten, as "forget me"
    members_inactive_days: int = Field(default=730, ge=30, le=3650)


class EngineConfig(BaseModel):
    """Every section the engine reads, in one object."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    store: StoreConfig = Field(default_factory=StoreConfig)
    session: SessionConfig = Field(default_factory=SessionConfig)
    associate: AssociateConfig = Field(default_factory=AssociateConfig)
    context: ContextConfig = Field(default_factory=ContextConfig)
    attract: AttractConfig = Field(default_factory=AttractConfig)
    experiments: list[ExperimentConfig] = Field(default_factory=list, max_length=32)
    lighting: LightingConfig = Field(default_factory=LightingConfig)
    retention: RetentionConfig = Field(default_factory=RetentionConfig)

    @model_validator(mode="after")
    def _unique_experiments(self) -> EngineConfig:
        names = [e.name for e in self.experiments]
        doubles = sorted({n for n in names if names.count(n) > 1})
        if doubles:
            raise ValueError(f"experiment names must be unique; repeated: {', '.join(doubles)}")
        return self
