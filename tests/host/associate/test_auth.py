"""Associate sign-in: the PIN and its lockout, session tokens, kiosk bearer tokens and the
daemon's secret key file."""

from __future__ import annotations

import base64
import json
import os
import stat
from pathlib import Path

import pytest

from vitrine.associate.auth import AssociateAuth, AuthError
from vitrine.engine.config import AssociateConfig
from vitrine.errors import ConfigError
from vitrine.secret_key import SECRET_BYTES, load_or_create_secret

SECRET = bytes(range(32))
KIOSK = "kiosk-token-0123456789abcdef"


class Clock:
    """A wall clock the test moves by hand."""

    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def make(pin: str = "2468", tokens: tuple[str, ...] = (), clock: Clock | None = None, **kw):
    config = AssociateConfig(pin=pin, tokens=list(tokens), **kw)
    return AssociateAuth(config, SECRET, clock or Clock())


def refused(auth: AssociateAuth, pin: str, client: str = "10.0.0.2") -> AuthError:
    with pytest.raises(AuthError) as caught:
        auth.check_pin(pin, client)
    return caught.value


# --- PIN --------------------------------------------------------------------------------------


def test_the_right_pin_opens_a_session_that_lasts_session_hours() -> None:
    clock = Clock()
    auth = make(clock=clock, session_hours=2.0)
    token = auth.check_pin("2468", "10.0.0.2")
    session = auth.verify(token)
    assert session is not None
    assert session.via == "pin"
    assert session.issued_at == int(clock.now)
    assert session.expires_at == int(clock.now) + 2 * 3600
    assert auth.session_s == 7200
    clock.now += 2 * 3600 - 1
    assert auth.verify(token) is not None
    clock.now += 1
    assert auth.verify(token) is None


def test_a_session_token_is_a_signed_payload_with_issued_at_and_expiry() -> None:
    clock = Clock()
    token = make(clock=clock).check_pin("2468", "c")
    body, signature = token.split(".")
    payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    assert payload["iat"] == int(clock.now)
    assert payload["exp"] == int(clock.now) + 12 * 3600
    assert payload["via"] == "pin"
    assert "2468" not in token and "2468" not in json.dumps(payload)
    assert len(base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4))) == 32


def test_a_wrong_pin_is_refused_and_says_how_many_tries_are_left() -> None:
    err = refused(make(), "1357")
    assert (err.status, err.code) == (401, "wrong_pin")
    assert "4 more tries" in err.message


def test_five_wrong_pins_in_a_minute_lock_the_client_out_even_for_the_right_pin() -> None:
    clock = Clock()
    auth = make(clock=clock)
    for _ in range(4):
        assert refused(auth, "0000").status == 401
        clock.now += 5
    fifth = refused(auth, "0000")
    assert (fifth.status, fifth.code, fifth.retry_after_s) == (429, "too_many_attempts", 60)
    right = refused(auth, "2468")
    assert (right.status, right.retry_after_s) == (429, 60)
    clock.now += 30
    assert refused(auth, "2468").retry_after_s == 30
    assert auth.retry_after("10.0.0.2") == 30
    clock.now += 30
    assert auth.retry_after("10.0.0.2") == 0
    assert auth.verify(auth.check_pin("2468", "10.0.0.2")) is not None


def test_the_lockout_is_per_client_address() -> None:
    auth = make()
    for _ in range(5):
        refused(auth, "0000", "10.0.0.2")
    assert refused(auth, "2468", "10.0.0.2").status == 429
    assert auth.verify(auth.check_pin("2468", "10.0.0.3")) is not None


def test_wrong_pins_older_than_a_minute_do_not_count() -> None:
    clock = Clock()
    auth = make(clock=clock)
    for _ in range(4):
        refused(auth, "0000")
    clock.now += 61
    for _ in range(4):
        assert refused(auth, "0000").status == 401


def test_the_right_pin_clears_the_count_of_wrong_ones() -> None:
    auth = make()
    for _ in range(4):
        refused(auth, "0000")
    auth.check_pin("2468", "10.0.0.2")
    for _ in range(4):
        assert refused(auth, "0000").status == 401


def test_a_pin_that_is_not_a_bounded_string_is_a_bad_message() -> None:
    auth = make()
    assert refused(auth, "1" * 65).status == 422
    assert refused(auth, 2468).status == 422  # type: ignore[arg-type]


def test_with_no_pin_and_no_token_the_app_is_locked_and_says_how_to_set_a_pin() -> None:
    auth = make(pin="")
    assert auth.locked
    err = refused(auth, "2468")
    assert (err.status, err.code) == (403, "locked")
    assert "[associate] pin" in err.message
    assert auth.verify("") is None
    assert auth.verify(None) is None


def test_with_only_tokens_pin_sign_in_is_off_but_tokens_work() -> None:
    auth = make(pin="", tokens=(KIOSK,))
    assert not auth.locked
    assert refused(auth, "2468").code == "pin_off"
    session = auth.verify(KIOSK)
    assert session is not None
    assert (session.via, session.expires_at) == ("token", None)


# --- tokens -----------------------------------------------------------------------------------


def test_only_a_configured_bearer_token_is_accepted() -> None:
    auth = make(tokens=(KIOSK, "another-kiosk-token-9876543210"))
    assert auth.verify(KIOSK) is not None
    assert auth.verify("another-kiosk-token-9876543210") is not None
    assert auth.verify(KIOSK[:-1]) is None
    assert auth.verify(KIOSK + "x") is None
    assert auth.verify("kiosk-token-0123456789abcdeF") is None


def test_a_tampered_or_foreign_session_token_is_refused() -> None:
    auth = make()
    token = auth.check_pin("2468", "c")
    body, signature = token.split(".")
    payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    payload["exp"] += 3600
    forged = base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()
    assert auth.verify(f"{forged}.{signature}") is None
    flipped = signature[:-2] + ("A" if signature[-2] != "A" else "B") + signature[-1]
    assert auth.verify(f"{body}.{flipped}") is None
    other = AssociateAuth(AssociateConfig(pin="2468"), bytes(32), Clock())
    assert other.verify(token) is None
    for garbage in ("", ".", "a.b", f"{body}.", f".{signature}", f"{token}.x", "é.é", "x" * 5000):
        assert auth.verify(garbage) is None


def test_a_token_issued_in_the_future_is_refused() -> None:
    clock = Clock()
    auth = make(clock=clock)
    clock.now += 3600
    token = auth.check_pin("2468", "c")
    clock.now -= 3600
    assert auth.verify(token) is None


def test_changing_the_pin_ends_the_sessions_it_opened() -> None:
    clock = Clock()
    token = make(pin="2468", clock=clock).check_pin("2468", "c")
    assert make(pin="2468", clock=clock).verify(token) is not None
    assert make(pin="1357", clock=clock).verify(token) is None
    assert make(pin="", tokens=(KIOSK,), clock=clock).verify(token) is None


def test_sign_out_revokes_the_session() -> None:
    auth = make()
    token = auth.check_pin("2468", "c")
    other = auth.check_pin("2468", "c")
    auth.revoke(token)
    assert auth.verify(token) is None
    assert auth.verify(other) is not None
    auth.revoke("not-a-token")  # harmless
    auth.revoke(None)


def test_a_kiosk_token_is_traded_for_a_session_that_ends_when_the_token_is_removed() -> None:
    clock = Clock()
    auth = make(tokens=(KIOSK,), clock=clock)
    assert auth.issue_for_token("not-the-token-0123456789") is None
    session_token = auth.issue_for_token(KIOSK)
    assert session_token is not None
    session = auth.verify(session_token)
    assert session is not None and session.via == "token"
    assert make(tokens=(KIOSK,), clock=clock).verify(session_token) is not None
    assert make(tokens=(), clock=clock).verify(session_token) is None


def test_a_short_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        AssociateAuth(AssociateConfig(pin="2468"), b"short", Clock())


# --- the secret key file ----------------------------------------------------------------------


def test_the_secret_is_created_once_with_mode_0600_and_then_reused(tmp_path: Path) -> None:
    path = tmp_path / "data" / "secret.key"
    key = load_or_create_secret(path)
    assert len(key) == SECRET_BYTES
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create_secret(path) == key
    assert load_or_create_secret(tmp_path / "other.key") != key


def test_a_secret_other_users_can_read_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "secret.key"
    load_or_create_secret(path)
    os.chmod(path, 0o644)
    with pytest.raises(ConfigError, match="chmod 600"):
        load_or_create_secret(path)


def test_a_short_secret_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "secret.key"
    path.write_bytes(b"too short")
    os.chmod(path, 0o600)
    with pytest.raises(ConfigError, match="at least 32"):
        load_or_create_secret(path)
