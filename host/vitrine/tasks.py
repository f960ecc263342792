"""Stopping asyncio tasks without swallowing the caller's own cancellation."""

from __future__ import annotations

import asyncio
from typing import Any


async def stop_task(task: asyncio.Task[Any]) -> None:
    """Cancel a task and wait until it has ended.

    `task.cancel(); with suppress(CancelledError): await task` also swallows a cancellation
    of the caller that arrives while it waits, and the caller then runs on as if never told
    to stop. Here the caller's cancellation goes through; an error the task ended with other
    than its cancellation is raised."""
    task.cancel()
    await asyncio.wait({task})
    if not task.cancelled():
        task.result()
