"""Frame millimetres to display pixels: a projective map (3x3 matrix) computed once, applied
per point with plain float arithmetic.

Frame coordinates: millimetres from the top-left corner of the glass's active area, x right,
y down. Display coordinates: pixels from the top-left corner of the picture, x right, y down;
the picture spans [0, width_px] x [0, height_px].

Without calibration the nominal map stretches the frame's active area over the whole picture,
after turning it by the mounting rotation and mirroring it. A 4-point calibration replaces
the nominal map: the homography through four measured (frame mm -> display px) pairs, which
absorbs rotation, mirroring, offsets and keystone.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from vitrine.errors import VitrineError

Point = tuple[float, float]
Pair = tuple[Point, Point]  # a calibration pair: (frame mm, display px)
Matrix = tuple[tuple[float, float, float], tuple[float, float, float], tuple[float, float, float]]
ROTATIONS = (0, 90, 180, 270)

# Calibration points closer than this fraction of the largest distance between them are one
# point, and three points whose triangle is flatter than MIN_FLATNESS (height over longest
# side) are on one line: either way the homography would amplify measurement errors wildly.
MIN_SEPARATION = 0.02
MIN_FLATNESS = 0.01
CALIBRATION_POINTS = 4  # pairs a calibration is solved from: one near each corner
_SIZE = 3  # a projective map's matrix is 3 x 3
_SINGULAR = 1e-12  # a matrix whose determinant is smaller than this has no inverse


class CalibrationError(VitrineError, ValueError):
    """The calibration points cannot define a mapping; the message says what is wrong."""


class Mapping:
    """A projective map of frame mm to display px; map() is the hot path."""

    __slots__ = ("_a", "_b", "_c", "_d", "_e", "_f", "_g", "_h", "_i")

    def __init__(self, matrix: Sequence[Sequence[float]]) -> None:
        m = [[float(v) for v in row] for row in matrix]
        if len(m) != _SIZE or any(len(row) != _SIZE for row in m):
            raise ValueError("a mapping matrix is 3x3")
        if abs(np.linalg.det(np.array(m))) < _SINGULAR:
            raise ValueError("a mapping matrix must be invertible")
        (self._a, self._b, self._c), (self._d, self._e, self._f), (self._g, self._h, self._i) = m

    @property
    def matrix(self) -> Matrix:
        return (
            (self._a, self._b, self._c),
            (self._d, self._e, self._f),
            (self._g, self._h, self._i),
        )

    def map(self, x: float, y: float) -> Point:
        """The display point of a frame point."""
        w = self._g * x + self._h * y + self._i
        return (self._a * x + self._b * y + self._c) / w, (self._d * x + self._e * y + self._f) / w

    def inverse(self) -> Mapping:
        """The map from display px back to frame mm."""
        return Mapping(np.linalg.inv(np.array(self.matrix)).tolist())

    @classmethod
    def nominal(
        cls,
        frame_mm: tuple[float, float],
        display_px: tuple[int, int],
        rotation: int = 0,
        mirror_x: bool = False,
        mirror_y: bool = False,
    ) -> Mapping:
        """The frame's active area (width, height in mm) stretched over the picture (width,
        height in px). rotation: how far the frame is turned clockwise relative to the
        display, in degrees (90: the frame's origin corner is at the display's top-right and
        its x axis points down the display). mirror_x/mirror_y flip the result
        left-right/top-bottom."""
        (width_mm, height_mm), (width_px, height_px) = frame_mm, display_px
        if rotation not in ROTATIONS:
            raise ValueError(f"rotation must be one of {ROTATIONS}, not {rotation!r}")
        if min(width_mm, height_mm, width_px, height_px) <= 0:
            raise ValueError("sizes must be positive")
        # Normalised frame (u, v) in [0, 1]^2 to normalised display (u', v'):
        # u' = ux*u + vx*v + cx, v' = uy*u + vy*v + cy.
        ux, vx, cx, uy, vy, cy = {
            0: (1, 0, 0, 0, 1, 0),
            90: (0, -1, 1, 1, 0, 0),
            180: (-1, 0, 1, 0, -1, 1),
            270: (0, 1, 0, -1, 0, 1),
        }[rotation]
        if mirror_x:
            ux, vx, cx = -ux, -vx, 1 - cx
        if mirror_y:
            uy, vy, cy = -uy, -vy, 1 - cy
        sx, sy = 1 / width_mm, 1 / height_mm
        return cls(
            (
                (ux * sx * width_px, vx * sy * width_px, cx * width_px),
                (uy * sx * height_px, vy * sy * height_px, cy * height_px),
                (0.0, 0.0, 1.0),
            )
        )


@dataclass(frozen=True, slots=True)
class Calibration:
    """A homography solved from four measured pairs, and how exactly it reproduces them."""

    matrix: Matrix  # frame mm -> display px
    residual_px: float  # largest distance between a mapped frame point and its display point

    def mapping(self) -> Mapping:
        return Mapping(self.matrix)


def solve_calibration(pairs: Sequence[Pair]) -> Calibration:
    """The homography through four (frame mm, display px) pairs, listed in order around the
    quadrilateral (clockwise or counter-clockwise); raises CalibrationError for duplicate,
    collinear or twisted points."""
    if len(pairs) != CALIBRATION_POINTS:
        raise CalibrationError(
            f"calibration needs exactly {CALIBRATION_POINTS} point pairs, got {len(pairs)}"
        )
    src = [(float(s[0]), float(s[1])) for s, _ in pairs]
    dst = [(float(d[0]), float(d[1])) for _, d in pairs]
    _check_quad(src, "frame_mm")
    _check_quad(dst, "display_px")
    # h33 = 1: x' = (h11 x + h12 y + h13) / (h31 x + h32 y + 1), likewise y'.
    a = np.zeros((8, 8))
    b = np.zeros(8)
    for k, ((x, y), (u, v)) in enumerate(zip(src, dst, strict=True)):
        a[2 * k] = (x, y, 1, 0, 0, 0, -u * x, -u * y)
        a[2 * k + 1] = (0, 0, 0, x, y, 1, -v * x, -v * y)
        b[2 * k], b[2 * k + 1] = u, v
    try:
        h = np.linalg.solve(a, b)
    except np.linalg.LinAlgError as err:
        raise CalibrationError(f"calibration points give no unique mapping: {err}") from err
    matrix: Matrix = (
        (float(h[0]), float(h[1]), float(h[2])),
        (float(h[3]), float(h[4]), float(h[5])),
        (float(h[6]), float(h[7]), 1.0),
    )
    # Convex quadrilaterals in order keep the whole frame quadrilateral on one side of the
    # line the map sends to infinity; check it, the last guard against a folded map.
    ws = [h[6] * x + h[7] * y + 1 for x, y in [*src, _centroid(src)]]
    if not (all(w > 0 for w in ws) or all(w < 0 for w in ws)):
        raise CalibrationError("calibration folds the picture through infinity")
    m = Mapping(matrix)
    residual = max(math.dist(m.map(*s), d) for s, d in zip(src, dst, strict=True))
    return Calibration(matrix, residual)


def _centroid(points: list[Point]) -> Point:
    return sum(p[0] for p in points) / len(points), sum(p[1] for p in points) / len(points)


def _cross(o: Point, a: Point, b: Point) -> float:
    return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])


def _check_quad(points: list[Point], name: str) -> None:
    # Distinct, no three collinear, convex in the given order; numbered from 1 in messages.
    size = max(math.dist(p, q) for p in points for q in points)
    for i in range(4):
        for j in range(i + 1, 4):
            if math.dist(points[i], points[j]) <= MIN_SEPARATION * size:
                raise CalibrationError(
                    f"{name} points {i + 1} and {j + 1} coincide "
                    f"({_fmt(points[i])} and {_fmt(points[j])})"
                )
    for skip in range(4):
        i, j, k = (n for n in range(4) if n != skip)
        p, q, r = points[i], points[j], points[k]
        longest = max(math.dist(p, q), math.dist(q, r), math.dist(p, r))
        if abs(_cross(p, q, r)) / longest**2 < MIN_FLATNESS:
            raise CalibrationError(
                f"{name} points {i + 1}, {j + 1} and {k + 1} are (nearly) on one line "
                f"({_fmt(p)}, {_fmt(q)}, {_fmt(r)}): use points near the four corners"
            )
    turns = [_cross(points[n], points[(n + 1) % 4], points[(n + 2) % 4]) > 0 for n in range(4)]
    left = sum(turns)
    if left in (0, CALIBRATION_POINTS):  # all one way round: convex
        return
    if left * 2 == CALIBRATION_POINTS:  # half each way: a bow-tie
        raise CalibrationError(
            f"{name} points are in a twisted order (edges {_edges(turns)} cross): "
            "list the four corners in order around the quadrilateral"
        )
    odd = turns.index(left == 1)  # the one turn against the others
    raise CalibrationError(
        f"{name} points do not form a convex quadrilateral (point {(odd + 1) % 4 + 1} "
        "lies inside the triangle of the other three): use points near the four corners"
    )


def _edges(turns: list[bool]) -> str:
    # In a bow-tie the two crossing edges join points whose turns differ (turns[n] is the
    # turn at point n + 2, numbered from 1).
    return "2-3 and 4-1" if turns[0] != turns[1] else "1-2 and 3-4"


def _fmt(p: Point) -> str:
    return f"({p[0]:g}, {p[1]:g})"
