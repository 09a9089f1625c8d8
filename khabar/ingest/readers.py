"""Dispatch: which reader handles a file, a stream or a URL, and the checks every source gets
(size limit before reading, decoding, sniffing the kind when the name does not tell).

>>> sniff_kind("<?xml version='1.0'?><rss version='2.0'><channel></channel></rss>")
'feed'
>>> sniff_kind("<!DOCTYPE html><html><body><p>خبر</p></body></html>")
'html'
>>> sniff_kind('{"text": "خبر"}')
'jsonl'
>>> sniff_kind("وزیر امور خارجه امروز گفت")
'text'
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from khabar.decoding import decode
from khabar.errors import DecodeError

if TYPE_CHECKING:
    from khabar.ingest import Failure, FieldMap, RawArticle
    from khabar.ingest.urls import Fetcher

_EXTENSIONS = {
    ".txt": "text", ".text": "text", ".md": "text",
    ".html": "html", ".htm": "html", ".xhtml": "html", ".shtml": "html", ".php": "html", ".aspx": "html",
    ".xml": "feed", ".rss": "feed", ".atom": "feed", ".rdf": "feed",
    ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl",
    ".csv": "csv", ".tsv": "csv",
}
_FEED_START = re.compile(r"^\s*(?:<\?xml[^>]*\?>\s*)?(?:<!--.*?-->\s*)*<(?:rss|feed|rdf:RDF)\b", re.DOTALL | re.IGNORECASE)
_HTML_START = re.compile(r"^\s*(?:<\?xml[^>]*\?>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body)\b",
                         re.DOTALL | re.IGNORECASE)
_XML_START = re.compile(r"^\s*<\?xml\b", re.IGNORECASE)
_MAGIC = (
    (b"\x89PNG", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"), (b"GIF8", "a GIF image"),
    (b"%PDF", "a PDF document"), (b"PK\x03\x04", "a ZIP archive, or a .docx/.xlsx/.epub"),
    (b"\x1f\x8b", "a gzip file"), (b"7z\xbc\xaf", "a 7z archive"), (b"Rar!", "a RAR archive"),
    (b"\x7fELF", "a program"), (b"MZ", "a Windows program"), (b"SQLite format 3", "an SQLite database"),
    (b"\xd0\xcf\x11\xe0", "an old Office document"), (b"RIFF", "a media file"), (b"ID3", "an MP3 file"),
)
_CHARSET = re.compile(r"charset=([\w.:-]+)")
_HTML_TAGS = re.compile(r"<(?:p|div|article|br|h1|h2|span|meta|title)\b[^>]*>", re.IGNORECASE)


def sniff_kind(text: str) -> str:
    """The kind of a decoded source whose name does not say: feed, html, jsonl or text."""
    head = text[:4096]
    if _FEED_START.match(head):
        return "feed"
    if _HTML_START.match(head):
        return "html"
    if _XML_START.match(head):
        return "feed"  # other XML: the feed reader explains what it is not
    if head.lstrip().startswith("{"):
        return "jsonl"
    if len(_HTML_TAGS.findall(head)) >= 3:
        return "html"
    return "text"


def kind_of(path: Path) -> str | None:
    """The kind a file's extension names, or ``None`` when it must be sniffed."""
    return _EXTENSIONS.get(path.suffix.lower())


def too_big(size: int, max_bytes: int) -> str:
    return f"{size:,} bytes is over the {max_bytes:,}-byte limit (split the file, or raise max_bytes / --max-bytes)"


def read_file(path: Path, origin: str, *, fields: FieldMap, max_bytes: int) -> Iterator[RawArticle | Failure]:
    """Read one file of any kind; a file over ``max_bytes`` fails before it is read."""
    from khabar.ingest import Failure

    try:
        size = path.stat().st_size
        if not path.is_file():
            yield Failure(origin, "not a regular file (a device, socket or pipe); give files or folders")
            return
        if size > max_bytes:
            yield Failure(origin, too_big(size, max_bytes))
            return
        with path.open("rb") as handle:
            data = handle.read(max_bytes + 1)  # the file may have grown since stat()
    except OSError as err:
        yield Failure(origin, f"cannot read: {err.strerror or err}")
        return
    if len(data) > max_bytes:
        yield Failure(origin, too_big(len(data), max_bytes))
        return
    yield from read_bytes(data, origin, kind=kind_of(path), fields=fields)


def read_stream(stream: BinaryIO, origin: str, *, fields: FieldMap, max_bytes: int) -> Iterator[RawArticle | Failure]:
    """Read a binary stream (stdin) up to ``max_bytes``; the kind is sniffed."""
    from khabar.ingest import Failure

    try:
        data = stream.read(max_bytes + 1)
    except OSError as err:
        yield Failure(origin, f"cannot read: {err.strerror or err}")
        return
    if len(data) > max_bytes:
        yield Failure(origin, f"input is over the {max_bytes:,}-byte limit (split it, or raise max_bytes)")
        return
    yield from read_bytes(data, origin, kind=None, fields=fields)


def read_url(url: str, *, fetcher: Fetcher, max_bytes: int) -> Iterator[RawArticle | Failure]:
    """Fetch an http(s) URL and read it as a feed or an HTML page (by Content-Type, then content)."""
    from khabar.ingest import Failure, FieldMap
    from khabar.ingest.urls import FetchError

    try:
        result = fetcher.fetch(url, max_bytes=max_bytes)
    except FetchError as err:
        yield Failure(url, str(err))
        return
    except Exception as err:  # a third-party fetcher must not crash the run
        yield Failure(url, f"cannot fetch: {type(err).__name__}: {err}")
        return
    if len(result.content) > max_bytes:
        yield Failure(url, f"body is over the {max_bytes:,}-byte limit (raise max_bytes)")
        return
    ctype = (result.content_type or "").lower()
    kind = None
    if any(t in ctype for t in ("rss", "atom", "/xml", "+xml")) and "xhtml" not in ctype:
        kind = "feed"
    elif "html" in ctype:
        kind = "html"
    m = _CHARSET.search(ctype)
    yield from read_bytes(result.content, url, kind=kind, fields=FieldMap(), url=result.url, remote=True,
                          charset=m.group(1) if m else None)


def read_bytes(data: bytes, origin: str, *, kind: str | None, fields: FieldMap, url: str | None = None,
               remote: bool = False, charset: str | None = None) -> Iterator[RawArticle | Failure]:
    """Decode and read ``data`` as ``kind`` (sniffed when ``None``)."""
    from khabar.ingest import Failure

    if not data.strip():
        yield Failure(origin, "empty: no text in it")
        return
    binary = _binary_kind(data)
    if binary:
        yield Failure(origin, f"binary file ({binary}); khabar reads text, HTML, RSS/Atom, JSONL and CSV")
        return
    if kind in ("html", "feed"):
        # Markup declares its own charset; the kind's reader decodes it.
        yield from _read_markup(data, origin, kind, url=url, charset=charset)
        return
    try:
        text = decode(data, origin)
    except DecodeError as err:
        if kind == "jsonl":
            # One bad line must not sink the dump: decode and read line by line.
            from khabar.ingest.tabular import read_jsonl_lines

            yield from read_jsonl_lines(data, origin, fields=fields, error=_one_line(str(err), origin))
            return
        yield Failure(origin, _one_line(str(err), origin))
        return
    if kind is None:
        kind = sniff_kind(text)
        if kind == "text" and _csv_header(text, fields.column("text")):
            kind = "csv"
        if remote and kind in ("text", "jsonl"):
            kind = "html"
        if kind in ("html", "feed"):
            yield from _read_markup(data, origin, kind, url=url, charset=charset)
            return
    if kind == "text":
        from khabar.ingest.text import read_text

        yield from read_text(text, origin)
    elif kind == "jsonl":
        from khabar.ingest.tabular import read_jsonl

        yield from read_jsonl(text, origin, fields=fields)
    elif kind == "csv":
        from khabar.ingest.tabular import read_csv

        yield from read_csv(text, origin, fields=fields)
    else:
        yield Failure(origin, f"unknown kind {kind!r}")


def _read_markup(data: bytes, origin: str, kind: str, *, url: str | None,
                 charset: str | None) -> Iterator[RawArticle | Failure]:
    if kind == "feed":
        from khabar.ingest.feeds import read_feed

        yield from read_feed(data, origin, charset=charset)
    else:
        from khabar.ingest.html import read_html

        yield from read_html(data, origin, url=url, charset=charset)


def _csv_header(text: str, column: str) -> bool:
    """Whether the first line is a CSV/TSV header naming the text column (CSV on stdin has no name)."""
    first = text.lstrip("\ufeff").split("\n", 1)[0].strip()
    for sep in (",", "\t", ";", "|"):
        names = [n.strip().strip('"') for n in first.split(sep)]
        if len(names) > 1 and column in names:
            return True
    return False


def _binary_kind(data: bytes) -> str | None:
    """What a binary file is, by its magic number, or ``None`` (the decoder judges the rest)."""
    for magic, what in _MAGIC:
        if data.startswith(magic):
            return what
    return None


def _one_line(message: str, origin: str) -> str:
    """A reason without the origin prefix errors carry (the Failure names it) and on one line."""
    if message.startswith(origin + ": "):
        message = message[len(origin) + 2:]
    return " ".join(message.split())
