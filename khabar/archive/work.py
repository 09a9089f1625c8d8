"""The work of ingest and reanalysis as functions over batches, whichever engine runs them.

Records in, stored records out: :func:`prepare_batch` turns read articles (:class:`RawArticle`: text
and metadata) into what the archive stores (:class:`~khabar.archive.models.NewArticle`: the Document
in its stored form, its search and content keys) or into a :class:`Failure` or a :class:`Skipped`;
:func:`reanalyze_batch` turns stored articles into new analyses. Models and lexicons are loaded once
per worker, in its :class:`Analyzer`. :func:`ingest_batch` adds the write: the worker that analysed
a batch stores it through the storage protocol (one transaction per batch; a rerun after a crash
adds nothing twice, since a stored URL or content key is skipped) and hands back only counts and
failures, or, when one writer is fed (an in-memory archive), the prepared batch for it to write.

The local engine (:mod:`khabar.archive.engines.local`, processes) and the Ray engine
(:mod:`khabar.archive.engines.ray`) are thin adapters over these functions, so the archive is the
same whichever engine runs them.

>>> from khabar.archive.storage import open_storage
>>> analyzer = Analyzer(restore_only=True)
>>> store = open_storage(":memory:")
>>> raws = [RawArticle("وزیر امروز به تهران رفت.", "a", "text"), RawArticle("وزير امروز به تهران رفت.", "b", "text")]
>>> outcome = ingest_batch(analyzer, raws, store)
>>> (outcome.added, outcome.duplicates, outcome.failed)
(1, 1, 0)
>>> ingest_batch(analyzer, raws, store).already
2
"""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from khabar.archive.identities import IdentityResolver, features, lexicon_is_place
from khabar.archive.keys import content_key, folded_key
from khabar.archive.models import NewArticle, Reanalysis, StoredArticle
from khabar.archive.storage import Storage
from khabar.archive.storage.registry import WRITER_LOCK_WAIT
from khabar.codec import pack_document
from khabar.ingest import Failure, RawArticle
from khabar.pipeline import Pipeline, default_pipeline, restore
from khabar.text.fold import fold

__all__ = [
    "RESTORE_ASSIGNS",
    "WORKER_DIED",
    "Analysed",
    "Analyzer",
    "Outcome",
    "Setup",
    "Skipped",
    "Worker",
    "ingest_batch",
    "link_batch",
    "merge_timings",
    "prepare_batch",
    "process_cpu",
    "reanalysis_input",
    "reanalyze_batch",
    "restore_pipeline",
    "store_reanalyses",
    "timed",
    "write_prepared",
]

RESTORE_ASSIGNS = frozenset({"text", "sentences", "tokens"})
WORKER_DIED = ("the worker process analysing it died (killed, or out of memory) every time it was tried; "
               "the article was skipped — check it, e.g. with `khabar analyze`")


def restore_pipeline() -> Pipeline:
    """The ``--restore-only`` pipeline: the default stages that fill only text, sentences and tokens."""
    return Pipeline(s for s in default_pipeline().stages if set(s.assigns) <= RESTORE_ASSIGNS)


@dataclass(frozen=True, slots=True)
class Skipped:
    """An article not analysed again: its URL or content key is stored already, before the run
    (``already``) or by it. ``stored``: the id under which this very article was stored by an earlier
    try of its batch in this run, whose worker died before the outcome came back (it counts as added)."""

    origin: str
    already: bool
    stored: int | None = None


Prepared = NewArticle | Failure | Skipped


class Analyzer:
    """One worker's analysis state: the pipeline (its models and lexicons loaded once).

    ``pipeline`` (a picklable callable returning a :class:`Pipeline`) replaces the default one;
    ``restore_only`` runs only restoration, sentences and tokens; ``names`` (``(text, label)``) are
    the names the archive has learned, which the entities stage then recognizes (:meth:`close`
    forgets them: the default pipeline is shared with :func:`khabar.analyze` in this process).
    """

    def __init__(self, *, restore_only: bool = False, pipeline: Callable[[], Pipeline] | None = None,
                 names: Sequence[tuple[str, str]] = ()) -> None:
        self.restore_only = restore_only
        self.analysis = "restore" if restore_only else "full"
        if pipeline is not None:
            self.pipeline = pipeline()
        else:
            self.pipeline = restore_pipeline() if restore_only else default_pipeline()
        self._full: Pipeline | None = None if restore_only else self.pipeline
        self.names = list(names)
        self._learned: Any = None if restore_only else _learn(self.pipeline, self.names)

    @property
    def full_pipeline(self) -> Pipeline:
        """The pipeline :func:`reanalyze_batch` runs (the full one, or the one given)."""
        if self._full is None:
            self._full = default_pipeline()
            self._learned = _learn(self._full, self.names)
        return self._full

    def close(self) -> None:
        if self._learned is not None:
            self._learned.forget()
            self._learned = None


    def prepare(self, raw: RawArticle, *, key: str | None = None) -> NewArticle | Failure:
        """Analyse one article; never raises (a failure is returned, with its reason)."""
        try:
            if not raw.text.strip():
                return Failure(raw.origin, "empty article: the source has no text (nothing to store)")
            doc = self.pipeline.analyze(raw.text, published=raw.published, url=raw.url, source=raw.outlet)
            body_key = fold(doc.text)
            if key is None:
                # doc.text is restore(raw.text), so this is content_key(raw.text) without restoring
                # twice (tests/archive/test_keys.py holds the two equal).
                key = folded_key(body_key)
            # Packed here, in parallel: the writer gets the blob and only the parts it indexes.
            packed, light = pack_document(doc)
            # Titles, authors and outlet names are scraped text too: stored restored, so that they
            # read right and `همشهري آنلاين` and `همشهری آنلاین` are one outlet.
            title = restore(raw.title) if raw.title else raw.title
            return NewArticle(doc=light, packed=packed, content_key=key, title=title, url=raw.url,
                              published=raw.published, author=restore(raw.author) if raw.author else raw.author,
                              outlet=restore(raw.outlet) if raw.outlet else raw.outlet, origin=raw.origin,
                              kind=raw.kind, analysis=self.analysis, title_key=fold(title) if title else "",
                              body_key=body_key,
                              identity=features(doc, lexicon_is_place()) if self.analysis == "full" else None)
        except Exception as err:  # one bad article must not stop its batch; it is reported instead
            return Failure(raw.origin, f"analysis failed ({type(err).__name__}: {' '.join(str(err).split())[:300]}); "
                                       "please report this article")


def _learn(pipeline: Pipeline, names: Sequence[tuple[str, str]]) -> Any:
    """Give the entities stage the archive's learned names; returns the stage (to forget them after)."""
    stage = next((s for s in pipeline.stages if s.name == "entities"), None)
    if stage is None or not names or not hasattr(stage, "learn"):
        return None
    stage.learn(names)
    return stage


def _known(storage: Storage | None, urls: Sequence[str], keys: Sequence[str]) -> set[str]:
    if storage is None or not (urls or keys):
        return set()
    try:
        return storage.known(urls=urls, content_keys=keys)
    except Exception:  # a busy or changing archive: the write decides
        return set()


def _skip(storage: Storage | None, pairs: Sequence[tuple[RawArticle, str]], mark: int | None,
          again: bool) -> list[Skipped]:
    """Each stored article of ``pairs`` (a record, and its URL or content key found stored) as
    :class:`Skipped`, in order: ``already`` unless stored after ``mark`` (the archive's highest
    id when the run began, when known); when the batch is run ``again`` after its worker died, one
    stored after ``mark`` under the record's own origin is the record itself, stored by the try
    that died after its commit (``stored``)."""
    since: dict[str, tuple[int, str | None]] = {}
    if storage is not None and mark is not None and pairs:
        try:
            since = storage.stored_after(mark, urls=[k for r, k in pairs if k == r.url],
                                         content_keys=[k for r, k in pairs if k != r.url])
        except Exception:  # a busy or changing archive: counted as before the run
            since = {}
    out: list[Skipped] = []
    claimed: set[int] = set()
    for raw, key in pairs:
        found = since.get(key)
        if found is None:
            out.append(Skipped(raw.origin, already=True))
        elif again and found[1] == raw.origin and found[0] not in claimed:
            claimed.add(found[0])
            out.append(Skipped(raw.origin, already=False, stored=found[0]))
        else:
            out.append(Skipped(raw.origin, already=False))
    return out


def prepare_batch(analyzer: Analyzer, records: Sequence[RawArticle | Failure],
                  storage: Storage | None = None, *, mark: int | None = None, again: bool = False) -> list[Prepared]:
    """Each record prepared for storage, in order: a :class:`NewArticle`, a :class:`Failure` (a
    record that failed to read, or to analyse), or :class:`Skipped` when ``storage`` has its URL or
    content key already (one look-up for the whole batch; the full pipeline is slow, so stored
    articles are not analysed again). ``mark`` and ``again``: see :func:`_skip`."""
    out: list[Prepared | None] = [r if isinstance(r, Failure) else None for r in records]
    todo = [(i, r) for i, r in enumerate(records) if isinstance(r, RawArticle)]
    keys: dict[int, str] = {}
    if not analyzer.restore_only and storage is not None:
        for i, raw in todo:
            try:
                keys[i] = content_key(raw.text)
            except Exception:  # the analysis reports it
                continue
    stored = _known(storage, [r.url for _, r in todo if r.url], list(keys.values()))
    hits: list[tuple[int, RawArticle, str]] = []
    for i, raw in todo:
        if raw.url and raw.url in stored:
            hits.append((i, raw, raw.url))
        elif keys.get(i) in stored:
            hits.append((i, raw, keys[i]))
        else:
            out[i] = analyzer.prepare(raw, key=keys.get(i))
    if analyzer.restore_only and storage is not None:
        # Restoration is cheap: analysed first, then the stored ones are dropped.
        fresh = [a.content_key for a in out if isinstance(a, NewArticle)]
        stored = _known(storage, [], fresh)
        raws = dict(todo)
        hits.extend((i, raws[i], a.content_key) for i, a in enumerate(out)
                    if isinstance(a, NewArticle) and a.content_key in stored)
    hits.sort(key=lambda hit: hit[0])
    for (i, _, _), skipped in zip(hits, _skip(storage, [(raw, key) for _, raw, key in hits], mark, again),
                                  strict=True):
        out[i] = skipped
    return [o for o in out if o is not None]


@dataclass(slots=True)
class Outcome:
    """What a batch came to. ``prepared`` is set when the batch is still to be written (by one writer)."""

    added: int = 0
    duplicates: int = 0
    already: int = 0
    failures: list[Failure] = field(default_factory=list)
    prepared: list[Prepared] | None = None
    ids: list[int] = field(default_factory=list)   # of the articles added (analysed in full)
    # of the articles an earlier try of the batch stored before its worker died (counted as added)
    recovered: list[int] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)   # where the batch's time went (:class:`Timings`)

    @property
    def failed(self) -> int:
        return len(self.failures)

    def tally(self, prepared: Iterable[Prepared]) -> Iterator[NewArticle]:
        """Count the failures and the skipped duplicates of ``prepared``, and yield its new articles
        in order (for the caller to store and count)."""
        for item in prepared:
            if isinstance(item, Failure):
                self.failures.append(item)
            elif isinstance(item, Skipped) and item.stored is not None:
                self.added += 1
                self.recovered.append(item.stored)
            elif isinstance(item, Skipped):
                self.duplicate(already=item.already)
            else:
                yield item

    def duplicate(self, *, already: bool) -> None:
        """Count an article not stored because the archive has it (``already``: had it before this run)."""
        self.duplicates += 1
        self.already += already

    def add(self, other: Outcome) -> None:
        self.added += other.added
        self.duplicates += other.duplicates
        self.already += other.already
        self.failures.extend(other.failures)
        self.ids.extend(other.ids)
        self.recovered.extend(other.recovered)
        merge_timings(self.timings, other.timings)

    def to_row(self) -> dict[str, Any]:
        """A flat record (for a Ray dataset)."""
        return {"added": self.added, "duplicates": self.duplicates, "already": self.already,
                "failed_origins": [f.origin for f in self.failures],
                "failed_reasons": [f.reason for f in self.failures], "ids": list(self.ids),
                "timings": json.dumps(self.timings)}

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Outcome:
        return cls(int(row["added"]), int(row["duplicates"]), int(row["already"]),
                   [Failure(str(o), str(r)) for o, r in zip(row["failed_origins"], row["failed_reasons"], strict=True)],
                   ids=[int(i) for i in row.get("ids", ())], timings=json.loads(row.get("timings") or "{}"))


# -- where the time goes ------------------------------------------------------------------------

# A process's CPU seconds so far, keyed "cpu@HOST:PID" in the timings (merged by taking the latest,
# the largest); every other key is a sum (seconds, or a count).
PROCESS_CPU = "cpu@"


def merge_timings(into: dict[str, float], other: Mapping[str, float]) -> None:
    """Add ``other``'s timings to ``into``: sums, and each process's CPU so far (the largest)."""
    for key, value in other.items():
        if key.startswith(PROCESS_CPU):
            into[key] = max(into.get(key, 0.0), value)
        else:
            into[key] = into.get(key, 0.0) + value


@contextmanager
def timed(timings: dict[str, float], phase: str) -> Iterator[None]:
    """Wall seconds (``PHASE_s``) and this process's CPU seconds (``PHASE_cpu``) spent in the block.
    CPU time is what a loaded machine does not change: a phase that waits shows wall without CPU."""
    wall, cpu = time.perf_counter(), time.process_time()
    try:
        yield
    finally:
        timings[f"{phase}_s"] = timings.get(f"{phase}_s", 0.0) + time.perf_counter() - wall
        timings[f"{phase}_cpu"] = timings.get(f"{phase}_cpu", 0.0) + time.process_time() - cpu


def process_cpu(timings: dict[str, float]) -> None:
    """Record this process's CPU seconds so far (user + system, model loading included)."""
    timings[f"{PROCESS_CPU}{socket.gethostname()}:{os.getpid()}"] = time.process_time()


def link_batch(resolver: IdentityResolver, storage: Storage, articles: Sequence[NewArticle]) -> None:
    """Link the entities of the fully analysed articles of a batch to archive identities, in order,
    before the batch is written (articles stored already, or twice in the batch, are not linked)."""
    full = [a for a in articles if a.analysis == "full"]
    if not full:
        return
    stored = storage.known(urls=[a.url for a in full if a.url], content_keys=[a.content_key for a in full])
    seen: set[str] = set()
    todo = []
    for art in full:
        if art.content_key in stored or (art.url and art.url in stored) or art.content_key in seen:
            continue
        seen.add(art.content_key)
        todo.append(art)
    resolver.prefetch(todo)  # what the batch's names find, read at once
    for art in todo:
        art.links = resolver.link_article(art)


def write_prepared(storage: Storage, prepared: Sequence[Prepared], *, seen: set[str] | None = None,
                   resolver: IdentityResolver | None = None, own: Iterable[int] | None = None) -> Outcome:
    """Store the new articles of a prepared batch in one transaction, and count what happened.

    Their entities are linked to archive identities first, by ``resolver`` (one for the whole run,
    in the one writer), or by a resolver of this batch's own (a worker that writes, which sees what
    the other workers stored). ``seen``: content keys this run stored before (a duplicate of one is
    not ``already`` in the archive before the run); the keys this batch adds are added to it.
    Without it, a duplicate found only when writing counts as a duplicate within the run.
    ``own``: the articles ``resolver`` linked and stored before, given by a worker that keeps one
    resolver for the run: it first takes in what the other writers stored since
    (:meth:`IdentityResolver.catch_up`), as of one moment of the archive.
    """
    fresh = [p for p in prepared if isinstance(p, NewArticle)]
    outcome = Outcome()
    timings = outcome.timings
    linker = resolver
    with timed(timings, "link"):
        if linker is None and any(a.analysis == "full" for a in fresh):
            linker = IdentityResolver(storage)
        if linker is not None and own is not None and any(a.analysis == "full" for a in fresh):
            with storage.snapshot():  # what it takes in and what it then reads: one moment
                linker.catch_up(own)
                link_batch(linker, storage, fresh)
        elif linker is not None:
            link_batch(linker, storage, fresh)
    waited = getattr(storage, "lock_wait", 0.0)
    with timed(timings, "write"):
        written = storage.write(fresh)
        if linker is not None:
            linker.written()
    # The wait for the write lock is part of the write's wall time (not of its CPU).
    timings["lock_wait_s"] = getattr(storage, "lock_wait", 0.0) - waited
    for item, article_id in zip(outcome.tally(prepared), written, strict=True):
        if article_id is not None:
            outcome.added += 1
            if item.analysis == "full":
                outcome.ids.append(article_id)
            if seen is not None:
                seen.add(item.content_key)
        else:
            outcome.duplicate(already=seen is not None and item.content_key not in seen)
    return outcome


def ingest_batch(analyzer: Analyzer, records: Sequence[RawArticle | Failure], storage: Storage | None, *,
                 write: bool = True, seen: set[str] | None = None,
                 resolver: IdentityResolver | None = None, own: Iterable[int] | None = None,
                 mark: int | None = None, again: bool = False) -> Outcome:
    """Prepare a batch and (``write``) store it through ``storage``; counts and failures come back
    (``seen``, ``resolver``, ``own``: :func:`write_prepared`'s; ``mark``, ``again``: :func:`prepare_batch`'s).

    With ``write=False`` ``storage`` is only read (to skip stored articles) and the outcome carries
    the prepared batch for the one writer (:func:`write_prepared`).
    """
    timings: dict[str, float] = {"batches": 1.0, "articles": float(len(records))}
    with timed(timings, "analyse"):
        prepared = prepare_batch(analyzer, records, storage, mark=mark, again=again)
    if not write or storage is None:
        return Outcome(prepared=prepared, timings=timings)
    outcome = write_prepared(storage, prepared, seen=seen, resolver=resolver, own=own)
    merge_timings(outcome.timings, timings)
    return outcome


# -- reanalysis ---------------------------------------------------------------------------------

def reanalysis_input(article: StoredArticle) -> tuple[int, str, dict[str, Any]]:
    """What reanalysing a stored article needs: its id, raw text and the metadata the pipeline reads."""
    meta = {"published": article.published, "url": article.url, "source": article.outlet,
            **(article.doc.get("meta") or {})}
    return article.id, article.doc["raw_text"], meta


@dataclass(frozen=True, slots=True)
class Analysed:
    """A stored article analysed again, not yet linked to archive identities nor stored."""

    id: int
    doc: dict[str, Any]
    identity: dict[str, Any]
    published: str | None
    outlet: str | None


def reanalyze_batch(analyzer: Analyzer, items: Sequence[tuple[int, str, Mapping[str, Any]]]
                    ) -> tuple[list[Analysed], list[Failure]]:
    """The full pipeline on stored articles' raw texts (``(id, raw text, meta)``)."""
    done: list[Analysed] = []
    failures: list[Failure] = []
    pipeline = analyzer.full_pipeline
    for article_id, raw_text, meta in items:
        try:
            doc = pipeline.analyze(raw_text, published=meta.get("published"), url=meta.get("url"),
                                   source=meta.get("source"))
            done.append(Analysed(int(article_id), doc.to_dict(), features(doc, lexicon_is_place()),
                                 meta.get("published"), meta.get("source")))
        except Exception as err:
            failures.append(Failure(f"article {article_id}",
                                    f"analysis failed ({type(err).__name__}: {' '.join(str(err).split())[:300]})"))
    return done, failures


def store_reanalyses(storage: Storage, analysed: Sequence[Analysed], resolver: IdentityResolver | None = None) -> None:
    """Link each new analysis to archive identities (``resolver``: the run's, in the one writer; else
    this batch's own) and store them in one transaction."""
    if not analysed:
        return
    linker = resolver or IdentityResolver(storage)
    storage.update([Reanalysis(a.id, a.doc, "full", linker.link(a.doc, identity=a.identity, published=a.published,
                                                               outlet=a.outlet, article_id=a.id))
                    for a in analysed])
    linker.written()


# -- one worker: its analyzer and its own connection to the archive --------------------------------

@dataclass(frozen=True, slots=True)
class Setup:
    """How to start a worker (picklable, sent to each process or Ray actor).

    ``url``: the archive's address; each worker opens its own connection from it (``None`` or
    ``:memory:``: a worker cannot reach the archive, and ``write`` must be off). ``write``: the
    worker stores its batches itself; otherwise it only reads the archive (to skip stored articles)
    and hands its prepared batches to one writer. ``pipeline``: a picklable factory replacing the
    default pipeline.
    """

    url: str | None
    restore_only: bool = False
    write: bool = True
    pipeline: Callable[[], Pipeline] | None = None
    names: tuple[tuple[str, str], ...] = ()   # the names the archive has learned
    timeout: float = WRITER_LOCK_WAIT   # seconds a worker waits for the archive's write lock (SQLite)
    mark: int | None = None   # the archive's highest article id when the run began (None: not known)

    @property
    def reachable(self) -> bool:
        return bool(self.url) and self.url not in (":memory:", "sqlite://", "sqlite:///:memory:")


class Worker:
    """A worker's state for the whole run: models loaded once, one archive connection."""

    def __init__(self, setup: Setup) -> None:
        from khabar.archive.storage import open_storage

        wall, cpu = time.perf_counter(), time.process_time()
        self.setup = setup
        self.analyzer = Analyzer(restore_only=setup.restore_only, pipeline=setup.pipeline, names=setup.names)
        self.storage: Storage | None = None
        if setup.reachable:
            if setup.write:
                self.storage = open_storage(setup.url, timeout=setup.timeout)
            else:
                try:
                    self.storage = open_storage(setup.url, readonly=True, timeout=setup.timeout)
                except Exception:  # e.g. an archive not yet created: the writer decides
                    self.storage = None
        elif setup.write:
            raise ValueError(f"workers cannot write to {setup.url!r}: an in-memory archive has one writer")
        # One resolver for the worker's run, caught up with the other writers before each batch
        # (a fresh one per batch read every identity it met from the archive again: that cost grew
        # with the archive, bench/scale.py link_cpu_ms); ``_own``: the articles it stored itself.
        self.resolver: IdentityResolver | None = None
        if self.storage is not None and setup.write and not setup.restore_only:
            self.resolver = IdentityResolver(self.storage)
        self._own: set[int] = set()
        # Reported with the first batch: the worker's start (models, connection), then the time it
        # waited for work between batches (a worker the feeding process cannot keep busy).
        self._timings: dict[str, float] = {"worker_start_s": time.perf_counter() - wall,
                                           "worker_start_cpu": time.process_time() - cpu, "workers": 1.0}
        self._idle_since = time.perf_counter()

    def ingest(self, records: Sequence[RawArticle | Failure], *, again: bool = False) -> Outcome:
        """Prepare and (a worker that writes) store a batch; ``again``: run again after its worker died."""
        started = time.perf_counter()
        timings, self._timings = self._timings, {}
        timings["idle_s"] = started - self._idle_since
        with timed(timings, "task"):
            outcome = ingest_batch(self.analyzer, records, self.storage, write=self.setup.write,
                                   resolver=self.resolver, own=self._own if self.resolver is not None else None,
                                   mark=self.setup.mark, again=again)
        if self.resolver is not None:
            seen = self.resolver.seen
            if self.storage is not None and self.storage.delta_skips_own:
                self._own = set(outcome.ids)
            else:
                self._own = {i for i in self._own if seen is None or i > seen} | set(outcome.ids)
        merge_timings(outcome.timings, timings)
        process_cpu(outcome.timings)
        self._idle_since = time.perf_counter()
        return outcome

    def reanalyze(self, items: Sequence[tuple[int, str, Mapping[str, Any]]]) -> tuple[list[Analysed], list[Failure]]:
        """Analyse again; a worker that writes stores the batch and gives back only the failures."""
        done, failures = reanalyze_batch(self.analyzer, items)
        if self.setup.write and self.storage is not None:
            store_reanalyses(self.storage, done)
            return [], failures
        return done, failures

    def close(self) -> None:
        self.analyzer.close()
        if self.storage is not None:
            self.storage.close()
            self.storage = None
