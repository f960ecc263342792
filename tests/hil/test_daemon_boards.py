"""The daemon and virtual boards over pseudo-terminals: status, faults, recovery."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from vitrine import __version__
from vitrine.config import Config, DataConfig
from vitrine.daemon import Daemon
from vitrine.errors import VitrineError
from vitrine.link import messages as m
from vitrine.sim.virtual_board import BoardOptions
from vitrine_fw import wire

from .conftest import Rig, make_rig

pytestmark = pytest.mark.hil


async def test_status_api_lists_every_virtual_board_up(rig: Rig) -> None:
    status = await rig.status()
    boards = {b["name"]: b for b in status["boards"]}
    assert set(boards) == {"touch", "presence", "lights", "beacon"}
    for role, board in boards.items():
        assert board["role"] == role
        assert board["state"] == "up"
        assert board["firmware_version"] == __version__
        assert board["build_hash"] == status["host_build"]
        assert board["reset_cause"] == "power_on"
        assert board["port"] == str(rig.sim.boards[role].path)
        assert board["counters"]["crc_errors"] == 0
        assert "link" in board["capabilities"]
    assert status["player"] == {"unknown_messages": {}}  # no page reported any
    # Every role's subsystem runs (the proximity and the beacon ones too): no board lacks what
    # its role needs, and the status says nothing is missing.
    needs = {"touch": "touch", "presence": "proximity", "lights": "lighting", "beacon": "beacon"}
    for role, subsystem in needs.items():
        assert subsystem in boards[role]["capabilities"], role
        assert boards[role]["missing_subsystems"] is None, role
    page = await rig.http.get("/status")
    assert page.status_code == 200
    assert "/static/status.js" in page.text
    script = await rig.http.get("/static/status.js")  # the page's script, from the daemon
    assert script.status_code == 200
    assert "/api/status" in script.text
    player = await rig.http.get("/")  # the kiosk's page
    assert player.status_code == 200
    assert "/player/static/player.js" in player.text
    associate = await rig.http.get("/associate/api/requests")
    assert associate.status_code == 401  # never anonymous


def test_a_data_folder_it_cannot_create_is_named(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    config = Config(data=DataConfig(dir=str(blocker / "data")))
    with pytest.raises(VitrineError, match=f"cannot use the data folder {blocker / 'data'}: "):
        Daemon(config)


async def test_board_heartbeats_reach_the_status(rig: Rig) -> None:
    first = await rig.wait_board("presence", lambda b: b["board_uptime_s"] is not None)
    later = await rig.wait_board(
        "presence", lambda b: b["board_uptime_s"] > first["board_uptime_s"], timeout=3
    )
    assert later["board_counters"]["crc_errors"] == 0
    assert later["board_counters"]["rx_frames"] > 0


async def test_unplug_then_replug_brings_the_board_back(rig: Rig) -> None:
    await rig.fault("touch", "unplug")
    down = await rig.wait_board("touch", lambda b: b["state"] != "up")
    assert down["last_error"]
    await rig.fault("touch", "replug")
    back = await rig.wait_board("touch", lambda b: b["state"] == "up")
    assert back["counters"]["reconnects"] == 1
    assert back["counters"]["link_losses"] == 1


async def test_reset_button_on_a_uart_board_is_a_reboot_without_link_loss(rig: Rig) -> None:
    with rig.daemon.bus.subscribe(m.BoardRebooted, m.BoardConnected, m.BoardLost) as sub:
        await rig.fault("lights", "reboot")
        rebooted = await sub.next(m.BoardRebooted, 10)
        connected = await sub.next(m.BoardConnected, 10)
        lost = [e for e in sub.drain() if isinstance(e, m.BoardLost)]
    assert rebooted.board == "lights"
    # The reset button is a power-on reset on the RP2040 (and the ESP32-S3), as on a board.
    assert rebooted.hello.reset_cause == wire.RESET_POWER_ON
    assert connected.hello.reset_cause == wire.RESET_POWER_ON
    assert lost == []
    board = await rig.board("lights")
    assert board["counters"]["reboots"] == 1
    assert board["reset_cause"] == "power_on"
    assert board["last_reset"]["seen"] == "while up"
    assert board["last_reset"]["error"] is False
    assert board["last_error"] is None


async def test_reset_button_on_a_usb_board_drops_the_port_and_counts_as_a_reboot(
    rig: Rig,
) -> None:
    # The board drops off USB while it resets: the daemon sees an unplug, then a handshake
    # HELLO like any other. The board's uptime, shorter than the time it was away, tells.
    pressed = time.time()
    with rig.daemon.bus.subscribe(m.BoardConnected, m.BoardLost) as sub:
        await rig.fault("touch", "reboot")
        await sub.next(m.BoardLost, 10)
        connected = await sub.next(m.BoardConnected, 10)
    assert connected.hello.reset_cause_name == "power_on"
    board = await rig.wait_board("touch", lambda b: b["counters"]["reboots"] == 1)
    assert board["state"] == "up"
    assert board["counters"]["reconnects"] == 1
    reset = board["last_reset"]
    assert (reset["cause"], reset["seen"], reset["error"]) == ("power_on", "while away", False)
    assert pressed - 0.5 < reset["at"] < time.time()
    # The port's going away is on record, with its time, but the link is up again.
    assert board["last_error"]
    assert pressed - 0.5 < board["last_error_at"] < time.time()


@pytest.mark.parametrize("role", ["touch", "lights"])
async def test_a_reboot_the_host_asks_for_is_soft_and_no_error(rig: Rig, role: str) -> None:
    # The rp2 port's machine.reset() reads as wdt (the touch board's RP2350, the lights board's
    # RP2040; an ESP32's reads hard); the firmware's reset flag makes both say soft.
    link = rig.daemon.boards.by_name(role)
    assert link is not None
    await link.command(wire.REBOOT, 50)
    board = await rig.wait_board(
        role, lambda b: b["counters"]["reboots"] == 1 and b["state"] == "up"
    )
    assert board["reset_cause"] == "soft"
    assert board["last_reset"]["cause"] == "soft"
    assert board["last_reset"]["error"] is False
    assert not (board["last_error"] or "").startswith("the board reset")
    assert rig.sim.boards[role].stats.resets == {"power_on": 1, "wdt": 1}


async def test_garbage_is_counted_and_the_link_stays_up(rig: Rig) -> None:
    with rig.daemon.bus.subscribe(m.BoardLost, m.Heartbeat) as sub:
        await rig.fault("presence", "garbage", 20_000)
        await rig.wait_board("presence", lambda b: b["counters"]["resyncs"] > 0)
        # heartbeats keep arriving after the garbage
        beats = 0
        while beats < 2:
            event = await sub.next(m.Heartbeat, 3)
            beats += event.board == "presence"
        lost = [e for e in sub.drain() if isinstance(e, m.BoardLost)]
    board = await rig.board("presence")
    assert board["state"] == "up"
    assert board["counters"]["bytes_skipped"] > 10_000
    assert lost == []


async def test_stalled_firmware_ends_in_a_watchdog_reset_seen_as_hello(rig: Rig) -> None:
    # The watchdog (5 s) and the host's heartbeat timeout (4.5 s) race: the board's HELLO with
    # reset cause wdt reaches the host either as a reboot on a live link or in the handshake
    # after the link was dropped. Either way the next BoardConnected carries it.
    stalled = time.time()
    with rig.daemon.bus.subscribe(m.BoardConnected) as sub:
        await rig.fault("lights", "stall")
        connected = await sub.next(m.BoardConnected, 15)
    assert connected.hello.reset_cause_name == "wdt"
    board = await rig.wait_board(
        "lights", lambda b: b["state"] == "up" and b["counters"]["reboots"] == 1
    )
    assert board["reset_cause"] == "wdt"
    # A watchdog reset is an error the status shows, with when it happened.
    reset = board["last_reset"]
    assert reset["cause"] == "wdt" and reset["error"] is True
    assert reset["seen"] in ("while up", "while away")
    assert stalled < reset["at"] < time.time()
    assert board["last_error"].startswith("the board reset (cause wdt: the watchdog")
    assert board["last_error_at"] == pytest.approx(reset["at"], abs=0.001)


async def test_board_with_an_older_message_table_is_refused(tmp_path: Path) -> None:
    old = BoardOptions(pose_schema=f"{wire.SCHEMA_REV - 1}:0x1234abcd")
    async with make_rig(tmp_path, roles=["touch", "lights"], options={"touch": old}) as rig:
        refused = await rig.wait_board("touch", lambda b: b["state"] == "refused")
        await rig.wait_board("lights", lambda b: b["state"] == "up")
    assert "update the board firmware" in refused["last_error"]
    assert "vitrine flash --role touch" in refused["last_error"]
