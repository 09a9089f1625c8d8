"""The PostgreSQL archive's schema, as named migrations applied in order and recorded in ``khabar_migrations``.

The tables mirror the SQLite archive's: one row per article (raw text, restored text, metadata, the
rest of its ``Document.to_dict()`` packed by :mod:`khabar.codec`), its mentions, identities, quotes,
events and dates; identities across articles; feeds and saved searches. Full text is a table of
``tsvector`` rows with a GIN index, keyed like SQLite's FTS5 rowid by ``fts_key`` (publication day,
then id), so both order alike. The table and column names are SQLite's: the SQL both run is one. Never
edit a migration that has shipped; add the next one instead.
"""

from __future__ import annotations

__all__ = ["MIGRATIONS", "TABLES"]

_INITIAL = """
CREATE TABLE outlets (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL,
    key TEXT NOT NULL UNIQUE
);
CREATE TABLE stories (
    id BIGINT PRIMARY KEY,
    title TEXT,
    size INTEGER NOT NULL,
    outlets INTEGER NOT NULL,
    first_published TEXT,
    last_published TEXT
);
CREATE SEQUENCE articles_id_seq;
CREATE TABLE articles (
    id BIGINT PRIMARY KEY DEFAULT nextval('articles_id_seq'),
    fts_key BIGINT NOT NULL UNIQUE,
    url TEXT UNIQUE,
    content_key TEXT NOT NULL UNIQUE,
    title TEXT,
    published TEXT,
    author TEXT,
    outlet_id BIGINT REFERENCES outlets(id),
    origin TEXT,
    kind TEXT,
    raw_text TEXT NOT NULL,
    text TEXT NOT NULL,
    doc BYTEA NOT NULL,
    analysis TEXT NOT NULL DEFAULT 'full',
    quotes INTEGER NOT NULL DEFAULT 0,
    story_id BIGINT REFERENCES stories(id) ON DELETE SET NULL,
    added TEXT NOT NULL
);
ALTER SEQUENCE articles_id_seq OWNED BY articles.id;
CREATE INDEX articles_outlet ON articles (outlet_id, fts_key);
-- The full-text index: one row per article, keyed as SQLite's FTS5 rowid (the article's fts_key).
CREATE TABLE articles_fts (
    rowid BIGINT PRIMARY KEY,
    tsv TSVECTOR NOT NULL
);
CREATE INDEX articles_fts_tsv ON articles_fts USING GIN (tsv);
CREATE INDEX articles_story ON articles (story_id);
CREATE INDEX articles_analysis ON articles (analysis, id);
CREATE INDEX articles_published ON articles (published COLLATE "C", id);
CREATE TABLE entities (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    label TEXT NOT NULL,
    aliases TEXT NOT NULL DEFAULT '[]',
    titles TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX entities_label ON entities (label);
CREATE TABLE entity_names (
    key TEXT NOT NULL,
    entity_id TEXT NOT NULL REFERENCES entities(id) ON DELETE CASCADE,
    PRIMARY KEY (key, entity_id)
);
CREATE TABLE mentions (
    article_id BIGINT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    entity_id TEXT REFERENCES entities(id),
    label TEXT NOT NULL,
    text TEXT NOT NULL,
    start INTEGER NOT NULL,
    "end" INTEGER NOT NULL,
    raw_start INTEGER,
    raw_end INTEGER
);
CREATE INDEX mentions_article ON mentions (article_id);
CREATE TABLE article_entities (
    entity_id TEXT NOT NULL REFERENCES entities(id),
    article_id BIGINT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    fts_key BIGINT NOT NULL,
    label TEXT NOT NULL,
    mentions INTEGER NOT NULL,
    PRIMARY KEY (entity_id, fts_key)
);
CREATE INDEX article_entities_article ON article_entities (article_id);
CREATE TABLE quotes (
    id BIGSERIAL PRIMARY KEY,
    article_id BIGINT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
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
CREATE INDEX quotes_article ON quotes (article_id);
CREATE INDEX quotes_speaker ON quotes (speaker_entity);
CREATE TABLE events (
    id BIGSERIAL PRIMARY KEY,
    article_id BIGINT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    type TEXT NOT NULL,
    trigger TEXT,
    start INTEGER,
    "end" INTEGER,
    date TEXT,
    place TEXT
);
CREATE INDEX events_article ON events (article_id);
CREATE TABLE event_participants (
    event_id BIGINT NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    entity_id TEXT NOT NULL,
    PRIMARY KEY (entity_id, event_id)
);
CREATE INDEX event_participants_event ON event_participants (event_id);
CREATE TABLE dates (
    article_id BIGINT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    value TEXT,
    calendar TEXT,
    granularity TEXT,
    text TEXT NOT NULL,
    start INTEGER NOT NULL,
    "end" INTEGER NOT NULL
);
CREATE INDEX dates_article ON dates (article_id);
CREATE INDEX dates_value ON dates (value COLLATE "C")
"""


_IDENTITIES = """
CREATE TABLE identity_keys (
    key TEXT NOT NULL,
    identity_id TEXT NOT NULL,
    PRIMARY KEY (key, identity_id)
);
CREATE INDEX identity_keys_identity ON identity_keys (identity_id);
CREATE TABLE identity_names (
    rowid BIGSERIAL,  -- SQLite's implicit rowid: the order the names were written in
    identity_id TEXT NOT NULL,
    article_id BIGINT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    text TEXT NOT NULL,
    published TEXT
);
CREATE INDEX identity_names_identity ON identity_names (identity_id, kind, key);
CREATE INDEX identity_names_article ON identity_names (article_id);
CREATE INDEX identity_names_key ON identity_names (kind, key);
CREATE TABLE identity_links (
    article_id BIGINT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    local_id TEXT NOT NULL,
    identity_id TEXT NOT NULL,
    reason TEXT,
    PRIMARY KEY (article_id, local_id)
);
CREATE INDEX identity_links_identity ON identity_links (identity_id);
CREATE TABLE role_mentions (
    article_id BIGINT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
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
CREATE INDEX role_mentions_article ON role_mentions (article_id);
CREATE INDEX role_mentions_identity ON role_mentions (identity_id);
CREATE TABLE identity_log (
    id BIGSERIAL PRIMARY KEY,
    at TEXT NOT NULL,
    action TEXT NOT NULL,
    identity_id TEXT NOT NULL,
    other_id TEXT,
    reason TEXT,
    data TEXT,
    undone INTEGER
);
CREATE INDEX identity_log_identity ON identity_log (identity_id);
CREATE TABLE identity_redirects (
    old_id TEXT PRIMARY KEY,
    new_id TEXT NOT NULL
)
"""

_FOLLOWING = """
CREATE TABLE feeds (
    id BIGSERIAL PRIMARY KEY,
    url TEXT NOT NULL UNIQUE,
    title TEXT,
    etag TEXT,
    last_modified TEXT,
    last_poll DOUBLE PRECISION,
    last_status TEXT,
    last_error TEXT,
    error_kind TEXT,
    failures INTEGER NOT NULL DEFAULT 0,
    next_poll DOUBLE PRECISION NOT NULL DEFAULT 0,
    last_new DOUBLE PRECISION,
    polls INTEGER NOT NULL DEFAULT 0,
    added DOUBLE PRECISION NOT NULL
);
CREATE TABLE feed_items (
    feed_id BIGINT NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    url TEXT,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    first_seen DOUBLE PRECISION NOT NULL,
    article_id BIGINT REFERENCES articles(id) ON DELETE SET NULL,
    note TEXT,
    data TEXT,
    PRIMARY KEY (feed_id, key)
);
CREATE INDEX feed_items_state ON feed_items (feed_id, state, first_seen);
CREATE INDEX feed_items_seen ON feed_items (first_seen);
CREATE TABLE alerts (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    query TEXT NOT NULL,
    facets TEXT NOT NULL DEFAULT '{}',
    created TEXT NOT NULL
);
CREATE TABLE alert_matches (
    alert_id BIGINT NOT NULL REFERENCES alerts(id) ON DELETE CASCADE,
    article_id BIGINT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    matched_at TEXT NOT NULL,
    PRIMARY KEY (alert_id, article_id)
);
CREATE INDEX alert_matches_time ON alert_matches (alert_id, matched_at)
"""

# The batch writer (``structure.py``) writes an article's child rows in the transaction that inserted
# the article, and the entities they name before them, so the per-row foreign-key checks on those
# tables (a key-share look-up each, ~75,000 per 1,000 articles: ~0.35 of the server's ~1.1 ms per
# article) guard nothing it does not already ensure. They go; what they did on delete stays: deleting
# articles deletes their rows in these tables (was ON DELETE CASCADE), deleting entities deletes their
# entity_names rows (CASCADE) and is refused while mentions, article_entities or quotes name them
# (NO ACTION), each done once per statement by a trigger. Each trigger body is one line: migrations are
# split into statements at a semicolon that ends a line.
_BATCH_WRITES = """
ALTER TABLE mentions DROP CONSTRAINT mentions_article_id_fkey;
ALTER TABLE mentions DROP CONSTRAINT mentions_entity_id_fkey;
ALTER TABLE article_entities DROP CONSTRAINT article_entities_article_id_fkey;
ALTER TABLE article_entities DROP CONSTRAINT article_entities_entity_id_fkey;
ALTER TABLE quotes DROP CONSTRAINT quotes_article_id_fkey;
ALTER TABLE quotes DROP CONSTRAINT quotes_speaker_entity_fkey;
ALTER TABLE events DROP CONSTRAINT events_article_id_fkey;
ALTER TABLE dates DROP CONSTRAINT dates_article_id_fkey;
ALTER TABLE entity_names DROP CONSTRAINT entity_names_entity_id_fkey;
ALTER TABLE identity_names DROP CONSTRAINT identity_names_article_id_fkey;
ALTER TABLE identity_links DROP CONSTRAINT identity_links_article_id_fkey;
ALTER TABLE role_mentions DROP CONSTRAINT role_mentions_article_id_fkey;
CREATE FUNCTION khabar_articles_deleted() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN DELETE FROM mentions WHERE article_id IN (SELECT id FROM gone); DELETE FROM article_entities WHERE article_id IN (SELECT id FROM gone); DELETE FROM quotes WHERE article_id IN (SELECT id FROM gone); DELETE FROM events WHERE article_id IN (SELECT id FROM gone); DELETE FROM dates WHERE article_id IN (SELECT id FROM gone); DELETE FROM identity_names WHERE article_id IN (SELECT id FROM gone); DELETE FROM identity_links WHERE article_id IN (SELECT id FROM gone); DELETE FROM role_mentions WHERE article_id IN (SELECT id FROM gone); RETURN NULL; END $$;
CREATE TRIGGER articles_deleted AFTER DELETE ON articles REFERENCING OLD TABLE AS gone
    FOR EACH STATEMENT EXECUTE FUNCTION khabar_articles_deleted();
CREATE FUNCTION khabar_entities_deleted() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF EXISTS (SELECT 1 FROM mentions WHERE entity_id IN (SELECT id FROM gone)) OR EXISTS (SELECT 1 FROM article_entities WHERE entity_id IN (SELECT id FROM gone)) OR EXISTS (SELECT 1 FROM quotes WHERE speaker_entity IN (SELECT id FROM gone)) THEN RAISE foreign_key_violation USING MESSAGE = 'entities still named by mentions, article_entities or quotes'; END IF; DELETE FROM entity_names WHERE entity_id IN (SELECT id FROM gone); RETURN NULL; END $$;
CREATE TRIGGER entities_deleted AFTER DELETE ON entities REFERENCING OLD TABLE AS gone
    FOR EACH STATEMENT EXECUTE FUNCTION khabar_entities_deleted()
"""

# The batches that wrote identity rows, numbered in the order they committed: the writer draws the
# number under the identity lock (pg_advisory_xact_lock), which it holds until it commits, so a batch
# seen by a reader means every batch numbered before it is seen too. A writer that keeps its identity
# caches across batches reads what the batches after the last one it saw told
# (``PostgresStorage.identity_delta``) instead of reading every identity it meets again; ``writer``
# names the connection that wrote the batch (its own batches it took in as it linked them).
_IDENTITY_BATCHES = """
CREATE TABLE identity_batches (
    gen BIGSERIAL PRIMARY KEY,
    writer TEXT NOT NULL,
    article_ids BIGINT[] NOT NULL
)
"""

# Named migrations, applied in order and recorded: never edit one that has shipped.
MIGRATIONS: list[tuple[str, str]] = [
    ("0001_initial", _INITIAL),
    ("0002_identities", _IDENTITIES),
    ("0003_following", _FOLLOWING),
    ("0004_batch_writes", _BATCH_WRITES),
    ("0005_identity_batches", _IDENTITY_BATCHES),
]

TABLES = ("articles", "articles_fts", "outlets", "entities", "entity_names", "mentions", "article_entities", "quotes",
          "events", "event_participants", "dates", "stories", "identity_keys", "identity_names", "identity_links",
          "role_mentions", "identity_log", "identity_redirects", "feeds", "feed_items", "alerts", "alert_matches")
