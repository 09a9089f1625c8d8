"""The SQLite archive's identities across articles: the rows :mod:`khabar.archive.identities` decides.

An article's entity ids (the Document's) are mapped to archive identities when it is stored; the
mentions, statements, meetings and facets of the article are written under the identities, and
``identity_links`` keeps each mapping with its reason. Reads here serve the resolver (lookup keys,
what an identity is known by, who held an office) and the entity pages (forms and titles with
their dates, the history of merges and splits).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from khabar.archive.models import ArticleLinks, IdentityChange, IdentityDelta, IdentityRecord, NameUse, RoleLink
from khabar.archive.storage.rows import ROLE_LABEL, scoped
from khabar.archive.storage.sqlite.connection import Connection
from khabar.archive.storage.sqlite.schema import _now
from khabar.errors import InvalidInput, NotFoundError
from khabar.text.fold import fold

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

    def identity_delta(self, after: int | None) -> IdentityDelta | None:
        # An article's id is chosen under the write lock (MAX(id) + 1) and the writers commit one at
        # a time, so every article up to the newest id seen is committed, and later ones are newer.
        last = int(self._query("SELECT COALESCE(MAX(id), 0) FROM articles")[0][0])
        if after is None or last <= after:
            return IdentityDelta(last, [], [], [], [])
        bounds = (after, last)
        names = [(int(a), i, k, key, p) for a, i, k, key, p in self._query(
            "SELECT article_id, identity_id, kind, key, published FROM identity_names "
            "WHERE article_id > ? AND article_id <= ? ORDER BY article_id, rowid", bounds)]
        mentions = [(int(a), e) for a, e in self._query(
            "SELECT article_id, entity_id FROM article_entities WHERE article_id > ? AND article_id <= ? "
            "ORDER BY article_id, entity_id", bounds)]
        outlets = [(int(a), i, o) for a, i, o in self._query(
            "SELECT DISTINCT l.article_id, l.identity_id, o.name FROM identity_links l JOIN articles a ON a.id = l.article_id "
            "JOIN outlets o ON o.id = a.outlet_id WHERE l.article_id > ? AND l.article_id <= ? "
            "ORDER BY l.article_id, l.identity_id", bounds)]
        touched = list(dict.fromkeys([i for _, i, *_ in names] + [e for _, e in mentions]))
        keys: list[tuple[str, str]] = []
        for i in range(0, len(touched), 500):
            part = touched[i:i + 500]
            keys += [(k, ident) for k, ident in self._query(
                f"SELECT key, identity_id FROM identity_keys WHERE identity_id IN ({','.join('?' * len(part))}) "
                "ORDER BY key, identity_id", part)]
        return IdentityDelta(last, names, mentions, outlets, keys)

    def role_holders(self, office: str) -> list[tuple[str, str | None, str | None, int]]:
        rows = self._query("SELECT identity_id, MIN(published), MAX(published), COUNT(*) FROM identity_names "
                           "WHERE kind = 'title' AND key = ? GROUP BY identity_id ORDER BY identity_id", (office,))
        return [(r[0], r[1] and r[1][:10], r[2] and r[2][:10], int(r[3])) for r in rows]

    def role_offices(self, prefix: str, *, limit: int = 50) -> list[str]:
        if not prefix:
            return []
        rows = self._query("SELECT DISTINCT key FROM identity_names WHERE kind = 'title' AND key >= ? AND key < ? "
                           "ORDER BY key LIMIT ?", (prefix, prefix + "\U0010ffff", limit))
        return [r[0] for r in rows]

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
        # A person the archive knows as well (in that many articles from that many outlets, by any
        # of their forms) is known by their surname alone too (`گروسی` of `رافائل گروسی`), unless
        # the word is written for another label as often (the entities stage takes a single word
        # only when it is no common word).
        people = self._query(
            "SELECT n.identity_id FROM identity_names n JOIN entities e ON e.id = n.identity_id "
            "JOIN articles a ON a.id = n.article_id WHERE n.kind = 'form' AND e.label = 'PER' "
            "GROUP BY n.identity_id HAVING COUNT(DISTINCT n.article_id) >= ? AND COUNT(DISTINCT a.outlet_id) >= ?",
            (min_articles, min_outlets))
        learned = {k for k, _ in out}
        surnames: set[str] = set()
        for (ident,) in people:
            # Fuller names written so in two articles or more (one seen once may be a misreading).
            for (form,) in self._query("SELECT key FROM identity_names WHERE identity_id = ? AND kind = 'form' "
                                       "GROUP BY key HAVING COUNT(DISTINCT article_id) >= 2", (ident,)):
                words = form.split()
                if len(words) >= 2:
                    surnames.add(words[-1])
        for key in sorted(surnames - learned):
            labels = by_key.get(key, [])
            total = sum(n for _, n, _ in labels)
            per = sum(n for lab, n, _ in labels if lab == "PER")
            if per >= agreement * total:
                out.append((key, "PER"))
        return sorted(out)

    # -- one article's links ------------------------------------------------------------------------

    def article_links(self, article_id: int) -> dict[str, str]:
        return {r[0]: r[1] for r in self._query(
            "SELECT local_id, identity_id FROM identity_links WHERE article_id = ?", (article_id,))}

    def article_identity(self, article_id: int) -> ArticleLinks | None:
        rows = self._query("SELECT local_id, identity_id, reason FROM identity_links WHERE article_id = ? "
                           "ORDER BY local_id", (article_id,))
        if not rows:
            return None
        suffix = f"@{article_id}"
        links = ArticleLinks(published=(self._query("SELECT published FROM articles WHERE id = ?", (article_id,))
                                        or [[None]])[0][0])
        for local, ident, reason in rows:
            links.ids[local] = "" if ident.endswith(suffix) else ident
            if reason:
                links.reasons[local] = reason
        links.roles = self.article_roles(article_id)
        links.names = [tuple(r) for r in self._query(
            "SELECT identity_id, kind, key, text FROM identity_names WHERE article_id = ? ORDER BY rowid", (article_id,))]
        idents = sorted({i for i in links.ids.values() if i} | {r.identity for r in links.roles if r.identity})
        for ident in idents:
            row = self._query("SELECT name, label FROM entities WHERE id = ?", (ident,))
            if row:
                links.new.append((ident, row[0][0], row[0][1]))
            links.keys += [(r[0], ident) for r in self._query(
                "SELECT key FROM identity_keys WHERE identity_id = ? ORDER BY key", (ident,))]
        return links

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
                           "mentions = article_entities.mentions + 1", (identity, row[0], article_id))

    # -- the identity pages -----------------------------------------------------------------------

    def identity_names(self, ids: Sequence[str]) -> tuple[list[NameUse], list[NameUse]]:
        if not ids:
            return [], []
        out: dict[str, list[NameUse]] = {"form": [], "title": []}
        for kind, _key, text, first, last, n in self._query(
                "SELECT kind, key, MIN(text), MIN(published), MAX(published), COUNT(DISTINCT article_id) "
                f"FROM identity_names WHERE identity_id IN ({','.join('?' * len(ids))}) AND kind IN ('form', 'title') "
                "GROUP BY kind, key ORDER BY MIN(published) IS NULL, MIN(published), COUNT(DISTINCT article_id) DESC, "
                "key", list(ids)):
            out[kind].append(NameUse(text, first and first[:10], last and last[:10], int(n)))
        return out["form"], out["title"]

    def identity_history(self, identity: str) -> list[IdentityChange]:
        rows = self._query("SELECT id, at, action, identity_id, other_id, reason, undone FROM identity_log "
                           "WHERE identity_id = ? OR other_id = ? ORDER BY id", (identity, identity))
        return [IdentityChange(r[0], r[1], r[2], r[3], r[4], r[5], bool(r[6])) for r in rows]

    def resolve_identity(self, identity: str) -> str:
        seen = {identity}
        while True:
            row = self._query("SELECT new_id FROM identity_redirects WHERE old_id = ?", (identity,))
            if not row or row[0][0] in seen:
                return identity
            identity = row[0][0]
            seen.add(identity)

    def identity_pins(self, article_id: int) -> dict[str, str]:
        return {r[0]: r[1] for r in self._query(
            "SELECT local_id, identity_id FROM identity_links WHERE article_id = ? AND reason LIKE 'pinned:%'",
            (article_id,))}

    # -- merges and splits ---------------------------------------------------------------------------

    def _entity_row(self, identity: str) -> tuple[str, str, list[str], list[str]]:
        row = self.db.execute("SELECT name, label, aliases, titles FROM entities WHERE id = ?", (identity,)).fetchone()
        if row is None:
            raise NotFoundError(f"no identity {identity!r} in the archive")
        return row[0], row[1], json.loads(row[2]), json.loads(row[3])

    def merge_identities(self, keep: str, gone: str, reason: str) -> int:
        if keep == gone:
            raise InvalidInput(f"{keep!r} cannot be merged into itself")
        db = self.db
        with self.transaction():
            kname, klabel, kaliases, ktitles = self._entity_row(keep)
            gname, glabel, galiases, gtitles = self._entity_row(gone)
            if klabel != glabel:
                raise InvalidInput(f"{keep!r} is {klabel} and {gone!r} is {glabel}: only identities of one kind merge")
            articles = [r[0] for r in db.execute(
                "SELECT DISTINCT article_id FROM article_entities WHERE entity_id = ? ORDER BY article_id", (gone,))]
            keys = [r[0] for r in db.execute("SELECT key FROM identity_keys WHERE identity_id = ?", (gone,))]
            added_keys = [k for k in keys if not db.execute(
                "SELECT 1 FROM identity_keys WHERE key = ? AND identity_id = ?", (k, keep)).fetchone()]
            names = [r[0] for r in db.execute("SELECT key FROM entity_names WHERE entity_id = ?", (gone,))]
            added_names = [k for k in names if not db.execute(
                "SELECT 1 FROM entity_names WHERE key = ? AND entity_id = ?", (k, keep)).fetchone()]
            data = {"articles": articles, "name": gname, "label": glabel, "aliases": galiases, "titles": gtitles,
                    "keys": keys, "added_keys": added_keys, "names": names, "added_names": added_names,
                    "keep_aliases": kaliases, "keep_titles": ktitles, "keep_name": kname}
            self._move(gone, keep, None)
            db.executemany("INSERT OR IGNORE INTO identity_keys (key, identity_id) VALUES (?, ?)",
                           [(k, keep) for k in keys])
            db.execute("DELETE FROM identity_keys WHERE identity_id = ?", (gone,))
            db.executemany("INSERT OR IGNORE INTO entity_names (key, entity_id) VALUES (?, ?)",
                           [(k, keep) for k in names])
            aliases = sorted((set(kaliases) | set(galiases) | {gname}) - {kname})
            titles = ktitles + [t for t in gtitles if t not in ktitles]
            db.execute("UPDATE entities SET aliases = ?, titles = ? WHERE id = ?",
                       (self._json(aliases), self._json(titles), keep))
            db.execute("DELETE FROM entities WHERE id = ?", (gone,))
            db.execute("UPDATE identity_redirects SET new_id = ? WHERE new_id = ?", (keep, gone))
            db.execute("INSERT OR REPLACE INTO identity_redirects (old_id, new_id) VALUES (?, ?)", (gone, keep))
            cur = db.execute("INSERT INTO identity_log (at, action, identity_id, other_id, reason, data) "
                             "VALUES (?, 'merge', ?, ?, ?, ?)", (_now(), keep, gone, reason, self._json(data)))
            return int(cur.lastrowid or 0)

    def split_identity(self, identity: str, article_ids: Sequence[int], new_id: str, name: str, *,
                       keys: Sequence[str] = (), reason: str = "") -> int:
        db = self.db
        with self.transaction():
            _, label, _, _ = self._entity_row(identity)
            if self.identity_exists(new_id):
                raise InvalidInput(f"there is already an identity {new_id!r}")
            db.execute("INSERT INTO entities (id, name, label, aliases, titles) VALUES (?,?,?,'[]','[]')",
                       (new_id, name, label))
            self._move(identity, new_id, list(article_ids))
            self._pin(new_id, list(article_ids))
            db.executemany("INSERT OR IGNORE INTO identity_keys (key, identity_id) VALUES (?, ?)",
                           [(k, new_id) for k in keys])
            self._names_from_forms(new_id)
            cur = db.execute("INSERT INTO identity_log (at, action, identity_id, other_id, reason, data) "
                             "VALUES (?, 'split', ?, ?, ?, ?)",
                             (_now(), identity, new_id, reason, self._json({"articles": list(article_ids)})))
            return int(cur.lastrowid or 0)

    def undo_merge(self, log_id: int, reason: str = "") -> str:
        db = self.db
        row = db.execute("SELECT action, identity_id, other_id, data, undone FROM identity_log WHERE id = ?",
                         (log_id,)).fetchone()
        if row is None or row[0] != "merge":
            raise NotFoundError(f"no merge {log_id} in the archive's history")
        if row[4]:
            raise InvalidInput(f"merge {log_id} was undone already")
        keep, gone, data = row[1], row[2], json.loads(row[3])
        with self.transaction():
            db.execute("DELETE FROM identity_redirects WHERE old_id = ?", (gone,))
            db.execute("INSERT INTO entities (id, name, label, aliases, titles) VALUES (?,?,?,?,?)",
                       (gone, data["name"], data["label"], self._json(data["aliases"]), self._json(data["titles"])))
            self._move(keep, gone, data["articles"])
            self._pin(gone, data["articles"])
            db.executemany("INSERT OR IGNORE INTO identity_keys (key, identity_id) VALUES (?, ?)",
                           [(k, gone) for k in data["keys"]])
            db.executemany("DELETE FROM identity_keys WHERE key = ? AND identity_id = ?",
                           [(k, keep) for k in data["added_keys"]])
            db.executemany("INSERT OR IGNORE INTO entity_names (key, entity_id) VALUES (?, ?)",
                           [(k, gone) for k in data["names"]])
            db.executemany("DELETE FROM entity_names WHERE key = ? AND entity_id = ?",
                           [(k, keep) for k in data["added_names"]])
            db.execute("UPDATE entities SET name = ?, aliases = ?, titles = ? WHERE id = ?",
                       (data["keep_name"], self._json(data["keep_aliases"]), self._json(data["keep_titles"]), keep))
            db.execute("UPDATE identity_log SET undone = 1 WHERE id = ?", (log_id,))
            db.execute("INSERT INTO identity_log (at, action, identity_id, other_id, reason, data) "
                       "VALUES (?, 'split', ?, ?, ?, ?)",
                       (_now(), keep, gone, reason or f"undoes merge {log_id}",
                        self._json({"articles": data["articles"], "undoes": log_id})))
        return str(gone)

    def _move(self, src: str, dst: str, article_ids: list[int] | None) -> None:
        """Every row of ``src`` (in these articles, or all) becomes ``dst``'s."""
        db = self.db
        if article_ids is not None and not article_ids:
            return
        scope, params = "", []
        if article_ids is not None:
            scope = f" AND article_id IN ({','.join('?' * len(article_ids))})"
            params = list(article_ids)
        db.execute(f"UPDATE mentions SET entity_id = ? WHERE entity_id = ?{scope}", [dst, src, *params])
        # An article that names both keeps one row, its mentions counted together.
        db.execute(f"UPDATE article_entities SET mentions = mentions + (SELECT g.mentions FROM article_entities g "
                   f"WHERE g.entity_id = ? AND g.article_id = article_entities.article_id) WHERE entity_id = ? "
                   f"AND article_id IN (SELECT article_id FROM article_entities WHERE entity_id = ?{scope})",
                   [src, dst, src, *params])
        db.execute(f"DELETE FROM article_entities WHERE entity_id = ?{scope} AND article_id IN "
                   "(SELECT article_id FROM article_entities WHERE entity_id = ?)", [src, *params, dst])
        db.execute(f"UPDATE article_entities SET entity_id = ? WHERE entity_id = ?{scope}", [dst, src, *params])
        db.execute(f"UPDATE quotes SET speaker_entity = ? WHERE speaker_entity = ?{scope}", [dst, src, *params])
        ev_scope = f" AND event_id IN (SELECT id FROM events WHERE 1{scope})" if scope else ""
        db.execute(f"UPDATE OR IGNORE event_participants SET entity_id = ? WHERE entity_id = ?{ev_scope}",
                   [dst, src, *params])
        db.execute(f"DELETE FROM event_participants WHERE entity_id = ?{ev_scope}", [src, *params])
        db.execute(f"UPDATE events SET place = ? WHERE place = ?{scope}", [dst, src, *params])
        for table in ("identity_names", "identity_links", "role_mentions"):
            db.execute(f"UPDATE {table} SET identity_id = ? WHERE identity_id = ?{scope}", [dst, src, *params])

    def _pin(self, identity: str, article_ids: list[int]) -> None:
        """Keep these articles' links to ``identity`` through later reanalyses (a person's decision)."""
        for i in range(0, len(article_ids), 500):
            part = article_ids[i:i + 500]
            self.db.execute(f"UPDATE identity_links SET reason = 'pinned: ' || COALESCE(reason, '') WHERE identity_id = ? "
                            f"AND article_id IN ({','.join('?' * len(part))}) AND COALESCE(reason, '') NOT LIKE 'pinned:%'",
                            [identity, *part])

    def _names_from_forms(self, identity: str) -> None:
        """An identity's searchable names and aliases from the forms its articles wrote."""
        texts = [r[0] for r in self.db.execute(
            "SELECT DISTINCT text FROM identity_names WHERE identity_id = ? AND kind = 'form'", (identity,))]
        if not texts:
            return
        name = max(texts, key=lambda t: (len(t.split()), len(t), t))
        self.db.execute("UPDATE entities SET name = ?, aliases = ? WHERE id = ?",
                        (name, self._json(sorted(set(texts) - {name})), identity))
        self.db.executemany("INSERT OR IGNORE INTO entity_names (key, entity_id) VALUES (?, ?)",
                            [(fold(t), identity) for t in texts if fold(t)])

    @staticmethod
    def _json(value: Any) -> str:
        return json.dumps(value, ensure_ascii=False)
