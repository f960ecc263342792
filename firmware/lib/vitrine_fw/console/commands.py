# The console's commands: each takes its arguments (words) and whether the line carried
# --yes, and returns (status, text) with a wire.CONSOLE_* status, or raises link.Refused with
# what is wrong and what is allowed.
#
# Subsystem hooks the commands call on the running subsystem objects (duck-typed, so a
# subsystem offers what it has):
#   every subsystem   selftest() -> (passed, text)
#   touch             diag() -> vitrine_fw.touch.diag.TouchDiag
#   proximity         names() -> [str], reading(name=None) -> text
#   lighting          describe() -> text, set_colour(r, g, b, w, brightness, fade_ms) -> text
#
# `help` lists the commands in a fixed shape that the host's console reads for completion:
# two spaces, the name, its arguments, two or more spaces, what it does. In the arguments,
# [a|b] is an optional choice, {a|b} a required one, UPPERCASE a value, --yes a confirmation.

import gc
import sys

from vitrine_fw import __version__, wire
from vitrine_fw.link import Refused

LEVELS = (
    ("debug", wire.LOG_DEBUG),
    ("info", wire.LOG_INFO),
    ("warning", wire.LOG_WARNING),
    ("error", wire.LOG_ERROR),
)
LEVEL_NAMES = {code: name for name, code in LEVELS}

# What each kind of subsystem is called on a selftest line, in the order tested.
SELFTEST = (
    ("touch", "touch frame"),
    ("proximity", "proximity (ToF)"),
    ("lighting", "LED strip"),
    ("beacon", "BLE"),
)

# What each reset cause means on the ports (vitrine_fw/hal.py, wire.RESET_*); the host's
# status says the same (vitrine.link.resets).
CAUSE_MEANING = {
    wire.RESET_UNKNOWN: "the MCU did not say",
    wire.RESET_POWER_ON: "power was switched on, or the reset button (on an ESP32 also a "
    "brown-out)",
    wire.RESET_HARD: "a reset the firmware did not ask for: a crash (panic), or machine.reset() "
    "from the REPL",
    wire.RESET_WDT: "the watchdog: a task stopped reporting, or the loop hung (on an RP2040 "
    "also machine.reset() from the REPL)",
    wire.RESET_DEEPSLEEP: "woke from deep sleep",
    wire.RESET_SOFT: "asked for: a reboot command, vitrine flash, or the firmware after an error",
    wire.RESET_BROWNOUT: "the supply voltage dropped",
}

_HELP_COLUMN = 30  # help's descriptions start after this many characters at most
_LIGHT_FADE_MS = 500  # the console's `light` fades over this long
_RECORD_MAX = 100000  # scans one `beams --record` may ask for


class Commands:
    """The console's commands over one board's firmware objects."""

    def __init__(self, board, cfg, link, supervisor, subsystems, console):
        self.board = board
        self.cfg = cfg
        self.link = link
        self.sup = supervisor
        self.subs = subsystems
        self.console = console
        self.table = (
            ("help", "", "this list", self.help),
            ("status", "", "role, uptime, firmware, tasks, free RAM", self.status),
            ("version", "", "firmware version, build and wire schema", self.version),
            (
                "beams",
                "[straight|FAMILY|--record] [N] [--yes]",
                "the beam map, one family's levels, or record N scans (a capture)",
                self.beams,
            ),
            ("touches", "", "the contacts on the glass now", self.touches),
            ("prox", "[SENSOR]", "the proximity sensors' readings (or one sensor's)", self.prox),
            (
                "light",
                "[R G B [W] [BRIGHTNESS]] [--yes]",
                "the lights' colour now, or fade them to a colour",
                self.light,
            ),
            ("selftest", "", "test every subsystem now: PASS or FAIL", self.selftest),
            ("counters", "", "the link's counters", self.counters),
            (
                "log",
                "[debug|info|warning|error]",
                "recent log lines at that level or above",
                self.log,
            ),
            ("reset-cause", "", "why the board last reset", self.reset_cause),
            (
                "calibrate",
                "[--yes]",
                "re-baseline the touch frame's beams (glass clear)",
                self.calibrate,
            ),
            ("reboot", "[--yes]", "reset the board", self.reboot),
            ("repl", "[--yes]", "stop the firmware: reset into MicroPython's REPL", self.repl),
        )

    def run(self, name, args, yes):
        """Run one command: (status, text); raises Refused for an unknown one."""
        for entry in self.table:
            if entry[0] == name:
                return entry[3](args, yes)
        raise Refused(
            "unknown command %r; commands: %s" % (name, ", ".join([e[0] for e in self.table]))
        )

    # --- helpers ------------------------------------------------------------------------------

    def _no_args(self, name, args):
        if args:
            raise Refused("%s takes no arguments, got %r" % (name, " ".join(args)))

    def _sub(self, name, missing):
        """The running subsystem `name`, or Refused: `missing` when the role has none, or that
        this firmware build lacks it."""
        sub = self.subs.get(name)
        if sub is not None:
            return sub
        role = self.cfg["role"]
        if name in self.cfg["subsystems"]:
            raise Refused(
                "the %s subsystem is not in this firmware build (the %s board's config names "
                "it): flash a build that has it" % (name, role)
            )
        raise Refused("%s (role %s)" % (missing, role))

    def _confirm(self, what, line):
        return wire.CONSOLE_CONFIRM, "%s\nto go ahead: %s --yes" % (what, line)

    # --- commands -------------------------------------------------------------------------

    def help(self, args, yes):
        self._no_args("help", args)
        rows = []
        for name, usual, what, _ in self.table:
            spec = usual
            if name == "beams" and "touch" in self.subs:
                families = "|".join(self.subs["touch"].diag().families())
                spec = "[straight|" + families + "|--record] [N] [--yes]"
            rows.append((name + (" " + spec if spec else ""), what))
        # Descriptions line up after the usual width; a longer left side (beams, with the
        # frame's families) is followed by two spaces only.
        width = max([len(r[0]) for r in rows if len(r[0]) <= _HELP_COLUMN]) + 2
        lines = ["commands (a state-changing one does nothing without --yes):"]
        for left, what in rows:
            lines.append("  " + left + " " * max(2, width - len(left)) + what)
        return wire.CONSOLE_OK, "\n".join(lines)

    def status(self, args, yes):
        self._no_args("status", args)
        ident = self.link.identity
        now = self.board.clock.ticks_ms()
        live = self.sup.liveness
        tasks = []
        for i in range(len(live.names)):
            name = live.names[i]
            age = self.board.clock.ticks_diff(now, live.last_ms[i])
            if name == self.sup.failed:
                tasks.append(name + " given up")
            elif age > live.limit_ms:
                tasks.append("%s silent %d ms" % (name, age))
            else:
                tasks.append(name + " ok")
        mem_free = getattr(gc, "mem_free", None)
        ram = "%d bytes" % mem_free() if mem_free is not None else "n/a (no gc.mem_free here)"
        lines = [
            "role %s (%s)" % (ident["role"], self.cfg.get("board", "board")),
            "firmware %s, build %s" % (ident["fw_version"], ident["build_hash"]),
            "uptime %.1f s, reset cause %s"
            % (self.link.uptime_now_ms() / 1000, wire.RESET_CAUSES.get(ident["reset_cause"])),
            "production %s" % ("yes" if self.console.production else "no"),
            "subsystems running: %s" % (", ".join(sorted(self.subs)) or "none"),
            "tasks: " + ", ".join(tasks),
            "free RAM: " + ram,
        ]
        return wire.CONSOLE_OK, "\n".join(lines)

    def version(self, args, yes):
        self._no_args("version", args)
        impl = sys.implementation
        runtime = "%s %s" % (impl.name, ".".join([str(v) for v in impl.version[:3]]))
        lines = [
            "vitrine firmware %s, build %s" % (__version__, self.link.identity["build_hash"]),
            "wire protocol %d, schema rev %d (0x%08x)"
            % (wire.PROTOCOL_VERSION, self.link.schema_rev, self.link.schema_hash),
            "runtime " + runtime,
        ]
        return wire.CONSOLE_OK, "\n".join(lines)

    def beams(self, args, yes):
        if args and args[0] == "--record":
            return self.record(args[1:], yes)
        if len(args) > 1:
            raise Refused("beams takes at most one argument: straight or a family, e.g. x+0")
        diag = self._sub("touch", "no touch frame on this board").diag()
        return wire.CONSOLE_OK, diag.beams(args[0] if args else "")

    def record(self, args, yes):
        if len(args) != 1 or not args[0].isdigit() or not 1 <= int(args[0]) <= _RECORD_MAX:
            raise Refused(
                "beams --record takes N, the scans to record after the baseline's: 1..%d, "
                "got %r" % (_RECORD_MAX, " ".join(args))
            )
        diag = self._sub("touch", "no touch frame on this board").diag()
        if not yes:
            return self._confirm(
                "this takes the touch frame's baseline afresh (nothing may touch the glass) "
                "and streams its scans as TOUCH_RAW",
                "beams --record " + args[0],
            )
        return wire.CONSOLE_OK, diag.record(int(args[0]))

    def touches(self, args, yes):
        self._no_args("touches", args)
        return wire.CONSOLE_OK, self._sub("touch", "no touch frame on this board").diag().touches()

    def prox(self, args, yes):
        proximity = self._sub("proximity", "no proximity sensor on this board")
        if not args:
            return wire.CONSOLE_OK, proximity.reading()
        names = proximity.names()
        if len(args) > 1 or args[0] not in names:
            raise Refused(
                "prox takes at most one sensor name, got %r; sensors: %s"
                % (" ".join(args), ", ".join(names) or "none")
            )
        return wire.CONSOLE_OK, proximity.reading(args[0])

    def light(self, args, yes):
        lighting = self._sub("lighting", "no lighting on this board")
        if not args:
            return wire.CONSOLE_OK, lighting.describe()
        if not 3 <= len(args) <= 5 or not all([_is_byte(a) for a in args]):
            raise Refused(
                "light takes R G B [W] [BRIGHTNESS], each 0..255 (W 0 and BRIGHTNESS 255 "
                "unless given), got %r" % " ".join(args)
            )
        values = [int(a) for a in args] + [0, 255][len(args) - 3 :]
        if not yes:
            return self._confirm(
                "this fades the lights to r %d g %d b %d w %d, brightness %d over %d ms"
                % (values[0], values[1], values[2], values[3], values[4], _LIGHT_FADE_MS),
                "light " + " ".join(args),
            )
        return wire.CONSOLE_OK, lighting.set_colour(
            values[0], values[1], values[2], values[3], values[4], _LIGHT_FADE_MS
        )

    def selftest(self, args, yes):
        self._no_args("selftest", args)
        passed = True
        lines = []
        for name, label in SELFTEST:
            sub = self.subs.get(name)
            if sub is not None:
                ok, text = sub.selftest()
                passed = passed and ok
            elif name in self.cfg["subsystems"]:
                passed = False
                text = "FAIL: not in this firmware build (flash a build that has it)"
            else:
                text = "n/a (none on this board)"
            lines.append("%s: %s" % (label, text))
        lines.append("selftest: " + ("PASS" if passed else "FAIL"))
        return (wire.CONSOLE_OK if passed else wire.CONSOLE_FAILED), "\n".join(lines)

    def counters(self, args, yes):
        self._no_args("counters", args)
        link = self.link
        dec = link.dec
        rows = (
            ("rx frames", dec.frames),
            ("crc errors", dec.crc_errors),
            ("framing errors", dec.framing_errors),
            ("bytes skipped", dec.bytes_skipped),
            ("gaps", link.gaps),
            ("duplicates", link.duplicates),
            ("unknown types", link.unknown_types),
            ("version errors", link.version_errors),
            ("bad payloads", link.bad_payloads),
            ("tx frames", link.tx_frames),
            ("tx dropped", link.tx_dropped),
            ("tx paused", link.tx_paused),
            ("handshakes", link.handshakes),
            ("heartbeat ms", link.heartbeat_ms),
        )
        return wire.CONSOLE_OK, "\n".join(["%-15s %d" % row for row in rows])

    def log(self, args, yes):
        names = [n for n, _ in LEVELS]
        if len(args) > 1 or (args and args[0] not in names):
            raise Refused(
                "log takes one level, got %r; levels: %s" % (" ".join(args), ", ".join(names))
            )
        level = dict(LEVELS)[args[0]] if args else 0
        ring = self.link.ring
        lines = [
            "%9.3f s  %-7s %s: %s" % (t / 1000, LEVEL_NAMES.get(lv, str(lv)), sub, text)
            for t, lv, sub, text in ring.lines(level)
        ]
        head = "%d line%s kept" % (ring.count, "" if ring.count == 1 else "s")
        if ring.dropped:
            head += ", %d older ones overwritten" % ring.dropped
        if args:
            head += "; at %s or above: %d" % (args[0], len(lines))
        # MicroPython has no [head, *lines].
        return wire.CONSOLE_OK, "\n".join([head] + lines)  # noqa: RUF005

    def reset_cause(self, args, yes):
        self._no_args("reset-cause", args)
        cause = self.link.identity["reset_cause"]
        name = wire.RESET_CAUSES.get(cause, "code %d" % cause)
        return wire.CONSOLE_OK, "%s: %s" % (name, CAUSE_MEANING.get(cause, "unknown code"))

    def calibrate(self, args, yes):
        self._no_args("calibrate", args)
        diag = self._sub(
            "touch", "no touch frame on this board (calibrate re-baselines its beams)"
        ).diag()
        if not yes:
            return self._confirm(
                "this takes every beam's clear level afresh; nothing may touch the glass meanwhile",
                "calibrate",
            )
        return wire.CONSOLE_OK, diag.calibrate()

    def reboot(self, args, yes):
        self._no_args("reboot", args)
        if not yes:
            return self._confirm("this resets the board; the link drops and comes back", "reboot")
        self.link.log(wire.LOG_WARNING, "console", "rebooting on request")
        self.console.later("reboot")
        return wire.CONSOLE_REBOOTING, "rebooting now"

    def repl(self, args, yes):
        self._no_args("repl", args)
        if self.console.production:
            raise Refused(
                "repl is refused on a production board (config.json production=true); its "
                "firmware keeps running. Flash a development build to reach its REPL"
            )
        if self.cfg["link"]["kind"] == "usb-cdc":
            where = "on this port"
        else:  # the protocol runs over a UART; MicroPython's REPL is on the board's USB
            where = "on the board's own USB port (this UART link goes quiet)"
        what = (
            "this stops the firmware: the board resets into MicroPython's REPL %s "
            "(no watchdog), for mpremote; the next reset starts the firmware again" % where
        )
        if not yes:
            return self._confirm(what, "repl")
        self.link.log(wire.LOG_WARNING, "console", "leaving the firmware for the REPL on request")
        self.console.later("repl")
        return wire.CONSOLE_LEAVING, (
            "leaving the firmware: the board resets into MicroPython's REPL; "
            "the next reset starts the firmware again"
        )


def _is_byte(word):
    # A decimal 0..255 (isdigit() alone would take "²" on CPython).
    return 0 < len(word) <= 3 and all(["0" <= c <= "9" for c in word]) and int(word) <= 255
