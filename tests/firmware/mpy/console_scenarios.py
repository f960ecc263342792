# The console service on the board (vitrine_fw.console), wired by supervisor.build exactly as
# on a board, driven through the link with host frames and read back from the port: parsing,
# confirmation, the production rate limit and refusals, answers in parts, the commands over a
# small fake touch frame (dead emitters, saturation), and subsystem hooks. Runs unchanged on
# MicroPython (node tools/micropython.mjs) and CPython (tests/firmware/test_scenarios.py).

from fw_scenario import FakeClock, FakePort, contains, eq, feed, host_frame, ok, run_all

from vitrine_fw import config, seam, supervisor, wire
from vitrine_fw.console import MAX_ANSWER, RATE_BURST, RATE_INTERVAL_MS, Console
from vitrine_fw.touch.geometry import Geometry

# A small frame: 16 vertical and 8 horizontal straight beams, two oblique families per axis.
FRAME = {
    "width_mm": 80.0,
    "height_mm": 40.0,
    "x": {"count": 16, "pitch_mm": 5.0, "first_mm": 2.5, "fan": [0, -3, 3]},
    "y": {"count": 8, "pitch_mm": 5.0, "first_mm": 2.5, "fan": [0, -2, 2]},
    "timing": {
        "pio_mhz": 150,
        "adc_bits": 12,
        "adc_conversion_us": 2.0,
        "mux_settle_us": 0.75,
        "led_on_settle_us": 3.0,
        "led_off_settle_us": 6.0,
    },
}
BEAMS = 62  # x: 16 + 13 + 13, y: 8 + 6 + 6
DARK = 60  # ADC counts with the emitter off (a 12-bit ADC)
LIT = 2000  # counts a clear beam adds with its emitter on


class FakeIr:
    """The frame's scanner: every beam lit, except the beams of dead emitters (dark) and
    saturated beams (strong light on their receiver)."""

    def __init__(self, frame, dead=(), saturated=()):
        self.g = Geometry(frame)
        self.dead = dead  # ("x", emitter index) pairs
        self.saturated = saturated  # beam indices

    def start(self, plan):
        pass

    def finish(self, plan, readings):
        g = self.g
        for i in range(plan.n):
            b = plan.beam[i]
            axis = "xy"[g.fam_axis[g.beam_family[b]]]
            if (axis, g.beam_emitter[b]) in self.dead:
                lit = DARK + 5
            elif b in self.saturated:
                lit = 4095
            else:
                lit = DARK + LIT
            readings.add(b, DARK, lit, plan.lit_c[i] // plan.timing.mhz)


class FakeBoard(seam.BaseBoard):
    """The board seam, with the link port kept for the test to read."""

    def __init__(self, dead=(), saturated=()):
        super().__init__(FakeClock(1000))
        self.port = FakePort()
        self.resets = []  # "soft" / "repl", in call order
        self.dead = dead
        self.saturated = saturated
        self.ir = None

    def uid(self):
        return "c0ffee01"

    def reset_cause(self):
        return wire.RESET_WDT

    def reset(self):
        self.resets.append("soft")

    def reset_to_repl(self):
        self.resets.append("repl")

    def open_link(self, link_cfg):
        return self.port

    def ir_frame(self, frame):
        self.ir = FakeIr(frame, self.dead, self.saturated)
        return self.ir


class Rig:
    """One board's firmware after the handshake, and the host's side of its console."""

    def __init__(self, role="touch", production=False, dead=(), saturated=(), unbuilt=None):
        cfg = {"role": role, "production": production, "build_hash": "cafe01"}
        if role == "touch":
            cfg["subsystems"] = ["touch"]
            cfg["frame"] = FRAME
        elif role == "presence":
            # a presence board whose firmware build lacks its proximity subsystem
            cfg["subsystems"] = ["proximity"]
            unbuilt = "proximity"
        elif role == "lights":
            cfg["link"] = {"kind": "uart", "id": 0, "tx": 0, "rx": 1, "baud": 921600}
        self.board = FakeBoard(dead, saturated)
        built = supervisor.SUBSYSTEMS
        if unbuilt is not None:  # an older build: the subsystem is not in its table
            supervisor.SUBSYSTEMS = {k: built[k] for k in built if k != unbuilt}
        try:
            self.sup = supervisor.build(self.board, config.check(cfg))
        finally:
            supervisor.SUBSYSTEMS = built
        self.link = self.sup.link
        self.console = self.sup.console
        self.seq = 100
        feed(self.link, host_frame(wire.HELLO, self.next_seq(), host_hello()))
        ok(self.link.host_up, "host up after the handshake")
        touch = self.sup.subsystems.get("touch")
        if touch is not None:  # what the touch task does first: a baseline, then scans
            touch.pipeline.start()
            for _ in range(3):
                touch.pipeline.step()
        self.board.port.take()

    def next_seq(self):
        self.seq += 1
        return self.seq

    def send(self, typ, values):
        """Send a command; returns the reply frame (ACK or NACK) and the other frames."""
        seq = self.next_seq()
        feed(self.link, host_frame(typ, seq, values))
        replies = []
        others = []
        for frame in self.board.port.take():
            (replies if frame.flags & wire.FLAG_IS_ACK else others).append(frame)
        eq(len(replies), 1, f"replies to {wire.message_name(typ)}")
        eq(replies[0].seq, seq, "the reply's seq")
        return replies[0], others

    def cmd(self, line):
        """(status, parts, first part's text) for an ACK; ("nack", reason name, detail)."""
        reply, _ = self.send(wire.CONSOLE_CMD, (line,))
        if reply.type == wire.NACK:
            return "nack", wire.NACK_REASONS[reply.values[1]], reply.values[2]
        eq(reply.values[0], wire.CONSOLE_CMD, "acked type")
        result = reply.values[1]
        return result[0], result[1], result[2:].decode()

    def whole(self, line):
        """(status, whole answer) of a line that is acknowledged, reading every part."""
        reply, _ = self.send(wire.CONSOLE_CMD, (line,))
        eq(reply.type, wire.ACK, f"{line}: reply type ({reply.values!r})")
        result = reply.values[1]
        req = reply.seq
        data = bytearray(result[2:])
        for part in range(1, result[1]):
            more, _ = self.send(wire.CONSOLE_READ, (req, part))
            eq(more.type, wire.ACK, f"CONSOLE_READ part {part}")
            data.extend(more.values[1])
        return result[0], bytes(data).decode()


def host_hello():
    return (wire.SCHEMA_REV, wire.SCHEMA_HASH, "host", "0.1.0", "", "bench", 0, 0)


def refused(outcome, *parts):
    eq(outcome[:2], ("nack", "refused"), "a refusal")
    for part in parts:
        contains(outcome[2], part, "the refusal's detail")


# --- the service ------------------------------------------------------------------------------


def scenario_hello_announces_the_console():
    rig = Rig()
    eq(rig.sup.subsystems["touch"].pipeline.geometry.beams, BEAMS, "the frame's beams")
    ok(rig.link.identity["capabilities"] & wire.CAP_CONSOLE, "HELLO's console capability bit")
    eq(rig.sup.liveness.names[-1], "console", "the console's task runs under the supervisor")


def scenario_help_lists_every_command_in_its_grammar():
    status, text = Rig().whole("help")
    eq(status, wire.CONSOLE_OK, "status")
    lines = text.split("\n")
    names = [line.split()[0] for line in lines[1:]]
    for name in (
        "help",
        "status",
        "version",
        "beams",
        "touches",
        "prox",
        "light",
        "selftest",
        "counters",
        "log",
        "reset-cause",
        "calibrate",
        "reboot",
        "repl",
    ):
        ok(name in names, name + " is listed")
    for line in lines[1:]:
        ok(line.startswith("  ") and "  " in line.strip(), "two spaces around the args: " + line)
    contains(text, "beams [straight|x+0|x-3|x+3|y+0|y-2|y+2|--record] [N] [--yes]", "the families")
    contains(text, "log [debug|info|warning|error]", "log's levels")
    contains(text, "reboot [--yes]", "reboot's confirmation")


def scenario_words_are_split_on_any_spaces_and_yes_goes_anywhere():
    rig = Rig()
    eq(rig.cmd("   status   ")[0], wire.CONSOLE_OK, "status among spaces")
    eq(rig.cmd("log  warning")[0], wire.CONSOLE_OK, "two spaces between words")
    eq(rig.cmd("--yes reboot")[0], wire.CONSOLE_REBOOTING, "--yes before the command")
    eq(rig.cmd("status --yes")[0], wire.CONSOLE_OK, "--yes on a command that needs none")


def scenario_an_empty_or_unknown_line_is_refused_naming_the_commands():
    rig = Rig()
    refused(rig.cmd(""), "empty command line", "help")
    refused(rig.cmd("  --yes "), "empty command line")
    refused(rig.cmd("stauts"), "unknown command 'stauts'", "status, version")


def scenario_bad_arguments_are_refused_with_what_is_allowed():
    rig = Rig()
    refused(rig.cmd("status now"), "status takes no arguments", "now")
    refused(rig.cmd("log loud"), "'loud'", "debug, info, warning, error")
    refused(rig.cmd("log info warning"), "levels: debug")
    refused(rig.cmd("beams z+9"), "no family 'z+9'", "straight, x+0, x-3")


def scenario_state_changing_commands_do_nothing_without_yes():
    rig = Rig()
    status, _, text = rig.cmd("reboot")
    eq(status, wire.CONSOLE_CONFIRM, "reboot without --yes")
    contains(text, "reboot --yes", "how to confirm")
    eq(rig.console.pending, None, "no reboot scheduled")
    status, _, text = rig.cmd("repl")
    eq(status, wire.CONSOLE_CONFIRM, "repl without --yes")
    contains(text, "repl --yes", "how to confirm")
    eq(rig.console.pending, None, "not leaving for the REPL")
    status, _, text = rig.cmd("calibrate")
    eq(status, wire.CONSOLE_CONFIRM, "calibrate without --yes")
    contains(text, "nothing may touch the glass", "what calibrate needs")


def scenario_confirmed_reboot_and_repl_are_carried_out():
    rig = Rig()
    eq(rig.cmd("reboot --yes")[0], wire.CONSOLE_REBOOTING, "reboot --yes")
    eq(rig.console.pending, "reboot", "the task reboots after the ACK")
    rig = Rig()
    status, _, text = rig.cmd("repl --yes")
    eq(status, wire.CONSOLE_LEAVING, "repl --yes")
    contains(text, "REPL", "what happens")
    eq(rig.console.pending, "repl", "the task resets into the REPL after the ACK")
    eq(rig.board.resets, [], "nothing reset before the ACK went out")


def scenario_repl_says_where_the_repl_will_be():
    status, _, text = Rig().cmd("repl")
    eq(status, wire.CONSOLE_CONFIRM, "usb-cdc: status")
    contains(text, "MicroPython's REPL on this port", "usb-cdc: the same port")
    status, _, text = Rig(role="lights").cmd("repl")
    eq(status, wire.CONSOLE_CONFIRM, "uart: status")
    contains(text, "on the board's own USB port (this UART link goes quiet)", "uart")


def scenario_a_production_board_refuses_repl_saying_why():
    rig = Rig(production=True)
    for line in ("repl", "repl --yes"):
        refused(rig.cmd(line), "production board", "development build")
    eq(rig.console.pending, None, "still running the firmware")
    eq(rig.whole("status")[1].split("\n")[3], "production yes", "status says so")


def scenario_a_production_board_rate_limits_commands():
    rig = Rig(production=True)
    for i in range(RATE_BURST):
        eq(rig.cmd("reset-cause")[0], wire.CONSOLE_OK, f"command {i} of a burst")
    outcome = rig.cmd("reset-cause")
    eq(outcome[:2], ("nack", "busy"), "one more at once")
    contains(outcome[2], f"retry after {RATE_INTERVAL_MS} ms", "when to try again")
    rig.board.clock.advance_ms(RATE_INTERVAL_MS // 2)
    contains(rig.cmd("reset-cause")[2], f"retry after {RATE_INTERVAL_MS // 2} ms", "half")
    rig.board.clock.advance_ms(RATE_INTERVAL_MS // 2)
    eq(rig.cmd("reset-cause")[0], wire.CONSOLE_OK, "after the interval")
    rig.board.clock.advance_ms(3600 * 1000)  # a long quiet spell fills the bucket, no more
    outcomes = [rig.cmd("reset-cause")[0] for _ in range(RATE_BURST + 1)]
    eq(outcomes[:RATE_BURST], [wire.CONSOLE_OK] * RATE_BURST, "a full burst again")
    eq(outcomes[RATE_BURST], "nack", "and no more")


def scenario_reading_parts_is_not_rate_limited():
    rig = Rig(production=True)
    status, text = rig.whole("beams x+0")  # one command, several CONSOLE_READs
    eq(status, wire.CONSOLE_OK, "status")
    ok(len(text.encode()) > 2 * wire.CONSOLE_PART, "an answer of 3 parts or more")


def scenario_a_development_board_is_not_rate_limited():
    rig = Rig()
    for _ in range(3 * RATE_BURST):
        eq(rig.cmd("reset-cause")[0], wire.CONSOLE_OK, "no rate limit")


def scenario_a_long_answer_comes_in_parts_that_join_to_the_text():
    rig = Rig()
    reply, _ = rig.send(wire.CONSOLE_CMD, ("beams x+0",))
    result = reply.values[1]
    expected = rig.console.commands.run("beams", ["x+0"], False)[1].encode()
    parts = (len(expected) + wire.CONSOLE_PART - 1) // wire.CONSOLE_PART
    eq(result[1], parts, "parts announced")
    eq(len(result), 2 + wire.CONSOLE_PART, "the first part is a whole part")
    data = bytearray(result[2:])
    for part in range(1, parts):
        more, _ = rig.send(wire.CONSOLE_READ, (reply.seq, part))
        data.extend(more.values[1])
    eq(bytes(data), expected, "the joined parts")
    again, _ = rig.send(wire.CONSOLE_READ, (reply.seq, parts - 1))
    eq(again.values[1], expected[(parts - 1) * wire.CONSOLE_PART :], "a part read twice")


def scenario_reading_a_part_that_is_not_there_is_refused():
    rig = Rig()
    reply, _ = rig.send(wire.CONSOLE_CMD, ("beams x+0",))
    parts = reply.values[1][1]
    for req, part, why in (
        (reply.seq, 0, f"parts 0..{parts - 1}"),
        (reply.seq, parts, f"parts 0..{parts - 1}"),
        (reply.seq + 7, 1, "only the last command's answer"),
    ):
        nack, _ = rig.send(wire.CONSOLE_READ, (req, part))
        eq(nack.type, wire.NACK, f"READ {req}/{part}")
        eq(nack.values[1], wire.NACK_REFUSED, "reason")
        contains(nack.values[2], why, "detail")
    rig.cmd("status")  # a newer answer replaces the old one
    nack, _ = rig.send(wire.CONSOLE_READ, (reply.seq, 1))
    contains(nack.values[2], "only the last command's answer", "after another command")


def scenario_an_answer_too_long_is_cut_and_says_so():
    rig = Rig()
    result = rig.console.keep(wire.CONSOLE_OK, "é" * MAX_ANSWER)
    eq(result[1], wire.CONSOLE_MAX_PARTS, "parts of a cut answer")
    eq(len(rig.console.answer), MAX_ANSWER, "bytes kept")
    text = rig.console.answer.decode("utf-8", "ignore")
    ok(text.endswith(f"(answer cut at {MAX_ANSWER} bytes)"), "says it was cut")


# --- the commands -----------------------------------------------------------------------------


def scenario_status_version_counters_reset_cause():
    rig = Rig()
    text = rig.whole("status")[1]
    contains(text, "role touch", "status: role")
    contains(text, "firmware 0.1.0, build cafe01", "status: firmware")
    contains(text, "reset cause wdt", "status: reset cause")
    contains(text, "tasks: link.rx ok, link.heartbeat ok, probe ok, touch ok, console ok", "tasks")
    contains(text, "free RAM: ", "status: memory")
    text = rig.whole("version")[1]
    contains(text, f"schema rev {wire.SCHEMA_REV} (0x{wire.SCHEMA_HASH:08x})", "version")
    text = rig.whole("counters")[1]
    contains(text, "handshakes      1", "counters")
    contains(rig.whole("reset-cause")[1], "wdt: the watchdog", "reset-cause")


def scenario_a_silent_task_shows_in_status():
    rig = Rig()
    rig.board.clock.advance_ms(5000)
    rig.sup.liveness.beat(0)  # link.rx reported in; the others did not
    text = rig.whole("status")[1]
    contains(text, "link.rx ok, link.heartbeat silent 5000 ms", "status: tasks")


def scenario_log_shows_the_ring_filtered_by_level():
    rig = Rig()
    rig.link.log(wire.LOG_WARNING, "touch", "2 of 62 beams failed")
    rig.link.log(wire.LOG_DEBUG, "probe", "idle")
    text = rig.whole("log")[1]
    contains(text, "supervisor: boot: role touch", "the boot line")
    contains(text, "warning touch: 2 of 62 beams failed", "the warning")
    contains(text, "debug   probe: idle", "the debug line")
    text = rig.whole("log warning")[1]
    ok("boot" not in text and "idle" not in text, "only warning and above: " + text)
    contains(text, "at warning or above: 1", "how many")


def scenario_beams_maps_every_family_and_names_failed_beams():
    rig = Rig(dead=(("x", 3),))
    g = rig.sup.subsystems["touch"].pipeline.geometry
    text = rig.whole("beams")[1]
    lines = text.split("\n")
    contains(lines[0], f"{g.beams} beams in 6 families: 3 failed", "summary")
    eq(lines[2], "x+0      0 ...x............", "the straight x family")
    eq(lines[3], "x-3      0 x............", "x-3: emitter 3 is its first beam")
    contains(text, "failed: x3->3 x3->0 x3->6", "the failed beams by name")
    straight = rig.whole("beams straight")[1].split("\n")
    eq([line.split()[0] for line in straight[2:-1]], ["x+0", "y+0"], "straight families only")


def scenario_beams_of_one_family_lists_its_levels():
    rig = Rig(dead=(("y", 1),))
    lines = rig.whole("beams y+0")[1].split("\n")
    eq(len(lines), 2 + 8, "a header, a legend and 8 beams")
    beam0 = ["0", "y0->0", str(DARK + LIT), str(DARK), str(LIT), "0", "0", "clear"]
    eq(lines[2].split(), beam0, "beam 0")
    eq(lines[3].split()[-1], "failed", "beam 1, of the dead emitter")


def scenario_touches_with_nothing_on_the_glass():
    eq(Rig().whole("touches")[1], "no contacts on the glass", "touches")


def scenario_selftest_passes_on_a_healthy_frame():
    status, text = Rig().whole("selftest")
    eq(status, wire.CONSOLE_OK, "status")
    contains(text, f"touch frame: PASS: all {BEAMS} beams lit", "touch")
    contains(text, "proximity (ToF): n/a (none on this board)", "no proximity")
    contains(text, "LED strip: n/a", "no lighting")
    contains(text, "BLE: n/a", "no beacon")
    ok(text.endswith("selftest: PASS"), "overall")


def scenario_selftest_fails_naming_a_dead_emitter_and_saturated_beams():
    rig = Rig(dead=(("y", 5),), saturated=(2,))
    status, text = rig.whole("selftest")
    eq(status, wire.CONSOLE_FAILED, "status")
    contains(text, f"touch frame: FAIL: 3 of {BEAMS} beams dark, 1 saturated", "summary")
    contains(text, "dead emitters: y5", "the dead emitter")
    contains(text, "dark beams: y5->5 y5->3 y5->7", "its beams")
    contains(text, "saturated beams (strong light on the receivers): x2->2", "saturation")
    ok("dead receivers" not in text, "no receiver is dead: " + text)
    ok(text.endswith("selftest: FAIL"), "overall")


def scenario_selftest_fails_for_a_subsystem_missing_from_the_build():
    status, text = Rig(role="presence").whole("selftest")
    eq(status, wire.CONSOLE_FAILED, "status")
    contains(text, "proximity (ToF): FAIL: not in this firmware build", "proximity")
    contains(text, "touch frame: n/a", "no touch frame")


def scenario_commands_of_subsystems_the_board_lacks_are_refused():
    rig = Rig()
    refused(rig.cmd("prox"), "no proximity sensor on this board (role touch)")
    refused(rig.cmd("light"), "no lighting on this board (role touch)")
    refused(rig.cmd("light 1 2 3 --yes"), "no lighting on this board (role touch)")
    presence = Rig(role="presence")
    refused(presence.cmd("prox"), "proximity subsystem is not in this firmware build")
    refused(presence.cmd("beams"), "no touch frame on this board")
    refused(presence.cmd("calibrate --yes"), "no touch frame on this board")


def scenario_calibrate_takes_the_baselines_afresh():
    rig = Rig(dead=(("x", 1),))
    sc = rig.sup.subsystems["touch"].pipeline.scanner
    rig.board.dead = ()
    rig.board.ir.dead = ()  # the emitter is replaced: calibrating brings its beams back
    eq(sc.failed, 2, "failed before (x1->1 and x1->4)")
    reply, others = rig.send(wire.CONSOLE_CMD, ("calibrate --yes",))
    eq(reply.values[1][0], wire.CONSOLE_OK, "status")
    contains(reply.values[1][2:].decode(), f"calibrated: {BEAMS} beams", "answer")
    eq(sc.failed, 0, "failed after")
    health = [f for f in others if f.type == wire.TOUCH_HEALTH]
    eq(len(health), 2, "TOUCH_HEALTH as calibrating starts and after it")
    eq(health[0].values[4], 0, "not ready while the baseline is taken")
    eq(health[1].values[:2], (BEAMS, 0), "beams, failed")
    eq(health[1].values[4], 1, "ready once it is taken")


class FakeProximity:
    def reading(self):
        return "distance 812 mm"

    def selftest(self):
        return True, "PASS: model 0xeacc, range 812 mm"


class FakeLighting:
    def __init__(self):
        self.colour = None

    def describe(self):
        return "now: dark"

    def set_colour(self, r, g, b, w, brightness, fade_ms):
        self.colour = (r, g, b, w, brightness)
        return f"fading over {fade_ms} ms"

    def selftest(self):
        return False, "FAIL: strip left: no answer"


def scenario_subsystem_hooks_answer_prox_light_and_selftest():
    rig = Rig(role="presence")
    lights = FakeLighting()
    Console(
        rig.board,
        rig.sup.cfg,
        rig.link,
        rig.sup,
        {"proximity": FakeProximity(), "lighting": lights},
    )
    eq(rig.cmd("prox")[2], "distance 812 mm", "prox")
    contains(rig.whole("help")[1], "light [R G B [W] [BRIGHTNESS]] [--yes]", "light in help")
    eq(rig.cmd("light")[2], "now: dark", "light shows the colour")
    refused(rig.cmd("light disco"), "light takes R G B [W] [BRIGHTNESS], each 0..255")
    eq(rig.cmd("light 255 0 0")[0], wire.CONSOLE_CONFIRM, "light without --yes")
    eq(lights.colour, None, "unchanged")
    eq(rig.cmd("light 255 0 0 --yes")[2], "fading over 500 ms", "light --yes")
    eq(lights.colour, (255, 0, 0, 0, 255), "changed: no white, full brightness")
    rig.cmd("light 1 2 3 4 --yes")
    eq(lights.colour, (1, 2, 3, 4, 255), "white given")
    status, text = rig.whole("selftest")
    eq(status, wire.CONSOLE_FAILED, "one subsystem fails")
    contains(text, "proximity (ToF): PASS: model 0xeacc", "proximity's own line")
    contains(text, "LED strip: FAIL: strip left", "lighting's own line")


if __name__ == "__main__":
    run_all(globals())
