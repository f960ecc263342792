"""`vitrine vision analyze PATH... [--json] [--annotate OUT]`: what the vision pipeline finds
in images or videos (faces with box, score, landmarks, head pose, attention, expression and
its probabilities; people; hands), so a builder can check a camera's position. --annotate
draws them into new image files (a video: its last frame) for the builder only; the live
camera is never written anywhere."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any


def register(sub: argparse._SubParsersAction) -> None:
    cmd = sub.add_parser("vision", help="the camera's vision pipeline, on files")
    which = cmd.add_subparsers(dest="vision_command", required=True, metavar="ACTION")
    analyze = which.add_parser(
        "analyze",
        help="faces, attention, expressions, people and hands in images or videos",
        description="Each image (or each frame of a video) goes through the pipeline at the "
        "camera's size (640x480, fitted). Exit code 1 when a file cannot be read or a model "
        "is missing.",
    )
    analyze.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="images or videos")
    analyze.add_argument("--json", action="store_true", help="one JSON object per file")
    analyze.add_argument(
        "--annotate",
        type=Path,
        metavar="OUT",
        help="a folder to write each file's picture into, with what was found drawn on it",
    )
    analyze.add_argument(
        "--max-frames", type=int, default=300, help="frames of a video to analyse (default 300)"
    )
    analyze.set_defaults(handler=cmd_analyze)


def cmd_analyze(args: argparse.Namespace) -> int:
    from vitrine.errors import VitrineError
    from vitrine.vision.analyze import analyze_file, annotate
    from vitrine.vision.config import VisionConfig
    from vitrine.vision.pipeline import Models

    config = VisionConfig(enabled=True, source="synthetic")
    models = Models.load(config, counter=True)
    failed = 0
    if args.annotate:
        args.annotate.mkdir(parents=True, exist_ok=True)
    for path in args.paths:
        try:
            report, last = analyze_file(path, models, config, args.max_frames)
        except VitrineError as err:
            print(f"error: {err}", file=sys.stderr)
            failed += 1
            continue
        if args.annotate and last is not None:
            out = args.annotate / f"{path.stem}.annotated.jpg"
            annotate(last, report["frames"][-1], out)
            report["annotated"] = str(out)
        print(json.dumps(report) if args.json else _text(report))
    return 1 if failed else 0


def _text(report: dict[str, Any]) -> str:
    lines = [f"{report['path']}: {report['kind']}, {len(report['frames'])} frame(s)"]
    for frame in report["frames"][-1:]:
        for face in frame["faces"]:
            x, y, w, h = face["box"]
            head = face["head"] or {}
            expr = face["expression"] or {}
            probs = ", ".join(f"{k} {v:.2f}" for k, v in expr.get("probabilities", {}).items())
            lines.append(
                f"  face at ({x:.0f}, {y:.0f}) {w:.0f}x{h:.0f} px, score {face['score']:.2f}; "
                f"head yaw {head.get('yaw_deg', 0):+.0f} pitch {head.get('pitch_deg', 0):+.0f} "
                f"deg, {head.get('off_axis_deg', 0):.0f} deg off the camera, about "
                f"{head.get('distance_m', 0):.1f} m; facing the mirror: "
                f"{'yes' if face['facing'] else 'no'}"
            )
            if expr:
                lines.append(f"    expression {expr['label']} ({expr['confidence']:.2f}): {probs}")
        for person in frame["people"]:
            x, y, w, h = person["box"]
            lines.append(
                f"  person at ({x:.0f}, {y:.0f}) {w:.0f}x{h:.0f} px, score {person['score']:.2f}"
            )
        for hand in frame["hands"]:
            x, y, w, h = hand["palm_box"]
            lines.append(
                f"  hand at ({x:.0f}, {y:.0f}), presence {hand['presence']:.2f}, "
                f"{hand['fingers_extended']} fingers stretched"
            )
        if not (frame["faces"] or frame["people"] or frame["hands"]):
            lines.append("  nothing found")
    if "annotated" in report:
        lines.append(f"  drawn into {report['annotated']}")
    return "\n".join(lines)
