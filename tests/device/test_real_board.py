"""Tier 4: a real board on a real serial port (opt-in: pytest --device /dev/ttyACM0)."""

from __future__ import annotations

import asyncio

import pytest

from vitrine.bus import EventBus
from vitrine.link import BoardLink
from vitrine.link import messages as m
from vitrine_fw import wire

pytestmark = pytest.mark.device


async def test_handshake_heartbeat_and_probe(device_ports: list[str]) -> None:
    bus = EventBus()
    for port in device_ports:
        link = BoardLink(port, bus)
        task = asyncio.create_task(link.run())
        try:
            hello = await link.wait_up(10)
            assert hello.schema_hash == wire.SCHEMA_HASH
            with bus.subscribe(m.Heartbeat, m.Probe) as sub:
                heartbeat = await sub.get(3)
                assert isinstance(heartbeat, m.Heartbeat)
                await link.command(wire.PROBE_START, 100, 50, 32)
                probes = []
                while len(probes) < 50:
                    event = await sub.get(3)
                    if isinstance(event, m.Probe):
                        probes.append(event.index)
                assert probes == list(range(50))
            assert link.counters.crc_errors == 0
        finally:
            await link.close()
            task.cancel()
