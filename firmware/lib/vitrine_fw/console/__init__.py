# The technicians' console on the board: command lines from the host (CONSOLE_CMD), answered
# as text in parts (the ACK carries the first, CONSOLE_READ fetches the others; protocol.md
# §9). The commands themselves are in commands.py; this file is the service around them:
#
# - parsing: words separated by spaces; `--yes` anywhere confirms a state-changing command
#   (and is ignored by the others);
# - confirmation: a state-changing command without --yes does nothing and answers with status
#   CONSOLE_CONFIRM, saying what it would do and how to confirm;
# - production boards (config.json "production": true): commands are rate-limited by a token
#   bucket (NACK busy, "retry after N ms ..."), and `repl` is refused;
# - the answer: its UTF-8 bytes kept until the next command, cut into CONSOLE_PART-byte parts;
# - deferred actions: a reboot, or leaving for the REPL, happens in this service's task once
#   the ACK has gone out.
#
# Errors a person can fix (an unknown command, a bad argument, a command this board cannot
# carry out) are NACK refused with a detail naming the thing and what is allowed.

try:
    from micropython import const
except ImportError:

    def const(x):
        return x


import asyncio

from vitrine_fw import wire
from vitrine_fw.console.commands import Commands
from vitrine_fw.link import Busy, Refused

RATE_INTERVAL_MS = const(250)  # production boards: one command per 250 ms on average ...
RATE_BURST = const(8)  # ... and up to 8 at once after a quiet spell
_IDLE_MS = const(50)  # the task's period
_LEAVE_DELAY_MS = const(100)  # time for the ACK to leave before the board resets
MAX_ANSWER = wire.CONSOLE_PART * wire.CONSOLE_MAX_PARTS  # bytes of one answer at most
_CUT = "\n(answer cut at %d bytes)" % MAX_ANSWER


class Console:
    """The console service: registers CONSOLE_CMD and CONSOLE_READ on the link.

    subsystems: the running subsystem objects by name (see commands.py for the hooks the
    console calls on them)."""

    def __init__(self, board, cfg, link, supervisor, subsystems):
        self.board = board
        self.cfg = cfg
        self.link = link
        self.clock = board.clock
        self.production = cfg.get("production", False)
        self.commands = Commands(board, cfg, link, supervisor, subsystems, self)
        self.answer = b""  # the last answer's UTF-8 bytes
        self.answer_req = -1  # the seq of the command it answers
        self.answer_parts = 0
        self.bucket_ms = RATE_BURST * RATE_INTERVAL_MS  # tokens, in ms of allowance
        self.bucket_at = self.clock.ticks_ms()
        self.pending = None  # "reboot" or "repl": what the task does once the ACK has left
        link.on(wire.CONSOLE_CMD, self.on_command)
        link.on(wire.CONSOLE_READ, self.on_read)

    # --- wire handlers ------------------------------------------------------------------------

    def on_command(self, values):
        """CONSOLE_CMD(line): run it; the ACK result is status, parts, the first part."""
        if self.production:
            self.take_token()
        words = values[0].split()
        yes = "--yes" in words
        words = [w for w in words if w != "--yes"]
        if not words:
            raise Refused("empty command line; type help for the commands")
        status, text = self.commands.run(words[0], words[1:], yes)
        return self.keep(status, text)

    def on_read(self, values):
        """CONSOLE_READ(req, part): that part of the last answer."""
        req, part = values
        if req != self.answer_req:
            raise Refused(
                "no answer to command %d here: only the last command's answer is kept" % req
            )
        if not 1 <= part < self.answer_parts:
            raise Refused(
                "part %d: the answer to command %d has parts 0..%d"
                % (part, req, self.answer_parts - 1)
            )
        start = part * wire.CONSOLE_PART
        return self.answer[start : start + wire.CONSOLE_PART]

    # --- the service's pieces -------------------------------------------------------------

    def keep(self, status, text):
        """Keep an answer for CONSOLE_READ; returns the CONSOLE_CMD ACK's result."""
        data = text.encode()
        if len(data) > MAX_ANSWER:
            cut = _CUT.encode()
            data = data[: MAX_ANSWER - len(cut)] + cut
        self.answer = data
        self.answer_req = self.link.command_seq
        self.answer_parts = max(1, (len(data) + wire.CONSOLE_PART - 1) // wire.CONSOLE_PART)
        return bytes((status, self.answer_parts)) + data[: wire.CONSOLE_PART]

    def take_token(self):
        """One command's worth from the production rate limit, or raise Busy."""
        now = self.clock.ticks_ms()
        full = RATE_BURST * RATE_INTERVAL_MS
        elapsed = self.clock.ticks_diff(now, self.bucket_at)
        level = self.bucket_ms + elapsed if elapsed >= 0 else full
        if level > full:
            level = full
        self.bucket_at = now
        if level < RATE_INTERVAL_MS:
            self.bucket_ms = level
            raise Busy(
                "retry after %d ms: a production board takes %d console commands a second"
                " (%d at once)" % (RATE_INTERVAL_MS - level, 1000 // RATE_INTERVAL_MS, RATE_BURST)
            )
        self.bucket_ms = level - RATE_INTERVAL_MS

    def later(self, action):
        """Have the task carry out "reboot" or "repl" once the current ACK has gone out."""
        self.pending = action

    async def run(self, alive):
        """Task: carries out a confirmed reboot or repl after its ACK (everything else happens
        in the link's handlers)."""
        while True:
            alive()
            action = self.pending
            if action is not None:
                await asyncio.sleep(_LEAVE_DELAY_MS / 1000)
                self.pending = None
                if action == "repl":
                    self.link.close()  # on USB-CDC this gives Ctrl-C back
                    self.board.reset_to_repl()  # neither returns on a board
                else:
                    self.board.reset()
            await asyncio.sleep(_IDLE_MS / 1000)
