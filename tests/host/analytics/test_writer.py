"""The observation writer: batches, the bound in memory, and a real full or read-only disk.

The disk tests give a child process a mount namespace of its own (`unshare -rm`: a user
namespace, so it works as root and as an ordinary user alike, here and in CI) with a 1 MiB
tmpfs, which it fills or remounts read-only while it records."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from vitrine.analytics.writer import ObservationWriter

AT = 1_773_486_000.0
CHILD = Path(__file__).with_name("disk_child.py")


def test_observations_are_written_in_batches_and_queued_for_the_outbox(tmp_path):
    writer = ObservationWriter(tmp_path / "a.db", "store-1", "mirror-1", outbox=True)
    writer.start()
    for i in range(2500):
        writer.observe("presence", AT + i, present=bool(i % 2), source="presence")
    assert writer.flush()
    writer.close()
    conn = sqlite3.connect(tmp_path / "a.db")
    assert conn.execute("SELECT COUNT(*) FROM observation").fetchone()[0] == 2500
    assert conn.execute("SELECT COUNT(*) FROM outbox").fetchone()[0] == 2500
    assert writer.status()["state"] == "ok"
    assert writer.commits < 25  # batched, not one transaction each


def test_a_wrongly_made_observation_is_counted_and_the_rest_goes_on(tmp_path, caplog):
    writer = ObservationWriter(tmp_path / "a.db", "store-1", "mirror-1")
    writer.start()
    for _ in range(3):
        writer.observe("rating", AT, session="a" * 32, csat=9)
    writer.observe("rating", AT, session="a" * 32, csat=4)
    writer.close()
    assert writer.invalid == 3
    assert writer.written == 1
    assert caplog.text.count("rating observation could not be made") == 1


def test_without_a_disk_the_bound_counts_what_does_not_fit(tmp_path):
    # A folder that cannot be made (a file stands in the way): nothing can be written.
    (tmp_path / "blocked").write_text("")
    writer = ObservationWriter(tmp_path / "blocked" / "a.db", "s", "m", buffer_max=10)
    writer.retry_s = 0.05
    writer.start()
    for i in range(25):
        writer.observe("presence", AT + i, present=True, source="presence")
    writer.flush(0.3)
    status = writer.status()
    writer.close(timeout=0.5)
    assert status["state"] == "error"
    assert status["buffered"] == 10
    assert status["overflowed"] == 15


def _unshare() -> list[str]:
    tool = shutil.which("unshare")
    if tool is None:
        pytest.skip("needs unshare (util-linux) for a filesystem of the test's own")
    probe = subprocess.run([tool, "-rm", "true"], capture_output=True, text=True, check=False)
    if probe.returncode != 0:
        pytest.skip(f"user namespaces are not allowed here: {probe.stderr.strip()}")
    return [tool, "-rm"]


@pytest.mark.parametrize("mode", ["full", "read_only"])
def test_a_full_or_read_only_disk_keeps_the_mirror_going_and_counts_the_overflow(tmp_path, mode):
    folder = tmp_path / "small"
    folder.mkdir()
    script = (
        f"mount -t tmpfs -o size=1m tmpfs {folder} && "
        f"exec {sys.executable} {CHILD} {folder} {'full' if mode == 'full' else 'ro'}"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run(
        [*_unshare(), "sh", "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["flushed_before"]
    assert out["trouble_seen"], out
    assert out["state"] == ("disk_full" if mode == "full" else "read_only")
    assert out["status"]["buffered"] == 300
    assert out["status"]["overflowed"] == 200
    assert out["recovered"]
    # everything that fitted the bound was written once the disk took it again...
    assert out["stored"] == 100 + 300 + 10
    # ... and what did not is on record, with when
    assert len(out["overflow"]) == 1
    assert out["overflow"][0]["dropped"] == 200
    assert out["overflow"][0]["since"] <= out["overflow"][0]["until"]
    assert out["integrity"] == "ok"
