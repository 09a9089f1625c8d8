"""JSONL (and JSON arrays) and CSV/TSV dumps: one article per line or row, fields mapped by a :class:`FieldMap`.

A bad line or row fails on its own (``dump.jsonl#7``) and the rest goes on; a CSV without the mapped
text column fails once, naming the columns it has.

>>> from khabar.ingest import FieldMap
>>> dump = '{"body": "بارش برف در گردنه حیران", "date": "۱۴۰۳/۰۹/۱۰"}\\n{broken\\n'
>>> [(type(r).__name__, r.origin) for r in read_jsonl(dump, "d.jsonl", fields=FieldMap.parse("text=body"))]
[('RawArticle', 'd.jsonl#1'), ('Failure', 'd.jsonl#2')]
>>> next(read_jsonl(dump, "d.jsonl", fields=FieldMap.parse("text=body,published=date"))).published
'2024-11-30'
"""

from __future__ import annotations

import csv
import io
import itertools
import json
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from khabar.ingest.clean import clean_field, clean_text
from khabar.ingest.urls import normalize_url
from khabar.text.calendar import parse_published

if TYPE_CHECKING:
    from khabar.ingest import Failure, FieldMap, RawArticle

# An article's text in one CSV cell can pass csv's default 128 KiB field limit.
_FIELD_LIMIT = 64 * 2**20


def read_jsonl(text: str, origin: str, *, fields: FieldMap, number: int | None = None) -> Iterator[RawArticle | Failure]:
    """One article per JSON object line (blank lines skipped); a file holding one JSON array also works.

    ``number`` reads ``text`` as the single line of that number (see :func:`read_jsonl_lines`).
    """
    from khabar.ingest import Failure

    if number is not None:
        yield from _line(text, f"{origin}#{number}", fields)
        return

    stripped = text.lstrip()
    if stripped.startswith("{") and "\n" in stripped.strip():
        # One pretty-printed JSON object (an article, or {"items": [...]}) rather than JSON Lines;
        # for real JSONL this fails at once, on the second line's "extra data".
        try:
            whole = json.loads(stripped)
        except (json.JSONDecodeError, RecursionError):
            whole = None
        if isinstance(whole, dict):
            lists = [v for v in whole.values() if isinstance(v, list) and v and isinstance(v[0], Mapping)]
            if _value(whole, fields.column("text")) is None and len(lists) == 1:
                for number, item in enumerate(lists[0], 1):
                    yield _safe_record(item, f"{origin}#{number}", fields, "item")
            else:
                yield _safe_record(whole, f"{origin}#1", fields, "object")
            return
    if stripped.startswith("["):
        try:
            items = json.loads(stripped)
        except (json.JSONDecodeError, RecursionError):
            items = None  # perhaps JSONL whose first line is an array (or nested too deep); read line by line
        if isinstance(items, list):
            if not items:
                yield Failure(origin, "empty: the JSON array has no items")
            for number, item in enumerate(items, 1):
                yield _safe_record(item, f"{origin}#{number}", fields, "item")
            return
    seen = False
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        seen = True
        yield from _line(line, f"{origin}#{number}", fields)
    if not seen:
        yield Failure(origin, "empty: no text in it")


def _line(line: str, where: str, fields: FieldMap) -> Iterator[RawArticle | Failure]:
    from khabar.ingest import Failure

    try:
        item = json.loads(line)
    except json.JSONDecodeError as err:
        yield Failure(where, f"not JSON: {err.msg} at column {err.colno}")
        return
    except RecursionError:
        yield Failure(where, "not JSON: nested too deeply")
        return
    yield _safe_record(item, where, fields, "line")


def read_jsonl_lines(data: bytes, origin: str, *, fields: FieldMap, error: str) -> Iterator[RawArticle | Failure]:
    """A JSONL dump that does not decode as a whole (a corrupt line): each line decoded alone.

    ``error`` is the whole file's decoding error, reported once if no line decodes at all.
    """
    from khabar.decoding import decode
    from khabar.errors import DecodeError
    from khabar.ingest import Failure

    results: list[RawArticle | Failure] = []
    decoded = 0
    for number, raw in enumerate(data.split(b"\n"), 1):
        if not raw.strip():
            continue
        where = f"{origin}#{number}"
        try:
            line = decode(raw, where)
        except DecodeError as err:
            message = str(err)
            results.append(Failure(where, message[len(where) + 2:] if message.startswith(where + ": ") else message))
            continue
        decoded += 1
        results.extend(read_jsonl(line, origin, fields=fields, number=number))
    if not decoded:
        yield Failure(origin, error)
        return
    yield from results


def read_csv(text: str, origin: str, *, fields: FieldMap) -> Iterator[RawArticle | Failure]:
    """One article per row of a CSV/TSV file with a header row; the delimiter is detected.

    The CSV is read strictly: a row whose quoted field never closes (or closes in the middle of a
    field) fails alone, naming its line, and the rows after it are read on, instead of every later
    row being swallowed into one field.

    >>> from khabar.ingest import FieldMap
    >>> rows = "عنوان,متن\\nباران,بارش باران در تهران\\n"
    >>> [(a.origin, a.title, a.text) for a in read_csv(rows, "d.csv", fields=FieldMap.parse("text=متن,title=عنوان"))]
    [('d.csv#2', 'باران', 'بارش باران در تهران')]
    >>> bad = 'متن\\n"بدون پایان\\nخبر بعدی\\n'
    >>> [(type(r).__name__, r.origin) for r in read_csv(bad, "d.csv", fields=FieldMap.parse("text=متن"))]
    [('Failure', 'd.csv#2'), ('RawArticle', 'd.csv#3')]
    """
    from khabar.ingest import Failure

    if csv.field_size_limit() < _FIELD_LIMIT:
        csv.field_size_limit(_FIELD_LIMIT)
    body = text.lstrip("\ufeff")
    first = body.split("\n", 1)[0]
    delimiter = max(",\t;|", key=first.count) if first else ","
    # Physical lines as the csv module counts them, so a bad row can be skipped and reading resumed.
    lines = io.StringIO(body, newline="").readlines()
    reader = csv.reader(lines, delimiter=delimiter, strict=True)
    try:
        header = [h.strip() for h in next(reader, [])]
    except csv.Error as err:
        yield Failure(origin, f"not CSV: {_csv_reason(err)} in the header row")
        return
    column = fields.column("text")
    if column not in header:
        shown = ", ".join(header[:12]) + (" …" if len(header) > 12 else "")
        yield Failure(origin, f"no {column!r} column (columns: {shown or 'none'}); "
                              f"name the text column with a field map, e.g. text=COLUMN")
        return
    pos = reader.line_num  # lines consumed before the next row
    rows = 0
    resume = True
    while resume:
        resume = False
        reader = csv.reader(itertools.islice(lines, pos, None), delimiter=delimiter, strict=True)
        while True:
            start = pos + reader.line_num  # the row's first line, counted from 0
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as err:
                yield Failure(f"{origin}#{start + 1}", f"bad CSV row: {_csv_reason(err)}; the row is skipped "
                                                       "and the rows after it are read")
                pos, resume = start + 1, True
                break
            if not row or (len(row) == 1 and not row[0].strip()):
                continue  # a blank line
            rows += 1
            yield _safe_record(dict(zip(header, row, strict=False)), f"{origin}#{start + 1}", fields, "row")
    if not rows:
        yield Failure(origin, "the CSV has a header but no rows")


def _csv_reason(err: csv.Error) -> str:
    message = str(err)
    if "unexpected end of data" in message:
        return 'a quoted field opened here never closes (an unterminated ")'
    if "expected after" in message:
        return f'a quoted field closes in the middle of a field ({message}): a stray "'
    return message


def _safe_record(item: Any, origin: str, fields: FieldMap, what: str) -> RawArticle | Failure:
    """:func:`_record`, with any error in one record its own failure (the rest of the source goes on)."""
    from khabar.ingest import Failure

    try:
        return _record(item, origin, fields, what)
    except Exception as err:
        message = " ".join(str(err).split())[:200]
        return Failure(origin, f"cannot read the {what} ({type(err).__name__}: {message})")


def _record(item: Any, origin: str, fields: FieldMap, what: str) -> RawArticle | Failure:
    from khabar.ingest import Failure, RawArticle

    if not isinstance(item, Mapping):
        return Failure(origin, f"the {what} is a JSON {type(item).__name__}, not an object with a text field")
    column = fields.column("text")
    text = _value(item, column)
    if text is None:
        keys = ", ".join(str(k) for k in list(item)[:10])
        return Failure(origin, f"no {column!r} field in the {what} (it has: {keys or 'nothing'}); "
                               f"name the text field with a field map, e.g. text=COLUMN")
    text = clean_text(text).strip()
    if not text:
        return Failure(origin, f"empty {column!r} field")
    url = clean_field(_value(item, fields.column("url")))
    published_raw = clean_field(_value(item, fields.column("published")))
    return RawArticle(
        text=text, origin=origin, kind="csv" if what == "row" else "jsonl",
        title=clean_field(_value(item, fields.column("title"))),
        url=normalize_url(url) if url and url.lower().startswith(("http://", "https://")) else None,
        published=parse_published(published_raw) if published_raw else None,
        author=clean_field(_value(item, fields.column("author"))),
        outlet=clean_field(_value(item, fields.column("outlet"))),
    )


def _value(item: Mapping[str, Any], key: str) -> str | None:
    """``item[key]`` as text; a dotted key (``meta.title``) reaches into nested objects."""
    value: Any = item.get(key) if key in item else None
    if value is None and "." in key:
        value = item
        for part in key.split("."):
            value = value.get(part) if isinstance(value, Mapping) else None
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return str(value)
    return value if isinstance(value, str) else None

