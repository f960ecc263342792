"""The firmware on glass it was not developed on: held-out parameter sets of the glass model
(other emission profiles and near fields, other apertures and half angles, more gain spread,
worse placement, more noise, a 10-bit ADC), on both frames. The pipeline was tuned against
the frames' own parts and the default conditions only; these must hold as well, within a
finger's matching distance, with no ghost.

A finger must be reported within LANDING_SCANS scans of landing: a 6-7 mm finger under 5 mm
apertures casts a shallow shadow that the firmware confirms over several scans (6 on the
55-inch frame, about 60 ms; 1-2 on the frames' own parts), a latency these sets show and the
benchmark does not measure."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest

from vitrine.hardware import frame_config, load_frame
from vitrine.link.messages import unpack_contacts
from vitrine.sim.board import SimIrFrame
from vitrine.sim.glass import Conditions, Finger, Glass
from vitrine.sim.touch import VirtualClock
from vitrine_fw import wire
from vitrine_fw.touch import Pipeline

LANDING_SCANS = 8
HELD_OUT = {
    "cosine_tapered_2mm": Conditions(
        emitter_profile="cosine", near_field="tapered", aperture_mm=2.0
    ),
    "wide_parts_5mm_gain_spread": Conditions(
        receiver_half_angle_deg=40.0,
        emitter_half_angle_deg=35.0,
        aperture_mm=5.0,
        gain_sigma=0.2,
    ),
    "misplaced_noisy_10bit": Conditions(
        placement_sigma_mm=0.4, tilt_sigma_deg=2.0, sigma=0.02, adc_bits=10
    ),
}


@pytest.mark.parametrize("frame_name", ["32in", "55in"])
@pytest.mark.parametrize("name", sorted(HELD_OUT))
def test_fingers_are_found_on_held_out_glass(frame_name: str, name: str) -> None:
    frame = frame_config(load_frame(frame_name))
    clock = VirtualClock()
    glass = Glass(frame, HELD_OUT[name], 5)
    ir = SimIrFrame(glass, frame, lambda: clock.us, gap_us=1000)
    pipe = Pipeline(frame, ir, clock)
    pipe.start()

    def touches() -> list:
        size = pipe.step()
        clock.us = ir.busy_until_us
        contacts = unpack_contacts(bytes(pipe.report[7:size])) if size else ()
        return [c for c in contacts if c.state != wire.CONTACT_UP]

    rng = random.Random(3)
    errors = []
    for _ in range(10):
        x = rng.uniform(15, frame["width_mm"] - 15)
        y = rng.uniform(15, frame["height_mm"] - 15)
        d = rng.uniform(6, 20)
        glass.set_fingers([Finger(x, y, d)])
        for _ in range(LANDING_SCANS):
            if touches():
                break
        for _ in range(3):
            found = touches()
            assert len(found) == 1, (
                f"{len(found)} touches for a {d:.1f} mm finger at ({x:.1f}, {y:.1f})"
            )
            assert found[0].kind_name == "finger"
            errors.append(math.hypot(found[0].x_mm - x, found[0].y_mm - y))
        glass.set_fingers([])
        for _ in range(3):
            touches()
    ghosts = sum(len(touches()) for _ in range(100))
    e = np.array(errors)
    assert ghosts == 0
    assert e.max() <= 2.0  # the benchmark's matching distance
    assert math.sqrt(float(np.mean(e**2))) <= 0.8
