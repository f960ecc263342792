"""Every `vitrine` command starts without paying for what it does not use: building the
parser and reading the configuration import no scipy (about a second and 100 MB), which only
the experiments' results need."""

from __future__ import annotations

import subprocess
import sys


def test_the_cli_and_the_config_load_without_scipy() -> None:
    code = (
        "import sys, vitrine.cli, vitrine.config\n"
        "from vitrine.cli import build_parser\n"
        "build_parser()\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'scipy'))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"
