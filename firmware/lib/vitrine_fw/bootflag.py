# The console's `repl` across a reset: a one-shot flag file that tells main.py to leave the
# firmware stopped at the next boot, so the board sits at MicroPython's REPL for mpremote.
#
# Why a reset and not just ending the firmware: the hardware watchdog cannot be stopped once
# started (on the ESP32-S3 and the RP2040 alike, and not by a soft reset either), so a board
# whose firmware merely returned to the REPL would be reset by it within watchdog_ms, in the
# middle of whatever mpremote was doing. Booting with the flag set starts no watchdog at all.
#
# The flag is taken (removed) by the boot that honours it: the next reset, a power cycle or
# mpremote's own `reset`, starts the firmware again. mpremote's soft resets in the raw REPL do
# not run main.py, so they leave the board at the REPL.

import os

FLAG = "vitrine-repl.once"  # beside config.json, in the board's working folder
REPL_MESSAGE = (
    "vitrine: firmware not started: the console asked for the REPL at this boot "
    "(a reset starts the firmware again)"
)


def request_repl(path=FLAG):
    """Set the flag: the next boot leaves the firmware stopped, at the REPL."""
    with open(path, "w") as f:
        f.write("repl\n")


def take_repl_request(path=FLAG):
    """True when the flag was set (it is removed: the request holds for one boot)."""
    try:
        os.stat(path)
    except OSError:
        return False
    os.remove(path)
    return True
