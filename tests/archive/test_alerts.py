"""The Atom feed of an alert's matches: valid Atom that feed readers (feedparser) read back."""

from __future__ import annotations

import feedparser
import pytest
from defusedxml import ElementTree as SafeET

from khabar.archive.alerts import Alert, AlertMatch, check_name, render_atom
from khabar.errors import InvalidInput

ATOM = "{http://www.w3.org/2005/Atom}"


def matches() -> list[AlertMatch]:
    return [AlertMatch("نفت", 12, "2025-08-09T10:05:00+00:00", "صادرات نفت <ایران> & چین", "https://isna.ir/n/12",
                       "ایسنا", "2025-08-09T09:00:00+03:30", "خلاصه\x00 خبر"),
            AlertMatch("نفت", 9, "2025-08-09T09:00:00+00:00", None, None, None, "2025-08-08")]


def test_alert_atom_is_valid_atom_read_back_by_feedparser() -> None:
    alert = Alert("نفت", "نفت OR گاز", source="ایسنا", created="2025-08-01T00:00:00+00:00")
    xml = render_atom(alert, matches(), self_url="http://localhost:8000/api/v1/alerts/%D9%86%D9%81%D8%AA.atom",
                      article_url="http://localhost:8000/articles/{id}")
    root = SafeET.fromstring(xml)
    assert root.tag == f"{ATOM}feed" and len(root.findall(f"{ATOM}entry")) == 2
    parsed = feedparser.parse(xml)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.feed.title == "khabar: نفت" and "source=ایسنا" in parsed.feed.subtitle
    first, second = parsed.entries
    assert first.title == "صادرات نفت <ایران> & چین" and first.link == "https://isna.ir/n/12"
    assert first.author == "ایسنا" and first.summary == "خلاصه خبر"
    assert second.title == "(untitled)" and second.link == "http://localhost:8000/articles/9"
    assert parsed.feed.updated == "2025-08-09T10:05:00+00:00"
    assert second.published == "2025-08-08T00:00:00+00:00"


def test_alert_atom_without_matches() -> None:
    parsed = feedparser.parse(render_atom(Alert("خالی", "x", created="2025-08-01T00:00:00+00:00"), []))
    assert not parsed.bozo and parsed.entries == [] and parsed.feed.updated == "2025-08-01T00:00:00+00:00"


@pytest.mark.parametrize("name", ["", " نفت", "نفت ", "a/b", "a\\b", "a\x00b", "x" * 101, "خط\nدوم"])
def test_alert_name_refused(name: str) -> None:
    with pytest.raises(InvalidInput, match="alert name"):
        check_name(name)


@pytest.mark.parametrize("name", ["نفت", "tehran-air", "قیمت دلار", "رئیس‌جمهور"])
def test_alert_name_accepted(name: str) -> None:
    assert check_name(name) == name
