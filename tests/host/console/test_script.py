"""`--exec` scripts: plain answers on stdout, and an exit status that says whether every line
succeeded (real firmware in this process, over socket://)."""

from __future__ import annotations

import io

from vitrine.console import ConsoleClient
from vitrine.console.script import Streams, run_script, split_lines
from vitrine.sim.glass import Conditions

from .conftest import BoardFactory


async def script(url: str, lines: list[str], **kwargs: bool) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    async with ConsoleClient(url) as console:
        code = await run_script(console, lines, streams=Streams(out, err), **kwargs)
    return code, out.getvalue(), err.getvalue()


def test_exec_values_split_on_semicolons() -> None:
    assert split_lines(["status; selftest", " log warning ;", ";"]) == [
        "status",
        "selftest",
        "log warning",
    ]


async def test_lines_that_succeed_exit_0_with_their_answers(board_factory: BoardFactory) -> None:
    async with board_factory("touch") as board:
        code, out, err = await script(board.url, ["selftest"])
        code2, out2, _ = await script(board.url, ["reset-cause", "touches"])
    assert (code, err) == (0, "")
    assert out.endswith("selftest: PASS\n")
    assert code2 == 0
    assert out2 == (
        "> reset-cause\npower_on: power was switched on, or the reset button (on an ESP32 also "
        "a brown-out)\n> touches\nno contacts on the glass\n"
    )


async def test_a_failing_selftest_exits_1(board_factory: BoardFactory) -> None:
    async with board_factory("touch", noise=Conditions(dead={"x": [17]})) as board:
        code, out, err = await script(board.url, ["selftest", "status"])
    assert code == 1
    assert "dead emitters: x17" in out
    assert out.rstrip().endswith("selftest: FAIL")  # and status did not run
    assert err == "vitrine console: selftest: the board reports a failure\n"


async def test_a_refused_line_exits_1_and_stops_unless_keep_going(
    board_factory: BoardFactory,
) -> None:
    async with board_factory("touch") as board:
        code, out, err = await script(board.url, ["bogus", "reset-cause"])
        code2, out2, err2 = await script(board.url, ["bogus", "reset-cause"], keep_going=True)
    assert code == code2 == 1
    assert "unknown command 'bogus'" in err and "unknown command 'bogus'" in err2
    assert "power_on" not in out
    assert "power_on" in out2


async def test_a_state_changing_line_needs_yes(board_factory: BoardFactory) -> None:
    async with board_factory("touch") as board:
        code, out, err = await script(board.url, ["calibrate"])
        code2, out2, err2 = await script(board.url, ["calibrate"], yes=True)
    assert (code, out) == (1, "")
    assert "calibrate: not done without confirmation" in err
    assert "add --yes" in err
    assert (code2, err2) == (0, "")
    assert out2.startswith("calibrated: 1112 beams")
