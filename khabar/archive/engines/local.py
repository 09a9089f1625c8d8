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
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures import wait as wait_futures
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from khabar.archive.work import Outcome, Setup, Worker

__all__ = ["BATCH_TRIES", "LocalEngine", "Pool", "default_jobs"]

T = TypeVar("T")
BATCH_TRIES = 3   # a batch whose worker died this many times is run article by article
ITEM_TRIES = 2    # an article whose worker died this many times is lost (reported)
START_TRIES = 5   # starts of a pool whose workers keep being killed while it starts


def default_jobs() -> int:
    """Worker processes by default: every core this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def _start_worker(init: Callable[[], Any]) -> None:
    # Ctrl-C is handled once, by the main process, which stops the workers.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with_parent()
    init()


def _die_with_parent() -> None:
    """Ask Linux to kill this worker when the main process dies (``kill -9`` of the run): otherwise
    the workers wait for work forever, orphaned."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # pragma: no cover - not Linux
        pass
    if os.getppid() == 1:  # pragma: no cover - the parent died before prctl took effect
        os._exit(1)


@dataclass(slots=True)
class _Task(Generic[T]):
    items: list[T]
    tries: int = 0
    single: bool = False
    future: Future[Any] | None = None


class Pool:
    """Worker processes (or, for one job, the calling process) that map a function over batches."""

    # Seconds a dead worker may go unnoticed by the executor before the pool is broken on purpose.
    GRACE = 5.0

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
        # would otherwise die with a traceback); only the main thread may set signal handlers, and
        # the executor forks its workers on first use, so that happens here.
        main = threading.current_thread() is threading.main_thread()
        original = signal.signal(signal.SIGINT, signal.SIG_IGN) if main else None
        try:
            for attempt in range(START_TRIES):
                executor = ProcessPoolExecutor(self.jobs, mp_context=ctx, initializer=_start_worker,
                                               initargs=(self.init,))
                try:
                    list(executor.map(abs, range(self.jobs)))
                    break
                except BrokenProcessPool:  # a worker killed while the pool starts: start it again
                    _kill(executor)
                    if attempt == START_TRIES - 1:
                        raise
        finally:
            if main:
                signal.signal(signal.SIGINT, original)
        # Every worker is forked by now and holds its own end of the result pipe; the main process
        # never writes there. Closing its copy lets the executor read end-of-file, not wait forever,
        # once the workers are gone.
        with suppress(Exception):
            executor._result_queue._writer.close()  # type: ignore[attr-defined]
        self.executor = executor

    def _restart(self) -> None:
        self.restarts += 1
        self._kill()
        self._start()

    def _kill(self) -> None:
        executor, self.executor = self.executor, None
        if executor is not None:
            _kill(executor)

    def map(self, fn: Callable[[list[T]], Any], batches: Iterable[list[T]], *,
            on_lost: Callable[[T], Any] | None = None, ahead: int | None = None,
            again: Callable[[list[T]], Any] | None = None) -> Iterator[tuple[list[T], Any]]:
        """``(batch, fn(batch))`` for each batch, in order. ``ahead``: batches in flight (default:
        twice the workers). A batch split after its worker died comes back as several one-item
        batches; an item lost for good comes back as ``(items, on_lost(item))``. ``again``: what
        runs a batch (or an item of it) run again after a worker died, instead of ``fn`` (the dead
        pool may have run it to the end, its result lost with the pool)."""
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
                    self._submit(again if again is not None and (task.tries or task.single) else fn, task)
            head = pending[0]
            assert head.future is not None
            try:
                result = self._wait(head.future)
            except BrokenProcessPool:
                self._recover(pending, on_lost)
                continue
            pending.popleft()
            yield head.items, result

    def _wait(self, future: Future[Any]) -> Any:
        """The result of ``future``, watching the workers meanwhile: a worker killed while it sent a
        result can leave the executor waiting forever for the rest of the message, so a worker dead
        for :attr:`GRACE` seconds while the result does not come breaks the pool (the futures then
        fail with ``BrokenProcessPool``). A future of a pool since replaced never finishes: lost too."""
        executor = self.executor
        dead_since: float | None = None
        while True:
            done, _ = wait_futures([future], timeout=0.5)
            if done:
                return future.result()
            if executor is None or executor is not self.executor or not _processes(executor):
                raise BrokenProcessPool("the pool was stopped or replaced")
            if any(p.exitcode is not None for p in _processes(executor)):
                dead_since = dead_since or time.monotonic()
                if time.monotonic() - dead_since > self.GRACE:
                    self._kill()

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

class _PerThread(threading.local):
    """The worker state of this thread: a worker process has one thread, but two runs in one process
    (a server's threads, tests) must never share one (one closing the connection another still read
    crashed the process)."""

    def __init__(self) -> None:
        self.worker: Worker | None = None


_local = _PerThread()


def start_worker(setup: Setup) -> None:
    stop_worker()
    _local.worker = Worker(setup)


def stop_worker() -> None:
    worker, _local.worker = _local.worker, None
    if worker is not None:
        worker.close()


def _processes(executor: ProcessPoolExecutor) -> list[Any]:
    return list((getattr(executor, "_processes", None) or {}).values())


def _kill(executor: ProcessPoolExecutor) -> None:
    """Stop an executor's workers now (Ctrl-C, or a broken pool whose survivors must go too).
    ProcessPoolExecutor has no terminate(): a worker in the middle of a long article must not hold
    the run (a transaction it had open rolls back)."""
    processes = _processes(executor)
    for proc in processes:
        with suppress(Exception):
            proc.kill()
    for proc in processes:
        with suppress(Exception):
            proc.join(5)
    executor.shutdown(wait=True, cancel_futures=True)


def ingest_task(records: list[Any]) -> Outcome:
    worker = _local.worker
    assert worker is not None, "start_worker first"
    return worker.ingest(records)


def ingest_again_task(records: list[Any]) -> Outcome:
    """A batch run again after a worker died: articles its dead try stored count as added."""
    worker = _local.worker
    assert worker is not None, "start_worker first"
    return worker.ingest(records, again=True)


def reanalyze_task(items: list[Any]) -> Any:
    worker = _local.worker
    assert worker is not None, "start_worker first"
    return worker.reanalyze(items)


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
