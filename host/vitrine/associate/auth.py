"""Who may use the associate app: the store's PIN (traded for a signed session cookie) and the
long bearer tokens configured for kiosk tablets. There is no anonymous access: with no PIN and
no token configured, nobody gets in.

A session token is `base64url(payload).base64url(HMAC-SHA256(key, payload))`; the payload
is compact JSON holding the session's id, when it was issued, when it expires and how the
holder signed in. The key is derived from the daemon's 32-byte secret in
<data dir>/secret.key (vitrine.secret_key). A token is good only while its session is open in
auth.db (vitrine.associate.store): signing out deletes it there, which a restart keeps.
Changing the PIN, or removing a token from the configuration, ends the sessions it opened.

Wrong PINs count against one budget for the whole mirror (vitrine.associate.pin_budget).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Literal, Protocol, TypeVar

from vitrine.associate.pin_budget import FIRST_PAUSE_S, BudgetStatus, PinBudget
from vitrine.associate.store import AuthStore
from vitrine.errors import VitrineError
from vitrine.secret_key import SECRET_BYTES, derive

T = TypeVar("T")

MAX_TOKEN_CHARS = 1024  # a session token is ~150 characters; anything longer is refused unread
MAX_PIN_CHARS = 64
CLOCK_SKEW_S = 60.0  # a token "issued" this far in the future is still accepted
_VERSION = 2  # 2: signed with a key derived from the secret, open only while in auth.db


class AssociateSettings(Protocol):
    """The part of the [associate] section (vitrine.engine.config.AssociateConfig) that
    authentication reads."""

    @property
    def pin(self) -> str: ...

    @property
    def tokens(self) -> Sequence[str]: ...

    @property
    def session_hours(self) -> float: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class Associate:
    """A signed-in associate's session: how they got in and until when (None: a bearer token,
    valid as long as the configuration lists it)."""

    via: Literal["pin", "token"]
    session_id: str
    issued_at: float
    expires_at: float | None


class AuthError(VitrineError):
    """A sign-in that is refused. `status` is the HTTP status to answer with, `code` a stable
    word for the page ("wrong_pin", "too_many_attempts", "locked", "bad_message"), and
    `retry_after_s` is set for "too_many_attempts"."""

    def __init__(
        self, status: int, code: str, message: str, *, retry_after_s: int | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.retry_after_s = retry_after_s


LOCKED_MESSAGE = (
    "The associate app is locked: no PIN is set. Set one (6 to 12 digits) in the daemon's "
    'configuration, [associate] pin = "246810", and restart the daemon.'
)
PIN_OFF_MESSAGE = (
    "Sign-in with a PIN is off on this mirror (only kiosk tokens are configured). Set "
    "[associate] pin in the daemon's configuration to allow it."
)


class AssociateAuth:
    """Checks PINs (against the mirror's budget of wrong PINs), issues and verifies session
    tokens (open while their session is in `store`), and accepts the configured bearer
    tokens."""

    def __init__(
        self,
        config: AssociateSettings,
        secret: bytes,
        store: AuthStore,
        clock: Callable[[], float] = time.time,
        *,
        role: str = "associate",
    ) -> None:
        """role names what the sessions are for, and its configuration's section: each role
        signs its sessions with a key of its own (the manager's dashboard opens no associate
        session, nor the reverse) and keeps them in a store of its own."""
        if len(secret) < SECRET_BYTES:
            raise ValueError(f"the session secret must be at least {SECRET_BYTES} bytes")
        self.config = config
        self.role = role
        self.locked_message = LOCKED_MESSAGE.replace("[associate]", f"[{role}]")
        if role != "associate":
            self.locked_message = self.locked_message.replace(
                "The associate app", f"The {role}'s page"
            )
        self.pin_off_message = PIN_OFF_MESSAGE.replace("[associate]", f"[{role}]")
        self._key = derive(bytes(secret), f"{role} sessions")
        self._store = store
        self._clock = clock
        self._tokens = tuple(t.encode() for t in config.tokens if t)
        self.budget = PinBudget(store, clock)
        store.prune(clock())
        # What writes auth.db (a sign-in, a sign-out, a wrong PIN) waits for the disk
        # (synchronous = FULL) and for SQLite's lock, up to its busy timeout: the routes run
        # it here (off_loop), one call at a time, so a wrong PIN is counted, checked against
        # the budget and written as one step, and the event loop never waits on the file.
        self._writer = ThreadPoolExecutor(1, thread_name_prefix=f"{role}-auth")

    async def off_loop(self, call: Callable[..., T], *args: Any) -> T:
        """`call(*args)` (check_pin, issue_for_token, revoke) on this sign-in's writer thread,
        its result or exception returned to the awaiting route."""
        return await asyncio.get_running_loop().run_in_executor(self._writer, call, *args)

    @property
    def locked(self) -> bool:
        """True when nobody can sign in at all (no PIN and no token configured)."""
        return not self.config.pin and not self._tokens

    @property
    def pin_enabled(self) -> bool:
        return bool(self.config.pin)

    @property
    def session_s(self) -> int:
        """How long a PIN session lasts, in seconds (the cookie's Max-Age)."""
        return int(self.config.session_hours * 3600)

    def status(self) -> BudgetStatus:
        """The PIN budget, for /api/status."""
        return self.budget.status()

    # --- PIN sign-in ---------------------------------------------------------------------

    def check_pin(self, pin: str, client: str) -> str:
        """A new session token when `pin` is the configured PIN; raises AuthError otherwise
        (wrong PIN 401, PIN sign-in paused 429, app locked or PIN sign-in off 403). `client`
        names the device in the log line of a pause."""
        if self.locked:
            raise AuthError(403, "locked", self.locked_message)
        if not self.pin_enabled:
            raise AuthError(403, "pin_off", self.pin_off_message)
        wait = self.budget.paused_for()
        if wait:
            raise paused(wait)
        if not isinstance(pin, str) or len(pin) > MAX_PIN_CHARS:
            raise AuthError(422, "bad_message", f"pin must be a string of 1 to {MAX_PIN_CHARS}")
        if hmac.compare_digest(pin.encode(), self.config.pin.encode()):
            return self._issue("pin", self._clock())
        pause_s = self.budget.wrong_pin(client)
        if pause_s:
            raise paused(pause_s)
        left = self.budget.left()
        pins = "PIN" if left == 1 else "PINs"
        raise AuthError(
            401,
            "wrong_pin",
            f"Wrong PIN. {left} more wrong {pins} on this mirror and PIN sign-in pauses for "
            f"every device ({int(FIRST_PAUSE_S)} seconds at first, longer each time).",
        )

    # --- tokens --------------------------------------------------------------------------

    def issue_for_token(self, token: str) -> str | None:
        """A session token (for the cookie) for the holder of a configured bearer token, so
        a kiosk tablet's browser can open the page once with ?token=; None if it is not
        one of them. The session ends when the token leaves the configuration."""
        if self._match_bearer(token) is None:
            return None
        return self._issue("token", self._clock(), token.encode())

    def verify(self, token: str | None) -> Associate | None:
        """The session a token stands for (a configured bearer token or a session token
        this daemon issued, unexpired and not signed out), or None."""
        if not token or len(token) > MAX_TOKEN_CHARS:
            return None
        bearer = self._match_bearer(token)
        if bearer is not None:
            return Associate(
                via="token", session_id=_fingerprint(bearer), issued_at=0.0, expires_at=None
            )
        payload = self._open(token)
        return None if payload is None else self._session(payload)

    def _session(self, payload: dict) -> Associate | None:
        # The session a signed session token's payload stands for, if it still does.
        now = self._clock()
        iat, exp, sid, via = payload["iat"], payload["exp"], payload["sid"], payload["via"]
        if not (iat - CLOCK_SKEW_S <= now < exp) or not self._store.session_open(sid, now):
            return None
        if not self._still_configured(via, payload["k"]):
            return None
        return Associate(via=via, session_id=sid, issued_at=iat, expires_at=exp)

    def _still_configured(self, via: str, key: str) -> bool:
        # Whether the credential a session was opened with is still the configured one.
        if via == "pin":
            return key == self._key_of(self.config.pin.encode())  # else the PIN changed
        if via == "token":  # else that kiosk token is no longer configured
            return any(hmac.compare_digest(key, self._key_of(t)) for t in self._tokens)
        return True

    def revoke(self, token: str | None) -> None:
        """End the session of a session token (sign-out), for good: a restart keeps it ended.
        Bearer tokens end only by leaving the configuration."""
        payload = self._open(token) if token and len(token) <= MAX_TOKEN_CHARS else None
        if payload is not None:
            self._store.end_session(payload["sid"])

    def _match_bearer(self, token: str) -> bytes | None:
        # Compare against every configured token, so the time taken does not say which one
        # (or how much of one) matched.
        given = token.encode("utf-8", "replace")
        found = None
        for candidate in self._tokens:
            if hmac.compare_digest(given, candidate):
                found = candidate
        return found

    def _key_of(self, credential: bytes) -> str:
        # What a session token remembers of the credential that opened it: enough to notice a
        # change, useless to recover it (keyed with the secret).
        digest = hmac.new(self._key, b"credential:" + credential, hashlib.sha256).digest()
        return _b64(digest)[:16]

    def _issue(self, via: str, now: float, credential: bytes | None = None) -> str:
        key = self._key_of(self.config.pin.encode() if credential is None else credential)
        payload = {
            "v": _VERSION,
            "via": via,
            "sid": secrets.token_urlsafe(12),
            "iat": int(now),
            "exp": int(now) + self.session_s,
            "k": key,
        }
        self._store.add_session(payload["sid"], via, payload["iat"], payload["exp"])
        body = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
        return f"{_b64(body)}.{_b64(self._sign(body))}"

    def _sign(self, body: bytes) -> bytes:
        return hmac.new(self._key, body, hashlib.sha256).digest()

    def _open(self, token: str) -> dict | None:
        # The payload of a well-formed, correctly signed session token, else None.
        body_part, dot, sig_part = token.partition(".")
        if not dot or "." in sig_part:
            return None
        body, sig = _unb64(body_part), _unb64(sig_part)
        if body is None or sig is None or not hmac.compare_digest(sig, self._sign(body)):
            return None
        try:
            payload = json.loads(body)
        except ValueError:
            return None
        if not (
            isinstance(payload, dict)
            and payload.get("v") == _VERSION
            and payload.get("via") in ("pin", "token")
            and all(type(payload.get(k)) is int for k in ("iat", "exp"))
            and all(isinstance(payload.get(k), str) for k in ("sid", "k"))
        ):
            return None
        return payload


def paused(wait_s: int) -> AuthError:
    """The answer to a PIN while PIN sign-in is paused for `wait_s` seconds."""
    return AuthError(
        429,
        "too_many_attempts",
        f"Too many wrong PINs on this mirror: PIN sign-in is paused for every device for "
        f"{wait_s} seconds. Associates who are signed in stay signed in.",
        retry_after_s=wait_s,
    )


def _fingerprint(token: bytes) -> str:
    return "token-" + hashlib.sha256(token).hexdigest()[:12]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes | None:
    if not text or len(text) % 4 == 1:
        return None
    if not all(c.isascii() and (c.isalnum() or c in "-_") for c in text):
        return None
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        return None
