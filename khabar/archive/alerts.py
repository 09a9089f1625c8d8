"""Saved searches ("alerts"): a name, a query in the search language and facet filters; every article
stored after the alert was saved is matched against it as it is stored, and the matches are kept.

:class:`Alert` is the saved search, :class:`AlertMatch` one article it matched, and
:func:`render_atom` the Atom feed of an alert's matches (served at ``/api/v1/alerts/NAME.atom``).

>>> a = Alert("تحریم", "تحریم OR تحریم‌ها", source="ایسنا")
>>> a.to_dict()["facets"]
{'source': 'ایسنا'}
>>> check_name("نفت/گاز")
Traceback (most recent call last):
...
khabar.errors.InvalidInput: alert name 'نفت/گاز': no '/', control characters or leading/trailing spaces (1 to 100 characters)
>>> xml = render_atom(a, [AlertMatch("تحریم", 7, "2025-08-09T10:00:00+00:00", "تحریم‌های تازه",
...                                  "https://www.isna.ir/news/7", "ایسنا", "2025-08-09")])
>>> b"<entry>" in xml and "تحریم‌های تازه".encode() in xml
True
"""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from urllib.parse import quote

from khabar.archive.models import Alert, AlertMatch
from khabar.errors import InvalidInput

__all__ = ["Alert", "AlertMatch", "check_name", "render_atom"]

ATOM_NS = "http://www.w3.org/2005/Atom"
_BAD_NAME = re.compile(r"[/\\\x00-\x1f\x7f-\x9f]")
# Characters XML 1.0 cannot carry at all (scraped titles do hold them now and then).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def check_name(name: str) -> str:
    """``name`` if it can name an alert (and a URL path segment); else :class:`InvalidInput`."""
    if not isinstance(name, str) or not 1 <= len(name) <= 100 or name != name.strip() or _BAD_NAME.search(name):
        raise InvalidInput(f"alert name {name!r}: no '/', control characters or leading/trailing spaces "
                           "(1 to 100 characters)")
    return name


def render_atom(alert: Alert, matches: Sequence[AlertMatch], *, self_url: str | None = None,
                article_url: str | None = None) -> bytes:
    """The Atom feed (RFC 4287) of an alert's matches, newest first as given.

    ``self_url`` is where the feed is served (``…/api/v1/alerts/NAME.atom``); ``article_url`` a
    template with ``{id}`` for an article's page in khabar (``…/articles/{id}``), used when the
    article has no URL of its own.
    """
    ET.register_namespace("", ATOM_NS)

    def sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        el = ET.SubElement(parent, f"{{{ATOM_NS}}}{tag}", {k: _clean(v) for k, v in attrs.items()})
        if text is not None:
            el.text = _clean(text)
        return el

    feed = ET.Element(f"{{{ATOM_NS}}}feed", {"{http://www.w3.org/XML/1998/namespace}lang": "fa"})
    sub(feed, "title", f"khabar: {alert.name}")
    sub(feed, "subtitle", alert.describe())
    sub(feed, "id", self_url or f"urn:khabar:alert:{quote(alert.name, safe='')}")
    updated = max((m.matched_at for m in matches), default=alert.created or _now())
    sub(feed, "updated", _atom_time(updated))
    sub(feed, "generator", "khabar")
    if self_url:
        sub(feed, "link", rel="self", href=self_url, type="application/atom+xml")
    for m in matches:
        entry = sub(feed, "entry")
        sub(entry, "title", m.title or "(untitled)")
        link = m.url or (article_url.format(id=m.article_id) if article_url else None)
        sub(entry, "id", m.url or f"urn:khabar:alert:{quote(alert.name, safe='')}:article:{m.article_id}")
        if link:
            sub(entry, "link", rel="alternate", href=link, type="text/html")
        sub(entry, "updated", _atom_time(m.matched_at))
        if m.published:
            sub(entry, "published", _atom_time(m.published))
        if m.outlet:
            sub(sub(entry, "author"), "name", m.outlet)
        if m.summary:
            sub(entry, "summary", m.summary)
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)


def _clean(text: str) -> str:
    return _NOT_XML.sub("", text)


def _atom_time(value: str) -> str:
    """RFC 3339 as Atom requires: a date alone becomes midnight UTC, a naive time is taken as UTC."""
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        try:
            parsed = dt.datetime.combine(dt.date.fromisoformat(value[:10]), dt.time())
        except ValueError:
            return _now()
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.isoformat()


def _now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
