"""A stand-in for a board process in the manager's tests: it takes the arguments the
simulation starts `vitrine.sim.boot` with, and instead of running the firmware it reports on
its serial line what reached it: `boot CAUSE NOISE` once, then `world LINE` for every line of
the world channel. It powers off with the simulation, as a board does."""

from __future__ import annotations

import argparse
import os
import socket
import threading
import time


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reset-cause", required=True)
    parser.add_argument("--link-fd", type=int, required=True)
    parser.add_argument("--world-fd", type=int, required=True)
    parser.add_argument("--parent-pid", type=int, required=True)
    parser.add_argument("--noise", default="-")
    args, _ = parser.parse_known_args()
    link = socket.socket(fileno=args.link_fd)
    lock = threading.Lock()

    def say(text: bytes) -> None:
        with lock:
            link.sendall(text + b"\n")

    say(f"boot {args.reset_cause} {args.noise}".encode())

    def echo() -> None:
        with socket.socket(fileno=args.world_fd) as world, world.makefile("rb") as lines:
            for line in lines:
                say(b"world " + line.rstrip(b"\n"))

    threading.Thread(target=echo, daemon=True).start()
    while os.getppid() == args.parent_pid:
        time.sleep(0.1)


if __name__ == "__main__":
    main()
