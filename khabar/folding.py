"""The search key: one folding for the index and the queries, so spelling variants meet.

Folding maps Arabic and Persian look-alike letters to one letter, every digit to ASCII, removes
vowel marks, tatweel and invisible marks, and deletes ZWNJs, so ``می‌کند``, ``ميكند`` and
``میکند`` fold alike. A ZWNJ written as a space (``می کند``) is repaired by restoring the text
first: :func:`search_key` is ``fold(restore(text))``.

>>> fold("مي‌كند ٤۵")
'میکند 45'
>>> search_key("می کند") == search_key("ميكند") == search_key("می‌کند")
True
"""

from __future__ import annotations

import re
import unicodedata

from khabar.pipeline import restore

_TABLE = {
    "ي": "ی", "ى": "ی", "ئ": "ی", "ك": "ک", "ڪ": "ک", "ة": "ه", "ۀ": "ه", "ہ": "ه", "ھ": "ه",
    "أ": "ا", "إ": "ا", "ٱ": "ا", "آ": "ا", "ؤ": "و",
    "\u200c": "", "\u200d": "", "\u200e": "", "\u200f": "", "\ufeff": "", "\u00ad": "", "\u0640": "",
    **{c: str(i) for i, c in enumerate("٠١٢٣٤٥٦٧٨٩")},
    **{c: str(i) for i, c in enumerate("۰۱۲۳۴۵۶۷۸۹")},
}
_FOLD = str.maketrans(_TABLE)
_MARKS = re.compile("[\u064b-\u065f\u0670\u0654\u0655]")
_SPACES = re.compile(r"\s+")


def fold(text: str) -> str:
    """The letters-digits-marks folding of ``text`` (no ZWNJ repair; see :func:`search_key`)."""
    text = unicodedata.normalize("NFKC", text) if not text.isascii() else text
    return _SPACES.sub(" ", _MARKS.sub("", text.translate(_FOLD).lower())).strip()


def search_key(text: str) -> str:
    """``fold(restore(text))``: the key both the archive index and queries are built from."""
    return fold(restore(text))
