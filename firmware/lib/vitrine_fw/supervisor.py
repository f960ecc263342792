# The application supervisor: one asyncio task per subsystem of the board's role, each
# reporting liveness; the hardware watchdog is fed only while every task is alive, so a hung
# task ends in a watchdog reset that the host sees as a HELLO with reset cause "wdt".
#
# A task that raises is restarted after a pause; one that keeps failing (more than
# _MAX_CRASHES within _CRASH_WINDOW_MS) is given up on and the watchdog is left to reset the
# board, which is the cleanest state we can get back to.

try:
    from micropython import const
except ImportError:

    def const(x):
        return x


import asyncio

from vitrine_fw import __version__, wire
from vitrine_fw.link import Link
from vitrine_fw.logring import LogRing

_MAX_CRASHES = const(3)
_CRASH_WINDOW_MS = const(60000)
_RESTART_PAUSE_MS = const(500)

# Subsystems this firmware build can run: name -> (capability bit, module, class). Modules
# are imported only when a role needs them, to keep RAM free on small boards.
SUBSYSTEMS = {
    "touch": (wire.CAP_TOUCH, "vitrine_fw.touch", "Touch"),
    "proximity": (wire.CAP_PROXIMITY, "vitrine_fw.proximity", "Proximity"),
    "lighting": (wire.CAP_LIGHTING, "vitrine_fw.lights", "Lights"),
    "beacon": (wire.CAP_BEACON, "vitrine_fw.beacon", "Beacon"),
}


class Liveness:
    """Which tasks have reported in recently (pure logic, no asyncio)."""

    def __init__(self, clock, limit_ms):
        self.clock = clock
        self.limit_ms = limit_ms
        self.names = []
        self.last_ms = []

    def register(self, name):
        """Add a task; returns its index for beat()."""
        self.names.append(name)
        self.last_ms.append(self.clock.ticks_ms())
        return len(self.names) - 1

    def beat(self, index):
        """Task `index` is alive now."""
        self.last_ms[index] = self.clock.ticks_ms()

    def stale(self):
        """Name of a task silent for longer than limit_ms, or None when all are alive."""
        now = self.clock.ticks_ms()
        for i in range(len(self.names)):
            if self.clock.ticks_diff(now, self.last_ms[i]) > self.limit_ms:
                return self.names[i]
        return None


class Supervisor:
    """Runs the tasks of one board and feeds its watchdog while they are all alive."""

    def __init__(self, board, cfg, link):
        self.board = board
        self.cfg = cfg
        self.link = link
        self.clock = board.clock
        self.liveness = Liveness(self.clock, cfg["liveness_ms"])
        self.failed = None  # name of a task given up on
        self.tasks = []
        # References to the running tasks: CPython (the simulator) may garbage-collect a task
        # that nothing refers to, mid-run.
        self.running = []
        self.reset_pending = False
        self.subsystems = {}  # the role's running subsystems by name (set by build)
        self.console = None  # the console service (set by build, with start_console)

    def add(self, name, run):
        """Register a task: run(alive) is a coroutine function that calls alive() often."""
        index = self.liveness.register(name)
        self.tasks.append((index, name, run))

    def start_console(self, console):
        """Keep the console service (its commands reach the supervisor) and run its task."""
        self.console = console
        self.add("console", console.run)

    def should_feed(self):
        """True while no task failed for good and every task reported in recently."""
        return self.failed is None and self.liveness.stale() is None

    async def _guard(self, index, name, run):
        crashes = []
        beat = self.liveness.beat

        def alive():
            beat(index)

        while True:
            try:
                await run(alive)
                self.link.log(wire.LOG_ERROR, "supervisor", "task %s ended" % name)
            except Exception as err:
                self.link.log(wire.LOG_ERROR, "supervisor", "task %s failed: %r" % (name, err))
            now = self.clock.ticks_ms()
            crashes = [t for t in crashes if self.clock.ticks_diff(now, t) < _CRASH_WINDOW_MS]
            crashes.append(now)
            if len(crashes) > _MAX_CRASHES:
                self.failed = name
                self.link.log(
                    wire.LOG_ERROR, "supervisor", "giving up on %s; watchdog will reset" % name
                )
                return
            await asyncio.sleep(_RESTART_PAUSE_MS / 1000)
            beat(index)

    async def run(self):
        """Start every task, then feed the watchdog while all of them are alive."""
        wdt = self.board.watchdog(self.cfg["watchdog_ms"])
        for index, name, run in self.tasks:
            self.running.append(asyncio.create_task(self._guard(index, name, run)))
        period_s = min(1000, self.cfg["watchdog_ms"] // 4) / 1000
        warned = False
        while True:
            if self.should_feed():
                wdt.feed()
                warned = False
            elif not warned:
                warned = True
                self.link.log(
                    wire.LOG_ERROR,
                    "supervisor",
                    "watchdog not fed: %s" % (self.failed or self.liveness.stale()),
                )
            await asyncio.sleep(period_s)

    def reboot(self, values):
        """REBOOT(delay_ms) command: acknowledge, then soft-reset after the delay."""
        if not self.reset_pending:
            self.reset_pending = True
            self.running.append(asyncio.create_task(self._reboot_later(values[0])))

    async def _reboot_later(self, delay_ms):
        self.link.log(wire.LOG_WARNING, "supervisor", "rebooting on request")
        await asyncio.sleep(max(delay_ms, 50) / 1000)
        self.board.reset()


def build(board, cfg):
    """Wire up the link, the role's subsystems, the console and the supervisor for one
    board."""
    from vitrine_fw.console import Console
    from vitrine_fw.probe import Probe

    caps = wire.CAP_LINK | wire.CAP_PROBE | wire.CAP_CONSOLE
    wanted = []
    missing = []
    for name in cfg["subsystems"]:
        if name in SUBSYSTEMS:
            wanted.append(name)
            caps |= SUBSYSTEMS[name][0]
        else:
            missing.append(name)
    identity = {
        "role": cfg["role"],
        "fw_version": __version__,
        "build_hash": cfg["build_hash"],
        "uid": board.uid(),
        "reset_cause": board.reset_cause(),
        "capabilities": caps,
    }
    link = Link(
        board.open_link(cfg["link"]),
        board.clock,
        identity,
        cfg["heartbeat_ms"],
        cfg["missed_heartbeats"],
    )
    # The boot HELLO goes out first, before link.rx can answer a HELLO the host left waiting
    # in the input (a host that took the late announcement for a reset would shake hands
    # twice), and only once (a restarted heartbeat task must not announce a reset).
    link.send_hello()
    link.ring = LogRing()  # every log line, for the console's `log`
    sup = Supervisor(board, cfg, link)
    link.on(wire.REBOOT, sup.reboot)
    sup.add("link.rx", link.rx_loop)
    sup.add("link.heartbeat", link.heartbeat_loop)
    probe = Probe(link, board.clock)
    sup.add("probe", probe.run)
    subsystems = {}
    for name in wanted:
        _, module, cls = SUBSYSTEMS[name]
        sub = getattr(__import__(module, None, None, [cls]), cls)(board, cfg, link)
        subsystems[name] = sub
        sup.add(name, sub.run)
    sup.subsystems = subsystems
    sup.start_console(Console(board, cfg, link, sup, subsystems))
    link.log(
        wire.LOG_INFO,
        "supervisor",
        "boot: role %s, reset cause %s"
        % (cfg["role"], wire.RESET_CAUSES.get(identity["reset_cause"], "unknown")),
    )
    for name in missing:
        link.log(
            wire.LOG_WARNING, "supervisor", "subsystem %s is not in this firmware build" % name
        )
    return sup


def main(board, cfg):
    """Run the board's firmware forever (what main.py calls)."""
    asyncio.run(build(board, cfg).run())
