"""The capture format (docs/touch.md, "Captures"): JSON Lines, so that boards, the simulator
and other tools can all write one.

    {"capture": 1, "frame": FRAME, "adc_bits": 12}
    {"t_us": T, "x": [[emitter, receiver, dark, lit, t_us], ...], "y": [...]}
    ...

FRAME is a frame description as JSON (the keys and meanings of hardware/frames/*.toml:
width_mm, height_mm, x and y with count, pitch_mm, first_mm and fan; optics, wiring and timing
optional) or the name of one in hardware/frames/. Each further line is one scan: T when its
first beam was read (µs, strictly increasing from scan to scan); per axis, the beams read, in
any order and any subset, each as its emitter's and receiver's indices along their bars, the
receiver's ADC counts read dark and lit (0 .. 2**adc_bits - 1), and when the lit reading was
taken (µs, at least T and within 65535 µs of it). The first START_SCANS scans show the glass
with nothing on it: replaying, the firmware takes its baseline from them.

read_capture() checks all of it and names the line and the field of the first problem.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from pydantic import ValidationError

from vitrine.errors import ConfigError, format_validation_error
from vitrine.hardware import FrameAxis, frame_config, load_frame
from vitrine_fw.touch.geometry import AXIS_X, Geometry
from vitrine_fw.touch.scan import START_SCANS

VERSION = 1
MAX_SCAN_US = 65535  # a scan's readings lie within this of its first one
AXES = ("x", "y")
SIDE_MM = (50, 3000)  # a frame's width and height: above the first, up to the second
MAX_GAP_MM = 50  # the bars' distance from the active area, at most
ROW = ("emitter", "receiver", "dark", "lit", "t_us")  # one reading
TIMING_OF = "32in"  # the frame whose scan costs a capture without "timing" gets


class CaptureError(ConfigError):
    """A capture that does not follow the format; the message names the line and field."""


@dataclass(frozen=True)
class Row:
    """One beam read in a scan."""

    emitter: int
    receiver: int
    dark: int
    lit: int
    t_us: int


@dataclass(frozen=True)
class CaptureScan:
    t_us: int  # when its first beam was read
    rows: dict[str, tuple[Row, ...]]  # per axis
    line: int = 0  # its line in the capture (for messages)


@dataclass(frozen=True)
class Capture:
    frame: dict[str, Any]  # as a touch board's config.json has it (a timing with adc_bits)
    adc_bits: int
    scans: tuple[CaptureScan, ...]


def _int(where: str, value: Any, lo: int, hi: int, what: str = "") -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise CaptureError(f"{where}={value!r}: allowed a whole number {lo}..{hi}{what}")
    if not lo <= value <= hi:
        raise CaptureError(f"{where}={value!r}: allowed {lo}..{hi}{what}")
    return value


def _frame(value: Any) -> dict[str, Any]:
    """The capture's frame as a config.json "frame" entry; raises CaptureError."""
    if isinstance(value, str):
        try:
            return frame_config(load_frame(value))
        except ConfigError as err:
            raise CaptureError(f"frame: {err}") from err
    if not isinstance(value, dict):
        raise CaptureError(
            f"frame={value!r}: allowed a frame description (an object) or a name in "
            "hardware/frames/"
        )
    allowed = {"width_mm", "height_mm", "x", "y", "optics", "wiring", "timing", "name", "notes"}
    unknown = sorted(set(value) - allowed)
    if unknown:
        raise CaptureError(
            f"frame.{unknown[0]}: unknown key; allowed: {', '.join(sorted(allowed))}"
        )
    frame: dict[str, Any] = {}
    for key in ("width_mm", "height_mm"):
        v = value.get(key)
        lo, hi = SIDE_MM
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not lo < v <= hi:
            raise CaptureError(f"frame.{key}={v!r}: allowed a number of mm above {lo}, up to {hi}")
        frame[key] = float(v)
    for axis in AXES:
        try:
            frame[axis] = FrameAxis.model_validate(value.get(axis)).model_dump()
        except ValidationError as err:
            raise CaptureError(format_validation_error(f"frame.{axis}", err, FrameAxis)) from err
        spec = frame[axis]
        span = frame["width_mm" if axis == "x" else "height_mm"]
        if spec["first_mm"] + (spec["count"] - 1) * spec["pitch_mm"] > span:
            raise CaptureError(f"frame.{axis}: its last beam lies outside the {span:g} mm area")
    optics = value.get("optics", {})
    gap = optics.get("bar_gap_mm", 0.0) if isinstance(optics, dict) else None
    if isinstance(gap, bool) or not isinstance(gap, (int, float)) or not 0 <= gap <= MAX_GAP_MM:
        raise CaptureError(
            f"frame.optics.bar_gap_mm={gap!r}: allowed a number of mm 0..{MAX_GAP_MM}"
        )
    frame["optics"] = dict(optics, bar_gap_mm=float(gap))
    for key in ("wiring", "timing"):
        if key in value:
            frame[key] = value[key]
    return frame


def _header(line: str) -> tuple[dict[str, Any], int]:
    try:
        head = json.loads(line)
    except json.JSONDecodeError as err:
        raise CaptureError(f"not JSON ({err})") from err
    if not isinstance(head, dict):
        raise CaptureError('allowed {"capture": 1, "frame": ..., "adc_bits": N}')
    unknown = sorted(set(head) - {"capture", "frame", "adc_bits"})
    if unknown:
        raise CaptureError(f"{unknown[0]}: unknown key; allowed: adc_bits, capture, frame")
    if head.get("capture") != VERSION:
        raise CaptureError(f"capture={head.get('capture')!r}: allowed {VERSION}")
    if "frame" not in head:
        raise CaptureError("frame: missing")
    bits = _int("adc_bits", head.get("adc_bits"), 8, 16)
    frame = _frame(head["frame"])
    # A capture needs no timing: the readings carry their moments. The firmware still builds
    # its scan plans from one, so a frame without it gets the costs of TIMING_OF's.
    timing = dict(frame_config(load_frame(TIMING_OF))["timing"])
    timing.update(frame.get("timing") or {})
    timing["adc_bits"] = bits
    frame["timing"] = timing
    return frame, bits


def _scan(
    line: str, frame: dict[str, Any], bits: int, last_t: int | None, number: int
) -> CaptureScan:
    try:
        data = json.loads(line)
    except json.JSONDecodeError as err:
        raise CaptureError(f"not JSON ({err})") from err
    if not isinstance(data, dict):
        raise CaptureError('allowed {"t_us": T, "x": [...], "y": [...]}')
    unknown = sorted(set(data) - {"t_us", *AXES})
    if unknown:
        raise CaptureError(f"{unknown[0]}: unknown key; allowed: t_us, x, y")
    t = data.get("t_us")
    if isinstance(t, bool) or not isinstance(t, int) or t < 0:
        raise CaptureError(f"t_us={t!r}: allowed a whole number of µs >= 0")
    if last_t is not None and t <= last_t:
        raise CaptureError(
            f"t_us={t}: times go backwards (the scan before began at {last_t}); allowed more "
            "than the last scan's"
        )
    top = (1 << bits) - 1
    rows: dict[str, tuple[Row, ...]] = {}
    for axis in AXES:
        raw = data.get(axis, [])
        if not isinstance(raw, list):
            raise CaptureError(f"{axis}: allowed a list of [emitter, receiver, dark, lit, t_us]")
        spec = frame[axis]
        count = spec["count"]
        fan = spec["fan"]
        out = []
        for i, row in enumerate(raw):
            where = f"{axis}[{i}]"
            if not isinstance(row, list) or len(row) != len(ROW):
                raise CaptureError(f"{where}={row!r}: allowed [{', '.join(ROW)}]")
            e = _int(f"{where}[0]", row[0], 0, count - 1, f" ({axis} has {count} emitters)")
            r = _int(f"{where}[1]", row[1], 0, count - 1, f" ({axis} has {count} receivers)")
            if r - e not in fan:
                raise CaptureError(
                    f"{where}: emitter {e} to receiver {r} is no beam of the frame: receivers "
                    f"are at the emitter's index plus one of {fan}"
                )
            dark = _int(f"{where}[2]", row[2], 0, top, f" (adc_bits {bits})")
            lit = _int(f"{where}[3]", row[3], 0, top, f" (adc_bits {bits})")
            rt = _int(f"{where}[4]", row[4], t, t + MAX_SCAN_US, " (the scan's t_us onwards)")
            out.append(Row(e, r, dark, lit, rt))
        rows[axis] = tuple(out)
    capacity = sum(frame[a]["count"] * (len(frame[a]["fan"]) + 1) for a in AXES)
    if sum(len(v) for v in rows.values()) > capacity:
        raise CaptureError(
            f"{sum(len(v) for v in rows.values())} readings: allowed {capacity} at most (every "
            "beam once, the straight ones twice)"
        )
    return CaptureScan(t, rows, number)


def read_capture(lines: Iterable[str], source: str = "capture") -> Capture:
    """Parse and check a capture; raises CaptureError as "SOURCE:LINE: what is wrong"."""
    frame: dict[str, Any] | None = None
    bits = 0
    scans = []
    last: int | None = None
    n = 0
    for n, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line:
            continue
        try:
            if frame is None:
                frame, bits = _header(line)
            else:
                scan = _scan(line, frame, bits, last, n)
                last = scan.t_us
                scans.append(scan)
        except CaptureError as err:
            raise CaptureError(f"{source}:{n}: {err}") from err
    if frame is None:
        raise CaptureError(f"{source}: empty: a capture starts with its header line")
    if len(scans) < START_SCANS:
        raise CaptureError(
            f"{source}:{n}: {len(scans)} scans: a capture starts with at least {START_SCANS} "
            "scans with nothing on the glass (the baseline)"
        )
    return Capture(frame, bits, tuple(scans))


def load_capture(path: Path) -> Capture:
    """Read and check a capture file; raises CaptureError naming the file and line."""
    try:
        with path.open(encoding="utf-8") as f:
            return read_capture(f, str(path))
    except OSError as err:
        raise CaptureError(f"{path}: cannot read: {err.strerror}") from err


def header_line(frame: dict[str, Any] | str, adc_bits: int) -> str:
    """The capture's first line."""
    return json.dumps(
        {"capture": VERSION, "frame": frame, "adc_bits": adc_bits}, separators=(",", ":")
    )


def scan_line(geometry: Geometry, t0_us: int, rows: Iterable[tuple[int, int, int, int]]) -> str:
    """One scan's line from the firmware's readings: t0 in µs and per reading (beam, dark,
    lit, µs after t0)."""
    out: dict[str, list[list[int]]] = {"x": [], "y": []}
    g = geometry
    for beam, dark, lit, t in rows:
        axis = "x" if g.fam_axis[g.beam_family[beam]] == AXIS_X else "y"
        out[axis].append(
            [g.beam_emitter[beam], g.beam_receiver[beam], int(dark), int(lit), t0_us + int(t)]
        )
    return json.dumps({"t_us": t0_us, **out}, separators=(",", ":"))


def write_capture(
    out: TextIO,
    frame: dict[str, Any],
    adc_bits: int,
    scans: Iterable[tuple[int, Iterable[tuple[int, int, int, int]]]],
) -> int:
    """Write a capture: the header, then one line per (t0_us, readings); returns the scans."""
    g = Geometry(frame)
    out.write(header_line(frame, adc_bits) + "\n")
    n = 0
    for t0, rows in scans:
        out.write(scan_line(g, t0, rows) + "\n")
        n += 1
    return n
