"""The shipped unit templates filled in: every value checked, quoted where systemd needs it,
nothing left unfilled."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from vitrine.service.units import (
    DAEMON_UNIT,
    KIOSK_UNIT,
    ServiceError,
    UnitValues,
    exec_arg,
    fill,
    render_units,
    template,
)

VALUES = UnitValues(
    executable=Path("/opt/vitrine/bin/vitrine"),
    config=Path("/etc/vitrine/vitrine.toml"),
    kiosk_user="shop",
    http_port=8123,
)


def key(unit: str, name: str) -> list[str]:
    """Every value of `name=` in a unit (continuation lines joined)."""
    text = unit.replace("\\\n", " ")
    return [m.group(1) for m in re.finditer(rf"^{name}=(.*)$", text, re.MULTILINE)]


def test_both_units_are_filled_completely() -> None:
    units = render_units(VALUES)
    assert list(units) == [DAEMON_UNIT, KIOSK_UNIT]
    for text in units.values():
        assert not re.search(r"@[A-Z_]+@", text)
    daemon, kiosk = units[DAEMON_UNIT], units[KIOSK_UNIT]
    assert key(daemon, "ExecStart") == [
        "/opt/vitrine/bin/vitrine run --config /etc/vitrine/vitrine.toml"
    ]
    assert key(daemon, "User") == ["vitrine"]
    assert key(daemon, "Type") == ["notify"]
    assert key(daemon, "ProtectHome") == ["yes"]
    assert key(kiosk, "User") == ["shop"]
    assert key(kiosk, "BindsTo") == [DAEMON_UNIT]
    assert key(kiosk, "After")[0].split()[0] == DAEMON_UNIT
    exec_start = key(kiosk, "ExecStart")[0].split()
    assert exec_start[0] == "/usr/bin/chromium"
    assert "--kiosk" in exec_start
    assert exec_start[-1] == "http://127.0.0.1:8123/"


def test_without_a_kiosk_user_only_the_daemon_unit() -> None:
    values = UnitValues(executable=VALUES.executable, config=VALUES.config)
    assert list(render_units(values)) == [DAEMON_UNIT]


def test_the_daemon_must_not_deny_write_execute_memory() -> None:
    # Inference runtimes may generate code; the unit explains why the option is absent.
    assert key(render_units(VALUES)[DAEMON_UNIT], "MemoryDenyWriteExecute") == []


@pytest.mark.parametrize(
    ("host", "url"),
    [
        ("127.0.0.1", "http://127.0.0.1:8123/"),
        ("0.0.0.0", "http://127.0.0.1:8123/"),
        ("::", "http://127.0.0.1:8123/"),
        ("192.168.1.20", "http://192.168.1.20:8123/"),
        ("::1", "http://[::1]:8123/"),
    ],
)
def test_the_kiosk_finds_the_daemon_where_it_listens(host: str, url: str) -> None:
    values = UnitValues(VALUES.executable, VALUES.config, http_host=host, http_port=8123)
    assert values.player_url() == url


def test_paths_with_spaces_percent_and_dollar_are_quoted_for_exec_start() -> None:
    values = UnitValues(Path("/opt/my vitrine/bin/vitrine"), Path("/etc/vitrine/100%$x.toml"))
    daemon = render_units(values)[DAEMON_UNIT]
    assert key(daemon, "ExecStart") == [
        '"/opt/my vitrine/bin/vitrine" run --config /etc/vitrine/100%%$$x.toml'
    ]
    assert exec_arg('a"b\\c') == '"a\\"b\\\\c"'


def test_a_home_folder_is_read_only_instead_of_hidden() -> None:
    values = UnitValues(Path("/home/pi/vitrine/.venv/bin/vitrine"), VALUES.config)
    assert key(render_units(values)[DAEMON_UNIT], "ProtectHome") == ["read-only"]
    reads = UnitValues(VALUES.executable, VALUES.config, reads=(Path("/root/src/hardware"),))
    assert reads.protect_home() == "read-only"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"user": "Vitrine Daemon"}, "user 'Vitrine Daemon': allowed a user name of lower-case"),
        ({"kiosk_user": "root"}, "kiosk user 'root': allowed the graphical session's own user"),
        ({"http_port": 0}, "[http] port = 0: the kiosk needs a fixed port, 1..65535"),
        ({"config": Path("vitrine.toml")}, "config 'vitrine.toml': allowed an absolute path"),
        ({"executable": Path("/opt/a\nb")}, "executable '/opt/a\\nb': allowed a single line"),
        ({"display": "$DISPLAY"}, "display '$DISPLAY': allowed an X display such as ':0'"),
    ],
)
def test_values_that_cannot_go_into_a_unit_are_refused_naming_them(change, message) -> None:
    fields = {**VALUES.__dict__, **change}
    with pytest.raises(ServiceError) as info:
        render_units(UnitValues(**fields))
    assert str(info.value).startswith(message)


def test_a_template_placeholder_without_a_value_is_an_error() -> None:
    with pytest.raises(ServiceError, match="needs a value for USER"):
        fill(template(DAEMON_UNIT), {"EXEC_START": "x", "PROTECT_HOME": "yes"})
