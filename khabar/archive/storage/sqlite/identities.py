"""The SQLite archive's identities across articles: the rows :mod:`khabar.archive.identities` decides.

An article's entity ids (the Document's) are mapped to archive identities when it is stored; the
mentions, statements, meetings and facets of the article are written under the identities, and
``identity_links`` keeps each mapping with its reason. Reads here serve the resolver (lookup keys,
what an identity is known by, who held an office) and the entity pages (forms and titles with
their dates, the history of merges and splits).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from khabar.archive.models import ArticleLinks, IdentityRecord, RoleLink
from khabar.archive.storage.sqlite.connection import Connection

# The label of an entity that stands for a role no one could be named for, kept to its article.
ROLE_LABEL = "ROLE"


def scoped(local: str, article_id: int) -> str:
    """The id of an entity kept to its article (a role no one could be named for)."""
    return f"{local}@{article_id}"


_ROLE_COLUMNS = 'start, "end", raw_start, raw_end, text, office, identity_id, reason, speaker, entity'


def _role(r: Sequence[Any]) -> RoleLink:
    return RoleLink(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7] or "", bool(r[8]), r[9] or "")


class Identities(Connection):
    """Identity rows of the SQLite archive (see the module docstring)."""

    # -- for the resolver -------------------------------------------------------------------------

    def identity_lookup(self, keys: Sequence[str]) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        keys = list(keys)
        for i in range(0, len(keys), 500):
            part = keys[i:i + 500]
            rows = self._query(f"SELECT key, identity_id FROM identity_keys WHERE key IN ({','.join('?' * len(part))}) "
                               "ORDER BY key, identity_id", part)
            for key, ident in rows:
                out.setdefault(key, []).append(ident)
        return out

    def identity_exists(self, identity: str) -> bool:
        return bool(self._query("SELECT 1 FROM entities WHERE id = ? UNION ALL "
                                "SELECT 1 FROM identity_redirects WHERE old_id = ?", (identity, identity)))

    def identity_records(self, ids: Sequence[str]) -> list[IdentityRecord]:
        out = []
        for ident in dict.fromkeys(ids):
            row = self._query("SELECT id, name, label FROM entities WHERE id = ?", (ident,))
            if not row:
                continue
            articles = self._query("SELECT COUNT(*) FROM article_entities WHERE entity_id = ?", (ident,))[0][0]
            forms: dict[str, int] = {}
            titles: dict[str, tuple[str | None, str | None, int]] = {}
            honorifics: list[str] = []
            for kind, key, first, last, n in self._query(
                    "SELECT kind, key, MIN(published), MAX(published), COUNT(*) FROM identity_names "
                    "WHERE identity_id = ? GROUP BY kind, key", (ident,)):
                if kind == "form":
                    forms[key] = int(n)
                elif kind == "title":
                    titles[key] = (first and first[:10], last and last[:10], int(n))
                elif kind == "honorific":
                    honorifics.append(key)
            outlets = [r[0] for r in self._query(
                "SELECT DISTINCT o.name FROM articles a JOIN outlets o ON o.id = a.outlet_id WHERE a.id IN "
                "(SELECT article_id FROM identity_links WHERE identity_id = ? LIMIT 200)", (ident,))]
            out.append(IdentityRecord(row[0][0], row[0][2], row[0][1], int(articles), forms, titles,
                                      tuple(honorifics), tuple(outlets)))
        return out

    def role_holders(self, office: str) -> list[tuple[str, str | None, str | None, int]]:
        rows = self._query("SELECT identity_id, MIN(published), MAX(published), COUNT(*) FROM identity_names "
                           "WHERE kind = 'title' AND key = ? GROUP BY identity_id ORDER BY identity_id", (office,))
        return [(r[0], r[1] and r[1][:10], r[2] and r[2][:10], int(r[3])) for r in rows]

    def co_mention_counts(self, ids: Sequence[str], context: Sequence[str], *, cap: int = 20) -> dict[str, int]:
        if not ids or not context:
            return {}
        marks = ",".join("?" * len(context))
        out = {}
        for ident in dict.fromkeys(ids):
            n = self._query(
                "SELECT COUNT(*) FROM (SELECT DISTINCT a1.article_id FROM article_entities a1 "
                f"JOIN article_entities a2 ON a2.article_id = a1.article_id AND a2.entity_id IN ({marks}) "
                "WHERE a1.entity_id = ? LIMIT ?)", [*context, ident, cap])[0][0]
            out[ident] = int(n)
        return out

    # -- written with an article ------------------------------------------------------------------

    def _identity_map(self, article_id: int, links: ArticleLinks | None) -> Callable[[str | None], str | None]:
        """How this article's entity ids are written: as their identities (or kept to the article)."""
        ids = links.ids if links is not None else {}

        def to(local: str | None) -> str | None:
            if local is None or local not in ids:
                return local
            return ids[local] or scoped(local, article_id)

        return to

    def _write_links(self, article_id: int, links: ArticleLinks | None) -> None:
        if links is None:
            return
        db = self.db
        for ident, name, label in links.new:
            db.execute("INSERT OR IGNORE INTO entities (id, name, label, aliases, titles) VALUES (?,?,?,'[]','[]')",
                       (ident, name, label))
        db.executemany("INSERT OR IGNORE INTO identity_keys (key, identity_id) VALUES (?, ?)", links.keys)
        db.executemany(
            "INSERT INTO identity_names (identity_id, article_id, kind, key, text, published) VALUES (?,?,?,?,?,?)",
            [(ident, article_id, kind, key, text, links.published) for ident, kind, key, text in links.names])
        db.executemany(
            "INSERT OR REPLACE INTO identity_links (article_id, local_id, identity_id, reason) VALUES (?,?,?,?)",
            [(article_id, local, ident or scoped(local, article_id), links.reasons.get(local))
             for local, ident in links.ids.items()])
        db.executemany(
            'INSERT INTO role_mentions (article_id, start, "end", raw_start, raw_end, text, office, identity_id, reason, '
            "speaker, entity) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            [(article_id, r.start, r.end, r.raw_start, r.raw_end, r.text, r.office, r.identity, r.reason, int(r.speaker),
              r.entity) for r in links.roles])

    def _drop_links(self, article_id: int) -> None:
        """Forget what an article told of identities (before it is analysed again)."""
        db = self.db
        for table in ("identity_names", "identity_links", "role_mentions"):
            db.execute(f"DELETE FROM {table} WHERE article_id = ?", (article_id,))

    def _drop_scoped(self, article_id: int) -> None:
        self.db.execute("DELETE FROM entities WHERE label = ? AND id LIKE ?", (ROLE_LABEL, f"%@{article_id}"))

    def learned_names(self, *, min_articles: int = 3, min_outlets: int = 2,
                      agreement: float = 0.9) -> list[tuple[str, str]]:
        rows = self._query(
            "SELECT n.key, e.label, COUNT(DISTINCT n.article_id), COUNT(DISTINCT a.outlet_id) FROM identity_names n "
            "JOIN entities e ON e.id = n.identity_id JOIN articles a ON a.id = n.article_id "
            "WHERE n.kind = 'form' GROUP BY n.key, e.label")
        by_key: dict[str, list[tuple[str, int, int]]] = {}
        for key, label, articles, outlets in rows:
            by_key.setdefault(key, []).append((label, int(articles), int(outlets)))
        out = []
        for key, labels in sorted(by_key.items()):
            total = sum(n for _, n, _ in labels)
            label, n, outlets = max(labels, key=lambda x: (x[1], x[0]))
            if n >= min_articles and outlets >= min_outlets and n >= agreement * total and label != ROLE_LABEL:
                out.append((key, label))
        return out

    # -- one article's links ------------------------------------------------------------------------

    def article_links(self, article_id: int) -> dict[str, str]:
        return {r[0]: r[1] for r in self._query(
            "SELECT local_id, identity_id FROM identity_links WHERE article_id = ?", (article_id,))}

    def article_roles(self, article_id: int) -> list[RoleLink]:
        rows = self._query(f"SELECT {_ROLE_COLUMNS} FROM role_mentions WHERE article_id = ? ORDER BY start",
                           (article_id,))
        return [_role(r) for r in rows]

    def unresolved_roles(self, article_ids: Sequence[int] | None = None) -> list[tuple[int, RoleLink, str | None]]:
        sql = (f"SELECT r.article_id, a.published, {', '.join('r.' + c for c in _ROLE_COLUMNS.split(', '))} "
               "FROM role_mentions r JOIN articles a ON a.id = r.article_id WHERE r.identity_id = '' AND r.office != ''")
        if article_ids is None:
            rows = self._query(sql + " ORDER BY r.article_id, r.start")
        else:
            rows = []
            ids = list(article_ids)
            for i in range(0, len(ids), 500):
                part = ids[i:i + 500]
                rows += self._query(sql + f" AND r.article_id IN ({','.join('?' * len(part))}) "
                                          "ORDER BY r.article_id, r.start", part)
        return [(int(r[0]), _role(r[2:]), r[1]) for r in rows]

    def resolve_role(self, article_id: int, role: RoleLink, identity: str, reason: str) -> None:
        db = self.db
        with self.transaction():
            db.execute('UPDATE role_mentions SET identity_id = ?, reason = ? WHERE article_id = ? AND start = ?',
                       (identity, reason, article_id, role.start))
            old = scoped(role.entity, article_id) if role.entity else None
            if old:
                db.execute("UPDATE identity_links SET identity_id = ?, reason = ? WHERE article_id = ? AND local_id = ?",
                           (identity, reason, article_id, role.entity))
                db.execute("UPDATE OR IGNORE event_participants SET entity_id = ? WHERE entity_id = ?", (identity, old))
                db.execute("DELETE FROM event_participants WHERE entity_id = ?", (old,))
                db.execute("UPDATE quotes SET speaker_entity = ? WHERE speaker_entity = ?", (identity, old))
                db.execute("DELETE FROM entities WHERE id = ?", (old,))
            if role.speaker:
                # Statements given to the role, by the speaker's words (the role's, or starting with them).
                db.execute("UPDATE quotes SET speaker_entity = ? WHERE article_id = ? AND speaker_entity IS NULL "
                           "AND (speaker = ? OR substr(speaker, 1, ?) = ?)",
                           (identity, article_id, role.text, len(role.text) + 1, role.text + " "))
            row = db.execute("SELECT fts_key FROM articles WHERE id = ?", (article_id,)).fetchone()
            if row is not None:
                db.execute("INSERT INTO article_entities (entity_id, fts_key, article_id, label, mentions) "
                           "VALUES (?, ?, ?, 'PER', 1) ON CONFLICT (entity_id, fts_key) DO UPDATE SET "
                           "mentions = mentions + 1", (identity, row[0], article_id))

    # -- the identity pages -----------------------------------------------------------------------

    def identity_names(self, identity: str) -> dict[str, list[dict[str, Any]]]:
        """An identity's forms, titles and honorifics, each with the text written, its first and last
        dates and how many articles gave it."""
        out: dict[str, list[dict[str, Any]]] = {"form": [], "title": [], "honorific": []}
        for kind, key, text, first, last, n in self._query(
                "SELECT kind, key, MIN(text), MIN(published), MAX(published), COUNT(DISTINCT article_id) "
                "FROM identity_names WHERE identity_id = ? GROUP BY kind, key ORDER BY MIN(published), key",
                (identity,)):
            out.setdefault(kind, []).append({"text": text, "key": key, "first": first, "last": last,
                                             "articles": int(n)})
        return out

    def identity_history(self, identity: str) -> list[dict[str, Any]]:
        rows = self._query("SELECT id, at, action, identity_id, other_id, reason, undone FROM identity_log "
                           "WHERE identity_id = ? OR other_id = ? ORDER BY id", (identity, identity))
        return [{"id": r[0], "at": r[1], "action": r[2], "identity": r[3], "other": r[4], "reason": r[5],
                 "undone": r[6]} for r in rows]

    def resolve_identity(self, identity: str) -> str:
        """The identity an id stands for now (following merges)."""
        seen = {identity}
        while True:
            row = self._query("SELECT new_id FROM identity_redirects WHERE old_id = ?", (identity,))
            if not row or row[0][0] in seen:
                return identity
            identity = row[0][0]
            seen.add(identity)

    @staticmethod
    def _json(value: Any) -> str:
        return json.dumps(value, ensure_ascii=False)
