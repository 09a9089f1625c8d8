"""http(s) fetching behind a small :class:`Fetcher` interface, and URL normalization for dedup keys.

The default :class:`UrllibFetcher` uses the standard library only, with a timeout, a size limit
that stops reading at ``max_bytes`` (a huge page is refused, not loaded), and a redirect limit.
Tests plug in a local ``http.server`` or a fake fetcher.

>>> normalize_url("HTTPS://www.IRNA.ir:443/news/12?utm_source=tg&id=3#top")
'https://www.irna.ir/news/12?id=3'
"""

from __future__ import annotations

import re
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


class UrllibFetcher:
    """Fetches with ``urllib``: ``timeout`` seconds per connection/read, bodies over ``max_bytes`` refused."""

    def __init__(self, *, timeout: float = 15.0, user_agent: str | None = None) -> None:
        self.timeout = timeout
        self.user_agent = user_agent or f"khabar/{__version__} (+https://github.com/khabar)"

    def fetch(self, url: str, *, max_bytes: int) -> FetchResult:
        """GET ``url``; raise :class:`FetchError` with a one-line reason on any failure."""
        request = urllib.request.Request(url, headers={"User-Agent": self.user_agent, "Accept": "*/*"})
        if urlsplit(url).scheme.lower() not in ("http", "https"):
            raise FetchError("only http and https URLs are fetched")
        opener = urllib.request.build_opener(_HttpOnlyRedirects)
        try:
            with opener.open(request, timeout=self.timeout) as response:
                length = response.headers.get("Content-Length")
                if length and length.isdigit() and int(length) > max_bytes:
                    raise FetchError(f"{int(length):,} bytes is over the {max_bytes:,}-byte limit (raise max_bytes)")
                body = response.read(max_bytes + 1)
                if len(body) > max_bytes:
                    raise FetchError(f"body is over the {max_bytes:,}-byte limit (raise max_bytes)")
                return FetchResult(response.geturl(), body, response.headers.get("Content-Type"))
        except FetchError:
            raise
        except urllib.error.HTTPError as err:
            raise FetchError(f"HTTP {err.code} {err.reason} (check the URL)") from None
        except urllib.error.URLError as err:
            reason = err.reason
            if isinstance(reason, TimeoutError):
                raise FetchError(f"timed out after {self.timeout:g} s (the server did not answer)") from None
            raise FetchError(f"unreachable: {reason} (check the address and the network)") from None
        except TimeoutError:
            raise FetchError(f"timed out after {self.timeout:g} s (the server did not answer)") from None
        except (OSError, ValueError) as err:
            raise FetchError(f"cannot fetch: {err}") from None


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
    path = quote(unquote(parts.path), safe="/:@!$&'()*+,;=-._~") or ("/" if host else "")
    query = sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _TRACKING.match(k))
    return urlunsplit((scheme, host, path, urlencode(query), ""))
