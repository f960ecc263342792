"""The daemon's configuration: one TOML file, validated once at start against this schema
(ranges, units in the key names, defaults). An invalid value stops the start with a message
naming the key, the value and what is allowed; the rest of the code sees only valid config.

Example (every key is optional):

    [http]
    host = "127.0.0.1"
    port = 8080
    origins = []              # other origins of the kiosk's pages, e.g. "http://localhost:8080"
    trusted_proxies = []      # reverse proxies whose X-Forwarded-For is believed

    [link]
    heartbeat_s = 1.0
    missed_heartbeats = 4
    command_timeout_s = 0.25
    command_retries = 3
    reconnect_min_s = 0.05
    reconnect_max_s = 1.0

    [boards]
    discover_usb = true
    scan_interval_s = 2.0
    ports = { touch = "/dev/serial/by-id/usb-Espressif_USB_JTAG_serial_debug_unit-if00" }
    extra = ["socket://192.168.1.50:4000"]

    [touch]   # see vitrine.devices.touch.config for every key
    frame = "32in"
    display_width_px = 1920
    display_height_px = 1080
"""

from __future__ import annotations

import ipaddress
import tomllib
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, ValidationError, field_validator, model_validator

from vitrine.analytics.config import AnalyticsConfig, FleetConfig, ManagerConfig
from vitrine.devices.beacons.device import BeaconsConfig
from vitrine.devices.lights import LightingConfig
from vitrine.devices.presence.config import PresenceConfig
from vitrine.devices.touch.config import TouchConfig
from vitrine.engine.config import (
    AssociateConfig,
    AttractConfig,
    EngineConfig,
    RetentionConfig,
    SessionConfig,
    StoreConfig,
)
from vitrine.engine.context import ContextConfig
from vitrine.engine.experiments import ExperimentConfig
from vitrine.errors import ConfigError, format_validation_error
from vitrine.hardware import BoardDescription, load_frame, uart_bauds, usb_bauds, usb_ids
from vitrine.link.board import LinkSettings
from vitrine.link.boards import BoardPorts
from vitrine.link.ports import DEFAULT_BAUD
from vitrine.paths import state_dir
from vitrine.section import Section
from vitrine.vision.config import VisionConfig
from vitrine.web.origins import normal_origin
from vitrine_fw import wire

DEFAULT_PATH = Path("/etc/vitrine/vitrine.toml")  # the config the installed service reads

Role = Literal["touch", "presence", "lights", "beacon"]
PortUrl = Annotated[str, Field(min_length=1, max_length=512)]


class HttpConfig(Section):
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)  # 0: any free port (tests)
    # Other machines may drive the mirror's screen (the player's socket, calibration targets);
    # the associate app and the catalogue answer them either way.
    remote_control: bool = False
    # Origins (scheme://host[:port]) whose pages may use the mirror's sockets and the associate
    # app's actions, besides the kiosk's own (local_url(): what the kiosk opens) and, for the
    # associate app, the name a phone reached it by (vitrine.web.origins).
    origins: list[str] = Field(default_factory=list, max_length=32)
    # Reverse proxies whose X-Forwarded-For / X-Forwarded-Proto are believed (addresses or
    # networks): a client seen through one of them is known by the address it forwards, for
    # the screen's this-machine-only rule. None by default: a proxy, even one on the mirror,
    # is believed only once the operator lists it; a header from anyone else is ignored.
    trusted_proxies: list[str] = Field(default_factory=list)
    # Limits on the HTTP server (vitrine.web.server): connections open at once (HTTP and
    # WebSocket; beyond it a request is answered 503), of them from one address (a trusted
    # proxy's are not counted: it speaks for many), how long a request's head and body may
    # take to arrive, and how long an idle kept-alive connection stays open.
    max_connections: int = Field(default=100, ge=8, le=10_000)
    max_connections_per_client: int = Field(default=32, ge=2, le=10_000)
    request_timeout_s: float = Field(default=10.0, ge=1.0, le=300.0)
    keep_alive_s: float = Field(default=5.0, ge=1.0, le=300.0)

    @field_validator("origins")
    @classmethod
    def _origins(cls, value: list[str]) -> list[str]:
        for item in value:
            if normal_origin(item) is None:
                raise ValueError(
                    f"{item!r} is not an origin: allowed scheme://host[:port] with scheme http "
                    "or https and nothing after the port, e.g. http://localhost:8080, "
                    "https://mirror-7.store.example"
                )
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _addresses(cls, value: list[str]) -> list[str]:
        for item in value:
            try:
                if "/" in item:
                    ipaddress.ip_network(item)
                else:
                    ipaddress.ip_address(item)
            except ValueError as err:
                why = f" ({err})" if "/" in item else ""
                raise ValueError(
                    f"{item!r} is not an IP address or network{why}: e.g. 10.0.0.5, "
                    "10.0.0.0/24, ::1; list each proxy, as trusting every client would let "
                    "any of them claim any address"
                ) from None
        return value

    def local_url(self, port: int | None = None) -> str:
        """The daemon's base URL for a client on this machine (a wildcard host is reached on
        the loopback address), ending in "/"; port overrides the configured one."""
        host = self.host
        if host in ("", "0.0.0.0", "::"):
            host = "127.0.0.1"
        elif ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port if port is None else port}/"


class LinkConfig(Section):
    # the ranges a board follows (LINK_TIMING, docs/protocol.md §7)
    heartbeat_s: float = Field(
        default=1.0, ge=wire.HEARTBEAT_MIN_MS / 1000, le=wire.HEARTBEAT_MAX_MS / 1000
    )
    missed_heartbeats: int = Field(default=4, ge=wire.MISSED_MIN, le=wire.MISSED_MAX)
    hello_interval_s: float = Field(default=0.25, ge=0.05, le=5.0)
    command_timeout_s: float = Field(default=0.25, ge=0.01, le=10.0)
    command_retries: int = Field(default=3, ge=0, le=10)
    reconnect_min_s: float = Field(default=0.05, ge=0.01, le=10.0)
    reconnect_max_s: float = Field(default=1.0, ge=0.05, le=60.0)
    # Ports whose board is not known in advance (an extra URL); a UART board pinned or found
    # on USB is opened at its description's baud.
    baudrate: int = Field(default=DEFAULT_BAUD, ge=9600, le=3_000_000)
    # The adapter ble:// boards are reached through: "" is bleak (BlueZ); a Bumble HCI
    # transport (vitrine.link.bumble_central) otherwise: the simulation's virtual adapter
    # "unix:STATE/ble/host.hci", a USB dongle "usb:0", a raw HCI socket "hci-socket:0".
    ble_hci: str = Field(default="", max_length=300, pattern=r"^$|^[a-z][a-z0-9-]*:\S*$")

    @model_validator(mode="after")
    def _ordered(self) -> LinkConfig:
        if self.reconnect_max_s < self.reconnect_min_s:
            raise ValueError("reconnect_max_s must be >= reconnect_min_s")
        return self

    def settings(self) -> LinkSettings:
        return LinkSettings(**self.model_dump())


class BoardsConfig(Section):
    discover_usb: bool = True
    scan_interval_s: float = Field(default=2.0, ge=0.2, le=60.0)
    ports: dict[Role, PortUrl] = Field(default_factory=dict)  # role pinned to a port URL
    extra: list[PortUrl] = Field(default_factory=list)  # more URLs, role learned from HELLO

    def board_ports(self, descriptions: dict[str, BoardDescription]) -> BoardPorts:
        """These ports, with what the board descriptions add: the USB ids discovery looks for
        and the baud rate of each board reached over a UART."""
        return BoardPorts(
            pinned=dict(self.ports),
            extra=list(self.extra),
            discover_usb=self.discover_usb,
            usb_ids=frozenset(usb_ids(descriptions)),
            scan_interval_s=self.scan_interval_s,
            bauds=uart_bauds(descriptions),
            usb_bauds=usb_bauds(descriptions),
        )


class DataConfig(Section):
    # "" = the service's state folder ($STATE_DIRECTORY, else /var/lib/vitrine)
    dir: str = Field(default="", max_length=4096)

    def path(self) -> Path:
        """The data folder: catalog.db, events.db, media/, secret.key."""
        return Path(self.dir) if self.dir else state_dir()


class Config(Section):
    http: HttpConfig = HttpConfig()
    link: LinkConfig = LinkConfig()
    boards: BoardsConfig = BoardsConfig()
    touch: TouchConfig = TouchConfig()
    presence: PresenceConfig = PresenceConfig()
    data: DataConfig = DataConfig()
    store: StoreConfig = StoreConfig()
    session: SessionConfig = SessionConfig()
    associate: AssociateConfig = AssociateConfig()
    context: ContextConfig = ContextConfig()
    attract: AttractConfig = AttractConfig()
    experiment: list[ExperimentConfig] = Field(default=[], max_length=32)  # [[experiment]]
    lighting: LightingConfig = LightingConfig()
    beacons: BeaconsConfig = BeaconsConfig()
    retention: RetentionConfig = RetentionConfig()
    analytics: AnalyticsConfig = AnalyticsConfig()
    fleet: FleetConfig = FleetConfig()
    manager: ManagerConfig = ManagerConfig()
    vision: VisionConfig = VisionConfig()

    @model_validator(mode="after")
    def _unique_experiments(self) -> Config:
        names = [e.name for e in self.experiment]
        doubles = sorted({n for n in names if names.count(n) > 1})
        if doubles:
            raise ValueError(f"experiment: names must be unique; repeated: {', '.join(doubles)}")
        return self

    def engine(self) -> EngineConfig:
        """The sections the experience engine reads, in one object."""
        return EngineConfig(
            store=self.store,
            session=self.session,
            associate=self.associate,
            context=self.context,
            attract=self.attract,
            experiments=list(self.experiment),
            lighting=self.lighting,
            retention=self.retention,
        )


def parse_config(text: str, source: str = "config") -> Config:
    """Parse and validate TOML text; raises ConfigError."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{source}: not valid TOML: {err}") from err
    try:
        config = Config.model_validate(data)
    except ValidationError as err:
        raise ConfigError(format_validation_error(source, err, Config)) from err
    _check_frame(config, source)
    return config


def _check_frame(config: Config, source: str) -> None:
    # touch.frame names a description the schema cannot see: check it now, not at start-up.
    try:
        load_frame(config.touch.frame)
    except ConfigError as err:
        raise ConfigError(f"{source}: touch.frame: {err}") from err


def load_config(path: Path) -> Config:
    """Read and validate a config file; raises ConfigError naming the file."""
    try:
        text = path.read_text()
    except OSError as err:
        raise ConfigError(f"{path}: cannot read: {err.strerror}") from err
    return parse_config(text, str(path))
