"""The pipeline: an ordered list of stages, each ``Document -> Document``.

>>> import khabar
>>> khabar.restore("ميكند")[:2]
'می'
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache
from typing import Any

from khabar.document import Document
from khabar.errors import expect_str
from khabar.pipeline.base import Stage, TextStage
from khabar.pipeline.credits import CreditFinder
from khabar.pipeline.dates import DateFinder
from khabar.pipeline.entities import EntityRecognizer
from khabar.pipeline.events import EventExtractor
from khabar.pipeline.normalize import Normalizer
from khabar.pipeline.quotes import QuoteExtractor
from khabar.pipeline.sentences import SentenceSplitter
from khabar.pipeline.tokens import Tokenizer
from khabar.pipeline.zwnj import ZwnjRestorer

__all__ = ["Pipeline", "Stage", "TextStage", "analyze", "default_pipeline", "restore", "restorers"]

# Stage factories of the default pipeline, in order. Later stages are added here as they land.
DEFAULT_STAGES: list[Callable[[], Stage]] = [
    Normalizer,
    ZwnjRestorer,
    SentenceSplitter,
    Tokenizer,
    EntityRecognizer,
    DateFinder,
    CreditFinder,
    QuoteExtractor,
    EventExtractor,
]


class Pipeline:
    """Runs stages in order; checks when built that each stage's inputs are filled before it."""

    def __init__(self, stages: Iterable[Stage]) -> None:
        self.stages: list[Stage] = list(stages)
        filled = {"raw_text", "text"}
        for stage in self.stages:
            missing = [r for r in stage.requires if r not in filled]
            if missing:
                raise ValueError(f"stage {stage.name!r} needs {', '.join(missing)}, which no earlier stage fills")
            filled.update(stage.assigns)

    @property
    def names(self) -> list[str]:
        return [s.name for s in self.stages]

    def __repr__(self) -> str:
        return f"Pipeline({' → '.join(self.names)})"

    def __call__(self, doc: Document) -> Document:
        for stage in self.stages:
            doc = stage(doc)
        return doc

    def analyze(self, text: str, *, published: Any = None, url: str | None = None,
                source: str | None = None) -> Document:
        text = expect_str(text)
        return self(Document.from_raw(text, published=_iso(published), url=url, source=source))


def _iso(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, (_dt.date, _dt.datetime)):
        return value.isoformat()
    raise TypeError(f"published must be a date, datetime or ISO string, not {type(value).__name__}")


@lru_cache(maxsize=1)
def default_pipeline() -> Pipeline:
    """The pipeline :func:`analyze` runs: every stage, built once."""
    return Pipeline(factory() for factory in DEFAULT_STAGES)


@lru_cache(maxsize=1)
def restorers() -> Sequence[TextStage]:
    """The text-changing stages of the default pipeline, for :func:`restore`'s fast path."""
    return [s for s in default_pipeline().stages if isinstance(s, TextStage)]


def restore(text: str) -> str:
    """The restored text: letters, digits, marks and spacing unified, ZWNJs restored.

    >>> restore("كتاب  مي كنند")
    'کتاب می\u200cکنند'
    """
    text = expect_str(text)
    for stage in restorers():
        text = stage.apply(text)
    return text


def analyze(text: str, *, published: Any = None, url: str | None = None, source: str | None = None) -> Document:
    """Run the default pipeline on one article.

    >>> doc = analyze("رئیس جمهور امروز به تهران رفت.")
    >>> [s["text"] for s in doc.to_dict()["sentences"]]
    ['رئیس جمهور امروز به تهران رفت.']
    """
    return default_pipeline().analyze(text, published=published, url=url, source=source)
