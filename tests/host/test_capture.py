"""Raw scan captures (docs/touch.md, Captures): the simulator writes one, `vitrine touch
replay` runs it through the firmware and gives the contacts the pipeline reported live, and a
capture that breaks the format is refused with the line and the field named."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from vitrine.capture.format import CaptureError, load_capture, read_capture
from vitrine.capture.replay import replay_capture
from vitrine.cli import main
from vitrine.sim.scenario import parse_scenario
from vitrine.sim.touch import ScanReadings, replay, touches_json
from vitrine_fw.touch.scan import START_SCANS

SCENARIO = {
    "frame": {"width_mm": 300, "height_mm": 200, "pitch_mm": 5},
    "noise": {"sigma": 0.01, "ambient": 0.2},
    "duration_ms": 300,
    "fingers": [
        {"id": 1, "diameter_mm": 9, "path": [[0, 60.0, 50.0], [250, 220.0, 150.0]]},
        {"id": 2, "diameter_mm": 60, "path": [[50, 150.0, 60.0], [200, 150.0, 60.0]]},
    ],
}


def _scenario() -> Any:
    return parse_scenario(SCENARIO, "test")


def _captured() -> tuple[list[list[dict[str, object]]], list[ScanReadings], dict[str, Any]]:
    scenario = _scenario()
    raw: list[ScanReadings] = []
    live = [touches_json(scan.touches) for scan in replay(scenario, capture=raw.append)]
    return live, raw, scenario.frame


def _write(path: Path, frame: dict[str, Any], raw: list[ScanReadings]) -> None:
    from vitrine.capture.format import header_line, scan_line
    from vitrine_fw.touch.geometry import Geometry

    g = Geometry(frame)
    lines = [header_line(frame, frame["timing"]["adc_bits"])]
    lines += [scan_line(g, scan.t0_us, scan.rows) for scan in raw]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_a_capture_replayed_gives_the_contacts_reported_live(tmp_path: Path) -> None:
    live, raw, frame = _captured()
    assert any(live), "the scenario puts something on the glass"
    assert any(t["kind"] == "palm" for scan in live for t in scan), "and a palm"
    path = tmp_path / "c.jsonl"
    _write(path, frame, raw)
    replayed = [touches_json(s.touches) for s in replay_capture(load_capture(path))]
    # one line per capture scan: the baseline's first, then the scenario's scans (and the scan
    # the live replay stopped after, beyond the scenario's end)
    assert len(replayed) == len(raw)
    assert all(scan == [] for scan in replayed[:START_SCANS])
    assert replayed[START_SCANS : START_SCANS + len(live)] == live


def test_the_report_times_lie_within_their_scans(tmp_path: Path) -> None:
    _, raw, frame = _captured()
    path = tmp_path / "c.jsonl"
    _write(path, frame, raw)
    capture = load_capture(path)
    times = [s.t_us for s in replay_capture(capture)]
    for scan, t in zip(capture.scans, times, strict=True):
        last = max(r.t_us for rows in scan.rows.values() for r in rows)
        assert scan.t_us <= t <= last


def test_sim_touch_capture_and_touch_replay_agree(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario = tmp_path / "s.json"
    scenario.write_text(json.dumps(SCENARIO), encoding="utf-8")
    out = tmp_path / "c.jsonl"
    assert main(["sim", "touch", "--scenario", str(scenario), "--json", "--capture", str(out)]) == 0
    live = [json.loads(line)["touches"] for line in capsys.readouterr().out.splitlines()]
    assert main(["touch", "replay", str(out), "--json"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [sorted(line) for line in lines[:1]] == [["t_us", "touches"]]
    assert [line["touches"] for line in lines[START_SCANS : START_SCANS + len(live)]] == live


# --- bad captures ------------------------------------------------------------------------------


def _good() -> list[str]:
    head = {"capture": 1, "frame": "32in", "adc_bits": 12}
    scans = [
        {
            "t_us": 1000 * i,
            "x": [[3, 3, 80, 2100, 1000 * i + 5]],
            "y": [[4, 4, 81, 2090, 1000 * i + 9]],
        }
        for i in range(START_SCANS + 2)
    ]
    return [json.dumps(head)] + [json.dumps(s) for s in scans]


def _with(line: int, change: dict[str, Any]) -> list[str]:
    lines = _good()
    data = json.loads(lines[line - 1])
    data.update(change)
    lines[line - 1] = json.dumps(data)
    return lines


def test_a_good_capture_reads() -> None:
    capture = read_capture(_good(), "c.jsonl")
    assert len(capture.scans) == START_SCANS + 2
    assert capture.scans[0].rows["x"][0].lit == 2100


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (_with(1, {"frame": "60in"}), "c.jsonl:1: frame: "),
        (_with(1, {"capture": 2}), "c.jsonl:1: capture=2: allowed 1"),
        (_with(1, {"adc_bits": 20}), "c.jsonl:1: adc_bits=20: allowed 8..16"),
        (
            _with(1, {"frame": {"width_mm": 300, "height_mm": 200}}),
            "c.jsonl:1: frame.x",
        ),
        (
            _with(3, {"x": [[200, 200, 80, 2100, 2005]]}),
            "c.jsonl:3: x[0][0]=200: allowed 0..",
        ),
        (
            _with(3, {"y": [[4, 90, 80, 2100, 2005]]}),
            "c.jsonl:3: y[0][1]=90: allowed 0..",
        ),
        (
            _with(4, {"x": [[3, 4, 80, 2100, 3005]]}),
            "c.jsonl:4: x[0]: emitter 3 to receiver 4 is no beam of the frame",
        ),
        (
            _with(5, {"x": [[3, 3, 80, 4096, 4005]]}),
            "c.jsonl:5: x[0][3]=4096: allowed 0..4095 (adc_bits 12)",
        ),
        (
            _with(6, {"y": [[4, 4, -1, 2000, 5005]]}),
            "c.jsonl:6: y[0][2]=-1: allowed 0..4095 (adc_bits 12)",
        ),
        (_with(7, {"t_us": 4000}), "c.jsonl:7: t_us=4000: times go backwards"),
        (_with(7, {"t_us": 100}), "c.jsonl:7: t_us=100: times go backwards"),
        (
            _with(8, {"x": [[3, 3, 80, 2100, 5999]]}),
            "c.jsonl:8: x[0][4]=5999: allowed 6000..",
        ),
        (_with(9, {"z": []}), "c.jsonl:9: z: unknown key"),
        (_with(9, {"x": [[3, 3, 80]]}), "c.jsonl:9: x[0]=[3, 3, 80]: allowed [emitter, receiver"),
        (_good()[:5], "c.jsonl:5: 4 scans: a capture starts with at least 20 scans"),
        ([], "c.jsonl: empty"),
        (["{", *_good()[1:]], "c.jsonl:1: not JSON"),
    ],
)
def test_a_bad_capture_is_refused_naming_the_line_and_field(
    lines: list[str], expected: str
) -> None:
    with pytest.raises(CaptureError) as caught:
        read_capture(lines, "c.jsonl")
    assert str(caught.value).startswith(expected), str(caught.value)


def test_touch_replay_reports_a_bad_capture_without_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join(_with(5, {"x": [[3, 3, 80, 5000, 4005]]})) + "\n")
    assert main(["touch", "replay", str(path)]) != 0
    err = capsys.readouterr().err
    assert f"{path}:5: x[0][3]=5000: allowed 0..4095" in err
    assert "Traceback" not in err


def test_a_capture_from_elsewhere_with_a_frame_by_value_replays() -> None:
    # Another tool's capture: the frame given by value, no optics, rows in any order.
    frame = {
        "width_mm": 300,
        "height_mm": 200,
        "x": {"count": 60, "pitch_mm": 5, "first_mm": 2.5, "fan": [0, -10, 10]},
        "y": {"count": 40, "pitch_mm": 5, "first_mm": 2.5, "fan": [0, -8, 8]},
    }
    lines = [json.dumps({"capture": 1, "frame": frame, "adc_bits": 12})]
    for i in range(START_SCANS + 3):
        t = 20_000 * i
        x = [[e, e, 60, 2000, t + 10 + e] for e in range(60)][::-1]
        y = [[e, e, 60, 2000, t + 700 + e] for e in range(40)]
        lines.append(json.dumps({"t_us": t, "x": x, "y": y}))
    scans = list(replay_capture(read_capture(io.StringIO("\n".join(lines)))))
    assert len(scans) == START_SCANS + 3
    assert all(s.touches == () for s in scans)
