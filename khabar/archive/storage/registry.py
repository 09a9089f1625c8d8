"""Open a storage backend from its address.

- ``:memory:``, ``sqlite://`` — a throw-away SQLite archive in memory;
- ``sqlite:///news.db`` (relative), ``sqlite:////srv/news.db`` (absolute; the SQLAlchemy convention),
  or a bare path (``news.db``, ``~/news.db``) — an SQLite archive file;
- ``postgresql://user:password@host:port/dbname`` (or ``postgres://``; libpq's keywords and
  ``?host=/socket/dir`` work too) — PostgreSQL, with the ``postgres`` extra
  (``pip install 'khabar[postgres]'``).

The default address is ``$KHABAR_DB``, then ``./khabar.db``. Passwords never appear in messages
(:func:`redact`).

>>> open_storage(":memory:").stats()["articles"]
0
>>> parse_address("sqlite:///news.db"), parse_address("postgresql://u:secret@db/news")[0]
(('sqlite', 'news.db'), 'postgres')
>>> redact("postgresql://u:secret@db/news")
'postgresql://u:***@db/news'
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Literal

from khabar.archive.storage.base import Storage
from khabar.errors import StorageError

__all__ = ["DEFAULT_DB", "WRITER_LOCK_WAIT", "default_db_path", "open_storage", "parse_address", "redact"]

DEFAULT_DB = "khabar.db"
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
_PASSWORD = re.compile(r"(://[^:/@?#]*:)[^@/?#]*(@)")
_PASSWORD_PARAM = re.compile(r"((?:^|[?&\s])password=)[^&\s]*", re.IGNORECASE)


def default_db_path() -> str:
    """``$KHABAR_DB`` when set, else ``./khabar.db``.

    >>> default_db_path().endswith(".db") or "KHABAR_DB" in __import__("os").environ
    True
    """
    return os.environ.get("KHABAR_DB") or DEFAULT_DB


def redact(address: str) -> str:
    """``address`` with any password replaced by ``***`` (for messages and reports)."""
    return _PASSWORD_PARAM.sub(r"\1***", _PASSWORD.sub(r"\1***\2", str(address)))


def parse_address(address: str | os.PathLike[str]) -> tuple[Literal["sqlite", "postgres"], str]:
    """``(backend, target)``: ``("sqlite", path or ":memory:")`` or ``("postgres", conninfo)``."""
    text = os.fspath(address)
    if not isinstance(text, str):
        raise StorageError(f"a database address must be a path or URL, not {type(text).__name__}")
    if text in (":memory:", "sqlite://", "sqlite:///:memory:"):
        return "sqlite", ":memory:"
    m = _SCHEME.match(text)
    if m is None:
        if not text.strip():
            raise StorageError("the database address is empty (give a path such as news.db, or a postgresql:// URL)")
        return "sqlite", str(Path(text).expanduser())
    scheme = m.group(1).lower()
    if scheme == "sqlite":
        path = text[len("sqlite:///"):] if text.startswith("sqlite:///") else ""
        if not path:
            raise StorageError(f"{text}: an SQLite URL is sqlite:///relative/path.db or sqlite:////absolute/path.db")
        return "sqlite", str(Path(path).expanduser())
    if scheme in ("postgresql", "postgres"):
        return "postgres", text
    raise StorageError(f"{redact(text)}: unknown kind of database address {scheme}:// "
                       "(use a file path, sqlite:///path, :memory: or postgresql://…)")


# Seconds a long-running writer (an ingest, a reanalysis, a watcher, their workers) waits for an SQLite
# archive's write lock: another writer holds it batch after batch, for longer than SQLite's 5 s default.
WRITER_LOCK_WAIT = 120.0


def open_storage(address: str | os.PathLike[str] | None = None, *, readonly: bool = False,
                 timeout: float = 5.0) -> Storage:
    """Open (creating and migrating when needed) the archive at ``address`` (default: :func:`default_db_path`).

    Errors (not a database, locked, unreachable, wrong password, unwritable) raise
    :class:`~khabar.errors.StorageError` with a remedy.
    """
    backend, target = parse_address(address if address is not None else default_db_path())
    if backend == "postgres":
        try:
            from khabar.archive.storage.postgres import PostgresStorage
        except ImportError as err:
            if (err.name or "").startswith("psycopg"):
                raise StorageError("PostgreSQL archives need psycopg: pip install 'khabar[postgres]'") from None
            raise StorageError(f"{redact(target)}: this khabar has no PostgreSQL backend ({err.msg})") from None
        return PostgresStorage(target, readonly=readonly, timeout=timeout)
    from khabar.archive.storage.sqlite import SqliteStorage

    return SqliteStorage(target, readonly=readonly, timeout=timeout)
