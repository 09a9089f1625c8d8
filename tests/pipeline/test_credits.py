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
    # as crawled news writes credits: the outlet quoted, a colon, a long office, a reporter's post
    ('به گزارش "ورزش سه"، تیم ملی امروز تمرین کرد.', "ورزش سه", None),
    ('به گزارش "ورزش سه" از زمانی که سرمربی آمد، تیم بهتر شده است.', "ورزش سه", None),
    ("به گزارش «تابناک» به نقل از ایسنا، وزیر گفت.", "تابناک", None),
    ("به گزارش مهر: وزیر امروز به تهران رفت.", "مهر", None),
    ("به گزارش روابط عمومی اداره کل ورزش و جوانان استان گیلان، مسابقات آغاز شد.",
     "اداره کل ورزش و جوانان استان گیلان", None),
    ("به گزارش معاونت مطبوعاتی و اطلاع‌رسانی وزارت فرهنگ و ارشاد اسلامی، نمایشگاه برپا شد.",
     "معاونت مطبوعاتی و اطلاع‌رسانی وزارت فرهنگ و ارشاد اسلامی", None),
    ("به گزارش خبرنگار سیاسی خبرگزاری فارس مستقر در ستاد انتخابات، نامزدها ثبت‌نام کردند.", "خبرگزاری فارس", None),
    # an outlet's own name cut off by the crawler: the outlet it quotes is the credit
    ("خبر اول.\nبه گزارش به نقل از فارس، وزیر گفت.", "فارس", "به نقل از فارس"),
    # the credit after a lead, at the start of one of the first lines
    ("وزیر نیرو از کاهش بارش‌ها خبر داد.\nبه گزارش ایسنا، سدهای تهران نیمه پر است.", "ایسنا", None),
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
    # a desk whose site the crawler cut off is no outlet
    'به گزارش گروه سلامت به نقل از ""، خوردن میوه مفید است.',
    # words told to an outlet credit it for the statement, not the article
    "حسن رضایی در گفت‌وگو با ایسنا، افزود: تیم آماده است.",
    'مربی تیم در مورد این دیدار به "ورزش سه" گفت: بازی سختی بود.',
    # `به گزارش` inside a late paragraph cites a source for one fact
    "خط اول.\nخط دوم.\nخط سوم.\nبه گزارش رویترز، نفت گران شد.",
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


def test_credits_inside_a_clause_keeps_its_subject() -> None:
    # A credit that does not open its line is no dateline: the subject before it still speaks.
    doc = khabar.analyze("حسن رضایی به نقل از ایسنا، افزود: تیم آماده است.")
    assert doc.source is not None and doc.source.name == "ایسنا"
    assert [q.speaker.text for q in doc.quotes if q.speaker] == ["حسن رضایی"]
