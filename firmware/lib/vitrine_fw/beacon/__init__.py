# The beacon subsystem (the beacon role): the mirror's beacon, and the ears for consenting
# shoppers' phones.
#
# Advertising: the identity frames config.json names (iBeacon, Eddystone-UID, Eddystone-URL)
# take turns, each advertised for frame_ms at interval_ms, non-connectable; after every
# tlm_every of them an Eddystone-TLM frame says the beacon's uptime, advertisements sent and
# the chip's temperature. The low-level call does it, bluetooth.BLE.gap_advertise(...,
# connectable=False), which returns at once: aioble's advertise() would wait for a connection
# that a beacon never gets.
#
# Scanning: the radio's scan results arrive in the IRQ handler, which (as aioble's do) only
# records: a loyalty advertisement under the configured company id puts its token, RSSI and
# arrival time in a queue of _QUEUE; everything else is counted and forgotten there and then
# (adverts.loyalty_token allocates nothing). The task sends what the queue holds as
# BEACON_SIGHTINGS (protocol.md §14) every _STEP_MS while there is any, and BEACON_STATUS every
# _STATUS_MS. The queue has one writer (the handler) and one reader (the task), each moving only
# its own index (both counted modulo twice the size, so full and empty differ), so a handler
# that runs between two bytecodes of the task never loses or doubles an entry.
#
# A scanner that stopped (_IRQ_SCAN_DONE) or has heard nothing for _SCAN_SILENT_MS is started
# again and counted (scan_restarts).
#
# The board seam: board.ble() is the active radio (an OSError on a board without one: the task
# then only reports the problem), board.mcu_temperature() the chip's temperature or None.

try:
    from micropython import const
except ImportError:

    def const(x):
        return x


import struct
from array import array

from vitrine_fw import wire
from vitrine_fw.beacon import adverts

_IRQ_SCAN_RESULT = const(5)  # bluetooth's event codes (the module leaves them to programs)
_IRQ_SCAN_DONE = const(6)
_QUEUE = const(64)  # sightings held between two frames
_WRAP = const(127)  # queue indices run modulo 2 * _QUEUE (a mask, as _QUEUE is a power of 2)
_STEP_MS = const(50)  # the task's period: sightings go out at most this often
_STATUS_MS = const(5000)  # BEACON_STATUS period
_SCAN_SILENT_MS = const(60000)  # a scanner that heard nothing this long is started again
_TOKEN = const(16)
_SIGHTING = const(19)  # wire.SIGHTING_SIZE: age_ms (2), rssi (1), token (16)
_MAX_SIGHTINGS = const(12)  # wire.MAX_SIGHTINGS
_AGE_MAX_MS = const(65535)
_DROPPED_MAX = const(0xFFFF)  # BEACON_SIGHTINGS.dropped is a u16
_COUNT_MASK = const(0x3FFFFFFF)  # counters wrap below 2**30: small ints, no allocation
_EDDYSTONE_0M_DB = const(41)  # Eddystone's power is at 0 m: the 1 m figure plus 41 dB


def _unhex(text, n):
    text = text.replace("-", "")
    return bytes(int(text[i : i + 2], 16) for i in range(0, 2 * n, 2))


class Beacon:
    """The supervisor's beacon task (see the module comment)."""

    def __init__(self, board, cfg, link):
        self.link = link
        self.board = board
        self.clock = board.clock
        s = cfg["beacon"]
        self.settings = s
        self.company = s["company_id"]
        self.interval_us = s["interval_ms"] * 1000
        self.problems = []
        self.frames = []  # (name, advertising data) of the identity frames, in turn
        power = s["power_1m_dbm"]
        if s["ibeacon"] is not None:
            ib = s["ibeacon"]
            data = adverts.ibeacon(_unhex(ib["uuid"], 16), ib["major"], ib["minor"], power)
            self.frames.append(("iBeacon", data))
        if s["eddystone_uid"] is not None:
            uid = s["eddystone_uid"]
            data = adverts.eddystone_uid(
                _unhex(uid["namespace"], 10),
                _unhex(uid["instance"], 6),
                power + _EDDYSTONE_0M_DB,
            )
            self.frames.append(("Eddystone-UID", data))
        if s["eddystone_url"] is not None:
            data = adverts.eddystone_url(s["eddystone_url"], power + _EDDYSTONE_0M_DB)
            self.frames.append(("Eddystone-URL", data))
        if not self.frames and s["tlm_every"]:
            self.problems.append("no identity frame configured: advertising Eddystone-TLM only")
        # the queue of sightings: arrival ticks, RSSI and token of each
        self.q_ms = array("i", [0] * _QUEUE)
        self.q_rssi = bytearray(_QUEUE)
        self.q_token = bytearray(_QUEUE * _TOKEN)
        self.q_w = 0  # moved by the handler only
        self.q_r = 0  # moved by the task only
        self.payload = bytearray(3 + _MAX_SIGHTINGS * _SIGHTING)
        # counters (BEACON_STATUS)
        self.adverts = 0
        self.heard = 0
        self.loyalty = 0
        self.malformed = 0
        self.dropped = 0
        self.dropped_unsent = 0  # dropped since the last BEACON_SIGHTINGS
        self.scan_restarts = 0
        # state
        self.turn = 0  # frames advertised so far (which one is next)
        self.frame_name = None
        self.frame_at = 0
        self.heard_at = self.clock.ticks_ms()
        self.scan_done = False
        self.scanning = False
        self.status_at = self.clock.ticks_ms()
        self.ble = None
        try:
            self.ble = board.ble()
        except OSError as err:
            self.problems.append("no BLE radio: %s" % (err,))
        if self.ble is not None:
            self.ble.irq(self.irq)

    # --- the radio's interrupt: record, nothing else --------------------------------------

    def irq(self, event, data):
        if event == _IRQ_SCAN_RESULT:
            adv = data[4]
            self.heard = (self.heard + 1) & _COUNT_MASK
            self.heard_at = self.clock.ticks_ms()
            at = adverts.loyalty_token(adv, len(adv), self.company)
            if at < 0:
                if at == adverts.MALFORMED:
                    self.malformed = (self.malformed + 1) & _COUNT_MASK
                return
            self.loyalty = (self.loyalty + 1) & _COUNT_MASK
            w = self.q_w
            if ((w - self.q_r) & _WRAP) >= _QUEUE:
                self.dropped = (self.dropped + 1) & _COUNT_MASK
                self.dropped_unsent += 1
                return
            i = w & (_QUEUE - 1)
            self.q_ms[i] = self.heard_at
            self.q_rssi[i] = data[3] & 0xFF
            base = i * _TOKEN
            token = self.q_token
            for k in range(_TOKEN):
                token[base + k] = adv[at + k]
            self.q_w = (w + 1) & _WRAP
        elif event == _IRQ_SCAN_DONE:
            self.scan_done = True

    # --- the task ---------------------------------------------------------------------------

    def forward(self):
        """Send what the queue holds as BEACON_SIGHTINGS, MAX_SIGHTINGS to a frame; how many.
        Allocates nothing."""
        sent = 0
        now = self.clock.ticks_ms()
        out = self.payload
        while True:
            r = self.q_r
            waiting = (self.q_w - r) & _WRAP
            if waiting == 0 and self.dropped_unsent == 0:
                return sent
            n = waiting if waiting < _MAX_SIGHTINGS else _MAX_SIGHTINGS
            dropped = self.dropped_unsent
            if dropped > _DROPPED_MAX:
                dropped = _DROPPED_MAX
            self.dropped_unsent -= dropped
            struct.pack_into("<H", out, 0, dropped)
            out[2] = n * _SIGHTING
            pos = 3
            for j in range(n):
                i = (r + j) & (_QUEUE - 1)
                age = self.clock.ticks_diff(now, self.q_ms[i])
                if age < 0:
                    age = 0
                elif age > _AGE_MAX_MS:
                    age = _AGE_MAX_MS
                out[pos] = age & 0xFF
                out[pos + 1] = age >> 8
                out[pos + 2] = self.q_rssi[i]
                base = i * _TOKEN
                for k in range(_TOKEN):
                    out[pos + 3 + k] = self.q_token[base + k]
                pos += _SIGHTING
            self.q_r = (r + n) & _WRAP
            self.link.send(wire.BEACON_SIGHTINGS, out, pos)
            sent += n

    def advertise_next(self):
        """Advertise the next frame in turn (an Eddystone-TLM after every tlm_every others)."""
        ble = self.ble
        if ble is None:
            return
        now = self.clock.ticks_ms()
        if self.frame_name is not None:
            elapsed = self.clock.ticks_diff(now, self.frame_at)
            self.adverts = (self.adverts + elapsed // self.settings["interval_ms"]) & _COUNT_MASK
        every = self.settings["tlm_every"]
        frames = self.frames
        if every and (not frames or self.turn % (every + 1) == every):
            name = "Eddystone-TLM"
            data = adverts.eddystone_tlm(0, self.temperature_q88(), self.adverts, self.uptime_ds())
        elif frames:
            shown = self.turn - self.turn // (every + 1) if every else self.turn
            name, data = frames[shown % len(frames)]
        else:
            return
        self.turn += 1
        ble.gap_advertise(self.interval_us, data, connectable=False)
        self.frame_name = name
        self.frame_at = now

    def uptime_ds(self):
        return self.link.uptime_now_ms() // 100

    def temperature_q88(self):
        """The chip's temperature in 1/256 degC, or None without a sensor."""
        celsius = self.board.mcu_temperature()
        if celsius is None:
            return None
        return int(celsius * 256)

    def scan(self, again):
        """Start the scanner (again: it stopped, or went silent)."""
        ble = self.ble
        if ble is None:
            return
        s = self.settings
        self.scan_done = False
        self.heard_at = self.clock.ticks_ms()
        ble.gap_scan(0, s["scan_interval_ms"] * 1000, s["scan_window_ms"] * 1000, False)
        self.scanning = True
        if again:
            self.scan_restarts += 1
            self.link.log(wire.LOG_WARNING, "beacon", "scanner stopped; started again")

    def status(self):
        temp = self.temperature_q88()
        self.link.send_fields(
            wire.BEACON_STATUS,
            self.adverts,
            self.heard,
            self.loyalty,
            self.malformed,
            self.dropped,
            self.scan_restarts & 0xFFFF,
            wire.TEMP_NONE if temp is None else temp,
        )

    def step(self):
        """One pass of the task: rotate the frame, mind the scanner, forward, report."""
        now = self.clock.ticks_ms()
        if self.clock.ticks_diff(now, self.frame_at) >= self.settings["frame_ms"]:
            self.advertise_next()
        silent = self.clock.ticks_diff(now, self.heard_at) >= _SCAN_SILENT_MS
        if self.scan_done or silent:
            self.scan(True)
        self.forward()
        if self.clock.ticks_diff(now, self.status_at) >= _STATUS_MS:
            self.status_at = now
            self.status()

    async def run(self, alive):
        level = wire.LOG_ERROR if self.ble is None else wire.LOG_WARNING
        for problem in self.problems:
            self.link.log(level, "beacon", problem)
        if self.ble is None:  # nothing to drive: stay alive to say so in selftest and status
            while True:
                alive()
                await self.clock.sleep_ms(1000)
        self.advertise_next()
        self.scan(False)
        while True:
            self.step()
            alive()
            await self.clock.sleep_ms(_STEP_MS)

    # --- the console --------------------------------------------------------------------------

    def selftest(self):
        if self.ble is None:
            return False, "FAIL: " + "; ".join(self.problems)
        names = [name for name, _ in self.frames]
        if self.settings["tlm_every"]:
            names.append("Eddystone-TLM")
        text = "PASS: advertising %s every %d ms; scanning: %d heard, %d loyalty" % (
            ", ".join(names),
            self.settings["interval_ms"],
            self.heard,
            self.loyalty,
        )
        return True, text
