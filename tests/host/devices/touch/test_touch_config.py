"""The [touch] configuration section: defaults, TOML, validation, the mapping it builds."""

from __future__ import annotations

import dataclasses
import tomllib

import pytest
from pydantic import ValidationError

from vitrine.devices.touch import config as touch_config
from vitrine.devices.touch.config import GestureConfig, TouchConfig
from vitrine.devices.touch.gestures import Thresholds
from vitrine.section import Section

CALIBRATION = """
[[touch.calibration]]
frame_mm = [0.0, 0.0]
display_px = [1920.0, 0.0]
[[touch.calibration]]
frame_mm = [700.0, 0.0]
display_px = [0, 0]
[[touch.calibration]]
frame_mm = [700.0, 400.0]
display_px = [0, 1080]
[[touch.calibration]]
frame_mm = [0.0, 400.0]
display_px = [1920, 1080]
"""


def parse(text: str) -> TouchConfig:
    return TouchConfig.model_validate(tomllib.loads(text).get("touch", {}))


def error_of(text: str) -> str:
    with pytest.raises(ValidationError) as info:
        parse(text)
    return str(info.value)


def test_defaults() -> None:
    cfg = parse("")
    assert cfg == TouchConfig()
    assert (cfg.frame, cfg.display_width_px, cfg.display_height_px) == ("32in", 1920, 1080)
    assert (cfg.rotation, cfg.mirror_x, cfg.mirror_y, cfg.uinput) == (0, False, False, False)
    assert cfg.calibration is None
    assert cfg.gestures.thresholds() == Thresholds()


def test_same_rules_as_the_daemon_config() -> None:
    for section in (touch_config.TouchConfig, touch_config.GestureConfig):
        assert issubclass(section, Section)
        assert section.model_config == Section.model_config


def test_gesture_config_covers_every_threshold() -> None:
    assert set(GestureConfig.model_fields) == {f.name for f in dataclasses.fields(Thresholds)}


def test_docstring_example_is_valid() -> None:
    doc = touch_config.__doc__ or ""
    example = "\n".join(line[4:] for line in doc.splitlines() if line.startswith("    "))
    cfg = parse(example)
    assert cfg.frame == "55in"
    assert cfg.gestures.tap_slop_px == 16.0
    assert cfg.calibration is not None and len(cfg.calibration) == 4


def test_toml_section_and_thresholds() -> None:
    cfg = parse(
        '[touch]\nframe = "55in"\nrotation = 90\nmirror_y = true\n'
        "[touch.gestures]\ntap_slop_px = 24.0\nlong_press_s = 0.8\n"
    )
    assert cfg.rotation == 90 and cfg.mirror_y
    th = cfg.gestures.thresholds()
    assert th.tap_slop_px == 24.0 and th.long_press_s == 0.8
    assert th.double_tap_s == Thresholds().double_tap_s


def test_nominal_mapping_follows_rotation() -> None:
    cfg = parse("[touch]\nrotation = 180\n")
    assert cfg.mapping(700, 400).map(0, 0) == pytest.approx((1920, 1080))


def test_calibration_replaces_the_nominal_mapping() -> None:
    cfg = parse(CALIBRATION)
    m = cfg.mapping(700, 400)  # a mirrored mounting, measured
    assert m.map(0, 0) == pytest.approx((1920, 0), abs=1e-6)
    assert m.map(350, 200) == pytest.approx((960, 540), abs=1e-6)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[touch]\nrotation = 45\n", "rotation"),
        ("[touch]\ndisplay_width_px = 10\n", "greater than or equal to 64"),
        ("[touch]\nmirror_x = 1\n", "valid boolean"),
        ("[touch]\ncolour = 1\n", "Extra inputs are not permitted"),
        ("[touch.gestures]\ntap_slop_px = 0.5\n", "greater than or equal to 1"),
        ("[touch.gestures]\nlong_press_s = 0.2\n", "tap_max_s must be < long_press_s"),
        ("[touch.gestures]\ndouble_tap_min_s = 0.3\n", "double_tap_min_s must be < double_tap_s"),
        (CALIBRATION.rsplit("[[touch.calibration]]", 1)[0], "at least 4 items"),
        (CALIBRATION.replace("[1920.0, 0.0]", "[1920.0]"), "at least 2 items"),
        (
            CALIBRATION.replace("frame_mm = [700.0, 400.0]", "frame_mm = [0.0, 400.0]", 1),
            "frame_mm points 3 and 4 coincide",
        ),
        (
            CALIBRATION.replace("[0, 0]", "[swap]")
            .replace("[0, 1080]", "[0, 0]")
            .replace("[swap]", "[0, 1080]"),
            "display_px points are in a twisted order",
        ),
    ],
)
def test_invalid(text: str, message: str) -> None:
    assert message in error_of(text)
