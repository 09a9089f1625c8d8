"""The full-text index: date-ordered keys, and the rows it holds.

``articles_fts`` indexes the folded search key of title and text (:func:`khabar.text.fold.fold` of
what the archive computed before storage); its tokenizer is ``unicode61`` with
``remove_diacritics 0`` so it does not undo or redo the folding. The index is contentless: snippets
are made from the stored text instead.

Index rowids are date-ordered keys (:func:`fts_key`: publication day, then article id), and the facet
table ``article_entities`` is keyed the same way, so "newest first" and date ranges are read straight
off the indexes and a search stops after the rows it shows.
"""

from __future__ import annotations

import datetime as _dt
import sqlite3

from khabar.archive.query import And, Node, Not, Or, Term
from khabar.text.fold import fold

__all__ = ["DAY_SHIFT", "SAMPLE", "day_key", "fts_key", "index", "title_key_of", "to_match", "unindex"]

DAY_SHIFT = 32  # fts_key = (day ordinal << 32) | article id
# Text matches are estimated by counting them among the newest this-many articles.
SAMPLE = 5000


def fts_key(article_id: int, published: str | None) -> int:
    """The article's rowid in the full-text index: its publication day, then its id.

    >>> fts_key(7, "2025-08-09T10:00:00") >> DAY_SHIFT == __import__("datetime").date(2025, 8, 9).toordinal()
    True
    >>> fts_key(7, None)
    7
    """
    return (_day(published) << DAY_SHIFT) | article_id


def _day(published: str | None) -> int:
    """Day ordinal of an ISO date (0 when unknown, so undated articles sort last and match no range)."""
    if not published:
        return 0
    try:
        return _dt.date.fromisoformat(published[:10]).toordinal()
    except ValueError:
        return 0


def day_key(iso_day: str) -> int:
    """The smallest :func:`fts_key` of a day (for date-range bounds)."""
    return _dt.date.fromisoformat(iso_day).toordinal() << DAY_SHIFT


def index(db: sqlite3.Connection, key: int, title_key: str, body_key: str) -> None:
    """Add an article's folded title and text to the index under ``key``."""
    db.execute("INSERT INTO articles_fts (rowid, title, body) VALUES (?, ?, ?)", (key, title_key, body_key))


def unindex(db: sqlite3.Connection, key: int, title_key: str, body_key: str) -> None:
    """Remove what :func:`index` added (a contentless index needs the same values back)."""
    db.execute("INSERT INTO articles_fts (articles_fts, rowid, title, body) VALUES ('delete', ?, ?, ?)",
               (key, title_key, body_key))


def title_key_of(title: str | None) -> str:
    """The index key of a stored title when the archive gave none: titles are stored restored, so
    folding is all that is left to do (storage never runs the restorer).

    >>> title_key_of("سفر وزیر به مسكو")
    'سفر وزیر به مسکو'
    """
    return fold(title) if title else ""


def to_match(node: Node) -> str:
    """The FTS5 ``MATCH`` expression of a query tree, every token quoted (so nothing a user typed is
    run as FTS syntax).

    >>> to_match(And((Term(("بانک", "مرکزی")), Not(Term(("تورم",), prefix=True)))))
    '"بانک مرکزی" NOT "تورم"*'
    """
    if isinstance(node, Term):
        quoted = '"' + " ".join(node.tokens).replace('"', '""') + '"'
        return quoted + "*" if node.prefix else quoted
    if isinstance(node, And):
        pos = [c for c in node.children if not isinstance(c, Not)]
        neg = [c.child for c in node.children if isinstance(c, Not)]
        out = " AND ".join(_group(c) for c in pos)
        if neg:
            out = (f"({out})" if len(pos) > 1 else out) + "".join(f" NOT {_group(c)}" for c in neg)
        return out
    if isinstance(node, Or):
        return " OR ".join(_group(c) for c in node.children)
    raise ValueError("a NOT stands only beside words to exclude from (validate the tree first)")


def _group(node: Node) -> str:
    text = to_match(node)
    return f"({text})" if isinstance(node, (And, Or)) and len(node.children) > 1 else text
