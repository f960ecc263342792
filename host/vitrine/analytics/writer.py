"""The observation writer: takes observations from any thread without ever blocking or
failing, and commits them to analytics.db in batches on a thread of its own.

The durability promise (docs/metrics.md): a batch is committed at the latest FLUSH_S after
its first observation arrived, with synchronous=FULL, so a power cut or a SIGKILL loses at
most the observations of the last 250 ms (FLUSH_S plus one commit); a clean stop (close())
writes everything first.

When the disk is full or read-only (or the file cannot be written for another reason), the
mirror goes on: observations wait in memory, up to `buffer_max`, and are written when the
disk takes them again (tried every RETRY_S, the file reopened). What arrives beyond the bound
is counted (`overflowed`, with the time of the first and last); once writing works again an
`overflow` observation records how many were lost and when, so nothing goes silently. The
state shows in status() (the daemon's /api/status, `vitrine doctor`).
"""

from __future__ import annotations

import collections
import errno
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from vitrine.analytics import store as db
from vitrine.analytics.observation import Observation, make
from vitrine.database import write_transaction

FLUSH_S = 0.1  # an observation waits at most this long for its batch's commit
BATCH_MAX = 5000  # observations in one transaction at most
BUFFER_MAX = 200_000  # observations held in memory while the disk refuses them (~100 MB)
RETRY_S = 1.0  # how often a refusing disk is tried again

log = logging.getLogger("vitrine.analytics")


def disk_state(path: Path, err: BaseException | None = None) -> str:
    """What is wrong with writing at path: "read_only", "disk_full" or "error"."""
    text = str(err or "").lower()
    folder = path.parent
    try:
        st = os.statvfs(folder)
        if st.f_flag & os.ST_RDONLY:
            return "read_only"
        if st.f_bavail * st.f_frsize < 64 * 1024:
            return "disk_full"
    except OSError:
        pass
    if "readonly" in text or "read-only" in text or getattr(err, "errno", None) == errno.EROFS:
        return "read_only"
    if "full" in text or getattr(err, "errno", None) == errno.ENOSPC:
        return "disk_full"
    return "error"


class ObservationWriter:
    """See the module docstring. `add()` from any thread; `start()` then `close()`."""

    def __init__(
        self,
        path: Path,
        store: str,
        mirror: str,
        *,
        outbox: bool = False,
        buffer_max: int = BUFFER_MAX,
    ) -> None:
        self.path = Path(path)
        self.store = store
        self.mirror = mirror
        self.outbox = outbox
        self.buffer_max = buffer_max
        self.flush_s = FLUSH_S
        self.retry_s = RETRY_S  # (tests shorten these two, and set the clock)
        self._clock: Callable[[], float] = time.time
        self._queue: collections.deque[Observation] = collections.deque()
        self._wake = threading.Condition()
        self._stop = False
        self._thread: threading.Thread | None = None
        self._conn: sqlite3.Connection | None = None
        # what status() shows
        self.state = "starting"  # ok | read_only | disk_full | error
        self.detail = ""
        self.since: float | None = None  # when the current trouble began
        self.written = 0
        self.duplicates = 0
        self.overflowed = 0  # lost to the bound since the last overflow observation
        self.overflowed_total = 0
        self._overflow_span: tuple[float, float] | None = None
        self.commits = 0
        self.invalid = 0  # observations the code made wrongly (a bug): counted, logged once
        self._invalid_kinds: set[str] = set()
        self.on_written: Callable[[int], None] | None = None  # the outbox's doorbell

    # -- the producers' side -------------------------------------------------------------

    def add(self, obs: Observation) -> None:
        """Queue an observation for writing; never blocks, never raises. Beyond the bound
        (the disk refusing for long) it is counted as lost instead."""
        with self._wake:
            if len(self._queue) >= self.buffer_max:
                self.overflowed += 1
                self.overflowed_total += 1
                first = self._overflow_span[0] if self._overflow_span else obs.at
                self._overflow_span = (first, obs.at)
                return
            self._queue.append(obs)
            if len(self._queue) == 1 or len(self._queue) >= BATCH_MAX:
                self._wake.notify()

    def observe(self, kind: str, at: float | None = None, /, **data: Any) -> None:
        """Make an observation of this store and mirror (at: now) and add it."""
        try:
            obs = make(kind, self._clock() if at is None else at, self.store, self.mirror, **data)
        except Exception:
            self.invalid += 1
            if kind not in self._invalid_kinds:  # once per kind: a loop must not flood the log
                self._invalid_kinds.add(kind)
                log.exception("analytics: a %s observation could not be made; not stored", kind)
            return
        self.add(obs)

    @property
    def buffered(self) -> int:
        return len(self._queue)

    def status(self) -> dict[str, Any]:
        """The writer's state for /api/status and vitrine doctor."""
        return {
            "state": self.state,
            "detail": self.detail,
            "since": self.since,
            "buffered": len(self._queue),
            "buffer_max": self.buffer_max,
            "overflowed": self.overflowed_total,
            "written": self.written,
            "invalid": self.invalid,
            "path": str(self.path),
        }

    # -- the writer's thread -------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="vitrine-analytics", daemon=True)
        self._thread.start()

    def close(self, timeout: float = 10.0) -> None:
        """Write what is queued (while the disk takes it, within timeout), then stop."""
        with self._wake:
            self._stop = True
            self._wake.notify()
        if self._thread is not None:
            self._thread.join(timeout)
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until what was queued before the call is committed; False on timeout."""
        deadline = time.monotonic() + timeout
        with self._wake:
            self._wake.notify()
        while time.monotonic() < deadline:
            if not self._queue and not self._busy:
                return True
            time.sleep(0.005)
        return False

    _busy = False

    def _run(self) -> None:
        while True:
            with self._wake:
                if not self._queue and not self._stop:
                    self._wake.wait()
                if self._stop and not self._queue:
                    return
                stopping = self._stop
            if not stopping and self._queue:
                # let the batch gather for up to flush_s from its first observation
                first_at = time.monotonic()
                while len(self._queue) < BATCH_MAX and not self._stop:
                    left = self.flush_s - (time.monotonic() - first_at)
                    if left <= 0:
                        break
                    with self._wake:
                        self._wake.wait(left)
            if not self._write_some() and not self._retry_wait():
                return

    def _retry_wait(self) -> bool:
        # The disk refused: wait before trying again; False when stopping (what cannot be
        # written is then lost with the process, and the journal says how much).
        with self._wake:
            if self._stop:
                if self._queue:
                    log.error(
                        "analytics: stopping with %d observations unwritten (%s: %s)",
                        len(self._queue),
                        self.state,
                        self.detail,
                    )
                return False
            self._wake.wait(self.retry_s)
        return True

    def _write_some(self) -> bool:
        """Commit what is queued, a batch at a time; False when the disk refused."""
        while self._queue:
            batch = [self._queue[i] for i in range(min(BATCH_MAX, len(self._queue)))]
            extra = self._overflow_note()
            self._busy = True
            try:
                conn = self._connection()
                with write_transaction(conn):
                    done = db.insert(conn, batch + extra, outbox=self.outbox)
            except (sqlite3.Error, OSError, db.AnalyticsError) as err:
                self._busy = False
                self._trouble(err)
                return False
            for _ in batch:
                self._queue.popleft()
            self._busy = False
            if extra:
                self.overflowed -= extra[0].data["dropped"]
                self._overflow_span = None if not self.overflowed else self._overflow_span
            self.written += done.new
            self.duplicates += done.duplicates
            self.commits += 1
            self._recovered()
            if self.on_written is not None:
                self.on_written(done.new)
        return True

    def _overflow_note(self) -> list[Observation]:
        # The count of what was lost, written with the first batch that gets through.
        with self._wake:
            if not self.overflowed or self._overflow_span is None:
                return []
            first, last = self._overflow_span
            dropped = self.overflowed
        return [
            make(
                "overflow",
                self._clock(),
                self.store,
                self.mirror,
                dropped=dropped,
                since=first,
                until=last,
            )
        ]

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            self._conn = db.open_store(self.path)
        return self._conn

    def _trouble(self, err: BaseException) -> None:
        state = disk_state(self.path, err)
        if state != self.state:
            log.error(
                "analytics: cannot write %s (%s: %s); keeping up to %d observations in memory "
                "and trying again every %.0f s",
                self.path,
                state,
                err,
                self.buffer_max,
                self.retry_s,
            )
            self.since = self._clock()
        self.state, self.detail = state, str(err)
        if self._conn is not None:  # reopened on the next try: the file may be new
            try:
                self._conn.close()
            except sqlite3.Error:
                pass
            self._conn = None

    def _recovered(self) -> None:
        if self.state != "ok":
            if self.state != "starting":
                log.warning(
                    "analytics: %s is written again (%s since %s); %d observations lost to "
                    "the memory bound in all",
                    self.path,
                    self.state,
                    time.strftime("%H:%M:%S", time.localtime(self.since or 0)),
                    self.overflowed_total,
                )
            self.state, self.detail, self.since = "ok", "", None
