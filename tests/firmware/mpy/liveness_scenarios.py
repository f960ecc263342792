# supervisor.Liveness (which tasks reported in recently), with a fake clock. Runs unchanged on
# MicroPython (node tools/micropython.mjs) and CPython (tests/firmware/test_liveness.py).

from fw_scenario import FakeClock, eq, run_all

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


if __name__ == "__main__":
    run_all(globals())
