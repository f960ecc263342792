"""How the CLI writes the `vitrine` command for people to copy: the bare name when PATH finds
this installation's, else the script's path (what `make setup` gives: .venv/bin/vitrine)."""

from __future__ import annotations

from pathlib import Path

from vitrine.cli.command import command_name


def a_venv(root: Path) -> tuple[Path, Path]:
    bin_dir = root / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "python").write_text("")
    script = bin_dir / "vitrine"
    script.write_text("#!/bin/sh\n")
    return bin_dir / "python", script


def test_not_on_path_gives_the_path_from_the_current_folder(tmp_path: Path) -> None:
    python, _ = a_venv(tmp_path)
    name = command_name(lambda _: None, str(python), cwd=tmp_path)
    assert name == ".venv/bin/vitrine"
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    assert command_name(lambda _: None, str(python), cwd=outside) == str(
        tmp_path / ".venv/bin/vitrine"
    )
    inside = tmp_path / ".venv" / "bin"
    assert command_name(lambda _: None, str(python), cwd=inside) == "./vitrine"


def test_on_path_it_is_the_bare_name_but_only_when_it_is_this_one(tmp_path: Path) -> None:
    python, script = a_venv(tmp_path)
    assert command_name(lambda _: str(script), str(python), cwd=tmp_path) == "vitrine"
    other = tmp_path / "other-vitrine"
    other.write_text("#!/bin/sh\n")
    assert command_name(lambda _: str(other), str(python), cwd=tmp_path) == ".venv/bin/vitrine"


def test_without_a_script_beside_the_interpreter_the_bare_name(tmp_path: Path) -> None:
    assert command_name(lambda _: None, str(tmp_path / "python"), cwd=tmp_path) == "vitrine"
