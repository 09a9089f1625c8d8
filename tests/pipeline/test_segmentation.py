"""Sentences and tokens on the restored text."""

from __future__ import annotations

import pytest

from khabar.document import Document
from khabar.pipeline.sentences import SentenceSplitter
from khabar.pipeline.tokens import Tokenizer


@pytest.mark.parametrize(
    ("text", "sentences"),
    [
        ("او آمد. ما رفتیم.", ["او آمد.", "ما رفتیم."]),
        ("آیا می‌آیی؟ بله!", ["آیا می‌آیی؟", "بله!"]),
        ("او گفت: «می‌آیم.» سپس رفت.", ["او گفت: «می‌آیم.»", "سپس رفت."]),
        ("تورم ۳.۵ درصد شد.", ["تورم ۳.۵ درصد شد."]),
        ("بند اول\nبند دوم", ["بند اول", "بند دوم"]),
        ("سطر اول\n\n\nسطر دوم.", ["سطر اول", "سطر دوم."]),
        ("the U.S. said so. Then left.", ["the U.S. said so.", "Then left."]),
        ("بدون نقطه پایانی", ["بدون نقطه پایانی"]),
        ("", []),
        ("...", ["..."]),
    ],
)
def test_sentences_split(text: str, sentences: list[str]) -> None:
    doc = SentenceSplitter()(Document.from_raw(text))
    assert [s.text for s in doc.sentences] == sentences


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("گروه‌های کوچک", ["گروه‌های", "کوچک"]),
        ("سلام، دنیا!", ["سلام", "،", "دنیا", "!"]),
        ("«می‌آیم»", ["«", "می‌آیم", "»"]),
        ("۱۲٬۵۰۰ تومان و ۳.۵ درصد", ["۱۲٬۵۰۰", "تومان", "و", "۳.۵", "درصد"]),
        ("۱۴۰۳/۰۵/۱۸ ساعت ۱۲:۳۰", ["۱۴۰۳/۰۵/۱۸", "ساعت", "۱۲:۳۰"]),
        ("سایت https://example.ir/news/1. را", ["سایت", "https://example.ir/news/1", ".", "را"]),
        ("ایمیل info@example.ir است", ["ایمیل", "info@example.ir", "است"]),
        ("کِتابْ", ["کِتابْ"]),
        ("COVID-19 و covid", ["COVID-19", "و", "covid"]),
    ],
)
def test_tokens_split(text: str, tokens: list[str]) -> None:
    doc = Tokenizer()(Document.from_raw(text))
    assert [t.text for t in doc.tokens] == tokens


def test_tokens_handle_a_ten_thousand_character_token() -> None:
    doc = Tokenizer()(Document.from_raw("الف" * 3400))
    assert len(doc.tokens) == 1 and doc.tokens[0].end == 10200
