"""`beams --record FILE --scans N`: a capture recorded from a board (the real firmware in
this process, over socket://) replays to the contacts the board reported live."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from vitrine.capture.format import load_capture
from vitrine.capture.replay import replay_capture
from vitrine.console import ConsoleClient
from vitrine.console.errors import ConsoleError
from vitrine.console.record import parse_record, record_capture
from vitrine.console.script import Streams, run_script
from vitrine.link import messages as m
from vitrine.sim.glass import Finger
from vitrine_fw import wire
from vitrine_fw.touch.scan import START_SCANS

from .conftest import BoardFactory

_TICKS_MASK = 0x3FFFFFFF


def _contacts(contacts: tuple[m.Contact, ...]) -> list[tuple[object, ...]]:
    return sorted(
        (c.id, round(c.x_mm, 3), round(c.y_mm, 3), c.w_mm, c.h_mm, c.kind)
        for c in contacts
        if c.state != wire.CONTACT_UP
    )


async def test_a_recorded_capture_replays_to_the_contacts_the_board_reported(
    board_factory: BoardFactory, tmp_path: Path
) -> None:
    path = tmp_path / "board.jsonl"
    async with board_factory("touch") as board, ConsoleClient(board.url) as console:
        glass = board.boards[-1].glass

        def move(written: int, want: int) -> None:
            # the baseline's scans with nothing on the glass, then a finger coming and moving
            k = written - START_SCANS
            if k == 2:
                glass.set_fingers([Finger(150.0, 120.0, 10.0)])
            elif 2 < k < 20:
                glass.set_fingers([Finger(150.0 + 4 * k, 120.0 + 2 * k, 10.0)])
            elif k == 20:
                glass.set_fingers([])

        with console.bus.subscribe(m.TouchReport, maxsize=10_000) as reports:
            written = await record_capture(console, path, 25, progress=move)
            live = {r.t_us: _contacts(r.contacts) for r in reports.drain()}
    assert written == START_SCANS + 25
    capture = load_capture(path)
    assert len(capture.scans) == written
    replayed = [(s.t_us & _TICKS_MASK, _contacts(s.touches)) for s in replay_capture(capture)]
    touched = [(t, c) for t, c in replayed if c]
    assert len(touched) > 10, "the finger was seen in the replay"
    for t, contacts in touched:
        assert live.get(t) == contacts, f"at {t} µs the board reported {live.get(t)}"


async def test_the_script_line_writes_the_capture(
    board_factory: BoardFactory, tmp_path: Path
) -> None:
    path = tmp_path / "c.jsonl"
    out, err = io.StringIO(), io.StringIO()
    async with board_factory("touch") as board, ConsoleClient(board.url) as console:
        code = await run_script(
            console, [f"beams --record {path} --scans 3"], streams=Streams(out, err)
        )
    assert (code, err.getvalue()) == (0, "")
    assert out.getvalue() == f"recorded {START_SCANS + 3} scans to {path}\n"
    assert len(load_capture(path).scans) == START_SCANS + 3


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("beams --record", "allowed: beams --record FILE --scans N"),
        ("beams --record f.jsonl", "allowed: beams --record FILE --scans N"),
        ("beams --record f.jsonl --scans 0", "--scans 0: allowed 1..100000"),
        ("beams --record f.jsonl --scans x", "--scans x: allowed 1..100000"),
        ("beams --record f.jsonl --count 3", "allowed: beams --record FILE --scans N"),
    ],
)
def test_a_bad_record_line_says_what_is_allowed(line: str, problem: str) -> None:
    with pytest.raises(ConsoleError) as caught:
        parse_record(line)
    assert problem in str(caught.value)
