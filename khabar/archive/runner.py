"""The ingest run: read sources, analyse on all cores, store in batches, resumably.

:func:`ingest` reads every source with :func:`khabar.ingest.read_sources` (deterministic order),
drops articles whose URL or content key (:func:`khabar.archive.keys.content_key`, the same for every
spelling variant) is already stored or already seen, analyses the rest over an engine (worker
processes here, or a Ray cluster: :mod:`khabar.archive.engines`) with the batch functions of
:mod:`khabar.archive.work` (:func:`khabar.analyze`, or with ``restore_only`` just restoration,
sentences and tokens — fast, for search first and structure later via :func:`reanalyze`), and
stores them batch by batch, each batch in one transaction. Where the archive can take several
writers (PostgreSQL, an SQLite file), each worker stores its own batches; an in-memory archive is
fed by one writer. A run killed at any moment (Ctrl-C, ``kill -9``) leaves only whole articles;
running it again skips what is stored and finishes the rest: nothing lost, nothing twice. Every
failure is counted, kept with its reason, and written to a JSONL report.

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

import datetime as _dt
import json
import os
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from typing import IO, Any, Literal

from khabar.archive.engines.local import (
    LocalEngine,
    batches,
    default_jobs,
    ingest_again_task,
    ingest_task,
    reanalyze_task,
    start_worker,
    stop_worker,
)
from khabar.archive.identities import IdentityResolver
from khabar.archive.models import NewArticle, StoredArticle, StoryItem
from khabar.archive.outputs import _umask
from khabar.archive.storage import Storage, iter_articles
from khabar.archive.storage.registry import parse_address
from khabar.archive.work import (
    WORKER_DIED,
    Analysed,
    Analyzer,
    Outcome,
    Setup,
    ingest_batch,
    merge_timings,
    reanalysis_input,
    reanalyze_batch,
    restore_pipeline,
    store_reanalyses,
    timed,
    write_prepared,
)
from khabar.ingest import Failure, FieldMap, RawArticle, read_sources
from khabar.pipeline import Pipeline, default_pipeline
from khabar.text.calendar import published_day

__all__ = ["IngestSummary", "build_stories", "default_jobs", "ingest", "reanalyze", "restore_pipeline"]

CHUNK = 128  # articles per batch: one transaction, one hand-off to a worker
Writer = Literal["auto", "workers", "one"]


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
    engine: str = "local"
    worker_rss_mb: float | None = None   # the largest peak RSS of a worker (Ray actors report theirs)
    # Where the time went (seconds; ``_cpu``: CPU seconds): the engine's start, each phase of the
    # batches summed over the workers, the steps after them, this process's CPU (see bench/scale.py).
    timings: dict[str, float] = field(default_factory=dict)

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
                "engine": self.engine, "failures": [{"origin": f.origin, "reason": f.reason} for f in self.failures],
                "timings": {k: round(v, 4) for k, v in sorted(self.timings.items())}}


class Tally:
    """The run's summary and its failure report, fed batch outcomes as they come (by any engine).

    The report is written beside and renamed into place at the end, so two runs at once never
    truncate or delete each other's; without failures it is written only when ``report_if_empty``.
    """

    def __init__(self, report: str | os.PathLike[str] | None, progress: Callable[[IngestSummary], None] | None,
                 engine: str = "local", *, report_if_empty: bool = True) -> None:
        self.summary = IngestSummary(report=str(report) if report else None, engine=engine)
        self.progress = progress
        self.started = time.perf_counter()
        self._cpu = time.process_time()
        self.report_if_empty = report_if_empty
        self._fh: IO[str] | None = None
        self._tmp = ""
        if report:
            folder = os.path.dirname(os.path.abspath(report))
            fd, self._tmp = tempfile.mkstemp(prefix=f".{os.path.basename(report)}.", suffix=".part", dir=folder)
            self._fh = os.fdopen(fd, "w", encoding="utf-8")

    def fail(self, item: Failure) -> None:
        self.summary.failed += 1
        self.summary.failures.append(item)
        if self._fh is not None:
            self._fh.write(json.dumps({"origin": item.origin, "reason": item.reason}, ensure_ascii=False) + "\n")
            self._fh.flush()

    def add(self, outcome: Outcome, *, report: bool = True) -> None:
        s = self.summary
        s.added += outcome.added
        s.duplicates += outcome.duplicates
        s.already += outcome.already
        merge_timings(s.timings, outcome.timings)
        for failure in outcome.failures:
            self.fail(failure)
        if report and self.progress:
            s.seconds = time.perf_counter() - self.started
            self.progress(s)

    def close(self) -> IngestSummary:
        if self._fh is not None:
            self._fh.close()
            self._fh = None
            if self.summary.failed or self.report_if_empty:
                os.chmod(self._tmp, 0o666 & ~_umask())
                os.replace(self._tmp, str(self.summary.report))
            else:
                os.unlink(self._tmp)
                self.summary.report = None
        self.summary.seconds = time.perf_counter() - self.started
        self.summary.timings["main_cpu"] = time.process_time() - self._cpu
        if self.progress:
            self.progress(self.summary)
        return self.summary


def workers_write(storage: Storage, writer: Writer = "auto") -> bool:
    """Whether the workers store their own batches (each with its own connection) or feed one writer.

    ``auto``: the workers write wherever they can reach the archive (PostgreSQL; an SQLite file,
    whose writers take turns for a batch's transaction); an in-memory archive has one writer.
    """
    url = getattr(storage, "url", "") or ""
    backend, where = parse_address(url) if url else ("sqlite", ":memory:")
    reachable = not (backend == "sqlite" and where == ":memory:")
    if writer == "workers" and not reachable:
        raise ValueError("an in-memory archive has one writer: use writer='one' (or an archive file)")
    return reachable and writer != "one"


def _lost(item: RawArticle | Failure) -> Outcome:
    return Outcome(failures=[item if isinstance(item, Failure) else Failure(item.origin, WORKER_DIED)])


def ingest(sources: Iterable[str], storage: Storage, *, restore_only: bool = False, jobs: int | None = None,
           fields: FieldMap | None = None, report: str | os.PathLike[str] | None = None,
           progress: Callable[[IngestSummary], None] | None = None, chunk: int = CHUNK,
           articles: Iterable[RawArticle | Failure] | None = None, engine: str = "local",
           writer: Writer = "auto", pipeline: Callable[[], Pipeline] | None = None,
           report_if_empty: bool = True, **options: Any) -> IngestSummary:
    """Read, analyse and store every article of ``sources``; returns what happened.

    ``articles`` replaces reading ``sources`` (already-read articles, e.g. from a test or a bench).
    ``report``: a JSONL file that gets one ``{"origin", "reason"}`` line per failure (rewritten
    each run; without failures, only when ``report_if_empty``), written beside and renamed into
    place at the end (:class:`Tally`). ``progress`` is called after every batch. ``engine``: ``"local"`` (worker
    processes, ``jobs`` of them) or ``"ray"`` (a Ray cluster; ``options`` go to
    :func:`khabar.archive.engines.ray.ingest`: ``address``, ``output``, ``actors``). ``writer``:
    who stores the batches (:func:`workers_write`). ``pipeline``: a picklable factory replacing the
    default pipeline (tests). ``KeyboardInterrupt`` stops the run; the summary then has
    ``interrupted`` set.
    """
    if engine == "ray":
        wall, cpu = time.perf_counter(), time.process_time()
        from khabar.archive.engines import ray as ray_engine

        imported = {"import_s": time.perf_counter() - wall, "import_cpu": time.process_time() - cpu}
        return ray_engine.ingest(sources, storage, restore_only=restore_only, fields=fields, report=report,
                                 progress=progress, chunk=chunk, articles=articles, writer=writer,
                                 pipeline=pipeline, jobs=jobs, report_if_empty=report_if_empty,
                                 timings=imported, **options)
    if engine != "local":
        raise ValueError(f"unknown engine {engine!r} (local or ray)")
    tally = Tally(report, progress, report_if_empty=report_if_empty)
    summary = tally.summary
    jobs = jobs or default_jobs()
    stream = articles if articles is not None else read_sources(sources, fields=fields, **options)
    seen_urls: set[str] = set()
    seen_keys: set[str] = set()

    def triage(items: list[RawArticle | Failure]) -> list[RawArticle | Failure]:
        """URL duplicates dropped before anything is analysed (cheap: a set, one look-up per batch)."""
        todo: list[RawArticle | Failure] = []
        stored = storage.known(urls=[i.url for i in items if isinstance(i, RawArticle) and i.url
                                     and i.url not in seen_urls])
        for item in items:
            if isinstance(item, Failure):
                tally.fail(item)
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

    in_workers = jobs > 1 and workers_write(storage, writer)
    # The names the archive has learned are recognized in what it ingests.
    names = () if restore_only else tuple(storage.learned_names())
    # What the archive held before the run: an article stored with a higher id is this run's (not
    # "already" stored), and a batch run again after its worker died finds its own stored articles.
    mark = storage.size()
    setup = Setup(None if jobs == 1 else storage.url, restore_only=restore_only, write=in_workers,
                  pipeline=pipeline, names=names, mark=mark)
    # Identities across the archive: decided by the one writer, in order, with one resolver for the
    # run; workers that write link their own batches (each seeing what the others stored).
    resolver = None if in_workers else IdentityResolver(storage)
    added: list[int] = []
    if jobs == 1:
        analyzer = Analyzer(restore_only=restore_only, pipeline=pipeline, names=names)
        init: Callable[[], Any] = lambda: None  # noqa: E731
        close: Callable[[], Any] = analyzer.close
    else:
        if pipeline is None:
            default_pipeline()  # loaded once here: forked workers share its lexicons and models
        init = partial(start_worker, setup)
        close = stop_worker
    timings = summary.timings
    try:
        wall = time.perf_counter()
        with LocalEngine(jobs).pool(init, on_close=close) as pool:
            timings["start_s"] = time.perf_counter() - wall
            todo = (t for t in (triage(b) for b in batches(stream, chunk)) if t)
            if jobs == 1:
                outcomes: Iterable[Outcome] = (
                    ingest_batch(analyzer, items, storage, seen=seen_keys, resolver=resolver, mark=mark)
                    for items in todo)
            else:
                outcomes = (outcome for _, outcome in pool.map(ingest_task, todo, on_lost=_lost,
                                                               again=ingest_again_task))
            ran = time.perf_counter()
            for outcome in outcomes:
                if outcome.prepared is not None:  # one writer: this process
                    written = write_prepared(storage, outcome.prepared, seen=seen_keys, resolver=resolver)
                    written.failures[:0] = outcome.failures
                    merge_timings(written.timings, outcome.timings)
                    outcome = written
                added.extend(outcome.ids)
                if not restore_only:
                    added.extend(outcome.recovered)
                tally.add(outcome)
            timings["run_s"] = time.perf_counter() - ran
            wall = time.perf_counter()
        timings["stop_s"] = time.perf_counter() - wall
        with timed(timings, "post"):
            if added:
                # Roles stored before the article naming their holder: resolved now that it is known.
                IdentityResolver(storage).revisit_roles(added)
    except KeyboardInterrupt:
        summary.interrupted = True
    except BaseException:
        tally.close()  # the report of what failed so far is kept (a full disk, a lost database)
        raise
    return tally.close()


def reanalyze(storage: Storage, *, everything: bool = False, jobs: int | None = None,
              progress: Callable[[int, int], None] | None = None, chunk: int = CHUNK, engine: str = "local",
              writer: Writer = "auto", pipeline: Callable[[], Pipeline] | None = None,
              **options: Any) -> tuple[int, list[Failure]]:
    """Run the full pipeline on stored articles: those ingested ``--restore-only``, or all of them.

    Each batch is stored in one transaction (by the worker that analysed it, where it can reach
    the archive), so an interrupted run can simply be run again. Returns how many articles were
    updated and the failures.

    >>> from khabar.archive.storage import open_storage
    >>> store = open_storage(":memory:")
    >>> _ = ingest([], store, jobs=1, restore_only=True, articles=[RawArticle("وزیر امروز به تهران رفت.", "a", "text")])
    >>> reanalyze(store, jobs=1)[0], store.articles([1])[0].analysis
    (1, 'full')
    """
    if engine == "ray":
        from khabar.archive.engines import ray as ray_engine

        return ray_engine.reanalyze(storage, everything=everything, progress=progress, chunk=chunk, writer=writer,
                                    pipeline=pipeline, jobs=jobs, **options)
    if engine != "local":
        raise ValueError(f"unknown engine {engine!r} (local or ray)")
    jobs = jobs or default_jobs()
    done = 0
    failures: list[Failure] = []
    in_workers = jobs > 1 and workers_write(storage, writer)
    names = tuple(storage.learned_names())
    if jobs == 1:
        analyzer = Analyzer(pipeline=pipeline, names=names)
        init: Callable[[], Any] = lambda: None  # noqa: E731
        close: Callable[[], Any] = analyzer.close
    else:
        if pipeline is None:
            default_pipeline()
        init = partial(start_worker, Setup(storage.url, write=in_workers, pipeline=pipeline, names=names))
        close = stop_worker
    resolver = None if in_workers else IdentityResolver(storage)

    def lost(item: tuple[int, str, Any]) -> tuple[list[Analysed], list[Failure]]:
        return [], [Failure(f"article {item[0]}", WORKER_DIED)]

    with LocalEngine(jobs).pool(init, on_close=close) as pool:
        pages = batches(iter_articles(storage, analysis=None if everything else "restore"), chunk)
        work = ([reanalysis_input(a) for a in page] for page in pages)
        if jobs == 1:
            results: Iterable[tuple[Any, tuple[list[Analysed], list[Failure]]]] = (
                (b, reanalyze_batch(analyzer, b)) for b in work)
        else:
            results = pool.map(reanalyze_task, work, on_lost=lost)
        for batch, (analysed, failed) in results:
            if analysed:  # one writer: this process
                store_reanalyses(storage, analysed, resolver)
            done += len(batch) - len(failed)
            failures.extend(failed)
            if progress:
                progress(done, len(failures))
    IdentityResolver(storage).revisit_roles()
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
    entities' archive identities, and the stories. Articles ``target`` has already (same URL or content
    key) are skipped, so a copy can be rerun after an interruption. Returns how many articles were
    written."""
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
