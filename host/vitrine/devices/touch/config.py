"""The [touch] section of the daemon's configuration.

Example (every key is optional; calibration is written by the calibration tool):

    [touch]
    frame = "55in"              # hardware/frames/55in.toml
    display_width_px = 3840
    display_height_px = 2160
    rotation = 0                # frame turned clockwise relative to the display: 0/90/180/270
    mirror_x = false
    mirror_y = false
    release_after_s = 0.25      # contacts still down with no report for this long are released
    uinput = false              # also feed a Linux multitouch device (needs /dev/uinput)

    [touch.gestures]
    tap_slop_px = 16.0
    long_press_s = 0.5
    swipe_min_velocity_px_s = 1000.0

    # Four measured pairs, in order around the quadrilateral; replaces rotation and mirroring.
    [[touch.calibration]]
    frame_mm = [40.0, 30.0]
    display_px = [128.5, 95.0]
    [[touch.calibration]]
    frame_mm = [1178.0, 30.0]
    display_px = [3712.0, 97.2]
    [[touch.calibration]]
    frame_mm = [1178.0, 655.0]
    display_px = [3709.6, 2063.1]
    [[touch.calibration]]
    frame_mm = [40.0, 655.0]
    display_px = [130.2, 2066.0]
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from vitrine.devices.touch.gestures import Thresholds
from vitrine.devices.touch.mapping import Mapping, solve_calibration
from vitrine.section import Section

_T = Thresholds()
XY = Annotated[list[float], Field(min_length=2, max_length=2)]


class GestureConfig(Section):
    """Gesture thresholds (see vitrine.devices.touch.gestures.Thresholds for their origin)."""

    tap_max_s: float = Field(default=_T.tap_max_s, ge=0.05, le=2.0)
    tap_slop_px: float = Field(default=_T.tap_slop_px, ge=1.0, le=500.0)
    double_tap_s: float = Field(default=_T.double_tap_s, ge=0.05, le=2.0)
    double_tap_min_s: float = Field(default=_T.double_tap_min_s, ge=0.0, le=0.5)
    double_tap_slop_px: float = Field(default=_T.double_tap_slop_px, ge=1.0, le=2000.0)
    long_press_s: float = Field(default=_T.long_press_s, ge=0.1, le=10.0)
    swipe_min_distance_px: float = Field(default=_T.swipe_min_distance_px, ge=1.0, le=10000.0)
    swipe_min_velocity_px_s: float = Field(default=_T.swipe_min_velocity_px_s, ge=1.0, le=100000.0)
    swipe_max_angle_deg: float = Field(default=_T.swipe_max_angle_deg, ge=1.0, le=45.0)
    velocity_window_s: float = Field(default=_T.velocity_window_s, ge=0.01, le=1.0)
    pinch_slop_px: float = Field(default=_T.pinch_slop_px, ge=1.0, le=2000.0)
    rotate_slop_deg: float = Field(default=_T.rotate_slop_deg, ge=0.5, le=90.0)

    @model_validator(mode="after")
    def _ordered(self) -> GestureConfig:
        if self.double_tap_min_s >= self.double_tap_s:
            raise ValueError("double_tap_min_s must be < double_tap_s")
        if self.tap_max_s >= self.long_press_s:
            raise ValueError("tap_max_s must be < long_press_s")
        return self

    def thresholds(self) -> Thresholds:
        return Thresholds(**self.model_dump())


class CalibrationPoint(Section):
    frame_mm: XY
    display_px: XY


class TouchConfig(Section):
    frame: str = Field(default="32in", min_length=1)  # a name in hardware/frames, or a path
    display_width_px: int = Field(default=1920, ge=64, le=16384)
    display_height_px: int = Field(default=1080, ge=64, le=16384)
    rotation: Literal[0, 90, 180, 270] = 0
    mirror_x: bool = False
    mirror_y: bool = False
    calibration: Annotated[list[CalibrationPoint], Field(min_length=4, max_length=4)] | None = None
    gestures: GestureConfig = GestureConfig()
    release_after_s: float = Field(default=0.25, ge=0.05, le=5.0)
    uinput: bool = False

    @model_validator(mode="after")
    def _solvable(self) -> TouchConfig:
        if self.calibration is not None:
            solve_calibration(self.calibration_pairs())  # CalibrationError is a ValueError
        return self

    def calibration_pairs(self) -> list[tuple[tuple[float, float], tuple[float, float]]]:
        return [
            ((p.frame_mm[0], p.frame_mm[1]), (p.display_px[0], p.display_px[1]))
            for p in self.calibration or ()
        ]

    def mapping(self, width_mm: float, height_mm: float) -> Mapping:
        """The calibrated map if there is a calibration, else the nominal one."""
        if self.calibration is not None:
            return solve_calibration(self.calibration_pairs()).mapping()
        return self.nominal_mapping(width_mm, height_mm)

    def nominal_mapping(self, width_mm: float, height_mm: float) -> Mapping:
        """The map without calibration: the frame's active area (mm) stretched over the
        display, turned and mirrored as configured."""
        return Mapping.nominal(
            (width_mm, height_mm),
            (self.display_width_px, self.display_height_px),
            self.rotation,
            self.mirror_x,
            self.mirror_y,
        )
