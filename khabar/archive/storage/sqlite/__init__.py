"""The SQLite archive: one file, WAL, foreign keys, schema migrations recorded in a table.

The backend is split by concern: :mod:`.connection` (opening, transactions, errors),
:mod:`.schema` (tables as named migrations), :mod:`.fts` (the full-text index and its date-ordered
keys), :mod:`.planner` (search plans, counts, facets) and :mod:`.queries` (articles, entities, person
pages, stories); :class:`SqliteStorage` adds the writes.

Every article is written inside a transaction, so a run killed at any moment leaves whole articles
only (SQLite's WAL journal rolls an unfinished transaction back on the next open).

>>> store = SqliteStorage(":memory:")
>>> store.applied_migrations() == [name for name, _ in MIGRATIONS]
True
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping, Sequence
from typing import Any

from khabar.archive.models import ArticleLinks, CheckReport, NewArticle, Reanalysis
from khabar.archive.storage.base import Storage
from khabar.archive.storage.rows import StructureRows, merge_entity
from khabar.archive.storage.sqlite import fts
from khabar.archive.storage.sqlite.following import Following
from khabar.archive.storage.sqlite.fts import fts_key, title_key_of
from khabar.archive.storage.sqlite.identities import Identities
from khabar.archive.storage.sqlite.planner import Planner
from khabar.archive.storage.sqlite.queries import Queries
from khabar.archive.storage.sqlite.schema import MIGRATIONS, _now, _statements
from khabar.codec import pack_doc
from khabar.errors import NotFoundError, StorageError
from khabar.text.fold import fold

__all__ = ["MIGRATIONS", "SqliteStorage"]


class SqliteStorage(Planner, Queries, Identities, Following, Storage):
    """The default storage: one SQLite file (or ``":memory:"``)."""

    # -- opening --------------------------------------------------------------------------------

    def _setup(self) -> None:
        db = self.db
        db.execute("PRAGMA foreign_keys = ON")
        # Reading the schema is the first real read: it fails here for files that are not SQLite.
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")}
        if tables and "migrations" not in tables:
            raise StorageError(f"{self.path}: is an SQLite database but not a khabar archive "
                               "(choose another --db path)")
        if self.readonly:
            return
        if self.path != ":memory:":
            mode = db.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise StorageError(f"{self.path}: cannot switch the archive to WAL mode (is the folder writable?)")
            # NORMAL is safe in WAL mode against a killed process (only power loss may drop the
            # last commits, never corrupt the file).
            db.execute("PRAGMA synchronous = NORMAL")
        db.execute("PRAGMA temp_store = MEMORY")
        self.migrate()

    def migrate(self) -> list[str]:
        """Apply the migrations not yet recorded; returns their names."""
        db = self.db
        db.execute("CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, applied TEXT NOT NULL)")
        done = set(self.applied_migrations())
        new = []
        for name, sql in MIGRATIONS:
            if name in done:
                continue
            with self.transaction():
                # Two processes opening a new archive at once both saw it unmigrated: under the write
                # lock, look again, so only one applies each migration.
                if db.execute("SELECT 1 FROM migrations WHERE name = ?", (name,)).fetchone():
                    continue
                if callable(sql):
                    sql(db)
                else:
                    # executescript would commit our transaction; run statement by statement instead.
                    for statement in _statements(sql):
                        db.execute(statement)
                db.execute("INSERT INTO migrations (name, applied) VALUES (?, ?)", (name, _now()))
            new.append(name)
        return new

    def applied_migrations(self) -> list[str]:
        """Names of the migrations this archive has, in the order they were applied."""
        return [r[0] for r in self.db.execute("SELECT name FROM migrations ORDER BY rowid")]


    def _outlet_id(self, name: str | None) -> int | None:
        if not name or not name.strip():
            return None
        key = fold(name)
        row = self.db.execute("SELECT id FROM outlets WHERE key = ?", (key,)).fetchone()
        if row:
            return int(row[0])
        return int(self.db.execute("INSERT INTO outlets (name, key) VALUES (?, ?)", (name.strip(), key)).lastrowid or 0)

    @property
    def url(self) -> str:  # type: ignore[override]
        return self.path

    def write(self, articles: Sequence[NewArticle]) -> list[int | None]:
        """Store a batch in one transaction (one lock, one commit); ``None`` for each duplicate."""
        if not articles:
            return []
        try:
            with self.transaction():
                return [self._add(article) for article in articles]
        except sqlite3.Error as err:
            raise self._error(err) from None

    def _add(self, article: NewArticle) -> int | None:
        """Store one article and what the pipeline found in it, inside the caller's transaction."""
        doc = article.doc
        db = self.db
        if article.url and db.execute("SELECT 1 FROM articles WHERE url = ?", (article.url,)).fetchone():
            return None
        if db.execute("SELECT 1 FROM articles WHERE content_key = ?", (article.content_key,)).fetchone():
            return None
        outlet = article.outlet or (doc.get("source") or {}).get("name")
        published = article.published or (doc.get("meta") or {}).get("published")
        # A savepoint per article: one that fails halfway leaves nothing of itself behind.
        db.execute("SAVEPOINT article")
        try:
            # The id is chosen here (we hold the write lock) so the index key can be written at once.
            article_id = article.id if article.id is not None and article.id > 0 else 0
            if not article_id or db.execute("SELECT 1 FROM articles WHERE id = ?", (article_id,)).fetchone():
                article_id = int(db.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM articles").fetchone()[0])
            key = fts_key(article_id, published)
            db.execute(
                "INSERT INTO articles (id, fts_key, url, content_key, title, published, author, outlet_id, origin, "
                "kind, raw_text, text, doc, analysis, quotes, added) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (article_id, key, article.url, article.content_key, article.title, published, article.author,
                 self._outlet_id(outlet), article.origin, article.kind, doc["raw_text"], doc["text"],
                 article.packed or pack_doc(doc), article.analysis, len(doc.get("quotes") or ()), article.added or _now()))
            title_key = article.title_key if article.title_key is not None else title_key_of(article.title)
            body_key = article.body_key if article.body_key is not None else fold(doc["text"])
            fts.index(db, key, title_key, body_key)
            self._add_structure(article_id, doc, key, article.links)
        except sqlite3.IntegrityError:
            db.execute("ROLLBACK TO article")
            db.execute("RELEASE article")
            return None
        except BaseException:
            db.execute("ROLLBACK TO article")
            db.execute("RELEASE article")
            raise
        db.execute("RELEASE article")
        return article_id

    def _add_structure(self, article_id: int, doc: dict[str, Any], key: int | None = None,
                       links: ArticleLinks | None = None) -> None:
        """The rows derived from an article (:class:`StructureRows`), its entities written as their
        archive identities (``links``; without it each entity id is its own identity)."""
        if key is None:
            key = int(self.db.execute("SELECT fts_key FROM articles WHERE id = ?", (article_id,)).fetchone()[0])
        rows = StructureRows()
        rows.add(article_id, doc, key, links)
        self._write_structure(rows)

    def _write_structure(self, rows: StructureRows) -> None:
        """Write the structure rows (one article's here; PostgreSQL writes a batch's at once)."""
        db = self.db
        for kind, ent in rows.entities:
            if kind == "new":
                db.execute("INSERT OR IGNORE INTO entities (id, name, label, aliases, titles) VALUES (?,?,?,'[]','[]')",
                           (ent["id"], ent["name"], ent["label"]))
            else:
                self._merge_entity(ent)
        db.executemany("INSERT OR IGNORE INTO entity_names (key, entity_id) VALUES (?, ?)", rows.entity_names)
        db.executemany("INSERT OR IGNORE INTO identity_keys (key, identity_id) VALUES (?, ?)", rows.identity_keys)
        db.executemany(
            "INSERT INTO identity_names (identity_id, article_id, kind, key, text, published) VALUES (?,?,?,?,?,?)",
            rows.identity_names)
        db.executemany(
            "INSERT OR REPLACE INTO identity_links (article_id, local_id, identity_id, reason) VALUES (?,?,?,?)",
            rows.identity_links)
        db.executemany(
            'INSERT INTO role_mentions (article_id, start, "end", raw_start, raw_end, text, office, identity_id, reason, '
            "speaker, entity) VALUES (?,?,?,?,?,?,?,?,?,?,?)", rows.role_mentions)
        db.executemany(
            'INSERT INTO mentions (article_id, entity_id, label, text, start, "end", raw_start, raw_end) '
            "VALUES (?,?,?,?,?,?,?,?)", rows.mentions)
        db.executemany(
            "INSERT INTO article_entities (entity_id, fts_key, article_id, label, mentions) VALUES (?,?,?,?,?)",
            rows.article_entities)
        db.executemany(
            'INSERT INTO quotes (article_id, speaker_entity, speaker, cue, content, content_key, kind, start, "end", '
            "raw_start, raw_end) VALUES (?,?,?,?,?,?,?,?,?,?,?)", rows.quotes)
        for ev, participants in zip(rows.events, rows.participants, strict=True):
            cur = db.execute(
                'INSERT INTO events (article_id, type, trigger, start, "end", date, place) VALUES (?,?,?,?,?,?,?)', ev)
            db.executemany("INSERT OR IGNORE INTO event_participants (event_id, entity_id) VALUES (?, ?)",
                           [(cur.lastrowid, p) for p in participants])
        db.executemany(
            'INSERT INTO dates (article_id, value, calendar, granularity, text, start, "end") VALUES (?,?,?,?,?,?,?)',
            rows.dates)

    def _merge_entity(self, ent: dict[str, Any]) -> None:
        """Insert an identity, or add this article's aliases and titles to the one already stored
        (:func:`merge_entity`); its name keys are written with the rest of the rows."""
        db = self.db
        eid = ent["id"]
        row = db.execute("SELECT name, aliases, titles FROM entities WHERE id = ?", (eid,)).fetchone()
        if row is None:
            name, aliases, titles = merge_entity(None, ent)
            db.execute("INSERT INTO entities (id, name, label, aliases, titles) VALUES (?,?,?,?,?)",
                       (eid, name, ent.get("label", ""), json.dumps(aliases, ensure_ascii=False),
                        json.dumps(titles, ensure_ascii=False)))
            return
        old = (row[0], json.loads(row[1]), json.loads(row[2]))
        name, aliases, titles = merge_entity(old, ent)
        if (name, aliases, titles) != old:
            db.execute("UPDATE entities SET name = ?, aliases = ?, titles = ? WHERE id = ?",
                       (name, json.dumps(aliases, ensure_ascii=False), json.dumps(titles, ensure_ascii=False), eid))

    def update(self, analyses: Sequence[Reanalysis]) -> None:
        if not analyses:
            return
        try:
            with self.transaction():
                for item in analyses:
                    self._replace_analysis(item.id, item.doc, item.analysis, item.links)
        except sqlite3.Error as err:
            raise self._error(err) from None

    def _replace_analysis(self, article_id: int, doc: dict[str, Any], analysis: str,
                          links: ArticleLinks | None = None) -> None:
        db = self.db
        row = db.execute("SELECT title, text, fts_key, outlet_id FROM articles WHERE id = ?", (article_id,)).fetchone()
        if row is None:
            raise NotFoundError(f"no article {article_id} in {self.path}")
        credit = ((doc.get("source") or {}).get("name") or "").strip()
        if row[3] is None and credit:
            # An article stored without an outlet takes the credit the analysis found, as one ingested
            # with the full pipeline does (a restore-only ingest, then reanalyze, gives the same archive).
            key = fold(credit)
            db.execute("INSERT OR IGNORE INTO outlets (name, key) VALUES (?, ?)", (credit, key))
            db.execute("UPDATE articles SET outlet_id = (SELECT id FROM outlets WHERE key = ?) WHERE id = ?",
                       (key, article_id))
        for table in ("mentions", "article_entities", "quotes", "dates"):
            db.execute(f"DELETE FROM {table} WHERE article_id = ?", (article_id,))
        db.execute("DELETE FROM events WHERE article_id = ?", (article_id,))
        self._drop_links(article_id)
        self._drop_scoped(article_id)
        if row[1] != doc["text"]:
            # The restorer changed since the article was stored: reindex it.
            fts.unindex(db, row[2], title_key_of(row[0]), fold(row[1]))
            fts.index(db, row[2], title_key_of(row[0]), fold(doc["text"]))
        db.execute("UPDATE articles SET text = ?, doc = ?, analysis = ?, quotes = ? WHERE id = ?",
                   (doc["text"], pack_doc(doc), analysis, len(doc.get("quotes") or ()), article_id))
        self._add_structure(article_id, doc, row[2], links)

    def set_stories(self, clusters: Mapping[int, Sequence[int]], *, replace: bool = True) -> int:
        """Story id → article ids. Every listed article gets its story id, single articles too, so
        articles added later are known to be unclustered (``story_id IS NULL``). ``replace``: these
        are all the stories; otherwise they are added to the stored ones (a story's row is recomputed
        from all its articles)."""
        db = self.db
        stored = 0
        try:
            with self.transaction():
                if replace:
                    db.execute("UPDATE articles SET story_id = NULL WHERE story_id IS NOT NULL")
                    db.execute("DELETE FROM stories")
                for story_id, members in clusters.items():
                    ids = sorted({int(m) for m in members})
                    # The row first (articles refer to it), filled in once its articles are known.
                    db.execute("INSERT OR IGNORE INTO stories (id, size, outlets) VALUES (?, 0, 0)", (int(story_id),))
                    for i in range(0, len(ids), 500):
                        part = ids[i:i + 500]
                        db.execute(f"UPDATE articles SET story_id = ? WHERE id IN ({','.join('?' * len(part))})",
                                   [int(story_id), *part])
                    rows = db.execute(
                        "SELECT a.title, a.published, a.outlet_id FROM articles a WHERE a.story_id = ? "
                        "ORDER BY a.published IS NULL, a.published, a.id", (int(story_id),)).fetchall()
                    if not rows:
                        db.execute("DELETE FROM stories WHERE id = ?", (int(story_id),))
                        continue
                    dates = [r[1] for r in rows if r[1]]
                    title = next((r[0] for r in rows if r[0]), None)
                    db.execute(
                        "UPDATE stories SET title = ?, size = ?, outlets = ?, first_published = ?, last_published = ? "
                        "WHERE id = ?",
                        (title, len(rows), len({r[2] for r in rows if r[2] is not None}),
                         min(dates) if dates else None, max(dates) if dates else None, int(story_id)))
                    stored += len(rows) > 1
        except sqlite3.Error as err:
            raise self._error(err) from None
        return stored

    # -- care ---------------------------------------------------------------------------------------

    def verify(self, *, deep: bool = False) -> CheckReport:
        from khabar.archive.storage.sqlite.care import verify

        return verify(self, deep=deep)

    def backup(self, target: str) -> int:
        from khabar.archive.storage.sqlite.care import backup

        return backup(self, target)
