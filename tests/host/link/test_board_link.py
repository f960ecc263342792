"""BoardLink against the real firmware (in process, over socket://) and scripted peers."""

from __future__ import annotations

import asyncio
import dataclasses
import time

import pytest

from vitrine.bus import EventBus
from vitrine.link import BoardLink, CommandRejected, LinkDown, LinkState
from vitrine.link import messages as m
from vitrine.link.board import running_link
from vitrine_fw import wire

from .peers import FAST, FakeBoard, FirmwareBoards


async def test_handshake_with_real_firmware_publishes_connected(firmware_board: FirmwareBoards):
    bus = EventBus()
    with bus.subscribe(m.BoardConnected) as sub:
        async with running_link(firmware_board.url, FAST, bus=bus) as link:
            hello = await link.wait_up(5)
            event = await sub.next(m.BoardConnected, 3)
    assert event.hello == hello
    assert hello.role == "lights"
    assert hello.build_hash == "testbuild0001"
    assert hello.reset_cause_name == "power_on"
    assert hello.capability_names == ["link", "lighting", "console", "probe"]
    assert link.name == "lights"  # learned from HELLO: no role was pinned
    assert firmware_board.supervisors[0].link.host_up


async def test_what_the_board_sends_as_the_host_comes_up_is_delivered_once_up(firmware_board):
    # The board resends its state (on_up: the lights board its LIGHT_STATE) as soon as it has
    # answered HELLO, before the host's LINK_TIMING ends the handshake: held, not dropped.
    bus = EventBus()
    with bus.subscribe(m.BoardConnected, m.LightState) as sub:
        async with running_link(firmware_board.url, FAST, bus=bus) as link:
            await link.wait_up(5)
            first = await sub.next(m.BoardConnected, 3)
            state = await sub.next(m.LightState, 3)
    assert first.board == state.board == "lights"  # the name learned from HELLO


async def test_frames_in_the_same_read_as_the_hello_ack_are_kept_until_up():
    log_line = (wire.LOG_WARNING, "touch", "x bar blinded")
    async with FakeBoard(after_hello=((wire.LOG, log_line),)) as board:
        bus = EventBus()
        with bus.subscribe(m.BoardConnected, m.Log) as sub:
            async with running_link(board.url, FAST, bus=bus) as link:
                await link.wait_up(5)
                await sub.next(m.BoardConnected, 3)
                line = await sub.next(m.Log, 3)
    assert (line.board, line.text) == ("touch", "x bar blinded")


async def test_probe_stream_arrives_typed_in_order_without_gaps(firmware_board: FirmwareBoards):
    bus = EventBus()
    async with running_link(firmware_board.url, FAST, bus=bus) as link:
        await link.wait_up(5)
        with bus.subscribe(m.Probe) as sub:
            ack = await link.command(wire.PROBE_START, 400, 40, 48)
            assert isinstance(ack, m.Ack) and ack.acked_type == wire.PROBE_START
            probes = [await sub.next(m.Probe, 3) for _ in range(40)]
    assert [p.index for p in probes] == list(range(40))
    assert all(len(p.pad) == 48 - 9 for p in probes)
    assert link.counters.gaps == 0
    assert link.counters.crc_errors == 0


async def test_board_heartbeats_are_published_and_counters_snapshot(firmware_board):
    bus = EventBus()
    async with running_link(firmware_board.url, FAST, bus=bus) as link:
        await link.wait_up(5)
        with bus.subscribe(m.Heartbeat) as sub:
            first = await sub.next(m.Heartbeat, 3)
            second = await sub.next(m.Heartbeat, 3)
        snap = link.snapshot()
    assert second.uptime_ms > first.uptime_ms
    assert snap["state"] == "up"
    assert snap["board_counters"]["crc_errors"] == 0
    assert snap["counters"]["frames_rx"] >= 2
    assert snap["schema_hash"] == f"0x{wire.SCHEMA_HASH:08x}"


async def test_nack_becomes_command_rejected_with_reason_and_detail(firmware_board):
    async with running_link(firmware_board.url, FAST) as link:
        await link.wait_up(5)
        with pytest.raises(CommandRejected) as info:
            await link.command(wire.PROBE_START, 5000, 1, 20)
    assert info.value.reason == "refused"
    assert "rate_hz=5000" in info.value.detail
    assert link.counters.nacks == 1


async def test_command_while_down_raises_link_down():
    link = BoardLink("socket://127.0.0.1:9", EventBus(), FAST)
    with pytest.raises(LinkDown):
        await link.command(wire.PROBE_START, 1, 1, 9)


async def test_reboot_command_resets_the_board_after_ack(firmware_board):
    async with running_link(firmware_board.url, FAST) as link:
        await link.wait_up(5)
        await link.command(wire.REBOOT, 10)
        for _ in range(100):
            if firmware_board.exits:
                break
            await asyncio.sleep(0.01)
    from vitrine.sim.board import EXIT_SOFT_RESET

    assert firmware_board.exits == [EXIT_SOFT_RESET]


async def test_board_on_older_schema_is_refused_with_update_advice(firmware_board):
    def older(sup) -> None:
        sup.link.schema_rev = wire.SCHEMA_REV - 1
        sup.link.schema_hash = 0xDEADBEEF

    firmware_board.tweak = older
    bus = EventBus()
    with bus.subscribe(m.BoardRefused) as sub:
        async with running_link(firmware_board.url, FAST, bus=bus) as link:
            refused = await sub.next(m.BoardRefused, 3)
            assert link.state == LinkState.REFUSED
    assert "update the board firmware" in refused.message
    assert not link.is_up


async def test_board_on_newer_schema_asks_to_update_the_host():
    async with FakeBoard(answer_hello=False) as board:
        bus = EventBus()
        with bus.subscribe(m.BoardRefused) as sub:
            async with running_link(board.url, FAST, bus=bus) as link:
                await board.connected.wait()
                newer = wire.encode_payload(
                    wire.HELLO,
                    (wire.SCHEMA_REV + 1, 1, "touch", "2.0.0", "b", "u", wire.RESET_SOFT, 1),
                )
                board.send_raw(wire.encode_frame(wire.HELLO, 0, 0, newer))
                refused = await sub.next(m.BoardRefused, 3)
                assert link.state == LinkState.REFUSED
    assert "update the host software" in refused.message


async def test_pinned_role_mismatch_is_refused():
    async with FakeBoard(role="beacon") as board:
        bus = EventBus()
        with bus.subscribe(m.BoardRefused) as sub:
            async with running_link(board.url, FAST, role="touch", bus=bus):
                refused = await sub.next(m.BoardRefused, 3)
    assert "configured for role touch" in refused.message
    assert "says it is beacon" in refused.message


async def test_silent_peer_gets_hello_retries_and_a_clear_error():
    board = FakeBoard(answer_hello=False)
    async with board, running_link(board.url, FAST) as link:
        await asyncio.sleep(FAST.handshake_patience_s + 0.3)
        assert link.state == LinkState.HANDSHAKE
        assert "no answer to HELLO" in (link.error or "")
        assert "Vitrine firmware" in (link.error or "")
    assert board.types_received().count(wire.HELLO) >= 4


async def test_missed_heartbeats_take_the_link_down_and_it_reconnects():
    async with FakeBoard() as board:
        bus = EventBus()
        with bus.subscribe(m.BoardLost, m.BoardConnected) as sub:
            async with running_link(board.url, FAST, bus=bus) as link:
                await sub.next(m.BoardConnected, 3)
                # the fake never sends HEARTBEAT: 4 missed periods of 0.1 s
                lost = await sub.next(m.BoardLost, 2)
                await sub.next(m.BoardConnected, 2)
    assert "no heartbeat" in lost.reason
    assert link.counters.heartbeat_timeouts >= 1
    assert link.counters.reconnects >= 1
    assert board.connections >= 2


async def test_host_sends_heartbeats_while_up():
    async with FakeBoard() as board, running_link(board.url, FAST) as link:
        await link.wait_up(3)
        for _ in range(3):
            board.heartbeat()
            await asyncio.sleep(0.1)
    assert board.types_received().count(wire.HEARTBEAT) >= 2


async def test_boot_hello_while_up_is_a_reboot_and_hands_shake_again():
    async with FakeBoard() as board:
        bus = EventBus()
        with bus.subscribe(m.BoardRebooted, m.BoardConnected) as sub:
            async with running_link(board.url, FAST, bus=bus) as link:
                await sub.next(m.BoardConnected, 3)
                hellos_before = board.types_received().count(wire.HELLO)
                board.send(
                    wire.HELLO,
                    wire.decode_payload(
                        wire.HELLO, board.hello_payload(reset_cause=wire.RESET_WDT)
                    ),
                )
                rebooted = await sub.next(m.BoardRebooted, 3)
                again = await sub.next(m.BoardConnected, 3)
    assert rebooted.hello.reset_cause_name == "wdt"
    assert again.board == "touch"
    assert link.counters.reboots == 1
    assert board.types_received().count(wire.HELLO) > hellos_before


async def test_unknown_type_is_counted_and_nacked_when_ack_requested():
    async with FakeBoard() as board, running_link(board.url, FAST) as link:
        await link.wait_up(3)
        board.send_raw(wire.encode_frame(0xE7, 100, 0, b"x"))
        board.send_raw(wire.encode_frame(0xE8, 101, wire.FLAG_ACK_REQ, b""))
        board.heartbeat()
        await asyncio.sleep(0.2)
    assert link.counters.unknown_types == 2
    nacks = [
        wire.decode_payload(wire.NACK, p)
        for f, s, t, p in board.received
        if t == wire.NACK and s == 101 and f & wire.FLAG_IS_ACK
    ]
    assert nacks == [(0xE8, wire.NACK_UNKNOWN_TYPE, "")]


async def test_corrupt_frames_are_counted_never_delivered_and_gaps_counted():
    async with FakeBoard() as board:
        bus = EventBus()
        async with running_link(board.url, FAST, bus=bus) as link:
            await link.wait_up(3)
            with bus.subscribe(m.Log) as sub:
                good = wire.encode_message(wire.LOG, 10, (20, "t", "before"))
                bad = bytearray(wire.encode_message(wire.LOG, 11, (20, "t", "corrupt")))
                bad[6] ^= 0x55
                later = wire.encode_message(wire.LOG, 15, (20, "t", "after a gap"))
                board.send_raw(good + bytes(bad) + b"\x13\x37garbage" + later)
                texts = [(await sub.next(m.Log, 3)).text for _ in range(2)]
            await asyncio.sleep(0.05)
            snap = link.snapshot()["counters"]
    assert texts == ["before", "after a gap"]
    assert snap["crc_errors"] + snap["framing_errors"] >= 2
    assert snap["gaps"] == 4  # seqs 11..14 never arrived intact
    assert snap["resyncs"] == snap["crc_errors"] + snap["framing_errors"]


async def test_closing_a_link_on_purpose_is_not_reported_as_a_loss(firmware_board):
    bus = EventBus()
    with bus.subscribe(m.BoardLost) as sub:
        link = BoardLink(firmware_board.url, bus, FAST)
        task = asyncio.create_task(link.run())
        await link.wait_up(5)
        await link.close()
        async with asyncio.timeout(2):
            await task
        assert sub.drain() == []
    assert link.state == LinkState.CLOSED
    assert link.counters.link_losses == 0


# --- both sides keep the same timing, and the host finds out when the board stopped hearing it


async def test_the_board_follows_the_hosts_heartbeat_period(firmware_board):
    # The board's config.json says 100 ms (it would drop a silent host after 450 ms); the
    # host beats every 600 ms. Without LINK_TIMING the board would refuse every command.
    slow = dataclasses.replace(FAST, heartbeat_s=0.6)
    bus = EventBus()
    async with running_link(firmware_board.url, slow, bus=bus) as link:
        await link.wait_up(5)
        board_link = firmware_board.sup.link
        assert (board_link.heartbeat_ms, board_link.missed_heartbeats) == (600, 4)
        with bus.subscribe(m.Heartbeat) as beats:
            first = await beats.next(m.Heartbeat, 2)
            second = await beats.next(m.Heartbeat, 2)
        await asyncio.sleep(0.5)
        ack = await link.command(wire.LIGHT_SET, 10, 20, 30, 0, 255, 0)
    assert ack.acked_type == wire.LIGHT_SET
    assert (second.rx_ns - first.rx_ns) / 1e9 > 0.45  # the board beats at the host's period
    assert board_link.host_up
    assert link.counters.rehandshakes == 0


async def test_not_ready_makes_the_host_shake_hands_again_and_resend(firmware_board):
    async with running_link(firmware_board.url, FAST) as link:
        await link.wait_up(5)
        board_link = firmware_board.sup.link
        board_link.host_up = False  # the board stopped hearing us (heartbeats lost on the line)
        ack = await link.command(wire.LIGHT_SET, 10, 20, 30, 0, 255, 0)
        assert ack.acked_type == wire.LIGHT_SET
        assert link.is_up
    assert link.counters.rehandshakes == 1
    assert board_link.handshakes == 2
    assert "not_ready" in (link.error or "")


async def test_a_host_whose_loop_stalled_shakes_hands_again_on_its_own(firmware_board):
    async with running_link(firmware_board.url, FAST) as link:
        await link.wait_up(5)
        board_link = firmware_board.sup.link
        # The board gives up on a host silent for 4 periods of 100 ms plus 50 ms. This blocks
        # the loop both run in, so the board's own check runs only after it: let it run first.
        time.sleep(0.8)  # noqa: ASYNC251 - on purpose: the stall under test
        await asyncio.sleep(0)
        for _ in range(100):
            if link.counters.rehandshakes and link.is_up and board_link.host_up:
                break
            await asyncio.sleep(0.02)
        assert link.counters.rehandshakes == 1
        assert link.is_up and board_link.host_up
        assert board_link.handshakes == 2
    assert "event loop stalled" in (link.error or "")


async def test_a_board_that_cannot_follow_the_hosts_timing_is_refused():
    async with FakeBoard(timing_refusal="heartbeat_ms=100, this board follows 200..5000") as board:
        bus = EventBus()
        with bus.subscribe(m.BoardRefused) as sub:
            async with running_link(board.url, FAST, bus=bus) as link:
                refused = await sub.next(m.BoardRefused, 3)
                assert link.state == LinkState.REFUSED
    assert "cannot follow this host's link timing (heartbeat_s = 0.1" in refused.message
    assert "heartbeat_ms=100, this board follows 200..5000" in refused.message


# --- resets: counted, kept with their time, an error when the cause is one ---------------------


async def wait_for(check, timeout: float = 3.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not check():
        assert loop.time() < deadline, "condition not reached"
        await asyncio.sleep(0.01)


async def test_a_board_that_restarted_while_its_link_was_down_is_a_reboot():
    # A board on native USB drops off the bus while it resets: the host sees its port go and
    # come back, and a handshake HELLO like any other. Its first HEARTBEAT tells: it has been
    # up for less time than the host was without it.
    async with FakeBoard() as board, running_link(board.url, FAST) as link:
        await link.wait_up(3)
        board.heartbeat(uptime_ms=3_600_000)  # up for an hour before this host connected
        await wait_for(lambda: link.last_reset is not None)
        before = link.last_reset
        assert before is not None
        assert (before.cause, before.seen, before.error) == ("power_on", "before", False)
        assert before.at == pytest.approx(time.time() - 3600, abs=1)
        assert link.error is None

        board.unplug()
        board.reset_cause = wire.RESET_WDT  # it hung, and its watchdog reset it
        await wait_for(lambda: link.state != LinkState.UP)
        await board.connected.wait()
        await link.wait_up(3)
        await asyncio.sleep(0.3)  # away for longer than its new uptime
        board.heartbeat(uptime_ms=200)
        await wait_for(lambda: link.counters.reboots == 1)
        snap = link.snapshot()
    reset = snap["last_reset"]
    assert (reset["cause"], reset["seen"], reset["error"]) == ("wdt", "while away", True)
    assert reset["at"] == pytest.approx(time.time() - 0.2, abs=1)
    assert reset["meaning"].startswith("the watchdog: a task stopped reporting")
    assert snap["last_error"].startswith("the board reset (cause wdt: the watchdog")
    assert snap["last_error_at"] == pytest.approx(reset["at"], abs=0.001)
    assert snap["counters"]["reconnects"] == 1


async def test_a_board_that_kept_running_while_its_link_was_down_is_no_reboot():
    async with FakeBoard() as board, running_link(board.url, FAST) as link:
        await link.wait_up(3)
        board.heartbeat(uptime_ms=60_000)
        await wait_for(lambda: link.last_reset is not None)
        unplugged = time.monotonic()
        board.unplug()
        await wait_for(lambda: link.state != LinkState.UP)
        await board.connected.wait()
        await link.wait_up(3)
        away_ms = round((time.monotonic() - unplugged) * 1000)
        board.heartbeat(uptime_ms=60_000 + away_ms)
        await asyncio.sleep(0.2)
    assert link.counters.reboots == 0
    assert link.last_reset is not None and link.last_reset.seen == "before"
    assert link.counters.reconnects == 1


async def test_a_reset_the_board_was_asked_for_is_no_error():
    async with FakeBoard() as board, running_link(board.url, FAST) as link:
        await link.wait_up(3)
        soft = wire.decode_payload(wire.HELLO, board.hello_payload(wire.RESET_SOFT))
        board.send(wire.HELLO, soft)
        await wait_for(lambda: link.counters.reboots == 1)
        await link.wait_up(3)
        board.heartbeat(uptime_ms=100)
        await asyncio.sleep(0.2)
    assert link.counters.reboots == 1  # the boot HELLO's, not once more for its heartbeat
    assert link.last_reset is not None
    assert (link.last_reset.cause, link.last_reset.seen) == ("soft", "while up")
    assert not link.last_reset.error
    assert link.error is None
