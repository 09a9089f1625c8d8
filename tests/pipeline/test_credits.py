"""The source-credit stage: the outlet an article credits, and where the credit stands."""

from __future__ import annotations

import pytest

import khabar
from khabar.document import Document
from khabar.pipeline.credits import CreditFinder


@pytest.mark.parametrize(("text", "name", "span"), [
    ("به گزارش ایلنا، وزیر گفت.", "ایلنا", "به گزارش ایلنا"),
    # an agency readers know, then a colon, opening the article
    ("رویترز: ترامپ با زلنسکی دیدار کرد.", "رویترز", "رویترز:"),
    ("همشهری آنلاین: جشنواره فیلم از فردا آغاز می‌شود.", "همشهری آنلاین", None),
    # the opening dateline is the outlet; `به گزارش رویترز` further down credits one fact
    ("دنیای اقتصاد - بانک مرکزی نرخ تورم را اعلام کرد.\nبه گزارش رویترز، نفت گران شد.", "دنیای اقتصاد", None),
    ("به گزارش خبرنگار مهر، وزیر گفت.", "مهر", "به گزارش خبرنگار مهر"),
    ("به گزارش خبرگزاری فارس، وزیر گفت.", "خبرگزاری فارس", "به گزارش خبرگزاری فارس"),
    ("به گزارش خبرنگار سیاسی خبرگزاری تسنیم، وزیر گفت.", "خبرگزاری تسنیم", None),
    ("به گزارش گروه بین‌الملل خبرگزاری صدا و سیما، وزیر گفت.", "خبرگزاری صدا و سیما", None),
    ("به گزارش ایسنا به نقل از رویترز، وزیر گفت.", "ایسنا", "به گزارش ایسنا"),
    ("تهران- ایرنا- وزیر گفت.", "ایرنا", "تهران- ایرنا-"),
    ("لندن - ایرنا: هفته‌نامه‌ای انگلیسی نوشت که قراردادها اعلام می‌شود.", "ایرنا", "لندن - ایرنا:"),
    ("باشگاه خبرنگاران جوان ـ وزیر گفت.", "باشگاه خبرنگاران جوان", "باشگاه خبرنگاران جوان ـ"),
    ("وزیر گفت.\n\nتوسط jahankhabari.ir", "jahankhabari.ir", "توسط jahankhabari.ir"),
    ("وزیر گفت.\nمنبع: خبرآنلاین", "خبرآنلاین", "منبع: خبرآنلاین"),
    ("به نقل از رویترز، وزیر گفت.", "رویترز", None),
])
def test_credits_found(text: str, name: str, span: str | None) -> None:
    doc = khabar.analyze(text)
    assert doc.source is not None
    assert doc.source.name == name
    if span is not None:
        assert doc.source.span.text == span
    assert doc.to_dict()["source"]["name"] == name


@pytest.mark.parametrize("text", [
    "وزیر گفت.",
    "گزارش - وزیر گفت.",  # a genre word before a dash, not an outlet
    "وزیر: تورم کاهش می‌یابد",  # a headline
    "وزیر به نقل از رویترز گفت.",
    "",
    "hello, world",
])
def test_credits_none(text: str) -> None:
    assert khabar.analyze(text).source is None


def test_credits_opening_credit_beats_footer() -> None:
    doc = khabar.analyze("به گزارش ایلنا، وزیر گفت.\nمنبع: خبرآنلاین")
    assert doc.source is not None and doc.source.name == "ایلنا"


def test_credits_late_credit_is_not_the_source() -> None:
    # A `به گزارش` far into the text credits a quoted outlet, not the article's own.
    text = "وزیر امور خارجه در نشستی خبری سخن گفت. " * 20 + "به گزارش رویترز، این نشست طولانی بود."
    assert khabar.analyze(text).source is None


def test_credits_mid_paragraph_report_is_no_credit() -> None:
    # `به گزارش X` inside a paragraph cites a source for one fact, not the article's outlet.
    assert khabar.analyze("پوتین و اردوغان دیروز رایزنی کردند. به گزارش کرملین، پوتین گفت که آماده است.").source is None


def test_credits_raw_offsets() -> None:
    raw = "به گزارش ايلنا، وزير گفت."
    doc = khabar.analyze(raw)
    assert doc.source is not None
    assert raw[doc.source.span.raw_start:doc.source.span.raw_end] == "به گزارش ايلنا"


@pytest.mark.parametrize("text", ["\x00" * 50, "ـ" * 100, "به گزارش " * 2000, "منبع:" * 500])
def test_credits_hostile_input(text: str) -> None:
    doc = CreditFinder()(Document.from_raw(text))
    assert doc.source is None or isinstance(doc.source.name, str)
