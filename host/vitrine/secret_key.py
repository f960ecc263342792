"""The daemon's secret key: 32 random bytes in <data dir>/secret.key, readable by the daemon's
user (and root) only. It signs the associate app's session tokens, and the calibration tool
proves with it that it runs on the mirror as an administrator (vitrine.web.calibration_token).
Each use takes a key of its own derived from it (derive), so no signature made for one use is
valid for another."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import secrets
import stat
from pathlib import Path

from vitrine.errors import ConfigError

SECRET_BYTES = 32
FILE_NAME = "secret.key"  # in the daemon's data folder


def derive(secret: bytes, purpose: str) -> bytes:
    """The key for one use of the secret (HMAC-SHA256 of the purpose's name)."""
    return hmac.new(secret, b"vitrine key for " + purpose.encode(), hashlib.sha256).digest()


def load_or_create_secret(path: Path) -> bytes:
    """The daemon's secret key (32 random bytes) in `path`, created with mode 0600 (and its
    folder) when missing. Raises ConfigError for a key that is too short or that other users
    can read."""
    try:
        return read_secret(path)
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = secrets.token_bytes(SECRET_BYTES)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process created it first: use theirs
        return read_secret(path)
    except OSError as err:
        raise ConfigError(f"{path}: cannot create the secret key: {err.strerror}") from err
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(key)
            out.flush()
            os.fsync(out.fileno())
    except OSError as err:
        with contextlib.suppress(OSError):
            path.unlink()
        raise ConfigError(f"{path}: cannot write the secret key: {err.strerror}") from err
    return key


def read_secret(path: Path) -> bytes:
    """The secret key in `path`. Raises FileNotFoundError when there is none, ConfigError when
    it cannot be read, is too short, or other users can read it."""
    try:
        mode = path.stat().st_mode
        data = path.read_bytes()
    except FileNotFoundError:
        raise
    except OSError as err:
        raise ConfigError(f"{path}: cannot read the secret key: {err.strerror}") from err
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigError(
            f"{path}: the secret key is readable by other users (mode {stat.S_IMODE(mode):04o}); "
            f"allowed: 0600 or 0400. Fix it with: chmod 600 {path}"
        )
    if len(data) < SECRET_BYTES:
        raise ConfigError(
            f"{path}: the secret key is {len(data)} bytes; it must be at least {SECRET_BYTES}. "
            "Delete the file and the daemon writes a new one (everyone signs in again)."
        )
    return data
