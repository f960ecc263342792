"""One ruff configuration for both halves (pyproject.toml), enforced like any other test."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RUFF = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")


@pytest.mark.skipif(RUFF is None, reason="ruff is not installed (make setup installs it)")
@pytest.mark.parametrize("args", [["check"], ["format", "--check"]], ids=["check", "format"])
def test_ruff(args: list[str]) -> None:
    result = subprocess.run(
        [RUFF, *args, "."], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


SIZE_AND_MAGIC = {"PLR0911", "PLR0912", "PLR0913", "PLR0915", "PLR2004"}


def test_the_size_and_magic_value_rules_are_ignored_only_file_by_file() -> None:
    # pyproject.toml gives each exception its file and its reason; a pattern that covers more
    # than tests/, or a file that has moved away, would let code the rules should see slip by.
    lint = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["ruff"]["lint"]
    assert not SIZE_AND_MAGIC & set(lint["ignore"])
    for pattern, rules in lint["per-file-ignores"].items():
        assert list(ROOT.glob(pattern)), f"per-file-ignores: {pattern} names no file"
        if SIZE_AND_MAGIC & set(rules) and pattern != "tests/**":
            assert not set(pattern) & set("*?["), f"per-file-ignores: {pattern}: name the file"
