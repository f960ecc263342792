"""`vitrine calibrate touch`: measure the touch frame against the display through the running
daemon (it owns the board) and write the 4-point calibration into its config file. The targets
are drawn on the mirror: each goes to the daemon over the same /ws connection the touches come
from, and the player draws it. The daemon takes targets only from a connection signed with its
secret key (vitrine.web.calibration_token), which the command reads from the daemon's data
folder: it runs as root or as the daemon's user."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from vitrine.config import HttpConfig
from vitrine.errors import VitrineError
from vitrine.web.calibration_token import (
    CalibrationKeyError,
    authorization,
    key_from_data_dir,
)

OPEN_TIMEOUT_S = 5.0
SEND_TIMEOUT_S = 5.0  # a target not sent by then is not drawn (the prompts still say where)
MAX_INSET = 0.4


class DaemonUnreachable(VitrineError):
    """No WebSocket connection to the daemon's event stream."""


def register(sub: argparse._SubParsersAction) -> None:
    calibrate = sub.add_parser(
        "calibrate",
        help="calibrate a device of the mirror",
        description="Calibrate a device through the running daemon.",
    )
    devices = calibrate.add_subparsers(dest="device", required=True, metavar="DEVICE")
    touch = devices.add_parser(
        "touch",
        help="map the touch frame onto the display: four touches, written into the config",
        description="Asks for a steady one-finger touch on four targets near the display's "
        "corners (the player draws each in turn), reads the frame's positions from the running "
        "daemon's event stream, solves the frame-to-display map and writes it into the config "
        "file as [[touch.calibration]] (replacing any there; comments and everything else in "
        "the file are kept). The daemon uses it once restarted. Ctrl-C stops without changing "
        "the file. The daemon draws targets only for a connection signed with its secret key, "
        "which this command reads from the daemon's data folder: run it as root or as the "
        "daemon's user.",
    )
    touch.add_argument(
        "--config", type=Path, required=True, metavar="PATH", help="the daemon's TOML config"
    )
    touch.add_argument(
        "--url",
        metavar="URL",
        help="the daemon's event WebSocket (default: ws://HOST:PORT/ws from the config's [http])",
    )
    touch.add_argument(
        "--inset",
        type=float,
        default=0.1,
        metavar="FRACTION",
        help="targets this fraction of the display's width and height in from its corners "
        "(default: 0.1)",
    )
    touch.add_argument(
        "--timeout",
        type=float,
        default=60.0,
        metavar="S",
        help="seconds to wait for each target's touch (default: 60)",
    )
    touch.add_argument(
        "--dry-run",
        action="store_true",
        help="print the config that would be written instead of writing it",
    )
    touch.set_defaults(handler=cmd_touch)


def default_url(http: HttpConfig) -> str:
    """The daemon's /ws address on this machine, from its [http] section."""
    if http.port == 0:
        raise VitrineError(
            "the config's [http] port is 0 (any free port), so the daemon's address is not "
            "known: give it with --url ws://HOST:PORT/ws"
        )
    host = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1"}.get(http.host, http.host)
    if ":" in host:
        host = f"[{host}]"
    return f"ws://{host}:{http.port}/ws"


def cmd_touch(args: argparse.Namespace) -> int:
    from vitrine import config_file
    from vitrine.cli import run_async
    from vitrine.config import parse_config
    from vitrine.devices.touch import calibrate as cal
    from vitrine.hardware import load_frame

    path: Path = args.config
    if not 0.0 < args.inset <= MAX_INSET:
        raise VitrineError(f"--inset {args.inset:g}: allowed more than 0, at most {MAX_INSET:g}")
    if not (args.timeout > 0 and math.isfinite(args.timeout)):
        raise VitrineError(f"--timeout {args.timeout:g}: allowed a number of seconds above 0")
    text = config_file.read_config(path)
    config = parse_config(text, str(path))
    url = args.url or default_url(config.http)
    try:
        headers, key_error = authorization(key_from_data_dir(config.data.path())), None
    except CalibrationKeyError as err:  # said once the daemon is known to be there
        headers, key_error = {}, err
    touch = config.touch
    frame = load_frame(touch.frame)
    nominal = touch.nominal_mapping(frame.width_mm, frame.height_mm)
    points = cal.targets(touch.display_width_px, touch.display_height_px, args.inset)
    cancelled = False

    async def main() -> None:
        nonlocal cancelled
        try:
            ws = await _connect(url, path, headers)
            async with ws:
                if key_error is not None:
                    raise key_error
                say(
                    f"Calibrating the touch frame ({frame.name}) on the "
                    f"{touch.display_width_px} x {touch.display_height_px} px display, "
                    f"through the daemon at {url}. Ctrl-C stops without changing {path}."
                )
                try:
                    result = await cal.calibrate(
                        daemon_events(ws),
                        points,
                        timeout=args.timeout,
                        say=say,
                        mirror=MirrorTargets(ws),
                    )
                except VitrineError as err:
                    raise VitrineError(f"{err}\n{path}: not changed") from err
                cal.report_uncalibrated(result, nominal, say)
        except asyncio.CancelledError:
            cancelled = True
            print(f"\ncalibration stopped: {path} not changed", file=sys.stderr, flush=True)
            raise
        new_text = config_file.calibrated_config(text, result.pairs, str(path))
        if args.dry_run:
            say(f"Dry run: {path} not changed. It would read:\n")
            sys.stdout.write(new_text)
            sys.stdout.flush()
            return
        config_file.write_config(path, new_text, expected=text)
        say(
            f"Wrote the calibration to {path}. Restart the daemon to use it: it reads its "
            "config only when it starts."
        )

    code = run_async(main)
    return 130 if cancelled else code


def say(line: str) -> None:
    print(line, flush=True)


async def _connect(url: str, path: Path, headers: dict[str, str]) -> Any:
    import websockets

    try:
        return await websockets.connect(
            url, open_timeout=OPEN_TIMEOUT_S, max_queue=None, additional_headers=headers
        )
    except websockets.exceptions.InvalidURI as err:
        raise VitrineError(
            f"--url {url}: not a WebSocket address ({err}); the daemon's is ws://HOST:PORT/ws"
        ) from err
    except (OSError, TimeoutError, websockets.exceptions.WebSocketException) as err:
        if isinstance(err, ConnectionRefusedError):
            reason = "connection refused"
        elif isinstance(err, TimeoutError):
            reason = f"no answer within {OPEN_TIMEOUT_S:g} s"
        else:
            reason = (err.strerror if isinstance(err, OSError) else None) or str(err)
        raise DaemonUnreachable(
            f"cannot reach the daemon at {url}: {reason or type(err).__name__}. Calibration "
            f"goes through the running daemon: start it (vitrine run --config {path}), or give "
            "its address with --url"
        ) from err


class MirrorTargets:
    """The calibration's targets drawn on the mirror: calibration messages to the daemon's /ws
    (docs/touch.md), which the player draws. A message that cannot be sent (the daemon gone
    or not taking it) is left at that: the terminal's prompts still say where each target
    is, and the daemon hides the targets of a connection that closes."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws

    async def show(self, step: int, of: int, x: float, y: float, text: str) -> None:
        """Draw target `step` of `of` at display px (x, y), with text for the technician."""
        message = {"type": "calibration", "step": step, "of": of, "x": x, "y": y, "text": text}
        await self._send(message)

    async def hide(self) -> None:
        """No target on the mirror any more."""
        await self._send({"type": "calibration_done"})

    async def _send(self, message: dict[str, Any]) -> None:
        from websockets.exceptions import ConnectionClosed

        with contextlib.suppress(ConnectionClosed, TimeoutError):
            async with asyncio.timeout(SEND_TIMEOUT_S):
                await self.ws.send(json.dumps(message))


async def daemon_events(ws: Any) -> AsyncIterator[dict[str, Any]]:
    """The daemon's events (JSON objects) as dicts, until it closes the connection."""
    import websockets

    try:
        async for message in ws:
            try:
                event = json.loads(message)
            except ValueError:
                continue
            if isinstance(event, dict):
                yield event
    except websockets.exceptions.ConnectionClosed:
        return
