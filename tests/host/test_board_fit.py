"""The one comparison of what a board's role needs (its description's subsystems) with what its
firmware runs (its HELLO's capabilities), which `vitrine doctor` and the status API report."""

from __future__ import annotations

from typing import Any

import pytest

from vitrine.board_fit import board_fit, missing_subsystems
from vitrine.hardware import load_boards
from vitrine_fw import wire
from vitrine_fw.supervisor import SUBSYSTEMS

DESCRIPTIONS = load_boards()
EVERY_BOARD = ["link", "console", "probe"]  # what every firmware build runs


def test_a_board_running_what_its_role_needs_lacks_nothing() -> None:
    assert missing_subsystems("touch", [*EVERY_BOARD, "touch"], DESCRIPTIONS, "/dev/tty0") is None
    assert missing_subsystems("lights", [*EVERY_BOARD, "lighting"], DESCRIPTIONS, "p") is None


@pytest.mark.parametrize("role", ["presence", "beacon"])
def test_a_subsystem_no_firmware_has_yet_says_no_reflash_helps(role: str) -> None:
    # A role that needs a subsystem no firmware build of this host has (a description newer
    # than the firmware): the premise is made, since every role's subsystem exists today.
    subsystem = "hologram"
    assert subsystem not in SUBSYSTEMS
    needs = DESCRIPTIONS[role].model_copy(update={"subsystems": [subsystem]})
    lacks = missing_subsystems(role, EVERY_BOARD, {**DESCRIPTIONS, role: needs}, "/dev/ttyACM1")
    assert lacks is not None
    assert lacks.missing == (subsystem,)
    assert lacks.in_host_firmware == ()
    assert lacks.detail.startswith(
        f"its firmware runs no {subsystem} subsystem, which the {role} role needs "
        f"(hardware/boards/{role}.toml): "
    )
    assert lacks.fix.startswith(
        f"no reflash helps yet: this host's firmware has no {subsystem} subsystem either "
        f"(it has {', '.join(sorted(SUBSYSTEMS))})"
    )
    assert f"`vitrine flash --port /dev/ttyACM1 --role {role}`" in lacks.fix


def test_a_subsystem_this_hosts_firmware_has_is_a_reflash() -> None:
    lacks = missing_subsystems("touch", EVERY_BOARD, DESCRIPTIONS, "/dev/ttyACM0")
    assert lacks is not None
    assert lacks.missing == ("touch",)
    assert lacks.in_host_firmware == ("touch",)
    assert "the glass does not answer touches" in lacks.detail
    assert lacks.fix == (
        "reflash with `vitrine flash --port /dev/ttyACM0 --role touch`: this host's firmware has it"
    )
    assert lacks.to_json() == {"subsystems": ["touch"], "detail": lacks.detail, "fix": lacks.fix}


def test_a_role_without_a_description_has_nothing_to_compare_with() -> None:
    assert missing_subsystems(None, [], DESCRIPTIONS, "p") is None
    assert missing_subsystems("kitchen", [], DESCRIPTIONS, "p") is None


def test_the_hello_capabilities_name_every_subsystem_a_role_may_need() -> None:
    for description in DESCRIPTIONS.values():
        assert set(description.subsystems) <= set(wire.CAPABILITIES.values())


def snapshot(**changes: Any) -> dict[str, Any]:
    base = {"role": "presence", "port": "/dev/ttyACM1", "state": "up", "capabilities": EVERY_BOARD}
    return {**base, **changes}


def test_a_link_snapshot_is_compared_only_while_up() -> None:
    lacks = board_fit(snapshot(), DESCRIPTIONS)
    assert lacks is not None
    assert lacks.missing == ("proximity",)
    assert board_fit(snapshot(state="down"), DESCRIPTIONS) is None  # it has not said, now
    assert board_fit(snapshot(capabilities=[*EVERY_BOARD, "proximity"]), DESCRIPTIONS) is None
