"""Reading the SQLite archive: articles, entities, outlets, person pages, stories.

Every list has a total order (ties broken by ids or positions, NULLs last), so that each backend
gives the same rows in the same order.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from itertools import pairwise
from typing import Any

from khabar.archive.models import (
    ArticleRef,
    CoMention,
    EntityProfile,
    EntityRecord,
    Meeting,
    SourceStats,
    Statement,
    StoredArticle,
    Story,
    StoryItem,
)
from khabar.archive.storage.sqlite.connection import Connection
from khabar.archive.storage.sqlite.fts import DAY_SHIFT
from khabar.codec import unpack_doc
from khabar.errors import NotFoundError

_ARTICLE_COLUMNS = ("a.id, a.doc, a.raw_text, a.text, a.content_key, a.title, a.url, a.published, a.author, "
                    "o.name, a.origin, a.kind, a.analysis, a.story_id, a.added")
LEAD_CHARS = 120
# An entity's co-mentions are counted among its newest articles, this many at most.
CO_MENTION_SAMPLE = 1000


def like_words(key: str, *, prefix: bool = False) -> str:
    """A LIKE pattern matching ``key`` as whole words inside a space-padded value (``prefix``: the
    last word may be the start of one)."""
    escaped = key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"% {escaped}%" if prefix else f"% {escaped} %"


def _marks(items: Sequence[Any]) -> str:
    return ",".join("?" * len(items))


def _article_count_sql(ids: Sequence[str]) -> tuple[str, list[str]]:
    """How many articles mention any of ``ids``, counted on ``article_entities``' key.

    The key is ``(entity_id, fts_key)`` and an article has one ``fts_key``, so an identity has one
    row per article: its articles are counted without ``DISTINCT`` (which sorts every article id into
    a temporary B-tree: 30 ms for a place in 87k of 1M articles, against 2 ms counted on the key).
    Each later identity adds the articles no earlier one has (a probe of the key per row), so an
    article mentioning two of them counts once.

    >>> _article_count_sql(["per:a", "per:b"])[0].count("NOT EXISTS")
    1
    """
    parts = []
    params: list[str] = []
    for i, eid in enumerate(ids):
        sql = "SELECT COUNT(*) FROM article_entities a WHERE a.entity_id = ?"
        params.append(eid)
        if i:
            sql += (" AND NOT EXISTS (SELECT 1 FROM article_entities b WHERE b.entity_id IN "
                    f"({_marks(ids[:i])}) AND b.fts_key = a.fts_key)")
            params += list(ids[:i])
        parts.append(f"({sql})")
    return "SELECT " + " + ".join(parts), params


class Queries(Connection):
    """What the archive reads, besides search."""

    # -- articles -----------------------------------------------------------------------------

    def _article(self, row: Sequence[Any]) -> StoredArticle:
        return StoredArticle(id=row[0], doc=unpack_doc(row[1], row[2], row[3]), content_key=row[4], title=row[5],
                             url=row[6], published=row[7], author=row[8], outlet=row[9], origin=row[10],
                             kind=row[11], analysis=row[12], story_id=row[13], added=row[14])

    def articles(self, ids: Sequence[int] | None = None, *, after: int = 0, limit: int = 500,
                 analysis: str | None = None) -> list[StoredArticle]:
        base = f"SELECT {_ARTICLE_COLUMNS} FROM articles a LEFT JOIN outlets o ON o.id = a.outlet_id "
        if ids is not None:
            found: dict[int, StoredArticle] = {}
            for i in range(0, len(ids), 500):
                part = [int(x) for x in ids[i:i + 500] if -(2**63) <= int(x) < 2**63]  # SQLite's integers
                for row in self._query(base + f"WHERE a.id IN ({_marks(part)})", part):
                    found[row[0]] = self._article(row)
            return [found[int(i)] for i in ids if int(i) in found]
        where = "AND a.analysis = ?" if analysis else ""
        params: list[Any] = [after, *([analysis] if analysis else []), limit]
        return [self._article(r) for r in self._query(base + f"WHERE a.id > ? {where} ORDER BY a.id LIMIT ?", params)]

    def get(self, article_id: int) -> StoredArticle:
        found = self.articles([article_id])
        if not found:
            self.missing(article_id)
            raise NotFoundError(f"no article {article_id} in {self.path} (search for ids with `khabar search`)")
        return found[0]

    def missing(self, article_id: int) -> None:
        # A damaged page can hide an article: its garbled row id is not found where it belongs, and
        # the ids around it come back out of order (a page or two read, only for an id not found).
        ids = [r[0] for r in self._query("SELECT id FROM articles WHERE id >= ? ORDER BY id LIMIT 64",
                                         [article_id - 32])]
        if any(b <= a for a, b in pairwise(ids)):
            raise self._damaged(f"the row of article {article_id} is unreadable: ids out of order around it")

    def known(self, *, urls: Sequence[str] = (), content_keys: Sequence[str] = ()) -> set[str]:
        out: set[str] = set()
        for column, values in (("url", list(urls)), ("content_key", list(content_keys))):
            for i in range(0, len(values), 500):
                part = values[i:i + 500]
                out.update(r[0] for r in self._query(f"SELECT {column} FROM articles WHERE {column} IN ({_marks(part)})",
                                                     part))
        return out

    def stored_after(self, after: int, *, urls: Sequence[str] = (),
                     content_keys: Sequence[str] = ()) -> dict[str, tuple[int, str | None]]:
        out: dict[str, tuple[int, str | None]] = {}
        for column, values in (("url", list(urls)), ("content_key", list(content_keys))):
            for i in range(0, len(values), 500):
                part = values[i:i + 500]
                for value, article_id, origin in self._query(
                        f"SELECT {column}, id, origin FROM articles WHERE {column} IN ({_marks(part)}) AND id > ?",
                        [*part, after]):
                    out[value] = (int(article_id), origin)
        return out

    def stats(self) -> dict[str, int]:
        out = {}
        for table in ("articles", "outlets", "entities", "mentions", "quotes", "events", "dates", "stories"):
            out[table] = int(self._query(f"SELECT COUNT(*) FROM {table}")[0][0])
        out["unclustered"] = int(self._query("SELECT COUNT(*) FROM articles WHERE story_id IS NULL")[0][0])
        return out

    # -- entities and people ------------------------------------------------------------------

    def entities(self, *, key: str | None = None, prefix: bool = False, labels: Sequence[str] | None = None,
                 ids: Sequence[str] | None = None, cooccurring_with: Sequence[str] | None = None,
                 with_counts: bool = False, limit: int = 200) -> list[EntityRecord]:
        if key is not None and not key.strip():
            return []
        where: list[str] = []
        params: list[Any] = []
        if key is not None:
            where.append("e.id IN (SELECT entity_id FROM entity_names WHERE (' ' || key || ' ') LIKE ? ESCAPE '\\')")
            params.append(like_words(key, prefix=prefix))
        if labels:
            where.append(f"e.label IN ({_marks(labels)})")
            params += list(labels)
        if ids is not None:
            if not ids:
                return []
            where.append(f"e.id IN ({_marks(ids)})")
            params += list(ids)
        if cooccurring_with is not None:
            if not cooccurring_with:
                return []
            where.append("EXISTS (SELECT 1 FROM article_entities a1 JOIN article_entities a2 "
                         "ON a2.article_id = a1.article_id WHERE a1.entity_id = e.id "
                         f"AND a2.entity_id IN ({_marks(cooccurring_with)}))")
            params += list(cooccurring_with)
        sql = "SELECT e.id, e.name, e.label, e.aliases, e.titles FROM entities e"
        if where:
            sql += " WHERE " + " AND ".join(where)
        rows = self._query(sql + " ORDER BY e.name, e.id LIMIT ?", [*params, limit])
        counts: dict[str, int] = {}
        if with_counts and rows:
            found = [r[0] for r in rows]
            counts = {r[0]: int(r[1]) for r in self._query(
                f"SELECT entity_id, COUNT(*) FROM article_entities WHERE entity_id IN ({_marks(found)}) "
                "GROUP BY entity_id", found)}
        return [EntityRecord(r[0], r[1], r[2], tuple(json.loads(r[3])), tuple(json.loads(r[4])),
                             counts.get(r[0], 0) if with_counts else None) for r in rows]

    def _statements(self, ids: Sequence[str], about_key: str | None, limit: int) -> list[Statement]:
        sql = ("SELECT q.article_id, a.title, a.published, o.name, q.speaker, q.cue, q.content, q.kind, e.name "
               "FROM quotes q JOIN articles a ON a.id = q.article_id LEFT JOIN outlets o ON o.id = a.outlet_id "
               f"LEFT JOIN entities e ON e.id = q.speaker_entity WHERE q.speaker_entity IN ({_marks(ids)})")
        params: list[Any] = list(ids)
        if about_key:
            sql += " AND (' ' || q.content_key || ' ') LIKE ? ESCAPE '\\'"
            params.append(like_words(about_key))
        rows = self._query(sql + ' ORDER BY a.published DESC NULLS LAST, q.article_id, q.start, q."end" LIMIT ?',
                           [*params, limit])
        return [Statement(r[0], r[1], r[2], r[3], r[8] or r[4], r[5], r[6], r[7]) for r in rows]

    def profile(self, ids: Sequence[str], *, limit: int = 20, about_key: str | None = None) -> EntityProfile:
        if not ids:
            raise NotFoundError("no such person in the archive")
        ids = list(ids)
        marks = _marks(ids)
        ents = self._query(f"SELECT id, name, label, aliases, titles FROM entities WHERE id IN ({marks}) ORDER BY id",
                           ids)
        titles: list[str] = []
        aliases: list[str] = []
        for e in ents:
            titles += [t for t in json.loads(e[4]) if t not in titles]
            aliases += [a for a in json.loads(e[3]) if a not in aliases]
        n_articles = self._query(*_article_count_sql(ids))[0][0]
        # The newest articles: only those of the days from the limit-th newest on are read and sorted
        # (the index is in day order; within a day the publication time decides), not every article.
        cut = self._query(f"SELECT fts_key FROM article_entities WHERE entity_id IN ({marks}) "
                          "ORDER BY fts_key DESC LIMIT 1 OFFSET ?", [*ids, max(limit - 1, 0)])
        floor = (cut[0][0] >> DAY_SHIFT) << DAY_SHIFT if cut else 0
        articles = self._query(
            f"SELECT a.id, a.title, a.published, o.name, substr(a.text, 1, {LEAD_CHARS}) FROM articles a "
            "LEFT JOIN outlets o ON o.id = a.outlet_id "
            f"WHERE a.id IN (SELECT article_id FROM article_entities WHERE entity_id IN ({marks}) AND fts_key >= ?) "
            "ORDER BY a.published DESC NULLS LAST, a.id DESC LIMIT ?", [*ids, floor, limit])
        meetings = self._query(
            "SELECT ev.id, ev.article_id, ev.type, ev.trigger, ev.date, ev.place, a.title, a.published, "
            "(SELECT name FROM entities WHERE id = ev.place) "
            "FROM events ev JOIN articles a ON a.id = ev.article_id "
            f"WHERE ev.id IN (SELECT event_id FROM event_participants WHERE entity_id IN ({marks})) "
            "ORDER BY a.published DESC NULLS LAST, ev.article_id, ev.start, ev.id LIMIT ?", [*ids, limit])
        others: dict[int, list[str]] = {}
        if meetings:
            events = [m[0] for m in meetings]
            for event_id, name in self._query(
                    "SELECT p.event_id, COALESCE(e.name, p.entity_id) FROM event_participants p "
                    f"LEFT JOIN entities e ON e.id = p.entity_id WHERE p.event_id IN ({_marks(events)}) "
                    f"AND p.entity_id NOT IN ({marks}) ORDER BY p.event_id, p.entity_id", [*events, *ids]):
                others.setdefault(event_id, []).append(name)
        # Co-mentions among the newest CO_MENTION_SAMPLE articles: a name in 100k articles would
        # otherwise join every one of them on every page view.
        # Counted by id on the article index alone, then the entities of the counts looked up (a few
        # hundred), not one entity row per co-mention (thousands).
        co = self._query(
            "SELECT e.id, e.name, e.label, c.n FROM "
            "(SELECT ae2.entity_id AS id, COUNT(*) AS n FROM "
            f"(SELECT article_id FROM article_entities WHERE entity_id IN ({marks}) ORDER BY fts_key DESC LIMIT ?) ae1 "
            "JOIN article_entities ae2 ON ae2.article_id = ae1.article_id "
            f"WHERE ae2.entity_id NOT IN ({marks}) GROUP BY ae2.entity_id) c "
            "JOIN entities e ON e.id = c.id "
            "ORDER BY c.n DESC, e.name, e.id LIMIT ?", [*ids, CO_MENTION_SAMPLE, *ids, limit])
        first = ents[0] if ents else None
        return EntityProfile(
            ids=ids, name=first[1] if first else "", label=first[2] if first else "", aliases=aliases, titles=titles,
            article_count=int(n_articles),
            articles=[ArticleRef(r[0], r[1], r[2], r[3], r[4]) for r in articles],
            statements=self._statements(ids, about_key, limit),
            meetings=[Meeting(r[0], r[1], r[2], r[3], r[4] or r[7], "، ".join(others.get(r[0], [])), r[8] or r[5], r[6])
                      for r in meetings],
            co_mentioned=[CoMention(r[0], r[1], r[2], int(r[3])) for r in co])

    # -- stories and sources ------------------------------------------------------------------

    def stories(self, *, limit: int = 20, min_size: int = 2, story_id: int | None = None) -> list[Story]:
        if story_id is not None:
            rows = self._query("SELECT id, title, size, outlets, first_published, last_published FROM stories "
                               "WHERE id = ?", (story_id,))
        else:
            rows = self._query("SELECT id, title, size, outlets, first_published, last_published FROM stories "
                               "WHERE size >= ? ORDER BY outlets DESC, size DESC, last_published DESC NULLS LAST, id "
                               "LIMIT ?", (min_size, limit))
        out = []
        for r in rows:
            members = self._query(
                f"SELECT a.id, a.title, a.published, o.name, substr(a.text, 1, {LEAD_CHARS}) FROM articles a "
                "LEFT JOIN outlets o ON o.id = a.outlet_id "
                "WHERE a.story_id = ? ORDER BY a.published IS NULL, a.published, a.id", (r[0],))
            out.append(Story(r[0], r[1], r[2], r[3], r[4], r[5], tuple(ArticleRef(*m) for m in members)))
        return out

    def story_items(self, *, unclustered: bool = False, since: str | None = None, until: str | None = None,
                    batch: int = 2000) -> Iterator[StoryItem]:
        where: list[str] = []
        params: list[Any] = []
        if unclustered:
            where.append("story_id IS NULL")
        if since is not None:
            where.append("published >= ?")
            params.append(since)
        if until is not None:
            where.append("published < ?")
            params.append(until)
        cond = f"WHERE {' AND '.join(where)} " if where else ""
        ids = [r[0] for r in self._query(f"SELECT id FROM articles {cond}ORDER BY published IS NULL, published, id",
                                         params)]
        for i in range(0, len(ids), batch):
            part = ids[i:i + batch]
            marks = _marks(part)
            found = {r[0]: r[1:] for r in self._query(f"SELECT id, text, published, title, story_id FROM articles "
                                                       f"WHERE id IN ({marks})", part)}
            names: dict[int, list[str]] = {}
            for aid, name in self._query(
                    "SELECT ae.article_id, e.name FROM article_entities ae JOIN entities e ON e.id = ae.entity_id "
                    f"WHERE ae.article_id IN ({marks}) ORDER BY e.id", part):
                names.setdefault(aid, []).append(name)
            for aid in part:
                text, published, title, story_id = found[aid]
                yield StoryItem(aid, text, published, title or "", tuple(names.get(aid, [])), story_id)

    def sources(self, *, key: str | None = None, counts: bool = True) -> list[tuple[int, SourceStats]]:
        where, params = "", []
        if key is not None:
            where = "WHERE (' ' || o.key || ' ') LIKE ? ESCAPE '\\' "
            params.append(like_words(key))
        if not counts:
            rows = self._query(f"SELECT o.id, o.name FROM outlets o {where}ORDER BY o.name, o.id", params)
            return [(int(r[0]), SourceStats(r[1], 0, None, None)) for r in rows]
        rows = self._query(
            "SELECT o.id, o.name, COUNT(a.id) AS n, MIN(a.published), MAX(a.published) FROM outlets o "
            f"LEFT JOIN articles a ON a.outlet_id = o.id {where}GROUP BY o.id ORDER BY n DESC, o.name, o.id", params)
        return [(int(r[0]), SourceStats(r[1], int(r[2]), r[3], r[4])) for r in rows]
