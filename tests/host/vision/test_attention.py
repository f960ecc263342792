"""Attention on scripted head poses: the dwell before a look counts, a blink of the pose (the
detector's landmarks a little wrong for a frame) does not end a look, looking away does."""

from __future__ import annotations

from vitrine.vision.attention import Attention, HeadPose

DT = 1 / 30
AT = HeadPose(0.0, 0.0, 8.0, 0.7)  # looking: 8 degrees off the line to the camera
AWAY = HeadPose(45.0, 0.0, 45.0, 0.7)


def run(poses: list[HeadPose | None]) -> Attention:
    attention = Attention(cone_deg=25.0, dwell_s=1.0)
    for k, pose in enumerate(poses):
        attention.update(k * DT, pose)
    return attention


def test_a_look_with_the_pose_blinking_off_now_and_then_counts_whole() -> None:
    # 4 s of looking at the mirror; every 0.8 s one frame's landmarks give a pose 45 degrees
    # off, another frame no face at all: shorter spells than the dwell between the blinks
    poses = [AWAY if k % 24 == 12 else (None if k % 24 == 18 else AT) for k in range(121)]
    attention = run(poses)
    assert attention.looking and attention.glances == 1
    assert abs(attention.seconds - 4.0) < 2 * DT


def test_looking_away_ends_the_look_and_its_seconds() -> None:
    poses = [AT] * 61 + [AWAY] * 30 + [AT] * 20  # 2 s, 1 s away, then 0.67 s: under the dwell
    attention = run(poses)
    assert not attention.looking and attention.glances == 1
    assert abs(attention.seconds - 2.0) < 2 * DT
    attention = run([AT] * 61 + [AWAY] * 30 + [AT] * 46)  # back for 1.5 s: a second look
    assert attention.looking and attention.glances == 2
    assert abs(attention.seconds - 3.5) < 2 * DT
