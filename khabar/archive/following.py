"""The archive's side of following outlets: what ``khabar watch`` stores and how.

:class:`ArchiveWatchStore` is the :class:`~khabar.archive.watch.WatchStore` of an archive. Each poll's
new articles go through the ingest pipeline (:mod:`khabar.archive.runner`: restoration, analysis,
dedup by URL and by content key), then into stories one article at a time (a new article joins the
story of its best match among the recent days, or starts one), then are matched against every
saved search, and the matches are kept. Articles, stories, matches, the items' records and the
feed's state are written in one transaction: a watcher killed at any moment leaves a poll stored
whole or not at all.

Saved searches (:func:`add_alert`, :func:`list_alerts`, :func:`alert_matches`) are matched with the
archive's own search restricted to the new articles, so an alert fires for exactly the articles
that ``khabar search`` with the same query and facets would find among them.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Sequence
from typing import Any

from khabar.archive.alerts import check_name
from khabar.archive.models import Alert, AlertMatch, FeedState, ItemRecord, NewArticle, StoryItem
from khabar.archive.storage import Storage, open_storage
from khabar.archive.watch import StoreOutcome
from khabar.errors import InvalidInput, NotFoundError
from khabar.ingest import Failure, RawArticle

__all__ = ["ArchiveWatchStore", "add_alert", "alert_matches", "find_alert", "list_alerts", "remove_alert"]

KEEP_ITEMS_DAYS = 90   # records of finished items are kept this long (a page listed again after is not refetched:
#                        its URL is in the archive)


class ArchiveWatchStore:
    """A :class:`~khabar.archive.watch.WatchStore` over an archive's storage (use from one thread)."""

    def __init__(self, storage: Storage, *, restore_only: bool = False, clock: Callable[[], float] = time.time,
                 owned: bool = True) -> None:
        from khabar.archive.work import Analyzer

        self.storage = storage
        self.owned = owned  # close the storage with the store
        self.clock = clock
        self._clusterer: Any = None
        self._forgotten: dt.date | None = None
        self._analyzer = Analyzer(restore_only=restore_only)  # the pipeline, loaded once

    @classmethod
    def open(cls, db: str | None, **options: Any) -> ArchiveWatchStore:
        return cls(open_storage(db), **options)

    # -- the WatchStore interface ---------------------------------------------------------------

    def watch_feeds(self, urls: Sequence[str] | None) -> list[FeedState]:
        now = self.clock()
        if urls:
            self.storage.follow(urls, now=now)
        self.storage.forget_items(now - KEEP_ITEMS_DAYS * 86400)
        return self.storage.feeds(urls or None)

    def items(self, feed_url: str, keys: Sequence[str]) -> dict[str, ItemRecord]:
        return self.storage.feed_items(feed_url, keys)

    def pending(self, feed_url: str, *, limit: int) -> list[ItemRecord]:
        return self.storage.pending_items(feed_url, limit=limit)

    def has_url(self, url: str) -> bool:
        return bool(self.storage.known(urls=[url]))

    def save(self, feed_url: str, items: Sequence[ItemRecord], articles: Sequence[tuple[ItemRecord, RawArticle]],
             state: FeedState | None = None) -> StoreOutcome:
        outcome = StoreOutcome()
        # Analysed before the transaction: the write lock is held only while writing.
        prepared = [(record, self._analyzer.prepare(raw)) for record, raw in articles]
        added: list[tuple[int, NewArticle]] = []
        if self._clusterer is None and any(isinstance(result, NewArticle) for _, result in prepared):
            self._clusterer = self._load_stories()  # before writing: the new articles are not in a story yet
        with self.storage.transaction():
            fresh = [(record, result) for record, result in prepared if isinstance(result, NewArticle)]
            ids = self.storage.write([result for _, result in fresh]) if fresh else []
            written = {id(record): article_id for (record, _), article_id in zip(fresh, ids, strict=True)}
            for record, result in prepared:
                if isinstance(result, Failure):
                    record.state, record.note = "failed", result.reason
                    outcome.failed[record.key] = result.reason
                    continue
                article_id = written.get(id(record))
                if article_id is None:
                    record.state = "duplicate"
                    record.note = record.note or "the same URL or text is in the archive"
                    outcome.duplicates.append(record.key)
                else:
                    record.state, record.article_id = "stored", article_id
                    outcome.added[record.key] = article_id
                    added.append((article_id, result))
            if added:
                self._add_to_stories(added)
                outcome.alerts = self._match(added, outcome.notes)
            records = [*items, *(record for record, _ in prepared)]
            if records:
                self.storage.save_items(feed_url, records)
            if state is not None:
                self.storage.save_feed(state)
        return outcome

    def close(self) -> None:
        if self.owned:
            self.storage.close()

    # -- stories --------------------------------------------------------------------------------

    def _add_to_stories(self, added: list[tuple[int, NewArticle]]) -> None:
        clusters: dict[int, list[int]] = {}
        for article_id, article in added:
            names = [e.get("name", "") for e in article.doc.get("entities") or () if isinstance(e, dict)]
            key = f"{article.title_key or ''}\n{article.body_key}" if article.body_key is not None else None
            text = f"{article.title}\n{article.doc['text']}" if article.title else article.doc["text"]
            story = self._clusterer.add(article_id, text, article.published, entities=names, key=key)
            clusters.setdefault(int(story), []).append(article_id)
        self.storage.set_stories(clusters, replace=False)
        self._forget()

    def _load_stories(self) -> Any:
        """A clusterer holding the recent days' articles in their stored stories; recent articles in no
        story yet (ingested since) join stories now."""
        from khabar.archive.runner import assign_stories
        from khabar.archive.stories import StoryClusterer

        clusterer = StoryClusterer()
        since = dt.date.fromtimestamp(self.clock()) - dt.timedelta(days=clusterer.window_days + 1)
        if any(True for _ in self.storage.story_items(unclustered=True, since=since.isoformat())):
            assign_stories(self.storage)
        for item in self.storage.story_items(since=since.isoformat()):
            if item.story_id is not None:
                clusterer.add_stored(item.id, _story_text(item), item.published, story_id=item.story_id,
                                     entities=item.entities)
        return clusterer

    def _forget(self) -> None:
        """Keep only the window's articles in memory: a watcher that runs for months stays as small."""
        today = dt.date.fromtimestamp(self.clock())
        if self._forgotten != today:
            self._forgotten = today
            self._clusterer.forget_before(today - dt.timedelta(days=self._clusterer.window_days + 1), entirely=True)

    # -- saved searches -------------------------------------------------------------------------

    def _match(self, added: list[tuple[int, NewArticle]], notes: list[str]) -> list[AlertMatch]:
        from khabar.archive.search import search

        ids = [article_id for article_id, _ in added]
        now = _iso(self.clock())
        found: list[AlertMatch] = []
        rows: list[tuple[int, int, str]] = []
        for alert in self.storage.alerts():
            assert alert.id is not None
            try:
                results = search(self.storage, alert.query, person=alert.person, org=alert.org, place=alert.place,
                                 source=alert.source, has_quotes=alert.has_quotes, ids=ids, limit=len(ids))
            except Exception as err:  # one broken saved search must not stop the articles being stored
                notes.append(f"the saved search «{alert.name}» failed ({type(err).__name__}: {err})")
                continue
            for r in results.results:
                rows.append((alert.id, r.id, now))
                found.append(AlertMatch(alert.name, r.id, now, r.title, r.url, r.source, r.published,
                                        r.snippet.text))
        if rows:
            self.storage.add_matches(rows)
        return found


# -- saved searches, for the CLI and the API --------------------------------------------------------

def add_alert(storage: Storage, name: str, query: str = "", *, person: str | None = None, org: str | None = None,
              place: str | None = None, source: str | None = None, has_quotes: bool = False) -> Alert:
    """Save a search; every article stored from now on is matched against it.

    The query is checked now (:class:`InvalidInput` for one the search language cannot read), and a
    search must say something: a query or at least one facet.
    """
    from khabar.archive.parser import parse_query

    check_name(name)
    parse_query(query or "")
    facets = {"person": person, "org": org, "place": place, "source": source}
    if not (query or "").strip() and not any(facets.values()) and not has_quotes:
        raise InvalidInput("an alert needs a query or a facet (--person, --org, --place, --source, --has-quotes); "
                           "one that matches every article would be every article")
    clean = {k: (v.strip() or None) if v else None for k, v in facets.items()}
    return storage.add_alert(Alert(name, query or "", person=clean["person"], org=clean["org"], place=clean["place"],
                                   source=clean["source"], has_quotes=has_quotes, created=_iso(time.time())))


def list_alerts(storage: Storage) -> list[Alert]:
    return storage.alerts()


def find_alert(storage: Storage, name: str) -> Alert:
    """The saved search ``name``; :class:`NotFoundError` naming the ones there are."""
    alerts = storage.alerts()
    for alert in alerts:
        if alert.name == name:
            return alert
    known = ", ".join(a.name for a in alerts[:20]) or "none yet (khabar alert add NAME QUERY)"
    raise NotFoundError(f"no alert named {name!r} (saved: {known})")


def remove_alert(storage: Storage, name: str) -> None:
    if not storage.remove_alert(name):
        find_alert(storage, name)  # raises, naming the alerts there are


def alert_matches(storage: Storage, name: str, *, since: str | None = None, limit: int = 100) -> list[AlertMatch]:
    """The articles an alert matched, newest first; ``since`` a date (Jalali or Gregorian) or ISO time."""
    alert = find_alert(storage, name)
    assert alert.id is not None
    bound = None
    if since:
        if "T" in since:
            bound = since
        else:
            from khabar.archive.search import parse_date

            bound = parse_date(since)
    return storage.alert_matches(alert.id, since=bound, limit=limit)


def _story_text(item: StoryItem) -> str:
    return f"{item.title}\n{item.text}" if item.title else item.text


def _iso(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, dt.UTC).isoformat(timespec="seconds")
