"""The doctor's config check and its reading of a board link's state."""

from __future__ import annotations

from pathlib import Path

import pytest

from vitrine.board_fit import missing_subsystems
from vitrine.config import Config
from vitrine.doctor.boards import board_check
from vitrine.doctor.config import check_config
from vitrine.hardware import load_boards


def test_no_config_file_is_a_warning_with_the_defaults(tmp_path, monkeypatch) -> None:
    missing = tmp_path / "vitrine.toml"
    monkeypatch.setattr("vitrine.doctor.config.DEFAULT_PATH", missing)
    check, config = check_config(None)
    assert (check.status, check.detail) == ("warn", f"no config at {missing}: the defaults apply")
    assert config == Config()


def test_an_invalid_config_fails_naming_key_value_and_allowed(tmp_path: Path) -> None:
    path = tmp_path / "vitrine.toml"
    path.write_text("[http]\nport = 70000\n")
    check, config = check_config(path)
    assert config is None
    assert check.status == "fail"
    assert check.detail == f"{path}: http.port = 70000: Input should be less than or equal to 65535"
    assert check.fix.startswith(f"correct {path}")


def snapshot(**changes) -> dict:
    base = {
        "name": "touch",
        "role": "touch",
        "port": "/dev/ttyACM0",
        "state": "up",
        "last_error": None,
        "firmware_version": "0.1.0",
        "build_hash": "aaaaaaaaaaaa",
    }
    return {**base, **changes}


@pytest.mark.parametrize(
    ("error", "state", "status", "fix"),
    [
        (
            "port /dev/ttyACM0: permission denied (add the user to the dialout group)",
            "down",
            "fail",
            "add the user to the dialout group (usermod -aG dialout USER)",
        ),
        (
            "/dev/ttyACM0 is configured for role touch, but the board there says it is lights",
            "refused",
            "fail",
            "pin the port to the role the board reports, or swap the boards",
        ),
        (
            "no answer to HELLO on /dev/ttyACM0 for 2 s (is the board running Vitrine firmware?)",
            "handshake",
            "fail",
            "reflash with `vitrine flash --port /dev/ttyACM0 --role touch`",
        ),
        (
            "port /dev/ttyACM0: busy: another program has it open (a console, mpremote, ...)",
            "down",
            "warn",
            "close the program that holds /dev/ttyACM0",
        ),
        (None, "connecting", "fail", "check the board's power and cable"),
    ],
)
def test_a_link_not_up_gets_a_status_and_what_to_do_from_its_error(
    error: str | None, state: str, status: str, fix: str
) -> None:
    check = board_check(snapshot(state=state, last_error=error), "aaaaaaaaaaaa")
    assert check.status == status
    assert check.detail == f"/dev/ttyACM0: {state}: {error or 'no answer yet'}"
    assert check.fix.startswith(fix)


def test_an_unknown_role_still_gets_a_reflash_command() -> None:
    check = board_check(
        snapshot(
            name="/dev/ttyACM3",
            port="/dev/ttyACM3",
            role=None,
            state="handshake",
            last_error="no answer to HELLO",
        ),
        "aaaaaaaaaaaa",
    )
    assert check.name == "board /dev/ttyACM3"
    assert check.fix == "reflash with `vitrine flash --port /dev/ttyACM3 --role ROLE`"


DESCRIPTIONS = load_boards()


def test_a_board_whose_firmware_lacks_what_its_role_needs_is_a_warning() -> None:
    # A presence board whose firmware runs no proximity subsystem (an older build): its
    # selftest FAILs, so the doctor must not call it ok.
    up = snapshot(name="presence", role="presence", capabilities=["link", "console", "probe"])
    check = board_check(up, "aaaaaaaaaaaa", descriptions=DESCRIPTIONS)
    lacks = missing_subsystems("presence", up["capabilities"], DESCRIPTIONS, "/dev/ttyACM0")
    assert lacks is not None
    assert check.status == "warn"
    assert check.detail == (
        f"/dev/ttyACM0: firmware 0.1.0, build aaaaaaaaaaaa (this host's); {lacks.detail}"
    )
    assert check.fix == lacks.fix


def test_a_board_running_what_its_role_needs_is_ok() -> None:
    up = snapshot(capabilities=["link", "touch", "console", "probe"])
    check = board_check(up, "aaaaaaaaaaaa", descriptions=DESCRIPTIONS)
    assert check.status == "ok"


def test_another_build_lacking_a_subsystem_says_both_and_to_reflash() -> None:
    up = snapshot(capabilities=["link", "console", "probe"], build_hash="bbbbbbbbbbbb")
    check = board_check(up, "aaaaaaaaaaaa", descriptions=DESCRIPTIONS)
    assert check.status == "warn"
    assert "this host's firmware is build aaaaaaaaaaaa; its firmware runs no touch" in check.detail
    assert check.fix == "reflash with `vitrine flash --port /dev/ttyACM0 --role touch`"


def test_the_analytics_writer_state_shows_in_doctor(tmp_path: Path) -> None:
    from vitrine.analytics.writer import ObservationWriter
    from vitrine.doctor.boards import analytics_check

    writer = ObservationWriter(tmp_path / "analytics.db", "store-1", "mirror-1")
    writer.start()
    try:
        writer.observe("passer_by", 1_773_486_000.0, source="camera")
        writer.flush()
        ok = analytics_check(writer.status())
    finally:
        writer.close()
    assert ok.status == "ok"
    assert "1 observations written" in ok.detail
    full = {
        **writer.status(),
        "state": "disk_full",
        "detail": "database or disk is full",
        "buffered": 120,
        "overflowed": 7,
    }
    check = analytics_check(full)
    assert check.status == "fail"
    assert "disk_full" in check.detail
    assert "120 of" in check.detail
    assert "7 lost to the full buffer" in check.detail
    assert "free space" in check.fix
    recovered = analytics_check({**writer.status(), "overflowed": 7})
    assert recovered.status == "warn"
    assert "7 observations were lost" in recovered.detail
