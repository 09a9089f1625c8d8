"""Search the archive the way Persian is written: queries folded exactly like the index.

The query language and its tree are :mod:`khabar.archive.query`. Filters: person, organization,
place, outlet, date range (Jalali ``1404-05-18`` / ``۱۸ مرداد ۱۴۰۴`` or Gregorian ``2025-08-09``),
has-quotes. Snippets are found on the folded words and shown on the article's original text.

>>> parse_date("۱۸ مرداد ۱۴۰۴")
'2025-08-09'
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from khabar.archive.keys import search_key
from khabar.archive.query import Query, Term, parse_query
from khabar.archive.storage import ORG_LABELS, PERSON_LABELS, PLACE_LABELS, ArticleFilter, Hit, Storage
from khabar.errors import InvalidInput
from khabar.offsets import Alignment
from khabar.text import calendar
from khabar.text.fold import fold

__all__ = [
    "SearchResult",
    "SearchResults",
    "build_filter",
    "date_range",
    "highlight_spans",
    "make_result",
    "parse_date",
    "search",
]


def date_range(value: str) -> tuple[str, str]:
    """``(first day, day after the last day)`` of a date the user typed, Jalali or Gregorian
    (:func:`khabar.text.calendar.date_range`); :class:`InvalidInput` for what is not a date.

    >>> date_range("1404-05-18")
    ('2025-08-09', '2025-08-10')
    """
    try:
        return calendar.date_range(value)
    except ValueError as err:
        raise InvalidInput(str(err)) from None


def parse_date(value: str) -> str:
    """The first day of a date, month or year as ISO ``YYYY-MM-DD`` (Jalali or Gregorian input).

    >>> parse_date("۱۸ مرداد ۱۴۰۴")
    '2025-08-09'
    """
    return date_range(value)[0]


# -- results ------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class SearchResult:
    """One article found: ``snippet`` is a piece of its original text, ``highlights`` offsets into it."""

    id: int
    title: str | None
    source: str | None
    published: str | None
    url: str | None
    snippet: str
    highlights: tuple[tuple[int, int], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "source": self.source, "published": self.published,
                "url": self.url, "snippet": self.snippet, "highlights": [list(h) for h in self.highlights]}

    def marked(self, left: str = "«", right: str = "»") -> str:
        """The snippet with each highlight wrapped in ``left``/``right``."""
        out, pos = [], 0
        for s, e in self.highlights:
            out += [self.snippet[pos:s], left, self.snippet[s:e], right]
            pos = e
        out.append(self.snippet[pos:])
        return "".join(out)


@dataclass(slots=True)
class SearchResults:
    """The results of one search; ``notes`` says why a filter matched nothing."""

    query: Query
    results: list[SearchResult]
    total: int | None = None
    facets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def __iter__(self) -> Iterator[SearchResult]:
        return iter(self.results)

    def __len__(self) -> int:
        return len(self.results)


def _entity_group(storage: Storage, name: str, labels: Sequence[str], what: str,
                  notes: list[str]) -> tuple[str, ...]:
    found = storage.find_entities(search_key(name), labels)
    if not found:
        notes.append(f"no {what} named {name!r} in the archive")
    return tuple(e["id"] for e in found)


def build_filter(storage: Storage, *, person: str | None = None, org: str | None = None,
                 place: str | None = None, source: str | None = None, since: str | None = None,
                 until: str | None = None, has_quotes: bool = False,
                 notes: list[str] | None = None) -> ArticleFilter | None:
    """The storage filter for these facets; ``None`` when a named facet matches nothing (see ``notes``)."""
    notes = notes if notes is not None else []
    groups = []
    for name, labels, what in ((person, PERSON_LABELS, "person"), (org, ORG_LABELS, "organization"),
                               (place, PLACE_LABELS, "place")):
        if name:
            group = _entity_group(storage, name, labels, what, notes)
            if not group:
                return None
            groups.append(group)
    outlet_ids = None
    if source:
        outlet_ids = tuple(storage.find_outlets(fold(source)))
        if not outlet_ids:
            notes.append(f"no outlet named {source!r} in the archive")
            return None
    lo = date_range(since)[0] if since else None
    hi = date_range(until)[1] if until else None
    if lo and hi and lo >= hi:
        notes.append(f"--since {since} is after --until {until}")
        return None
    return ArticleFilter(entity_groups=tuple(groups), outlet_ids=outlet_ids, since=lo, until=hi,
                         has_quotes=has_quotes)


def search(storage: Storage, query: str = "", *, person: str | None = None, org: str | None = None,
           place: str | None = None, source: str | None = None, since: str | None = None,
           until: str | None = None, has_quotes: bool = False, limit: int = 20, offset: int = 0,
           order: str = "newest", count: bool = False, count_cap: int = 10_000, facets: bool = False,
           snippet_chars: int = 160) -> SearchResults:
    """Search the archive; an empty query with filters lists the filtered articles.

    ``order``: ``newest`` (by publication day), ``oldest``, or ``relevance`` (bm25 among the most
    recent matches — a window of a few hundred, narrower with a selective facet — so a broad query
    costs about the same at 1M articles as at 10k).

    >>> from khabar import analyze
    >>> from khabar.archive.storage import open_storage, NewArticle
    >>> store = open_storage(":memory:")
    >>> _ = store.add(NewArticle.from_document(analyze("بانک مرکزی نرخ تورم را اعلام میکند."), content_key="a"))
    >>> [r.marked() for r in search(store, "می کند")]
    ['بانک مرکزی نرخ تورم را اعلام «میکند».']
    """
    if limit < 1:
        raise InvalidInput(f"limit must be at least 1, not {limit}")
    parsed = parse_query(query or "")
    notes: list[str] = []
    filt = build_filter(storage, person=person, org=org, place=place, source=source, since=since, until=until,
                        has_quotes=has_quotes, notes=notes)
    fts = parsed.to_fts()
    if filt is None:
        return SearchResults(parsed, [], 0 if count else None, {}, notes)
    estimate = storage.estimate_matches(fts) if fts else None
    hits = storage.search(fts, filt, limit=limit, offset=offset, order=order if fts else "newest",
                          estimate=estimate)
    results = [make_result(hit, parsed.terms, snippet_chars) for hit in hits]
    total = storage.count_matches(fts, filt, cap=count_cap) if count else None
    facet_counts = storage.facet_counts(fts, filt) if facets else {}
    return SearchResults(parsed, results, total, facet_counts, notes)


def _same_length_fold_table() -> dict[int, str]:
    """``str.translate`` table folding Arabic-script letters, digits and marks one character for one:
    dropped characters (marks, ZWNJ, tatweel) become NUL, so offsets into the text stay valid."""
    table: dict[int, str] = {}
    ranges = [(0x0600, 0x0700), (0x0750, 0x0780), (0x08A0, 0x0900), (0xFB50, 0xFE00), (0xFE70, 0xFF00),
              (0x200B, 0x2010), (0x00AD, 0x00AE), (0xFEFF, 0xFF00)]
    for lo, hi in ranges:
        for cp in range(lo, hi):
            c = chr(cp)
            f = fold(c)
            if f == c:
                continue
            if f == "":
                table[cp] = "\x00"
            elif len(f) == 1:
                table[cp] = f
    return table


_FOLD_SAME_LENGTH = _same_length_fold_table()
_FOLDED_WORD = re.compile(r"[\w\x00]+")


def highlight_spans(text: str, terms: Sequence[Term]) -> list[tuple[int, int]]:
    """Offsets in ``text`` (a restored text) of the words that fold to a query term.

    The text is folded once with a same-length table (dropped marks and joiners become NUL), so
    a word found in the folded text has the same offsets in ``text``.

    >>> highlight_spans("او می‌کند", parse_query("ميكند").terms)
    [(3, 9)]
    >>> highlight_spans("کِتابِ نو", parse_query("کتاب").terms)
    [(0, 6)]
    """
    if not terms:
        return []
    lowered = text.lower()
    if len(lowered) != len(text):  # a few non-Persian letters change length when lowered
        lowered = "".join(c.lower() if len(c.lower()) == 1 else c for c in text)
    folded = lowered.translate(_FOLD_SAME_LENGTH)
    exact = {tok for term in terms for tok in term.tokens}
    prefixes = tuple(term.tokens[-1] for term in terms if term.prefix)
    spans = []
    for m in _FOLDED_WORD.finditer(folded):
        word = m.group()
        if "\x00" in word:
            word = word.replace("\x00", "")
            if not word:
                continue
        if word in exact or (prefixes and word.startswith(prefixes)):
            start, end = m.start(), m.end()
            while start < end and folded[start] == "\x00":  # a leading joiner is not part of the word
                start += 1
            spans.append((start, end))
    return spans


def make_result(hit: Hit, terms: Sequence[Term], width: int = 160) -> SearchResult:
    """A result with a snippet of the original text around the first matched words."""
    spans = highlight_spans(hit.text, terms)
    if hit.changes and spans:
        align = Alignment.from_list(hit.changes, len(hit.text), len(hit.raw_text))
        spans = [align.to_raw(s, e) for s, e in spans]
    raw = hit.raw_text
    if spans:
        # The window with the most matches among those starting at a match.
        best = max(range(len(spans)), key=lambda i: sum(1 for s, _ in spans[i:] if s < spans[i][0] + width))
        center = spans[best][0]
        start = max(0, center - width // 4)
    else:
        start = 0
    end = min(len(raw), start + width)
    # Snap the window to whitespace so no word is cut in half.
    if start > 0:
        ws = raw.rfind(" ", max(0, start - 20), start)
        start = ws + 1 if ws >= 0 else start
    if end < len(raw):
        ws = raw.find(" ", end, end + 20)
        end = ws if ws >= 0 else end
    piece = raw[start:end]
    lead = "…" if start > 0 else ""
    tail = "…" if end < len(raw) else ""
    # Line breaks inside a snippet become spaces; lengths stay the same so offsets hold.
    snippet = lead + piece.replace("\n", " ").replace("\r", " ").replace("\t", " ") + tail
    shift = len(lead) - start
    highlights = tuple((max(s, start) + shift, min(e, end) + shift) for s, e in spans if s < end and e > start)
    return SearchResult(hit.id, hit.title, hit.outlet, hit.published, hit.url, snippet, highlights)
