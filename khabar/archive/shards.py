"""Parquet shards of stored records: what ``khabar ingest --output DIR`` writes and ``khabar load`` reads.

An ingest on a cluster may write its results to a folder instead of a database: each worker writes
its batches as Parquet files, partitioned by month of publication (``DIR/month=2025-08/…``,
``month=undated`` for articles without a date), each row an article in its stored form (the packed
Document, both texts, metadata, search and content keys). :func:`load_shards` bulk-loads such a
folder into an archive through :meth:`Storage.write` (COPY on PostgreSQL), batch by batch; rows
already stored (same URL or content key) are skipped, so a load can be rerun after an interruption.

A shard's name is derived from what it holds (the hash of its content keys), and it is written to a
temporary name and renamed: a batch written again (a retried task, a rerun after the driver died)
replaces its own shard instead of adding a second copy, and no reader ever sees half a shard.

Needs pyarrow (``pip install 'khabar[parquet]'``).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from khabar.archive.models import NewArticle
from khabar.archive.storage import Storage
from khabar.archive.work import Outcome, Prepared
from khabar.codec import unpack_doc
from khabar.errors import InvalidInput, KhabarError

__all__ = ["COLUMNS", "SUCCESS", "ShardWriter", "load_shards", "month_of"]

COLUMNS = ("content_key", "url", "title", "published", "author", "outlet", "origin", "kind", "analysis",
           "title_key", "body_key", "raw_text", "text", "packed")
SUCCESS = "_SUCCESS"   # written when an ingest to the folder has finished


def _pyarrow() -> tuple[Any, Any]:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:  # pragma: no cover - pyarrow comes with the scale and parquet extras
        raise KhabarError("Parquet shards need pyarrow: pip install 'khabar[parquet]'") from None
    return pa, pq


def month_of(published: str | None) -> str:
    """The partition of an article: ``YYYY-MM`` of its publication date, else ``undated``.

    >>> month_of("2025-08-09T10:00:00+03:30"), month_of(None), month_of("soon")
    ('2025-08', 'undated', 'undated')
    """
    if published and len(published) >= 7 and published[:4].isdigit() and published[4] == "-" \
            and published[5:7].isdigit():
        return published[:7]
    return "undated"


class ShardWriter:
    """Writes prepared batches into ``folder`` as Parquet shards partitioned by month (a storage
    stand-in for workers: :meth:`write` takes what :func:`khabar.archive.work.prepare_batch` gave)."""

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)

    def write(self, prepared: Sequence[Prepared]) -> Outcome:
        pa, pq = _pyarrow()
        outcome = Outcome()
        months: dict[str, list[NewArticle]] = {}
        for item in outcome.tally(prepared):
            months.setdefault(month_of(item.published), []).append(item)
        for month, articles in months.items():
            digest = hashlib.sha256("\n".join(a.content_key for a in articles).encode()).hexdigest()[:24]
            part = self.folder / f"month={month}"
            part.mkdir(exist_ok=True)
            rows: dict[str, list[Any]] = {c: [] for c in COLUMNS}
            for a in articles:
                for c in COLUMNS:
                    if c == "raw_text":
                        rows[c].append(a.doc["raw_text"])
                    elif c == "text":
                        rows[c].append(a.doc["text"])
                    elif c == "packed":
                        rows[c].append(a.packed)
                    else:
                        rows[c].append(getattr(a, c))
            schema = pa.schema([(c, pa.binary() if c == "packed" else pa.string()) for c in COLUMNS])
            table = pa.table(rows, schema=schema)
            final = part / f"part-{digest}.parquet"
            tmp = part / f".{final.name}.{os.getpid()}.tmp"
            pq.write_table(table, tmp, compression="zstd")
            os.replace(tmp, final)
            outcome.added += len(articles)
        return outcome

    def close(self) -> None:
        pass


def shard_files(folder: str | os.PathLike[str]) -> list[Path]:
    """The shards of ``folder``, oldest month first (``undated`` last), in a stable order."""
    root = Path(folder)
    if not root.is_dir():
        raise InvalidInput(f"{root}: no such folder of shards (write one with `khabar ingest … --output {root}`)")
    files = sorted(p for p in root.glob("month=*/*.parquet") if not p.name.startswith("."))
    return sorted(files, key=lambda p: (p.parent.name == "month=undated", p.parent.name, p.name))


def read_shard(path: Path) -> list[NewArticle]:
    """The articles of one shard, as :class:`NewArticle` records ready to write."""
    _, pq = _pyarrow()
    try:
        table = pq.read_table(path, columns=list(COLUMNS))
    except Exception as err:
        raise InvalidInput(f"{path}: not a khabar shard ({type(err).__name__}: {err})") from None
    out = []
    for row in table.to_pylist():
        doc = unpack_doc(row["packed"], row["raw_text"], row["text"])
        light = {k: v for k, v in doc.items() if k not in ("sentences", "tokens")}
        out.append(NewArticle(doc=light, packed=row["packed"], content_key=row["content_key"], title=row["title"],
                              url=row["url"], published=row["published"], author=row["author"],
                              outlet=row["outlet"], origin=row["origin"], kind=row["kind"],
                              analysis=row["analysis"] or "full", title_key=row["title_key"],
                              body_key=row["body_key"]))
    return out


def iter_shards(folder: str | os.PathLike[str], *, batch: int = 1000) -> Iterator[list[NewArticle]]:
    """Every article of the shards of ``folder`` in batches of at most ``batch``."""
    pending: list[NewArticle] = []
    for path in shard_files(folder):
        pending.extend(read_shard(path))
        while len(pending) >= batch:
            yield pending[:batch]
            pending = pending[batch:]
    if pending:
        yield pending


def load_shards(folder: str | os.PathLike[str], storage: Storage, *, batch: int = 1000) -> tuple[int, int]:
    """Write every article of the shards of ``folder`` into ``storage``, a batch (one transaction) at
    a time; ``(added, already stored)``."""
    added = already = 0
    for articles in iter_shards(folder, batch=batch):
        ids = storage.write(articles)
        new = sum(i is not None for i in ids)
        added += new
        already += len(ids) - new
    return added, already
