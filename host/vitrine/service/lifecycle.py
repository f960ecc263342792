"""What the daemon tells systemd over its life: READY=1 once it serves, STATUS= lines as
boards come and go, WATCHDOG=1 while it is healthy, STOPPING=1 when it stops.

The pings come from a task on the daemon's own event loop, so a loop that hangs stops them
and systemd restarts the daemon after WatchdogSec; a daemon whose own check finds a problem
(one of its tasks has ended) stops them too, on purpose.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from vitrine.service.notify import Notifier, watchdog_interval_s

log = logging.getLogger("vitrine.service")

STATUS_EVERY_S = 1.0  # how often the status line is looked at for changes


def first_stopped(tasks: Iterable[asyncio.Task[Any]]) -> str | None:
    """Which of tasks, all meant to run until cancelled, has ended, and why; None if none."""
    for task in tasks:
        if task.done():
            error = None if task.cancelled() else task.exception()
            return f"task {task.get_name()} ended" + (f": {error!r}" if error else "")
    return None


def status_line(boards: Iterable[Mapping[str, Any]], url: str) -> str:
    """One line for `systemctl status`: boards up, the others with their state, the URL."""
    boards = list(boards)
    up = [b for b in boards if b.get("state") == "up"]
    others = [f"{b.get('name')} {b.get('state')}" for b in boards if b.get("state") != "up"]
    text = f"{len(up)}/{len(boards)} boards up"
    if others:
        text += f" ({', '.join(others)})"
    return f"{text}; {url}"


async def tell_service_manager(
    ready: asyncio.Event,
    status: Callable[[], str],
    problem: Callable[[], str | None] = lambda: None,
    *,
    environ: Mapping[str, str] = os.environ,
    status_every_s: float = STATUS_EVERY_S,
) -> None:
    """Until cancelled: READY=1 with STATUS= once `ready` is set; then STATUS= whenever
    status() changes and WATCHDOG=1 every $WATCHDOG_USEC/2 while problem() finds none;
    STOPPING=1 when cancelled. Returns at once when systemd is not listening (environ: the
    process environment, where systemd names its socket and the watchdog period)."""
    notifier = Notifier.from_environment(environ)
    if not notifier.enabled:
        return
    interval_s = watchdog_interval_s(environ)
    try:
        await ready.wait()
        last = status()
        notifier.send(READY=1, STATUS=last)
        next_ping = time.monotonic()
        withheld = False
        while True:
            now = time.monotonic()
            if interval_s is not None and now >= next_ping:
                found = problem()
                if found is None:
                    notifier.send(WATCHDOG=1)
                    withheld = False
                elif not withheld:
                    log.error("%s: no more watchdog pings, systemd will restart the daemon", found)
                    withheld = True
                next_ping = now + interval_s
            text = status()
            if text != last:
                notifier.send(STATUS=text)
                last = text
            wait_s = status_every_s
            if interval_s is not None:
                wait_s = min(wait_s, max(0.0, next_ping - time.monotonic()))
            await asyncio.sleep(wait_s)
    finally:
        notifier.send(STOPPING=1, STATUS="stopping")
