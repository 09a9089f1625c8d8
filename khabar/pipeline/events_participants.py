"""Who took part in a meeting: entity ids for the people, groups and bodies of a meeting clause.

The clause before a meeting verb holds its subject and, after ``با``, the other side
(``X، role، و Y … با Z، role، دیدار کردند``); a meeting noun (``در دیدار با Z``) has the other side
after it. A participant is taken, in order of preference, from

- a mention of the entity model (a person's name the model cut short, ``هاکان`` in ``هاکان فیدان``,
  is completed by the plain word after it);
- a role (``دبیر شورای عالی امنیت ملی``): the person holding it in the article, as speakers are;
- plain words the model did not tag, where a name stands: a run of one to three words opening the
  clause, after ``و`` or ``با``, ended by a comma, a time word, a preposition or the verb, with at
  least one word that is neither common nor a place (``رافائل گروسی``, ``پاپ لئو چهاردهم``);
- a group (``رهبران حماس`` → the body it names; ``هیئتی از اندیشکده‌های چینی`` → the group itself).

Participants are entity ids. One the entity stage did not find gets the id the entity stage would
give it (:func:`khabar.pipeline.identity.entity_id`), and an :class:`~khabar.document.Entity` is
added to ``doc.entities`` (with a mention where none covers its words) so that every participant
resolves to a name.

>>> from khabar.pipeline import analyze
>>> doc = analyze("محمد اسلامی و رافائل گروسی دیروز در تهران با یکدیگر دیدار کردند.")
>>> [doc.entity(p).name for p in doc.events[0].participants]
['محمد اسلامی', 'رافائل گروسی']
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import replace
from typing import Any

from khabar.document import Document, Entity, Mention
from khabar.errors import KhabarError
from khabar.pipeline.entities import load_model
from khabar.pipeline.identity import entity_id, holder_of, role_id
from khabar.pipeline.quotes_speakers import (
    BODY_HEADS,
    GROUP_HEADS,
    HONORIFIC_WORDS,
    PREPOSITIONS,
    PRONOUNS,
    ROLE_HEADS,
    STOP,
    fold,
)
from khabar.text.chars import ZWNJ
from khabar.text.fold import fold_word

_WORDS = re.compile(rf"[\w{ZWNJ}]+|[،,؛;:«»()\-–—]")
_PUNCT = frozenset("،,؛;:«»()-–—")


def _set(words: str) -> frozenset[str]:
    return frozenset(fold(w) for w in words.split())


_TIME = _set("روز امروز دیروز فردا صبح عصر شب بامداد ظهر شامگاه امشب دیشب هفته ماه سال گذشته آینده پیش "
             "شنبه یکشنبه دوشنبه سه‌شنبه چهارشنبه پنجشنبه پنج‌شنبه جمعه")
_ADVERBS = _set("نیز هم همچنین اما ولی سپس بعد همچنان پیشتر قبلا قبلاً اخیرا اخیراً")
_MEETING_WORDS = _set("دیدار ملاقات گفت‌وگو گفتگو رایزنی تماس تلفنی دیداری ملاقاتی نشست جلسه سفر سفری "
                      "کرد کردند داشت داشتند نمود نمودند شد شدند است بود")
_NOT_NAME = (STOP | PREPOSITIONS | PRONOUNS | ROLE_HEADS | GROUP_HEADS | BODY_HEADS | _TIME | _ADVERBS
             | _MEETING_WORDS | HONORIFIC_WORDS
             | _set("یکدیگر همدیگر خود خویش یک یکی چند برخی همه هر این آن همین همان دو سه طرف طرفین "
                    "جمعی گروهی هیئتی هیئت هیات تنی تن شماری عده عده‌ای جمع اعضای حاشیه جریان خلال"))
# Groups met as such: `با جمعی از …`, `با هیئتی از …`, `با چند تن از …`.
_GROUP_OPENERS = _set("جمعی گروهی هیئتی هیئت هیات هیاتی شماری عده‌ای تنی جمع اعضای نمایندگان خانواده "
                      "خانواده‌های اهالی") | GROUP_HEADS
_RECIPROCAL = _set("یکدیگر همدیگر")
# The members of a body, after its head (`رئیس و اعضای …`).
_MEMBERS = _set("اعضای اعضا مسئولان مسئولین کارکنان معاونان مدیران فرماندهان")
_MORE_ROLES = _set("سلطان ملک امیرنشین")
# The two sides of a meeting, opening a clause.
_BOTH_SIDES = re.compile(rf"\s*(?:(?:همچنین|سپس|نیز)\s+)?(?:طرفین|دو\s+(?:طرف|وزیر|رهبر|رئیس{ZWNJ}?جمهور|مقام|هیئت|"
                         rf"نخست{ZWNJ}?وزیر|مسئول|دیپلمات|فرمانده))(?![\w{ZWNJ}])")
COUNTERPART = _set("همتای همتایان")
_PHRASE_STOP = _set("در با که را برای درباره و")


class ParticipantFinder:
    """Participants of the meetings of one document (see the module docstring)."""

    def __init__(self, doc: Document, resolver: Any, mentions: list[Mention]) -> None:
        self.doc = doc
        self.text = doc.text
        self.resolver = resolver
        self.mentions = mentions
        self.mstarts = [m.start for m in mentions]
        self.by_start = {m.start: m for m in mentions}
        self.cue_starts = {q.cue.start for q in doc.quotes}
        self.date_spans = sorted((d.start, d.end) for d in doc.dates)
        self.date_starts = [a for a, _ in self.date_spans]
        self._ids: list[str] = []
        self._last_ids: list[str] = []
        # People this finder added to the document (names the entities stage missed or cut short),
        # and the ids it renamed (a cut-short name's → the full name's).
        self.added: list[str] = []
        self.renamed: dict[str, str] = {}
        try:
            _, self.lexicon, _, _, meta = load_model("")
            self.common: frozenset[str] = meta.get("common", frozenset())
        except KhabarError:  # without the model, names are judged on stop words alone
            self.lexicon, self.common = {}, frozenset()

    # -- the entry point -----------------------------------------------------------------------

    def find(self, a: int, b: int, m: re.Match[str]) -> list[str]:
        """Participant ids of the meeting whose trigger is ``m``, in the clause ``[a, b)``."""
        ids: list[str] = []
        self._ids = ids

        def add(eid: str | None) -> None:
            if eid and eid not in ids:
                ids.append(eid)

        text = self.text
        words = [w for w in _WORDS.finditer(text, a, m.start()) if not self._in_date(w.start())]
        while words and words[0].group() in _PUNCT:  # the comma after a credit line (`به گزارش ایسنا،`)
            words.pop(0)
        both = _BOTH_SIDES.match(text, a)
        if both is not None:
            # `دو طرف …`, `دو وزیر …`: the sides of the meeting told before, or the people just named.
            for eid in self._last_ids or self._recent_people(a):
                add(eid)
            words = [w for w in words if w.start() >= both.end()]
        # The subject, read as a speaker is (a name, a role's holder, a pronoun's antecedent).
        with_k = next((k for k, w in enumerate(words) if fold(w.group()) == "با"), len(words))
        head_end = words[with_k].start() if with_k < len(words) else m.start()
        subj = self.resolver._scan(a, head_end, False) if head_end > a else None
        if subj is None and head_end > a:
            subj = self.resolver._bare_name(a, head_end)
        if subj is None and not any(fold(w.group()) not in _ADVERBS | _set("و") for w in words[:with_k]):
            # No subject in the clause (`سپس با X دیدار کرد`): the one of the sentence before.
            subj = self.resolver._zero_subject(a)
        skip = (a, a)  # the subject's words, read already
        if subj is not None and a <= subj.start < head_end:
            # The subject stands in the clause: read it as a slot unless it is a known entity.
            ment = self.by_start.get(subj.start)
            if ment is not None and ment.label == "PER":
                k = self._index_at(words, 0, ment.start)
                add(self._person(ment, words, k, m)[0])
                skip = (subj.start, max(subj.end, ment.end))
            elif subj.entity:
                add(subj.entity)
                skip = (subj.start, subj.end)
        elif subj is not None:
            # Someone named before (a pronoun's antecedent, the subject of the sentence before).
            if subj.entity:
                add(subj.entity)
            elif fold(subj.text) not in PRONOUNS and subj.text.strip():
                add(self._new(subj.text, "PER"))
        # Everyone else named where a participant stands: clause start, after `و`, after `با`.
        self._scan_slots([w for w in words if not skip[0] <= w.start() < skip[1]], add, m,
                         opening=skip[0] > a or skip[1] == a)
        if m.groupdict().get("guest") is not None:
            # `X میزبان Y بود`: the guest stands between the noun and the verb.
            guest = [w for w in _WORDS.finditer(text, m.start("guest"), m.end("guest")) if not self._in_date(w.start())]
            if guest:
                self._slots_joined(guest, 0, add, m, m.end("guest"), stop=len(guest))
        elif not m.group("light"):
            # `در دیدار با Y`: the other side follows the noun; `در دیدار X با Y`: both do.
            after = [w for w in _WORDS.finditer(text, m.end(), min(b, m.end() + 160))
                     if not self._in_date(w.start())]
            j = next((i for i, w in enumerate(after[:10]) if fold(w.group()) == "با"), -1)
            if j > 0 and self._names_here(after[0]):
                self._slots_joined(after, 0, add, m, b, stop=j)
            if j >= 0:
                self._slots_joined(after, j + 1, add, m, b, stop=len(after))
        if ids:
            self._last_ids = list(ids)
        return ids

    def _names_here(self, w: re.Match[str]) -> bool:
        """Whether a word opens a mention of someone, a role or a group (not an adjective: `دیدار دوجانبه`)."""
        ment = self.by_start.get(w.start())
        f = fold(w.group())
        return (ment is not None and ment.label in ("PER", "ORG")) or f in ROLE_HEADS or f in _GROUP_OPENERS \
            or f in HONORIFIC_WORDS

    def _slots_joined(self, words: list[re.Match[str]], k: int, add: Any, m: re.Match[str], limit: int, *,
                      stop: int) -> None:
        """Participants from ``words[k]`` on, joined by ``و`` (`با X و Y`), up to ``words[stop]``."""
        part = words[:stop]
        k = self._slot(part, k, add, m, limit=limit)
        while k + 1 < len(part) and fold(part[k].group()) == "و" and len(self._ids) < 8:
            before = len(self._ids)
            k = self._slot(part, k + 1, add, m, limit=limit)
            if len(self._ids) == before:
                break

    def _recent_people(self, pos: int) -> list[str]:
        """People named in the two sentences before ``pos`` (at most two)."""
        starts = [x.start for x in self.doc.sentences]
        si = bisect_left(starts, pos + 1) - 1
        lo = self.doc.sentences[max(0, si - 2)].start if si >= 0 else 0
        found: list[str] = []
        for x in self.mentions[bisect_left(self.mstarts, lo):bisect_left(self.mstarts, pos)]:
            if x.label == "PER" and x.entity and x.entity not in found:
                found.append(x.entity)
        return found[-2:]

    # -- slots ---------------------------------------------------------------------------------

    def _scan_slots(self, words: list[re.Match[str]], add: Any, m: re.Match[str], *, opening: bool) -> None:
        k = 0
        expect = opening  # a participant may start here
        in_pp = False
        while k < len(words):
            w = words[k]
            f = fold(w.group())
            if w.group() in _PUNCT:
                nxt = fold(words[k + 1].group()) if k + 1 < len(words) else ""
                close = _next_comma(words, k + 1) if w.group() in "،," else -1
                if (nxt in ROLE_HEADS or nxt in GROUP_HEADS) and not in_pp and close > 0:
                    # An apposition (`، رئیس سازمان انرژی اتمی،`) says who the last one is. (A comma
                    # that closes nothing, after a credit line, opens no apposition.)
                    k = close + 1
                    expect = False
                    continue
                in_pp, expect = False, False
                k += 1
                continue
            if f == "و" and not in_pp:
                expect = True
                k += 1
                continue
            if f == "با":
                k = self._slot(words, k + 1, add, m, limit=m.start())
                in_pp, expect = False, False
                continue
            if f in PREPOSITIONS:
                in_pp, expect = True, False
                k += 1
                continue
            if f in HONORIFIC_WORDS:
                k += 1
                continue
            if expect and not in_pp:
                k = self._slot(words, k, add, m, limit=m.start())
                expect = False
                continue
            ment = self.by_start.get(w.start())
            if ment is not None and not in_pp and ment.label == "PER":
                add(self._person(ment, words, k, m)[0])
            k += 1

    def _slot(self, words: list[re.Match[str]], k: int, add: Any, m: re.Match[str], *, limit: int) -> int:
        """Takes one participant starting at ``words[k]``; returns the index after it."""
        while k < len(words) and fold(words[k].group()) in HONORIFIC_WORDS:
            k += 1
        if k >= len(words):
            return k
        w = words[k]
        f = fold(w.group())
        if f in _RECIPROCAL:
            return k + 1
        ment = self.by_start.get(w.start())
        if ment is not None and ment.end <= max(limit, w.end()):
            if ment.label == "PER":
                eid, nk = self._person(ment, words, k, m)
                add(eid)
                return nk
            if ment.label == "ORG" or (ment.label == "LOC" and self._ids and self._ids[-1].startswith("loc:")
                                       and fold(words[k - 1].group()) == "و"):
                # A country joined to a country acting (`مقامات ایران و عربستان`) acts too.
                add(ment.entity)
                return self._skip_mention(words, k, ment)
            return k + 1
        if f in COUNTERPART:
            return self._counterpart(words, k, add)
        if f in ROLE_HEADS or f in _MORE_ROLES:
            members = self._role_and_members(words, k, limit)
            if members is not None:
                if members:
                    add(members)
                # On to `و اعضای …`: the members come next, as a group of their own.
                return k + 1
            sp = self.resolver._role(w.start(), self._phrase_end(words, k, limit), f)
            if sp is not None:
                if sp.entity:
                    add(sp.entity)
                elif f not in _set("منبع مقام"):
                    # A person known only by a role (`سفیر لسوتو`): a participant, but no name to mark
                    # as a mention.
                    add(self._new(sp.text, "PER"))
            return self._index_at(words, k, sp.end if sp is not None else w.end())
        if f in _GROUP_OPENERS or f in BODY_HEADS:
            end = self._phrase_end(words, k, limit)
            inner = [x for x in self.mentions[bisect_left(self.mstarts, w.start()):bisect_left(self.mstarts, end)]
                     if x.end <= end]
            body = next((x for x in inner if x.label in ("ORG", "PER")), None)
            if body is not None and body.entity:
                add(body.entity)
            elif end > w.start():
                add(self._new(self.text[w.start():end], "ORG", (w.start(), end)))
            return self._index_at(words, k, end)
        run = self._plain_name(words, k, m)
        if run:
            add(self._new(self.text[words[k].start():words[k + run - 1].end()], "PER",
                          (words[k].start(), words[k + run - 1].end()), title=self._title_at(words, k + run, limit)))
            return k + run
        nxt = self.by_start.get(words[k + 1].start()) if k + 1 < len(words) else None
        if nxt is not None and nxt.label == "PER" and self._namelike(w.group()):
            # A first name the model left out before the name it tagged (`سرگئی` `لاوروف`): where a
            # participant stands, the two words are one name.
            if not self._place_word(w.group()) and not self.text[w.end():nxt.start].strip():
                after = self._skip_mention(words, k + 1, nxt)
                add(self._complete(nxt, w.start(), nxt.end, title=self._title_at(words, after, limit)))
                return after
            return self._slot(words, k + 1, add, m, limit=limit)
        return k + 1

    def _role_and_members(self, words: list[re.Match[str]], k: int, limit: int) -> str | None:
        """``رئیس و اعضای شورای رهبری حماس``: the role is of the body the members belong to, and its
        holder is whoever the article names with that title, before or after (``محمد اسماعیل درویش،
        رئیس شورای رهبری حماس``). Returns the holder's id, "" where no one (or several) holds it, or
        None where ``words[k]`` starts no such phrase."""
        if k + 2 >= len(words) or fold(words[k + 1].group()) != "و" or fold(words[k + 2].group()) not in _MEMBERS:
            return None
        end = self._phrase_end(words, k + 2, limit)
        lo, hi = bisect_left(self.mstarts, words[k + 2].end()), bisect_left(self.mstarts, end)
        body = next((x for x in self.mentions[lo:hi] if x.end <= end and x.label == "ORG"), None)
        if body is None:
            return None
        # The role's complement runs from after `اعضای` to the end of the body's name
        # (`رئیس و اعضای هیئت مدیره باشگاه …` → `رئیس هیئت مدیره باشگاه …`).
        holder = holder_of(self.doc, f"{words[k].group()} {self.text[words[k + 2].end():body.end].strip()}")
        return holder.id if holder is not None else ""

    def _counterpart(self, words: list[re.Match[str]], k: int, add: Any) -> int:
        """``همتای روسی خود``: the person in the article holding a role of that country, else the role."""
        if k + 1 >= len(words) or words[k + 1].group() in _PUNCT:
            return k + 1
        adj = words[k + 1].group()
        stem = fold_word(adj[:-1] if adj.endswith("ی") else adj)
        stems = {stem, stem[:-1] + "ه"} if stem.endswith("و") else {stem}  # فرانسوی → فرانسه
        found = [e.id for e in self.doc.entities if e.label == "PER" and any(
            st and any(fold_word(t).startswith(st) for x in e.titles for t in x.split()) for st in stems)]
        nk = k + 2
        if nk < len(words) and fold(words[nk].group()) in _set("خود خویش"):
            nk += 1
        # `با همتای ایرانی خود، مسعود پزشکیان،`: the name follows; it is read as the next slot.
        named = nk + (nk < len(words) and words[nk].group() in "،,")
        if named < len(words) and (self.by_start.get(words[named].start()) is not None
                                   and self.by_start[words[named].start()].label == "PER"):
            return named
        if len(found) == 1:
            add(found[0])
        else:
            add(self._new(f"{words[k].group()} {adj}", "PER"))
        return nk

    def _person(self, ment: Mention, words: list[re.Match[str]], k: int, m: re.Match[str]) -> tuple[str | None, int]:
        """A person's mention, completed by a plain word the model cut off (``هاکان`` + ``فیدان``)."""
        nk = self._skip_mention(words, k, ment)
        if 0 < k < len(words) and words[k].start() == ment.start:
            w = words[k - 1]
            opens = k == 1 or words[k - 2].group() in _PUNCT or fold(words[k - 2].group()) in _set("و با")
            if opens and w.start() not in self.by_start and self._namelike(w.group()) and not self._place_word(w.group()) \
                    and not self.text[w.end():ment.start].strip() and " " not in ment.text.strip() \
                    and not self._in_date(w.start()) and w.start() not in self.cue_starts:
                # A first name the model left out, opening the clause (`سرگئی` `لاوروف امروز …`).
                return self._complete(ment, w.start(), ment.end), nk
        nxt = self.by_start.get(words[nk].start()) if nk < len(words) else None
        if nxt is not None and nxt.label == "PER" and not self.text[ment.end:nxt.start].strip() \
                and " " not in ment.text.strip() and self._is_short_form(nxt):
            # The model opened a name twice (`سرگئی` `لاوروف`): where a participant stands, one person.
            return self._complete(ment, ment.start, nxt.end, absorb=nxt), self._skip_mention(words, nk, nxt)
        if nk < len(words) and self.by_start.get(words[nk].start()) is None and self._namelike(words[nk].group()) \
                and self._name_word(words[nk].group()) \
                and self._ends_name(words, nk + 1, m) and not self.text[ment.end:words[nk].start()].strip():
            return self._complete(ment, ment.start, words[nk].end(),
                                  title=self._title_at(words, nk + 1, m.start())), nk + 1
        return ment.entity, nk

    def _title_at(self, words: list[re.Match[str]], k: int, limit: int) -> str:
        """The role starting at ``words[k]``, right after a name (`رافائل گروسی مدیرکل آژانس …`), or ""."""
        if k + 1 < len(words) and words[k].group() in "،," and fold(words[k + 1].group()) in ROLE_HEADS:
            # In apposition: `محمد شیاع السودانی، نخست‌وزیر عراق،`.
            close = _next_comma(words, k + 1)
            if close > 0:
                return " ".join(self.text[words[k + 1].start():words[close - 1].end()].split())
        if k >= len(words) or fold(words[k].group()) not in ROLE_HEADS:
            return ""
        return " ".join(self.text[words[k].start():self._phrase_end(words, k, limit)].split())

    def _is_short_form(self, ment: Mention) -> bool:
        """Whether ``ment``'s entity is only the words of ``ment`` (no fuller name elsewhere)."""
        ent = self.doc.entity(ment.entity) if ment.entity else None
        return ent is not None and fold_word(ent.name) == fold_word(ment.text)

    def _complete(self, ment: Mention, start: int, end: int, *, title: str = "",
                  absorb: Mention | None = None) -> str | None:
        """The person of ``ment`` under the fuller name ``text[start:end]`` the model cut short
        (``هاکان`` + ``فیدان``, ``رافائل`` + ``گروسی``). Where the person's entity is only that short
        form, the entity is renamed and every mention and statement of it follows (one person, not
        two); otherwise the fuller name is a participant of its own."""
        name = " ".join(self.text[start:end].split())
        old = self.doc.entity(ment.entity) if ment.entity else None
        if old is None or fold_word(old.name) != fold_word(ment.text):
            return self._new(name, "PER", (start, end), title=title)
        eid = entity_id(name, "PER")
        # ``absorb``: a second mention the fuller name swallows, its entity too (`لاوروف`).
        gone = [old] + ([g] if absorb is not None and (g := self.doc.entity(absorb.entity or "")) is not None
                        and g.id != old.id else [])
        merged = self.doc.entity(eid)
        titles = (*(merged.titles if merged else ()), *(t for g in gone for t in g.titles), *((title,) if title else ()))
        aliases = (*(merged.aliases if merged else ()), *(a for g in gone for a in (*g.aliases, g.name)))
        ent = Entity(eid, name, "PER", tuple(dict.fromkeys(a for a in aliases if a != name)),
                     tuple(dict.fromkeys(titles)))
        old_ids = {g.id for g in gone}
        for g in gone:
            self.renamed[g.id] = eid
        self.doc.entities = [e for e in self.doc.entities if e.id not in old_ids | {eid}] + [ent]
        mentions = []
        for x in self.doc.mentions:
            if absorb is not None and x.start == absorb.start and x.end == absorb.end:
                self.by_start.pop(absorb.start, None)
                continue
            if x is ment or (x.start == ment.start and x.end == ment.end):
                x = self.doc.span(start, end, Mention, label="PER", entity=eid)
                self.by_start.pop(ment.start, None)
                self.by_start[start] = x
            elif x.entity in old_ids:
                new = replace(x, entity=eid)
                if self.by_start.get(x.start) is x:
                    self.by_start[x.start] = new
                x = new
            mentions.append(x)
        self.doc.mentions = sorted(mentions, key=lambda x: (x.start, -x.end))
        # The finder's own view follows, so a later slot sees the person under the new id.
        self.mentions = list(self.doc.mentions)
        self.mstarts = [x.start for x in self.mentions]
        self.doc.quotes = [replace(q, speaker=replace(q.speaker, entity=eid))
                           if q.speaker is not None and q.speaker.entity in old_ids else q for q in self.doc.quotes]
        self.added.append(eid)
        return eid

    # -- names ---------------------------------------------------------------------------------

    def _plain_name(self, words: list[re.Match[str]], k: int, m: re.Match[str]) -> int:
        """How many words from ``k`` make a name the model missed (0 if none)."""
        n = 0
        while k + n < len(words) and n < 4:
            w = words[k + n]
            if w.group() in _PUNCT or w.start() in self.by_start or not self._namelike(w.group()) \
                    or w.start() in self.cue_starts or w.start() == m.start():
                break
            n += 1
        if not 1 <= n <= 3 or not self._ends_name(words, k + n, m):
            return 0
        # A name has a word that is neither common nor a place (`رافائل گروسی`, not `جلسه مشترک`).
        if not any(self._name_word(w.group()) for w in words[k:k + n]):
            return 0
        return n

    def _namelike(self, word: str) -> bool:
        f = fold(word)
        return len(f) > 1 and f not in _NOT_NAME and not any(c.isdigit() for c in word)

    def _ends_name(self, words: list[re.Match[str]], k: int, m: re.Match[str]) -> bool:
        """Whether a name may end before ``words[k]``: punctuation, ``و``, a time word, the verb …"""
        if k >= len(words):
            return True
        w = words[k]
        f = fold(w.group())
        return (w.group() in _PUNCT or f == "و" or f in PREPOSITIONS or f in _TIME or f in _ADVERBS
                or w.start() in self.cue_starts or w.start() == m.start() or self._in_date(w.start())
                or f in _RECIPROCAL or f == fold("که") or f in ROLE_HEADS)

    def _name_word(self, word: str) -> bool:
        """A word that is evidence of a name: a person's in the lexicon, or rare and no place."""
        labels = self.lexicon.get(fold_word(word), ())
        if any(lab.startswith("PER") for lab in labels):
            return True
        return fold_word(word) not in self.common and not self._place_word(word)

    def _place_word(self, word: str) -> bool:
        return any(lab.startswith("LOC") or lab == "place" for lab in self.lexicon.get(fold_word(word), ()))

    # -- helpers -------------------------------------------------------------------------------

    def _in_date(self, pos: int) -> bool:
        i = bisect_left(self.date_starts, pos + 1) - 1
        return i >= 0 and self.date_spans[i][0] <= pos < self.date_spans[i][1]

    def _skip_mention(self, words: list[re.Match[str]], k: int, ment: Mention) -> int:
        while k < len(words) and words[k].start() < ment.end:
            k += 1
        return k

    @staticmethod
    def _index_at(words: list[re.Match[str]], k: int, pos: int) -> int:
        while k < len(words) and words[k].start() < pos:
            k += 1
        return max(k, 1)

    def _phrase_end(self, words: list[re.Match[str]], k: int, limit: int) -> int:
        """End of a role or group phrase from ``words[k]``: before a comma, a time word, ``در`` or the verb."""
        end = words[k].end()
        for w in words[k + 1:k + 9]:
            f = fold(w.group())
            if w.start() >= limit or w.group() in _PUNCT or f in _TIME or f in _ADVERBS or f in _MEETING_WORDS \
                    or f in _PHRASE_STOP or self._in_date(w.start()) or w.start() in self.cue_starts:
                break
            end = w.end()
        return end

    @staticmethod
    def _role_words(text: str) -> bool:
        """Whether ``text`` names someone by a role (`سفیر لسوتو`, `همتای روسی`)."""
        first = _WORDS.match(text.strip())
        return first is not None and fold(first.group()) in ROLE_HEADS | COUNTERPART | _MORE_ROLES

    def _new(self, name: str, label: str, span: tuple[int, int] | None = None, *, title: str = "") -> str:
        """The id of a participant the entity stage missed; its entity (with ``title`` if given, and,
        where no mention covers ``span``, a mention) is added to the document. Someone known only
        by a role (`سفیر لسوتو`, `همتای روسی`) gets a role's id
        (:func:`~khabar.pipeline.identity.role_id`) and no mention."""
        name = " ".join(name.split())
        role = label == "PER" and self._role_words(name)
        eid = role_id(name) if role else entity_id(name, label)
        if self.doc.entity(eid) is None:
            self.doc.entities.append(Entity(eid, name, label, titles=(title,) if title else ()))
            if label == "PER" and not role:
                self.added.append(eid)
        if role:
            return eid
        if span is not None and span[0] < span[1]:
            i = bisect_left(self.mstarts, span[1])
            if not any(x.end > span[0] for x in self.mentions[max(0, i - 8):i]):
                at = bisect_left([x.start for x in self.doc.mentions], span[0])
                self.doc.mentions.insert(at, self.doc.span(span[0], span[1], Mention, label=label, entity=eid))
        return eid

    def place(self, a: int, b: int) -> str | None:
        """A place the entity model missed, where a meeting's place stands (``در پکن``, ``وارد بغداد``)."""
        for w in _PLACE_SLOT.finditer(self.text, a, b):
            word = w.group("place")
            start, end = w.start("place"), w.end("place")
            if start in self.by_start or self._in_date(start):
                continue
            nxt = _NEXT_WORD.match(self.text, end, b)
            if word in _BUILDINGS and nxt is not None and self._namelike(nxt.group(1)) \
                    and fold_word(nxt.group(1)) not in self.common:
                # `در کاخ الیزه`: the building is the place.
                return self._new(self.text[start:nxt.end(1)], "LOC", (start, nxt.end(1)))
            if self._place_word(word) and fold_word(word) not in self.common:
                return self._new(word, "LOC", (start, end))
            if self._unknown_name(word) and nxt is not None and fold(nxt.group(1)) == fold("با"):
                # `در تیانجین با شی جین‌پینگ دیدار کرد`: a word no list knows, right before the other
                # side, stands where the place does.
                return self._new(word, "LOC", (start, end))
        return None

    def _unknown_name(self, word: str) -> bool:
        """A word no list holds and no common or function word: perhaps a name."""
        f = fold_word(word)
        return self._namelike(word) and f not in self.lexicon and f not in self.common and len(f) >= 3


def _next_comma(words: list[re.Match[str]], k: int) -> int:
    """Index of the first comma at or after ``words[k]``, or -1."""
    return next((j for j in range(k, len(words)) if words[j].group() in "،,"), -1)


_PLACE_SLOT = re.compile(rf"(?<![\w{ZWNJ}])(?:در|وارد|سفر(?:ی)?\s+به)\s+(?P<place>[\w{ZWNJ}]+)")
_NEXT_WORD = re.compile(rf"\s+([\w{ZWNJ}]+)")
_BUILDINGS = frozenset(["کاخ", "مقر", "ساختمان", "هتل"])
