"""The [vision] section of the daemon's configuration (docs/configuration.md, docs/vision.md).

[vision]
enabled = true
source = "/dev/video0"          # v4l2 device, video file, rtsp://..., folder, synthetic
counter_source = ""             # a second stream for the people counter ("" = none)
counter_line = 0.8              # the counting line, a fraction of the image height
width_px = 640
height_px = 480
hfov_deg = 70.0                 # the camera's horizontal field of view
attention_cone_deg = 25.0       # "looking": the head within this cone ...
attention_dwell_s = 1.0         # ... for at least this long
gestures_every = 2              # hands are looked for on every n-th frame
gestures = true
expressions = true
recognition = false             # opt-in loyalty recognition (members who consented)
template_retention_days = 365   # a member's face template is deleted after this
threads = 2                     # onnxruntime threads of the worker
retry_s = 5.0                   # a missing camera or model is tried again this often
presence = true                 # the people the camera sees join the presence zones
presence_every = 3              # ... looked for on every n-th frame (10 times a second at 30)
camera_height_m = 1.55          # the camera's height above the floor (it looks straight out)
"""

from __future__ import annotations

from pydantic import Field, field_validator

from vitrine.section import Section


class VisionConfig(Section):
    enabled: bool = False
    source: str = Field(default="/dev/video0", min_length=1, max_length=1024)
    counter_source: str = Field(default="", max_length=1024)
    counter_line: float = Field(default=0.8, gt=0.0, lt=1.0)
    width_px: int = Field(default=640, ge=160, le=1920)
    height_px: int = Field(default=480, ge=120, le=1080)
    hfov_deg: float = Field(default=70.0, gt=20.0, lt=170.0)
    attention_cone_deg: float = Field(default=25.0, gt=0.0, le=90.0)
    attention_dwell_s: float = Field(default=1.0, ge=0.0, le=10.0)
    gestures_every: int = Field(default=2, ge=1, le=10)
    gestures: bool = True
    expressions: bool = True
    recognition: bool = False
    template_retention_days: int = Field(default=365, ge=1, le=3650)
    threads: int = Field(default=2, ge=1, le=8)
    retry_s: float = Field(default=5.0, gt=0.0, le=300.0)
    presence: bool = True
    presence_every: int = Field(default=3, ge=1, le=30)
    camera_height_m: float = Field(default=1.55, ge=0.3, le=4.0)

    @field_validator("source", "counter_source")
    @classmethod
    def _known(cls, value: str) -> str:
        from vitrine.vision.sources import check_spec

        if value:
            check_spec(value)
        return value
