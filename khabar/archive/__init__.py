"""The archive: ingest, search, people, stories and export over a storage backend, as one typed API.

:class:`Archive` is what the CLI, the REST API and notebooks use. It opens a backend by address
(``news.db``, ``sqlite:///news.db``, ``:memory:``, ``postgresql://…``; default ``$KHABAR_DB``, then
``./khabar.db``), and returns the typed results of :mod:`khabar.archive.models`, whose ``to_dict()``
is the JSON that ``--json`` prints.

>>> from khabar.ingest import RawArticle
>>> with Archive.open(":memory:") as archive:
...     summary = archive.ingest(records=[RawArticle("بانک مرکزی نرخ تورم را اعلام میکند.", "a", "text")], jobs=1)
...     page = archive.search("می کند", count=True)
...     (summary.added, page.total.to_dict(), page.results[0].snippet.marked())
(1, {'value': 1, 'relation': 'eq'}, 'بانک مرکزی نرخ تورم را اعلام «میکند».')

Modules: :mod:`.runner` (the ingest run and reanalysis), :mod:`.keys` (search and content keys,
computed before storage), :mod:`.query` (the query tree), :mod:`.parser` (the query language),
:mod:`.search`, :mod:`.rank`, :mod:`.people`, :mod:`.stories`, :mod:`.export`, and
:mod:`.storage` (the backend protocol, its registry and the backends).
"""

from __future__ import annotations

import datetime as _dt
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, Any, Literal

from khabar.archive.models import (
    Article,
    CheckReport,
    Count,
    EntityProfile,
    EntityRecord,
    SearchPage,
    SourceStats,
    Statement,
    StoredArticle,
    Story,
)
from khabar.archive.query import SearchQuery
from khabar.archive.storage import Storage, iter_articles, open_storage
from khabar.archive.storage.registry import WRITER_LOCK_WAIT, default_db_path, parse_address, redact
from khabar.errors import InvalidInput, NotFoundError, StorageError

__all__ = ["Archive", "IngestSummary", "WatchEvent", "WatchOptions", "Watcher", "date_range", "parse_every",
           "read_feed_list", "write_shards"]

Interval = Literal["day", "week", "month", "year"]


_WATCH_NAMES = frozenset({"USER_AGENT", "WatchEvent", "WatchOptions", "WatchStatus", "Watcher", "human_duration",
                          "parse_every", "read_feed_list"})


def __getattr__(name: str) -> Any:
    # The ingest run pulls in the pipeline, the watcher httpx; each is loaded when first asked for.
    if name == "IngestSummary":
        from khabar.archive.runner import IngestSummary

        return IngestSummary
    if name == "date_range":  # how --since/--until and the API read a date (Jalali or Gregorian)
        from khabar.archive.search import date_range

        return date_range
    if name in _WATCH_NAMES:
        from khabar.archive import watch

        return getattr(watch, name)
    raise AttributeError(name)


class Archive:
    """An archive of analysed articles on a storage backend. Use as a context manager, or ``close()``."""

    def __init__(self, storage: Storage, *, address: str | None = None) -> None:
        self.storage = storage
        self.address = address if address is not None else redact(getattr(storage, "url", ""))

    @property
    def local_path(self) -> str | None:
        """The archive's file, for an SQLite archive on disk (``None`` otherwise)."""
        url = getattr(self.storage, "url", "")
        backend, where = parse_address(url) if url else ("", "")
        return where if backend == "sqlite" and where != ":memory:" else None

    @classmethod
    def open(cls, address: str | os.PathLike[str] | None = None, *, must_exist: bool = False,
             readonly: bool = False, timeout: float = 5.0, writer: bool = False) -> Archive:
        """Open the archive at ``address`` (a path, ``sqlite:///…``, ``:memory:``, ``postgresql://…``;
        default ``$KHABAR_DB``, then ``./khabar.db``), creating it unless ``must_exist``. ``timeout``:
        seconds to wait for SQLite's write lock, or to connect to PostgreSQL; ``writer``: a long-running
        writer, which waits for SQLite's write lock as long as the ingest's workers do
        (``WRITER_LOCK_WAIT``; PostgreSQL's writers wait for locks without a limit)."""
        target = os.fspath(address) if address is not None else default_db_path()
        backend, where = parse_address(target)
        if writer and backend == "sqlite":
            timeout = WRITER_LOCK_WAIT
        if must_exist and backend == "sqlite" and where != ":memory:" and not Path(where).exists():
            raise StorageError(f"{where}: no archive here (build one with `khabar ingest SOURCE --db {where}`)")
        storage = open_storage(target, readonly=readonly, timeout=timeout)
        if must_exist and backend == "postgres" and getattr(storage, "created", False):
            storage.close()
            raise StorageError(f"{redact(target)}: no archive here (build one with `khabar ingest SOURCE --db URL`)")
        return cls(storage, address=redact(target))

    def close(self) -> None:
        self.storage.close()

    def check(self) -> None:
        """Raise :class:`~khabar.errors.StorageError` when the archive can no longer be reached (its
        file moved or deleted, its server gone). Cheap; a server calls it before each request."""
        self.storage.check()

    def interrupt(self) -> None:
        """Stop the query running now, from another thread (see :meth:`Storage.interrupt`)."""
        self.storage.interrupt()

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Archive({self.address!r})"

    # -- writing ------------------------------------------------------------------------------

    def ingest(self, sources: Iterable[str] = (), *, records: Iterable[Any] | None = None, restore_only: bool = False,
               jobs: int | None = None, fields: Any = None, report: str | os.PathLike[str] | None = None,
               progress: Callable[[Any], None] | None = None, stories: bool = False, **options: Any) -> Any:
        """Read, analyse and store ``sources`` (paths, URLs, ``-``) or ``records`` (``RawArticle``s);
        returns an :class:`~khabar.archive.runner.IngestSummary`. ``stories``: then assign the new
        articles to stories (they join an existing story or start one)."""
        from khabar.archive.runner import ingest

        summary = ingest(sources, self.storage, restore_only=restore_only, jobs=jobs, fields=fields, report=report,
                         progress=progress, articles=records, **options)
        if stories and summary.added:
            self.cluster()
        return summary

    def add(self, items: Iterable[Mapping[str, Any]], *, origin: str = "api", stories: bool = True) -> Any:
        """Analyse and store articles given as mappings (``text``, and optionally ``title``, ``url``,
        ``published``, ``outlet``, ``author``), read as ``khabar ingest`` reads JSONL records (fields
        cleaned, URLs normalized, dates read); in this process (no worker pool). ``stories``: the new
        articles join the stories around them. Returns the :class:`IngestSummary`."""
        import json

        from khabar.ingest import FieldMap
        from khabar.ingest.tabular import read_jsonl

        lines = "".join(json.dumps(dict(item), ensure_ascii=False) + "\n" for item in items)
        return self.ingest(records=read_jsonl(lines, origin, fields=FieldMap()), jobs=1, stories=stories)

    def reanalyze(self, *, everything: bool = False, jobs: int | None = None,
                  progress: Callable[[int, int], None] | None = None, engine: str = "local",
                  **options: Any) -> tuple[int, list[Any]]:
        """Run the full pipeline on articles ingested ``restore_only`` (or, ``everything``, on all);
        ``(articles updated, failures)``. ``engine``: ``"local"`` or ``"ray"`` (``options``:
        ``address``)."""
        from khabar.archive.runner import reanalyze

        return reanalyze(self.storage, everything=everything, jobs=jobs, progress=progress, engine=engine, **options)

    def load(self, folder: str | os.PathLike[str], *, batch: int = 1000) -> tuple[int, int]:
        """Bulk-load the Parquet shards an ingest wrote with ``output`` (:mod:`khabar.archive.shards`);
        ``(added, already stored)``. Rerunning it adds nothing twice."""
        from khabar.archive.shards import load_shards

        return load_shards(folder, self.storage, batch=batch)

    def cluster(self, *, rebuild: bool = False) -> int:
        """Assign stories: every article when ``rebuild`` or when none has one yet, else only the
        articles in no story (they join a story of the days around them, or start one). Returns how
        many stories have several articles among those written."""
        from khabar.archive.runner import assign_stories, build_stories

        stats = self.storage.stats()
        if rebuild or stats["unclustered"] == stats["articles"]:
            return build_stories(self.storage)
        if stats["unclustered"]:
            return assign_stories(self.storage)
        return 0

    def copy_to(self, other: Archive, *, batch: int = 500, progress: Callable[[int], None] | None = None) -> int:
        """Copy every article into ``other`` (another backend), each ``Document`` exactly; articles
        ``other`` has already (same URL or content key) are skipped. Returns how many were written."""
        from khabar.archive.runner import copy_articles

        return copy_articles(self.storage, other.storage, batch=batch, progress=progress)

    # -- reading ------------------------------------------------------------------------------

    def search(self, query: str = "", **options: Any) -> SearchPage:
        """Search: words, "phrases", prefix*, AND / OR / NOT, (parentheses), with facets
        (``person``, ``org``, ``place``, ``source``, ``since``, ``until``, ``has_quotes``, ``story``),
        ``sort`` (newest, oldest, relevance), ``limit``, ``cursor``, ``count``, ``facets``
        (:func:`khabar.archive.search.search`)."""
        from khabar.archive.search import search

        return search(self.storage, query, **options)

    def counts(self, query: str = "", *, interval: Interval = "day", **filters: Any) -> list[Count]:
        """Matching articles per interval, with every article of the interval as the ``total``."""
        from khabar.archive.parser import parse_query
        from khabar.archive.query import Filters
        from khabar.archive.search import build_filter

        if interval not in ("day", "week", "month", "year"):
            raise InvalidInput(f"interval must be day, week, month or year, not {interval!r}")
        resolved = build_filter(self.storage, **filters)
        if resolved.filters is None:
            return []
        root = parse_query(query or "").root
        matched = _bucket(self.storage.histogram(SearchQuery(root, resolved.filters)), interval)
        window = Filters(since=resolved.filters.since, until=resolved.filters.until)
        every = _bucket(self.storage.histogram(SearchQuery(None, window)), interval) if matched else {}
        return [Count(day, n, every.get(day, n)) for day, n in sorted(matched.items())]

    def timeline(self, entity_id: str, *, interval: Interval = "month", totals: bool = True) -> list[Count]:
        """Articles mentioning the entity ``entity_id`` per interval; with ``totals``, of every article
        published then (a histogram of the whole archive over those dates: costly on a large one)."""
        if not self.storage.entities(ids=[entity_id]):
            raise NotFoundError(f"no entity {entity_id!r} in the archive")
        from khabar.archive.query import Filters

        days = self.storage.histogram(SearchQuery(None, Filters(entity_groups=((entity_id,),))))
        counts = sorted(_bucket(days, interval).items())
        if not totals or not counts:
            return [Count(d, n, None) for d, n in counts]
        # Every article, only over the intervals the entity spans.
        window = Filters(since=counts[0][0], until=_bucket_end(counts[-1][0], interval))
        every = _bucket(self.storage.histogram(SearchQuery(None, window)), interval)
        return [Count(d, n, every.get(d, n)) for d, n in counts]

    def article(self, article_id: int) -> Article:
        """The article with this id; :class:`~khabar.errors.NotFoundError` when there is none."""
        if not isinstance(article_id, int) or isinstance(article_id, bool) or not 0 < article_id < 2**63:
            raise NotFoundError(f"no article {article_id!r} in {self.address} (ids are whole numbers from 1)")
        found = self.storage.articles([article_id])
        if not found:
            self.storage.missing(article_id)
            raise NotFoundError(f"no article {article_id} in {self.address} (search for ids with `khabar search`)")
        return self._shown(found[0])

    def articles(self, *, analysis: str | None = None) -> Iterator[Article]:
        """Every article in id order, a page at a time."""
        return (self._shown(a) for a in iter_articles(self.storage, analysis=analysis))

    def _shown(self, stored: StoredArticle) -> Article:
        """An article as the archive shows it: its entities named by their archive identities."""
        from dataclasses import replace as _replace

        from khabar.archive.identities import with_identities

        links = self.storage.article_links(stored.id)
        return Article(_replace(stored, doc=with_identities(stored.doc, links)) if links else stored)

    def entity(self, entity_id: str, *, about: str | None = None, limit: int = 20) -> EntityProfile:
        """The profile of one identity, by its id (``per:…``, as facets and profiles give it)."""
        from khabar.archive.people import entity_profile

        return entity_profile(self.storage, entity_id, about=about, limit=limit)

    def person(self, name: str, *, about: str | None = None, limit: int = 20) -> EntityProfile:
        """What the archive knows about the person named ``name`` (the identities the name means)."""
        from khabar.archive.people import person_profile

        return person_profile(self.storage, name, about=about, limit=limit)

    def merge(self, keep: str, other: str, *, reason: str) -> int:
        """Make identity ``other`` part of ``keep`` (one person the archive had as two), recorded with
        ``reason``; returns the merge's id in the identity's history (:meth:`split` undoes it)."""
        from khabar.archive.people import merge

        return merge(self.storage, keep, other, reason=reason)

    def split(self, identity: str, *, articles: Sequence[int] = (), undo: int | None = None,
              name: str | None = None, reason: str = "") -> str:
        """Undo a merge (``undo``: its id), or give what ``articles`` say of ``identity`` to a new
        identity; returns the id split off. Later reanalyses keep it so."""
        from khabar.archive.people import split

        return split(self.storage, identity, articles=articles, undo=undo, name=name, reason=reason)

    def entities(self, prefix: str, *, labels: tuple[str, ...] | str | None = None,
                 limit: int = 10) -> list[EntityRecord]:
        """Entities whose name or alias starts with ``prefix`` (autocompletion), most mentioned first;
        ``labels``: NER labels, or a facet's name (``person``, ``org``, ``place``) for its labels."""
        from khabar.archive.models import FACET_LABELS
        from khabar.archive.people import find_entities

        if isinstance(labels, str):
            if labels not in FACET_LABELS:
                raise InvalidInput(f"labels must be person, org or place (or a tuple of labels), not {labels!r}")
            labels = FACET_LABELS[labels]
        return find_entities(self.storage, prefix, labels=labels, limit=limit)

    def statements(self, person: str, *, about: str | None = None, limit: int = 50) -> list[Statement]:
        """What ``person`` said, optionally only the statements that mention ``about``."""
        from khabar.archive.people import statements

        return statements(self.storage, person, about, limit=limit)

    def stories(self, *, limit: int = 20, min_size: int = 2, cluster: bool = True) -> list[Story]:
        """Stories across most outlets first (assigning stories to unclustered articles first, when ``cluster``)."""
        if cluster:
            self.cluster()
        return self.storage.stories(limit=limit, min_size=min_size)

    def story(self, story_id: int) -> Story:
        """The story with this id; :class:`~khabar.errors.NotFoundError` when there is none."""
        if not isinstance(story_id, int) or isinstance(story_id, bool) or not 0 < story_id < 2**63:
            raise NotFoundError(f"no story {story_id!r} in {self.address} (ids are whole numbers from 1)")
        found = self.storage.stories(story_id=story_id)
        if not found:
            raise NotFoundError(f"no story {story_id} in {self.address}")
        return found[0]

    def sources(self) -> list[SourceStats]:
        """Outlets with their article counts and first and last publication dates."""
        return [s for _, s in self.storage.sources()]

    def stats(self) -> dict[str, int]:
        return self.storage.stats()

    def export(self, out: IO[str] | IO[bytes] | str | None = None, *, format: str = "jsonl", query: str = "",
               batch: int = 2000, salvage: bool = False, **filters: Any) -> int:
        """Write every article (JSONL: ``Document.to_dict()`` plus ``article`` metadata a line; CSV;
        Parquet) to ``out`` (a file path, a stream, or standard output for ``None``/``-``), a page
        at a time. With a ``query`` or filters (those of :meth:`search`), only the articles they
        match, oldest first. Returns how many. A file is replaced only once it is whole, and never the
        archive's own; ``salvage``: from a damaged archive, every article that can still be read."""
        from khabar.archive.export import write_export, write_stream

        articles = self._matching(query, **filters) if query or any(filters.values()) else None
        if out is None or isinstance(out, str):
            if articles is not None:
                raise InvalidInput("a filtered export needs an open stream (use Archive.export(stream, …))")
            return write_export(self.storage, format, out, salvage=salvage)
        return write_stream(self.storage, format, out, articles, batch=batch)

    # -- care ---------------------------------------------------------------------------------

    def verify(self, *, deep: bool = True) -> CheckReport:
        """The archive's integrity (``khabar check``): damaged pages, the full-text index against the
        articles, rows that point at nothing; ``deep`` (or on damage) every article read back (damage
        inside a text passes the page checks); and what can be salvaged."""
        return self.storage.verify(deep=deep)

    def backup(self, target: str | os.PathLike[str]) -> int:
        """A consistent copy of the archive, taken while it is in use, written to ``target`` (replaced
        only once the copy is whole and checked). Returns how many articles the copy holds."""
        self.guard_output(target)
        return self.storage.backup(os.fspath(target))

    def guard_output(self, path: str | os.PathLike[str], *, inputs: Iterable[str] = ()) -> None:
        """Refuse (:class:`~khabar.errors.InvalidInput`) a path to write to that is one of the archive's
        own files (the database and its journals) or an input of this run."""
        from khabar.archive.outputs import refuse_clobber

        refuse_clobber(path, protected=self.storage.files(), inputs=inputs)

    def _matching(self, query: str, *, batch: int = 500, **filters: Any) -> Iterator[StoredArticle]:
        """The articles ``query`` and ``filters`` match, oldest first, ``batch`` at a time (keyset pages)."""
        from khabar.archive.parser import parse_query
        from khabar.archive.search import build_filter

        root = parse_query(query or "").root
        resolved = build_filter(self.storage, **filters)
        if resolved.filters is None:
            return
        after = None
        while True:
            found = self.storage.search(SearchQuery(root, resolved.filters, "oldest", batch, after=after))
            if not found:
                return
            stored = {a.id: a for a in self.storage.articles([m.id for m in found])}
            yield from (stored[m.id] for m in found if m.id in stored)
            if len(found) < batch:
                return
            after = found[-1].key


    # -- following outlets: feeds and saved searches ---------------------------------------------

    def watcher(self, feeds: Iterable[str] | None = None, *, options: Any = None,
                on_event: Callable[[Any], None] | None = None, restore_only: bool = False) -> Any:
        """A :class:`~khabar.archive.watch.Watcher` that follows ``feeds`` (registering them; ``None``:
        the feeds this archive follows) into this archive; ``await watcher.run()`` polls."""
        from khabar.archive.following import ArchiveWatchStore
        from khabar.archive.watch import Watcher

        return Watcher(lambda: ArchiveWatchStore(self.storage, restore_only=restore_only, owned=False),
                       list(feeds) if feeds else None, options=options, on_event=on_event)

    def feeds(self) -> list[Any]:
        """The feeds followed, with their state (:class:`~khabar.archive.models.FeedState`)."""
        return self.storage.feeds()

    def feed_items(self) -> dict[str, dict[str, int]]:
        """Per feed URL, how many of its items are stored, duplicates, failed or pending."""
        return self.storage.item_counts()

    def unfollow(self, url: str) -> None:
        """Stop following a feed (its articles stay)."""
        if not self.storage.unfollow(url):
            raise NotFoundError(f"{url}: not a followed feed (khabar feeds lists them)")

    def add_alert(self, name: str, query: str = "", **facets: Any) -> Any:
        """Save a search (facets ``person``, ``org``, ``place``, ``source``, ``has_quotes``); every
        article stored from now on is matched against it (:func:`khabar.archive.following.add_alert`)."""
        from khabar.archive.following import add_alert

        return add_alert(self.storage, name, query, **facets)

    def alerts(self) -> list[Any]:
        """The saved searches (:class:`~khabar.archive.models.Alert`), by name."""
        return self.storage.alerts()

    def alert(self, name: str) -> Any:
        from khabar.archive.following import find_alert

        return find_alert(self.storage, name)

    def alert_matches(self, name: str, *, since: str | None = None, limit: int = 100) -> list[Any]:
        """The articles a saved search matched (:class:`~khabar.archive.models.AlertMatch`), newest first."""
        from khabar.archive.following import alert_matches

        return alert_matches(self.storage, name, since=since, limit=limit)

    def alert_atom(self, name: str, *, since: str | None = None, limit: int = 100, self_url: str | None = None,
                   article_url: str | None = None) -> bytes:
        """The Atom feed of a saved search's matches (what ``/api/v1/alerts/NAME.atom`` serves)."""
        from khabar.archive.alerts import render_atom

        return render_atom(self.alert(name), self.alert_matches(name, since=since, limit=limit),
                           self_url=self_url, article_url=article_url)

    def remove_alert(self, name: str) -> None:
        from khabar.archive.following import remove_alert

        remove_alert(self.storage, name)

def _bucket_end(start: str, interval: str) -> str:
    """The first day after the interval that begins on ``start``."""
    d = _dt.date.fromisoformat(start)
    if interval == "week":
        return (d + _dt.timedelta(days=7)).isoformat()
    if interval == "month":
        return (d.replace(year=d.year + 1, month=1) if d.month == 12 else d.replace(month=d.month + 1)).isoformat()
    if interval == "year":
        return d.replace(year=d.year + 1).isoformat()
    return (d + _dt.timedelta(days=1)).isoformat()


def write_shards(sources: Iterable[str] = (), output: str | os.PathLike[str] = "", *,
                 records: Iterable[Any] | None = None, engine: str = "ray", **options: Any) -> Any:
    """Ingest ``sources`` into Parquet shards in the folder ``output`` (partitioned by month), written
    by the workers, instead of an archive; load them later with :meth:`Archive.load`. Only the Ray
    engine writes shards; ``options`` as for :meth:`Archive.ingest` (``address``, ``jobs``, …)."""
    if engine != "ray":
        raise InvalidInput("Parquet shards (--output) are written by the Ray engine: add --engine ray")
    from khabar.archive.engines import ray as ray_engine

    return ray_engine.ingest(sources, None, articles=records, output=os.fspath(output), **options)


def _bucket(days: list[tuple[str, int]], interval: str) -> dict[str, int]:
    """Per-day counts summed per interval, keyed by the interval's first day (weeks start on Monday)."""
    out: dict[str, int] = {}
    for day, n in days:
        d = _dt.date.fromisoformat(day)
        if interval == "week":
            d -= _dt.timedelta(days=d.weekday())
        elif interval == "month":
            d = d.replace(day=1)
        elif interval == "year":
            d = d.replace(month=1, day=1)
        key = d.isoformat()
        out[key] = out.get(key, 0) + n
    return out
