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

from khabar.pipeline import restore
from khabar.text.fold import fold

__all__ = ["content_key", "folded_key", "search_key"]


def search_key(text: str) -> str:
    """``fold(restore(text))``: the key both the archive index and queries are built from."""
    return fold(restore(text))


def folded_key(search_key_text: str) -> str:
    """:func:`content_key` from an already computed search key (the ingest run has it anyway)."""
    return hashlib.sha256(search_key_text.encode("utf-8")).hexdigest()


def content_key(text: str) -> str:
    """Hex SHA-256 of :func:`search_key` of ``text``: one key for every spelling variant."""
    return folded_key(search_key(text))
