"""Log output: journal lines (priority prefix, logger name, no timestamp) and when they are
chosen; the human format otherwise."""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from vitrine.logs import (
    HUMAN_FORMAT,
    JournalFormatter,
    RepeatLimit,
    error_text,
    priority,
    resolve_format,
    stderr_is_journal,
)


def record(level: int, msg: str, name: str = "vitrine.daemon", exc_info=None) -> logging.LogRecord:
    return logging.LogRecord(name, level, __file__, 1, msg, (), exc_info)


@pytest.mark.parametrize(
    ("level", "prio"),
    [
        (logging.CRITICAL, 2),
        (logging.ERROR, 3),
        (logging.WARNING, 4),
        (logging.INFO, 6),
        (logging.DEBUG, 7),
        (5, 7),
    ],
)
def test_levels_map_to_syslog_priorities(level: int, prio: int) -> None:
    assert priority(level) == prio
    assert JournalFormatter().format(record(level, "x")).startswith(f"<{prio}>")


def test_a_journal_line_is_prefix_logger_message_without_timestamp() -> None:
    line = JournalFormatter().format(record(logging.INFO, "ready: http://127.0.0.1:8080/"))
    assert line == "<6>vitrine.daemon: ready: http://127.0.0.1:8080/"


def test_every_line_of_a_traceback_keeps_the_priority_and_logger() -> None:
    try:
        raise RuntimeError("board exploded")
    except RuntimeError:
        exc_info = sys.exc_info()
    text = JournalFormatter().format(record(logging.ERROR, "link failed", exc_info=exc_info))
    lines = text.split("\n")
    assert lines[0] == "<3>vitrine.daemon: link failed"
    assert len(lines) > 3
    assert all(line.startswith("<3>vitrine.daemon: ") for line in lines)
    assert lines[-1] == "<3>vitrine.daemon: RuntimeError: board exploded"


def test_the_human_format_keeps_its_timestamp() -> None:
    line = logging.Formatter(HUMAN_FORMAT).format(record(logging.WARNING, "gone"))
    assert re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} WARNING vitrine.daemon: gone$", line)


def test_journal_stream_must_name_the_stream_itself(tmp_path: Path, monkeypatch) -> None:
    with (tmp_path / "err").open("w") as stream, (tmp_path / "other").open("w") as other:
        st = os.fstat(stream.fileno())
        ours = f"{st.st_dev}:{st.st_ino}"
        assert stderr_is_journal(stream, {"JOURNAL_STREAM": ours})
        assert not stderr_is_journal(other, {"JOURNAL_STREAM": ours})  # inherited, redirected
        assert not stderr_is_journal(stream, {})
        monkeypatch.setenv("JOURNAL_STREAM", ours)
        assert resolve_format("auto", stream) == "journal"
        assert resolve_format("auto", other) == "human"
        assert resolve_format("human", stream) == "human"
        assert resolve_format("journal", other) == "journal"


def test_an_unknown_format_names_the_allowed_ones() -> None:
    with pytest.raises(ValueError, match="'syslog': allowed auto, human, journal"):
        resolve_format("syslog")


def test_error_text_for_each_format() -> None:
    assert error_text("bad\nworse", "human") == "vitrine: bad\nworse"
    assert error_text("bad\nworse", "journal") == "<3>vitrine: bad\n<3>vitrine: worse"


def test_a_command_under_systemd_prints_its_error_as_a_journal_error(tmp_path: Path) -> None:
    config = tmp_path / "vitrine.toml"
    config.write_text("[link]\nheartbeat_s = 0\n")
    command = [sys.executable, "-m", "vitrine", "run", "--config", str(config)]
    err_path = tmp_path / "stderr"
    with err_path.open("w") as err:
        st = os.fstat(err.fileno())
        env = {**os.environ, "JOURNAL_STREAM": f"{st.st_dev}:{st.st_ino}"}
        result = subprocess.run(command, stderr=err, env=env, timeout=60, check=False)
    assert result.returncode == 2
    assert err_path.read_text().startswith(f"<3>vitrine: {config}: link.heartbeat_s = 0: ")

    plain = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert plain.stderr.startswith(f"vitrine: {config}: link.heartbeat_s = 0: ")


def test_a_message_repeated_by_a_flood_passes_once_per_interval_with_a_count() -> None:
    now = [100.0]
    limit = RepeatLimit(every_s=10.0, clock=lambda: now[0])

    def record(msg: str) -> logging.LogRecord:
        return logging.LogRecord("uvicorn.error", logging.WARNING, "x", 1, msg, None, None)

    first = record("Exceeded concurrency limit.")
    assert limit.filter(first) and first.getMessage() == "Exceeded concurrency limit."
    passed = []
    for _ in range(500):
        now[0] += 0.01
        passed.append(limit.filter(record("Exceeded concurrency limit.")))
    assert not any(passed)
    assert limit.filter(record("another message"))  # each message has its own interval
    now[0] += 10.0
    later = record("Exceeded concurrency limit.")
    assert limit.filter(later)
    assert later.getMessage() == "Exceeded concurrency limit. (500 more like it in the last 15 s)"
