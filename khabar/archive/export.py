"""Export the archive: JSONL (``Document.to_dict()`` plus the article's metadata per line), CSV or Parquet.

JSONL is the lossless form: each line is a ``Document.to_dict()`` with one more key, ``article``
(id, title, url, published, author, source, …), so ``Document.from_dict(line)`` reads it back.
CSV and Parquet are flat tables for spreadsheets and dataframes; Parquet needs pyarrow
(``pip install 'khabar[parquet]'``). Each writer takes every article of the storage, or the
``articles`` it is given (those a search matched: :meth:`khabar.archive.Archive.export`), a page at
a time.

>>> import io
>>> from khabar import analyze
>>> from khabar.archive.models import NewArticle
>>> from khabar.archive.storage import open_storage
>>> store = open_storage(":memory:")
>>> _ = store.write([NewArticle.from_document(analyze("خبر کوتاه"), content_key="k", title="عنوان")])
>>> out = io.StringIO()
>>> export_jsonl(store, out)
1
>>> __import__("json").loads(out.getvalue())["article"]["title"]
'عنوان'
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterable, Iterator
from typing import IO, Any

from khabar.archive.models import StoredArticle
from khabar.archive.storage import Storage, iter_articles
from khabar.errors import KhabarError, StorageError

__all__ = ["CSV_COLUMNS", "export_csv", "export_jsonl", "export_parquet", "flat_row", "write_export"]

CSV_COLUMNS = ("id", "title", "source", "published", "author", "url", "story", "analysis", "persons",
               "organizations", "places", "quotes", "text", "raw_text", "origin")


Articles = Iterable[StoredArticle] | None
# Articles read from the archive at a time: each holds its whole Document (a dict per token, ~1 MB
# for a news article), so few: 64 took 70 MB to read, 8 take 16 MB.
READ_BATCH = 8


def _all(storage: Storage) -> Iterator[StoredArticle]:
    return iter_articles(storage, batch=READ_BATCH)


def salvaged(storage: Storage) -> Iterator[StoredArticle]:
    """From a damaged archive, every article that can still be read back (one at a time)."""
    for article_id in storage.verify(deep=True).readable_ids or []:
        try:
            yield from storage.articles([article_id])
        except KhabarError:
            continue


def export_jsonl(storage: Storage, out: IO[str], articles: Articles = None) -> int:
    """Write one JSON object per article; returns how many."""
    n = 0
    for article in articles if articles is not None else _all(storage):
        out.write(json.dumps({**article.doc, "article": article.metadata()}, ensure_ascii=False))
        out.write("\n")
        n += 1
    return n


def flat_row(article: StoredArticle) -> dict[str, Any]:
    """One article as a flat row: metadata, entity names by kind (``؛``-separated), texts."""
    ents = article.doc.get("entities") or []

    def names(*labels: str) -> str:
        return "؛ ".join(e["name"] for e in ents if e.get("label") in labels)

    meta = article.metadata()
    return {"id": article.id, "title": article.title, "source": article.outlet, "published": article.published,
            "author": article.author, "url": article.url, "story": meta["story"], "analysis": article.analysis,
            "persons": names("PER", "PERSON"), "organizations": names("ORG", "ORGANIZATION"),
            "places": names("LOC", "GPE", "PLACE", "LOCATION", "FAC"), "quotes": len(article.doc.get("quotes") or []),
            "text": article.doc["text"], "raw_text": article.doc["raw_text"], "origin": article.origin}


def export_csv(storage: Storage, out: IO[str], articles: Articles = None) -> int:
    """Write a CSV table with :data:`CSV_COLUMNS`; returns how many rows."""
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS)
    writer.writeheader()
    n = 0
    for article in articles if articles is not None else _all(storage):
        writer.writerow(flat_row(article))
        n += 1
    return n


# Parquet: articles turned into Arrow at a time (a few MB of Python objects: a Document's JSON is ~20
# times its text), and the Arrow bytes (UTF-8) a row group holds at most. Rows are converted as they
# are read and only their Arrow form waits for the row group, so memory stays flat in the archive's
# size and in the articles' length (a long article makes a part and a row group of its own).
PARQUET_PART_ROWS = 32
PARQUET_PART_BYTES = 4 * 2**20
PARQUET_BATCH_BYTES = 16 * 2**20
# Columns worth a dictionary (few distinct values) and min/max statistics (short values); the long
# text columns get neither: a dictionary of unique texts only costs memory before it falls back.
_PARQUET_DICTIONARY = ["source", "published", "author", "analysis", "origin"]
_PARQUET_STATISTICS = ["id", "source", "published", "author", "story", "analysis", "quotes", "origin"]


def _parquet_parts(articles: Iterable[StoredArticle]) -> Iterator[list[dict[str, Any]]]:
    """Flat rows plus ``document`` (the JSON of ``Document.to_dict()``), in lists of at most
    :data:`PARQUET_PART_ROWS` rows and about :data:`PARQUET_PART_BYTES` of text."""
    part: list[dict[str, Any]] = []
    held = 0
    for article in articles:
        row = flat_row(article)
        row["document"] = json.dumps(article.doc, ensure_ascii=False)
        held += len(row["document"]) + len(row["text"]) + len(row["raw_text"])
        part.append(row)
        if len(part) >= PARQUET_PART_ROWS or held >= PARQUET_PART_BYTES:
            yield part
            part, held = [], 0
    if part:
        yield part


def export_parquet(storage: Storage, out: IO[bytes] | str, articles: Articles = None, *, batch: int = 2000) -> int:
    """Write a Parquet file (the CSV columns plus ``document``, the JSON of ``Document.to_dict()``),
    one row group per ``batch`` articles or :data:`PARQUET_BATCH_BYTES` of Arrow data: memory stays
    flat in the archive's size, to a file or a pipe (the file is written as it goes, never held)."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise KhabarError("Parquet export needs pyarrow: pip install 'khabar[parquet]' (or use --format jsonl)") from None
    schema = pa.schema([("id", pa.int64()), ("title", pa.string()), ("source", pa.string()),
                        ("published", pa.string()), ("author", pa.string()), ("url", pa.string()),
                        ("story", pa.int64()), ("analysis", pa.string()), ("persons", pa.string()),
                        ("organizations", pa.string()), ("places", pa.string()), ("quotes", pa.int64()),
                        ("text", pa.string()), ("raw_text", pa.string()), ("origin", pa.string()),
                        ("document", pa.string())])
    pool = pa.default_memory_pool()
    n = 0
    group: list[Any] = []  # RecordBatches of the row group being gathered
    rows = held = 0
    with pq.ParquetWriter(out, schema, compression="zstd", use_dictionary=_PARQUET_DICTIONARY,
                          write_statistics=_PARQUET_STATISTICS) as writer:

        def flush() -> None:
            nonlocal group, rows, held
            writer.write_table(pa.Table.from_batches(group, schema=schema))
            group, rows, held = [], 0, 0
            pool.release_unused()  # hand the row group's buffers back to the system, not only to the pool

        for part in _parquet_parts(articles if articles is not None else _all(storage)):
            record = pa.RecordBatch.from_pylist(part, schema=schema)
            del part
            group.append(record)
            rows += record.num_rows
            held += record.nbytes
            n += record.num_rows
            if rows >= batch or held >= PARQUET_BATCH_BYTES:
                flush()
        if group:
            flush()
    return n


def write_export(storage: Storage, fmt: str, output: str | None, *, salvage: bool = False) -> int:
    """Export in ``fmt`` (jsonl, csv, parquet) to the file ``output``, or standard output when ``None``/``-``.

    A file is written beside ``output`` and renamed over it when complete (an error or a full disk
    leaves what was there); ``output`` cannot be the archive's own files. An export that holds fewer
    articles than the archive counts (a damaged page that a scan skipped) is an error, not a short
    file. ``salvage``: export every article that can still be read from a damaged archive, and only those.
    """
    from khabar.archive.outputs import atomic_output, refuse_clobber

    if fmt not in ("jsonl", "csv", "parquet"):
        raise KhabarError(f"unknown export format {fmt!r} (jsonl, csv or parquet)")
    articles = salvaged(storage) if salvage else None
    expected = 0 if salvage else storage.stats()["articles"]
    if output not in (None, "-"):
        refuse_clobber(str(output), protected=storage.files())

    def run(out: Any) -> int:
        n = write_stream(storage, fmt, out, articles)
        if n < expected:  # fewer only: an ingest beside the export may add articles, none is removed
            raise StorageError(f"exported {n:,} articles but the archive counts {expected:,}: it is damaged (run "
                               "`khabar check --db` to see what can be salvaged)")
        return n

    if output in (None, "-"):
        stream: Any = sys.stdout.buffer if fmt == "parquet" else sys.stdout
        n = run(stream)
        stream.flush()
        return n
    with atomic_output(str(output), "wb" if fmt == "parquet" else "w", **({} if fmt == "parquet" else {"newline": ""})) as fh:
        return run(fh)


def write_stream(storage: Storage, fmt: str, out: IO[str] | IO[bytes], articles: Articles = None, *,
                 batch: int = 2000) -> int:
    """Export in ``fmt`` to an open stream (text for jsonl and csv, binary for parquet, in row groups
    of ``batch`` articles)."""
    if fmt == "parquet":
        return export_parquet(storage, out, articles, batch=batch)  # type: ignore[arg-type]
    if fmt not in ("jsonl", "csv"):
        raise KhabarError(f"unknown export format {fmt!r} (jsonl, csv or parquet)")
    writer = export_jsonl if fmt == "jsonl" else export_csv
    return writer(storage, out, articles)  # type: ignore[arg-type]
