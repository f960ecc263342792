"""Board descriptions from hardware/boards/*.toml, validated, and the config.json each board
gets from its description."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from vitrine.errors import ConfigError, format_validation_error
from vitrine.paths import hardware_dir

Gpio = Annotated[int, Field(ge=0, le=255)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class UsbIds(_Strict):
    vid: int = Field(ge=0, le=0xFFFF)
    pid: int = Field(ge=0, le=0xFFFF)


class LinkWiring(_Strict):
    kind: Literal["usb-cdc", "uart"]
    id: int | None = Field(default=None, ge=0, le=3)
    tx: Gpio | None = None
    rx: Gpio | None = None
    baud: int | None = Field(default=None, ge=9600, le=3_000_000)

    @model_validator(mode="after")
    def _uart_needs_wiring(self) -> LinkWiring:
        if self.kind == "uart":
            missing = [k for k in ("id", "tx", "rx", "baud") if getattr(self, k) is None]
            if missing:
                raise ValueError(f"a uart link needs {', '.join(missing)}")
        return self


class BoardDescription(_Strict):
    role: Literal["touch", "presence", "lights", "beacon"]
    name: str
    notes: str = ""
    mcu: str
    module: str
    micropython_port: Literal["esp32", "rp2"]
    mpy_arch: str
    subsystems: list[str] = []
    watchdog_ms: int = Field(default=5000, ge=1000, le=8000)
    liveness_ms: int = Field(default=2000, ge=200, le=8000, validate_default=True)
    usb: UsbIds
    link: LinkWiring
    pins: dict[str, Gpio] = {}

    @field_validator("liveness_ms")
    @classmethod
    def _liveness_below_watchdog(cls, value: int, info: ValidationInfo) -> int:
        # vitrine_fw.config.check refuses this at boot: a task silent for liveness_ms stops
        # the feed, and that must happen before the watchdog resets the board.
        watchdog_ms = info.data.get("watchdog_ms")
        if watchdog_ms is not None and value >= watchdog_ms:
            raise ValueError(f"must be below watchdog_ms={watchdog_ms}")
        return value


def load_board(path: Path) -> BoardDescription:
    """Read and validate one description; raises ConfigError naming file, key and problem."""
    try:
        data = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as err:
        raise ConfigError(f"{path}: {err}") from err
    try:
        board = BoardDescription.model_validate(data)
    except ValidationError as err:
        raise ConfigError(format_validation_error(str(path), err, BoardDescription)) from err
    if board.role != path.stem:
        raise ConfigError(f"{path}: role={board.role!r} must match the file name {path.stem!r}")
    return board


def load_boards(folder: Path | None = None) -> dict[str, BoardDescription]:
    """All board descriptions, by role."""
    folder = (folder or hardware_dir()) / "boards"
    boards = {}
    for path in sorted(folder.glob("*.toml")):
        board = load_board(path)
        boards[board.role] = board
    if not boards:
        raise ConfigError(f"{folder}: no board descriptions (*.toml) found")
    return boards


def board_config(board: BoardDescription, build_hash: str) -> dict[str, Any]:
    """The config.json a board of this description runs with."""
    link = board.link.model_dump(exclude_none=True)
    return {
        "role": board.role,
        "board": board.module,
        "link": link,
        "watchdog_ms": board.watchdog_ms,
        "liveness_ms": board.liveness_ms,
        "subsystems": list(board.subsystems),
        "pins": dict(board.pins),
        "build_hash": build_hash,
    }


def usb_ids(boards: dict[str, BoardDescription]) -> set[tuple[int, int]]:
    """The (vid, pid) pairs discovery looks for."""
    return {(b.usb.vid, b.usb.pid) for b in boards.values()}
