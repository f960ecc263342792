"""The interactive console: a prompt with history and completion, the board's answers above
it, and the live area (vitrine.console.live) in the bottom toolbar, refreshed a few times a
second. A state-changing command first shows what it would do and asks y/N.

Keys: Tab completes a command or argument, Up/Down walk the history (kept in the user's state
folder across sessions), Ctrl-C clears the line, Ctrl-D or `exit` leaves.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from prompt_toolkit import PromptSession
from prompt_toolkit.application import get_app
from prompt_toolkit.history import FileHistory
from prompt_toolkit.patch_stdout import patch_stdout

from vitrine.bus import Subscription
from vitrine.console.completion import ConsoleCompleter, parse_help
from vitrine.console.errors import ConsoleError, ConsoleRefused
from vitrine.console.live import LiveView
from vitrine.console.session import Answer, Console
from vitrine.link import messages as m
from vitrine.tasks import stop_task
from vitrine_fw import wire

LOCAL_COMMANDS = ("exit", "quit")
REFRESH_S = 0.25  # the live area's refresh period
_LEVELS = {wire.LOG_DEBUG: "debug", wire.LOG_INFO: "info", wire.LOG_WARNING: "warning"}


def history_file() -> Path:
    """Where the command history is kept: $XDG_STATE_HOME/vitrine/console-history, else
    ~/.local/state/vitrine/console-history."""
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "vitrine" / "console-history"


def _event_line(event: object) -> str | None:
    """A line for a bus event worth showing above the prompt, or None."""
    if isinstance(event, m.Log):
        level = _LEVELS.get(event.level, "error")
        return f"[{event.board} {level}] {event.subsystem}: {event.text}"
    if isinstance(event, m.BoardRebooted):
        return f"-- {event.board} reset (cause {event.hello.reset_cause_name}); shaking hands again"
    if isinstance(event, m.BoardLost):
        return f"-- link to {event.board} lost: {event.reason}; reconnecting"
    if isinstance(event, m.BoardConnected):
        return f"-- {event.board} up (reset cause {event.hello.reset_cause_name})"
    if isinstance(event, m.BoardRefused):
        return f"-- {event.board} refused: {event.message}"
    return None


class ConsoleUI:
    """One interactive session on a connected console (on the board's port, or through the
    daemon)."""

    def __init__(self, client: Console, history: Path, live: bool = True) -> None:
        self.client = client
        self.live = LiveView(client)
        self.show_live = live
        history.parent.mkdir(parents=True, exist_ok=True)
        self.session: PromptSession[str] = PromptSession(
            history=FileHistory(str(history)),
            complete_while_typing=False,
            bottom_toolbar=self._toolbar if live else None,
            refresh_interval=REFRESH_S if live else 0,
        )
        self.ask: PromptSession[str] = PromptSession()  # y/N, kept out of the history

    def _toolbar(self) -> str:
        width = get_app().output.get_size().columns
        return "\n".join(self.live.lines(max(width - 1, 20)))

    async def run(self) -> int:
        """Prompt until exit; returns the exit status (0)."""
        help_answer = await self.client.run("help")
        self.session.completer = ConsoleCompleter(parse_help(help_answer.text), LOCAL_COMMANDS)
        events = (
            m.Heartbeat,
            m.TouchReport,
            m.TouchHealth,
            m.Log,
            m.BoardConnected,
            m.BoardRebooted,
            m.BoardLost,
            m.BoardRefused,
        )
        hello = self.client.hello
        via = f" through {self.client.via}" if self.client.via else ""
        print(
            f"{hello.role} board on {self.client.url}{via}: firmware {hello.fw_version} "
            f"({hello.build_hash}). Type help; Tab completes, Up recalls, Ctrl-D leaves."
        )
        with self.client.bus.subscribe(*events) as sub, patch_stdout(raw=True):
            tasks = [asyncio.create_task(self._pump(sub))]
            if self.show_live:
                tasks.append(asyncio.create_task(self.live.poll()))
            try:
                await self._loop()
            finally:
                for task in tasks:
                    await stop_task(task)
        return 0

    async def _pump(self, sub: Subscription) -> None:
        async for event in sub:
            self.live.feed(event)
            line = _event_line(event)
            if line is not None:
                print(line)

    async def _loop(self) -> None:
        prompt = f"{self.client.role}> "
        while True:
            try:
                line = (await self.session.prompt_async(prompt)).strip()
            except KeyboardInterrupt:
                continue
            except EOFError:
                return
            if not line:
                continue
            if line in LOCAL_COMMANDS:
                return
            answer = await self.execute(line)
            if answer is not None and answer.left_firmware:
                url = self.client.url
                print(f"the board is leaving the firmware; connect with: mpremote connect {url}")
                return

    async def execute(self, line: str) -> Answer | None:
        """Run one line, asking first when the board says it changes state; prints the result."""
        try:
            answer = await self.client.run(line)
            if answer.status == wire.CONSOLE_CONFIRM:
                what = answer.text.splitlines()[0] if answer.text else line
                print(what)
                reply = await self.ask.prompt_async("go ahead? [y/N] ")
                if reply.strip().lower() not in ("y", "yes"):
                    print("not done")
                    return None
                answer = await self.client.run(line, confirm=True)
        except ConsoleRefused as err:
            print(f"{err.reason}: {err.detail}")
            return None
        except ConsoleError as err:
            print(str(err))
            return None
        except (KeyboardInterrupt, EOFError):
            print("not done")
            return None
        print(answer.text)
        return answer
