# One-shot flag files that carry a word across a reset, in the board's working folder (beside
# config.json). Each is taken (removed) by the boot that reads it, so it holds for one boot.
#
# The REPL flag: the console's `repl` across a reset. The next boot leaves the firmware
# stopped, so the board sits at MicroPython's REPL for mpremote. Why a reset and not just
# ending the firmware: the hardware watchdog cannot be stopped once started (on the ESP32-S3
# and the RP2040 alike, and not by a soft reset either), so a board whose firmware merely
# returned to the REPL would be reset by it within watchdog_ms, in the middle of whatever
# mpremote was doing. Booting with the flag set starts no watchdog at all. The next reset, a
# power cycle or mpremote's own `reset`, starts the firmware again. mpremote's soft resets in
# the raw REPL do not run main.py, so they leave the board at the REPL.
#
# The reset flag: a reset that was asked for (the REBOOT command, the console's `reboot`,
# `vitrine flash`, main.py's last resort after an error) sets it just before machine.reset(),
# so the next boot reports reset cause soft. Without it a port could not tell such a reset
# from others: the RP2040's machine.reset() reboots through the watchdog, so its reset cause
# reads WDT_RESET exactly as after a hung firmware; the ESP32's reads HARD_RESET, as after a
# crash (a panic). A reset the firmware did not ask for finds no flag and reports what the
# port says.

import os

FLAG = "vitrine-repl.once"  # the REPL flag
RESET_FLAG = "vitrine-reset.once"  # the reset flag
REPL_MESSAGE = (
    "vitrine: firmware not started: the console asked for the REPL at this boot "
    "(a reset starts the firmware again)"
)


def request_repl(path=FLAG):
    """Set the REPL flag: the next boot leaves the firmware stopped, at the REPL."""
    with open(path, "w") as f:
        f.write("repl\n")


def take_repl_request(path=FLAG):
    """True when the REPL flag was set (it is removed: the request holds for one boot)."""
    return _take(path)


def request_reset(path=RESET_FLAG):
    """Set the reset flag: the reset that follows was asked for. Never raises: a filesystem
    that cannot take the file (full, read-only) must not stop the reset; that reset then
    reports the port's own cause."""
    try:
        with open(path, "w") as f:
            f.write("reset\n")
    except OSError:
        pass


def take_reset_request(path=RESET_FLAG):
    """True when the reset flag was set (it is removed: it speaks for one boot)."""
    return _take(path)


def _take(path):
    try:
        os.stat(path)
    except OSError:
        return False
    try:
        os.remove(path)
    except OSError:
        pass  # a read-only filesystem: the flag stays, but this boot still honours it
    return True
