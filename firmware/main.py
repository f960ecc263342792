# Board entry point: read config.json, build the real board object and hand both to the
# supervisor. A config error leaves the board at the REPL with the error printed (so a builder
# can fix it with mpremote), as does a boot the console's `repl` command asked for (see
# vitrine_fw/bootflag.py); anything else that escapes the supervisor resets the board.
import sys

from vitrine_fw import bootflag, config, hal, supervisor


def start():
    # Taken at every boot, so a flag is never left for a later one: was the reset before this
    # boot one the firmware asked for (the board's reset cause then says soft)?
    reset_requested = bootflag.take_reset_request()
    if bootflag.take_repl_request():
        print(bootflag.REPL_MESSAGE)
        return
    try:
        cfg = config.load("config.json")
    except (OSError, ValueError) as err:
        print("vitrine: not starting:", err)
        return
    board = hal.Board(cfg, reset_requested)
    try:
        supervisor.main(board, cfg)
    except Exception as err:  # last resort: log to the console and reset
        sys.print_exception(err)
        board.reset()


start()
