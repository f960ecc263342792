"""Log output on stderr: human lines with a timestamp for a terminal, or journal lines for
systemd's journal.

A journal line starts with its sd-daemon(3) priority prefix (`<3>` error, `<4>` warning,
`<6>` info, `<7>` debug), carries no timestamp (journald stamps each entry) and reads
`logger: message`. journald makes one entry per line, so every line of a multi-line record
(a traceback) carries the prefix and the logger name, and keeps the record's priority.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Callable, Mapping
from typing import TextIO

FORMATS = ("auto", "human", "journal")
HUMAN_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def priority(levelno: int) -> int:
    """The syslog priority of a logging level: 2 crit, 3 err, 4 warning, 6 info, 7 debug."""
    if levelno >= logging.CRITICAL:
        return 2
    if levelno >= logging.ERROR:
        return 3
    if levelno >= logging.WARNING:
        return 4
    if levelno >= logging.INFO:
        return 6
    return 7


def journal_lines(prio: int, name: str, text: str) -> str:
    """text as journal lines: each `<prio>name: line`."""
    return "\n".join(f"<{prio}>{name}: {line}" for line in text.splitlines() or [""])


class JournalFormatter(logging.Formatter):
    """Formats a record as journal lines (see the module docstring)."""

    def format(self, record: logging.LogRecord) -> str:
        text = record.getMessage()
        if record.exc_info:
            record.exc_text = record.exc_text or self.formatException(record.exc_info)
        if record.exc_text:
            text += "\n" + record.exc_text
        if record.stack_info:
            text += "\n" + self.formatStack(record.stack_info)
        return journal_lines(priority(record.levelno), record.name, text)


def stderr_is_journal(stream: TextIO = sys.stderr, environ: Mapping[str, str] = os.environ) -> bool:
    """Whether stream is connected to the journal: $JOURNAL_STREAM names its device and
    inode (systemd sets it for a unit's stdout/stderr). A child that inherited the variable
    but writes elsewhere (a terminal, a pipe) does not match."""
    value = environ.get("JOURNAL_STREAM", "")
    try:
        st = os.fstat(stream.fileno())
    except (OSError, ValueError, AttributeError):
        return False
    return value == f"{st.st_dev}:{st.st_ino}"


def resolve_format(name: str, stream: TextIO = sys.stderr) -> str:
    """The format a --log-format value means ("human" or "journal"); auto: journal when
    stream is the journal."""
    if name not in FORMATS:
        raise ValueError(f"log format {name!r}: allowed {', '.join(FORMATS)}")
    if name == "auto":
        return "journal" if stderr_is_journal(stream) else "human"
    return name


QUIET_LIBRARIES = ("httpx2", "httpx", "httpcore")  # their INFO lines: one per request


def configure_logging(level: str, log_format: str = "auto", stream: TextIO = sys.stderr) -> str:
    """Send log records at `level` and above to stream in that format; returns the format
    used ("human" or "journal")."""
    used = resolve_format(log_format, stream)
    handler = logging.StreamHandler(stream)
    handler.setFormatter(
        JournalFormatter() if used == "journal" else logging.Formatter(HUMAN_FORMAT)
    )
    logging.basicConfig(level=getattr(logging, level.upper()), handlers=[handler])
    for name in QUIET_LIBRARIES:  # a line per HTTP request a tool makes says nothing useful
        logging.getLogger(name).setLevel(max(logging.WARNING, logging.getLogger().level))
    return used


def error_text(message: str, log_format: str) -> str:
    """A message the command prints on failure (`vitrine: ...`), as an error in the journal."""
    if log_format == "journal":
        return journal_lines(3, "vitrine", message)
    return f"vitrine: {message}"


class RepeatLimit(logging.Filter):
    """Lets a logger's same message through once per `every_s` seconds; the next one that
    passes says how many were held back meanwhile. For messages a client can make a server
    write per request (uvicorn's "Exceeded concurrency limit."): a flood of requests must not
    become a flood in the journal."""

    def __init__(self, every_s: float = 10.0, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self.every_s = every_s
        self._clock = clock
        self._seen: dict[tuple[str, str], tuple[float, int]] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        key = (record.name, str(record.msg))
        now = self._clock()
        last, held = self._seen.get(key, (None, 0))
        if last is not None and now - last < self.every_s:
            self._seen[key] = (last, held + 1)
            return False
        if held:
            record.msg = f"{record.msg} ({held} more like it in the last {now - last:.0f} s)"
        self._seen[key] = (now, 0)
        return True
