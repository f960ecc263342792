"""The firmware file set and its build hash (what a board reports in HELLO)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from vitrine.paths import firmware_dir


def firmware_files(root: Path | None = None) -> list[Path]:
    """The files that land on a board, relative to the firmware folder, sorted."""
    root = root or firmware_dir()
    files = [root / "main.py", *sorted((root / "lib").rglob("*.py"))]
    return [f.relative_to(root) for f in files if "__pycache__" not in f.parts]


def build_hash(root: Path | None = None) -> str:
    """12 hex digits of SHA-256 over the firmware's file names and contents."""
    root = root or firmware_dir()
    digest = hashlib.sha256()
    for rel in firmware_files(root):
        digest.update(rel.as_posix().encode() + b"\0")
        digest.update((root / rel).read_bytes() + b"\0")
    return digest.hexdigest()[:12]
