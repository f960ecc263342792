"""How a person types the `vitrine` command on this machine, for the commands the CLI prints
for them to copy (the demo's banner): `vitrine` when that name on PATH is this installation's,
else the path of the script the environment installed beside its interpreter (`.venv/bin/vitrine`
in a checkout after `make setup`, which does not put it on PATH)."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path


def command_name(
    which: Callable[[str], str | None] = shutil.which,
    executable: str = sys.executable,
    cwd: Path | None = None,
) -> str:
    """`vitrine`, or the path to type instead: relative to cwd (default: the current folder)
    when it lies inside it, else absolute."""
    script = Path(executable).parent / "vitrine"  # console scripts sit beside the interpreter
    if not script.is_file():
        return "vitrine"
    found = which("vitrine")
    if found is not None and _same(Path(found), script):
        return "vitrine"
    here = Path.cwd() if cwd is None else cwd
    try:
        relative = script.relative_to(here) if script.is_absolute() else script
    except ValueError:
        return str(script)
    text = str(relative)
    return text if "/" in text else f"./{text}"  # a bare name would be looked up on PATH


def _same(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False
