"""RSS/Atom feeds (work in progress)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from khabar.ingest import Failure, RawArticle


def read_feed(data: bytes, origin: str) -> Iterator[RawArticle | Failure]:
    from khabar.ingest import Failure

    yield Failure(origin, "feed reading is not implemented yet")
