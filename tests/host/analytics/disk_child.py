"""Run inside a mount namespace with its own small tmpfs at argv[1] (test_writer_disk.py):
fill the filesystem (or make it read-only), keep recording, free it again, and print what
the writer did as one JSON line. The filesystem goes when the namespace does, so the counts
are taken here."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from vitrine.analytics.writer import ObservationWriter

AT = 1_773_486_000.0


def wait(cond, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.02)
    return False


def main() -> None:
    folder, mode = Path(sys.argv[1]), sys.argv[2]
    path = folder / "analytics.db"
    writer = ObservationWriter(path, "store-1", "mirror-1", buffer_max=300)
    writer.retry_s = 0.1
    writer.start()
    out: dict = {}
    n = 0

    def record(count):
        nonlocal n
        for _ in range(count):
            writer.observe(
                "interaction", AT + n * 0.01, session="a" * 32, kind="tap", screen="home"
            )
            n += 1

    record(100)
    out["flushed_before"] = writer.flush()
    filler = folder / "filler"
    if mode == "full":
        with open(filler, "wb") as f:
            try:
                while True:
                    f.write(b"\0" * 65536)
                    f.flush()
            except OSError as err:
                out["fill_error"] = err.strerror
    else:
        # Linux refuses to remount a filesystem read-only while a file is open on it for
        # writing, so this is the mirror coming up (again) on a disk that is read-only.
        writer.close()
        subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True)
        writer = ObservationWriter(path, "store-1", "mirror-1", buffer_max=300)
        writer.retry_s = 0.1
        writer.start()
    record(500)  # 300 fit the buffer, 200 are counted as lost
    out["trouble_seen"] = wait(lambda: writer.state in ("disk_full", "read_only"))
    out["state"] = writer.state
    out["status"] = writer.status()
    if mode == "full":
        filler.unlink()
    else:
        subprocess.run(["mount", "-o", "remount,rw", str(folder)], check=True)
    out["recovered"] = wait(lambda: writer.state == "ok" and writer.buffered == 0)
    record(10)
    writer.close()
    conn = sqlite3.connect(path)
    out["stored"] = conn.execute(
        "SELECT COUNT(*) FROM observation WHERE kind = 'interaction'"
    ).fetchone()[0]
    out["overflow"] = [
        json.loads(r[0])
        for r in conn.execute("SELECT data FROM observation WHERE kind = 'overflow'")
    ]
    out["integrity"] = conn.execute("PRAGMA integrity_check").fetchone()[0]
    print(json.dumps(out))


if __name__ == "__main__":
    main()
