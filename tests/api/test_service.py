"""What every response carries: problem+json errors, security headers, limits, health and version."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from khabar import StorageError, __version__


def test_version(client: Any) -> None:
    assert client.get("/api/v1/version").json() == {"version": __version__, "api": "v1"}


def test_healthz_without_an_archive(client: Any) -> None:
    assert client.get("/healthz").json()["status"] == "ok"


def test_unknown_api_path_is_problem_json(client: Any) -> None:
    r = client.get("/api/v1/nothing-here")
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert set(body) >= {"type", "title", "status", "detail", "instance"}
    assert body["instance"] == "/api/v1/nothing-here"


def test_wrong_method_is_problem_json(client: Any) -> None:
    r = client.get("/api/v1/analyze")
    assert r.status_code == 405 and r.json()["status"] == 405


def test_unknown_page_is_an_html_page(client: Any) -> None:
    r = client.get("/nothing-here", headers={"accept": "text/html"})
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
    assert '<html lang="fa" dir="rtl">' in r.text


@pytest.mark.parametrize("path", ["/analyze", "/api/v1/version", "/nothing", "/static/khabar.css"])
def test_every_response_has_security_headers(client: Any, path: str) -> None:
    r = client.get(path)
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "object-src 'none'" in csp and "frame-ancestors 'none'" in csp
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "no-referrer"


def test_docs_page_loads_nothing_from_another_origin(client: Any) -> None:
    r = client.get("/docs")
    assert r.status_code == 200
    assert "http://" not in r.text.replace("http://www.w3.org", "") and "https://" not in r.text
    assert "<script>" not in r.text  # only <script src=…> of our own files
    assert "script-src 'self'" in r.headers["content-security-policy"]


def test_openapi_schema_is_served_under_api_v1(client: Any) -> None:
    schema = client.get("/api/v1/openapi.json").json()
    assert schema["info"]["version"] == __version__
    assert "/api/v1/analyze" in schema["paths"] and "/api/v1/restore" in schema["paths"]


def test_query_string_over_the_limit_is_414(make_client: Any) -> None:
    client = make_client(max_query=100)
    r = client.get("/api/v1/version?x=" + "a" * 200)
    assert r.status_code == 414 and r.json()["status"] == 414


def test_static_files_are_cached_and_compressed(client: Any) -> None:
    r = client.get("/static/htmx/htmx.min.js", headers={"accept-encoding": "gzip"})
    assert r.status_code == 200
    assert "max-age=31536000" in r.headers["cache-control"]
    assert r.headers.get("content-encoding") == "gzip"


def test_unexpected_errors_are_500_problem_json_without_a_traceback(make_client: Any) -> None:
    def broken(url: str) -> Any:
        raise RuntimeError("secret internal detail")

    client = make_client(db="x.db", opener=broken)
    r = client.get("/healthz")
    assert r.status_code == 500
    assert r.headers["content-type"] == "application/problem+json"
    assert "secret" not in r.text and "Traceback" not in r.text


def test_a_vanished_archive_is_503_until_it_is_back(make_client: Any, tmp_path: Path) -> None:
    from khabar.archive import Archive

    path = tmp_path / "news.db"
    with Archive.open(str(path)) as archive:
        archive.add([{"text": "زلزله‌ای به بزرگی ۵ ریشتر کرمان را لرزاند.", "title": "زلزله"}])
    client = make_client(db=str(path))
    assert client.get("/api/v1/search", params={"q": "زلزله"}).json()["total"]["value"] == 1
    path.rename(tmp_path / "away.db")
    r = client.get("/api/v1/search", params={"q": "زلزله"})
    assert r.status_code == 503 and r.headers["retry-after"]
    detail = r.json()["detail"]  # the thread that had it open, or one that opens it now
    assert "moved, deleted or replaced" in detail or "no archive here" in detail
    assert client.get("/healthz").status_code == 503
    (tmp_path / "away.db").rename(path)
    assert client.get("/healthz").status_code == 200
    assert client.get("/api/v1/search", params={"q": "زلزله"}).json()["total"]["value"] == 1


def test_a_locked_archive_is_503_until_it_is_released(make_client: Any, tmp_path: Path) -> None:
    import sqlite3

    from khabar.archive import Archive

    path = tmp_path / "news.db"
    with Archive.open(str(path)) as archive:
        archive.add([{"text": "زلزله‌ای به بزرگی ۵ ریشتر کرمان را لرزاند.", "title": "زلزله"}])
    # Another program takes the file for itself: exclusive locking, a write under way; readers wait, then give up.
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("PRAGMA locking_mode=EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    holder.execute("CREATE TABLE other_program (x)")
    client = make_client(db=str(path), opener=lambda url: Archive.open(url, must_exist=True, timeout=0.3))
    try:
        for url in ("/api/v1/search?q=%D8%B2%D9%84%D8%B2%D9%84%D9%87", "/api/v1/articles/1", "/healthz"):
            r = client.get(url)
            assert r.status_code == 503, (url, r.text)
            assert r.headers["content-type"] == "application/problem+json" and r.headers["retry-after"]
            assert "locked" in r.json()["detail"], r.json()
    finally:
        holder.execute("ROLLBACK")
        holder.execute("PRAGMA locking_mode=NORMAL")
        holder.execute("SELECT 1 FROM sqlite_master").fetchall()  # gives the lock up
        holder.close()
    assert client.get("/healthz").status_code == 200
    assert client.get("/api/v1/search", params={"q": "زلزله"}).json()["total"]["value"] == 1
    assert client.get("/api/v1/articles/1").status_code == 200


def test_a_query_past_its_deadline_is_503_and_stopped(make_client: Any, tmp_path: Path) -> None:
    import threading
    import time

    from khabar.archive import Archive

    path = tmp_path / "news.db"
    Archive.open(str(path)).close()
    stopped = threading.Event()

    class SlowArchive:  # the real archive, with one search that waits until it is interrupted
        def __init__(self, url: str) -> None:
            self.real = Archive.open(url)

        def check(self) -> None:
            self.real.check()

        def search(self, *args: Any, **kwargs: Any) -> Any:
            for _ in range(100):
                if stopped.is_set():
                    raise StorageError("interrupted")
                time.sleep(0.05)
            return self.real.search(*args, **kwargs)

        def interrupt(self) -> None:
            stopped.set()

        def close(self) -> None:
            self.real.close()

    client = make_client(db=str(path), opener=SlowArchive, timeout=0.3)
    started = time.monotonic()
    r = client.get("/api/v1/search", params={"q": "تورم"})
    assert r.status_code == 503 and "longer than 0.3 s" in r.json()["detail"]
    assert time.monotonic() - started < 3
    assert stopped.wait(2)
