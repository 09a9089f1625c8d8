"""One connection to an SQLite archive: opening it, transactions, and errors in words.

Every SQLite error leaves through :meth:`Connection._error` as a :class:`~khabar.errors.StorageError`
that names the file and says what to do (not a database, locked by another process, read-only).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from khabar.errors import StorageError

_NOT_A_DB = "is not an SQLite database (or is damaged)"


class Connection:
    """An open archive file (or ``":memory:"``); subclasses add the schema, writes and queries."""

    path: str

    def __init__(self, path: str, *, readonly: bool = False, timeout: float = 5.0) -> None:
        self.path = path
        self.readonly = readonly
        self._depth = 0
        # Seconds this connection waited for the write lock (another writer's transaction): the
        # engines report it per batch, so a run shows how long its workers waited for each other.
        self.lock_wait = 0.0
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
        self._identity = self._file_identity()

    def _file_identity(self) -> tuple[int, int] | None:
        if self.path == ":memory:":
            return None
        try:
            st = os.stat(self.path)
        except OSError:
            return None
        return (st.st_dev, st.st_ino)

    def check(self) -> None:
        """The file this connection opened is still at its path: an SQLite connection keeps reading
        a file that was deleted or replaced, so without this a server would serve what is gone."""
        if self._identity is not None and self._file_identity() != self._identity:
            raise StorageError(f"{self.path}: the archive file was moved, deleted or replaced "
                               "(put it back, or restart the server on the new file)")

    def interrupt(self) -> None:
        """Abort the statement running on this connection (SQLite allows this from any thread)."""
        with contextlib.suppress(sqlite3.Error):
            self.db.interrupt()

    def _setup(self) -> None:
        """Prepare a freshly opened connection (pragmas, migrations)."""

    def _error(self, err: sqlite3.Error) -> StorageError:
        msg = str(err)
        if isinstance(err, StorageError):
            return err
        if "Could not decode" in msg:
            return self._damaged("a record's text is not UTF-8")
        if "malformed" in msg:  # SQLITE_CORRUPT: an archive, with a damaged page
            return self._damaged("a database page is malformed")
        if "not a database" in msg or "file is encrypted" in msg:
            return StorageError(f"{self.path}: {_NOT_A_DB} — choose another --db path, or move this file away")
        if "locked" in msg or "busy" in msg:
            return StorageError(f"{self.path}: the archive is locked by another process (another `khabar ingest`?); "
                                "wait for it to finish and try again")
        if "interrupted" in msg:
            return StorageError(f"{self.path}: the query was stopped (it ran past its deadline)")
        if "readonly" in msg or "read-only" in msg:
            return StorageError(f"{self.path}: the archive is read-only here (check the file's permissions)")
        return StorageError(f"{self.path}: {' '.join(msg.split())[:200]}")

    def _damaged(self, what: str) -> StorageError:
        """The error of a damaged archive: what was found, and what to do about it."""
        where = f" --db {self.path}" if self.path != ":memory:" else ""
        return StorageError(f"{self.path}: the archive is damaged ({what}) — run `khabar check{where}` to see what "
                            f"is damaged, and `khabar export --salvage{where} -o FILE` to save every article that "
                            "can still be read")

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
        waited = time.perf_counter()
        try:
            self.db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as err:
            raise self._error(err) from None
        finally:
            self.lock_wait += time.perf_counter() - waited
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

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """Reads in one read transaction: all see the archive as of its first read (WAL)."""
        if self._depth:
            yield
            return
        self.db.execute("BEGIN")
        try:
            yield
        finally:
            self.db.execute("COMMIT")

    # -- writing --------------------------------------------------------------------------------

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        try:
            return self.db.execute(sql, params).fetchall()
        except sqlite3.Error as err:
            raise self._error(err) from None

    def file_bytes(self) -> int:
        """Bytes the archive takes on disk (database plus WAL)."""
        if self.path == ":memory:":
            page = self._query("PRAGMA page_size")[0][0]
            return int(page) * int(self._query("PRAGMA page_count")[0][0])
        return sum(p.stat().st_size for p in (Path(self.path), Path(self.path + "-wal")) if p.exists())

    def files(self) -> list[str]:
        """The database file and the journals SQLite keeps beside it (whether they exist now or not)."""
        if self.path == ":memory:":
            return []
        return [self.path] + [self.path + suffix for suffix in ("-wal", "-shm", "-journal")]

    def checkpoint(self) -> None:
        """Fold the WAL back into the main file (after a large ingest)."""
        self._query("PRAGMA wal_checkpoint(TRUNCATE)")

    def close(self) -> None:
        # Closing never matters more than the error before it.
        with contextlib.suppress(sqlite3.Error):
            self.db.close()

