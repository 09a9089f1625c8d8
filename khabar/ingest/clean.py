"""What every reader does to the text it yields: lone surrogates and control characters out.

Scraped dumps carry characters no article holds: lone UTF-16 surrogates (a JSON ``"\\udfff"``
escape, a page cut inside an emoji), C0/C1 control characters (``\\x1b[2J`` in a title, ``\\x00`` in
a CSV cell) and noncharacters. Stored, they crash the database driver (UTF-8 cannot encode a
surrogate) or the CRF; printed, they drive the terminal. Readers clean every text field here, so
one bad field costs nothing but the bad characters and never fails a whole chunk of articles.

>>> clean_text("خبر\\udfff کوتاه\\x1b[2J\\r\\nادامه")
'خبر� کوتاه[2J\\nادامه'
>>> clean_field("  عنوان\\n\\tدوم\\x00 ")
'عنوان دوم'
>>> clean_field("\\x07") is None
True
>>> redact_url("https://reader:s3cret@news.example/feed?x=1")
'https://reader:***@news.example/feed?x=1'
"""

from __future__ import annotations

import re

__all__ = ["MAX_ARTICLE_CHARS", "clean_field", "clean_origin", "clean_text", "redact", "redact_url"]

# One article's text: the longest real articles have tens of thousands of characters; analysis
# holds every span of an article in memory, so a "single article" of megabytes is a dump to split.
MAX_ARTICLE_CHARS = 1_000_000

_SURROGATE = re.compile("[\ud800-\udfff]")
# C0 controls but tab and line breaks, DEL, C1 controls (U+0080-U+009F: CSI U+009B drives some
# terminals), and the noncharacters U+FFFE/U+FFFF.
_CONTROL = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f\ufffe\uffff]")
_LINE_BREAKS = re.compile(r"\r\n?|[\x0c\u2028\u2029\x85]")
# scheme://user:password@host — the password part (a URL given on the command line, a feed link).
_CREDENTIALS = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^\s/:@]*:)([^\s/@]*)(@)")


def clean_text(text: str) -> str:
    """``text`` with lone surrogates as U+FFFD, control characters removed and line breaks as ``\\n``."""
    if text.isascii() and text.isprintable():
        return text
    if _SURROGATE.search(text):
        text = _SURROGATE.sub("\ufffd", text)
    text = _LINE_BREAKS.sub("\n", text)
    return _CONTROL.sub("", text)


def clean_field(value: str | None) -> str | None:
    """A one-line field (title, author, outlet, URL): cleaned, whitespace runs as one space; ``None`` if empty."""
    if not value:
        return None
    value = " ".join(clean_text(value).split())
    return value or None


def clean_origin(origin: str) -> str:
    """A path or URL as text that can be stored and printed: a file name's undecodable bytes (which
    Python holds as lone surrogates) as ``\\xNN`` escapes, control characters likewise.

    >>> clean_origin("/news/\\udcff.txt")
    '/news/\\\\xff.txt'
    """
    if _SURROGATE.search(origin):
        origin = _SURROGATE.sub(_escape_surrogate, origin)
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", origin)


def _escape_surrogate(m: re.Match[str]) -> str:
    code = ord(m.group())
    return f"\\x{code - 0xdc00:02x}" if 0xdc80 <= code <= 0xdcff else "\ufffd"


def redact_url(url: str) -> str:
    """``url`` with the password of its ``user:password@`` part replaced by ``***``."""
    return redact(url)


def redact(text: str) -> str:
    """Every ``scheme://user:password@`` in ``text`` with the password replaced by ``***``."""
    if "@" not in text:
        return text
    return _CREDENTIALS.sub(lambda m: m.group(1) + ("***" if m.group(2) else "") + m.group(3), text)
