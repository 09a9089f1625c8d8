"""Sentence segmentation on the restored text.

A sentence ends at ``.``, ``!``, ``?``, ``؟`` or ``…`` followed by space (closing quotes and
brackets stay with it), and at every line break; a dot between digits (``۳.۵``) or inside a
Latin abbreviation or URL does not end one.

>>> from khabar.document import Document
>>> doc = SentenceSplitter()(Document.from_raw("او گفت: «می‌آیم.» سپس رفت. پایان"))
>>> [s.text for s in doc.sentences]
['او گفت: «می\u200cآیم.»', 'سپس رفت.', 'پایان']
"""

from __future__ import annotations

import re
from typing import ClassVar

from khabar.document import Document

# A sentence: anything up to terminal punctuation (plus closing quotes/brackets) before a space or
# the end, or up to a line break. `[^\S\n]` is whitespace other than a line break. (The lookahead
# for a terminal mark, implied by what follows it, fails at most characters before the lookbehind
# is tried: a fifth less time.)
_SENTENCE = re.compile(
    r"[^\s](?:[^\n]*?)"
    r"(?:(?=[.!?؟…])(?<![A-Za-z]\.[A-Za-z])[.!?؟…]+[»\"'”)\]]*(?=[^\S\n]|$)|(?=\s*\n)|$)",
    re.M,
)


class SentenceSplitter:
    """Fills ``doc.sentences``."""

    name: ClassVar[str] = "sentences"
    requires: ClassVar[tuple[str, ...]] = ("text",)
    assigns: ClassVar[tuple[str, ...]] = ("sentences",)

    def find(self, text: str) -> list[tuple[int, int]]:
        out = []
        for m in _SENTENCE.finditer(text):
            start, end = m.start(), m.end()
            while end > start and text[end - 1].isspace():
                end -= 1
            if end > start:
                out.append((start, end))
        return out

    def __call__(self, doc: Document) -> Document:
        doc.sentences = [doc.span(s, e) for s, e in self.find(doc.text)]
        return doc
