"""The Ray engine: ingest and reanalysis on a Ray cluster, on a pool of Ray actors (``pip install 'khabar[scale]'``).

The driver only plans: it lists the sources' files (never reads them) and cuts them into read units
(a few files, or a line range of a large JSONL file), or cuts the archive's ids into ranges for a
reanalysis. A pool of Ray actors runs the units, one actor per CPU asked for, one unit in flight
per actor (plain Ray actors: Ray Data's planning and executor cost start-up and gave nothing
here, where a unit is a description of work, not data): each actor builds one :class:`~khabar.archive.work.Worker` (the models loaded
once per actor, its own connection to the archive), reads its unit with khabar's own readers (so
every origin, failure and record is what the local engine gives), runs the batch functions of
:mod:`khabar.archive.work`, and writes each batch itself: through ``Storage.write`` (COPY on
PostgreSQL; on an SQLite file the actors take turns for each batch's transaction) or, with
``output``, as Parquet shards partitioned by month (:mod:`khabar.archive.shards`). Only counts and
failures come back to the driver.

Faults: an actor that dies (killed, out of memory) is restarted by Ray and its unit run again; a
unit whose actor dies every time (:data:`UNIT_TRIES`) is reported as failed and the run goes on.
Writes are idempotent (a stored URL or content key is skipped; a shard's name comes from its
content), so a unit run twice, or a whole run started again after the driver died, stores nothing
twice. An article whose analysis raises is a failure of its own; its batch is stored.

Ray is imported by this module only.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

import ray

from khabar.archive.shards import SUCCESS, ShardWriter
from khabar.archive.storage import Storage
from khabar.archive.work import Outcome, Setup, Worker, merge_timings, reanalysis_input, timed
from khabar.errors import KhabarError
from khabar.ingest import Failure, FieldMap, RawArticle, iter_files, read_sources

__all__ = ["UNIT_TRIES", "connect", "ingest", "plan_units", "reanalyze"]

UNIT_BYTES = 256 << 10      # a read unit: files adding up to about this many bytes …
UNIT_FILES = 64             # … or this many files (about a second of work: units balance the actors)
UNIT_TRIES = 3              # runs of a unit whose actor keeps dying before it is reported as failed
MARKER = "_KHABAR_RUN"      # in an --output folder while an ingest writes it


# -- the cluster ----------------------------------------------------------------------------------

def connect(address: str | None = None, *, cpus: int | None = None, object_store_mb: int | None = None) -> bool:
    """Join the Ray cluster at ``address`` (``auto``: the one this machine belongs to;
    ``ray://HOST:PORT``: a remote one), or start one here (``None``/``local``: ``cpus`` CPUs, a
    small object store, no dashboard). Returns whether a cluster was started (to shut it down)."""
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    if ray.is_initialized():
        return False
    options: dict[str, Any] = {"log_to_driver": False, "configure_logging": False}
    try:
        if address in (None, "", "local"):
            # address="local": a cluster of this run's own, even where another runs on this machine
            # (ray.init() with no address would join that one, found through /tmp/ray).
            ray.init(address="local", num_cpus=cpus, include_dashboard=False,
                     object_store_memory=(object_store_mb or 256) * 2**20, **options)
            return True
        ray.init(address=address, **options)
    except (ConnectionError, RuntimeError, ValueError) as err:
        raise KhabarError(f"cannot reach the Ray cluster at {address}: {' '.join(str(err).split())[:300]} "
                          "(start one with `ray start --head`, or leave out --address to run one here)") from None
    return False


def _actors(cpus: int | None) -> int:
    total = int(ray.cluster_resources().get("CPU", 1))
    return max(1, min(cpus or total, total))


# -- planning: read units -------------------------------------------------------------------------

def plan_units(sources: Iterable[str], *, unit_bytes: int = UNIT_BYTES,
               unit_files: int = UNIT_FILES) -> Iterator[dict[str, Any]]:
    """Read units for ``sources``: ``{"sources": [...]}`` (files, URLs: read by a worker as
    sources), ``{"records": [...]}`` (standard input, read here), ``{"failures": [...]}`` (what
    cannot be listed). Files are listed, never read, and grouped in the sources' order."""
    group: list[str] = []
    size = 0

    def flush() -> Iterator[dict[str, Any]]:
        nonlocal group, size
        if group:
            yield {"sources": group}
        group, size = [], 0

    for source in sources:
        if not isinstance(source, str) or not source.strip() or source == "-" \
                or source.lower().startswith(("http://", "https://")):
            if source == "-":
                yield from flush()
                chunk: list[dict[str, Any]] = []
                for item in read_sources(["-"]):
                    chunk.append(_record(item))
                    if len(chunk) >= 128:
                        yield {"records": chunk}
                        chunk = []
                if chunk:
                    yield {"records": chunk}
                continue
            # URLs (fetched by a worker) and bad arguments (a worker reports them) are sources.
            yield from flush()
            yield {"sources": [source if isinstance(source, str) else repr(source)]}
            continue
        for found in iter_files(Path(source), source):
            if isinstance(found, Failure):
                yield from flush()
                yield {"failures": [[found.origin, found.reason]]}
                continue
            try:
                length = found.stat().st_size
            except OSError:
                length = 0
            group.append(source if found == Path(source) else str(found))
            size += length
            if size >= unit_bytes or len(group) >= unit_files:
                yield from flush()
    yield from flush()


def _record(item: RawArticle | Failure) -> dict[str, Any]:
    return {"failure": [item.origin, item.reason]} if isinstance(item, Failure) else {"article": asdict(item)}


def _unit_items(unit: dict[str, Any], fields: FieldMap | None, read_options: dict[str, Any]
                ) -> Iterator[RawArticle | Failure]:
    for origin, reason in unit.get("failures", ()):
        yield Failure(origin, reason)
    for rec in unit.get("records", ()):
        yield Failure(*rec["failure"]) if "failure" in rec else RawArticle(**rec["article"])
    if unit.get("sources"):
        yield from read_sources(unit["sources"], fields=fields, **read_options)


def _describe(unit: dict[str, Any]) -> str:
    names = unit.get("sources") or [r.get("article", {}).get("origin", "?") for r in unit.get("records", ())]
    shown = ", ".join(names[:3]) + (f" … ({len(names)} in all)" if len(names) > 3 else "")
    return shown or "a read unit"


# -- the actors -----------------------------------------------------------------------------------

class _IngestActor:
    """One actor of the pool: a Worker (models loaded once) that reads, analyses and writes units."""

    def __init__(self, setup: Setup, output: str | None, chunk: int, fields: dict[str, str] | None,
                 read_options: dict[str, Any]) -> None:
        self.worker = Worker(setup if output is None else Setup(setup.url, setup.restore_only, False,
                                                                  setup.pipeline, setup.names))
        self.shards = ShardWriter(output) if output else None
        self.chunk = chunk
        self.fields = FieldMap(fields) if fields else None
        self.read_options = read_options

    def run(self, batch: dict[str, Any]) -> dict[str, list[Any]]:
        import resource

        from khabar.archive.engines.local import batches

        rows: dict[str, list[Any]] = {"unit": [], "added": [], "duplicates": [], "already": [],
                                      "failed_origins": [], "failed_reasons": [], "ids": [], "timings": [],
                                      "rss_mb": []}
        for index, text in zip(batch["index"], batch["unit"], strict=True):
            unit = json.loads(text)
            total = Outcome()
            for records in batches(_unit_items(unit, self.fields, self.read_options), self.chunk):
                outcome = self.worker.ingest(records)
                if outcome.prepared is not None:  # Parquet shards: this actor writes them
                    assert self.shards is not None
                    timings = outcome.timings
                    with timed(timings, "write"):
                        outcome = self.shards.write(outcome.prepared)
                    merge_timings(outcome.timings, timings)
                total.add(outcome)
            row = total.to_row()
            rows["unit"].append(int(index))
            for key in ("added", "duplicates", "already", "failed_origins", "failed_reasons", "ids", "timings"):
                rows[key].append(row[key])
            rows["rss_mb"].append(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
        return rows


class _ReanalyzeActor:
    def __init__(self, setup: Setup, chunk: int, everything: bool) -> None:
        self.worker = Worker(setup)
        self.chunk = chunk
        self.everything = everything

    def run(self, batch: dict[str, Any]) -> dict[str, list[Any]]:
        rows: dict[str, list[Any]] = {"unit": [], "done": [], "failed_origins": [], "failed_reasons": []}
        storage = self.worker.storage
        assert storage is not None
        for index, lo, hi in zip(batch["index"], batch["lo"], batch["hi"], strict=True):
            done, failures, after = 0, [], int(lo)
            while True:
                page = storage.articles(after=after, limit=self.chunk,
                                        analysis=None if self.everything else "restore")
                page = [a for a in page if hi < 0 or a.id <= hi]
                if not page:
                    break
                after = page[-1].id
                _, failed = self.worker.reanalyze([reanalysis_input(a) for a in page])
                done += len(page) - len(failed)
                failures.extend(failed)
            rows["unit"].append(int(index))
            rows["done"].append(done)
            rows["failed_origins"].append([f.origin for f in failures])
            rows["failed_reasons"].append([f.reason for f in failures])
        return rows


def _pool_map(actor: type, kwargs: dict[str, Any], actors: int,
              batches: list[dict[str, list[Any]]]) -> Iterator[dict[str, list[Any]]]:
    """Each of ``batches`` run by one of a pool of ``actors`` actors (one CPU each, ``actor(**kwargs)``
    built once per actor: the models loaded once), one batch in flight per actor; results as they
    come. An actor that dies is restarted by Ray and its batch run again; a batch whose actor died
    :data:`UNIT_TRIES` times (or that raised) gives no result, and the run goes on.

    A pool of plain Ray actors, not Ray Data: the batches are only descriptions of work (files to
    read, id ranges), so Ray Data's planning and executor, and its import in the driver and in
    every actor, were start-up cost without use (bench/scale.py overhead)."""
    remote: Any = ray.remote(num_cpus=1, max_restarts=-1, max_task_retries=UNIT_TRIES - 1)(actor)
    pool: list[Any] = [remote.remote(**kwargs) for _ in range(max(1, min(actors, len(batches))))]
    todo = iter(batches)
    running: dict[Any, Any] = {}

    def submit(handle: Any) -> None:
        batch = next(todo, None)
        if batch is not None:
            running[handle.run.remote(batch)] = handle

    try:
        for handle in pool:
            submit(handle)
        while running:
            done, _ = ray.wait(list(running), num_returns=1)
            handle = running.pop(done[0])
            submit(handle)
            try:
                rows = ray.get(done[0])
            except ray.exceptions.RayError:
                continue  # reported by the caller: a batch without its result
            yield rows
    finally:
        for handle in pool:
            ray.kill(handle, no_restart=True)


# -- the runs -------------------------------------------------------------------------------------

def _check_reachable(storage: Storage | None, output: str | None) -> str | None:
    url = getattr(storage, "url", None) if storage is not None else None
    if output is None and (not url or url in (":memory:", "sqlite://", "sqlite:///:memory:")):
        raise KhabarError("the Ray engine's workers write the archive themselves: give an archive file or a "
                          "postgresql:// URL (--db), or --output DIR for Parquet shards; not :memory:")
    return url


def _prepare_output(output: str) -> None:
    """An --output folder: empty, or one an unfinished khabar ingest left (written again)."""
    folder = Path(output)
    if folder.exists() and not folder.is_dir():
        raise KhabarError(f"{output}: is a file; --output needs a folder")
    if folder.is_dir() and any(folder.iterdir()):
        if (folder / SUCCESS).exists():
            raise KhabarError(f"{output}: holds a finished ingest already (load it with `khabar load {output} --db URL`, "
                              "or choose an empty folder)")
        if not (folder / MARKER).exists():
            raise KhabarError(f"{output}: is not empty and was not written by khabar; choose an empty folder")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / MARKER).write_text(json.dumps({"started": time.time()}), encoding="utf-8")


def ingest(sources: Iterable[str], storage: Storage | None, *, restore_only: bool = False,
           fields: FieldMap | None = None, report: str | os.PathLike[str] | None = None,
           progress: Callable[[Any], None] | None = None, chunk: int = 128,
           articles: Iterable[RawArticle | Failure] | None = None, writer: str = "auto",
           pipeline: Callable[[], Any] | None = None, jobs: int | None = None, address: str | None = None,
           output: str | None = None, report_if_empty: bool = True, timings: dict[str, float] | None = None,
           **read_options: Any) -> Any:
    """:func:`khabar.archive.runner.ingest` on Ray: ``jobs`` actors (default: every CPU of the
    cluster), on the cluster at ``address`` (default: one started here); ``output``: write Parquet
    shards to this folder instead of the archive (``storage`` may then be ``None``). ``timings``: what
    the caller spent already (importing Ray), added to the summary's."""
    from khabar.archive.runner import Tally

    if writer == "one":
        raise KhabarError("the Ray engine's workers write their own batches (writer='one' is the local engine's)")
    url = _check_reachable(storage, output)
    if output is not None:
        _prepare_output(output)
    tally = Tally(report, progress, engine="ray", report_if_empty=report_if_empty)
    clock = tally.summary.timings
    clock.update(timings or {})
    added: list[int] = []
    names = () if restore_only or storage is None else tuple(storage.learned_names())
    with timed(clock, "ray_init"):
        started = connect(address, cpus=jobs)
    try:
        wall = time.perf_counter()
        actors = _actors(jobs)
        if articles is not None:
            records = [_record(item) for item in articles]
            # Units small enough that every actor gets several, at most a batch each.
            size = max(1, min(chunk, -(-len(records) // (4 * actors))))
            units = [{"records": records[i:i + size]} for i in range(0, len(records), size)]
        else:
            units = list(plan_units(sources))
        if units:
            items: list[dict[str, list[Any]]] = [{"index": [i], "unit": [json.dumps(u, ensure_ascii=False)]}
                                                 for i, u in enumerate(units)]
            setup = Setup(url, restore_only=restore_only, write=output is None, pipeline=pipeline, names=names)
            kwargs = {"setup": setup, "output": output, "chunk": chunk,
                      "fields": dict(fields.mapping) if fields else None, "read_options": read_options}
            finished: set[int] = set()
            clock["plan_s"] = time.perf_counter() - wall
            wall = time.perf_counter()
            try:
                for rows in _pool_map(_IngestActor, kwargs, actors, items):
                    clock.setdefault("first_result_s", time.perf_counter() - wall)
                    for i in range(len(rows["unit"])):
                        finished.add(int(rows["unit"][i]))
                        outcome = Outcome.from_row({k: rows[k][i] for k in rows})
                        added.extend(outcome.ids)
                        tally.add(outcome)
                        rss = float(rows["rss_mb"][i])
                        tally.summary.worker_rss_mb = max(tally.summary.worker_rss_mb or 0.0, round(rss, 1))
            except KeyboardInterrupt:
                tally.summary.interrupted = True
            clock["run_s"] = time.perf_counter() - wall
            if not tally.summary.interrupted:
                for i, unit in enumerate(units):
                    if i not in finished:
                        tally.fail(Failure(_describe(unit), f"the worker reading and analysing this died {UNIT_TRIES} "
                                                            "times (killed, or out of memory); nothing of it was "
                                                            "counted — run again, or ingest it with the local engine"))
        if added and storage is not None and output is None:
            # Roles stored before the article naming their holder: resolved now that it is known.
            from khabar.archive.identities import IdentityResolver

            with timed(clock, "post"):
                IdentityResolver(storage).revisit_roles(added)
        if output is not None and not tally.summary.interrupted:
            (Path(output) / MARKER).unlink(missing_ok=True)
            (Path(output) / SUCCESS).write_text(json.dumps(tally.summary.to_dict(), ensure_ascii=False),
                                                encoding="utf-8")
    except BaseException:
        tally.close()  # the report of what failed so far is kept
        raise
    finally:
        if started:
            with timed(clock, "ray_shutdown"):
                ray.shutdown()
    return tally.close()


def reanalyze(storage: Storage, *, everything: bool = False, progress: Callable[[int, int], None] | None = None,
              chunk: int = 128, writer: str = "auto", pipeline: Callable[[], Any] | None = None,
              jobs: int | None = None, address: str | None = None, unit: int = 2048) -> tuple[int, list[Failure]]:
    """:func:`khabar.archive.runner.reanalyze` on Ray: the archive's ids cut into ranges of about
    ``unit`` articles; each actor reads its ranges from the archive, reanalyses and stores them."""
    if writer == "one":
        raise KhabarError("the Ray engine's workers write their own batches (writer='one' is the local engine's)")
    url = _check_reachable(storage, None)
    # Ids are dense but for deletions: ranges of `unit` ids, the last one open-ended.
    total = storage.stats()["articles"]
    first = storage.articles(after=0, limit=1)
    if not total or not first:
        return 0, []
    start = first[0].id - 1
    bounds = list(range(start, start + total, unit))
    ranges = [{"index": i, "lo": lo, "hi": (bounds[i + 1] if i + 1 < len(bounds) else -1)}
              for i, lo in enumerate(bounds)]
    done = 0
    failures: list[Failure] = []
    started = connect(address, cpus=jobs)
    try:
        names = tuple(storage.learned_names())
        kwargs = {"setup": Setup(url, write=True, pipeline=pipeline, names=names), "chunk": chunk,
                  "everything": everything}
        finished: set[int] = set()
        batches = [{k: [v] for k, v in r.items()} for r in ranges]
        for rows in _pool_map(_ReanalyzeActor, kwargs, _actors(jobs), batches):
            for i in range(len(rows["unit"])):
                finished.add(int(rows["unit"][i]))
                done += int(rows["done"][i])
                failures.extend(Failure(str(o), str(r))
                                for o, r in zip(rows["failed_origins"][i], rows["failed_reasons"][i], strict=True))
                if progress:
                    progress(done, len(failures))
        for r in ranges:
            if r["index"] not in finished:
                failures.append(Failure(f"articles {r['lo'] + 1}…{'' if r['hi'] < 0 else r['hi']}",
                                        f"the worker reanalysing these died {UNIT_TRIES} times (killed, or out of "
                                        "memory); run again"))
    finally:
        if started:
            ray.shutdown()
    from khabar.archive.identities import IdentityResolver

    IdentityResolver(storage).revisit_roles()
    return done, failures
