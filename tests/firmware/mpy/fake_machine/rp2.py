# A fake `rp2` for the HAL tests under MicroPython: the rp2 port's names, signatures and
# constants (its micropython-stubs package; tests/firmware/test_fakes_follow_stubs.py compares
# them), recording what the HAL builds. asm_pio runs the program's function the way the port's
# assembler does (its instructions as the function's globals for the call) and records the
# instructions (pio_program.Instruction) instead of encoding them.

from pio_program import Instruction

built = []  # every fake object constructed, in order


class PIO:
    JOIN_NONE = 0
    JOIN_TX = 1
    JOIN_RX = 2
    SHIFT_LEFT = 0
    SHIFT_RIGHT = 1
    IN_LOW = 0
    IN_HIGH = 1
    OUT_LOW = 2
    OUT_HIGH = 3


_OPERANDS = (
    "block", "noblock", "pins", "x", "y", "null", "isr", "osr", "pc", "status",
    "not_x", "x_dec", "not_y", "y_dec", "x_not_y", "not_osre",
)  # fmt: skip


def _emitter(program, op):
    return lambda *args: Instruction(program, op, args)


def asm_pio(
    *,
    out_init=None,
    set_init=None,
    sideset_init=None,
    side_pindir=False,
    in_shiftdir=0,
    out_shiftdir=0,
    autopush=False,
    autopull=False,
    push_thresh=32,
    pull_thresh=32,
    fifo_join=PIO.JOIN_NONE,
):
    settings = {
        "out_init": out_init,
        "in_shiftdir": in_shiftdir,
        "out_shiftdir": out_shiftdir,
        "autopush": autopush,
        "autopull": autopull,
    }

    def assemble(f):
        program = []
        labels = {}
        names = {n: n for n in _OPERANDS}
        for op in ("pull", "push", "out", "in_", "jmp", "mov", "set", "nop", "wait", "irq"):
            names[op] = _emitter(program, op)
        names["label"] = lambda name: labels.__setitem__(name, len(program))
        names["wrap_target"] = lambda: labels.__setitem__("<wrap_target>", len(program))
        names["wrap"] = lambda: labels.__setitem__("<wrap>", len(program) - 1)
        g = f.__globals__
        saved = dict(g)
        g.update(names)
        try:
            f()
        finally:
            g.clear()
            g.update(saved)
        return {"settings": settings, "program": program, "labels": labels}

    return assemble


class StateMachine:
    def __init__(
        self,
        id,
        program=None,
        *,
        freq=-1,
        in_base=None,
        out_base=None,
        set_base=None,
        jmp_pin=None,
        sideset_base=None,
        in_shiftdir=None,
        out_shiftdir=None,
        push_thresh=None,
        pull_thresh=None,
    ):
        self.id = id
        self.program = program
        self.freq = freq
        self.out_base = out_base
        self.running = False
        built.append(self)

    def active(self, value=None):
        if value is not None:
            self.running = bool(value)
        return self.running


class DMA:
    def __init__(self):
        self.configs = []  # every config() call's arguments
        self.busy = False
        built.append(self)

    def pack_ctrl(self, *, default=None, size=2, inc_read=True, inc_write=True, **kwargs):
        # the port packs these into the channel's CTRL register value; kept readable here
        return {
            "size": size,
            "inc_read": inc_read,
            "inc_write": inc_write,
            "treq_sel": kwargs.get("treq_sel", 0x3F),
        }

    def config(self, *, read=None, write=None, count=None, ctrl=None, trigger=False):
        self.configs.append(
            {"read": read, "write": write, "count": count, "ctrl": ctrl, "trigger": trigger}
        )
        self.busy = trigger

    def active(self, value=None):
        if value is not None:
            self.busy = bool(value)
        return self.busy
