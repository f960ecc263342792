"""The [analytics], [fleet] and [manager] sections: how observations are counted and kept,
where the fleet's broker is, and who may open the manager's dashboard.

Example (every key is optional):

    [analytics]
    counter = "presence"        # who counts passers-by and entries: "presence" or "camera"
    visit_gap_s = 30            # a visit ends after this long without presence
    bounce_s = 10               # a visit shorter than this is a bounce
    zone_min_s = 5              # a zone visit needs at least this long in the zone
    assisted_window_h = 24      # a product shown or requested, bought within this: assisted
    timezone = ""               # the store's days and hours ("" = the system's)
    retention_days = 400        # raw observations are kept this long ...
    retention_kinds = { interaction = 90 }   # ... or this long for the kinds named here

    [fleet]
    broker = "mqtts://broker.example:8883"   # "" = no fleet: nothing leaves the mirror
    topic = "vitrine"           # observations go to <topic>/<store>/<mirror>/observations
    username = ""
    password = ""
    ca_file = ""                # TLS: the broker's CA (mqtts:// uses the system's without)

    [manager]
    pin = "13572468"            # the manager's own PIN (6-12 digits); "" = no PIN sign-in
    tokens = []                 # bearer tokens (24+ characters) for a head office's tools
    session_hours = 12
"""

from __future__ import annotations

import zoneinfo
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator

from vitrine.analytics.observation import KINDS
from vitrine.section import Section

MAX_DAYS = 3650  # ten years: the longest any observation is kept
Token = Annotated[str, Field(min_length=24, max_length=256)]


class AnalyticsConfig(Section):
    """[analytics]: see the module docstring."""

    counter: Literal["presence", "camera"] = "presence"
    visit_gap_s: float = Field(default=30.0, ge=1.0, le=3600.0)
    bounce_s: float = Field(default=10.0, ge=0.0, le=3600.0)
    zone_min_s: float = Field(default=5.0, ge=0.0, le=3600.0)
    assisted_window_h: float = Field(default=24.0, ge=0.1, le=24.0 * 90)
    timezone: str = Field(default="", max_length=64)
    retention_days: float = Field(default=400.0, ge=1.0, le=3650.0)
    retention_kinds: dict[str, float] = Field(default_factory=dict)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        if value:
            try:
                zoneinfo.ZoneInfo(value)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                raise ValueError(
                    f"{value!r} is not a time zone: use an IANA name such as Europe/Paris, "
                    'or "" for the system\'s'
                ) from None
        return value

    @field_validator("retention_kinds")
    @classmethod
    def _kinds(cls, value: dict[str, float]) -> dict[str, float]:
        for kind, days in value.items():
            if kind not in KINDS:
                raise ValueError(f"{kind!r}: not an observation kind; allowed: {', '.join(KINDS)}")
            if not 1 <= days <= MAX_DAYS:
                raise ValueError(f"{kind} = {days!r}: days must be 1 to {MAX_DAYS}")
        return value

    def zone(self) -> zoneinfo.ZoneInfo | None:
        """The store's time zone (None: the system's)."""
        return zoneinfo.ZoneInfo(self.timezone) if self.timezone else None


class FleetConfig(Section):
    """[fleet]: the broker the mirror publishes its observations to."""

    broker: str = Field(default="", max_length=512)
    topic: str = Field(default="vitrine", pattern=r"^[A-Za-z0-9_-]{1,64}(/[A-Za-z0-9_-]{1,64})*$")
    username: str = Field(default="", max_length=256)
    password: str = Field(default="", max_length=256)
    ca_file: str = Field(default="", max_length=4096)

    @field_validator("broker")
    @classmethod
    def _broker(cls, value: str) -> str:
        if value:
            parts = urlsplit(value)
            if parts.scheme not in ("mqtt", "mqtts") or not parts.hostname:
                raise ValueError(
                    f"{value!r} is not a broker URL: use mqtt://HOST[:PORT] or "
                    "mqtts://HOST[:PORT] (TLS)"
                )
        return value


class ManagerConfig(Section):
    """[manager]: the dashboard's own PIN and tokens (associates' do not open it)."""

    pin: str = Field(default="", pattern=r"^(\d{6,12})?$")
    tokens: list[Token] = Field(default_factory=list, max_length=16)
    session_hours: float = Field(default=12.0, ge=0.1, le=24.0 * 30)
