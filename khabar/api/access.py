"""How requests reach the archive: one open archive per worker thread, calls with a deadline.

Archive calls block (SQLite, a PostgreSQL connection), so they run in the server's thread pool;
each thread opens its own :class:`~khabar.archive.Archive` from the URL the first time it needs
one (an SQLite connection belongs to one thread). A call that fails because the database is
gone, locked or unreachable answers 503 and closes that thread's archive, so the next request
opens it afresh: the server keeps serving once the database is back. A call that runs past the
deadline answers 503 too; the archive is asked to stop it where the backend allows.
"""

from __future__ import annotations

import contextlib
import functools
import threading
from collections.abc import Callable
from typing import Any, TypeVar

import anyio
import anyio.to_thread

from khabar import InvalidInput, NotFoundError, StorageError
from khabar.api.problems import Problem

__all__ = ["ArchiveAccess", "run_blocking"]

T = TypeVar("T")

RETRY_AFTER = "5"


async def run_blocking(fn: Callable[..., T], *args: Any, timeout: float, limiter: anyio.CapacityLimiter | None = None,
                       **kwargs: Any) -> T:
    """``fn(*args, **kwargs)`` in a worker thread; 503 when it runs past ``timeout`` seconds."""
    try:
        with anyio.fail_after(timeout):
            return await anyio.to_thread.run_sync(functools.partial(fn, *args, **kwargs), abandon_on_cancel=True,
                                                  limiter=limiter)
    except TimeoutError:
        raise Problem(503, f"the request took longer than {timeout:g} s and was stopped; narrow it (fewer words, "
                           "a facet or a date range) or try again", headers={"retry-after": RETRY_AFTER}) from None


class ArchiveAccess:
    """Per-thread archives opened from ``url`` by ``opener``; ``await access.call(fn)`` runs ``fn(archive)``."""

    def __init__(self, url: str, *, opener: Callable[[str], Any], timeout: float = 10.0,
                 limiter: anyio.CapacityLimiter | None = None) -> None:
        self.url = url
        self.opener = opener
        self.timeout = timeout
        self.limiter = limiter
        self._local = threading.local()
        self._lock = threading.Lock()
        self._open: set[Any] = set()

    def _archive(self) -> Any:
        archive = getattr(self._local, "archive", None)
        if archive is None:
            archive = self.opener(self.url)
            self._local.archive = archive
            with self._lock:
                self._open.add(archive)
        return archive

    def _drop(self) -> None:
        archive = getattr(self._local, "archive", None)
        self._local.archive = None
        if archive is not None:
            with self._lock:
                self._open.discard(archive)
            with contextlib.suppress(Exception):  # a broken connection may fail to close; it is dropped anyway
                archive.close()

    def _run(self, fn: Callable[[Any], T], running: dict[str, Any]) -> T:
        try:
            archive = running["archive"] = self._archive()
            archive.check()
            return fn(archive)
        except (NotFoundError, InvalidInput, Problem):
            raise
        except StorageError as err:
            self._drop()
            raise Problem(503, f"the archive cannot be read now: {err}",
                          headers={"retry-after": RETRY_AFTER}) from None
        finally:
            running.pop("archive", None)

    async def call(self, fn: Callable[[Any], T], *, timeout: float | None = None) -> T:
        """``fn(archive)`` in a worker thread; past the deadline the archive is asked to stop the query."""
        running: dict[str, Any] = {}
        try:
            return await run_blocking(self._run, fn, running, timeout=timeout or self.timeout, limiter=self.limiter)
        except Problem as problem:
            archive = running.get("archive")
            if problem.status == 503 and archive is not None:
                with contextlib.suppress(Exception):
                    archive.interrupt()
            raise

    def close(self) -> None:
        with self._lock:
            archives, self._open = list(self._open), set()
        for archive in archives:
            with contextlib.suppress(Exception):  # closing at shutdown: nothing more to do about a broken one
                archive.close()
