"""`vitrine touch`: the touch frame's tools that need no board: replaying a capture."""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    touch = sub.add_parser(
        "touch",
        help="the touch frame's tools: replay a capture through the firmware",
        description="Tools for the IR touch frame that need no board. See docs/touch.md.",
    )
    actions = touch.add_subparsers(dest="touch_command", metavar="ACTION", required=True)
    replay = actions.add_parser(
        "replay",
        help="run a capture's scans through the firmware's touch pipeline",
        description="Run a raw scan capture (docs/touch.md, Captures: recorded on a board with "
        "`vitrine console PORT --exec 'beams --record FILE --scans N'`, written by `vitrine sim "
        "touch --capture`, or by any tool that follows the format) through the unchanged "
        "firmware touch pipeline, and print the contacts after each scan: one line per scan, "
        "in order. The first 20 scans (nothing on the glass) are the firmware's baseline.",
    )
    replay.add_argument("capture", type=Path, metavar="CAPTURE")
    replay.add_argument(
        "--json",
        action="store_true",
        help='one JSON line per scan: {"t_us", "touches": [{"id", "x_mm", "y_mm", "w_mm", '
        '"h_mm", "kind"}]}',
    )
    replay.set_defaults(handler=cmd_replay)


def cmd_replay(args: argparse.Namespace) -> int:
    from vitrine.capture.format import load_capture
    from vitrine.capture.replay import replay_capture

    capture = load_capture(args.capture)
    for scan in replay_capture(capture):
        if args.json:
            print(json.dumps(scan.json(), separators=(",", ":")))
        else:
            touches = "  ".join(
                f"#{c.id} ({c.x_mm:.2f}, {c.y_mm:.2f}) {c.w_mm:g}x{c.h_mm:g}"
                + (" palm" if c.is_palm else "")
                for c in scan.touches
            )
            print(f"{scan.t_us:>12} us  {touches or '-'}")
    return 0
