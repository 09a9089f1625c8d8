"""Fixtures for the ingest tests: a real HTTP server on 127.0.0.1 and the repo's samples."""

from __future__ import annotations

import contextlib
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest

SAMPLES = Path(__file__).resolve().parents[2] / "samples"


class _Handler(http.server.BaseHTTPRequestHandler):
    routes: ClassVar[dict[str, tuple[int, str, bytes, dict[str, str]]]] = {}

    def do_GET(self) -> None:
        status, ctype, body, headers = self.routes.get(self.path, (404, "text/plain", b"not found", {}))
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        if status in (301, 302):  # the body is the target
            self.send_header("Location", body.decode())
            body = b""
        if "Content-Length" not in headers:
            self.send_header("Content-Length", str(len(body)))
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(body)

    def log_message(self, *args: object) -> None:  # keep test output quiet
        pass


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, dict[str, tuple[int, str, bytes, dict[str, str]]]]]:
    """``(base_url, routes)``: add ``routes[path] = (status, content_type, body, headers)``."""
    routes: ClassVar[dict[str, tuple[int, str, bytes, dict[str, str]]]] = {}
    handler = type("Handler", (_Handler,), {"routes": routes})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", routes
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture(scope="session")
def samples() -> Path:
    return SAMPLES
