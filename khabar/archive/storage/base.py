"""The archive's storage interface: what every backend implements, and the records it takes and gives.

:class:`Storage` is what the archive talks to; :class:`~khabar.archive.storage.sqlite.SqliteStorage`
implements it in one file (WAL, foreign keys, schema migrations recorded in a table), and
``open_storage(":memory:")`` (:mod:`khabar.archive.storage.registry`) gives a throw-away archive for
tests. An article goes in as a :class:`NewArticle` (its ``Document.to_dict()`` plus the metadata its
source gave) and comes back as a :class:`StoredArticle` whose ``document`` round-trips exactly.

>>> from khabar import analyze
>>> from khabar.archive.storage import open_storage
>>> store = open_storage(":memory:")
>>> doc = analyze("وزیر امور خارجه امروز به مسکو رفت.")
>>> article_id = store.add(NewArticle.from_document(doc, content_key="k1", title="سفر وزیر"))
>>> store.get(article_id).document.to_dict() == doc.to_dict()
True
>>> store.close()
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any

from khabar.document import Document

__all__ = [
    "ORG_LABELS",
    "PERSON_LABELS",
    "PLACE_LABELS",
    "ArticleFilter",
    "Hit",
    "NewArticle",
    "Storage",
    "StoredArticle",
]

# Entity labels the facets understand; the pipeline's NER may use either spelling.
PERSON_LABELS = ("PER", "PERSON")
ORG_LABELS = ("ORG", "ORGANIZATION")
PLACE_LABELS = ("LOC", "GPE", "PLACE", "LOCATION", "FAC")


@dataclass(slots=True)
class NewArticle:
    """An analysed article ready to store: ``doc`` is ``Document.to_dict()``; the rest is metadata.

    ``analysis`` is ``"full"`` (every stage ran) or ``"restore"`` (restoration, sentences and
    tokens only; ``khabar reanalyze`` fills in the rest later).
    """

    doc: dict[str, Any]
    content_key: str
    title: str | None = None
    url: str | None = None
    published: str | None = None
    author: str | None = None
    outlet: str | None = None
    origin: str | None = None
    kind: str | None = None
    analysis: str = "full"
    title_key: str | None = None   # folded title for the index; computed when absent
    body_key: str | None = None    # folded text for the index; computed when absent
    packed: bytes | None = None    # the stored form of ``doc`` (khabar.codec.pack_doc), made by an ingest worker

    @classmethod
    def from_document(cls, doc: Document, *, content_key: str, **meta: Any) -> NewArticle:
        """Wrap an analysed :class:`Document` (``meta``: title, url, published, author, outlet, origin, kind)."""
        return cls(doc=doc.to_dict(), content_key=content_key, **meta)


@dataclass(slots=True)
class StoredArticle:
    """An article read back from the archive."""

    id: int
    doc: dict[str, Any]
    content_key: str
    title: str | None
    url: str | None
    published: str | None
    author: str | None
    outlet: str | None
    origin: str | None
    kind: str | None
    analysis: str
    story_id: int | None
    added: str

    @property
    def document(self) -> Document:
        """The stored :class:`Document` (exactly what ``to_dict`` gave when it was stored)."""
        return Document.from_dict(self.doc)

    def metadata(self) -> dict[str, Any]:
        """The article's metadata as a plain dict (for export and ``--json``)."""
        return {"id": self.id, "title": self.title, "url": self.url, "published": self.published,
                "author": self.author, "source": self.outlet, "origin": self.origin, "kind": self.kind,
                "analysis": self.analysis, "story": self.story_id, "content_key": self.content_key,
                "added": self.added}


@dataclass(frozen=True, slots=True)
class ArticleFilter:
    """Facet filters; entity ids come from :meth:`Storage.find_entities`, dates are ISO ``YYYY-MM-DD``.

    Each entity group (persons, orgs, places) is a set of alternatives for one named facet; an
    article must match every group that is given.
    """

    entity_groups: tuple[tuple[str, ...], ...] = ()
    outlet_ids: tuple[int, ...] | None = None
    since: str | None = None
    until: str | None = None
    has_quotes: bool = False
    story_id: int | None = None


@dataclass(frozen=True, slots=True)
class Hit:
    """One search result row before its snippet is made."""

    id: int
    title: str | None
    outlet: str | None
    published: str | None
    url: str | None
    raw_text: str
    text: str
    changes: list[dict[str, int]] = field(default_factory=list)


class Storage(ABC):
    """What the archive needs from a storage backend."""

    path: str

    # -- writing ------------------------------------------------------------------------------
    @abstractmethod
    def transaction(self) -> AbstractContextManager[None]:
        """All writes inside happen together or not at all (an interrupted run leaves no half article)."""

    @abstractmethod
    def add(self, article: NewArticle) -> int | None:
        """Store one article; its id, or ``None`` when its URL or content key is already stored."""

    @abstractmethod
    def replace_analysis(self, article_id: int, doc: dict[str, Any], analysis: str = "full") -> None:
        """Store a new analysis of an article's raw text (``khabar reanalyze``)."""

    @abstractmethod
    def set_stories(self, clusters: Mapping[int, Sequence[int]] | Iterable[Sequence[int]]) -> int:
        """Replace the story clusters (story id → article ids); returns how many have several articles."""

    @abstractmethod
    def unclustered(self) -> int:
        """How many articles have no story yet."""

    @abstractmethod
    def story_items(self) -> Iterator[dict[str, Any]]:
        """``{id, text, published, entities}`` of every article, oldest first."""

    # -- reading ------------------------------------------------------------------------------
    @abstractmethod
    def has_url(self, url: str) -> bool: ...

    @abstractmethod
    def has_content(self, content_key: str) -> bool: ...

    @abstractmethod
    def get(self, article_id: int) -> StoredArticle:
        """The article with this id; :class:`~khabar.errors.NotFoundError` when there is none."""

    @abstractmethod
    def iter_articles(self, *, analysis: str | None = None, batch: int = 500) -> Iterator[StoredArticle]:
        """Every article in id order (optionally only those with this ``analysis`` level)."""

    @abstractmethod
    def count(self) -> int: ...

    @abstractmethod
    def stats(self) -> dict[str, int]:
        """Row counts of the main tables."""

    @abstractmethod
    def find_entities(self, name_key: str, labels: Sequence[str] | None = None) -> list[dict[str, Any]]:
        """Entities whose folded name or alias contains the folded ``name_key`` as whole words."""

    @abstractmethod
    def find_outlets(self, name_key: str) -> list[int]: ...

    @abstractmethod
    def co_occurring(self, entity_ids: Sequence[str], candidates: Sequence[str]) -> list[str]:
        """The candidates mentioned in at least one article together with one of ``entity_ids``."""

    @abstractmethod
    def entity_article_counts(self, entity_ids: Sequence[str]) -> dict[str, int]:
        """How many articles mention each entity."""

    @abstractmethod
    def search(self, fts: str | None, filt: ArticleFilter, *, limit: int, offset: int = 0,
               order: str = "newest", estimate: int | None = None) -> list[Hit]:
        """Articles matching an FTS5 expression (already escaped) and the filters, ``newest``,
        ``oldest`` or by ``relevance``; ``estimate`` (how many articles the text matches, at most)
        helps choose between the text index and a facet to drive the query."""

    @abstractmethod
    def estimate_matches(self, fts: str) -> int:
        """About how many articles match an FTS5 expression (cheap; guides the query plan)."""

    @abstractmethod
    def count_matches(self, fts: str | None, filt: ArticleFilter, *, cap: int = 10_000) -> int: ...

    @abstractmethod
    def facet_counts(self, fts: str | None, filt: ArticleFilter, *, top: int = 5,
                     sample: int = 5000) -> dict[str, list[tuple[str, int]]]:
        """The most frequent persons, organizations, places and outlets among matching articles."""

    @abstractmethod
    def statements(self, entity_ids: Sequence[str], about_key: str | None = None,
                   *, limit: int = 50) -> list[dict[str, Any]]: ...

    @abstractmethod
    def person(self, entity_ids: Sequence[str], *, limit: int = 20) -> dict[str, Any]:
        """Titles, articles, statements, meetings and co-mentioned entities of one identity."""

    @abstractmethod
    def stories(self, *, limit: int = 20, min_size: int = 2) -> list[dict[str, Any]]: ...

    @abstractmethod
    def close(self) -> None: ...

    def __enter__(self) -> Storage:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
