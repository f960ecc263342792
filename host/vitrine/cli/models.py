"""`vitrine models install|list`: the vision models of models/manifest.toml, installed with
their SHA-256 checked (vitrine.vision.models)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    cmd = sub.add_parser("models", help="install and list the vision models (SHA-256 checked)")
    which = cmd.add_subparsers(dest="models_command", required=True, metavar="ACTION")
    install = which.add_parser(
        "install",
        help="copy models from a folder, or download them, checking each file's SHA-256",
        description="Each file is checked against models/manifest.toml (size and SHA-256) "
        "before it replaces anything: a mismatch is refused and the installed file stays.",
    )
    install.add_argument("names", nargs="*", metavar="NAME", help="models (default: all)")
    install.add_argument(
        "--from", dest="source", type=Path, help="a folder holding the files (else: download)"
    )
    install.add_argument("--to", type=Path, help="where to install (default: the state folder)")
    install.set_defaults(handler=cmd_install)
    listing = which.add_parser("list", help="each model: installed, missing or corrupt")
    listing.add_argument("--json", action="store_true", help="machine-readable output")
    listing.add_argument(
        "--in", dest="folder", type=Path, help="the folder to look in (default: every folder)"
    )
    listing.set_defaults(handler=cmd_list)


def _selected(names: list[str]) -> list:
    from vitrine.vision.models import ModelError, load_manifest

    entries = load_manifest()
    unknown = [n for n in names if n not in entries]
    if unknown:
        raise ModelError(
            f"no model {', '.join(unknown)} in the manifest; known: {', '.join(entries)}"
        )
    return [entries[n] for n in names] if names else list(entries.values())


def cmd_install(args: argparse.Namespace) -> int:
    from vitrine.vision.models import ModelError, install, install_folder, status

    to = args.to or install_folder()
    failed = 0
    shown: dict[str, int] = {}

    def progress(name: str, done: int, total: int) -> None:
        percent = done * 100 // total
        if shown.get(name) != percent:
            shown[name] = percent
            end = "\n" if done >= total else ""
            print(f"\r{name}: {percent:3d}% of {total / 1e6:.1f} MB", end=end, file=sys.stderr)

    for entry in _selected(args.names):
        if status(entry, to) == "installed":
            print(f"{entry.name}: already installed ({to / entry.file})")
            continue
        try:
            path = install(entry, to, source=args.source, progress=progress)
        except ModelError as err:
            if not entry.required and not args.names:
                print(f"{entry.name}: skipped (optional): {err}")
                continue
            print(f"error: {err}", file=sys.stderr)
            failed += 1
            continue
        print(f"{entry.name}: installed {path}, SHA-256 checked")
    return 1 if failed else 0


def cmd_list(args: argparse.Namespace) -> int:
    from vitrine.vision.models import model_folders, status

    folders = [args.folder] if args.folder else model_folders()
    rows = []
    for entry in _selected([]):
        states = {str(f): status(entry, f) for f in folders}
        where = next((f for f, s in states.items() if s == "installed"), None)
        state = "installed" if where else ("corrupt" if "corrupt" in states.values() else "missing")
        rows.append(
            {
                "name": entry.name,
                "file": entry.file,
                "status": state,
                "path": str(Path(where) / entry.file) if where else None,
                "required": entry.required,
                "size": entry.size,
                "licence": entry.licence,
                "folders": states,
            }
        )
    if args.json:
        print(json.dumps({"folders": [str(f) for f in folders], "models": rows}, indent=2))
    else:
        width = max(len(r["name"]) for r in rows)
        for r in rows:
            extra = "" if r["required"] else " (optional)"
            place = r["path"] or ", ".join(f"{f}: {s}" for f, s in r["folders"].items())
            print(f"{r['name']:<{width}}  {r['status']:<9}  {place}{extra}")
    bad = [r for r in rows if r["required"] and r["status"] != "installed"]
    return 1 if bad else 0
