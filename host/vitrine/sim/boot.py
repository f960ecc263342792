"""A virtual board's power-on: run the real firmware in this process, as main.py does on a
board, with the simulated board object. Started (and restarted after every reset) by the
simulation; not a user command.

    python -m vitrine.sim.boot --config JSON --uid HEX --reset-cause NAME --link-fd N \
        --parent-pid PID [--flash-dir DIR] [--world-fd N] [--noise JSON] [--glass-epoch SECONDS]
        [--ble-hci PATH --ble-address AA:BB:CC:DD:EE:FF]

--reset-cause is what the board's port says (machine.reset_cause()); as main.py does on a
board, the boot first takes the reset flag from the board's flash folder (--flash-dir), and a
board that finds it reports soft: the firmware asked for that reset (vitrine_fw/bootflag.py).

A board whose config has a "frame" (the touch role) gets its glass before the firmware
starts, with the noise of --noise and a drift timed from --glass-epoch (the simulation's
power-on on the monotonic clock); a presence board gets its time-of-flight chips and PIR
(vitrine.sim.sensors), watching an empty stage; a thread reads the world channel (--world-fd):
fingers on the glass, the people in front of the mirror, the sensors' faults
(vitrine.sim.world); another sends back on it what the board's LED strips show.

A board whose link is Bluetooth LE (config "link": {"kind": "ble"}) gets its radio on the
simulation's virtual BLE air: a Bumble peripheral at --ble-address on the HCI socket --ble-hci
(vitrine.sim.ble_peripheral), bridged to the GATT server the firmware registers.

SIGUSR1 hangs the firmware (the `stall` fault): the main thread blocks inside the signal
handler, so the event loop stops and nothing feeds the watchdog, exactly as a driver stuck in
a busy loop would on a board. The watchdog's own thread then resets the board.
"""

from __future__ import annotations

import signal

# First of all: only the simulation powers a board off (SIGKILL), not Ctrl-C or a SIGTERM sent
# to the whole process group or cgroup on the way down, which would look like a crash.
signal.signal(signal.SIGINT, signal.SIG_IGN)
signal.signal(signal.SIGTERM, signal.SIG_IGN)

# ruff: noqa: E402 - the imports below come after the signal set-up on purpose
import argparse
import json
import os
import socket
import sys
import threading
import time
import traceback
from pathlib import Path

from vitrine.sim.board import RESET_CAUSE_BY_NAME, SimBoard, boot_cause
from vitrine.sim.glass import Conditions
from vitrine.sim.lighting import attach_meter
from vitrine.sim.people import Stage
from vitrine.sim.sensors import attach_sensors
from vitrine.sim.world import StripReporter, attach_glass, noise_from_json, read_world
from vitrine_fw import config as fw_config
from vitrine_fw import supervisor, wire


def _hang(signum: int, frame: object) -> None:
    threading.Event().wait()  # forever; only the watchdog's reset ends this process


def _exit_with_parent(parent: int) -> None:
    # A board is powered by its simulation: if that process dies (even by SIGKILL, even before
    # this board got this far), so do we.
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(0)


def _noise(text: str) -> Conditions:
    try:
        return noise_from_json(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from err


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="vitrine.sim.boot")
    parser.add_argument("--config", required=True, help="the board's config.json content")
    parser.add_argument("--uid", required=True)
    parser.add_argument("--reset-cause", choices=sorted(RESET_CAUSE_BY_NAME), required=True)
    parser.add_argument("--link-fd", type=int, required=True)
    parser.add_argument("--parent-pid", type=int, required=True, help="the simulation's pid")
    parser.add_argument(
        "--flash-dir", type=Path, help="the board's filesystem, for its flag files across resets"
    )
    parser.add_argument(
        "--pose-schema",
        metavar="REV:HASH",
        help="pose as firmware built from another message table (tests of the refusal path)",
    )
    parser.add_argument("--world-fd", type=int, help="the world channel from the simulation")
    parser.add_argument("--noise", type=_noise, help="the glass' imperfections (JSON)")
    parser.add_argument(
        "--glass-epoch",
        type=float,
        help="power-on time on the monotonic clock (default: now), for the glass' drift",
    )
    parser.add_argument("--ble-hci", type=Path, help="the board's HCI socket on the BLE air")
    parser.add_argument("--ble-address", help="the board's static random BLE address")
    args = parser.parse_args(argv)

    cfg = fw_config.check(json.loads(args.config), "virtual board config")
    if args.pose_schema:
        rev, schema = args.pose_schema.split(":")
        wire.SCHEMA_REV = int(rev)
        wire.SCHEMA_HASH = int(schema, 0)
    threading.Thread(
        target=_exit_with_parent, args=(args.parent_pid,), name="power", daemon=True
    ).start()
    signal.signal(signal.SIGUSR1, _hang)
    board = SimBoard(
        uid=args.uid,
        reset_cause=boot_cause(args.reset_cause, args.flash_dir),
        link_socket=socket.socket(fileno=args.link_fd),
        flash_dir=args.flash_dir,
    )
    attach_glass(board, cfg, args.uid, args.noise, args.glass_epoch)
    if "proximity" in cfg:  # nobody in front until the simulation says otherwise
        board.stage = Stage()
        board.parts = attach_sensors(board, cfg, args.uid, board.stage)
    if "beacon" in cfg:  # its radio hears the world's phones (the world channel brings them)
        radio = board.ble()
        radio.company_id = cfg["beacon"]["company_id"]
        radio.seed = int(args.uid, 16)
    if args.ble_hci is not None:  # the radio on the virtual air, before the firmware uses it
        from vitrine.sim.ble_peripheral import BlePeripheral

        BlePeripheral(board.ble(), f"unix:{args.ble_hci}", args.ble_address or "").start()
    meter = attach_meter(board, cfg)  # what a lights board's strips draw, latch by latch
    if args.world_fd is not None:
        world = socket.socket(fileno=args.world_fd)
        reporter = StripReporter(world, board, meter)  # the light the strips give, back
        board.on_strip_write = reporter.changed
        board.on_pwm = reporter.changed
        threading.Thread(target=reporter.run, name="strips", daemon=True).start()
        threading.Thread(target=read_world, args=(world, board), name="world", daemon=True).start()
    try:
        supervisor.main(board, cfg)
    except Exception:  # as main.py does on a board: report, then reset
        traceback.print_exc()
        sys.stderr.flush()
        board.reset()


if __name__ == "__main__":
    main()
