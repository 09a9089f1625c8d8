"""THE fold: one implementation of the spelling-insensitive keys khabar compares words by.

Scraped Persian writes one word many ways: Arabic ``ي ك`` for Persian ``ی ک``, hamza seats and alef
forms (``مسئول``/``مسيول``, ``آ``/``ا``), Persian, Arabic-Indic or ASCII digits, ZWNJ, a space or nothing
between a word's parts, vowel marks, tatweel. A :class:`Fold` maps such variants to one key. Its parts
are the classes of variation, and every caller says which it folds:

- ``letters``: ``"shapes"`` (one letter drawn by several code points: ``ي ى → ی``, ``ك ڪ → ک``,
  ``ہ ھ ە → ه``), ``"spelling"`` (shapes plus spelling variants: ``ئ → ی``, ``ة ۀ → ه``, ``أ إ ٱ آ → ا``,
  ``ؤ → و``) or ``"keep"``;
- ``digits``: Persian and Arabic-Indic digits to ASCII;
- ``zwnj``: ``"drop"``, ``"space"`` or ``"keep"``; ``invisible``: drop ZWJ, LRM/RLM, BOM, soft hyphen;
- ``marks``: drop vowel marks; ``tatweel``: drop tatweel;
- ``spaces``: ``"keep"``, ``"collapse"`` (runs of whitespace to one space, ends stripped) or ``"drop"``;
- ``lower``: lower-case Latin; ``compat``: NFKC first (presentation forms, ligatures, full-width).

:func:`fold` is the search key's fold, the same for the archive's index and for queries on every
backend: every part on. The restorer is not part of it (it lives in the pipeline): a ZWNJ written as
a space (``می کند``) is repaired by restoring first (:func:`khabar.archive.keys.search_key`).

>>> fold("مي‌كند ٤۵")
'میکند 45'
>>> fold("کِتابـــ  ها") == fold("كتاب ها")
True
>>> fold_word("خامنه‌اي") == fold_word("خامنهای")
True
"""

from __future__ import annotations

import re
import unicodedata
from typing import Literal

from khabar.text.chars import (
    ARABIC_DIGITS,
    ASCII_DIGITS,
    BOM,
    LRM,
    PERSIAN_DIGITS,
    RLM,
    SOFT_HYPHEN,
    TATWEEL,
    ZWJ,
    ZWNJ,
)

__all__ = ["SHAPES", "SPELLINGS", "Fold", "fold", "fold_word"]

# One letter drawn by several code points.
SHAPES = {"ي": "ی", "ى": "ی", "ك": "ک", "ڪ": "ک", "ہ": "ه", "ھ": "ه", "ە": "ه"}
# Spellings of one word that differ by a hamza seat, an alef form or ta marbuta.
SPELLINGS = {"ئ": "ی", "ة": "ه", "ۀ": "ه", "أ": "ا", "إ": "ا", "ٱ": "ا", "آ": "ا", "ؤ": "و"}
INVISIBLE = ZWJ + LRM + RLM + BOM + SOFT_HYPHEN
_MARK_CODES = (*range(0x064B, 0x0660), 0x0670)
_SPACE_RUNS = re.compile(r"\s+")
# Whitespace that collapsing changes: runs of two or more, or one that is not a plain space.
_ODD_SPACE = re.compile(r"\s{2,}|[^\S ]")


# Fold remembers its results for texts up to _SEEN_LEN characters (words, names), at most _SEEN_MAX.
_SEEN_LEN = 48
_SEEN_MAX = 50_000


class Fold:
    """A fold made of the parts its caller names (see the module docstring); call it on text.

    >>> Fold(letters="shapes", digits=True, zwnj="space")("يك‌شنبه ۲")
    'یک شنبه 2'
    """

    __slots__ = ("_compat", "_lower", "_runs", "_seen", "_spaces", "_table", "parts")

    def __init__(self, *, letters: Literal["keep", "shapes", "spelling"] = "spelling", digits: bool = True,
                 zwnj: Literal["drop", "space", "keep"] = "drop", invisible: bool = True, marks: bool = True,
                 tatweel: bool = True, spaces: Literal["keep", "collapse", "drop"] = "keep", lower: bool = False,
                 compat: bool = False) -> None:
        if letters not in ("keep", "shapes", "spelling"):
            raise ValueError(f"letters must be 'keep', 'shapes' or 'spelling', not {letters!r}")
        if zwnj not in ("drop", "space", "keep"):
            raise ValueError(f"zwnj must be 'drop', 'space' or 'keep', not {zwnj!r}")
        if spaces not in ("keep", "collapse", "drop"):
            raise ValueError(f"spaces must be 'keep', 'collapse' or 'drop', not {spaces!r}")
        self.parts = {"letters": letters, "digits": digits, "zwnj": zwnj, "invisible": invisible, "marks": marks,
                      "tatweel": tatweel, "spaces": spaces, "lower": lower, "compat": compat}
        table: dict[str, str | None] = {}
        if letters != "keep":
            table.update(SHAPES)
        if letters == "spelling":
            table.update(SPELLINGS)
        if digits:
            table.update(zip(PERSIAN_DIGITS + ARABIC_DIGITS, ASCII_DIGITS * 2, strict=True))
        if zwnj != "keep":
            table[ZWNJ] = " " if zwnj == "space" else None
        if invisible:
            table.update(dict.fromkeys(INVISIBLE))
        if tatweel:
            table[TATWEEL] = None
        if marks:
            table.update(dict.fromkeys(map(chr, _MARK_CODES)))
        self._table = str.maketrans(table)
        # Translating only the runs of characters the table changes is several times faster on
        # Persian text than translating all of it (most characters stay as they are).
        self._runs = re.compile("[" + "".join(re.escape(c) for c in table) + "]+") if table else None
        self._lower = lower
        self._spaces = spaces
        self._compat = compat
        # Words folded before (the NER, identity and event stages fold every token, and the same
        # few thousand words come back): a fold depends on the text alone.
        self._seen: dict[str, str] = {}

    def __call__(self, text: str) -> str:
        if len(text) > _SEEN_LEN:
            return self._fold(text)
        seen = self._seen
        out = seen.get(text)
        if out is None:
            if len(seen) >= _SEEN_MAX:
                seen.clear()
            out = seen[text] = self._fold(text)
        return out

    def _fold(self, text: str) -> str:
        if self._compat and not text.isascii():
            text = unicodedata.normalize("NFKC", text)
        if self._runs is not None:
            table = self._table
            text = self._runs.sub(lambda m: m.group().translate(table), text)
        if self._lower:
            text = text.lower()
        if self._spaces == "collapse":
            return _ODD_SPACE.sub(" ", text).strip()
        if self._spaces == "drop":
            return _SPACE_RUNS.sub("", text)
        return text

    def __repr__(self) -> str:
        return "Fold(" + ", ".join(f"{k}={v!r}" for k, v in self.parts.items()) + ")"


# The search key's fold: every part on (letters, digits, ZWNJ and invisible marks, vowel marks,
# tatweel, case, compatibility forms, whitespace).
fold = Fold(letters="spelling", digits=True, zwnj="drop", invisible=True, marks=True, tatweel=True,
            spaces="collapse", lower=True, compat=True)
# One word's key (NER features, gazetteers, name and title lists): the search fold without the
# whitespace and compatibility steps, which a single token of normalized text never needs.
fold_word = Fold(letters="spelling", digits=True, zwnj="drop", invisible=True, marks=True, tatweel=True,
                 lower=True)
