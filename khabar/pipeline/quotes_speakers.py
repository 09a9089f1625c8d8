"""Who is speaking: the speaker of a cue, as a span and an entity id.

The subject of a Persian statement stands before its verb, usually first in the clause. The resolver
reads the clause before the cue (the *zone*) word by word and takes the first of:

- a PER or ORG mention (a place only first in the clause: ``چین اعلام کرد``), with a group noun
  before it kept in the span (``رهبران حماس``);
- a pronoun (``وی``, ``او``, ``ایشان``): the subject of the nearest earlier sentence or statement,
  honorific ones (``ایشان``, or a plural verb after a singular pronoun) preferring a person spoken of
  with honorifics;
- ``این`` + an anaphoric noun (``این جنبش``, ``این منبع``): the last speaker;
- a role (``سخنگوی دستگاه دیپلماسی``, ``رهبر انقلاب اسلامی``): the person in the article holding
  that title (or one with the same head: ``رهبر``), else the role itself with no entity;
- a group (``منابع آگاه``, ``یکی از نمایندگان``): the group, with the entity it names if any.

Words after a preposition (``با``, ``به``, ``خطاب به`` …) are adjuncts, not subjects, until a comma
or ``که`` closes them. A clause with no subject (``و تأکید کردند``) keeps the speaker of the
statement it is joined to, or of the statement or subject just before.

>>> from khabar.pipeline import analyze
>>> [q.speaker.text for q in analyze("منابع آگاه گفتند که توافق نزدیک است.").quotes]
['منابع آگاه']
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import replace
from functools import lru_cache
from typing import Any

from khabar.document import Document, Entity, Mention, Quote, Speaker
from khabar.pipeline.identity import holder_of
from khabar.text.chars import ZWNJ
from khabar.text.fold import Fold, fold_word

_WORDS = re.compile(rf"[\w{ZWNJ}]+|[،,؛;:«»]")
# Letters and hamza/alef spellings unified, ZWNJs and spaces gone: `رئیس‌جمهور` is `رییس جمهور`.
_FOLD = Fold(letters="spelling", digits=False, zwnj="drop", invisible=False, marks=False, tatweel=False,
             spaces="drop")


@lru_cache(maxsize=65536)
def fold(s: str) -> str:
    """Spelling-insensitive key: no ZWNJ or spaces, Arabic look-alikes unified.

    >>> fold("رئیس‌جمهور") == fold("رییس جمهور")
    True
    """
    return _FOLD(s)


# How many sentences after a person's statement a bare role may still be that person (see _recent_untitled).
_UNTITLED_REACH = 4


def _set(words: str) -> frozenset[str]:
    return frozenset(fold(w) for w in words.split())


PREPOSITIONS = _set("با به از در بر برای درباره دربارهٔ علیه میان نزد تا نسبت پیرامون خطاب همراه همتای "
                    "بدون جز مانند مثل همچون طی ضمن پس پیش حین هنگام توسط وسیله سوی")
PRONOUNS = _set("وی او ایشان")
HONORIFIC_PRONOUNS = _set("ایشان")
# Nouns that `این` turns into a reference to someone already named (`این جنبش`, `این منبع`).
ANAPHORIC = _set("جنبش سازمان وزارتخانه نهاد منبع منابع مقام گروه حزب مرکز شورا دولت رژیم شخص فرد بانک "
                 "شرکت ارگان تشکل ائتلاف گروهک دستگاه مسئول مقام‌ها مقامات کارگروه هیئت هیات کمیسیون کمیته "
                 "اتحادیه")
# Heads of a person's role: a phrase starting with one names an office.
ROLE_HEADS = _set(
    "رئیس رییس رئیس‌جمهور رئیس‌جمهوری رئیس‌کل رئیسه معاون رهبر وزیر سخنگو سخنگوی دبیرکل دبیر فرمانده "
    "نماینده سفیر مدیر مدیرعامل مدیرکل عضو استاندار فرماندار شهردار دادستان نخست‌وزیر پادشاه ولیعهد مشاور "
    "دستیار سرپرست قائم‌مقام جانشین مسئول مسؤول کارشناس تحلیلگر مفتی سرمربی مربی قاضی امیر ملکه رایزن کنسول "
    "وکیل مقام منبع نایب‌رئیس امام خطیب دیپلمات "
    "نخست"  # `نخست وزیر`, spelled apart (a matter of style the restorer keeps)
)
# Heads whose holder is usually unique in an article, so a bare head may find them (`رهبر …`).
UNIQUE_HEADS = _set("رهبر رئیس‌جمهور رئیس‌جمهوری نخست‌وزیر دبیرکل سخنگوی سخنگو پادشاه ولیعهد")
# Bodies that speak (`وزارت امور خارجه چین اعلام کرد`).
BODY_HEADS = _set("وزارت وزارتخانه سازمان دولت ارتش پلیس مجلس ستاد شورای شورا کمیسیون کمیته حزب جنبش "
                  "استانداری فرمانداری شهرداری بخشداری سفارت کنسولگری دانشگاه پژوهشگاه فدراسیون باشگاه "
                  "هفته‌نامه ماهنامه نشریه مجله شبکه پایگاه "
                  "مرکز دفتر کاخ بنیاد اتحادیه دادگاه قوه نیروی سپاه بانک شرکت گروه کرملین پنتاگون "
                  "انجمن خبرگزاری روزنامه بیانیه کارگروه هیئت هیات")
# Plural nouns of groups that speak.
GROUP_HEADS = _set(
    "رهبران مقامات مقام‌ها مسئولان مسؤولان سران اعضای نمایندگان کارشناسان فعالان منابع شاهدان ساکنان معترضان "
    "مراجع وزیران وزرای سخنگویان فرماندهان پزشکان دانشمندان تحلیلگران ناظران دیپلمات‌ها دیپلمات‌های "
    "نظامیان مردم دانشجویان کارگران پژوهشگران متخصصان اساتید استادان مدیران شهروندان بازیکنان هواداران "
    "مسئولین مسؤولین "
    # people named by what they are in a story (`پدر در پاسخ گفت`, `این دو مرد ادعا کردند`)
    "پدر مادر همسر مرد زن مردان زنان"
)
# Bodies a role may name by `این`/`آن` (`مدیر این مؤسسه`).
_DEMONSTRATED = BODY_HEADS | ANAPHORIC | _set("مؤسسه موسسه تیم باشگاه استان شهر کشور دانشکده مدرسه بیمارستان اداره")
# Verbs that end a clause before و (`… شده و X گفت`).
_CLAUSE_VERBS = _set("است شد شده بود کرد کرده دارد داشت شدند کردند بودند هستند نیست گرفت گرفته")
# Words that end a speaker's phrase: adverbs, time words, conjunctions.
STOP = _set("نیز همچنین هم اما ولی که امروز دیروز روز صبح عصر شب بامداد پس سپس را و ضمن طی این آن همین "
            "در با به از برای بر تا درباره علیه خطاب همراه پیش قبل بعد هنگام حین "
            # adverbs of time that end a speaker's phrase (`سخنگوی کرملین … پیشتر گفته بود`)
            "پیشتر پیش‌تر قبلا قبلاً اخیرا اخیراً بعدا بعداً همچنان فردا") | PRONOUNS
ADVERBS = _set("نیز همچنین هم اما ولی سپس بعد همچنان نیز، در این دیدار")
# Honorifics and ranks written before a name; never a speaker themselves.
HONORIFIC_WORDS = _set("آیت‌الله آیت‌الله‌العظمی آیت‌اللّه حجت‌الاسلام حجت‌الاسلام‌والمسلمین والمسلمین حجه‌الاسلام "
                       "سردار سرلشکر سرتیپ سرهنگ سپهبد دریادار دریابان امیر دکتر مهندس شهید حاج حاجی شیخ آقای خانم "
                       "جناب سرکار مرحوم علامه پروفسور")
HONORIFIC_TITLES = _set("آیت‌الله آیت‌الله‌العظمی حجت‌الاسلام حجت‌الاسلام‌والمسلمین امام حضرت آیت مقام")
_MAX_NP_WORDS = 8
_APPOSITION = re.compile(r"\s*[،,]\s*")
_APPOSITION_END = re.compile(r"\s*[،,]")
# `یکی از …`, `سه تن از …`, `برخی از …`: some of a group.
_ONE_OF = re.compile(rf"(?:یکی|(?:دو|سه|چهار|پنج|چند)\s+(?:تن|نفر)|برخی|تعدادی|شماری|بسیاری)(?:\s+دیگر)?\s+از\s+"
                     rf"(?=[\w{ZWNJ}])")
QUANTIFIERS = _set("یک یکی دو سه چهار پنج چند برخی تعدادی شماری بسیاری")
_NEXT_WORD = re.compile(rf"\s*([\w{ZWNJ}]+)")
_LAST_WORD = re.compile(rf"([\w{ZWNJ}]+)\s+$")
ANAPHORIC_ALL = ANAPHORIC | ROLE_HEADS | GROUP_HEADS
# After a bare-name subject: an adverb or the cue itself (the zone ends there).
_DATELINE_AFTER = re.compile(r"\s*[-ـ–—:]")
_TIME_WORDS = _set("روز امروز دیروز صبح عصر شب بامداد ظهر شامگاه")
_SUBJECT_ADVERBS = _set("نیز هم همچنین اما")
_LEADING = _set("اما ولی سپس همچنین و بنابراین ضمنا ضمناً")
_AFTER_SUBJECT = _set("نیز هم همچنین اما سپس ، ,")
DEMONSTRATIVES = _set("این آن همین همان")
# Nouns of adverbial frames: `در ادامه`, `در پایان`, `در حاشیه …`.
FRAME_NOUNS = _set("ادامه پایان ابتدا آغاز جریان خلال")
# Openers of a clause that are not names.
_NOT_NAMES = _set("این آن همین چنین یک یکی وی او ایشان ما آنها آن‌ها بسیاری برخی همه هر هیچ چند")


class SpeakerResolver:
    """Resolves the speaker of each statement of a document (see the module docstring)."""

    def start(self, doc: Document) -> _DocResolver:
        """A resolver for one document, remembering who has spoken."""
        return _DocResolver(self, doc)

    @staticmethod
    def is_title(phrase: str) -> bool:
        """Whether a phrase is a role (``رئیس قوه قضاییه``).

        >>> SpeakerResolver.is_title(" رئیس قوه قضاییه")
        True
        """
        words = _WORDS.findall(phrase)
        return bool(words) and fold(words[0]) in ROLE_HEADS

    @staticmethod
    def skip_subject(doc: Document, start: int, limit: int, by_start: dict[int, Mention] | None = None) -> int:
        """``start`` moved past a subject and adverbs that open a clause (``ایشان همچنین …``).

        >>> from khabar.document import Document
        >>> doc = Document.from_raw("ایشان همچنین ایمان را سلاح دانستند")
        >>> doc.text[SpeakerResolver.skip_subject(doc, 0, 21):]
        'ایمان را سلاح دانستند'
        """
        text = doc.text
        if by_start is None:
            by_start = {m.start: m for m in doc.mentions}
        pos = start
        while pos < limit:
            m = _NEXT_WORD.match(text, pos)
            if not m or m.end() > limit:
                break
            w = fold(m.group(1))
            ment = by_start.get(m.start(1))
            if ment is not None and ment.end < limit and ment.label in ("PER", "ORG"):
                pos = ment.end
                continue
            if w in PRONOUNS or w in _set("نیز همچنین هم اما ولی سپس"):
                pos = m.end()
                continue
            if w in ROLE_HEADS or w in GROUP_HEADS:
                # A role as subject: up to its end (the next stop word).
                # Past the limit by `را`, so the object before it is told from the role; a group is its
                # noun and one modifier here (`فعالان بازار | کاهش قیمت دلار را …`).
                end = min(limit, _np_end(text, m.start(1), min(len(text), limit + 4), [],
                                         max_words=2 if w in GROUP_HEADS else _MAX_NP_WORDS))
                pos = end
                continue
            # A name the entity model missed, marked by the adverb after it (`گروسی اما …`, `فیدان نیز …`).
            ahead = list(_WORDS.finditer(text, m.start(1), limit))[:4]
            adverb = next((i for i, x in enumerate(ahead) if fold(x.group()) in _SUBJECT_ADVERBS), None)
            if adverb and all(fold(x.group()) not in STOP and fold(x.group()) not in PREPOSITIONS
                              and x.group() not in "،,؛;:«»" for x in ahead[:adverb]):
                pos = ahead[adverb].end()
                continue
            break
        while pos < limit and text[pos].isspace():
            pos += 1
        return pos


# Words a role's short form leaves out (`وزیر خارجه` for `وزیر امور خارجه`).
_FILLERS = _set("امور کل")


def lead_roles(doc: Document, quotes: list[Quote], *, lead_sentences: int = 2, look_ahead: int = 3) -> list[Quote]:
    """News leads name a speaker by role and the body by name (`رئیس دانشگاه آزاد اسلامی گفت: …` …
    `به گزارش …، محمدمهدی طهرانچی … گفت`). A statement in the first sentences whose speaker is a role
    with no holder is given to the first person named as a speaker in the next statements, where
    that person has no other role in the article; so are the later statements under the same role."""
    entities = {e.id: e for e in doc.entities}
    lead_end = doc.sentences[lead_sentences].start if len(doc.sentences) > lead_sentences else len(doc.text)
    out = list(quotes)
    for i, q in enumerate(out):
        sp = q.speaker
        if sp is None or sp.entity is not None or q.cue.start >= lead_end:
            continue
        words = _WORDS.findall(sp.text)
        if not words or fold(words[0]) not in ROLE_HEADS:
            continue
        holder = None
        for later in out[i + 1:i + 1 + look_ahead]:
            ls = later.speaker
            ent = entities.get(ls.entity or "") if ls is not None else None
            if ent is not None and ent.label == "PER" and not _starts_with_role(ent.name):
                if all(fold(t) in HONORIFIC_TITLES | HONORIFIC_WORDS or fold(t) == fold(sp.text) for t in ent.titles):
                    holder = ent.id
                break
        if holder is None:
            continue
        role = fold(sp.text)
        for j in range(i, len(out)):
            other = out[j].speaker
            if other is not None and other.entity is None and fold(other.text) == role:
                out[j] = replace(out[j], speaker=replace(other, entity=holder))
    return out


def persons_inside(mentions: list[Mention]) -> bool:
    return any(m.label == "PER" for m in mentions)


def opening_credit_end(doc: Document) -> int:
    """Where a credit that opens its line near the top ends (`به گزارش ایسنا،`, `تهران - ایرنا -`),
    or -1: what follows it is a clause of its own. A credit inside a clause (`X در گفت‌وگو با ایسنا
    گفت`) leaves its subject before it."""
    src = doc.source
    if src is None or src.span.start >= 400:
        return -1
    line_start = doc.text.rfind("\n", 0, src.span.start) + 1
    return src.span.end if not doc.text[line_start:src.span.start].strip() else -1


class _DocResolver:
    def __init__(self, owner: SpeakerResolver, doc: Document) -> None:
        self.doc = doc
        self.text = doc.text
        self.mentions: list[Mention] = sorted(doc.mentions, key=lambda m: m.start)
        self.mstarts = [m.start for m in self.mentions]
        self.by_start: dict[int, Mention] = {m.start: m for m in self.mentions}
        # A dateline or opening credit is not part of the first sentence's clause.
        self.credit_end = opening_credit_end(doc)
        self.by_entity: dict[str, list[int]] = {}
        for m in self.mentions:
            if m.entity:
                self.by_entity.setdefault(m.entity, []).append(m.start)
        self.entities: dict[str, Entity] = {e.id: e for e in doc.entities}
        self.sstarts = [s.start for s in doc.sentences]
        self.history: list[tuple[int, Speaker, bool]] = []  # (cue start, speaker, plural verb)
        self.hpos: list[int] = []  # cue starts of ``history``, for bisection
        self.spoken_by: dict[str, list[int]] = {}  # entity -> cue starts of its statements
        self.content_end: dict[int, int] = {}  # cue start -> where that statement's words end
        self.honorific: set[str] = {e.id for e in doc.entities
                                    if any(fold(t) in HONORIFIC_TITLES or fold(t).startswith("ایت")
                                           for t in e.titles)}

    # -- the public step -----------------------------------------------------------------------

    def resolve(self, zone: tuple[int, int], *, cue_text: str, plural: bool, shared: Speaker | None,
                content: tuple[int, int]) -> Speaker | None:
        a, b = zone
        if a <= content[0] < b:
            # The statement stands before its verb (`… را … دانست`): the subject precedes it.
            b = content[0]
        found = self._scan(a, b, plural) if b > a else None
        if found is None and b > a:
            found = self._bare_name(a, b)
        if found is not None:
            return found
        if shared is not None:
            return shared
        return self._zero_subject(b)

    def said(self, quote: Quote) -> None:
        if quote.speaker is not None:
            plural = quote.cue.text.endswith("ند") or quote.cue.text.endswith("اند")
            self.history.append((quote.cue.start, quote.speaker, plural))
            self.hpos.append(quote.cue.start)
            self.content_end[quote.cue.start] = quote.content.end
            if quote.speaker.entity:
                self.spoken_by.setdefault(quote.speaker.entity, []).append(quote.cue.start)
            if plural and quote.speaker.entity and self._is_person(quote.speaker.entity):
                ent = self.entities.get(quote.speaker.entity)
                # A named person with a plural verb is spoken of with honorifics.
                if ent is not None and fold(quote.speaker.text) not in PRONOUNS:
                    self.honorific.add(ent.id)

    # -- reading the zone ----------------------------------------------------------------------

    def _scan(self, a: int, b: int, plural: bool) -> Speaker | None:
        # `… تبدیل شده و برخی کارشناسان معتقدند`, `… جویا شد و پدر در پاسخ گفت`: the clause a verb and و
        # open last holds the subject; where it names none, the whole zone is read.
        words = list(_WORDS.finditer(self.text, a, b))
        for k in range(len(words) - 2, 0, -1):
            if fold(words[k].group()) == "و" and fold(words[k - 1].group()) in _CLAUSE_VERBS:
                found = self._scan_from(words[k + 1].start(), b, plural)
                if found is not None:
                    return found
                break
        return self._scan_from(a, b, plural)

    def _scan_from(self, a: int, b: int, plural: bool) -> Speaker | None:
        text = self.text
        in_pp = False
        prev = ""
        i = bisect_left(self.mstarts, a)
        words = list(_WORDS.finditer(text, a, b))
        k = 0
        while k < len(words):
            w = words[k]
            word = w.group()
            f = fold(word)
            if word in "،,؛;:":
                in_pp = False
                prev = ""
                k += 1
                continue
            if f == "که":
                in_pp = False
            if f in PREPOSITIONS:
                in_pp = True
                prev = f
                k += 1
                continue
            if f in HONORIFIC_WORDS:
                # `حجت‌الاسلام والمسلمین محسن قمی`: honorifics before a name (even when tagged as one).
                k += 1
                continue
            # A mention starting here.
            while i < len(self.mentions) and self.mentions[i].start < w.start():
                i += 1
            ment = self.mentions[i] if i < len(self.mentions) and self.mentions[i].start == w.start() else None
            if not in_pp and f in ROLE_HEADS and prev == "" and k >= 2 and words[k - 1].group() in "،,":
                # `دمیتری پسکوف، سخنگوی کرملین، …`: plain words, then a role in apposition (tagged or
                # not) — the words are a name the entity model missed.
                named = self._name_before(a, words[k - 1].start())
                if named is not None:
                    return named
            if not in_pp:
                if ment is not None and ment.end <= b and _DATELINE_AFTER.match(self.text, ment.end) \
                        and len(_WORDS.findall(self.text, ment.end, b)) > 2:
                    # `لندن - ایرنا: …`: a dateline inside the text names no speaker.
                    ment = None
                if ment is not None and ment.end <= b:
                    sp = self._from_mention(ment, first=(k == 0 or prev == ""), b=b)
                    if sp is not None and ment.label == "LOC":
                        # A country speaks (`چین اعلام کرد`) unless someone else does later in the clause
                        # (`لندن - ایرنا: هفته‌نامه … چاپ لندن نوشت`).
                        later = self._scan_from(ment.end, b, plural)
                        return later if later is not None else sp
                    if sp is not None:
                        return sp
                if f in PRONOUNS:
                    return self._pronoun(w.start(), w.end(), honorific=f in HONORIFIC_PRONOUNS or plural)
                if f == fold("این") and k + 1 < len(words) and fold(words[k + 1].group()) in ANAPHORIC_ALL:
                    return self._anaphor(w.start(), words[k + 1].end())
                if 1 <= k <= 4 and (f in ROLE_HEADS or (f in QUANTIFIERS and _ONE_OF.match(text, w.start()))):
                    # `گری اونیل یکی دیگر از بازیکنان …`, `یورگ مولر سخنگوی …`: plain words that read as a
                    # name, then the role they hold (no comma): the name the entity model missed.
                    named = self._plain_name(words[:k], a)
                    if named is not None:
                        return named
                if f in GROUP_HEADS or f in ROLE_HEADS or f in BODY_HEADS or (
                        f in QUANTIFIERS and k + 1 < len(words)
                        and (fold(words[k + 1].group()) in ROLE_HEADS | GROUP_HEADS | _set("از")
                             or _ONE_OF.match(self.text, w.start()) is not None)):
                    return self._role(w.start(), b, f)
            if ment is not None:
                # Skip the whole mention; its inner words are no subject.
                while k < len(words) and words[k].start() < ment.end:
                    k += 1
                prev = "x"
                continue
            nxt = fold(words[k + 1].group()) if k + 1 < len(words) else ""
            if in_pp and _closes_adverbial(prev, f, nxt):
                in_pp = False
            prev = f
            k += 1
        return None

    def _name_before(self, a: int, comma: int) -> Speaker | None:
        """Plain words (one to four, no stop words or mentions) from ``a`` to a comma, as a name."""
        words = [w for w in _WORDS.finditer(self.text, a, comma) if w.group() not in "،,؛;:«»"]
        if not 1 <= len(words) <= 4:
            return None
        if any(fold(w.group()) in STOP or fold(w.group()) in PREPOSITIONS or fold(w.group()) in _NOT_NAMES
               or fold(w.group()) in ROLE_HEADS or w.start() in self.by_start for w in words):
            return None
        return self._link_name(words[0].start(), words[-1].end(), a)

    def _plain_name(self, words: list[re.Match[str]], a: int) -> Speaker | None:
        """Words (after a conjunction or honorific) that read as a name: one to three, none a stop,
        role or common word unless the model's lexicon knows it as a name, none inside a mention."""
        while words and (fold(words[0].group()) in _LEADING or fold(words[0].group()) in HONORIFIC_WORDS):
            words = words[1:]
        if not 1 <= len(words) <= 3:
            return None
        for w in words:
            f = fold(w.group())
            if (not w.group().isalpha() or f in STOP or f in PREPOSITIONS or f in _NOT_NAMES or f in ROLE_HEADS
                    or f in GROUP_HEADS or f in BODY_HEADS or not _name_like(w.group())
                    or self._in_mention(w.start())):
                return None
        return self._link_name(words[0].start(), words[-1].end(), a)

    def _in_mention(self, pos: int) -> bool:
        i = bisect_right(self.mstarts, pos) - 1
        return i >= 0 and self.mentions[i].end > pos

    def _link_name(self, start: int, end: int, a: int) -> Speaker:
        """A name span, linked to an earlier person whose name it completes or ends, if any."""
        key = fold(self.text[start:end])
        for m in self.mentions:
            if m.start >= a or m.label != "PER" or not m.entity:
                continue
            ent = self.entities.get(m.entity)
            names = [fold(x) for x in ((ent.name, *ent.aliases) if ent else (m.text,))]
            after = fold(self.text[m.start:min(len(self.text), m.end + len(key) + 2)])
            if any(nm.endswith(key) or key.endswith(nm) for nm in names) or after.endswith(key):
                return self._span(start, end, m.entity)
        return self._span(start, end, None)

    def _bare_name(self, a: int, b: int) -> Speaker | None:
        """A subject the entity model missed: a few plain words opening the clause (``فیدان نیز …``).

        It is linked to a person whose name it completes or ends (``هاکان`` tagged, ``هاکان فیدان``
        written), and kept without an entity otherwise, which beats borrowing the last speaker.
        """
        words = list(_WORDS.finditer(self.text, a, b))
        # Conjunctions, adverbs, honorifics and an object (`این را`) before the name
        # (`اما مونتی … گفت`, `«…»؛ این را مسعود پزشکیان … گفت`).
        while words and (fold(words[0].group()) in _LEADING or fold(words[0].group()) in HONORIFIC_WORDS
                         or words[0].group() in "،,؛;:«»"
                         or (len(words) > 1 and fold(words[0].group()) in DEMONSTRATIVES
                             and fold(words[1].group()) == "را")):
            if len(words) > 1 and fold(words[1].group()) == "را" and fold(words[0].group()) in DEMONSTRATIVES:
                words.pop(0)
            words.pop(0)
        if words:
            a = words[0].start()
        n = 0
        for w in words:
            f = fold(w.group())
            if w.group() in "،,؛;:«»" or f in STOP or f in PREPOSITIONS or f in _NOT_NAMES or w.group().isdigit():
                break
            n += 1
        # A name is followed by an adverb, an adverbial phrase (`الفیاض در این دیدار …`) or the cue.
        # (One word at least reads as a name: `نمی‌توان گفت` is no speaker.)
        if n == 0 or n > 3 or not any(_name_like(w.group()) for w in words[:n]) or (
                n < len(words) and fold(words[n].group()) not in _AFTER_SUBJECT
                               and fold(words[n].group()) not in PREPOSITIONS
                               and fold(words[n].group()) not in _TIME_WORDS):
            return None
        return self._link_name(words[0].start(), words[n - 1].end(), a)

    def _from_mention(self, ment: Mention, *, first: bool, b: int) -> Speaker | None:
        text = self.text
        if ment.label == "LOC" and not first:
            return None
        if ment.label not in ("PER", "ORG", "LOC"):
            return None
        words = _WORDS.findall(ment.text)
        if words and fold(words[0]) in ROLE_HEADS:
            # A role tagged as a person (`رهبر انقلاب اسلامی`): find who holds it.
            holder = self._holder(ment.text, ment.start)
            if holder is not None:
                return self._span(ment.start, ment.end, holder)
        # A group noun right before the mention belongs to the speaker (`رهبران حماس`).
        before = text[max(0, ment.start - 30):ment.start]
        g = _LAST_WORD.search(before)
        start = ment.start
        if g and fold(g.group(1)) in GROUP_HEADS:
            start = ment.start - len(before) + g.start(1)
        return self._span(start, self._name_end(ment, b), ment.entity)

    def _name_end(self, ment: Mention, b: int) -> int:
        """End of a person's name the model cut short (`حسین` tagged in `حسین کرمانپور گفت`).

        One plain word after the mention is taken when what follows it is a comma, an adverb, a
        preposition or the cue — where a name ends — and the word is no role, stop word or mention.
        """
        if ment.label != "PER":
            return ment.end
        words = list(_WORDS.finditer(self.text, ment.end, min(b, ment.end + 60)))
        nxt = self.by_start.get(words[0].start()) if words else None
        if nxt is not None and nxt.label == "PER" and not self.text[ment.end:nxt.start].strip():
            # The model split one name in two (`حسین` `کرمانپور`).
            return nxt.end
        if not words or words[0].group() in "،,؛;:«»" or nxt is not None:
            return ment.end
        f = fold(words[0].group())
        if f in STOP or f in PREPOSITIONS or f in ROLE_HEADS or f in GROUP_HEADS or f in _NOT_NAMES:
            return ment.end
        after = fold(words[1].group()) if len(words) > 1 else ""
        if len(words) == 1 or words[1].group() in "،," or after in _SUBJECT_ADVERBS or after in PREPOSITIONS:
            return words[0].end()
        return ment.end

    def _role(self, start: int, b: int, head: str) -> Speaker:
        lo, hi = bisect_left(self.mstarts, start), bisect_left(self.mstarts, b)
        inner = [m for m in self.mentions[lo:hi] if m.end <= b]
        # `یکی از …` takes the group after `از` (`یکی از اعضای کمیسیون برنامه و بودجه`). A statement
        # standing before its verb has already cut the zone where the speaker's phrase must end.
        of = _ONE_OF.match(self.text, start)
        end = _np_end(self.text, of.end() if of else start, b, inner)
        phrase = self.text[start:end]
        inside = [m for m in inner if m.end <= end]
        persons = [m for m in inside if m.label == "PER" and not _starts_with_role(m.text)]
        if persons:
            return self._span(start, persons[0].end, persons[0].entity)
        if head in GROUP_HEADS or head in QUANTIFIERS:
            ent = inside[0].entity if inside and head not in QUANTIFIERS else None
            return self._span(start, end, ent)
        if head in BODY_HEADS:
            orgs = [m for m in inside if m.label in ("ORG", "LOC")]
            return self._span(start, end, orgs[0].entity if orgs and orgs[0].label == "ORG" else None)
        appos = _APPOSITION.match(self.text, end)
        if appos is not None:
            # `دبیر جشنواره، مهدی آذرپندار، … گفت`: the name in apposition after the role is its holder.
            person = self.by_start.get(appos.end())
            if person is not None and person.label == "PER" and _APPOSITION_END.match(self.text, person.end):
                return self._span(start, person.end, person.entity)
        holder = self._holder(phrase, start)
        if holder is None:
            titled = [m for m in inside if m.label == "PER"]
            holder = titled[0].entity if titled else None
        also = _NEXT_WORD.match(self.text, end)
        # (A role names its body or place, `مدیرکل … وزارت آموزش و پرورش`; only a person inside it is
        # someone else.)
        if holder is None and not persons_inside(inside) and head not in _set("منبع مقام کارشناس") and not (
                also is not None and fold(also.group(1)) in _set("نیز هم")):
            # (`X نیز گفت`: `نیز` says X is someone else than the one just quoted.)
            holder = self._recent_untitled(start)
            if holder is None:
                # The person just quoted has a name but no entity (the model missed it): show the name.
                # (A role may name its body: `سرمربی امیدهای استقلال`.)
                named = self._recent_unlinked_name(start)
                if named is not None:
                    return named
        return self._span(start, end, holder)

    def _recent_unlinked_name(self, pos: int) -> Speaker | None:
        if not self.history:
            return None
        p, sp, _ = self.history[-1]
        si = bisect_right(self.sstarts, pos) - 1
        words = _WORDS.findall(sp.text)
        # (Near the end of that statement's words, which may run over several sentences.)
        last = min(max(p, self.content_end.get(p, p) - 1), pos)
        # (Only someone quoted before: meetings are read after every statement is.)
        if (sp.entity is not None or p > pos or bisect_right(self.sstarts, last) - 1 < si - 1 or not words
                or fold(words[0]) in ROLE_HEADS | GROUP_HEADS | BODY_HEADS | PRONOUNS | _set("یک یکی این")
                # (A name, not a group or body the resolver gave no entity: `مقام‌های ایران`.)
                or not all(_name_like(w) for w in words)):
            return None
        return sp

    def _recent_untitled(self, pos: int) -> str | None:
        """The last speaker, when a bare role follows a named person whose role the article never gave.

        ``مسعود پزشکیان … گفت … رئیس‌جمهور افزود``: a role with no holder in the article most likely
        belongs to the person just quoted, as long as nothing gave that person a different role.
        """
        if not self.history:
            return None
        p, sp, _ = self.history[-1]
        si = bisect_right(self.sstarts, pos) - 1
        # (Near the end of that statement's words, which may run over several sentences.)
        last = min(max(p, self.content_end.get(p, p) - 1), pos)
        if p > pos or sp.entity is None:
            return None
        if bisect_right(self.sstarts, last) - 1 < si - 1 and not (
                # (Or a few sentences on, where no one else was named since: an interview's next answer.)
                bisect_right(self.sstarts, p) - 1 >= si - _UNTITLED_REACH and not self._other_person(p, pos, sp.entity)):
            return None
        ent = self.entities.get(sp.entity)
        if ent is None or ent.label != "PER" or any(fold(t) not in HONORIFIC_TITLES for t in ent.titles):
            return None
        return ent.id

    def _other_person(self, a: int, b: int, entity: str) -> bool:
        """Whether a person other than ``entity`` is mentioned between ``a`` and ``b``."""
        lo, hi = bisect_left(self.mstarts, a), bisect_left(self.mstarts, b)
        return any(m.label == "PER" and m.entity != entity for m in self.mentions[lo:hi])

    # -- references ----------------------------------------------------------------------------

    def _holder(self, phrase: str, before: int) -> str | None:
        """The person in the article holding the role ``phrase``, most recently mentioned first.

        The entities stage knows equivalent roles (``رهبر انقلاب`` = ``رهبر جمهوری اسلامی``); its
        answer is taken first when that person was named before.
        """
        known = holder_of(self.doc, phrase.strip())
        if known is not None and self._last_seen(known.id, before) >= 0:
            return known.id
        key = fold(phrase)
        words = _WORDS.findall(phrase)
        head = fold(words[0]) if words else ""
        exact: list[tuple[int, str]] = []
        by_head: list[tuple[int, str]] = []
        for e in self.entities.values():
            if e.label != "PER" or _starts_with_role(e.name):
                continue
            seen = self._last_seen(e.id, before)
            if seen < 0:
                continue
            for t in e.titles:
                ft = fold(t)
                if not ft:
                    continue
                if ft == key or ft.startswith(key) or key.startswith(ft) or (
                        len(words) >= 2 and {fold(w) for w in words} <= {fold(w) for w in _WORDS.findall(t)} | _FILLERS):
                    # (`وزیر خارجه کانادا` is the `وزیر امور خارجه کانادا` named before.)
                    exact.append((seen, e.id))
                elif head in UNIQUE_HEADS and _WORDS.findall(t) and fold(_WORDS.findall(t)[0]) == head:
                    by_head.append((seen, e.id))
        for pool in (exact, by_head):
            if pool:
                return max(pool)[1]
        return None

    def _last_seen(self, entity: str, before: int) -> int:
        starts = self.by_entity.get(entity, [])
        i = bisect_left(starts, before)
        best = starts[i - 1] if i else -1
        spoken = self.spoken_by.get(entity, [])
        j = bisect_left(spoken, before)
        if j:
            best = max(best, spoken[j - 1])
        return best

    def _pronoun(self, start: int, end: int, *, honorific: bool) -> Speaker | None:
        ante = self._antecedent(start, honorific=honorific)
        if ante is None:
            return self._span(start, end, None)
        if ante.entity is not None:
            return self._span(start, end, ante.entity)
        # No identity to point at: show who it is by the antecedent's own words.
        return ante

    def _anaphor(self, start: int, end: int) -> Speaker | None:
        if self.history:
            last = self.history[-1][1]
            if last.entity is not None:
                return self._span(start, end, last.entity)
            return last
        return self._span(start, end, None)

    def _antecedent(self, pos: int, *, honorific: bool) -> Speaker | None:
        """The subject of the nearest earlier sentence or statement (an honorific one if asked)."""
        si = max(0, bisect_right(self.sstarts, pos) - 1)
        candidates: list[Speaker] = []
        for j in range(si, max(-1, si - 6), -1):
            s = self.doc.sentences[j]
            hi = min(s.end, pos)
            # The last statement made in this sentence before `pos` (history is in text order).
            k = bisect_left(self.hpos, hi) - 1
            spoken = self.history[k][1] if k >= 0 and self.hpos[k] >= s.start else None
            subj = spoken if spoken is not None else self._subject(s.start, hi)
            if subj is None and j == si - 1 and not candidates and not self._in_statement(s.start):
                # The sentence just before names no subject but one person, in an adverbial the reading
                # cannot close (`… به جان نخریم` and a name glued to it): that person is the nearest.
                subj = self._only_person(s.start, hi)
            if subj is not None and (subj.entity is None or self._is_person(subj.entity)):
                candidates.append(subj)
        if not candidates:
            return None
        if honorific:
            for c in candidates:
                if c.entity in self.honorific:
                    return c
        return candidates[0]

    def _in_statement(self, pos: int) -> bool:
        """Whether ``pos`` is inside the words of a statement made before it."""
        return any(p < pos < self.content_end.get(p, p) for p in self.hpos)

    def _only_person(self, a: int, b: int) -> Speaker | None:
        """The one person mentioned in ``[a, b)`` (by one identity, any number of times), or None."""
        lo, hi = bisect_left(self.mstarts, a), bisect_left(self.mstarts, b)
        persons = [m for m in self.mentions[lo:hi] if m.label == "PER" and m.end <= b]
        if not persons or len({m.entity or m.text for m in persons}) > 1:
            return None
        m = persons[-1]
        return self._span(m.start, m.end, m.entity)

    def _subject(self, a: int, b: int) -> Speaker | None:
        """The first person named outside a prepositional phrase in ``[a, b)``."""
        in_pp = False
        prev = ""
        if a < self.credit_end < b:
            a = self.credit_end
        i = bisect_left(self.mstarts, a)
        words = list(_WORDS.finditer(self.text, a, b))
        for k, w in enumerate(words):
            f = fold(w.group())
            if w.group() in "،,؛;:" or f == "که":
                in_pp = False
                prev = f
                continue
            if f in PREPOSITIONS:
                in_pp = True
                prev = f
                continue
            if in_pp and _closes_adverbial(prev, f, fold(words[k + 1].group()) if k + 1 < len(words) else ""):
                in_pp = False
                prev = f
                continue
            prev = f
            while i < len(self.mentions) and self.mentions[i].start < w.start():
                i += 1
            if k == 0 and f in ROLE_HEADS:
                # No name, but a role opens the sentence (`وزیر اقتصاد … خبر داد`).
                return self._role(w.start(), b, f)
            if i < len(self.mentions) and self.mentions[i].start == w.start() and not in_pp:
                m = self.mentions[i]
                if m.label == "PER" and m.end <= b:
                    if _starts_with_role(m.text):
                        holder = self._holder(m.text, m.start)
                        return self._span(m.start, m.end, holder or m.entity)
                    return self._span(m.start, m.end, m.entity)
        return None

    def _zero_subject(self, pos: int) -> Speaker | None:
        si = max(0, bisect_right(self.sstarts, pos) - 1)
        if si > 0:
            prev = self.doc.sentences[si - 1]
            if self.text[prev.start:prev.end].rstrip().endswith(("؟", "?")):
                # `وی در پاسخ به این سؤال که … چیست؟ اظهار داشت:` — the question is the clause's
                # adverbial; its subject opens the sentence before.
                found = self._scan(prev.start, prev.end, False)
                if found is not None:
                    return found
        if self.history:
            p, sp, _ = self.history[-1]
            if bisect_right(self.sstarts, p) - 1 >= si - 2:
                return sp
        for j in range(si - 1, max(-1, si - 3), -1):
            s = self.doc.sentences[j]
            subj = self._subject(s.start, s.end)
            if subj is not None:
                return subj
        return None

    # -- helpers -------------------------------------------------------------------------------

    def _is_person(self, entity: str) -> bool:
        e = self.entities.get(entity)
        return e is None or e.label == "PER"

    def _span(self, start: int, end: int, entity: Any) -> Speaker:
        return self.doc.span(start, end, Speaker, entity=entity)


@lru_cache(maxsize=4096)
def _name_like(word: str) -> bool:
    """A word that may be part of a name: rare in text, or one the entity model's lexicon knows as a
    name (``گری`` is frequent as a suffix, but a name)."""
    from khabar.pipeline.entities import load_model

    _, lexicon, _, _, meta = load_model()
    key = fold_word(word)
    return key not in meta["common"] or any(g.startswith("PER") or g == "fname" for g in lexicon.get(key, ()))


def _closes_adverbial(prev: str, word: str, nxt: str) -> bool:
    """Whether an adverbial phrase ends after ``word``: `در این دیدار`, `در پایان`, `در ادامه` …

    Such phrases open many statements without a comma (``در این دیدار محمد درویش گفت``); the
    name after them is the subject, not part of the phrase.
    """
    if prev in DEMONSTRATIVES:
        return True
    return word in FRAME_NOUNS and nxt not in DEMONSTRATIVES


def _starts_with_role(name: str) -> bool:
    words = _WORDS.findall(name)
    return bool(words) and fold(words[0]) in ROLE_HEADS


def _np_end(text: str, start: int, limit: int, inner: list[Mention], *, max_words: int = _MAX_NP_WORDS) -> int:
    """End of a noun phrase starting at ``start``: before a comma, a stop word, or ``limit``.

    ``و`` stays inside when a plain word follows (`وزیر آموزش و پرورش`, `معاون حمل و نقل`), not when
    a new subject does (`وزیر نفت و مدیرعامل …`).
    """
    words = list(_WORDS.finditer(text, start, limit))
    end = start
    taken: list[int] = []  # ends of the words taken
    for n, w in enumerate(words):
        word = w.group()
        f = fold(word)
        if word in "،,؛;:«»" or n >= max_words:
            if f == "را" and len(taken) >= 2:
                # `رهبر انقلاب اسلامی ایمان را …`: the word before `را` is the object, not the role.
                end = taken[-2]
            break
        if n > 0 and f in DEMONSTRATIVES and n + 1 < len(words) and fold(words[n + 1].group()) in _DEMONSTRATED:
            # `مدیر این مؤسسه`, `سخنگوی این وزارتخانه`: the body a role belongs to, named before; the
            # phrase ends with it.
            end = words[n + 1].end()
            break
        if n > 0 and f in STOP:
            if f == "را" and len(taken) >= 2:
                end = taken[-2]
                break
            nxt = fold(words[n + 1].group()) if n + 1 < len(words) else ""
            if not (f == "و" and n + 1 < len(words) and nxt not in STOP and nxt not in ROLE_HEADS
                    and nxt not in GROUP_HEADS and nxt not in PREPOSITIONS
                    and not any(x.start == words[n + 1].start() for x in inner)):
                break
            continue
        # A mention is taken whole.
        m = next((x for x in inner if x.start <= w.start() < x.end), None)
        end = max(w.end(), m.end if m else 0)
        taken.append(end)
    return max(end, start)
