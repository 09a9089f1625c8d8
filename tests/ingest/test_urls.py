"""Fetching http(s) sources through a real local server, and URL normalization."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest

from khabar.ingest import Failure, FetchError, FetchResult, RawArticle, UrllibFetcher, normalize_url, read_sources

PAGE = ("<!DOCTYPE html><html><head><meta charset='utf-8'><title>خبر - ایسنا</title></head><body><article>"
        "<h1>افتتاح بزرگراه جدید</h1><p>به گزارش ایسنا، بزرگراه شهید همت تا کرج امروز با حضور وزیر راه و "
        "شهرسازی افتتاح شد و ترافیک غرب تهران را کاهش می دهد.</p></article></body></html>")
FEED = ('<?xml version="1.0"?><rss version="2.0"><channel><title>ایسنا</title><item><title>الف</title>'
        "<description>متن خبر اول</description></item><item><title>ب</title><description>متن خبر دوم</description>"
        "</item></channel></rss>")


def test_html_url(server: tuple[str, dict]) -> None:
    base, routes = server
    routes["/news/1?utm_source=tg"] = (200, "text/html; charset=utf-8", PAGE.encode(), {})
    [article] = list(read_sources([f"{base}/news/1?utm_source=tg"]))
    assert isinstance(article, RawArticle) and article.kind == "html"
    assert article.url == f"{base}/news/1" and article.origin == f"{base}/news/1?utm_source=tg"
    assert article.title == "افتتاح بزرگراه جدید"


def test_feed_url_by_content_type(server: tuple[str, dict]) -> None:
    base, routes = server
    routes["/rss"] = (200, "application/rss+xml", FEED.encode(), {})
    results = list(read_sources([f"{base}/rss"]))
    assert [r.origin for r in results] == [f"{base}/rss#1", f"{base}/rss#2"]


def test_feed_url_served_as_text_is_sniffed(server: tuple[str, dict]) -> None:
    base, routes = server
    routes["/feed.txt"] = (200, "text/plain", FEED.encode(), {})
    assert [r.kind for r in read_sources([f"{base}/feed.txt"])] == ["feed", "feed"]  # type: ignore[union-attr]


def test_http_charset_header_is_used(server: tuple[str, dict]) -> None:
    base, routes = server
    page = PAGE.replace("<meta charset='utf-8'>", "").replace("ی", "ي")
    routes["/old"] = (200, "text/html; charset=windows-1256", page.encode("cp1256"), {})
    [article] = list(read_sources([f"{base}/old"]))
    assert isinstance(article, RawArticle) and "بزرگراه" in article.text


def test_redirect_gives_the_final_url(server: tuple[str, dict]) -> None:
    base, routes = server
    routes["/short"] = (302, "text/html", f"{base}/long".encode(), {})
    routes["/long"] = (200, "text/html", PAGE.encode(), {})
    [article] = list(read_sources([f"{base}/short"]))
    assert article.url == f"{base}/long"  # type: ignore[union-attr]


def test_redirect_to_another_scheme_is_refused(server: tuple[str, dict]) -> None:
    base, routes = server
    routes["/to-ftp"] = (302, "text/html", b"ftp://127.0.0.1/secret", {})
    [failure] = list(read_sources([f"{base}/to-ftp"]))
    assert isinstance(failure, Failure) and "redirected to ftp:" in failure.reason


def test_fetcher_refuses_other_schemes() -> None:
    with pytest.raises(FetchError, match="only http and https"):
        UrllibFetcher().fetch("file:///etc/passwd", max_bytes=100)


@pytest.mark.parametrize(("path", "status", "reason"), [("/missing", 404, "HTTP 404"), ("/error", 500, "HTTP 500")])
def test_http_error_is_a_failure(server: tuple[str, dict], path: str, status: int, reason: str) -> None:
    base, routes = server
    routes[path] = (status, "text/plain", b"no", {})
    [failure] = list(read_sources([f"{base}{path}"]))
    assert isinstance(failure, Failure) and failure.reason.startswith(reason)


def test_body_over_max_bytes_is_refused(server: tuple[str, dict]) -> None:
    base, routes = server
    routes["/big"] = (200, "text/html", PAGE.encode() * 100, {})
    [failure] = list(read_sources([f"{base}/big"], max_bytes=1000))
    assert isinstance(failure, Failure) and "over the 1,000-byte limit" in failure.reason


def test_lying_content_length_does_not_make_it_read_more(server: tuple[str, dict]) -> None:
    base, routes = server
    routes["/huge"] = (200, "text/html", PAGE.encode(), {"Content-Length": str(200 * 2**20)})
    [failure] = list(read_sources([f"{base}/huge"]))
    assert isinstance(failure, Failure) and "209,715,200 bytes is over" in failure.reason


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_url_is_a_failure() -> None:
    url = f"http://127.0.0.1:{_closed_port()}/news"
    [failure] = list(read_sources([url]))
    assert isinstance(failure, Failure) and failure.origin == url
    assert failure.reason.startswith("unreachable:") and "refused" in failure.reason.lower()


def test_unknown_host_is_a_failure() -> None:
    [failure] = list(read_sources(["http://no-such-host.invalid/"]))
    assert isinstance(failure, Failure) and failure.reason.startswith("unreachable:")


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A server that accepts connections and never answers."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(5)
    conns: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        sock.settimeout(0.1)
        while not stop.is_set():
            try:
                conns.append(sock.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{sock.getsockname()[1]}/slow"
    stop.set()
    thread.join()
    for c in conns:
        c.close()
    sock.close()


def test_silent_server_times_out(silent_server: str) -> None:
    [failure] = list(read_sources([silent_server], fetcher=UrllibFetcher(timeout=0.3)))
    assert isinstance(failure, Failure) and failure.reason.startswith("timed out after 0.3 s")


class _BrokenFetcher:
    def fetch(self, url: str, *, max_bytes: int) -> FetchResult:
        raise RuntimeError("boom")


class _FakeFetcher:
    def fetch(self, url: str, *, max_bytes: int) -> FetchResult:
        if "bad" in url:
            raise FetchError("unreachable: test")
        return FetchResult(url, PAGE.encode(), "text/html")


def test_fetcher_is_pluggable_and_its_errors_are_failures() -> None:
    results = list(read_sources(["https://a.ir/1", "https://bad.ir/", "https://a.ir/2"], fetcher=_FakeFetcher()))
    assert [type(r).__name__ for r in results] == ["RawArticle", "Failure", "RawArticle"]
    [failure] = list(read_sources(["https://a.ir/"], fetcher=_BrokenFetcher()))
    assert isinstance(failure, Failure) and "RuntimeError: boom" in failure.reason


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://www.isna.ir/news/1#comments", "https://www.isna.ir/news/1"),
        ("HTTPS://WWW.ISNA.IR/news/1", "https://www.isna.ir/news/1"),
        ("http://isna.ir:80/a", "http://isna.ir/a"),
        ("https://isna.ir:8443/a", "https://isna.ir:8443/a"),
        ("https://isna.ir/a?utm_source=x&utm_medium=y&id=5&fbclid=z", "https://isna.ir/a?id=5"),
        ("https://isna.ir/a?b=2&a=1", "https://isna.ir/a?a=1&b=2"),
        ("https://isna.ir", "https://isna.ir/"),
        ("https://www.isna.ir/news/خبر-فوری", "https://www.isna.ir/news/%D8%AE%D8%A8%D8%B1-%D9%81%D9%88%D8%B1%DB%8C"),
        ("https://www.isna.ir/news/%d8%ae%d8%a8%d8%b1", "https://www.isna.ir/news/%D8%AE%D8%A8%D8%B1"),
        ("  https://isna.ir/a  ", "https://isna.ir/a"),
        ("http://[::1:bad/", "http://[::1:bad/"),  # unparseable: kept as is
    ],
)
def test_normalize_url(url: str, expected: str) -> None:
    assert normalize_url(url) == expected
