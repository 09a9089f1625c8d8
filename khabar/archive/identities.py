"""One person, one identity across the archive: each article's entities linked to archive identities.

The pipeline decides identity inside one article (:mod:`khabar.pipeline.identity`); this module
decides it across the archive, as each analysed article is stored (:class:`IdentityResolver`, run
by the one writing process of an ingest or reanalysis). An article entity is linked to an archive
identity when

- their names are compatible: the same surname, and the given names of one among the other's
  (``خامنه‌ای`` ⊂ ``سید علی خامنه‌ای``; ``علی لاریجانی`` and ``صادق آملی لاریجانی`` are not),
  honorifics and ``سید``/``حاج``/``دکتر``/``مهندس`` aside, spelling variants folded
  (``بقائی``/``بقایی``, ``اژه ای``/``اژه‌ای``, ``امیر عبداللهیان``/``امیرعبداللهیان``), and a
  transliterated name may differ by the vowel letters and near-alike consonants writers choose
  (``لاوروف``/``لاورف``, ``زلنسکی``/``زلینسکی``, ``گوترش``/``گوترس``) where one of the spellings is no
  word of khabar's lexicon;
- and, where several identities are compatible, the evidence says which: the same name in full,
  titles shared (``رئیس قوه قضاییه``), the entities the two are mentioned with, the honorifics
  they are given, the outlet, and how often each is named.

An organization or place is linked by its name or its short or long form (``سپاه`` /
``سپاه پاسداران انقلاب اسلامی``, ``خبرگزاری مهر`` / ``مهر``). Bare roles
(:func:`khabar.archive.roles.find_roles`) resolve to the person holding that office for that
country nearest the article's date, when the archive has seen that person with that title; those
it cannot resolve stay in their article (``role:…@ARTICLE``), never an identity across articles.

Every link keeps its reason; ids are stable (an identity keeps the id it was created with, from
its first name, and re-ingesting or reanalysing finds the same identity again), and merges and
splits are recorded so they can be undone (:mod:`khabar.archive.people`).

>>> from khabar.archive.storage import open_storage
>>> from khabar.archive.runner import ingest
>>> from khabar.ingest import RawArticle
>>> store = open_storage(":memory:")
>>> texts = ["سید علی خامنه‌ای، رهبر انقلاب اسلامی، با مسعود پزشکیان، رئیس‌جمهور، دیدار کرد.",
...          "رهبر انقلاب گفت: مردم صبورند. آیت‌الله خامنه‌ای افزود که دولت باید تلاش کند."]
>>> _ = ingest([], store, jobs=1, articles=[RawArticle(t, f"a{i}", "text", published="2025-08-27")
...                                         for i, t in enumerate(texts)])
>>> [e.id for e in store.entities(key="خامنهای")]
['per:علیخامنهای']
"""

from __future__ import annotations

import math
import re
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from itertools import pairwise
from typing import Any

from khabar.archive.models import ArticleLinks, IdentityRecord, NewArticle, RoleLink
from khabar.archive.roles import Part, counterpart_country, find_roles, office_key, title_parts
from khabar.archive.roles import index as role_index
from khabar.archive.storage.base import Storage
from khabar.document import Document
from khabar.pipeline.identity import HONORIFICS, ROLE_HEADS, ROLE_PREFIX
from khabar.text.fold import fold_word

__all__ = ["IdentityResolver", "features", "lookup_keys", "name_tokens", "same_token", "sentence_subjects",
           "shared_titles", "skeleton", "with_identities"]

# Words before or inside a name that are no part of it for matching: honorifics and ranks, and the
# lineage and pilgrimage titles written as part of a name (`سید علی خامنه‌ای`, `حاج قاسم`).
_NOT_NAME = HONORIFICS | frozenset(fold_word(w) for w in ["سید", "سیده", "حاج", "حاجی", "میرزا"])
# Short endings a scraped text writes apart from their word (`اژه ای`, `خامنه ای`).
_ENDINGS = frozenset(fold_word(w) for w in ["ای", "ی", "ها", "زاده"])
# Consonants transliterations of one foreign name swap (`گوترش`/`گوترس`, `طالبان`/`تالبان`).
_ALIKE = str.maketrans({"ط": "ت", "ص": "س", "ث": "س", "ش": "س", "ذ": "ز", "ض": "ز", "ظ": "ز", "ح": "ه",
                        "غ": "ق", "ء": "", "ع": ""})
_VOWELS = re.compile("[اوی]")
_DOUBLED = re.compile(r"(.)\1+")
# Roles the pipeline keeps as a person's titles that are honorifics, not offices.
_HONORIFIC_TITLE = HONORIFICS
# Kinds of body that open an organization's name (`خبرگزاری مهر` is `مهر`).
_KIND_WORDS = frozenset(fold_word(w) for w in ["خبرگزاری", "روزنامه", "شبکه", "پایگاه", "هفته\u200cنامه", "ماهنامه"])
# Nouns too general to be an organization by themselves (`سازمان` is no short form of anything).
_GENERIC_BODIES = frozenset(fold_word(w) for w in ["سازمان", "وزارت", "شورای", "شورا", "کمیته", "کمیسیون", "مجمع", "اتحادیه", "انجمن", "شرکت", "بانک", "دانشگاه", "دولت", "ستاد", "مرکز", "دفتر", "اداره", "نهاد", "بنیاد", "گروه", "حزب", "جبهه", "هیئت", "هیات", "خبرگزاری", "روزنامه", "شبکه"])
_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})")
# How far from the nearest date an office holder was seen a role may still mean them (days).
ROLE_WINDOW = 400
# Lookup keys: a name's folded words ('n:'), a surname ('s:'), its consonant skeleton ('k:'), the
# opening words of an organization's name ('p:').
_MAX_CONTEXT = 12
# The shortest office (folded, without spaces) another may be a shorter or longer form of.
_MIN_OFFICE = 7
_DEBUG = False


def name_tokens(name: str) -> tuple[str, ...]:
    """A person's name as folded words for matching: honorifics, ``سید`` and ``حاج`` dropped, an
    ending written apart joined back.

    >>> name_tokens("آیت‌الله سید علی خامنه ای") == name_tokens("علی خامنه‌ای")
    True
    """
    out: list[str] = []
    for w in name.split():
        f = fold_word(w)
        if not f or f in _NOT_NAME:
            continue
        if out and f in _ENDINGS:
            out[-1] += f
        else:
            out.append(f)
    return tuple(out)


@lru_cache(maxsize=100_000)
def skeleton(token: str) -> str:
    """A word's consonants: the letters transliterations of one foreign name agree on.

    >>> skeleton("لاوروف") == skeleton("لاورف"), skeleton("زلنسکی") == skeleton("زلینسکی")
    (True, True)
    >>> skeleton("گوترش") == skeleton("گوترس")
    True
    """
    if not token:
        return ""
    body = _VOWELS.sub("", token[1:].translate(_ALIKE))
    return _DOUBLED.sub(r"\1", token[0] + body)


def same_token(a: str, b: str, known: Any = None) -> bool:
    """Whether two folded name words are one name: equal, or (where ``known`` says one of them is
    no word of the lexicon, so a transliteration) with the same consonants, three or more.

    >>> same_token("لاوروف", "لاورف", lambda w: w == "لاوروف")
    True
    >>> same_token("محمدی", "محمودی", lambda w: True)
    False
    >>> same_token("فتحی", "فتاح", lambda w: w == "فتاح")
    False
    """
    if a == b:
        return True
    if known is not None and known(a) and known(b):
        return False
    if (a[-1] == "ی") != (b[-1] == "ی"):
        return False  # a Persian surname's ending, not a transliteration's vowel (`فتحی` is no `فتاح`)
    sa = skeleton(a)
    return len(sa) >= 3 and sa == skeleton(b) and abs(len(a) - len(b)) <= 1


def _contains(big: Sequence[str], small: Sequence[str], known: Any = None) -> bool:
    """Whether every word of ``small`` is a word of ``big`` (surnames matched last to last)."""
    if not small or len(small) > len(big):
        return False
    if len(small) == 1:
        return same_token(big[-1], small[0], known)
    if not same_token(big[-1], small[-1], known):
        return False
    rest = list(big[:-1])
    for w in small[:-1]:
        hit = next((i for i, x in enumerate(rest) if same_token(x, w, known)), None)
        if hit is None:
            return False
        rest.pop(hit)
    return True


def compatible(a: Sequence[str], b: Sequence[str], known: Any = None) -> bool:
    """Whether two names may be one person's: one's words among the other's, the surname last;
    a surname written in two words or one counts once (``امیر عبداللهیان``).

    >>> compatible(("علی", "لاریجانی"), ("صادق", "املی", "لاریجانی"))
    False
    >>> compatible(("امیر", "عبداللهیان"), ("حسین", "امیرعبداللهیان"))
    True
    """
    if not a or not b:
        return False
    if same_token(a[-1], b[-1], known):
        return _contains(a, b, known) or _contains(b, a, known)
    if len(a) < 2 and len(b) < 2:
        return False
    for x in _variants(a):
        for y in _variants(b):
            if _contains(x, y, known) or _contains(y, x, known):
                return True
    return False


def _variants(tokens: Sequence[str]) -> list[tuple[str, ...]]:
    t = tuple(tokens)
    return [t, (*t[:-2], t[-2] + t[-1])] if len(t) >= 2 else [t]


def _day(value: str | None) -> int | None:
    m = _DAY.match(value or "")
    if not m:
        return None
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3))).toordinal()
    except ValueError:
        return None


def with_identities(doc: dict[str, Any], links: dict[str, str]) -> dict[str, Any]:
    """An article's ``Document.to_dict()`` with its entities named by their archive identities
    (``links``: the article's entity id → identity, as stored): what the archive shows of it, so its
    mentions, speakers and participants lead to the identity's page. Entities that are one identity
    become one entity, their names its aliases.

    >>> doc = {"mentions": [{"text": "خامنه‌ای", "entity": "per:خامنهای"}], "quotes": [], "events": [],
    ...        "entities": [{"id": "per:خامنهای", "name": "خامنه‌ای", "label": "PER", "aliases": [], "titles": []}]}
    >>> with_identities(doc, {"per:خامنهای": "per:علیخامنهای"})["mentions"][0]["entity"]
    'per:علیخامنهای'
    """
    if not links:
        return doc

    def to(local: str | None) -> str | None:
        return links.get(local, local) if local else local

    out = dict(doc)
    out["mentions"] = [{**m, "entity": to(m.get("entity"))} for m in doc.get("mentions") or ()]
    entities: dict[str, dict[str, Any]] = {}
    for e in doc.get("entities") or ():
        ident = to(e["id"]) or e["id"]
        if ident in entities:
            old = entities[ident]
            aliases = [*old.get("aliases", ()), e["name"], *e.get("aliases", ())]
            old["aliases"] = [a for a in dict.fromkeys(aliases) if a != old["name"]]
            old["titles"] = list(dict.fromkeys([*old.get("titles", ()), *e.get("titles", ())]))
        else:
            entities[ident] = {**e, "id": ident}
    out["entities"] = list(entities.values())
    out["quotes"] = [{**q, "speaker": {**q["speaker"], "entity": to(q["speaker"].get("entity"))}}
                     if q.get("speaker") else q for q in doc.get("quotes") or ()]
    out["events"] = [{**ev, "participants": list(dict.fromkeys(to(p) for p in ev.get("participants") or ())),
                      "place": to(ev.get("place"))} for ev in doc.get("events") or ()]
    return out


def lookup_keys(label: str, names: Sequence[str]) -> list[str]:
    """How later articles find an identity known by these names (see :class:`IdentityResolver`)."""
    if label == "PER":
        forms = [t for t in (name_tokens(n) for n in names) if t]
        keys = []
        for f in forms:
            keys += ["n:" + " ".join(f), "s:" + f[-1], "k:" + skeleton(f[-1])]
            if len(f) >= 2:
                keys.append("s:" + f[-2] + f[-1])
        return list(dict.fromkeys(keys))
    forms = [tuple(fold_word(w) for w in n.split()) for n in names if n.split()]
    keys = [f"n:{' '.join(f)}" for f in forms]
    if label == "ORG":
        keys += [f"p:{' '.join(f[:n])}" for f in forms for n in range(1, len(f))]
    return list(dict.fromkeys(keys))


def _widen(span: tuple[str | None, str | None, int] | None, day: str | None) -> tuple[str | None, str | None, int]:
    """A title's first and last dates and article count, with one more article on ``day``."""
    if span is None:
        return day, day, 1
    first, last, n = span
    if day is not None:
        first = day if first is None or day < first else first
        last = day if last is None or day > last else last
    return first, last, n + 1


@lru_cache(maxsize=1)
def _lexicon() -> dict[str, list[str]]:
    from khabar.pipeline.entities import load_model

    try:
        return load_model("")[1]
    except Exception:  # without the model, names are matched on their letters alone
        return {}


def lexicon_is_place() -> Any:
    """``is_place(folded word)``: whether the entities model's lexicon knows the word as a place."""
    lex = _lexicon()
    return lambda word: any(g in ("LOC:hi", "place") for g in lex.get(word, ()))


@lru_cache(maxsize=1)
def _common() -> frozenset[str]:
    from khabar.pipeline.entities import load_model

    try:
        return frozenset(load_model("")[4].get("common", ()))
    except Exception:
        return frozenset()


def features(doc: Document, is_place: Any = None) -> dict[str, Any]:
    """What the resolver needs from one analysed article beyond its entities, computed where the
    article is analysed (in an ingest worker): its bare roles (:func:`find_roles`), the bodies
    and places inside each person's titles, and the untagged words that open a sentence and may be
    a surname (:func:`sentence_heads`)."""
    ix = role_index(doc)
    titles = {e.id: title_parts(doc, e.titles, ix) for e in doc.entities if e.label == "PER" and e.titles}
    roles = find_roles(doc, is_place, ix)
    return {"roles": roles, "titles": titles, "heads": sentence_heads(doc, roles),
            "subjects": sentence_subjects(doc, roles), "shared": shared_titles(doc)}


# Plural heads of a title two people share, each with its singular (`رؤسای` → `رئیس`), and plural
# office words inside one (`قوای` → `قوه`).
_PLURAL_HEADS = {fold_word(a): b for a, b in [("رؤسای", "رئیس"), ("روسای", "رئیس"), ("رئیسان", "رئیس"),
                                              ("وزیران", "وزیر"), ("وزرای", "وزیر"), ("فرماندهان", "فرمانده"),
                                              ("دبیران", "دبیر"), ("سخنگویان", "سخنگو"), ("سفیران", "سفیر"),
                                              ("سفرای", "سفیر")]}
_PLURAL_WORDS = {fold_word(a): b for a, b in [("قوای", "قوه"), ("وزارتخانه‌های", "وزارت")]}


def shared_titles(doc: Document) -> dict[str, list[str]]:
    """Titles two people named together share, one for each (`مسعود پزشکیان و امانوئل ماکرون، رؤسای
    جمهور ایران و فرانسه،` makes `رئیس جمهور ایران` the first's and `رئیس جمهور فرانسه` the second's;
    `رؤسای قوای مقننه و قضاییه` gives `رئیس قوه مقننه` and `رئیس قوه قضاییه`): a plural head after
    the two names, its words up to the comma that closes it, one `و` splitting them in two.
    As the local id of each person → its titles.

    >>> from khabar.pipeline import analyze
    >>> sorted(shared_titles(analyze("عباس عراقچی و سرگئی لاوروف، وزیران خارجه ایران و روسیه، دیدار کردند.")).values())
    [['وزیر خارجه ایران'], ['وزیر خارجه روسیه']]
    """
    tokens = doc.tokens
    if not tokens:
        return {}
    starts = [t.start for t in tokens]
    mentions = sorted((m for m in doc.mentions if m.label == "PER" and m.entity), key=lambda m: m.start)
    out: dict[str, list[str]] = {}
    for first, second in pairwise(mentions):
        i = bisect_left(starts, first.end)
        j = bisect_left(starts, second.start)
        if j != i + 1 or _fold_token(tokens[i].text) != _AND_WORD or first.entity == second.entity:
            continue
        k = bisect_left(starts, second.end)
        if k + 1 >= len(tokens) or tokens[k].text not in "،,":
            continue
        head = _PLURAL_HEADS.get(_fold_token(tokens[k + 1].text))
        if head is None:
            continue
        words: list[str] = []
        n = k + 2
        while n < len(tokens) and len(words) < 9 and tokens[n].text not in "،,.؛;:!?؟":
            words.append(tokens[n].text)
            n += 1
        if n >= len(tokens) or tokens[n].text not in "،,":
            continue
        keys = [_fold_token(w) for w in words]
        if keys.count(_AND_WORD) != 1:
            continue
        cut = keys.index(_AND_WORD)
        left, right = words[:cut], words[cut + 1:]
        if not left or not 1 <= len(right) <= 3:
            continue
        stem = [_PLURAL_WORDS.get(_fold_token(w), w) for w in left[:-1]]
        last = _PLURAL_WORDS.get(_fold_token(left[-1]), left[-1])
        out.setdefault(first.entity or "", []).append(" ".join([head, *stem, last]))
        out.setdefault(second.entity or "", []).append(" ".join([head, *stem, *right]))
    return out


def name_like(key: str) -> bool:
    """A folded word that may be a surname standing alone: three or more letters, no common word,
    role, honorific or pronoun, and known to the entities model's lexicon, if at all, only as part
    of a person's name."""
    return (len(key) >= 3 and key.isalpha() and key not in _common() and key not in ROLE_HEADS
            and key not in HONORIFICS and key not in _NOT_NAME
            and not any(not g.startswith("PER") for g in _lexicon().get(key, ())))


def sentence_heads(doc: Document, roles: Sequence[dict[str, Any]] = ()) -> list[dict[str, Any]]:
    """Untagged words that open a sentence and could be a surname alone (`عراقچی پس از سفر …`, the
    place the entities model most often misses one): a word of three or more letters that is no
    common word, role, honorific or pronoun, and that the model's lexicon knows, if at all, only
    as part of a person's name. The archive takes one only where a person it knows has that
    surname (:meth:`IdentityResolver.link`). As ``{start, end, raw_start, raw_end, text}``."""
    tokens = doc.tokens
    if not tokens or not doc.sentences:
        return []
    taken = sorted([(m.start, m.end) for m in doc.mentions] + [(r["start"], r["end"]) for r in roles])
    starts = [t.start for t in tokens]
    out: list[dict[str, Any]] = []
    for sent in doc.sentences:
        i = bisect_left(starts, sent.start)
        while i < len(tokens) and tokens[i].start < sent.end and not any(c.isalpha() for c in tokens[i].text):
            i += 1  # an opening quote or dash
        if i >= len(tokens) or tokens[i].start >= sent.end:
            continue
        tok = tokens[i]
        if not name_like(fold_word(tok.text)):
            continue
        j = bisect_left(taken, (tok.start, -1))
        if any(a < tok.end and tok.start < b for a, b in taken[max(0, j - 1):j + 2]):
            continue
        out.append({"start": tok.start, "end": tok.end, "raw_start": tok.raw_start, "raw_end": tok.raw_end,
                    "text": tok.text})
    return out


def _folded_phrases(*phrases: str) -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(fold_word(w) for w in p.split()) for p in phrases)


# What says a sentence goes on about the one the sentence before spoke of: a verb that continues a
# statement, a back reference to the same trip or meeting, and the body a lead opens with
# (`به گزارش ایرنا، …`, handled apart).
_GOES_ON = _folded_phrases("افزود", "افزودند", "ادامه داد", "ادامه دادند", "تصریح کرد", "تصریح کردند",
                           "خاطرنشان کرد", "خاطرنشان کردند", "یادآور شد", "یادآور شدند", "همچنین",
                           "در این سفر", "در این دیدار", "در این نشست", "در این جلسه", "در این مراسم",
                           "در این گفت‌وگو", "در این تماس", "در این بازدید", "در پایان این")
_GOES_ON_BY_FIRST: dict[str, list[tuple[str, ...]]] = {}
for _p in _GOES_ON:
    _GOES_ON_BY_FIRST.setdefault(_p[0], []).append(_p)
# Words right after a subject that make it another person than the one before (`X نیز گفت`).
_ALSO = frozenset(fold_word(w) for w in ["نیز", "هم"])
_REPORT = (fold_word("به"), fold_word("گزارش"))
# A sentence speaking in the first person (before any `:` that opens the words it reports) is
# someone's words, though no quote marks say so.
_FIRST_PERSON = frozenset(fold_word(w) for w in ["من", "ما", "خودم", "خودمان"])
_SKIP_HEAD = HONORIFICS | _NOT_NAME | frozenset(fold_word(w) for w in ["والمسلمین", "المسلمین"])


def sentence_subjects(doc: Document, roles: Sequence[dict[str, Any]] = ()) -> list[dict[str, Any]]:
    """Where each sentence opens on a person, named or by a role (after honorifics, an opening quote
    and an outlet's `به گزارش X،`): the place the archive reads a role and a name as one person
    across two sentences (:meth:`IdentityResolver._link_roles_by_subject`). As ``{sentence, start,
    end, sent_start, sent_end, goes_on, also, joint}``: ``goes_on`` the sentence continues the one
    before (`افزود`, `در این سفر`, a lead's `به گزارش`), ``also`` its subject is another person
    (`نیز`, `هم` after it), ``joint`` it is one of two subjects (`X و Y`)."""
    tokens = doc.tokens
    if not tokens or not doc.sentences:
        return []
    starts = [t.start for t in tokens]
    per = {m.start: m.end for m in doc.mentions if m.label == "PER"}
    # A sentence inside someone's words (`… گفت: سیدجلال حسینی شاگرد من بود.`) is theirs, not the article's.
    said = [(q.content.start, q.content.end) for q in doc.quotes if q.content is not None]
    role_at = {r["start"]: r["end"] for r in roles}
    out: list[dict[str, Any]] = []
    for n, sent in enumerate(doc.sentences):
        a, b = bisect_left(starts, sent.start), bisect_left(starts, sent.end)
        i, report = a, False
        while i < b and not any(c.isalpha() for c in tokens[i].text):
            i += 1
        if i + 1 < b and (_fold_token(tokens[i].text), _fold_token(tokens[i + 1].text)) == _REPORT:
            comma = next((j for j in range(i + 2, min(b, i + 8)) if tokens[j].text in "،,"), None)
            if comma is None:
                continue
            i, report = comma + 1, True
        while i < b and _fold_token(tokens[i].text) in _SKIP_HEAD:
            i += 1
        if i >= b:
            continue
        start = tokens[i].start
        end = per.get(start) or role_at.get(start)
        if end is None:
            if not name_like(_fold_token(tokens[i].text)):
                continue
            end = tokens[i].end  # a word the model left untagged: an untagged speaker or surname, if any
        if any(x <= start < y for x, y in said):
            continue
        keys = [_fold_token(t.text) for t in tokens[a:b]]
        colon = next((j for j, t in enumerate(tokens[a:b]) if t.text == ":"), len(keys))
        if not _FIRST_PERSON.isdisjoint(keys[:colon]):
            continue  # speaking in the first person before any `گفت:` opens someone's words
        k = bisect_left(starts, end) - a
        after = keys[k] if 0 <= k < len(keys) else ""
        goes_on = report or any(tuple(keys[j:j + len(p)]) == p for j, w in enumerate(keys)
                                for p in _GOES_ON_BY_FIRST.get(w, ()))
        out.append({"sentence": n, "start": start, "end": end, "sent_start": sent.start, "sent_end": sent.end,
                    "goes_on": goes_on, "also": after in _ALSO, "joint": after == _AND_WORD})
    return out


_AND_WORD = fold_word("و")
_fold_token = lru_cache(maxsize=100_000)(fold_word)


@dataclass(slots=True)
class _Local:
    """One entity of the article being linked."""

    id: str
    label: str
    name: str
    forms: list[tuple[str, ...]]
    texts: list[str]
    titles: list[str]
    offices: list[str] = field(default_factory=list)
    honorifics: list[str] = field(default_factory=list)
    mentions: int = 0


class IdentityResolver:
    """Links each stored article's entities to archive identities (see the module docstring).

    One resolver serves one writing run; it asks ``storage`` what the archive knows and remembers
    what it has decided since, so it does not ask twice.
    """

    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self.lexicon = _lexicon()
        self._records: dict[str, IdentityRecord] = {}
        self._keys: dict[str, list[str]] = {}
        self._holders: dict[str, list[list[Any]]] = {}
        self._taken: set[str] = set()
        # The identities of each article linked but not yet written (a batch is linked before it is
        # written): the company people keep there counts too.
        self._pending: list[set[str]] = []
        self._seen: int | None = None   # the delta's ``last`` taken in (:meth:`catch_up`)
        # What :meth:`prefetch` read for the batch about to be linked, taken into the caches above
        # when linking first asks for it (so linking decides as if it had asked the archive then).
        self._fetched_keys: dict[str, list[str]] = {}
        self._fetched_records: dict[str, IdentityRecord] = {}
        self._fetched_exists: dict[str, bool] = {}

    def written(self) -> None:
        """The articles linked so far are written: the archive itself now tells what they told."""
        self._pending.clear()
        self._fetched_keys.clear()
        self._fetched_records.clear()
        self._fetched_exists.clear()

    @property
    def seen(self) -> int | None:
        """The ``last`` of the delta :meth:`catch_up` took in: the newest article id, or a backend's batch
        number (PostgreSQL; None before it ran)."""
        return self._seen

    # A worker's resolver forgets what it read past this many identities (memory stays bounded).
    MAX_RECORDS = 50_000

    def catch_up(self, own: Iterable[int] = ()) -> None:
        """Take in what other writers stored since this resolver last looked (a worker that writes
        its own batches keeps one resolver for the run and calls this before each batch): the
        forms, titles, honorifics, article counts, outlets and lookup keys the newer articles gave
        the identities it remembers, as if it had read them again; ``own``: the articles this
        resolver linked itself (taken in already). Where the archive cannot tell which articles
        are newer (:meth:`Storage.identity_delta` is None) it forgets everything it read, so each
        batch reads the archive afresh."""
        delta = self.storage.identity_delta(self._seen)
        self._fetched_keys.clear()
        self._fetched_records.clear()
        self._fetched_exists.clear()
        if delta is None or self._seen is None or len(self._records) > self.MAX_RECORDS:
            self._records.clear()
            self._keys.clear()
            self._holders.clear()
            self._seen = delta.last if delta is not None else None
            return
        mine = set(own)
        for article_id, identity, kind, key, published in delta.names:
            if article_id in mine:
                continue
            rec = self._records.get(identity)
            day = (published or "")[:10] or None
            if kind == "form" and rec is not None:
                rec.forms[key] = rec.forms.get(key, 0) + 1
            elif kind == "title":
                if rec is not None:
                    rec.titles[key] = _widen(rec.titles.get(key), day)
                holders = self._holders.get(key)
                if holders is not None:
                    row = next((h for h in holders if h[0] == identity), None)
                    if row is None:
                        holders.append([identity, _day(day), _day(day), 1])
                    else:
                        d = _day(day)
                        if d is not None:
                            row[1] = d if row[1] is None else min(row[1], d)
                            row[2] = d if row[2] is None else max(row[2], d)
                        row[3] += 1
            elif kind == "honorific" and rec is not None and key not in rec.honorifics:
                rec.honorifics = (*rec.honorifics, key)
        for article_id, identity in delta.mentions:
            rec = self._records.get(identity)
            if rec is not None and article_id not in mine:
                rec.articles += 1
        for article_id, identity, outlet in delta.outlets:
            rec = self._records.get(identity)
            if rec is not None and article_id not in mine and outlet not in rec.outlets:
                rec.outlets = (*rec.outlets, outlet)
        for key, identity in delta.keys:
            ids = self._keys.get(key)
            if ids is not None and identity not in ids:
                ids.append(identity)
        self._seen = delta.last

    # -- what the lexicon knows --------------------------------------------------------------------

    def known(self, word: str) -> bool:
        """A word of the lexicon (so not a new transliteration of a name)."""
        return word in self.lexicon

    def is_place(self, word: str) -> bool:
        return any(g in ("LOC:hi", "place") for g in self.lexicon.get(word, ()))

    # -- the archive, cached ----------------------------------------------------------------------

    def prefetch(self, articles: Sequence[NewArticle]) -> None:
        """Read at once what linking these articles will ask of the archive (most of it): the
        identities their entities' names find (a person's name, surname and skeleton keys; another
        entity's names; an organization's opening words) and what the archive knows of each, and
        whether the ids a new identity of theirs would take are taken
        (:meth:`Storage.existing_identities`), instead of a query or more per entity. Linking
        decides exactly as without it; what it does not use is dropped once the batch is written."""
        keys: list[str] = []
        also: list[str] = []
        ids: list[str] = []
        for art in articles:
            for loc in self._locals(art.doc, art.identity or {}):
                if loc.id.startswith(ROLE_PREFIX):
                    continue
                keys += self._person_keys(loc.forms) if loc.label == "PER" else [f"n:{' '.join(f)}" for f in loc.forms]
                also += self._keys_of(loc)
                if loc.label == "ORG":
                    also += self._org_variant_keys(loc)
                ids.append(self._new_id(loc))
        want = [k for k in dict.fromkeys(keys) if k not in self._keys and k not in self._fetched_keys]
        more = [k for k in dict.fromkeys(also) if k not in self._keys and k not in self._fetched_keys
                and k not in want]
        ids = [i for i in dict.fromkeys(ids) if i not in self._taken and i not in self._fetched_exists]
        if not (want or more or ids):
            return
        found, records, existing = self.storage.existing_identities(
            want, have=self._records.keys() | self._fetched_records.keys(), also=more, ids=ids)
        for k in (*want, *more):
            self._fetched_keys[k] = list(found.get(k, ()))
        for rec in records:
            self._fetched_records.setdefault(rec.id, rec)
        for i in ids:
            self._fetched_exists[i] = i in existing

    def _exists(self, identity: str) -> bool:
        if identity in self._fetched_exists:
            return self._fetched_exists[identity]
        return self.storage.identity_exists(identity)

    def _lookup(self, keys: Iterable[str]) -> dict[str, list[str]]:
        keys = list(keys)
        want = [k for k in dict.fromkeys(keys) if k not in self._keys]
        ask = []
        for k in want:
            if k in self._fetched_keys:
                self._keys[k] = self._fetched_keys.pop(k)
            else:
                ask.append(k)
        if ask:
            found = self.storage.identity_lookup(ask)
            for k in ask:
                self._keys[k] = list(found.get(k, ()))
        return {k: self._keys[k] for k in keys}

    def _record(self, ids: Iterable[str]) -> list[IdentityRecord]:
        ids = list(ids)
        want = [i for i in dict.fromkeys(ids) if i not in self._records]
        ask = []
        for i in want:
            if i in self._fetched_records:
                self._records[i] = self._fetched_records.pop(i)
            else:
                ask.append(i)
        if ask:
            for rec in self.storage.identity_records(ask):
                self._records[rec.id] = rec
        return [self._records[i] for i in ids if i in self._records]

    def _holders_of(self, office: str) -> list[list[Any]]:
        if office not in self._holders:
            self._holders[office] = [[i, _day(a), _day(b), n] for i, a, b, n in self.storage.role_holders(office)]
        return self._holders[office]

    # -- linking an article ---------------------------------------------------------------------

    def link_article(self, article: NewArticle) -> ArticleLinks:
        """:meth:`link` for an article about to be stored."""
        return self.link(article.doc, identity=article.identity, published=article.published, outlet=article.outlet)

    def link(self, doc: dict[str, Any], *, identity: dict[str, Any] | None = None, published: str | None = None,
             outlet: str | None = None, article_id: int | None = None) -> ArticleLinks:
        """Decide the archive identity of every entity of an article (``doc``: its
        ``Document.to_dict()``; ``identity``: its :func:`features`), and of its bare roles; the
        storage writes them with the article. ``article_id``: a stored article analysed again,
        whose links a person decided (a split) are kept."""
        feats = identity or {}
        pins = self.storage.identity_pins(article_id) if article_id is not None else {}
        published = published or (doc.get("meta") or {}).get("published")
        outlet = outlet or (doc.get("source") or {}).get("name")
        day = _day(published)
        links = ArticleLinks(published=published)
        locals_ = self._locals(doc, feats)
        for loc in locals_:
            if loc.label != "PER" or loc.id.startswith(ROLE_PREFIX):
                continue
            parts = feats.get("titles", {}).get(loc.id) or [[("", w, "") for w in t.split()] for t in loc.titles]
            loc.offices = [self._office(p) for t, p in zip(loc.titles, parts, strict=False) if not self._honorific(t)]
            for title in feats.get("shared", {}).get(loc.id, ()):
                if title not in loc.titles:
                    loc.titles.append(title)
                    loc.offices.append(self._office([("", w, "") for w in title.split()]))
            loc.honorifics = [fold_word(t) for t in loc.titles if self._honorific(t)]
        for loc in locals_:
            if loc.id in pins:
                self._use(loc, pins[loc.id], links, "pinned: kept as a person decided")
        # Bodies and places first: they are the context people are told apart by.
        for loc in locals_:
            if loc.label != "PER" and not loc.id.startswith(ROLE_PREFIX) and loc.id not in links.ids:
                self._link_named(loc, links)
        context = [links.ids[x.id] for x in locals_ if x.id in links.ids and x.label in ("ORG", "LOC")]
        for loc in sorted((x for x in locals_ if x.label == "PER" and not x.id.startswith(ROLE_PREFIX)
                           and x.id not in links.ids), key=lambda x: -max((len(f) for f in x.forms), default=0)):
            self._link_person(loc, links, context, day, outlet)
        self._link_roles(doc, feats.get("roles", []), locals_, links, day)
        context = [links.ids[x.id] for x in locals_ if links.ids.get(x.id)]
        self._link_speakers(doc, links, context, day, outlet)
        self._link_heads(feats.get("heads", ()), links, context, day, outlet)
        self._link_roles_by_subject(doc, feats.get("subjects", ()), locals_, links)
        # Role entities the scan did not place (no text to find): their own article's.
        for loc in locals_:
            if loc.id.startswith(ROLE_PREFIX) and loc.id not in links.ids:
                links.ids[loc.id] = ""
                links.reasons[loc.id] = "a role no one in the archive holds"
        self._pending.append({i for i in links.ids.values() if i} | {r.identity for r in links.roles if r.identity})
        return links

    def _locals(self, doc: dict[str, Any], feats: dict[str, Any]) -> list[_Local]:
        counts: Counter[str] = Counter(m.get("entity") for m in doc.get("mentions") or () if m.get("entity"))
        texts: dict[str, list[str]] = {}
        for m in doc.get("mentions") or ():
            if m.get("entity"):
                texts.setdefault(m["entity"], []).append(m["text"])
        out = []
        for e in doc.get("entities") or ():
            names = [e["name"], *e.get("aliases", ()), *texts.get(e["id"], ())]
            names = list(dict.fromkeys(" ".join(n.split()) for n in names if n and n.strip()))
            if e["label"] == "PER":
                forms = [t for t in (name_tokens(n) for n in names) if t]
            else:
                forms = [t for t in (tuple(fold_word(w) for w in n.split()) for n in names) if t]
            forms = list(dict.fromkeys(forms))
            out.append(_Local(e["id"], e["label"], e["name"], forms, names, list(e.get("titles", ())),
                              mentions=counts.get(e["id"], 0)))
        return out

    @staticmethod
    def _honorific(title: str) -> bool:
        return all(fold_word(w) in _HONORIFIC_TITLE for w in title.split())

    def _org_form(self, local: str, text: str) -> str:
        """A body inside a role, as its shortest name known to the archive (so `فرمانده کل سپاه` and
        `فرمانده کل سپاه پاسداران` are one office)."""
        key = " ".join(fold_word(w) for w in text.split())
        cands = self._lookup([f"n:{key}"])[f"n:{key}"]
        for rec in self._record(cands[:1]):
            short = min(rec.forms, key=lambda f: (len(f), f)) if rec.forms else key
            if len(short) >= 2 or short not in _GENERIC_BODIES:
                return short.replace(" ", "")
        return key.replace(" ", "")

    def _office(self, parts: Sequence[Part]) -> str:
        return office_key([(p[0], p[1], p[2]) for p in parts], org_form=self._org_form, is_place=self.is_place)

    # -- organizations, places, events ----------------------------------------------------------

    def _link_named(self, loc: _Local, links: ArticleLinks) -> None:
        label = loc.label
        keys = [" ".join(f) for f in loc.forms]
        found = self._lookup([f"n:{k}" for k in keys])
        cands = [i for k in keys for i in found[f"n:{k}"]]
        reason = "the same name"
        if not cands and label == "ORG":
            cands, reason = self._org_variants(loc)
        recs = [r for r in self._record(dict.fromkeys(cands)) if r.label == label]
        if recs:
            best = max(recs, key=lambda r: (r.articles, r.id))
            self._use(loc, best.id, links, reason)
        else:
            self._create(loc, links)

    @staticmethod
    def _org_variant_keys(loc: _Local) -> list[str]:
        """The keys :meth:`_org_variants` may look up (some of them)."""
        keys = [f"p:{' '.join(f)}" for f in loc.forms]
        keys += [f"n:{' '.join(f[1:])}" for f in loc.forms if len(f) >= 2 and f[0] in _KIND_WORDS]
        keys += [f"n:{' '.join(f[:n])}" for f in loc.forms for n in range(1, len(f))]
        return keys

    def _org_variants(self, loc: _Local) -> tuple[list[str], str]:
        """An organization under a short or long form of its name: without its kind (`خبرگزاری
        مهر` → `مهر`), the opening words of a longer name (`سپاه` of `سپاه پاسداران`), or a longer
        form of one already known (`سازمان ملل متحد` after `سازمان ملل`). A longer name that adds a
        place (`وزارت خارجه روسیه`) is another body."""
        for form in loc.forms:
            if len(form) >= 2 and form[0] in _KIND_WORDS:
                key = " ".join(form[1:])
                ids = self._lookup([f"n:{key}"])[f"n:{key}"]
                if ids:
                    return ids, "the same name without its kind of body"
        for form in loc.forms:
            key = " ".join(form)
            if len(form) == 1 and form[0] in _GENERIC_BODIES:
                continue
            ids = self._lookup([f"p:{key}"])[f"p:{key}"]
            if len(ids) == 1:
                return ids, "the opening words of its longer name"
        for form in loc.forms:
            for n in range(len(form) - 1, 0, -1):
                head, tail = form[:n], form[n:]
                if len(head) == 1 and head[0] in _GENERIC_BODIES:
                    break
                if all(self.is_place(t) for t in tail):
                    break
                key = " ".join(head)
                ids = self._lookup([f"n:{key}"])[f"n:{key}"]
                if len(ids) == 1:
                    return ids, "a longer form of its name"
        return [], ""

    # -- people ---------------------------------------------------------------------------------

    def _person_keys(self, forms: Sequence[tuple[str, ...]]) -> list[str]:
        keys = []
        for f in forms:
            keys.append("n:" + " ".join(f))
            keys.append("s:" + f[-1])
            keys.append("k:" + skeleton(f[-1]))
            if len(f) >= 2:
                keys.append("s:" + f[-2] + f[-1])
                if len(f) == 2 and "fname" not in self.lexicon.get(f[0], ()):
                    keys.append("s:" + f[0])  # a surname in two words (`باقری کنی`)
        return list(dict.fromkeys(keys))

    def _link_person(self, loc: _Local, links: ArticleLinks, context: list[str], day: int | None,
                     outlet: str | None) -> None:
        if not loc.forms:
            self._create(loc, links)
            return
        scored = self._candidates(loc, context, day, outlet)
        if not scored:
            self._create(loc, links)
            return
        best = scored[0]
        if len(scored) > 1 and best[0] - scored[1][0] < 0.5:
            # Too close to call: a new identity, rather than two people made one.
            self._create(loc, links, reason=f"not told apart from {scored[0][2].id} and {scored[1][2].id}")
            return
        self._use(loc, best[2].id, links, best[1])

    def _candidates(self, loc: _Local, context: list[str], day: int | None,
                    outlet: str | None) -> list[tuple[float, str, IdentityRecord]]:
        """The archive's persons ``loc`` may be, best first: (score, why, record)."""
        found = self._lookup(self._person_keys(loc.forms))
        cands = list(dict.fromkeys(i for ids in found.values() for i in ids))
        recs = [r for r in self._record(cands) if r.label == "PER"]
        longest = max(loc.forms, key=len)
        scored: list[tuple[float, str, IdentityRecord]] = []
        for rec in recs:
            rforms = [tuple(f.split()) for f in rec.forms]
            # The article's fullest form against the identity's: `مریم کریمی` is no `حسن کریمی`,
            # though both are `کریمی`.
            full = max(rforms, key=lambda f: (len(f), f)) if rforms else ()
            score, why = 0.0, []
            if full and compatible(longest, full, self.known):
                if len(longest) >= 2 and any(set(longest) == set(b) for b in rforms):
                    score += 3
                    why.append("the same name")
                elif any(_contains(b, longest) or _contains(longest, b) for b in rforms):
                    score += 1
                    why.append("a compatible name")
                else:
                    score += 0.5
                    why.append("a spelling of the name")
            elif full and self._compound(longest, full):
                score += 0.5
                why.append("a surname written in two words")
            else:
                continue
            shared = [o for o in loc.offices if o in rec.titles and self._near(rec.titles[o], day)]
            if shared:
                score += 2 * min(2, len(shared))
                why.append("the same title")
            if loc.honorifics and set(loc.honorifics) & set(rec.honorifics):
                score += 0.5
            score += 0.2 * math.log1p(rec.articles)
            scored.append((score, ", ".join(why), rec))
        if len(scored) > 1:
            # Several people could be meant: the company each keeps decides.
            ctx = [c for c in dict.fromkeys(context) if c][:_MAX_CONTEXT]
            if ctx:
                counts = self.storage.co_mention_counts([r.id for _, _, r in scored], ctx)
                wanted = set(ctx)
                for ids in self._pending:
                    if ids & wanted:
                        for _, _, r in scored:
                            if r.id in ids:
                                counts[r.id] = counts.get(r.id, 0) + 1
                scored = [(s + min(2.0, counts.get(r.id, 0) / max(1, min(r.articles, 20)) * 2), w
                           + (", mentioned with the same entities" if counts.get(r.id) else ""), r)
                          for s, w, r in scored]
            if outlet:
                scored = [(s + (0.3 if outlet in r.outlets else 0), w, r) for s, w, r in scored]
        scored.sort(key=lambda x: (-x[0], x[2].id))
        if _DEBUG:
            print("link", loc.name, [(round(x[0], 2), x[1], x[2].id) for x in scored])
        return scored

    def _link_speakers(self, doc: dict[str, Any], links: ArticleLinks, context: list[str], day: int | None,
                       outlet: str | None) -> None:
        """A statement's speaker the entities stage did not tag (`پزشکیان نیز گفت`: a surname alone
        at the head of a sentence, which the model often misses) is the person the archive knows by
        that name, where exactly one fits it well (its words among the person's, surname last). It
        is kept as a reference the archive resolved (a :class:`RoleLink` with no office), so the
        statement, the article and the form count for that person; a name no one fits stays as it
        was (no identity is made from a speaker alone)."""
        taken = [(r.start, r.end) for r in links.roles]
        spans = [(m["start"], m["end"]) for m in doc.get("mentions") or ()]
        for q in doc.get("quotes") or ():
            sp = q.get("speaker")
            if not sp or sp.get("entity") or sp.get("start") is None:
                continue
            a, b = sp["start"], sp["end"]
            if any(x < b and a < y for x, y in [*taken, *spans]):
                continue
            words = sp.get("text", "").split()
            form = name_tokens(sp.get("text", ""))
            if not form or len(form) > 3 or len(words) != len(form) or not all(name_like(w) for w in form):
                continue
            loc = _Local(f"speaker:{a}", "PER", sp["text"], [form], [sp["text"]], [])
            # The statement says it is someone: a fuller name written once is enough.
            rec = self._known_person(loc, context, day, outlet, seen=1)
            if rec is None:
                continue
            links.roles.append(RoleLink(a, b, sp.get("raw_start"), sp.get("raw_end"), sp["text"], "", rec.id,
                                        "a speaker the model did not tag, by a name the archive knows", True, ""))
            taken.append((a, b))
            self._remember(loc, rec.id, links)

    def _known_person(self, loc: _Local, context: list[str], day: int | None, outlet: str | None,
                      *, seen: int = 2) -> IdentityRecord | None:
        """The one person the archive knows whose fuller name, written so in ``seen`` articles or
        more, holds ``loc``'s words with its surname last; None where none or several do. (A fuller
        name seen once may be a misreading, `کری نمی‌خواهم`; what khabar links by this rule never
        counts as such a name, so it cannot feed itself.)"""
        form = loc.forms[0]
        scored = [x for x in self._candidates(loc, context, day, outlet) if x[0] >= 1]
        if not scored or (len(scored) > 1 and scored[0][0] - scored[1][0] < 0.5):
            return None
        rec = scored[0][2]
        for key, n in rec.forms.items():
            full = tuple(key.split())
            if n >= seen and len(full) > len(form) and full[-1] == form[-1] and _contains(full, form):
                return rec
        return None

    def _link_heads(self, heads: Sequence[dict[str, Any]], links: ArticleLinks, context: list[str],
                    day: int | None, outlet: str | None) -> None:
        """A word opening a sentence that the model left untagged (:func:`sentence_heads`) is the
        person the archive knows by that surname (:meth:`_known_person`); kept like an untagged
        speaker."""
        taken = [(r.start, r.end) for r in links.roles]
        for h in heads:
            a, b = h["start"], h["end"]
            if any(x < b and a < y for x, y in taken):
                continue
            form = name_tokens(h["text"])
            if len(form) != 1:
                continue
            loc = _Local(f"head:{a}", "PER", h["text"], [form], [h["text"]], [])
            rec = self._known_person(loc, context, day, outlet)
            if rec is None:
                continue
            links.roles.append(RoleLink(a, b, h.get("raw_start"), h.get("raw_end"), h["text"], "", rec.id,
                                        "a surname opening a sentence, untagged, of a person the archive knows",
                                        False, ""))
            taken.append((a, b))
            self._remember(loc, rec.id, links)

    def _compound(self, small: Sequence[str], big: Sequence[str]) -> bool:
        """``باقری کنی`` for ``علی باقری``: a two-word surname whose first word is the other's surname
        (and no given name)."""
        return (len(small) == 2 and len(big) >= 2 and small[0] == big[-1]
                and "fname" not in self.lexicon.get(small[0], ()) and small[1] not in big)

    @staticmethod
    def _near(span: tuple[str | None, str | None, int], day: int | None) -> bool:
        first, last = _day(span[0]), _day(span[1])
        if day is None or first is None or last is None:
            return True
        return first - ROLE_WINDOW <= day <= last + ROLE_WINDOW

    # -- writing the decisions --------------------------------------------------------------------

    def _use(self, loc: _Local, identity: str, links: ArticleLinks, reason: str) -> None:
        links.ids[loc.id] = identity
        links.reasons[loc.id] = reason
        self._remember(loc, identity, links)

    def _create(self, loc: _Local, links: ArticleLinks, reason: str = "a name the archive has not seen") -> None:
        base = self._new_id(loc)
        identity, n = base, 1
        while identity in self._taken or self._exists(identity):
            n += 1
            identity = f"{base}~{n}"
        self._taken.add(identity)
        links.new.append((identity, loc.name, loc.label))
        self._records[identity] = IdentityRecord(identity, loc.label, loc.name, 0, {}, {}, (), ())
        self._use(loc, identity, links, reason)

    @staticmethod
    def _new_id(loc: _Local) -> str:
        """The id a new identity for ``loc`` takes, when free (else a number is added)."""
        words = max(loc.forms, key=lambda f: len(f)) if loc.forms else tuple(fold_word(w) for w in loc.name.split())
        return f"{loc.label.lower()}:" + "".join(words)

    def _remember(self, loc: _Local, identity: str, links: ArticleLinks) -> None:
        """What this article adds to the identity: its forms, titles and lookup keys, in the
        article's rows and in this resolver's memory."""
        rec = self._records.get(identity)
        for form, text in zip(loc.forms, self._texts_of(loc), strict=True):
            key = " ".join(form)
            links.names.append((identity, "form", key, text))
            if rec is not None:
                rec.forms[key] = rec.forms.get(key, 0) + 1
        # The lookups and holders this resolver remembers take the article in at once: a batch is
        # linked before it is written, and its later articles must find its earlier ones.
        keys = self._keys_of(loc)
        for k, ids in self._lookup(keys).items():
            links.keys.append((k, identity))
            if identity not in ids:
                ids.append(identity)
        offices = [t for t in loc.titles if not self._honorific(t)]
        for office, title in zip(loc.offices, offices, strict=False):
            self._hold(identity, office, title, links)
        for h in loc.honorifics:
            links.names.append((identity, "honorific", h, h))
            if rec is not None and h not in rec.honorifics:
                rec.honorifics = (*rec.honorifics, h)
        if rec is not None:
            rec.articles += 1

    def _hold(self, identity: str, office: str, title: str, links: ArticleLinks) -> None:
        """``identity`` holds ``office`` (written ``title``) at this article's date."""
        day = (links.published or "")[:10] or None
        rec = self._records.get(identity)
        links.names.append((identity, "title", office, title))
        if rec is not None:
            rec.titles[office] = _widen(rec.titles.get(office), day)
        holders = self._holders_of(office)
        row = next((h for h in holders if h[0] == identity), None)
        if row is None:
            holders.append([identity, _day(day), _day(day), 1])
        else:
            d = _day(day)
            if d is not None:
                row[1] = d if row[1] is None else min(row[1], d)
                row[2] = d if row[2] is None else max(row[2], d)
            row[3] += 1

    def _keys_of(self, loc: _Local) -> list[str]:
        if loc.label == "PER":
            return self._person_keys(loc.forms)
        keys = [f"n:{' '.join(f)}" for f in loc.forms]
        if loc.label == "ORG":
            keys += [f"p:{' '.join(f[:n])}" for f in loc.forms for n in range(1, len(f))]
        return list(dict.fromkeys(keys))

    @staticmethod
    def _texts_of(loc: _Local) -> list[str]:
        """The text written for each of ``loc.forms`` (the first one that folds to it)."""
        out = []
        for form in loc.forms:
            text = next((t for t in loc.texts if (name_tokens(t) if loc.label == "PER"
                                                    else tuple(fold_word(w) for w in t.split())) == form), loc.name)
            out.append(text)
        return out

    # -- roles ------------------------------------------------------------------------------------

    def _link_roles(self, doc: dict[str, Any], roles: Sequence[dict[str, Any]], locals_: Sequence[_Local],
                    links: ArticleLinks, day: int | None) -> None:
        by_id = {x.id: x for x in locals_}
        keys: dict[int, str] = {}  # role start → office key, for counterparts of a role
        for r in roles:
            office = self._role_office(r, by_id, keys, links)
            if office is None:
                who, why = "", "a counterpart whose country or office is not known"
            else:
                keys[r["start"]] = office
                who, why = self._holder(office, locals_, links, day)
            links.roles.append(RoleLink(r["start"], r["end"], r.get("raw_start"), r.get("raw_end"), r["text"],
                                        office or "", who, why, bool(r.get("speaker")), r.get("entity") or ""))
            if r.get("entity"):
                links.ids[r["entity"]] = who
                links.reasons[r["entity"]] = why

    def _role_office(self, r: dict[str, Any], by_id: dict[str, _Local], keys: dict[int, str],
                     links: ArticleLinks) -> str | None:
        if not r.get("counterpart"):
            return self._office(r["parts"])
        country = counterpart_country(r["counterpart"], self.is_place)
        subject = r.get("subject")
        office: str | None = None
        if subject and subject.startswith("#"):
            office = keys.get(int(subject[1:]))
        elif subject and subject in by_id:
            loc = by_id[subject]
            office = loc.offices[0] if loc.offices else None
            if office is None and subject in links.ids:
                rec = self._records.get(links.ids[subject])
                if rec is not None and rec.titles:
                    office = max(rec.titles, key=lambda o: (rec.titles[o][2], o))
        if office is None or country is None:
            return None
        return office.split("|", 1)[0] + "|" + country

    def _link_roles_by_subject(self, doc: dict[str, Any], subjects: Sequence[dict[str, Any]],
                               locals_: Sequence[_Local], links: ArticleLinks) -> None:
        """A bare role no one in the archive holds that opens a sentence, next to a sentence opening
        on a named person, is that person where one of the two sentences goes on from the other
        (``رئیس‌جمهور در سفر به اهواز گفت … . پزشکیان در این سفر …``, ``X گفت: «…» معاون وزیر افزود``,
        a lead and its ``به گزارش …، NAME``): news names one person by role and by name in turn. Not
        where the second is said to be someone else (``نیز``, ``هم``), where either is one of two
        subjects (``X و Y``), where the person is named in the role's own sentence (the one met,
        not the one meeting), or where the person holds only other offices or another country's.
        The role then counts as that person's title, as a title written beside the name would."""
        if not subjects:
            return
        mention_at = {m["start"]: m.get("entity") for m in doc.get("mentions") or () if m.get("label") == "PER"}
        role_at = {r.start: i for i, r in enumerate(links.roles)}
        heads: list[tuple[dict[str, Any], str | None, int | None]] = []
        for s in subjects:
            who: str | None = None
            role: int | None = None
            if s["start"] in role_at:
                r = links.roles[role_at[s["start"]]]
                if r.identity:
                    who = r.identity
                elif r.office and not r.office.startswith("|"):
                    role = role_at[s["start"]]
            elif s["start"] in mention_at:
                local = mention_at[s["start"]]
                if local and not local.startswith(ROLE_PREFIX):
                    who = links.ids.get(local) or None
            if who is not None or role is not None:
                heads.append((s, who, role))
        for n, (s, _, role) in enumerate(heads):
            if role is None or s["also"] or s["joint"]:
                continue
            r = links.roles[role]
            found: set[str] = set()
            for m in (n - 1, n + 1):
                if not 0 <= m < len(heads):
                    continue
                t, other, _ = heads[m]
                later = t if m > n else s
                if (other is None or t["joint"] or abs(t["sentence"] - s["sentence"]) > 2
                        or not later["goes_on"] or later["also"]
                        or self._named_between(other, s["sent_start"], s["sent_end"], doc, links)
                        or not self._may_hold(other, r.office, r.text, locals_, links)):
                    continue
                found.add(other)
            if len(found) != 1:
                continue
            who = found.pop()
            why = "the person the sentence beside it names, by name"
            links.roles[role] = RoleLink(r.start, r.end, r.raw_start, r.raw_end, r.text, r.office, who, why,
                                         r.speaker, r.entity)
            if r.entity:
                links.ids[r.entity] = who
                links.reasons[r.entity] = why
            self._hold(who, r.office, r.text, links)

    @staticmethod
    def _named_between(identity: str, a: int, b: int, doc: dict[str, Any], links: ArticleLinks) -> bool:
        return (any(a <= m["start"] < b and links.ids.get(m.get("entity") or "") == identity
                    for m in doc.get("mentions") or ())
                or any(a <= r.start < b and r.identity == identity for r in links.roles))

    def _may_hold(self, identity: str, office: str, text: str, locals_: Sequence[_Local],
                  links: ArticleLinks) -> bool:
        """Whether the titles known for ``identity`` (here and in the archive) leave room for
        ``office``: none, or one with the role's head word in the same country."""
        offices = {o for x in locals_ if links.ids.get(x.id) == identity for o in x.offices}
        rec = self._records.get(identity)
        if rec is not None:
            offices |= set(rec.titles)
        if not offices:
            return True
        words = text.split()
        head = fold_word(words[0]) if words else ""
        country = office.partition("|")[2]
        return any(o.startswith(head) and o.partition("|")[2] == country for o in offices)

    def revisit_roles(self, article_ids: Sequence[int] | None = None) -> int:
        """Resolve again the bare roles no one was named for (of these articles, or all): an office's
        holder may be named by an article stored after the role's. Returns how many were resolved."""
        done = 0
        for article_id, role, published in self.storage.unresolved_roles(article_ids):
            who, why = self._holder(role.office, [], ArticleLinks(), _day(published))
            if who:
                self.storage.resolve_role(article_id, role, who, why + " (found later)")
                done += 1
        return done

    def _holder(self, office: str, locals_: Sequence[_Local], links: ArticleLinks,
                day: int | None) -> tuple[str, str]:
        """The identity holding ``office`` at ``day``: someone in this article with that title, else
        the holder the archive saw nearest that day (within :data:`ROLE_WINDOW` days)."""
        here = [x for x in locals_ if office in x.offices and x.id in links.ids]
        if len({links.ids[x.id] for x in here}) == 1:
            return links.ids[here[0].id], "its holder named in the article"
        holders = [h for h in self._holders_of(office) if h[3] > 0]
        why = ""
        if not holders:
            holders, why = self._related_holders(office)
        if not holders:
            return "", "a role no one in the archive holds"
        if day is None:
            if len(holders) == 1:
                return holders[0][0], "its only holder in the archive"
            return "", "an undated article, and several have held the role"

        def distance(h: list[Any]) -> int:
            first, last = h[1], h[2]
            if first is None or last is None:
                return ROLE_WINDOW
            return 0 if first <= day <= last else min(abs(day - first), abs(day - last))

        ranked = sorted(holders, key=lambda h: (distance(h), -h[3], h[0]))
        best = ranked[0]
        if distance(best) > ROLE_WINDOW:
            return "", "no holder of the role near the article's date"
        if len(ranked) > 1 and distance(ranked[1]) == distance(best) == 0 and ranked[1][3] == best[3]:
            return "", "two holders of the role at the article's date"
        return best[0], ("its holder at the article's date" if distance(best) == 0 else
                         "its holder nearest the article's date") + why

    def _related_holders(self, office: str) -> tuple[list[list[Any]], str]:
        """Holders of the one office this one is a shorter or longer form of (`وزیر ورزش` of `وزیر
        ورزش و جوانان`, `رئیس شورای شهر` of `رئیس شورا`), in the same country; none where several
        offices could be meant."""
        name, _, country = office.partition("|")
        if len(name) < _MIN_OFFICE:
            return [], ""
        related = {k for k in self.storage.role_offices(name) if k.endswith("|" + country) and k != office}
        related |= {k for k in self.storage.role_offices(name[:_MIN_OFFICE])
                    if k.endswith("|" + country) and name.startswith(k.partition("|")[0])
                    and len(k.partition("|")[0]) >= _MIN_OFFICE and k != office}
        if len(related) != 1:
            return [], ""
        other = related.pop()
        return [h for h in self._holders_of(other) if h[3] > 0], f" (as {other.partition('|')[0]})"
