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
TOKEN = re.compile(
    r"(?:https?://|www\.)[^\s«»\"<>]+[^\s«»\"<>.,،؛:!?؟)\]]"  # URL
    r"|[\w.+-]+@[\w-]+(?:\.[\w-]+)+"  # e-mail
    r"|\d+(?:[.,٫٬/:]\d+)*%?"  # number, with decimal/thousands/date/time separators
    rf"|{_WORD}(?:[\u200c\-']{_WORD}|-\d+)*"  # word; ZWNJ or hyphen joins its parts (COVID-19)
    r"|\S",  # anything else: one character
)


class Tokenizer:
    """Fills ``doc.tokens``."""

    name: ClassVar[str] = "tokens"
    requires: ClassVar[tuple[str, ...]] = ("text",)
    assigns: ClassVar[tuple[str, ...]] = ("tokens",)

    def find(self, text: str) -> list[tuple[int, int]]:
        return [m.span() for m in TOKEN.finditer(text)]

    def __call__(self, doc: Document) -> Document:
        # The offsets as they are found: a list of them would be held beside the tokens.
        doc.tokens = doc.spans(map(re.Match.span, TOKEN.finditer(doc.text)), Token)
        return doc
