"""Entity spans as news writes them, read around the model's spans (token index ranges).

Forms the training corpora hardly hold and crawled news is full of:

- a team named by its country or club (``تیم ملی والیبال ایران``, ``تیم فوتبال استقلال``): the
  country is the place and the club the organization; ``تیم ملی`` alone names nothing;
- an outlet named in a credit (``به گزارش فارس``, ``به نقل از «العالم»``, ``خبرنگار مهر``): an
  organization, though its name is also a province (``فارس``) or a word (``مهر``);
- a body in a place (``وزارت کار در آذربایجان شرقی``): the body, then the place;
- a given name the model tagged alone before a surname it did not know (``غلامحسین`` ``تسخیری``);
- a foreign name written in Persian with its Latin spelling after it in parentheses
  (``"یورگن ماتزا"(Jürgen Matzka)``): the Persian name is the mention, the gloss none of its own.

>>> keys = ["تیم", "ملی", "والیبال", "ایران", "آماده", "است"]
>>> national_teams(keys, [(0, 4, "ORG")], lambda k: k == "ایران")
[(3, 4, 'LOC')]
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

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
    for pattern in (OPENING, QUOTING, _REPORTER):
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
