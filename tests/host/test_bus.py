"""The in-process event bus: routing by type, order, bounded queues, unsubscribe."""

from __future__ import annotations

import asyncio
import inspect
from dataclasses import dataclass

import pytest

from vitrine.bus import EventBus


@dataclass(frozen=True)
class Base:
    n: int


@dataclass(frozen=True)
class Child(Base):
    pass


@dataclass(frozen=True)
class Other:
    n: int


async def test_subscriber_gets_its_type_and_subclasses_only() -> None:
    bus = EventBus()
    base_sub = bus.subscribe(Base)
    child_sub = bus.subscribe(Child)
    events = [Base(1), Child(2), Other(3), Child(4)]
    for event in events:
        bus.publish(event)
    assert base_sub.drain() == [Base(1), Child(2), Child(4)]
    assert child_sub.drain() == [Child(2), Child(4)]
    assert bus.published == 4


async def test_subscription_to_several_types() -> None:
    bus = EventBus()
    sub = bus.subscribe(Child, Other)
    for event in (Base(1), Child(2), Other(3)):
        bus.publish(event)
    assert sub.drain() == [Child(2), Other(3)]
    assert sub.types == (Child, Other)


async def test_events_arrive_in_publish_order_to_every_subscriber() -> None:
    bus = EventBus()
    subs = [bus.subscribe(Base) for _ in range(3)]
    for i in range(50):
        bus.publish(Base(i) if i % 2 else Child(i))
    for sub in subs:
        assert [e.n for e in sub.drain()] == list(range(50))


async def test_async_iteration_and_get_deliver_in_order() -> None:
    bus = EventBus()
    sub = bus.subscribe(Base)
    for i in range(3):
        bus.publish(Base(i))
    assert await sub.get(timeout=1) == Base(0)
    got = []
    async for event in sub:
        got.append(event)
        if len(got) == 2:
            break
    assert got == [Base(1), Base(2)]


async def test_subscription_made_after_publish_sees_nothing_earlier() -> None:
    bus = EventBus()
    bus.subscribe(Base)  # fills the route cache for Base
    bus.publish(Base(1))
    late = bus.subscribe(Base)
    bus.publish(Base(2))
    assert late.drain() == [Base(2)]


async def test_close_unsubscribes() -> None:
    bus = EventBus()
    keep = bus.subscribe(Base)
    gone = bus.subscribe(Base)
    bus.publish(Base(1))
    gone.close()
    bus.publish(Base(2))
    assert gone.drain() == [Base(1)]
    assert keep.drain() == [Base(1), Base(2)]
    gone.close()  # closing twice is harmless
    bus.publish(Base(3))
    assert keep.drain() == [Base(3)]


async def test_context_manager_unsubscribes_on_exit() -> None:
    bus = EventBus()
    with bus.subscribe(Base) as sub:
        bus.publish(Base(1))
        assert sub.drain() == [Base(1)]
    bus.publish(Base(2))
    assert sub.drain() == []


async def test_context_manager_unsubscribes_on_error() -> None:
    bus = EventBus()
    with pytest.raises(RuntimeError), bus.subscribe(Base) as sub:
        raise RuntimeError("boom")
    bus.publish(Base(1))
    assert sub.drain() == []


async def test_full_queue_drops_the_oldest_and_counts() -> None:
    bus = EventBus()
    slow = bus.subscribe(Base, maxsize=3)
    fast = bus.subscribe(Base)
    for i in range(10):
        bus.publish(Base(i))
    assert [e.n for e in slow.drain()] == [7, 8, 9]
    assert slow.dropped == 7
    assert [e.n for e in fast.drain()] == list(range(10))
    assert fast.dropped == 0


async def test_publish_is_synchronous_and_never_blocks_on_a_full_queue() -> None:
    bus = EventBus()
    assert not inspect.iscoroutinefunction(bus.publish)
    sub = bus.subscribe(Base, maxsize=1)
    for i in range(1000):
        assert bus.publish(Base(i)) is None
    assert sub.dropped == 999
    assert sub.get_nowait() == Base(999)


async def test_get_times_out() -> None:
    bus = EventBus()
    sub = bus.subscribe(Base)
    bus.publish(Other(1))  # not for this subscriber
    with pytest.raises(TimeoutError):
        await sub.get(timeout=0.02)


async def test_get_without_timeout_waits_for_the_next_publish() -> None:
    bus = EventBus()
    sub = bus.subscribe(Base)
    waiter = asyncio.create_task(sub.get())
    await asyncio.sleep(0)
    assert not waiter.done()
    bus.publish(Child(5))
    async with asyncio.timeout(1):
        assert await waiter == Child(5)


async def test_get_nowait_on_empty_raises() -> None:
    sub = EventBus().subscribe(Base)
    with pytest.raises(asyncio.QueueEmpty):
        sub.get_nowait()


def test_subscribe_needs_a_type() -> None:
    with pytest.raises(ValueError, match="at least one event type"):
        EventBus().subscribe()


async def test_next_skips_other_events_and_honours_where() -> None:
    bus = EventBus()
    with bus.subscribe(Base, Other) as sub:
        for event in (Other(1), Base(2), Child(3), Base(4)):
            bus.publish(event)
        assert await sub.next(Base, 1, where=lambda e: e.n > 2) == Child(3)
        assert sub.drain() == [Base(4)]
        with pytest.raises(TimeoutError):
            await sub.next(Base, 0.05)
