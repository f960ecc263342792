"""A virtual board's BLE radio: advertising into the air, scan results out of it."""

import errno

import pytest

from vitrine.devices.beacons import adverts
from vitrine.sim.air import Air, Receiver
from vitrine.sim.people import Person, Phone, World
from vitrine.sim.radio import IRQ_SCAN_DONE, IRQ_SCAN_RESULT, SimRadio
from vitrine_fw.beacon import adverts as fw

KEY = bytes(range(16))
BOARD = Receiver("beacon", 0.0, 0.0)


def world():
    person = Person(
        "a",
        "adult",
        ((0.0, 0.0, 1.0), (100.0, 0.0, 1.0)),
        1.7,
        0.22,
        looks=((0.0, 100.0),),
        phone=Phone("p", True, "m1"),
    )
    return World((person,), 100.0)


def radio_with(events):
    radio = SimRadio(BOARD, Air(world(), [BOARD], {"m1": KEY}))
    radio.irq(lambda event, data: events.append((event, data)))
    return radio


def test_scan_results_arrive_as_micropython_gives_them():
    events = []
    radio = radio_with(events)
    radio.pump(0.0)
    radio.gap_scan(0, 100_000, 100_000)
    n = radio.pump(20.0)
    assert n == len(events) > 10
    event, (addr_type, addr, adv_type, rssi, data) = events[0]
    assert event == IRQ_SCAN_RESULT and addr_type == 1 and adv_type == 0
    assert isinstance(addr, memoryview) and len(addr) == 6
    assert isinstance(data, memoryview)
    assert adverts.parse(bytes(data)).loyalty is not None
    assert -80 < rssi < -40


def test_not_scanning_hears_nothing_and_the_window_is_the_duty():
    events = []
    radio = radio_with(events)
    radio.pump(0.0)
    assert radio.pump(10.0) == 0  # no gap_scan yet
    radio.gap_scan(0, 100_000, 100_000)
    full = radio.pump(60.0)
    radio.gap_scan(0, 100_000, 25_000)
    quarter = radio.pump(110.0 - 10.0)
    assert quarter == pytest.approx(full * 40 / 60 / 4, rel=0.35)
    radio.gap_scan(None)
    assert radio.pump(100.0) == 0


def test_a_scan_that_ends_by_itself_says_so():
    events = []
    radio = radio_with(events)
    radio.gap_scan(0, 100_000, 90_000)
    radio.stop_scanning()
    assert events == [(IRQ_SCAN_DONE, None)]
    assert not radio.scanning


def test_what_the_board_advertises_goes_into_the_air():
    seen = []
    radio = SimRadio(BOARD)
    radio.on_advertise = seen.append
    data = fw.ibeacon(bytes(16), 1, 2, -59)
    radio.gap_advertise(100_000, data, connectable=False)
    assert radio.advertising == (100_000, data, False)
    radio.gap_advertise(None)
    assert seen == [(100_000, data, False), None]


def test_over_31_bytes_is_refused_as_the_port_refuses_it():
    radio = SimRadio(BOARD)
    with pytest.raises(OSError) as err:
        radio.gap_advertise(100_000, bytes(32))
    assert err.value.errno == errno.EINVAL
    with pytest.raises(OSError, match="scan window"):
        radio.gap_scan(0, 10_000, 20_000)


def test_a_virtual_boards_radio_hears_the_air_on_its_own():
    import socket
    import time

    from vitrine.sim.board import SimBoard

    people = tuple(
        Person(
            f"p{i}",
            "adult",
            ((0.0, i * 0.2, 1.0), (600.0, i * 0.2, 1.0)),
            1.7,
            0.22,
            phone=Phone(f"ph{i}", True, "m1"),
        )
        for i in range(20)
    )
    ours, theirs = socket.socketpair()
    try:
        board = SimBoard(uid="00", reset_cause=0, link_socket=ours, exit_process=lambda _: None)
        radio = board.ble()
        events = []
        radio.irq(lambda event, data: events.append(event))
        radio.air = Air(World(people, 600.0), [radio.receiver], {"m1": KEY})
        radio.gap_scan(0, 100_000, 100_000)
        deadline = time.monotonic() + 5.0
        while not events and time.monotonic() < deadline:
            time.sleep(0.05)
        assert events and set(events) == {IRQ_SCAN_RESULT}
    finally:
        ours.close()
        theirs.close()
