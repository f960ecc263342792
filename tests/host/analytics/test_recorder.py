"""The recorder's translations, event by event, into observations the format takes: the
presence board's zones, vision's counts, looks and recognitions, the engine's records."""

from __future__ import annotations

from typing import Any

import pytest

from vitrine.analytics.config import AnalyticsConfig
from vitrine.analytics.observation import make
from vitrine.analytics.recorder import Recorder
from vitrine.devices.beacons.device import BeaconZone
from vitrine.devices.lights import LightingResult
from vitrine.devices.presence import Presence, Zone
from vitrine.devices.presence.events import ZoneName
from vitrine.engine import records as rec
from vitrine.link.messages import BoardLost, BoardRebooted, BoardRefused, Hello
from vitrine.vision.events import Attention, MemberRecognised, PeopleCounted
from vitrine_fw import wire

S = "5" * 32
NOW = 1_773_486_000.0


def zone(now: ZoneName, previous: ZoneName) -> Zone:
    return Zone(zone=now, previous=previous, distance_mm=None, source="presence", t_ns=0)


class Writer:
    """Takes what the recorder observes, each made into a checked observation."""

    def __init__(self) -> None:
        self.seen: list[Any] = []

    def observe(self, kind: str, at: float, /, **data: Any) -> None:
        self.seen.append(make(kind, at, "store-1", "mirror-1", **data))

    def kinds(self) -> list[tuple[str, dict]]:
        return [(o.kind, dict(o.data)) for o in self.seen]


def _recorder(counter: str = "presence") -> tuple[Recorder, Writer, list[float]]:
    clock = [NOW]
    writer = Writer()
    return Recorder(writer, AnalyticsConfig(counter=counter), lambda: clock[0]), writer, clock


def test_zones_make_passers_by_entries_and_dwell():
    recorder, writer, clock = _recorder()
    recorder.handle(zone("passing", "none"))
    clock[0] += 2
    recorder.handle(zone("in_front", "passing"))
    clock[0] += 30
    recorder.handle(zone("none", "in_front"))
    assert writer.kinds() == [
        ("zone_enter", {"zone": "passing", "source": "presence"}),
        ("passer_by", {"source": "presence"}),
        ("zone_leave", {"zone": "passing", "source": "presence", "dwell_s": 2.0}),
        ("zone_enter", {"zone": "in_front", "source": "presence"}),
        ("entry", {"source": "presence", "how": "zone"}),
        ("zone_leave", {"zone": "in_front", "source": "presence", "dwell_s": 30.0}),
    ]


def test_presence_is_fused_across_sources():
    recorder, writer, _ = _recorder()
    for present, source in (
        (True, "presence"),
        (True, "camera"),
        (False, "presence"),
        (False, "camera"),
    ):
        recorder.handle(Presence(present=present, distance_mm=None, source=source, t_ns=0))
    assert writer.kinds() == [
        ("presence", {"present": True, "source": "presence"}),
        ("presence", {"present": False, "source": "camera"}),
    ]


@pytest.mark.parametrize("counter", ["presence", "camera"])
def test_the_people_counter_counts_only_when_it_is_the_configured_one(counter):
    recorder, writer, _ = _recorder(counter)
    for kind, track in (("passer_by", 1), ("in", 1), ("stop", 2), ("out", 1)):
        recorder.handle(PeopleCounted(kind=kind, track=track, t_ns=0))
    recorder.handle(Attention(track=1, looking=True, seconds=0.0, t_ns=0))
    recorder.handle(Attention(track=1, looking=False, seconds=2.5, t_ns=0))
    camera = [
        ("passer_by", {"source": "camera", "track": 1}),
        ("entry", {"source": "camera", "track": 1, "how": "line"}),
        ("entry", {"source": "camera", "track": 2, "how": "zone"}),
        ("exit", {"source": "camera", "track": 1}),
    ]
    look = [("look", {"source": "camera", "track": 1, "seconds": 2.5})]
    assert writer.kinds() == (camera if counter == "camera" else []) + look


def test_the_engines_records_and_a_member_in_the_live_session():
    recorder, writer, _ = _recorder()
    recorder.handle(
        MemberRecognised(member="M-1", similarity=0.9, track=1, t_ns=0)
    )  # no session: not recorded
    recorder.handle(rec.SessionRecorded(session=S, event="start", at=NOW, phase="approached"))
    recorder.handle(MemberRecognised(member="M-1", similarity=0.9, track=1, t_ns=0))
    recorder.handle(rec.InteractionRecorded(session=S, kind="tap", screen="home", at=NOW + 1))
    recorder.handle(
        rec.ScreenShown(session=S, screen="product", sku="SH-1", category=None, at=NOW + 2)
    )
    recorder.handle(
        rec.RequestRecorded(
            session=S,
            request="1" * 32,
            kind="size",
            status="fulfilled",
            sku="SH-1",
            variant="SH-1-M",
            fulfil_s=40.0,
            at=NOW + 50,
        )
    )
    recorder.handle(rec.RatingRecorded(session=S, csat=5, nps=9, at=NOW + 60))
    recorder.handle(
        rec.ExperimentRecorded(
            session=S, experiment="layout", variant="grid", outcome=None, at=NOW + 2
        )
    )
    recorder.handle(
        rec.ExperimentRecorded(
            session=S, experiment="layout", variant="grid", outcome="request", at=NOW + 3
        )
    )
    recorder.handle(
        rec.SessionRecorded(session=S, event="end", at=NOW + 70, reason="left", duration_s=70.0)
    )
    recorder.handle(
        MemberRecognised(member="M-1", similarity=0.9, track=1, t_ns=0)
    )  # the session ended: not recorded
    assert [k for k, _ in writer.kinds()] == [
        "session_start",
        "member",
        "interaction",
        "content_view",
        "request",
        "rating",
        "exposure",
        "outcome",
        "session_end",
    ]
    assert writer.kinds()[4][1]["fulfil_s"] == 40.0


def test_a_failed_lighting_command_is_an_error():
    recorder, writer, _ = _recorder()
    for status in ("applied", "failed"):
        recorder.handle(
            LightingResult(scene="evening", request_id="r", status=status, detail=None, t_ns=0)
        )
    assert [k for k, _ in writer.kinds()] == ["error"]
    assert writer.kinds()[0][1]["code"] == "lighting_failed"


def _hello(cause: str) -> Hello:
    code = {name: code for code, name in wire.RESET_CAUSES.items()}[cause]
    return Hello(
        board="lights", seq=0, rx_ns=0, schema_rev=wire.SCHEMA_REV, schema_hash=wire.SCHEMA_HASH,
        role="lights", fw_version="0.1.0", build_hash="a" * 12, uid="u", reset_cause=code,
        capabilities=0,
    )  # fmt: skip


def test_boards_lost_refused_or_reset_by_an_error_are_errors():
    recorder, writer, _ = _recorder()
    port = "/dev/ttyACM0"
    recorder.handle(BoardLost(board="touch", port=port, reason="no heartbeat for 4.5 s"))
    recorder.handle(BoardRefused(board="lights", port=port, message="update the board firmware"))
    recorder.handle(BoardRebooted(board="lights", port=port, hello=_hello("soft")))  # asked for
    recorder.handle(BoardRebooted(board="lights", port=port, hello=_hello("wdt")))
    assert [(d["code"], d["source"]) for k, d in writer.kinds()] == [
        ("board_lost", "board"),
        ("board_refused", "board"),
        ("board_reset", "board"),
    ]
    messages = [d["message"] for _, d in writer.kinds()]
    assert messages[0] == "touch: no heartbeat for 4.5 s"
    assert messages[2].startswith("lights: reset (cause wdt: ")


def test_a_members_phone_zones_are_beacon_zones_with_their_dwell_and_no_member():
    recorder, writer, clock = _recorder()
    for zone, previous, after_s in (
        ("in_store", "gone", 60),
        ("fitting_room", "in_store", 300),
        ("gone", "fitting_room", 0),
    ):
        recorder.handle(BeaconZone(member="M-7", zone=zone, previous=previous, t_ns=0))
        clock[0] += after_s
    assert writer.kinds() == [
        ("zone_enter", {"zone": "beacon:in_store", "source": "beacon"}),
        ("zone_leave", {"zone": "beacon:in_store", "source": "beacon", "dwell_s": 60.0}),
        ("zone_enter", {"zone": "beacon:fitting_room", "source": "beacon"}),
        ("zone_leave", {"zone": "beacon:fitting_room", "source": "beacon", "dwell_s": 300.0}),
    ]
