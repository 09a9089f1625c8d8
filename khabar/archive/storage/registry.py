"""Open an archive by URL: which backend serves which address.

``sqlite:///path/to/news.db``, a bare path (``news.db``) and ``:memory:`` open the SQLite backend;
``$KHABAR_DB`` is the default address, then ``./khabar.db``.

>>> open_storage(":memory:").count()
0
"""

from __future__ import annotations

import os
from pathlib import Path

from khabar.archive.storage.base import Storage

__all__ = ["DEFAULT_DB", "default_db_path", "open_storage"]

DEFAULT_DB = "khabar.db"


def default_db_path() -> str:
    """``$KHABAR_DB`` when set, else ``./khabar.db``.

    >>> default_db_path().endswith(".db") or "KHABAR_DB" in __import__("os").environ
    True
    """
    return os.environ.get("KHABAR_DB") or DEFAULT_DB



def open_storage(path: str | os.PathLike[str] | None = None, *, readonly: bool = False,
                 timeout: float = 5.0) -> Storage:
    """Open (creating and migrating when needed) the archive at ``path`` (default: :func:`default_db_path`).

    ``":memory:"`` gives an in-memory archive. Errors (not a database, locked, unwritable) raise
    :class:`~khabar.errors.StorageError` with a remedy.

    >>> open_storage(":memory:").count()
    0
    """
    from khabar.archive.storage.sqlite import SqliteStorage

    target = str(path) if path is not None else default_db_path()
    if target != ":memory:":
        target = str(Path(target).expanduser())
    return SqliteStorage(target, readonly=readonly, timeout=timeout)
