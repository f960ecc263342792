# The supervisor: Liveness (which tasks reported in recently, with a fake clock) and what
# build() puts on the wire at boot. Runs unchanged on MicroPython (node tools/micropython.mjs)
# and CPython (tests/firmware/test_scenarios.py).

from fw_scenario import FakeClock, FakePort, eq, feed, host_frame, run_all

from vitrine_fw import config, seam, supervisor, wire
from vitrine_fw.supervisor import Liveness

LIMIT_MS = 2000


def make(start_ms=0):
    clock = FakeClock(start_ms)
    live = Liveness(clock, LIMIT_MS)
    tasks = [live.register(name) for name in ("link.rx", "link.heartbeat", "probe")]
    return clock, live, tasks


def scenario_no_tasks_is_never_stale():
    clock = FakeClock()
    live = Liveness(clock, LIMIT_MS)
    clock.advance_ms(10 * LIMIT_MS)
    eq(live.stale(), None, "stale() with no tasks")


def scenario_all_beating_is_none():
    clock, live, tasks = make()
    eq(tasks, [0, 1, 2], "register() returns indexes in order")
    for _ in range(10):
        clock.advance_ms(LIMIT_MS // 2)
        for index in tasks:
            live.beat(index)
        eq(live.stale(), None, "stale() while every task beats")


def scenario_limit_is_inclusive():
    clock, live, _ = make()
    clock.advance_ms(LIMIT_MS)
    eq(live.stale(), None, "silent for exactly limit_ms")
    clock.advance_ms(1)
    eq(live.stale(), "link.rx", "silent for limit_ms + 1")


def scenario_silent_task_is_named():
    clock, live, tasks = make()
    for _ in range(3):
        clock.advance_ms(LIMIT_MS // 2)
        live.beat(tasks[0])
        live.beat(tasks[2])
        # link.heartbeat (index 1) stays silent
    eq(live.stale(), "link.heartbeat", "the silent task")
    live.beat(tasks[1])
    eq(live.stale(), None, "after it reports in again")


def scenario_across_ticks_wrap():
    clock, live, tasks = make((1 << 30) - 500)
    clock.advance_ms(1000)  # ticks_ms wrapped past 2**30
    for index in tasks:
        live.beat(index)
    clock.advance_ms(LIMIT_MS - 10)
    eq(live.stale(), None, "all beat just before the wrap boundary")
    live.beat(tasks[0])
    live.beat(tasks[1])
    clock.advance_ms(20)
    eq(live.stale(), "probe", "the silent task after the wrap")


# --- boot ------------------------------------------------------------------------------------


class BareBoard(seam.BaseBoard):
    """The board seam with nothing but the link port."""

    def __init__(self):
        super().__init__(FakeClock(1000))
        self.port = FakePort()

    def uid(self):
        return "b007b007"

    def reset_cause(self):
        return wire.RESET_POWER_ON

    def open_link(self, link_cfg):
        return self.port


def host_hello(seq):
    values = (wire.SCHEMA_REV, wire.SCHEMA_HASH, "host", "0.1.0", "", "bench", 0, 0)
    return host_frame(wire.HELLO, seq, values)


def scenario_boot_hello_is_the_first_frame_even_with_a_host_hello_waiting():
    # A host that opened the port before the board booted has its HELLO waiting in the
    # board's input. The board must still announce its boot before answering it, or the
    # host takes the late boot HELLO for a reset of a link it has just brought up.
    board = BareBoard()
    sup = supervisor.build(board, config.check({"role": "presence", "subsystems": []}))
    feed(sup.link, host_hello(7))  # what link.rx reads first, before any task has run
    frames = board.port.take()
    eq(frames[0].type, wire.HELLO, "the first frame's type")
    eq(frames[0].flags, 0, "the first frame is the boot announcement, not a reply")
    eq(frames[0].values[6], wire.RESET_POWER_ON, "its reset cause")
    replies = [f for f in frames if f.flags & wire.FLAG_IS_ACK]
    eq([(f.type, f.seq) for f in replies], [(wire.ACK, 7)], "then the handshake's ACK")


def scenario_boot_hello_is_sent_once():
    board = BareBoard()
    sup = supervisor.build(board, config.check({"role": "presence", "subsystems": []}))
    for _ in range(3):
        sup.link.tick()  # heartbeats, as the heartbeat task (restarted or not) sends them
    hellos = [f for f in board.port.take() if f.type == wire.HELLO]
    eq(len(hellos), 1, "boot HELLOs")


if __name__ == "__main__":
    run_all(globals())
