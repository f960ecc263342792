"""The world channel: what happens in front of a virtual board, sent by the simulation to the
board process over a socket pair of its own (the board's serial line is a separate pair), and
what the board does to the world, sent back on the same pair.

One JSON object per line, each the whole state of what it names, so a later line replaces an
earlier one and a line lost during a reset loses nothing. Toward the board:

    {"fingers": [[x_mm, y_mm, diameter_mm], ...]}   # exactly these fingers on the glass
    {"world": {...}, "epoch": s}    # the people in front of the mirror (vitrine.sim.people's
                                    # JSON) and the monotonic time of the world's t = 0
    {"world": {...}, "epoch": s, "keys": {"LOYALTY_ID": "32 hex digits", ...}}
                                    # ... to a board that hears phones (the beacon board):
                                    # its radio hears their advertisements through the
                                    # simulated air (vitrine.sim.air), the consenting members'
                                    # phones' tokens made with these keys (what the store's
                                    # app holds on each member's phone)
    {"faults": {"i2c_low": bool, "pir_stuck": bool}}   # the presence board's part faults

The board side (`read_world`, a thread of the board process) reports a line it cannot use on
stderr and goes on: nothing sent to a board stops its firmware. It ends when the simulation
closes the channel. Back from the board (`StripReporter`, another thread of it), after the
firmware latched a frame on an LED strip:

    {"strips": [{"pin": 16, "order": "GRBW", "pixels": 60, "colour": [r, g, b, w],
                 "uniform": true, "writes": 812}, ...]}

`colour` is the first pixel's (r, g, b, w for a strip with white LEDs), `uniform` whether every
pixel shows it, `writes` the frames latched since the board's boot. A board with PWM outputs
adds "pwm": [{"pin", "duty", "freq"}, ...], and a lights board "meter": what its strips draw
(vitrine.sim.lighting). The reporter sends the newest state only, from its own thread, so the
firmware never waits for the channel.

A board whose config has a "frame" (the touch role) gets its glass from `attach_glass` before
its firmware starts: the same per-beam gains at every boot of the same board (seeded from its
uid), and a drift that follows the machine's clock from the simulation's power-on, so a reset
does not cool the LEDs down.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import socket
import sys
import threading
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Protocol, TextIO

from vitrine.sim.board import SimLedStrip, SimPWM
from vitrine.sim.glass import BarLight, Conditions, Dirt, Finger, Glass
from vitrine.sim.lighting import Meter
from vitrine.sim.people import Stage, World
from vitrine.sim.sensors import PresenceParts

if TYPE_CHECKING:  # imported by a board that has a radio (the air needs crypto)
    from vitrine.sim.radio import SimRadio

_FINGER = ("x_mm", "y_mm", "diameter_mm")  # a finger on the channel: a list of these


class _HasGlass(Protocol):
    glass: Glass | None


class _Board(_HasGlass, Protocol):
    """What the world channel acts on: the glass, the stage, the presence board's parts, the
    radio that hears phones."""

    stage: Stage | None
    radio: SimRadio | None
    parts: PresenceParts | None
    i2c_stuck: set[int]


class BoardGlass(Glass):
    """The glass of a running virtual board: its drift follows the machine's clock."""

    def __init__(self, frame: dict, noise: Conditions | None, seed: int, epoch: float) -> None:
        super().__init__(frame, noise, seed)
        self.epoch = epoch  # power-on, on the monotonic clock

    def sample(self, req):  # type: ignore[no-untyped-def] - Glass.sample's, timed by the clock
        self.t_s = max(0.0, time.monotonic() - self.epoch)
        return super().sample(req)


def glass_seed(uid: str) -> int:
    """The seed of a board's glass (its per-beam gains): fixed by the board's uid."""
    return int.from_bytes(hashlib.sha256(f"glass-{uid}".encode()).digest()[:8], "big")


def attach_glass(
    board: _HasGlass,
    cfg: dict[str, Any],
    uid: str,
    noise: Conditions | None = None,
    epoch: float | None = None,
) -> None:
    """Give a board with a frame in its config its glass (a board without one gets none)."""
    if "frame" in cfg:
        epoch = time.monotonic() if epoch is None else epoch
        board.glass = BoardGlass(cfg["frame"], noise, glass_seed(uid), epoch)


def noise_json(noise: Conditions) -> str:
    """A board's glass conditions as the simulation passes them to the board process
    (--noise)."""
    return json.dumps(dataclasses.asdict(noise), separators=(",", ":"))


def noise_from_json(text: str) -> Conditions:
    """The inverse of noise_json (fields left out keep their defaults); raises ValueError."""
    try:
        data = json.loads(text)
    except ValueError as err:
        raise ValueError(f"not JSON ({err})") from err
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    fields = {f.name for f in dataclasses.fields(Conditions)}
    unknown = sorted(set(data) - fields)
    if unknown:
        raise ValueError(f"unknown key {unknown[0]!r}; allowed: {', '.join(sorted(fields))}")
    try:
        if "light" in data:
            data["light"] = {bar: BarLight(**v) for bar, v in data["light"].items()}
        if "dirt" in data:
            data["dirt"] = tuple(Dirt(**d) for d in data["dirt"])
    except (TypeError, AttributeError) as err:
        raise ValueError(f"light or dirt: {err}") from err
    return Conditions(**data)


def fingers_line(fingers: Iterable[Finger]) -> bytes:
    """The line that puts exactly these fingers on the glass."""
    message = {"fingers": [[f.x_mm, f.y_mm, f.diameter_mm] for f in fingers]}
    return json.dumps(message, separators=(",", ":")).encode() + b"\n"


def _finger(item: Any) -> Finger:
    if not isinstance(item, list) or len(item) != len(_FINGER):
        raise ValueError(f"{item!r} is not [x_mm, y_mm, diameter_mm]")
    if not all(
        isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in item
    ):
        raise ValueError(f"{item!r} holds something other than finite numbers")
    return Finger(float(item[0]), float(item[1]), float(item[2]))


def world_line(world: World, epoch: float, keys: dict[str, bytes] | None = None) -> bytes:
    """The line that puts this world of people in front of a board (epoch: the monotonic time
    of the world's t = 0); keys, for a board that hears phones: the members' phones' keys."""
    message: dict[str, Any] = {"world": world.to_json(), "epoch": epoch}
    if keys is not None:
        message["keys"] = {member: key.hex() for member, key in sorted(keys.items())}
    return json.dumps(message, separators=(",", ":")).encode() + b"\n"


_KEY_BYTES = 16  # a member's key (vitrine.devices.beacons.loyalty.KEY_BYTES)


def check_keys(value: Any) -> dict[str, bytes]:
    """The members' phones' keys from their JSON ({loyalty id: 32 hex digits}); raises
    ValueError naming the one that is wrong."""
    if not isinstance(value, dict):
        raise ValueError(f"keys={value!r}: allowed {{loyalty id: 32 hex digits}}")
    out = {}
    for member, key in value.items():
        try:
            raw = bytes.fromhex(key) if isinstance(key, str) else b""
        except ValueError:
            raw = b""
        if len(raw) != _KEY_BYTES:
            raise ValueError(f"keys[{member!r}]={key!r}: allowed 32 hex digits (a 16-byte key)")
        out[str(member)] = raw
    return out


def faults_line(*, i2c_low: bool = False, pir_stuck: bool = False) -> bytes:
    """The line that sets the presence board's part faults."""
    return json.dumps({"faults": {"i2c_low": i2c_low, "pir_stuck": pir_stuck}}).encode() + b"\n"


_KEYS = ("fingers", "world", "epoch", "keys", "faults")


def apply(board: _Board, line: bytes) -> None:
    """Carry out one line of the world channel; raises ValueError when it cannot be used
    (and then changes nothing)."""
    try:
        message = json.loads(line)
    except ValueError as err:
        raise ValueError(f"not JSON ({err})") from err
    if not isinstance(message, dict):
        raise ValueError("not a JSON object")
    unknown = sorted(set(message) - set(_KEYS))
    if unknown:
        raise ValueError(f"unknown key {unknown[0]!r}; allowed: {', '.join(_KEYS)}")
    if "world" in message:
        _apply_world(board, message)
    if "faults" in message:
        _apply_faults(board, message["faults"])
    if "fingers" in message:
        fingers = message["fingers"]
        if not isinstance(fingers, list):
            raise ValueError("fingers: not a list")
        if board.glass is None:
            raise ValueError("fingers: this board has no touch frame")
        board.glass.set_fingers([_finger(item) for item in fingers])


def _apply_world(board: _Board, message: dict[str, Any]) -> None:
    epoch = message.get("epoch")
    if isinstance(epoch, bool) or not isinstance(epoch, (int, float)) or not math.isfinite(epoch):
        raise ValueError(f"epoch={epoch!r}: allowed the monotonic time of the world's start (s)")
    world = World.from_json(message["world"])
    if "keys" in message:  # a board that hears the phones
        keys = check_keys(message["keys"])
        if board.radio is None:
            raise ValueError("world: keys for a board without a radio")
        board.radio.hear(world, float(epoch), keys)
        return
    if board.stage is None:
        raise ValueError("world: this board has no sensors that watch people")
    board.stage.world = world  # one assignment: the sensors' threads see the whole new world
    board.stage.epoch = float(epoch)


def _apply_faults(board: _Board, faults: Any) -> None:
    if not isinstance(faults, dict) or set(faults) - {"i2c_low", "pir_stuck"}:
        raise ValueError(f"faults={faults!r}: allowed {{i2c_low: bool, pir_stuck: bool}}")
    parts = board.parts
    if parts is None:
        raise ValueError("faults: this board has no presence sensors")
    if faults.get("i2c_low"):
        board.i2c_stuck.add(parts.bus)
    else:
        board.i2c_stuck.discard(parts.bus)
    if parts.pir is not None:
        parts.pir.stuck = bool(faults.get("pir_stuck"))


def read_world(sock: socket.socket, board: _Board, errors: TextIO | None = None) -> None:
    """The board's end of the channel: carry out each line until the simulation closes it."""
    errors = errors or sys.stderr
    with sock, sock.makefile("rb") as lines:
        while True:
            try:
                line = lines.readline()
            except OSError:
                return
            if not line:
                return
            if not line.strip():
                continue
            try:
                apply(board, line)
            except Exception as err:  # a bad line never stops the board
                text = line[:120].decode(errors="replace").rstrip()
                print(f"world: ignored {text!r}: {err}", file=errors, flush=True)


# --- back from the board: its LED strips -------------------------------------------------------


class _HasStrips(Protocol):
    strips: dict[int, SimLedStrip]
    pwms: dict[int, SimPWM]


def strips_state(strips: Iterable[SimLedStrip]) -> list[dict[str, Any]]:
    """What the strips show, in pin order (the module docstring says what each key means)."""
    out = []
    for strip in sorted(strips, key=lambda s: s.pin):
        shown = strip.shown
        first = shown[0] if shown else ()
        out.append(
            {
                "pin": strip.pin,
                "order": strip.order,
                "pixels": strip.n,
                "colour": list(first),
                "uniform": all(p == first for p in shown),
                "writes": strip.writes,
            }
        )
    return out


def strips_line(
    strips: Iterable[SimLedStrip],
    pwms: Iterable[SimPWM] = (),
    meter: Meter | None = None,
) -> bytes:
    """The line that says what these strips show, the PWM outputs' duties and, when the board
    has a meter, what they draw."""
    message: dict[str, Any] = {"strips": strips_state(strips)}
    outputs = sorted(pwms, key=lambda p: p.pin)
    if outputs:
        message["pwm"] = [{"pin": p.pin, "duty": p.duty_u16(), "freq": p.freq()} for p in outputs]
    if meter is not None:
        message["meter"] = meter.state()
    return json.dumps(message, separators=(",", ":")).encode() + b"\n"


def read_strips(line: bytes) -> dict[str, Any]:
    """What a line from the board says of its strips ({"strips": [...], maybe "pwm" and
    "meter"}); raises ValueError when it is not such a line."""
    try:
        message = json.loads(line)
    except ValueError as err:
        raise ValueError(f"not JSON ({err})") from err
    if not isinstance(message, dict) or not isinstance(message.get("strips"), list):
        raise ValueError('not a {"strips": [...]} object')
    strips = message["strips"]
    if not all(isinstance(s, dict) for s in strips):
        raise ValueError("strips: not a list of objects")
    return message


class StripReporter:
    """The board's end of the way back: after every latch on one of the board's strips, the
    state of them all goes to the simulation (the newest only), from a thread of its own."""

    def __init__(self, sock: socket.socket, board: _HasStrips, meter: Meter | None = None) -> None:
        self._sock = sock
        self._board = board
        self.meter = meter
        self._changed = threading.Condition()
        self._dirty = False

    def changed(self, strip: SimLedStrip | None = None) -> None:
        """A strip latched a frame (called on the firmware's thread; never waits)."""
        with self._changed:
            self._dirty = True
            self._changed.notify()

    def run(self) -> None:
        """Send the strips' state whenever it changed, until the channel closes."""
        while True:
            with self._changed:
                while not self._dirty:
                    self._changed.wait()
                self._dirty = False
            board = self._board
            line = strips_line(list(board.strips.values()), list(board.pwms.values()), self.meter)
            try:
                self._sock.sendall(line)
            except OSError:
                return
