"""Reading the SQLite archive: articles, entities, outlets, statements, person pages, stories."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

from khabar.archive.storage.base import StoredArticle
from khabar.archive.storage.sqlite.connection import Connection
from khabar.codec import unpack_doc
from khabar.errors import NotFoundError

_ARTICLE_COLUMNS = ("a.id, a.doc, a.raw_text, a.text, a.content_key, a.title, a.url, a.published, a.author, "
                    "o.name, a.origin, a.kind, a.analysis, a.story_id, a.added")


def _like_words(key: str) -> str:
    """A LIKE pattern matching ``key`` as whole words inside a space-padded value."""
    escaped = key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"% {escaped} %"


class Queries(Connection):
    """What the archive reads, besides search."""

    def unclustered(self) -> int:
        """How many articles have no story yet (added since the last clustering)."""
        return int(self._query("SELECT COUNT(*) FROM articles WHERE story_id IS NULL")[0][0])

    def story_items(self, *, batch: int = 2000) -> Iterator[dict[str, Any]]:
        """``{id, text, published, title, entities}`` of every article, oldest first, undated last (what
        story clustering reads)."""
        ids = [r[0] for r in self._query("SELECT id FROM articles ORDER BY published IS NULL, published, id")]
        for i in range(0, len(ids), batch):
            part = ids[i:i + batch]
            marks = ",".join("?" * len(part))
            found = {r[0]: r[1:] for r in self._query(f"SELECT id, text, published, title FROM articles "
                                                       f"WHERE id IN ({marks})", part)}
            names: dict[int, list[str]] = {}
            for aid, name in self._query(
                    "SELECT ae.article_id, e.name FROM article_entities ae JOIN entities e ON e.id = ae.entity_id "
                    f"WHERE ae.article_id IN ({marks}) ORDER BY e.id", part):
                names.setdefault(aid, []).append(name)
            for aid in part:
                text, published, title = found[aid]
                yield {"id": aid, "text": text, "published": published, "title": title or "",
                       "entities": names.get(aid, [])}

    # -- reading --------------------------------------------------------------------------------

    def has_url(self, url: str) -> bool:
        return bool(self._query("SELECT 1 FROM articles WHERE url = ?", (url,)))

    def has_content(self, content_key: str) -> bool:
        return bool(self._query("SELECT 1 FROM articles WHERE content_key = ?", (content_key,)))

    def _article(self, row: Sequence[Any]) -> StoredArticle:
        return StoredArticle(id=row[0], doc=unpack_doc(row[1], row[2], row[3]), content_key=row[4], title=row[5],
                             url=row[6], published=row[7], author=row[8], outlet=row[9], origin=row[10],
                             kind=row[11], analysis=row[12], story_id=row[13], added=row[14])

    def get(self, article_id: int) -> StoredArticle:
        rows = self._query(f"SELECT {_ARTICLE_COLUMNS} FROM articles a LEFT JOIN outlets o ON o.id = a.outlet_id "
                           "WHERE a.id = ?", (article_id,))
        if not rows:
            raise NotFoundError(f"no article {article_id} in {self.path} (search for ids with `khabar search`)")
        return self._article(rows[0])

    def iter_articles(self, *, analysis: str | None = None, batch: int = 500) -> Iterator[StoredArticle]:
        last = 0
        where = "AND a.analysis = ?" if analysis else ""
        while True:
            params: list[Any] = [last, *([analysis] if analysis else []), batch]
            rows = self._query(f"SELECT {_ARTICLE_COLUMNS} FROM articles a LEFT JOIN outlets o ON o.id = a.outlet_id "
                               f"WHERE a.id > ? {where} ORDER BY a.id LIMIT ?", params)
            if not rows:
                return
            for row in rows:
                yield self._article(row)
            last = rows[-1][0]

    def count(self) -> int:
        return int(self._query("SELECT COUNT(*) FROM articles")[0][0])

    def stats(self) -> dict[str, int]:
        out = {}
        for table in ("articles", "outlets", "entities", "mentions", "quotes", "events", "dates", "stories"):
            out[table] = int(self._query(f"SELECT COUNT(*) FROM {table}")[0][0])
        return out

    def find_entities(self, name_key: str, labels: Sequence[str] | None = None) -> list[dict[str, Any]]:
        if not name_key:
            return []
        sql = ("SELECT DISTINCT e.id, e.name, e.label, e.aliases, e.titles FROM entity_names n "
               "JOIN entities e ON e.id = n.entity_id WHERE (' ' || n.key || ' ') LIKE ? ESCAPE '\\'")
        params: list[Any] = [_like_words(name_key)]
        if labels:
            sql += f" AND e.label IN ({','.join('?' * len(labels))})"
            params += list(labels)
        rows = self._query(sql + " ORDER BY e.name LIMIT 200", params)
        return [{"id": r[0], "name": r[1], "label": r[2], "aliases": json.loads(r[3]), "titles": json.loads(r[4])}
                for r in rows]

    def find_outlets(self, name_key: str) -> list[int]:
        rows = self._query("SELECT id FROM outlets WHERE (' ' || key || ' ') LIKE ? ESCAPE '\\'",
                           (_like_words(name_key),))
        return [int(r[0]) for r in rows]

    def statements(self, entity_ids: Sequence[str], about_key: str | None = None,
                   *, limit: int = 50) -> list[dict[str, Any]]:
        if not entity_ids:
            return []
        marks = ",".join("?" * len(entity_ids))
        sql = ("SELECT q.article_id, a.title, a.published, o.name, q.speaker, q.cue, q.content, q.kind, e.name "
               "FROM quotes q JOIN articles a ON a.id = q.article_id LEFT JOIN outlets o ON o.id = a.outlet_id "
               f"LEFT JOIN entities e ON e.id = q.speaker_entity WHERE q.speaker_entity IN ({marks})")
        params: list[Any] = list(entity_ids)
        if about_key:
            sql += " AND (' ' || q.content_key || ' ') LIKE ? ESCAPE '\\'"
            params.append(_like_words(about_key))
        rows = self._query(sql + " ORDER BY a.published DESC, q.id LIMIT ?", [*params, limit])
        return [{"article": r[0], "title": r[1], "published": r[2], "source": r[3], "speaker": r[8] or r[4],
                 "cue": r[5], "content": r[6], "kind": r[7]} for r in rows]

    def co_occurring(self, entity_ids: Sequence[str], candidates: Sequence[str]) -> list[str]:
        """The candidates that are mentioned in at least one article with one of ``entity_ids``."""
        out = []
        marks = ",".join("?" * len(entity_ids))
        for cand in candidates:
            row = self._query(
                "SELECT 1 FROM article_entities a1 JOIN article_entities a2 ON a2.article_id = a1.article_id "
                f"WHERE a1.entity_id = ? AND a2.entity_id IN ({marks}) LIMIT 1", [cand, *entity_ids])
            if row:
                out.append(cand)
        return out

    def entity_article_counts(self, entity_ids: Sequence[str]) -> dict[str, int]:
        """How many articles mention each entity."""
        marks = ",".join("?" * len(entity_ids))
        rows = self._query(f"SELECT entity_id, COUNT(*) FROM article_entities WHERE entity_id IN ({marks}) "
                           "GROUP BY entity_id", list(entity_ids))
        return {r[0]: int(r[1]) for r in rows}

    def person(self, entity_ids: Sequence[str], *, limit: int = 20) -> dict[str, Any]:
        if not entity_ids:
            raise NotFoundError("no such person in the archive")
        marks = ",".join("?" * len(entity_ids))
        ids = list(entity_ids)
        ents = self._query(f"SELECT id, name, label, aliases, titles FROM entities WHERE id IN ({marks})", ids)
        titles: list[str] = []
        aliases: list[str] = []
        for e in ents:
            titles += [t for t in json.loads(e[4]) if t not in titles]
            aliases += [a for a in json.loads(e[3]) if a not in aliases]
        n_articles = self._query(f"SELECT COUNT(DISTINCT article_id) FROM article_entities WHERE entity_id IN ({marks})",
                                 ids)[0][0]
        articles = self._query(
            "SELECT a.id, a.title, a.published, o.name, substr(a.text, 1, 120) FROM articles a "
            "LEFT JOIN outlets o ON o.id = a.outlet_id "
            f"WHERE a.id IN (SELECT article_id FROM article_entities WHERE entity_id IN ({marks})) "
            "ORDER BY a.published DESC, a.id DESC LIMIT ?", [*ids, limit])
        meetings = self._query(
            "SELECT ev.id, ev.article_id, ev.type, ev.trigger, ev.date, ev.place, a.title, a.published, "
            "(SELECT group_concat(COALESCE(e.name, p.entity_id), '، ') FROM event_participants p "
            f" LEFT JOIN entities e ON e.id = p.entity_id WHERE p.event_id = ev.id AND p.entity_id NOT IN ({marks})), "
            "(SELECT name FROM entities WHERE id = ev.place) "
            "FROM events ev JOIN articles a ON a.id = ev.article_id "
            f"WHERE ev.id IN (SELECT event_id FROM event_participants WHERE entity_id IN ({marks})) "
            "ORDER BY a.published DESC, ev.id LIMIT ?", [*ids, *ids, limit])
        co = self._query(
            "SELECT e.id, e.name, e.label, COUNT(*) AS n FROM article_entities ae1 "
            "JOIN article_entities ae2 ON ae2.article_id = ae1.article_id "
            "JOIN entities e ON e.id = ae2.entity_id "
            f"WHERE ae1.entity_id IN ({marks}) AND ae2.entity_id NOT IN ({marks}) "
            "GROUP BY e.id ORDER BY n DESC, e.name LIMIT ?", [*ids, *ids, limit])
        return {
            "ids": ids,
            "name": ents[0][1] if ents else "",
            "label": ents[0][2] if ents else "",
            "aliases": aliases,
            "titles": titles,
            "article_count": int(n_articles),
            "articles": [{"id": r[0], "title": r[1], "published": r[2], "source": r[3], "lead": r[4]}
                         for r in articles],
            "statements": self.statements(ids, limit=limit),
            "meetings": [{"event": r[0], "article": r[1], "type": r[2], "trigger": r[3], "date": r[4] or r[7],
                          "with": r[8] or "", "place": r[9] or r[5], "title": r[6]} for r in meetings],
            "co_mentioned": [{"id": r[0], "name": r[1], "label": r[2], "articles": int(r[3])} for r in co],
        }

    def stories(self, *, limit: int = 20, min_size: int = 2) -> list[dict[str, Any]]:
        rows = self._query("SELECT id, title, size, outlets, first_published, last_published FROM stories "
                           "WHERE size >= ? ORDER BY outlets DESC, size DESC, last_published DESC LIMIT ?",
                           (min_size, limit))
        out = []
        for r in rows:
            members = self._query(
                "SELECT a.id, a.title, a.published, o.name, substr(a.text, 1, 120) FROM articles a "
                "LEFT JOIN outlets o ON o.id = a.outlet_id "
                "WHERE a.story_id = ? ORDER BY a.published IS NULL, a.published, a.id", (r[0],))
            out.append({"id": r[0], "title": r[1], "size": r[2], "outlets": r[3], "first_published": r[4],
                        "last_published": r[5],
                        "articles": [{"id": m[0], "title": m[1], "published": m[2], "source": m[3], "lead": m[4]}
                                     for m in members]})
        return out
