"""The virtual BLE air between processes (vitrine.sim.ble_air): Bumble controllers behind HCI
sockets, a controller per connection, and a radio that goes silent ending its peers'
connections; the simulation's choices around it (which boards may have a BLE link, their
addresses, the faults a board without a cable refuses); the daemon's `[link] ble_hci`."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from bumble import hci
from bumble.device import Device
from bumble.transport import open_transport
from pydantic import ValidationError

from vitrine.config import LinkConfig
from vitrine.hardware import load_boards
from vitrine.sim.ble_air import BleAir, board_address
from vitrine.sim.errors import SimError
from vitrine.sim.manager import Simulation
from vitrine.sim.virtual_board import BoardOptions, VirtualBoard


async def _device(path: Path, address: str) -> tuple[Device, object]:
    transport = await open_transport(f"unix:{path}")
    device = Device.with_hci("t", hci.Address(address), transport.source, transport.sink)
    await device.power_on()
    return device, transport


async def test_a_radio_that_goes_silent_ends_its_peers_connections(tmp_path: Path) -> None:
    air = BleAir()
    await air.serve("host", tmp_path / "host.hci")
    await air.serve("board", tmp_path / "board.hci")
    try:
        board, board_transport = await _device(tmp_path / "board.hci", "C1:02:03:04:05:06")
        host, host_transport = await _device(tmp_path / "host.hci", "F0:0D:00:00:00:01")
        assert air.powered_on == {"board": 1, "host": 1}
        await board.start_advertising(advertising_interval_min=20.0)
        connection = await host.connect(
            hci.Address("C1:02:03:04:05:06", hci.Address.RANDOM_DEVICE_ADDRESS), timeout=5
        )
        ended = asyncio.get_running_loop().create_future()
        connection.on("disconnection", ended.set_result)
        assert air.drop("board") == 1  # the board lost its power
        async with asyncio.timeout(5):
            reason = await ended
        assert reason == hci.HCI_ErrorCode.CONNECTION_TIMEOUT_ERROR
        assert [a.name for a in air.adapters] == ["host"]
        # the board's next boot is a fresh controller on the same socket
        await board_transport.close()  # type: ignore[attr-defined]
        board2, board2_transport = await _device(tmp_path / "board.hci", "C1:02:03:04:05:06")
        assert air.powered_on["board"] == 2
        await board2.start_advertising(advertising_interval_min=20.0)
        again = await host.connect(
            hci.Address("C1:02:03:04:05:06", hci.Address.RANDOM_DEVICE_ADDRESS), timeout=5
        )
        assert again in host.connections.values()
        for t in (board2_transport, host_transport):
            await t.close()  # type: ignore[attr-defined]
    finally:
        await air.close()


def test_a_boards_address_is_static_random_and_its_own() -> None:
    a = board_address("0123456789abcdef")
    assert a == "C1:23:45:67:89:AB"  # the two top bits set: a static random address
    assert board_address("fedcba9876543210") != a
    assert int(board_address("00" * 8)[:2], 16) & 0xC0 == 0xC0


def test_a_ble_board_has_no_cable_faults(tmp_path: Path) -> None:
    board = VirtualBoard(load_boards()["lights"], tmp_path, "b" * 12, 1, BoardOptions(ble=True))
    assert board.url == f"ble://{board.ble_address}"
    assert board.config["link"] == {"kind": "ble"}
    with pytest.raises(
        SimError, match=r"lights has no cable .*'unplug'.*allowed here: reboot, stall$"
    ):
        asyncio.run(board.fault("unplug"))
    plain = VirtualBoard(load_boards()["lights"], tmp_path / "p", "b" * 12, 1)
    assert plain.url == str(plain.path) and plain.config["link"]["kind"] == "uart"


def test_the_simulation_refuses_a_ble_link_where_it_cannot_be(tmp_path: Path) -> None:
    with pytest.raises(SimError, match="beacon: its radio is the beacon's"):
        Simulation(["beacon"], tmp_path, options={"beacon": BoardOptions(ble=True)})
    with pytest.raises(SimError, match=r"options for role touch, .* running: lights"):
        Simulation(["lights"], tmp_path, options={"touch": BoardOptions(ble=True)})


def test_the_daemons_ble_adapter_is_a_transport_or_bleak() -> None:
    assert LinkConfig().ble_hci == ""  # bleak
    assert LinkConfig(ble_hci="unix:/tmp/x/ble/host.hci").ble_hci.startswith("unix:")
    assert LinkConfig(ble_hci="usb:0").settings().ble_hci == "usb:0"  # reaches the links
    with pytest.raises(ValidationError, match="ble_hci"):
        LinkConfig(ble_hci="/tmp/host.hci")  # a transport names its kind: unix:, usb:, ...


async def test_a_lost_adapter_ends_the_centrals_links_at_once(tmp_path: Path) -> None:
    from vitrine.link.bumble_central import BumbleClient, central

    air = BleAir()
    await air.serve("host", tmp_path / "host.hci")
    await air.serve("board", tmp_path / "board.hci")
    try:
        board, board_transport = await _device(tmp_path / "board.hci", "C1:02:03:04:05:06")
        await board.start_advertising(advertising_interval_min=20.0)
        gone = asyncio.get_running_loop().create_future()
        spec = f"unix:{tmp_path / 'host.hci'}"
        client = BumbleClient(spec, "C1:02:03:04:05:06", gone.set_result, pair=False)
        await client.connect()
        assert central(spec).clients == {client}
        air.drop("host")  # the host's adapter went (unplugged, its controller gone)
        async with asyncio.timeout(1):  # not at the next missed heartbeat: now
            assert await gone is client
        assert central(spec).clients == set() and central(spec).device is None
        # the next connection opens the adapter again
        await board.start_advertising(advertising_interval_min=20.0)
        again = BumbleClient(spec, "C1:02:03:04:05:06", lambda _c: None, pair=False)
        await again.connect()
        assert central(spec).opened == 2
        await again.disconnect()
        await board_transport.close()  # type: ignore[attr-defined]
    finally:
        await air.close()
