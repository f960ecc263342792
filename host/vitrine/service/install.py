"""`vitrine install-service`'s work: write the filled-in units into a folder without
overwriting anyone's edits, and list the steps left to a person (users, groups, access,
systemctl)."""

from __future__ import annotations

import grp
import os
import pwd
import re
import stat
from dataclasses import dataclass
from pathlib import Path

from vitrine.service.units import DAEMON_UNIT, ServiceError, UnitValues

SYSTEM_UNIT_DIR = Path("/etc/systemd/system")
# Where systemd looks for system units (systemd.unit(5)); another folder is a packager's.
UNIT_SEARCH_PATH = (
    Path("/etc/systemd/system"),
    Path("/run/systemd/system"),
    Path("/usr/local/lib/systemd/system"),
    Path("/usr/lib/systemd/system"),
    Path("/lib/systemd/system"),
)


@dataclass(frozen=True)
class Written:
    path: Path
    action: str  # "written" (new), "unchanged" (same text there), "replaced" (--force)


def write_units(units: dict[str, str], unit_dir: Path, force: bool = False) -> list[Written]:
    """Write each unit into unit_dir (mode 0644, replaced atomically). A different file
    already there is kept unless force; then nothing at all is written."""
    plan = []
    for name, text in units.items():
        path = unit_dir / name
        try:
            old: str | None = path.read_text()
        except FileNotFoundError:
            old = None
        except OSError as err:
            raise ServiceError(f"{path}: cannot read: {err.strerror}") from err
        if old is None:
            action = "written"
        elif old == text:
            action = "unchanged"
        elif force:
            action = "replaced"
        else:
            raise ServiceError(
                f"{path} exists and differs from the unit this version writes; compare it "
                "with --dry-run's output, then run again with --force to replace it "
                f"(local changes belong in a drop-in: systemctl edit {name})"
            )
        plan.append((path, text, action))
    try:
        unit_dir.mkdir(parents=True, exist_ok=True)
        for path, text, action in plan:
            if action == "unchanged":
                continue
            tmp = path.with_name(f".{path.name}.tmp")
            tmp.write_text(text)
            tmp.chmod(0o644)
            os.replace(tmp, path)
    except OSError as err:
        raise ServiceError(
            f"{unit_dir}: cannot write: {err.strerror} (run as root, or choose a folder "
            "with --unit-dir)"
        ) from err
    return [Written(path, action) for path, _, action in plan]


def supplementary_groups(daemon_unit: str) -> list[str]:
    """The groups a unit's SupplementaryGroups= names."""
    match = re.search(r"^SupplementaryGroups=(.*)$", daemon_unit, re.MULTILINE)
    return match.group(1).split() if match else []


def _user(name: str) -> pwd.struct_passwd | None:
    try:
        return pwd.getpwnam(name)
    except KeyError:
        return None


def _gid(name: str) -> int | None:
    try:
        return grp.getgrnam(name).gr_gid
    except KeyError:
        return None


def _group_name(gid: int, default: str) -> str:
    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return default


def _permits(st: os.stat_result, uid: int | None, gids: set[int], bits: int) -> bool:
    # Owner bits for the owner, group bits for a member, the others' bits for everyone else.
    if uid == 0:
        return True
    if uid is not None and st.st_uid == uid:
        return (st.st_mode >> 6) & bits == bits
    if st.st_gid in gids:
        return (st.st_mode >> 3) & bits == bits
    return st.st_mode & bits == bits


def blocked_at(path: Path, uid: int | None, gids: set[int], bits: int) -> Path | None:
    """The first folder on the way to path that this user cannot pass through, or path
    itself when it lacks `bits` (4 read, 1 execute) for them; None when reachable."""
    path = path.absolute()
    for folder in reversed(path.parents):
        try:
            st = folder.stat()
        except OSError:
            return folder
        if not _permits(st, uid, gids, stat.S_IXOTH):
            return folder
    try:
        st = path.stat()
    except OSError:
        return path
    return None if _permits(st, uid, gids, bits) else path


def next_steps(
    values: UnitValues, units: dict[str, str], unit_dir: Path, browser_found: bool = True
) -> list[str]:
    """What a person still has to do for the written units to run, in order."""
    steps = []
    account = _user(values.user)
    if account is None:
        steps.append(
            f"create the daemon's user: useradd --system --user-group --home-dir "
            f"/var/lib/vitrine --no-create-home --shell /usr/sbin/nologin {values.user}"
        )
    groups = supplementary_groups(units[DAEMON_UNIT])
    for group in groups:
        if _gid(group) is None:
            steps.append(f"create the group {group} (the unit names it): groupadd --system {group}")
    if values.kiosk_user is not None:
        if _user(values.kiosk_user) is None:
            steps.append(
                f"the kiosk user {values.kiosk_user} does not exist here: run again with "
                "--kiosk-user set to the graphical session's user"
            )
        if not browser_found:
            steps.append(f"install Chromium ({values.browser}): apt install chromium")
    if not values.config.exists():
        steps.append(
            f"write the config {values.config} (every key is optional; see "
            "docs/configuration.md), readable by the daemon's user"
        )
    uid = account.pw_uid if account else None
    gids = {g for g in (_gid(name) for name in groups) if g is not None}
    if account:
        gids.add(account.pw_gid)
    checks = [(values.executable, 5), *((p, 5) for p in values.reads)]
    if values.config.exists():
        checks.append((values.config, 4))
    for path, bits in checks:
        blocked = blocked_at(path, uid, gids, bits)
        if blocked is not None:
            steps.append(
                f"the daemon runs as {values.user} and cannot reach {path} (stopped at "
                f"{blocked}): install Vitrine where every user can read it, such as "
                "/opt/vitrine, or open that folder to others (chmod o+rx)"
            )
    names = " ".join(units)
    if unit_dir.absolute() not in UNIT_SEARCH_PATH:
        steps.append(f"copy the units from {unit_dir} to {SYSTEM_UNIT_DIR} (or a package's)")
    steps.append("systemctl daemon-reload")
    steps.append(f"systemctl enable --now {names}")
    steps.append(
        f"check it: vitrine doctor --config {values.config}; journalctl -u {DAEMON_UNIT} -f"
    )
    group = _group_name(account.pw_gid, values.user) if account else values.user
    steps.append(
        "let a technician reach the boards with `vitrine console` through the daemon (its "
        f"console socket, /run/vitrine/console.sock): usermod -aG {group} NAME (or use sudo)"
    )
    return steps
