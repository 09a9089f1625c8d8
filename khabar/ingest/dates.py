"""Publication dates as Persian sites and feeds write them, to ISO 8601.

Iranian pages and feeds often give the date in the Jalali calendar, in Persian digits, with the
weekday and time glued on (``سه شنبه ۲۴ مهر ۱۴۰۳ - ۰۸:۱۵``, ``۱۴۰۳/۰۷/۲۴``); htmldate and feedparser
read only Gregorian dates, so these are converted here. A time without a zone is Tehran time
(+03:30; Iran has kept no daylight saving time since 2022).

>>> parse_published("سه شنبه ۲۴ مهر ۱۴۰۳ - ۰۸:۱۵")
'2024-10-15T08:15:00+03:30'
>>> parse_published("۱۴۰۳/۰۷/۲۲")
'2024-10-13'
>>> parse_published("Tue, 15 Oct 2024 05:10:00 +0330")
'2024-10-15T05:10:00+03:30'
>>> parse_published("2024-10-13T09:12:00+03:30")
'2024-10-13T09:12:00+03:30'
>>> parse_published("هفته گذشته") is None
True
"""

from __future__ import annotations

import datetime as dt
import email.utils
import re
import time

_TEHRAN = dt.timezone(dt.timedelta(hours=3, minutes=30))
_BREAKS = (-61, 9, 38, 199, 426, 686, 756, 818, 1111, 1181, 1210, 1635, 2060, 2097, 2192, 2262, 2324, 2394,
           2456, 3178)
JALALI_MONTHS = ("فروردین", "اردیبهشت", "خرداد", "تیر", "مرداد", "شهریور", "مهر", "آبان", "آذر", "دی", "بهمن",
                 "اسفند")
_JALALI_NAMES = {name: i for i, name in enumerate(JALALI_MONTHS, 1)} | {"امرداد": 5}
_GREGORIAN_NAMES = {
    "ژانویه": 1, "ژانویهٔ": 1, "فوریه": 2, "مارس": 3, "آوریل": 4, "مه": 5, "می": 5, "ژوئن": 6, "ژوئیه": 7,
    "جولای": 7, "اوت": 8, "آگوست": 8, "سپتامبر": 9, "اکتبر": 10, "نوامبر": 11, "دسامبر": 12,
}
_MONTH_ALT = "|".join(sorted(map(re.escape, {**_JALALI_NAMES, **_GREGORIAN_NAMES}), key=len, reverse=True))
_TIME = r"(?:\s*(?:[-–—,،|]|ساعت|ساعت:)?\s*(?P<H>[01]?\d|2[0-3]):(?P<M>[0-5]\d)(?::(?P<S>[0-5]\d))?)?"
_ISO = re.compile(
    r"(?<!\d)(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})"
    r"(?:[T ](?P<H>\d{2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:\.\d+)?)?\s*(?P<z>Z|[+-]\d{2}:?\d{2})?)?")
_SLASHED = re.compile(r"(?<!\d)(?P<y>\d{4})[/.](?P<m>\d{1,2})[/.](?P<d>\d{1,2})(?!\d)" + _TIME)
_NAMED = re.compile(rf"(?<!\d)(?P<d>\d{{1,2}})\s*(?P<mon>{_MONTH_ALT})(?:\s*ماه)?\s*(?:سال\s*)?(?P<y>\d{{4}})(?!\d)"
                    + _TIME)
# Persian/Arabic letters and digits folded so ي/ی, ك/ک and ۱/١/1 match one pattern.
_FOLD = str.maketrans({"ي": "ی", "ى": "ی", "ك": "ک", "\u200c": " ", "\u0640": "",
                       **{c: str(i) for i, c in enumerate("٠١٢٣٤٥٦٧٨٩")},
                       **{c: str(i) for i, c in enumerate("۰۱۲۳۴۵۶۷۸۹")}})


def jalali_to_gregorian(year: int, month: int, day: int) -> dt.date:
    """The Gregorian date of a Jalali (Solar Hijri) date; ``ValueError`` when it does not exist.

    >>> jalali_to_gregorian(1403, 7, 22)
    datetime.date(2024, 10, 13)
    >>> jalali_to_gregorian(1403, 1, 1)
    datetime.date(2024, 3, 20)
    """
    if not (1 <= month <= 12 and 1 <= day <= (31 if month <= 6 else 30)):
        raise ValueError(f"no Jalali date {year}/{month}/{day}")
    first = _farvardin_first(year)
    days = (month - 1) * 31 - (month // 7) * (month - 7) + day - 1
    result = first + dt.timedelta(days=days)
    if month == 12 and day == 30 and result >= _farvardin_first(year + 1):
        raise ValueError(f"{year} is not a leap year: no 30 Esfand")
    return result


def _farvardin_first(jy: int) -> dt.date:
    # The Borkowski/jalaali-js arithmetic: the March day of Nowruz for Jalali year jy.
    gy = jy + 621
    leap_j, jp, jump = -14, _BREAKS[0], 0
    for jm in _BREAKS[1:]:
        jump = jm - jp
        if jy < jm:
            break
        leap_j += jump // 33 * 8 + (jump % 33) // 4
        jp = jm
    n = jy - jp
    leap_j += n // 33 * 8 + (n % 33 + 3) // 4
    if jump % 33 == 4 and jump - n == 4:
        leap_j += 1
    leap_g = gy // 4 - (gy // 100 + 1) * 3 // 4 - 150
    return dt.date(gy, 3, 20 + leap_j - leap_g)


def fold_digits(text: str) -> str:
    """Persian/Arabic digits to ASCII and Arabic ي/ك to Persian, so one pattern reads every spelling."""
    return text.translate(_FOLD)


def find_dates(text: str) -> list[tuple[int, str, bool]]:
    """Every date written in ``text``: ``(position, ISO value, has_time)`` in order of position."""
    text = fold_digits(text)
    found: dict[int, tuple[int, str, bool]] = {}
    for pattern in (_ISO, _SLASHED, _NAMED):
        for m in pattern.finditer(text):
            value = _from_match(m)
            if value and m.start() not in found:
                found[m.start()] = (m.start(), value, "T" in value)
    return [found[k] for k in sorted(found)]


def parse_published(value: str | None) -> str | None:
    """The ISO 8601 form of a publication date as sites and feeds write it, or ``None``."""
    if not value or not value.strip():
        return None
    text = fold_digits(value.strip())
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
        month = int(groups["m"]) if mon is None else _JALALI_NAMES.get(mon) or _GREGORIAN_NAMES[mon]
        # Numeric Jalali years are 13xx-14xx; 1440-1460 are lunar Hijri years (a byline gives both).
        jalali = (mon in _JALALI_NAMES) if mon else 1250 <= year <= 1435
        if mon in _GREGORIAN_NAMES and not 1800 <= year <= 2200:
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
            tz = None if "z" in groups else _TEHRAN
        return dt.datetime(date.year, date.month, date.day, hour, minute, second, tzinfo=tz).isoformat()
    except ValueError:
        return date.isoformat()


def _zone(text: str) -> dt.timezone:
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    return dt.timezone(sign * dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:4])))
