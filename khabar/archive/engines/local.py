"""The local engine: batches run on this machine's cores, in worker processes.

Each worker process builds one :class:`~khabar.archive.work.Worker` (the pipeline's models loaded
once — forked from a parent that loaded them, so they are shared — and its own connection to the
archive) and runs whole batches through :mod:`khabar.archive.work`. Results come back in the order
the batches were given, a bounded number of batches ahead, so memory stays flat.

A worker that dies (``kill -9``, the kernel's OOM killer) is noticed, not waited for: the pool is
started again and the batches it held are run again (a batch that was stored before its worker died
is then found stored: nothing twice). A batch that kills its worker :data:`BATCH_TRIES` times is run
article by article, and an article that kills its worker twice is given back as lost
(``on_lost``), so one poisonous article cannot stop a run.

>>> from khabar.archive.engines.local import LocalEngine
>>> with LocalEngine(jobs=1).pool(lambda: None) as pool:
...     [result for _, result in pool.map(len, [[1, 2], [3]])]
[2, 1]
"""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from khabar.archive.work import Outcome, Setup, Worker

__all__ = ["BATCH_TRIES", "LocalEngine", "Pool", "default_jobs"]

T = TypeVar("T")
BATCH_TRIES = 3   # a batch whose worker died this many times is run article by article
ITEM_TRIES = 2    # an article whose worker died this many times is lost (reported)


def default_jobs() -> int:
    """Worker processes by default: every core this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def _start_worker(init: Callable[[], Any]) -> None:
    # Ctrl-C is handled once, by the main process, which stops the workers.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    init()


@dataclass(slots=True)
class _Task(Generic[T]):
    items: list[T]
    tries: int = 0
    single: bool = False
    future: Future[Any] | None = None


class Pool:
    """Worker processes (or, for one job, the calling process) that map a function over batches."""

    def __init__(self, jobs: int, init: Callable[[], Any]) -> None:
        self.jobs = jobs
        self.init = init
        self.restarts = 0
        self.executor: ProcessPoolExecutor | None = None
        if jobs > 1:
            self._start()
        else:
            init()

    def _start(self) -> None:
        # fork: workers share the already-loaded lexicons and models instead of loading them again.
        ctx = mp.get_context("fork") if "fork" in mp.get_all_start_methods() else mp.get_context()
        # Workers start with Ctrl-C ignored (a worker that gets it between fork and its initializer
        # would otherwise die with a traceback); only the main thread may set signal handlers.
        main = threading.current_thread() is threading.main_thread()
        original = signal.signal(signal.SIGINT, signal.SIG_IGN) if main else None
        try:
            self.executor = ProcessPoolExecutor(self.jobs, mp_context=ctx, initializer=_start_worker,
                                                initargs=(self.init,))
        finally:
            if main:
                signal.signal(signal.SIGINT, original)

    def _restart(self) -> None:
        self.restarts += 1
        self._kill()
        self._start()

    def _kill(self) -> None:
        executor, self.executor = self.executor, None
        if executor is None:
            return
        # ProcessPoolExecutor has no terminate(): its processes are stopped here, so a worker in
        # the middle of a long article does not hold the run (a transaction it had open rolls back).
        for process in list((getattr(executor, "_processes", None) or {}).values()):
            if process.is_alive():
                process.kill()
        executor.shutdown(wait=True, cancel_futures=True)

    def map(self, fn: Callable[[list[T]], Any], batches: Iterable[list[T]], *,
            on_lost: Callable[[T], Any] | None = None, ahead: int | None = None) -> Iterator[tuple[list[T], Any]]:
        """``(batch, fn(batch))`` for each batch, in order. ``ahead``: batches in flight (default:
        twice the workers). A batch split after its worker died comes back as several one-item
        batches; an item lost for good comes back as ``(items, on_lost(item))``."""
        if self.executor is None:
            for batch in batches:
                yield batch, fn(batch)
            return
        window = ahead or 2 * self.jobs
        pending: deque[_Task[T]] = deque()
        source = iter(batches)
        exhausted = False
        while True:
            while not exhausted and len(pending) < window:
                try:
                    pending.append(_Task(next(source)))
                except StopIteration:
                    exhausted = True
            if not pending:
                return
            # After a death, suspects (articles of a batch that died several times) run alone, so
            # that a death is laid at the one article that was running.
            isolate = any(t.single for t in pending)
            for task in list(pending)[:1] if isolate else pending:
                if task.future is None:
                    self._submit(fn, task)
            head = pending[0]
            assert head.future is not None
            try:
                result = head.future.result()
            except BrokenProcessPool:
                self._recover(pending, on_lost)
                continue
            pending.popleft()
            yield head.items, result

    def _submit(self, fn: Callable[[list[T]], Any], task: _Task[T]) -> None:
        assert self.executor is not None
        try:
            task.future = self.executor.submit(fn, task.items)
        except BrokenProcessPool as err:  # a worker died since the last result: recovered with the rest
            task.future = Future()
            task.future.set_exception(err)

    def _recover(self, pending: deque[_Task[T]], on_lost: Callable[[T], Any] | None) -> None:
        """A worker died: start the pool again; every batch that was running is run again."""
        tasks: list[_Task[T]] = []
        for task in pending:
            future = task.future
            if future is None or (future.done() and future.exception() is None):
                tasks.append(task)  # not started, or finished before the death
                continue
            task.future = None
            task.tries += 1
            limit = ITEM_TRIES if task.single else BATCH_TRIES
            if task.tries < limit:
                tasks.append(task)
            elif not task.single and len(task.items) > 1:
                tasks.extend(_Task([item], single=True) for item in task.items)
            else:
                task.future = Future()
                task.future.set_result(on_lost(task.items[0]) if on_lost and task.items else None)
                tasks.append(task)
        self._restart()
        pending.clear()
        pending.extend(tasks)

    def close(self, *, terminate: bool = False) -> None:
        if self.executor is not None:
            if terminate:
                self._kill()
            else:
                self.executor.shutdown(wait=True)
                self.executor = None


class LocalEngine:
    """Batches on this machine: ``jobs`` worker processes (default: every core), or this process for one."""

    name = "local"

    def __init__(self, jobs: int | None = None) -> None:
        self.jobs = jobs or default_jobs()

    @contextmanager
    def pool(self, init: Callable[[], Any], *, on_close: Callable[[], Any] | None = None) -> Iterator[Pool]:
        """A :class:`Pool` whose workers each run ``init`` first; stopped at once on an exception
        (Ctrl-C), closed in order otherwise. ``on_close`` runs in this process at the end (for one job,
        the worker state lives here)."""
        pool = Pool(self.jobs, init)
        terminate = True
        try:
            yield pool
            terminate = False
        finally:
            pool.close(terminate=terminate)
            if on_close is not None:
                on_close()


# -- the worker side: one Worker per process, set up by the pool's initializer ----------------------

_worker: Worker | None = None


def start_worker(setup: Setup) -> None:
    global _worker
    stop_worker()
    _worker = Worker(setup)


def stop_worker() -> None:
    global _worker
    if _worker is not None:
        _worker.close()
        _worker = None


def ingest_task(records: list[Any]) -> Outcome:
    assert _worker is not None, "start_worker first"
    return _worker.ingest(records)


def reanalyze_task(items: list[Any]) -> Any:
    assert _worker is not None, "start_worker first"
    return _worker.reanalyze(items)


def batches(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """``items`` in lists of ``size`` (the last one shorter)."""
    chunk: list[T] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def flatten(results: Iterable[Sequence[T]]) -> list[T]:
    return [x for r in results for x in r]
