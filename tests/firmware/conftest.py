"""Firmware test tiers: run scripts under real MicroPython (WebAssembly build in Node.js).

The `micropython` fixture runs a script from tests/firmware/mpy/ with firmware/lib mounted at
/lib, tests/vectors at /vectors and tests/firmware/mpy at /mpy (/lib and /mpy on sys.path, /lib
first): `.run()` returns stdout and fails the test with MicroPython's traceback when the script
raises; `.result()` returns the JSON summary the script printed after RESULT_MARK.

Scripts in mpy/ that use only the shared subset also import under CPython (mpy/ is put on
sys.path here), so one scenario file runs on both runtimes.
"""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MPY_DIR = Path(__file__).resolve().parent / "mpy"
VECTORS = ROOT / "tests" / "vectors" / "wire.json"
RUNNER = ROOT / "tools" / "micropython.mjs"
NODE_PACKAGE = ROOT / "node_modules" / "@micropython" / "micropython-webassembly-pyscript"
RESULT_MARK = "RESULT "  # the line prefix of a script's JSON summary (see mpy/fw_scenario.py)

if str(MPY_DIR) not in sys.path:
    sys.path.append(str(MPY_DIR))  # last, so it can never shadow an installed module


def _why_no_micropython():
    if shutil.which("node") is None:
        return "node is not on PATH (make setup installs Node.js)"
    if not NODE_PACKAGE.is_dir():
        return f"{NODE_PACKAGE.relative_to(ROOT)} is missing (run make setup)"
    return None


def run_micropython(script, *args, extra_paths=(), extra_mounts=(), timeout_s=60):
    """Run mpy/<script> under MicroPython; returns stdout, raises AssertionError on failure.

    extra_paths: MicroPython directories searched before /lib; extra_mounts: (MicroPython
    directory, host path relative to the repository root) pairs."""
    cmd = [
        "node",
        str(RUNNER),
        "--mount",
        f"/lib={ROOT / 'firmware' / 'lib'}",
        "--mount",
        f"/vectors={VECTORS.parent}",
        "--mount",
        f"/mpy={MPY_DIR}",
        "--path",
        "/mpy",
    ]
    for mp_dir, host_dir in extra_mounts:
        cmd += ["--mount", f"{mp_dir}={ROOT / host_dir}"]
    for path in extra_paths:
        cmd += ["--path", path]
    cmd += ["--path", "/lib", str(MPY_DIR / script), *map(str, args)]
    proc = subprocess.run(
        cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout_s, check=False
    )
    if proc.returncode != 0:
        raise AssertionError(
            f"{script} failed under MicroPython (exit {proc.returncode}):\n"
            f"{proc.stderr}\n--- stdout ---\n{proc.stdout}"
        )
    return proc.stdout


def parse_result(stdout):
    """The JSON summary a script printed on its RESULT_MARK line."""
    lines = [line for line in stdout.splitlines() if line.startswith(RESULT_MARK)]
    assert len(lines) == 1, f"expected one {RESULT_MARK!r} line in:\n{stdout}"
    return json.loads(lines[0][len(RESULT_MARK) :])


class MicroPython:
    """Runs the scripts in tests/firmware/mpy/ under real MicroPython."""

    run = staticmethod(run_micropython)
    parse = staticmethod(parse_result)

    def result(self, script, *args, **kwargs):
        """Run a script and return its RESULT summary as a dict."""
        return parse_result(run_micropython(script, *args, **kwargs))


@pytest.fixture(scope="session")
def micropython():
    """A MicroPython runner; skips the test when Node.js or the WebAssembly build is absent."""
    why = _why_no_micropython()
    if why:
        pytest.skip(f"real MicroPython unavailable: {why}")
    return MicroPython()
