"""The storage protocol: what every backend implements, in typed records and query trees.

The archive (:class:`khabar.archive.Archive`) talks to a backend only through these methods. They
take and give the records of :mod:`khabar.archive.models` and the query tree of
:mod:`khabar.archive.query`; no SQL or full-text syntax crosses the seam, so a backend compiles
trees to its own language (SQLite FTS5, PostgreSQL ``tsquery``). Keys (search keys, content keys) are
computed by the archive before storage: a backend folds (:mod:`khabar.text.fold`) but never restores.

Writes are batches, each atomic and idempotent: an article whose URL or content key is stored
already is skipped (``None`` in place of its id), so a rerun after a crash adds nothing twice.

>>> from khabar import analyze
>>> from khabar.archive.models import NewArticle
>>> from khabar.archive.storage import open_storage
>>> store = open_storage(":memory:")
>>> doc = analyze("وزیر امور خارجه امروز به مسکو رفت.")
>>> [article_id] = store.write([NewArticle.from_document(doc, content_key="k1", title="سفر وزیر")])
>>> store.articles([article_id])[0].document.to_dict() == doc.to_dict()
True
>>> store.close()
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext

from khabar.archive.models import (
    Alert,
    AlertMatch,
    ArticleLinks,
    CheckReport,
    EntityProfile,
    EntityRecord,
    FeedState,
    HitRecord,
    IdentityChange,
    IdentityDelta,
    IdentityRecord,
    ItemRecord,
    Match,
    NameUse,
    NewArticle,
    Reanalysis,
    RoleLink,
    SourceStats,
    StoredArticle,
    Story,
    StoryItem,
)
from khabar.archive.query import SearchQuery

__all__ = ["FACETS", "Following", "Storage", "iter_articles"]

# The facets a backend counts: entity labels by kind, and the outlet.
FACETS = ("person", "org", "place", "source")


class Following(ABC):
    """The part of the storage interface that ``khabar watch`` and saved searches need."""

    @abstractmethod
    def transaction(self) -> AbstractContextManager[None]:
        """Group writes: everything inside is stored together or not at all (a poll's articles, their
        stories and alert matches, its items' records and the feed's state). Nested calls join."""

    @abstractmethod
    def follow(self, urls: Sequence[str], *, now: float) -> None:
        """Register feeds (those already known are left as they are)."""

    @abstractmethod
    def feeds(self, urls: Sequence[str] | None = None) -> list[FeedState]:
        """The states of ``urls`` that are registered, in that order, or of every feed (oldest first)."""

    @abstractmethod
    def save_feed(self, feed: FeedState) -> None:
        """Store a feed's state (it must be registered)."""

    @abstractmethod
    def unfollow(self, url: str) -> bool:
        """Forget a feed and its items (their articles stay); whether it was registered."""

    @abstractmethod
    def feed_items(self, feed_url: str, keys: Sequence[str]) -> dict[str, ItemRecord]:
        """The records of those of ``keys`` the feed listed before."""

    @abstractmethod
    def pending_items(self, feed_url: str, *, limit: int) -> list[ItemRecord]:
        """The feed's items still to fetch, oldest first."""

    @abstractmethod
    def save_items(self, feed_url: str, items: Sequence[ItemRecord]) -> None:
        """Insert or replace item records (``data`` is kept only while an item is pending)."""

    @abstractmethod
    def forget_items(self, before: float) -> int:
        """Drop the records of finished items first seen before ``before``; how many went."""

    @abstractmethod
    def item_counts(self) -> dict[str, dict[str, int]]:
        """Per feed URL, how many of its items are in each state."""

    @abstractmethod
    def add_alert(self, alert: Alert) -> Alert:
        """Save a search; :class:`~khabar.errors.InvalidInput` when the name is taken. Returns it with its id."""

    @abstractmethod
    def alerts(self) -> list[Alert]:
        """Every saved search, by name."""

    @abstractmethod
    def remove_alert(self, name: str) -> bool:
        """Delete a saved search and its matches; whether it existed."""

    @abstractmethod
    def add_matches(self, matches: Sequence[tuple[int, int, str]]) -> int:
        """Record ``(alert id, article id, matched_at)`` matches (repeats ignored); how many were new."""

    @abstractmethod
    def alert_matches(self, alert_id: int, *, since: str | None = None, limit: int = 100) -> list[AlertMatch]:
        """An alert's matches, newest first; ``since`` (ISO date or time) keeps those matched from then on."""


class Storage(Following, ABC):
    """A storage backend. ``url`` is where it lives (a path, ``:memory:``, ``postgresql://…``)."""

    url: str
    # Whether :meth:`identity_delta` leaves out the articles this storage wrote itself (a worker's
    # resolver, which links with it, took them in as it linked them, so it need not remember them).
    delta_skips_own: bool = False

    # -- writing ------------------------------------------------------------------------------
    @abstractmethod
    def write(self, articles: Sequence[NewArticle]) -> list[int | None]:
        """Store a batch in one transaction; each article's id, or ``None`` when its URL or content
        key is already stored (or appears earlier in the batch)."""

    @abstractmethod
    def update(self, analyses: Sequence[Reanalysis]) -> None:
        """Replace stored articles' analyses (their raw text stays), in one transaction."""

    @abstractmethod
    def set_stories(self, clusters: Mapping[int, Sequence[int]], *, replace: bool = True) -> int:
        """Story id → article ids. ``replace``: these are all the stories (others are dropped); otherwise
        the articles are added to (or start) these stories. Returns how many have several articles."""

    # -- reading articles ---------------------------------------------------------------------
    @abstractmethod
    def articles(self, ids: Sequence[int] | None = None, *, after: int = 0, limit: int = 500,
                 analysis: str | None = None) -> list[StoredArticle]:
        """The articles with these ids (in that order, unknown ids left out), or else the next
        ``limit`` articles in id order after id ``after`` (optionally only those of one ``analysis``)."""

    def missing(self, article_id: int) -> None:
        """Called when ``article_id`` was not found: raises :class:`~khabar.errors.StorageError` where
        the backend can tell that damage hides it (an SQLite page), instead of a plain "no article"."""

    @abstractmethod
    def known(self, *, urls: Sequence[str] = (), content_keys: Sequence[str] = ()) -> set[str]:
        """Which of these URLs and content keys are stored."""

    @abstractmethod
    def stored_after(self, after: int, *, urls: Sequence[str] = (),
                     content_keys: Sequence[str] = ()) -> dict[str, tuple[int, str | None]]:
        """Of these URLs and content keys, those of articles stored with an id above ``after``: each
        → ``(id, origin)`` of its article (an ingest run tells what it stored itself from what the
        archive had before it began, :attr:`Setup.mark <khabar.archive.work.Setup>`)."""

    @abstractmethod
    def size(self) -> int:
        """The highest article id (0 for an empty archive): how many articles at most."""

    # -- search -------------------------------------------------------------------------------
    @abstractmethod
    def search(self, query: SearchQuery) -> list[Match]:
        """Up to ``query.limit`` matching articles in sort-key order (``newest``: descending), after
        ``query.after`` when given."""

    @abstractmethod
    def hits(self, ids: Sequence[int], *, full: bool = True) -> list[HitRecord]:
        """What search results are made from, for these ids (in that order); ``full=False``: the
        title and the first ``RANK_CHARS`` characters of the text only (what ranking reads), no raw
        text or changes."""

    @abstractmethod
    def count(self, query: SearchQuery, *, cap: int) -> int:
        """How many articles match, counting no further than ``cap``."""

    @abstractmethod
    def facets(self, query: SearchQuery, *, top: int = 5, sample: int = 5000) -> dict[str, list[tuple[str, str, int]]]:
        """For each of :data:`FACETS`, the ``top`` most frequent ``(value, label, count)`` among the
        newest ``sample`` matches (value: an entity id, or an outlet name), most frequent first, then by label."""

    @abstractmethod
    def histogram(self, query: SearchQuery) -> list[tuple[str, int]]:
        """Matching articles per publication day, ``(ISO day, count)`` in day order (undated left out)."""

    # -- entities, people, stories, sources ---------------------------------------------------
    @abstractmethod
    def entities(self, *, key: str | None = None, prefix: bool = False, labels: Sequence[str] | None = None,
                 ids: Sequence[str] | None = None, cooccurring_with: Sequence[str] | None = None,
                 with_counts: bool = False, limit: int = 200) -> list[EntityRecord]:
        """Entities whose folded name or alias holds the folded ``key`` as whole words (``prefix``: the
        last word may be the start of one), of these ``labels``, among ``ids``, mentioned in an article
        together with one of ``cooccurring_with``; ``with_counts`` fills in how many articles mention
        each. Ordered by name."""

    @abstractmethod
    def profile(self, ids: Sequence[str], *, limit: int = 20, about_key: str | None = None) -> EntityProfile:
        """Titles, aliases, articles, statements (only those holding ``about_key``'s words, when given),
        meetings and co-mentioned entities of the identities ``ids`` taken together. Co-mentions may be
        counted among the newest articles only (SQLite: 1,000), so a page costs the same for a name in
        a hundred articles and in a hundred thousand."""

    @abstractmethod
    def stories(self, *, limit: int = 20, min_size: int = 2, story_id: int | None = None) -> list[Story]:
        """Stories with at least ``min_size`` articles, those across most outlets first (or just one)."""

    @abstractmethod
    def story_items(self, *, unclustered: bool = False, since: str | None = None,
                    until: str | None = None) -> Iterator[StoryItem]:
        """What clustering reads of every article (or only those in no story yet; or those published
        from ``since`` to before ``until``, ISO days), oldest first, undated last."""

    @abstractmethod
    def sources(self, *, key: str | None = None, counts: bool = True) -> list[tuple[int, SourceStats]]:
        """Outlets with their ids (only those whose folded name holds ``key``'s words), most articles
        first, with their article counts and first and last publication dates (``counts=False``:
        names only, zero counts, by name; cheap)."""

    @abstractmethod
    def stats(self) -> dict[str, int]:
        """Row counts: articles, outlets, entities, mentions, quotes, events, dates, stories, unclustered."""

    # -- identities across the archive (decided by khabar.archive.identities) ----------------------
    # A NewArticle's (or Reanalysis's) ``links`` say which archive identity each of its entities is;
    # the backend writes the article's rows under those identities and keeps what the links tell.
    @abstractmethod
    def identity_lookup(self, keys: Sequence[str]) -> dict[str, list[str]]:
        """The identities each lookup key (``n:`` name, ``s:`` surname, ``k:`` skeleton, ``p:`` opening
        words) was recorded for, each key's in id order."""

    @abstractmethod
    def identity_records(self, ids: Sequence[str]) -> list[IdentityRecord]:
        """What the archive knows of each of these identities (those that exist), in that order."""

    def existing_identities(self, keys: Sequence[str], *, have: Collection[str] = (), also: Sequence[str] = (),
                            ids: Sequence[str] = ()
                            ) -> tuple[dict[str, list[str]], list[IdentityRecord], set[str]]:
        """What linking a batch will ask first, read together (:meth:`IdentityResolver.prefetch`),
        in a few queries instead of several per entity: :meth:`identity_lookup` of ``keys`` and
        ``also``; :meth:`identity_records` of every identity ``keys`` find (but those in ``have``);
        and which of ``ids`` exist (:meth:`identity_exists`)."""
        found = self.identity_lookup([*keys, *also])
        wanted = [i for i in dict.fromkeys(i for k in keys for i in found.get(k, ())) if i not in have]
        return (found, self.identity_records(wanted) if wanted else [],
                {i for i in dict.fromkeys(ids) if self.identity_exists(i)})

    @abstractmethod
    def identity_exists(self, identity: str) -> bool:
        """Whether an identity (or the old id of one merged into another) has this id."""

    @abstractmethod
    def role_holders(self, office: str) -> list[tuple[str, str | None, str | None, int]]:
        """Who was named with this office as a title: (identity, first day, last day, articles), by id."""

    @abstractmethod
    def role_offices(self, prefix: str, *, limit: int = 50) -> list[str]:
        """Office keys some identity was named with as a title, starting with ``prefix``, in order."""

    @abstractmethod
    def co_mention_counts(self, ids: Sequence[str], context: Sequence[str], *, cap: int = 20) -> dict[str, int]:
        """For each of ``ids``, in how many articles (up to ``cap``) it is mentioned with one of ``context``."""

    @abstractmethod
    def learned_names(self, *, min_articles: int = 3, min_outlets: int = 2,
                      agreement: float = 0.9) -> list[tuple[str, str]]:
        """Names the archive has learned: forms (folded words) written for identities of one label in
        at least ``min_articles`` articles from ``min_outlets`` outlets, that label at least
        ``agreement`` of the time; as (form, label), by form."""

    @abstractmethod
    def unresolved_roles(self, article_ids: Sequence[int] | None = None) -> list[tuple[int, RoleLink, str | None]]:
        """Bare roles no one was named for yet (of these articles, or all): (article id, role, published)."""

    @abstractmethod
    def resolve_role(self, article_id: int, role: RoleLink, identity: str, reason: str) -> None:
        """Name the identity a bare role stands for, after the fact: the role, and the article's
        statements and meetings that stood for it, become that identity's."""

    @abstractmethod
    def article_links(self, article_id: int) -> dict[str, str]:
        """The archive identity each of an article's entity ids was stored as."""

    @abstractmethod
    def article_identity(self, article_id: int) -> ArticleLinks | None:
        """Everything an article's links told, as they were written (for copying it to another
        archive with its identities); None when the article has none."""

    @abstractmethod
    def article_roles(self, article_id: int) -> list[RoleLink]:
        """An article's bare roles and who each was resolved to, in text order."""

    @abstractmethod
    def resolve_identity(self, identity: str) -> str:
        """The identity an id stands for now: itself, or the one it was merged into."""

    def snapshot(self) -> AbstractContextManager[None]:
        """A block whose reads all see the archive as of one moment (no write inside); a backend
        that cannot pin one reads as usual."""
        return nullcontext()

    def identity_delta(self, after: int | None) -> IdentityDelta | None:
        """What the articles stored after article id ``after`` told of identities (``None``: only the
        newest article id, in ``last``). ``None`` where the backend cannot tell which articles are
        newer than a given one (its writers' ids do not come in commit order): a resolver then
        reads again what it needs. A backend may count in something else than article ids (``last``
        is only ever given back as ``after``): PostgreSQL numbers its writers' batches."""
        return None

    @abstractmethod
    def identity_pins(self, article_id: int) -> dict[str, str]:
        """The identities a person decided for this article's entities (by a split): local id → identity."""

    @abstractmethod
    def identity_names(self, ids: Sequence[str]) -> tuple[list[NameUse], list[NameUse]]:
        """The forms and the titles written for these identities, each with its first and last day
        and how many articles gave it, earliest first."""

    @abstractmethod
    def identity_history(self, identity: str) -> list[IdentityChange]:
        """The merges and splits this identity took part in, oldest first."""

    @abstractmethod
    def merge_identities(self, keep: str, gone: str, reason: str) -> int:
        """Make ``gone`` part of ``keep`` (its articles, mentions, statements, meetings, forms, titles
        and lookup keys; its id then stands for ``keep``), recorded with ``reason`` so it can be
        undone; returns the record's id. Identities of different labels do not merge."""

    @abstractmethod
    def split_identity(self, identity: str, article_ids: Sequence[int], new_id: str, name: str, *,
                       keys: Sequence[str] = (), reason: str = "") -> int:
        """Give what these articles say of ``identity`` to a new identity ``new_id`` (found by
        ``keys``), kept so by later reanalyses; returns the record's id."""

    @abstractmethod
    def undo_merge(self, log_id: int, reason: str = "") -> str:
        """Undo a merge: the identity merged away comes back with its articles; returns its id."""

    @abstractmethod
    def close(self) -> None: ...

    def check(self) -> None:
        """Raise :class:`~khabar.errors.StorageError` when the archive can no longer be reached (its
        file moved away or deleted, its server gone); a server calls it before serving a request.
        Cheap: no query. Backends with nothing to check keep this default."""
        return None

    # -- care: khabar check, khabar backup (a backend that cannot do them says so) -----------------
    def files(self) -> list[str]:
        """Files on this machine that hold the archive (a database file and its journals): an export,
        a report or a backup must never be written over them. A database server's archive has none."""
        return []

    def verify(self, *, deep: bool = False) -> CheckReport:
        """The archive's integrity (``khabar check``): the storage's own checks, the full-text index
        against the articles, rows left pointing at nothing, and (``deep``, or when damage is found)
        every article read back. Never raises for damage: damage is what the report is about."""
        from khabar.errors import StorageError

        raise StorageError(f"{type(self).__name__} cannot check an archive's integrity yet")

    def backup(self, target: str) -> int:
        """Write a consistent copy of the archive, taken while it stays in use, to ``target`` (a file
        for SQLite; a backend names what it accepts), replacing ``target`` only once the copy is whole.
        Returns how many articles the copy holds."""
        from khabar.errors import StorageError

        raise StorageError(f"{type(self).__name__} cannot back up an archive yet (copy it with `khabar copy`)")

    def interrupt(self) -> None:
        """Stop the query this storage is running now, from another thread (a request past its
        deadline); the query then fails with :class:`~khabar.errors.StorageError`. Backends that
        cannot stop a query keep this default, and the query runs to its end."""
        return None

    def __enter__(self) -> Storage:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def iter_articles(storage: Storage, *, analysis: str | None = None, batch: int = 500) -> Iterator[StoredArticle]:
    """Every stored article in id order (optionally only those of one ``analysis`` level), a page at a
    time, so memory stays bounded whatever the archive's size."""
    last = 0
    while True:
        page = storage.articles(after=last, limit=batch, analysis=analysis)
        if not page:
            return
        yield from page
        last = page[-1].id
