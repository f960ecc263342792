"""The in-process event bus: typed dataclass events, async subscribers.

Publishing never blocks and never awaits, so a producer on the hot path (the link's receive
callback) is never slowed by a consumer. Each subscription has its own bounded queue; when a
slow subscriber's queue is full the oldest event is dropped and counted for that subscriber.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any


class Subscription:
    """An async iterator over the events of the given types, in publish order."""

    def __init__(self, bus: EventBus, types: tuple[type, ...], maxsize: int) -> None:
        self._bus = bus
        self.types = types
        self._queue: asyncio.Queue[Any] = asyncio.Queue(maxsize)
        self.dropped = 0

    def _offer(self, event: Any) -> None:
        try:
            self._queue.put_nowait(event)
        except asyncio.QueueFull:
            self._queue.get_nowait()
            self._queue.put_nowait(event)
            self.dropped += 1

    async def get(self, timeout: float | None = None) -> Any:
        """The next event; raises TimeoutError after timeout seconds."""
        if timeout is None:
            return await self._queue.get()
        # asyncio.timeout, not wait_for: on Python 3.11 wait_for can swallow a cancellation
        # that arrives together with an event, and the subscriber's task then never stops
        async with asyncio.timeout(timeout):
            return await self._queue.get()

    def get_nowait(self) -> Any:
        """The next event if one is waiting; raises asyncio.QueueEmpty otherwise."""
        return self._queue.get_nowait()

    async def next(
        self, kind: type, timeout: float, where: Callable[[Any], bool] | None = None
    ) -> Any:
        """The next event of this type (for which where(event) holds), discarding the others
        on the way; raises TimeoutError after timeout seconds."""
        async with asyncio.timeout(timeout):
            while True:
                event = await self._queue.get()
                if isinstance(event, kind) and (where is None or where(event)):
                    return event

    def drain(self) -> list[Any]:
        """Every event waiting now, without waiting for more."""
        events = []
        while not self._queue.empty():
            events.append(self._queue.get_nowait())
        return events

    def close(self) -> None:
        self._bus._unsubscribe(self)

    def __aiter__(self) -> AsyncIterator[Any]:
        return self

    async def __anext__(self) -> Any:
        return await self._queue.get()

    def __enter__(self) -> Subscription:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class EventBus:
    """Routes each published event to the subscriptions whose types it is an instance of."""

    def __init__(self) -> None:
        self._subs: list[Subscription] = []
        self._routes: dict[type, list[Subscription]] = {}
        self.published = 0

    def subscribe(self, *types: type, maxsize: int = 1024) -> Subscription:
        """Subscribe to events of these types (and their subclasses); use as a context manager
        or call close()."""
        if not types:
            raise ValueError("subscribe() needs at least one event type")
        sub = Subscription(self, types, maxsize)
        self._subs.append(sub)
        self._routes.clear()
        return sub

    def _unsubscribe(self, sub: Subscription) -> None:
        if sub in self._subs:
            self._subs.remove(sub)
            self._routes.clear()

    def publish(self, event: Any) -> None:
        """Deliver an event to every matching subscription, without waiting."""
        self.published += 1
        cls = type(event)
        route = self._routes.get(cls)
        if route is None:
            route = [s for s in self._subs if issubclass(cls, s.types)]
            self._routes[cls] = route
        for sub in route:
            sub._offer(event)
