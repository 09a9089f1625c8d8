"""One identity per person, organization, place and event within an article.

The model finds mentions; this module decides which of them are the same entity:

- honorifics before a name (``آیت‌الله``, ``حجت‌الاسلام``, ``دکتر``, ``سردار``, ``شهید``, ``آقای``…)
  are cut from the mention and kept as the person's titles;
- a role in apposition (``محمد اسماعیل درویش، رئیس شورای رهبری حماس،``) or right before the name
  (``سخنگوی وزارت امور خارجه اسماعیل بقائی``) becomes a title;
- a full name, its shorter forms (surname alone, name without a first name) become one person;
  the longest form is the canonical name;
- a bare role later on (``رهبر انقلاب اسلامی``) resolves to the one person holding that title, or
  an equivalent one, in the article, and becomes a mention of that person;
- a name tagged once and written again untagged is tagged there too; one string gets one label.

Ids are stable across articles: the label and the folded canonical name (:func:`entity_id`).

>>> import khabar
>>> doc = khabar.analyze("حجت‌الاسلام حسن روحانی به مشهد رفت. روحانی در آنجا سخنرانی کرد.")
>>> [(e.name, e.titles) for e in doc.entities if e.label == "PER"]
[('حسن روحانی', ('حجت\u200cالاسلام',))]
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from khabar.document import Document, Entity, Mention
from khabar.pipeline.entities_news import (
    LIGHT_VERBS,
    bodies_after_departments,
    bodies_in_places,
    compass_points,
    desks_and_joined_credits,
    glossed_names,
    listed_persons,
    name_sequences,
    national_teams,
    outlet_names,
    settlements,
    sports_clubs,
    surnames_after,
    whole_bodies,
)
from khabar.text.chars import ZWNJ
from khabar.text.fold import fold_word
from khabar.text.words import words as word_list


def _folded(words: str) -> frozenset[str]:
    return frozenset(fold_word(w) for w in words.split())


# Honorifics and ranks written before a name. Folded, so spelling variants match; two-word forms
# (``آیت الله`` with a space) are matched as pairs.
HONORIFICS = frozenset(fold_word(w) for w in word_list("honorifics"))
_HONORIFIC_PAIRS = frozenset({("ایت", "الله"), ("ایت", "اللهالعظمی"), ("حجت", "الاسلام"), ("حجه", "الاسلام")})
# First parts of compound given names that are no given name alone (غلامحسین, عبدالرضا).
_NAME_PREFIXES = frozenset(["غلام", "عبد", "عبدال", "میر"])
# What follows a subject: adverbs, prepositions, cues (`رایان همچنین …`, `مکانی به دلیل …`).
_SUBJECT_NEXT = frozenset(fold_word(w) for w in ["همچنین", "نیز", "هم", "اما", "در", "با", "به", "از", "ضمن", "گفت", "افزود", "ادامه", "تصریح", "اظهار", "اضافه", "تاکید", "تأکید", "خاطرنشان", "معتقد", "است", "بود", "روز"])
# Last parts of compound surnames (شانه‌ساز, حسین‌زاده, مرادی‌فر): after given names, a word and one of
# these written apart are the surname.
_SURNAME_TAILS = frozenset(fold_word(w) for w in ["ساز", "زاده", "پور", "فر", "فرد", "نیا", "نژاد", "راد", "منش", "کیا", "زهی", "فضلی", "وند"])
# The rest of `حجت الاسلام و المسلمین` written apart.
_HONORIFIC_TAIL = frozenset(["المسلمین", "والمسلمین"])


@lru_cache(maxsize=1)
def _restorer() -> Any:
    from khabar.pipeline.zwnj import ZwnjRestorer

    return ZwnjRestorer()


def _spaced_compound(a: str, b: str) -> bool:
    """Whether the ZWNJ restorer reads two words written apart as one compound (`خوش خبر`, `حسین زاده`)."""
    from khabar.pipeline.zwnj_words import _COMPOUND

    return bool(_restorer()._pair_kind(a, b) == _COMPOUND)


# Parts after a ZWNJ that make a word an inflection, not a compound (`کتاب‌ها`, `خانه‌ای`).
_INFLECTIONS = frozenset(["ها", "های", "هایی", "ای", "ی", "ام", "ات", "اش", "مان", "تان", "شان", "تر", "ترین",
                          "اند", "ایم", "اید", "هاست", "هایش"])


def _joined_compound(form: str) -> bool:
    """A word of two parts joined by a ZWNJ, neither an affix (`خوش‌خبر`, not `کتاب‌ها` or `می‌رود`)."""
    parts = form.split(ZWNJ)
    return (len(parts) == 2 and len(parts[0]) >= 2 and len(parts[1]) >= 2 and parts[1] not in _INFLECTIONS
            and parts[0] not in ("می", "نمی", "بی") and all(p.isalpha() for p in parts))


def _only_honorifics(keys: Sequence[str], s: int, e: int) -> bool:
    """Whether ``keys[s:e]`` is honorifics only (``حجت الاسلام و المسلمین``, ``آیت الله``)."""
    i = s
    while i < e:
        if keys[i] in HONORIFICS or keys[i] in _HONORIFIC_TAIL or (keys[i] == "و" and i > s):
            i += 1
        elif i + 1 < e and (keys[i], keys[i + 1]) in _HONORIFIC_PAIRS:
            i += 2
        else:
            return False
    return True


# Honorifics that always introduce a person's name, so the next word is a name even untagged.
_STRONG = _folded("آیت‌الله آیت‌الله‌العظمی حجت‌الاسلام حجت‌الاسلام‌والمسلمین آقای خانم سردار سرلشکر سرتیپ دکتر "
                  "مهندس")
# Head nouns of roles (``رئیس ...``, ``سخنگوی ...``); a phrase starting with one is a title.
ROLE_HEADS = frozenset(fold_word(w) for w in word_list("role_heads"))
# Roles that name one office in different words; a bare form resolves to whoever holds any of them.
ROLE_CLASSES: tuple[frozenset[str], ...] = tuple(
    # Iranian outlets write `کشورمان` (our country) for ایران: `وزیر امور خارجه کشورمان`.
    frozenset(fold_word(q) for p in group.split("|")
              for q in (p, *((p[: -len("ایران")] + "کشورمان",) if p.endswith(" ایران") else ())))
    for group in (
        "رهبر انقلاب|رهبر انقلاب اسلامی|رهبر معظم انقلاب|رهبر معظم انقلاب اسلامی|رهبر جمهوری اسلامی"
        "|رهبر جمهوری اسلامی ایران|رهبر ایران|مقام معظم رهبری|رهبر عالی ایران",
        "رئیس جمهور|رئیس جمهوری|رئیس جمهور ایران|رئیس جمهوری اسلامی ایران|رئیس‌جمهور|رئیس‌جمهوری"
        "|رئیس‌جمهور ایران|رئیس‌جمهوری اسلامی ایران",
        "وزیر امور خارجه|وزیر خارجه|وزیر امور خارجه ایران|وزیر خارجه ایران",
        "رئیس مجلس|رئیس مجلس شورای اسلامی",
        "رئیس قوه قضاییه|رئیس قوه قضائیه|رئیس دستگاه قضا",
    )
)
# Words after which a clause (and a name) may start.
_CLAUSE_OPENERS = _folded("و با که اما ولی همچنین نیز")
_AFTER_SUBJECT = _folded("در با گفت روز امروز دیروز که به از پیش‌تر پیشتر نیز هم")
# Words a name never ends or starts with: time words, the nouns of what happens at a name, and
# function words.
_NEVER_LAST = _folded("امروز دیروز فردا امشب دیشب صبح عصر شب بامداد نشست جلسه نشستی جلسه‌ای و که را در با به از "
                      "برای تا هم نیز")
_NEVER_FIRST = _folded("و که را در با به از برای تا هم نیز")
# Prepositions no name holds: a mention across one is two names (`توکیو برابر لهستان`).
_SPLITS = _folded("برابر مقابل")  # not با or علیه: `ستاد مبارزه با مواد مخدر`
_GATHERINGS = _folded("نشست جلسه کنفرانس مراسم همایش دیدار گفت‌وگو گفتگو مصاحبه")
_GATHERING_KINDS = _folded("خبری علنی غیرعلنی مشترک اضطراری فوق‌العاده هفتگی عادی مطبوعاتی تلفنی "
                           "ویدئویی دوجانبه سه‌جانبه امروز")
# Plural nouns that open a phrase about the people or places of somewhere (`مدارس خراسان رضوی`,
# `مناطق سیل‌زده چابهار`): never the start of a name, and the words after them up to the place
# describe them, not it.
_GENERIC_PLURALS = _folded("مدارس مناطق شهرهای روستاهای استان‌های کشورهای بیمارستان‌های دانشگاه‌های مساجد "
                           "خیابان‌های جاده‌های مرزهای مردم اهالی ساکنان")
# Kinds of body that the corpora mostly put inside the name after them (`خبرگزاری فارس`, `باشگاه
# پرسپولیس`); `شرکت`, `شبکه` and `تیم` they split on, and are left as the model reads them.
_ORG_KINDS = _folded("خبرگزاری روزنامه باشگاه دانشگاه حزب سازمان بانک")
# State bodies named by their country (`ارتش اسرائیل`, `وزارت خارجه بریتانیا`), which all three
# corpora tag as one organization. Not `دولت` or `سفارت`, on which they split.
_BODY_OF_STATE = _folded("ارتش وزارت پارلمان مجلس سنای کنگره اتاق پلیس سپاه نیروی")
# Words that open a gathering held somewhere (`نشست بروکسل`): the place is the name, not the gathering.
_HELD_IN = _GATHERINGS | _folded("اجلاس")
# Who meets, between a gathering and the names of the bodies or places (`نشست سران ناتو`).
_WHO_MEETS = _folded("سران رهبران وزیران وزرای نمایندگان مقامات اعضای روسای رؤسای کمیسیون کارشناسان سالانه سالیانه "
                     "دوره‌ای")
# Nouns that open the name of a body (`اتاق بازرگانی تهران`, `سندیکای صنعت مخابرات`).
_BODY_WORDS = _ORG_KINDS | _BODY_OF_STATE | _folded(
    "اتاق کمیته شورای شورا سازمان وزارت مجمع کمیسیون اتحادیه انجمن سندیکای سندیکا فدراسیون بنیاد ستاد مرکز "
    "شرکت دفتر دیوان هیئت هیات قوه نهاد بنیاد کانون جامعه جمعیت صندوق گروه")
# Credit lines anywhere in an article: the outlet named after them (`… به گزارش مهر،`).
_CREDITS = frozenset({(fold_word("به"), fold_word("گزارش")), (fold_word("نقل"), fold_word("از"))})
# Words a place's name stands after (`در مسقط`, `شهر خارکیف`).
_PLACE_BEFORE = _folded("در به از تا شهر استان کشور پایتخت راهی سمت برای")
# Verbs and their prefix after a place (`راهی مسکو می‌شود`, `به تهران رفت`): no longer name.
_VERB_AFTER = _folded("می نمی شد شود شده است بود رفت رسید کرد کرده")
# A numbered edition (`هشتمین جشنواره`, `اجلاس ۲۰۲۵`) is a named event.
_ORDINAL = re.compile(r"\d|(?:م|نخست|اول)ین$")
# Words that end a role phrase written before a name.
_STOP = _folded(
    "و در با به از که را این آن برای تا نیز هم همچنین امروز دیروز روز شب صبح اما ولی یا پس چون اگر "
    "گفت گفته کرد کردند است بود شد شده دیدار دیداری ملاقات همراه نزد سوی توسط میان بین"
)
# Words that close a role: `رئیس‌جمهور پیشین ایران`, `وزیر خارجه کشورمان`.
_ROLE_TAIL = _folded("پیشین سابق وقت فعلی کشورمان")
_PRONOUNS = _folded("او وی ایشان آنها آن‌ها ایشان‌ها ما شما من تو همه دیگران همکارانش دیگر سایر")
_PUNCT = re.compile(r"^[^\w\u200c]+$")
_ENDS_TITLE = frozenset({"،", ",", ".", "؛", ";", ":", "!", "؟", "?", ")", "»", "(", "«", "-", "–", "—"})


def entity_id(name: str, label: str) -> str:
    """The stable id of an identity: its label and its folded canonical name, spaces removed
    (so a name written with a space, a ZWNJ or neither where a ZWNJ belongs gets one id).

    >>> entity_id("آیت‌الله  خامنه‌اي", "PER") == entity_id("آیتالله خامنه‌ای", "PER")
    True
    >>> entity_id("غزه", "LOC")
    'loc:غزه'
    """
    return f"{label.lower()}:{''.join(fold_word(w) for w in name.split())}"


ROLE_PREFIX = "role:"


def role_id(role: str) -> str:
    """The id of someone an article knows only by a role (a meeting's `همتای روسی`, `سفیر لسوتو`):
    ``role:`` and the folded role. Unlike a name's id it is no identity across articles: the archive
    resolves it to the role's holder at the article's date, or keeps it to its article.

    >>> role_id("همتای روسی")
    'role:همتایروسی'
    """
    return ROLE_PREFIX + "".join(fold_word(w) for w in role.split())


@dataclass
class _Cluster:
    label: str
    key: tuple[str, ...]
    name: str
    titles: list[str] = field(default_factory=list)
    forms: list[str] = field(default_factory=list)

    @property
    def id(self) -> str:
        return entity_id(self.name, self.label)


def _organization_names() -> tuple[frozenset[tuple[str, ...]], dict[str, int]]:
    """The organizations of ``resources/ner/organizations.txt`` (see :func:`name_sequences`)."""
    return name_sequences("organizations.txt")


def _covered(spans: Sequence[Sequence], n: int) -> bytearray:
    """One byte per token (and one past the end), 1 where one of ``spans`` (start, end, …) covers it."""
    covered = bytearray(n + 1)
    for sp in spans:
        covered[sp[0]:sp[1]] = b"\x01" * (sp[1] - sp[0])
    return covered


def _known_organizations(keys: Sequence[str], found: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Well-known organizations (``بانک جهانی``, ``شورای نگهبان``) where the model found nothing:
    the longest listed name at each untagged word."""
    names, firsts = _organization_names()
    n = len(keys)
    covered = _covered(found, n)
    extra = []
    i = 0
    while i < n:
        longest = firsts.get(keys[i], 0)
        if longest and not covered[i]:
            for ln in range(min(longest, n - i), 0, -1):
                if tuple(keys[i:i + ln]) in names and not any(covered[i:i + ln]):
                    extra.append((i, i + ln, "ORG"))
                    i += ln - 1
                    break
        i += 1
    return sorted([*found, *extra]) if extra else found


class KnownNames:
    """Names tagged wherever the model left them untagged: each a sequence of folded words and its
    label. The archive gives the names it has learned (seen with one label in several articles
    from several outlets, :mod:`khabar.archive.identities`); a single word is taken only when it
    is rare (no common, function, role or honorific word).

    >>> known = KnownNames([("عباس عراقچی", "PER"), ("عراقچی", "PER")])
    >>> known.tag(["دیروز", "عراقچی", "گفت"], [])
    [(1, 2, 'PER')]
    """

    def __init__(self, names: Iterable[tuple[str, str]] = (), *, common: frozenset[str] = frozenset()) -> None:
        self.names: dict[tuple[str, ...], str] = {}
        self.firsts: dict[str, int] = {}
        self.common = common
        self.add(names)

    def __len__(self) -> int:
        return len(self.names)

    def add(self, names: Iterable[tuple[str, str]]) -> None:
        for text, label in names:
            key = tuple(fold_word(w) for w in text.split())
            if not key or len(key) > 8 or label not in ("PER", "ORG", "LOC"):
                continue
            if len(key) == 1 and not self._rare(key[0]):
                continue
            self.names[key] = label
            self.firsts[key[0]] = max(self.firsts.get(key[0], 0), len(key))

    def _rare(self, word: str) -> bool:
        return (len(word) >= 3 and word.isalpha() and word not in self.common and word not in _STOP
                and word not in ROLE_HEADS and word not in HONORIFICS and word not in _PRONOUNS
                and word not in _NEVER_LAST)

    def tag(self, keys: Sequence[str], found: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
        """``found`` and the longest known name at each untagged word."""
        if not self.names:
            return found
        n = len(keys)
        covered = _covered(found, n)
        # A person's name the model cut short (`آملی` of `آملی لاریجانی`) takes the known name after it.
        per_end = {e: k for k, (_, e, lab) in enumerate(found) if lab == "PER"}
        out = list(found)
        extra = []
        i = 0
        while i < n:
            longest = self.firsts.get(keys[i], 0)
            if longest and not covered[i]:
                for ln in range(min(longest, n - i), 0, -1):
                    label = self.names.get(tuple(keys[i:i + ln]))
                    if label and not any(covered[i:i + ln]):
                        if label == "PER" and i in per_end:
                            s, _, _ = out[per_end[i]]
                            out[per_end[i]] = (s, i + ln, "PER")
                        else:
                            extra.append((i, i + ln, label))
                        i += ln - 1
                        break
            i += 1
        return sorted([*out, *extra]) if extra or out != found else found


class IdentityLinker:
    """Turns model mentions (token ranges) into linked :class:`Mention` s and :class:`Entity` s."""

    def __init__(self, *, lexicon: dict[str, list[str]] | None = None, common: frozenset[str] = frozenset(),
                 max_title_tokens: int = 12, known: KnownNames | None = None) -> None:
        # Names learned elsewhere (the archive's), tagged where the model missed them.
        self.known = known
        # The model's word lexicon: which words are names, to split a role the model tagged as a person.
        self.lexicon = lexicon or {}
        # Frequent words rarely in a name: a lone repeat of one is not tagged by propagation.
        self.common = common
        self.max_title_tokens = max_title_tokens

    def _rare_word(self, key: str) -> bool:
        """A word of letters, three or more, that is no common, function, title or pronoun word:
        perhaps part of a name."""
        return (len(key) >= 3 and key.isalpha() and key not in self.common and key not in _STOP
                and key not in ROLE_HEADS and key not in HONORIFICS and key not in _PRONOUNS)

    def _is_given(self, key: str) -> bool:
        """A given name the lexicon knows as one (and as nothing else)."""
        classes = self.lexicon.get(key, ())
        return "fname" in classes and not any(g.startswith(("LOC", "ORG")) for g in classes) and key not in _STOP

    def _spaced_surnames(self, keys: Sequence[str], found: list[tuple[int, int, str]],
                         n: int, forms: Sequence[str]) -> list[tuple[int, int, str]]:
        """A compound surname the crawler wrote apart (`امیر خوش خبر`, `علی حسین زاده`): given names
        (tagged as a person, or one untagged given name the model's training text knows as a name)
        followed by two untagged words that the ZWNJ restorer reads as one compound, or by one
        untagged compound it joined (`امیر خوش‌خبر`) and then a role or a comma."""
        covered = _covered(found, n)
        out = []
        for s, e, lab in found:
            h = s
            while h < e - 1 and keys[h] in HONORIFICS:  # (`دکتر محمد رضا`: the model's span may hold one)
                h += 1
            if lab == "PER" and all(self._is_given_or_person(k) for k in keys[h:e]) \
                    and self._compound_after(keys, e, n, covered):
                covered[e:e + 2] = b"\x01\x01"
                e += 2
            elif lab == "PER" and e - h >= 2 and e < n and not covered[e] and keys[e] in _SURNAME_TAILS \
                    and not self._is_given(keys[e - 1]) and keys[e - 1] not in _STOP:
                # (`علی رضا کوزه` tagged, `ساز` left: the model took the first part of the surname.)
                covered[e] = 1
                e += 1
            out.append((s, e, lab))
        for i in range(n - 2):
            if covered[i] or not self._is_given(keys[i]) or "PER:hi" not in self.lexicon.get(keys[i], ()):
                continue
            if self._compound_after(keys, i + 1, n, covered):
                out.append((i, i + 3, "PER"))
                covered[i:i + 3] = b"\x01\x01\x01"
            elif i + 2 < n and not covered[i + 1] and _joined_compound(forms[i + 1]) \
                    and (keys[i + 2] in ROLE_HEADS or forms[i + 2] in "،,"):
                out.append((i, i + 2, "PER"))
                covered[i:i + 2] = b"\x01\x01"
        return sorted(out) if out != found else found

    @staticmethod
    def _compound_after(keys: Sequence[str], i: int, n: int, covered: bytearray) -> bool:
        if i + 1 >= n or covered[i] or covered[i + 1]:
            return False
        a, b = keys[i], keys[i + 1]
        if not (a.isalpha() and b.isalpha() and len(a) >= 2 and len(b) >= 2):
            return False
        if {a, b} & (_STOP | ROLE_HEADS | HONORIFICS | _PRONOUNS):
            return False
        # (`شانه ساز`: a word and a surname's last part, which the restorer need not know as one word.)
        return b in _SURNAME_TAILS or _spaced_compound(a, b)

    def _is_given_or_person(self, key: str) -> bool:
        """A given name, or a compound given name the gazetteer lacks (``غلامحسین``): a word the model's
        training text tags as a person only, one part of it a given name."""
        if self._is_given(key):
            return True
        if self.lexicon.get(key, ()) != ["PER:hi"] or key in _STOP:
            return False
        # Two given names, or غلام/عبد… and a given name, run together (غلام + حسین, محمد + جواد); not a
        # surname that holds a given name (حسین + زاده).
        return len(key) >= 6 and any(
            (key[:k] in _NAME_PREFIXES or self._is_given(key[:k])) and self._is_given(key[k:])
            for k in range(3, len(key) - 2))

    def _is_name_word(self, key: str) -> bool:
        return any(g in ("PER:hi", "fname") for g in self.lexicon.get(key, ()))

    # -- helpers over token lists ---------------------------------------------------------------

    @staticmethod
    def _honorific_before(keys: Sequence[str], i: int) -> int:
        """How many tokens right before ``i`` are honorifics (``حضرت آیت‌الله``, ``آیت الله``)."""
        j = i
        while j > 0:
            if keys[j - 1] in HONORIFICS and keys[j - 1] != "ایت":
                j -= 1
            elif j > 1 and (keys[j - 2], keys[j - 1]) in _HONORIFIC_PAIRS:
                j -= 2
            else:
                break
        return i - j

    def link(self, doc: Document, found: list[tuple[int, int, str]],
             limit: int | None = None) -> tuple[list[Mention], list[Entity]]:
        """Linked mentions (sorted by position) and the article's entities, over the first ``limit`` tokens."""
        tokens = doc.tokens[:limit] if limit is not None else doc.tokens
        if not tokens:
            return [], []
        keys = [fold_word(t.text[:100]) for t in tokens]
        n = len(tokens)
        found = self._relabel(keys, self._trim(keys, found))
        found = _known_organizations(keys, found)
        # Forms of crawled news (teams, outlets in credits, bodies in places): entities_news.
        found = national_teams(keys, found, self._is_place)
        found = bodies_in_places(keys, found, self._is_place)
        found = sports_clubs(keys, found)
        found = desks_and_joined_credits(keys, found)
        found = bodies_after_departments(keys, found, lambda k: k in self.common)
        found = settlements(keys, [t.text for t in tokens], found, self._rare_word)
        found = whole_bodies(keys, found)
        found = compass_points(keys, found)
        found = listed_persons(keys, [t.text for t in tokens], found,
                               lambda k: k not in _STOP and k not in ROLE_HEADS and k not in HONORIFICS)
        found = outlet_names(doc, found, n)
        found = glossed_names([t.text for t in tokens], found, lambda w: fold_word(w) in _STOP)
        found = surnames_after(keys, found, self._is_given_or_person, self._rare_word)
        found = self._spaced_surnames(keys, found, n, [t.text for t in tokens])
        found = self._strong_honorific_names(keys, found, n)
        found = self._credited(doc, keys, found, n)
        # Names the archive learned, last: one may complete a name the rules above found in part.
        if self.known is not None:
            found = self.known.tag(keys, found)
        found = self._listed_names(doc, keys, found, n)
        found = self._given_name_pairs(keys, found, n)
        found = self._first_names(doc, keys, found)
        found = self._apposition_names(doc, keys, found, n)
        found = self._known_places(doc, keys, found, n)
        spans: list[list] = []  # [start, end, label, titles]
        starts = {s: (e, lab) for s, e, lab in found}
        for s, e, lab in found:
            titles: list[str] = []
            if lab == "PER" and keys[s] in ROLE_HEADS and not (
                    # (`امیر خوش خبر`: a given name that is also a role, before a compound surname.)
                    self._is_given(keys[s]) and ((e - s == 3 and _spaced_compound(keys[s + 1], keys[s + 2]))
                                                 or (e - s == 2 and _joined_compound(tokens[s + 1].text)))):
                # The model tagged a role (``رهبر انقلاب اسلامی``) as a person: keep the name after it,
                # if any, with the role as its title; a bare role is resolved later.
                # (A place is no name: `رهبر ایران` is a bare role, `ایران` no person.)
                p = next((j for j in range(s + 1, e) if self._is_name_word(keys[j]) and not self._is_place(keys[j])), e)
                if p == e:
                    continue
                titles.append(doc.text[tokens[s].start:tokens[p - 1].end])
                s = p
            if lab == "PER":
                # Honorifics the model put inside the span are titles, not name.
                while s < e - 1 and keys[s] in HONORIFICS:
                    titles.append(tokens[s].text)
                    s += 1
                k = self._honorific_before(keys, s)
                if k:
                    before = doc.text[tokens[s - k].start:tokens[s - 1].end]
                    # The honorific before may take in ones the model put inside (`حجت‌الاسلام
                    # والمسلمین` around `والمسلمین`): those are part of it, not titles of their own.
                    titles = [before, *(t for t in titles if t not in before)]
                titles.extend(self._roles_around(doc, keys, s, e, starts))
            spans.append([s, e, lab, titles])
        spans = self._propagate(keys, spans, n)
        self._harmonize_labels(keys, spans)
        clusters, assign = self._cluster(doc, keys, spans)
        role_mentions = self._bare_roles(doc, keys, spans, clusters)
        mentions: list[Mention] = []
        for (s, e, lab, _), cl in zip(spans, assign, strict=True):
            start, end = tokens[s].start, tokens[e - 1].end
            mentions.append(doc.span(start, end, Mention, label=lab, entity=cl.id))
            if mentions[-1].text not in cl.forms:
                cl.forms.append(mentions[-1].text)
        for s, e, cl in role_mentions:
            mentions.append(doc.span(tokens[s].start, tokens[e - 1].end, Mention, label=cl.label, entity=cl.id))
        mentions.sort(key=lambda m: (m.start, -m.end))
        entities: dict[str, Entity] = {}
        for cl in clusters:
            if cl.id in entities:  # two clusters that fold to one id: merge them
                old = entities[cl.id]
                cl.titles = [*old.titles, *cl.titles]
                cl.forms = [*old.aliases, *cl.forms]
            entities[cl.id] = Entity(cl.id, cl.name, cl.label, tuple(dict.fromkeys(f for f in cl.forms if f != cl.name)),
                                     _distinct(cl.titles))
        return mentions, list(entities.values())

    @staticmethod
    def _trim(keys: Sequence[str], found: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
        """Mentions without the words no name ends in (`هیئت دولت فردا`, `شورای امنیت نشست`): the
        model runs a name on into the time word or the noun after it."""
        out: list[tuple[int, int, str]] = []
        for s, e, lab in sorted(IdentityLinker._split(keys, found)):
            if lab == "PER":
                # `حجت الاسلام` (written apart) or `والمسلمین` alone is a title, not a person's name.
                if _only_honorifics(keys, s, e):
                    continue
                while e - s > 1 and keys[s] in _HONORIFIC_TAIL:
                    s += 1
            while e - s > 1 and keys[e - 1] in _NEVER_LAST:
                e -= 1
            while e - s > 1 and keys[s] in _NEVER_FIRST:
                s += 1
            if lab == "EVE" and out and out[-1][2] == "EVE" and out[-1][1] == s:
                out[-1] = (out[-1][0], e, lab)  # `جنگ جهانی` + `دوم`: one event the model opened twice
                continue
            out.append((s, e, lab))
        return out

    def _is_place(self, key: str) -> bool:
        return any(g in ("LOC:hi", "LOC:mid", "place") for g in self.lexicon.get(key, ()))

    def _relabel(self, keys: Sequence[str], found: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
        """Places the model read as part of something else: a gathering named by where it is held
        (`نشست بروکسل`), a plural noun phrase ending in a place (`مدارس خراسان رضوی`), and a known
        place alone tagged as an organization (`تهران`); and the other way, a state body named by
        its country where the model tagged the country alone (`ارتش اسرائیل`)."""
        out: list[tuple[int, int, str]] = []
        for span in found:
            for s, e, lab in self._unwrap(keys, *span):
                self._relabel_one(keys, s, e, lab, out)
        return out

    def _unwrap(self, keys: Sequence[str], s: int, e: int, lab: str) -> list[tuple[int, int, str]]:
        """What a generic phrase the model read as a name holds. A gathering (`نشست مشترک اتاق
        بازرگانی تهران و …`, `نشست بروکسل`) is no named event: the bodies and places that meet or
        host it are the names. An office (`وزیر امور خارجه`, `دبیر سندیکای صنعت مخابرات`) is no
        organization (or place): the body (or place) it heads, if named, is."""
        if lab == "EVE" and keys[s] in _HELD_IN and not any(_ORDINAL.search(k) for k in keys[s:e]):
            j = s + 1
            while j < e and (keys[j] in _GATHERING_KINDS or keys[j] in _WHO_MEETS):
                j += 1
            parts, a = [], j
            for i in range(j, e + 1):
                if i == e or keys[i] == "و":
                    lab2 = self._name_kind(keys, a, i)
                    if lab2:
                        parts.append((a, i, lab2))
                    a = i + 1
            return parts
        if lab in ("ORG", "LOC") and keys[s] in ROLE_HEADS:
            # (`استاندار فارس` read as a place: the place is `فارس`.)
            j = s + 1
            while j < e and self._name_kind(keys, j, j + 1) is None:
                j += 1
            return [(j, e, "ORG" if keys[j] in _BODY_WORDS else self._name_kind(keys, j, e) or lab)] if j < e else []
        return [(s, e, lab)]

    def _name_kind(self, keys: Sequence[str], a: int, b: int) -> str | None:
        """ORG where ``keys[a:b]`` opens with a kind of body or is a known organization, LOC where
        every word is a known place, else None."""
        if b <= a:
            return None
        if keys[a] in _BODY_WORDS:
            return "ORG"
        if all(self._is_place(k) for k in keys[a:b]):
            return "LOC"
        if b - a == 1 and "ORG:hi" in self.lexicon.get(keys[a], ()):
            return "ORG"
        return None

    def _relabel_one(self, keys: Sequence[str], s: int, e: int, lab: str, out: list[tuple[int, int, str]]) -> None:
        """One mention as :meth:`_relabel` reads it, appended to ``out``."""
        if lab in ("LOC", "ORG") and e - s > 1 and keys[s] in _GENERIC_PLURALS:
            s += 1
            while e - s > 1 and not self._is_place(keys[s]):
                s += 1
            if lab == "ORG" and self._is_place(keys[s]):
                lab = "LOC"
        floor = out[-1][1] if out else 0  # the words before it that no earlier mention holds
        if lab == "ORG" and s > floor and keys[s - 1] in _ORG_KINDS:
            s -= 1  # `خبرگزاری` `ایرنا`: the kind of body opens its name, as the corpora mostly write it
        if lab == "ORG" and e - s == 1:
            classes = self.lexicon.get(keys[s], ())
            if "LOC:hi" in classes and not any(g.startswith("ORG") for g in classes):
                lab = "LOC"
        elif lab == "LOC" and e - s == 1:
            # `ارتش اسرائیل`, `اتاق بازرگانی ایران`: a state body named by its country, one
            # organization in all three corpora; the model tags the country alone.
            first = max(floor, s - 3)
            j = s - 1
            while j >= first and keys[j] not in _BODY_OF_STATE and keys[j].isalpha() and keys[j] not in _STOP:
                j -= 1
            if j >= first and keys[j] in _BODY_OF_STATE:
                s, lab = j, "ORG"
        out.append((s, e, lab))

    @staticmethod
    def _split(keys: Sequence[str], found: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
        """Mentions the model ran across a preposition cut in two (`توکیو برابر لهستان`)."""
        out: list[tuple[int, int, str]] = []
        for s, e, lab in found:
            cut = [i for i in range(s + 1, e - 1) if keys[i] in _SPLITS]
            for a, b in zip([s, *(i + 1 for i in cut)], [*cut, e], strict=True):
                if b > a:
                    out.append((a, b, lab))
        return out

    def _strong_honorific_names(self, keys: Sequence[str], found: list[tuple[int, int, str]],
                                n: int) -> list[tuple[int, int, str]]:
        """Adds a PER mention after ``آیت‌الله``/``آقای``/… where the model found nothing."""
        covered = {i for s, e, _ in found for i in range(s, e)}
        extra = []
        for i in range(n - 1):
            if keys[i] not in _STRONG and (keys[i], keys[i + 1]) not in _HONORIFIC_PAIRS:
                continue
            j = i + 1 if keys[i] in _STRONG else i + 2
            while j < n and keys[j] in HONORIFICS:
                j += 1
            if j >= n or j in covered or not keys[j].isalpha() or keys[j] in _STOP or keys[j] in ROLE_HEADS:
                continue
            end = j + 1
            if end < n and end not in covered and keys[end].isalpha() and keys[end] not in _STOP \
                    and keys[end] not in ROLE_HEADS and len(keys[end]) > 2:
                end += 1 if keys[j] in _GIVEN_HINT else 0
            extra.append((j, end, "PER"))
            covered.update(range(j, end))
        return sorted([*found, *extra])

    def _credited(self, doc: Document, keys: Sequence[str], found: list[tuple[int, int, str]],
                  n: int) -> list[tuple[int, int, str]]:
        """The outlet a credit names (`به گزارش مهر،`, `به نقل از ایسنا`) is an organization: one to
        three words up to the comma, where the model found nothing there or a place (`فارس`)."""
        tokens = doc.tokens
        out = list(found)
        for i in range(n - 2):
            if (keys[i], keys[i + 1]) not in _CREDITS:
                continue
            j = i + 2
            while j < n and j - (i + 2) < 3 and keys[j].isalpha() and keys[j] not in _STOP:
                j += 1
            if j == i + 2 or j >= n or tokens[j].text not in ("،", ","):
                continue
            inside = [k for k, (s, e, _) in enumerate(out) if s < j and e > i + 2]
            if not inside:
                out.append((i + 2, j, "ORG"))
            elif len(inside) == 1 and out[inside[0]][:2] == (i + 2, j) and out[inside[0]][2] == "LOC":
                out[inside[0]] = (i + 2, j, "ORG")
        return sorted(out)

    def _known_places(self, doc: Document, keys: Sequence[str], found: list[tuple[int, int, str]],
                      n: int) -> list[tuple[int, int, str]]:
        """A known place the model left untagged where a place stands: after `در`, `به`, `از`, `تا`,
        `شهر`, `استان`, `کشور` (`در مسقط`, `به استانبول`, `شهر خارکیف`), not inside a name."""
        covered = _covered(found, n)
        extra = []
        for i in range(1, n):
            if covered[i] or keys[i - 1] not in _PLACE_BEFORE or not self._is_known_place(keys[i]):
                continue
            if i + 1 < n and (covered[i + 1] or (keys[i + 1].isalpha() and keys[i + 1] not in _STOP
                                                  and keys[i + 1] not in _VERB_AFTER
                                                  and not keys[i + 1].startswith(("می", "نمی"))
                                                  and not self._is_place(keys[i + 1]))):
                continue  # the first word of something longer (`در تهران‌پارس`, `به ایران خودرو`)
            extra.append((i, i + 1, "LOC"))
        return sorted([*found, *extra]) if extra else found

    def _is_known_place(self, key: str) -> bool:
        classes = self.lexicon.get(key, ())
        return ("LOC:hi" in classes and not any(g.startswith(("ORG", "PER")) for g in classes)
                and key not in self.common and len(key) >= 3)

    def _apposition_names(self, doc: Document, keys: Sequence[str], found: list[tuple[int, int, str]],
                          n: int) -> list[tuple[int, int, str]]:
        """A name with a role in apposition (``کایا کالاس، مسئول سیاست خارجی اتحادیه،``) is a person:
        a short mention there becomes PER, and two or three untagged words there become one."""
        tokens = doc.tokens
        ends = {e: k for k, (_, e, _) in enumerate(found)}
        covered = _covered(found, n)
        out = list(found)
        extra = []
        for i in range(1, n - 1):
            if tokens[i].text not in ("،", ",") or keys[i + 1] not in ROLE_HEADS:
                continue
            j = i + 1
            while j < n and j - i <= self.max_title_tokens and tokens[j].text not in _ENDS_TITLE:
                j += 1
            if not (j < n and tokens[j].text in ("،", ",")):
                continue
            k = ends.get(i)
            s = out[k][0] if k is not None else i
            if k is not None and (out[k][2] not in ("LOC", "ORG") or i - s > 3):
                continue
            # Untagged name words before it, back to the start of the clause.
            a = s
            while a > 0 and i - a < 3 and not covered[a - 1] and keys[a - 1].isalpha() \
                    and keys[a - 1] not in _STOP and keys[a - 1] not in ROLE_HEADS and keys[a - 1] not in _PRONOUNS:
                a -= 1
            if a < s and not (a == 0 or _PUNCT.match(tokens[a - 1].text) or keys[a - 1] in _STOP):
                a = s
            if k is not None:
                out[k] = (a, i, "PER")
            elif i - a >= 2:
                extra.append((a, i, "PER"))
        # The other way round: `دبیرکل حزب‌الله، نعیم قاسم، …`, a role opening the clause, then two or
        # three untagged words between commas.
        for i in range(1, n - 3):
            if tokens[i].text not in ("،", ",") or covered[i + 1]:
                continue
            j = i + 1
            while j < n and j - i <= 4 and not covered[j] and keys[j].isalpha() and keys[j] not in _STOP \
                    and keys[j] not in ROLE_HEADS and keys[j] not in HONORIFICS and keys[j] not in _PRONOUNS:
                j += 1
            if not (3 <= j - i <= 4 and j < n and tokens[j].text in ("،", ",")):
                continue
            h = i
            while h > 0 and i - h < 8 and not _PUNCT.match(tokens[h - 1].text) and keys[h - 1] not in _STOP:
                h -= 1
            if keys[h] in ROLE_HEADS and h < i - 1 and not any(self._is_place(k) for k in keys[i + 1:j]):
                extra.append((i + 1, j, "PER"))
        return sorted([*out, *extra])

    def _given_name_pairs(self, keys: Sequence[str], found: list[tuple[int, int, str]],
                          n: int) -> list[tuple[int, int, str]]:
        """A given name followed by a rare word (``خلیل لحیة``), both untagged, is a person's name."""
        covered = _covered(found, n)
        extra = []
        for i in range(n - 1):
            a, b = keys[i], keys[i + 1]
            # The given name must be one the training data mostly saw inside names (`خلیل`), not
            # one that is also a common word (`امید`, `جهان`, `بهنام`).
            if covered[i] or covered[i + 1] or "PER:hi" not in self.lexicon.get(a, ()):
                continue
            if not self._rare_word(b) or _only_honorifics(keys, i, i + 2) \
                    or (i + 2 < n and keys[i + 2] in LIGHT_VERBS):  # (`خاطرنشان کرد`: a verb)
                continue
            extra.append((i, i + 2, "PER"))
            covered[i:i + 2] = b"\x01\x01"
        return sorted([*found, *extra]) if extra else found

    def _first_names(self, doc: Document, keys: Sequence[str],
                     found: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
        """A one-word person the model tagged, followed by a role, a comma or the words that follow a
        sentence's subject (`در`, `گفت`, `روز` …), takes the untagged word just before it when that
        word opens the clause and no list knows it (`اوسمار` `ویرا سرمربی پرسپولیس`, `سرگئی`
        `لاوروف در مسکو گفت`): a foreign first name the training data never saw. (Followed by
        anything else, such a word is as often a verb or noun: `جوابش ترامپ`; a compound written
        with a ZWNJ is a noun: `پوزش‌خواهی رستم`.)"""
        tokens = doc.tokens
        starts = {s for s, _, _ in found}
        ends = {e for _, e, _ in found}
        out = []
        for s, e, lab in found:
            if (lab == "PER" and e - s == 1 and s > 0 and s not in ends and (s - 1) not in starts
                    and e < len(keys) and (keys[e] in ROLE_HEADS or keys[e] in _AFTER_SUBJECT
                                           or tokens[e].text in ("،", ","))):
                w = keys[s - 1]
                opens = s == 1 or keys[s - 2] in _CLAUSE_OPENERS or not tokens[s - 2].text.isalpha()
                if opens and "\u200c" not in tokens[s - 1].text and (
                        (w not in self.lexicon and self._rare_word(w))
                        # or a given name the lexicon knows (`عبدالناصر` `همتی پیش از این …`)
                        or (self._is_given(w) and w not in ROLE_HEADS and w not in HONORIFICS)):
                    s -= 1
            out.append((s, e, lab))
        return out

    def _listed_names(self, doc: Document, keys: Sequence[str], found: list[tuple[int, int, str]],
                      n: int) -> list[tuple[int, int, str]]:
        """In a list of people (``درویش، خلیل لحیة و زاهر جبارین،``), an untagged two- or three-word
        item after a person, closed by punctuation (or a given name and one more word), is a person too."""
        covered = {i for s, e, _ in found for i in range(s, e)}
        tokens, extra = doc.tokens, []
        for _, e, lab in found:
            if lab != "PER" or e >= n - 2 or tokens[e].text not in ("،", ",", "و"):
                continue
            j = e + 1
            while j < n and j - e <= 4 and j not in covered and keys[j].isalpha() and keys[j] not in _STOP \
                    and keys[j] not in ROLE_HEADS and keys[j] not in HONORIFICS and keys[j] not in _PRONOUNS:
                j += 1
            closed = j >= n or tokens[j].text in _ENDS_TITLE
            # Or a given name and one more word, ended by a function word (`… و امیرحسین زارع به …`).
            named = j - (e + 1) == 2 and j < n and keys[j] in _STOP and self._is_name_word(keys[e + 1])
            if (closed or named) and 2 <= j - (e + 1) <= 3:
                extra.append((e + 1, j, "PER"))
                covered.update(range(e + 1, j))
        return sorted([*found, *extra]) if extra else found

    def _roles_around(self, doc: Document, keys: Sequence[str], s: int, e: int,
                      starts: dict[int, tuple[int, str]]) -> list[str]:
        """Roles in apposition after the name (between commas, or straight after it) or right before it."""
        tokens, n, out = doc.tokens, len(keys), []
        # After: `NAME، ROLE ...،`
        if e + 1 < n and tokens[e].text in ("،", ",") and keys[e + 1] in ROLE_HEADS:
            j = e + 1
            while j < n and j - e <= self.max_title_tokens and tokens[j].text not in _ENDS_TITLE:
                j += 1
            if j < n and j - e <= self.max_title_tokens and tokens[j].text in ("،", ",", ".", "؛", ")"):
                out.append(doc.text[tokens[e + 1].start:tokens[j - 1].end])
            else:
                # No comma closes it (`دکتر پزشکیان، رییس جمهوری اسلامی ایران امروز با …`): the role
                # runs to the word that opens the rest of the clause (a time word, a preposition).
                k = e + 2
                while k < j and k - e <= 7 and keys[k] not in _STOP and keys[k] not in _AFTER_SUBJECT:
                    k += 1
                if e + 2 < k < j and keys[k] in _AFTER_SUBJECT:
                    out.append(doc.text[tokens[e + 1].start:tokens[k - 1].end])
        # After, no comma: `NAME ROLE ORG|LOC` (`آنتونیو گوترش دبیرکل سازمان ملل`); without a named
        # organization or place, the role noun and at most three more words that are not stop words.
        elif e < n and keys[e] in ROLE_HEADS and e not in starts:
            j, end = e + 1, 0
            while j < n and j - e <= 5 and keys[j] not in _STOP and not _PUNCT.match(tokens[j].text):
                hit = starts.get(j)
                if hit is not None:
                    end = hit[0] if hit[1] in ("ORG", "LOC") else 0
                    break
                j += 1
            if not end:
                end = e + 1
                while end < n and end - e <= 3 and end not in starts and keys[end] not in _STOP \
                        and keys[end].isalpha():
                    end += 1
            while end < n and keys[end] in _ROLE_TAIL:
                end += 1
            if not (end < n and end in starts and starts[end][1] == "PER"):
                out.append(doc.text[tokens[e].start:tokens[end - 1].end])
        # Before: `ROLE ... NAME`, the role starting at a role head after a stop word or punctuation.
        j = s - self._honorific_before(keys, s)
        k = j
        while k > 0 and j - k < 8 and keys[k - 1] not in _STOP and not _PUNCT.match(tokens[k - 1].text):
            k -= 1
        for h in range(k, j):
            if keys[h] in ROLE_HEADS:
                out.append(doc.text[tokens[h].start:tokens[j - 1].end])
                break
        else:
            # Before, between commas: `دبیر جشنواره، مهدی آذرپندار، …` (the role opens the clause and
            # a comma closes the name).
            if j >= 2 and tokens[j - 1].text in ("،", ",") and e < n and tokens[e].text in ("،", ","):
                k = j - 1
                while k > 0 and j - 1 - k < 8 and keys[k - 1] not in _STOP and not _PUNCT.match(tokens[k - 1].text):
                    k -= 1
                if k < j - 1 and keys[k] in ROLE_HEADS and (k == 0 or _PUNCT.match(tokens[k - 1].text)
                                                            or keys[k - 1] in _STOP):
                    out.append(doc.text[tokens[k].start:tokens[j - 2].end])
        return out

    def _propagate(self, keys: Sequence[str], spans: list[list], n: int) -> list[list]:
        """Tags untagged repeats of a tagged name (and of a person's surname) elsewhere in the text."""
        forms: dict[tuple[str, ...], str] = {}
        for s, e, lab, _ in spans:
            forms.setdefault(tuple(keys[s:e]), lab)
            if lab == "PER" and e - s > 1 and len(keys[e - 1]) > 2:
                forms.setdefault((keys[e - 1],), "PER")
            elif lab == "ORG" and e - s > 1 and keys[s] not in self.common and keys[s].isalpha() \
                    and len(keys[s]) > 2 and not self._is_place(keys[s]) and keys[s] not in _STOP:
                # A club or company named in full, then by its first, rare word (`شمراک روورز` … `شمراک`).
                forms.setdefault((keys[s],), lab)
            elif e - s > 1 and any(g.startswith(lab) for g in self.lexicon.get(keys[e - 1], ())):
                # `شورای رهبری حماس` makes a later bare `حماس` an organization, when the model's
                # lexicon knows the word as one.
                forms.setdefault((keys[e - 1],), lab)
        # Surname -> the words before it in the person's full names.
        surnames: dict[str, set[str]] = defaultdict(set)
        for s, e, lab, _ in spans:
            if lab == "PER" and e - s > 1 and len(keys[e - 1]) > 2 and keys[e - 1].isalpha() \
                    and keys[e - 1] not in _STOP and keys[e - 1] not in ROLE_HEADS and keys[e - 1] not in HONORIFICS:
                surnames[keys[e - 1]].add(keys[e - 2])
        # A surname that is also a common word (`رایان`, `مکانی`) is the person where a subject stands:
        # opening a sentence or clause and followed by an adverb, a preposition or a cue.
        weak = {k for k in surnames if k in self.common}
        spans = self._surname_after_common_word(keys, spans, surnames)
        forms = {f: lab for f, lab in forms.items()
                 if not (len(f) == 1 and (f[0] in _STOP or f[0] in HONORIFICS or f[0] in ROLE_HEADS
                                          or f[0] in self.common or len(f[0]) < 2))}
        covered = _covered(spans, n)
        extra = []
        for i in range(n):
            if keys[i] in weak and not covered[i] and (i == 0 or not keys[i - 1].isalnum()) \
                    and i + 1 < n and keys[i + 1] in _SUBJECT_NEXT:
                extra.append([i, i + 1, "PER", []])
                covered[i] = 1
        if extra:
            spans = sorted([*spans, *extra], key=lambda x: x[0])
        if not forms:
            return spans
        by_first: dict[str, list[tuple[str, ...]]] = defaultdict(list)
        for f in forms:
            by_first[f[0]].append(f)
        for v in by_first.values():
            v.sort(key=len, reverse=True)
        added = []
        i = 0
        while i < n:
            cands = by_first.get(keys[i]) if not covered[i] else None
            if cands:
                for f in cands:
                    e = i + len(f)
                    if tuple(keys[i:e]) == f and not any(covered[i:e]) \
                            and (e >= n or not covered[e]) and (i == 0 or not covered[i - 1]):
                        added.append([i, e, forms[f], []])
                        covered[i:e] = b"\x01" * (e - i)
                        i = e - 1
                        break
            i += 1
        return sorted([*spans, *added], key=lambda x: x[0])

    def _surname_after_common_word(self, keys: Sequence[str], spans: list[list],
                                   surnames: dict[str, set[str]]) -> list[list]:
        """A two-word span whose second word is the surname of a person named in full elsewhere in the
        article and whose first is a common word that is no name and not that person's (`اظهارات هوک`
        after `برایان هوک`, `حریف لئوناردو`): that person."""
        out = []
        for sp in spans:
            s, e = sp[0], sp[1]
            if e - s == 2 and surnames.get(keys[e - 1], {keys[s]}) - {keys[s]} and keys[s] in self.common \
                    and keys[s] not in HONORIFICS \
                    and keys[s] not in ROLE_HEADS and not any(g.startswith("PER") or g == "fname"
                                                              for g in self.lexicon.get(keys[s], ())):
                sp = [e - 1, e, "PER", sp[3]]
            out.append(sp)
        return out

    @staticmethod
    def _harmonize_labels(keys: Sequence[str], spans: list[list]) -> None:
        """One string, one label in an article: the label most of its mentions carry."""
        votes: dict[tuple[str, ...], Counter[str]] = defaultdict(Counter)
        for s, e, lab, _ in spans:
            votes[tuple(keys[s:e])][lab] += 1
        # The opening words of an organization's name, written alone, name it too (`جمهوری اسلامی`
        # of `جمهوری اسلامی ایران`).
        heads = {k[:i] for k, c in votes.items() if "ORG" in c and len(k) > 2 for i in range(2, len(k))}
        for sp in spans:
            c = votes[tuple(keys[sp[0]:sp[1]])]
            label = c.most_common(1)[0][0] if len(c) > 1 else sp[2]
            if label in ("LOC", "PER") and tuple(keys[sp[0]:sp[1]]) in heads:
                label = "ORG"
            if label != sp[2]:
                if sp[2] == "PER":
                    sp[3] = []  # titles belong to persons only
                sp[2] = label

    def _cluster(self, doc: Document, keys: Sequence[str], spans: list[list]) -> tuple[list[_Cluster], list[_Cluster]]:
        """Groups mentions into identities; a person's shorter name forms join the longer one."""
        tokens = doc.tokens
        clusters: list[_Cluster] = []
        by_key: dict[tuple[str, tuple[str, ...]], _Cluster] = {}
        # Longest forms first, so a surname finds the full name it belongs to.
        order = sorted(range(len(spans)), key=lambda i: (-(spans[i][1] - spans[i][0]), spans[i][0]))
        assign: list[_Cluster | None] = [None] * len(spans)
        # Persons by the shorter forms of their names (`اسماعیل درویش`, `درویش` for `محمد اسماعیل درویش`).
        by_suffix: dict[tuple[str, ...], list[_Cluster]] = defaultdict(list)
        # `خبرگزاری دانشجویان ایران (ایسنا)`: the name in brackets right after a name is another form of it.
        bracketed: dict[int, int] = {}
        for i in range(1, len(spans)):
            (_, e0, lab0, _), (s1, e1, lab1, _) = spans[i - 1], spans[i]
            if lab0 == lab1 and s1 == e0 + 1 and e1 < len(keys) and tokens[e0].text == "(" \
                    and tokens[e1].text == ")" and e1 - s1 < e0 - spans[i - 1][0] + 1:
                bracketed[i] = i - 1
        for i in order:
            s, e, lab, titles = spans[i]
            key = tuple(keys[s:e])
            cl = by_key.get((lab, key))
            if cl is None and i in bracketed:
                cl = assign[bracketed[i]]
            if cl is None and lab == "PER":
                cands = by_suffix.get(key, [])
                if len(cands) == 1:
                    cl = cands[0]
            if cl is None:
                cl = _Cluster(lab, key, doc.text[tokens[s].start:tokens[e - 1].end])
                clusters.append(cl)
                if lab == "PER":
                    for j in range(1, len(key)):
                        by_suffix[key[j:]].append(cl)
            by_key[(lab, key)] = cl
            cl.titles.extend(titles)
            assign[i] = cl
        # Titles in text order; names of clusters in order of first mention.
        first: dict[int, int] = {}
        for i, cl in enumerate(assign):
            first.setdefault(id(cl), spans[i][0])
        clusters.sort(key=lambda c: first.get(id(c), 0))
        return clusters, [a for a in assign if a is not None]

    def _bare_roles(self, doc: Document, keys: Sequence[str], spans: list[list],
                    clusters: list[_Cluster]) -> list[tuple[int, int, _Cluster]]:
        """Role phrases with no name (``رهبر انقلاب اسلامی``) resolved to the one person holding them."""
        holders: dict[str, set[int]] = defaultdict(set)  # folded title -> cluster indexes
        people = [c for c in clusters if c.label == "PER" and c.titles]
        for ci, c in enumerate(people):
            for t in c.titles:
                ft = " ".join(fold_word(w) for w in t.split())
                holders[ft].add(ci)
                for cls in ROLE_CLASSES:
                    if ft in cls:
                        for alt in cls:
                            holders[alt].add(ci)
        if not holders:
            return []
        longest = max(len(h.split()) for h in holders)
        covered = bytearray(len(keys))
        for s, e, lab, _ in spans:
            if lab == "PER":
                covered[s:e] = b"\x01" * (e - s)
        # Spans of titles already attached to a name are not bare roles.
        attached = set()
        for c in people:
            attached.update(c.titles)
        out = []
        tokens = doc.tokens
        i = 0
        n = len(keys)
        # Where persons' names start and end, so each role looks around itself in constant time.
        per_start = bytearray(n + longest + 2)
        per_end = bytearray(n + 1)
        for s, e, lab, _ in spans:
            if lab == "PER":
                per_start[s] = 1
                per_end[e] = 1
        while i < n:
            if keys[i] in ROLE_HEADS and not covered[i] and not any(per_start[i + 1:i + longest + 2]):
                hit = None
                # How far the role's words run (`وزیر امور خارجه کشورمان`), so a shorter form is not
                # matched where the role goes on to name another country.
                ext = i + 1
                while ext < n and ext - i <= longest + 1 and keys[ext].isalpha() and keys[ext] not in _STOP \
                        and not covered[ext]:
                    ext += 1
                for ln in range(min(longest, n - i), 0, -1):
                    phrase = " ".join(keys[i:i + ln])
                    who = holders.get(phrase)
                    if who is None and ln >= 2 and not any(k in _ROLE_TAIL or self._is_place(k) for k in keys[i + ln:ext]):
                        # A shorter form of a title (`وزیر امور خارجه` of `… روسیه`).
                        who = next((holders[h] for h in holders if h.startswith(phrase + " ")), None)
                    if who and len(who) == 1 and (ln >= 2 or phrase in holders):
                        hit = (ln, people[next(iter(who))])
                        break
                # A role right after `NAME` or `NAME،` is that name's title, already attached.
                apposition = per_end[i] or (i >= 2 and tokens[i - 1].text in ("،", ",") and per_end[i - 1])
                if hit and not apposition:
                    ln, cl = hit
                    out.append((i, i + ln, cl))
                    text = doc.text[tokens[i].start:tokens[i + ln - 1].end]
                    if text not in cl.titles:
                        cl.titles.append(text)
                    i += ln
                    continue
            i += 1
        return out


# Given names (folded) that make the word after a strong honorific part of the name too.
_GIVEN_HINT = _folded(
    "علی محمد حسن حسین مهدی رضا احمد محمود جواد قاسم اسماعیل ابراهیم عباس مجتبی محمدباقر محمدجواد "
    "محمدرضا غلامحسین اکبر هاشم صادق کاظم مرتضی مصطفی سعید حمید مجید ناصر یحیی خلیل زاهر سید"
)


def _distinct(titles: Sequence[str]) -> tuple[str, ...]:
    """Titles without repeats, spelling variants counting as repeats (`رئیس جمهور`, `رئیس‌جمهور`).

    >>> _distinct(["دکتر", "رئیس جمهور", "رئیس‌جمهور"])
    ('دکتر', 'رئیس جمهور')
    """
    seen: dict[str, str] = {}
    for t in titles:
        seen.setdefault(fold_word(t.replace(" ", "")), t)
    return tuple(seen.values())


def _fold_phrase(text: str) -> str:
    return " ".join(fold_word(w) for w in text.split())


def holder_of(doc: Document, role: str) -> Entity | None:
    """The one person in ``doc`` whose titles include ``role``, an equivalent role, or a longer
    form of it (``رئیس شورای رهبری`` → the holder of ``رئیس شورای رهبری حماس``); None if no one or
    several people hold it. For stages that resolve speakers given by role.

    >>> import khabar
    >>> doc = khabar.analyze("آیت‌الله خامنه‌ای، رهبر جمهوری اسلامی ایران، با دانشجویان دیدار کرد.")
    >>> holder_of(doc, "رهبر انقلاب").name
    'خامنه\u200cای'
    """
    want = _fold_phrase(role)
    if not want:
        return None
    same = {want}
    for cls in ROLE_CLASSES:
        if want in cls:
            same |= cls
    found = []
    for e in doc.entities:
        if e.label != "PER":
            continue
        titles = {_fold_phrase(t) for t in e.titles}
        if titles & same or any(t.startswith(want + " ") for t in titles):
            found.append(e)
    return found[0] if len(found) == 1 else None
