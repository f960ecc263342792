"""The shopper's context: what the mirror knows about "now" (day, time, season, weather, store
events) as a set of plain tags that recommendations and the attract loop match against.

The store sets the weather and its events in the configuration (the mirror needs no network);
the season follows the date unless the store pins it.

Example (every key is optional):

    [context]
    weather = "rain"            # "" (unknown), sunny, rain, cold, hot, snow
    season = ""                 # "" (from the date), spring, summer, autumn, winter

    [[context.events]]
    name = "Summer sale"
    start = "2025-07-01"        # first and last day, both included
    end = "2025-07-14"
    tags = ["sale", "summer"]
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from vitrine.section import Section

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
SEASONS = ("spring", "summer", "autumn", "winter")
WEATHERS = ("sunny", "rain", "cold", "hot", "snow")
# Meteorological seasons of the northern hemisphere, by month.
_SEASON_OF_MONTH = {
    12: "winter", 1: "winter", 2: "winter",
    3: "spring", 4: "spring", 5: "spring",
    6: "summer", 7: "summer", 8: "summer",
    9: "autumn", 10: "autumn", 11: "autumn",
}  # fmt: skip
AFTERNOON_FROM = 12 * 60  # minutes of the day: before this is "morning"
EVENING_FROM = 17 * 60  # from this on is "evening"

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
Tag = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$")]


class EventConfig(Section):
    """A store event (a sale, a holiday, a launch): active from `start` to `end`, both days
    included; its tags join the context's tags while it runs."""

    name: str = Field(min_length=1, max_length=64)
    start: str = Field(description="first day, YYYY-MM-DD")
    end: str = Field(description="last day, YYYY-MM-DD")
    tags: list[Tag] = Field(default_factory=list, max_length=16)

    @field_validator("start", "end", mode="before")
    @classmethod
    def _toml_date(cls, value: object) -> object:
        # A TOML date written without quotes (start = 2025-07-01) is a date, not a string.
        if type(value) is date:
            return value.isoformat()
        return value

    @field_validator("start", "end")
    @classmethod
    def _valid_date(cls, value: str) -> str:
        if not _DATE.match(value):
            raise ValueError("must be a date written YYYY-MM-DD")
        try:
            date.fromisoformat(value)
        except ValueError:
            raise ValueError("must be a real calendar date, YYYY-MM-DD") from None
        return value

    @model_validator(mode="after")
    def _ordered(self) -> EventConfig:
        if self.end < self.start:
            raise ValueError(
                f"event {self.name!r}: end {self.end} is before start {self.start}; "
                "end must be the same day or later"
            )
        return self

    @property
    def start_date(self) -> date:
        return date.fromisoformat(self.start)

    @property
    def end_date(self) -> date:
        return date.fromisoformat(self.end)

    def active_on(self, day: date) -> bool:
        """Whether the event runs on `day` (start and end days included)."""
        return self.start_date <= day <= self.end_date


class ContextConfig(Section):
    """The [context] section: the weather and season the store sets, and its events."""

    weather: Literal["", "sunny", "rain", "cold", "hot", "snow"] = ""
    season: Literal["", "spring", "summer", "autumn", "winter"] = ""
    events: list[EventConfig] = Field(default_factory=list, max_length=64)


@dataclass(frozen=True, slots=True, kw_only=True)
class Context:
    """The context at one moment. `tags` holds every tag that applies: the season, the
    weather (when set), the tags of the events running today, "weekend" on Saturday and
    Sunday, and one of "morning" / "afternoon" / "evening"."""

    now: datetime  # local time
    weekday: str  # "mon" .. "sun"
    minutes: int  # minutes since local midnight, 0..1439
    season: str  # "spring" | "summer" | "autumn" | "winter"
    weather: str  # "" (unknown) | "sunny" | "rain" | "cold" | "hot" | "snow"
    events: tuple[str, ...]  # names of the events running today, in configuration order
    tags: frozenset[str]


def season_of(day: date) -> str:
    """The meteorological season (northern hemisphere) of a date."""
    return _SEASON_OF_MONTH[day.month]


def part_of_day(minutes: int) -> str:
    """ "morning" before 12:00, "afternoon" from 12:00, "evening" from 17:00."""
    if minutes < AFTERNOON_FROM:
        return "morning"
    if minutes < EVENING_FROM:
        return "afternoon"
    return "evening"


def current_context(config: ContextConfig, now: datetime) -> Context:
    """The context at `now`, a local wall-clock time (an aware datetime is read in its own
    time zone)."""
    today = now.date()
    weekday = WEEKDAYS[now.weekday()]
    minutes = now.hour * 60 + now.minute
    season = config.season or season_of(today)
    running = [event for event in config.events if event.active_on(today)]
    tags = {season, part_of_day(minutes)}
    if config.weather:
        tags.add(config.weather)
    if weekday in ("sat", "sun"):
        tags.add("weekend")
    for event in running:
        tags.update(event.tags)
    return Context(
        now=now,
        weekday=weekday,
        minutes=minutes,
        season=season,
        weather=config.weather,
        events=tuple(event.name for event in running),
        tags=frozenset(tags),
    )
