"""The fitting-room lighting: scenes by name (a colour temperature, a brightness, an amber tint),
the commands that ask for one and their results, and the light the strips actually show.

The engine publishes a LightingCommand; the lights facade carries it out on the lighting
board where one is connected (LIGHT_SCENE, acknowledged and idempotent: a retry of it is
answered from the board's cache) and answers with a LightingResult. The board tells what its
strips show (LIGHT_STATE); the facade publishes it as LightShown, with each strip's colour as a
screen shows it, for the player's lighting screen and the status page.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from pydantic import Field, model_validator

from vitrine.bus import EventBus
from vitrine.link import messages as m
from vitrine.link.board import BoardLink
from vitrine.link.errors import CommandRejected, CommandTimeout, LinkDown
from vitrine.section import Section
from vitrine_fw import wire

log = logging.getLogger("vitrine.lights")

LightingStatus = Literal["applied", "no_device", "failed"]


@dataclass(frozen=True, slots=True, kw_only=True)
class LightingCommand:
    """Set this scene (a name from [lighting.scenes]), at its own brightness and fade unless
    given."""

    scene: str
    request_id: str
    t_ns: int
    brightness: int | None = None  # 0..255, perceptual
    fade_ms: int | None = None  # 0..10000


@dataclass(frozen=True, slots=True, kw_only=True)
class LightingResult:
    """What became of a LightingCommand: applied (the board acknowledged), no_device (no
    lighting board is up) or failed (detail says why)."""

    scene: str
    request_id: str
    status: LightingStatus
    detail: str | None
    t_ns: int


@dataclass(frozen=True, slots=True, kw_only=True)
class LightShown:
    """What the lights board's strips show (its LIGHT_STATE): the scene where the light is now,
    why it may differ from what was asked, and each strip's colour as a screen shows it."""

    kelvin: int | None  # None: a raw colour (LIGHT_SET), not a scene
    brightness: int  # perceptual, 0..255, as asked (the budget may dim it: "limited")
    amber: int
    flags: tuple[str, ...]  # fading, limited, safe, clamped
    current_ma: int  # what the strips draw
    budget_ma: int  # what the board allows them (0: none set)
    strips: tuple[str, ...]  # each strip's light, "#rrggbb" in sRGB
    colour: str  # the strips' mean light, "#rrggbb"
    t_ns: int

    def to_json(self) -> dict[str, Any]:
        return {
            "type": "light",
            "kelvin": self.kelvin,
            "brightness": self.brightness,
            "amber": self.amber,
            "flags": list(self.flags),
            "current_ma": self.current_ma,
            "budget_ma": self.budget_ma,
            "strips": list(self.strips),
            "colour": self.colour,
        }


def srgb_hex(linear: tuple[int, ...] | list[float]) -> str:
    """A linear-light r, g, b (0..255, what the LEDs give) as a screen's sRGB colour (the IEC
    61966-2-1 transfer function: the "gamma" the board leaves to the host)."""
    out = []
    for value in linear:
        c = min(1.0, max(0.0, value / 255))
        c = 12.92 * c if c <= 0.0031308 else 1.055 * c ** (1 / 2.4) - 0.055  # noqa: PLR2004
        out.append(round(c * 255))
    return "#{:02x}{:02x}{:02x}".format(*out)


def shown_of(state: m.LightState, t_ns: int) -> LightShown:
    """The LightShown of a board's LIGHT_STATE."""
    strips = state.shown
    mean = [sum(s[c] for s in strips) / len(strips) for c in range(3)] if strips else [0, 0, 0]
    return LightShown(
        kelvin=state.kelvin or None,
        brightness=state.brightness,
        amber=state.amber,
        flags=tuple(state.flag_names),
        current_ma=state.current_ma,
        budget_ma=state.budget_ma,
        strips=tuple(srgb_hex(s) for s in strips),
        colour=srgb_hex(mean),
        t_ns=t_ns,
    )


class Scene(Section):
    """A light by its colour temperature (mixed in mireds on the board), its perceptual
    brightness, an amber tint (on strips with coloured LEDs) and the fade to it."""

    label: str = Field(min_length=1, max_length=40)  # what the shopper reads
    kelvin: int = Field(ge=wire.LIGHT_MIN_KELVIN, le=wire.LIGHT_MAX_KELVIN)
    brightness: int = Field(default=200, ge=0, le=255)  # perceptual: 128 looks half as bright
    amber: int = Field(default=0, ge=0, le=255)
    fade_ms: int = Field(default=800, ge=0, le=wire.LIGHT_MAX_FADE_MS)


SCENE_NAME_CHARS = 32  # the longest scene name
# From fitting-room practice: a trial offered shop (3000 K), evening (2700 K), office (4000 K)
# and daylight (6500 K) lighting; sunset is warmer still, with amber.
DEFAULT_SCENES = {
    "daylight": Scene(label="Daylight", kelvin=6500, brightness=240),
    "office": Scene(label="Office", kelvin=4000, brightness=230),
    "shop": Scene(label="Shop", kelvin=3000, brightness=220),
    "evening": Scene(label="Evening", kelvin=2700, brightness=190),
    "sunset": Scene(label="Sunset", kelvin=2200, brightness=170, amber=80, fade_ms=1500),
}


class LightingConfig(Section):
    """[lighting]: the scenes a shopper can pick and the one a session starts and ends with."""

    default_scene: str = "daylight"
    scenes: dict[str, Scene] = Field(default_factory=lambda: dict(DEFAULT_SCENES))

    @model_validator(mode="after")
    def _default_exists(self) -> LightingConfig:
        if not self.scenes:
            raise ValueError("scenes: at least one scene is needed")
        for name in self.scenes:
            if not name.replace("-", "").replace("_", "").isalnum() or len(name) > SCENE_NAME_CHARS:
                raise ValueError(
                    f"scene name {name!r}: letters, digits, - and _, at most {SCENE_NAME_CHARS}"
                )
        if self.default_scene not in self.scenes:
            raise ValueError(
                f"default_scene {self.default_scene!r} is not one of the scenes "
                f"({', '.join(sorted(self.scenes))})"
            )
        return self


LIGHTS_ROLE = "lights"  # the role of the board that drives the strips


class BoardFinder(Protocol):
    """What the facade needs of the daemon's boards: vitrine.link.boards.Boards has it (and
    `links`, searched by the role in each board's HELLO when no link has the role's name)."""

    def by_name(self, name: str) -> BoardLink | None: ...


class Lights:
    """The lighting facade: carries out each LightingCommand on the lights board and publishes
    its LightingResult.

    The command's scene comes from [lighting] and goes to the board whose role is "lights" as
    LIGHT_SCENE (acknowledged, retried by the link with the same sequence number, so a retry is
    answered without being carried out twice); the board fades its strips to it. The result
    is "applied" on the board's ACK, "failed" with the NACK's reason or the timeout (or for a
    scene [lighting] does not have), "no_device" when no lights board is up. A board that
    reset shows its own light (dark, or its safe scene), so when the lights board connects
    (again), the last scene asked for is applied once more, with a LightingResult for the
    command that asked for it. What the strips show comes back as LightShown (`shown`).
    """

    def __init__(
        self,
        bus: EventBus,
        boards: BoardFinder,
        config: LightingConfig,
        *,
        role: str = LIGHTS_ROLE,
        clock: Callable[[], int] = time.monotonic_ns,
    ) -> None:
        self.bus = bus
        self.boards = boards
        self.config = config
        self.role = role
        self._clock = clock
        self.last: LightingCommand | None = None  # the last command for a known scene
        self.shown: LightShown | None = None  # what the board said its strips show

    def board(self) -> BoardLink | None:
        """The lights board's link while it is up: the link of that name, else one whose
        board said it has that role; None when no such board is up."""
        link = self.boards.by_name(self.role)
        if link is not None and link.is_up:
            return link
        links: dict[str, BoardLink] = getattr(self.boards, "links", {})
        for other in links.values():
            if other.is_up and other.hello is not None and other.hello.role == self.role:
                return other
        return None

    async def run(self) -> None:
        """Carry out commands until cancelled; apply the last scene again when the lights
        board connects."""
        with self.bus.subscribe(LightingCommand, m.BoardConnected, m.LightState) as events:
            async for event in events:
                if isinstance(event, LightingCommand):
                    self.bus.publish(await self.apply(event))
                elif isinstance(event, m.LightState):
                    self._shown(event)
                elif event.hello.role == self.role and self.last is not None:
                    log.info("%s board connected: scene %s again", self.role, self.last.scene)
                    self.bus.publish(await self.apply(self.last))

    def _shown(self, state: m.LightState) -> None:
        link = self.board()
        if link is None or state.board != link.name:
            return  # another board's, or one not up
        self.shown = shown_of(state, self._clock())
        if "limited" in self.shown.flags and (self.last is not None):
            log.debug("lighting: the budget dims the light (%d mA)", state.current_ma)
        self.bus.publish(self.shown)

    async def apply(self, command: LightingCommand) -> LightingResult:
        """Set the command's scene on the lights board; what became of it."""
        scene = self.config.scenes.get(command.scene)
        if scene is None:
            scenes = ", ".join(sorted(self.config.scenes))
            return self._result(
                command, "failed", f"unknown scene {command.scene!r}; scenes: {scenes}"
            )
        self.last = command
        link = self.board()
        if link is None:
            return self._result(command, "no_device", self._no_board())
        hello = link.hello
        if hello is not None and not hello.capabilities & wire.CAP_LIGHTING:
            return self._result(
                command,
                "no_device",
                f"the {self.role} board runs no lighting (its firmware has "
                f"{', '.join(hello.capability_names) or 'nothing'}): "
                f"vitrine flash --role {self.role}",
            )
        try:
            await link.command(
                wire.LIGHT_SCENE,
                scene.kelvin,
                scene.brightness if command.brightness is None else command.brightness,
                scene.amber,
                scene.fade_ms if command.fade_ms is None else command.fade_ms,
            )
        except LinkDown as err:
            return self._result(command, "no_device", str(err))
        except (CommandTimeout, CommandRejected) as err:
            log.warning("lighting: scene %s: %s", command.scene, err)
            return self._result(command, "failed", str(err))
        return self._result(command, "applied", None)

    async def set_scene(
        self, scene: str, *, brightness: int | None = None, fade_ms: int | None = None
    ) -> LightingResult:
        """Set a scene now (at another brightness or fade if given); what became of it."""
        return await self.apply(
            LightingCommand(
                scene=scene,
                request_id=f"set-{self._clock()}",
                t_ns=self._clock(),
                brightness=brightness,
                fade_ms=fade_ms,
            )
        )

    def snapshot(self) -> dict[str, Any]:
        """For the daemon's status: the scene asked for last and what the strips show."""
        return {
            "scene": self.last.scene if self.last else None,
            "shown": self.shown.to_json() if self.shown else None,
        }

    def _no_board(self) -> str:
        link = self.boards.by_name(self.role)
        if link is not None:
            return f"the {self.role} board is not up (link {link.state.value})"
        return f"no {self.role} board is connected"

    def _result(
        self, command: LightingCommand, status: LightingStatus, detail: str | None
    ) -> LightingResult:
        return LightingResult(
            scene=command.scene,
            request_id=command.request_id,
            status=status,
            detail=detail,
            t_ns=self._clock(),
        )
