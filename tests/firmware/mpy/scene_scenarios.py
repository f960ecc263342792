# The lighting subsystem's scenes (vitrine_fw.lights: LIGHT_SCENE, the warm/cool white strip,
# dithering, the current budget, the safe scene, LIGHT_STATE), wired by supervisor.build as on
# a lights board, over fake strips and PWM outputs at the seam. Runs unchanged on MicroPython
# (node tools/micropython.mjs) and CPython (tests/firmware/test_scenarios.py).

from fw_scenario import FakeClock, FakePort, contains, eq, feed, host_frame, ok, run_all

from vitrine_fw import config, seam, supervisor, wire
from vitrine_fw.lights import colour

STRIPS = [
    {"pin": 16, "pixels": 60, "order": "GRBW", "led_ma": 60, "white_k": 4500},
    {
        "kind": "cct",
        "warm": 18,
        "cool": 19,
        "warm_k": 2700,
        "cool_k": 6500,
        "leds": 120,
        "led_ma": 20,
        "pwm_hz": 2000,
    },
]


class Strip:
    def __init__(self, pin, count, order, board):
        self.pixel = bytearray(len(order))
        self.latched = None
        self.frames = []
        self.board = board
        self.count = count

    def fill(self, pixel):
        for i in range(len(self.pixel)):
            self.pixel[i] = pixel[i]

    def write(self):
        self.latched = tuple(self.pixel)
        self.frames.append(self.latched)
        self.board.written()

    def draw_ma(self):  # 60 mA an LED at full white, shared by its channels
        if self.latched is None:
            return 0
        return sum(self.latched) * self.count * 60 / len(self.pixel) / 255


class Pwm:
    def __init__(self, pin, freq, board):
        self.pin = pin
        self.freq = freq
        self.duty = 0
        self.history = []
        self.board = board

    def duty_u16(self, value=None):
        if value is None:
            return self.duty
        self.duty = value
        self.history.append(value)
        self.board.written()
        return None

    def draw_ma(self):  # 120 LEDs of 20 mA at full, half of them on this channel
        return self.duty * 1200 / 65535


class Board(seam.BaseBoard):
    def __init__(self):
        super().__init__(FakeClock(1000))
        self.port = FakePort()
        self.strips = {}
        self.pwms = {}
        self.draws = []  # what all the strips draw (mA) after each write to any of them

    def written(self):
        parts = list(self.strips.values()) + list(self.pwms.values())
        self.draws.append(sum([part.draw_ma() for part in parts]))

    def uid(self):
        return "5ce7e5"

    def reset_cause(self):
        return wire.RESET_POWER_ON

    def open_link(self, link_cfg):
        return self.port

    def led_strip(self, pin, count, order="GRB"):
        strip = self.strips[pin] = Strip(pin, count, order, self)
        return strip

    def pwm(self, pin, freq_hz):
        pwm = self.pwms[pin] = Pwm(pin, freq_hz, self)
        return pwm


class Rig:
    def __init__(self, budget_ma=0, safe_after_ms=30000, handshake=True):
        cfg = {
            "role": "lights",
            "subsystems": ["lighting"],
            "link": {"kind": "uart", "id": 0, "tx": 0, "rx": 1, "baud": 921600},
            "strips": STRIPS,
            "lighting": {"budget_ma": budget_ma, "safe_after_ms": safe_after_ms},
        }
        self.board = Board()
        self.clock = self.board.clock
        self.sup = supervisor.build(self.board, config.check(cfg))
        self.link = self.sup.link
        self.lights = self.sup.subsystems["lighting"]
        self.seq = 500
        if handshake:
            hello = (wire.SCHEMA_REV, wire.SCHEMA_HASH, "host", "0.1.0", "", "bench", 0, 0)
            feed(self.link, host_frame(wire.HELLO, self.next_seq(), hello))
        self.lights.begin()
        self.board.port.take()

    def next_seq(self):
        self.seq += 1
        return self.seq

    def scene(self, kelvin, brightness, amber=0, fade_ms=0):
        seq = self.next_seq()
        feed(self.link, host_frame(wire.LIGHT_SCENE, seq, (kelvin, brightness, amber, fade_ms)))
        replies = [f for f in self.board.port.take() if f.flags & wire.FLAG_IS_ACK]
        eq(len(replies), 1, "one reply")
        return replies[0]

    def steps(self, n, ms=10):
        for _ in range(n):
            self.clock.advance_ms(ms)
            self.lights.tick()

    def rgbw(self):
        return self.board.strips[16].latched

    def duties(self):
        return (self.board.pwms[18].duty, self.board.pwms[19].duty)

    def states(self):
        return [f.values for f in self.board.port.take() if f.type == wire.LIGHT_STATE]


def scenario_a_scene_is_acknowledged_and_lit_on_both_kinds_of_strip():
    rig = Rig()
    reply = rig.scene(4000, 255)
    eq(reply.type, wire.ACK, "LIGHT_SCENE acknowledged")
    rig.steps(1)
    rgb = bytearray(3)
    colour.blackbody(colour.mired(4000) * 16, rgb)
    white = bytearray(3)
    colour.blackbody(colour.mired(4500) * 16, white)
    out = bytearray(4)
    colour.split_white(rgb, white, out)
    eq(rig.rgbw(), tuple(out), "the GRBW strip: the black body at 4000 K, white LED first")
    warm, cool = rig.duties()
    # 4000 K in mireds: 250; the whites 370 (2700 K) and 154 (6500 K): 44 % warm
    share = (250 - 154) * 65535 // (370 - 154)
    ok(abs(warm - share) < 200, "the warm share " + str(warm))
    ok(abs(warm + cool - 65535) <= 2, "full brightness between them: " + str(warm + cool))


def scenario_a_fade_moves_in_mireds_and_in_lightness():
    rig = Rig()
    rig.scene(6500, 0)
    rig.steps(1)
    rig.scene(2700, 255, fade_ms=1000)
    rig.steps(50)
    sc = rig.lights.scene.now
    # halfway in time: halfway in mireds (154 .. 370 -> 262), halfway in lightness
    ok(abs(sc[0] - 262 * 16) <= 16, "mireds at half time: " + str(sc[0] // 16))
    ok(abs(sc[1] - 128 * 256) <= 256, "lightness at half time: " + str(sc[1] >> 8))
    rig.steps(50)
    eq(rig.lights.scene.running, False, "ended")
    eq(rig.lights.scene.now[0], colour.mired(2700) * 16, "at the target")


def scenario_a_hundred_steps_a_second_each_a_write():
    rig = Rig()
    rig.scene(3000, 200, fade_ms=1000)
    before = len(rig.board.strips[16].frames)
    rig.steps(100)
    eq(len(rig.board.strips[16].frames) - before, 100, "a latch every 10 ms")


def scenario_every_fade_is_monotone_on_every_channel():
    rig = Rig()
    rig.scene(2700, 40)
    rig.steps(1)
    rig.scene(2700, 220, fade_ms=800)
    seen = []
    for _ in range(90):
        rig.steps(1)
        seen.append(rig.duties()[0])
    ok(all([seen[i + 1] >= seen[i] for i in range(len(seen) - 1)]), "the warm channel only rises")
    ok(seen[-1] > seen[0] * 10, "and rises a lot")


def scenario_dim_light_is_dithered_so_its_mean_is_the_16_bit_value():
    rig = Rig()
    rig.scene(3000, 12)  # a very dim light: fractions of the strip's 8-bit steps
    rig.steps(1)
    strip = rig.lights.strips[0]
    asked = list(strip.value)
    frames = rig.board.strips[16].frames
    start = len(frames)
    rig.steps(256)
    got = frames[start:]
    eq(len(got), 256, "still written every step: dithering")
    for c in range(4):
        mean256 = sum([f[c] for f in got])  # sum of 256 frames = the mean in 8.8
        ok(abs(mean256 - asked[c]) <= 256, "channel " + str((c, mean256, asked[c])))
    ok(len(set(got)) > 1, "the pixel changes from frame to frame")


def scenario_the_current_budget_dims_every_strip_and_is_never_exceeded():
    rig = Rig(budget_ma=1000)
    rig.scene(6500, 255, fade_ms=500)
    ok(rig.lights.scene.target[1] < 255 << 8, "the fade's end dimmed to fit the budget")
    for _ in range(60):
        rig.steps(1)
        ok(rig.lights.current_ma <= 1000, "within budget: " + str(rig.lights.current_ma))
        ok(max(rig.board.draws) <= 1000, "after every write too: " + str(max(rig.board.draws)))
    ok(rig.lights.current_ma > 900, "and it uses the budget: " + str(rig.lights.current_ma))
    states = rig.states()
    ok(any([s[3] & wire.LIGHT_LIMITED for s in states]), "LIGHT_STATE says limited")
    eq(states[-1][5], 1000, "and the budget")
    contains(rig.lights.describe(), "dimmed to stay within it", "the console says so")


def scenario_a_fade_that_would_pass_the_budget_on_its_way_is_dimmed_at_its_end():
    # from a warm light with its brightness to a cool one: the way between draws more (the
    # RGBW strip's colour LEDs beside its white one), so the end is dimmed until all of it fits
    rig = Rig(budget_ma=2500)
    rig.scene(2200, 200, amber=120)
    rig.steps(1)
    rig.board.draws.clear()
    rig.scene(6500, 255, fade_ms=400)
    for _ in range(45):
        rig.steps(1)
    ok(max(rig.board.draws) <= 2500, "within the budget all the way")
    eq(rig.lights.scale, 1024, "without the step's own limit")


def scenario_between_two_frames_the_draw_never_passes_the_larger():
    rig = Rig(budget_ma=2600)
    rig.scene(6500, 220)  # the white strip all cool
    rig.steps(1)
    before = rig.lights.current_ma
    rig.board.draws.clear()
    rig.scene(3000, 220)  # now mostly warm: the warm channel rises, the cool falls
    rig.steps(1)
    after = rig.lights.current_ma
    ok(
        max(rig.board.draws) <= max(before, after) + 1,
        "the falling parts first: " + str((max(rig.board.draws), before, after)),
    )


def scenario_a_temperature_the_whites_cannot_make_is_clamped_and_said():
    rig = Rig()
    rig.scene(2200, 200, amber=90)
    rig.steps(1)
    eq(rig.duties()[1], 0, "all warm")
    states = rig.states()
    ok(states[-1][3] & wire.LIGHT_CLAMPED, "clamped")
    eq(states[-1][0], 2200, "the scene's temperature")


def scenario_out_of_range_kelvin_and_long_fades_are_refused():
    rig = Rig()
    reply = rig.scene(900, 100)
    eq(wire.NACK_REASONS[reply.values[1]], "refused", "refused")
    contains(reply.values[2], "kelvin=900, allowed 1000..20000", "why")
    reply = rig.scene(3000, 100, fade_ms=20000)
    contains(reply.values[2], "fade_ms=20000, allowed 0..10000", "why")


def scenario_the_safe_scene_after_the_host_has_been_gone_long_enough():
    rig = Rig(safe_after_ms=5000)
    rig.scene(2200, 255)
    rig.steps(1)
    rig.link.host_up = False  # the host went silent
    rig.steps(400)  # 4 s
    eq(rig.lights.safe_on, False, "not yet")
    rig.steps(200)
    ok(rig.lights.safe_on, "the safe scene")
    rig.steps(300)
    eq(colour.kelvin_of(rig.lights.scene.now[0] >> 4), 4000, "at the safe temperature")
    hello = (wire.SCHEMA_REV, wire.SCHEMA_HASH, "host", "0.1.0", "", "bench", 0, 0)
    feed(rig.link, host_frame(wire.HELLO, rig.next_seq(), hello))  # the host is back
    ok(rig.states()[-1][3] & wire.LIGHT_SAFE, "LIGHT_STATE after the handshake says safe")
    rig.scene(3000, 150)
    eq(rig.lights.safe_on, False, "a command ends it")


def scenario_a_raw_colour_then_a_scene_and_back():
    rig = Rig()
    seq = rig.next_seq()
    feed(rig.link, host_frame(wire.LIGHT_SET, seq, (200, 100, 50, 0, 255, 0)))
    rig.board.port.take()
    rig.steps(1)
    eq(rig.rgbw(), (200, 100, 50, 0), "the raw colour")
    warm, cool = rig.duties()
    # the colour's brightest channel, 200 of 255, at the middle of the two whites: 2 x 25600
    ok(abs(warm - cool) <= 1 and 25000 < warm < 26000, "the white strip's middle white, as bright")
    rig.scene(3000, 255, fade_ms=100)
    rig.steps(11)
    eq(rig.lights.scene.running, False, "the scene's fade ended")
    states = rig.states()
    eq(states[-1][0], 3000, "LIGHT_STATE: the scene")


def scenario_light_state_carries_what_each_strip_shows():
    rig = Rig()
    rig.scene(2700, 255)
    rig.steps(1)
    state = rig.states()[-1]
    kelvin, brightness, amber, _flags, current, _budget, shown = state
    eq((kelvin, brightness, amber), (2700, 255, 0), "the scene")
    eq(len(shown), 6, "two strips, three bytes each")
    ok(shown[0] == 255 and shown[1] < shown[0] and shown[2] < shown[1], "warm on the GRBW strip")
    ok(shown[3] == 255 and shown[5] < shown[3], "warm on the white strip")
    ok(current > 0, "the current drawn")


if __name__ == "__main__":
    run_all(globals())
