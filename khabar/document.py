"""The Document that flows through every stage, and the small frozen results it holds.

Every span — sentence, token, mention, quote part, date — carries offsets into the restored
``text`` (``start``/``end``) and into the untouched ``raw_text`` (``raw_start``/``raw_end``), so a
result can always be shown in the original article. ``to_dict``/``from_dict`` is the one
serialization, used by storage, ``--json`` and the API.

>>> doc = Document.from_raw("سلام")
>>> doc.to_dict()["text"]
'سلام'
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, fields
from typing import Any, Self

from khabar.offsets import Alignment, Edit

KEYS = (
    "raw_text", "text", "sentences", "tokens", "mentions", "entities",
    "quotes", "events", "dates", "source", "warnings",
)


@dataclass(frozen=True, slots=True)
class Span:
    """A piece of the document: ``text == doc.text[start:end]``, taken from ``raw_text[raw_start:raw_end]``."""

    text: str
    start: int
    end: int
    raw_start: int
    raw_end: int

    def to_dict(self) -> dict[str, Any]:
        d = {"text": self.text, "start": self.start, "end": self.end,
             "raw_start": self.raw_start, "raw_end": self.raw_end}
        # A document has thousands of spans: the extra fields of a subclass are looked up once.
        extra = _EXTRA_FIELDS.get(type(self))
        if extra is None:
            extra = _EXTRA_FIELDS[type(self)] = tuple(f.name for f in fields(self) if f.name not in d)
        for name in extra:
            d[name] = _plain(getattr(self, name))
        return d

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        kwargs: dict[str, Any] = {f.name: data.get(f.name) for f in fields(cls)}
        return cls(**kwargs)


_EXTRA_FIELDS: dict[type, tuple[str, ...]] = {}


def _maker(cls: type[Span]) -> Callable[[str, int, int, int, int], Any]:
    """``cls(text, start, end, raw_start, raw_end)`` for Span or Token (which adds no field), made as
    their frozen dataclass ``__init__`` makes it (one ``object.__setattr__`` per field) with the
    slots' setters looked up once: half the time per span, and a long article has hundreds of
    thousands of tokens (:meth:`Document.spans`)."""
    new = object.__new__
    set_text, set_start, set_end, set_rs, set_re = (
        Span.__dict__[name].__set__ for name in ("text", "start", "end", "raw_start", "raw_end"))

    def make(text: str, start: int, end: int, raw_start: int, raw_end: int) -> Any:
        span = new(cls)
        set_text(span, text)
        set_start(span, start)
        set_end(span, end)
        set_rs(span, raw_start)
        set_re(span, raw_end)
        return span

    return make


@dataclass(frozen=True, slots=True)
class Token(Span):
    """A word, number or punctuation mark."""


@dataclass(frozen=True, slots=True)
class Mention(Span):
    """A named-entity mention; ``entity`` is the id of its identity."""

    label: str = ""
    entity: str | None = None


@dataclass(frozen=True, slots=True)
class Entity:
    """One identity in the article: a person, organization, place or named event."""

    id: str
    name: str
    label: str
    aliases: tuple[str, ...] = ()
    titles: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "label": self.label,
                "aliases": list(self.aliases), "titles": list(self.titles)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Entity:
        return cls(data["id"], data["name"], data["label"],
                   tuple(data.get("aliases", ())), tuple(data.get("titles", ())))


@dataclass(frozen=True, slots=True)
class Speaker(Span):
    """Who a statement is attributed to; ``entity`` is null when unknown."""

    entity: str | None = None


@dataclass(frozen=True, slots=True)
class Quote:
    """A statement: ``speaker`` — ``cue`` — ``content``; ``kind`` is ``direct`` or ``indirect``."""

    speaker: Speaker | None
    cue: Span
    content: Span
    kind: str

    def to_dict(self) -> dict[str, Any]:
        return {"speaker": self.speaker.to_dict() if self.speaker else None,
                "cue": self.cue.to_dict(), "content": self.content.to_dict(), "kind": self.kind}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Quote:
        sp = data.get("speaker")
        return cls(Speaker.from_dict(sp) if sp else None, Span.from_dict(data["cue"]),
                   Span.from_dict(data["content"]), data["kind"])


@dataclass(frozen=True, slots=True)
class Event:
    """Something that happened, meetings first: ``participants`` and ``place`` are entity ids."""

    type: str
    trigger: Span
    participants: tuple[str, ...] = ()
    date: str | None = None
    place: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type, "trigger": self.trigger.to_dict(), "participants": list(self.participants),
                "date": self.date, "place": self.place}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Event:
        return cls(data["type"], Span.from_dict(data["trigger"]), tuple(data.get("participants", ())),
                   data.get("date"), data.get("place"))


@dataclass(frozen=True, slots=True)
class DateMention(Span):
    """A date expression; ``value`` is ISO 8601, ``calendar`` jalali/gregorian/hijri/relative."""

    value: str | None = None
    calendar: str = ""
    granularity: str = ""


@dataclass(frozen=True, slots=True)
class SourceCredit:
    """The outlet an article credits (``به گزارش ایلنا،``), and where the credit stands."""

    name: str
    span: Span

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "span": self.span.to_dict()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SourceCredit:
        return cls(data["name"], Span.from_dict(data["span"]))


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


@dataclass(slots=True)
class Document:
    """A news article as khabar sees it. Stages fill it in order; ``raw_text`` never changes."""

    raw_text: str
    text: str = ""
    alignment: Alignment = field(default_factory=lambda: Alignment.identity(0))
    sentences: list[Span] = field(default_factory=list)
    tokens: list[Token] = field(default_factory=list)
    mentions: list[Mention] = field(default_factory=list)
    entities: list[Entity] = field(default_factory=list)
    quotes: list[Quote] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    dates: list[DateMention] = field(default_factory=list)
    source: SourceCredit | None = None
    warnings: list[str] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_raw(cls, raw_text: str, **meta: Any) -> Document:
        return cls(raw_text=raw_text, text=raw_text, alignment=Alignment.identity(len(raw_text)),
                   meta={k: v for k, v in meta.items() if v is not None})

    # -- text changes --------------------------------------------------------------------------

    def edit(self, edits: list[Edit]) -> None:
        """Apply a text-changing stage's edits, keeping the offset map. Only before spans exist."""
        if not edits:
            return
        if self.sentences or self.tokens or self.mentions:
            raise RuntimeError("the text cannot change once spans have been found")
        from khabar.offsets import apply_edits

        self.text = apply_edits(self.text, edits)
        self.alignment = self.alignment.compose(edits)

    def spans(self, offsets: Iterable[tuple[int, int]], cls: type[Span] = Span) -> list[Any]:
        """Spans of ``cls`` over ``text[start:end]`` for offsets in text order that do not overlap
        (an iterator of them is enough: no list of offsets is held beside the spans)."""
        text = self.text
        # One string per distinct form ("و", "در", "گفت" come back thousands of times): a long
        # article's tokens take a third less memory.
        forms: dict[str, str] = {}
        keep = forms.setdefault
        # Most spans lie between two changes of the text, where a raw offset is the offset moved by
        # the same amount: spans there are mapped by that shift; the others one by one
        # (Alignment.to_raw). This runs once per token of every article.
        align = self.alignment
        starts, ends = align._starts, align._ends
        raw_ends = [c.raw_end for c in align.changes]
        n, length = len(starts), align.length
        k = -1  # the last change starting before the current span (only moves forward)
        lo, hi, shift = 0, starts[0] if n else length + 1, 0  # spans within [lo, hi) move by shift
        out: list[Any] = []
        add = out.append
        make: Callable[[str, int, int, int, int], Any] = _maker(cls) if cls is Span or cls is Token else cls
        for a, b in offsets:
            if not (lo <= a <= b < hi):
                while k + 1 < n and starts[k + 1] < a:
                    k += 1
                if k >= 0:
                    lo, shift = max(ends[k], starts[k] + 1), raw_ends[k] - ends[k]
                hi = starts[k + 1] if k + 1 < n else length + 1
                if not (lo <= a <= b < hi):
                    add(make(keep(form := text[a:b], form), a, b, *self._raw_across(a, b, k)))
                    continue
            add(make(keep(form := text[a:b], form), a, b, a + shift, b + shift))
        return out

    def _raw_across(self, a: int, b: int, k: int) -> tuple[int, int]:
        """``alignment.to_raw(a, b)`` for a span across changes, given ``k``, the last change
        starting before ``a`` (found by the walk of :meth:`spans`; -1: none): the changes it
        spans are walked from there instead of searched for."""
        align = self.alignment
        starts, n = align._starts, len(align._starts)
        if a < 0 or max(a, b) > align.length or (k >= 0 and a <= starts[k]) or (k + 1 < n and starts[k + 1] < a):
            return align.to_raw(a, b)  # past an end, or behind the walk
        i = k + 1 if k + 1 < n and starts[k + 1] == a else k  # the last change starting at or before a
        rs = a if i < 0 else align._at(a, i, start=True)
        if b <= a:
            return rs, rs
        while i + 1 < n and starts[i + 1] <= b:
            i += 1
        re_ = b if i < 0 else align._at(b, i, start=False)
        return rs, max(rs, re_)

    def span(self, start: int, end: int, cls: type[Span] = Span, **extra: Any) -> Any:
        """A span of ``cls`` over ``text[start:end]`` with its raw offsets filled in."""
        rs, re_ = self.alignment.to_raw(start, end)
        return cls(self.text[start:end], start, end, rs, re_, **extra)

    # -- serialization -------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        return {key: list(value) if isinstance(value, Iterator) else value for key, value in self.iter_dict()}

    def iter_dict(self) -> Iterator[tuple[str, Any]]:
        """The ``(key, value)`` pairs of :meth:`to_dict`, in its order, each list as an iterator of
        its items: a writer can stream a large document's JSON without holding its dict.

        >>> [key for key, _ in Document.from_raw("سلام").iter_dict()][:3]
        ['raw_text', 'text', 'sentences']
        """
        yield "raw_text", self.raw_text
        yield "text", self.text
        yield "sentences", (s.to_dict() for s in self.sentences)
        yield "tokens", (t.to_dict() for t in self.tokens)
        yield "mentions", (m.to_dict() for m in self.mentions)
        yield "entities", (e.to_dict() for e in self.entities)
        yield "quotes", (q.to_dict() for q in self.quotes)
        yield "events", (e.to_dict() for e in self.events)
        yield "dates", (x.to_dict() for x in self.dates)
        yield "source", self.source.to_dict() if self.source else None
        yield "warnings", list(self.warnings)
        yield "changes", (c.to_dict() for c in self.alignment.changes)
        if self.meta:
            yield "meta", dict(self.meta)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Document:
        raw, text = data["raw_text"], data["text"]
        src = data.get("source")
        return cls(
            raw_text=raw,
            text=text,
            alignment=Alignment.from_list(data.get("changes", []), len(text), len(raw)),
            sentences=[Span.from_dict(s) for s in data.get("sentences", [])],
            tokens=[Token.from_dict(t) for t in data.get("tokens", [])],
            mentions=[Mention.from_dict(m) for m in data.get("mentions", [])],
            entities=[Entity.from_dict(e) for e in data.get("entities", [])],
            quotes=[Quote.from_dict(q) for q in data.get("quotes", [])],
            events=[Event.from_dict(e) for e in data.get("events", [])],
            dates=[DateMention.from_dict(x) for x in data.get("dates", [])],
            source=SourceCredit.from_dict(src) if src else None,
            warnings=list(data.get("warnings", [])),
            meta=dict(data.get("meta", {})),
        )

    def entity(self, entity_id: str) -> Entity | None:
        """The entity with this id, if the document has it."""
        return next((e for e in self.entities if e.id == entity_id), None)
