"""A batch's structure rows written to PostgreSQL: one statement per table, not one per row.

:class:`~khabar.archive.storage.rows.StructureRows` are the rows SQLite writes article by article;
here a whole batch goes at once. Plain inserts go by ``COPY``; the tables SQLite writes "or ignore"
or "or replace" by one ``INSERT … SELECT FROM unnest(…) ON CONFLICT …``; the identities the batch
merges into are read in one query, merged in order as SQLite would (:func:`merge_entity`), and
written back by one ``INSERT`` and one ``UPDATE``. The caller holds the identity lock
(``pg_advisory_xact_lock``), so no other writer changes those identities in between.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import psycopg

from khabar.archive.storage.postgres.dialect import PgDbError, PgIntegrityError
from khabar.archive.storage.rows import StructureRows, merge_entity

__all__ = ["write_structure"]

# (table, columns) written by COPY, in StructureRows' tuple order.
_COPIED = (
    ("identity_names", "identity_id, article_id, kind, key, text, published"),
    ("role_mentions", 'article_id, start, "end", raw_start, raw_end, text, office, identity_id, reason, speaker, entity'),
    ("mentions", 'article_id, entity_id, label, text, start, "end", raw_start, raw_end'),
    ("article_entities", "entity_id, fts_key, article_id, label, mentions"),
    ("quotes", 'article_id, speaker_entity, speaker, cue, content, content_key, kind, start, "end", raw_start, raw_end'),
    ("dates", 'article_id, value, calendar, granularity, text, start, "end"'),
)


def write_structure(conn: psycopg.Connection[Any], rows: StructureRows) -> None:
    """Write ``rows`` inside the caller's transaction (errors as the ``sqlite3`` errors the shared code expects)."""
    try:
        _write(conn, rows)
    except psycopg.IntegrityError as err:
        raise PgIntegrityError(err) from None
    except psycopg.Error as err:
        raise PgDbError(err) from None


def _write(conn: psycopg.Connection[Any], rows: StructureRows) -> None:
    _entities(conn, rows.entities)
    # OR IGNORE: a row repeated in the batch (about half of them, as the batch's articles name the same
    # identities) is sent once; the server would skip the repeats, after an index look-up each.
    _unnest(conn, "entity_names (key, entity_id)", ("text", "text"), list(dict.fromkeys(rows.entity_names)),
            "ON CONFLICT DO NOTHING")
    _unnest(conn, "identity_keys (key, identity_id)", ("text", "text"), list(dict.fromkeys(rows.identity_keys)),
            "ON CONFLICT DO NOTHING")
    _copy(conn, *_COPIED[0], rows.identity_names)
    # OR REPLACE: the last row for a key wins (one statement may not touch a row twice).
    links = list({(r[0], r[1]): r for r in rows.identity_links}.values())
    _unnest(conn, "identity_links (article_id, local_id, identity_id, reason)", ("bigint", "text", "text", "text"),
            links, "ON CONFLICT (article_id, local_id) DO UPDATE SET identity_id = EXCLUDED.identity_id, "
                   "reason = EXCLUDED.reason")
    for (table, cols), part in zip(_COPIED[1:], (rows.role_mentions, rows.mentions, rows.article_entities,
                                                 rows.quotes, rows.dates), strict=True):
        _copy(conn, table, cols, part)
    if rows.events:
        # Ids drawn first (in order), so each event's participants can name it.
        ids = sorted(r[0] for r in conn.execute("SELECT nextval('events_id_seq') FROM generate_series(1, %s)",
                                                (len(rows.events),)).fetchall())
        _copy(conn, "events", 'id, article_id, type, trigger, start, "end", date, place',
              [(i, *ev) for i, ev in zip(ids, rows.events, strict=True)])
        _unnest(conn, "event_participants (event_id, entity_id)", ("bigint", "text"),
                [(i, p) for i, ps in zip(ids, rows.participants, strict=True) for p in ps], "ON CONFLICT DO NOTHING")


def _copy(conn: psycopg.Connection[Any], table: str, cols: str, rows: Sequence[Sequence[Any]]) -> None:
    if not rows:
        return
    with conn.cursor() as cur, cur.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def _unnest(conn: psycopg.Connection[Any], target: str, types: Sequence[str], rows: Sequence[Sequence[Any]],
            conflict: str) -> None:
    """``INSERT INTO target SELECT FROM unnest(columns…) conflict``: any number of rows, one statement."""
    if not rows:
        return
    columns = [list(c) for c in zip(*rows, strict=True)]
    arrays = ", ".join(f"%b::{t}[]" for t in types)  # binary arrays: dumped and read ~4x faster
    conn.execute(f"INSERT INTO {target} SELECT * FROM unnest({arrays}) {conflict}", columns)


def _entities(conn: psycopg.Connection[Any], ops: Sequence[tuple[str, dict[str, Any]]]) -> None:
    """The identities' rows after the batch's inserts and merges, in order (SQLite's ``_merge_entity``
    applied to rows read once)."""
    if not ops:
        return
    ids = list(dict.fromkeys(ent["id"] for _, ent in ops))
    stored: dict[str, tuple[str, str, list[str], list[str]]] = {
        i: (name, label, json.loads(aliases), json.loads(titles)) for i, name, label, aliases, titles in conn.execute(
            "SELECT id, name, label, aliases, titles FROM entities WHERE id = ANY(%b)", (ids,)).fetchall()}
    now: dict[str, tuple[str, str, list[str], list[str]]] = dict(stored)
    for kind, ent in ops:
        eid = ent["id"]
        row = now.get(eid)
        if kind == "new":
            if row is None:  # INSERT OR IGNORE
                now[eid] = (ent["name"], ent["label"], [], [])
            continue
        name, aliases, titles = merge_entity(None if row is None else (row[0], row[2], row[3]), ent)
        now[eid] = (name, ent.get("label", "") if row is None else row[1], aliases, titles)
    new = [(i, *now[i]) for i in ids if i not in stored]
    changed = sorted((i, *now[i]) for i in ids if i in stored and now[i] != stored[i])

    def dumps(rows: list[Any]) -> list[tuple[Any, ...]]:
        return [(i, name, label, json.dumps(aliases, ensure_ascii=False), json.dumps(titles, ensure_ascii=False))
                for i, name, label, aliases, titles in rows]

    _unnest(conn, "entities (id, name, label, aliases, titles)", ("text",) * 5, dumps(new), "ON CONFLICT DO NOTHING")
    if changed:
        columns = [list(c) for c in zip(*dumps(changed), strict=True)]
        conn.execute("UPDATE entities AS e SET name = u.name, aliases = u.aliases, titles = u.titles "
                     "FROM unnest(%b::text[], %b::text[], %b::text[], %b::text[], %b::text[]) "
                     "AS u(id, name, label, aliases, titles) WHERE e.id = u.id", columns)
