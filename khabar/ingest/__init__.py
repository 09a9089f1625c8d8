"""Ingest: read sources of any kind into :class:`RawArticle` records (or :class:`Failure` records).

A SOURCE is a text file, an HTML file or http(s) URL, an RSS/Atom feed file or URL, a JSONL or CSV
file (``fields`` maps its columns to article fields), a directory (read recursively, in sorted
order) or ``-`` for standard input. :func:`read_sources` never raises for bad input: everything it
cannot read becomes a :class:`Failure` with a one-line reason, and the order of what it yields is
deterministic, so an interrupted ingest can be resumed.

The heavy readers (trafilatura, feedparser, defusedxml) are imported only when a source needs them.

>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "a.txt").write_text("وزیر اقتصاد امروز گفت تورم کاهش می یابد.", encoding="utf-8")
>>> [(type(r).__name__, r.kind) for r in read_sources([str(folder / "a.txt")])]
[('RawArticle', 'text')]
>>> [r.reason for r in read_sources([str(folder / "nothing.txt")])]
['no such file or directory']
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import BinaryIO

from khabar.ingest.clean import MAX_ARTICLE_CHARS, clean_field, clean_origin, clean_text, redact
from khabar.ingest.urls import Fetcher, FetchError, FetchResult, UrllibFetcher, normalize_url

__all__ = [
    "ARTICLE_FIELDS",
    "Failure",
    "FetchError",
    "FetchResult",
    "Fetcher",
    "FieldMap",
    "RawArticle",
    "UrllibFetcher",
    "iter_files",
    "normalize_url",
    "read_sources",
]

KINDS = ("text", "html", "feed", "jsonl", "csv")
# The fields a tabular source can fill, in the order they appear on RawArticle.
ARTICLE_FIELDS = ("text", "title", "url", "published", "author", "outlet")
DEFAULT_MAX_BYTES = 100 * 2**20
# Files in a folder that are never articles (saved pages bring these along); given by name, they are read.
ASSET_EXTENSIONS = frozenset({
    ".css", ".js", ".mjs", ".map", ".png", ".jpg", ".jpeg", ".gif", ".webp", ".svg", ".ico", ".bmp", ".woff",
    ".woff2", ".ttf", ".otf", ".eot", ".mp3", ".mp4", ".webm", ".wav", ".ogg", ".avi", ".mov",
})


@dataclass(frozen=True, slots=True)
class RawArticle:
    """One article as read from a source, before the pipeline sees it."""

    text: str                  # the article's main text, decoded (for HTML: the extracted main text)
    origin: str                # where it came from: a path, a URL, "path#12" (line/row/item 12), "<stdin>"
    kind: str                  # "text" | "html" | "feed" | "jsonl" | "csv"
    title: str | None = None
    url: str | None = None     # canonical URL when known (dedup key), normalized (no fragment, no utm_*)
    published: str | None = None   # ISO 8601 date or datetime
    author: str | None = None
    outlet: str | None = None  # outlet name from the feed/site/field
    raw_html: str | None = None


@dataclass(frozen=True, slots=True)
class Failure:
    """A source (or one line/row/item of it) that could not be read, and why."""

    origin: str
    reason: str                # one line, says what is wrong and what to do

    def __post_init__(self) -> None:
        # One line whatever the reader quoted into it (a CSV header cell holding a line break).
        if not self.reason.isprintable() or "  " in self.reason:
            object.__setattr__(self, "reason", " ".join(self.reason.split()))


@dataclass(frozen=True, slots=True)
class FieldMap:
    """Which column (CSV) or key (JSONL) fills each article field.

    Unmapped fields keep their own name as the column. ``text`` is required in every row.

    >>> FieldMap.parse("text=body,published=date").column("text")
    'body'
    >>> FieldMap.parse("text=body").column("title")
    'title'
    """

    mapping: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        unknown = sorted(set(self.mapping) - set(ARTICLE_FIELDS))
        if unknown:
            raise ValueError(
                f"unknown article field(s) {', '.join(unknown)} in the field map; known: {', '.join(ARTICLE_FIELDS)}")

    @classmethod
    def parse(cls, spec: str | Iterable[str]) -> FieldMap:
        """Build from ``"text=body,title=headline"`` (or a list of ``field=column`` items)."""
        items = spec.split(",") if isinstance(spec, str) else list(spec)
        mapping: dict[str, str] = {}
        for item in items:
            item = item.strip()
            if not item:
                continue
            name, sep, column = item.partition("=")
            if not sep or not name.strip() or not column.strip():
                raise ValueError(f"field map item {item!r} is not FIELD=COLUMN (e.g. text=body)")
            mapping[name.strip()] = column.strip()
        return cls(mapping)

    def column(self, name: str) -> str:
        """The column/key that fills the article field ``name``."""
        return self.mapping.get(name, name)


def read_sources(sources: Iterable[str], *, fields: FieldMap | None = None,
                 fetcher: Fetcher | None = None, max_bytes: int = DEFAULT_MAX_BYTES,
                 max_article_chars: int = MAX_ARTICLE_CHARS,
                 stdin: BinaryIO | None = None) -> Iterator[RawArticle | Failure]:
    """Read every source in order, yielding articles and failures; never raises for bad input.

    ``max_bytes`` bounds each file, URL body and stdin (larger ones fail without being read whole);
    ``max_article_chars`` bounds one article's text (a longer one fails alone, with the reason).
    ``stdin`` replaces ``sys.stdin.buffer`` for ``-`` (tests). Every field of what is yielded is
    clean (:mod:`khabar.ingest.clean`: no lone surrogates, no control characters) and no origin or
    reason holds a URL's password.

    >>> list(read_sources(["-"], stdin=__import__("io").BytesIO("خبر کوتاه".encode())))[0].text
    'خبر کوتاه'
    """
    from khabar.ingest import readers

    fields = fields or FieldMap()
    for source in sources:
        if not isinstance(source, str):
            yield Failure(repr(source), f"a source must be a path, URL or '-', not {type(source).__name__}")
            continue
        if not source.strip():
            # Path("") is the current directory: an empty argument (an unset shell variable) must
            # not ingest whatever folder the command happens to run in.
            yield Failure(repr(source), "an empty source: give a file, folder, URL or - (use . for this folder)")
            continue
        if source == "-":
            stream = stdin if stdin is not None else sys.stdin.buffer
            found = readers.read_stream(stream, "<stdin>", fields=fields, max_bytes=max_bytes)
        elif source.lower().startswith(("http://", "https://")):
            found = readers.read_url(source, fetcher=fetcher or UrllibFetcher(), max_bytes=max_bytes)
        else:
            found = _read_path(Path(source), source, fields=fields, max_bytes=max_bytes)
        for result in _guarded(found, source):
            yield _checked(result, max_article_chars)


def _checked(result: RawArticle | Failure, max_chars: int) -> RawArticle | Failure:
    """The last line of defence for every reader: fields cleaned, the size limit, passwords hidden."""
    if isinstance(result, Failure):
        return Failure(clean_origin(redact(result.origin)), " ".join(clean_text(redact(result.reason)).split()))
    origin = clean_origin(redact(result.origin))
    text = clean_text(result.text)
    if len(text) > max_chars:
        return Failure(origin, f"{len(text):,} characters of text is over the {max_chars:,}-character limit for one "
                               "article (split it, or raise max_article_chars / --max-article-chars)")
    url = clean_field(result.url)
    return replace(result, text=text, origin=origin, title=clean_field(result.title),
                   url=redact(url) if url else None, published=clean_field(result.published),
                   author=clean_field(result.author), outlet=clean_field(result.outlet),
                   raw_html=clean_text(result.raw_html) if result.raw_html else result.raw_html)


def _guarded(found: Iterator[RawArticle | Failure], source: str) -> Iterator[RawArticle | Failure]:
    """The readers' results; a reader bug becomes a Failure instead of ending the whole run."""
    last = source
    try:
        for result in found:
            last = result.origin
            yield result
    except Exception as err:  # a bug, not bad input: report it, keep going with the next source
        where = source if last == source else f"{source} (after {last})"
        message = " ".join(str(err).split())[:200]
        yield Failure(where, f"internal error while reading ({type(err).__name__}: {message}); the rest of this "
                             "source was skipped — please report it")


def _read_path(path: Path, origin: str, *, fields: FieldMap, max_bytes: int) -> Iterator[RawArticle | Failure]:
    from khabar.ingest import readers

    for item in iter_files(path, origin):
        if isinstance(item, Failure):
            yield item
        else:
            yield from readers.read_file(item, origin if item is path else str(item), fields=fields,
                                         max_bytes=max_bytes)


def iter_files(path: Path, origin: str | None = None) -> Iterator[Path | Failure]:
    """The files a path source is read from, in reading order: the file itself, or a folder's
    files (sorted, recursive), with a :class:`Failure` for what cannot be listed or is left out.
    A file yielded is ``path`` itself for a file source; reading ``str(file)`` as a source reads
    exactly what the folder's reading reads of it (an engine may share a folder's files out).

    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> for name in ("b.txt", "a.txt", ".hidden", "style.css"):
    ...     _ = (folder / name).write_text("خبر", encoding="utf-8")
    >>> [x.name if isinstance(x, Path) else x.reason for x in iter_files(folder)]
    ['a.txt', 'b.txt', 'skipped 1 files that are page assets, not articles (1 .css)']
    """
    origin = str(path) if origin is None else origin
    try:
        is_dir = path.is_dir()
        exists = is_dir or path.exists()
    except OSError as err:
        yield Failure(origin, f"cannot read: {err.strerror or err}")
        return
    if not exists:
        yield Failure(origin, "no such file or directory")
        return
    if not is_dir:
        yield path
        return
    # Sorted, recursive, not following directory symlinks (no loops); hidden files and folders
    # (.git, .DS_Store) are not articles and are left out. The assets of saved pages (page_files/:
    # styles, scripts, images, fonts) are skipped and counted in one Failure, so none goes unsaid.
    # A folder that cannot be listed is a Failure too; a link to a file outside the folder is not
    # followed (a folder of links must not read /etc/passwd or another user's files into the archive).
    skipped: dict[str, int] = {}
    unreadable: list[OSError] = []
    try:
        root_real = path.resolve()
    except (OSError, RuntimeError) as err:
        yield Failure(origin, f"cannot read: {err}")
        return
    for root, dirs, files in os.walk(path, onerror=unreadable.append):
        while unreadable:
            denied = unreadable.pop(0)
            yield Failure(str(denied.filename or root), f"cannot read the folder: {denied.strerror or denied}; its "
                                                        "files were not read (check its permissions)")
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if name.startswith("."):
                continue
            suffix = Path(name).suffix.lower()
            if suffix in ASSET_EXTENSIONS:
                skipped[suffix] = skipped.get(suffix, 0) + 1
                continue
            child = Path(root) / name
            if child.is_symlink():
                try:
                    target = child.resolve(strict=True)
                except (OSError, RuntimeError):
                    yield Failure(str(child), "a broken link (its target does not exist)")
                    continue
                if not target.is_relative_to(root_real):
                    yield Failure(str(child), f"a link to a file outside the folder ({target}): not followed "
                                              "(give the file itself to read it)")
                    continue
            yield child
    for denied in unreadable:
        yield Failure(str(denied.filename or origin), f"cannot read the folder: {denied.strerror or denied}; its "
                                                      "files were not read (check its permissions)")
    if skipped:
        counts = ", ".join(f"{n} {ext}" for ext, n in sorted(skipped.items()))
        yield Failure(origin, f"skipped {sum(skipped.values())} files that are page assets, not articles ({counts})")
