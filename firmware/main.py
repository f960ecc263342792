# Board entry point: read config.json, build the real board object and hand both to the
# supervisor. A config error leaves the board at the REPL with the error printed (so a builder
# can fix it with mpremote); anything else that escapes the supervisor resets the board.
import sys

from vitrine_fw import config, hal, supervisor

try:
    cfg = config.load("config.json")
except (OSError, ValueError) as err:
    print("vitrine: not starting:", err)
else:
    board = hal.Board(cfg)
    try:
        supervisor.main(board, cfg)
    except Exception as err:  # last resort: log to the console and reset
        sys.print_exception(err)
        board.reset()
