"""The world channel, board side: lines from the simulation put fingers on the glass; a line
that cannot be used is reported and changes nothing; the reader ends with the channel. Back
from the board: what its LED strips show, the newest state only."""

from __future__ import annotations

import dataclasses
import io
import math
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest

from vitrine.hardware import frame_config, load_frame
from vitrine.sim.board import SimLedStrip, SimPWM
from vitrine.sim.glass import BarLight, Conditions, Dirt, Finger, Glass
from vitrine.sim.world import (
    BoardGlass,
    StripReporter,
    apply,
    attach_glass,
    fingers_line,
    glass_seed,
    noise_from_json,
    noise_json,
    read_strips,
    read_world,
    strips_line,
    strips_state,
)

FRAME = frame_config(load_frame("32in"))


@dataclass
class Board:
    glass: Glass | None = None


class Errors(io.StringIO):
    """stderr of the board process, readable while the reader thread writes to it."""

    def wait_lines(self, n: int, timeout: float = 2.0) -> list[str]:
        deadline = time.monotonic() + timeout
        while len(lines := self.getvalue().splitlines()) < n:
            assert time.monotonic() < deadline, f"{n} lines expected; got {lines}"
            time.sleep(0.005)
        return lines


def wait_for(check: Callable[[], bool], timeout: float = 2.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition never met"
        time.sleep(0.005)


Channel = tuple[socket.socket, Board, Errors, threading.Thread]


@pytest.fixture
def channel() -> Iterator[Channel]:
    ours, theirs = socket.socketpair()
    board = Board(Glass(FRAME))
    errors = Errors()
    reader = threading.Thread(target=read_world, args=(theirs, board, errors), daemon=True)
    reader.start()
    yield ours, board, errors, reader
    ours.close()
    reader.join(2)


def test_fingers_lines_set_the_glass_and_replace_each_other(channel: Channel) -> None:
    ours, board, errors, _ = channel
    two = (Finger(100.0, 200.0, 9.0), Finger(650.5, 12.25, 15.0))
    ours.sendall(fingers_line(two))
    wait_for(lambda: board.glass.fingers == two)
    ours.sendall(b'\n{"fingers": [[1, 2, 3]]}\n')  # a blank line is nothing
    wait_for(lambda: board.glass.fingers == (Finger(1.0, 2.0, 3.0),))
    ours.sendall(fingers_line([]))
    wait_for(lambda: board.glass.fingers == ())
    assert errors.getvalue() == ""


def test_fingers_block_beams_of_the_glass(channel: Channel) -> None:
    ours, board, _, _ = channel
    assert board.glass.straight_transmission().min() == 1.0
    ours.sendall(fingers_line([Finger(350.0, 200.0, 9.0)]))
    wait_for(lambda: board.glass.fingers != ())
    assert board.glass.straight_transmission().min() == 0.0  # a straight beam under it is dark


BAD_LINES = [
    (b"not json", "not JSON"),
    (b"[1, 2]", "not a JSON object"),
    (b'{"fingers": [[1, 2, 3]], "people": []}', "unknown key 'people'; allowed: fingers"),
    (b'{"fingers": {"x": 1}}', "fingers: not a list"),
    (b'{"fingers": [[1, 2]]}', "[1, 2] is not [x_mm, y_mm, diameter_mm]"),
    (b'{"fingers": [[1, 2, 9], {"x_mm": 1}]}', "{'x_mm': 1} is not [x_mm, y_mm, diameter_mm]"),
    (b'{"fingers": [[1, "2", 9]]}', "holds something other than finite numbers"),
    (b'{"fingers": [[1, true, 9]]}', "holds something other than finite numbers"),
    (b'{"fingers": [[1, NaN, 9]]}', "holds something other than finite numbers"),
    (b"\xff\xfe", "not JSON"),
]


def test_bad_lines_are_reported_and_change_nothing(channel: Channel) -> None:
    ours, board, errors, reader = channel
    ours.sendall(fingers_line([Finger(10.0, 10.0, 9.0)]))
    wait_for(lambda: board.glass.fingers != ())
    for line, _ in BAD_LINES:
        ours.sendall(line + b"\n")
    lines = errors.wait_lines(len(BAD_LINES))
    for text, (line, reason) in zip(lines, BAD_LINES, strict=True):
        assert text.startswith("world: ignored "), text
        assert reason in text, (line, text)
    assert board.glass.fingers == (Finger(10.0, 10.0, 9.0),)
    assert reader.is_alive()
    ours.sendall(fingers_line([Finger(20.0, 30.0, 9.0)]))  # and the next good line counts
    wait_for(lambda: board.glass.fingers == (Finger(20.0, 30.0, 9.0),))


def test_the_reader_ends_when_the_simulation_closes_the_channel(channel: Channel) -> None:
    ours, board, errors, reader = channel
    ours.sendall(b'{"fingers": [[1, 2, 3]]}')  # a last line without its newline still counts
    ours.close()
    reader.join(2)
    assert not reader.is_alive()
    assert board.glass.fingers == (Finger(1.0, 2.0, 3.0),)
    assert errors.getvalue() == ""


def test_a_board_without_a_frame_says_so() -> None:
    with pytest.raises(ValueError, match="this board has no touch frame"):
        apply(Board(), b'{"fingers": []}')
    apply(Board(), b"{}")  # nothing asked, nothing to refuse


def test_attach_glass_only_for_a_board_with_a_frame() -> None:
    plain = Board()
    attach_glass(plain, {"role": "lights"}, "abc")
    assert plain.glass is None
    touch = Board()
    attach_glass(touch, {"role": "touch", "frame": FRAME}, "abc", Conditions(sigma=0.05))
    assert isinstance(touch.glass, BoardGlass)
    assert touch.glass.conditions == Conditions(sigma=0.05)
    assert touch.glass.frame == FRAME


def _clear_levels(uid: str) -> list[float]:
    board = Board()
    attach_glass(board, {"frame": FRAME}, uid, Conditions(sigma=0.0))
    assert board.glass is not None
    dark, lit = board.glass.scan_straight()
    return (lit - dark).tolist()


def test_the_same_board_gets_the_same_glass_at_every_boot() -> None:
    assert glass_seed("0123abcd") == glass_seed("0123abcd") != glass_seed("0123abce")
    first = _clear_levels("0123abcd")
    assert _clear_levels("0123abcd") == first  # per-beam gains are the board's own
    assert _clear_levels("0123abce") != first


def _scan(glass: Glass) -> list[int]:
    dark, lit = glass.scan_straight()
    return (lit - dark).tolist()


def test_drift_follows_the_clock_from_power_on() -> None:
    noise = Conditions(sigma=0.0, drift_per_min=-0.1)
    aged, fresh = Board(), Board()
    attach_glass(aged, {"frame": FRAME}, "abc", noise, epoch=time.monotonic() - 120)
    attach_glass(fresh, {"frame": FRAME}, "abc", noise)
    assert isinstance(aged.glass, BoardGlass)
    assert isinstance(fresh.glass, BoardGlass)
    aged_on, fresh_on = _scan(aged.glass), _scan(fresh.glass)
    assert 120 <= aged.glass.t_s < 130
    assert fresh.glass.t_s < 5
    # two minutes at -10 % a minute: 0.8 of the clear level
    assert math.isclose(
        sum(aged_on) / sum(fresh_on), 0.8 / (1 - 0.1 * fresh.glass.t_s / 60), rel_tol=0.01
    )


def test_noise_travels_to_the_board_process_intact() -> None:
    noise = Conditions(
        sigma=0.02,
        ambient=0.3,
        dead={"x": [3, 7]},
        dirty={"y": [1]},
        drift_per_min=0.01,
        light={"top": BarLight(0.5, 0.9, 100.0, 0.3)},
        dirt=(Dirt("bottom", 10.0, 60.0, 0.4),),
        aperture_mm=2.5,
    )
    assert noise_from_json(noise_json(noise)) == noise
    assert noise_from_json('{"sigma": 0.05}') == Conditions(sigma=0.05)
    with pytest.raises(
        ValueError, match="unknown key 'gain'; allowed: adc_bits, ambient, aperture"
    ):
        noise_from_json('{"gain": 2}')
    with pytest.raises(ValueError, match="not a JSON object"):
        noise_from_json("[]")
    with pytest.raises(ValueError, match="not JSON"):
        noise_from_json("{")


# --- back from the board: its LED strips ------------------------------------------------------


def test_strips_state_says_what_each_strip_shows() -> None:
    grbw = SimLedStrip(17, 3, "GRBW")
    grbw.fill((1, 2, 3, 4))
    grbw.write()
    rgb = SimLedStrip(16, 2, "GRB")
    rgb[1] = (9, 9, 9)
    rgb.write()
    state = strips_state([grbw, rgb])
    assert [s.pop("writes") for s in strips_state([grbw, rgb])] == [1, 1]
    assert [{k: v for k, v in s.items() if k != "writes"} for s in state] == [
        {"pin": 16, "order": "GRB", "pixels": 2, "colour": [0, 0, 0], "uniform": False},
        {"pin": 17, "order": "GRBW", "pixels": 3, "colour": [1, 2, 3, 4], "uniform": True},
    ]
    assert read_strips(strips_line([grbw, rgb])) == {"strips": state}


@pytest.mark.parametrize(
    ("line", "problem"),
    [(b"{", "not JSON"), (b'{"fingers": []}', "not a"), (b'{"strips": [1]}', "not a list of")],
)
def test_a_line_that_is_not_strips_is_refused(line: bytes, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        read_strips(line)


@dataclass
class LitBoard:
    strips: dict[int, SimLedStrip]
    pwms: dict[int, SimPWM] = dataclasses.field(default_factory=dict)


def test_the_reporter_sends_the_newest_state_after_each_latch() -> None:
    ours, theirs = socket.socketpair()
    strip = SimLedStrip(16, 4, "GRBW")
    reporter = StripReporter(theirs, LitBoard({16: strip}))
    strip.on_write = reporter.changed
    thread = threading.Thread(target=reporter.run, daemon=True)
    thread.start()
    lines = ours.makefile("rb")
    try:
        for level in (10, 20, 30):
            strip.fill((level, 0, 0, level))
            strip.write()
        # Whatever was coalesced on the way, the last line is the last latch.
        ours.settimeout(2)
        seen = []
        while not seen or seen[-1][0]["writes"] < 3:
            seen.append(read_strips(lines.readline())["strips"])
        assert seen[-1][0]["colour"] == [30, 0, 0, 30]
        assert 1 <= len(seen) <= 3
    finally:
        lines.close()
        ours.close()
        strip.write()  # the channel is gone: the reporter's send fails and it ends
        thread.join(2)
        theirs.close()
    assert not thread.is_alive()
