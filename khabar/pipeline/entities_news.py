"""Entity spans as news writes them, read around the model's spans (token index ranges).

Forms the training corpora hardly hold and crawled news is full of:

- a team named by its country or club (``تیم ملی والیبال ایران``, ``تیم فوتبال استقلال``): the
  country is the place and the club the organization; ``تیم ملی`` alone names nothing;
- an outlet named in a credit (``به گزارش فارس``, ``به نقل از «العالم»``, ``خبرنگار مهر``): an
  organization, though its name is also a province (``فارس``) or a word (``مهر``);
- a body in a place (``وزارت کار در آذربایجان شرقی``): the body, then the place;
- a given name the model tagged alone before a surname it did not know (``غلامحسین`` ``تسخیری``);
- a sports club whose name is a common word or a place (``تراکتور``, ``نفت``, ``پاس همدان``), in an
  article about sport;
- a foreign name written in Persian with its Latin spelling after it in parentheses
  (``"یورگن ماتزا"(Jürgen Matzka)``): the Persian name is the mention, the gloss none of its own.

>>> keys = ["تیم", "ملی", "والیبال", "ایران", "آماده", "است"]
>>> national_teams(keys, [(0, 4, "ORG")], lambda k: k == "ایران")
[(3, 4, 'LOC')]
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import lru_cache
from importlib import resources

from khabar.document import Document
from khabar.pipeline.credits import OPENING, QUOTING
from khabar.text.chars import ZWNJ
from khabar.text.fold import fold_word

Span = tuple[int, int, str]

_TEAM = fold_word("تیم")
# Words between `تیم` and the team's name: its level, sport, age group.
_TEAM_WORDS_TEXT = (
    "ملی منتخب فوتبال فوتسال والیبال بسکتبال هندبال کشتی آزاد فرنگی وزنه‌برداری کاراته تکواندو جودو "
    "بوکس شنا دوومیدانی تنیس هاکی واترپلو راگبی بیسبال ساحلی زیر ۲۳ سال امید جوانان نوجوانان "
    "بزرگسالان بانوان زنان مردان باشگاهی اول دوم پایه")
_TEAM_WORDS = frozenset(fold_word(w) for w in _TEAM_WORDS_TEXT.split())
# An outlet's name after a reporter: `خبرنگار مهر`, `خبرنگار سیاسی ایسنا`.
_REPORTER = re.compile(
    rf"(?<![\w{ZWNJ}])خبرنگار(?:\s+(?:سیاسی|اقتصادی|اجتماعی|فرهنگی|ورزشی|پارلمانی|حوادث|اعزامی))?\s+"
    rf"(?P<name>ایرنا|ایسنا|ایلنا|ایکنا|مهر|فارس|تسنیم|شفقنا|خبرآنلاین)(?![\w{ZWNJ}])")
_DAR = fold_word("در")
# A source named after `بنابر اعلام` (`بنابر اعلام وبدا،`): one word, then a comma.
_ANNOUNCED = re.compile(rf"(?<![\w{ZWNJ}])(?:بنابر|بنا\s*بر|طبق)\s+اعلام\s+(?P<name>[\w{ZWNJ}]+)(?=\s*،)")
# A desk of an outlet (`گروه سلامت`, `گروه بین‌الملل خبرگزاری فارس`, `خبرنگار سیاسی خبرگزاری فارس`):
# no organization of its own.
_DESKS = frozenset(fold_word(w) for w in ["سیاسی", "اقتصادی", "اجتماعی", "فرهنگی", "ورزشی", "بین\u200cالملل", "بینالملل", "سلامت", "علمی", "فناوری", "جامعه", "حوادث", "استان\u200cها", "پارلمانی", "دفاعی", "اعزامی", "فرهنگ", "هنر", "اندیشه"])
_GROUP = frozenset(fold_word(w) for w in ("گروه", "سرویس"))
# Words that join two credits inside one span (`ایسنا و بنابر اعلام وبدا`).
_CREDIT_JOINS = frozenset(fold_word(w) for w in ("بنابر", "به", "طبق"))


def national_teams(keys: Sequence[str], found: list[Span], is_place: Callable[[str], bool]) -> list[Span]:
    """A span that opens with `تیم`: the team's country as a place, its club as an organization,
    nothing where only `تیم ملی` and the sport remain."""
    out: list[Span] = []
    for s, e, lab in found:
        if keys[s] != _TEAM or lab == "PER":
            out.append((s, e, lab))
            continue
        k = s + 1
        while k < e and keys[k] in _TEAM_WORDS:
            k += 1
        if k == e:
            continue
        if all(is_place(keys[j]) for j in range(k, e)) or (e - k >= 1 and is_place(keys[e - 1]) and e - k <= 2
                                                            and all(is_place(keys[j]) or keys[j] in _TEAM_WORDS
                                                                    for j in range(k, e))):
            out.append((k, e, "LOC"))
        else:
            out.append((k, e, "ORG"))
    return out


def outlet_names(doc: Document, found: list[Span], limit: int) -> list[Span]:
    """Outlets named in credits (`به گزارش …`, `به نقل از …`, `خبرنگار …`) as organizations, over
    whatever the model made of them (`فارس` the province, `مهر` the month or nothing)."""
    tokens = doc.tokens[:limit]
    if not tokens:
        return found
    text = doc.text
    names: list[tuple[int, int]] = []
    for pattern in (OPENING, QUOTING, _REPORTER, _ANNOUNCED):
        for m in pattern.finditer(text):
            g = "quoted" if m.groupdict().get("quoted") else "name"
            if m.group(g):
                names.append(m.span(g))
    if not names:
        return found
    starts = {t.start: i for i, t in enumerate(tokens)}
    ends = {t.end: i for i, t in enumerate(tokens)}
    out = list(found)
    for a, b in names:
        # Desks and reporters' roles are not the outlet's name (`گروه سلامت`): only names that the
        # tokens bound exactly and that hold a word the credit stage keeps.
        while a < b and text[a] in " \"«“":
            a += 1
        while b > a and text[b - 1] in " \"»”":
            b -= 1
        i, j = starts.get(a), ends.get(b)
        if i is None or j is None or j - i > 5:
            continue
        # (A desk before the outlet, `بین‌الملل خبرگزاری فارس`, or alone, `سلامت`, is none of its name.)
        while i <= j and fold_word(tokens[i].text) in _DESKS | _GROUP:
            i += 1
        if i > j:
            continue
        span = (i, j + 1, "ORG")
        if any(s == i and e == j + 1 and lab == "ORG" for s, e, lab in out):
            continue
        # A longer organization that holds the name (`خبرگزاری فارس`) stays as it is.
        if any(s <= i and j + 1 <= e and lab == "ORG" for s, e, lab in out):
            continue
        out = [x for x in out if x[1] <= i or x[0] > j] + [span]
    return sorted(out)


def bodies_in_places(keys: Sequence[str], found: list[Span], is_place: Callable[[str], bool]) -> list[Span]:
    """An organization span that runs on over `در` into a place (`وزارت کار در آذربایجان شرقی`):
    the body, then the place."""
    out: list[Span] = []
    for s, e, lab in found:
        d = next((k for k in range(s + 1, e - 1) if keys[k] == _DAR), None) if lab == "ORG" else None
        if d is None:
            out.append((s, e, lab))
            continue
        out.append((s, d, lab))
        rest = d + 1
        if rest < e and keys[rest] == fold_word("استان"):
            rest += 1
        if rest < e and is_place(keys[rest]):
            out.append((rest, e, "LOC"))
    return out


LIGHT_VERBS = frozenset(fold_word(w) for w in ("کرد", "کردند", "کرده", "کند", "کنند", "شد", "شدند", "شده", "شود",
                                                "داشت", "داشتند", "داد", "دادند", "ساخت", "نمود"))


def surnames_after(keys: Sequence[str], found: list[Span], is_given: Callable[[str], bool],
                   is_rare: Callable[[str], bool]) -> list[Span]:
    """A person tagged as a given name alone (or a given name and one more), followed by an untagged
    rare word that is no role, title or common word: the surname the model did not know.

    >>> surnames_after(["غلامحسین", "تسخیری", "گفت"], [(0, 1, "PER")], lambda k: k == "غلامحسین", lambda k: k != "گفت")
    [(0, 2, 'PER')]
    """
    tagged = {i for s, e, _ in found for i in range(s, e)}
    out: list[Span] = []
    for s, e, lab in found:
        if (lab == "PER" and e - s <= 2 and is_given(keys[e - 1]) and e < len(keys) and e not in tagged
                and is_rare(keys[e]) and not is_given(keys[e])
                # (`خاطرنشان کرد`: a noun before a light verb is a verb, not a surname.)
                and (e + 1 >= len(keys) or keys[e + 1] not in LIGHT_VERBS)):
            e += 1
            tagged.add(e - 1)
        out.append((s, e, lab))
    return out


_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f]")
_PERSIAN_WORD = re.compile(rf"^[\u0600-\u06ff{ZWNJ}]+$")
_OPEN_QUOTES = {'"': '"', "»": "«", "”": "“"}


def glossed_names(tokens: Sequence[str], found: list[Span], stop: Callable[[str], bool]) -> list[Span]:
    """A Latin mention in parentheses glossing the Persian words before it: those words take its
    label and the gloss goes. The Persian name is the quoted phrase before ``(`` (``"یورگن ماتزا"``,
    ``«…»``), or for a person as many plain Persian words as the gloss has (``میشل بارنیه (Michel Barnier)``).

    >>> glossed_names(["به", "گفته", "میشل", "بارنیه", "(", "Michel", "Barnier", ")"], [(5, 7, "PER")], lambda w: w == "گفته")
    [(2, 4, 'PER')]
    """
    covered = {i for s, e, _ in found for i in range(s, e)}
    out: list[Span] = []
    added: list[Span] = []
    for s, e, lab in found:
        if not (s > 0 and e < len(tokens) and tokens[s - 1] == "(" and tokens[e] == ")"
                and all(_LATIN.search(t) and not _PERSIAN_WORD.match(t) for t in tokens[s:e])):
            out.append((s, e, lab))
            continue
        p = s - 1  # the `(`
        name: tuple[int, int] | None = None
        if p >= 1 and tokens[p - 1] in _OPEN_QUOTES:
            q = next((k for k in range(p - 2, max(-1, p - 7), -1) if tokens[k] == _OPEN_QUOTES[tokens[p - 1]]), None)
            if q is not None and q + 1 < p - 1:
                name = (q + 1, p - 1)
        elif lab == "PER" and p - (e - s) >= 0:
            name = (p - (e - s), p)
        if name is None or not all(_PERSIAN_WORD.match(t) and not stop(t) for t in tokens[name[0]:name[1]]):
            out.append((s, e, lab))
            continue
        # The gloss goes; the Persian name is tagged unless a mention already holds it.
        if not any(i in covered for i in range(*name)):
            added.append((name[0], name[1], lab))
        elif not any(a <= name[0] and name[1] <= b for a, b, _ in found):
            out.append((s, e, lab))
    return sorted(out + added)


# -- sports clubs ------------------------------------------------------------------------------------

# Words of a sports article: three different ones make an article about sport.
_SPORT_WORDS = frozenset(fold_word(w) for w in ["مدال", "اردو", "قهرمان", "المپیک", "رقابت‌ها", "بازی", "بازیکن", "بازیکنان", "تیم", "لیگ", "باشگاه", "سرمربی", "مربی", "فوتبال", "فوتسال", "والیبال", "بسکتبال", "کشتی", "جام", "گل", "قهرمانی", "فینال", "ورزشگاه", "مسابقه", "مسابقات", "حریف", "هواداران", "دروازه", "دروازه\u200cبان", "امتیاز", "نیم\u200cفصل", "فصل"])
# Words before which a club's name is the common word (`این پدیده`, `وزارت نفت`, `قیمت نفت`).
_NOT_CLUB_AFTER = frozenset(fold_word(w) for w in ["این", "آن", "همین", "همان", "یک", "وزارت", "وزیر", "قیمت", "بازار", "صادرات", "واردات", "نماد", "سهام", "شرکت", "پالایشگاه", "میدان", "چاه", "ملی", "تولید", "فروش", "درآمد", "ذخایر", "مخازن", "صنایع", "کارخانه", "معدن", "شهر", "استان", "در"])
_CLUB = fold_word("باشگاه")


@lru_cache(maxsize=4)
def name_sequences(filename: str) -> tuple[frozenset[tuple[str, ...]], dict[str, int]]:
    """Folded word sequences of ``resources/ner/FILENAME`` (a name a line, ``#`` comments), and for
    each first word the length of the longest name it opens."""
    path = resources.files("khabar") / "resources" / "ner" / filename
    names = frozenset(tuple(fold_word(w) for w in line.split())
                      for line in path.read_text(encoding="utf-8").splitlines()
                      if line.strip() and not line.startswith("#"))
    firsts: dict[str, int] = {}
    for name in names:
        firsts[name[0]] = max(firsts.get(name[0], 0), len(name))
    return names, firsts


def _clubs() -> tuple[frozenset[tuple[str, ...]], dict[str, int]]:
    """The sports clubs of ``resources/ner/clubs.txt``."""
    return name_sequences("clubs.txt")


def is_sports(keys: Sequence[str]) -> bool:
    """Whether an article (its folded words) is about sport: three different words of sport in it.

    >>> is_sports(["تیم", "در", "لیگ", "بازی", "کرد"])
    True
    """
    seen: set[str] = set()
    for k in keys:
        if k in _SPORT_WORDS:
            seen.add(k)
            if len(seen) >= 3:
                return True
    return False


def sports_clubs(keys: Sequence[str], found: list[Span]) -> list[Span]:
    """In an article about sport, the clubs of ``clubs.txt`` as organizations: where the model found
    nothing, and over what it made of them inside their name (``صبا`` a person, ``همدان`` of ``پاس
    همدان`` a place); ``باشگاه`` before the name is part of it. A span reaching past the name
    (``باشگاه نفت``, ``تیم نفت``) stays as it is.

    >>> sports_clubs(["تیم", "لیگ", "بازی", "با", "پاس", "همدان"], [(5, 6, "LOC")])
    [(4, 6, 'ORG')]
    """
    if not is_sports(keys):
        return found
    names, firsts = _clubs()
    n = len(keys)
    out = list(found)
    i = 0
    changed = False
    while i < n:
        longest = firsts.get(keys[i], 0)
        hit = 0
        if longest and not (i > 0 and keys[i - 1] in _NOT_CLUB_AFTER):
            hit = next((ln for ln in range(min(longest, n - i), 0, -1) if tuple(keys[i:i + ln]) in names), 0)
        if not hit:
            i += 1
            continue
        s, e = i, i + hit
        inside = [x for x in out if x[0] < e and s < x[1]]
        if any(x[0] < s or x[1] > e for x in inside) or any(x == (s, e, "ORG") for x in inside):
            i = e
            continue
        if s > 0 and keys[s - 1] == _CLUB and not any(x[0] < s <= x[1] - 0 and x[0] <= s - 1 < x[1] for x in out):
            s -= 1
        out = [x for x in out if not (x[0] < e and s < x[1])] + [(s, e, "ORG")]
        changed = True
        i = e
    return sorted(out) if changed else found


def desks_and_joined_credits(keys: Sequence[str], found: list[Span]) -> list[Span]:
    """An organization span that opens with a desk (`گروه سلامت`, `سیاسی خبرگزاری فارس`) keeps only
    the outlet after it, if any; one that runs over `و بنابر اعلام` (`ایسنا و بنابر اعلام وبدا`) ends
    before the `و`.

    >>> desks_and_joined_credits(["گروه", "بینالملل", "خبرگزاری", "فارس"], [(0, 4, "ORG")])
    [(2, 4, 'ORG')]
    >>> desks_and_joined_credits(["گروه", "سلامت", "به"], [(0, 2, "ORG")])
    []
    """
    out: list[Span] = []
    for s, e, lab in found:
        if lab == "ORG":
            k = s + (keys[s] in _GROUP)
            if k > s or keys[s] in _DESKS:
                while k < e and keys[k] in _DESKS:
                    k += 1
                if k == s + (keys[s] in _GROUP):
                    k = s  # `گروه صنعتی …`: no desk after it
                s = k
            j = next((x for x in range(s + 1, e - 1) if keys[x] == "و" and keys[x + 1] in _CREDIT_JOINS), None)
            if j is not None:
                e = j
        if s < e:
            out.append((s, e, lab))
    return out


# Words that open an organization's name.
ORG_HEADS = frozenset(fold_word(w) for w in ["وزارت", "وزارتخانه", "سازمان", "شورای", "شورا", "مجلس", "دانشگاه", "بانک", "شرکت", "ستاد", "مرکز", "اداره", "اداره\u200cکل", "دفتر", "معاونت", "کمیته", "کمیسیون", "فدراسیون", "باشگاه", "خبرگزاری", "روزنامه", "حزب", "بنیاد", "انجمن", "اتحادیه", "دادگاه", "قوه", "نیروی", "سپاه", "ارتش", "پلیس", "مجمع", "دیوان", "آژانس", "صندوق"])


def bodies_after_departments(keys: Sequence[str], found: list[Span], is_common: Callable[[str], bool]) -> list[Span]:
    """An organization span that opens with common words and names a body further on (`آموزش متوسطه
    دوره کار و دانش وزارت آموزش و پرورش`, after `مدیرکل`): a department described in words, which
    is the body's; the organization starts at the body.

    >>> keys = ["مدیرکل", "اموزش", "متوسطه", "وزارت", "اموزش", "و", "پرورش"]
    >>> bodies_after_departments(keys, [(1, 7, "ORG")], lambda k: k in {"اموزش", "متوسطه"})
    [(3, 7, 'ORG')]
    """
    out: list[Span] = []
    for s, e, lab in found:
        if lab == "ORG" and keys[s] not in ORG_HEADS and is_common(keys[s]):
            k = next((x for x in range(s + 2, e - 1) if keys[x] in ORG_HEADS), None)
            if k is not None:
                s = k
        out.append((s, e, lab))
    return out


# Kinds of settlement named before a place (`شهرک فدک`, `شهر «دایه گو»`); they stay outside it.
_SETTLEMENTS = frozenset(fold_word(w) for w in ["شهر", "شهرک", "روستای", "روستا", "بندر", "جزیره"])
_QUOTES = {"«": "»", '"': '"', "“": "”"}


def settlements(keys: Sequence[str], tokens: Sequence[str], found: list[Span],
                is_rare: Callable[[str], bool]) -> list[Span]:
    """The place after a kind of settlement that the model left untagged: a quoted name of up to three
    words (`شهر «دایه گو»`), or one rare word (`شهرک فدک`).

    >>> settlements(["شهرک", "فدک", "در"], ["شهرک", "فدک", "در"], [], lambda k: k == "فدک")
    [(1, 2, 'LOC')]
    """
    covered = {i for s, e, _ in found for i in range(s, e)}
    extra: list[Span] = []
    n = len(keys)
    quoted: set[tuple[str, ...]] = set()  # names met quoted, to be read whole where written bare
    for i in range(n - 1):
        if keys[i] not in _SETTLEMENTS or i + 1 in covered:
            continue
        close = _QUOTES.get(tokens[i + 1])
        if close is not None:
            j = next((k for k in range(i + 2, min(n, i + 6)) if tokens[k] == close), None)
            if j is not None and j > i + 2 and not any(k in covered for k in range(i + 2, j)) \
                    and all(keys[k].isalpha() for k in range(i + 2, j)):
                extra.append((i + 2, j, "LOC"))
                quoted.add(tuple(keys[i + 2:j]))
    for i in range(n - 1):
        if keys[i] not in _SETTLEMENTS or i + 1 in covered or _QUOTES.get(tokens[i + 1]):
            continue
        whole = next((q for q in quoted if tuple(keys[i + 1:i + 1 + len(q)]) == q
                      and not any(k in covered for k in range(i + 1, i + 1 + len(q)))), None)
        if whole is not None:
            extra.append((i + 1, i + 1 + len(whole), "LOC"))
        elif is_rare(keys[i + 1]) and keys[i + 1].isalpha():
            extra.append((i + 1, i + 2, "LOC"))
    return sorted(found + extra) if extra else found



# Ordinals after a body (`مجلس هشتم`): its term, not its name.
_ORDINALS = frozenset(fold_word(w) for w in ["اول", "دوم", "سوم", "چهارم", "پنجم", "ششم", "هفتم", "هشتم", "نهم", "دهم", "یازدهم", "دوازدهم", "سیزدهم", "چهاردهم", "پانزدهم"])


# Units of a body named before it (`ستاد انتخابات وزارت کشور`, `دفتر حقوقی ریاست جمهوری`).
_UNIT_HEADS = frozenset(fold_word(w) for w in ["ستاد", "دفتر", "اداره", "معاونت", "کمیته", "کمیسیون", "دبیرخانه"])


def whole_bodies(keys: Sequence[str], found: list[Span]) -> list[Span]:
    """One organization where news names it in pieces: two organization spans side by side
    (`دانشگاه آزاد` `اسلامی`, `مرکز تحقیقات استراتژیک` `مجمع تشخیص مصلحت نظام`), and a body's
    head a word or two before an organization (`ستاد انتخابات` `وزارت کشور`); an ordinal after
    a body is its term (`مجلس هشتم`).

    >>> whole_bodies(["دانشگاه", "ازاد", "اسلامی"], [(0, 2, "ORG"), (2, 3, "ORG")])
    [(0, 3, 'ORG')]
    >>> whole_bodies(["در", "ستاد", "انتخابات", "وزارت", "کشور"], [(3, 5, "ORG")])
    [(1, 5, 'ORG')]
    """
    tagged = {i for s, e, _ in found for i in range(s, e)}
    out: list[Span] = []
    for s, e, lab in sorted(found):
        if lab == "ORG":
            while e - s > 1 and keys[e - 1] in _ORDINALS:
                e -= 1
            # A head one or two words before, nothing tagged between (`ستاد انتخابات وزارت کشور`).
            h = s - 2
            if h >= 0 and keys[h] in _UNIT_HEADS and h not in tagged and h + 1 not in tagged \
                    and keys[h + 1].isalpha() and keys[h + 1] not in ORG_HEADS and keys[h + 1] != "و":
                s = h
            if out and out[-1][2] == "ORG" and out[-1][1] == s:
                s = out.pop()[0]
        out.append((s, e, lab))
    return out


# Compass points after a place (`آذربایجان شرقی`, `کره جنوبی`): part of its name.
_COMPASS = frozenset(fold_word(w) for w in ["شرقی", "غربی", "شمالی", "جنوبی", "مرکزی"])


def compass_points(keys: Sequence[str], found: list[Span]) -> list[Span]:
    """A place span followed by an untagged compass point takes it in (`آذربایجان` `شرقی`).

    >>> compass_points(["در", "اذربایجان", "شرقی", "است"], [(1, 2, "LOC")])
    [(1, 3, 'LOC')]
    """
    starts = {s for s, _, _ in found}
    tagged = {i for s, e, _ in found for i in range(s, e)}
    out: list[Span] = []
    for s, e, lab in found:
        if lab == "LOC" and e < len(keys) and keys[e] in _COMPASS and e not in tagged and e not in starts:
            e += 1
        out.append((s, e, lab))
    return out


def listed_persons(keys: Sequence[str], tokens: Sequence[str], found: list[Span],
                   is_name_part: Callable[[str], bool]) -> list[Span]:
    """An untagged item of a list of people (`طیبه سیاوشی، پروانه سلحشوری، بهرام پارسایی`): one or
    two words between a person and a comma before, and a comma or `و` and a person after.

    >>> keys = ["علی", "کریمی", "،", "مینا", "صدری", "و", "رضا", "نوری"]
    >>> listed_persons(keys, keys, [(0, 2, "PER"), (6, 8, "PER")], lambda k: True)
    [(0, 2, 'PER'), (3, 5, 'PER'), (6, 8, 'PER')]
    """
    per_end = {e for s, e, lab in found if lab == "PER"}
    per_start = {s for s, e, lab in found if lab == "PER"}
    tagged = {i for s, e, _ in found for i in range(s, e)}
    extra: list[Span] = []
    n = len(keys)
    for i in range(1, n):
        if tokens[i - 1] not in "،," or (i - 1) not in per_end:
            continue
        for ln in (1, 2):
            j = i + ln
            if j + 1 >= n or any(k in tagged for k in range(i, j)):
                break
            if not all(keys[k].isalpha() and is_name_part(keys[k]) for k in range(i, j)):
                break
            if (tokens[j] in "،," or keys[j] == "و") and (j + 1) in per_start:
                extra.append((i, j, "PER"))
                break
    return sorted(found + extra) if extra else found
