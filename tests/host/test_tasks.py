"""stop_task(): the task ends, and a cancellation of the caller is never swallowed."""

from __future__ import annotations

import asyncio

import pytest

from vitrine.tasks import stop_task


async def slow_to_stop(stopped: asyncio.Event) -> None:
    """A task that takes a while to clean up after it is cancelled (closing a port)."""
    try:
        await asyncio.sleep(3600)
    finally:
        await asyncio.shield(asyncio.sleep(0.2))
        stopped.set()


async def test_the_task_is_cancelled_and_has_ended():
    stopped = asyncio.Event()
    task = asyncio.create_task(slow_to_stop(stopped))
    await asyncio.sleep(0)
    await stop_task(task)
    assert task.cancelled()
    assert stopped.is_set()


async def test_a_cancellation_of_the_caller_while_it_waits_goes_through():
    stopped = asyncio.Event()
    after_stop: list[str] = []

    async def owner() -> None:
        inner = asyncio.create_task(slow_to_stop(stopped))
        await asyncio.sleep(0)
        await stop_task(inner)
        after_stop.append("ran on")  # must not happen: the owner was told to stop

    task = asyncio.create_task(owner())
    await asyncio.sleep(0.05)  # the owner is now waiting for the inner task to stop
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert after_stop == []


async def test_an_error_the_task_ended_with_is_raised():
    async def fails_on_cancel() -> None:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            raise RuntimeError("port close failed") from None

    task = asyncio.create_task(fails_on_cancel())
    await asyncio.sleep(0)
    with pytest.raises(RuntimeError, match="port close failed"):
        await stop_task(task)


async def test_a_task_that_has_already_ended_is_fine():
    task = asyncio.create_task(asyncio.sleep(0))
    await task
    await stop_task(task)
    assert task.done()
