"""The dates stage: Jalali, Gregorian, Hijri and relative dates as ISO 8601."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

import khabar
from khabar.document import Document
from khabar.pipeline.dates import DateFinder, find_dates

PUBLISHED = dt.date(2025, 8, 9)  # a Saturday, 18 Mordad 1404


@pytest.mark.parametrize(("text", "value", "calendar", "granularity"), [
    ("۱۸ مرداد ۱۴۰۴", "2025-08-09", "jalali", "day"),
    ("شنبه ۱۸ مرداد", "2025-08-09", "jalali", "day"),
    ("روز پنجشنبه ۱۶ مرداد ۱۴۰۴", "2025-08-07", "jalali", "day"),
    ("هجدهم مرداد ماه", "2025-08-09", "jalali", "day"),
    ("بیست و دوم بهمن ۱۳۵۷", "1979-02-11", "jalali", "day"),
    ("۱۴۰۴/۰۵/۱۸", "2025-08-09", "jalali", "day"),
    ("مهر ۱۴۰۳", "2024-09-22/2024-10-21", "jalali", "month"),
    ("دی‌ماه ۱۴۰۳", "2024-12-21/2025-01-19", "jalali", "month"),
    # a month alone, with `ماه`: the publication's year
    ("تا پایان آذرماه", "2025-11-22/2025-12-21", "jalali", "month"),
    ("در ماه آذر", "2025-11-22/2025-12-21", "jalali", "month"),
    ("سال ۱۴۰۳", "2024-03-20/2025-03-20", "jalali", "year"),
    ("۲۳ سپتامبر ۲۰۲۵", "2025-09-23", "gregorian", "day"),
    ("۵ می ۲۰۲۵", "2025-05-05", "gregorian", "day"),
    ("سال ۲۰۲۴", "2024", "gregorian", "year"),
    ("2025-09-23", "2025-09-23", "gregorian", "day"),
    ("۱۵ ربیع‌الاول ۱۴۴۷", "2025-09-07", "hijri", "day"),
    ("امروز صبح", "2025-08-09", "relative", "day"),
    ("صبح امروز", "2025-08-09", "relative", "day"),
    ("دیروز", "2025-08-08", "relative", "day"),
    ("روز گذشته", "2025-08-08", "relative", "day"),
    ("روز پنجشنبه", "2025-08-07", "relative", "day"),
    ("سه‌شنبه گذشته", "2025-08-05", "relative", "day"),
    ("تا سه‌شنبه", "2025-08-12", "relative", "day"),
    ("هفته گذشته", "2025-W31", "relative", "week"),
    ("ماه گذشته", "2025-06-22/2025-07-22", "relative", "month"),
    ("امسال", "2025-03-21/2026-03-20", "relative", "year"),
    ("سه روز پیش", "2025-08-06", "relative", "day"),
    ("سال جاری میلادی", "2025", "relative", "year"),
    ("اول ماه ژوئن ۲۰۱۰", "2010-06-01", "gregorian", "day"),
])
def test_dates_value(text: str, value: str, calendar: str, granularity: str) -> None:
    found = find_dates(text, PUBLISHED)
    assert [(f.value, f.calendar, f.granularity) for f in found] == [(value, calendar, granularity)]
    assert text[found[0].start:found[0].end].strip() in text


@pytest.mark.parametrize("text", [
    "خبرگزاری مهر گزارش داد",  # an outlet, not the month
    "آذر و بهمن به مدرسه رفتند",  # month names alone are names too: only `ماه` makes them a month
    "۵ می",  # `می` without a year is a verb prefix more often than May
    "کشور تا سه سال آینده",  # a span of time, not a date
    "تا چند ماه آینده",
    "امام جمعه تهران گفت",  # Friday prayers, not a Friday
    "سخنگوی جبهه دوم خرداد",  # a name
    "خیابان ۱۵ خرداد",
    "روزنامه صبح امروز نوشت",
    "برای دویست سال آینده",
    "قیمت ۱۲۳۴ تومان است",
    "",
])
def test_dates_none(text: str) -> None:
    assert find_dates(text, PUBLISHED) == []


def test_dates_relative_unresolved_without_published() -> None:
    doc = khabar.analyze("او دیروز و روز پنجشنبه آمد.")
    assert [(d.text, d.value) for d in doc.dates] == [("دیروز", None), ("روز پنجشنبه", None)]


def test_dates_resolved_against_published() -> None:
    doc = khabar.analyze("او دیروز آمد.", published=dt.date(2025, 8, 9))
    assert doc.dates[0].value == "2025-08-08"
    assert doc.to_dict()["dates"][0]["granularity"] == "day"


def test_dates_bad_published_is_noted() -> None:
    doc = DateFinder()(Document.from_raw("دیروز", published="yesterday"))
    assert doc.dates[0].value is None
    assert any("publication date" in w for w in doc.warnings)


def test_dates_spans_point_into_raw_text() -> None:
    raw = "رئيس جمهور ديروز ١٨ مرداد ١٤٠٤ آمد"  # Arabic letters and digits, changed by normalize
    doc = khabar.analyze(raw, published="2025-08-09")
    assert [d.value for d in doc.dates] == ["2025-08-08", "2025-08-09"]
    assert [raw[d.raw_start:d.raw_end] for d in doc.dates] == ["ديروز", "١٨ مرداد ١٤٠٤"]


def test_dates_invalid_calendar_day_has_no_value() -> None:
    assert [f.value for f in find_dates("۳۱ اسفند ۱۴۰۳", PUBLISHED)] == [None]


@pytest.mark.parametrize("text", ["\x00\x01\ufffd" * 100, "hello world 2025", "۱۸ " * 5000, "مرداد " * 3000])
def test_dates_hostile_input(text: str) -> None:
    doc = khabar.analyze(text, published="2025-08-09")
    assert isinstance(doc.dates, list)


@pytest.mark.parametrize(("text", "value"), [
    # Spelled-out ordinal days as real news writes them: the parts joined by a ZWNJ, spaced or run together.
    ("جلسه روز بیست‌ونهم اسفند ۱۴۰۳ برگزار شد", "2025-03-19"),
    ("مهلت ثبت‌نام تا سی‌ویکم شهریور است", "2025-09-22"),
    ("در بیست‌وسوم دی ماه", "2026-01-13"),
    ("بیست و نهم بهمن ۱۴۰۳", "2025-02-17"),
    ("بیستونهم اسفند ۱۴۰۳", "2025-03-19"),
    ("بیست‌ودو روز پیش", "2025-07-18"),
])
def test_dates_spelled_ordinal_with_zwnj(text: str, value: str) -> None:
    assert [f.value for f in find_dates(text, PUBLISHED)] == [value]


@given(st.lists(st.sampled_from(["بیست", "سی", "و", "نهم", "یکم", "سوم", "ام", "مین", "دو", "روز", "پیش",
                                 "اسفند", "دی", "ماه", "۱۴۰۳", "۲۹", "\u200c", " ", "،"]), max_size=12))
def test_dates_never_raise_on_number_words(parts: list[str]) -> None:
    # A number word the tables do not hold is no date, never an error (it once stopped an ingest).
    text = "".join(parts)
    for f in find_dates(text, PUBLISHED):
        assert 0 <= f.start < f.end <= len(text)


@pytest.mark.parametrize(("text", "published", "values"), [
    # two-digit Jalali years, as news writes them
    ("انقلاب در ۲۲ بهمن ۵۷ پیروز شد", dt.date(2020, 2, 1), ["1979-02-11"]),
    ("بیمه بیکاری ماه‌های اسفند ۹۸ پرداخت شد", dt.date(2020, 4, 14), ["2020-02-20/2020-03-19"]),
    ("آمار فروردین و اردیبهشت ۹۹ منتشر شد", dt.date(2020, 6, 1), ["2020-03-20/2020-04-19", "2020-04-20/2020-05-20"]),
    # a Gregorian year without `سال`, in an event's name or a list of years
    ("او تا پایان المپیک ۲۰۲۰ مربی تیم است", dt.date(2019, 11, 7), ["2020"]),
    ("در اسناد ۲۰۱۶، ۲۰۱۷ و ۲۰۱۸ اروپا آمده است", dt.date(2020, 2, 3), ["2016", "2017", "2018"]),
    # a month without its year, half a year ahead in a sentence about the past: last year's
    ("مذاکرات در ماه اکتبر آغاز شد", dt.date(2020, 2, 11), ["2019-10"]),
    ("تا ماه مه صد هزار بیمار خواهیم داشت", dt.date(2020, 3, 17), ["2020-05"]),
    ("ثبت‌نام تا پایان اردیبهشت ادامه دارد", dt.date(2020, 4, 14), ["2020-04-20/2020-05-20"]),
    ("قرارداد در سال‌جاری امضا می‌شود", dt.date(2020, 4, 14), ["2020-03-20/2021-03-20"]),
    ("او چهار‌شنبه شب گفت", dt.date(2009, 1, 22), ["2009-01-21"]),
    ("کاروان امروز (جمعه) به دوبی می‌رود", dt.date(2020, 1, 24), ["2020-01-24"]),
])
def test_dates_in_news_forms(text: str, published: dt.date, values: list[str]) -> None:
    assert [f.value for f in find_dates(text, published)] == values


@pytest.mark.parametrize("text", [
    "تیم در ۹ روز گذشته بازی نکرده است",  # a span of days
    "این شرایطی شایع در دنیای امروز است",  # today's world
    "حوزه از هزار و ۲۰۰ سال قبل پابرجاست",  # part of a larger number
    "۲۰۱۶ نفر در مسابقات شرکت کردند",  # a count
    "کد ۲۰۱۸ را وارد کنید",
])
def test_dates_not_in_news_forms(text: str) -> None:
    assert find_dates(text, dt.date(2020, 2, 3)) == []
