"""`khabar serve` as a user runs it: prints its address, answers, stops on Ctrl-C, refuses what it cannot serve."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path
from typing import Any

import httpx


def test_serve_prints_its_address_and_stops_on_ctrl_c(test_archive: Path, start_server: Any) -> None:
    with start_server(test_archive) as srv:
        assert srv.url.startswith("http://127.0.0.1:")
        assert httpx.get(f"{srv.url}/healthz").json() == {"status": "ok", "archive": "ok"}
        r = httpx.get(f"{srv.url}/analyze")
        assert r.status_code == 200 and 'dir="rtl"' in r.text
        srv.proc.send_signal(signal.SIGINT)
        assert srv.proc.wait(timeout=15) == 0


def test_serve_with_workers_answers_and_stops_every_process_on_ctrl_c(test_archive: Path, start_server: Any) -> None:
    with start_server(test_archive, "--workers", "2", "--no-stories") as srv:
        with httpx.Client(base_url=srv.url, timeout=30) as http:
            assert http.get("/healthz").json() == {"status": "ok", "archive": "ok"}
            for _ in range(6):
                r = http.get("/api/v1/search", params={"q": "زلزله"})
                assert r.status_code == 200 and r.json()["results"]
        children = subprocess.run(["ps", "--ppid", str(srv.proc.pid), "-o", "pid="], capture_output=True,
                                  text=True).stdout.split()
        assert len(children) >= 2  # the workers
        srv.proc.send_signal(signal.SIGINT)
        assert srv.proc.wait(timeout=20) == 0
    import time

    def alive() -> list[str]:  # multiprocessing's resource tracker leaves once it sees its parent gone
        return [pid for pid in children if Path(f"/proc/{pid}").exists()
                and "zombie" not in Path(f"/proc/{pid}/status").read_text()]

    deadline = time.monotonic() + 10
    while alive() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert alive() == []


def test_serve_says_it_is_read_only_without_a_token(test_archive: Path, start_server: Any) -> None:
    with start_server(test_archive, env={"KHABAR_TOKEN": ""}) as srv:
        assert "read-only" in srv.line
    with start_server(test_archive, env={"KHABAR_TOKEN": "s3cret"}) as srv:
        assert "read-write" in srv.line and "s3cret" not in srv.line


def test_serve_refuses_a_missing_archive(tmp_path: Path, khabar_cli: list[str]) -> None:
    run = subprocess.run([*khabar_cli, "serve", "--db", str(tmp_path / "none.db"), "--port", "0"],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 1
    assert "no archive here" in run.stderr and "khabar ingest" in run.stderr


def test_serve_refuses_a_port_in_use(test_archive: Path, start_server: Any, khabar_cli: list[str]) -> None:
    with start_server(test_archive) as srv:
        port = srv.url.rsplit(":", 1)[1]
        run = subprocess.run([*khabar_cli, "serve", "--db", str(test_archive), "--port", port],
                             capture_output=True, text=True, timeout=60)
        assert run.returncode == 1
        assert f"cannot listen on 127.0.0.1:{port}" in run.stderr and "--port 0" in run.stderr


def test_make_demo_ends_by_serving_the_archive(tmp_path: Path) -> None:
    """`make demo` runs `python -m khabar.demo --serve`: the searches, then the address; Ctrl-C ends it."""
    import os
    import sys
    import threading
    import time

    proc = subprocess.Popen([sys.executable, "-m", "khabar.demo", "--serve", "--port", "0", "--db",
                             str(tmp_path / "demo.db")], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env={**os.environ, "COLUMNS": "200"})
    seen: list[str] = []
    reader = threading.Thread(target=lambda: seen.extend(iter(proc.stdout.readline, "")) if proc.stdout else None,
                              daemon=True)
    reader.start()
    try:
        url, deadline = None, time.monotonic() + 240
        while url is None and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.2)
            url = next((line.split(" at ", 1)[1].split()[0] for line in list(seen)
                        if "Serving the demo archive at" in line), None)
        assert url, "".join(seen)
        assert "$ khabar search" in "".join(seen)
        assert httpx.get(url + "api/v1/version").status_code == 200
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_serve_assigns_stories_in_the_background(tmp_path: Path, start_server: Any, khabar_cli: list[str]) -> None:
    import time

    db = tmp_path / "fresh.db"
    samples = Path(__file__).resolve().parents[2] / "samples"
    subprocess.run([*khabar_cli, "ingest", str(samples), "--db", str(db), "--jobs", "1"], check=True,
                   capture_output=True, timeout=300)
    with start_server(db) as srv:
        assert httpx.get(f"{srv.url}/healthz").status_code == 200  # serving while stories are assigned
        deadline = time.monotonic() + 60
        stories: list[Any] = []
        while not stories and time.monotonic() < deadline:
            stories = httpx.get(f"{srv.url}/api/v1/stories").json()
            time.sleep(0.3)
        assert stories and stories[0]["size"] >= 2
