"""How `vitrine calibrate touch` shows the daemon that it may draw calibration targets: its
/ws connection carries `Authorization: Bearer calibrate1.<unix time>.<HMAC>`, signed with a key
derived from the daemon's secret key file (vitrine.secret_key), which only the daemon's user
and root can read. So only an administrator on the mirror can make one; a web page cannot (it
cannot read the file, nor set the header on a WebSocket). A token is good for VALID_S either
side of the time it names, so one seen in passing is soon worth nothing."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Mapping
from pathlib import Path

from vitrine.errors import ConfigError, VitrineError
from vitrine.secret_key import FILE_NAME, derive, read_secret

SCHEME = "Bearer"
PREFIX = "calibrate1"
VALID_S = 300  # a token names a time at most this far from the daemon's clock
MAX_TOKEN_CHARS = 128
_MAX_STAMP_DIGITS = 12  # a unix time in seconds has 10 until the year 2286
REFUSED_HINT = (
    "calibration targets are taken only from `vitrine calibrate touch` on the mirror, which "
    "signs its connection with the daemon's secret key: run it as root or as the daemon's user"
)


class CalibrationKeyError(VitrineError):
    """The calibration tool cannot read the daemon's secret key."""


def calibration_key(secret: bytes) -> bytes:
    """The key calibration tokens are signed with, derived from the daemon's secret."""
    return derive(secret, "touch calibration")


def make_token(key: bytes, now: float | None = None) -> str:
    """A token for `key`, naming the time `now` (wall-clock seconds; default: now)."""
    stamp = f"{PREFIX}.{int(time.time() if now is None else now)}"
    return f"{stamp}.{_mac(key, stamp)}"


def authorization(key: bytes, now: float | None = None) -> dict[str, str]:
    """The handshake header that carries a fresh token."""
    return {"Authorization": f"{SCHEME} {make_token(key, now)}"}


def presented(key: bytes | None, headers: Mapping[str, str], now: float | None = None) -> bool:
    """Whether a connection's handshake headers carry a good token for `key` (None: the daemon
    takes no calibration targets at all)."""
    if key is None:
        return False
    scheme, _, token = headers.get("authorization", "").partition(" ")
    token = token.strip()
    if scheme != SCHEME or not token or len(token) > MAX_TOKEN_CHARS:
        return False
    prefix, _, rest = token.partition(".")
    stamp_s, _, mac = rest.partition(".")
    if prefix != PREFIX or not stamp_s.isdigit() or len(stamp_s) > _MAX_STAMP_DIGITS:
        return False
    now = time.time() if now is None else now
    if abs(int(stamp_s) - now) > VALID_S:
        return False
    return hmac.compare_digest(mac, _mac(key, f"{PREFIX}.{stamp_s}"))


def key_from_data_dir(data_dir: Path) -> bytes:
    """The calibration key, from the secret key file in the daemon's data folder; raises
    CalibrationKeyError saying what to do when it cannot be read."""
    path = data_dir / FILE_NAME
    try:
        return calibration_key(read_secret(path))
    except FileNotFoundError:
        raise CalibrationKeyError(
            f"{path}: no secret key: the daemon writes it when it first starts. Is this the "
            "daemon's config ([data] dir)? Start the daemon first"
        ) from None
    except ConfigError as err:
        raise CalibrationKeyError(
            f"{err}\nThe calibration tool signs its connection with the daemon's secret key: "
            f"run it as root (sudo) or as the daemon's user"
        ) from err


def _mac(key: bytes, stamp: str) -> str:
    return hmac.new(key, stamp.encode(), hashlib.sha256).hexdigest()
