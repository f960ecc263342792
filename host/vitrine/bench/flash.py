"""`vitrine bench flash`: a full flash of one board's firmware on the raw-REPL virtual board,
then a re-flash with nothing changed, through the real flash tool (mpremote, SHA-256 checks,
reset, HELLO).

The virtual board's port is a pseudo-terminal, which moves bytes far faster than any board's
serial line; the benchmark therefore runs over a line paced like a USB-serial bridge at
115200 baud (the board hears the host's bytes at 10 bits per byte), which is where the target
applies, and once more unpaced for reference."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from vitrine.bench.targets import judged
from vitrine.flash.flash import FlashResult, flash_board
from vitrine.sim.repl_board import ReplBoard, ReplOptions

TARGET_RATIO = 0.2  # a re-flash with nothing changed takes under 20 % of a full flash
# The figure judged: the ratio over the paced line, where the target applies.
TARGETS = {"unchanged_over_full_115200": ("<", TARGET_RATIO)}
LINES = {"serial_115200": 115200, "pty_unpaced": None}


def _figures(r: FlashResult) -> dict[str, Any]:
    return {
        "total_s": round(r.total_s, 3),
        "copy_s": round(r.copy_s, 3),
        "boot_s": round(r.boot_s, 3),
        "files_written": len(r.written),
        "files_unchanged": len(r.unchanged),
        "bytes_written": r.bytes_written,
    }


async def _line(role: str, baud: int | None) -> tuple[FlashResult, FlashResult]:
    async with ReplBoard(ReplOptions(baud=baud)) as board:
        full = await asyncio.to_thread(flash_board, board.port, role)
        same = await asyncio.to_thread(flash_board, board.port, role)
    return full, same


def run_flash_bench(
    role: str = "touch", progress: Callable[[str], None] = lambda _t: None
) -> dict[str, Any]:
    lines: dict[str, Any] = {}
    files = size = 0
    for name, baud in LINES.items():
        progress(f"{name}: full flash of the {role} firmware, then a re-flash with no change")
        full, same = asyncio.run(_line(role, baud))
        files, size = full.files, full.bytes_total
        ratio = same.total_s / full.total_s
        lines[name] = {
            "baud": baud,
            "full": _figures(full),
            "unchanged": _figures(same),
            "unchanged_over_full": round(ratio, 3),
        }
        progress(
            f"{name}: full {full.total_s:.2f} s, unchanged {same.total_s:.2f} s "
            f"({ratio:.0%} of full)"
        )
    result = {
        "bench": "flash",
        "role": role,
        "files": files,
        "bytes": size,
        "unchanged_over_full_115200": lines["serial_115200"]["unchanged_over_full"],
        "lines": lines,
    }
    return {**result, **judged(result, TARGETS)}
