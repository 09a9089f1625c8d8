"""The pipeline: an ordered list of stages, each ``Document -> Document``.

>>> import khabar
>>> khabar.restore("ميكند")[:2]
'می'
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache
from typing import Any

from khabar.document import Document
from khabar.errors import InvalidInput, expect_str
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
from khabar.text.calendar import jalali_to_gregorian

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
        text = expect_text(text)
        return self(Document.from_raw(text, published=_iso(published), url=url, source=source))


_SURROGATE = re.compile("[\ud800-\udfff]")


def expect_text(text: object) -> str:
    """``text`` if it is a ``str`` of valid Unicode; ``TypeError`` for another type, and
    :class:`~khabar.errors.InvalidInput` for a lone surrogate (half of a UTF-16 pair, as a JSON
    ``"\\ud800"`` escape or a bytes decoding with ``surrogateescape`` leaves), which no stage can handle.

    >>> expect_text("خبر\\ud800")
    Traceback (most recent call last):
    khabar.errors.InvalidInput: text holds a lone surrogate (U+D800) at character 3: not Unicode text; clean it first, e.g. text.encode("utf-8", "replace").decode("utf-8")
    """
    text = expect_str(text)
    m = _SURROGATE.search(text)
    if m:
        raise InvalidInput(f"text holds a lone surrogate (U+{ord(m.group()):04X}) at character {m.start()}: not "
                           'Unicode text; clean it first, e.g. text.encode("utf-8", "replace").decode("utf-8")')
    return text


# A publication date as written: ISO, or a Jalali year-month-day in any digits (1404-05-18, ۱۴۰۴/۰۵/۱۸).
_DATE = re.compile(r"^\s*(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?=$|[Tt ])(.*)$", re.DOTALL)
_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")


def _iso(value: Any) -> str | None:
    """``published`` as ISO. A year before 1700 is a Jalali year, as the archive's date filters read
    it (``khabar search --since 1404-05-18``): 1404-05-18 is 2025-08-09.

    >>> _iso("1404-05-18"), _iso("۱۴۰۴/۰۵/۱۸"), _iso("2025-08-09T10:30:00+03:30")
    ('2025-08-09', '2025-08-09', '2025-08-09T10:30:00+03:30')
    """
    if value is None:
        return None
    if isinstance(value, (_dt.date, _dt.datetime)):
        return value.isoformat()
    if not isinstance(value, str):
        raise TypeError(f"published must be a date, datetime or ISO string, not {type(value).__name__}")
    m = _DATE.match(value.translate(_DIGITS))
    if m is None:
        raise InvalidInput(f"published {value!r} is not a date: write 2025-08-09, 2025-08-09T10:30:00+03:30 "
                           "or the Jalali 1404-05-18")
    year, month, day, rest = int(m.group(1)), int(m.group(2)), int(m.group(3)), m.group(4)
    try:
        date = jalali_to_gregorian(year, month, day) if year < 1700 else _dt.date(year, month, day)
    except (ValueError, OverflowError) as err:
        raise InvalidInput(f"published {value!r} is not a valid date ({err})") from None
    if year >= 1700 and value.strip() == value and "/" not in value and "." not in value[:10]:
        return value  # already ISO: kept as given, time and zone included
    return date.isoformat() + (rest if rest[:1] in ("T", "t") else "")


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
    text = expect_text(text)
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
