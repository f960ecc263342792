"""The synthetic camera: the simulator's world of people (vitrine.sim.people) as the mirror's
camera would see it, for the demo, the tests and `vitrine bench vision`.

It is a witness, not a judge: it draws what the world says (who stands where, whether they
look at the mirror, when they wave) with a simple physical camera, and the benchmarks take
their truth from the world, never from this picture or from the pipeline.

- Camera: in the mirror at CAMERA_HEIGHT_M, looking straight out, HFOV_DEG wide; a point
  (x, y, z) of the world (x along the glass, y out from it, z up) lands at
  u = W/2 - f x / y, v = H/2 + f (CAMERA_HEIGHT_M - z) / y (the camera faces the shopper, so
  their right is the image's left).
- The room: a shop's back wall with shelves of boxes, a floor, fixed per seed; a little
  sensor noise on every frame.
- A person: legs, a torso in their clothes' colour, arms, and a head whose face is the photo
  the world gives them (the shared photos), cut around the face and mapped onto a cylinder
  turned by the head's yaw: facing the mirror while the world says they look at it, turned
  toward where they walk otherwise (or aside, standing), easing between the two in
  TURN_S. A face turned far shows mostly the side of the head.
- Waving (the world's `waves`): the arm raised from the shoulder, the upper arm out to the
  side, the forearm up, and a real hand (cut from the shared group photo, its skin tinted to
  the person's face) at the end of it beside the head; the forearm swings about the elbow
  at WAVE_HZ, WAVE_SWING_DEG either way, the hand turning with it (a greeting wave: a quick
  swing of the forearm and hand about the elbow, 2-3 times a second, the hand going 15-20 cm
  side to side). Standing people who do not wave now and then raise
  a hand to their collar (COLLAR_EVERY_S): the gesture recogniser must not take that for a
  gesture. The world has no collars: this is the renderer's own addition, kept apart here.
- Bags are drawn as boxes on the floor.

The world lacks head angles, hands' positions and collars; these are derived here from its
intervals and paths, deterministically per person.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vitrine.paths import shared_dir
from vitrine.sim.people import Person, World

WIDTH, HEIGHT = 640, 480
CAMERA_HEIGHT_M = 1.55
HFOV_DEG = 70.0
HEAD_WIDTH_M = 0.16  # the face photo's face box spans this
TURN_S = 0.25
FACE_MIDDLE = 0.6  # eyes, nose and mouth span this much of the face box
WAVE_HZ = 2.5  # forearm swings per second, within the 2-3 of a greeting wave
WAVE_SWING_DEG = 14.0  # the forearm's swing either side: the hand goes about 17 cm side to side
# The waving arm of a 1.75 m adult (scaled to the height): the elbow out to the side of and a
# little in front of the shoulder, a little below it; the hand's centre FOREARM_M from the
# elbow (forearm 0.26 m and half the hand), the forearm leaning WAVE_LEAN_DEG toward the head.
ELBOW_OUT_M = 0.33
ELBOW_FORWARD_M = 0.1
ELBOW_DROP_M = 0.12
FOREARM_M = 0.36
WAVE_LEAN_DEG = 5.0
# The hand cut-out's height (curled fingers, the back of the hand, the wrist with a watch, the
# cuff), measured on the cut-out: the hand's breadth across the knuckles spans 0.52 of its
# height and the watch case 0.27, so an adult's 8.5-9 cm hand and a 40 mm watch make it
# 15-17 cm tall.
HAND_M = 0.17
COLLAR_EVERY_S = 17.0
COLLAR_S = 2.5
NEAR_M = 0.25  # closer than this the camera cannot focus; nothing is drawn

# Where the face is in each shared photo (x, y, w, h as fractions of the image), marked once
# for these assets, and the spread hand in the group photo (fingers pointing left there).
FACE_BOXES = {
    "pexels_angry.jpg": (0.176, 0.257, 0.639, 0.532),
    "pexels_group.jpeg": (0.13, 0.286, 0.101, 0.207),
    "pexels_happy-baby.jpeg": (0.388, 0.139, 0.206, 0.394),
    "pexels_neutral.jpeg": (0.283, 0.284, 0.449, 0.512),
    "pexels_sad-baby.jpeg": (0.319, 0.0, 0.538, 1.0),
    "pexels_surprised.jpeg": (0.547, 0.389, 0.216, 0.387),
}
HAND_BOX = ("pexels_group.jpeg", (0.70, 0.57, 0.139, 0.185))


@dataclass(frozen=True)
class Seen:
    """The truth about one person in a frame, from the world: where their face is in the
    image (None when its middle, eyes to mouth, is outside the picture), whether they look
    and wave, their head's yaw."""

    person: str
    x_m: float
    y_m: float
    face_box: tuple[float, float, float, float] | None
    looking: bool
    waving: bool
    yaw_deg: float
    hand_in_view: bool = False  # a raised hand (waving or at the collar) inside the picture


def _focal() -> float:
    return (WIDTH / 2) / math.tan(math.radians(HFOV_DEG) / 2)


@dataclass(frozen=True)
class Lens:
    """Where the camera is and how it looks: height_m above the floor at the mirror's centre,
    tilted down by tilt_deg (0: straight out, the mirror's own camera; a counting camera
    above the mirror looks down at the floor in front of it)."""

    height_m: float = CAMERA_HEIGHT_M
    tilt_deg: float = 0.0

    def _camera(self, x: float, y: float, z: float) -> tuple[float, float, float]:
        # (right, down, forward) in camera axes; the image's right is the world's -x
        t = math.radians(self.tilt_deg)
        dz = z - self.height_m
        forward = y * math.cos(t) - dz * math.sin(t)
        down = -y * math.sin(t) - dz * math.cos(t)
        return -x, down, forward

    def project(self, x: float, y: float, z: float) -> tuple[float, float]:
        right, down, forward = self._camera(x, y, z)
        f = _focal()
        forward = max(forward, 1e-3)
        return WIDTH / 2 + f * right / forward, HEIGHT / 2 + f * down / forward

    def depth(self, x: float, y: float, z: float) -> float:
        """The distance along the camera's axis (what sizes in the image divide by)."""
        return max(self._camera(x, y, z)[2], 1e-3)

    def floor_y(self, row: float) -> float:
        """The distance from the glass of the floor seen at this image row (centre column)."""
        t = math.radians(self.tilt_deg)
        a = math.atan2(row - HEIGHT / 2, _focal()) + t  # below the horizontal
        return self.height_m / math.tan(a) if a > 0 else math.inf

    def half_width(self, y: float) -> float:
        """Half the width of floor the image spans at distance y from the glass."""
        return (WIDTH / 2) * self.depth(0.0, y, 0.0) / _focal()


def project(x: float, y: float, z: float) -> tuple[float, float]:
    """Where the mirror's own camera (Lens()) sees a point."""
    return Lens().project(x, y, z)


def _rng_for(key: str) -> np.random.Generator:
    return np.random.default_rng(int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big"))


class _Sprites:
    """The face and hand cut-outs (BGR + alpha), read once from the shared photos."""

    def __init__(self, images: Path) -> None:
        import cv2

        self.faces: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for name, (fx, fy, fw, fh) in FACE_BOXES.items():
            path = images / name
            img = cv2.imread(str(path))
            if img is None:
                continue
            H, W = img.shape[:2]
            # a square a little larger than the face box: the head with some hair around it
            side = max(fw * W, fh * H) * 1.35
            cx, cy = (fx + fw / 2) * W, (fy + fh / 2) * H
            x0, y0 = round(cx - side / 2), round(cy - side / 2 - 0.06 * side)
            crop = _cut(img, x0, y0, round(side), round(side))
            crop = cv2.resize(crop, (128, 128), interpolation=cv2.INTER_AREA)
            self.faces[name] = (crop, _ellipse_alpha(128, 128, 0.44, 0.49))
        self.hand: tuple[np.ndarray, np.ndarray] | None = None
        name, (hx, hy, hw, hh) = HAND_BOX
        img = cv2.imread(str(images / name))
        if img is not None:
            H, W = img.shape[:2]
            crop = _cut(img, round(hx * W), round(hy * H), round(hw * W), round(hh * H))
            crop = cv2.rotate(crop, cv2.ROTATE_90_CLOCKWISE)  # fingers up
            crop = cv2.resize(crop, (96, 120), interpolation=cv2.INTER_AREA)
            self.hand = (crop, _ellipse_alpha(96, 120, 0.5, 0.5) * _skin_alpha(crop))
        self._tinted: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def hand_for(self, face: str | None) -> tuple[np.ndarray, np.ndarray] | None:
        """The hand cut-out with its skin tinted to the face's (the mean colour of the face's
        middle), so a hand and its face are one person's."""
        if self.hand is None or face not in self.faces:
            return self.hand
        assert face is not None
        if face not in self._tinted:
            sprite, alpha = self.hand
            crop = self.faces[face][0]
            h, w = crop.shape[:2]
            skin = crop[h * 3 // 8 : h * 5 // 8, w * 3 // 8 : w * 5 // 8].reshape(-1, 3).mean(0)
            inside = alpha > 0.5  # noqa: PLR2004 - the hand itself, not its margin
            own = sprite[inside].reshape(-1, 3).mean(0)
            gain = np.clip(skin / np.maximum(own, 1.0), 0.6, 1.6)
            tinted = np.clip(sprite.astype(np.float32) * gain, 0, 255).astype(np.uint8)
            self._tinted[face] = (tinted, alpha)
        return self._tinted[face]


def _cut(img: np.ndarray, x0: int, y0: int, w: int, h: int) -> np.ndarray:
    import cv2

    H, W = img.shape[:2]
    pad = max(0, -x0, -y0, x0 + w - W, y0 + h - H)
    if pad:
        img = cv2.copyMakeBorder(img, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
        x0, y0 = x0 + pad, y0 + pad
    return img[y0 : y0 + h, x0 : x0 + w].copy()


def _skin_alpha(img: np.ndarray) -> np.ndarray:
    """0..1 where the picture is skin, by the YCrCb skin map of Chai and Ngan ("Face
    segmentation using skin-color map in videophone applications", 1999: Cr 133-173,
    Cb 77-127), closed over small gaps (a watch on the wrist stays) and softened at the edge:
    the hand without the clothes behind it in its photo."""
    import cv2

    ycc = cv2.cvtColor(img, cv2.COLOR_BGR2YCrCb)
    mask = cv2.inRange(ycc, (0, 133, 77), (255, 173, 127))
    close = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (25, 25))
    mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, close)
    mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((5, 5), np.uint8))
    return cv2.GaussianBlur(mask.astype(np.float32) / 255.0, (5, 5), 0)


def _ellipse_alpha(w: int, h: int, rx: float, ry: float) -> np.ndarray:
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    d = ((xx - w / 2) / (rx * w)) ** 2 + ((yy - h / 2) / (ry * h)) ** 2
    return np.clip((1.0 - d) * 6.0, 0.0, 1.0)


def _blend(frame: np.ndarray, sprite: np.ndarray, alpha: np.ndarray, x: int, y: int) -> None:
    h, w = sprite.shape[:2]
    H, W = frame.shape[:2]
    x0, y0, x1, y1 = max(0, x), max(0, y), min(W, x + w), min(H, y + h)
    if x0 >= x1 or y0 >= y1:
        return
    s = sprite[y0 - y : y1 - y, x0 - x : x1 - x].astype(np.float32)
    a = alpha[y0 - y : y1 - y, x0 - x : x1 - x, None]
    region = frame[y0:y1, x0:x1].astype(np.float32)
    frame[y0:y1, x0:x1] = (region * (1 - a) + s * a).astype(np.uint8)


def turn_head(face: np.ndarray, yaw_deg: float, hair: tuple[int, int, int]) -> np.ndarray:
    """The face photo mapped onto a cylinder and turned by yaw (+: toward the image's right);
    the part of the cylinder behind the face shows hair."""
    import cv2

    h, w = face.shape[:2]
    u = (np.arange(w, dtype=np.float32) + 0.5) / w * 2 - 1  # -1..1 across the head
    phi_seen = np.arcsin(np.clip(u, -1, 1))
    phi = phi_seen - math.radians(yaw_deg)
    front = np.abs(phi) <= math.pi / 2
    src_u = np.sin(phi)
    map_x = np.tile(((src_u + 1) / 2 * w - 0.5).astype(np.float32), (h, 1))
    map_y = np.tile(np.arange(h, dtype=np.float32)[:, None], (1, w))
    out = cv2.remap(face, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    out[:, ~front] = hair
    return out


class SyntheticCamera:
    """Frames of a world at any time t (seconds of world time). `frame(t)` returns the BGR
    image and the truth of each person in view."""

    def __init__(
        self, world: World, images: Path | None = None, seed: int = 0, lens: Lens | None = None
    ) -> None:
        self.world = world
        self.lens = lens or Lens()
        self.sprites = _Sprites(images or shared_dir() / "images")
        self.seed = seed
        self.background = self._room(seed)
        rng = np.random.default_rng(seed + 1)
        # sensor noise: a few fixed noise fields taken in turn (drawing fresh noise for each
        # frame would cost more than the pipeline's detector)
        # (int8: the noise is within a few levels, and half the memory of int16: 7 MB a camera)
        self._noise = [rng.normal(0, 3.0, (HEIGHT, WIDTH, 3)).astype(np.int8) for _ in range(8)]
        self._frames = 0

    def _room(self, seed: int) -> np.ndarray:
        import cv2

        project = self.lens.project
        rng = np.random.default_rng(seed)
        img = np.zeros((HEIGHT, WIDTH, 3), np.uint8)
        horizon = round(project(0, 4.5, 0)[1])
        img[:horizon] = (188, 196, 204)  # the back wall
        for row in range(horizon, HEIGHT):  # the floor, lighter nearer
            shade = 120 + 60 * (row - horizon) / max(1, HEIGHT - horizon)
            img[row] = (shade * 0.8, shade * 0.9, shade)
        for shelf in range(4):  # shelves on the back wall with boxes on them
            y = round(project(0, 4.5, 0.4 + 0.45 * shelf)[1])
            cv2.rectangle(img, (0, y), (WIDTH, y + 4), (90, 100, 110), -1)
            x = int(rng.integers(0, 20))
            while x < WIDTH:
                bw, bh = int(rng.integers(10, 28)), int(rng.integers(12, 30))
                colour = tuple(int(c) for c in rng.integers(40, 230, 3))
                cv2.rectangle(img, (x, y - bh), (x + bw, y - 1), colour, -1)
                x += bw + int(rng.integers(2, 14))
        return img

    def seen(self, t: float) -> list[Seen]:
        """The truth at t: everybody in the world with where their face falls."""
        out = []
        for person, x, y in self.world.present(t):
            if person.kind == "bag" or y < NEAR_M:
                continue
            yaw = self._yaw(person, t)
            face = self._face_box(person, x, y)
            hand = self._hand_place(person, x, y, t)
            in_view = False
            if hand is not None:
                u, v = self.lens.project(hand[0], hand[1], hand[2])
                in_view = 0 <= u < WIDTH and 0 <= v < HEIGHT
            out.append(
                Seen(person.id, x, y, face, person.looking(t), person.waving(t), yaw, in_view)
            )
        return out

    def _face_box(
        self, person: Person, x: float, y: float
    ) -> tuple[float, float, float, float] | None:
        head_z = person.height_m - 0.12
        u, v = self.lens.project(x, y, head_z)
        size = _focal() * HEAD_WIDTH_M / self.lens.depth(x, y, head_z)
        box = (u - size / 2, v - size / 2, size, size)
        # in the picture while its middle (eyes, nose and mouth: FACE_MIDDLE of the box) is:
        # a face whose forehead or ear is cut by the picture's edge is still seen
        half = size * FACE_MIDDLE / 2
        if u - half < 0 or v - half < 0 or u + half > WIDTH or v + half > HEIGHT:
            return None
        return box

    def _yaw(self, person: Person, t: float) -> float:
        """The head's yaw relative to the line to the camera: 0 looking at the mirror, toward
        the walking direction otherwise (standing: aside, a side fixed per person), eased over
        TURN_S at each change."""

        def target(at: float) -> float:
            if person.looking(at):
                return 0.0
            vx, _vy = person.velocity(at)
            if abs(vx) > 0.2:  # noqa: PLR2004 - walking along the glass
                return -80.0 if vx > 0 else 80.0  # their right is the image's left
            return 55.0 if _rng_for(person.id).random() < 0.5 else -55.0  # noqa: PLR2004

        # ease: the average of the target over the last TURN_S
        samples = [target(t - TURN_S * k / 4) for k in range(5)]
        return float(np.mean(samples))

    def frame(self, t: float) -> tuple[np.ndarray, list[Seen]]:
        img = self.background.copy()
        seen = self.seen(t)
        people = sorted(self.world.present(t), key=lambda p: -p[2])  # far first
        truth = {s.person: s for s in seen}
        for person, x, y in people:
            if y < NEAR_M:
                continue
            if person.kind == "bag":
                self._bag(img, person, x, y)
                continue
            waving = person.waving(t)
            self._body(img, person, x, y, t)
            if person.id in truth:
                self._head(img, person, x, y, truth[person.id].yaw_deg)
                if waving:
                    self._arm(img, person, x, y, t)
                self._hand(img, person, x, y, t)
        self._frames += 1
        noisy = img.astype(np.int16)
        noisy += self._noise[self._frames % len(self._noise)]
        return np.clip(noisy, 0, 255).astype(np.uint8), seen

    def _bag(self, img: np.ndarray, person: Person, x: float, y: float) -> None:
        import cv2

        u0, v0 = self.lens.project(x - person.radius_m, y, person.height_m)
        u1, v1 = self.lens.project(x + person.radius_m, y, 0.0)
        cv2.rectangle(img, (round(u1), round(v0)), (round(u0), round(v1)), (40, 60, 90), -1)

    def _body(self, img: np.ndarray, person: Person, x: float, y: float, t: float) -> None:
        """A body shaped as people are (proportions of an adult scaled to the height): legs
        with shoes, a torso narrowing to the waist, shoulders, arms with hands, a neck; the
        clothes shaded lighter at the top, as light from the ceiling falls. The arm of a
        waving person's raised hand is left to _arm."""
        import cv2

        rng = _rng_for(person.id)
        clothes = np.array(rng.integers(30, 200, 3), np.float32)
        trousers = tuple(int(c) for c in rng.integers(20, 90, 3))
        skin = (110, 145, 190)
        h = person.height_m
        k = h / 1.75  # proportions of a 1.75 m adult
        shoulder, waist, hip, knee = h * 0.81, h * 0.62, h * 0.5, h * 0.28
        vx, vy = person.velocity(t)
        walking = math.hypot(vx, vy) > 0.2  # noqa: PLR2004
        phase = math.sin(t * 2 * math.pi * 0.9) if walking else 0.0
        depth = self.lens.depth(x, y, hip)
        px = self.lens.project
        raised = _hand_side(person) if person.waving(t) else 0.0

        def poly(points: list[tuple[float, float]], colour: tuple[int, ...]) -> None:
            pts = np.array([_pt(px(x + a, y, z)) for a, z in points], np.int32)
            cv2.fillPoly(img, [pts], colour, lineType=cv2.LINE_AA)

        for side in (-1, 1):  # legs, swinging when walking, and shoes
            swing = side * phase * 0.18 * k
            poly(
                [
                    (side * 0.02 * k, hip),
                    (side * 0.17 * k, hip),
                    (side * 0.14 * k + swing / 2, knee),
                    (side * 0.12 * k + swing, 0.06),
                    (side * 0.04 * k + swing, 0.06),
                    (side * 0.05 * k + swing / 2, knee),
                ],
                trousers,
            )
            poly(
                [
                    (side * 0.03 * k + swing, 0.07),
                    (side * 0.13 * k + swing, 0.07),
                    (side * 0.14 * k + swing, 0.0),
                    (side * 0.02 * k + swing, 0.0),
                ],
                (30, 30, 35),
            )
        top = tuple(int(c) for c in np.clip(clothes * 1.15, 0, 255))
        poly(
            [
                (-0.07 * k, h * 0.86),
                (0.07 * k, h * 0.86),
                (0.21 * k, shoulder),
                (0.2 * k, h * 0.72),
                (0.16 * k, waist),
                (0.18 * k, hip - 0.03),
                (-0.18 * k, hip - 0.03),
                (-0.16 * k, waist),
                (-0.2 * k, h * 0.72),
                (-0.21 * k, shoulder),
            ],
            tuple(int(c) for c in clothes),
        )
        poly(
            [
                (-0.07 * k, h * 0.86),
                (0.07 * k, h * 0.86),
                (0.19 * k, shoulder),
                (-0.19 * k, shoulder),
            ],
            top,
        )
        thick = max(2, round(_focal() * 0.075 * k / depth))
        for side in (-1, 1):  # arms, swinging against the legs, with hands
            if side == raised:
                continue
            swing = -side * phase * 0.1 * k
            a = _pt(px(x + side * 0.2 * k, y, shoulder - 0.03))
            elbow = _pt(px(x + side * 0.24 * k + swing / 2, y, waist + 0.02))
            hand = _pt(px(x + side * 0.25 * k + swing, y, hip - 0.02))
            cv2.line(img, a, elbow, top, thick, cv2.LINE_AA)
            cv2.line(img, elbow, hand, tuple(int(c) for c in clothes), thick, cv2.LINE_AA)
            cv2.circle(img, hand, max(1, round(thick * 0.7)), skin, -1, cv2.LINE_AA)
        neck_a = self.lens.project(x + 0.045 * k, y, h - 0.2)
        neck_b = self.lens.project(x - 0.045 * k, y, h * 0.85)
        cv2.rectangle(img, _pt(neck_a), _pt(neck_b), skin, -1)

    def _head(self, img: np.ndarray, person: Person, x: float, y: float, yaw: float) -> None:
        import cv2

        face = self.sprites.faces.get(person.face or "")
        if face is None:
            return
        sprite, alpha = face
        rng = _rng_for(person.id + "hair")
        hair = tuple(int(c) for c in rng.integers(10, 70, 3))
        turned = turn_head(sprite, yaw, hair)  # type: ignore[arg-type]
        head_z = person.height_m - 0.12
        # the sprite is 1.35 face boxes wide
        size = _focal() * HEAD_WIDTH_M * 1.35 / self.lens.depth(x, y, head_z)
        if size < 4:  # noqa: PLR2004 - too far to draw
            return
        u, v = self.lens.project(x, y, person.height_m - 0.12)
        s = max(4, round(size))
        small = cv2.resize(turned, (s, s), interpolation=cv2.INTER_AREA)
        a = cv2.resize(alpha, (s, s), interpolation=cv2.INTER_LINEAR)
        _blend(img, small, a, round(u - s / 2), round(v - s / 2 - 0.06 * s))

    def _arm(self, img: np.ndarray, person: Person, x: float, y: float, t: float) -> None:
        """The waving arm: the upper arm and the forearm in the clothes' sleeve, from the
        shoulder to the elbow and on to the wrist under the hand."""
        import cv2

        rng = _rng_for(person.id)
        clothes = tuple(int(c) for c in rng.integers(30, 200, 3))
        shoulder, elbow, wrist, _hand, _angle = _wave_pose(person, x, y, t)
        px = self.lens.project
        k = person.height_m / 1.75
        for a, b, width_m in ((shoulder, elbow, 0.085), (elbow, wrist, 0.07)):
            depth = self.lens.depth(*b)
            thick = max(2, round(_focal() * width_m * k / depth))
            cv2.line(img, _pt(px(*a)), _pt(px(*b)), clothes, thick, cv2.LINE_AA)

    def _hand(self, img: np.ndarray, person: Person, x: float, y: float, t: float) -> None:
        import cv2

        cut = self.sprites.hand_for(person.face)
        if cut is None:
            return
        sprite, alpha = cut
        place = self._hand_place(person, x, y, t)
        if place is None:
            return
        hx, hy, hz, angle = place
        scale = _focal() * HAND_M / self.lens.depth(hx, hy, hz) / sprite.shape[0]
        w, h = max(2, round(sprite.shape[1] * scale)), max(2, round(sprite.shape[0] * scale))
        small = cv2.resize(sprite, (w, h), interpolation=cv2.INTER_AREA)
        a = cv2.resize(alpha, (w, h), interpolation=cv2.INTER_LINEAR)
        if angle:
            m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
            small = cv2.warpAffine(small, m, (w, h), borderMode=cv2.BORDER_REPLICATE)
            a = cv2.warpAffine(a, m, (w, h))
        u, v = self.lens.project(hx, hy, hz)
        _blend(img, small, a, round(u - w / 2), round(v - h / 2))

    @staticmethod
    def _hand_place(
        person: Person, x: float, y: float, t: float
    ) -> tuple[float, float, float, float] | None:
        """Where a raised hand is (x, y, z in metres, and its turn in degrees): at the end of
        the waving forearm while the world says they wave; at the collar, fingers across, now
        and then while they stand; None when their hands are down."""
        side = _hand_side(person)
        if person.waving(t):
            _s, _e, _w, (hx, hy, hz), angle = _wave_pose(person, x, y, t)
            return hx, hy, hz, angle
        rng = _rng_for(person.id + "hand")
        rng.random()  # the side's draw (_hand_side)
        vx, vy = person.velocity(t)
        standing = math.hypot(vx, vy) < 0.2  # noqa: PLR2004
        phase = (t + rng.uniform(0, COLLAR_EVERY_S)) % COLLAR_EVERY_S
        if not (standing and phase < COLLAR_S):
            return None
        hx = x - side * 0.04 + 0.02 * math.sin(2 * math.pi * 1.3 * t)
        return hx, y - 0.1, person.height_m * 0.8, 90.0 * side


Point = tuple[float, float, float]


def _hand_side(person: Person) -> float:
    """Which hand a person raises (-1 or 1, along the world's x), fixed per person."""
    return -1.0 if _rng_for(person.id + "hand").random() < 0.5 else 1.0  # noqa: PLR2004


def _wave_pose(
    person: Person, x: float, y: float, t: float
) -> tuple[Point, Point, Point, Point, float]:
    """The waving arm at t: shoulder, elbow, wrist and the hand's centre (x, y, z in metres),
    and the hand's turn in the image in degrees (counter-clockwise, as the forearm leans)."""
    side = _hand_side(person)
    h = person.height_m
    k = h / 1.75
    shoulder = (x + side * 0.2 * k, y, h * 0.81)
    elbow = (x + side * ELBOW_OUT_M * k, y - ELBOW_FORWARD_M, h * 0.81 - ELBOW_DROP_M * k)
    # the forearm's lean from vertical, + toward the world's +x
    lean = math.radians(
        -side * WAVE_LEAN_DEG + WAVE_SWING_DEG * math.sin(2 * math.pi * WAVE_HZ * t)
    )
    along = (math.sin(lean), math.cos(lean))
    reach = FOREARM_M * k
    hand = (elbow[0] + reach * along[0], elbow[1], elbow[2] + reach * along[1])
    wrist_at = reach - HAND_M / 2
    wrist = (elbow[0] + wrist_at * along[0], elbow[1], elbow[2] + wrist_at * along[1])
    # the image's x is the world's -x: a lean toward +x turns the hand counter-clockwise
    return shoulder, elbow, wrist, hand, math.degrees(lean)


def _pt(p: tuple[float, float]) -> tuple[int, int]:
    return round(p[0]), round(p[1])
