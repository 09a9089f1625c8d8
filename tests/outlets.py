"""Simulated news outlets for the watcher's tests and bench/watch.py: real HTTP servers on 127.0.0.x.

An :class:`Outlet` is a threaded ``http.server`` bound to a loopback address (every 127.0.0.N is
this machine on Linux, so each outlet can be its own *host* for per-host spacing) on a free port.
It serves RSS feeds whose items can be added between polls, with ``ETag`` and ``Last-Modified``
honoured as a real server would (304 when unchanged), article pages, robots.txt, and hostile
routes: errors, silence, a redirect loop, a trickling body, an endless body. Every request is
logged with its arrival time, so spacing and refetches are checked from the server's side.
"""

from __future__ import annotations

import contextlib
import email.utils
import http.server
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape

Handler = Callable[["_RequestHandler"], None]


@dataclass(frozen=True, slots=True)
class Logged:
    """One request as the server saw it."""

    at: float                 # time.monotonic() when the request line arrived
    path: str
    status: int
    if_none_match: str | None
    if_modified_since: str | None
    user_agent: str | None
    etag: str | None = None   # the ETag the answer carried (a feed's version)


@dataclass(slots=True)
class Item:
    guid: str
    title: str
    link: str | None
    description: str
    published: str            # RFC 822 date
    added: float = 0.0        # time.monotonic() when it appeared in the feed


@dataclass(slots=True)
class Feed:
    title: str
    items: list[Item] = field(default_factory=list)
    version: int = 1
    changed: float = field(default_factory=time.time)   # wall clock of the last change (Last-Modified)
    validators: bool = True   # send ETag/Last-Modified and honour them
    max_items: int | None = None   # like real feeds: only the newest N are listed

    def add(self, item: Item) -> None:
        item.added = time.monotonic()
        self.items.insert(0, item)
        self.version += 1
        self.changed = time.time()

    def body(self) -> bytes:
        shown = self.items[: self.max_items] if self.max_items else self.items
        parts = [f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{escape(self.title)}'
                 "</title><link>http://example.invalid/</link>"]
        for it in shown:
            link = f"<link>{escape(it.link)}</link>" if it.link else ""
            parts.append(f"<item><guid isPermaLink=\"false\">{escape(it.guid)}</guid><title>{escape(it.title)}</title>"
                         f"{link}<pubDate>{it.published}</pubDate><description>{escape(it.description)}"
                         "</description></item>")
        parts.append("</channel></rss>")
        return "".join(parts).encode("utf-8")

    @property
    def etag(self) -> str:
        return f'"v{self.version}"'

    @property
    def last_modified(self) -> str:
        return email.utils.formatdate(self.changed, usegmt=True)


class _RequestHandler(http.server.BaseHTTPRequestHandler):
    outlet: Outlet
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        outlet = self.outlet
        path = self.path
        with outlet.lock:
            route = outlet.routes.get(path)
            feed = outlet.feeds.get(path)
        self.logged = False
        try:
            if route is not None:
                route(self)
            elif feed is not None:
                self._feed(feed)
            elif path == "/robots.txt" and outlet.robots is not None:
                self.reply(200, "text/plain", outlet.robots.encode())
            else:
                with outlet.lock:
                    page = outlet.pages.get(path)
                if page is None:
                    self.reply(404, "text/html", b"<html><body>not found</body></html>")
                else:
                    self.reply(200, page[1], page[0])
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            self.close_connection = True
        finally:
            self.log_now(0)

    def log_now(self, status: int, etag: str | None = None) -> None:
        """Log this request (once), before anything is sent: the client may act on the answer at once."""
        if not self.logged:
            self.logged = True
            self.outlet.record(Logged(self.arrived, self.path, status, self.headers.get("If-None-Match"),
                                      self.headers.get("If-Modified-Since"), self.headers.get("User-Agent"), etag))

    def parse_request(self) -> bool:
        self.arrived = time.monotonic()
        return super().parse_request()

    def _feed(self, feed: Feed) -> None:
        with self.outlet.lock:
            etag, modified, body = feed.etag, feed.last_modified, feed.body()
            validators = feed.validators
        if validators:
            inm = self.headers.get("If-None-Match")
            ims = self.headers.get("If-Modified-Since")
            if (inm and inm == etag) or (not inm and ims and ims == modified):
                self.reply(304, None, b"", {"ETag": etag, "Last-Modified": modified})
                return
            self.reply(200, "application/rss+xml; charset=utf-8", body, {"ETag": etag, "Last-Modified": modified})
        else:
            self.reply(200, "application/rss+xml; charset=utf-8", body)

    def reply(self, status: int, ctype: str | None, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.log_now(status, (headers or {}).get("ETag"))
        self.send_response(status)
        if ctype:
            self.send_header("Content-Type", ctype)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        if status != 304:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body and status != 304:
            self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client hanging up on a hostile route is the point, not an error


class Outlet:
    """A simulated outlet on ``host`` (a loopback address) and a free port; ``base`` is its URL."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.lock = threading.Lock()
        self.feeds: dict[str, Feed] = {}
        self.pages: dict[str, tuple[bytes, str]] = {}
        self.routes: dict[str, Handler] = {}
        self.robots: str | None = None
        self.log: list[Logged] = []
        self.stopping = threading.Event()
        handler = type("Handler", (_RequestHandler,), {"outlet": self})
        self._server = _Server((host, 0), handler)
        self.host = host
        self.port = self._server.server_address[1]
        self.base = f"http://{host}:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)
        self._thread.start()

    def record(self, entry: Logged) -> None:
        with self.lock:
            self.log.append(entry)

    def requests(self, path: str | None = None) -> list[Logged]:
        with self.lock:
            return [r for r in self.log if path is None or r.path == path]

    def feed(self, path: str, title: str, **options: Any) -> Feed:
        feed = Feed(title, **options)
        with self.lock:
            self.feeds[path] = feed
        return feed

    def page(self, path: str, body: bytes, ctype: str = "text/html; charset=utf-8") -> str:
        with self.lock:
            self.pages[path] = (body, ctype)
        return self.base + path

    def remove_page(self, path: str) -> None:
        with self.lock:
            self.pages.pop(path, None)

    def add_item(self, path: str, item: Item) -> None:
        with self.lock:
            self.feeds[path].add(item)

    def route(self, path: str, handler: Handler) -> str:
        with self.lock:
            self.routes[path] = handler
        return self.base + path

    def close(self) -> None:
        self.stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)


@contextlib.contextmanager
def outlets(count: int = 1, *, first: int = 2) -> Iterator[list[Outlet]]:
    """``count`` outlets on 127.0.0.<first>, 127.0.0.<first+1>, …: distinct hosts."""
    started: list[Outlet] = []
    try:
        for n in range(count):
            started.append(Outlet(f"127.0.0.{first + n}"))
        yield started
    finally:
        for o in started:
            o.close()


# -- hostile routes --------------------------------------------------------------------------------

def status(code: int, headers: dict[str, str] | None = None) -> Handler:
    def handle(h: _RequestHandler) -> None:
        h.reply(code, "text/html", f"<html><body>{code}</body></html>".encode(), headers)
    return handle


def body(data: bytes, ctype: str) -> Handler:
    def handle(h: _RequestHandler) -> None:
        h.reply(200, ctype, data)
    return handle


def silent(h: _RequestHandler) -> None:
    """Reads the request and never answers (until the outlet closes)."""
    h.log_now(-1)
    h.outlet.stopping.wait(30)
    h.close_connection = True


def redirect_to(target: str) -> Handler:
    def handle(h: _RequestHandler) -> None:
        h.reply(302, "text/html", b"", {"Location": target})
    return handle


def trickle(every: float = 2.0, size: int = 1000, ctype: str = "application/rss+xml") -> Handler:
    """Announces ``size`` bytes, then sends one byte every ``every`` seconds."""
    def handle(h: _RequestHandler) -> None:
        h.log_now(200)
        h.send_response(200)
        h.send_header("Content-Type", ctype)
        h.send_header("Content-Length", str(size))
        h.end_headers()
        for _ in range(size):
            h.wfile.write(b"<")
            h.wfile.flush()
            if h.outlet.stopping.wait(every):
                break
        h.close_connection = True
    return handle


def endless(total: int = 100 * 2**20, ctype: str = "application/rss+xml", announce: bool = False) -> Handler:
    """A ``total``-byte body (100 MB by default) written in 64 KiB chunks until the client hangs up;
    without ``announce`` no Content-Length is sent (chunked), so only the client's cap stops it."""
    chunk = b"<rss>" + b" " * (64 * 1024 - 5)

    def handle(h: _RequestHandler) -> None:
        h.log_now(200)
        h.send_response(200)
        h.send_header("Content-Type", ctype)
        if announce:
            h.send_header("Content-Length", str(total))
        else:
            h.send_header("Transfer-Encoding", "chunked")
        h.end_headers()
        sent = 0
        while sent < total and not h.outlet.stopping.is_set():
            if announce:
                h.wfile.write(chunk)
            else:
                h.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            sent += len(chunk)
        if not announce:
            h.wfile.write(b"0\r\n\r\n")
        h.close_connection = True
    return handle


def closed_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on (a dead outlet)."""
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


# -- articles --------------------------------------------------------------------------------------

def article_page(title: str, text: str, *, encoding: str = "utf-8", declare: bool = True,
                 outlet: str = "خبرگزاری نمونه") -> bytes:
    """An article page in ``encoding``; ``declare=False`` leaves it undeclared (no <meta charset>).
    Windows-1256 has no Persian ی and ک: such pages carry the Arabic letters, as they do in the wild."""
    meta = f'<meta charset="{encoding}">' if declare else ""
    html = (f"<!DOCTYPE html><html><head>{meta}<title>{escape(title)} | {escape(outlet)}</title>"
            f'<meta property="og:site_name" content="{escape(outlet)}"></head><body><h1>{escape(title)}</h1>'
            f"<article>{''.join(f'<p>{escape(p)}</p>' for p in text.split(chr(10)))}</article></body></html>")
    if encoding.replace("-", "").lower() in ("windows1256", "cp1256"):
        return html.replace("ی", "ي").replace("ک", "ك").encode("cp1256")
    return html.encode(encoding)


def rfc822(ts: float | None = None) -> str:
    return email.utils.formatdate(time.time() if ts is None else ts, localtime=False, usegmt=True)
