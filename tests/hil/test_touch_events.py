"""A finger on a virtual touch board's glass reaches a WebSocket client of the daemon as
pointer events in display pixels, through the pty, the link and the touch device."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
import websockets

from .conftest import make_rig

pytestmark = pytest.mark.hil


SEEN: list[dict[str, Any]] = []


async def _next(ws: Any, kind: str, min_x: float = 0, timeout: float = 5) -> dict[str, Any]:
    while True:
        async with asyncio.timeout(timeout):
            event = json.loads(await ws.recv())
        if event.get("type") != "pointer":
            continue
        SEEN.append(event)
        if event.get("kind") == kind and event["x"] >= min_x:
            return event


async def test_finger_down_move_up_arrive_as_pointer_events(tmp_path: Path) -> None:
    SEEN.clear()
    async with make_rig(tmp_path, roles=["touch"]) as rig:
        await rig.wait_board("touch", lambda b: b["state"] == "up")
        url = f"ws://127.0.0.1:{rig.daemon.http_port}/ws"
        async with websockets.connect(url) as ws:
            await rig.touch_ready()
            # 32-inch frame, 700 x 400 mm, on the default 1920 x 1080 display.
            await rig.sim.handle(
                {"op": "fingers", "role": "touch", "fingers": [{"x_mm": 350, "y_mm": 200}]}
            )
            down = await _next(ws, "down")
            assert down["x"] == pytest.approx(960, abs=3)
            assert down["y"] == pytest.approx(540, abs=3)
            # Slide 50 mm in 5 mm steps, as a finger does over a few scans; one jump
            # of the tracker's whole gate would rightly be a new contact.
            for x_mm in range(355, 401, 5):
                await rig.sim.handle(
                    {"op": "fingers", "role": "touch", "fingers": [{"x_mm": x_mm, "y_mm": 200}]}
                )
                await asyncio.sleep(0.02)
            move = await _next(ws, "move", min_x=1090)  # 400 mm is at 1097 px
            assert move["id"] == down["id"]
            assert move["x"] == pytest.approx(1097, abs=3)
            await rig.sim.handle({"op": "fingers", "role": "touch", "fingers": []})
            up = await _next(ws, "up")
            # One contact from down to up: every pointer event on the way carries its id.
            assert up["id"] == down["id"]
            assert {e["id"] for e in SEEN} == {down["id"]}
            assert [e["kind"] for e in SEEN].count("down") == 1
