"""Search the archive the way Persian is written: queries folded exactly like the index.

A query is words (``تورم``), phrases (``"بانک مرکزی"``), prefixes (``اقتصاد*``), ``AND`` / ``OR`` /
``NOT`` and parentheses; words side by side must all appear. Every word and phrase goes through
:func:`khabar.folding.search_key` — the one folding the index was built with — so ``می کند``,
``میکند``, ``می‌کند`` and ``ميكند`` find the same articles, and is then quoted for SQLite FTS5, so
FTS syntax in a query (``NEAR``, ``*``, ``"``, ``:``, ``^``) is searched as text, never run. A query
that cannot be read (a stray ``)``, a dangling ``OR``) raises :class:`~khabar.errors.InvalidInput`
saying where.

Filters: person, organization, place, outlet, date range (Jalali ``1404-05-18`` / ``۱۸ مرداد ۱۴۰۴``
or Gregorian ``2025-08-09``), has-quotes. Snippets are found on the folded words and shown on the
article's original text.

>>> parse_query('"بانک مرکزی" OR تورم*').to_fts()
'"بانک مرکزی" OR "تورم"*'
>>> parse_query("می کند").to_fts() == parse_query("ميكند").to_fts()
True
>>> parse_date("۱۸ مرداد ۱۴۰۴")
'2025-08-09'
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from khabar.errors import InvalidInput
from khabar.folding import fold, search_key
from khabar.offsets import Alignment
from khabar.storage import ORG_LABELS, PERSON_LABELS, PLACE_LABELS, ArticleFilter, Hit, Storage

__all__ = [
    "Query",
    "SearchResult",
    "SearchResults",
    "date_range",
    "parse_date",
    "parse_query",
    "person_profile",
    "search",
    "statements",
]

MAX_QUERY_CHARS = 1000
MAX_TERMS = 64
_LEX = re.compile(r'\s+|"[^"]*"?|\(|\)|[^\s"()]+')
# A word of the restored text, as the index sees it: letters/digits with the marks and joiners
# that folding removes, so one text word folds to one index token.
_WORD = re.compile(r"[\w\u064b-\u065f\u0670\u0640\u200c\u200d\u00ad]+")
_OPERATORS = ("AND", "OR", "NOT")


# -- the query tree ------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Term:
    """Folded index tokens that must appear in this order (one token: a word; several: a phrase)."""

    tokens: tuple[str, ...]
    prefix: bool = False

    def to_fts(self) -> str:
        quoted = '"' + " ".join(self.tokens).replace('"', '""') + '"'
        return quoted + "*" if self.prefix else quoted


@dataclass(frozen=True, slots=True)
class Not:
    child: Node

    def to_fts(self) -> str:  # pragma: no cover - always rendered by its parent
        raise InvalidInput("NOT needs words to exclude from, e.g. «تورم NOT بورس»")


@dataclass(frozen=True, slots=True)
class All:
    children: tuple[Node, ...]

    def to_fts(self) -> str:
        pos = [c for c in self.children if not isinstance(c, Not)]
        neg = [c.child for c in self.children if isinstance(c, Not)]
        if not pos:
            raise InvalidInput("NOT needs words to exclude from, e.g. «تورم NOT بورس»")
        out = " AND ".join(_group(c) for c in pos)
        if neg:
            out = (f"({out})" if len(pos) > 1 else out) + "".join(f" NOT {_group(c)}" for c in neg)
        return out


@dataclass(frozen=True, slots=True)
class Any_:
    children: tuple[Node, ...]

    def to_fts(self) -> str:
        if any(isinstance(c, Not) for c in self.children):
            raise InvalidInput("OR NOT … cannot be searched; write «A NOT B» or «(A OR B) NOT C»")
        return " OR ".join(_group(c) for c in self.children)


Node = Term | Not | All | Any_


def _group(node: Node) -> str:
    text = node.to_fts()
    return f"({text})" if isinstance(node, (All, Any_)) and len(node.children) > 1 else text


@dataclass(frozen=True, slots=True)
class Query:
    """A parsed query: its tree (``None`` for an empty query) and the terms to highlight."""

    text: str
    root: Node | None
    terms: tuple[Term, ...] = ()

    def to_fts(self) -> str | None:
        """The FTS5 MATCH expression, every term quoted; ``None`` for an empty query."""
        return self.root.to_fts() if self.root is not None else None


def parse_query(text: str) -> Query:
    """Parse a search query; raises :class:`InvalidInput` (with the position) for one that cannot be read.

    >>> parse_query("تورم NOT بورس").to_fts()
    '"تورم" NOT "بورس"'
    >>> parse_query('NEAR "بانک').to_fts()
    '"near" AND "بانک"'
    >>> parse_query("تورم OR").to_fts()
    Traceback (most recent call last):
    ...
    khabar.errors.InvalidInput: the query ends with OR: put a word after it, or write "OR" in quotes to search for it
    """
    if not isinstance(text, str):
        raise TypeError(f"query must be str, not {type(text).__name__}")
    if len(text) > MAX_QUERY_CHARS:
        raise InvalidInput(f"the query is {len(text)} characters long; the limit is {MAX_QUERY_CHARS}")
    parser = _Parser(text)
    root = parser.parse()
    if len(parser.terms) > MAX_TERMS:
        raise InvalidInput(f"the query has {len(parser.terms)} terms; the limit is {MAX_TERMS}")
    if root is not None:
        root.to_fts()  # refuse now (with a message) what FTS5 could not run
    return Query(text, root, tuple(parser.terms))


class _Parser:
    """Recursive descent over ``OR`` > implicit/explicit ``AND`` > ``NOT`` > atoms."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.items: list[tuple[str, str, int]] = []  # (kind, value, position)
        self.pos = 0
        self.terms: list[Term] = []
        for m in _LEX.finditer(text):
            value = m.group()
            if value.isspace():
                continue
            if value.startswith('"'):
                self.items.append(("phrase", value.strip('"'), m.start()))
            elif value in "()":
                self.items.append((value, value, m.start()))
            elif value in _OPERATORS:
                self.items.append(("op", value, m.start()))
            else:
                self.items.append(("word", value, m.start()))

    def peek(self) -> tuple[str, str, int] | None:
        return self.items[self.pos] if self.pos < len(self.items) else None

    def parse(self) -> Node | None:
        if not self.items:
            return None
        node = self.parse_or()
        item = self.peek()
        if item is not None:
            raise InvalidInput(f"unbalanced parenthesis: the ')' at position {item[2] + 1} has no '(' before it "
                               "(remove it, or put the text in quotes)")
        return node

    def parse_or(self) -> Node | None:
        children = [self.parse_and()]
        while (item := self.peek()) and item[:2] == ("op", "OR"):
            self.pos += 1
            if self.peek() is None or self.peek()[0] == ")":  # type: ignore[index]
                raise InvalidInput('the query ends with OR: put a word after it, or write "OR" in quotes to search for it')
            children.append(self.parse_and())
        kept = [c for c in children if c is not None]
        if not kept:
            return None
        return kept[0] if len(kept) == 1 else Any_(tuple(kept))

    def parse_and(self) -> Node | None:
        children: list[Node] = []
        while (item := self.peek()) is not None:
            kind, value, at = item
            if kind == ")" or (kind == "op" and value == "OR"):
                break
            if kind == "op" and value == "AND":
                self.pos += 1
                nxt = self.peek()
                if not children or nxt is None or nxt[0] == ")" or nxt[:2] == ("op", "OR"):
                    raise InvalidInput(f'AND at position {at + 1} needs a word on each side (write "AND" in quotes '
                                       "to search for it)")
                continue
            node = self.parse_unary()
            if node is not None:
                children.extend(node.children if isinstance(node, All) else (node,))
        if not children:
            return None
        return children[0] if len(children) == 1 else All(tuple(children))

    def parse_unary(self) -> Node | None:
        kind, value, at = self.items[self.pos]
        if kind == "op" and value == "NOT":
            self.pos += 1
            nxt = self.peek()
            if nxt is None or nxt[0] == ")" or (nxt[0] == "op" and nxt[1] != "NOT"):
                raise InvalidInput(f'NOT at position {at + 1} needs a word after it (write "NOT" in quotes to search '
                                   "for it)")
            child = self.parse_unary()
            if isinstance(child, All) and self.items[self.pos - 1][0] == "word":
                # NOT binds to one word of a run of plain words: «NOT بورس تورم» excludes بورس only.
                return All((Not(child.children[0]), *child.children[1:]))
            return Not(child) if child is not None else None
        if kind == "(":
            self.pos += 1
            node = self.parse_or()
            if self.peek() is None:
                raise InvalidInput(f"unbalanced parenthesis: the '(' at position {at + 1} is never closed "
                                   "(add a ')', or put the text in quotes)")
            self.pos += 1  # the ")"
            return node
        if kind == "phrase":
            self.pos += 1
            return self._term(value, phrase=True)
        # Consecutive plain words are folded together, so a ZWNJ written as a space (می کند) is
        # repaired by the same restoration the index went through.
        words = []
        while (item := self.peek()) is not None and item[0] == "word":
            words.append(item[1])
            self.pos += 1
            if item[1].endswith("*"):
                break
        prefix = words[-1].endswith("*")
        text = " ".join(words).rstrip("*")
        tokens = _tokens(text)
        if not tokens:
            return None
        terms = [Term((tok,)) for tok in tokens[:-1]] + [Term((tokens[-1],), prefix=prefix)]
        self.terms.extend(terms)
        return terms[0] if len(terms) == 1 else All(tuple(terms))

    def _term(self, text: str, *, phrase: bool) -> Node | None:
        tokens = _tokens(text)
        if not tokens:
            return None
        term = Term(tuple(tokens))
        self.terms.append(term)
        return term


def _tokens(text: str) -> list[str]:
    """Index tokens of query text: folded like the index, split where the FTS tokenizer splits."""
    key = search_key(text.replace("*", " "))
    return [w for w in (m.group() for m in _WORD.finditer(key)) if w.replace("_", "")]


# -- dates --------------------------------------------------------------------------------------

_JALALI_MONTHS = {name: i + 1 for i, name in enumerate(
    ["فروردین", "اردیبهشت", "خرداد", "تیر", "مرداد", "شهریور", "مهر", "آبان", "آذر", "دی", "بهمن", "اسفند"])}
_JALALI_MONTHS.update({fold(k): v for k, v in list(_JALALI_MONTHS.items())})
_JALALI_MONTHS["امرداد"] = 5
_NUMERIC_DATE = re.compile(r"^(\d{4})(?:[-/.](\d{1,2})(?:[-/.](\d{1,2}))?)?(?:[Tt ].*)?$")
_NAMED_DATE = re.compile(r"^(?:(\d{1,2})\s+)?(\S+)\s+(\d{4})$")


def date_range(value: str) -> tuple[str, str]:
    """``(first day, day after the last day)`` in ISO of a day, month or year, Jalali or Gregorian.

    Years before 1700 are Jalali.

    >>> date_range("1404-05-18")
    ('2025-08-09', '2025-08-10')
    >>> date_range("مرداد ۱۴۰۴")
    ('2025-07-23', '2025-08-23')
    >>> date_range("2025")
    ('2025-01-01', '2026-01-01')
    """
    import datetime as dt

    import jdatetime

    raw = value
    value = fold(str(value)).replace("،", " ").strip()
    year = month = day = None
    m = _NUMERIC_DATE.match(value)
    if m:
        year, month, day = int(m.group(1)), m.group(2) and int(m.group(2)), m.group(3) and int(m.group(3))
    else:
        m = _NAMED_DATE.match(value)
        if m and m.group(2) in _JALALI_MONTHS:
            day = int(m.group(1)) if m.group(1) else None
            month, year = _JALALI_MONTHS[m.group(2)], int(m.group(3))
            if year >= 1700:
                raise InvalidInput(f"{raw!r}: {m.group(2)} is a Jalali month but {year} is not a Jalali year")
    if year is None:
        raise InvalidInput(f"{raw!r} is not a date: write 1404-05-18, ۱۸ مرداد ۱۴۰۴, 2025-08-09, 1404-05 or 1404")
    try:
        if year < 1700:
            first = jdatetime.date(year, month or 1, day or 1).togregorian()
            if day:
                last = first
            elif month:
                last = (jdatetime.date(year + (month == 12), month % 12 + 1, 1).togregorian() - dt.timedelta(days=1))
            else:
                last = jdatetime.date(year + 1, 1, 1).togregorian() - dt.timedelta(days=1)
        else:
            first = dt.date(year, month or 1, day or 1)
            if day:
                last = first
            elif month:
                last = dt.date(year + (month == 12), month % 12 + 1, 1) - dt.timedelta(days=1)
            else:
                last = dt.date(year, 12, 31)
    except (ValueError, OverflowError) as err:
        raise InvalidInput(f"{raw!r} is not a valid date ({err})") from None
    return first.isoformat(), (last + dt.timedelta(days=1)).isoformat()


def parse_date(value: str) -> str:
    """The first day of a date, month or year as ISO ``YYYY-MM-DD`` (Jalali or Gregorian input).

    >>> parse_date("1404/05/18")
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
    >>> from khabar.storage import open_storage, NewArticle
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


# -- statements and people ----------------------------------------------------------------------

def statements(storage: Storage, person: str, about: str | None = None, *, limit: int = 50) -> list[dict[str, Any]]:
    """What a person said (quotes attributed to them), optionally only those mentioning ``about``."""
    ids = [e["id"] for e in storage.find_entities(search_key(person), PERSON_LABELS)]
    if not ids:
        return []
    about_key = " ".join(_tokens(about)) if about else None
    return storage.statements(ids, about_key, limit=limit)


def choose_identities(storage: Storage, key: str, found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Which of the entities a name matched are the person asked for.

    The linker gives one id per written form it cannot join within an article (سرگئی لاوروف and
    لاوروف), so a name that matches an entity exactly also takes the longer names that appear in
    the same articles. A name that matches none exactly (a surname shared by many) takes the one
    mentioned in the most articles; the others are listed as other matches.
    """
    exact = [e for e in found if fold(e["name"]) == key]
    if exact:
        ids = [e["id"] for e in exact]
        others = [e for e in found if e not in exact]
        together = set(storage.co_occurring(ids, [e["id"] for e in others])) if others else set()
        return exact + [e for e in others if e["id"] in together]
    counts = storage.entity_article_counts([e["id"] for e in found])
    return [max(found, key=lambda e: (counts.get(e["id"], 0), e["name"]))]


def person_profile(storage: Storage, name: str, *, about: str | None = None, limit: int = 20) -> dict[str, Any]:
    """Titles, articles, statements, meetings and co-mentioned entities of the person named ``name``;
    with ``about``, only the statements that mention it.

    Raises :class:`~khabar.errors.NotFoundError` when no person of that name is in the archive.
    """
    from khabar.errors import NotFoundError

    found = storage.find_entities(search_key(name), PERSON_LABELS)
    if not found:
        found = storage.find_entities(search_key(name))
    if not found:
        raise NotFoundError(f"no person named {name!r} in the archive (try part of the name, or `khabar search {name}`)")
    chosen = choose_identities(storage, search_key(name), found)
    profile = storage.person([e["id"] for e in chosen], limit=limit)
    profile["name"] = max((e["name"] for e in chosen), key=len)
    if about:
        about_key = " ".join(_tokens(about))
        profile["statements"] = storage.statements(profile["ids"], about_key, limit=limit)
    profile["matches"] = [{"id": e["id"], "name": e["name"], "label": e["label"],
                           "chosen": e in chosen} for e in found]
    return profile
