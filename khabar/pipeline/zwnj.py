"""ZWNJ restoration (U+200C, the half-space): the second restoration stage.

Scraped Persian loses its ZWNJs in two ways: deleted (``میکند``, ``گروههای``) or turned into spaces
(``می کند``, ``گروه های``). The restorer decides each case from evidence shipped in
:mod:`khabar.pipeline.zwnj_lexicon` (crawled news, treebank text and open word lists):

0. a word that crawled news writes one way in most of the articles that use it takes that spelling
   (``کی‌روش``, ``قالیباف``), keeping the modern ZWNJ of ``ها``/``تر``/``می`` (whose joined spelling
   is an older form of it); a word that reads two ways (``حرفهای``: ``حرف‌های`` / ``حرفه‌ای``) is
   decided by its neighbours (:mod:`khabar.pipeline.zwnj_context`);
1. a word the lexicon knows decides by counts (UPDT first, then hazm, then web counts): written with
   ZWNJ more often than without → ZWNJ; affix boundaries (``می‌``, ``‌ها``, ``‌تر``, ``‌ای`` after ه,
   the ezafe ``‌ی`` after a silent ه) take the modern standard spelling unless hazm lists the joined
   word as a word of its own;
2. a word no list holds is taken apart: the verbal prefix ``می``/``نمی`` before a verb form,
   plural and pronoun suffixes after a known stem (readings compete by stem frequency), participle
   + copula, doubled words, and compounds of a known word with a productive part that builds many
   ZWNJ compounds in the lexicon (``‌کنندگان``, ``‌گذاری``) or that the news writes after many names
   with a ZWNJ (``‌زاده``, ``‌پور``, ``‌نژاد``, ``‌فر``: ``صادقی‌نژاد``), or a bound first part (``بی‌``);
   what none of these decides goes to a learned per-boundary classifier (:mod:`khabar.pipeline.zwnj_model`:
   ``کره‌شکل``, ``عدالت‌محور``), never after a number, a function word or the verbal prefix, nor
   before a part the news writes joined (``قائمشهر``), nor in a word the web writes joined often;
3. two words with a space between are joined where correct text writes them joined: affixes that
   never stand alone, pairs that UPDT (or, for pairs it lacks, crawled news) writes joined far more
   often than spaced, and words that UPDT nearly always joins to their neighbour; pairs after
   prepositions (``به خوبی``) are style.

The document says how it was damaged (:meth:`ZwnjRestorer.mode_of`). One that already uses ZWNJs
shows its author's convention and is corrected conservatively: only at affix boundaries (``می‌``,
``‌ها``, ``‌تر``, pronoun endings), and only in forms or affixes it writes with ZWNJ elsewhere. One
whose verbal prefixes are joined (``میگوید``) lost its ZWNJs by deletion: its spaces are real, so only
affixes join across them. One whose prefixes and plurals are spaced (``می گوید``,
``گروه ها``) lost them to spaces: its joined words are the author's, so only affixes are split off.
Mixed damage is restored fully.

>>> ZwnjRestorer().apply("آنها میگویند برنامه ریزی ها انجام شده اند")
'آن\u200cها می\u200cگویند برنامه\u200cریزی\u200cها انجام شده\u200cاند'
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import ClassVar

from khabar.document import Document
from khabar.offsets import Edit, apply_edits
from khabar.pipeline.base import TextStage
from khabar.pipeline.zwnj_context import Readings, log_odds, prefers_plural
from khabar.pipeline.zwnj_lexicon import LETTERS, NON_JOINING, ZWNJ, Lexicon
from khabar.pipeline.zwnj_model import BoundaryModel
from khabar.pipeline.zwnj_words import (
    _AFFIX,
    _AFFIX_LEFT,
    _AFFIX_RIGHT,
    _CACHE_MAX,
    _COMPOUND,
    _FUNCTION,
    _MAYBE,
    _NO,
    _NO_PLURAL,
    _UNSET,
    HA,
    PREFIX,
    WordReader,
)

# A run of Persian words separated by single spaces, vowel marks allowed inside words: the unit the
# restorer looks at (pairs never cross punctuation or line breaks).
_WORDCH = f"[{LETTERS}\u064b-\u065f\u0670{ZWNJ}]"
# At most 64 words: a hostile run of millions of words without punctuation is handled in bounded
# pieces (no pair is joined across the cut between two pieces).
_PHRASE = re.compile(f"(?<!{_WORDCH}){_WORDCH}+(?: {_WORDCH}+){{0,63}}")
_DIAC_RE = re.compile("[\u064b-\u065f\u0670]")
_HAS_DIAC = _DIAC_RE
# Per word as written: (key without vowel marks, ZWNJ positions in the word as written, the word
# with them inserted, whether it already has a ZWNJ, the key a following word may join to).
# The last field: for a word that reads two ways (see zwnj_context), each reading's ZWNJ positions as
# written, the word so written, its form without vowel marks, and the readings' odds.
_Amb = tuple[tuple[int, ...], str, str, tuple[int, ...], str, str, Readings]
_Info = tuple[str, tuple[int, ...], str, bool, str, "_Amb | None"]
# Markers in a document's set of forms: it writes the prefix می‌ / the suffix ‌ها with ZWNJ.
_MI = f"می{ZWNJ}"
_HA = f"{ZWNJ}ها"

_MODES = ("auto", "full", "deleted", "spaced", "conservative")
# A restored text can read differently from its input: once it holds ZWNJs, :meth:`ZwnjRestorer.mode_of`
# sees an author who uses them. Conservative mode therefore only adds what every other mode has
# already added (affix boundaries, where the document writes them), so that restoring a restored text
# changes nothing. Where that does not settle it (the output is not conservative, or a conservative
# pass wrote forms the text lacked), passes repeat until nothing changes: on 5,900 crawled and
# synthetic articles at most two passes change anything.
_PASSES = 4
# Signs of how a document without ZWNJs lost them: the verbal prefix spaced or joined.
# (`می گوید`, `گروه ها`, `شده اند` against `میگوید`, `شدهاند`.)
# Each pattern begins with its letters and looks behind afterwards, so that the regex engine can
# skip ahead to them: nine times faster than looking behind at every position of the text.


def _mi_alone(tail: str) -> str:
    """Looking back from just after ``می`` + ``tail``: the می (or نمی) begins a word."""
    other = f"[{LETTERS}{ZWNJ}]"
    return f"(?:(?<!{other}می{tail})|(?<=(?<!{other})نمی{tail}))"


_SPACED_MARKS = (
    re.compile(f"می {_mi_alone(' ')}(?=[{LETTERS}])"),
    re.compile(f" ها(?<=[{LETTERS}] ها)ی?(?![{LETTERS}])"),
    re.compile(f" ای(?<=[{LETTERS}]ه ای)(?![{LETTERS}])"),
    re.compile(f" اند(?<=[{LETTERS}]ه اند)(?![{LETTERS}])"),
)
_JOINED_MARKS = (
    re.compile(f"می{_mi_alone('')}(?:کن|شو|کرد|شد|گو|گفت|دان|توان|خواه|رو|رفت|آی|آمد|ده|داد|گیر|رس|زن|بین|دار|داشت)"),
    re.compile(f"هاند(?<=[{LETTERS}]{{2}}هاند)(?![{LETTERS}])"),
)
# One sign must outnumber the other this many times to decide.
_DAMAGE_RATIO = 3
# A document whose Persian words carry at least this many ZWNJs per 1,000 words keeps its convention.
_CONVENTION = 5


class ZwnjRestorer(WordReader, TextStage):
    """Restores ZWNJs that were deleted (``میکند``) or turned into spaces (``می کند``).

    ``mode``: ``"auto"`` (decide per document, see :meth:`mode_of`), or force ``"full"``,
    ``"deleted"``, ``"spaced"`` or ``"conservative"``.

    >>> r = ZwnjRestorer()
    >>> r.apply("گروههای مذاکرهکننده میگویند")
    'گروه\u200cهای مذاکره\u200cکننده می\u200cگویند'
    >>> r.apply("این که می گویند")  # the treebank writes این که spaced
    'این که می\u200cگویند'
    >>> r.apply("می‌گویند این که رئیس جمهور گفت")  # an author who uses ZWNJs spaced these by choice
    'می\u200cگویند این که رئیس جمهور گفت'
    """

    name: ClassVar[str] = "zwnj"

    def __init__(self, *, mode: str = "auto", lexicon: Lexicon | None = None,
                 model: BoundaryModel | None = None) -> None:
        if mode not in _MODES:
            raise ValueError(f"mode must be one of {', '.join(map(repr, _MODES))}, not {mode!r}")
        self.mode = mode
        self.lex = lexicon or Lexicon.load()
        # The learned classifier for words no list holds (see zwnj_model); BoundaryModel() never fires.
        self.model = model if model is not None else BoundaryModel.load()
        self.rules = ()
        self._word_cache: dict[str, tuple[int, ...]] = {}
        self._pair_cache: dict[tuple[str, str], int] = {}
        self._raw_caches: dict[str, dict[str, _Info]] = {m: {} for m in _MODES}
        self._readings_cache: dict[str, Readings | None] = {}

    # -- the document's damage -----------------------------------------------------------------

    def mode_of(self, text: str) -> str:
        """How ``text`` is restored: ``"conservative"`` (it uses ZWNJs: keep its convention),
        ``"deleted"`` (its ZWNJs were deleted: its spaces are real, its joined words may need ZWNJs),
        ``"spaced"`` (its ZWNJs became spaces: its joined words are the author's) or ``"full"`` (both
        signs). A text with neither sign counts as ``"deleted"``: nothing says its spaces were ZWNJs.

        >>> r = ZwnjRestorer()
        >>> r.mode_of("میگویند"), r.mode_of("می گویند"), r.mode_of("می‌گویند")
        ('deleted', 'spaced', 'conservative')
        """
        if self.mode != "auto":
            return self.mode
        n = text.count(ZWNJ)
        if n and n * 1000 >= _CONVENTION * (text.count(" ") + 1):
            return "conservative"
        spaced = sum(len(p.findall(text)) for p in _SPACED_MARKS)
        joined = sum(len(p.findall(text)) for p in _JOINED_MARKS)
        # Without a sign that spaces stand for lost ZWNJs, the author's spaces are real.
        if joined >= _DAMAGE_RATIO * spaced:
            return "deleted"
        if spaced >= _DAMAGE_RATIO * joined:
            return "spaced"
        return "full"

    # -- the text ------------------------------------------------------------------------------

    def _info(self, raw: str, mode: str) -> _Info:
        """What the restorer needs of one word as written, cached per mode: see :data:`_Info`."""
        cache = self._raw_caches[mode]
        hit = cache.get(raw)
        if hit is not None:
            return hit
        if len(cache) > _CACHE_MAX:
            cache.clear()
        has_diac = _HAS_DIAC.search(raw) is not None
        key = _DIAC_RE.sub("", raw) if has_diac else raw
        info: _Info
        if ZWNJ in key:
            # The next word pairs with this whole word, as it would have before its ZWNJs were
            # restored: a second pass then sees the pairs the first saw (idempotence).
            info = (key, (), raw, True, key.replace(ZWNJ, ""), None)
        else:
            raw_cuts, word, _ = self._written(raw, key, self.word_boundaries(key), mode, has_diac)
            amb: _Amb | None = None
            readings = self._readings(key)
            if readings is not None:
                amb = (*self._written(raw, key, readings.plural, mode, has_diac),
                       *self._written(raw, key, readings.eh, mode, has_diac), readings)
            info = (key, raw_cuts, word, False, key, amb)
        cache[raw] = info
        return info

    def _written(self, raw: str, key: str, cuts: tuple[int, ...], mode: str,
                 has_diac: bool) -> tuple[tuple[int, ...], str, str]:
        """ZWNJ positions in ``raw`` for the letter positions ``cuts`` of ``key`` (as ``mode`` keeps
        them), ``raw`` with them, and ``key`` with them."""
        if cuts and mode in ("spaced", "conservative"):
            # Where lost ZWNJs became spaces, a joined compound is the author's spelling; an
            # author who writes ZWNJs is corrected at affix boundaries only.
            cuts = tuple(c for c in cuts if self._modern_cut(key, c))
        raw_cuts = _raw_positions(raw, cuts) if cuts and has_diac else cuts
        return raw_cuts, _insert(raw, raw_cuts) if raw_cuts else raw, _insert(key, cuts) if cuts else key

    def _readings(self, key: str) -> Readings | None:
        """The two readings of a word in ``های`` after a stem in ``ه`` (``حرفهای``: ``حرف‌های`` or
        ``حرفه‌ای``) where both stems are words and some source writes either, or None."""
        hit = self._readings_cache.get(key, _UNSET)
        if hit is not _UNSET:
            return hit  # type: ignore[return-value]
        if len(self._readings_cache) > _CACHE_MAX:
            self._readings_cache.clear()
        out: Readings | None = None
        plural, eh = key[:-3], key[:-2]
        if (len(key) >= 5 and key.endswith("های") and eh.endswith("ه") and plural not in _NO_PLURAL
                and plural not in _FUNCTION and self._strong(eh) and self._known(plural)):
            p_cuts = (*self.word_boundaries(plural), *((len(plural),) if plural[-1] not in NON_JOINING else ()))
            e_cuts = (*self.word_boundaries(eh), len(eh))
            lex = self.lex
            p_form, e_form = _insert(key, p_cuts), _insert(key, e_cuts)
            p_u, p_h, _ = lex.counts(p_form)
            e_u, e_h, _ = lex.counts(e_form)
            odds = log_odds({"news": lex.news.get(p_form, 0), "updt": p_u, "hazm": p_h},
                            {"news": lex.news.get(e_form, 0), "updt": e_u, "hazm": e_h})
            if odds is not None:
                out = Readings(p_cuts, e_cuts, odds)
        self._readings_cache[key] = out
        return out

    def _reading(self, amb: _Amb, prev_key: str, next_key: str) -> tuple[tuple[int, ...], str, str]:
        """The reading of an ambiguous word that its neighbours favour: ZWNJ positions, word, form."""
        if prefers_plural(amb[6], prev_key, next_key, self.lex.context, self.lex.verbs):
            return amb[0], amb[1], amb[2]
        return amb[3], amb[4], amb[5]

    def _phrase_edits(self, phrase: str, mode: str, seen: frozenset[str]) -> list[Edit]:
        """Edits inside one phrase, as offsets into it."""
        out: list[Edit] = []
        pos = 0
        prev_last = ""
        prev_end = -1
        conservative = mode == "conservative"
        deleted = mode == "deleted"
        words = phrase.split(" ")
        cache = self._raw_caches[mode]
        infos = [cache.get(raw) or self._info(raw, mode) for raw in words]
        pairs = self._pair_cache
        for n, (raw, (key, cuts, _, has_zwnj, last, amb)) in enumerate(zip(words, infos, strict=True)):
            start = pos
            pos += len(raw) + 1
            if not has_zwnj:
                # Where ZWNJs were deleted only an affix joins (as in _fast_phrase): most pairs need
                # no look-up. (_join_ok written out, with _pair_kind's cache read first: this runs
                # once per word of every article.)
                if prev_last and key and not (deleted and prev_last not in _AFFIX_LEFT and key not in _AFFIX_RIGHT):
                    kind = pairs.get((prev_last, key))
                    if kind is None or (kind == _MAYBE and not deleted):
                        kind = self._pair_kind(prev_last, key, deleted)
                    if kind != _NO and kind != _MAYBE and (
                            kind == _AFFIX and (f"{prev_last}{ZWNJ}{key}" in seen or (prev_last in PREFIX and _MI in seen)
                                                or (key in HA and _HA in seen))
                            if conservative else kind == _AFFIX or not deleted):
                        out.append((prev_end, prev_end + 1, ZWNJ))
                if amb is not None:
                    cuts, _, form = self._reading(amb, prev_last, infos[n + 1][4] if n + 1 < len(infos) else "")
                    if cuts and conservative and form not in seen:
                        cuts = ()
                elif cuts and conservative:
                    form = _insert(key, _key_positions(raw, cuts)) if key != raw else _insert(key, cuts)
                    if form not in seen:
                        cuts = ()
                if cuts:
                    out.extend((start + c, start + c, ZWNJ) for c in cuts)
            prev_last, prev_end = last, start + len(raw)
        return out

    def _fast_phrase(self, phrase: str, mode: str) -> str:
        """The restored phrase outside conservative mode; agrees with :meth:`_phrase_edits`."""
        info = self._raw_caches[mode]
        if " " not in phrase:
            i = info.get(phrase) or self._info(phrase, mode)
            return i[2] if i[5] is None else self._reading(i[5], "", "")[1]
        pairs = self._pair_cache
        deleted = mode == "deleted"
        least = _AFFIX if deleted else _COMPOUND
        infos = [info.get(raw) or self._info(raw, mode) for raw in phrase.split(" ")]
        first = infos[0]
        parts: list[str] = [first[2] if first[5] is None else
                            self._reading(first[5], "", infos[1][4])[1]]
        prev_last = first[4]
        last_n = len(infos) - 1
        for n in range(1, len(infos)):
            i = infos[n]
            # A word of vowel marks alone has an empty key: nothing joins to it. Where ZWNJs were
            # deleted only an affix joins, so most pairs need no look-up at all.
            if deleted and prev_last not in _AFFIX_LEFT and i[0] not in _AFFIX_RIGHT:
                parts.append(" ")
            elif prev_last and i[0] and not i[3]:
                j = pairs.get((prev_last, i[0]))
                if j is None or (j == _MAYBE and not deleted):
                    j = self._pair_kind(prev_last, i[0], deleted)
                parts.append(ZWNJ if j and j <= least else " ")
            else:
                parts.append(" ")
            amb = i[5]
            parts.append(i[2] if amb is None else
                         self._reading(amb, prev_last, infos[n + 1][4] if n < last_n else "")[1])
            prev_last = i[4]
        return "".join(parts)

    def _join_ok(self, a: str, b: str, mode: str, seen: frozenset[str]) -> bool:
        kind = self._pair_kind(a, b, mode == "deleted")
        if kind in (_NO, _MAYBE):
            return False
        if mode == "conservative":
            # The author joins these elsewhere in the same document.
            return kind == _AFFIX and (
                f"{a}{ZWNJ}{b}" in seen or (a in PREFIX and _MI in seen) or (b in HA and _HA in seen))
        # Where ZWNJs were deleted, a space is the author's: only a bound affix joins across it.
        return kind == _AFFIX or mode != "deleted"

    def edits(self, text: str, mode: str | None = None, seen: frozenset[str] | None = None) -> list[Edit]:
        """The ZWNJ edits for ``text``: ``(p, p, ZWNJ)`` insertions and ``(p, p+1, ZWNJ)`` joins.

        >>> ZwnjRestorer().edits("کتاب ها")
        [(4, 5, '\u200c')]
        """
        mode = mode or self.mode_of(text)
        if seen is None:
            seen = _document_forms(text) if mode == "conservative" else frozenset()
        out: list[Edit] = []
        prev: re.Match[str] | None = None
        for m in _PHRASE.finditer(text):
            base = m.start()
            if prev is not None and self._joins_cut(text, prev, m, mode, seen):
                out.append((base - 1, base, ZWNJ))
            for s, e, r in self._phrase_edits(m.group(), mode, seen):
                out.append((base + s, base + e, r))
            prev = m
        return out

    def _joins_cut(self, text: str, prev: re.Match[str], m: re.Match[str], mode: str, seen: frozenset[str]) -> bool:
        """Whether the space between two phrases that a long run of words was cut into is a lost ZWNJ:
        the pair across the cut is decided as any other (else where the cut falls would decide it,
        and a second pass, cutting elsewhere, would decide otherwise)."""
        if m.start() != prev.end() + 1 or text[prev.end()] != " ":
            return False
        last = prev.group().rsplit(" ", 1)[-1]
        first = m.group().split(" ", 1)[0]
        prev_last = self._info(last, mode)[4]
        key, _, _, has_zwnj, _, _ = self._info(first, mode)
        return bool(prev_last and key and not has_zwnj and self._join_ok(prev_last, key, mode, seen))

    def apply(self, text: str) -> str:
        """The text with ZWNJs restored (no offsets): the fast path of :func:`khabar.restore`.

        Restoring again changes nothing (see :data:`_PASSES`).

        >>> ZwnjRestorer().apply("نمایندگان میگویند")
        'نمایندگان می\u200cگویند'
        >>> r = ZwnjRestorer()
        >>> once = r.apply("سرمایه گذاری در بورس. سرمایهگذاری در مسکن.")
        >>> once == r.apply(once)
        True
        """
        for _ in range(_PASSES):
            mode = self.mode_of(text)
            seen = _document_forms(text) if mode == "conservative" else frozenset()
            out = self._apply_once(text, mode, seen)
            if out == text or self._fixed(mode, seen, out):
                return out
            text = out
        return text

    def _fixed(self, mode: str, seen: frozenset[str], out: str) -> bool:
        """Whether a pass in ``mode`` gave a text that another pass leaves alone: a conservative pass
        adds only affix boundaries where the text writes them, and every other mode has added all;
        a conservative pass decides as the one before it unless that one wrote forms the text lacked."""
        if mode != "conservative":
            return self.mode_of(out) == "conservative"
        return _document_forms(out) == seen

    def _apply_once(self, text: str, mode: str, seen: frozenset[str]) -> str:
        parts: list[str] = []
        pos = 0
        prev: re.Match[str] | None = None
        for m in _PHRASE.finditer(text):
            start = m.start()
            if prev is not None and self._joins_cut(text, prev, m, mode, seen):
                parts.append(text[pos:start - 1])
                parts.append(ZWNJ)
            else:
                parts.append(text[pos:start])
            if mode != "conservative":
                parts.append(self._fast_phrase(m.group(), mode))
            else:
                edits = self._phrase_edits(m.group(), mode, seen)
                parts.append(apply_edits(m.group(), edits) if edits else m.group())
            pos = m.end()
            prev = m
        parts.append(text[pos:])
        return "".join(parts)

    def __call__(self, doc: Document) -> Document:
        """Restore ``doc.text`` through :meth:`edits`, so the offset map records every ZWNJ.

        >>> from khabar.document import Document
        >>> doc = ZwnjRestorer()(Document.from_raw("کتابها"))
        >>> doc.text, doc.warnings
        ('کتاب\u200cها', ['zwnj: 1 ZWNJs restored (1 inserted, 0 in place of a space)'])
        """
        inserted = joins = 0
        for _ in range(_PASSES):
            mode = self.mode_of(doc.text)
            seen = _document_forms(doc.text) if mode == "conservative" else frozenset()
            edits = self.edits(doc.text, mode, seen)
            if not edits:
                break
            doc.edit(edits)
            n_joins = sum(1 for s, e, _ in edits if e > s)
            joins += n_joins
            inserted += len(edits) - n_joins
            if self._fixed(mode, seen, doc.text):
                break
        if inserted + joins:
            doc.warnings.append(f"{self.name}: {inserted + joins} ZWNJs restored ({inserted} inserted, "
                                f"{joins} in place of a space)")
        return doc


def _insert(raw: str, cuts: tuple[int, ...]) -> str:
    """``raw`` with a ZWNJ at each of the positions ``cuts``."""
    parts: list[str] = []
    prev = 0
    for c in cuts:
        parts.append(raw[prev:c])
        prev = c
    parts.append(raw[prev:])
    return ZWNJ.join(parts)


def _key_positions(raw: str, cuts: tuple[int, ...]) -> tuple[int, ...]:
    """The inverse of :func:`_raw_positions`: positions in ``raw`` as letter positions (marks skipped)."""
    return tuple(c - len(_DIAC_RE.findall(raw, 0, c)) for c in cuts)


def _raw_positions(raw: str, cuts: tuple[int, ...]) -> tuple[int, ...]:
    """Map letter positions (vowel marks skipped) to positions in ``raw``, after any marks on the letter."""
    out: list[int] = []
    letters = 0
    want = iter(cuts)
    target = next(want, None)
    for i, ch in enumerate(raw):
        if _DIAC_RE.match(ch):
            continue
        if target is not None and letters == target:
            out.append(i)
            target = next(want, None)
        letters += 1
    return tuple(out)


_ZWNJ_WORD = re.compile(f"[{LETTERS}]+(?:{ZWNJ}[{LETTERS}]+)+")


def _document_forms(text: str) -> frozenset[str]:
    """The ZWNJ words the document itself writes, and the markers ``می‌``/``‌ها`` of its habits."""
    forms: set[str] = set()
    for w in _ZWNJ_WORD.findall(text):
        forms.add(w)
        parts = w.split(ZWNJ)
        if parts[0] in PREFIX:
            forms.add(_MI)
        if any(p.startswith("ها") for p in parts[1:]):
            forms.add(_HA)
        for k in range(1, len(parts)):
            forms.add(ZWNJ.join(parts[:k + 1]))
    return frozenset(forms)


def iter_phrases(text: str) -> Iterator[re.Match[str]]:
    """The runs of Persian words the restorer looks at (exposed for tests and benchmarks).

    >>> [m.group() for m in iter_phrases("گفت: «کتاب ها» را")]
    ['گفت', 'کتاب ها', 'را']
    """
    return _PHRASE.finditer(text)
