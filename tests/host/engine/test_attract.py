"""The attract loop: which slides match the day, time, weather and store events, the default
slide, the cycle, and the [attract] and other engine configuration sections."""

from __future__ import annotations

import tomllib
from datetime import datetime

import pytest
from pydantic import ValidationError

from vitrine.engine import config as config_module
from vitrine.engine.attract import DEFAULT_SLOT, AttractLoop, in_window, matches, matching
from vitrine.engine.config import (
    AssociateConfig,
    AttractConfig,
    AttractSlot,
    EngineConfig,
    SessionConfig,
    StoreConfig,
)
from vitrine.engine.context import ContextConfig, EventConfig, current_context
from vitrine.engine.experiments import ExperimentConfig
from vitrine.section import Section

SATURDAY_10 = datetime(2026, 3, 14, 10, 0)
MONDAY_19 = datetime(2026, 3, 16, 19, 30)
SALE = EventConfig(name="Spring sale", start="2026-03-10", end="2026-03-15", tags=["sale"])


def ctx(now: datetime, weather: str = "", events: tuple[EventConfig, ...] = ()):
    return current_context(ContextConfig(weather=weather, events=list(events)), now)


def slot(**kw) -> AttractSlot:
    return AttractSlot(title=kw.pop("title", "Slide"), **kw)


@pytest.mark.parametrize(
    ("start", "end", "minute", "inside"),
    [
        ("09:00", "18:00", 9 * 60, True),
        ("09:00", "18:00", 18 * 60 - 1, True),
        ("09:00", "18:00", 18 * 60, False),
        ("09:00", "18:00", 8 * 60 + 59, False),
        ("00:00", "24:00", 0, True),
        ("00:00", "24:00", 1439, True),
        ("22:00", "02:00", 23 * 60, True),
        ("22:00", "02:00", 60, True),
        ("22:00", "02:00", 2 * 60, False),
        ("22:00", "02:00", 12 * 60, False),
    ],
)
def test_time_windows(start: str, end: str, minute: int, inside: bool) -> None:
    assert in_window(start, end, minute) is inside


def test_days_weather_and_events_narrow_a_slot() -> None:
    saturday = ctx(SATURDAY_10, "rain", (SALE,))
    monday = ctx(MONDAY_19, "sunny")
    assert matches(slot(), saturday) and matches(slot(), monday)
    assert matches(slot(days=["sat", "sun"]), saturday)
    assert not matches(slot(days=["sat", "sun"]), monday)
    assert matches(slot(weather=["rain", "snow"]), saturday)
    assert not matches(slot(weather=["rain"]), monday)
    assert not matches(slot(weather=["rain"]), ctx(SATURDAY_10))  # weather unknown
    assert matches(slot(event="Spring sale"), saturday)
    assert not matches(slot(event="Spring sale"), monday)  # the sale is over by Monday
    assert matches(slot(start="18:00", end="22:00"), monday)
    assert not matches(slot(start="18:00", end="22:00"), saturday)


def test_the_default_slide_when_nothing_matches() -> None:
    assert matching([], ctx(SATURDAY_10)) == [DEFAULT_SLOT]
    assert matching([slot(days=["mon"])], ctx(SATURDAY_10)) == [DEFAULT_SLOT]
    assert DEFAULT_SLOT.to_json() == {
        "title": "Welcome",
        "subtitle": "Touch the mirror to begin",
        "image": "",
        "category": "",
    }


def test_matching_slots_take_turns() -> None:
    slots = [slot(title="A"), slot(title="B", days=["mon"]), slot(title="C")]
    loop = AttractLoop(AttractConfig(cycle_s=8.0, slot=slots))
    loop.restart(100.0)
    saturday = ctx(SATURDAY_10)
    seen = [loop.slot(saturday, 100.0 + t).title for t in (0, 7.9, 8, 15.9, 16, 24)]
    assert seen == ["A", "A", "C", "C", "A", "C"]
    loop.restart(200.0)
    assert loop.slot(saturday, 200.0).title == "A"
    assert loop.slot(ctx(MONDAY_19), 208.0).title == "B"


@pytest.mark.parametrize(
    "bad",
    [
        {"title": ""},
        {"title": "x", "start": "9:00"},
        {"title": "x", "start": "24:00"},
        {"title": "x", "end": "24:01"},
        {"title": "x", "end": "12:60"},
        {"title": "x", "start": "10:00", "end": "10:00"},
        {"title": "x", "days": ["saturday"]},
        {"title": "x", "weather": ["fog"]},
        {"title": "x", "image": "../secret.svg"},
        {"title": "x", "category": "Shirts"},
        {"title": "x", "colour": "red"},
    ],
)
def test_bad_slots_are_refused(bad: dict) -> None:
    with pytest.raises(ValidationError):
        AttractSlot.model_validate(bad)


def test_sections_follow_the_config_rules() -> None:
    for section in (StoreConfig, SessionConfig, AssociateConfig, AttractSlot, AttractConfig):
        assert issubclass(section, Section)
        assert section.model_config == Section.model_config


def test_the_documented_example_is_valid() -> None:
    doc = config_module.__doc__
    example = "\n".join(
        line[4:] for line in doc[doc.index("[store]") - 4 :].splitlines() if line.strip()
    )
    data = tomllib.loads(example)
    assert StoreConfig.model_validate(data["store"]) == StoreConfig()
    assert SessionConfig.model_validate(data["session"]) == SessionConfig()
    associate = AssociateConfig.model_validate(data["associate"])
    assert associate.pin == "246810"
    attract = AttractConfig.model_validate(data["attract"])
    assert attract.slot[0].weather == ["rain", "cold"]


@pytest.mark.parametrize(
    ("section", "bad"),
    [
        (StoreConfig, {"fitting_room": "room 1"}),
        (StoreConfig, {"id": ""}),
        (SessionConfig, {"engaged_idle_s": 1.0}),
        (SessionConfig, {"rating_s": "20"}),
        (AssociateConfig, {"pin": "123"}),
        (AssociateConfig, {"pin": "12345678901234"}),
        (AssociateConfig, {"pin": "12ab"}),
        (AssociateConfig, {"tokens": ["short"]}),
        (AssociateConfig, {"ack_sla_s": 0}),
    ],
)
def test_bad_values_are_refused(section, bad: dict) -> None:
    with pytest.raises(ValidationError):
        section.model_validate(bad)


def test_a_shop_floor_mirror_has_no_fitting_room() -> None:
    assert StoreConfig(fitting_room="").fitting_room == ""


def test_engine_config_bundles_every_section() -> None:
    config = EngineConfig()
    assert config.lighting.default_scene == "daylight"
    assert config.experiments == []
    experiment = {
        "name": "layout",
        "screen": "browse",
        "outcome": "request",
        "variants": [{"name": "grid"}, {"name": "carousel"}],
    }
    with pytest.raises(ValidationError, match="repeated: layout"):
        EngineConfig(experiments=[ExperimentConfig.model_validate(experiment)] * 2)
