"""`vitrine collect`: the fleet's collector. Subscribes to every mirror's observations on the
broker and writes them into the fleet's database (vitrine.analytics.fleetdb), once each.

Exactly-once, step by step: the mirrors publish at-least-once (QoS 1 from their outbox on
disk); the collector takes messages with paho's manual acknowledgement and sends a message's
PUBACK only once its observations are committed, so a collector that dies before its commit
gets the message again (its session is persistent: the broker keeps it while it is away);
the database keeps one row per observation id.

By default a collector holds a plain subscription in its persistent session, which the broker
keeps in its persistence file, so messages that arrive while the broker restarts and the
collector is not yet back are queued for it. Several collectors can share the work with an
MQTT 5 shared subscription ($share/<group>/..., --group): the broker gives each message to
one. But Debian's Mosquitto 2.0.11 does not restore shared subscriptions from its
persistence after a restart (measured: a QoS 1 message published after the restart, before
the shared subscriber's return, is acknowledged and never delivered): what mirrors
publish between the broker's restart and the collectors' return is acknowledged to them and
dropped. So a group is for scaling out on a broker that restores them, or where that window
may lose data; one collector (or one per topic prefix) is exactly-once across restarts.

paho-mqtt is used directly (not aiomqtt, as on the mirror) for its manual_ack, which the
asyncio wrapper does not offer; the collector is a process of its own and needs no event
loop: paho's network thread receives, this one writes.
"""

from __future__ import annotations

import logging
import queue
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from vitrine.analytics.config import FleetConfig
from vitrine.analytics.fleetdb import FleetDb
from vitrine.analytics.observation import ObservationError, parse

BATCH = 5000  # observations per transaction at most
FLUSH_S = 0.2  # a message waits at most this long for its commit (and its PUBACK)
LOGGED_REFUSALS = 100  # refused lines logged one by one; after that one in a thousand
SESSION_EXPIRY_S = 7 * 86400  # the broker keeps a collector's session (and messages) this long

log = logging.getLogger("vitrine.analytics")


@dataclass
class CollectorStats:
    messages: int = 0
    observations: int = 0
    new: int = 0
    duplicates: int = 0
    conflicts: int = 0
    refused: int = 0  # lines that are not observations, or of another store/mirror than the topic
    connected: bool = False
    errors: list[str] = field(default_factory=list)


def subscription(topic: str, group: str | None) -> str:
    """The topic filter: every store and mirror under the prefix, shared by a group if
    given (see the module docstring)."""
    base = f"{topic}/+/+/observations"
    return f"$share/{group}/{base}" if group else base


class Collector:
    """See the module docstring. `run(stop)` until stop() is true."""

    def __init__(
        self,
        broker: str,
        db: FleetDb,
        *,
        group: str | None = None,
        client_id: str = "vitrine-collector",
        fleet: FleetConfig | None = None,
    ) -> None:
        """fleet gives the topic prefix, the credentials and the TLS CA ([fleet]'s keys)."""
        fleet = fleet or FleetConfig()
        self.db = db
        self.topic = fleet.topic
        self.filter = subscription(fleet.topic, group)
        self.stats = CollectorStats()
        self._queue: queue.Queue[Any] = queue.Queue()
        parts = urlsplit(broker)
        self._host = parts.hostname or "localhost"
        self._port = parts.port or (8883 if parts.scheme == "mqtts" else 1883)
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=client_id,
            protocol=mqtt.MQTTv5,
            manual_ack=True,
        )
        if fleet.username:
            self.client.username_pw_set(fleet.username, fleet.password or None)
        if parts.scheme == "mqtts":
            self.client.tls_set_context(ssl.create_default_context(cafile=fleet.ca_file or None))
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message
        self.client.max_inflight_messages_set(1000)
        self.client.reconnect_delay_set(1, 10)

    # -- paho's thread -----------------------------------------------------------------------

    def _on_connect(self, client, _userdata, _flags, reason, _props) -> None:
        if reason.is_failure:
            self.stats.errors.append(f"connect: {reason}")
            return
        self.stats.connected = True
        client.subscribe(self.filter, qos=1)
        log.info("collector: subscribed to %s on %s:%d", self.filter, self._host, self._port)

    def _on_disconnect(self, _client, _userdata, _flags, reason, _props) -> None:
        self.stats.connected = False
        log.warning("collector: broker lost (%s); reconnecting", reason)

    def _on_message(self, _client, _userdata, message: mqtt.MQTTMessage) -> None:
        self._queue.put(message)

    # -- the writing thread ------------------------------------------------------------------

    def run(self, stop: Callable[[], bool] = lambda: False) -> None:
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = SESSION_EXPIRY_S
        self.client.connect_async(
            self._host, self._port, keepalive=30, clean_start=False, properties=props
        )
        self.client.loop_start()
        try:
            while not stop():
                self._write_some()
        finally:
            self._write_some(wait=False)
            self.client.disconnect()
            self.client.loop_stop()

    def _write_some(self, wait: bool = True) -> None:
        messages: list[mqtt.MQTTMessage] = []
        observations = []
        deadline = time.monotonic() + FLUSH_S
        while len(observations) < BATCH:
            left = deadline - time.monotonic()
            try:
                message = (
                    self._queue.get(timeout=max(0.0, left)) if wait else self._queue.get_nowait()
                )
            except queue.Empty:
                break
            messages.append(message)
            observations.extend(self._parse(message))
        if not messages:
            return
        written = self.db.write(observations)  # raises: no PUBACK, the broker sends again
        for message in messages:
            self.client.ack(message.mid, message.qos)
        s = self.stats
        s.messages += len(messages)
        s.observations += len(observations)
        s.new += written.new
        s.duplicates += written.duplicates
        s.conflicts += written.conflicts

    def _parse(self, message: mqtt.MQTTMessage) -> list:
        parts = message.topic.split("/")
        store, mirror = parts[-3], parts[-2]
        out = []
        for number, line in enumerate(message.payload.decode("utf-8", "replace").splitlines(), 1):
            if not line.strip():
                continue
            where = f"{message.topic} line {number}"
            try:
                obs = parse(line, where)
            except ObservationError as err:
                self._refuse(str(err))
                continue
            if (obs.store, obs.mirror) != (store, mirror):
                self._refuse(f"{where}: store/mirror {obs.store}/{obs.mirror} is not the topic's")
                continue
            out.append(obs)
        return out

    def _refuse(self, why: str) -> None:
        self.stats.refused += 1
        if self.stats.refused <= LOGGED_REFUSALS or self.stats.refused % 1000 == 0:
            log.warning("collector: refused %s", why)


def run_collector(collector: Collector, stop: threading.Event) -> None:
    """Run a collector until `stop` is set (for a thread)."""
    collector.run(stop.is_set)
