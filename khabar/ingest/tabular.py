"""JSONL and CSV (work in progress)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from khabar.ingest import Failure, FieldMap, RawArticle


def read_jsonl(text: str, origin: str, *, fields: FieldMap) -> Iterator[RawArticle | Failure]:
    from khabar.ingest import Failure

    yield Failure(origin, "JSONL reading is not implemented yet")


def read_csv(text: str, origin: str, *, fields: FieldMap) -> Iterator[RawArticle | Failure]:
    from khabar.ingest import Failure

    yield Failure(origin, "CSV reading is not implemented yet")
