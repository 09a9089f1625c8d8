"""The ingest run: read sources, analyse on all cores, store in transactions, resumably.

:func:`ingest` reads every source with :func:`khabar.ingest.read_sources` (deterministic order),
drops articles whose URL or content key (:func:`khabar.archive.keys.content_key`, the same for every
spelling variant) is already stored or already seen, analyses the rest in worker processes
(:func:`khabar.analyze`, or with ``restore_only`` just restoration, sentences and tokens — fast,
for search first and structure later via :func:`reanalyze`), and stores them chunk by chunk, each
chunk in one transaction. A run killed at any moment (Ctrl-C, ``kill -9``) leaves only whole
articles; running it again skips what is stored and finishes the rest: nothing lost, nothing twice.
Every failure is counted, kept with its reason, and written to a JSONL report.

>>> import tempfile, pathlib
>>> from khabar.archive.storage import open_storage
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "a.txt").write_text("وزیر اقتصاد امروز گفت تورم کاهش می یابد.", encoding="utf-8")
>>> _ = (folder / "b.txt").write_text("وزير اقتصاد امروز گفت تورم کاهش مي‌يابد.", encoding="utf-8")
>>> store = open_storage(":memory:")
>>> summary = ingest([str(folder)], store, jobs=1)
>>> (summary.added, summary.duplicates, summary.failed)
(1, 1, 0)
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import multiprocessing as mp
import os
import signal
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures import wait as wait_futures
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import IO, Any

from khabar.archive.identities import IdentityResolver, features, lexicon_is_place
from khabar.archive.keys import content_key, folded_key
from khabar.archive.models import NewArticle, Reanalysis, StoredArticle, StoryItem
from khabar.archive.outputs import _umask
from khabar.archive.storage import Storage, iter_articles, open_storage
from khabar.codec import pack_document
from khabar.ingest import Failure, FieldMap, RawArticle, read_sources
from khabar.pipeline import Pipeline, default_pipeline, restore
from khabar.text.calendar import published_day
from khabar.text.fold import fold

__all__ = ["IngestSummary", "build_stories", "ingest", "reanalyze", "restore_pipeline"]

CHUNK = 128  # articles per transaction (and per hand-off to the workers)
RESTORE_ASSIGNS = frozenset({"text", "sentences", "tokens"})


@dataclass(slots=True)
class IngestSummary:
    """What one run did: ``duplicates`` counts both repeats within the run and articles already stored
    (``already``, e.g. by an interrupted earlier run)."""

    added: int = 0
    duplicates: int = 0
    already: int = 0
    failed: int = 0
    failures: list[Failure] = field(default_factory=list)
    seconds: float = 0.0
    report: str | None = None
    interrupted: bool = False

    @property
    def seen(self) -> int:
        return self.added + self.duplicates + self.failed

    @property
    def rate(self) -> float:
        """Articles handled per second."""
        return self.seen / self.seconds if self.seconds > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"added": self.added, "duplicates": self.duplicates, "already": self.already, "failed": self.failed,
                "seconds": round(self.seconds, 3), "report": self.report, "interrupted": self.interrupted,
                "failures": [{"origin": f.origin, "reason": f.reason} for f in self.failures]}


def restore_pipeline() -> Pipeline:
    """The ``--restore-only`` pipeline: the default stages that fill only text, sentences and tokens."""
    return Pipeline(s for s in default_pipeline().stages if set(s.assigns) <= RESTORE_ASSIGNS)


# -- the worker side ----------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class _Duplicate:
    origin: str
    already: bool


class _PerThread(threading.local):
    """One worker's state per thread: a worker process has one thread, but two ingests in one process
    (threads of a server, a watcher's store, tests) must not share a pipeline or a connection (one
    closing the connection another still reads crashed the process)."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}


_local = _PerThread()


def _state() -> dict[str, Any]:
    return _local.values


def _init_worker(db_path: str | None, restore_only: bool, names: Sequence[tuple[str, str]] = (),
                 child: bool = False) -> None:
    """Per-process setup: the pipeline (with the names the archive has learned), and a read-only
    look at the archive to skip stored articles."""
    if child:  # Ctrl-C is handled once, by the main process, which stops the workers
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        _die_with_parent()
    _state()["pipeline"] = restore_pipeline() if restore_only else default_pipeline()
    _state()["learned"] = _learn(_state()["pipeline"], names)
    _state()["analysis"] = "restore" if restore_only else "full"
    _state()["db"] = None
    if db_path and db_path != ":memory:":
        try:
            _state()["db"] = open_storage(db_path, readonly=True)
        except Exception:  # the main process checks again before writing
            _state()["db"] = None


def _learn(pipeline: Pipeline, names: Sequence[tuple[str, str]]) -> Any:
    """Give the entities stage the archive's learned names; returns the stage (to forget them after)."""
    stage = next((s for s in pipeline.stages if s.name == "entities"), None)
    if stage is None or not names or not hasattr(stage, "learn"):
        return None
    stage.learn(names)
    return stage


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


def _stored(key: str) -> bool:
    db = _state().get("db")
    if db is None:
        return False
    try:
        return bool(db.known(content_keys=[key]))
    except Exception:  # a busy or changing archive: let the main process decide
        return False


def _prepare(raw: RawArticle) -> NewArticle | Failure | _Duplicate:
    """Analyse one article (in a worker); never raises."""
    try:
        if not raw.text.strip():
            return Failure(raw.origin, "empty article: the source has no text (nothing to store)")
        pipeline: Pipeline = _state()["pipeline"]
        key = None
        if _state()["analysis"] == "full":
            # The full pipeline is slow: skip what an earlier run stored before analysing it.
            key = content_key(raw.text)
            if _stored(key):
                return _Duplicate(raw.origin, already=True)
        doc = pipeline.analyze(raw.text, published=raw.published, url=raw.url, source=raw.outlet)
        body_key = fold(doc.text)
        if key is None:
            # doc.text is restore(raw.text), so this is content_key(raw.text) without restoring twice
            # (tests/test_archive.py holds the two equal).
            key = folded_key(body_key)
            if _stored(key):
                return _Duplicate(raw.origin, already=True)
        # Packed here, in parallel; the main process (the one writer) gets the blob and only the
        # parts it indexes, not the token list.
        packed, light = pack_document(doc)
        # Titles, authors and outlet names are scraped text too: stored restored, so that they read
        # right and `همشهري آنلاين` and `همشهری آنلاین` are one outlet.
        title = restore(raw.title) if raw.title else raw.title
        return NewArticle(doc=light, packed=packed, content_key=key, title=title, url=raw.url,
                          published=raw.published, author=restore(raw.author) if raw.author else raw.author,
                          outlet=restore(raw.outlet) if raw.outlet else raw.outlet, origin=raw.origin,
                          kind=raw.kind, analysis=_state()["analysis"],
                          title_key=fold(title) if title else "", body_key=body_key,
                          identity=features(doc, lexicon_is_place()) if _state()["analysis"] == "full" else None)
    except Exception as err:  # one bad article must not stop the run; it is reported instead
        return Failure(raw.origin, f"analysis failed ({type(err).__name__}: {err}); please report this article")


def _reanalyze_one(item: tuple[int, str, dict[str, Any]]) -> tuple[int, dict[str, Any] | None, dict[str, Any], str]:
    article_id, raw_text, meta = item
    try:
        doc = _state()["pipeline"].analyze(raw_text, published=meta.get("published"), url=meta.get("url"),
                                         source=meta.get("source"))
        return article_id, doc.to_dict(), features(doc, lexicon_is_place()), ""
    except Exception as err:
        return article_id, None, {}, f"{type(err).__name__}: {err}"


# -- the main side ------------------------------------------------------------------------------

class _Pool:
    """Worker processes, or the calling process itself for ``jobs=1``.

    A worker that dies (the OOM killer, ``kill -9``) breaks a :class:`ProcessPoolExecutor`, which
    says so (``BrokenProcessPool``) instead of waiting forever for the lost task as
    ``multiprocessing.Pool`` did: the pool is started again and the chunk's items are analysed one by
    one, so an article that kills its worker twice fails alone and the run goes on. A worker killed
    while it was sending a result can leave the executor itself waiting for the rest of the message;
    a watchdog sees the dead worker and stops the others, which ends that wait too.
    """

    # Seconds a dead worker may go unnoticed by the executor before the watchdog breaks the pool.
    GRACE = 5.0

    def __init__(self, jobs: int, initargs: tuple[Any, ...]) -> None:
        self.jobs = jobs
        self.initargs = initargs
        self.executor: ProcessPoolExecutor | None = None
        self.restarts = 0
        if jobs > 1:
            self._start()
        else:
            _init_worker(*initargs)

    def _start(self) -> None:
        # fork: workers share the already-loaded lexicons and models instead of loading them again.
        ctx = mp.get_context("fork") if "fork" in mp.get_all_start_methods() else mp.get_context()
        # Workers start with Ctrl-C ignored: one that receives it between fork and its
        # initializer would otherwise die with a traceback. (Only the main thread may set signal
        # handlers; the executor forks its workers on first use, so that happens here.)
        main = threading.current_thread() is threading.main_thread()
        original = signal.signal(signal.SIGINT, signal.SIG_IGN) if main else None
        try:
            for attempt in range(5):
                executor = ProcessPoolExecutor(self.jobs, mp_context=ctx, initializer=_init_worker,
                                               initargs=(*self.initargs, True))
                try:
                    list(executor.map(abs, range(self.jobs)))
                    break
                except BrokenProcessPool:  # a worker killed while starting: start them again
                    _kill(executor)
                    if attempt == 4:
                        raise
        finally:
            if main:
                signal.signal(signal.SIGINT, original)
        # Every worker is forked by now and holds its own end of the result pipe; the main process
        # never writes there. Closing its copy lets the executor read end-of-file, not wait forever,
        # once the workers are gone.
        with contextlib.suppress(Exception):
            executor._result_queue._writer.close()  # type: ignore[attr-defined]
        self.executor = executor

    def _restart(self) -> None:
        self.restarts += 1
        if self.executor is not None:
            _kill(self.executor)
        self._start()

    def submit(self, fn: Callable[[Any], Any], items: Sequence[Any],
               died: Callable[[Any], Any]) -> Callable[[], list[Any]]:
        """Start work on ``items``; the returned function waits for the results, in order. ``died(item)``
        is the result for an item whose worker died twice."""
        if self.executor is None:
            return lambda: [fn(x) for x in items]
        size = max(1, len(items) // (self.jobs * 4))
        executor = self.executor
        try:
            futures = [executor.submit(_run_chunk, fn, items[i:i + size]) for i in range(0, len(items), size)]
        except BrokenProcessPool:
            return lambda: self._one_by_one(fn, items, died)

        def wait() -> list[Any]:
            try:
                return [result for future in self._watch(executor, futures) for result in future.result()]
            except BrokenProcessPool:
                return self._one_by_one(fn, items, died)

        return wait

    def _watch(self, executor: ProcessPoolExecutor, futures: list[Future[Any]]) -> list[Future[Any]]:
        """Wait for ``futures``; if a worker is dead and they do not finish, break the pool."""
        dead_since: float | None = None
        while True:
            _, pending = wait_futures(futures, timeout=0.5)
            if not pending:
                return futures
            if executor is not self.executor or not _processes(executor):
                # The pool was killed and replaced meanwhile (another chunk found a worker dead): what it
                # had not finished never will.
                raise BrokenProcessPool("the pool was restarted")
            if any(p.exitcode is not None for p in _processes(executor)):
                dead_since = dead_since or time.monotonic()
                if time.monotonic() - dead_since > self.GRACE:
                    _kill(executor)  # the futures now fail with BrokenProcessPool

    def _one_by_one(self, fn: Callable[[Any], Any], items: Sequence[Any], died: Callable[[Any], Any]) -> list[Any]:
        self._restart()
        out = []
        for item in items:
            for attempt in (1, 2):
                executor = self.executor
                assert executor is not None
                try:
                    future = executor.submit(fn, item)
                    out.append(self._watch(executor, [future])[0].result())
                    break
                except BrokenProcessPool:
                    self._restart()
                    if attempt == 2:
                        out.append(died(item))
        return out

    def close(self, *, terminate: bool = False) -> None:
        if self.executor is not None:
            if terminate:
                _kill(self.executor)
            else:
                self.executor.shutdown(wait=True)
        db = _state().pop("db", None)
        if db is not None:
            db.close()
        learned = _state().pop("learned", None)
        if learned is not None:  # this process's pipeline is the one `khabar.analyze` runs
            learned.forget()


def _run_chunk(fn: Callable[[Any], Any], items: Sequence[Any]) -> list[Any]:
    return [fn(item) for item in items]


def _processes(executor: ProcessPoolExecutor) -> list[Any]:
    return list((getattr(executor, "_processes", None) or {}).values())


def _kill(executor: ProcessPoolExecutor) -> None:
    """Stop an executor's workers now (Ctrl-C, or a broken pool whose survivors must go too)."""
    processes = _processes(executor)
    for proc in processes:
        with contextlib.suppress(Exception):
            proc.kill()
    for proc in processes:
        with contextlib.suppress(Exception):
            proc.join(5)
    executor.shutdown(wait=True, cancel_futures=True)


def _worker_died(raw: RawArticle) -> Failure:
    return Failure(raw.origin, "the process analysing it died twice (killed by the system: out of memory? or by a "
                               "signal); the rest of the run went on")


def _reanalysis_died(item: tuple[int, str, dict[str, Any]]) -> tuple[int, dict[str, Any] | None, Any, str]:
    return item[0], None, None, "the process analysing it died twice (out of memory? or killed by a signal)"


def _chunks(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    chunk: list[Any] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def default_jobs() -> int:
    """Worker processes by default: every core this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def ingest(sources: Iterable[str], storage: Storage, *, restore_only: bool = False, jobs: int | None = None,
           fields: FieldMap | None = None, report: str | os.PathLike[str] | None = None,
           progress: Callable[[IngestSummary], None] | None = None, chunk: int = CHUNK,
           articles: Iterable[RawArticle | Failure] | None = None, report_if_empty: bool = True,
           **read_options: Any) -> IngestSummary:
    """Read, analyse and store every article of ``sources``; returns what happened.

    ``articles`` replaces reading ``sources`` (already-read articles, e.g. from a test or a bench).
    ``report``: a JSONL file that gets one ``{"origin", "reason"}`` line per failure (rewritten
    each run; without failures, only when ``report_if_empty``). It is written beside and renamed
    into place at the end, so two runs at once never truncate or delete each other's report.
    ``progress`` is called after every chunk. ``KeyboardInterrupt`` stops the run after
    rolling back the chunk in progress; the summary then has ``interrupted`` set.
    """
    summary = IngestSummary(report=str(report) if report else None)
    started = time.perf_counter()
    jobs = jobs or default_jobs()
    stream = articles if articles is not None else read_sources(sources, fields=fields, **read_options)
    report_fh: IO[str] | None = None
    report_tmp = ""
    if report:
        folder = os.path.dirname(os.path.abspath(report))
        fd, report_tmp = tempfile.mkstemp(prefix=f".{os.path.basename(report)}.", suffix=".part", dir=folder)
        report_fh = os.fdopen(fd, "w", encoding="utf-8")
    seen_urls: set[str] = set()
    seen_keys: set[str] = set()

    def fail(item: Failure) -> None:
        summary.failed += 1
        summary.failures.append(item)
        if report_fh is not None:
            report_fh.write(json.dumps({"origin": item.origin, "reason": item.reason}, ensure_ascii=False) + "\n")
            report_fh.flush()

    def triage(items: list[RawArticle | Failure]) -> list[RawArticle]:
        """Failures recorded and URL duplicates dropped before anything is analysed."""
        todo = []
        stored = storage.known(urls=[i.url for i in items if isinstance(i, RawArticle) and i.url
                                     and i.url not in seen_urls])
        for item in items:
            if isinstance(item, Failure):
                fail(item)
            elif item.url and item.url in seen_urls:
                summary.duplicates += 1
            elif item.url and item.url in stored:
                summary.duplicates += 1
                summary.already += 1
                seen_urls.add(item.url)
            else:
                if item.url:
                    seen_urls.add(item.url)
                todo.append(item)
        return todo

    resolver: IdentityResolver | None = None
    added_ids: list[int] = []

    def store(results: list[NewArticle | Failure | _Duplicate]) -> None:
        nonlocal resolver
        fresh = [res for res in results if isinstance(res, NewArticle)]
        # Identities across the archive are decided here, by the one writer, in order, before the
        # batch is written (articles stored already, or twice in the batch, are not linked).
        full = [res for res in fresh if res.analysis == "full"]
        if full:
            resolver = resolver or IdentityResolver(storage)
            stored = storage.known(urls=[r.url for r in full if r.url], content_keys=[r.content_key for r in full])
            seen: set[str] = set()
            for art in full:
                if art.content_key in stored or (art.url and art.url in stored) or art.content_key in seen:
                    continue
                seen.add(art.content_key)
                art.links = resolver.link_article(art)
        ids = storage.write(fresh)
        if resolver is not None:
            resolver.written()
        added_ids.extend(i for i in ids if i is not None)
        written = iter(ids)
        outcomes = [isinstance(res, NewArticle) and next(written) is not None for res in results]
        # Counted only after the commit, so a chunk rolled back by an interrupt is neither counted
        # nor reported: the next run handles it again.
        for res, new in zip(results, outcomes, strict=True):
            if isinstance(res, Failure):
                fail(res)
            elif isinstance(res, _Duplicate):
                summary.duplicates += 1
                summary.already += res.already
            elif new:
                summary.added += 1
                seen_keys.add(res.content_key)
            else:
                summary.duplicates += 1
                summary.already += res.content_key not in seen_keys

    if jobs > 1:
        default_pipeline()  # loaded once here: forked workers share its lexicons and models
    # The names the archive has learned are recognized in what it ingests.
    names = [] if restore_only else storage.learned_names()
    pool = _Pool(jobs, (storage.url, restore_only, names))
    terminate = False
    try:
        pending: Callable[[], list[Any]] | None = None
        for items in _chunks(stream, chunk):
            todo = triage(items)
            nxt = pool.submit(_prepare, todo, _worker_died)
            if pending is not None:
                store(pending())
                if progress:
                    summary.seconds = time.perf_counter() - started
                    progress(summary)
            pending = nxt
        if pending is not None:
            store(pending())
        if resolver is not None and added_ids:
            # Roles stored before the article naming their holder: resolved now that it is known.
            resolver.revisit_roles(added_ids)
    except KeyboardInterrupt:
        summary.interrupted = True
        terminate = True
    finally:
        pool.close(terminate=terminate)
        if report_fh is not None:
            report_fh.close()
            if summary.failed or report_if_empty:
                os.chmod(report_tmp, 0o666 & ~_umask())
                os.replace(report_tmp, str(report))
            else:
                os.unlink(report_tmp)
                summary.report = None
        summary.seconds = time.perf_counter() - started
        if progress:
            progress(summary)
    return summary




def reanalyze(storage: Storage, *, everything: bool = False, jobs: int | None = None,
              progress: Callable[[int, int], None] | None = None, chunk: int = CHUNK) -> tuple[int, list[Failure]]:
    """Run the full pipeline on stored articles: those ingested ``--restore-only``, or all of them.

    Each chunk is stored in one transaction, so an interrupted run can simply be run again.
    Returns how many articles were updated and the failures.

    >>> from khabar.archive.storage import open_storage
    >>> store = open_storage(":memory:")
    >>> _ = ingest([], store, jobs=1, restore_only=True, articles=[RawArticle("وزیر امروز به تهران رفت.", "a", "text")])
    >>> reanalyze(store, jobs=1)[0], store.articles([1])[0].analysis
    (1, 'full')
    """
    jobs = jobs or default_jobs()
    done = 0
    failures: list[Failure] = []
    if jobs > 1:
        default_pipeline()
    pool = _Pool(jobs, (None, False, storage.learned_names()))
    terminate = False
    resolver: IdentityResolver | None = None
    try:
        todo = iter_articles(storage, analysis=None if everything else "restore")
        for batch in _chunks(todo, chunk):
            items = [(a.id, a.doc["raw_text"],
                      {"published": a.published, "url": a.url, "source": a.outlet, **(a.doc.get("meta") or {})})
                     for a in batch]
            results = pool.submit(_reanalyze_one, items, _reanalysis_died)()
            meta = {item[0]: item[2] for item in items}
            resolver = resolver or IdentityResolver(storage)
            storage.update([Reanalysis(article_id, doc, "full", resolver.link(
                doc, identity=feats, published=meta[article_id].get("published"), outlet=meta[article_id].get("source"),
                article_id=article_id)) for article_id, doc, feats, _error in results if doc is not None])
            resolver.written()
            for article_id, doc, _feats, error in results:
                if doc is None:
                    failures.append(Failure(f"article {article_id}", f"analysis failed ({error})"))
                else:
                    done += 1
            if progress:
                progress(done, len(failures))
    except KeyboardInterrupt:
        terminate = True
        raise
    finally:
        pool.close(terminate=terminate)
    if resolver is not None:
        resolver.revisit_roles()
    return done, failures


def build_stories(storage: Storage) -> int:
    """Cluster every article into stories (:class:`khabar.archive.stories.StoryClusterer`, oldest first, so a
    story is named by its earliest article) and store them; returns how many have several articles."""
    from khabar.archive.stories import StoryClusterer

    # Items come oldest first, undated last, so the clusterer may forget days behind its window.
    items = ({"id": i.id, "text": i.text, "published": i.published, "title": i.title, "entities": list(i.entities)}
             for i in storage.story_items())
    assigned = StoryClusterer().cluster(items, bounded=True)
    clusters: dict[int, list[int]] = {}
    for article_id, story_id in assigned.items():
        clusters.setdefault(int(story_id), []).append(int(article_id))  # type: ignore[call-overload]
    return storage.set_stories(clusters)


def _story_text(item: StoryItem) -> str:
    return f"{item.title}\n{item.text}" if item.title else item.text


def assign_stories(storage: Storage) -> int:
    """Put the articles in no story yet into stories: each joins the story of its best match among the
    articles of the days around it (their stories stay as stored), or starts its own. Returns how
    many of the stories written have several articles."""
    from khabar.archive.stories import StoryClusterer

    new = list(storage.story_items(unclustered=True))
    if not new:
        return 0
    clusterer = StoryClusterer()
    days = sorted(d for d in (published_day(i.published) for i in new) if d is not None)
    if days:
        margin = _dt.timedelta(days=clusterer.window_days + 1)
        since, until = (days[0] - margin).isoformat(), (days[-1] + margin + _dt.timedelta(days=1)).isoformat()
        for old in storage.story_items(since=since, until=until):
            if old.story_id is not None:
                clusterer.add_stored(old.id, _story_text(old), old.published, story_id=old.story_id,
                               entities=old.entities)
    clusters: dict[int, list[int]] = {}
    for item in new:  # oldest first, undated last, as stored
        story = clusterer.add(item.id, _story_text(item), item.published, entities=item.entities)
        clusters.setdefault(int(story), []).append(item.id)  # type: ignore[call-overload]
    return storage.set_stories(clusters, replace=False)


def copy_articles(source: Storage, target: Storage, *, batch: int = 500,
                  progress: Callable[[int], None] | None = None) -> int:
    """Copy every article of ``source`` into ``target`` (another backend, or another archive of the
    same one): each ``Document`` exactly, its metadata, its id where ``target`` has it free, its
    entities' archive identities, and the stories. Articles ``target`` has already (same URL or content key) are skipped, so a copy can be
    rerun after an interruption. Returns how many articles were written."""
    written = 0
    mapping: dict[int, int] = {}
    pending: list[StoredArticle] = []

    def flush() -> None:
        nonlocal written
        ids = target.write([NewArticle(doc=a.doc, content_key=a.content_key, title=a.title, url=a.url,
                                       published=a.published, author=a.author, outlet=a.outlet, origin=a.origin,
                                       kind=a.kind, analysis=a.analysis, id=a.id, added=a.added,
                                       links=source.article_identity(a.id)) for a in pending])
        for a, new_id in zip(pending, ids, strict=True):
            if new_id is not None:
                mapping[a.id] = new_id
                written += 1
        pending.clear()
        if progress:
            progress(written)

    stories: dict[int, list[int]] = {}
    for article in iter_articles(source, batch=batch):
        pending.append(article)
        if article.story_id is not None:
            stories.setdefault(article.story_id, []).append(article.id)
        if len(pending) >= batch:
            flush()
    if pending:
        flush()
    clusters: dict[int, list[int]] = {}
    for story_id, members in stories.items():
        moved = [mapping[m] for m in members if m in mapping]
        if moved:
            clusters[mapping.get(story_id, moved[0])] = moved
    if clusters:
        target.set_stories(clusters, replace=False)
    return written
