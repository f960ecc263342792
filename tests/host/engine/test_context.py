"""The shopper's context: the [context] section, seasons, days, times and store events."""

from __future__ import annotations

import dataclasses
import textwrap
import tomllib
from datetime import date, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from vitrine.engine import context as context_module
from vitrine.engine.context import (
    Context,
    ContextConfig,
    EventConfig,
    current_context,
    part_of_day,
    season_of,
)
from vitrine.section import Section

SALE = {"name": "Summer sale", "start": "2025-07-01", "end": "2025-07-14", "tags": ["sale"]}


def parse(text: str) -> ContextConfig:
    return ContextConfig.model_validate(tomllib.loads(text).get("context", {}))


def error_of(data: dict) -> str:
    with pytest.raises(ValidationError) as info:
        ContextConfig.model_validate(data)
    return str(info.value)


def test_defaults() -> None:
    cfg = parse("")
    assert cfg == ContextConfig()
    assert (cfg.weather, cfg.season, cfg.events) == ("", "", [])


def test_same_rules_as_the_daemon_config() -> None:
    for section in (context_module.ContextConfig, context_module.EventConfig):
        assert issubclass(section, Section)
        assert section.model_config == Section.model_config


def test_docstring_example_is_valid() -> None:
    doc = context_module.__doc__ or ""
    cfg = parse(textwrap.dedent(doc[doc.index("    [context]") :]))
    assert cfg.weather == "rain"
    assert cfg.events[0].name == "Summer sale"
    assert cfg.events[0].tags == ["sale", "summer"]


def test_toml_dates_with_or_without_quotes() -> None:
    quoted = parse('[[context.events]]\nname = "x"\nstart = "2025-01-02"\nend = "2025-01-03"\n')
    bare = parse('[[context.events]]\nname = "x"\nstart = 2025-01-02\nend = 2025-01-03\n')
    assert quoted == bare
    assert bare.events[0].start == "2025-01-02"
    assert bare.events[0].start_date == date(2025, 1, 2)


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        ({"weather": "foggy"}, "weather"),
        ({"weather": 1}, "weather"),
        ({"season": "monsoon"}, "season"),
        ({"seasons": "summer"}, "Extra inputs are not permitted"),
        ({"events": [{**SALE, "name": ""}]}, "at least 1 character"),
        ({"events": [{**SALE, "name": "x" * 65}]}, "at most 64 characters"),
        ({"events": [{**SALE, "start": "2025-7-1"}]}, "must be a date written YYYY-MM-DD"),
        ({"events": [{**SALE, "start": "20250701"}]}, "must be a date written YYYY-MM-DD"),
        ({"events": [{**SALE, "end": "2025-02-30"}]}, "must be a real calendar date"),
        ({"events": [{**SALE, "end": "2025-06-30"}]}, "end 2025-06-30 is before start"),
        ({"events": [{**SALE, "tags": ["Big Sale"]}]}, "tags.0"),
        ({"events": [{**SALE, "tags": ["x" * 33]}]}, "tags.0"),
        ({"events": [{**SALE, "colour": "red"}]}, "Extra inputs are not permitted"),
        ({"events": [{"name": "x", "start": "2025-01-01"}]}, "end"),
    ],
)
def test_bad_values_are_refused_with_the_key(data: dict, fragment: str) -> None:
    assert fragment in error_of(data)


def test_datetime_is_not_a_date() -> None:
    # A TOML date-time where a day belongs is a mistake, not a day.
    assert "start" in error_of({"events": [{**SALE, "start": datetime(2025, 7, 1, 9, 0)}]})


def test_config_is_frozen() -> None:
    cfg = ContextConfig(weather="rain")
    with pytest.raises(ValidationError):
        cfg.weather = "sunny"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("day", "season"),
    [
        (date(2025, 1, 15), "winter"),
        (date(2025, 2, 28), "winter"),
        (date(2025, 3, 1), "spring"),
        (date(2025, 5, 31), "spring"),
        (date(2025, 6, 1), "summer"),
        (date(2025, 8, 31), "summer"),
        (date(2025, 9, 1), "autumn"),
        (date(2025, 11, 30), "autumn"),
        (date(2025, 12, 1), "winter"),
        (date(2024, 2, 29), "winter"),
    ],
)
def test_season_from_the_date(day: date, season: str) -> None:
    assert season_of(day) == season
    ctx = current_context(ContextConfig(), datetime.combine(day, datetime.min.time()))
    assert ctx.season == season
    assert season in ctx.tags


def test_season_set_by_the_store_wins() -> None:
    ctx = current_context(ContextConfig(season="winter"), datetime(2025, 7, 1, 12, 0))
    assert ctx.season == "winter"
    assert "winter" in ctx.tags
    assert "summer" not in ctx.tags


@pytest.mark.parametrize(
    ("hour", "minute", "part"),
    [
        (0, 0, "morning"),
        (9, 30, "morning"),
        (11, 59, "morning"),
        (12, 0, "afternoon"),
        (16, 59, "afternoon"),
        (17, 0, "evening"),
        (23, 59, "evening"),
    ],
)
def test_part_of_day(hour: int, minute: int, part: str) -> None:
    ctx = current_context(ContextConfig(), datetime(2025, 7, 2, hour, minute))
    assert ctx.minutes == hour * 60 + minute
    assert part_of_day(ctx.minutes) == part
    parts = {"morning", "afternoon", "evening"} & ctx.tags
    assert parts == {part}


def test_weekdays_and_weekend() -> None:
    monday = datetime(2025, 7, 7, 10, 0)
    days = [current_context(ContextConfig(), monday + timedelta(days=i)) for i in range(7)]
    assert [c.weekday for c in days] == ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    assert ["weekend" in c.tags for c in days] == [False] * 5 + [True] * 2


def test_weather_tag_only_when_set() -> None:
    now = datetime(2025, 7, 2, 10, 0)
    assert current_context(ContextConfig(), now).weather == ""
    assert current_context(ContextConfig(), now).tags == {"summer", "morning"}
    rainy = current_context(ContextConfig(weather="rain"), now)
    assert rainy.weather == "rain"
    assert rainy.tags == {"summer", "morning", "rain"}


def test_events_run_from_start_to_end_inclusive() -> None:
    cfg = ContextConfig(
        events=[
            EventConfig(**SALE),
            EventConfig(name="Launch", start="2025-07-14", end="2025-07-14", tags=["new"]),
        ]
    )
    at = {day: current_context(cfg, datetime(2025, 7, day, 15, 0)) for day in (1, 13, 14, 15)}
    assert at[1].events == ("Summer sale",)
    assert at[13].events == ("Summer sale",)
    assert at[14].events == ("Summer sale", "Launch")
    assert at[15].events == ()
    assert {"sale", "new"} <= at[14].tags
    assert "sale" not in at[15].tags
    june = current_context(cfg, datetime(2025, 6, 30, 23, 59))
    assert june.events == ()
    assert "sale" not in june.tags


def test_event_across_new_year() -> None:
    cfg = ContextConfig(
        events=[EventConfig(name="Winter sale", start="2025-12-27", end="2026-01-05")]
    )
    assert current_context(cfg, datetime(2025, 12, 31, 10, 0)).events == ("Winter sale",)
    assert current_context(cfg, datetime(2026, 1, 5, 10, 0)).events == ("Winter sale",)
    assert current_context(cfg, datetime(2026, 1, 6, 10, 0)).events == ()


def test_all_tags_together() -> None:
    cfg = ContextConfig(weather="cold", events=[EventConfig(**SALE)])
    ctx = current_context(cfg, datetime(2025, 7, 5, 18, 30))  # a Saturday evening
    assert ctx == Context(
        now=datetime(2025, 7, 5, 18, 30),
        weekday="sat",
        minutes=18 * 60 + 30,
        season="summer",
        weather="cold",
        events=("Summer sale",),
        tags=frozenset({"summer", "cold", "sale", "weekend", "evening"}),
    )


def test_aware_time_is_read_in_its_own_zone() -> None:
    # 23:30 on a Sunday in UTC+2 is 21:30 UTC, still Sunday: the local fields count.
    now = datetime(2025, 7, 6, 23, 30, tzinfo=timezone(timedelta(hours=2)))
    ctx = current_context(ContextConfig(), now)
    assert (ctx.weekday, ctx.minutes) == ("sun", 23 * 60 + 30)
    assert ctx.now is now


def test_context_is_frozen() -> None:
    ctx = current_context(ContextConfig(), datetime(2025, 7, 2, 10, 0))
    with pytest.raises(dataclasses.FrozenInstanceError):
        ctx.weather = "rain"  # type: ignore[misc]
