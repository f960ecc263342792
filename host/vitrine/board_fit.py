"""Does a board's firmware run what its role needs? The board's description names the
subsystems its role needs (hardware/boards/ROLE.toml, `subsystems`); the capabilities in its
HELLO say which ones its firmware runs. This is the one comparison of the two: `vitrine doctor`
and the daemon's status (GET /api/status, the /status page) both report what it finds.

A subsystem missing from the board's firmware is a warning, not a failure: the link and the
rest of the board work, only what that subsystem does is off. What to do depends on this
host's firmware: when it has the subsystem, a reflash brings it; when it has not either, no
reflash can, and the warning says so.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, get_args

from vitrine.hardware import BoardDescription, Subsystem
from vitrine_fw import wire
from vitrine_fw.supervisor import SUBSYSTEMS as HOST_FIRMWARE_SUBSYSTEMS

# Every subsystem a role may need is a HELLO capability of the same name.
assert set(get_args(Subsystem)) <= set(wire.CAPABILITIES.values())

# What stays off without each subsystem, for a person reading the warning.
_WITHOUT = {
    "touch": "the glass does not answer touches",
    "proximity": "the mirror does not sense people in front of it (distance and motion)",
    "beacon": "the mirror neither advertises its beacon nor sees members' phones",
    "lighting": "the lights do not follow the scenes",
}


@dataclass(frozen=True)
class MissingSubsystems:
    """Subsystems a board's role needs that its firmware does not run."""

    role: str
    port: str
    missing: tuple[str, ...]  # in the description's order
    in_host_firmware: tuple[str, ...]  # of those, the ones this host's firmware has

    @property
    def detail(self) -> str:
        names = " and ".join(self.missing)
        effects = "; ".join(_WITHOUT.get(name, f"{name} is off") for name in self.missing)
        noun = "subsystem" if len(self.missing) == 1 else "subsystems"
        return (
            f"its firmware runs no {names} {noun}, which the {self.role} role needs "
            f"(hardware/boards/{self.role}.toml): {effects}"
        )

    @property
    def fix(self) -> str:
        reflash = f"vitrine flash --port {self.port} --role {self.role}"
        if set(self.in_host_firmware) == set(self.missing):
            return f"reflash with `{reflash}`: this host's firmware has it"
        lacking = " or ".join(n for n in self.missing if n not in self.in_host_firmware)
        has = ", ".join(sorted(HOST_FIRMWARE_SUBSYSTEMS)) or "none"
        return (
            f"no reflash helps yet: this host's firmware has no {lacking} subsystem either "
            f"(it has {has}); install a Vitrine release whose firmware has it, then `{reflash}`"
        )

    def to_json(self) -> dict[str, Any]:
        return {"subsystems": list(self.missing), "detail": self.detail, "fix": self.fix}


def missing_subsystems(
    role: str | None,
    capabilities: Iterable[str],
    descriptions: Mapping[str, BoardDescription],
    port: str,
) -> MissingSubsystems | None:
    """What the board on `port` lacks: the subsystems its role's description names that its
    HELLO's capabilities (names, as wire.CAPABILITIES has them) do not; None when it lacks
    nothing, or its role has no description (nothing to compare with)."""
    description = descriptions.get(role) if role else None
    if description is None:
        return None
    running = set(capabilities)
    missing = tuple(name for name in description.subsystems if name not in running)
    if not missing:
        return None
    return MissingSubsystems(
        role=description.role,
        port=port,
        missing=missing,
        in_host_firmware=tuple(n for n in missing if n in HOST_FIRMWARE_SUBSYSTEMS),
    )


def board_fit(
    snapshot: Mapping[str, Any], descriptions: Mapping[str, BoardDescription]
) -> MissingSubsystems | None:
    """missing_subsystems() for a link snapshot (BoardLink.snapshot(), or a status API entry):
    only a board that is up has said what its firmware runs."""
    if snapshot.get("state") != "up":
        return None
    return missing_subsystems(
        snapshot.get("role"), snapshot.get("capabilities") or (), descriptions, snapshot["port"]
    )
