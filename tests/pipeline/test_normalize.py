"""The normalizer: letters, digits, marks, punctuation and spacing."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from khabar.document import Document
from khabar.pipeline.normalize import Normalizer

NORMALIZER = Normalizer()


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("علي", "علی"),  # Arabic yeh
        ("موسى", "موسی"),  # alef maksura
        ("كتاب", "کتاب"),  # Arabic kaf
        ("ﻛﺘﺎﺏ", "کتاب"),  # presentation forms
        ("ﻻ", "لا"),  # lam-alef ligature
        ("سـلـام", "سلام"),  # tatweel
        ("باشگاه خبرنگاران جوان ـ تهران", "باشگاه خبرنگاران جوان ـ تهران"),  # a lone tatweel is a dash
        ("\u200fسلام\u200e", "سلام"),  # bidi marks
        ("سال ١٤٠٣", "سال ۱۴۰۳"),  # Arabic-Indic digits
        ("سال 1403", "سال 1403"),  # ASCII digits stay by default
        ("سلام  دنیا", "سلام دنیا"),  # doubled space
        ("سلام\u00a0دنیا", "سلام دنیا"),  # no-break space
        ("سلام ، دنیا", "سلام، دنیا"),  # space before comma
        ("سلام, دنیا", "سلام، دنیا"),  # Latin comma in Persian text
        ("خوبی?", "خوبی؟"),  # Latin question mark
        ("« سلام »", "«سلام»"),  # spaces inside guillemets
        ("کتاب\u200c\u200cها", "کتاب\u200cها"),  # doubled ZWNJ
        ("\u200cکتاب \u200cها\u200c", "کتاب ها"),  # ZWNJ at word edges
        ("آیا،آری", "آیا، آری"),  # space after Persian comma
        ("۳.۵ درصد", "۳.۵ درصد"),  # decimal point untouched
        ("Hello, world?", "Hello, world?"),  # Latin text untouched
    ],
)
def test_normalize_repairs(raw: str, expected: str) -> None:
    assert NORMALIZER.apply(raw) == expected


@pytest.mark.parametrize(
    "correct",
    [
        "رئیس‌جمهور امروز به تهران رفت.",
        "او گفت: «می‌آییم.»",
        "قیمت ۱۲٬۵۰۰ تومان است؛ یعنی ۳.۵ درصد بیشتر.",
        "https://example.com/a,b?c=1",
        "مسئولیت و مسؤولیت و تأکید",
    ],
)
def test_normalize_leaves_correct_text_alone(correct: str) -> None:
    assert NORMALIZER.apply(correct) == correct


def test_normalize_ascii_digits_option() -> None:
    assert Normalizer(digits="ascii").apply("۱۴۰۳ و ١٤٠٣") == "1403 و 1403"


def test_normalize_removes_vowel_marks_on_request() -> None:
    assert Normalizer(diacritics=False).apply("کِتابْ") == "کتاب"
    assert Normalizer().apply("کِتابْ") == "کِتابْ"


def test_normalize_rejects_unknown_digit_option() -> None:
    with pytest.raises(ValueError, match="digits"):
        Normalizer(digits="roman")  # type: ignore[arg-type]


def test_normalize_records_changes_in_warnings() -> None:
    doc = NORMALIZER(Document.from_raw("علي و كتابي"))
    assert any("Arabic letters" in w and "3" in w for w in doc.warnings)


persian_like = st.text(alphabet="سلامكيىيی ‌\u200f\u0640،,?؟.«»١٢۳4ﻛ\n\u00a0آبپ", max_size=60)


@settings(max_examples=300, deadline=None)
@given(persian_like)
def test_normalize_edits_agree_with_the_fast_path(text: str) -> None:
    doc = NORMALIZER(Document.from_raw(text))
    assert doc.text == NORMALIZER.apply(text)


@settings(max_examples=300, deadline=None)
@given(persian_like)
def test_normalize_is_idempotent(text: str) -> None:
    once = NORMALIZER.apply(text)
    assert NORMALIZER.apply(once) == once


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80))
def test_normalize_never_raises_on_any_text(text: str) -> None:
    doc = NORMALIZER(Document.from_raw(text))
    assert doc.alignment.length == len(doc.text)


# Issue 16, degraded: the ZWJ inside emoji sequences was removed (👨‍👩‍👧 became three faces).
@pytest.mark.parametrize("emoji", ["👨\u200d👩\u200d👧", "🏳\ufe0f\u200d🌈", "👩\u200d💻"])
def test_restore_and_analyze_keep_the_zwj_of_emoji_sequences(emoji: str) -> None:
    import khabar

    text = f"خانواده {emoji} امروز به سفر می رود."
    assert emoji in khabar.restore(text)
    doc = khabar.analyze(text)
    assert emoji in doc.text
    start = doc.text.index(emoji)
    raw_start, raw_end = doc.alignment.to_raw(start, start + len(emoji))
    assert text[raw_start:raw_end] == emoji


# Issue 16, item 7: a lone surrogate reached the CRF and came out as SystemError.
@pytest.mark.parametrize("text", ["خبر \ud800 امروز", "\udfff", "وزیر امور خارجه گفت\udc80."])
def test_a_lone_surrogate_is_invalid_input_everywhere(text: str) -> None:
    import khabar
    from khabar.errors import InvalidInput

    for call in (khabar.restore, khabar.analyze):
        with pytest.raises(InvalidInput, match="lone surrogate"):
            call(text)
