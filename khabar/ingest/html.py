"""HTML pages (work in progress)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from khabar.ingest import Failure, RawArticle


def read_html(data: bytes, origin: str, *, url: str | None = None) -> Iterator[RawArticle | Failure]:
    from khabar.ingest import Failure

    yield Failure(origin, "HTML reading is not implemented yet")
