"""What a server needs of the Archive facade: adding posted articles, exporting what a search matches,
reading dates as the CLI does, and noticing an archive that is gone."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from khabar.archive import Archive, date_range
from khabar.errors import InvalidInput, StorageError

POSTED = [
    {"text": "به گزارش ایسنا، وزیر اقتصاد امروز گفت: «تورم کاهش می یابد.»", "title": "تورم", "outlet": "ایسنا",
     "url": "https://www.isna.ir/news/1?utm_source=x", "published": "1403-07-24"},
    {"text": "زلزله‌ای به بزرگی ۵ ریشتر کرمان را لرزاند.", "title": "زلزله", "outlet": "مهر", "published": "2024-10-16"},
]


@pytest.fixture
def archive() -> Archive:
    a = Archive.open(":memory:")
    summary = a.add(POSTED)
    assert summary.added == 2
    return a


def test_archive_add_reads_records_as_ingest_does(archive: Archive) -> None:
    first = archive.article(1).to_dict()["article"]
    assert first["url"] == "https://www.isna.ir/news/1"  # normalized: no utm_*
    assert first["published"].startswith("2024-10-15")  # a Jalali date read as the CLI reads it
    again = archive.add(POSTED[:1])
    assert again.added == 0 and again.duplicates == 1


def test_archive_add_reports_a_record_without_text(archive: Archive) -> None:
    summary = archive.add([{"text": "   ", "title": "خالی"}])
    assert summary.failed == 1 and "text" in summary.failures[0].reason


@pytest.mark.parametrize(("fmt", "query", "expected"), [
    ("jsonl", "زلزله", 1), ("jsonl", "", 2), ("csv", "تورم", 1), ("jsonl", "نیست", 0)])
def test_archive_export_writes_what_the_search_matches(archive: Archive, fmt: str, query: str, expected: int) -> None:
    out = io.StringIO()
    assert archive.export(out, format=fmt, query=query) == expected
    lines = [line for line in out.getvalue().splitlines() if line]
    assert len(lines) == expected + (fmt == "csv")
    if fmt == "jsonl" and expected:
        assert query in json.loads(lines[0])["text"]


def test_archive_export_filters_by_facets(archive: Archive) -> None:
    out = io.StringIO()
    assert archive.export(out, source="مهر") == 1
    assert json.loads(out.getvalue())["article"]["source"] == "مهر"


def test_archive_date_range_reads_both_calendars() -> None:
    assert date_range("۲۴ مهر ۱۴۰۳") == date_range("2024-10-15") == ("2024-10-15", "2024-10-16")
    with pytest.raises(InvalidInput):
        date_range("yesterday-ish")


def test_archive_check_notices_a_vanished_file(tmp_path: Path) -> None:
    path = tmp_path / "news.db"
    with Archive.open(str(path)) as a:
        a.check()
        path.unlink()
        with pytest.raises(StorageError):
            a.check()


def test_archive_timeline_totals_cover_whole_intervals(tmp_path: Path) -> None:
    with Archive.open(str(tmp_path / "t.db")) as a:
        a.add([{"text": f"خبر {i}: سرگئی لاوروف در مسکو سخن گفت." if i < 2 else f"خبر {i} از تهران و باران.",
                "published": day} for i, day in enumerate(["2024-10-03", "2024-11-05", "2024-11-25", "2024-10-01"])])
        eid = next(e.id for e in a.entities("لاوروف"))
        with_totals = [c.to_dict() for c in a.timeline(eid, interval="month")]
        # November's total holds the article of the 25th, after the entity's last mention.
        assert with_totals == [{"date": "2024-10-01", "count": 1, "total": 2, "ratio": 0.5},
                               {"date": "2024-11-01", "count": 1, "total": 2, "ratio": 0.5}]
        assert [c.to_dict() for c in a.timeline(eid, interval="month", totals=False)] == [
            {"date": "2024-10-01", "count": 1}, {"date": "2024-11-01", "count": 1}]
