"""Plain text files: one file is one article.

>>> [a.text for a in read_text("\\n  خبر فوری: زلزله در کرمان  \\n", "a.txt")]
['خبر فوری: زلزله در کرمان']
>>> [f.reason for f in read_text(" \\n\\t", "b.txt")]
['empty: no text in it']
>>> [f.reason for f in read_text("body { color: red; }", "style.txt")]
['no Persian or Arabic-script text in it (khabar reads Persian news)']
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from khabar.ingest import Failure, RawArticle

_PERSIAN = re.compile("[\u0600-\u06ff\ufb50-\ufdff\ufe70-\ufeff]")


def read_text(text: str, origin: str) -> Iterator[RawArticle | Failure]:
    """The whole decoded text, stripped, as one article (an empty one is a :class:`Failure`)."""
    from khabar.ingest import Failure, RawArticle

    text = text.strip()
    if not text:
        yield Failure(origin, "empty: no text in it")
        return
    if not _PERSIAN.search(text):
        # A stylesheet, a script or English notes in the folder: not a Persian article.
        yield Failure(origin, "no Persian or Arabic-script text in it (khabar reads Persian news)")
        return
    yield RawArticle(text=text, origin=origin, kind="text")
