"""The SQLite archive's schema, as named migrations applied in order and recorded in a table.

Each article is one row with its raw text, restored text, metadata and the rest of its
``Document.to_dict()`` (:mod:`khabar.codec`), and the rows derived from it: mentions, entities
(identities across articles, keyed by the pipeline's entity id), quotes, events and dates.
Never edit a migration that has shipped; add the next one instead.
"""

from __future__ import annotations

import datetime as _dt
import sqlite3
from collections.abc import Callable, Iterator

from khabar.archive.storage.sqlite.fts import fts_key, title_key_of
from khabar.text.fold import fold

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
        db.execute("INSERT INTO articles_fts (rowid, title, body) VALUES (?, ?, ?)", (key, title_key_of(title), fold(text)))
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

# Identities across the archive (khabar.archive.identities decides them; these tables keep them).
# `entities` holds the identities themselves; an article's entity ids are mapped to them when it is
# stored (identity_links keeps the mapping and its reason), and the rows below say what each
# article tells of an identity (its forms, titles, honorifics, with the article's date), how later
# articles find it (identity_keys), which bare roles were resolved to whom (role_mentions), and
# every merge and split, with what it moved, so it can be undone (identity_log, identity_redirects).
_IDENTITIES = """
CREATE TABLE identity_keys (
    key TEXT NOT NULL,
    identity_id TEXT NOT NULL,
    PRIMARY KEY (key, identity_id)
) WITHOUT ROWID;
CREATE INDEX identity_keys_identity ON identity_keys(identity_id);
CREATE TABLE identity_names (
    identity_id TEXT NOT NULL,
    article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    text TEXT NOT NULL,
    published TEXT
);
CREATE INDEX identity_names_identity ON identity_names(identity_id, kind, key);
CREATE INDEX identity_names_article ON identity_names(article_id);
CREATE INDEX identity_names_key ON identity_names(kind, key);
CREATE TABLE identity_links (
    article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    local_id TEXT NOT NULL,
    identity_id TEXT NOT NULL,
    reason TEXT,
    PRIMARY KEY (article_id, local_id)
) WITHOUT ROWID;
CREATE INDEX identity_links_identity ON identity_links(identity_id);
CREATE TABLE role_mentions (
    article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    start INTEGER NOT NULL,
    "end" INTEGER NOT NULL,
    raw_start INTEGER,
    raw_end INTEGER,
    text TEXT NOT NULL,
    office TEXT NOT NULL,
    identity_id TEXT NOT NULL,
    reason TEXT,
    speaker INTEGER NOT NULL DEFAULT 0,
    entity TEXT
);
CREATE INDEX role_mentions_article ON role_mentions(article_id);
CREATE INDEX role_mentions_identity ON role_mentions(identity_id);
CREATE TABLE identity_log (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    action TEXT NOT NULL,
    identity_id TEXT NOT NULL,
    other_id TEXT,
    reason TEXT,
    data TEXT,
    undone INTEGER
);
CREATE INDEX identity_log_identity ON identity_log(identity_id);
CREATE TABLE identity_redirects (
    old_id TEXT PRIMARY KEY,
    new_id TEXT NOT NULL
) WITHOUT ROWID
"""

# khabar watch: the feeds followed, every item they listed (so no page is fetched twice, across
# restarts too), saved searches and the articles they matched.
_FOLLOWING = """
CREATE TABLE feeds (
    id INTEGER PRIMARY KEY,
    url TEXT NOT NULL UNIQUE,
    title TEXT,
    etag TEXT,
    last_modified TEXT,
    last_poll REAL,
    last_status TEXT,
    last_error TEXT,
    error_kind TEXT,
    failures INTEGER NOT NULL DEFAULT 0,
    next_poll REAL NOT NULL DEFAULT 0,
    last_new REAL,
    polls INTEGER NOT NULL DEFAULT 0,
    added REAL NOT NULL
);
CREATE TABLE feed_items (
    feed_id INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    url TEXT,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    first_seen REAL NOT NULL,
    article_id INTEGER REFERENCES articles(id) ON DELETE SET NULL,
    note TEXT,
    data TEXT,
    PRIMARY KEY (feed_id, key)
) WITHOUT ROWID;
CREATE INDEX feed_items_state ON feed_items(feed_id, state, first_seen);
CREATE INDEX feed_items_seen ON feed_items(first_seen);
CREATE TABLE alerts (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    query TEXT NOT NULL,
    facets TEXT NOT NULL DEFAULT '{}',
    created TEXT NOT NULL
);
CREATE TABLE alert_matches (
    alert_id INTEGER NOT NULL REFERENCES alerts(id) ON DELETE CASCADE,
    article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    matched_at TEXT NOT NULL,
    PRIMARY KEY (alert_id, article_id)
) WITHOUT ROWID;
CREATE INDEX alert_matches_time ON alert_matches(alert_id, matched_at)
"""

# Named migrations, applied in order and recorded in `migrations`: SQL scripts or functions of the
# connection. Never edit one that has shipped; add the next one instead.
MIGRATIONS: list[tuple[str, str | Callable[[sqlite3.Connection], None]]] = [
    ("0001_initial", _INITIAL),
    ("0002_date_ordered_index", _migrate_date_ordered_index),
    ("0003_facets_by_key", _FACETS_BY_KEY),
    # 0002 made a vocabulary view of the index that nothing reads.
    ("0004_drop_unused_vocab", "DROP TABLE IF EXISTS articles_vocab"),
    # Articles stored before it keep their entities' own ids until `khabar reanalyze --all` links them.
    ("0005_identities", _IDENTITIES),
    ("0006_following", _FOLLOWING),
]

def _statements(sql: str) -> Iterator[str]:
    """Split a migration script into statements (ours hold no semicolons inside strings)."""
    for part in sql.split(";"):
        if part.strip():
            yield part.strip()


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat()
