"""One ruff configuration for both halves (pyproject.toml), and eslint, stylelint and prettier
for the pages' scripts and style sheets (package.json's lint scripts), enforced like any other
test."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RUFF = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
NPM = shutil.which("npm")
NODE_BIN = ROOT / "node_modules" / ".bin"
# package.json's lint scripts and the tool each one runs
WEB_LINTERS = {"lint:js": "eslint", "lint:css": "stylelint", "lint:format": "prettier"}


@pytest.mark.skipif(RUFF is None, reason="ruff is not installed (make setup installs it)")
@pytest.mark.parametrize("args", [["check"], ["format", "--check"]], ids=["check", "format"])
def test_ruff(args: list[str]) -> None:
    result = subprocess.run(
        [RUFF, *args, "."], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_lint_scripts_run_each_web_linter() -> None:
    scripts = json.loads((ROOT / "package.json").read_text())["scripts"]
    for script, tool in WEB_LINTERS.items():
        assert scripts[script].split()[0] == tool, f"{script}: {scripts[script]!r}"
        assert f"npm run --silent {script}" in scripts["lint"]


@pytest.mark.parametrize("script", sorted(WEB_LINTERS))
def test_web_lint(script: str) -> None:
    if NPM is None or not (NODE_BIN / WEB_LINTERS[script]).exists():
        pytest.skip(f"{WEB_LINTERS[script]} is not installed (make setup installs it with npm ci)")
    result = subprocess.run(
        [NPM, "run", "--silent", script], cwd=ROOT, capture_output=True, text=True, check=False
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
