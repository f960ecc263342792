"""The fitting-room lighting: scenes by name, the commands that ask for one and their results.

The engine publishes a LightingCommand; the lights facade carries it out on the lighting
board where one is connected and answers with a LightingResult.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, Protocol

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
    """Set this scene (a name from [lighting.scenes])."""

    scene: str
    request_id: str
    t_ns: int


@dataclass(frozen=True, slots=True, kw_only=True)
class LightingResult:
    """What became of a LightingCommand: applied (the board acknowledged), no_device (no
    lighting board is up) or failed (detail says why)."""

    scene: str
    request_id: str
    status: LightingStatus
    detail: str | None
    t_ns: int


class Scene(Section):
    label: str = Field(min_length=1, max_length=40)  # what the shopper reads
    r: int = Field(ge=0, le=255)
    g: int = Field(ge=0, le=255)
    b: int = Field(ge=0, le=255)
    w: int = Field(default=0, ge=0, le=255)  # the strip's white channel, where it has one
    brightness: int = Field(default=200, ge=0, le=255)  # perceptual: 128 looks half as bright
    fade_ms: int = Field(default=800, ge=0, le=10_000)


SCENE_NAME_CHARS = 32  # the longest scene name
DEFAULT_SCENES = {
    "daylight": Scene(label="Daylight", r=255, g=244, b=229, w=255, brightness=245),
    "office": Scene(label="Office", r=235, g=240, b=255, w=200, brightness=255),
    "evening": Scene(label="Evening", r=255, g=190, b=120, w=60, brightness=207),
    "sunset": Scene(label="Sunset", r=255, g=120, b=50, w=0, brightness=217, fade_ms=1500),
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
    LIGHT_SET (acknowledged, retried by the link); the board fades its strips to it. The result
    is "applied" on the board's ACK, "failed" with the NACK's reason or the timeout (or for a
    scene [lighting] does not have), "no_device" when no lights board is up. A board that
    reset shows nothing, so when the lights board connects (again), the last scene asked for is
    applied once more, with a LightingResult for the command that asked for it.
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
        with self.bus.subscribe(LightingCommand, m.BoardConnected) as events:
            async for event in events:
                if isinstance(event, LightingCommand):
                    self.bus.publish(await self.apply(event))
                elif event.hello.role == self.role and self.last is not None:
                    log.info("%s board connected: scene %s again", self.role, self.last.scene)
                    self.bus.publish(await self.apply(self.last))

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
                wire.LIGHT_SET,
                scene.r,
                scene.g,
                scene.b,
                scene.w,
                scene.brightness,
                scene.fade_ms,
            )
        except LinkDown as err:
            return self._result(command, "no_device", str(err))
        except (CommandTimeout, CommandRejected) as err:
            log.warning("lighting: scene %s: %s", command.scene, err)
            return self._result(command, "failed", str(err))
        return self._result(command, "applied", None)

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
