"""The wire protocol over GATT (ble://): MTU-sized pieces in order, notifications to the
protocol, bonded connection or a PortError that says why, loss reported once. bleak's client
is stood in for at the seam (client_factory)."""

from __future__ import annotations

import asyncio
import contextlib

import pytest

from vitrine.link import ports
from vitrine.link.errors import PortError
from vitrine.link.gatt import GattTransport, address_of, open_ble
from vitrine_fw import blelink

ADDRESS = "AA:BB:CC:DD:EE:01"


class Services:
    def __init__(self, present):
        self.present = present

    def get_service(self, uuid):
        return object() if self.present and uuid == blelink.SERVICE_UUID else None


class FakeClient:
    """What open_ble uses of bleak's BleakClient."""

    def __init__(self, address, on_disconnect, *, mtu=23, fail=None, service=True):
        self.address, self.on_disconnect = address, on_disconnect
        self.mtu_size = mtu
        self.fail = fail
        self.services = Services(service)
        self.writes: list[tuple[str, bytes, bool]] = []
        self.notify = None
        self.connected = False

    async def connect(self):
        if self.fail:
            raise self.fail
        self.connected = True

    async def disconnect(self):
        self.connected = False

    async def start_notify(self, uuid, callback):
        assert uuid == blelink.TX_UUID
        self.notify = callback

    async def write_gatt_char(self, uuid, data, response=None):
        await asyncio.sleep(0)
        self.writes.append((uuid, bytes(data), response))


class Collect(asyncio.Protocol):
    def __init__(self):
        self.data = b""
        self.made = 0
        self.lost: list[BaseException | None] = []

    def connection_made(self, transport):
        self.made += 1

    def data_received(self, data):
        self.data += data

    def connection_lost(self, exc):
        self.lost.append(exc)


async def opened(**kw):
    clients = []
    protocol = Collect()

    def factory(address, on_disconnect):
        clients.append(FakeClient(address, on_disconnect, **kw))
        return clients[0]

    transport = await open_ble(f"ble://{ADDRESS.lower()}", lambda: protocol, factory)
    return transport, clients[0], protocol


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("ble://AA:BB:CC:DD:EE", "address 'AA:BB:CC:DD:EE': allowed six hex bytes"),
        ("ble://AA-BB-CC-DD-EE-FF", "allowed six hex bytes separated by colons"),
        ("ble://GG:BB:CC:DD:EE:FF", "allowed six hex bytes"),
        ("socket://x:1", "not a ble:// URL"),
    ],
)
def test_a_bad_address_is_named(url, problem):
    with pytest.raises(PortError, match=problem) as err:
        address_of(url)
    assert url in str(err.value)


def test_an_address_is_read_in_capitals():
    assert address_of("ble://aa:bb:cc:dd:ee:0f/") == "AA:BB:CC:DD:EE:0F"


async def test_writes_go_in_mtu_sized_pieces_in_order_with_response():
    transport, client, protocol = await opened(mtu=23)
    assert isinstance(transport, GattTransport) and protocol.made == 1
    assert client.address == ADDRESS
    frame = bytes(range(1, 46)) + b"\x00"  # 46 bytes: 20 + 20 + 6 at the first MTU
    transport.write(frame)
    transport.write(b"\x05\x00")
    for _ in range(20):
        await asyncio.sleep(0)
    assert [len(d) for _, d, _ in client.writes] == [20, 20, 6, 2]
    assert b"".join(d for _, d, _ in client.writes) == frame + b"\x05\x00"
    assert all(u == blelink.RX_UUID and r is True for u, _, r in client.writes)
    transport.close()


async def test_a_larger_mtu_takes_larger_pieces():
    transport, client, _ = await opened(mtu=247)
    transport.write(bytes(500))
    for _ in range(10):
        await asyncio.sleep(0)
    assert [len(d) for _, d, _ in client.writes] == [244, 244, 12]
    transport.close()


async def test_notifications_are_the_stream_the_protocol_reads():
    transport, client, protocol = await opened()
    client.notify(None, bytearray(b"\x03ab"))
    client.notify(None, bytearray(b"\x00"))
    assert protocol.data == b"\x03ab\x00"
    transport.close()


async def test_a_board_that_reboots_is_a_lost_connection_once():
    transport, client, protocol = await opened()
    client.on_disconnect(client)
    client.on_disconnect(client)
    await asyncio.sleep(0.01)
    assert len(protocol.lost) == 1 and isinstance(protocol.lost[0], ConnectionError)
    assert transport.is_closing()
    transport.write(b"late")  # ignored after the loss
    await asyncio.sleep(0)
    assert client.writes == []


async def test_a_board_that_will_not_bond_is_a_port_error():
    with pytest.raises(PortError, match=r"could not connect and bond: .*Authentication Failed"):
        await opened(fail=OSError("org.bluez.Error.AuthenticationFailed: Authentication Failed"))


async def test_a_device_without_the_link_service_is_refused_and_let_go():
    clients = []

    def factory(address, on_disconnect):
        clients.append(FakeClient(address, on_disconnect, service=False))
        return clients[0]

    with pytest.raises(PortError, match="no Vitrine link service"):
        await open_ble(f"ble://{ADDRESS}", Collect, factory)
    assert not clients[0].connected


async def test_open_port_sends_ble_urls_to_the_gatt_link():
    with pytest.raises(PortError, match="allowed six hex bytes"):
        await ports.open_port("ble://nope", Collect)


def test_pieces_at_the_extremes_of_the_mtu():
    assert blelink.piece_size(23) == 20
    assert blelink.piece_size(517) == 514
    assert blelink.pieces(b"", 23) == []
    with pytest.raises(ValueError, match=r"ATT MTU 22: allowed 23\.\.517"):
        blelink.piece_size(22)


# --- the real lights firmware over the GATT link ----------------------------------------------


class BridgeClient(FakeClient):
    """A virtual BLE link to a virtual lights board: bytes written to RX reach the board's UART
    (here: its TCP connection), and what the board sends comes back as notifications of at
    most MTU - 3 bytes, as the board's GATT server sends them."""

    def __init__(self, address, on_disconnect, url, mtu=185):
        super().__init__(address, on_disconnect, mtu=mtu)
        self.host, self.port = url.removeprefix("socket://").split(":")
        self._reader = None
        self._writer = None
        self._task = None

    async def connect(self):
        self._reader, self._writer = await asyncio.open_connection(self.host, int(self.port))
        self._task = asyncio.create_task(self._pump())
        self.connected = True

    async def _pump(self):
        while True:
            data = await self._reader.read(4096)
            if not data:
                self.on_disconnect(self)
                return
            for piece in blelink.pieces(data, self.mtu_size):
                self.notify(None, bytearray(piece))

    async def write_gatt_char(self, uuid, data, response=None):
        assert len(data) <= self.mtu_size - 3 and response is True
        self.writes.append((uuid, bytes(data), response))
        self._writer.write(bytes(data))
        await self._writer.drain()

    async def disconnect(self):
        self.connected = False
        if self._task:
            self._task.cancel()
        if self._writer:
            self._writer.close()


@pytest.fixture
def ble_to(monkeypatch):
    """ble://ADDRESS reaches the firmware board served at a socket:// URL."""
    clients = []

    def use(url):
        def factory(address, on_disconnect):
            clients.append(BridgeClient(address, on_disconnect, url))
            return clients[-1]

        monkeypatch.setattr("vitrine.link.gatt.client_factory", factory)
        return clients

    return use


async def test_the_lights_board_over_ble_hands_shake_and_answers_commands(firmware_board, ble_to):
    import time

    from vitrine.bus import EventBus
    from vitrine.link import messages as m
    from vitrine.link.board import running_link
    from vitrine_fw import wire

    from .peers import FAST

    clients = ble_to(firmware_board.url)
    bus = EventBus()
    async with running_link(f"ble://{ADDRESS}", FAST, bus=bus) as link:
        hello = await link.wait_up(5)
        assert hello.role == "lights"
        rtts = []
        for _ in range(50):
            start = time.perf_counter()
            ack = await link.command(wire.LIGHT_SET, 10, 20, 30, 0, 255, 0)
            rtts.append(time.perf_counter() - start)
            assert isinstance(ack, m.Ack)
    assert clients and all(len(d) <= 182 for _, d, _ in clients[0].writes)
    assert link.counters.crc_errors == 0
    assert sorted(rtts)[int(0.99 * len(rtts))] < 0.1  # the p99 <= 100 ms


async def test_the_ble_link_comes_back_after_the_board_reboots(firmware_board, ble_to):
    import time

    from vitrine.link.board import running_link

    from .peers import FAST

    clients = ble_to(firmware_board.url)
    async with running_link(f"ble://{ADDRESS}", FAST) as link:
        await link.wait_up(5)
        await clients[-1].disconnect()  # the board went away (rebooted, out of range)
        clients[-1].on_disconnect(clients[-1])
        start = time.monotonic()
        await asyncio.sleep(0.05)
        await link.wait_up(5)
        back_s = time.monotonic() - start
    assert len(clients) >= 2  # connected again
    assert back_s < 5.0


# --- the virtual BLE link: the real lights firmware on a virtual board's radio -----------------


@pytest.fixture
async def ble_lights_board(monkeypatch):
    """The lights firmware on a virtual board whose link is the GATT service on its virtual
    radio (link kind "ble"), and ble:// reaching it through SimGattClient."""
    import socket

    from vitrine.hardware import board_config, load_boards
    from vitrine.sim.board import SimBoard
    from vitrine.sim.radio import SimGattClient
    from vitrine_fw import config as fw_config
    from vitrine_fw import supervisor, wire

    cfg = fw_config.check(board_config(load_boards()["lights"], "testbuild0001"))
    cfg["heartbeat_ms"] = 100
    cfg["link"] = {"kind": "ble"}
    ours, theirs = socket.socketpair()
    board = SimBoard(
        uid="00b1e000",
        reset_cause=wire.RESET_POWER_ON,
        link_socket=ours,
        exit_process=lambda _: None,
    )
    sup = supervisor.build(board, cfg)
    task = asyncio.create_task(sup.run())
    clients = []

    def factory(address, on_disconnect):
        clients.append(SimGattClient(board.ble().gatt, on_disconnect))
        return clients[-1]

    monkeypatch.setattr("vitrine.link.gatt.client_factory", factory)
    try:
        yield board, sup, clients
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        ours.close()
        theirs.close()


async def test_the_virtual_lights_board_runs_its_link_over_gatt(ble_lights_board):
    import time

    from vitrine.link import messages as m
    from vitrine.link.board import running_link
    from vitrine_fw import wire

    from .peers import FAST

    board, sup, clients = ble_lights_board
    radio = board.ble()
    assert radio.advertising is not None and radio.advertising[2]  # connectable, waiting
    async with running_link(f"ble://{ADDRESS}", FAST) as link:
        hello = await link.wait_up(5)
        assert hello.role == "lights"
        rtts = []
        for _ in range(50):
            start = time.perf_counter()
            ack = await link.command(wire.LIGHT_SET, 10, 20, 30, 0, 255, 0)
            rtts.append(time.perf_counter() - start)
            assert isinstance(ack, m.Ack)
        port = sup.link.port
        assert port.encrypted and port.mtu == 185 and port.rx_dropped == 0
        # the board came back after it went (a reboot, out of range)
        clients[-1].board_went()
        start = time.monotonic()
        await asyncio.sleep(0.05)
        await link.wait_up(5)
        back_s = time.monotonic() - start
    assert len(clients) >= 2 and back_s < 5.0
    assert sorted(rtts)[int(0.99 * len(rtts))] < 0.1


async def test_an_unbonded_central_cannot_write_to_the_link(ble_lights_board):
    from vitrine.sim.radio import SimGattClient

    board, sup, _ = ble_lights_board
    protocol = Collect()
    transport = await open_ble(
        f"ble://{ADDRESS}",
        lambda: protocol,
        lambda a, cb: SimGattClient(board.ble().gatt, cb, pair=False),
    )
    transport.write(b"\x02\x01\x00")
    for _ in range(10):
        await asyncio.sleep(0)
    assert len(protocol.lost) == 1 and isinstance(protocol.lost[0], PermissionError)
    assert sup.link.port.rx_w == 0  # nothing reached the firmware


def test_bonds_are_kept_in_a_file_and_a_damaged_one_means_none(tmp_path):
    path = tmp_path / "ble_secrets.json"
    store = blelink.FileSecrets(str(path))
    assert store.load() == {}
    store.save({(1, b"\x01\x02"): b"ltk", (2, b"irk"): b"\xff"})
    assert blelink.FileSecrets(str(path)).load() == {(1, b"\x01\x02"): b"ltk", (2, b"irk"): b"\xff"}
    path.write_text("{not json")
    assert store.load() == {}
