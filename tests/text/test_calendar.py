"""Publication dates in the Jalali and Gregorian calendars, Persian and Arabic digits."""

from __future__ import annotations

import datetime as dt

import pytest

from khabar.text.calendar import find_dates, jalali_to_gregorian, parse_published, published_day


@pytest.mark.parametrize(
    ("jalali", "gregorian"),
    [((1403, 1, 1), (2024, 3, 20)), ((1403, 7, 22), (2024, 10, 13)), ((1403, 12, 30), (2025, 3, 20)),
     ((1402, 12, 29), (2024, 3, 19)), ((1399, 12, 30), (2021, 3, 20)), ((1357, 11, 22), (1979, 2, 11)),
     ((1404, 1, 1), (2025, 3, 21))],
)
def test_jalali_to_gregorian(jalali: tuple[int, int, int], gregorian: tuple[int, int, int]) -> None:
    assert jalali_to_gregorian(*jalali) == dt.date(*gregorian)


@pytest.mark.parametrize("jalali", [(1402, 12, 30), (1403, 7, 31), (1403, 13, 1), (1403, 0, 5)])
def test_impossible_jalali_dates(jalali: tuple[int, int, int]) -> None:
    with pytest.raises(ValueError):
        jalali_to_gregorian(*jalali)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("۲۴ مهر ۱۴۰۳", "2024-10-15"),
        ("24 مهر 1403", "2024-10-15"),
        ("٢٤ مهر ١٤٠٣", "2024-10-15"),
        ("۱ فروردین ماه ۱۴۰۳", "2024-03-20"),
        ("۵ امرداد ۱۴۰۲", "2023-07-27"),
        ("دوشنبه ۱۰ دي ۱۴۰۳ ساعت ۱۴:۳۰", "2024-12-30T14:30:00+03:30"),
        ("۱۴۰۳/۷/۲۴", "2024-10-15"),
        ("1403.07.24", "2024-10-15"),
        ("2024/10/15", "2024-10-15"),
        ("15 اکتبر 2024", "2024-10-15"),
        ("2024-10-15", "2024-10-15"),
        ("2024-10-15 08:00:00", "2024-10-15T08:00:00"),
        ("Tue, 15 Oct 2024 08:00:00 GMT", "2024-10-15T08:00:00+00:00"),
        ("", None),
        ("۴۵ مهر ۱۴۰۳", None),
        ("0000-00-00", None),
        ("کد خبر: ۱۴۰۳۰۷۲۴۱۲۳۴", None),
        ("۱۴۴۶/۰۴/۱۰", None),  # a lunar Hijri date, not Jalali 1446
        ("۱۰ ربیع الثانی ۱۴۴۶ - ۲۴ مهر ۱۴۰۳", "2024-10-15"),
    ],
)
def test_parse_published(text: str, expected: str | None) -> None:
    assert parse_published(text) == expected


def test_find_dates_in_order_with_time_flag() -> None:
    found = find_dates("امروز: ۲۹ مهر ۱۴۰۳ | منتشر شده: ۲۲ مهر ۱۴۰۳ - ۱۱:۰۰")
    assert [(value, has_time) for _, value, has_time in found] == [
        ("2024-10-20", False), ("2024-10-13T11:00:00+03:30", True)]


def test_published_day_accepts_datetime() -> None:
    assert published_day(dt.datetime(2025, 1, 2, 3, 4)) == dt.date(2025, 1, 2)
    assert published_day(None) is None
