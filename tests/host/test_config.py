"""The daemon's configuration schema: defaults, ranges, and the text of its errors."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from vitrine.config import BoardsConfig, Config, HttpConfig, LinkConfig, load_config, parse_config
from vitrine.errors import ConfigError
from vitrine.link.board import LinkSettings
from vitrine.paths import hardware_dir

# (section, key, lowest, highest): every ranged setting of the schema.
RANGES = [
    ("http", "port", 0, 65535),
    ("http", "max_connections", 8, 10_000),
    ("http", "max_connections_per_client", 2, 10_000),
    ("http", "request_timeout_s", 1.0, 300.0),
    ("http", "keep_alive_s", 1.0, 300.0),
    ("link", "heartbeat_s", 0.1, 5.0),
    ("link", "missed_heartbeats", 2, 20),
    ("link", "hello_interval_s", 0.05, 5.0),
    ("link", "command_timeout_s", 0.01, 10.0),
    ("link", "command_retries", 0, 10),
    ("link", "reconnect_min_s", 0.01, 10.0),
    ("link", "reconnect_max_s", 0.05, 60.0),
    ("link", "baudrate", 9600, 3_000_000),
    ("boards", "scan_interval_s", 0.2, 60.0),
]


def toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    return repr(value)


def shown(limit: float) -> str:
    """A limit as the schema's messages print it (60.0 reads "60")."""
    return str(int(limit)) if float(limit).is_integer() else repr(limit)


def one(section: str, key: str, value: object, extra: str = "") -> str:
    return f"[{section}]\n{key} = {toml_value(value)}\n{extra}"


def error_of(text: str, source: str = "mirror.toml") -> str:
    with pytest.raises(ConfigError) as info:
        parse_config(text, source)
    return str(info.value)


def test_empty_file_gives_the_defaults() -> None:
    cfg = parse_config("")
    assert cfg == Config()
    assert cfg.http.host == "127.0.0.1"
    assert cfg.http.port == 8080
    assert cfg.link.heartbeat_s == 1.0
    assert cfg.link.missed_heartbeats == 4
    assert cfg.link.hello_interval_s == 0.25
    assert cfg.link.command_timeout_s == 0.25
    assert cfg.link.command_retries == 3
    assert cfg.link.reconnect_min_s == 0.05
    assert cfg.link.reconnect_max_s == 1.0
    assert cfg.link.baudrate == 921600
    assert cfg.boards.discover_usb is True
    assert cfg.boards.scan_interval_s == 2.0
    assert cfg.boards.ports == {}
    assert cfg.boards.extra == []


def test_the_docstring_example_parses() -> None:
    import vitrine.config

    doc = vitrine.config.__doc__ or ""
    example = doc[doc.index("[http]") :]
    example = "\n".join(line.strip() for line in example.splitlines())
    cfg = parse_config(example)
    assert cfg.boards.ports["touch"].startswith("/dev/serial/by-id/")
    assert cfg.boards.extra == ["socket://192.168.1.50:4000"]


def test_the_documented_example_parses() -> None:
    doc = (Path(__file__).parents[2] / "docs" / "configuration.md").read_text()
    example = doc.split("```toml\n", 1)[1].split("```", 1)[0]
    cfg = parse_config(example, "docs/configuration.md")
    assert cfg.touch.frame == "55in"
    assert cfg.touch.display_width_px == 3840


def test_a_full_file_is_read() -> None:
    cfg = parse_config(
        """
        [http]
        host = "0.0.0.0"
        port = 0
        [link]
        heartbeat_s = 0.5
        missed_heartbeats = 6
        reconnect_min_s = 0.1
        reconnect_max_s = 0.1
        [boards]
        discover_usb = false
        ports = { lights = "socket://127.0.0.1:4000", touch = "/dev/ttyACM0" }
        extra = ["loop://"]
        """
    )
    assert cfg.http == HttpConfig(host="0.0.0.0", port=0)
    assert cfg.link.heartbeat_s == 0.5
    assert cfg.link.missed_heartbeats == 6
    assert cfg.link.reconnect_min_s == cfg.link.reconnect_max_s == 0.1
    assert cfg.boards == BoardsConfig(
        discover_usb=False,
        ports={"lights": "socket://127.0.0.1:4000", "touch": "/dev/ttyACM0"},
        extra=["loop://"],
    )


@pytest.mark.parametrize(("section", "key", "lo", "hi"), RANGES)
def test_range_limits_are_accepted(section: str, key: str, lo: float, hi: float) -> None:
    # reconnect_max_s must not fall below reconnect_min_s's default; keep the pair ordered.
    pair = "reconnect_max_s = 60.0\n" if key == "reconnect_min_s" else ""
    for value in (lo, hi):
        cfg = parse_config(one(section, key, value, pair if section == "link" else ""))
        assert getattr(getattr(cfg, section), key) == value


@pytest.mark.parametrize(("section", "key", "lo", "hi"), RANGES)
def test_out_of_range_is_refused_with_key_value_and_limit(
    section: str, key: str, lo: float, hi: float
) -> None:
    step = 1 if isinstance(lo, int) else 0.001
    below = lo - step
    above = hi + step
    text = error_of(one(section, key, below))
    assert text.startswith("mirror.toml: ")
    assert f"{section}.{key} = {below!r}" in text
    assert f"greater than or equal to {shown(lo)}" in text
    text = error_of(one(section, key, above))
    assert f"{section}.{key} = {above!r}" in text
    assert f"less than or equal to {shown(hi)}" in text


@pytest.mark.parametrize(
    ("section", "key", "value", "allowed"),
    [
        ("link", "heartbeat_s", "fast", "valid number"),
        ("link", "missed_heartbeats", 1.5, "valid integer"),
        ("http", "port", "eighty", "valid integer"),
        ("http", "host", 5, "valid string"),
        ("boards", "discover_usb", "maybe", "valid boolean"),
        ("boards", "extra", "socket://x", "valid list"),
    ],
)
def test_wrong_type_is_refused_with_key_value_and_what_is_allowed(
    section: str, key: str, value: object, allowed: str
) -> None:
    text = error_of(one(section, key, value))
    assert text.startswith("mirror.toml: ")
    assert f"{section}.{key} = {value!r}" in text
    assert allowed in text


@pytest.mark.parametrize(
    ("text", "key", "allowed"),
    [
        (
            "colour = 1",
            "colour",
            "analytics, associate, attract, beacons, boards, context, data",
        ),
        ("[http]\nhostname = 'x'", "http.hostname", "host, keep_alive_s, max_connections"),
        ("[link]\nheartbeat_ms = 1000", "link.heartbeat_ms", "baudrate, ble_hci, command_retries"),
        ("[boards]\nport = {}", "boards.port", "discover_usb, extra, ports, scan_interval_s"),
        ("[video]\nfps = 30", "video", "analytics, associate, attract, beacons, boards, context"),
    ],
)
def test_unknown_key_is_named_with_the_keys_allowed_there(
    text: str, key: str, allowed: str
) -> None:
    message = error_of(text)
    assert message.startswith(f"mirror.toml: {key}: unknown key; allowed: {allowed}")


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ('[link]\nheartbeat_s = "1.5"', "link.heartbeat_s"),
        ('[boards]\ndiscover_usb = "yes"', "boards.discover_usb"),
        ("[http]\nport = 8080.0", "http.port"),
        ("[link]\ncommand_retries = true", "link.command_retries"),
    ],
)
def test_values_of_the_wrong_type_are_refused_not_coerced(text: str, key: str) -> None:
    assert error_of(text).startswith(f"mirror.toml: {key} = ")


def test_an_integer_is_fine_where_seconds_are_expected() -> None:
    assert parse_config("[link]\nheartbeat_s = 2", "mirror.toml").link.heartbeat_s == 2.0


def test_every_problem_gets_its_own_line() -> None:
    text = error_of("[http]\nport = -1\n[link]\ncommand_retries = 11\nbogus = 1")
    lines = text.splitlines()
    assert len(lines) == 3
    assert all(line.startswith("mirror.toml: ") for line in lines)
    assert any("http.port = -1" in line for line in lines)
    assert any("link.command_retries = 11" in line for line in lines)
    assert any("link.bogus: unknown key" in line for line in lines)


def test_section_of_the_wrong_type() -> None:
    text = error_of("http = 3")
    assert "mirror.toml: http = 3" in text
    assert "dictionary" in text


def test_invalid_toml_names_the_source() -> None:
    text = error_of("[link\nheartbeat_s = 1", source="/etc/vitrine.toml")
    assert text.startswith("/etc/vitrine.toml: not valid TOML: ")


def test_reconnect_max_below_min_is_refused() -> None:
    text = error_of("[link]\nreconnect_min_s = 5.0\nreconnect_max_s = 1.0")
    assert text.startswith("mirror.toml: link")
    assert "reconnect_max_s must be >= reconnect_min_s" in text
    # Equal is fine, and the check also applies against a default.
    parse_config("[link]\nreconnect_min_s = 1.0\nreconnect_max_s = 1.0")
    assert "reconnect_max_s must be >= reconnect_min_s" in error_of("[link]\nreconnect_min_s = 2.0")


def test_ports_with_an_unknown_role_is_refused_naming_role_and_roles() -> None:
    text = error_of('[boards]\nports = { kitchen = "/dev/ttyACM0" }')
    assert text.startswith("mirror.toml: boards.ports.kitchen")
    assert "'kitchen'" in text
    for role in ("touch", "presence", "lights", "beacon"):
        assert f"'{role}'" in text


def test_empty_port_url_is_refused() -> None:
    text = error_of('[boards]\nports = { touch = "" }')
    assert "boards.ports.touch = ''" in text
    assert "at least 1 character" in text
    assert "boards.extra.1 = ''" in error_of('[boards]\nextra = ["loop://", ""]')


def test_trusted_proxies_are_addresses_or_networks() -> None:
    assert parse_config("").http.trusted_proxies == []  # none believed until listed
    cfg = parse_config('[http]\ntrusted_proxies = ["10.0.0.0/24", "fe80::1"]')
    assert cfg.http.trusted_proxies == ["10.0.0.0/24", "fe80::1"]
    assert parse_config("[http]\ntrusted_proxies = []").http.trusted_proxies == []
    text = error_of('[http]\ntrusted_proxies = ["*"]')
    assert text.startswith("mirror.toml: http.trusted_proxies")
    assert "'*' is not an IP address or network" in text
    assert "trusting every client would let any of them claim any address" in text
    assert "has host bits set" in error_of('[http]\ntrusted_proxies = ["10.0.0.1/8"]')
    assert "'proxy.local' is not" in error_of('[http]\ntrusted_proxies = ["proxy.local"]')


def test_origins_are_scheme_host_and_port() -> None:
    cfg = parse_config('[http]\norigins = ["http://localhost:8080", "https://mirror.example"]')
    assert cfg.http.origins == ["http://localhost:8080", "https://mirror.example"]
    assert parse_config("").http.origins == []
    for bad in ("localhost:8080", "http://x.example/player", "ftp://x.example", "null", "*"):
        text = error_of(f'[http]\norigins = ["{bad}"]')
        assert text.startswith("mirror.toml: http.origins"), text
        assert f"{bad!r} is not an origin" in text
        assert "e.g. http://localhost:8080" in text


def test_a_pin_shorter_than_six_digits_is_refused_saying_so() -> None:
    text = error_of('[associate]\npin = "2468"')
    # the PIN is named, never shown: the error goes to the journal
    assert text.startswith("mirror.toml: associate.pin (value not shown: a secret): "), text
    assert "2468" not in text
    assert "4 digits: allowed 6 to 12 digits" in text
    assert "allow_short_pin = true" in text
    assert parse_config('[associate]\npin = "246810"').associate.pin == "246810"
    kept = parse_config('[associate]\nallow_short_pin = true\npin = "2468"').associate
    assert kept.pin == "2468" and kept.short_pin
    assert "3 digits" in error_of('[associate]\nallow_short_pin = true\npin = "246"')


def test_a_bad_token_is_named_but_not_shown() -> None:
    text = error_of('[associate]\ntokens = ["short-secret"]')
    assert text.startswith("mirror.toml: associate.tokens.0 (value not shown: a secret): "), text
    assert "short-secret" not in text


def test_config_is_frozen() -> None:
    cfg = parse_config("")
    with pytest.raises(ValueError, match="frozen"):
        cfg.http.port = 1  # type: ignore[misc]


def test_load_config_reads_a_file(tmp_path: Path) -> None:
    path = tmp_path / "vitrine.toml"
    path.write_text("[http]\nport = 9000\n")
    assert load_config(path).http.port == 9000


def test_load_config_errors_name_the_file(tmp_path: Path) -> None:
    path = tmp_path / "vitrine.toml"
    path.write_text("[http]\nport = 70000\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value).startswith(f"{path}: http.port = 70000: ")


def test_load_config_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "absent.toml"
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value) == f"{path}: cannot read: No such file or directory"


def test_link_settings_carry_every_link_key() -> None:
    link = parse_config(
        """
        [link]
        heartbeat_s = 0.5
        missed_heartbeats = 7
        hello_interval_s = 0.1
        command_timeout_s = 0.3
        command_retries = 5
        reconnect_min_s = 0.2
        reconnect_max_s = 3.0
        baudrate = 115200
        """
    ).link
    settings = link.settings()
    assert isinstance(settings, LinkSettings)
    dumped = link.model_dump()
    assert set(dumped) <= {f.name for f in dataclasses.fields(LinkSettings)}
    for key, value in dumped.items():
        assert getattr(settings, key) == value, key
    assert settings.missed_heartbeats == 7
    assert settings.baudrate == 115200
    # Settings the file does not have keep the link's own defaults.
    assert settings.handshake_patience_s == LinkSettings().handshake_patience_s


def test_default_link_config_matches_link_defaults() -> None:
    assert LinkConfig().settings() == LinkSettings()


def test_an_unknown_touch_frame_is_refused_naming_the_key_and_the_known_frames() -> None:
    message = error_of('[touch]\nframe = "99in"\n')
    assert message.startswith("mirror.toml: touch.frame: frame '99in': no such description")
    frames = sorted(f.stem for f in (hardware_dir() / "frames").glob("*.toml"))
    assert message.endswith(f"known: {', '.join(frames)}")
