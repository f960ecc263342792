"""Type-check the firmware against the MicroPython port each board role runs.

    .venv/bin/python tools/firmware_typecheck.py [--json]
    .venv/bin/python tools/firmware_typecheck.py --install-stubs

The firmware's real-board paths (vitrine_fw/hal.py and what it calls) only run on a board: the
simulator and the WebAssembly MicroPython replace `machine`, `bluetooth`, `neopixel` with fakes.
So every role's files (`vitrine flash`'s file set, vitrine.flash.fileset.role_sources) are
checked by pyright against the stubs of the role's port (`micropython_port` in
hardware/boards/*.toml): micropython-stubs' packages for that port are both the standard
library (pyright's typeshed) and the extra modules, so a call the port does not have, a wrong
argument, or a module or constant from the other port is an error. Files shared by roles on
both ports (wire.py, link.py, the supervisor) are checked against both.

Why pyright: micropython-stubs is written and tested against it (Pylance), it checks the bodies
of unannotated functions (mypy skips them unless told to) and infers types across calls, which
is what unannotated firmware code needs, and its npm package runs on the Node.js the project
already has (package.json pins it; no download at run time).

Settings and the diagnostics the check drops (each with why) are in
tools/firmware_typecheck.toml. Exit status: 0 clean, 1 when something is reported (or an
exclusion is stale), 2 when the check cannot run (pyright or a port's stubs missing).

--install-stubs installs each port's stub package (pinned in tools/micropython-stubs.txt) into
a folder of its own under <venv>/micropython-stubs/ (make setup runs it).
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIRMWARE = ROOT / "firmware"
CONFIG = ROOT / "tools" / "firmware_typecheck.toml"
PINS = ROOT / "tools" / "micropython-stubs.txt"
PYRIGHT = ROOT / "node_modules" / ".bin" / "pyright"
STUBS = Path(sys.prefix) / "micropython-stubs"  # one folder per port, made by --install-stubs


class CheckError(Exception):
    """The check cannot run; the message says what to do."""


@dataclass(frozen=True)
class Diagnostic:
    path: str  # relative to the repository
    line: int  # 1-based
    column: int  # 1-based
    severity: str  # "error" or "warning"
    rule: str
    message: str
    port: str
    roles: tuple[str, ...]  # the roles that flash the file

    def __str__(self) -> str:
        roles = ", ".join(self.roles)
        return (
            f"{self.path}:{self.line}:{self.column}: {self.severity}: {self.message} "
            f"({self.rule}; port {self.port}, roles {roles})"
        )


@dataclass(frozen=True)
class Exclusion:
    path: str
    rule: str
    line: str
    why: str
    message: str = ""

    def matches(self, diag: Diagnostic, source_line: str) -> bool:
        return (
            fnmatch.fnmatch(diag.path, self.path)
            and diag.rule == self.rule
            and re.search(self.line, source_line) is not None
            and re.search(self.message, diag.message) is not None
        )


def load_config(path: Path = CONFIG) -> tuple[dict[str, object], list[Exclusion]]:
    """(pyright settings, exclusions) from tools/firmware_typecheck.toml; checks the keys."""
    doc = tomllib.loads(path.read_text(encoding="utf-8"))
    exclusions = []
    required = {"path", "rule", "line", "why"}
    for i, entry in enumerate(doc.get("exclude", [])):
        keys = set(entry)
        if not required <= keys <= {*required, "message"} or not all(
            isinstance(v, str) and v for v in entry.values()
        ):
            raise CheckError(
                f"{path}: exclude #{i + 1} has keys {sorted(keys)}; each needs "
                f"{sorted(required)} (and may have 'message'), all non-empty strings"
            )
        for key in ("line", "message"):
            try:
                re.compile(entry.get(key, ""))
            except re.error as err:
                raise CheckError(f"{path}: exclude #{i + 1}: {key} {entry[key]!r}: {err}") from err
        exclusions.append(Exclusion(**entry))
    return dict(doc.get("pyright", {})), exclusions


def port_packages(pins: Path = PINS) -> dict[str, str]:
    """{port: pinned requirement} for each micropython-<port>-stubs line of the pins file
    (micropython-stdlib-stubs, which they all depend on, is no port)."""
    ports = {}
    for raw in pins.read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        match = re.fullmatch(r"micropython-(\w+)-stubs==\S+", line)
        if match and match[1] != "stdlib":
            ports[match[1]] = line
    return ports


def role_files() -> dict[str, tuple[str, list[Path]]]:
    """{role: (port, the role's firmware files, relative to firmware/)}: what `vitrine flash`
    puts on a board of that role."""
    from vitrine.flash.fileset import role_sources
    from vitrine.hardware import load_boards

    return {
        role: (desc.micropython_port, role_sources(desc, FIRMWARE))
        for role, desc in load_boards().items()
    }


def files_by_port() -> dict[str, dict[Path, tuple[str, ...]]]:
    """{port: {firmware file: the roles on that port that flash it}}."""
    out: dict[str, dict[Path, tuple[str, ...]]] = {}
    for role, (port, files) in sorted(role_files().items()):
        for rel in files:
            roles = out.setdefault(port, {}).get(rel, ())
            out[port][rel] = (*roles, role)
    return out


def stubs_dir(port: str) -> Path:
    folder = STUBS / port
    if not (folder / "machine.pyi").is_file() or not (folder / "stdlib").is_dir():
        raise CheckError(
            f"no MicroPython stubs for port {port!r} in {folder} "
            "(make setup installs them: tools/firmware_typecheck.py --install-stubs)"
        )
    return folder


def pyright_config(port: str, settings: dict[str, object], workdir: Path) -> Path:
    """A pyrightconfig.json for one port in workdir: the port's stubs as the standard library
    and extra modules, firmware/lib for vitrine_fw, and an empty environment in place of the
    CPython one (so a CPython package the firmware imports is reported missing, as on a board)."""
    stubs = stubs_dir(port)
    # pyright takes an environment's packages from <venv>/lib/python3.X/site-packages; without
    # one it would search the CPython interpreter on PATH, whose packages no board has.
    env = workdir / "no-env"
    (env / "lib" / f"python{settings.get('pythonVersion', '3.10')}" / "site-packages").mkdir(
        parents=True
    )
    (env / "pyvenv.cfg").write_text("", encoding="utf-8")
    config = {
        **settings,
        "typeshedPath": str(stubs),
        "extraPaths": [str(FIRMWARE / "lib"), str(stubs)],
        "venvPath": str(workdir),
        "venv": "no-env",
    }
    path = workdir / "pyrightconfig.json"
    path.write_text(json.dumps(config, indent=1), encoding="utf-8")
    return path


def run_pyright(config: Path, files: list[Path]) -> list[dict[str, object]]:
    """pyright's diagnostics (its JSON output) for files under one configuration."""
    if not PYRIGHT.exists():
        raise CheckError(f"{PYRIGHT.relative_to(ROOT)} is missing (make setup installs pyright)")
    proc = subprocess.run(
        [str(PYRIGHT), "--outputjson", "-p", str(config), *map(str, files)],
        capture_output=True,
        text=True,
        check=False,
    )
    try:
        report = json.loads(proc.stdout)
    except json.JSONDecodeError as err:
        raise CheckError(f"pyright said no JSON (exit {proc.returncode}): {proc.stderr}") from err
    return list(report.get("generalDiagnostics", []))


def check(
    ports: dict[str, dict[Path, tuple[str, ...]]] | None = None,
    root: Path = FIRMWARE,
    config: Path = CONFIG,
) -> tuple[list[Diagnostic], list[Exclusion], dict[str, int]]:
    """Type-check each port's files. Returns (what is reported, stale exclusions, {port: files
    checked}); files are relative to root (firmware/ unless a test says otherwise)."""
    settings, exclusions = load_config(config)
    ports = files_by_port() if ports is None else ports
    used: set[Exclusion] = set()
    reported = []
    for port, files in sorted(ports.items()):
        with tempfile.TemporaryDirectory(prefix=f"vitrine-typecheck-{port}-") as tmp:
            cfg = pyright_config(port, settings, Path(tmp))
            raw = run_pyright(cfg, [root / rel for rel in sorted(files)])
        by_path = {(root / rel).resolve(): rel for rel in files}
        for item in raw:
            severity = str(item.get("severity"))
            if severity not in ("error", "warning"):
                continue
            path = Path(str(item["file"])).resolve()
            rel = by_path.get(path)
            shown = _shown(path)
            start = item["range"]["start"]
            diag = Diagnostic(
                path=shown,
                line=int(start["line"]) + 1,
                column=int(start["character"]) + 1,
                severity=severity,
                rule=str(item.get("rule", "")),
                message=str(item["message"]).replace("\n", " "),
                port=port,
                roles=files.get(rel, ()) if rel is not None else (),
            )
            source = _source_line(path, diag.line)
            hit = [e for e in exclusions if e.matches(diag, source)]
            if hit:
                used.update(hit)
            else:
                reported.append(diag)
    stale = [e for e in exclusions if e not in used]
    return reported, stale, {port: len(files) for port, files in ports.items()}


def _shown(path: Path) -> str:
    try:
        return path.relative_to(ROOT).as_posix()
    except ValueError:
        return path.as_posix()


def _source_line(path: Path, line: int) -> str:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return ""
    return lines[line - 1] if 0 < line <= len(lines) else ""


def install_stubs(pins: Path = PINS) -> None:
    """Each port's stub package into <venv>/micropython-stubs/<port>, from scratch."""
    needed = {port for port, _files in role_files().values()}
    packages = port_packages(pins)
    missing = sorted(needed - set(packages))
    if missing:
        raise CheckError(
            f"{pins.relative_to(ROOT)} pins no stubs for port(s) {', '.join(missing)} "
            "(add micropython-<port>-stubs==<the boards' MicroPython version>)"
        )
    for port in sorted(needed):
        target = STUBS / port
        shutil.rmtree(target, ignore_errors=True)
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "install",
                "--quiet",
                "--no-compile",
                "--target",
                str(target),
                "-c",
                str(pins),
                f"micropython-{port}-stubs",
            ],
            check=True,
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="one JSON object on stdout")
    parser.add_argument(
        "--install-stubs", action="store_true", help="install each port's stubs (make setup)"
    )
    args = parser.parse_args(argv)
    try:
        if args.install_stubs:
            install_stubs()
            return 0
        reported, stale, counts = check()
    except CheckError as err:
        print(f"firmware type check: {err}", file=sys.stderr)
        return 2
    if args.json:
        out = {
            "files": counts,
            "reported": [d.__dict__ for d in reported],
            "stale_exclusions": [e.__dict__ for e in stale],
        }
        print(json.dumps(out, indent=1))
    else:
        for diag in reported:
            print(diag)
        for exc in stale:
            print(
                f"{CONFIG.relative_to(ROOT)}: stale exclusion (matches nothing; delete it): "
                f"{exc.path} {exc.rule} {exc.line!r}"
            )
        summary = ", ".join(f"{port}: {n} files" for port, n in sorted(counts.items()))
        print(
            f"firmware type check ({summary}): {len(reported)} reported, "
            f"{len(stale)} stale exclusions"
        )
    return 1 if reported or stale else 0


if __name__ == "__main__":
    sys.exit(main())
