"""`vitrine install-service`: the systemd units for this machine, written into a folder."""

from __future__ import annotations

import argparse
import getpass
import os
import shutil
import sys
from pathlib import Path

from vitrine.config import DEFAULT_PATH


def register(sub: argparse._SubParsersAction) -> None:
    cmd = sub.add_parser(
        "install-service",
        help="write the systemd units (daemon, kiosk) and print the steps left",
        description="Fill in the daemon's unit (vitrine.service) and the kiosk's "
        "(vitrine-kiosk.service) for this machine and write them; an existing different "
        "file is kept unless --force. The kiosk's page uses [http] host and port from the "
        "config when the file exists.",
    )
    cmd.add_argument(
        "--unit-dir",
        type=Path,
        default=Path("/etc/systemd/system"),
        help="where to write the units (default: /etc/systemd/system)",
    )
    cmd.add_argument(
        "--user", default="vitrine", help="the daemon's system user (default: vitrine)"
    )
    cmd.add_argument(
        "--config",
        type=Path,
        default=DEFAULT_PATH,
        help=f"the config the daemon reads (default: {DEFAULT_PATH})",
    )
    cmd.add_argument(
        "--exec",
        dest="executable",
        type=Path,
        help="the vitrine command the unit starts (default: the one running now)",
    )
    kiosk = cmd.add_mutually_exclusive_group()
    kiosk.add_argument(
        "--kiosk-user",
        help="the graphical session's user, who runs Chromium (default: the user who "
        "ran sudo, or the current user)",
    )
    kiosk.add_argument(
        "--no-kiosk", action="store_true", help="only the daemon's unit (no display)"
    )
    cmd.add_argument(
        "--browser", type=Path, help="the Chromium executable (default: chromium on PATH)"
    )
    cmd.add_argument("--display", default=":0", help="the kiosk's X display (default: :0)")
    cmd.add_argument("--dry-run", action="store_true", help="print the units, write nothing")
    cmd.add_argument("--force", action="store_true", help="replace different existing units")
    cmd.set_defaults(handler=cmd_install_service)


def _executable(given: Path | None) -> Path:
    from vitrine.service.units import ServiceError

    if given is not None:
        return given.absolute()
    # The command next to this interpreter (a virtual environment's bin/), else on PATH.
    found = shutil.which("vitrine", path=str(Path(sys.executable).parent)) or shutil.which(
        "vitrine"
    )
    if found is None:
        raise ServiceError("cannot find the vitrine command; give its path with --exec")
    return Path(found).absolute()


def _kiosk_user(args: argparse.Namespace) -> str | None:
    from vitrine.service.units import ServiceError

    if args.no_kiosk:
        return None
    if args.kiosk_user:
        return args.kiosk_user
    user = os.environ.get("SUDO_USER") or getpass.getuser()
    if user == "root":
        raise ServiceError(
            "which user runs the graphical session? give it with --kiosk-user USER "
            "(Chromium does not run as root), or --no-kiosk for a mirror without a display"
        )
    return user


def cmd_install_service(args: argparse.Namespace) -> int:
    import vitrine
    from vitrine.config import HttpConfig, load_config
    from vitrine.paths import firmware_dir, hardware_dir
    from vitrine.service.install import next_steps, write_units
    from vitrine.service.units import UnitValues, render_units

    http = load_config(args.config).http if args.config.exists() else HttpConfig()
    found = shutil.which("chromium") if args.browser is None else None
    browser = args.browser or Path(found or "/usr/bin/chromium")
    values = UnitValues(
        executable=_executable(args.executable),
        config=args.config.absolute(),
        user=args.user,
        http_host=http.host,
        http_port=http.port,
        kiosk_user=_kiosk_user(args),
        browser=browser.absolute(),
        display=args.display,
        reads=(Path(vitrine.__file__).parent, hardware_dir(), firmware_dir()),
    )
    units = render_units(values)
    if args.dry_run:
        for name, text in units.items():
            print(f"# {args.unit_dir / name}\n{text}")
        return 0
    for written in write_units(units, args.unit_dir, force=args.force):
        print(f"{written.action:<9} {written.path}")
    if values.kiosk_user is not None:
        print(f"kiosk     shows {values.player_url()} as {values.kiosk_user}")
    print("\nNext:")
    steps = next_steps(values, units, args.unit_dir, browser_found=browser.exists())
    for n, step in enumerate(steps, 1):
        print(f"  {n}. {step}")
    return 0
