"""The GATT link checked with a second BLE stack: Google's Bumble, its virtual controllers on a
local link (a real host stack on each side: HCI, L2CAP, ATT, SMP pairing with LE Secure
Connections, the MTU exchange). The link's service is served by a Bumble peripheral with the
layout of vitrine_fw.blelink, bridged to the real lights firmware's GATT port on a virtual
board; the host's link (vitrine.link.gatt) reaches it through a client over a Bumble central,
in place of bleak. So the layout, the security it asks for and the chunking are checked by a
stack that is not ours."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time

import pytest
from bumble.core import UUID
from bumble.device import Peer
from bumble.gatt import Characteristic
from bumble.pairing import PairingConfig, PairingDelegate
from bumble.testing.test_utils import TwoDevices

from vitrine.hardware import board_config, load_boards
from vitrine.link import messages as m
from vitrine.link.board import LinkSettings, running_link
from vitrine.sim.ble_peripheral import link_service
from vitrine.sim.board import SimBoard
from vitrine_fw import blelink, supervisor, wire
from vitrine_fw import config as fw_config

MTU = 185


class BumbleClient:
    """What vitrine.link.gatt uses of bleak's BleakClient, over a Bumble central."""

    def __init__(self, central, address, on_disconnect, pair=True):
        self.central, self.address, self.on_disconnect = central, address, on_disconnect
        self.pair = pair
        self.mtu_size = 23
        self.connection = None
        self.peer = None

    async def connect(self):
        self.connection = await self.central.connect(self.address)
        self.connection.on("disconnection", lambda *_: self.on_disconnect(self))
        if self.pair:
            await self.connection.pair()
        self.peer = Peer(self.connection)
        self.mtu_size = await self.peer.request_mtu(MTU)
        await self.peer.discover_services()
        await self.peer.discover_characteristics()

    @property
    def services(self):
        return self

    def get_service(self, uuid):
        found = self.peer.get_services_by_uuid(UUID(uuid))
        return found[0] if found else None

    def _char(self, uuid):
        return self.peer.get_characteristics_by_uuid(UUID(uuid))[0]

    async def start_notify(self, uuid, callback):
        await self.peer.subscribe(self._char(uuid), lambda v: callback(None, bytearray(v)))

    async def write_gatt_char(self, uuid, data, response=None):
        await self.peer.write_value(self._char(uuid), bytes(data), with_response=bool(response))

    async def disconnect(self):
        with contextlib.suppress(Exception):
            await self.connection.disconnect()


@pytest.fixture
async def bumble_lights(monkeypatch):
    """The lights firmware (link kind ble) behind a Bumble peripheral; ble:// through a Bumble
    central."""
    cfg = fw_config.check(board_config(load_boards()["lights"], "testbuild0001"))
    cfg["link"] = {"kind": "ble"}
    ours, theirs = socket.socketpair()
    board = SimBoard(
        uid="00b0b1e0",
        reset_cause=wire.RESET_POWER_ON,
        link_socket=ours,
        exit_process=lambda _: None,
    )
    sup = supervisor.build(board, cfg)
    firmware = asyncio.create_task(sup.run())
    await asyncio.sleep(0.05)  # the port registers its service and advertises
    server = board.ble().gatt
    conn = {"sim": None}
    outbox: asyncio.Queue[bytes] = asyncio.Queue()

    def on_write(connection, value):
        assert connection.is_encrypted  # Bumble's own check let only these through
        if conn["sim"] is None:
            conn["sim"] = server.connect(connection.att_mtu, bonded=True)
        server.write(conn["sim"], server.uuids[blelink.RX_UUID], bytes(value))

    service, tx = link_service(on_write)
    devices = TwoDevices()
    central, peripheral = devices[0], devices[1]
    peripheral.add_service(service)
    for device in (central, peripheral):
        device.pairing_config_factory = lambda _c: PairingConfig(
            sc=True, mitm=False, bonding=True, delegate=PairingDelegate()
        )
    for device in (central, peripheral):
        await device.power_on()
    server.on_notify = lambda _handle, data: outbox.put_nowait(data)

    async def send():
        while True:
            data = await outbox.get()
            await peripheral.notify_subscribers(tx, data)

    sender = asyncio.create_task(send())

    def gone(*_):
        if conn["sim"] is not None:
            server.disconnect(conn["sim"])
            conn["sim"] = None

    def connected(connection):
        connection.on("disconnection", gone)
        asyncio.get_running_loop().call_soon(
            lambda: asyncio.ensure_future(peripheral.start_advertising(auto_restart=False))
        )

    peripheral.on("connection", connected)
    await peripheral.start_advertising(advertising_interval_min=20.0)
    clients = []

    def factory(address, on_disconnect, pair=True):
        clients.append(BumbleClient(central, peripheral.random_address, on_disconnect, pair))
        return clients[-1]

    monkeypatch.setattr("vitrine.link.gatt.client_factory", factory)
    try:
        yield sup, clients, factory
    finally:
        for task in (sender, firmware):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        ours.close()
        theirs.close()


async def test_the_lights_firmware_over_bumbles_stack(bumble_lights):
    sup, clients, _ = bumble_lights
    fast = LinkSettings(command_timeout_s=0.5, handshake_patience_s=3.0)
    async with running_link("ble://F1:F1:F1:F1:F1:F1", fast) as link:
        hello = await link.wait_up(10)
        assert hello.role == "lights"
        rtts = []
        for i in range(20):
            start = time.perf_counter()
            ack = await link.command(wire.LIGHT_SET, i, 0, 0, 0, 255, 0)
            rtts.append(time.perf_counter() - start)
            assert isinstance(ack, m.Ack)
        assert link.counters.crc_errors == 0
    port = sup.link.port
    assert port.mtu == MTU and port.encrypted  # what Bumble's MTU exchange and SMP gave
    assert clients[0].mtu_size == MTU and clients[0].connection.is_encrypted
    assert max(rtts) < 1.0


async def test_bumbles_stack_refuses_a_write_before_pairing(bumble_lights):
    from bumble.att import ATT_Error

    from vitrine.link.gatt import open_ble

    sup, _, factory = bumble_lights

    class Collect(asyncio.Protocol):
        lost = None

        def connection_lost(self, exc):
            Collect.lost = exc

    transport = await open_ble(
        "ble://F1:F1:F1:F1:F1:F1", Collect, lambda a, cb: factory(a, cb, pair=False)
    )
    transport.write(b"\x01\x00")
    for _ in range(50):
        await asyncio.sleep(0.01)
        if Collect.lost is not None:
            break
    assert isinstance(Collect.lost, ATT_Error) and "INSUFFICIENT_ENCRYPTION" in str(Collect.lost)
    assert sup.link.port.rx_w == 0


async def test_the_bumble_layout_is_the_one_the_firmware_registers(bumble_lights):
    """The characteristics' ATT properties (the low byte of MicroPython's flags is the
    property byte of Core 5.4 Vol 3 Part G §3.3.1.1) and the encryption the firmware asks for
    on RX are the ones the Bumble peripheral above serves."""
    sup, _, _ = bumble_lights
    server = sup.link.port.ble.gatt
    rx_flags = server.flags[server.uuids[blelink.RX_UUID]]
    tx_flags = server.flags[server.uuids[blelink.TX_UUID]]
    service, _ = link_service(lambda *_: None)
    rx, tx = service.characteristics
    assert rx_flags & 0xFF == int(rx.properties) == 0x08  # write
    assert tx_flags & 0xFF == int(tx.properties) == 0x10  # notify
    assert rx_flags & 0x1000  # _FLAG_WRITE_ENCRYPTED
    assert rx.permissions & Characteristic.Permissions.WRITE_REQUIRES_ENCRYPTION
