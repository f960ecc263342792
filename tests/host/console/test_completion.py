"""Completion learned from the board's own `help` (the firmware's help, run in this process)."""

from __future__ import annotations

import pytest
from prompt_toolkit.completion import CompleteEvent
from prompt_toolkit.document import Document

from vitrine.console import ConsoleClient
from vitrine.console.completion import CommandSpec, ConsoleCompleter, parse_help

from .conftest import BoardFactory


@pytest.fixture
async def touch_help(board_factory: BoardFactory) -> str:
    async with board_factory("touch") as board, ConsoleClient(board.url) as console:
        return (await console.run("help")).text


def complete(completer: ConsoleCompleter, text: str) -> list[str]:
    document = Document(text, len(text))
    return [
        c.text
        for c in completer.get_completions(document, CompleteEvent(completion_requested=True))
    ]


def test_help_of_a_touch_board_gives_every_command_and_the_frames_families(touch_help: str) -> None:
    specs = {s.name: s for s in parse_help(touch_help)}
    assert list(specs) == [
        "help", "status", "version", "beams", "touches", "prox", "light", "selftest",
        "counters", "log", "reset-cause", "calibrate", "reboot", "repl",
    ]  # fmt: skip
    assert specs["beams"].args == (
        (
            "straight",
            "x+0",
            "x-10",
            "x+10",
            "x-20",
            "x+20",
            "x-40",
            "x+40",
            "y+0",
            "y-25",
            "y+25",
            "y-39",
            "y+39",
            "--record",
        ),
        (),  # N, the scans to record: a value
        ("--yes",),
    )
    assert specs["log"].args == (("debug", "info", "warning", "error"),)
    # R G B [W] [BRIGHTNESS]: values the board does not list
    assert specs["light"].args == ((), (), (), (), (), ("--yes",))
    assert specs["reboot"].args == (("--yes",),)
    assert specs["status"].args == ()
    assert specs["selftest"].what == "test every subsystem now: PASS or FAIL"


def test_lines_of_another_shape_are_skipped() -> None:
    text = "commands (a state-changing one does nothing without --yes):\n  ping  answers\nnoise"
    assert parse_help(text) == [CommandSpec("ping", (), "answers")]


def test_completion_of_names_arguments_and_yes(touch_help: str) -> None:
    completer = ConsoleCompleter(parse_help(touch_help), ("exit", "quit"))
    assert complete(completer, "sel") == ["selftest"]
    assert complete(completer, "re") == ["reboot", "repl", "reset-cause"]
    assert complete(completer, "e") == ["exit"]
    assert complete(completer, "log w") == ["warning"]
    assert complete(completer, "beams y") == ["y+0", "y-25", "y+25", "y-39", "y+39"]
    assert complete(completer, "reboot ") == ["--yes"]
    assert complete(completer, "reboot --yes ") == []
    assert complete(completer, "light ") == ["--yes"]
    assert complete(completer, "status ") == []
    assert complete(completer, "bogus ") == []
    assert "help" in complete(completer, "")
