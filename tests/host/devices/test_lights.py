"""The lighting facade (vitrine.devices.lights.Lights) against the real lighting firmware in
this process on a SimBoard (the hardware seam is the only fake), reached over socket:// as the
link tests do, and against scripted peers for what real firmware never does on purpose."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from pydantic import ValidationError

from tests.host.link.peers import FAST, FakeBoard, FirmwareBoards, serve_firmware
from vitrine.bus import EventBus, Subscription
from vitrine.devices.lights import (
    LightingCommand,
    LightingConfig,
    LightingResult,
    Lights,
    LightShown,
    Scene,
    srgb_hex,
)
from vitrine.hardware import board_config, load_boards
from vitrine.link.board import BoardLink
from vitrine.link.boards import BoardPorts, Boards
from vitrine.tasks import stop_task
from vitrine_fw import config as fw_config
from vitrine_fw import wire
from vitrine_fw.lights import colour


def scene_pixel(kelvin: int, brightness: int, white_k: int = 4500) -> tuple[int, ...]:
    """The light an RGBW strip is asked for in a scene (8.8 per channel: the firmware's own
    colour arithmetic); its frames dither around it."""
    rgb, white, out = bytearray(3), bytearray(3), bytearray(4)
    colour.blackbody(colour.mired(kelvin) * 16, rgb)
    colour.blackbody(colour.mired(white_k) * 16, white)
    colour.split_white(rgb, white, out)
    level = colour.light(brightness << 8)
    return tuple(c * level // 255 for c in out)


def close_to(pixel: tuple[int, ...], asked: tuple[int, ...]) -> bool:
    """A latched pixel is the light asked for, give or take the dither's one step."""
    return all(abs(p - (a >> 8)) <= 1 for p, a in zip(pixel, asked, strict=True))


EVENING = scene_pixel(2700, 190)  # the default evening scene


async def wait_for(predicate: Callable[[], bool], timeout: float = 3.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        assert loop.time() < deadline, "condition not reached"
        await asyncio.sleep(0.02)


@contextlib.asynccontextmanager
async def lights_board(**changes: Any) -> AsyncIterator[FirmwareBoards]:
    """The lights board's firmware (its description's config, with changes)."""
    cfg = fw_config.check({**board_config(load_boards()["lights"], "lightstest"), **changes})
    cfg["heartbeat_ms"] = 100
    async with serve_firmware(cfg, "0011ab") as state:
        yield state


@dataclass
class Host:
    bus: EventBus
    boards: Boards
    lights: Lights
    results: Subscription

    async def ask(self, scene: str, request_id: str = "r1") -> LightingResult:
        self.bus.publish(LightingCommand(scene=scene, request_id=request_id, t_ns=0))
        return await self.results.next(LightingResult, 5)


@contextlib.asynccontextmanager
async def host(
    pinned: dict[str, str] | None = None, config: LightingConfig | None = None
) -> AsyncIterator[Host]:
    """The daemon's side: the boards, the facade running, a subscription to its results."""
    bus = EventBus()
    boards = Boards(bus, FAST, BoardPorts(pinned=pinned or {}))
    lights = Lights(bus, boards, config or LightingConfig())
    tasks = [asyncio.create_task(boards.run()), asyncio.create_task(lights.run())]
    try:
        with bus.subscribe(LightingResult) as results:
            await asyncio.sleep(0)  # the facade subscribes before the first command
            yield Host(bus, boards, lights, results)
    finally:
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def up(h: Host, name: str = "lights") -> BoardLink:
    await wait_for(lambda: (link := h.boards.by_name(name)) is not None and link.is_up)
    link = h.boards.by_name(name)
    assert link is not None
    return link


def pixels(state: FirmwareBoards, pin: int = 16) -> tuple[int, ...]:
    return state.boards[-1].strips[pin].shown[0]


async def test_a_scene_is_applied_and_the_strips_fade_to_it() -> None:
    async with lights_board() as board, host({"lights": board.url}) as h:
        await up(h)
        with h.bus.subscribe(LightShown) as shown:
            result = await h.ask("evening", "req-7")
            assert (result.scene, result.request_id, result.status) == (
                "evening",
                "req-7",
                "applied",
            )
            assert result.detail is None
            assert pixels(board) == (0, 0, 0, 0)  # acknowledged first; the fade takes 800 ms
            # (past the dark state the board resends once up, which may come after up())
            first = await shown.next(LightShown, 5, lambda e: bool(e.flags or e.brightness))
            assert "fading" in first.flags
            done = await shown.next(LightShown, 5, lambda e: "fading" not in e.flags)
        assert (done.kelvin, done.brightness, done.amber) == (2700, 190, 0)
        assert done.budget_ma == 5500 and 0 < done.current_ma <= 5500
        assert len(done.strips) == 3 and done.strips[0] == done.strips[1]
        await wait_for(lambda: close_to(pixels(board), EVENING))
        assert close_to(pixels(board, 17), EVENING)  # both colour strips
        white = board.boards[-1].pwms
        assert white[18].duty_u16() > 0 and white[19].duty_u16() == 0  # 2700 K: all warm
        assert h.lights.shown == done


async def test_an_unknown_scene_fails_and_sends_nothing() -> None:
    async with lights_board() as board, host({"lights": board.url}) as h:
        link = await up(h)
        commands = link.counters.commands
        result = await h.ask("disco")
        assert result.status == "failed"
        assert result.detail == (
            "unknown scene 'disco'; scenes: daylight, evening, office, shop, sunset"
        )
        assert link.counters.commands == commands


async def test_no_lights_board_is_no_device() -> None:
    async with host() as h:
        result = await h.ask("daylight")
        assert (result.status, result.detail) == ("no_device", "no lights board is connected")


async def test_a_lights_board_that_is_not_up_is_no_device() -> None:
    async with (
        FakeBoard(role="lights", answer_hello=False) as silent,
        host({"lights": silent.url}) as h,
    ):
        await wait_for(lambda: silent.connections > 0)
        result = await h.ask("daylight")
    assert result.status == "no_device"
    assert result.detail == "the lights board is not up (link handshake)"


async def test_a_nack_fails_with_the_boards_reason() -> None:
    async with lights_board(strips=[]) as board, host({"lights": board.url}) as h:
        await up(h)
        result = await h.ask("office")
    assert result.status == "failed"
    assert result.detail is not None
    assert result.detail.startswith("board lights refused LIGHT_SCENE: refused (no LED strip")


class LightsPeer(FakeBoard):
    """A scripted lights board: says HELLO with the given capabilities, sends heartbeats, and
    answers nothing else."""

    def __init__(self, capabilities: int) -> None:
        super().__init__(role="lights")
        self.capabilities = capabilities

    def hello_payload(
        self, reset_cause: int = wire.RESET_POWER_ON, rev: int | None = None
    ) -> bytes:
        return wire.encode_payload(
            wire.HELLO,
            (wire.SCHEMA_REV, wire.SCHEMA_HASH, "lights", "9.9.9", "fake", "fa4e", reset_cause,
             self.capabilities),
        )  # fmt: skip

    async def beat(self) -> None:
        while True:
            self.heartbeat()
            await asyncio.sleep(0.05)


async def sunset_from_a_peer(capabilities: int) -> tuple[LightingResult, LightsPeer]:
    """Ask for the sunset scene of a scripted lights board with these capabilities that
    keeps its heartbeat but never answers LIGHT_SCENE."""
    async with LightsPeer(capabilities) as peer, host({"lights": peer.url}) as h:
        beating = asyncio.create_task(peer.beat())
        try:
            await up(h)
            return await h.ask("sunset"), peer
        finally:
            await stop_task(beating)


async def test_no_answer_fails_with_the_timeout() -> None:
    result, peer = await sunset_from_a_peer(wire.CAP_LINK | wire.CAP_LIGHTING)
    assert result.status == "failed"
    assert result.detail == "board lights: no answer to LIGHT_SCENE after 3 attempts of 100 ms"
    assert peer.types_received().count(wire.LIGHT_SCENE) == 3  # the link retried


async def test_a_lights_board_without_lighting_firmware_is_no_device() -> None:
    result, peer = await sunset_from_a_peer(wire.CAP_LINK | wire.CAP_CONSOLE)
    assert result.status == "no_device"
    assert result.detail == (
        "the lights board runs no lighting (its firmware has link, console): "
        "vitrine flash --role lights"
    )
    assert wire.LIGHT_SCENE not in peer.types_received()


async def test_the_last_scene_is_applied_again_when_the_board_comes_back() -> None:
    config = LightingConfig(
        scenes={"white": Scene(label="White", kelvin=4500, brightness=255, fade_ms=0)},
        default_scene="white",
    )
    # the white LED's own temperature at full: every RGBW pixel all white LED, within the
    # board's budget (two strips of 60 at 15 mA a channel would draw 1800 mA: well within)
    white = (0, 0, 0, 255)
    async with lights_board() as board, host({"lights": board.url}, config) as h:
        await up(h)
        assert (await h.ask("white", "req-1")).status == "applied"
        await wait_for(lambda: pixels(board) == white)
        for task in board.sup.running:  # the board hangs: no more heartbeats, so the host
            task.cancel()  # drops the link and connects again, to a fresh board, dark
        await wait_for(lambda: len(board.boards) == 2)
        again = await h.results.next(LightingResult, 5)
        assert (again.request_id, again.status) == ("req-1", "applied")
        await wait_for(lambda: pixels(board) == white)


async def test_a_board_is_found_by_the_role_in_its_hello() -> None:
    @dataclass
    class Unnamed:
        """A finder whose links go by other names."""

        links: dict[str, BoardLink]

        def by_name(self, name: str) -> BoardLink | None:
            return None

    async with lights_board() as board, host({"lights": board.url}) as h:
        await up(h)
        lights = Lights(h.bus, Unnamed(h.boards.links), LightingConfig())
        assert lights.board() is h.boards.by_name("lights")
        assert (
            await lights.apply(LightingCommand(scene="daylight", request_id="x", t_ns=0))
        ).status == "applied"


async def test_full_daylight_is_held_within_the_boards_budget_and_shown_as_limited() -> None:
    # a smaller supply than the description's: full daylight draws about 4.2 A
    lighting = {"budget_ma": 2000, "safe_kelvin": 4000, "safe_brightness": 180}
    async with lights_board(lighting=lighting) as board, host({"lights": board.url}) as h:
        await up(h)
        with h.bus.subscribe(LightShown) as shown:
            result = await h.lights.set_scene("daylight", brightness=255, fade_ms=0)
            assert result.status == "applied"
            # (not the dark state the board resends once up, which may come after up())
            state = await shown.next(
                LightShown, 5, lambda e: "fading" not in e.flags and e.brightness > 0
            )
        assert "limited" in state.flags
        assert state.current_ma <= state.budget_ma == 2000
        assert h.lights.snapshot()["shown"]["flags"] == list(state.flags)


def test_linear_light_is_shown_with_the_srgb_transfer() -> None:
    assert srgb_hex((0, 0, 0)) == "#000000"
    assert srgb_hex((255, 255, 255)) == "#ffffff"
    assert srgb_hex((55, 55, 55)) == "#808080"  # a fifth of the light looks half as bright


def test_a_scene_is_checked_naming_the_key() -> None:
    with pytest.raises(ValidationError, match="kelvin"):
        LightingConfig.model_validate({"scenes": {"disco": {"label": "Disco", "kelvin": 900}}})
    with pytest.raises(ValidationError, match=r"Extra inputs"):
        LightingConfig.model_validate({"scenes": {"old": {"label": "Old", "r": 1, "g": 2, "b": 3}}})
