# The lighting subsystem (vitrine_fw.lights) wired by supervisor.build as on a lights board,
# driven through the link with host frames and read back from fake strips: LIGHT_SET checked and
# acknowledged, the fade's integer steps on a clock the test moves (the task's own tick()), the
# pixel each strip gets for its channels, refusals, and the console's `light` over the real
# subsystem. Runs unchanged on MicroPython (node tools/micropython.mjs) and CPython
# (tests/firmware/test_scenarios.py).

from fw_scenario import FakeClock, FakePort, contains, eq, feed, host_frame, ok, run_all

from vitrine_fw import config, seam, supervisor, wire
from vitrine_fw.lights.fade import Fade

STRIPS = [
    {"pin": 16, "pixels": 60, "order": "GRBW"},
    {"pin": 17, "pixels": 30, "order": "GRB"},
]


class FakeStrip:
    """A strip driver: fill(pixel) takes len(order) values in r, g, b(, w) order, write()
    latches them."""

    def __init__(self, pin, count, order):
        self.pin = pin
        self.n = count
        self.order = order
        self.pixel = bytearray(len(order))
        self.latched = None
        self.writes = 0

    def fill(self, pixel):
        for i in range(len(self.order)):
            self.pixel[i] = pixel[i]

    def write(self):
        self.latched = tuple(self.pixel)
        self.writes += 1


class FakeBoard(seam.BaseBoard):
    """The board seam: a clock the test moves, a port it reads, strips it inspects."""

    def __init__(self, broken=()):
        super().__init__(FakeClock(1000))
        self.port = FakePort()
        self.strips = {}
        self.broken = broken  # pins whose strip cannot be set up

    def uid(self):
        return "11ght5"

    def reset_cause(self):
        return wire.RESET_POWER_ON

    def open_link(self, link_cfg):
        return self.port

    def led_strip(self, pin, count, order="GRB"):
        if pin in self.broken:
            raise OSError(19)
        strip = self.strips[pin] = FakeStrip(pin, count, order)
        return strip


class Rig:
    """A lights board after the handshake, its task begun."""

    def __init__(self, strips=STRIPS, broken=()):
        cfg = {
            "role": "lights",
            "subsystems": ["lighting"],
            "link": {"kind": "uart", "id": 0, "tx": 0, "rx": 1, "baud": 921600},
            "strips": strips,
        }
        self.board = FakeBoard(broken)
        self.sup = supervisor.build(self.board, config.check(cfg))
        self.link = self.sup.link
        self.lights = self.sup.subsystems["lighting"]
        self.seq = 200
        hello = (wire.SCHEMA_REV, wire.SCHEMA_HASH, "host", "0.1.0", "", "bench", 0, 0)
        feed(self.link, host_frame(wire.HELLO, self.next_seq(), hello))
        ok(self.link.host_up, "host up after the handshake")
        self.lights.begin()
        self.board.port.take()

    def next_seq(self):
        self.seq += 1
        return self.seq

    def light_set(self, values=None, payload=b""):
        """Send LIGHT_SET (field values, or a raw payload); returns the reply frame."""
        seq = self.next_seq()
        feed(self.link, host_frame(wire.LIGHT_SET, seq, values, payload=payload))
        replies = [f for f in self.board.port.take() if f.flags & wire.FLAG_IS_ACK]
        eq(len(replies), 1, "replies to LIGHT_SET")
        eq(replies[0].seq, seq, "the reply's seq")
        eq(replies[0].values[0], wire.LIGHT_SET, "the acknowledged type")
        return replies[0]

    def after(self, ms):
        """Move the clock on and run one step of the task; the shown channels."""
        self.board.clock.advance_ms(ms)
        self.lights.tick()
        return tuple(self.lights.fade.shown)

    def latched(self, pin):
        return self.board.strips[pin].latched

    def console(self, line):
        words = [w for w in line.split() if w != "--yes"]
        return self.sup.console.commands.run(words[0], words[1:], "--yes" in line)


def nack(reply, reason, detail):
    eq(reply.type, wire.NACK, "a NACK")
    eq(wire.NACK_REASONS[reply.values[1]], reason, "the reason")
    contains(reply.values[2], detail, "the detail")


# --- the subsystem on a lights board ----------------------------------------------------------


def scenario_the_lights_board_runs_lighting_on_its_strips():
    rig = Rig()
    ok(rig.link.identity["capabilities"] & wire.CAP_LIGHTING, "HELLO's lighting bit")
    ok("lighting" in rig.sup.liveness.names, "the lighting task is supervised")
    strips = rig.board.strips
    eq(sorted(strips), [16, 17], "a strip per config entry")
    eq((strips[16].n, strips[16].order), (60, "GRBW"), "the first strip")
    eq((strips[17].n, strips[17].order), (30, "GRB"), "the second strip")
    eq(rig.latched(16), (0, 0, 0, 0), "dark at start, four channels")
    eq(rig.latched(17), (0, 0, 0), "dark at start, three channels")


def scenario_light_set_is_acknowledged_then_fades_linearly():
    rig = Rig()
    reply = rig.light_set((200, 100, 50, 0, 255, 1000))
    eq(reply.type, wire.ACK, "LIGHT_SET acknowledged")
    eq(reply.values[1], b"", "nothing in the ACK")
    eq(rig.after(0), (0, 0, 0, 0, 0), "nothing shown yet at the start")
    ok(rig.lights.fade.running, "a fade runs")
    # A quarter of the way: r 200/4, g 100/4, b 50/4 rounded down, brightness 255/4.
    eq(rig.after(250), (50, 25, 12, 0, 63), "channels after 250 ms")
    # Each pixel value is channel * duty / 255, rounded, brightness 63 being duty 11 (the
    # CIE lightness curve): 50 * 11 / 255 = 2.16, 25 -> 1.08, 12 -> 0.52
    eq(rig.latched(16), (2, 1, 1, 0), "the GRBW strip's pixel at 250 ms")
    eq(rig.after(250), (100, 50, 25, 0, 127), "halfway")
    eq(rig.after(499), (199, 99, 49, 0, 254), "a millisecond before the end")
    eq(rig.after(1), (200, 100, 50, 0, 255), "the target, at 1000 ms")
    ok(not rig.lights.fade.running, "the fade is over")
    eq(rig.latched(16), (200, 100, 50, 0), "full brightness: the colour itself")
    eq(rig.latched(17), (200, 100, 50), "the RGB strip too")


def scenario_the_strips_are_written_only_while_a_fade_runs():
    rig = Rig()
    before = rig.board.strips[16].writes
    for _ in range(5):
        rig.after(20)
    eq(rig.board.strips[16].writes, before, "no writes while idle")
    rig.light_set((10, 20, 30, 40, 255, 100))
    for _ in range(6):
        rig.after(20)  # at 20 .. 80 ms a step, at 100 ms the end, at 120 ms nothing
    eq(rig.board.strips[16].writes, before + 5, "a write per step")
    rig.after(20)
    eq(rig.board.strips[16].writes, before + 5, "none after the end")


def scenario_fade_ms_zero_applies_at_the_next_step():
    rig = Rig()
    rig.light_set((255, 190, 120, 60, 150, 0))
    eq(rig.after(0), (255, 190, 120, 60, 150), "at once")
    # Brightness 150 is duty 68: 255 * 68 / 255 = 68, 190 -> 50.7, 120 -> 32.0, 60 -> 16.0
    eq(rig.latched(16), (68, 51, 32, 16), "the GRBW strip")


def scenario_a_strip_without_white_leds_gets_the_white_in_red_green_and_blue():
    rig = Rig()
    rig.light_set((200, 10, 0, 100, 255, 0))
    rig.after(0)
    eq(rig.latched(16), (200, 10, 0, 100), "with white LEDs")
    eq(rig.latched(17), (255, 110, 100), "without: white added, clipped at 255")


def scenario_a_new_light_set_mid_fade_starts_from_what_is_shown():
    rig = Rig()
    rig.light_set((200, 200, 200, 200, 200, 1000))
    rig.after(0)
    eq(rig.after(500), (100, 100, 100, 100, 100), "halfway up")
    rig.light_set((0, 0, 0, 0, 0, 100))
    eq(rig.after(0), (100, 100, 100, 100, 100), "the new fade starts where the old one was")
    eq(rig.after(50), (50, 50, 50, 50, 50), "halfway down")
    eq(rig.after(50), (0, 0, 0, 0, 0), "dark")
    eq(rig.latched(16), (0, 0, 0, 0), "the strip is dark")


def scenario_fading_down_stays_between_start_and_target():
    rig = Rig()
    rig.light_set((255, 255, 255, 255, 255, 0))
    rig.after(0)
    target = (0, 7, 254, 255, 1)
    rig.light_set((0, 7, 254, 255, 1, 3000))
    last = rig.after(0)
    for _ in range(150):
        now = rig.after(20)
        for i in range(5):
            ok(target[i] <= now[i] <= last[i], "between the target and the step before")
        last = now
    eq(last, target, "the target")


def scenario_a_fade_across_the_ticks_wrap():
    rig = Rig()
    rig.board.clock.ms = 0x3FFFFFFF - 100  # ticks_ms wraps 100 ms into the fade
    rig.light_set((0, 0, 0, 0, 255, 400))
    rig.after(0)
    eq(rig.after(200)[4], 127, "halfway across the wrap")
    eq(rig.after(200)[4], 255, "done")


# --- refusals ---------------------------------------------------------------------------------


def scenario_a_bad_payload_is_nacked_and_changes_nothing():
    rig = Rig()
    nack(rig.light_set(payload=b"\x01\x02\x03"), "bad_payload", "LIGHT_SET")
    nack(rig.light_set(payload=bytes(8)), "bad_payload", "1 unexpected bytes")
    nack(rig.light_set(payload=b""), "bad_payload", "payload ends early")
    ok(not rig.lights.fade.running, "no fade started")
    eq(rig.after(20), (0, 0, 0, 0, 0), "still dark")


def scenario_a_fade_too_long_is_refused():
    rig = Rig()
    reply = rig.light_set((1, 2, 3, 4, 5, wire.LIGHT_MAX_FADE_MS + 1))
    nack(reply, "refused", "fade_ms=10001, allowed 0..10000")
    ok(not rig.lights.fade.running, "no fade started")
    eq(rig.light_set((1, 2, 3, 4, 5, wire.LIGHT_MAX_FADE_MS)).type, wire.ACK, "the longest")


def scenario_a_board_without_strips_refuses_and_fails_its_selftest():
    rig = Rig(strips=[])
    nack(rig.light_set((1, 2, 3, 4, 5, 0)), "refused", "no LED strips in config.json")
    passed, text = rig.lights.selftest()
    ok(not passed, "selftest fails")
    contains(text, "FAIL: no LED strips", "why")
    status, text = rig.console("selftest")
    eq(status, wire.CONSOLE_FAILED, "the console's selftest")
    contains(text, "LED strip: FAIL", "its line")


def scenario_a_strip_that_cannot_be_set_up_is_logged_and_the_others_light():
    rig = Rig(broken=(16,))
    eq(sorted(rig.board.strips), [17], "the other strip is there")
    logs = [line for line in rig.link.ring.lines(wire.LOG_ERROR) if line[2] == "lighting"]
    eq(len(logs), 1, "one error line")
    contains(logs[0][3], "strip GRBW on GPIO 16, 60 pixels: OSError", "names the strip")
    eq(rig.light_set((9, 9, 9, 0, 255, 0)).type, wire.ACK, "the other strip lights")
    rig.after(0)
    eq(rig.latched(17), (9, 9, 9), "lit")
    ok(not rig.lights.selftest()[0], "selftest fails")


# --- the console's `light` --------------------------------------------------------------------


def scenario_console_light_shows_the_colour_and_the_fade():
    rig = Rig()
    status, text = rig.console("light")
    eq(status, wire.CONSOLE_OK, "status")
    contains(text, "now: r 0 g 0 b 0 w 0, brightness 0", "dark")
    contains(text, "no fade running", "idle")
    contains(text, "strips: GRBW on GPIO 16, 60 pixels; GRB on GPIO 17, 30 pixels", "strips")
    rig.light_set((255, 0, 0, 0, 200, 1000))
    rig.after(0)
    rig.after(400)
    text = rig.console("light")[1]
    contains(text, "now: r 102 g 0 b 0 w 0, brightness 80", "mid-fade")
    contains(text, "fading to r 255 g 0 b 0 w 0, brightness 200: 600 of 1000 ms left", "fade")


def scenario_console_light_sets_a_colour_only_with_yes():
    rig = Rig()
    status, text = rig.console("light 10 20 30")
    eq(status, wire.CONSOLE_CONFIRM, "without --yes")
    contains(text, "r 10 g 20 b 30 w 0, brightness 255 over 500 ms", "what would happen")
    contains(text, "light 10 20 30 --yes", "how to confirm")
    ok(not rig.lights.fade.running, "nothing changed")
    status, text = rig.console("light 10 20 30 40 128 --yes")
    eq(status, wire.CONSOLE_OK, "with --yes")
    contains(text, "fading to r 10 g 20 b 30 w 40, brightness 128 over 500 ms", "answer")
    rig.after(0)
    eq(rig.after(500), (10, 20, 30, 40, 128), "the colour, after the console's fade")


def scenario_console_light_refuses_bad_values():
    rig = Rig()
    for line in ("light 1 2", "light 1 2 3 4 5 6", "light 256 0 0", "light a b c", "light -1 2 3"):
        try:
            rig.console(line + " --yes")
        except Exception as err:  # link.Refused
            contains(str(err), "light takes R G B [W] [BRIGHTNESS], each 0..255", line)
        else:
            raise AssertionError(line + " was not refused")
    ok(not rig.lights.fade.running, "nothing changed")


# --- the fade on its own ----------------------------------------------------------------------


def scenario_fade_pixels_round_to_nearest():
    # brightness 255 is duty 255, 150 is 68, 128 is 47, 1 is 1 (the CIE lightness curve)
    fade = Fade(FakeClock(0))
    cases = ((255, 255, 255), (3, 255, 3), (255, 128, 47), (128, 150, 34), (130, 150, 35),
             (255, 1, 1), (127, 1, 0), (0, 255, 0))  # fmt: skip
    for c, level, want in cases:
        fade.begin(c, 0, 0, 0, level, 0)
        fade.step()
        eq(fade.rgbw[0], want, f"{c} at brightness {level}")


def scenario_fade_remaining_ms():
    clock = FakeClock(0)
    fade = Fade(clock)
    eq(fade.remaining_ms(), 0, "none running")
    fade.begin(1, 1, 1, 1, 1, 300)
    clock.advance_ms(120)
    eq(fade.remaining_ms(), 180, "part done")
    clock.advance_ms(500)
    eq(fade.remaining_ms(), 0, "past the end, before the step")
    ok(fade.step() and not fade.running, "the step ends it")
    ok(not fade.step(), "nothing more to do")


if __name__ == "__main__":
    run_all(globals())
