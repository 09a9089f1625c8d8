"""Statements: who said what. Fills ``doc.quotes`` with speaker — cue — content.

A cue is a reporting verb phrase from :mod:`khabar.pipeline.quotes_lexicon`. Its content is

- a quotation after it (``گفت: «…»``) or before it (``«…»؛ این را وزیر گفت``): ``direct``;
- what follows a colon (``افزود: …``, running on over the sentences of the paragraph that carry
  no narrative past-tense ending): ``direct``;
- a ``که`` clause or a bare clause after it (``تأکید کرد که …``, ``گفت دولت …``): ``indirect``;
- the ``را`` clause before an evaluative verb (``ایمان را سلاح اصلی … دانستند``): ``indirect``;
- what follows ``به گفته X،``: ``indirect``.

Two cues joined by ``و`` share the first one's subject (``… خواندند و تأکید کردند که …``); a cue
inside another statement's content or inside a quotation is a statement within a statement and is
left out. Not statements: ``وداع گفت``, ``گفت‌وگو کرد``, cues in a question of the narrative, and
infinitives (``حرفی برای گفتن``). Speakers are resolved by :mod:`khabar.pipeline.quotes_speakers`.

>>> from khabar.pipeline import analyze
>>> q = analyze("وزیر امور خارجه گفت: «ایران آماده است.»").quotes[0]
>>> (q.speaker.text, q.cue.text, q.content.text, q.kind)
('وزیر امور خارجه', 'گفت', 'ایران آماده است.', 'direct')
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from typing import ClassVar

from khabar.document import Document, Mention, Quote, Span
from khabar.pipeline.quotes_lexicon import (
    ACCORDING_TO,
    CUE,
    DOCUMENT_WORDS,
    NOT_SAID,
    NOT_SAY,
    cue_class,
    is_participle,
    is_plural,
    is_request,
)
from khabar.pipeline.quotes_speakers import SpeakerResolver, lead_roles, opening_credit_end
from khabar.text.chars import ZWNJ

_WORD = re.compile(rf"[\w{ZWNJ}]+")
# Content after a cue starts after `که` / `:` and optional spacing and commas.
_AFTER = re.compile(rf"\s*(?P<colon>[:：])?\s*(?P<ke>که(?![\w{ZWNJ}])\s*)?")
# A following sentence that ends in a narrative past-tense verb is no longer the speaker's words.
_NARRATIVE_END = re.compile(
    rf"(?<![\w{ZWNJ}])(?:شد|شدند|کرد|کردند|بود|بودند|داد|دادند|گرفت|گرفتند|رسید|یافت|داشت|داشتند|رفت|گفت|"
    rf"گفتند|افزود|افزودند|انجام\s+شد|برگزار\s+شد)\s*[.!؟?]*[»\"']*\s*$"
)
# Between `و` and a following cue: the words of a coordinated clause (`و افزود`, `و مدیرعامل … نیز گفت`).
_MAX_COORD_WORDS = 8
_APART_GU = re.compile(r"\s*و\s*گو")
# Words that open an adverbial, not a predicate, after `را`.
_TIME_WORDS = frozenset(["روز", "امروز", "دیروز", "صبح", "عصر", "شب", "هفته", "ماه", "سال", "پس", "پیش", "هنگام",
                         "طی", "ضمن", "نیز", "هم", "همچنین"])
_PREPOSITIONS = frozenset(["در", "به", "با", "از", "برای", "تا", "بر"])
_BARE = re.compile(r"[ \t]*(?:[،,][ \t]*)?(?=[^\s؛;،,.:])")
_CONJUNCTION = re.compile(rf"(?:و|اما|ولی|تا|زیرا|چون|چرا|که|یا|بلکه|سپس)(?![\w{ZWNJ}])")
_UNTIL = re.compile(rf"تا(?![\w{ZWNJ}])\s*")
_FROM = re.compile(rf"(?<![\w{ZWNJ}])از\s+")
_WHAT_WAS_SAID = re.compile(
    rf"(?<![\w{ZWNJ}])(?:آنچه|هرآنچه|چیزی\s+که|(?:سخنان|مطالب|اظهارات|حرف{ZWNJ}?ها|نکات)ی\s+که)(?![\w{ZWNJ}])")
# A clause ending in a subjunctive verb (`… ارسال کند`, `… بپردازند`), as after a request.
_SUBJUNCTIVE_END = re.compile(
    rf"(?<![\w{ZWNJ}])(?:(?:کند|کنند|شود|شوند|دهد|دهند|باشد|باشند|گیرد|گیرند|نماید|نمایند)|"
    rf"ب(?!ود)[\w{ZWNJ}]+(?:د|ند))\s*[.!؟?»\"]*\s*$")
_CUE_BEFORE_COLON = re.compile(rf"(?:{CUE.pattern})\s*$")
_REASON = re.compile(rf"(?<![\w{ZWNJ}])(?:زیرا|چرا\s+که|چون\s+که)(?![\w{ZWNJ}])|؛")
_PROMISE = re.compile(r"(?:وعده|قول|اطمینان)\s")
_RA = re.compile(rf"(?<![\w{ZWNJ}])را(?![\w{ZWNJ}])")
_QUOTE_MARKS = re.compile(r"[«»\n]")
_JOIN = re.compile(r"[\s.»\"،]*و\s+")
_MAX_LOOKBACK_WORDS = 30  # from a quotation's end to a cue that credits it (`«…»؛ این را X گفت`)


@dataclass(slots=True)
class _Cue:
    start: int
    end: int
    cls: str
    sentence: int


class QuoteExtractor:
    """Fills ``doc.quotes``. Runs after sentences and entities (speakers are entity ids)."""

    name: ClassVar[str] = "quotes"
    requires: ClassVar[tuple[str, ...]] = ("sentences",)
    assigns: ClassVar[tuple[str, ...]] = ("quotes",)

    def __init__(self, *, max_content_chars: int = 4000) -> None:
        # A 50-sentence quotation is still one statement, but its content span is capped, so a
        # stray `«` cannot swallow the rest of a book.
        self.max_content_chars = max_content_chars
        self.speakers = SpeakerResolver()

    # -- finding -------------------------------------------------------------------------------

    def find(self, doc: Document) -> list[Quote]:
        """The statements of a document, in text order (see the module docstring for an example)."""
        text = doc.text
        if not text or not doc.sentences:
            return []
        starts = [s.start for s in doc.sentences]
        quoted = _quotations(text)
        cues = [c for c in self._cues(text, starts, doc.sentences) if not _inside(c.start, quoted)]
        resolver = self.speakers.start(doc)
        # A dateline or `به گزارش …،` before the subject is no subject (`تهران - ایرنا - استانداری … اعلام کرد`).
        credit_end = opening_credit_end(doc)
        out: list[Quote] = []
        taken_until = -1  # end of the last indirect content: cues inside it are nested statements
        prev: tuple[_Cue, Quote | None] | None = None
        # Sentence -> end of a source credited before its clause (`بنابر اعلام وبدا، X … درخواست کرده است`).
        sources: dict[int, int] = {}
        for i, cue in enumerate(cues):
            if cue.start < taken_until:
                continue
            nxt = cues[i + 1] if i + 1 < len(cues) else None
            found = self._content(doc, cue, nxt, quoted, resolver.by_start)
            if found is None:
                if cue.cls == "according":
                    comma = text.find("،", cue.end, doc.sentences[cue.sentence].end)
                    if comma > 0 and len(_WORD.findall(text[cue.end:comma])) <= 4:
                        sources[cue.sentence] = comma + 1
                continue
            (cs, ce), kind, zone_start = found
            if ce <= cs:
                continue
            if kind == "indirect" and cs > cue.start:
                taken_until = ce
            # The subject zone: from the clause start to the cue; a clause joined by `و` to the
            # previous statement in the same sentence starts after the `و`.
            sent = doc.sentences[cue.sentence]
            # `به گفته X، …`: the speaker stands after the cue, before the content.
            # (The credit counts only in the cue's own sentence, before the cue.)
            credit = credit_end if sent.start <= credit_end <= cue.start else -1
            if sources.get(cue.sentence, cue.start) < cue.start:
                credit = max(credit, sources[cue.sentence])
            # A colon before the cue outside a quotation closes a clause of its own (`… ارائه می‌کند:X … خبر داد`).
            colon = text.rfind(":", sent.start, cue.start)
            if colon >= 0 and (_inside(colon, quoted) or _CUE_BEFORE_COLON.search(text, sent.start, colon)):
                colon = -1  # (a colon that opens someone's words: a cue after it is inside them)
            zone = (cue.end, cs) if cue.cls == "according" else (max(sent.start, zone_start, credit, colon + 1),
                                                                  cue.start)
            shared = None
            if prev is not None and prev[0].sentence == cue.sentence and prev[1] is not None:
                join = _coordination(text, prev[1], cue.start)
                if join is not None:
                    zone = (join, cue.start)
                    shared = prev[1].speaker
            speaker = resolver.resolve(zone, cue_text=text[cue.start:cue.end], plural=is_plural(text[cue.start:cue.end]),
                                       shared=shared, content=(cs, ce))
            q = Quote(speaker, doc.span(cue.start, cue.end), doc.span(cs, ce), kind)
            out.append(q)
            resolver.said(q)
            prev = (cue, q)
        return lead_roles(doc, out)

    def _cues(self, text: str, starts: list[int], sentences: list[Span]) -> list[_Cue]:
        out = []
        for m in CUE.finditer(text):
            s, e = m.span()
            word = m.group()
            if word.startswith("گفت") or word.startswith("می"):
                before = _WORD.findall(text[max(0, s - 20):s])
                if before and before[-1] in NOT_SAY:
                    continue
                # `گفت و گو` written apart is a conversation, not a statement.
                if _APART_GU.match(text, e):
                    continue
            if word == "گفته":
                # `این گفته`, `به گفته` (ACCORDING_TO): the noun, not the perfect without its copula.
                before = _WORD.findall(text[max(0, s - 20):s])
                if before and before[-1] in NOT_SAID:
                    continue
            if is_request(word):
                # `از کشورها خواست …`: asked of someone; `می خواست`, `او خواست برود`: wanted.
                sent_start = starts[max(0, bisect_right(starts, s) - 1)] if starts else 0
                clause = text[max(sent_start, text.rfind("،", sent_start, s) + 1):s]
                words = _WORD.findall(clause)
                if not words or words[-1] == "می" or "از" not in words:
                    continue
            if word.startswith("آمده"):
                # `در بیانیه … آمده است:` is what a document says; `در ادامه … آمده است:` a list.
                sent_start = starts[max(0, bisect_right(starts, s) - 1)] if starts else 0
                if not DOCUMENT_WORDS.search(text, sent_start, s):
                    continue
            out.append(_Cue(s, e, cue_class(word), max(0, bisect_right(starts, s) - 1)))
        for m in ACCORDING_TO.finditer(text):
            out.append(_Cue(m.start(), m.end(), "according", max(0, bisect_right(starts, m.start()) - 1)))
        out.sort(key=lambda c: c.start)
        return out

    def _content(self, doc: Document, cue: _Cue, nxt: _Cue | None, quoted: list[tuple[int, int]],
                 by_start: dict[int, Mention]) -> tuple[tuple[int, int], str, int] | None:
        """``((start, end), kind, zone_start)`` of the statement a cue introduces, or None."""
        text = doc.text
        sent = doc.sentences[cue.sentence]
        sent_end = _strip_end(text, sent.start, sent.end)
        question = text[sent.start:sent.end].rstrip(" »\"'").endswith(("؟", "?"))
        if cue.cls == "according":
            return self._according(text, cue, sent_end)
        m = _AFTER.match(text, cue.end)
        assert m is not None
        after = m.end()
        limit = min(len(text), after + self.max_content_chars)
        # A quotation right after the cue (or after its colon).
        if after < len(text) and text[after] in "«\"“":
            k = bisect_right(quoted, (after, len(text) + 1)) - 1
            q = quoted[k] if k >= 0 and quoted[k][0] == after else None
            if q is not None:
                return (q[0] + 1, min(q[1] - 1, limit)), "direct", sent.start
            # Unbalanced: the rest of the paragraph.
            return (after + 1, min(_paragraph_end(text, after), limit)), "direct", sent.start
        if m.group("colon"):
            end = self._colon_run(doc, cue, after, limit)
            return ((after, end), "direct", sent.start) if end > after else None
        if question:
            return None
        # The clause before an evaluative verb: `… X را Y دانست`.
        if cue.cls == "evaluative":
            return self._evaluative(doc, cue, sent.start, by_start)
        end = sent_end
        if nxt is not None and nxt.sentence == cue.sentence and nxt.start < end:
            cut = _coordination_point(text, after, nxt.start)
            if cut is not None:
                end = cut
        end = _strip_end(text, after, end)
        if m.group("ke"):
            return ((after, end), "indirect", sent.start) if end > after else None
        # A quotation before the cue that it credits: `«…»؛ سرلشکر … این را گفت.`
        before = self._quotation_before(text, cue, quoted, sent.start) if cue.cls == "strong" else None
        # A quoted word or two is a name or a term (`سرانجام «دوست‌نماها» … اعتراف می‌کنند`), not speech.
        if before is not None and end - after < 2 and len(_WORD.findall(text[before[0]:before[1]])) >= 3:
            return before, "direct", before[1] + 1
        if end - after < 2 and cue.cls == "strong":
            # Nothing follows: `این اقدام را غیرقانونی اعلام کرد` is a statement in a `را` clause.
            found = self._evaluative(doc, cue, sent.start, by_start)
            if found is not None:
                return found
        if cue.cls == "weak":
            # A request or proposal is followed by what is asked, in the subjunctive
            # (`درخواست کرد این اطلاعیه … اطلاع‌رسانی شود`); anything else needs که, a colon or a quote.
            bare = _BARE.match(text, after, end)
            if bare:
                start = bare.end()
                # `درخواست کرد تا … ارسال کند`: تا opens what is asked.
                until = _UNTIL.match(text, start, end)
                if until:
                    start = until.end()
                # What is asked may be followed by its reason (`… را کنار بگذارند زیرا «…»`).
                reason = _REASON.search(text, start, end)
                stop = _strip_end(text, start, reason.start()) if reason else end
                # A promise or an assurance is of what will be (`وعده داد … وارد می‌کند`), in any mood.
                promise = _PROMISE.match(text, cue.start) is not None
                if (promise or _SUBJUNCTIVE_END.search(text, start, stop)) and len(_WORD.findall(text[start:stop])) >= 3 \
                        and not _CONJUNCTION.match(text, start, stop):
                    return (start, stop), "indirect", sent.start
            return None
        # A bare clause: `گفت دولت …` — at least three words of it — unless the cue is inside a
        # relative clause about what was said (`آنچه رئیس‌جمهور گفت مورد استقبال قرار گرفت`).
        if _WHAT_WAS_SAID.search(text, sent.start, cue.start):
            return None
        # It is a clause of its own, not one joined by a conjunction (`… بیان می‌کند، تا …`, `… را می‌نویسد ولی …`).
        bare = _BARE.match(text, after, end)
        # A bare participle followed by a comma closes a clause (`طرحی که دولت اعلام کرده، …`).
        participle_comma = is_participle(text[cue.start:cue.end]) and text[after:after + 1] in "،,"
        if bare and len(_WORD.findall(text[bare.end():end])) >= 3 and not _CONJUNCTION.match(text, bare.end(), end) \
                and not participle_comma:
            return (bare.end(), end), "indirect", sent.start
        # `X از اجرای برنامه‌ها خبر داد`: what was announced stands after `از`.
        if text.startswith("خبر", cue.start):
            froms = list(_FROM.finditer(text, sent.start, cue.start))
            if froms:
                az = froms[-1]
                cs, ce = az.end(), _strip_end(text, az.end(), cue.start)
                if len(_WORD.findall(text[cs:ce])) >= 2:
                    return (cs, ce), "indirect", sent.start
        return None

    def _according(self, text: str, cue: _Cue, sent_end: int) -> tuple[tuple[int, int], str, int] | None:
        # `به گفته X، [title،] content`: the content starts after the comma that closes X.
        comma = text.find("،", cue.end, sent_end)
        if comma < 0:
            return None
        nxt = text.find("،", comma + 1, sent_end)
        if nxt > 0 and self.speakers.is_title(text[comma + 1:nxt]):
            comma = nxt
        start = comma + 1
        while start < sent_end and text[start].isspace():
            start += 1
        end = _strip_end(text, start, sent_end)
        # `به گزارش ایسنا و بنابر اعلام وبدا، X … خبر داد`: a source credited for a report whose own
        # verb says who spoke; that verb's statement stands, not one by the source.
        if CUE.search(text, start, end):
            return None
        return ((start, end), "indirect", cue.end) if end > start else None

    def _evaluative(self, doc: Document, cue: _Cue, sent_start: int,
                    by_start: dict[int, Mention]) -> tuple[tuple[int, int], str, int] | None:
        text = doc.text
        # A colon or semicolon closes what stands before it (`… را ارائه می‌کند: X از … خبر داد`): the
        # `را` clause of this verb is after it.
        sent_start = max(sent_start, *(text.rfind(p, sent_start, cue.start) + 1 for p in ":؛"))
        clause = text[sent_start:cue.start]
        ra = [m.start() for m in _RA.finditer(clause)]
        if not ra:
            return None
        ra_pos = sent_start + ra[-1]
        # A predicate must stand between `را` and the verb: `کتاب را خواند` is reading, not calling,
        # and `نتایج را روز شنبه اعلام کرد` announces results on a day, judging nothing.
        between = _WORD.findall(text[ra_pos + 2:cue.start])
        if not between or between[0] in _TIME_WORDS or between[0][0].isdigit():
            return None
        # `دانست` takes prepositional predicates (`را از اولویت‌ها دانست`, `را در گرو … دانست`); `خواند`
        # and `اعلام کرد` do not (`کتاب را در کتابخانه خواند` reads, `آمادگی را برای مذاکره اعلام کرد` announces).
        # (`… را از جمله برنامه‌ها عنوان کرد` names what it is, as an evaluative verb does.)
        as_one_of = between[0] == "از" and len(between) > 1 and between[1] == "جمله"
        if between[0] in _PREPOSITIONS and not as_one_of and (
                cue.cls != "evaluative" or "خوان" in text[cue.start:cue.end]):
            return None
        # The clause starts after the last comma (or `و` joining a previous verb) before `را`,
        # or at the sentence start; the speaker's own words are trimmed off by the resolver.
        start = sent_start
        # A comma, a colon or a semicolon ends what came before (`… نوشته است: …`).
        comma = max(text.rfind(p, sent_start, ra_pos) for p in "،:؛")
        if comma >= 0:
            start = comma + 1
        prev_cue = None
        for m in CUE.finditer(text, sent_start, ra_pos):
            prev_cue = m
        if prev_cue is not None:
            # `… خواندند و ایمان را … دانستند`: the clause starts after the `و` following the earlier verb.
            j = _AND.match(text, prev_cue.end())
            if j:
                start = max(start, j.end())
        start = self.speakers.skip_subject(doc, start, ra_pos, by_start)
        end = _strip_end(text, start, cue.start)
        return ((start, end), "indirect", sent_start) if end > start else None

    def _quotation_before(self, text: str, cue: _Cue, quoted: list[tuple[int, int]],
                          sent_start: int) -> tuple[int, int] | None:
        para_start = text.rfind("\n", 0, cue.start) + 1
        # The last quotation that ends before the cue (quotations do not overlap, so ends are sorted).
        k = bisect_right(quoted, (cue.start, len(text) + 1)) - 1
        while k >= 0 and quoted[k][1] > cue.start:
            k -= 1
        for qs, qe in quoted[k:k + 1] if k >= 0 else []:
            if qs < para_start:
                return None
            between = text[qe:cue.start]
            if len(_WORD.findall(between)) > _MAX_LOOKBACK_WORDS or CUE.search(between):
                return None
            return qs + 1, qe - 1
        return None

    def _colon_run(self, doc: Document, cue: _Cue, after: int, limit: int) -> int:
        """End of colon content: its sentence, and the next ones of the paragraph that read as speech."""
        text = doc.text
        i = cue.sentence
        sents = doc.sentences
        end = _strip_end(text, after, sents[i].end)
        para_end = _paragraph_end(text, after)
        while i + 1 < len(sents) and sents[i + 1].start < para_end and sents[i + 1].end <= limit:
            s = sents[i + 1]
            body = text[s.start:s.end]
            if CUE.search(body) or ACCORDING_TO.search(body) or _NARRATIVE_END.search(body):
                break
            end = s.end
            i += 1
        return min(end, limit)

    def __call__(self, doc: Document) -> Document:
        doc.quotes = self.find(doc)
        return doc


def _quotations(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of each balanced ``«…»`` (outermost; ``end`` past the ``»``), in order."""
    out: list[tuple[int, int]] = []
    depth = 0
    start = 0
    for m in _QUOTE_MARKS.finditer(text):
        ch = m.group()
        if ch == "«":
            if depth == 0:
                start = m.start()
            depth += 1
        elif ch == "»" and depth:
            depth -= 1
            if depth == 0:
                out.append((start, m.end()))
        elif ch == "\n" and depth:
            # A quotation left open at a line break is unbalanced: forget it, so that one stray `«`
            # cannot hide every statement after it. (Persian news reopens `«` on each paragraph of a
            # long quotation, so a line break rarely falls inside a balanced one.)
            depth = 0
    return out


def _inside(pos: int, regions: list[tuple[int, int]]) -> bool:
    i = bisect_right(regions, (pos, len(regions) and 10**12)) - 1
    return i >= 0 and regions[i][0] < pos < regions[i][1]


def _strip_end(text: str, start: int, end: int) -> int:
    """``end`` moved back over spaces and the sentence's final punctuation."""
    while end > start and (text[end - 1].isspace() or text[end - 1] in ".!؟?؛;،,"):
        end -= 1
    return end


def _paragraph_end(text: str, pos: int) -> int:
    e = text.find("\n", pos)
    return len(text) if e < 0 else e


_AND = re.compile(r"\s+و\s+")


def _coordination_point(text: str, after: int, next_cue: int) -> int | None:
    """Where a content ends because a coordinated clause with its own cue begins (`… و افزود که`)."""
    last = None
    for m in _AND.finditer(text, after, next_cue):
        last = m
    if last is None:
        return None
    between = text[last.end():next_cue]
    if "که" in _WORD.findall(between) or len(_WORD.findall(between)) > _MAX_COORD_WORDS:
        return None
    return last.start()


def _coordination(text: str, prev: Quote, cue_start: int) -> int | None:
    """Start of the clause after `و` when a cue is coordinated with the previous statement."""
    anchor = max(prev.cue.end, prev.content.end) if prev.content.start > prev.cue.start else prev.cue.end
    between = text[anchor:cue_start]
    m = _JOIN.match(between)
    if not m:
        return None
    if len(_WORD.findall(between)) > _MAX_COORD_WORDS + 1:
        return None
    return anchor + m.end()
