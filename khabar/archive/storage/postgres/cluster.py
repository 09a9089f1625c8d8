"""A throwaway local PostgreSQL cluster, for tests and benchmarks: ``initdb`` in a temporary folder,
a Unix socket only (no TCP port), UTF-8 with the ``C.UTF-8`` locale, trust authentication, and
durability off (``fsync=off``): fast, and gone when stopped.

PostgreSQL refuses to run as root, so as root the cluster belongs to the ``postgres`` user
(``runuser -u postgres``). The server binaries are found with ``pg_config --bindir``, then in
``/usr/lib/postgresql/*/bin``.

    with TemporaryCluster() as cluster:
        url = cluster.create_database("news")     # postgresql://postgres@/news?host=/tmp/…
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

__all__ = ["ClusterUnavailable", "TemporaryCluster", "find_bindir"]

HOW_TO_GET = ("install PostgreSQL's server (Debian: apt-get install -y postgresql), or give a server with "
              "KHABAR_TEST_POSTGRES=postgresql://…")


class ClusterUnavailable(RuntimeError):
    """No PostgreSQL server binaries here, or the cluster would not start (the message says which)."""


def find_bindir() -> Path | None:
    """The folder of ``initdb`` and ``pg_ctl``, or ``None``."""
    candidates: list[str] = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        try:
            out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, timeout=20)
            candidates.append(out.stdout.strip())
        except (OSError, subprocess.SubprocessError):
            pass
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    candidates += [str(Path(p).parent) for p in (shutil.which("initdb"), shutil.which("pg_ctl")) if p]
    for c in candidates:
        if c and (Path(c) / "initdb").exists() and (Path(c) / "pg_ctl").exists():
            return Path(c)
    return None


class TemporaryCluster:
    """Start with :meth:`start` (or ``with``); :meth:`create_database` gives a database's URL."""

    def __init__(self, *, bindir: Path | None = None, settings: dict[str, str] | None = None) -> None:
        found = bindir or find_bindir()
        if found is None:
            raise ClusterUnavailable(f"no PostgreSQL server binaries (initdb, pg_ctl) found: {HOW_TO_GET}")
        self.bindir: Path = found
        self.settings = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off",
                         "max_connections": "60", "shared_buffers": "128MB", **(settings or {})}
        self.root: Path | None = None
        self.as_root = os.geteuid() == 0

    @property
    def socket_dir(self) -> Path:
        assert self.root is not None, "the cluster is not started"
        return self.root

    @property
    def data_dir(self) -> Path:
        return self.socket_dir / "data"

    def _run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        cmd = [str(self.bindir / args[0]), *args[1:]]
        if self.as_root:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)

    def start(self) -> TemporaryCluster:
        self.root = Path(tempfile.mkdtemp(prefix="khabar-pg-", dir="/tmp"))
        if self.as_root:
            shutil.chown(self.root, "postgres", "postgres")
        init = self._run("initdb", "-D", str(self.data_dir), "-E", "UTF8", "--locale=C.UTF-8", "-A", "trust",
                         "-U", "postgres")
        if init.returncode != 0:
            self._cleanup()
            raise ClusterUnavailable(f"initdb failed: {(init.stderr or init.stdout).strip()[-300:]}")
        options = f"-k {self.socket_dir} -c listen_addresses=''" + "".join(
            f" -c {k}={v}" for k, v in self.settings.items())
        start = self._run("pg_ctl", "-D", str(self.data_dir), "-o", options, "-l", str(self.socket_dir / "log"),
                          "-w", "-t", "60", "start")
        if start.returncode != 0:
            log = (self.socket_dir / "log").read_text(errors="replace")[-500:] if (self.socket_dir / "log").exists() else ""
            self._cleanup()
            raise ClusterUnavailable(f"the test cluster did not start: {start.stderr.strip()[-300:]} {log}")
        self._watch()
        return self

    def _watch(self) -> None:
        """A small process that stops the cluster if this one dies without stopping it (a test run
        killed by a timeout), so no server is left running."""
        stop = [str(self.bindir / "pg_ctl"), "-D", str(self.data_dir), "-m", "immediate", "-w", "stop"]
        if self.as_root:
            stop = ["runuser", "-u", "postgres", "--", *stop]
        code = ("import os, shutil, subprocess, sys, time\n"
                "parent, root, stop = int(sys.argv[1]), sys.argv[2], sys.argv[3:]\n"
                "while os.path.isdir(root):\n"
                "    try:\n        os.kill(parent, 0)\n    except OSError:\n        break\n"
                "    time.sleep(1)\n"
                "if os.path.isdir(root):\n"
                "    subprocess.run(stop, capture_output=True, timeout=60)\n"
                "    shutil.rmtree(root, ignore_errors=True)\n")
        subprocess.Popen([sys.executable, "-c", code, str(os.getpid()), str(self.root), *stop],
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         start_new_session=True)

    def require_password(self, user: str) -> None:
        """Make ``user`` log in with a password (SCRAM) instead of being trusted."""
        hba = self.data_dir / "pg_hba.conf"
        line = f"local all {user} scram-sha-256\n"
        if self.as_root:
            subprocess.run(["runuser", "-u", "postgres", "--", "sh", "-c",
                            f"printf '%s' '{line}' | cat - {hba} > {hba}.new && mv {hba}.new {hba}"], check=True)
        else:
            hba.write_text(line + hba.read_text())
        self._run("pg_ctl", "-D", str(self.data_dir), "reload")
        time.sleep(0.5)

    def url(self, database: str = "postgres", user: str = "postgres") -> str:
        return f"postgresql://{user}@/{database}?host={self.socket_dir}"

    def create_database(self, name: str | None = None) -> str:
        """A new empty database (UTF-8, ``C.UTF-8``); its URL."""
        import psycopg

        name = name or f"k_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE template0 ENCODING \'UTF8\' '
                         "LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'")
        return self.url(name)

    def drop_database(self, name_or_url: str) -> None:
        """Drop a database (by name, or by the URL :meth:`create_database` gave)."""
        import psycopg
        from psycopg.conninfo import conninfo_to_dict

        name = str(conninfo_to_dict(name_or_url).get("dbname")) if "://" in name_or_url else name_or_url
        if self.root is None:
            return
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self) -> None:
        if self.root is None:
            return
        if self.data_dir.exists():
            self._run("pg_ctl", "-D", str(self.data_dir), "-m", "immediate", "-w", "stop", timeout=60)
        self._cleanup()

    def _cleanup(self) -> None:
        if self.root is not None:
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None

    def __enter__(self) -> TemporaryCluster:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
