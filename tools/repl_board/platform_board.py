# What the virtual board adds to the WebAssembly MicroPython so that firmware written for a
# real port runs on it (imported once per boot by tools/repl_board.mjs):
#
# - `machine` (this folder's machine.py), `micropython.kbd_intr` reported to the board, and
#   `time.sleep_us` that does not round up to milliseconds (time_board.py);
# - asyncio.run(): the WebAssembly port's event loop is JavaScript's, so run() cannot block.
#   It starts the coroutine as a task and raises Running, which unwinds main.py; the board
#   then routes its port to the firmware until the task ends (returns, raises, or is
#   interrupted with Ctrl-C while kbd_intr allows it) and drops to the REPL, as a real board
#   does when asyncio.run() returns. Code after asyncio.run() in main.py does not run.
# - asyncio.StreamReader over sys.stdin: reads what the host writes to the board's port.
# - asyncio.sleep(0) waits 1 ms: the port's bytes arrive through JavaScript's event loop, which
#   gets no turn while a task that only ever sleeps 0 (a busy touch scan) keeps the loop busy.
# - asyncio.create_task(): no exception leaves a task (see _task);
# - once the firmware ended or the board reset, asyncio.sleep() raises SystemExit in the old
#   firmware's tasks, so none of them keeps running in the background.
import asyncio
import binascii
import sys

import _vboard
import micropython_board
import time_board

sys.modules["micropython"] = micropython_board
sys.modules["time"] = time_board

_stopped = [False]
_main = [None]
_create_task = asyncio.create_task
_sleep = asyncio.sleep
_sleep_ms = asyncio.sleep_ms
_TURN_S = 0.001  # the shortest sleep: JavaScript's event loop gets a turn (see above)


class Running(BaseException):
    pass


def sleep(t):
    if _stopped[0]:
        raise SystemExit
    return _sleep(t if t >= _TURN_S else _TURN_S)


def sleep_ms(t):
    if _stopped[0]:
        raise SystemExit
    return _sleep_ms(t if t >= 1 else 1)


async def _watch(coro):
    text = ""
    try:
        await coro
    except asyncio.CancelledError:
        text = 'Traceback (most recent call last):\n  File "main.py"\nKeyboardInterrupt: \n'
    except SystemExit:
        pass
    except BaseException as err:
        import io

        buf = io.StringIO()
        sys.print_exception(err, buf)
        text = buf.getvalue()
    _stopped[0] = True
    _vboard.ended(text)


async def _task(coro):
    # Nothing may escape a task into the JavaScript timer that ran it: that leaves the
    # WebAssembly instance in a broken state. SystemExit (machine.reset(), a stopped firmware)
    # ends the task quietly; anything else is printed, as MicroPython's asyncio does.
    try:
        return await coro
    except SystemExit:
        pass
    except BaseException as err:
        print("Task exception wasn't retrieved")
        sys.print_exception(err)


def create_task(coro):
    return _create_task(_task(coro))


def run(coro):
    _main[0] = _create_task(_watch(coro))
    raise Running


def interrupt():
    if _main[0] is not None:
        _main[0].cancel()


def stop():
    _stopped[0] = True


class StreamReader:
    def __init__(self, stream):
        self.stream = stream

    async def readinto(self, buf):
        while not _vboard.available():
            await sleep_ms(2)
        data = binascii.unhexlify(_vboard.take(len(buf)))
        n = len(data)
        memoryview(buf)[:n] = data
        return n

    async def read(self, n=-1):
        while not _vboard.available():
            await sleep_ms(2)
        return binascii.unhexlify(_vboard.take(n if n > 0 else 4096))


asyncio.run = run
asyncio.create_task = create_task
asyncio.sleep = sleep
asyncio.sleep_ms = sleep_ms
asyncio.StreamReader = StreamReader
