"""Roles across the archive: where an article names someone by a role alone, and which office a role means.

An article often names a person by their office only (``رئیس‌جمهور در سفر به نیویورک گفت``,
``سخنگوی وزارت امور خارجه``, ``همتای روسی خود``). The pipeline resolves such a role inside the
article when the article also names its holder; the archive resolves the rest against the holders
it has seen (:mod:`khabar.archive.identities`). This module finds the roles (:func:`find_roles`, run
by the ingest workers) and turns a role's words into the key of its office (:func:`office_key`), so
that ``وزیر امور خارجه کشورمان``, ``وزیر خارجه ایران`` and a bare ``وزیر خارجه`` in an Iranian outlet
are one office, and ``وزیر خارجه روسیه`` another.

>>> from khabar.pipeline import analyze
>>> doc = analyze("رئیس‌جمهور امروز در نیویورک سخنرانی کرد.")
>>> [r["text"] for r in find_roles(doc)]
['رئیس\\u200cجمهور']
>>> office_key("وزیر امور خارجه کشورمان") == office_key("وزیر خارجه")
True
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from khabar.document import Document
from khabar.pipeline.identity import ROLE_HEADS, ROLE_PREFIX
from khabar.text.fold import fold_word

__all__ = ["COUNTRY", "Part", "counterpart_country", "find_roles", "index", "office_key", "title_parts"]


def _folded(words: str) -> frozenset[str]:
    return frozenset(fold_word(w) for w in words.split())


# The country an Iranian outlet means when a role names none (`وزیر خارجه`, `رئیس‌جمهور`).
COUNTRY = fold_word("ایران")
COUNTERPART = _folded("همتای")
# Heads of offices beyond the pipeline's list of titles.
HEADS = ROLE_HEADS | _folded("مدیرکل فرستاده نایب‌رئیس قائم‌مقام")
# Heads that name no one office (many hold them at once), so a bare one is left alone.
_VAGUE_HEADS = _folded("مقام منبع کارشناس تحلیلگر خبرنگار عضو نماینده وکیل مربی قاضی مسئول مشاور دستیار "
                       "امیر منشی هماهنگ‌کننده کاپیتان رایزن کنسول مدیر جانشین رئیسه سفیر "
                       "کارگردان بازیگر نویسنده شاعر خواننده آهنگساز تهیه‌کننده مجری")
# One-word offices that need no complement; any other head alone (`وزیر`, `رئیس`) says too little.
_SELF_CONTAINED = _folded("رئیس‌جمهور رئیس‌جمهوری نخست‌وزیر")
# Words before a head that make it indefinite or a back reference (`یک مقام`, `این وزیر`).
_NOT_BARE_BEFORE = _folded("یک چند برخی این آن همین همان هر دو سه چندین هیچ عنوان سمت")
# Words that end a role and belong to it (`وزیر خارجه کشورمان`, `رئیس‌جمهور پیشین`).
_TAIL = _folded("کشورمان پیشین سابق وقت فعلی")
_FORMER = _folded("پیشین سابق وقت")
# Words an office's name is made of after its head (`وزیر امور خارجه`, `فرمانده کل سپاه`).
_OFFICE_WORDS = _folded(
    "جمهور جمهوری امور خارجه کل اول دوم ویژه انقلاب اسلامی معظم عالی امنیت ملی قوه قضاییه قضائیه مقننه مجریه "
    "دستگاه قضا دیپلماسی دولت وزارت وزارتخانه مجلس شورای شورا سازمان ستاد نیروهای نیروی مسلح سپاه پاسداران "
    "کشور اقتصاد اقتصادی دارایی بهداشت درمان آموزش پرورش نیرو نفت کار رفاه اجتماعی تعاون راه شهرسازی صنعت "
    "معدن تجارت ورزش جوانان فرهنگ ارشاد اطلاعات دفاع پشتیبانی دادگستری علوم تحقیقات فناوری ارتباطات میراث "
    "فرهنگی گردشگری جهاد کشاورزی بانک مرکزی کمیسیون حقوقی بین‌الملل بین‌المللی پارلمان مجمع تشخیص مصلحت "
    "نظام رهبری قدس هوافضا دریایی زمینی هوایی ارتش انتظامی فرماندهی دفتر نهاد ریاست ریاست‌جمهوری هیئت مدیره "
    "شهر اتاق بازرگانی کمیته المپیک فدراسیون فوتبال تیم برنامه بودجه محیط زیست هلال احمر صدا سیما انرژی "
    "اتمی آژانس ملل متحد اروپا اتحادیه سیاست خارجی امنیتی سیاسی شورای‌عالی")
_AND = fold_word("و")
_SELF = _folded("خود خویش")
_OURS = fold_word("کشورمان")
_PUNCT = frozenset("،,؛;:.!?؟()«»-–—")

# Office words written several ways, on space-free folded text, longest first. The leader's titles
# are one office; `امور` and `اسلامی ایران` are often left out; a body's long and short names meet.
_SYNONYMS: list[tuple[re.Pattern[str], str]] = [(re.compile(a), b) for a, b in (
    ("(?:رهبرمعظمانقلاباسلامی|رهبرمعظمانقلاب|رهبرانقلاباسلامی|رهبرانقلاب|رهبرجمهوریاسلامی|رهبرعالی|"
     "مقاممعظمرهبری|رهبرمعظم)", "رهبر"),
    ("رییسجمهوری(?:اسلامی)?", "رییسجمهور"),
    ("امور", ""),
    ("دستگاهدیپلماسی", "وزارتخارجه"),
    ("(?:قوهقضاییه|قوهقضاییه|دستگاهقضا)", "قوهقضاییه"),
    ("سپاهپاسداران(?:انقلاباسلامی)?", "سپاه"),
    ("مجلسشورایاسلامی", "مجلس"),
    ("سازمانمللمتحد", "سازمانملل"),
    ("اژانس(?:بینالمللیانرژیاتمی|اتمی)", "اژانس"),
    ("مجمعتشخیصمصلحت(?:نظام)?", "مجمعتشخیص"),
    ("ستادکلنیروهایمسلح", "ستادکل"),
    ("بانکمرکزی(?:جمهوریاسلامی)?", "بانکمرکزی"),
)]


def _key(words: Sequence[str]) -> str:
    text = "".join(words)
    for pattern, repl in _SYNONYMS:
        text = pattern.sub(repl, text)
    return text


Part = tuple[str, str, str]  # (label of a mention or "", its text, its local entity id or "")


def office_key(parts: Sequence[Part] | str, *, org_form: Any = None, is_place: Any = None) -> str:
    """The key of the office a role names: ``OFFICE|COUNTRY``. The office is its words folded and
    joined, their usual variants made one (the leader's titles, ``امور``, a body's long and short
    names); a body the article tags inside it is written as ``org_form(local id, text)`` gives it
    (the archive: that organization's shortest name). The country is the place the role ends with
    (tagged, or a word ``is_place`` knows), ``کشورمان`` is ``ایران``, and a role that names none is
    Iran's: khabar reads Iranian outlets. ``parts`` is the role as (label, text, local id) pieces,
    or plain text.

    >>> office_key("رهبر معظم انقلاب اسلامی") == office_key("رهبر انقلاب")
    True
    >>> office_key("وزیر امور خارجه کشورمان") == office_key("وزیر خارجه") == office_key("وزیر خارجه ایران")
    True
    >>> office_key([("", "وزیر", ""), ("", "خارجه", ""), ("LOC", "روسیه", "loc:روسیه")])
    'وزیرخارجه|روسیه'
    """
    if isinstance(parts, str):
        parts = [("", w, "") for w in parts.split()]
    words: list[str] = []
    country = COUNTRY
    for label, text, local in parts:
        if label == "LOC":
            country = fold_word(text.replace(" ", ""))
            break
        if label == "ORG":
            words.append(org_form(local, text) if org_form else fold_word(text.replace(" ", "")))
            continue
        w = fold_word(text)
        if w in _FORMER or not w:
            continue
        if w == _OURS:
            break
        words.append(w)
    if words and country == COUNTRY and len(words) > 1:
        last = words[-1]
        if last == COUNTRY or (is_place is not None and is_place(last)):
            country = words.pop()
    return f"{_key(words)}|{country}"


def counterpart_country(adjective: str, is_place: Any) -> str | None:
    """The country of a counterpart's adjective (``روسی`` → ``روسیه``, ``ترک`` → ``ترکیه``,
    ``فرانسوی`` → ``فرانسه``), asking ``is_place(folded name)`` which candidate is a known place.

    >>> counterpart_country("روسی", lambda k: k in {"روسیه", "ترکیه", "فرانسه", "چین"})
    'روسیه'
    >>> counterpart_country("ترکیه‌ای", lambda k: k in {"ترکیه"})
    'ترکیه'
    """
    adj = fold_word(adjective)
    stems = [adj]
    for suffix in ("ای", "ی"):
        if adj.endswith(suffix) and len(adj) > len(suffix) + 1:
            stems.append(adj[: -len(suffix)])
    cands: list[str] = []
    for st in stems:
        cands += [st, st + "یه", st + "ه", st[:-1] + "ه" if st.endswith("و") else st, st + "ستان"]
    for c in dict.fromkeys(cands):
        if c and c != adj and is_place(c):
            return c
    return adj if is_place(adj) else None


_fold = lru_cache(maxsize=200_000)(fold_word)


def _index(doc: Document) -> tuple[list[str], list[int], list[Any]]:
    """Folded token keys, token starts, and the mention covering each token (or None)."""
    tokens = doc.tokens
    keys = [_fold(t.text[:60]) for t in tokens]
    starts = [t.start for t in tokens]
    covered: list[Any] = [None] * len(tokens)
    for m in doc.mentions:
        for i in range(bisect_left(starts, m.start), min(bisect_left(starts, m.end), len(tokens))):
            covered[i] = m
    return keys, starts, covered


def _parts(tokens: Sequence[Any], covered: Sequence[Any], a: int, b: int) -> list[Part]:
    out: list[Part] = []
    i = a
    while i < b:
        m = covered[i]
        if m is not None and m.label in ("ORG", "LOC") and m.entity:
            out.append((m.label, m.text, m.entity))
            while i < b and covered[i] is m:
                i += 1
            continue
        if tokens[i].text not in _PUNCT:
            out.append(("", tokens[i].text, ""))
        i += 1
    return out


def index(doc: Document) -> tuple[list[str], list[int], list[Any]]:
    """What :func:`find_roles` and :func:`title_parts` read of an article, made once for both."""
    return _index(doc)


def title_parts(doc: Document, titles: Sequence[str], index: Any = None) -> list[list[Part]]:
    """Each title as :data:`Part` s: the bodies and places the article tags inside it, where the title
    is written in the article (else its plain words). ``index``: the article's :func:`_index`, if made."""
    if not titles:
        return []
    _, starts, covered = index or _index(doc)
    out = []
    for title in titles:
        at = doc.text.find(title)
        if at < 0:
            out.append([("", w, "") for w in title.split()])
            continue
        a, b = bisect_left(starts, at), bisect_left(starts, at + len(title))
        out.append(_parts(doc.tokens, covered, a, b))
    return out


def find_roles(doc: Document, is_place: Any = None, index: Any = None) -> list[dict[str, Any]]:
    """The roles ``doc`` names someone by, where the entities stage gave no one: meeting participants
    known only by a role (ids ``role:…``), speakers given by a role, and bare roles in the running
    text (a head such as ``وزیر`` with the words of its office, not right after or before a name,
    whose title it would be). Each is ``{start, end, raw_start, raw_end, text, parts, counterpart,
    subject, entity, speaker}``: ``parts`` the role as :data:`Part` s (the bodies and places the
    article tags inside it), ``counterpart`` the adjective of ``همتای X``, ``subject`` the local id
    of the person (or ``#start`` of the role) it is the counterpart of, ``entity`` the local id of
    the role's entity (a meeting participant), ``speaker`` whether a statement is given to it.
    ``is_place(folded word)`` says which untagged word after an office is its country (`استاندار
    فارس`, `وزیر خارجه عمان`)."""
    tokens = doc.tokens
    n = len(tokens)
    if not n:
        return []
    keys, starts, covered = index or _index(doc)
    mentions = sorted(doc.mentions, key=lambda m: m.start)
    per_start, per_end = bytearray(n + 1), bytearray(n + 1)
    for i, m in enumerate(covered):
        if m is not None and m.label == "PER":
            if i == 0 or covered[i - 1] is not m:
                per_start[i] = 1
            if i + 1 == n or covered[i + 1] is not m:
                per_end[i + 1] = 1
    roles_by_text = {" ".join(fold_word(w) for w in e.name.split()): e.id
                     for e in doc.entities if e.id.startswith(ROLE_PREFIX)}
    speakers = {(q.speaker.start, q.speaker.end) for q in doc.quotes
                if q.speaker is not None and q.speaker.entity is None}
    out: list[dict[str, Any]] = []

    def add(a: int, b: int, counterpart: str | None, entity: str | None = None) -> None:
        start, end = tokens[a].start, tokens[b - 1].end
        span = doc.span(start, end)
        text = doc.text[start:end]
        out.append({"start": start, "end": end, "raw_start": span.raw_start, "raw_end": span.raw_end,
                    "text": text, "parts": _parts(tokens, covered, a, b), "counterpart": counterpart,
                    "subject": _subject(doc, mentions, out, start) if counterpart else None,
                    "entity": entity or roles_by_text.get(" ".join(keys[a:b])),
                    "speaker": any(s <= start and end <= e for s, e in speakers)})

    i = 0
    while i < n:
        k = keys[i]
        if covered[i] is not None or (k not in HEADS and k not in COUNTERPART) or k in _VAGUE_HEADS:
            i += 1
            continue
        if i and keys[i - 1] in _NOT_BARE_BEFORE:
            i += 1
            continue
        counterpart = None
        if k in COUNTERPART:
            if i + 1 >= n or covered[i + 1] is not None or not keys[i + 1].isalpha() or keys[i + 1] in _SELF:
                i += 1
                continue
            counterpart, j = tokens[i + 1].text, i + 2
        else:
            j = _extent(tokens, keys, covered, i, is_place)
        # A title in apposition: `NAME، ROLE` (a word the model left out of the name between them
        # too), `NAME ROLE`, `ROLE NAME`, `ROLE، NAME،`.
        comma = i > 0 and tokens[i - 1].text in "،,"
        appos_before = i > 0 and (per_end[i] or (comma and (per_end[i - 1] or (
            i > 1 and per_end[i - 2] and covered[i - 2] is None and keys[i - 2].isalpha()))))
        appos_after = j < n and (per_start[j] or (tokens[j].text in "،," and j + 1 < n and per_start[j + 1]
                                                  and _closed_name(tokens, covered, j + 1)))
        single = j - i == 1 and k not in _SELF_CONTAINED and counterpart is None
        if not (appos_before or appos_after or single):
            add(i, j, counterpart)
        i = max(j, i + 1)
    # Participants known only by a role whose words the scan did not take (`سفیر لسوتو`), or took
    # in fewer words than the participant's name runs on.
    found = {r["entity"] for r in out}
    for e in doc.entities:
        if e.id.startswith(ROLE_PREFIX) and e.id not in found:
            at = doc.text.find(e.name)
            if at < 0:
                continue
            same = next((r for r in out if r["start"] == at), None)
            if same is not None:
                same["entity"] = e.id
                continue
            a, b = bisect_left(starts, at), bisect_left(starts, at + len(e.name))
            if a < b <= n:
                words = e.name.split()
                add(a, b, words[1] if len(words) == 2 and fold_word(words[0]) in COUNTERPART else None, e.id)
    out.sort(key=lambda r: r["start"])
    return out


def _closed_name(tokens: Sequence[Any], covered: Sequence[Any], i: int) -> bool:
    """Whether the name starting at token ``i`` is closed by a comma (an apposition, not a new clause)."""
    m = covered[i]
    while i < len(tokens) and covered[i] is m:
        i += 1
    return i < len(tokens) and tokens[i].text in "،,"


def _extent(tokens: Sequence[Any], keys: Sequence[str], covered: Sequence[Any], i: int,
            is_place: Any = None) -> int:
    """The end (exclusive token index) of the role whose head is ``tokens[i]``: its office words,
    up to the body or place it names, and a tail such as ``کشورمان``."""
    n = len(tokens)
    j = i + 1
    while j < n and j - i < 10:
        m = covered[j]
        if m is not None:
            if m.label not in ("ORG", "LOC") or not m.entity:
                break
            while j < n and covered[j] is m:
                j += 1
            if m.label == "LOC":
                break
            continue
        if keys[j] in _TAIL:
            j += 1
            break
        if keys[j] == _AND and j + 1 < n and covered[j + 1] is None and keys[j + 1] in _OFFICE_WORDS:
            j += 2
            continue
        if (keys[j] in _OFFICE_WORDS or keys[j] in HEADS) and tokens[j].text not in _PUNCT:
            j += 1
            continue
        if is_place is not None and keys[j].isalpha() and is_place(keys[j]):
            j += 1
        break
    if j < n and keys[j] in _TAIL:
        j += 1
    return j


def _subject(doc: Document, mentions: Sequence[Any], roles: Sequence[dict[str, Any]], pos: int) -> str | None:
    """Whose counterpart: the person named (or the role) last before ``pos`` in its sentence."""
    sent_start = 0
    for s in doc.sentences:
        if s.start <= pos:
            sent_start = s.start
    best: tuple[int, str] | None = None
    for m in mentions:
        if m.label == "PER" and sent_start <= m.start < pos and m.entity:
            best = (m.start, m.entity)
    for r in roles:
        if sent_start <= r["start"] < pos and (best is None or r["start"] > best[0]):
            best = (r["start"], f"#{r['start']}")
    return best[1] if best else None
