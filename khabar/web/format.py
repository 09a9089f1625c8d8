"""How the web pages write things: Persian digits, Jalali dates, and articles marked up from offsets.

Everything here returns escaped :class:`~markupsafe.Markup` or plain strings that the templates
escape; no text from an article, a query or an entity name reaches the page unescaped.

>>> fa_number(12345)
'۱۲٬۳۴۵'
>>> jalali("2025-08-09")
'۱۸ مرداد ۱۴۰۴'
>>> str(mark_spans("سلام دنیا", [Mark(5, 9, "mark", {"class": "x"})]))
'سلام <mark class="x" data-start="5" data-end="9">دنیا</mark>'
"""

from __future__ import annotations

import datetime as dt
import heapq
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup, escape

__all__ = [
    "Mark",
    "article_marks",
    "fa_digits",
    "fa_number",
    "fill_months",
    "jalali",
    "mark_spans",
    "marked_restored",
    "snippet_markup",
    "timeline_svg",
]

_FA_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
MONTHS = ("فروردین", "اردیبهشت", "خرداد", "تیر", "مرداد", "شهریور", "مهر", "آبان", "آذر", "دی", "بهمن", "اسفند")
ZWNJ = "\u200c"
LABELS = {"PER": "شخص", "ORG": "سازمان", "LOC": "مکان", "EVE": "رویداد"}


def fa_digits(value: Any) -> str:
    """Western digits as Persian digits.

    >>> fa_digits("1404-05-18")
    '۱۴۰۴-۰۵-۱۸'
    """
    return str(value).translate(_FA_DIGITS)


def fa_number(value: int | float) -> str:
    """A count with Persian digits and the Persian thousands separator."""
    text = f"{value:,}" if isinstance(value, int) else f"{value:,.1f}"
    return text.replace(",", "٬").replace(".", "٫").translate(_FA_DIGITS)


def parse_iso(value: str | None) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None


def jalali(value: str | dt.date | None, granularity: str = "day") -> str:
    """An ISO date as a Jalali date in Persian (``۱۸ مرداد ۱۴۰۴``); ``""`` when it cannot be read.

    >>> jalali("2025-07-23", "month")
    'مرداد ۱۴۰۴'
    """
    import jdatetime

    day = value if isinstance(value, dt.date) else parse_iso(value)
    if day is None:
        return ""
    j = jdatetime.date.fromgregorian(date=day)
    if granularity == "year":
        return fa_digits(j.year)
    if granularity == "month":
        return f"{MONTHS[j.month - 1]} {fa_digits(j.year)}"
    return f"{fa_digits(j.day)} {MONTHS[j.month - 1]} {fa_digits(j.year)}"


# -- marking spans of a text -------------------------------------------------------------------

@dataclass(slots=True)
class Mark:
    """An element around ``text[start:end]``: ``tag`` with ``attrs``; ``rank`` orders marks over the
    same characters, outermost first."""

    start: int
    end: int
    tag: str = field(compare=False)
    attrs: dict[str, str] = field(compare=False, default_factory=dict)
    rank: int = field(compare=False, default=0)


def _open(mark: Mark, start: int, end: int) -> str:
    attrs = "".join(f' {k}="{escape(v)}"' for k, v in mark.attrs.items())
    return f'<{mark.tag}{attrs} data-start="{start}" data-end="{end}">'


def mark_spans(text: str, marks: Iterable[Mark]) -> Markup:
    """``text`` escaped, with each mark's element around its characters, properly nested.

    Marks over the same characters nest by ``rank``; a mark that crosses the end of an enclosing
    one is split in two at that end, so every element holds exactly ``text[data-start:data-end]``.
    """
    heap = [(m.start, -m.end, m.rank, i, m) for i, m in enumerate(marks) if 0 <= m.start < m.end <= len(text)]
    heapq.heapify(heap)
    out: list[str] = []
    stack: list[tuple[int, Mark]] = []  # (end, mark) of the open elements
    pos = 0
    n = len(heap)
    while heap:
        start, neg_end, rank, _, mark = heapq.heappop(heap)
        end = -neg_end
        while stack and stack[-1][0] <= start:
            top_end, top = stack.pop()
            out.append(str(escape(text[pos:top_end])) + f"</{top.tag}>")
            pos = top_end
        if stack and end > stack[-1][0]:
            cut = stack[-1][0]
            n += 1
            heapq.heappush(heap, (cut, -end, rank, n, mark))
            end = cut
        out.append(str(escape(text[pos:start])) + _open(mark, start, end))
        pos = start
        stack.append((end, mark))
    while stack:
        top_end, top = stack.pop()
        out.append(str(escape(text[pos:top_end])) + f"</{top.tag}>")
        pos = top_end
    out.append(str(escape(text[pos:])))
    return Markup("".join(out))


def article_marks(doc: Mapping[str, Any], entity_url: Mapping[str, str] | None = None) -> list[Mark]:
    """Marks over the raw text for what the pipeline found: statements, the credit, dates, the
    speakers and every entity mention, each from its span's raw offsets.

    Entities become links to their page (``entity_url``: entity id → URL); every kind carries a
    class for its colour *and* its underline style, and a ``title`` naming it in words.
    """
    entity_url = entity_url or {}
    names = {e["id"]: e["name"] for e in doc.get("entities") or []}
    marks: list[Mark] = []
    mention_ranges = set()
    for i, q in enumerate(doc.get("quotes") or []):
        content, cue, speaker = q["content"], q["cue"], q.get("speaker")
        who = names.get(speaker.get("entity") or "", speaker["text"]) if speaker else "گوینده‌ی نامعلوم"
        marks.append(Mark(content["raw_start"], content["raw_end"], "mark",
                          {"class": "quote", "id": f"q{i + 1}", "title": f"سخن {who}"}, rank=0))
        marks.append(Mark(cue["raw_start"], cue["raw_end"], "mark", {"class": "cue", "title": "فعل گفتن"}, rank=2))
    src = doc.get("source")
    if src and src.get("span"):
        sp = src["span"]
        marks.append(Mark(sp["raw_start"], sp["raw_end"], "mark", {"class": "credit", "title": f"منبع: {src['name']}"},
                          rank=1))
    for ev in doc.get("events") or []:
        tr = ev["trigger"]
        who = "، ".join(names.get(p, p) for p in ev.get("participants") or [])
        marks.append(Mark(tr["raw_start"], tr["raw_end"], "mark",
                          {"class": "event", "title": f"دیدار: {who}" if ev.get("type") == "meeting" else ev["type"]},
                          rank=3))
    for d in doc.get("dates") or []:
        attrs = {"class": "date", "title": f"تاریخ: {jalali(d.get('value'), d.get('granularity') or 'day') or '؟'}"}
        if d.get("value"):
            attrs["datetime"] = str(d["value"])
        marks.append(Mark(d["raw_start"], d["raw_end"], "time", attrs, rank=3))
    for m in doc.get("mentions") or []:
        label = m.get("label") or ""
        cls = f"ent ent-{label.lower() or 'x'}"
        title = f"{LABELS.get(label, label)}: {names.get(m.get('entity') or '', m['text'])}"
        url = entity_url.get(m.get("entity") or "")
        attrs = {"class": cls, "title": title}
        if url:
            attrs = {"href": url, **attrs}
        marks.append(Mark(m["raw_start"], m["raw_end"], "a" if url else "mark", attrs, rank=5))
        mention_ranges.add((m["raw_start"], m["raw_end"]))
    for q in doc.get("quotes") or []:
        sp = q.get("speaker")
        if sp and (sp["raw_start"], sp["raw_end"]) not in mention_ranges:
            url = entity_url.get(sp.get("entity") or "")
            attrs = {"class": "speaker", "title": f"گوینده: {names.get(sp.get('entity') or '', sp['text'])}"}
            if url:
                attrs = {"href": url, **attrs}
            marks.append(Mark(sp["raw_start"], sp["raw_end"], "a" if url else "mark", attrs, rank=4))
    return marks


def marked_restored(doc: Mapping[str, Any]) -> Markup:
    """The restored text with every change marked: ``<ins>`` holds the new characters (a restored
    ZWNJ is drawn as a thin bar), its ``title`` and a ``data-old`` attribute the characters it replaced."""
    text, raw = doc["text"], doc["raw_text"]
    out: list[str] = []
    pos = 0
    for c in sorted(doc.get("changes") or [], key=lambda c: c["start"]):
        start, end = c["start"], c["end"]
        if start < pos:
            continue
        new, old = text[start:end], raw[c["raw_start"]:c["raw_end"]]
        out.append(str(escape(text[pos:start])))
        if new.replace(ZWNJ, "") == old.replace(" ", "") and ZWNJ in new:
            kind, title = "chg zwnj", "نیم‌فاصله" + (" به جای فاصله" if " " in old else " افزوده شد")
        elif not new:
            kind, title = "chg removed", f"حذف شد: «{old}»"
        else:
            kind, title = "chg", f"پیشین: «{old}»"
        if new:
            out.append(f'<ins class="{kind}" title="{escape(title)}" data-old="{escape(old)}">{escape(new)}</ins>')
        else:
            out.append(f'<del class="{kind}" title="{escape(title)}">{escape(old)}</del>')
        pos = end
    out.append(str(escape(text[pos:])))
    return Markup("".join(out))


def snippet_markup(snippet: str, highlights: Sequence[Sequence[int]]) -> Markup:
    """A search snippet with its matched words in ``<mark>``."""
    return mark_spans(snippet, [Mark(int(s), int(e), "mark", {"class": "hit"}) for s, e in highlights])


def fill_months(points: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Monthly counts with the months between the first and the last that had none, as zeros.

    >>> [p["date"] for p in fill_months([{"date": "2024-11-01", "count": 1}, {"date": "2025-01-01", "count": 2}])]
    ['2024-11-01', '2024-12-01', '2025-01-01']
    """
    by_month = {str(p.get("date"))[:7]: p for p in points}
    first, last = parse_iso(str(points[0].get("date"))), parse_iso(str(points[-1].get("date")))
    if first is None or last is None or (last.year - first.year) * 12 + last.month - first.month > 600:
        return list(points)
    out: list[Mapping[str, Any]] = []
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        key = f"{year:04d}-{month:02d}"
        out.append(by_month.get(key, {"date": f"{key}-01", "count": 0}))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def timeline_svg(points: Sequence[Mapping[str, Any]], *, interval: str = "month", label: str = "") -> Markup:
    """An inline SVG bar chart of ``[{date, count}]`` (dates ISO, oldest first), drawn right to left
    like the page: the newest bar stands at the inline start. Each bar has a ``<title>`` with its
    Jalali date and count; the chart's own title and description say what it shows."""
    width, height, pad_top, pad_bottom = 640, 160, 10, 28
    gran = {"day": "day", "week": "day", "month": "month", "year": "year"}.get(interval, "month")
    if not points:
        return Markup(f'<p class="muted">{escape(label)}: هنوز داده‌ای نیست.</p>')
    if interval == "month":
        points = fill_months(points)
    top = max(int(p.get("count") or 0) for p in points) or 1
    n = len(points)
    slot = width / n
    bar = min(48.0, max(1.0, slot * 0.8))
    parts = []
    for i, p in enumerate(points):
        count = int(p.get("count") or 0)
        h = (height - pad_top - pad_bottom) * count / top
        x = width - (i + 1) * slot + (slot - bar) / 2  # right to left: the first (oldest) bar at the right edge
        y = height - pad_bottom - h
        when = jalali(str(p.get("date")), gran)
        parts.append(f'<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}">'
                     f"<title>{escape(when)}: {escape(fa_number(count))}</title></rect>")
    first, last = jalali(str(points[0].get("date")), gran), jalali(str(points[-1].get("date")), gran)
    total = sum(int(p.get("count") or 0) for p in points)
    desc = f"{label}: {fa_number(total)} در {fa_number(n)} بازه، از {first} تا {last}؛ بیشینه {fa_number(top)}"
    # The page is right to left, so SVG text runs right to left too: "start" is a label's right edge.
    axis = (f'<line x1="0" y1="{height - pad_bottom}" x2="{width}" y2="{height - pad_bottom}"></line>'
            f'<text x="{width - 2}" y="{height - 8}" text-anchor="start">{escape(first)}</text>'
            f'<text x="2" y="{height - 8}" text-anchor="end">{escape(last)}</text>'
            f'<text x="{width - 2}" y="{pad_top + 2}" text-anchor="start">{escape(fa_number(top))}</text>')
    return Markup(f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-labelledby="chart-title chart-desc"'
                  f' xmlns="http://www.w3.org/2000/svg"><title id="chart-title">{escape(label)}</title>'
                  f'<desc id="chart-desc">{escape(desc)}</desc>{axis}{"".join(parts)}</svg>')
