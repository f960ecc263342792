"""`vitrine console PORT --exec LINE`: command lines run in order, answers printed as plain
text, and an exit status a script can test.

Exit status: 0 when every line succeeded; 1 when one failed: the board reported a fault
(e.g. selftest FAIL), refused the line (NACK: an unknown command, a bad argument, not on this
board, busy for too long), did not answer, or the line changes state and --yes was not given.
The run stops at the first failure unless keep_going.

`beams --record FILE --scans N` is the host's: it has the board record a capture
(vitrine.console.record) and writes it to FILE.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TextIO

from vitrine.console.errors import ConsoleError
from vitrine.console.record import is_record, parse_record, record_capture
from vitrine.console.session import Console
from vitrine_fw import wire


def split_lines(execs: Iterable[str]) -> list[str]:
    """The command lines of --exec values: each may hold several, separated by `;`."""
    return [part.strip() for value in execs for part in value.split(";") if part.strip()]


@dataclass(frozen=True)
class Streams:
    """Where a script's answers (out) and its problems (err) are printed."""

    out: TextIO = field(default_factory=lambda: sys.stdout)
    err: TextIO = field(default_factory=lambda: sys.stderr)


async def _record(client: Console, line: str, streams: Streams) -> bool:
    """`beams --record FILE --scans N`; whether the capture was written whole."""
    try:
        path, scans = parse_record(line)
        written = await record_capture(client, path, scans)
    except ConsoleError as problem:
        print(f"vitrine console: {problem}", file=streams.err, flush=True)
        return False
    print(f"recorded {written} scans to {path}", file=streams.out, flush=True)
    return True


async def run_script(
    client: Console,
    lines: list[str],
    *,
    yes: bool = False,
    keep_going: bool = False,
    streams: Streams | None = None,
) -> int:
    """Run the lines on the board; returns the exit status (module docstring)."""
    streams = streams or Streams()
    out, err = streams.out, streams.err
    failed = False
    for n, line in enumerate(lines):
        if len(lines) > 1:
            print(f"> {line}", file=out, flush=True)
        if is_record(line):  # the host's own line: the board's `beams --record N`, to a file
            failed = not await _record(client, line, streams) or failed
            if failed and not keep_going:
                break
            continue
        try:
            answer = await client.run(line, confirm=yes)
        except ConsoleError as problem:
            print(f"vitrine console: {problem}", file=err, flush=True)
            failed = True
        else:
            if answer.status == wire.CONSOLE_CONFIRM:
                what = answer.text.splitlines()[0] if answer.text else ""
                print(
                    f"vitrine console: {line}: not done without confirmation ({what}); "
                    "add --yes to confirm in a script",
                    file=err,
                    flush=True,
                )
                failed = True
            else:
                print(answer.text, file=out, flush=True)
                if not answer.succeeded:
                    print(f"vitrine console: {line}: the board reports a failure", file=err)
                    failed = True
            if answer.left_firmware:
                rest = len(lines) - n - 1
                if rest:
                    print(
                        f"vitrine console: the board left the firmware; {rest} line(s) not run",
                        file=err,
                    )
                    failed = True
                break
        if failed and not keep_going:
            break
    return 1 if failed else 0
