"""One ruff configuration for both halves (pyproject.toml), and eslint, stylelint and prettier
for the pages' scripts and style sheets (package.json's lint scripts), enforced like any other
test."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
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
