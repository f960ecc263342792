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
    kind: Literal["usb-cdc", "uart", "ble"]  # ble: over GATT (docs/protocol.md §15)
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
    """One LED strip of a lighting board. Addressable (the default): its data pin (a name from
    [pins]), its length and the order its chips take the colours in (GRB for WS2812B, GRBW for
    SK6812 RGBW), the white LED's colour temperature (RGBW). Cct: a warm and a cool white
    channel on two PWM pins, their colour temperatures, its LEDs and PWM frequency. Both: one
    LED's current at full white (all its channels), which the board's budget counts."""

    kind: Literal["addressable", "cct"] = "addressable"
    pin: str | None = None
    pixels: int = Field(default=1, ge=1, le=1000)  # vitrine_fw.config.MAX_PIXELS
    order: str = "GRB"
    white_k: int = Field(default=4500, ge=1000, le=20000)
    warm: str | None = None
    cool: str | None = None
    warm_k: int = Field(default=2700, ge=1000, le=20000)
    cool_k: int = Field(default=6500, ge=1000, le=20000)
    leds: int = Field(default=1, ge=1, le=10000)
    pwm_hz: int = Field(default=2000, ge=1000, le=40000)  # 1 kHz and up: no visible flicker
    led_ma: int = Field(default=60, ge=1, le=500)  # WLED counts 55 mA for a WS2812B

    @field_validator("order")
    @classmethod
    def _order(cls, value: str) -> str:
        if sorted(value) not in (sorted("RGB"), sorted("RGBW")):
            raise ValueError("must hold R, G, B (and W) once each, e.g. GRB or GRBW")
        return value

    @model_validator(mode="after")
    def _pins(self) -> LedStrip:
        if self.kind == "addressable" and self.pin is None:
            raise ValueError("an addressable strip needs its data pin")
        if self.kind == "cct":
            if self.warm is None or self.cool is None:
                raise ValueError("a cct strip needs its warm and cool pins")
            if self.warm_k >= self.cool_k:
                raise ValueError(f"warm_k={self.warm_k} must be below cool_k={self.cool_k}")
        return self

    def pin_names(self) -> list[str]:
        return [p for p in (self.pin, self.warm, self.cool) if p is not None]


class LightingSettings(Section):
    """[lighting] of a lights board: the supply its strips share and the safe scene."""

    supply_ma: int = Field(default=4000, ge=100, le=100_000)  # the power supply's rating
    reserve_ma: int = Field(default=300, ge=0, le=10_000)  # kept for the board itself
    safe_kelvin: int = Field(default=4000, ge=1000, le=20_000)
    safe_brightness: int = Field(default=180, ge=0, le=255)
    safe_after_s: float = Field(default=30.0, ge=1.0, le=3600.0)

    @model_validator(mode="after")
    def _budget(self) -> LightingSettings:
        if self.reserve_ma >= self.supply_ma:
            raise ValueError(f"reserve_ma={self.reserve_ma} leaves nothing of supply_ma")
        return self

    @property
    def budget_ma(self) -> int:
        return self.supply_ma - self.reserve_ma


class TofSensor(Section):
    """One VL53L1X of a presence board: its name, the address it is moved to, the pins of its
    XSHUT and GPIO1 (names from [pins]; either may be absent), and where it sits on the mirror
    and looks (for the host's fusion and the simulator's optics)."""

    name: str = Field(min_length=1, max_length=16)
    address: int = Field(default=0x29, ge=0x08, le=0x77)
    xshut: str | None = None
    gpio1: str | None = None
    x_mm: float = Field(default=0.0, ge=-2000, le=2000)  # along the glass from its centre
    height_mm: float = Field(default=1100.0, ge=0, le=2500)
    yaw_deg: float = Field(default=0.0, ge=-80, le=80)  # turned toward +x
    pitch_deg: float = Field(default=0.0, ge=-45, le=45)  # up


class I2cWiring(Section):
    bus: int = Field(default=0, ge=0, le=1)
    scl: str
    sda: str
    freq_hz: int = Field(default=400_000, ge=10_000, le=1_000_000)


class PirWiring(Section):
    """The presence board's PIR: its output pin (a name from [pins]), the seconds after power-on
    its output means nothing, and how long high means stuck; where it sits on the mirror."""

    pin: str
    warmup_s: int = Field(default=60, ge=0, le=300)
    stuck_s: int = Field(default=600, ge=10, le=86400)
    x_mm: float = Field(default=0.0, ge=-2000, le=2000)
    height_mm: float = Field(default=1900.0, ge=0, le=2500)
    yaw_deg: float = Field(default=0.0, ge=-80, le=80)


class ProximitySettings(Section):
    """[proximity] of a presence board (vitrine_fw.config checks the same on the board)."""

    i2c: I2cWiring
    distance_mode: Literal["short", "long"] = "long"
    timing_budget_ms: int = 33
    period_ms: int = Field(default=37, ge=19, le=10_000)
    median: Literal[1, 3, 5] = 3
    max_mm: int = Field(default=3000, ge=100, le=4000)
    approach_mm: int = Field(default=1500, ge=100, le=4000)
    present_ms: int = Field(default=1000, ge=0, le=60_000)
    leave_ms: int = Field(default=1500, ge=100, le=60_000)
    hysteresis_mm: int = Field(default=100, ge=0, le=1000)
    distance_rate_hz: int = Field(default=30, ge=1, le=100)
    pir: PirWiring | None = None

    @model_validator(mode="after")
    def _budget(self) -> ProximitySettings:
        allowed = (15, 20, 33, 50, 100, 200, 500)[self.distance_mode == "long" :]
        if self.timing_budget_ms not in allowed:
            raise ValueError(
                f"timing_budget_ms={self.timing_budget_ms}: allowed in {self.distance_mode} "
                f"mode {', '.join(map(str, allowed))}"
            )
        if self.period_ms < self.timing_budget_ms + 4:
            raise ValueError(
                f"period_ms={self.period_ms} must be at least timing_budget_ms + 4 = "
                f"{self.timing_budget_ms + 4}"
            )
        return self


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
    lighting: LightingSettings | None = None  # lighting: the supply and the safe scene
    proximity: ProximitySettings | None = None  # presence: the sensors' bus and thresholds
    tof: list[TofSensor] = Field(default_factory=list, max_length=4)  # presence: its sensors
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
            for pin in strip.pin_names():
                self._named(f"strips[{i}].pin", pin)
        return self

    @model_validator(mode="after")
    def _sensors(self) -> BoardDescription:
        if self.tof and self.proximity is None:
            raise ValueError("[[tof]] sensors need a [proximity] table (their bus and thresholds)")
        if self.proximity is not None and not self.tof:
            raise ValueError("[proximity] needs at least one [[tof]] sensor")
        if self.proximity is not None:
            self._named("proximity.i2c.scl", self.proximity.i2c.scl)
            self._named("proximity.i2c.sda", self.proximity.i2c.sda)
            if self.proximity.pir is not None:
                self._named("proximity.pir.pin", self.proximity.pir.pin)
        names = [t.name for t in self.tof]
        addresses = [t.address for t in self.tof]
        for i, sensor in enumerate(self.tof):
            for key in ("xshut", "gpio1"):
                pin = getattr(sensor, key)
                if pin is not None:
                    self._named(f"tof[{i}].{key}", pin)
            if names.count(sensor.name) > 1:
                raise ValueError(f"tof[{i}].name={sensor.name!r} is another sensor's too")
            if addresses.count(sensor.address) > 1:
                raise ValueError(f"tof[{i}].address=0x{sensor.address:02x} is another sensor's too")
        if sum(1 for t in self.tof if t.xshut is None) > 1:
            raise ValueError(
                "tof: at most one sensor may lack an xshut pin (the others are held in reset "
                "while one moves from 0x29 to its address)"
            )
        return self

    def _named(self, key: str, pin: str) -> None:
        if pin not in self.pins:
            named = ", ".join(sorted(self.pins)) or "none"
            raise ValueError(f"{key}={pin!r} is not one of the [pins] (named: {named})")


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

    @model_validator(mode="after")
    def _one_run_of_pins(self) -> FrameWiring:
        # The PIO program (vitrine_fw/hal.py, PioFrame) sets them with one `out pins`: the
        # emitter address, the receiver address (one for both axes' multiplexers), the x and
        # the y emitter enable, on consecutive GPIOs in that order.
        if self.x.receiver_address != self.y.receiver_address:
            raise ValueError("x and y must share one receiver_address (one PIO write sets it)")
        pins = [
            *self.emitter_address,
            *self.x.receiver_address,
            self.x.emitter_enable,
            self.y.emitter_enable,
        ]
        first = pins[0]
        if pins != list(range(first, first + len(pins))):
            raise ValueError(
                "emitter_address, receiver_address, x.emitter_enable, y.emitter_enable must be "
                f"consecutive GPIOs in that order (the PIO sets them in one write), got {pins}"
            )
        return self


class EmitterPart(Section):
    """The emitters' part: its emission profile's half angle and its rise time, with the
    datasheet they come from."""

    part: str
    half_angle_deg: float = Field(gt=2, le=80)
    rise_ns: float = Field(gt=0, le=10_000)
    source: str = Field(min_length=1)


class ReceiverPart(Section):
    """The receivers' part: its acceptance half angle, rise and fall times and dark current,
    with the datasheet they come from."""

    part: str
    half_angle_deg: float = Field(gt=2, le=85)
    rise_us: float = Field(gt=0, le=100)
    fall_us: float = Field(gt=0, le=100)
    dark_current_na: float = Field(ge=0, le=10_000)
    source: str = Field(min_length=1)


class FrameOptics(Section):
    """Where the parts sit and what they are (the glass model is built from this)."""

    bar_gap_mm: float = Field(ge=0, le=50)
    emitter_aperture_mm: float = Field(gt=0, le=20)
    receiver_aperture_mm: float = Field(gt=0, le=20)
    straight_level: float = Field(gt=0.05, le=0.9)
    saturation: float = Field(gt=0.5, le=1.0)
    emitter: EmitterPart
    receiver: ReceiverPart


class ScanTiming(Section):
    """What each operation of a scan costs (hardware/README.md, Scan timing)."""

    pio_mhz: int = Field(ge=10, le=400)  # whole MHz: the PIO counts its waits in cycles
    adc_bits: int = Field(ge=8, le=16)
    adc_conversion_us: float = Field(gt=0, le=100)
    mux_settle_us: float = Field(ge=0, le=100)
    led_on_settle_us: float = Field(gt=0, le=200)
    led_off_settle_us: float = Field(ge=0, le=200)


class FrameDescription(Section):
    """An IR touch frame: active area, beams per axis, optics, wiring and scan timing."""

    name: str
    notes: str = ""
    width_mm: float = Field(gt=50, le=3000)
    height_mm: float = Field(gt=50, le=3000)
    x: FrameAxis
    y: FrameAxis
    optics: FrameOptics
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
        **({"lighting": lighting_config(board.lighting)} if board.lighting else {}),
        **({"proximity": proximity_config(board)} if board.proximity else {}),
        **({"beacon": board.beacon.model_dump()} if board.beacon else {}),
    }


def proximity_config(board: BoardDescription) -> dict[str, Any]:
    """The "proximity" entry of a presence board's config.json: pins as GPIO numbers, the
    sensors' placement kept (the simulator reads it; the firmware ignores it)."""
    prox = board.proximity
    assert prox is not None
    pins = board.pins
    out = prox.model_dump(exclude={"i2c", "pir"})
    out["i2c"] = {
        "bus": prox.i2c.bus,
        "scl": pins[prox.i2c.scl],
        "sda": pins[prox.i2c.sda],
        "freq": prox.i2c.freq_hz,
    }
    out["pir"] = (
        {**prox.pir.model_dump(), "pin": pins[prox.pir.pin]} if prox.pir is not None else None
    )
    out["tof"] = [
        {
            **t.model_dump(),
            "xshut": pins[t.xshut] if t.xshut is not None else None,
            "gpio1": pins[t.gpio1] if t.gpio1 is not None else None,
        }
        for t in board.tof
    ]
    return out


def strips_config(board: BoardDescription) -> list[dict[str, Any]]:
    """The "strips" entry of a lighting board's config.json: each strip with GPIO numbers."""
    out: list[dict[str, Any]] = []
    for s in board.strips:
        if s.kind == "cct":
            assert s.warm is not None and s.cool is not None
            out.append(
                {
                    "kind": "cct",
                    "warm": board.pins[s.warm],
                    "cool": board.pins[s.cool],
                    "warm_k": s.warm_k,
                    "cool_k": s.cool_k,
                    "leds": s.leds,
                    "led_ma": s.led_ma,
                    "pwm_hz": s.pwm_hz,
                }
            )
        else:
            assert s.pin is not None
            out.append(
                {
                    "pin": board.pins[s.pin],
                    "pixels": s.pixels,
                    "order": s.order,
                    "led_ma": s.led_ma,
                    "white_k": s.white_k,
                }
            )
    return out


def lighting_config(lighting: LightingSettings) -> dict[str, Any]:
    """The "lighting" entry of a lights board's config.json: its budget and safe scene."""
    return {
        "budget_ma": lighting.budget_ma,
        "safe_kelvin": lighting.safe_kelvin,
        "safe_brightness": lighting.safe_brightness,
        "safe_after_ms": round(lighting.safe_after_s * 1000),
    }


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
