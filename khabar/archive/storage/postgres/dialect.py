"""The SQL the SQLite backend writes, run on PostgreSQL.

Most of what a backend does besides full text (articles and their rows, identities, merges and
splits, feeds and saved searches, person pages, stories) is plain SQL that both databases read
alike. The PostgreSQL backend runs that very code (:mod:`khabar.archive.storage.sqlite`) through
:class:`PgConnection`, which takes ``sqlite3``'s calls and rewrites the few things SQLite writes its
own way: ``?`` parameters, ``INSERT OR IGNORE`` / ``OR REPLACE`` / ``UPDATE OR IGNORE``, ``WITHOUT
ROWID``, ``WHERE 1``, ``lastrowid`` and ``total_changes``; the FTS5 table's writes become the
``tsvector`` rows of :mod:`.fts`; and a batch of plain inserts (``executemany``) becomes one ``COPY``.
Errors come out as ``sqlite3`` errors carrying PostgreSQL's (so that code's handlers still apply).
One implementation of all that SQL serves both backends, so they cannot drift apart.

>>> translate("INSERT OR IGNORE INTO entity_names (key, entity_id) VALUES (?, ?)")
'INSERT INTO entity_names (key, entity_id) VALUES (%s, %s) ON CONFLICT DO NOTHING'
>>> translate("UPDATE t SET reason = 'pinned: ' || r WHERE r NOT LIKE 'pinned:%' AND id = ?")
"UPDATE t SET reason = 'pinned: ' || r WHERE r NOT LIKE 'pinned:%%' AND id = %s"
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator, Sequence
from functools import lru_cache
from typing import Any

import psycopg

from khabar.archive.storage.postgres.fts import tsvector_literal

__all__ = ["PgConnection", "PgDbError", "translate"]

# Primary keys of the tables SQLite's code writes with OR REPLACE / UPDATE OR IGNORE.
PRIMARY_KEYS = {
    "feed_items": ("feed_id", "key"),
    "identity_links": ("article_id", "local_id"),
    "identity_redirects": ("old_id",),
    "event_participants": ("entity_id", "event_id"),
    "article_entities": ("entity_id", "fts_key"),
    "stories": ("id",),
}
# Tables whose rows get their id from a sequence (for ``lastrowid``).
SERIAL = {"events", "quotes", "outlets", "identity_log", "alerts", "feeds", "stories"}

_INSERT = re.compile(r"^\s*INSERT\s+(?:OR\s+(IGNORE|REPLACE)\s+)?INTO\s+(\w+)\s*\(([^)]*)\)", re.I | re.S)
_UPDATE_OR_IGNORE = re.compile(r"^\s*UPDATE\s+OR\s+IGNORE\s+(\w+)\s+SET\s+(\w+)\s*=\s*\?", re.I)
_FTS_INSERT = re.compile(r"^\s*INSERT\s+INTO\s+articles_fts\s*\(\s*rowid\s*,\s*title\s*,\s*body\s*\)", re.I)
_FTS_DELETE = re.compile(r"^\s*INSERT\s+INTO\s+articles_fts\s*\(\s*articles_fts\s*,", re.I)


class PgDbError(sqlite3.DatabaseError):
    """A PostgreSQL error, as the ``sqlite3`` error that code written for SQLite expects."""

    def __init__(self, original: BaseException) -> None:
        super().__init__(str(original))
        self.original = original


class PgIntegrityError(sqlite3.IntegrityError):
    def __init__(self, original: BaseException) -> None:
        super().__init__(str(original))
        self.original = original


@lru_cache(maxsize=1024)
def translate(sql: str) -> str:
    """SQLite's SQL as PostgreSQL reads it (parameters as ``%s``)."""
    out = sql.replace("BEGIN IMMEDIATE", "BEGIN").replace(") WITHOUT ROWID", ")")
    out = re.sub(r"\bWHERE 1\b", "WHERE TRUE", out)
    m = _INSERT.match(out)
    if m and m.group(1):
        kind, table, cols = m.group(1).upper(), m.group(2), [c.strip().strip('"') for c in m.group(3).split(",")]
        out = re.sub(r"INSERT\s+OR\s+(IGNORE|REPLACE)\s+INTO", "INSERT INTO", out, count=1, flags=re.I)
        if kind == "IGNORE":
            out += " ON CONFLICT DO NOTHING"
        else:
            keys = PRIMARY_KEYS[table]
            rest = [c for c in cols if c not in keys]
            out += f" ON CONFLICT ({', '.join(keys)}) DO " + (
                "UPDATE SET " + ", ".join(f'"{c}" = EXCLUDED."{c}"' for c in rest) if rest else "NOTHING")
    u = _UPDATE_OR_IGNORE.match(out)
    if u:
        table, col = u.group(1), u.group(2)
        others = [k for k in PRIMARY_KEYS[table] if k != col]
        out = re.sub(r"UPDATE\s+OR\s+IGNORE\s+(\w+)", r"UPDATE \1 AS upd", out, count=1, flags=re.I)
        # Rows that would collide with one already there are left as they are (SQLite's OR IGNORE);
        # the value is the statement's first parameter, passed again at the end.
        out += (f" AND NOT EXISTS (SELECT 1 FROM {table} q WHERE "
                + " AND ".join(f"q.{k} = upd.{k}" for k in others) + f" AND q.{col} = ?)")
    return _alias_subqueries(out).replace("%", "%%").replace("?", "%s")


_FROM_PAREN = re.compile(r"\bFROM\s*\(", re.I)
_NOT_ALIAS = re.compile(r"\s*(?:$|\)|,|WHERE\b|GROUP\b|ORDER\b|LIMIT\b|JOIN\b|LEFT\b|INNER\b|UNION\b|ON\b)", re.I)


def _alias_subqueries(sql: str) -> str:
    """Give every subquery in FROM a name (PostgreSQL before 16 requires one; SQLite does not).

    >>> _alias_subqueries("SELECT COUNT(*) FROM (SELECT 1 FROM t LIMIT 5)")
    'SELECT COUNT(*) FROM (SELECT 1 FROM t LIMIT 5) AS sub1'
    """
    n = 0
    pos = 0
    while True:
        m = _FROM_PAREN.search(sql, pos)
        if m is None:
            return sql
        depth, i = 0, m.end() - 1
        while i < len(sql):
            depth += {"(": 1, ")": -1}.get(sql[i], 0)
            if depth == 0:
                break
            i += 1
        if i < len(sql) and _NOT_ALIAS.match(sql, i + 1):
            n += 1
            sql = f"{sql[:i + 1]} AS sub{n}{sql[i + 1:]}"
        pos = m.end()


class PgCursor:
    """The part of ``sqlite3.Cursor`` the SQLite backend's code uses."""

    def __init__(self, rows: list[Any] | None, rowcount: int, lastrowid: int | None) -> None:
        self._rows = rows or []
        self.rowcount = rowcount
        self.lastrowid = lastrowid

    def fetchone(self) -> Any:
        return self._rows.pop(0) if self._rows else None

    def fetchall(self) -> list[Any]:
        rows, self._rows = self._rows, []
        return rows

    def __iter__(self) -> Iterator[Any]:
        return iter(self.fetchall())


class PgConnection:
    """The part of ``sqlite3.Connection`` the SQLite backend's code uses, on a psycopg connection."""

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.conn = conn
        self.total_changes = 0

    def execute(self, sql: str, params: Sequence[Any] = ()) -> PgCursor:
        params = list(params)
        if _FTS_INSERT.match(sql):
            rowid, title, body = params
            return self._run("INSERT INTO articles_fts (rowid, tsv) VALUES (%s, %s::tsvector)",
                             [rowid, tsvector_literal(title or "", body or "")])
        if _FTS_DELETE.match(sql):
            return self._run("DELETE FROM articles_fts WHERE rowid = %s", [params[0]])
        pg = translate(sql)
        if _UPDATE_OR_IGNORE.match(sql):
            params.append(params[0])
        m = _INSERT.match(sql)
        if m and m.group(2) in SERIAL and "RETURNING" not in pg.upper() and "ON CONFLICT" not in pg:
            return self._run(pg + " RETURNING id", params, returning=True)
        return self._run(pg, params)

    def _run(self, sql: str, params: list[Any], *, returning: bool = False) -> PgCursor:
        try:
            cur = self.conn.execute(sql, params or None)
            rows = cur.fetchall() if cur.description is not None else None
        except psycopg.IntegrityError as err:
            raise PgIntegrityError(err) from None
        except psycopg.Error as err:
            raise PgDbError(err) from None
        if cur.description is None or returning:
            self.total_changes += max(0, cur.rowcount)
        lastrowid = int(rows[0][0]) if returning and rows else None
        return PgCursor(None if returning else rows, cur.rowcount, lastrowid)

    def executemany(self, sql: str, seq: Sequence[Sequence[Any]]) -> PgCursor:
        rows = [list(r) for r in seq]
        if not rows:
            return PgCursor(None, 0, None)
        m = _INSERT.match(sql)
        plain = m and not m.group(1) and "ON CONFLICT" not in sql.upper() and "RETURNING" not in sql.upper() \
            and not _FTS_INSERT.match(sql) and not _FTS_DELETE.match(sql)
        try:
            if plain:
                assert m is not None
                # A batch of plain inserts: one COPY.
                with self.conn.cursor() as cur, cur.copy(f"COPY {m.group(2)} ({m.group(3)}) FROM STDIN") as copy:
                    for r in rows:
                        copy.write_row(r)
                self.total_changes += len(rows)
                return PgCursor(None, len(rows), None)
            if _FTS_INSERT.match(sql) or _FTS_DELETE.match(sql) or _UPDATE_OR_IGNORE.match(sql):
                n = sum(max(0, self.execute(sql, r).rowcount) for r in rows)
                return PgCursor(None, n, None)
            with self.conn.cursor() as cur:
                cur.executemany(translate(sql), rows)
                n = max(0, cur.rowcount)
        except psycopg.IntegrityError as err:
            raise PgIntegrityError(err) from None
        except psycopg.Error as err:
            raise PgDbError(err) from None
        self.total_changes += n
        return PgCursor(None, n, None)

    def interrupt(self) -> None:
        self.conn.cancel_safe() if hasattr(self.conn, "cancel_safe") else self.conn.cancel()

    def close(self) -> None:
        self.conn.close()
