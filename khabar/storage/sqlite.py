"""The SQLite archive: one file, WAL, foreign keys, schema migrations recorded in a table.

Each article is one row with its raw text, restored text, metadata and the rest of its
``Document.to_dict()`` (zlib-compressed JSON, so it round-trips exactly), and the rows derived from
it: mentions, entities (identities across articles, keyed by the pipeline's entity id), quotes,
events and dates. ``articles_fts`` indexes the folded search key (:func:`khabar.folding.search_key`)
of title and text; its tokenizer is ``unicode61`` with ``remove_diacritics 0`` so it does not undo or
redo the folding. The index is contentless: snippets are made from the stored text instead.

Index rowids are date-ordered keys (:func:`fts_key`: publication day, then article id), and the facet
table ``article_entities`` is keyed the same way, so "newest first" and date ranges are read straight
off the indexes and a search stops after the rows it shows. A search is driven either by the text
index (matches scanned newest first, filters checked on covering indexes) or by its smallest facet
(text matches read once into a set), whichever the estimates say is cheaper (:meth:`SqliteStorage._plan`).

Every article is written inside a transaction, so a run killed at any moment leaves whole articles
only (SQLite's WAL journal rolls an unfinished transaction back on the next open).

>>> store = SqliteStorage(":memory:")
>>> store.applied_migrations() == [name for name, _ in MIGRATIONS]
True
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import sqlite3
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from khabar.document import Document, Span, Token
from khabar.errors import NotFoundError, StorageError
from khabar.folding import fold
from khabar.storage import (
    ORG_LABELS,
    PERSON_LABELS,
    PLACE_LABELS,
    ArticleFilter,
    Hit,
    NewArticle,
    Storage,
    StoredArticle,
)

_INITIAL = """
CREATE TABLE outlets (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    key TEXT NOT NULL UNIQUE
);
CREATE TABLE stories (
    id INTEGER PRIMARY KEY,
    title TEXT,
    size INTEGER NOT NULL,
    outlets INTEGER NOT NULL,
    first_published TEXT,
    last_published TEXT
);
CREATE TABLE articles (
    id INTEGER PRIMARY KEY,
    url TEXT UNIQUE,
    content_key TEXT NOT NULL UNIQUE,
    title TEXT,
    published TEXT,
    author TEXT,
    outlet_id INTEGER REFERENCES outlets(id),
    origin TEXT,
    kind TEXT,
    raw_text TEXT NOT NULL,
    text TEXT NOT NULL,
    doc BLOB NOT NULL,
    analysis TEXT NOT NULL DEFAULT 'full',
    quotes INTEGER NOT NULL DEFAULT 0,
    story_id INTEGER REFERENCES stories(id) ON DELETE SET NULL,
    added TEXT NOT NULL
);
CREATE INDEX articles_published ON articles(published);
CREATE INDEX articles_outlet ON articles(outlet_id, published);
CREATE INDEX articles_story ON articles(story_id);
CREATE INDEX articles_analysis ON articles(analysis);
CREATE TABLE entities (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    label TEXT NOT NULL,
    aliases TEXT NOT NULL DEFAULT '[]',
    titles TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX entities_label ON entities(label);
CREATE TABLE entity_names (
    key TEXT NOT NULL,
    entity_id TEXT NOT NULL REFERENCES entities(id) ON DELETE CASCADE,
    PRIMARY KEY (key, entity_id)
) WITHOUT ROWID;
CREATE TABLE mentions (
    article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    entity_id TEXT REFERENCES entities(id),
    label TEXT NOT NULL,
    text TEXT NOT NULL,
    start INTEGER NOT NULL,
    "end" INTEGER NOT NULL,
    raw_start INTEGER,
    raw_end INTEGER
);
CREATE INDEX mentions_article ON mentions(article_id);
CREATE TABLE article_entities (
    entity_id TEXT NOT NULL REFERENCES entities(id),
    article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    label TEXT NOT NULL,
    mentions INTEGER NOT NULL,
    PRIMARY KEY (entity_id, article_id)
) WITHOUT ROWID;
CREATE INDEX article_entities_article ON article_entities(article_id);
CREATE TABLE quotes (
    id INTEGER PRIMARY KEY,
    article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    speaker_entity TEXT REFERENCES entities(id),
    speaker TEXT,
    cue TEXT,
    content TEXT NOT NULL,
    content_key TEXT NOT NULL,
    kind TEXT,
    start INTEGER,
    "end" INTEGER,
    raw_start INTEGER,
    raw_end INTEGER
);
CREATE INDEX quotes_article ON quotes(article_id);
CREATE INDEX quotes_speaker ON quotes(speaker_entity);
CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    type TEXT NOT NULL,
    trigger TEXT,
    start INTEGER,
    "end" INTEGER,
    date TEXT,
    place TEXT
);
CREATE INDEX events_article ON events(article_id);
CREATE TABLE event_participants (
    event_id INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    entity_id TEXT NOT NULL,
    PRIMARY KEY (entity_id, event_id)
) WITHOUT ROWID;
CREATE INDEX event_participants_event ON event_participants(event_id);
CREATE TABLE dates (
    article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    value TEXT,
    calendar TEXT,
    granularity TEXT,
    text TEXT NOT NULL,
    start INTEGER NOT NULL,
    "end" INTEGER NOT NULL
);
CREATE INDEX dates_article ON dates(article_id);
CREATE INDEX dates_value ON dates(value);
CREATE VIRTUAL TABLE articles_fts USING fts5(
    title, body, content='', tokenize='unicode61 remove_diacritics 0'
);
"""

def _migrate_date_ordered_index(db: sqlite3.Connection) -> None:
    """Give the full-text index date-ordered rowids (:func:`fts_key`), so "newest first" and date
    ranges are read straight off the index and a search stops after ``limit`` rows."""
    db.execute("ALTER TABLE articles ADD COLUMN fts_key INTEGER")
    db.execute("DROP TABLE articles_fts")
    db.execute("CREATE VIRTUAL TABLE articles_fts USING fts5(title, body, content='', "
                "tokenize='unicode61 remove_diacritics 0')")
    db.execute("CREATE VIRTUAL TABLE articles_vocab USING fts5vocab(articles_fts, 'row')")
    rows = db.execute("SELECT id, published, title, text FROM articles").fetchall()
    for article_id, published, title, text in rows:
        key = fts_key(article_id, published)
        db.execute("UPDATE articles SET fts_key = ? WHERE id = ?", (key, article_id))
        db.execute("INSERT INTO articles_fts (rowid, title, body) VALUES (?, ?, ?)", (key, _title_key(title), fold(text)))
    db.execute("CREATE UNIQUE INDEX articles_fts_key ON articles(fts_key)")


# Facet lists kept in index-key (date) order, and the filters of a search readable from indexes
# alone: article rows hold the text and are only read for the results shown.
_FACETS_BY_KEY = """
CREATE TABLE article_entities_new (
    entity_id TEXT NOT NULL REFERENCES entities(id),
    fts_key INTEGER NOT NULL,
    article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    label TEXT NOT NULL,
    mentions INTEGER NOT NULL,
    PRIMARY KEY (entity_id, fts_key)
) WITHOUT ROWID;
INSERT INTO article_entities_new (entity_id, fts_key, article_id, label, mentions)
    SELECT ae.entity_id, a.fts_key, ae.article_id, ae.label, ae.mentions
    FROM article_entities ae JOIN articles a ON a.id = ae.article_id;
DROP TABLE article_entities;
ALTER TABLE article_entities_new RENAME TO article_entities;
CREATE INDEX article_entities_article ON article_entities(article_id);
DROP INDEX articles_fts_key;
CREATE UNIQUE INDEX articles_scan ON articles(fts_key, outlet_id, quotes, story_id);
DROP INDEX articles_outlet;
CREATE INDEX articles_outlet ON articles(outlet_id, fts_key, quotes, story_id)
"""

# Named migrations, applied in order and recorded in `migrations`: SQL scripts or functions of the
# connection. Never edit one that has shipped; add the next one instead.
MIGRATIONS: list[tuple[str, str | Callable[[sqlite3.Connection], None]]] = [
    ("0001_initial", _INITIAL),
    ("0002_date_ordered_index", _migrate_date_ordered_index),
    ("0003_facets_by_key", _FACETS_BY_KEY),
    # 0002 made a vocabulary view of the index that nothing reads.
    ("0004_drop_unused_vocab", "DROP TABLE IF EXISTS articles_vocab"),
]

DAY_SHIFT = 32  # fts_key = (day ordinal << 32) | article id
# `relevance` ranks (bm25) the newest this-many matches, so a broad query costs about the same at
# 1M articles as at 10k; narrower queries are ranked in full. With a facet, the window shrinks so
# that finding it scans at most SCAN_BUDGET text matches.
RANK_WINDOW = 300
SCAN_BUDGET = 10_000
# Rough costs in microseconds, measured on the 1M-article bench archive: one text match scanned
# newest first and checked against the filters; one text match read into a set.
SCAN_US, SET_US = 2.0, 0.65
# Facet sizes are counted up to this (a larger facet only makes scanning the text index cheaper).
FACET_CAP = 20_000
# Text matches are estimated by counting them among the newest this-many articles.
SAMPLE = 5000


def fts_key(article_id: int, published: str | None) -> int:
    """The article's rowid in the full-text index: its publication day, then its id.

    >>> fts_key(7, "2025-08-09T10:00:00") >> DAY_SHIFT == __import__("datetime").date(2025, 8, 9).toordinal()
    True
    >>> fts_key(7, None)
    7
    """
    return (_day(published) << DAY_SHIFT) | article_id


def _day(published: str | None) -> int:
    """Day ordinal of an ISO date (0 when unknown, so undated articles sort last and match no range)."""
    if not published:
        return 0
    try:
        return _dt.date.fromisoformat(published[:10]).toordinal()
    except ValueError:
        return 0


def day_key(iso_day: str) -> int:
    """The smallest :func:`fts_key` of a day (for date-range bounds)."""
    return _dt.date.fromisoformat(iso_day).toordinal() << DAY_SHIFT

_ARTICLE_COLUMNS = ("a.id, a.doc, a.raw_text, a.text, a.content_key, a.title, a.url, a.published, a.author, "
                    "o.name, a.origin, a.kind, a.analysis, a.story_id, a.added")
_NOT_A_DB = "is not an SQLite database (or is damaged)"


_SPAN_KEYS = ("text", "start", "end", "raw_start", "raw_end")
# Lists of plain spans stored as offset columns: a token's text is text[start:end] by construction,
# so storing it again would double the archive.
_COLUMNAR = ("sentences", "tokens")


def _columns(spans: list[dict[str, Any]], text: str) -> dict[str, list[int]] | None:
    """``spans`` as four offset columns, or ``None`` when they are not plain spans of ``text``."""
    cols: dict[str, list[int]] = {"start": [], "end": [], "raw_start": [], "raw_end": []}
    for sp in spans:
        if len(sp) != 5 or sp.keys() != set(_SPAN_KEYS) or text[sp["start"]:sp["end"]] != sp["text"]:
            return None
        for k in cols:
            v = sp[k]
            if type(v) is not int:
                return None
            cols[k].append(v)
    return cols


def _deltas(start: list[int], end: list[int], raw_start: list[int], raw_end: list[int]) -> dict[str, list[int]]:
    """Span offsets as small repeating numbers (gap, length, raw shift, raw length change), which
    compress to a fraction of the offsets themselves.

    >>> _undeltas(_deltas([0, 4], [3, 9], [0, 5], [3, 11])) == {"start": [0, 4], "end": [3, 9], "raw_start": [0, 5], "raw_end": [3, 11]}
    True
    """
    gap, length, shift, grow = [], [], [], []
    prev_end = prev_shift = 0
    for s, e, rs, re_ in zip(start, end, raw_start, raw_end, strict=True):
        gap.append(s - prev_end)
        length.append(e - s)
        shift.append(rs - s - prev_shift)
        grow.append((re_ - rs) - (e - s))
        prev_end, prev_shift = e, rs - s
    return {"g": gap, "l": length, "s": shift, "r": grow}


def _undeltas(d: dict[str, list[int]]) -> dict[str, list[int]]:
    start, end, raw_start, raw_end = [], [], [], []
    prev_end = prev_shift = 0
    for g, ln, sh, gr in zip(d["g"], d["l"], d["s"], d["r"], strict=True):
        s = prev_end + g
        e = s + ln
        shift = prev_shift + sh
        start.append(s)
        end.append(e)
        raw_start.append(s + shift)
        raw_end.append(s + shift + ln + gr)
        prev_end, prev_shift = e, shift
    return {"start": start, "end": end, "raw_start": raw_start, "raw_end": raw_end}


def pack_doc(doc: dict[str, Any]) -> bytes:
    """The stored form of ``Document.to_dict()`` less its two texts (stored in their own columns).

    >>> from khabar import analyze
    >>> d = analyze("دو جمله. دومی هم هست.").to_dict()
    >>> unpack_doc(pack_doc(d), d["raw_text"], d["text"]) == d
    True
    """
    text = doc.get("text", "")
    rest: dict[str, Any] = {}
    for k, v in doc.items():
        if k in ("raw_text", "text"):
            continue
        if k in _COLUMNAR and isinstance(v, list) and v:
            cols = _columns(v, text)
            if cols is not None:
                rest["#" + k] = _deltas(cols["start"], cols["end"], cols["raw_start"], cols["raw_end"])
                continue
        rest[k] = v
    return zlib.compress(json.dumps(rest, ensure_ascii=False, separators=(",", ":")).encode("utf-8"), 3)


def pack_document(doc: Document) -> tuple[bytes, dict[str, Any]]:
    """``(pack_doc(doc.to_dict()), doc.to_dict() less sentences and tokens)``, made without building a
    dict per token (the slow part of ``to_dict`` on a long article).

    >>> from khabar import analyze
    >>> doc = analyze("دو جمله. دومی هم هست.")
    >>> packed, light = pack_document(doc)
    >>> packed == pack_doc(doc.to_dict()) and "tokens" not in light
    True
    """
    sentences, tokens = doc.sentences, doc.tokens
    spans: dict[str, list[Span]] = {"sentences": sentences, "tokens": list(tokens)}
    plain = all(type(x) in (Span, Token) and doc.text[x.start:x.end] == x.text for k in spans for x in spans[k])
    if not plain:
        full = doc.to_dict()
        return pack_doc(full), {k: v for k, v in full.items() if k not in _COLUMNAR}
    doc.sentences, doc.tokens = [], []
    try:
        light = doc.to_dict()
    finally:
        doc.sentences, doc.tokens = sentences, tokens
    rest: dict[str, Any] = {}
    for k, v in light.items():
        if k in ("raw_text", "text"):
            continue
        if k in _COLUMNAR:
            if spans[k]:
                rest["#" + k] = _deltas([x.start for x in spans[k]], [x.end for x in spans[k]],
                                        [x.raw_start for x in spans[k]], [x.raw_end for x in spans[k]])
            else:
                rest[k] = v
            continue
        rest[k] = v
    packed = zlib.compress(json.dumps(rest, ensure_ascii=False, separators=(",", ":")).encode("utf-8"), 3)
    return packed, {k: v for k, v in light.items() if k not in _COLUMNAR}


def unpack_doc(blob: bytes, raw_text: str, text: str) -> dict[str, Any]:
    """The inverse of :func:`pack_doc`."""
    rest = json.loads(zlib.decompress(blob).decode("utf-8"))
    out: dict[str, Any] = {"raw_text": raw_text, "text": text}
    for k, v in rest.items():
        if k.startswith("#"):
            v = _undeltas(v)
        if k[0] in "@#":  # "@": plain columns, as 0002-era archives stored them
            out[k[1:]] = [{"text": text[s:e], "start": s, "end": e, "raw_start": rs, "raw_end": re_}
                          for s, e, rs, re_ in zip(v["start"], v["end"], v["raw_start"], v["raw_end"], strict=True)]
        else:
            out[k] = v
    return out


def _like_words(key: str) -> str:
    """A LIKE pattern matching ``key`` as whole words inside a space-padded value."""
    escaped = key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"% {escaped} %"


class SqliteStorage(Storage):
    """The default storage: one SQLite file (or ``":memory:"``)."""

    def __init__(self, path: str, *, readonly: bool = False, timeout: float = 5.0) -> None:
        self.path = path
        self.readonly = readonly
        self._depth = 0
        if path != ":memory:":
            p = Path(path)
            if p.is_dir():
                raise StorageError(f"{path}: is a directory, not an archive file (give a file path, e.g. {p / 'khabar.db'})")
            if readonly and not p.exists():
                raise StorageError(f"{path}: no archive here (build one with `khabar ingest SOURCE --db {path}`)")
            if not p.exists() and not p.parent.exists():
                raise StorageError(f"{path}: folder {p.parent} does not exist (create it or choose another --db)")
        try:
            if readonly and path != ":memory:":
                uri = Path(path).resolve().as_uri() + "?mode=ro"
                self.db = sqlite3.connect(uri, uri=True, timeout=timeout, isolation_level=None,
                                          check_same_thread=False)
            else:
                self.db = sqlite3.connect(path, timeout=timeout, isolation_level=None, check_same_thread=False)
        except sqlite3.Error as err:
            raise StorageError(f"{path}: cannot open the archive ({err})") from None
        try:
            self._setup()
        except sqlite3.DatabaseError as err:
            self.db.close()
            raise self._error(err) from None

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

    def _error(self, err: sqlite3.Error) -> StorageError:
        msg = str(err)
        if isinstance(err, StorageError):
            return err
        if "not a database" in msg or "malformed" in msg or "file is encrypted" in msg:
            return StorageError(f"{self.path}: {_NOT_A_DB} — choose another --db path, or move this file away")
        if "locked" in msg or "busy" in msg:
            return StorageError(f"{self.path}: the archive is locked by another process (another `khabar ingest`?); "
                                "wait for it to finish and try again")
        if "readonly" in msg or "read-only" in msg:
            return StorageError(f"{self.path}: the archive is read-only here (check the file's permissions)")
        return StorageError(f"{self.path}: {msg}")

    # -- transactions ---------------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """A write transaction (nested calls join the outer one)."""
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        try:
            self.db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as err:
            raise self._error(err) from None
        self._depth = 1
        try:
            yield
        except BaseException:
            self._depth = 0
            self.db.execute("ROLLBACK")
            raise
        self._depth = 0
        try:
            self.db.execute("COMMIT")
        except sqlite3.Error as err:
            raise self._error(err) from None

    # -- writing --------------------------------------------------------------------------------

    def _outlet_id(self, name: str | None) -> int | None:
        if not name or not name.strip():
            return None
        key = fold(name)
        row = self.db.execute("SELECT id FROM outlets WHERE key = ?", (key,)).fetchone()
        if row:
            return int(row[0])
        return int(self.db.execute("INSERT INTO outlets (name, key) VALUES (?, ?)", (name.strip(), key)).lastrowid or 0)

    def add(self, article: NewArticle) -> int | None:
        """Store one article and what the pipeline found in it; ``None`` for a duplicate."""
        doc = article.doc
        try:
            with self.transaction():
                if article.url and self.has_url(article.url):
                    return None
                if self.has_content(article.content_key):
                    return None
                outlet = article.outlet or (doc.get("source") or {}).get("name")
                published = article.published or (doc.get("meta") or {}).get("published")
                # The id is chosen here (we hold the write lock) so the index key can be written at once.
                article_id = int(self.db.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM articles").fetchone()[0])
                key = fts_key(article_id, published)
                self.db.execute(
                    "INSERT INTO articles (id, fts_key, url, content_key, title, published, author, outlet_id, origin, "
                    "kind, raw_text, text, doc, analysis, quotes, added) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (article_id, key, article.url, article.content_key, article.title, published, article.author,
                     self._outlet_id(outlet), article.origin, article.kind, doc["raw_text"], doc["text"],
                     article.packed or pack_doc(doc), article.analysis, len(doc.get("quotes") or ()), _now()))
                title_key = article.title_key if article.title_key is not None else _title_key(article.title)
                body_key = article.body_key if article.body_key is not None else fold(doc["text"])
                self.db.execute("INSERT INTO articles_fts (rowid, title, body) VALUES (?, ?, ?)",
                                (key, title_key, body_key))
                self._add_structure(article_id, doc, key)
        except sqlite3.IntegrityError:
            return None
        except sqlite3.Error as err:
            raise self._error(err) from None
        return article_id

    def _add_structure(self, article_id: int, doc: dict[str, Any], key: int | None = None) -> None:
        db = self.db
        if key is None:
            key = int(db.execute("SELECT fts_key FROM articles WHERE id = ?", (article_id,)).fetchone()[0])
        entities = {e["id"]: e for e in doc.get("entities") or ()}
        counts: dict[str, int] = {}
        for m in doc.get("mentions") or ():
            if m.get("entity"):
                counts[m["entity"]] = counts.get(m["entity"], 0) + 1
                if m["entity"] not in entities:  # a mention whose identity the document does not list
                    entities[m["entity"]] = {"id": m["entity"], "name": m["text"], "label": m.get("label", "")}
        for ent in entities.values():
            self._merge_entity(ent)
        db.executemany(
            'INSERT INTO mentions (article_id, entity_id, label, text, start, "end", raw_start, raw_end) '
            "VALUES (?,?,?,?,?,?,?,?)",
            [(article_id, m.get("entity"), m.get("label", ""), m["text"], m["start"], m["end"],
              m.get("raw_start"), m.get("raw_end")) for m in doc.get("mentions") or ()])
        db.executemany(
            "INSERT INTO article_entities (entity_id, fts_key, article_id, label, mentions) VALUES (?,?,?,?,?)",
            [(eid, key, article_id, ent.get("label", ""), counts.get(eid, 0)) for eid, ent in entities.items()])
        for q in doc.get("quotes") or ():
            sp, content = q.get("speaker") or {}, q["content"]
            speaker_entity = sp.get("entity")
            if speaker_entity and speaker_entity not in entities:
                self._merge_entity({"id": speaker_entity, "name": sp.get("text", ""), "label": "PER"})
            db.execute(
                'INSERT INTO quotes (article_id, speaker_entity, speaker, cue, content, content_key, kind, start, "end", '
                "raw_start, raw_end) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (article_id, speaker_entity, sp.get("text"), (q.get("cue") or {}).get("text"), content["text"],
                 fold(content["text"]), q.get("kind"), content["start"], content["end"],
                 content.get("raw_start"), content.get("raw_end")))
        for ev in doc.get("events") or ():
            trig = ev.get("trigger") or {}
            cur = db.execute(
                'INSERT INTO events (article_id, type, trigger, start, "end", date, place) VALUES (?,?,?,?,?,?,?)',
                (article_id, ev["type"], trig.get("text"), trig.get("start"), trig.get("end"), ev.get("date"),
                 ev.get("place")))
            db.executemany("INSERT OR IGNORE INTO event_participants (event_id, entity_id) VALUES (?, ?)",
                           [(cur.lastrowid, p) for p in ev.get("participants") or ()])
        db.executemany(
            'INSERT INTO dates (article_id, value, calendar, granularity, text, start, "end") VALUES (?,?,?,?,?,?,?)',
            [(article_id, d.get("value"), d.get("calendar"), d.get("granularity"), d["text"], d["start"], d["end"])
             for d in doc.get("dates") or ()])

    def _merge_entity(self, ent: dict[str, Any]) -> None:
        """Insert an identity, or add this article's aliases and titles to the one already stored."""
        db = self.db
        eid = ent["id"]
        names = {ent.get("name", ""), *(ent.get("aliases") or ())} - {""}
        titles = list(ent.get("titles") or ())
        row = db.execute("SELECT aliases, titles, name FROM entities WHERE id = ?", (eid,)).fetchone()
        if row is None:
            aliases = sorted(names - {ent.get("name", "")})
            db.execute("INSERT INTO entities (id, name, label, aliases, titles) VALUES (?,?,?,?,?)",
                       (eid, ent.get("name", ""), ent.get("label", ""), json.dumps(aliases, ensure_ascii=False),
                        json.dumps(titles, ensure_ascii=False)))
        else:
            old_aliases, old_titles = json.loads(row[0]), json.loads(row[1])
            aliases = sorted((set(old_aliases) | names) - {row[2]})
            merged_titles = old_titles + [t for t in titles if t not in old_titles]
            if aliases != old_aliases or merged_titles != old_titles:
                db.execute("UPDATE entities SET aliases = ?, titles = ? WHERE id = ?",
                           (json.dumps(aliases, ensure_ascii=False), json.dumps(merged_titles, ensure_ascii=False),
                            eid))
        db.executemany("INSERT OR IGNORE INTO entity_names (key, entity_id) VALUES (?, ?)",
                       [(fold(n), eid) for n in names if fold(n)])

    def replace_analysis(self, article_id: int, doc: dict[str, Any], analysis: str = "full") -> None:
        db = self.db
        try:
            with self.transaction():
                row = db.execute("SELECT title, text, fts_key FROM articles WHERE id = ?", (article_id,)).fetchone()
                if row is None:
                    raise NotFoundError(f"no article {article_id} in {self.path}")
                for table in ("mentions", "article_entities", "quotes", "dates"):
                    db.execute(f"DELETE FROM {table} WHERE article_id = ?", (article_id,))
                db.execute("DELETE FROM events WHERE article_id = ?", (article_id,))
                if row[1] != doc["text"]:
                    # The restorer changed since the article was stored: reindex it.
                    db.execute("INSERT INTO articles_fts (articles_fts, rowid, title, body) VALUES ('delete', ?, ?, ?)",
                               (row[2], _title_key(row[0]), fold(row[1])))
                    db.execute("INSERT INTO articles_fts (rowid, title, body) VALUES (?, ?, ?)",
                               (row[2], _title_key(row[0]), fold(doc["text"])))
                db.execute("UPDATE articles SET text = ?, doc = ?, analysis = ?, quotes = ? WHERE id = ?",
                           (doc["text"], pack_doc(doc), analysis, len(doc.get("quotes") or ()), article_id))
                self._add_structure(article_id, doc, row[2])
        except sqlite3.Error as err:
            raise self._error(err) from None

    def set_stories(self, clusters: Mapping[int, Sequence[int]] | Iterable[Sequence[int]]) -> int:
        """Replace the stories. ``clusters`` maps a story id to its article ids (or is a list of
        clusters, each named by its first article). Every listed article gets its story id, single
        articles too, so articles added later are known to be unclustered (``story_id IS NULL``)."""
        db = self.db
        items = clusters.items() if isinstance(clusters, Mapping) else ((c[0], c) for c in clusters if len(c))
        stored = 0
        try:
            with self.transaction():
                db.execute("UPDATE articles SET story_id = NULL WHERE story_id IS NOT NULL")
                db.execute("DELETE FROM stories")
                for story_id, members in items:
                    ids = sorted(set(members))
                    marks = ",".join("?" * len(ids))
                    rows = db.execute(
                        f"SELECT a.title, a.published, a.outlet_id FROM articles a WHERE a.id IN ({marks}) "
                        "ORDER BY a.published IS NULL, a.published, a.id", ids).fetchall()
                    if not rows:
                        continue
                    dates = [r[1] for r in rows if r[1]]
                    title = next((r[0] for r in rows if r[0]), None)
                    db.execute(
                        "INSERT INTO stories (id, title, size, outlets, first_published, last_published) "
                        "VALUES (?,?,?,?,?,?)",
                        (int(story_id), title, len(rows), len({r[2] for r in rows if r[2] is not None}),
                         min(dates) if dates else None, max(dates) if dates else None))
                    db.execute(f"UPDATE articles SET story_id = ? WHERE id IN ({marks})", [int(story_id), *ids])
                    stored += len(rows) > 1
        except sqlite3.Error as err:
            raise self._error(err) from None
        return stored

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

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        try:
            return self.db.execute(sql, params).fetchall()
        except sqlite3.Error as err:
            raise self._error(err) from None

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

    def estimate_matches(self, fts: str) -> int:
        """About how many articles match an FTS5 expression: the count among the newest
        :data:`SAMPLE` articles, scaled to the archive (exact for an archive that small)."""
        total = int(self._query("SELECT COALESCE(MAX(id), 0) FROM articles")[0][0])
        if total <= SAMPLE:
            return int(self._query("SELECT COUNT(*) FROM articles_fts WHERE articles_fts MATCH ?", (fts,))[0][0])
        bound = self._query(f"SELECT fts_key FROM articles ORDER BY fts_key DESC LIMIT 1 OFFSET {SAMPLE}")[0][0]
        n = int(self._query("SELECT COUNT(*) FROM articles_fts WHERE articles_fts MATCH ? AND rowid > ?",
                            (fts, bound))[0][0])
        return n * total // SAMPLE

    def _filters(self, filt: ArticleFilter, *, skip_group: int | None = None,
                 skip_outlets: bool = False) -> tuple[list[str], list[Any]]:
        """WHERE clauses on ``a`` (articles) for the filters, except the one that drives the query."""
        clauses: list[str] = []
        params: list[Any] = []
        for i, group in enumerate(filt.entity_groups):
            if i == skip_group:
                continue
            clauses.append(f"EXISTS (SELECT 1 FROM article_entities ae WHERE ae.entity_id IN ({','.join('?' * len(group))}) "
                           "AND ae.fts_key = a.fts_key)")
            params += list(group)
        if filt.outlet_ids is not None and not skip_outlets:
            clauses.append(f"a.outlet_id IN ({','.join('?' * len(filt.outlet_ids))})")
            params += list(filt.outlet_ids)
        if filt.has_quotes:
            clauses.append("a.quotes > 0")
        if filt.story_id is not None:
            clauses.append("a.story_id = ?")
            params.append(filt.story_id)
        return clauses, params

    def _key_range(self, filt: ArticleFilter) -> tuple[int | None, int | None]:
        lo = day_key(filt.since) if filt.since else None
        hi = day_key(filt.until) if filt.until else None
        if hi is not None and lo is None:
            lo = 1 << DAY_SHIFT  # a date bound excludes undated articles
        return lo, hi

    def _facet_sizes(self, filt: ArticleFilter) -> list[tuple[int, str, int]]:
        """``(articles, kind, index)`` of each filter that can drive a query, smallest first."""
        sizes = []
        for i, group in enumerate(filt.entity_groups):
            n = self._query(f"SELECT COUNT(*) FROM (SELECT 1 FROM article_entities WHERE entity_id IN "
                            f"({','.join('?' * len(group))}) LIMIT {FACET_CAP})", list(group))[0][0]
            sizes.append((int(n), "entity", i))
        if filt.outlet_ids is not None:
            n = self._query(f"SELECT COUNT(*) FROM (SELECT 1 FROM articles WHERE outlet_id IN "
                            f"({','.join('?' * len(filt.outlet_ids))}) LIMIT {FACET_CAP})", list(filt.outlet_ids))[0][0]
            sizes.append((int(n), "outlet", 0))
        return sorted(sizes)

    def _plan(self, fts: str | None, filt: ArticleFilter, estimate: int | None,
              need: int, *, ranked: bool = False) -> tuple[str, list[Any], int]:
        """``(SELECT a.id, key …, params, rows)`` in index-key order, driven by the text index or the smallest facet.

        Scanning the text matches newest first stops once ``need`` of them pass the filters: about
        ``need × articles / facet size`` rows (at most all ``estimate`` matches). Driving by a facet
        reads the text matches once into a set and walks the facet's articles. The cheaper one
        drives. ``rows`` is how many to take in key order (more than ``need`` when ``ranked``).
        """
        lo, hi = self._key_range(filt)
        sizes = self._facet_sizes(filt)
        # MAX(id) reads one page; COUNT(*) would read the whole table on every search.
        total = max(1, int(self._query("SELECT COALESCE(MAX(id), 0) FROM articles")[0][0]))
        rows = max(need, RANK_WINDOW) if ranked else need
        driver = None
        if sizes:
            n, kind, i = sizes[0]
            matches = estimate if estimate is not None else total
            if ranked:
                rows = max(need, min(RANK_WINDOW, SCAN_BUDGET * max(1, n) // total))
            if not fts:
                driver = (kind, i)
            else:
                scan_cost = SCAN_US * min(matches, rows * total // max(1, n))
                facet_cost = SET_US * matches + n
                if facet_cost < scan_cost:
                    driver = (kind, i)
        if fts and driver is None:
            clauses, params = self._filters(filt)
            where = ["articles_fts MATCH ?"]
            args: list[Any] = [fts]
            if lo is not None:
                where.append("articles_fts.rowid >= ?")
                args.append(lo)
            if hi is not None:
                where.append("articles_fts.rowid < ?")
                args.append(hi)
            # rank (bm25) first reads every match of each term for its statistics: only when asked.
            rank = "articles_fts.rank" if ranked else "0"
            sql = (f"SELECT a.id AS id, articles_fts.rowid AS k, {rank} AS r FROM articles_fts "
                   "JOIN articles a ON a.fts_key = articles_fts.rowid WHERE " + " AND ".join(where + clauses))
            return sql, args + params, rows
        clauses, params = self._filters(filt, skip_group=driver[1] if driver and driver[0] == "entity" else None,
                                        skip_outlets=bool(driver and driver[0] == "outlet"))
        args = []
        if driver and driver[0] == "entity":
            group = filt.entity_groups[driver[1]]
            source = ("FROM article_entities d JOIN articles a ON a.fts_key = d.fts_key "
                      f"WHERE d.entity_id IN ({','.join('?' * len(group))})")
            args += list(group)
            keycol = "d.fts_key"
        elif driver:
            assert filt.outlet_ids is not None
            source = f"FROM articles a WHERE a.outlet_id IN ({','.join('?' * len(filt.outlet_ids))})"
            args += list(filt.outlet_ids)
            keycol = "a.fts_key"
        else:
            source = "FROM articles a WHERE 1"
            keycol = "a.fts_key"
        if lo is not None:
            clauses.append(f"{keycol} >= ?")
            params.append(lo)
        if hi is not None:
            clauses.append(f"{keycol} < ?")
            params.append(hi)
        if fts:
            # One pass over the text index into a set; probing it per article (MATCH … AND rowid = ?)
            # would reload the terms' doclists every time.
            clauses.append(f"{keycol} IN (SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?)")
            params.append(fts)
        sql = f"SELECT a.id AS id, {keycol} AS k, 0 AS r {source}" + "".join(f" AND {c}" for c in clauses)
        return sql, args + params, rows

    def search(self, fts: str | None, filt: ArticleFilter, *, limit: int, offset: int = 0,
               order: str = "newest", estimate: int | None = None) -> list[Hit]:
        ranked = order == "relevance" and fts is not None
        sql, params, rows = self._plan(fts, filt, estimate, limit + offset, ranked=ranked)
        if ranked:
            sql = f"SELECT id FROM ({sql} ORDER BY k DESC LIMIT {int(rows)}) ORDER BY r, k DESC LIMIT ? OFFSET ?"
        elif order == "oldest":
            sql = f"SELECT id FROM ({sql}) ORDER BY k LIMIT ? OFFSET ?"
        else:
            sql = f"{sql} ORDER BY k DESC LIMIT ? OFFSET ?"
        ids = [r[0] for r in self._query(sql, [*params, limit, offset])]
        hits = []
        for article_id in ids:
            r = self._query("SELECT a.id, a.title, o.name, a.published, a.url, a.raw_text, a.text, a.doc "
                            "FROM articles a LEFT JOIN outlets o ON o.id = a.outlet_id WHERE a.id = ?", (article_id,))[0]
            changes = json.loads(zlib.decompress(r[7])).get("changes", []) if r[5] != r[6] else []
            hits.append(Hit(r[0], r[1], r[2], r[3], r[4], r[5], r[6], changes))
        return hits

    def _ids_sql(self, fts: str | None, filt: ArticleFilter, limit: int) -> tuple[str, list[Any]]:
        sql, params, _ = self._plan(fts, filt, None, limit)
        return f"SELECT id FROM ({sql} LIMIT {int(limit)})", params

    def count_matches(self, fts: str | None, filt: ArticleFilter, *, cap: int = 10_000) -> int:
        sql, params = self._ids_sql(fts, filt, cap)
        return int(self._query(f"SELECT COUNT(*) FROM ({sql})", params)[0][0])

    def facet_counts(self, fts: str | None, filt: ArticleFilter, *, top: int = 5,
                     sample: int = 5000) -> dict[str, list[tuple[str, int]]]:
        ids, params = self._ids_sql(fts, filt, sample)
        out: dict[str, list[tuple[str, int]]] = {}
        for facet, labels in (("person", PERSON_LABELS), ("org", ORG_LABELS), ("place", PLACE_LABELS)):
            marks = ",".join("?" * len(labels))
            rows = self._query(
                f"SELECT e.name, COUNT(*) AS n FROM article_entities ae JOIN entities e ON e.id = ae.entity_id "
                f"WHERE ae.article_id IN ({ids}) AND e.label IN ({marks}) GROUP BY e.id ORDER BY n DESC, e.name "
                "LIMIT ?", [*params, *labels, top])
            out[facet] = [(r[0], int(r[1])) for r in rows]
        rows = self._query(
            f"SELECT o.name, COUNT(*) AS n FROM articles a2 JOIN outlets o ON o.id = a2.outlet_id "
            f"WHERE a2.id IN ({ids}) GROUP BY o.id ORDER BY n DESC, o.name LIMIT ?", [*params, top])
        out["source"] = [(r[0], int(r[1])) for r in rows]
        return out

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

    def file_bytes(self) -> int:
        """Bytes the archive takes on disk (database plus WAL)."""
        if self.path == ":memory:":
            page = self._query("PRAGMA page_size")[0][0]
            return int(page) * int(self._query("PRAGMA page_count")[0][0])
        return sum(p.stat().st_size for p in (Path(self.path), Path(self.path + "-wal")) if p.exists())

    def checkpoint(self) -> None:
        """Fold the WAL back into the main file (after a large ingest)."""
        self._query("PRAGMA wal_checkpoint(TRUNCATE)")

    def close(self) -> None:
        # Closing never matters more than the error before it.
        with contextlib.suppress(sqlite3.Error):
            self.db.close()


def _title_key(title: str | None) -> str:
    if not title:
        return ""
    from khabar.folding import search_key

    return search_key(title)


def _statements(sql: str) -> Iterator[str]:
    """Split a migration script into statements (ours hold no semicolons inside strings)."""
    for part in sql.split(";"):
        if part.strip():
            yield part.strip()


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat()
