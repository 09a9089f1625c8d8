"""The reporting-verb lexicon of the quotes stage, compiled once into one cue pattern.

A cue is a reporting verb phrase in any of the forms news uses: past (``گفت``/``گفتند``), present
perfect (``گفته است``/``گفته‌اند``), past perfect (``گفته بود``), present (``می‌گوید``), for simple
verbs (``گفت``, ``افزود``, ``نوشت``, ``فرمود``) and for a noun with a light verb (``تأکید کرد``,
``اظهار داشت``, ``یادآور شد``, ``هشدار داد``, ``معتقد است``). Each cue has a class:

- ``strong``: a statement whatever follows (``که``, a colon, a quote, or a bare clause);
- ``weak``: only with ``که``, a colon or a quotation (``اشاره کرد که``, not ``اشاره کرد``);
- ``evaluative``: ``X را Y دانست/خواند/توصیف کرد`` — the statement is the ``را`` clause before it.

>>> [m.group() for m in CUE.finditer("او تأکید کرد و افزود که ایشان را بزرگ دانستند")]
['تأکید کرد', 'افزود', 'دانستند']
"""

from __future__ import annotations

import re

from khabar.text.chars import ZWNJ


def _forms(stem_past: str, stem_present: str | None) -> list[str]:
    """Third-person forms of a verb: past, perfect, past perfect, present (singular and plural)."""
    out = [stem_past, stem_past + "ند", stem_past + "ه است", stem_past + "ه‌اند", stem_past + "ه بود",
           stem_past + "ه بودند", stem_past + "ه‌است"]
    if stem_present:
        out += ["می‌" + stem_present + "د", "می‌" + stem_present + "ند"]
    return out


# The bare participle, the copula left out as news writes the perfect (`اعلام کرده در صورت …`,
# `فاش کرده که …`): a cue only with something said after it (see :func:`is_participle`).
PARTICIPLES = frozenset(["کرده", "نموده", "داشته", "شده", "ساخته", "داده"])
LIGHT_VERBS = {
    "کرد": [*_forms("کرد", "کن"), *_forms("نمود", "نمای"), "کرده", "نموده"],
    "داشت": [*_forms("داشت", "دار"), "داشته"],
    "شد": [*_forms("شد", "شو"), "شده"],
    "ساخت": [*_forms("ساخت", "ساز"), "ساخته"],
    "داد": [*_forms("داد", "ده"), "داده"],
    "است": ["است", "هستند", "بود", "بودند", "می‌باشد", "می‌باشند"],
}
# (nouns, light verb, class). Both spellings of hamza words are listed (تأکید/تاکید).
NOMINAL_CUES: list[tuple[str, str, str]] = [
    ("تأکید تاکید تصریح خاطرنشان خاطر‌نشان عنوان بیان اعلام اظهار اضافه تشریح اذعان", "کرد", "strong"),
    ("ابراز_امیدواری اظهار_امیدواری ابراز_نگرانی اظهار_نگرانی ابراز_تأسف ابراز_تاسف ابراز_خرسندی "
     "ابراز_خوشحالی ابراز_امیدواری ابراز_تردید", "کرد", "strong"),
    ("اشاره یادآوری درخواست پیشنهاد توصیه ادعا اعتراف تأیید تایید تکذیب پیش‌بینی استدلال تهدید "
     "اعلام_آمادگی ابراز", "کرد", "weak"),
    ("توصیف ارزیابی قلمداد تلقی", "کرد", "evaluative"),
    ("اظهار ابراز بیان عنوان اعلام اذعان تأکید تاکید", "داشت", "strong"),
    ("یادآور خاطرنشان متذکر مدعی خواستار", "شد", "strong"),
    ("خاطرنشان خاطر‌نشان متذکر", "ساخت", "strong"),
    ("توییت اظهار_نظر", "کرد", "weak"),
    ("هشدار توضیح خبر", "داد", "strong"),
    ("ادامه پاسخ اطمینان وعده قول گزارش پیشنهاد اطلاع دستور", "داد", "weak"),
    ("فاش افشا", "کرد", "strong"),
    ("فاش", "ساخت", "strong"),
    ("معتقد بر_این_باور", "است", "strong"),
]
SIMPLE_CUES: list[tuple[str, str | None, str]] = [
    ("گفت", "گوی", "strong"), ("افزود", "افزای", "strong"), ("نوشت", "نویس", "strong"),
    # `فرمود` is also an honorific light verb (`واجب فرمود`): a statement only with که, a colon or a quote.
    ("فرمود", "فرمای", "weak"),
]
EVALUATIVE_VERBS: list[tuple[str, str | None]] = [("دانست", "دان"), ("خواند", "خوان")]
# Cues written as one word or set phrase: a joined copula (`معتقدند`), and what a document says
# (`در بیانیه آمده است:`, only with a colon, که or a quotation, and a document named before it).
JOINED_CUES: list[tuple[str, str]] = [("معتقدند", "strong"), ("معتقدیم", "strong"), ("آمده است", "weak"),
                                      ("آمده‌است", "weak"), ("آمده بود", "weak"),
                                      # `گفته که …` (the perfect without its copula), only with که or a colon
                                      ("گفته", "weak"),
                                      # `از X خواست (که) …`: asked of someone (see REQUEST_FROM)
                                      ("خواست", "weak"), ("خواستند", "weak"), ("خواسته است", "weak"),
                                      ("خواسته‌اند", "weak"), ("خواسته بود", "weak")]
_REQUEST_KEYS = frozenset(re.sub(rf"[\s{ZWNJ}]+", "", f) for f in ("خواست", "خواستند", "خواسته است", "خواسته‌اند",
                                                                  "خواسته بود"))
# Words before a bare `گفته` that make it a noun (`این گفته`, `به گفته`: the latter is ACCORDING_TO).
NOT_SAID = frozenset(["به", "طبق", "اساس", "بنابر", "این", "آن", "همین", "همان", "هر", "بنا"])

# Words before `گفت` that make it another verb: `وداع گفت` (bade farewell), `سخن گفت` (spoke).
NOT_SAY = frozenset(["وداع", "بدرود", "سخن", "دروغ", "تبریک", "تسلیت", "خوشامد", "خیرمقدم", "ترک", "ناسزا", "لبیک", "حرف"])


def _pattern(phrase: str) -> str:
    """A phrase as a regex: a ZWNJ or a space inside may be written as either, or as nothing."""
    words = phrase.replace("_", " ").split()
    parts = []
    for w in words:
        pieces = [re.escape(p) for p in w.split(ZWNJ)]
        parts.append(f"[{ZWNJ} ]?".join(pieces))
    return r"\s+".join(parts)


def _alt(phrases: list[str]) -> str:
    return "|".join(_pattern(p) for p in sorted(set(phrases), key=len, reverse=True))


def _build() -> tuple[re.Pattern[str], dict[str, str]]:
    classes: dict[str, str] = {}
    groups: list[str] = []
    # One group per light verb, `(?:nouns)\s+(?:forms)`: a few alternations instead of a thousand.
    by_light: dict[str, list[str]] = {}
    for noun_list, light, cls in NOMINAL_CUES:
        for noun in noun_list.split():
            by_light.setdefault(light, []).append(noun)
            for form in LIGHT_VERBS[light]:
                classes.setdefault(_key(f"{noun} {form}"), cls)
    for light, heads in by_light.items():
        groups.append(rf"(?:{_alt(heads)})\s+(?:{_alt(LIGHT_VERBS[light])})")
    simple: list[str] = []
    for past, present, cls in SIMPLE_CUES:
        for form in _forms(past, present):
            simple.append(form)
            classes.setdefault(_key(form), cls)
    for form, cls in JOINED_CUES:
        simple.append(form)
        classes.setdefault(_key(form), cls)
    for past, present in EVALUATIVE_VERBS:
        for form in _forms(past, present):
            simple.append(form)
            classes.setdefault(_key(form), "evaluative")
    groups.append(_alt(simple))
    return re.compile(rf"(?<![\w{ZWNJ}])(?:{'|'.join(groups)})(?![\w{ZWNJ}])"), classes


def _key(phrase: str) -> str:
    return re.sub(rf"[\s{ZWNJ}_]+", "", phrase)


CUE, _CLASSES = _build()
# `به گفته X، …`: according to X (also `به نوشته`, `بر اساس گفته`, `طبق اظهارات`, `طبق اعلام`).
ACCORDING_TO = re.compile(
    rf"(?<![\w{ZWNJ}])(?:به|بنا\s*به|بنابر|بنا\s+بر|بر\s*اساس|طبق)\s+"
    rf"(?:گفته|اعتقاد|عقیده|باور|نوشته|اظهارات|اعلام)(?:ٔ|{ZWNJ}?ی)?(?![\w{ZWNJ}])")


def cue_class(cue: str) -> str:
    """``strong``, ``weak`` or ``evaluative`` for a matched cue.

    >>> cue_class("تأکید کردند"), cue_class("اشاره کرد"), cue_class("دانست")
    ('strong', 'weak', 'evaluative')
    """
    return _CLASSES.get(_key(cue), "strong")


def is_participle(cue: str) -> bool:
    """Whether the cue ends in a bare participle (``اعلام کرده``, ``گفته``), the perfect without its copula.

    >>> is_participle("اعلام کرده"), is_participle("اعلام کرده است"), is_participle("گفته")
    (True, False, True)
    """
    last = re.split(rf"[\s{ZWNJ}]+", cue.strip())[-1]
    return last in PARTICIPLES or last in ("گفته", "خواسته")


def is_request(cue: str) -> bool:
    """Whether the cue is the simple verb of asking (``خواست``), a statement only when asked of someone.

    >>> is_request("خواستند"), is_request("درخواست کرد"), is_request("خواستار شد")
    (True, False, False)
    """
    return _key(cue) in _REQUEST_KEYS


def is_plural(cue: str) -> bool:
    """Whether the cue's verb is plural (``کردند``, ``گفته‌اند``, ``می‌گویند``): a group or an honorific.

    >>> is_plural("تأکید کردند"), is_plural("گفته است")
    (True, False)
    """
    last = re.split(rf"[\s{ZWNJ}]+", cue.strip())
    # `خواند` (past of خواندن) ends in -ند but is singular.
    return any((w.endswith("ند") and w != "خواند") or w == "اند" for w in last[-2:])

# What `آمده است` needs before it in its clause to be a statement: a document that speaks.
DOCUMENT_WORDS = re.compile(
    rf"(?<![\w{ZWNJ}])(?:بیانیه|اطلاعیه|نامه|پیام|متن|ابلاغیه|دستورالعمل|بخشنامه|قطعنامه|توییت|پست|"
    rf"گزارش|اعلامیه|نامه{ZWNJ}?ای)(?![\w{ZWNJ}])")
