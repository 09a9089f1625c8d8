"""The archive's typed records and results.

Records cross the storage seam (:class:`NewArticle` in, :class:`StoredArticle` and the rest out);
results are what :class:`khabar.archive.Archive` returns, and each result's ``to_dict()`` is exactly
the JSON that ``khabar … --json`` prints and that the REST API serves. Nothing here imports the
pipeline or a backend, so every layer may use these.

>>> Total(10_000, "gte").to_dict()
{'value': 10000, 'relation': 'gte'}
>>> Snippet("…بانک مرکزی نرخ…", ((1, 5),)).marked()
'…«بانک» مرکزی نرخ…'
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from khabar.document import Document

__all__ = [
    "ITEM_STATES",
    "ORG_LABELS",
    "PERSON_LABELS",
    "PLACE_LABELS",
    "Alert",
    "AlertMatch",
    "Article",
    "ArticleLinks",
    "ArticleRef",
    "CheckReport",
    "CoMention",
    "Count",
    "EntityMatch",
    "EntityProfile",
    "EntityRecord",
    "FacetValue",
    "FeedState",
    "HitRecord",
    "IdentityChange",
    "IdentityDelta",
    "IdentityRecord",
    "ItemRecord",
    "Match",
    "Meeting",
    "NameUse",
    "NewArticle",
    "Reanalysis",
    "RoleLink",
    "SearchHit",
    "SearchPage",
    "Snippet",
    "SourceStats",
    "Statement",
    "StoredArticle",
    "Story",
    "StoryItem",
    "Total",
]

# Entity labels the facets understand; the pipeline's NER may use either spelling.
PERSON_LABELS = ("PER", "PERSON")
ORG_LABELS = ("ORG", "ORGANIZATION")
PLACE_LABELS = ("LOC", "GPE", "PLACE", "LOCATION", "FAC")
FACET_LABELS = {"person": PERSON_LABELS, "org": ORG_LABELS, "place": PLACE_LABELS}


# -- records that cross the storage seam ----------------------------------------------------------

@dataclass(frozen=True, slots=True)
class RoleLink:
    """A bare role in an article (``رئیس‌جمهور``) and the identity it was resolved to: ``identity``
    is an archive identity id, or ``""`` where no one could be named (the role then stays in its
    article). ``office`` is the key of the office it names (:func:`khabar.archive.roles.office_key`);
    ``entity`` the article's role entity (a meeting participant ``role:…``) it stands for, if any."""

    start: int
    end: int
    raw_start: int | None
    raw_end: int | None
    text: str
    office: str
    identity: str
    reason: str
    speaker: bool = False
    entity: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "start": self.start, "end": self.end, "raw_start": self.raw_start,
                "raw_end": self.raw_end, "office": self.office, "identity": self.identity or None,
                "reason": self.reason, "speaker": self.speaker}


@dataclass(slots=True)
class ArticleLinks:
    """The archive identities of one article's entities, decided by the archive
    (:class:`khabar.archive.identities.IdentityResolver`) and written by the storage with the article.

    ``ids`` maps each local entity id (the Document's) to an identity id (``""``: the article's own,
    a role no one could be named for); ``new`` lists identities first seen here as (id, name, label);
    ``names`` rows (identity id, kind ``form``/``title``/``honorific``, key, text) are what this
    article tells of each identity; ``keys`` (key, identity id) are how later articles find it.
    """

    ids: dict[str, str] = field(default_factory=dict)
    reasons: dict[str, str] = field(default_factory=dict)
    new: list[tuple[str, str, str]] = field(default_factory=list)
    names: list[tuple[str, str, str, str]] = field(default_factory=list)
    keys: list[tuple[str, str]] = field(default_factory=list)
    roles: list[RoleLink] = field(default_factory=list)
    published: str | None = None


@dataclass(frozen=True, slots=True)
class IdentityDelta:
    """What the articles stored after a given article id told of identities (for a resolver that
    keeps what it read across batches while other workers write): ``last``, the newest article id
    they go up to; ``names`` (article id, identity, kind, key, published), ``mentions`` (article id,
    identity), ``outlets`` (article id, identity, outlet name) and ``keys`` (lookup key, identity)
    of the identities they named."""

    last: int
    names: list[tuple[int, str, str, str, str | None]]
    mentions: list[tuple[int, str]]
    outlets: list[tuple[int, str, str]]
    keys: list[tuple[str, str]]


@dataclass(slots=True)
class IdentityRecord:
    """What the archive knows of one identity, for linking: its forms (folded name key → articles),
    titles (office key → first date, last date, articles), honorifics and outlets."""

    id: str
    label: str
    name: str
    articles: int
    forms: dict[str, int]
    titles: dict[str, tuple[str | None, str | None, int]]
    honorifics: tuple[str, ...]
    outlets: tuple[str, ...]


@dataclass(slots=True)
class NewArticle:
    """An analysed article ready to store: ``doc`` is ``Document.to_dict()``; the rest is metadata.

    ``analysis`` is ``"full"`` (every stage ran) or ``"restore"`` (restoration, sentences and
    tokens only; ``khabar reanalyze`` fills in the rest later). The keys are computed by the archive
    before storage (:mod:`khabar.archive.keys`); a backend given none folds the stored texts.
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
    title_key: str | None = None   # folded title for the index
    body_key: str | None = None    # folded text for the index
    packed: bytes | None = None    # the stored form of ``doc`` (khabar.codec.pack_doc), made by an ingest worker
    id: int | None = None          # the id to give it, when free (copying between archives keeps ids)
    added: str | None = None       # when it entered the archive (ISO); None: now (a copy keeps the original's)
    identity: dict[str, Any] | None = None  # its roles and titles for linking (khabar.archive.identities.features)
    links: ArticleLinks | None = None  # the archive identities of its entities; None: each entity id is its own

    @classmethod
    def from_document(cls, doc: Document, *, content_key: str, **meta: Any) -> NewArticle:
        """Wrap an analysed :class:`Document` (``meta``: title, url, published, author, outlet, origin, kind)."""
        return cls(doc=doc.to_dict(), content_key=content_key, **meta)


@dataclass(frozen=True, slots=True)
class Reanalysis:
    """A new analysis of a stored article's raw text (``khabar reanalyze``)."""

    id: int
    doc: dict[str, Any]
    analysis: str = "full"
    links: ArticleLinks | None = None  # the archive identities of its entities (as for a NewArticle)


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
class Match:
    """One search match: the article id and its sort key (publication day, then id)."""

    id: int
    key: int


@dataclass(frozen=True, slots=True)
class HitRecord:
    """What a search result is made from: metadata, both texts, and the changes between them."""

    id: int
    title: str | None
    outlet: str | None
    published: str | None
    url: str | None
    raw_text: str
    text: str
    changes: list[dict[str, int]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class EntityRecord:
    """An identity as stored: its id, canonical name, label, and every alias and title seen."""

    id: str
    name: str
    label: str
    aliases: tuple[str, ...] = ()
    titles: tuple[str, ...] = ()
    articles: int | None = None   # how many articles mention it, when asked for

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "name": self.name, "label": self.label, "aliases": list(self.aliases),
                               "titles": list(self.titles)}
        if self.articles is not None:
            out["articles"] = self.articles
        return out


@dataclass(frozen=True, slots=True)
class StoryItem:
    """What story clustering reads of an article."""

    id: int
    text: str
    published: str | None
    title: str
    entities: tuple[str, ...]
    story_id: int | None = None


# -- results ----------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Snippet:
    """A piece of an article's original text; ``highlights`` are ``(start, end)`` offsets into it."""

    text: str
    highlights: tuple[tuple[int, int], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "highlights": [list(h) for h in self.highlights]}

    def marked(self, left: str = "«", right: str = "»") -> str:
        """The text with each highlight wrapped in ``left``/``right``."""
        out, pos = [], 0
        for s, e in self.highlights:
            out += [self.text[pos:s], left, self.text[s:e], right]
            pos = e
        out.append(self.text[pos:])
        return "".join(out)


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One article found."""

    id: int
    title: str | None
    source: str | None
    published: str | None
    url: str | None
    snippet: Snippet

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "source": self.source, "published": self.published,
                "url": self.url, "snippet": self.snippet.to_dict()}

    def marked(self, left: str = "«", right: str = "»") -> str:
        return self.snippet.marked(left, right)


@dataclass(frozen=True, slots=True)
class Total:
    """How many articles match: exactly (``eq``), or at least (``gte``) when counting stopped at a cap."""

    value: int
    relation: Literal["eq", "gte"] = "eq"

    def to_dict(self) -> dict[str, Any]:
        return {"value": self.value, "relation": self.relation}


@dataclass(frozen=True, slots=True)
class FacetValue:
    """One value of a facet among the matching articles: ``value`` filters by it, ``label`` shows it."""

    value: str
    label: str
    count: int
    selected: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"value": self.value, "label": self.label, "count": self.count, "selected": self.selected}


@dataclass(slots=True)
class SearchPage:
    """One page of search results; ``next_cursor`` resumes after it (``None`` on the last page)."""

    query: str
    results: list[SearchHit]
    total: Total | None = None
    facets: dict[str, list[FacetValue]] = field(default_factory=dict)
    next_cursor: str | None = None
    notes: list[str] = field(default_factory=list)   # why a filter matched nothing

    def __iter__(self) -> Iterator[SearchHit]:
        return iter(self.results)

    def __len__(self) -> int:
        return len(self.results)

    def to_dict(self) -> dict[str, Any]:
        return {"query": self.query, "total": self.total.to_dict() if self.total else None,
                "results": [r.to_dict() for r in self.results],
                "facets": {k: [v.to_dict() for v in vs] for k, vs in self.facets.items()},
                "next_cursor": self.next_cursor, "notes": list(self.notes)}


@dataclass(frozen=True, slots=True)
class Article:
    """A stored article: its metadata and its :class:`Document`."""

    stored: StoredArticle

    @property
    def id(self) -> int:
        return self.stored.id

    @property
    def document(self) -> Document:
        return self.stored.document

    def metadata(self) -> dict[str, Any]:
        return self.stored.metadata()

    def to_dict(self) -> dict[str, Any]:
        """``Document.to_dict()`` with one more key, ``article``: the metadata (what export writes)."""
        return {**self.stored.doc, "article": self.stored.metadata()}


@dataclass(frozen=True, slots=True)
class ArticleRef:
    """An article in a list: id, title, date, outlet and the start of its text."""

    id: int
    title: str | None
    published: str | None
    source: str | None
    lead: str

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "published": self.published, "source": self.source,
                "lead": self.lead}


@dataclass(frozen=True, slots=True)
class Statement:
    """A quote attributed to someone: what was said, by whom (as written), in which article."""

    article: int
    title: str | None
    published: str | None
    source: str | None
    speaker: str | None
    cue: str | None
    content: str
    kind: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"article": self.article, "title": self.title, "published": self.published, "source": self.source,
                "speaker": self.speaker, "cue": self.cue, "content": self.content, "kind": self.kind}


@dataclass(frozen=True, slots=True)
class Meeting:
    """A meeting an entity took part in, with whom and where."""

    event: int
    article: int
    type: str
    trigger: str | None
    date: str | None
    with_: str
    place: str | None
    title: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"event": self.event, "article": self.article, "type": self.type, "trigger": self.trigger,
                "date": self.date, "with": self.with_, "place": self.place, "title": self.title}


@dataclass(frozen=True, slots=True)
class CoMention:
    """An entity mentioned in the same articles, and in how many."""

    id: str
    name: str
    label: str
    articles: int

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "label": self.label, "articles": self.articles}


@dataclass(frozen=True, slots=True)
class EntityMatch:
    """An identity a name matched, and whether it was taken as the one asked for."""

    id: str
    name: str
    label: str
    chosen: bool

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "label": self.label, "chosen": self.chosen}


@dataclass(frozen=True, slots=True)
class NameUse:
    """A form or a title of an identity: as written, the first and last days an article gave it,
    and in how many articles."""

    text: str
    first: str | None
    last: str | None
    articles: int

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "first": self.first, "last": self.last, "articles": self.articles}


@dataclass(frozen=True, slots=True)
class IdentityChange:
    """A merge or split of identities, kept so it can be undone: ``identity`` is the one kept (or
    split), ``other`` the one merged into it (or split off)."""

    id: int
    at: str
    action: str
    identity: str
    other: str | None
    reason: str | None
    undone: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "at": self.at, "action": self.action, "identity": self.identity,
                "other": self.other, "reason": self.reason, "undone": self.undone}


@dataclass(slots=True)
class EntityProfile:
    """What the archive knows about one identity (or a name's identities taken together)."""

    ids: list[str]
    name: str
    label: str
    aliases: list[str]
    titles: list[str]
    article_count: int
    articles: list[ArticleRef]
    statements: list[Statement]
    meetings: list[Meeting]
    co_mentioned: list[CoMention]
    matches: list[EntityMatch] = field(default_factory=list)
    # Every form and title with the days it was first and last written, and the identity's merges
    # and splits (what the archive has decided about it, and why).
    forms: list[NameUse] = field(default_factory=list)
    title_history: list[NameUse] = field(default_factory=list)
    history: list[IdentityChange] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"ids": list(self.ids), "name": self.name, "label": self.label, "aliases": list(self.aliases),
                "titles": list(self.titles), "article_count": self.article_count,
                "articles": [a.to_dict() for a in self.articles],
                "statements": [s.to_dict() for s in self.statements],
                "meetings": [m.to_dict() for m in self.meetings],
                "co_mentioned": [c.to_dict() for c in self.co_mentioned],
                "matches": [m.to_dict() for m in self.matches],
                "forms": [f.to_dict() for f in self.forms],
                "title_history": [t.to_dict() for t in self.title_history],
                "history": [h.to_dict() for h in self.history]}


@dataclass(frozen=True, slots=True)
class Story:
    """Articles about one event, from any outlet."""

    id: int
    title: str | None
    size: int
    outlets: int
    first_published: str | None
    last_published: str | None
    articles: tuple[ArticleRef, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "size": self.size, "outlets": self.outlets,
                "first_published": self.first_published, "last_published": self.last_published,
                "articles": [a.to_dict() for a in self.articles]}


@dataclass(frozen=True, slots=True)
class SourceStats:
    """One outlet: how many articles, and the first and last publication dates."""

    name: str
    articles: int
    first_published: str | None
    last_published: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "articles": self.articles, "first_published": self.first_published,
                "last_published": self.last_published}


@dataclass(frozen=True, slots=True)
class Count:
    """Matching articles in one interval (``date``: its first day), of ``total`` published then
    (``None`` when the totals were not asked for: then ``to_dict`` has neither total nor ratio)."""

    date: str
    count: int
    total: int | None

    @property
    def ratio(self) -> float:
        return self.count / self.total if self.total else 0.0

    def to_dict(self) -> dict[str, Any]:
        if self.total is None:
            return {"date": self.date, "count": self.count}
        return {"date": self.date, "count": self.count, "total": self.total, "ratio": round(self.ratio, 6)}


# -- following outlets: feeds, the items they listed, saved searches and their matches ------------

@dataclass(slots=True)
class FeedState:
    """What is known about one watched feed; kept between runs. Times are Unix seconds."""

    url: str
    title: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    last_poll: float | None = None
    last_status: str | None = None     # "new", "unchanged", "not-modified", "failed"
    last_error: str | None = None      # the current problem, while ``failures`` > 0
    error_kind: str | None = None      # its kind (``http-500``, ``timeout``, ``feed``…): one log line per kind
    failures: int = 0                  # consecutive failed polls
    next_poll: float = 0.0
    last_new: float | None = None      # when an item last gave a new article
    articles: int = 0                  # articles stored from this feed
    polls: int = 0
    added: float | None = None         # when the feed was first watched

    @property
    def health(self) -> str:
        """``ok``, ``failing`` (a problem, still polled with backoff) or ``new`` (never polled)."""
        if self.failures:
            return "failing"
        return "new" if self.last_poll is None else "ok"

    def to_dict(self) -> dict[str, Any]:
        return {"url": self.url, "title": self.title, "health": self.health, "last_poll": self.last_poll,
                "last_status": self.last_status, "last_error": self.last_error, "failures": self.failures,
                "next_poll": self.next_poll, "last_new": self.last_new, "articles": self.articles,
                "polls": self.polls, "added": self.added, "etag": self.etag, "last_modified": self.last_modified}


ITEM_STATES = ("pending", "stored", "duplicate", "failed")


@dataclass(slots=True)
class ItemRecord:
    """One item a feed listed, told apart by its link (or GUID when it has none)."""

    key: str
    url: str | None
    state: str = "pending"             # one of ITEM_STATES
    attempts: int = 0                  # page fetches tried
    first_seen: float = 0.0
    article_id: int | None = None
    note: str | None = None            # why it failed, or how it was stored ("the feed's text: page gone")
    data: dict[str, Any] | None = None  # the feed's fields of the item, kept while it is pending


@dataclass(frozen=True, slots=True)
class Alert:
    """A saved search: ``query`` in the search language (words, "phrases", prefix*, AND/OR/NOT),
    narrowed by the facets ``person``, ``org``, ``place``, ``source`` and ``has_quotes``."""

    name: str
    query: str = ""
    person: str | None = None
    org: str | None = None
    place: str | None = None
    source: str | None = None
    has_quotes: bool = False
    created: str | None = None      # ISO 8601, UTC
    id: int | None = None

    def facets(self) -> dict[str, Any]:
        out: dict[str, Any] = {k: getattr(self, k) for k in ("person", "org", "place", "source") if getattr(self, k)}
        if self.has_quotes:
            out["has_quotes"] = True
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "query": self.query, "facets": self.facets(), "created": self.created}

    def describe(self) -> str:
        """The search as one line: ``«تحریم» source=ایسنا``."""
        parts = [f"«{self.query}»" if self.query else "(any text)"]
        parts += [f"{k}={v}" for k, v in self.facets().items()]
        return " ".join(parts)


@dataclass(frozen=True, slots=True)
class AlertMatch:
    """An article an alert matched, when it was stored."""

    alert: str
    article_id: int
    matched_at: str                 # ISO 8601, UTC
    title: str | None = None
    url: str | None = None
    outlet: str | None = None
    published: str | None = None
    summary: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"alert": self.alert, "article": self.article_id, "matched_at": self.matched_at, "title": self.title,
                "url": self.url, "source": self.outlet, "published": self.published, "summary": self.summary}

# -- the archive's health (khabar check) ----------------------------------------------------------

@dataclass(slots=True)
class CheckReport:
    """What ``khabar check`` found: ``problems`` (one line each; none when the archive is whole), the
    counts it compared, and what can be salvaged. ``readable_ids`` (not in :meth:`to_dict`) lists the
    articles that read back whole, for a salvaging export; ``None`` when every article does."""

    problems: list[str] = field(default_factory=list)
    articles: int | None = None          # rows the article table counts (None: it cannot be counted)
    indexed: int | None = None           # entries of the full-text index
    readable: int | None = None          # articles read back whole (None: not read one by one)
    unreadable: list[int] = field(default_factory=list)   # ids of articles that cannot be read (the first 100)
    orphans: dict[str, int] = field(default_factory=dict)  # rows that point at an article or entity that is gone
    salvage: str = ""
    readable_ids: list[int] | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "problems": list(self.problems), "articles": self.articles, "indexed": self.indexed,
                "readable": self.readable, "unreadable": list(self.unreadable[:100]), "orphans": dict(self.orphans),
                "salvage": self.salvage}
