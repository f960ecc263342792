"""Recording a capture from a board's console: `beams --record FILE --scans N`.

The board is asked for `beams --record N` (confirmed): its touch task takes its baseline
afresh and streams that baseline's scans and N more as TOUCH_RAW frames, and its answer's last
line is `frame ` and the frame it scans, as JSON. The frames of one scan come in order, each
with the scan's reading count and its first row's index; a scan complete, its line goes to
FILE (docs/touch.md, Captures), so a recording cut short leaves the scans it got.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Callable
from pathlib import Path

from vitrine.capture.format import header_line, scan_line
from vitrine.console.errors import ConsoleError, ConsoleTimeout
from vitrine.console.session import Console
from vitrine.link import messages as m
from vitrine_fw import wire
from vitrine_fw.touch.geometry import Geometry
from vitrine_fw.touch.scan import START_SCANS

MAX_SCANS = 100_000  # what the firmware's `beams --record` takes at most
SILENCE_S = 2.0  # a recording with no TOUCH_RAW for this long has stopped
_QUEUE = 100_000  # TOUCH_RAW frames waiting to be written, at most (a 55-inch scan is ~51)
_TICKS = 1 << 30  # the board's ticks_us wrap here; a capture's times only grow
_RECORD = re.compile(r"^\s*beams\s+--record(\s|$)")


def is_record(line: str) -> bool:
    """Whether a console line is the host's `beams --record FILE --scans N`."""
    return bool(_RECORD.match(line))


def parse_record(line: str) -> tuple[Path, int]:
    """(FILE, N) of `beams --record FILE --scans N`; raises ConsoleError saying what is
    allowed."""
    usage = f"beams --record FILE --scans N (N: 1..{MAX_SCANS})"
    try:
        words = shlex.split(line)
    except ValueError as err:
        raise ConsoleError(f"{line}: {err}; allowed: {usage}") from err
    args = words[2:]
    if len(args) != len(("FILE", "--scans", "N")) or args[1] != "--scans":
        raise ConsoleError(f"{line}: allowed: {usage}")
    path, count = Path(args[0]), args[2]
    if not count.isdigit() or not 1 <= int(count) <= MAX_SCANS:
        raise ConsoleError(f"{line}: --scans {count}: allowed 1..{MAX_SCANS}")
    return path, int(count)


async def record_capture(
    client: Console,
    path: Path,
    scans: int,
    *,
    progress: Callable[[int, int], None] | None = None,
    silence_s: float = SILENCE_S,
) -> int:
    """Record START_SCANS + scans scans into path; returns how many were written. Raises
    ConsoleError when the board refuses or stops sending."""
    sub = client.bus.subscribe(m.TouchRaw, maxsize=_QUEUE)
    try:
        answer = await client.run(f"beams --record {scans}", confirm=True)
        if answer.status != wire.CONSOLE_OK:
            raise ConsoleError(f"beams --record: {answer.text}")
        last = answer.text.splitlines()[-1] if answer.text else ""
        if not last.startswith("frame "):
            raise ConsoleError(f"beams --record: the board did not say its frame: {answer.text}")
        frame = json.loads(last[len("frame ") :])
        g = Geometry(frame)
        want = START_SCANS + scans
        written = 0
        try:
            out = path.open("w", encoding="utf-8")
        except OSError as err:
            raise ConsoleError(f"beams --record: {path}: {err.strerror}") from err
        with out:
            out.write(header_line(frame, frame["timing"]["adc_bits"]) + "\n")
            rows: list[tuple[int, int, int, int]] = []
            current: int | None = None
            base = 0  # added to the board's ticks: a multiple of _TICKS once they wrapped
            last_t = -1
            while written < want:
                try:
                    msg = await sub.get(silence_s)
                except TimeoutError as err:
                    raise ConsoleTimeout(
                        f"beams --record: the board stopped sending after {written} of {want} "
                        f"scans ({path} holds those)"
                    ) from err
                assert isinstance(msg, m.TouchRaw)
                if msg.board != client.link.name:
                    continue
                if msg.first == 0:
                    current, rows = msg.scan, []
                elif msg.scan != current or msg.first != len(rows):
                    current, rows = None, []  # a frame of it was lost: the scan is dropped
                    continue
                rows.extend(msg.rows)
                if len(rows) >= msg.count:
                    if msg.t_us < last_t:
                        base += _TICKS
                    last_t = msg.t_us
                    out.write(scan_line(g, base + msg.t_us, rows[: msg.count]) + "\n")
                    written += 1
                    current, rows = None, []
                    if progress is not None:
                        progress(written, want)
        return written
    finally:
        sub.close()
