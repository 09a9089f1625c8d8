"""HTML pages: the main text, title, date, author and outlet, by trafilatura with Persian fixes.

trafilatura finds the article body well on Persian pages, but misses or muddles what Persian news
sites do differently, which is fixed here:

- dates written in the Jalali calendar, in Persian digits, in a byline or a ``<meta>`` (htmldate
  reads Gregorian only), while the site header shows *today's* date, which must not win;
- the headline and the kicker (روتیتر) repeated as the first lines of the text;
- the agencies' end marks and tool rows kept as text (``انتهای پیام/``, ``کد خبر: ۳۱۷۹۴۵۶``,
  ``چاپ | ارسال به دوستان``);
- the outlet named as the author, or the headline taken for the site name;
- ``<title>`` carrying the outlet (``… - خبرگزاری تسنیم | Tasnim``).

Datelines with a tatweel dash (``دنیای اقتصاد ـ …``, ``تهران - ایرنا -``) are kept in the text: the
pipeline's credit stage reads them.

>>> page = ('<html><head><title>گرانی سکه | خبرگزاری نمونه</title></head><body><h1>گرانی سکه</h1>'
...         '<div class="date">۲۴ مهر ۱۴۰۳ - ۱۰:۳۰</div><article><p>قیمت سکه امروز در بازار تهران '
...         'افزایش یافت و فعالان بازار دلیل آن را نوسان نرخ ارز دانستند.</p><p>انتهای پیام/</p>'
...         '</article></body></html>')
>>> a = next(read_html(page.encode(), "page.html"))
>>> a.title, a.published, a.outlet
('گرانی سکه', '2024-10-15T10:30:00+03:30', 'خبرگزاری نمونه')
>>> a.text
'قیمت سکه امروز در بازار تهران افزایش یافت و فعالان بازار دلیل آن را نوسان نرخ ارز دانستند.'
"""

from __future__ import annotations

import functools
import itertools
import json
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

from khabar.errors import DecodeError
from khabar.ingest.clean import clean_field, clean_text
from khabar.ingest.markup import clean_markup, decode_markup, strip_attribute_floods
from khabar.ingest.urls import normalize_url
from khabar.text.calendar import DATE_FOLD, find_dates, parse_published
from khabar.text.fold import Fold

if TYPE_CHECKING:
    from khabar.ingest import Failure, RawArticle

# News pages have a few thousand elements; extraction time grows with the tree (~1 s per 3,000 long paragraphs).
MAX_ELEMENTS = 30_000
MAX_TEXT_CHARS = 1_000_000
# Printable stand-ins for ZWNJ/ZWJ while trafilatura works (it drops non-printable characters).
ZWNJ_MASK, ZWJ_MASK = "\u2e3b", "\u2e3a"
_ZWNJ_FORMS = re.compile(r"\u200c|&zwnj;|&#8204;|&#x0*200c;", re.IGNORECASE)
_ZWJ_FORMS = re.compile(r"\u200d|&zwj;|&#8205;|&#x0*200d;", re.IGNORECASE)
# Lines that are page furniture, not article text (agency sign-offs too: "انتهای پیام/ر", "/ج",
# the reporter codes "۷۳۲۳/۱۸۰۸", "***") (folded: ی/ک Persian, digits ASCII).
_BOILERPLATE = re.compile(
    r"^\s*(?:/?\s*انتهای (?:پیام|خبر)\s*(?:/\s*[\u0600-\u06ff]{0,2})?|/\s*[\u0600-\u06ff]{1,2}|\d{2,5}\s*/\s*\d{2,5}"
    r"|\*+|کد خبر\s*[:：]?\s*\d+.*|لینک کوتاه.*|اشتراک ?گذاری.*|برچسب ?ها\s*[:：].*"
    r"|(?:چاپ|نسخه چاپی|ارسال به دوستان|کپی شد|ذخیره|بازگشت)(?:\s*[|،-]\s*(?:چاپ|نسخه چاپی|ارسال به دوستان|کپی شد"
    r"|ذخیره|بازگشت))*|تعداد بازدید\s*[:：]?\s*\d+|\d+\s*نظر|ارسال نظر|نظرات|اخبار مرتبط|پربیننده ?ترین"
    r"|تاریخ انتشار\s*[:：].*|خبرنگار\s*[:：]\s*\S+|\S+\s*[:：]\s*کد خبر.*)\s*$")
# An end mark glued to the last paragraph: «… می‌کنند. انتهای خبر».
_END_MARK = re.compile(r"\s*/?\s*انتهای (?:پیام|خبر)\s*(?:/\s*[\u0600-\u06ff]{0,2})?\s*$")
_TITLE_SPLIT = re.compile(r"\s+[-|–—:«»]{1,2}\s+|\s*[|]\s*")
_DATE_CONTEXT = re.compile(r"date|time|publish|byline|news-?meta|info|tarikh", re.IGNORECASE)
_TODAY = re.compile(r"امروز\s*[:：]?\s*$")
_PUBLISHED_CUE = re.compile(r"(?:انتشار|منتشر|تاریخ|به روز رسانی|بروزرسانی)\s*[:：]?\s*\S*\s*$")
_META_DATE_KEYS = ("article:published_time", "og:published_time", "published_time", "datepublished", "pubdate",
                   "publishdate", "publish-date", "date", "dc.date", "dc.date.issued", "dcterms.created",
                   "sailthru.date", "article.published", "created")
_PERSIAN = re.compile(r"[\u0600-\u06ff]")
# "تهران- ایرنا-", "مشهد ـ ایسنا ـ", "خبرگزاری مهر ـ": a place and/or agency, dashes or tatweels between.
# Only lines ending in the dash: "کریدور شمال - جنوب" alone on a line is a subheading.
_DATELINE = re.compile(r"^(?:[^\s\-–—ـ:.،]+(?: [^\s\-–—ـ:.،]+){0,2}\s*[-–—ـ]+\s*){1,2}$")
_DATELINE_CLASS = re.compile(r"dateline", re.IGNORECASE)
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
_WS = re.compile(r"[ \t\u00a0]+")


def read_html(data: bytes, origin: str, *, url: str | None = None,
              charset: str | None = None) -> Iterator[RawArticle | Failure]:
    """Extract the one article of an HTML page (a page with none is a :class:`Failure`)."""
    from khabar.ingest import Failure

    try:
        html = decode_markup(data, origin, declared=charset)
    except DecodeError as err:
        yield Failure(origin, _without_origin(str(err), origin))
        return
    yield extract(html, origin, url=url)


def extract(html: str, origin: str, *, url: str | None = None) -> RawArticle | Failure:
    """The article in a decoded HTML page, or a :class:`Failure` saying why there is none."""
    from khabar.ingest import Failure, RawArticle

    html = clean_markup(html)
    if not html.strip():
        return Failure(origin, "empty: no text in it")
    try:
        import trafilatura
        from lxml import html as lxml_html

        # lxml refuses str input that still declares an encoding (XHTML's <?xml … encoding=…?>).
        tree = lxml_html.fromstring(strip_attribute_floods(_XML_DECLARATION.sub("", _mask(html), count=1)))
        elements = sum(1 for _ in itertools.islice(tree.iter(), MAX_ELEMENTS + 1))
        if elements > MAX_ELEMENTS:
            # Extraction time grows with the tree; no article page comes near this.
            return Failure(origin, f"over {MAX_ELEMENTS:,} HTML elements: not one article page (a site dump? "
                                   "split it into pages)")
        chars = len(tree.text_content())
        if chars > MAX_TEXT_CHARS:
            return Failure(origin, f"{chars:,} characters of text: not one article page (the longest articles "
                                   f"have tens of thousands; the limit is {MAX_TEXT_CHARS:,})")
        found = trafilatura.bare_extraction(
            tree, url=url, with_metadata=True, include_comments=False, include_tables=False,
            include_images=False, deduplicate=False, config=_config(),
            # Dates from markup only: htmldate's free-text search finds years in the article body
            # (۲۰۱۱ in a sentence) and reads no Jalali date; bylines are read by _byline_date.
            date_extraction_params={"extensive_search": False, "original_date": True})
    except Exception as err:  # lxml/trafilatura raise many types on malformed pages
        return Failure(origin, f"cannot parse the HTML ({type(err).__name__}: {_first_line(str(err))})")
    meta = {key: _unmask(value) for key, value in _page_metadata(tree).items()}
    found_text = _unmask(getattr(found, "text", None))
    title = _choose_title(_unmask(getattr(found, "title", None)) or None, meta, found_text)
    text = _clean_text(found_text or "", title, meta.get("kicker"), meta.get("dateline"))
    if not _looks_like_article(text):
        return Failure(origin, "no article text found in the page (a list or index page, an empty template, "
                               "or content loaded by JavaScript)")
    outlet = _outlet(found, meta, title)
    page_url = _page_url(meta, found, url)
    author = _unmask(getattr(found, "author", None))
    if author and outlet and (_fold(author) == _fold(outlet) or _fold(outlet) in _fold(author)):
        author = ""  # sites put their own name in <meta name="author">
    published = meta.get("published") or _iso_or_none(getattr(found, "date", None)) or _byline_date(tree, title)
    return RawArticle(text=clean_text(text), origin=origin, kind="html", title=clean_field(title), url=page_url,
                      published=published, author=clean_field(author), outlet=clean_field(_unmask(outlet)),
                      raw_html=html)


def _mask(html: str) -> str:
    """Hide the ZWNJs (and ZWJs) of a page from trafilatura, which deletes every character that
    ``str.isprintable()`` rejects: ``می‌کنند`` would come out ``میکنند``."""
    if ZWNJ_MASK in html or ZWJ_MASK in html:
        return html
    return _ZWNJ_FORMS.sub(ZWNJ_MASK, _ZWJ_FORMS.sub(ZWJ_MASK, html))


def _unmask(text: str | None) -> str:
    return text.replace(ZWNJ_MASK, "\u200c").replace(ZWJ_MASK, "\u200d") if text else ""


@functools.lru_cache(maxsize=1)
def _config() -> Any:
    from trafilatura.settings import use_config

    config = use_config()
    # Below 250 extracted characters trafilatura falls back to a baseline that flattens the page,
    # byline and end marks included, into one line; short Persian news items are that short.
    config.set("DEFAULT", "MIN_EXTRACTED_SIZE", "80")
    return config


def _page_metadata(tree: Any) -> dict[str, str]:
    """What the page's ``<head>`` and structured data say: canonical URL, dates, site name, title."""
    meta: dict[str, str] = {}
    for el in tree.iter("meta"):
        key = (el.get("property") or el.get("name") or el.get("itemprop") or "").strip().lower()
        content = (el.get("content") or "").strip()
        if not key or not content:
            continue
        if key in _META_DATE_KEYS and "published" not in meta:
            value = parse_published(content)
            if value:
                meta["published"] = value
        elif key == "og:site_name":
            meta.setdefault("site_name", content)
        elif key == "og:url":
            meta.setdefault("og_url", content)
        elif key == "og:title":
            meta.setdefault("og_title", content)
    for el in tree.iter("link"):
        if (el.get("rel") or "").lower() == "canonical" and el.get("href"):
            meta.setdefault("canonical", el.get("href").strip())
    for el in tree.iter("script"):
        if (el.get("type") or "").lower() == "application/ld+json" and el.text:
            _read_json_ld(el.text, meta)
    if "published" not in meta:
        for el in tree.iter("time"):
            value = parse_published(el.get("datetime") or el.text_content())
            if value:
                meta["published"] = value
                break
    for el in tree.iter():
        if isinstance(el.tag, str) and _DATELINE_CLASS.search(f"{el.get('class', '')} {el.get('id', '')}"):
            line = _WS.sub(" ", el.text_content()).strip()
            if 0 < len(line.split()) <= 6:
                meta.setdefault("dateline", line)
    titles = [el.text_content().strip() for el in tree.iter("title")]
    if titles and titles[0]:
        meta["title_tag"] = _WS.sub(" ", titles[0])
    h1 = next((el.text_content().strip() for el in tree.iter("h1")), "")
    if h1:
        meta["h1"] = _WS.sub(" ", h1)
        previous = next(iter(tree.iter("h1"))).getprevious()
        while previous is not None and not isinstance(previous.tag, str):  # a comment (`</ x>` is one)
            previous = previous.getprevious()
        if previous is not None and previous.text_content().strip():
            meta["kicker"] = _WS.sub(" ", previous.text_content().strip())
    return meta


def _read_json_ld(source: str, meta: dict[str, str]) -> None:
    try:
        data = json.loads(source)
    except ValueError:
        return
    stack = data if isinstance(data, list) else [data]
    while stack:
        item = stack.pop(0)
        if not isinstance(item, dict):
            continue
        stack.extend(x for x in item.get("@graph", []) if isinstance(x, dict))
        if "published" not in meta and isinstance(item.get("datePublished"), str):
            value = parse_published(item["datePublished"])
            if value:
                meta["published"] = value
        publisher = item.get("publisher")
        if isinstance(publisher, dict) and isinstance(publisher.get("name"), str):
            meta.setdefault("publisher", publisher["name"].strip())


def _choose_title(found_title: str | None, meta: dict[str, str], text: str) -> str:
    """The headline: og:title or <h1> when the page has them, else trafilatura's or <title>'s,
    without the outlet glued to it (``… - خبرگزاری تسنیم | Tasnim``)."""
    site = meta.get("site_name") or meta.get("publisher")
    for candidate in (meta.get("og_title"), meta.get("h1")):
        if candidate:
            return _strip_site(candidate, site, text)
    candidate = meta.get("title_tag") or found_title or ""
    if found_title and meta.get("title_tag") and _fold(found_title) not in _fold(meta["title_tag"]):
        candidate = found_title
    return _strip_site(candidate, site, text)


def _strip_site(title: str, site: str | None, text: str) -> str:
    title = _WS.sub(" ", title).strip()
    parts = [p.strip() for p in _TITLE_SPLIT.split(title) if p.strip()]
    if len(parts) < 2:
        return title
    if any(_PERSIAN.search(p) for p in parts):
        # A Latin part of a Persian <title> is the outlet's Latin name ("| Tasnim").
        parts = [p for p in parts if _PERSIAN.search(p) or len(p.split()) > 3]
        if len(parts) == 1:
            return parts[0]
    if site:
        kept = [p for p in parts if _fold(site) not in _fold(p) and _fold(p) not in _fold(site)]
        return " - ".join(kept) if kept else title
    if len(parts) == 2:
        # No site name known: the part whose words the article uses is the headline.
        body = set(_fold(text).split())
        return max(parts, key=lambda p: (sum(w in body for w in _fold(p).split()), len(p)))
    return title


def _clean_text(text: str, title: str, kicker: str | None, dateline: str | None = None) -> str:
    lines = [_WS.sub(" ", line).strip() for line in text.splitlines()]
    lines = [line for line in lines if line]
    # The headline (and the kicker above it) repeated at the top of the body.
    heads = {_fold(title)} if title else set()
    if kicker:
        heads.add(_fold(kicker))
    while lines and heads and _fold(lines[0]) in heads:
        lines.pop(0)
    kept = [line for line in lines if not _BOILERPLATE.match(DATE_FOLD(line))]
    if kept:
        kept[-1] = _END_MARK.sub("", kept[-1])
    kept = [line for line in kept if line]
    if dateline and kept and _fold(dateline) not in _fold(kept[0]):
        kept.insert(0, dateline if _DATELINE.match(dateline) else f"{dateline} -")
    # A dateline in its own element (<p>تهران- ایرنا-</p>) opens the lead: one line, as the
    # agencies write it, so the credit stage finds it at the start of the article.
    if len(kept) > 1 and _DATELINE.match(kept[0]):
        kept[:2] = [f"{kept[0]} {kept[1]}"]
    return "\n".join(kept)


def _looks_like_article(text: str) -> bool:
    """Prose, not a menu: a line long enough to be a sentence, or several lines ending like sentences
    (menus and link lists are short lines without a full stop)."""
    lines = text.splitlines()
    sentences = sum(1 for line in lines if line.rstrip().endswith((".", "؟", "?", "!", "»")))
    return len(text.split()) >= 8 and (any(len(line.split()) >= 6 for line in lines) or sentences >= 2)


def _outlet(found: Any, meta: dict[str, str], title: str) -> str | None:
    site = meta.get("site_name") or meta.get("publisher")
    if not site:
        name = getattr(found, "sitename", None) if found is not None else None
        if name and _fold(name) != _fold(title) and _fold(title) not in _fold(name):
            site = name
    if not site and title and meta.get("title_tag"):
        # <title>همشهری آنلاین - زمین لرزه …</title>: what is not the headline names the site.
        rest = [p for p in _TITLE_SPLIT.split(meta["title_tag"]) if p.strip() and _fold(p) not in _fold(title)]
        if len(rest) == 1 and len(rest[0]) <= 40:
            site = rest[0].strip()
    if not site:
        host = getattr(found, "hostname", None) if found is not None else None
        site = host or None
    return site.strip() if site else None


def _page_url(meta: dict[str, str], found: Any, url: str | None) -> str | None:
    for candidate in (meta.get("canonical"), meta.get("og_url"), url, getattr(found, "url", None)):
        if not candidate:
            continue
        absolute = urljoin(url, candidate) if url else candidate
        if urlsplit(absolute).scheme in ("http", "https"):
            return normalize_url(absolute)
    return None


def _byline_date(tree: Any, title: str) -> str | None:
    """The publication date written in the page's text: Jalali or Gregorian, the site header's
    'today' ignored, a date with a time of day and near a 'published' cue preferred."""
    best: tuple[int, int, str] | None = None
    for el in tree.iter():
        if not isinstance(el.tag, str) or el.tag in ("script", "style", "head", "title"):
            continue
        own = (el.text or "") + " " + " ".join(child.tail or "" for child in el)
        if not own.strip():
            continue
        own = DATE_FOLD(own)
        context = " ".join(filter(None, (el.get("class"), el.get("id"), el.getparent().get("class")
                                          if el.getparent() is not None else None)))
        for position, value, has_time in find_dates(own):
            before = own[max(0, position - 30):position]
            if _TODAY.search(before):
                continue
            score = 2 * has_time + 2 * bool(_PUBLISHED_CUE.search(before)) + bool(_DATE_CONTEXT.search(context))
            if best is None or score > best[0]:
                best = (score, 0, value)
    return best[2] if best else None


def _iso_or_none(value: str | None) -> str | None:
    return parse_published(value) if value else None


# ZWNJs dropped, as the search key does: ``می‌کنند`` and ``میکنند`` compare equal.
_fold = Fold(letters="shapes", digits=True, zwnj="drop", invisible=False, marks=False, tatweel=True, spaces="collapse",
             lower=True)


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0][:200] if text.strip() else ""


def _without_origin(message: str, origin: str) -> str:
    if message.startswith(origin + ": "):
        message = message[len(origin) + 2:]
    return " ".join(message.split())
