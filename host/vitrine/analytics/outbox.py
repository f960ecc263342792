"""The outbox's publisher: sends the observations waiting in analytics.db's outbox to the
fleet's MQTT broker and removes them once the broker has acknowledged them (QoS 1 PUBACK).

paho's own queue (under aiomqtt) is in memory, so it is not the outbox: an observation stays
in the outbox table, on disk, until its PUBACK, so nothing is lost while the broker is
unreachable or the daemon restarts. Delivery is at-least-once (a message whose PUBACK was
lost is sent again); the collector keeps one copy of each observation id, which makes it
exactly-once in the fleet's database.

Messages go to `<topic>/<store>/<mirror>/observations`, each a batch of observations as JSON
lines (docs/metrics.md, The fleet).
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiomqtt

from vitrine.analytics import store as db
from vitrine.analytics.config import FleetConfig

BATCH = 200  # observations per message
IN_FLIGHT = 16  # messages awaiting their PUBACK at once
BACKOFF_S = (1.0, 2.0, 5.0, 10.0, 30.0)  # between attempts to reach the broker
KEEPALIVE_S = 30

log = logging.getLogger("vitrine.analytics")


def topic_for(prefix: str, store: str, mirror: str) -> str:
    return f"{prefix}/{store}/{mirror}/observations"


def client_for(broker: str, fleet: FleetConfig, identifier: str) -> aiomqtt.Client:
    """An MQTT 5 client for the broker URL (mqtt:// or mqtts://), with the fleet's
    credentials and TLS settings."""
    parts = urlsplit(broker)
    tls = None
    if parts.scheme == "mqtts":
        tls = ssl.create_default_context(cafile=fleet.ca_file or None)
    return aiomqtt.Client(
        hostname=parts.hostname or "localhost",
        port=parts.port or (8883 if tls else 1883),
        username=fleet.username or None,
        password=fleet.password or None,
        identifier=identifier,
        protocol=aiomqtt.ProtocolVersion.V5,
        tls_context=tls,
        keepalive=KEEPALIVE_S,
        timeout=10,
    )


class Publisher:
    """Publishes the outbox of analytics.db at `path`; `run()` until cancelled."""

    def __init__(self, path: Path, fleet: FleetConfig, store: str, mirror: str) -> None:
        self.path = Path(path)
        self.fleet = fleet
        self.topic = topic_for(fleet.topic, store, mirror)
        self.identifier = f"vitrine-{store}-{mirror}"
        self.connected = False
        self.published = 0
        self.pending = 0
        self.last_error = ""
        self._wake = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None

    def status(self) -> dict[str, Any]:
        return {
            "broker": self.fleet.broker,
            "connected": self.connected,
            "published": self.published,
            "pending": self.pending,
            "last_error": self.last_error,
        }

    def wake_threadsafe(self, _new: int = 0) -> None:
        """Something was written: look at the outbox now (from any thread)."""
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._wake.set)

    async def run(self) -> None:
        self._loop = asyncio.get_running_loop()
        attempt = 0
        while True:
            try:
                async with client_for(self.fleet.broker, self.fleet, self.identifier) as client:
                    self.connected, attempt, self.last_error = True, 0, ""
                    log.info("analytics: publishing to %s", self.topic)
                    await self._publish(client)
            except (aiomqtt.MqttError, OSError) as err:
                self.last_error = str(err)
                if self.connected:
                    log.warning(
                        "analytics: lost the broker (%s); the outbox keeps what is new", err
                    )
            finally:
                self.connected = False
            await asyncio.sleep(BACKOFF_S[min(attempt, len(BACKOFF_S) - 1)])
            attempt += 1

    async def _publish(self, client: aiomqtt.Client) -> None:
        conn = await asyncio.to_thread(db.open_store, self.path)
        try:
            while True:
                batch = await asyncio.to_thread(db.take_outbox, conn, BATCH * IN_FLIGHT)
                self.pending = await asyncio.to_thread(db.outbox_size, conn)
                if not batch:
                    self._wake.clear()
                    try:
                        async with asyncio.timeout(1.0):
                            await self._wake.wait()
                    except TimeoutError:
                        pass
                    continue
                chunks = [batch[i : i + BATCH] for i in range(0, len(batch), BATCH)]
                results = await asyncio.gather(
                    *(
                        client.publish(
                            self.topic, "\n".join(o.line() for o in chunk).encode(), qos=1
                        )
                        for chunk in chunks
                    ),
                    return_exceptions=True,
                )
                # each chunk the broker acknowledged leaves the outbox, even when another
                # failed (the broker lost mid-batch): only the others are sent again
                acked = [o.id for c, r in zip(chunks, results, strict=True) if r is None for o in c]
                if acked:
                    await asyncio.to_thread(db.outbox_done, conn, acked)
                    self.published += len(acked)
                failed = [r for r in results if isinstance(r, BaseException)]
                if failed:
                    raise failed[0]
        finally:
            conn.close()
