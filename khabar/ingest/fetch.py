"""Polite, bounded HTTP for following outlets: httpx with connection limits, and on every request
a per-host spacing, robots.txt, conditional GET, a per-read timeout, an overall deadline and a size
cap on the decoded body.

:class:`PoliteClient` is what the watcher fetches feeds and article pages with:

- **One request per host at a time, and at least ``spacing`` seconds (default 2) from the end of
  one to the start of the next** (:class:`HostPacer`; a robots.txt ``Crawl-delay`` can raise it
  for its host, up to :data:`MAX_CRAWL_DELAY`). So the server sees gaps of at least ``spacing``
  between the requests it receives.
- **robots.txt** (RFC 9309, parsed by Protego) is fetched once per origin and kept for a day:
  a 4xx means no rules; a 5xx or an unreachable server means "not now" (the page is not fetched).
- **Conditional GET**: ``etag`` / ``last_modified`` from the previous answer are sent as
  ``If-None-Match`` / ``If-Modified-Since``; a 304 comes back as ``Response.not_modified``.
- **Limits on every answer**: ``timeout`` seconds for connecting and for each read, ``deadline``
  seconds for the whole answer, body included (a server that trickles one byte every two seconds
  never trips a read timeout, only this), and ``max_bytes`` for the body *after* decompression
  (gzip and deflate are decoded here, in bounded steps, so a compression bomb stops at the cap).
- **Redirects** are followed by hand, at most ``max_redirects``, each hop paced and checked
  against robots.txt; a loop is named as such. Only http(s).

Every failure raises :class:`HttpProblem` (a :class:`~khabar.ingest.urls.FetchError`) with a
one-line reason and a ``kind`` the caller can group problems by.

>>> asyncio.run(_doctest_unsupported_scheme())
'bad-url: only http and https URLs are fetched (got ftp:)'
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import os
import time
import zlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

from khabar._version import __version__
from khabar.ingest.urls import FetchError

if TYPE_CHECKING:
    import httpx
    from protego import Protego

__all__ = [
    "USER_AGENT",
    "HostPacer",
    "HttpProblem",
    "PoliteClient",
    "Response",
    "RobotsCache",
]

USER_AGENT = f"khabar/{__version__} (Persian news watcher; +https://github.com/khabar/khabar)"
ROBOTS_AGENT = "khabar"          # the token robots.txt rules name
ROBOTS_MAX_BYTES = 512 * 1024     # RFC 9309: at least 500 KiB must be read
ROBOTS_TTL = 24 * 3600.0          # RFC 9309: a cached robots.txt may be used for 24 hours
ROBOTS_RETRY = 60.0               # an unreachable robots.txt is asked again after this
MAX_CRAWL_DELAY = 60.0            # a Crawl-delay above this is read as this
MAX_RETRY_AFTER = 24 * 3600.0
_READ_CHUNK = 64 * 1024


class HttpProblem(FetchError):
    """A request that gave no usable answer.

    ``kind`` groups problems for logging and backoff: ``unreachable``, ``timeout``, ``deadline``,
    ``too-big``, ``http`` (with ``status``), ``redirect``, ``robots``, ``bad-url``, ``protocol``.
    ``retry_after`` is the server's ``Retry-After`` in seconds, when it sent one.
    """

    def __init__(self, kind: str, reason: str, *, url: str = "", status: int | None = None,
                 retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.kind = kind
        self.reason = reason
        self.url = url
        self.status = status
        self.retry_after = retry_after

    def __str__(self) -> str:
        return self.reason


@dataclass(frozen=True, slots=True)
class Response:
    """An answer: ``status`` 200-299 with ``content``, or 304 (``not_modified``) with none."""

    url: str                       # the final URL, after redirects
    status: int
    content: bytes = b""
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    elapsed: float = 0.0           # seconds from sending the (last) request to the end of the body

    @property
    def not_modified(self) -> bool:
        return self.status == 304


class HostPacer:
    """One request per host at a time, and ``spacing`` seconds between the end of one and the start
    of the next.

    ``slot(host)`` is an async context manager around one request. Hosts idle for longer than their
    spacing are forgotten, so the table stays as small as the set of hosts in use.
    """

    def __init__(self, spacing: float = 2.0, *, clock: Callable[[], float] = time.monotonic) -> None:
        if spacing < 0:
            raise ValueError("spacing must be >= 0 seconds")
        self.spacing = spacing
        self.clock = clock
        self._locks: dict[str, asyncio.Lock] = {}
        self._free_at: dict[str, float] = {}
        self._delay: dict[str, float] = {}     # per-host spacing above the default (Crawl-delay)

    def set_delay(self, host: str, seconds: float | None) -> None:
        """A longer spacing for one host (robots.txt ``Crawl-delay``); ``None`` restores the default."""
        if seconds is None or seconds <= self.spacing:
            self._delay.pop(host, None)
        else:
            self._delay[host] = min(seconds, MAX_CRAWL_DELAY)

    def delay(self, host: str) -> float:
        return self._delay.get(host, self.spacing)

    @contextlib.asynccontextmanager
    async def slot(self, host: str) -> AsyncIterator[None]:
        lock = self._locks.get(host)
        if lock is None:
            lock = self._locks[host] = asyncio.Lock()
        async with lock:
            wait = self._free_at.get(host, 0.0) - self.clock()
            if wait > 0:
                await asyncio.sleep(wait)
            try:
                yield
            finally:
                self._free_at[host] = self.clock() + self.delay(host)
        self._forget_idle()

    def _forget_idle(self) -> None:
        if len(self._locks) < 256:
            return
        now = self.clock()
        for host in [h for h, t in self._free_at.items() if t < now and not self._locks[h].locked()]:
            del self._free_at[host], self._locks[host]


@dataclass(slots=True)
class _Rules:
    parser: Protego | None        # None: no rules (everything allowed)
    expires: float
    refusal: HttpProblem | None = None   # "not now": why nothing on this origin may be fetched yet


class RobotsCache:
    """robots.txt per origin, fetched through the client that asks (paced and bounded like any request)."""

    def __init__(self, *, agent: str = ROBOTS_AGENT, ttl: float = ROBOTS_TTL, retry: float = ROBOTS_RETRY,
                 clock: Callable[[], float] = time.monotonic, max_origins: int = 1024) -> None:
        self.agent = agent
        self.ttl = ttl
        self.retry = retry
        self.clock = clock
        self.max_origins = max_origins
        self._rules: dict[str, _Rules] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def check(self, client: PoliteClient, url: str) -> None:
        """Raise :class:`HttpProblem` (kind ``robots``) when robots.txt forbids ``url`` or cannot be read."""
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}".lower()
        rules = self._rules.get(origin)
        if rules is None or rules.expires <= self.clock():
            lock = self._locks.setdefault(origin, asyncio.Lock())
            async with lock:
                rules = self._rules.get(origin)
                if rules is None or rules.expires <= self.clock():
                    rules = await self._load(client, origin)
                    self._remember(origin, rules)
        if rules.refusal:
            raise HttpProblem(rules.refusal.kind, rules.refusal.reason, url=url, status=rules.refusal.status)
        if rules.parser is not None:
            host = (parts.hostname or "").lower()
            client.pacer.set_delay(host, rules.parser.crawl_delay(self.agent))
            if not rules.parser.can_fetch(url, self.agent):
                raise HttpProblem("robots", f"robots.txt of {origin} does not allow {ROBOTS_AGENT} to fetch this URL",
                                  url=url)

    async def _load(self, client: PoliteClient, origin: str) -> _Rules:
        from protego import Protego

        now = self.clock()
        try:
            answer = await client.get(f"{origin}/robots.txt", max_bytes=ROBOTS_MAX_BYTES, check_robots=False)
        except HttpProblem as problem:
            if problem.kind == "http" and problem.status is not None and 400 <= problem.status < 500:
                return _Rules(None, now + self.ttl)        # RFC 9309 2.3.1.3: unavailable, no rules
            if problem.kind == "too-big":
                return _Rules(None, now + self.ttl)
            # 2.3.1.4: unreachable (5xx, network): assume complete disallow for now, ask again soon. A
            # server that cannot be reached at all is reported as such, not as a robots.txt problem.
            if problem.kind != "http":
                return _Rules(None, now + self.retry, refusal=problem)
            return _Rules(None, now + self.retry, refusal=HttpProblem(
                "robots", f"robots.txt of {origin} could not be read ({problem.reason}); nothing on the site is "
                          "fetched until it can be", status=problem.status))
        text = answer.content.decode("utf-8", "replace")
        try:
            parser = Protego.parse(text)
        except Exception:  # a robots.txt Protego cannot read: treat as no rules, as crawlers do
            return _Rules(None, now + self.ttl)
        return _Rules(parser, now + self.ttl)

    def _remember(self, origin: str, rules: _Rules) -> None:
        self._rules[origin] = rules
        if len(self._rules) > self.max_origins:
            now = self.clock()
            for key in [k for k, r in self._rules.items() if r.expires <= now] or list(self._rules)[:1]:
                self._rules.pop(key, None)
                lock = self._locks.get(key)
                if lock is not None and not lock.locked():
                    del self._locks[key]


class PoliteClient:
    """Fetches http(s) URLs politely and within bounds (see the module docstring).

    Use as ``async with PoliteClient(...) as client: await client.get(url, max_bytes=...)``.
    ``transport`` replaces httpx's network transport (tests); ``robots=False`` skips robots.txt.
    """

    def __init__(self, *, user_agent: str = USER_AGENT, spacing: float = 2.0, timeout: float = 10.0,
                 deadline: float = 30.0, max_redirects: int = 5, robots: bool | RobotsCache = True,
                 max_connections: int = 32, transport: httpx.AsyncBaseTransport | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        import httpx

        if timeout <= 0 or deadline <= 0:
            raise ValueError("timeout and deadline must be > 0 seconds")
        self.user_agent = user_agent
        self.timeout = timeout
        self.deadline = deadline
        self.max_redirects = max_redirects
        self.clock = clock
        self.pacer = HostPacer(spacing, clock=clock)
        self.robots: RobotsCache | None = (robots if isinstance(robots, RobotsCache)
                                           else RobotsCache(clock=clock) if robots else None)
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout), follow_redirects=False, transport=transport,
            limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections,
                                keepalive_expiry=30.0),
            headers={"User-Agent": user_agent, "Accept-Encoding": "gzip, deflate"})

    async def __aenter__(self) -> PoliteClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._client.aclose()

    async def get(self, url: str, *, max_bytes: int, etag: str | None = None, last_modified: str | None = None,
                  accept: str = "*/*", check_robots: bool = True) -> Response:
        """GET ``url`` (following redirects); a 2xx body or a 304, else :class:`HttpProblem`."""
        seen: list[str] = []
        current = url
        while True:
            _check_scheme(current)
            if check_robots and self.robots is not None:
                await self.robots.check(self, current)
            seen.append(current)
            headers = {"Accept": accept}
            if etag:
                headers["If-None-Match"] = etag
            if last_modified:
                headers["If-Modified-Since"] = last_modified
            host = (urlsplit(current).hostname or "").lower()
            async with self.pacer.slot(host):
                answer = await self._request(current, headers, max_bytes)
            if isinstance(answer, Response):
                return answer
            target = urljoin(current, answer)
            if target in seen:
                raise HttpProblem("redirect", f"redirect loop ({' → '.join([*seen[seen.index(target):], target])})",
                                  url=url)
            if len(seen) > self.max_redirects:
                raise HttpProblem("redirect", f"more than {self.max_redirects} redirects (last to {target})", url=url)
            current = target

    async def _request(self, url: str, headers: dict[str, str], max_bytes: int) -> Response | str:
        """One request within the deadline: a :class:`Response`, or the ``Location`` of a redirect."""
        import httpx

        started = self.clock()
        try:
            async with asyncio.timeout(self.deadline):
                async with self._client.stream("GET", url, headers=headers) as r:
                    status = r.status_code
                    if status in (301, 302, 303, 307, 308):
                        location = r.headers.get("Location")
                        if not location:
                            raise HttpProblem("http", f"HTTP {status} redirect without a Location", url=url,
                                              status=status)
                        return location
                    if status == 304:
                        return Response(str(r.url), 304, etag=r.headers.get("ETag") or headers.get("If-None-Match"),
                                        last_modified=(r.headers.get("Last-Modified")
                                                       or headers.get("If-Modified-Since")),
                                        elapsed=self.clock() - started)
                    if not 200 <= status < 300:
                        raise HttpProblem("http", f"HTTP {status} {r.reason_phrase or ''}".strip(), url=url,
                                          status=status, retry_after=_retry_after(r.headers.get("Retry-After")))
                    body = await _read_body(r, max_bytes, url)
                    return Response(str(r.url), status, body, r.headers.get("Content-Type"),
                                    etag=r.headers.get("ETag"), last_modified=r.headers.get("Last-Modified"),
                                    elapsed=self.clock() - started)
        except HttpProblem:
            raise
        except TimeoutError:
            raise HttpProblem("deadline", f"no complete answer within the {self.deadline:g} s deadline "
                                          "(a stalled or trickling server)", url=url) from None
        except httpx.TimeoutException as err:
            what = "connecting" if isinstance(err, (httpx.ConnectTimeout, httpx.PoolTimeout)) else "waiting for data"
            raise HttpProblem("timeout", f"timed out after {self.timeout:g} s {what}", url=url) from None
        except httpx.ConnectError as err:
            raise HttpProblem("unreachable", f"unreachable: {_cause(err)} (is the site down, or the address "
                                             "wrong?)", url=url) from None
        except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError, httpx.LocalProtocolError) as err:
            raise HttpProblem("protocol", f"the connection broke ({type(err).__name__}: "
                                          f"{_first_line(err) or 'no detail'})", url=url) from None
        except httpx.HTTPError as err:
            raise HttpProblem("protocol", f"cannot fetch ({type(err).__name__}: {_first_line(err)})",
                              url=url) from None
        except (ValueError, UnicodeError) as err:  # an unparseable URL or header
            raise HttpProblem("bad-url", f"cannot fetch: {_first_line(err)}", url=url) from None


async def _read_body(r: httpx.Response, max_bytes: int, url: str) -> bytes:
    """The body, decompressed in bounded steps; over ``max_bytes`` (before or after decoding) it stops."""
    encoding = (r.headers.get("Content-Encoding") or "identity").strip().lower()
    length = r.headers.get("Content-Length", "").strip()
    if encoding == "identity" and length.isdigit() and int(length) > max_bytes:
        raise HttpProblem("too-big", f"{int(length):,} bytes is over the {max_bytes:,}-byte limit", url=url)
    decoder: Any = None
    if encoding in ("gzip", "x-gzip"):
        decoder = zlib.decompressobj(16 + zlib.MAX_WBITS)
    elif encoding == "deflate":
        decoder = _Deflate()
    elif encoding != "identity":
        raise HttpProblem("protocol", f"the server sent a {encoding!r} body, which was not asked for", url=url)
    out = bytearray()
    async for chunk in r.aiter_raw(_READ_CHUNK):
        if decoder is None:
            out += chunk
        else:
            data = chunk
            while data:
                piece = decoder.decompress(data, max_bytes + 1 - len(out))
                out += piece
                if len(out) > max_bytes:
                    break
                data = decoder.unconsumed_tail
        if len(out) > max_bytes:
            raise HttpProblem("too-big", f"the body is over the {max_bytes:,}-byte limit", url=url)
    return bytes(out)


class _Deflate:
    """``deflate`` as servers send it: zlib-wrapped, or (often) raw."""

    def __init__(self) -> None:
        self._d: Any = None
        self.unconsumed_tail = b""

    def decompress(self, data: bytes, max_length: int) -> bytes:
        if self._d is None:
            self._d = zlib.decompressobj()
            try:
                out = self._d.decompress(data, max_length)
            except zlib.error:
                self._d = zlib.decompressobj(-zlib.MAX_WBITS)
                out = self._d.decompress(data, max_length)
        else:
            out = self._d.decompress(data, max_length)
        self.unconsumed_tail = self._d.unconsumed_tail
        return bytes(out)


def _check_scheme(url: str) -> None:
    scheme = url.split(":", 1)[0].lower() if ":" in url else ""
    if scheme not in ("http", "https"):
        raise HttpProblem("bad-url", f"only http and https URLs are fetched (got {scheme or 'no scheme'}:)", url=url)
    if not urlsplit(url).hostname:
        raise HttpProblem("bad-url", "the URL has no host", url=url)


def _retry_after(value: str | None) -> float | None:
    """``Retry-After`` as seconds from now (a number of seconds or an HTTP date), bounded."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return min(float(value), MAX_RETRY_AFTER)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0.0, min(when.timestamp() - time.time(), MAX_RETRY_AFTER))


def _cause(err: BaseException) -> str:
    """The operating system's words for a failed connection (``Connection refused``, ``Name or
    service not known``), found under httpx's and anyio's wrappers."""
    seen: set[int] = set()
    current: BaseException | None = err
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        for candidate in (current, *getattr(current, "exceptions", ())):  # an ExceptionGroup of attempts
            if isinstance(candidate, OSError) and (candidate.errno or candidate.strerror):
                return os.strerror(candidate.errno) if candidate.errno else str(candidate.strerror)
        current = current.__cause__ or current.__context__
    return _first_line(err) or "connection failed"


def _first_line(err: BaseException | str) -> str:
    text = str(err).strip()
    return " ".join(text.splitlines()[0].split())[:200] if text else ""


async def _doctest_unsupported_scheme() -> str:
    async with PoliteClient(robots=False) as client:
        try:
            await client.get("ftp://example.org/feed", max_bytes=10)
        except HttpProblem as problem:
            return f"{problem.kind}: {problem}"
    return "fetched"
