"""Keys computed before storage: the search key and the content key.

The search key is the one text both the index and the queries are built from: the restored text
(:func:`khabar.restore`: letters, digits, spacing, ZWNJs), then folded (:func:`khabar.text.fold.fold`),
so ``می کند``, ``میکند``, ``می‌کند`` and ``ميكند`` meet. The content key is a hash of the search key:
one key for every spelling variant of a text, which is how an archive stores a text once.
Storage never computes these (it never runs the restorer); the archive does, and hands them over.

>>> search_key("می کند") == search_key("ميكند") == search_key("می‌کند")
True
>>> content_key("مي‌كند ۱۲") == content_key("میکند 12")
True
"""

from __future__ import annotations

import hashlib
import re

from khabar.pipeline import restore
from khabar.text.fold import fold

__all__ = ["content_key", "folded_key", "query_tokens", "search_key"]

# A word of the restored text, as the index sees it: letters/digits with the marks and joiners
# that folding removes, so one text word folds to one index token.
_WORD = re.compile(r"[\w\u064b-\u065f\u0670\u0640\u200c\u200d\u00ad]+")


def search_key(text: str) -> str:
    """``fold(restore(text))``: the key both the archive index and queries are built from."""
    return fold(restore(text))


def folded_key(search_key_text: str) -> str:
    """:func:`content_key` from an already computed search key (the ingest run has it anyway)."""
    return hashlib.sha256(search_key_text.encode("utf-8")).hexdigest()


def content_key(text: str) -> str:
    """Hex SHA-256 of :func:`search_key` of ``text``: one key for every spelling variant."""
    return folded_key(search_key(text))


def query_tokens(text: str) -> list[str]:
    """Index tokens of query text: folded like the index, split where the full-text tokenizers split.

    >>> query_tokens("می کند، كتاب*")
    ['میکند', 'کتاب']
    """
    key = search_key(text.replace("*", " "))
    return [w for w in (m.group() for m in _WORD.finditer(key)) if w.replace("_", "")]
