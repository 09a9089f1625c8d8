"""Decoding markup (HTML, XML feeds): the page's own charset declaration first, then khabar's detection.

A page's ``<meta charset>`` or XML declaration says how it is encoded; Persian sites still serve
Windows-1256, and a page's Latin markup dilutes the Persian letters that plain-text detection
counts, so the declaration is trusted when the bytes agree with it.

>>> decode_markup('<meta charset="windows-1256"><p>سلام</p>'.encode("cp1256"), "page.html")
'<meta charset="windows-1256"><p>سلام</p>'
>>> decode_markup("<p>خبر</p>".encode("utf-8"), "page.html")
'<p>خبر</p>'
"""

from __future__ import annotations

import codecs
import re

from khabar.decoding import decode
from khabar.errors import DecodeError
from khabar.ingest.clean import clean_text

_META_CHARSET = re.compile(rb"""<meta[^>]{0,300}?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]{0,200}?encoding\s*=\s*["']([A-Za-z0-9_.:-]+)["']""")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_TAGS = re.compile(r"<[^>]*>|&\w+;")
_ARABIC = re.compile(r"[\u0600-\u06ff]")
# The encodings khabar reads; declarations of anything else (often a wrong iso-8859-1) are ignored.
_SUPPORTED = {"utf-8": "utf-8", "utf8": "utf-8", "windows-1256": "cp1256", "cp1256": "cp1256",
              "x-cp1256": "cp1256", "utf-16": "utf-16", "utf-16le": "utf-16-le", "utf-16be": "utf-16-be"}


def declared_charset(data: bytes) -> str | None:
    """The Python codec a page declares (XML declaration or ``<meta>`` charset), if khabar supports it."""
    head = data[:4096]
    m = _XML_ENCODING.match(head) or _META_CHARSET.search(head)
    if not m:
        return None
    return _SUPPORTED.get(m.group(1).decode("ascii", "replace").lower())


def decode_markup(data: bytes, origin: str, *, declared: str | None = None) -> str:
    """Decode HTML/XML bytes: BOM, then the declared charset (``declared`` from an HTTP header, or
    the markup's own), then :func:`khabar.decoding.decode`; raise :class:`DecodeError` otherwise."""
    if data.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return decode(data, origin)
    encoding = _SUPPORTED.get((declared or "").lower()) or declared_charset(data)
    if encoding:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            pass  # the declaration is wrong; detect instead
        else:
            if not _looks_binary(text):
                return text
    try:
        return decode(data, origin)
    except DecodeError:
        # Undeclared Windows-1256: judge by the text outside the tags.
        try:
            text = data.decode("cp1256")
        except UnicodeDecodeError:
            raise
        visible = _TAGS.sub(" ", text)
        letters = sum(1 for c in visible if c.isalpha())
        if not _looks_binary(text) and letters and len(_ARABIC.findall(visible)) >= 0.3 * letters:
            return text
        raise


def _looks_binary(text: str) -> bool:
    return "\x00" in text or len(_CONTROL.findall(text[:65536])) > 0.01 * min(len(text), 65536)


# A tag this long is looked at for an attribute flood; no real page has a tag with this many
# attributes, and libxml2's HTML parser (and feedparser's SAX handler) check each new attribute
# against all earlier ones: 40,000 attributes on one element took 17 s, 200,000 over two minutes.
_LONG_TAG = re.compile(r"<([A-Za-z][^\s/<>]*)(\s[^<>]{1024,})>")
_ATTRIBUTE = re.compile(r"""\s*[^\s=/>"']+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s>"']*))?""")
MAX_ATTRIBUTES = 64


_CHAR_REF = re.compile(r"&#(?:[xX]0*([0-9a-fA-F]{1,8})|0*(\d{1,10}));?")


def _control_ref(m: re.Match[str]) -> str:
    code = int(m.group(1), 16) if m.group(1) else int(m.group(2))
    bad = (code < 0x20 and code not in (0x09, 0x0A, 0x0D)) or 0x7F <= code <= 0x9F or 0xD800 <= code <= 0xDFFF \
        or code in (0xFFFE, 0xFFFF) or code > 0x10FFFF
    return "" if bad else m.group()


def clean_markup(html: str) -> str:
    """``html`` without control characters, lone surrogates, or character references to them
    (``&#27;``): lxml hands them on and trafilatura then drops the whole page.

    >>> clean_markup("<p>تیتر&#27;[2J&#x627;</p>")
    '<p>تیتر[2J&#x627;</p>'
    """
    html = clean_text(html)
    return _CHAR_REF.sub(_control_ref, html) if "&#" in html else html


def strip_attribute_floods(html: str) -> str:
    """``html`` with every tag that has over :data:`MAX_ATTRIBUTES` attributes cut to its first ones.

    >>> flood = "<p " + " ".join(f"a{i}='1'" for i in range(1000)) + ">خبر</p>"
    >>> strip_attribute_floods(flood).count("=")
    64
    >>> strip_attribute_floods("<p class='lead'>خبر</p>")
    "<p class='lead'>خبر</p>"
    """
    if len(html) < 1024:
        return html
    return _LONG_TAG.sub(_cut_attributes, html)


def _cut_attributes(m: re.Match[str]) -> str:
    attributes = m.group(2)
    if attributes.count("=") <= MAX_ATTRIBUTES and len(attributes.split()) <= MAX_ATTRIBUTES:
        return m.group()  # a long tag with few attributes (an inline image's data: URI)
    kept = []
    for n, attr in enumerate(_ATTRIBUTE.finditer(attributes)):
        if n >= MAX_ATTRIBUTES:
            break
        kept.append(attr.group())
    return f"<{m.group(1)}{''.join(kept)}>"


_BLOCKS = frozenset({"p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "tr", "section",
                     "article", "ul", "ol", "table", "pre", "figure", "figcaption"})
_LOOKS_LIKE_MARKUP = re.compile(r"<[a-zA-Z/!][^>]*>|&(?:#\d+|#x[0-9a-fA-F]+|\w+);")


def html_to_text(fragment: str) -> str:
    """The text of an HTML fragment (a feed item's description), one line per block.

    >>> html_to_text("<p>تهران - ایرنا - خبر اول</p><p>ادامه&nbsp;خبر</p>")
    'تهران - ایرنا - خبر اول\\nادامه خبر'
    """
    if not _LOOKS_LIKE_MARKUP.search(fragment):
        return "\n".join(" ".join(line.split()) for line in fragment.splitlines() if line.strip())
    fragment = strip_attribute_floods(clean_markup(fragment))
    from lxml import etree
    from lxml import html as lxml_html

    try:
        root = lxml_html.fragment_fromstring(fragment, create_parent="div")
    except (etree.ParserError, ValueError):
        return " ".join(_TAGS.sub(" ", fragment).split())
    for el in root.iter("script", "style"):
        el.drop_tree()
    for el in root.iter():
        if isinstance(el.tag, str) and el.tag.lower() in _BLOCKS:
            el.tail = "\n" + (el.tail or "")
            if el.tag.lower() != "br":
                el.text = "\n" + (el.text or "")
    lines = (" ".join(line.replace("\u00a0", " ").split()) for line in root.text_content().splitlines())
    return "\n".join(line for line in lines if line)
