"""Looking after an SQLite archive: ``khabar check`` (is every page whole, does the index agree with the
articles, does any row point at nothing, what can be read back) and ``khabar backup`` (a consistent
copy of a live archive through SQLite's online backup API).

A damaged page can make a scan stop early without an error: search and export then succeed on part
of the archive, silently. :func:`verify` finds that before anyone relies on it.

>>> from khabar.archive.storage.sqlite import SqliteStorage
>>> report = verify(SqliteStorage(":memory:"))
>>> report.ok, report.articles, report.indexed
(True, 0, 0)
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import tempfile
from pathlib import Path

from khabar.archive.models import CheckReport
from khabar.archive.storage.sqlite.connection import Connection
from khabar.codec import unpack_doc
from khabar.errors import StorageError

__all__ = ["backup", "verify"]

# Tables whose rows hang off an article (and are deleted with it).
_CHILDREN = ("mentions", "article_entities", "quotes", "events", "dates")


def _one(db: sqlite3.Connection, sql: str) -> int | None:
    try:
        return int(db.execute(sql).fetchone()[0])
    except sqlite3.Error:
        return None


def verify(store: Connection, *, deep: bool = False) -> CheckReport:
    """Check ``store``; see :meth:`khabar.archive.storage.base.Storage.verify`."""
    db = store.db
    report = CheckReport()
    try:
        messages = [r[0] for r in db.execute("PRAGMA integrity_check(100)")]
    except sqlite3.Error as err:
        messages = [f"the integrity check itself failed: {err}"]
    if messages != ["ok"]:
        report.problems += [f"page damage: {m}" for m in messages[:20]]
        if len(messages) > 20:
            report.problems.append(f"… and {len(messages) - 20} more damaged pages or records")
    report.articles = _one(db, "SELECT COUNT(*) FROM articles")
    report.indexed = _one(db, "SELECT COUNT(*) FROM articles_fts")
    if report.articles is None:
        report.problems.append("the article table cannot be counted (its pages are damaged)")
    if report.indexed is None:
        report.problems.append("the full-text index cannot be read (search finds nothing or fails)")
    elif report.articles is not None:
        missing = _one(db, "SELECT COUNT(*) FROM articles WHERE fts_key NOT IN (SELECT rowid FROM articles_fts)")
        extra = _one(db, "SELECT COUNT(*) FROM articles_fts WHERE rowid NOT IN (SELECT fts_key FROM articles)")
        if missing:
            report.problems.append(f"{missing:,} articles are missing from the full-text index (search cannot find them)")
        if extra:
            report.problems.append(f"{extra:,} full-text index entries belong to no article")
        if missing is None or extra is None:
            report.problems.append("the full-text index and the articles cannot be compared (damaged pages)")
    if not store.readonly:
        try:
            db.execute("INSERT INTO articles_fts (articles_fts, rank) VALUES ('integrity-check', 0)")
        except sqlite3.Error as err:
            report.problems.append(f"the full-text index is inconsistent ({err})")
    for table in _CHILDREN:
        n = _one(db, f"SELECT COUNT(*) FROM {table} WHERE article_id NOT IN (SELECT id FROM articles)")
        if n:
            report.orphans[table] = n
    n = _one(db, "SELECT COUNT(*) FROM event_participants WHERE event_id NOT IN (SELECT id FROM events)")
    if n:
        report.orphans["event_participants"] = n
    for table, column in (("mentions", "entity_id"), ("article_entities", "entity_id"), ("entity_names", "entity_id")):
        n = _one(db, f"SELECT COUNT(*) FROM {table} WHERE {column} IS NOT NULL AND {column} NOT IN "
                     "(SELECT id FROM entities)")
        if n:
            report.orphans[f"{table} (entity)"] = n
    for name, n in report.orphans.items():
        report.problems.append(f"{n:,} rows of {name} point at nothing")
    if deep or report.problems:
        _read_every_article(store, report)
    report.salvage = _salvage(report, store.path)
    return report


def _read_every_article(store: Connection, report: CheckReport) -> None:
    """Read each article back (row and Document); note the ones that cannot be."""
    db = store.db
    try:
        ids = [r[0] for r in db.execute("SELECT id FROM articles ORDER BY id")]
    except sqlite3.Error:
        top = _one(db, "SELECT MAX(id) FROM articles") or (report.articles or 0)
        ids = list(range(1, top + 1))
        report.problems.append("the list of articles cannot be read whole; each id up to the last was tried")
    readable: list[int] = []
    bad: list[int] = []
    for article_id in ids:
        try:
            row = db.execute("SELECT doc, raw_text, text FROM articles WHERE id = ?", (article_id,)).fetchone()
            if row is not None:
                unpack_doc(row[0], row[1], row[2])
                readable.append(article_id)
        except Exception:  # a damaged record or blob: that article is lost, the others are not
            bad.append(article_id)
    report.readable = len(readable)
    report.unreadable = bad[:100]
    report.readable_ids = readable
    if bad:
        report.problems.append(f"{len(bad):,} articles cannot be read back (ids {', '.join(map(str, bad[:10]))}"
                               f"{' …' if len(bad) > 10 else ''})")


def _salvage(report: CheckReport, path: str) -> str:
    if report.ok:
        return "nothing to salvage: the archive is whole"
    readable = report.readable if report.readable is not None else report.articles
    if not readable:
        return ("no article can be read back: restore the last `khabar backup`, or ingest the sources again into "
                "a new archive")
    return (f"{readable:,} articles read back whole: `khabar export --salvage --db {path} -o saved.jsonl` writes "
            f"them, and `khabar ingest saved.jsonl --db NEW.db` builds a whole archive from them (or restore the "
            "last `khabar backup`)")


def backup(store: Connection, target: str) -> int:
    """Copy ``store`` to the file ``target`` with SQLite's online backup API: one step, under one read
    snapshot, so writers keep going and the copy is consistent. The copy is checked, then renamed
    over ``target``. Returns how many articles it holds."""
    dest = Path(target)
    if dest.exists() and not dest.is_file():
        raise StorageError(f"{target}: not a file; give a file path for the backup")
    if not dest.parent.is_dir():
        raise StorageError(f"{target}: folder {dest.parent} does not exist (create it first)")
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
    os.close(fd)
    try:
        copy = sqlite3.connect(tmp, isolation_level=None)
        try:
            store.db.backup(copy)  # pages=-1: the whole database in one step, one consistent snapshot
            copy.execute("PRAGMA journal_mode = DELETE")  # the copy is one self-contained file
            result = copy.execute("PRAGMA quick_check").fetchone()[0]
            if result != "ok":
                raise StorageError(f"{store.path}: the backup copy does not check out ({result}); run "
                                   "`khabar check` on the archive")
            articles = int(copy.execute("SELECT COUNT(*) FROM articles").fetchone()[0])
        finally:
            copy.close()
        os.replace(tmp, dest)
    except sqlite3.Error as err:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        message = str(err)
        if "full" in message or "disk" in message:
            raise StorageError(f"{target}: the disk is full; nothing was written there") from None
        raise StorageError(f"{target}: cannot write the backup ({message})") from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return articles
