"""`vitrine doctor`: the mirror's set-up checked, as a table or as JSON."""

from __future__ import annotations

import argparse
import json
import logging
import textwrap
from pathlib import Path

from vitrine.config import DEFAULT_PATH

_MARK = {"ok": "ok", "warn": "WARN", "fail": "FAIL"}


def register(sub: argparse._SubParsersAction) -> None:
    cmd = sub.add_parser(
        "doctor",
        help="check the set-up: config, boards, camera, models, display, disk, clock",
        description="Each check is ok, warn or fail, with what to do when not ok. Exit code "
        "0 when nothing failed, 1 otherwise. Boards are read from the running daemon's "
        "status API when it answers, else their ports are opened here.",
    )
    cmd.add_argument(
        "--config", type=Path, help=f"the daemon's config (default: {DEFAULT_PATH} if present)"
    )
    cmd.add_argument("--json", action="store_true", help="machine-readable output")
    cmd.add_argument(
        "--timeout",
        type=float,
        default=3.0,
        help="seconds to wait for each board's handshake (default 3)",
    )
    cmd.add_argument(
        "--min-free-mb",
        type=float,
        default=1000.0,
        help="free disk space below this fails (megabytes, default 1000)",
    )
    cmd.set_defaults(handler=cmd_doctor)


def render_table(checks: list) -> str:
    """Checks as aligned columns; what to do goes under a check that is not ok."""
    width = max(len(c.name) for c in checks)
    indent = " " * (width + 8)
    lines = []
    for c in checks:
        detail = c.detail.splitlines() or [""]
        lines.append(f"{c.name:<{width}}  {_MARK[c.status]:<4}  {detail[0]}")
        lines += [indent + line for line in detail[1:]]
        if c.fix:
            lines += textwrap.wrap(
                f"-> {c.fix}", 100, initial_indent=indent, subsequent_indent=indent + "   "
            )
    return "\n".join(lines)


def cmd_doctor(args: argparse.Namespace) -> int:
    from vitrine.doctor import exit_code, run_checks

    if args.log_level != "debug":  # the table says what the links found, once
        logging.getLogger("vitrine.link").setLevel(logging.ERROR)
    checks = run_checks(args.config, timeout_s=args.timeout, min_free_mb=args.min_free_mb)
    code = exit_code(checks)
    if args.json:
        print(json.dumps({"ok": code == 0, "checks": [c.to_json() for c in checks]}, indent=2))
    else:
        print(render_table(checks))
        counts = {s: sum(c.status == s for c in checks) for s in ("ok", "warn", "fail")}
        print(f"\n{counts['ok']} ok, {counts['warn']} warnings, {counts['fail']} failed")
    return code
