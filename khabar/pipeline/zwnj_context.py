"""Words whose letters read two ways, decided by the words around them.

A word in ``های`` after a stem in ``ه`` is either a plural (``حرف‌های او``: his words) or the stem in
``ه`` with ``ای`` (``فوتبال حرفه‌ای``: professional football; ``نامه‌ای که``: a letter that). With
its ZWNJ deleted both are ``حرفهای``. The restorer weighs how often each reading is written (crawled
news, then the treebank, then the word lists) against what each kind of word is followed and
preceded by in correct text: a plural is almost always followed by the word it is joined to by the
ezafe, rarely by ``که``, ``را``, a preposition or a verb; ``ای`` often is, and follows ``یک``,
``هر``, ``چنین``. Those class counts (:data:`khabar.pipeline.zwnj_lexicon.Lexicon.context`) are
learned by ``scripts/build_zwnj.py`` from the plurals and ``ه‌ای`` words that the treebank and the
crawl's training articles write with their ZWNJs.

>>> context_class("که", frozenset(), before=False), context_class("یک", frozenset(), before=True)
('که', 'DEM')
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

# Words that keep a class of their own: the ones whose share differs most between the readings.
_OWN = frozenset(["را", "و", "از", "در", "به", "با", "برای"])
_FUNCTION = frozenset(["تا", "یا", "بر", "اگر", "اما", "ولی", "نیز", "هم"])
# Before the word: the determiners of an indefinite (`یک نامه‌ای`, `هر زمینه‌ای`), and demonstratives.
_DEM = frozenset(["یک", "هر", "چه", "چنین", "چنان", "فلان", "هیچ"])
_THIS = frozenset(["این", "آن", "همین", "همان", "تمام", "همه"])
# After a plural, a possessor (`حرف‌های او`); after ‌ای, seldom.
_PERSONS = frozenset(["او", "وی", "آنها", "آن‌ها", "ما", "شما", "تو", "من", "ایشان", "خود"])
_COPULAS = frozenset(["است", "بود", "شد", "شده", "باشد", "هستند", "نیست", "دارد", "کرد", "کند", "داد", "دهد",
                      "است", "بودند", "شدند", "نبود", "گرفت", "گیرد"])
# Readings: the plural (stem + ‌های) and the stem in ه + ‌ای.
PLURAL, EH = "PL", "EH"
# Add-one smoothing over this many classes.
_CLASSES = 15


def context_class(key: str, verbs: frozenset[str] | set[str], *, before: bool) -> str:
    """The class of a neighbouring word (``key`` without ZWNJs; ``""`` at a phrase's edge)."""
    if not key:
        return "END"
    if key == "که" or key in _OWN:
        return key
    if not before and key in _PERSONS:
        return "PERSON"
    if before and key in _DEM:
        return "DEM"
    if before and key in _THIS:
        return "THIS"
    if key in _FUNCTION or key in _DEM or key in _THIS:
        return "F"
    if key in _COPULAS or key in verbs or (key.startswith(("می", "نمی")) and key.lstrip("ن")[2:] in verbs):
        return "V"
    return "W"


@dataclass(frozen=True, slots=True)
class Readings:
    """The two readings of an ambiguous word: ZWNJ positions of each, and the log odds of the plural
    from how often each is written."""

    plural: tuple[int, ...]
    eh: tuple[int, ...]
    log_odds: float


def prefers_plural(r: Readings, prev_key: str, next_key: str, context: Mapping[tuple[str, str, str], int],
                   verbs: frozenset[str] | set[str]) -> bool:
    """Whether the plural reading wins between ``prev_key`` and ``next_key``.

    >>> ctx = {("PL", "next", "W"): 90, ("PL", "next", "که"): 1, ("EH", "next", "W"): 50, ("EH", "next", "که"): 10}
    >>> prefers_plural(Readings((3,), (4,), 0.0), "", "که", ctx, set())
    False
    """
    score = r.log_odds
    for side, key in (("prev", prev_key), ("next", next_key)):
        cls = context_class(key, verbs, before=side == "prev")
        score += _log_p(context, PLURAL, side, cls) - _log_p(context, EH, side, cls)
    return score > 0


def _log_p(context: Mapping[tuple[str, str, str], int], reading: str, side: str, cls: str) -> float:
    total = context.get((reading, side, "*"), 0)
    if not total:
        total = sum(v for (r, s, _), v in context.items() if r == reading and s == side)
    return math.log((context.get((reading, side, cls), 0) + 1) / (total + _CLASSES))


def log_odds(plural: Mapping[str, int], eh: Mapping[str, int]) -> float | None:
    """Log odds of the plural from the first source that writes either reading (``plural`` and ``eh``
    map a source name to a count; sources in order of trust), or None where none does."""
    for source in plural:
        p, e = plural.get(source, 0), eh.get(source, 0)
        if p or e:
            return math.log((p + 0.5) / (e + 0.5))
    return None
