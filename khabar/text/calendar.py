"""Calendars: Jalali (jdatetime) and lunar Hijri (hijridate, Umm al-Qura) beside Gregorian, their
month names, and the one parser of dates as sites, feeds and users write them.

- Month and weekday names: :data:`JALALI_MONTHS`, :data:`GREGORIAN_MONTHS` (as Persian writes
  them), :data:`HIJRI_MONTHS`, :data:`WEEKDAYS`.
- Conversions to ISO 8601: a day (:func:`jalali_day`), a month or year as an interval
  (:func:`jalali_month`, ``2025-07-23/2025-08-22``), and the same for Hijri and Gregorian.
- :func:`parse_published`: a publication date as Persian sites and feeds write it
  (``سه شنبه ۲۴ مهر ۱۴۰۳ - ۰۸:۱۵``, ``۱۴۰۳/۰۷/۲۲``, RFC 2822, ISO) to ISO 8601, or ``None``; a time
  without a zone is Tehran time (+03:30; Iran has kept no daylight saving time since 2022).
  :func:`published_day` is the day of an ISO value (what relative dates are resolved against).
- :func:`date_range`: a day, month or year that a user typed (``1404-05-18``, ``۱۸ مرداد ۱۴۰۴``,
  ``مرداد ۱۴۰۴``, ``2025-08``) as ``(first day, day after the last)``; years before 1700 are Jalali.

>>> parse_published("سه شنبه ۲۴ مهر ۱۴۰۳ - ۰۸:۱۵")
'2024-10-15T08:15:00+03:30'
>>> parse_published("۱۴۰۳/۰۷/۲۲")
'2024-10-13'
>>> parse_published("Tue, 15 Oct 2024 05:10:00 +0330")
'2024-10-15T05:10:00+03:30'
>>> parse_published("هفته گذشته") is None
True
>>> date_range("۱۸ مرداد ۱۴۰۴")
('2025-08-09', '2025-08-10')
>>> jalali_month(1404, 5)
'2025-07-23/2025-08-22'
"""

from __future__ import annotations

import datetime as dt
import email.utils
import re
import time

import jdatetime
from hijridate import Gregorian, Hijri

from khabar.text.fold import Fold, fold

__all__ = [
    "GREGORIAN_MONTHS",
    "HIJRI_MONTHS",
    "JALALI_MONTHS",
    "JALALI_MONTH_NAMES",
    "TEHRAN",
    "WEEKDAYS",
    "date_range",
    "find_dates",
    "from_struct_time",
    "gregorian_day",
    "hijri_day",
    "hijri_month",
    "hijri_year",
    "jalali_day",
    "jalali_month",
    "jalali_to_gregorian",
    "jalali_year",
    "parse_date",
    "parse_published",
    "published_day",
    "shift_jalali_month",
    "year_in",
]

TEHRAN = dt.timezone(dt.timedelta(hours=3, minutes=30))

JALALI_MONTH_NAMES = ("فروردین", "اردیبهشت", "خرداد", "تیر", "مرداد", "شهریور", "مهر", "آبان", "آذر", "دی",
                      "بهمن", "اسفند")
JALALI_MONTHS = {name: i for i, name in enumerate(JALALI_MONTH_NAMES, 1)} | {"امرداد": 5}
GREGORIAN_MONTHS = {
    "ژانویه": 1, "ژانویهٔ": 1, "فوریه": 2, "فوریهٔ": 2, "مارس": 3, "مارچ": 3, "آوریل": 4, "آپریل": 4,
    "مه": 5, "می": 5, "ژوئن": 6, "جون": 6, "ژوئیه": 7, "ژوئیهٔ": 7, "جولای": 7, "اوت": 8, "آگوست": 8,
    "اگوست": 8, "سپتامبر": 9, "اکتبر": 10, "نوامبر": 11, "دسامبر": 12,
}
HIJRI_MONTHS = {
    "محرم": 1, "صفر": 2, "ربیع‌الاول": 3, "ربیع‌الأول": 3, "ربیع‌الثانی": 4, "ربیع‌الآخر": 4,
    "جمادی‌الاول": 5, "جمادی‌الاولی": 5, "جمادی‌الثانی": 6, "جمادی‌الثانیه": 6, "جمادی‌الآخر": 6,
    "رجب": 7, "شعبان": 8, "رمضان": 9, "شوال": 10, "ذی‌القعده": 11, "ذیقعده": 11, "ذی‌الحجه": 12,
    "ذیحجه": 12,
}
WEEKDAYS = {  # Python's weekday(): Monday is 0
    "شنبه": 5, "یکشنبه": 6, "یک‌شنبه": 6, "دوشنبه": 0, "دو‌شنبه": 0, "سه‌شنبه": 1, "سه شنبه": 1, "چهارشنبه": 2,
    "چهار‌شنبه": 2, "پنجشنبه": 3, "پنج‌شنبه": 3, "جمعه": 4,
}


# -- conversions --------------------------------------------------------------------------------

def jalali_to_gregorian(year: int, month: int, day: int) -> dt.date:
    """The Gregorian date of a Jalali (Solar Hijri) date; ``ValueError`` when it does not exist.

    >>> jalali_to_gregorian(1403, 7, 22)
    datetime.date(2024, 10, 13)
    >>> jalali_to_gregorian(1402, 12, 30)
    Traceback (most recent call last):
    ...
    ValueError: 1402 is not a leap year: no 30 Esfand
    """
    if not (1 <= month <= 12 and 1 <= day <= (31 if month <= 6 else 30)):
        raise ValueError(f"no Jalali date {year}/{month}/{day}")
    if month == 12 and day == 30 and not jdatetime.date(year, 1, 1).isleap():
        raise ValueError(f"{year} is not a leap year: no 30 Esfand")
    try:
        return jdatetime.date(year, month, day).togregorian()
    except OverflowError as err:
        raise ValueError(f"no Jalali date {year}/{month}/{day} ({err})") from None


def jalali_day(y: int, m: int, d: int) -> str | None:
    """ISO of a Jalali day, or ``None`` when there is no such day."""
    try:
        return str(jdatetime.date(y, m, d).togregorian().isoformat())
    except (ValueError, OverflowError):
        return None


def jalali_month(y: int, m: int) -> str | None:
    """A Jalali month as the ISO interval of its first and last day."""
    try:
        first = jdatetime.date(y, m, 1)
        last = jdatetime.date(y, m, jdatetime.j_days_in_month[m - 1] if m < 12 else (30 if first.isleap() else 29))
    except (ValueError, OverflowError, IndexError):
        return None
    return f"{first.togregorian().isoformat()}/{last.togregorian().isoformat()}"


def jalali_year(y: int) -> str | None:
    """A Jalali year as the ISO interval of its first and last day.

    >>> jalali_year(1404)
    '2025-03-21/2026-03-20'
    """
    try:
        first = jdatetime.date(y, 1, 1).togregorian()
        last = jdatetime.date(y + 1, 1, 1).togregorian() - dt.timedelta(days=1)
    except (ValueError, OverflowError):
        return None
    return f"{first.isoformat()}/{last.isoformat()}"


def hijri_day(y: int, m: int, d: int) -> str | None:
    """ISO of a lunar Hijri (Umm al-Qura) day, or ``None``."""
    try:
        return str(Hijri(y, m, d).to_gregorian().isoformat())
    except (ValueError, OverflowError):
        return None


def hijri_month(y: int, m: int) -> str | None:
    try:
        h = Hijri(y, m, 1)
        first = h.to_gregorian()
        last = Hijri(y, m, h.month_length()).to_gregorian()
    except (ValueError, OverflowError):
        return None
    return f"{first.isoformat()}/{last.isoformat()}"


def hijri_year(y: int) -> str | None:
    try:
        first = Hijri(y, 1, 1).to_gregorian()
        last = Hijri(y, 12, Hijri(y, 12, 1).month_length()).to_gregorian()
    except (ValueError, OverflowError):
        return None
    return f"{first.isoformat()}/{last.isoformat()}"


def gregorian_day(y: int, m: int, d: int) -> str | None:
    try:
        return dt.date(y, m, d).isoformat()
    except ValueError:
        return None


def year_in(calendar: str, day: dt.date | None) -> int | None:
    """The year of ``day`` in ``calendar`` (``jalali``, ``hijri`` or ``gregorian``)."""
    if day is None:
        return None
    if calendar == "jalali":
        return int(jdatetime.date.fromgregorian(date=day).year)
    if calendar == "hijri":
        return int(Gregorian(day.year, day.month, day.day).to_hijri().year)
    return day.year


def shift_jalali_month(day: dt.date, months: int) -> tuple[int, int]:
    """``(year, month)`` of the Jalali month ``months`` after the one holding ``day``."""
    j = jdatetime.date.fromgregorian(date=day)
    idx = j.year * 12 + (j.month - 1) + months
    return idx // 12, idx % 12 + 1


# -- dates as sites and feeds write them ----------------------------------------------------------

_MONTH_ALT = "|".join(sorted(map(re.escape, {**JALALI_MONTHS, **GREGORIAN_MONTHS}), key=len, reverse=True))
_TIME = r"(?:\s*(?:[-–—,،|]|ساعت|ساعت:)?\s*(?P<H>[01]?\d|2[0-3]):(?P<M>[0-5]\d)(?::(?P<S>[0-5]\d))?)?"
_ISO = re.compile(
    r"(?<!\d)(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})"
    r"(?:[T ](?P<H>\d{2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:\.\d+)?)?\s*(?P<z>Z|[+-]\d{2}:?\d{2})?)?")
_SLASHED = re.compile(r"(?<!\d)(?P<y>\d{4})[/.](?P<m>\d{1,2})[/.](?P<d>\d{1,2})(?!\d)" + _TIME)
_NAMED = re.compile(rf"(?<!\d)(?P<d>\d{{1,2}})\s*(?P<mon>{_MONTH_ALT})(?:\s*ماه)?\s*(?:سال\s*)?(?P<y>\d{{4}})(?!\d)"
                    + _TIME)
# Letters and digits folded so ي/ی, ك/ک and ۱/١/1 match one pattern; a ZWNJ reads as a space.
DATE_FOLD = Fold(letters="shapes", digits=True, zwnj="space", invisible=False, marks=False, tatweel=True)


def find_dates(text: str) -> list[tuple[int, str, bool]]:
    """Every publication-style date written in ``text``: ``(position, ISO value, has_time)`` in order.

    >>> find_dates("منتشر شده: ۱۴۰۳/۰۷/۲۲ ساعت ۰۹:۱۰")
    [(11, '2024-10-13T09:10:00+03:30', True)]
    """
    text = DATE_FOLD(text)
    found: dict[int, tuple[int, str, bool]] = {}
    for pattern in (_ISO, _SLASHED, _NAMED):
        for m in pattern.finditer(text):
            value = _from_match(m)
            if value and m.start() not in found:
                found[m.start()] = (m.start(), value, "T" in value)
    return [found[k] for k in sorted(found)]


def parse_published(value: str | None) -> str | None:
    """The ISO 8601 form of a publication date as sites and feeds write it, or ``None``.

    >>> parse_published("2024-10-13T09:12:00+03:30")
    '2024-10-13T09:12:00+03:30'
    """
    if not value or not value.strip():
        return None
    text = DATE_FOLD(value.strip())
    for pattern in (_ISO, _SLASHED, _NAMED):
        m = pattern.search(text)
        if m:
            iso = _from_match(m)
            if iso:
                return iso
    try:
        parsed = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    return parsed.isoformat() if parsed else None


def published_day(value: object) -> dt.date | None:
    """The day of a publication date given as an ISO date/datetime string, ``date`` or ``datetime``.

    >>> published_day("2025-08-09T10:30:00+03:30")
    datetime.date(2025, 8, 9)
    >>> published_day("دیروز") is None
    True
    """
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None


def from_struct_time(value: object) -> str | None:
    """ISO of a UTC ``time.struct_time`` (feedparser's ``*_parsed``), or ``None``."""
    if not isinstance(value, (tuple, time.struct_time)):
        return None
    try:
        year, month, day, hour, minute, second = (int(v) for v in tuple(value)[:6])
        return dt.datetime(year, month, day, hour, minute, second, tzinfo=dt.UTC).isoformat()
    except (TypeError, ValueError, IndexError):
        return None


def _from_match(m: re.Match[str]) -> str | None:
    groups = m.groupdict()
    try:
        year, day = int(groups["y"]), int(groups["d"])
        mon = groups.get("mon")
        month = int(groups["m"]) if mon is None else JALALI_MONTHS.get(mon) or GREGORIAN_MONTHS[mon]
        # Numeric Jalali years are 13xx-14xx; 1440-1460 are lunar Hijri years (a byline gives both).
        jalali = (mon in JALALI_MONTHS) if mon else 1250 <= year <= 1435
        if mon in GREGORIAN_MONTHS and not 1800 <= year <= 2200:
            return None
        if not jalali and not 1800 <= year <= 2200:
            return None
        date = jalali_to_gregorian(year, month, day) if jalali else dt.date(year, month, day)
    except (KeyError, ValueError, OverflowError):
        return None
    if groups.get("H") is None:
        return date.isoformat()
    zone = groups.get("z")
    try:
        hour, minute, second = int(groups["H"]), int(groups["M"]), int(groups.get("S") or 0)
        if zone:
            tz: dt.tzinfo | None = dt.UTC if zone == "Z" else _zone(zone)
        else:
            # Persian-written dates are Tehran time; a zoneless ISO value is kept as written.
            tz = None if "z" in groups else TEHRAN
        return dt.datetime(date.year, date.month, date.day, hour, minute, second, tzinfo=tz).isoformat()
    except ValueError:
        return date.isoformat()


def _zone(text: str) -> dt.timezone:
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    return dt.timezone(sign * dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:4])))


# -- dates as users type them ---------------------------------------------------------------------

_FOLDED_JALALI = {**JALALI_MONTHS, **{fold(k): v for k, v in JALALI_MONTHS.items()}}
_NUMERIC_DATE = re.compile(r"^(\d{4})(?:[-/.](\d{1,2})(?:[-/.](\d{1,2}))?)?(?:[Tt ].*)?$")
_NAMED_DATE = re.compile(r"^(?:(\d{1,2})\s+)?(\S+)\s+(\d{4})$")


def date_range(value: str) -> tuple[str, str]:
    """``(first day, day after the last day)`` in ISO of a day, month or year, Jalali or Gregorian.

    Years before 1700 are Jalali. What is not a date raises ``ValueError`` with a message for the user.

    >>> date_range("1404-05-18")
    ('2025-08-09', '2025-08-10')
    >>> date_range("مرداد ۱۴۰۴")
    ('2025-07-23', '2025-08-23')
    >>> date_range("2025")
    ('2025-01-01', '2026-01-01')
    """
    raw = value
    value = fold(str(value)).replace("،", " ").strip()
    year = month = day = None
    m = _NUMERIC_DATE.match(value)
    if m:
        year, month, day = int(m.group(1)), m.group(2) and int(m.group(2)), m.group(3) and int(m.group(3))
    else:
        m = _NAMED_DATE.match(value)
        if m and m.group(2) in _FOLDED_JALALI:
            day = int(m.group(1)) if m.group(1) else None
            month, year = _FOLDED_JALALI[m.group(2)], int(m.group(3))
            if year >= 1700:
                raise ValueError(f"{raw!r}: {m.group(2)} is a Jalali month but {year} is not a Jalali year")
    if year is None:
        raise ValueError(f"{raw!r} is not a date: write 1404-05-18, ۱۸ مرداد ۱۴۰۴, 2025-08-09, 1404-05 or 1404")
    try:
        if year < 1700:
            first = jdatetime.date(year, month or 1, day or 1).togregorian()
            if day:
                last = first
            elif month:
                last = (jdatetime.date(year + (month == 12), month % 12 + 1, 1).togregorian() - dt.timedelta(days=1))
            else:
                last = jdatetime.date(year + 1, 1, 1).togregorian() - dt.timedelta(days=1)
        else:
            first = dt.date(year, month or 1, day or 1)
            if day:
                last = first
            elif month:
                last = dt.date(year + (month == 12), month % 12 + 1, 1) - dt.timedelta(days=1)
            else:
                last = dt.date(year, 12, 31)
    except (ValueError, OverflowError) as err:
        raise ValueError(f"{raw!r} is not a valid date ({err})") from None
    # The day after 9999-12-31 is past what dates can hold: that bound then stays the last day.
    return first.isoformat(), (last + dt.timedelta(days=1) if last < dt.date.max else last).isoformat()


def parse_date(value: str) -> str:
    """The first day of a date, month or year as ISO ``YYYY-MM-DD`` (Jalali or Gregorian input).

    >>> parse_date("1404/05/18")
    '2025-08-09'
    """
    return date_range(value)[0]
