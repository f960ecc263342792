"""Frame mm to display px: the nominal map (rotation, mirroring), 4-point calibrations and
the refusal of degenerate ones."""

from __future__ import annotations

import math
import random
import timeit

import pytest

from vitrine.devices.touch.mapping import CalibrationError, Mapping, solve_calibration

W_MM, H_MM = 700.0, 400.0
W_PX, H_PX = 1920, 1080
CORNERS_MM = [(0.0, 0.0), (W_MM, 0.0), (W_MM, H_MM), (0.0, H_MM)]  # TL, TR, BR, BL


def nominal(rotation: int = 0, mirror_x: bool = False, mirror_y: bool = False) -> Mapping:
    w, h = (W_PX, H_PX) if rotation in (0, 180) else (H_PX, W_PX)
    return Mapping.nominal((W_MM, H_MM), (w, h), rotation, mirror_x, mirror_y)


def close(p: tuple[float, float], q: tuple[float, float], tol: float = 1e-6) -> bool:
    return math.dist(p, q) <= tol


# Where the frame's corners TL, TR, BR, BL land on the display, for each mounting.
@pytest.mark.parametrize(
    ("rotation", "mirror_x", "mirror_y", "corners_px"),
    [
        (0, False, False, [(0, 0), (1920, 0), (1920, 1080), (0, 1080)]),
        # the frame turned clockwise: its top-left corner at the display's top-right
        (90, False, False, [(1080, 0), (1080, 1920), (0, 1920), (0, 0)]),
        (180, False, False, [(1920, 1080), (0, 1080), (0, 0), (1920, 0)]),
        (270, False, False, [(0, 1920), (0, 0), (1080, 0), (1080, 1920)]),
        (0, True, False, [(1920, 0), (0, 0), (0, 1080), (1920, 1080)]),
        (0, False, True, [(0, 1080), (1920, 1080), (1920, 0), (0, 0)]),
        (0, True, True, [(1920, 1080), (0, 1080), (0, 0), (1920, 0)]),
        (90, True, False, [(0, 0), (0, 1920), (1080, 1920), (1080, 0)]),
    ],
)
def test_nominal_corners(
    rotation: int, mirror_x: bool, mirror_y: bool, corners_px: list[tuple[float, float]]
) -> None:
    m = nominal(rotation, mirror_x, mirror_y)
    for mm, px in zip(CORNERS_MM, corners_px, strict=True):
        assert close(m.map(*mm), px), (mm, m.map(*mm), px)


@pytest.mark.parametrize("rotation", [0, 90, 180, 270])
def test_nominal_centre_and_round_trip(rotation: int) -> None:
    m = nominal(rotation)
    w, h = (W_PX, H_PX) if rotation in (0, 180) else (H_PX, W_PX)
    assert close(m.map(W_MM / 2, H_MM / 2), (w / 2, h / 2))
    inv = m.inverse()
    rng = random.Random(rotation)
    for _ in range(50):
        p = (rng.uniform(0, W_MM), rng.uniform(0, H_MM))
        assert close(inv.map(*m.map(*p)), p, 1e-9)


def test_nominal_scales_each_axis() -> None:
    m = nominal()
    assert close(m.map(70, 40), (192, 108))  # 1920/700 px per mm across, 1080/400 down


def test_nominal_refuses_other_rotations() -> None:
    with pytest.raises(ValueError, match="rotation must be one of"):
        Mapping.nominal((W_MM, H_MM), (W_PX, H_PX), 45)


def keystone(x: float, y: float) -> tuple[float, float]:
    # A projective distortion to recover: rotation, scale, offset and perspective.
    h = ((2.6, 0.15, 40.0), (-0.1, 2.5, 25.0), (0.00012, -0.00008, 1.0))
    w = h[2][0] * x + h[2][1] * y + h[2][2]
    return (h[0][0] * x + h[0][1] * y + h[0][2]) / w, (h[1][0] * x + h[1][1] * y + h[1][2]) / w


def test_calibration_reproduces_its_pairs_and_maps_the_interior() -> None:
    src = [(30.0, 20.0), (670.0, 25.0), (660.0, 380.0), (35.0, 375.0)]
    pairs = [(p, keystone(*p)) for p in src]
    cal = solve_calibration(pairs)
    assert cal.residual_px < 1e-6
    m = cal.mapping()
    for s, d in pairs:
        assert close(m.map(*s), d, 1e-6)
    rng = random.Random(1)
    for _ in range(100):
        p = (rng.uniform(0, W_MM), rng.uniform(0, H_MM))
        assert close(m.map(*p), keystone(*p), 1e-6)


def test_calibration_of_the_nominal_corners_is_the_nominal_map() -> None:
    ref = nominal(90, mirror_y=True)
    pairs = [(c, ref.map(*c)) for c in CORNERS_MM]
    m = solve_calibration(pairs).mapping()
    for p in [(10, 10), (350, 200), (690, 5), (123.4, 321.0)]:
        assert close(m.map(*p), ref.map(*p), 1e-6)


def test_calibration_accepts_either_winding_and_a_mirrored_display() -> None:
    pairs = [(c, keystone(*c)) for c in CORNERS_MM]
    assert solve_calibration(pairs[::-1]).residual_px < 1e-6
    mirrored = [(c, (W_PX - d[0], d[1])) for c, d in pairs]
    assert solve_calibration(mirrored).residual_px < 1e-6


GOOD = [((0, 0), (0, 0)), ((700, 0), (1920, 0)), ((700, 400), (1920, 1080)), ((0, 400), (0, 1080))]


@pytest.mark.parametrize(
    ("pairs", "message"),
    [
        (GOOD[:3], "needs exactly 4 point pairs, got 3"),
        ([*GOOD, GOOD[0]], "needs exactly 4 point pairs, got 5"),
        (
            [GOOD[0], GOOD[1], ((4, 3), (1920, 1080)), GOOD[3]],
            r"frame_mm points 1 and 3 coincide \(\(0, 0\) and \(4, 3\)\)",
        ),
        (
            [GOOD[0], GOOD[1], GOOD[2], ((0, 400), (1920, 1080))],
            "display_px points 3 and 4 coincide",
        ),
        (
            [GOOD[0], ((350, 0), (1920, 0)), GOOD[1], GOOD[3]],
            r"frame_mm points 1, 2 and 3 are \(nearly\) on one line",
        ),
        (
            [GOOD[0], ((700, 0), (960, 8)), ((700, 400), (1920, 0)), GOOD[3]],
            r"display_px points 1, 2 and 3 are \(nearly\) on one line",
        ),
        (
            [GOOD[0], GOOD[2], GOOD[1], GOOD[3]],
            r"frame_mm points are in a twisted order \(edges 1-2 and 3-4 cross\)",
        ),
        (
            [GOOD[0], GOOD[1], GOOD[3], GOOD[2]],
            r"frame_mm points are in a twisted order \(edges 2-3 and 4-1 cross\)",
        ),
        (
            [GOOD[0], GOOD[1], ((150, 100), (1920, 1080)), GOOD[3]],
            r"frame_mm points do not form a convex quadrilateral \(point 3 lies inside",
        ),
        (
            [GOOD[0], GOOD[1], GOOD[2], ((0, 400), (1500, 800))],
            r"display_px points do not form a convex quadrilateral \(point 4 lies inside",
        ),
    ],
)
def test_degenerate_calibrations_are_refused(pairs: list, message: str) -> None:
    with pytest.raises(CalibrationError, match=message):
        solve_calibration(pairs)


def test_one_point_costs_a_few_microseconds() -> None:
    m = solve_calibration([(p, keystone(*p)) for p in CORNERS_MM]).mapping()
    n = 20_000
    per_point = min(timeit.repeat(lambda: m.map(123.4, 234.5), number=n, repeat=3)) / n
    assert per_point < 5e-6, f"{per_point * 1e6:.2f} us per point"
