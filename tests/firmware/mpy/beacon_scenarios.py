# The beacon subsystem (vitrine_fw.beacon) wired by supervisor.build as on a beacon board, over
# a fake radio at the seam: the frames it advertises in turn (byte for byte the adverts
# module's, non-connectable), scan results through its interrupt handler (loyalty tokens queued
# and forwarded as BEACON_SIGHTINGS, everything else counted and dropped there), a full queue,
# the scanner started again, BEACON_STATUS, a board without a radio, and the selftest. Runs
# unchanged on MicroPython (node tools/micropython.mjs) and CPython (tests/firmware/
# test_scenarios.py).

from fw_scenario import FakeClock, FakePort, contains, eq, feed, host_frame, ok, run_all

from vitrine_fw import config, seam, supervisor, wire
from vitrine_fw.beacon import adverts

UUID = "4f1c2e8a-7d3b-4a6e-9c51-0b2d8e6f1a37"
UUID_BYTES = bytes([int(UUID.replace("-", "")[i : i + 2], 16) for i in range(0, 32, 2)])
NAMESPACE = "4f1c2e8a0b2d8e6f1a37"
INSTANCE = "000000010001"
COMPANY = 0x0ABC
SCAN_RESULT = 5
SCAN_DONE = 6


class FakeRadio:
    """bluetooth.BLE as far as the beacon uses it: what it was told, and its handler."""

    def __init__(self):
        self.handler = None
        self.adverts = []  # (interval_us, data, connectable) per gap_advertise
        self.scans = []  # (duration_ms, interval_us, window_us, active) per gap_scan

    def irq(self, handler):
        self.handler = handler

    def gap_advertise(self, interval_us, adv_data=None, resp_data=None, connectable=True):
        self.adverts.append((interval_us, bytes(adv_data), connectable))

    def gap_scan(self, duration_ms, interval_us=1280000, window_us=11250, active=False):
        self.scans.append((duration_ms, interval_us, window_us, active))

    def hear(self, data, rssi=-60):
        self.handler(SCAN_RESULT, (1, memoryview(b"\x00" * 6), 3, rssi, memoryview(data)))


class FakeBoard(seam.BaseBoard):
    def __init__(self, radio=True, temperature=None):
        super().__init__(FakeClock(1000))
        self.port = FakePort()
        self.radio = FakeRadio() if radio else None
        self.temperature = temperature

    def uid(self):
        return "bea c0n"

    def reset_cause(self):
        return wire.RESET_POWER_ON

    def open_link(self, link_cfg):
        return self.port

    def ble(self):
        if self.radio is None:
            raise OSError("no BLE on this board: its MicroPython has no bluetooth module")
        return self.radio

    def mcu_temperature(self):
        return self.temperature


def beacon_cfg(**overrides):
    beacon = {
        "interval_ms": 100,
        "frame_ms": 1000,
        "power_1m_dbm": -59,
        "tlm_every": 2,
        "company_id": COMPANY,
        "ibeacon": {"uuid": UUID, "major": 7, "minor": 9},
        "eddystone_uid": {"namespace": NAMESPACE, "instance": INSTANCE},
    }
    for key, value in overrides.items():
        beacon[key] = value
    return config.check({"role": "beacon", "subsystems": ["beacon"], "beacon": beacon})


class Rig:
    """A beacon board after the handshake, its task begun."""

    def __init__(self, cfg=None, radio=True, temperature=None):
        self.board = FakeBoard(radio, temperature)
        self.sup = supervisor.build(self.board, cfg or beacon_cfg())
        self.link = self.sup.link
        self.beacon = self.sup.subsystems["beacon"]
        hello = (wire.SCHEMA_REV, wire.SCHEMA_HASH, "host", "0.1.0", "", "bench", 0, 0)
        feed(self.link, host_frame(wire.HELLO, 1, hello))
        ok(self.link.host_up, "host up after the handshake")
        if radio:
            self.beacon.advertise_next()
            self.beacon.scan(False)
        self.board.port.take()

    def after(self, ms):
        """Move the clock on and run one step of the task; the frames it wrote."""
        self.board.clock.advance_ms(ms)
        self.beacon.step()
        return self.board.port.take()


def token(n):
    return bytes([n] * 16)


def sightings(frames):
    out = []
    for f in frames:
        if f.type == wire.BEACON_SIGHTINGS:
            dropped, raw = f.values
            entries = []
            for i in range(0, len(raw), wire.SIGHTING_SIZE):
                age = raw[i] | (raw[i + 1] << 8)
                rssi = raw[i + 2] - 256 if raw[i + 2] > 127 else raw[i + 2]
                entries.append((age, rssi, bytes(raw[i + 3 : i + 19])))
            out.append((dropped, entries))
    return out


# --- advertising -----------------------------------------------------------------------------


def scenario_the_beacon_board_runs_the_beacon():
    rig = Rig()
    ok(rig.link.identity["capabilities"] & wire.CAP_BEACON, "HELLO's beacon bit")
    ok("beacon" in rig.sup.liveness.names, "the beacon task is supervised")
    eq(rig.board.radio.scans, [(0, 100000, 90000, False)], "scanning for good, 90 of 100 ms")


def scenario_frames_take_turns_with_tlm_after_every_two():
    rig = Rig(temperature=25)
    for _ in range(5):
        rig.after(1000)
    got = rig.board.radio.adverts
    eq(len(got), 6, "a frame a second")
    for interval, _, connectable in got:
        eq(interval, 100000, "the interval in µs")
        eq(connectable, False, "non-connectable")
    ib = adverts.ibeacon(UUID_BYTES, 7, 9, -59)
    uid = adverts.eddystone_uid(
        bytes([int(NAMESPACE[i : i + 2], 16) for i in range(0, 20, 2)]),
        bytes([0, 0, 0, 1, 0, 1]),
        -18,  # -59 dBm at 1 m is -18 at 0 m
    )
    eq(got[0][1], ib, "first the iBeacon, byte for byte")
    eq(got[1][1], uid, "then the Eddystone-UID")
    eq(got[3][1], ib, "the iBeacon again")
    eq(got[4][1], uid, "and the UID")
    tlm = got[2][1]
    eq(tlm[:12], adverts.eddystone_tlm(0, 0, 0, 0)[:12], "then a TLM frame")
    eq(tlm[15:17], bytes([25, 0]), "25 degC in 8.8")
    eq(tlm[17:21], bytes([0, 0, 0, 20]), "20 advertisements sent in two seconds at 100 ms")
    eq(got[5][1][:12], tlm[:12], "a TLM after every two identity frames")


def scenario_without_identities_only_tlm_goes_out():
    rig = Rig(beacon_cfg(ibeacon=None, eddystone_uid=None))
    rig.after(1000)
    for _, data, _ in rig.board.radio.adverts:
        eq(data[11], adverts.EDDYSTONE_TLM, "TLM only")
    eq(rig.board.radio.adverts[0][1][15:17], bytes([0x80, 0]), "no sensor: 0x8000")


def scenario_tlm_every_zero_never_sends_tlm():
    rig = Rig(beacon_cfg(tlm_every=0))
    for _ in range(4):
        rig.after(1000)
    kinds = [data[4] for _, data, _ in rig.board.radio.adverts]
    eq(kinds, [0xFF, 0x03, 0xFF, 0x03, 0xFF], "iBeacon and UID in turn, no TLM")


# --- scanning ----------------------------------------------------------------------------------


def scenario_a_loyalty_token_is_forwarded_with_its_rssi_and_age():
    rig = Rig()
    radio = rig.board.radio
    radio.hear(adverts.loyalty(COMPANY, token(1)), -67)
    rig.board.clock.advance_ms(30)
    radio.hear(adverts.loyalty(COMPANY, token(2)), -80)
    got = sightings(rig.after(20))
    eq(got, [(0, [(50, -67, token(1)), (20, -80, token(2))])], "both, oldest first")
    eq(sightings(rig.after(50)), [], "nothing more when nothing was heard")
    eq((rig.beacon.heard, rig.beacon.loyalty), (2, 2), "heard and loyalty counted")


def scenario_everything_else_is_counted_and_dropped_on_the_board():
    rig = Rig()
    radio = rig.board.radio
    radio.hear(adverts.loyalty(0x1234, token(3)))  # another company's
    radio.hear(adverts.ibeacon(UUID_BYTES, 1, 2, -59))
    radio.hear(adverts.loyalty(COMPANY, token(4))[:20])  # truncated
    radio.hear(adverts.loyalty(COMPANY, token(4)) + b"\x02\x01\x06\x02\x01\x06\x00")  # over 31
    eq(sightings(rig.after(50)), [], "nothing forwarded")
    eq((rig.beacon.heard, rig.beacon.loyalty, rig.beacon.malformed), (4, 0, 2), "counters")


def scenario_a_full_queue_drops_and_says_so():
    rig = Rig()
    for n in range(70):
        rig.board.radio.hear(adverts.loyalty(COMPANY, token(n)))
    got = sightings(rig.after(50))
    eq([len(entries) for _, entries in got], [12, 12, 12, 12, 12, 4], "64 kept, 12 a frame")
    eq(got[0][0], 6, "the first frame says 6 were dropped")
    eq([d for d, _ in got[1:]], [0, 0, 0, 0, 0], "and only the first")
    eq([t for _, _, t in got[0][1]][:2], [token(0), token(1)], "the oldest kept first")
    eq(rig.beacon.dropped, 6, "dropped counted")


def scenario_drops_alone_are_reported():
    rig = Rig()
    for n in range(64):
        rig.board.radio.hear(adverts.loyalty(COMPANY, token(n)))
    rig.beacon.q_r = rig.beacon.q_w  # as if sent, without the frames
    rig.board.radio.hear(adverts.loyalty(COMPANY, token(99)))
    rig.beacon.q_r = rig.beacon.q_w
    rig.beacon.dropped_unsent = 3
    eq(sightings(rig.after(50)), [(3, [])], "an empty frame carries the count")


def scenario_a_stopped_scanner_is_started_again():
    rig = Rig()
    radio = rig.board.radio
    radio.handler(SCAN_DONE, ())
    rig.after(50)
    eq(len(radio.scans), 2, "started again after SCAN_DONE")
    radio.hear(adverts.ibeacon(UUID_BYTES, 1, 2, -59))
    for _ in range(59):
        rig.after(1000)
    eq(len(radio.scans), 2, "a minute of a live scanner: left alone")
    frames = rig.after(1001)
    eq(len(radio.scans), 3, "silent for a minute: started again")
    eq(rig.beacon.scan_restarts, 2, "both counted")
    logs = [f.values[2] for f in frames if f.type == wire.LOG]
    contains(logs[0], "scanner stopped", "said in a LOG line")


def scenario_status_every_five_seconds():
    rig = Rig(temperature=None)
    rig.board.radio.hear(adverts.loyalty(COMPANY, token(5)))
    rig.board.radio.hear(b"\x05\xff")
    got = []
    for _ in range(10):
        got += [f for f in rig.after(1000) if f.type == wire.BEACON_STATUS]
    eq(len(got), 2, "two in ten seconds")
    adverts_sent, heard, loyalty, malformed, dropped, restarts, temp = got[0].values
    eq((heard, loyalty, malformed, dropped, restarts), (2, 1, 1, 0, 0), "the counters")
    eq(temp, wire.TEMP_NONE, "no sensor")
    ok(adverts_sent >= 40, "advertisements counted from the time advertised")


def scenario_temperature_in_status():
    rig = Rig(temperature=31)
    frames = [f for f in rig.after(5000) if f.type == wire.BEACON_STATUS]
    eq(frames[0].values[6], 31 * 256, "31 degC in 1/256")


# --- without a radio, and the console ---------------------------------------------------------


def scenario_a_board_without_a_radio_says_so():
    rig = Rig(radio=False)
    passed, text = rig.beacon.selftest()
    eq(passed, False, "selftest fails")
    contains(text, "no BLE radio", "and says why")


def scenario_selftest_names_what_is_advertised():
    rig = Rig()
    rig.board.radio.hear(adverts.loyalty(COMPANY, token(1)))
    passed, text = rig.beacon.selftest()
    eq(passed, True, "selftest passes")
    contains(text, "iBeacon, Eddystone-UID, Eddystone-TLM every 100 ms", "the frames")
    contains(text, "1 heard, 1 loyalty", "the counters")


def scenario_config_refuses_bad_beacon_settings():
    for beacon, fragment in (
        ({"interval_ms": 5}, "beacon.interval_ms=5, allowed: integer 20..10240"),
        ({"ibeacon": {"uuid": "abc", "major": 1, "minor": 1}}, "ibeacon.uuid='abc'"),
        ({"ibeacon": {"uuid": UUID, "major": 70000, "minor": 1}}, "ibeacon.major=70000"),
        ({"eddystone_uid": {"namespace": "00", "instance": INSTANCE}}, "namespace='00'"),
        ({"eddystone_url": "ftp://x"}, "allowed schemes"),
        ({"scan_window_ms": 200}, "scan_window_ms=200 must not exceed scan_interval_ms=100"),
        (
            {"power_1m_dbm": -10, "eddystone_uid": {"namespace": NAMESPACE, "instance": INSTANCE}},
            "at 0 m (+41 dB) would be 31",
        ),
    ):
        try:
            config.check({"role": "beacon", "subsystems": ["beacon"], "beacon": beacon})
        except ValueError as err:
            contains(str(err), fragment, "the error")
        else:
            raise AssertionError("accepted " + repr(beacon))


if __name__ == "__main__":
    run_all(globals())
