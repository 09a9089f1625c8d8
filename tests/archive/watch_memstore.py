"""An in-memory WatchStore: the watch loop's tests before the archive keeps feed state."""

from __future__ import annotations

import copy
import threading
from collections.abc import Sequence
from dataclasses import replace

from khabar.archive.keys import content_key
from khabar.archive.watch import FeedState, ItemRecord, StoreOutcome
from khabar.ingest import RawArticle


class MemoryStore:
    def __init__(self) -> None:
        self.feeds: dict[str, FeedState] = {}
        self.items_by_feed: dict[str, dict[str, ItemRecord]] = {}
        self.articles: list[RawArticle] = []
        self.urls: dict[str, int] = {}
        self.keys: dict[str, int] = {}
        self.thread: int | None = None
        self.closed = False
        self.lock = threading.Lock()

    def _check_thread(self) -> None:
        me = threading.get_ident()
        assert self.thread in (None, me), "the store is used from one thread only"
        self.thread = me

    def watch_feeds(self, urls: Sequence[str] | None) -> list[FeedState]:
        self._check_thread()
        self.closed = False
        for url in urls or ():
            self.feeds.setdefault(url, FeedState(url))
        return [replace(self.feeds[u]) for u in (urls if urls is not None else list(self.feeds))]

    def items(self, feed_url: str, keys: Sequence[str]) -> dict[str, ItemRecord]:
        self._check_thread()
        known = self.items_by_feed.get(feed_url, {})
        return {k: copy.deepcopy(known[k]) for k in keys if k in known}

    def pending(self, feed_url: str, *, limit: int) -> list[ItemRecord]:
        self._check_thread()
        found = [r for r in self.items_by_feed.get(feed_url, {}).values() if r.state == "pending"]
        return [copy.deepcopy(r) for r in sorted(found, key=lambda r: r.first_seen)[:limit]]

    def has_url(self, url: str) -> bool:
        self._check_thread()
        return url in self.urls

    def save(self, feed: FeedState, items: Sequence[ItemRecord],
             articles: Sequence[tuple[ItemRecord, RawArticle]]) -> StoreOutcome:
        self._check_thread()
        outcome = StoreOutcome()
        records = self.items_by_feed.setdefault(feed.url, {})
        for record, article in articles:
            key = content_key(article.text)
            if (article.url and article.url in self.urls) or key in self.keys:
                record.state = "duplicate"
                outcome.duplicates.append(record.key)
            else:
                self.articles.append(article)
                article_id = len(self.articles)
                if article.url:
                    self.urls[article.url] = article_id
                self.keys[key] = article_id
                record.state, record.article_id, record.data = "stored", article_id, None
                outcome.added[record.key] = article_id
            records[record.key] = copy.deepcopy(record)
        for record in items:
            records[record.key] = copy.deepcopy(record)
        self.feeds[feed.url] = replace(feed)
        return outcome

    def close(self) -> None:
        self.closed = True
        self.thread = None
