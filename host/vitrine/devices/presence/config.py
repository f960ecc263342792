"""The [presence] section of the daemon's configuration: the zones' distances, how they are held,
and how the camera's people join the time-of-flight sensors. Distances are from the glass, in
millimetres; the zones' edges are the same the simulator's ground truth uses by default
(vitrine.sim.people.ZoneGeometry).

Example (every key is optional):

    [presence]
    at_glass_mm = 600          # someone in front of the mirror nearer than this: at the glass
    in_front_mm = 1500         # ... nearer than this: in front
    passing_mm = 3000          # ... nearer than this: passing (farther: none)
    half_width_mm = 600        # in front of the mirror: this far either side of its centre
    body_half_depth_mm = 130   # a sensor sees the front of a body; where they stand is this
                               # far behind it (half an adult's chest depth)
    hysteresis_mm = 100        # a zone is left this far beyond its edge
    min_dwell_s = 0.1          # a zone farther out (or none) is announced after holding this long
    stale_s = 2.5              # a sensor silent this long (it reports at least once a second) is
                               # not believed
    approach_lead = true       # a target coming nearer (a sensor's last three readings each
                               # nearer, at a walking speed) is taken where it is now: moved on
                               # by its speed for half the board's timing budget and the time
                               # since the reading came
    pir_hold = false           # someone seen and lost while the PIR sees motion is passing
    camera = true              # the camera's people (vision's CameraPeople) are a source
    camera_x_mm = 0            # where the camera sits along the glass (from its centre)
    camera_stale_s = 0.6       # the camera silent this long (it reports 10 times a second
                               # while it works) is not believed: its worker is down
    camera_hold_s = 0.5        # a person the camera follows (seen in two frames or more) is
                               # kept this long after the last frame that found them, predicted
                               # on along their way: at 10 frames a second and the detector's
                               # measured recall of 33-49 %, five frames missed in a row happen
                               # 3-13 % of the time (chosen on walk-by seeds 20-24, not the
                               # bench's); someone seen in one frame only is kept 0.15 s
    camera_min_confidence = 0.3  # a camera person scored lower is ignored
    tof_reach_mm = 1800        # nearer than this the time-of-flight sensors, when they work,
                               # decide alone: a camera person there they do not see is not
                               # believed (long mode at a 100 ms budget on average clothing)
    camera_across = true       # where a sensor's cone reaches beyond half_width_mm, the camera's
                               # bearing of someone at that distance says where across they are
"""

from __future__ import annotations

from pydantic import Field, model_validator

from vitrine.section import Section


class PresenceConfig(Section):
    at_glass_mm: float = Field(default=600.0, ge=100.0, le=2000.0)
    in_front_mm: float = Field(default=1500.0, ge=200.0, le=4000.0)
    passing_mm: float = Field(default=3000.0, ge=300.0, le=4000.0)
    half_width_mm: float = Field(default=600.0, ge=100.0, le=3000.0)
    body_half_depth_mm: float = Field(default=130.0, ge=0.0, le=500.0)
    hysteresis_mm: float = Field(default=100.0, ge=0.0, le=1000.0)
    min_dwell_s: float = Field(default=0.1, ge=0.0, le=10.0)
    stale_s: float = Field(default=2.5, ge=1.1, le=30.0)
    pir_hold: bool = False
    camera: bool = True
    camera_x_mm: float = Field(default=0.0, ge=-3000.0, le=3000.0)
    camera_stale_s: float = Field(default=0.6, ge=0.1, le=10.0)
    camera_hold_s: float = Field(default=0.5, ge=0.0, le=5.0)
    camera_min_confidence: float = Field(default=0.3, ge=0.0, le=1.0)
    tof_reach_mm: float = Field(default=1800.0, ge=0.0, le=4000.0)
    camera_across: bool = True
    approach_lead: bool = True
    board: str = Field(default="presence", min_length=1, max_length=32)  # the board's role

    @model_validator(mode="after")
    def _ordered(self) -> PresenceConfig:
        if not self.at_glass_mm < self.in_front_mm < self.passing_mm:
            raise ValueError(
                f"at_glass_mm={self.at_glass_mm:g} < in_front_mm={self.in_front_mm:g} < "
                f"passing_mm={self.passing_mm:g} must hold"
            )
        return self
