"""Relevance: BM25 over a window of matches, computed by the archive, so every backend ranks alike.

A relevance search ranks the newest matches (:func:`khabar.archive.query.rank_window` of them): a
backend returns their ids, the archive reads their titles and restored texts and scores them here.
Term frequencies are counted on the restored text, brought to the folded spelling of the query's
letters (``ي``/``ی``, digits, vowel marks, ZWNJ inside a word), words bounded as the tokenizers bound them; document frequencies come from the window;
lengths are in characters, and only the first :data:`RANK_CHARS` of a text are read (the lead of a
long article; this bounds the cost per match). The title counts twice. The score is a pure function of the texts, so
SQLite and PostgreSQL, which hold the same texts, give the same order.

>>> m = TermMatcher([Term(("میکند",)), Term(("کتاب",), prefix=True)])
>>> m.counts("او می‌کند و ميكند، كتابها را")
[2, 1]
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from functools import lru_cache

from khabar.archive.query import RANK_CHARS, Term
from khabar.text.fold import fold

__all__ = ["K1", "RANK_CHARS", "TITLE_WEIGHT", "TermMatcher", "bm25", "matcher"]

K1, B = 1.2, 0.75
TITLE_WEIGHT = 2.0
_RANGES = [(0x0600, 0x0700), (0x0750, 0x0780), (0x08A0, 0x0900), (0xFB50, 0xFE00), (0xFE70, 0xFF00),
           (0x200B, 0x2010), (0x00AD, 0x00AE), (0xFEFF, 0xFF00), (0x0030, 0x003A)]


@lru_cache(maxsize=1)
def _spellings() -> tuple[dict[str, tuple[str, ...]], tuple[str, ...]]:
    """Each folded character's other spellings (as restored text may hold them: Arabic-script letters
    and digits, not presentation forms), and the characters folding drops (ZWNJ, marks, tatweel …)."""
    variants: dict[str, list[str]] = {}
    dropped: list[str] = []
    for lo, hi in _RANGES:
        for cp in range(lo, hi):
            c = chr(cp)
            f = fold(c)
            if f == "" and not c.isspace() and c not in dropped:
                dropped.append(c)
            elif len(f) == 1 and f != c and not 0xFB50 <= cp < 0xFF00:
                variants.setdefault(f, []).append(c)
    return {k: tuple(v) for k, v in variants.items()}, tuple(dropped)


_MARKS = re.compile("[\u064b-\u065f\u0670]+")


def _WORD(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


class TermMatcher:
    """Counts each term's occurrences (words, phrases, prefixes) in restored text.

    The text is first brought to the folded spelling of the letters the query holds (a few
    ``str.replace`` calls, ZWNJs, tatweels and the like removed), then one pattern of the folded
    tokens counts every term in one pass. A word written with vowel marks (rare in news) is not
    counted: scanning every text for them would cost more than all the rest.
    """

    def __init__(self, terms: Sequence[Term]) -> None:
        variants, dropped = _spellings()
        letters = {ch for term in terms for tok in term.tokens for ch in tok}
        self.replacements = tuple((v, ch) for ch in sorted(letters) for v in variants.get(ch, ()))
        # Marks are removed by one pattern (they are rare in restored text); the joiners and the like one by one.
        self.dropped = tuple(c for c in dropped if not _MARKS.match(c) and not 0xFB50 <= ord(c) < 0xFF00)
        self.lower = any(ch.isascii() and ch.isalpha() for ch in letters)
        # Literal tokens, so the scan is fast; word boundaries are checked on each (rare) match.
        parts = []
        self.prefix: list[bool] = []
        for i, term in enumerate(terms):
            body = r"\W+".join(re.escape(tok) for tok in term.tokens)
            parts.append(f"(?P<t{i}>{body})")
            self.prefix.append(term.prefix)
        self.size = len(terms)
        self.pattern = re.compile("|".join(parts)) if parts else None

    def counts(self, text: str) -> list[int]:
        """How many times each term occurs in ``text``."""
        out = [0] * self.size
        if self.pattern is None or not text:
            return out
        if self.lower:
            text = text.lower()
        for old, new in self.replacements:
            text = text.replace(old, new)
        for gone in self.dropped:
            text = text.replace(gone, "")
        end = len(text)
        for m in self.pattern.finditer(text):
            i = int(m.lastgroup[1:])  # type: ignore[index]
            s, e = m.span()
            if (s and _WORD(text[s - 1])) or (not self.prefix[i] and e < end and _WORD(text[e])):
                continue
            out[i] += 1
        return out


@lru_cache(maxsize=256)
def matcher(terms: tuple[Term, ...]) -> TermMatcher:
    return TermMatcher(terms)


def bm25(docs: Sequence[tuple[str, str]], terms: Sequence[Term]) -> list[float]:
    """Scores of ``(title, text)`` documents for the (positive) ``terms``: BM25 with the title's
    counts and length weighted by :data:`TITLE_WEIGHT`, document frequencies from these documents.

    >>> s = bm25([("", "تورم تورم بازار"), ("", "تورم سکه بازار"), ("", "بازار آرام سکه")], [Term(("تورم",))])
    >>> s[0] > s[1] > s[2] == 0
    True
    """
    if not docs:
        return []
    match = matcher(tuple(terms))
    tfs: list[list[float]] = []
    lengths: list[float] = []
    for title, text in docs:
        ct, cb = match.counts(title or ""), match.counts(text or "")
        tfs.append([TITLE_WEIGHT * a + b for a, b in zip(ct, cb, strict=True)])
        lengths.append(TITLE_WEIGHT * len(title or "") + len(text or ""))
    n = len(docs)
    avg = sum(lengths) / n or 1.0
    dfs = [sum(1 for tf in tfs if tf[i] > 0) for i in range(match.size)]
    idfs = [math.log(1 + (n - df + 0.5) / (df + 0.5)) for df in dfs]
    scores = []
    for tf, length in zip(tfs, lengths, strict=True):
        norm = K1 * (1 - B + B * length / avg)
        scores.append(sum(idf * f * (K1 + 1) / (f + norm) for idf, f in zip(idfs, tf, strict=True) if f))
    return scores
