"""Letters, digits, punctuation, spacing and stray marks: the first restoration stage.

It repairs what scraping does to Persian text without touching what is already correct:
Arabic ``ي ى ك`` become Persian ``ی ک``, presentation forms become letters, Arabic-Indic digits
become Persian (or ASCII, on request), tatweel and stray bidi/zero-width marks go, spaces are
tidied. ZWNJ restoration is the next stage (:mod:`khabar.pipeline.zwnj`).

>>> Normalizer().apply("كتاب‌هاي  من ٤ تا")
'کتاب\u200cهای من ۴ تا'
"""

from __future__ import annotations

import unicodedata
from typing import ClassVar, Literal

from khabar.pipeline.base import Rule, StripRule, TextStage, TranslateRule
from khabar.text.chars import ARABIC_DIGITS, ASCII_DIGITS, PERSIAN_DIGITS, ZWNJ
from khabar.text.chars import VOWEL_MARKS as DIACRITICS

# Arabic script letters, for deciding whether punctuation sits in Persian text.
LETTER = "\u0621-\u064a\u066e-\u06d3\u06d5\u06fa-\u06ff"

LETTERS = {"ي": "ی", "ى": "ی", "ئ\u0654": "ئ", "ك": "ک", "ڪ": "ک", "ہ": "ه", "ھ": "ه", "ۍ": "ی", "ې": "ی"}
# Bidi controls, zero-width space, BOM, soft hyphen: invisible residue of web pages.
# (Tatweel is handled apart: between spaces it is a dash, `باشگاه خبرنگاران جوان ـ`; the zero-width
# joiner too: inside an emoji sequence, 👨‍👩‍👧, it is part of the character the reader sees.)
INVISIBLE = "\u200b\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff\u00ad"
ZWJ = "\u200d"
# Emoji (Extended_Pictographic, roughly), their skin-tone modifiers and the emoji variation selector:
# what stands on either side of a ZWJ that joins an emoji sequence.
EMOJI = "\u00a9\u00ae\u203c\u2049\u2122\u2139\u2194-\u21aa\u231a-\u23ff\u24c2\u25aa-\u27bf\u2934\u2935" \
        "\u2b05-\u2b55\u3030\u303d\u3297\u3299\ufe0f\U0001f000-\U0001faff\U000e0020-\U000e007f"
SPACES = "\u00a0\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000\t"


def _presentation_forms() -> dict[str, str]:
    """Arabic presentation forms (U+FB50–FDFF, U+FE70–FEFF) mapped to the letters they draw."""
    table: dict[str, str] = {}
    for cp in (*range(0xFB50, 0xFE00), *range(0xFE70, 0xFEFF)):
        ch = chr(cp)
        if unicodedata.category(ch) == "Cn":
            continue
        base = unicodedata.normalize("NFKC", ch).strip()
        if base and base != ch:
            table[ch] = "".join(LETTERS.get(c, c) for c in base)
    return table


class Normalizer(TextStage):
    """Unify letters and digits, remove stray marks, tidy punctuation and spaces.

    ``digits``: ``"persian"`` turns Arabic-Indic digits into Persian ones (ASCII digits stay, as in
    URLs and codes); ``"ascii"`` turns all digits into ASCII; ``"keep"`` leaves them.
    ``diacritics``: remove vowel marks (fatha, kasra, …) when ``False``; they stay by default.
    """

    name: ClassVar[str] = "normalize"

    def __init__(self, *, digits: Literal["persian", "ascii", "keep"] = "persian", diacritics: bool = True) -> None:
        if digits not in ("persian", "ascii", "keep"):
            raise ValueError(f"digits must be 'persian', 'ascii' or 'keep', not {digits!r}")
        self.digits = digits
        self.diacritics = diacritics
        rules: list[Rule] = [
            TranslateRule(_presentation_forms(), "{n} presentation-form characters replaced by letters"),
            TranslateRule({k: v for k, v in LETTERS.items() if len(k) == 1}, "{n} Arabic letters unified to Persian"),
            TranslateRule({c: "" for c in INVISIBLE}, "{n} tatweel, bidi or zero-width marks removed"),
            Rule(f"{ZWJ}(?![{EMOJI}])|(?<![{EMOJI}]){ZWJ}", "", "{n} zero-width joiners removed", trigger=ZWJ),
            TranslateRule({c: " " for c in SPACES}),
            # A run of tatweels after a letter or before one; written tatweel-first, so the regex
            # engine skips ahead to tatweels instead of looking behind at every character.
            Rule(f"\u0640(?:(?<=[{LETTER}{DIACRITICS}]\u0640)\u0640*|\u0640*(?=[{LETTER}]))", "", "{n} tatweels removed",
                 trigger="\u0640"),
        ]
        if digits == "persian":
            rules.append(TranslateRule(dict(zip(ARABIC_DIGITS, PERSIAN_DIGITS, strict=False)), "{n} Arabic-Indic digits made Persian"))
        elif digits == "ascii":
            rules.append(TranslateRule(
                {**dict(zip(ARABIC_DIGITS, ASCII_DIGITS, strict=False)), **dict(zip(PERSIAN_DIGITS, ASCII_DIGITS, strict=False))},
                "{n} digits made ASCII"))
        if not diacritics:
            rules.append(Rule(f"[{DIACRITICS}]+", "", "{n} vowel marks removed"))
        rules += [
            # A ZWNJ only belongs between two letters: drop it next to spaces, punctuation or edges,
            # and collapse repeats.
            Rule(f"{ZWNJ}{{2,}}", ZWNJ, trigger=ZWNJ * 2),
            Rule(f"{ZWNJ}(?:(?![\\w{DIACRITICS}])|(?<![\\w{DIACRITICS}]{ZWNJ}))", "", "{n} stray ZWNJs removed",
                 trigger=ZWNJ),
            Rule(" {2,}", " ", trigger="  "),
            # Latin punctuation inside Persian text becomes Persian: `سلام, دنیا` → `سلام، دنیا`.
            Rule(f"([{LETTER}]) ?,(?= ?[{LETTER}])", "\\1،", "{n} Latin commas made Persian", trigger=","),
            Rule(f"([{LETTER}]) ?;(?= ?[{LETTER}])", "\\1؛", trigger=";"),
            Rule(f"([{LETTER}]) ?\\?(?=\\s|$)", "\\1؟", trigger="?"),
            # Spaces: none before closing punctuation or inside «», none at line ends.
            Rule(" +(?=[،؛؟!.:»)\\]])(?![.:]\\d)", ""),
            Rule("([«(\\[]) +", "\\1"),
            Rule(" +(?=\\n)", "", trigger=" \n"),
            Rule("(\\n) +", "\\1", trigger="\n "),
            StripRule(),
            # A space after Persian comma/semicolon when a letter follows directly.
            Rule(f"([،؛])(?=[{LETTER}])", "\\1 "),
        ]
        self.rules = rules
