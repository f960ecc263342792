"""Associate sign-in: the PIN and the mirror's budget of wrong PINs, session tokens and the
sessions kept in auth.db (a sign-out holds across a restart), kiosk bearer tokens and the
daemon's secret key file."""

from __future__ import annotations

import base64
import json
import logging
import os
import stat
from pathlib import Path

import pytest

from vitrine.associate import pin_budget, store
from vitrine.associate.auth import AssociateAuth, AuthError
from vitrine.associate.pin_budget import FIRST_PAUSE_S, FORGET_S, FREE_FAILURES, MAX_PAUSE_S
from vitrine.associate.store import MEMORY, AuthStore
from vitrine.engine.config import AssociateConfig
from vitrine.errors import ConfigError
from vitrine.secret_key import SECRET_BYTES, load_or_create_secret

SECRET = bytes(range(32))
KIOSK = "kiosk-token-0123456789abcdef"
PIN = "246810"


class Clock:
    """A wall clock the test moves by hand."""

    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def make(
    pin: str = PIN,
    tokens: tuple[str, ...] = (),
    clock: Clock | None = None,
    kept: AuthStore | None = None,
    **kw,
) -> AssociateAuth:
    """Sign-in as the daemon sets it up; `kept` is the auth.db it reads (a fresh one in
    memory when not given; pass the same one for the same daemon's files)."""
    config = AssociateConfig(pin=pin, tokens=list(tokens), **kw)
    return AssociateAuth(config, SECRET, kept or AuthStore.open(MEMORY), clock or Clock())


def refused(auth: AssociateAuth, pin: str, client: str = "10.0.0.2") -> AuthError:
    with pytest.raises(AuthError) as caught:
        auth.check_pin(pin, client)
    return caught.value


# --- PIN --------------------------------------------------------------------------------------


def test_the_right_pin_opens_a_session_that_lasts_session_hours() -> None:
    clock = Clock()
    auth = make(clock=clock, session_hours=2.0)
    token = auth.check_pin(PIN, "10.0.0.2")
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
    token = make(clock=clock).check_pin(PIN, "c")
    body, signature = token.split(".")
    payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    assert payload["iat"] == int(clock.now)
    assert payload["exp"] == int(clock.now) + 12 * 3600
    assert payload["via"] == "pin"
    assert PIN not in token and PIN not in json.dumps(payload)
    assert len(base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4))) == 32


def test_a_wrong_pin_is_refused_and_says_how_many_are_left_on_this_mirror() -> None:
    err = refused(make(), "135790")
    assert (err.status, err.code) == (401, "wrong_pin")
    assert "4 more wrong PINs on this mirror" in err.message


def test_five_wrong_pins_from_anywhere_pause_pin_sign_in_for_every_device() -> None:
    """One budget for the mirror: a guesser who changes address (X-Forwarded-For) at every
    try gets no more tries than one who does not."""
    clock = Clock()
    auth = make(clock=clock)
    for n in range(FREE_FAILURES - 1):
        assert refused(auth, "000000", f"10.0.0.{n}").status == 401
        clock.now += 5
    fifth = refused(auth, "000000", "10.0.0.99")
    assert (fifth.status, fifth.code, fifth.retry_after_s) == (429, "too_many_attempts", 30)
    assert "paused for every device for 30 seconds" in fifth.message
    right = refused(auth, PIN, "10.0.0.200")  # another device, the right PIN: not tried
    assert (right.status, right.retry_after_s) == (429, 30)
    clock.now += 10
    assert refused(auth, PIN, "10.0.0.201").retry_after_s == 20
    assert auth.budget.paused_for() == 20
    clock.now += 20
    assert auth.budget.paused_for() == 0
    assert auth.verify(auth.check_pin(PIN, "10.0.0.2")) is not None


def pauses_after(auth: AssociateAuth, clock: Clock, wrong: int) -> list[int | None]:
    # The pause each of `wrong` wrong PINs starts, each tried once the last pause is over.
    for _ in range(FREE_FAILURES - 1):
        refused(auth, "000000")
    pauses = []
    for _ in range(wrong):
        err = refused(auth, "000000")
        assert err.status == 429
        pauses.append(err.retry_after_s)
        clock.now += err.retry_after_s or 0
    return pauses


def test_each_wrong_pin_after_a_pause_doubles_it() -> None:
    clock = Clock()
    pauses = pauses_after(make(clock=clock), clock, 8)
    # 930 s of pauses: one wrong PIN forgotten, so the sixth pause is the fifth's again
    assert pauses == [30, 60, 120, 240, 480, 480, 480, 480]
    assert FIRST_PAUSE_S == 30 and FORGET_S == 600


def test_a_pause_is_at_most_fifteen_minutes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pin_budget, "FORGET_S", 10 * 24 * 3600.0)  # nothing forgotten
    clock = Clock()
    pauses = pauses_after(make(clock=clock), clock, 8)
    assert pauses == [30, 60, 120, 240, 480, 900, 900, 900]
    assert MAX_PAUSE_S == 900


def test_tries_while_paused_do_not_count() -> None:
    clock = Clock()
    auth = make(clock=clock)
    for _ in range(FREE_FAILURES):
        refused(auth, "000000")
    for _ in range(50):
        assert refused(auth, "000000").retry_after_s == 30
    clock.now += 30
    assert refused(auth, "000000").retry_after_s == 60  # the sixth wrong PIN, not the 56th


def test_a_wrong_pin_is_forgotten_every_ten_minutes() -> None:
    clock = Clock()
    auth = make(clock=clock)
    for _ in range(FREE_FAILURES - 1):
        refused(auth, "000000")
    assert auth.budget.left() == 1
    clock.now += FORGET_S
    assert auth.budget.left() == 2
    clock.now += 3 * FORGET_S
    assert auth.budget.left() == FREE_FAILURES
    for _ in range(FREE_FAILURES - 1):
        assert refused(auth, "000000").status == 401


def test_the_right_pin_does_not_forgive_the_wrong_ones() -> None:
    """Else every associate signing in would give a guesser five tries more."""
    auth = make()
    for _ in range(FREE_FAILURES - 1):
        refused(auth, "000000")
    auth.check_pin(PIN, "10.0.0.2")
    assert refused(auth, "000000").status == 429


def test_a_guesser_trying_as_fast_as_allowed_gets_about_150_pins_a_day() -> None:
    """The figure docs/associate.md gives: a 6-digit PIN holds for years."""
    clock = Clock()
    auth = make(clock=clock)
    start, tries = clock.now, 0
    while clock.now < start + 24 * 3600:
        wait = auth.budget.paused_for()
        if wait:
            clock.now += wait
            continue
        refused(auth, "000000")
        tries += 1
    assert 130 <= tries <= 160, tries
    assert 24 * 3600 / FORGET_S == 144


def test_a_pause_is_logged_as_a_warning_naming_the_device_and_what_to_do(
    caplog: pytest.LogCaptureFixture,
) -> None:
    auth = make()
    with caplog.at_level(logging.WARNING, logger="vitrine.associate"):
        for _ in range(FREE_FAILURES - 1):
            refused(auth, "000000", "192.0.2.7")
        assert not caplog.records
        refused(auth, "000000", "192.0.2.8")
    (record,) = caplog.records
    assert record.levelno == logging.WARNING
    text = record.getMessage()
    assert "5 wrong PINs on this mirror (the last from 192.0.2.8)" in text
    assert "paused for every device for 30 s" in text
    assert "[associate] pin" in text


def test_the_pause_and_the_count_survive_a_restart(tmp_path: Path) -> None:
    clock = Clock()
    path = tmp_path / "auth.db"
    first = AuthStore.open(path)
    auth = make(clock=clock, kept=first)
    for _ in range(FREE_FAILURES):
        refused(auth, "000000")
    first.close()
    again = make(clock=clock, kept=AuthStore.open(path))  # the daemon restarted
    assert again.budget.paused_for() == 30
    assert refused(again, PIN).status == 429
    assert again.status().to_json() == {
        "pin_sign_in": "paused",
        "paused_for_s": 30,
        "wrong_pins": 5,
    }


def test_a_pin_that_is_not_a_bounded_string_is_a_bad_message() -> None:
    auth = make()
    assert refused(auth, "1" * 65).status == 422
    assert refused(auth, 246810).status == 422  # type: ignore[arg-type]


def test_with_no_pin_and_no_token_the_app_is_locked_and_says_how_to_set_a_pin() -> None:
    auth = make(pin="")
    assert auth.locked
    err = refused(auth, PIN)
    assert (err.status, err.code) == (403, "locked")
    assert "[associate] pin" in err.message and "6 to 12 digits" in err.message
    assert auth.verify("") is None
    assert auth.verify(None) is None


def test_with_only_tokens_pin_sign_in_is_off_but_tokens_work() -> None:
    auth = make(pin="", tokens=(KIOSK,))
    assert not auth.locked
    assert refused(auth, PIN).code == "pin_off"
    session = auth.verify(KIOSK)
    assert session is not None
    assert (session.via, session.expires_at) == ("token", None)


def test_a_short_pin_is_refused_for_a_new_set_up_and_kept_only_when_allowed() -> None:
    with pytest.raises(ValueError, match="4 digits: allowed 6 to 12 digits") as refused_pin:
        AssociateConfig(pin="2468")
    assert "allow_short_pin = true" in str(refused_pin.value)
    with pytest.raises(ValueError, match="3 digits"):
        AssociateConfig(pin="246", allow_short_pin=True)  # never below 4
    kept = AssociateConfig(pin="2468", allow_short_pin=True)
    assert kept.short_pin
    assert not AssociateConfig(pin=PIN).short_pin
    auth = make(pin="2468", allow_short_pin=True)
    assert auth.verify(auth.check_pin("2468", "c")) is not None


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
    token = auth.check_pin(PIN, "c")
    body, signature = token.split(".")
    payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    payload["exp"] += 3600
    forged = base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()
    assert auth.verify(f"{forged}.{signature}") is None
    flipped = signature[:-2] + ("A" if signature[-2] != "A" else "B") + signature[-1]
    assert auth.verify(f"{body}.{flipped}") is None
    other = AssociateAuth(AssociateConfig(pin=PIN), bytes(32), AuthStore.open(MEMORY), Clock())
    assert other.verify(token) is None
    for garbage in ("", ".", "a.b", f"{body}.", f".{signature}", f"{token}.x", "é.é", "x" * 5000):
        assert auth.verify(garbage) is None


def test_a_token_issued_in_the_future_is_refused() -> None:
    clock = Clock()
    auth = make(clock=clock)
    clock.now += 3600
    token = auth.check_pin(PIN, "c")
    clock.now -= 3600
    assert auth.verify(token) is None


def test_changing_the_pin_ends_the_sessions_it_opened() -> None:
    clock = Clock()
    kept = AuthStore.open(MEMORY)
    token = make(pin=PIN, clock=clock, kept=kept).check_pin(PIN, "c")
    assert make(pin=PIN, clock=clock, kept=kept).verify(token) is not None
    assert make(pin="135790", clock=clock, kept=kept).verify(token) is None
    assert make(pin="", tokens=(KIOSK,), clock=clock, kept=kept).verify(token) is None


def test_sign_out_revokes_the_session() -> None:
    auth = make()
    token = auth.check_pin(PIN, "c")
    other = auth.check_pin(PIN, "c")
    auth.revoke(token)
    assert auth.verify(token) is None
    assert auth.verify(other) is not None
    auth.revoke("not-a-token")  # harmless
    auth.revoke(None)


def test_a_sign_out_holds_across_a_restart_and_other_sessions_survive_it(tmp_path: Path) -> None:
    clock = Clock()
    path = tmp_path / "auth.db"
    first = AuthStore.open(path)
    auth = make(clock=clock, kept=first)
    signed_out, kept = auth.check_pin(PIN, "c"), auth.check_pin(PIN, "c")
    auth.revoke(signed_out)
    first.close()
    again = make(clock=clock, kept=AuthStore.open(path))  # the daemon restarted
    assert again.verify(signed_out) is None
    assert again.verify(kept) is not None


def test_a_well_signed_token_of_a_session_not_in_auth_db_is_refused(tmp_path: Path) -> None:
    """A session is good only while auth.db holds it (a copy of the secret is not enough)."""
    clock = Clock()
    token = make(clock=clock).check_pin(PIN, "c")
    assert make(clock=clock, kept=AuthStore.open(tmp_path / "auth.db")).verify(token) is None


def test_auth_db_keeps_at_most_max_sessions_and_prunes_expired_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store, "MAX_SESSIONS", 5)
    clock = Clock()
    kept = AuthStore.open(tmp_path / "auth.db")
    auth = make(clock=clock, kept=kept, session_hours=1.0)
    tokens = []
    for _ in range(8):
        tokens.append(auth.check_pin(PIN, "c"))
        clock.now += 1
    assert kept.session_count() == 5
    assert [auth.verify(t) is not None for t in tokens] == [False] * 3 + [True] * 5
    clock.now += 3600
    make(clock=clock, kept=kept)  # a restart an hour later: all have expired
    assert kept.session_count() == 0
    rows = kept._conn.execute("SELECT COUNT(*) FROM session").fetchone()[0]
    assert rows == 0


def test_a_kiosk_token_is_traded_for_a_session_that_ends_when_the_token_is_removed() -> None:
    clock = Clock()
    kept = AuthStore.open(MEMORY)
    auth = make(tokens=(KIOSK,), clock=clock, kept=kept)
    assert auth.issue_for_token("not-the-token-0123456789") is None
    session_token = auth.issue_for_token(KIOSK)
    assert session_token is not None
    session = auth.verify(session_token)
    assert session is not None and session.via == "token"
    assert make(tokens=(KIOSK,), clock=clock, kept=kept).verify(session_token) is not None
    assert make(tokens=(), clock=clock, kept=kept).verify(session_token) is None


def test_a_short_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        AssociateAuth(AssociateConfig(pin=PIN), b"short", AuthStore.open(MEMORY), Clock())


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
