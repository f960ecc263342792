"""Attention: the head's pose from YuNet's five landmarks (cv2.solvePnP against a generic 3D
face), and whether a person looks at the mirror: the head's forward direction within a cone
(cone_deg, half-angle) around the line from the face to the camera, held for at least
dwell_s seconds. The camera sits in the mirror, so looking at the mirror is looking about
at the camera. A spell ends once the head has been out of the cone (or unseen) for longer
than GRACE_S: the detector now and then puts a face's box and landmarks a little wrong for a
frame or two (a smaller box on part of the face), and the pose from them points elsewhere,
while the person never looked away; a spell's seconds count through such a blink.

The generic face is in millimetres, nose tip at the origin, x to the image's right, y up,
z toward the camera: eyes 64 mm apart and 25 mm behind the nose tip, mouth corners 50 mm apart,
30 mm below and 20 mm behind it (average adult proportions; a child's face is smaller, which
moves the estimated distance, not the angle).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

FACE_MM = np.array(
    [
        (-32.0, 35.0, -25.0),  # right eye (image left)
        (32.0, 35.0, -25.0),  # left eye
        (0.0, 0.0, 0.0),  # nose tip
        (-25.0, -30.0, -20.0),  # right mouth corner
        (25.0, -30.0, -20.0),  # left mouth corner
    ],
    np.float64,
)
EYES_MM = 64.0
CONE_DEG = 25.0
DWELL_S = 1.0
GRACE_S = 0.3  # out of the cone this long or less does not end a spell
HFOV_DEG = 70.0  # the camera's horizontal field of view


@dataclass(frozen=True)
class HeadPose:
    """yaw (+: turned to the image's right), pitch (+: up), the angle between the head's
    forward direction and the line to the camera, all in degrees; distance in metres."""

    yaw_deg: float
    pitch_deg: float
    off_axis_deg: float
    distance_m: float


def focal_px(width_px: int, hfov_deg: float = HFOV_DEG) -> float:
    return (width_px / 2) / math.tan(math.radians(hfov_deg) / 2)


def head_pose(
    landmarks: np.ndarray, width_px: int, height_px: int, hfov_deg: float = HFOV_DEG
) -> HeadPose | None:
    """The head's pose from the five landmarks (frame pixels), or None when PnP fails."""
    import cv2

    f = focal_px(width_px, hfov_deg)
    camera = np.array([[f, 0, width_px / 2], [0, f, height_px / 2], [0, 0, 1]], np.float64)
    points = np.asarray(landmarks, np.float64).reshape(5, 2)
    eyes_px = float(np.hypot(*(points[1] - points[0])))
    if eyes_px < 1.0:
        return None
    # start from a face turned to the camera at the distance its eyes' spacing says
    rvec = np.array([[math.pi], [0.0], [0.0]])
    tvec = np.array([[0.0], [0.0], [f * EYES_MM / eyes_px]])
    ok, rvec, tvec = cv2.solvePnP(
        FACE_MM, points, camera, None, rvec, tvec, True, cv2.SOLVEPNP_ITERATIVE
    )
    if not ok:
        return None
    rotation, _ = cv2.Rodrigues(rvec)
    forward = rotation @ np.array([0.0, 0.0, 1.0])  # the head's forward, in camera axes
    t = tvec.reshape(3)
    to_camera = -t / (np.linalg.norm(t) or 1.0)
    off = math.degrees(math.acos(float(np.clip(forward @ to_camera, -1.0, 1.0))))
    yaw = math.degrees(math.atan2(forward[0], -forward[2]))
    pitch = math.degrees(math.atan2(-forward[1], -forward[2]))
    return HeadPose(yaw, pitch, off, float(t[2]) / 1000.0)


class Attention:
    """One track's attention over time: `update(t_s, pose)` per frame; `looking` once the head
    has been within the cone for dwell_s; `seconds` is the time spent looking (the dwell
    included once it is reached, and a gap of up to grace_s within a spell); `glances`
    counts the spells that reached the dwell."""

    def __init__(
        self, cone_deg: float = CONE_DEG, dwell_s: float = DWELL_S, grace_s: float = GRACE_S
    ) -> None:
        self.cone_deg = cone_deg
        self.dwell_s = dwell_s
        self.grace_s = grace_s
        self.looking = False
        self.seconds = 0.0
        self.glances = 0
        self._since: float | None = None  # start of the current spell within the cone
        self._inside: float = 0.0  # when the head was last within the cone

    def update(self, t_s: float, pose: HeadPose | None) -> bool:
        """Take one frame's pose (None: no face seen); True when `looking` just began."""
        inside = pose is not None and pose.off_axis_deg <= self.cone_deg
        if self._since is not None and t_s - self._inside > self.grace_s:
            self._since = None  # out of the cone longer than the grace: the spell is over
            self.looking = False
        if not inside:
            return False
        began = False
        if self._since is None:
            self._since = t_s
        elif self.looking:
            self.seconds += t_s - self._inside
        if not self.looking and t_s - self._since >= self.dwell_s:
            self.looking = True
            self.glances += 1
            self.seconds += t_s - self._since
            began = True
        self._inside = t_s
        return began
