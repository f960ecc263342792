"""Board descriptions from hardware/boards/*.toml, validated, and the config.json each board
gets from its description."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from vitrine.errors import ConfigError, format_validation_error
from vitrine.paths import hardware_dir
from vitrine.section import Section

Gpio = Annotated[int, Field(ge=0, le=255)]
# The firmware subsystems a role may need: the HELLO capabilities of that name say whether a
# board's firmware runs one (vitrine.board_fit compares the two).
Subsystem = Literal["touch", "proximity", "beacon", "lighting"]


class UsbIds(Section):
    vid: int = Field(ge=0, le=0xFFFF)
    pid: int = Field(ge=0, le=0xFFFF)


class LinkWiring(Section):
    kind: Literal["usb-cdc", "uart", "ble"]  # ble: over GATT (docs/protocol.md §14)
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


class LedStrip(Section):
    """One LED strip of a lighting board: its data pin (a name from [pins]), its length and
    the order its chips take the colours in (GRB for WS2812B, GRBW for SK6812 RGBW)."""

    pin: str
    pixels: int = Field(ge=1, le=1000)  # vitrine_fw.config.MAX_PIXELS
    order: str = "GRB"

    @field_validator("order")
    @classmethod
    def _order(cls, value: str) -> str:
        if sorted(value) not in (sorted("RGB"), sorted("RGBW")):
            raise ValueError("must hold R, G, B (and W) once each, e.g. GRB or GRBW")
        return value


class IBeaconIdentity(Section):
    uuid: str = Field(
        pattern=r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?"
        r"[0-9a-fA-F]{12}$"
    )
    major: int = Field(ge=0, le=0xFFFF)
    minor: int = Field(ge=0, le=0xFFFF)


class EddystoneUidIdentity(Section):
    namespace: str = Field(pattern=r"^[0-9a-fA-F]{20}$")  # 10 bytes
    instance: str = Field(pattern=r"^[0-9a-fA-F]{12}$")  # 6 bytes


class BeaconSettings(Section):
    """The beacon role's [beacon]: what it advertises and listens for (the firmware checks the
    same ranges at boot: vitrine_fw.config)."""

    interval_ms: int = Field(default=100, ge=20, le=10240)
    frame_ms: int = Field(default=1000, ge=100, le=60000)
    power_1m_dbm: int = Field(default=-59, ge=-100, le=20)
    tlm_every: int = Field(default=10, ge=0, le=100)
    company_id: int = Field(default=0xFFFF, ge=0, le=0xFFFF)
    scan_interval_ms: int = Field(default=100, ge=10, le=10240)
    scan_window_ms: int = Field(default=90, ge=10, le=10240)
    ibeacon: IBeaconIdentity | None = None
    eddystone_uid: EddystoneUidIdentity | None = None
    eddystone_url: str | None = None

    @model_validator(mode="after")
    def _checked_as_the_firmware_does(self) -> BeaconSettings:
        from vitrine_fw import config as fw_config

        fw_config.check({"role": "beacon", "beacon": self.model_dump()}, "[beacon]")
        return self


class BoardDescription(Section):
    role: Literal["touch", "presence", "lights", "beacon"]
    name: str
    notes: str = ""
    mcu: str
    module: str
    micropython_port: Literal["esp32", "rp2"]
    mpy_arch: str
    subsystems: list[Subsystem] = Field(default_factory=list)
    watchdog_ms: int = Field(default=5000, ge=1000, le=8000)
    liveness_ms: int = Field(default=2000, ge=200, le=8000, validate_default=True)
    usb: UsbIds
    link: LinkWiring
    pins: dict[str, Gpio] = Field(default_factory=dict)
    frame: str | None = None  # touch role: the frame description in hardware/frames/
    strips: list[LedStrip] = Field(default_factory=list)  # lighting: its strips, one colour
    beacon: BeaconSettings | None = None  # the beacon role's advertising and scanning
    production: bool = False  # boards flashed from it rate-limit the console and refuse `repl`

    @field_validator("liveness_ms")
    @classmethod
    def _liveness_below_watchdog(cls, value: int, info: ValidationInfo) -> int:
        # vitrine_fw.config.check refuses this at boot: a task silent for liveness_ms stops
        # the feed, and that must happen before the watchdog resets the board.
        watchdog_ms = info.data.get("watchdog_ms")
        if watchdog_ms is not None and value >= watchdog_ms:
            raise ValueError(f"must be below watchdog_ms={watchdog_ms}")
        return value

    @model_validator(mode="after")
    def _strip_pins_are_named(self) -> BoardDescription:
        for i, strip in enumerate(self.strips):
            if strip.pin not in self.pins:
                named = ", ".join(sorted(self.pins)) or "none"
                raise ValueError(
                    f"strips[{i}].pin={strip.pin!r} is not one of the [pins] (named: {named})"
                )
        return self


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


BEAMS = (8, 256)  # beams an axis may have: a decoder / multiplexer addresses at most 256


class FrameAxis(Section):
    """One axis of beams: emitters along one bar, receivers along the opposite one."""

    count: int = Field(ge=BEAMS[0], le=BEAMS[1])
    pitch_mm: float = Field(gt=1, le=20)
    first_mm: float = Field(ge=0)
    fan: list[int] = Field(min_length=1, max_length=7)

    @field_validator("fan")
    @classmethod
    def _fan(cls, fan: list[int], info: ValidationInfo) -> list[int]:
        count = info.data.get("count")
        if 0 not in fan:
            raise ValueError("must include 0, the straight beam")
        if len(set(fan)) != len(fan):
            raise ValueError("offsets must be distinct")
        if count is not None and any(abs(k) >= count // 2 for k in fan):
            raise ValueError(f"offsets must be below half the beam count ({count // 2})")
        return fan


class AxisWiring(Section):
    emitter_enable: Gpio
    receiver_address: list[Gpio] = Field(min_length=1, max_length=8)
    adc: Gpio


class FrameWiring(Section):
    emitter_address: list[Gpio] = Field(min_length=1, max_length=8)
    x: AxisWiring
    y: AxisWiring


class ScanTiming(Section):
    settle_us: float = Field(gt=0, le=1000)
    conversion_us: float = Field(gt=0, le=1000)
    axes_in_parallel: bool = True


class FrameDescription(Section):
    """An IR touch frame: active area, beams per axis, wiring and scan timing."""

    name: str
    notes: str = ""
    width_mm: float = Field(gt=50, le=3000)
    height_mm: float = Field(gt=50, le=3000)
    x: FrameAxis
    y: FrameAxis
    wiring: FrameWiring
    timing: ScanTiming

    @model_validator(mode="after")
    def _beams_inside(self) -> FrameDescription:
        for axis, span in (("x", self.width_mm), ("y", self.height_mm)):
            a: FrameAxis = getattr(self, axis)
            last = a.first_mm + (a.count - 1) * a.pitch_mm
            if last > span:
                raise ValueError(
                    f"{axis}: the last beam at {last:g} mm lies outside the {span:g} mm active area"
                )
            bits = (
                len(self.wiring.emitter_address),
                len(getattr(self.wiring, axis).receiver_address),
            )
            if a.count > 1 << min(bits):
                raise ValueError(
                    f"{axis}: {a.count} beams need more than {min(bits)} address lines"
                )
        return self

    def beams(self) -> int:
        """Beams scanned per frame: every emitter against every receiver of its fan."""
        return sum(a.count - abs(k) for a in (self.x, self.y) for k in a.fan)

    def scan_time_us(self) -> float:
        """One full scan in the timing model: per emitter, its fan's receivers read dark, the
        emitter switched on, the same receivers read lit; every switch waits settle_us."""
        per_axis = []
        for a in (self.x, self.y):
            reads = sum(a.count - abs(k) for k in a.fan)
            per_axis.append(
                a.count * 2 * self.timing.settle_us + 2 * reads * self.timing.conversion_us
            )
        return max(per_axis) if self.timing.axes_in_parallel else sum(per_axis)


def load_frame(name_or_path: str | Path, folder: Path | None = None) -> FrameDescription:
    """A frame description by name (hardware/frames/NAME.toml) or path; raises ConfigError."""
    path = Path(name_or_path)
    if path.suffix != ".toml":
        path = (folder or hardware_dir()) / "frames" / f"{name_or_path}.toml"
        if not path.exists():
            known = sorted(p.stem for p in path.parent.glob("*.toml"))
            raise ConfigError(
                f"frame {str(name_or_path)!r}: no such description; known: {', '.join(known)}"
            )
    try:
        data = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as err:
        raise ConfigError(f"{path}: {err}") from err
    try:
        return FrameDescription.model_validate(data)
    except ValidationError as err:
        raise ConfigError(format_validation_error(str(path), err, FrameDescription)) from err


def frame_config(frame: FrameDescription) -> dict[str, Any]:
    """The "frame" entry of a touch board's config.json."""
    return frame.model_dump(exclude={"name", "notes"})


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


def board_config(
    board: BoardDescription, build_hash: str, *, production: bool | None = None
) -> dict[str, Any]:
    """The config.json a board of this description runs with; `production` overrides the
    description's own `production` key (for a tool that flashes production boards)."""
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
        "production": board.production if production is None else production,
        **({"frame": frame_config(load_frame(board.frame))} if board.frame else {}),
        **({"strips": strips_config(board)} if board.strips else {}),
        **({"beacon": board.beacon.model_dump()} if board.beacon else {}),
    }


def strips_config(board: BoardDescription) -> list[dict[str, Any]]:
    """The "strips" entry of a lighting board's config.json: each strip's GPIO, length, order."""
    return [{"pin": board.pins[s.pin], "pixels": s.pixels, "order": s.order} for s in board.strips]


def usb_ids(boards: dict[str, BoardDescription]) -> set[tuple[int, int]]:
    """The (vid, pid) pairs discovery looks for."""
    return {(b.usb.vid, b.usb.pid) for b in boards.values()}


def uart_bauds(boards: dict[str, BoardDescription]) -> dict[str, int]:
    """Role -> baud rate of each board reached over a UART (through a USB-serial bridge): the
    rate its firmware runs the UART at, which the host must open the bridge at."""
    return {
        role: b.link.baud for role, b in boards.items() if b.link.kind == "uart" and b.link.baud
    }


def usb_bauds(boards: dict[str, BoardDescription]) -> dict[tuple[int, int], int]:
    """(vid, pid) of each UART board's USB-serial bridge -> the board's baud rate, so a bridge
    found on USB is opened at it; raises ConfigError when two descriptions name one bridge
    with two rates (discovery could not tell which to use)."""
    out: dict[tuple[int, int], int] = {}
    owner: dict[tuple[int, int], str] = {}
    for role, baud in sorted(uart_bauds(boards).items()):
        ids = (boards[role].usb.vid, boards[role].usb.pid)
        if out.setdefault(ids, baud) != baud:
            raise ConfigError(
                f"boards {owner[ids]} and {role} share the USB id {ids[0]:04x}:{ids[1]:04x} "
                f"but name different bauds ({out[ids]} and {baud}): give both one rate"
            )
        owner.setdefault(ids, role)
    return out
