"""Tokenization on the restored text: words (ZWNJ compounds stay one token), numbers, URLs,
e-mail addresses, and each punctuation mark alone.

>>> from khabar.document import Document
>>> doc = Tokenizer()(Document.from_raw("گروه‌های کوچک، ۲۳.۵ درصد"))
>>> [t.text for t in doc.tokens]
['گروه\u200cهای', 'کوچک', '،', '۲۳.۵', 'درصد']
"""

from __future__ import annotations

import re
from typing import ClassVar

from khabar.document import Document, Token

_MARKS = "\u064b-\u065f\u0670\u0654"
_WORD = rf"(?:[^\W\d_]|[{_MARKS}])(?:[^\W_]|[{_MARKS}])*"
_URL = r"(?:https?://|www\.)[^\s«»\"<>]+[^\s«»\"<>.,،؛:!?؟)\]]"
_EMAIL = r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
_PLAIN = (
    r"\d+(?:[.,٫٬/:]\d+)*%?"  # number, with decimal/thousands/date/time separators
    rf"|{_WORD}(?:[\u200c\-']{_WORD}|-\d+)*"  # word; ZWNJ or hyphen joins its parts (COVID-19)
    r"|\S"  # anything else: one character
)
TOKEN = re.compile(f"{_URL}|{_EMAIL}|{_PLAIN}")  # a URL or an e-mail address first
# TOKEN for a text with no URL and no e-mail address (no "http", "www." or "@" in it: most
# articles), where those two can never match; trying them at every word (the e-mail's [\w.+-]+
# runs over the word and back) takes a fifth of the scan.
_TOKEN_PLAIN = re.compile(_PLAIN)


def _token_re(text: str) -> re.Pattern[str]:
    """TOKEN, or the pattern that finds the same tokens in ``text`` faster."""
    if "@" in text or "http" in text or "www." in text:
        return TOKEN
    return _TOKEN_PLAIN


class Tokenizer:
    """Fills ``doc.tokens``."""

    name: ClassVar[str] = "tokens"
    requires: ClassVar[tuple[str, ...]] = ("text",)
    assigns: ClassVar[tuple[str, ...]] = ("tokens",)

    def find(self, text: str) -> list[tuple[int, int]]:
        return [m.span() for m in _token_re(text).finditer(text)]

    def __call__(self, doc: Document) -> Document:
        # The offsets as they are found: a list of them would be held beside the tokens.
        doc.tokens = doc.spans(map(re.Match.span, _token_re(doc.text).finditer(doc.text)), Token)
        return doc
