"""http(s) fetching behind a small :class:`Fetcher` interface, and URL normalization for dedup keys.

The default :class:`UrllibFetcher` uses the standard library only, with a timeout, a size limit
that stops reading at ``max_bytes`` (a huge page is refused, not loaded), and a redirect limit.
Tests plug in a local ``http.server`` or a fake fetcher.

>>> normalize_url("HTTPS://www.IRNA.ir:443/news/12?utm_source=tg&id=3#top")
'https://www.irna.ir/news/12?id=3'
"""

from __future__ import annotations

import contextlib
import http.client
import re
import socket
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

from khabar._version import __version__

# Tracking parameters that never change which article a URL points to.
_TRACKING = re.compile(r"^(utm_\w*|fbclid|gclid|yclid|mc_cid|mc_eid|_ga|igshid|ref_src)$", re.IGNORECASE)
_DEFAULT_PORTS = {"http": 80, "https": 443}


class FetchError(Exception):
    """A URL that could not be fetched; the message is one line, for a :class:`Failure`."""


@dataclass(frozen=True, slots=True)
class FetchResult:
    """A fetched body: the final URL (after redirects), the raw bytes and the Content-Type header."""

    url: str
    content: bytes
    content_type: str | None = None


class Fetcher(Protocol):
    """Anything that turns a URL into a :class:`FetchResult` or raises :class:`FetchError`."""

    def fetch(self, url: str, *, max_bytes: int) -> FetchResult: ...


class _HttpOnlyRedirects(urllib.request.HTTPRedirectHandler):
    """Follow redirects to http(s) only (urllib would also follow one to ftp)."""

    max_redirections = 10

    def redirect_request(self, req: urllib.request.Request, fp: Any, code: int, msg: str, headers: Any,
                         newurl: str) -> urllib.request.Request | None:
        if urlsplit(newurl).scheme.lower() not in ("http", "https"):
            raise FetchError(f"redirected to {newurl.split(':', 1)[0]}:, which khabar does not follow")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


class _Deadline:
    """Closes every socket of one fetch when its time is up, whatever the fetch is waiting on.

    A socket timeout bounds each read; a server that sends one byte a second never trips it. The
    timer shuts the sockets down (from its own thread), which ends a blocked read at once.
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.at = time.monotonic() + seconds
        self.expired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True
        self._timer.start()

    def remaining(self) -> float:
        return max(0.01, self.at - time.monotonic())

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.append(sock)
            expired = self.expired
        if expired:
            _shutdown(sock)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            sockets = list(self._sockets)
        for sock in sockets:
            _shutdown(sock)

    def cancel(self) -> None:
        self._timer.cancel()


def _shutdown(sock: socket.socket) -> None:
    # socket.socket's own shutdown, below an SSL layer: it only wakes the blocked read.
    with contextlib.suppress(OSError):
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


def _deadline_connection(base: type[http.client.HTTPConnection], deadline: _Deadline) -> Any:
    class Connection(base):  # type: ignore[valid-type,misc]
        def connect(self) -> None:
            timeout: float | None = self.timeout  # type: ignore[has-type]
            self.timeout = min(timeout, deadline.remaining()) if timeout else deadline.remaining()
            super().connect()
            deadline.watch(self.sock)

    return Connection


class _DeadlineHTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, deadline: _Deadline) -> None:
        super().__init__()
        self.deadline = deadline

    def http_open(self, req: urllib.request.Request) -> Any:
        return self.do_open(_deadline_connection(http.client.HTTPConnection, self.deadline), req)


class _DeadlineHTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, deadline: _Deadline) -> None:
        super().__init__()
        self.deadline = deadline

    def https_open(self, req: urllib.request.Request) -> Any:
        return self.do_open(_deadline_connection(http.client.HTTPSConnection, self.deadline), req,
                            context=getattr(self, "_context", None))


class UrllibFetcher:
    """Fetches with ``urllib``: ``timeout`` seconds per connection/read, ``deadline`` seconds for the
    whole fetch (redirects included), bodies over ``max_bytes`` refused."""

    def __init__(self, *, timeout: float = 15.0, deadline: float = 60.0, user_agent: str | None = None) -> None:
        self.timeout = timeout
        self.deadline = deadline
        self.user_agent = user_agent or f"khabar/{__version__} (+https://github.com/khabar)"

    def fetch(self, url: str, *, max_bytes: int) -> FetchResult:
        """GET ``url``; raise :class:`FetchError` with a one-line reason on any failure."""
        if urlsplit(url).scheme.lower() not in ("http", "https"):
            raise FetchError("only http and https URLs are fetched")
        try:
            request = urllib.request.Request(url, headers={"User-Agent": self.user_agent, "Accept": "*/*"})
        except ValueError as err:
            raise FetchError(f"not a URL: {err}") from None
        deadline = _Deadline(self.deadline)
        opener = urllib.request.build_opener(_HttpOnlyRedirects, _DeadlineHTTPHandler(deadline),
                                             _DeadlineHTTPSHandler(deadline))
        try:
            with opener.open(request, timeout=min(self.timeout, deadline.remaining())) as response:
                length = response.headers.get("Content-Length")
                if length and length.isdigit() and int(length) > max_bytes:
                    raise FetchError(f"{int(length):,} bytes is over the {max_bytes:,}-byte limit (raise max_bytes)")
                chunks: list[bytes] = []
                size = 0
                while size <= max_bytes:
                    chunk = response.read1(min(1 << 16, max_bytes + 1 - size))
                    if not chunk:
                        break
                    chunks.append(chunk)
                    size += len(chunk)
                if deadline.expired:
                    raise TimeoutError
                if size > max_bytes:
                    raise FetchError(f"body is over the {max_bytes:,}-byte limit (raise max_bytes)")
                return FetchResult(response.geturl(), b"".join(chunks), response.headers.get("Content-Type"))
        except FetchError:
            raise
        except Exception as err:
            if deadline.expired:
                raise FetchError(f"took over {self.deadline:g} s in all (a server that answers too slowly; "
                                 "raise the deadline)") from None
            raise _fetch_error(err, self.timeout) from None
        finally:
            deadline.cancel()


def _fetch_error(err: Exception, timeout: float) -> FetchError:
    if isinstance(err, urllib.error.HTTPError):
        return FetchError(f"HTTP {err.code} {err.reason} (check the URL)")
    if isinstance(err, urllib.error.URLError):
        if isinstance(err.reason, TimeoutError):
            return FetchError(f"timed out after {timeout:g} s (the server did not answer)")
        return FetchError(f"unreachable: {err.reason} (check the address and the network)")
    if isinstance(err, TimeoutError):
        return FetchError(f"timed out after {timeout:g} s (the server did not answer)")
    if isinstance(err, (OSError, ValueError, http.client.HTTPException)):
        return FetchError(f"cannot fetch: {type(err).__name__}: {err}")
    return FetchError(f"cannot fetch: {type(err).__name__}: {err}")


def normalize_url(url: str) -> str:
    """The canonical form of ``url``: lower-case scheme and host, no default port, no fragment,
    no tracking parameters (``utm_*``, ``fbclid``…), remaining query sorted; percent-encoding unified.

    >>> normalize_url("https://www.isna.ir/news/140307/%D8%AE%D8%A8%D8%B1?b=2&a=1&fbclid=x")
    'https://www.isna.ir/news/140307/%D8%AE%D8%A8%D8%B1?a=1&b=2'
    >>> normalize_url("https://www.isna.ir/news/140307/خبر") == normalize_url("https://www.isna.ir/news/140307/%D8%AE%D8%A8%D8%B1")
    True
    """
    url = url.strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return url
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if port and _DEFAULT_PORTS.get(scheme) != port:
        host = f"{host}:{port}"
    if parts.username:
        host = f"{parts.username}@{host}"
    # errors="replace": a lone surrogate (a JSON "\\udfff" escape) cannot be UTF-8 encoded.
    path = quote(unquote(parts.path), safe="/:@!$&'()*+,;=-._~", errors="replace") or ("/" if host else "")
    query = sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _TRACKING.match(k))
    return urlunsplit((scheme, host, path, urlencode(query, errors="replace"), ""))
