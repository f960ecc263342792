"""The console's live area: the board's identity, uptime and link counters (from HEARTBEAT
and the host's own counters), and on a touch board the straight beams' map (polled with
`beams straight` a few times a second) with the contacts on the glass (from TOUCH_REPORT).

`LiveView.lines(width)` renders it as plain text lines of at most `width` characters, so the
terminal UI shows it and the tests read it without a terminal.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field

from vitrine.console.errors import ConsoleError, ConsoleRefused
from vitrine.console.session import Console
from vitrine.link import messages as m
from vitrine_fw import wire

POLL_S = 0.5  # the beam map's refresh period
MAX_POLL_S = 8.0  # ... backed off to this while a production board's rate limit says busy
_MAP_LINE = re.compile(r"^([xy][+-]\d+)\s+(\d+)\s+([.\-#x!?]+)$")
_WORST = "x!#-?."  # a squeezed map cell shows the first of these among its beams


@dataclass
class BeamMap:
    """A `beams` answer: its summary line and each family's characters, in beam order."""

    summary: str
    families: dict[str, str] = field(default_factory=dict)


def parse_beam_map(text: str) -> BeamMap:
    """The map lines of a `beams` answer (docs/console.md), joined per family."""
    lines = text.splitlines()
    beam_map = BeamMap(lines[0] if lines else "")
    for line in lines[1:]:
        match = _MAP_LINE.match(line)
        if match:
            name, _start, chars = match.groups()
            beam_map.families[name] = beam_map.families.get(name, "") + chars
    return beam_map


def squeeze(chars: str, width: int) -> str:
    """A family's map in at most `width` cells; a cell covering several beams shows the
    worst of them (failed, saturated, blocked, dimmed, unknown, clear)."""
    if width <= 0:
        return ""
    n = len(chars)
    if n <= width:
        return chars
    cells = []
    for i in range(width):
        part = chars[i * n // width : (i + 1) * n // width]
        cells.append(next((c for c in _WORST if c in part), "."))
    return "".join(cells)


class LiveView:
    """What the live area shows, kept up to date from the bus and the map poll."""

    def __init__(self, client: Console) -> None:
        self.client = client
        self.heartbeat: m.Heartbeat | None = None
        self.contacts: tuple[m.Contact, ...] = ()
        self.health: m.TouchHealth | None = None
        self.beam_map: BeamMap | None = None
        self.note: str | None = None  # why the map is not fresh

    @property
    def has_touch(self) -> bool:
        hello = self.client.link.hello
        return hello is not None and bool(hello.capabilities & wire.CAP_TOUCH)

    def feed(self, event: object) -> None:
        """Take in a message from the bus."""
        if isinstance(event, m.Heartbeat):
            self.heartbeat = event
        elif isinstance(event, m.TouchReport):
            self.contacts = tuple(c for c in event.contacts if c.state != wire.CONTACT_UP)
        elif isinstance(event, m.TouchHealth):
            self.health = event
        elif isinstance(event, (m.BoardRebooted, m.BoardLost)):
            self.contacts = ()

    async def poll(self, interval_s: float = POLL_S) -> None:
        """Task: refresh the beam map while the board has a touch frame."""
        delay = interval_s
        while self.has_touch:
            try:
                answer = await self.client.run("beams straight", busy_wait_s=0)
            except ConsoleRefused as err:
                if err.reason != "busy":
                    self.note = f"no beam map: {err.detail}"
                    return
                delay = min(delay * 2, MAX_POLL_S)
                self.note = f"map every {delay:g} s: the board's rate limit says busy"
            except ConsoleError as err:
                self.note = f"map not refreshed: {err}"
            else:
                self.beam_map = parse_beam_map(answer.text)
                if delay == interval_s:
                    self.note = None
            await asyncio.sleep(delay)

    def lines(self, width: int) -> list[str]:
        """The live area, as lines of at most width characters."""
        link = self.client.link
        hello = link.hello
        counters = link.snapshot()["counters"]
        head = f"{link.name}  link {link.state.value}"
        if hello is not None:
            head = f"{hello.role} {hello.fw_version} ({hello.build_hash})  link {link.state.value}"
        hb = self.heartbeat
        if hb is not None:
            head += f"  up {hb.uptime_ms / 1000:.0f} s"
        out = [
            head,
            f"host rx {counters['frames_rx']} tx {counters['frames_tx']} "
            f"crc {counters['crc_errors']} framing {counters['framing_errors']} "
            f"gaps {counters['gaps']} timeouts {counters['command_timeouts']}"
            + (
                f" | board rx {hb.rx_frames} crc {hb.crc_errors} framing {hb.framing_errors} "
                f"gaps {hb.gaps} tx dropped {hb.tx_dropped}"
                if hb is not None
                else ""
            ),
        ]
        if hello is not None and not self.has_touch:
            out.append("no touch frame; running: " + ", ".join(hello.capability_names))
        elif hello is not None:
            out += self._touch_lines(width)
        return [line[:width] for line in out]

    def _touch_lines(self, width: int) -> list[str]:
        beam_map = self.beam_map
        if beam_map is not None:
            summary = beam_map.summary
        elif self.health is not None:
            summary = f"{self.health.beams} beams: {self.health.failed} failed"
        else:
            summary = "beams: waiting for the first map"
        touching = ", ".join(
            f"#{c.id} ({c.x_mm:.0f}, {c.y_mm:.0f})" + (" palm" if c.is_palm else "")
            for c in self.contacts
        )
        out = [f"{summary} | contacts {len(self.contacts)}" + (f": {touching}" if touching else "")]
        if self.health is not None and self.health.blinded:
            axes = " and ".join(self.health.blinded_axes)
            out.append(f"{axes} bar blinded: its receivers are saturated (strong light on them)")
        if self.health is not None and not self.health.ready:
            out.append("taking the baseline: keep the glass clear")
        if beam_map is not None:
            for name, chars in beam_map.families.items():
                out.append(f"{name:<4} |{squeeze(chars, width - 7)}|")
        if self.note:
            out.append(self.note)
        return out
