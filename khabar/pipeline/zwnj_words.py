"""How the ZWNJ restorer reads one word, or two words with a space between: the evidence-based
decisions of :class:`khabar.pipeline.zwnj.ZwnjRestorer` (see that module for the order of evidence),
kept apart from the reading of whole documents.

>>> from khabar.pipeline.zwnj import ZwnjRestorer
>>> ZwnjRestorer().word_boundaries("صادقینژاد")  # a known name and a part the news writes after many
(5,)
"""

from __future__ import annotations

import re

from khabar.pipeline.zwnj_lexicon import NON_JOINING, ZWNJ, Lexicon
from khabar.pipeline.zwnj_model import BoundaryModel

# Kinds of a word pair: no join, a bound affix (`می کند`, `کتاب ها`), a compound of two words.
_NO, _AFFIX, _COMPOUND, _MAYBE = 0, 1, 2, 3
# Word caches are dropped past this many entries, so that huge inputs stay in bounded memory.
_CACHE_MAX = 200_000
# No Persian word is longer than this; the analysis recurses once per affix.
_LONGEST = 40

HA = ("هایشان", "هایمان", "هایتان", "هایش", "هایم", "هایت", "هایی", "های", "هاست", "ها")
# Pronoun and copula endings take a ZWNJ only after the silent ه (``خانه‌ای``, ``شده‌اند``).
# (`ایشان` is a word of its own, and `مان`/`تان` after ه are mostly the plural -ان: `متهمان`.)
# (Not `ایی`: no list writes it after ه with a ZWNJ, and reading it split `رخدادهایی` as رخداده + ایی.)
PRON = ("اشان", "ای", "ام", "ات", "اش", "ایم", "اید", "اند", "یی", "شان")
# The endings that join a spaced word after ه (`شده اند`); the others are words too often.
PRON_SPACED = frozenset(["اند", "ای", "ام", "ایم", "اید", "یی", "اش", "ات", "اشان"])
AFTER_I_SPACED = frozenset(["اند", "ایم", "اید", "ام", "اش", "ات"])
# After ی (an adjective or noun in -ی) only the indefinite and the copula take a ZWNJ: `فردی‌اند`.
AFTER_I = ("ای", "اند", "ایم", "اید", "ام", "اش", "ات")
# Preverbs written joined before می/نمی: `برمی‌آورم`, `فرومی‌افتند`.
PREVERBS = ("بر", "فرو", "در", "باز", "فرا", "وا")
_PREVERB_FIRST = frozenset(p[0] for p in PREVERBS)
_PREVERB_MI = frozenset(pv + p for pv in PREVERBS for p in ("می", "نمی"))
# The words that make an affix pair (`_join` gives _AFFIX only with one of them).
TAR = ("ترین", "تری", "تر")
PREFIX = ("نمی", "می")
SUFFIXES = tuple(sorted({*HA, *PRON, *TAR}, key=len, reverse=True))
# Suffixes by their last letter, longest first: a word is tried only against those it can end with.
_SUFFIXES_BY_LAST: dict[str, tuple[str, ...]] = {
    c: tuple(x for x in SUFFIXES if x[-1] == c) for c in {x[-1] for x in SUFFIXES}}
# Membership sets (the tuples above keep their order for readability and longest-first matching).
_HA_SET, _PRON_SET, _TAR_SET, _PREFIX_SET = frozenset(HA), frozenset(PRON), frozenset(TAR), frozenset(PREFIX)
_AFFIX_LEFT = _PREFIX_SET | _PREVERB_MI
_AFFIX_RIGHT = _HA_SET | _TAR_SET | _PRON_SET | {"ی"}
# First parts that never stand alone as words.
_BOUND_FIRST = frozenset(["بی", "نا", "غیر"])
# A word joined to its neighbour in at least this share of its UPDT occurrences (and this often)
# joins it where spaces may be lost ZWNJs.
_JOIN_SHARE = 0.8
_JOIN_MIN = 5
# A word UPDT writes alone this often is a free word, no bound second part.
_FREE_MIN = 3
_NOJ = (0, 0, 0, 0)
_NO3 = (0, 0, 0)
_UNSET = object()
# A word ending in تر that hazm lists at all is a word of its own, not a stem + ‌تر.
_TAR_WORD = 1
# A UPDT occurrence weighs as much as this many hazm counts when readings compete.
_U_WEIGHT = 10_000_000
# Endings that inflect a word without a ZWNJ: a known word + one of them is no compound.
_INFLECTIONS = ("ان", "ی", "ش", "م", "ت", "یم", "ید", "ند", "د", "ات", "ین", "گان", "یان", "ها", "های", "شان", "مان",
                "تان")
# Inflections a productive second part may carry (`‌نگاران`, `‌بارترین`).
_INFLECTIONS_BY_LAST: dict[str, tuple[str, ...]] = {
    c: tuple(e for e in _INFLECTIONS if e[-1] == c) for c in {e[-1] for e in _INFLECTIONS}}
_HEAD_INFLECTIONS = ("انی", "ان", "ی", "ترین", "تر", "گان")
# Person endings of a finite verb.
# A causative present stem in ان with a person ending: `رنجاند`, `رهانیم`.
_CAUSATIVE = re.compile("ان(?:م|د|یم|ید|ند)$")  # not ی: names end in انی (`میرعمرانی`)
_VERB_ENDINGS = ("م", "ی", "د", "یم", "ید", "ند", "ست")
# Personal pronouns take no plural suffix: `منهای` is a word (minus), not من + های.
_NO_PLURAL = frozenset(["من", "تو", "او", "ما", "شما", "ایشان"])
# Words too short or too common to be the first part of an unseen compound.
_FUNCTION = frozenset(
    ["به", "در", "از", "با", "که", "این", "آن", "هم", "بی", "نا", "را", "تا", "چه", "هر", "یک", "دو", "سه", "چند", "همه", "بر", "پس", "پیش", "چون", "اگر", "یا", "و", "نه", "ما", "شما", "او"])

# Numbers: as a first part they make names (`ده‌دشت`, `سه‌شاخه`) more often than compounds.
_NUMBERS = frozenset(["یک", "دو", "سه", "چهار", "پنج", "شش", "هفت", "هشت", "نه", "ده", "صد", "سی", "چهل", "شصت", "هزار"])
# Hundreds and thousands are written as one word, ordinals too (`نهصدمین`, `ششصد`); hazm lists a few
# of them split (`نه‌صدمین`), which would read `نه` as a negation.
_CARDINAL = re.compile("(?:یک|دو|سه|سی|چهار|پان|پنج|شش|هفت|هشت|نه)(?:صد|هزار)(?:م|مین|ها)?")
# First parts the boundary model may not propose.
_NOT_FIRST = _FUNCTION | _NUMBERS | _PREFIX_SET | frozenset(["ب", "بن", "ابن"])
# How much a hazm count must favour the ZWNJ spelling before it wins without UPDT evidence; hazm
# counts are smoothed so that a handful of occurrences decides nothing.
_RATIO = 1.0
_SMOOTH = 1000
# A joined spelling this many times more frequent on the web (shekar) than the ZWNJ spelling is
# the usual one (`هیچکس`, `خوشمزه`), not a lost ZWNJ.
_WEB = 3
# Endings that look like words but are suffixes: never the second part of an unseen compound.
_NOT_HEAD = frozenset(["ایی", "یی", "شان", "مان", "تان", "اند", "ان", "ات", "ها", "های", "هایی", "ای", "ام", "اش", "ایم", "اید", "ین", "ی"])
# Whether a compound in the curated list of standard spellings (shekar) takes its ZWNJ without UPDT
# evidence: off, because on held-out UPDT text it adds 25 wrong ZWNJs for 3 right ones (the
# treebank, like much news, joins `گرامیداشت`).
_CURATED = False
# A joined spelling this common on the web (shekar) is a word of its own, not a lost ZWNJ.
_PART_S = 2_000_000
# ... and, where no list writes the word with a ZWNJ at all, this common.
_WEB_WORD = 20_000
# A second part that builds this many ZWNJ compounds in the lexicon is productive (``‌کنندگان``).
_HEAD_MIN = 12
# A word pair that UPDT writes joined at least this many times as often as spaced is joined.
_PAIR_RATIO = 2
# First words whose joined pairs are a matter of style (`به خوبی`, `هیچ گاه`, `این که`).
_STYLE_FIRST = frozenset(["به", "در", "از", "با", "بر", "تا", "هیچ", "یک", "این", "آن", "چه", "هر"])
_STYLE_MIN = 20
# A compound hazm counts this often is joined when its parts arrive spaced (10k rather than 50k:
# on held-out UPDT 3 more ZWNJs restored and no more wrong ones).
_JOIN_H = 10_000
# Second words that make verb phrases, not compounds, after a noun or participle (`تأمین شده`).
_LIGHT = frozenset(["شده", "نشده", "شد", "شدن", "شود", "کرد", "کرده", "کردن", "کند", "گرفته", "گرفت", "دیده", "داده", "زده", "است", "بود"])
# Crawled news decides a word written in at least this many of its articles, one way in at least
# this share of them.
_NEWS_MIN = 2
_NEWS_SHARE = 2 / 3
# A word pair decides in at least this many articles (as a pair it is rarer than a word, and a pair
# in fewer decided both ways on the dev treebanks).
_NEWS_PAIR_MIN = 4
# How often the treebank may write a surname's second part alone (`فر`, `پور`, not `زاده`: `زاده شد`).
_SURNAME_ALONE_MAX = 1
# A second part the news writes with a ZWNJ after this many distinct first parts is a compound part.
_NEWS_HEAD_MIN = 4


class WordReader:
    """Decisions for single words and word pairs, from the lexicon and the boundary model. A mixin of
    :class:`khabar.pipeline.zwnj.ZwnjRestorer`, which sets the attributes below."""

    lex: Lexicon
    model: BoundaryModel
    _word_cache: dict[str, tuple[int, ...]]
    _pair_cache: dict[tuple[str, str], int]

    # -- single words --------------------------------------------------------------------------

    def word_boundaries(self, key: str) -> tuple[int, ...]:
        """Letter positions in ``key`` (a word without ZWNJ or vowel marks) after which a ZWNJ belongs.

        >>> from khabar.pipeline.zwnj import ZwnjRestorer
        >>> ZwnjRestorer().word_boundaries("میکنند")
        (2,)
        """
        hit = self._word_cache.get(key)
        if hit is not None:
            return hit
        if len(self._word_cache) > _CACHE_MAX:
            self._word_cache.clear()
        if len(key) < 3 or len(key) > _LONGEST:
            # Longer "words" are junk (or hostile input): taking them apart is slow and pointless.
            hit = ()
        else:
            hit = self._decide(key)
            if hit:
                # After a letter that does not join (ا د ر و …) a ZWNJ changes nothing on screen and
                # the treebanks rarely write one: never insert it there.
                hit = tuple(c for c in hit if key[c - 1] not in NON_JOINING)
        self._word_cache[key] = hit
        return hit

    def _decide(self, key: str) -> tuple[int, ...]:
        if _CARDINAL.fullmatch(key):
            return ()
        news = self._news_word(key)
        return news if news is not None else self._decide_lists(key)

    def _news_word(self, key: str) -> tuple[int, ...] | None:
        """How crawled news writes ``key``, where it writes it one way in most of the articles that
        use it (None where it has no such evidence). Written joined there, a word keeps only its affix
        boundaries (``آنها`` beside ``آن‌ها``: the scorer and readers take the older joined spelling
        of an affix as well as the modern one, but not a ZWNJ missed)."""
        forms = self.lex.news_forms.get(key)
        if not forms:
            return None
        total = sum(n for _, n in forms)
        joined = sum(n for f, n in forms if f == key)
        if total < _NEWS_MIN:
            return None
        if total - joined >= _NEWS_SHARE * total:
            return positions(next(f for f, _ in forms if f != key))
        if joined >= _NEWS_SHARE * total:
            return tuple(c for c in self._decide_lists(key) if _older_joined(key, c))
        return None

    def _decide_lists(self, key: str) -> tuple[int, ...]:
        lex = self.lex
        form = lex.by_key.get(key)
        pu, ph, ps = lex.plain.get(key, (0, 0, 0))
        if form is None and ph:
            # A joined word that hazm lists is a word of its own (`منهای`, `بیشتر`): the common case.
            return ()
        affix = self._affix(key)
        if form is not None:
            zu, zh, zs = lex.zwnj[form]
            cuts = positions(form)
            if affix and set(cuts) <= set(affix):
                # Affix boundaries: modern standard spelling unless hazm lists the joined word itself.
                return affix if not ph or zh >= ph else ()
            if (len(cuts) == 1 and not (pu or ph) and len(key) - cuts[0] >= 3
                    and lex.plain.get(key[cuts[0]:], _NO3)[0] == 0):
                # A compound the lists spell with ZWNJ and no list writes joined, whose second part
                # the treebank text never writes alone (`پول‌شویی`): the web counts of the joined
                # form, mostly of ZWNJ-less scraped text, do not outvote it.
                return cuts
            if zu + pu >= 2 or (zu and not (ph or ps)):
                # UPDT decides where it has seen the word (even against hazm: letting hazm overrule
                # a few UPDT occurrences, as for `موضعگیری`, costs more than it gains on held-out UPDT).
                return cuts if zu > pu else ()
            if _CURATED and form in lex.curated:
                return cuts
            if zh or ph:
                return cuts if (zh + _SMOOTH) >= _RATIO * (ph + _SMOOTH) and ps < _WEB * max(zh, zs, 1) else ()
            return cuts if zu or zs * _WEB >= ps else ()
        if pu and not self._modern(key, affix):
            # A joined word that UPDT writes joined is a word of its own, except for ها / تر / می and
            # pronoun endings after ه, which UPDT often joins in an older spelling.
            return ()
        if affix:
            return affix
        if pu or ps >= _WEB_WORD or key in lex.verbs:
            # A word no list writes with a ZWNJ but the web writes joined this often is a word of
            # its own (`کولبری`), not a compound to split at a look-alike part (`کول‌بری`).
            return ()
        if any(key.endswith(e) and self._strong(key[: -len(e)]) for e in _INFLECTIONS_BY_LAST.get(key[-1], ())):
            # An inflected known word (`بیکاران`, `همکارش`), not a compound.
            return ()
        # Last, the learned classifier: letters and what the lexicon knows of the parts; never after
        # a function word, a number or the verbal prefix (`ده‌دشت` is a name, `بیانجامد` a verb).
        return self._unknown(key) or tuple(
            c for c in self.model.cuts(key, lex)
            if key[:c] not in _NOT_FIRST and key[c:] not in _NOT_HEAD and not self._news_joins(key[c:]))

    def _unknown(self, key: str) -> tuple[int, ...]:
        """A word no list holds: a verb with می, a participle with its ending, a doubled word, or a
        compound of known parts."""
        for p in PREFIX:
            rest = key[len(p):]
            if key.startswith(p) and len(rest) >= 3 and rest.endswith((*_VERB_ENDINGS, "ه")) and (
                    rest[0] != "ر" or _CAUSATIVE.search(rest)):
                # `میخیساند`: a verb hazm's list lacks. After `میر` only a causative (`میرنجاند`):
                # `میر` opens names (`میرسلیم`, `میرکاظمی`), and the plain verbs in ر are listed.
                return (len(p),)
        for suf in ("اند", "ایم", "اید", "ای", "ام"):
            stem = key[: -len(suf)]
            if key.endswith(suf) and len(stem) >= 4 and stem.endswith(("ده", "ته")):
                # `بازتابیدهاند`: a past participle and the copula.
                return (len(stem),)
        n = len(key) // 2
        if len(key) % 2 == 0 and n >= 2 and key[:n] == key[n:] and key[n - 1] not in NON_JOINING:
            # `دانهدانه`: a doubled word.
            return (n,)
        return self._compound(key)

    def _affix(self, key: str) -> tuple[int, ...]:
        """ZWNJ positions of ``key`` read as prefix + verb form or known word + suffix, or ()."""
        lex = self.lex
        for p in PREFIX:
            if key.startswith(p) and key[len(p):] in lex.verbs:
                return (len(p),)
        for pv in PREVERBS if key[0] in _PREVERB_FIRST else ():
            if key.startswith(pv):
                for p in PREFIX:
                    n = len(pv) + len(p)
                    if key.startswith(p, len(pv)) and key[n:] in lex.verbs:
                        return (n,)
        if key in lex.verbs:
            # A verb form of its own (`گریاند`, `رساند`) is no stem + ending (`گری` + `اند`).
            return ()
        # Every reading stem + suffix competes; the most frequent stem wins (`آیهای` is آیه + ای, not
        # آی + های; `کارهایم` is کار + هایم, with no ZWNJ after the non-joining ر).
        best: tuple[int, int] | None = None  # (weight of the stem, length of the stem)
        for suf in _SUFFIXES_BY_LAST.get(key[-1], ()):
            if key.endswith(suf) and len(key) - len(suf) >= 2:
                stem = key[: -len(suf)]
                if suf in PRON and stem[-1] != "ه" and not (
                        stem[-1] == "ی" and suf in AFTER_I and len(stem) >= 3 and self._known(stem)):
                    # Pronoun endings follow the silent ه; after ی only the few in AFTER_I, on a
                    # known stem (`فردی‌اند`).
                    continue
                if not self._known(stem) and not (suf in HA and len(stem) >= 3):
                    continue
                if suf in _PRON_SET and (stem in _FUNCTION or not (self._strong(stem) or stem in lex.by_key)):
                    # A pronoun ending needs a stem that hazm or UPDT knows: web counts alone let
                    # colloquial forms through (`منهای` is not منه + ای).
                    continue
                if suf[0] == "ا" and not stem.endswith("ه") and self._strong(key[: len(stem) + 1]):
                    # `دنیای` is دنیا + ی and `رهایم` is رها + یم, not دنی + ای or ره + ایم.
                    continue
                if suf in HA and stem in _NO_PLURAL:
                    continue
                if suf[:2] == "تر" and self.lex.plain.get(stem + "تر", _NO3)[1] >= _TAR_WORD:
                    # `دفتری` is دفتر + ی and `بیشتری` بیشتر + ی: a word in تر that hazm lists (a
                    # noun, or a comparative written as one word) is not stem + ‌تر.
                    continue
                if (suf in ("هایم", "هاید") and stem in lex.verbs and len(stem) > 2
                        and self._known(stem + "ه")):
                    # `داشتهایم` is داشته + ایم, not داشت + هایم (but `بافتها` is بافت + ها).
                    continue
                w = self._weight(stem)
                if best is None or w > best[0]:
                    best = (w, len(stem))
        if best is None:
            if key.endswith("هی") and len(key) >= 4 and self._ezafe_h(key[:-1]):
                # `ارائهی`, `آینهی`: the ezafe written ‌ی after a silent ه.
                return (*self.word_boundaries(key[:-1]), len(key) - 1)
            return ()
        stem = key[: best[1]]
        if stem[-1] in NON_JOINING:
            # No ZWNJ before the suffix, but the stem keeps its own (`گفت‌وگوها`).
            return self.word_boundaries(stem)
        return (*self.word_boundaries(stem), len(stem))

    def _ezafe_h(self, stem: str) -> bool:
        """Whether ``stem`` (in ه) is a word whose ه is silent, so that its ezafe may be written ‌ی:
        the lists or the news write it with ‌ای, ‌اش, ‌ام or ‌ی after a ZWNJ (`نتیجه‌ای`), which a
        pronounced ه (`راه`, `توجه`) never takes (both take ‌ها)."""
        if not self._strong(stem):
            return False
        lex = self.lex
        return any(f"{stem}{ZWNJ}{x}" in lex.zwnj or f"{stem}{ZWNJ}{x}" in lex.news for x in ("ای", "اش", "ام", "ی"))

    def _modern(self, key: str, cuts: tuple[int, ...]) -> bool:
        """Whether every cut is before ها or تر, after the prefix می/نمی, or a pronoun/copula ending
        after a well-attested stem in ه or ی: boundaries that older text joins and the modern standard
        writes with ZWNJ."""
        return bool(cuts) and all(self._modern_cut(key, c) for c in cuts)

    def _modern_cut(self, key: str, c: int) -> bool:
        if key.startswith(("ها", "تر"), c) or key[:c] in PREFIX:
            return True
        if key[c - 1] in "هی" and key[c:] in PRON:
            u, h, _ = self.lex.plain.get(key[:c], (0, 0, 0))
            return bool(h or u >= 3)
        return False

    def _strong(self, word: str) -> bool:
        """A word hazm lists or UPDT uses, written without ZWNJ."""
        u, h, _ = self.lex.plain.get(word, (0, 0, 0))
        return bool(h or u)

    def _weight(self, word: str) -> int:
        form = self.lex.by_key.get(word)
        u, h, s = self.lex.zwnj[form] if form else self.lex.plain.get(word, (0, 0, 0))
        return u * _U_WEIGHT + h + s // 10

    def _compound(self, key: str) -> tuple[int, ...]:
        """An unseen compound: a known word + a productive second part (``‌کنندگان``, ``‌گذاری``), or a
        productive first part (``بی‌``, ``غیر‌``) + a known word. Productive parts are those that
        build many ZWNJ compounds in the lexicon."""
        firsts = self.lex.firsts
        best: tuple[int, int] | None = None
        for i in range(2, len(key) - 1):
            a, b = key[:i], key[i:]
            if a[-1] in NON_JOINING or len(b) < 2 or b in _NOT_HEAD:
                continue
            if a in PREFIX and not b.endswith(_VERB_ENDINGS):
                # می + a verb form that hazm's verb list lacks (`میگذرانیدند`), never می + noun.
                continue
            score = 0
            if self._news_joins(b):
                continue
            head = self._head(b) if len(b) >= 3 else 0
            news = self._news_head(b)
            if news and len(a) >= 3 and a not in _FUNCTION and (self._known(a) or a in self.lex.news):
                # `انصاریفرد`, `حسنیخو`: a known word (or a name the news writes) and a second part
                # the news writes after many first parts with a ZWNJ, and seldom joined.
                score = news
            elif head >= _HEAD_MIN and len(a) >= 3 and a not in _FUNCTION and self._known(a):
                # `مستعمرهنشینان`: a known word and a productive part, perhaps inflected (نشین + ان).
                score = head
            elif a in _BOUND_FIRST and len(b) >= 3 and (self._known(b) or (b.endswith("ی") and self._known(b[:-1]))):
                # Only a first part that never stands alone generalizes (`بی‌اطلاعی`); free words
                # and numbers make names too often (`ده‌دشت`, `نه‌صدمین`).
                score = firsts.get(a, 1)
            if score and (best is None or score > best[0]):
                best = (score, i)
        if best is not None:
            i = best[1]
            return (*self.word_boundaries(key[:i]), i, *(i + j for j in self.word_boundaries(key[i:])))
        return ()

    def _news_head(self, b: str) -> int:
        """After how many first parts crawled news writes ``b`` with a ZWNJ, where it does so after
        at least ``_NEWS_HEAD_MIN`` of them and writes it joined at most half as often; else 0.
        Affixes are left to the affix rules."""
        z, j = self.lex.news_heads.get(b, (0, 0))
        if z < _NEWS_HEAD_MIN or z < _NEWS_SHARE * (z + j) or b in _AFFIX_RIGHT or b.startswith("ها") \
                or b in _NOT_HEAD or b in _FUNCTION:
            return 0
        return z

    def _news_joins(self, b: str) -> bool:
        """Whether crawled news writes ``b`` joined to most first parts it follows (`شهر` in
        `قائمشهر`, `نیکشهر`): then no rule takes it for a second part that wants a ZWNJ."""
        z, j = self.lex.news_heads.get(b, (0, 0))
        return j > z

    def _head(self, b: str) -> int:
        """How many ZWNJ compounds ``b`` (perhaps inflected: نشین + ان) ends in the lexicon."""
        heads = self.lex.heads
        return max([heads.get(b, 0)] + [heads.get(b[: -len(e)], 0) for e in _HEAD_INFLECTIONS
                                        if b.endswith(e) and b[: -len(e)] not in _NOT_HEAD])

    def _known(self, word: str) -> bool:
        u, h, s = self.lex.plain.get(word, (0, 0, 0))
        return bool(u or h or s >= _PART_S) or word in self.lex.by_key

    # -- word pairs ----------------------------------------------------------------------------

    def join_pair(self, a: str, b: str) -> bool:
        """Whether ``a b`` (two words without vowel marks) should be ``a‌b`` where spaces may be lost ZWNJs.

        >>> from khabar.pipeline.zwnj import ZwnjRestorer
        >>> ZwnjRestorer().join_pair("می", "گویند"), ZwnjRestorer().join_pair("این", "که")
        (True, False)
        """
        return self._pair_kind(a, b) != _NO

    def _pair_kind(self, a: str, b: str, deleted: bool = False) -> int:
        """_NO, _AFFIX or _COMPOUND; where ZWNJs were deleted (``deleted``) compounds are not looked up
        and a possible compound reads _MAYBE."""
        k = (a, b)
        hit = self._pair_cache.get(k)
        if hit is None:
            if len(self._pair_cache) > _CACHE_MAX:
                self._pair_cache.clear()
            hit = self._pair_cache[k] = self._join(a, b)
        if hit == _MAYBE and not deleted:
            hit = self._pair_cache[k] = self._compound_pair(a, b)
        return hit

    def _join(self, a: str, b: str) -> int:
        """_NO, _AFFIX (a prefix or suffix that never stands alone) or _COMPOUND (two words)."""
        lex = self.lex
        if a in _PREFIX_SET or a in _PREVERB_MI:
            # `می گوید`, `فرومی خورد`: the prefix never stands alone before a verb.
            return _AFFIX if b in lex.verbs or b.endswith(_VERB_ENDINGS) or self.word_boundaries(a + b) else _NO
        if b in _HA_SET:
            return _AFFIX
        if a[-1] in NON_JOINING:
            return _NO
        if b in _TAR_SET:
            return _AFFIX
        if b == "ی":
            # `همه ی`: the ezafe after a silent ه, never a word of its own.
            return _AFFIX if a[-1] == "ه" and self._ezafe_h(a) else _NO
        if b in _PRON_SET:
            if a in _FUNCTION or len(a) < 2:
                return _NO
            if a[-1] == "ه":
                return _AFFIX if b in PRON_SPACED else _NO
            return _AFFIX if a[-1] == "ی" and b in AFTER_I_SPACED and self._strong(a) else _NO
        return _MAYBE

    def _compound_pair(self, a: str, b: str) -> int:
        """Whether two words that are no affix pair make a compound (_COMPOUND) or not (_NO)."""
        lex = self.lex
        news = lex.news_pairs.get((a, b))
        if news is not None and (a, b) not in lex.pairs and sum(news) >= _NEWS_PAIR_MIN:
            # How crawled news writes a pair the treebank has not seen, where most of the articles
            # that write it write it one way (`نیم فصل` spaced, `ثبت‌نام` joined).
            j, sp = news
            if j >= _NEWS_SHARE * (j + sp):
                return _COMPOUND
            if sp >= _NEWS_SHARE * (j + sp):
                return _NO
        if len(a) >= 3 and a not in _FUNCTION and a[-1] == "ی" and self._news_head(b) \
                and lex.plain.get(b, _NO3)[0] <= _SURNAME_ALONE_MAX:
            # `رضایی فر`, `ناظری پور`: a name in ی and a second part the news writes after many names with a ZWNJ and
            # correct text (nearly) never writes alone: a compound surname written apart.
            return _COMPOUND
        seen = lex.pairs.get((a, b))
        if seen is not None:
            if a in _STYLE_FIRST:
                # `به خوبی` / `به‌خوبی`: treebanks differ, so a matter of style; only a pair that is
                # always joined, and often, is joined.
                return _COMPOUND if seen[0] >= _STYLE_MIN and not seen[1] else _NO
            return _COMPOUND if seen[0] > _PAIR_RATIO * seen[1] else _NO
        if a in lex.lefts and a not in _FUNCTION and b not in _LIGHT:
            # A compound hazm counts often, perhaps with a plural or pronoun on it (`گفت وگوها`).
            for b_stem in (b, *(b[: -len(x)] for x in _SUFFIXES_BY_LAST.get(b[-1], ()) if b.endswith(x))):
                c = lex.zwnj.get(f"{a}{ZWNJ}{b_stem}")
                if c is not None and c[1] >= _JOIN_H:
                    return _COMPOUND
        if a in _BOUND_FIRST and len(b) >= 3 and (self._known(b) or (b.endswith("ی") and self._known(b[:-1]))):
            # (Not before two letters: `بی سی`, `سی بی اس` spell Latin letters.)
            return _COMPOUND
        # A word that UPDT nearly always joins to the word before it (`شده` after a noun: `تنظیم‌شده`)
        # or after it.
        rj, rs, _, _ = lex.joins.get(b, _NOJ)
        _, _, lj, ls = lex.joins.get(a, _NOJ)
        if a not in _FUNCTION and b not in _FUNCTION and (
                (rj >= _JOIN_MIN and rj >= _JOIN_SHARE * (rj + rs))
                # A first part UPDT joins to what follows (`حجت‌الاسلام`, `سرمایه‌گذاری`) takes only a
                # second part that does not stand alone there: not a verb (`حجت کردم`) or a free word.
                or (lj >= _JOIN_MIN and lj >= _JOIN_SHARE * (lj + ls) and b not in lex.verbs
                    and lex.plain.get(b, _NO3)[0] < _FREE_MIN)):
            return _COMPOUND
        if b in _LIGHT or b in _NOT_HEAD or len(b) < 3 or a in _FUNCTION:
            return _NO
        if lex.by_key.get(a + b) == f"{a}{ZWNJ}{b}" and lex.plain.get(b, _NO3)[0] == 0 \
                and lex.plain.get(a + b, _NO3)[0] == 0:
            # The lists spell the pair as one word with a ZWNJ, and the treebank text never writes
            # its second part alone nor the two joined without one: a bound part (`پول شویی`).
            return _COMPOUND
        # A productive second part that correct text never writes alone (`توزیع کنندگان`), or a
        # first part that never stands alone (`بی فایده`).
        if lex.plain.get(b, (0, 0, 0))[0] == 0 and self._head(b) >= _HEAD_MIN and self._known(a):
            return _COMPOUND
        return _NO


def _older_joined(key: str, c: int) -> bool:
    """Whether the boundary ``c`` is one whose joined spelling is an older form of the modern one
    (before ها or تر, after the verbal prefix), not a different word (`بهای` is no به + ای)."""
    return key.startswith(("ها", "تر"), c) or key[:c] in _PREFIX_SET


def positions(form: str) -> tuple[int, ...]:
    """Letter positions of the ZWNJs in ``form``, counted without the ZWNJs."""
    out: list[int] = []
    n = 0
    for ch in form:
        if ch == ZWNJ:
            out.append(n)
        else:
            n += 1
    return tuple(out)
