"""Who may drive the mirror's screen (the player's socket, and the touch calibration's targets
on /ws): programs on the mirror itself, or any machine with [http] remote_control; of browser
pages, only those of the kiosk's origins (vitrine.web.origins); and of calibration targets,
only those the calibration tool signs (vitrine.web.calibration_token)."""

from __future__ import annotations

from dataclasses import dataclass, field

from vitrine.web.origins import Origins


@dataclass(frozen=True)
class ScreenAccess:
    """The rules above, as configured. The defaults let no browser page in and take no
    calibration targets."""

    origins: Origins = field(default_factory=Origins)  # the pages that may
    remote_control: bool = False  # other machines may too
    calibration_key: bytes | None = None  # signs the calibration tool's tokens; None: no tool
