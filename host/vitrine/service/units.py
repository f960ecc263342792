"""The systemd units Vitrine ships (units/*.service) filled in for one machine.

A template's `@NAME@` placeholders (systemd itself uses `$NAME` and `%x`, so those stay
untouched) are replaced by values checked here, so a unit never carries a value systemd
would read differently from what was meant: paths are absolute and quoted for ExecStart
when they hold spaces, `%` and `$` are doubled (systemd's specifier and variable
characters), user names are POSIX names, the port is a fixed one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from vitrine.config import HttpConfig
from vitrine.errors import VitrineError

DAEMON_UNIT = "vitrine.service"
KIOSK_UNIT = "vitrine-kiosk.service"
PLAYER_PATH = "/"  # the page the kiosk shows
# Where the daemon cannot look when ProtectHome=yes.
HOME_ROOTS = (Path("/home"), Path("/root"), Path("/run/user"))
_USER_NAME = re.compile(r"[a-z_][a-z0-9_-]{0,31}")  # Debian's NAME_REGEX, without "$"
_DISPLAY = re.compile(r"[A-Za-z0-9_.-]*:\d+(\.\d+)?")
_PLACEHOLDER = re.compile(r"@([A-Z_]+)@")
_MAX_PORT = 65535


class ServiceError(VitrineError):
    """A value that cannot go into a unit, or a unit that cannot be written."""


@dataclass(frozen=True)
class UnitValues:
    """What differs between machines: paths, users, the display and the HTTP port."""

    executable: Path  # the `vitrine` command
    config: Path  # the daemon's TOML config
    user: str = "vitrine"  # the daemon's own system user
    http_host: str = "127.0.0.1"  # the daemon's [http] host: where the kiosk finds it
    http_port: int = 8080
    kiosk_user: str | None = None  # the graphical session's user; None: no kiosk unit
    browser: Path = Path("/usr/bin/chromium")
    display: str = ":0"
    # Paths the daemon reads besides the executable and the config (its package, the
    # hardware and firmware folders): ProtectHome= must let it reach them.
    reads: tuple[Path, ...] = field(default_factory=tuple)

    def player_url(self) -> str:
        """The page the kiosk opens: the daemon's player, on this machine."""
        base = HttpConfig(host=self.http_host, port=self.http_port).local_url()
        return base + PLAYER_PATH.lstrip("/")

    def protect_home(self) -> str:
        """ProtectHome=: "yes" unless the daemon needs something under a home folder."""
        paths = (self.executable, self.config, *self.reads)
        if any(_under(p, root) for p in paths for root in HOME_ROOTS):
            return "read-only"
        return "yes"


def _under(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def _no_newline(what: str, value: str) -> str:
    if "\n" in value or "\r" in value or "\0" in value:
        raise ServiceError(f"{what} {value!r}: allowed a single line")
    return value


def _path(what: str, path: Path) -> str:
    text = _no_newline(what, str(path))
    if not path.is_absolute():
        raise ServiceError(f"{what} {text!r}: allowed an absolute path")
    return text


def exec_arg(text: str) -> str:
    """One ExecStart= word: `%` and `$` doubled (specifier and variable characters), and
    quoted (C-style escapes) when it holds whitespace, quotes or backslashes."""
    text = text.replace("%", "%%").replace("$", "$$")
    if re.search(r"[\s\"'\\;]", text) or text == "":
        text = '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return text


def _user(what: str, name: str) -> str:
    if not _USER_NAME.fullmatch(name):
        raise ServiceError(
            f"{what} {name!r}: allowed a user name of lower-case letters, digits, '_' and "
            "'-', starting with a letter or '_', at most 32 characters"
        )
    return name


def _values(values: UnitValues) -> dict[str, str]:
    if not 1 <= values.http_port <= _MAX_PORT:
        raise ServiceError(
            f"[http] port = {values.http_port}: the kiosk needs a fixed port, 1..{_MAX_PORT} "
            "(0, any free port, cannot be shown by a browser started separately)"
        )
    if not _DISPLAY.fullmatch(values.display):
        raise ServiceError(f"display {values.display!r}: allowed an X display such as ':0'")
    executable = _path("executable", values.executable)
    config = _path("config", values.config)
    out = {
        "DAEMON_UNIT": DAEMON_UNIT,
        "EXEC_START": " ".join(exec_arg(a) for a in (executable, "run", "--config", config)),
        "USER": _user("user", values.user),
        "PROTECT_HOME": values.protect_home(),
    }
    if values.kiosk_user is not None:
        if values.kiosk_user == "root":
            raise ServiceError(
                "kiosk user 'root': allowed the graphical session's own user "
                "(Chromium refuses to run as root with its sandbox)"
            )
        out |= {
            "KIOSK_USER": _user("kiosk user", values.kiosk_user),
            "BROWSER": exec_arg(_path("browser", values.browser)),
            "DISPLAY": values.display,
            "URL": exec_arg(values.player_url()),
        }
    return out


def template(name: str) -> str:
    """The shipped template of one unit."""
    return resources.files("vitrine.service").joinpath("units", name).read_text()


def fill(text: str, values: dict[str, str]) -> str:
    """Replace every @NAME@ in text; raises ServiceError for a placeholder without a value."""
    missing = sorted(set(_PLACEHOLDER.findall(text)) - set(values))
    if missing:
        raise ServiceError(f"unit template needs a value for {', '.join(missing)}")
    return _PLACEHOLDER.sub(lambda m: values[m.group(1)], text)


def render_units(values: UnitValues) -> dict[str, str]:
    """Unit file name -> filled-in text: the daemon's, and the kiosk's when a kiosk user is
    given. Raises ServiceError naming a value that cannot go into a unit."""
    filled = _values(values)
    names = [DAEMON_UNIT] + ([KIOSK_UNIT] if values.kiosk_user is not None else [])
    return {name: fill(template(name), filled) for name in names}
