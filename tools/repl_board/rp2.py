# The virtual board's `rp2` module: what the touch board's firmware uses of the rp2 port's
# (its PIO state machine and DMA channels: vitrine_fw.hal.PioFrame), with the port's
# signatures and constants (its micropython-stubs package; tests/firmware/
# test_fakes_follow_stubs.py compares them), answered by an idle IR touch frame:
#
#   asm_pio(...)(program)      the program as given (nothing is assembled)
#   StateMachine(...)          remembers it runs
#   DMA()                      a channel reading the ADC's FIFO (address 0x400a000c) into a
#                              buffer is where conversions go; a channel feeding a state
#                              machine runs the scan's words at once: every conversion word
#                              (bit 31) reads "lit" (about 2100 of 4095) when its pins enable
#                              an axis's emitters (bits 16, 17) and "dark" (about 80) when not.
#                              Every channel is done as soon as it is configured.

_ADC_FIFO = 0x400A000C
_CONVERT = 1 << 31
_ENABLES = 3 << 16
_LIT = 2100
_DARK = 80
_results = [None]  # the buffer the ADC's conversions go to


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
    return _program


def _program(f):
    return f


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
        self.running = False

    def active(self, value=None):
        if value is not None:
            self.running = bool(value)
        return self.running


class DMA:
    def pack_ctrl(self, *, default=None, **kwargs):
        return 0

    def config(self, *, read=None, write=None, count=None, ctrl=None, trigger=False):
        if read == _ADC_FIFO:
            _results[0] = write
        elif isinstance(write, StateMachine) and trigger and _results[0] is not None:
            out = _results[0]
            k = 0
            for i in range(count or 0):
                w = read[i]
                if w & _CONVERT:
                    out[k] = _LIT if w & _ENABLES else _DARK
                    k += 1

    def active(self, value=None):
        return False
