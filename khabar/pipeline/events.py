"""Events, meetings first: who met whom, when and where. Fills ``doc.events``.

A meeting is told either by a verb (``X با Y دیدار کرد``, ``رایزنی کردند``, ``ملاقات کرد``,
``دیدار و گفت‌وگو کرد``) or by a noun heading an adverbial (``X در دیدار با Y گفت``,
``در گفت‌وگوی تلفنی با``). One sentence tells at most one meeting, the verb winning over the noun;
``این دیدار`` (this meeting) refers back to one already told and is not a new one, and neither is a
meeting inside someone's statement. Participants are entity ids: the subject (a pronoun resolved as
for speakers) and those after ``با``, including names, roles and groups the entity model missed
(:mod:`khabar.pipeline.events_participants`); the date is the sentence's date nearest before the
trigger and the place the first place after ``در``, ``وارد`` or ``سفر به``. A phone call counts as a
meeting.

>>> from khabar.pipeline import analyze
>>> ev = analyze("وزیر خارجه امروز در تهران با همتای عمانی خود دیدار کرد.", published="2025-08-09").events[0]
>>> (ev.type, ev.trigger.text, ev.date)
('meeting', 'دیدار کرد', '2025-08-09')
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import replace
from typing import ClassVar

from khabar.document import Document, Event, Mention
from khabar.pipeline.events_participants import COUNTERPART, ParticipantFinder
from khabar.pipeline.quotes_speakers import GROUP_HEADS, ROLE_HEADS, SpeakerResolver, fold
from khabar.text.chars import ZWNJ
from khabar.text.fold import fold_word

_G = f"[{ZWNJ} ]?"
# `گفت‌وگو`, also spelled `گفتگو`.
_TALK = rf"گفت{_G}(?:و{_G})?گو"
_NOUN = (rf"دیدار\s+و\s+{_TALK}|دیدار\s+و\s+رایزنی|{_TALK}(?:ی|یی){_G}\s*تلفنی|تماس(?:ی)?\s+تلفنی|"
         rf"دیدار(?:ی)?|ملاقات(?:ی)?|{_TALK}|رایزنی")
_LIGHT = (rf"(?:کرد|کردند|کرده{_G}است|کرده{_G}اند|می{_G}کند|می{_G}کنند|داشت|داشتند|داشته{_G}است|"
          rf"داشته{_G}اند|خواهد\s+کرد|خواهند\s+کرد|نمود|نمودند|"
          # planned: `قرار است فردا با X دیدار کند`
          rf"کند|کنند)")
TRIGGER = re.compile(rf"(?<![\w{ZWNJ}])(?P<noun>{_NOUN})(?P<light>\s+{_LIGHT})?(?![\w{ZWNJ}])")
# `X میزبان Y بود`: X hosted Y (`پوتین در کاخ کرملین میزبان اردوغان بود`).
HOST = re.compile(rf"(?<![\w{ZWNJ}])(?P<noun>میزبان)\s+(?P<guest>[^.!؟?\n«»:]{{2,120}}?)\s+"
                  rf"(?P<light>بود|بودند|شد|شدند|خواهد\s+بود|خواهند\s+بود)(?![\w{ZWNJ}])")
_PLANNED = re.compile(rf"(?<![\w{ZWNJ}])(?:قرار\s+(?:است|بود|شده|شد)|تا)(?![\w{ZWNJ}])")
_ANAPHORIC_BEFORE = re.compile(rf"(?<![\w{ZWNJ}])(?:این|همین|آن|آن{_G}ها|این{_G}ها)\s+$")
_WITH = re.compile(rf"(?<![\w{ZWNJ}])با(?![\w{ZWNJ}])")
_IN_BEFORE = re.compile(rf"(?<![\w{ZWNJ}])در\s+$")
_FROM_BEFORE = re.compile(rf"(?<![\w{ZWNJ}])از(?![\w{ZWNJ}])")
_PLACE_BEFORE = re.compile(rf"(?<![\w{ZWNJ}])(?:در|وارد|سفر(?:ی)?\s+به)\s+$")
# `در گفت‌وگو با خبرنگاران` is an interview, not a meeting.
_MEDIA_AFTER = re.compile(
    rf"\s+با\s+(?:(?:یک|این|آن|چند)\s+)?(?:خبرنگار|خبرنگاران|رسانه|رسانه{_G}ها|شبکه|خبرگزاری|روزنامه|برنامه|تلویزیون|رادیو|پایگاه|سایت|"
    rf"ایسنا|ایرنا|ایلنا|تسنیم|فارس|مهر|ایکنا|شفقنا|خبرآنلاین|انتخاب|باشگاه\s+خبرنگاران|صدا\s+و\s+سیما)(?![\w{ZWNJ}])"
)
# `در این دیدار … رایزنی کردند`: a verb in a sentence that refers back to a meeting tells no new one.
_BACK_REFERENCE = re.compile(rf"(?<![\w{ZWNJ}])(?:این|همین)\s+(?:{_NOUN}|نشست|تماس)(?![\w{ZWNJ}])")
_SPORT = re.compile(rf"(?<![\w{ZWNJ}])(?:تیم|تیم{_G}های|فوتبال|فوتسال|والیبال|بسکتبال|هندبال|لیگ|جام|مسابقه|"
                    rf"ورزشگاه|داور|گل|بازیکن|بازیکنان|شهرآورد|دربی|برتری|تساوی|مساوی|نیمه\s+اول|نیمه\s+دوم)(?![\w{ZWNJ}])")
_PLACE_ORG_HEADS = ("کاخ", "مقر", "ساختمان", "سالن", "هتل", "دانشگاه")


def _first_at(mentions: list[Mention], pos: int, lo: int = 0) -> int:
    """Index of the first mention starting at or after ``pos`` (mentions sorted by start)."""
    hi = len(mentions)
    while lo < hi:
        mid = (lo + hi) // 2
        if mentions[mid].start < pos:
            lo = mid + 1
        else:
            hi = mid
    return lo


class EventExtractor:
    """Fills ``doc.events`` with meetings."""

    name: ClassVar[str] = "events"
    requires: ClassVar[tuple[str, ...]] = ("sentences", "mentions", "dates", "quotes", "source")
    # Participants the entities stage missed are added as entities (and mentions where none covers them).
    # Statements whose speaker is such a participant are linked to them.
    assigns: ClassVar[tuple[str, ...]] = ("events", "entities", "mentions", "quotes")

    def find(self, doc: Document) -> list[Event]:
        """The meetings a document tells, one per sentence at most (example in the module docstring)."""
        text = doc.text
        if not text or not doc.sentences:
            return []
        starts = [s.start for s in doc.sentences]
        contents = sorted((q.content.start, q.content.end) for q in doc.quotes)
        content_starts = [a for a, _ in contents]
        by_sentence: dict[int, tuple[re.Match[str], bool]] = {}

        def quoted(pos: int) -> bool:
            k = bisect_right(content_starts, pos) - 1
            return k >= 0 and contents[k][0] <= pos < contents[k][1]

        for m in TRIGGER.finditer(text):
            if _ANAPHORIC_BEFORE.search(text, max(0, m.start() - 8), m.start()) or quoted(m.start()):
                continue
            si = max(0, bisect_right(starts, m.start()) - 1)
            verbal = m.group("light") is not None
            if verbal and m.group("light").split()[-1] in ("کند", "کنند") and not _PLANNED.search(
                    text, doc.sentences[si].start, m.start()):
                # A subjunctive meets only as planned (`قرار است … دیدار کند`, `… سفر کرد تا با X
                # دیدار کند`), not as a wish or a possibility (`می‌تواند با وزیر دیدار کند`).
                continue
            if _MEDIA_AFTER.match(text, m.end()):
                continue
            if _BACK_REFERENCE.search(text, doc.sentences[si].start, doc.sentences[si].end):
                continue
            if verbal and not _WITH.search(text, doc.sentences[si].start, m.start()):
                # Without `با`, only people meeting each other (`X و Y … دیدار کردند`) make a meeting;
                # `از X دیدار کردند` is a visit, `می‌توان … ملاقات نمود` no event.
                light = m.group("light").split()[-1]
                if not light.endswith("ند") or _FROM_BEFORE.search(text, max(doc.sentences[si].start,
                                                                              m.start() - 60), m.start()):
                    continue
            if not verbal:
                # A noun alone is a meeting only as `در دیدار (X) با Y`.
                if not _IN_BEFORE.search(text, max(0, m.start() - 6), m.start()):
                    continue
                if not _WITH.search(text, m.end(), min(doc.sentences[si].end, m.end() + 80)):
                    continue
            if si not in by_sentence or (verbal and not by_sentence[si][1]):
                by_sentence[si] = (m, verbal)
        for m in HOST.finditer(text):
            if quoted(m.start()):
                continue
            si = max(0, bisect_right(starts, m.start()) - 1)
            if si not in by_sentence or not by_sentence[si][1]:
                by_sentence[si] = (m, True)
        if not by_sentence:
            return []
        resolver = SpeakerResolver().start(doc)
        for q in doc.quotes:
            resolver.said(q)
        mentions = sorted(doc.mentions, key=lambda x: x.start)
        date_starts = [d.start for d in doc.dates]
        finder = ParticipantFinder(doc, resolver, mentions)
        out: list[Event] = []
        for si in sorted(by_sentence):
            m, verbal = by_sentence[si]
            sent = doc.sentences[si]
            # The dateline (`مسکو - ایرنا -`) is not part of the sentence's clause.
            a = sent.start
            if doc.source is not None and sent.start <= doc.source.span.start < m.start():
                a = max(a, doc.source.span.end)
            participants = finder.find(a, sent.end, m)
            if m.re is HOST and (len(participants) < 2 or not any(
                    (e := doc.entity(p)) is not None and e.label == "PER" for p in participants)):
                # A city hosting a tournament is no meeting: a host and a guest, one of them a person.
                continue
            date = self._date(doc, date_starts, contents, sent.start, sent.end, m.start())
            # `دیدار` is also a match: teams meeting on a pitch are no meeting of people.
            if _SPORT.search(text, sent.start, sent.end) and not any(
                    (e := doc.entity(p)) is not None and e.label == "PER" for p in participants):
                continue
            # A lead and its body often tell one meeting twice: keep the first telling.
            if participants and any(set(participants) == set(e.participants) and (e.date == date or None in (e.date, date))
                                    for e in out):
                continue
            place = self._place(text, mentions, sent.start, sent.end) or finder.place(sent.start, sent.end)
            trigger = doc.span(m.start(), m.end())
            out.append(Event("meeting", trigger, tuple(participants), date, place))
        self._link_added(doc, finder.added, finder.common)
        if finder.renamed:
            # Meetings told before a name was completed name the person by the full name too.
            out = [replace(e, participants=tuple(dict.fromkeys(finder.renamed.get(p, p) for p in e.participants)))
                   for e in out]
        return out

    @staticmethod
    def _link_added(doc: Document, added: list[str], common: frozenset[str]) -> None:
        """People found here whom the entities stage missed (`رافائل گروسی`) are linked where the
        article names them again: a later surname alone becomes their mention, and a statement
        whose speaker is that name becomes theirs."""
        forms: dict[str, str] = {}  # folded full name or surname → entity id
        for eid in added:
            ent = doc.entity(eid)
            if ent is None:
                continue
            words = [fold_word(w) for w in ent.name.split()]
            if not words or fold(ent.name.split()[0]) in ROLE_HEADS | GROUP_HEADS | COUNTERPART:
                continue  # a participant named by a role (`سفیر لسوتو`, `همتای اردنی`): its last word is no surname
            forms.setdefault(" ".join(words), eid)
            if len(words) >= 2 and len(words[-1]) >= 3 and words[-1] not in common:
                forms.setdefault(words[-1], eid)
        if not forms:
            return
        taken = sorted((x.start, x.end) for x in doc.mentions)
        starts = [a for a, _ in taken]
        new: list[Mention] = []
        for tok in doc.tokens:
            hit = forms.get(fold_word(tok.text))
            if hit is None:
                continue
            i = bisect_right(starts, tok.start) - 1
            if (i >= 0 and taken[i][1] > tok.start) or (i + 1 < len(taken) and taken[i + 1][0] < tok.end):
                continue  # inside or against a mention already there
            new.append(doc.span(tok.start, tok.end, Mention, label="PER", entity=hit))
        if new:
            doc.mentions = sorted([*doc.mentions, *new], key=lambda x: (x.start, -x.end))
            forms_of: dict[str, list[str]] = {}
            for x in new:
                forms_of.setdefault(x.entity or "", []).append(x.text)
            doc.entities = [replace(e, aliases=tuple(dict.fromkeys(
                [*e.aliases, *(f for f in forms_of[e.id] if f != e.name)]))) if e.id in forms_of else e
                for e in doc.entities]
        # A statement under a bare role (`نخست‌وزیر عراق نیز … گفت`) is its holder's, where one of
        # these people alone holds it.
        holders: dict[str, list[str]] = {}
        for eid in added:
            ent = doc.entity(eid)
            for t in ent.titles if ent is not None else ():
                holders.setdefault(" ".join(fold_word(w) for w in t.split()), []).append(eid)
        for key, ids in holders.items():
            if len(set(ids)) == 1:
                forms.setdefault(key, ids[0])
        quotes = []
        for q in doc.quotes:
            sp = q.speaker
            if sp is not None and sp.entity is None:
                who = forms.get(" ".join(fold_word(w) for w in sp.text.split()))
                if who is not None:
                    q = replace(q, speaker=replace(sp, entity=who))
            quotes.append(q)
        doc.quotes = quotes

    @staticmethod
    def _date(doc: Document, date_starts: list[int], contents: list[tuple[int, int]], a: int, b: int,
              at: int) -> str | None:
        """The meeting's date: the sentence's date nearest before the trigger (`X، که دیروز وارد شد،
        امروز با Y دیدار کرد`), else its first one after it outside a statement."""
        in_sentence = [d for d in doc.dates[bisect_left(date_starts, a):bisect_left(date_starts, b)] if d.value]
        before = [d for d in in_sentence if d.start < at]
        if before:
            return before[-1].value
        for d in in_sentence:
            if not any(s <= d.start < e for s, e in contents):
                return d.value
        return None

    @staticmethod
    def _place(text: str, mentions: list[Mention], a: int, b: int) -> str | None:
        for ment in mentions[_first_at(mentions, a):_first_at(mentions, b)]:
            if ment.start < a or ment.start >= b:
                continue
            if not _PLACE_BEFORE.search(text, max(0, ment.start - 12), ment.start):
                continue
            if ment.label == "LOC" or (ment.label == "ORG" and ment.text.startswith(_PLACE_ORG_HEADS)):
                return ment.entity
        return None

    def __call__(self, doc: Document) -> Document:
        doc.events = self.find(doc)
        return doc
