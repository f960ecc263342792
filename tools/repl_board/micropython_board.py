# The virtual board's `micropython` module: the built-in one, with kbd_intr() also telling
# the board (tools/repl_board.mjs) whether Ctrl-C on its port interrupts running code.
import _vboard
from micropython import *  # noqa: F403
from micropython import kbd_intr as _kbd_intr


def kbd_intr(chr):
    _kbd_intr(chr)
    _vboard.kbd(chr)
