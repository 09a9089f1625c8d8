"""The real parts for the web tests: an archive built by `khabar ingest`, `khabar serve` as a
subprocess on 127.0.0.1 (a free port), and Debian's Chromium driven by Playwright.

Chromium comes from the system (`apt-get install chromium fonts-noto-core`, which .ci/run does);
Playwright's own browser download is never used. Without /usr/bin/chromium the browser tests
skip locally and fail under CI=true.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "samples"
ARTIFACTS = REPO / "test-artifacts"
AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
CHROMIUM = "/usr/bin/chromium"
# As root on a closed network: no sandbox (needs a user namespace), nothing phoning home.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]

# Articles written to attack the page: every field a person could control carries markup,
# script URLs or bidi overrides. They must show as text and run nothing.
HOSTILE = [
    {"title": '<script>window.__pwned="title"</script><img src=x onerror="window.__pwned=\'img\'">خبر خطرناک',
     "text": "وزیر <script>window.__pwned='text'</script> گفت: «<img src=x onerror=alert(1)> ما ادامه میدهیم.» "
             "او در تهران با \u202eعلی‌رضا کریمی\u202c دیدار کرد. <b onmouseover=alert(2)>متن</b> javascript:alert(3)",
     "url": "javascript:alert(4)", "outlet": "<svg onload=alert(5)>", "published": "2024-10-15"},
    {"title": "\u202eRTL override\u202c خبر دوم «\u2067» <iframe src=javascript:alert(6)>",
     "text": "به گزارش <a href=javascript:alert(7)>ایسنا</a>، رئیس جمهور امروز به مشهد رفت. ' \" ` ${7*7} {{7*7}}",
     "url": "https://example.org/<script>", "outlet": "ایسنا", "published": "2024-10-16"},
]


def khabar_command() -> list[str]:
    script = Path(sys.executable).with_name("khabar")
    return [str(script)] if script.exists() else [sys.executable, "-m", "khabar.cli"]


@pytest.fixture(scope="session")
def chromium_path() -> str:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: .ci/run installs it (apt-get install -y chromium fonts-noto-core)")
        pytest.skip(f"no {CHROMIUM}: apt-get install -y chromium fonts-noto-core to run the browser tests")
    return CHROMIUM


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any], chromium_path: str) -> dict[str, Any]:
    return {**browser_type_launch_args, "executable_path": chromium_path, "args": CHROMIUM_ARGS, "headless": True}


@pytest.fixture(scope="session")
def test_archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample articles and the hostile ones, ingested by the CLI as a user would."""
    folder = tmp_path_factory.mktemp("archive")
    db = folder / "test.db"
    hostile = folder / "hostile.jsonl"
    hostile.write_text("".join(json.dumps(h, ensure_ascii=False) + "\n" for h in HOSTILE), encoding="utf-8")
    for source in (SAMPLES, hostile):
        run = subprocess.run([*khabar_command(), "ingest", str(source), "--db", str(db), "--jobs", "1"],
                             capture_output=True, text=True, timeout=300)
        assert run.returncode == 0, run.stderr
    # Stories now, as `khabar stories` does, so no test waits on `khabar serve`'s background clustering.
    run = subprocess.run([*khabar_command(), "stories", "--db", str(db)], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    return db


class Server:
    def __init__(self, proc: subprocess.Popen[str], line: str) -> None:
        self.proc = proc
        self.line = line  # what it printed: the address and whether it is read-only
        self.url = line.split("at ", 1)[1].split()[0].rstrip("/")


@contextmanager
def serve(db: Path | None, *args: str, env: dict[str, str] | None = None, timeout: float = 60) -> Iterator[Server]:
    """`khabar serve --port 0` as a subprocess; yields once it prints its address, stops it after."""
    cmd = [*khabar_command(), "serve", "--host", "127.0.0.1", "--port", "0", *args]
    if db is not None:
        cmd += ["--db", str(db)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, **(env or {})})
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + timeout
        line = ""
        while time.monotonic() < deadline:
            ready, _, _ = select.select([proc.stdout], [], [], 0.2)
            if ready:
                line = proc.stdout.readline()
                if "http://" in line or not line:
                    break
            if proc.poll() is not None:
                break
        if "http://" not in line:
            proc.kill()
            raise AssertionError(f"khabar serve did not start: {line!r} {proc.stderr.read() if proc.stderr else ''}")
        yield Server(proc, line)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@pytest.fixture(scope="session")
def start_server() -> Any:
    """``with start_server(db, *args, env=…) as srv``: a `khabar serve` of its own (srv.url, srv.proc)."""
    return serve


@pytest.fixture(scope="session")
def khabar_cli() -> list[str]:
    return khabar_command()


@pytest.fixture(scope="session")
def server(test_archive: Path) -> Iterator[Server]:
    with serve(test_archive, env={"KHABAR_TOKEN": "test-token-123"}) as srv:
        yield srv


@pytest.fixture(scope="session")
def base_url(server: Server) -> str:
    return server.url


@pytest.fixture(scope="session")
def screenshots() -> Path:
    folder = ARTIFACTS / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="session")
def axe() -> Any:
    """``axe(page)``: axe-core's serious and critical violations on the page as it stands."""
    return run_axe


def run_axe(page: Any) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the page as it stands."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    found = page.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
                          ".map(v => ({id: v.id, impact: v.impact, help: v.help,"
                          " nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))")
    return [v for v in found if v["impact"] in ("serious", "critical")]
