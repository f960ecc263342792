"""The presence board's parts in a virtual board: a VL53L1X (vitrine.sim.vl53l1x) on the I2C
bus for every sensor of its config, each with its XSHUT pin and GPIO1 line, and the HC-SR501
PIR (vitrine.sim.pir) on its pin, all watching the simulation's stage (the world of people
the simulation plays, vitrine.sim.people.Stage) from where the board description mounts them.

The parts are wired to the board object before the firmware starts, as a board's sensors are
soldered before it powers up: the chips are powered (their XSHUT lines pulled up, as on the
breakout boards) until the firmware drives XSHUT; each board's chips have their own noise,
seeded from the board's uid and the sensor's index, so a board has the same sensors at every
boot. Faults the simulation can set: the bus held low (SimBoard.i2c_stuck), the PIR's output
stuck high (`pir.stuck`); a test may fit a chip of another kind (`chip.model_id`, read at the
chip's next power-up).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from vitrine.sim.board import I2CDevice, SimPin
from vitrine.sim.people import Stage
from vitrine.sim.pir import Hcsr501, PirMount, Trimmers
from vitrine.sim.tof import Mount, Optics
from vitrine.sim.vl53l1x import Vl53l1x


@dataclass
class PresenceParts:
    """What attach_sensors wired: the chips in the config's order, and the PIR."""

    bus: int
    chips: list[Vl53l1x] = field(default_factory=list)
    pir: Hcsr501 | None = None


def _seed(uid: str, what: str) -> int:
    return int.from_bytes(hashlib.sha256(f"{what}-{uid}".encode()).digest()[:8], "big")


class Wiring(Protocol):
    """What the parts are wired to: a board's I2C devices by bus and its pins (SimBoard has
    them, and so does the replay's board, vitrine.sim.presence_replay)."""

    i2c_devices: dict[int, list[I2CDevice]]
    pins: dict[int, SimPin]


def attach_sensors(
    board: Wiring,
    cfg: dict[str, Any],
    uid: str,
    stage: Stage,
    *,
    clock: Callable[[], float] = time.monotonic,
) -> PresenceParts | None:
    """Wire a presence board's parts (None for a board whose config has no "proximity")."""
    prox = cfg.get("proximity")
    if not prox:
        return None
    bus = prox["i2c"]["bus"]
    parts = PresenceParts(bus)
    devices = board.i2c_devices.setdefault(bus, [])
    for index, spec in enumerate(prox["tof"]):
        mount = Mount(
            x_m=spec.get("x_mm", 0.0) / 1000,
            height_m=spec.get("height_mm", 1100.0) / 1000,
            yaw_deg=spec.get("yaw_deg", 0.0),
            pitch_deg=spec.get("pitch_deg", 0.0),
        )
        optics = Optics(mount, stage, seed=_seed(uid, f"tof{index}"))
        chip = Vl53l1x(clock, optics)
        devices.append(chip)
        parts.chips.append(chip)
        if spec.get("xshut") is not None:
            pin = board.pins[spec["xshut"]] = SimPin(spec["xshut"], "out")
            pin.sink = chip.xshut
        if spec.get("gpio1") is not None:
            pin = board.pins[spec["gpio1"]] = SimPin(spec["gpio1"], "in")
            pin.source = chip.gpio1
    pir_cfg = prox.get("pir")
    if pir_cfg:
        mount = PirMount(
            x_m=pir_cfg.get("x_mm", 0.0) / 1000,
            height_m=pir_cfg.get("height_mm", 1900.0) / 1000,
            yaw_deg=pir_cfg.get("yaw_deg", 0.0),
        )
        pir = Hcsr501(
            clock,
            stage,
            mount=mount,
            seed=_seed(uid, "pir"),
            trimmers=Trimmers(warmup_s=float(pir_cfg.get("warmup_s", 60))),
        )
        pin = board.pins[pir_cfg["pin"]] = SimPin(pir_cfg["pin"], "in")
        pin.source = pir.level
        parts.pir = pir
    return parts
