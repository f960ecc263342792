"""The engine's own thread: every step of the engine (a player's action, a bus event, a timer
tick, an associate's acknowledgement) runs there, one at a time and in the order they were
asked for. A database that waits — another process holding events.db's write lock, a WAL
checkpoint waiting for its readers, a slow SD card — then delays the engine's next screen,
never the daemon's event loop, which carries touch, the boards' heartbeats and the web.

Why one thread rather than `asyncio.to_thread` per query: a step is several statements and a
change of the engine's memory that must happen together (a refused action changes nothing),
and the steps of several callers (two pages, the timers, an associate's phone) must not
interleave. One thread runs them in order with no lock, and is the only user of the engine's
SQLite connection while the daemon runs.

What a step publishes on the bus is held back and published on the event loop as soon as the
step ends — in step order, before its caller resumes, and even when the caller was cancelled
meanwhile (a page that closed its socket), so no other page misses a change.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Callable
from typing import Any, TypeVar

from vitrine.bus import EventBus

_T = TypeVar("_T")
_Outcome = tuple[list[Any], Any, BaseException | None]


class Worker:
    """Runs a callable at a time on the engine's thread; see the module's docstring."""

    def __init__(self, bus: EventBus) -> None:
        self._bus = bus
        self._executor = concurrent.futures.ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="vitrine-engine"
        )
        self._outbox: list[Any] | None = None  # the running step's events
        self._records: list[Any] = []  # ... and its records of what it wrote (kept on failure)

    async def run(self, fn: Callable[..., _T], *args: Any) -> _T:
        """fn(*args) on the engine's thread; its result, or the exception it raised."""
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(self._executor, self._call, fn, args)
        future.add_done_callback(self._deliver)  # before shield's: events precede the caller
        _events, result, error = await asyncio.shield(future)
        if error is not None:
            raise error
        return result  # type: ignore[no-any-return]

    def publish(self, event: Any) -> None:
        """Publish an event from a step (when it ends), or at once outside any step."""
        if self._outbox is None:
            self._bus.publish(event)
        else:
            self._outbox.append(event)

    def record(self, event: Any) -> None:
        """Publish a record of something written to the store: like publish(), but kept when
        the step (or a part of it) fails afterwards, since what it tells is stored by then."""
        if self._outbox is None:
            self._bus.publish(event)
        else:
            self._records.append(event)

    def mark(self) -> int:
        """Where the running step's events are now, for discard_since()."""
        return 0 if self._outbox is None else len(self._outbox)

    def discard_since(self, mark: int) -> None:
        """Drop what the running step published after mark (a part of it that failed)."""
        if self._outbox is not None:
            del self._outbox[mark:]

    def close(self) -> None:
        """Wait for the running step, then end the thread."""
        self._executor.shutdown(wait=True)

    def _call(self, fn: Callable[..., Any], args: tuple[Any, ...]) -> _Outcome:
        self._outbox = outbox = []
        self._records = records = []
        try:
            result, error = fn(*args), None
        except Exception as err:
            result, error = None, err
        finally:
            self._outbox = None
        # the records first, in the order written: what the step's events show comes after
        return [*records, *outbox], result, error

    def _deliver(self, future: asyncio.Future[_Outcome]) -> None:
        if future.cancelled():
            return
        events, _result, _error = future.result()
        for event in events:
            self._bus.publish(event)
