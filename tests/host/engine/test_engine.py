"""The engine end to end over real stores, the sample catalogue and a real bus, with a clock
the test moves: sessions and their screens, recommendations and their guardrails, requests
and service levels, lighting, loyalty and forgetting, experiments, ratings, and a restart
that keeps the shopper's screen."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from datetime import datetime
from pathlib import Path

import pytest

from tests.host.engine.harness import Clock, Rig
from vitrine.catalog import Catalog, import_files
from vitrine.devices.beacons.device import BeaconZone
from vitrine.devices.lights import LightingCommand, LightingResult
from vitrine.devices.presence import Presence
from vitrine.devices.touch.events import CalibrationTarget, Pinch, PointerEvent, Swipe, Tap
from vitrine.engine.config import (
    AttractConfig,
    AttractSlot,
    EngineConfig,
    SessionConfig,
    StoreConfig,
)
from vitrine.engine.context import current_context
from vitrine.engine.engine import CONSENT_VERSION
from vitrine.engine.errors import ActionError
from vitrine.engine.events import RequestsChanged, ViewChanged
from vitrine.engine.experiments import ExperimentConfig, assign
from vitrine.engine.recommend import recommend
from vitrine.engine.snapshot import KEY as SNAPSHOT_KEY
from vitrine.engine.store import TABLES
from vitrine.vision.events import Expression

VIEW_KEYS = {
    "type",
    "rev",
    "session",
    "screen",
    "experiments",
    "attract",
    "recommendations",
    "requests",
    "offer_help",
    "lighting",
    "scenes",
    "store",
    "catalog",
}
LAYOUT = {
    "name": "browse-layout",
    "screen": "product",
    "outcome": "request",
    "variants": [
        {"name": "grid", "params": {"layout": "grid", "columns": 3}},
        {"name": "carousel", "params": {"layout": "carousel"}},
    ],
}
WELCOME = {
    "name": "welcome",
    "screen": "greeting",
    "outcome": "engaged",
    "variants": [{"name": "plain"}, {"name": "warm", "params": {"wave": True}}],
}


def make_rig(tmp_path: Path, catalog, **sections) -> Rig:
    experiments = [ExperimentConfig.model_validate(e) for e in sections.pop("experiments", [])]
    return Rig(tmp_path, catalog, EngineConfig(experiments=experiments, **sections))


def here(present: bool = True) -> Presence:
    return Presence(present=present, distance_mm=600.0, source="sim", t_ns=0)


def pointer(kind: str = "down") -> PointerEvent:
    return PointerEvent(
        kind=kind, id=1, x=812.5, y=431.25, x_mm=210.0, y_mm=110.0, diameter_mm=9.0,
        board="touch", t_ns=0, scan=1,
    )  # fmt: skip


def frustrated(confidence: float = 0.8) -> Expression:
    return Expression(label="frustrated", confidence=confidence, t_ns=0)


async def error_of(coro) -> tuple[str, str | None, str]:
    with pytest.raises(ActionError) as caught:
        await coro
    return caught.value.code, caught.value.field, caught.value.message


async def engaged_on_product(rig: Rig, sku: str = "SH-101") -> dict:
    return await rig.act(type="navigate", screen="product", sku=sku)


# -- the view model ---------------------------------------------------------------------------


def test_the_idle_view(rig: Rig) -> None:
    view = rig.engine.view()
    assert set(view) == VIEW_KEYS
    assert json.loads(json.dumps(view)) == view
    assert (view["type"], view["rev"]) == ("state", 0)
    assert view["session"] == {"id": None, "phase": "idle", "member": None, "consent": False}
    assert view["screen"] == {"name": "attract", "category": None, "sku": None}
    assert view["attract"]["title"] == "Welcome"
    assert (view["recommendations"], view["requests"], view["offer_help"]) == ([], [], None)
    assert view["experiments"] == {}
    assert view["lighting"] == {"scene": "daylight", "status": "pending", "detail": None}
    assert [s["name"] for s in view["scenes"]] == [
        "daylight",
        "office",
        "shop",
        "evening",
        "sunset",
    ]
    assert view["scenes"][0] == {"name": "daylight", "label": "Daylight"}
    assert view["store"] == {"id": "store-1", "mirror": "mirror-1", "fitting_room": "1"}
    assert view["catalog"] == {"rev": 0}


async def test_view_returns_a_copy(rig: Rig) -> None:
    rig.engine.view()["session"]["id"] = "tampered"
    assert rig.engine.view()["session"]["id"] is None


async def test_rev_goes_up_by_one_per_change_and_is_published(rig: Rig) -> None:
    sub = rig.bus.subscribe(ViewChanged)
    await rig.engine.handle(here())
    await rig.act(type="interaction", kind="tap", screen="greeting")
    await rig.act(type="navigate", screen="browse")
    await rig.act(type="navigate", screen="browse")  # no change
    await rig.engine.handle(LightingResult(scene="x", request_id="other", status="applied",
                                           detail=None, t_ns=0))  # fmt: skip
    assert [e.rev for e in sub.drain()] == [1, 2, 3]
    assert rig.engine.view()["rev"] == 3


# -- sessions ---------------------------------------------------------------------------------


async def test_arrival_greets_and_starts_a_session(rig: Rig) -> None:
    await rig.engine.handle(here())
    view = rig.engine.view()
    sid = view["session"]["id"]
    assert len(sid) == 32 and int(sid, 16) >= 0
    assert (view["session"]["phase"], view["screen"]["name"], view["attract"]) == (
        "approached",
        "greeting",
        None,
    )
    row = rig.store.session(sid)
    assert (row["phase"], row["approached_at"], row["engaged_at"]) == (
        "approached",
        rig.clock.wall_now,
        None,
    )


async def test_approach_without_interaction_times_out(rig: Rig) -> None:
    await rig.engine.handle(here())
    sid = rig.engine.view()["session"]["id"]
    assert (await rig.at(19.9))["screen"]["name"] == "greeting"
    view = await rig.at(0.1)
    assert (view["session"]["phase"], view["screen"]["name"]) == ("idle", "attract")
    row = rig.store.session(sid)
    assert (row["end_reason"], row["phase"], row["engaged_at"]) == ("timeout", "ended", None)


async def test_interaction_engages_the_greeted_shopper(rig: Rig) -> None:
    await rig.engine.handle(here())
    rig.clock.advance(3)
    await rig.engine.handle(Tap(id=1, x=5.0, y=5.0, t_ns=0))
    view = rig.engine.view()
    assert (view["session"]["phase"], view["screen"]["name"]) == ("engaged", "home")
    assert rig.store.session(view["session"]["id"])["engaged_at"] == rig.clock.wall_now


async def test_touching_while_idle_engages_without_detection(rig: Rig) -> None:
    await rig.engine.handle(pointer("down"))
    view = rig.engine.view()
    sid = view["session"]["id"]
    assert (view["session"]["phase"], view["screen"]["name"]) == ("engaged", "greeting")
    assert (await rig.at(4.0))["screen"]["name"] == "home"
    row = rig.store.session(sid)
    assert row["approached_at"] is None and row["engaged_at"] is not None


async def test_touches_during_a_touch_calibration_are_not_a_shoppers(rig: Rig) -> None:
    """A technician touching the calibration targets starts no session and counts as no
    interaction; once the calibration is over, a touch engages as usual."""
    await rig.engine.handle(CalibrationTarget(step=1, of=4, x=192.0, y=108.0, text="touch"))
    for event in (pointer("down"), pointer("up"), Tap(id=1, x=192.0, y=108.0, t_ns=0)):
        await rig.engine.handle(event)
    view = rig.engine.view()
    assert (view["session"]["phase"], view["screen"]["name"]) == ("idle", "attract")
    assert rig.rows("session") == [] and rig.rows("interaction") == []
    await rig.engine.handle(CalibrationTarget.over())
    await rig.engine.handle(pointer("down"))
    assert rig.engine.view()["session"]["phase"] == "engaged"


async def test_calibration_touches_do_not_keep_a_shoppers_session_alive(rig: Rig) -> None:
    await rig.engine.handle(pointer("down"))
    sid = rig.engine.view()["session"]["id"]
    await rig.engine.handle(CalibrationTarget(step=2, of=4, x=1728.0, y=108.0, text="touch"))
    assert (await rig.at(30))["session"]["phase"] == "engaged"
    await rig.engine.handle(pointer("down"))  # a shopper's touch would restart the 45 s
    await rig.at(20)  # 50 s after the shopper's last touch: the session has timed out
    assert rig.store.session(sid)["end_reason"] == "timeout"


async def test_touches_are_stored_without_positions(rig: Rig) -> None:
    await rig.engine.handle(pointer("down"))
    rev = rig.engine.view()["rev"]
    await rig.engine.handle(pointer("move"))
    await rig.engine.handle(pointer("up"))
    assert rig.engine.view()["rev"] == rev
    await rig.engine.handle(Tap(id=1, x=812.5, y=431.25, t_ns=0))  # greeting -> home
    await rig.engine.handle(
        Swipe(id=2, direction="left", velocity=900.0, distance=300.0, x=812.5, y=431.25, t_ns=0)
    )
    for phase in ("begin", "update", "update", "end"):
        await rig.engine.handle(Pinch(phase=phase, scale=1.5, x=812.5, y=431.25, t_ns=0))
    sid = rig.engine.view()["session"]["id"]
    rows = rig.store.interactions(sid)
    # the pinch's begin and end, at once: one row, counted twice
    assert [(r["kind"], r["screen"], r["count"]) for r in rows] == [
        ("pointer", "attract", 1),
        ("tap", "greeting", 1),
        ("swipe", "home", 1),
        ("pinch", "home", 2),
    ]
    columns = rig.rows("interaction")[0].keys()
    assert set(columns) == {"session", "at", "kind", "screen", "detail", "count", "last_at"}
    # neither as a value nor in the words (the session id and the times are other numbers,
    # which may hold these digits by chance)
    for row in rig.rows("interaction"):
        assert 812.5 not in row.values() and 431.25 not in row.values()
        words = json.dumps([row["kind"], row["screen"], row["detail"]])
        assert "812" not in words and "431" not in words


async def test_page_interactions_and_navigation_are_stored(rig: Rig) -> None:
    await rig.act(type="interaction", kind="tap", screen="attract")
    await rig.act(type="navigate", screen="browse", category="knitwear")
    await rig.act(type="navigate", screen="product", sku="KN-201")
    await rig.act(type="interaction", kind="scroll", screen="product")
    sid = rig.engine.view()["session"]["id"]
    assert [(r["kind"], r["screen"], r["detail"]) for r in rig.store.interactions(sid)] == [
        ("tap", "attract", "page"),
        ("navigate", "browse", '{"category": "knitwear"}'),
        ("navigate", "product", '{"sku": "KN-201"}'),
        ("scroll", "product", "page"),
    ]


async def test_engaged_shopper_who_stops_times_out_to_rating_thanks_attract(rig: Rig) -> None:
    await rig.act(type="navigate", screen="home")
    sid = rig.engine.view()["session"]["id"]
    assert (await rig.at(44.9))["session"]["phase"] == "engaged"
    view = await rig.at(0.1)
    assert (view["session"]["phase"], view["screen"]["name"]) == ("ended", "rating")
    assert view["session"]["id"] == sid
    assert rig.store.session(sid)["end_reason"] == "timeout"
    assert (await rig.at(19.9))["screen"]["name"] == "rating"
    assert (await rig.at(0.1))["screen"]["name"] == "thanks"
    assert (await rig.at(1.9))["screen"]["name"] == "thanks"
    view = await rig.at(0.1)
    assert (view["session"], view["screen"]["name"]) == (
        {"id": None, "phase": "idle", "member": None, "consent": False},
        "attract",
    )
    assert view["attract"] is not None


async def test_a_shopper_who_walks_away_has_left(rig: Rig) -> None:
    await rig.engine.handle(here())
    await rig.act(type="navigate", screen="home")
    sid = rig.engine.view()["session"]["id"]
    rig.clock.advance(1)
    await rig.engine.handle(here(False))
    assert (await rig.at(7.9))["session"]["phase"] == "engaged"
    assert (await rig.at(0.1))["screen"]["name"] == "rating"
    assert rig.store.session(sid)["end_reason"] == "left"


async def test_the_shopper_ends_the_session(rig: Rig) -> None:
    assert (await error_of(rig.act(type="end")))[0] == "not_allowed"
    await rig.act(type="navigate", screen="home")
    sid = rig.engine.view()["session"]["id"]
    view = await rig.act(type="end")
    assert (view["session"]["phase"], view["screen"]["name"]) == ("ended", "rating")
    assert rig.store.session(sid)["end_reason"] == "ended_by_shopper"
    assert (await error_of(rig.act(type="end")))[0] == "not_allowed"


async def test_only_some_actions_are_taken_once_a_session_has_ended(rig: Rig) -> None:
    await rig.act(type="navigate", screen="home")
    old = rig.engine.view()["session"]["id"]
    await rig.act(type="end")
    for action in (
        {"type": "light", "scene": "evening"},
        {"type": "request", "kind": "help"},
        {"type": "consent", "accept": True},
    ):
        assert (await error_of(rig.act(**action)))[0] == "not_allowed"
    await rig.act(type="interaction", kind="tap", screen="rating")
    assert rig.engine.view()["session"]["id"] == old
    view = await rig.act(type="navigate", screen="browse")
    assert view["session"]["id"] != old
    assert (view["session"]["phase"], view["screen"]["name"]) == ("engaged", "browse")


# -- recommendations and guardrails -----------------------------------------------------------


def expected(rig: Rig, **kw) -> list[dict]:
    context = current_context(rig.config.context, datetime.fromtimestamp(rig.clock.wall_now))
    return recommend(rig.catalog, context, store="store-1", limit=4, **kw)


async def test_recommendations_on_home_product_and_look_screens(rig: Rig) -> None:
    view = await engaged_on_product(rig, "SH-101")
    assert view["recommendations"] == expected(rig, sku="SH-101")
    assert view["recommendations"]
    assert all(set(r) == {"sku", "score", "reasons"} for r in view["recommendations"])
    view = await rig.act(type="navigate", screen="look", sku="TR-401")
    assert view["recommendations"] == expected(rig, sku="TR-401")
    view = await rig.act(type="navigate", screen="home")
    assert view["recommendations"] == expected(rig)
    for screen in ("browse", "help", "lighting", "loyalty", "wishlist", "rating"):
        assert (await rig.act(type="navigate", screen=screen))["recommendations"] == []


async def test_a_catalogue_import_elsewhere_is_noticed_and_recommended_afresh(
    rig: Rig, tmp_path: Path
) -> None:
    view = await engaged_on_product(rig, "SH-101")
    before = view["recommendations"]
    assert any("goes" in " ".join(r["reasons"]).lower() for r in before)
    # `vitrine catalog import --replace goes_with.csv` from another process meanwhile
    feed = tmp_path / "feed" / "goes_with.csv"
    feed.parent.mkdir()
    feed.write_text("sku,other_sku,weight,reason\n", encoding="utf-8")
    with Catalog.open(rig.catalog.path, rig.catalog.media_dir) as other:
        import_files(other, [feed], replace=True)
    view = await rig.at(0.25)
    assert view["catalog"] == {"rev": 1}
    assert view["recommendations"] == expected(rig, sku="SH-101") != before
    assert (await rig.at(0.25))["catalog"] == {"rev": 1}  # nothing new: no change


async def test_recommendations_use_the_size_last_asked_for(rig: Rig) -> None:
    await engaged_on_product(rig, "SH-101")
    view = await rig.act(type="request", kind="size", variant="SH-101-WHIT-M")
    assert view["recommendations"] == []  # the shopper waits for an associate
    rid = view["requests"][0]["id"]
    await rig.engine.acknowledge(rid, "Ana")
    assert rig.engine.view()["recommendations"] == []
    await rig.engine.fulfil(rid, "Ana")
    assert rig.engine.view()["recommendations"] == expected(rig, sku="SH-101", size="M")
    reasons = [r for rec in rig.engine.view()["recommendations"] for r in rec["reasons"]]
    assert "In stock in M" in reasons


async def test_frustration_offers_help_instead_of_products(rig: Rig) -> None:
    await rig.engine.handle(here())
    await rig.engine.handle(frustrated())
    assert rig.engine.view()["offer_help"] is None  # not engaged yet
    await engaged_on_product(rig)
    await rig.engine.handle(frustrated(0.59))
    assert rig.engine.view()["offer_help"] is None
    await rig.engine.handle(Expression(label="happy", confidence=0.99, t_ns=0))
    assert rig.engine.view()["offer_help"] is None
    await rig.engine.handle(frustrated(0.6))
    view = rig.engine.view()
    assert (view["offer_help"], view["recommendations"]) == ({"reason": "frustrated"}, [])
    view = await rig.act(type="interaction", kind="tap", screen="product")
    assert view["offer_help"] is None
    assert view["recommendations"] == expected(rig, sku="SH-101")


async def test_a_stalled_shopper_is_offered_help(rig: Rig) -> None:
    await engaged_on_product(rig)
    assert (await rig.at(29.9))["offer_help"] is None
    view = await rig.at(0.1)
    assert (view["offer_help"], view["recommendations"]) == ({"reason": "stalled"}, [])
    view = await rig.act(type="navigate", screen="help")
    assert view["offer_help"] is None


async def test_a_shopper_waiting_for_an_associate_is_neither_offered_help_nor_timed_out(
    rig: Rig,
) -> None:
    await engaged_on_product(rig)
    await rig.act(type="request", kind="size", variant="SH-101-WHIT-M")
    # changing in the fitting room: no touch for minutes while "on the way" shows
    view = await rig.at(30.0)
    assert (view["offer_help"], view["session"]["phase"]) == (None, "engaged")
    await rig.engine.handle(frustrated(0.9))
    assert rig.engine.view()["offer_help"] is None  # they asked already
    view = await rig.at(600.0)
    assert (view["offer_help"], view["session"]["phase"]) == (None, "engaged")
    # the associate brings the size: the idle time counts afresh from then
    (item,) = await rig.engine.requests()
    await rig.engine.fulfil(item["id"], "Sam")
    assert (await rig.at(29.9))["offer_help"] is None
    assert (await rig.at(0.1))["offer_help"] == {"reason": "stalled"}
    assert (await rig.at(14.9))["session"]["phase"] == "engaged"
    assert (await rig.at(0.1))["session"]["phase"] == "ended"


async def test_asking_for_an_associate_withdraws_the_help_offer(rig: Rig) -> None:
    await engaged_on_product(rig)
    assert (await rig.at(30.0))["offer_help"] == {"reason": "stalled"}
    view = await rig.act(type="request", kind="help")
    assert view["offer_help"] is None
    assert [r["status"] for r in view["requests"]] == ["pending"]


# -- requests ---------------------------------------------------------------------------------


async def test_request_lifecycle_reaches_the_page_and_the_queue(rig: Rig) -> None:
    await engaged_on_product(rig)
    sub = rig.bus.subscribe(ViewChanged, RequestsChanged)
    view = await rig.act(type="request", kind="size", variant="SH-101-WHIT-M")
    published = sub.drain()
    assert RequestsChanged(rev=1) in published
    assert ViewChanged(rev=view["rev"]) in published
    item = view["requests"][0]
    assert item == {
        "id": item["id"],
        "kind": "size",
        "sku": "SH-101",
        "variant": "SH-101-WHIT-M",
        "label": "Linen Shirt — M, White",
        "status": "pending",
        "associate": None,
        "created_at": rig.clock.wall_now,
        "acknowledged_at": None,
    }
    queue = await rig.engine.requests()
    assert [(q["id"], q["fitting_room"], q["sla"], q["age_s"]) for q in queue] == [
        (item["id"], "1", "ok", 0.0)
    ]

    rig.clock.advance(20)
    acked = await rig.engine.acknowledge(item["id"], "Ana")
    assert (acked["status"], acked["acknowledged_by"], acked["sla"]) == (
        "acknowledged",
        "Ana",
        "ok",
    )
    shown = rig.engine.view()["requests"][0]
    assert (shown["status"], shown["associate"]) == ("acknowledged", "Ana")
    assert [type(e) for e in sub.drain()] == [RequestsChanged, ViewChanged]

    rig.clock.advance(40)
    done = await rig.engine.fulfil(item["id"], "Ana")
    assert (done["status"], done["fulfil_s"]) == ("fulfilled", 60.0)
    assert rig.engine.view()["requests"][0]["status"] == "fulfilled"
    assert (await rig.engine.requests()) == []
    assert [r["id"] for r in await rig.engine.requests(open_only=False)] == [item["id"]]


async def test_associate_errors(rig: Rig) -> None:
    view = await rig.act(type="request", kind="help")
    rid = view["requests"][0]["id"]
    assert (await error_of(rig.engine.acknowledge("0" * 32, "Ana")))[0] == "not_found"
    assert (await error_of(rig.engine.fulfil("0" * 32, "Ana")))[0] == "not_found"
    assert (await error_of(rig.engine.acknowledge(rid, "")))[:2] == ("bad_message", "name")
    assert (await error_of(rig.engine.acknowledge(rid, "x" * 41)))[:2] == ("bad_message", "name")
    await rig.engine.acknowledge(rid, "Ana")
    assert (await error_of(rig.engine.acknowledge(rid, "Ben")))[0] == "conflict"
    await rig.engine.fulfil(rid, "Ben")
    assert (await error_of(rig.engine.fulfil(rid, "Ben")))[0] == "conflict"


async def test_requests_the_session_may_not_make(rig: Rig) -> None:
    code, field, _ = await error_of(rig.act(type="request", kind="size", variant="NOPE-1"))
    assert (code, field) == ("not_found", "variant")
    assert rig.rows("session") == []  # a refused request starts nothing
    await rig.act(type="request", kind="size", variant="SH-101-WHIT-M")
    code, *_ = await error_of(rig.act(type="request", kind="size", variant="SH-101-WHIT-M"))
    assert code == "conflict"
    for v in ("SH-101-WHIT-S", "SH-101-WHIT-L", "SH-101-WHIT-XL"):
        await rig.act(type="request", kind="size", variant=v)
    await rig.act(type="request", kind="help")
    code, *_ = await error_of(rig.act(type="request", kind="colour", variant="SH-101-SKYB-M"))
    assert code == "not_allowed"
    assert len(await rig.engine.requests()) == 5


async def test_the_shopper_cancels_a_request(rig: Rig) -> None:
    assert (await error_of(rig.act(type="cancel_request", id="0" * 32)))[:2] == ("not_found", "id")
    view = await rig.act(type="request", kind="help")
    rid = view["requests"][0]["id"]
    sub = rig.bus.subscribe(RequestsChanged)
    view = await rig.act(type="cancel_request", id=rid)
    assert view["requests"][0]["status"] == "cancelled"
    assert len(sub.drain()) == 1
    assert (await error_of(rig.act(type="cancel_request", id=rid)))[0] == "conflict"


async def test_late_and_escalated_requests_reach_the_queue(rig: Rig, caplog) -> None:
    caplog.set_level(logging.WARNING, logger="vitrine.engine")
    view = await rig.act(type="request", kind="size", variant="SH-101-WHIT-M")
    rid = view["requests"][0]["id"]
    sub = rig.bus.subscribe(RequestsChanged)
    await rig.at(30)
    assert sub.drain() == []
    await rig.at(30.5)  # 60.5 s unacknowledged
    assert len(sub.drain()) == 1
    assert (await rig.engine.requests())[0]["sla"] == "late"
    await rig.engine.handle(here())  # keep the session going meanwhile
    await rig.act(type="interaction", kind="tap", screen="home")
    sub.drain()
    await rig.at(60)  # 120.5 s
    assert len(sub.drain()) == 1
    item = (await rig.engine.requests())[0]
    assert (item["sla"], item["escalated_at"]) == ("escalated", rig.clock.wall_now)
    await rig.at(10)
    assert sub.drain() == []
    assert len([r for r in caplog.records if "escalated" in r.getMessage()]) == 1
    acked = await rig.engine.acknowledge(rid, "Ana")
    assert (acked["sla"], acked["escalated_at"]) == ("ok", item["escalated_at"])


# -- lighting ---------------------------------------------------------------------------------


async def test_lighting_round_trip(rig: Rig) -> None:
    sub = rig.bus.subscribe(LightingCommand)
    view = await rig.act(type="light", scene="evening")
    assert view["lighting"] == {"scene": "evening", "status": "pending", "detail": None}
    [command] = sub.drain()
    assert command.scene == "evening" and len(command.request_id) == 32
    await rig.engine.handle(LightingResult(scene="evening", request_id="stale", status="failed",
                                           detail="old", t_ns=0))  # fmt: skip
    assert rig.engine.view()["lighting"]["status"] == "pending"
    rig.bus.publish(LightingResult(scene="evening", request_id=command.request_id,
                                   status="applied", detail=None, t_ns=0))  # fmt: skip
    await rig.engine.handle(
        LightingResult(
            scene="evening",
            request_id=command.request_id,
            status="applied",
            detail=None,
            t_ns=0,
        )
    )
    assert rig.engine.view()["lighting"] == {
        "scene": "evening",
        "status": "applied",
        "detail": None,
    }

    await rig.act(type="light", scene="sunset")
    [command] = sub.drain()
    await rig.engine.handle(
        LightingResult(
            scene="sunset",
            request_id=command.request_id,
            status="failed",
            detail="lights board: no ACK after 3 tries",
            t_ns=0,
        )
    )
    assert rig.engine.view()["lighting"] == {
        "scene": "sunset",
        "status": "failed",
        "detail": "lights board: no ACK after 3 tries",
    }


async def test_no_lights_board(rig: Rig) -> None:
    sub = rig.bus.subscribe(LightingCommand)
    await rig.act(type="light", scene="office")
    [command] = sub.drain()
    await rig.engine.handle(LightingResult(scene="office", request_id=command.request_id,
                                           status="no_device", detail=None, t_ns=0))  # fmt: skip
    assert rig.engine.view()["lighting"]["status"] == "no_device"


async def test_an_unknown_scene_names_the_allowed_ones(rig: Rig) -> None:
    code, field, message = await error_of(rig.act(type="light", scene="disco"))
    assert (code, field) == ("bad_message", "scene")
    assert "daylight, office, shop, evening, sunset" in message
    assert rig.rows("session") == []


async def test_the_default_scene_returns_when_the_session_ends(rig: Rig) -> None:
    await rig.act(type="light", scene="evening")
    sub = rig.bus.subscribe(LightingCommand)
    await rig.act(type="end")
    [command] = sub.drain()
    assert command.scene == "daylight"
    assert rig.engine.view()["lighting"] == {
        "scene": "daylight",
        "status": "pending",
        "detail": None,
    }


async def test_an_unanswered_command_is_sent_again_twice(rig: Rig) -> None:
    sub = rig.bus.subscribe(LightingCommand)
    await rig.act(type="light", scene="evening")
    first = sub.drain()[0]
    for _ in range(4):
        await rig.at(5)
    again = sub.drain()
    assert [c.request_id for c in again] == [first.request_id] * 2


# -- the run loop -----------------------------------------------------------------------------


async def test_run_consumes_the_bus_and_saves_on_stop(rig: Rig) -> None:
    sub = rig.bus.subscribe(ViewChanged, LightingCommand)
    task = asyncio.create_task(rig.engine.run())
    command = await sub.next(LightingCommand, timeout=2.0)
    assert command.scene == "daylight"  # the lights are set to the current scene on start
    rig.bus.publish(here())
    await sub.next(ViewChanged, timeout=2.0)
    assert rig.engine.view()["screen"]["name"] == "greeting"
    rig.bus.publish(LightingResult(scene="daylight", request_id=command.request_id,
                                   status="applied", detail=None, t_ns=0))  # fmt: skip
    await sub.next(ViewChanged, timeout=2.0)
    assert rig.engine.view()["lighting"]["status"] == "applied"
    rig.bus.publish(pointer("down"))
    await sub.next(ViewChanged, timeout=2.0)
    view = rig.engine.view()
    assert view["session"]["phase"] == "engaged"
    # recorded before the view that shows it was published
    assert [r["kind"] for r in rig.store.interactions(view["session"]["id"])] == ["pointer"]
    rig.store.clear_snapshot(SNAPSHOT_KEY)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    data, _ = rig.store.load_snapshot(SNAPSHOT_KEY)
    assert data["session"]["id"] == rig.engine.view()["session"]["id"]


async def test_run_ticks_on_its_clock(rig: Rig) -> None:
    sub = rig.bus.subscribe(ViewChanged)
    await rig.engine.handle(here())
    sub.drain()
    task = asyncio.create_task(rig.engine.run())
    await asyncio.sleep(0.05)
    rig.clock.advance(25)  # past the approach timeout: the next tick sends it back to idle
    await sub.next(ViewChanged, timeout=2.0)
    assert rig.engine.view()["session"]["phase"] == "idle"
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


# -- loyalty ----------------------------------------------------------------------------------


async def test_consent_then_enrol_shows_the_member(rig: Rig) -> None:
    rig.store.add_purchase("M-2001", "TR-401", rig.clock.wall_now - 86400, "store-1")
    code, *_ = await error_of(rig.act(type="enrol", loyalty_id="M-2001"))
    assert code == "not_allowed"
    await rig.act(type="navigate", screen="loyalty")
    code, *_ = await error_of(rig.act(type="enrol", loyalty_id="M-2001"))
    assert code == "not_allowed"
    view = await rig.act(type="consent", accept=True)
    assert (view["screen"]["name"], view["session"]["consent"]) == ("enrol", True)
    assert rig.rows("member") == []  # consent alone records nothing
    view = await rig.act(type="enrol", loyalty_id="M-2001")
    assert view["screen"]["name"] == "loyalty"
    assert view["session"]["member"] == {
        "loyalty_id": "M-2001",
        "wishlist": [],
        "purchases": [{"sku": "TR-401", "at": rig.clock.wall_now - 86400}],
    }
    member = rig.store.member("M-2001")
    assert (member["consent_at"], member["consent_version"]) == (
        rig.clock.wall_now,
        CONSENT_VERSION,
    )
    assert rig.store.session(view["session"]["id"])["member"] == "M-2001"
    code, field, _ = await error_of(rig.act(type="enrol", loyalty_id="M-3003"))
    assert (code, field) == ("conflict", "loyalty_id")
    await rig.act(type="enrol", loyalty_id="M-2001")  # the same id again is fine
    code, *_ = await error_of(rig.act(type="consent", accept=False))
    assert code == "not_allowed"


async def test_declining_consent_goes_home(rig: Rig) -> None:
    await rig.act(type="navigate", screen="loyalty")
    view = await rig.act(type="consent", accept=False)
    assert (view["screen"]["name"], view["session"]["consent"]) == ("home", False)


async def test_the_wishlist_is_for_members(rig: Rig) -> None:
    await engaged_on_product(rig)
    code, *_ = await error_of(rig.act(type="wishlist", sku="SH-101", add=True))
    assert code == "not_allowed"
    await rig.act(type="consent", accept=True)
    await rig.act(type="enrol", loyalty_id="M-2001")
    code, field, _ = await error_of(rig.act(type="wishlist", sku="NOPE-1", add=True))
    assert (code, field) == ("not_found", "sku")
    await rig.act(type="wishlist", sku="SH-101", add=True)
    view = await rig.act(type="wishlist", sku="KN-201", add=True)
    assert view["session"]["member"]["wishlist"] == ["SH-101", "KN-201"]
    view = await rig.act(type="wishlist", sku="SH-101", add=False)
    assert view["session"]["member"]["wishlist"] == ["KN-201"]
    view = await rig.act(type="navigate", screen="home")
    assert view["recommendations"] == expected(rig, member={"wishlist": ["KN-201"]})


async def test_forget_leaves_no_row_naming_the_member(rig: Rig) -> None:
    rig.store.add_purchase("M-4242", "TR-401", rig.clock.wall_now - 10, "store-1")
    await rig.act(type="navigate", screen="loyalty")
    await rig.act(type="consent", accept=True)
    await rig.act(type="enrol", loyalty_id="M-4242")
    await rig.act(type="wishlist", sku="SH-101", add=True)
    sid = rig.engine.view()["session"]["id"]
    view = await rig.act(type="forget")
    assert view["session"] == {"id": sid, "phase": "engaged", "member": None, "consent": False}
    assert view["screen"]["name"] == "home"
    for table in TABLES:
        for row in rig.rows(table):
            assert "M-4242" not in json.dumps(row), table
    assert rig.store.session(sid)["member"] is None
    assert (await error_of(rig.act(type="forget")))[0] == "not_allowed"
    assert (await error_of(rig.act(type="wishlist", sku="SH-101", add=True)))[0] == "not_allowed"
    assert (await error_of(rig.act(type="enrol", loyalty_id="M-4242")))[0] == "not_allowed"
    # a restart does not bring them back
    assert rig.restart().view()["session"]["member"] is None


async def test_consent_and_membership_end_with_the_session(rig: Rig) -> None:
    await rig.act(type="navigate", screen="loyalty")
    await rig.act(type="consent", accept=True)
    await rig.act(type="enrol", loyalty_id="M-2001")
    await rig.act(type="end")
    view = await rig.act(type="navigate", screen="home")  # a new session
    assert view["session"]["member"] is None and view["session"]["consent"] is False
    assert rig.store.member("M-2001") is not None  # the member stays enrolled


def at_mirror(member: str, zone: str = "at_mirror") -> BeaconZone:
    return BeaconZone(member=member, zone=zone, previous="in_store", t_ns=0)


async def test_a_members_phone_at_the_mirror_greets_them_signed_in(rig: Rig) -> None:
    rig.store.enrol_member("M-2001", CONSENT_VERSION, rig.clock.wall_now - 86400)
    rig.store.wishlist_add("M-2001", "SH-101", rig.clock.wall_now - 3600)
    await rig.engine.handle(at_mirror("M-2001", "in_store"))  # in the shop: nothing yet
    assert rig.engine.view()["session"]["phase"] == "idle"
    await rig.engine.handle(at_mirror("M-2001"))
    view = rig.engine.view()
    assert (view["session"]["phase"], view["screen"]["name"]) == ("approached", "greeting")
    assert view["session"]["consent"] is True
    assert view["session"]["member"]["loyalty_id"] == "M-2001"
    assert view["session"]["member"]["wishlist"] == ["SH-101"]
    sid = view["session"]["id"]
    assert rig.store.session(sid)["member"] == "M-2001"
    # nobody touches the glass: the session times out as an approach does
    view = await rig.at(rig.config.session.approach_timeout_s + 1)
    assert rig.store.session(sid)["end_reason"] == "timeout"


async def test_a_phone_never_takes_over_a_session_on_the_glass(rig: Rig) -> None:
    for member in ("M-2001", "M-3003"):
        rig.store.enrol_member(member, CONSENT_VERSION, rig.clock.wall_now)
    await rig.engine.handle(here())  # somebody is at the mirror already
    sid = rig.engine.view()["session"]["id"]
    await rig.engine.handle(at_mirror("M-2001"))  # ... perhaps not the phone's owner
    view = rig.engine.view()
    assert view["session"]["id"] == sid and view["session"]["member"] is None
    assert rig.store.session(sid)["member"] is None
    # a member signed in stays who they are when another member's phone comes near
    await rig.act(type="navigate", screen="loyalty")
    await rig.act(type="consent", accept=True)
    await rig.act(type="enrol", loyalty_id="M-3003")
    await rig.engine.handle(at_mirror("M-2001"))
    assert rig.engine.view()["session"]["member"]["loyalty_id"] == "M-3003"


async def test_a_forgotten_members_phone_or_a_mirror_that_does_not_greet_starts_nothing(
    tmp_path: Path, catalog
) -> None:
    rig = make_rig(tmp_path, catalog)
    await rig.engine.handle(at_mirror("M-NOT-ENROLLED"))  # forgotten since the zone changed
    assert rig.engine.view()["session"]["phase"] == "idle"
    quiet = make_rig(
        tmp_path / "quiet", catalog, session=SessionConfig(greet_members_by_phone=False)
    )
    quiet.store.enrol_member("M-2001", CONSENT_VERSION, quiet.clock.wall_now)
    await quiet.engine.handle(at_mirror("M-2001"))
    assert quiet.engine.view()["session"]["phase"] == "idle"


async def test_the_engine_takes_beacon_zones_from_the_bus(rig: Rig) -> None:
    rig.store.enrol_member("M-2001", CONSENT_VERSION, rig.clock.wall_now)
    task = asyncio.create_task(rig.engine.run())
    try:
        await asyncio.sleep(0.05)
        rig.bus.publish(at_mirror("M-2001"))
        for _ in range(100):
            await asyncio.sleep(0.01)
            if rig.engine.view()["session"]["member"] is not None:
                break
        assert rig.engine.view()["session"]["member"]["loyalty_id"] == "M-2001"
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


# -- ratings ----------------------------------------------------------------------------------


async def test_rating_ends_the_session_with_thanks(rig: Rig) -> None:
    assert (await error_of(rig.act(type="rate", csat=5)))[0] == "not_allowed"
    await rig.engine.handle(here())
    assert (await error_of(rig.act(type="rate", csat=5)))[0] == "not_allowed"
    await rig.act(type="navigate", screen="rating")
    sid = rig.engine.view()["session"]["id"]
    view = await rig.act(type="rate", csat=4, nps=9)
    assert (view["session"]["phase"], view["screen"]["name"]) == ("ended", "thanks")
    assert rig.store.rating(sid) == {"session": sid, "csat": 4, "nps": 9, "at": rig.clock.wall_now}
    assert rig.store.session(sid)["end_reason"] == "ended_by_shopper"
    assert (await error_of(rig.act(type="rate", csat=1)))[0] == "conflict"
    assert (await rig.at(2.0))["screen"]["name"] == "attract"


async def test_rating_after_a_timeout(rig: Rig) -> None:
    await rig.act(type="navigate", screen="home")
    sid = rig.engine.view()["session"]["id"]
    await rig.at(50)
    view = await rig.act(type="rate", csat=2)
    assert view["screen"]["name"] == "thanks"
    assert rig.store.rating(sid)["nps"] is None
    assert rig.store.session(sid)["end_reason"] == "timeout"


async def test_a_bad_rating_is_a_bad_message(rig: Rig) -> None:
    await rig.act(type="navigate", screen="rating")
    code, field, _ = await error_of(rig.engine.act({"type": "rate", "csat": 9}))
    assert (code, field) == ("bad_message", "csat")
    assert rig.rows("rating") == []


# -- experiments ------------------------------------------------------------------------------


async def test_variants_are_assigned_at_session_start(tmp_path: Path, catalog) -> None:
    rig = make_rig(tmp_path, catalog, experiments=[LAYOUT, WELCOME])
    await rig.engine.handle(here())
    view = rig.engine.view()
    sid = view["session"]["id"]
    layout = assign(ExperimentConfig.model_validate(LAYOUT), sid)
    welcome = assign(ExperimentConfig.model_validate(WELCOME), sid)
    assert view["experiments"] == {
        "browse-layout": {"variant": layout.name, "params": dict(layout.params)},
        "welcome": {"variant": welcome.name, "params": dict(welcome.params)},
    }
    # the greeting was shown: exposure for "welcome" only
    assert [(r["experiment"], r["variant"]) for r in rig.rows("exposure")] == [
        ("welcome", welcome.name)
    ]
    await rig.act(type="interaction", kind="tap", screen="greeting")  # engaged: its outcome
    assert [(r["experiment"], r["outcome"]) for r in rig.rows("outcome")] == [
        ("welcome", "engaged")
    ]
    rig.store.close()


async def test_exposure_and_outcome_are_counted_once_per_session(tmp_path: Path, catalog) -> None:
    rig = make_rig(tmp_path, catalog, experiments=[LAYOUT])
    for n in range(6):
        await rig.act(type="navigate", screen="product", sku="SH-101")
        await rig.act(type="navigate", screen="home")
        await rig.act(type="navigate", screen="product", sku="KN-201")
        if n % 2 == 0:
            await rig.act(type="request", kind="size", variant="SH-101-WHIT-M")
            await rig.act(type="request", kind="help")
        await rig.act(type="end")
    # a session that never sees the product screen is not exposed, even when it converts
    await rig.act(type="navigate", screen="home")
    await rig.act(type="request", kind="help")
    await rig.act(type="end")
    assert len(rig.rows("exposure")) == 6
    assert len(rig.rows("outcome")) == 4
    results = await rig.engine.experiment_results("browse-layout")
    assert (results["experiment"], results["screen"], results["outcome"]) == (
        "browse-layout",
        "product",
        "request",
    )
    by_name = {v["name"]: v for v in results["variants"]}
    assert sum(v["exposed"] for v in by_name.values()) == 6
    assert sum(v["converted"] for v in by_name.values()) == 3
    assert set(by_name) == {"grid", "carousel"}
    assert "p_value" in results and "significant" in results
    code, field, _ = await error_of(_results(rig, "nope"))
    assert (code, field) == ("not_found", "name")
    rig.store.close()


async def _results(rig: Rig, name: str) -> dict:
    return await rig.engine.experiment_results(name)


async def test_wishlist_and_rating_outcomes(tmp_path: Path, catalog) -> None:
    wish = {**LAYOUT, "name": "wish", "screen": "product", "outcome": "add_to_wishlist"}
    rate = {**LAYOUT, "name": "rate", "screen": "home", "outcome": "rating"}
    rig = make_rig(tmp_path, catalog, experiments=[wish, rate])
    await engaged_on_product(rig)
    await rig.act(type="consent", accept=True)
    await rig.act(type="enrol", loyalty_id="M-5005")
    await rig.act(type="wishlist", sku="SH-101", add=True)
    await rig.act(type="wishlist", sku="KN-201", add=True)
    await rig.act(type="navigate", screen="home")
    await rig.act(type="rate", csat=5)
    assert sorted((r["experiment"], r["outcome"]) for r in rig.rows("outcome")) == [
        ("rate", "rating"),
        ("wish", "add_to_wishlist"),
    ]
    rig.store.close()


# -- the attract loop -------------------------------------------------------------------------


async def test_the_attract_loop_cycles_while_idle(tmp_path: Path, catalog) -> None:
    slots = [
        AttractSlot(title="Rain ready", category="outerwear", weather=["rain"]),
        AttractSlot(title="Weekend", days=["sat", "sun"]),
        AttractSlot(title="Everyday"),
    ]
    rig = make_rig(tmp_path, catalog, attract=AttractConfig(cycle_s=5.0, slot=slots))
    assert rig.engine.view()["attract"]["title"] == "Weekend"  # a Saturday, weather unknown
    assert (await rig.at(5))["attract"]["title"] == "Everyday"
    assert (await rig.at(5))["attract"]["title"] == "Weekend"
    await rig.act(type="navigate", screen="home")
    assert rig.engine.view()["attract"] is None
    rig.store.close()


# -- snapshot and restore ---------------------------------------------------------------------


async def test_the_snapshot_follows_each_change(rig: Rig) -> None:
    await rig.act(type="navigate", screen="product", sku="SH-101")
    data, at = rig.store.load_snapshot(SNAPSHOT_KEY)
    assert data["session"]["screen"] == {"name": "product", "category": None, "sku": "SH-101"}
    assert at == rig.clock.wall_now
    await rig.act(type="navigate", screen="browse", category="shirts")
    data, _ = rig.store.load_snapshot(SNAPSHOT_KEY)
    assert data["session"]["screen"]["name"] == "browse"
    await rig.act(type="end")
    await rig.at(30)
    assert rig.store.load_snapshot(SNAPSHOT_KEY) is None  # idle: nothing to restore


async def test_a_restart_keeps_the_shoppers_screen(tmp_path: Path, catalog) -> None:
    rig = make_rig(tmp_path, catalog, experiments=[LAYOUT])
    await rig.act(type="navigate", screen="loyalty")
    await rig.act(type="consent", accept=True)
    await rig.act(type="enrol", loyalty_id="M-2001")
    await rig.act(type="navigate", screen="product", sku="SH-101")
    await rig.act(type="request", kind="size", variant="SH-101-WHIT-M")
    (request,) = rig.engine.view()["requests"]
    # cancelled: a shopper who waits for an associate is not timed out (tested below)
    await rig.act(type="cancel_request", id=request["id"])
    await rig.act(type="light", scene="evening")
    before = rig.engine.view()
    rig.clock.advance(10)  # the daemon restarts; 10 s pass

    engine = rig.restart()
    sub = rig.bus.subscribe(LightingCommand)
    after = engine.view()
    for key in ("session", "screen", "experiments", "requests", "recommendations"):
        assert after[key] == before[key], key
    assert after["lighting"] == {"scene": "evening", "status": "pending", "detail": None}
    assert after["rev"] == 0
    # the timers carry on from the snapshot: 45 s after the last action it times out
    await rig.at(34.9)
    assert engine.view()["session"]["phase"] == "engaged"
    await rig.at(0.1)
    assert engine.view()["session"]["phase"] == "ended"
    assert sub.drain()[0].scene == "daylight"
    # exposures and outcomes are not counted twice after the restart
    assert len(rig.rows("exposure")) == 1
    assert len(rig.rows("outcome")) == 1
    rig.store.close()


async def test_a_session_that_timed_out_meanwhile_is_not_restored(rig: Rig) -> None:
    await rig.act(type="navigate", screen="home")
    sid = rig.engine.view()["session"]["id"]
    saved_at = rig.clock.wall_now
    rig.clock.advance(600)
    engine = rig.restart()
    view = engine.view()
    assert (view["session"]["id"], view["screen"]["name"]) == (None, "attract")
    row = rig.store.session(sid)
    assert (row["end_reason"], row["ended_at"]) == ("timeout", saved_at)
    assert rig.store.load_snapshot(SNAPSHOT_KEY) is None


async def test_the_rating_screen_survives_a_restart(rig: Rig) -> None:
    await rig.act(type="navigate", screen="home")
    await rig.act(type="end")
    sid = rig.engine.view()["session"]["id"]
    rig.clock.advance(5)
    engine = rig.restart()
    view = engine.view()
    assert (view["session"]["id"], view["session"]["phase"], view["screen"]["name"]) == (
        sid,
        "ended",
        "rating",
    )
    await engine.act({"type": "rate", "csat": 5})
    assert rig.store.rating(sid)["csat"] == 5


async def test_a_snapshot_without_its_session_is_dropped(rig: Rig) -> None:
    rig.store.save_snapshot(
        SNAPSHOT_KEY, {"session": {"id": "ghost", "phase": "engaged"}}, rig.clock.wall_now
    )
    assert rig.restart().view()["session"]["id"] is None
    assert rig.store.load_snapshot(SNAPSHOT_KEY) is None


async def test_a_touch_only_session_keeps_going_across_a_restart(tmp_path: Path, catalog) -> None:
    rig = make_rig(tmp_path, catalog, session=SessionConfig(engaged_idle_s=60.0))
    await rig.act(type="navigate", screen="home")
    rig.clock.advance(30)
    engine = rig.restart()
    assert engine.view()["session"]["phase"] == "engaged"
    rig.store.close()


def test_clock_helper() -> None:
    clock = Clock(mono=1.0, wall=10.0)
    clock.advance(2.5)
    assert (clock(), clock.wall()) == (3.5, 12.5)


async def test_run_survives_an_event_it_cannot_handle(rig: Rig, caplog) -> None:
    sub = rig.bus.subscribe(ViewChanged)
    task = asyncio.create_task(rig.engine.run())
    await asyncio.sleep(0.05)
    rig.store.close()  # every write now fails
    rig.bus.publish(here())
    await asyncio.sleep(0.1)
    assert any("could not handle" in r.getMessage() for r in caplog.records)
    # nothing that was not recorded shows: the mirror is still idle
    assert sub.drain() == []
    assert rig.engine.view()["session"]["phase"] == "idle"
    rig.store = type(rig.store).open(rig.folder / "events.db")  # the disk is back
    rig.engine.store = rig.engine.desk.store = rig.store
    rig.bus.publish(pointer("down"))
    await sub.next(ViewChanged, timeout=2.0)
    view = rig.engine.view()
    assert view["session"]["phase"] == "engaged"
    assert rig.store.session(view["session"]["id"]) is not None
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_a_refused_action_still_shows_what_the_timers_did(rig: Rig) -> None:
    await rig.engine.handle(here())
    rig.clock.advance(25)  # the approach timed out, but no tick ran yet
    assert (await error_of(rig.act(type="rate", csat=3)))[0] == "not_allowed"
    assert rig.engine.view()["screen"]["name"] == "attract"


async def test_a_shop_floor_mirror_has_requests_without_a_room(tmp_path: Path, catalog) -> None:
    rig = make_rig(tmp_path, catalog, store=StoreConfig(fitting_room=""))
    await rig.act(type="request", kind="help")
    assert (await rig.engine.requests())[0]["fitting_room"] == ""
    assert rig.engine.view()["store"]["fitting_room"] == ""
    rig.store.close()


async def test_the_greeting_survives_a_restart(rig: Rig) -> None:
    await rig.engine.handle(here())
    sid = rig.engine.view()["session"]["id"]
    rig.clock.advance(5)
    engine = rig.restart()
    assert (engine.view()["session"]["id"], engine.view()["screen"]["name"]) == (sid, "greeting")
    await rig.at(15)  # 20 s after the approach
    assert engine.view()["screen"]["name"] == "attract"
    assert rig.store.session(sid)["end_reason"] == "timeout"


# -- the members' BLE keys ----------------------------------------------------------------------


async def test_enrolment_gives_the_member_a_ble_key_and_forget_takes_it(rig: Rig) -> None:
    await rig.act(type="navigate", screen="loyalty")
    await rig.act(type="consent", accept=True)
    await rig.act(type="enrol", loyalty_id="M-5151")
    key = dict(rig.keyring.items())["M-5151"]
    (row,) = rig.rows("member_key")
    assert row["loyalty_id"] == "M-5151" and key not in row["sealed"]
    # a restart opens the sealed key again
    rig.restart()
    assert dict(rig.keyring.items()) == {"M-5151": key}
    # signing in again in a later session keeps it
    await rig.act(type="navigate", screen="loyalty")
    await rig.act(type="consent", accept=True)
    await rig.act(type="enrol", loyalty_id="M-5151")
    assert dict(rig.keyring.items()) == {"M-5151": key}
    await rig.act(type="forget")
    assert rig.rows("member_key") == []
    assert len(rig.keyring) == 0


async def test_retention_forgets_an_inactive_members_key(tmp_path: Path, catalog) -> None:
    from vitrine.engine.config import RetentionConfig

    rig = make_rig(tmp_path, catalog, retention=RetentionConfig(members_inactive_days=30))
    try:
        await rig.act(type="navigate", screen="loyalty")
        await rig.act(type="consent", accept=True)
        await rig.act(type="enrol", loyalty_id="M-OLD")
        await rig.act(type="end")
        assert "M-OLD" in rig.keyring
        rig.clock.advance(40 * 86400)
        total = await rig.engine.prune()
        assert total.members == 1
        assert "M-OLD" not in rig.keyring
        assert rig.rows("member_key") == []
    finally:
        rig.store.close()


# -- vision -----------------------------------------------------------------------------------


async def test_a_wave_in_the_air_engages_like_a_touch_and_is_stored_by_name(rig: Rig) -> None:
    from vitrine.vision.events import OpenPalm, SwipeLeft, Wave

    await rig.engine.handle(Wave(t_ns=0))
    view = rig.engine.view()
    assert view["session"]["phase"] == "engaged"
    await rig.engine.handle(SwipeLeft(t_ns=0))
    await rig.engine.handle(OpenPalm(t_ns=0))
    rows = rig.store.interactions(view["session"]["id"])
    assert [r["kind"] for r in rows] == ["wave", "swipe_left", "open_palm"]


async def test_enrolling_asks_vision_for_a_template_and_forget_removes_it(rig: Rig) -> None:
    from vitrine.engine.events import Enrolled

    forgotten: list[str] = []
    rig.store.also_forget.append(forgotten.append)
    sub = rig.bus.subscribe(Enrolled)
    await rig.act(type="navigate", screen="loyalty")
    await rig.act(type="consent", accept=True)
    assert sub.drain() == []  # consent alone asks for nothing
    await rig.act(type="enrol", loyalty_id="M-4243")
    assert sub.drain() == [Enrolled(loyalty_id="M-4243")]
    await rig.act(type="forget")
    assert forgotten == ["M-4243"]
