"""Real servers for the fleet's tests and benchmark: a Mosquitto broker and a PostgreSQL
cluster from Debian's packages (tools/setup-system.sh installs them), each started on a free
loopback port in a temporary folder of its own and removed when stopped.

PostgreSQL refuses to run as root. Run as root (CI, the development machines), the cluster
belongs to the `postgres` user the package creates, and initdb and postgres are started as
that user (subprocess's user= and group=, which switch user in the child before it runs the
program: signals then reach postgres itself, as they would not through runuser or su); its
folder is made in /tmp so that user can reach it. As any other user they run as that user.
"""

from __future__ import annotations

import glob
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from vitrine.errors import VitrineError

MOSQUITTO = "/usr/sbin/mosquitto"
PG_USER = "postgres"


class ServerMissing(VitrineError):
    """A server's program is not installed."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_port(port: int, proc: subprocess.Popen, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise VitrineError(f"{what} exited with {proc.returncode} while starting")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise VitrineError(f"{what} did not listen on port {port} within {timeout:.0f} s")


class Mosquitto:
    """A broker on 127.0.0.1:port (persistent: a stop with SIGTERM saves what it holds for
    persistent sessions, as a production broker does); stop() and start() again to cut it and
    bring it back on the same port. Anonymous, or with `users` ({name: password}) only them;
    with tls, TLS only, its certificate (for localhost and 127.0.0.1) self-signed in
    `ca_file`."""

    def __init__(self, users: dict[str, str] | None = None, *, tls: bool = False) -> None:
        if not os.path.exists(MOSQUITTO):
            raise ServerMissing(f"{MOSQUITTO} is missing: run tools/setup-system.sh (mosquitto)")
        self.folder = Path(tempfile.mkdtemp(prefix="vitrine-mosquitto-"))
        self.port = free_port()
        self.tls = tls
        self.ca_file = self.folder / "ca.pem"
        extra = ""
        if users:
            passwords = self.folder / "passwords"
            passwords.touch(mode=0o600)
            for name, password in users.items():
                subprocess.run(
                    ["mosquitto_passwd", "-b", str(passwords), name, password], check=True
                )
            extra += f"allow_anonymous false\npassword_file {passwords}\n"
        else:
            extra += "allow_anonymous true\n"
        if tls:
            key = self.folder / "key.pem"
            subprocess.run(
                [
                    "openssl",
                    "req",
                    "-x509",
                    "-newkey",
                    "rsa:2048",
                    "-nodes",
                    "-days",
                    "2",
                    "-keyout",
                    str(key),
                    "-out",
                    str(self.ca_file),
                    "-subj",
                    "/CN=localhost",
                    "-addext",
                    "subjectAltName=DNS:localhost,IP:127.0.0.1",
                ],
                check=True,
                capture_output=True,
            )
            extra += f"cafile {self.ca_file}\ncertfile {self.ca_file}\nkeyfile {key}\n"
        self.conf = self.folder / "mosquitto.conf"
        self.conf.write_text(
            f"listener {self.port} 127.0.0.1\n"
            f"{extra}"
            "persistence true\n"
            f"persistence_location {self.folder}/\n"
            "max_queued_messages 0\n"  # no limit: a collector's session keeps all
            "max_inflight_messages 100\n"
            "log_dest none\n"
        )
        if os.geteuid() == 0 and _user_exists("mosquitto"):
            for path in [self.folder, *self.folder.iterdir()]:
                shutil.chown(path, "mosquitto")  # it drops root for its own user
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"mqtts://localhost:{self.port}" if self.tls else f"mqtt://127.0.0.1:{self.port}"

    def start(self) -> Mosquitto:
        self.proc = subprocess.Popen(
            [MOSQUITTO, "-c", str(self.conf)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _wait_port(self.port, self.proc, "mosquitto")
        return self

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> Mosquitto:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()


def _user_exists(name: str) -> bool:
    import pwd

    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def pg_bin() -> Path:
    """The folder of Debian's PostgreSQL programs (the newest installed)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"))
    if not found:
        raise ServerMissing(
            "PostgreSQL is not installed (/usr/lib/postgresql/*/bin/postgres): run "
            "tools/setup-system.sh (postgresql)"
        )
    return Path(found[-1]).parent


class Postgres:
    """A throw-away cluster on 127.0.0.1:port with a database `vitrine` (trust auth on the
    loopback only; fsync off: it is a test's)."""

    def __init__(self) -> None:
        self.bin = pg_bin()
        self.folder = Path(tempfile.mkdtemp(prefix="vitrine-pg-"))
        self.port = free_port()
        self.as_root = os.geteuid() == 0
        if self.as_root:
            if not _user_exists(PG_USER):
                raise ServerMissing(
                    f"running as root, PostgreSQL needs its own user ({PG_USER}), which the "
                    "postgresql package creates: run tools/setup-system.sh"
                )
            shutil.chown(self.folder, PG_USER, PG_USER)
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"postgresql://{PG_USER}@127.0.0.1:{self.port}/vitrine"

    def _as(self) -> dict:
        # Popen's arguments that start a program as the cluster's user
        return {"user": PG_USER, "group": PG_USER, "extra_groups": []} if self.as_root else {}

    def start(self) -> Postgres:
        data = self.folder / "data"
        subprocess.run(
            [
                str(self.bin / "initdb"),
                "-D",
                str(data),
                "-U",
                PG_USER,
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
            ],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            cwd=self.folder,
            **self._as(),
        )
        self.proc = subprocess.Popen(
            [
                str(self.bin / "postgres"),
                "-D",
                str(data),
                "-p",
                str(self.port),
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                f"unix_socket_directories={self.folder}",
                "-c",
                "fsync=off",
                "-c",
                "synchronous_commit=off",
                "-c",
                "full_page_writes=off",
                "-c",
                "max_connections=50",
                "-c",
                "shared_buffers=256MB",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd=self.folder,
            **self._as(),
        )
        _wait_port(self.port, self.proc, "postgres")
        deadline = time.monotonic() + 30
        while True:
            made = subprocess.run(
                [
                    str(self.bin / "createdb"),
                    "-h",
                    "127.0.0.1",
                    "-p",
                    str(self.port),
                    "-U",
                    PG_USER,
                    "vitrine",
                ],
                capture_output=True,
                text=True,
                check=False,
                cwd=self.folder,
            )
            if made.returncode == 0:
                break
            if time.monotonic() > deadline:
                raise VitrineError(f"createdb failed: {made.stderr.strip()}")
            time.sleep(0.2)
        return self

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)  # fast shutdown
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> Postgres:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()
