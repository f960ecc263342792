"""What the README promises a newcomer: it opens with the two set-up commands, and it says
how to run the `vitrine` command those set up (the environment's bin folder is not on PATH)."""

from __future__ import annotations

import re

from vitrine.paths import PROJECT_ROOT

README = (PROJECT_ROOT / "README.md").read_text()


def test_it_opens_with_the_two_set_up_commands() -> None:
    first_block = README.split("```")[1]
    commands = [line.split("#")[0].strip() for line in first_block.splitlines()[1:] if line]
    assert commands == ["make demo", "make test"]


def test_it_says_where_the_vitrine_command_is_and_how_to_put_it_on_path() -> None:
    makefile = (PROJECT_ROOT / "Makefile").read_text()
    venv = re.search(r"^VENV := (\S+)$", makefile, re.MULTILINE)[1]  # type: ignore[index]
    assert re.search(r"^demo: .*\n\t\$\(BIN\)/vitrine demo$", makefile, re.MULTILINE)
    assert f"`{venv}/bin/vitrine`" in README
    assert f"`. {venv}/bin/activate`" in README
    # ... before the first command the reader is told to run
    assert README.index(f"{venv}/bin/vitrine") < README.index("vitrine demo")
