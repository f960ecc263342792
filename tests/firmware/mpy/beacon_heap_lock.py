# The beacon's interrupt handler and its forwarding under MicroPython's heap lock, where any
# heap allocation raises MemoryError: scan results heard (loyalty tokens queued, the rest
# counted) and the queue sent as BEACON_SIGHTINGS through the real link, each in one locked
# call. MicroPython only.
#
# Same rules as mpy/heap_lock.py: the locked region is one call inside measure(); every name it
# stores to exists beforehand; the heap is always unlocked in `finally`; outcomes are data. The
# scan results are built before the lock (the radio's stack builds them on a board); a handler
# that allocates is the control that proves the lock is on.
#
# Prints one RESULT line: {"checks": {...}, "controls": {...}, "values": {...}}.

import json

from beacon_scenarios import COMPANY, Rig
from fw_scenario import RESULT_MARK, measure

from vitrine_fw import seam
from vitrine_fw.beacon import adverts

SCAN_RESULT = 5
ADDR = memoryview(b"\x00" * 6)


def results(n, company):
    out = []
    for k in range(n):
        data = adverts.loyalty(company, bytes([k] * 16))
        out.append((1, ADDR, 3, -50 - k, memoryview(data)))
    return out


class CountingPort(seam.BasePort):
    """A port that keeps only counts (small ints): writing stores nothing new (a port that kept
    the bytes would allocate for them)."""

    def __init__(self):
        self.writes = 0
        self.bytes = 0

    def write(self, buf, n):
        self.writes += 1
        self.bytes += n
        return n


def hear_all(beacon, events, a=None, b=None):
    # beacon.irq(...) as a call: a bound method taken out (irq = beacon.irq) would allocate;
    # a board's stack holds the one bound method irq() registered
    for i in range(len(events)):
        beacon.irq(SCAN_RESULT, events[i])


def forward(beacon, a=None, b=None, c=None):
    beacon.forward()


def allocating(beacon, events, a=None, b=None):
    beacon.seen = [events[0]]  # a new list: must raise under the lock


def main():
    checks = {}
    controls = {}
    values = {}
    rig = Rig()
    beacon = rig.beacon
    loyal = results(30, COMPANY)
    others = results(10, 0x1234)  # another company's: counted, not queued
    port = CountingPort()
    rig.link.port = port
    hear_all(beacon, results(1, COMPANY))  # warm-up
    forward(beacon)
    port.writes = 0
    checks["irq_loyalty"] = measure(hear_all, beacon, loyal)
    checks["irq_others"] = measure(hear_all, beacon, others)
    checks["forward"] = measure(forward, beacon)
    values["sent"] = [port.writes, (beacon.q_w - beacon.q_r) & 127]
    values["counters"] = [beacon.heard, beacon.loyalty]
    overflow = results(70, COMPANY)
    checks["irq_overflow"] = measure(hear_all, beacon, overflow)
    values["dropped"] = beacon.dropped
    controls["allocating_handler"] = measure(allocating, beacon, loyal)
    print(RESULT_MARK + json.dumps({"checks": checks, "controls": controls, "values": values}))


main()
