"""The PostgreSQL archive (``postgresql://…``): the same archive as SQLite's, for archives that outgrow one file.

The backend is split by concern: :mod:`.schema` (tables as named migrations, SQLite's tables and
names), :mod:`.fts` (lexemes as SQLite's index has them, ``tsvector`` and ``tsquery``), :mod:`.search`
(matches, counts, facets, histograms), :mod:`.dialect` (the SQL the SQLite backend writes for
everything else — articles' rows, identities, merges, feeds, saved searches, person pages, stories
— run here as it is, so the two cannot drift apart); :class:`PostgresStorage` adds the connection,
its errors in words, and the bulk writes.

- The database must be UTF-8 with a UTF-8 character locale; a missing one is created so
  (``C.UTF-8``, from ``template0``) when the user may, else the message says how.
- Writes are batches in one transaction: the articles go through ``COPY`` into a staging table and
  then ``INSERT … ON CONFLICT DO NOTHING``, so an article whose URL or content key is stored (by an
  earlier run, or by another writer at the same moment) is skipped, never stored twice; the rows
  derived from the inserted articles are written with ``COPY``. Several processes may write at once
  (each its own connection); the identities they share are merged one writer at a time.
- Ids come from a sequence (an id given with the article, when copying, is kept when free).
- Every error leaves as one line: unreachable server, wrong password, missing database, another
  program's database, a user who may only read, a full disk, a dropped connection.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import re
import sqlite3
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg import errors as pg_errors

from khabar.archive.models import IdentityDelta, NewArticle
from khabar.archive.storage.postgres.dialect import PgConnection, PgDbError, PgIntegrityError
from khabar.archive.storage.postgres.fts import tsvector_literal
from khabar.archive.storage.postgres.identities import PgIdentities
from khabar.archive.storage.postgres.schema import MIGRATIONS
from khabar.archive.storage.postgres.search import PgSearch
from khabar.archive.storage.postgres.structure import write_structure
from khabar.archive.storage.rows import StructureRows
from khabar.archive.storage.sqlite import SqliteStorage
from khabar.codec import pack_doc
from khabar.errors import StorageError
from khabar.text.fold import fold

__all__ = ["MIGRATIONS", "PostgresStorage"]

DAY_SHIFT = 32
_PASSWORD = re.compile(r"(://[^:/@?#]*:)[^@/?#]*(@)")
_PASSWORD_PARAM = re.compile(r"((?:^|[?&\s])password=)[^&\s]*", re.IGNORECASE)
_ARTICLE_COLS = ("id", "fts_key", "url", "content_key", "title", "published", "author", "outlet_id", "origin",
                 "kind", "raw_text", "text", "doc", "analysis", "quotes", "added")


# The batch's articles stored already (by URL or content key): skipped.
_STORED = "SELECT url, content_key FROM articles WHERE url = ANY(%b) OR content_key = ANY(%b)"


def _redact(url: str) -> str:
    return _PASSWORD_PARAM.sub(r"\1***", _PASSWORD.sub(r"\1***\2", url))


def fts_key(article_id: int, published: str | None) -> int:
    """The article's date-ordered key, as SQLite's index rowid: publication day, then id."""
    day = 0
    if published:
        try:
            day = _dt.date.fromisoformat(published[:10]).toordinal()
        except ValueError:
            day = 0
    return (day << DAY_SHIFT) | article_id


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat()


class PostgresStorage(PgIdentities, PgSearch, SqliteStorage):
    """The PostgreSQL storage: one database, reached by a ``postgresql://`` URL (or libpq conninfo)."""

    delta_skips_own = True

    def __init__(self, url: str, *, readonly: bool = False, timeout: float = 5.0) -> None:
        self._url = url
        self.path = _redact(url)
        self.readonly = readonly
        self.created = False
        self._depth = 0
        self.lock_wait = 0.0
        self._identity = None
        # Names the batches this connection writes (identity_batches.writer): its own are left out of
        # identity_delta, as the resolver that links with it took them in when it linked them.
        self._writer = uuid.uuid4().hex
        self.conn = self._connect(timeout)
        self.db = PgConnection(self.conn)  # type: ignore[assignment]
        try:
            self._setup()
        except psycopg.Error as err:
            self.close()
            raise self._error(err) from None
        except BaseException:
            self.close()
            raise

    @property
    def url(self) -> str:  # type: ignore[override]
        return self._url

    @property
    def where(self) -> str:
        return _redact(self._url)

    # -- opening --------------------------------------------------------------------------------

    def _connect(self, timeout: float) -> psycopg.Connection[Any]:
        kwargs: dict[str, Any] = {"autocommit": True, "connect_timeout": max(1, int(timeout)),
                                  "application_name": "khabar"}
        try:
            return psycopg.connect(self._url, **kwargs)
        except psycopg.OperationalError as err:
            msg = " ".join(str(err).split())
            if "does not exist" in msg and "database" in msg and not self.readonly:
                self._create_database(kwargs)
                self.created = True
                try:
                    return psycopg.connect(self._url, **kwargs)
                except psycopg.Error as again:
                    raise self._error(again, connecting=True) from None
            raise self._error(err, connecting=True) from None
        except psycopg.ProgrammingError as err:  # a malformed URL
            raise StorageError(f"{self.where}: not a PostgreSQL address ({' '.join(str(err).split())[:160]})") from None

    def _create_database(self, kwargs: dict[str, Any]) -> None:
        """Create the missing database (UTF-8, ``C.UTF-8``) through the server's ``postgres`` database."""
        from psycopg.conninfo import conninfo_to_dict, make_conninfo

        info = conninfo_to_dict(self._url)
        name = str(info.get("dbname") or "")
        try:
            admin = psycopg.connect(make_conninfo(self._url, dbname="postgres"), **kwargs)
        except psycopg.Error as err:
            raise self._error(err) from None
        try:
            admin.execute(f"CREATE DATABASE {_ident(name)} TEMPLATE template0 ENCODING 'UTF8' "
                          "LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'")
        except pg_errors.DuplicateDatabase:
            pass
        except psycopg.Error as err:
            raise StorageError(f"{self.where}: database {name!r} does not exist and this user may not create it "
                               f"({_first_line(err)}); create it with: createdb -T template0 -E UTF8 "
                               f"--locale=C.UTF-8 {name}") from None
        finally:
            admin.close()

    def _setup(self) -> None:
        conn = self.conn
        encoding, ctype = conn.execute(
            "SELECT pg_encoding_to_char(encoding), datctype FROM pg_database WHERE datname = current_database()"
        ).fetchone() or ("", "")
        if str(encoding).upper() not in ("UTF8", "UTF-8"):
            raise StorageError(f"{self.where}: the database's encoding is {encoding}; khabar needs UTF8 (create it "
                               "with: createdb -T template0 -E UTF8 --locale=C.UTF-8 NAME)")
        if "utf" not in str(ctype).lower().replace("-", ""):
            raise StorageError(f"{self.where}: the database's character locale is {ctype}; khabar needs a UTF-8 one "
                               "(create it with: createdb -T template0 -E UTF8 --locale=C.UTF-8 NAME)")
        tables = {r[0] for r in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()").fetchall()}
        if tables and "khabar_migrations" not in tables:
            raise StorageError(f"{self.where}: is a PostgreSQL database but not a khabar archive (its tables: "
                               f"{', '.join(sorted(tables)[:5])}{' …' if len(tables) > 5 else ''}); choose another "
                               "database")
        if not tables:
            self.created = True
        if self.readonly:
            conn.execute("SET default_transaction_read_only = on")
            return
        if "khabar_migrations" in tables and set(self.applied_migrations()) >= {n for n, _ in MIGRATIONS}:
            return  # up to date: no DDL, no lock (a user who may only read opens it too)
        self.migrate()

    def migrate(self) -> list[str]:
        """Apply the migrations not yet recorded (one at a time, each in its own transaction, under an
        advisory lock so two processes opening a new archive do not both run them); their names."""
        conn = self.conn
        new: list[str] = []
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(7316248)")
            conn.execute("CREATE TABLE IF NOT EXISTS khabar_migrations (name TEXT PRIMARY KEY, applied TEXT NOT NULL)")
            done = set(self.applied_migrations())
            for name, sql in MIGRATIONS:
                if name in done:
                    continue
                for statement in (s.strip() for s in _STATEMENT_END.split(sql)):
                    if statement:
                        conn.execute(statement)
                conn.execute("INSERT INTO khabar_migrations (name, applied) VALUES (%s, %s)", (name, _now()))
                new.append(name)
        return new

    def applied_migrations(self) -> list[str]:
        return [r[0] for r in self.conn.execute("SELECT name FROM khabar_migrations ORDER BY name").fetchall()]

    # -- errors and transactions -------------------------------------------------------------------

    def _error(self, err: BaseException, *, connecting: bool = False) -> StorageError:
        if isinstance(err, StorageError):
            return err
        if isinstance(err, (PgDbError, PgIntegrityError)):
            err = err.original
        msg = _first_line(err)
        where = self.where
        low = msg.lower()
        if isinstance(err, pg_errors.InsufficientPrivilege) or "permission denied" in low:
            return StorageError(f"{where}: this database user may not write here ({msg}); use a user that may, "
                                "or only read (search, show, export)")
        if isinstance(err, pg_errors.ReadOnlySqlTransaction):
            return StorageError(f"{where}: the archive is open read-only here ({msg})")
        if isinstance(err, (pg_errors.DiskFull, pg_errors.OutOfMemory)) or "no space left" in low:
            return StorageError(f"{where}: the database server's disk is full ({msg}); nothing of the batch in "
                                "progress was stored — free space and run again")
        if "password authentication failed" in low or "no password supplied" in low or "authentication failed" in low:
            return StorageError(f"{where}: wrong user or password ({msg})")
        if "does not exist" in low and ("database" in low or "role" in low):
            return StorageError(f"{where}: {msg}")
        if (connecting or "connection refused" in low or "could not connect" in low or "no such file" in low
                or "could not translate host name" in low or "timeout expired" in low or "failed to resolve" in low):
            return StorageError(f"{where}: cannot reach the PostgreSQL server ({msg}); is it running, and is the "
                                "address right?")
        if isinstance(err, (pg_errors.AdminShutdown, psycopg.OperationalError)) or "terminat" in low or "closed" in low:
            return StorageError(f"{where}: lost the connection to the PostgreSQL server ({msg}); nothing of the batch "
                                "in progress was stored — run the same command again to finish")
        return StorageError(f"{where}: {msg}")

    @contextmanager
    def _tx(self) -> Iterator[psycopg.Connection[Any]]:
        try:
            with self.conn.transaction():
                yield self.conn
        except (psycopg.Error, sqlite3.Error) as err:
            raise self._error(err) from None

    def _pg(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        """Run PostgreSQL's own SQL (``%s`` parameters), errors in words."""
        try:
            return self.conn.execute(sql, list(params) or None).fetchall()
        except psycopg.Error as err:
            raise self._error(err) from None

    def check(self) -> None:
        """The server still answers (a server that went away fails here with one line)."""
        self._pg("SELECT 1")

    def interrupt(self) -> None:
        with contextlib.suppress(psycopg.Error):
            self.conn.cancel()

    def file_bytes(self) -> int:
        return int(self._pg("SELECT pg_database_size(current_database())")[0][0])

    def checkpoint(self) -> None:
        """Nothing to fold back: PostgreSQL manages its own write-ahead log."""

    def close(self) -> None:
        conn = getattr(self, "conn", None)
        if conn is not None:
            with contextlib.suppress(psycopg.Error):  # closing never matters more than the error before it
                conn.close()

    # -- writing --------------------------------------------------------------------------------

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """Reads in one REPEATABLE READ transaction: all see the archive as of its first read (a
        worker's resolver takes in :meth:`identity_delta` and then reads what it lacks: one moment,
        so nothing is counted twice or missed)."""
        if self.conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
            yield
            return
        with self._tx() as conn:
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            yield

    def identity_delta(self, after: int | None) -> IdentityDelta | None:
        """What the batches other connections wrote after batch ``after`` told of identities.

        Article ids come from a sequence and writers commit in any order, so no article id tells
        what is newer; the batches' numbers do (``identity_batches``, drawn under the identity lock
        that is held until commit). ``last`` is the newest batch number seen, not an article id.
        The batches this connection wrote are left out: the resolver that links with it (a
        worker's, one per connection) took them in when it linked them."""
        last = int(self._pg("SELECT COALESCE(MAX(gen), 0) FROM identity_batches")[0][0])
        if after is None or last <= after:
            return IdentityDelta(last, [], [], [], [])
        ids = [int(r[0]) for r in self._pg(
            "SELECT DISTINCT unnest(article_ids) FROM identity_batches WHERE gen > %s AND gen <= %s AND writer <> %s",
            [after, last, self._writer])]
        if not ids:
            return IdentityDelta(last, [], [], [], [])
        names = [(int(a), i, k, key, p) for a, i, k, key, p in self._pg(
            "SELECT article_id, identity_id, kind, key, published FROM identity_names WHERE article_id = ANY(%b) "
            "ORDER BY article_id, rowid", [ids])]
        mentions = [(int(a), e) for a, e in self._pg(
            "SELECT article_id, entity_id FROM article_entities WHERE article_id = ANY(%b) "
            "ORDER BY article_id, entity_id", [ids])]
        outlets = [(int(a), i, o) for a, i, o in self._pg(
            "SELECT DISTINCT l.article_id, l.identity_id, o.name FROM identity_links l JOIN articles a ON a.id = "
            "l.article_id JOIN outlets o ON o.id = a.outlet_id WHERE l.article_id = ANY(%b) "
            "ORDER BY l.article_id, l.identity_id", [ids])]
        touched = list(dict.fromkeys([i for _, i, *_ in names] + [e for _, e in mentions]))
        keys = [(k, i) for k, i in self._pg(
            "SELECT key, identity_id FROM identity_keys WHERE identity_id = ANY(%b) ORDER BY key, identity_id",
            [touched])] if touched else []
        return IdentityDelta(last, names, mentions, outlets, keys)

    def write(self, articles: Sequence[NewArticle]) -> list[int | None]:
        if not articles:
            return []
        if self.readonly:
            raise StorageError(f"{self.where}: the archive is open read-only here")
        for attempt in range(3):
            try:
                with self._tx() as conn:
                    return self._write_batch(conn, list(articles))
            except StorageError as err:
                # Two writers that insert the same articles in opposite orders can deadlock: one of
                # them is rolled back, and simply tries again.
                if attempt == 2 or "deadlock detected" not in str(err):
                    raise
        raise AssertionError("unreachable")

    def _write_batch(self, conn: psycopg.Connection[Any], articles: list[NewArticle]) -> list[int | None]:
        # Ids: those given (a copy keeps them) when free, the rest from the sequence.
        wanted = [a.id for a in articles if a.id is not None and a.id > 0]
        taken = {r[0] for r in conn.execute("SELECT id FROM articles WHERE id = ANY(%b)", (wanted,)).fetchall()} \
            if wanted else set()
        fresh = [r[0] for r in conn.execute("SELECT nextval('articles_id_seq') FROM generate_series(1, %s)",
                                            (len(articles),)).fetchall()]
        outlets = self._outlet_ids(conn, [a.outlet or (a.doc.get("source") or {}).get("name") for a in articles])
        ids: list[int] = []
        used: set[int] = set()
        now = _now()
        staged = []
        for n, (a, new_id) in enumerate(zip(articles, fresh, strict=True)):
            aid = a.id if a.id is not None and a.id > 0 and a.id not in taken and a.id not in used else new_id
            used.add(aid)
            ids.append(aid)
            doc = a.doc
            published = a.published or (doc.get("meta") or {}).get("published")
            title_key = a.title_key if a.title_key is not None else (fold(a.title) if a.title else "")
            body_key = a.body_key if a.body_key is not None else fold(doc["text"])
            outlet = outlets.get(n)
            staged.append((n, aid, fts_key(aid, published), a.url, a.content_key, a.title, published, a.author,
                           outlet, a.origin, a.kind, doc["raw_text"], doc["text"], a.packed or pack_doc(doc),
                           a.analysis, len(doc.get("quotes") or ()), a.added or now,
                           tsvector_literal(title_key, body_key)))
        inserted = self._insert_articles(conn, staged)
        if any(a.id is not None for a in articles):  # ids given: keep the sequence past them
            conn.execute("SELECT setval('articles_id_seq', GREATEST((SELECT MAX(id) FROM articles), 1))")
        done = [(a, aid, row[2], row[-1]) for a, aid, row in zip(articles, ids, staged, strict=True) if aid in inserted]
        with conn.cursor() as cur, cur.copy("COPY articles_fts (rowid, tsv) FROM STDIN") as copy:
            for _, _, key, tsv in done:
                copy.write_row((key, tsv))
        if done:
            # The rows derived from the articles, as SQLite derives them, a table at a time for the
            # whole batch (identities merged by one writer at a time: concurrent writers would
            # otherwise overwrite each other's aliases).
            rows = StructureRows()
            for a, aid, key, _ in done:
                rows.add(aid, a.doc, key, a.links)
            self._write_structure(rows)
            if len(rows):  # numbered under the identity lock the structure rows took (identity_delta)
                conn.execute("INSERT INTO identity_batches (writer, article_ids) VALUES (%s, %b::bigint[])",
                             (self._writer, [aid for _, aid, _, _ in done]))
        return [aid if aid in inserted else None for aid in ids]

    def _insert_articles(self, conn: psycopg.Connection[Any], staged: list[tuple[Any, ...]]) -> set[int]:
        """Insert the batch's articles (rows ``(ord, *_ARTICLE_COLS, tsv)``) but those whose URL or
        content key is stored or comes earlier in the batch; the ids inserted.

        Those are found first and the rest copied straight into ``articles`` (under a savepoint).
        Only when another writer stores one of them in between (a unique violation) does the batch
        go the slower way, through a staging table and ``INSERT … ON CONFLICT DO NOTHING`` in batch
        order, which skips exactly what the first way skips."""
        urls = [row[3] for row in staged if row[3] is not None]
        found = conn.execute(_STORED, (urls, [row[4] for row in staged])).fetchall()
        seen_urls = {u for u, _ in found if u is not None}
        seen_keys = {k for _, k in found}
        fresh = []
        for row in staged:
            url, key = row[3], row[4]
            if (url is not None and url in seen_urls) or key in seen_keys:
                continue
            if url is not None:
                seen_urls.add(url)
            seen_keys.add(key)
            fresh.append(row)
        try:
            with conn.transaction(), conn.cursor() as cur, \
                    cur.copy(f"COPY articles ({', '.join(_ARTICLE_COLS)}) FROM STDIN") as copy:
                for row in fresh:
                    copy.write_row(row[1:-1])
            return {row[1] for row in fresh}
        except pg_errors.UniqueViolation:
            pass
        conn.execute("CREATE TEMP TABLE IF NOT EXISTS khabar_staged (ord INTEGER, LIKE articles) ON COMMIT DELETE ROWS")
        with conn.cursor() as cur, cur.copy(f"COPY khabar_staged (ord, {', '.join(_ARTICLE_COLS)}) FROM STDIN") as copy:
            for row in staged:
                copy.write_row(row[:-1])
        return {r[0] for r in conn.execute(
            f"INSERT INTO articles ({', '.join(_ARTICLE_COLS)}) SELECT {', '.join(_ARTICLE_COLS)} FROM khabar_staged "
            "ORDER BY ord ON CONFLICT DO NOTHING RETURNING id").fetchall()}

    def _write_structure(self, rows: StructureRows) -> None:
        """The structure rows, one ``COPY`` or one statement per table (:mod:`.structure`), under the
        identity lock."""
        if len(rows):
            self.conn.execute("SELECT pg_advisory_xact_lock(7316250)")
        write_structure(self.conn, rows)

    def _outlet_ids(self, conn: psycopg.Connection[Any], names: list[str | None]) -> dict[int, int]:
        keys = {n: fold(name) for n, name in enumerate(names) if name and name.strip()}
        if not keys:
            return {}
        first: dict[str, str] = {}
        for n, key in keys.items():
            first.setdefault(key, str(names[n]).strip())
        # Those stored already are read (an insert of a stored key would wait for a writer that has
        # just inserted it to commit); the new ones are inserted one at a time, in key order, so
        # concurrent writers do not deadlock.
        found = dict(conn.execute("SELECT key, id FROM outlets WHERE key = ANY(%b)", (sorted(first),)).fetchall())
        missing = sorted(set(first) - set(found))
        for key in missing:
            conn.execute("INSERT INTO outlets (name, key) VALUES (%s, %s) ON CONFLICT (key) DO NOTHING",
                         (first[key], key))
        if missing:
            found.update(conn.execute("SELECT key, id FROM outlets WHERE key = ANY(%b)", (missing,)).fetchall())
        return {n: int(found[key]) for n, key in keys.items()}

# A migration's statements end at a semicolon that ends a line (a function body keeps its own).
_STATEMENT_END = re.compile(r";[ \t]*$", re.M)


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _first_line(err: BaseException) -> str:
    text = str(err).strip() or type(err).__name__
    return " ".join(text.splitlines()[0].split())[:300]
