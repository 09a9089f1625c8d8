"""The Document: keys, spans with raw offsets, and the one serialization."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import khabar
from khabar.document import KEYS, Document

_PUNCT = str.maketrans({",": "،", ";": "؛", "?": "؟", "\u200c": None, " ": None, "\u0640": None})


def _letters(s: str) -> str:
    return s.translate(_PUNCT)


ARTICLE = "به گزارش ايسنا،  وزير اقتصاد امروز گفت: «برنامه ها از هفته آينده اجرا مي شوند.»\n\nپايان ٤"


def test_document_has_every_key_even_when_empty() -> None:
    d = khabar.analyze("").to_dict()
    assert set(KEYS) <= set(d)
    assert d["text"] == "" and d["sentences"] == [] and d["tokens"] == [] and d["source"] is None


def test_document_whitespace_only_is_empty() -> None:
    doc = khabar.analyze(" \n\t ")
    assert doc.text == "" and doc.tokens == []


def test_document_round_trips_through_a_dict() -> None:
    doc = khabar.analyze(ARTICLE, published="2024-10-14", url="https://example.ir/1")
    again = Document.from_dict(doc.to_dict())
    assert again.to_dict() == doc.to_dict()
    assert again.alignment == doc.alignment


def test_document_spans_point_into_text_and_raw_text() -> None:
    doc = khabar.analyze(ARTICLE)
    for span in [*doc.sentences, *doc.tokens]:
        assert doc.text[span.start:span.end] == span.text
        raw = doc.raw_text[span.raw_start:span.raw_end]
        assert _letters(khabar.restore(raw)) == _letters(span.text)


def test_document_keeps_metadata() -> None:
    import datetime as dt

    d = khabar.analyze("سلام", published=dt.date(2025, 8, 9), source="ایسنا").to_dict()
    assert d["meta"] == {"published": "2025-08-09", "source": "ایسنا"}


@pytest.mark.parametrize("bad", [b"bytes", None, 42, ["list"]])
def test_document_analyze_rejects_non_str(bad: object) -> None:
    with pytest.raises(TypeError, match="must be str"):
        khabar.analyze(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [b"bytes", None, 3.5])
def test_document_restore_rejects_non_str(bad: object) -> None:
    with pytest.raises(TypeError, match="must be str"):
        khabar.restore(bad)  # type: ignore[arg-type]


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet="سلامكيىی ‌\u200fـ،,.«»١٢۳\nآبپ:؟", max_size=80))
def test_document_token_raw_offsets_come_from_the_same_characters(text: str) -> None:
    doc = khabar.analyze(text)
    assert doc.text == khabar.restore(text)
    for t in doc.tokens:
        raw = doc.raw_text[t.raw_start:t.raw_end]
        # The raw characters restore to the token, modulo the joins and punctuation context.
        assert _letters(khabar.restore(raw)) == _letters(t.text)


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=60))
def test_document_analyze_never_raises_on_any_str(text: str) -> None:
    d = khabar.analyze(text).to_dict()
    assert set(KEYS) <= set(d)


# Words of Persian news, for sentences that exercise every stage with real model output: names,
# roles, bodies, places, meeting and speech verbs, dates, credits, quotation marks.
_NEWS_WORDS = [
    "عباس", "عراقچی", "سرگئی", "لاوروف", "آیت‌الله", "خامنه‌ای", "حسن", "یزدانی", "و", "امیرحسین", "زارع",
    "،", "وزیر", "امور", "خارجه", "ایران", "رئیس", "جمهور", "سخنگوی", "دولت", "همتای", "روسی", "خود",
    "سازمان", "ملل", "خبرگزاری", "ایرنا", "ارتش", "اسرائیل", "مدارس", "نشست", "بروکسل", "تهران", "در", "با",
    "به", "از", "امروز", "روز", "دوشنبه", "۱۲", "آبان", "۱۴۰۳", "دیدار", "کرد", "کردند", "گفت", "افزود",
    ":", "«", "»", "که", "به گزارش", "جمهوری", "اسلامی", "او", "نیز", "را", ".", "(", ")", "برابر", "قرار", "است",
]


@settings(max_examples=120, deadline=None)
@given(st.lists(st.lists(st.sampled_from(_NEWS_WORDS), min_size=1, max_size=18), min_size=1, max_size=4),
       st.booleans())
def test_document_news_like_text_gives_a_consistent_document(sentences: list[list[str]], stop: bool) -> None:
    text = " . ".join(" ".join(s) for s in sentences) + (" ." if stop else "")
    doc = khabar.analyze(text, published="2024-11-02")
    d = doc.to_dict()
    assert Document.from_dict(d).to_dict() == d
    ids = {e.id for e in doc.entities}

    def check(span: dict[str, object]) -> None:
        a, b = span["start"], span["end"]
        assert isinstance(a, int) and isinstance(b, int) and doc.text[a:b] == span["text"]
        assert 0 <= span["raw_start"] <= span["raw_end"] <= len(doc.raw_text)  # type: ignore[operator]

    for m in d["mentions"]:
        check(m)
        assert m["entity"] in ids
    for q in d["quotes"]:
        for part in ("cue", "content", "speaker"):
            if q.get(part):
                check(q[part])
        if q.get("speaker") and q["speaker"].get("entity"):
            assert q["speaker"]["entity"] in ids
    for ev in d["events"]:
        check(ev["trigger"])
        assert all(p in ids for p in ev["participants"])
        assert ev["place"] is None or ev["place"] in ids
