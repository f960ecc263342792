"""The glass model's physics (vitrine/sim/glass.py): what it computes follows from the parts
and their placement, and it owes nothing to the firmware it measures."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from vitrine.hardware import frame_config, load_frame
from vitrine.sim.glass import Conditions, Finger, Glass, Requests

GLASS = Path(__file__).parents[3] / "host" / "vitrine" / "sim" / "glass.py"
IDEAL = Conditions(sigma=0.0, placement_sigma_mm=0.0, tilt_sigma_deg=0.0, gain_sigma=0.0)


def _frame(**optics: Any) -> dict[str, Any]:
    frame = frame_config(load_frame("32in"))
    frame["optics"] = dict(frame["optics"], **optics)
    return frame


def _settled(axis: int, emitters: list[int], receivers: list[int]) -> Requests:
    """Readings with each emitter on long enough to settle and no emitter on before."""
    n = len(emitters)
    t = np.full(n, 1.0)
    none = np.full(n, -1)
    return Requests(
        np.full(n, axis), np.array(emitters), np.array(receivers), t - 1e-3, t - 2e-3, t,
        none, none, t, t,
    )  # fmt: skip


def _lit(glass: Glass, axis: int, emitters: list[int], receivers: list[int]) -> np.ndarray:
    dark, lit = glass.sample(_settled(axis, emitters, receivers))
    return (lit - dark).astype(float)


def test_the_glass_imports_nothing_from_the_firmware() -> None:
    tree = ast.parse(GLASS.read_text(encoding="utf-8"))
    imported = [
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    ] + [node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)]
    assert imported, "the parse found the module's imports"
    assert not [name for name in imported if name.split(".")[0] == "vitrine_fw"]
    # nor through anything it imports: loaded on its own from its file (the vitrine package's
    # __init__ reads the firmware's version; the glass does not go through it), it builds a
    # frame's glass and samples it with no vitrine_fw module loaded
    code = (
        "import importlib.util, sys, json\n"
        f"spec = importlib.util.spec_from_file_location('glass', {str(GLASS)!r})\n"
        "glass = importlib.util.module_from_spec(spec)\n"
        "sys.modules['glass'] = glass\n"
        "spec.loader.exec_module(glass)\n"
        "frame = json.loads(sys.stdin.read())\n"
        "g = glass.Glass(frame, glass.Conditions(), 1)\n"
        "g.set_fingers([glass.Finger(100.0, 100.0, 10.0)])\n"
        "dark, lit = g.scan_straight('x')\n"
        "assert len(lit) == frame['x']['count']\n"
        "print(sorted(m for m in sys.modules if m.startswith(('vitrine', 'vitrine_fw'))))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        input=json.dumps(_frame()),
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "[]"


def test_an_oblique_beam_is_weaker_than_a_straight_one_and_more_so_the_steeper() -> None:
    glass = Glass(_frame(), IDEAL)
    e = 60
    fan = glass.frame["x"]["fan"]  # 0, -10, 10, -20, 20, -40, 40 on the 32-inch frame
    levels = dict(zip(fan, _lit(glass, 0, [e] * len(fan), [e + k for k in fan]), strict=True))
    assert levels[20] < 0.8 * levels[0]
    assert levels[40] < 0.8 * levels[20]
    assert levels[20] == pytest.approx(levels[-20], rel=0.02)  # the same angle either way


def test_narrower_parts_make_oblique_beams_weaker_still() -> None:
    wide = Glass(_frame(), IDEAL)
    narrow = Glass(_frame(), Conditions(**{**vars(IDEAL), "emitter_half_angle_deg": 10.0}))
    ratio = [_lit(g, 0, [60, 60], [60, 99]) for g in (wide, narrow)]
    assert ratio[1][1] / ratio[1][0] < 0.5 * ratio[0][1] / ratio[0][0]


def _edge(glass: Glass, beam: int, y_mm: float, d_mm: float = 12.0) -> tuple[np.ndarray, ...]:
    """A finger's left edge swept across straight x beam `beam` at height y_mm: the finger's
    centre positions and the beam's transmission at each."""
    x0 = glass.frame["x"]["first_mm"] + beam * glass.frame["x"]["pitch_mm"]
    xs = np.linspace(x0 + d_mm / 2 - 5, x0 + d_mm / 2 + 5, 201)
    out = []
    for x in xs:
        glass.set_fingers([Finger(float(x), y_mm, d_mm)])
        out.append(glass.straight_transmission("x")[beam])
    return xs, np.array(out)


def _ramp_mm(xs: np.ndarray, t: np.ndarray) -> float:
    """How far the finger moves while the beam goes from 95% to 5% of its light."""
    inside = xs[(t < 0.95) & (t > 0.05)]
    return float(inside.max() - inside.min())


def test_a_shadow_edge_is_a_ramp_whose_width_depends_on_where_the_finger_stands() -> None:
    # x beams run from the bottom bar (emitters) to the top bar (receivers)
    glass = Glass(_frame(emitter_aperture_mm=5.0, receiver_aperture_mm=1.5), IDEAL)
    h = glass.frame["height_mm"]
    xs, near_emitter = _edge(glass, 50, h - 5)
    _, near_receiver = _edge(glass, 50, 5)
    _, middle = _edge(glass, 50, h / 2)
    for t in (near_emitter, near_receiver, middle):
        assert t[0] == pytest.approx(0.0, abs=1e-6)  # the finger covers the beam
        assert t[-1] == pytest.approx(1.0, abs=1e-6)  # it has left the beam
        assert np.all(np.diff(t) >= -1e-9)  # the light comes back steadily
        assert ((t > 0.1) & (t < 0.9)).sum() > 10  # a ramp, not a step
    # about as wide as the aperture next to the finger, in between in the middle
    assert _ramp_mm(xs, near_emitter) == pytest.approx(0.9 * 5.0, abs=0.6)
    assert _ramp_mm(xs, near_receiver) == pytest.approx(0.9 * 1.5, abs=0.4)
    assert _ramp_mm(xs, near_receiver) < _ramp_mm(xs, middle) < _ramp_mm(xs, near_emitter)


def _half_light(glass: Glass, beam: int, y_mm: float, d_mm: float = 12.0) -> float:
    """Where the finger's left edge stands when the beam has half its light."""
    xs, t = _edge(glass, beam, y_mm, d_mm)
    return float(np.interp(0.5, t, xs)) - d_mm / 2


def test_placement_error_shifts_what_is_measured_by_where_the_parts_really_are() -> None:
    frame = _frame()
    placed = Glass(frame, Conditions(**{**vars(IDEAL), "placement_sigma_mm": 0.5}), seed=7)
    ideal = Glass(frame, IDEAL)
    h = frame["height_mm"]
    gap = frame["optics"]["bar_gap_mm"]
    shifts = []
    for beam, y in ((20, h / 4), (70, h / 2), (110, 3 * h / 4)):
        s = (h + gap - y) / (h + 2 * gap)  # the finger's share of the way from the emitter
        e = placed.parts["x", "emitter"]["along"][beam]
        r = placed.parts["x", "receiver"]["along"][beam]
        ray = (1 - s) * e + s * r  # where the beam's middle ray crosses the finger's height
        assert _half_light(placed, beam, y) == pytest.approx(ray, abs=0.05)
        shifts.append(_half_light(placed, beam, y) - _half_light(ideal, beam, y))
    assert max(abs(d) for d in shifts) > 0.1  # the parts are off, and it shows


def test_noise_is_additive_in_counts_and_the_adc_quantises() -> None:
    frame = _frame()
    c = Conditions(**{**vars(IDEAL), "sigma": 0.015})
    glass = Glass(frame, c, seed=3)
    full = (1 << frame["timing"]["adc_bits"]) - 1
    straight = [_lit(glass, 0, [60], [60])[0] for _ in range(400)]
    oblique = [_lit(glass, 0, [60], [99])[0] for _ in range(400)]
    level = frame["optics"]["straight_level"] * full
    # the same spread in counts on a strong and a weak beam (difference of two readings)
    for values in (straight, oblique):
        assert np.std(values) == pytest.approx(np.sqrt(2) * 0.015 * level, rel=0.2)
    assert all(float(v).is_integer() for v in straight)


def test_a_saturated_receiver_reads_no_shadow() -> None:
    frame = _frame()
    sun = Conditions(**{**vars(IDEAL), "ambient": 3.0})
    glass = Glass(frame, sun)
    full = (1 << frame["timing"]["adc_bits"]) - 1
    dark, lit = glass.scan_straight("x")
    assert dark.min() >= 0.9 * frame["optics"]["saturation"] * full
    assert np.all(lit - dark < 0.05 * frame["optics"]["straight_level"] * full)
