"""Following outlets in the SQLite archive: feeds, the items they listed, saved searches and their matches."""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Iterator, Sequence
from typing import Any

from khabar.archive.models import Alert, AlertMatch, FeedState, ItemRecord
from khabar.archive.storage.sqlite.connection import Connection
from khabar.errors import InvalidInput, NotFoundError

_FEED_COLUMNS = ("url", "title", "etag", "last_modified", "last_poll", "last_status", "last_error", "error_kind",
                 "failures", "next_poll", "last_new", "polls", "added")
_ITEM_COLUMNS = "key, url, state, attempts, first_seen, article_id, note, data"
_BATCH = 500


def _feed(row: Sequence[Any]) -> FeedState:
    return FeedState(**dict(zip(_FEED_COLUMNS, row, strict=True)))


def _item(row: Sequence[Any]) -> ItemRecord:
    key, url, state, attempts, first_seen, article_id, note, data = row
    return ItemRecord(key, url, state, attempts, first_seen, article_id, note, json.loads(data) if data else None)


def _alert(row: Sequence[Any]) -> Alert:
    alert_id, name, query, facets, created = row
    f = json.loads(facets or "{}")
    return Alert(name, query, person=f.get("person"), org=f.get("org"), place=f.get("place"), source=f.get("source"),
                 has_quotes=bool(f.get("has_quotes")), created=created, id=alert_id)


class Following(Connection):
    """Feeds, items, alerts and matches (the ``Following`` part of the storage interface)."""

    @contextlib.contextmanager
    def _write(self) -> Iterator[None]:
        """A write transaction whose errors (disk full, locked) come out as StorageError."""
        try:
            with self.transaction():
                yield
        except sqlite3.IntegrityError:
            raise
        except sqlite3.Error as err:
            raise self._error(err) from None

    def follow(self, urls: Sequence[str], *, now: float) -> None:
        with self._write():
            self.db.executemany("INSERT OR IGNORE INTO feeds (url, added, next_poll) VALUES (?, ?, 0)",
                                [(u, now) for u in urls])

    def feeds(self, urls: Sequence[str] | None = None) -> list[FeedState]:
        columns = ", ".join(_FEED_COLUMNS)
        if urls is None:
            return [_feed(r) for r in self._query(f"SELECT {columns} FROM feeds ORDER BY id")]
        found: dict[str, FeedState] = {}
        for i in range(0, len(urls), _BATCH):
            part = list(urls[i:i + _BATCH])
            for r in self._query(f"SELECT {columns} FROM feeds WHERE url IN ({','.join('?' * len(part))})", part):
                found[r[0]] = _feed(r)
        return [found[u] for u in urls if u in found]

    def save_feed(self, feed: FeedState) -> None:
        columns = [c for c in _FEED_COLUMNS if c not in ("url", "added")]  # `added` is set once, by follow()
        with self._write():
            changed = self.db.execute(f"UPDATE feeds SET {', '.join(f'{c} = ?' for c in columns)} WHERE url = ?",
                                      [*(getattr(feed, c) for c in columns), feed.url]).rowcount
        if not changed:
            raise NotFoundError(f"feed {feed.url} is not followed (register it first)")

    def unfollow(self, url: str) -> bool:
        with self._write():
            return bool(self.db.execute("DELETE FROM feeds WHERE url = ?", (url,)).rowcount)

    def _feed_id(self, url: str) -> int:
        rows = self._query("SELECT id FROM feeds WHERE url = ?", (url,))
        if not rows:
            raise NotFoundError(f"feed {url} is not followed (register it first)")
        return int(rows[0][0])

    def feed_items(self, feed_url: str, keys: Sequence[str]) -> dict[str, ItemRecord]:
        feed_id = self._feed_id(feed_url)
        out: dict[str, ItemRecord] = {}
        for i in range(0, len(keys), _BATCH):
            part = list(keys[i:i + _BATCH])
            for r in self._query(f"SELECT {_ITEM_COLUMNS} FROM feed_items WHERE feed_id = ? AND key IN "
                                 f"({','.join('?' * len(part))})", [feed_id, *part]):
                out[r[0]] = _item(r)
        return out

    def pending_items(self, feed_url: str, *, limit: int) -> list[ItemRecord]:
        feed_id = self._feed_id(feed_url)
        return [_item(r) for r in self._query(
            f"SELECT {_ITEM_COLUMNS} FROM feed_items WHERE feed_id = ? AND state = 'pending' "
            "ORDER BY first_seen, key LIMIT ?", (feed_id, limit))]

    def save_items(self, feed_url: str, items: Sequence[ItemRecord]) -> None:
        if not items:
            return
        feed_id = self._feed_id(feed_url)
        rows = [(feed_id, r.key, r.url, r.state, r.attempts, r.first_seen, r.article_id, r.note,
                 json.dumps(r.data, ensure_ascii=False) if r.data is not None and r.state == "pending" else None)
                for r in items]
        with self._write():
            self.db.executemany(
                "INSERT OR REPLACE INTO feed_items (feed_id, key, url, state, attempts, first_seen, article_id, note, "
                "data) VALUES (?,?,?,?,?,?,?,?,?)", rows)

    def forget_items(self, before: float) -> int:
        with self._write():
            return int(self.db.execute("DELETE FROM feed_items WHERE first_seen < ? AND state != 'pending'",
                                       (before,)).rowcount)

    def item_counts(self) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        for url, state, n in self._query("SELECT f.url, i.state, COUNT(*) FROM feed_items i JOIN feeds f "
                                         "ON f.id = i.feed_id GROUP BY f.url, i.state"):
            out.setdefault(url, {})[state] = n
        return out

    # -- saved searches ---------------------------------------------------------------------------

    def add_alert(self, alert: Alert) -> Alert:
        facets = json.dumps(alert.facets(), ensure_ascii=False, sort_keys=True)
        try:
            with self._write():
                alert_id = self.db.execute("INSERT INTO alerts (name, query, facets, created) VALUES (?, ?, ?, ?)",
                                           (alert.name, alert.query, facets, alert.created)).lastrowid
        except sqlite3.IntegrityError:
            raise InvalidInput(f"an alert named {alert.name!r} exists (remove it first, or choose another name)") \
                from None
        return _alert((alert_id, alert.name, alert.query, facets, alert.created))

    def alerts(self) -> list[Alert]:
        return [_alert(r) for r in self._query("SELECT id, name, query, facets, created FROM alerts ORDER BY name")]

    def remove_alert(self, name: str) -> bool:
        with self._write():
            return bool(self.db.execute("DELETE FROM alerts WHERE name = ?", (name,)).rowcount)

    def add_matches(self, matches: Sequence[tuple[int, int, str]]) -> int:
        if not matches:
            return 0
        with self._write():
            before = self.db.total_changes
            self.db.executemany("INSERT OR IGNORE INTO alert_matches (alert_id, article_id, matched_at) "
                                "VALUES (?, ?, ?)", matches)
            return self.db.total_changes - before

    def alert_matches(self, alert_id: int, *, since: str | None = None, limit: int = 100) -> list[AlertMatch]:
        rows = self._query(
            "SELECT al.name, m.article_id, m.matched_at, a.title, a.url, o.name, a.published, substr(a.text, 1, 300) "
            "FROM alert_matches m JOIN alerts al ON al.id = m.alert_id JOIN articles a ON a.id = m.article_id "
            "LEFT JOIN outlets o ON o.id = a.outlet_id WHERE m.alert_id = ? AND m.matched_at >= ? "
            "ORDER BY m.matched_at DESC, m.article_id DESC LIMIT ?", (alert_id, since or "", limit))
        return [AlertMatch(*r) for r in rows]
