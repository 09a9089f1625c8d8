"""The query tree: what the archive builds from a search and every backend compiles.

A text query is a tree of :class:`Term` (folded index tokens in order: a word, a phrase, or with
``prefix`` a prefix), :class:`And`, :class:`Or` and :class:`Not`; :func:`khabar.archive.parser.parse_query`
builds it from what a user types. A backend compiles it to its own full-text syntax (SQLite: an FTS5
``MATCH`` expression; PostgreSQL: a ``tsquery``), quoting every token, so nothing a user types is
ever run as syntax. :class:`Filters` are the facets with names already resolved to ids, and
:class:`SearchQuery` is one request: tree, filters, order, how many, and a keyset position.

:class:`Cursor` is the position after a page, as an opaque token a client sends back: it says
where the page ended (the sort key of its last article, and for relevance its score) and which
search it belongs to, and it is checked when read, so a damaged or foreign token is refused with a
clear error instead of giving a wrong page.

>>> tree = And((Term(("بانک", "مرکزی")), Not(Term(("تورم",)))))
>>> validate(tree) is tree
True
>>> c = Cursor("newest", 123, fingerprint="f")
>>> Cursor.decode(c.encode(), fingerprint="f") == c
True
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from khabar.errors import InvalidInput

__all__ = [
    "FACET_CAP",
    "RANK_CHARS",
    "RANK_WINDOW",
    "SCAN_BUDGET",
    "And",
    "Cursor",
    "Filters",
    "Node",
    "Not",
    "Or",
    "ParsedQuery",
    "SearchQuery",
    "Sort",
    "Term",
    "rank_window",
    "terms_of",
    "validate",
]

Sort = Literal["newest", "oldest", "relevance"]
SORTS = ("newest", "oldest", "relevance")

# `relevance` ranks the newest this-many matches, so a broad query costs about the same at 1M
# articles as at 10k; narrower queries are ranked in full. With a facet, the window shrinks so that
# finding it scans at most SCAN_BUDGET text matches. Facet sizes are counted up to FACET_CAP (a larger
# facet only makes scanning the text index cheaper).
RANK_WINDOW = 300
SCAN_BUDGET = 10_000
FACET_CAP = 20_000
# Ranking reads the first this-many characters of each text (the lead of a long article).
RANK_CHARS = 2000


def rank_window(need: int, facet_size: int | None, articles: int) -> int:
    """How many of the newest matches a relevance search ranks: ``RANK_WINDOW``, fewer when its
    smallest facet (``facet_size`` articles, counted up to ``FACET_CAP``) is a small part of the
    ``articles`` stored, never fewer than the ``need`` shown. The same on every backend.

    >>> rank_window(10, None, 1_000_000), rank_window(10, 20_000, 1_000_000), rank_window(10, 50, 1_000_000)
    (300, 200, 10)
    """
    if facet_size is None:
        return max(need, RANK_WINDOW)
    return max(need, min(RANK_WINDOW, SCAN_BUDGET * max(1, facet_size) // max(1, articles)))


@dataclass(frozen=True, slots=True)
class Term:
    """Folded index tokens that must appear in this order (one token: a word; several: a phrase)."""

    tokens: tuple[str, ...]
    prefix: bool = False


@dataclass(frozen=True, slots=True)
class Not:
    """Articles without ``child``; only inside an :class:`And` that has something to exclude from."""

    child: Node


@dataclass(frozen=True, slots=True)
class And:
    children: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Or:
    children: tuple[Node, ...]


Node = Term | Not | And | Or

_NOT_ALONE = "NOT needs words to exclude from, e.g. «تورم NOT بورس»"


def validate(node: Node) -> Node:
    """``node`` if every backend can search it; :class:`InvalidInput` saying why not otherwise.

    A ``NOT`` must stand beside something to exclude from (``تورم NOT بورس``), and not directly
    under an ``OR`` (``A OR NOT B`` would match almost everything).
    """
    if isinstance(node, Not):
        raise InvalidInput(_NOT_ALONE)
    _check(node)
    return node


def _check(node: Node) -> None:
    if isinstance(node, And):
        if all(isinstance(c, Not) for c in node.children):
            raise InvalidInput(_NOT_ALONE)
        for c in node.children:
            _check(c.child if isinstance(c, Not) else c)
    elif isinstance(node, Or):
        if any(isinstance(c, Not) for c in node.children):
            raise InvalidInput("OR NOT … cannot be searched; write «A NOT B» or «(A OR B) NOT C»")
        for c in node.children:
            _check(c)
    elif isinstance(node, Not):
        raise InvalidInput(_NOT_ALONE)


def terms_of(node: Node | None, *, positive: bool = False) -> Iterator[Term]:
    """Every term of a tree, in order (``positive``: leaving out those under a NOT).

    >>> [t.tokens for t in terms_of(And((Term(("الف",)), Not(Term(("ب",))))), positive=True)]
    [('الف',)]
    """
    if node is None:
        return
    if isinstance(node, Term):
        yield node
    elif isinstance(node, Not):
        if not positive:
            yield from terms_of(node.child)
    else:
        for c in node.children:
            yield from terms_of(c, positive=positive)


@dataclass(frozen=True, slots=True)
class ParsedQuery:
    """A parsed text query: what was typed, its tree (``None`` for an empty query) and the terms to highlight."""

    text: str
    root: Node | None
    terms: tuple[Term, ...] = ()


@dataclass(frozen=True, slots=True)
class Filters:
    """Facet filters with names resolved: entity ids, outlet ids, ISO dates (``until`` exclusive).

    Each entity group (persons, organizations, places) is a set of alternatives for one named facet;
    an article must match every group that is given.
    """

    entity_groups: tuple[tuple[str, ...], ...] = ()
    outlet_ids: tuple[int, ...] | None = None
    since: str | None = None
    until: str | None = None
    has_quotes: bool = False
    story_id: int | None = None
    ids: tuple[int, ...] | None = None   # only these articles (a saved search matched against new articles)

    def fingerprint(self) -> str:
        return repr((self.entity_groups, self.outlet_ids, self.since, self.until, self.has_quotes, self.story_id,
                     self.ids))


@dataclass(frozen=True, slots=True)
class SearchQuery:
    """One request to a backend: the text tree, filters, order, at most ``limit`` matches, and for
    keyset paging the sort key to continue after (``newest``: keys below it; ``oldest``: above)."""

    text: Node | None = None
    filters: Filters = field(default_factory=Filters)
    sort: Literal["newest", "oldest"] = "newest"
    limit: int = 20
    after: int | None = None
    # A relevance window: the newest :func:`rank_window` matches (at least ``limit``), for the archive to rank.
    rank_window: bool = False


@dataclass(frozen=True, slots=True)
class Cursor:
    """Where a page of results ended: the sort key of its last article (and its relevance score while
    paging through the ranked window), for the search with ``fingerprint``; and how many matched
    (``total``, counted up to ``cap``) when the first page counted them, so the next pages need not
    count again."""

    sort: str
    key: int
    score: float | None = None
    fingerprint: str = ""
    total: int | None = None
    cap: int | None = None

    _VERSION = 1

    def encode(self) -> str:
        fields: list[Any] = [self._VERSION, self.sort, self.key, self.score, self.fingerprint[:16]]
        if self.total is not None:
            fields += [self.total, self.cap]
        body = json.dumps(fields, separators=(",", ":")).encode()
        token = base64.urlsafe_b64encode(body).decode().rstrip("=")
        return f"{token}.{_check_digits(body)}"

    @classmethod
    def decode(cls, token: str, *, fingerprint: str, sort: str | None = None) -> Cursor:
        """The cursor in ``token``; :class:`InvalidInput` when it is damaged, made by another search
        (``fingerprint``) or another order (``sort``)."""
        bad = InvalidInput("the cursor is not one this archive gave (damaged or cut short): start again without it")
        if not isinstance(token, str) or len(token) > 512 or token.count(".") != 1:
            raise bad
        data, check = token.split(".")
        try:
            body = base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))
            fields = json.loads(body)
            if not isinstance(fields, list) or len(fields) not in (5, 7):
                raise ValueError("fields")
            version, cur_sort, key, score, fp = fields[:5]
            total, cap = fields[5:] if len(fields) == 7 else (None, None)
        except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
            raise bad from None
        if check != _check_digits(body) or version != cls._VERSION:
            raise bad
        if (not _is_int(key) or cur_sort not in SORTS
                or not (score is None or isinstance(score, (int, float))) or not isinstance(fp, str)
                or not (total is None or (_is_int(total) and _is_int(cap) and 0 <= total <= cap))):
            raise bad
        if fp != fingerprint[:16] or (sort is not None and cur_sort != sort):
            raise InvalidInput("the cursor belongs to another search (other words, filters or order): "
                               "start again without it")
        return cls(cur_sort, key, None if score is None else float(score), fingerprint, total, cap)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_digits(body: bytes) -> str:
    return hashlib.sha256(b"khabar-cursor:" + body).hexdigest()[:10]


def fingerprint(query_text: str, filters: Filters, sort: str) -> str:
    """A short hash naming one search, so a cursor is only accepted by the search that gave it."""
    return hashlib.sha256(f"{query_text}\x00{filters.fingerprint()}\x00{sort}".encode()).hexdigest()[:16]
