"""Dates: Jalali, Gregorian and lunar Hijri dates, and relative expressions, as ISO 8601.

A date mention is a span with ``value`` (ISO 8601: ``2025-08-09`` for a day, ``2025-W32`` for a
week, ``2025`` for a Gregorian year; a Jalali or Hijri month or year, which straddles Gregorian
months, is the interval ``2025-07-23/2025-08-22``), ``calendar`` (``jalali``, ``gregorian``,
``hijri`` or ``relative``) and ``granularity`` (``day``, ``week``, ``month``, ``year``).
Relative expressions (``امروز صبح``, ``دیروز``, ``روز پنجشنبه``, ``هفته گذشته``, ``سه روز پیش``)
and dates without a year are resolved against ``doc.meta["published"]``; without it their
``value`` is null.

Conversions use jdatetime (Jalali) and hijridate (Umm al-Qura; Iran's official lunar calendar can
differ from it by a day). parstdex was tried and left out: it finds spans but no values, and takes
~120 ms on a 500-word article, more than the whole pipeline's budget.

>>> from khabar.document import Document
>>> doc = Document.from_raw("روز پنجشنبه ۱۸ مرداد ۱۴۰۴ و دیروز", published="2025-08-09")
>>> [(d.text, d.value, d.calendar) for d in DateFinder()(doc).dates]
[('روز پنجشنبه ۱۸ مرداد ۱۴۰۴', '2025-08-09', 'jalali'), ('دیروز', '2025-08-08', 'relative')]
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import ClassVar

from khabar.document import DateMention, Document
from khabar.text.calendar import GREGORIAN_MONTHS, HIJRI_MONTHS, JALALI_MONTHS, WEEKDAYS, published_day, year_in
from khabar.text.calendar import gregorian_day as _gregorian_day
from khabar.text.calendar import hijri_day as _hijri_day
from khabar.text.calendar import hijri_month as _hijri_month
from khabar.text.calendar import hijri_year as _hijri_year
from khabar.text.calendar import jalali_day as _jalali_day
from khabar.text.calendar import jalali_month as _jalali_month
from khabar.text.calendar import jalali_year as _jalali_year
from khabar.text.calendar import shift_jalali_month as _shift_month
from khabar.text.chars import ZWNJ
from khabar.text.fold import Fold

# Month names that are also common words: only taken with a year beside them.
AMBIGUOUS = {"مه", "می", "جون"}
_ONES = ["", "یک", "دو", "سه", "چهار", "پنج", "شش", "هفت", "هشت", "نه"]
_TEENS = {10: "ده", 11: "یازده", 12: "دوازده", 13: "سیزده", 14: "چهارده", 15: "پانزده", 16: "شانزده",
          17: "هفده", 18: "هجده", 19: "نوزده", 20: "بیست", 30: "سی"}
NUMBER_WORDS: dict[str, int] = {}
for _n in range(1, 32):
    if _n in _TEENS:
        _w = _TEENS[_n]
    elif _n < 10:
        _w = _ONES[_n]
    else:
        _w = f"{_TEENS[_n // 10 * 10]} و {_ONES[_n % 10]}"
    NUMBER_WORDS[_w] = _n
NUMBER_WORDS.update({"هیجده": 18, "یه": 1, "چند": 0})


def _ordinal(word: str) -> list[str]:
    """Ordinal spellings of a cardinal: ``سه`` → ``سوم``, ``سی`` → ``سی‌ام``/``سی ام``."""
    if word.endswith("سه"):
        return [word[:-2] + "سوم"]
    if word.endswith("سی"):
        return [word + ZWNJ + "ام", word + " ام", word + "ام"]
    return [word + "م"]


ORDINALS: dict[str, int] = {"اول": 1}
for _w, _n in NUMBER_WORDS.items():
    if _n:
        for _o in _ordinal(_w):
            ORDINALS[_o] = _n


def _alt(words: object) -> str:
    """A regex alternation of words, longest first; a ZWNJ or space inside a word matches either or none."""
    out = []
    for w in sorted(words, key=len, reverse=True):  # type: ignore[call-overload]
        parts = re.split(f"[ {ZWNJ}]", w)
        out.append(f"[ {ZWNJ}]?".join(re.escape(p) for p in parts))
    return "|".join(out)


_B = rf"(?<![\w{ZWNJ}])"  # start of a word
_E = rf"(?![\w{ZWNJ}])"  # end of a word
_DAY = rf"(?P<day>\d{{1,2}}|{_alt(ORDINALS)})"
_WEEKDAY = rf"(?:روز\s+)?(?P<weekday>{_alt(WEEKDAYS)})(?:\s*،)?\s+"
_MAH = rf"(?:[ {ZWNJ}]?ماه)?"
_CAL_SUFFIX = r"(?:\s*(?P<suffix>ه\.?\s?ش\.?|هجری\s+شمسی|شمسی|خورشیدی|میلادی|ه\.?\s?ق\.?|هجری\s+قمری|قمری))?"
# Units after a number that make it a count, not a two-digit year (`۱۵ آذر ۹۸ نفر` is no date).
_UNIT_AFTER = (r"(?!\s*(?:نفر|درصد|سال|روز|ماه|ساعت|دقیقه|ثانیه|هزار|میلیون|میلیارد|تومان|ریال|دلار|یورو|"
               r"کیلو|متر|واحد|تن|مورد|عدد|بار|گل|امتیاز|دستگاه|قطعه))")
# A year: four digits, or two as news writes Jalali years (`۲۲ بهمن ۵۷`, `اسفند ۹۸`).
_YEAR = rf"(?P<year>\d{{4}}|\d{{2}}(?!\d){_UNIT_AFTER}){_CAL_SUFFIX}"
_MONTHS_ALT = _alt([*JALALI_MONTHS, *GREGORIAN_MONTHS, *HIJRI_MONTHS])
# Words after which a bare month name is a month (`تا پایان اردیبهشت`, `اوایل آذر`).
_MONTH_OPENERS = r"(?:پایان|اواخر|اوایل|اواسط|ابتدای|ابتدا|نیمه|نیمه‌ی|اول|آخر|طول|طی)"
_MONTH = rf"(?P<month>{_alt([*JALALI_MONTHS, *GREGORIAN_MONTHS, *HIJRI_MONTHS])})"
_PART_OF_DAY = r"(?:\s+(?:صبح|ظهر|عصر|شب|بامداد|بعدازظهر|بعد\s+از\s+ظهر|غروب|ظهر))?"

# A full or partial calendar date: [weekday] day month [year], or month year.
CALENDAR_DATE = re.compile(
    rf"{_B}(?:{_WEEKDAY})?{_DAY}\s+(?:ماه\s+)?{_MONTH}{_MAH}(?:\s*،?\s*(?:سال\s+)?{_YEAR})?{_E}"
    rf"|{_B}(?P<month2>{_MONTHS_ALT}){_MAH}\s+(?:سال\s+)?"
    rf"(?P<year2>\d{{4}}|\d{{2}}(?!\d){_UNIT_AFTER}){_CAL_SUFFIX.replace('suffix', 'suffix2')}{_E}"
    # A month alone, only with `ماه` (`آذرماه`, `ماه رمضان`), after a word that opens a span of it
    # (`تا پایان اردیبهشت`), or before `و` and a month with its year (`فروردین و اردیبهشت ۹۹`): the
    # bare names are also words and names (`مهر`, `آذر`, `بهمن`). Its year is the publication's,
    # or the next month's.
    rf"|{_B}(?:(?P<month3>{_MONTHS_ALT})[ {ZWNJ}]?ماه"
    rf"|ماه\s+(?P<month4>{_MONTHS_ALT})"
    rf"|{_MONTH_OPENERS}\s+(?P<month5>{_MONTHS_ALT})"
    rf"|(?P<month6>{_MONTHS_ALT})(?=\s+و\s+(?:ماه\s+)?(?:{_MONTHS_ALT})(?:[ {ZWNJ}]?ماه)?\s+(?:سال\s+)?"
    rf"(?P<year6>\d{{4}}|\d{{2}}(?!\d)))){_E}"
)
ANY_MONTH = re.compile(_alt([*JALALI_MONTHS, *GREGORIAN_MONTHS, *HIJRI_MONTHS]))
NUMERIC_DATE = re.compile(r"(?<![\d/])(?P<y>\d{4})[/\-.](?P<m>\d{1,2})[/\-.](?P<d>\d{1,2})(?![\d/])")
YEAR_ONLY = re.compile(rf"{_B}(?:سال|در)\s+(?P<year>\d{{4}}){_CAL_SUFFIX}{_E}")
# A Gregorian year without `سال`: in the name of an event or a plan (`المپیک ۲۰۲۰`, `بازی‌های آسیایی
# 2014`, `اسناد ۲۰۱۶`), or after another year in a list (`۲۰۱۶، ۲۰۱۷ و ۲۰۱۸`).
_EVENTS = (rf"(?:المپیک|پارالمپیک|جام|یورو|بازی[{ZWNJ}\s]?های|رقابت[{ZWNJ}\s]?های|مسابقات|انتخابات|اسناد|سند|"
           rf"برنامه|چشم[{ZWNJ}\s]?انداز|افق|اکسپو|فصل|نمایشگاه|کنفرانس|اجلاس)")
_Y4 = r"(?:[1۱١][9۹٩]|[2۲٢][0۰٠])\d\d"  # 1900-2099 in any digits
BARE_YEAR = re.compile(rf"{_B}(?P<year>{_Y4})(?![\w{ZWNJ}/\-.]){_UNIT_AFTER}")
_YEAR_CONTEXT = re.compile(
    rf"(?:{_EVENTS}(?:\s+[\w{ZWNJ}]{{2,20}})?|{_Y4}\s*(?:[،,]|\s(?:و|تا)))\s+$|{_Y4}[،,]\s*$")


RELATIVE_DAY = re.compile(
    rf"{_B}(?:(?:صبح|ظهر|عصر|شب|بامداد|غروب)\s+(?=امروز|دیروز|فردا))?"
    rf"(?P<rel>امروز|دیروز|پریروز|فردا|پس[ {ZWNJ}]?فردا|امشب|دیشب|روز\s+گذشته|شب\s+گذشته|روز\s+جاری)"
    rf"(?:\s+(?:{_alt(WEEKDAYS)})|\s*\((?:{_alt(WEEKDAYS)})\))?(?:\s+(?P<pod>صبح|ظهر|عصر|شب|بامداد|بعدازظهر|غروب))?(?![\w{ZWNJ}])"
)
RELATIVE_WEEKDAY = re.compile(
    rf"{_B}(?:روز\s+)?(?P<weekday>{_alt(WEEKDAYS)})(?P<dir>\s+(?:گذشته|آینده|هفته\s+گذشته|هفته\s+آینده|این\s+هفته))?{_PART_OF_DAY}{_E}"
)
RELATIVE_PERIOD = re.compile(
    rf"{_B}(?:(?P<unit>هفته|ماه|سال)[\s{ZWNJ}]+(?P<dir>گذشته|پیش|قبل|آینده|بعد|جاری|حاضر)|(?P<this>امسال|پارسال|این\s+هفته|این\s+ماه))"
    rf"(?P<greg>\s+میلادی)?{_E}"
)
AGO = re.compile(
    rf"{_B}(?P<n>\d{{1,3}}|{_alt(k for k in NUMBER_WORDS if NUMBER_WORDS[k])})\s+(?P<unit>روز|هفته|ماه|سال)\s+(?P<dir>پیش|قبل|بعد)(?!\s+از){_E}"
)


# A sentence told in the future or the present: `خواهد …`, `قرار است`, or a final `می‌…د` verb.
_FUTURE = re.compile(rf"(?<![\w{ZWNJ}])(?:خواهد|خواهند|قرار\s+است)(?![\w{ZWNJ}])|می{ZWNJ}?[\w{ZWNJ}]+?(?:د|ند)\s*[.!؟?]?\s*$")


def _rest_of_sentence(text: str, pos: int) -> str:
    """The narrative rest of a sentence: up to its end, or to where someone's words begin."""
    end = len(text)
    for mark in (".", "!", "؟", "?", "\n", ":", "«", " که "):
        i = text.find(mark, pos)
        if 0 <= i < end:
            end = i + 1
    return text[pos:min(end, pos + 300)]


# A date that names a street, a front or a paper (`خیابان ۱۵ خرداد`, `جبهه دوم خرداد`, `روزنامه صبح امروز`).
_NAMED_BY = re.compile(
    r"(?:جبهه|جنبش|حماسه|قیام|خیابان|میدان|بلوار|بزرگراه|کوچه|چهارراه|پل|ورزشگاه|مجتمع|بیمارستان|دبیرستان|"
    r"مدرسه|شهرک|روزنامه|هفته‌نامه|ایستگاه|پایگاه|گردان|لشکر|تیپ)\s+$")
_PRAYER = re.compile(r"(?:امام|ائمه|نماز|نمازهای|اقامه)\s+$")
_UNTIL = re.compile(r"(?<![\w\u200c])تا\s+$")
_COUNT_BEFORE = re.compile(
    rf"(?:\d+|چند|چندین|ده{ZWNJ}?ها|صدها|هزاران|صد|دویست|سیصد|چهارصد|پانصد|ششصد|هفتصد|هشتصد|نهصد|هزار|"
    rf"{_alt(k for k in NUMBER_WORDS if NUMBER_WORDS[k])})\s+$")


@dataclass(frozen=True, slots=True)
class Found:
    """A date found in text, before it becomes a :class:`DateMention`."""

    start: int
    end: int
    value: str | None
    calendar: str
    granularity: str


def _num(s: str) -> int | None:
    """A day or count written in digits or in words (``۲۹``, ``بیست و نهم``, ``بیست‌ونهم``), or None.

    The patterns let a ZWNJ, a space or nothing stand between the parts of a spelled-out number, so
    the words are looked up with every separator removed.

    >>> _num("بیست‌ونهم"), _num("سی ام"), _num("۱۲"), _num("بیستونهمین")
    (29, 30, 12, None)
    """
    if s.isdecimal():
        return int(s)  # int() reads Persian and Arabic-Indic digits too
    for table in (ORDINALS, NUMBER_WORDS):
        n = _lookup(table, s)
        if n is not None:
            return n
    return None


# Table keys compared without the spaces or ZWNJs written inside them (سه شنبه, سه‌شنبه, سهشنبه).
_SPACING = Fold(letters="keep", digits=False, zwnj="drop", invisible=False, marks=False, tatweel=False,
                spaces="drop")
_FOLDED_TABLES: dict[int, dict[str, int]] = {}


def _lookup(table: dict[str, int], word: str) -> int | None:
    folded = _FOLDED_TABLES.get(id(table))
    if folded is None:
        folded = _FOLDED_TABLES[id(table)] = {_SPACING(k): v for k, v in table.items()}
    return folded.get(_SPACING(word))


def _calendar_of(month: str, suffix: str | None) -> tuple[str, int] | None:
    """Which calendar a month name belongs to; ``مهر`` etc. are Jalali unless a suffix says otherwise."""
    for cal, table in (("jalali", JALALI_MONTHS), ("gregorian", GREGORIAN_MONTHS), ("hijri", HIJRI_MONTHS)):
        m = _lookup(table, month)
        if m is not None:
            return cal, m
    return None


def _two_digit_year(yy: int, published: dt.date | None) -> int:
    """A Jalali year written with two digits: the century that puts it closest before the publication
    (or at most a year after it); without one, 13xx from 40 on."""
    if published is None:
        return (1300 if yy >= 40 else 1400) + yy
    now = int(year_in("jalali", published) or 1400)
    return min((c + yy for c in (1300, 1400)), key=lambda y: (y > now + 1, abs(now - y)))


def _calendar_date(m: re.Match[str], published: dt.date | None) -> Found | None:
    groups = m.groupdict()
    month = next(groups[g] for g in ("month", "month2", "month3", "month4", "month5", "month6") if groups[g])
    year_s = m.group("year") or m.group("year2") or m.group("year6")
    suffix = m.group("suffix") or m.group("suffix2")
    found = _calendar_of(month, suffix)
    if found is None:
        return None
    calendar, mon = found
    if month in AMBIGUOUS and not year_s and not m.group("month4"):
        return None  # `مه` is fog and `می` a verb prefix, unless `ماه` or a year stands beside
    if suffix and "ق" in suffix and calendar != "hijri":
        return None
    if year_s and len(year_s) == 2 and calendar != "jalali":
        return None
    if year_s:
        year: int | None = int(year_s) if len(year_s) == 4 else _two_digit_year(int(year_s), published)
    else:
        year = _placed_year(m, calendar, mon, published)
    if m.group("day") is None:  # month and year, or a month alone (no year without a publication date)
        value = None if year is None else {"jalali": lambda: _jalali_month(year, mon),
                                           "hijri": lambda: _hijri_month(year, mon),
                                           "gregorian": lambda: f"{year:04d}-{mon:02d}"}[calendar]()
        start = m.start("month5") if m.group("month5") else m.start()
        return Found(start, m.end(), value, calendar, "month")
    day = _num(m.group("day"))
    if day is None:
        return None
    value = None
    if year is not None:
        value = {"jalali": _jalali_day, "hijri": _hijri_day, "gregorian": _gregorian_day}[calendar](year, mon, day)
    return Found(m.start(), m.end(), value, calendar, "day")


# `دنیای امروز`, `واقعیت‌های امروز`: today's world, not a date.
_EZAFE_BEFORE = re.compile(rf"[\w{ZWNJ}](?:ای|های)\s+$")


def _placed_year(m: re.Match[str], calendar: str, mon: int, published: dt.date | None) -> int | None:
    """The year of a month named without one: the publication's, or the one before where that month
    is more than half a year to come and the sentence does not tell the future (`مذاکرات در ماه اکتبر
    آغاز شد` in February), or the one after where it is that far past and the sentence tells the
    future."""
    year = year_in(calendar, published)
    if year is None or published is None or calendar == "hijri":
        return year
    now_month = published.month if calendar == "gregorian" else _shift_month(published, 0)[1]
    # Only a month more than half a year ahead or behind changes year: a nearby month is this year's
    # whichever way the sentence points.
    future = _FUTURE.search(_rest_of_sentence(m.string, m.end())) is not None
    if mon - now_month > 6 and not future:
        return year - 1
    if now_month - mon > 6 and future:
        return year + 1
    return year


def _relative_day(m: re.Match[str], published: dt.date | None) -> Found | None:
    rel = re.sub(f"[ {ZWNJ}]+", " ", m.group("rel"))
    before = m.string[max(0, m.start() - 20):m.start()]
    if rel in ("روز گذشته", "شب گذشته") and _COUNT_BEFORE.search(before):
        return None  # `در ۹ روز گذشته`: a span of days
    if rel == "امروز" and _EZAFE_BEFORE.search(before):
        return None
    offset = {"امروز": 0, "امشب": 0, "روز جاری": 0, "دیروز": -1, "دیشب": -1, "روز گذشته": -1, "شب گذشته": -1,
              "پریروز": -2, "فردا": 1, "پس فردا": 2, "پسفردا": 2}.get(rel, 0)
    value = (published + dt.timedelta(days=offset)).isoformat() if published else None
    return Found(m.start(), m.end(), value, "relative", "day")


def _relative_weekday(m: re.Match[str], published: dt.date | None) -> Found | None:
    wd = _lookup(WEEKDAYS, m.group("weekday"))
    direction = m.group("dir") or ""
    # `امام جمعه`, `نماز جمعه`: Friday prayers, not a date (unless a week is named: `نماز جمعه این هفته`).
    if wd == 4 and not direction and _PRAYER.search(m.string, max(0, m.start() - 12), m.start()):
        return None
    # `تا پنجشنبه` (until Thursday) looks ahead, and so does a weekday in a sentence about the future
    # (`از روز چهارشنبه آغاز به کار می‌کند`).
    if not direction and (_UNTIL.search(m.string, max(0, m.start() - 6), m.start())
                          or _FUTURE.search(_rest_of_sentence(m.string, m.end()))):
        direction = "آینده"
    value = None
    if published is not None and wd is not None:
        back = (published.weekday() - wd) % 7
        if "آینده" in direction:
            fwd = (wd - published.weekday()) % 7 or 7
            day = published + dt.timedelta(days=fwd)
        else:
            # News reports the past: the latest such day on or before publication ("گذشته": strictly before).
            if "گذشته" in direction and back == 0:
                back = 7
            day = published - dt.timedelta(days=back)
        value = day.isoformat()
    return Found(m.start(), m.end(), value, "relative", "day")


def _period(unit: str, shift: int, published: dt.date | None) -> tuple[str | None, str]:
    if unit == "هفته":
        if published is None:
            return None, "week"
        iso = (published + dt.timedelta(weeks=shift)).isocalendar()
        return f"{iso[0]}-W{iso[1]:02d}", "week"
    if unit == "ماه":
        if published is None:
            return None, "month"
        y, mon = _shift_month(published, shift)
        return _jalali_month(y, mon), "month"
    if published is None:
        return None, "year"
    return _jalali_year(int(year_in("jalali", published) or 0) + shift), "year"


def _relative_period(m: re.Match[str], published: dt.date | None) -> Found | None:
    # `سه سال آینده` is a span of time, not a date.
    if _COUNT_BEFORE.search(m.string, max(0, m.start() - 12), m.start()):
        return None
    this = m.group("this")
    if this:
        this = re.sub(r"\s+", " ", this)
        unit, shift = {"امسال": ("سال", 0), "پارسال": ("سال", -1), "این هفته": ("هفته", 0),
                       "این ماه": ("ماه", 0)}[this]
    else:
        unit = m.group("unit")
        shift = {"گذشته": -1, "پیش": -1, "قبل": -1, "آینده": 1, "بعد": 1}.get(m.group("dir"), 0)
    if unit == "سال" and m.group("greg"):
        # `سال جاری میلادی`: the Gregorian year.
        return Found(m.start(), m.end(), f"{published.year + shift:04d}" if published else None, "relative", "year")
    value, gran = _period(unit, shift, published)
    return Found(m.start(), m.end(), value, "relative", gran)


def _ago(m: re.Match[str], published: dt.date | None) -> Found | None:
    n = _num(m.group("n"))
    if n is None or re.search(r"(?:هزار|صد|میلیون)\s+و\s*$", m.string[max(0, m.start() - 12):m.start()]):
        return None  # `هزار و ۲۰۰ سال قبل`: part of a larger number, a span of centuries
    sign = 1 if m.group("dir") == "بعد" else -1
    unit = m.group("unit")
    if unit in ("روز", "هفته"):
        gran = "day" if unit == "روز" else "week"
        if published is None:
            return Found(m.start(), m.end(), None, "relative", gran)
        days = n * (1 if unit == "روز" else 7) * sign
        d = published + dt.timedelta(days=days)
        if unit == "روز":
            return Found(m.start(), m.end(), d.isoformat(), "relative", "day")
        iso = d.isocalendar()
        return Found(m.start(), m.end(), f"{iso[0]}-W{iso[1]:02d}", "relative", "week")
    value, gran = _period(unit, n * sign, published)
    return Found(m.start(), m.end(), value, "relative", gran)


def _numeric(m: re.Match[str], published: dt.date | None) -> Found | None:
    y, mon, d = int(m.group("y")), int(m.group("m")), int(m.group("d"))
    if 1200 <= y < 1500:
        value, cal = _jalali_day(y, mon, d), "jalali"
    elif 1800 <= y < 2200:
        value, cal = _gregorian_day(y, mon, d), "gregorian"
    else:
        return None
    return Found(m.start(), m.end(), value, cal, "day") if value else None


def _year_only(m: re.Match[str], published: dt.date | None) -> Found | None:
    y = int(m.group("year"))
    suffix = m.group("suffix") or ""
    if "ق" in suffix:
        return Found(m.start("year") if m.group(0).startswith("در") else m.start(), m.end(),
                     _hijri_year(y), "hijri", "year")
    if 1200 <= y < 1500:
        return Found(m.start("year") if m.group(0).startswith("در") else m.start(), m.end(),
                     _jalali_year(y), "jalali", "year")
    if 1800 <= y < 2200:
        return Found(m.start("year") if m.group(0).startswith("در") else m.start(), m.end(),
                     f"{y:04d}", "gregorian", "year")
    return None


def _bare_year(m: re.Match[str], published: dt.date | None) -> Found | None:
    if not _YEAR_CONTEXT.search(m.string, max(0, m.start() - 40), m.start()):
        return None
    return Found(m.start(), m.end(), f"{int(m.group('year')):04d}", "gregorian", "year")


def find_dates(text: str, published: dt.date | None = None) -> list[Found]:
    """Every date in ``text``, longest first where they overlap, in text order.

    >>> [(f.value, f.granularity) for f in find_dates("۲۳ سپتامبر ۲۰۲۵ و هفته گذشته", dt.date(2025, 9, 24))]
    [('2025-09-23', 'day'), ('2025-W38', 'week')]
    """
    cands: list[Found] = []
    # Most texts name no month: skip the costliest pattern unless one is there.
    calendar = CALENDAR_DATE if ANY_MONTH.search(text) else None
    for pattern, fn in ((calendar, _calendar_date), (NUMERIC_DATE, _numeric), (YEAR_ONLY, _year_only),
                        (BARE_YEAR, _bare_year),
                        (RELATIVE_DAY, _relative_day), (RELATIVE_WEEKDAY, _relative_weekday),
                        (RELATIVE_PERIOD, _relative_period), (AGO, _ago)):
        if pattern is None:
            continue
        for m in pattern.finditer(text):
            f = fn(m, published)
            if f is not None and not _NAMED_BY.search(text, max(0, f.start - 12), f.start):
                cands.append(f)
    # Longest wins where candidates overlap; `امروز صبح` beside `۱۸ مرداد` stays two dates.
    cands.sort(key=lambda f: (-(f.end - f.start), f.start))
    taken: list[Found] = []
    for f in cands:
        if all(f.end <= t.start or f.start >= t.end for t in taken):
            taken.append(f)
    return sorted(taken, key=lambda f: f.start)


class DateFinder:
    """Fills ``doc.dates``; relative dates are resolved against ``doc.meta["published"]``."""

    name: ClassVar[str] = "dates"
    requires: ClassVar[tuple[str, ...]] = ("text",)
    assigns: ClassVar[tuple[str, ...]] = ("dates",)

    def find(self, doc: Document) -> list[DateMention]:
        """Every date of the document as a span (example in the module docstring)."""
        raw = doc.meta.get("published")
        published = published_day(raw)
        if raw is not None and published is None:
            doc.warnings.append(f"dates: publication date {raw!r} is not ISO 8601; relative dates left unresolved")
        return [doc.span(f.start, f.end, DateMention, value=f.value, calendar=f.calendar, granularity=f.granularity)
                for f in find_dates(doc.text, published)]

    def __call__(self, doc: Document) -> Document:
        doc.dates = self.find(doc)
        return doc
