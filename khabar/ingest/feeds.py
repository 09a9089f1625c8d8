"""RSS and Atom feeds: one article per item, read by feedparser after defusedxml has checked the XML.

feedparser is lenient by design; a feed is hostile input, so it is first parsed with defusedxml,
which refuses DTDs, entity declarations and external references (billion laughs, XXE). Feeds that
are not XML, or XML that is not RSS/Atom, are refused with the reason.

Iranian feeds often write ``pubDate`` in the Jalali calendar and in Persian digits; those are read
by :func:`khabar.text.calendar.parse_published` (feedparser leaves them unparsed).

>>> feed = ('<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>ایرنا</title>'
...         '<item><title>باران در تهران</title><link>https://www.irna.ir/news/1/?utm_source=rss</link>'
...         '<pubDate>سه شنبه ۲۴ مهر ۱۴۰۳ - ۰۸:۱۵</pubDate><description>&lt;p&gt;تهران - ایرنا - '
...         'باران پاییزی امروز در تهران بارید.&lt;/p&gt;</description></item></channel></rss>')
>>> a = next(read_feed(feed.encode(), "f.xml"))
>>> a.origin, a.title, a.url, a.published, a.outlet
('f.xml#1', 'باران در تهران', 'https://www.irna.ir/news/1/', '2024-10-15T08:15:00+03:30', 'ایرنا')
>>> a.text
'تهران - ایرنا - باران پاییزی امروز در تهران بارید.'
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin

from khabar.errors import DecodeError
from khabar.ingest.clean import clean_field, clean_text
from khabar.ingest.markup import MAX_ATTRIBUTES, clean_markup, decode_markup, html_to_text
from khabar.ingest.urls import normalize_url
from khabar.text.calendar import from_struct_time, parse_published

if TYPE_CHECKING:
    from khabar.ingest import Failure, RawArticle

_FEED_ROOTS = frozenset({"rss", "feed", "RDF", "rdf"})
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
_END_MARK = re.compile(r"\s*/?\s*انتهای (?:پیام|خبر)\s*(?:/\s*[\u0600-\u06ff]{0,2})?\s*$")


@dataclass(frozen=True, slots=True)
class FeedEntry:
    """One item of a feed: its GUID and link (for telling items apart between polls) and the item
    read as an article from the feed's own text (a :class:`Failure` when it carries none)."""

    number: int                      # position in the feed, from 1
    guid: str | None
    link: str | None                 # absolute http(s), normalized; None when the item has none
    article: RawArticle | Failure


@dataclass(frozen=True, slots=True)
class FeedListing:
    """A feed's title and items, in the feed's order (an empty feed has none: not an error here)."""

    title: str | None
    entries: list[FeedEntry]


def read_feed(data: bytes, origin: str, *, charset: str | None = None) -> Iterator[RawArticle | Failure]:
    """Every item of an RSS/Atom feed as an article, ``origin#N`` for item N (counted from 1)."""
    listing = read_feed_entries(data, origin, charset=charset)
    if not isinstance(listing, FeedListing):
        yield listing
        return
    if not listing.entries:
        yield _failure(origin, "the feed has no items")
        return
    for entry in listing.entries:
        yield entry.article


def read_feed_entries(data: bytes, origin: str, *, charset: str | None = None,
                      base: str | None = None) -> FeedListing | Failure:
    """The feed's items with their GUIDs and links, or a :class:`Failure` for a feed that cannot be
    read (not XML, not RSS/Atom, a DTD). ``base`` resolves relative item links (the feed's URL)."""
    try:
        xml = decode_markup(data, origin, declared=charset)
    except DecodeError as err:
        return _failure(origin, _without_origin(str(err), origin))
    # Decoded once here; the declaration is dropped so the XML parsers do not decode it again.
    # Control characters and references to them (&#x1b;) are not XML: one would fail the whole feed.
    body = _XML_DECLARATION.sub("", clean_markup(xml), count=1).lstrip().encode("utf-8")
    refusal, body = _check_xml(body)
    if refusal:
        return _failure(origin, refusal)
    try:
        import feedparser

        parsed = feedparser.parse(body, sanitize_html=True, resolve_relative_uris=False)
    except Exception as err:  # feedparser's own parsers raise many types on broken input
        return _failure(origin, f"cannot read the feed ({type(err).__name__}: {err})")
    title = (parsed.get("feed") or {}).get("title")
    outlet = clean_field(title) if isinstance(title, str) else None
    entries = []
    for number, entry in enumerate(parsed.get("entries") or [], 1):
        link = entry.get("link")
        link = clean_field(link) if isinstance(link, str) else None
        if link and base and not link.lower().startswith(("http://", "https://")):
            link = urljoin(base, link)
        link = normalize_url(link) if link and link.lower().startswith(("http://", "https://")) else None
        guid = entry.get("id")
        try:
            article = _article(entry, f"{origin}#{number}", outlet, link)
        except Exception as err:  # one odd item fails alone
            message = " ".join(str(err).split())[:200]
            article = _failure(f"{origin}#{number}", f"cannot read the feed item ({type(err).__name__}: {message})")
        entries.append(FeedEntry(number, clean_field(guid) if isinstance(guid, str) else None, link, article))
    return FeedListing(outlet, entries)


def _failure(origin: str, reason: str) -> Failure:
    from khabar.ingest import Failure

    return Failure(origin, reason)


def _check_xml(body: bytes) -> tuple[str | None, bytes]:
    """``(None, body)`` for well-formed RSS/Atom XML without DTDs or entities, else ``(reason, body)``.

    An element with an attribute flood comes back cut to its first attributes (feedparser's SAX
    handler looks each attribute up by a linear search: 40,000 of them took 36 s).
    """
    from defusedxml import DefusedXmlException
    from defusedxml import ElementTree as SafeET

    try:
        root = SafeET.fromstring(body, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as err:
        kind = type(err).__name__.replace("Forbidden", "").lower() or "construct"
        return (f"refused: the XML declares a {'DTD' if kind == 'dtd' else kind} ({err}); feeds with DTDs or "
                "entity declarations can attack the reader (billion laughs, external entities)"), body
    except SafeET.ParseError as err:
        return f"not XML: {err} (is it an HTML page? give its URL or save it as .html)", body
    except (ValueError, RecursionError) as err:
        return f"not XML: {err}", body
    tag = root.tag.rsplit("}", 1)[-1] if isinstance(root.tag, str) else ""
    if tag not in _FEED_ROOTS:
        return f"XML but not an RSS/Atom feed (root element <{tag}>)", body
    flooded = False
    for el in root.iter():
        if len(el.attrib) > MAX_ATTRIBUTES:
            kept = list(el.attrib.items())[:MAX_ATTRIBUTES]
            el.attrib.clear()
            el.attrib.update(kept)
            flooded = True
    if flooded:
        from xml.etree import ElementTree

        body = ElementTree.tostring(root, encoding="utf-8")
    return None, body


def _article(entry: Any, origin: str, outlet: str | None, url: str | None) -> RawArticle | Failure:
    from khabar.ingest import Failure, RawArticle

    texts = [c.get("value", "") for c in entry.get("content") or [] if isinstance(c, dict)]
    texts.append(entry.get("summary") or "")
    raw = clean_text(max(texts, key=len))  # the full text when the feed carries it, else the summary
    text = _END_MARK.sub("", html_to_text(raw)).strip()
    title = clean_field(entry.get("title"))
    if not text:
        return Failure(origin, "feed item has no text (no description or content)"
                       + (f": {title[:60]}" if title else ""))
    published = None
    for key in ("published", "updated", "created"):
        # dict.get: feedparser's own get() maps updated↔published with a DeprecationWarning.
        published = parse_published(dict.get(entry, key))
        if published:
            break
        published = from_struct_time(dict.get(entry, f"{key}_parsed"))
        if published:
            break
    author = clean_field(entry.get("author"))
    return RawArticle(text=text, origin=origin, kind="feed", title=title, url=url, published=published,
                      author=author, outlet=outlet, raw_html=raw if raw.lstrip().startswith("<") else None)


def _without_origin(message: str, origin: str) -> str:
    if message.startswith(origin + ": "):
        message = message[len(origin) + 2:]
    return " ".join(message.split())
