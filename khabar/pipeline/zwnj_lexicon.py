"""The ZWNJ restorer's evidence: word counts, ZWNJ forms, verb stems and word-pair habits.

Built by ``scripts/build_zwnj.py`` from UPDT treebank text and the hazm and shekar word lists, and
shipped as ``khabar/resources/zwnj/lexicon.tsv.gz`` (see that script for the record format). The
script also writes ``lexicon.pickle.gz``, the same lexicon parsed, which loads in half the time; it
is used only while the digest of the ``.tsv.gz`` it was made from matches (otherwise the text is
parsed).

>>> lex = Lexicon.load()
>>> lex.zwnj_form("میکند")
'می\u200cکند'
>>> clean_word("«كتاب‌ها»")
'کتاب\u200cها'
"""

from __future__ import annotations

import gzip
import hashlib
import pickle
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from khabar.text.chars import ZWNJ
from khabar.text.fold import Fold

RESOURCE = Path(__file__).resolve().parents[1] / "resources" / "zwnj" / "lexicon.tsv.gz"

# Persian letters as they stand after the normalizer (Arabic ي ك already unified).
LETTERS = "آ-غف-يپچژکگیۀأإؤئءة"
# Letters that do not join the next one: after them a ZWNJ changes nothing on screen, and the
# treebanks almost never write one there.
NON_JOINING = frozenset("اآأإدذرزژوؤۀءة")
_WORD = re.compile(f"^[{LETTERS}]+(?:{ZWNJ}[{LETTERS}]+)*$")
# Letter shapes unified (ي ك ھ) and vowel marks dropped; ZWNJs are what the lexicon is about.
_FOLD = Fold(letters="shapes", digits=False, zwnj="keep", invisible=False, marks=True, tatweel=False)
_EDGE = "«»\"'()[]{}.,،؛;:!?؟-–—…*/\\|<>"

Counts = tuple[int, int, int]  # (UPDT, hazm, shekar)


def clean_word(word: str) -> str:
    """The lexicon key of a word: letters unified, vowel marks and edge punctuation gone; '' if not Persian.

    >>> clean_word("مي‌شُوَد،")
    'می\u200cشود'
    """
    w = _FOLD(word).strip(_EDGE).strip(ZWNJ)
    return w if _WORD.match(w) else ""


def verb_forms(past: str, present: str) -> set[str]:
    """Finite forms that take ``می‌``: present stem + person endings, past stem + person endings.

    >>> sorted(verb_forms("گفت", "گو"))[:4]
    ['گفت', 'گفتم', 'گفتند', 'گفتی']
    """
    out: set[str] = set()
    if present:
        glide = present[-1] in "اآو"
        for end in ("م", "ی", "د", "یم", "ید", "ند"):
            out.add(present + end)
            if glide:
                out.add(present + "ی" + end)
    if past:
        for end in ("", "م", "ی", "یم", "ید", "ند"):
            out.add(past + end)
    return out


@dataclass
class Lexicon:
    """What the restorer knows: see :mod:`scripts.build_zwnj` for where each count comes from."""

    plain: dict[str, Counts] = field(default_factory=dict)
    zwnj: dict[str, Counts] = field(default_factory=dict)
    # key (the word without ZWNJ) → the ZWNJ spelling with the most evidence
    by_key: dict[str, str] = field(default_factory=dict)
    verbs: set[str] = field(default_factory=set)
    # (left, right) → (UPDT count written joined with ZWNJ, UPDT count written with a space)
    pairs: dict[tuple[str, str], tuple[int, int]] = field(default_factory=dict)
    # how many distinct ZWNJ compounds each second part / first part builds
    heads: dict[str, int] = field(default_factory=dict)
    firsts: dict[str, int] = field(default_factory=dict)
    # every word that begins a ZWNJ form (`برنامه` of `برنامه‌ریزی‌ها`)
    lefts: frozenset[str] = frozenset()
    # word → UPDT counts (joined to the previous word, spaced from it, joined to the next, spaced)
    joins: dict[str, tuple[int, int, int, int]] = field(default_factory=dict)
    # ZWNJ forms in a curated list of standard compound spellings
    curated: set[str] = field(default_factory=set)
    # crawled news: in how many articles (that write ZWNJs consistently) a word is written so, and
    # (left, right) → articles writing the pair joined with ZWNJ, and spaced
    news: dict[str, int] = field(default_factory=dict)
    news_pairs: dict[tuple[str, str], tuple[int, int]] = field(default_factory=dict)
    # key (the word without ZWNJ) → its written forms in the news with their article counts
    news_forms: dict[str, tuple[tuple[str, int], ...]] = field(default_factory=dict)
    # second part → (distinct first parts it follows with a ZWNJ, and joined) in crawled news
    news_heads: dict[str, tuple[int, int]] = field(default_factory=dict)
    # (reading, side, class of the neighbour) → count, for the readings of ambiguous words
    # (see zwnj_context); class "*" holds each reading and side's total
    context: dict[tuple[str, str, str], int] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path | None = None) -> Lexicon:
        """The shipped lexicon (read once per process).

        >>> Lexicon.load().counts("می\u200cشود")[0] > 100  # UPDT writes it this way hundreds of times
        True
        """
        return _load(path or RESOURCE)

    def zwnj_form(self, key: str) -> str | None:
        return self.by_key.get(key)

    def counts(self, word: str) -> Counts:
        if ZWNJ in word:
            return self.zwnj.get(word, (0, 0, 0))
        return self.plain.get(word, (0, 0, 0))


# Fields held as sets, pickled as sorted lists so that a rebuild gives the same bytes.
_SET_FIELDS = ("verbs", "curated", "lefts")


def compiled_path(path: Path) -> Path:
    return path.with_name(path.name.replace(".tsv.gz", "") + ".pickle.gz")


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def compile_lexicon(path: Path) -> Path:
    """Writes the lexicon at ``path`` parsed, next to it, with the digest of ``path``; returns its path."""
    lex = _parse(path)
    fields = {k: (sorted(v) if k in _SET_FIELDS else v) for k, v in vars(lex).items()}
    out = compiled_path(path)
    with open(out, "wb") as raw, gzip.GzipFile(filename="", fileobj=raw, mode="wb", mtime=0) as gz:
        pickle.dump({"source_sha256": _digest(path), "fields": fields}, gz, protocol=5)
    return out


@lru_cache(maxsize=4)
def _load(path: Path) -> Lexicon:
    compiled = compiled_path(path)
    if compiled.exists():
        # khabar's own artefact, written by scripts/build_zwnj.py next to its source.
        with gzip.open(compiled, "rb") as f:
            data = pickle.load(f)
        if data.get("source_sha256") == _digest(path):
            fields = data["fields"]
            empty = Lexicon()
            for k in _SET_FIELDS:
                fields[k] = type(getattr(empty, k))(fields[k])  # set or frozenset, as the field is
            return Lexicon(**fields)
    return _parse(path)


def _parse(path: Path) -> Lexicon:
    lex = Lexicon()
    best: dict[str, tuple[tuple[int, int, int], str]] = {}
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for line in f:
            cols = line.rstrip("\n").split("\t")
            kind = cols[0]
            if kind == "P":
                lex.plain[cols[1]] = (int(cols[2]), int(cols[3]), int(cols[4]))
            elif kind == "Z":
                c = (int(cols[2]), int(cols[3]), int(cols[4]))
                w = cols[1]
                lex.zwnj[w] = c
                if len(cols) > 5 and cols[5] == "1":
                    lex.curated.add(w)
                key = w.replace(ZWNJ, "")
                if key not in best or c > best[key][0]:
                    best[key] = (c, w)
            elif kind == "V":
                lex.verbs |= verb_forms(cols[1], cols[2])
            elif kind == "J":
                lex.joins[cols[1]] = (int(cols[2]), int(cols[3]), int(cols[4]), int(cols[5]))
            elif kind == "B":
                lex.pairs[(cols[1], cols[2])] = (int(cols[3]), int(cols[4]))
            elif kind == "N":
                lex.news[cols[1]] = int(cols[2])
            elif kind == "M":
                lex.news_pairs[(cols[1], cols[2])] = (int(cols[3]), int(cols[4]))
            elif kind == "H":
                lex.news_heads[cols[1]] = (int(cols[2]), int(cols[3]))
            elif kind == "C":
                lex.context[(cols[1], cols[2], cols[3])] = int(cols[4])
                total = (cols[1], cols[2], "*")
                lex.context[total] = lex.context.get(total, 0) + int(cols[4])
    lex.by_key = {k: w for k, (_, w) in best.items()}
    heads: dict[str, int] = {}
    firsts: dict[str, int] = {}
    for w in lex.zwnj:
        parts = w.split(ZWNJ)
        if len(parts) == 2:
            heads[parts[1]] = heads.get(parts[1], 0) + 1
            firsts[parts[0]] = firsts.get(parts[0], 0) + 1
    lex.heads, lex.firsts = heads, firsts
    lex.lefts = frozenset(w.split(ZWNJ, 1)[0] for w in lex.zwnj)
    forms: dict[str, list[tuple[str, int]]] = {}
    for w, n in lex.news.items():
        forms.setdefault(w.replace(ZWNJ, ""), []).append((w, n))
    lex.news_forms = {k: tuple(sorted(v, key=lambda x: (-x[1], x[0]))) for k, v in forms.items()}
    return lex
