"""Characters khabar names, defined once.

>>> len(ZWNJ), ord(ZWNJ) == 0x200C
(1, True)
>>> PERSIAN_DIGITS.translate(TO_ASCII_DIGITS)
'0123456789'
"""

from __future__ import annotations

ZWNJ = "\u200c"      # zero-width non-joiner: the Persian half-space (می‌کند)
ZWJ = "\u200d"       # zero-width joiner
LRM = "\u200e"       # left-to-right mark
RLM = "\u200f"       # right-to-left mark
BOM = "\ufeff"       # byte-order mark / zero-width no-break space
SOFT_HYPHEN = "\u00ad"
NBSP = "\u00a0"
TATWEEL = "\u0640"   # kashida: a stretched joint (رئیـــس)

PERSIAN_DIGITS = "۰۱۲۳۴۵۶۷۸۹"
ARABIC_DIGITS = "٠١٢٣٤٥٦٧٨٩"
ASCII_DIGITS = "0123456789"
TO_ASCII_DIGITS = str.maketrans(PERSIAN_DIGITS + ARABIC_DIGITS, ASCII_DIGITS * 2)

# Vowel marks and other Arabic diacritics (fatha, kasra, damma, tanwin, shadda, sukun, hamza and
# madda above/below, superscript alef), as a regex character-class body.
VOWEL_MARKS = "\u064b-\u065f\u0670"
