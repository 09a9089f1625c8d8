"""Search the archive the way Persian is written: queries folded exactly like the index.

The query language is read by :mod:`khabar.archive.parser` into the tree of :mod:`khabar.archive.query`,
which the backend compiles. Filters: person, organization, place (a name, or an entity id as the
facets give it), outlet, date range (Jalali ``1404-05-18`` / ``۱۸ مرداد ۱۴۰۴`` or Gregorian
``2025-08-09``), has-quotes, story. Orders: ``newest`` (by publication day), ``oldest``, or
``relevance`` (BM25 among the newest matches, :mod:`khabar.archive.rank`, then the rest newest
first). Pages are keyset pages: each :class:`~khabar.archive.models.SearchPage` has a ``next_cursor``
to pass back, never an offset. Snippets are found on the folded words and shown on the article's
original text.

>>> parse_date("۱۸ مرداد ۱۴۰۴")
'2025-08-09'
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass, replace

from khabar.archive.keys import search_key
from khabar.archive.models import FACET_LABELS, FacetValue, HitRecord, SearchHit, SearchPage, Snippet, Total
from khabar.archive.parser import parse_query
from khabar.archive.query import Cursor, Filters, Node, SearchQuery, Term, fingerprint, terms_of
from khabar.archive.rank import bm25
from khabar.archive.storage import Storage
from khabar.errors import InvalidInput
from khabar.offsets import Alignment
from khabar.text import calendar
from khabar.text.fold import fold

__all__ = [
    "MAX_LIMIT",
    "Resolved",
    "build_filter",
    "date_range",
    "highlight_spans",
    "make_result",
    "parse_date",
    "search",
]

MAX_LIMIT = 10_000
COUNT_CAP = 10_000
FACET_SAMPLE = 5000  # facets are counted among this many of the newest matches
_ENTITY_ID = re.compile(r"^[a-z]+:\S+$")
_FACET_NAMES = {"person": "person", "org": "organization", "place": "place"}


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


# -- filters --------------------------------------------------------------------------------------

FacetArg = str | Sequence[str] | None


@dataclass(frozen=True, slots=True)
class Resolved:
    """Filters with names resolved to ids, or ``filters=None`` when one matched nothing (see ``notes``)."""

    filters: Filters | None
    notes: tuple[str, ...] = ()
    outlet_names: frozenset[str] = frozenset()


def _values(arg: FacetArg) -> list[str]:
    if arg is None:
        return []
    if isinstance(arg, str):
        return [arg] if arg.strip() else []
    return [v for v in arg if isinstance(v, str) and v.strip()]


def _entity_group(storage: Storage, value: str, facet: str, notes: list[str]) -> tuple[str, ...]:
    labels = FACET_LABELS[facet]
    if _ENTITY_ID.match(value.strip()):  # an entity id, as a facet gives it
        found = storage.entities(ids=[value.strip()])
    else:
        found = storage.entities(key=search_key(value), labels=labels)
    if not found:
        notes.append(f"no {_FACET_NAMES[facet]} named {value!r} in the archive")
    return tuple(e.id for e in found)


def build_filter(storage: Storage, *, person: FacetArg = None, org: FacetArg = None, place: FacetArg = None,
                 source: FacetArg = None, since: str | None = None, until: str | None = None,
                 has_quotes: bool = False, story: int | None = None) -> Resolved:
    """The backend's filters for these facets. Each person, organization or place named must be
    mentioned (a name standing for several identities: any of them); an article from any outlet named."""
    notes: list[str] = []
    groups = []
    for facet, arg in (("person", person), ("org", org), ("place", place)):
        for value in _values(arg):
            group = _entity_group(storage, value, facet, notes)
            if not group:
                return Resolved(None, tuple(notes))
            groups.append(group)
    outlet_ids = None
    names: set[str] = set()
    sources = _values(source)
    if sources:
        found = []
        for value in sources:
            outlets = storage.sources(key=fold(value), counts=False)
            if not outlets:
                notes.append(f"no outlet named {value!r} in the archive")
                return Resolved(None, tuple(notes))
            found += outlets
        outlet_ids = tuple(sorted({oid for oid, _ in found}))
        names = {s.name for _, s in found}
    lo = date_range(since)[0] if since else None
    hi = date_range(until)[1] if until else None
    if lo and hi and lo >= hi:
        notes.append(f"--since {since} is after --until {until}")
        return Resolved(None, tuple(notes))
    filt = Filters(entity_groups=tuple(groups), outlet_ids=outlet_ids, since=lo, until=hi, has_quotes=has_quotes,
                   story_id=story)
    return Resolved(filt, tuple(notes), frozenset(names))


# -- search ---------------------------------------------------------------------------------------

def search(storage: Storage, query: str = "", *, person: FacetArg = None, org: FacetArg = None,
           place: FacetArg = None, source: FacetArg = None, since: str | None = None, until: str | None = None,
           has_quotes: bool = False, story: int | None = None, limit: int = 20, sort: str = "newest",
           cursor: str | None = None, count: bool = False, count_cap: int = COUNT_CAP, facets: bool = False,
           facet_top: int = 5, facet_sample: int = FACET_SAMPLE, snippet_chars: int = 160,
           ids: Sequence[int] | None = None) -> SearchPage:
    """Search the archive; an empty query with filters lists the filtered articles.

    ``sort``: ``newest``, ``oldest`` or ``relevance``; ``cursor``: a page's ``next_cursor``, to
    continue after it; ``count``: also count the matches (up to ``count_cap``: beyond it the total
    is "at least"; the pages after the first show the first page's count, which their cursor carries); ``facets``: the most frequent persons, organizations, places and outlets among
    the newest ``facet_sample`` matches (the cost of facets grows with it); ``ids``: only among these articles (a saved search matched against the
    articles just stored).

    >>> from khabar import analyze
    >>> from khabar.archive.models import NewArticle
    >>> from khabar.archive.storage import open_storage
    >>> store = open_storage(":memory:")
    >>> _ = store.write([NewArticle.from_document(analyze("بانک مرکزی نرخ تورم را اعلام میکند."), content_key="a")])
    >>> [r.marked() for r in search(store, "می کند")]
    ['بانک مرکزی نرخ تورم را اعلام «میکند».']
    """
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"limit must be between 1 and {MAX_LIMIT}, not {limit!r}")
    if sort not in ("newest", "oldest", "relevance"):
        raise InvalidInput(f"sort must be newest, oldest or relevance, not {sort!r}")
    parsed = parse_query(query or "")
    resolved = build_filter(storage, person=person, org=org, place=place, source=source, since=since, until=until,
                            has_quotes=has_quotes, story=story)
    notes = list(resolved.notes)
    if parsed.root is None and query and query.strip():
        # «،،» or a lone ZWNJ: nothing to search for. Listing every article would answer another question.
        notes.append(f"the query {query.strip()!r} has no word to search for (only punctuation, spaces or "
                     "joiners): nothing is shown; give a word, or leave the query out to list articles")
        return SearchPage(parsed.text, [], Total(0) if count else None, {}, None, notes)
    if resolved.filters is None:
        return SearchPage(parsed.text, [], Total(0) if count else None, {}, None, notes)
    filt = resolved.filters if ids is None else replace(resolved.filters, ids=tuple(ids))
    root = parsed.root
    if root is None and sort == "relevance":
        sort = "newest"  # nothing to rank by
    fp = fingerprint(repr(root), filt, sort)
    cur = Cursor.decode(cursor, fingerprint=fp, sort=sort) if cursor else None
    every_match: int | None = None  # how many match, when the first page already holds them all
    following: Cursor | None
    if sort == "relevance":
        ids, following = _relevance_page(storage, root, filt, limit, cur, fp)
    else:
        rows = storage.search(SearchQuery(root, filt, "oldest" if sort == "oldest" else "newest", limit + 1,
                                          after=cur.key if cur else None))
        page = rows[:limit]
        ids = [m.id for m in page]
        following = Cursor(sort, page[-1].key, None, fp) if len(rows) > limit else None
        if cur is None and len(rows) <= limit:
            every_match = len(rows)
    results = [make_result(hit, parsed.terms, snippet_chars) for hit in storage.hits(ids)]
    base = SearchQuery(root, filt)
    total = None
    if count:
        if every_match is not None:
            n = min(every_match, count_cap)
        elif cur is not None and cur.total is not None and cur.cap == count_cap:
            n = cur.total  # counted by the first page: the next ones show that count
        else:
            n = storage.count(base, cap=count_cap)
        total = Total(n, "gte" if n >= count_cap else "eq")
        if following is not None:
            following = replace(following, total=n, cap=count_cap)
    next_cursor = following.encode() if following is not None else None
    facet_values: dict[str, list[FacetValue]] = {}
    if facets:
        chosen = {e for group in filt.entity_groups for e in group}
        for name, values in storage.facets(base, top=facet_top, sample=facet_sample).items():
            facet_values[name] = [
                FacetValue(value, label, n, value in resolved.outlet_names if name == "source" else value in chosen)
                for value, label, n in values]
    return SearchPage(parsed.text, results, total, facet_values, next_cursor, notes)


def _relevance_page(storage: Storage, root: Node | None, filt: Filters, limit: int, cur: Cursor | None,
                    fp: str) -> tuple[list[int], Cursor | None]:
    """Ids of one relevance page and the cursor after it: the ranked window of the newest matches
    first, then the matches below it, newest first."""
    assert root is not None
    if cur is not None and cur.score is None:  # past the ranked window already
        rows = storage.search(SearchQuery(root, filt, "newest", limit + 1, after=cur.key))
        page = rows[:limit]
        more = len(rows) > limit
        return [m.id for m in page], Cursor("relevance", page[-1].key, None, fp) if more else None
    # The window does not depend on the page size, so pages of any size give one order.
    window = storage.search(SearchQuery(root, filt, "newest", 1, rank_window=True))
    texts = {h.id: (h.title or "", h.text) for h in storage.hits([m.id for m in window], full=False)}
    positive = list(terms_of(root, positive=True))
    scores = bm25([texts.get(m.id, ("", "")) for m in window], positive)
    ranked = sorted(((s, m.key, m.id) for s, m in zip(scores, window, strict=True)), key=lambda r: (-r[0], -r[1]))
    if cur is not None:
        ranked = [r for r in ranked if (-r[0], -r[1]) > (-(cur.score or 0.0), -cur.key)]
    shown = ranked[:limit]
    ids = [r[2] for r in shown]
    if len(ranked) > limit:
        return ids, Cursor("relevance", shown[-1][1], shown[-1][0], fp)
    if not window:
        return ids, None
    floor = min(m.key for m in window)
    need = limit - len(shown)
    rest = storage.search(SearchQuery(root, filt, "newest", need + 1, after=floor))
    ids += [m.id for m in rest[:need]]
    if len(rest) <= need:
        return ids, None
    last = rest[need - 1].key if need else floor
    return ids, Cursor("relevance", last, None, fp)


# -- snippets -------------------------------------------------------------------------------------

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
# Only the runs of characters the table changes are translated (much faster on Persian text).
_FOLD_RUNS = re.compile("[" + "".join(re.escape(chr(c)) for c in _FOLD_SAME_LENGTH) + "]+")
_FOLDED_WORD = re.compile(r"[\w\x00]+")


def highlight_spans(text: str, terms: Sequence[Term]) -> list[tuple[int, int]]:
    """Offsets in ``text`` (a restored text) of the words that fold to a query term.

    The text is folded once with a same-length table (dropped marks and joiners become NUL), so
    a word found in the folded text has the same offsets in ``text``.

    >>> highlight_spans("او می‌کند", [Term(("میکند",))])
    [(3, 9)]
    >>> highlight_spans("کِتابِ نو", [Term(("کتاب",))])
    [(0, 6)]
    """
    if not terms:
        return []
    lowered = text.lower()
    if len(lowered) != len(text):  # a few non-Persian letters change length when lowered
        lowered = "".join(c.lower() if len(c.lower()) == 1 else c for c in text)
    folded = _FOLD_RUNS.sub(lambda m: m.group().translate(_FOLD_SAME_LENGTH), lowered)
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


def make_result(hit: HitRecord, terms: Sequence[Term], width: int = 160) -> SearchHit:
    """A result with a snippet of the original text around the first matched words."""
    spans = highlight_spans(hit.text, terms)
    if hit.changes and spans:
        align = Alignment.from_list(hit.changes, len(hit.text), len(hit.raw_text))
        spans = [align.to_raw(s, e) for s, e in spans]
    raw = hit.raw_text
    if spans:
        # The window with the most matches among those starting at a match.
        # (spans are in order, so each window's count is a bisection: a long article with a
        # match every few words costs n log n, not n²)
        starts = [s for s, _ in spans]
        best = max(range(len(spans)), key=lambda i: bisect_left(starts, starts[i] + width) - i)
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
    return SearchHit(hit.id, hit.title, hit.outlet, hit.published, hit.url, Snippet(snippet, highlights))
